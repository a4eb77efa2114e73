//! The precompiled-component cache: the first load compiles and stores, the next loads the
//! artifact; a damaged artifact is recompiled, never trusted blindly.

mod common;

use host_example::{CacheOutcome, Runtime};

#[test]
fn compile_once_then_load() {
    let dir = std::env::temp_dir().join(format!("ssm-secrets-precompiled-{}", std::process::id()));
    let _ = std::fs::remove_dir_all(&dir);
    let component = common::component_path();

    let (first, outcome) = Runtime::from_file_cached(&component, &dir).unwrap();
    assert_eq!(outcome, CacheOutcome::Stored);
    let (second, outcome) = Runtime::from_file_cached(&component, &dir).unwrap();
    assert_eq!(outcome, CacheOutcome::Hit);
    assert_eq!(first.exports(), second.exports());

    let artifacts: Vec<_> = std::fs::read_dir(&dir)
        .unwrap()
        .map(|e| e.unwrap().path())
        .collect();
    assert_eq!(artifacts.len(), 1, "{artifacts:?}");
    std::fs::write(&artifacts[0], b"not a precompiled component").unwrap();
    let (_, outcome) = Runtime::from_file_cached(&component, &dir).unwrap();
    assert_eq!(
        outcome,
        CacheOutcome::Stored,
        "a damaged artifact is replaced"
    );
    let (runtime, outcome) = Runtime::from_file_cached(&component, &dir).unwrap();
    assert_eq!(outcome, CacheOutcome::Hit);
    assert!(
        runtime
            .imports()
            .iter()
            .any(|i| i.starts_with("wasi:http/outgoing-handler"))
    );
    std::fs::remove_dir_all(&dir).unwrap();
}
