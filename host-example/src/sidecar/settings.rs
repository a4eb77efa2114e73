//! What the sidecar reads from `backend_kwargs`: its cache (with the sidecar's defaults), the
//! cap on SSM requests and the batch window; the kwargs its component instances open with; and
//! the fingerprint of the naming configuration that clients must share.

use std::time::Duration;

use serde_json::{Map, Value, json};
use sha2::{Digest, Sha256};
use ssm_secrets::cache::CacheConfig;
use ssm_secrets::config::BackendConfig;

/// The sidecar's TTL when `cache_ttl_seconds` is absent: a sidecar exists to cache.
pub const DEFAULT_TTL_SECONDS: u64 = 300;
/// How many names the sidecar holds when `cache_max_entries` is absent: a whole worker's.
pub const DEFAULT_MAX_ENTRIES: u64 = 10_000;
/// The cap on SSM requests a second when `ssm_requests_per_second` is absent: below SSM's
/// standard throughput of 40 `GetParameter` requests a second per account and region.
pub const DEFAULT_REQUESTS_PER_SECOND: f64 = 30.0;
/// How long a miss waits for others to share its `GetParameters` by default.
pub const DEFAULT_BATCH_WINDOW: Duration = Duration::from_millis(2);

/// The sidecar's settings, typed.
#[derive(Debug, Clone)]
pub struct Settings {
    /// The shared cache; `None` with `cache_ttl_seconds: 0`.
    pub cache: Option<CacheConfig>,
    /// `ssm_requests_per_second`.
    pub requests_per_second: f64,
    /// `batch_window_ms`.
    pub batch_window: Duration,
    /// The kwargs each component instance opens its backend with: the same, without a cache
    /// of its own (the sidecar's is the cache).
    pub instance_kwargs: String,
    /// The naming configuration (see [`Naming`]).
    pub naming: Naming,
}

/// A setting that cannot be used, named.
fn invalid(message: impl Into<String>) -> String {
    format!("configuration error: {}", message.into())
}

impl Settings {
    /// Reads `backend_kwargs` (the same JSON object as Airflow's) and the sidecar's own keys.
    pub fn from_kwargs(backend_kwargs: &str) -> Result<Self, String> {
        let text = if backend_kwargs.trim().is_empty() {
            "{}"
        } else {
            backend_kwargs
        };
        let mut kwargs: Map<String, Value> = match serde_json::from_str(text) {
            Ok(Value::Object(map)) => map,
            // The core's message says where and why.
            _ => return Err(core_config(text).err().unwrap_or_default()),
        };
        kwargs
            .entry("cache_ttl_seconds")
            .or_insert(json!(DEFAULT_TTL_SECONDS));
        kwargs
            .entry("cache_max_entries")
            .or_insert(json!(DEFAULT_MAX_ENTRIES));
        let config = core_config(&Value::Object(kwargs.clone()).to_string())?;
        let requests_per_second = match kwargs.get("ssm_requests_per_second") {
            None | Some(Value::Null) => DEFAULT_REQUESTS_PER_SECOND,
            Some(Value::Number(n)) if n.as_f64().is_some_and(|r| r > 0.0 && r <= 100_000.0) => {
                n.as_f64().unwrap_or(DEFAULT_REQUESTS_PER_SECOND)
            }
            Some(_) => {
                return Err(invalid(
                    "backend_kwargs `ssm_requests_per_second` must be a number above 0",
                ));
            }
        };
        let batch_window = match kwargs.get("batch_window_ms") {
            None | Some(Value::Null) => DEFAULT_BATCH_WINDOW,
            Some(Value::Number(n)) if n.as_u64().is_some_and(|ms| ms <= 1000) => {
                Duration::from_millis(n.as_u64().unwrap_or(2))
            }
            Some(_) => {
                return Err(invalid(
                    "backend_kwargs `batch_window_ms` must be a whole number of milliseconds \
                     from 0 to 1000",
                ));
            }
        };
        Ok(Settings {
            cache: config.cache,
            requests_per_second,
            batch_window,
            instance_kwargs: instance_kwargs(kwargs),
            naming: Naming::from_kwargs(text)?,
        })
    }
}

fn core_config(text: &str) -> Result<BackendConfig, String> {
    BackendConfig::from_json(text).map_err(|e| invalid(e.message()))
}

/// The instances' kwargs: no cache of their own. Their retries stay as configured: every
/// request they send passes the sidecar's shared cap, which a throttle lowers for all of them.
fn instance_kwargs(mut kwargs: Map<String, Value>) -> String {
    kwargs.insert("cache_ttl_seconds".into(), json!(0));
    Value::Object(kwargs).to_string()
}

/// What decides the SSM name of a lookup: the three prefixes (normalised as Airflow joins
/// them, `null` when a kind is off), the lookup patterns and `multi_team`. A client and its
/// sidecar must agree on it, or a lookup would read another parameter than the client means.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Naming {
    /// The canonical JSON of the naming keys (no secret: prefixes and patterns only).
    pub description: String,
    /// `sha256:<hex>` of [`Naming::description`], sent in [`NAMING_HEADER`].
    pub fingerprint: String,
}

/// The header in which a client sends its [`Naming::fingerprint`].
pub const NAMING_HEADER: &str = "x-ssm-secrets-naming";

