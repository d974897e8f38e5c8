//! The queue's behaviour on a real SQLite file in a temporary directory.

use super::*;
use crate::wire::Parameter;

fn header(session: &str) -> Collection {
    Collection {
        session: session.into(),
        ..Collection::default()
    }
}

fn payload(nr: u32, event: &str) -> Vec<u8> {
    Payload {
        at: 1,
        event: event.into(),
        nr,
        ..Payload::default()
    }
    .encode_to_vec()
}

fn open(path: &Path) -> Store {
    Store::open(path).unwrap().0
}

fn open_temp() -> (tempfile::TempDir, Store) {
    let dir = tempfile::tempdir().unwrap();
    let store = open(&dir.path().join("q.db"));
    (dir, store)
}

/// Stores the next event of `session` (numbered as the journal would) and
/// returns its number.
fn append(store: &mut Store, profile: i64, session: &str) -> u32 {
    append_raw(store, profile, session, u64::MAX, |nr| payload(nr, "x")).0
}

fn append_raw(
    store: &mut Store,
    profile: i64,
    session: &str,
    max_queued: u64,
    encode: impl FnOnce(u32) -> Vec<u8>,
) -> (u32, Inserted) {
    let nr = store.last_nr(session).unwrap() + 1;
    let record = Record {
        seq: 0,
        profile_id: profile,
        session: session.into(),
        nr,
        payload: encode(nr),
    };
    (nr, store.insert(&[record], max_queued).unwrap())
}

#[test]
fn numbers_are_per_session_and_continue_after_reopen() {
    let (dir, mut store) = open_temp();
    let a = store.profile_id(&header("a")).unwrap();
    let b = store.profile_id(&header("b")).unwrap();
    assert_eq!(append(&mut store, a, "a"), 1);
    assert_eq!(append(&mut store, a, "a"), 2);
    assert_eq!(append(&mut store, b, "b"), 1);
    drop(store);
    let mut store = open(&dir.path().join("q.db"));
    assert_eq!(store.queued(), 3);
    assert_eq!(append(&mut store, a, "a"), 3);
}

#[test]
fn batches_hold_one_profile_oldest_first_within_limits() {
    let (_dir, mut store) = open_temp();
    let a = store.profile_id(&header("a")).unwrap();
    let b = store.profile_id(&header("b")).unwrap();
    for (profile, session) in [(a, "a"), (b, "b"), (a, "a"), (a, "a")] {
        append(&mut store, profile, session);
    }
    let batch = store.next_batch(2, usize::MAX).unwrap().unwrap();
    assert_eq!(batch.header.session, "a");
    assert_eq!(
        batch.payloads.iter().map(|p| p.nr).collect::<Vec<_>>(),
        [1, 2]
    );
    assert_eq!(store.delete_delivered(&batch.ids, 7).unwrap(), 2);
    let batch = store.next_batch(10, usize::MAX).unwrap().unwrap();
    assert_eq!(batch.header.session, "b");
    store.delete_delivered(&batch.ids, 8).unwrap();
    let batch = store.next_batch(10, 1).unwrap().unwrap();
    assert_eq!(batch.payloads.len(), 1, "byte cap still sends one event");
    assert_eq!(batch.payloads[0].nr, 3);
    assert_eq!(store.queued(), 1);
    assert_eq!(store.delivered_total().unwrap(), 3);
    assert_eq!(store.last_sync().unwrap(), Some(8));
}

#[test]
fn the_cap_drops_the_oldest_events_and_counts_them() {
    let (_dir, mut store) = open_temp();
    let a = store.profile_id(&header("a")).unwrap();
    for _ in 0..5 {
        append_raw(&mut store, a, "a", 3, |nr| payload(nr, "x"));
    }
    assert_eq!(store.queued(), 3);
    assert_eq!(store.dropped_total().unwrap(), 2);
    let batch = store.next_batch(10, usize::MAX).unwrap().unwrap();
    let nrs: Vec<u32> = batch.payloads.iter().map(|p| p.nr).collect();
    assert_eq!(nrs, [3, 4, 5], "numbering stays gap-free for what is kept");
}

#[test]
fn undecodable_rows_are_quarantined_not_sent_or_deleted() {
    let (_dir, mut store) = open_temp();
    let a = store.profile_id(&header("a")).unwrap();
    append_raw(&mut store, a, "a", u64::MAX, |_| vec![0xff, 0xff, 0xff]);
    append(&mut store, a, "a");
    let batch = store.next_batch(10, usize::MAX).unwrap().unwrap();
    assert_eq!(batch.payloads.len(), 1);
    assert_eq!(batch.payloads[0].event, "x");
    let kept: i64 = store
        .conn
        .query_row("SELECT count(*) FROM quarantine", [], |r| r.get(0))
        .unwrap();
    assert_eq!(kept, 1);
    assert_eq!(store.queued(), 1);
}

