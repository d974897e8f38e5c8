//! An HTTP proxy's address, `http://[user:password@]host[:port]`, checked by the
//! collector URL's rules (`CollectorUrl::parse_named`), and shown only without its
//! credentials.

use std::fmt;

use base64::Engine as _;

use crate::collector_url::CollectorUrl;
use crate::error::{Error, Result};

/// The port of a proxy URL that names none, as curl has it.
pub const DEFAULT_PROXY_PORT: u16 = 1080;

/// A proxy address that passed every check. Its `Display` and `Debug` leave out the
/// credentials.
#[derive(Clone, PartialEq, Eq)]
pub struct ProxyUrl {
    url: CollectorUrl,
}

impl ProxyUrl {
    /// Parses `text` for the option or variable `name`. With `scheme_optional` (a value
    /// from the environment, as curl reads it) a bare `host:port` means `http://`.
    pub fn parse(text: &str, name: &str, scheme_optional: bool) -> Result<ProxyUrl> {
        let refuse = |why: &str| Err(Error::invalid(format!("{name} {why}")));
        let scheme = text.split_once("://").map(|(scheme, _)| scheme);
        let owned;
        let text = match scheme {
            Some(s) if s.eq_ignore_ascii_case("http") => text,
            Some(s) if s.eq_ignore_ascii_case("https") => {
                return refuse(
                    "is an https:// proxy, which is not supported: give the proxy's http:// \
                     address (an HTTPS collector is still reached through an encrypted tunnel)",
                )
            }
            Some(s) => {
                let shown: String = s.chars().take(16).collect();
                return refuse(&format!(
                    "has scheme {shown:?}: only http:// proxies are supported"
                ));
            }
            None if scheme_optional => {
                owned = format!("http://{text}");
                &owned
            }
            None => return refuse("must start with http://"),
        };
        let url = CollectorUrl::parse_named(text, name).map_err(|error| {
            // The parser's message may quote the text; never let credentials through.
            Error::invalid(redact(error.message()))
        })?;
        if !url.path().is_empty() {
            return refuse("is a proxy's address and takes no path");
        }
        Ok(ProxyUrl { url })
    }

    pub fn host(&self) -> &str {
        self.url.host()
    }

    pub fn port(&self) -> u16 {
        self.url.port().unwrap_or(DEFAULT_PROXY_PORT)
    }

    /// `host:port`, brackets around an IPv6 address.
    pub fn host_port(&self) -> String {
        let host = self.host();
        if host.contains(':') {
            format!("[{host}]:{}", self.port())
        } else {
            format!("{host}:{}", self.port())
        }
    }

    /// The full address with its credentials, for the HTTP client only.
    pub fn with_credentials(&self) -> String {
        match self.url.userinfo() {
            Some(userinfo) => format!("http://{userinfo}@{}", self.host_port()),
            None => format!("http://{}", self.host_port()),
        }
    }

    /// The `Proxy-Authorization` value for the credentials, if the URL has any.
    pub fn basic_authorization(&self) -> Option<String> {
        let userinfo = self.url.userinfo()?;
        let (user, password) = userinfo.split_once(':').unwrap_or((userinfo, ""));
        let plain = [
            percent_decode(user),
            b":".to_vec(),
            percent_decode(password),
        ]
        .concat();
        Some(format!(
            "Basic {}",
            base64::engine::general_purpose::STANDARD.encode(plain)
        ))
    }
}

impl fmt::Display for ProxyUrl {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "http://{}", self.host_port())
    }
}

impl fmt::Debug for ProxyUrl {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let credentials = if self.url.userinfo().is_some() {
            "<redacted>@"
        } else {
            ""
        };
        write!(f, "ProxyUrl(http://{credentials}{})", self.host_port())
    }
}

/// `%XX` sequences decoded; anything else as written.
fn percent_decode(text: &str) -> Vec<u8> {
    let bytes = text.as_bytes();
    let mut out = Vec::with_capacity(bytes.len());
    let mut i = 0;
    while i < bytes.len() {
        let hex = |b: u8| (b as char).to_digit(16);
        match (bytes[i], bytes.get(i + 1), bytes.get(i + 2)) {
            (b'%', Some(&h), Some(&l)) if hex(h).is_some() && hex(l).is_some() => {
                out.push((hex(h).unwrap_or(0) * 16 + hex(l).unwrap_or(0)) as u8);
                i += 3;
            }
            (b, _, _) => {
                out.push(b);
                i += 1;
            }
        }
    }
    out
}

/// `text` with every `scheme://user:password@` cut to `scheme://`: for messages that
/// may quote a URL.
pub fn redact(text: &str) -> String {
    let mut out = String::with_capacity(text.len());
    let mut rest = text;
    while let Some(at) = rest.find("://") {
        let (before, after) = rest.split_at(at + 3);
        out.push_str(before);
        let authority_end = after
            .find(|c: char| c == '/' || c == '"' || c.is_whitespace())
            .unwrap_or(after.len());
        match after[..authority_end].rfind('@') {
            Some(credentials_end) => rest = &after[credentials_end + 1..],
            None => rest = after,
        }
    }
    out.push_str(rest);
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn proxy_urls_are_checked_like_the_collectors() {
        let proxy = ProxyUrl::parse("HTTP://u:p%40ss@Proxy.Corp:3128/", "proxy", false).unwrap();
        assert_eq!(proxy.to_string(), "http://proxy.corp:3128");
        assert_eq!(proxy.with_credentials(), "http://u:p%40ss@proxy.corp:3128");
        assert_eq!(
            proxy.basic_authorization().unwrap(),
            format!(
                "Basic {}",
                base64::engine::general_purpose::STANDARD.encode("u:p@ss")
            )
        );
        assert!(!format!("{proxy:?}").contains("p%40ss"));
        let bare = ProxyUrl::parse("proxy:8080", "HTTPS_PROXY", true).unwrap();
        assert_eq!(bare.to_string(), "http://proxy:8080");
        assert_eq!(
            ProxyUrl::parse("http://[::1]", "proxy", false)
                .unwrap()
                .to_string(),
            "http://[::1]:1080"
        );
        for (bad, named) in [
            ("proxy:8080", "must start with http://"),
            ("https://p:443", "https:// proxy"),
            ("socks5://p:1080", "only http://"),
            ("http://p:3128/path", "no path"),
            ("http://p:0", "port 0"),
            ("http://a b:1", "white space"),
            ("http://user:secret@:1", "no host"),
        ] {
            let error = ProxyUrl::parse(bad, "proxy", false).unwrap_err();
            assert!(error.message().starts_with("proxy "), "{bad}: {error}");
            assert!(error.message().contains(named), "{bad}: {error}");
            assert!(!error.message().contains("secret"), "{bad}: {error}");
        }
    }

    #[test]
    fn redaction_cuts_every_credential() {
        assert_eq!(
            redact("via http://u:pw@p:1 to https://a:b@h/x@y"),
            "via http://p:1 to https://h/x@y"
        );
        assert_eq!(redact("no url"), "no url");
    }
}
