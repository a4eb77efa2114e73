//! A bounded load test of `host-example serve` (never run by the tests): starts the server on a
//! loopback port with the demo fixture, then `CLIENTS` keep-alive HTTP/1.1 clients (default 64)
//! ask `GET /airflow/variables/greeting` in a closed loop for `SECONDS` (default 30) after a
//! `WARMUP` (default 2 s, all clients, not counted), and stop by themselves. Prints requests per
//! second, p50 / p99 / max latency (from sending a request to having read its whole reply),
//! errors, and the server's resident memory after warm-up, half-way, at the end and at its peak.
//!
//! The clients are tasks on one Tokio current-thread runtime with a minimal HTTP/1.1 reader
//! (`Content-Length` replies, as the endpoint gives): the whole generator is one thread, so on a
//! small machine it takes one core at most and leaves the rest to the server.
//!
//! `cargo bench -p host-example --bench serve_load` (after `build_component`); `CACHE=off` runs
//! the sidecar without its cache (`cache_ttl_seconds: 0`), so every request goes to SSM but for
//! the ones that join a request in flight for the same name (single flight): to the fixture
//! inside the host, or with `UPSTREAM=mock` over loopback TCP to a minimal SSM mock this process
//! runs on its own thread (kept-alive connections from the server's pool; its CPU is counted
//! with the load generator's). The cap on SSM requests is raised out of the way
//! (`ssm_requests_per_second`; the mock does not throttle). `SERVE_BIN` runs another
//! `host-example` binary than the one built with the bench, `SSM_SECRETS_COMPONENT` another
//! lookup component.

use std::io::{BufRead, BufReader};
use std::process::{Command, Stdio};
use std::time::{Duration, Instant};

use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::net::TcpStream;

const TOKEN: &str = "load-test-token";

/// How long one exchange may take before it counts as an error (and the connection is redone).
const EXCHANGE_TIMEOUT: Duration = Duration::from_secs(5);

fn setting(name: &str, default: u64) -> u64 {
    std::env::var(name)
        .ok()
        .and_then(|v| v.parse().ok())
        .unwrap_or(default)
}

/// `VmRSS` and `VmHWM` of a process, in KiB.
fn memory(pid: u32) -> (u64, u64) {
    let status = std::fs::read_to_string(format!("/proc/{pid}/status")).unwrap_or_default();
    let field = |name: &str| {
        status
            .lines()
            .find_map(|l| l.strip_prefix(name))
            .and_then(|v| v.split_whitespace().next()?.parse().ok())
            .unwrap_or(0)
    };
    (field("VmRSS:"), field("VmHWM:"))
}

/// CPU time (user + system) a process has used so far: `/proc/<pid>/stat` fields 14 and 15.
fn cpu_seconds(pid: &str) -> f64 {
    let stat = std::fs::read_to_string(format!("/proc/{pid}/stat")).unwrap_or_default();
    // The command name may hold spaces; the fields after it are plain.
    let fields: Vec<&str> = stat
        .rsplit_once(')')
        .map_or(Vec::new(), |(_, rest)| rest.split_whitespace().collect());
    let ticks: u64 = fields[11..13]
        .iter()
        .filter_map(|f| f.parse::<u64>().ok())
        .sum();
    ticks as f64 / 100.0
}

/// What one client saw while measuring: latencies in microseconds, and errors.
#[derive(Default)]
struct Tally {
    latencies: Vec<u32>,
    errors: u64,
}

/// One keep-alive client: requests until `end`, counting those sent from `measure` on.
async fn client(addr: String, measure: Instant, end: Instant) -> Tally {
    let request = format!(
        "GET /airflow/variables/greeting HTTP/1.1\r\nHost: localhost\r\n\
         X-Aws-Parameters-Secrets-Token: {TOKEN}\r\n\r\n"
    );
    let mut tally = Tally {
        latencies: Vec::with_capacity(1 << 15),
        errors: 0,
    };
    let mut buffer = Vec::with_capacity(4096);
    let mut stream = None;
    loop {
        let began = Instant::now();
        if began >= end {
            return tally;
        }
        if stream.is_none() {
            match TcpStream::connect(&addr).await {
                Ok(s) => {
                    s.set_nodelay(true).expect("TCP_NODELAY");
                    stream = Some(s);
                }
                Err(_) => {
                    tally.errors += u64::from(began >= measure);
                    tokio::time::sleep(Duration::from_millis(10)).await;
                    continue;
                }
            }
        }
        let s = stream.as_mut().expect("connected");
        let outcome = tokio::time::timeout(
            EXCHANGE_TIMEOUT,
            exchange(s, request.as_bytes(), &mut buffer),
        )
        .await;
        let counted = began >= measure;
        match outcome {
            Ok(Ok(200)) if counted => tally
                .latencies
                .push(u32::try_from(began.elapsed().as_micros()).unwrap_or(u32::MAX)),
            Ok(Ok(200)) => {}
            Ok(Ok(_)) => tally.errors += u64::from(counted),
            Ok(Err(_)) | Err(_) => {
                tally.errors += u64::from(counted);
                stream = None;
            }
        }
    }
}

