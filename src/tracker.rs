//! The tracker: what the C API's handle stands for. Tracking stores the event durably
//! on the caller's thread and returns; delivery happens on the worker thread.

use std::collections::HashMap;
use std::fs::{DirBuilder, File, OpenOptions};
use std::os::unix::fs::{DirBuilderExt as _, OpenOptionsExt as _};
use std::path::{Path, PathBuf};
use std::sync::atomic::{AtomicBool, AtomicU64, Ordering};
use std::sync::{Arc, Condvar, Mutex, RwLock};
use std::thread::JoinHandle;
use std::time::{Duration, Instant};

use prost::Message as _;

use crate::config::TrackerConfig;
use crate::context::{now_epoch_seconds, DeviceContext};
use crate::error::{Error, ErrorKind, Result};
use crate::journal::Journal;
use crate::log::{log, Level};
use crate::sender::{short_session, Sender, RESERVED_HEADERS};
use crate::session::{collection_header, hash_user_id};
use crate::store::{GlobalParameters, Store, User};
use crate::wire::{Parameter, Payload};
use crate::worker::{self, Control, Shared, PERSIST_BATCH, PERSIST_DELAY};

/// The longest event name accepted, in bytes.
pub const MAX_EVENT_NAME_BYTES: usize = 1024;
/// The largest encoded event accepted (name, parameters and context), in bytes.
pub const MAX_EVENT_BYTES: usize = 256 * 1024;

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

pub struct Tracker {
    shared: Arc<Shared>,
    profile_id: i64,
    session: String,
    retention_seconds: u64,
    queue_size: u64,
    user_id_salt: Option<String>,
    context: DeviceContext,
    user: RwLock<User>,
    global_parameters: RwLock<GlobalParameters>,
    worker: Mutex<Option<JoinHandle<()>>>,
    /// Held while the tracker lives: one tracker per database file, in any process.
    _lock: File,
}

impl Tracker {
    /// Opens the queue, loads what an earlier run left (unsent events, counters, user,
    /// last sync time, opt-out, global parameters) and starts the delivery thread.
    pub fn new(config: TrackerConfig) -> Result<Tracker> {
        config.validate()?;
        let path = match &config.database_path {
            Some(path) => path.clone(),
            None => default_database_path(&config.client_id),
        };
        let lock = lock_database(&path)?;
        let (store, moved_aside) = Store::open(&path)?;
        if let Some(aside) = moved_aside {
            log(Level::Error, || {
                format!(
                    "the queue database {} was damaged; it was moved to {} and a new one started",
                    path.display(),
                    aside.display()
                )
            });
        }
        let header = collection_header(&config);
        let mut store = store;
        let profile_id = store.profile_id(&header)?;
        let journal =
            recover_journal(&mut store, &path, &header.session, config.max_queued_events)?;
        let user = store.user()?;
        let enabled = store.enabled()?;
        let global_parameters = store.global_parameters()?;
        let queued = store.queued();

        let retention_seconds = u64::from(config.queue_retention_minutes) * 60;
        let queue_size = u64::from(config.queue_size);
        let last_sync = store.last_sync()?.unwrap_or(0);
        let control = Control {
            // Whatever an earlier run left unsent goes out as soon as a trigger holds.
            draining: enabled
                && queued > 0
                && should_send(last_sync, queued, queue_size, retention_seconds),
            ..Control::default()
        };

        let shared = Arc::new(Shared {
            store_queued: store.queued_counter(),
            store: Mutex::new(store),
            journal: Mutex::new(journal),
            persisting: Mutex::new(None),
            max_queued_events: config.max_queued_events,
            profile_id,
            control: Mutex::new(control),
            wake: Condvar::new(),
            progress: Condvar::new(),
            sender: Sender::new(&config),
            headers: RwLock::new(Vec::new()),
            enabled: AtomicBool::new(enabled),
            last_sync: AtomicU64::new(last_sync),
            tracked: AtomicU64::new(0),
        });
        let worker = {
            let shared = Arc::clone(&shared);
            std::thread::Builder::new()
                .name("hamustro-delivery".into())
                .spawn(move || worker::run(shared))
                .map_err(|e| Error::internal(format!("cannot start the delivery thread: {e}")))?
        };
        log(Level::Info, || {
            format!(
                "tracker started for session {} with {queued} events queued in {}{}",
                short_session(&header.session),
                path.display(),
                if enabled { "" } else { " (tracking disabled)" }
            )
        });
        Ok(Tracker {
            shared,
            profile_id,
            session: header.session,
            retention_seconds,
            queue_size,
            user_id_salt: config.user_id_salt.clone(),
            context: DeviceContext::new(config.ip.clone(), config.country.clone()),
            user: RwLock::new(user),
            global_parameters: RwLock::new(global_parameters),
            worker: Mutex::new(Some(worker)),
            _lock: lock,
        })
    }

