//! `hamustro_tracker_*`: the tracker's C API.

use std::ffi::c_char;
use std::sync::Arc;
use std::time::Duration;

use super::boundary::guard;
use super::config::lock;
use super::convert::{
    copy_to_buffer, optional_str, packed_event, required_str, string_pairs, write_out,
};
use super::registry::{CONFIGS, TRACKERS};
use super::status::HamustroStatus;
use crate::error::Error;
use crate::tracker::Tracker;

/// A tracker handle: an opaque non-zero integer in a struct of its own, so that passing
/// a configuration where a tracker is expected does not compile. An `id` of 0 is never
/// valid. Passed by value, it is ABI-identical to a `uint64_t`.
#[repr(C)]
// `Default` is the never-valid handle 0, for out-parameters (Rust only).
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Hash)]
pub struct HamustroTracker {
    /// The registry's number for the tracker; 0 is never valid.
    pub id: u64,
}

/// The tracker behind a handle, if it may be used from here: not closed, and not
/// inherited from the parent of a forked process.
fn live(handle: HamustroTracker) -> crate::error::Result<Arc<Tracker>> {
    let tracker = TRACKERS.get(handle.id)?;
    tracker.check_usable()?;
    Ok(tracker)
}

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
/// bad field, HAMUSTRO_STATUS_STORAGE when the database cannot be used (another
/// tracker has it open, it is not hamustro's, it belongs to another client id: see
/// `hamustro_config_set_database_path`) or a file beside it is not hamustro's own (a
/// link, a FIFO, a directory, a file with a second name or another user's at
/// `<path>-wal`, `-shm`, `-journal`, `.journal0` or `.journal1`) or is held by another
/// tracker (its database was renamed): the message names the file, which is left
/// untouched; or HAMUSTRO_STATUS_OUT_OF_RESOURCES when the system refuses the delivery
/// thread (or memory) it needs.
///
/// A tracker belongs to the process that created it: in a child made by fork(),
/// every call with an inherited handle returns HAMUSTRO_STATUS_INVALID_HANDLE
/// ("create a new tracker in the child") and touches nothing of the parent's; create
/// a new tracker in the child, on another database.
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
        let config = lock(&*CONFIGS.get(config.id)?).clone();
        let handle = TRACKERS.insert(Tracker::new(config)?);
        // SAFETY: checked non-null; writable by contract.
        unsafe { write_out(out_tracker, HamustroTracker { id: handle }, "out_tracker") }
    })
}

/// Tracks one event: `event` is its name; `names`/`values` are `count` parameter
/// pairs (both may be NULL when `count` is 0; a repeated name keeps its last value).
///
/// Returns once the event is committed to the on-disk queue: from then on it survives
/// the app being killed and will be delivered. Never waits for the network. The time,
/// the event number within the session, the user, time zone, IP and country are filled
/// in by the library. Delivery starts in the background when `queue_size` events are
/// queued or the last delivery is older than `queue_retention` (on a database that has
/// never delivered, that is the first event). Global parameters come first, then the
/// event's own in call order; an own parameter replaces a global one of the same
/// name in its position. While tracking is disabled nothing is stored and the call
/// returns HAMUSTRO_STATUS_OK.
///
/// Limits (HAMUSTRO_STATUS_INVALID_ARGUMENT naming the limit): the name 1 to 1024
/// bytes; parameter names not empty; at most 100000 pairs; the encoded event (name,
/// parameters, global parameters, user and context) at most 262144 bytes (256 KiB).
///
/// HAMUSTRO_STATUS_STORAGE means the event was not stored: its journal file cannot be
/// written (a full disk), or 50000 events already wait for a database that refuses
/// them (full, or locked by another program), 200000 while it takes them but lags
/// behind. The message says which; later calls succeed once the cause is gone.
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
        let tracker = live(tracker)?;
        // SAFETY: forwarded from this function's contract.
        let event = unsafe { required_str(event, "event") }?;
        // SAFETY: the contract gives `count` names and values (or NULL arrays with 0).
        let parameters = unsafe { string_pairs(names, values, count, "parameter") }?;
        tracker.track_event(event, &parameters)
    })
}

