//! Defects an outside abuse run found, each fixed as a class and pinned here by tests
//! through the public API (the C API's share is in tests/abuse.rs): numbers taken
//! twice, settings that poison every event, files that are not hamustro's, files still
//! held after close, secrets in debug output, a switch that could disagree with its
//! store, and persist retries that lost their pace.

mod support;

use std::path::{Path, PathBuf};
use std::sync::{mpsc, Arc, Barrier, Condvar, Mutex, OnceLock, PoisonError};
use std::time::{Duration, Instant};

use base64::Engine as _;
use hamustro::internals::journal::{Frame, Journal};
use hamustro::internals::wire::{Parameter, Payload};
use hamustro::log::{set_logger, Level};
use hamustro::{ErrorKind, Tracker, TrackerConfig};
use prost::Message as _;
use support::collector::Collector;
use support::{config, refused_url, temp_db, track_n, SECRET, WAIT};

/// Every message the library logs while this test binary runs; each test picks its
/// own out by the database path they name.
/// Notified after each message `logged()` collects.
static LOGGED_ONE_MORE: Condvar = Condvar::new();

fn logged() -> &'static Mutex<Vec<String>> {
    static LOGGED: OnceLock<Mutex<Vec<String>>> = OnceLock::new();
    LOGGED.get_or_init(|| {
        set_logger(Some((
            Level::Debug,
            Arc::new(|_, message: &str| {
                logged()
                    .lock()
                    .unwrap_or_else(PoisonError::into_inner)
                    .push(message.to_string());
                LOGGED_ONE_MORE.notify_all();
            }),
        )));
        Mutex::new(Vec::new())
    })
}

/// The messages naming the file at `path`, in whatever form the library spells it
/// (resolved, and on Windows without the `\\?\` prefix): recognised by its unique
/// temporary directory and its file name.
fn messages_naming(path: &Path) -> Vec<String> {
    let name = |p: Option<&std::ffi::OsStr>| p.unwrap().to_str().unwrap().to_owned();
    let (dir, file) = (
        name(path.parent().unwrap().file_name()),
        name(path.file_name()),
    );
    logged()
        .lock()
        .unwrap()
        .iter()
        .filter(|m| m.contains(&dir) && m.contains(&file))
        .cloned()
        .collect()
}

/// How many messages naming `path` contain `needle`, once there is at least one (the
/// worker logs in the background), or 0 after `WAIT`.
fn wait_for_messages(path: &Path, needle: &str) -> usize {
    let name = |p: Option<&std::ffi::OsStr>| p.unwrap().to_str().unwrap().to_owned();
    let (dir, file) = (
        name(path.parent().unwrap().file_name()),
        name(path.file_name()),
    );
    let deadline = Instant::now() + WAIT;
    let mut messages = logged().lock().unwrap();
    loop {
        let count = messages
            .iter()
            .filter(|m| m.contains(&dir) && m.contains(&file) && m.contains(needle))
            .count();
        let now = Instant::now();
        if count > 0 || now >= deadline {
            return count;
        }
        messages = LOGGED_ONE_MORE
            .wait_timeout(messages, deadline - now)
            .unwrap()
            .0;
    }
}

fn sqlite(db: &Path) -> rusqlite::Connection {
    rusqlite::Connection::open(db).unwrap()
}

#[test]
fn two_different_events_with_one_number_are_kept_and_counted_not_dropped() {
    logged();
    let (_dir, db) = temp_db();
    let session = {
        let tracker = Tracker::new(TrackerConfig {
            queue_size: 1000,
            ..config(&refused_url(), &db)
        })
        .unwrap();
        track_n(&tracker, "Stored", 3);
        tracker.session().to_string()
    };
    let db = std::fs::canonicalize(&db).unwrap();
    // A journal another tracker on the same file would leave: its own numbers 1 to 3,
    // for the same session and attributes, but different events.
    {
        let (mut journal, _) = Journal::open(&db).unwrap();
        journal.start(0, usize::MAX);
        for i in 0..3 {
            let payload = Payload {
                event: format!("Other{i}"),
                ..Payload::default()
            };
            journal.append(Frame::new(1, &session, &payload)).unwrap();
        }
    }
    let tracker = Tracker::new(config(&refused_url(), &db)).unwrap();
    let stats = tracker.stats().unwrap();
    assert_eq!((stats.queued, stats.quarantined), (3, 3));
    let kept: i64 = sqlite(&db)
        .query_row(
            "SELECT count(*) FROM quarantine WHERE reason LIKE '%already used%'",
            [],
            |row| row.get(0),
        )
        .unwrap();
    assert_eq!(kept, 3, "the conflicting events are kept, not dropped");
    assert!(
        messages_naming(&db)
            .iter()
            .any(|m| m.contains("already used by a different event")),
        "the conflict was not logged"
    );
}

