//! What the sidecar counts, in Prometheus' text format (`GET /metrics`, behind the token), with
//! the Prometheus project's own Rust client (`prometheus-client`).
//!
//! Labels are fixed words (kinds, outcomes, operations, HTTP statuses): never a parameter name,
//! a value or the token.

use prometheus_client::encoding::EncodeLabelSet;
use prometheus_client::metrics::counter::Counter;
use prometheus_client::metrics::family::Family;
use prometheus_client::metrics::gauge::Gauge;
use prometheus_client::metrics::histogram::{Histogram, exponential_buckets};
use prometheus_client::registry::Registry;
use std::sync::atomic::AtomicU64;

#[derive(Clone, Debug, Hash, PartialEq, Eq, EncodeLabelSet)]
struct LookupLabels {
    kind: &'static str,
    outcome: &'static str,
}

#[derive(Clone, Debug, Hash, PartialEq, Eq, EncodeLabelSet)]
struct CacheLabels {
    result: &'static str,
}

#[derive(Clone, Debug, Hash, PartialEq, Eq, EncodeLabelSet)]
struct RequestLabels {
    operation: String,
    status: String,
}

/// How a lookup ended, as a label.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Outcome {
    /// A value.
    Found,
    /// Not found (or not looked up).
    NotFound,
    /// An error reply.
    Error,
}

/// How the cache answered a name, as a label.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum CacheResult {
    /// A fresh entry.
    Hit,
    /// No fresh entry: the name was fetched (or joined a fetch in flight).
    Miss,
    /// SSM failed and a value past its TTL, within `cache_stale_seconds`, was served.
    Stale,
}

/// The sidecar's metrics.
pub struct Metrics {
    registry: Registry,
    lookups: Family<LookupLabels, Counter>,
    cache: Family<CacheLabels, Counter>,
    requests: Family<RequestLabels, Counter>,
    throttles: Counter,
    inflight_lookups: Gauge,
    inflight_requests: Gauge,
    cached_names: Gauge,
    rate_limit: Gauge<f64, AtomicU64>,
    latency: Histogram,
}

impl Default for Metrics {
    fn default() -> Self {
        let mut registry = Registry::with_prefix("ssm_sidecar");
        let metrics = Metrics {
            lookups: Family::default(),
            cache: Family::default(),
            requests: Family::default(),
            throttles: Counter::default(),
            inflight_lookups: Gauge::default(),
            inflight_requests: Gauge::default(),
            cached_names: Gauge::default(),
            rate_limit: Gauge::default(),
            // 50 us to ~13 s.
            latency: Histogram::new(exponential_buckets(0.00005, 4.0, 10)),
            registry: Registry::default(),
        };
        registry.register(
            "lookups",
            "Lookups answered, by kind (connection, variable, config, parameter) and outcome",
            metrics.lookups.clone(),
        );
        registry.register(
            "cache",
            "Parameter names asked of the cache: fresh hits, misses, stale values served",
            metrics.cache.clone(),
        );
        registry.register(
            "ssm_requests",
            "Requests sent to SSM, by operation and HTTP status (none: no reply)",
            metrics.requests.clone(),
        );
        registry.register(
            "ssm_throttles",
            "Requests SSM throttled (each halves the request cap for a while)",
            metrics.throttles.clone(),
        );
        registry.register(
            "inflight_lookups",
            "Lookups being answered now",
            metrics.inflight_lookups.clone(),
        );
        registry.register(
            "ssm_inflight_requests",
            "Requests to SSM waiting for their reply now",
            metrics.inflight_requests.clone(),
        );
        registry.register(
            "cached_names",
            "Parameter names in the cache",
            metrics.cached_names.clone(),
        );
        registry.register(
            "ssm_rate_limit",
            "The cap on SSM requests a second now (halved by a throttle, then growing back)",
            metrics.rate_limit.clone(),
        );
        registry.register(
            "lookup_duration_seconds",
            "Time from a lookup's arrival to its answer",
            metrics.latency.clone(),
        );
        Metrics {
            registry,
            ..metrics
        }
    }
}

