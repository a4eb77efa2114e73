//! The composed endpoint (`build_endpoint` in scripts/common.sh: the `endpoint/` crate plugged
//! with the lookup component by `wac plug`) is a `wasi:http/proxy` component that imports only
//! WASI, and this host's proxy bindings accept it.

use std::path::PathBuf;

use wasmtime::component::Component;
use wasmtime::{Config, Engine};

/// `$SSM_SECRETS_ENDPOINT`, else the workspace's `target/endpoint/ssm_endpoint.wasm`.
fn endpoint_path() -> PathBuf {
    if let Some(path) = std::env::var_os("SSM_SECRETS_ENDPOINT") {
        return PathBuf::from(path);
    }
    let target = std::env::var_os("CARGO_TARGET_DIR")
        .map(PathBuf::from)
        .unwrap_or_else(|| PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("../target"));
    let path = target.join("endpoint/ssm_endpoint.wasm");
    assert!(
        path.exists(),
        "the endpoint {} is missing: run `bash scripts/test.sh`",
        path.display()
    );
    path
}

#[test]
fn composed_endpoint_exports_the_http_handler_and_imports_only_wasi() {
    let engine = Engine::new(&Config::new()).unwrap();
    let component = Component::from_file(&engine, endpoint_path()).unwrap();
    let ty = component.component_type();
    let exports: Vec<String> = ty.exports(&engine).map(|(n, _)| n.to_string()).collect();
    let imports: Vec<String> = ty.imports(&engine).map(|(n, _)| n.to_string()).collect();
    assert!(
        exports
            .iter()
            .any(|e| e.starts_with("wasi:http/incoming-handler@0.2.")),
        "{exports:?}"
    );
    assert_eq!(exports.len(), 1, "{exports:?}");
    assert!(!imports.is_empty());
    for import in &imports {
        assert!(import.starts_with("wasi:"), "a non-WASI import: {import}");
    }
    assert!(
        imports
            .iter()
            .any(|i| i.starts_with("wasi:http/outgoing-handler@")),
        "{imports:?}"
    );
}
