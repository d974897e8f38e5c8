//! The tracker's delivery rules, end to end against the test collector.

use crate::support;

use std::net::TcpListener;
use std::time::{Duration, Instant};

use hamustro::{ErrorKind, PayloadFormat, Tracker};
use support::collector::{session_of, Collector, Reply};
use support::{config, refused_url, temp_db, track_n, SECRET, WAIT};

const SHORT: Duration = Duration::from_millis(300);

#[test]
fn tracked_events_arrive_with_everything_the_spec_fills_in() {
    let collector = Collector::start(SECRET);
    let (_dir, db) = temp_db();
    let tracker = Tracker::new(support::with(config(&collector.url(), &db), |c| {
        c.country = Some("HU".into());
        c.device_model = Some("Pixel".into());
    }))
    .unwrap();
    tracker.set_user(Some("tenant"), Some("user")).unwrap();
    tracker
        .track_event("Checkout.Completed", &[("items", "3"), ("total", "9.99")])
        .unwrap();
    tracker
        .track_event("App.Closed", &[] as &[(&str, &str)])
        .unwrap();
    tracker.flush(WAIT).unwrap();

    let events = collector.events();
    assert_eq!(events.len(), 2);
    let first = &events[0];
    assert_eq!(first.event, "Checkout.Completed");
    assert_eq!(
        first.params,
        [
            ("items".into(), "3".into()),
            ("total".into(), "9.99".into())
        ]
    );
    assert_eq!((first.nr, events[1].nr), (1, 2));
    assert_eq!(first.tenant_id.as_deref(), Some("tenant"));
    assert_eq!(first.user_id.as_deref(), Some("user"));
    assert_eq!(first.country.as_deref(), Some("HU"));
    let now = std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .unwrap()
        .as_secs();
    assert!(first.at.abs_diff(now) < 60, "at is epoch seconds");
    let tz = first.timezone.as_deref().unwrap();
    assert!(tz.len() == 6 && (tz.starts_with('+') || tz.starts_with('-')) && &tz[3..4] == ":");
    let header = &first.collection_header;
    // sha256("device-1"), computed with `printf device-1 | sha256sum`.
    assert_eq!(
        header.device_id,
        "03204de92e11fc8c528139be419065920eb83dbff1a4663bbea455aa6e9702bd"
    );
    assert_eq!(header.device_model.as_deref(), Some("Pixel"));
    assert_eq!(header.session, session_of(header));
    assert_eq!(tracker.queued(), 0);
}

#[test]
fn json_and_protobuf_are_both_accepted() {
    for (format, content_type) in [
        (PayloadFormat::Protobuf, "application/protobuf"),
        (PayloadFormat::Json, "application/json"),
    ] {
        let collector = Collector::start(SECRET);
        let (_dir, db) = temp_db();
        let tracker = Tracker::new(support::with(config(&collector.url(), &db), |c| {
            c.payload_format = format;
            c.system = Some("Linux \"quoted\" \\ é".into());
        }))
        .unwrap();
        tracker
            .track_event("E", &[("text", "line\nbreak \u{1} \"q\"")])
            .unwrap();
        tracker.flush(WAIT).unwrap();
        let received = collector.collections();
        assert_eq!(received.len(), 1, "{format:?}");
        assert_eq!(received[0].content_type, content_type);
        let event = &collector.events()[0];
        assert_eq!(event.param("text"), Some("line\nbreak \u{1} \"q\""));
        assert_eq!(
            event.collection_header.system.as_deref(),
            Some("Linux \"quoted\" \\ é")
        );
    }
}

#[test]
fn non_200_keeps_events_and_200_deletes_exactly_them() {
    let collector = Collector::start(SECRET);
    let (_dir, db) = temp_db();
    let tracker = Tracker::new(config(&collector.url(), &db)).unwrap();
    collector.set_default_reply(Reply::Status(500));
    track_n(&tracker, "Kept", 3);
    let error = tracker.flush(WAIT).unwrap_err();
    assert_eq!(error.kind(), ErrorKind::Network);
    assert!(error.message().contains("500"), "{error}");
    assert_eq!(tracker.queued(), 3);
    assert!(collector.events().is_empty());

    collector.set_default_reply(Reply::Validate);
    tracker.flush(WAIT).unwrap();
    assert_eq!(tracker.queued(), 0);
    let nrs: Vec<u32> = collector.events().iter().map(|e| e.nr).collect();
    assert_eq!(nrs, [1, 2, 3]);

    // Nothing is left to send: a restart and a flush make no request at all.
    drop(tracker);
    let requests = collector.requests().len();
    let tracker = Tracker::new(config(&collector.url(), &db)).unwrap();
    tracker.flush(WAIT).unwrap();
    assert_eq!(
        collector.requests().len(),
        requests,
        "never an empty collection"
    );
}

