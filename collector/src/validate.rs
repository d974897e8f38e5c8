//! Validation: the genuine collector's `TrackHandler`, step by step, in its order, with
//! its status codes and words (`reason`); each rejection also carries a `hint`, what to
//! fix in the client, for whoever reads it on the development collector's page.

use crate::http::Request as Incoming;
use crate::json::decode_json;
use crate::protobuf::decode_protobuf;
use crate::wire::Collection;
use crate::{md5_hex, session_of, sign, TRACK_PATH};

/// Why a request was not accepted, and what the client should change.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Rejection {
    pub status: u16,
    /// The genuine collector's own words (its verbose `{"error": ...}`).
    pub reason: String,
    /// What to fix in the client. Never the secret or the expected signature.
    pub hint: String,
}

/// The hint on a 405 for a wrong signature; the page and the tests look for its start.
pub const SIGNATURE_HINT: &str =
    "signature does not match: check that shared_secret_key is the collector's";

const SESSION_FIELDS: &str = "device_id:client_id:system_version:product_version:env";

pub(crate) fn check(request: &Incoming, secret: &str) -> Result<Collection, Rejection> {
    let reject = |status: u16, reason: &str, hint: &str| Rejection {
        status,
        reason: reason.to_owned(),
        hint: hint.to_owned(),
    };
    if request.path != TRACK_PATH {
        let hint = format!(
            "the client posts to <collector_url>{TRACK_PATH}: collector_url is the base \
             address (http://host:port), without a path"
        );
        return Err(reject(404, "404 page not found", &hint));
    }
    if request.method != "POST" {
        let hint = format!("{TRACK_PATH} takes POST only, not {}", request.method);
        return Err(reject(405, "Sending method is not POST", &hint));
    }
    // Go's Header.Get returns "" for a missing header, so empty counts as missing.
    let present = |name| request.header(name).filter(|value| !value.is_empty());
    let stripped = "the client sends it with every request: is a proxy between the client \
                    and the collector removing headers?";
    let time = present("x-hamustro-time")
        .ok_or_else(|| reject(405, "X-Hamustro-Time header is missing", stripped))?;
    let signature = present("x-hamustro-signature")
        .ok_or_else(|| reject(405, "X-Hamustro-Signature header is missing", stripped))?;
    if signature != sign(time, &request.body, secret) {
        // Say what was signed (never the secret or the expected value) to help debugging.
        let reason = format!(
            "X-Hamustro-Signature header is invalid (expected base64(sha256(\"{time}|{}|<secret>\")))",
            md5_hex(&request.body)
        );
        let hint = format!(
            "{SIGNATURE_HINT} (this collector's is its --secret); a proxy that changes the \
             body breaks the signature too"
        );
        return Err(reject(405, &reason, &hint));
    }
    let collection = decode_body(request)?;
    let expected = session_of(&collection);
    if collection.session != expected {
        let reason = format!(
            "Collection's session attribute is invalid (got {:?}, expected {expected})",
            collection.session
        );
        let c = &collection;
        let hint = format!(
            "session is not md5({SESSION_FIELDS}) = md5(\"{}:{}:{}:{}:{}\"): the session is \
             computed from device_id (sha256 hex), client_id, system_version, \
             product_version and env as a decimal number (PRODUCTION is 0)",
            c.device_id, c.client_id, c.system_version, c.product_version, c.env
        );
        return Err(reject(400, &reason, &hint));
    }
    Ok(collection)
}

/// The body as a Collection, whatever it was answered: the page shows the events of a
/// rejected request too, when they can be read.
pub(crate) fn decode_body(request: &Incoming) -> Result<Collection, Rejection> {
    let content_type = media_type(request.header("content-type"));
    let decoded = match content_type.as_str() {
        "application/protobuf" => decode_protobuf(&request.body),
        "application/json" => decode_json(&request.body),
        _ => {
            let got = request.header("content-type").unwrap_or("none");
            return Err(Rejection {
                status: 400,
                reason: "Unsupported or missing Content-Type".to_owned(),
                hint: format!(
                    "send Content-Type: application/protobuf or application/json (got {got:?})"
                ),
            });
        }
    };
    decoded.map_err(|reason| {
        let hint = if reason.contains("required field") {
            "every Collection needs device_id, client_id, session, system_version, \
             product_version and env; every Payload at, event and nr; every Parameter \
             name and value"
        } else if content_type == "application/json" {
            "the body must be one hamustro.Collection in the protobuf JSON mapping: field \
             names as in proto/hamustro.proto (or lowerCamelCase), env by its upper-case \
             name or number, nothing beyond the schema"
        } else {
            "the body is not a hamustro.Collection in protobuf: was it compressed, cut \
             short, or encoded with another schema?"
        };
        Rejection {
            status: 400,
            reason,
            hint: hint.to_owned(),
        }
    })
}

/// The hint for a valid collection without payloads (answered 204).
pub const EMPTY_HINT: &str =
    "a client must not send empty collections: this request stored nothing";

/// The media type of a Content-Type value without its parameters, lowercased, as Go's
/// `mime.ParseMediaType` returns it.
pub(crate) fn media_type(content_type: Option<&str>) -> String {
    let value = content_type.unwrap_or("");
    let base = value.split(';').next().unwrap_or(value);
    base.trim().to_ascii_lowercase()
}
