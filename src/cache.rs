//! The lookup cache: values (and, optionally, "not found") by SSM parameter name, with a TTL, a
//! bound on entries with least-recently-used eviction, and stale values kept for a while to be
//! served when SSM throttles or fails.
//!
//! Off by default, as in Airflow. `Debug` shows sizes, never values.

use std::collections::HashMap;
use std::fmt;
use std::time::{Duration, SystemTime};

/// How the cache behaves (`cache_*` kwargs).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct CacheConfig {
    /// How long a value is served without asking SSM (`cache_ttl_seconds`).
    pub ttl: Duration,
    /// Whether "not found" is cached too (`cache_negative`, default true, as Airflow's own
    /// cache keeps `None` for variables).
    pub negative: bool,
    /// At most this many names (`cache_max_entries`, default 1024).
    pub max_entries: usize,
    /// How long past its TTL a value may still be served when SSM throttles or fails
    /// (`cache_stale_seconds`, default 0: never).
    pub stale_for: Duration,
}

struct Entry {
    value: Option<String>,
    fetched: SystemTime,
    used: u64,
}

/// The cache of one backend.
pub struct Cache {
    config: CacheConfig,
    entries: HashMap<String, Entry>,
    clock: u64,
}

impl fmt::Debug for Cache {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Cache")
            .field("config", &self.config)
            .field("entries", &self.entries.len())
            .finish()
    }
}

impl Cache {
    /// An empty cache.
    pub fn new(config: CacheConfig) -> Self {
        Cache {
            config,
            entries: HashMap::new(),
            clock: 0,
        }
    }

    fn age(now: SystemTime, fetched: SystemTime) -> Duration {
        now.duration_since(fetched).unwrap_or_default()
    }

    fn lookup(&mut self, name: &str, now: SystemTime, max_age: Duration) -> Option<Option<String>> {
        self.clock += 1;
        let clock = self.clock;
        let entry = self.entries.get_mut(name)?;
        if Self::age(now, entry.fetched) >= max_age {
            return None;
        }
        entry.used = clock;
        Some(entry.value.clone())
    }

    /// A value fetched less than the TTL ago: `Some(None)` is a cached "not found".
    pub fn fresh(&mut self, name: &str, now: SystemTime) -> Option<Option<String>> {
        self.lookup(name, now, self.config.ttl)
    }

    /// A value still within its TTL plus the stale allowance, for when SSM cannot answer.
    pub fn stale(&mut self, name: &str, now: SystemTime) -> Option<Option<String>> {
        self.lookup(name, now, self.config.ttl + self.config.stale_for)
    }

    /// Remembers what SSM said about `name`.
    pub fn insert(&mut self, name: &str, value: Option<String>, now: SystemTime) {
        if value.is_none() && !self.config.negative {
            self.entries.remove(name);
            return;
        }
        self.clock += 1;
        if !self.entries.contains_key(name) && self.entries.len() >= self.config.max_entries {
            let oldest = self
                .entries
                .iter()
                .min_by_key(|(_, e)| e.used)
                .map(|(k, _)| k.clone());
            if let Some(oldest) = oldest {
                self.entries.remove(&oldest);
            }
        }
        self.entries.insert(
            name.to_string(),
            Entry {
                value,
                fetched: now,
                used: self.clock,
            },
        );
    }

    /// Forgets everything.
    pub fn clear(&mut self) {
        self.entries.clear();
    }

    /// How many names are held.
    pub fn len(&self) -> usize {
        self.entries.len()
    }

    /// Whether nothing is held.
    pub fn is_empty(&self) -> bool {
        self.entries.is_empty()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn at(secs: u64) -> SystemTime {
        SystemTime::UNIX_EPOCH + Duration::from_secs(secs)
    }

    fn cache(negative: bool, max_entries: usize) -> Cache {
        Cache::new(CacheConfig {
            ttl: Duration::from_secs(60),
            negative,
            max_entries,
            stale_for: Duration::from_secs(300),
        })
    }

    #[test]
    fn values_expire_after_the_ttl() {
        let mut c = cache(true, 10);
        c.insert("/a", Some("1".into()), at(1000));
        assert_eq!(c.fresh("/a", at(1059)), Some(Some("1".into())));
        assert_eq!(c.fresh("/a", at(1060)), None);
        assert_eq!(c.fresh("/b", at(1000)), None);
    }

    #[test]
    fn not_found_is_cached_only_when_negative_caching_is_on() {
        let mut c = cache(true, 10);
        c.insert("/missing", None, at(0));
        assert_eq!(c.fresh("/missing", at(1)), Some(None));
        let mut c = cache(false, 10);
        c.insert("/missing", None, at(0));
        assert_eq!(c.fresh("/missing", at(1)), None);
    }

    #[test]
    fn least_recently_used_is_evicted() {
        let mut c = cache(true, 2);
        c.insert("/a", Some("a".into()), at(0));
        c.insert("/b", Some("b".into()), at(0));
        assert!(c.fresh("/a", at(1)).is_some()); // /a used last
        c.insert("/c", Some("c".into()), at(2));
        assert_eq!(c.len(), 2);
        assert!(c.fresh("/b", at(3)).is_none(), "/b was least recently used");
        assert!(c.fresh("/a", at(3)).is_some() && c.fresh("/c", at(3)).is_some());
    }

    #[test]
    fn stale_values_outlive_the_ttl_by_the_allowance() {
        let mut c = cache(true, 10);
        c.insert("/a", Some("1".into()), at(0));
        assert_eq!(c.fresh("/a", at(100)), None);
        assert_eq!(c.stale("/a", at(100)), Some(Some("1".into())));
        assert_eq!(c.stale("/a", at(360)), None);
    }

    #[test]
    fn clear_and_debug() {
        let mut c = cache(true, 10);
        c.insert("/a", Some("SECRETVALUE".into()), at(0));
        assert!(!format!("{c:?}").contains("SECRETVALUE"));
        c.clear();
        assert!(c.is_empty());
    }
}
