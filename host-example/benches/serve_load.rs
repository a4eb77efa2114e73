//! A bounded load test of `host-example serve` (never run by the tests): starts the server on a
//! loopback port with the demo fixture, then `CLIENTS` keep-alive HTTP/1.1 clients (default 64)
//! ask `GET /airflow/variables/greeting` for `SECONDS` (default 30) and stop by themselves.
//! Prints requests per second, p50 / p99 / max latency, errors, and the server's resident memory
//! after warm-up, half-way, at the end and at its peak.
//!
//! `cargo bench -p host-example --bench serve_load` (after `build_endpoint`); `CACHE=off` opens
//! the backend without the component's cache, so every request is signed and answered by the
//! fixture inside the host.

use std::io::{BufRead, BufReader, Read, Write};
use std::net::TcpStream;
use std::process::{Command, Stdio};
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{Arc, Barrier};
use std::time::{Duration, Instant};

const TOKEN: &str = "load-test-token";

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

/// One keep-alive client: requests until `stop`, latencies in microseconds, and errors.
fn client(addr: &str, stop: &AtomicBool, start: &Barrier) -> (Vec<u32>, u64) {
    let request = format!(
        "GET /airflow/variables/greeting HTTP/1.1\r\nHost: localhost\r\n\
         X-Aws-Parameters-Secrets-Token: {TOKEN}\r\n\r\n"
    );
    let (mut latencies, mut errors) = (Vec::with_capacity(1 << 16), 0);
    let connect = || {
        let stream = TcpStream::connect(addr).expect("connects");
        stream.set_nodelay(true).unwrap();
        BufReader::new(stream)
    };
    let mut reader = connect();
    start.wait();
    while !stop.load(Ordering::Relaxed) {
        let began = Instant::now();
        match exchange(&mut reader, request.as_bytes()) {
            Ok(200) => latencies.push(began.elapsed().as_micros() as u32),
            Ok(_) => errors += 1,
            Err(_) => {
                errors += 1;
                reader = connect();
            }
        }
    }
    (latencies, errors)
}

/// Sends one request and reads its reply (Content-Length bodies): the status.
fn exchange(reader: &mut BufReader<TcpStream>, request: &[u8]) -> std::io::Result<u16> {
    reader.get_mut().write_all(request)?;
    let mut line = String::new();
    reader.read_line(&mut line)?;
    let status = line
        .split(' ')
        .nth(1)
        .and_then(|s| s.parse().ok())
        .unwrap_or(0);
    let mut length = 0;
    loop {
        line.clear();
        if reader.read_line(&mut line)? == 0 {
            return Err(std::io::ErrorKind::UnexpectedEof.into());
        }
        if line == "\r\n" {
            break;
        }
        if let Some((name, value)) = line.split_once(':')
            && name.eq_ignore_ascii_case("content-length")
        {
            length = value.trim().parse().unwrap_or(0);
        }
    }
    let mut body = vec![0; length];
    reader.read_exact(&mut body)?;
    Ok(status)
}

fn main() {
    let clients = setting("CLIENTS", 64) as usize;
    let seconds = setting("SECONDS", 30);
    let cache = std::env::var("CACHE").map_or(true, |v| v != "off");
    let root = concat!(env!("CARGO_MANIFEST_DIR"), "/..");
    let endpoint = std::env::var("SSM_SECRETS_ENDPOINT")
        .unwrap_or_else(|_| format!("{root}/target/endpoint/ssm_endpoint.wasm"));
    let kwargs = if cache {
        r#"{"region_name": "eu-west-1", "cache_ttl_seconds": 300}"#
    } else {
        r#"{"region_name": "eu-west-1"}"#
    };
    let mut server = Command::new(env!("CARGO_BIN_EXE_host-example"))
        .env_clear()
        .envs([
            ("AWS_ACCESS_KEY_ID", "AKIDLOAD"),
            ("AWS_SECRET_ACCESS_KEY", "load-secret"),
            ("AWS_TOKEN", TOKEN),
        ])
        .args(["--component", &endpoint, "--backend-kwargs", kwargs])
        .args([
            "--fixture",
            &format!("{root}/host-example/fixtures/demo.json"),
        ])
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

    // Warm-up: every instance opens its backend and fills its cache.
    let warm = Arc::new(AtomicBool::new(false));
    let barrier = Arc::new(Barrier::new(1));
    let handle = {
        let (addr, warm, barrier) = (addr.clone(), warm.clone(), barrier.clone());
        std::thread::spawn(move || client(&addr, &warm, &barrier))
    };
    std::thread::sleep(Duration::from_secs(1));
    warm.store(true, Ordering::Relaxed);
    handle.join().unwrap();
    let (rss_warm, _) = memory(server.id());

    let stop = Arc::new(AtomicBool::new(false));
    let start = Arc::new(Barrier::new(clients + 1));
    let threads: Vec<_> = (0..clients)
        .map(|_| {
            let (addr, stop, start) = (addr.clone(), stop.clone(), start.clone());
            std::thread::spawn(move || client(&addr, &stop, &start))
        })
        .collect();
    start.wait();
    let began = Instant::now();
    std::thread::sleep(Duration::from_secs(seconds) / 2);
    let (rss_half, _) = memory(server.id());
    std::thread::sleep(Duration::from_secs(seconds) / 2);
    stop.store(true, Ordering::Relaxed);
    let elapsed = began.elapsed().as_secs_f64();
    let (mut latencies, mut errors) = (Vec::new(), 0);
    for thread in threads {
        let (l, e) = thread.join().unwrap();
        latencies.extend(l);
        errors += e;
    }
    let (rss_end, rss_peak) = memory(server.id());
    let _ = server.kill();
    let _ = server.wait();
    latencies.sort_unstable();
    let at = |q: f64| {
        latencies
            .get(((latencies.len() as f64 * q) as usize).min(latencies.len().saturating_sub(1)))
            .map_or(0.0, |&us| us as f64 / 1000.0)
    };
    println!(
        "cache {}: {clients} clients, {elapsed:.1} s: {} requests, {:.0} req/s, p50 {:.2} ms, \
         p99 {:.2} ms, max {:.2} ms, errors {errors}; server RSS {} KiB after warm-up, {} KiB half-way, \
         {} KiB at the end, peak {} KiB",
        if cache { "on" } else { "off" },
        latencies.len(),
        latencies.len() as f64 / elapsed,
        at(0.50),
        at(0.99),
        latencies.last().map_or(0.0, |&us| us as f64 / 1000.0),
        rss_warm,
        rss_half,
        rss_end,
        rss_peak,
    );
}
