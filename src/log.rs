//! Optional logging to a sink the app installs (off by default). Messages describe
//! what the library does; they never contain the shared secret, user ids or event
//! parameters.

use std::sync::{Arc, RwLock};

/// Severity, most severe first; a sink receives messages up to its chosen level.
/// The numbers are the C API's (`hamustro_set_log_callback`).
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord)]
pub enum Level {
    /// A failure the app should know of: events that cannot be stored or sent.
    Error = 1,
    /// Something went wrong and will be retried or worked around.
    Warn = 2,
    /// What the library does: trackers started, deliveries made.
    Info = 3,
    /// Details for debugging the library's behaviour.
    Debug = 4,
}

impl Level {
    /// The level numbered `value` (1 to 4, as in the C API), or `None`.
    pub fn from_u32(value: u32) -> Option<Level> {
        match value {
            1 => Some(Level::Error),
            2 => Some(Level::Warn),
            3 => Some(Level::Info),
            4 => Some(Level::Debug),
            _ => None,
        }
    }
}

/// Receives each message with its level, on whichever thread logs it (a caller's
/// or the delivery thread), without any library lock held.
pub type Sink = Arc<dyn Fn(Level, &str) + Send + Sync>;

static LOGGER: RwLock<Option<(Level, Sink)>> = RwLock::new(None);

/// Installs a sink for messages up to the given level, process-wide (replacing any
/// other); `None` turns logging off.
///
/// ```
/// use std::sync::Arc;
/// use hamustro::log::{set_logger, Level};
///
/// set_logger(Some((Level::Info, Arc::new(|level, message: &str| {
///     eprintln!("hamustro {level:?}: {message}");
/// }))));
/// set_logger(None);
/// ```
pub fn set_logger(logger: Option<(Level, Sink)>) {
    *LOGGER.write().unwrap_or_else(|e| e.into_inner()) = logger;
}

/// Holds the sink across a fork (`ffi/fork.rs`): no other thread reads or replaces it
/// until the guard is dropped.
pub(crate) fn lock_for_fork() -> impl std::any::Any {
    LOGGER.write().unwrap_or_else(|e| e.into_inner())
}

/// Sends a message to the sink if one is installed for `level`. The message is only
/// built when it will be used. The sink runs without any library lock held, so it may
/// call back into the library.
pub(crate) fn log(level: Level, message: impl FnOnce() -> String) {
    let sink = match &*LOGGER.read().unwrap_or_else(|e| e.into_inner()) {
        Some((max, sink)) if level <= *max => Arc::clone(sink),
        _ => return,
    };
    sink(level, &message());
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::sync::Mutex;

    #[test]
    fn messages_above_the_level_are_not_built() {
        let seen = Arc::new(Mutex::new(Vec::new()));
        let sink_seen = Arc::clone(&seen);
        set_logger(Some((
            Level::Warn,
            Arc::new(move |level, message: &str| {
                sink_seen.lock().unwrap().push((level, message.to_string()));
            }),
        )));
        log(Level::Error, || "kept".into());
        log(Level::Debug, || {
            panic!("a debug message was built at level warn")
        });
        set_logger(None);
        log(Level::Error, || "after removal".into());
        assert_eq!(*seen.lock().unwrap(), [(Level::Error, "kept".to_string())]);
    }
}
