//! The AWS SDKs' "standard" retry mode (botocore 1.44 / Retry Behavior 2.1): which failures are
//! retried, full-jitter exponential backoff, `x-amz-retry-after`, and the retry quota.
//!
//! - attempts: `config_kwargs.retries.total_max_attempts`, else `max_attempts` + 1 (botocore
//!   counts retries there), else `AWS_MAX_ATTEMPTS`, else 3 (5 in `legacy` mode);
//! - throttling (`ThrottlingException`, HTTP 429, ...) and transient failures (HTTP 500, 502,
//!   503, 504, `RequestTimeout`, connection failures, timeouts) are retried, nothing else;
//! - delay: `rand[0, 1) x min(base x 2^retry, 20 s)`, base 1 s for throttling and 50 ms
//!   otherwise; with `x-amz-retry-after: <ms>`, the delay is that, clamped to
//!   `[delay, delay + 5 s]`;
//! - quota: 500 tokens per backend; a retry costs 14 (5 for throttling); a success returns the
//!   cost of the retry that led to it, or 1 when there was none; an empty quota stops retrying.

use std::time::Duration;

use crate::config::{MaxAttempts, RetryMode, RetrySettings};
use crate::error::Error;
use crate::failure::FailureClass;
use crate::platform::Environment;

/// The largest backoff before a retry.
const MAX_BACKOFF: Duration = Duration::from_secs(20);
/// How far `x-amz-retry-after` may stretch a delay.
const RETRY_AFTER_SLACK: Duration = Duration::from_secs(5);
/// The retry quota's capacity.
pub const QUOTA_CAPACITY: u32 = 500;
const RETRY_COST: u32 = 14;
const THROTTLING_RETRY_COST: u32 = 5;

/// How many attempts, in which mode.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct RetryConfig {
    /// The mode.
    pub mode: RetryMode,
    /// Attempts in all, the first included (at least 1).
    pub max_attempts: u32,
}

impl RetryConfig {
    /// From `config_kwargs.retries` (parsed at open) and `AWS_MAX_ATTEMPTS` /
    /// `AWS_RETRY_MODE`.
    pub fn resolve(retries: &RetrySettings, env: &dyn Environment) -> Result<Self, Error> {
        let mode = match retries.mode {
            Some(mode) => mode,
            None => match env.var("AWS_RETRY_MODE").filter(|m| !m.is_empty()) {
                Some(text) => RetryMode::parse(&text)?,
                None => RetryMode::Standard,
            },
        };
        let max_attempts = match retries.attempts {
            Some(MaxAttempts::Total(total)) => total,
            Some(MaxAttempts::Retries(retries)) => retries.saturating_add(1),
            None => match env.var("AWS_MAX_ATTEMPTS").filter(|v| !v.is_empty()) {
                Some(text) => text
                    .trim()
                    .parse()
                    .map_err(|_| Error::configuration("AWS_MAX_ATTEMPTS must be a whole number"))?,
                None if mode == RetryMode::Legacy => 5,
                None => 3,
            },
        };
        Ok(RetryConfig {
            mode,
            max_attempts: max_attempts.max(1),
        })
    }
}

impl Default for RetryConfig {
    fn default() -> Self {
        RetryConfig {
            mode: RetryMode::Standard,
            max_attempts: 3,
        }
    }
}

/// The full-jitter delay before retry number `retry` (0 for the first), `jitter` in `[0, 1)`.
pub fn backoff(
    class: FailureClass,
    retry: u32,
    jitter: f64,
    retry_after: Option<Duration>,
) -> Duration {
    let base = match class {
        FailureClass::Throttling => Duration::from_secs(1),
        FailureClass::Transient => Duration::from_millis(50),
    };
    let ceiling = base
        .saturating_mul(1u32.checked_shl(retry.min(31)).unwrap_or(u32::MAX))
        .min(MAX_BACKOFF);
    let delay = ceiling.mul_f64(jitter.clamp(0.0, 1.0));
    match retry_after {
        Some(asked) => asked.clamp(delay, delay + RETRY_AFTER_SLACK),
        None => delay,
    }
}

/// The retry token bucket of one backend.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct RetryQuota {
    tokens: u32,
}

impl Default for RetryQuota {
    fn default() -> Self {
        RetryQuota {
            tokens: QUOTA_CAPACITY,
        }
    }
}

impl RetryQuota {
    /// Takes the cost of one retry; `None` when the quota cannot pay it (stop retrying).
    pub fn acquire(&mut self, class: FailureClass) -> Option<u32> {
        let cost = match class {
            FailureClass::Throttling => THROTTLING_RETRY_COST,
            FailureClass::Transient => RETRY_COST,
        };
        self.tokens = self.tokens.checked_sub(cost)?;
        Some(cost)
    }

    /// A success: returns the cost of the retry that led to it, or 1 without one.
    pub fn succeeded(&mut self, retry_cost: Option<u32>) {
        self.tokens = (self.tokens + retry_cost.unwrap_or(1)).min(QUOTA_CAPACITY);
    }

