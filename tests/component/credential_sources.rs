//! Credential sources that need the network, driven through the host's HTTP hook: IMDSv2 and
//! container credentials (with refresh before expiry), an expired token refreshed once, and
//! failures that name their source and hold no secret.

use crate::common;

use std::sync::{Arc, Mutex};
use std::time::{Duration, SystemTime};

use bytes::Bytes;
use host_example::egress::Handler;
use host_example::session::CallError;
use host_example::{Error, HttpError, Session, SessionOptions, Upstream};

const TEMP_SECRET: &str = "temporary-SECRET-from-metadata";
const TEMP_TOKEN: &str = "temporary-TOKEN-from-metadata";

fn credentials_json(key: &str, valid_for: Duration) -> String {
    serde_json::json!({
        "Code": "Success", "Type": "AWS-HMAC", "AccessKeyId": key,
        "SecretAccessKey": TEMP_SECRET, "Token": TEMP_TOKEN,
        "Expiration": ssm_secrets::timestamp::iso8601(SystemTime::now() + valid_for),
    })
    .to_string()
}

fn reply(status: u16, body: impl Into<Bytes>) -> http::Response<Bytes> {
    http::Response::builder()
        .status(status)
        .body(body.into())
        .unwrap()
}

/// Requests seen, as `METHOD uri`, plus the SSM requests' Authorization headers.
#[derive(Default, Clone)]
struct Log {
    lines: Arc<Mutex<Vec<String>>>,
    ssm_auth: Arc<Mutex<Vec<String>>>,
}

impl Log {
    fn count(&self, needle: &str) -> usize {
        self.lines
            .lock()
            .unwrap()
            .iter()
            .filter(|l| l.contains(needle))
            .count()
    }
}

