//! What the collector saw: the last `--max-events` events and as many requests in
//! memory, per-session health, the counters, and (with `--db`) every accepted event
//! on disk.

use std::collections::{HashMap, VecDeque};
use std::path::Path;

use serde::{Deserialize, Serialize};

use super::db::Db;
use super::health::{Flag, SessionHealth};
use crate::wire::{Collection, Environment, Payload};

/// One event as the page and the API show it.
#[derive(Clone, Debug, Serialize, Deserialize)]
pub struct Event {
    pub id: u64,
    pub request_id: u64,
    /// When the collector received it, epoch milliseconds (`at` is the client's clock).
    pub received_ms: u64,
    /// `accepted`, or `rejected` for an event read from a request that was not.
    pub status: String,
    pub event: String,
    pub nr: u32,
    pub at: u64,
    pub session: String,
    pub parameters: Vec<Parameter>,
    pub user_id: Option<String>,
    pub tenant_id: Option<String>,
    pub timezone: Option<String>,
    pub ip: Option<String>,
    pub country: Option<String>,
    pub device_id: String,
    pub client_id: String,
    pub system_version: String,
    pub product_version: String,
    pub env: String,
    pub device_make: Option<String>,
    pub device_model: Option<String>,
    pub system: Option<String>,
    pub system_language: Option<String>,
    pub browser: Option<String>,
    pub browser_version: Option<String>,
    pub product_git_hash: Option<String>,
    pub product_language: Option<String>,
    /// `protobuf` or `json`.
    pub format: String,
    #[serde(default)]
    pub flags: Vec<Flag>,
}

#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct Parameter {
    pub name: String,
    pub value: String,
}

/// One request to the track endpoint, however it was answered.
#[derive(Clone, Debug, Serialize)]
pub struct Request {
    pub id: u64,
    pub received_ms: u64,
    pub method: String,
    pub path: String,
    /// Body bytes.
    pub size: usize,
    /// `protobuf`, `json`, or the Content-Type as sent.
    pub format: String,
    /// The status answered; 0 when the connection was dropped without an answer.
    pub status: u16,
    /// `accepted`, `rejected` (by validation, or 204: no payloads) or `fault`.
    pub kind: String,
    pub reason: Option<String>,
    pub hint: Option<String>,
    /// Events in the body (read from rejected requests too, when they could be).
    pub events: usize,
    pub session: Option<String>,
    /// The injected fault that answered it, if any.
    pub fault: Option<String>,
    pub delay_ms: Option<u64>,
    pub headers: Vec<(String, String)>,
}

/// The counters of `GET /api/stats`.
#[derive(Clone, Debug, Default, Serialize)]
pub struct Counters {
    pub requests: u64,
    pub accepted: u64,
    pub rejected: u64,
    pub faulted: u64,
    pub duplicates: u64,
    pub gaps: u64,
    pub out_of_order: u64,
}

/// Filters of `GET /api/events` and `GET /api/requests`; empty strings count as unset.
#[derive(Clone, Debug, Default)]
pub struct Filter {
    /// The exact event name.
    pub event: Option<String>,
    /// The session, or its first characters (the page shows eight).
    pub session: Option<String>,
    /// The exact user id.
    pub user: Option<String>,
    /// `accepted` or `rejected` (events); `accepted`, `rejected` or `fault` (requests).
    pub status: Option<String>,
    /// Only items with a larger id: a cursor.
    pub since: Option<u64>,
}

fn set(value: Option<&String>) -> Option<&str> {
    value.map(String::as_str).filter(|value| !value.is_empty())
}

impl Filter {
    pub fn matches(&self, event: &Event) -> bool {
        set(self.event.as_ref()).is_none_or(|name| event.event == name)
            && set(self.session.as_ref()).is_none_or(|s| event.session.starts_with(s))
            && set(self.user.as_ref()).is_none_or(|u| event.user_id.as_deref() == Some(u))
            && set(self.status.as_ref()).is_none_or(|status| event.status == status)
            && self.since.is_none_or(|since| event.id > since)
    }

    pub fn matches_request(&self, request: &Request) -> bool {
        set(self.session.as_ref())
            .is_none_or(|s| request.session.as_deref().is_some_and(|r| r.starts_with(s)))
            && set(self.status.as_ref()).is_none_or(|kind| request.kind == kind)
            && self.since.is_none_or(|since| request.id > since)
    }
}