#[test]
fn settings_persist() {
    let (dir, mut store) = open_temp();
    let user = User {
        tenant_id: Some("t".into()),
        user_id: None,
    };
    store.set_user(&user).unwrap();
    store.set_enabled(false).unwrap();
    let globals = vec![Parameter {
        name: "build".into(),
        value: "42".into(),
    }];
    store.set_global_parameters(&globals).unwrap();
    drop(store);
    let store = open(&dir.path().join("q.db"));
    assert_eq!(store.user().unwrap(), user);
    assert!(!store.enabled().unwrap());
    assert_eq!(store.global_parameters().unwrap(), Some(globals));
    assert_eq!(store.last_sync().unwrap(), None);
}

#[test]
fn replaying_records_already_stored_does_not_duplicate_them() {
    let (_dir, mut store) = open_temp();
    let a = store.profile_id(&header("a")).unwrap();
    let record = Record {
        seq: 0,
        profile_id: a,
        session: "a".into(),
        nr: 1,
        payload: payload(1, "x"),
    };
    assert_eq!(
        store
            .insert(std::slice::from_ref(&record), u64::MAX)
            .unwrap()
            .stored,
        1
    );
    assert_eq!(store.insert(&[record], u64::MAX).unwrap().stored, 0);
    assert_eq!(store.queued(), 1);
    assert_eq!(store.last_nr("a").unwrap(), 1);
}

#[test]
fn discard_all_empties_the_queue() {
    let (_dir, mut store) = open_temp();
    let a = store.profile_id(&header("a")).unwrap();
    append(&mut store, a, "a");
    append(&mut store, a, "a");
    assert_eq!(store.discard_all().unwrap(), 2);
    assert_eq!(store.queued(), 0);
    assert!(store.next_batch(10, usize::MAX).unwrap().is_none());
}

#[test]
fn a_damaged_hamustro_database_is_moved_aside_not_deleted() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("q.db");
    drop(open(&path));
    // Keep the header (and so the mark), damage the schema page behind it.
    let mut bytes = std::fs::read(&path).unwrap();
    bytes[100..4096].fill(0x42);
    std::fs::write(&path, &bytes).unwrap();
    let (mut store, aside) = Store::open(&path).unwrap();
    let aside = aside.expect("the damaged file was not reported");
    assert_eq!(std::fs::read(&aside).unwrap(), bytes);
    let a = store.profile_id(&header("a")).unwrap();
    assert_eq!(append(&mut store, a, "a"), 1);
}

/// Opening must fail with a storage error naming the file, and leave it as it was
/// (nothing moved, renamed or written).
fn assert_refused_untouched(dir: &Path, path: &Path, named: &str) {
    let before = std::fs::read(path).unwrap();
    let listing = || {
        let mut names: Vec<_> = std::fs::read_dir(dir)
            .unwrap()
            .map(|e| e.unwrap().file_name())
            .collect();
        names.sort();
        names
    };
    let files_before = listing();
    let error = Store::open(path).err().expect("a foreign file was opened");
    assert_eq!(error.kind(), crate::error::ErrorKind::Storage);
    assert!(
        error.message().contains(&path.display().to_string()),
        "{error}"
    );
    assert!(error.message().contains(named), "{error}");
    assert_eq!(std::fs::read(path).unwrap(), before, "the file changed");
    assert_eq!(listing(), files_before, "files appeared or moved");
}

#[test]
fn a_file_that_is_not_sqlite_is_refused_and_left_untouched() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("notes.txt");
    std::fs::write(&path, "my notes, not a database\n".repeat(500)).unwrap();
    assert_refused_untouched(dir.path(), &path, "is not a SQLite database");
}

#[test]
fn an_apps_own_sqlite_database_is_refused_and_left_untouched() {
    let dir = tempfile::tempdir().unwrap();
    for (name, setup) in [
        (
            "plain.db",
            "CREATE TABLE scores(player TEXT, points INTEGER);",
        ),
        (
            "marked.db",
            "PRAGMA application_id = 1234; CREATE TABLE scores(player TEXT);",
        ),
        // hamustro's tables plus one of the app's: still not ours.
        (
            "mixed.db",
            "PRAGMA user_version = 1; CREATE TABLE events(id); CREATE TABLE profiles(id);
             CREATE TABLE quarantine(id); CREATE TABLE session_counters(session);
             CREATE TABLE settings(key); CREATE TABLE scores(player TEXT);",
        ),
    ] {
        let path = dir.path().join(name);
        let conn = Connection::open(&path).unwrap();
        conn.execute_batch(setup).unwrap();
        drop(conn);
        assert_refused_untouched(dir.path(), &path, "untouched");
    }
}

