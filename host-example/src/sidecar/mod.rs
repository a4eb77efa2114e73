//! The sidecar: one cache for a whole Airflow worker (`host-example serve`, `python -m
//! airflow_ssm_wasm serve`). See `docs/one-cache-per-worker.md` for the design.
//!
//! - [`settings`]: what it reads from `backend_kwargs`, and the naming fingerprint;
//! - [`front`]: the HTTP answers (the endpoint's routes and guard, natively; `/metrics`);
//! - [`broker`]: the shared cache, single flight and batching;
//! - [`instances`]: the lookup-component instances that send the SSM requests;
//! - [`limiter`]: the cap on SSM requests a second, which throttles halve;
//! - [`metrics`]: what is counted, in Prometheus' text format.

pub mod broker;
pub mod front;
pub mod instances;
pub mod limiter;
pub mod metrics;
pub mod settings;

use std::future::Future;
use std::net::SocketAddr;
use std::path::Path;
use std::pin::Pin;
use std::sync::Arc;
use std::time::{Duration, Instant};

use bytes::Bytes;
use http_body_util::Full;
use hyper::server::conn::http1;
use hyper_util::rt::TokioIo;
use tokio::net::TcpListener;

use crate::egress::{SsmGate, TimeoutCaps, Upstream};
use crate::runtime::Runtime;
use crate::session::SessionOptions;
use front::{Answer, Front, METRICS_CONTENT_TYPE};
use limiter::RateLimiter;
use metrics::Metrics;
use settings::Settings;

/// The address the sidecar binds when none is given: the Lambda extension's port, on loopback.
pub const DEFAULT_LISTEN: &str = "127.0.0.1:2773";

/// The variable `serve` reads `backend_kwargs` from when `--backend-kwargs` is not given.
pub const KWARGS_VARIABLE: &str = "SSM_SECRETS_BACKEND_KWARGS";

/// How many lookup-component instances send SSM requests side by side by default.
pub const DEFAULT_INSTANCES: usize = 8;

/// How long a stopping sidecar lets requests in progress finish.
const DRAIN: Duration = Duration::from_secs(10);

/// What to serve and how.
pub struct SidecarOptions {
    /// Where to listen.
    pub listen: SocketAddr,
    /// `backend_kwargs` (Airflow's, plus the sidecar's own keys).
    pub backend_kwargs: String,
    /// The environment the instances see (the process's `AWS_*` variables,
    /// [`SessionOptions::aws_env_from_process`]); the token is read from it too.
    pub env: Vec<(String, String)>,
    /// Where allowed SSM requests go.
    pub upstream: Upstream,
    /// The environment's proxies ([`crate::proxy::ProxySettings::from_process`]).
    pub proxies: crate::proxy::ProxySettings,
    /// How many instances send SSM requests side by side.
    pub instances: usize,
}

/// The shared cap on SSM requests, counted in the metrics.
struct Gate {
    limiter: Arc<RateLimiter>,
    metrics: Arc<Metrics>,
}

impl SsmGate for Gate {
    fn admit(&self, _operation: &str) -> Pin<Box<dyn Future<Output = ()> + Send + '_>> {
        Box::pin(async move {
            self.limiter.acquire().await;
            self.metrics.request_started();
        })
    }

    fn completed(&self, operation: &str, status: Option<u16>, throttled: bool) {
        self.metrics.request_ended(operation, status);
        let now = Instant::now();
        if throttled {
            self.limiter.throttled(now);
            self.metrics.throttled();
        }
        self.metrics.rate_limit(self.limiter.current_rate(now));
    }
}

/// A sidecar bound to its address, serving.
pub struct Sidecar {
    front: Arc<Front>,
    listener: TcpListener,
}

impl Sidecar {
    /// Opens instances of the compiled lookup component, and binds. Call inside a
    /// multi-threaded Tokio runtime.
    pub async fn bind(runtime: Runtime, options: SidecarOptions) -> Result<Sidecar, String> {
        let settings = Settings::from_kwargs(&options.backend_kwargs)?;
        let config = ssm_secrets::config::BackendConfig::from_json(&options.backend_kwargs)
            .map_err(|e| format!("configuration error: {}", e.message()))?;
        let metrics = Arc::new(Metrics::default());
        let limiter = Arc::new(RateLimiter::new(settings.requests_per_second));
        metrics.rate_limit(settings.requests_per_second);
        let gate: Arc<dyn SsmGate> = Arc::new(Gate {
            limiter: Arc::clone(&limiter),
            metrics: Arc::clone(&metrics),
        });
        let session_options = SessionOptions {
            env: options.env.clone(),
            upstream: options.upstream,
            caps: TimeoutCaps::default(),
            policy: None,
            gate: Some(gate),
            proxies: options.proxies.clone(),
        };
        let kwargs = settings.instance_kwargs.clone();
        let count = options.instances;
        // Opening an instance compiles nothing (the runtime holds the compiled component) but
        // instantiates and calls into it, driving the sessions' own runtime: on a thread of its
        // own, not the server's.
        let (started, instances) = tokio::sync::oneshot::channel();
        std::thread::spawn(move || {
            let _ = started.send(instances::Instances::start(
                runtime,
                kwargs,
                session_options,
                count,
            ));
        });
        let instances = instances
            .await
            .map_err(|_| "the instances could not start".to_string())?
            .map_err(|e| e.to_string())?;
        let broker = broker::Broker::start(
            settings.cache,
            settings.batch_window,
            instances,
            limiter,
            Arc::clone(&metrics),
        );
        let token = ssm_endpoint::route::token_from(
            |name| {
                options
                    .env
                    .iter()
                    .find(|(n, _)| n == name)
                    .map(|(_, v)| v.clone())
            },
            |path| std::fs::read_to_string(path),
        );
        let front = Arc::new(Front {
            token,
            prefixes: ssm_endpoint::reply::Prefixes::from_kwargs(&options.backend_kwargs),
            config,
            naming: settings.naming,
            broker,
            metrics,
        });
        let listener = TcpListener::bind(options.listen)
            .await
            .map_err(|e| format!("cannot listen on {}: {e}", options.listen))?;
        Ok(Sidecar { front, listener })
    }