/// Tracks one event as `hamustro_tracker_track_event` does, with the event name and
/// its parameters packed into one buffer instead of arrays of pointers: `packed` holds
/// `length` bytes, the event name and then each parameter's name and value, each
/// string ending with a NUL. `"Level.Completed\0level\0" "3\0score\0" "48210\0"` is
/// an event with two parameters in 36 bytes (sizeof the literal less its own final
/// NUL); `"Game.Paused\0"`, 12 bytes, is one without. It is meant for bindings that
/// build an array of pointers one element at a time at a cost above the call's own
/// (Python's ctypes); from C, `hamustro_tracker_track_event` is the simpler call.
///
/// Everything else is `hamustro_tracker_track_event`'s: what is stored, when delivery
/// starts, while tracking is disabled, the limits and their messages (a string is
/// named as there: "event", "parameter name #0", "parameter value #0"). It also
/// returns HAMUSTRO_STATUS_INVALID_ARGUMENT when `packed` is NULL, when the last byte
/// (with `length` 0, there is none) is not a NUL, and when a parameter name has no
/// value.
///
/// # Safety
/// `packed` is NULL or points to `length` readable bytes. Everything is copied.
#[no_mangle]
pub unsafe extern "C" fn hamustro_tracker_track_event_packed(
    tracker: HamustroTracker,
    packed: *const c_char,
    length: usize,
) -> HamustroStatus {
    guard(|| {
        let tracker = live(tracker)?;
        // SAFETY: forwarded from this function's contract.
        let (event, parameters) = unsafe { packed_event(packed, length) }?;
        tracker.track_event(event, &parameters)
    })
}

/// Sets (and persists) the tenant and user that later events are attributed to. NULL
/// clears a field. Events already tracked keep the user they were tracked with. The
/// user and the global parameters go into every event, so together they may take at
/// most 65536 bytes encoded (a quarter of an event's limit): beyond that this returns
/// HAMUSTRO_STATUS_INVALID_ARGUMENT and changes nothing. A stored user or global
/// parameter that breaks the limit on opening (an older version, an edited file) is
/// dropped, with a log message, instead of blocking tracking.
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
        let tracker = live(tracker)?;
        // SAFETY: forwarded from this function's contract.
        let tenant_id = unsafe { optional_str(tenant_id, "tenant_id") }?;
        // SAFETY: as for `tenant_id`.
        let user_id = unsafe { optional_str(user_id, "user_id") }?;
        tracker.set_user(tenant_id, user_id)
    })
}

/// Replaces the extra HTTP headers sent with every request (`count` 0 removes them).
/// Names must be valid header names (RFC 9110 tokens). A value may hold tab, space,
/// visible ASCII and characters beyond ASCII, except the control characters: C0
/// (U+0000 to U+001F but tab), DEL (U+007F), C1 (U+0080 to U+009F) and the line and
/// paragraph separators U+2028 and U+2029. Names and values together take at most
/// 16384 bytes (and at most 100000 pairs). Reserved, in any case, and refused: the
/// headers the library sets itself (X-Hamustro-Time, X-Hamustro-Signature,
/// Content-Type) and those that change how HTTP carries the request (Content-Length,
/// Content-Encoding, Transfer-Encoding, Trailer, TE, Connection, Keep-Alive, Upgrade,
/// HTTP2-Settings, Host, Expect, and every name starting with Proxy-). Refused
/// headers give HAMUSTRO_STATUS_INVALID_ARGUMENT and change nothing. Not persisted:
/// set them after each `hamustro_tracker_new`.
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
        let tracker = live(tracker)?;
        // SAFETY: forwarded from this function's contract.
        let headers = unsafe { string_pairs(names, values, count, "header") }?;
        tracker.set_headers(&headers)
    })
}

/// Blocks until every event tracked before the call is delivered (HAMUSTRO_STATUS_OK),
/// a delivery attempt fails (HAMUSTRO_STATUS_NETWORK or HAMUSTRO_STATUS_REJECTED, with
/// the collector's answer in the message), or `timeout_ms` passes
/// (HAMUSTRO_STATUS_TIMEOUT); HAMUSTRO_STATUS_OUT_OF_RESOURCES when there was no
/// memory for a request (or no thread the HTTP client needs). Ignores the retry backoff. Events are never dropped: on
/// failure they stay queued and are retried in the background. While tracking is
/// disabled it returns HAMUSTRO_STATUS_DISABLED and sends nothing. Called from a log
/// callback on the delivery thread, which cannot wait for itself, it returns
/// HAMUSTRO_STATUS_TIMEOUT at once and the flush runs after the callback returns.
#[no_mangle]
pub extern "C" fn hamustro_tracker_flush(
    tracker: HamustroTracker,
    timeout_ms: u32,
) -> HamustroStatus {
    guard(|| {
        let tracker = live(tracker)?;
        tracker.flush(Duration::from_millis(u64::from(timeout_ms)))
    })
}

