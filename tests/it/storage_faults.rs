//! Storage faults: each gives a clear error or recovers; none crashes; no event whose
//! track call returned OK is lost.

use crate::support;

use std::process::Command;

use hamustro::log::Level;
use hamustro::{ErrorKind, Tracker};
use support::child;
use support::collector::Collector;
use support::tiny_fs::with_tiny_filesystem;
use support::{config, refused_url, temp_db, track_n, SECRET, WAIT};

#[test]
fn a_database_path_that_cannot_exist_is_a_storage_error_naming_it() {
    let dir = tempfile::tempdir().unwrap();
    let not_a_dir = dir.path().join("file");
    std::fs::write(&not_a_dir, b"x").unwrap();
    let db = not_a_dir.join("sub").join("events.db");
    let error = Tracker::new(config(&refused_url(), &db)).err().unwrap();
    assert_eq!(error.kind(), ErrorKind::Storage);
    assert!(
        error.message().contains(&not_a_dir.display().to_string()),
        "{error}"
    );
}

#[test]
fn a_damaged_hamustro_database_is_moved_aside_and_tracking_goes_on() {
    let collector = Collector::start(SECRET);
    let (dir, db) = temp_db();
    drop(Tracker::new(config(&refused_url(), &db)).unwrap());
    // The header (and hamustro's mark in it) survives; the schema behind it does not.
    let mut bytes = std::fs::read(&db).unwrap();
    bytes[100..4096].fill(0x5a);
    std::fs::write(&db, &bytes).unwrap();
    let tracker = Tracker::new(config(&collector.url(), &db)).unwrap();
    let kept: Vec<_> = std::fs::read_dir(dir.path())
        .unwrap()
        .map(|entry| entry.unwrap().file_name().into_string().unwrap())
        // The database itself; its companions (journal, WAL, shared memory) go with it.
        .filter(|name| {
            name.starts_with("events.db.corrupt-")
                && !name.contains(".journal")
                && !name.ends_with("-wal")
                && !name.ends_with("-shm")
        })
        .collect();
    assert_eq!(kept.len(), 1, "the damaged file is kept: {kept:?}");
    tracker
        .track_event("AfterRecovery", &[] as &[(&str, &str)])
        .unwrap();
    tracker.flush(WAIT).unwrap();
    assert_eq!(collector.events()[0].nr, 1);
}

/// The other process: this test binary again, holding SQLite's exclusive lock on the
/// database until it is killed (as a backup tool or a crashed app would).
#[test]
fn child_holds_the_database_locked() {
    let Some(db) = child::job() else { return };
    let connection = rusqlite::Connection::open(db).unwrap();
    connection.execute_batch("BEGIN EXCLUSIVE").unwrap();
    child::say("locked", 1);
    loop {
        std::thread::park();
    }
}

#[test]
fn tracking_goes_on_while_another_process_holds_the_database_locked() {
    let collector = Collector::start(SECRET);
    let (_dir, db) = temp_db();
    // Create the database, then let another process take SQLite's write lock on it.
    drop(Tracker::new(config(&collector.url(), &db)).unwrap());
    let mut locker = child::Child::spawn(
        "storage_faults::child_holds_the_database_locked",
        db.to_str().unwrap(),
    );
    assert_eq!(
        locker.next(WAIT).map(|(word, _)| word).as_deref(),
        Some("locked")
    );

    // Reopening an existing queue needs no write lock.
    let tracker = Tracker::new(config(&collector.url(), &db)).unwrap();
    // Tracking only appends to the journal: it succeeds while SQLite is locked.
    track_n(&tracker, "WhileLocked", 5);
    assert!(locker.is_running(), "the lock was still held");
    locker.kill();
    tracker.flush(WAIT).unwrap();
    assert_eq!(collector.events().len(), 5);
}

