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
use prost::Message as _;
use serde_json::{Map, Value};
use sha2::Sha256;
use wire::{Collection, Environment, Parameter, Payload};

mod http;

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
            Verdict::Reject(_, reason) => Some(reason.clone()),
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
    Reject(u16, String),
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
            Verdict::Reject(status, _) | Verdict::Scripted(status, _) => *status,
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
            Verdict::Reject(_, reason) => {
                response.body = serde_json::json!({ "error": reason })
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

// ---------------------------------------------------------------------------------------
// Validation: the genuine TrackHandler, step by step, in its order
// ---------------------------------------------------------------------------------------

fn validate(request: &Incoming, secret: &str) -> Verdict {
    match check(request, secret) {
        Ok(collection) if collection.payloads.is_empty() => Verdict::NoPayloads,
        Ok(collection) => Verdict::Accept(Box::new(collection)),
        Err((status, reason)) => Verdict::Reject(status, reason),
    }
}

fn check(request: &Incoming, secret: &str) -> Result<Collection, (u16, String)> {
    let reject = |status: u16, reason: &str| (status, reason.to_owned());
    if request.path != TRACK_PATH {
        return Err(reject(404, "404 page not found"));
    }
    if request.method != "POST" {
        return Err(reject(405, "Sending method is not POST"));
    }
    // Go's Header.Get returns "" for a missing header, so empty counts as missing.
    let present = |name| request.header(name).filter(|value| !value.is_empty());
    let time = present("x-hamustro-time")
        .ok_or_else(|| reject(405, "X-Hamustro-Time header is missing"))?;
    let signature = present("x-hamustro-signature")
        .ok_or_else(|| reject(405, "X-Hamustro-Signature header is missing"))?;
    if signature != sign(time, &request.body, secret) {
        // Say what was signed (never the secret or the expected value) to help debugging.
        let reason = format!(
            "X-Hamustro-Signature header is invalid (expected base64(sha256(\"{time}|{}|<secret>\")))",
            md5_hex(&request.body)
        );
        return Err((405, reason));
    }
    let collection = decode_body(request).map_err(|reason| (400, reason))?;
    let expected = session_of(&collection);
    if collection.session != expected {
        let reason = format!(
            "Collection's session attribute is invalid (got {:?}, expected {expected})",
            collection.session
        );
        return Err((400, reason));
    }
    Ok(collection)
}

fn decode_body(request: &Incoming) -> Result<Collection, String> {
    match media_type(request.header("content-type")).as_str() {
        "application/protobuf" => decode_protobuf(&request.body),
        "application/json" => decode_json(&request.body),
        _ => Err("Unsupported or missing Content-Type".to_owned()),
    }
}

/// The media type of a Content-Type value without its parameters, lowercased, as Go's
/// `mime.ParseMediaType` returns it.
fn media_type(content_type: Option<&str>) -> String {
    let value = content_type.unwrap_or("");
    let base = value.split(';').next().unwrap_or(value);
    base.trim().to_ascii_lowercase()
}

// ---------------------------------------------------------------------------------------
// Protobuf: prost decodes, a wire scan enforces proto2 `required`
// ---------------------------------------------------------------------------------------

fn decode_protobuf(body: &[u8]) -> Result<Collection, String> {
    let collection =
        Collection::decode(body).map_err(|e| format!("Unmarshaling protobuf is failed: {e}"))?;
    check_required_on_wire(body, &COLLECTION_SCHEMA)
        .map_err(|e| format!("Unmarshaling protobuf is failed: {e}"))?;
    Ok(collection)
}

/// The proto2 `required` fields of one message and where its sub-messages are, so the
/// scan can descend into them.
struct WireSchema {
    name: &'static str,
    required: &'static [(u64, &'static str)],
    nested: &'static [(u64, &'static WireSchema)],
}

const PARAMETER_SCHEMA: WireSchema = WireSchema {
    name: "Parameter",
    required: &[(1, "name"), (2, "value")],
    nested: &[],
};

