//! What the app controls at run time beyond tracking: global parameters, the opt-out
//! switch, erasure of the queue, and the statistics it can show.

use std::sync::PoisonError;

use super::input::check_settings;
use super::Tracker;
use crate::error::{Error, Result};
use crate::log::{log, Level};
use crate::wire::Parameter;
use crate::worker::Stats;

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
            .unwrap_or_else(PoisonError::into_inner)
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
            &self.user.read().unwrap_or_else(PoisonError::into_inner),
            &updated,
        )?;
        self.shared
            .with_store(|store| store.set_global_parameters(&updated))?;
        *self
            .global_parameters
            .write()
            .unwrap_or_else(PoisonError::into_inner) = updated;
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
            .unwrap_or_else(PoisonError::into_inner)
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
            self.shared.set_enabled(enabled);
        }
        log(Level::Info, || {
            format!("tracking {}", if enabled { "enabled" } else { "disabled" })
        });
        if enabled {
            self.shared.start_drain_if_due();
        }
        Ok(())
    }

    /// Whether tracking is on (see [`set_enabled`](Tracker::set_enabled)).
    pub fn enabled(&self) -> bool {
        self.shared.enabled()
    }

    /// Deletes every queued event from the device (erasure on request); returns how
    /// many. A request already in flight may still complete.
    pub fn discard_queued(&self) -> Result<u64> {
        self.check_usable()?;
        let discarded = self.shared.discard_queued()?;
        log(Level::Info, || {
            format!("discarded {discarded} queued events")
        });
        Ok(discarded)
    }

    /// A snapshot of the delivery state: queued, delivered and dropped counts, the
    /// last success and failure, the next retry.
    pub fn stats(&self) -> Result<Stats> {
        self.check_usable()?;
        Ok(self.shared.stats())
    }
}
