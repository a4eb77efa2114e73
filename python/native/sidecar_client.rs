//! `airflow_ssm_wasm._native.SidecarClient`: a task process's backend when `sidecar_url` is set.
//! Lookups go to the worker's sidecar (one cache for every task process) over a kept-alive
//! loopback connection (hyper-util's pooled client), with the token and the fingerprint of this
//! backend's naming configuration; connections are parsed here, with the class Airflow set, by
//! the core's own parsing (the same code the component runs). No AWS request leaves this process
//! and it needs no AWS credentials.

use std::sync::LazyLock;

use bytes::Bytes;
use http_body_util::{BodyExt, Empty};
use hyper_util::client::legacy::Client;
use hyper_util::client::legacy::connect::HttpConnector;
use hyper_util::rt::TokioExecutor;
use percent_encoding::{NON_ALPHANUMERIC, utf8_percent_encode};
use pyo3::prelude::*;

use host_example::sidecar::settings::{NAMING_HEADER, Naming};
use ssm_endpoint::route::{TOKEN_HEADER, TOKEN_VARIABLES, token_from};

use crate::{ConnectionTuple, error, semantics, to_tuple};

/// The process-wide runtime the client's exchanges run on, in the calling thread.
static RUNTIME: LazyLock<tokio::runtime::Runtime> = LazyLock::new(|| {
    tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .expect("a current-thread Tokio runtime needs no resources that can be missing")
});

/// How long a lookup may wait for the sidecar (which itself bounds its SSM requests).
const TIMEOUT: std::time::Duration = std::time::Duration::from_secs(120);

/// A backend that asks a sidecar.
#[pyclass(frozen, module = "airflow_ssm_wasm._native")]
pub struct SidecarClient {
    base: String,
    token: Result<String, String>,
    naming: String,
    client: Client<HttpConnector, Empty<Bytes>>,
}

/// What a sidecar answered for a lookup: a value, or not found.
fn value_of(body: &[u8]) -> Option<String> {
    let json: serde_json::Value = serde_json::from_slice(body).ok()?;
    json.get("value")?.as_str().map(str::to_string)
}

impl SidecarClient {
    /// `GET <base><path>`: the raw value, `None` for not found, or the error as
    /// `SsmSecretsError`.
    fn lookup(&self, py: Python<'_>, path: String) -> PyResult<Option<String>> {
        let token = match &self.token {
            Ok(token) => token.clone(),
            Err(why) => {
                return Err(error(
                    "configuration",
                    &format!("no token for the sidecar at {}: {why}", self.base),
                    None,
                ));
            }
        };
        let uri = format!("{}{path}", self.base);
        let request = hyper::Request::get(&uri)
            .header(TOKEN_HEADER, token)
            .header(NAMING_HEADER, &self.naming)
            .body(Empty::new())
            .map_err(|e| error("configuration", &format!("bad sidecar_url: {e}"), None))?;
        let exchange = async {
            let response = self.client.request(request).await.map_err(|e| {
                // hyper-util's own text is "client error (Connect)"; its sources say what
                // happened ("tcp connect error: Connection refused (os error 111)").
                let mut cause = Vec::new();
                let mut source = std::error::Error::source(&e);
                while let Some(s) = source {
                    cause.push(s.to_string());
                    source = s.source();
                }
                let cause = if cause.is_empty() {
                    e.to_string()
                } else {
                    cause.join(": ")
                };
                format!("the sidecar at {} cannot be reached: {cause}", self.base)
            })?;
            let status = response.status().as_u16();
            let body = response
                .into_body()
                .collect()
                .await
                .map_err(|e| format!("the sidecar at {} broke off its reply: {e}", self.base))?
                .to_bytes();
            Ok::<_, String>((status, body))
        };
        let result =
            py.detach(|| RUNTIME.block_on(async { tokio::time::timeout(TIMEOUT, exchange).await }));
        let (status, body) = match result {
            Ok(Ok(reply)) => reply,
            Ok(Err(message)) => return Err(error("transport", &message, None)),
            Err(_) => {
                return Err(error(
                    "transport",
                    &format!("the sidecar at {} did not answer in {TIMEOUT:?}", self.base),
                    None,
                ));
            }
        };
        if status == 200 {
            return value_of(&body)
                .map(Some)
                .ok_or_else(|| self.unexpected(status));
        }
        match self.failure(status, &body) {
            Failure::NotFound => Ok(None),
            Failure::Error(e) => Err(e),
        }
    }

    fn unexpected(&self, status: u16) -> PyErr {
        error(
            "transport",
            &format!(
                "the server at {} is not an ssm-secrets sidecar (HTTP {status} without the \
                 sidecar's reply)",
                self.base
            ),
            None,
        )
    }