const PAYLOAD_SCHEMA: WireSchema = WireSchema {
    name: "Payload",
    required: &[(1, "at"), (2, "event"), (3, "nr")],
    nested: &[(9, &PARAMETER_SCHEMA)],
};

const COLLECTION_SCHEMA: WireSchema = WireSchema {
    name: "Collection",
    required: &[
        (1, "device_id"),
        (2, "client_id"),
        (3, "session"),
        (4, "system_version"),
        (5, "product_version"),
        (6, "env"),
    ],
    nested: &[(15, &PAYLOAD_SCHEMA)],
};

/// Walks the encoded message and fails when a required field never appears, in the
/// message itself or in any nested Payload / Parameter. Deliberately independent of
/// prost: prost silently defaults missing required fields.
fn check_required_on_wire(mut bytes: &[u8], schema: &WireSchema) -> Result<(), String> {
    let mut seen = Vec::new();
    while !bytes.is_empty() {
        let key = read_varint(&mut bytes)?;
        let (number, wire_type) = (key >> 3, key & 7);
        if wire_type == 2 {
            let content = read_length_delimited(&mut bytes)?;
            if let Some((_, nested)) = schema.nested.iter().find(|(n, _)| *n == number) {
                check_required_on_wire(content, nested)?;
            }
        } else {
            skip_value(&mut bytes, number, wire_type)?;
        }
        seen.push(number);
    }
    match schema.required.iter().find(|(n, _)| !seen.contains(n)) {
        Some((_, field)) => Err(format!(
            "required field \"hamustro.{}.{field}\" not set",
            schema.name
        )),
        None => Ok(()),
    }
}

fn read_varint(bytes: &mut &[u8]) -> Result<u64, String> {
    let mut value = 0u64;
    for shift in (0..64).step_by(7) {
        let (&byte, rest) = bytes.split_first().ok_or("truncated varint")?;
        *bytes = rest;
        value |= u64::from(byte & 0x7f) << shift;
        if byte & 0x80 == 0 {
            return Ok(value);
        }
    }
    Err("varint longer than 10 bytes".to_owned())
}

fn read_length_delimited<'a>(bytes: &mut &'a [u8]) -> Result<&'a [u8], String> {
    let len = usize::try_from(read_varint(bytes)?).map_err(|_| "length too large")?;
    take(bytes, len)
}

fn take<'a>(bytes: &mut &'a [u8], len: usize) -> Result<&'a [u8], String> {
    if bytes.len() < len {
        return Err("truncated field".to_owned());
    }
    let (taken, rest) = bytes.split_at(len);
    *bytes = rest;
    Ok(taken)
}

/// Skips one value of a non-length-delimited wire type (groups included, which may
/// appear as unknown fields).
fn skip_value(bytes: &mut &[u8], number: u64, wire_type: u64) -> Result<(), String> {
    match wire_type {
        0 => read_varint(bytes).map(drop),
        1 => take(bytes, 8).map(drop),
        2 => read_length_delimited(bytes).map(drop),
        3 => loop {
            let key = read_varint(bytes)?;
            match (key >> 3, key & 7) {
                (end, 4) if end == number => return Ok(()),
                (_, 4) => return Err("mismatched end group".to_owned()),
                (inner, inner_type) => skip_value(bytes, inner, inner_type)?,
            }
        },
        5 => take(bytes, 4).map(drop),
        other => Err(format!("invalid wire type {other}")),
    }
}

// ---------------------------------------------------------------------------------------
// JSON: the rules of Go's jsonpb as the genuine collector used it
// ---------------------------------------------------------------------------------------

