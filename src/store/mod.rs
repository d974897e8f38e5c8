//! The durable queue: one SQLite file in WAL mode holding the events not yet accepted
//! by the collector, the tracker attributes they were tracked with, the per-session
//! event counters, the user and the last sync time.

use std::collections::HashMap;
use std::path::{Path, PathBuf};
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::Arc;
use std::time::Duration;

use prost::Message as _;
use rusqlite::types::ValueRef;
use rusqlite::{params, Connection, OptionalExtension as _, TransactionBehavior};

use crate::error::{Error, ErrorKind, Result};
use crate::journal::Record;
use crate::platform;
use crate::wire::{Collection, Payload};

mod damaged;
mod owner;
mod schema;
mod settings;

use damaged::{move_aside, OpenError};
use schema::{CheckError, Found};

pub use owner::Owner;
pub use settings::{GlobalParameters, User};

/// The events of one profile (one collection header), oldest first, that fit in one
/// request.
#[derive(Debug)]
pub struct Batch {
    pub header: Collection,
    pub ids: Vec<i64>,
    pub payloads: Vec<Payload>,
}

/// The bytes a WAL keeps after a checkpoint: 1 MiB.
const WAL_SIZE_LIMIT: i64 = 1 << 20;

/// An error for a file SQLite was refused (see `platform::guard_sqlite_opens`),
/// naming it.
fn refused_open(what: &str, refused: &str) -> Error {
    Error::new(
        ErrorKind::Storage,
        format!("{what}: SQLite was refused {refused}; it was left untouched"),
    )
}

/// An event row as read back: id, then its number and encoded payload when they have
/// the types hamustro writes (a hand-edited row may not).
type StoredRow = (i64, Option<u32>, Option<Vec<u8>>);

/// The bytes of a BLOB column, the type hamustro writes; `None` for any other.
fn stored_bytes(value: ValueRef<'_>) -> Option<Vec<u8>> {
    match value {
        ValueRef::Blob(bytes) => Some(bytes.to_vec()),
        _ => None,
    }
}

pub struct Store {
    conn: Connection,
    path: PathBuf,
    /// Kept exact by every change made through `Store` (one tracker per file), and
    /// shared so that callers read them without the store's lock.
    counters: Arc<Counters>,
}

/// The store's counts, readable without its lock (which a foreign process holding
/// the database can keep busy for seconds).
#[derive(Debug, Default)]
pub struct Counters {
    /// Events in the `events` table.
    pub queued: AtomicU64,
    /// Events not yet delivered anywhere on the device: the journal's, those being
    /// persisted and the store's. One counter, changed only where events leave (a
    /// delivery, a drop, a quarantine, a discard) or arrive (`track_event`), so it
    /// never shows an event twice or not at all while it moves into the store.
    pub unsent: AtomicU64,
    /// Events the collector accepted, over the database's lifetime.
    pub delivered: AtomicU64,
    /// Events dropped to respect the queue cap, over the database's lifetime.
    pub dropped: AtomicU64,
    /// Records kept in the quarantine table (never sent), over the database's
    /// lifetime: undecodable rows, journal records of another database, records whose
    /// number was taken.
    pub quarantined: AtomicU64,
}

/// What `insert` did.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub struct Inserted {
    /// Records stored (a record already stored by an earlier replay is not).
    pub stored: u64,
    /// Oldest events dropped to stay within the cap.
    pub dropped: u64,
    /// Records whose number a different stored event already has (two trackers on
    /// one database would do this): kept in the quarantine table, never dropped
    /// silently.
    pub conflicts: u64,
}

