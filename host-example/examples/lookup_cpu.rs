//! The component's own CPU per call, with no network: `get-variable` answered by the fixture
//! upstream inside the host (kwargs parsed once; name, signature, request, reply per call) and
//! offline `parse-connection` of a typical URI. Prints one JSON object; `scripts/bench.sh` runs
//! it, and it is the workload to profile (`perf record -g target/release/examples/lookup_cpu`).
//!
//! `cargo run --release -p host-example --example lookup_cpu [ROUNDS]`, with
//! `SSM_SECRETS_COMPONENT` pointing at the `.wasm`.

use std::sync::Arc;
use std::time::Instant;

use host_example::fixture::Fixture;
use host_example::{ConnectionSemantics, Runtime, Session, SessionOptions, Upstream};

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

    let started = Instant::now();
    for _ in 0..rounds {
        session.get_variable("v", None).unwrap();
    }
    let get_variable_us = started.elapsed().as_secs_f64() * 1e6 / f64::from(rounds);

    let uri =
        "postgres://user:p%40ss@db.example.com:5432/analytics?sslmode=require&connect_timeout=10";
    let started = Instant::now();
    for _ in 0..rounds {
        session
            .parse_connection("c", uri, ConnectionSemantics::Core)
            .unwrap();
    }
    let parse_us = started.elapsed().as_secs_f64() * 1e6 / f64::from(rounds);
    println!(
        "{}",
        serde_json::json!({
            "component get-variable, fixture upstream (us)": get_variable_us,
            "component parse-connection, typical URI (us)": parse_us,
        })
    );
}
