//! The host's connection record is the core's [`ssm_secrets::Connection`] (whose `Debug` hides
//! the password and extras; the generated binding's would print them), converted from and to
//! the WIT record; and the choice of whose parsing to reproduce.

use crate::bindings::exports::airflow_ssm::secrets::types::{
    Connection as WitConnection, ConnectionSemantics as WitSemantics,
};

pub use ssm_secrets::{Connection, ConnectionSemantics};

impl From<ConnectionSemantics> for WitSemantics {
    fn from(s: ConnectionSemantics) -> Self {
        match s {
            ConnectionSemantics::Core => WitSemantics::Core,
            ConnectionSemantics::TaskSdk => WitSemantics::TaskSdk,
            ConnectionSemantics::Airflow2 => WitSemantics::Airflow2,
        }
    }
}

/// The names the CLI and the Python host use: `core`, `task-sdk`, `airflow2`.
pub fn parse_semantics(name: &str) -> Option<ConnectionSemantics> {
    match name {
        "core" => Some(ConnectionSemantics::Core),
        "task-sdk" => Some(ConnectionSemantics::TaskSdk),
        "airflow2" => Some(ConnectionSemantics::Airflow2),
        _ => None,
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
