//! The C API's guarantees, called exactly as a C program would: status codes, readable
//! errors, no crash on bad input, handles that cannot be misused.

use crate::support;

use std::ffi::{c_char, CStr, CString};
use std::ptr::null;

use hamustro::ffi::*;
use support::collector::Collector;
use support::{last_error, refused_url, temp_db, SECRET};

fn c(text: &str) -> CString {
    CString::new(text).unwrap()
}

fn config(url: &str, db: &std::path::Path) -> HamustroConfig {
    support::c_config(url, db)
}

fn new_tracker(config: HamustroConfig) -> HamustroTracker {
    let mut tracker = HamustroTracker::default();
    assert_eq!(
        // SAFETY: the out-parameter points to a live local, valid for writing.
        unsafe { hamustro_tracker_new(config, &raw mut tracker) },
        HamustroStatus::Ok,
        "{}",
        last_error()
    );
    assert_ne!(tracker.id, 0);
    tracker
}

fn track(tracker: HamustroTracker, event: &str, params: &[(&str, &str)]) -> HamustroStatus {
    let names: Vec<CString> = params.iter().map(|(n, _)| c(n)).collect();
    let values: Vec<CString> = params.iter().map(|(_, v)| c(v)).collect();
    let names: Vec<*const c_char> = names.iter().map(|s| s.as_ptr()).collect();
    let values: Vec<*const c_char> = values.iter().map(|s| s.as_ptr()).collect();
    let event = c(event);
    // SAFETY: `event` and every name and value are NUL-terminated CStrings, and
    // the two arrays hold `params.len()` pointers; all outlive the call.
    unsafe {
        hamustro_tracker_track_event(
            tracker,
            event.as_ptr(),
            names.as_ptr(),
            values.as_ptr(),
            params.len(),
        )
    }
}

/// Flushes with a generous timeout, failing with the library's message.
fn flush(tracker: HamustroTracker) {
    assert_eq!(
        hamustro_tracker_flush(tracker, 10_000),
        HamustroStatus::Ok,
        "{}",
        last_error()
    );
}

#[test]
fn events_tracked_through_the_c_api_reach_the_collector() {
    let collector = Collector::start(SECRET);
    let (_dir, db) = temp_db();
    let config = config(&collector.url(), &db);
    let tracker = new_tracker(config);
    assert_eq!(hamustro_config_free(config), HamustroStatus::Ok);
    let (tenant, user) = (c("t1"), c("u1"));
    assert_eq!(
        // SAFETY: the strings are NUL-terminated CStrings that outlive the call.
        unsafe { hamustro_tracker_set_user(tracker, tenant.as_ptr(), user.as_ptr()) },
        HamustroStatus::Ok
    );
    assert_eq!(
        track(
            tracker,
            "Level.Started",
            &[("level", "3"), ("mode", "hard")]
        ),
        HamustroStatus::Ok
    );
    flush(tracker);
    let events = collector.events();
    assert_eq!(events.len(), 1);
    assert_eq!(events[0].param("level"), Some("3"));
    assert_eq!(events[0].user_id.as_deref(), Some("u1"));
    assert_eq!(hamustro_tracker_free(tracker), HamustroStatus::Ok);
}