    /// Tokens left.
    pub fn tokens(&self) -> u32 {
        self.tokens
    }
}

/// A small xorshift generator for jitter: no entropy is needed, only spread.
#[derive(Debug, Clone)]
pub struct Jitter(u64);

impl Jitter {
    /// Seeded from anything that varies (the clock).
    pub fn new(seed: u64) -> Self {
        Jitter(seed | 1)
    }

    /// The next value in `[0, 1)`.
    pub fn sample(&mut self) -> f64 {
        self.0 ^= self.0 << 13;
        self.0 ^= self.0 >> 7;
        self.0 ^= self.0 << 17;
        (self.0 >> 11) as f64 / (1u64 << 53) as f64
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::collections::HashMap;

    fn resolve(retries: serde_json::Value, env: &[(&str, &str)]) -> Result<RetryConfig, Error> {
        let env: HashMap<String, String> = env
            .iter()
            .map(|(k, v)| (k.to_string(), v.to_string()))
            .collect();
        RetryConfig::resolve(&RetrySettings::parse(retries.as_object())?, &env)
    }

    #[test]
    fn attempts_follow_botocore() {
        assert_eq!(
            resolve(serde_json::json!(null), &[]).unwrap().max_attempts,
            3
        );
        assert_eq!(
            resolve(
                serde_json::json!({"max_attempts": 10, "mode": "standard"}),
                &[]
            )
            .unwrap()
            .max_attempts,
            11
        );
        assert_eq!(
            resolve(
                serde_json::json!({"total_max_attempts": 4, "max_attempts": 10}),
                &[]
            )
            .unwrap()
            .max_attempts,
            4
        );
        assert_eq!(
            resolve(serde_json::json!(null), &[("AWS_MAX_ATTEMPTS", "7")])
                .unwrap()
                .max_attempts,
            7
        );
        assert_eq!(
            resolve(
                serde_json::json!({"max_attempts": 1}),
                &[("AWS_MAX_ATTEMPTS", "7")]
            )
            .unwrap()
            .max_attempts,
            2
        );
        let legacy = resolve(serde_json::json!(null), &[("AWS_RETRY_MODE", "legacy")]).unwrap();
        assert_eq!((legacy.mode, legacy.max_attempts), (RetryMode::Legacy, 5));
        assert_eq!(
            resolve(serde_json::json!({"total_max_attempts": 0}), &[])
                .unwrap()
                .max_attempts,
            1
        );
        assert!(resolve(serde_json::json!({"mode": "fast"}), &[]).is_err());
        assert!(resolve(serde_json::json!({"max_attempts": "3"}), &[]).is_err());
        assert!(resolve(serde_json::json!(null), &[("AWS_MAX_ATTEMPTS", "three")]).is_err());
    }

    #[test]
    fn backoff_is_full_jitter_capped_at_20_seconds() {
        let t = FailureClass::Throttling;
        assert_eq!(backoff(t, 0, 0.5, None), Duration::from_millis(500));
        assert_eq!(backoff(t, 3, 0.5, None), Duration::from_secs(4));
        assert_eq!(
            backoff(t, 10, 0.999_999, None),
            Duration::from_secs(20).mul_f64(0.999_999)
        );
        assert_eq!(
            backoff(FailureClass::Transient, 1, 1.0, None),
            Duration::from_millis(100)
        );
        assert_eq!(backoff(t, 0, 0.0, None), Duration::ZERO);
        assert_eq!(backoff(t, 40, 0.5, None), Duration::from_secs(10));
    }

    #[test]
    fn retry_after_is_clamped_around_the_delay() {
        let t = FailureClass::Throttling;
        assert_eq!(
            backoff(t, 0, 0.5, Some(Duration::from_millis(2000))),
            Duration::from_millis(2000)
        );
        assert_eq!(
            backoff(t, 0, 0.5, Some(Duration::from_millis(10))),
            Duration::from_millis(500)
        );
        assert_eq!(
            backoff(t, 0, 0.5, Some(Duration::from_secs(60))),
            Duration::from_millis(5500)
        );
    }

    #[test]
    fn quota_drains_and_refills() {
        let mut q = RetryQuota::default();
        assert_eq!(q.acquire(FailureClass::Transient), Some(14));
        assert_eq!(q.acquire(FailureClass::Throttling), Some(5));
        assert_eq!(q.tokens(), 481);
        q.succeeded(Some(5));
        assert_eq!(q.tokens(), 486);
        q.succeeded(None);
        assert_eq!(q.tokens(), 487);
        let mut empty = RetryQuota { tokens: 13 };
        assert_eq!(empty.acquire(FailureClass::Transient), None);
        assert_eq!(empty.acquire(FailureClass::Throttling), Some(5));
        let mut full = RetryQuota::default();
        full.succeeded(None);
        assert_eq!(full.tokens(), QUOTA_CAPACITY);
    }

    #[test]
    fn jitter_is_in_the_unit_interval() {
        let mut j = Jitter::new(42);
        for _ in 0..10_000 {
            let x = j.sample();
            assert!((0.0..1.0).contains(&x));
        }
    }
}
