//! Shared test harness: the built component compiled once per test process, and an HTTP
//! handler that records every request and answers from a script.
#![allow(dead_code)]

use std::collections::HashMap;
use std::path::PathBuf;
use std::sync::{Arc, Mutex, OnceLock};

use bytes::Bytes;
use host_example::egress::Handler;
use host_example::{Runtime, Session, SessionOptions, Upstream};

/// The component under test: `$SSM_SECRETS_COMPONENT`, else the build output in this workspace.
pub fn component_path() -> PathBuf {
    if let Some(path) = std::env::var_os("SSM_SECRETS_COMPONENT") {
        return PathBuf::from(path);
    }
    let target = std::env::var_os("CARGO_TARGET_DIR")
        .map(PathBuf::from)
        .unwrap_or_else(|| PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("target"));
    target.join("wasm32-wasip2/component/ssm_secrets.wasm")
}

/// The runtime, compiled on first use and shared by every test in the process.
pub fn runtime() -> &'static Runtime {
    static RUNTIME: OnceLock<Runtime> = OnceLock::new();
    RUNTIME.get_or_init(|| {
        let path = component_path();
        assert!(
            path.exists(),
            "the component {} is missing: run `bash scripts/test.sh`, or build it with \
             `cargo build --target wasm32-wasip2 --profile component`",
            path.display()
        );
        Runtime::from_file(&path).expect("the component compiles")
    })
}

/// A request as the handler saw it.
#[derive(Debug, Clone)]
pub struct Seen {
    pub method: String,
    pub uri: String,
    pub headers: HashMap<String, String>,
    pub body: serde_json::Value,
}

impl Seen {
    /// The `Name` of a GetParameter request.
    pub fn name(&self) -> &str {
        self.body["Name"].as_str().unwrap_or("")
    }
}

/// One scripted reply.
#[derive(Debug, Clone)]
pub enum Reply {
    /// 200 with this parameter value.
    Value(String),
    /// An SSM JSON error: status, `__type`, message.
    AwsError(u16, String, String),
    /// Any status with any content type and body.
    Raw(u16, &'static str, Vec<u8>),
    /// The host fails the exchange.
    Fail(fn() -> host_example::HttpError),
}

/// Records requests; answers from `replies` by parameter name, else `ParameterNotFound`.
#[derive(Clone, Default)]
pub struct Recorder {
    pub seen: Arc<Mutex<Vec<Seen>>>,
    pub replies: Arc<Mutex<HashMap<String, Reply>>>,
}

impl Recorder {
    pub fn new() -> Self {
        Self::default()
    }

    pub fn reply(self, name: &str, reply: Reply) -> Self {
        self.replies.lock().unwrap().insert(name.to_string(), reply);
        self
    }

    pub fn value(self, name: &str, value: &str) -> Self {
        self.reply(name, Reply::Value(value.to_string()))
    }

    pub fn seen(&self) -> Vec<Seen> {
        self.seen.lock().unwrap().clone()
    }

    /// The `Names` of each `GetParameters` request, in order.
    pub fn batches(&self) -> Vec<Vec<String>> {
        self.seen()
            .iter()
            .filter(|s| {
                s.headers
                    .get("x-amz-target")
                    .is_some_and(|t| t == "AmazonSSM.GetParameters")
            })
            .map(|s| {
                s.body["Names"]
                    .as_array()
                    .unwrap()
                    .iter()
                    .map(|n| n.as_str().unwrap().to_string())
                    .collect()
            })
            .collect()
    }

    /// The parameter names of the SSM requests, in order.
    pub fn names(&self) -> Vec<String> {
        self.seen()
            .iter()
            .filter(|s| s.headers.contains_key("x-amz-target"))
            .map(|s| s.name().to_string())
            .collect()
    }