#[test]
fn null_pointers_and_invalid_utf8_are_invalid_arguments() {
    let (_dir, db) = temp_db();
    let config = config(&refused_url(), &db);
    let tracker = new_tracker(config);
    // SAFETY: the C API's contract allows NULL for each pointer (refused with
    // INVALID_ARGUMENT); every other pointer is a live CString or local.
    unsafe {
        assert_eq!(
            hamustro_config_new(std::ptr::null_mut()),
            HamustroStatus::InvalidArgument
        );
        assert_eq!(
            hamustro_tracker_new(config, std::ptr::null_mut()),
            HamustroStatus::InvalidArgument
        );
        assert_eq!(
            hamustro_config_set_client_id(config, null()),
            HamustroStatus::InvalidArgument
        );
        assert_eq!(last_error(), "client_id must not be NULL");
        let bad = [0xffu8, 0xfe, 0];
        assert_eq!(
            hamustro_config_set_client_id(config, bad.as_ptr().cast()),
            HamustroStatus::InvalidArgument
        );
        assert_eq!(last_error(), "client_id is not valid UTF-8");
        assert_eq!(
            hamustro_tracker_track_event(tracker, null(), null(), null(), 0),
            HamustroStatus::InvalidArgument
        );
        assert_eq!(
            hamustro_tracker_track_event(tracker, bad.as_ptr().cast(), null(), null(), 0),
            HamustroStatus::InvalidArgument
        );
        let event = c("E");
        assert_eq!(
            hamustro_tracker_track_event(tracker, event.as_ptr(), null(), null(), 2),
            HamustroStatus::InvalidArgument
        );
        let (k, v, w) = (c("k"), c("v"), c("w"));
        let names = [k.as_ptr(), null()];
        let values = [v.as_ptr(), w.as_ptr()];
        assert_eq!(
            hamustro_tracker_track_event(
                tracker,
                event.as_ptr(),
                names.as_ptr(),
                values.as_ptr(),
                2
            ),
            HamustroStatus::InvalidArgument
        );
        assert_eq!(last_error(), "parameter name #1 must not be NULL");
        assert_eq!(
            hamustro_tracker_set_headers(tracker, null(), null(), 1),
            HamustroStatus::InvalidArgument
        );
        assert_eq!(
            hamustro_config_set_env(config, 12),
            HamustroStatus::InvalidArgument
        );
        assert_eq!(
            hamustro_config_set_payload_format(config, 2),
            HamustroStatus::InvalidArgument
        );
        assert_eq!(
            hamustro_config_set_request_timeout_ms(config, 0),
            HamustroStatus::InvalidArgument
        );
    }
    hamustro_tracker_free(tracker);
    hamustro_config_free(config);
}

#[test]
fn a_config_missing_a_required_field_names_it() {
    let mut config = HamustroConfig::default();
    let mut tracker = HamustroTracker::default();
    // SAFETY: the out-parameter points to a live local, valid for writing.
    unsafe {
        hamustro_config_new(&raw mut config);
        assert_eq!(
            hamustro_tracker_new(config, &raw mut tracker),
            HamustroStatus::InvalidArgument
        );
    }
    assert_eq!(last_error(), "collector_url is required");
    assert_eq!(
        tracker,
        HamustroTracker::default(),
        "out-parameters are written only on success"
    );
    hamustro_config_free(config);
}

#[test]
fn zero_made_up_freed_and_wrong_kind_handles_are_invalid() {
    let (_dir, db) = temp_db();
    let config = config(&refused_url(), &db);
    let tracker = new_tracker(config);
    assert_eq!(hamustro_tracker_free(tracker), HamustroStatus::Ok);
    // The registry still tells the kinds apart when C code forges a handle, e.g. by
    // copying a configuration's id into a tracker (the types alone stop plain mistakes).
    for id in [0, tracker.id, u64::MAX, 0xdead_beef, config.id] {
        let handle = HamustroTracker { id };
        assert_eq!(track(handle, "E", &[]), HamustroStatus::InvalidHandle);
        assert_eq!(track_packed(handle, b"E\0"), HamustroStatus::InvalidHandle);
        assert_eq!(
            hamustro_tracker_flush(handle, 10),
            HamustroStatus::InvalidHandle
        );
        assert_eq!(hamustro_tracker_free(handle), HamustroStatus::InvalidHandle);
    }
    assert!(last_error().contains("not a live tracker handle"));
    assert_eq!(hamustro_config_free(config), HamustroStatus::Ok);
    assert_eq!(hamustro_config_free(config), HamustroStatus::InvalidHandle);
    assert_eq!(
        hamustro_config_set_queue_size(config, 5),
        HamustroStatus::InvalidHandle
    );
}

#[test]
fn last_error_message_truncates_at_a_character_boundary() {
    let (_dir, db) = temp_db();
    let config = config("http://127.0.0.1:1", &db);
    let ip = c("é");
    assert_eq!(
        // SAFETY: the strings are NUL-terminated CStrings that outlive the call.
        unsafe { hamustro_config_set_ip(config, ip.as_ptr()) },
        HamustroStatus::Ok
    );
    let mut tracker = HamustroTracker::default();
    // SAFETY: the out-parameter points to a live local, valid for writing.
    unsafe { hamustro_tracker_new(config, &raw mut tracker) };
    hamustro_config_free(config);
    let full = last_error();
    assert!(full.starts_with("ip \"é\""), "{full}");
    // Six bytes hold five and the NUL; the fifth is half of "é", so it stops before it.
    let mut buffer = [0x55u8; 6];
    // SAFETY: `buffer` is valid for writing `buffer.len()` bytes.
    let len = unsafe { hamustro_last_error_message(buffer.as_mut_ptr().cast(), buffer.len()) };
    assert_eq!(len, full.len());
    assert_eq!(&buffer[..5], b"ip \"\0");
}

