//! The names of the files beside a queue database, spelled once: SQLite's own, the
//! journal's, and the name a damaged database is moved aside to. Each is the
//! database's own name with a suffix, so the files of one database sort together and
//! the files of two databases in one directory never collide.

use std::path::{Path, PathBuf};

/// SQLite's write-ahead log (the database runs in WAL mode).
pub const SQLITE_WAL: &str = "-wal";
/// SQLite's shared-memory index of the write-ahead log.
pub const SQLITE_SHM: &str = "-shm";
/// SQLite's rollback journal (left only by a database opened outside WAL mode).
pub const SQLITE_JOURNAL: &str = "-journal";
/// The two files of hamustro's own journal (see `crate::journal`).
pub const JOURNALS: [&str; 2] = [".journal0", ".journal1"];
/// Every file that belongs to the database beside it: they go where it goes.
pub const COMPANIONS: [&str; 5] = [
    SQLITE_WAL,
    SQLITE_SHM,
    SQLITE_JOURNAL,
    JOURNALS[0],
    JOURNALS[1],
];
/// The companions a tracker locks while it runs (see `files::held`): all but the
/// rollback journal, which a database in WAL mode does not have.
pub const HELD_COMPANIONS: [&str; 4] = [JOURNALS[0], JOURNALS[1], SQLITE_WAL, SQLITE_SHM];
/// Before the time (epoch seconds) a damaged database was moved aside at.
const MOVED_ASIDE: &str = ".corrupt-";

/// The file named like `database` with `suffix` added.
pub fn beside(database: &Path, suffix: &str) -> PathBuf {
    let mut name = database.as_os_str().to_owned();
    name.push(suffix);
    PathBuf::from(name)
}

/// The two journal files of `database`.
pub fn journal_paths(database: &Path) -> [PathBuf; 2] {
    JOURNALS.map(|suffix| beside(database, suffix))
}

/// Where `database`, found damaged at `stamp` (epoch seconds), is moved to.
pub fn moved_aside(database: &Path, stamp: u64) -> PathBuf {
    beside(database, &format!("{MOVED_ASIDE}{stamp}"))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn names_are_the_database_name_with_a_suffix() {
        let database = Path::new("dir/events.db");
        assert_eq!(beside(database, SQLITE_WAL), Path::new("dir/events.db-wal"));
        assert_eq!(
            journal_paths(database),
            [
                PathBuf::from("dir/events.db.journal0"),
                PathBuf::from("dir/events.db.journal1")
            ]
        );
        assert_eq!(
            moved_aside(database, 17),
            Path::new("dir/events.db.corrupt-17")
        );
    }
}
