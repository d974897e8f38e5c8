//! One app's queue is never another's: the default database name is the client id's
//! own, and a database refuses a tracker of any client id but the one that made it.

mod support;

use std::path::{Path, PathBuf};
use std::sync::Once;

use hamustro::internals::tracker::default_database_path;
use hamustro::{ErrorKind, Tracker, TrackerConfig};
use support::collector::Collector;
use support::{config, refused_url, temp_db, track_n, SECRET, WAIT};

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
    TrackerConfig {
        client_id: client_id.to_string(),
        database_path: db.map(Path::to_path_buf),
        ..config(url, Path::new("unused"))
    }
}

fn queued_in(db: &Path) -> i64 {
    rusqlite::Connection::open(db)
        .unwrap()
        .query_row("SELECT count(*) FROM events", [], |row| row.get(0))
        .unwrap()
}

#[test]
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
    let tracker = Tracker::new(TrackerConfig {
        shared_secret_key: "another-secret".into(),
        ..of_client("app-1", &moved.url(), Some(&db))
    })
    .unwrap();
    tracker.flush(WAIT).unwrap();
    assert_eq!(moved.events().len(), 3);
}

#[test]
fn a_queue_of_an_earlier_version_is_kept_by_its_own_app_only() {
    let home = data_home();
    // What an earlier version left: the queue of `legacy.app` under the name
    // `legacy_app` shares, with no owner recorded.
    let legacy = home.join("hamustro").join("legacy_app.sqlite3");
    let tracker = Tracker::new(of_client("legacy.app", &refused_url(), Some(&legacy))).unwrap();
    track_n(&tracker, "Legacy", 3);
    drop(tracker);
    rusqlite::Connection::open(&legacy)
        .unwrap()
        .execute("DELETE FROM settings WHERE key = 'client_id'", [])
        .unwrap();

    // `legacy_app` finds another app's events there and starts its own queue.
    let collector = Collector::start(SECRET);
    let tracker = Tracker::new(of_client("legacy_app", &collector.url(), None)).unwrap();
    assert_eq!(tracker.database_path(), default_database_path("legacy_app"));
    tracker.flush(WAIT).unwrap();
    drop(tracker);
    assert!(collector.events().is_empty());

    // `legacy.app` keeps its queue where it was, and delivers it.
    let tracker = Tracker::new(of_client("legacy.app", &collector.url(), None)).unwrap();
    assert_eq!(tracker.database_path(), legacy);
    tracker.flush(WAIT).unwrap();
    let events = collector.events();
    assert_eq!(events.len(), 3);
    assert!(events.iter().all(|e| e.event == "Legacy"));
}