#[test]
fn a_new_database_carries_the_mark_and_schema_version() {
    let (dir, store) = open_temp();
    drop(store);
    let bytes = std::fs::read(dir.path().join("q.db")).unwrap();
    let field = |at: usize| i32::from_be_bytes(bytes[at..at + 4].try_into().unwrap());
    assert_eq!(
        field(68),
        schema::APPLICATION_ID,
        "application_id in the header"
    );
    assert_eq!(
        field(60),
        schema::SCHEMA_VERSION,
        "user_version in the header"
    );
}

#[test]
fn a_database_of_a_version_before_the_mark_is_adopted() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("q.db");
    let conn = Connection::open(&path).unwrap();
    conn.execute_batch(schema::SCHEMA).unwrap();
    conn.pragma_update(None, "user_version", 1).unwrap();
    drop(conn);
    let (store, aside) = Store::open(&path).unwrap();
    assert!(aside.is_none());
    let marked: i32 = store
        .conn
        .pragma_query_value(None, "application_id", |row| row.get(0))
        .unwrap();
    assert_eq!(marked, schema::APPLICATION_ID);
}

#[test]
fn a_database_of_a_newer_schema_is_refused_and_left_untouched() {
    let (dir, store) = open_temp();
    store.conn.pragma_update(None, "user_version", 99).unwrap();
    store
        .conn
        .query_row("PRAGMA wal_checkpoint(TRUNCATE)", [], |_| Ok(()))
        .unwrap();
    drop(store);
    let path = dir.path().join("q.db");
    let error = Store::open(&path).err().expect("a newer schema was opened");
    assert!(error.message().contains("newer hamustro"), "{error}");
}

/// Unix has FIFOs and /dev/null to try; Windows has neither in its file system.
#[cfg(unix)]
#[test]
fn paths_that_are_not_regular_files_are_refused_without_blocking() {
    let dir = tempfile::tempdir().unwrap();
    let fifo = dir.path().join("fifo");
    let made = std::process::Command::new("mkfifo")
        .arg(&fifo)
        .status()
        .unwrap();
    assert!(made.success());
    for (path, kind) in [
        (fifo.as_path(), "a FIFO"),
        (dir.path(), "a directory"),
        (Path::new("/dev/null"), "a device"),
    ] {
        let error = Store::open(path).err().expect("opened");
        assert!(
            error.message().contains(kind),
            "{}: {error}",
            path.display()
        );
    }
}

#[cfg(unix)]
#[test]
fn database_file_is_private_to_its_owner() {
    use std::os::unix::fs::PermissionsExt as _;
    let (dir, _store) = open_temp();
    let mode = std::fs::metadata(dir.path().join("q.db"))
        .unwrap()
        .permissions()
        .mode();
    assert_eq!(mode & 0o777, 0o600);
}

#[test]
fn hand_edited_rows_of_the_wrong_type_are_quarantined_not_blocking() {
    let (_dir, mut store) = open_temp();
    let a = store.profile_id(&header("a")).unwrap();
    for _ in 0..5 {
        append(&mut store, a, "a");
    }
    // What a sqlite3 shell (foreign keys off) can leave: a number beyond u32, a payload
    // of another type, an event whose attributes row is gone, attributes as text.
    store
        .conn
        .execute_batch(
            "UPDATE events SET nr = 5000000000 WHERE nr = 1;
             UPDATE events SET payload = 'text' WHERE nr = 2;
             UPDATE events SET payload = 1.5 WHERE nr = 3;
             INSERT INTO profiles(id, header) VALUES (7, 'text header');
             PRAGMA foreign_keys = OFF;
             INSERT INTO events(profile_id, nr, payload) VALUES (7, 1, x'');
             INSERT INTO events(profile_id, nr, payload) VALUES (99, 1, x'');",
        )
        .unwrap();
    store.counters.queued.store(7, Ordering::Relaxed);
    let mut delivered = Vec::new();
    while let Some(batch) = store.next_batch(10, usize::MAX).unwrap() {
        delivered.extend(batch.payloads.iter().map(|p| p.nr));
        store.delete_delivered(&batch.ids, 1).unwrap();
    }
    assert_eq!(delivered, [4, 5], "the intact events go out");
    assert_eq!(store.queued(), 0, "nothing is stuck in the queue");
    let kept: i64 = store
        .conn
        .query_row("SELECT count(*) FROM quarantine", [], |r| r.get(0))
        .unwrap();
    assert_eq!(kept, 5);
    assert_eq!(store.profile_session(7).unwrap(), None);
}

#[test]
fn a_batch_of_zero_events_means_one() {
    let (_dir, mut store) = open_temp();
    let a = store.profile_id(&header("a")).unwrap();
    append(&mut store, a, "a");
    let batch = store.next_batch(0, usize::MAX).unwrap().unwrap();
    assert_eq!(batch.ids.len(), 1);
}
