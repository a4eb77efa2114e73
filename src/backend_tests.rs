//! The lookup loop with a scripted transport and a fake clock: retries and their delays, the
//! retry quota, `x-amz-retry-after`, clock-skew correction and request timeouts. No sleeps.

use std::collections::HashMap;
use std::time::{Duration, UNIX_EPOCH};

use super::*;
use crate::error::ErrorKind;
use crate::platform::{FakeClock, TransportError};

const START: u64 = 1_795_000_000;

type Reply = Result<http::Response<Vec<u8>>, TransportError>;

struct Script {
    replies: Vec<Reply>,
    seen: Vec<http::Request<Vec<u8>>>,
}

impl Transport for Script {
    fn send(&mut self, request: http::Request<Vec<u8>>) -> Reply {
        self.seen.push(request);
        if self.replies.is_empty() {
            return value("v");
        }
        self.replies.remove(0)
    }
}

fn value(v: &str) -> Reply {
    Ok(http::Response::new(
        format!(r#"{{"Parameter": {{"Value": "{v}"}}}}"#).into_bytes(),
    ))
}

fn aws(status: u16, code: &str) -> Reply {
    Ok(http::Response::builder()
        .status(status)
        .body(format!(r#"{{"__type": "{code}", "message": "m"}}"#).into_bytes())
        .unwrap())
}

fn with_header(reply: Reply, name: &str, value: &str) -> Reply {
    reply.map(|mut r| {
        r.headers_mut().insert(
            http::HeaderName::from_bytes(name.as_bytes()).unwrap(),
            value.parse().unwrap(),
        );
        r
    })
}

fn dropped() -> Reply {
    Err(TransportError {
        message: "the connection was closed early".into(),
        retryable: true,
    })
}

struct Run {
    result: Result<Option<String>, Error>,
    sleeps: Vec<Duration>,
    requests: Vec<http::Request<Vec<u8>>>,
}

fn run_with(backend: &mut Backend, clock: &FakeClock, replies: Vec<Reply>) -> Run {
    let env: HashMap<String, String> = HashMap::from([
        ("AWS_ACCESS_KEY_ID".into(), "AKID".into()),
        ("AWS_SECRET_ACCESS_KEY".into(), "SECRETKEY-VALUE".into()),
        ("AWS_DEFAULT_REGION".into(), "eu-west-1".into()),
    ]);
    let fs: HashMap<&'static str, &'static str> = HashMap::new();
    let mut script = Script {
        replies,
        seen: Vec::new(),
    };
    let before = clock.sleeps().len();
    let result = {
        let mut platform = Platform {
            transport: &mut script,
            env: &env,
            clock,
            fs: &fs,
        };
        backend.get_value(&mut platform, Kind::Variable, "v", None)
    };
    Run {
        result,
        sleeps: clock.sleeps()[before..].to_vec(),
        requests: script.seen,
    }
}

fn run(kwargs: &str, replies: Vec<Reply>) -> Run {
    let clock = FakeClock::new(UNIX_EPOCH + Duration::from_secs(START));
    run_with(&mut Backend::new(kwargs).unwrap(), &clock, replies)
}

#[test]
fn throttling_then_success_is_retried_with_backoff() {
    let r = run(
        "{}",
        vec![
            aws(400, "ThrottlingException"),
            aws(429, "TooManyRequestsException"),
        ],
    );
    assert_eq!(r.result.unwrap().as_deref(), Some("v"));
    assert_eq!(r.requests.len(), 3);
    assert_eq!(r.sleeps.len(), 2);
    assert!(r.sleeps[0] < Duration::from_secs(1), "{:?}", r.sleeps);
    assert!(r.sleeps[1] < Duration::from_secs(2), "{:?}", r.sleeps);
}

#[test]
fn persistent_throttling_fails_after_the_configured_attempts() {
    let r = run("{}", vec![aws(400, "ThrottlingException"); 10]);
    let e = r.result.unwrap_err();
    assert!(matches!(e.kind(), ErrorKind::Throttled(_)), "{e}");
    assert!(e.to_string().contains("after 3 attempts"), "{e}");
    assert_eq!(r.requests.len(), 3);

    let r = run(
        r#"{"config_kwargs": {"retries": {"max_attempts": 4}}}"#,
        vec![aws(400, "ThrottlingException"); 10],
    );
    assert_eq!(
        r.requests.len(),
        5,
        "botocore's max_attempts counts retries"
    );
}

#[test]
fn server_faults_and_dropped_connections_are_transient() {
    for reply in [
        aws(500, "InternalServerError"),
        aws(502, "BadGateway"),
        aws(503, "ServiceUnavailable"),
        aws(504, "GatewayTimeout"),
        dropped(),
    ] {
        let r = run("{}", vec![reply]);
        assert_eq!(r.result.unwrap().as_deref(), Some("v"));
        assert_eq!(r.requests.len(), 2);
        assert!(
            r.sleeps[0] < Duration::from_millis(50),
            "transient base is 50 ms: {:?}",
            r.sleeps
        );
    }
}

#[test]
fn other_failures_are_not_retried() {
    let refused = Err(TransportError {
        message: "the host refused the request".into(),
        retryable: false,
    });
    for reply in [
        aws(400, "ValidationException"),
        aws(400, "AccessDeniedException"),
        aws(400, "ExpiredTokenException"),
        refused,
    ] {
        let r = run("{}", vec![reply]);
        assert!(r.result.is_err());
        assert_eq!(r.requests.len(), 1);
        assert!(r.sleeps.is_empty());
    }
}

#[test]
fn retry_after_header_stretches_the_delay() {
    let r = run(
        "{}",
        vec![with_header(
            aws(400, "ThrottlingException"),
            "x-amz-retry-after",
            "3000",
        )],
    );
    assert_eq!(r.result.unwrap().as_deref(), Some("v"));
    assert!(
        r.sleeps[0] >= Duration::from_secs(3) && r.sleeps[0] <= Duration::from_secs(6),
        "{:?}",
        r.sleeps
    );
}

#[test]
fn the_retry_quota_stops_a_retry_storm() {
    let clock = FakeClock::new(UNIX_EPOCH + Duration::from_secs(START));
    let mut backend =
        Backend::new(r#"{"config_kwargs": {"retries": {"total_max_attempts": 1000}}}"#).unwrap();
    let r = run_with(
        &mut backend,
        &clock,
        vec![aws(500, "InternalServerError"); 100],
    );
    let e = r.result.unwrap_err();
    assert!(e.to_string().contains("retry quota exhausted"), "{e}");
    assert_eq!(r.requests.len(), 36, "500 tokens pay 35 retries of 14");
    // Successes refill it.
    let r = run_with(&mut backend, &clock, vec![]);
    assert!(r.result.is_ok());
    assert_eq!(backend.quota.tokens(), 500 - 35 * 14 + 1);
}

#[test]
fn a_skewed_clock_is_corrected_from_the_date_header_and_kept() {
    let clock = FakeClock::new(UNIX_EPOCH + Duration::from_secs(START));
    let server_now = "Wed, 18 Nov 2026 12:06:40 GMT"; // START + 1 hour
    assert_eq!(
        skew::parse_http_date(server_now),
        Some(UNIX_EPOCH + Duration::from_secs(START + 3600))
    );
    let mut backend = Backend::new("{}").unwrap();
    let r = run_with(
        &mut backend,
        &clock,
        vec![with_header(
            aws(400, "InvalidSignatureException"),
            "date",
            server_now,
        )],
    );
    assert_eq!(r.result.unwrap().as_deref(), Some("v"));
    assert_eq!(r.requests.len(), 2);
    assert!(r.sleeps.is_empty(), "a skew retry is immediate");
    let date =
        |req: &http::Request<Vec<u8>>| req.headers()["x-amz-date"].to_str().unwrap().to_string();
    assert_eq!(date(&r.requests[0]), "20261118T110640Z");
    assert_eq!(date(&r.requests[1]), "20261118T120640Z");
    let r = run_with(&mut backend, &clock, vec![]);
    assert_eq!(
        date(&r.requests[0]),
        "20261118T120640Z",
        "the offset is kept"
    );

    // Without a usable Date, or with a small difference, there is nothing to correct.
    let r = run("{}", vec![aws(400, "InvalidSignatureException")]);
    assert_eq!((r.result.is_err(), r.requests.len()), (true, 1));
    let close = "Wed, 18 Nov 2026 11:07:40 GMT";
    let r = run(
        "{}",
        vec![with_header(
            aws(400, "SignatureDoesNotMatch"),
            "date",
            close,
        )],
    );
    assert_eq!((r.result.is_err(), r.requests.len()), (true, 1));
}

#[test]
fn timeouts_from_config_kwargs_travel_with_the_request() {
    let r = run(
        r#"{"config_kwargs": {"connect_timeout": 3, "read_timeout": 7.5}}"#,
        vec![],
    );
    let t = r.requests[0]
        .extensions()
        .get::<RequestTimeouts>()
        .copied()
        .unwrap();
    assert_eq!(
        (t.connect, t.read),
        (Duration::from_secs(3), Duration::from_millis(7500))
    );
    let r = run("{}", vec![]);
    let t = r.requests[0]
        .extensions()
        .get::<RequestTimeouts>()
        .copied()
        .unwrap();
    assert_eq!(
        (t.connect, t.read),
        (Duration::from_secs(60), Duration::from_secs(60))
    );
}

#[test]
fn no_secret_in_errors_after_retries() {
    let leak = Err(TransportError {
        message: "reset; SECRETKEY-VALUE".into(),
        retryable: true,
    });
    let r = run("{}", vec![leak.clone(), leak.clone(), leak]);
    let e = r.result.unwrap_err();
    assert!(!e.to_string().contains("SECRETKEY-VALUE"), "{e}");
}
