//! Least-privilege outgoing HTTP: the endpoints a configuration implies, timeouts capped, and
//! where an allowed request goes (the network, a fixture, or a test handler).
//!
//! Every request the component makes passes [`EgressHooks::send_request`], the single choke
//! point `wasmtime-wasi-http` offers. A request to anything else is refused with
//! `HttpRequestDenied` before it leaves the host.

use std::collections::HashMap;
use std::future::Future;
use std::pin::Pin;
use std::sync::Arc;
use std::time::Duration;

use bytes::Bytes;
use http_body_util::{BodyExt, Full, Limited};
use std::path::{Path, PathBuf};
use std::time::SystemTime;

use ssm_secrets::backend::Targets;
use ssm_secrets::config::BackendConfig;
use ssm_secrets::endpoint::Endpoint;
use ssm_secrets::platform::ProcessFilesystem;
use wasmtime_wasi_http::{Error as HttpError, RequestOptions, WasiBody, WasiHttpHooks};

use crate::endpoint_key::EndpointKey;
use crate::fixture::Fixture;
use crate::network::{Network, RouteGrant};
use crate::pool::PooledClient;
use crate::proxy::ProxySettings;

/// The largest request body the host collects for a fixture or handler (SSM bodies are tiny).
const MAX_REQUEST_BYTES: usize = 1024 * 1024;

/// What a session is granted: endpoints to reach, how to reach them, and directories to read.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Grants {
    /// Outgoing HTTP.
    pub policy: EgressPolicy,
    /// The CA bundle and proxy of each endpoint whose client has its own.
    pub routes: Vec<RouteGrant>,
    /// Directories preopened read-only, each at its own path.
    pub read_only_dirs: Vec<PathBuf>,
}

impl Grants {
    /// Resolves the configuration natively, with the core's own rules (region, SSM endpoint,
    /// credential chain, shared files), against this host's environment and files. A
    /// configuration that resolves to nothing grants nothing: the component then fails with its
    /// own error before it sends anything.
    pub fn for_backend(backend_kwargs: &str, env: &[(String, String)]) -> Self {
        let env: HashMap<String, String> = env.iter().cloned().collect();
        let Ok(config) = BackendConfig::from_json(backend_kwargs) else {
            return Grants::default();
        };
        let Ok(targets) = Targets::resolve(&config, &env, &ProcessFilesystem, SystemTime::now())
        else {
            return Grants::default();
        };
        let mut policy = EgressPolicy::deny_all().allow(&targets.ssm);
        for endpoint in &targets.credential_endpoints {
            policy = policy.allow(endpoint);
        }
        let routes = targets
            .routes
            .iter()
            .filter(|route| route.ca_bundle.is_some() || route.proxy.is_some())
            .filter_map(|route| {
                Some(RouteGrant {
                    endpoint: EndpointKey::of(&route.endpoint)?,
                    ca_bundle: route.ca_bundle.clone(),
                    proxy: route.proxy.as_deref().map(ProxySettings::fixed),
                })
            })
            .collect();
        let mut read_only_dirs: Vec<PathBuf> = targets
            .files
            .iter()
            .filter_map(|file| Path::new(file).parent().map(Path::to_path_buf))
            .filter(|dir| dir.is_absolute() && dir.is_dir())
            .collect();
        read_only_dirs.sort();
        read_only_dirs.dedup();
        Grants {
            policy,
            routes,
            read_only_dirs,
        }
    }
}

/// The endpoints a session may reach.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct EgressPolicy {
    allowed: Vec<EndpointKey>,
}

impl EgressPolicy {
    /// Nothing is allowed.
    pub fn deny_all() -> Self {
        EgressPolicy::default()
    }

    /// The endpoints that `backend_kwargs` and the environment imply: SSM, and whatever the
    /// credential source contacts (STS, the container endpoint, instance metadata). See
    /// [`Grants::for_backend`].
    pub fn for_backend(backend_kwargs: &str, env: &[(String, String)]) -> Self {
        Grants::for_backend(backend_kwargs, env).policy
    }

    /// This policy plus `endpoint`.
    pub fn allow(mut self, endpoint: &Endpoint) -> Self {
        if let Some(entry) = EndpointKey::of(endpoint) {
            self.allowed.push(entry);
        }
        self
    }

    /// Whether a request to `uri` is allowed.
    pub fn permits(&self, uri: &http::Uri) -> bool {
        EndpointKey::of_uri(uri).is_some_and(|target| self.allowed.contains(&target))
    }
}

