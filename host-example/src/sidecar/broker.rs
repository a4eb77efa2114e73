//! One cache for the whole sidecar, single flight, and batching.
//!
//! A name with a fresh cache entry is answered at once, without an instance. A miss joins the
//! fetch in flight for its name if there is one (single flight); otherwise it starts one: the
//! name waits in the batch window for other misses and leaves in a `GetParameters` of up to 10
//! names as soon as 10 are queued, or when no other miss joined for the window and the
//! sidecar's cap lets a request leave (under load, batches fill while they wait for the cap). Batches run on the instances
//! ([`super::instances`]) side by side, so a slow one holds up only its own names. A hot name
//! asked for in the last tenth of its TTL is fetched again in the background, so no lookup waits
//! for it when it expires. When SSM throttles or fails after the instance's attempts, a value
//! within `cache_stale_seconds` past its TTL is served instead of the error.

use std::collections::HashMap;
use std::sync::{Arc, Mutex, MutexGuard};
use std::time::{Duration, SystemTime};

use ssm_secrets::cache::{Cache, CacheConfig};
use tokio::sync::{mpsc, oneshot};
use tokio::time::Instant;

use super::instances::{FetchError, Fetched, Instances};
use super::limiter::RateLimiter;
use super::metrics::{CacheResult, Metrics};
use crate::Error;

/// The most names SSM takes in one `GetParameters`.
pub const MAX_BATCH: usize = 10;

/// The shared cache and the fetches in flight.
pub struct Broker {
    cache: Option<(CacheConfig, Mutex<Cache>)>,
    /// The waiters of each name being fetched.
    flights: Mutex<HashMap<String, Vec<oneshot::Sender<Fetched>>>>,
    queue: mpsc::UnboundedSender<String>,
    metrics: Arc<Metrics>,
}

fn lock<T>(mutex: &Mutex<T>) -> MutexGuard<'_, T> {
    mutex.lock().unwrap_or_else(|p| p.into_inner())
}

impl Broker {
    /// A broker fetching through `instances`, batching misses for `window`; call from inside a
    /// Tokio runtime (the dispatcher is a task on it).
    pub fn start(
        cache: Option<CacheConfig>,
        window: Duration,
        instances: Instances,
        limiter: Arc<RateLimiter>,
        metrics: Arc<Metrics>,
    ) -> Arc<Broker> {
        let (queue, queued) = mpsc::unbounded_channel();
        let broker = Arc::new(Broker {
            cache: cache.map(|config| (config, Mutex::new(Cache::new(config)))),
            flights: Mutex::new(HashMap::new()),
            queue,
            metrics,
        });
        tokio::spawn(dispatch(
            Arc::downgrade(&broker),
            queued,
            Batching { window, limiter },
            Arc::new(instances),
        ));
        broker
    }

    /// The value of the parameter `name`, `None` when SSM has none.
    pub async fn get(&self, name: &str) -> Fetched {
        if let Some(hit) = self.fresh(name, true) {
            return Ok(hit);
        }
        self.metrics.cache(CacheResult::Miss);
        let (sender, answer) = oneshot::channel();
        {
            let mut flights = lock(&self.flights);
            match flights.get_mut(name) {
                Some(waiters) => waiters.push(sender),
                None => {
                    // A fetch may have settled since the look above (it fills the cache before
                    // it leaves the flights): asking SSM again would be a second request.
                    if let Some(hit) = self.fresh(name, false) {
                        return Ok(hit);
                    }
                    flights.insert(name.to_string(), vec![sender]);
                    drop(flights);
                    self.enqueue(name);
                }
            }
        }
        answer.await.unwrap_or_else(|_| {
            Err(FetchError::Host(
                "the sidecar stopped before the answer came".into(),
            ))
        })
    }

    /// A fresh cache entry (a hit, counted); with `refresh`, fetched again in the background
    /// when it is in the last tenth of its TTL (not under the flights' lock: that takes it).
    fn fresh(&self, name: &str, refresh: bool) -> Option<Option<String>> {
        let (config, cache) = self.cache.as_ref()?;
        let now = SystemTime::now();
        let mut cache = lock(cache);
        let hit = cache.fresh(name, now)?;
        let expiring = cache.fresh(name, now + config.ttl / 10).is_none();
        drop(cache);
        self.metrics.cache(CacheResult::Hit);
        if refresh && expiring {
            self.start_flight(name);
        }
        Some(hit)
    }

    /// A background fetch of `name`, unless one is in flight.
    fn start_flight(&self, name: &str) {
        let mut flights = lock(&self.flights);
        if !flights.contains_key(name) {
            flights.insert(name.to_string(), Vec::new());
            drop(flights);
            self.enqueue(name);
        }
    }

