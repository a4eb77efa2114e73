//! Fuzz target: see `oracles::sts_response`.
#![no_main]

mod oracles;

libfuzzer_sys::fuzz_target!(|data: &[u8]| oracles::sts_response(data));
