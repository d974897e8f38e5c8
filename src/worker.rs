//! The delivery thread: the only place that writes events into SQLite and talks to
//! the collector. Callers never wait for either; they set flags under `control` and
//! the worker acts on them.

use std::cell::Cell;
use std::panic::{catch_unwind, AssertUnwindSafe};
use std::sync::atomic::{AtomicBool, AtomicU64, Ordering};
use std::sync::{Arc, Condvar, Mutex, MutexGuard, RwLock};
use std::time::{Duration, Instant};

use crate::backoff::Backoff;
use crate::context::now_epoch_seconds;
use crate::error::{Error, ErrorKind, Result};
use crate::journal::{Journal, Taken};
use crate::log::{log, Level};
use crate::quiet_panics::InLibrary;
use crate::sender::{short_session, Sender};
use crate::store::{Counters, Store};
use crate::tracker::DatabaseLock;

/// A request carries at most this many events…
pub const MAX_BATCH_EVENTS: usize = 1000;
/// …and about this many bytes of payload, so a week offline never makes one huge
/// request: the backlog goes out as a series of bounded ones.
pub const MAX_BATCH_BYTES: usize = 512 * 1024;
/// Journal records are moved into SQLite this long after the first one arrives…
pub const PERSIST_DELAY: Duration = Duration::from_millis(10);
/// …or as soon as this many are waiting: one transaction for many events.
pub const PERSIST_BATCH: usize = 1000;
/// How long the worker waits before retrying a persist the store refused.
pub const PERSIST_RETRY: Duration = Duration::from_secs(1);
/// Normally a few hundred events wait in the journal; this many means the store has
/// been refusing them (full disk, a foreign lock) for a while, and tracking reports a
/// storage error instead of holding more in memory (about 10 MB at this count).
pub const MAX_PENDING: usize = 50_000;

/// What the worker and the callers share. Locks are taken in this order, never the
/// other way: `persisting`, `journal`, `store`, `database_lock`; `control` and
/// `headers` are taken alone, or last. The files (store, journal, lock) are `None`
/// once the tracker is closed: a call still running then reports it closed.
pub struct Shared {
    /// Tells this tracker's delivery thread from every other thread.
    pub instance: u64,
    pub store: Mutex<Option<Store>>,
    /// The store's counts, readable without its lock.
    pub counters: Arc<Counters>,
    pub journal: Mutex<Option<Journal>>,
    /// The lock that makes this tracker the database's only one, released last.
    pub database_lock: Mutex<Option<DatabaseLock>>,
    /// Set first when the tracker closes: calls check it before taking any lock.
    pub closed: AtomicBool,
    /// Records taken from the journal and not yet released: held while they are
    /// written to SQLite, and kept here if that fails so the next attempt retries them.
    pub persisting: Mutex<Option<Taken>>,
    pub max_queued_events: u64,
    /// Send when this many events are queued…
    pub queue_size: u64,
    /// …or when the last successful delivery is this old.
    pub retention_seconds: u64,
    /// The stored attributes of this tracker's events (never pruned).
    pub profile_id: i64,
    pub control: Mutex<Control>,
    /// Wakes the worker: new work, a flush, a shutdown.
    pub wake: Condvar,
    /// Wakes flush callers: a flush pass finished, or the tracker closed.
    pub progress: Condvar,
    pub sender: Sender,
    pub headers: RwLock<Vec<(String, String)>>,
    /// The app's opt-out switch: while false nothing is stored or sent.
    pub enabled: AtomicBool,
    /// Epoch seconds of the last 200; 0 before the first. Atomic, like `tracked`, so
    /// that `track_event` decides on its triggers without taking a lock.
    pub last_sync: AtomicU64,
    /// Counts tracked events, so the worker can tell whether one arrived between its
    /// finding the queue empty and its going idle.
    pub tracked: AtomicU64,
    /// Set by a trigger; the worker sends until the queue is empty. Atomic so that
    /// `track_event` sees it without a lock; it is set under `control`'s lock, before
    /// the worker is woken, so the wake-up cannot be lost.
    pub draining: AtomicBool,
}

/// Delivery state, guarded by one mutex that is never held during I/O.
#[derive(Debug, Default)]
pub struct Control {
    /// Events of the request in progress.
    pub in_flight: u64,
    /// Failed attempts since the last success.
    pub consecutive_failures: u32,
    /// No automatic attempt before this (flush ignores it).
    pub retry_at: Option<Instant>,
    /// When journal records are due to be moved into SQLite.
    pub persist_at: Option<Instant>,
    /// While the store refuses records (full, locked), no new persist is due before
    /// this: tracking asks for persists, but retries keep the worker's own pace.
    pub persist_retry_at: Option<Instant>,
    pub flush_requested: u64,
    pub flush_done: u64,
    pub flush_result: Option<Result<()>>,
    pub shutdown: bool,
    pub last_error: Option<Error>,
}