/// A metadata service handing out credentials valid for `valid_for`, and an SSM that answers
/// `ssm_replies` in turn (then the value).
fn imds_and_ssm(valid_for: Duration, ssm_replies: Vec<http::Response<Bytes>>) -> (Handler, Log) {
    let log = Log::default();
    let replies = Arc::new(Mutex::new(ssm_replies));
    let seen = log.clone();
    let handler: Handler = Arc::new(move |request, _| {
        seen.lines
            .lock()
            .unwrap()
            .push(format!("{} {}", request.method(), request.uri()));
        let path = request.uri().path();
        match request.uri().host() {
            Some("169.254.169.254") => Ok(match (request.method().as_str(), path) {
                ("PUT", "/latest/api/token") => reply(200, "IMDSTOKEN"),
                (_, _)
                    if request
                        .headers()
                        .get("x-aws-ec2-metadata-token")
                        .is_none_or(|t| t != "IMDSTOKEN") =>
                {
                    reply(401, "")
                }
                ("GET", "/latest/meta-data/iam/security-credentials/") => {
                    reply(200, "instance-role")
                }
                ("GET", "/latest/meta-data/iam/security-credentials/instance-role") => {
                    reply(200, credentials_json("ASIAIMDS", valid_for))
                }
                _ => reply(404, ""),
            }),
            Some("169.254.170.2") => {
                assert_eq!(request.headers()["authorization"], "container-auth-token");
                Ok(reply(200, credentials_json("ASIACONTAINER", valid_for)))
            }
            _ => {
                seen.ssm_auth.lock().unwrap().push(
                    request.headers()["authorization"]
                        .to_str()
                        .unwrap()
                        .to_string(),
                );
                let next = replies.lock().unwrap().pop();
                Ok(next.unwrap_or_else(|| reply(200, r#"{"Parameter": {"Value": "v"}}"#)))
            }
        }
    });
    (handler, log)
}

fn session(handler: Handler, env: &[(&str, &str)]) -> Session {
    let mut options =
        SessionOptions::new(Upstream::Handler(handler)).env("AWS_DEFAULT_REGION", "eu-west-1");
    for (k, v) in env {
        options = options.env(k, v);
    }
    Session::open(common::runtime(), "{}", options).unwrap()
}

const CREDS_PATH: &str = "security-credentials/instance-role";

#[test]
fn imds_v2_credentials_are_cached_until_near_expiry() {
    let (handler, log) = imds_and_ssm(Duration::from_secs(3600), vec![]);
    let mut s = session(handler, &[]);
    assert_eq!(s.get_variable("a", None).unwrap().as_deref(), Some("v"));
    assert_eq!(s.get_variable("b", None).unwrap().as_deref(), Some("v"));
    assert_eq!(log.count("PUT http://169.254.169.254/latest/api/token"), 1);
    assert_eq!(
        log.count(CREDS_PATH),
        1,
        "an hour of validity: fetched once"
    );
    assert!(
        log.ssm_auth
            .lock()
            .unwrap()
            .iter()
            .all(|a| a.contains("Credential=ASIAIMDS/"))
    );
}

#[test]
fn credentials_within_five_minutes_of_expiry_are_refreshed() {
    let (handler, log) = imds_and_ssm(Duration::from_secs(240), vec![]);
    let mut s = session(handler, &[]);
    s.get_variable("a", None).unwrap();
    s.get_variable("b", None).unwrap();
    assert_eq!(
        log.count(CREDS_PATH),
        2,
        "4 minutes left: refreshed before the second lookup"
    );
}

#[test]
fn an_expired_token_is_refreshed_once_and_retried() {
    let expired = reply(
        400,
        r#"{"__type": "ExpiredTokenException", "message": "The security token included in the request is expired"}"#,
    );
    let (handler, log) = imds_and_ssm(Duration::from_secs(3600), vec![expired]);
    let mut s = session(handler, &[]);
    assert_eq!(s.get_variable("a", None).unwrap().as_deref(), Some("v"));
    assert_eq!(log.count(CREDS_PATH), 2);
    assert_eq!(log.ssm_auth.lock().unwrap().len(), 2);

    let twice = vec![
        reply(400, r#"{"__type": "ExpiredTokenException"}"#),
        reply(400, r#"{"__type": "ExpiredTokenException"}"#),
    ];
    let (handler, _) = imds_and_ssm(Duration::from_secs(3600), twice);
    let e = session(handler, &[]).get_variable("a", None).unwrap_err();
    assert!(
        matches!(e, CallError::Component(Error::Service(ref a)) if a.code == "ExpiredTokenException"),
        "{e}"
    );
}

#[test]
fn container_credentials_with_authorization_token() {
    let (handler, log) = imds_and_ssm(Duration::from_secs(3600), vec![]);
    let env = [
        (
            "AWS_CONTAINER_CREDENTIALS_RELATIVE_URI",
            "/v2/credentials/task",
        ),
        ("AWS_CONTAINER_AUTHORIZATION_TOKEN", "container-auth-token"),
    ];
    let mut s = session(handler, &env);
    assert_eq!(s.get_variable("a", None).unwrap().as_deref(), Some("v"));
    assert_eq!(log.count("GET http://169.254.170.2/v2/credentials/task"), 1);
    assert_eq!(
        log.count("169.254.169.254"),
        0,
        "no metadata service when a container source exists"
    );
    assert!(log.ssm_auth.lock().unwrap()[0].contains("Credential=ASIACONTAINER/"));
}

fn clean(e: &CallError) -> String {
    let text = e.to_string();
    for secret in [TEMP_SECRET, TEMP_TOKEN, common::SECRET_KEY] {
        assert!(!text.contains(secret), "{text}");
    }
    text
}

#[test]
fn failures_name_their_source() {
    let unreachable: Handler = Arc::new(|_, _| Err(HttpError::ConnectionRefused));
    let e = session(unreachable, &[])
        .get_variable("a", None)
        .unwrap_err();
    assert!(
        clean(&e).contains("instance metadata 169.254.169.254 unreachable"),
        "{e}"
    );

    let denied: Handler = Arc::new(|request, _| {
        Ok(match request.uri().host() {
            Some(h) if h.starts_with("sts.") => reply(
                403,
                format!(
                    "<ErrorResponse><Error><Code>AccessDenied</Code><Message>not allowed to assume; {}</Message></Error></ErrorResponse>",
                    common::SECRET_KEY
                ),
            ),
            _ => reply(200, r#"{"Parameter": {"Value": "v"}}"#),
        })
    });
    let options = SessionOptions::new(Upstream::Handler(denied))
        .env("AWS_ACCESS_KEY_ID", common::KEY_ID)
        .env("AWS_SECRET_ACCESS_KEY", common::SECRET_KEY);
    let kwargs =
        r#"{"region_name": "eu-west-1", "role_arn": "arn:aws:iam::123456789012:role/reader"}"#;
    let e = Session::open(common::runtime(), kwargs, options)
        .unwrap()
        .get_variable("a", None)
        .unwrap_err();
    let text = clean(&e);
    assert!(
        matches!(e, CallError::Component(Error::AccessDenied(_))),
        "{text}"
    );
    assert!(
        text.contains("assume role arn:aws:iam::123456789012:role/reader"),
        "{text}"
    );

    let options = SessionOptions::new(Upstream::Handler(Arc::new(|_, _| {
        Err(HttpError::ConnectionRefused)
    })));
    let e = Session::open(
        common::runtime(),
        r#"{"region_name": "eu-west-1", "profile_name": "missing"}"#,
        options.env("HOME", "/nonexistent"),
    )
    .unwrap()
    .get_variable("a", None)
    .unwrap_err();
    assert!(clean(&e).contains("profile `missing` not found"), "{e}");
}