/// Sends one request and reads its whole reply (a `Content-Length` body): the status.
async fn exchange(
    stream: &mut TcpStream,
    request: &[u8],
    buffer: &mut Vec<u8>,
) -> std::io::Result<u16> {
    stream.write_all(request).await?;
    buffer.clear();
    let (head, length) = loop {
        if let Some(head) = find(buffer, b"\r\n\r\n") {
            break (head + 4, content_length(&buffer[..head])?);
        }
        read_more(stream, buffer).await?;
    };
    while buffer.len() < head + length {
        read_more(stream, buffer).await?;
    }
    if buffer.len() > head + length {
        return Err(invalid("more bytes than one reply"));
    }
    let status = buffer
        .get(9..12)
        .and_then(|s| std::str::from_utf8(s).ok()?.parse().ok())
        .ok_or_else(|| invalid("no status"))?;
    Ok(status)
}

async fn read_more(stream: &mut TcpStream, buffer: &mut Vec<u8>) -> std::io::Result<()> {
    if buffer.capacity() - buffer.len() < 1024 {
        buffer.reserve(4096);
    }
    if stream.read_buf(buffer).await? == 0 {
        return Err(std::io::ErrorKind::UnexpectedEof.into());
    }
    Ok(())
}

fn find(haystack: &[u8], needle: &[u8]) -> Option<usize> {
    haystack.windows(needle.len()).position(|w| w == needle)
}

/// The `Content-Length` of a reply head (the endpoint always sends one).
fn content_length(head: &[u8]) -> std::io::Result<usize> {
    let head = std::str::from_utf8(head).map_err(|_| invalid("head not UTF-8"))?;
    head.split("\r\n")
        .skip(1)
        .find_map(|line| {
            let (name, value) = line.split_once(':')?;
            name.eq_ignore_ascii_case("content-length")
                .then(|| value.trim().parse().ok())?
        })
        .ok_or_else(|| invalid("no content-length"))
}

fn invalid(what: &str) -> std::io::Error {
    std::io::Error::new(std::io::ErrorKind::InvalidData, what.to_string())
}

/// The 1, 5 and 15 minute load averages, as `uptime` shows them.
fn load_average() -> String {
    let text = std::fs::read_to_string("/proc/loadavg").unwrap_or_default();
    text.split_whitespace()
        .take(3)
        .collect::<Vec<_>>()
        .join(" ")
}

/// The reply of the loopback mock: the value the demo fixture has for the name asked.
const MOCK_REPLY: &str = r#"{"Parameter":{"Name":"/airflow/variables/greeting","Type":"String","Value":"hello from SSM","Version":1,"DataType":"text"}}"#;

/// A minimal SSM on 127.0.0.1 (one Tokio current-thread runtime on its own thread): every
/// `POST` gets [`MOCK_REPLY`], on kept-alive connections. Returns its port.
fn start_mock() -> u16 {
    let listener = std::net::TcpListener::bind("127.0.0.1:0").expect("a loopback port");
    let port = listener.local_addr().expect("an address").port();
    listener.set_nonblocking(true).expect("non-blocking");
    std::thread::spawn(move || {
        let runtime = tokio::runtime::Builder::new_current_thread()
            .enable_all()
            .build()
            .expect("a runtime");
        runtime.block_on(async move {
            let listener = tokio::net::TcpListener::from_std(listener).expect("a listener");
            loop {
                let Ok((stream, _)) = listener.accept().await else {
                    continue;
                };
                stream.set_nodelay(true).expect("TCP_NODELAY");
                tokio::spawn(mock_connection(stream));
            }
        });
    });
    port
}

/// Answers the requests of one connection until it closes.
async fn mock_connection(mut stream: TcpStream) {
    let reply = format!(
        "HTTP/1.1 200 OK\r\ncontent-type: application/x-amz-json-1.1\r\n\
         content-length: {}\r\n\r\n{MOCK_REPLY}",
        MOCK_REPLY.len()
    );
    let mut buffer = Vec::with_capacity(4096);
    loop {
        // The head, then a body of its content-length.
        let head = loop {
            if let Some(head) = find(&buffer, b"\r\n\r\n") {
                break head + 4;
            }
            if read_more(&mut stream, &mut buffer).await.is_err() {
                return;
            }
        };
        let Ok(length) = content_length(&buffer[..head]) else {
            return;
        };
        while buffer.len() < head + length {
            if read_more(&mut stream, &mut buffer).await.is_err() {
                return;
            }
        }
        buffer.drain(..head + length);
        if stream.write_all(reply.as_bytes()).await.is_err() {
            return;
        }
    }
}

