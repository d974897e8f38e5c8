//! The integration tests, one crate: each file proves one part of what the library
//! promises, and the whole links once (the test helpers in `tests/support/` compile
//! once too). Run one file's tests with `cargo test --test it crash::`.
//!
//! The library's log sink is process-wide: tests here hear it through
//! `support::log`, never through `set_logger` directly. A test that must be the only
//! thread of its process, or that changes the process's environment, is a binary of
//! its own (see Cargo.toml).

#[path = "../support/mod.rs"]
mod support;

mod abuse;
mod bindings;
mod c_api;
mod companion_files;
mod concurrent_calls;
mod control;
mod crash;
mod disk_full;
mod docs;
mod faults;
mod ffi;
mod foreign_files;
mod fuzz;
mod header;
mod journal_recovery;
mod journal_truncation;
mod limits;
mod module_graph;
mod proxy;
mod renamed_database;
mod secrets;
mod setup_scripts;
mod storage_faults;
mod tls;
mod tracker;
mod valgrind;
