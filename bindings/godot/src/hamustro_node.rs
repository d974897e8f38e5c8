//! The `Hamustro` class: a `Node` over one `hamustro::Tracker`, for an autoload.

use std::time::Duration;

use godot::classes::notify::NodeNotification;
use godot::classes::{INode, Node};
use godot::global::Error as GodotError;
use godot::prelude::*;
use hamustro::log::Level;
use hamustro::{ErrorKind, Tracker};

use crate::convert::{self, Params};
use crate::{messages, settings, status};

/// Tracks events and delivers them, signed, to a Hamustro collector.
///
/// Add it as an autoload (Project Settings → Globals → Autoload, a script that
/// `extends Hamustro`, or `Hamustro.new()` added to the tree), call `configure()`
/// once, then `track_event()` from anywhere on the main thread. Tracking is a
/// local write that survives a crash; delivery runs on the library's own thread and
/// never blocks a frame.
///
/// Every call that can fail returns an `Error`: `OK`, or a
/// code naming the kind of failure, with the readable message in `last_error`
/// (also pushed to the debugger with `push_error()`). Tracking while
/// disabled is not a failure (nothing is stored).
///
/// The tracker flushes, for at most `flush_timeout` seconds, when the app is
/// paused (mobile) and when its window is asked to close.
#[derive(GodotClass)]
#[class(base = Node, init)]
pub struct Hamustro {
    base: Base<Node>,
    tracker: Option<Tracker>,
    /// The message of the last failed call; empty after a call that succeeded.
    #[var(no_set)]
    last_error: GString,
    /// The longest a flush on pause or on a close request waits, in seconds (2 unless
    /// set). Mobile systems end an app that takes too long to go to the background:
    /// what is not delivered stays queued on disk and goes out on the next launch.
    #[var]
    #[init(val = 2.0)]
    flush_timeout: f64,
    /// `consecutive_failures` when the last `delivery_failed` was emitted.
    reported_failures: u32,
}

// Through notifications rather than the `_ready` and `_process` virtuals: a script that
// `extends Hamustro` and defines its own `_ready` or `_process` replaces those, while
// every class of the hierarchy receives each notification.
#[godot_api]
impl INode for Hamustro {
    fn on_notification(&mut self, what: NodeNotification) {
        match what {
            NodeNotification::READY => self.base_mut().set_process(true),
            NodeNotification::PROCESS => self.emit_queued(),
            NodeNotification::APPLICATION_PAUSED | NodeNotification::WM_CLOSE_REQUEST => {
                self.bounded_flush();
            }
            NodeNotification::PREDELETE => {
                if let Some(tracker) = self.tracker.take() {
                    tracker.close();
                }
            }
            _ => {}
        }
    }
}

// gdext hands every `#[func]` its arguments by value.
#[allow(clippy::needless_pass_by_value)]
#[godot_api]
impl Hamustro {
    /// A message of the library's log (1 error, 2 warning, 3 info, 4 debug), emitted on
    /// the main thread; only at the levels `set_log_level()` enabled. Messages
    /// never contain the shared secret, a user id or an event parameter.
    #[signal]
    fn log_message(level: i64, message: GString);

    /// A delivery attempt failed (the events stay queued and are retried): the
    /// `Error` code, the message, and how many attempts in a row
    /// have failed. Emitted on the main thread, at most once a frame.
    #[signal]
    fn delivery_failed(error: i64, message: GString, consecutive_failures: i64);

    /// Creates the tracker from `settings`, whose keys are the library's options:
    /// `collector_url`, `shared_secret_key`, `device_id` and `client_id` are required;
    /// `product_version`, `system`, `system_version`, `system_language`, `country` and
    /// `database_path` default to what Godot knows (see the addon's README); every
    /// other option left out keeps the library's default. A second call replaces the
    /// tracker (its queued events stay on disk).
    #[func]
    fn configure(&mut self, settings: VarDictionary) -> GodotError {
        if let Some(old) = self.tracker.take() {
            old.close();
        }
        self.reported_failures = 0;
        match settings::tracker_config(&settings).and_then(Tracker::new) {
            Ok(tracker) => {
                self.tracker = Some(tracker);
                self.finish(Ok(()))
            }
            Err(error) => self.finish(Err(error)),
        }
    }

    /// Whether `configure()` has succeeded (and the node is not closed).
    #[func]
    fn is_configured(&self) -> bool {
        self.tracker.is_some()
    }

