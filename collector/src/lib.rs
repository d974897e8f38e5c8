//! A test collector that answers `/api/v1/track` exactly like the genuine Hamustro
//! collector (a Go service; see /work/shared/PROTOCOL.md), records what it accepted and
//! can be scripted to fail: with a status, or the way networks fail (a late answer, a
//! connection dropped before or after storing, no answer at all; see `Reply`).
//!
//! A crate of the workspace, used by the integration tests (as `support::collector`),
//! the benchmark and the `hamustro-collector` binary (`src/main.rs`: the development
//! collector of the demo, the bindings' tests and the SDK archives). It decodes with its
//! own build of the wire schema (`wire`), never the library's code.
//!
//! Where the genuine collector and prost disagree, this crate does the extra work to be
//! as strict as Go: proto2 required fields are checked on the wire (prost fills in a
//! default when one is missing, Go rejects the message), and JSON is decoded by hand with
//! jsonpb's rules (both field name styles, unknown fields rejected, enums by exact name).

use std::collections::VecDeque;
use std::io;
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{Arc, Condvar, Mutex, MutexGuard, PoisonError};
use std::thread;
use std::time::{Duration, Instant};

use base64::Engine as _;
use md5::{Digest as _, Md5};
use sha2::Sha256;
use validate::{check, media_type};
use wire::{Collection, Payload};

mod http;
mod json;
mod protobuf;
mod validate;
#[cfg(feature = "server")]
pub mod workbench;

pub use validate::{Rejection, EMPTY_HINT, SIGNATURE_HINT};

/// The wire schema, `proto/hamustro.proto`, as this crate's own prost types.
pub mod wire {
    include!(concat!(env!("OUT_DIR"), "/hamustro.rs"));
}

use http::{Answer, Request as Incoming, Response, Server};

/// The only path the genuine collector serves.
pub const TRACK_PATH: &str = "/api/v1/track";

/// What the collector does with one request.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Reply {
    /// Answer this status without looking at the request; nothing is recorded.
    Status(u16),
    /// Like `Status`, with a `Retry-After: <secs>` header.
    StatusRetryAfter(u16, u64),
    /// Validate and answer like the genuine collector.
    Validate,
    /// Do what the inner reply does (accepted events are recorded at once), but send the
    /// answer only after this delay: a slow collector. Past the client's request timeout
    /// the client gives up on a request whose events the collector already has. A
    /// collector stopped meanwhile closes the connection instead of answering.
    Slow(Duration, Box<Reply>),
    /// Read the request, then close the connection without answering. Nothing is stored.
    ResetBeforeStore,
    /// Validate and record like `Validate`, then close the connection without answering:
    /// the collector has the events, the client never learns it (a lost reply).
    ResetAfterStore,
    /// Never answer; the connection stays open until the client gives up (or the
    /// collector stops). Nothing is stored.
    Hang,
}

impl Reply {
    /// `Validate`, answered after `delay`.
    pub fn slow(delay: Duration) -> Reply {
        Reply::Slow(delay, Box::new(Reply::Validate))
    }
}

/// One accepted request body.
#[derive(Clone, Debug, PartialEq)]
pub struct ReceivedCollection {
    pub collection: Collection,
    /// The media type the body was decoded as: `application/protobuf` or `application/json`.
    pub content_type: String,
    /// All request headers, names lowercased, in arrival order.
    pub headers: Vec<(String, String)>,
}

/// One event (payload) of an accepted collection, with its collection's attributes.
#[derive(Clone, Debug, PartialEq)]
pub struct ReceivedEvent {
    pub session: String,
    pub nr: u32,
    pub at: u64,
    pub event: String,
    pub params: Vec<(String, String)>,
    pub tenant_id: Option<String>,
    pub user_id: Option<String>,
    pub timezone: Option<String>,
    /// As sent; the genuine collector would fill in the peer address when empty.
    pub ip: Option<String>,
    pub country: Option<String>,
    /// The collection this event came in, without its payloads.
    pub collection_header: Collection,
}

