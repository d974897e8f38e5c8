//! The hand-off between a tracker's callers and its delivery thread: how a caller
//! hands the worker work (a flag set under `control`'s lock, then `wake` notified)
//! and how the worker waits for it and answers (`progress` notified). Both sides
//! are here, so that a reader can check in one file that no wake-up is lost.

use std::sync::atomic::Ordering;
use std::sync::PoisonError;
use std::time::{Duration, Instant};

use super::{disabled, lost_to_truncation, should_send, Shared, PERSIST_BATCH, PERSIST_DELAY};
use crate::error::{Error, ErrorKind, Result};
use crate::journal::Frame;
use crate::log::{log, Level};

/// What the worker does next.
#[derive(Clone, Copy)]
pub(super) enum Job {
    Flush(u64),
    Persist,
    Drain,
}

/// The callers' side.
impl Shared {
    /// Appends one event to the journal (durable when this returns `Ok`), then wakes
    /// the worker if a persist or a delivery is due. Decides without a lock on the
    /// common path: only a due persist or a trigger needs the worker.
    pub fn track(&self, frame: Frame) -> Result<()> {
        // The append's one system call, before the lock: does the file still cover
        // its mapping?
        let checked = self.journal_size_check.check();
        let mut warnings = Vec::new();
        let mut lost = 0;
        let appended = self.with_journal(|journal| {
            let appended = journal.append_checked(frame, Some(checked)).map(|_| {
                // Under the journal's lock, so that a discard (which empties the journal
                // under it) resets the count either before or after this.
                self.counters.unsent.fetch_add(1, Ordering::Relaxed);
                journal.pending()
            });
            warnings = journal.take_warnings();
            lost = journal.take_lost();
            if lost > 0 {
                self.counters
                    .unsent
                    .fetch_sub(lost as u64, Ordering::Relaxed);
            }
            appended
        });
        for warning in warnings {
            log(Level::Warn, || warning);
        }
        if lost > 0 {
            log(Level::Error, || lost_to_truncation(lost));
        }
        let pending = appended?;
        self.tracked.fetch_add(1, Ordering::SeqCst);
        let queued = self.queued();
        // The first record, and every further batch of them: once per batch, so that
        // while the store refuses records the worker keeps its retry pace.
        let persist_due = pending == 1 || pending % PERSIST_BATCH == 0;
        let start_drain = self.send_due(queued) && !self.draining.load(Ordering::SeqCst);
        if persist_due || start_drain {
            let persist_in = persist_due.then_some(if pending == 1 {
                PERSIST_DELAY
            } else {
                Duration::ZERO
            });
            self.request(persist_in, start_drain);
        }
        Ok(())
    }

    /// Starts a delivery if something is queued and a trigger holds (tracking was
    /// switched back on, say).
    pub fn start_drain_if_due(&self) {
        let queued = self.queued();
        if queued > 0 && self.send_due(queued) {
            self.request(None, true);
        }
    }

    /// Hands the worker a persist due in `persist_in` (kept if one is due sooner; a
    /// new one never before the store's retry time) and/or a drain: set under
    /// `control`'s lock and then woken, so the worker, which checks both under that
    /// lock before it waits, cannot miss them.
    fn request(&self, persist_in: Option<Duration>, start_drain: bool) {
        let mut control = self.lock_control();
        if let Some(delay) = persist_in {
            let due = Instant::now() + delay;
            let due = control.persist_retry_at.map_or(due, |retry| retry.max(due));
            control.persist_at = Some(control.persist_at.map_or(due, |at| at.min(due)));
        }
        if start_drain {
            self.draining.store(true, Ordering::SeqCst);
        }
        self.wake.notify_one();
    }

