//! The sidecar in process, against the loopback SSM mock (kept-alive connections, each request
//! recorded): single flight, batching, the shared cache, a hanging upstream that holds up no
//! cached answer, throttles that lower the cap for everyone, stale values, the guard, the naming
//! check and `/metrics`.

use crate::common;

use std::io::{BufRead, BufReader, Read, Write};
use std::net::{SocketAddr, TcpStream};
use std::sync::{Arc, Barrier};
use std::time::{Duration, Instant};

use common::ssm_mock::{Seen, SsmMock};
use host_example::Upstream;
use host_example::sidecar::settings::{NAMING_HEADER, Naming};
use host_example::sidecar::{Sidecar, SidecarOptions};

const TOKEN: &str = "sidecar-test-token-0123456789";
const SECRET_KEY: &str = "SIDECAR/SECRET+KEY/do-not-print";

/// A sidecar serving on its own runtime until dropped.
struct Running {
    addr: SocketAddr,
    stop: Option<tokio::sync::oneshot::Sender<()>>,
    thread: Option<std::thread::JoinHandle<()>>,
}

impl Drop for Running {
    fn drop(&mut self) {
        if let Some(stop) = self.stop.take() {
            let _ = stop.send(());
        }
        // Requests hanging upstream keep their tasks: do not wait for the drain.
        drop(self.thread.take());
    }
}

/// Starts a sidecar whose SSM endpoint is `mock`, with `kwargs` merged into the defaults.
fn start(mock: &SsmMock, kwargs: serde_json::Value) -> Running {
    let mut all = serde_json::json!({
        "endpoint_url": mock.url(),
        "region_name": "eu-west-1",
    });
    for (k, v) in kwargs.as_object().unwrap() {
        all[k] = v.clone();
    }
    let options = SidecarOptions {
        listen: "127.0.0.1:0".parse().unwrap(),
        backend_kwargs: all.to_string(),
        env: vec![
            ("AWS_ACCESS_KEY_ID".into(), "AKIDSIDECAR".into()),
            ("AWS_SECRET_ACCESS_KEY".into(), SECRET_KEY.into()),
            ("AWS_TOKEN".into(), TOKEN.into()),
        ],
        upstream: Upstream::Network,
        proxies: host_example::proxy::ProxySettings::none(),
        instances: 8,
    };
    let (bound, addr) = std::sync::mpsc::channel();
    let (stop, stopped) = tokio::sync::oneshot::channel::<()>();
    let thread = std::thread::spawn(move || {
        let runtime = tokio::runtime::Builder::new_multi_thread()
            .worker_threads(2)
            .enable_all()
            .build()
            .unwrap();
        runtime.block_on(async move {
            let sidecar = Sidecar::bind(common::runtime().clone(), options)
                .await
                .expect("the sidecar starts");
            bound.send(sidecar.local_addr().unwrap()).unwrap();
            sidecar
                .serve(async {
                    let _ = stopped.await;
                })
                .await;
        });
    });
    Running {
        addr: addr.recv().unwrap(),
        stop: Some(stop),
        thread: Some(thread),
    }
}

/// A kept-alive HTTP/1.1 client of the sidecar.
struct Client {
    stream: BufReader<TcpStream>,
}

impl Client {
    fn connect(addr: SocketAddr) -> Client {
        let stream = TcpStream::connect(addr).unwrap();
        stream
            .set_read_timeout(Some(Duration::from_secs(60)))
            .unwrap();
        Client {
            stream: BufReader::new(stream),
        }
    }

    /// `GET target` with `headers`: status and body.
    fn get_with(&mut self, target: &str, headers: &[(&str, &str)]) -> (u16, String) {
        let mut head = format!("GET {target} HTTP/1.1\r\nHost: localhost\r\n");
        for (name, value) in headers {
            head.push_str(&format!("{name}: {value}\r\n"));
        }
        head.push_str("\r\n");
        self.stream.get_mut().write_all(head.as_bytes()).unwrap();
        let mut status_line = String::new();
        self.stream.read_line(&mut status_line).unwrap();
        let status = status_line.split(' ').nth(1).unwrap().parse().unwrap();
        let mut length = 0;
        loop {
            let mut line = String::new();
            self.stream.read_line(&mut line).unwrap();
            if line == "\r\n" {
                break;
            }
            if let Some((name, value)) = line.split_once(':')
                && name.eq_ignore_ascii_case("content-length")
            {
                length = value.trim().parse().unwrap();
            }
        }
        let mut body = vec![0; length];
        self.stream.read_exact(&mut body).unwrap();
        (status, String::from_utf8(body).unwrap())
    }