#[test]
fn rejected_requests_keep_events_and_name_the_reason() {
    let collector = Collector::start("another-secret");
    let (_dir, db) = temp_db();
    let tracker = Tracker::new(config(&collector.url(), &db)).unwrap();
    tracker.track_event("E", &[("k", "v")]).unwrap();
    let error = tracker.flush(WAIT).unwrap_err();
    assert_eq!(error.kind(), ErrorKind::Rejected);
    assert!(error.message().contains("405"), "{error}");
    assert!(!error.message().contains(SECRET), "no secret in messages");
    assert_eq!(tracker.queued(), 1);
}

#[test]
fn nr_continues_after_restart_and_unsent_events_go_out() {
    let collector = Collector::start(SECRET);
    let (_dir, db) = temp_db();
    {
        let offline = Tracker::new(config(&refused_url(), &db)).unwrap();
        offline.set_user(None, Some("persisted-user")).unwrap();
        track_n(&offline, "Offline", 3);
        assert_eq!(offline.flush(WAIT).unwrap_err().kind(), ErrorKind::Network);
    }
    let tracker = Tracker::new(config(&collector.url(), &db)).unwrap();
    // The backlog goes out by itself: never synced counts as "retention passed".
    assert!(
        collector.wait_for_events(3, WAIT),
        "unsent events were not delivered"
    );
    tracker
        .track_event("Online", &[] as &[(&str, &str)])
        .unwrap();
    tracker.flush(WAIT).unwrap();
    let events = collector.events();
    let nrs: Vec<u32> = events.iter().map(|e| e.nr).collect();
    assert_eq!(nrs, [1, 2, 3, 4]);
    assert!(events
        .iter()
        .all(|e| e.user_id.as_deref() == Some("persisted-user")));
}

#[test]
fn an_older_sessions_events_go_out_as_that_session() {
    let collector = Collector::start(SECRET);
    let (_dir, db) = temp_db();
    {
        let old = Tracker::new(support::with(config(&refused_url(), &db), |c| {
            c.product_version = "1.0.0".into();
        }))
        .unwrap();
        track_n(&old, "Old", 2);
    }
    let new = Tracker::new(config(&collector.url(), &db)).unwrap();
    track_n(&new, "New", 2);
    new.flush(WAIT).unwrap();

    let events = collector.events();
    assert_eq!(events.len(), 4);
    for event in &events {
        let version = &event.collection_header.product_version;
        let expected = if event.event == "Old" {
            "1.0.0"
        } else {
            "2.0.0"
        };
        assert_eq!(version, expected);
        assert_eq!(event.session, session_of(&event.collection_header));
    }
    let sessions: std::collections::HashSet<_> = events.iter().map(|e| &e.session).collect();
    assert_eq!(sessions.len(), 2);
    // Each session numbers its own events from 1, and each request holds one session.
    assert!(events.iter().all(|e| e.nr <= 2));
    assert!(collector.collections().iter().all(|c| c
        .collection
        .payloads
        .iter()
        .all(|p| p.event == c.collection.payloads[0].event)));
}

#[test]
fn extra_headers_arrive_and_reserved_ones_are_refused() {
    let collector = Collector::start(SECRET);
    let (_dir, db) = temp_db();
    let tracker = Tracker::new(config(&collector.url(), &db)).unwrap();
    tracker
        .set_headers(&[("X-Api-Key", "k1"), ("X-Team", "games")])
        .unwrap();
    let error = tracker
        .set_headers(&[("X-Hamustro-Signature", "forged")])
        .unwrap_err();
    assert_eq!(error.kind(), ErrorKind::InvalidArgument);
    // Headers that change how HTTP itself behaves (Expect: 100-continue made every
    // request wait a second for an interim answer), and values with C1 controls or
    // Unicode line separators, are refused like the protocol's own.
    for (name, value) in [
        ("Expect", "100-continue"),
        ("TE", "trailers"),
        ("Upgrade", "h2c"),
        ("Keep-Alive", "timeout=5"),
        ("Trailer", "X-Sum"),
        ("Proxy-Authorization", "Basic eDp5"),
        ("X-Next-Line", "a\u{85}b"),
        ("X-Line-Separator", "a\u{2028}b"),
        ("X-Paragraph", "a\u{2029}b"),
        ("X-C1", "\u{9f}"),
    ] {
        let error = tracker.set_headers(&[(name, value)]).unwrap_err();
        assert_eq!(error.kind(), ErrorKind::InvalidArgument, "{name}");
    }
    tracker
        .set_headers(&[("X-Api-Key", "k1"), ("X-Team", "jötük \u{1f3ae}")])
        .unwrap();
    tracker.track_event("E", &[] as &[(&str, &str)]).unwrap();
    let started = Instant::now();
    tracker.flush(WAIT).unwrap();
    assert!(started.elapsed() < Duration::from_millis(900));
    let request = &collector.requests()[0];
    assert_eq!(request.header("x-api-key"), Some("k1"));
    assert!(request.header("x-team").is_some());
    assert_eq!(request.header("expect"), None);
}

