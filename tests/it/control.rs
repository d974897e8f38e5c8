//! What apps expect to control: opt-out, pseudonymous user ids, logging, statistics,
//! global parameters, the queue cap, OS detection.

use crate::support;

use std::ffi::{c_char, c_void, CStr, CString};
use std::sync::{mpsc, Arc, Mutex, OnceLock};

use hamustro::ffi::*;
use hamustro::log::Level;
use hamustro::{ErrorKind, Tracker};
use support::collector::{Collector, Reply};
use support::{config, refused_url, temp_db, track_n, SECRET, WAIT};

const NONE: &[(&str, &str)] = &[];

#[test]
fn opting_out_persists_and_stops_tracking_and_sending() {
    let collector = Collector::start(SECRET);
    let (_dir, db) = temp_db();
    {
        let tracker = Tracker::new(config(&collector.url(), &db)).unwrap();
        collector.set_default_reply(Reply::Status(503));
        track_n(&tracker, "BeforeOptOut", 2);
        tracker.set_enabled(false).unwrap();
        track_n(&tracker, "WhileDisabled", 3);
        assert_eq!(tracker.queued(), 2, "nothing is stored while disabled");
        let error = tracker.flush(WAIT).unwrap_err();
        assert_eq!(error.kind(), ErrorKind::Disabled);
    }
    collector.set_default_reply(Reply::Validate);
    let requests_before = collector.requests().len();
    let tracker = Tracker::new(config(&collector.url(), &db)).unwrap();
    assert!(!tracker.enabled(), "the opt-out survives a restart");
    assert_eq!(tracker.flush(WAIT).unwrap_err().kind(), ErrorKind::Disabled);
    assert_eq!(
        collector.requests().len(),
        requests_before,
        "nothing sent while disabled"
    );

    tracker.set_enabled(true).unwrap();
    tracker.flush(WAIT).unwrap();
    let names: Vec<String> = collector.events().iter().map(|e| e.event.clone()).collect();
    assert_eq!(names, ["BeforeOptOut", "BeforeOptOut"]);
}

#[test]
fn discarding_erases_the_queue_on_the_device() {
    let (_dir, db) = temp_db();
    let tracker = Tracker::new(config(&refused_url(), &db)).unwrap();
    for _ in 0..4 {
        tracker
            .track_event("Private", &[("secret-note", "erase-me-please")])
            .unwrap();
    }
    // Let the events reach SQLite first, so erasure has rows and WAL frames to clean.
    let _ = tracker.flush(WAIT);
    assert_eq!(tracker.discard_queued().unwrap(), 4);
    assert_eq!(tracker.queued(), 0);
    // The rows are overwritten, not just unlinked: nothing of them is left in any file.
    for suffix in ["", "-wal", ".journal0", ".journal1"] {
        let bytes = std::fs::read(format!("{}{suffix}", db.display())).unwrap_or_default();
        assert!(
            !contains(&bytes, b"erase-me-please"),
            "discarded event still in events.db{suffix}"
        );
    }
    drop(tracker);
    let tracker = Tracker::new(config(&refused_url(), &db)).unwrap();
    assert_eq!(tracker.queued(), 0);
}

#[test]
fn salted_user_ids_never_leave_the_device_raw() {
    let collector = Collector::start(SECRET);
    let (_dir, db) = temp_db();
    let raw = "alice@example.com";
    let tracker = Tracker::new(support::with(config(&collector.url(), &db), |c| {
        c.user_id_salt = Some("pepper".into());
    }))
    .unwrap();
    tracker.set_user(Some("tenant"), Some(raw)).unwrap();
    tracker.track_event("E", NONE).unwrap();
    let stored = std::fs::read(format!("{}-wal", db.display())).unwrap_or_default();
    let stored = [stored, std::fs::read(&db).unwrap()].concat();
    assert!(!contains(&stored, raw.as_bytes()), "raw user id on disk");
    tracker.flush(WAIT).unwrap();
    let expected = hamustro::internals::tracker::hash_user_id(raw, "pepper");
    assert_eq!(
        collector.events()[0].user_id.as_deref(),
        Some(expected.as_str())
    );
    assert_eq!(collector.events()[0].tenant_id.as_deref(), Some("tenant"));
}

#[test]
fn global_parameters_are_added_persisted_and_lose_to_the_events_own() {
    let collector = Collector::start(SECRET);
    let (_dir, db) = temp_db();
    {
        let tracker = Tracker::new(config(&collector.url(), &db)).unwrap();
        tracker.set_global_parameter("build", Some("42")).unwrap();
        tracker
            .set_global_parameter("store", Some("steam"))
            .unwrap();
        tracker.set_global_parameter("gone", Some("x")).unwrap();
        tracker.set_global_parameter("gone", None).unwrap();
    }
    let tracker = Tracker::new(config(&collector.url(), &db)).unwrap();
    tracker
        .track_event("A", &[("store", "epic"), ("own", "1")])
        .unwrap();
    tracker.clear_global_parameters().unwrap();
    tracker.track_event("B", NONE).unwrap();
    tracker.flush(WAIT).unwrap();
    let events = collector.events();
    let params = |i: usize| -> Vec<(String, String)> { events[i].params.clone() };
    let pair = |n: &str, v: &str| (n.to_string(), v.to_string());
    assert_eq!(
        params(0),
        [pair("build", "42"), pair("store", "epic"), pair("own", "1")]
    );
    assert!(params(1).is_empty());
}