    /// `GET target` with the token.
    fn get(&mut self, target: &str) -> (u16, String) {
        self.get_with(target, &[("X-Aws-Parameters-Secrets-Token", TOKEN)])
    }
}

/// The names each request of the mock asked for.
fn names(seen: &[Seen]) -> Vec<Vec<String>> {
    seen.iter().map(|s| s.names.clone()).collect()
}

/// `n` threads each running `f(client, index)` from the same instant.
fn concurrently<T: Send + 'static>(
    addr: SocketAddr,
    n: usize,
    f: impl Fn(&mut Client, usize) -> T + Send + Sync + 'static,
) -> Vec<T> {
    let f = Arc::new(f);
    let barrier = Arc::new(Barrier::new(n));
    let threads: Vec<_> = (0..n)
        .map(|i| {
            let (f, barrier) = (Arc::clone(&f), Arc::clone(&barrier));
            std::thread::spawn(move || {
                let mut client = Client::connect(addr);
                barrier.wait();
                f(&mut client, i)
            })
        })
        .collect();
    threads.into_iter().map(|t| t.join().unwrap()).collect()
}

#[test]
fn concurrent_misses_for_one_name_make_one_request() {
    let mock = SsmMock::builder("one")
        .delay_when(|_| Some(Duration::from_millis(200)))
        .start();
    let sidecar = start(&mock, serde_json::json!({}));
    let replies = concurrently(sidecar.addr, 64, |client, _| {
        client.get("/airflow/variables/shared")
    });
    for (status, body) in &replies {
        assert_eq!(*status, 200, "{body}");
        let json: serde_json::Value = serde_json::from_str(body).unwrap();
        assert_eq!(json["value"], "one:/airflow/variables/shared");
    }
    assert_eq!(names(&mock.seen()), [["/airflow/variables/shared"]]);
    // And later lookups come from the cache.
    let mut client = Client::connect(sidecar.addr);
    assert_eq!(client.get("/airflow/variables/shared").0, 200);
    assert_eq!(mock.requests(), 1);
}

#[test]
fn concurrent_misses_for_500_names_go_out_in_full_batches() {
    let mock = SsmMock::start("many");
    // A batch that is not full waits for another name until none came for the window: 100 ms
    // rides out a busy machine's scheduling delays (a client descheduled for longer than the
    // window between two of its lookups would cost a batch a name).
    let sidecar = start(&mock, serde_json::json!({"batch_window_ms": 100}));
    const NAMES: usize = 500;
    // 64 clients share 500 names, each asked for once: 500 misses, 64 at a time.
    let results = concurrently(sidecar.addr, 64, |client, i| {
        let mut wrong = Vec::new();
        for n in (i..NAMES).step_by(64) {
            let (status, body) = client.get(&format!("/airflow/variables/v{n}"));
            if status != 200 || !body.contains(&format!("many:/airflow/variables/v{n}")) {
                wrong.push(format!("v{n}: {status} {body}"));
            }
        }
        wrong
    });
    let wrong: Vec<String> = results.into_iter().flatten().collect();
    assert!(wrong.is_empty(), "{:?}", &wrong[..wrong.len().min(5)]);
    let seen = mock.seen();
    assert_eq!(seen.iter().map(|s| s.names.len()).sum::<usize>(), NAMES);
    assert!(
        seen.len() <= NAMES / 10,
        "{} requests for {NAMES} names: {:?}",
        seen.len(),
        seen.iter().map(|s| s.names.len()).collect::<Vec<_>>()
    );
}