#[test]
fn status_names_and_version_are_static_strings() {
    // SAFETY: hamustro_status_name returns a static NUL-terminated string.
    let name = unsafe { CStr::from_ptr(hamustro_status_name(4)) };
    assert_eq!(name.to_str().unwrap(), "HAMUSTRO_STATUS_NETWORK");
    // SAFETY: as above, also for an unknown status.
    let unknown = unsafe { CStr::from_ptr(hamustro_status_name(999)) };
    assert_eq!(unknown.to_str().unwrap(), "HAMUSTRO_STATUS_UNKNOWN");
    // SAFETY: hamustro_version returns a static NUL-terminated string.
    let version = unsafe { CStr::from_ptr(hamustro_version()) };
    assert_eq!(version.to_str().unwrap(), env!("CARGO_PKG_VERSION"));
}

#[test]
fn sixteen_threads_track_while_another_frees_the_handle() {
    let (_dir, db) = temp_db();
    let config = config(&refused_url(), &db);
    let tracker = new_tracker(config);
    let statuses = std::thread::scope(|scope| {
        let workers: Vec<_> = (0..16)
            .map(|_| {
                scope.spawn(move || {
                    (0..200)
                        .map(|i| track(tracker, "Busy", &[("i", &i.to_string())]))
                        .collect::<Vec<_>>()
                })
            })
            .collect();
        scope.spawn(move || assert_eq!(hamustro_tracker_free(tracker), HamustroStatus::Ok));
        workers
            .into_iter()
            .flat_map(|w| w.join().unwrap())
            .collect::<Vec<_>>()
    });
    // Every call either stored its event or reported the handle gone; nothing else.
    assert!(statuses
        .iter()
        .all(|s| matches!(s, HamustroStatus::Ok | HamustroStatus::InvalidHandle)));
    let stored = statuses
        .iter()
        .filter(|s| **s == HamustroStatus::Ok)
        .count() as u64;
    // Everything that returned OK is in the database for the next tracker.
    let tracker = hamustro::Tracker::new(support::config(&refused_url(), &db)).unwrap();
    assert_eq!(tracker.queued(), stored);
    hamustro_config_free(config);
}

#[test]
fn a_second_tracker_on_the_same_database_is_a_storage_error() {
    let (_dir, db) = temp_db();
    let config = config(&refused_url(), &db);
    let first = new_tracker(config);
    let mut second = HamustroTracker::default();
    assert_eq!(
        // SAFETY: the out-parameter points to a live local, valid for writing.
        unsafe { hamustro_tracker_new(config, &raw mut second) },
        HamustroStatus::Storage
    );
    assert!(last_error().contains("in use by another tracker"));
    hamustro_tracker_free(first);
    let again = new_tracker(config);
    hamustro_tracker_free(again);
    hamustro_config_free(config);
}

fn track_packed(tracker: HamustroTracker, packed: &[u8]) -> HamustroStatus {
    // SAFETY: `packed` is valid for reading `packed.len()` bytes.
    unsafe { hamustro_tracker_track_event_packed(tracker, packed.as_ptr().cast(), packed.len()) }
}

/// `event` and `params` as `hamustro_tracker_track_event_packed` takes them.
fn packed(event: &str, params: &[(&str, &str)]) -> Vec<u8> {
    let strings = std::iter::once(event).chain(params.iter().flat_map(|(n, v)| [*n, *v]));
    strings.flat_map(|s| s.bytes().chain([0])).collect()
}

#[test]
fn a_packed_event_arrives_as_the_same_event_given_in_arrays() {
    let collector = Collector::start(SECRET);
    let (_dir, db) = temp_db();
    let config = config(&collector.url(), &db);
    let tracker = new_tracker(config);
    hamustro_config_free(config);
    let params = [
        ("level", "3"),
        ("名前", "ハムスター 🐹"),
        ("empty", ""),
        ("level", "4"),
    ];
    assert_eq!(
        track(tracker, "Level.Completed", &params),
        HamustroStatus::Ok
    );
    assert_eq!(
        track_packed(tracker, &packed("Level.Completed", &params)),
        HamustroStatus::Ok
    );
    // No parameters; and nothing past `length` is read.
    assert_eq!(
        track_packed(tracker, &b"Game.Paused\0ignored\0"[..12]),
        HamustroStatus::Ok
    );
    flush(tracker);
    let events = collector.events();
    assert_eq!(events.len(), 3);
    assert_eq!(
        (&events[1].event, &events[1].params),
        (&events[0].event, &events[0].params)
    );
    assert_eq!(
        events[0].params.len(),
        3,
        "a repeated name is one parameter"
    );
    assert_eq!(events[2].event, "Game.Paused");
    assert!(events[2].params.is_empty());
    assert_eq!(hamustro_tracker_free(tracker), HamustroStatus::Ok);
}

