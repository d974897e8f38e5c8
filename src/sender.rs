//! One signed HTTP request per collection, and the reading of the collector's answer.

use std::time::Duration;

use prost::Message as _;

use crate::clock::now_epoch_seconds;
use crate::collector_url::redact_userinfo;
use crate::config::TrackerConfig;
use crate::error::{Error, ErrorKind};
use crate::net::proxy_url::redact;
use crate::net::{self, Route, Via};
use crate::platform;
use crate::wire::request::{self, PayloadFormat};
use crate::wire::session::short_session;
use crate::wire::{json, Collection};

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

impl Sender {
    /// A sender for a validated configuration (`TrackerConfig::validate`).
    pub fn new(config: &TrackerConfig) -> Result<Sender, Error> {
        let Route { agent, via } = net::route(&config.reach())?;
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
        let body = match self.format {
            PayloadFormat::Protobuf => protobuf_body(collection)?,
            PayloadFormat::Json => json::encode_collection(collection),
        };
        let signed = request::signed_headers(
            self.format,
            now_epoch_seconds(),
            &body,
            &self.shared_secret_key,
        );
        let mut post = self.agent.post(&self.url);
        for (name, value) in &signed {
            post = post.header(*name, value);
        }
        for (name, value) in extra_headers {
            post = post.header(name, value);
        }
        let mut response = post.send(&body[..]).map_err(|err| SendFailure {
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
        if request::is_delivered(status) {
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
        let kind = if request::is_refusal(status) {
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
                    request::status_meaning(status),
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
