//! The engine and the component, compiled once and instantiated per session.

use std::path::Path;

use wasmtime::component::{Component, Linker};
use wasmtime::{Config, Engine};

use crate::bindings::SsmBackendPre;
use crate::session::HostState;

/// A compiled component with its imports resolved: the expensive part, done once per process.
pub struct Runtime {
    engine: Engine,
    component: Component,
    pre: SsmBackendPre<HostState>,
}

impl Runtime {
    /// Compiles the component at `path`.
    pub fn from_file(path: &Path) -> wasmtime::Result<Self> {
        let bytes = std::fs::read(path).map_err(|e| {
            wasmtime::format_err!("cannot read the component {}: {e}", path.display())
        })?;
        Self::from_bytes(&bytes)
    }

    /// Compiles a component from its bytes.
    pub fn from_bytes(bytes: &[u8]) -> wasmtime::Result<Self> {
        let engine = Engine::new(&Config::new())?;
        let component = Component::new(&engine, bytes)?;
        let mut linker = Linker::<HostState>::new(&engine);
        wasmtime_wasi::p2::add_to_linker_sync(&mut linker)?;
        wasmtime_wasi_http::p2::add_only_http_to_linker_sync(&mut linker)?;
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
