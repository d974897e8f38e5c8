//! The C API: with `platform`, the only layer with `unsafe`. It converts C values,
//! catches panics and maps errors to status codes; all behaviour lives in the safe
//! core.
//!
//! Conventions (also stated in the header): strings in are NUL-terminated UTF-8 and
//! are copied before the call returns; out-parameters are written only on success;
//! every function may be called from any thread, concurrently.

#![allow(unsafe_code)]
// These doc comments are the text of `include/hamustro.h` (cbindgen), where C names
// such as HAMUSTRO_STATUS_OK are plain words: backticks would show up in the header.
// For the same reason a URL pattern ("http://[user:password@]host[:port]") or an
// example URL is written as C readers read it, not as a rustdoc link.
#![allow(clippy::doc_markdown)]
#![allow(rustdoc::broken_intra_doc_links, rustdoc::bare_urls)]

mod boundary;
mod config;
mod convert;
mod fork;
mod log;
mod network;
mod registry;
mod status;
mod tracker;

pub use config::*;
pub use log::*;
pub use network::*;
pub use status::*;
pub use tracker::*;
