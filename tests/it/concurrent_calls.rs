//! Calls from many threads at once: a tracker closed while other threads still hold
//! it releases its files and refuses their late calls, and concurrent switches leave
//! the stored switch and the tracker agreeing; a process started by another thread
//! never keeps a closed tracker's files held.

use crate::support;

use std::process::{Command, Stdio};
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{Arc, Barrier};

use hamustro::{ErrorKind, Tracker};
use support::{config, refused_url, sqlite, temp_db};

#[test]
fn close_releases_the_files_while_other_threads_still_hold_the_tracker() {
    let (_dir, db) = temp_db();
    for _ in 0..20 {
        let tracker = Arc::new(Tracker::new(config(&refused_url(), &db)).unwrap());
        let late_caller = Arc::clone(&tracker);
        tracker.close();
        // The other reference is alive, yet the database is free…
        let next = Tracker::new(config(&refused_url(), &db)).expect("the database is held");
        // …and the late call is refused, not run against closed files.
        let error = late_caller
            .track_event("Late", &[] as &[(&str, &str)])
            .unwrap_err();
        assert_eq!(error.kind(), ErrorKind::InvalidHandle);
        drop(next);
    }
}

#[test]
fn concurrent_switching_leaves_the_store_and_the_switch_agreeing() {
    let (_dir, db) = temp_db();
    let tracker = Arc::new(Tracker::new(config(&refused_url(), &db)).unwrap());
    let reader = sqlite(&db);
    for _ in 0..100 {
        let barrier = Arc::new(Barrier::new(4));
        let threads: Vec<_> = (0..4)
            .map(|i| {
                let (tracker, barrier) = (Arc::clone(&tracker), Arc::clone(&barrier));
                std::thread::spawn(move || {
                    barrier.wait();
                    tracker.set_enabled(i % 2 == 0).unwrap();
                })
            })
            .collect();
        for thread in threads {
            thread.join().unwrap();
        }
        let stored: String = reader
            .query_row(
                "SELECT CAST(value AS TEXT) FROM settings WHERE key = 'enabled'",
                [],
                |row| row.get(0),
            )
            .unwrap();
        assert_eq!(
            stored == "1",
            tracker.enabled(),
            "store and switch disagree"
        );
    }
}

/// A process the app starts shares the tracker's open files for a moment (between its
/// fork and its exec): a tracker closed in that moment must not leave its locks held.
#[test]
fn a_closed_trackers_files_are_free_at_once_while_the_app_starts_processes() {
    let starting = Arc::new(AtomicBool::new(true));
    let starter = {
        let starting = Arc::clone(&starting);
        std::thread::spawn(move || {
            while starting.load(Ordering::Relaxed) {
                let _ = Command::new(std::env::current_exe().unwrap())
                    .arg("--list")
                    .stdout(Stdio::null())
                    .status();
            }
        })
    };
    let (_dir, db) = temp_db();
    let refused = (0..100)
        .filter(|_| {
            let reopened = Tracker::new(config(&refused_url(), &db)).map(|tracker| tracker.close());
            reopened.is_err()
        })
        .count();
    starting.store(false, Ordering::Relaxed);
    starter.join().unwrap();
    assert_eq!(
        refused, 0,
        "of 100 reopens right after close, {refused} refused"
    );
}