#[test]
fn flush_with_a_refused_connection_fails_fast_with_a_network_error() {
    let (_dir, db) = temp_db();
    let tracker = Tracker::new(config(&refused_url(), &db)).unwrap();
    tracker.track_event("E", &[] as &[(&str, &str)]).unwrap();
    let error = tracker.flush(WAIT).unwrap_err();
    assert_eq!(error.kind(), ErrorKind::Network);
    assert_eq!(tracker.queued(), 1);
    // Closing after a failed flush returns (a deadlock here once hung free forever).
    let (done, closed) = std::sync::mpsc::channel();
    std::thread::spawn(move || {
        drop(tracker);
        let _ = done.send(());
    });
    assert!(
        closed.recv_timeout(WAIT).is_ok(),
        "close hung after a failed flush"
    );
}

#[test]
fn flush_with_a_silent_collector_times_out_in_time() {
    // Accepts connections but never answers.
    let listener = TcpListener::bind("127.0.0.1:0").unwrap();
    let url = format!("http://{}", listener.local_addr().unwrap());
    let (_dir, db) = temp_db();
    let tracker = Tracker::new(support::with(config(&url, &db), |c| {
        c.request_timeout = Duration::from_secs(2);
    }))
    .unwrap();
    tracker.track_event("E", &[] as &[(&str, &str)]).unwrap();
    let started = Instant::now();
    let error = tracker.flush(SHORT).unwrap_err();
    assert_eq!(error.kind(), ErrorKind::Timeout);
    assert!(started.elapsed() < SHORT + Duration::from_secs(1));
    // Closing waits for the request in flight, bounded by the request timeout.
    let started = Instant::now();
    drop(tracker);
    assert!(started.elapsed() < Duration::from_secs(2) + Duration::from_secs(2));
    drop(listener);
}

#[test]
fn queue_size_triggers_delivery_without_flush() {
    let collector = Collector::start(SECRET);
    let (_dir, db) = temp_db();
    let tracker = Tracker::new(support::with(config(&collector.url(), &db), |c| {
        c.queue_size = 5;
    }))
    .unwrap();
    tracker
        .track_event("First", &[] as &[(&str, &str)])
        .unwrap();
    tracker.flush(WAIT).unwrap();
    track_n(&tracker, "Batched", 4);
    assert!(
        !collector.wait_for_requests(2, SHORT),
        "sent before queue_size"
    );
    track_n(&tracker, "Batched", 1);
    assert!(
        collector.wait_for_events(6, WAIT),
        "queue_size did not trigger"
    );
}

#[test]
fn retention_triggers_delivery_without_flush() {
    let collector = Collector::start(SECRET);
    let (_dir, db) = temp_db();
    let tracker = Tracker::new(support::with(config(&collector.url(), &db), |c| {
        c.queue_size = 1000;
        c.queue_retention_minutes = 0;
    }))
    .unwrap();
    tracker
        .track_event("First", &[] as &[(&str, &str)])
        .unwrap();
    tracker.flush(WAIT).unwrap();
    tracker
        .track_event("Second", &[] as &[(&str, &str)])
        .unwrap();
    assert!(
        collector.wait_for_events(2, WAIT),
        "retention did not trigger"
    );
}

#[test]
fn a_failing_collector_is_not_hit_on_every_track() {
    let collector = Collector::start(SECRET);
    collector.set_default_reply(Reply::Status(500));
    let (_dir, db) = temp_db();
    let tracker = Tracker::new(support::with(config(&collector.url(), &db), |c| {
        c.queue_size = 1;
    }))
    .unwrap();
    tracker.track_event("E", &[] as &[(&str, &str)]).unwrap();
    assert!(collector.wait_for_requests(1, WAIT));
    track_n(&tracker, "E", 20);
    assert!(
        !collector.wait_for_requests(2, SHORT),
        "retried during backoff: {} requests",
        collector.requests().len()
    );
    assert!(tracker.last_error().unwrap().message().contains("500"));
}

