//! Files beside the database are the library's own or refused (issue 21, item 1): a
//! link, a hard link, a FIFO or a directory planted at any companion's name, for a
//! new and an existing database, makes `Tracker::new` return `STORAGE` naming the
//! file, at once, and leaves every file, the one linked to included, as it was.
//!
//! On Windows (and under Wine) the same matrix runs for what Windows can make: hard
//! links (`CreateHardLinkW`), directories, and symbolic links where the system really
//! makes them (a privilege or developer mode; Wine only pretends to make one, so there
//! they are left out, and the test says so). Windows has no FIFOs.

use crate::support;

use std::path::{Path, PathBuf};
use std::sync::mpsc;

use hamustro::{ErrorKind, Tracker};
use support::{config, refused_url, track_n, WAIT};

/// Every file the library or SQLite opens beside the database. (There is no lock
/// file: the database itself is locked.)
const COMPANIONS: [&str; 5] = [".journal0", ".journal1", "-wal", "-shm", "-journal"];

#[derive(Clone, Copy, Debug)]
enum Planted {
    Symlink,
    DanglingSymlink,
    HardLink,
    #[cfg(unix)]
    Fifo,
    Directory,
}

impl Planted {
    /// The words of the refusal: refused for what it is, not for another reason.
    fn refusal(self) -> &'static str {
        match self {
            Planted::Symlink | Planted::DanglingSymlink => "symbolic link",
            Planted::HardLink => "(hard links)",
            #[cfg(unix)]
            Planted::Fifo => "a FIFO",
            Planted::Directory => "a directory",
        }
    }
}

const PLANTED: &[Planted] = &[
    Planted::Symlink,
    Planted::DanglingSymlink,
    Planted::HardLink,
    #[cfg(unix)]
    Planted::Fifo,
    Planted::Directory,
];

/// What is outside the queue's directory: a file someone else owns the content of,
/// and where a dangling link points.
struct Outside {
    _dir: tempfile::TempDir,
    victim: PathBuf,
    missing: PathBuf,
}

const VICTIM_BYTES: &[u8] = b"the player's saved game, not hamustro's\n";

fn outside() -> Outside {
    let dir = tempfile::tempdir().unwrap();
    let victim = dir.path().join("save.dat");
    std::fs::write(&victim, VICTIM_BYTES).unwrap();
    let missing = dir.path().join("created-through-a-link");
    Outside {
        victim,
        missing,
        _dir: dir,
    }
}

#[cfg(unix)]
use std::os::unix::fs::symlink as symlink_file;
#[cfg(windows)]
use std::os::windows::fs::symlink_file;

/// A symbolic link at `at` to `target`. `false` when none could be made: Windows
/// needs a privilege or developer mode for one, and Wine's `CreateSymbolicLinkW`
/// reports success and makes nothing. Everywhere else it must work.
fn symlink_made(target: &Path, at: &Path) -> bool {
    let made = symlink_file(target, at).and_then(|()| std::fs::symlink_metadata(at));
    let made = made.is_ok_and(|metadata| metadata.file_type().is_symlink());
    assert!(
        made || cfg!(windows),
        "cannot make a symlink at {}",
        at.display()
    );
    made
}

/// Plants `what` at `at`; `false` when this system cannot make it (a symbolic link
/// on Windows without the privilege, or under Wine).
fn plant(at: &Path, what: Planted, outside: &Outside) -> bool {
    match what {
        Planted::Symlink => return symlink_made(&outside.victim, at),
        Planted::DanglingSymlink => return symlink_made(&outside.missing, at),
        Planted::HardLink => std::fs::hard_link(&outside.victim, at).unwrap(),
        #[cfg(unix)]
        Planted::Fifo => assert!(std::process::Command::new("mkfifo")
            .arg(at)
            .status()
            .unwrap()
            .success()),
        Planted::Directory => std::fs::create_dir(at).unwrap(),
    }
    true
}

/// What is at `path`, without following it: to show the planted entry is untouched.
fn kind_of(path: &Path) -> String {
    let metadata = std::fs::symlink_metadata(path).unwrap();
    format!("{:?}", metadata.file_type())
}

/// A database an earlier tracker created, tracked into and closed: every companion
/// exists (or existed) beside it.
fn existing_database(db: &Path) {
    let tracker = Tracker::new(config(&refused_url(), db)).unwrap();
    track_n(&tracker, "Earlier", 3);
    drop(tracker);
}