#[test]
#[cfg_attr(
    windows,
    ignore = "fills a tiny tmpfs; there is no small volume to fill under Wine here"
)]
fn a_full_disk_is_a_clear_error_and_loses_no_acknowledged_event() {
    with_tiny_filesystem("256k", |dir| {
        let db = dir.join("events.db");
        let collector = Collector::start(SECRET);
        let big = "x".repeat(2000);
        let mut acknowledged = 0usize;
        let mut failure = None;
        {
            let tracker = Tracker::new(support::with(config(&refused_url(), &db), |c| {
                c.queue_size = 1_000_000;
            }))
            .unwrap();
            for i in 0..2000 {
                match tracker.track_event("Big", &[("i", i.to_string()), ("pad", big.clone())]) {
                    Ok(()) => acknowledged += 1,
                    Err(error) => {
                        failure = Some(error);
                        break;
                    }
                }
            }
        }
        let error = failure.expect("a 256 KiB filesystem never filled up");
        assert_eq!(error.kind(), ErrorKind::Storage);
        assert!(error.message().contains("No space left"), "{error}");
        // While the disk is still full, reopening is a clear error or works.
        if let Err(error) = Tracker::new(config(&collector.url(), &db)) {
            assert_eq!(error.kind(), ErrorKind::Storage, "{error}");
        }
        // Once there is space again, everything acknowledged is there, numbered
        // without gaps.
        let grown = Command::new("mount")
            .args(["-o", "remount,size=8m"])
            .arg(dir)
            .status()
            .unwrap();
        assert!(grown.success());
        let tracker = Tracker::new(config(&collector.url(), &db)).unwrap();
        tracker.flush(WAIT).unwrap();
        let mut nrs: Vec<u32> = collector.events().iter().map(|e| e.nr).collect();
        nrs.sort_unstable();
        assert!(acknowledged > 0);
        assert_eq!(nrs, (1..=acknowledged as u32).collect::<Vec<_>>());
    });
}

/// Cuts both journal files of `db` to nothing from outside, as a cleaner or another
/// program might. Windows refuses to truncate a mapped file (which is its own
/// protection): there the attempt may fail, and tracking goes on as before.
fn truncate_journals_from_outside(db: &std::path::Path) {
    for suffix in [".journal0", ".journal1"] {
        let mut name = db.as_os_str().to_owned();
        name.push(suffix);
        let path = std::path::PathBuf::from(name);
        let file = std::fs::OpenOptions::new().write(true).open(&path).unwrap();
        let truncated = file.set_len(0);
        #[cfg(not(windows))]
        truncated.unwrap_or_else(|e| panic!("cannot truncate {}: {e}", path.display()));
        #[cfg(windows)]
        drop(truncated);
    }
}

#[test]
fn a_journal_truncated_behind_the_trackers_back_falls_back_to_pwrite_and_loses_nothing() {
    let log = support::log::listen(Level::Warn);
    let collector = Collector::start(SECRET);
    let (_dir, db) = temp_db();
    let tracker = Tracker::new(support::with(config(&collector.url(), &db), |c| {
        c.queue_size = 1_000_000;
    }))
    .unwrap();
    let db = tracker.database_path();
    track_n(&tracker, "BeforeTheCut", 3);
    // Persisted and delivered: both files are empty and mapped, the worker idle.
    tracker.flush(WAIT).unwrap();
    truncate_journals_from_outside(&db);
    // A store into the mapping of a truncated file would be SIGBUS: this process
    // would die here if the tracker did not notice.
    track_n(&tracker, "AfterTheCut", 3);
    truncate_journals_from_outside(&db);
    track_n(&tracker, "AfterTheSecondCut", 3);
    tracker.flush(WAIT).unwrap();
    drop(tracker);
    let mut nrs: Vec<u32> = collector.events().iter().map(|e| e.nr).collect();
    nrs.sort_unstable();
    assert_eq!(
        nrs,
        (1..=9).collect::<Vec<_>>(),
        "every event, numbered without gaps"
    );
    let journal = format!("{}.journal", db.display());
    let warned = log
        .messages()
        .iter()
        .any(|m| m.contains(&journal) && m.contains("truncated") && m.contains("pwrite"));
    assert!(warned || cfg!(windows), "no warning: {:?}", log.messages());
}
