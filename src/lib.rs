//! Apache Airflow's AWS SSM Parameter Store secrets backend as a sandboxed WebAssembly component.
//!
//! The crate is a pure core that compiles and is tested natively, plus thin WASI glue
//! (`wasi`, built only for `wasm32`) that exports the WIT interface in `wit/ssm-secrets.wit`:
//!
//! - [`config`]: `backend_kwargs` -> a typed configuration;
//! - [`naming`]: prefixes, lookup patterns, teams -> SSM parameter names;
//! - [`connection`]: Airflow's URI and JSON connection formats, and `get_uri`, as Airflow 3.3
//!   core, the Airflow 3 task SDK or Airflow 2.10 does them ([`ConnectionSemantics`]);
//! - [`ssm`]: the `GetParameter` wire protocol; [`signing`]: SigV4 via `aws-sigv4`;
//! - [`credentials`], [`region`] and [`endpoint`]: credentials, region and endpoint resolution;
//!   [`route`]: the TLS trust and proxy of each endpoint, for the host;
//! - [`failure`]: what an AWS error reply means (throttling, transient, skew, ...);
//! - [`retry`] and [`skew`]: the standard retry mode and clock-skew correction;
//! - [`backend`]: the lookups, over the [`platform`] traits (transport, environment, clock).
#![deny(unsafe_code)]
#![warn(missing_docs)]

pub mod aws_error;
pub mod backend;
pub mod cache;
pub mod config;
pub mod connection;
pub mod credentials;
pub mod endpoint;
pub mod error;
pub mod failure;
pub mod message;
pub mod naming;
pub mod platform;
pub mod region;
pub mod retry;
pub mod route;
pub mod signing;
pub mod skew;
pub mod ssm;
#[cfg(any(test, feature = "test-util"))]
pub mod test_util;
pub mod timestamp;

#[cfg(target_arch = "wasm32")]
mod wasi;

pub use backend::{Backend, Kind, Platform};
pub use connection::{
    Connection, ConnectionSemantics, deserialize_connection, deserialize_connection_as, get_uri,
    get_uri_as,
};
pub use error::{AwsError, Error, ErrorKind};
