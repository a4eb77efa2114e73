//! Fuzz target: see `oracles::backend_kwargs`.
#![no_main]

mod oracles;

libfuzzer_sys::fuzz_target!(|data: &[u8]| oracles::backend_kwargs(data));
