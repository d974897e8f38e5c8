//! The one error type of the library. Every failure has a kind (which the C API maps to
//! a status code) and a message that names the thing that failed, never a secret.

use std::fmt;

/// What went wrong, coarsely: one kind per C status code.
///
/// New kinds may come with new status codes, so a `match` on it needs a `_` arm.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
#[non_exhaustive]
pub enum ErrorKind {
    /// The caller passed something unusable (missing field, bad URL, invalid UTF-8…).
    InvalidArgument,
    /// A handle that is not (or no longer) registered.
    InvalidHandle,
    /// The on-disk queue could not be opened, read or written.
    Storage,
    /// The collector could not be reached, or answered with a server error.
    Network,
    /// The collector refused the request (4xx): the events stay queued.
    Rejected,
    /// A bounded wait (flush) ran out before the work was done.
    Timeout,
    /// A bug in this library (a caught panic, a poisoned lock).
    Internal,
    /// The app switched tracking off (`set_enabled(false)`).
    Disabled,
    /// The system refused a resource the call needs: memory, a thread, address space.
    OutOfResources,
}

/// An error of this library: a [`kind`](Error::kind) to act on and a readable
/// [`message`](Error::message) (also its `Display`) that names the thing that failed,
/// never a secret or a user id.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Error {
    kind: ErrorKind,
    message: String,
}

impl Error {
    /// An error of `kind` with `message`. For code built on this library's Rust API
    /// (the Godot addon) that reports its own failures as the library's; the library's
    /// own errors come from the constructors below, which are private to the crate.
    pub fn new(kind: ErrorKind, message: impl Into<String>) -> Error {
        Error {
            kind,
            message: message.into(),
        }
    }

    /// The caller passed something unusable; `message` names it.
    pub(crate) fn invalid(message: impl Into<String>) -> Error {
        Error::new(ErrorKind::InvalidArgument, message)
    }

    /// The on-disk queue failed at `context`.
    pub(crate) fn storage(context: &str, err: impl fmt::Display) -> Error {
        Error::new(ErrorKind::Storage, format!("{context}: {err}"))
    }

    /// The collector could not be reached.
    pub(crate) fn network(message: impl Into<String>) -> Error {
        Error::new(ErrorKind::Network, message)
    }

    /// A call on a tracker that has been closed (or is closing).
    pub(crate) fn closed() -> Error {
        Error::new(ErrorKind::InvalidHandle, "the tracker is closed")
    }

    /// A bug in this library.
    pub(crate) fn internal(message: impl Into<String>) -> Error {
        Error::new(ErrorKind::Internal, message)
    }

    /// The system refused `what` (memory, a thread): the call can succeed later, when
    /// the process has more to spare.
    pub(crate) fn out_of_resources(what: &str, err: impl fmt::Display) -> Error {
        Error::new(ErrorKind::OutOfResources, format!("{what}: {err}"))
    }

    /// What went wrong, coarsely (the C API's status code).
    pub fn kind(&self) -> ErrorKind {
        self.kind
    }

    /// The readable message, as `Display` prints it.
    pub fn message(&self) -> &str {
        &self.message
    }
}

impl fmt::Display for Error {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.message)
    }
}

impl std::error::Error for Error {}

/// The result of every fallible call of this library.
pub type Result<T> = std::result::Result<T, Error>;