impl ReceivedEvent {
    /// `header` is the collection without its payloads, made once per collection:
    /// cloning the whole collection per event would be quadratic in its size.
    fn new(collection: &Collection, header: &Collection, payload: &Payload) -> ReceivedEvent {
        let collection_header = header.clone();
        ReceivedEvent {
            session: collection.session.clone(),
            nr: payload.nr,
            at: payload.at,
            event: payload.event.clone(),
            params: payload
                .parameters
                .iter()
                .map(|p| (p.name.clone(), p.value.clone()))
                .collect(),
            tenant_id: payload.tenant_id.clone(),
            user_id: payload.user_id.clone(),
            timezone: payload.timezone.clone(),
            ip: payload.ip.clone(),
            country: payload.country.clone(),
            collection_header,
        }
    }

    /// The value of the first parameter called `name`.
    pub fn param(&self, name: &str) -> Option<&str> {
        self.params
            .iter()
            .find(|(n, _)| n == name)
            .map(|(_, v)| v.as_str())
    }
}

/// The collection's attributes without its payloads, copied field by field so the
/// payloads are never cloned.
fn header_of(c: &Collection) -> Collection {
    Collection {
        device_id: c.device_id.clone(),
        client_id: c.client_id.clone(),
        session: c.session.clone(),
        system_version: c.system_version.clone(),
        product_version: c.product_version.clone(),
        env: c.env,
        device_make: c.device_make.clone(),
        device_model: c.device_model.clone(),
        system: c.system.clone(),
        system_language: c.system_language.clone(),
        browser: c.browser.clone(),
        browser_version: c.browser_version.clone(),
        product_git_hash: c.product_git_hash.clone(),
        product_language: c.product_language.clone(),
        payloads: Vec::new(),
    }
}

/// One request, whatever it was answered.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct RequestRecord {
    pub method: String,
    /// The path without the query string.
    pub path: String,
    /// The raw `Content-Type` header, if any.
    pub content_type: Option<String>,
    /// All request headers, names lowercased, in arrival order.
    pub headers: Vec<(String, String)>,
    pub body_len: usize,
    /// The status decided on; 0 when none was (`Reply::ResetBeforeStore`, `Reply::Hang`).
    pub status: u16,
    /// Why validation rejected the request (`None` when accepted or scripted).
    pub error: Option<String>,
    /// What to fix in the client, beside `error` (see `Rejection::hint`).
    pub hint: Option<String>,
    /// The outcome came from the script (`Reply::Status*`, `ResetBeforeStore`, `Hang`),
    /// not from validation.
    pub scripted: bool,
    /// When the request had been read completely.
    pub at: Instant,
    /// How long the answer was held back (`Reply::Slow`).
    pub delay: Option<Duration>,
    /// The connection was closed, or left hanging, without an answer: the client never
    /// saw `status` (`Reply::ResetBeforeStore`, `ResetAfterStore`, `Hang`).
    pub dropped: bool,
}

impl RequestRecord {
    /// The first value of header `name` (case-insensitive).
    pub fn header(&self, name: &str) -> Option<&str> {
        find_header(&self.headers, name)
    }
}

/// Called for each accepted event, with the request that carried it.
pub type EventHook = Box<dyn Fn(&ReceivedEvent, &RequestRecord) + Send + Sync>;
pub type RequestHook = Box<dyn Fn(&RequestRecord) + Send + Sync>;

/// A running collector on 127.0.0.1; dropping it stops the server, closes its
/// connections and frees the port.
pub struct Collector {
    shared: Arc<Shared>,
    server: Option<Server>,
    port: u16,
}

impl Collector {
    /// Starts on an ephemeral port.
    ///
    /// # Panics
    /// If that is impossible (tests only).
    pub fn start(secret: &str) -> Collector {
        Collector::start_on(0, secret).expect("cannot start the test collector")
    }

    /// Starts on `port` (0 = ephemeral).
    pub fn start_on(port: u16, secret: &str) -> io::Result<Collector> {
        let shared = Arc::new(Shared::new(secret));
        let server = Server::start(port, {
            let shared = shared.clone();
            Box::new(move |request| handle(&shared, request))
        })?;
        Ok(Collector {
            shared,
            port: server.port(),
            server: Some(server),
        })
    }

