//! The tracker: what the C API's handle stands for. Tracking stores the event durably
//! on the caller's thread and returns; delivery happens on the worker thread.

use std::path::{Path, PathBuf};
use std::sync::atomic::Ordering;
use std::sync::{Arc, Mutex, PoisonError, RwLock};
use std::time::Duration;

use crate::clock::now_epoch_seconds;
use crate::config::TrackerConfig;
use crate::context::DeviceContext;
use crate::error::{Error, ErrorKind, Result};
use crate::files::DatabaseLock;
use crate::journal::{Frame, PayloadRef, NUMBERING_HEADROOM};
use crate::log::{log, Level};
use crate::platform;
use crate::quiet_panics;
use crate::sender::Sender;
use crate::store::{GlobalParameters, Store, User};
use crate::wire::session::short_session;
use crate::worker::{self, Parts, Shared};

mod control;
mod identity;
mod input;
mod location;
mod recovery;

pub use crate::worker::Stats;

pub use identity::hash_user_id;
use identity::{collection_header, with_detected};
use input::{check_event_name, check_headers, check_settings, unique_parameters};
pub use input::{MAX_EVENT_BYTES, MAX_EVENT_NAME_BYTES, MAX_HEADERS_BYTES, MAX_SETTINGS_BYTES};
#[cfg(feature = "internals")]
pub use location::default_database_path;
use location::Refused;
pub use location::{
    database_path_in, default_database_directory, legacy_database_path, use_legacy,
};
use recovery::{load_settings, recover_journal};

/// Tracks events and delivers them, signed, to a Hamustro collector.
///
/// [`track_event`](Tracker::track_event) stores the event durably in the queue (a
/// SQLite database and its journal) on the calling thread and returns; a delivery
/// thread of the tracker's own sends the queue in batches and retries with backoff
/// until the collector accepts it, across restarts. Every method takes `&self` and may
/// be called from any thread at once: share a tracker with an `Arc`. Dropping it (or
/// [`close`](Tracker::close)) stops the delivery thread and keeps what is unsent
/// for the next run. See the crate's documentation for an example.
pub struct Tracker {
    shared: Arc<Shared>,
    /// The process generation it was created in (see `platform::fork_generation`):
    /// in a forked child the tracker refuses every call and touches nothing.
    fork_generation: u64,
    database_path: PathBuf,
    profile_id: i64,
    session: String,
    user_id_salt: Option<String>,
    context: DeviceContext,
    user: RwLock<User>,
    global_parameters: RwLock<GlobalParameters>,
    /// Serialises the setters of persisted state (user, global parameters), so the
    /// order they reach the store is the order they take effect.
    settings_writer: Mutex<()>,
    worker: Mutex<Option<platform::OwnThread>>,
}

impl Tracker {
    /// Opens the queue, loads what an earlier run left (unsent events, counters, user,
    /// last sync time, opt-out, global parameters) and starts the delivery thread.
    /// Without a `database_path`, the queue has the client id's own name in the
    /// `database_directory` (or the default one), and a queue that an earlier version
    /// kept there under the shared name of its time (`location.rs`) is used while it
    /// is this app's.
    pub fn new(config: TrackerConfig) -> Result<Tracker> {
        quiet_panics::install();
        let fork_generation = platform::fork_generation();
        let config = with_detected(config);
        config.validate()?;
        if let Some(path) = &config.database_path {
            return Tracker::open(&config, path, fork_generation).map_err(Refused::error);
        }
        let directory = config
            .database_directory
            .clone()
            .unwrap_or_else(default_database_directory);
        let path = database_path_in(&directory, &config.client_id);
        let legacy = legacy_database_path(&directory, &config.client_id);
        if use_legacy(&path, &legacy) {
            match Tracker::open(&config, &legacy, fork_generation) {
                // Another app's queue under the name they shared: start this app's own.
                Err(Refused::OtherClient(_)) => {}
                opened => return opened.map_err(Refused::error),
            }
        }
        Tracker::open(&config, &path, fork_generation).map_err(Refused::error)
    }

