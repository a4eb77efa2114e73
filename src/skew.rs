//! Clock skew: when AWS rejects a signature for its time, the offset between the server's
//! `Date` and the signing time corrects later signatures (as the Rust and JavaScript SDKs do;
//! botocore does not). Which replies blame the clock is [`crate::failure::is_clock_skew`].

use std::time::{Duration, SystemTime};
/// Below this, a rejected signature is not blamed on the clock.
const MIN_SKEW: Duration = Duration::from_secs(4 * 60);

/// A signed offset to add to the local clock.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub struct ClockOffset {
    ahead: Duration,
    behind: Duration,
}

impl ClockOffset {
    /// `now` corrected by the offset.
    pub fn apply(&self, now: SystemTime) -> SystemTime {
        now + self.ahead - self.behind
    }

    /// The offset that makes `signed_at` read `server_time`, if they are at least 4 minutes
    /// apart.
    pub fn between(signed_at: SystemTime, server_time: SystemTime) -> Option<ClockOffset> {
        match server_time.duration_since(signed_at) {
            Ok(ahead) if ahead >= MIN_SKEW => Some(ClockOffset {
                ahead,
                behind: Duration::ZERO,
            }),
            Ok(_) => None,
            Err(e) if e.duration() >= MIN_SKEW => Some(ClockOffset {
                ahead: Duration::ZERO,
                behind: e.duration(),
            }),
            Err(_) => None,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn at(secs: u64) -> SystemTime {
        SystemTime::UNIX_EPOCH + Duration::from_secs(secs)
    }

    #[test]
    fn offsets_of_four_minutes_or_more_count() {
        assert_eq!(ClockOffset::between(at(1000), at(1100)), None);
        let ahead = ClockOffset::between(at(1000), at(1000 + 3600)).unwrap();
        assert_eq!(ahead.apply(at(5000)), at(8600));
        let behind = ClockOffset::between(at(10_000), at(10_000 - 600)).unwrap();
        assert_eq!(behind.apply(at(20_000)), at(19_400));
    }
}
