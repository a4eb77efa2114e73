//! The lookups: kind + id (+ team) -> parameter names -> signed `GetParameter` requests ->
//! values, in Airflow's order and with Airflow's not-found vs error split.

use crate::config::BackendConfig;
use crate::connection::{Connection, deserialize_connection};
use crate::credentials::{self, Credentials, FetchContext, Source};
use crate::endpoint::{self, Endpoint};
use crate::error::{Error, ErrorKind, sanitize_foreign};
use crate::naming::Lookup;
use crate::platform::{Clock, Environment, Filesystem, Transport};
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
    /// Reads the shared AWS files and token files.
    pub fs: &'a dyn Filesystem,
}

/// Everything a configuration reaches: the region, the SSM endpoint, where credentials come
/// from, the endpoints fetching them contacts, and the files read. Resolved without network,
/// so a host can derive its grants from it.
#[derive(Debug, Clone)]
pub struct Targets {
    /// The signing region.
    pub region: String,
    /// The SSM endpoint.
    pub ssm: Endpoint,
    /// Where credentials come from.
    pub source: Source,
    /// STS, container or instance metadata endpoints the source contacts.
    pub credential_endpoints: Vec<Endpoint>,
    /// Files read (shared AWS files, token files).
    pub files: Vec<String>,
}

impl Targets {
    /// Resolves `config` against an environment and filesystem.
    pub fn resolve(
        config: &BackendConfig,
        env: &dyn Environment,
        fs: &dyn Filesystem,
        now: std::time::SystemTime,
    ) -> Result<Self, Error> {
        let aws = &config.aws;
        let plan = credentials::plan(aws, env, fs, now)?;
        let region = endpoint::resolve_region(aws, env, plan.profile_region.as_deref())?;
        let ssm = endpoint::resolve_ssm_endpoint(aws, &region, env)?;
        Ok(Targets {
            credential_endpoints: credentials::endpoints(&plan.source, &region),
            region,
            ssm,
            source: plan.source,
            files: plan.files,
        })
    }
}

/// A configured backend.
#[derive(Debug, Clone)]
pub struct Backend {
    config: BackendConfig,
    targets: Option<Targets>,
    credentials: Option<Credentials>,
}

impl Backend {
    /// Parses `backend_kwargs`. Nothing is resolved or sent yet.
    pub fn new(backend_kwargs: &str) -> Result<Self, Error> {
        Ok(Backend {
            config: BackendConfig::from_json(backend_kwargs)?,
            targets: None,
            credentials: None,
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

    /// Region, endpoint and credential source, resolved at the first lookup and kept.
    fn targets(&mut self, platform: &Platform<'_>) -> Result<Targets, Error> {
        if self.targets.is_none() {
            self.targets = Some(Targets::resolve(
                &self.config,
                platform.env,
                platform.fs,
                platform.clock.now(),
            )?);
        }
        Ok(self.targets.clone().expect("set above"))
    }

    /// The cached credentials, fetched again when absent, within 5 minutes of expiry, or when
    /// `stale` (AWS said the token expired).
    fn credentials(
        &mut self,
        platform: &mut Platform<'_>,
        targets: &Targets,
        stale: bool,
    ) -> Result<Credentials, Error> {
        let now = platform.clock.now();
        match &self.credentials {
            Some(c) if !stale && !c.needs_refresh(now) => return Ok(c.clone()),
            _ => {}
        }
        let mut ctx = FetchContext {
            transport: &mut *platform.transport,
            fs: platform.fs,
            now,
            region: &targets.region,
        };
        let fresh = credentials::fetch(&targets.source, &mut ctx)?;
        self.credentials = Some(fresh.clone());
        Ok(fresh)
    }

    fn get_parameter(
        &mut self,
        platform: &mut Platform<'_>,
        name: &str,
    ) -> Result<Option<String>, Error> {
        let targets = self.targets(platform)?;
        let refreshable = !matches!(targets.source, Source::Static { .. });
        let mut stale = false;
        loop {
            let credentials = self.credentials(platform, &targets, stale)?;
            let result = self.send_get_parameter(platform, &targets, &credentials, name);
            match result {
                Err(e) if refreshable && !stale && is_expired_token(&e) => stale = true,
                other => return other,
            }
        }
    }

    fn send_get_parameter(
        &self,
        platform: &mut Platform<'_>,
        targets: &Targets,
        credentials: &Credentials,
        name: &str,
    ) -> Result<Option<String>, Error> {
        let mut request = ssm::get_parameter_request(&targets.ssm, name);
        sign_request(
            &mut request,
            credentials,
            &targets.region,
            "ssm",
            platform.clock.now(),
        )?;
        let secrets = credentials.secrets();
        let response = platform.transport.send(request).map_err(|e| {
            Error::transport(format!(
                "GetParameter to {} failed: {}",
                targets.ssm.authority(),
                sanitize_foreign(&e.message, &secrets)
            ))
        })?;
        ssm::parse_get_parameter(&response, &secrets)
    }
}

/// `ExpiredTokenException` (SSM) or `ExpiredToken` (query protocol).
fn is_expired_token(error: &Error) -> bool {
    matches!(error.kind(), ErrorKind::Service(a) if matches!(a.code.as_str(), "ExpiredTokenException" | "ExpiredToken"))
}
