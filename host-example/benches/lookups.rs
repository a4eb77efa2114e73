//! In-process lookup benchmarks (run by `bench/bench.py` through `scripts/bench.sh`, never by
//! the tests): 100 single lookups vs one batch of 100 against a loopback SSM mock, and cached
//! lookups. Prints one JSON object.
//!
//! Environment: `BENCH_ENDPOINT` (the mock's URL), `SSM_SECRETS_COMPONENT` (the `.wasm`),
//! `BENCH_ROUNDS` (warm single lookups timed for CPU, default 2000; more for a profile, e.g.
//! `perf record --delay 3000` past the compile).

use std::time::Instant;

use host_example::{Runtime, Session, SessionOptions, Upstream};

fn session(runtime: &Runtime, kwargs: serde_json::Value) -> Session {
    let options = SessionOptions::new(Upstream::Network)
        .env("AWS_ACCESS_KEY_ID", "AKIDBENCH")
        .env("AWS_SECRET_ACCESS_KEY", "bench-secret")
        .env("AWS_EC2_METADATA_DISABLED", "true");
    Session::open(runtime, &kwargs.to_string(), options).expect("the backend opens")
}

/// This process's CPU time (user + system) in seconds, from `/proc/self/stat`.
fn cpu_seconds() -> f64 {
    let stat = std::fs::read_to_string("/proc/self/stat").expect("/proc/self/stat");
    let fields: Vec<&str> = stat
        .rsplit_once(')')
        .unwrap()
        .1
        .split_whitespace()
        .collect();
    let ticks: f64 = fields[11].parse::<f64>().unwrap() + fields[12].parse::<f64>().unwrap();
    ticks / 100.0 // USER_HZ
}

fn main() {
    let endpoint = std::env::var("BENCH_ENDPOINT").expect("BENCH_ENDPOINT");
    let component = std::env::var("SSM_SECRETS_COMPONENT").expect("SSM_SECRETS_COMPONENT");
    let runtime = Runtime::from_file(component.as_ref()).expect("the component compiles");
    let kwargs = serde_json::json!({"endpoint_url": endpoint, "region_name": "us-east-1"});
    let keys: Vec<String> = (0..100).map(|i| format!("bench{i}")).collect();

    let mut singles = session(&runtime, kwargs.clone());
    singles.get_variable("warmup", None).unwrap();
    let started = Instant::now();
    for key in &keys {
        singles.get_variable(key, None).unwrap();
    }
    let singles_ms = started.elapsed().as_secs_f64() * 1000.0;
    let rounds: usize = std::env::var("BENCH_ROUNDS")
        .map_or(2000, |r| r.parse().expect("BENCH_ROUNDS is a number"));
    let cpu = cpu_seconds();
    for i in 0..rounds {
        singles.get_variable(&keys[i % keys.len()], None).unwrap();
    }
    let single_cpu_us = (cpu_seconds() - cpu) * 1e6 / rounds as f64;

    let mut batched = session(&runtime, kwargs.clone());
    batched.get_variable("warmup", None).unwrap();
    let started = Instant::now();
    let results = batched.get_variables(&keys, None).unwrap();
    let batch_ms = started.elapsed().as_secs_f64() * 1000.0;
    assert!(results.iter().all(|r| r.as_ref().unwrap().is_some()));

    let mut cached_kwargs = kwargs;
    cached_kwargs["cache_ttl_seconds"] = 900.into();
    let mut cached = session(&runtime, cached_kwargs);
    cached.get_variable("hot", None).unwrap();
    let rounds = 20_000;
    let started = Instant::now();
    for _ in 0..rounds {
        cached.get_variable("hot", None).unwrap();
    }
    let cached_us = started.elapsed().as_secs_f64() * 1e6 / f64::from(rounds);

    println!(
        "{}",
        serde_json::json!({
            "100 single lookups (ms)": singles_ms,
            "client CPU per warm single lookup, host (us)": single_cpu_us,
            "one batch of 100 (ms)": batch_ms,
            "cached lookup through the host (us)": cached_us,
        })
    );
}
