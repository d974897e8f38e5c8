//! What a tracker's callers and its delivery thread share, and the order its locks
//! are taken in. How work is handed over through it is in `handoff`.

use std::cell::Cell;
use std::sync::atomic::{AtomicBool, AtomicU64, Ordering};
use std::sync::{Arc, Condvar, Mutex, MutexGuard, PoisonError, RwLock};
use std::time::Instant;

use super::should_send;
use crate::error::{Error, Result};
use crate::files::DatabaseLock;
use crate::journal::{Journal, SizeCheck, Taken};
use crate::log::{log, Level};
use crate::sender::Sender;
use crate::store::{Counters, Store};

/// Numbers trackers, so a delivery thread knows which tracker it serves.
static NEXT_INSTANCE: AtomicU64 = AtomicU64::new(1);

thread_local! {
    /// The instance of the tracker whose delivery thread this is; 0 elsewhere. Plain
    /// data, so a thread that never set it owns nothing to clean up.
    static DELIVERY_THREAD: Cell<u64> = const { Cell::new(0) };
}

/// What a tracker's callers and its delivery thread share. The fields are the
/// worker's; callers use the methods: here the reads and settings, in `handoff` the
/// sequences that hand the worker work (`track`, `start_drain_if_due`, `flush`,
/// `shut_down`), each of which owns one step of the hand-off.
///
/// # Locks
///
/// Taken in this order, never the other way; a thread holding one takes only locks
/// listed after it:
///
/// 1. `persisting`: the records between the journal and the store. Held for a whole
///    persist (worker) or discard (caller), so the two never interleave.
/// 2. `journal`: the journal files. Held briefly by every append.
/// 3. `store`: the SQLite connection. A foreign process holding the database can
///    keep it for seconds, so tracking never takes it, and it is never held while
///    the collector is talked to.
/// 4. `database_lock`: the one-tracker-per-database lock, taken only when the files
///    are released (`finish`), after the store is closed. Dropping the lock takes the
///    process-wide table of held databases (`tracker::files`), which comes last.
/// 5. `control`: delivery state and the hand-off's flags. Never held during I/O;
///    taken alone or after the locks above. Two condition variables go with it:
///    the worker waits on `wake` for work, `flush` callers wait on `progress` for a
///    flush pass to end (or the tracker to close).
///
/// `headers` (a `RwLock`) is taken alone: read and cloned before each request,
/// replaced by `set_headers`.
///
/// The tracker's own locks come before these: a setter holds `settings_writer`
/// while it writes the store; `user` and `global_parameters` (`RwLock`s) and
/// `worker` (the thread's join handle) are taken alone. No lock is held while a log
/// message goes to the app's sink, so the sink may call back into the library.
///
/// # Atomics
///
/// - `closed`: set first when the tracker closes; every call checks it before it
///   takes any lock.
/// - `enabled`: the opt-out switch; a caller changes it together with the store,
///   under the tracker's `settings_writer`.
/// - `draining`: "send until the queue is empty". A caller sets it only under
///   `control`'s lock and then notifies `wake`; the worker reads it under that lock
///   before it waits, so the wake-up cannot be lost. The worker itself clears and
///   sets it without the lock: it is the thread a wake-up would be for. Atomic so
///   that tracking sees it without a lock.
/// - `last_sync`: epoch seconds of the last 200 (0 before the first); written by the
///   worker under `control`, read without a lock by tracking's triggers.
/// - `tracked`: counts appended events, so the worker ending a drain can tell that
///   one arrived between its finding the queue empty and its clearing `draining`.
/// - `counters` (the store's, shared): `unsent` changes under `journal` (an append,
///   a discard) or `store`, the others under `store`; all are read without a lock.
///
/// The files (store, journal, lock) are `None` once the tracker is closed: a call
/// still running then reports it closed.
pub struct Shared {
    /// Tells this tracker's delivery thread from every other thread.
    pub(super) instance: u64,
    pub(super) store: Mutex<Option<Store>>,
    /// The store's counts, readable without its lock.
    pub(super) counters: Arc<Counters>,
    pub(super) journal: Mutex<Option<Journal>>,
    /// The journal's file-size check, made by tracking before it takes `journal`.
    pub(super) journal_size_check: SizeCheck,
    /// The lock that makes this tracker the database's only one, released last.
    pub(super) database_lock: Mutex<Option<DatabaseLock>>,
    /// Set first when the tracker closes: calls check it before taking any lock.
    pub(super) closed: AtomicBool,
    /// Records taken from the journal and not yet released: held while they are
    /// written to SQLite, and kept here if that fails so the next attempt retries them.
    pub(super) persisting: Mutex<Option<Taken>>,
    pub(super) max_queued_events: u64,
    /// Send when this many events are queued…
    pub(super) queue_size: u64,
    /// …or when the last successful delivery is this old.
    pub(super) retention_seconds: u64,
    /// The stored attributes of this tracker's events (never pruned).
    pub(super) profile_id: i64,
    pub(super) control: Mutex<Control>,
    /// Wakes the worker: new work, a flush, a shutdown.
    pub(super) wake: Condvar,
    /// Wakes flush callers: a flush pass finished, or the tracker closed.
    pub(super) progress: Condvar,
    pub(super) sender: Sender,
    pub(super) headers: RwLock<Vec<(String, String)>>,
    /// The app's opt-out switch: while false nothing is stored or sent.
    pub(super) enabled: AtomicBool,
    /// Epoch seconds of the last 200; 0 before the first.
    pub(super) last_sync: AtomicU64,
    /// Counts tracked events (see the atomics above).
    pub(super) tracked: AtomicU64,
    /// Set by a trigger; the worker sends until the queue is empty.
    pub(super) draining: AtomicBool,
}

