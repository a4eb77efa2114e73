//! `config_consumer_spin`: `config_consumer` (`src/main.rs`, same arguments, same lines)
//! importing `wasi:config/store@0.2.0-draft-2024-09-27`, the name Spin's host worlds give the
//! interface, as a component built for Spin does.
#![deny(unsafe_code)]

#[cfg(target_arch = "wasm32")]
#[macro_use]
mod component;
mod report;

#[cfg(target_arch = "wasm32")]
mod store {
    import_store!(
        "airflow-ssm:config-consumer/consumer-spin",
        config0_2_0_draft_2024_09_27
    );
}

#[cfg(target_arch = "wasm32")]
fn main() {
    report::run(store::get, store::get_all);
}

#[cfg(not(target_arch = "wasm32"))]
fn main() {
    eprintln!("config_consumer_spin is a wasm32-wasip2 component: build it with scripts/common.sh");
    std::process::exit(2);
}