fn decode_json(body: &[u8]) -> Result<Collection, String> {
    let fail = |e: String| format!("Unmarshaling json collection is failed: {e}");
    // jsonpb reads the first JSON value from a stream decoder and ignores what follows.
    let value = serde_json::Deserializer::from_slice(body)
        .into_iter::<Value>()
        .next()
        .ok_or_else(|| fail("empty body".to_owned()))?
        .map_err(|e| fail(e.to_string()))?;
    // Required fields are checked after the whole decode, like Go's IsValid afterwards.
    let mut missing = Vec::new();
    let collection = json_collection(&value, &mut missing).map_err(fail)?;
    match missing.first() {
        Some(field) => Err(format!(
            "Unmarshaled json collection is failed: required field {field} not set"
        )),
        None => Ok(collection),
    }
}

fn json_collection(value: &Value, missing: &mut Vec<String>) -> Result<Collection, String> {
    let mut m = JsonMessage::new(value, "Collection", missing)?;
    let collection = Collection {
        device_id: m.required("device_id", json_string)?,
        client_id: m.required("client_id", json_string)?,
        session: m.required("session", json_string)?,
        system_version: m.required("system_version", json_string)?,
        product_version: m.required("product_version", json_string)?,
        env: m.required("env", json_env)?,
        device_make: m.optional("device_make", json_string)?,
        device_model: m.optional("device_model", json_string)?,
        system: m.optional("system", json_string)?,
        system_language: m.optional("system_language", json_string)?,
        browser: m.optional("browser", json_string)?,
        browser_version: m.optional("browser_version", json_string)?,
        product_git_hash: m.optional("product_git_hash", json_string)?,
        product_language: m.optional("product_language", json_string)?,
        payloads: m.repeated("payloads", json_payload)?,
    };
    m.finish()?;
    Ok(collection)
}

fn json_payload(value: &Value, missing: &mut Vec<String>) -> Result<Payload, String> {
    let mut m = JsonMessage::new(value, "Payload", missing)?;
    let payload = Payload {
        at: m.required("at", json_uint64)?,
        event: m.required("event", json_string)?,
        nr: m.required("nr", json_uint32)?,
        timezone: m.optional("timezone", json_string)?,
        tenant_id: m.optional("tenant_id", json_string)?,
        user_id: m.optional("user_id", json_string)?,
        ip: m.optional("ip", json_string)?,
        country: m.optional("country", json_string)?,
        parameters: m.repeated("parameters", json_parameter)?,
    };
    m.finish()?;
    Ok(payload)
}

fn json_parameter(value: &Value, missing: &mut Vec<String>) -> Result<Parameter, String> {
    let mut m = JsonMessage::new(value, "Parameter", missing)?;
    let parameter = Parameter {
        name: m.required("name", json_string)?,
        value: m.required("value", json_string)?,
    };
    m.finish()?;
    Ok(parameter)
}

/// The members of one JSON object being decoded as a message. Fields are removed as they
/// are decoded, so whatever remains at the end is unknown.
struct JsonMessage<'a> {
    name: &'static str,
    members: Map<String, Value>,
    /// Required fields not found so far, across the whole document ("Payload.event").
    missing: &'a mut Vec<String>,
}

impl<'a> JsonMessage<'a> {
    fn new(
        value: &Value,
        name: &'static str,
        missing: &'a mut Vec<String>,
    ) -> Result<Self, String> {
        match value {
            Value::Object(members) => Ok(JsonMessage {
                name,
                members: members.clone(),
                missing,
            }),
            other => Err(format!("{name} must be a JSON object, not {}", kind(other))),
        }
    }

    /// Takes the field by its proto name, else by its lowerCamelCase name (jsonpb's
    /// order: if both are given, the camelCase one is left over and reported unknown).
    /// `null` means unset.
    fn take(&mut self, proto_name: &str) -> Option<Value> {
        let value = match self.members.remove(proto_name) {
            Some(value) => value,
            None => self.members.remove(&lower_camel(proto_name))?,
        };
        (!value.is_null()).then_some(value)
    }

    fn required<T: Default>(
        &mut self,
        field: &str,
        parse: fn(&Value) -> Result<T, String>,
    ) -> Result<T, String> {
        match self.optional(field, parse)? {
            Some(value) => Ok(value),
            None => {
                self.missing.push(format!("{}.{field}", self.name));
                Ok(T::default())
            }
        }
    }