    /// The session this tracker's events are sent as.
    pub fn session(&self) -> &str {
        &self.session
    }

    /// Stores one event. When this returns `Ok` the event is committed to the queue
    /// and survives the process being killed. Parameters with the same name: the last
    /// one wins; an event's own parameters win over global ones. While tracking is
    /// disabled this stores nothing and returns `Ok`.
    pub fn track_event<K, V>(&self, event: &str, parameters: &[(K, V)]) -> Result<()>
    where
        K: AsRef<str>,
        V: AsRef<str>,
    {
        self.check_open()?;
        check_event_name(event)?;
        if !self.shared.enabled.load(Ordering::SeqCst) {
            return Ok(());
        }
        let at = now_epoch_seconds();
        let user = self.user.read().unwrap_or_else(|e| e.into_inner()).clone();
        let parameters = {
            let globals = self
                .global_parameters
                .read()
                .unwrap_or_else(|e| e.into_inner());
            let globals = globals.iter().map(|p| (p.name.as_str(), p.value.as_str()));
            let own = parameters.iter().map(|(k, v)| (k.as_ref(), v.as_ref()));
            unique_parameters(globals.chain(own))?
        };
        let mut payload = Payload {
            at,
            event: event.to_string(),
            // The journal assigns the number when it appends; the largest one stands
            // in for it here so that the size check is never too lenient.
            nr: u32::MAX,
            timezone: self.context.timezone(at),
            tenant_id: user.tenant_id,
            user_id: user.user_id,
            ip: self.context.ip(),
            country: self.context.country(),
            parameters,
        };
        let size = payload.encoded_len();
        if size > MAX_EVENT_BYTES {
            return Err(Error::invalid(format!(
                "event {event:?} is {size} bytes encoded; the limit is {MAX_EVENT_BYTES}"
            )));
        }
        let (appended, pending) = {
            let mut journal = self.shared.lock_journal();
            let nr = journal.append(self.profile_id, |nr| {
                payload.nr = nr;
                payload.encode_to_vec()
            });
            (nr, journal.pending())
        };
        appended.inspect_err(|error| log(Level::Error, || error.to_string()))?;
        self.shared.tracked.fetch_add(1, Ordering::SeqCst);
        // Decide without a lock on the common path: only a due persist or a trigger
        // needs the worker.
        let queued = self.shared.store_queued.load(Ordering::Relaxed) + pending as u64;
        let persist_due = pending == 1 || pending >= PERSIST_BATCH;
        let trigger = should_send(
            self.shared.last_sync.load(Ordering::SeqCst),
            queued,
            self.queue_size,
            self.retention_seconds,
        );
        if persist_due || trigger {
            let mut control = self.shared.lock_control();
            let mut wake = false;
            if persist_due {
                let due = Instant::now()
                    + if pending == 1 {
                        PERSIST_DELAY
                    } else {
                        Duration::ZERO
                    };
                control.persist_at = Some(control.persist_at.map_or(due, |at| at.min(due)));
                wake = true;
            }
            if trigger && !control.draining {
                control.draining = true;
                wake = true;
            }
            if wake {
                self.shared.wake.notify_one();
            }
        }
        Ok(())
    }

