//! The WIT exports, mapped onto the core: `backend` resource, `parse-connection`,
//! `connection-uri` (each with the chosen connection semantics), and `plan-grants`.

use std::cell::RefCell;

use super::bindings::exports::airflow_ssm::secrets::lookup::{Guest, GuestBackend};
use super::bindings::exports::airflow_ssm::secrets::types::{
    AwsError as WitAwsError, Connection as WitConnection, ConnectionSemantics as WitSemantics,
    Error as WitError, Grants as WitGrants, Route as WitRoute,
};
use super::http::WasiTransport;
use crate::backend::{Backend, Kind, Platform, Targets};
use crate::config::BackendConfig;
use crate::connection::{self, Connection, ConnectionSemantics};
use crate::error::{AwsError, Error, ErrorKind};
use crate::platform::{Clock, ProcessEnvironment, ProcessFilesystem, SystemClock};

/// The exported component.
pub struct Component;

/// One `backend` resource: the core backend and the transport it sends through.
pub struct BackendResource {
    backend: RefCell<Backend>,
    transport: RefCell<WasiTransport>,
}

impl BackendResource {
    /// Runs `f` with the backend and a platform over WASI.
    fn run<R>(&self, f: impl FnOnce(&mut Backend, &mut Platform<'_>) -> R) -> R {
        let mut transport = self.transport.borrow_mut();
        let mut platform = Platform {
            transport: &mut *transport,
            env: &ProcessEnvironment,
            clock: &SystemClock,
            fs: &ProcessFilesystem,
        };
        f(&mut self.backend.borrow_mut(), &mut platform)
    }

    fn with<T>(
        &self,
        f: impl FnOnce(&mut Backend, &mut Platform<'_>) -> Result<T, Error>,
    ) -> Result<T, WitError> {
        self.run(f).map_err(to_wit_error)
    }

    fn batch<T>(
        &self,
        f: impl FnOnce(&mut Backend, &mut Platform<'_>) -> Vec<Result<T, Error>>,
    ) -> Vec<Result<T, WitError>> {
        self.run(f)
            .into_iter()
            .map(|r| r.map_err(to_wit_error))
            .collect()
    }

    fn values(
        &self,
        kind: Kind,
        ids: &[String],
        team: Option<&str>,
    ) -> Vec<Result<Option<String>, WitError>> {
        self.batch(|b, p| b.get_values(p, kind, ids, team))
    }
}

impl GuestBackend for BackendResource {
    fn open(
        backend_kwargs: String,
    ) -> Result<super::bindings::exports::airflow_ssm::secrets::lookup::Backend, WitError> {
        let backend = Backend::new(&backend_kwargs).map_err(to_wit_error)?;
        Ok(
            super::bindings::exports::airflow_ssm::secrets::lookup::Backend::new(BackendResource {
                backend: RefCell::new(backend),
                transport: RefCell::new(WasiTransport::default()),
            }),
        )
    }

    fn get_conn_value(
        &self,
        conn_id: String,
        team: Option<String>,
    ) -> Result<Option<String>, WitError> {
        self.with(|b, p| b.get_value(p, Kind::Connection, &conn_id, team.as_deref()))
    }

    fn get_connection(
        &self,
        conn_id: String,
        team: Option<String>,
    ) -> Result<Option<WitConnection>, WitError> {
        self.with(|b, p| b.get_connection(p, &conn_id, team.as_deref()))
            .map(|c| c.map(WitConnection::from))
    }

    fn get_variable(&self, key: String, team: Option<String>) -> Result<Option<String>, WitError> {
        self.with(|b, p| b.get_value(p, Kind::Variable, &key, team.as_deref()))
    }

    fn get_config(&self, key: String) -> Result<Option<String>, WitError> {
        self.with(|b, p| b.get_value(p, Kind::Config, &key, None))
    }

    fn get_conn_values(
        &self,
        conn_ids: Vec<String>,
        team: Option<String>,
    ) -> Vec<Result<Option<String>, WitError>> {
        self.values(Kind::Connection, &conn_ids, team.as_deref())
    }

    fn get_connections(
        &self,
        conn_ids: Vec<String>,
        team: Option<String>,
    ) -> Vec<Result<Option<WitConnection>, WitError>> {
        self.batch(|b, p| b.get_connections(p, &conn_ids, team.as_deref()))
            .into_iter()
            .map(|r| r.map(|c| c.map(WitConnection::from)))
            .collect()
    }

    fn get_variables(
        &self,
        keys: Vec<String>,
        team: Option<String>,
    ) -> Vec<Result<Option<String>, WitError>> {
        self.values(Kind::Variable, &keys, team.as_deref())
    }

    fn get_configs(&self, keys: Vec<String>) -> Vec<Result<Option<String>, WitError>> {
        self.values(Kind::Config, &keys, None)
    }

    fn get_parameters(&self, names: Vec<String>) -> Vec<Result<Option<String>, WitError>> {
        self.batch(|b, p| b.get_named(p, &names))
    }

    fn clear_cache(&self) {
        self.backend.borrow_mut().clear_cache();
    }

    fn set_connection_semantics(&self, semantics: WitSemantics) {
        self.backend
            .borrow_mut()
            .set_connection_semantics(from_wit_semantics(semantics));
    }
}

impl Guest for Component {
    type Backend = BackendResource;

    fn parse_connection(
        conn_id: String,
        value: String,
        semantics: WitSemantics,
    ) -> Result<WitConnection, WitError> {
        connection::deserialize_connection_as(&conn_id, &value, from_wit_semantics(semantics))
            .map(WitConnection::from)
            .map_err(to_wit_error)
    }

    fn connection_uri(conn: WitConnection, semantics: WitSemantics) -> Result<String, WitError> {
        Ok(connection::get_uri_as(
            &Connection::from(conn),
            from_wit_semantics(semantics),
        ))
    }

    fn plan_grants(backend_kwargs: String) -> Result<WitGrants, WitError> {
        let config = BackendConfig::from_json(&backend_kwargs).map_err(to_wit_error)?;
        let targets = Targets::resolve(
            &config,
            &ProcessEnvironment,
            &ProcessFilesystem,
            SystemClock.now(),
        )
        .map_err(to_wit_error)?;
        // `targets.routes` holds one route per endpoint, SSM first, in the order of
        // `ssm` + `credential_endpoints`: the endpoints are its origins, once each (the first
        // route of an origin decides, a proxy from a later one kept as `Targets` keeps it).
        let mut endpoints: Vec<String> = Vec::new();
        let mut routes: Vec<WitRoute> = Vec::new();
        for route in &targets.routes {
            let origin = route.endpoint.origin();
            match routes.iter_mut().find(|r| r.endpoint == origin) {
                Some(known) => {
                    if known.proxy.is_none() {
                        known.proxy.clone_from(&route.proxy);
                    }
                }
                None => {
                    endpoints.push(origin.clone());
                    routes.push(WitRoute {
                        endpoint: origin,
                        ca_bundle: route.ca_bundle.clone(),
                        proxy: route.proxy.clone(),
                    });
                }
            }
        }
        let mut read_only_files: Vec<String> = Vec::new();
        for file in &targets.files {
            if std::path::Path::new(file).is_absolute() && !read_only_files.contains(file) {
                read_only_files.push(file.clone());
            }
        }
        Ok(WitGrants {
            endpoints,
            read_only_files,
            routes,
        })
    }
}

fn from_wit_semantics(semantics: WitSemantics) -> ConnectionSemantics {
    match semantics {
        WitSemantics::Core => ConnectionSemantics::Core,
        WitSemantics::TaskSdk => ConnectionSemantics::TaskSdk,
        WitSemantics::Airflow2 => ConnectionSemantics::Airflow2,
    }
}

impl From<Connection> for WitConnection {
    fn from(c: Connection) -> Self {
        WitConnection {
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

fn to_wit_aws(e: &AwsError) -> WitAwsError {
    WitAwsError {
        code: e.code.clone(),
        message: e.message.clone(),
        status: e.status,
    }
}

/// Every kind named: a new [`ErrorKind`] must choose its WIT case here (no catch-all).
fn to_wit_error(e: Error) -> WitError {
    match e.kind() {
        ErrorKind::Configuration => WitError::Configuration(e.message().to_string()),
        ErrorKind::Credentials => WitError::Credentials(e.message().to_string()),
        ErrorKind::AccessDenied(a) => WitError::AccessDenied(to_wit_aws(a)),
        ErrorKind::Throttled(a) => WitError::Throttled(to_wit_aws(a)),
        ErrorKind::Service(a) => WitError::Service(to_wit_aws(a)),
        ErrorKind::Transport => WitError::Transport(e.message().to_string()),
        ErrorKind::InvalidValue => WitError::InvalidValue(e.message().to_string()),
    }
}
