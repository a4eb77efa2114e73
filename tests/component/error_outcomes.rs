//! Each SSM outcome gives the documented result, and no error text ever holds a secret: the
//! credentials in play, or a parameter value that a broken reply happens to carry.

use crate::common;

use common::{Recorder, Reply, SECRET_KEY, SESSION_TOKEN};
use host_example::session::CallError;
use host_example::{Error, HttpError, Session};

const NAME: &str = "/airflow/variables/v";
const VALUE_SECRET: &str = "p4ssw0rd-VALUE-SECRET";

fn lookup(reply: Reply) -> Result<Option<String>, CallError> {
    let recorder = Recorder::new().reply(NAME, reply);
    let options = common::options(&recorder).env("AWS_SESSION_TOKEN", SESSION_TOKEN);
    let mut session = Session::open(common::runtime(), "{}", options).unwrap();
    session.get_variable("v", None)
}

fn error(reply: Reply) -> Error {
    match lookup(reply) {
        Err(CallError::Component(e)) => e,
        other => panic!("expected a component error, got {other:?}"),
    }
}

/// The error's text, checked to hold no secret.
fn clean_text(e: &Error) -> String {
    let text = format!("{} {e:?}", host_example::error_message(e));
    for secret in [SECRET_KEY, SESSION_TOKEN, VALUE_SECRET] {
        assert!(!text.contains(secret), "secret leaked: {text}");
    }
    text
}

fn aws(status: u16, code: &str, message: &str) -> Reply {
    Reply::AwsError(status, code.into(), message.into())
}

#[test]
fn found_and_not_found() {
    assert_eq!(
        lookup(Reply::Value("v1".into())).unwrap().as_deref(),
        Some("v1")
    );
    assert_eq!(
        lookup(aws(400, "ParameterNotFound", "Parameter /x not found.")).unwrap(),
        None
    );
    assert_eq!(
        lookup(Reply::Value(String::new())).unwrap().as_deref(),
        Some(""),
        "variables keep an empty value"
    );
}

#[test]
fn access_denied() {
    let e = error(aws(
        400,
        "AccessDeniedException",
        "User: arn:aws:iam::1:user/u is not authorized",
    ));
    assert!(
        matches!(&e, Error::AccessDenied(a) if a.code == "AccessDeniedException" && a.status == 400),
        "{e:?}"
    );
    assert!(clean_text(&e).contains("is not authorized"));
}

#[test]
fn throttling() {
    let e = error(aws(400, "ThrottlingException", "Rate exceeded"));
    assert!(
        matches!(&e, Error::Throttled(a) if a.code == "ThrottlingException"),
        "{e:?}"
    );
    let e = error(Reply::Raw(429, "text/plain", b"slow down".to_vec()));
    assert!(
        matches!(&e, Error::Throttled(a) if a.status == 429),
        "{e:?}"
    );
}

#[test]
fn server_errors_keep_their_code() {
    let e = error(aws(500, "InternalServerError", "m"));
    assert!(
        matches!(&e, Error::Service(a) if a.code == "InternalServerError" && a.status == 500),
        "{e:?}"
    );
    let page = format!("<html><body>502 Bad Gateway {VALUE_SECRET} {SECRET_KEY}</body></html>");
    let e = error(Reply::Raw(502, "text/html", page.into_bytes()));
    assert!(matches!(&e, Error::Service(a) if a.code == "502"), "{e:?}");
    clean_text(&e);
}

#[test]
fn malformed_bodies_are_invalid_values_that_quote_nothing() {
    let bodies: [Vec<u8>; 5] = [
        format!("{{\"Parameter\": {{\"Value\": \"{VALUE_SECRET}\"").into_bytes(),
        format!("{{\"Parameter\": {{\"Name\": \"{VALUE_SECRET}\", \"Value\": 7}}}}").into_bytes(),
        format!("<html>{VALUE_SECRET}</html>").into_bytes(),
        vec![0xff, 0xfe, 0x00, b'{'],
        Vec::new(),
    ];
    for body in bodies {
        let e = error(Reply::Raw(200, "application/x-amz-json-1.1", body));
        assert!(matches!(e, Error::InvalidValue(_)), "{e:?}");
        clean_text(&e);
    }
}

