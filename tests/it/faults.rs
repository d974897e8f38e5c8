//! Delivery through collector and network faults: a connection dropped before or after
//! the collector stored the events, an answer slower than the request timeout, a
//! collector that never answers, refused connections while it is down, 4xx answers.
//! In each, delivery resumes by itself (no flush), nothing is lost, and a batch arrives
//! twice only when the collector stored it and the tracker never saw the 200.
//!
//! Retries wait at least `backoff::INITIAL_DELAY / 2` after a failure, so each test
//! here takes about a second per failure it provokes.

use crate::support;

use std::path::Path;
use std::thread;
use std::time::{Duration, Instant};

use hamustro::internals::backoff::{INITIAL_DELAY, MAX_DELAY};
use hamustro::{ErrorKind, Tracker};
use support::collector::{Collector, Reply};
use support::{config, temp_db, track_n, SECRET, WAIT};

/// Short, so that a hanging or slow collector is given up on quickly.
const REQUEST_TIMEOUT: Duration = Duration::from_millis(500);
/// Scheduling and request time on top of a backoff delay, on a loaded machine.
const SLACK: Duration = Duration::from_millis(400);

/// A tracker that has already delivered one event ("Warmup", nr 1), so that from now
/// on delivery starts when `queue_size` (3) events are queued, as in a running app:
/// each `track_n(.., 3)` then makes exactly one batch.
fn synced_tracker(collector: &Collector, db: &Path, timeout: Duration) -> Tracker {
    let tracker = Tracker::new(support::with(config(&collector.url(), db), |c| {
        c.queue_size = 3;
        c.request_timeout = timeout;
    }))
    .unwrap();
    tracker
        .track_event("Warmup", &[] as &[(&str, &str)])
        .unwrap();
    tracker.flush(WAIT).unwrap();
    tracker
}

/// The `nr`s of each accepted request, in arrival order.
fn batches(collector: &Collector) -> Vec<Vec<u32>> {
    collector
        .collections()
        .iter()
        .map(|c| c.collection.payloads.iter().map(|p| p.nr).collect())
        .collect()
}

/// (status, dropped) of each request, in arrival order.
fn outcomes(collector: &Collector) -> Vec<(u16, bool)> {
    collector
        .requests()
        .iter()
        .map(|r| (r.status, r.dropped))
        .collect()
}

/// Waits until `done` holds, checking every few milliseconds; panics after `WAIT`.
fn wait_until(what: &str, done: impl Fn() -> bool) {
    let deadline = Instant::now() + WAIT;
    while !done() {
        assert!(Instant::now() < deadline, "timed out waiting until {what}");
        thread::sleep(Duration::from_millis(5));
    }
}

#[test]
fn a_connection_dropped_before_storing_loses_nothing_and_sends_nothing_twice() {
    let collector = Collector::start(SECRET);
    let (_dir, db) = temp_db();
    let tracker = synced_tracker(&collector, &db, REQUEST_TIMEOUT);
    collector.script([Reply::ResetBeforeStore]);
    track_n(&tracker, "E", 3);

    assert!(
        collector.wait_for_events(4, WAIT),
        "delivery did not resume"
    );
    assert_eq!(batches(&collector), [vec![1], vec![2, 3, 4]]);
    assert_eq!(
        outcomes(&collector),
        [(200, false), (0, true), (200, false)]
    );
    assert_eq!(tracker.last_error().unwrap().kind(), ErrorKind::Network);
}

#[test]
fn a_reply_lost_after_storing_resends_exactly_that_batch() {
    let collector = Collector::start(SECRET);
    let (_dir, db) = temp_db();
    let tracker = synced_tracker(&collector, &db, REQUEST_TIMEOUT);
    collector.script([Reply::ResetAfterStore]);
    track_n(&tracker, "E", 3);
    assert!(
        collector.wait_for_events(7, WAIT),
        "delivery did not resume"
    );
    wait_until("the resent batch is deleted", || tracker.queued() == 0);
    track_n(&tracker, "E", 3);
    assert!(collector.wait_for_events(10, WAIT));

    assert_eq!(
        batches(&collector),
        [vec![1], vec![2, 3, 4], vec![2, 3, 4], vec![5, 6, 7]],
        "only the batch whose reply was lost arrives twice"
    );
    assert_eq!(
        outcomes(&collector),
        [(200, false), (200, true), (200, false), (200, false)]
    );
}

#[test]
fn an_answer_slower_than_the_request_timeout_resends_that_batch_and_only_that() {
    let collector = Collector::start(SECRET);
    let (_dir, db) = temp_db();
    let tracker = synced_tracker(&collector, &db, REQUEST_TIMEOUT);
    let slow_but_in_time = REQUEST_TIMEOUT / 4;
    let too_slow = REQUEST_TIMEOUT * 6;
    collector.script([Reply::slow(slow_but_in_time), Reply::slow(too_slow)]);
    track_n(&tracker, "E", 3);
    assert!(collector.wait_for_events(4, WAIT));
    wait_until("the slow batch is deleted", || tracker.queued() == 0);
    track_n(&tracker, "E", 3);
    assert!(
        collector.wait_for_events(10, WAIT),
        "delivery did not resume"
    );

    assert_eq!(
        batches(&collector),
        [vec![1], vec![2, 3, 4], vec![5, 6, 7], vec![5, 6, 7]],
        "only the batch answered after the timeout arrives twice"
    );
    let delays: Vec<_> = collector.requests().iter().map(|r| r.delay).collect();
    assert_eq!(delays, [None, Some(slow_but_in_time), Some(too_slow), None]);
    assert_eq!(tracker.last_error().unwrap().kind(), ErrorKind::Network);
}

