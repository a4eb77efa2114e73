//! The core's own CPU per lookup, natively (no wasm, no host): `get_value` of a variable over an
//! in-memory transport (name, credentials, SigV4 signature, request, reply parse), and
//! `deserialize_connection` of a typical URI. The component's figures (host-example's
//! `lookup_cpu` example) minus these are the price of wasm and of the wasi:http plumbing.
//!
//! `cargo run --release --example core_cpu [ROUNDS]`

use std::collections::HashMap;
use std::time::{Instant, SystemTime};

use ssm_secrets::platform::{
    ProcessFilesystem, Request, Response, SystemClock, Transport, TransportError,
};
use ssm_secrets::{Backend, Kind, Platform, deserialize_connection};

struct Answer;

impl Transport for Answer {
    fn send(&mut self, _request: Request) -> Result<Response, TransportError> {
        // `Response::new` is a 200 reply.
        Ok(Response::new(
            br#"{"Parameter": {"Name": "/airflow/variables/v", "Type": "String", "Value": "value", "Version": 1}}"#
                .to_vec(),
        ))
    }
}

fn main() {
    let rounds: u32 = std::env::args()
        .nth(1)
        .map_or(100_000, |n| n.parse().expect("ROUNDS is a number"));
    let env: HashMap<String, String> = [
        ("AWS_ACCESS_KEY_ID", "AKIDEXAMPLE"),
        ("AWS_SECRET_ACCESS_KEY", "example-secret"),
    ]
    .into_iter()
    .map(|(k, v)| (k.to_string(), v.to_string()))
    .collect();
    let mut backend = Backend::new(r#"{"region_name": "eu-west-1"}"#).expect("valid kwargs");
    let mut transport = Answer;
    let mut platform = Platform {
        transport: &mut transport,
        env: &env,
        clock: &SystemClock,
        fs: &ProcessFilesystem,
    };
    let _ = SystemTime::now();
    let started = Instant::now();
    for _ in 0..rounds {
        let got = backend.get_value(&mut platform, Kind::Variable, "v", None);
        assert_eq!(got.unwrap().as_deref(), Some("value"));
    }
    let get_us = started.elapsed().as_secs_f64() * 1e6 / f64::from(rounds);
    let uri =
        "postgres://user:p%40ss@db.example.com:5432/analytics?sslmode=require&connect_timeout=10";
    let started = Instant::now();
    for _ in 0..rounds {
        deserialize_connection("c", uri).unwrap();
    }
    let parse_us = started.elapsed().as_secs_f64() * 1e6 / f64::from(rounds);
    println!(
        "{{\"native get_value (us)\": {get_us:.2}, \"native deserialize_connection (us)\": {parse_us:.2}}}"
    );
}