    fn open(
        config: &TrackerConfig,
        path: &Path,
        fork_generation: u64,
    ) -> std::result::Result<Tracker, Refused> {
        let mut lock = DatabaseLock::acquire(path)?;
        // One spelling for the files beside the database (journal, WAL), whatever
        // name the app reached it by.
        let path = platform::canonical_path(path);
        // Before SQLite or the journal opens any of them (see `files::held`).
        lock.hold_companions(&path)?;
        let (mut store, moved_aside) = Store::open(&path)?;
        if let Some(aside) = moved_aside {
            // The locks are on the files that were moved aside: take the new ones'.
            lock = DatabaseLock::acquire(&path)?;
            lock.hold_companions(&path)?;
            log(Level::Error, || {
                format!(
                    "the queue database {} was damaged; it was moved to {} and a new one started",
                    path.display(),
                    aside.display()
                )
            });
        }
        location::check_owner(&store, &config.client_id, &path)?;
        let header = collection_header(config);
        let profile_id = store.profile_id(&header)?;
        let journal =
            recover_journal(&mut store, &path, &header.session, config.max_queued_events)?;
        // SQLite and the journal created what was missing: hold those too.
        lock.hold_companions(&path)?;
        let (user, global_parameters) = load_settings(&mut store)?;
        let enabled = store.enabled()?;
        let queued = store.queued();
        // After recovery every unsent event is in the store.
        store.counters().unsent.store(queued, Ordering::Relaxed);

        let last_sync = store.last_sync()?.unwrap_or(0);
        let shared = Arc::new(Shared::new(Parts {
            store,
            journal,
            database_lock: lock,
            sender: Sender::new(config)?,
            max_queued_events: config.max_queued_events,
            queue_size: u64::from(config.queue_size),
            retention_seconds: u64::from(config.queue_retention_minutes) * 60,
            profile_id,
            enabled,
            last_sync,
        }));
        let worker = {
            let shared = Arc::clone(&shared);
            // Not std::thread: see platform::OwnThread (a forked child's thread start).
            platform::OwnThread::spawn("hamustro-delivery", move || worker::run(&shared))
                .map_err(|e| Error::out_of_resources("cannot start the delivery thread", e))?
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
            fork_generation,
            database_path: path,
            profile_id,
            session: header.session,
            user_id_salt: config.user_id_salt.clone(),
            context: DeviceContext::new(config.ip.clone(), config.country.clone()),
            user: RwLock::new(user),
            global_parameters: RwLock::new(global_parameters),
            settings_writer: Mutex::new(()),
            worker: Mutex::new(Some(worker)),
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
        self.check_usable()?;
        check_event_name(event)?;
        if !self.shared.enabled() {
            return Ok(());
        }
        let at = now_epoch_seconds();
        let timezone = self.context.timezone(at);
        let ip = self.context.ip(at);
        let country = self.context.country();
        let frame = {
            // Read-locked only while the record is encoded from them (the user's
            // strings are not copied for it); writers hold neither while taking the
            // other.
            let user = self.user.read().unwrap_or_else(PoisonError::into_inner);
            let globals = self
                .global_parameters
                .read()
                .unwrap_or_else(PoisonError::into_inner);
            let globals = globals.iter().map(|p| (p.name.as_str(), p.value.as_str()));
            let own = parameters.iter().map(|(k, v)| (k.as_ref(), v.as_ref()));
            let parameters = unique_parameters(globals.chain(own))?;
            let payload = PayloadRef {
                at,
                event,
                // The journal numbers the event when it appends (the number travels in
                // its record and the store's `nr` column).
                nr: 0,
                timezone: timezone.as_deref(),
                tenant_id: user.tenant_id.as_deref(),
                user_id: user.user_id.as_deref(),
                ip: ip.as_deref(),
                country,
                parameters: &parameters,
            };
            let encoded_len = payload.encoded_len();
            let size = encoded_len + NUMBERING_HEADROOM;
            if size > MAX_EVENT_BYTES {
                return Err(Error::invalid(format!(
                    "event {event:?} is {size} bytes encoded; the limit is {MAX_EVENT_BYTES}"
                )));
            }
            // Everything but numbering and writing happens before the journal's lock.
            Frame::of(self.profile_id, &self.session, &payload, encoded_len)
        };
        self.shared.track(frame).inspect_err(|error| {
            if error.kind() != ErrorKind::InvalidHandle {
                log(Level::Error, || error.to_string());
            }
        })
    }

    /// Persists the user that later events are attributed to; `None` clears a field.
    /// With a salt configured, the user id is replaced by its salted hash first.
    pub fn set_user(&self, tenant_id: Option<&str>, user_id: Option<&str>) -> Result<()> {
        self.check_usable()?;
        let user_id = match (&self.user_id_salt, user_id) {
            (Some(salt), Some(id)) => Some(hash_user_id(id, salt)),
            (_, id) => id.map(str::to_string),
        };
        let user = User {
            tenant_id: tenant_id.map(str::to_string),
            user_id,
        };
        // Store first, then swap in: tracking threads only ever wait for the swap,
        // never for the store (which a foreign lock can hold for seconds).
        let _writer = self.lock_settings_writer();
        check_settings(
            &user,
            &self
                .global_parameters
                .read()
                .unwrap_or_else(PoisonError::into_inner),
        )?;
        self.shared.with_store(|store| store.set_user(&user))?;
        *self.user.write().unwrap_or_else(PoisonError::into_inner) = user;
        Ok(())
    }

    /// Replaces the extra headers sent with every request.
    pub fn set_headers<K, V>(&self, headers: &[(K, V)]) -> Result<()>
    where
        K: AsRef<str>,
        V: AsRef<str>,
    {
        self.check_usable()?;
        let checked = check_headers(headers)?;
        self.shared.set_headers(checked);
        Ok(())
    }

    /// Delivers everything queued before the call, ignoring any backoff. Returns the
    /// delivery error as soon as an attempt fails, or a timeout error when `timeout`
    /// passes first; either way the events stay queued and delivery goes on in the
    /// background.
    pub fn flush(&self, timeout: Duration) -> Result<()> {
        self.check_usable()?;
        self.shared.flush(timeout)
    }

    /// Stops the delivery thread and closes the tracker's files (the database, its
    /// journal and its lock), so that when this returns a new tracker can open the
    /// database at once. Waits for a request in progress (at most the request
    /// timeout); queued events stay on disk for the next start. Idempotent. Called on
    /// the delivery thread itself (from a log callback) it closes the files at once
    /// and the thread ends when the callback returns. In a forked child it does
    /// nothing: the tracker's thread and files are the parent's.
    pub fn close(&self) {
        if self.forked() {
            return;
        }
        self.shared.shut_down();
        let worker = self
            .worker
            .lock()
            .unwrap_or_else(PoisonError::into_inner)
            .take();
        if self.shared.on_delivery_thread() {
            // Inside a log callback on the delivery thread, which cannot join itself:
            // finish here, and the thread ends when the callback returns.
            worker::finish(&self.shared);
            return;
        }
        if let Some(worker) = worker {
            worker.join();
            // The worker finishes as it ends; this covers one that ended otherwise.
            worker::finish(&self.shared);
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
        self.shared.last_error()
    }

    /// The queue database's path, with symlinks and `..` resolved.
    pub fn database_path(&self) -> PathBuf {
        self.database_path.clone()
    }

    fn lock_settings_writer(&self) -> std::sync::MutexGuard<'_, ()> {
        self.settings_writer
            .lock()
            .unwrap_or_else(PoisonError::into_inner)
    }

    /// Refuses a call on a closed tracker, or on a tracker inherited through fork,
    /// before any lock is taken (in a forked child a lock may be held forever by a
    /// thread that exists only in the parent).
    pub(crate) fn check_usable(&self) -> Result<()> {
        if self.forked() {
            return Err(Error::new(
                ErrorKind::InvalidHandle,
                "this tracker was created by the parent of this forked process and \
                 belongs to it: create a new tracker in the child, on another database",
            ));
        }
        if self.shared.is_closed() {
            return Err(Error::closed());
        }
        Ok(())
    }

    fn forked(&self) -> bool {
        platform::fork_generation() != self.fork_generation
    }
}

impl Drop for Tracker {
    fn drop(&mut self) {
        if self.forked() {
            // Closing the parent's SQLite connection here could checkpoint and
            // delete the WAL it is using: keep every inherited resource as it is.
            std::mem::forget(Arc::clone(&self.shared));
            if let Some(worker) = self
                .worker
                .lock()
                .unwrap_or_else(PoisonError::into_inner)
                .take()
            {
                std::mem::forget(worker);
            }
            return;
        }
        self.close();
    }
}
