//! Names changed under a running tracker (issue 21, item 4): while tracker A holds its
//! files no other tracker uses any of them, whatever was renamed (the database, its
//! companions, its directory), and A keeps and delivers every event it acknowledged.
#![cfg(unix)] // Windows refuses to rename a database SQLite holds open (it shares no FILE_SHARE_DELETE), so the case cannot arise there

use crate::support;

use std::path::{Path, PathBuf};

use hamustro::{ErrorKind, Tracker};
use support::collector::Collector;
use support::{child, config, refused_url, track_n, SECRET, WAIT};

fn beside(db: &Path, suffix: &str) -> PathBuf {
    PathBuf::from(format!("{}{suffix}", db.display()))
}

/// Tracker A: its own device (so its events are told apart at the collector), no
/// automatic delivery before a flush but the first.
fn tracker_a(url: &str, db: &Path) -> Tracker {
    Tracker::new(support::with(config(url, db), |c| {
        c.device_id = "device-a".into();
        c.queue_size = 1_000_000;
    }))
    .unwrap()
}

/// The numbers of device-a's events the collector has, sorted.
fn numbers_of_a(collector: &Collector) -> Vec<u32> {
    let device = hamustro::internals::wire::session::hash_device_id("device-a");
    let mut nrs: Vec<u32> = collector
        .events()
        .iter()
        .filter(|e| e.collection_header.device_id == device)
        .map(|e| e.nr)
        .collect();
    nrs.sort_unstable();
    nrs
}

/// A in a fresh directory, 300 events acknowledged; `rename` then changes names
/// under it, and a tracker B opened at the database's old path must be refused.
/// A then tracks 100 more and delivers all 400, each once.
fn b_is_refused_and_a_keeps_everything(rename: impl FnOnce(&Path)) {
    let collector = Collector::start(SECRET);
    let dir = tempfile::tempdir().unwrap();
    let db = std::fs::canonicalize(dir.path()).unwrap().join("events.db");
    let a = tracker_a(&collector.url(), &db);
    track_n(&a, "BeforeTheRename", 300);
    rename(&db);
    let error = Tracker::new(config(&refused_url(), &db))
        .err()
        .expect("a tracker opened on files another tracker holds");
    assert_eq!(error.kind(), ErrorKind::Storage, "{error}");
    assert!(
        error.message().contains("in use by another tracker"),
        "{error}"
    );
    track_n(&a, "AfterTheRename", 100);
    a.flush(WAIT).unwrap();
    drop(a);
    assert_eq!(numbers_of_a(&collector), (1..=400).collect::<Vec<_>>());
}

#[test]
fn a_renamed_database_keeps_its_companions_from_a_new_tracker_at_the_old_name() {
    b_is_refused_and_a_keeps_everything(|db| {
        std::fs::rename(db, beside(db, ".moved")).unwrap();
    });
}

#[test]
fn a_database_renamed_with_its_journal_keeps_its_sqlite_files_from_a_new_tracker() {
    b_is_refused_and_a_keeps_everything(|db| {
        for suffix in ["", ".journal0", ".journal1"] {
            let moved = PathBuf::from(format!("{}.moved{suffix}", db.display()));
            std::fs::rename(beside(db, suffix), moved).unwrap();
        }
    });
}

#[test]
fn a_database_renamed_with_its_sqlite_files_keeps_its_journal_from_a_new_tracker() {
    b_is_refused_and_a_keeps_everything(|db| {
        for suffix in ["", "-wal", "-shm"] {
            let moved = PathBuf::from(format!("{}.moved{suffix}", db.display()));
            std::fs::rename(beside(db, suffix), moved).unwrap();
        }
    });
}

/// The directory moves: B at the old path starts a queue of its own, in files all
/// new, and A closing later removes none of B's files by their (old) names (SQLite
/// itself deletes its WAL on closing only when the database was not moved; hamustro
/// keeps it in any case).
#[test]
fn a_moved_directory_leaves_both_trackers_their_own_files() {
    let collector = Collector::start(SECRET);
    let root = tempfile::tempdir().unwrap();
    let dir = std::fs::canonicalize(root.path()).unwrap().join("queue");
    std::fs::create_dir(&dir).unwrap();
    let db = dir.join("events.db");
    let a = tracker_a(&collector.url(), &db);
    track_n(&a, "BeforeTheMove", 300);
    std::fs::rename(&dir, root.path().join("moved")).unwrap();
    let b = Tracker::new(config(&collector.url(), &db)).unwrap();
    track_n(&b, "OfB", 5);
    b.flush(WAIT).unwrap();
    track_n(&a, "AfterTheMove", 100);
    a.flush(WAIT).unwrap();
    drop(a);
    for suffix in ["", "-wal", "-shm", ".journal0", ".journal1"] {
        assert!(
            beside(&db, suffix).exists(),
            "A's close removed B's events.db{suffix}"
        );
    }
    track_n(&b, "OfBAfterA", 5);
    b.flush(WAIT).unwrap();
    drop(b);
    assert_eq!(numbers_of_a(&collector), (1..=400).collect::<Vec<_>>());
    assert_eq!(collector.events().len(), 410);
}

/// The other process: opens a tracker at the path it is given and says how it went.
#[test]
fn child_opens_a_tracker() {
    let Some(db) = child::job() else { return };
    match Tracker::new(config(&refused_url(), Path::new(&db))) {
        Ok(_) => child::say("opened", 1),
        Err(error) => child::say("refused", error.message().replace('\n', " ")),
    }
}

#[test]
fn a_renamed_database_keeps_its_companions_from_another_process() {
    b_is_refused_in_another_process();
}

fn b_is_refused_in_another_process() {
    let collector = Collector::start(SECRET);
    let dir = tempfile::tempdir().unwrap();
    let db = std::fs::canonicalize(dir.path()).unwrap().join("events.db");
    let a = tracker_a(&collector.url(), &db);
    track_n(&a, "BeforeTheRename", 300);
    std::fs::rename(&db, beside(&db, ".moved")).unwrap();
    let b = child::Child::spawn(
        "renamed_database::child_opens_a_tracker",
        db.to_str().unwrap(),
    );
    let (word, message) = b.next(WAIT).expect("the other process said nothing");
    assert_eq!(word, "refused", "the other process opened A's files");
    assert!(message.contains("in use by another tracker"), "{message}");
    track_n(&a, "AfterTheRename", 100);
    a.flush(WAIT).unwrap();
    drop(a);
    assert_eq!(numbers_of_a(&collector), (1..=400).collect::<Vec<_>>());
}
