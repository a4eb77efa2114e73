//! `ssm-endpoint`: a `wasi:http/proxy` component that serves the `airflow-ssm:secrets/lookup`
//! interface it imports over HTTP, as AWS's Parameters and Secrets Lambda Extension and the
//! Secrets Manager Agent serve theirs: `GET /systemsmanager/parameters/get?name=...`,
//! `GET /airflow/{connections,variables,config}/<key>[?team=]` and `GET /ping`, guarded by the
//! `X-Aws-Parameters-Secrets-Token` header.
//!
//! - [`route`]: the guard and the routes;
//! - [`kind`]: which of Airflow's lookups a request asks for;
//! - [`reply`]: bodies, error statuses, and which lookup an SSM name stands for;
//! - `component` (wasm32 only): the WASI glue, one backend per instance.
#![deny(unsafe_code)]

pub mod kind;
pub mod reply;
pub mod route;

#[cfg(target_arch = "wasm32")]
mod component;