    /// Starts on `port` again after an earlier collector there stopped: the collector
    /// "comes back". Retries for about a second while the port is still taken.
    pub fn restart_on(port: u16, secret: &str) -> io::Result<Collector> {
        let mut attempts = 0;
        loop {
            match Collector::start_on(port, secret) {
                Err(error) if error.kind() == io::ErrorKind::AddrInUse && attempts < 50 => {
                    attempts += 1;
                    thread::sleep(Duration::from_millis(20));
                }
                result => return result,
            }
        }
    }

    /// The base URL to configure a client with, e.g. `http://127.0.0.1:4321`.
    pub fn url(&self) -> String {
        format!("http://127.0.0.1:{}", self.port)
    }

    /// The full endpoint, `<url>/api/v1/track`.
    pub fn track_url(&self) -> String {
        format!("{}{TRACK_PATH}", self.url())
    }

    pub fn port(&self) -> u16 {
        self.port
    }

    /// Queues replies, consumed one per request (any request) before validation.
    pub fn script(&self, replies: impl IntoIterator<Item = Reply>) {
        self.shared.lock().script.extend(replies);
    }

    /// What to do once the script is exhausted (initially `Reply::Validate`).
    pub fn set_default_reply(&self, reply: Reply) {
        self.shared.lock().default_reply = reply;
    }

    /// Accepted collections, in arrival order.
    pub fn collections(&self) -> Vec<ReceivedCollection> {
        self.shared.lock().collections.clone()
    }

    /// The events of all accepted collections, in arrival order.
    pub fn events(&self) -> Vec<ReceivedEvent> {
        self.shared.lock().events.clone()
    }

    /// Every request received, in arrival order.
    pub fn requests(&self) -> Vec<RequestRecord> {
        self.shared.lock().requests.clone()
    }

    /// Blocks until at least `n` events were accepted; false on timeout.
    pub fn wait_for_events(&self, n: usize, timeout: Duration) -> bool {
        self.shared
            .wait_until(timeout, |state| state.events.len() >= n)
    }

    /// Blocks until at least `n` requests were answered; false on timeout.
    pub fn wait_for_requests(&self, n: usize, timeout: Duration) -> bool {
        self.shared
            .wait_until(timeout, |state| state.requests.len() >= n)
    }

    /// Called on the server thread for each accepted event, before the reply is sent.
    pub fn on_event(&self, hook: EventHook) {
        self.shared.lock().on_event = Some(Arc::new(hook));
    }

    /// Called on the server thread for each request, before the reply is sent.
    pub fn on_request(&self, hook: RequestHook) {
        self.shared.lock().on_request = Some(Arc::new(hook));
    }
}

impl Drop for Collector {
    fn drop(&mut self) {
        // Cut `Reply::Slow` delays short first: stopping the server waits for its handlers.
        self.shared.stopping.store(true, Ordering::SeqCst);
        drop(self.shared.lock());
        self.shared.changed.notify_all();
        drop(self.server.take());
    }
}

/// `base64_std(sha256(time + "|" + md5hex(body) + "|" + secret))`, the request signature.
pub fn sign(time: &str, body: &[u8], secret: &str) -> String {
    let signed = format!("{time}|{}|{secret}", md5_hex(body));
    base64::engine::general_purpose::STANDARD.encode(Sha256::digest(signed.as_bytes()))
}

/// `md5hex(device_id:client_id:system_version:product_version:env)`, the session the
/// collector expects for `collection`'s attributes.
pub fn session_of(collection: &Collection) -> String {
    let c = collection;
    let attributes = format!(
        "{}:{}:{}:{}:{}",
        c.device_id, c.client_id, c.system_version, c.product_version, c.env
    );
    md5_hex(attributes.as_bytes())
}

fn md5_hex(bytes: &[u8]) -> String {
    Md5::digest(bytes)
        .iter()
        .map(|b| format!("{b:02x}"))
        .collect()
}

fn find_header<'a>(headers: &'a [(String, String)], name: &str) -> Option<&'a str> {
    headers
        .iter()
        .find(|(n, _)| n.eq_ignore_ascii_case(name))
        .map(|(_, v)| v.as_str())
}

// ---------------------------------------------------------------------------------------
// Shared state between the server thread and the Collector handle
// ---------------------------------------------------------------------------------------

