//! Defects a review found, each pinned by the test that would have caught it.

mod support;

use std::sync::{mpsc, Arc, OnceLock};

use hamustro::internals::journal::{Frame, Journal};
use hamustro::internals::wire::Payload;
use hamustro::log::{set_logger, Level};
use hamustro::{Tracker, TrackerConfig};
use support::collector::Collector;
use support::{config, refused_url, temp_db, track_n, SECRET, WAIT};

/// Leaves `count` records in the journal of `db`, as a process killed before they
/// reached SQLite would, for `profile_id` in `session`.
fn leave_journal_records(db: &std::path::Path, profile_id: i64, session: &str, count: usize) {
    let (mut journal, _) = Journal::open(db).unwrap();
    journal.start(0, usize::MAX);
    for i in 0..count {
        let payload = Payload {
            event: format!("Orphan{i}"),
            ..Payload::default()
        };
        journal
            .append(Frame::new(profile_id, session, &payload))
            .unwrap();
    }
}

fn quarantined(db: &std::path::Path) -> i64 {
    rusqlite::Connection::open(db)
        .unwrap()
        .query_row("SELECT count(*) FROM quarantine", [], |row| row.get(0))
        .unwrap()
}

#[test]
fn a_journal_that_outlived_its_database_is_kept_aside_not_replayed() {
    let collector = Collector::start(SECRET);
    let (_dir, db) = temp_db();
    // Records naming attributes this (new) database has never had…
    leave_journal_records(&db, 7, "not-a-session-of-this-database", 2);
    let tracker = Tracker::new(config(&collector.url(), &db)).expect("the tracker opens");
    // …and the tracker's own events are numbered and delivered as if they were not there.
    track_n(&tracker, "Fresh", 3);
    tracker.flush(WAIT).unwrap();
    let nrs: Vec<u32> = collector.events().iter().map(|e| e.nr).collect();
    assert_eq!(nrs, [1, 2, 3]);
    assert!(collector.events().iter().all(|e| e.event == "Fresh"));
    assert_eq!(
        quarantined(&db),
        2,
        "the foreign records are kept, not deleted"
    );
}

#[test]
fn a_journal_record_of_another_session_does_not_take_this_sessions_numbers() {
    let collector = Collector::start(SECRET);
    let (_dir, db) = temp_db();
    // Profile 1 will be this tracker's attributes, but the records claim another session.
    leave_journal_records(&db, 1, "an-older-session", 3);
    let tracker = Tracker::new(config(&collector.url(), &db)).unwrap();
    track_n(&tracker, "Mine", 3);
    tracker.flush(WAIT).unwrap();
    let nrs: Vec<u32> = collector.events().iter().map(|e| e.nr).collect();
    assert_eq!(
        nrs,
        [1, 2, 3],
        "no event was silently lost to a number collision"
    );
}

#[test]
fn lowering_the_queue_cap_between_runs_drops_and_counts_without_breaking_delivery() {
    let collector = Collector::start(SECRET);
    let (_dir, db) = temp_db();
    let capped = |url: &str| TrackerConfig {
        max_queued_events: 10,
        ..config(url, &db)
    };
    {
        let offline = Tracker::new(config(&refused_url(), &db)).unwrap();
        track_n(&offline, "Backlog", 20);
    }
    {
        // One more event under a cap of 10: storing 1 drops 11 (more than it stores).
        let offline = Tracker::new(capped(&refused_url())).unwrap();
        track_n(&offline, "New", 1);
    }
    let tracker = Tracker::new(capped(&collector.url())).unwrap();
    tracker
        .flush(WAIT)
        .expect("delivery still works after the cap dropped events");
    let stats = tracker.stats().unwrap();
    assert_eq!((stats.queued, stats.delivered, stats.dropped), (0, 10, 11));
}

#[test]
fn stats_count_events_still_in_the_journal() {
    let (_dir, db) = temp_db();
    let tracker = Tracker::new(config(&refused_url(), &db)).unwrap();
    track_n(&tracker, "E", 3);
    // Right after tracking, the events may not have reached SQLite yet.
    assert_eq!(tracker.stats().unwrap().queued, 3);
}

#[test]
fn a_log_sink_may_call_back_into_the_tracker_while_the_queue_overflows() {
    static TRACKER: OnceLock<Arc<Tracker>> = OnceLock::new();
    let (_dir, db) = temp_db();
    let tracker = Arc::new(
        Tracker::new(TrackerConfig {
            max_queued_events: 2,
            ..config(&refused_url(), &db)
        })
        .unwrap(),
    );
    let _ = TRACKER.set(Arc::clone(&tracker));
    set_logger(Some((
        Level::Debug,
        Arc::new(|_, _: &str| {
            // Reads state that the delivery thread guards while it persists.
            if let Some(tracker) = TRACKER.get() {
                let _ = tracker.stats();
            }
        }),
    )));
    let (done, finished) = mpsc::channel();
    let worker_side = Arc::clone(&tracker);
    std::thread::spawn(move || {
        track_n(&worker_side, "Overflow", 10);
        // Persisting drops the oldest and logs a warning; the sink then reads stats.
        let _ = worker_side.flush(WAIT);
        let dropped = worker_side.stats().map_or(0, |s| s.dropped);
        let _ = worker_side.discard_queued();
        let _ = done.send(dropped);
    });
    let result = finished.recv_timeout(WAIT);
    set_logger(None);
    assert!(
        result.is_ok(),
        "deadlock: the log sink waited on a lock its caller held"
    );
}