#[test]
fn delivery_resumes_by_itself_honouring_retry_after() {
    let collector = Collector::start(SECRET);
    collector.script([Reply::StatusRetryAfter(503, 2)]);
    let (_dir, db) = temp_db();
    let tracker = Tracker::new(config(&collector.url(), &db)).unwrap();
    tracker.track_event("E", &[] as &[(&str, &str)]).unwrap();
    assert!(collector.wait_for_requests(1, WAIT));
    let failed_at = Instant::now();
    assert!(collector.wait_for_events(1, WAIT), "no retry after 503");
    assert!(
        failed_at.elapsed() >= Duration::from_millis(1900),
        "Retry-After ignored"
    );
}

#[test]
fn a_long_backlog_goes_out_in_bounded_requests() {
    let collector = Collector::start(SECRET);
    let (_dir, db) = temp_db();
    {
        let offline = Tracker::new(config(&refused_url(), &db)).unwrap();
        track_n(&offline, "Backlog", 2500);
    }
    let tracker = Tracker::new(config(&collector.url(), &db)).unwrap();
    tracker.flush(WAIT).unwrap();
    let sizes: Vec<usize> = collector
        .collections()
        .iter()
        .map(|c| c.collection.payloads.len())
        .collect();
    assert_eq!(sizes.iter().sum::<usize>(), 2500);
    assert!(
        sizes.len() >= 3 && sizes.iter().all(|&n| n <= 1000),
        "{sizes:?}"
    );
    let mut nrs: Vec<u32> = collector.events().iter().map(|e| e.nr).collect();
    nrs.sort_unstable();
    assert_eq!(nrs, (1..=2500).collect::<Vec<_>>());
}

#[test]
fn one_database_serves_one_tracker_at_a_time() {
    let (_dir, db) = temp_db();
    let url = refused_url();
    let first = Tracker::new(config(&url, &db)).unwrap();
    let error = Tracker::new(config(&url, &db)).err().unwrap();
    assert_eq!(error.kind(), ErrorKind::Storage);
    assert!(error.message().contains("in use"), "{error}");
    drop(first);
    Tracker::new(config(&url, &db)).unwrap();
}

#[test]
fn bad_events_are_refused_with_a_reason() {
    let (_dir, db) = temp_db();
    let tracker = Tracker::new(config(&refused_url(), &db)).unwrap();
    let none: &[(&str, &str)] = &[];
    for (name, params) in [
        ("", none),
        (&"x".repeat(2000)[..], none),
        ("E", &[("", "v")][..]),
    ] {
        let error = tracker.track_event(name, params).unwrap_err();
        assert_eq!(error.kind(), ErrorKind::InvalidArgument);
    }
    let huge = "v".repeat(300 * 1024);
    let error = tracker
        .track_event("E", &[("big", huge.as_str())])
        .unwrap_err();
    assert!(error.message().contains("limit"), "{error}");
    assert_eq!(tracker.queued(), 0);
}

/// Four threads track a burst of 6 MB, past the journal's 1 MiB mapping and the 1 MiB
/// it keeps in memory: records go on with `pwrite` and into the file alone, each
/// thread's size check racing the others' growth of the file. Every event arrives.
#[test]
fn a_burst_from_many_threads_past_the_journals_mapping_and_memory_loses_nothing() {
    let collector = Collector::start(SECRET);
    let (_dir, db) = temp_db();
    let tracker = Tracker::new(config(&collector.url(), &db)).unwrap();
    let padding = "p".repeat(1000);
    std::thread::scope(|scope| {
        for _ in 0..4 {
            scope.spawn(|| {
                for i in 0..1500 {
                    let i = i.to_string();
                    tracker
                        .track_event("Burst", &[("i", i.as_str()), ("pad", &padding)])
                        .unwrap();
                }
            });
        }
    });
    tracker.flush(WAIT).unwrap();
    let mut nrs: Vec<u32> = collector.events().iter().map(|e| e.nr).collect();
    nrs.sort_unstable();
    assert_eq!(nrs, (1..=6000).collect::<Vec<_>>());
    assert_eq!(tracker.stats().unwrap().queued, 0);
}

#[test]
fn events_tracked_from_many_threads_get_unique_gap_free_numbers() {
    let collector = Collector::start(SECRET);
    let (_dir, db) = temp_db();
    let tracker = Tracker::new(support::with(config(&collector.url(), &db), |c| {
        c.queue_size = 50;
    }))
    .unwrap();
    std::thread::scope(|scope| {
        for _ in 0..8 {
            scope.spawn(|| track_n(&tracker, "Threaded", 100));
        }
    });
    tracker.flush(WAIT).unwrap();
    let mut nrs: Vec<u32> = collector.events().iter().map(|e| e.nr).collect();
    nrs.sort_unstable();
    assert_eq!(nrs, (1..=800).collect::<Vec<_>>());
}