/// Upper bounds on the component's request timeouts (a missing one gets the cap).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct TimeoutCaps {
    /// Connecting.
    pub connect: Duration,
    /// Waiting for the first byte of the reply.
    pub first_byte: Duration,
    /// Waiting between bytes of the reply.
    pub between_bytes: Duration,
}

impl Default for TimeoutCaps {
    fn default() -> Self {
        TimeoutCaps {
            connect: Duration::from_secs(10),
            first_byte: Duration::from_secs(30),
            between_bytes: Duration::from_secs(30),
        }
    }
}

impl TimeoutCaps {
    /// The component's options with every timeout at most its cap.
    pub fn apply(&self, options: Option<RequestOptions>) -> RequestOptions {
        let options = options.unwrap_or_default();
        let cap = |asked: Option<Duration>, cap: Duration| Some(asked.map_or(cap, |a| a.min(cap)));
        RequestOptions {
            connect_timeout: cap(options.connect_timeout, self.connect),
            first_byte_timeout: cap(options.first_byte_timeout, self.first_byte),
            between_bytes_timeout: cap(options.between_bytes_timeout, self.between_bytes),
        }
    }
}

/// A test's stand-in for the network: sees the whole request and the capped options.
pub type Handler = Arc<
    dyn Fn(&http::Request<Bytes>, &RequestOptions) -> Result<http::Response<Bytes>, HttpError>
        + Send
        + Sync,
>;

/// Where an allowed request goes.
#[derive(Clone)]
pub enum Upstream {
    /// The real network, over kept-alive connections shared by the whole process (see
    /// [`crate::pool`]: hyper-util's pooled client; TLS through hyper-rustls with the rustls
    /// and `ring` of `wasmtime_wasi_http`'s default sender), each endpoint by its route
    /// ([`crate::network`]: CA bundle and proxy).
    Network,
    /// Answered inside the host from a fixture file.
    Fixture(Arc<Fixture>),
    /// Answered by a function (tests).
    Handler(Handler),
}

/// What every SSM request of a session waits for and reports to: the sidecar's rate cap, shared
/// by all its instances, and its metrics. Other requests (STS, credentials) pass untouched.
pub trait SsmGate: Send + Sync {
    /// Resolves when a request for `operation` (`GetParameter`, `GetParameters`) may leave.
    fn admit(&self, operation: &str) -> Pin<Box<dyn Future<Output = ()> + Send + '_>>;
    /// A request for `operation` ended: with its reply's HTTP status (`None` without a reply),
    /// and whether SSM throttled it.
    fn completed(&self, operation: &str, status: Option<u16>, throttled: bool);
}

/// The SSM operation a request is for (`x-amz-target: AmazonSSM.<operation>`).
fn ssm_operation<B>(request: &http::Request<B>) -> Option<String> {
    let target = request.headers().get("x-amz-target")?.to_str().ok()?;
    target.strip_prefix("AmazonSSM.").map(str::to_string)
}

/// The `wasi:http` hooks of a session.
pub struct EgressHooks {
    policy: EgressPolicy,
    upstream: Upstream,
    network: Network,
    caps: TimeoutCaps,
    gate: Option<Arc<dyn SsmGate>>,
    failure: Arc<std::sync::Mutex<Option<String>>>,
}

impl EgressHooks {
    /// Hooks enforcing `policy` and `caps`, sending through `upstream`.
    pub fn new(policy: EgressPolicy, upstream: Upstream, caps: TimeoutCaps) -> Self {
        EgressHooks {
            policy,
            upstream,
            network: Network::direct(),
            caps,
            gate: None,
            failure: Arc::default(),
        }
    }

    /// Why the last connection the network could not open failed (the TLS or TCP error, or
    /// what the proxy answered), once. `wasi:http`'s error codes carry no text for these
    /// (`TLS-certificate-error`, `connection-refused`), so the session adds it to the error
    /// the component returns.
    pub fn take_connect_failure(&self) -> Option<String> {
        self.failure
            .lock()
            .unwrap_or_else(|p| p.into_inner())
            .take()
    }

    /// These hooks, reaching the network ([`Upstream::Network`]) through `network`.
    pub fn with_network(mut self, network: Network) -> Self {
        self.network = network;
        self
    }

    /// These hooks, with every SSM request passing `gate`.
    pub fn with_gate(mut self, gate: Option<Arc<dyn SsmGate>>) -> Self {
        self.gate = gate;
        self
    }
}

