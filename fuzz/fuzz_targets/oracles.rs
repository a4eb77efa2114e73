//! What must hold for any input; shared by the fuzz targets and by `tests/fuzz_corpus.rs`,
//! which replays the committed corpora on stable Rust in CI.

use ssm_secrets::{Connection, deserialize_connection, get_uri};

/// Connection parsing and serialisation on arbitrary input (`conn_id \0 value`): no panic;
/// whatever parses serialises with `get_uri` and re-parses without panicking; `Debug` never
/// shows the password.
pub fn connection(data: &[u8]) {
    let Ok(text) = std::str::from_utf8(data) else {
        return;
    };
    let (conn_id, value) = text.split_once('\0').unwrap_or(("fuzz", text));
    let Ok(connection) = deserialize_connection(conn_id, value) else {
        return;
    };
    let uri = get_uri(&connection);
    if let Ok(again) = deserialize_connection(conn_id, &uri) {
        let _ = get_uri(&again);
    }
    // The password may show in Debug only if it shows without it too (inside another field).
    if let Some(password) = connection.password.as_deref().filter(|p| !p.is_empty()) {
        let without = Connection {
            password: None,
            ..connection.clone()
        };
        if format!("{connection:?}").contains(password) {
            assert!(
                format!("{without:?}").contains(password),
                "Debug shows the password"
            );
        }
    }
}