    pub fn handler(&self) -> Handler {
        let me = self.clone();
        Arc::new(move |request, _options| {
            let seen = Seen {
                method: request.method().to_string(),
                uri: request.uri().to_string(),
                headers: request
                    .headers()
                    .iter()
                    .map(|(k, v)| (k.to_string(), v.to_str().unwrap_or("").to_string()))
                    .collect(),
                body: serde_json::from_slice(request.body()).unwrap_or(serde_json::Value::Null),
            };
            let name = seen.name().to_string();
            let is_sts = request.uri().host().is_some_and(|h| h.starts_with("sts."));
            me.seen.lock().unwrap().push(seen);
            if is_sts {
                return Ok(sts_credentials("ASIAASSUMED"));
            }
            let batch = request
                .headers()
                .get("x-amz-target")
                .is_some_and(|t| t == "AmazonSSM.GetParameters");
            if batch {
                let replies = me.replies.lock().unwrap();
                let names: Vec<String> =
                    serde_json::from_slice::<serde_json::Value>(request.body()).unwrap()["Names"]
                        .as_array()
                        .unwrap()
                        .iter()
                        .map(|n| n.as_str().unwrap().to_string())
                        .collect();
                let (mut found, mut invalid) = (Vec::new(), Vec::new());
                for n in &names {
                    match replies.get(n) {
                        Some(Reply::Value(v)) => {
                            found.push(serde_json::json!({"Name": n, "Type": "String", "Value": v}))
                        }
                        _ => invalid.push(n.clone()),
                    }
                }
                return Ok(json(
                    200,
                    serde_json::json!({"Parameters": found, "InvalidParameters": invalid}),
                ));
            }
            let reply = me.replies.lock().unwrap().get(&name).cloned();
            Ok(match reply {
                Some(Reply::Value(v)) => json(
                    200,
                    serde_json::json!({"Parameter": {"Name": name, "Type": "SecureString", "Value": v, "Version": 1}}),
                ),
                Some(Reply::AwsError(status, code, message)) => json(
                    status,
                    serde_json::json!({"__type": code, "message": message}),
                ),
                Some(Reply::Raw(status, content_type, body)) => http::Response::builder()
                    .status(status)
                    .header("content-type", content_type)
                    .body(Bytes::from(body))
                    .unwrap(),
                Some(Reply::Fail(error)) => return Err(error()),
                None => json(400, serde_json::json!({"__type": "ParameterNotFound"})),
            })
        })
    }
}

/// An STS `AssumeRole` reply with temporary credentials valid for an hour.
pub fn sts_credentials(key_id: &str) -> http::Response<Bytes> {
    let xml = format!(
        "<AssumeRoleResponse><AssumeRoleResult><Credentials><AccessKeyId>{key_id}</AccessKeyId>\
         <SecretAccessKey>assumed-secret</SecretAccessKey><SessionToken>assumed-token</SessionToken>\
         <Expiration>2099-01-01T00:00:00Z</Expiration></Credentials></AssumeRoleResult></AssumeRoleResponse>"
    );
    http::Response::builder()
        .status(200)
        .header("content-type", "text/xml")
        .body(Bytes::from(xml))
        .unwrap()
}

fn json(status: u16, body: serde_json::Value) -> http::Response<Bytes> {
    http::Response::builder()
        .status(status)
        .header("content-type", "application/x-amz-json-1.1")
        .body(Bytes::from(body.to_string()))
        .unwrap()
}

pub const KEY_ID: &str = "AKIDTESTEXAMPLE";
pub const SECRET_KEY: &str = "wJalrXUtnFEMI-TEST-SECRET-KEY-VALUE";
pub const SESSION_TOKEN: &str = "FwoGZXIvYXdzEXAMPLE-SESSION-TOKEN-VALUE";

/// Options with static test credentials and a region in the environment.
pub fn options(recorder: &Recorder) -> SessionOptions {
    SessionOptions::new(Upstream::Handler(recorder.handler()))
        .env("AWS_ACCESS_KEY_ID", KEY_ID)
        .env("AWS_SECRET_ACCESS_KEY", SECRET_KEY)
        .env("AWS_DEFAULT_REGION", "eu-west-1")
}

/// Opens a backend with `kwargs` against `recorder`.
pub fn open(kwargs: &str, recorder: &Recorder) -> Session {
    Session::open(runtime(), kwargs, options(recorder)).expect("the backend opens")
}
