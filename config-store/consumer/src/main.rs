//! `config_consumer`: the test consumer of the `wasi:config` adapter, a `wasi:cli/run` command
//! that imports `wasi:config/store@0.2.0-draft` and nothing else of ours.
//!
//! Each argument is a key to `get`; the argument `--all` calls `get-all`. For each, one JSON
//! line on stdout says what came back (see [`report`]), so a host can check exactly what a
//! component reading its configuration through `wasi:config` sees. `config_consumer_spin`
//! (`src/spin.rs`) is the same command importing Spin's name for the interface.
#![deny(unsafe_code)]

#[cfg(target_arch = "wasm32")]
#[macro_use]
mod component;
mod report;

#[cfg(target_arch = "wasm32")]
mod store {
    import_store!("airflow-ssm:config-consumer/consumer", config0_2_0_draft);
}

#[cfg(target_arch = "wasm32")]
fn main() {
    report::run(store::get, store::get_all);
}

#[cfg(not(target_arch = "wasm32"))]
fn main() {
    eprintln!("config_consumer is a wasm32-wasip2 component: build it with scripts/common.sh");
    std::process::exit(2);
}
