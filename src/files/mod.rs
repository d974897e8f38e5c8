//! The files of one queue database, as a set: the names of those beside it (SQLite's
//! and the journal's, `names`), and the locks that make one tracker their only user,
//! taken on files checked without following links (`held`). Below the journal, the
//! store and the tracker, which all reach these files, and above nothing but
//! `platform`.

mod held;
pub mod names;

pub use held::{lock_for_fork, DatabaseLock};