#[test]
fn the_queue_cap_drops_the_oldest_and_stats_count_them() {
    let (_dir, db) = temp_db();
    let capped = |url: &str| support::with(config(url, &db), |c| c.max_queued_events = 10);
    {
        let offline = Tracker::new(capped(&refused_url())).unwrap();
        track_n(&offline, "Capped", 25);
    }
    {
        // The cap applies as events move from the journal into the store (within
        // milliseconds, and at the latest when the tracker closes).
        let offline = Tracker::new(capped(&refused_url())).unwrap();
        let stats = offline.stats().unwrap();
        assert_eq!((stats.queued, stats.dropped), (10, 15));
    }
    let collector = Collector::start(SECRET);
    let tracker = Tracker::new(capped(&collector.url())).unwrap();
    tracker.flush(WAIT).unwrap();
    let kept: Vec<String> = collector
        .events()
        .iter()
        .map(|e| e.param("i").unwrap().to_string())
        .collect();
    assert_eq!(kept, (15..25).map(|i| i.to_string()).collect::<Vec<_>>());
    assert_eq!(
        tracker.stats().unwrap().dropped,
        15,
        "the count is persisted"
    );
}

#[test]
fn stats_show_queue_failures_and_deliveries_through_the_c_api() {
    let collector = Collector::start(SECRET);
    let (_dir, db) = temp_db();
    let tracker = Tracker::new(config(&collector.url(), &db)).unwrap();
    collector.set_default_reply(Reply::Status(500));
    track_n(&tracker, "E", 3);
    assert!(tracker.flush(WAIT).is_err());
    let stats = tracker.stats().unwrap();
    assert_eq!(stats.queued, 3);
    assert_eq!(stats.delivered, 0);
    assert!(stats.consecutive_failures >= 1);
    assert_eq!(stats.last_error.unwrap().kind(), ErrorKind::Network);
    assert!(stats.next_retry_in.is_some());
    assert_eq!(stats.last_sync, None);

    collector.set_default_reply(Reply::Validate);
    tracker.flush(WAIT).unwrap();
    let stats = tracker.stats().unwrap();
    assert_eq!(
        (stats.queued, stats.delivered, stats.consecutive_failures),
        (0, 3, 0)
    );
    assert!(stats.last_sync.is_some());
    assert!(stats.enabled);
}

#[test]
fn stats_struct_is_size_checked_and_filled_by_the_c_api() {
    let collector = Collector::start(SECRET);
    let (_dir, db) = temp_db();
    let handle = c_tracker(&collector.url(), &db);
    let name = CString::new("E").unwrap();
    // SAFETY: `name` is a live CString; NULL arrays with zero pairs are allowed.
    let track = unsafe {
        hamustro_tracker_track_event(handle, name.as_ptr(), std::ptr::null(), std::ptr::null(), 0)
    };
    assert_eq!(track, HamustroStatus::Ok);
    assert_eq!(hamustro_tracker_flush(handle, 10_000), HamustroStatus::Ok);
    let mut stats = HamustroStats::default();
    assert_eq!(
        // SAFETY: `stats` is a live local (its size, 0, is refused).
        unsafe { hamustro_tracker_get_stats(handle, &raw mut stats) },
        HamustroStatus::InvalidArgument
    );
    stats.size = std::mem::size_of::<HamustroStats>() as u32;
    assert_eq!(
        // SAFETY: `stats` is a live HamustroStats whose `size` is its own.
        unsafe { hamustro_tracker_get_stats(handle, &raw mut stats) },
        HamustroStatus::Ok
    );
    assert_eq!((stats.queued, stats.delivered, stats.enabled), (0, 1, 1));
    assert!(stats.last_sync_time > 1_600_000_000);
    let mut len = usize::MAX;
    // SAFETY: a NULL buffer with size 0 is allowed; `len` is a live local.
    let status = unsafe {
        hamustro_tracker_last_delivery_error(handle, std::ptr::null_mut(), 0, &raw mut len)
    };
    assert_eq!((status, len), (HamustroStatus::Ok, 0));
    assert_eq!(
        hamustro_tracker_set_enabled(handle, false),
        HamustroStatus::Ok
    );
    let mut enabled = true;
    assert_eq!(
        // SAFETY: the out-parameter points to a live local, valid for writing.
        unsafe { hamustro_tracker_is_enabled(handle, &raw mut enabled) },
        HamustroStatus::Ok
    );
    assert!(!enabled);
    assert_eq!(
        hamustro_tracker_flush(handle, 1000),
        HamustroStatus::Disabled
    );
    hamustro_tracker_free(handle);
}

static LOG: Mutex<Vec<(u32, String)>> = Mutex::new(Vec::new());

