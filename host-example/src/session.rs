//! One store, one `backend` resource, and the typed calls into it.
//!
//! Every call is a `block_on` on one process-wide current-thread Tokio runtime, entering the
//! component with `call_async`: the `wasi:http` request, its body streams and the pooled
//! connection it uses are driven by the calling thread. With the synchronous bindings each
//! blocking step of a request (write, wait for the reply, read) was a hand-off to
//! `wasmtime-wasi`'s worker threads and back. Calls from several threads at once take turns
//! driving the runtime (Tokio's current-thread scheduler hands its core from one `block_on` to
//! the next), so kept-alive connections are shared by every session of the process.

use std::sync::Arc;

use wasmtime::Store;
use wasmtime::component::ResourceAny;

use crate::bindings::SsmBackend;
use crate::egress::{EgressHooks, EgressPolicy, Grants, SsmGate, TimeoutCaps, Upstream};
use crate::explain::Explain;
use crate::host_state::{HostState, least_privilege};
use crate::network::Network;
use crate::planned_grants::PlannedGrants;
use crate::proxy::ProxySettings;
use crate::runtime::Runtime;
use crate::{Connection, ConnectionSemantics, Error};

/// What a session grants the component.
#[derive(Clone)]
pub struct SessionOptions {
    /// The environment the component sees. Use [`SessionOptions::aws_env_from_process`] for the
    /// usual `AWS_*` variables; nothing else should be passed.
    pub env: Vec<(String, String)>,
    /// Where allowed requests go.
    pub upstream: Upstream,
    /// Upper bounds on the component's request timeouts.
    pub caps: TimeoutCaps,
    /// The endpoints the component may reach. `None` (the default): exactly those its
    /// `backend_kwargs` and environment imply ([`Grants::for_backend`]).
    pub policy: Option<EgressPolicy>,
    /// What every SSM request waits for and reports to (the sidecar's rate cap); none by default.
    pub gate: Option<Arc<dyn SsmGate>>,
    /// The proxies of the environment (`HTTPS_PROXY`, `HTTP_PROXY`, `NO_PROXY`), for the
    /// endpoints whose configuration names none; none by default,
    /// [`SessionOptions::aws_env_from_process`] reads this process's.
    pub proxies: ProxySettings,
}

impl SessionOptions {
    /// Options with the given upstream, no environment and default caps.
    pub fn new(upstream: Upstream) -> Self {
        SessionOptions {
            env: Vec::new(),
            upstream,
            caps: TimeoutCaps::default(),
            policy: None,
            gate: None,
            proxies: ProxySettings::none(),
        }
    }

    /// Passes this process's `AWS_*` variables, and only those. The shared files' locations are
    /// made explicit (`AWS_CONFIG_FILE`, `AWS_SHARED_CREDENTIALS_FILE` under `$HOME/.aws`) so the
    /// component needs no `HOME`. The host (not the component) also takes this process's proxy
    /// variables, as botocore does.
    pub fn aws_env_from_process(mut self) -> Self {
        self.proxies = ProxySettings::from_process();
        self.env = std::env::vars()
            .filter(|(name, _)| name.starts_with("AWS_"))
            .collect();
        if let Some(home) = std::env::var_os("HOME").filter(|h| !h.is_empty()) {
            let aws = std::path::Path::new(&home).join(".aws");
            for (var, file) in [
                ("AWS_CONFIG_FILE", "config"),
                ("AWS_SHARED_CREDENTIALS_FILE", "credentials"),
            ] {
                if !self.env.iter().any(|(name, _)| name == var) {
                    self.env.push((
                        var.to_string(),
                        aws.join(file).to_string_lossy().into_owned(),
                    ));
                }
            }
        }
        self
    }

    /// Adds one variable.
    pub fn env(mut self, name: &str, value: &str) -> Self {
        self.env.push((name.to_string(), value.to_string()));
        self
    }
}

/// Runs `future` to completion on the process-wide current-thread runtime, in this thread.
fn block_on<F: std::future::Future>(future: F) -> F::Output {
    static RUNTIME: std::sync::LazyLock<tokio::runtime::Runtime> = std::sync::LazyLock::new(|| {
        tokio::runtime::Builder::new_current_thread()
            .enable_all()
            .build()
            .expect("a current-thread Tokio runtime needs no resources that can be missing")
    });
    RUNTIME.block_on(future)
}

/// A component instance holding one backend.
pub struct Session {
    store: Store<HostState>,
    instance: SsmBackend,
    backend: Option<ResourceAny>,
}

