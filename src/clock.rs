//! The wall clock, read in one place: events are stamped with it, requests are signed
//! at it, and the send triggers compare against it.

use std::time::{SystemTime, UNIX_EPOCH};

/// Seconds since the epoch, UTC. A clock before 1970 reads as 0 rather than failing.
pub fn now_epoch_seconds() -> u64 {
    SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .map_or(0, |d| d.as_secs())
}
