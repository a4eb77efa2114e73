//! `host-example serve`: the local secrets endpoint (`endpoint/`, composed with the lookup
//! component into one `wasi:http/proxy` component) served over HTTP/1.1 on loopback.
//!
//! The component runs with wasmtime-wasi-http's proxy bindings under the CLI's least privilege:
//! the environment is the process's `AWS_*` variables plus `SSM_SECRETS_BACKEND_KWARGS`, the
//! outgoing requests are those [`Grants::for_backend`] allows, the files those the credential
//! chain (and a `file://` token) reads. Instances are kept warm and reused across requests, so
//! each keeps its open backend and its cache; a request waits for a free instance.

use std::net::SocketAddr;
use std::path::Path;
use std::sync::{Arc, Mutex};

use hyper::server::conn::http1;
use tokio::net::TcpListener;
use tokio::sync::Semaphore;
use wasmtime::Store;
use wasmtime::component::Linker;
use wasmtime_wasi_http::WasiHttpView;
use wasmtime_wasi_http::io::TokioIo;
use wasmtime_wasi_http::p2::bindings::http::types::Scheme;
use wasmtime_wasi_http::p2::bindings::{Proxy, ProxyPre};
use wasmtime_wasi_http::p2::body::HyperOutgoingBody;

use crate::egress::{EgressHooks, Grants, TimeoutCaps, Upstream};
use crate::host_state::{HostState, least_privilege};

/// The address `serve` binds when none is given: the Lambda extension's port, on loopback.
pub const DEFAULT_LISTEN: &str = "127.0.0.1:2773";

/// How many instances serve at once by default: each keeps its own backend and cache.
pub const DEFAULT_INSTANCES: usize = 8;

/// The variable through which the endpoint reads `backend_kwargs`.
pub const KWARGS_VARIABLE: &str = "SSM_SECRETS_BACKEND_KWARGS";

/// What to serve and how.
pub struct ServeOptions {
    /// Where to listen.
    pub listen: SocketAddr,
    /// `backend_kwargs`, passed to the component as `SSM_SECRETS_BACKEND_KWARGS`.
    pub backend_kwargs: String,
    /// The environment besides the kwargs: the process's `AWS_*` variables (see
    /// [`crate::SessionOptions::aws_env_from_process`]).
    pub env: Vec<(String, String)>,
    /// Where allowed outgoing requests go.
    pub upstream: Upstream,
    /// How many instances may serve at once (each keeps its own backend and cache).
    pub instances: usize,
}

/// One instance, kept between requests.
struct Warm {
    store: Store<HostState>,
    proxy: Proxy,
}

/// The compiled endpoint, its grants, and the warm instances.
pub struct Server {
    pre: ProxyPre<HostState>,
    env: Vec<(String, String)>,
    grants: Grants,
    upstream: Upstream,
    idle: Mutex<Vec<Warm>>,
    permits: Arc<Semaphore>,
}

impl Server {
    /// Loads the composed endpoint at `path` through the precompiled cache and checks that it
    /// instantiates with the grants of `options`.
    pub async fn load(path: &Path, options: &ServeOptions) -> wasmtime::Result<Arc<Server>> {
        let engine = crate::runtime::new_engine()?;
        let (component, _) = crate::runtime::load_component(&engine, path)?;
        let mut linker = Linker::<HostState>::new(&engine);
        wasmtime_wasi::p2::add_to_linker_async(&mut linker)?;
        crate::http_import::add_to_linker(&mut linker)?;
        let pre = linker
            .instantiate_pre(&component)
            .and_then(ProxyPre::new)
            .map_err(|e| {
                e.context(format!(
                    "{} is not a wasi:http/proxy component this host can run (pass the \
                     composed endpoint, target/endpoint/ssm_endpoint.wasm)",
                    path.display()
                ))
            })?;
        let mut env = options.env.clone();
        env.retain(|(name, _)| name != KWARGS_VARIABLE);
        env.push((KWARGS_VARIABLE.to_string(), options.backend_kwargs.clone()));
        let mut grants = Grants::for_backend(&options.backend_kwargs, &env);
        grants.read_only_dirs.extend(token_file_dir(&env));
        grants.read_only_dirs.sort();
        grants.read_only_dirs.dedup();
        let server = Arc::new(Server {
            pre,
            env,
            grants,
            upstream: options.upstream.clone(),
            idle: Mutex::new(Vec::new()),
            permits: Arc::new(Semaphore::new(options.instances.max(1))),
        });
        // One instance up front: a component that cannot start fails here, not per request.
        let first = server.instantiate().await?;
        server.idle.lock().expect("pool lock").push(first);
        Ok(server)
    }

    async fn instantiate(&self) -> wasmtime::Result<Warm> {
        let wasi = least_privilege(&self.env, &self.grants.read_only_dirs)?.build();
        let hooks = EgressHooks::new(
            self.grants.policy.clone(),
            self.upstream.clone(),
            TimeoutCaps::default(),
        );
        let state = HostState::new(wasi, hooks);
        let mut store = Store::new(self.pre.engine(), state);
        let proxy = self.pre.instantiate_async(&mut store).await?;
        Ok(Warm { store, proxy })
    }