unsafe extern "C" fn remember(level: u32, message: *const c_char, user_data: *mut c_void) {
    assert_eq!(user_data as usize, 0x5eed);
    // SAFETY: the library passes a NUL-terminated message valid during the call.
    let message = unsafe { CStr::from_ptr(message) }
        .to_string_lossy()
        .into_owned();
    LOG.lock().unwrap().push((level, message));
}

#[test]
fn the_log_callback_hears_deliveries_and_failures_but_never_secrets_or_users() {
    // The callback replaces the sink this binary's other tests listen through.
    let _own = support::log::own_sink();
    let collector = Collector::start(SECRET);
    let (_dir, db) = temp_db();
    // SAFETY: `remember` has the callback's signature and is safe for any thread.
    let status = unsafe { hamustro_set_log_callback(Some(remember), 0x5eed as *mut c_void, 4) };
    assert_eq!(status, HamustroStatus::Ok);
    let tracker = Tracker::new(config(&collector.url(), &db)).unwrap();
    tracker
        .set_user(Some("tenant-secret-ish"), Some("user-1234"))
        .unwrap();
    collector.script([Reply::Status(405)]);
    tracker
        .track_event("Checkout", &[("card", "4111")])
        .unwrap();
    let _ = tracker.flush(WAIT);
    tracker.flush(WAIT).unwrap();
    drop(tracker);
    assert_eq!(
        // SAFETY: a NULL callback unsets it; the user data is then unused.
        unsafe { hamustro_set_log_callback(None, std::ptr::null_mut(), 0) },
        HamustroStatus::Ok
    );

    let log = LOG.lock().unwrap().clone();
    assert!(
        log.iter()
            .any(|(level, m)| *level == 2 && m.contains("405")),
        "{log:?}"
    );
    assert!(
        log.iter()
            .any(|(level, m)| *level == 4 && m.starts_with("delivered 1 events")),
        "{log:?}"
    );
    assert!(
        log.iter()
            .any(|(level, m)| *level == 3 && m.contains("tracker started")),
        "{log:?}"
    );
    for (_, message) in &log {
        for secret in [SECRET, "user-1234", "tenant-secret-ish", "4111"] {
            assert!(
                !message.contains(secret),
                "{secret:?} leaked in {message:?}"
            );
        }
    }
    // SAFETY: as above; the level is refused before anything is stored.
    let bad_level = unsafe { hamustro_set_log_callback(Some(remember), std::ptr::null_mut(), 9) };
    assert_eq!(bad_level, HamustroStatus::InvalidArgument);
}

#[test]
fn the_os_and_locale_fill_what_the_app_left_unset() {
    let collector = Collector::start(SECRET);
    let (_dir, db) = temp_db();
    let tracker = Tracker::new(support::with(config(&collector.url(), &db), |c| {
        c.system_language = Some("fr-CA".into());
        c.country = Some("CA".into());
        c.system_version = String::new();
    }))
    .unwrap();
    tracker.track_event("E", NONE).unwrap();
    tracker.flush(WAIT).unwrap();
    let event = &collector.events()[0];
    let system = if cfg!(windows) {
        "Windows"
    } else if cfg!(target_os = "macos") {
        "macOS"
    } else {
        "Linux"
    };
    assert_eq!(event.collection_header.system.as_deref(), Some(system));
    let version = &event.collection_header.system_version;
    assert!(
        version.starts_with(|c: char| c.is_ascii_digit()) && version.contains('.'),
        "{version:?}"
    );
    assert_eq!(
        Some(version),
        hamustro::internals::context::detected_system_version().as_ref()
    );
    assert_eq!(
        event.collection_header.system_language.as_deref(),
        Some("fr-CA")
    );
    assert_eq!(event.country.as_deref(), Some("CA"));
}

fn c_tracker(url: &str, db: &std::path::Path) -> HamustroTracker {
    let config = support::c_config(url, db);
    let mut tracker = HamustroTracker::default();
    assert_eq!(
        // SAFETY: the out-parameter points to a live local, valid for writing.
        unsafe { hamustro_tracker_new(config, &raw mut tracker) },
        HamustroStatus::Ok
    );
    hamustro_config_free(config);
    tracker
}

fn contains(haystack: &[u8], needle: &[u8]) -> bool {
    haystack.windows(needle.len()).any(|w| w == needle)
}

#[test]
fn a_log_sink_may_call_back_into_the_tracker_while_the_queue_overflows() {
    static TRACKER: OnceLock<Arc<Tracker>> = OnceLock::new();
    let (_dir, db) = temp_db();
    let tracker = Arc::new(
        Tracker::new(support::with(config(&refused_url(), &db), |c| {
            c.max_queued_events = 2;
        }))
        .unwrap(),
    );
    let _ = TRACKER.set(Arc::clone(&tracker));
    let listener = support::log::listen_with(
        Level::Debug,
        Arc::new(|_, _: &str| {
            // Reads state that the delivery thread guards while it persists.
            if let Some(tracker) = TRACKER.get() {
                let _ = tracker.stats();
            }
        }),
    );
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
    drop(listener);
    assert!(
        result.is_ok(),
        "deadlock: the log sink waited on a lock its caller held"
    );
}
