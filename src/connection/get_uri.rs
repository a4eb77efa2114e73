//! Airflow's `Connection.get_uri()`: a connection back to its URI form. Airflow 3.3 core and
//! the task SDK share the algorithm; Airflow 2.10 differs for a host whose protocol equals the
//! type. (The core's explicit all-values-are-strings test before the flat query form changes
//! nothing: a non-string value never survives the `parse_qsl` comparison the others make.)

use super::pyjson::{self, PyValue};
use super::pyurl::{parse_qs_dict, quote, urlencode};
use super::uri::EXTRA_KEY;
use super::{Connection, ConnectionSemantics};

/// The URI Airflow 3.3 core's `get_uri()` gives for `connection`: [`get_uri_as`] with
/// [`ConnectionSemantics::Core`].
pub fn get_uri(connection: &Connection) -> String {
    get_uri_as(connection, ConnectionSemantics::Core)
}

/// The URI the `get_uri()` of the class `semantics` names gives for `connection`. A non-JSON
/// or non-object extra (which only the SDK and Airflow 2.10 accept) takes the `__extra__` form.
pub fn get_uri_as(connection: &Connection, semantics: ConnectionSemantics) -> String {
    let conn_type = connection.conn_type.as_deref().filter(|t| !t.is_empty());
    let mut uri = match conn_type {
        Some(t) => format!("{}://", t.to_lowercase().replace('_', "-")),
        None => "//".to_string(),
    };

    let host = connection.host.as_deref();
    let (host_to_use, protocol_to_add) = match host.and_then(|h| h.split_once("://")) {
        // The protocol equals the type: the whole host is quoted (Airflow 3, #51953); Airflow
        // 2.10 writes `type://type://host`.
        Some((protocol, _))
            if semantics.quotes_host_with_own_protocol()
                && Some(protocol) == connection.conn_type.as_deref() =>
        {
            (host, None)
        }
        Some((protocol, rest)) => (Some(rest), Some(protocol)),
        None => (host, None),
    };
    if let Some(protocol) = protocol_to_add.filter(|p| !p.is_empty()) {
        uri.push_str(protocol);
        uri.push_str("://");
    }

    let mut authority = String::new();
    if let Some(login) = &connection.login {
        authority.push_str(&quote(login, ""));
    }
    if let Some(password) = &connection.password {
        authority.push(':');
        authority.push_str(&quote(password, ""));
    }
    if !authority.is_empty() {
        authority.push('@');
        uri.push_str(&authority);
    }

    let mut host_block = String::new();
    if let Some(h) = host_to_use.filter(|h| !h.is_empty()) {
        host_block.push_str(&quote(h, ""));
    }
    if let Some(port) = connection.port.filter(|p| *p != 0) {
        if host_block.is_empty() && authority.is_empty() {
            host_block.push_str(&format!("@:{port}"));
        } else {
            host_block.push_str(&format!(":{port}"));
        }
    }
    let schema = connection.schema.as_deref().filter(|s| !s.is_empty());
    if let Some(schema) = schema {
        host_block.push('/');
        host_block.push_str(&quote(schema, ""));
    }
    uri.push_str(&host_block);

    if let Some(extra) = connection.extra.as_deref().filter(|e| !e.is_empty()) {
        uri.push_str(if schema.is_some() { "?" } else { "/?" });
        match flat_query(extra) {
            Some(query) => uri.push_str(&query),
            None => uri.push_str(&urlencode(&[(EXTRA_KEY.to_string(), extra.to_string())])),
        }
    }
    uri
}

/// The `a=1&b=2` form of the extras, when every value is a string and the form parses back to
/// the same dict; otherwise `None` (the `__extra__` form is used).
fn flat_query(extra: &str) -> Option<String> {
    let Ok(PyValue::Dict(entries)) = pyjson::loads(extra) else {
        return None;
    };
    let pairs = entries
        .into_iter()
        .map(|(k, v)| match v {
            PyValue::Str(s) => Some((k, s)),
            _ => None,
        })
        .collect::<Option<Vec<_>>>()?;
    let query = urlencode(&pairs);
    (!query.is_empty() && parse_qs_dict(&query) == pairs).then_some(query)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::connection::deserialize_connection;

    fn uri_of(value: &str) -> String {
        get_uri(&deserialize_connection("c", value).unwrap())
    }

    #[test]
    fn common_forms() {
        assert_eq!(
            uri_of("postgresql://user:p%40ss@h:5432/db?sslmode=require"),
            "postgres://user:p%40ss@h:5432/db?sslmode=require"
        );
        assert_eq!(
            uri_of(r#"{"conn_type": "aws", "extra": {"region_name": "eu-west-1", "n": 1}}"#),
            "aws://@/?__extra__=%7B%22region_name%22%3A+%22eu-west-1%22%2C+%22n%22%3A+1%7D"
                .replace("@/", "/")
        );
        assert_eq!(
            uri_of(r#"{"conn_type": "my_type", "host": "h", "port": 0}"#),
            "my-type://h"
        );
        assert_eq!(uri_of(r#"{"port": 80}"#), "//@:80");
        assert_eq!(
            uri_of(r#"{"conn_type": "http", "host": "https://example.com"}"#),
            "http://https://example.com"
        );
        assert_eq!(
            uri_of(r#"{"conn_type": "spark", "host": "spark://master", "port": 7077}"#),
            "spark://spark%3A%2F%2Fmaster:7077"
        );
        assert_eq!(
            uri_of(r#"{"conn_type": "x", "schema": "a/b", "extra": {"k": "v w"}}"#),
            "x:///a%2Fb?k=v+w"
        );
    }

    #[test]
    fn airflow2_repeats_a_protocol_equal_to_the_type() {
        let c = deserialize_connection("c", "spark://spark%3A%2F%2Fmaster:7077").unwrap();
        assert_eq!(
            get_uri_as(&c, ConnectionSemantics::TaskSdk),
            "spark://spark%3A%2F%2Fmaster:7077"
        );
        assert_eq!(
            get_uri_as(&c, ConnectionSemantics::Airflow2),
            "spark://spark://master:7077"
        );
    }

    #[test]
    fn non_object_extras_take_the_extra_key_form() {
        for (extra, query) in [
            ("notjson", "notjson"),
            ("[1, 2]", "%5B1%2C+2%5D"),
            ("{}", "%7B%7D"),
        ] {
            let c = Connection {
                extra: Some(extra.into()),
                ..Default::default()
            };
            assert_eq!(
                get_uri_as(&c, ConnectionSemantics::TaskSdk),
                format!("///?__extra__={query}")
            );
        }
    }
}