fn main() {
    println!("load average before: {}", load_average());
    let clients = setting("CLIENTS", 64) as usize;
    let seconds = setting("SECONDS", 30);
    let warmup = setting("WARMUP", 2);
    let cache = std::env::var("CACHE").map_or(true, |v| v != "off");
    let root = concat!(env!("CARGO_MANIFEST_DIR"), "/..");
    let component = std::env::var("SSM_SECRETS_COMPONENT")
        .unwrap_or_else(|_| format!("{root}/target/wasm32-wasip2/component/ssm_secrets.wasm"));
    let binary =
        std::env::var("SERVE_BIN").unwrap_or_else(|_| env!("CARGO_BIN_EXE_host-example").into());
    let mock = std::env::var("UPSTREAM").is_ok_and(|v| v == "mock");
    let mut kwargs = serde_json::json!({
        "region_name": "eu-west-1",
        "cache_ttl_seconds": if cache { 300 } else { 0 },
        "ssm_requests_per_second": 100_000,
    });
    let upstream: Vec<String> = if mock {
        kwargs["endpoint_url"] = format!("http://127.0.0.1:{}", start_mock()).into();
        Vec::new()
    } else {
        vec![
            "--fixture".into(),
            format!("{root}/host-example/fixtures/demo.json"),
        ]
    };
    let kwargs = kwargs.to_string();
    let mut server =
        Command::new(binary)
            .env_clear()
            .envs([
                ("AWS_ACCESS_KEY_ID", "AKIDLOAD"),
                ("AWS_SECRET_ACCESS_KEY", "load-secret"),
                ("AWS_TOKEN", TOKEN),
            ])
            .envs(std::env::vars().filter(|(name, _)| {
                name == "TOKIO_WORKER_THREADS" || name == "SSM_SECRETS_PERF_MAP"
            }))
            .args(["--component", &component, "--backend-kwargs", &kwargs])
            .args(&upstream)
            .args(["serve", "--listen", "127.0.0.1:0"])
            .stdout(Stdio::piped())
            .spawn()
            .expect("host-example serve starts");
    let mut line = String::new();
    BufReader::new(server.stdout.take().unwrap())
        .read_line(&mut line)
        .unwrap();
    let addr = line
        .trim()
        .strip_prefix("listening on http://")
        .expect("a listening line")
        .to_string();
    println!("server pid {}", server.id());

    let runtime = tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .expect("a runtime");
    let pid = server.id();
    let (tallies, elapsed, rss, cpu) = runtime.block_on(async move {
        let measure = Instant::now() + Duration::from_secs(warmup);
        let end = measure + Duration::from_secs(seconds);
        let tasks: Vec<_> = (0..clients)
            .map(|_| tokio::spawn(client(addr.clone(), measure, end)))
            .collect();
        tokio::time::sleep_until(measure.into()).await;
        let warm = memory(pid).0;
        let cpu = (cpu_seconds(&pid.to_string()), cpu_seconds("self"));
        tokio::time::sleep_until((measure + Duration::from_secs(seconds) / 2).into()).await;
        let half = memory(pid).0;
        tokio::time::sleep_until(end.into()).await;
        let cpu = (
            cpu_seconds(&pid.to_string()) - cpu.0,
            cpu_seconds("self") - cpu.1,
        );
        let mut tallies = Vec::with_capacity(clients);
        for task in tasks {
            tallies.push(task.await.expect("a client task"));
        }
        let elapsed = end.saturating_duration_since(measure).as_secs_f64();
        (tallies, elapsed, (warm, half), cpu)
    });
    let (rss_end, rss_peak) = memory(pid);
    let _ = server.kill();
    let _ = server.wait();
    let errors: u64 = tallies.iter().map(|t| t.errors).sum();
    let mut latencies: Vec<u32> = tallies.into_iter().flat_map(|t| t.latencies).collect();
    latencies.sort_unstable();
    let at = |q: f64| {
        latencies
            .get(((latencies.len() as f64 * q) as usize).min(latencies.len().saturating_sub(1)))
            .map_or(0.0, |&us| f64::from(us) / 1000.0)
    };
    println!(
        "cache {} ({} upstream): {clients} clients, {elapsed:.1} s: {} requests, {:.0} req/s, p50 {:.2} ms, \
         p99 {:.2} ms, max {:.2} ms, errors {errors}; server RSS {} KiB after warm-up, {} KiB \
         half-way, {} KiB at the end, peak {} KiB; CPU per request: server {:.0} us, load \
         generator {:.0} us",
        if cache { "on" } else { "off" },
        if mock { "loopback mock" } else { "fixture" },
        latencies.len(),
        latencies.len() as f64 / elapsed,
        at(0.50),
        at(0.99),
        latencies.last().map_or(0.0, |&us| f64::from(us) / 1000.0),
        rss.0,
        rss.1,
        rss_end,
        rss_peak,
        cpu.0 * 1e6 / latencies.len().max(1) as f64,
        cpu.1 * 1e6 / latencies.len().max(1) as f64,
    );
    println!("load average after: {}", load_average());
}
