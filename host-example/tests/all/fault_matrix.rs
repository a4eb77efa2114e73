//! The fault matrix: each failure SSM or the network can produce, run against the component
//! twice, through the host's HTTP hook and through a real loopback HTTP server, with the
//! documented outcome and attempt count, and no secret in any error text. `cargo test --release
//! -p host-example --test fault_matrix -- --nocapture` prints the table that the README shows.
//!
//! The loopback cases go through the host's pooled network upstream; two more cases exist only
//! there: a kept-alive connection that the server closes while idle, and one it resets after
//! reading a request (tests/all/common/ssm_mock.rs serves them).

use crate::common;

use std::io::{Read, Write};
use std::net::{TcpListener, TcpStream};
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant, SystemTime};

use bytes::Bytes;
use common::ssm_mock::{SsmMock, SsmMockBuilder};
use host_example::egress::Handler;
use host_example::session::CallError;
use host_example::{Error, HttpError, Session, SessionOptions, Upstream};
use ssm_secrets::timestamp;

const SECRET_KEY: &str = "matrix-SECRET-ACCESS-KEY-value";
const PARAMETER_SECRET: &str = "matrix-PARAMETER-VALUE-secret";

/// What the server does on one attempt.
#[derive(Clone, Copy, Debug)]
enum Act {
    Value,
    Aws(u16, &'static str),
    Html502,
    Malformed,
    Oversize,
    /// `InvalidSignatureException` with a `Date` an hour ahead, unless the request is signed
    /// within 5 minutes of that.
    SkewedServer,
    ResetMidBody,
    NeverAnswers,
    Refused,
}

/// The outcome a scenario must have.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum Want {
    Value,
    Throttled,
    Service(&'static str),
    Transport(&'static str),
    InvalidValue,
}

struct Scenario {
    name: &'static str,
    kwargs: &'static str,
    acts: &'static [Act],
    want: Want,
    attempts: usize,
}

const SCENARIOS: &[Scenario] = &[
    Scenario {
        name: "throttling, then success",
        kwargs: "{}",
        acts: &[
            Act::Aws(400, "ThrottlingException"),
            Act::Aws(400, "ThrottlingException"),
            Act::Value,
        ],
        want: Want::Value,
        attempts: 3,
    },
    Scenario {
        name: "throttling that persists",
        kwargs: "{}",
        acts: &[Act::Aws(400, "ThrottlingException"); 3],
        want: Want::Throttled,
        attempts: 3,
    },
    Scenario {
        name: "HTTP 500, then success",
        kwargs: "{}",
        acts: &[Act::Aws(500, "InternalServerError"), Act::Value],
        want: Want::Value,
        attempts: 2,
    },
    Scenario {
        name: "HTTP 502, then success",
        kwargs: "{}",
        acts: &[Act::Aws(502, "BadGateway"), Act::Value],
        want: Want::Value,
        attempts: 2,
    },
    Scenario {
        name: "HTTP 503, then success",
        kwargs: "{}",
        acts: &[Act::Aws(503, "ServiceUnavailable"), Act::Value],
        want: Want::Value,
        attempts: 2,
    },
    Scenario {
        name: "HTTP 504, then success",
        kwargs: "{}",
        acts: &[Act::Aws(504, "GatewayTimeout"), Act::Value],
        want: Want::Value,
        attempts: 2,
    },
    Scenario {
        name: "connection refused",
        kwargs: "{}",
        acts: &[Act::Refused; 3],
        want: Want::Transport("connection refused"),
        attempts: 3,
    },
    Scenario {
        name: "reset mid-body, then success",
        kwargs: "{}",
        acts: &[Act::ResetMidBody, Act::Value],
        want: Want::Value,
        attempts: 2,
    },
    Scenario {
        name: "never answers (read_timeout 1 s, 1 attempt)",
        kwargs: r#"{"config_kwargs": {"read_timeout": 1, "retries": {"total_max_attempts": 1}}}"#,
        acts: &[Act::NeverAnswers],
        want: Want::Transport("timed out"),
        attempts: 1,
    },
    Scenario {
        name: "clock skewed by an hour",
        kwargs: "{}",
        acts: &[Act::SkewedServer, Act::SkewedServer],
        want: Want::Value,
        attempts: 2,
    },
    Scenario {
        name: "expired token (static keys)",
        kwargs: "{}",
        acts: &[Act::Aws(400, "ExpiredTokenException")],
        want: Want::Service("ExpiredTokenException"),
        attempts: 1,
    },
    Scenario {
        name: "oversize body (2 MiB)",
        kwargs: "{}",
        acts: &[Act::Oversize],
        want: Want::Transport("larger than"),
        attempts: 1,
    },
    Scenario {
        name: "malformed JSON",
        kwargs: "{}",
        acts: &[Act::Malformed],
        want: Want::InvalidValue,
        attempts: 1,
    },
    Scenario {
        name: "HTML error page (502)",
        kwargs: "{}",
        acts: &[Act::Html502; 3],
        want: Want::Service("502"),
        attempts: 3,
    },
];

/// A case of the pooled network upstream: one lookup opens a kept-alive connection, then the
/// server misbehaves on it and a second lookup must still get the right value.
struct PooledScenario {
    name: &'static str,
    mock: fn(SsmMockBuilder) -> SsmMockBuilder,
    /// Between the two lookups.
    pause: Duration,
    /// Attempts of the second lookup.
    attempts: usize,
    connections: usize,
}

const POOLED: &[PooledScenario] = &[
    PooledScenario {
        name: "idle kept-alive connection closed by the server (pooled)",
        mock: |m| m.idle_close(Duration::from_millis(100)),
        pause: Duration::from_millis(400),
        attempts: 1,
        connections: 2,
    },
    PooledScenario {
        name: "reset after reading the request, reused connection (pooled)",
        mock: |m| m.reset_when(|seen| seen.connection == 0 && seen.on_connection == 1),
        pause: Duration::ZERO,
        attempts: 2,
        connections: 2,
    },
];

/// Runs a pooled case; returns (outcome text, attempts of the second lookup, its time).
fn run_pooled(scenario: &PooledScenario) -> (String, usize, Duration) {
    let mock = (scenario.mock)(SsmMock::builder("pooled").value(|_| "ok".into())).start();
    let kwargs = serde_json::json!({ "endpoint_url": mock.url() }).to_string();
    let mut session =
        Session::open(common::runtime(), &kwargs, options(Upstream::Network)).unwrap();
    let context = scenario.name;
    assert_eq!(
        session.get_variable("v", None).unwrap().as_deref(),
        Some("ok"),
        "{context}: first lookup"
    );
    std::thread::sleep(scenario.pause);
    let started = Instant::now();
    let result = session.get_variable("v", None);
    let elapsed = started.elapsed();
    let text = match &result {
        Ok(v) => format!("value {v:?}"),
        Err(e) => e.to_string(),
    };
    for secret in [SECRET_KEY, PARAMETER_SECRET] {
        assert!(!text.contains(secret), "{context}: secret in {text}");
    }
    assert!(
        matches!(&result, Ok(Some(v)) if v == "ok"),
        "{context}: want the value, got {text}"
    );
    let attempts = mock.requests() - 1;
    assert_eq!(attempts, scenario.attempts, "{context}: attempts");
    assert_eq!(
        mock.connections(),
        scenario.connections,
        "{context}: connections"
    );
    (text, attempts, elapsed)
}

/// `x-amz-date` (`YYYYMMDDTHHMMSSZ`) as seconds since the epoch, for the skew check.
fn amz_date_secs(text: &str) -> i64 {
    let at = timestamp::parse_amz_date(text).expect("an x-amz-date");
    at.duration_since(SystemTime::UNIX_EPOCH).unwrap().as_secs() as i64
}

/// A complete reply for `act`, given the request's `x-amz-date`; `None` for acts that are not
/// a plain reply.
/// A reply: status, headers, body.
type Canned = (u16, Vec<(&'static str, String)>, Vec<u8>);

fn reply(act: Act, amz_date: &str) -> Option<Canned> {
    let json = |status, body: String| {
        Some((
            status,
            vec![("content-type", "application/x-amz-json-1.1".to_string())],
            body.into_bytes(),
        ))
    };
    match act {
        Act::Value => json(
            200,
            r#"{"Parameter": {"Name": "/airflow/variables/v", "Value": "ok", "Version": 1}}"#
                .to_string(),
        ),
        Act::Aws(status, code) => json(
            status,
            format!(r#"{{"__type": "{code}", "message": "injected fault"}}"#),
        ),
        Act::Html502 => Some((
            502,
            vec![("content-type", "text/html".into())],
            format!("<html><body><h1>502 Bad Gateway</h1>{PARAMETER_SECRET}</body></html>")
                .into_bytes(),
        )),
        Act::Malformed => json(
            200,
            format!(r#"{{"Parameter": {{"Value": "{PARAMETER_SECRET}""#),
        ),
        Act::Oversize => json(
            200,
            format!(
                r#"{{"Parameter": {{"Value": "{}"}}}}"#,
                "x".repeat(2 * 1024 * 1024)
            ),
        ),
        Act::SkewedServer => {
            let server_now = SystemTime::now() + Duration::from_secs(3600);
            let server_secs = server_now
                .duration_since(SystemTime::UNIX_EPOCH)
                .unwrap()
                .as_secs() as i64;
            if (amz_date_secs(amz_date) - server_secs).abs() < 300 {
                return reply(Act::Value, amz_date);
            }
            let mut r = json(
                400,
                r#"{"__type": "InvalidSignatureException", "message": "Signature expired"}"#
                    .to_string(),
            )?;
            r.1.push(("date", timestamp::http_date(server_now)));
            Some(r)
        }
        Act::ResetMidBody | Act::NeverAnswers | Act::Refused => None,
    }
}

/// The hook variant: acts become canned responses or host errors.
fn hook(acts: &'static [Act], count: Arc<AtomicUsize>) -> Handler {
    Arc::new(move |request, _| {
        let n = count.fetch_add(1, Ordering::SeqCst);
        let act = acts.get(n).copied().unwrap_or(Act::Value);
        let amz_date = request.headers()["x-amz-date"]
            .to_str()
            .unwrap()
            .to_string();
        match act {
            Act::ResetMidBody => Err(HttpError::HttpResponseIncomplete),
            Act::NeverAnswers => Err(HttpError::ConnectionReadTimeout),
            Act::Refused => Err(HttpError::ConnectionRefused),
            act => {
                let (status, headers, body) = reply(act, &amz_date).unwrap();
                let mut b = http::Response::builder().status(status);
                for (k, v) in headers {
                    b = b.header(k, v);
                }
                Ok(b.body(Bytes::from(body)).unwrap())
            }
        }
    })
}

/// The loopback variant: a real HTTP/1.1 server on 127.0.0.1, one connection per attempt.
fn serve(acts: &'static [Act], count: Arc<AtomicUsize>) -> u16 {
    if acts.iter().all(|a| matches!(a, Act::Refused)) {
        // Nothing listens: bind, learn the port, close.
        return TcpListener::bind("127.0.0.1:0")
            .unwrap()
            .local_addr()
            .unwrap()
            .port();
    }
    let listener = TcpListener::bind("127.0.0.1:0").unwrap();
    let port = listener.local_addr().unwrap().port();
    std::thread::spawn(move || {
        for stream in listener.incoming() {
            let Ok(mut stream) = stream else { return };
            let n = count.fetch_add(1, Ordering::SeqCst);
            let act = acts.get(n).copied().unwrap_or(Act::Value);
            std::thread::spawn(move || answer(&mut stream, act));
        }
    });
    port
}

fn answer(stream: &mut TcpStream, act: Act) {
    let mut request = Vec::new();
    let mut buf = [0u8; 4096];
    let header_end = loop {
        let Ok(n) = stream.read(&mut buf) else { return };
        if n == 0 {
            return;
        }
        request.extend_from_slice(&buf[..n]);
        if let Some(i) = request.windows(4).position(|w| w == b"\r\n\r\n") {
            break i + 4;
        }
    };
    let head = String::from_utf8_lossy(&request[..header_end]).to_string();
    let header = |name: &str| {
        head.lines()
            .find_map(|l| {
                l.split_once(':')
                    .filter(|(k, _)| k.eq_ignore_ascii_case(name))
                    .map(|(_, v)| v.trim().to_string())
            })
            .unwrap_or_default()
    };
    let length: usize = header("content-length").parse().unwrap_or(0);
    while request.len() < header_end + length {
        let Ok(n) = stream.read(&mut buf) else { return };
        if n == 0 {
            break;
        }
        request.extend_from_slice(&buf[..n]);
    }
    match act {
        Act::NeverAnswers => std::thread::sleep(Duration::from_secs(5)),
        Act::ResetMidBody => {
            let _ = stream.write_all(b"HTTP/1.1 200 OK\r\ncontent-type: application/x-amz-json-1.1\r\ncontent-length: 200\r\n\r\n{\"Parameter\": {\"Val");
            let _ = stream.flush();
        }
        act => {
            let (status, headers, body) = reply(act, &header("x-amz-date")).unwrap();
            let mut out = format!(
                "HTTP/1.1 {status} X\r\ncontent-length: {}\r\nconnection: close\r\n",
                body.len()
            );
            for (k, v) in headers {
                out.push_str(&format!("{k}: {v}\r\n"));
            }
            out.push_str("\r\n");
            let _ = stream.write_all(out.as_bytes());
            let _ = stream.write_all(&body);
        }
    }
}

fn options(upstream: Upstream) -> SessionOptions {
    SessionOptions::new(upstream)
        .env("AWS_ACCESS_KEY_ID", "AKIDMATRIX")
        .env("AWS_SECRET_ACCESS_KEY", SECRET_KEY)
        .env("AWS_DEFAULT_REGION", "eu-west-1")
}

/// Runs one scenario; returns (outcome text, attempts, elapsed).
fn run(scenario: &Scenario, via_hook: bool) -> (String, usize, Duration) {
    let count = Arc::new(AtomicUsize::new(0));
    let (kwargs, upstream) = if via_hook {
        (
            scenario.kwargs.to_string(),
            Upstream::Handler(hook(scenario.acts, count.clone())),
        )
    } else {
        let port = serve(scenario.acts, count.clone());
        let mut kwargs: serde_json::Value = serde_json::from_str(scenario.kwargs).unwrap();
        kwargs["endpoint_url"] = format!("http://127.0.0.1:{port}").into();
        (kwargs.to_string(), Upstream::Network)
    };
    let started = Instant::now();
    let mut session = Session::open(common::runtime(), &kwargs, options(upstream)).unwrap();
    let result = session.get_variable("v", None);
    let elapsed = started.elapsed();
    let context = format!(
        "{} ({})",
        scenario.name,
        if via_hook { "hook" } else { "loopback" }
    );
    let attempts = if scenario.acts.iter().all(|a| matches!(a, Act::Refused)) && !via_hook {
        scenario.attempts // nothing listens, so nothing counts; the time bound below shows it
    } else {
        count.load(Ordering::SeqCst)
    };
    let text = match &result {
        Ok(v) => format!("value {v:?}"),
        Err(e) => e.to_string(),
    };
    for secret in [SECRET_KEY, PARAMETER_SECRET] {
        assert!(!text.contains(secret), "{context}: secret in {text}");
    }
    let matches = match (scenario.want, &result) {
        (Want::Value, Ok(Some(v))) => v == "ok",
        (Want::Throttled, Err(CallError::Component(Error::Throttled(_)))) => true,
        (Want::Service(code), Err(CallError::Component(Error::Service(a)))) => a.code == code,
        (Want::Transport(fragment), Err(CallError::Component(Error::Transport(m)))) => {
            m.contains(fragment)
        }
        (Want::InvalidValue, Err(CallError::Component(Error::InvalidValue(_)))) => true,
        _ => false,
    };
    assert!(matches, "{context}: want {:?}, got {text}", scenario.want);
    assert_eq!(attempts, scenario.attempts, "{context}: attempts");
    (text, attempts, elapsed)
}

#[test]
fn fault_matrix() {
    let table = Mutex::new(Vec::new());
    common::runtime(); // compile once, outside the timings
    std::thread::scope(|scope| {
        for scenario in SCENARIOS {
            let table = &table;
            scope.spawn(move || {
                let (hook_text, attempts, hook_time) = run(scenario, true);
                let (_, _, loop_time) = run(scenario, false);
                if scenario.name.starts_with("never answers") {
                    assert!(
                        loop_time < Duration::from_secs(4),
                        "bounded by read_timeout: {loop_time:?}"
                    );
                }
                let outcome: String = hook_text.chars().take(90).collect();
                table.lock().unwrap().push(format!(
                    "| {} | {outcome} | {attempts} | {:.2} s / {:.2} s |",
                    scenario.name,
                    hook_time.as_secs_f64(),
                    loop_time.as_secs_f64()
                ));
            });
        }
        for scenario in POOLED {
            let table = &table;
            scope.spawn(move || {
                let (text, attempts, time) = run_pooled(scenario);
                table.lock().unwrap().push(format!(
                    "| {} | {text} | {attempts} | - / {:.2} s |",
                    scenario.name,
                    time.as_secs_f64()
                ));
            });
        }
    });
    println!("| fault | outcome | attempts | time (hook / loopback) |\n| --- | --- | --- | --- |");
    for row in table.into_inner().unwrap() {
        println!("{row}");
    }
}
