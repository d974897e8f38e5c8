//! One app's queue is never another's: the default database name is the client id's
//! own, in the default directory or the one the app names (`database_directory`), and
//! a database refuses a tracker of any client id but the one that made it.

#[allow(dead_code, unused_imports)] // this binary uses a part of the shared helpers
mod support;

use std::ffi::CString;
use std::path::{Path, PathBuf};
use std::ptr::null;
use std::sync::Once;

use hamustro::ffi::{
    hamustro_config_free, hamustro_config_set_database_directory,
    hamustro_config_set_database_path, hamustro_tracker_free, hamustro_tracker_new, HamustroConfig,
    HamustroStatus, HamustroTracker,
};
use hamustro::internals::tracker::{database_path_in, default_database_path};
use hamustro::{ErrorKind, Tracker, TrackerConfig};
use support::collector::Collector;
use support::{c_config, config, last_error, refused_url, temp_db, track_n, SECRET, WAIT};

/// Every test's first call: the default path's data directory is a fresh one, set
/// before any test reads the environment (each waits here until it is).
fn data_home() -> PathBuf {
    static SET: Once = Once::new();
    SET.call_once(|| {
        let dir = tempfile::tempdir().unwrap().keep();
        std::env::set_var("XDG_DATA_HOME", dir);
    });
    PathBuf::from(std::env::var_os("XDG_DATA_HOME").unwrap())
}

/// A configuration of `client_id` on the default path (`db` None) or `db`.
fn of_client(client_id: &str, url: &str, db: Option<&Path>) -> TrackerConfig {
    support::with(config(url, Path::new("unused")), |c| {
        c.client_id = client_id.to_string();
        c.database_path = db.map(Path::to_path_buf);
    })
}

/// A configuration of `client_id` with its queue in `directory`, named by the library.
fn in_directory(client_id: &str, url: &str, directory: &Path) -> TrackerConfig {
    support::with(of_client(client_id, url, None), |c| {
        c.database_directory = Some(directory.to_path_buf());
    })
}

/// Two names of one file, whichever spelling each has (`\\?\` on Windows).
fn assert_same_file(a: &Path, b: &Path) {
    assert_eq!(
        a.canonicalize().unwrap(),
        b.canonicalize().unwrap(),
        "{} is not {}",
        a.display(),
        b.display()
    );
}

fn queued_in(db: &Path) -> i64 {
    rusqlite::Connection::open(db)
        .unwrap()
        .query_row("SELECT count(*) FROM events", [], |row| row.get(0))
        .unwrap()
}

#[test]
#[cfg_attr(
    windows,
    ignore = "the default directory is the user's LocalAppData, which a test cannot move (XDG_DATA_HOME is Unix's)"
)]
fn apps_whose_ids_the_old_file_name_confused_get_queues_of_their_own() {
    data_home();
    for [first, second] in [
        ["a.b", "a_b"],
        ["studio/game", "studio\\game"],
        ["játék", "jötük"],
    ] {
        // The first app cannot deliver: its events wait in its queue.
        let tracker = Tracker::new(of_client(first, &refused_url(), None)).unwrap();
        track_n(&tracker, "First.App", 3);
        let first_path = tracker.database_path();
        drop(tracker);
        // The second app, run afterwards, delivers only its own.
        let collector = Collector::start(SECRET);
        let tracker = Tracker::new(of_client(second, &collector.url(), None)).unwrap();
        assert_ne!(tracker.database_path(), first_path, "{first} and {second}");
        track_n(&tracker, "Second.App", 1);
        tracker.flush(WAIT).unwrap();
        let events = collector.events();
        assert!(
            events.iter().all(|e| e.event == "Second.App"),
            "{second} sent {first}'s events: {:?}",
            events.iter().map(|e| &e.event).collect::<Vec<_>>()
        );
        assert_eq!(events.len(), 1);
        drop(tracker);
        assert_eq!(queued_in(&first_path), 3, "{first}'s events stay queued");
        assert_eq!(first_path, default_database_path(first));
    }
}

