//! `host-example serve` (the sidecar) as a user runs it: every route against the demo fixture
//! and against moto's standalone server (signature checking on), the guard (token,
//! `X-Forwarded-For`, method, route, length), no secret in any error body or in the server's
//! output, a clean stop on SIGTERM; and the composed endpoint component in `jco serve` and in
//! `wasmtime serve` giving the same statuses and bodies.

use crate::common;

use std::io::{BufRead, BufReader, Read, Write};
use std::net::{TcpListener, TcpStream};
use std::path::PathBuf;
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

use serde_json::{Value, json};

use common::moto::{Moto, setup};
use common::{component_path, endpoint_path};

const TOKEN: &str = "serve-test-token-0123456789";

/// A running `host-example serve` on a free loopback port, stopped on drop.
struct Served {
    child: Child,
    addr: String,
    /// The child leads its own process group (jco's node), stopped as a whole.
    group: bool,
    /// What the server prints on stderr after it listens, read as it comes (`wasmtime serve`).
    log: Option<std::thread::JoinHandle<String>>,
}

impl Served {
    /// Starts the server with a clean environment (`env` plus `PATH`) and waits for its
    /// `listening on` line.
    fn start(env: &[(&str, &str)], args: &[&str]) -> Served {
        let mut command = Command::new(env!("CARGO_BIN_EXE_host-example"));
        command
            .env_clear()
            .env("PATH", std::env::var_os("PATH").unwrap_or_default())
            .arg("--component")
            .arg(component_path())
            .args(args)
            .args(["serve", "--listen", "127.0.0.1:0"])
            .stdout(Stdio::piped())
            .stderr(Stdio::piped());
        for (k, v) in env {
            command.env(k, v);
        }
        let mut child = command.spawn().expect("host-example serve starts");
        let mut line = String::new();
        BufReader::new(child.stdout.as_mut().unwrap())
            .read_line(&mut line)
            .unwrap();
        let Some(addr) = line.trim().strip_prefix("listening on http://") else {
            let mut stderr = String::new();
            let _ = child.stderr.take().unwrap().read_to_string(&mut stderr);
            panic!("no `listening on` line: {line:?}; stderr: {stderr}");
        };
        Served {
            addr: addr.to_string(),
            child,
            group: false,
            log: None,
        }
    }

    /// `jco serve` (js/node_modules, after `npm install` in js/) running the same `.wasm` on a
    /// free loopback port; the component's environment is exactly `env` plus `PATH`. jco 1.35
    /// by its package path: `node_modules/.bin/jco` may be the older jco that js/ transpiles
    /// with (`jco-transpiler`), whichever npm linked first.
    fn jco(env: &[(&str, &str)]) -> Served {
        use std::os::unix::process::CommandExt;
        let js = PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("../js");
        let jco = js.join("node_modules/@bytecodealliance/jco/dist/jco.js");
        assert!(
            jco.exists(),
            "jco is missing: run `npm install` in js/ (scripts/test.sh does)"
        );
        let port = TcpListener::bind("127.0.0.1:0")
            .unwrap()
            .local_addr()
            .unwrap()
            .port();
        let mut command = Command::new("node");
        command
            .arg(jco)
            .current_dir(&js)
            .env_clear()
            .env("PATH", std::env::var_os("PATH").unwrap_or_default())
            .args(["serve", "--host", "127.0.0.1", "--port", &port.to_string()])
            .arg(endpoint_path())
            .stdout(Stdio::null())
            .stderr(Stdio::null())
            .process_group(0);
        for (k, v) in env {
            command.env(k, v);
        }
        let mut child = command.spawn().expect("jco serve starts");
        // jco transpiles first, then listens: wait for the port.
        let deadline = Instant::now() + Duration::from_secs(120);
        while TcpStream::connect(("127.0.0.1", port)).is_err() {
            assert!(child.try_wait().unwrap().is_none(), "jco serve exited");
            assert!(
                Instant::now() < deadline,
                "jco serve did not start listening"
            );
            std::thread::sleep(Duration::from_millis(100));
        }
        Served {
            addr: format!("127.0.0.1:{port}"),
            child,
            group: true,
            log: None,
        }
    }

