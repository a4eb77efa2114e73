//! The component's own CPU per call, with no network: `get-variable` answered by the fixture
//! upstream inside the host (kwargs parsed once; name, signature, request, reply per call) and
//! offline `parse-connection` of a typical URI. Prints one JSON object; `scripts/bench.sh` runs
//! it, and it is the workload to profile (`perf record -g target/release/examples/lookup_cpu`).
//!
//! `cargo run --release -p host-example --example lookup_cpu [ROUNDS]`, with
//! `SSM_SECRETS_COMPONENT` pointing at the `.wasm`.

use std::sync::Arc;

use host_example::fixture::Fixture;
use host_example::{ConnectionSemantics, Runtime, Session, SessionOptions, Upstream};

/// This process's CPU time (user + system, every thread) in seconds, from `/proc/self/stat`:
/// unlike wall time, it does not count the time other processes had the cores.
fn cpu_seconds() -> f64 {
    let stat = std::fs::read_to_string("/proc/self/stat").expect("/proc/self/stat");
    let after_name = stat.rsplit_once(')').expect("a stat line").1;
    let fields: Vec<&str> = after_name.split_whitespace().collect();
    let ticks: f64 = fields[11].parse::<f64>().unwrap() + fields[12].parse::<f64>().unwrap();
    ticks / 100.0 // USER_HZ
}

fn main() {
    let component = std::env::var("SSM_SECRETS_COMPONENT").expect("SSM_SECRETS_COMPONENT");
    let rounds: u32 = std::env::args()
        .nth(1)
        .map_or(20_000, |n| n.parse().expect("ROUNDS is a number"));
    let runtime = Runtime::from_file(component.as_ref()).expect("the component compiles");
    let fixture = Fixture::from_json(r#"{"parameters": {"/airflow/variables/v": "value"}}"#)
        .expect("a valid fixture");
    let options = SessionOptions::new(Upstream::Fixture(Arc::new(fixture)))
        .env("AWS_ACCESS_KEY_ID", "AKIDEXAMPLE")
        .env("AWS_SECRET_ACCESS_KEY", "example-secret");
    let mut session = Session::open(&runtime, r#"{"region_name": "eu-west-1"}"#, options)
        .expect("the backend opens");
    assert_eq!(
        session.get_variable("v", None).unwrap().as_deref(),
        Some("value")
    );

    let started = cpu_seconds();
    for _ in 0..rounds {
        session.get_variable("v", None).unwrap();
    }
    let get_variable_us = (cpu_seconds() - started) * 1e6 / f64::from(rounds);

    let uri =
        "postgres://user:p%40ss@db.example.com:5432/analytics?sslmode=require&connect_timeout=10";
    let started = cpu_seconds();
    for _ in 0..rounds {
        session
            .parse_connection("c", uri, ConnectionSemantics::Core)
            .unwrap();
    }
    let parse_us = (cpu_seconds() - started) * 1e6 / f64::from(rounds);
    println!(
        "{}",
        serde_json::json!({
            "component get-variable, fixture upstream (us CPU)": get_variable_us,
            "component parse-connection, typical URI (us CPU)": parse_us,
        })
    );
}