impl Metrics {
    /// A lookup of `kind` ended with `outcome` after `seconds`.
    pub fn lookup(&self, kind: &'static str, outcome: Outcome, seconds: f64) {
        let outcome = match outcome {
            Outcome::Found => "found",
            Outcome::NotFound => "not_found",
            Outcome::Error => "error",
        };
        self.lookups
            .get_or_create(&LookupLabels { kind, outcome })
            .inc();
        self.latency.observe(seconds);
    }

    /// The cache answered a name so.
    pub fn cache(&self, result: CacheResult) {
        let result = match result {
            CacheResult::Hit => "hit",
            CacheResult::Miss => "miss",
            CacheResult::Stale => "stale",
        };
        self.cache.get_or_create(&CacheLabels { result }).inc();
    }

    /// A request for `operation` left for SSM.
    pub fn request_started(&self) {
        self.inflight_requests.inc();
    }

    /// A request for `operation` ended with `status` (`None`: no reply).
    pub fn request_ended(&self, operation: &str, status: Option<u16>) {
        self.inflight_requests.dec();
        let status = status.map_or_else(|| "none".to_string(), |s| s.to_string());
        self.requests
            .get_or_create(&RequestLabels {
                operation: operation.to_string(),
                status,
            })
            .inc();
    }

    /// SSM throttled a name.
    pub fn throttled(&self) {
        self.throttles.inc();
    }

    /// A lookup started (`+1`) or ended (`-1`).
    pub fn inflight_lookup(&self, delta: i64) {
        self.inflight_lookups.inc_by(delta);
    }

    /// The cache now holds `names` names.
    pub fn cached_names(&self, names: usize) {
        self.cached_names.set(names as i64);
    }

    /// The cap on SSM requests is now `per_second`.
    pub fn rate_limit(&self, per_second: f64) {
        self.rate_limit.set(per_second);
    }

    /// Everything, in Prometheus' text exposition format.
    pub fn render(&self) -> String {
        let mut text = String::new();
        prometheus_client::encoding::text::encode(&mut text, &self.registry)
            .expect("writing to a String cannot fail");
        text
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_text_format_has_every_family() {
        let m = Metrics::default();
        m.lookup("variable", Outcome::Found, 0.0002);
        m.lookup("connection", Outcome::Error, 0.1);
        m.cache(CacheResult::Hit);
        m.cache(CacheResult::Stale);
        m.request_started();
        m.request_ended("GetParameters", Some(200));
        m.request_started();
        m.request_ended("GetParameter", None);
        m.throttled();
        m.inflight_lookup(1);
        m.cached_names(42);
        m.rate_limit(15.0);
        let text = m.render();
        for line in [
            r#"ssm_sidecar_lookups_total{kind="variable",outcome="found"} 1"#,
            r#"ssm_sidecar_lookups_total{kind="connection",outcome="error"} 1"#,
            r#"ssm_sidecar_cache_total{result="hit"} 1"#,
            r#"ssm_sidecar_cache_total{result="stale"} 1"#,
            r#"ssm_sidecar_ssm_requests_total{operation="GetParameters",status="200"} 1"#,
            r#"ssm_sidecar_ssm_requests_total{operation="GetParameter",status="none"} 1"#,
            "ssm_sidecar_ssm_throttles_total 1",
            "ssm_sidecar_inflight_lookups 1",
            "ssm_sidecar_ssm_inflight_requests 0",
            "ssm_sidecar_cached_names 42",
            "ssm_sidecar_ssm_rate_limit 15.0",
            "ssm_sidecar_lookup_duration_seconds_count 2",
        ] {
            assert!(text.contains(line), "{line} missing from:\n{text}");
        }
        assert!(text.ends_with("# EOF\n"));
    }
}
