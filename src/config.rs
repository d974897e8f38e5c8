//! Tracker configuration: every attribute of the client spec plus the library's own
//! options, with defaults and validation in one place.

use std::path::PathBuf;
use std::time::Duration;

use crate::error::{Error, Result};
use crate::wire::Environment;

/// Body encoding of a request.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum PayloadFormat {
    /// `application/protobuf`: smaller and faster; the default.
    Protobuf,
    /// `application/json` in the protobuf JSON mapping the collector's jsonpb accepts.
    Json,
}

/// Where an event's `ip` comes from.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum IpSource {
    /// The device's primary IPv4 address, looked up from the network interfaces.
    Detect,
    /// Send no `ip`: the collector then uses the request's peer address.
    Omit,
    /// This address, as given by the app.
    Fixed(String),
}

pub const DEFAULT_QUEUE_SIZE: u32 = 20;
pub const DEFAULT_QUEUE_RETENTION_MINUTES: u32 = 1440;
pub const DEFAULT_REQUEST_TIMEOUT: Duration = Duration::from_secs(10);
/// About 15 MB of queue at typical event sizes: weeks offline for most apps.
pub const DEFAULT_MAX_QUEUED_EVENTS: u64 = 100_000;

/// Everything a tracker is created from. Required fields are empty until set.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct TrackerConfig {
    pub collector_url: String,
    pub shared_secret_key: String,
    /// The raw device id; the library sends its sha256 hex.
    pub device_id: String,
    pub client_id: String,
    pub system_version: String,
    pub product_version: String,
    pub env: Environment,
    pub device_make: Option<String>,
    pub device_model: Option<String>,
    pub system: Option<String>,
    pub system_language: Option<String>,
    pub browser: Option<String>,
    pub browser_version: Option<String>,
    pub product_git_hash: Option<String>,
    pub product_language: Option<String>,
    /// Send when this many events are queued.
    pub queue_size: u32,
    /// Send when the last successful delivery is older than this many minutes.
    pub queue_retention_minutes: u32,
    /// The SQLite file holding the queue; `None` picks a per-user data directory.
    pub database_path: Option<PathBuf>,
    pub payload_format: PayloadFormat,
    /// The limit on each HTTP request, connection included.
    pub request_timeout: Duration,
    pub ip: IpSource,
    /// ISO country code; `None` takes the region of the process's locale.
    pub country: Option<String>,
    /// When set, user ids are stored and sent as `sha256hex(user_id + salt)`, so raw
    /// ids never leave the device.
    pub user_id_salt: Option<String>,
    /// The most events kept queued; beyond it the oldest are dropped and counted.
    pub max_queued_events: u64,
    /// Skip certificate verification, allowed only for a loopback collector (a
    /// development collector with a self-signed certificate).
    pub accept_invalid_certs_for_loopback: bool,
}

impl Default for TrackerConfig {
    fn default() -> Self {
        TrackerConfig {
            collector_url: String::new(),
            shared_secret_key: String::new(),
            device_id: String::new(),
            client_id: String::new(),
            system_version: String::new(),
            product_version: String::new(),
            env: Environment::Production,
            device_make: None,
            device_model: None,
            system: None,
            system_language: None,
            browser: None,
            browser_version: None,
            product_git_hash: None,
            product_language: None,
            queue_size: DEFAULT_QUEUE_SIZE,
            queue_retention_minutes: DEFAULT_QUEUE_RETENTION_MINUTES,
            database_path: None,
            payload_format: PayloadFormat::Protobuf,
            request_timeout: DEFAULT_REQUEST_TIMEOUT,
            ip: IpSource::Detect,
            country: None,
            user_id_salt: None,
            max_queued_events: DEFAULT_MAX_QUEUED_EVENTS,
            accept_invalid_certs_for_loopback: false,
        }
    }
}

impl TrackerConfig {
    /// Checks what a tracker cannot work without, naming the first offending field.
    pub fn validate(&self) -> Result<()> {
        let required = [
            ("collector_url", &self.collector_url),
            ("shared_secret_key", &self.shared_secret_key),
            ("device_id", &self.device_id),
            ("client_id", &self.client_id),
            ("system_version", &self.system_version),
            ("product_version", &self.product_version),
        ];
        for (name, value) in required {
            if value.is_empty() {
                return Err(Error::invalid(format!("{name} is required")));
            }
        }
        check_collector_url(&self.collector_url)?;
        if self.accept_invalid_certs_for_loopback && !is_loopback_url(&self.collector_url) {
            return Err(Error::invalid(
                "certificate checks can only be switched off for a loopback collector \
                 (127.0.0.1, ::1 or localhost)",
            ));
        }
        if self.max_queued_events == 0 {
            return Err(Error::invalid("max_queued_events must be positive"));
        }
        if self.request_timeout.is_zero() {
            return Err(Error::invalid("request_timeout must be positive"));
        }
        if let IpSource::Fixed(ip) = &self.ip {
            if ip.parse::<std::net::Ipv4Addr>().is_err() {
                return Err(Error::invalid(format!("ip {ip:?} is not an IPv4 address")));
            }
        }
        Ok(())
    }

