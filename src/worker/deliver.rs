//! Delivery: batches of stored events sent to the collector, oldest first, each
//! deleted from the store once the collector has it. A failed attempt is recorded
//! and retried after a backoff.

use std::sync::atomic::Ordering;
use std::time::{Duration, Instant};

use super::{disabled, persist, Shared, WorkerState, MAX_BATCH_BYTES, MAX_BATCH_EVENTS};
use crate::backoff::Backoff;
use crate::context::now_epoch_seconds;
use crate::error::{Error, ErrorKind, Result};
use crate::log::{log, Level};
use crate::sender::short_session;

/// Sends batches, oldest first, until the queue is empty (or, for a flush, until every
/// event up to `until` is delivered). Stops early on failure, shutdown, or — for a
/// background drain — a flush request, which the main loop then serves.
pub(super) fn deliver(shared: &Shared, state: &mut WorkerState, until: Option<i64>) -> Result<()> {
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
        let headers = shared.headers();
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
