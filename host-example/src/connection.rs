//! The host's connection record is the core's [`ssm_secrets::Connection`] (whose `Debug` hides
//! the password and extras; the generated binding's would print them), converted from and to
//! the WIT record.

use crate::bindings::exports::airflow_ssm::secrets::types::Connection as WitConnection;

pub use ssm_secrets::Connection;

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
