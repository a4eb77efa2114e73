//! The engine and the component, compiled once and instantiated per session; optionally through
//! a cache of precompiled components, so a new process skips Cranelift.

use std::hash::{Hash, Hasher};
use std::io::Write;
use std::path::{Path, PathBuf};

use sha2::{Digest, Sha256};

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
    /// used (unsafe permissions, unwritable) is skipped, never trusted.
    pub fn from_file_cached(
        path: &Path,
        cache_dir: &Path,
    ) -> wasmtime::Result<(Self, CacheOutcome)> {
        let bytes = read_component(path)?;
        let engine = new_engine()?;
        let (component, outcome) = compile_cached(&engine, &bytes, cache_dir)?;
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

/// Compiles the component file at `path` for `engine` the way [`Runtime::load`] does (through
/// the precompiled cache in [`default_cache_dir`] when there is one, else in memory), for hosts
/// that link it into another world (e.g. `wasi:http/proxy`, see [`crate::serve`]).
pub fn load_component(engine: &Engine, path: &Path) -> wasmtime::Result<(Component, CacheOutcome)> {
    let bytes = read_component(path)?;
    match default_cache_dir() {
        Some(dir) => compile_cached(engine, &bytes, &dir),
        None => Ok((Component::new(engine, &bytes)?, CacheOutcome::Unusable)),
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

fn read_component(path: &Path) -> wasmtime::Result<Vec<u8>> {
    std::fs::read(path)
        .map_err(|e| wasmtime::format_err!("cannot read the component {}: {e}", path.display()))
}

/// The component `bytes` for `engine`, through the precompiled cache in `cache_dir`: the cached
/// artifact is keyed by the component's SHA-256, the wasmtime version and the engine's
/// compatibility hash, so any change to either side compiles afresh. A cache that cannot be
/// used (unsafe permissions, unwritable) is skipped, never trusted.
fn compile_cached(
    engine: &Engine,
    bytes: &[u8],
    cache_dir: &Path,
) -> wasmtime::Result<(Component, CacheOutcome)> {
    let Some(dir) = usable_cache_dir(cache_dir) else {
        return Ok((Component::new(engine, bytes)?, CacheOutcome::Unusable));
    };
    let artifact = dir.join(format!("{}.cwasm", cache_key(engine, bytes)));
    // Read into memory rather than mapped: a file replaced or truncated while mapped would
    // fault the process.
    if let Ok(precompiled) = std::fs::read(&artifact) {
        // SAFETY: the artifact was written by `precompile_component` of this wasmtime
        // version, for this engine configuration (both are in its name), into a directory
        // only this user can write (checked by `usable_cache_dir`); wasmtime still checks
        // its header and version and refuses anything else.
        #[allow(unsafe_code)]
        let loaded = unsafe { Component::deserialize(engine, &precompiled) };
        if let Ok(component) = loaded {
            return Ok((component, CacheOutcome::Hit));
        }
    }
    let compiled = engine.precompile_component(bytes)?;
    let stored = store_atomically(&dir, &artifact, &compiled).is_ok();
    // SAFETY: `compiled` was produced just now by this engine.
    #[allow(unsafe_code)]
    let component = unsafe { Component::deserialize(engine, &compiled)? };
    let outcome = if stored {
        CacheOutcome::Stored
    } else {
        CacheOutcome::Unusable
    };
    Ok((component, outcome))
}

/// What the precompiled cache did.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum CacheOutcome {
    /// A precompiled artifact was loaded: no compilation.
    Hit,
    /// Compiled, and the artifact stored for the next process.
    Stored,
    /// Compiled; the cache could not be used.
    Unusable,
}

/// Where precompiled components are kept: `$SSM_SECRETS_CACHE_DIR`, else
/// `$XDG_CACHE_HOME/ssm-secrets`, else `~/.cache/ssm-secrets`; none with
/// `SSM_SECRETS_NO_CACHE=1` (or no home).
pub fn default_cache_dir() -> Option<PathBuf> {
    let var = |name| std::env::var_os(name).filter(|v| !v.is_empty());
    if var("SSM_SECRETS_NO_CACHE").is_some_and(|v| v != "0") {
        return None;
    }
    var("SSM_SECRETS_CACHE_DIR")
        .map(PathBuf::from)
        .or_else(|| var("XDG_CACHE_HOME").map(|d| PathBuf::from(d).join("ssm-secrets")))
        .or_else(|| var("HOME").map(|h| PathBuf::from(h).join(".cache/ssm-secrets")))
}

/// The wasmtime major version this host is pinned to (Cargo.toml), for readable cache names.
/// The engine's compatibility hash includes the exact wasmtime version too.
const WASMTIME_MAJOR: u32 = 48;

/// `sha256(component) . wasmtime version . engine compatibility hash`.
fn cache_key(engine: &Engine, bytes: &[u8]) -> String {
    let mut compat = std::collections::hash_map::DefaultHasher::new();
    engine.precompile_compatibility_hash().hash(&mut compat);
    let digest = Sha256::digest(bytes);
    let hex: String = digest.iter().map(|b| format!("{b:02x}")).collect();
    format!("{hex}-wasmtime{WASMTIME_MAJOR}-{:016x}", compat.finish())
}

/// The cache directory, created private if missing; `None` if others could write to it.
fn usable_cache_dir(dir: &Path) -> Option<PathBuf> {
    if !dir.exists() {
        let mut builder = std::fs::DirBuilder::new();
        builder.recursive(true);
        #[cfg(unix)]
        std::os::unix::fs::DirBuilderExt::mode(&mut builder, 0o700);
        builder.create(dir).ok()?;
    }
    let metadata = std::fs::metadata(dir).ok()?;
    #[cfg(unix)]
    {
        use std::os::unix::fs::PermissionsExt;
        if metadata.permissions().mode() & 0o022 != 0 {
            return None;
        }
    }
    metadata.is_dir().then(|| dir.to_path_buf())
}

/// Writes `bytes` to a temporary file in `dir`, then renames it to `target`.
fn store_atomically(dir: &Path, target: &Path, bytes: &[u8]) -> std::io::Result<()> {
    // Unique per process and per call: threads of one process may store at the same time.
    static NEXT: std::sync::atomic::AtomicU64 = std::sync::atomic::AtomicU64::new(0);
    let n = NEXT.fetch_add(1, std::sync::atomic::Ordering::Relaxed);
    let temporary = dir.join(format!(".tmp-{}-{n}", std::process::id()));
    let mut file = std::fs::File::create(&temporary)?;
    file.write_all(bytes)?;
    file.sync_all()?;
    std::fs::rename(&temporary, target)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn cache_keys_change_with_the_component() {
        let engine = Engine::new(&Config::new()).unwrap();
        assert_eq!(cache_key(&engine, b"a"), cache_key(&engine, b"a"));
        assert_ne!(cache_key(&engine, b"a"), cache_key(&engine, b"b"));
        assert!(cache_key(&engine, b"a").contains("-wasmtime48-"));
    }

    #[cfg(unix)]
    #[test]
    fn shared_writable_cache_dirs_are_not_used() {
        use std::os::unix::fs::PermissionsExt;
        let dir =
            std::env::temp_dir().join(format!("ssm-secrets-cache-perm-{}", std::process::id()));
        std::fs::create_dir_all(&dir).unwrap();
        std::fs::set_permissions(&dir, std::fs::Permissions::from_mode(0o777)).unwrap();
        assert_eq!(usable_cache_dir(&dir), None);
        std::fs::set_permissions(&dir, std::fs::Permissions::from_mode(0o700)).unwrap();
        assert_eq!(usable_cache_dir(&dir), Some(dir.clone()));
        std::fs::remove_dir_all(&dir).unwrap();
    }
}
