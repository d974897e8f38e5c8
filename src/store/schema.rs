//! Which files are hamustro's queue databases. A new database is marked with
//! hamustro's SQLite `application_id` and its schema version in `user_version`; a
//! file without the mark belongs to someone else and is never written to.

use std::io::Read as _;
use std::path::Path;

use rusqlite::Connection;

use crate::error::{Error, ErrorKind};
use crate::platform;

/// "Hamu" in ASCII: SQLite's header field for telling applications' files apart.
pub(super) const APPLICATION_ID: i32 = 0x4861_6d75;
/// The layout below; raised with each change that needs a migration.
pub(super) const SCHEMA_VERSION: i32 = 1;

pub(super) const SCHEMA: &str = "
CREATE TABLE IF NOT EXISTS profiles (
    id INTEGER PRIMARY KEY,
    header BLOB NOT NULL UNIQUE
);
CREATE TABLE IF NOT EXISTS session_counters (
    session TEXT PRIMARY KEY,
    last_nr INTEGER NOT NULL
) WITHOUT ROWID;
CREATE TABLE IF NOT EXISTS events (
    id INTEGER PRIMARY KEY AUTOINCREMENT,
    profile_id INTEGER NOT NULL REFERENCES profiles(id),
    nr INTEGER NOT NULL,
    payload BLOB NOT NULL
);
CREATE INDEX IF NOT EXISTS events_by_profile ON events(profile_id, id);
-- Replaying a journal whose records were already persisted must not duplicate them.
CREATE UNIQUE INDEX IF NOT EXISTS events_by_number ON events(profile_id, nr);
CREATE TABLE IF NOT EXISTS quarantine (
    id INTEGER PRIMARY KEY,
    profile_id INTEGER,
    payload BLOB,
    reason TEXT NOT NULL
);
CREATE TABLE IF NOT EXISTS settings (
    key TEXT PRIMARY KEY,
    value
) WITHOUT ROWID;
";

/// The tables of a hamustro database, as the versions before the mark made them.
const UNMARKED_TABLES: [&str; 6] = [
    "events",
    "profiles",
    "quarantine",
    "session_counters",
    "settings",
    "sqlite_sequence",
];

/// What the file at a database path is, read from its first 100 bytes (SQLite's
/// header) before SQLite touches it.
#[derive(Debug, PartialEq, Eq)]
pub(super) enum Found {
    /// An empty (or just created) file: a new queue.
    Empty,
    /// A SQLite database carrying hamustro's mark.
    Marked,
    /// A SQLite database without any application's mark: hamustro's only if its
    /// tables are exactly hamustro's (a database of a version before the mark).
    Unmarked,
}

/// Looks at the file without writing to it (creating it, empty and owner-only, when
/// missing). A file that is not a SQLite database, or is another application's, is a
/// storage error naming it.
pub(super) fn inspect(path: &Path) -> Result<Found, Error> {
    let described = |e| {
        Error::storage(
            &format!("cannot open the queue database {}", path.display()),
            e,
        )
    };
    let file = platform::open_regular_file(path, true).map_err(described)?;
    let mut header = Vec::with_capacity(100);
    file.take(100).read_to_end(&mut header).map_err(described)?;
    if header.is_empty() {
        return Ok(Found::Empty);
    }
    if header.len() < 100 || !header.starts_with(b"SQLite format 3\0") {
        return Err(foreign(path, "is not a SQLite database"));
    }
    let field = |at: usize| {
        i32::from_be_bytes([header[at], header[at + 1], header[at + 2], header[at + 3]])
    };
    match field(68) {
        APPLICATION_ID => Ok(Found::Marked),
        0 => Ok(Found::Unmarked),
        other => Err(foreign(
            path,
            &format!("is another application's SQLite database (application_id {other:#x})"),
        )),
    }
}

/// Marks a new database and creates its tables in one transaction, so a file is
/// either empty or marked. Run before WAL mode is set, so the mark is in the main
/// file's header from the start.
pub(super) fn create(conn: &Connection) -> rusqlite::Result<()> {
    conn.execute_batch(&format!(
        "BEGIN IMMEDIATE;
         PRAGMA application_id = {APPLICATION_ID};
         PRAGMA user_version = {SCHEMA_VERSION};
         {SCHEMA}
         COMMIT;"
    ))
}

/// Checks a marked or unmarked database before anything is written to it: its mark
/// (as SQLite sees it, the WAL included) and its schema version. An unmarked one is
/// adopted only when its tables are exactly hamustro's.
pub(super) fn check_existing(conn: &Connection, path: &Path) -> Result<CheckedSchema, CheckError> {
    let application_id: i32 = conn.pragma_query_value(None, "application_id", |row| row.get(0))?;
    let version: i32 = conn.pragma_query_value(None, "user_version", |row| row.get(0))?;
    let marked = match application_id {
        APPLICATION_ID => true,
        0 => false,
        other => {
            return Err(CheckError::Foreign(foreign(
                path,
                &format!("is another application's SQLite database (application_id {other:#x})"),
            )))
        }
    };
    if !marked {
        let mut statement =
            conn.prepare("SELECT name FROM sqlite_master WHERE type = 'table' ORDER BY name")?;
        let tables = statement
            .query_map([], |row| row.get::<_, String>(0))?
            .collect::<rusqlite::Result<Vec<_>>>()?;
        if tables != UNMARKED_TABLES || version != 1 {
            return Err(CheckError::Foreign(foreign(
                path,
                "is a SQLite database that hamustro did not create (it has no hamustro mark)",
            )));
        }
    }
    if version > SCHEMA_VERSION {
        return Err(CheckError::Foreign(Error::new(
            ErrorKind::Storage,
            format!(
                "the queue database {} was written by a newer hamustro (schema {version}; \
                 this version reads up to {SCHEMA_VERSION}); it was left untouched",
                path.display()
            ),
        )));
    }
    Ok(CheckedSchema { marked, version })
}

/// What `check_existing` found out.
pub(super) struct CheckedSchema {
    /// False for a database of a version before the mark: it is marked on opening.
    pub(super) marked: bool,
    pub(super) version: i32,
}

/// Brings a checked database to the current layout and marks it.
/// Writes only what changed: reopening a current database takes no write lock (a
/// foreign process may hold it for seconds).
pub(super) fn upgrade(conn: &Connection, checked: &CheckedSchema) -> rusqlite::Result<()> {
    conn.execute_batch(SCHEMA)?;
    if !checked.marked {
        conn.pragma_update(None, "application_id", APPLICATION_ID)?;
    }
    if checked.version != SCHEMA_VERSION {
        conn.pragma_update(None, "user_version", SCHEMA_VERSION)?;
    }
    Ok(())
}

/// Why an existing file cannot be used as it is.
pub(super) enum CheckError {
    /// Not hamustro's: refuse, leave it untouched.
    Foreign(Error),
    /// SQLite failed reading it (damage included: the caller tells).
    Sqlite(rusqlite::Error),
}

impl From<rusqlite::Error> for CheckError {
    fn from(error: rusqlite::Error) -> Self {
        CheckError::Sqlite(error)
    }
}

fn foreign(path: &Path, what: &str) -> Error {
    Error::new(
        ErrorKind::Storage,
        format!(
            "the queue database {} {what}; hamustro leaves it untouched: choose another \
             database_path",
            path.display()
        ),
    )
}
