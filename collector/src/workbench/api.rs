//! The routes: the page (`/`), the test API (`/api/...`), the live stream
//! (`/api/stream`, server-sent events) and the track endpoint (`track.rs`).

use std::convert::Infallible;
use std::sync::{Arc, OnceLock};
use std::time::Duration;

use axum::extract::{DefaultBodyLimit, Query, State};
use axum::http::{header, Method, StatusCode};
use axum::response::sse::{Event as SseEvent, KeepAlive, Sse};
use axum::response::{IntoResponse, Response};
use axum::routing::{any, get, post};
use axum::{Json, Router};
use base64::Engine as _;
use futures_util::Stream;
use serde::Deserialize;
use sha2::{Digest as _, Sha256};
use tokio::sync::broadcast::error::RecvError;

use super::faults::FaultSpec;
use super::store::Filter;
use super::{now_ms, track, App};
use crate::TRACK_PATH;

/// The whole page: markup, style and script, nothing loaded from elsewhere.
pub const PAGE: &str = include_str!("page.html");
/// Far above anything a tracker sends (about 512 KiB a request).
const MAX_BODY: usize = 64 * 1024 * 1024;
/// The longest `wait_for` wait.
const MAX_WAIT: Duration = Duration::from_secs(300);

pub fn router(app: Arc<App>) -> Router {
    Router::new()
        .route("/", get(page))
        .route(TRACK_PATH, any(track::track))
        .route("/api/events", get(events))
        .route("/api/requests", get(requests))
        .route("/api/stats", get(stats))
        .route("/api/reset", post(reset))
        .route(
            "/api/faults",
            get(faults).post(set_fault).delete(clear_faults),
        )
        .route("/api/stream", get(stream))
        .fallback(fallback)
        .layer(DefaultBodyLimit::max(MAX_BODY))
        .with_state(app)
}

/// A POST elsewhere is a client with a wrong `collector_url`: record it, answered 404
/// with a hint, like the genuine collector's 404. Anything else is just not found.
async fn fallback(
    state: State<Arc<App>>,
    connection: axum::Extension<Arc<super::listener::Connection>>,
    method: Method,
    uri: axum::http::Uri,
    headers: axum::http::HeaderMap,
    body: axum::body::Bytes,
) -> Response {
    if method == Method::POST {
        return track::track(state, connection, method, uri, headers, body).await;
    }
    (StatusCode::NOT_FOUND, "404 page not found").into_response()
}

/// The page, with a Content-Security-Policy that allows its own inline script (by
/// hash) and nothing from anywhere else.
async fn page() -> Response {
    static POLICY: OnceLock<String> = OnceLock::new();
    let policy = POLICY.get_or_init(|| {
        let script = PAGE
            .split_once("<script>")
            .and_then(|(_, rest)| rest.split_once("</script>"))
            .map_or("", |(script, _)| script);
        let hash = base64::engine::general_purpose::STANDARD.encode(Sha256::digest(script));
        format!(
            "default-src 'none'; script-src 'sha256-{hash}'; style-src 'unsafe-inline'; \
             connect-src 'self'; img-src 'self' data:; base-uri 'none'; form-action 'none'"
        )
    });
    (
        [
            (header::CONTENT_TYPE, "text/html; charset=utf-8"),
            (header::CONTENT_SECURITY_POLICY, policy.as_str()),
            (header::CACHE_CONTROL, "no-store"),
        ],
        PAGE,
    )
        .into_response()
}

/// The query of `/api/events` and `/api/requests`. The filter's fields are repeated
/// here, not flattened: a flattened struct receives every value as a string, and
/// `since=3` would not parse as a number.
#[derive(Deserialize)]
struct EventQuery {
    event: Option<String>,
    session: Option<String>,
    user: Option<String>,
    status: Option<String>,
    since: Option<u64>,
    /// Answer once this many events match (or the timeout passes: 408).
    wait_for: Option<usize>,
    timeout_ms: Option<u64>,
    /// At most this many, the newest (all when unset).
    limit: Option<usize>,
}