enum Job {
    Flush(u64),
    Persist,
    Drain,
}

impl Shared {
    pub fn lock_control(&self) -> MutexGuard<'_, Control> {
        self.control.lock().unwrap_or_else(|e| e.into_inner())
    }

    /// Runs `work` on the store, or reports the tracker closed.
    pub fn with_store<R>(&self, work: impl FnOnce(&mut Store) -> Result<R>) -> Result<R> {
        let mut store = self.store.lock().unwrap_or_else(|e| e.into_inner());
        work(store.as_mut().ok_or_else(Error::closed)?)
    }

    /// Runs `work` on the journal, or reports the tracker closed.
    pub fn with_journal<R>(&self, work: impl FnOnce(&mut Journal) -> Result<R>) -> Result<R> {
        let mut journal = self.journal.lock().unwrap_or_else(|e| e.into_inner());
        work(journal.as_mut().ok_or_else(Error::closed)?)
    }

    /// Whether the calling thread is this tracker's delivery thread (a log callback
    /// running on it, for instance).
    pub fn on_delivery_thread(&self) -> bool {
        DELIVERY_THREAD.try_with(Cell::get).unwrap_or(0) == self.instance
    }

    pub fn lock_persisting(&self) -> MutexGuard<'_, Option<Taken>> {
        self.persisting.lock().unwrap_or_else(|e| e.into_inner())
    }

    /// Every event not yet delivered: in the store, being persisted, in the journal.
    /// Takes no lock that the store's work can hold for long.
    pub fn queued(&self) -> u64 {
        self.counters.unsent.load(Ordering::Relaxed)
    }
}

thread_local! {
    /// The instance of the tracker whose delivery thread this is; 0 elsewhere. Plain
    /// data, so a thread that never set it owns nothing to clean up.
    static DELIVERY_THREAD: Cell<u64> = const { Cell::new(0) };
}

/// The worker's main loop; returns when `shutdown` is set, after persisting what the
/// journal holds and releasing the tracker's files.
pub fn run(shared: Arc<Shared>) {
    let _quiet = InLibrary::enter();
    let _ = DELIVERY_THREAD.try_with(|thread| thread.set(shared.instance));
    let mut state = WorkerState::default();
    while let Some(job) = next_job(&shared) {
        // A bug must not kill delivery for good: report it and keep serving.
        let outcome = catch_unwind(AssertUnwindSafe(|| run_job(&shared, &mut state, job)));
        if outcome.is_err() {
            log(Level::Error, || {
                "internal error in the delivery thread; delivery goes on".to_string()
            });
            let mut control = shared.lock_control();
            if control.flush_done < control.flush_requested {
                control.flush_done = control.flush_requested;
                control.flush_result = Some(Err(Error::internal(
                    "internal error in the delivery thread during flush",
                )));
                shared.progress.notify_all();
            }
        }
    }
    finish(&shared);
}

/// The end of a tracker: what the journal holds goes into the store, then the
/// journal, the store and the database lock are closed, in the lock order. From here
/// on every call finds them gone and reports the tracker closed; records appended
/// after the persist are in the journal file, which the next tracker replays.
/// Idempotent. Safe on the delivery thread inside a log callback: no lock is held
/// while the sink runs.
pub fn finish(shared: &Shared) {
    let _ = persist(shared);
    let mut persisting = shared.lock_persisting();
    let mut journal = shared.journal.lock().unwrap_or_else(|e| e.into_inner());
    let mut store = shared.store.lock().unwrap_or_else(|e| e.into_inner());
    *persisting = None;
    *journal = None;
    *store = None;
    *shared
        .database_lock
        .lock()
        .unwrap_or_else(|e| e.into_inner()) = None;
}

/// What the worker carries from one job to the next.
#[derive(Default)]
struct WorkerState {
    backoff: Backoff,
    /// Events the collector accepted whose deletion failed: they are deleted before
    /// anything else is sent, so they are never sent again.
    undeleted: Vec<i64>,
    undeleted_synced_at: u64,
}

fn run_job(shared: &Shared, state: &mut WorkerState, job: Job) {
    match job {
        Job::Flush(epoch) => {
            let result = flush(shared, state);
            let mut control = shared.lock_control();
            control.flush_done = epoch;
            if result
                .as_ref()
                .is_err_and(|e| !matches!(e.kind(), ErrorKind::Disabled | ErrorKind::InvalidHandle))
            {
                // Keep trying in the background after the backoff.
                shared.draining.store(true, Ordering::SeqCst);
            }
            control.flush_result = Some(result);
            shared.progress.notify_all();
        }
        Job::Persist => {
            let _ = persist(shared);
        }
        Job::Drain => {
            let _ = deliver(shared, state, None);
        }
    }
}

