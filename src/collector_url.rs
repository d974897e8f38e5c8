//! The collector's base URL, parsed once at configuration with the parser the HTTP
//! client sends with (`http::Uri`), plus the rules that parser leaves open: exactly
//! what can be sent is accepted, and a refusal names the problem.

use std::net::{IpAddr, Ipv6Addr};

use ureq::http::Uri;

use crate::error::{Error, Result};
use crate::wire::request::TRACK_PATH;

/// The longest collector URL accepted, in bytes.
pub const MAX_COLLECTOR_URL_BYTES: usize = 2048;

/// A collector base URL that passed every check.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct CollectorUrl {
    https: bool,
    /// `user[:password]`, sent as Basic authorization.
    userinfo: Option<String>,
    /// Lower case; an IPv6 address without its brackets.
    host: String,
    port: Option<u16>,
    /// Without a trailing slash; empty for the root.
    path: String,
}

impl CollectorUrl {
    /// Parses `text`, e.g. `https://t.example.com` or `http://127.0.0.1:8080/base`.
    pub fn parse(text: &str) -> Result<CollectorUrl> {
        CollectorUrl::parse_named(text, "collector_url")
    }

    /// Parses `text` with the collector URL's rules, naming `name` in a refusal (the
    /// proxy URL is checked by the same rules, `net::proxy_url`).
    pub(crate) fn parse_named(text: &str, name: &str) -> Result<CollectorUrl> {
        let refuse = |why: &str| Err(Error::invalid(format!("{name} {why}")));
        if text.is_empty() {
            return refuse("must not be empty");
        }
        if text.len() > MAX_COLLECTOR_URL_BYTES {
            return refuse(&format!(
                "is {} bytes; the limit is {MAX_COLLECTOR_URL_BYTES} bytes",
                text.len()
            ));
        }
        if let Some((at, c)) = text
            .char_indices()
            .find(|(_, c)| c.is_control() || c.is_whitespace())
        {
            return refuse(&format!(
                "contains {} at byte {at}",
                if c.is_control() {
                    "a control character"
                } else {
                    "white space"
                }
            ));
        }
        if !text.is_ascii() {
            return refuse(
                "contains a non-ASCII character: write an international host name in its \
                 punycode form (xn--…) and percent-encode the path",
            );
        }
        if text.contains('\\') {
            return refuse("contains a backslash");
        }
        if text.contains(['?', '#']) {
            return refuse("is the collector's base URL and takes no query or fragment");
        }
        let (scheme, rest) = match text.split_once("://") {
            Some((scheme, rest)) if scheme.eq_ignore_ascii_case("https") => (true, rest),
            Some((scheme, rest)) if scheme.eq_ignore_ascii_case("http") => (false, rest),
            _ => return refuse("must start with http:// or https://"),
        };
        let (authority, path) = rest.split_at(rest.find('/').unwrap_or(rest.len()));
        // Credentials (user:password@host) are sent as HTTP Basic authorization.
        let (userinfo, host_port) = match authority.rsplit_once('@') {
            Some((userinfo, host_port)) => (Some(userinfo), host_port),
            None => (None, authority),
        };
        if let Some(userinfo) = userinfo {
            let allowed = |b: u8| b.is_ascii_alphanumeric() || b"-._~!$&'()*+,;=:%".contains(&b);
            if !userinfo.bytes().all(allowed) {
                return refuse("has credentials (before '@') with characters a URL cannot carry: percent-encode them");
            }
        }
        let (host, port) =
            split_host_port(host_port).map_err(|why| Error::invalid(format!("{name} {why}")))?;
        let path = path.trim_end_matches('/').to_string();
        let url = CollectorUrl {
            https: scheme,
            userinfo: userinfo.map(str::to_string),
            host,
            port,
            path,
        };
        // What the HTTP client will parse must parse: the endpoint, exactly as sent.
        if let Err(error) = url.track_url().parse::<Uri>() {
            return refuse(&format!(
                "is not a URL the HTTP client can send to: {error}"
            ));
        }
        Ok(url)
    }

