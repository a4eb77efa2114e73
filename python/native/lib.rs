//! `airflow_ssm_wasm._native`: the Python host of the `ssm-secrets` component, a thin PyO3 layer
//! over `host-example` (wasmtime 48).
//!
//! What it brings Python that wasmtime-py could not: the Rust host's egress allow-list (a
//! request to an endpoint the configuration does not imply is refused before it leaves the
//! process), its pooled keep-alive HTTP client, and its precompiled-component cache (a new
//! process deserialises instead of compiling). One engine and compiled component per process
//! and component file, shared by every backend object; each backend object is one store with
//! one `backend` resource behind a mutex, and every call releases the GIL while it runs.
#![deny(unsafe_code)]

mod sidecar_client;

use std::collections::HashMap;
use std::path::{Path, PathBuf};
use std::sync::{Arc, Mutex, MutexGuard, OnceLock};

use pyo3::exceptions::PyValueError;
use pyo3::prelude::*;
use pyo3::types::PyTuple;

use host_example::session::CallError;
use host_example::{
    Connection, ConnectionSemantics, EgressPolicy, Runtime, Session, SessionOptions, Upstream,
};

/// A connection as it crosses into Python: the fields of `airflow.models.Connection`, in
/// order `conn_id, conn_type, description, host, schema, login, password, port, extra`.
pub(crate) type ConnectionTuple = (
    Option<String>,
    Option<String>,
    Option<String>,
    Option<String>,
    Option<String>,
    Option<String>,
    Option<String>,
    Option<i64>,
    Option<String>,
);

pub(crate) fn to_tuple(c: Connection) -> ConnectionTuple {
    (
        c.conn_id,
        c.conn_type,
        c.description,
        c.host,
        c.schema,
        c.login,
        c.password,
        c.port,
        c.extra,
    )
}

fn from_tuple(t: ConnectionTuple) -> Connection {
    let (conn_id, conn_type, description, host, schema, login, password, port, extra) = t;
    Connection {
        conn_id,
        conn_type,
        description,
        host,
        schema,
        login,
        password,
        port,
        extra,
    }
}

/// The compiled component of each component file this process has loaded.
fn runtime(path: &Path) -> PyResult<Arc<Runtime>> {
    static RUNTIMES: OnceLock<Mutex<HashMap<PathBuf, Arc<Runtime>>>> = OnceLock::new();
    let mut loaded = lock(RUNTIMES.get_or_init(Default::default));
    if let Some(runtime) = loaded.get(path) {
        return Ok(runtime.clone());
    }
    let runtime = Runtime::load(path)
        .map(Arc::new)
        .map_err(|e| error("host", &format!("cannot load the component: {e}"), None))?;
    loaded.insert(path.to_path_buf(), runtime.clone());
    Ok(runtime)
}

/// A poisoned lock only means another thread panicked mid-call; the data is still usable
/// (a session holds no invariant a half-finished call could break).
fn lock<T>(mutex: &Mutex<T>) -> MutexGuard<'_, T> {
    mutex
        .lock()
        .unwrap_or_else(|poisoned| poisoned.into_inner())
}

/// `airflow_ssm_wasm.errors.SsmSecretsError(kind, message, code)`.
pub(crate) fn error(kind: &str, message: &str, code: Option<&str>) -> PyErr {
    Python::attach(|py| {
        let made = py
            .import("airflow_ssm_wasm.errors")
            .and_then(|m| m.getattr("SsmSecretsError"))
            .and_then(|class| class.call1((kind, message, code)));
        match made {
            Ok(exception) => PyErr::from_value(exception),
            Err(e) => e,
        }
    })
}

fn component_error(e: &host_example::Error) -> PyErr {
    use host_example::Error as E;
    let kind = match e {
        E::Configuration(_) => "configuration",
        E::Credentials(_) => "credentials",
        E::AccessDenied(_) => "access-denied",
        E::Throttled(_) => "throttled",
        E::Service(_) => "service",
        E::Transport(_) => "transport",
        E::InvalidValue(_) => "invalid-value",
    };
    let code = match e {
        E::AccessDenied(a) | E::Throttled(a) | E::Service(a) => Some(a.code.as_str()),
        _ => None,
    };
    error(kind, &host_example::error_message(e), code)
}

fn call_error(e: CallError) -> PyErr {
    match e {
        CallError::Component(e) => component_error(&e),
        CallError::Host(e) => error("host", &format!("host error: {e}"), None),
    }
}

pub(crate) fn semantics(name: &str) -> PyResult<ConnectionSemantics> {
    host_example::parse_semantics(name).ok_or_else(|| {
        PyValueError::new_err(format!(
            "connection semantics must be 'core', 'task-sdk' or 'airflow2', not {name:?}"
        ))
    })
}