#[test]
fn a_collector_that_never_answers_is_given_up_on_and_delivery_resumes() {
    let collector = Collector::start(SECRET);
    let (_dir, db) = temp_db();
    let tracker = synced_tracker(&collector, &db, REQUEST_TIMEOUT);
    collector.script([Reply::Hang]);
    track_n(&tracker, "E", 3);

    assert!(
        collector.wait_for_events(4, WAIT),
        "delivery did not resume"
    );
    assert_eq!(batches(&collector), [vec![1], vec![2, 3, 4]]);
    assert_eq!(
        outcomes(&collector),
        [(200, false), (0, true), (200, false)]
    );
    let error = tracker.last_error().unwrap();
    assert_eq!(error.kind(), ErrorKind::Network, "{error}");
}

#[test]
fn refused_connections_keep_events_until_the_collector_comes_back() {
    let collector = Collector::start(SECRET);
    let port = collector.port();
    let (_dir, db) = temp_db();
    let tracker = synced_tracker(&collector, &db, REQUEST_TIMEOUT);
    drop(collector);

    // Nothing listens on the port now.
    track_n(&tracker, "E", 3);
    wait_until("the failure is reported", || tracker.last_error().is_some());
    let error = tracker.last_error().unwrap();
    assert_eq!(error.kind(), ErrorKind::Network, "{error}");
    assert_eq!(tracker.queued(), 3);

    let collector = Collector::restart_on(port, SECRET).unwrap();
    assert!(
        collector.wait_for_events(3, WAIT),
        "delivery did not resume when the collector came back"
    );
    assert_eq!(batches(&collector), [vec![2, 3, 4]]);
    wait_until("the batch is deleted", || tracker.queued() == 0);
}

#[test]
fn rejected_requests_keep_their_events_and_are_retried_later() {
    let collector = Collector::start(SECRET);
    let (_dir, db) = temp_db();
    let tracker = synced_tracker(&collector, &db, REQUEST_TIMEOUT);
    collector.script([Reply::Status(400), Reply::Status(405)]);
    track_n(&tracker, "E", 3);

    assert!(collector.wait_for_requests(3, WAIT));
    wait_until("the 405 is reported", || {
        tracker
            .last_error()
            .is_some_and(|e| e.message().contains("405"))
    });
    assert_eq!(tracker.last_error().unwrap().kind(), ErrorKind::Rejected);
    assert_eq!(tracker.queued(), 3, "a 4xx keeps the events");

    assert!(
        collector.wait_for_events(4, WAIT),
        "delivery did not resume"
    );
    let statuses: Vec<u16> = collector.requests().iter().map(|r| r.status).collect();
    assert_eq!(statuses, [200, 400, 405, 200]);
    assert_eq!(batches(&collector), [vec![1], vec![2, 3, 4]]);
}

#[test]
fn waits_between_failed_attempts_grow_exponentially_within_jitter_and_are_bounded() {
    let collector = Collector::start(SECRET);
    let (_dir, db) = temp_db();
    let tracker = synced_tracker(&collector, &db, REQUEST_TIMEOUT);
    let failures = 3;
    collector.script(vec![Reply::Status(503); failures]);
    track_n(&tracker, "E", 3);

    // While waiting, the tracker shows why and for how long.
    assert!(collector.wait_for_requests(3, WAIT));
    wait_until("the second failure is counted", || {
        tracker.stats().unwrap().consecutive_failures == 2
    });
    let stats = tracker.stats().unwrap();
    assert!(stats.last_error.unwrap().message().contains("503"));
    let next = stats.next_retry_in.expect("a retry is scheduled");
    assert!(next <= INITIAL_DELAY * 2 && next <= MAX_DELAY, "{next:?}");

    assert!(
        collector.wait_for_events(4, Duration::from_secs(15)),
        "delivery did not resume"
    );
    assert_eq!(batches(&collector), [vec![1], vec![2, 3, 4]]);
    let attempts: Vec<Instant> = collector.requests()[1..].iter().map(|r| r.at).collect();
    assert_eq!(attempts.len(), failures + 1);
    let mut ceiling = INITIAL_DELAY;
    for pair in attempts.windows(2) {
        let gap = pair[1] - pair[0];
        assert!(
            gap >= ceiling / 2 && gap <= ceiling + SLACK,
            "after a failure the wait should be in [{:?}, {ceiling:?}], was {gap:?}",
            ceiling / 2
        );
        assert!(gap <= MAX_DELAY + SLACK);
        ceiling = (ceiling * 2).min(MAX_DELAY);
    }
}
