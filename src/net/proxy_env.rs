//! The proxy the standard environment variables choose for a collector, read the way
//! curl reads them: `https_proxy`/`HTTPS_PROXY` for an https:// collector,
//! `http_proxy`/`HTTP_PROXY` for an http:// one, then `all_proxy`/`ALL_PROXY`; the
//! lower-case name first, an empty value as unset; `no_proxy`/`NO_PROXY` lists the
//! hosts reached directly.

use std::net::IpAddr;

use super::proxy_url::ProxyUrl;
use crate::collector_url::CollectorUrl;
use crate::error::Result;

/// The variable that named the proxy, and the proxy.
pub type EnvironmentProxy = (&'static str, ProxyUrl);

/// The proxy for `collector` by the variables `var` reads (`std::env::var` in the
/// library; a table in tests). `Ok(None)`: connect directly. A variable naming a proxy
/// that cannot be used is an error naming the variable.
pub fn proxy_for(
    collector: &CollectorUrl,
    var: impl Fn(&str) -> Option<String>,
) -> Result<Option<EnvironmentProxy>> {
    let set = |name: &str| var(name).filter(|value| !value.trim().is_empty());
    if let Some(list) = set("no_proxy").or_else(|| set("NO_PROXY")) {
        if no_proxy_matches(&list, collector) {
            return Ok(None);
        }
    }
    let names: &[&'static str] = if collector.is_https() {
        &["https_proxy", "HTTPS_PROXY", "all_proxy", "ALL_PROXY"]
    } else if set("REQUEST_METHOD").is_some() {
        // A CGI program: `HTTP_PROXY` may be a request's `Proxy:` header ("httpoxy"), so
        // only the lower-case name counts, as in curl, Go and Python.
        &["http_proxy", "all_proxy", "ALL_PROXY"]
    } else {
        &["http_proxy", "HTTP_PROXY", "all_proxy", "ALL_PROXY"]
    };
    for &name in names {
        if let Some(value) = set(name) {
            return Ok(Some((name, ProxyUrl::parse(value.trim(), name, true)?)));
        }
    }
    Ok(None)
}

/// Whether the comma- (or space-) separated `list` names the collector: `*` names every
/// host; `example.com` and `.example.com` name that host and every host under it
/// (`*.example.com` too); an IP address, or a CIDR block like `10.0.0.0/8`, names
/// addresses written in the URL (names are not resolved); `host:port` names the host
/// on that port only (curl ignores ports; Go and Python honour them).
pub fn no_proxy_matches(list: &str, collector: &CollectorUrl) -> bool {
    let host = collector.host();
    let port = collector.effective_port();
    list.split([',', ' ', '\t'])
        .map(str::trim)
        .filter(|entry| !entry.is_empty())
        .any(|entry| entry == "*" || entry_matches(entry, host, port))
}

fn entry_matches(entry: &str, host: &str, port: u16) -> bool {
    let (pattern, entry_port) = split_port(entry);
    if entry_port.is_some_and(|p| p != port) {
        return false;
    }
    let pattern = pattern.to_ascii_lowercase();
    if let Some(matches) = ip_matches(&pattern, host) {
        return matches;
    }
    let pattern = pattern.strip_prefix("*.").unwrap_or(&pattern);
    let pattern = pattern.trim_start_matches('.').trim_end_matches('.');
    let host = host.trim_end_matches('.');
    !pattern.is_empty()
        && (host == pattern
            || host
                .strip_suffix(pattern)
                .is_some_and(|head| head.ends_with('.')))
}

/// `host:port`, `[v6]:port`, `[v6]` or a bare pattern (an unbracketed IPv6 address
/// has no port).
fn split_port(entry: &str) -> (&str, Option<u16>) {
    if let Some(rest) = entry.strip_prefix('[') {
        return match rest.split_once(']') {
            Some((address, after)) => (
                address,
                after.strip_prefix(':').and_then(|p| p.parse().ok()),
            ),
            None => (entry, None),
        };
    }
    match entry.rsplit_once(':') {
        Some((host, port)) if !host.contains(':') => match port.parse() {
            Ok(port) => (host, Some(port)),
            Err(_) => (entry, None),
        },
        _ => (entry, None),
    }
}

/// `Some(whether it matches)` when `pattern` is an address or a CIDR block; `None`
/// when it is a name.
fn ip_matches(pattern: &str, host: &str) -> Option<bool> {
    let (address, bits) = match pattern.split_once('/') {
        Some((address, bits)) => (address, Some(bits.parse::<u32>().ok()?)),
        None => (pattern, None),
    };
    let network: IpAddr = address.parse().ok()?;
    let Ok(host) = host.parse::<IpAddr>() else {
        return Some(false);
    };
    Some(match (network, host) {
        (IpAddr::V4(n), IpAddr::V4(h)) => {
            prefix_equal(&n.octets(), &h.octets(), bits.unwrap_or(32))
        }
        (IpAddr::V6(n), IpAddr::V6(h)) => {
            prefix_equal(&n.octets(), &h.octets(), bits.unwrap_or(128))
        }
        _ => false,
    })
}

/// Whether the first `bits` bits of `a` and `b` are equal (a prefix longer than the
/// address never matches, as in curl).
fn prefix_equal(a: &[u8], b: &[u8], bits: u32) -> bool {
    let bits = bits as usize;
    if bits > a.len() * 8 {
        return false;
    }
    let (whole, rest) = (bits / 8, bits % 8);
    a[..whole] == b[..whole] && (rest == 0 || (a[whole] ^ b[whole]) >> (8 - rest) == 0)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn url(text: &str) -> CollectorUrl {
        CollectorUrl::parse(text).unwrap()
    }

    fn chosen(collector: &str, vars: &[(&str, &str)]) -> Option<String> {
        proxy_for(&url(collector), |name| {
            vars.iter()
                .find(|(n, _)| *n == name)
                .map(|(_, v)| (*v).to_string())
        })
        .unwrap()
        .map(|(name, proxy)| format!("{name} {proxy}"))
    }

    #[test]
    fn the_collectors_scheme_picks_the_variable_as_in_curl() {
        let all = [
            ("https_proxy", "http://s:1"),
            ("HTTPS_PROXY", "http://S:2"),
            ("http_proxy", "http://h:3"),
            ("HTTP_PROXY", "http://H:4"),
            ("all_proxy", "http://a:5"),
            ("ALL_PROXY", "http://A:6"),
        ];
        assert_eq!(chosen("https://c", &all).unwrap(), "https_proxy http://s:1");
        assert_eq!(chosen("http://c", &all).unwrap(), "http_proxy http://h:3");
        assert_eq!(
            chosen("https://c", &all[1..]).unwrap(),
            "HTTPS_PROXY http://s:2"
        );
        assert_eq!(
            chosen("https://c", &all[2..]).unwrap(),
            "all_proxy http://a:5"
        );
        assert_eq!(
            chosen("http://c", &all[3..]).unwrap(),
            "HTTP_PROXY http://h:4"
        );
        assert_eq!(chosen("http://c", &[("https_proxy", "http://s:1")]), None);
        assert_eq!(chosen("https://c", &[("https_proxy", " ")]), None);
        let cgi = [("HTTP_PROXY", "http://evil:1"), ("REQUEST_METHOD", "GET")];
        assert_eq!(chosen("http://c", &cgi), None);
    }

    #[test]
    fn no_proxy_names_hosts_domains_addresses_and_ports() {
        for (list, collector, direct) in [
            ("*", "https://c.example.com", true),
            ("example.com", "https://example.com", true),
            ("example.com", "https://c.EXAMPLE.com", true),
            (".example.com", "https://c.example.com", true),
            ("*.example.com", "https://c.example.com", true),
            ("example.com", "https://notexample.com", false),
            ("other.org, example.com", "https://c.example.com", true),
            ("127.0.0.1", "http://127.0.0.1:8080", true),
            ("10.0.0.0/8", "http://10.1.2.3", true),
            ("10.0.0.0/8", "http://11.1.2.3", false),
            ("::1", "http://[::1]:80", true),
            ("[::1]:80", "http://[::1]", true),
            ("example.com:8443", "https://example.com:8443", true),
            ("example.com:8443", "https://example.com", false),
            ("localhost", "http://127.0.0.1", false),
            ("", "http://c", false),
        ] {
            assert_eq!(
                no_proxy_matches(list, &url(collector)),
                direct,
                "{list:?} {collector}"
            );
        }
        let vars = [("NO_PROXY", "c"), ("HTTPS_PROXY", "http://p:1")];
        assert_eq!(chosen("https://c", &vars), None);
    }

    #[test]
    fn an_unusable_variable_is_named() {
        let error = proxy_for(&url("https://c"), |name| {
            (name == "HTTPS_PROXY").then(|| "socks5://u:pw@p:1080".to_string())
        })
        .unwrap_err();
        assert!(error.message().starts_with("HTTPS_PROXY "), "{error}");
        assert!(!error.message().contains("pw"), "{error}");
    }
}