    /// Persists the user that later events are attributed to; `None` clears a field.
    /// With a salt configured, the user id is replaced by its salted hash first.
    pub fn set_user(&self, tenant_id: Option<&str>, user_id: Option<&str>) -> Result<()> {
        self.check_open()?;
        let user_id = match (&self.user_id_salt, user_id) {
            (Some(salt), Some(id)) => Some(hash_user_id(id, salt)),
            (_, id) => id.map(str::to_string),
        };
        let user = User {
            tenant_id: tenant_id.map(str::to_string),
            user_id,
        };
        let mut current = self.user.write().unwrap_or_else(|e| e.into_inner());
        self.shared.lock_store().set_user(&user)?;
        *current = user;
        Ok(())
    }

    /// Replaces the extra headers sent with every request.
    pub fn set_headers<K, V>(&self, headers: &[(K, V)]) -> Result<()>
    where
        K: AsRef<str>,
        V: AsRef<str>,
    {
        self.check_open()?;
        let mut checked = Vec::with_capacity(headers.len());
        for (name, value) in headers {
            let (name, value) = (name.as_ref(), value.as_ref());
            check_header(name, value)?;
            checked.push((name.to_string(), value.to_string()));
        }
        *self
            .shared
            .headers
            .write()
            .unwrap_or_else(|e| e.into_inner()) = checked;
        Ok(())
    }

    /// Sets (or with `None` removes) a parameter added to every later event; persisted.
    pub fn set_global_parameter(&self, name: &str, value: Option<&str>) -> Result<()> {
        self.check_open()?;
        if name.is_empty() {
            return Err(Error::invalid("parameter name must not be empty"));
        }
        let mut globals = self
            .global_parameters
            .write()
            .unwrap_or_else(|e| e.into_inner());
        let mut updated = globals.clone();
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
        self.shared.lock_store().set_global_parameters(&updated)?;
        *globals = updated;
        Ok(())
    }

    /// Removes every global parameter.
    pub fn clear_global_parameters(&self) -> Result<()> {
        self.check_open()?;
        let mut globals = self
            .global_parameters
            .write()
            .unwrap_or_else(|e| e.into_inner());
        self.shared.lock_store().set_global_parameters(&[])?;
        globals.clear();
        Ok(())
    }

    /// Switches tracking on or off, persistently. While off, `track_event` stores
    /// nothing and nothing is sent; queued events are kept (see `discard_queued`).
    pub fn set_enabled(&self, enabled: bool) -> Result<()> {
        self.check_open()?;
        self.shared.lock_store().set_enabled(enabled)?;
        self.shared.enabled.store(enabled, Ordering::SeqCst);
        log(Level::Info, || {
            format!("tracking {}", if enabled { "enabled" } else { "disabled" })
        });
        if enabled {
            let queued = self.shared.queued();
            let last_sync = self.shared.last_sync.load(Ordering::SeqCst);
            let mut control = self.shared.lock_control();
            if queued > 0 && should_send(last_sync, queued, self.queue_size, self.retention_seconds)
            {
                control.draining = true;
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
        self.check_open()?;
        // Holding `persisting` keeps the worker from moving records meanwhile.
        let mut persisting = self.shared.lock_persisting();
        let mut discarded = persisting
            .take()
            .filter(|taken| !taken.stored)
            .map_or(0, |taken| taken.records.len()) as u64;
        {
            let mut journal = self.shared.lock_journal();
            discarded += journal.pending() as u64;
            journal.clear()?;
        }
        discarded += self.shared.lock_store().discard_all()?;
        drop(persisting);
        log(Level::Info, || {
            format!("discarded {discarded} queued events")
        });
        Ok(discarded)
    }

    /// Delivers everything queued before the call, ignoring any backoff. Returns the
    /// delivery error as soon as an attempt fails, or a timeout error when `timeout`
    /// passes first; either way the events stay queued and delivery goes on in the
    /// background.
    pub fn flush(&self, timeout: Duration) -> Result<()> {
        let deadline = Instant::now() + timeout;
        let mut control = self.shared.lock_control();
        if control.shutdown {
            return Err(closed());
        }
        if !self.enabled() {
            return Err(Error::new(
                ErrorKind::Disabled,
                "tracking is disabled: queued events are kept but not sent",
            ));
        }
        control.flush_requested += 1;
        let ticket = control.flush_requested;
        self.shared.wake.notify_one();
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
                        self.shared.queued()
                    ),
                ));
            }
            control = self
                .shared
                .progress
                .wait_timeout(control, deadline - now)
                .unwrap_or_else(|e| e.into_inner())
                .0;
        }
    }

    /// Stops the delivery thread. Waits for a request in progress (at most the request
    /// timeout); queued events stay on disk for the next start. Idempotent.
    pub fn close(&self) {
        {
            let mut control = self.shared.lock_control();
            control.shutdown = true;
            self.shared.wake.notify_all();
            self.shared.progress.notify_all();
        }
        let worker = self.worker.lock().unwrap_or_else(|e| e.into_inner()).take();
        if let Some(worker) = worker {
            let _ = worker.join();
            log(Level::Info, || {
                format!(
                    "tracker for session {} closed",
                    short_session(&self.session)
                )
            });
        }
    }

    /// Events stored and not yet accepted by the collector.
    pub fn queued(&self) -> u64 {
        self.shared.queued()
    }

    /// The message of the last failed delivery attempt, if any.
    pub fn last_error(&self) -> Option<Error> {
        self.shared.lock_control().last_error.clone()
    }

    pub fn stats(&self) -> Result<Stats> {
        let (queued, delivered, dropped) = {
            let store = self.shared.lock_store();
            (
                store.queued(),
                store.delivered_total()?,
                store.dropped_total()?,
            )
        };
        let control = self.shared.lock_control();
        Ok(Stats {
            queued,
            in_flight: control.in_flight,
            delivered,
            dropped,
            last_sync: Some(self.shared.last_sync.load(Ordering::SeqCst)).filter(|&t| t > 0),
            last_error: control.last_error.clone(),
            consecutive_failures: control.consecutive_failures,
            next_retry_in: control
                .retry_at
                .filter(|_| control.draining && self.enabled())
                .map(|at| at.saturating_duration_since(Instant::now())),
            enabled: self.enabled(),
        })
    }

    pub fn database_path(&self) -> PathBuf {
        self.shared.lock_store().path().to_path_buf()
    }

    fn check_open(&self) -> Result<()> {
        if self.shared.lock_control().shutdown {
            return Err(closed());
        }
        Ok(())
    }
}

