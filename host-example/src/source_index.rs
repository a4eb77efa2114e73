//! The component file's SHA-256 without reading it: an index in the precompiled cache from the
//! file's identity and change times (`stat`) to the digest hashed from its bytes before.
//!
//! Hashing the component (read + SHA-256) was a millisecond of every cold start. The index entry
//! is named by the file's device, inode, size, modification and status-change times; any write
//! to the file, a rename over it, `touch` or a restored mtime changes the status-change time
//! (`ctime`), which user space cannot set. An entry is recorded only when it cannot be stale:
//! - the digest was computed from an open file whose `fstat` was the same before and after the
//!   read (no change while reading), and
//! - that `ctime` was already [`SETTLED`] in the past when the read began, so a later change,
//!   even within the file system's timestamp granularity (1-2 s on some, a scheduler tick on
//!   ext4), gets a different `ctime`.
//!
//! A freshly written file is therefore hashed on every load until it has settled. Entries live
//! in the private cache directory and are written atomically, like the artifacts.

use std::io::Read;
use std::path::{Path, PathBuf};
use std::time::{Duration, SystemTime};

use sha2::{Digest, Sha256};

/// How old a file's last change must be, when it is read, for its digest to be recorded.
pub(crate) const SETTLED: Duration = Duration::from_secs(3);

/// A component file's bytes and their SHA-256 in hex.
pub(crate) struct HashedSource {
    pub bytes: Vec<u8>,
    pub digest: String,
}

/// The digest recorded for the file at `path` as it is now, if any.
pub(crate) fn recorded_digest(cache_dir: &Path, path: &Path) -> Option<String> {
    let fingerprint = Fingerprint::of(&std::fs::metadata(path).ok()?)?;
    let mut text = String::new();
    std::fs::File::open(entry_path(cache_dir, &fingerprint))
        .ok()?
        .take(65)
        .read_to_string(&mut text)
        .ok()?;
    is_digest(&text).then_some(text)
}

/// Reads and hashes the file at `path`, recording the digest in `cache_dir` when it cannot be
/// stale (see the module documentation); a failure to record only costs the next load a hash.
pub(crate) fn hash_and_record(
    cache_dir: &Path,
    path: &Path,
    settled: Duration,
) -> std::io::Result<HashedSource> {
    let started = SystemTime::now();
    let mut file = std::fs::File::open(path)?;
    let before = file.metadata()?;
    let mut bytes = Vec::with_capacity(usize::try_from(before.len()).unwrap_or(0));
    file.read_to_end(&mut bytes)?;
    let digest = hex(&Sha256::digest(&bytes));
    let after = file.metadata()?;
    if let (Some(fingerprint), Some(unchanged)) =
        (Fingerprint::of(&before), Fingerprint::of(&after))
        && fingerprint == unchanged
        && fingerprint.changed_before(started, settled)
    {
        let _ = crate::atomic_file::store_atomically(
            cache_dir,
            &entry_path(cache_dir, &fingerprint),
            digest.as_bytes(),
        );
    }
    Ok(HashedSource { bytes, digest })
}

/// Lower-case hex.
pub(crate) fn hex(bytes: &[u8]) -> String {
    bytes.iter().map(|b| format!("{b:02x}")).collect()
}

fn is_digest(text: &str) -> bool {
    text.len() == 64 && text.bytes().all(|b| matches!(b, b'0'..=b'9' | b'a'..=b'f'))
}

fn entry_path(cache_dir: &Path, fingerprint: &Fingerprint) -> PathBuf {
    cache_dir.join(format!("{}.sha256", fingerprint.name()))
}

/// What `stat` says about a file's identity and contents: equal fingerprints, with the
/// [`SETTLED`] rule, mean the same bytes.
#[derive(Debug, PartialEq, Eq)]
struct Fingerprint {
    device: u64,
    inode: u64,
    size: u64,
    modified: (i64, i64),
    changed: (i64, i64),
}

impl Fingerprint {
    #[cfg(unix)]
    fn of(metadata: &std::fs::Metadata) -> Option<Self> {
        use std::os::unix::fs::MetadataExt;
        Some(Fingerprint {
            device: metadata.dev(),
            inode: metadata.ino(),
            size: metadata.size(),
            modified: (metadata.mtime(), metadata.mtime_nsec()),
            changed: (metadata.ctime(), metadata.ctime_nsec()),
        })
    }

    /// Elsewhere there is no status-change time to trust: always hash.
    #[cfg(not(unix))]
    fn of(_: &std::fs::Metadata) -> Option<Self> {
        None
    }

