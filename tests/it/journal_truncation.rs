//! A journal file truncated by another program while a burst waits in it alone
//! (issue 21, item 7): records beyond what memory holds (`journal::pending`'s spill)
//! are in the file only, so such a truncation loses them. docs/delivery-and-storage.md promises that
//! only those are lost, that they are counted out of the queue (`stats.queued`) and
//! logged as an error, that the tracker goes on, and that every other event is
//! delivered once. Both moments are here: the file still being appended to (the loss
//! is found by tracking) and the file being moved into SQLite (found by the worker).
//!
//! The store is kept refusing records with a trigger, so the burst is certain to wait
//! in the journal, in a known file, while the file is cut short.

#![cfg(unix)] // Windows refuses to truncate a mapped file: nothing can be lost so there

use crate::support;

use std::path::{Path, PathBuf};
use std::sync::{Arc, Mutex, MutexGuard, PoisonError};
use std::time::{Duration, Instant};

use hamustro::log::Level;
use hamustro::Tracker;
use support::collector::Collector;
use support::{config, temp_db, SECRET, WAIT};

/// Events of the burst: about 4 KiB each, 2.4 MiB in all, so that beyond the first
/// MiB (what memory holds) they are in the journal file alone.
const BURST: u32 = 600;

/// The errors the library logs during the running test: the tests here take turns
/// (`one_at_a_time`), and each hears the log only while it runs.
static ERRORS: Mutex<Vec<String>> = Mutex::new(Vec::new());

fn one_at_a_time() -> (MutexGuard<'static, ()>, support::log::Listener) {
    static TURN: Mutex<()> = Mutex::new(());
    let turn = TURN.lock().unwrap_or_else(PoisonError::into_inner);
    ERRORS
        .lock()
        .unwrap_or_else(PoisonError::into_inner)
        .clear();
    let listener = support::log::listen_with(
        Level::Error,
        Arc::new(|_, message: &str| {
            ERRORS
                .lock()
                .unwrap_or_else(PoisonError::into_inner)
                .push(message.to_string());
        }),
    );
    (turn, listener)
}

fn logged(containing: &str) -> Vec<String> {
    ERRORS
        .lock()
        .unwrap_or_else(PoisonError::into_inner)
        .iter()
        .filter(|m| m.contains(containing))
        .cloned()
        .collect()
}

fn wait_until_logged(containing: &str) {
    let started = Instant::now();
    while logged(containing).is_empty() {
        assert!(
            started.elapsed() < WAIT,
            "nothing logged containing {containing:?}"
        );
        std::thread::sleep(Duration::from_millis(10));
    }
}

/// The events the collector received, by number; each must be there once.
fn delivered_once(collector: &Collector) -> Vec<u32> {
    let mut nrs: Vec<u32> = collector.events().iter().map(|e| e.nr).collect();
    nrs.sort_unstable();
    let all = nrs.len();
    nrs.dedup();
    assert_eq!(nrs.len(), all, "an event was delivered twice");
    nrs
}

/// A tracker that has delivered one event (so nothing is sent without a flush), whose
/// store then refuses every record.
fn tracker_with_a_refusing_store(collector: &Collector, db: &Path) -> (Tracker, Conn) {
    let tracker = Tracker::new(support::with(config(&collector.url(), db), |c| {
        c.queue_size = 1_000_000;
    }))
    .unwrap();
    tracker
        .track_event("Before", &[] as &[(&str, &str)])
        .unwrap();
    tracker.flush(WAIT).unwrap();
    let conn = Conn(rusqlite::Connection::open(tracker.database_path()).unwrap());
    conn.refuse("BEGIN SELECT RAISE(ABORT, 'refused by the truncation test'); END");
    // The worker takes this one and keeps it, the store refusing it: the burst after
    // it goes to the other journal file.
    tracker
        .track_event("Taken", &[] as &[(&str, &str)])
        .unwrap();
    wait_until_logged("refused by the truncation test");
    (tracker, conn)
}

/// Another connection to the queue database, as another program would have.
struct Conn(rusqlite::Connection);

impl Conn {
    /// Makes inserts into the queue fail as `body` says (in place of any earlier rule).
    fn refuse(&self, body: &str) {
        self.0
            .execute_batch(&format!(
                "DROP TRIGGER IF EXISTS refuse; CREATE TRIGGER refuse BEFORE INSERT ON events {body};"
            ))
            .unwrap();
    }

