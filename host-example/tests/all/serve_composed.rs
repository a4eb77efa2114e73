//! The composed endpoint (`build_endpoint` in scripts/common.sh: the `endpoint/` crate plugged
//! with the lookup component by `wac plug`) is a `wasi:http/proxy` component that imports only
//! WASI, and this host's proxy bindings accept it.

use crate::common;

use common::endpoint_path;

use wasmtime::component::Component;
use wasmtime::{Config, Engine};

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
