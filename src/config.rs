//! Tracker configuration: every attribute of the client spec plus the library's own
//! options, with defaults and validation in one place.

use std::fmt;
use std::path::PathBuf;
use std::time::Duration;

use crate::collector_url::{redact_userinfo, CollectorUrl};
use crate::error::{Error, Result};
use crate::net::proxy_url::ProxyUrl;
use crate::net::Reach;
pub use crate::wire::request::PayloadFormat;
use crate::wire::Environment;

/// Where an event's `ip` comes from.
#[derive(Debug, Clone, PartialEq, Eq)]
#[non_exhaustive]
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
/// The longest value of a text option (the collector URL, database path and database
/// directory have their own limits), in bytes.
pub const MAX_OPTION_BYTES: usize = 1024;
/// The longest database path or database directory accepted, in bytes.
pub const MAX_PATH_BYTES: usize = 4096;
/// About 15 MB of queue at typical event sizes: weeks offline for most apps.
pub const DEFAULT_MAX_QUEUED_EVENTS: u64 = 100_000;

/// Everything a tracker is created from: every attribute of the Hamustro client spec
/// plus the library's own options. Its `Debug` output leaves out the shared secret and
/// the user id salt.
///
/// Start from [`TrackerConfig::new`] with the five required fields, then set the
/// options you need on the value; [`Tracker::new`](crate::Tracker::new) checks it all.
/// The struct is `#[non_exhaustive]`: later versions add options, and code written
/// this way keeps compiling. (`Default` gives every option its default with the
/// required fields empty.)
///
/// ```
/// use std::time::Duration;
/// use hamustro::TrackerConfig;
///
/// let mut config = TrackerConfig::new(
///     "https://t.example.com",
///     "the shared secret",
///     "device-1234",
///     "my-app",
///     "2.3.0",
/// );
/// config.queue_size = 50;
/// config.request_timeout = Duration::from_secs(30);
/// assert_eq!(config.track_url().unwrap(), "https://t.example.com/api/v1/track");
/// ```
#[derive(Clone, PartialEq, Eq)]
#[non_exhaustive]
pub struct TrackerConfig {
    /// Required. The collector's base URL, e.g. `https://t.example.com`; events are
    /// posted to `<url>/api/v1/track` (see [`TrackerConfig::track_url`]).
    pub collector_url: String,
    /// Required. The secret shared with the collector, used to sign every request.
    /// Never logged nor put in an error message.
    pub shared_secret_key: String,
    /// The raw device id; the library sends its sha256 hex.
    pub device_id: String,
    /// Required. The app's identifier at the collector.
    pub client_id: String,
    /// The OS version; empty means the running system's (see `platform::os_version`).
    pub system_version: String,
    /// Required. The app's version, e.g. `2.3.0`.
    pub product_version: String,
    /// The environment the build runs in. Default [`Environment::Production`].
    pub env: Environment,
    /// The device's maker, e.g. `Apple`.
    pub device_make: Option<String>,
    /// The device's model, e.g. `iPhone15,2`.
    pub device_model: Option<String>,
    /// The operating system's name; `None` sends the running system's.
    pub system: Option<String>,
    /// The system's language, e.g. `en-US`; `None` takes the process's locale.
    pub system_language: Option<String>,
    /// The browser, for an app that runs in one.
    pub browser: Option<String>,
    /// The browser's version.
    pub browser_version: Option<String>,
    /// The git hash of the app build.
    pub product_git_hash: Option<String>,
    /// The language of the app's UI, e.g. `de`.
    pub product_language: Option<String>,
    /// Send when this many events are queued.
    pub queue_size: u32,
    /// Send when the last successful delivery is older than this many minutes.
    pub queue_retention_minutes: u32,
    /// The SQLite file holding the queue; `None` gives it the client id's own name in
    /// `database_directory`.
    pub database_path: Option<PathBuf>,
    /// The directory of the queue when no `database_path` is given; `None` picks
    /// `hamustro` in the per-user data directory. Setting both is refused.
    pub database_directory: Option<PathBuf>,
    /// How request bodies are encoded. Default [`PayloadFormat::Protobuf`].
    pub payload_format: PayloadFormat,
    /// The limit on each HTTP request, connection included.
    pub request_timeout: Duration,
    /// Where each event's `ip` comes from. Default [`IpSource::Detect`].
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
    /// PEM certificates trusted besides the platform's store (or instead of it, with
    /// `ca_certificates_only`): a private CA.
    pub ca_certificates: Option<String>,
    /// Trust `ca_certificates` alone, not the platform's store.
    pub ca_certificates_only: bool,
    /// `http://[user:password@]host[:port]`: the HTTP proxy every request goes through.
    /// `None` leaves it to the environment (`proxy_from_environment`).
    pub proxy: Option<String>,
    /// Without `proxy`, use the one `https_proxy`, `http_proxy`, `all_proxy` and
    /// `no_proxy` choose (`net::proxy_env`). Default true.
    pub proxy_from_environment: bool,
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
            database_directory: None,
            payload_format: PayloadFormat::Protobuf,
            request_timeout: DEFAULT_REQUEST_TIMEOUT,
            ip: IpSource::Detect,
            country: None,
            user_id_salt: None,
            max_queued_events: DEFAULT_MAX_QUEUED_EVENTS,
            accept_invalid_certs_for_loopback: false,
            ca_certificates: None,
            ca_certificates_only: false,
            proxy: None,
            proxy_from_environment: true,
        }
    }
}