    fn optional<T>(
        &mut self,
        field: &str,
        parse: fn(&Value) -> Result<T, String>,
    ) -> Result<Option<T>, String> {
        self.take(field)
            .map(|value| parse(&value).map_err(|e| format!("{}.{field}: {e}", self.name)))
            .transpose()
    }

    fn repeated<T>(
        &mut self,
        field: &str,
        parse: fn(&Value, &mut Vec<String>) -> Result<T, String>,
    ) -> Result<Vec<T>, String> {
        match self.take(field) {
            None => Ok(Vec::new()),
            Some(Value::Array(items)) => {
                items.iter().map(|item| parse(item, self.missing)).collect()
            }
            Some(other) => Err(format!(
                "{}.{field}: expected an array, not {}",
                self.name,
                kind(&other)
            )),
        }
    }

    fn finish(self) -> Result<(), String> {
        match self.members.keys().next() {
            Some(unknown) => Err(format!("unknown field {unknown:?} in {}", self.name)),
            None => Ok(()),
        }
    }
}

/// `device_id` -> `deviceId`, the JSON name protoc derives.
fn lower_camel(proto_name: &str) -> String {
    let mut out = String::with_capacity(proto_name.len());
    let mut upper_next = false;
    for c in proto_name.chars() {
        match c {
            '_' => upper_next = true,
            c if upper_next => {
                out.push(c.to_ascii_uppercase());
                upper_next = false;
            }
            c => out.push(c),
        }
    }
    out
}

fn kind(value: &Value) -> &'static str {
    match value {
        Value::Null => "null",
        Value::Bool(_) => "a boolean",
        Value::Number(_) => "a number",
        Value::String(_) => "a string",
        Value::Array(_) => "an array",
        Value::Object(_) => "an object",
    }
}

fn json_string(value: &Value) -> Result<String, String> {
    match value {
        Value::String(s) => Ok(s.clone()),
        other => Err(format!("expected a string, not {}", kind(other))),
    }
}

/// uint64: a non-negative integer JSON number, or the same digits in a string.
fn json_uint64(value: &Value) -> Result<u64, String> {
    match value {
        Value::Number(n) => n.as_u64().ok_or_else(|| format!("{n} is not a uint64")),
        Value::String(s) if is_json_integer(s) => {
            s.parse().map_err(|_| format!("{s:?} is not a uint64"))
        }
        other => Err(format!("expected a uint64, not {}", kind(other))),
    }
}

/// uint32: a JSON number only (jsonpb quoted only 64-bit integers).
fn json_uint32(value: &Value) -> Result<u32, String> {
    match value {
        Value::Number(n) => n
            .as_u64()
            .and_then(|n| u32::try_from(n).ok())
            .ok_or_else(|| format!("{n} is not a uint32")),
        other => Err(format!("expected a uint32 number, not {}", kind(other))),
    }
}

/// Environment: the exact upper-case name, or its number.
fn json_env(value: &Value) -> Result<i32, String> {
    match value {
        Value::String(name) => Environment::from_str_name(name)
            .map(|env| env as i32)
            .ok_or_else(|| format!("unknown value {name:?} for enum hamustro.Environment")),
        Value::Number(n) => n
            .as_u64()
            .and_then(|n| i32::try_from(n).ok())
            .filter(|n| Environment::try_from(*n).is_ok())
            .ok_or_else(|| format!("unknown value {n} for enum hamustro.Environment")),
        other => Err(format!(
            "expected an enum name or number, not {}",
            kind(other)
        )),
    }
}

/// The integer syntax of a JSON number: `0` or digits without a leading zero.
fn is_json_integer(s: &str) -> bool {
    let digits = s.bytes().all(|b| b.is_ascii_digit());
    digits && !s.is_empty() && (s == "0" || !s.starts_with('0'))
}