/// Blocks until there is something to do; `None` means shut down.
fn next_job(shared: &Shared) -> Option<Job> {
    let mut control = shared.lock_control();
    loop {
        if control.shutdown {
            return None;
        }
        if control.flush_requested > control.flush_done {
            return Some(Job::Flush(control.flush_requested));
        }
        let now = Instant::now();
        if control.persist_at.is_some_and(|at| at <= now) {
            return Some(Job::Persist);
        }
        let retry_at = control.retry_at.filter(|at| *at > now);
        let draining = shared.draining.load(Ordering::SeqCst);
        if draining && retry_at.is_none() {
            return Some(Job::Drain);
        }
        let retry_at = retry_at.filter(|_| draining);
        let wake_at = [control.persist_at, retry_at].into_iter().flatten().min();
        control = match wake_at {
            Some(at) => {
                shared
                    .wake
                    .wait_timeout(control, at.saturating_duration_since(now))
                    .unwrap_or_else(|e| e.into_inner())
                    .0
            }
            None => shared.wake.wait(control).unwrap_or_else(|e| e.into_inner()),
        };
    }
}

/// Moves every record the journal holds into SQLite (a transaction per batch) and
/// empties the journal files they came from. On failure the records stay in
/// `persisting` and in their file, and the next call retries them. Messages are
/// logged after the locks are released, so a log sink may call back into the library.
fn persist(shared: &Shared) -> Result<()> {
    let mut messages = Vec::new();
    let result = persist_all(shared, &mut messages);
    for (level, message) in messages {
        log(level, || message);
    }
    if result.is_ok() {
        start_drain_if_due(shared);
    }
    result
}

fn persist_all(shared: &Shared, messages: &mut Vec<(Level, String)>) -> Result<()> {
    let mut persisting = shared.lock_persisting();
    shared.lock_control().persist_at = None;
    loop {
        if persisting.is_none() {
            *persisting = shared.with_journal(Journal::take)?;
        }
        let Some(taken) = persisting.as_mut() else {
            return Ok(());
        };
        if !taken.stored {
            let inserted =
                shared.with_store(|store| store.insert(&taken.records, shared.max_queued_events));
            let inserted = inserted.inspect_err(|error| {
                messages.push((Level::Error, error.to_string()));
                // Try again later; the records are safe in the journal meanwhile.
                let retry_at = Instant::now() + PERSIST_RETRY;
                let mut control = shared.lock_control();
                control.persist_at = Some(retry_at);
                control.persist_retry_at = Some(retry_at);
            })?;
            shared.lock_control().persist_retry_at = None;
            taken.stored = true;
            if inserted.conflicts > 0 {
                messages.push((
                    Level::Error,
                    format!(
                        "{} journal records carried an event number already used by a \
                         different stored event; they were kept in the quarantine table, \
                         not sent",
                        inserted.conflicts
                    ),
                ));
            }
            if inserted.dropped > 0 {
                messages.push((
                    Level::Warn,
                    format!(
                        "the queue is full ({} events): dropped the {} oldest",
                        shared.max_queued_events, inserted.dropped
                    ),
                ));
            }
        }
        taken.release()?;
        *persisting = None;
    }
}

/// The spec's triggers, checked again once records reach the store: an event tracked
/// while its predecessors were being persisted counted only the journal's share.
fn start_drain_if_due(shared: &Shared) {
    if shared.draining.load(Ordering::SeqCst) || !shared.enabled.load(Ordering::SeqCst) {
        return;
    }
    let queued = shared.counters.unsent.load(Ordering::Relaxed);
    if queued > 0
        && should_send(
            shared.last_sync.load(Ordering::SeqCst),
            queued,
            shared.queue_size,
            shared.retention_seconds,
        )
    {
        shared.draining.store(true, Ordering::SeqCst);
    }
}

/// The spec's triggers: enough queued events, or the last sync (epoch seconds, 0 for
/// never) too long ago.
pub fn should_send(last_sync: u64, queued: u64, queue_size: u64, retention_seconds: u64) -> bool {
    queued >= queue_size
        || last_sync == 0
        || now_epoch_seconds().saturating_sub(last_sync) >= retention_seconds
}

/// A flush pass: everything tracked before it is persisted, then delivered.
fn flush(shared: &Shared, state: &mut WorkerState) -> Result<()> {
    if !shared.enabled.load(Ordering::SeqCst) {
        return Err(disabled());
    }
    persist(shared)?;
    // Bound first: the store's guard must be released before delivering. An empty
    // queue still goes through `deliver`, which then ends a background drain.
    let target = shared.with_store(|store| store.newest_id())?;
    deliver(shared, state, Some(target.unwrap_or(0)))
}

