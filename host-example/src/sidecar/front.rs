//! The sidecar's HTTP answers: the endpoint's routes, guard and replies (the `ssm-endpoint`
//! crate, natively), the naming check, and `/metrics`. A lookup computes its parameter names
//! with the core's rules and asks the [`Broker`] for each in order (team-scoped first).

use std::sync::Arc;
use std::time::Instant;

use ssm_endpoint::reply::{self, AwsError, ConnectionFields, Failure, Prefixes, Reply};
use ssm_endpoint::route::{self, Kind, Route};
use ssm_secrets::config::BackendConfig;
use ssm_secrets::connection::{ConnectionSemantics, deserialize_connection_as, get_uri_as};

use super::broker::Broker;
use super::instances::FetchError;
use super::metrics::{Metrics, Outcome};
use super::settings::{NAMING_HEADER, Naming};

/// The content type of `/metrics` (what `prometheus-client` writes).
pub const METRICS_CONTENT_TYPE: &str = "application/openmetrics-text; version=1.0.0; charset=utf-8";

/// An answer: a reply of the endpoint's shapes, or the metrics text.
#[derive(Debug)]
pub enum Answer {
    /// JSON (or `/ping`'s text) as the endpoint answers.
    Reply(Reply),
    /// `/metrics`.
    Metrics(String),
}

/// What answers the sidecar's requests.
pub struct Front {
    /// The token, or why there is none.
    pub token: Result<String, String>,
    /// The naming rules (prefixes, lookup patterns, teams).
    pub config: BackendConfig,
    /// The naming configuration clients must share.
    pub naming: Naming,
    /// Which lookup an SSM name stands for (the `/systemsmanager/parameters/get` route).
    pub prefixes: Prefixes,
    /// The shared cache and fetches.
    pub broker: Arc<Broker>,
    /// What is counted.
    pub metrics: Arc<Metrics>,
}

/// What a lookup found: the raw value, not found, or why not.
type Found = Result<Option<String>, FetchError>;

impl Front {
    /// Answers one request (`headers` as name and raw value).
    pub async fn answer(
        &self,
        method: &str,
        target: &str,
        headers: &[(String, Vec<u8>)],
    ) -> Answer {
        let token = self.token.as_deref().map_err(String::as_str);
        let route = match route::route(method, target, headers, token) {
            Ok(route) => route,
            Err(reply) => return Answer::Reply(reply),
        };
        match route {
            Route::Ping => return Answer::Reply(Reply::ok("healthy".to_string())),
            Route::Metrics => return Answer::Metrics(self.metrics.render()),
            _ => {}
        }
        if let Some(refusal) = self.naming_refusal(headers) {
            return Answer::Reply(refusal);
        }
        let started = Instant::now();
        self.metrics.inflight_lookup(1);
        let (label, reply) = self.lookup(route).await;
        self.metrics.inflight_lookup(-1);
        let outcome = match reply.status {
            200 => Outcome::Found,
            404 => Outcome::NotFound,
            _ => Outcome::Error,
        };
        self.metrics
            .lookup(label, outcome, started.elapsed().as_secs_f64());
        Answer::Reply(reply)
    }

    /// 409 when the client names parameters otherwise than this sidecar (its fingerprint
    /// differs): a lookup would read another parameter than the client means.
    fn naming_refusal(&self, headers: &[(String, Vec<u8>)]) -> Option<Reply> {
        let given = headers
            .iter()
            .find(|(name, _)| name.eq_ignore_ascii_case(NAMING_HEADER))?;
        if given.1 == self.naming.fingerprint.as_bytes() {
            return None;
        }
        Some(reply::error_reply(
            409,
            "configuration",
            "NamingMismatch",
            &format!(
                "the client's prefixes, lookup patterns or multi_team differ from this \
                 sidecar's, which are {}: give the backend and the sidecar the same",
                self.naming.description
            ),
        ))
    }