/// A request about to be recorded, before it has an id.
pub struct Draft {
    pub received_ms: u64,
    pub method: String,
    pub path: String,
    pub size: usize,
    pub format: String,
    pub status: u16,
    pub kind: &'static str,
    pub reason: Option<String>,
    pub hint: Option<String>,
    pub fault: Option<String>,
    pub delay_ms: Option<u64>,
    pub headers: Vec<(String, String)>,
    /// The session and number of events of a body that was answered without being
    /// stored (a fault): shown on the request, never as events.
    pub peeked: Option<(String, usize)>,
}

pub struct Store {
    max_events: usize,
    events: VecDeque<Event>,
    requests: VecDeque<Request>,
    sessions: HashMap<String, SessionHealth>,
    counters: Counters,
    next_event: u64,
    next_request: u64,
    db: Option<Db>,
}

impl Store {
    /// With `db`, reads back the events it holds (the last `max_events` stay in memory;
    /// the health and counters cover all of them).
    pub fn open(max_events: usize, db: Option<&Path>) -> Result<Store, String> {
        let mut store = Store {
            max_events: max_events.max(1),
            events: VecDeque::new(),
            requests: VecDeque::new(),
            sessions: HashMap::new(),
            counters: Counters::default(),
            next_event: 1,
            next_request: 1,
            db: None,
        };
        if let Some(path) = db {
            let (db, events) = Db::open(path)?;
            for mut event in events {
                store.next_event = store.next_event.max(event.id + 1);
                store.next_request = store.next_request.max(event.request_id + 1);
                event.flags = store.observe(&event);
                store.counters.accepted += 1;
                store.keep(event);
            }
            store.db = Some(db);
        }
        Ok(store)
    }

    /// Records a request and the events of its body (`accepted` says whether they were
    /// stored for real); returns them with their ids and health flags.
    pub fn record(
        &mut self,
        draft: Draft,
        collection: Option<&Collection>,
    ) -> (Request, Vec<Event>) {
        let accepted = draft.kind == "accepted";
        let id = self.next_request;
        self.next_request += 1;
        let mut events = Vec::new();
        if let Some(collection) = collection {
            for payload in &collection.payloads {
                let mut event = event_of(collection, payload, &draft, id, self.next_event);
                self.next_event += 1;
                if accepted {
                    event.flags = self.observe(&event);
                }
                events.push(event);
            }
        }
        let request = Request {
            id,
            received_ms: draft.received_ms,
            method: draft.method,
            path: draft.path,
            size: draft.size,
            format: draft.format,
            status: draft.status,
            kind: draft.kind.to_owned(),
            reason: draft.reason,
            hint: draft.hint,
            events: match (&draft.peeked, collection) {
                (Some((_, count)), None) => *count,
                _ => events.len(),
            },
            session: collection
                .map(|c| c.session.clone())
                .or_else(|| draft.peeked.as_ref().map(|(session, _)| session.clone())),
            fault: draft.fault,
            delay_ms: draft.delay_ms,
            headers: draft.headers,
        };
        self.counters.requests += 1;
        match request.kind.as_str() {
            "accepted" => self.counters.accepted += events.len() as u64,
            "fault" => self.counters.faulted += 1,
            _ => self.counters.rejected += 1,
        }
        if accepted {
            if let Some(db) = &mut self.db {
                // The page and the API still have the events; the log says why the file does not.
                if let Err(error) = db.insert(&events) {
                    eprintln!("hamustro-collector: cannot store events in --db: {error}");
                }
            }
        }
        for event in &events {
            self.keep(event.clone());
        }
        self.requests.push_back(request.clone());
        while self.requests.len() > self.max_events {
            self.requests.pop_front();
        }
        (request, events)
    }

    fn observe(&mut self, event: &Event) -> Vec<Flag> {
        let health = self.sessions.entry(event.session.clone()).or_default();
        let mut flags = health.observe(event.nr);
        health.last_user.clone_from(&event.user_id);
        health.last_received_ms = event.received_ms;
        for flag in &flags {
            match flag.kind.as_str() {
                "duplicate" => self.counters.duplicates += 1,
                "gap" => self.counters.gaps += 1,
                "out_of_order" => self.counters.out_of_order += 1,
                _ => {}
            }
        }
        // A common client bug: the collector accepts it, the data is wrong downstream.
        if event.at >= 100_000_000_000 {
            flags.push(Flag {
                kind: "milliseconds".to_owned(),
                note: "at looks like milliseconds; the protocol wants epoch seconds".to_owned(),
            });
        }
        flags
    }

