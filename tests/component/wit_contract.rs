//! The built component's interface: it exports the project's lookups and imports nothing
//! beyond WASI 0.2.

use crate::common;

/// The WASI 0.2 packages a lookup component may need.
const ALLOWED_PACKAGES: [&str; 6] = ["http", "clocks", "random", "cli", "io", "filesystem"];

#[test]
fn imports_are_only_wasi_0_2() {
    let imports = common::runtime().imports();
    assert!(!imports.is_empty());
    for import in &imports {
        let (package, version) = import.split_once('@').expect("imports are versioned");
        let (namespace, rest) = package
            .split_once(':')
            .expect("namespace:package/interface");
        let name = rest.split('/').next().unwrap();
        assert_eq!(namespace, "wasi", "{import}");
        assert!(ALLOWED_PACKAGES.contains(&name), "{import}");
        assert!(version.starts_with("0.2."), "{import}");
    }
    assert!(
        imports
            .iter()
            .any(|i| i.starts_with("wasi:http/outgoing-handler@0.2"))
    );
    assert!(
        !imports.iter().any(|i| i.starts_with("wasi:sockets")),
        "no raw sockets"
    );
}

#[test]
fn exports_the_lookup_interface() {
    let exports = common::runtime().exports();
    assert!(
        exports.contains(&"airflow-ssm:secrets/lookup@0.2.0".to_string()),
        "{exports:?}"
    );
    assert!(
        exports.contains(&"airflow-ssm:secrets/types@0.2.0".to_string()),
        "{exports:?}"
    );
}
