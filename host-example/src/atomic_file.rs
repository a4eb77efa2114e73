//! Files written whole or not at all: a temporary file in the same directory, synced, then
//! renamed over the target (a reader, or a process that mapped the old file, never sees half of
//! one). A leaf.

use std::io::Write;
use std::path::Path;

/// Writes `bytes` to a temporary file in `dir`, then renames it to `target`.
pub fn store_atomically(dir: &Path, target: &Path, bytes: &[u8]) -> std::io::Result<()> {
    // Unique per process and per call: threads of one process may store at the same time.
    static NEXT: std::sync::atomic::AtomicU64 = std::sync::atomic::AtomicU64::new(0);
    let n = NEXT.fetch_add(1, std::sync::atomic::Ordering::Relaxed);
    let temporary = dir.join(format!(".tmp-{}-{n}", std::process::id()));
    let mut file = std::fs::File::create(&temporary)?;
    file.write_all(bytes)?;
    file.sync_all()?;
    std::fs::rename(&temporary, target)
}