type IoFuture = Box<dyn Future<Output = Result<(), HttpError>> + Send>;

impl WasiHttpHooks for EgressHooks {
    fn send_request(
        &mut self,
        request: http::Request<WasiBody>,
        options: Option<RequestOptions>,
        _fut: IoFuture,
    ) -> Box<
        dyn Future<Output = wasmtime_wasi_http::Result<(http::Response<WasiBody>, IoFuture)>>
            + Send,
    > {
        let allowed = self.policy.permits(request.uri());
        let options = self.caps.apply(options);
        let upstream = match &self.upstream {
            Upstream::Network => Route::Network(
                self.network.client(request.uri()).clone(),
                Arc::clone(&self.failure),
            ),
            Upstream::Fixture(fixture) => Route::Fixture(Arc::clone(fixture)),
            Upstream::Handler(handler) => Route::Handler(Arc::clone(handler)),
        };
        let gated = self
            .gate
            .clone()
            .and_then(|gate| ssm_operation(&request).map(|operation| (gate, operation)));
        Box::new(async move {
            if !allowed {
                return Err(HttpError::HttpRequestDenied);
            }
            let Some((gate, operation)) = gated else {
                return send(upstream, request, options).await;
            };
            gate.admit(&operation).await;
            let between_bytes = options.between_bytes_timeout;
            let (response, io) = match send(upstream, request, options).await {
                Ok(sent) => sent,
                Err(e) => {
                    gate.completed(&operation, None, false);
                    return Err(e);
                }
            };
            let status = response.status().as_u16();
            if !matches!(status, 400 | 429) {
                gate.completed(&operation, Some(status), false);
                return Ok((response, io));
            }
            // An error reply is read here (SSM's are a few hundred bytes) to tell a throttle.
            let (parts, body) = response.into_parts();
            let collected = Limited::new(body, MAX_REQUEST_BYTES).collect();
            let body = match tokio::time::timeout(between_bytes.unwrap_or(Duration::MAX), collected)
                .await
            {
                Ok(Ok(body)) => body.to_bytes(),
                failed => {
                    gate.completed(&operation, Some(status), false);
                    return Err(match failed {
                        Err(_elapsed) => HttpError::ConnectionReadTimeout,
                        Ok(_) => HttpError::ConnectionTerminated,
                    });
                }
            };
            let mut reply = ssm_secrets::message::Response::new(body.to_vec());
            *reply.status_mut() = parts.status;
            let code = ssm_secrets::aws_error::parse_error(&reply, &[]).code;
            gate.completed(
                &operation,
                Some(status),
                ssm_secrets::failure::is_throttling(&code, status),
            );
            Ok((to_wasi(http::Response::from_parts(parts, body)), io))
        })
    }
}

/// Where one allowed request goes: [`Upstream`] with the network's client chosen.
enum Route {
    Network(PooledClient, Arc<std::sync::Mutex<Option<String>>>),
    Fixture(Arc<Fixture>),
    Handler(Handler),
}

/// Sends an allowed request where `upstream` says.
async fn send(
    upstream: Route,
    request: http::Request<WasiBody>,
    options: RequestOptions,
) -> wasmtime_wasi_http::Result<(http::Response<WasiBody>, IoFuture)> {
    let done: IoFuture = Box::new(async { Ok(()) });
    match upstream {
        Route::Network(client, failure) => match client.send(request, Some(options)).await {
            Ok(response) => Ok((response, done)),
            Err(error) => {
                if let HttpError::Tls(cause) | HttpError::Connect(cause) = &error {
                    *failure.lock().unwrap_or_else(|p| p.into_inner()) = Some(cause.to_string());
                }
                Err(error)
            }
        },
        Route::Fixture(fixture) => {
            let request = collect(request).await?;
            // A fixture stands in for SSM only; STS, containers and IMDS are absent.
            if !Fixture::serves(&request) {
                return Err(HttpError::ConnectionRefused);
            }
            Ok((to_wasi(fixture.respond(&request)), done))
        }
        Route::Handler(handler) => {
            let request = collect(request).await?;
            Ok((to_wasi(handler(&request, &options)?), done))
        }
    }
}

async fn collect(request: http::Request<WasiBody>) -> Result<http::Request<Bytes>, HttpError> {
    let (parts, body) = request.into_parts();
    let body = Limited::new(body, MAX_REQUEST_BYTES)
        .collect()
        .await
        .map_err(|_| HttpError::HttpRequestBodySize(None))?
        .to_bytes();
    Ok(http::Request::from_parts(parts, body))
}