    fn enqueue(&self, name: &str) {
        if self.queue.send(name.to_string()).is_err() {
            self.settle(
                name,
                Err(FetchError::Host("the sidecar is stopping".into())),
            );
        }
    }

    /// What a fetch brought: remembered, or a stale value served for a failure, and handed to
    /// every waiter of the name.
    fn settle(&self, name: &str, fetched: Fetched) {
        let fetched = match (&self.cache, fetched) {
            (Some((_, cache)), Ok(value)) => {
                let mut cache = lock(cache);
                cache.insert(name, value.clone(), SystemTime::now());
                self.metrics.cached_names(cache.len());
                Ok(value)
            }
            (Some((_, cache)), Err(e)) if serves_stale(&e) => {
                match lock(cache).stale(name, SystemTime::now()) {
                    Some(value) => {
                        self.metrics.cache(CacheResult::Stale);
                        Ok(value)
                    }
                    None => Err(e),
                }
            }
            (_, fetched) => fetched,
        };
        let waiters = lock(&self.flights).remove(name).unwrap_or_default();
        for waiter in waiters {
            let _ = waiter.send(fetched.clone());
        }
    }
}

/// A failure for which the cache may serve a value past its TTL: SSM throttled, failed on its
/// side, or could not be reached.
fn serves_stale(e: &FetchError) -> bool {
    match e {
        FetchError::Lookup(Error::Throttled(_) | Error::Transport(_)) => true,
        FetchError::Lookup(Error::Service(aws)) => aws.status >= 500,
        _ => false,
    }
}

/// When a batch leaves.
struct Batching {
    /// How long the batch waits for another name after the last one joined.
    window: Duration,
    /// The shared cap: a batch does not leave before a request may (it waits anyway), so
    /// under load every batch fills up while it waits.
    limiter: Arc<RateLimiter>,
}

/// The longest a batch waits for more names once a request may leave.
const MAX_WAIT: Duration = Duration::from_millis(50);

/// Takes queued names in batches: a batch leaves when it has [`MAX_BATCH`] names, or when no
/// name joined for the batch window (at most [`MAX_WAIT`] in all) and a request may leave under
/// the cap. Each batch runs as a task of its own.
async fn dispatch(
    broker: std::sync::Weak<Broker>,
    mut queued: mpsc::UnboundedReceiver<String>,
    batching: Batching,
    instances: Arc<Instances>,
) {
    while let Some(first) = queued.recv().await {
        let opened = Instant::now();
        let mut names = vec![first];
        while names.len() < MAX_BATCH {
            let now = Instant::now();
            let quiet = (now + batching.window).min(opened + MAX_WAIT.max(batching.window));
            let slot = Instant::from_std(batching.limiter.next_free(now.into_std()));
            let next = match quiet.max(slot) {
                until if until <= now => queued.try_recv().ok(),
                until => tokio::time::timeout_at(until, queued.recv())
                    .await
                    .ok()
                    .flatten(),
            };
            match next {
                Some(name) => names.push(name),
                None => break,
            }
        }
        let Some(broker) = broker.upgrade() else {
            return;
        };
        let instances = Arc::clone(&instances);
        tokio::spawn(async move {
            let fetched = instances.fetch(names.clone()).await;
            if let Some(Err(e)) = fetched.iter().find(|f| f.is_err()) {
                log_failure(names.len(), e);
            }
            for (name, fetched) in names.iter().zip(fetched) {
                broker.settle(name, fetched);
            }
        });
    }
}

/// One line per failed SSM exchange: how many names, and the error (which never holds a value,
/// a password, a token or a signature).
fn log_failure(names: usize, e: &FetchError) {
    let why = match e {
        FetchError::Lookup(e) => crate::error_message(e),
        FetchError::Host(m) => m.clone(),
    };
    eprintln!("warning: an SSM request for {names} name(s) failed: {why}");
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::AwsError;

    fn aws(status: u16) -> AwsError {
        AwsError {
            code: "X".into(),
            message: "m".into(),
            status,
        }
    }

    #[test]
    fn stale_values_stand_in_for_throttles_and_outages_only() {
        let lookup = FetchError::Lookup;
        assert!(serves_stale(&lookup(Error::Throttled(aws(400)))));
        assert!(serves_stale(&lookup(Error::Transport("timed out".into()))));
        assert!(serves_stale(&lookup(Error::Service(aws(503)))));
        assert!(!serves_stale(&lookup(Error::Service(aws(400)))));
        assert!(!serves_stale(&lookup(Error::AccessDenied(aws(400)))));
        assert!(!serves_stale(&lookup(Error::InvalidValue("x".into()))));
        assert!(!serves_stale(&FetchError::Host("trap".into())));
    }
}