impl Store {
    /// Opens (creating if needed, readable by the owner only) the queue at `path`. A
    /// file that is not hamustro's (not SQLite, another application's database, a
    /// FIFO or a device) is a storage error and is left untouched. A hamustro database
    /// damaged beyond opening is moved aside to `<path>.corrupt-<time>` (never deleted)
    /// and a new queue is started; the returned path names it.
    pub fn open(path: &Path) -> Result<(Store, Option<PathBuf>)> {
        platform::guard_sqlite_opens();
        let _ = platform::take_refused_sqlite_open();
        match Store::open_once(path) {
            Err(error) if error.corrupt => {
                let aside = move_aside(path)?;
                Ok((Store::open_once(path).map_err(|e| e.error)?, Some(aside)))
            }
            other => other.map(|store| (store, None)).map_err(|e| e.error),
        }
    }

    fn open_once(path: &Path) -> std::result::Result<Store, OpenError> {
        // Looked at before SQLite opens it: SQLite would happily add tables to any
        // database, and report a text file as damaged (which would move it aside).
        let found = schema::inspect(path)?;
        let ours = found != Found::Unmarked;
        let sqlite_error = |e| OpenError::from_sqlite(e, path, ours);
        let conn = Connection::open(path).map_err(sqlite_error)?;
        conn.busy_timeout(Duration::from_secs(5))
            .map_err(sqlite_error)?;
        match found {
            Found::Empty => schema::create(&conn).map_err(sqlite_error)?,
            Found::Marked | Found::Unmarked => {
                let checked = schema::check_existing(&conn, path).map_err(|e| match e {
                    CheckError::Foreign(error) => OpenError::from(error),
                    CheckError::Sqlite(e) => sqlite_error(e),
                })?;
                schema::upgrade(&conn, &checked).map_err(sqlite_error)?;
            }
        }
        let store = Store {
            conn,
            path: path.to_path_buf(),
            counters: Arc::new(Counters::default()),
        };
        store.prepare().map_err(sqlite_error)?;
        // SQLite deletes the WAL and its index by name when the last connection
        // closes; kept (emptied) instead, every later start finds them and checks and
        // locks them before SQLite opens them (see `files::held`), and no name that
        // may be another tracker's by then is ever deleted.
        platform::keep_sqlite_wal_on_close(&store.conn).map_err(|e| {
            OpenError::from(Error::storage(
                &format!("cannot open the queue database {}", path.display()),
                e,
            ))
        })?;
        let queued = store
            .conn
            .query_row("SELECT count(*) FROM events", [], |row| {
                row.get::<_, i64>(0)
            })
            .map_err(sqlite_error)?;
        store
            .counters
            .queued
            .store(queued as u64, Ordering::Relaxed);
        let quarantined = store
            .conn
            .query_row("SELECT count(*) FROM quarantine", [], |row| {
                row.get::<_, i64>(0)
            })
            .map_err(sqlite_error)?;
        store
            .counters
            .quarantined
            .store(quarantined as u64, Ordering::Relaxed);
        let delivered = store.delivered_total().map_err(OpenError::from)?;
        let dropped = store.dropped_total().map_err(OpenError::from)?;
        store.counters.delivered.store(delivered, Ordering::Relaxed);
        store.counters.dropped.store(dropped, Ordering::Relaxed);
        Ok(store)
    }

    fn prepare(&self) -> rusqlite::Result<()> {
        // WAL with synchronous=NORMAL: a committed event survives the process being
        // killed (it is in the WAL, in the OS's cache) at the cost of one write, not an
        // fsync, per event.
        self.conn
            .pragma_update_and_check(None, "journal_mode", "WAL", |_| Ok(()))?;
        // A WAL is cut back to this after a checkpoint (and when the connection
        // closes), so a burst's WAL does not keep its disk space.
        self.conn
            .pragma_update(None, "journal_size_limit", WAL_SIZE_LIMIT)?;
        self.conn.pragma_update(None, "synchronous", "NORMAL")?;
        self.conn.pragma_update(None, "foreign_keys", "ON")
    }

    fn error(&self, what: &str, err: rusqlite::Error) -> Error {
        let what = format!("{what} the queue database {}", self.path.display());
        match platform::take_refused_sqlite_open() {
            Some(refused) => refused_open(&what, &refused),
            None => Error::storage(&what, err),
        }
    }

