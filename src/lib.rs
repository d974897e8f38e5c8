//! Reliable, signed event tracking for the [Hamustro] collector, with a C API.
//!
//! A [`Tracker`] stores each event durably on the calling thread, then delivers the
//! queue in batches from a thread of its own, signed with the secret it shares with
//! the collector, retrying with backoff until the collector accepts it, across
//! restarts. It is configured by a [`TrackerConfig`]; every failure is an [`Error`]
//! whose [`ErrorKind`] says what to do about it; [`Tracker::stats`] gives the
//! delivery state and [`log`] the library's own messages. [`ffi`] is the C API over
//! the same tracker (what `include/hamustro.h` declares).
//!
//! ```no_run
//! use std::time::Duration;
//! use hamustro::{Tracker, TrackerConfig};
//!
//! # fn main() -> hamustro::Result<()> {
//! let mut config = TrackerConfig::new(
//!     "https://t.example.com", // the collector
//!     "the shared secret",
//!     "device-1234",           // sent as its SHA-256
//!     "my-app",
//!     "2.3.0",
//! );
//! config.queue_size = 50;
//! let tracker = Tracker::new(config)?;
//! tracker.set_user(None, Some("user-42"))?;
//! tracker.track_event("Level.Started", &[("level", "3"), ("mode", "hard")])?;
//! // Optional: the events are sent in the background, and kept until they are.
//! tracker.flush(Duration::from_secs(5))?;
//! # Ok(())
//! # }
//! ```
//!
//! `examples/track.rs` is a small program doing this against a collector you name.
//!
//! [Hamustro]: https://github.com/sub-ninja/hamustro
//!
//! # Inside
//!
//! `unsafe` lives in two modules only, and the compiler holds everything else to
//! that: `ffi` (converting C values) and `platform` (the operating system's calls)
//! each allow it inside; every other module is safe Rust.
//!
//! The modules, and the one direction they depend on each other in, are in
//! ARCHITECTURE.md (`tests/it/module_graph/` keeps it true); the Hamustro wire format
//! is the `wire` folder alone, described in `proto/README.md`.

#![deny(unsafe_code)]
#![warn(missing_docs)]

// `internals` makes these modules public for the tests; their items are not API, so
// `missing_docs`, which holds the API to a doc comment, leaves them alone.
#[cfg_attr(feature = "internals", allow(missing_docs))]
mod backoff;
mod clock;
mod collector_url;
mod config;
#[cfg_attr(feature = "internals", allow(missing_docs))]
mod context;
mod error;
pub mod ffi;
mod files;
#[cfg_attr(feature = "internals", allow(missing_docs))]
mod journal;
pub mod log;
mod net;
mod platform;
mod quiet_panics;
mod sender;
#[cfg_attr(feature = "internals", allow(missing_docs))]
mod store;
mod tracker;
#[cfg_attr(feature = "internals", allow(missing_docs))]
mod wire;
mod worker;

pub use config::{IpSource, PayloadFormat, TrackerConfig};
pub use error::{Error, ErrorKind, Result};
pub use tracker::{Stats, Tracker};
/// The limits a call is checked against ("Limits" in docs/c-api.md).
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
    reexport!(
        backoff,
        collector_url,
        context,
        journal,
        store,
        tracker,
        wire
    );
}
