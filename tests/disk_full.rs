//! A disk that fills up and then has space again (issue 21, item 7): while it is full
//! flushes fail with `STORAGE` and send nothing twice; events tracked meanwhile wait
//! in the journal; once there is space delivery resumes, every event once, and the
//! next start sends nothing again.

#![cfg(unix)] // a tiny tmpfs; there is no small volume to fill under Wine here

mod support;

use std::io::Write as _;
use std::path::Path;
use std::time::{Duration, Instant};

use hamustro::{ErrorKind, Tracker, TrackerConfig};
use support::collector::Collector;
use support::tiny_fs::with_tiny_filesystem;
use support::{config, SECRET, WAIT};

/// Writes a file in `dir` until the disk is full; returns its path.
fn fill(dir: &Path) -> std::path::PathBuf {
    let filler = dir.join("filler");
    let mut file = std::fs::File::create(&filler).unwrap();
    let block = vec![0x55u8; 4096];
    while file.write_all(&block).is_ok() {}
    let _ = file.sync_all();
    filler
}

fn wait_until(what: &str, done: impl Fn() -> bool) {
    let started = Instant::now();
    while !done() {
        assert!(started.elapsed() < WAIT, "timed out waiting until {what}");
        std::thread::sleep(Duration::from_millis(10));
    }
}

/// Each number once, none missing: `(1..=n)`.
fn numbers(collector: &Collector) -> Vec<u32> {
    let mut nrs: Vec<u32> = collector.events().iter().map(|e| e.nr).collect();
    nrs.sort_unstable();
    nrs
}

#[test]
fn delivery_resumes_once_a_full_disk_has_space_and_nothing_is_sent_twice() {
    with_tiny_filesystem("8m", |dir| {
        let db = dir.join("events.db");
        let collector = Collector::start(SECRET);
        let tracker = Tracker::new(TrackerConfig {
            queue_size: 1_000_000,
            ..config(&collector.url(), &db)
        })
        .unwrap();
        let pad = "p".repeat(1000);
        let track = |n: usize| {
            for i in 0..n {
                tracker
                    .track_event("Event", &[("i", i.to_string()), ("pad", pad.clone())])
                    .unwrap();
            }
        };
        // A first delivery: from now on nothing is sent before a flush.
        track(1);
        tracker.flush(WAIT).unwrap();
        track(300);
        wait_until("the events are in the store", || {
            tracker.stats().unwrap().queued == 300
        });

        let filler = fill(dir);
        // Whatever was sent while the disk is full was sent once.
        let mut failures = Vec::new();
        for _ in 0..3 {
            if let Err(error) = tracker.flush(WAIT) {
                assert_eq!(error.kind(), ErrorKind::Storage, "{error}");
                failures.push(error.to_string());
            }
        }
        let mut sent = numbers(&collector);
        let all = sent.len();
        sent.dedup();
        assert_eq!(sent.len(), all, "a batch was sent twice ({failures:?})");

        // Tracked while the disk is full: they wait in the (preallocated) journal.
        track(600);
        std::fs::remove_file(filler).unwrap();
        tracker.flush(WAIT).unwrap_or_else(|error| {
            panic!("delivery did not resume once there was space: {error} (before: {failures:?})")
        });
        assert_eq!(
            tracker.stats().unwrap().queued,
            0,
            "delivered events are still queued"
        );
        assert_eq!(numbers(&collector), (1..=901).collect::<Vec<_>>());
        drop(tracker);
        // Nothing delivered comes back on the next start.
        let tracker = Tracker::new(config(&collector.url(), &db)).unwrap();
        tracker.flush(WAIT).unwrap();
        assert_eq!(collector.events().len(), 901);
    });
}