    /// Stores an event. Each parameter's name and value are sent as GDScript's `str()`
    /// makes them: a String as it is, `42`, `1.5`, `true`, `<null>`, `(1, 2)`.
    #[func]
    fn track_event(
        &mut self,
        name: GString,
        #[opt(default = Params::default())] params: Params,
    ) -> GodotError {
        let params = convert::pairs(&params.0);
        let result = self.with_tracker(|tracker| tracker.track_event(&name.to_string(), &params));
        self.finish(result)
    }

    /// Attributes later events to `user_id` (and `tenant_id`); an empty
    /// string clears it. Persisted across launches.
    #[func]
    fn set_user(
        &mut self,
        user_id: GString,
        #[opt(default = "")] tenant_id: GString,
    ) -> GodotError {
        let (user, tenant) = (user_id.to_string(), tenant_id.to_string());
        let result = self.with_tracker(|tracker| {
            tracker.set_user(
                Some(tenant.as_str()).filter(|t| !t.is_empty()),
                Some(user.as_str()).filter(|u| !u.is_empty()),
            )
        });
        self.finish(result)
    }

    /// Extra HTTP headers for every request (names and values as `str()` makes them);
    /// an empty Dictionary removes them.
    #[func]
    fn set_headers(&mut self, headers: VarDictionary) -> GodotError {
        let headers = convert::pairs(&headers);
        let result = self.with_tracker(|tracker| tracker.set_headers(&headers));
        self.finish(result)
    }

    /// Delivers everything queued, waiting at most `timeout_s` seconds. Blocks the
    /// calling thread: in a frame, keep it short.
    #[func]
    fn flush(&mut self, timeout_s: f64) -> GodotError {
        let result = match Duration::try_from_secs_f64(timeout_s) {
            Ok(timeout) => self.with_tracker(|tracker| tracker.flush(timeout)),
            Err(_) => Err(status::invalid(format!(
                "flush timeout {timeout_s} s is not a duration"
            ))),
        };
        self.finish(result)
    }

    /// Switches tracking on or off, persistently (an opt-out). While off nothing is
    /// stored or sent; queued events are kept (see `discard_queued()`).
    #[func]
    fn set_enabled(&mut self, enabled: bool) -> GodotError {
        let result = self.with_tracker(|tracker| tracker.set_enabled(enabled));
        self.finish(result)
    }

    /// Whether tracking is on; false when not configured.
    #[func]
    fn is_enabled(&self) -> bool {
        self.tracker.as_ref().is_some_and(Tracker::enabled)
    }

    /// Deletes every queued event from the device; returns how many, or -1 on failure
    /// (see `last_error`).
    #[func]
    fn discard_queued(&mut self) -> i64 {
        let result = self.with_tracker(Tracker::discard_queued);
        let discarded = result.as_ref().map_or(-1, |&n| n as i64);
        self.finish(result.map(|_| ()));
        discarded
    }

    /// Adds `value` (as `str()` makes it) to every later event as parameter
    /// `name`; `null` removes it. Persisted across launches.
    #[func]
    fn set_global_parameter(&mut self, name: GString, value: Variant) -> GodotError {
        let value = (!value.is_nil()).then(|| convert::text(&value));
        let name = name.to_string();
        let result =
            self.with_tracker(|tracker| tracker.set_global_parameter(&name, value.as_deref()));
        self.finish(result)
    }

    /// Removes every global parameter.
    #[func]
    fn clear_global_parameters(&mut self) -> GodotError {
        let result = self.with_tracker(Tracker::clear_global_parameters);
        self.finish(result)
    }

    /// The delivery state: `queued`, `in_flight`, `delivered`, `dropped`,
    /// `quarantined`, `consecutive_failures` (ints), `enabled` (bool), `last_sync`
    /// (Unix seconds, or null), `next_retry_in` (seconds, or null), `last_error` (the
    /// last delivery failure's message, or "") and `last_error_code` (its
    /// `Error`, or `OK`). Empty on failure.
    #[func]
    fn get_stats(&mut self) -> VarDictionary {
        let result = self.with_tracker(Tracker::stats);
        let mut dictionary = VarDictionary::new();
        if let Ok(stats) = &result {
            let count = |n: u64| i64::try_from(n).unwrap_or(i64::MAX);
            dictionary.set("queued", count(stats.queued));
            dictionary.set("in_flight", count(stats.in_flight));
            dictionary.set("delivered", count(stats.delivered));
            dictionary.set("dropped", count(stats.dropped));
            dictionary.set("quarantined", count(stats.quarantined));
            dictionary.set(
                "consecutive_failures",
                i64::from(stats.consecutive_failures),
            );
            dictionary.set("enabled", stats.enabled);
            let last_sync = stats
                .last_sync
                .map_or(Variant::nil(), |t| count(t).to_variant());
            dictionary.set("last_sync", &last_sync);
            let next_retry_in = stats
                .next_retry_in
                .map_or(Variant::nil(), |d| d.as_secs_f64().to_variant());
            dictionary.set("next_retry_in", &next_retry_in);
            let (code, message) = stats
                .last_error
                .as_ref()
                .map_or((GodotError::OK, String::new()), |e| {
                    (status::code(e), e.message().to_string())
                });
            dictionary.set("last_error", message);
            dictionary.set("last_error_code", i64::from(code.ord()));
        }
        self.finish(result.map(|_| ()));
        dictionary
    }