    /// The `/api/v1/track` endpoint under the configured base URL.
    pub fn track_url(&self) -> String {
        format!("{}/api/v1/track", self.collector_url.trim_end_matches('/'))
    }
}

/// Turns the spec's integer environment into the wire enum.
pub fn environment_from_i32(value: i32) -> Result<Environment> {
    Environment::try_from(value)
        .map_err(|_| Error::invalid(format!("env {value} is not an environment (0 to 11)")))
}

/// The host part of an http(s) URL, without port or brackets.
fn url_host(url: &str) -> &str {
    let rest = url.split_once("://").map_or(url, |(_, rest)| rest);
    let authority = rest.split(['/', '?', '#']).next().unwrap_or_default();
    let host_port = authority.rsplit_once('@').map_or(authority, |(_, h)| h);
    if let Some(bracketed) = host_port.strip_prefix('[') {
        return bracketed.split(']').next().unwrap_or_default();
    }
    host_port.split(':').next().unwrap_or_default()
}

fn is_loopback_url(url: &str) -> bool {
    let host = url_host(url);
    host.eq_ignore_ascii_case("localhost")
        || host
            .parse::<std::net::IpAddr>()
            .is_ok_and(|ip| ip.is_loopback())
}

fn check_collector_url(url: &str) -> Result<()> {
    let rest = url
        .strip_prefix("https://")
        .or_else(|| url.strip_prefix("http://"))
        .ok_or_else(|| Error::invalid("collector_url must start with http:// or https://"))?;
    let host = rest.split(['/', '?', '#']).next().unwrap_or_default();
    if host.is_empty() {
        return Err(Error::invalid("collector_url has no host"));
    }
    if url.contains(char::is_whitespace) {
        return Err(Error::invalid("collector_url must not contain white space"));
    }
    if url.contains(['?', '#']) {
        return Err(Error::invalid(
            "collector_url is the collector's base URL and takes no query or fragment",
        ));
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    fn complete() -> TrackerConfig {
        TrackerConfig {
            collector_url: "https://t.example.com/".into(),
            shared_secret_key: "s".into(),
            device_id: "d".into(),
            client_id: "c".into(),
            system_version: "1".into(),
            product_version: "2".into(),
            ..TrackerConfig::default()
        }
    }

    #[test]
    fn a_complete_config_is_valid_and_builds_the_track_url() {
        let config = complete();
        config.validate().unwrap();
        assert_eq!(config.track_url(), "https://t.example.com/api/v1/track");
    }

    #[test]
    fn missing_required_field_is_named() {
        let config = TrackerConfig {
            client_id: String::new(),
            ..complete()
        };
        assert_eq!(
            config.validate().unwrap_err().message(),
            "client_id is required"
        );
    }

    #[test]
    fn collector_url_needs_http_scheme_and_host() {
        for bad in [
            "ftp://x",
            "http://",
            "t.example.com",
            "http://a b",
            "http://h/?q",
        ] {
            let config = TrackerConfig {
                collector_url: bad.into(),
                ..complete()
            };
            assert!(config.validate().is_err(), "{bad} accepted");
        }
    }

    #[test]
    fn fixed_ip_must_be_ipv4() {
        let config = TrackerConfig {
            ip: IpSource::Fixed("::1".into()),
            ..complete()
        };
        assert!(config.validate().is_err());
    }

    #[test]
    fn certificate_checks_stay_on_except_for_loopback() {
        for (url, allowed) in [
            ("https://127.0.0.1:8443", true),
            ("https://localhost", true),
            ("https://[::1]:8443/", true),
            ("https://t.example.com", false),
            ("https://127.0.0.1.example.com", false),
            ("https://user@10.0.0.1", false),
        ] {
            let config = TrackerConfig {
                collector_url: url.into(),
                accept_invalid_certs_for_loopback: true,
                ..complete()
            };
            assert_eq!(config.validate().is_ok(), allowed, "{url}");
        }
    }

    #[test]
    fn environment_range_is_checked() {
        assert_eq!(environment_from_i32(11).unwrap(), Environment::Development);
        assert!(environment_from_i32(12).is_err());
        assert!(environment_from_i32(-1).is_err());
    }
}
