//! The library's errors as Godot `Error` codes: one code for each `ErrorKind`, so a
//! GDScript caller can compare a result with the constants it knows (`OK`,
//! `ERR_TIMEOUT`…) and read the message from `last_error`.

use godot::global::Error as GodotError;
use hamustro::{Error, ErrorKind};

/// The Godot code of an error's kind.
///
/// | kind | Godot `Error` |
/// |---|---|
/// | `InvalidArgument` (a bad option, name, parameter) | `ERR_INVALID_PARAMETER` |
/// | `InvalidHandle` (not configured, or closed) | `ERR_UNCONFIGURED` |
/// | `Storage` (the queue's database) | `ERR_FILE_CANT_OPEN` |
/// | `Network` (unreachable, a 5xx answer) | `ERR_CANT_CONNECT` |
/// | `Rejected` (a 4xx answer, such as a bad signature) | `ERR_UNAUTHORIZED` |
/// | `Timeout` (a flush ran out of time) | `ERR_TIMEOUT` |
/// | `Internal` (a bug in the library) | `ERR_BUG` |
/// | `Disabled` (tracking switched off) | `ERR_UNAVAILABLE` |
/// | `OutOfResources` (memory, a thread) | `ERR_OUT_OF_MEMORY` |
pub fn code(error: &Error) -> GodotError {
    match error.kind() {
        ErrorKind::InvalidArgument => GodotError::ERR_INVALID_PARAMETER,
        ErrorKind::InvalidHandle => GodotError::ERR_UNCONFIGURED,
        ErrorKind::Storage => GodotError::ERR_FILE_CANT_OPEN,
        ErrorKind::Network => GodotError::ERR_CANT_CONNECT,
        ErrorKind::Rejected => GodotError::ERR_UNAUTHORIZED,
        ErrorKind::Timeout => GodotError::ERR_TIMEOUT,
        ErrorKind::Disabled => GodotError::ERR_UNAVAILABLE,
        ErrorKind::OutOfResources => GodotError::ERR_OUT_OF_MEMORY,
        ErrorKind::Internal => GodotError::ERR_BUG,
        // A kind added by a later version of the library, until it has a code here.
        _ => GodotError::FAILED,
    }
}

/// The error of a bad argument to one of this addon's own calls (a settings key, a
/// timeout), as the library reports its own.
pub fn invalid(message: impl Into<String>) -> Error {
    Error::new(ErrorKind::InvalidArgument, message)
}

/// The error of a call made before `configure` succeeded (or after `close`).
pub fn not_configured() -> Error {
    Error::new(
        ErrorKind::InvalidHandle,
        "Hamustro is not configured: call configure() first",
    )
}

#[cfg(test)]
mod tests {
    use super::*;
    use godot::obj::EngineEnum as _;

    #[test]
    fn every_kind_has_its_own_code() {
        let kinds = [
            ErrorKind::InvalidArgument,
            ErrorKind::InvalidHandle,
            ErrorKind::Storage,
            ErrorKind::Network,
            ErrorKind::Rejected,
            ErrorKind::Timeout,
            ErrorKind::Internal,
            ErrorKind::Disabled,
            ErrorKind::OutOfResources,
        ];
        let codes: std::collections::HashSet<_> = kinds
            .iter()
            .map(|&kind| code(&Error::new(kind, "x")).ord())
            .collect();
        assert_eq!(codes.len(), kinds.len());
        assert!(!codes.contains(&GodotError::OK.ord()));
    }
}