    /// An error reply as the `SsmSecretsError` the in-process backend would raise (its kind and
    /// AWS code), or not found.
    fn failure(&self, status: u16, body: &[u8]) -> Failure {
        let json: serde_json::Value = serde_json::from_slice(body).unwrap_or_default();
        let field = |name: &str| json.get(name).and_then(|v| v.as_str()).unwrap_or_default();
        let (kind, code, message) = (field("error"), field("code"), field("message"));
        if kind.is_empty() {
            return Failure::Error(self.unexpected(status));
        }
        let base = &self.base;
        Failure::Error(match (status, kind) {
            (404, "not-found") if code == "ParameterNotFound" => return Failure::NotFound,
            (403, "forbidden") => error(
                "configuration",
                &format!(
                    "the sidecar at {base} refused this process's token (HTTP 403): set {} to \
                     the sidecar's token",
                    TOKEN_VARIABLES.join(" or ")
                ),
                Some(code),
            ),
            (500, "no-token") => error(
                "configuration",
                &format!("the sidecar at {base} has no token of its own: {message}"),
                Some(code),
            ),
            // The in-process backend has no code for these; the sidecar's own mismatch has one.
            (_, "configuration" | "credentials" | "transport" | "invalid-value" | "host") => error(
                kind,
                &format!("{kind} error (sidecar at {base}): {message}"),
                (code == "NamingMismatch").then_some(code),
            ),
            (_, "access-denied" | "throttled" | "service") => error(
                kind,
                &format!("{kind} (sidecar at {base}): {code}: {message}"),
                Some(code),
            ),
            _ => error(
                "host",
                &format!("the sidecar at {base} answered HTTP {status}: {kind}: {message}"),
                Some(code),
            ),
        })
    }
}

/// A failed exchange: not found, or an error to raise.
enum Failure {
    NotFound,
    Error(PyErr),
}

/// `/airflow/<route>/<id>` with the id percent-encoded, and `team=` when given.
fn path(route: &str, id: &str, team: Option<&str>, raw: bool) -> String {
    let mut path = format!(
        "/airflow/{route}/{}",
        utf8_percent_encode(id, NON_ALPHANUMERIC)
    );
    let mut separator = '?';
    if raw {
        path.push_str("?format=raw");
        separator = '&';
    }
    if let Some(team) = team.filter(|t| !t.is_empty()) {
        path.push(separator);
        path.push_str("team=");
        path.push_str(&utf8_percent_encode(team, NON_ALPHANUMERIC).to_string());
    }
    path
}

#[pymethods]
impl SidecarClient {
    /// A client of the sidecar at `sidecar_url` (`http://host:port`), naming parameters as
    /// `backend_kwargs` says (the sidecar refuses other naming). The token is read now from
    /// `AWS_TOKEN`, `AWS_SESSION_TOKEN` or `AWS_CONTAINER_AUTHORIZATION_TOKEN`.
    #[new]
    fn new(sidecar_url: &str, backend_kwargs: &str) -> PyResult<Self> {
        let base = sidecar_url.trim_end_matches('/').to_string();
        let valid = base
            .strip_prefix("http://")
            .is_some_and(|rest| !rest.is_empty() && !rest.contains('/'));
        if !valid {
            return Err(error(
                "configuration",
                &format!(
                    "backend_kwargs `sidecar_url` must be http://<host>:<port>, not {sidecar_url:?}"
                ),
                None,
            ));
        }
        let naming = Naming::from_kwargs(backend_kwargs)
            .map_err(|message| error("configuration", &message, None))?;
        let token = token_from(
            |name| std::env::var(name).ok(),
            |path| std::fs::read_to_string(path),
        );
        let client = Client::builder(TokioExecutor::new())
            .pool_idle_timeout(std::time::Duration::from_secs(30))
            .build_http();
        Ok(SidecarClient {
            base,
            token,
            naming: naming.fingerprint,
            client,
        })
    }

    /// The raw value of a connection, or `None`.
    #[pyo3(signature = (conn_id, team = None))]
    fn get_conn_value(
        &self,
        py: Python<'_>,
        conn_id: &str,
        team: Option<&str>,
    ) -> PyResult<Option<String>> {
        self.lookup(py, path("connections", conn_id, team, true))
    }

    /// A connection parsed with `semantics` (`core`, `task-sdk`, `airflow2`), as the tuple of
    /// its fields, or `None` (an empty value is not found, as in Airflow).
    #[pyo3(signature = (conn_id, team = None, semantics = "core"))]
    fn get_connection(
        &self,
        py: Python<'_>,
        conn_id: &str,
        team: Option<&str>,
        semantics: &str,
    ) -> PyResult<Option<ConnectionTuple>> {
        let semantics = self::semantics(semantics)?;
        let Some(value) = self.get_conn_value(py, conn_id, team)? else {
            return Ok(None);
        };
        if value.is_empty() {
            return Ok(None);
        }
        ssm_secrets::deserialize_connection_as(conn_id, &value, semantics)
            .map(|c| Some(to_tuple(c)))
            .map_err(|e| {
                error(
                    "invalid-value",
                    &format!("invalid value: {}", e.message()),
                    None,
                )
            })
    }

    /// The raw value of a variable, or `None`.
    #[pyo3(signature = (key, team = None))]
    fn get_variable(
        &self,
        py: Python<'_>,
        key: &str,
        team: Option<&str>,
    ) -> PyResult<Option<String>> {
        self.lookup(py, path("variables", key, team, false))
    }

    /// The raw value of a config option, or `None`.
    fn get_config(&self, py: Python<'_>, key: &str) -> PyResult<Option<String>> {
        self.lookup(py, path("config", key, None, false))
    }
}
