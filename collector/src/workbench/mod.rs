//! The development collector's server (feature `server`): the track endpoint, validated
//! like the genuine collector and open to injected faults, plus a live web page and a
//! test API on the same port.
//!
//! axum on tokio serves the page, the API and the server-sent events (`api.rs`); our
//! own accept loop hands each connection to hyper (`listener.rs`), so that a fault can
//! drop one connection or close the port for a while, which a framework will not do on
//! purpose. State lives in one `Store` behind a mutex; every change bumps a watch
//! channel (what `wait_for` waits on) and goes out on a broadcast channel (what the
//! page's stream reads).

mod api;
mod db;
pub mod faults;
mod health;
mod listener;
pub mod store;
mod track;

use std::io;
use std::net::{IpAddr, Ipv4Addr, SocketAddr};
use std::path::PathBuf;
use std::sync::{Arc, Mutex, MutexGuard, PoisonError};
use std::time::{Duration, Instant, SystemTime, UNIX_EPOCH};

use tokio::sync::{broadcast, watch, Notify};

use faults::{FaultSpec, Faults};
use store::{Event, Request, Store};

/// How to run the development collector.
pub struct Options {
    /// 127.0.0.1 unless `--listen` says otherwise.
    pub address: IpAddr,
    /// 0 picks a free port.
    pub port: u16,
    pub secret: String,
    /// How many events (and requests) stay in memory; older ones are forgotten.
    pub max_events: usize,
    /// SQLite file keeping every accepted event across restarts.
    pub db: Option<PathBuf>,
    /// The fault in force from the start.
    pub fault: Option<FaultSpec>,
    /// Called for each recorded request and its events (the binary prints them).
    pub output: Option<Output>,
}

impl Options {
    pub fn new(secret: &str) -> Options {
        Options {
            address: IpAddr::V4(Ipv4Addr::LOCALHOST),
            port: 0,
            secret: secret.to_owned(),
            max_events: 10_000,
            db: None,
            fault: None,
            output: None,
        }
    }
}

/// Called with each recorded request and the events it carried.
pub type Output = Box<dyn Fn(&Request, &[Event]) + Send + Sync>;

/// A running development collector; dropping it stops the server and frees the port.
pub struct Workbench {
    runtime: Option<tokio::runtime::Runtime>,
    address: SocketAddr,
}

impl Workbench {
    pub fn start(options: Options) -> io::Result<Workbench> {
        let store = Store::open(options.max_events, options.db.as_deref())
            .map_err(|e| io::Error::other(format!("--db {e}")))?;
        let runtime = tokio::runtime::Builder::new_multi_thread()
            .worker_threads(2)
            .thread_name("hamustro-collector")
            .enable_io()
            .enable_time()
            .build()?;
        let (refuse, _) = watch::channel(None);
        let app = Arc::new(App {
            secret: options.secret,
            store: Mutex::new(store),
            faults: Mutex::new(Faults::default()),
            changes: watch::channel(0).0,
            stream: broadcast::channel(1024).0,
            refuse,
            refusing: Notify::new(),
            listening: watch::channel(true).0,
            output: options.output,
        });
        let mut listening = app.listening.subscribe();
        if let Some(fault) = options.fault {
            app.set_fault(fault);
        }
        let listener = runtime.block_on(tokio::net::TcpListener::bind((
            options.address,
            options.port,
        )))?;
        let address = listener.local_addr()?;
        runtime.spawn(listener::serve(app.clone(), listener, api::router(app)));
        if options
            .fault
            .is_some_and(|fault| fault.refuse_seconds.is_some())
        {
            // Started refusing: return once the port is closed, as `POST /api/faults` does.
            runtime.block_on(async {
                let closed = listening.wait_for(|open| !open);
                let _ = tokio::time::timeout(Duration::from_secs(2), closed).await;
            });
        }
        Ok(Workbench {
            runtime: Some(runtime),
            address,
        })
    }

    /// The address it listens on.
    pub fn address(&self) -> SocketAddr {
        self.address
    }

    pub fn port(&self) -> u16 {
        self.address.port()
    }

    /// The base URL (the page; clients add `/api/v1/track`), on 127.0.0.1 when it
    /// listens on every interface.
    pub fn url(&self) -> String {
        let host = if self.address.ip().is_unspecified() {
            IpAddr::V4(Ipv4Addr::LOCALHOST)
        } else {
            self.address.ip()
        };
        format!("http://{}", SocketAddr::new(host, self.address.port()))
    }
}

impl Drop for Workbench {
    fn drop(&mut self) {
        // Drops every task, so the listener, the connections and the --db file are
        // closed when this returns (a restart on the same port or file follows at once).
        if let Some(runtime) = self.runtime.take() {
            runtime.shutdown_timeout(Duration::from_secs(2));
        }
    }
}

/// What the handlers share.
pub(crate) struct App {
    secret: String,
    store: Mutex<Store>,
    faults: Mutex<Faults>,
    /// Bumped on every change: what `GET /api/events?wait_for=` waits on.
    changes: watch::Sender<u64>,
    /// Every change as one server-sent event (kind, JSON data).
    stream: broadcast::Sender<(&'static str, Arc<str>)>,
    /// When to refuse connections until; the accept loop watches it.
    refuse: watch::Sender<Option<Instant>>,
    /// Woken when refusing starts: connections that served the track endpoint close.
    refusing: Notify,
    /// Whether the listener is open: false while refusing connections.
    listening: watch::Sender<bool>,
    output: Option<Output>,
}

impl App {
    /// Locks the store; a panicking handler must not poison every later request.
    fn store(&self) -> MutexGuard<'_, Store> {
        self.store.lock().unwrap_or_else(PoisonError::into_inner)
    }

    fn faults(&self) -> MutexGuard<'_, Faults> {
        self.faults.lock().unwrap_or_else(PoisonError::into_inner)
    }

    fn publish(&self, kind: &'static str, data: &impl serde::Serialize) {
        if let Ok(text) = serde_json::to_string(data) {
            // No subscriber (no page open) is fine.
            let _ = self.stream.send((kind, text.into()));
        }
    }

    fn changed(&self) {
        self.changes.send_modify(|version| *version += 1);
        // The counters go to open pages; without one, they are not worth computing.
        if self.stream.receiver_count() > 0 {
            let stats = self.store().stats(now_ms());
            self.publish("stats", &stats);
        }
    }

    /// Records a request and its events, tells the page and the waiters, and prints.
    fn record(&self, draft: store::Draft, collection: Option<&crate::wire::Collection>) {
        let (request, events) = self.store().record(draft, collection);
        self.publish("request", &request);
        for event in &events {
            self.publish("event", event);
        }
        if let Some(output) = &self.output {
            output(&request, &events);
        }
        self.changed();
    }

    fn set_fault(&self, fault: FaultSpec) {
        let refuse = self.faults().set(fault);
        if let Some(refuse) = refuse {
            self.refuse.send_replace(Some(Instant::now() + refuse));
        }
        self.publish_faults();
    }

    fn publish_faults(&self) {
        let state = self.faults().state();
        self.publish("faults", &state);
    }
}

/// Now, epoch milliseconds.
pub(crate) fn now_ms() -> u64 {
    SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .map_or(0, |d| d.as_millis() as u64)
}
