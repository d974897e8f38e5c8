//! The files a tracker holds, so that no other tracker uses any of them, whatever
//! names they are reached by or have been given since: the database and every file
//! beside it.
//!
//! - The database: an exclusive lock on the file itself (`flock`, `LockFileEx`), so it
//!   holds whatever name the file is reached by (a symlink, a hard link, `..`, a bind
//!   mount) and in any process.
//! - Its companions (the journal files, SQLite's WAL and shared-memory index): the same
//!   lock on each, taken as soon as it exists. A database renamed under a running
//!   tracker leaves the companions at the old names: a tracker opened there later
//!   creates a new database, but finds the companions locked and is refused before
//!   SQLite or the journal reads or writes any of them.
//! - Before anything opens them, every companion name (SQLite's rollback journal
//!   included) is looked at without following it: a link, a directory, a FIFO, a
//!   device, a file with a second name or another user's is refused, naming it, and
//!   left untouched. The files are then opened without following links or blocking
//!   (`platform::open_companion`, and SQLite through `platform::guard_sqlite_opens`),
//!   which closes the moment between the look and the open.
//!
//! Within one process the locks are not enough: closing a second descriptor of a file
//! drops every `fcntl` lock the process holds on it, SQLite's included, so a file this
//! process holds is never opened a second time. `HELD` names them by identity, and a
//! name is looked up there (with `lstat`, which opens nothing) before it is opened.

use std::collections::HashSet;
use std::fs::File;
use std::path::Path;
use std::sync::{LazyLock, Mutex, PoisonError};

use super::names::{beside, HELD_COMPANIONS, SQLITE_JOURNAL};
use crate::error::{Error, ErrorKind, Result};
use crate::platform::{self, FileIdentity, LockOutcome};

/// The files this process's trackers hold, by identity.
static HELD: LazyLock<Mutex<HashSet<FileIdentity>>> = LazyLock::new(|| Mutex::new(HashSet::new()));

fn held() -> std::sync::MutexGuard<'static, HashSet<FileIdentity>> {
    HELD.lock().unwrap_or_else(PoisonError::into_inner)
}

/// The database's lock and its companions' (`HELD_COMPANIONS`, in that order, as far
/// as they exist yet). Shared holds it so that it is released last, after SQLite and
/// the journal closed their descriptors. Released when dropped.
pub struct DatabaseLock {
    files: Vec<(File, FileIdentity)>,
    companions: [bool; HELD_COMPANIONS.len()],
}

fn in_use(path: &Path, what: &str) -> Error {
    Error::new(
        ErrorKind::Storage,
        format!("the {what} {} is in use by another tracker", path.display()),
    )
}

impl DatabaseLock {
    /// Locks the database at `path` (creating the file and its directory, owner-only,
    /// if missing), failing at once when another tracker holds it or when the path
    /// names something other than a regular file.
    pub fn acquire(path: &Path) -> Result<DatabaseLock> {
        if let Some(parent) = path.parent().filter(|p| !p.as_os_str().is_empty()) {
            platform::create_private_dir(parent).map_err(|e| {
                Error::storage(
                    &format!("cannot create the directory {}", parent.display()),
                    e,
                )
            })?;
        }
        let cannot_use = |e| {
            Error::storage(
                &format!("cannot use the queue database {}", path.display()),
                e,
            )
        };
        let mut held = held();
        if let Some(identity) = platform::identity_of_path(path).map_err(cannot_use)? {
            if held.contains(&identity) {
                return Err(in_use(path, "queue database"));
            }
        }
        let file = platform::open_regular_file(path, true).map_err(cannot_use)?;
        let identity = platform::identity(&file).map_err(cannot_use)?;
        if held.contains(&identity) {
            // The name changed to a held file between the look and the open; this
            // descriptor must then stay open, or closing it would drop SQLite's locks.
            std::mem::forget(file);
            return Err(in_use(path, "queue database"));
        }
        match platform::try_lock_exclusive(&file).map_err(|e| {
            Error::storage(
                &format!("cannot lock the queue database {}", path.display()),
                e,
            )
        })? {
            LockOutcome::Locked => {}
            LockOutcome::Busy => return Err(in_use(path, "queue database")),
        }
        held.insert(identity);
        Ok(DatabaseLock {
            files: vec![(file, identity)],
            companions: [false; HELD_COMPANIONS.len()],
        })
    }

    /// Checks every file beside the database at `path` (its resolved spelling) and
    /// locks those that exist and are not held yet. Called before SQLite and the
    /// journal open them, and again once they have created what was missing. Refuses,
    /// naming the file and leaving it untouched, anything that is not a regular file
    /// with one name, this user's, and any file another tracker holds.
    pub fn hold_companions(&mut self, path: &Path) -> Result<()> {
        let refused = |file: &Path, e| {
            Error::storage(
                &format!(
                    "cannot use {} beside the queue database; it was left untouched",
                    file.display()
                ),
                e,
            )
        };
        // SQLite's rollback journal is only looked at: a database in WAL mode has none,
        // and one a crash left is SQLite's to read (through the guarded open).
        let journal = beside(path, SQLITE_JOURNAL);
        platform::check_companion(&journal).map_err(|e| refused(&journal, e))?;
        for (index, suffix) in HELD_COMPANIONS.iter().enumerate() {
            if self.companions[index] {
                continue;
            }
            let file = beside(path, suffix);
            let mut held = held();
            let Some(identity) = platform::check_companion(&file).map_err(|e| refused(&file, e))?
            else {
                continue;
            };
            if held.contains(&identity) {
                return Err(in_use(&file, "file"));
            }
            let Some(opened) =
                platform::open_companion(&file, false).map_err(|e| refused(&file, e))?
            else {
                continue;
            };
            let opened_identity = platform::identity(&opened).map_err(|e| refused(&file, e))?;
            if held.contains(&opened_identity) {
                // Swapped for a held file since the look: closing this descriptor would
                // drop SQLite's locks on it.
                std::mem::forget(opened);
                return Err(in_use(&file, "file"));
            }
            match platform::try_lock_exclusive(&opened).map_err(|e| refused(&file, e))? {
                LockOutcome::Locked => {}
                LockOutcome::Busy => return Err(in_use(&file, "file")),
            }
            held.insert(opened_identity);
            self.files.push((opened, opened_identity));
            self.companions[index] = true;
        }
        Ok(())
    }
}

/// Holds the set of held files across a fork (`ffi/fork.rs`).
pub fn lock_for_fork() -> impl std::any::Any {
    held()
}

impl Drop for DatabaseLock {
    fn drop(&mut self) {
        let mut held = held();
        for (file, identity) in &self.files {
            platform::unlock(file);
            held.remove(identity);
        }
    }
}
