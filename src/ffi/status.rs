//! Status codes and the per-thread last error message.

use std::cell::RefCell;
use std::ffi::c_char;

use super::convert::copy_to_buffer;
use crate::error::{Error, ErrorKind};

/// The result of every hamustro function. Values are fixed forever: new codes may be
/// added, existing ones never renumbered.
#[repr(u32)]
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum HamustroStatus {
    /// Success.
    Ok = 0,
    /// An argument is NULL where it may not be, not valid UTF-8, out of range, or a
    /// required configuration field is missing.
    InvalidArgument = 1,
    /// The handle is zero, made up, already freed, of the wrong kind, or a tracker
    /// inherited from the parent of a forked process.
    InvalidHandle = 2,
    /// The queue database could not be opened, read or written (disk full, no
    /// permission, in use by another tracker, not hamustro's database…). Nothing was
    /// stored by this call.
    Storage = 3,
    /// The collector could not be reached or answered with a server error. Events
    /// stay queued and are retried.
    Network = 4,
    /// The collector refused the request (HTTP 4xx). Events stay queued.
    Rejected = 5,
    /// The wait ran out before the work was done; it goes on in the background.
    Timeout = 6,
    /// A bug in hamustro (a caught panic). Please report it with the message.
    Internal = 7,
    /// Tracking is switched off (`hamustro_tracker_set_enabled`): flush has nothing it
    /// may send. Queued events are kept.
    Disabled = 8,
    /// The system refused a resource the call needs: memory (a request body, an
    /// allocation SQLite makes), a thread (the delivery thread of a new tracker), or
    /// address space. Nothing was lost: a tracker was not created, or the events
    /// stay queued. Retry when the process has more to spare; see the Limits of
    /// docs/c-api.md for how much a tracker needs.
    OutOfResources = 9,
}

impl From<ErrorKind> for HamustroStatus {
    fn from(kind: ErrorKind) -> Self {
        match kind {
            ErrorKind::InvalidArgument => HamustroStatus::InvalidArgument,
            ErrorKind::InvalidHandle => HamustroStatus::InvalidHandle,
            ErrorKind::Storage => HamustroStatus::Storage,
            ErrorKind::Network => HamustroStatus::Network,
            ErrorKind::Rejected => HamustroStatus::Rejected,
            ErrorKind::Timeout => HamustroStatus::Timeout,
            ErrorKind::Internal => HamustroStatus::Internal,
            ErrorKind::Disabled => HamustroStatus::Disabled,
            ErrorKind::OutOfResources => HamustroStatus::OutOfResources,
        }
    }
}

/// The longest last-error message kept, in bytes; a longer one is cut at a character
/// boundary and ends in "…".
pub const MAX_ERROR_MESSAGE_BYTES: usize = 1024;

/// One thread's last error message, held inline: plain data with no destructor, so a
/// thread whose first call comes from a thread-exit destructor (when the thread's
/// destructors may already have run) leaves no allocation behind.
struct LastError {
    len: usize,
    bytes: [u8; MAX_ERROR_MESSAGE_BYTES],
}

thread_local! {
    static LAST_ERROR: RefCell<LastError> = const {
        RefCell::new(LastError { len: 0, bytes: [0; MAX_ERROR_MESSAGE_BYTES] })
    };
}

impl LastError {
    fn set(&mut self, message: &str) {
        const ELLIPSIS: &str = "…";
        let (kept, ellipsis) = if message.len() <= MAX_ERROR_MESSAGE_BYTES {
            (message, "")
        } else {
            let mut end = MAX_ERROR_MESSAGE_BYTES - ELLIPSIS.len();
            while !message.is_char_boundary(end) {
                end -= 1;
            }
            (&message[..end], ELLIPSIS)
        };
        self.bytes[..kept.len()].copy_from_slice(kept.as_bytes());
        self.bytes[kept.len()..kept.len() + ellipsis.len()].copy_from_slice(ellipsis.as_bytes());
        self.len = kept.len() + ellipsis.len();
    }

    fn message(&self) -> &str {
        // Only whole characters are ever stored.
        std::str::from_utf8(&self.bytes[..self.len]).unwrap_or_default()
    }
}

/// Records `error` as this thread's last error and returns its status.
pub(crate) fn record(error: &Error) -> HamustroStatus {
    // try_with: during thread teardown the thread-local may be gone; the status is
    // still returned, only the message is lost.
    let _ = LAST_ERROR.try_with(|last| last.borrow_mut().set(error.message()));
    error.kind().into()
}

/// Copies the message of the most recent failed call on the calling thread into
/// `buffer` (at most `buffer_len` bytes including the terminating NUL, cut at a UTF-8
/// character boundary) and returns the full message length in bytes, without the NUL.
///
/// Call with `buffer` NULL or `buffer_len` 0 to learn the length first. Returns 0 when
/// no call on this thread has failed yet. A successful call does not clear the message.
/// Messages never contain the shared secret or user ids. A message is at most
/// 1024 bytes long; a longer one is cut at a character boundary and ends in "…".
///
/// # Safety
/// `buffer` is NULL or points to at least `buffer_len` writable bytes.
#[no_mangle]
pub unsafe extern "C" fn hamustro_last_error_message(
    buffer: *mut c_char,
    buffer_len: usize,
) -> usize {
    LAST_ERROR
        .try_with(|last| {
            // SAFETY: forwarded from this function's contract.
            unsafe { copy_to_buffer(last.borrow().message(), buffer, buffer_len) }
        })
        .unwrap_or(0)
}

/// A `hamustro_status` as C passes it in: the header names the enum, but the value may
/// be one this version does not know (a newer header's, or garbage), which a Rust
/// enum must never hold. cbindgen prints it as `hamustro_status` (cbindgen.toml).
pub type HamustroStatusValue = u32;

/// The name of a status code, e.g. "HAMUSTRO_STATUS_NETWORK": a static string that
/// must not be freed. Unknown values give "HAMUSTRO_STATUS_UNKNOWN".
#[no_mangle]
pub extern "C" fn hamustro_status_name(status: HamustroStatusValue) -> *const c_char {
    let name: &'static [u8] = match status {
        0 => b"HAMUSTRO_STATUS_OK\0",
        1 => b"HAMUSTRO_STATUS_INVALID_ARGUMENT\0",
        2 => b"HAMUSTRO_STATUS_INVALID_HANDLE\0",
        3 => b"HAMUSTRO_STATUS_STORAGE\0",
        4 => b"HAMUSTRO_STATUS_NETWORK\0",
        5 => b"HAMUSTRO_STATUS_REJECTED\0",
        6 => b"HAMUSTRO_STATUS_TIMEOUT\0",
        7 => b"HAMUSTRO_STATUS_INTERNAL\0",
        8 => b"HAMUSTRO_STATUS_DISABLED\0",
        9 => b"HAMUSTRO_STATUS_OUT_OF_RESOURCES\0",
        _ => b"HAMUSTRO_STATUS_UNKNOWN\0",
    };
    name.as_ptr().cast()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_long_message_is_cut_at_a_character_boundary_and_marked() {
        let mut last = LastError {
            len: 0,
            bytes: [0; MAX_ERROR_MESSAGE_BYTES],
        };
        let long = "é".repeat(MAX_ERROR_MESSAGE_BYTES);
        last.set(&long);
        let kept = last.message();
        assert!(kept.len() <= MAX_ERROR_MESSAGE_BYTES);
        assert!(kept.ends_with('…'), "{kept}");
        assert!(long.starts_with(kept.trim_end_matches('…')));
        last.set("short");
        assert_eq!(last.message(), "short");
    }
}
