//! Fuzz target: connection parsing and serialisation (see `oracles::connection`).
#![no_main]

mod oracles;

libfuzzer_sys::fuzz_target!(|data: &[u8]| oracles::connection(data));