/// One result of a batched call: the value, `None`, or the `SsmSecretsError` (not raised).
fn batch_item<'py, T: IntoPyObject<'py>>(
    py: Python<'py>,
    item: Result<Option<T>, host_example::Error>,
) -> PyResult<Py<PyAny>> {
    match item {
        Ok(value) => Ok(value
            .into_pyobject(py)
            .map_err(Into::into)?
            .into_any()
            .unbind()),
        Err(e) => Ok(component_error(&e).into_value(py).into_any()),
    }
}

/// A session and the semantics its backend currently parses connections with.
struct Inner {
    session: Session,
    semantics: ConnectionSemantics,
}

impl Inner {
    fn use_semantics(&mut self, wanted: ConnectionSemantics) -> Result<(), CallError> {
        if self.semantics != wanted {
            self.session.set_connection_semantics(wanted)?;
            self.semantics = wanted;
        }
        Ok(())
    }
}

/// A configured backend: `backend_kwargs` parsed once in the component, then any number of
/// lookups, from any thread (one at a time per object).
#[pyclass(frozen, module = "airflow_ssm_wasm._native")]
struct Backend {
    inner: Mutex<Inner>,
}

impl Backend {
    /// Runs `f` on the session with the GIL released.
    fn run<T: Send>(
        &self,
        py: Python<'_>,
        f: impl FnOnce(&mut Inner) -> Result<T, CallError> + Send,
    ) -> PyResult<T> {
        py.detach(|| f(&mut lock(&self.inner))).map_err(call_error)
    }
}

