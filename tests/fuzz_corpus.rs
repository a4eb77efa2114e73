//! Replays the committed fuzz corpora (`fuzz/corpus/<target>/`) through the fuzz targets'
//! oracles on stable Rust, so CI checks every input the fuzzer found interesting.

#[path = "../fuzz/fuzz_targets/oracles.rs"]
mod oracles;

use std::path::Path;

fn replay(target: &str, oracle: fn(&[u8])) {
    let dir = Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("fuzz/corpus")
        .join(target);
    let mut count = 0;
    for entry in std::fs::read_dir(&dir).unwrap_or_else(|e| panic!("{}: {e}", dir.display())) {
        let path = entry.unwrap().path();
        let data = std::fs::read(&path).unwrap();
        let outcome = std::panic::catch_unwind(|| oracle(&data));
        assert!(outcome.is_ok(), "{} fails the oracle", path.display());
        count += 1;
    }
    assert!(count > 0, "the {target} corpus is empty");
}

#[test]
fn connection_corpus() {
    replay("connection", oracles::connection);
}

#[test]
fn backend_kwargs_corpus() {
    replay("backend_kwargs", oracles::backend_kwargs);
}

#[test]
fn ssm_response_corpus() {
    replay("ssm_response", oracles::ssm_response);
}

#[test]
fn sts_response_corpus() {
    replay("sts_response", oracles::sts_response);
}