/// Sends batches, oldest first, until the queue is empty (or, for a flush, until every
/// event up to `until` is delivered). Stops early on failure, shutdown, or — for a
/// background drain — a flush request, which the main loop then serves.
fn deliver(shared: &Shared, state: &mut WorkerState, until: Option<i64>) -> Result<()> {
    loop {
        let tracked_before = {
            let control = shared.lock_control();
            if control.shutdown {
                return Err(Error::new(
                    ErrorKind::InvalidHandle,
                    "the tracker was closed",
                ));
            }
            if until.is_none() && control.flush_requested > control.flush_done {
                return Ok(());
            }
            shared.tracked.load(Ordering::SeqCst)
        };
        if !shared.enabled.load(Ordering::SeqCst) {
            shared.draining.store(false, Ordering::SeqCst);
            // `set_enabled(true)` may have set the flag just before it was cleared.
            if shared.enabled.load(Ordering::SeqCst) {
                shared.draining.store(true, Ordering::SeqCst);
                continue;
            }
            return Err(disabled());
        }
        if until.is_none() {
            persist(shared).map_err(|error| fail(shared, &mut state.backoff, error, None))?;
        }
        if !state.undeleted.is_empty() {
            let deleted = shared.with_store(|store| {
                store.delete_delivered(&state.undeleted, state.undeleted_synced_at)
            });
            deleted.map_err(|error| fail(shared, &mut state.backoff, error, None))?;
            state.undeleted.clear();
        }
        let batch = shared.with_store(|store| store.next_batch(MAX_BATCH_EVENTS, MAX_BATCH_BYTES));
        let batch = match batch {
            Ok(Some(batch)) if until.is_none_or(|target| batch.ids[0] <= target) => batch,
            Ok(Some(_)) => return Ok(()),
            Ok(None) => {
                // Clear first, then look for an event tracked meanwhile: its tracker
                // either saw the flag cleared (and sets it again itself) or counted
                // itself before this check (and the drain goes on, once it is stored).
                shared.draining.store(false, Ordering::SeqCst);
                if shared.tracked.load(Ordering::SeqCst) != tracked_before {
                    shared.draining.store(true, Ordering::SeqCst);
                    persist(shared)
                        .map_err(|error| fail(shared, &mut state.backoff, error, None))?;
                    continue;
                }
                // With the queue empty, attributes of old sessions are unused now.
                let _ = shared.with_store(|store| store.prune_profiles(shared.profile_id));
                return Ok(());
            }
            Err(error) => return Err(fail(shared, &mut state.backoff, error, None)),
        };
        let mut collection = batch.header;
        collection.payloads = batch.payloads;
        let headers = shared
            .headers
            .read()
            .unwrap_or_else(|e| e.into_inner())
            .clone();
        let count = batch.ids.len();
        shared.lock_control().in_flight = count as u64;
        let sent = shared.sender.send(&collection, &headers);
        shared.lock_control().in_flight = 0;
        if let Err(failure) = sent {
            return Err(fail(
                shared,
                &mut state.backoff,
                failure.error,
                failure.retry_after,
            ));
        }
        let now = now_epoch_seconds();
        let stored = shared.with_store(|store| store.delete_delivered(&batch.ids, now));
        if let Err(error) = stored {
            // The collector has these events: remember them, so they are deleted
            // (not sent again) once the store works again.
            state.undeleted = batch.ids;
            state.undeleted_synced_at = now;
            return Err(fail(shared, &mut state.backoff, error, None));
        }
        state.backoff.reset();
        {
            let mut control = shared.lock_control();
            shared.last_sync.store(now, Ordering::SeqCst);
            control.retry_at = None;
            control.consecutive_failures = 0;
        }
        log(Level::Debug, || {
            format!(
                "delivered {count} events of session {}",
                short_session(&collection.session)
            )
        });
    }
}

fn disabled() -> Error {
    Error::new(
        ErrorKind::Disabled,
        "tracking is disabled: queued events are kept but not sent",
    )
}

/// Records a failed attempt and schedules the next automatic one.
fn fail(
    shared: &Shared,
    backoff: &mut Backoff,
    error: Error,
    retry_after: Option<Duration>,
) -> Error {
    if error.kind() == ErrorKind::InvalidHandle {
        // The tracker closed under the attempt: nothing failed, nothing to retry.
        return error;
    }
    let delay = backoff.next_delay(retry_after);
    {
        let mut control = shared.lock_control();
        control.retry_at = Some(Instant::now() + delay);
        control.last_error = Some(error.clone());
        control.consecutive_failures = backoff.failures();
    }
    log(Level::Warn, || {
        format!(
            "{error}; next automatic attempt in {:.1} s",
            delay.as_secs_f64()
        )
    });
    error
}