    /// The base URL in its normal form (scheme and host in lower case, no trailing
    /// slash).
    pub fn base(&self) -> String {
        let scheme = if self.https { "https" } else { "http" };
        let host = if self.host.contains(':') {
            format!("[{}]", self.host)
        } else {
            self.host.clone()
        };
        let port = self.port.map(|p| format!(":{p}")).unwrap_or_default();
        let userinfo = self
            .userinfo
            .as_ref()
            .map(|u| format!("{u}@"))
            .unwrap_or_default();
        format!("{scheme}://{userinfo}{host}{port}{}", self.path)
    }

    /// The endpoint events are posted to: `<base>/api/v1/track`.
    pub fn track_url(&self) -> String {
        format!("{}{TRACK_PATH}", self.base())
    }

    /// Whether the scheme is `https` (in any case).
    pub fn is_https(&self) -> bool {
        self.https
    }

    /// Lower case; an IPv6 address without its brackets.
    pub fn host(&self) -> &str {
        &self.host
    }

    /// The port given, if any.
    pub fn port(&self) -> Option<u16> {
        self.port
    }

    /// The port connected to: the one given, or the scheme's.
    pub fn effective_port(&self) -> u16 {
        self.port.unwrap_or(if self.https { 443 } else { 80 })
    }

    /// `user[:password]` as written (percent-encoded), if given.
    pub fn userinfo(&self) -> Option<&str> {
        self.userinfo.as_deref()
    }

    /// The path after the authority, without a trailing slash; empty for the root.
    pub fn path(&self) -> &str {
        &self.path
    }

    /// `host:port` as a request target or `Host` header has it (brackets around IPv6).
    pub fn host_port(&self) -> String {
        let host = if self.host.contains(':') {
            format!("[{}]", self.host)
        } else {
            self.host.clone()
        };
        format!("{host}:{}", self.effective_port())
    }

    /// Whether the host is this machine: `localhost` or a loopback address.
    pub fn is_loopback(&self) -> bool {
        self.host == "localhost" || self.host.parse::<IpAddr>().is_ok_and(|ip| ip.is_loopback())
    }
}

/// A URL without `user:password@`, so credentials never reach a message. Works on
/// any text, parsed or not (a configuration's URL is shown before it is checked).
pub fn redact_userinfo(url: &str) -> String {
    let Some((scheme, rest)) = url.split_once("://") else {
        return url.to_string();
    };
    let authority_end = rest.find('/').unwrap_or(rest.len());
    match rest[..authority_end].rfind('@') {
        Some(at) => format!("{scheme}://{}", &rest[at + 1..]),
        None => url.to_string(),
    }
}

/// Splits `host[:port]` or `[v6][:port]`, checking both.
fn split_host_port(authority: &str) -> std::result::Result<(String, Option<u16>), String> {
    let (host, port) = if let Some(bracketed) = authority.strip_prefix('[') {
        let (address, after) = bracketed
            .split_once(']')
            .ok_or("has an IPv6 address without its closing ']'")?;
        let address: Ipv6Addr = address
            .parse()
            .map_err(|_| format!("has [{address}], which is not an IPv6 address"))?;
        let port = match after {
            "" => None,
            _ => Some(
                after
                    .strip_prefix(':')
                    .ok_or("has text after its IPv6 address")?,
            ),
        };
        (address.to_string(), port)
    } else {
        match authority.rsplit_once(':') {
            Some((host, port)) => (host.to_ascii_lowercase(), Some(port)),
            None => (authority.to_ascii_lowercase(), None),
        }
    };
    if host.is_empty() {
        return Err("has no host".to_string());
    }
    if !host.contains(':') {
        check_host_name(&host)?;
    }
    let port = match port {
        None => None,
        Some(text) => {
            let number = (!text.is_empty() && text.bytes().all(|b| b.is_ascii_digit()))
                .then(|| text.parse::<u32>().ok())
                .flatten()
                .ok_or_else(|| format!("has port {text:?}, which is not a number"))?;
            if !(1..=65535).contains(&number) {
                return Err(format!("has port {number}; a port is 1 to 65535"));
            }
            Some(number as u16)
        }
    };
    Ok((host, port))
}

