//! The host's connection record: the WIT `connection` with a `Debug` that hides the password
//! and the extras (the generated binding's `Debug` would print them).

use std::fmt;

use crate::bindings::exports::airflow_ssm::secrets::types::Connection as WitConnection;

/// An Airflow connection as the component returns it; `None` is Python's `None`.
#[derive(Clone, PartialEq, Eq, Default)]
pub struct Connection {
    /// The id after Airflow's sanitiser.
    pub conn_id: Option<String>,
    /// The normalised type.
    pub conn_type: Option<String>,
    /// The description.
    pub description: Option<String>,
    /// The host.
    pub host: Option<String>,
    /// Airflow's `schema`.
    pub schema: Option<String>,
    /// The user name.
    pub login: Option<String>,
    /// The password.
    pub password: Option<String>,
    /// The port.
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

impl From<WitConnection> for Connection {
    fn from(c: WitConnection) -> Self {
        Connection {
            conn_id: c.conn_id,
            conn_type: c.conn_type,
            description: c.description,
            host: c.host,
            schema: c.schema,
            login: c.login,
            password: c.password,
            port: c.port,
            extra: c.extra,
        }
    }
}

impl From<&Connection> for WitConnection {
    fn from(c: &Connection) -> Self {
        WitConnection {
            conn_id: c.conn_id.clone(),
            conn_type: c.conn_type.clone(),
            description: c.description.clone(),
            host: c.host.clone(),
            schema: c.schema.clone(),
            login: c.login.clone(),
            password: c.password.clone(),
            port: c.port,
            extra: c.extra.clone(),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn debug_hides_password_and_extra() {
        let c = Connection {
            password: Some("PASSWORDVALUE".into()),
            extra: Some("{\"k\": \"EXTRAVALUE\"}".into()),
            login: Some("user".into()),
            ..Default::default()
        };
        let shown = format!("{c:?}");
        assert!(shown.contains("user"));
        assert!(
            !shown.contains("PASSWORDVALUE") && !shown.contains("EXTRAVALUE"),
            "{shown}"
        );
    }
}
