//! The built component in wasmtime, in one test binary (wasmtime's `tests/all` layout): the
//! WIT contract, Airflow's vectors, signing, errors, connections, credential sources, batching
//! and the cache. One link of wasmtime and one compiled component (`common::runtime()`) serve
//! every module; the core's own data-driven tests stay in their own binaries beside this one.

mod common;

mod backend_vectors;
mod batching_and_cache;
mod connections;
mod credential_sources;
mod error_outcomes;
mod plan_grants;
mod signed_requests;
mod wit_contract;