    async fn lookup(&self, route: Route) -> (&'static str, Reply) {
        match route {
            Route::Parameter { name } => {
                let Some((kind, key)) = self.prefixes.lookup_for(&name) else {
                    return (
                        "parameter",
                        reply::error_reply(
                            400,
                            "bad-request",
                            "ValidationException",
                            "only names under the configured connections, variables and \
                             config prefixes are served",
                        ),
                    );
                };
                let found = self.raw(kind, &key, None).await;
                let what = reply::describe(None, &name);
                let reply = respond(found, &what, |v| reply::parameter_json(&name, &v));
                ("parameter", reply)
            }
            Route::Airflow {
                kind,
                key,
                team,
                raw,
            } => {
                let found = self.raw(kind, &key, team.as_deref()).await;
                let what = reply::describe(Some(kind), &key);
                let reply = match kind {
                    Kind::Connection if !raw => connection_reply(found, &key, &what),
                    _ => respond(found, &what, |v| reply::value_json(&key, &v)),
                };
                (label(kind), reply)
            }
            Route::Ping | Route::Metrics => unreachable!("answered before a lookup"),
        }
    }

    /// The raw value of a lookup: its names in order, the first found wins; any error ends it.
    async fn raw(&self, kind: Kind, key: &str, team: Option<&str>) -> Found {
        let lookup = match kind {
            Kind::Connection => &self.config.connections,
            Kind::Variable => &self.config.variables,
            Kind::Config => &self.config.config,
        };
        let Some(lookup) = lookup else {
            return Ok(None);
        };
        for name in lookup.parameter_names(key, team, self.config.multi_team) {
            if let Some(value) = self.broker.get(&name).await? {
                return Ok(Some(value));
            }
        }
        Ok(None)
    }
}

fn label(kind: Kind) -> &'static str {
    match kind {
        Kind::Connection => "connection",
        Kind::Variable => "variable",
        Kind::Config => "config",
    }
}

/// 200 with `body(value)`, 404, or the failure's reply.
fn respond(found: Found, what: &str, body: impl FnOnce(String) -> String) -> Reply {
    match found {
        Ok(Some(value)) => Reply::ok(body(value)),
        Ok(None) => reply::not_found(what),
        Err(e) => failure_reply(e),
    }
}

/// The connection object of the endpoint's connection route: the value parsed with Airflow 3
/// core's rules (an empty value is not found), with its `get_uri()`.
fn connection_reply(found: Found, conn_id: &str, what: &str) -> Reply {
    let value = match found {
        Ok(Some(value)) if !value.is_empty() => value,
        Ok(_) => return reply::not_found(what),
        Err(e) => return failure_reply(e),
    };
    let semantics = ConnectionSemantics::Core;
    let c = match deserialize_connection_as(conn_id, &value, semantics) {
        Ok(c) => c,
        Err(e) => return reply::failure_reply(&Failure::InvalidValue(e.message().to_string())),
    };
    let uri = get_uri_as(&c, semantics);
    Reply::ok(reply::connection_json(&ConnectionFields {
        strings: [
            &c.conn_id,
            &c.conn_type,
            &c.description,
            &c.host,
            &c.schema,
            &c.login,
            &c.password,
        ],
        port: c.port,
        extra: &c.extra,
        uri: &uri,
    }))
}

/// The endpoint's reply for a failed fetch: the lookup's error as the endpoint maps it, or the
/// host's own 500.
fn failure_reply(e: FetchError) -> Reply {
    let aws = |e: crate::AwsError| AwsError {
        code: e.code,
        message: e.message,
        status: e.status,
    };
    use crate::Error as E;
    let failure = match e {
        FetchError::Host(message) => {
            eprintln!("warning: {message}");
            return reply::error_reply(
                500,
                "host",
                "InternalFailure",
                "the sidecar's lookup instance failed; see the sidecar's log",
            );
        }
        FetchError::Lookup(e) => match e {
            E::Configuration(m) => Failure::Configuration(m),
            E::Credentials(m) => Failure::Credentials(m),
            E::AccessDenied(e) => Failure::AccessDenied(aws(e)),
            E::Throttled(e) => Failure::Throttled(aws(e)),
            E::Service(e) => Failure::Service(aws(e)),
            E::Transport(m) => Failure::Transport(m),
            E::InvalidValue(m) => Failure::InvalidValue(m),
        },
    };
    reply::failure_reply(&failure)
}