/// Delivery state, guarded by one mutex that is never held during I/O.
#[derive(Debug, Default)]
pub(super) struct Control {
    /// Events of the request in progress.
    pub(super) in_flight: u64,
    /// Failed attempts since the last success.
    pub(super) consecutive_failures: u32,
    /// No automatic attempt before this (flush ignores it).
    pub(super) retry_at: Option<Instant>,
    /// When journal records are due to be moved into SQLite.
    pub(super) persist_at: Option<Instant>,
    /// While the store refuses records (full, locked), no new persist is due before
    /// this: tracking asks for persists, but retries keep the worker's own pace.
    pub(super) persist_retry_at: Option<Instant>,
    pub(super) flush_requested: u64,
    pub(super) flush_done: u64,
    pub(super) flush_result: Option<Result<()>>,
    pub(super) shutdown: bool,
    pub(super) last_error: Option<Error>,
}

/// What a tracker opened and configured before its delivery starts.
pub struct Parts {
    /// The store, with `counters().unsent` counting every unsent event.
    pub store: Store,
    pub journal: Journal,
    pub database_lock: DatabaseLock,
    pub sender: Sender,
    pub max_queued_events: u64,
    pub queue_size: u64,
    pub retention_seconds: u64,
    pub profile_id: i64,
    pub enabled: bool,
    pub last_sync: u64,
}

impl Shared {
    pub fn new(parts: Parts) -> Shared {
        let counters = parts.store.counters();
        let queued = counters.unsent.load(Ordering::Relaxed);
        // Whatever an earlier run left unsent goes out as soon as a trigger holds.
        let draining = parts.enabled
            && queued > 0
            && should_send(
                parts.last_sync,
                queued,
                parts.queue_size,
                parts.retention_seconds,
            );
        Shared {
            instance: NEXT_INSTANCE.fetch_add(1, Ordering::Relaxed),
            counters,
            store: Mutex::new(Some(parts.store)),
            journal_size_check: parts.journal.size_check(),
            journal: Mutex::new(Some(parts.journal)),
            database_lock: Mutex::new(Some(parts.database_lock)),
            closed: AtomicBool::new(false),
            persisting: Mutex::new(None),
            max_queued_events: parts.max_queued_events,
            queue_size: parts.queue_size,
            retention_seconds: parts.retention_seconds,
            profile_id: parts.profile_id,
            control: Mutex::new(Control::default()),
            wake: Condvar::new(),
            progress: Condvar::new(),
            sender: parts.sender,
            headers: RwLock::new(Vec::new()),
            enabled: AtomicBool::new(parts.enabled),
            last_sync: AtomicU64::new(parts.last_sync),
            tracked: AtomicU64::new(0),
            draining: AtomicBool::new(draining),
        }
    }

