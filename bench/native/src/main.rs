//! Client CPU per warm `GetParameter` lookup of two native clients against one SSM endpoint
//! (`bench/mock_ssm.py`), in the same process and run:
//!
//! - the native floor: one kept-alive `hyper-util` client; each request built by hand (`POST /`,
//!   `x-amz-target: AmazonSSM.GetParameter`, `content-type: application/x-amz-json-1.1`, the body
//!   `{"Name": ..., "WithDecryption": true}`), signed with `aws_sigv4::http_request::sign`
//!   (static credentials, us-east-1, `ssm`), the reply read whole and parsed with `serde_json`
//!   down to the value;
//! - `aws-sdk-ssm`: one client built once (`aws_config::defaults(BehaviorVersion::latest())`,
//!   static credentials, us-east-1, `endpoint_url` the mock), `get_parameter().send()` a lookup.
//!
//! Both run on one current-thread Tokio runtime (as the host's `lookups` bench does). After a
//! warm-up of each, the lookups are timed in interleaved blocks (floor, SDK, SDK, floor, ...)
//! so the machine's noise hits both alike; a block's cost is this process's CPU time (user +
//! system, `getrusage`) over its lookups. Prints one JSON object: each client's median over the
//! blocks, in us of CPU a lookup.
//!
//! usage: ssm-native-bench [ENDPOINT [ROUNDS]]
//!   ENDPOINT: the mock's URL (or `BENCH_ENDPOINT`), e.g. `http://127.0.0.1:8080`
//!   ROUNDS:   timed lookups per client (or `BENCH_ROUNDS`; default 2000), in `BENCH_BLOCKS`
//!             blocks (default 10)

use std::time::SystemTime;

use aws_config::BehaviorVersion;
use aws_credential_types::Credentials;
use aws_sigv4::http_request::{SignableBody, SignableRequest, SigningSettings, sign};
use aws_sigv4::sign::v4;
use aws_smithy_runtime_api::client::identity::Identity;
use bytes::Bytes;
use http_body_util::{BodyExt, Full};
use hyper_util::client::legacy::Client;
use hyper_util::client::legacy::connect::HttpConnector;
use hyper_util::rt::TokioExecutor;
use serde::Deserialize;

const ACCESS_KEY_ID: &str = "AKIDBENCH";
const SECRET_ACCESS_KEY: &str = "bench-secret";
const REGION: &str = "us-east-1";

/// This process's CPU time (user + system, every thread) in seconds.
fn cpu_seconds() -> f64 {
    // SAFETY: getrusage only writes the `rusage` it is given.
    let usage = unsafe {
        let mut usage = std::mem::zeroed::<libc::rusage>();
        assert_eq!(libc::getrusage(libc::RUSAGE_SELF, &mut usage), 0);
        usage
    };
    let seconds = |t: libc::timeval| t.tv_sec as f64 + t.tv_usec as f64 / 1e6;
    seconds(usage.ru_utime) + seconds(usage.ru_stime)
}

/// The part of a `GetParameter` reply the floor reads.
#[derive(Deserialize)]
struct Reply {
    #[serde(rename = "Parameter")]
    parameter: Parameter,
}

#[derive(Deserialize)]
struct Parameter {
    #[serde(rename = "Value")]
    value: String,
}

/// The native floor: hyper-util's pooled client, aws-sigv4, serde_json.
struct Floor {
    client: Client<HttpConnector, Full<Bytes>>,
    uri: String,
    identity: Identity,
}

impl Floor {
    fn new(endpoint: &str) -> Self {
        Floor {
            client: Client::builder(TokioExecutor::new()).build_http(),
            uri: format!("{}/", endpoint.trim_end_matches('/')),
            identity: Credentials::new(ACCESS_KEY_ID, SECRET_ACCESS_KEY, None, None, "bench")
                .into(),
        }
    }

    /// Builds and signs the request now; the future sends it and reads the value.
    fn get<'s>(&'s self, name: &str) -> impl Future<Output = String> + use<'s> {
        let body = serde_json::to_vec(&serde_json::json!({"Name": name, "WithDecryption": true}))
            .expect("a JSON object serialises");
        let mut request = http::Request::builder()
            .method("POST")
            .uri(&self.uri)
            .header("x-amz-target", "AmazonSSM.GetParameter")
            .header("content-type", "application/x-amz-json-1.1")
            .body(())
            .expect("a valid request");
        let params = v4::SigningParams::builder()
            .identity(&self.identity)
            .region(REGION)
            .name("ssm")
            .time(SystemTime::now())
            .settings(SigningSettings::default())
            .build()
            .expect("complete signing parameters")
            .into();
        let signable = SignableRequest::new(
            "POST",
            &self.uri,
            request
                .headers()
                .iter()
                .map(|(k, v)| (k.as_str(), v.to_str().expect("ASCII header values"))),
            SignableBody::Bytes(&body),
        )
        .expect("a signable request");
        let (instructions, _) = sign(signable, &params)
            .expect("the request signs")
            .into_parts();
        instructions.apply_to_request_http1x(&mut request);
        let request = request.map(|()| Full::new(Bytes::from(body)));
        async move {
            let response = self
                .client
                .request(request)
                .await
                .expect("the mock answers");
            assert_eq!(response.status(), 200, "the mock answers GetParameter");
            let bytes = response
                .into_body()
                .collect()
                .await
                .expect("the reply's body")
                .to_bytes();
            let reply: Reply = serde_json::from_slice(&bytes).expect("a GetParameter reply");
            reply.parameter.value
        }
    }
}

