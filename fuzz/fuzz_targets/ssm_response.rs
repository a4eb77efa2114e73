//! Fuzz target: see `oracles::ssm_response`.
#![no_main]

mod oracles;

libfuzzer_sys::fuzz_target!(|data: &[u8]| oracles::ssm_response(data));
