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
mod uri;

use std::fmt;

use crate::error::Error;

pub use get_uri::{get_uri, get_uri_as};

/// Whose `Connection` class the parsing and `get_uri()` reproduce. The three share the URI and
/// JSON formats and differ on a few inputs only (see the README's "Connection parity").
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Hash)]
pub enum ConnectionSemantics {
    /// Airflow 3.3 core `airflow.models.Connection` (scheduler, API server, DAG processor,
    /// CLI): JSON-typed query values, `extra` must be a JSON object, an empty password is
    /// `None`, the conn-id sanitiser, the `team_name` JSON key.
    #[default]
    Core,
    /// The Airflow 3 task SDK's `airflow.sdk.Connection` (task-sdk 1.3): what tasks receive.
    /// Query values stay strings, `extra` is not checked, an empty password stays `""`, and
    /// the id is kept as given.
    TaskSdk,
    /// Airflow 2.10 core `airflow.models.Connection`: query values stay strings, a non-object
    /// `extra` is only warned about, and `get_uri()` writes a host whose protocol equals the
    /// type as `type://type://host` (which it cannot parse back).
    Airflow2,
}

impl ConnectionSemantics {
    /// The three, in declaration order.
    pub const ALL: [ConnectionSemantics; 3] = [Self::Core, Self::TaskSdk, Self::Airflow2];

    /// Non-empty URI query values are JSON-decoded (core, since Airflow 3.2).
    fn types_query_values(self) -> bool {
        self == Self::Core
    }

    /// A truthy `extra` must be the JSON text of an object (core3; Airflow 2.10 only warns).
    fn requires_object_extra(self) -> bool {
        self == Self::Core
    }

    /// The password setter drops a falsy password (the SQLAlchemy model; not the SDK's).
    fn drops_empty_password(self) -> bool {
        self != Self::TaskSdk
    }

    /// The conn id goes through `sanitize_conn_id` (the SQLAlchemy model; not the SDK's).
    fn sanitizes_conn_id(self) -> bool {
        self != Self::TaskSdk
    }

    /// The constructor takes a `team_name` keyword (core3 only).
    fn accepts_team_name(self) -> bool {
        self == Self::Core
    }

    /// `get_uri()` quotes a host whose protocol equals the type whole (#51953, Airflow 3).
    fn quotes_host_with_own_protocol(self) -> bool {
        self != Self::Airflow2
    }
}

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
                "connection {conn_id:?}: the value is empty or only whitespace"
            )));
        }
        Some('{') => from_json::from_json(value, semantics),
        Some(_) => uri::parse_uri(value, semantics),
    }
    .map_err(|e| e.context(&format!("connection {conn_id:?}")))?;
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

/// Airflow's `_normalize_conn_type`: exactly `postgresql` becomes `postgres`, else `-` -> `_`.
fn normalize_conn_type(conn_type: &str) -> String {
    if conn_type == "postgresql" {
        "postgres".to_string()
    } else {
        conn_type.replace('-', "_")
    }
}

/// Core3's check on `extra`: a truthy one must be JSON text of an object (an empty string is
/// not checked, as the setter checks truthy values only). The other classes accept anything.
fn validate_extra(extra: Option<&str>, semantics: ConnectionSemantics) -> Result<(), Error> {
    let Some(extra) = extra.filter(|e| !e.is_empty()) else {
        return Ok(());
    };
    if !semantics.requires_object_extra() {
        return Ok(());
    }
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