    pub fn path(&self) -> &Path {
        &self.path
    }

    /// The id of the stored collection header, inserting it on first use (so that
    /// reopening takes no write lock when nothing changed).
    pub fn profile_id(&self, header: &Collection) -> Result<i64> {
        let bytes = header.encode_to_vec();
        let find = || -> rusqlite::Result<Option<i64>> {
            self.conn
                .query_row(
                    "SELECT id FROM profiles WHERE header = ?1",
                    params![bytes],
                    |row| row.get(0),
                )
                .optional()
        };
        let run = || -> rusqlite::Result<i64> {
            if let Some(id) = find()? {
                return Ok(id);
            }
            self.conn
                .execute("INSERT INTO profiles(header) VALUES (?1)", params![bytes])?;
            Ok(self.conn.last_insert_rowid())
        };
        run().map_err(|e| self.error("cannot record the tracker attributes in", e))
    }

    /// Stores journal records and raises each session's counter to the highest `nr`
    /// seen, in one transaction. When more than `max_queued` events are then queued,
    /// the oldest are dropped in the same transaction and counted.
    pub fn insert(&mut self, records: &[Record], max_queued: u64) -> Result<Inserted> {
        let run = |conn: &mut Connection, queued: u64| -> rusqlite::Result<Inserted> {
            let tx = conn.transaction_with_behavior(TransactionBehavior::Immediate)?;
            let mut inserted = Inserted::default();
            let mut highest: HashMap<&str, u32> = HashMap::new();
            {
                let mut statement = tx.prepare_cached(
                    "INSERT OR IGNORE INTO events(profile_id, nr, payload) VALUES (?1, ?2, ?3)",
                )?;
                let mut stored_payload = tx.prepare_cached(
                    "SELECT payload FROM events WHERE profile_id = ?1 AND nr = ?2",
                )?;
                let mut quarantine = tx.prepare_cached(
                    "INSERT INTO quarantine(profile_id, payload, reason) VALUES (?1, ?2, ?3)",
                )?;
                for record in records {
                    let added =
                        statement.execute(params![record.profile_id, record.nr, record.payload])?;
                    if added == 0 {
                        // Ignored: only the same record, replayed after it was stored,
                        // may be. A different event with the number is kept aside.
                        let existing = stored_payload
                            .query_row(params![record.profile_id, record.nr], |row| {
                                Ok(stored_bytes(row.get_ref(0)?))
                            })
                            .optional()?
                            .flatten();
                        if existing.as_deref() != Some(record.payload.as_slice()) {
                            quarantine.execute(params![
                                record.profile_id,
                                record.payload,
                                format!(
                                    "event number {} of the session was already used by a \
                                     different event",
                                    record.nr
                                )
                            ])?;
                            inserted.conflicts += 1;
                        }
                    }
                    inserted.stored += added as u64;
                    let top = highest.entry(&record.session).or_default();
                    *top = (*top).max(record.nr);
                }
                let mut counter = tx.prepare_cached(
                    "INSERT INTO session_counters(session, last_nr) VALUES (?1, ?2)
                     ON CONFLICT(session) DO UPDATE SET last_nr = max(last_nr, excluded.last_nr)",
                )?;
                for (session, nr) in highest {
                    counter.execute(params![session, nr])?;
                }
            }
            let excess = (queued + inserted.stored).saturating_sub(max_queued.max(1));
            if excess > 0 {
                inserted.dropped = tx.execute(
                    "DELETE FROM events WHERE id IN (SELECT id FROM events ORDER BY id LIMIT ?1)",
                    params![excess as i64],
                )? as u64;
                settings::add_to_counter(&tx, settings::DROPPED, inserted.dropped)?;
            }
            tx.commit()?;
            Ok(inserted)
        };
        let queued = self.queued();
        let inserted =
            run(&mut self.conn, queued).map_err(|e| self.error("cannot store events in", e))?;
        // Add before subtracting: more may be dropped than stored (a lowered cap).
        self.counters
            .queued
            .fetch_add(inserted.stored, Ordering::Relaxed);
        self.counters
            .queued
            .fetch_sub(inserted.dropped, Ordering::Relaxed);
        self.counters
            .dropped
            .fetch_add(inserted.dropped, Ordering::Relaxed);
        self.counters
            .unsent
            .fetch_sub(inserted.dropped + inserted.conflicts, Ordering::Relaxed);
        self.counters
            .quarantined
            .fetch_add(inserted.conflicts, Ordering::Relaxed);
        Ok(inserted)
    }

