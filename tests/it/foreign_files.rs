//! Files that are not hamustro's are never used as the queue, never changed, and
//! never block: the app's own SQLite database, a text file, a FIFO, a device, a
//! directory.

use crate::support;

use std::path::{Path, PathBuf};
use std::sync::mpsc;

use hamustro::{ErrorKind, Tracker};
use support::{config, refused_url, sqlite, WAIT};

/// The directory's file names, sorted.
fn listing(dir: &Path) -> Vec<String> {
    let mut names: Vec<String> = std::fs::read_dir(dir)
        .unwrap()
        .map(|e| e.unwrap().file_name().to_string_lossy().into_owned())
        .collect();
    names.sort();
    names
}

#[test]
fn files_that_are_not_hamustros_are_refused_and_left_untouched() {
    let dir = tempfile::tempdir().unwrap();
    let app_db = dir.path().join("game.sqlite3");
    sqlite(&app_db)
        .execute_batch(
            "CREATE TABLE saves(slot INTEGER, data BLOB); INSERT INTO saves VALUES (1, x'00');",
        )
        .unwrap();
    let text = dir.path().join("readme.txt");
    std::fs::write(&text, "the player's own notes\n".repeat(100)).unwrap();
    for path in [&app_db, &text] {
        let before = std::fs::read(path).unwrap();
        let files = listing(dir.path());
        let error = Tracker::new(config(&refused_url(), path))
            .err()
            .expect("a foreign file was used as the queue");
        assert_eq!(error.kind(), ErrorKind::Storage);
        assert!(error.message().contains("untouched"), "{error}");
        assert_eq!(
            std::fs::read(path).unwrap(),
            before,
            "{} changed",
            path.display()
        );
        assert_eq!(listing(dir.path()), files, "files were added or moved");
    }
}

/// Files in `dir` that are not regular files, and how the error must name each.
#[cfg(unix)]
fn special_files(dir: &Path) -> Vec<(PathBuf, &'static str)> {
    let fifo = dir.join("queue.fifo");
    assert!(std::process::Command::new("mkfifo")
        .arg(&fifo)
        .status()
        .unwrap()
        .success());
    vec![(fifo, "a FIFO"), ("/dev/zero".into(), "a device")]
}

/// Windows has no FIFOs in the file system (named pipes live under `\\.\pipe\`).
#[cfg(windows)]
fn special_files(_dir: &Path) -> Vec<(PathBuf, &'static str)> {
    vec![(r"\\.\NUL".into(), "a device")]
}

#[test]
fn paths_that_are_not_regular_files_are_refused_without_blocking() {
    let dir = tempfile::tempdir().unwrap();
    let mut paths = special_files(dir.path());
    paths.push((dir.path().to_path_buf(), "a directory"));
    for (path, kind) in paths {
        let (done, result) = mpsc::channel();
        let url = refused_url();
        let opening = path.clone();
        std::thread::spawn(move || {
            let _ = done.send(Tracker::new(config(&url, &opening)).err());
        });
        let error = result
            .recv_timeout(WAIT)
            .unwrap_or_else(|_| panic!("opening {} blocked", path.display()))
            .expect("opened");
        assert_eq!(error.kind(), ErrorKind::Storage);
        assert!(error.message().contains(kind), "{error}");
    }
}