/// `GET /api/events`: matching events, oldest first. With `wait_for=N`, answers once N
/// match, or 408 with what matched after `timeout_ms` (default 5000).
async fn events(State(app): State<Arc<App>>, Query(query): Query<EventQuery>) -> Response {
    // Subscribed before the first look, so a change in between is not missed.
    let mut changes = app.changes.subscribe();
    let filter = query.filter();
    let wanted = query.wait_for.unwrap_or(0);
    let max_events = app.store().max_events();
    if wanted > max_events {
        // Memory never holds that many: the wait could only time out.
        let error = format!(
            "wait_for={wanted} is more than memory holds (--max-events {max_events}): \
             raise --max-events, or wait for fewer (e.g. with since=)"
        );
        let body = Json(serde_json::json!({ "error": error }));
        return (StatusCode::BAD_REQUEST, body).into_response();
    }
    let timeout = Duration::from_millis(query.timeout_ms.unwrap_or(5000)).min(MAX_WAIT);
    let deadline = tokio::time::Instant::now() + timeout;
    let complete = loop {
        if app.store().count(&filter) >= wanted {
            break true;
        }
        tokio::select! {
            changed = changes.changed() => if changed.is_err() { break false },
            () = tokio::time::sleep_until(deadline) => break false,
        }
    };
    let mut events = app.store().events(&filter);
    if let Some(limit) = query.limit {
        events.drain(..events.len().saturating_sub(limit));
    }
    let status = if complete {
        StatusCode::OK
    } else {
        StatusCode::REQUEST_TIMEOUT
    };
    let body = serde_json::json!({ "count": events.len(), "complete": complete, "events": events });
    (status, Json(body)).into_response()
}

impl EventQuery {
    fn filter(&self) -> Filter {
        Filter {
            event: self.event.clone(),
            session: self.session.clone(),
            user: self.user.clone(),
            status: self.status.clone(),
            since: self.since,
        }
    }
}

/// `GET /api/requests`: every request recorded, oldest first.
async fn requests(State(app): State<Arc<App>>, Query(query): Query<EventQuery>) -> Response {
    let mut requests = app.store().requests(&query.filter());
    if let Some(limit) = query.limit {
        requests.drain(..requests.len().saturating_sub(limit));
    }
    Json(serde_json::json!({ "count": requests.len(), "requests": requests })).into_response()
}

async fn stats(State(app): State<Arc<App>>) -> Response {
    Json(app.store().stats(now_ms())).into_response()
}

async fn reset(State(app): State<Arc<App>>) -> Response {
    let reset = app.store().reset();
    app.publish("reset", &serde_json::json!({}));
    app.changed();
    match reset {
        Ok(()) => StatusCode::NO_CONTENT.into_response(),
        Err(error) => (StatusCode::INTERNAL_SERVER_ERROR, error).into_response(),
    }
}

async fn faults(State(app): State<Arc<App>>) -> Response {
    Json(app.faults().state()).into_response()
}

/// `POST /api/faults` with `{"status": 503, "count": 3, "retry_after": 2}` (the fields of
/// `FaultSpec`): replaces the fault in force.
async fn set_fault(State(app): State<Arc<App>>, body: axum::body::Bytes) -> Response {
    let fault = serde_json::from_slice::<FaultSpec>(&body)
        .map_err(|e| e.to_string())
        .and_then(|fault| fault.check().map(|()| fault));
    match fault {
        Ok(fault) => {
            let mut listening = app.listening.subscribe();
            app.set_fault(fault);
            if fault.refuse_seconds.is_some() {
                // Answer once the port is closed: whoever asked can rely on it at once.
                let closed = listening.wait_for(|open| !open);
                let _ = tokio::time::timeout(Duration::from_secs(2), closed).await;
            }
            Json(app.faults().state()).into_response()
        }
        Err(error) => (
            StatusCode::BAD_REQUEST,
            Json(serde_json::json!({ "error": error })),
        )
            .into_response(),
    }
}

async fn clear_faults(State(app): State<Arc<App>>) -> Response {
    app.faults().clear();
    app.publish_faults();
    Json(app.faults().state()).into_response()
}

/// `GET /api/stream`: server-sent events `event`, `request`, `stats`, `faults`, `reset`
/// (each with JSON data), and `resync` when this reader fell behind and missed some.
async fn stream(
    State(app): State<Arc<App>>,
) -> Sse<impl Stream<Item = Result<SseEvent, Infallible>>> {
    let receiver = app.stream.subscribe();
    let hello = SseEvent::default()
        .event("hello")
        .retry(Duration::from_secs(1))
        .data("{}");
    let updates = futures_util::stream::unfold(receiver, |mut receiver| async move {
        let event = match receiver.recv().await {
            Ok((kind, data)) => SseEvent::default().event(kind).data(&*data),
            Err(RecvError::Lagged(_)) => SseEvent::default().event("resync").data("{}"),
            Err(RecvError::Closed) => return None,
        };
        Some((Ok(event), receiver))
    });
    let first = futures_util::stream::once(async move { Ok(hello) });
    Sse::new(futures_util::StreamExt::chain(first, updates)).keep_alive(KeepAlive::default())
}
