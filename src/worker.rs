//! The delivery thread: the only place that talks to the collector. Callers never wait
//! for the network; they set flags under `control` and the worker acts on them.

use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{Arc, Condvar, Mutex, MutexGuard, RwLock};
use std::time::{Duration, Instant};

use crate::backoff::Backoff;
use crate::context::now_epoch_seconds;
use crate::error::{Error, ErrorKind, Result};
use crate::log::{log, Level};
use crate::sender::{short_session, Sender};
use crate::store::Store;

/// A request carries at most this many events…
pub const MAX_BATCH_EVENTS: usize = 1000;
/// …and about this many bytes of payload, so a week offline never makes one huge
/// request: the backlog goes out as a series of bounded ones.
pub const MAX_BATCH_BYTES: usize = 512 * 1024;

/// What the worker and the callers share.
pub struct Shared {
    pub store: Mutex<Store>,
    pub control: Mutex<Control>,
    /// Wakes the worker: new work, a flush, a shutdown.
    pub wake: Condvar,
    /// Wakes flush callers: a flush pass finished, or the tracker closed.
    pub progress: Condvar,
    pub sender: Sender,
    pub headers: RwLock<Vec<(String, String)>>,
    /// The app's opt-out switch: while false nothing is stored or sent.
    pub enabled: AtomicBool,
}

/// Delivery state, guarded by one mutex that is never held during I/O.
#[derive(Debug, Default)]
pub struct Control {
    /// Events of the request in progress.
    pub in_flight: u64,
    /// Failed attempts since the last success.
    pub consecutive_failures: u32,
    /// Epoch seconds of the last 200; `None` before the first.
    pub last_sync: Option<u64>,
    /// Set by a trigger; the worker sends until the queue is empty.
    pub draining: bool,
    /// No automatic attempt before this (flush ignores it).
    pub retry_at: Option<Instant>,
    pub flush_requested: u64,
    pub flush_done: u64,
    pub flush_result: Option<Result<()>>,
    pub shutdown: bool,
    pub last_error: Option<Error>,
    /// Counts stored events, so the worker can tell whether an event arrived between
    /// its finding the queue empty and its going idle.
    pub tracked: u64,
}

enum Job {
    Flush(u64),
    Drain,
}

impl Shared {
    pub fn lock_control(&self) -> MutexGuard<'_, Control> {
        self.control.lock().unwrap_or_else(|e| e.into_inner())
    }

    pub fn lock_store(&self) -> MutexGuard<'_, Store> {
        self.store.lock().unwrap_or_else(|e| e.into_inner())
    }
}

/// The worker's main loop; returns when `shutdown` is set.
pub fn run(shared: Arc<Shared>) {
    let mut backoff = Backoff::default();
    while let Some(job) = next_job(&shared) {
        match job {
            Job::Flush(epoch) => {
                // Bound first: the store's guard must be released before delivering.
                let target = shared.lock_store().newest_id();
                let result = target.and_then(|target| match target {
                    Some(target) => deliver(&shared, &mut backoff, Some(target)),
                    None => Ok(()),
                });
                let mut control = shared.lock_control();
                control.flush_done = epoch;
                if result
                    .as_ref()
                    .is_err_and(|e| e.kind() != ErrorKind::Disabled)
                {
                    // Keep trying in the background after the backoff.
                    control.draining = true;
                }
                control.flush_result = Some(result);
                shared.progress.notify_all();
            }
            Job::Drain => {
                let _ = deliver(&shared, &mut backoff, None);
            }
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
        if control.draining {
            match control.retry_at {
                Some(at) if at > Instant::now() => {
                    let wait = at - Instant::now();
                    control = shared
                        .wake
                        .wait_timeout(control, wait)
                        .unwrap_or_else(|e| e.into_inner())
                        .0;
                    continue;
                }
                _ => return Some(Job::Drain),
            }
        }
        control = shared.wake.wait(control).unwrap_or_else(|e| e.into_inner());
    }
}

/// Sends batches, oldest first, until the queue is empty (or, for a flush, until every
/// event up to `until` is delivered). Stops early on failure, shutdown, or — for a
/// background drain — a flush request, which the main loop then serves.
fn deliver(shared: &Shared, backoff: &mut Backoff, until: Option<i64>) -> Result<()> {
    loop {
        {
            let control = shared.lock_control();
            if control.shutdown {
                return Err(Error::new(ErrorKind::Internal, "the tracker was closed"));
            }
            if until.is_none() && control.flush_requested > control.flush_done {
                return Ok(());
            }
        }
        let tracked_before = shared.lock_control().tracked;
        let batch = shared
            .lock_store()
            .next_batch(MAX_BATCH_EVENTS, MAX_BATCH_BYTES);
        if !shared.enabled.load(Ordering::SeqCst) {
            shared.lock_control().draining = false;
            return Err(Error::new(
                ErrorKind::Disabled,
                "tracking is disabled: queued events are kept but not sent",
            ));
        }
        let batch = match batch {
            Ok(Some(batch)) if until.is_none_or(|target| batch.ids[0] <= target) => batch,
            Ok(Some(_)) => return Ok(()),
            Ok(None) => {
                let mut control = shared.lock_control();
                if control.tracked != tracked_before {
                    continue;
                }
                control.draining = false;
                return Ok(());
            }
            Err(error) => return Err(fail(shared, backoff, error, None)),
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
            return Err(fail(shared, backoff, failure.error, failure.retry_after));
        }
        let now = now_epoch_seconds();
        let stored = shared.lock_store().delete_delivered(&batch.ids, now);
        if let Err(error) = stored {
            // The collector has the events but they are still queued: they will be
            // sent again (at-least-once), which is better than losing them.
            return Err(fail(shared, backoff, error, None));
        }
        backoff.reset();
        {
            let mut control = shared.lock_control();
            control.last_sync = Some(now);
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