    /// `wasmtime serve` (wasmtime-cli 48: `$WASMTIME`, else `target/tools/bin/wasmtime`, where
    /// `ensure_wasmtime` in scripts/common.sh installs it) running the same `.wasm` on a free
    /// loopback port, with the CLI interfaces (`-Scli`) and exactly the variables in `env`
    /// (`--env NAME`: the value comes from wasmtime's own environment, `env` plus `PATH`, and
    /// never from its command line); `args` go before the component.
    fn wasmtime(env: &[(&str, &str)], args: &[&str]) -> Served {
        let wasmtime = wasmtime_path();
        let mut command = Command::new(&wasmtime);
        command
            .env_clear()
            .env("PATH", std::env::var_os("PATH").unwrap_or_default())
            .args(["serve", "-Scli", "--addr", "127.0.0.1:0"])
            .args(args)
            .stdout(Stdio::null())
            .stderr(Stdio::piped());
        for (k, v) in env {
            command.arg("--env").arg(k).env(k, v);
        }
        command.arg(endpoint_path());
        let mut child = command
            .spawn()
            .unwrap_or_else(|e| panic!("{} serve starts: {e}", wasmtime.display()));
        // It compiles the component, then prints `Serving HTTP on http://<addr>/` on stderr;
        // the rest of stderr is read as it comes, so the server never blocks on it.
        let (tx, rx) = std::sync::mpsc::channel();
        let stderr = child.stderr.take().unwrap();
        let log = std::thread::spawn(move || {
            let mut rest = String::new();
            let mut serving = false;
            for line in BufReader::new(stderr).lines() {
                let Ok(line) = line else { break };
                if !serving && line.starts_with("Serving HTTP on http://") {
                    serving = true;
                    let _ = tx.send(line);
                } else {
                    rest.push_str(&line);
                    rest.push('\n');
                }
            }
            if !serving {
                let _ = tx.send(format!("(no `Serving HTTP` line) {rest}"));
            }
            rest
        });
        let line = rx
            .recv_timeout(Duration::from_secs(120))
            .expect("wasmtime serve listens");
        let Some(addr) = line
            .strip_prefix("Serving HTTP on http://")
            .and_then(|addr| addr.strip_suffix('/'))
        else {
            panic!("wasmtime serve did not start: {line}");
        };
        Served {
            addr: addr.to_string(),
            child,
            group: false,
            log: Some(log),
        }
    }

    /// One request on its own connection: status and body.
    fn request(&self, method: &str, target: &str, headers: &[(&str, &str)]) -> (u16, String) {
        let mut stream = TcpStream::connect(&self.addr).unwrap();
        stream
            .set_read_timeout(Some(Duration::from_secs(60)))
            .unwrap();
        let mut head =
            format!("{method} {target} HTTP/1.1\r\nHost: localhost\r\nConnection: close\r\n");
        for (name, value) in headers {
            head.push_str(&format!("{name}: {value}\r\n"));
        }
        head.push_str("\r\n");
        stream.write_all(head.as_bytes()).unwrap();
        let mut reply = Vec::new();
        stream.read_to_end(&mut reply).unwrap();
        let reply = String::from_utf8(reply).unwrap();
        let (head, body) = reply.split_once("\r\n\r\n").expect("a complete reply");
        let status = head.split(' ').nth(1).unwrap().parse().unwrap();
        (status, body.to_string())
    }

    /// `GET` with the token.
    fn get(&self, target: &str) -> (u16, String) {
        self.request("GET", target, &[("X-Aws-Parameters-Secrets-Token", TOKEN)])
    }

    /// `GET` with the token, the body as JSON.
    fn get_json(&self, target: &str) -> (u16, Value) {
        let (status, body) = self.get(target);
        let json = serde_json::from_str(&body).unwrap_or_else(|_| panic!("not JSON: {body}"));
        (status, json)
    }

    /// Stops the server and returns everything it printed.
    fn output(mut self) -> String {
        let _ = self.child.kill();
        if let Some(log) = self.log.take() {
            return log.join().unwrap();
        }
        let mut all = String::new();
        let _ = self.child.stdout.take().unwrap().read_to_string(&mut all);
        let _ = self.child.stderr.take().unwrap().read_to_string(&mut all);
        all
    }
}

