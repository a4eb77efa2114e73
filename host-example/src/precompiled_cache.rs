//! The cache of precompiled components, so a new process skips Cranelift: artifacts keyed by
//! the component's SHA-256, the wasmtime version and the engine's compatibility hash, in a
//! private directory, written atomically, mapped rather than read when loaded.
//!
//! Trust: an artifact is native code, so the directory must be one only this user can write
//! ([`usable_cache_dir`]); wasmtime still checks each artifact's header, version and engine
//! settings and refuses anything else, which is then recompiled and replaced.

use std::hash::{Hash, Hasher};
use std::path::{Path, PathBuf};

use wasmtime::Engine;
use wasmtime::component::Component;

use crate::atomic_file::store_atomically;
use crate::source_index;

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

/// The component file at `path` for `engine`, through the cache in `cache_dir`. Its digest
/// comes from the [`source_index`] when the file is unchanged since it was last hashed, so a
/// hit reads neither the component nor the artifact (which is mapped). A cache that cannot be
/// used (unsafe permissions, unwritable) is skipped, never trusted.
pub(crate) fn load(
    engine: &Engine,
    path: &Path,
    cache_dir: &Path,
) -> wasmtime::Result<(Component, CacheOutcome)> {
    let Some(dir) = usable_cache_dir(cache_dir) else {
        let component = Component::new(engine, &read_component(path)?)?;
        return Ok((component, CacheOutcome::Unusable));
    };
    let engine_key = engine_key(engine);
    if let Some(digest) = source_index::recorded_digest(&dir, path)
        && let Some(component) = map_artifact(engine, &artifact_path(&dir, &digest, &engine_key))
    {
        return Ok((component, CacheOutcome::Hit));
    }
    let source = source_index::hash_and_record(&dir, path, source_index::SETTLED)
        .map_err(|e| cannot_read(path, e))?;
    let artifact = artifact_path(&dir, &source.digest, &engine_key);
    if let Some(component) = map_artifact(engine, &artifact) {
        return Ok((component, CacheOutcome::Hit));
    }
    let compiled = engine.precompile_component(&source.bytes)?;
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

/// The component file's bytes.
pub(crate) fn read_component(path: &Path) -> wasmtime::Result<Vec<u8>> {
    std::fs::read(path).map_err(|e| cannot_read(path, e))
}

fn cannot_read(path: &Path, e: std::io::Error) -> wasmtime::Error {
    wasmtime::format_err!("cannot read the component {}: {e}", path.display())
}

/// The artifact at `artifact`, mapped, if there is one wasmtime accepts for `engine`.
fn map_artifact(engine: &Engine, artifact: &Path) -> Option<Component> {
    // SAFETY: the artifact was written by `precompile_component` of this wasmtime version, for
    // this engine configuration (both are in its name), into a directory only this user can
    // write (checked by `usable_cache_dir`); wasmtime still checks its header and version and
    // refuses anything else. It is mapped, not copied: artifacts are only ever replaced by a
    // rename (`store_atomically`), which leaves a mapped file intact; truncating or rewriting
    // one in place while a process maps it (only this user could) would crash that process.
    #[allow(unsafe_code)]
    unsafe {
        Component::deserialize_file(engine, artifact).ok()
    }
}

/// The wasmtime major version this host is pinned to (Cargo.toml), for readable cache names.
/// The engine's compatibility hash includes the exact wasmtime version too.
const WASMTIME_MAJOR: u32 = 48;

/// `wasmtime version . engine compatibility hash`: the engine's part of an artifact's name.
fn engine_key(engine: &Engine) -> String {
    let mut compat = std::collections::hash_map::DefaultHasher::new();
    engine.precompile_compatibility_hash().hash(&mut compat);
    format!("wasmtime{WASMTIME_MAJOR}-{:016x}", compat.finish())
}

/// `sha256(component) - wasmtime version - engine compatibility hash .cwasm`.
fn artifact_path(dir: &Path, digest: &str, engine_key: &str) -> PathBuf {
    dir.join(format!("{digest}-{engine_key}.cwasm"))
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

#[cfg(test)]
mod tests {
    use super::*;
    use wasmtime::Config;

    #[test]
    fn artifact_names_change_with_the_component_and_name_the_engine() {
        let engine = Engine::new(&Config::new()).unwrap();
        let key = engine_key(&engine);
        assert!(key.starts_with("wasmtime48-"));
        let dir = Path::new("/cache");
        assert_eq!(
            artifact_path(dir, "aa", &key),
            artifact_path(dir, "aa", &engine_key(&engine))
        );
        assert_ne!(
            artifact_path(dir, "aa", &key),
            artifact_path(dir, "bb", &key)
        );
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
