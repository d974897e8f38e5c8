//! A seeded xorshift64* generator: random enough to vary kill moments and fault
//! scripts, and repeatable, because a failing run prints its seed.

use std::time::{SystemTime, UNIX_EPOCH};

/// Set to repeat a run: `HAMUSTRO_TEST_SEED=<seed> cargo test ...`.
pub const SEED_ENV: &str = "HAMUSTRO_TEST_SEED";

pub struct XorShift(u64);

impl XorShift {
    pub fn new(seed: u64) -> XorShift {
        // Zero is the one state xorshift never leaves.
        XorShift(seed.max(1))
    }

    /// The seed from `HAMUSTRO_TEST_SEED`, else from the clock.
    pub fn seed_from_env() -> u64 {
        std::env::var(SEED_ENV)
            .ok()
            .and_then(|seed| seed.trim().parse().ok())
            .unwrap_or_else(|| {
                let now = SystemTime::now()
                    .duration_since(UNIX_EPOCH)
                    .unwrap_or_default();
                now.as_nanos() as u64
            })
    }

    pub fn next_u64(&mut self) -> u64 {
        let mut x = self.0;
        x ^= x >> 12;
        x ^= x << 25;
        x ^= x >> 27;
        self.0 = x;
        x.wrapping_mul(0x2545_f491_4f6c_dd1d)
    }

    /// Uniform in `low..=high`.
    pub fn between(&mut self, low: u64, high: u64) -> u64 {
        low + self.next_u64() % (high - low + 1)
    }

    /// True with probability `1/n`.
    pub fn one_in(&mut self, n: u64) -> bool {
        self.next_u64().is_multiple_of(n)
    }
}