    pub fn is_closed(&self) -> bool {
        self.closed.load(Ordering::SeqCst)
    }

    pub fn enabled(&self) -> bool {
        self.enabled.load(Ordering::SeqCst)
    }

    /// Switches tracking; the caller stores the switch first, both under its
    /// settings lock, so concurrent calls cannot leave the two disagreeing.
    pub fn set_enabled(&self, enabled: bool) {
        self.enabled.store(enabled, Ordering::SeqCst);
    }

    /// Replaces the extra headers sent with every later request.
    pub fn set_headers(&self, headers: Vec<(String, String)>) {
        *self.headers.write().unwrap_or_else(PoisonError::into_inner) = headers;
    }

    /// The message of the last failed delivery attempt, if any.
    pub fn last_error(&self) -> Option<Error> {
        self.lock_control().last_error.clone()
    }

    /// Every event not yet delivered: in the store, being persisted, in the journal.
    /// Takes no lock that the store's work can hold for long.
    pub fn queued(&self) -> u64 {
        self.counters.unsent.load(Ordering::Relaxed)
    }

    /// Deletes every queued event: those being persisted, the journal's and the
    /// store's; returns how many.
    pub fn discard_queued(&self) -> Result<u64> {
        // Holding `persisting` keeps the worker from moving records meanwhile; the
        // batch it holds is dropped only once the journal files are emptied.
        let mut persisting = self.lock_persisting();
        let taken = persisting
            .as_ref()
            .map_or(0, |taken| taken.batches.unstored()) as u64;
        let mut warnings = Vec::new();
        let discarded = self.with_journal(|journal| {
            let journaled = journal.pending() as u64;
            let cleared = journal.clear();
            warnings = journal.take_warnings();
            cleared?;
            *persisting = None;
            let stored = self.with_store(Store::discard_all)?;
            self.counters.unsent.store(0, Ordering::Relaxed);
            Ok(taken + journaled + stored)
        });
        drop(persisting);
        for warning in warnings {
            log(Level::Warn, || warning);
        }
        discarded
    }

    /// Runs `work` on the store, or reports the tracker closed.
    pub fn with_store<R>(&self, work: impl FnOnce(&mut Store) -> Result<R>) -> Result<R> {
        let mut store = self.store.lock().unwrap_or_else(PoisonError::into_inner);
        work(store.as_mut().ok_or_else(Error::closed)?)
    }

    /// Whether the calling thread is this tracker's delivery thread (a log callback
    /// running on it, for instance).
    pub fn on_delivery_thread(&self) -> bool {
        DELIVERY_THREAD.try_with(Cell::get).unwrap_or(0) == self.instance
    }
}

/// For the worker only.
impl Shared {
    /// Marks the calling thread as this tracker's delivery thread.
    pub(super) fn enter_delivery_thread(&self) {
        let _ = DELIVERY_THREAD.try_with(|thread| thread.set(self.instance));
    }

    pub(super) fn lock_control(&self) -> MutexGuard<'_, Control> {
        self.control.lock().unwrap_or_else(PoisonError::into_inner)
    }

    pub(super) fn lock_persisting(&self) -> MutexGuard<'_, Option<Taken>> {
        self.persisting
            .lock()
            .unwrap_or_else(PoisonError::into_inner)
    }

    /// Runs `work` on the journal, or reports the tracker closed.
    pub(super) fn with_journal<R>(
        &self,
        work: impl FnOnce(&mut Journal) -> Result<R>,
    ) -> Result<R> {
        let mut journal = self.journal.lock().unwrap_or_else(PoisonError::into_inner);
        work(journal.as_mut().ok_or_else(Error::closed)?)
    }

    /// The extra headers for the next request.
    pub(super) fn headers(&self) -> Vec<(String, String)> {
        self.headers
            .read()
            .unwrap_or_else(PoisonError::into_inner)
            .clone()
    }
}
