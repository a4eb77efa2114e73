//! The lookups: kind + id (+ team) -> parameter names -> signed SSM requests -> values, in
//! Airflow's order and with Airflow's not-found vs error split; one at a time, or batched with
//! `GetParameters`; through the optional cache.

mod batch;
mod call;
mod targets;

use std::collections::HashMap;
use std::sync::Arc;

pub use targets::Targets;

use crate::cache::Cache;
use crate::config::BackendConfig;
use crate::connection::{Connection, ConnectionSemantics, deserialize_connection_as};
use crate::credentials::CredentialsCache;
use crate::error::Error;
use crate::naming::Lookup;
use crate::platform::{Clock, Environment, Filesystem, Transport};
use crate::retry::{Jitter, RetryQuota};
use crate::signing::SigningKeys;
use crate::skew::ClockOffset;
use crate::ssm;
use call::Operation;

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
    /// Supplies the signing time, and waits between retries.
    pub clock: &'a dyn Clock,
    /// Reads the shared AWS files and token files.
    pub fs: &'a dyn Filesystem,
}

/// A configured backend. Not `Clone`: it holds a lookup cache, credentials and a retry quota
/// that belong to one backend.
#[derive(Debug)]
pub struct Backend {
    config: BackendConfig,
    targets: Option<Arc<Targets>>,
    credentials: CredentialsCache,
    quota: RetryQuota,
    clock_offset: ClockOffset,
    jitter: Option<Jitter>,
    cache: Option<Cache>,
    signing_keys: SigningKeys,
    semantics: ConnectionSemantics,
}

impl Backend {
    /// Parses `backend_kwargs`. Nothing is resolved or sent yet.
    pub fn new(backend_kwargs: &str) -> Result<Self, Error> {
        let config = BackendConfig::from_json(backend_kwargs)?;
        Ok(Backend {
            cache: config.cache.map(Cache::new),
            config,
            targets: None,
            credentials: CredentialsCache::default(),
            quota: RetryQuota::default(),
            clock_offset: ClockOffset::default(),
            jitter: None,
            signing_keys: SigningKeys::default(),
            semantics: ConnectionSemantics::default(),
        })
    }

    /// The parsed configuration.
    pub fn config(&self) -> &BackendConfig {
        &self.config
    }

    /// Chooses whose `Connection` class [`Backend::get_connection`] and
    /// [`Backend::get_connections`] reproduce from now on (core until set), as Airflow's
    /// `_set_connection_class` does for a backend.
    pub fn set_connection_semantics(&mut self, semantics: ConnectionSemantics) {
        self.semantics = semantics;
    }

    /// Whose `Connection` class the connection lookups reproduce.
    pub fn connection_semantics(&self) -> ConnectionSemantics {
        self.semantics
    }

    /// Forgets every cached value (a no-op without a cache).
    pub fn clear_cache(&mut self) {
        if let Some(cache) = &mut self.cache {
            cache.clear();
        }
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

    /// A connection: the value parsed as Airflow parses it (with the semantics set by
    /// [`Backend::set_connection_semantics`]); an empty value is not found.
    pub fn get_connection(
        &mut self,
        platform: &mut Platform<'_>,
        conn_id: &str,
        team: Option<&str>,
    ) -> Result<Option<Connection>, Error> {
        let value = self.get_value(platform, Kind::Connection, conn_id, team)?;
        parse_connection_value(conn_id, value, self.semantics)
    }

    /// Several connections at once, each as [`Backend::get_connection`] would give it.
    pub fn get_connections(
        &mut self,
        platform: &mut Platform<'_>,
        conn_ids: &[String],
        team: Option<&str>,
    ) -> Vec<Result<Option<Connection>, Error>> {
        let semantics = self.semantics;
        self.get_values(platform, Kind::Connection, conn_ids, team)
            .into_iter()
            .zip(conn_ids)
            .map(|(value, id)| value.and_then(|v| parse_connection_value(id, v, semantics)))
            .collect()
    }

    /// One name through the cache: fresh values are served, fetched ones remembered, and a
    /// stale one served when SSM throttles or fails.
    fn get_parameter(
        &mut self,
        platform: &mut Platform<'_>,
        name: &str,
    ) -> Result<Option<String>, Error> {
        let now = platform.clock.now();
        if let Some(hit) = self.cache.as_mut().and_then(|c| c.fresh(name, now)) {
            return Ok(hit);
        }
        let targets = self.targets(platform)?;
        let name_owned = name.to_string();
        let request = || ssm::get_parameter_request(&targets.ssm, &name_owned);
        let result = self.call(
            platform,
            &Operation {
                name: "GetParameter",
                request: &request,
                parse: &ssm::parse_get_parameter,
            },
        );
        self.remember(name, result, platform.clock.now())
    }

    /// Puts a fetched value in the cache; on a throttled or transient failure, serves a stale
    /// value instead if the cache allows it.
    fn remember(
        &mut self,
        name: &str,
        result: Result<Option<String>, Error>,
        now: std::time::SystemTime,
    ) -> Result<Option<String>, Error> {
        let Some(cache) = self.cache.as_mut() else {
            return result;
        };
        match result {
            Ok(value) => {
                cache.insert(name, value.clone(), now);
                Ok(value)
            }
            Err(e) if e.retry_class().is_some() => cache.stale(name, now).ok_or(e),
            Err(e) => Err(e),
        }
    }
}

/// `get_connection`'s rule: a truthy value is parsed, an empty one is not found.
fn parse_connection_value(
    conn_id: &str,
    value: Option<String>,
    semantics: ConnectionSemantics,
) -> Result<Option<Connection>, Error> {
    match value {
        Some(value) if !value.is_empty() => {
            deserialize_connection_as(conn_id, &value, semantics).map(Some)
        }
        _ => Ok(None),
    }
}

/// Groups indices by the name they need, keeping the first-seen order of names.
fn group_by_name(wanted: &[(usize, String)]) -> Vec<(String, Vec<usize>)> {
    let mut order: Vec<(String, Vec<usize>)> = Vec::new();
    let mut position: HashMap<&str, usize> = HashMap::new();
    for (index, name) in wanted {
        match position.get(name.as_str()) {
            Some(&p) => order[p].1.push(*index),
            None => {
                position.insert(name, order.len());
                order.push((name.clone(), vec![*index]));
            }
        }
    }
    order
}

#[cfg(test)]
mod tests;