/// Stops the tracker and invalidates its handle. Waits for a request in progress to
/// finish (at most the request timeout) and moves journaled events into the database
/// (milliseconds; at most SQLite's 5 s busy timeout if another process locks it);
/// queued events stay there and are sent by the next tracker on it. When it returns,
/// the database, its journal and its lock are closed: a new tracker may open the file
/// at once. Calls still running on other threads finish or return
/// HAMUSTRO_STATUS_INVALID_HANDLE, without holding the files; later calls with the
/// handle give HAMUSTRO_STATUS_INVALID_HANDLE, as does freeing it twice. It may be
/// called from any thread, a log callback on the delivery thread included (the
/// thread then ends when the callback returns). In a forked child it returns
/// HAMUSTRO_STATUS_INVALID_HANDLE and leaves the parent's tracker alone.
#[no_mangle]
pub extern "C" fn hamustro_tracker_free(tracker: HamustroTracker) -> HamustroStatus {
    guard(|| {
        // A forked child's inherited handle stays registered and untouched: its
        // files and thread are the parent's.
        live(tracker)?;
        TRACKERS.remove(tracker.id)?.close();
        Ok(())
    })
}

/// Switches tracking on (`enabled` true) or off, persistently (the choice survives
/// restarts). While off, `hamustro_tracker_track_event` stores nothing (and returns
/// OK), nothing is sent, and `hamustro_tracker_flush` returns
/// HAMUSTRO_STATUS_DISABLED. Events already queued are kept unless you also call
/// `hamustro_tracker_discard_queued`.
#[no_mangle]
pub extern "C" fn hamustro_tracker_set_enabled(
    tracker: HamustroTracker,
    enabled: bool,
) -> HamustroStatus {
    guard(|| live(tracker)?.set_enabled(enabled))
}

/// Writes whether tracking is enabled to `*out_enabled`.
///
/// # Safety
/// `out_enabled` is NULL (an error) or valid for writing.
#[no_mangle]
pub unsafe extern "C" fn hamustro_tracker_is_enabled(
    tracker: HamustroTracker,
    out_enabled: *mut bool,
) -> HamustroStatus {
    guard(|| {
        let enabled = live(tracker)?.enabled();
        // SAFETY: forwarded from this function's contract.
        unsafe { write_out(out_enabled, enabled, "out_enabled") }
    })
}

/// Deletes every queued event from the device (for example on a user's erasure
/// request) and writes how many to `*out_discarded` (which may be NULL). A request
/// already in flight may still reach the collector.
///
/// # Safety
/// `out_discarded` is NULL or valid for writing.
#[no_mangle]
pub unsafe extern "C" fn hamustro_tracker_discard_queued(
    tracker: HamustroTracker,
    out_discarded: *mut u64,
) -> HamustroStatus {
    guard(|| {
        let discarded = live(tracker)?.discard_queued()?;
        if !out_discarded.is_null() {
            // SAFETY: non-null and writable by contract.
            unsafe { write_out(out_discarded, discarded, "out_discarded") }?;
        }
        Ok(())
    })
}

/// Sets a global parameter, added to every event tracked afterwards (an event's own
/// parameter of the same name wins). `value` NULL removes it. Persisted. `name` must
/// not be empty; the global parameters and the user together take at most 65536
/// bytes encoded (see `hamustro_tracker_set_user`): a value that would pass the limit
/// gives HAMUSTRO_STATUS_INVALID_ARGUMENT and changes nothing.
///
/// # Safety
/// `name` and `value` are NULL or NUL-terminated strings.
#[no_mangle]
pub unsafe extern "C" fn hamustro_tracker_set_global_parameter(
    tracker: HamustroTracker,
    name: *const c_char,
    value: *const c_char,
) -> HamustroStatus {
    guard(|| {
        let tracker = live(tracker)?;
        // SAFETY: forwarded from this function's contract.
        let name = unsafe { required_str(name, "name") }?;
        // SAFETY: as for `name`.
        let value = unsafe { optional_str(value, "value") }?;
        tracker.set_global_parameter(name, value)
    })
}

/// Removes every global parameter.
#[no_mangle]
pub extern "C" fn hamustro_tracker_clear_global_parameters(
    tracker: HamustroTracker,
) -> HamustroStatus {
    guard(|| live(tracker)?.clear_global_parameters())
}

/// Delivery statistics. Set `size` to `sizeof(hamustro_stats)` before calling
/// `hamustro_tracker_get_stats`: later versions may append fields, and the size tells
/// the library how much your compiled struct holds. The call sets `size` to how many
/// bytes it filled.
#[repr(C)]
#[derive(Debug, Clone, Copy, Default)]
pub struct HamustroStats {
    /// In: sizeof(hamustro_stats) as compiled into the app (at least 64). Out: how
    /// many bytes the library filled, `size` included: the whole fields that fit in
    /// both the app's struct and the library's, so never more than the app gave.
    pub size: u32,
    /// 1 when tracking is enabled, 0 when the app switched it off.
    pub enabled: u32,
    /// Events stored and not yet accepted by the collector.
    pub queued: u64,
    /// Events in the request being sent right now.
    pub in_flight: u64,
    /// Events the collector accepted, over the database's lifetime.
    pub delivered: u64,
    /// Events dropped because the queue reached its cap, over the database's lifetime.
    pub dropped: u64,
    /// Epoch seconds of the last successful delivery; 0 if none yet.
    pub last_sync_time: u64,
    /// Failed delivery attempts since the last success.
    pub consecutive_failures: u32,
    /// The status of the last failed attempt (HAMUSTRO_STATUS_OK if none); its message
    /// comes from `hamustro_tracker_last_delivery_error`.
    pub last_error_status: u32,
    /// Milliseconds until the next automatic attempt after a failure; 0 if none is due.
    pub next_retry_ms: u64,
    /// Records kept aside in the database's quarantine table instead of being sent
    /// (undecodable, of another database, or numbered like a different event), over
    /// the database's lifetime; each was logged. Not filled in for a struct of the
    /// first version's size (64 bytes).
    pub quarantined: u64,
}

