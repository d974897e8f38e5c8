//! `POST /api/v1/track`: the fault in force first, else validation like the genuine
//! collector; every request is recorded with what it was answered and why.

use std::sync::atomic::Ordering;
use std::sync::Arc;
use std::time::Instant;

use axum::body::{Body, Bytes};
use axum::extract::State;
use axum::http::{HeaderMap, Method, StatusCode, Uri};
use axum::response::{IntoResponse, Response};
use axum::Extension;

use super::faults::DropWhen;
use super::listener::Connection;
use super::store::Draft;
use super::{now_ms, App};
use crate::http::Request as Incoming;
use crate::validate::{check, decode_body, media_type, EMPTY_HINT};

pub async fn track(
    State(app): State<Arc<App>>,
    Extension(connection): Extension<Arc<Connection>>,
    method: Method,
    uri: Uri,
    headers: HeaderMap,
    body: Bytes,
) -> Response {
    connection.served_track.store(true, Ordering::SeqCst);
    let incoming = Incoming {
        method: method.as_str().to_owned(),
        path: uri.path().to_owned(),
        headers: headers
            .iter()
            .map(|(name, value)| {
                let value = String::from_utf8_lossy(value.as_bytes()).trim().to_owned();
                (name.as_str().to_ascii_lowercase(), value)
            })
            .collect(),
        body: body.to_vec(),
        at: Instant::now(),
    };
    let fault = app.faults().take();
    if fault.is_some() {
        app.publish_faults();
    }
    let mut draft = draft_of(&incoming);
    let delay = fault.as_ref().and_then(|fault| fault.delay);
    draft.delay_ms = delay.map(|delay| delay.as_millis() as u64);
    let drop_when = fault.as_ref().and_then(|fault| fault.drop);
    if let Some(fault) = &fault {
        draft.fault = Some(fault.description.clone());
        // Which session's events the fault bounced, when the body can be read.
        draft.peeked = decode_body(&incoming)
            .ok()
            .map(|c| (c.session, c.payloads.len()));
    }
    let answer = match &fault {
        Some(_) if drop_when == Some(DropWhen::Before) => {
            draft.kind = "fault";
            draft.reason = Some("connection dropped before storing: no answer".to_owned());
            draft.hint = Some(
                "the client never learns the outcome: it keeps the events and sends them again"
                    .to_owned(),
            );
            app.record(draft, None);
            return dropped(&connection).await;
        }
        Some(fault) if fault.status.is_some() => {
            let status = fault.status.unwrap_or(503);
            draft.kind = "fault";
            draft.status = status;
            draft.reason = Some(format!("injected fault: answered {status}"));
            draft.hint = Some(
                "not the client's doing: it keeps the events and retries; clear the fault \
                 to see them delivered"
                    .to_owned(),
            );
            app.record(draft, None);
            let mut response = StatusCode::from_u16(status)
                .unwrap_or(StatusCode::SERVICE_UNAVAILABLE)
                .into_response();
            if let Some(secs) = fault.retry_after {
                if let Ok(value) = secs.to_string().parse() {
                    response.headers_mut().insert("retry-after", value);
                }
            }
            response
        }
        _ => validate(&app, &incoming, draft),
    };
    if let Some(delay) = delay {
        tokio::time::sleep(delay).await;
    }
    if drop_when == Some(DropWhen::After) {
        return dropped(&connection).await;
    }
    answer
}

/// Validates, records, and returns the answer the genuine collector would give.
fn validate(app: &App, incoming: &Incoming, mut draft: Draft) -> Response {
    match check(incoming, &app.secret) {
        Ok(collection) if collection.payloads.is_empty() => {
            draft.kind = "rejected";
            draft.status = 204;
            draft.reason = Some("Collection has no payloads".to_owned());
            draft.hint = Some(EMPTY_HINT.to_owned());
            app.record(draft, Some(&collection));
            StatusCode::NO_CONTENT.into_response()
        }
        Ok(collection) => {
            draft.kind = "accepted";
            draft.status = 200;
            app.record(draft, Some(&collection));
            StatusCode::OK.into_response()
        }
        Err(rejection) => {
            draft.kind = "rejected";
            draft.status = rejection.status;
            draft.reason = Some(rejection.reason.clone());
            draft.hint = Some(rejection.hint.clone());
            // Show what the rejected body held, when it can be read at all.
            let collection = decode_body(incoming).ok();
            app.record(draft, collection.as_ref());
            let body = serde_json::json!({ "error": rejection.reason, "hint": rejection.hint });
            let status = StatusCode::from_u16(rejection.status).unwrap_or(StatusCode::BAD_REQUEST);
            (
                status,
                [("content-type", "application/json")],
                Body::from(body.to_string()),
            )
                .into_response()
        }
    }
}

/// Closes the connection without an answer; the response is never sent.
async fn dropped(connection: &Connection) -> Response {
    connection.kill.notify_one();
    std::future::pending().await
}

fn draft_of(incoming: &Incoming) -> Draft {
    let content_type = incoming.header("content-type");
    let format = match media_type(content_type).as_str() {
        "application/protobuf" => "protobuf".to_owned(),
        "application/json" => "json".to_owned(),
        _ => content_type.unwrap_or("none").to_owned(),
    };
    Draft {
        received_ms: now_ms(),
        method: incoming.method.clone(),
        path: incoming.path.clone(),
        size: incoming.body.len(),
        format,
        status: 0,
        kind: "fault",
        reason: None,
        hint: None,
        fault: None,
        delay_ms: None,
        headers: incoming.headers.clone(),
        peeked: None,
    }
}
