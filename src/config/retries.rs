//! `config_kwargs.retries`, typed at open: the mode and the attempt count (botocore's shape).
//! What the environment adds (`AWS_RETRY_MODE`, `AWS_MAX_ATTEMPTS`) is read by
//! [`crate::retry::RetryConfig::resolve`] at the first lookup.

use serde_json::{Map, Value};

use crate::error::Error;

/// `config_kwargs.retries`: botocore's `mode`, `total_max_attempts` and `max_attempts`.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct RetrySettings {
    /// `mode`; `None`: `AWS_RETRY_MODE`, else standard.
    pub mode: Option<RetryMode>,
    /// How many attempts; `None`: `AWS_MAX_ATTEMPTS`, else the mode's default.
    pub attempts: Option<MaxAttempts>,
}

/// `retry_mode` / `AWS_RETRY_MODE`.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum RetryMode {
    /// The SDKs' default.
    Standard,
    /// botocore's older mode: the same rules here, 5 attempts by default.
    Legacy,
    /// Standard plus a client-side rate limiter in the SDKs; here, standard.
    Adaptive,
}

impl RetryMode {
    /// `standard`, `legacy` or `adaptive`.
    pub fn parse(text: &str) -> Result<Self, Error> {
        match text {
            "standard" => Ok(RetryMode::Standard),
            "legacy" => Ok(RetryMode::Legacy),
            "adaptive" => Ok(RetryMode::Adaptive),
            other => Err(Error::configuration(format!(
                "retry mode `{other}` is not one of standard, legacy, adaptive"
            ))),
        }
    }
}

/// The attempt count botocore's two keys give; `total_max_attempts` wins when both are set.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum MaxAttempts {
    /// `total_max_attempts`: attempts in all, the first included.
    Total(u32),
    /// `max_attempts`: retries after the first attempt.
    Retries(u32),
}

impl RetrySettings {
    /// Reads `config_kwargs.retries` (absent: nothing set).
    pub fn parse(retries: Option<&Map<String, Value>>) -> Result<Self, Error> {
        let mode = match retries.and_then(|r| r.get("mode")) {
            Some(Value::String(m)) => Some(RetryMode::parse(m)?),
            Some(Value::Null) | None => None,
            Some(_) => {
                return Err(Error::configuration(
                    "`config_kwargs.retries.mode` must be a string",
                ));
            }
        };
        let number = |key: &str| -> Result<Option<u32>, Error> {
            match retries.and_then(|r| r.get(key)) {
                None | Some(Value::Null) => Ok(None),
                Some(Value::Number(n)) => n
                    .as_u64()
                    .and_then(|n| u32::try_from(n).ok())
                    .map(Some)
                    .ok_or_else(|| {
                        Error::configuration(format!(
                            "`config_kwargs.retries.{key}` must be a non-negative integer"
                        ))
                    }),
                Some(_) => Err(Error::configuration(format!(
                    "`config_kwargs.retries.{key}` must be an integer"
                ))),
            }
        };
        // botocore reads `max_attempts` only without `total_max_attempts`.
        let attempts = match number("total_max_attempts")? {
            Some(total) => Some(MaxAttempts::Total(total)),
            None => number("max_attempts")?.map(MaxAttempts::Retries),
        };
        Ok(RetrySettings { mode, attempts })
    }
}