    /// The entry's file name (no secrets: a component path's `stat`).
    fn name(&self) -> String {
        let (ms, mn) = self.modified;
        let (cs, cn) = self.changed;
        format!(
            "source-{:x}-{:x}-{:x}-m{ms}.{mn:09}-c{cs}.{cn:09}",
            self.device, self.inode, self.size
        )
    }

    /// Whether the last change was at least `settled` before `instant`.
    fn changed_before(&self, instant: SystemTime, settled: Duration) -> bool {
        let (seconds, nanos) = self.changed;
        let Ok(seconds) = u64::try_from(seconds) else {
            return false;
        };
        let changed = SystemTime::UNIX_EPOCH
            + Duration::from_secs(seconds)
            + Duration::from_nanos(u64::try_from(nanos).unwrap_or(0));
        instant
            .duration_since(changed)
            .is_ok_and(|age| age >= settled)
    }
}

#[cfg(all(test, unix))]
mod tests {
    use super::*;

    fn scratch(name: &str) -> PathBuf {
        let dir = std::env::temp_dir().join(format!(
            "ssm-secrets-source-index-{name}-{}",
            std::process::id()
        ));
        let _ = std::fs::remove_dir_all(&dir);
        std::fs::create_dir_all(&dir).unwrap();
        dir
    }

    #[test]
    fn a_settled_file_is_recorded_and_found() {
        let dir = scratch("settled");
        let file = dir.join("component.wasm");
        std::fs::write(&file, b"first").unwrap();
        assert_eq!(recorded_digest(&dir, &file), None);
        let hashed = hash_and_record(&dir, &file, Duration::ZERO).unwrap();
        assert_eq!(hashed.bytes, b"first");
        assert_eq!(hashed.digest, hex(&Sha256::digest(b"first")));
        assert_eq!(recorded_digest(&dir, &file), Some(hashed.digest));
        std::fs::remove_dir_all(&dir).unwrap();
    }

    #[test]
    fn a_file_changed_in_place_with_the_same_size_is_not_found() {
        let dir = scratch("same-size");
        let file = dir.join("component.wasm");
        std::fs::write(&file, b"first").unwrap();
        hash_and_record(&dir, &file, Duration::ZERO).unwrap();
        // Same inode, same size, and the mtime put back: only the ctime tells.
        let modified = std::fs::metadata(&file).unwrap().modified().unwrap();
        std::thread::sleep(Duration::from_millis(20));
        std::fs::write(&file, b"other").unwrap();
        std::fs::File::options()
            .write(true)
            .open(&file)
            .unwrap()
            .set_modified(modified)
            .unwrap();
        assert_eq!(recorded_digest(&dir, &file), None);
        let hashed = hash_and_record(&dir, &file, Duration::ZERO).unwrap();
        assert_eq!(hashed.digest, hex(&Sha256::digest(b"other")));
        assert_eq!(recorded_digest(&dir, &file), Some(hashed.digest));
        std::fs::remove_dir_all(&dir).unwrap();
    }

    #[test]
    fn a_file_replaced_by_rename_is_not_found() {
        let dir = scratch("renamed");
        let file = dir.join("component.wasm");
        std::fs::write(&file, b"first").unwrap();
        hash_and_record(&dir, &file, Duration::ZERO).unwrap();
        let next = dir.join("next.wasm");
        std::fs::write(&next, b"other").unwrap();
        std::fs::rename(&next, &file).unwrap();
        assert_eq!(recorded_digest(&dir, &file), None);
        std::fs::remove_dir_all(&dir).unwrap();
    }

    #[test]
    fn a_recently_changed_file_is_hashed_but_not_recorded() {
        let dir = scratch("recent");
        let file = dir.join("component.wasm");
        std::fs::write(&file, b"fresh").unwrap();
        let hashed = hash_and_record(&dir, &file, SETTLED).unwrap();
        assert_eq!(hashed.digest, hex(&Sha256::digest(b"fresh")));
        assert_eq!(recorded_digest(&dir, &file), None);
        std::fs::remove_dir_all(&dir).unwrap();
    }

    #[test]
    fn malformed_entries_are_ignored() {
        let dir = scratch("malformed");
        let file = dir.join("component.wasm");
        std::fs::write(&file, b"first").unwrap();
        let fingerprint = Fingerprint::of(&std::fs::metadata(&file).unwrap()).unwrap();
        for junk in ["", "zz", &"A".repeat(64), &"a".repeat(65)] {
            std::fs::write(entry_path(&dir, &fingerprint), junk).unwrap();
            assert_eq!(recorded_digest(&dir, &file), None, "{junk:?}");
        }
        std::fs::remove_dir_all(&dir).unwrap();
    }
}
