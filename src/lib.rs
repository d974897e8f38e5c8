//! hamustro: tracks events for a Hamustro collector and delivers them reliably and
//! signed. The safe core is in the modules below; `ffi` is the C API over it.
//!
//! `unsafe` lives in two modules only, and the compiler holds everything else to
//! that: `ffi` (converting C values) and `platform` (the operating system's calls)
//! each allow it inside; every other module is safe Rust.

#![deny(unsafe_code)]

pub mod backoff;
pub mod collector_url;
pub mod config;
pub mod context;
pub mod error;
pub mod ffi;
pub mod journal;
pub mod json;
pub mod log;
mod platform;
mod quiet_panics;
pub mod sender;
pub mod session;
pub mod signature;
pub mod store;
pub mod tracker;
mod worker;

/// The wire schema, generated from `proto/hamustro.proto` by prost.
pub mod wire {
    include!(concat!(env!("OUT_DIR"), "/hamustro.rs"));
}

pub use config::{IpSource, PayloadFormat, TrackerConfig};
pub use error::{Error, ErrorKind, Result};
pub use tracker::{Stats, Tracker};