    /// The queue's database file, as the operating system names it; empty when not
    /// configured.
    #[func]
    fn get_database_path(&self) -> GString {
        self.tracker.as_ref().map_or_else(GString::new, |tracker| {
            GString::from(&tracker.database_path().to_string_lossy().into_owned())
        })
    }

    /// Which library messages `log_message` carries: 0 none (the default), 1
    /// errors, 2 and warnings, 3 and information, 4 and debugging. Process-wide.
    // A method of the node (not a static one) so that scripts extending it call it
    // plainly; the sink it sets is the library's, process-wide.
    #[allow(clippy::unused_self)]
    #[func]
    fn set_log_level(&mut self, level: i64) {
        messages::set_level(level);
    }

    /// Stops tracking: the tracker is closed (waiting at most the request timeout for a
    /// request in flight); queued events stay on disk for the next launch.
    #[func]
    fn close(&mut self) {
        if let Some(tracker) = self.tracker.take() {
            tracker.close();
        }
    }
}

impl Hamustro {
    fn with_tracker<T>(
        &self,
        call: impl FnOnce(&Tracker) -> hamustro::Result<T>,
    ) -> hamustro::Result<T> {
        self.tracker
            .as_ref()
            .map_or_else(|| Err(status::not_configured()), call)
    }

    /// A call's result as Godot's code; a failure's message goes into `last_error` and
    /// to the debugger (as an error, or a warning for a flush that ran out of time).
    fn finish(&mut self, result: hamustro::Result<()>) -> GodotError {
        match result {
            Ok(()) => {
                self.last_error = GString::new();
                GodotError::OK
            }
            Err(error) => {
                let message = format!("Hamustro: {}", error.message());
                if error.kind() == ErrorKind::Timeout {
                    godot_warn!("{message}");
                } else {
                    godot_error!("{message}");
                }
                self.last_error = GString::from(error.message());
                status::code(&error)
            }
        }
    }

    /// Emits what the library logged and a new delivery failure, on the main thread.
    fn emit_queued(&mut self) {
        let (logged, dropped) = messages::take();
        if dropped > 0 {
            let note = format!("{dropped} log messages were dropped: more than a frame holds");
            self.signals()
                .log_message()
                .emit(Level::Warn as i64, &GString::from(&note));
        }
        for (level, message) in logged {
            self.signals()
                .log_message()
                .emit(level as i64, &GString::from(&message));
        }
        self.report_delivery_failure();
    }

    /// Emits `delivery_failed` when the count of failed attempts in a row has grown
    /// since the last frame (a success resets it). Reads atomics and one short lock.
    fn report_delivery_failure(&mut self) {
        let Some(stats) = self.tracker.as_ref().and_then(|t| t.stats().ok()) else {
            return;
        };
        let failures = stats.consecutive_failures;
        if failures <= self.reported_failures {
            self.reported_failures = failures;
            return;
        }
        self.reported_failures = failures;
        if let Some(error) = stats.last_error {
            let code = i64::from(status::code(&error).ord());
            self.signals().delivery_failed().emit(
                code,
                &GString::from(error.message()),
                i64::from(failures),
            );
        }
    }

    /// A flush of at most `flush_timeout`, whose failure is not reported: the app is
    /// leaving, the events stay queued, and `get_stats()` says what happened.
    fn bounded_flush(&mut self) {
        if let (Some(tracker), Ok(timeout)) = (
            self.tracker.as_ref(),
            Duration::try_from_secs_f64(self.flush_timeout),
        ) {
            let _ = tracker.flush(timeout);
        }
    }
}
