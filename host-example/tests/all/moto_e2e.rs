//! End to end against moto's standalone server on 127.0.0.1 with signature and IAM checking on:
//! parameters stored there (String and SecureString) come back through the CLI, and a request
//! signed with a wrong secret is refused.
//!
//! moto comes from the virtualenv `scripts/test.sh` prepares (`$MOTO_VENV`, default
//! `target/moto-venv`).

use crate::common;

use std::path::PathBuf;
use std::process::Command;

use common::moto::{Moto, setup, venv};
use common::{cli, text};

const PG_URI: &str =
    "postgresql://reporting:pa%24%24word@warehouse.internal:5439/dwh?sslmode=verify-full";

/// What `tests/moto/setup.py` created.
struct Setup {
    keys: serde_json::Value,
}

impl Setup {
    fn key(&self, name: &str) -> &str {
        self.keys[name].as_str().unwrap()
    }
}

/// Starts moto and prepares its users, role and parameters.
fn moto_with_parameters() -> (Moto, Setup) {
    let moto = Moto::start();
    let parameters = serde_json::json!([
        {"name": "/airflow/variables/plain", "value": "a String value", "type": "String"},
        {"name": "/airflow/variables/secure", "value": "a SecureString value", "type": "SecureString"},
        {"name": "/airflow/connections/warehouse", "value": PG_URI, "type": "SecureString"},
        {"name": "/airflow/config/fernet_key", "value": "fernet-from-ssm", "type": "SecureString"},
    ]);
    let keys = setup(&moto, &parameters);
    (moto, Setup { keys })
}

#[test]
fn lookups_through_moto_with_signature_checking() {
    let (moto, setup) = moto_with_parameters();
    let (key_id, secret) = (setup.key("access_key_id"), setup.key("secret_access_key"));
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

/// A fresh directory under the system temp dir, removed on drop.
struct TempDir(PathBuf);

impl TempDir {
    fn new(name: &str) -> TempDir {
        let dir = std::env::temp_dir().join(format!("ssm-secrets-{name}-{}", std::process::id()));
        let _ = std::fs::remove_dir_all(&dir);
        std::fs::create_dir_all(&dir).unwrap();
        TempDir(dir)
    }
}

impl Drop for TempDir {
    fn drop(&mut self) {
        let _ = std::fs::remove_dir_all(&self.0);
    }
}

/// Lets the next `n` requests through moto unauthenticated (then checks resume).
fn moto_allow_unsigned(endpoint: &str, n: u32) {
    let script = "import sys, urllib.request; urllib.request.urlopen(urllib.request.Request(\
                  sys.argv[1] + '/moto-api/reset-auth', data=sys.argv[2].encode(), \
                  headers={'Content-Type': 'text/plain'}, method='POST')).read()";
    let status = Command::new(venv().join("bin/python"))
        .args(["-c", script, endpoint, &n.to_string()])
        .status()
        .unwrap();
    assert!(status.success());
}

#[test]
fn credential_sources_through_moto() {
    let (moto, setup) = moto_with_parameters();
    let sts = serde_json::json!({"sts": {"endpoint_url": moto.endpoint}});

    // 1. profile_name, from a temporary HOME/.aws (the host preopens it read-only).
    let home = TempDir::new("home");
    let aws = home.0.join(".aws");
    std::fs::create_dir_all(&aws).unwrap();
    std::fs::write(aws.join("config"), "[profile reader]\nregion = us-east-1\n").unwrap();
    let credentials = format!(
        "[reader]\naws_access_key_id = {}\naws_secret_access_key = {}\n",
        setup.key("access_key_id"),
        setup.key("secret_access_key")
    );
    std::fs::write(aws.join("credentials"), credentials).unwrap();
    let kwargs =
        serde_json::json!({"profile_name": "reader", "endpoint_url": moto.endpoint}).to_string();
    let out = cli(
        &[("HOME", home.0.to_str().unwrap())],
        &["--backend-kwargs", &kwargs, "get-variable", "secure"],
    );
    let (stdout, stderr) = text(&out);
    assert_eq!(
        (out.status.code(), stdout.as_str()),
        (Some(0), "a SecureString value\n"),
        "{stderr}"
    );

    // 2. role_arn: AssumeRole signed by a user who may only assume; SSM signed by the role.
    let assumer = [
        ("AWS_ACCESS_KEY_ID", setup.key("assumer_key_id")),
        ("AWS_SECRET_ACCESS_KEY", setup.key("assumer_secret")),
    ];
    let direct =
        serde_json::json!({"region_name": "us-east-1", "endpoint_url": moto.endpoint}).to_string();
    let out = cli(
        &assumer,
        &["--backend-kwargs", &direct, "get-variable", "plain"],
    );
    assert_eq!(
        out.status.code(),
        Some(1),
        "the assumer alone may not read parameters"
    );
    assert!(text(&out).1.contains("AccessDenied"), "{}", text(&out).1);
    let kwargs = serde_json::json!({
        "role_arn": setup.key("role_arn"), "region_name": "us-east-1",
        "endpoint_url": moto.endpoint, "service_config": sts,
        "assume_role_kwargs": {"DurationSeconds": 900},
    })
    .to_string();
    let out = cli(
        &assumer,
        &["--backend-kwargs", &kwargs, "get-variable", "plain"],
    );
    let (stdout, stderr) = text(&out);
    assert_eq!(
        (out.status.code(), stdout.as_str()),
        (Some(0), "a String value\n"),
        "{stderr}"
    );

    // 3. Web identity from a token file: AssumeRoleWithWebIdentity is unsigned, so moto lets
    //    exactly that one request through unauthenticated; the lookup is then signed with the
    //    role's credentials and checked.
    let tokens = TempDir::new("token");
    let token_file = tokens.0.join("token");
    std::fs::write(
        &token_file,
        "eyJhbGciOiJSUzI1NiJ9.eyJzdWIiOiJhaXJmbG93In0.c2ln\n",
    )
    .unwrap();
    let kwargs = serde_json::json!({
        "role_arn": setup.key("role_arn"), "region_name": "us-east-1",
        "assume_role_method": "assume_role_with_web_identity",
        "assume_role_with_web_identity_federation": "file",
        "assume_role_with_web_identity_token_file": token_file,
        "endpoint_url": moto.endpoint, "service_config": sts,
    })
    .to_string();
    moto_allow_unsigned(&moto.endpoint, 1);
    let out = cli(
        &[],
        &["--backend-kwargs", &kwargs, "get-conn-value", "warehouse"],
    );
    let (stdout, stderr) = text(&out);
    assert_eq!(
        (out.status.code(), stdout.trim_end()),
        (Some(0), PG_URI),
        "{stderr}"
    );
}
