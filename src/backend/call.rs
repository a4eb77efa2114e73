//! One signed SSM call: credentials (cached, refreshed), SigV4 at the corrected time, the
//! standard retry mode, one refresh on an expired token, one clock-skew correction.

use std::sync::Arc;
use std::time::{Duration, SystemTime, UNIX_EPOCH};

use super::{Backend, Platform, Targets};
use crate::credentials::{Credentials, FetchContext, Source};
use crate::error::{Error, sanitize_foreign};
use crate::message::{Request, RequestTimeouts, Response};
use crate::retry::{Jitter, backoff};
use crate::skew::ClockOffset;

/// botocore's default connect and read timeouts.
const DEFAULT_TIMEOUT: Duration = Duration::from_secs(60);

/// Reads a reply, keeping the given secrets out of errors.
pub(super) type Parse<'a, T> = &'a dyn Fn(&Response, &[&str]) -> Result<T, Error>;

/// An SSM operation: how to build its request and read its reply.
pub(super) struct Operation<'a, T> {
    /// For messages, e.g. `GetParameter`.
    pub name: &'static str,
    /// The unsigned request.
    pub request: &'a dyn Fn() -> Result<Request, Error>,
    /// The reply (with the secrets to keep out of errors).
    pub parse: Parse<'a, T>,
}

/// One exchange: its outcome and, when it failed, what the reply said about retrying and time.
struct Exchange<T> {
    result: Result<T, Error>,
    retry_after: Option<Duration>,
    server_date: Option<SystemTime>,
    signed_at: SystemTime,
}

impl Backend {
    /// Region, endpoint and credential source, resolved at the first lookup and shared.
    pub(super) fn targets(&mut self, platform: &Platform<'_>) -> Result<Arc<Targets>, Error> {
        if self.targets.is_none() {
            self.targets = Some(Arc::new(Targets::resolve(
                &self.config,
                platform.env,
                platform.fs,
                platform.clock.now(),
            )?));
        }
        Ok(Arc::clone(self.targets.as_ref().expect("set above")))
    }

    /// The credentials in use (see [`crate::credentials::CredentialsCache`]).
    fn credentials(
        &mut self,
        platform: &mut Platform<'_>,
        targets: &Targets,
        stale: bool,
    ) -> Result<Credentials, Error> {
        let mut ctx = FetchContext {
            transport: &mut *platform.transport,
            fs: platform.fs,
            now: platform.clock.now(),
            region: &targets.region,
        };
        self.credentials.get(&targets.source, &mut ctx, stale)
    }

    /// Runs `operation` with retries, one credentials refresh on an expired token, and one
    /// clock-skew correction.
    pub(super) fn call<T>(
        &mut self,
        platform: &mut Platform<'_>,
        operation: &Operation<'_, T>,
    ) -> Result<T, Error> {
        let targets = self.targets(platform)?;
        let refreshable = !matches!(targets.source, Source::Static { .. });
        let (mut stale, mut skew_corrected) = (false, false);
        let mut retry_cost = None;
        let mut attempt = 1;
        loop {
            let credentials = self.credentials(platform, &targets, stale)?;
            let exchange = self.exchange(platform, &targets, &credentials, operation);
            let error = match exchange.result {
                Ok(value) => {
                    self.quota.succeeded(retry_cost);
                    return Ok(value);
                }
                Err(error) => error,
            };
            if refreshable && !stale && error.is_expired_token() {
                stale = true;
                continue;
            }
            if !skew_corrected && error.is_clock_skew() {
                let offset = exchange
                    .server_date
                    .and_then(|server| ClockOffset::between(exchange.signed_at, server));
                if let Some(offset) = offset {
                    self.clock_offset = offset;
                    skew_corrected = true;
                    continue;
                }
            }
            let Some(class) = error.retry_class() else {
                return Err(error);
            };
            if attempt >= targets.retry.max_attempts {
                return Err(if attempt > 1 {
                    error.context(&format!(
                        "{} failed after {attempt} attempts",
                        operation.name
                    ))
                } else {
                    error
                });
            }
            let Some(cost) = self.quota.acquire(class) else {
                return Err(error.context("retry quota exhausted"));
            };
            retry_cost = Some(cost);
            let seed = platform
                .clock
                .now()
                .duration_since(UNIX_EPOCH)
                .unwrap_or_default()
                .as_nanos() as u64;
            let jitter = self
                .jitter
                .get_or_insert_with(|| Jitter::new(seed))
                .sample();
            platform
                .clock
                .sleep(backoff(class, attempt - 1, jitter, exchange.retry_after));
            attempt += 1;
        }
    }

    fn exchange<T>(
        &mut self,
        platform: &mut Platform<'_>,
        targets: &Targets,
        credentials: &Credentials,
        operation: &Operation<'_, T>,
    ) -> Exchange<T> {
        let signed_at = self.clock_offset.apply(platform.clock.now());
        let done = |result| Exchange {
            result,
            retry_after: None,
            server_date: None,
            signed_at,
        };
        let mut request = match (operation.request)() {
            Ok(request) => request,
            Err(e) => return done(Err(e)),
        };
        request.extensions_mut().insert(RequestTimeouts {
            connect: self.config.aws.connect_timeout.unwrap_or(DEFAULT_TIMEOUT),
            read: self.config.aws.read_timeout.unwrap_or(DEFAULT_TIMEOUT),
        });
        let signed =
            self.signing_keys
                .sign(&mut request, credentials, &targets.region, "ssm", signed_at);
        if let Err(e) = signed {
            return done(Err(e));
        }
        let secrets = credentials.secrets();
        let response = match platform.transport.send(request) {
            Ok(response) => response,
            Err(e) => {
                let message = format!(
                    "{} to {} failed: {}",
                    operation.name,
                    targets.ssm.authority(),
                    sanitize_foreign(&e.message, &secrets)
                );
                return done(Err(if e.retryable {
                    Error::transport_retryable(message)
                } else {
                    Error::transport(message)
                }));
            }
        };
        let result = (operation.parse)(&response, &secrets);
        // The retry hint and the server's clock matter only to a failed exchange (a retry, a
        // skew correction): a success does not parse them.
        let header = |name: &str| {
            result
                .is_err()
                .then(|| response.headers().get(name)?.to_str().ok())
                .flatten()
        };
        Exchange {
            retry_after: header("x-amz-retry-after")
                .and_then(|ms| ms.trim().parse::<u64>().ok())
                .map(Duration::from_millis),
            server_date: header("date").and_then(crate::timestamp::parse_http_date),
            result,
            signed_at,
        }
    }
}