#[test]
fn aws_messages_that_echo_credentials_are_redacted() {
    let message = format!("The security token {SESSION_TOKEN} is invalid; key {SECRET_KEY}");
    let e = error(aws(400, "UnrecognizedClientException", &message));
    assert!(clean_text(&e).contains("<redacted>"));
}

#[test]
fn transport_failures_are_transport_errors() {
    let e = error(Reply::Fail(|| HttpError::ConnectionRefused));
    assert!(
        matches!(&e, Error::Transport(m) if m.contains("connection refused")),
        "{e:?}"
    );
    let e = error(Reply::Fail(|| HttpError::ConnectionReadTimeout));
    assert!(
        matches!(&e, Error::Transport(m) if m.contains("timed out")),
        "{e:?}"
    );
}

#[test]
fn oversize_reply_is_refused() {
    let big = format!(
        "{{\"Parameter\": {{\"Value\": \"{}\"}}}}",
        "x".repeat(2 * 1024 * 1024)
    );
    let e = error(Reply::Raw(
        200,
        "application/x-amz-json-1.1",
        big.into_bytes(),
    ));
    assert!(
        matches!(&e, Error::Transport(m) if m.contains("larger than")),
        "{e:?}"
    );
}

#[test]
fn requests_outside_the_policy_are_refused_by_the_host() {
    let recorder = Recorder::new().value(NAME, VALUE_SECRET);
    let mut options = common::options(&recorder);
    let only_us_east_1 = ssm_secrets::endpoint::Endpoint::regional("ssm", "us-east-1", true);
    options.policy = Some(host_example::EgressPolicy::deny_all().allow(&only_us_east_1));
    let mut session = Session::open(common::runtime(), "{}", options).unwrap();
    let e = match session.get_variable("v", None) {
        Err(CallError::Component(e)) => e,
        other => panic!("expected a refusal, got {other:?}"),
    };
    assert!(
        matches!(&e, Error::Transport(m) if m.contains("ssm.eu-west-1.amazonaws.com") && m.contains("refused")),
        "{e:?}"
    );
    assert!(recorder.seen().is_empty(), "nothing reached the upstream");
}

#[test]
fn missing_region_and_credentials_are_clear_errors() {
    let recorder = Recorder::new();
    let options =
        host_example::SessionOptions::new(host_example::Upstream::Handler(recorder.handler()))
            .env("AWS_EC2_METADATA_DISABLED", "true");
    let mut session = Session::open(
        common::runtime(),
        "{}",
        options
            .clone()
            .env("AWS_ACCESS_KEY_ID", "A")
            .env("AWS_SECRET_ACCESS_KEY", SECRET_KEY),
    )
    .unwrap();
    let e = session.get_variable("v", None).unwrap_err();
    assert!(
        matches!(&e, CallError::Component(Error::Configuration(m)) if m.contains("region")),
        "{e:?}"
    );
    let mut session = Session::open(
        common::runtime(),
        r#"{"region_name": "eu-west-1"}"#,
        options,
    )
    .unwrap();
    let e = session.get_variable("v", None).unwrap_err();
    assert!(
        matches!(&e, CallError::Component(Error::Credentials(_))),
        "{e:?}"
    );
    assert!(recorder.seen().is_empty());
}

#[test]
fn bad_kwargs_fail_at_open() {
    let recorder = Recorder::new();
    for kwargs in [
        "{",
        "[]",
        r#"{"connections_prefix": 1}"#,
        r#"{"variables_lookup_pattern": "("}"#,
    ] {
        match Session::open(common::runtime(), kwargs, common::options(&recorder)) {
            Err(CallError::Component(Error::Configuration(_))) => {}
            Err(other) => panic!("{kwargs}: {other}"),
            Ok(_) => panic!("{kwargs}: opened"),
        }
    }
}
