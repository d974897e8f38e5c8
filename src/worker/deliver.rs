//! Delivery: batches of stored events sent to the collector, oldest first, each
//! deleted from the store once the collector has it. A failed attempt is recorded
//! and retried after a backoff.

use std::sync::atomic::Ordering;
use std::time::{Duration, Instant};

use super::{disabled, persist, Shared, WorkerState, MAX_BATCH_BYTES, MAX_BATCH_EVENTS};
use crate::backoff::Backoff;
use crate::clock::now_epoch_seconds;
use crate::error::{Error, ErrorKind, Result};
use crate::log::{log, Level};
use crate::sender::SendFailure;
use crate::store::Batch;
use crate::wire::session::short_session;

/// What one round of a delivery leads to.
enum Round {
    /// Another round.
    Again,
    /// The delivery is over, not because an attempt failed (the queue is delivered,
    /// the tracker closed, tracking is disabled, a flush takes over from a drain).
    Over(Result<()>),
}

/// A failed attempt: recorded, and retried after the backoff.
struct Failed {
    error: Error,
    retry_after: Option<Duration>,
}

impl From<Error> for Failed {
    fn from(error: Error) -> Failed {
        Failed {
            error,
            retry_after: None,
        }
    }
}

impl From<SendFailure> for Failed {
    fn from(failure: SendFailure) -> Failed {
        Failed {
            error: failure.error,
            retry_after: failure.retry_after,
        }
    }
}

/// A round's outcome; an `Err` is recorded (and retried) by `deliver`.
type RoundResult = std::result::Result<Round, Failed>;

/// Sends batches, oldest first, until the queue is empty (or, for a flush, until every
/// event up to `until` is delivered). Stops early on failure, shutdown, or — for a
/// background drain — a flush request, which the main loop then serves.
pub(super) fn deliver(shared: &Shared, state: &mut WorkerState, until: Option<i64>) -> Result<()> {
    loop {
        match round(shared, state, until) {
            Ok(Round::Again) => {}
            Ok(Round::Over(result)) => return result,
            Err(failed) => return Err(fail(shared, &mut state.backoff, failed)),
        }
    }
}

/// One round: whether delivery may go on, then one batch sent and settled.
fn round(shared: &Shared, state: &mut WorkerState, until: Option<i64>) -> RoundResult {
    let tracked_before = {
        let control = shared.lock_control();
        if control.shutdown {
            return Ok(Round::Over(Err(Error::new(
                ErrorKind::InvalidHandle,
                "the tracker was closed",
            ))));
        }
        if until.is_none() && control.flush_requested > control.flush_done {
            return Ok(Round::Over(Ok(())));
        }
        shared.tracked.load(Ordering::SeqCst)
    };
    if !shared.enabled.load(Ordering::SeqCst) {
        shared.draining.store(false, Ordering::SeqCst);
        // `set_enabled(true)` may have set the flag just before it was cleared.
        if shared.enabled.load(Ordering::SeqCst) {
            shared.draining.store(true, Ordering::SeqCst);
            return Ok(Round::Again);
        }
        return Ok(Round::Over(Err(disabled())));
    }
    // Events the collector has go first: never sent again, and their deletion gets
    // the space a full disk freed before new records do.
    settle_undeleted(shared, state)?;
    // A background drain moves the journal's records into the store first, but not
    // while the store is refusing them: then its retries keep their own pace
    // (`PERSIST_RETRY`), and what the store already holds is still sent.
    if until.is_none() && !shared.persist_paused() {
        persist(shared)?;
    }
    match shared.with_store(|store| store.next_batch(MAX_BATCH_EVENTS, MAX_BATCH_BYTES))? {
        Some(batch) if until.is_none_or(|target| batch.ids[0] <= target) => {
            send_and_settle(shared, state, batch)
        }
        Some(_) => Ok(Round::Over(Ok(()))),
        None => queue_empty(shared, tracked_before),
    }
}

/// Deletes the events the collector accepted whose deletion failed (a full disk), so
/// that nothing is sent before they are gone: no batch is sent twice by one tracker.
pub(super) fn settle_undeleted(shared: &Shared, state: &mut WorkerState) -> Result<()> {
    if !state.undeleted.is_empty() {
        shared.with_store(|store| {
            store.delete_delivered(&state.undeleted, state.undeleted_synced_at)
        })?;
        state.undeleted.clear();
    }
    Ok(())
}

/// Sends one batch and settles it: once the collector has it, its events leave the
/// store, the backoff starts over and the sync time moves on.
fn send_and_settle(shared: &Shared, state: &mut WorkerState, batch: Batch) -> RoundResult {
    let count = batch.ids.len();
    let mut collection = batch.header;
    collection.payloads = batch.payloads;
    let headers = shared.headers();
    shared.lock_control().in_flight = count as u64;
    let sent = shared.sender.send(&collection, &headers);
    shared.lock_control().in_flight = 0;
    sent?;
    let now = now_epoch_seconds();
    if let Err(error) = shared.with_store(|store| store.delete_delivered(&batch.ids, now)) {
        // The collector has these events: remember them, so they are deleted (not
        // sent again) once the store works again.
        state.undeleted = batch.ids;
        state.undeleted_synced_at = now;
        return Err(error.into());
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
    Ok(Round::Again)
}

/// The store has nothing (more) to send: the drain ends, unless an event was tracked
/// since the round began.
fn queue_empty(shared: &Shared, tracked_before: u64) -> RoundResult {
    // Clear first, then look for an event tracked meanwhile: its tracker either saw
    // the flag cleared (and sets it again itself) or counted itself before this check
    // (and the drain goes on, once it is stored).
    shared.draining.store(false, Ordering::SeqCst);
    if shared.tracked.load(Ordering::SeqCst) != tracked_before {
        shared.draining.store(true, Ordering::SeqCst);
        persist(shared)?;
        return Ok(Round::Again);
    }
    // With the queue empty, attributes of old sessions are unused now.
    let _ = shared.with_store(|store| store.prune_profiles(shared.profile_id));
    Ok(Round::Over(Ok(())))
}

/// Records a failed attempt and schedules the next automatic one.
fn fail(shared: &Shared, backoff: &mut Backoff, failed: Failed) -> Error {
    let Failed { error, retry_after } = failed;
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