    fn keep(&mut self, event: Event) {
        self.events.push_back(event);
        while self.events.len() > self.max_events {
            self.events.pop_front();
        }
    }

    /// Matching events in arrival order.
    pub fn events(&self, filter: &Filter) -> Vec<Event> {
        self.events
            .iter()
            .filter(|event| filter.matches(event))
            .cloned()
            .collect()
    }

    pub fn max_events(&self) -> usize {
        self.max_events
    }

    pub fn count(&self, filter: &Filter) -> usize {
        self.events
            .iter()
            .filter(|event| filter.matches(event))
            .count()
    }

    pub fn requests(&self, filter: &Filter) -> Vec<Request> {
        self.requests
            .iter()
            .filter(|request| filter.matches_request(request))
            .cloned()
            .collect()
    }

    /// Counters, the accepted rate over the last ten seconds, and each session's health.
    pub fn stats(&self, now_ms: u64) -> serde_json::Value {
        let window = 10_000;
        let recent = self
            .events
            .iter()
            .rev()
            .take_while(|event| event.received_ms + window >= now_ms)
            .filter(|event| event.status == "accepted")
            .count();
        let mut sessions: Vec<_> = self.sessions.iter().collect();
        sessions.sort_by_key(|(_, health)| std::cmp::Reverse(health.last_received_ms));
        let sessions: Vec<_> = sessions
            .into_iter()
            .map(|(session, health)| {
                serde_json::json!({
                    "session": session,
                    "user_id": health.last_user,
                    "events": health.events,
                    "max_nr": health.max_nr(),
                    "missing": health.missing(),
                    "duplicates": health.duplicates,
                    "gaps": health.gaps,
                    "out_of_order": health.out_of_order,
                    "last_received_ms": health.last_received_ms,
                })
            })
            .collect();
        serde_json::json!({
            "counters": self.counters,
            "events_per_second": recent as f64 / (window as f64 / 1000.0),
            "stored_events": self.events.len(),
            "stored_requests": self.requests.len(),
            "max_events": self.max_events,
            "sessions": sessions,
        })
    }

    /// Forgets everything, the `--db` file's events included.
    pub fn reset(&mut self) -> Result<(), String> {
        self.events.clear();
        self.requests.clear();
        self.sessions.clear();
        self.counters = Counters::default();
        match &mut self.db {
            Some(db) => db.clear(),
            None => Ok(()),
        }
    }
}

fn event_of(c: &Collection, p: &Payload, draft: &Draft, request_id: u64, id: u64) -> Event {
    let env = Environment::try_from(c.env)
        .map_or_else(|_| c.env.to_string(), |env| env.as_str_name().to_owned());
    Event {
        id,
        request_id,
        received_ms: draft.received_ms,
        status: if draft.kind == "accepted" {
            "accepted".to_owned()
        } else {
            "rejected".to_owned()
        },
        event: p.event.clone(),
        nr: p.nr,
        at: p.at,
        session: c.session.clone(),
        parameters: p
            .parameters
            .iter()
            .map(|param| Parameter {
                name: param.name.clone(),
                value: param.value.clone(),
            })
            .collect(),
        user_id: p.user_id.clone(),
        tenant_id: p.tenant_id.clone(),
        timezone: p.timezone.clone(),
        ip: p.ip.clone(),
        country: p.country.clone(),
        device_id: c.device_id.clone(),
        client_id: c.client_id.clone(),
        system_version: c.system_version.clone(),
        product_version: c.product_version.clone(),
        env,
        device_make: c.device_make.clone(),
        device_model: c.device_model.clone(),
        system: c.system.clone(),
        system_language: c.system_language.clone(),
        browser: c.browser.clone(),
        browser_version: c.browser_version.clone(),
        product_git_hash: c.product_git_hash.clone(),
        product_language: c.product_language.clone(),
        format: draft.format.clone(),
        flags: Vec::new(),
    }
}