/// One block of `rounds` lookups; returns us of CPU a lookup.
async fn block<F, Fut>(rounds: usize, names: &[String], lookup: F) -> f64
where
    F: Fn(&str) -> Fut,
    Fut: Future<Output = String>,
{
    let cpu = cpu_seconds();
    for i in 0..rounds {
        let value = lookup(&names[i % names.len()]).await;
        std::hint::black_box(value);
    }
    (cpu_seconds() - cpu) * 1e6 / rounds as f64
}

fn median(mut values: Vec<f64>) -> f64 {
    values.sort_by(f64::total_cmp);
    let n = values.len();
    if n % 2 == 1 {
        values[n / 2]
    } else {
        (values[n / 2 - 1] + values[n / 2]) / 2.0
    }
}

fn setting(args: &[String], index: usize, env: &str) -> Option<String> {
    args.get(index).cloned().or_else(|| std::env::var(env).ok())
}

fn main() {
    let args: Vec<String> = std::env::args().collect();
    let endpoint = setting(&args, 1, "BENCH_ENDPOINT")
        .expect("usage: ssm-native-bench ENDPOINT [ROUNDS] (or BENCH_ENDPOINT, BENCH_ROUNDS)");
    let rounds: usize =
        setting(&args, 2, "BENCH_ROUNDS").map_or(2000, |r| r.parse().expect("ROUNDS is a number"));
    let blocks: usize = std::env::var("BENCH_BLOCKS")
        .map_or(10, |b| b.parse().expect("BENCH_BLOCKS is a number"))
        .max(1);
    let per_block = (rounds / blocks).max(1);
    let names: Vec<String> = (0..100)
        .map(|i| format!("/airflow/connections/id{i}"))
        .collect();

    let runtime = tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .expect("a current-thread runtime");
    let (floor_us, sdk_us) = runtime.block_on(async {
        let floor = Floor::new(&endpoint);
        let config = aws_config::defaults(BehaviorVersion::latest())
            .region(aws_config::Region::new(REGION))
            .credentials_provider(Credentials::new(
                ACCESS_KEY_ID,
                SECRET_ACCESS_KEY,
                None,
                None,
                "bench",
            ))
            .endpoint_url(&endpoint)
            .load()
            .await;
        let sdk = aws_sdk_ssm::Client::new(&config);
        let sdk_get = |name: &str| {
            let request = sdk.get_parameter().name(name).with_decryption(true).send();
            async move {
                request
                    .await
                    .expect("the mock answers GetParameter")
                    .parameter
                    .and_then(|p| p.value)
                    .expect("a value")
            }
        };
        let floor_get = |name: &str| floor.get(name);

        // Warm-up: connections open, lazy state built, caches and branch predictors warm.
        let expected = "postgres://u:p@db.internal:5432/warmup";
        assert_eq!(floor.get("/airflow/connections/warmup").await, expected);
        assert_eq!(sdk_get("/airflow/connections/warmup").await, expected);
        block(per_block.min(200), &names, floor_get).await;
        block(per_block.min(200), &names, sdk_get).await;

        let (mut floor_us, mut sdk_us) = (Vec::new(), Vec::new());
        for b in 0..blocks {
            // Alternate which goes first, so neither always follows the other.
            if b % 2 == 0 {
                floor_us.push(block(per_block, &names, floor_get).await);
                sdk_us.push(block(per_block, &names, sdk_get).await);
            } else {
                sdk_us.push(block(per_block, &names, sdk_get).await);
                floor_us.push(block(per_block, &names, floor_get).await);
            }
        }
        (median(floor_us), median(sdk_us))
    });

    eprintln!("ssm-native-bench: {blocks} blocks of {per_block} lookups per client");
    println!(
        "{}",
        serde_json::json!({
            "client CPU per warm lookup, native floor (hyper + aws-sigv4 + serde_json) (us)": floor_us,
            "client CPU per warm lookup, aws-sdk-ssm (us)": sdk_us,
        })
    );
}