/// The size of the first version of `hamustro_stats`: every later version accepts it.
const STATS_V1_SIZE: usize = 64;
const _: () = assert!(std::mem::size_of::<HamustroStats>() == STATS_V1_SIZE + 8);

/// Where each version of `hamustro_stats` ends, shortest first: the library fills
/// the longest of them that the app's struct holds, so a field is written whole or
/// not at all.
const STATS_VERSION_SIZES: [usize; 2] = [STATS_V1_SIZE, std::mem::size_of::<HamustroStats>()];

/// Fills `*out_stats` (whose `size` you set first) with the tracker's delivery state
/// and sets `size` to the number of bytes filled. A library newer than your header
/// fills only the fields your struct has; a `size` between two versions' sizes (65,
/// say) gets the shorter version's whole fields, never part of a field. Bytes beyond
/// the new `size` are left as they were.
///
/// # Safety
/// `out_stats` is NULL (an error) or points to `out_stats->size` writable bytes, a
/// `hamustro_stats` whose `size` field is initialised.
#[no_mangle]
pub unsafe extern "C" fn hamustro_tracker_get_stats(
    tracker: HamustroTracker,
    out_stats: *mut HamustroStats,
) -> HamustroStatus {
    guard(|| {
        if out_stats.is_null() {
            return Err(Error::invalid("out_stats must not be NULL"));
        }
        // SAFETY: non-null; the caller initialised `size`.
        let size = unsafe { (*out_stats).size } as usize;
        let Some(len) = STATS_VERSION_SIZES
            .iter()
            .copied()
            .filter(|&version| version <= size)
            .max()
        else {
            return Err(Error::invalid(format!(
                "out_stats->size is {size}; set it to sizeof(hamustro_stats) ({})",
                std::mem::size_of::<HamustroStats>()
            )));
        };
        let stats = live(tracker)?.stats()?;
        let value = HamustroStats {
            size: len as u32,
            enabled: u32::from(stats.enabled),
            queued: stats.queued,
            in_flight: stats.in_flight,
            delivered: stats.delivered,
            dropped: stats.dropped,
            last_sync_time: stats.last_sync.unwrap_or(0),
            consecutive_failures: stats.consecutive_failures,
            last_error_status: stats
                .last_error
                .map_or(HamustroStatus::Ok, |e| e.kind().into())
                as u32,
            next_retry_ms: stats
                .next_retry_in
                .map_or(0, |d| d.as_millis().min(u128::from(u64::MAX)) as u64),
            quarantined: stats.quarantined,
        };
        // SAFETY: out_stats is non-null and, by contract, `size` >= `len` bytes long;
        // `value` is a plain repr(C) struct of at least `len` bytes.
        unsafe {
            std::ptr::copy_nonoverlapping(
                (&raw const value).cast::<u8>(),
                out_stats.cast::<u8>(),
                len,
            );
        };
        Ok(())
    })
}

/// Copies the message of the tracker's last failed delivery attempt into `buffer`
/// (as `hamustro_last_error_message` does: at most `buffer_len` bytes with the NUL)
/// and writes its full length to `*out_len` (may be NULL). An empty message means no
/// attempt has failed since the tracker started.
///
/// # Safety
/// `buffer` is NULL or has `buffer_len` writable bytes; `out_len` is NULL or writable.
#[no_mangle]
pub unsafe extern "C" fn hamustro_tracker_last_delivery_error(
    tracker: HamustroTracker,
    buffer: *mut c_char,
    buffer_len: usize,
    out_len: *mut usize,
) -> HamustroStatus {
    guard(|| {
        let error = live(tracker)?.last_error();
        let message = error.as_ref().map_or("", |e| e.message());
        // SAFETY: forwarded from this function's contract.
        let len = unsafe { copy_to_buffer(message, buffer, buffer_len) };
        if !out_len.is_null() {
            // SAFETY: non-null and writable by contract.
            unsafe { write_out(out_len, len, "out_len") }?;
        }
        Ok(())
    })
}
