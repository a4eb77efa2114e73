//! The precompiled-component cache: the first load compiles and stores, the next loads the
//! artifact; a damaged artifact is recompiled, never trusted blindly.

use crate::common;

use std::io::Write;
use std::path::{Path, PathBuf};

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
    // Artifacts are mapped: damage one in place only once no runtime uses it.
    drop((first, second));

    let artifacts = artifacts(&dir);
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

fn artifacts(dir: &Path) -> Vec<PathBuf> {
    std::fs::read_dir(dir)
        .unwrap()
        .map(|e| e.unwrap().path())
        .filter(|p| p.extension().is_some_and(|e| e == "cwasm"))
        .collect()
}

/// The component with a custom section `marker` appended: still valid, a different digest.
fn marked_component(marker: &[u8; 4]) -> Vec<u8> {
    let mut bytes = std::fs::read(common::component_path()).unwrap();
    // custom section id 0, size, name "m", payload
    bytes.extend_from_slice(&[0, 6, 1, b'm']);
    bytes.extend_from_slice(marker);
    bytes
}

#[test]
fn a_component_rewritten_in_place_with_the_same_size_is_not_served_a_stale_artifact() {
    let dir = std::env::temp_dir().join(format!("ssm-secrets-stale-{}", std::process::id()));
    let _ = std::fs::remove_dir_all(&dir);
    let cache = dir.join("cache");
    std::fs::create_dir_all(&dir).unwrap();
    let component = dir.join("component.wasm");
    std::fs::write(&component, marked_component(b"aaaa")).unwrap();
    // Only a file changed a while ago gets its digest recorded by stat (see source_index).
    std::thread::sleep(std::time::Duration::from_millis(3200));
    let (_, outcome) = Runtime::from_file_cached(&component, &cache).unwrap();
    assert_eq!(outcome, CacheOutcome::Stored);
    let (_, outcome) = Runtime::from_file_cached(&component, &cache).unwrap();
    assert_eq!(outcome, CacheOutcome::Hit);
    let recorded = std::fs::read_dir(&cache)
        .unwrap()
        .filter(|e| {
            e.as_ref()
                .unwrap()
                .path()
                .extension()
                .is_some_and(|e| e == "sha256")
        })
        .count();
    assert_eq!(recorded, 1, "the digest is recorded by the file's stat");

    // Same inode, same size, other bytes.
    let other = marked_component(b"bbbb");
    std::fs::OpenOptions::new()
        .write(true)
        .open(&component)
        .unwrap()
        .write_all(&other)
        .unwrap();
    assert_eq!(
        std::fs::metadata(&component).unwrap().len() as usize,
        other.len()
    );
    let (_, outcome) = Runtime::from_file_cached(&component, &cache).unwrap();
    assert_eq!(
        outcome,
        CacheOutcome::Stored,
        "compiled afresh, not the old artifact"
    );
    assert_eq!(artifacts(&cache).len(), 2);
    std::fs::remove_dir_all(&dir).unwrap();
}