impl TrackerConfig {
    /// A configuration with the five required fields set and every option at its
    /// default. The OS version (`system_version`) is detected when the tracker starts.
    pub fn new(
        collector_url: impl Into<String>,
        shared_secret_key: impl Into<String>,
        device_id: impl Into<String>,
        client_id: impl Into<String>,
        product_version: impl Into<String>,
    ) -> TrackerConfig {
        TrackerConfig {
            collector_url: collector_url.into(),
            shared_secret_key: shared_secret_key.into(),
            device_id: device_id.into(),
            client_id: client_id.into(),
            product_version: product_version.into(),
            ..TrackerConfig::default()
        }
    }

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
                let why = if name == "system_version" {
                    " (the operating system's version could not be detected)"
                } else {
                    ""
                };
                return Err(Error::invalid(format!("{name} is required{why}")));
            }
        }
        let url = CollectorUrl::parse(&self.collector_url)?;
        if self.accept_invalid_certs_for_loopback && !url.is_loopback() {
            return Err(Error::invalid(
                "certificate checks can only be switched off for a loopback collector \
                 (127.0.0.1, ::1 or localhost)",
            ));
        }
        self.check_network()?;
        self.check_text_limits()?;
        self.check_database_location()?;
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

    /// The trust anchors and the proxy, checked as `hamustro_config_set_*` checks them.
    fn check_network(&self) -> Result<()> {
        crate::net::anchors(self.ca_certificates.as_deref(), self.ca_certificates_only)?;
        if self.ca_certificates_only && self.ca_certificates.is_none() {
            return Err(Error::invalid(
                "ca_certificates_only needs ca_certificates: the CA certificates to trust",
            ));
        }
        if let Some(proxy) = &self.proxy {
            ProxyUrl::parse(proxy, "proxy", false)?;
        }
        Ok(())
    }

    /// How the collector is reached: the options `net` builds its agent from.
    pub(crate) fn reach(&self) -> Reach<'_> {
        Reach {
            collector_url: &self.collector_url,
            request_timeout: self.request_timeout,
            accept_invalid_certs_for_loopback: self.accept_invalid_certs_for_loopback,
            ca_certificates: self.ca_certificates.as_deref(),
            ca_certificates_only: self.ca_certificates_only,
            proxy: self.proxy.as_deref(),
            proxy_from_environment: self.proxy_from_environment,
        }
    }

    /// The `/api/v1/track` endpoint under the configured base URL.
    pub fn track_url(&self) -> Result<String> {
        Ok(CollectorUrl::parse(&self.collector_url)?.track_url())
    }

    /// Every text option has a limit, so that no value can make every request too
    /// large for the collector (they go into each request's header).
    fn check_text_limits(&self) -> Result<()> {
        let texts = [
            ("shared_secret_key", Some(&self.shared_secret_key)),
            ("device_id", Some(&self.device_id)),
            ("client_id", Some(&self.client_id)),
            ("system_version", Some(&self.system_version)),
            ("product_version", Some(&self.product_version)),
            ("device_make", self.device_make.as_ref()),
            ("device_model", self.device_model.as_ref()),
            ("system", self.system.as_ref()),
            ("system_language", self.system_language.as_ref()),
            ("browser", self.browser.as_ref()),
            ("browser_version", self.browser_version.as_ref()),
            ("product_git_hash", self.product_git_hash.as_ref()),
            ("product_language", self.product_language.as_ref()),
            ("country", self.country.as_ref()),
            ("user_id_salt", self.user_id_salt.as_ref()),
        ];
        for (name, value) in texts {
            let len = value.map_or(0, String::len);
            if len > MAX_OPTION_BYTES {
                return Err(Error::invalid(format!(
                    "{name} is {len} bytes; the limit is {MAX_OPTION_BYTES} bytes"
                )));
            }
        }
        let paths = [
            ("database_path", &self.database_path),
            ("database_directory", &self.database_directory),
        ];
        for (name, path) in paths {
            let len = path.as_ref().map_or(0, |p| p.as_os_str().len());
            if len > MAX_PATH_BYTES {
                return Err(Error::invalid(format!(
                    "{name} is {len} bytes; the limit is {MAX_PATH_BYTES} bytes"
                )));
            }
        }
        Ok(())
    }

    /// A database path names the file and a database directory only where the
    /// library names it: the two together would leave one of them silently unused.
    fn check_database_location(&self) -> Result<()> {
        if self.database_path.is_some() && self.database_directory.is_some() {
            return Err(Error::invalid(
                "database_path and database_directory are both set: set one (database_path \
                 names the queue file; database_directory only the directory in which the \
                 library names it after the client id)",
            ));
        }
        if self
            .database_directory
            .as_ref()
            .is_some_and(|d| d.as_os_str().is_empty())
        {
            return Err(Error::invalid("database_directory must not be empty"));
        }
        Ok(())
    }
}

