//! What the component puts on the wire: a SigV4-signed JSON 1.1 GetParameter to the endpoint
//! the configuration implies.

use crate::common;

use common::{KEY_ID, Recorder, SESSION_TOKEN};
use host_example::{Session, SessionOptions, Upstream};

fn one_request(kwargs: &str, options: SessionOptions, recorder: &Recorder) -> common::Seen {
    let mut session = Session::open(common::runtime(), kwargs, options).unwrap();
    session.get_variable("hello", None).unwrap();
    let seen = recorder.seen();
    assert_eq!(seen.len(), 1);
    seen.into_iter().next().unwrap()
}

fn unix_now() -> u64 {
    std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .unwrap()
        .as_secs()
}

/// `YYYYMMDD` (UTC) of a Unix time.
fn utc_date(secs: u64) -> String {
    let time = std::time::UNIX_EPOCH + std::time::Duration::from_secs(secs);
    ssm_secrets::timestamp::amz_date(time)[..8].to_string()
}

#[test]
fn request_is_a_signed_get_parameter() {
    let recorder = Recorder::new();
    let seen = one_request("{}", common::options(&recorder), &recorder);
    assert_eq!(seen.method, "POST");
    assert_eq!(seen.uri, "https://ssm.eu-west-1.amazonaws.com/");
    assert_eq!(seen.headers["x-amz-target"], "AmazonSSM.GetParameter");
    assert_eq!(seen.headers["content-type"], "application/x-amz-json-1.1");
    assert_eq!(
        seen.body,
        serde_json::json!({"Name": "/airflow/variables/hello", "WithDecryption": true})
    );
    assert_eq!(
        seen.headers["content-length"],
        seen.body.to_string().len().to_string()
    );

    let date = &seen.headers["x-amz-date"];
    assert_eq!(date.len(), 16, "{date}");
    let now = unix_now();
    let plausible = [utc_date(now), utc_date(now - 120)];
    assert!(
        plausible.iter().any(|d| date.starts_with(d.as_str())),
        "{date}"
    );
    assert!(date.ends_with('Z'), "{date}");
    let auth = &seen.headers["authorization"];
    let scope = format!(
        "AWS4-HMAC-SHA256 Credential={KEY_ID}/{}/eu-west-1/ssm/aws4_request, ",
        &date[..8]
    );
    assert!(auth.starts_with(&scope), "{auth}");
    assert!(
        auth.contains("SignedHeaders=content-type;host;x-amz-date;x-amz-target, Signature="),
        "{auth}"
    );
    let signature = auth.rsplit("Signature=").next().unwrap();
    assert_eq!(signature.len(), 64);
    assert!(signature.bytes().all(|b| b.is_ascii_hexdigit()));
    assert!(!seen.headers.contains_key("x-amz-security-token"));
}

#[test]
fn session_token_is_sent_and_signed() {
    let recorder = Recorder::new();
    let options = common::options(&recorder).env("AWS_SESSION_TOKEN", SESSION_TOKEN);
    let seen = one_request("{}", options, &recorder);
    assert_eq!(seen.headers["x-amz-security-token"], SESSION_TOKEN);
    assert!(seen.headers["authorization"].contains("x-amz-date;x-amz-security-token;x-amz-target"));
}

#[test]
fn kwargs_credentials_and_region_win() {
    let recorder = Recorder::new();
    let kwargs = r#"{"aws_access_key_id": "AKIDKWARGS", "aws_secret_access_key": "kw-secret", "aws_session_token": "kw-token", "region_name": "cn-north-1"}"#;
    let seen = one_request(kwargs, common::options(&recorder), &recorder);
    assert_eq!(seen.uri, "https://ssm.cn-north-1.amazonaws.com.cn/");
    assert!(seen.headers["authorization"].contains("Credential=AKIDKWARGS/"));
    assert!(seen.headers["authorization"].contains("/cn-north-1/ssm/aws4_request"));
    assert_eq!(seen.headers["x-amz-security-token"], "kw-token");
}

#[test]
fn endpoint_url_and_region_from_aws_region() {
    let recorder = Recorder::new();
    let options = SessionOptions::new(Upstream::Handler(recorder.handler()))
        .env("AWS_ACCESS_KEY_ID", KEY_ID)
        .env("AWS_SECRET_ACCESS_KEY", common::SECRET_KEY)
        .env("AWS_REGION", "us-gov-west-1");
    let seen = one_request(
        r#"{"endpoint_url": "http://127.0.0.1:4566"}"#,
        options,
        &recorder,
    );
    assert_eq!(seen.uri, "http://127.0.0.1:4566/");
    assert!(seen.headers["authorization"].contains("/us-gov-west-1/ssm/aws4_request"));
}

#[test]
fn timeouts_reach_the_host_capped() {
    use std::sync::{Arc, Mutex};
    let asked = Arc::new(Mutex::new(None));
    let record = asked.clone();
    let handler: host_example::egress::Handler = Arc::new(move |_request, options| {
        *record.lock().unwrap() = Some(*options);
        Err(host_example::HttpError::ConnectionRefused)
    });
    let options = SessionOptions::new(Upstream::Handler(handler))
        .env("AWS_ACCESS_KEY_ID", KEY_ID)
        .env("AWS_SECRET_ACCESS_KEY", common::SECRET_KEY)
        .env("AWS_DEFAULT_REGION", "eu-west-1");
    let mut session = Session::open(common::runtime(), "{}", options).unwrap();
    assert!(session.get_variable("x", None).is_err());
    let got = asked.lock().unwrap().expect("the handler ran");
    let caps = host_example::TimeoutCaps::default();
    assert_eq!(
        got.connect_timeout,
        Some(caps.connect),
        "60 s asked, capped"
    );
    assert_eq!(got.first_byte_timeout, Some(caps.first_byte));
}
