//! Collector URLs through `TrackerConfig::validate`: a URL it accepts can be sent,
//! so `track_url()` parses as an HTTP URI with an http or https scheme, a non-empty
//! host and, when a port is given, one in 1..=65535; the loopback-only certificate
//! opt-out is accepted only when that parsed host is a loopback one. URLs made of
//! plainly valid parts (any case of scheme, a loopback or single-label host, a port
//! in range, a plain path) must be accepted. Nothing here touches the network.
#![no_main]

use std::net::IpAddr;

use arbitrary::Arbitrary;
use hamustro::internals::collector_url::MAX_COLLECTOR_URL_BYTES;
use hamustro::TrackerConfig;
use libfuzzer_sys::fuzz_target;
use ureq::http::Uri;

#[derive(Arbitrary, Debug)]
enum Url {
    /// Anything at all.
    Text(String),
    /// Assembled from parts, each of which may be odd.
    Parts {
        scheme: Scheme,
        separator: Separator,
        userinfo: Option<String>,
        host: Host,
        port: Option<Port>,
        path: String,
    },
}

#[derive(Arbitrary, Debug, Clone, Copy)]
enum Scheme {
    Http,
    Https,
    /// Mixed case: schemes are case-insensitive.
    Cased(bool, bool, bool, bool, bool),
    Other,
}

#[derive(Arbitrary, Debug, Clone, Copy)]
enum Separator {
    Standard,
    OneSlash,
    NoSlash,
    Backslashes,
}

#[derive(Arbitrary, Debug, Clone)]
enum Host {
    Ipv4Loopback,
    Ipv6Loopback,
    Localhost,
    /// A one-label name, never an outside host name.
    Label(u8),
    Ipv4([u8; 4]),
    Ipv6([u16; 8]),
    UnclosedBracket,
    Empty,
    Text(String),
}

#[derive(Arbitrary, Debug, Clone)]
enum Port {
    Number(u32),
    Text(String),
}

#[derive(Arbitrary, Debug)]
struct Input {
    url: Url,
    accept_invalid_certs_for_loopback: bool,
}

fuzz_target!(|input: Input| {
    let (url, plainly_valid) = render(&input.url);
    let mut config = TrackerConfig::new(url.clone(), "s", "d", "c", "1");
    config.system_version = "1".into();
    config.accept_invalid_certs_for_loopback = input.accept_invalid_certs_for_loopback;
    let accepted = config.validate();
    if let Err(error) = &accepted {
        assert!(!error.message().is_empty());
        assert!(
            !plainly_valid || input.accept_invalid_certs_for_loopback,
            "the valid collector_url {url:?} was refused: {}",
            error.message()
        );
        return;
    }
    let track_url = config
        .track_url()
        .unwrap_or_else(|e| panic!("collector_url {url:?} validated but has no endpoint: {e}"));
    let uri: Uri = track_url.parse().unwrap_or_else(|e| {
        panic!("collector_url {url:?} was accepted but {track_url:?} is not a URI: {e}")
    });
    let scheme = uri.scheme_str().unwrap_or_default();
    assert!(
        scheme.eq_ignore_ascii_case("http") || scheme.eq_ignore_ascii_case("https"),
        "collector_url {url:?} was accepted with scheme {scheme:?}"
    );
    let host = uri.host().unwrap_or_default();
    assert!(
        !host.is_empty(),
        "collector_url {url:?} was accepted without a host"
    );
    if let Some(port) = uri.port() {
        assert!(
            port.as_u16() >= 1,
            "collector_url {url:?} was accepted with port 0"
        );
    }
    // `Uri::port` gives up on a port that does not fit a u16: read the authority.
    // An empty port is the scheme's default (RFC 3986, 3.2.3).
    let authority = uri.authority().map(|a| a.as_str()).unwrap_or_default();
    // Credentials (user:password@) come before the host, and may hold a ':'.
    let authority = authority
        .rsplit_once('@')
        .map_or(authority, |(_, host)| host);
    let after_host = authority
        .rsplit_once(']')
        .map_or(authority, |(_, rest)| rest);
    if let Some((_, port)) = after_host.rsplit_once(':').filter(|(_, p)| !p.is_empty()) {
        assert!(
            port.parse::<u16>().is_ok_and(|p| p >= 1),
            "collector_url {url:?} was accepted with port {port:?}"
        );
    }
    if input.accept_invalid_certs_for_loopback {
        let bare = host.trim_start_matches('[').trim_end_matches(']');
        let loopback = bare.eq_ignore_ascii_case("localhost")
            || bare.parse::<IpAddr>().is_ok_and(|ip| ip.is_loopback());
        assert!(
            loopback,
            "certificate checks were switched off for {url:?}, whose host {host:?} is not loopback"
        );
    }
});

/// The URL text, and whether every part of it is plainly valid.
fn render(url: &Url) -> (String, bool) {
    let Url::Parts {
        scheme,
        separator,
        userinfo,
        host,
        port,
        path,
    } = url
    else {
        let Url::Text(text) = url else { unreachable!() };
        return (text.clone(), false);
    };
    let mut valid = true;
    let mut out = String::new();
    match scheme {
        Scheme::Http => out.push_str("http"),
        Scheme::Https => out.push_str("https"),
        Scheme::Cased(a, b, c, d, e) => {
            for (ch, upper) in "https".chars().zip([a, b, c, d, e]) {
                out.push(if *upper { ch.to_ascii_uppercase() } else { ch });
            }
        }
        Scheme::Other => {
            out.push_str("ftp");
            valid = false;
        }
    }
    match separator {
        Separator::Standard => out.push_str("://"),
        Separator::OneSlash => {
            out.push_str(":/");
            valid = false;
        }
        Separator::NoSlash => {
            out.push(':');
            valid = false;
        }
        Separator::Backslashes => {
            out.push_str(":\\\\");
            valid = false;
        }
    }
    if let Some(userinfo) = userinfo {
        out.push_str(userinfo);
        out.push('@');
        valid = false;
    }
    match host {
        Host::Ipv4Loopback => out.push_str("127.0.0.1"),
        Host::Ipv6Loopback => out.push_str("[::1]"),
        Host::Localhost => out.push_str("localhost"),
        Host::Label(n) => out.push_str(&format!("collector{n}")),
        Host::Ipv4(octets) => out.push_str(&std::net::Ipv4Addr::from(*octets).to_string()),
        Host::Ipv6(segments) => {
            out.push_str(&format!("[{}]", std::net::Ipv6Addr::from(*segments)));
        }
        Host::UnclosedBracket => {
            out.push_str("[::1");
            valid = false;
        }
        Host::Empty => valid = false,
        Host::Text(text) => {
            out.push_str(text);
            valid = false;
        }
    }
    match port {
        None => {}
        Some(Port::Number(n)) => {
            out.push_str(&format!(":{n}"));
            valid &= (1..=65535).contains(n);
        }
        Some(Port::Text(text)) => {
            out.push(':');
            out.push_str(text);
            valid = false;
        }
    }
    if !path.is_empty() {
        out.push('/');
        out.push_str(path);
        valid &= path
            .bytes()
            .all(|b| b.is_ascii_alphanumeric() || b"-._~/".contains(&b));
    }
    // A long path can take a well-formed URL past the limit, which refuses it.
    valid &= out.len() <= MAX_COLLECTOR_URL_BYTES;
    (out, valid)
}
