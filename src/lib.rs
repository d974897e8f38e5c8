//! hamustro: tracks events for a Hamustro collector and delivers them reliably and
//! signed. The safe core is in the modules below; `ffi` is the C API over it.
//!
//! The Rust API is [`Tracker`] with its [`TrackerConfig`], [`Stats`], [`Error`] and
//! the enums, [`log`] for the library's log messages, and [`ffi`], the C API's own
//! functions (what `include/hamustro.h` declares). Everything else is private.
//!
//! `unsafe` lives in two modules only, and the compiler holds everything else to
//! that: `ffi` (converting C values) and `platform` (the operating system's calls)
//! each allow it inside; every other module is safe Rust.
//!
//! The modules, and the one direction they depend on each other in, are in
//! ARCHITECTURE.md (`tests/it/module_graph/` keeps it true); the Hamustro wire format
//! is the `wire` folder alone, described in `proto/README.md`.

#![deny(unsafe_code)]

mod backoff;
mod clock;
mod collector_url;
mod config;
mod context;
mod error;
pub mod ffi;
mod files;
mod journal;
pub mod log;
mod net;
mod platform;
mod quiet_panics;
mod sender;
mod store;
mod tracker;
mod wire;
mod worker;

pub use config::{IpSource, PayloadFormat, TrackerConfig};
pub use error::{Error, ErrorKind, Result};
pub use tracker::{Stats, Tracker};
/// The limits a call is checked against (the README's "Limits").
pub use tracker::{MAX_EVENT_BYTES, MAX_EVENT_NAME_BYTES, MAX_HEADERS_BYTES, MAX_SETTINGS_BYTES};
/// The environment a build runs in (`TrackerConfig::env`), as the wire schema numbers it.
pub use wire::Environment;

/// The crate's insides, for its own integration tests and fuzz targets only (feature
/// `internals`, which `cargo test` turns on through the dev-dependency on this crate).
/// Not part of the API: anything here may change in any release.
#[cfg(feature = "internals")]
#[doc(hidden)]
pub mod internals {
    /// `internals::x` re-exports every public item of the private module `x`.
    macro_rules! reexport {
        ($($module:ident),*) => {
            $(pub mod $module {
                pub use crate::$module::*;
            })*
        };
    }
    reexport!(backoff, context, journal, store, tracker, wire);
}
