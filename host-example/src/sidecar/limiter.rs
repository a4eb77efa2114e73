//! The cap on SSM requests for the whole sidecar: a generic cell rate algorithm (a token bucket
//! kept as one "theoretical arrival time") with a small burst, whose rate halves when SSM
//! throttles and grows back by one request a second each second, up to the cap.
//!
//! The burst is a tenth of the cap (at least 1), so that no second sees more than about
//! 1.1 x the cap: with the default 30, at most 33 requests in any second, under SSM's 40.

use std::sync::Mutex;
use std::time::{Duration, Instant};

/// The lowest rate a run of throttles brings the cap to (requests a second).
const MIN_RATE: f64 = 1.0;
/// How fast the rate grows back after a throttle (requests a second, each second).
const RECOVERY_PER_SECOND: f64 = 1.0;

struct State {
    /// When the next request would go if requests came evenly at the current rate.
    tat: Instant,
    /// The rate right after the last throttle, and when it happened.
    floor: f64,
    floor_at: Instant,
}

/// A shared rate limit.
pub struct RateLimiter {
    cap: f64,
    burst: f64,
    state: Mutex<State>,
}

impl RateLimiter {
    /// At most `per_second` requests a second, on average and in any second but for the burst.
    pub fn new(per_second: f64) -> Self {
        let now = Instant::now();
        RateLimiter {
            cap: per_second,
            burst: (per_second / 10.0).floor().max(1.0),
            state: Mutex::new(State {
                tat: now,
                floor: per_second,
                floor_at: now,
            }),
        }
    }

    fn state(&self) -> std::sync::MutexGuard<'_, State> {
        self.state.lock().unwrap_or_else(|p| p.into_inner())
    }

    fn rate(&self, state: &State, now: Instant) -> f64 {
        let grown = state.floor
            + now.saturating_duration_since(state.floor_at).as_secs_f64() * RECOVERY_PER_SECOND;
        grown.min(self.cap)
    }

    /// The rate allowed now (requests a second).
    pub fn current_rate(&self, now: Instant) -> f64 {
        self.rate(&self.state(), now)
    }

    /// When a request asked for at `now` could leave, without reserving it.
    pub fn next_free(&self, now: Instant) -> Instant {
        let state = self.state();
        let interval = Duration::from_secs_f64(1.0 / self.rate(&state, now));
        let tolerance = interval.mul_f64(self.burst - 1.0);
        state.tat.checked_sub(tolerance).unwrap_or(now).max(now)
    }

    /// Reserves the next slot for a request asked for at `now`: the instant it may leave.
    pub fn reserve(&self, now: Instant) -> Instant {
        let mut state = self.state();
        let interval = Duration::from_secs_f64(1.0 / self.rate(&state, now));
        let tolerance = interval.mul_f64(self.burst - 1.0);
        let earliest = state.tat.checked_sub(tolerance).unwrap_or(now);
        let at = earliest.max(now);
        state.tat = state.tat.max(at) + interval;
        at
    }

    /// SSM throttled a request: halve the rate (not below one a second), and space the next
    /// request by the new interval.
    pub fn throttled(&self, now: Instant) {
        let mut state = self.state();
        let halved = (self.rate(&state, now) / 2.0).max(MIN_RATE);
        state.floor = halved;
        state.floor_at = now;
        state.tat = state.tat.max(now) + Duration::from_secs_f64(1.0 / halved);
    }

    /// Waits until a request may leave.
    pub async fn acquire(&self) {
        let now = Instant::now();
        let at = self.reserve(now);
        if at > now {
            tokio::time::sleep_until(at.into()).await;
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// How many of `n` requests asked for at once are admitted within each whole second.
    fn admitted_per_second(limiter: &RateLimiter, start: Instant, n: usize) -> Vec<usize> {
        let mut seconds = Vec::new();
        for _ in 0..n {
            let at = limiter.reserve(start);
            let second = at.duration_since(start).as_secs() as usize;
            if seconds.len() <= second {
                seconds.resize(second + 1, 0);
            }
            seconds[second] += 1;
        }
        seconds
    }

    #[test]
    fn a_rush_is_spread_at_the_cap_with_a_small_burst() {
        let start = Instant::now();
        let limiter = RateLimiter::new(30.0);
        let seconds = admitted_per_second(&limiter, start, 300);
        assert!(seconds.len() >= 9, "{seconds:?}");
        assert!(seconds.iter().all(|&n| n <= 33), "{seconds:?}");
        assert!(seconds[1..9].iter().all(|&n| n >= 29), "{seconds:?}");
    }

    #[test]
    fn no_sliding_second_passes_the_cap_and_burst() {
        let start = Instant::now();
        let limiter = RateLimiter::new(30.0);
        let times: Vec<Duration> = (0..200)
            .map(|_| limiter.reserve(start).duration_since(start))
            .collect();
        for (i, t) in times.iter().enumerate() {
            let within = times[i..]
                .iter()
                .take_while(|u| **u < *t + Duration::from_secs(1))
                .count();
            assert!(within <= 33, "{within} requests in the second from {t:?}");
        }
    }

    #[test]
    fn a_throttle_halves_the_rate_and_it_grows_back() {
        let start = Instant::now();
        let limiter = RateLimiter::new(30.0);
        limiter.throttled(start);
        assert_eq!(limiter.current_rate(start), 15.0);
        limiter.throttled(start);
        assert_eq!(limiter.current_rate(start), 7.5);
        let later = start + Duration::from_secs(5);
        assert_eq!(limiter.current_rate(later), 12.5);
        assert_eq!(limiter.current_rate(start + Duration::from_secs(60)), 30.0);
        for _ in 0..10 {
            limiter.throttled(start);
        }
        assert_eq!(limiter.current_rate(start), MIN_RATE);
    }

    #[test]
    fn after_a_throttle_requests_are_spaced_at_the_lower_rate() {
        let start = Instant::now();
        let limiter = RateLimiter::new(20.0);
        limiter.throttled(start);
        let first = limiter.reserve(start);
        let second = limiter.reserve(start);
        // 10 a second now, burst 2: the first two may go close together, the third waits.
        let peeked = limiter.next_free(start);
        let third = limiter.reserve(start);
        assert_eq!(peeked, third, "peeking reserves nothing");
        assert!(third.duration_since(first) >= Duration::from_millis(99));
        assert!(second >= first);
    }
}