struct Shared {
    secret: String,
    stopping: AtomicBool,
    state: Mutex<State>,
    /// Signalled whenever a request was recorded.
    changed: Condvar,
}

struct State {
    script: VecDeque<Reply>,
    default_reply: Reply,
    collections: Vec<ReceivedCollection>,
    events: Vec<ReceivedEvent>,
    requests: Vec<RequestRecord>,
    on_event: Option<Arc<EventHook>>,
    on_request: Option<Arc<RequestHook>>,
}

impl Shared {
    fn new(secret: &str) -> Shared {
        Shared {
            secret: secret.to_owned(),
            stopping: AtomicBool::new(false),
            state: Mutex::new(State {
                script: VecDeque::new(),
                default_reply: Reply::Validate,
                collections: Vec::new(),
                events: Vec::new(),
                requests: Vec::new(),
                on_event: None,
                on_request: None,
            }),
            changed: Condvar::new(),
        }
    }

    /// Locks the state; a panic in a hook or a test must not poison every later call.
    fn lock(&self) -> MutexGuard<'_, State> {
        self.state.lock().unwrap_or_else(PoisonError::into_inner)
    }

    fn wait_until(&self, timeout: Duration, done: impl Fn(&State) -> bool) -> bool {
        let (state, _) = self
            .changed
            .wait_timeout_while(self.lock(), timeout, |state| !done(state))
            .unwrap_or_else(PoisonError::into_inner);
        done(&state)
    }

    fn next_reply(&self) -> Reply {
        let mut state = self.lock();
        let default = state.default_reply.clone();
        state.script.pop_front().unwrap_or(default)
    }

    /// Records the request (and its events when accepted), wakes the waiters, then runs
    /// the hooks outside the lock.
    fn record(&self, request: &Incoming, verdict: &Verdict, delivery: Delivery) {
        let record = request_record(request, verdict, delivery);
        let mut new_events = Vec::new();
        let (on_event, on_request) = {
            let mut state = self.lock();
            if let Verdict::Accept(collection) = verdict {
                let header = header_of(collection);
                new_events = collection
                    .payloads
                    .iter()
                    .map(|payload| ReceivedEvent::new(collection, &header, payload))
                    .collect();
                state.collections.push(ReceivedCollection {
                    collection: (**collection).clone(),
                    content_type: media_type(request.header("content-type")),
                    headers: request.headers.clone(),
                });
                state.events.extend(new_events.iter().cloned());
            }
            state.requests.push(record.clone());
            (state.on_event.clone(), state.on_request.clone())
        };
        self.changed.notify_all();
        if let Some(hook) = on_event {
            for event in &new_events {
                hook(event, &record);
            }
        }
        if let Some(hook) = on_request {
            hook(&record);
        }
    }

    /// Sleeps for `delay`, or less when the collector stops.
    fn pause(&self, delay: Duration) {
        let deadline = Instant::now() + delay;
        let mut state = self.lock();
        while !self.stopping.load(Ordering::SeqCst) {
            let Some(left) = deadline.checked_duration_since(Instant::now()) else {
                return;
            };
            state = self
                .changed
                .wait_timeout(state, left)
                .unwrap_or_else(PoisonError::into_inner)
                .0;
        }
    }
}

// ---------------------------------------------------------------------------------------
// Handling one request (the HTTP server is in http.rs)
// ---------------------------------------------------------------------------------------

/// How the answer to one request goes out.
#[derive(Clone, Copy, PartialEq, Eq)]
enum Delivery {
    /// After this delay, if any.
    Respond(Option<Duration>),
    Close(Option<Duration>),
    Hang(Option<Duration>),
}

impl Delivery {
    fn delay(self) -> Option<Duration> {
        match self {
            Delivery::Respond(delay) | Delivery::Close(delay) | Delivery::Hang(delay) => delay,
        }
    }
}