impl Naming {
    /// The naming configuration of `backend_kwargs`; an unusable configuration is the core's
    /// configuration error.
    pub fn from_kwargs(backend_kwargs: &str) -> Result<Self, String> {
        let text = if backend_kwargs.trim().is_empty() {
            "{}"
        } else {
            backend_kwargs
        };
        let config = core_config(text)?;
        let raw: Map<String, Value> = serde_json::from_str(text).unwrap_or_default();
        let prefix = |lookup: &Option<ssm_secrets::naming::Lookup>| {
            lookup
                .as_ref()
                .map_or(Value::Null, |l| Value::String(l.prefix().to_string()))
        };
        let pattern = |key: &str| match raw.get(key) {
            Some(Value::String(p)) if !p.is_empty() => Value::String(p.clone()),
            _ => Value::Null,
        };
        let described = json!({
            "connections_prefix": prefix(&config.connections),
            "connections_lookup_pattern": pattern("connections_lookup_pattern"),
            "variables_prefix": prefix(&config.variables),
            "variables_lookup_pattern": pattern("variables_lookup_pattern"),
            "config_prefix": prefix(&config.config),
            "config_lookup_pattern": pattern("config_lookup_pattern"),
            "multi_team": config.multi_team,
        })
        .to_string();
        let digest = Sha256::digest(described.as_bytes());
        let hex: String = digest.iter().map(|b| format!("{b:02x}")).collect();
        Ok(Naming {
            description: described,
            fingerprint: format!("sha256:{hex}"),
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn settings(kwargs: &str) -> Settings {
        Settings::from_kwargs(kwargs).unwrap()
    }

    #[test]
    fn the_sidecar_caches_by_default_and_keeps_explicit_settings() {
        let cache = settings("{}").cache.unwrap();
        assert_eq!(cache.ttl, Duration::from_secs(300));
        assert_eq!(cache.max_entries, 10_000);
        assert!(cache.negative);
        assert!(settings(r#"{"cache_ttl_seconds": 0}"#).cache.is_none());
        let cache = settings(
            r#"{"cache_ttl_seconds": 60, "cache_max_entries": 5, "cache_stale_seconds": 30}"#,
        )
        .cache
        .unwrap();
        assert_eq!(
            (cache.ttl, cache.max_entries, cache.stale_for),
            (Duration::from_secs(60), 5, Duration::from_secs(30))
        );
        let s = settings("");
        assert_eq!(s.requests_per_second, 30.0);
        assert_eq!(s.batch_window, Duration::from_millis(2));
    }

    #[test]
    fn instances_open_without_a_cache_and_keep_the_rest() {
        let s = settings(
            r#"{"config_kwargs": {"retries": {"max_attempts": 4, "mode": "legacy"}, "read_timeout": 5}, "cache_ttl_seconds": 60}"#,
        );
        let kwargs: Value = serde_json::from_str(&s.instance_kwargs).unwrap();
        assert_eq!(kwargs["cache_ttl_seconds"], 0);
        assert_eq!(
            kwargs["config_kwargs"],
            json!({"retries": {"max_attempts": 4, "mode": "legacy"}, "read_timeout": 5})
        );
        let config = BackendConfig::from_json(&s.instance_kwargs).unwrap();
        assert!(config.cache.is_none());
    }

    #[test]
    fn bad_settings_are_named() {
        for (kwargs, key) in [
            (
                r#"{"ssm_requests_per_second": 0}"#,
                "ssm_requests_per_second",
            ),
            (
                r#"{"ssm_requests_per_second": "30"}"#,
                "ssm_requests_per_second",
            ),
            (r#"{"batch_window_ms": 5000}"#, "batch_window_ms"),
            (r#"{"cache_ttl_seconds": "x"}"#, "cache_ttl_seconds"),
        ] {
            let e = Settings::from_kwargs(kwargs).unwrap_err();
            assert!(e.contains(key), "{kwargs}: {e}");
        }
        assert!(
            Settings::from_kwargs("[1]")
                .unwrap_err()
                .contains("JSON object")
        );
        assert!(Settings::from_kwargs("{").unwrap_err().contains("JSON"));
    }

    #[test]
    fn naming_is_what_decides_names_and_nothing_else() {
        let fp = |kwargs: &str| Naming::from_kwargs(kwargs).unwrap().fingerprint;
        // Normalised as Airflow joins prefixes; credentials, region and cache do not matter.
        assert_eq!(
            fp("{}"),
            fp(r#"{"connections_prefix": "/airflow/connections/"}"#)
        );
        assert_eq!(
            fp("{}"),
            fp(
                r#"{"region_name": "eu-west-1", "cache_ttl_seconds": 5, "sidecar_url": "http://x"}"#
            )
        );
        assert_ne!(fp("{}"), fp(r#"{"variables_prefix": "/other"}"#));
        assert_ne!(fp("{}"), fp(r#"{"variables_prefix": null}"#));
        assert_ne!(fp("{}"), fp(r#"{"connections_lookup_pattern": "^a"}"#));
        assert_ne!(fp("{}"), fp(r#"{"multi_team": true}"#));
        let naming = Naming::from_kwargs(r#"{"config_prefix": null}"#).unwrap();
        assert!(naming.fingerprint.starts_with("sha256:"));
        assert!(naming.description.contains(r#""config_prefix":null"#));
    }
}