impl Drop for Tracker {
    fn drop(&mut self) {
        self.close();
    }
}

fn closed() -> Error {
    Error::new(ErrorKind::InvalidHandle, "the tracker is closed")
}

/// The spec's triggers: enough queued events, or the last sync (epoch seconds, 0 for
/// never) too long ago.
fn should_send(last_sync: u64, queued: u64, queue_size: u64, retention_seconds: u64) -> bool {
    queued >= queue_size
        || last_sync == 0
        || now_epoch_seconds().saturating_sub(last_sync) >= retention_seconds
}

fn check_event_name(event: &str) -> Result<()> {
    if event.is_empty() {
        return Err(Error::invalid("event name must not be empty"));
    }
    if event.len() > MAX_EVENT_NAME_BYTES {
        return Err(Error::invalid(format!(
            "event name is {} bytes; the limit is {MAX_EVENT_NAME_BYTES}",
            event.len()
        )));
    }
    Ok(())
}

/// Parameters in order, a repeated name keeping its first position and last value.
fn unique_parameters<'a>(
    parameters: impl Iterator<Item = (&'a str, &'a str)>,
) -> Result<Vec<Parameter>> {
    let mut out: Vec<Parameter> = Vec::new();
    let mut index: HashMap<&str, usize> = HashMap::new();
    for (name, value) in parameters {
        if name.is_empty() {
            return Err(Error::invalid("parameter name must not be empty"));
        }
        match index.get(name) {
            Some(&at) => out[at].value = value.to_string(),
            None => {
                index.insert(name, out.len());
                out.push(Parameter {
                    name: name.to_string(),
                    value: value.to_string(),
                });
            }
        }
    }
    Ok(out)
}