fn handle(shared: &Shared, request: &Incoming) -> Answer {
    // Like Go's ioutil.ReadAll in the genuine handler, a broken body is just shorter:
    // the server hands it over as far as it arrived.
    let (verdict, delivery) = decide(shared, request, shared.next_reply(), None);
    // Record before answering: once a client sees 200, the test must see the events.
    shared.record(request, &verdict, delivery);
    if let Some(delay) = delivery.delay() {
        shared.pause(delay);
        if shared.stopping.load(Ordering::SeqCst) {
            // A stopped collector sends no answer it was still holding back.
            return Answer::Close;
        }
    }
    match delivery {
        Delivery::Respond(_) => Answer::Respond(verdict.response()),
        Delivery::Close(_) => Answer::Close,
        Delivery::Hang(_) => Answer::Hang,
    }
}

/// What `reply` makes of `request`; `delay` is what enclosing `Reply::Slow`s add up to.
fn decide(
    shared: &Shared,
    request: &Incoming,
    reply: Reply,
    delay: Option<Duration>,
) -> (Verdict, Delivery) {
    match reply {
        Reply::Status(status) => (Verdict::Scripted(status, None), Delivery::Respond(delay)),
        Reply::StatusRetryAfter(status, secs) => (
            Verdict::Scripted(status, Some(secs)),
            Delivery::Respond(delay),
        ),
        Reply::Validate => (validate(request, &shared.secret), Delivery::Respond(delay)),
        Reply::Slow(more, inner) => {
            let delay = delay.unwrap_or_default() + more;
            decide(shared, request, *inner, Some(delay))
        }
        Reply::ResetBeforeStore => (Verdict::Unanswered, Delivery::Close(delay)),
        Reply::ResetAfterStore => (validate(request, &shared.secret), Delivery::Close(delay)),
        Reply::Hang => (Verdict::Unanswered, Delivery::Hang(delay)),
    }
}

fn request_record(request: &Incoming, verdict: &Verdict, delivery: Delivery) -> RequestRecord {
    RequestRecord {
        method: request.method.clone(),
        path: request.path.clone(),
        content_type: request.header("content-type").map(str::to_owned),
        headers: request.headers.clone(),
        body_len: request.body.len(),
        status: verdict.status(),
        error: match verdict {
            Verdict::Reject(rejection) => Some(rejection.reason.clone()),
            _ => None,
        },
        hint: match verdict {
            Verdict::Reject(rejection) => Some(rejection.hint.clone()),
            _ => None,
        },
        scripted: matches!(verdict, Verdict::Scripted(..) | Verdict::Unanswered),
        at: request.at,
        delay: delivery.delay(),
        dropped: !matches!(delivery, Delivery::Respond(_)),
    }
}

enum Verdict {
    /// 200: valid with at least one payload.
    Accept(Box<Collection>),
    /// 204: valid but without payloads.
    NoPayloads,
    Reject(Rejection),
    /// Answered from the script: status and optional Retry-After seconds.
    Scripted(u16, Option<u64>),
    /// Not looked at, and never answered (`Reply::ResetBeforeStore`, `Reply::Hang`).
    Unanswered,
}

impl Verdict {
    fn status(&self) -> u16 {
        match self {
            Verdict::Accept(_) => 200,
            Verdict::NoPayloads => 204,
            Verdict::Reject(rejection) => rejection.status,
            Verdict::Scripted(status, _) => *status,
            Verdict::Unanswered => 0,
        }
    }

    /// Errors carry `{"error": ...}` like the genuine collector in verbose mode, which
    /// helps whoever debugs a client against this collector.
    fn response(&self) -> Response {
        let mut response = Response {
            status: self.status(),
            headers: Vec::new(),
            body: Vec::new(),
        };
        match self {
            Verdict::Reject(rejection) => {
                response.body = serde_json::json!({ "error": rejection.reason })
                    .to_string()
                    .into_bytes();
                response
                    .headers
                    .push(("Content-Type".into(), "application/json".into()));
            }
            Verdict::Scripted(_, Some(secs)) => {
                response
                    .headers
                    .push(("Retry-After".into(), secs.to_string()));
            }
            _ => {}
        }
        response
    }
}

fn validate(request: &Incoming, secret: &str) -> Verdict {
    match check(request, secret) {
        Ok(collection) if collection.payloads.is_empty() => Verdict::NoPayloads,
        Ok(collection) => Verdict::Accept(Box::new(collection)),
        Err(rejection) => Verdict::Reject(rejection),
    }
}