    /// Answers one request with a warm instance (a new one when none is idle); an instance that
    /// trapped is dropped, never reused.
    pub async fn handle<B>(
        self: &Arc<Self>,
        request: hyper::Request<B>,
    ) -> wasmtime::Result<hyper::Response<HyperOutgoingBody>>
    where
        B: hyper::body::Body<Data = bytes::Bytes> + Send + 'static,
        B::Error: Into<wasmtime_wasi_http::Error>,
    {
        let permit = Arc::clone(&self.permits).acquire_owned().await?;
        let idle = self.idle.lock().expect("pool lock").pop();
        let mut warm = match idle {
            Some(warm) => warm,
            None => self.instantiate().await?,
        };
        let (sender, receiver) = tokio::sync::oneshot::channel();
        let mut http = warm.store.data_mut().http();
        let incoming = http.new_incoming_request(Scheme::Http, request)?;
        let out = http.new_response_outparam(sender)?;
        let server = Arc::clone(self);
        // The call runs beside the reply: the body streams while the guest writes it.
        let task = tokio::spawn(async move {
            let result = warm
                .proxy
                .wasi_http_incoming_handler()
                .call_handle(&mut warm.store, incoming, out)
                .await;
            match result {
                Ok(()) => server.idle.lock().expect("pool lock").push(warm),
                Err(e) => eprintln!("warning: an endpoint instance failed and is dropped: {e}"),
            }
            drop(permit);
        });
        match receiver.await {
            Ok(Ok(response)) => Ok(response),
            Ok(Err(code)) => Err(wasmtime::format_err!("the endpoint answered {code:?}")),
            Err(_) => {
                let _ = task.await;
                Err(wasmtime::format_err!("the endpoint gave no response"))
            }
        }
    }
}

/// The directory of a `file://` token, which the component reads itself.
fn token_file_dir(env: &[(String, String)]) -> Option<std::path::PathBuf> {
    let value = [
        "AWS_TOKEN",
        "AWS_SESSION_TOKEN",
        "AWS_CONTAINER_AUTHORIZATION_TOKEN",
    ]
    .iter()
    .find_map(|name| {
        env.iter()
            .find(|(n, v)| n == name && !v.is_empty())
            .map(|(_, v)| v)
    })?;
    let path = Path::new(value.strip_prefix("file://")?);
    path.parent()
        .filter(|dir| dir.is_absolute() && dir.is_dir())
        .map(Path::to_path_buf)
}

/// 500 with the endpoint's error shape, when the host could not get an answer from the
/// component (a trap, or no response).
fn host_failure() -> hyper::Response<HyperOutgoingBody> {
    use http_body_util::BodyExt;
    let body = r#"{"error":"host","code":"InternalFailure","message":"the endpoint component failed; see the server's log"}"#;
    let mut response = hyper::Response::new(
        http_body_util::Full::new(bytes::Bytes::from_static(body.as_bytes()))
            .map_err(|never| match never {})
            .boxed_unsync(),
    );
    *response.status_mut() = hyper::StatusCode::INTERNAL_SERVER_ERROR;
    response.headers_mut().insert(
        hyper::header::CONTENT_TYPE,
        hyper::header::HeaderValue::from_static("application/json"),
    );
    response
}

/// Serves until the process ends: prints `listening on http://<addr>` once ready, and a warning
/// first when the address is not loopback.
pub async fn serve(path: &Path, options: ServeOptions) -> wasmtime::Result<()> {
    if !options.listen.ip().is_loopback() {
        eprintln!(
            "warning: listening on {}, which is not loopback: anyone who can reach it and holds \
             the token can read these secrets",
            options.listen
        );
    }
    let server = Server::load(path, &options).await?;
    let listener = TcpListener::bind(options.listen)
        .await
        .map_err(|e| wasmtime::format_err!("cannot listen on {}: {e}", options.listen))?;
    println!("listening on http://{}", listener.local_addr()?);
    use std::io::Write;
    let _ = std::io::stdout().flush();
    loop {
        let (stream, _) = match listener.accept().await {
            Ok(accepted) => accepted,
            Err(e) => {
                eprintln!("warning: accept failed: {e}");
                tokio::time::sleep(std::time::Duration::from_millis(50)).await;
                continue;
            }
        };
        let _ = stream.set_nodelay(true);
        let server = Arc::clone(&server);
        tokio::spawn(async move {
            let service = hyper::service::service_fn(move |request| {
                let server = Arc::clone(&server);
                async move {
                    Ok::<_, std::convert::Infallible>(match server.handle(request).await {
                        Ok(response) => response,
                        Err(e) => {
                            // wasmtime's and the hooks' messages name no value or token.
                            eprintln!("warning: a request failed in the host: {e:#}");
                            host_failure()
                        }
                    })
                }
            });
            // A connection that ends badly (the client went away) is not worth a log line.
            let _ = http1::Builder::new()
                .keep_alive(true)
                .serve_connection(TokioIo::new(stream), service)
                .await;
        });
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_host_failure_has_the_endpoint_error_shape() {
        let response = host_failure();
        assert_eq!(response.status(), 500);
        let body = tokio::runtime::Builder::new_current_thread()
            .build()
            .unwrap()
            .block_on(http_body_util::BodyExt::collect(response.into_body()))
            .unwrap()
            .to_bytes();
        let json: serde_json::Value = serde_json::from_slice(&body).unwrap();
        assert_eq!(json["error"], "host");
        assert_eq!(json["code"], "InternalFailure");
    }

    #[test]
    fn a_file_token_grants_its_directory_only() {
        let dir = std::env::temp_dir();
        let file = dir.join("some-token");
        let env = |value: String| vec![("AWS_TOKEN".to_string(), value)];
        assert_eq!(
            token_file_dir(&env(format!("file://{}", file.display()))),
            Some(dir.clone())
        );
        assert_eq!(token_file_dir(&env("plain".into())), None);
        assert_eq!(token_file_dir(&[]), None);
    }
}
