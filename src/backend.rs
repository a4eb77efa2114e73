//! The lookups: kind + id (+ team) -> parameter names -> signed `GetParameter` requests ->
//! values, in Airflow's order and with Airflow's not-found vs error split.

use crate::config::BackendConfig;
use crate::connection::{Connection, deserialize_connection};
use crate::credentials::{self, StaticCredentials};
use crate::endpoint::{self, Endpoint};
use crate::error::Error;
use crate::naming::Lookup;
use crate::platform::{Clock, Environment, Transport};
use crate::signing::sign_request;
use crate::ssm;

/// Which prefix a lookup uses.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Kind {
    /// `connections_prefix`
    Connection,
    /// `variables_prefix`
    Variable,
    /// `config_prefix`
    Config,
}

/// What a backend needs from its host, borrowed for the duration of a call.
pub struct Platform<'a> {
    /// Sends requests.
    pub transport: &'a mut dyn Transport,
    /// Supplies `AWS_*` variables.
    pub env: &'a dyn Environment,
    /// Supplies the signing time.
    pub clock: &'a dyn Clock,
}

/// Region, endpoint and credentials, resolved at the first lookup and kept.
#[derive(Debug, Clone)]
struct Session {
    region: String,
    endpoint: Endpoint,
    credentials: StaticCredentials,
}

/// A configured backend.
#[derive(Debug, Clone)]
pub struct Backend {
    config: BackendConfig,
    session: Option<Session>,
}

impl Backend {
    /// Parses `backend_kwargs`. Nothing is resolved or sent yet.
    pub fn new(backend_kwargs: &str) -> Result<Self, Error> {
        Ok(Backend {
            config: BackendConfig::from_json(backend_kwargs)?,
            session: None,
        })
    }

    /// The parsed configuration.
    pub fn config(&self) -> &BackendConfig {
        &self.config
    }

    /// The SSM names Airflow would request for this lookup, in order (empty: no request).
    pub fn parameter_names(&self, kind: Kind, id: &str, team: Option<&str>) -> Vec<String> {
        let lookup: Option<&Lookup> = match kind {
            Kind::Connection => self.config.connections.as_ref(),
            Kind::Variable => self.config.variables.as_ref(),
            Kind::Config => self.config.config.as_ref(),
        };
        lookup.map_or_else(Vec::new, |l| {
            l.parameter_names(id, team, self.config.multi_team)
        })
    }

    /// The raw value of a lookup, or `None` when it is not found or not looked up.
    ///
    /// With a team, a team-scoped value that exists (even `""`) wins; only `ParameterNotFound`
    /// falls through to the plain name, and any other error ends the lookup.
    pub fn get_value(
        &mut self,
        platform: &mut Platform<'_>,
        kind: Kind,
        id: &str,
        team: Option<&str>,
    ) -> Result<Option<String>, Error> {
        for name in self.parameter_names(kind, id, team) {
            if let Some(value) = self.get_parameter(platform, &name)? {
                return Ok(Some(value));
            }
        }
        Ok(None)
    }

    /// A connection: the value parsed as Airflow parses it; an empty value is not found.
    pub fn get_connection(
        &mut self,
        platform: &mut Platform<'_>,
        conn_id: &str,
        team: Option<&str>,
    ) -> Result<Option<Connection>, Error> {
        match self.get_value(platform, Kind::Connection, conn_id, team)? {
            Some(value) if !value.is_empty() => deserialize_connection(conn_id, &value).map(Some),
            _ => Ok(None),
        }
    }

    fn session(&mut self, platform: &Platform<'_>) -> Result<&Session, Error> {
        if self.session.is_none() {
            let aws = &self.config.aws;
            let region = endpoint::resolve_region(aws, platform.env)?;
            let endpoint = endpoint::resolve_ssm_endpoint(aws, &region, platform.env)?;
            let credentials = credentials::resolve(aws, platform.env)?;
            self.session = Some(Session {
                region,
                endpoint,
                credentials,
            });
        }
        Ok(self.session.as_ref().expect("set above"))
    }

    fn get_parameter(
        &mut self,
        platform: &mut Platform<'_>,
        name: &str,
    ) -> Result<Option<String>, Error> {
        let session = self.session(platform)?.clone();
        let mut request = ssm::get_parameter_request(&session.endpoint, name);
        sign_request(
            &mut request,
            &session.credentials,
            &session.region,
            "ssm",
            platform.clock.now(),
        )?;
        let response = platform.transport.send(request).map_err(|e| {
            Error::transport(format!(
                "GetParameter to {} failed: {}",
                session.endpoint.authority(),
                e.message
            ))
        })?;
        ssm::parse_get_parameter(&response, &session.credentials.secrets())
    }
}