#[pymethods]
impl Backend {
    /// Opens a backend from the component at `component` and the `backend_kwargs` JSON text.
    /// The component sees this process's `AWS_*` variables only; outgoing requests are
    /// allowed to exactly the endpoints the configuration implies, or, when `allow` is given
    /// (tests, pinned deployments), to exactly those URLs.
    #[new]
    #[pyo3(signature = (component, backend_kwargs, allow = None))]
    fn new(
        py: Python<'_>,
        component: PathBuf,
        backend_kwargs: String,
        allow: Option<Vec<String>>,
    ) -> PyResult<Self> {
        let policy = match allow {
            None => None,
            Some(urls) => {
                let mut policy = EgressPolicy::deny_all();
                for url in &urls {
                    let endpoint = ssm_endpoint(url)?;
                    policy = policy.allow(&endpoint);
                }
                Some(policy)
            }
        };
        let session = py.detach(|| -> PyResult<Session> {
            let runtime = runtime(&component)?;
            let mut options = SessionOptions::new(Upstream::Network).aws_env_from_process();
            options.policy = policy;
            Session::open(&runtime, &backend_kwargs, options).map_err(call_error)
        })?;
        Ok(Backend {
            inner: Mutex::new(Inner {
                session,
                semantics: ConnectionSemantics::Core,
            }),
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
        self.run(py, |i| i.session.get_conn_value(conn_id, team))
    }

    /// A connection parsed with `semantics` (`core`, `task-sdk`, `airflow2`), as the tuple of
    /// its fields, or `None`.
    #[pyo3(signature = (conn_id, team = None, semantics = "core"))]
    fn get_connection(
        &self,
        py: Python<'_>,
        conn_id: &str,
        team: Option<&str>,
        semantics: &str,
    ) -> PyResult<Option<ConnectionTuple>> {
        let wanted = self::semantics(semantics)?;
        self.run(py, |i| {
            i.use_semantics(wanted)?;
            i.session.get_connection(conn_id, team)
        })
        .map(|c| c.map(to_tuple))
    }

    /// The raw value of a variable, or `None`.
    #[pyo3(signature = (key, team = None))]
    fn get_variable(
        &self,
        py: Python<'_>,
        key: &str,
        team: Option<&str>,
    ) -> PyResult<Option<String>> {
        self.run(py, |i| i.session.get_variable(key, team))
    }

    /// The raw value of a config option, or `None`.
    fn get_config(&self, py: Python<'_>, key: &str) -> PyResult<Option<String>> {
        self.run(py, |i| i.session.get_config(key))
    }

    /// Several variables at once (batched `GetParameters`): a list of values, `None`s and
    /// `SsmSecretsError` instances (returned, not raised), in order.
    #[pyo3(signature = (keys, team = None))]
    fn get_variables(
        &self,
        py: Python<'_>,
        keys: Vec<String>,
        team: Option<&str>,
    ) -> PyResult<Vec<Py<PyAny>>> {
        let results = self.run(py, |i| i.session.get_variables(&keys, team))?;
        results.into_iter().map(|r| batch_item(py, r)).collect()
    }

    /// Several connection values at once, as `get_variables`.
    #[pyo3(signature = (conn_ids, team = None))]
    fn get_conn_values(
        &self,
        py: Python<'_>,
        conn_ids: Vec<String>,
        team: Option<&str>,
    ) -> PyResult<Vec<Py<PyAny>>> {
        let results = self.run(py, |i| i.session.get_conn_values(&conn_ids, team))?;
        results.into_iter().map(|r| batch_item(py, r)).collect()
    }

    /// Forgets every cached value.
    fn clear_cache(&self, py: Python<'_>) -> PyResult<()> {
        self.run(py, |i| i.session.clear_cache())
    }
}

/// An allow-list entry: an `http(s)://host[:port]` URL.
fn ssm_endpoint(url: &str) -> PyResult<ssm_secrets::endpoint::Endpoint> {
    ssm_secrets::endpoint::Endpoint::parse(url, "allow")
        .map_err(|e| PyValueError::new_err(e.message().to_string()))
}

/// The offline session of a component, for parsing without a backend.
fn with_offline<T: Send>(
    py: Python<'_>,
    component: &Path,
    f: impl FnOnce(&mut Session) -> Result<T, CallError> + Send,
) -> PyResult<T> {
    static OFFLINE: OnceLock<Mutex<HashMap<PathBuf, Session>>> = OnceLock::new();
    py.detach(|| {
        let mut sessions = lock(OFFLINE.get_or_init(Default::default));
        if !sessions.contains_key(component) {
            let runtime = runtime(component)?;
            let session = Session::offline(&runtime)
                .map_err(|e| error("host", &format!("host error: {e}"), None))?;
            sessions.insert(component.to_path_buf(), session);
        }
        let session = sessions.get_mut(component).expect("inserted above");
        f(session).map_err(call_error)
    })
}

/// Parses a connection value offline, as Airflow's `deserialize_connection` does with the
/// chosen semantics' `Connection` class.
#[pyfunction]
#[pyo3(signature = (component, conn_id, value, semantics = "core"))]
fn parse_connection(
    py: Python<'_>,
    component: PathBuf,
    conn_id: &str,
    value: &str,
    semantics: &str,
) -> PyResult<ConnectionTuple> {
    let semantics = self::semantics(semantics)?;
    with_offline(py, &component, |s| {
        s.parse_connection(conn_id, value, semantics)
    })
    .map(to_tuple)
}

/// A connection's URI, as the chosen semantics' `get_uri()` gives it.
#[pyfunction]
#[pyo3(signature = (component, fields, semantics = "core"))]
fn connection_uri(
    py: Python<'_>,
    component: PathBuf,
    fields: &Bound<'_, PyTuple>,
    semantics: &str,
) -> PyResult<String> {
    let semantics = self::semantics(semantics)?;
    let connection = from_tuple(fields.extract()?);
    with_offline(py, &component, |s| s.connection_uri(&connection, semantics))
}

/// The sidecar (`python -m airflow_ssm_wasm serve`): serves the lookups of the component at
/// `component` over HTTP on `listen` for every task process of a worker, with one cache, until
/// SIGTERM or SIGINT. Prints `listening on http://<addr>` once it answers. The instances see
/// this process's `AWS_*` variables only; the token is read from them too.
#[pyfunction]
fn serve(py: Python<'_>, component: PathBuf, listen: &str, backend_kwargs: String) -> PyResult<()> {
    let listen = listen.parse().map_err(|_| {
        PyValueError::new_err(format!(
            "--listen needs an address such as 127.0.0.1:2773, not {listen:?}"
        ))
    })?;
    let process = SessionOptions::new(Upstream::Network).aws_env_from_process();
    let options = host_example::sidecar::SidecarOptions {
        listen,
        backend_kwargs,
        env: process.env,
        proxies: process.proxies,
        upstream: Upstream::Network,
        instances: host_example::sidecar::DEFAULT_INSTANCES,
    };
    py.detach(|| {
        let runtime = tokio::runtime::Builder::new_multi_thread()
            .enable_all()
            .build()
            .map_err(|e| format!("cannot start the sidecar's runtime: {e}"))?;
        runtime.block_on(host_example::sidecar::run(&component, options))
    })
    .map_err(|message| error("configuration", &message, None))
}

/// The module.
#[pymodule]
fn _native(module: &Bound<'_, PyModule>) -> PyResult<()> {
    module.add_class::<Backend>()?;
    module.add_class::<sidecar_client::SidecarClient>()?;
    module.add_function(wrap_pyfunction!(serve, module)?)?;
    module.add_function(wrap_pyfunction!(parse_connection, module)?)?;
    module.add_function(wrap_pyfunction!(connection_uri, module)?)?;
    Ok(())
}
