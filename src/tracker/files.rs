//! Where a tracker keeps its queue, and the files that guard and feed it: the lock
//! that allows one tracker per database, and the journal left by an earlier run.

use std::collections::hash_map::{Entry, HashMap};
use std::fs::{DirBuilder, File, OpenOptions};
use std::os::unix::fs::{DirBuilderExt as _, OpenOptionsExt as _};
use std::path::{Path, PathBuf};

use crate::error::{Error, ErrorKind, Result};
use crate::journal::Journal;
use crate::log::{log, Level};
use crate::store::Store;
use crate::worker::MAX_PENDING;

/// Moves what a killed process left in the journal into the store, empties the
/// journal, and sets it to number this session's events after the last stored one.
pub(super) fn recover_journal(
    store: &mut Store,
    path: &Path,
    session: &str,
    max_queued_events: u64,
) -> Result<Journal> {
    let (mut journal, left) = Journal::open(path)?;
    // A record belongs here only if it names attributes of its own session in this
    // database; anything else (a journal that outlived its database) is kept aside.
    let mut belonging = Vec::with_capacity(left.len());
    let mut foreign = Vec::new();
    let mut sessions: HashMap<i64, Option<String>> = HashMap::new();
    for record in left {
        let session = match sessions.entry(record.profile_id) {
            Entry::Occupied(known) => known.into_mut(),
            Entry::Vacant(new) => new.insert(store.profile_session(record.profile_id)?),
        };
        if session.as_deref() == Some(record.session.as_str()) {
            belonging.push(record);
        } else {
            foreign.push(record);
        }
    }
    if !foreign.is_empty() {
        store.quarantine_records(&foreign, "journal record of another database")?;
        log(Level::Error, || {
            format!(
                "{} journal records did not match the queue database {}; kept in its quarantine table",
                foreign.len(),
                path.display()
            )
        });
    }
    let left = belonging;
    if !left.is_empty() {
        let inserted = store.insert(&left, max_queued_events)?;
        log(Level::Info, || {
            format!(
                "recovered {} events from the journal of an earlier run",
                inserted.stored
            )
        });
    }
    journal.clear()?;
    journal.start(store.last_nr(session)?, MAX_PENDING);
    Ok(journal)
}

/// Takes the database's companion lock file, failing at once when another tracker,
/// in this process or another, holds it: two trackers numbering events in one file
/// would break the gap-free `nr`.
pub(super) fn lock_database(path: &Path) -> Result<File> {
    if let Some(parent) = path.parent().filter(|p| !p.as_os_str().is_empty()) {
        DirBuilder::new()
            .recursive(true)
            .mode(0o700)
            .create(parent)
            .map_err(|e| {
                Error::storage(
                    &format!("cannot create the directory {}", parent.display()),
                    e,
                )
            })?;
    }
    let mut lock_path = path.as_os_str().to_owned();
    lock_path.push(".lock");
    let file = OpenOptions::new()
        .create(true)
        .truncate(false)
        .write(true)
        .mode(0o600)
        .open(&lock_path)
        .map_err(|e| {
            Error::storage(
                &format!(
                    "cannot open the lock file {}",
                    Path::new(&lock_path).display()
                ),
                e,
            )
        })?;
    file.try_lock().map_err(|_| {
        Error::new(
            ErrorKind::Storage,
            format!(
                "the queue database {} is in use by another tracker",
                path.display()
            ),
        )
    })?;
    Ok(file)
}

/// The per-user data directory of the platform, with one file per client id.
pub fn default_database_path(client_id: &str) -> PathBuf {
    let home = std::env::var_os("HOME").map(PathBuf::from);
    let base = if cfg!(target_vendor = "apple") {
        home.map(|h| h.join("Library").join("Application Support"))
    } else {
        std::env::var_os("XDG_DATA_HOME")
            .map(PathBuf::from)
            .filter(|p| p.is_absolute())
            .or_else(|| home.map(|h| h.join(".local").join("share")))
    };
    let file: String = client_id
        .chars()
        .map(|c| {
            if c.is_ascii_alphanumeric() || c == '-' || c == '_' {
                c
            } else {
                '_'
            }
        })
        .collect();
    base.unwrap_or_else(std::env::temp_dir)
        .join("hamustro")
        .join(format!("{file}.sqlite3"))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn default_path_is_per_client_and_file_safe() {
        let path = default_database_path("my app/1");
        assert!(
            path.ends_with("hamustro/my_app_1.sqlite3"),
            "{}",
            path.display()
        );
    }
}
