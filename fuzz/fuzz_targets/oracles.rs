//! What must hold for any input; shared by the fuzz targets and by `tests/fuzz_corpus.rs`,
//! which replays the committed corpora on stable Rust in CI.

// Each fuzz target includes this file and calls one oracle; the others are unused there.
#![allow(dead_code)]

use ssm_secrets::{Connection, ConnectionSemantics, deserialize_connection_as, get_uri_as};

/// Connection parsing and serialisation on arbitrary input (`conn_id \0 value`), in each of
/// the three connection semantics: no panic; whatever parses serialises with `get_uri` and
/// re-parses without panicking; `Debug` never shows the password.
pub fn connection(data: &[u8]) {
    let Ok(text) = std::str::from_utf8(data) else {
        return;
    };
    let (conn_id, value) = text.split_once('\0').unwrap_or(("fuzz", text));
    for semantics in ConnectionSemantics::ALL {
        connection_as(conn_id, value, semantics);
    }
}

fn connection_as(conn_id: &str, value: &str, semantics: ConnectionSemantics) {
    let Ok(connection) = deserialize_connection_as(conn_id, value, semantics) else {
        return;
    };
    let uri = get_uri_as(&connection, semantics);
    if let Ok(again) = deserialize_connection_as(conn_id, &uri, semantics) {
        let _ = get_uri_as(&again, semantics);
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
                "Debug shows the password ({semantics:?})"
            );
        }
    }
}

/// `backend_kwargs` parsing and everything resolved from it without network: no panic, and an
/// error never quotes a secret-looking value from the input.
pub fn backend_kwargs(data: &[u8]) {
    use ssm_secrets::backend::Targets;
    use ssm_secrets::config::BackendConfig;
    let Ok(text) = std::str::from_utf8(data) else {
        return;
    };
    let config = match BackendConfig::from_json(text) {
        Ok(config) => config,
        Err(e) => {
            assert!(!e.to_string().contains("FUZZSECRET"), "{e}");
            return;
        }
    };
    let env = std::collections::HashMap::from([(
        "AWS_DEFAULT_REGION".to_string(),
        "eu-west-1".to_string(),
    )]);
    let files: std::collections::HashMap<&'static str, &'static str> =
        std::collections::HashMap::new();
    let _ = Targets::resolve(&config, &env, &files, std::time::SystemTime::UNIX_EPOCH);
}

/// SSM replies of any status, headers and body: a value, not found, or a typed error; never a
/// panic; an error quotes neither the credentials in play nor a malformed body.
pub fn ssm_response(data: &[u8]) {
    let Some((&selector, body)) = data.split_first() else {
        return;
    };
    let status = [200, 400, 403, 429, 500, 502, 503][usize::from(selector) % 7];
    let mut response = ssm_secrets::test_util::reply(status, body);
    if selector & 0x80 != 0 {
        let code = "ThrottlingException:http://internal";
        response = ssm_secrets::test_util::with_header(response, "x-amzn-errortype", code);
    }
    if let Err(e) = ssm_secrets::ssm::parse_get_parameter(&response, &["FUZZSECRET"]) {
        assert!(!e.to_string().contains("FUZZSECRET"), "{e}");
    }
}

/// STS (XML) and container / instance metadata (JSON) credential replies: never a panic, and
/// an error never quotes the credentials in play.
pub fn sts_response(data: &[u8]) {
    use ssm_secrets::credentials::{parse_json_credentials, sts};
    use ssm_secrets::timestamp::parse_iso8601;
    let Some((&selector, body)) = data.split_first() else {
        return;
    };
    let status = if selector & 1 == 0 { 200 } else { 403 };
    let response = ssm_secrets::test_util::reply(status, body);
    if let Err(e) = sts::parse_credentials(&response, &["FUZZSECRET"]) {
        assert!(!e.to_string().contains("FUZZSECRET"), "{e}");
    }
    let _ = parse_json_credentials(body, "fuzz");
    if let Ok(text) = std::str::from_utf8(body) {
        let _ = parse_iso8601(text);
    }
}
