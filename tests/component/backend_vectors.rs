//! Airflow's own lookups, replayed against the component: every `parameter_name_vectors` entry
//! of `tests/data/airflow-backend-vectors.json` (produced by running provider 9.39.0) gives the
//! same SSM names, in the same order, and the same value, "not found" or error.

use crate::common;

use common::{Recorder, Reply};
use host_example::session::CallError;
use host_example::{Error, Session, SessionOptions, Upstream};
use serde_json::Value;

/// A shared config file with the profile `p` that vector 52 names (static keys, so the
/// assume-role call it makes is signed with them).
fn profile_dir() -> &'static std::path::Path {
    static DIR: std::sync::OnceLock<std::path::PathBuf> = std::sync::OnceLock::new();
    DIR.get_or_init(|| {
        let dir = std::env::temp_dir().join(format!("ssm-secrets-vectors-{}", std::process::id()));
        std::fs::create_dir_all(&dir).unwrap();
        std::fs::write(
            dir.join("config"),
            "[profile p]\naws_access_key_id = AKIDPROFILEP\naws_secret_access_key = p-secret\n",
        )
        .unwrap();
        dir
    })
}

/// The AWS error code in a recorded botocore message, e.g.
/// `ClientError: An error occurred (AccessDeniedException) when ...`.
fn error_code(text: &str) -> Option<&str> {
    let start = text.find("An error occurred (")? + "An error occurred (".len();
    let end = start + text[start..].find(')')?;
    Some(&text[start..end])
}

fn run(vector: &Value) -> (Recorder, Result<Option<String>, CallError>) {
    let mut kwargs = vector["backend_kwargs"].clone();
    if vector["multi_team"].as_bool() == Some(true) {
        kwargs["multi_team"] = Value::Bool(true);
    }
    let mut recorder = Recorder::new();
    let mut no_credentials = false;
    for (name, value) in vector["store"].as_object().unwrap() {
        let value = value.as_str().unwrap();
        recorder = match value.strip_prefix("<GetParameter raises: ") {
            Some(raised) if raised.starts_with("NoCredentialsError") => {
                no_credentials = true;
                recorder
            }
            Some(raised) => {
                let code = error_code(raised).expect("a botocore error with a code");
                let status = if code == "InternalServerError" {
                    500
                } else {
                    400
                };
                recorder.reply(name, Reply::AwsError(status, code.into(), "m".into()))
            }
            None => recorder.value(name, value),
        };
    }
    let options = if no_credentials {
        SessionOptions::new(Upstream::Handler(recorder.handler()))
            .env("AWS_DEFAULT_REGION", "eu-west-1")
            .env("AWS_EC2_METADATA_DISABLED", "true")
    } else {
        common::options(&recorder)
    }
    .env(
        "AWS_CONFIG_FILE",
        profile_dir().join("config").to_str().unwrap(),
    );
    let mut session =
        Session::open(common::runtime(), &kwargs.to_string(), options).expect("the backend opens");
    let id = vector["id"].as_str().unwrap();
    let team = vector["team_name"].as_str();
    let result = match vector["method"].as_str().unwrap() {
        "get_conn_value" => session.get_conn_value(id, team),
        "get_variable" => session.get_variable(id, team),
        "get_config" => session.get_config(id),
        other => panic!("unknown method {other}"),
    };
    (recorder, result)
}

#[test]
fn parameter_name_vectors() {
    let data: Value =
        serde_json::from_str(include_str!("../data/airflow-backend-vectors.json")).unwrap();
    let vectors = data["parameter_name_vectors"].as_array().unwrap();
    for vector in vectors {
        let (recorder, result) = run(vector);
        let expected_error = vector["error"].as_str();
        let context = format!("vector {vector}");
        let requested: Vec<String> = vector["requested_names"]
            .as_array()
            .unwrap()
            .iter()
            .map(|n| n.as_str().unwrap().to_string())
            .collect();

        for seen in recorder
            .seen()
            .iter()
            .filter(|s| s.headers.contains_key("x-amz-target"))
        {
            assert_eq!(seen.body["WithDecryption"], Value::Bool(true), "{context}");
        }
        match (expected_error, result) {
            (None, Ok(value)) => {
                assert_eq!(recorder.names(), requested, "{context}");
                assert_eq!(value.as_deref(), vector["result"].as_str(), "{context}");
            }
            (Some(error), Err(CallError::Component(got)))
                if error.starts_with("NoCredentialsError") =>
            {
                assert!(matches!(got, Error::Credentials(_)), "{context}: {got:?}");
                // botocore fails while signing; so do we, before anything is sent.
                assert!(recorder.seen().is_empty(), "{context}");
            }
            (Some(error), Err(CallError::Component(got))) => {
                let code = error_code(error).unwrap();
                let got_code = match &got {
                    Error::AccessDenied(e) | Error::Throttled(e) | Error::Service(e) => {
                        e.code.as_str()
                    }
                    other => panic!("{context}: expected an AWS error, got {other:?}"),
                };
                assert_eq!(got_code, code, "{context}");
                // The vectors recorded calls above botocore's retry layer; we record HTTP
                // attempts, so a retried name repeats: 3 attempts for a retryable error (the
                // standard mode's default), 1 for the others.
                let mut names = recorder.names();
                let attempts = names.len();
                names.dedup();
                assert_eq!(names, requested, "{context}");
                let retryable = code == "InternalServerError";
                assert_eq!(attempts, if retryable { 3 } else { 1 }, "{context}");
            }
            (expected, got) => panic!("{context}: expected error {expected:?}, got {got:?}"),
        }
        if vector["backend_kwargs"].get("role_arn").is_some() {
            let seen = recorder.seen();
            let sts: Vec<_> = seen
                .iter()
                .filter(|s| s.uri.starts_with("https://sts.eu-west-1."))
                .collect();
            assert_eq!(sts.len(), 1, "{context}: one AssumeRole");
            assert!(
                sts[0].headers["authorization"].contains("Credential=AKIDPROFILEP/"),
                "{context}"
            );
            let ssm = seen
                .iter()
                .find(|s| s.headers.contains_key("x-amz-target"))
                .unwrap();
            assert!(
                ssm.headers["authorization"].contains("Credential=ASIAASSUMED/"),
                "{context}"
            );
        }
    }
}
