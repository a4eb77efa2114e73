//! `config_consumer`: the test consumer of the `wasi:config` adapter, a `wasi:cli/run` command
//! that imports `wasi:config/store` and nothing else of ours.
//!
//! Each argument is a key to `get`; the argument `--all` calls `get-all`. For each, one JSON
//! line on stdout says what came back (see [`report`]), so a host can check exactly what a
//! component reading its configuration through `wasi:config` sees.
#![deny(unsafe_code)]

mod report;

#[cfg(target_arch = "wasm32")]
mod component;

#[cfg(target_arch = "wasm32")]
fn main() {
    for arg in std::env::args().skip(1) {
        let line = if arg == "--all" {
            report::get_all(component::get_all())
        } else {
            report::get(&arg, component::get(&arg))
        };
        println!("{line}");
    }
}

#[cfg(not(target_arch = "wasm32"))]
fn main() {
    eprintln!("config_consumer is a wasm32-wasip2 component: build it with scripts/common.sh");
    std::process::exit(2);
}
