//! Airflow connections: the record, and `deserialize_connection` (a URI, or JSON when the
//! stripped value starts with `{`) and `get_uri`, as one of the three `Connection` classes
//! Airflow uses does them ([`ConnectionSemantics`]): Airflow 3.3's core
//! `airflow.models.Connection` (the default), the Airflow 3 task SDK's, or Airflow 2.10's.
//!
//! Error messages say what is wrong and where; they never hold the value or the password.

mod from_json;
mod get_uri;
pub mod pyjson;
pub mod pyurl;
mod record;
mod uri;

use crate::error::{Error, quoted};

pub use get_uri::{get_uri, get_uri_as};
pub use record::{Connection, ConnectionSemantics};

/// Airflow's `BaseSecretsBackend.deserialize_connection(conn_id, value)` with the core
/// `Connection` class: [`deserialize_connection_as`] with [`ConnectionSemantics::Core`].
pub fn deserialize_connection(conn_id: &str, value: &str) -> Result<Connection, Error> {
    deserialize_connection_as(conn_id, value, ConnectionSemantics::Core)
}

/// Airflow's `BaseSecretsBackend.deserialize_connection(conn_id, value)` with the
/// `Connection` class `semantics` names.
pub fn deserialize_connection_as(
    conn_id: &str,
    value: &str,
    semantics: ConnectionSemantics,
) -> Result<Connection, Error> {
    let value = py_strip(value);
    let mut connection = match value.chars().next() {
        None => {
            return Err(Error::invalid_value(format!(
                "connection {}: the value is empty or only whitespace",
                quoted(conn_id)
            )));
        }
        Some('{') => from_json::from_json(value, semantics),
        Some(_) => uri::parse_uri(value, semantics),
    }
    .map_err(|e| e.context(&format!("connection {}", quoted(conn_id))))?;
    connection.conn_id = if semantics.sanitizes_conn_id() {
        sanitize_conn_id(conn_id)
    } else {
        Some(conn_id.to_string())
    };
    Ok(connection)
}

/// Python's `str.strip()` with no arguments: Unicode whitespace, plus the separators
/// `\x1c`..`\x1f` that Python counts as whitespace.
fn py_strip(value: &str) -> &str {
    value.trim_matches(|c: char| c.is_whitespace() || ('\x1c'..='\x1f').contains(&c))
}

/// Airflow's `sanitize_conn_id`: at most 250 characters of `[\w#!()\-.:/\\]`, else `None`.
/// Python's `$` also matches before a final `\n`, which the match then leaves out.
pub fn sanitize_conn_id(conn_id: &str) -> Option<String> {
    let matched = conn_id.strip_suffix('\n').unwrap_or(conn_id);
    let valid = !matched.is_empty()
        && conn_id.chars().count() <= 250
        && matched
            .chars()
            .all(|c| c.is_alphanumeric() || "_#!()-.:/\\".contains(c));
    valid.then(|| matched.to_string())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn uri_and_json_are_told_apart_after_stripping() {
        let c = deserialize_connection("c", "  \n postgres://u:p@h:5432/db \u{a0}").unwrap();
        assert_eq!(c.host.as_deref(), Some("h"));
        let c = deserialize_connection("c", "\u{1f} {\"conn_type\": \"http\", \"host\": \"h\"}")
            .unwrap();
        assert_eq!(c.conn_type.as_deref(), Some("http"));
        assert!(deserialize_connection("c", " \t ").is_err());
    }

    #[test]
    fn conn_id_is_sanitised_like_airflow() {
        assert_eq!(
            sanitize_conn_id("my_conn-1.a:b/c\\(x)#!"),
            Some("my_conn-1.a:b/c\\(x)#!".into())
        );
        assert_eq!(sanitize_conn_id("my conn!"), None);
        assert_eq!(sanitize_conn_id("<script>"), None);
        assert_eq!(sanitize_conn_id(&"a".repeat(251)), None);
        assert_eq!(sanitize_conn_id(""), None);
        assert_eq!(sanitize_conn_id("abc\n"), Some("abc".into()));
        assert_eq!(sanitize_conn_id("abc\n\n"), None);
        assert_eq!(sanitize_conn_id("\n"), None);
        assert_eq!(sanitize_conn_id(&format!("{}\n", "a".repeat(250))), None);
    }

    #[test]
    fn only_the_sdk_keeps_the_conn_id_as_given() {
        for (semantics, want) in [
            (ConnectionSemantics::Core, None),
            (ConnectionSemantics::TaskSdk, Some("my conn!")),
            (ConnectionSemantics::Airflow2, None),
        ] {
            let c = deserialize_connection_as("my conn!", "http://h", semantics).unwrap();
            assert_eq!(c.conn_id.as_deref(), want, "{semantics:?}");
        }
        assert_eq!(ConnectionSemantics::default(), ConnectionSemantics::Core);
    }

    #[test]
    fn debug_hides_password_and_extra() {
        let c = Connection {
            password: Some("PASSWORDVALUE".into()),
            extra: Some("{\"token\": \"EXTRAVALUE\"}".into()),
            ..Default::default()
        };
        let shown = format!("{c:?}");
        assert!(!shown.contains("PASSWORDVALUE") && !shown.contains("EXTRAVALUE"));
    }
}
