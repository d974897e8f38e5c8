//! What every measurement starts from: a tracker configuration, a temporary
//! directory, and `track_event` timed call by call.

use std::net::TcpListener;
use std::path::Path;
use std::time::Instant;

use hamustro::{Tracker, TrackerConfig};

use crate::{EVENT, PARAMS, SECRET, STARTUP_BACKLOG};

pub fn config(url: &str, db: &Path) -> TrackerConfig {
    let mut config = TrackerConfig::new(url, SECRET, "bench-device", "bench", "2.0.0");
    config.system_version = "14.1".to_string();
    config.database_path = Some(db.to_path_buf());
    config
}

/// A tracker whose deliveries all fail at once (connection refused), with room for a
/// large backlog: events stay queued.
pub fn offline_config(db: &Path) -> TrackerConfig {
    let mut config = config(&refused_url(), db);
    config.max_queued_events = 10 * STARTUP_BACKLOG as u64;
    config
}

/// A URL where nothing listens.
pub fn refused_url() -> String {
    let listener = TcpListener::bind("127.0.0.1:0").expect("bind an ephemeral port");
    let port = listener.local_addr().unwrap().port();
    drop(listener);
    format!("http://127.0.0.1:{port}")
}

pub fn temp_dir() -> tempfile::TempDir {
    tempfile::tempdir().expect("create a temporary directory")
}

/// Tracks `n` events on this thread, returning each call's duration in ns.
pub fn track_timed(tracker: &Tracker, n: usize) -> Vec<u64> {
    track_timed_counting_preemptions(tracker, n).0
}

/// `track_timed`, and how often the kernel took the CPU away from this thread
/// meanwhile (its involuntary context switches): each one can put a tick of waiting
/// into one call's latency, which is what the tail percentiles show.
pub fn track_timed_counting_preemptions(tracker: &Tracker, n: usize) -> (Vec<u64>, u64) {
    let before = thread_preemptions();
    let mut samples = Vec::with_capacity(n);
    for _ in 0..n {
        let start = Instant::now();
        tracker.track_event(EVENT, &PARAMS).expect("track_event");
        samples.push(start.elapsed().as_nanos() as u64);
    }
    (samples, thread_preemptions().saturating_sub(before))
}

/// The calling thread's involuntary context switches so far (Linux; 0 elsewhere).
pub fn thread_preemptions() -> u64 {
    std::fs::read_to_string("/proc/thread-self/status")
        .unwrap_or_default()
        .lines()
        .find_map(|line| line.strip_prefix("nonvoluntary_ctxt_switches:"))
        .and_then(|value| value.trim().parse().ok())
        .unwrap_or(0)
}