fn to_wasi(response: http::Response<Bytes>) -> http::Response<WasiBody> {
    response.map(|body| {
        Full::new(body)
            .map_err(|never| match never {})
            .boxed_unsync()
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    fn env(pairs: &[(&str, &str)]) -> Vec<(String, String)> {
        pairs
            .iter()
            .map(|(k, v)| (k.to_string(), v.to_string()))
            .collect()
    }

    fn permits(policy: &EgressPolicy, url: &str) -> bool {
        policy.permits(&url.parse().unwrap())
    }

    #[test]
    fn regional_endpoint_only() {
        let keys = env(&[("AWS_ACCESS_KEY_ID", "A"), ("AWS_SECRET_ACCESS_KEY", "s")]);
        let p = EgressPolicy::for_backend(r#"{"region_name": "eu-west-1"}"#, &keys);
        assert!(permits(&p, "https://ssm.eu-west-1.amazonaws.com/"));
        assert!(
            !permits(&p, "http://169.254.169.254/"),
            "static keys need no metadata service"
        );
        assert!(permits(&p, "https://SSM.eu-west-1.amazonaws.com:443/"));
        assert!(!permits(&p, "http://ssm.eu-west-1.amazonaws.com/"));
        assert!(!permits(&p, "https://ssm.us-east-1.amazonaws.com/"));
        assert!(!permits(&p, "https://169.254.169.254/"));
    }

    #[test]
    fn endpoint_url_and_environment() {
        let p = EgressPolicy::for_backend(
            r#"{"endpoint_url": "http://127.0.0.1:5000"}"#,
            &env(&[("AWS_REGION", "us-east-1")]),
        );
        assert!(permits(&p, "http://127.0.0.1:5000/"));
        assert!(!permits(&p, "http://127.0.0.1:5001/"));
        let p = EgressPolicy::for_backend(
            "{}",
            &env(&[
                ("AWS_DEFAULT_REGION", "cn-north-1"),
                ("AWS_ACCESS_KEY_ID", "A"),
                ("AWS_SECRET_ACCESS_KEY", "s"),
            ]),
        );
        assert!(permits(&p, "https://ssm.cn-north-1.amazonaws.com.cn/"));
    }

    #[test]
    fn credential_sources_add_their_endpoints() {
        let kw = r#"{"region_name": "eu-west-1", "role_arn": "arn:aws:iam::1:role/r", "aws_access_key_id": "A", "aws_secret_access_key": "s"}"#;
        let p = EgressPolicy::for_backend(kw, &[]);
        assert!(permits(&p, "https://sts.eu-west-1.amazonaws.com/"));
        assert!(!permits(&p, "http://169.254.169.254/latest/api/token"));
        // Nothing else configured: instance metadata is the last source, so it is reachable.
        let p = EgressPolicy::for_backend(
            r#"{"region_name": "eu-west-1"}"#,
            &env(&[("HOME", "/nonexistent")]),
        );
        assert!(permits(&p, "http://169.254.169.254/latest/api/token"));
        let p = EgressPolicy::for_backend(
            r#"{"region_name": "eu-west-1"}"#,
            &env(&[("AWS_CONTAINER_CREDENTIALS_RELATIVE_URI", "/v2/c")]),
        );
        assert!(permits(&p, "http://169.254.170.2/v2/c"));
        assert!(!permits(&p, "http://169.254.169.254/"));
    }

    #[test]
    fn unusable_configuration_allows_nothing() {
        assert_eq!(
            EgressPolicy::for_backend("{}", &[]),
            EgressPolicy::deny_all()
        );
        assert_eq!(
            EgressPolicy::for_backend("[", &env(&[("AWS_REGION", "us-east-1")])),
            EgressPolicy::deny_all()
        );
    }

    #[test]
    fn timeouts_are_capped() {
        let caps = TimeoutCaps::default();
        let asked = RequestOptions {
            connect_timeout: Some(Duration::from_secs(60)),
            first_byte_timeout: Some(Duration::from_secs(1)),
            between_bytes_timeout: None,
        };
        let got = caps.apply(Some(asked));
        assert_eq!(got.connect_timeout, Some(caps.connect));
        assert_eq!(got.first_byte_timeout, Some(Duration::from_secs(1)));
        assert_eq!(got.between_bytes_timeout, Some(caps.between_bytes));
    }
}