#[test]
fn many_clients_asking_for_the_same_names_ask_ssm_once_per_name() {
    let mock = SsmMock::start("same");
    let sidecar = start(&mock, serde_json::json!({"batch_window_ms": 20}));
    const NAMES: usize = 200;
    // 32 clients ask for every one of 200 names, each in its own order.
    let results = concurrently(sidecar.addr, 32, |client, i| {
        let mut wrong = Vec::new();
        for k in 0..NAMES {
            let n = (k * 7 + i * 13) % NAMES;
            let (status, body) = client.get(&format!("/airflow/variables/v{n}"));
            if status != 200 || !body.contains(&format!("same:/airflow/variables/v{n}")) {
                wrong.push(format!("v{n}: {status} {body}"));
            }
        }
        wrong
    });
    let wrong: Vec<String> = results.into_iter().flatten().collect();
    assert!(wrong.is_empty(), "{:?}", &wrong[..wrong.len().min(5)]);
    let seen = mock.seen();
    let mut asked: Vec<String> = seen.iter().flat_map(|s| s.names.clone()).collect();
    asked.sort();
    let before = asked.len();
    asked.dedup();
    assert_eq!(asked.len(), NAMES, "every name was asked for");
    assert_eq!(before, NAMES, "no name was asked for twice");
    // A batch of one goes out as GetParameter, the others as GetParameters of at most 10.
    assert!(seen.iter().all(|s| match s.target.as_str() {
        "AmazonSSM.GetParameters" => (2..=10).contains(&s.names.len()),
        "AmazonSSM.GetParameter" => s.names.len() == 1,
        _ => false,
    }));
}

#[test]
fn a_hanging_upstream_holds_up_no_cached_answer() {
    let mock = SsmMock::builder("hang")
        .delay_when(|seen| {
            seen.names
                .iter()
                .any(|n| n.contains("slow"))
                .then_some(Duration::from_secs(20))
        })
        .start();
    let sidecar = start(&mock, serde_json::json!({"batch_window_ms": 0}));
    let mut client = Client::connect(sidecar.addr);
    assert_eq!(client.get("/airflow/variables/fast").0, 200);
    // 16 lookups of names whose upstream hangs: every instance may be waiting on SSM.
    let addr = sidecar.addr;
    let hanging: Vec<_> = (0..16)
        .map(|i| {
            std::thread::spawn(move || {
                let _ = Client::connect(addr).get(&format!("/airflow/variables/slow{i}"));
            })
        })
        .collect();
    let deadline = Instant::now() + Duration::from_secs(10);
    while !mock
        .seen()
        .iter()
        .any(|s| s.names.iter().any(|n| n.contains("slow")))
    {
        assert!(
            Instant::now() < deadline,
            "the slow names never reached SSM"
        );
        std::thread::sleep(Duration::from_millis(10));
    }
    std::thread::sleep(Duration::from_millis(300));
    let started = Instant::now();
    let (status, body) = client.get("/airflow/variables/fast");
    let took = started.elapsed();
    assert_eq!(status, 200, "{body}");
    assert!(body.contains("hang:/airflow/variables/fast"));
    // Not a benchmark: the hang is 20 s; the cached answer must not wait for it.
    assert!(
        took < Duration::from_secs(5),
        "the cached answer took {took:?}"
    );
    drop(hanging);
}

/// SSM's throttling reply.
fn throttled() -> (u16, String) {
    (
        400,
        r#"{"__type":"ThrottlingException","message":"Rate exceeded"}"#.to_string(),
    )
}

#[test]
fn a_throttle_lowers_the_cap_for_everyone_and_the_lookup_still_succeeds() {
    let count = Arc::new(std::sync::atomic::AtomicUsize::new(0));
    let counted = Arc::clone(&count);
    let mock = SsmMock::builder("thr")
        .answer_with(move |_| {
            let n = counted.fetch_add(1, std::sync::atomic::Ordering::SeqCst);
            (n < 2).then(throttled)
        })
        .start();
    let sidecar = start(&mock, serde_json::json!({"ssm_requests_per_second": 20}));
    let mut client = Client::connect(sidecar.addr);
    let (status, body) = client.get("/airflow/variables/t");
    assert_eq!(status, 200, "{body}");
    assert_eq!(mock.requests(), 3, "two throttles, then the value");
    let (_, metrics) = client.get("/metrics");
    assert!(
        metrics.contains("ssm_sidecar_ssm_throttles_total 2"),
        "{metrics}"
    );
    let rate: f64 = metrics
        .lines()
        .find_map(|l| l.strip_prefix("ssm_sidecar_ssm_rate_limit "))
        .unwrap()
        .parse()
        .unwrap();
    assert!(rate < 20.0, "the cap came down after the throttles: {rate}");
}

