//! A wasmtime 48 host for the `ssm-secrets` component: load and compile it once, open backends
//! with least privilege, and call the lookups.
//!
//! - [`runtime`]: the engine, the compiled component and its linker;
//! - [`precompiled_cache`]: compiled components kept across processes;
//! - [`session`]: one store with one `backend` resource, and typed calls into it;
//! - [`host_state`]: the store data every component here runs with (WASI, WASI HTTP, egress);
//! - [`egress`]: which endpoints a configuration implies, and the `wasi:http` hook that
//!   enforces that, caps timeouts, and sends through the network, a fixture or a test handler;
//! - [`pool`]: the network upstream, hyper-util's pooled HTTP/1.1 client shared by the process
//!   (with `connector`: TCP, TLS and the connect timeout; `quick_ack` and `reply_framing`:
//!   acknowledge at once the reads of a reply that is incomplete);
//! - [`fixture`]: SSM answered from a JSON file of parameters;
//! - [`sidecar`]: the local secrets endpoint (`host-example serve`): one cache for a whole
//!   worker, single flight, batching and a cap on SSM requests, over the lookup component;
//! - [`cli`]: the command-line contract (README, "CLI");
//! - [`command`]: a `wasi:cli/run` command run once under the same grants (e.g. a component
//!   reading `wasi:config` through the SSM adapter).
#![deny(unsafe_code)]

mod atomic_file;
pub mod cli;
pub mod command;
pub mod connection;
mod connector;
pub mod egress;
pub mod endpoint_key;
mod explain;
pub mod fixture;
pub mod host_state;
mod http_import;
pub mod network;
pub mod planned_grants;
pub mod pool;
pub mod precompiled_cache;
pub mod proxy;
mod quick_ack;
mod reply_framing;
pub mod runtime;
pub mod session;
pub mod sidecar;
mod source_index;
pub mod trust;

/// Bindings generated from `wit/ssm-secrets.wit`.
pub mod bindings {
    wasmtime::component::bindgen!({
        path: "../wit",
        world: "ssm-backend",
        require_store_data_send: true,
        // Exports are entered with `call_async` on the host's current-thread Tokio runtime, so
        // the wasi:http work of a call runs on the calling thread (see `session`).
        exports: { default: async },
        with: {
            "wasi:http": wasmtime_wasi_http::p2::bindings::http,
            "wasi:io": wasmtime_wasi::p2::bindings::io,
            "wasi:clocks": wasmtime_wasi::p2::bindings::clocks,
        },
    });
}

pub use bindings::exports::airflow_ssm::secrets::types::{AwsError, Error};
pub use connection::{Connection, ConnectionSemantics, parse_semantics};
pub use egress::{EgressPolicy, Grants, TimeoutCaps, Upstream};
pub use runtime::{CacheOutcome, Runtime};
pub use session::{Session, SessionOptions};
pub use wasmtime_wasi_http::Error as HttpError;

/// A component error as one line of text (the component guarantees it holds no secret).
pub fn error_message(error: &Error) -> String {
    let aws =
        |what: &str, e: &AwsError| format!("{what}: {} (HTTP {}): {}", e.code, e.status, e.message);
    match error {
        Error::Configuration(m) => format!("configuration error: {m}"),
        Error::Credentials(m) => format!("credentials error: {m}"),
        Error::AccessDenied(e) => aws("access denied", e),
        Error::Throttled(e) => aws("throttled", e),
        Error::Service(e) => aws("AWS error", e),
        Error::Transport(m) => format!("transport error: {m}"),
        Error::InvalidValue(m) => format!("invalid value: {m}"),
    }
}
