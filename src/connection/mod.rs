//! Airflow connections: the record, and `deserialize_connection` (a URI, or JSON when the
//! stripped value starts with `{`), as Airflow 3.3's core `airflow.models.Connection` does it.
//!
//! Error messages say what is wrong and where; they never hold the value or the password.

mod from_json;
mod get_uri;
pub mod pyjson;
pub mod pyurl;
mod uri;

use std::fmt;

use crate::error::Error;

pub use get_uri::get_uri;

/// An Airflow connection; `None` is Python's `None`. `Debug` hides the password and extras.
#[derive(Clone, PartialEq, Eq, Default)]
pub struct Connection {
    /// The id after Airflow's sanitiser (`None` when it rejects the id).
    pub conn_id: Option<String>,
    /// The normalised connection type.
    pub conn_type: Option<String>,
    /// A free-text description (JSON form only).
    pub description: Option<String>,
    /// The host, with its protocol when the URI carried one (`https://example.com`).
    pub host: Option<String>,
    /// Airflow's `schema`: the URI path without its first `/`.
    pub schema: Option<String>,
    /// The user name.
    pub login: Option<String>,
    /// The password (never shown by `Debug`).
    pub password: Option<String>,
    /// The port (Airflow accepts any integer from JSON).
    pub port: Option<i64>,
    /// The extras as JSON text.
    pub extra: Option<String>,
}

impl fmt::Debug for Connection {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let hidden = |v: &Option<String>| v.as_ref().map(|_| "<redacted>");
        f.debug_struct("Connection")
            .field("conn_id", &self.conn_id)
            .field("conn_type", &self.conn_type)
            .field("description", &self.description)
            .field("host", &self.host)
            .field("schema", &self.schema)
            .field("login", &self.login)
            .field("password", &hidden(&self.password))
            .field("port", &self.port)
            .field("extra", &hidden(&self.extra))
            .finish()
    }
}

/// Airflow's `BaseSecretsBackend.deserialize_connection(conn_id, value)` with the core
/// `Connection` class.
pub fn deserialize_connection(conn_id: &str, value: &str) -> Result<Connection, Error> {
    let value = py_strip(value);
    let mut connection = match value.chars().next() {
        None => {
            return Err(Error::invalid_value(format!(
                "connection {conn_id:?}: the value is empty or only whitespace"
            )));
        }
        Some('{') => from_json::from_json(value),
        Some(_) => uri::parse_uri(value),
    }
    .map_err(|e| e.context(&format!("connection {conn_id:?}")))?;
    connection.conn_id = sanitize_conn_id(conn_id);
    Ok(connection)
}

/// Python's `str.strip()` with no arguments: Unicode whitespace, plus the separators
/// `\x1c`..`\x1f` that Python counts as whitespace.
fn py_strip(value: &str) -> &str {
    value.trim_matches(|c: char| c.is_whitespace() || ('\x1c'..='\x1f').contains(&c))
}

/// Airflow's `sanitize_conn_id`: at most 250 characters of `[\w#!()\-.:/\\]`, else `None`.
pub fn sanitize_conn_id(conn_id: &str) -> Option<String> {
    let valid = !conn_id.is_empty()
        && conn_id.chars().count() <= 250
        && conn_id
            .chars()
            .all(|c| c.is_alphanumeric() || "_#!()-.:/\\".contains(c));
    valid.then(|| conn_id.to_string())
}

/// Airflow's `_normalize_conn_type`: exactly `postgresql` becomes `postgres`, else `-` -> `_`.
fn normalize_conn_type(conn_type: &str) -> String {
    if conn_type == "postgresql" {
        "postgres".to_string()
    } else {
        conn_type.replace('-', "_")
    }
}

/// Core3's check on `extra`: it must be JSON text of an object.
fn validate_extra(extra: &str) -> Result<(), Error> {
    match pyjson::loads(extra) {
        Ok(pyjson::PyValue::Dict(_)) => Ok(()),
        Ok(_) => Err(Error::invalid_value(
            "Encountered JSON value in `extra` which does not parse as a dictionary in \
             connection None. The `extra` field must contain a JSON representation of a Python \
             dict.",
        )),
        Err(_) => Err(Error::invalid_value(
            "Encountered non-JSON in `extra` field for connection None.",
        )),
    }
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
