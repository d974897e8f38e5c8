//! The request: where a collection is posted, the headers that carry its time,
//! signature and body type, the headers an app may not add, and what the collector's
//! answer means.

use super::signature::sign;

/// The path under the collector's base URL that collections are posted to.
pub const TRACK_PATH: &str = "/api/v1/track";
/// The time the request was signed at: epoch seconds, UTC, in decimal.
pub const TIME_HEADER: &str = "X-Hamustro-Time";
/// `signature::sign` over the time, the body and the shared secret.
pub const SIGNATURE_HEADER: &str = "X-Hamustro-Signature";
/// The body's type, which tells the collector how to decode it.
pub const CONTENT_TYPE_HEADER: &str = "Content-Type";

/// Body encoding of a request.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum PayloadFormat {
    /// `application/protobuf`: smaller and faster; the default.
    Protobuf,
    /// `application/json` in the protobuf JSON mapping the collector's jsonpb accepts.
    Json,
}

impl PayloadFormat {
    /// The `Content-Type` a body in this format is sent with.
    pub fn content_type(self) -> &'static str {
        match self {
            PayloadFormat::Protobuf => "application/protobuf",
            PayloadFormat::Json => "application/json",
        }
    }
}

/// The headers that make a request for `body` (already encoded in `format`) one the
/// collector accepts, signed at `time` (epoch seconds) with the shared secret.
pub fn signed_headers(
    format: PayloadFormat,
    time: u64,
    body: &[u8],
    shared_secret_key: &str,
) -> [(&'static str, String); 3] {
    let time = time.to_string();
    let signature = sign(&time, body, shared_secret_key);
    [
        (CONTENT_TYPE_HEADER, format.content_type().to_string()),
        (TIME_HEADER, time),
        (SIGNATURE_HEADER, signature),
    ]
}

/// Headers the app may not set: those the protocol's request is made of (the
/// signature, its time, the body's type), and those that change how HTTP itself
/// carries the request rather than what it says (RFC 9110 and 9112): the message's
/// framing and encoding (`Content-Length`, `Transfer-Encoding`, `Content-Encoding`,
/// `Trailer`, `TE`), the connection and its hop-by-hop options (`Connection`,
/// `Keep-Alive`, `Upgrade`, `HTTP2-Settings`, and `Proxy-Connection` among the
/// `Proxy-*` names), the target (`Host`), and the interim answers the client would
/// have to wait for (`Expect`: `100-continue` made every request wait a second).
/// Lower case; compared without regard to case.
pub const RESERVED_HEADERS: [&str; 15] = [
    "x-hamustro-time",
    "x-hamustro-signature",
    "content-type",
    "content-length",
    "content-encoding",
    "transfer-encoding",
    "trailer",
    "te",
    "connection",
    "keep-alive",
    "upgrade",
    "http2-settings",
    "host",
    "expect",
    "proxy-*",
];

/// Whether the app may not set header `name` (see `RESERVED_HEADERS`).
pub fn is_reserved_header(name: &str) -> bool {
    RESERVED_HEADERS
        .iter()
        .any(|reserved| match reserved.strip_suffix('*') {
            Some(prefix) => {
                name.len() >= prefix.len() && name[..prefix.len()].eq_ignore_ascii_case(prefix)
            }
            None => name.eq_ignore_ascii_case(reserved),
        })
}

/// Only a 200 means the collector has the events: the client deletes them then and
/// at no other answer.
pub fn is_delivered(status: u16) -> bool {
    status == 200
}

/// Whether the collector refused the request itself (a 4xx): sending it again as it
/// is will not help, though the events stay queued for a fixed configuration.
pub fn is_refusal(status: u16) -> bool {
    (400..500).contains(&status)
}

/// What the genuine collector means by a status, to make errors actionable: the
/// text goes after the number, e.g. "answered 405 (signature or time header …)".
pub fn status_meaning(status: u16) -> &'static str {
    match status {
        204 => " (no payloads)",
        400 => " (collection not decodable, required field missing or session mismatch)",
        404 => " (no /api/v1/track here: check collector_url)",
        405 => " (signature or time header rejected: check shared_secret_key)",
        413 => " (request too large)",
        429 => " (too many requests)",
        503 => " (collector unavailable or shutting down)",
        _ => "",
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn headers_that_change_how_http_behaves_are_reserved_in_any_case() {
        for name in [
            "Expect",
            "CONNECTION",
            "te",
            "Transfer-Encoding",
            "Proxy-Authorization",
            "proxy-connection",
            "Keep-Alive",
            "Upgrade",
            "Trailer",
            "Host",
            "Content-Length",
        ] {
            assert!(is_reserved_header(name), "{name}");
        }
        for name in ["X-Api-Key", "Authorization", "Tea", "Proxy", "Expected"] {
            assert!(!is_reserved_header(name), "{name}");
        }
    }

    #[test]
    fn the_headers_the_request_is_made_of_are_reserved() {
        for name in [TIME_HEADER, SIGNATURE_HEADER, CONTENT_TYPE_HEADER] {
            assert!(is_reserved_header(name), "{name}");
        }
    }

    #[test]
    fn a_signed_request_carries_its_time_signature_and_type() {
        let headers = signed_headers(PayloadFormat::Json, 1_700_000_000, b"body", "secret");
        assert_eq!(
            headers,
            [
                ("Content-Type", "application/json".to_string()),
                ("X-Hamustro-Time", "1700000000".to_string()),
                (
                    "X-Hamustro-Signature",
                    "KDkmaLn1orHM30qOKl9FihmmzPFVQRieV1VSkYUdYXk=".to_string()
                ),
            ]
        );
    }

    #[test]
    fn only_a_200_delivers() {
        assert!(is_delivered(200));
        for status in [201, 204, 302, 400, 405, 500, 503] {
            assert!(!is_delivered(status), "{status}");
        }
        assert!(is_refusal(405) && !is_refusal(503) && !is_refusal(200));
    }
}