#[test]
#[cfg_attr(
    windows,
    ignore = "the default directory is the user's LocalAppData, which a test cannot move (XDG_DATA_HOME is Unix's)"
)]
fn another_apps_queue_is_refused_and_a_new_collector_or_secret_keeps_it() {
    data_home();
    let (_dir, db) = temp_db();
    let tracker = Tracker::new(of_client("app-1", &refused_url(), Some(&db))).unwrap();
    track_n(&tracker, "Mine", 3);
    drop(tracker);

    let collector = Collector::start(SECRET);
    let error = Tracker::new(of_client("app-2", &collector.url(), Some(&db)))
        .err()
        .expect("a tracker of another client opened the queue");
    assert_eq!(error.kind(), ErrorKind::Storage);
    assert!(
        error
            .message()
            .contains("belongs to client \"app-1\", not to client \"app-2\""),
        "{error}"
    );
    assert_eq!(queued_in(&db), 3);
    assert!(collector.events().is_empty());

    // The same app with another collector and secret is still the same app.
    let moved = Collector::start("another-secret");
    let tracker = Tracker::new(support::with(
        of_client("app-1", &moved.url(), Some(&db)),
        |c| c.shared_secret_key = "another-secret".into(),
    ))
    .unwrap();
    tracker.flush(WAIT).unwrap();
    assert_eq!(moved.events().len(), 3);
}

/// What an earlier version left in `directory`: the queue of `legacy.app` under the
/// name `legacy_app` shares, with no owner recorded. A tracker of `legacy_app` made by
/// `of` starts a queue of its own there, and one of `legacy.app` keeps that queue
/// and delivers it. Returns the old file's path.
fn an_earlier_versions_queue_is_kept_by_its_own_app_only(
    directory: &Path,
    of: impl Fn(&str, &str) -> TrackerConfig,
) -> PathBuf {
    let legacy = directory.join("legacy_app.sqlite3");
    let tracker = Tracker::new(of_client("legacy.app", &refused_url(), Some(&legacy))).unwrap();
    track_n(&tracker, "Legacy", 3);
    drop(tracker);
    rusqlite::Connection::open(&legacy)
        .unwrap()
        .execute("DELETE FROM settings WHERE key = 'client_id'", [])
        .unwrap();

    // `legacy_app` finds another app's events there and starts its own queue.
    let collector = Collector::start(SECRET);
    let tracker = Tracker::new(of("legacy_app", &collector.url())).unwrap();
    assert_same_file(
        &tracker.database_path(),
        &database_path_in(directory, "legacy_app"),
    );
    tracker.flush(WAIT).unwrap();
    drop(tracker);
    assert!(collector.events().is_empty());

    // `legacy.app` keeps its queue where it was, and delivers it.
    let tracker = Tracker::new(of("legacy.app", &collector.url())).unwrap();
    assert_same_file(&tracker.database_path(), &legacy);
    tracker.flush(WAIT).unwrap();
    drop(tracker);
    let events = collector.events();
    assert_eq!(events.len(), 3);
    assert!(events.iter().all(|e| e.event == "Legacy"));
    legacy
}

#[test]
#[cfg_attr(
    windows,
    ignore = "the default directory is the user's LocalAppData, which a test cannot move (XDG_DATA_HOME is Unix's)"
)]
fn a_queue_of_an_earlier_version_is_kept_by_its_own_app_only() {
    let home = data_home();
    an_earlier_versions_queue_is_kept_by_its_own_app_only(&home.join("hamustro"), |id, url| {
        of_client(id, url, None)
    });
}

#[test]
fn apps_sharing_a_database_directory_get_queues_of_their_own() {
    let parent = tempfile::tempdir().unwrap();
    // Missing, as Application Support/hamustro is on an app's first launch.
    let directory = parent.path().join("persistent").join("hamustro");
    let first = Tracker::new(in_directory("a.b", &refused_url(), &directory)).unwrap();
    track_n(&first, "A.Dot.B", 3);
    let collector = Collector::start(SECRET);
    // At the same time, not refused as "in use": a file of its own.
    let second = Tracker::new(in_directory("a_b", &collector.url(), &directory)).unwrap();
    track_n(&second, "A.Underscore.B", 2);
    second.flush(WAIT).unwrap();
    let first_path = first.database_path();
    let second_path = second.database_path();
    drop((first, second));

    let directory = directory.canonicalize().unwrap();
    assert_same_file(&first_path, &database_path_in(&directory, "a.b"));
    assert_same_file(&second_path, &database_path_in(&directory, "a_b"));
    assert_ne!(first_path, second_path);
    let events = collector.events();
    assert_eq!(events.len(), 2);
    assert!(events.iter().all(|e| e.event == "A.Underscore.B"));
    assert_eq!(queued_in(&first_path), 3, "a.b's events stay in its queue");

    // `a.b` delivers its own three, and only those.
    let collector = Collector::start(SECRET);
    let first = Tracker::new(in_directory("a.b", &collector.url(), &directory)).unwrap();
    first.flush(WAIT).unwrap();
    let events = collector.events();
    assert_eq!(events.len(), 3);
    assert!(events.iter().all(|e| e.event == "A.Dot.B"));
    #[cfg(unix)]
    {
        use std::os::unix::fs::PermissionsExt as _;
        let mode = std::fs::metadata(&directory).unwrap().permissions().mode();
        assert_eq!(mode & 0o777, 0o700, "the directory is the owner's only");
    }
}

