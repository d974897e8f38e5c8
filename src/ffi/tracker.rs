//! `hamustro_tracker_*`: the tracker's C API.

use std::ffi::c_char;
use std::time::Duration;

use once_cell::sync::Lazy;

use super::boundary::guard;
use super::config::{lock, CONFIGS};
use super::convert::{optional_str, required_str, string_pairs, write_out};
use super::registry::Registry;
use super::status::HamustroStatus;
use crate::error::Error;
use crate::tracker::Tracker;

/// A tracker handle: an opaque non-zero integer, 0 is never valid.
pub type HamustroTracker = u64;

static TRACKERS: Lazy<Registry<Tracker>> = Lazy::new(|| Registry::new("tracker"));

/// The library's version, e.g. "0.1.0": a static string that must not be freed.
#[no_mangle]
pub extern "C" fn hamustro_version() -> *const c_char {
    concat!(env!("CARGO_PKG_VERSION"), "\0").as_ptr().cast()
}

/// Creates a tracker from a configuration and writes its handle to `*out_tracker`.
///
/// Opens (or creates) the queue database, loads what an earlier run left there
/// (unsent events, per-session counters, user, last sync time), computes the session
/// and starts the background delivery thread. The configuration is copied: free it
/// whenever you like. Fails with HAMUSTRO_STATUS_INVALID_ARGUMENT naming a missing or
/// bad field, or HAMUSTRO_STATUS_STORAGE when the database cannot be used (including
/// when another tracker has it open).
///
/// # Safety
/// `out_tracker` is NULL (an error) or valid for writing.
#[no_mangle]
pub unsafe extern "C" fn hamustro_tracker_new(
    config: super::config::HamustroConfig,
    out_tracker: *mut HamustroTracker,
) -> HamustroStatus {
    guard(|| {
        if out_tracker.is_null() {
            return Err(Error::invalid("out_tracker must not be NULL"));
        }
        let config = lock(&*CONFIGS.get(config)?).clone();
        let handle = TRACKERS.insert(Tracker::new(config)?);
        // SAFETY: checked non-null; writable by contract.
        unsafe { write_out(out_tracker, handle, "out_tracker") }
    })
}

/// Tracks one event: `event` is its name; `names`/`values` are `count` parameter
/// pairs (both may be NULL when `count` is 0; a repeated name keeps its last value).
///
/// Returns once the event is committed to the on-disk queue: from then on it survives
/// the app being killed and will be delivered. Never waits for the network. The time,
/// the event number within the session, the user, time zone, IP and country are filled
/// in by the library. Delivery starts in the background when `queue_size` events are
/// queued or the last delivery is older than `queue_retention`.
///
/// # Safety
/// `event` is NULL or a NUL-terminated string; when `count` > 0, `names` and `values`
/// are NULL or arrays of `count` NUL-terminated strings. Everything is copied.
#[no_mangle]
pub unsafe extern "C" fn hamustro_tracker_track_event(
    tracker: HamustroTracker,
    event: *const c_char,
    names: *const *const c_char,
    values: *const *const c_char,
    count: usize,
) -> HamustroStatus {
    guard(|| {
        let tracker = TRACKERS.get(tracker)?;
        // SAFETY: forwarded from this function's contract.
        let event = unsafe { required_str(event, "event") }?;
        let parameters = unsafe { string_pairs(names, values, count, "parameter") }?;
        tracker.track_event(event, &parameters)
    })
}

/// Sets (and persists) the tenant and user that later events are attributed to. NULL
/// clears a field. Events already tracked keep the user they were tracked with.
///
/// # Safety
/// `tenant_id` and `user_id` are NULL or NUL-terminated strings.
#[no_mangle]
pub unsafe extern "C" fn hamustro_tracker_set_user(
    tracker: HamustroTracker,
    tenant_id: *const c_char,
    user_id: *const c_char,
) -> HamustroStatus {
    guard(|| {
        let tracker = TRACKERS.get(tracker)?;
        // SAFETY: forwarded from this function's contract.
        let tenant_id = unsafe { optional_str(tenant_id, "tenant_id") }?;
        let user_id = unsafe { optional_str(user_id, "user_id") }?;
        tracker.set_user(tenant_id, user_id)
    })
}

/// Replaces the extra HTTP headers sent with every request (`count` 0 removes them).
/// Names must be valid header names; values may not hold control characters; the
/// headers the library sets itself (X-Hamustro-Time, X-Hamustro-Signature,
/// Content-Type, Content-Length) cannot be replaced. Not persisted: set them after
/// each `hamustro_tracker_new`.
///
/// # Safety
/// When `count` > 0, `names` and `values` are NULL or arrays of `count` NUL-terminated
/// strings.
#[no_mangle]
pub unsafe extern "C" fn hamustro_tracker_set_headers(
    tracker: HamustroTracker,
    names: *const *const c_char,
    values: *const *const c_char,
    count: usize,
) -> HamustroStatus {
    guard(|| {
        let tracker = TRACKERS.get(tracker)?;
        // SAFETY: forwarded from this function's contract.
        let headers = unsafe { string_pairs(names, values, count, "header") }?;
        tracker.set_headers(&headers)
    })
}

/// Blocks until every event tracked before the call is delivered (HAMUSTRO_STATUS_OK),
/// a delivery attempt fails (HAMUSTRO_STATUS_NETWORK or HAMUSTRO_STATUS_REJECTED, with
/// the collector's answer in the message), or `timeout_ms` passes
/// (HAMUSTRO_STATUS_TIMEOUT). Ignores the retry backoff. Events are never dropped: on
/// failure they stay queued and are retried in the background.
#[no_mangle]
pub extern "C" fn hamustro_tracker_flush(
    tracker: HamustroTracker,
    timeout_ms: u32,
) -> HamustroStatus {
    guard(|| {
        let tracker = TRACKERS.get(tracker)?;
        tracker.flush(Duration::from_millis(u64::from(timeout_ms)))
    })
}

/// Stops the tracker and invalidates its handle. Waits for a request in progress to
/// finish (at most the request timeout); queued events stay in the database and are
/// sent by the next tracker on it. Calls still running on other threads finish
/// safely; later calls with the handle give HAMUSTRO_STATUS_INVALID_HANDLE, as does
/// freeing it twice.
#[no_mangle]
pub extern "C" fn hamustro_tracker_free(tracker: HamustroTracker) -> HamustroStatus {
    guard(|| {
        let tracker = TRACKERS.remove(tracker)?;
        tracker.close();
        Ok(())
    })
}
