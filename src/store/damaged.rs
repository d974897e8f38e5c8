//! Telling a damaged database from other open failures, and moving it aside so a
//! new queue can start without destroying what the old file still holds.

use std::path::{Path, PathBuf};

use crate::error::{Error, Result};
use crate::files::names::{beside, moved_aside, COMPANIONS};

/// A failed open, and whether the file itself is damaged (so moving it aside helps).
pub(super) struct OpenError {
    pub(super) error: Error,
    pub(super) corrupt: bool,
}

impl OpenError {
    /// `ours`: the file carries hamustro's mark (or is new), so damage found in it
    /// is hamustro's to clear away; another file is never moved.
    pub(super) fn from_sqlite(err: rusqlite::Error, path: &Path, ours: bool) -> OpenError {
        use rusqlite::ErrorCode::{DatabaseCorrupt, NotADatabase};
        let corrupt = ours
            && matches!(
                err.sqlite_error_code(),
                Some(DatabaseCorrupt | NotADatabase)
            );
        let what = format!("cannot open the queue database {}", path.display());
        match crate::platform::take_refused_sqlite_open() {
            // A file beside the database was refused, not the database damaged.
            Some(refused) => OpenError {
                error: super::refused_open(&what, &refused),
                corrupt: false,
            },
            None => OpenError {
                error: Error::storage(&what, err),
                corrupt,
            },
        }
    }
}

impl From<Error> for OpenError {
    fn from(error: Error) -> Self {
        OpenError {
            error,
            corrupt: false,
        }
    }
}

/// Renames a damaged database and its WAL, shared-memory and journal files out of the way,
/// keeping them for inspection or recovery.
pub(super) fn move_aside(path: &Path) -> Result<PathBuf> {
    let stamp = std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map_or(0, |d| d.as_secs());
    let aside = moved_aside(path, stamp);
    std::fs::rename(path, &aside).map_err(|e| {
        Error::storage(
            &format!("cannot move the damaged database {} aside", path.display()),
            e,
        )
    })?;
    // The journal goes too: its records name this database's tracker attributes and
    // would mean something else in a new one.
    for companion in COMPANIONS {
        let from = beside(path, companion);
        if from.exists() {
            let _ = std::fs::rename(&from, beside(&aside, companion));
        }
    }
    Ok(aside)
}
