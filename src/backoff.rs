//! Retry pacing after a failed delivery: exponential, jittered, bounded, and never
//! sooner than the collector's Retry-After.

use std::collections::hash_map::RandomState;
use std::hash::{BuildHasher as _, Hasher as _};
use std::time::Duration;

pub const INITIAL_DELAY: Duration = Duration::from_secs(1);
/// No wait is ever longer: a collector that comes back is used within this time.
pub const MAX_DELAY: Duration = Duration::from_secs(300);

#[derive(Debug, Default)]
pub struct Backoff {
    failures: u32,
}

impl Backoff {
    pub fn reset(&mut self) {
        self.failures = 0;
    }

    pub fn failures(&self) -> u32 {
        self.failures
    }

    /// The wait before the next attempt after one more failure: a random point in the
    /// upper half of `INITIAL_DELAY * 2^(failures-1)` (so many devices that failed
    /// together do not retry together), at least `retry_after`, at most `MAX_DELAY`.
    pub fn next_delay(&mut self, retry_after: Option<Duration>) -> Duration {
        self.failures = self.failures.saturating_add(1);
        let exponent = (self.failures - 1).min(16);
        let ceiling = INITIAL_DELAY.saturating_mul(1 << exponent).min(MAX_DELAY);
        let half = ceiling / 2;
        let jitter = half.mul_f64(random_fraction());
        (half + jitter)
            .max(retry_after.unwrap_or_default())
            .min(MAX_DELAY)
    }
}

/// A fraction in [0, 1) from the standard library's per-process random hasher keys;
/// jitter needs spread, not cryptographic quality.
fn random_fraction() -> f64 {
    let bits = RandomState::new().build_hasher().finish();
    (bits >> 11) as f64 / (1u64 << 53) as f64
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn delays_grow_exponentially_within_jitter_and_stay_bounded() {
        let mut backoff = Backoff::default();
        let mut ceiling = INITIAL_DELAY;
        for _ in 0..20 {
            let delay = backoff.next_delay(None);
            assert!(
                delay >= ceiling / 2 && delay <= ceiling,
                "{delay:?} vs {ceiling:?}"
            );
            ceiling = (ceiling * 2).min(MAX_DELAY);
        }
        assert_eq!(backoff.failures(), 20);
    }

    #[test]
    fn retry_after_is_honoured_but_bounded() {
        let mut backoff = Backoff::default();
        assert!(backoff.next_delay(Some(Duration::from_secs(30))) >= Duration::from_secs(30));
        assert_eq!(
            backoff.next_delay(Some(Duration::from_secs(86_400))),
            MAX_DELAY
        );
    }

    #[test]
    fn reset_starts_over() {
        let mut backoff = Backoff::default();
        for _ in 0..5 {
            backoff.next_delay(None);
        }
        backoff.reset();
        assert!(backoff.next_delay(None) <= INITIAL_DELAY);
    }
}