/// `Tracker::new` on another thread, bounded: a FIFO opened for reading would block it.
fn open_bounded(db: &Path) -> hamustro::Error {
    let (done, result) = mpsc::channel();
    let (url, opening) = (refused_url(), db.to_path_buf());
    std::thread::spawn(move || {
        let _ = done.send(Tracker::new(config(&url, &opening)).err());
    });
    result
        .recv_timeout(WAIT)
        .unwrap_or_else(|_| panic!("opening {} blocked", db.display()))
        .unwrap_or_else(|| panic!("opened {} beside a planted file", db.display()))
}

/// Plants `what` at `companion`'s name beside a new or an existing database and
/// checks the refusal; `false` when this system cannot make `what`.
fn refused_and_untouched(existing: bool, companion: &str, what: Planted) -> bool {
    let dir = tempfile::tempdir().unwrap();
    // Resolved on Unix (macOS's /var is a link); on Windows `canonicalize` gives the
    // `\\?\` form, not the path an app passes.
    #[cfg(unix)]
    let dir_path = std::fs::canonicalize(dir.path()).unwrap();
    #[cfg(windows)]
    let dir_path = dir.path().to_path_buf();
    let db = dir_path.join("events.db");
    if existing {
        existing_database(&db);
    }
    let outside = outside();
    let name = format!("events.db{companion}");
    let at = dir_path.join(&name);
    let _ = std::fs::remove_file(&at);
    if !plant(&at, what, &outside) {
        return false;
    }
    let planted_kind = kind_of(&at);
    let db_before = std::fs::read(&db).ok();

    let error = open_bounded(&db);
    let case = format!(
        "{name} as {what:?} beside a {} database",
        if existing { "existing" } else { "new" }
    );
    assert_eq!(error.kind(), ErrorKind::Storage, "{case}: {error}");
    assert!(
        error.message().contains(&name),
        "{case}: the message does not name it: {error}"
    );
    assert!(
        error.message().contains(what.refusal()),
        "{case}: the message does not say {:?}: {error}",
        what.refusal()
    );
    assert_eq!(
        std::fs::read(&outside.victim).unwrap(),
        VICTIM_BYTES,
        "{case}: the linked file changed"
    );
    assert!(
        !outside.missing.exists(),
        "{case}: a file was created through the link"
    );
    assert_eq!(
        kind_of(&at),
        planted_kind,
        "{case}: the planted entry changed"
    );
    if existing {
        assert_eq!(
            std::fs::read(&db).ok(),
            db_before,
            "{case}: the database changed"
        );
    }
    true
}

fn every_companion_and_planted_kind(existing: bool) {
    let mut left_out = Vec::new();
    for companion in COMPANIONS {
        for &what in PLANTED {
            if !refused_and_untouched(existing, companion, what) {
                left_out.push(format!("{companion} as {what:?}"));
            }
        }
    }
    if !left_out.is_empty() {
        println!(
            "note: no symbolic links here; left out: {}",
            left_out.join(", ")
        );
    }
}

#[test]
fn planted_files_beside_a_new_database_are_refused_and_left_untouched() {
    every_companion_and_planted_kind(false);
}

#[test]
fn planted_files_beside_an_existing_database_are_refused_and_left_untouched() {
    every_companion_and_planted_kind(true);
}

/// The check is part of SQLite's own opens, not only a look before them: a hard link
/// planted at the WAL's name after the tracker's checks (here: with no tracker at
/// all) still makes SQLite's open fail, naming the file, and the linked file keeps
/// its bytes.
#[test]
fn sqlite_itself_never_opens_a_planted_companion() {
    let dir = tempfile::tempdir().unwrap();
    let db = dir.path().join("events.db");
    // A tracker installs the guard, and leaves a database in WAL mode.
    existing_database(&db);
    for companion in ["-wal", "-shm"] {
        let outside = outside();
        let at = PathBuf::from(format!("{}{companion}", db.display()));
        let _ = std::fs::remove_file(&at);
        assert!(plant(&at, Planted::HardLink, &outside));
        let opened = rusqlite::Connection::open(&db)
            .and_then(|conn| conn.query_row("SELECT count(*) FROM events", [], |_| Ok(())));
        assert!(
            opened.is_err(),
            "SQLite used a hard link at {}",
            at.display()
        );
        assert_eq!(std::fs::read(&outside.victim).unwrap(), VICTIM_BYTES);
        std::fs::remove_file(&at).unwrap();
    }
}