impl fmt::Debug for TrackerConfig {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let redacted = |secret: &str| if secret.is_empty() { "" } else { "<redacted>" };
        f.debug_struct("TrackerConfig")
            .field("collector_url", &redact_userinfo(&self.collector_url))
            .field("shared_secret_key", &redacted(&self.shared_secret_key))
            .field("device_id", &self.device_id)
            .field("client_id", &self.client_id)
            .field("system_version", &self.system_version)
            .field("product_version", &self.product_version)
            .field("env", &self.env)
            .field("device_make", &self.device_make)
            .field("device_model", &self.device_model)
            .field("system", &self.system)
            .field("system_language", &self.system_language)
            .field("browser", &self.browser)
            .field("browser_version", &self.browser_version)
            .field("product_git_hash", &self.product_git_hash)
            .field("product_language", &self.product_language)
            .field("queue_size", &self.queue_size)
            .field("queue_retention_minutes", &self.queue_retention_minutes)
            .field("database_path", &self.database_path)
            .field("database_directory", &self.database_directory)
            .field("payload_format", &self.payload_format)
            .field("request_timeout", &self.request_timeout)
            .field("ip", &self.ip)
            .field("country", &self.country)
            .field("user_id_salt", &self.user_id_salt.as_deref().map(redacted))
            .field("max_queued_events", &self.max_queued_events)
            .field(
                "accept_invalid_certs_for_loopback",
                &self.accept_invalid_certs_for_loopback,
            )
            .field(
                "ca_certificates",
                &self.ca_certificates.as_ref().map(String::len),
            )
            .field("ca_certificates_only", &self.ca_certificates_only)
            .field(
                "proxy",
                &self.proxy.as_deref().map(crate::net::proxy_url::redact),
            )
            .field("proxy_from_environment", &self.proxy_from_environment)
            .finish()
    }
}

/// Turns the spec's integer environment into the wire enum.
pub fn environment_from_i32(value: i32) -> Result<Environment> {
    Environment::try_from(value)
        .map_err(|_| Error::invalid(format!("env {value} is not an environment (0 to 11)")))
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
        assert_eq!(
            config.track_url().unwrap(),
            "https://t.example.com/api/v1/track"
        );
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
    fn a_database_path_and_a_database_directory_are_not_both_taken() {
        let both = TrackerConfig {
            database_path: Some("q.sqlite3".into()),
            database_directory: Some("queues".into()),
            ..complete()
        };
        let message = both.validate().unwrap_err().message().to_string();
        assert!(
            message.contains("database_path") && message.contains("database_directory"),
            "{message}"
        );
        for (path, directory) in [(Some("q.sqlite3"), None), (None, Some("queues"))] {
            let one = TrackerConfig {
                database_path: path.map(PathBuf::from),
                database_directory: directory.map(PathBuf::from),
                ..complete()
            };
            one.validate().unwrap();
        }
        let empty = TrackerConfig {
            database_directory: Some(PathBuf::new()),
            ..complete()
        };
        assert_eq!(
            empty.validate().unwrap_err().message(),
            "database_directory must not be empty"
        );
        let long = TrackerConfig {
            database_directory: Some("d".repeat(MAX_PATH_BYTES + 1).into()),
            ..complete()
        };
        assert_eq!(
            long.validate().unwrap_err().message(),
            format!(
                "database_directory is {} bytes; the limit is {MAX_PATH_BYTES} bytes",
                MAX_PATH_BYTES + 1
            )
        );
    }

    #[test]
    fn environment_range_is_checked() {
        assert_eq!(environment_from_i32(11).unwrap(), Environment::Development);
        assert!(environment_from_i32(12).is_err());
        assert!(environment_from_i32(-1).is_err());
    }
}
