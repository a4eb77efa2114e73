//! What the consumer prints: one JSON object per call.
//!
//! - `{"call":"get","key":K,"value":V}` for a value, `"value":null` for `none`;
//! - `{"call":"get-all","pairs":[[K,V],...]}`;
//! - `{"call":...,"key":K,"error":{"upstream":M}}` or `{"error":{"io":M}}` for an error.
#![cfg_attr(not(target_arch = "wasm32"), allow(dead_code))]

use serde_json::{Value, json};

/// `wasi:config/store`'s `error`, mirrored so the report is tested natively.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum StoreError {
    /// `upstream`.
    Upstream(String),
    /// `io`.
    Io(String),
}

fn error(e: StoreError) -> Value {
    match e {
        StoreError::Upstream(m) => json!({ "upstream": m }),
        StoreError::Io(m) => json!({ "io": m }),
    }
}

/// The command: for each argument, `get(key)`, or `get-all()` for `--all`, and its line on
/// stdout.
pub fn run(
    get: impl Fn(&str) -> Result<Option<String>, StoreError>,
    get_all: impl Fn() -> Result<Vec<(String, String)>, StoreError>,
) {
    for arg in std::env::args().skip(1) {
        let line = if arg == "--all" {
            self::get_all(get_all())
        } else {
            self::get(&arg, get(&arg))
        };
        println!("{line}");
    }
}

/// The line for `get(key)`.
pub fn get(key: &str, result: Result<Option<String>, StoreError>) -> String {
    match result {
        Ok(value) => json!({ "call": "get", "key": key, "value": value }),
        Err(e) => json!({ "call": "get", "key": key, "error": error(e) }),
    }
    .to_string()
}

/// The line for `get-all()`.
pub fn get_all(result: Result<Vec<(String, String)>, StoreError>) -> String {
    match result {
        Ok(pairs) => json!({ "call": "get-all", "pairs": pairs }),
        Err(e) => json!({ "call": "get-all", "error": error(e) }),
    }
    .to_string()
}

#[cfg(test)]
mod tests {
    use super::*;

    fn parsed(line: &str) -> Value {
        serde_json::from_str(line).unwrap()
    }

    #[test]
    fn values_and_none() {
        assert_eq!(
            parsed(&get("db_host", Ok(Some("db.internal".to_string())))),
            json!({"call": "get", "key": "db_host", "value": "db.internal"})
        );
        assert_eq!(
            parsed(&get("missing", Ok(None))),
            json!({"call": "get", "key": "missing", "value": null})
        );
    }

    #[test]
    fn errors_keep_their_case() {
        assert_eq!(
            parsed(&get("k", Err(StoreError::Upstream("denied".to_string())))),
            json!({"call": "get", "key": "k", "error": {"upstream": "denied"}})
        );
        assert_eq!(
            parsed(&get_all(Err(StoreError::Io("refused".to_string())))),
            json!({"call": "get-all", "error": {"io": "refused"}})
        );
    }

    #[test]
    fn pairs_are_arrays_of_two() {
        let pairs = vec![("a".to_string(), "1".to_string())];
        assert_eq!(
            parsed(&get_all(Ok(pairs))),
            json!({"call": "get-all", "pairs": [["a", "1"]]})
        );
    }
}