    /// Where it listens.
    pub fn local_addr(&self) -> std::io::Result<SocketAddr> {
        self.listener.local_addr()
    }

    /// Serves until `stop` resolves, then lets requests in progress finish (up to 10 s).
    pub async fn serve(self, stop: impl Future<Output = ()>) {
        let graceful = hyper_util::server::graceful::GracefulShutdown::new();
        tokio::pin!(stop);
        loop {
            let stream = tokio::select! {
                accepted = self.listener.accept() => match accepted {
                    Ok((stream, _)) => stream,
                    Err(e) => {
                        eprintln!("warning: accept failed: {e}");
                        tokio::time::sleep(Duration::from_millis(50)).await;
                        continue;
                    }
                },
                () = &mut stop => break,
            };
            let _ = stream.set_nodelay(true);
            let front = Arc::clone(&self.front);
            let service = hyper::service::service_fn(move |request| {
                let front = Arc::clone(&front);
                async move { Ok::<_, std::convert::Infallible>(respond(&front, request).await) }
            });
            let connection = http1::Builder::new()
                .keep_alive(true)
                .serve_connection(TokioIo::new(stream), service);
            let connection = graceful.watch(connection);
            // A connection that ends badly (the client went away) is not worth a log line.
            tokio::spawn(async move {
                let _ = connection.await;
            });
        }
        drop(self.listener);
        let _ = tokio::time::timeout(DRAIN, graceful.shutdown()).await;
    }
}

/// One HTTP exchange.
async fn respond(
    front: &Front,
    request: hyper::Request<hyper::body::Incoming>,
) -> hyper::Response<Full<Bytes>> {
    let target = request
        .uri()
        .path_and_query()
        .map_or("/", |p| p.as_str())
        .to_string();
    let headers: Vec<(String, Vec<u8>)> = request
        .headers()
        .iter()
        .map(|(name, value)| (name.as_str().to_string(), value.as_bytes().to_vec()))
        .collect();
    let answer = front
        .answer(request.method().as_str(), &target, &headers)
        .await;
    let (status, content_type, body, allow) = match answer {
        Answer::Reply(reply) => (
            reply.status,
            reply.content_type(),
            reply.body,
            reply.status == 405,
        ),
        Answer::Metrics(text) => (200, METRICS_CONTENT_TYPE, text, false),
    };
    let mut response = hyper::Response::new(Full::new(Bytes::from(body)));
    *response.status_mut() =
        hyper::StatusCode::from_u16(status).unwrap_or(hyper::StatusCode::INTERNAL_SERVER_ERROR);
    let headers = response.headers_mut();
    use hyper::header::{self, HeaderValue};
    headers.insert(header::CONTENT_TYPE, HeaderValue::from_static(content_type));
    headers.insert(header::CACHE_CONTROL, HeaderValue::from_static("no-store"));
    if allow {
        headers.insert(header::ALLOW, HeaderValue::from_static("GET"));
    }
    response
}

/// Resolves at SIGTERM or SIGINT (Ctrl-C).
pub async fn stop_signal() {
    use tokio::signal::unix::{SignalKind, signal};
    let (Ok(mut term), Ok(mut int)) = (
        signal(SignalKind::terminate()),
        signal(SignalKind::interrupt()),
    ) else {
        // Without signal handlers the process ends by the default action: nothing to drain.
        return std::future::pending().await;
    };
    tokio::select! {
        _ = term.recv() => {}
        _ = int.recv() => {}
    }
}

/// Binds, prints `listening on http://<addr>` (with a warning first when the address is not
/// loopback), and serves until SIGTERM or SIGINT.
pub async fn run(component: &Path, options: SidecarOptions) -> Result<(), String> {
    if !options.listen.ip().is_loopback() {
        eprintln!(
            "warning: listening on {}, which is not loopback: anyone who can reach it and holds \
             the token can read these secrets",
            options.listen
        );
    }
    let runtime = Runtime::load(component)
        .map_err(|e| format!("cannot load the component {}: {e:#}", component.display()))?;
    let sidecar = Sidecar::bind(runtime, options).await?;
    let addr = sidecar.local_addr().map_err(|e| e.to_string())?;
    println!("listening on http://{addr}");
    use std::io::Write;
    let _ = std::io::stdout().flush();
    sidecar.serve(stop_signal()).await;
    Ok(())
}
