//! Connection parsing and serialisation on arbitrary input: `deserialize_connection` never
//! panics, and whatever it accepts serialises with `get_uri` and re-parses without panicking.
//! The input is `conn_id \0 value`.
#![no_main]

use libfuzzer_sys::fuzz_target;
use ssm_secrets::{deserialize_connection, get_uri};

fuzz_target!(|data: &[u8]| {
    let Ok(text) = std::str::from_utf8(data) else {
        return;
    };
    let (conn_id, value) = text.split_once('\0').unwrap_or(("fuzz", text));
    if let Ok(connection) = deserialize_connection(conn_id, value) {
        let uri = get_uri(&connection);
        if let Ok(again) = deserialize_connection(conn_id, &uri) {
            let _ = get_uri(&again);
        }
        // Debug never shows the password (unless another, visible field holds the same text).
        if let Some(password) = connection.password.as_deref().filter(|p| p.len() >= 8) {
            let visible = [
                &connection.conn_id,
                &connection.conn_type,
                &connection.description,
                &connection.host,
                &connection.schema,
                &connection.login,
            ];
            let port = connection.port.map(|p| p.to_string()).unwrap_or_default();
            let elsewhere = port.contains(password)
                || visible.iter().any(|f| f.as_deref().unwrap_or("").contains(password));
            if !elsewhere {
                assert!(!format!("{connection:?}").contains(password));
            }
        }
    }
});
