//! The engine and the component, compiled once and instantiated per session; optionally through
//! a cache of precompiled components, so a new process skips Cranelift.

use std::path::Path;

use wasmtime::component::{Component, Linker};
use wasmtime::{Config, Engine};

use crate::bindings::SsmBackendPre;
use crate::host_state::HostState;
use crate::precompiled_cache::{self, read_component};
pub use crate::precompiled_cache::{CacheOutcome, default_cache_dir};

/// A compiled component with its imports resolved: the expensive part, done once per process.
/// A clone shares the engine and the compiled code.
#[derive(Clone)]
pub struct Runtime {
    engine: Engine,
    component: Component,
    pre: SsmBackendPre<HostState>,
}

impl Runtime {
    /// Compiles the component at `path`.
    pub fn from_file(path: &Path) -> wasmtime::Result<Self> {
        Self::from_bytes(&read_component(path)?)
    }

    /// Compiles a component from its bytes.
    pub fn from_bytes(bytes: &[u8]) -> wasmtime::Result<Self> {
        let engine = new_engine()?;
        let component = Component::new(&engine, bytes)?;
        Self::link(engine, component)
    }

    /// Loads the component at `path` through the precompiled cache in `cache_dir`: the cached
    /// artifact is keyed by the component's SHA-256, the wasmtime version and the engine's
    /// compatibility hash, so any change to either side compiles afresh. A cache that cannot be
    /// used (unsafe permissions, unwritable) is skipped, never trusted. See
    /// [`crate::precompiled_cache`].
    pub fn from_file_cached(
        path: &Path,
        cache_dir: &Path,
    ) -> wasmtime::Result<(Self, CacheOutcome)> {
        let engine = new_engine()?;
        let (component, outcome) = precompiled_cache::load(&engine, path, cache_dir)?;
        Ok((Self::link(engine, component)?, outcome))
    }

    /// Loads the component at `path` the way the CLI and the Python host do: through the
    /// precompiled cache in [`default_cache_dir`] when there is one, else compiled in memory.
    pub fn load(path: &Path) -> wasmtime::Result<Self> {
        match default_cache_dir() {
            Some(dir) => Self::from_file_cached(path, &dir).map(|(runtime, _)| runtime),
            None => Self::from_file(path),
        }
    }

    fn link(engine: Engine, component: Component) -> wasmtime::Result<Self> {
        let mut linker = Linker::<HostState>::new(&engine);
        wasmtime_wasi::p2::add_to_linker_async(&mut linker)?;
        crate::http_import::add_to_linker(&mut linker)?;
        let pre = SsmBackendPre::new(linker.instantiate_pre(&component)?)?;
        Ok(Runtime {
            engine,
            component,
            pre,
        })
    }

    /// The engine the component is compiled for.
    pub fn engine(&self) -> &Engine {
        &self.engine
    }

    /// The names of everything the component imports, e.g. `wasi:http/outgoing-handler@0.2.12`.
    pub fn imports(&self) -> Vec<String> {
        self.component
            .component_type()
            .imports(&self.engine)
            .map(|(name, _)| name.to_string())
            .collect()
    }

    /// The names of everything the component exports.
    pub fn exports(&self) -> Vec<String> {
        self.component
            .component_type()
            .exports(&self.engine)
            .map(|(name, _)| name.to_string())
            .collect()
    }

    pub(crate) fn pre(&self) -> &SsmBackendPre<HostState> {
        &self.pre
    }
}

/// The engine every host here uses: wasmtime's defaults, plus a perf map of the compiled code
/// when `SSM_SECRETS_PERF_MAP=1` is set, so `perf record` names the component's functions.
pub fn new_engine() -> wasmtime::Result<Engine> {
    let mut config = Config::new();
    if std::env::var_os("SSM_SECRETS_PERF_MAP").is_some_and(|v| v == "1") {
        config.profiler(wasmtime::ProfilingStrategy::PerfMap);
    }
    Engine::new(&config)
}

/// Compiles the component file at `path` for `engine` the way [`Runtime::load`] does (through
/// the precompiled cache in [`default_cache_dir`] when there is one, else in memory), for hosts
/// that link it into another world (e.g. `wasi:http/proxy`, see [`crate::serve`]).
pub fn load_component(engine: &Engine, path: &Path) -> wasmtime::Result<(Component, CacheOutcome)> {
    match default_cache_dir() {
        Some(dir) => precompiled_cache::load(engine, path, &dir),
        None => Ok((
            Component::new(engine, &read_component(path)?)?,
            CacheOutcome::Unusable,
        )),
    }
}
