//! What the app controls at run time beyond tracking: global parameters, the opt-out
//! switch, erasure of the queue, and the statistics it can show.

use std::sync::atomic::Ordering;
use std::time::{Duration, Instant};

use super::input::check_settings;
use super::Tracker;
use crate::error::{Error, Result};
use crate::log::{log, Level};
use crate::store::Store;
use crate::wire::Parameter;
use crate::worker::should_send;

/// A snapshot of the tracker's delivery state, for the app to show or log.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Stats {
    /// Events stored and not yet accepted by the collector.
    pub queued: u64,
    /// Events in the request being sent right now.
    pub in_flight: u64,
    /// Events the collector accepted, over the database's lifetime.
    pub delivered: u64,
    /// Events dropped because the queue reached its cap, over the database's lifetime.
    pub dropped: u64,
    /// Records kept aside in the database's quarantine table instead of being sent
    /// (undecodable, of another database, or numbered like a different event), over
    /// the database's lifetime. Never silently dropped: each was logged.
    pub quarantined: u64,
    /// Epoch seconds of the last successful delivery.
    pub last_sync: Option<u64>,
    /// The last delivery failure since the tracker started, if any.
    pub last_error: Option<Error>,
    /// Failed attempts since the last success.
    pub consecutive_failures: u32,
    /// When the next automatic attempt is due, if one is scheduled.
    pub next_retry_in: Option<Duration>,
    pub enabled: bool,
}

impl Tracker {
    /// Sets (or with `None` removes) a parameter added to every later event; persisted.
    pub fn set_global_parameter(&self, name: &str, value: Option<&str>) -> Result<()> {
        self.check_usable()?;
        if name.is_empty() {
            return Err(Error::invalid("parameter name must not be empty"));
        }
        let _writer = self.lock_settings_writer();
        let mut updated = self
            .global_parameters
            .read()
            .unwrap_or_else(|e| e.into_inner())
            .clone();
        match (updated.iter().position(|p| p.name == name), value) {
            (Some(at), Some(value)) => updated[at].value = value.to_string(),
            (Some(at), None) => {
                updated.remove(at);
            }
            (None, Some(value)) => updated.push(Parameter {
                name: name.to_string(),
                value: value.to_string(),
            }),
            (None, None) => return Ok(()),
        }
        check_settings(
            &self.user.read().unwrap_or_else(|e| e.into_inner()),
            &updated,
        )?;
        self.shared
            .with_store(|store| store.set_global_parameters(&updated))?;
        *self
            .global_parameters
            .write()
            .unwrap_or_else(|e| e.into_inner()) = updated;
        Ok(())
    }

    /// Removes every global parameter.
    pub fn clear_global_parameters(&self) -> Result<()> {
        self.check_usable()?;
        let _writer = self.lock_settings_writer();
        self.shared
            .with_store(|store| store.set_global_parameters(&[]))?;
        self.global_parameters
            .write()
            .unwrap_or_else(|e| e.into_inner())
            .clear();
        Ok(())
    }

    /// Switches tracking on or off, persistently. While off, `track_event` stores
    /// nothing and nothing is sent; queued events are kept (see `discard_queued`).
    pub fn set_enabled(&self, enabled: bool) -> Result<()> {
        self.check_usable()?;
        {
            // Like every persisted setting: the store and the switch change together,
            // so concurrent calls cannot leave them disagreeing.
            let _writer = self.lock_settings_writer();
            self.shared.with_store(|store| store.set_enabled(enabled))?;
            self.shared.enabled.store(enabled, Ordering::SeqCst);
        }
        log(Level::Info, || {
            format!("tracking {}", if enabled { "enabled" } else { "disabled" })
        });
        if enabled {
            let queued = self.shared.queued();
            let last_sync = self.shared.last_sync.load(Ordering::SeqCst);
            if queued > 0 && should_send(last_sync, queued, self.queue_size, self.retention_seconds)
            {
                let _control = self.shared.lock_control();
                self.shared.draining.store(true, Ordering::SeqCst);
                self.shared.wake.notify_one();
            }
        }
        Ok(())
    }

    pub fn enabled(&self) -> bool {
        self.shared.enabled.load(Ordering::SeqCst)
    }

    /// Deletes every queued event from the device (erasure on request); returns how
    /// many. A request already in flight may still complete.
    pub fn discard_queued(&self) -> Result<u64> {
        self.check_usable()?;
        // Holding `persisting` keeps the worker from moving records meanwhile; the
        // batch it holds is dropped only once the journal files are emptied.
        let mut persisting = self.shared.lock_persisting();
        let taken = persisting
            .as_ref()
            .filter(|taken| !taken.stored)
            .map_or(0, |taken| taken.records.len()) as u64;
        let discarded = self.shared.with_journal(|journal| {
            let journaled = journal.pending() as u64;
            journal.clear()?;
            *persisting = None;
            let stored = self.shared.with_store(Store::discard_all)?;
            self.shared.counters.unsent.store(0, Ordering::Relaxed);
            Ok(taken + journaled + stored)
        })?;
        drop(persisting);
        log(Level::Info, || {
            format!("discarded {discarded} queued events")
        });
        Ok(discarded)
    }

    pub fn stats(&self) -> Result<Stats> {
        self.check_usable()?;
        let queued = self.shared.queued();
        let counters = &self.shared.counters;
        let delivered = counters.delivered.load(Ordering::Relaxed);
        let dropped = counters.dropped.load(Ordering::Relaxed);
        let quarantined = counters.quarantined.load(Ordering::Relaxed);
        let control = self.shared.lock_control();
        Ok(Stats {
            queued,
            in_flight: control.in_flight,
            delivered,
            dropped,
            quarantined,
            last_sync: Some(self.shared.last_sync.load(Ordering::SeqCst)).filter(|&t| t > 0),
            last_error: control.last_error.clone(),
            consecutive_failures: control.consecutive_failures,
            next_retry_in: control
                .retry_at
                .filter(|_| self.shared.draining.load(Ordering::SeqCst) && self.enabled())
                .map(|at| at.saturating_duration_since(Instant::now())),
            enabled: self.enabled(),
        })
    }
}