#[test]
fn a_stored_setting_too_large_for_any_event_is_dropped_and_tracking_goes_on() {
    logged();
    let collector = Collector::start(SECRET);
    let (_dir, db) = temp_db();
    drop(Tracker::new(config(&refused_url(), &db)).unwrap());
    // What an older version or a hand-edited file could hold.
    let huge = Payload {
        parameters: vec![Parameter {
            name: "blob".into(),
            value: "x".repeat(300 * 1024),
        }],
        ..Payload::default()
    };
    let encoded = base64::engine::general_purpose::STANDARD.encode(huge.encode_to_vec());
    let conn = sqlite(&db);
    conn.execute(
        "INSERT OR REPLACE INTO settings(key, value) VALUES ('global_parameters', ?1)",
        [&encoded],
    )
    .unwrap();
    conn.execute(
        "INSERT OR REPLACE INTO settings(key, value) VALUES ('user_id', ?1)",
        ["u".repeat(100 * 1024)],
    )
    .unwrap();
    drop(conn);

    let tracker = Tracker::new(config(&collector.url(), &db)).unwrap();
    tracker
        .track_event("AfterPoison", &[("k", "v")])
        .expect("a stored setting must not block tracking");
    tracker.flush(WAIT).unwrap();
    let events = collector.events();
    assert_eq!(events.len(), 1);
    assert_eq!(events[0].user_id, None);
    assert_eq!(events[0].param("blob"), None);
    let dropped: Vec<_> = messages_naming(&db)
        .into_iter()
        .filter(|m| m.contains("dropped"))
        .collect();
    assert_eq!(dropped.len(), 2, "{dropped:?}");
}

#[test]
fn settings_are_checked_against_the_event_limit_when_set() {
    let (_dir, db) = temp_db();
    let tracker = Tracker::new(config(&refused_url(), &db)).unwrap();
    let big = "x".repeat(40 * 1024);
    tracker.set_global_parameter("first", Some(&big)).unwrap();
    for error in [
        tracker.set_global_parameter("second", Some(&big)),
        tracker.set_user(Some(&big), None),
        tracker.set_user(None, Some(&big)),
    ] {
        let error = error.unwrap_err();
        assert_eq!(error.kind(), ErrorKind::InvalidArgument);
        assert!(error.message().contains("65536"), "{error}");
    }
    // Replacing the large one with a small one is fine, and so is tracking.
    tracker
        .set_global_parameter("first", Some("small"))
        .unwrap();
    tracker.set_user(Some("tenant"), Some(&big)).unwrap();
    track_n(&tracker, "Fits", 1);
}

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

#[test]
fn close_releases_the_files_while_other_threads_still_hold_the_tracker() {
    let (_dir, db) = temp_db();
    for _ in 0..20 {
        let tracker = Arc::new(Tracker::new(config(&refused_url(), &db)).unwrap());
        let late_caller = Arc::clone(&tracker);
        tracker.close();
        // The other reference is alive, yet the database is free…
        let next = Tracker::new(config(&refused_url(), &db)).expect("the database is held");
        // …and the late call is refused, not run against closed files.
        let error = late_caller
            .track_event("Late", &[] as &[(&str, &str)])
            .unwrap_err();
        assert_eq!(error.kind(), ErrorKind::InvalidHandle);
        drop(next);
    }
}

#[test]
fn no_debug_output_or_message_carries_the_secret_or_the_salt() {
    logged();
    let secret = "SECRET-e7d1c0";
    let salt = "SALT-4b9f22";
    let password = "PASSWORD-93aa";
    let collector = Collector::start(secret);
    let (_dir, db) = temp_db();
    let config = TrackerConfig {
        shared_secret_key: secret.into(),
        user_id_salt: Some(salt.into()),
        collector_url: collector
            .url()
            .replace("://", &format!("://user:{password}@")),
        ..config(&collector.url(), &db)
    };
    let debug = format!("{config:?} {config:#?}");
    for hidden in [secret, salt, password] {
        assert!(!debug.contains(hidden), "Debug shows {hidden}: {debug}");
    }
    let tracker = Tracker::new(config.clone()).unwrap();
    tracker.set_user(Some("t"), Some("player-1")).unwrap();
    track_n(&tracker, "Seen", 2);
    tracker.flush(WAIT).unwrap();
    let stats = format!("{:?}", tracker.stats().unwrap());
    let invalid = TrackerConfig {
        collector_url: format!("ftp://user:{password}@h"),
        ..config
    };
    let error = invalid.validate().unwrap_err();
    let messages = logged().lock().unwrap().join("\n");
    for text in [stats, format!("{error} {error:?}"), messages] {
        for hidden in [secret, salt, password] {
            assert!(!text.contains(hidden), "{hidden} in {text}");
        }
    }
}

