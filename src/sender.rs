//! One signed HTTP request per collection, and the reading of the collector's answer.

use std::time::Duration;

use prost::Message as _;

use crate::config::{PayloadFormat, TrackerConfig};
use crate::context::now_epoch_seconds;
use crate::error::{Error, ErrorKind};
use crate::json;
use crate::net::proxy_url::redact;
use crate::net::{self, Route, Via};
use crate::platform;
use crate::signature::sign;
use crate::wire::Collection;

/// Why a request did not deliver its events, and when the collector asked us to retry.
#[derive(Debug)]
pub struct SendFailure {
    pub error: Error,
    pub retry_after: Option<Duration>,
}

pub struct Sender {
    agent: ureq::Agent,
    /// The proxy requests go through, or why the environment's cannot be used.
    via: Result<Option<Via>, Error>,
    url: String,
    shared_secret_key: String,
    format: PayloadFormat,
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

impl Sender {
    /// A sender for a validated configuration (`TrackerConfig::validate`).
    pub fn new(config: &TrackerConfig) -> Result<Sender, Error> {
        let Route { agent, via } = net::route(config)?;
        Ok(Sender {
            agent,
            via,
            url: config.track_url()?,
            shared_secret_key: config.shared_secret_key.clone(),
            format: config.payload_format,
        })
    }

    /// Posts one collection. `Ok` only for a 200: the collector has the events.
    pub fn send(
        &self,
        collection: &Collection,
        extra_headers: &[(String, String)],
    ) -> Result<(), SendFailure> {
        let session = short_session(&collection.session);
        let count = collection.payloads.len();
        let via = self
            .via
            .as_ref()
            .map(Option::as_ref)
            .map_err(|error| SendFailure {
                error: Error::network(format!(
                    "cannot deliver {count} events of session {session}: {}; they stay queued",
                    error.message()
                )),
                retry_after: None,
            })?;
        let (body, content_type) = match self.format {
            PayloadFormat::Protobuf => (protobuf_body(collection)?, "application/protobuf"),
            PayloadFormat::Json => (json::encode_collection(collection), "application/json"),
        };
        let time = now_epoch_seconds().to_string();
        let signature = sign(&time, &body, &self.shared_secret_key);
        let mut request = self
            .agent
            .post(&self.url)
            .header("Content-Type", content_type)
            .header("X-Hamustro-Time", &time)
            .header("X-Hamustro-Signature", &signature);
        for (name, value) in extra_headers {
            request = request.header(name, value);
        }
        let mut response = request.send(&body[..]).map_err(|err| SendFailure {
            error: Error::network(self.network_failure(via, &err, count, &session)),
            retry_after: None,
        })?;
        // Read the (small) body so the connection can be reused for the next request.
        let _ = response
            .body_mut()
            .with_config()
            .limit(64 * 1024)
            .read_to_vec();
        let status = response.status().as_u16();
        if status == 200 {
            return Ok(());
        }
        let retry_after = response
            .headers()
            .get("retry-after")
            .and_then(|value| value.to_str().ok())
            .and_then(|value| value.trim().parse::<u64>().ok())
            .map(Duration::from_secs);
        if let Some(via) = via.filter(|via| via.absolute_form && status == 407) {
            return Err(SendFailure {
                error: Error::network(format!(
                    "{via} answered 407 (proxy authentication required: check the proxy's \
                     user and password) for {count} events of session {session}; they stay queued"
                )),
                retry_after,
            });
        }
        let kind = if (400..500).contains(&status) {
            ErrorKind::Rejected
        } else {
            ErrorKind::Network
        };
        let through = via
            .map(|via| format!(" (through {via})"))
            .unwrap_or_default();
        Err(SendFailure {
            error: Error::new(
                kind,
                format!(
                    "collector{through} answered {status}{} for {count} events of session {session}; they stay queued",
                    status_meaning(status),
                ),
            ),
            retry_after,
        })
    }

    /// The message for a request that got no answer: naming the proxy when the
    /// failure is the proxy's (it cannot be reached, or it would not open a tunnel).
    fn network_failure(
        &self,
        via: Option<&Via>,
        err: &ureq::Error,
        count: usize,
        session: &str,
    ) -> String {
        let err = redact(&err.to_string());
        let collector = redact_userinfo(&self.url);
        let what = format!("{count} events of session {session}");
        match via {
            None => format!("cannot deliver {what} to {collector}: {err}"),
            Some(via) if proxy_failed(&err) => {
                format!("{via} failed for {what} to {collector}: {err}")
            }
            Some(via) => format!("cannot deliver {what} to {collector} through {via}: {err}"),
        }
    }
}

/// Whether a request's error, through a proxy, is the proxy's: our only connection is
/// to the proxy, so failing to make it or to get a tunnel from it is.
fn proxy_failed(error: &str) -> bool {
    [
        "CONNECT proxy failed",
        "host not found",
        "connection failed",
        "refused",
        "reset",
        "timeout: Connect",
        "timeout: Resolve",
    ]
    .iter()
    .any(|sign| error.contains(sign))
}

/// The protobuf body of `collection`, its memory asked for first (up to about 512 KiB
/// for a full batch), so that a process out of memory gets an error, the events
/// staying queued, instead of an abort.
fn protobuf_body(collection: &Collection) -> Result<Vec<u8>, SendFailure> {
    let len = collection.encoded_len();
    let mut body = Vec::new();
    platform::fallible(|| body.try_reserve_exact(len)).map_err(|e| SendFailure {
        error: Error::out_of_resources(
            &format!(
                "cannot allocate the {len}-byte request for {} events of session {}; they \
                 stay queued",
                collection.payloads.len(),
                short_session(&collection.session)
            ),
            e,
        ),
        retry_after: None,
    })?;
    // Fits the capacity reserved: encoding allocates nothing more.
    let _ = collection.encode(&mut body);
    Ok(body)
}

/// What the genuine collector means by a status, to make errors actionable.
fn status_meaning(status: u16) -> &'static str {
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

/// The first characters of a session id: enough to tell sessions apart in a message.
pub fn short_session(session: &str) -> String {
    let prefix: String = session.chars().take(8).collect();
    format!("{prefix}…")
}

/// A URL without `user:password@`, so credentials never reach a message.
pub(crate) fn redact_userinfo(url: &str) -> String {
    let Some((scheme, rest)) = url.split_once("://") else {
        return url.to_string();
    };
    let authority_end = rest.find('/').unwrap_or(rest.len());
    match rest[..authority_end].rfind('@') {
        Some(at) => format!("{scheme}://{}", &rest[at + 1..]),
        None => url.to_string(),
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
    fn credentials_in_the_url_never_reach_a_message() {
        assert_eq!(
            redact_userinfo("https://user:pw@t.example.com/api/v1/track"),
            "https://t.example.com/api/v1/track"
        );
        assert_eq!(redact_userinfo("http://h:1/x@y"), "http://h:1/x@y");
    }
}