impl Drop for Served {
    fn drop(&mut self) {
        if self.group {
            let _ = Command::new("kill")
                .args(["--", &format!("-{}", self.child.id())])
                .status();
        }
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

fn fixture_server(extra_env: &[(&str, &str)]) -> Served {
    let fixture = common::demo_fixture();
    let mut env = vec![
        ("AWS_ACCESS_KEY_ID", "AKIDEXAMPLE"),
        ("AWS_SECRET_ACCESS_KEY", "fixture-secret-key"),
    ];
    env.extend_from_slice(extra_env);
    Served::start(
        &env,
        &[
            "--backend-kwargs",
            r#"{"region_name": "eu-west-1"}"#,
            "--fixture",
            fixture.to_str().unwrap(),
        ],
    )
}

/// Every value in the demo fixture: none may appear in an error body or a log line.
const FIXTURE_SECRETS: [&str; 4] = ["s3cr", "t0ken", "hello from SSM", "fixture-secret-key"];

#[test]
fn every_route_against_the_fixture() {
    let served = fixture_server(&[("AWS_TOKEN", TOKEN)]);
    assert_eq!(served.request("GET", "/ping", &[]), (200, "healthy".into()));

    let (status, body) = served.get_json("/airflow/variables/greeting");
    assert_eq!(
        (status, body),
        (200, json!({"key": "greeting", "value": "hello from SSM"}))
    );
    let (status, body) = served.get_json("/airflow/variables/greeting?team=blue");
    assert_eq!(status, 200, "the plain name is the team fallback: {body}");
    let (status, body) = served.get_json("/airflow/config/sql_alchemy_conn");
    assert_eq!(status, 200);
    assert_eq!(
        body["value"],
        "postgresql+psycopg2://airflow:airflow@db.example.internal/airflow"
    );

    // The connection object is the CLI's, key for key.
    let (status, body) = served.get_json("/airflow/connections/demo_postgres");
    assert_eq!(status, 200, "{body}");
    let out = common::cli(
        &[("AWS_ACCESS_KEY_ID", "A"), ("AWS_SECRET_ACCESS_KEY", "s")],
        &[
            "--backend-kwargs",
            r#"{"region_name": "eu-west-1"}"#,
            "--fixture",
            common::demo_fixture().to_str().unwrap(),
            "get-connection",
            "demo_postgres",
        ],
    );
    let cli: Value = serde_json::from_slice(&out.stdout).unwrap();
    assert_eq!(body, cli);
    assert_eq!(body["password"], "s3cr@t");
    let keys: Vec<&str> = [
        "conn_id",
        "conn_type",
        "description",
        "host",
        "schema",
        "login",
    ]
    .into_iter()
    .chain(["password", "port", "extra", "uri"])
    .collect();
    assert_eq!(body.as_object().unwrap().len(), keys.len());
    for key in keys {
        assert!(body.get(key).is_some(), "{key} missing: {body}");
    }

    // The Lambda extension's route, for each kind of name.
    let (status, body) = served.get_json(
        "/systemsmanager/parameters/get?name=%2Fairflow%2Fvariables%2Fgreeting&withDecryption=true",
    );
    assert_eq!(
        (status, body),
        (
            200,
            json!({"Parameter": {"Name": "/airflow/variables/greeting", "Value": "hello from SSM"}})
        )
    );
    let (status, body) =
        served.get_json("/systemsmanager/parameters/get?name=/airflow/connections/demo_spark");
    assert_eq!(status, 200);
    assert_eq!(
        body["Parameter"]["Value"],
        "spark://spark%3A%2F%2Fspark-master-0.spark-master.spark:7077"
    );
    for refused in [
        "/systemsmanager/parameters/get?name=/airflow/variables/greeting&version=1",
        "/systemsmanager/parameters/get?name=/airflow/variables/greeting&label=prod",
        "/systemsmanager/parameters/get?name=/airflow/variables/greeting&withDecryption=false",
        "/systemsmanager/parameters/get?name=/elsewhere/x",
        "/systemsmanager/parameters/get",
        "/airflow/config/x?team=blue",
    ] {
        let (status, body) = served.get_json(refused);
        assert_eq!(
            (status, body["error"].as_str()),
            (400, Some("bad-request")),
            "{refused}"
        );
    }

    // Not found, and an AWS error with its status and code.
    let (status, body) = served.get_json("/airflow/variables/missing");
    assert_eq!(
        (status, body["code"].as_str()),
        (404, Some("ParameterNotFound"))
    );
    let (status, body) = served.get_json("/airflow/connections/missing");
    assert_eq!(status, 404, "{body}");
    let (status, body) = served.get_json("/airflow/variables/forbidden");
    assert_eq!(
        (status, body["error"].as_str(), body["code"].as_str()),
        (403, Some("access-denied"), Some("AccessDeniedException"))
    );

    // Warm instances: the same answers again, many times, on the same server.
    for _ in 0..20 {
        assert_eq!(served.get("/airflow/variables/greeting").0, 200);
    }
    let output = served.output();
    for secret in FIXTURE_SECRETS.iter().chain([&TOKEN]) {
        assert!(!output.contains(secret), "{output}");
    }
}

#[test]
fn the_guard() {
    let served = fixture_server(&[("AWS_SESSION_TOKEN", TOKEN)]);
    let route = "/airflow/variables/greeting";
    let mut bodies = Vec::new();
    let mut expect = |(status, body): (u16, String), want: u16, kind: &str| {
        assert_eq!(status, want, "{body}");
        let json: Value = serde_json::from_str(&body).unwrap();
        assert_eq!(json["error"], kind, "{body}");
        assert!(
            json["code"].is_string() && json["message"].is_string(),
            "{body}"
        );
        bodies.push(body);
    };
    expect(served.request("GET", route, &[]), 403, "forbidden");
    let wrong = "serve-test-token-0123456788";
    let header = |token| [("X-Aws-Parameters-Secrets-Token", token)];
    expect(
        served.request("GET", route, &header(wrong)),
        403,
        "forbidden",
    );
    expect(
        served.request("GET", route, &header("short")),
        403,
        "forbidden",
    );
    let forwarded = [
        ("X-Aws-Parameters-Secrets-Token", TOKEN),
        ("X-Forwarded-For", "203.0.113.9"),
    ];
    expect(served.request("GET", route, &forwarded), 400, "bad-request");
    expect(
        served.request("POST", route, &header(TOKEN)),
        405,
        "method-not-allowed",
    );
    expect(
        served.request("DELETE", route, &header(TOKEN)),
        405,
        "method-not-allowed",
    );
    expect(
        served.get("/secretsmanager/get?secretId=x"),
        404,
        "not-found",
    );
    expect(served.get("/airflow/"), 404, "not-found");
    let long = format!("/airflow/variables/{}", "a".repeat(3000));
    expect(served.get(&long), 400, "bad-request");
    let long = format!(
        "/systemsmanager/parameters/get?name=/airflow/variables/{}",
        "b".repeat(2100)
    );
    expect(served.get(&long), 400, "bad-request");
    expect(served.get("/airflow/variables/%ff"), 400, "bad-request");
    // The token passes the guard on the same server.
    assert_eq!(served.get(route).0, 200);

    let output = served.output();
    for text in bodies.iter().chain([&output]) {
        for secret in FIXTURE_SECRETS.iter().chain([&TOKEN, &wrong]) {
            assert!(!text.contains(secret), "{secret:?} in {text}");
        }
    }
}

#[test]
fn a_token_from_a_file_and_none_at_all() {
    let dir = std::env::temp_dir().join(format!("ssm-serve-token-{}", std::process::id()));
    std::fs::create_dir_all(&dir).unwrap();
    let file = dir.join("token");
    std::fs::write(&file, format!("{TOKEN}\n")).unwrap();
    let value = format!("file://{}", file.display());
    let served = fixture_server(&[("AWS_CONTAINER_AUTHORIZATION_TOKEN", value.as_str())]);
    assert_eq!(served.get("/airflow/variables/greeting").0, 200);
    drop(served);
    std::fs::remove_dir_all(&dir).unwrap();

    // No token: /ping answers, everything else is refused with a clear error, not a trap.
    let served = fixture_server(&[]);
    assert_eq!(served.request("GET", "/ping", &[]).0, 200);
    let (status, body) = served.get_json("/airflow/variables/greeting");
    assert_eq!((status, body["error"].as_str()), (500, Some("no-token")));
    assert!(body["message"].as_str().unwrap().contains("AWS_TOKEN"));
    // The server still serves after that.
    assert_eq!(served.get("/airflow/variables/greeting").0, 500);
    assert_eq!(served.request("GET", "/ping", &[]).0, 200);
}

#[test]
fn a_configuration_error_stops_the_start() {
    let out = common::cli(
        &[("AWS_TOKEN", TOKEN)],
        &[
            "--backend-kwargs",
            r#"{"connections_prefix": 5}"#,
            "serve",
            "--listen",
            "127.0.0.1:0",
        ],
    );
    let (stdout, stderr) = common::text(&out);
    assert_eq!(out.status.code(), Some(1), "{stdout}{stderr}");
    assert!(!stdout.contains("listening"), "{stdout}");
    assert!(
        stderr.contains("configuration error") && stderr.contains("connections_prefix"),
        "{stderr}"
    );
}

#[test]
fn sigterm_stops_it_cleanly() {
    let mut served = fixture_server(&[("AWS_TOKEN", TOKEN)]);
    assert_eq!(served.get("/airflow/variables/greeting").0, 200);
    let pid = served.child.id().to_string();
    assert!(
        Command::new("kill")
            .args(["-TERM", &pid])
            .status()
            .unwrap()
            .success()
    );
    let deadline = Instant::now() + Duration::from_secs(20);
    let status = loop {
        if let Some(status) = served.child.try_wait().unwrap() {
            break status;
        }
        assert!(Instant::now() < deadline, "still running after SIGTERM");
        std::thread::sleep(Duration::from_millis(20));
    };
    assert_eq!(status.code(), Some(0), "a clean stop");
}

/// A reply far larger than the host's body channel (two 4 KiB chunks) and a socket buffer:
/// the guest is still writing it when the response goes out, so the call must go on beside
/// hyper sending it, not block the connection; and the instance serves again afterwards.
#[test]
fn a_large_reply_streams_whole() {
    let value: String = (0..(512 * 1024))
        .map(|i| (b'a' + (i % 26) as u8) as char)
        .collect();
    let fixture = std::env::temp_dir().join(format!("serve-large-{}.json", std::process::id()));
    let parameters = json!({"parameters": {"/airflow/variables/large": value}});
    std::fs::write(&fixture, parameters.to_string()).unwrap();
    let served = Served::start(
        &[
            ("AWS_TOKEN", TOKEN),
            ("AWS_ACCESS_KEY_ID", "AKIDEXAMPLE"),
            ("AWS_SECRET_ACCESS_KEY", "fixture-secret-key"),
        ],
        &[
            "--backend-kwargs",
            r#"{"region_name": "eu-west-1", "cache_ttl_seconds": 60}"#,
            "--fixture",
            fixture.to_str().unwrap(),
        ],
    );
    for _ in 0..3 {
        let (status, body) = served.get_json("/airflow/variables/large");
        assert_eq!(status, 200);
        assert!(
            body["value"] == value.as_str(),
            "the whole value comes back"
        );
    }
    assert_eq!(served.request("GET", "/ping", &[]), (200, "healthy".into()));
    let _ = std::fs::remove_file(&fixture);
}

const WAREHOUSE_URI: &str = "postgresql://reporting:pa%24%24word@warehouse.internal:5439/dwh";

/// moto with four parameters and a reader: the server, `backend_kwargs` for it, and the
/// reader's key id and secret.
fn moto_with_parameters() -> (Moto, String, String, String) {
    let moto = Moto::start();
    let uri = WAREHOUSE_URI;
    let parameters = json!([
        {"name": "/airflow/variables/plain", "value": "a String value", "type": "String"},
        {"name": "/airflow/variables/secure", "value": "a SecureString value", "type": "SecureString"},
        {"name": "/airflow/connections/warehouse", "value": uri, "type": "SecureString"},
        {"name": "/airflow/config/fernet_key", "value": "fernet-from-ssm", "type": "SecureString"},
    ]);
    let keys = setup(&moto, &parameters);
    let kwargs = json!({"endpoint_url": moto.endpoint, "region_name": "us-east-1"}).to_string();
    let key = |name: &str| keys[name].as_str().unwrap().to_string();
    (moto, kwargs, key("access_key_id"), key("secret_access_key"))
}

#[test]
fn every_route_through_moto_with_signature_checking() {
    let (_moto, kwargs, key_id, secret) = moto_with_parameters();
    let (key_id, secret, uri) = (key_id.as_str(), secret.as_str(), WAREHOUSE_URI);
    let env = [
        ("AWS_ACCESS_KEY_ID", key_id),
        ("AWS_SECRET_ACCESS_KEY", secret),
        ("AWS_TOKEN", TOKEN),
    ];
    let served = Served::start(&env, &["--backend-kwargs", &kwargs]);

    assert_eq!(served.request("GET", "/ping", &[]).0, 200);
    let (status, body) = served.get_json("/airflow/variables/secure");
    assert_eq!(
        (status, body["value"].as_str()),
        (200, Some("a SecureString value"))
    );
    let (status, body) = served.get_json("/airflow/variables/plain?team=blue");
    assert_eq!(
        (status, body["value"].as_str()),
        (200, Some("a String value"))
    );
    let (status, body) = served.get_json("/airflow/config/fernet_key");
    assert_eq!(
        (status, body["value"].as_str()),
        (200, Some("fernet-from-ssm"))
    );
    let (status, body) = served.get_json("/airflow/connections/warehouse");
    assert_eq!(status, 200, "{body}");
    assert_eq!(
        (
            &body["conn_type"],
            &body["host"],
            &body["password"],
            &body["port"]
        ),
        (
            &json!("postgres"),
            &json!("warehouse.internal"),
            &json!("pa$$word"),
            &json!(5439)
        )
    );
    let (status, body) = served
        .get_json("/systemsmanager/parameters/get?name=%2Fairflow%2Fconnections%2Fwarehouse&withDecryption=true");
    assert_eq!(
        (status, body),
        (
            200,
            json!({"Parameter": {"Name": "/airflow/connections/warehouse", "Value": uri}})
        )
    );
    let (status, body) = served.get_json("/airflow/variables/missing");
    assert_eq!(
        (status, body["code"].as_str()),
        (404, Some("ParameterNotFound"))
    );
    let output = served.output();
    for text in [secret, "pa$$word", "fernet-from-ssm", TOKEN] {
        assert!(!output.contains(text), "{output}");
    }

    // Signed with a wrong secret: moto refuses the signature; the reply carries AWS's code and
    // status, and no secret.
    let wrong = "wrong-secret-0123456789abcdefghij";
    let env = [
        ("AWS_ACCESS_KEY_ID", key_id),
        ("AWS_SECRET_ACCESS_KEY", wrong),
        ("AWS_TOKEN", TOKEN),
    ];
    let served = Served::start(&env, &["--backend-kwargs", &kwargs]);
    let (status, body) = served.get("/airflow/variables/plain");
    let json: Value = serde_json::from_str(&body).unwrap();
    assert_eq!(json["code"], "SignatureDoesNotMatch", "{body}");
    assert!((400..500).contains(&status), "{status} {body}");
    let output = served.output();
    for text in [&body, &output] {
        for secret in [wrong, secret, TOKEN] {
            assert!(!text.contains(secret), "{text}");
        }
    }
}

/// The requests both runtimes answer, each with and without the token where it matters.
const SAME_REQUESTS: [(&str, &str, bool); 16] = [
    ("GET", "/ping", false),
    ("GET", "/airflow/variables/secure", true),
    ("GET", "/airflow/variables/plain?team=blue", true),
    ("GET", "/airflow/config/fernet_key", true),
    ("GET", "/airflow/connections/warehouse", true),
    ("GET", "/airflow/connections/missing", true),
    ("GET", "/airflow/connections/warehouse?format=raw", true),
    ("GET", "/airflow/variables/plain?format=raw", true),
    (
        "GET",
        "/systemsmanager/parameters/get?name=%2Fairflow%2Fconnections%2Fwarehouse&withDecryption=true",
        true,
    ),
    (
        "GET",
        "/systemsmanager/parameters/get?name=/airflow/variables/plain&version=2",
        true,
    ),
    ("GET", "/airflow/variables/missing", true),
    ("GET", "/airflow/variables/secure", false),
    ("POST", "/airflow/variables/secure", true),
    ("GET", "/unknown", true),
    ("GET", "/airflow/variables/%ff", true),
    ("GET", "/airflow/config/x?team=blue", true),
];

/// The 16 [`SAME_REQUESTS`], a request target over 2048 bytes and `X-Forwarded-For`, sent to
/// `other` and to `ours` (`host-example serve`): the same statuses and bodies. Returns how many
/// of them found something (200).
fn same_answers(other: &Served, ours: &Served) -> usize {
    let long = format!("/airflow/variables/{}", "a".repeat(3000));
    let forwarded = [
        ("X-Aws-Parameters-Secrets-Token", TOKEN),
        ("X-Forwarded-For", "203.0.113.9"),
    ];
    let mut found = 0;
    for (method, target, with_token) in
        SAME_REQUESTS
            .iter()
            .copied()
            .chain([("GET", long.as_str(), true)])
    {
        let headers: &[(&str, &str)] = if with_token {
            &[("X-Aws-Parameters-Secrets-Token", TOKEN)]
        } else {
            &[]
        };
        let want = ours.request(method, target, headers);
        let got = other.request(method, target, headers);
        assert_eq!(got, want, "{method} {target}");
        found += usize::from(want.0 == 200);
    }
    let route = "/airflow/variables/secure";
    assert_eq!(
        other.request("GET", route, &forwarded),
        ours.request("GET", route, &forwarded)
    );
    found
}

/// The composed endpoint in a runtime we did not write: `jco serve` (Node) gives the same
/// statuses and bodies as `host-example serve` (the sidecar, whose answers are native) for the
/// same requests against moto. Needs js/node_modules:
/// `scripts/test.sh` runs it after `npm install`.
#[test]
#[ignore = "needs jco (npm install in js/); run by scripts/test.sh"]
fn jco_serve_gives_the_same_bodies() {
    let (_moto, kwargs, key_id, secret) = moto_with_parameters();
    let env = [
        ("AWS_ACCESS_KEY_ID", key_id.as_str()),
        ("AWS_SECRET_ACCESS_KEY", secret.as_str()),
        ("AWS_TOKEN", TOKEN),
    ];
    let ours = Served::start(&env, &["--backend-kwargs", &kwargs]);
    let mut jco_env = env.to_vec();
    jco_env.push(("SSM_SECRETS_BACKEND_KWARGS", kwargs.as_str()));
    let jco = Served::jco(&jco_env);
    let found = same_answers(&jco, &ours);
    assert_eq!(found, 7, "the lookups that find something");
}

/// `$WASMTIME`, else `target/tools/bin/wasmtime` (`ensure_wasmtime` in scripts/common.sh).
fn wasmtime_path() -> PathBuf {
    if let Some(path) = std::env::var_os("WASMTIME") {
        return PathBuf::from(path);
    }
    let target = std::env::var_os("CARGO_TARGET_DIR")
        .map(PathBuf::from)
        .unwrap_or_else(|| PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("../target"));
    let path = target.join("tools/bin/wasmtime");
    assert!(
        path.exists(),
        "wasmtime is missing: {} (scripts/test.sh installs it with `ensure_wasmtime`)",
        path.display()
    );
    path
}

/// The composed endpoint in Bytecode Alliance's own server: `wasmtime serve` (wasmtime-cli 48,
/// `-Scli` and `--env` for the variables it needs) gives the same statuses and bodies as
/// `host-example serve` for the same requests against moto (signature checking on), with a new
/// instance for every request (its default for a WASIp2 component) and with instances kept
/// for 64 requests (`--max-instance-reuse-count`, which keeps the backend); neither its output
/// nor an error body holds a secret. Needs wasmtime-cli: `scripts/test.sh` runs it after
/// `ensure_wasmtime`.
#[test]
#[ignore = "needs wasmtime-cli 48 (ensure_wasmtime); run by scripts/test.sh"]
fn wasmtime_serve_gives_the_same_bodies() {
    let (_moto, kwargs, key_id, secret) = moto_with_parameters();
    let env = [
        ("AWS_ACCESS_KEY_ID", key_id.as_str()),
        ("AWS_SECRET_ACCESS_KEY", secret.as_str()),
        ("AWS_TOKEN", TOKEN),
    ];
    let ours = Served::start(&env, &["--backend-kwargs", &kwargs]);
    let mut wasmtime_env = env.to_vec();
    wasmtime_env.push(("SSM_SECRETS_BACKEND_KWARGS", kwargs.as_str()));
    for args in [&[][..], &["--max-instance-reuse-count", "64"]] {
        let wasmtime = Served::wasmtime(&wasmtime_env, args);
        let found = same_answers(&wasmtime, &ours);
        assert_eq!(found, 7, "the lookups that find something ({args:?})");
        // Warm or not, the same answer many times over.
        for _ in 0..10 {
            assert_eq!(
                wasmtime.get("/airflow/variables/plain"),
                ours.get("/airflow/variables/plain")
            );
        }
        let output = wasmtime.output();
        for text in [secret.as_str(), "pa$$word", "fernet-from-ssm", TOKEN] {
            assert!(!output.contains(text), "{output}");
        }
    }

    // Signed with a wrong secret: moto refuses it, and both say so alike, with no secret.
    let wrong = "wrong-secret-0123456789abcdefghij";
    let env = [
        ("AWS_ACCESS_KEY_ID", key_id.as_str()),
        ("AWS_SECRET_ACCESS_KEY", wrong),
        ("AWS_TOKEN", TOKEN),
        ("SSM_SECRETS_BACKEND_KWARGS", kwargs.as_str()),
    ];
    let wasmtime = Served::wasmtime(&env, &[]);
    let (status, body) = wasmtime.get("/airflow/variables/plain");
    let json: Value = serde_json::from_str(&body).unwrap();
    assert_eq!(json["code"], "SignatureDoesNotMatch", "{body}");
    assert!((400..500).contains(&status), "{status} {body}");
    let ours = Served::start(&env[..3], &["--backend-kwargs", &kwargs]);
    assert_eq!(ours.get("/airflow/variables/plain").0, status);
    let output = wasmtime.output();
    for text in [&body, &output] {
        for secret in [wrong, secret.as_str(), TOKEN] {
            assert!(!text.contains(secret), "{text}");
        }
    }

    // No token variable given to it: /ping answers, the rest is the clear `no-token` error.
    let env = [
        ("AWS_ACCESS_KEY_ID", key_id.as_str()),
        ("AWS_SECRET_ACCESS_KEY", secret.as_str()),
        ("SSM_SECRETS_BACKEND_KWARGS", kwargs.as_str()),
    ];
    let wasmtime = Served::wasmtime(&env, &[]);
    assert_eq!(wasmtime.request("GET", "/ping", &[]).0, 200);
    let (status, body) = wasmtime.get_json("/airflow/variables/plain");
    assert_eq!((status, body["error"].as_str()), (500, Some("no-token")));
}

#[test]
fn over_tls_and_through_a_proxy_to_moto() {
    use common::connect_proxy::ConnectProxy;
    use common::tls::{Pki, TlsFront, addr_of};

    let (moto, _kwargs, key_id, secret) = moto_with_parameters();
    let pki = Pki::new("serve");
    let front = TlsFront::start(pki.leaf(&["localhost"]), addr_of(&moto.endpoint));
    let proxy = ConnectProxy::start();
    let kwargs = json!({"endpoint_url": front.url(), "region_name": "us-east-1"}).to_string();
    let proxy_url = proxy.url(None);
    let env = [
        ("AWS_ACCESS_KEY_ID", key_id.as_str()),
        ("AWS_SECRET_ACCESS_KEY", secret.as_str()),
        ("AWS_TOKEN", TOKEN),
        ("AWS_CA_BUNDLE", pki.bundle.to_str().unwrap()),
        ("HTTPS_PROXY", proxy_url.as_str()),
    ];
    let served = Served::start(&env, &["--backend-kwargs", &kwargs]);
    let (status, body) = served.get_json("/airflow/variables/secure");
    assert_eq!(
        (status, body["value"].as_str()),
        (200, Some("a SecureString value")),
        "{body}"
    );
    let (status, body) = served.get_json("/airflow/connections/warehouse");
    assert_eq!(
        (status, &body["password"]),
        (200, &json!("pa$$word")),
        "{body}"
    );
    let tunnel = format!("CONNECT localhost:{} HTTP/1.1", front.addr.port());
    assert!(
        proxy.seen().iter().all(|seen| seen.line == tunnel) && !proxy.seen().is_empty(),
        "{:?}",
        proxy.seen()
    );
    let output = served.output();
    assert!(!output.contains(&secret), "{output}");
}