#[test]
fn a_queue_of_an_earlier_version_in_the_database_directory_is_kept_by_its_own_app_only() {
    let directory = tempfile::tempdir().unwrap();
    let directory = directory.path().canonicalize().unwrap();
    // Where a binding that computed the old name (Swift's) put it.
    let legacy = an_earlier_versions_queue_is_kept_by_its_own_app_only(&directory, |id, url| {
        in_directory(id, url, &directory)
    });

    // Once a queue has the new name, the old file is left alone.
    std::fs::rename(&legacy, database_path_in(&directory, "legacy.app")).unwrap();
    let other = Tracker::new(of_client("legacy.app", &refused_url(), Some(&legacy))).unwrap();
    drop(other);
    let tracker = Tracker::new(in_directory("legacy.app", &refused_url(), &directory)).unwrap();
    assert_same_file(
        &tracker.database_path(),
        &database_path_in(&directory, "legacy.app"),
    );
}

fn set_directory(config: HamustroConfig, directory: Option<&str>) -> HamustroStatus {
    let directory = directory.map(|d| CString::new(d).unwrap());
    // SAFETY: NULL or a NUL-terminated string that outlives the call.
    unsafe {
        hamustro_config_set_database_directory(
            config,
            directory.as_ref().map_or(null(), |d| d.as_ptr()),
        )
    }
}

fn tracker_new(config: HamustroConfig) -> (HamustroStatus, HamustroTracker) {
    let mut tracker = HamustroTracker::default();
    // SAFETY: a valid out-pointer.
    let status = unsafe { hamustro_tracker_new(config, &raw mut tracker) };
    (status, tracker)
}

#[test]
fn a_database_path_and_a_database_directory_together_are_refused() {
    let (dir, db) = temp_db();
    let config = c_config(&refused_url(), &db);
    let directory = dir.path().join("queues");
    assert_eq!(
        set_directory(config, Some(directory.to_str().unwrap())),
        HamustroStatus::Ok
    );
    let (status, tracker) = tracker_new(config);
    assert_eq!(status, HamustroStatus::InvalidArgument);
    assert_eq!(tracker, HamustroTracker::default(), "no handle written");
    let message = last_error();
    assert!(
        message.contains("database_path") && message.contains("database_directory"),
        "{message}"
    );
    assert!(!db.exists() && !directory.exists(), "nothing was created");

    // NULL unsets either one; the other then applies.
    // SAFETY: NULL restores the default.
    let status = unsafe { hamustro_config_set_database_path(config, null()) };
    assert_eq!(status, HamustroStatus::Ok);
    let (status, tracker) = tracker_new(config);
    assert_eq!(status, HamustroStatus::Ok, "{}", last_error());
    assert_eq!(hamustro_tracker_free(tracker), HamustroStatus::Ok);
    assert!(database_path_in(&directory, "test-app").is_file());
    assert!(!db.exists());

    // "" is refused by the setter and changes nothing; a path past the limit by
    // `hamustro_tracker_new`.
    assert_eq!(
        set_directory(config, Some("")),
        HamustroStatus::InvalidArgument
    );
    assert_eq!(last_error(), "database_directory must not be empty");
    let long = format!("{}/{}", dir.path().display(), "d".repeat(4096));
    assert_eq!(set_directory(config, Some(&long)), HamustroStatus::Ok);
    let (status, _) = tracker_new(config);
    assert_eq!(status, HamustroStatus::InvalidArgument);
    assert!(
        last_error().starts_with("database_directory is "),
        "{}",
        last_error()
    );
    assert_eq!(set_directory(config, None), HamustroStatus::Ok);
    assert_eq!(hamustro_config_free(config), HamustroStatus::Ok);
    assert_eq!(
        set_directory(config, Some("x")),
        HamustroStatus::InvalidHandle
    );
}
