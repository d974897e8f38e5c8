//! The delivery state as the app sees it: a snapshot of the shared counters and of
//! `Control`, taken without any lock the store's work can hold for long.

use std::sync::atomic::Ordering;
use std::time::{Duration, Instant};

use super::Shared;
use crate::error::Error;

/// A snapshot of the tracker's delivery state, for the app to show or log.
///
/// Later versions may add fields, so it is `#[non_exhaustive]`: read its fields, and
/// get one from [`Tracker::stats`](crate::Tracker::stats).
#[derive(Debug, Clone, PartialEq, Eq)]
#[non_exhaustive]
pub struct Stats {
    /// Events stored and not yet accepted by the collector.
    pub queued: u64,
    /// Events in the request being sent right now.
    pub in_flight: u64,
    /// Events the collector accepted, over the database's lifetime.
    pub delivered: u64,
    /// Events dropped because the queue reached its cap, over the database's lifetime.
    pub dropped: u64,
    /// Records kept aside in the database's quarantine table instead of being sent
    /// (undecodable, of another database, or numbered like a different event), over
    /// the database's lifetime. Never silently dropped: each was logged.
    pub quarantined: u64,
    /// Epoch seconds of the last successful delivery.
    pub last_sync: Option<u64>,
    /// The last delivery failure since the tracker started, if any.
    pub last_error: Option<Error>,
    /// Failed attempts since the last success.
    pub consecutive_failures: u32,
    /// When the next automatic attempt is due, if one is scheduled.
    pub next_retry_in: Option<Duration>,
    /// Whether tracking is on (`Tracker::set_enabled`).
    pub enabled: bool,
}

impl Shared {
    /// A snapshot of the delivery state (`Tracker::stats`).
    pub fn stats(&self) -> Stats {
        let queued = self.queued();
        let delivered = self.counters.delivered.load(Ordering::Relaxed);
        let dropped = self.counters.dropped.load(Ordering::Relaxed);
        let quarantined = self.counters.quarantined.load(Ordering::Relaxed);
        let control = self.lock_control();
        Stats {
            queued,
            in_flight: control.in_flight,
            delivered,
            dropped,
            quarantined,
            last_sync: Some(self.last_sync.load(Ordering::SeqCst)).filter(|&t| t > 0),
            last_error: control.last_error.clone(),
            consecutive_failures: control.consecutive_failures,
            next_retry_in: control
                .retry_at
                .filter(|_| self.draining.load(Ordering::SeqCst) && self.enabled())
                .map(|at| at.saturating_duration_since(Instant::now())),
            enabled: self.enabled(),
        }
    }
}
