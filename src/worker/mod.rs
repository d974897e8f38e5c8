//! The delivery thread: the only place that writes events into SQLite and talks to
//! the collector. Callers never wait for either: they hand it work through `Shared`
//! (its state and lock order are in `shared`, the hand-off itself in `handoff`), and
//! it acts on it. Delivery proper is in `deliver`.

use std::panic::{catch_unwind, AssertUnwindSafe};
use std::sync::atomic::Ordering;
use std::sync::PoisonError;
use std::time::{Duration, Instant};

use crate::backoff::Backoff;
use crate::clock::now_epoch_seconds;
use crate::error::{Error, ErrorKind, Result};
use crate::journal::Record;
use crate::log::{log, Level};
use crate::quiet_panics::InLibrary;

mod deliver;
mod handoff;
mod shared;
mod stats;

use deliver::deliver;
use handoff::Job;
pub use shared::{Parts, Shared};
pub use stats::Stats;

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
/// storage error instead of growing the journal further (about 10 MB at this count;
/// memory holds at most 1 MiB of it). While the store accepts them, a burst may keep
/// four times as many waiting (see `journal::BURST_HEADROOM`).
pub const MAX_PENDING: usize = 50_000;

/// The worker's main loop; returns when `shutdown` is set, after persisting what the
/// journal holds and releasing the tracker's files.
pub fn run(shared: &Shared) {
    let _quiet = InLibrary::enter();
    shared.enter_delivery_thread();
    let mut state = WorkerState::default();
    while let Some(job) = shared.next_job() {
        // A bug must not kill delivery for good: report it and keep serving.
        let outcome = catch_unwind(AssertUnwindSafe(|| run_job(shared, &mut state, job)));
        if let Err(panic) = outcome {
            let error = panic_error(panic.as_ref());
            log(Level::Error, || format!("{error}; delivery goes on"));
            shared.abandon_flush(error);
        }
    }
    // Events the collector has, not deleted yet (a full disk): deleted now if the disk
    // has room again, or the next tracker sends them once more.
    let _ = deliver::settle_undeleted(shared, &mut state);
    finish(shared);
}

/// What a panic in the delivery thread means: a thread that could not be started
/// (the HTTP client starts one to resolve a name within the timeout, and std panics
/// when the system refuses it) is the system out of resources; anything else is a
/// bug.
fn panic_error(panic: &(dyn std::any::Any + Send)) -> Error {
    let message = panic
        .downcast_ref::<&str>()
        .copied()
        .or_else(|| panic.downcast_ref::<String>().map(String::as_str))
        .unwrap_or("");
    if message.starts_with("failed to spawn thread") {
        Error::out_of_resources(
            "the delivery thread could not start a thread it needs",
            message,
        )
    } else {
        Error::internal("internal error in the delivery thread during flush")
    }
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
    let mut journal = shared
        .journal
        .lock()
        .unwrap_or_else(PoisonError::into_inner);
    let mut store = shared.store.lock().unwrap_or_else(PoisonError::into_inner);
    *persisting = None;
    *journal = None;
    *store = None;
    *shared
        .database_lock
        .lock()
        .unwrap_or_else(PoisonError::into_inner) = None;
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
    // Before anything is stored: space freed on a full disk goes first to deleting
    // what the collector already has, not to new records that would take it all.
    let _ = deliver::settle_undeleted(shared, state);
    match job {
        Job::Flush(epoch) => {
            let result = flush(shared, state);
            shared.end_flush(epoch, result);
        }
        Job::Persist => {
            let _ = persist(shared);
        }
        Job::Drain => {
            let _ = deliver(shared, state, None);
        }
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
        drain_if_stored_due(shared);
    }
    result
}

fn persist_all(shared: &Shared, messages: &mut Vec<(Level, String)>) -> Result<()> {
    let mut persisting = shared.lock_persisting();
    shared.lock_control().persist_at = None;
    loop {
        if persisting.is_none() {
            *persisting = shared.with_journal(|journal| {
                let taken = journal.take();
                let warnings = journal.take_warnings();
                messages.extend(warnings.into_iter().map(|w| (Level::Warn, w)));
                taken
            })?;
        }
        let Some(taken) = persisting.as_mut() else {
            return Ok(());
        };
        // A batch at a time, decoded without the journal's lock (which tracking
        // waits for): a backlog's decoded records are never all in memory at once.
        while taken.batches.unstored() > 0 {
            let batch = taken.batches.batch(PERSIST_BATCH);
            store_batch(shared, &batch.records, messages)?;
            taken.batches.stored(&batch);
            if batch.lost > 0 {
                shared
                    .counters
                    .unsent
                    .fetch_sub(batch.lost as u64, Ordering::Relaxed);
                messages.push((Level::Error, lost_to_truncation(batch.lost)));
            }
        }
        taken.release()?;
        *persisting = None;
    }
}

/// What is logged when records in the journal file alone (a burst beyond what memory
/// holds) were lost to another program truncating or overwriting the file.
fn lost_to_truncation(lost: usize) -> String {
    format!(
        "{lost} events were lost: another program truncated or overwrote the journal \
         file that alone held them"
    )
}

/// One transaction of records into the store. On failure they stay where they are
/// (in `persisting` and in their journal file) and a retry is scheduled.
fn store_batch(
    shared: &Shared,
    records: &[Record],
    messages: &mut Vec<(Level, String)>,
) -> Result<()> {
    let inserted = shared.with_store(|store| store.insert(records, shared.max_queued_events));
    let accepted = inserted.is_ok();
    let _ = shared.with_journal(|journal| {
        journal.store_accepts(accepted);
        Ok(())
    });
    let inserted = inserted.inspect_err(|error| {
        messages.push((Level::Error, error.to_string()));
        // Try again later; the records are safe in the journal meanwhile.
        let retry_at = Instant::now() + PERSIST_RETRY;
        let mut control = shared.lock_control();
        control.persist_at = Some(retry_at);
        control.persist_retry_at = Some(retry_at);
    })?;
    shared.lock_control().persist_retry_at = None;
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
    Ok(())
}

/// The spec's triggers, checked again once records reach the store: an event tracked
/// while its predecessors were being persisted counted only the journal's share.
/// Runs on the worker, which needs no wake-up (unlike `Shared::start_drain_if_due`).
fn drain_if_stored_due(shared: &Shared) {
    if shared.draining.load(Ordering::SeqCst) || !shared.enabled.load(Ordering::SeqCst) {
        return;
    }
    let queued = shared.queued();
    if queued > 0 && shared.send_due(queued) {
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

/// What a flush or a delivery reports while tracking is disabled.
fn disabled() -> Error {
    Error::new(
        ErrorKind::Disabled,
        "tracking is disabled: queued events are kept but not sent",
    )
}