/// A call failed: the component returned an error, or the host could not run it.
#[derive(Debug)]
pub enum CallError {
    /// The component's typed error.
    Component(Error),
    /// A trap or host failure.
    Host(wasmtime::Error),
}

impl std::fmt::Display for CallError {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            CallError::Component(e) => f.write_str(&crate::error_message(e)),
            CallError::Host(e) => write!(f, "host error: {e}"),
        }
    }
}

impl std::error::Error for CallError {}

fn flatten<T>(r: wasmtime::Result<Result<T, Error>>) -> Result<T, CallError> {
    r.map_err(CallError::Host)?.map_err(CallError::Component)
}

/// `session.call_x(args)` of the `lookup` interface, on the process-wide runtime; with
/// `backend` first, a method of the open backend resource.
macro_rules! call {
    ($session:ident, backend . $method:ident ( $($arg:expr),* )) => {{
        let backend = $session.backend()?;
        let result = block_on(
            $session
                .instance
                .airflow_ssm_secrets_lookup()
                .backend()
                .$method(&mut $session.store, backend, $($arg),*),
        );
        $session.explain(result)
    }};
    ($session:ident, $method:ident ( $($arg:expr),* )) => {{
        let result = block_on(
            $session
                .instance
                .airflow_ssm_secrets_lookup()
                .$method(&mut $session.store, $($arg),*),
        );
        $session.explain(result)
    }};
}

impl Session {
    /// A session with no backend yet: enough for the offline connection functions.
    pub fn offline(runtime: &Runtime) -> wasmtime::Result<Self> {
        Self::instantiate(
            runtime,
            Grants::default(),
            SessionOptions::new(Upstream::Network),
            Network::direct(),
        )
    }

    /// What `backend_kwargs` needs, as the component plans it (`plan-grants`), in an instance
    /// that sees `options.env` and, read-only, the directories of the shared files that
    /// environment names, and may reach nothing: how hosts that cannot run the core natively
    /// (Node) learn their grants. This host computes the same natively ([`Grants::for_backend`]).
    pub fn plan(
        runtime: &Runtime,
        backend_kwargs: &str,
        options: SessionOptions,
    ) -> Result<PlannedGrants, CallError> {
        let mut read_only_dirs: Vec<std::path::PathBuf> = options
            .env
            .iter()
            .filter(|(name, _)| name == "AWS_CONFIG_FILE" || name == "AWS_SHARED_CREDENTIALS_FILE")
            .filter_map(|(_, file)| std::path::Path::new(file).parent().map(Into::into))
            .filter(|dir: &std::path::PathBuf| dir.is_absolute() && dir.is_dir())
            .collect();
        read_only_dirs.sort();
        read_only_dirs.dedup();
        let grants = Grants {
            policy: EgressPolicy::deny_all(),
            routes: Vec::new(),
            read_only_dirs,
        };
        let mut session = Self::instantiate(runtime, grants, options, Network::direct())
            .map_err(CallError::Host)?;
        session.plan_grants(backend_kwargs)
    }

    /// Instantiates the component and opens a backend from `backend_kwargs`. Outgoing requests
    /// are allowed only to the endpoints that configuration implies.
    pub fn open(
        runtime: &Runtime,
        backend_kwargs: &str,
        options: SessionOptions,
    ) -> Result<Self, CallError> {
        let mut grants = Grants::for_backend(backend_kwargs, &options.env);
        if let Some(policy) = &options.policy {
            grants.policy = policy.clone();
        }
        let network = Network::for_routes(&grants.routes, &options.proxies)
            .map_err(|e| CallError::Component(Error::Configuration(e.to_string())))?;
        let mut session =
            Self::instantiate(runtime, grants, options, network).map_err(CallError::Host)?;
        let opened = block_on(
            session
                .instance
                .airflow_ssm_secrets_lookup()
                .backend()
                .call_open(&mut session.store, backend_kwargs),
        );
        let backend = flatten(session.explain(opened))?;
        session.backend = Some(backend);
        Ok(session)
    }

    fn instantiate(
        runtime: &Runtime,
        grants: Grants,
        options: SessionOptions,
        network: Network,
    ) -> wasmtime::Result<Self> {
        let wasi = least_privilege(&options.env, &grants.read_only_dirs)?.build();
        let hooks = EgressHooks::new(grants.policy, options.upstream, options.caps)
            .with_gate(options.gate)
            .with_network(network);
        let state = HostState::new(wasi, hooks);
        let mut store = Store::new(runtime.engine(), state);
        let instance = block_on(runtime.pre().instantiate_async(&mut store))?;
        Ok(Session {
            store,
            instance,
            backend: None,
        })
    }

