//! A disk that fills up and then has space again (issue 21, item 7): while it is full
//! flushes fail with `STORAGE` and send nothing twice; events tracked meanwhile wait
//! in the journal; space freed goes first to deleting what the collector already has;
//! once there is space delivery resumes, every event once, and the next start sends
//! nothing again. A batch whose deletion failed is sent again only by the next tracker,
//! and only if the disk was still full when the first one closed.

#![cfg(unix)] // a tiny tmpfs; there is no small volume to fill under Wine here

use crate::support;

use std::io::Write as _;
use std::path::{Path, PathBuf};
use std::sync::atomic::{AtomicBool, Ordering};
use std::time::{Duration, Instant};

use hamustro::{ErrorKind, Tracker};
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
        let tracker = Tracker::new(support::with(config(&collector.url(), &db), |c| {
            c.queue_size = 1_000_000;
        }))
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

/// Fills the disk of `dir` the moment the collector gets its next request: the
/// collector accepts the batch, and the tracker's deletion of it meets a full disk.
fn fill_at_next_request(collector: &Collector, dir: &Path) {
    let (armed, dir) = (AtomicBool::new(true), dir.to_path_buf());
    collector.on_request(Box::new(move |_| {
        if armed.swap(false, Ordering::SeqCst) {
            fill(&dir);
        }
    }));
}

/// Frees `bytes` of the disk by cutting the filler short.
fn free(filler: &Path, bytes: u64) {
    let file = std::fs::OpenOptions::new()
        .write(true)
        .open(filler)
        .unwrap();
    let len = file.metadata().unwrap().len();
    file.set_len(len.saturating_sub(bytes)).unwrap();
}

/// The numbers the collector received more than once, with how many times.
fn received_twice(collector: &Collector) -> Vec<(u32, usize)> {
    let mut counts = std::collections::BTreeMap::new();
    for event in collector.events() {
        *counts.entry(event.nr).or_insert(0) += 1;
    }
    counts.into_iter().filter(|&(_, n)| n > 1).collect()
}

/// Tracks up to `n` events of about 1 KiB; returns how many were accepted.
fn track_padded(tracker: &Tracker, n: usize) -> usize {
    let pad = "p".repeat(1000);
    (0..n)
        .take_while(|i| {
            tracker
                .track_event("Event", &[("i", i.to_string()), ("pad", pad.clone())])
                .is_ok()
        })
        .count()
}

/// A tracker holding 300 events the collector accepted (numbers 2 to 301) whose
/// deletion met a full disk, and the file that fills the disk.
fn accepted_but_not_deleted(collector: &Collector, db: &Path) -> (Tracker, PathBuf) {
    let tracker = Tracker::new(support::with(config(&collector.url(), db), |c| {
        c.queue_size = 1_000_000;
    }))
    .unwrap();
    // A first delivery: from now on nothing is sent before a flush.
    track_padded(&tracker, 1);
    tracker.flush(WAIT).unwrap();
    track_padded(&tracker, 300);
    let dir = db.parent().unwrap();
    fill_at_next_request(collector, dir);
    let error = tracker.flush(WAIT).unwrap_err();
    assert_eq!(error.kind(), ErrorKind::Storage, "{error}");
    assert!(
        error.message().contains("cannot delete delivered events"),
        "{error}"
    );
    assert_eq!(collector.events().len(), 301);
    assert_eq!(tracker.stats().unwrap().delivered, 1);
    (tracker, dir.join("filler"))
}

/// The outside run's sequence: the collector accepts a batch whose deletion meets a
/// full disk; 1 MiB is freed, and events tracked meanwhile would take all of it (each
/// persist a small transaction that fits, the WAL growing into the space). The
/// deletion must get the space first; before the fix it never did, and every attempt
/// failed ("cannot store events", or from a background delivery "cannot delete
/// delivered events") for as long as the disk stayed full.
#[test]
fn space_freed_on_a_full_disk_goes_to_deleting_what_the_collector_has() {
    with_tiny_filesystem("8m", |dir| {
        let db = dir.join("events.db");
        let collector = Collector::start(SECRET);
        let (tracker, filler) = accepted_but_not_deleted(&collector, &db);

        free(&filler, 1 << 20);
        let mut tracked = 301;
        for _ in 0..60 {
            tracked += track_padded(&tracker, 20);
            std::thread::sleep(Duration::from_millis(25));
        }
        let failures = std::cell::RefCell::new(Vec::new());
        wait_until("the events the collector has are deleted", || {
            if let Err(error) = tracker.flush(Duration::from_secs(1)) {
                failures.borrow_mut().push(error.to_string());
            }
            let delivered = tracker.stats().unwrap().delivered;
            assert!(delivered == 1 || delivered == 301, "{failures:?}");
            delivered == 301
        });
        assert_eq!(received_twice(&collector), [], "{failures:?}");

        std::fs::remove_file(&filler).unwrap();
        tracker.flush(WAIT).unwrap();
        assert_eq!(
            numbers(&collector),
            (1..=tracked as u32).collect::<Vec<_>>()
        );
        assert_eq!(tracker.stats().unwrap().queued, 0);
    });
}

/// A batch whose deletion failed is never sent again by the tracker that sent it,
/// however often it tries while the disk is full; closed after space was freed, it
/// deletes the batch; closed while the disk is still full, the next tracker sends the
/// batch once more, and no tracker after it does.
#[test]
fn a_batch_whose_deletion_failed_is_sent_again_at_most_once() {
    for free_before_closing in [true, false] {
        with_tiny_filesystem("8m", |dir| {
            let db = dir.join("events.db");
            let collector = Collector::start(SECRET);
            let (tracker, filler) = accepted_but_not_deleted(&collector, &db);
            for _ in 0..3 {
                assert!(tracker.flush(WAIT).is_err(), "the disk is still full");
            }
            assert_eq!(received_twice(&collector), [], "sent twice by one tracker");
            if free_before_closing {
                std::fs::remove_file(&filler).unwrap();
            }
            drop(tracker);
            let _ = std::fs::remove_file(&filler);
            for _ in 0..2 {
                let tracker = Tracker::new(config(&collector.url(), &db)).unwrap();
                tracker.flush(WAIT).unwrap();
            }
            let again = received_twice(&collector);
            if free_before_closing {
                assert_eq!(again, [], "deleted when the tracker closed");
            } else {
                assert_eq!(again, (2..=301).map(|nr| (nr, 2)).collect::<Vec<_>>());
            }
            assert_eq!(numbers_once(&collector), (1..=301).collect::<Vec<_>>());
        });
    }
}

/// Each number received, once.
fn numbers_once(collector: &Collector) -> Vec<u32> {
    let mut nrs = numbers(collector);
    nrs.dedup();
    nrs
}