    fn accept(&self) {
        self.0.execute_batch("DROP TRIGGER refuse").unwrap();
    }
}

fn track_burst(tracker: &Tracker) {
    let pad = "p".repeat(4000);
    for i in 0..BURST {
        tracker
            .track_event("Burst", &[("i", i.to_string()), ("pad", pad.clone())])
            .unwrap();
    }
}

/// The journal file that holds the burst: the one grown past its 1 MiB mapping.
fn burst_file(db: &Path) -> PathBuf {
    let db = std::fs::canonicalize(db).unwrap();
    let files = [".journal0", ".journal1"].map(|suffix| {
        let mut name = db.clone().into_os_string();
        name.push(suffix);
        PathBuf::from(name)
    });
    files
        .into_iter()
        .find(|file| std::fs::metadata(file).unwrap().len() > 1 << 20)
        .expect("a journal file holding the burst beyond its mapping")
}

/// What another program does: cuts the file to nothing.
fn truncate(file: &Path) {
    std::fs::OpenOptions::new()
        .write(true)
        .open(file)
        .unwrap()
        .set_len(0)
        .unwrap();
}

/// How many events the one error message says were lost.
fn lost_in_log() -> u32 {
    let lost = logged("events were lost");
    assert_eq!(lost.len(), 1, "one error for the loss: {lost:?}");
    assert!(
        lost[0].contains("truncated or overwrote the journal"),
        "{lost:?}"
    );
    lost[0].split(' ').next().unwrap().parse().unwrap()
}

#[test]
fn a_burst_in_the_file_alone_lost_to_a_truncation_while_tracking_is_counted_and_logged() {
    let _turn = one_at_a_time();
    let collector = Collector::start(SECRET);
    let (_dir, db) = temp_db();
    let (tracker, conn) = tracker_with_a_refusing_store(&collector, &db);
    track_burst(&tracker);
    assert_eq!(tracker.stats().unwrap().queued, u64::from(1 + BURST));

    truncate(&burst_file(&db));
    // The next event finds the file cut short: what memory holds is written again,
    // with it; what was in the file alone is gone.
    tracker
        .track_event("After", &[] as &[(&str, &str)])
        .unwrap();
    let lost = lost_in_log();
    assert!(0 < lost && lost < BURST, "{lost} of {BURST} lost");
    assert_eq!(
        tracker.stats().unwrap().queued,
        u64::from(1 + BURST + 1 - lost),
        "the lost events are counted out of the queue"
    );

    conn.accept();
    tracker.flush(WAIT).unwrap();
    // 1 and 2 came before the burst, 3 to 602 are the burst, 603 came after it.
    let kept = BURST - lost;
    let expected: Vec<u32> = (1..=2 + kept).chain([3 + BURST]).collect();
    assert_eq!(delivered_once(&collector), expected);
    let stats = tracker.stats().unwrap();
    assert_eq!((stats.queued, stats.delivered), (0, u64::from(3 + kept)));
}

#[test]
fn a_burst_in_the_file_alone_lost_to_a_truncation_while_it_is_stored_is_counted_and_logged() {
    let _turn = one_at_a_time();
    let collector = Collector::start(SECRET);
    let (_dir, db) = temp_db();
    let (tracker, conn) = tracker_with_a_refusing_store(&collector, &db);
    track_burst(&tracker);
    // The worker stores event 2, then takes the burst's file and is refused: the burst
    // now waits there, no longer appended to.
    conn.refuse("WHEN NEW.nr > 2 BEGIN SELECT RAISE(ABORT, 'refused after 2'); END");
    wait_until_logged("refused after 2");
    let file = burst_file(&db);

    truncate(&file);
    conn.accept();
    tracker.flush(WAIT).unwrap();
    let lost = lost_in_log();
    assert!(0 < lost && lost < BURST, "{lost} of {BURST} lost");
    let kept = BURST - lost;
    assert_eq!(
        delivered_once(&collector),
        (1..=2 + kept).collect::<Vec<_>>()
    );
    let stats = tracker.stats().unwrap();
    assert_eq!(
        (stats.queued, stats.delivered),
        (0, u64::from(2 + kept)),
        "the lost events are counted out of the queue"
    );

    // The tracker goes on: the next event is numbered after the lost ones.
    tracker
        .track_event("After", &[] as &[(&str, &str)])
        .unwrap();
    tracker.flush(WAIT).unwrap();
    assert_eq!(collector.events().last().unwrap().nr, 3 + BURST);
}
