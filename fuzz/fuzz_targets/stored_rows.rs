//! Stored rows: whatever sits in a queue database's `profiles` and `events` tables
//! (written by `Store::insert` or straight into SQLite, as an older version, a
//! damaged disk or a hand edit could leave them), `next_batch` drains it without a
//! panic, an error or an endless loop: every event is either handed out in a
//! well-formed batch (one profile, oldest first, within the limits, its `nr` from
//! the column) or moved to the quarantine table, and the queue counters stay exact.
#![no_main]

use arbitrary::Arbitrary;
use hamustro::internals::journal::Record;
use hamustro::internals::store::Store;
use hamustro_fuzz::{scratch_dir, wipe, ArbCollection, ArbPayload};
use libfuzzer_sys::fuzz_target;
use prost::Message as _;
use rusqlite::types::Value;
use rusqlite::{params, Connection};
use std::sync::atomic::Ordering;

#[derive(Arbitrary, Debug)]
struct Input {
    profiles: Vec<Bytes>,
    events: Vec<Event>,
    /// Records given to `Store::insert` for the first profile, as the worker does.
    records: Vec<StoreRecord>,
    max_queued: u8,
    max_events: u8,
    max_bytes: u16,
}

/// A column value: usually what the library writes, sometimes any SQLite type.
#[derive(Arbitrary, Debug)]
enum Bytes {
    Encoded(ArbCollection),
    EncodedPayload(ArbPayload),
    Blob(Vec<u8>),
    Text(String),
    Integer(i64),
    Real(f64),
}

impl Bytes {
    fn value(&self) -> Value {
        match self {
            Bytes::Encoded(c) => Value::Blob(c.wire().encode_to_vec()),
            Bytes::EncodedPayload(p) => Value::Blob(p.wire().encode_to_vec()),
            Bytes::Blob(b) => Value::Blob(b.clone()),
            Bytes::Text(t) => Value::Text(t.clone()),
            Bytes::Integer(i) => Value::Integer(*i),
            Bytes::Real(r) => Value::Real(*r),
        }
    }
}

#[derive(Arbitrary, Debug)]
struct Event {
    /// An index into the profiles inserted (modulo their count); `None` names a
    /// profile that does not exist.
    profile: Option<u8>,
    nr: Nr,
    payload: Bytes,
}

#[derive(Arbitrary, Debug)]
enum Nr {
    Number(u32),
    Any(i64),
}

#[derive(Arbitrary, Debug)]
struct StoreRecord {
    nr: u32,
    payload: Bytes,
}