    /// The session of stored tracker attributes, if they exist and decode.
    pub fn profile_session(&self, profile_id: i64) -> Result<Option<String>> {
        let header: Option<Vec<u8>> = self
            .conn
            .query_row(
                "SELECT header FROM profiles WHERE id = ?1",
                params![profile_id],
                |row| Ok(stored_bytes(row.get_ref(0)?)),
            )
            .optional()
            .map(Option::flatten)
            .map_err(|e| self.error("cannot read tracker attributes from", e))?;
        Ok(header
            .and_then(|bytes| Collection::decode(bytes.as_slice()).ok())
            .map(|collection| collection.session))
    }

    /// Keeps records that cannot be stored as events (kept for inspection, never sent).
    pub fn quarantine_records(&mut self, records: &[Record], reason: &str) -> Result<()> {
        let run = |conn: &mut Connection| -> rusqlite::Result<()> {
            let tx = conn.transaction()?;
            for record in records {
                tx.execute(
                    "INSERT INTO quarantine(profile_id, payload, reason) VALUES (?1, ?2, ?3)",
                    params![record.profile_id, record.payload, reason],
                )?;
            }
            tx.commit()
        };
        run(&mut self.conn).map_err(|e| self.error("cannot quarantine records in", e))?;
        self.counters
            .quarantined
            .fetch_add(records.len() as u64, Ordering::Relaxed);
        Ok(())
    }

    /// The last event number a session has used (0 for a new session).
    pub fn last_nr(&self, session: &str) -> Result<u32> {
        self.conn
            .query_row(
                "SELECT last_nr FROM session_counters WHERE session = ?1",
                params![session],
                |row| row.get::<_, u32>(0),
            )
            .optional()
            .map(Option::unwrap_or_default)
            .map_err(|e| self.error("cannot read the event counter from", e))
    }

    /// How many events wait for delivery in the store.
    pub fn queued(&self) -> u64 {
        self.counters.queued.load(Ordering::Relaxed)
    }

    /// The live counts, readable without the store's lock.
    pub fn counters(&self) -> Arc<Counters> {
        Arc::clone(&self.counters)
    }

    /// The id of the newest queued event, if any.
    pub fn newest_id(&self) -> Result<Option<i64>> {
        self.conn
            .query_row("SELECT max(id) FROM events", [], |row| row.get(0))
            .map_err(|e| self.error("cannot read", e))
    }