/// A DNS name (letters, digits, '-' and '_' in dot-separated labels) or an IPv4
/// address.
fn check_host_name(host: &str) -> std::result::Result<(), String> {
    let labels: Vec<&str> = host.strip_suffix('.').unwrap_or(host).split('.').collect();
    let label_ok = |label: &&str| {
        !label.is_empty()
            && label.len() <= 63
            && !label.starts_with('-')
            && !label.ends_with('-')
            && label
                .bytes()
                .all(|b| b.is_ascii_alphanumeric() || b == b'-' || b == b'_')
    };
    if host.len() > 253 || !labels.iter().all(label_ok) {
        return Err(format!(
            "has host {host:?}, which is not a host name or IP address"
        ));
    }
    // All-numeric labels are an IPv4 address, and must be a valid one.
    if labels.iter().all(|l| l.bytes().all(|b| b.is_ascii_digit()))
        && host.parse::<std::net::Ipv4Addr>().is_err()
    {
        return Err(format!(
            "has host {host:?}, which is not a valid IPv4 address"
        ));
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn accepted_urls_come_out_in_normal_form() {
        for (given, base) in [
            ("https://t.example.com", "https://t.example.com"),
            ("https://t.example.com/", "https://t.example.com"),
            (
                "HTTP://T.Example.COM:8080/Base/",
                "http://t.example.com:8080/Base",
            ),
            ("http://127.0.0.1:1", "http://127.0.0.1:1"),
            ("https://[::1]:65535/x", "https://[::1]:65535/x"),
            ("http://my_host.internal", "http://my_host.internal"),
            ("http://run-1@127.0.0.1:80", "http://run-1@127.0.0.1:80"),
            ("https://u:p%40ss@H", "https://u:p%40ss@h"),
        ] {
            let url = CollectorUrl::parse(given).unwrap_or_else(|e| panic!("{given}: {e}"));
            assert_eq!(url.base(), base, "{given}");
            assert!(url.track_url().parse::<Uri>().is_ok());
        }
    }

    #[test]
    fn urls_that_cannot_be_sent_are_refused_naming_the_problem() {
        for (bad, named) in [
            ("", "empty"),
            ("ftp://x", "http:// or https://"),
            ("t.example.com", "http:// or https://"),
            ("http://", "no host"),
            ("http://:80", "no host"),
            ("http://[::1", "closing ']'"),
            ("http://[::g]", "not an IPv6 address"),
            ("http://h:0", "port 0"),
            ("http://h:99999", "port 99999"),
            ("http://h:", "not a number"),
            ("http://h:8o", "not a number"),
            ("http://a b", "white space"),
            ("http://h\u{1}/", "control character"),
            ("http://h/\u{7f}", "control character"),
            ("http://a\\b", "backslash"),
            ("http://h/?q", "query"),
            ("http://h/#f", "fragment"),
            ("http://a@b@h", "credentials"),
            ("http://a\"b@h", "credentials"),
            ("http://bücher.de", "punycode"),
            ("http://h!x", "not a host name"),
            ("http://1.2.3.999", "IPv4"),
            ("http://-h", "not a host name"),
        ] {
            let error = CollectorUrl::parse(bad).expect_err(bad);
            assert!(error.message().contains(named), "{bad:?}: {error}");
        }
        let long = format!("http://h/{}", "a".repeat(MAX_COLLECTOR_URL_BYTES));
        assert!(CollectorUrl::parse(&long)
            .unwrap_err()
            .message()
            .contains("limit"));
    }

    #[test]
    fn loopback_is_decided_on_the_parsed_host() {
        for (url, loopback) in [
            ("https://127.0.0.1:8443", true),
            ("https://LOCALHOST", true),
            ("https://[::1]:8443/", true),
            ("https://[0:0:0:0:0:0:0:1]", true),
            ("https://127.0.0.1.example.com", false),
            ("https://localhost.example.com", false),
            ("https://10.0.0.1", false),
            ("https://user@10.0.0.1", false),
            ("https://127.0.0.1@example.com", false),
        ] {
            assert_eq!(
                CollectorUrl::parse(url).unwrap().is_loopback(),
                loopback,
                "{url}"
            );
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