    /// Asks the worker for a flush pass and waits for it to end, for the tracker to
    /// close, or for `timeout`, whichever comes first.
    pub fn flush(&self, timeout: Duration) -> Result<()> {
        let deadline = Instant::now() + timeout;
        let mut control = self.lock_control();
        if control.shutdown {
            return Err(Error::closed());
        }
        if !self.enabled() {
            return Err(disabled());
        }
        control.flush_requested += 1;
        let ticket = control.flush_requested;
        self.wake.notify_one();
        if self.on_delivery_thread() {
            // Called from a log callback on the delivery thread, which cannot serve
            // the flush while it waits for it.
            return Err(Error::new(
                ErrorKind::Timeout,
                "flush was called on the delivery thread (from a log callback), which \
                 cannot wait for itself; the flush runs once the callback returns",
            ));
        }
        loop {
            if control.flush_done >= ticket {
                return control.flush_result.clone().unwrap_or(Ok(()));
            }
            if control.shutdown {
                return Err(Error::new(
                    ErrorKind::InvalidHandle,
                    "the tracker was closed during flush",
                ));
            }
            let now = Instant::now();
            if now >= deadline {
                drop(control);
                return Err(Error::new(
                    ErrorKind::Timeout,
                    format!(
                        "flush timed out after {} ms with {} events queued; delivery goes on in the background",
                        timeout.as_millis(),
                        self.queued()
                    ),
                ));
            }
            control = self
                .progress
                .wait_timeout(control, deadline - now)
                .unwrap_or_else(PoisonError::into_inner)
                .0;
        }
    }

    /// Marks the tracker closed (first, so new calls refuse before any lock) and
    /// tells the worker and every waiting flush. The worker then releases the files.
    pub fn shut_down(&self) {
        self.closed.store(true, Ordering::SeqCst);
        let mut control = self.lock_control();
        control.shutdown = true;
        self.wake.notify_all();
        self.progress.notify_all();
    }
}

/// The worker's side.
impl Shared {
    /// Blocks until there is something to do; `None` means shut down. Every flag a
    /// caller sets before waking the worker is read here under `control`'s lock.
    pub(super) fn next_job(&self) -> Option<Job> {
        let mut control = self.lock_control();
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
            let draining = self.draining.load(Ordering::SeqCst);
            if draining && retry_at.is_none() {
                return Some(Job::Drain);
            }
            let retry_at = retry_at.filter(|_| draining);
            let wake_at = [control.persist_at, retry_at].into_iter().flatten().min();
            control = match wake_at {
                Some(at) => {
                    self.wake
                        .wait_timeout(control, at.saturating_duration_since(now))
                        .unwrap_or_else(PoisonError::into_inner)
                        .0
                }
                None => self
                    .wake
                    .wait(control)
                    .unwrap_or_else(PoisonError::into_inner),
            };
        }
    }

    /// Ends the flush pass for every request up to `epoch` and wakes their callers.
    pub(super) fn end_flush(&self, epoch: u64, result: Result<()>) {
        let mut control = self.lock_control();
        control.flush_done = epoch;
        if result
            .as_ref()
            .is_err_and(|e| !matches!(e.kind(), ErrorKind::Disabled | ErrorKind::InvalidHandle))
        {
            // Keep trying in the background after the backoff.
            self.draining.store(true, Ordering::SeqCst);
        }
        control.flush_result = Some(result);
        self.progress.notify_all();
    }

    /// Ends a flush pass that cannot finish (the worker's job panicked) with `error`.
    pub(super) fn abandon_flush(&self, error: Error) {
        let mut control = self.lock_control();
        if control.flush_done < control.flush_requested {
            control.flush_done = control.flush_requested;
            control.flush_result = Some(Err(error));
            self.progress.notify_all();
        }
    }

    /// Whether the store refused the last records it was given and its retry is not
    /// due yet.
    pub(super) fn persist_paused(&self) -> bool {
        self.lock_control()
            .persist_retry_at
            .is_some_and(|at| at > Instant::now())
    }

    /// Whether the spec's triggers hold with `queued` events waiting.
    pub(super) fn send_due(&self, queued: u64) -> bool {
        should_send(
            self.last_sync.load(Ordering::SeqCst),
            queued,
            self.queue_size,
            self.retention_seconds,
        )
    }
}
