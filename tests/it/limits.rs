//! Every limit is checked where a value comes in and named in its error, and a value
//! stored by an older version beyond a limit is dropped with a log message rather than
//! poisoning every event.

use crate::support;

use base64::Engine as _;
use hamustro::internals::wire::{Parameter, Payload};
use hamustro::log::Level;
use hamustro::{ErrorKind, Tracker};
use prost::Message as _;
use support::collector::Collector;
use support::{config, refused_url, sqlite, temp_db, track_n, SECRET, WAIT};

#[test]
fn a_stored_setting_too_large_for_any_event_is_dropped_and_tracking_goes_on() {
    let log = support::log::listen(Level::Debug);
    let collector = Collector::start(SECRET);
    let (_dir, db) = temp_db();
    drop(Tracker::new(config(&refused_url(), &db)).unwrap());
    // What an older version or a hand-edited file could hold.
    let huge = Payload {
        parameters: vec![Parameter {
            name: "blob".into(),
            value: "x".repeat(300 * 1024),
        }],
        ..Payload::default()
    };
    let encoded = base64::engine::general_purpose::STANDARD.encode(huge.encode_to_vec());
    let conn = sqlite(&db);
    conn.execute(
        "INSERT OR REPLACE INTO settings(key, value) VALUES ('global_parameters', ?1)",
        [&encoded],
    )
    .unwrap();
    conn.execute(
        "INSERT OR REPLACE INTO settings(key, value) VALUES ('user_id', ?1)",
        ["u".repeat(100 * 1024)],
    )
    .unwrap();
    drop(conn);

    let tracker = Tracker::new(config(&collector.url(), &db)).unwrap();
    tracker
        .track_event("AfterPoison", &[("k", "v")])
        .expect("a stored setting must not block tracking");
    tracker.flush(WAIT).unwrap();
    let events = collector.events();
    assert_eq!(events.len(), 1);
    assert_eq!(events[0].user_id, None);
    assert_eq!(events[0].param("blob"), None);
    let dropped: Vec<_> = log
        .naming(&db)
        .into_iter()
        .filter(|m| m.contains("dropped"))
        .collect();
    assert_eq!(dropped.len(), 2, "{dropped:?}");
}

#[test]
fn settings_are_checked_against_the_event_limit_when_set() {
    let (_dir, db) = temp_db();
    let tracker = Tracker::new(config(&refused_url(), &db)).unwrap();
    let big = "x".repeat(40 * 1024);
    tracker.set_global_parameter("first", Some(&big)).unwrap();
    for error in [
        tracker.set_global_parameter("second", Some(&big)),
        tracker.set_user(Some(&big), None),
        tracker.set_user(None, Some(&big)),
    ] {
        let error = error.unwrap_err();
        assert_eq!(error.kind(), ErrorKind::InvalidArgument);
        assert!(error.message().contains("65536"), "{error}");
    }
    // Replacing the large one with a small one is fine, and so is tracking.
    tracker
        .set_global_parameter("first", Some("small"))
        .unwrap();
    tracker.set_user(Some("tenant"), Some(&big)).unwrap();
    track_n(&tracker, "Fits", 1);
}

#[test]
fn every_limit_is_named_in_its_error() {
    let (_dir, db) = temp_db();
    let tracker = Tracker::new(config(&refused_url(), &db)).unwrap();
    let named = |result: hamustro::Result<()>, limit: &str| {
        let error = result.unwrap_err();
        assert_eq!(error.kind(), ErrorKind::InvalidArgument);
        assert!(error.message().contains(limit), "{limit} not in {error}");
    };
    named(
        tracker.track_event(&"n".repeat(1025), &[] as &[(&str, &str)]),
        "1024 bytes",
    );
    named(
        tracker.track_event("Big", &[("pad", "x".repeat(300 * 1024))]),
        "262144",
    );
    let value = "v".repeat(9 * 1024);
    named(
        tracker.set_headers(&[("X-A", value.as_str()), ("X-B", value.as_str())]),
        "16384",
    );
    named(
        tracker.set_headers(&[("Host", "elsewhere")]),
        "x-hamustro-signature",
    );
    let long = "d".repeat(1025);
    named(
        support::with(config(&refused_url(), &db), |c| c.device_model = Some(long)).validate(),
        "1024 bytes",
    );
}
