//! End to end against moto's standalone server on 127.0.0.1 with signature and IAM checking on:
//! parameters stored there (String and SecureString) come back through the CLI, and a request
//! signed with a wrong secret is refused.
//!
//! moto comes from the virtualenv `scripts/test.sh` prepares (`$MOTO_VENV`, default
//! `target/moto-venv`).

mod common;

use std::net::{TcpListener, TcpStream};
use std::path::PathBuf;
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

use common::{cli, text};

fn venv() -> PathBuf {
    let venv = std::env::var_os("MOTO_VENV")
        .map(PathBuf::from)
        .unwrap_or_else(|| PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("../target/moto-venv"));
    assert!(
        venv.join("bin/moto_server").exists(),
        "moto is not installed in {}: run `bash scripts/test.sh`",
        venv.display()
    );
    venv
}

/// A moto server on a free loopback port, stopped on drop.
struct Moto {
    child: Child,
    endpoint: String,
}

impl Moto {
    fn start() -> Moto {
        let port = TcpListener::bind("127.0.0.1:0")
            .unwrap()
            .local_addr()
            .unwrap()
            .port();
        let child = Command::new(venv().join("bin/moto_server"))
            .args(["-H", "127.0.0.1", "-p", &port.to_string()])
            .stdout(Stdio::null())
            .stderr(Stdio::null())
            .spawn()
            .expect("moto_server starts");
        let deadline = Instant::now() + Duration::from_secs(60);
        while TcpStream::connect(("127.0.0.1", port)).is_err() {
            assert!(Instant::now() < deadline, "moto did not start listening");
            std::thread::sleep(Duration::from_millis(100));
        }
        Moto {
            child,
            endpoint: format!("http://127.0.0.1:{port}"),
        }
    }
}

impl Drop for Moto {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

const PG_URI: &str =
    "postgresql://reporting:pa%24%24word@warehouse.internal:5439/dwh?sslmode=verify-full";

#[test]
fn lookups_through_moto_with_signature_checking() {
    let moto = Moto::start();
    let parameters = serde_json::json!([
        {"name": "/airflow/variables/plain", "value": "a String value", "type": "String"},
        {"name": "/airflow/variables/secure", "value": "a SecureString value", "type": "SecureString"},
        {"name": "/airflow/connections/warehouse", "value": PG_URI, "type": "SecureString"},
        {"name": "/airflow/config/fernet_key", "value": "fernet-from-ssm", "type": "SecureString"},
    ]);
    let setup = Command::new(venv().join("bin/python"))
        .arg(concat!(env!("CARGO_MANIFEST_DIR"), "/tests/moto/setup.py"))
        .args([&moto.endpoint, &parameters.to_string()])
        .output()
        .unwrap();
    assert!(
        setup.status.success(),
        "{}",
        String::from_utf8_lossy(&setup.stderr)
    );
    let key: serde_json::Value = serde_json::from_slice(&setup.stdout).unwrap();
    let (key_id, secret) = (
        key["access_key_id"].as_str().unwrap(),
        key["secret_access_key"].as_str().unwrap(),
    );

    let kwargs =
        serde_json::json!({"endpoint_url": moto.endpoint, "region_name": "us-east-1"}).to_string();
    let env = [
        ("AWS_ACCESS_KEY_ID", key_id),
        ("AWS_SECRET_ACCESS_KEY", secret),
    ];
    let run = |args: &[&str]| {
        let mut all = vec!["--backend-kwargs", kwargs.as_str()];
        all.extend_from_slice(args);
        cli(&env, &all)
    };

    let out = run(&["--json", "get-variable", "plain", "secure", "missing"]);
    let (stdout, stderr) = text(&out);
    assert_eq!(
        stdout, "\"a String value\"\n\"a SecureString value\"\nnull\n",
        "{stderr}"
    );
    assert_eq!(out.status.code(), Some(3));

    let out = run(&["get-config", "fernet_key"]);
    assert_eq!(
        (out.status.code(), text(&out).0.as_str()),
        (Some(0), "fernet-from-ssm\n")
    );

    let out = run(&["get-connection", "warehouse"]);
    let (stdout, stderr) = text(&out);
    assert_eq!(out.status.code(), Some(0), "{stderr}");
    let conn: serde_json::Value = serde_json::from_str(&stdout).unwrap();
    assert_eq!(conn["conn_type"], "postgres");
    assert_eq!(conn["host"], "warehouse.internal");
    assert_eq!(conn["password"], "pa$$word");
    assert_eq!(conn["port"], 5439);
    assert_eq!(conn["schema"], "dwh");

    // The same request signed with a wrong secret is refused by moto's SigV4 check.
    let wrong = "wrong-secret-0123456789abcdefghij";
    let out = cli(
        &[
            ("AWS_ACCESS_KEY_ID", key_id),
            ("AWS_SECRET_ACCESS_KEY", wrong),
        ],
        &["--backend-kwargs", &kwargs, "get-variable", "plain"],
    );
    let (stdout, stderr) = text(&out);
    assert_eq!(out.status.code(), Some(1), "{stdout}");
    assert!(stdout.is_empty());
    assert!(stderr.contains("SignatureDoesNotMatch"), "{stderr}");
    for secret in [wrong, secret] {
        assert!(!stderr.contains(secret), "{stderr}");
    }
}