fuzz_target!(|input: Input| {
    let dir = scratch_dir("stored_rows");
    wipe(dir);
    let path = dir.join("q.sqlite3");
    let (store, moved) = Store::open(&path).expect("a new store opens");
    assert!(moved.is_none());
    drop(store);

    // Write rows as something other than hamustro would.
    let conn = Connection::open(&path).expect("the store opens in SQLite");
    // As the sqlite3 shell has it by default: a hand edit can leave dangling rows.
    conn.pragma_update(None, "foreign_keys", false)
        .expect("cannot switch foreign keys off");
    let mut profile_ids = Vec::new();
    for header in input.profiles.iter().take(8) {
        let inserted = conn.execute(
            "INSERT OR IGNORE INTO profiles(header) VALUES (?1)",
            params![header.value()],
        );
        if inserted.is_ok_and(|n| n == 1) {
            profile_ids.push(conn.last_insert_rowid());
        }
    }
    for event in input.events.iter().take(64) {
        let profile = match event.profile {
            Some(i) if !profile_ids.is_empty() => profile_ids[usize::from(i) % profile_ids.len()],
            _ => 1_000_000,
        };
        let nr = match event.nr {
            Nr::Number(n) => i64::from(n),
            Nr::Any(n) => n,
        };
        // Duplicates of (profile, nr) are refused by the unique index, as they should.
        let _ = conn.execute(
            "INSERT INTO events(profile_id, nr, payload) VALUES (?1, ?2, ?3)",
            params![profile, nr, event.payload.value()],
        );
    }
    drop(conn);

    let (mut store, moved) = Store::open(&path).expect("the store reopens");
    assert!(moved.is_none(), "a healthy database was moved aside");
    let counters = store.counters();
    // As `Tracker::new` does: after opening, every unsent event is in the store.
    counters.unsent.store(store.queued(), Ordering::Relaxed);

    if let Some(&profile_id) = profile_ids.first() {
        let session = store
            .profile_session(profile_id)
            .expect("reading a profile's session fails")
            .unwrap_or_default();
        let records: Vec<Record> = input
            .records
            .iter()
            .take(32)
            .enumerate()
            .map(|(seq, r)| Record {
                seq: seq as u64,
                profile_id,
                session: session.clone(),
                nr: r.nr,
                payload: match r.payload.value() {
                    Value::Blob(b) => b,
                    Value::Text(t) => t.into_bytes(),
                    _ => Vec::new(),
                },
            })
            .collect();
        let before = store.queued();
        let max_queued = u64::from(input.max_queued).max(1);
        let inserted = store
            .insert(&records, max_queued)
            .expect("Store::insert fails");
        // As tracking would have counted them on arrival: the stored ones, and those
        // insert quarantined for a number a different event has (it subtracts them).
        counters
            .unsent
            .fetch_add(inserted.stored + inserted.conflicts, Ordering::Relaxed);
        assert!(inserted.stored + inserted.conflicts <= records.len() as u64);
        assert_eq!(store.queued(), before + inserted.stored - inserted.dropped);
        assert!(store.queued() <= max_queued, "the cap was not kept");
    }

    let total = count(&path, "events");
    assert_eq!(
        store.queued(),
        total,
        "the queued counter differs from the table"
    );
    let quarantined_before = count(&path, "quarantine");
    let max_events = usize::from(input.max_events % 50).max(1);
    let max_bytes = usize::from(input.max_bytes);
    let mut handed_out = 0u64;
    let mut rounds = 0;
    while let Some(batch) = store
        .next_batch(max_events, max_bytes)
        .unwrap_or_else(|e| panic!("next_batch failed: {}", e.message()))
    {
        rounds += 1;
        assert!(rounds <= total + 1, "next_batch keeps returning batches");
        assert!(!batch.ids.is_empty() && batch.ids.len() <= max_events);
        assert_eq!(batch.ids.len(), batch.payloads.len());
        assert!(
            batch.ids.windows(2).all(|w| w[0] < w[1]),
            "not oldest first"
        );
        check_batch_rows(&path, &batch, max_bytes);
        let deleted = store
            .delete_delivered(&batch.ids, 1)
            .expect("delete_delivered fails");
        assert_eq!(deleted, batch.ids.len() as u64);
        handed_out += deleted;
    }
    let quarantined = count(&path, "quarantine") - quarantined_before;
    assert_eq!(
        count(&path, "events"),
        0,
        "events are left that are never sent"
    );
    assert_eq!(
        handed_out + quarantined,
        total,
        "events went missing: neither sent nor quarantined"
    );
    assert_eq!(store.queued(), 0);
    assert_eq!(counters.unsent.load(Ordering::Relaxed), 0);
});

fn count(path: &std::path::Path, table: &str) -> u64 {
    let conn = Connection::open(path).expect("the store opens in SQLite");
    conn.query_row(&format!("SELECT count(*) FROM {table}"), [], |row| {
        row.get::<_, i64>(0)
    })
    .expect("counting fails") as u64
}

/// A batch is rows of one profile whose header is the batch's, each payload with
/// the row's `nr`, and no more stored bytes than `max_bytes` unless it is one row.
fn check_batch_rows(
    path: &std::path::Path,
    batch: &hamustro::internals::store::Batch,
    max_bytes: usize,
) {
    let conn = Connection::open(path).expect("the store opens in SQLite");
    let mut stored_bytes = 0usize;
    let mut profiles = std::collections::HashSet::new();
    for (id, payload) in batch.ids.iter().zip(&batch.payloads) {
        let (profile, nr, bytes): (i64, i64, Vec<u8>) = conn
            .query_row(
                "SELECT profile_id, nr, payload FROM events WHERE id = ?1",
                params![id],
                |row| Ok((row.get(0)?, row.get(1)?, row.get(2)?)),
            )
            .expect("a batch names a row that is not there");
        assert_eq!(
            i64::from(payload.nr),
            nr,
            "the payload's nr is not the row's"
        );
        stored_bytes += bytes.len();
        profiles.insert(profile);
    }
    assert_eq!(profiles.len(), 1, "a batch mixes profiles");
    assert!(
        batch.ids.len() == 1 || stored_bytes <= max_bytes,
        "a batch of {} events holds {stored_bytes} bytes, over {max_bytes}",
        batch.ids.len()
    );
    let header: Vec<u8> = conn
        .query_row(
            "SELECT header FROM profiles WHERE id = ?1",
            params![profiles.into_iter().next().unwrap()],
            |row| row.get(0),
        )
        .expect("the batch's profile is missing");
    assert_eq!(
        hamustro::internals::wire::Collection::decode(header.as_slice())
            .ok()
            .as_ref(),
        Some(&batch.header)
    );
}