    /// The oldest queued events of the profile of the oldest event: at most
    /// `max_events`, and no more than `max_bytes` of payload unless a single event is
    /// larger. Rows that no longer decode are moved to the quarantine table (kept for
    /// inspection, never sent) instead of blocking the queue.
    pub fn next_batch(&mut self, max_events: usize, max_bytes: usize) -> Result<Option<Batch>> {
        let max_events = max_events.max(1);
        loop {
            let rows = self
                .oldest_rows(max_events, max_bytes)
                .map_err(|e| self.error("cannot read events from", e))?;
            let Some((profile_id, header_bytes, rows)) = rows else {
                return Ok(None);
            };
            // Attributes missing (a row deleted by hand) or not decoding: the events
            // cannot be sent as they were tracked.
            let Some(Ok(header)) = header_bytes.map(|bytes| Collection::decode(bytes.as_slice()))
            else {
                self.quarantine_profile(profile_id)?;
                continue;
            };
            let mut batch = Batch {
                header,
                ids: Vec::with_capacity(rows.len()),
                payloads: Vec::with_capacity(rows.len()),
            };
            let mut undecodable = Vec::new();
            for (id, nr, bytes) in rows {
                let decoded = bytes.and_then(|bytes| Payload::decode(bytes.as_slice()).ok());
                match (nr, decoded) {
                    (Some(nr), Some(mut payload)) => {
                        // The number lives in its column: the journal assigns it
                        // after the payload is encoded.
                        payload.nr = nr;
                        batch.ids.push(id);
                        batch.payloads.push(payload);
                    }
                    _ => undecodable.push(id),
                }
            }
            self.quarantine_events(&undecodable)?;
            if !batch.ids.is_empty() {
                return Ok(Some(batch));
            }
        }
    }

    #[allow(clippy::type_complexity)]
    fn oldest_rows(
        &self,
        max_events: usize,
        max_bytes: usize,
    ) -> rusqlite::Result<Option<(i64, Option<Vec<u8>>, Vec<StoredRow>)>> {
        let profile: Option<(i64, Option<Vec<u8>>)> = self
            .conn
            .query_row(
                "SELECT e.profile_id, p.header FROM events e
                 LEFT JOIN profiles p ON p.id = e.profile_id ORDER BY e.id LIMIT 1",
                [],
                |row| Ok((row.get(0)?, stored_bytes(row.get_ref(1)?))),
            )
            .optional()?;
        let Some((profile_id, header)) = profile else {
            return Ok(None);
        };
        let mut statement = self.conn.prepare_cached(
            "SELECT id, nr, payload FROM events WHERE profile_id = ?1 ORDER BY id LIMIT ?2",
        )?;
        let mut rows = statement.query(params![profile_id, max_events as i64])?;
        let mut out = Vec::new();
        let mut bytes = 0usize;
        while let Some(row) = rows.next()? {
            let payload = stored_bytes(row.get_ref(2)?);
            let size = payload.as_ref().map_or(0, Vec::len);
            if !out.is_empty() && bytes + size > max_bytes {
                break;
            }
            bytes += size;
            let nr = match row.get_ref(1)? {
                ValueRef::Integer(nr) => u32::try_from(nr).ok(),
                _ => None,
            };
            out.push((row.get(0)?, nr, payload));
        }
        Ok(Some((profile_id, header, out)))
    }

    fn quarantine_events(&mut self, ids: &[i64]) -> Result<()> {
        if ids.is_empty() {
            return Ok(());
        }
        let run = |conn: &mut Connection| -> rusqlite::Result<u64> {
            let tx = conn.transaction()?;
            let mut moved = 0;
            for id in ids {
                tx.execute(
                    "INSERT INTO quarantine(profile_id, payload, reason)
                     SELECT profile_id, payload, 'row does not decode' FROM events WHERE id = ?1",
                    params![id],
                )?;
                moved += tx.execute("DELETE FROM events WHERE id = ?1", params![id])? as u64;
            }
            tx.commit()?;
            Ok(moved)
        };
        let moved =
            run(&mut self.conn).map_err(|e| self.error("cannot quarantine events in", e))?;
        self.counters.queued.fetch_sub(moved, Ordering::Relaxed);
        self.counters.unsent.fetch_sub(moved, Ordering::Relaxed);
        self.counters
            .quarantined
            .fetch_add(moved, Ordering::Relaxed);
        Ok(())
    }

