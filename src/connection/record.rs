//! The connection record and the rules every format shares: whose `Connection` class is
//! reproduced ([`ConnectionSemantics`]), the type's normalisation and the check on `extra`.

use std::fmt;

use super::pyjson;
use crate::error::Error;

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
    pub(super) fn types_query_values(self) -> bool {
        self == Self::Core
    }

    /// A truthy `extra` must be the JSON text of an object (core3; Airflow 2.10 only warns).
    pub(super) fn requires_object_extra(self) -> bool {
        self == Self::Core
    }

    /// The password setter drops a falsy password (the SQLAlchemy model; not the SDK's).
    pub(super) fn drops_empty_password(self) -> bool {
        self != Self::TaskSdk
    }

    /// The conn id goes through `sanitize_conn_id` (the SQLAlchemy model; not the SDK's).
    pub(super) fn sanitizes_conn_id(self) -> bool {
        self != Self::TaskSdk
    }

    /// The constructor takes a `team_name` keyword (core3 only).
    pub(super) fn accepts_team_name(self) -> bool {
        self == Self::Core
    }

    /// `get_uri()` quotes a host whose protocol equals the type whole (#51953, Airflow 3).
    pub(super) fn quotes_host_with_own_protocol(self) -> bool {
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

/// Airflow's `_normalize_conn_type`: exactly `postgresql` becomes `postgres`, else `-` -> `_`.
pub(super) fn normalize_conn_type(conn_type: &str) -> String {
    if conn_type == "postgresql" {
        "postgres".to_string()
    } else {
        conn_type.replace('-', "_")
    }
}

/// Core3's check on `extra`: a truthy one must be JSON text of an object (an empty string is
/// not checked, as the setter checks truthy values only). The other classes accept anything.
pub(super) fn validate_extra(
    extra: Option<&str>,
    semantics: ConnectionSemantics,
) -> Result<(), Error> {
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