#[test]
fn a_malformed_packed_event_is_an_invalid_argument_and_stores_nothing() {
    let (_dir, db) = temp_db();
    let config = config(&refused_url(), &db);
    let tracker = new_tracker(config);
    hamustro_config_free(config);
    let refused = |packed: &[u8], message: &str| {
        assert_eq!(
            track_packed(tracker, packed),
            HamustroStatus::InvalidArgument,
            "{packed:?}"
        );
        assert_eq!(last_error(), message, "{packed:?}");
    };
    refused(b"", "packed must end with a NUL");
    refused(b"E", "packed must end with a NUL");
    refused(b"E\0k\0v", "packed must end with a NUL");
    refused(
        b"E\0k\0",
        "packed ends with a parameter name that has no value",
    );
    refused(b"\xff\0", "event is not valid UTF-8");
    refused(b"E\0k\0\xff\0", "parameter value #0 is not valid UTF-8");
    refused(
        b"E\0k\0v\0\xfe\0v\0",
        "parameter name #1 is not valid UTF-8",
    );
    assert_eq!(
        // SAFETY: NULL is allowed by the contract and refused with INVALID_ARGUMENT.
        unsafe { hamustro_tracker_track_event_packed(tracker, null(), 2) },
        HamustroStatus::InvalidArgument
    );
    assert_eq!(last_error(), "packed must not be NULL");
    // What the library checks beyond the packing is checked as for arrays, with the
    // same messages.
    let too_many: Vec<(&str, &str)> = vec![("k", "v"); 100_001];
    let oversized = "x".repeat(300 * 1024);
    for (event, params) in [
        ("", &[][..]),
        ("E", &[("", "v")][..]),
        ("E", &too_many[..]),
        ("E", &[("pad", oversized.as_str())][..]),
    ] {
        assert_eq!(
            track(tracker, event, params),
            HamustroStatus::InvalidArgument
        );
        let message = last_error();
        refused(&packed(event, params), &message);
    }
    let mut stats = HamustroStats {
        size: u32::try_from(std::mem::size_of::<HamustroStats>()).unwrap(),
        ..HamustroStats::default()
    };
    assert_eq!(
        // SAFETY: `stats` is a live HamustroStats whose `size` is its own.
        unsafe { hamustro_tracker_get_stats(tracker, &raw mut stats) },
        HamustroStatus::Ok
    );
    assert_eq!(stats.queued, 0);
    assert_eq!(hamustro_tracker_free(tracker), HamustroStatus::Ok);
}

#[test]
fn get_stats_fills_whole_fields_and_says_how_many_bytes() {
    #[repr(C, align(8))]
    struct Aligned([u8; 4096]);
    let (_dir, db) = temp_db();
    let config = config(&refused_url(), &db);
    let tracker = new_tracker(config);
    assert_eq!(hamustro_config_free(config), HamustroStatus::Ok);
    let full = std::mem::size_of::<HamustroStats>();
    // (size given, size filled): 65 and 71 hold the first version's fields and one
    // partial field, which is left alone; a larger struct than the library's gets
    // the library's fields and the rest is untouched.
    for (given, filled) in [(64, 64), (65, 64), (71, 64), (72, 72), (4096, 72)] {
        let mut aligned = Aligned([0xAA; 4096]);
        let buffer = &mut aligned.0[..given.max(full)];
        buffer[..4].copy_from_slice(&u32::try_from(given).unwrap().to_ne_bytes());
        // SAFETY: `buffer` is 8-aligned, at least `given` bytes and its `size` says `given`.
        let status = unsafe { hamustro_tracker_get_stats(tracker, buffer.as_mut_ptr().cast()) };
        assert_eq!(status, HamustroStatus::Ok, "{}", last_error());
        let size = u32::from_ne_bytes(buffer[..4].try_into().unwrap());
        assert_eq!(size as usize, filled, "size {given}");
        assert!(
            buffer[filled..].iter().all(|&b| b == 0xAA),
            "size {given}: bytes past the {filled} filled were written"
        );
        assert_eq!(&buffer[8..16], &0u64.to_ne_bytes(), "queued, size {given}");
    }
    assert_eq!(hamustro_tracker_free(tracker), HamustroStatus::Ok);
}