#[test]
fn stale_values_are_served_while_ssm_fails() {
    let count = Arc::new(std::sync::atomic::AtomicUsize::new(0));
    let counted = Arc::clone(&count);
    let mock = SsmMock::builder("stale")
        .answer_with(move |_| {
            let n = counted.fetch_add(1, std::sync::atomic::Ordering::SeqCst);
            (n > 0).then(|| (503, r#"{"__type":"ServiceUnavailable"}"#.to_string()))
        })
        .start();
    let sidecar = start(
        &mock,
        serde_json::json!({"cache_ttl_seconds": 1, "cache_stale_seconds": 600,
                           "config_kwargs": {"retries": {"total_max_attempts": 2}}}),
    );
    let mut client = Client::connect(sidecar.addr);
    assert_eq!(client.get("/airflow/config/c").0, 200);
    std::thread::sleep(Duration::from_millis(1100));
    let (status, body) = client.get("/airflow/config/c");
    assert_eq!(status, 200, "{body}");
    assert!(body.contains("stale:/airflow/config/c"));
    assert!(mock.requests() >= 3, "SSM was asked again and failed twice");
    let (_, metrics) = client.get("/metrics");
    assert!(
        metrics.contains(r#"ssm_sidecar_cache_total{result="stale"} 1"#),
        "{metrics}"
    );
    // Without a stale allowance the failure is the answer.
    let plain = start(
        &mock,
        serde_json::json!({"cache_ttl_seconds": 1,
        "config_kwargs": {"retries": {"total_max_attempts": 1}}}),
    );
    let (status, body) = Client::connect(plain.addr).get("/airflow/config/c");
    assert_eq!(status, 503, "{body}");
    assert!(!body.contains(SECRET_KEY));
}

#[test]
fn routes_teams_patterns_and_not_found_as_the_endpoint() {
    let mock = SsmMock::builder("r")
        .answer_with(|seen| {
            // Only the team's connection and the plain variable exist.
            let exists = |n: &&String| n.ends_with("team_a--db") || n.ends_with("variables/v");
            let parameter =
                |n: &String| serde_json::json!({"Name": n, "Value": format!("postgres://u:p@h/{n}")});
            if seen.target == "AmazonSSM.GetParameter" {
                let name = &seen.names[0];
                return Some(if exists(&name) {
                    (200, serde_json::json!({"Parameter": parameter(name)}).to_string())
                } else {
                    (400, r#"{"__type":"ParameterNotFound"}"#.to_string())
                });
            }
            let (found, missing): (Vec<&String>, Vec<&String>) =
                seen.names.iter().partition(exists);
            let found: Vec<serde_json::Value> = found.into_iter().map(parameter).collect();
            Some((
                200,
                serde_json::json!({"Parameters": found, "InvalidParameters": missing}).to_string(),
            ))
        })
        .start();
    let sidecar = start(
        &mock,
        serde_json::json!({"variables_lookup_pattern": "^v", "batch_window_ms": 0}),
    );
    let mut client = Client::connect(sidecar.addr);
    let (status, body) = client.get("/airflow/connections/db?team=team_a&format=raw");
    assert_eq!(status, 200, "{body}");
    let json: serde_json::Value = serde_json::from_str(&body).unwrap();
    assert_eq!(json["key"], "db");
    assert!(json["value"].as_str().unwrap().contains("team_a--db"));
    let (status, body) = client.get("/airflow/connections/db?team=team_a");
    assert_eq!(status, 200, "{body}");
    let json: serde_json::Value = serde_json::from_str(&body).unwrap();
    assert_eq!(json["conn_type"], "postgres");
    assert_eq!(json["login"], "u");
    // Not found in SSM, and filtered out by the pattern (never asked for).
    assert_eq!(client.get("/airflow/variables/vmissing").0, 404);
    let before = mock.requests();
    assert_eq!(client.get("/airflow/variables/filtered").0, 404);
    assert_eq!(mock.requests(), before, "a filtered id is not looked up");
    let (status, body) =
        client.get("/systemsmanager/parameters/get?name=%2Fairflow%2Fvariables%2Fv");
    assert_eq!(status, 200, "{body}");
    assert!(body.contains(r#""Name":"/airflow/variables/v""#));
}

#[test]
fn the_guard_the_naming_check_and_metrics() {
    let mock = SsmMock::start("guard");
    let sidecar = start(&mock, serde_json::json!({"variables_prefix": "/team/vars"}));
    let mut client = Client::connect(sidecar.addr);
    for target in ["/metrics", "/airflow/variables/x", "/airflow/connections/c"] {
        assert_eq!(
            client.get_with(target, &[]).0,
            403,
            "{target} without a token"
        );
        let (status, body) =
            client.get_with(target, &[("X-Aws-Parameters-Secrets-Token", "wrong")]);
        assert_eq!(status, 403, "{target} with a wrong token");
        assert!(!body.contains(TOKEN));
    }
    assert_eq!(client.get_with("/ping", &[]), (200, "healthy".to_string()));
    // A client that names parameters otherwise is refused, and told how the sidecar names them.
    let mine = Naming::from_kwargs(r#"{"variables_prefix": "/team/vars"}"#).unwrap();
    let other = Naming::from_kwargs("{}").unwrap();
    let with_naming = |naming: &Naming| {
        [
            ("X-Aws-Parameters-Secrets-Token", TOKEN.to_string()),
            (NAMING_HEADER, naming.fingerprint.clone()),
        ]
    };
    let headers = with_naming(&other);
    let headers: Vec<(&str, &str)> = headers.iter().map(|(k, v)| (*k, v.as_str())).collect();
    let (status, body) = client.get_with("/airflow/variables/x", &headers);
    assert_eq!(status, 409, "{body}");
    assert!(
        body.contains("NamingMismatch") && body.contains("/team/vars"),
        "{body}"
    );
    let headers = with_naming(&mine);
    let headers: Vec<(&str, &str)> = headers.iter().map(|(k, v)| (*k, v.as_str())).collect();
    let (status, body) = client.get_with("/airflow/variables/x", &headers);
    assert_eq!(status, 200, "{body}");
    assert!(body.contains("guard:/team/vars/x"));
    assert_eq!(mock.requests(), 1, "the refused lookup asked nothing");
    let (status, metrics) = client.get("/metrics");
    assert_eq!(status, 200);
    for line in [
        r#"ssm_sidecar_lookups_total{kind="variable",outcome="found"} 1"#,
        r#"ssm_sidecar_cache_total{result="miss"} 1"#,
        r#"ssm_sidecar_ssm_requests_total{operation="GetParameter",status="200"} 1"#,
        "ssm_sidecar_cached_names 1",
    ] {
        assert!(metrics.contains(line), "{line} missing:\n{metrics}");
    }
    for secret in [TOKEN, SECRET_KEY, "guard:/team/vars/x", "/team/vars/x"] {
        assert!(!metrics.contains(secret), "{secret} in the metrics");
    }
}

#[test]
fn a_hot_name_is_refreshed_before_it_expires() {
    let mock = SsmMock::start("hot");
    let sidecar = start(&mock, serde_json::json!({"cache_ttl_seconds": 4}));
    let mut client = Client::connect(sidecar.addr);
    let started = Instant::now();
    assert_eq!(client.get("/airflow/variables/hot").0, 200);
    // In the last tenth of the TTL (3.6 s to 4 s): answered from the cache, fetched again
    // in the background.
    std::thread::sleep(Duration::from_millis(3750).saturating_sub(started.elapsed()));
    assert_eq!(client.get("/airflow/variables/hot").0, 200);
    let deadline = Instant::now() + Duration::from_secs(5);
    while mock.requests() < 2 {
        assert!(Instant::now() < deadline, "no refresh was sent");
        std::thread::sleep(Duration::from_millis(10));
    }
    // Past the first fetch's TTL, the refreshed value answers: no lookup waited for SSM.
    std::thread::sleep(Duration::from_millis(4300).saturating_sub(started.elapsed()));
    assert_eq!(client.get("/airflow/variables/hot").0, 200);
    assert_eq!(mock.requests(), 2);
    let (_, metrics) = client.get("/metrics");
    assert!(
        metrics.contains(r#"ssm_sidecar_cache_total{result="miss"} 1"#),
        "only the first lookup missed: {metrics}"
    );
}
