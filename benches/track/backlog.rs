//! A backlog: how long `flush` takes to deliver one, and `Tracker::new` to open one.

use std::path::Path;
use std::time::{Duration, Instant};

use hamustro::Tracker;
use rusqlite::Connection;

use crate::collector::{Collector, Reply};
use crate::fixtures::{config, offline_config, temp_dir, track_timed};
use crate::latency::{median, ms, per_second, round2, Latency};
use crate::{DELIVERY_BUDGET, FLUSH_BACKLOG, SECRET, STARTUP_BACKLOG, STARTUP_REPS};

pub struct FlushRun {
    pub time: Duration,
    pub ok: bool,
    pub error: Option<String>,
    pub requests: usize,
}

/// Queues `FLUSH_BACKLOG` events while the collector answers 503 (so they all stay
/// queued), lets it accept again and times `flush` until the last one is delivered.
pub fn flush_backlog() -> FlushRun {
    let collector = Collector::start(SECRET);
    collector.set_default_reply(Reply::Status(503));
    let dir = temp_dir();
    let tracker = Tracker::new(config(&collector.url(), &dir.path().join("q.sqlite3")))
        .expect("open the tracker");
    track_timed(&tracker, FLUSH_BACKLOG);
    assert_eq!(
        tracker.queued(),
        FLUSH_BACKLOG as u64,
        "the backlog is queued"
    );
    let failed_requests = collector.requests().len();

    let start = Instant::now();
    collector.set_default_reply(Reply::Validate);
    let flushed = tracker.flush(DELIVERY_BUDGET);
    let time = start.elapsed();
    let ok = flushed.is_ok() && collector.wait_for_events(FLUSH_BACKLOG, Duration::ZERO);
    drop(tracker);
    FlushRun {
        time,
        ok,
        error: flushed.err().map(|e| e.to_string()),
        requests: collector.requests().len() - failed_requests,
    }
}

pub struct StartupRun {
    pub times_ms: Vec<f64>,
    pub median_ms: f64,
    /// The cost of building the backlog: `track_event` while delivery fails at once.
    pub offline: Latency,
    pub offline_per_s: f64,
    /// Average stored size of one event, for comparison with the floor's row.
    pub stored_event_bytes: f64,
}

/// Queues `STARTUP_BACKLOG` events against a refused URL, closes the tracker, and times
/// `Tracker::new` on that database `STARTUP_REPS` times.
pub fn startup_with_backlog() -> StartupRun {
    let dir = temp_dir();
    let db = dir.path().join("q.sqlite3");
    let config = offline_config(&db);

    let tracker = Tracker::new(config.clone()).expect("open the tracker");
    let start = Instant::now();
    let offline = track_timed(&tracker, STARTUP_BACKLOG);
    let offline_per_s = per_second(STARTUP_BACKLOG, start.elapsed());
    drop(tracker);
    let stored_event_bytes = average_payload_bytes(&db);

    let mut times_ms = Vec::with_capacity(STARTUP_REPS);
    for _ in 0..STARTUP_REPS {
        let start = Instant::now();
        let tracker = Tracker::new(config.clone()).expect("reopen the tracker");
        times_ms.push(ms(start.elapsed()));
        assert_eq!(
            tracker.queued(),
            STARTUP_BACKLOG as u64,
            "the backlog survives"
        );
    }
    StartupRun {
        median_ms: median(&times_ms),
        times_ms,
        offline: Latency::of(offline),
        offline_per_s,
        stored_event_bytes,
    }
}

/// Reads the closed queue directly; NaN when its layout is not what this expects
/// (the store's internals are free to change).
pub fn average_payload_bytes(db: &Path) -> f64 {
    Connection::open(db)
        .and_then(|conn| {
            conn.query_row("SELECT avg(length(payload)) FROM events", [], |row| {
                row.get::<_, f64>(0)
            })
        })
        .map_or(f64::NAN, round2)
}
