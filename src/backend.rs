//! The lookups: kind + id (+ team) -> parameter names -> signed `GetParameter` requests ->
//! values, in Airflow's order and with Airflow's not-found vs error split.

use crate::config::BackendConfig;
use crate::connection::{Connection, deserialize_connection};
use crate::credentials::{self, Credentials, FetchContext, Source};
use crate::endpoint::{self, Endpoint};
use crate::error::{Error, ErrorKind, sanitize_foreign};
use crate::naming::Lookup;
use std::time::{Duration, SystemTime, UNIX_EPOCH};

use crate::platform::{Clock, Environment, Filesystem, RequestTimeouts, Transport};
use crate::retry::{Jitter, RetryConfig, RetryQuota, backoff};
use crate::signing::sign_request;
use crate::skew::{self, ClockOffset};
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
    /// Attempts and mode of the standard retry mode.
    pub retry: RetryConfig,
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
        let retry = RetryConfig::resolve(aws.retries.as_ref(), env)?;
        Ok(Targets {
            retry,
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
    quota: RetryQuota,
    clock_offset: ClockOffset,
    jitter: Option<Jitter>,
}

/// One exchange with SSM: its outcome and what the reply said about retrying and time.
struct Exchange {
    result: Result<Option<String>, Error>,
    retry_after: Option<Duration>,
    server_date: Option<SystemTime>,
    signed_at: SystemTime,
}

impl Backend {
    /// Parses `backend_kwargs`. Nothing is resolved or sent yet.
    pub fn new(backend_kwargs: &str) -> Result<Self, Error> {
        Ok(Backend {
            config: BackendConfig::from_json(backend_kwargs)?,
            targets: None,
            credentials: None,
            quota: RetryQuota::default(),
            clock_offset: ClockOffset::default(),
            jitter: None,
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

    /// One `GetParameter`, with the standard retry mode, one credentials refresh on an
    /// expired token, and one clock-skew correction.
    fn get_parameter(
        &mut self,
        platform: &mut Platform<'_>,
        name: &str,
    ) -> Result<Option<String>, Error> {
        let targets = self.targets(platform)?;
        let refreshable = !matches!(targets.source, Source::Static { .. });
        let (mut stale, mut skew_corrected) = (false, false);
        let mut retry_cost = None;
        let mut attempt = 1;
        loop {
            let credentials = self.credentials(platform, &targets, stale)?;
            let exchange = self.exchange(platform, &targets, &credentials, name);
            let error = match exchange.result {
                Ok(value) => {
                    self.quota.succeeded(retry_cost);
                    return Ok(value);
                }
                Err(error) => error,
            };
            if refreshable && !stale && is_expired_token(&error) {
                stale = true;
                continue;
            }
            if !skew_corrected && skew::is_skew_error(&error) {
                let offset = exchange
                    .server_date
                    .and_then(|server| ClockOffset::between(exchange.signed_at, server));
                if let Some(offset) = offset {
                    self.clock_offset = offset;
                    skew_corrected = true;
                    continue;
                }
            }
            let Some(class) = error.retry_class() else {
                return Err(error);
            };
            if attempt >= targets.retry.max_attempts {
                return Err(if attempt > 1 {
                    error.context(&format!("GetParameter failed after {attempt} attempts"))
                } else {
                    error
                });
            }
            let Some(cost) = self.quota.acquire(class) else {
                return Err(error.context("retry quota exhausted"));
            };
            retry_cost = Some(cost);
            let seed = platform
                .clock
                .now()
                .duration_since(UNIX_EPOCH)
                .unwrap_or_default()
                .as_nanos() as u64;
            let jitter = self
                .jitter
                .get_or_insert_with(|| Jitter::new(seed))
                .sample();
            platform
                .clock
                .sleep(backoff(class, attempt - 1, jitter, exchange.retry_after));
            attempt += 1;
        }
    }

    fn exchange(
        &self,
        platform: &mut Platform<'_>,
        targets: &Targets,
        credentials: &Credentials,
        name: &str,
    ) -> Exchange {
        let signed_at = self.clock_offset.apply(platform.clock.now());
        let mut exchange = Exchange {
            result: Ok(None),
            retry_after: None,
            server_date: None,
            signed_at,
        };
        let mut request = ssm::get_parameter_request(&targets.ssm, name);
        request.extensions_mut().insert(RequestTimeouts {
            connect: self.config.aws.connect_timeout.unwrap_or(DEFAULT_TIMEOUT),
            read: self.config.aws.read_timeout.unwrap_or(DEFAULT_TIMEOUT),
        });
        if let Err(e) = sign_request(&mut request, credentials, &targets.region, "ssm", signed_at) {
            exchange.result = Err(e);
            return exchange;
        }
        let secrets = credentials.secrets();
        let response = match platform.transport.send(request) {
            Ok(response) => response,
            Err(e) => {
                let message = format!(
                    "GetParameter to {} failed: {}",
                    targets.ssm.authority(),
                    sanitize_foreign(&e.message, &secrets)
                );
                exchange.result = Err(if e.retryable {
                    Error::transport_retryable(message)
                } else {
                    Error::transport(message)
                });
                return exchange;
            }
        };
        let header = |name: &str| response.headers().get(name).and_then(|v| v.to_str().ok());
        exchange.retry_after = header("x-amz-retry-after")
            .and_then(|ms| ms.trim().parse::<u64>().ok())
            .map(Duration::from_millis);
        exchange.server_date = header("date").and_then(skew::parse_http_date);
        exchange.result = ssm::parse_get_parameter(&response, &secrets);
        exchange
    }
}

/// botocore's default connect and read timeouts.
const DEFAULT_TIMEOUT: Duration = Duration::from_secs(60);

/// `ExpiredTokenException` (SSM) or `ExpiredToken` (query protocol).
fn is_expired_token(error: &Error) -> bool {
    matches!(error.kind(), ErrorKind::Service(a) if matches!(a.code.as_str(), "ExpiredTokenException" | "ExpiredToken"))
}

#[cfg(test)]
#[path = "backend_tests.rs"]
mod tests;