    /// `result`, its transport errors with the reason the last connection failed, if one did.
    fn explain<T: Explain>(&self, result: T) -> T {
        match self.store.data().hooks().take_connect_failure() {
            Some(why) => result.explain(&why),
            None => result,
        }
    }

    fn backend(&self) -> Result<ResourceAny, CallError> {
        self.backend
            .ok_or_else(|| CallError::Host(wasmtime::format_err!("no backend is open")))
    }

    /// `get-conn-value`.
    pub fn get_conn_value(
        &mut self,
        conn_id: &str,
        team: Option<&str>,
    ) -> Result<Option<String>, CallError> {
        flatten(call!(self, backend.call_get_conn_value(conn_id, team)))
    }

    /// `get-connection`.
    pub fn get_connection(
        &mut self,
        conn_id: &str,
        team: Option<&str>,
    ) -> Result<Option<Connection>, CallError> {
        flatten(call!(self, backend.call_get_connection(conn_id, team)))
            .map(|c| c.map(Connection::from))
    }

    /// `get-variable`.
    pub fn get_variable(
        &mut self,
        key: &str,
        team: Option<&str>,
    ) -> Result<Option<String>, CallError> {
        flatten(call!(self, backend.call_get_variable(key, team)))
    }

    /// `get-config`.
    pub fn get_config(&mut self, key: &str) -> Result<Option<String>, CallError> {
        flatten(call!(self, backend.call_get_config(key)))
    }

    /// `get-conn-values`: several ids, batched.
    pub fn get_conn_values(
        &mut self,
        conn_ids: &[String],
        team: Option<&str>,
    ) -> Result<Vec<Result<Option<String>, Error>>, CallError> {
        call!(self, backend.call_get_conn_values(conn_ids, team)).map_err(CallError::Host)
    }

    /// `get-connections`: several ids, batched.
    pub fn get_connections(
        &mut self,
        conn_ids: &[String],
        team: Option<&str>,
    ) -> Result<Vec<Result<Option<Connection>, Error>>, CallError> {
        let results =
            call!(self, backend.call_get_connections(conn_ids, team)).map_err(CallError::Host)?;
        Ok(results
            .into_iter()
            .map(|r| r.map(|c| c.map(Connection::from)))
            .collect())
    }

    /// `get-variables`: several keys, batched.
    pub fn get_variables(
        &mut self,
        keys: &[String],
        team: Option<&str>,
    ) -> Result<Vec<Result<Option<String>, Error>>, CallError> {
        call!(self, backend.call_get_variables(keys, team)).map_err(CallError::Host)
    }

    /// `get-configs`: several keys, batched.
    pub fn get_configs(
        &mut self,
        keys: &[String],
    ) -> Result<Vec<Result<Option<String>, Error>>, CallError> {
        call!(self, backend.call_get_configs(keys)).map_err(CallError::Host)
    }

    /// `get-parameters`: SSM parameters by their full names, batched.
    pub fn get_parameters(
        &mut self,
        names: &[String],
    ) -> Result<Vec<Result<Option<String>, Error>>, CallError> {
        call!(self, backend.call_get_parameters(names)).map_err(CallError::Host)
    }

    /// `clear-cache`.
    pub fn clear_cache(&mut self) -> Result<(), CallError> {
        call!(self, backend.call_clear_cache()).map_err(CallError::Host)
    }

    /// `set-connection-semantics`: whose parsing `get-connection(s)` reproduce from now on.
    pub fn set_connection_semantics(
        &mut self,
        semantics: ConnectionSemantics,
    ) -> Result<(), CallError> {
        call!(
            self,
            backend.call_set_connection_semantics(semantics.into())
        )
        .map_err(CallError::Host)
    }

    /// `parse-connection` (offline).
    pub fn parse_connection(
        &mut self,
        conn_id: &str,
        value: &str,
        semantics: ConnectionSemantics,
    ) -> Result<Connection, CallError> {
        flatten(call!(
            self,
            call_parse_connection(conn_id, value, semantics.into())
        ))
        .map(Connection::from)
    }

    /// `connection-uri` (offline).
    pub fn connection_uri(
        &mut self,
        connection: &Connection,
        semantics: ConnectionSemantics,
    ) -> Result<String, CallError> {
        flatten(call!(
            self,
            call_connection_uri(&connection.into(), semantics.into())
        ))
    }

    /// `plan-grants`: what `backend_kwargs` needs, as the component resolves it with the
    /// environment and files this session gives it (offline).
    pub fn plan_grants(&mut self, backend_kwargs: &str) -> Result<PlannedGrants, CallError> {
        flatten(call!(self, call_plan_grants(backend_kwargs))).map(PlannedGrants::from)
    }
}
