//! Every integration test of the host in one binary (wasmtime's `tests/all` layout): the
//! component is compiled in wasmtime once per test process and the test build links wasmtime
//! once, not once per file. Each module is one concern.

mod common;

mod cli;
mod config_store;
mod fault_matrix;
mod moto_e2e;
mod pooled_connections;
mod precompiled_cache;
mod proxies;
mod serve;
mod serve_composed;
mod sidecar;
mod tls;