#[test]
fn concurrent_switching_leaves_the_store_and_the_switch_agreeing() {
    let (_dir, db) = temp_db();
    let tracker = Arc::new(Tracker::new(config(&refused_url(), &db)).unwrap());
    let reader = sqlite(&db);
    for _ in 0..100 {
        let barrier = Arc::new(Barrier::new(4));
        let threads: Vec<_> = (0..4)
            .map(|i| {
                let (tracker, barrier) = (Arc::clone(&tracker), Arc::clone(&barrier));
                std::thread::spawn(move || {
                    barrier.wait();
                    tracker.set_enabled(i % 2 == 0).unwrap();
                })
            })
            .collect();
        for thread in threads {
            thread.join().unwrap();
        }
        let stored: String = reader
            .query_row(
                "SELECT CAST(value AS TEXT) FROM settings WHERE key = 'enabled'",
                [],
                |row| row.get(0),
            )
            .unwrap();
        assert_eq!(
            stored == "1",
            tracker.enabled(),
            "store and switch disagree"
        );
    }
}

#[test]
fn while_the_store_refuses_records_persist_retries_keep_their_pace() {
    logged();
    let collector = Collector::start(SECRET);
    let (_dir, db) = temp_db();
    let tracker = Tracker::new(TrackerConfig {
        queue_size: 1_000_000,
        ..config(&refused_url(), &db)
    })
    .unwrap();
    let db = tracker.database_path();
    // Another connection makes every insert into the queue fail at once.
    let conn = sqlite(&db);
    conn.execute_batch(
        "CREATE TRIGGER refuse BEFORE INSERT ON events BEGIN SELECT RAISE(ABORT, 'refused by test'); END;",
    )
    .unwrap();
    let started = Instant::now();
    track_n(&tracker, "WhileRefused", 5000);
    // The worker persists in the background: on a loaded machine its first attempt may
    // come after the last event was tracked (counting then gave 0).
    let attempts = wait_for_messages(&db, "refused by test");
    let elapsed = started.elapsed();
    // One attempt when the first record arrived, then one per retry interval (1 s);
    // not one for every event tracked beyond a batch.
    let paced = 2 + elapsed.as_secs() as usize;
    assert!(
        (1..=paced).contains(&attempts),
        "{attempts} persist attempts in {elapsed:?}"
    );
    conn.execute_batch("DROP TRIGGER refuse").unwrap();
    drop(tracker);
    let tracker = Tracker::new(config(&collector.url(), &db)).unwrap();
    tracker.flush(Duration::from_secs(60)).unwrap();
    assert_eq!(collector.events().len(), 5000, "events were lost");
}

#[test]
fn every_limit_is_named_in_its_error() {
    let (_dir, db) = temp_db();
    let tracker = Tracker::new(config(&refused_url(), &db)).unwrap();
    let named = |result: hamustro::Result<()>, limit: &str| {
        let error = result.unwrap_err();
        assert_eq!(error.kind(), ErrorKind::InvalidArgument);
        assert!(error.message().contains(limit), "{limit} not in {error}");
    };
    named(
        tracker.track_event(&"n".repeat(1025), &[] as &[(&str, &str)]),
        "1024 bytes",
    );
    named(
        tracker.track_event("Big", &[("pad", "x".repeat(300 * 1024))]),
        "262144",
    );
    let value = "v".repeat(9 * 1024);
    named(
        tracker.set_headers(&[("X-A", value.as_str()), ("X-B", value.as_str())]),
        "16384",
    );
    named(
        tracker.set_headers(&[("Host", "elsewhere")]),
        "x-hamustro-signature",
    );
    let long = "d".repeat(1025);
    named(
        TrackerConfig {
            device_model: Some(long),
            ..config(&refused_url(), &db)
        }
        .validate(),
        "1024 bytes",
    );
}
