//! How events move from the journal into the store, and what a tracker makes of a
//! journal it finds at start: records a process killed before they reached SQLite left
//! behind, numbers another event already has, a journal older than its database,
//! records of another session, a queue cap lowered between runs, and a store that
//! refuses records for a while.

use crate::support;

use std::time::{Duration, Instant};

use hamustro::internals::journal::{Frame, Journal};
use hamustro::internals::wire::Payload;
use hamustro::log::Level;
use hamustro::Tracker;
use support::collector::Collector;
use support::{config, refused_url, sqlite, temp_db, track_n, SECRET, WAIT};

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
fn two_different_events_with_one_number_are_kept_and_counted_not_dropped() {
    let log = support::log::listen(Level::Debug);
    let (_dir, db) = temp_db();
    let session = {
        let tracker = Tracker::new(support::with(config(&refused_url(), &db), |c| {
            c.queue_size = 1000;
        }))
        .unwrap();
        track_n(&tracker, "Stored", 3);
        tracker.session().to_string()
    };
    let db = std::fs::canonicalize(&db).unwrap();
    // A journal another tracker on the same file would leave: its own numbers 1 to 3,
    // for the same session and attributes, but different events.
    {
        let (mut journal, _) = Journal::open(&db).unwrap();
        journal.start(0, usize::MAX);
        for i in 0..3 {
            let payload = Payload {
                event: format!("Other{i}"),
                ..Payload::default()
            };
            journal.append(Frame::new(1, &session, &payload)).unwrap();
        }
    }
    let tracker = Tracker::new(config(&refused_url(), &db)).unwrap();
    let stats = tracker.stats().unwrap();
    assert_eq!((stats.queued, stats.quarantined), (3, 3));
    let kept: i64 = sqlite(&db)
        .query_row(
            "SELECT count(*) FROM quarantine WHERE reason LIKE '%already used%'",
            [],
            |row| row.get(0),
        )
        .unwrap();
    assert_eq!(kept, 3, "the conflicting events are kept, not dropped");
    assert!(
        log.naming(&db)
            .iter()
            .any(|m| m.contains("already used by a different event")),
        "the conflict was not logged"
    );
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
    let capped = |url: &str| support::with(config(url, &db), |c| c.max_queued_events = 10);
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
fn while_the_store_refuses_records_persist_retries_keep_their_pace() {
    let log = support::log::listen(Level::Debug);
    let collector = Collector::start(SECRET);
    let (_dir, db) = temp_db();
    let tracker = Tracker::new(support::with(config(&refused_url(), &db), |c| {
        c.queue_size = 1_000_000;
    }))
    .unwrap();
    let db = tracker.database_path();
    // Another connection makes every insert into the queue fail at once.
    let conn = sqlite(&db);
    conn.execute_batch(
        "CREATE TRIGGER refuse BEFORE INSERT ON events BEGIN SELECT RAISE(ABORT, 'refused by test'); END;",
    )
    .unwrap();
    let started = Instant::now();
    track_n(&tracker, "WhileRefused", 5000);
    // The worker persists in the background: on a loaded machine its first attempt may
    // come after the last event was tracked (counting then gave 0).
    let attempts = log.wait_naming(&db, "refused by test");
    let elapsed = started.elapsed();
    // One attempt when the first record arrived, then one per retry interval (1 s);
    // not one for every event tracked beyond a batch (the defect: dozens here). One
    // more is allowed: under Wine on a loaded machine 3 came in 0.75 s, a cause not
    // yet understood (the note), and not that defect.
    let paced = 3 + elapsed.as_secs() as usize;
    assert!(
        (1..=paced).contains(&attempts),
        "{attempts} persist attempts in {elapsed:?}"
    );
    conn.execute_batch("DROP TRIGGER refuse").unwrap();
    drop(tracker);
    let tracker = Tracker::new(config(&collector.url(), &db)).unwrap();
    tracker.flush(Duration::from_secs(60)).unwrap();
    assert_eq!(collector.events().len(), 5000, "events were lost");
}