    fn quarantine_profile(&mut self, profile_id: i64) -> Result<()> {
        let run = |conn: &mut Connection| -> rusqlite::Result<u64> {
            let tx = conn.transaction()?;
            tx.execute(
                "INSERT INTO quarantine(profile_id, payload, reason)
                 SELECT profile_id, payload, 'tracker attributes do not decode'
                 FROM events WHERE profile_id = ?1",
                params![profile_id],
            )?;
            let moved = tx.execute(
                "DELETE FROM events WHERE profile_id = ?1",
                params![profile_id],
            )?;
            tx.commit()?;
            Ok(moved as u64)
        };
        let moved =
            run(&mut self.conn).map_err(|e| self.error("cannot quarantine events in", e))?;
        self.counters.queued.fetch_sub(moved, Ordering::Relaxed);
        self.counters.unsent.fetch_sub(moved, Ordering::Relaxed);
        self.counters
            .quarantined
            .fetch_add(moved, Ordering::Relaxed);
        Ok(())
    }

    /// Deletes exactly these events (those the collector accepted), counts them as
    /// delivered and records the sync time, in one transaction. Events no longer there
    /// (dropped or discarded meanwhile) are not counted.
    pub fn delete_delivered(&mut self, ids: &[i64], synced_at: u64) -> Result<u64> {
        let run = |conn: &mut Connection| -> rusqlite::Result<u64> {
            let tx = conn.transaction()?;
            let mut deleted = 0;
            {
                let mut statement = tx.prepare_cached("DELETE FROM events WHERE id = ?1")?;
                for id in ids {
                    deleted += statement.execute(params![id])? as u64;
                }
            }
            settings::add_to_counter(&tx, settings::DELIVERED, deleted)?;
            settings::put(&tx, settings::LAST_SYNC, Some(&synced_at.to_string()))?;
            tx.commit()?;
            Ok(deleted)
        };
        let deleted = match run(&mut self.conn) {
            // A full disk: the WAL may hold space a checkpoint gives back (it is cut
            // to `WAL_SIZE_LIMIT`); the deletion then needs only its own pages.
            Err(e) if e.sqlite_error_code() == Some(rusqlite::ErrorCode::DiskFull) => {
                let _ = self
                    .conn
                    .query_row("PRAGMA wal_checkpoint(TRUNCATE)", [], |_| Ok(()));
                run(&mut self.conn)
            }
            other => other,
        }
        .map_err(|e| self.error("cannot delete delivered events from", e))?;
        self.counters.queued.fetch_sub(deleted, Ordering::Relaxed);
        self.counters.unsent.fetch_sub(deleted, Ordering::Relaxed);
        self.counters
            .delivered
            .fetch_add(deleted, Ordering::Relaxed);
        Ok(deleted)
    }

    /// Deletes every queued event (the app's erasure request); returns how many. The
    /// rows are overwritten, not just unlinked, and the WAL is emptied, so the events
    /// do not linger in free pages.
    pub fn discard_all(&mut self) -> Result<u64> {
        let run = |conn: &Connection| -> rusqlite::Result<u64> {
            conn.pragma_update(None, "secure_delete", true)?;
            let deleted = conn.execute("DELETE FROM events", []);
            conn.pragma_update(None, "secure_delete", false)?;
            let deleted = deleted? as u64;
            conn.query_row("PRAGMA wal_checkpoint(TRUNCATE)", [], |_| Ok(()))?;
            Ok(deleted)
        };
        let deleted = run(&self.conn).map_err(|e| self.error("cannot discard the events in", e))?;
        self.counters.queued.store(0, Ordering::Relaxed);
        Ok(deleted)
    }

    /// Removes tracker attributes no queued event refers to any more, except `keep`.
    pub fn prune_profiles(&self, keep: i64) -> Result<()> {
        self.conn
            .execute(
                "DELETE FROM profiles WHERE id != ?1
                 AND id NOT IN (SELECT DISTINCT profile_id FROM events)
                 AND id NOT IN (SELECT profile_id FROM quarantine WHERE profile_id IS NOT NULL)",
                params![keep],
            )
            .map(|_| ())
            .map_err(|e| self.error("cannot prune", e))
    }
}

#[cfg(test)]
mod tests;