fn check_header(name: &str, value: &str) -> Result<()> {
    let token = |c: u8| c.is_ascii_alphanumeric() || b"!#$%&'*+-.^_`|~".contains(&c);
    if name.is_empty() || !name.bytes().all(token) {
        return Err(Error::invalid(format!(
            "header name {name:?} is not a valid HTTP header name"
        )));
    }
    if RESERVED_HEADERS.contains(&name.to_ascii_lowercase().as_str()) {
        return Err(Error::invalid(format!(
            "header {name} is set by the library and cannot be replaced"
        )));
    }
    if value.bytes().any(|c| (c < 0x20 && c != b'\t') || c == 0x7f) {
        return Err(Error::invalid(format!(
            "the value of header {name} contains a control character"
        )));
    }
    Ok(())
}

/// Moves what a killed process left in the journal into the store, empties the
/// journal, and sets it to number this session's events after the last stored one.
fn recover_journal(
    store: &mut Store,
    path: &Path,
    session: &str,
    max_queued_events: u64,
) -> Result<Journal> {
    let (mut journal, left) = Journal::open(path)?;
    if !left.is_empty() {
        let inserted = store.insert(&left, max_queued_events)?;
        log(Level::Info, || {
            format!(
                "recovered {} events from the journal of an earlier run",
                inserted.stored
            )
        });
    }
    journal.clear()?;
    journal.start(session, store.last_nr(session)?);
    Ok(journal)
}

/// Takes the database's companion lock file, failing at once when another tracker,
/// in this process or another, holds it: two trackers numbering events in one file
/// would break the gap-free `nr`.
fn lock_database(path: &Path) -> Result<File> {
    if let Some(parent) = path.parent().filter(|p| !p.as_os_str().is_empty()) {
        DirBuilder::new()
            .recursive(true)
            .mode(0o700)
            .create(parent)
            .map_err(|e| {
                Error::storage(
                    &format!("cannot create the directory {}", parent.display()),
                    e,
                )
            })?;
    }
    let mut lock_path = path.as_os_str().to_owned();
    lock_path.push(".lock");
    let file = OpenOptions::new()
        .create(true)
        .truncate(false)
        .write(true)
        .mode(0o600)
        .open(&lock_path)
        .map_err(|e| {
            Error::storage(
                &format!(
                    "cannot open the lock file {}",
                    Path::new(&lock_path).display()
                ),
                e,
            )
        })?;
    file.try_lock().map_err(|_| {
        Error::new(
            ErrorKind::Storage,
            format!(
                "the queue database {} is in use by another tracker",
                path.display()
            ),
        )
    })?;
    Ok(file)
}

/// The per-user data directory of the platform, with one file per client id.
pub fn default_database_path(client_id: &str) -> PathBuf {
    let home = std::env::var_os("HOME").map(PathBuf::from);
    let base = if cfg!(target_vendor = "apple") {
        home.map(|h| h.join("Library").join("Application Support"))
    } else {
        std::env::var_os("XDG_DATA_HOME")
            .map(PathBuf::from)
            .filter(|p| p.is_absolute())
            .or_else(|| home.map(|h| h.join(".local").join("share")))
    };
    let file: String = client_id
        .chars()
        .map(|c| {
            if c.is_ascii_alphanumeric() || c == '-' || c == '_' {
                c
            } else {
                '_'
            }
        })
        .collect();
    base.unwrap_or_else(std::env::temp_dir)
        .join("hamustro")
        .join(format!("{file}.sqlite3"))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn repeated_parameter_names_keep_the_last_value_in_first_position() {
        let params = unique_parameters([("a", "1"), ("b", "2"), ("a", "3")].into_iter()).unwrap();
        let pairs: Vec<_> = params
            .iter()
            .map(|p| (p.name.as_str(), p.value.as_str()))
            .collect();
        assert_eq!(pairs, [("a", "3"), ("b", "2")]);
    }

    #[test]
    fn header_rules() {
        assert!(check_header("X-Api-Key", "k v").is_ok());
        assert!(check_header("X Bad", "v").is_err());
        assert!(check_header("X-Ok", "line\r\nInjected: 1").is_err());
        assert!(check_header("x-hamustro-signature", "forged").is_err());
    }

    #[test]
    fn default_path_is_per_client_and_file_safe() {
        let path = default_database_path("my app/1");
        assert!(
            path.ends_with("hamustro/my_app_1.sqlite3"),
            "{}",
            path.display()
        );
    }
}
