//! A plain-HTTP collector through an HTTP proxy: the request goes to the proxy with its
//! target in absolute form (`POST http://host:port/api/v1/track HTTP/1.1`), as curl and
//! browsers send it, because common proxies refuse `CONNECT` to ports other than 443.
//! ureq tunnels every proxied request through `CONNECT`, so this link of its
//! connector chain rewrites the request line (and adds `Proxy-Authorization`) on a
//! connection opened to the proxy, which `ProxyResolver` names in place of the
//! collector.

use std::fmt;

use super::resolver::OwnThreadResolver;
use ureq::config::Config;
use ureq::http::Uri;
use ureq::unversioned::resolver::{ResolvedSocketAddrs, Resolver};
use ureq::unversioned::transport::{
    Buffers, ConnectionDetails, Connector, Either, NextTimeout, Transport,
};

use super::proxy_url::ProxyUrl;

/// What the rewritten requests need: the collector's origin, for the request target, and
/// the proxy's credentials.
#[derive(Clone)]
pub struct AbsoluteForm {
    /// `http://host:port`, put before the path of each request line.
    origin: String,
    /// `Proxy-Authorization: Basic …\r\n`, or empty.
    authorization: String,
}

impl AbsoluteForm {
    pub fn new(collector_host_port: &str, proxy: &ProxyUrl) -> AbsoluteForm {
        AbsoluteForm {
            origin: format!("http://{collector_host_port}"),
            authorization: proxy
                .basic_authorization()
                .map(|value| format!("Proxy-Authorization: {value}\r\n"))
                .unwrap_or_default(),
        }
    }

    /// `head` with its request target made absolute and the proxy's credentials after
    /// the request line; `None` when `head` does not start with an origin-form request
    /// line.
    fn rewrite(&self, head: &[u8]) -> Option<Vec<u8>> {
        let line_end = head.windows(2).position(|w| w == b"\r\n")?;
        let line = &head[..line_end];
        let target_start = line.iter().position(|&b| b == b' ')? + 1;
        if line.get(target_start) != Some(&b'/') {
            return None;
        }
        let mut out = Vec::with_capacity(head.len() + self.origin.len() + self.authorization.len());
        out.extend_from_slice(&line[..target_start]);
        out.extend_from_slice(self.origin.as_bytes());
        out.extend_from_slice(&head[target_start..line_end + 2]);
        out.extend_from_slice(self.authorization.as_bytes());
        out.extend_from_slice(&head[line_end + 2..]);
        Some(out)
    }
}

impl fmt::Debug for AbsoluteForm {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("AbsoluteForm")
            .field("origin", &self.origin)
            .finish_non_exhaustive()
    }
}

/// The connector link: with `None`, connections pass through unchanged.
#[derive(Debug)]
pub struct AbsoluteFormConnector(pub Option<AbsoluteForm>);

impl<In: Transport> Connector<In> for AbsoluteFormConnector {
    type Out = Either<In, AbsoluteFormTransport>;

    fn connect(
        &self,
        _details: &ConnectionDetails,
        chained: Option<In>,
    ) -> Result<Option<Self::Out>, ureq::Error> {
        let Some(transport) = chained else {
            return Ok(None);
        };
        Ok(Some(match &self.0 {
            Some(form) => Either::B(AbsoluteFormTransport {
                inner: transport.boxed(),
                form: form.clone(),
                at_request_start: true,
            }),
            None => Either::A(transport),
        }))
    }
}

/// A connection to the proxy that rewrites each request's head on its way out.
#[derive(Debug)]
pub struct AbsoluteFormTransport {
    inner: Box<dyn Transport>,
    form: AbsoluteForm,
    /// The next output starts a request: true on a new connection and once an answer
    /// has been read (HTTP/1.1 without pipelining: a request follows its answer).
    at_request_start: bool,
}

impl Transport for AbsoluteFormTransport {
    fn buffers(&mut self) -> &mut dyn Buffers {
        self.inner.buffers()
    }

    fn transmit_output(&mut self, amount: usize, timeout: NextTimeout) -> Result<(), ureq::Error> {
        if !std::mem::take(&mut self.at_request_start) {
            return self.inner.transmit_output(amount, timeout);
        }
        let Some(head) = self.form.rewrite(&self.inner.buffers().output()[..amount]) else {
            return self.inner.transmit_output(amount, timeout);
        };
        // Longer than what ureq wrote: sent through the same buffer, a piece at a time.
        let mut rest = &head[..];
        while !rest.is_empty() {
            let output = self.inner.buffers().output();
            let n = output.len().min(rest.len());
            output[..n].copy_from_slice(&rest[..n]);
            self.inner.transmit_output(n, timeout)?;
            rest = &rest[n..];
        }
        Ok(())
    }

    fn await_input(&mut self, timeout: NextTimeout) -> Result<bool, ureq::Error> {
        self.at_request_start = true;
        self.inner.await_input(timeout)
    }

    fn is_open(&mut self) -> bool {
        self.inner.is_open()
    }
}

/// Resolves the proxy's name wherever ureq asks for the collector's: the connection is
/// opened to the proxy, and the collector's name is resolved by the proxy alone.
#[derive(Debug)]
pub struct ProxyResolver {
    proxy: Uri,
    inner: OwnThreadResolver,
}

impl ProxyResolver {
    pub fn new(proxy: &ProxyUrl) -> Result<ProxyResolver, ureq::http::uri::InvalidUri> {
        Ok(ProxyResolver {
            proxy: proxy.to_string().parse()?,
            inner: OwnThreadResolver,
        })
    }
}

impl Resolver for ProxyResolver {
    fn resolve(
        &self,
        _uri: &Uri,
        config: &Config,
        timeout: NextTimeout,
    ) -> Result<ResolvedSocketAddrs, ureq::Error> {
        self.inner.resolve(&self.proxy, config, timeout)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_request_line_gets_the_collectors_origin_and_the_credentials() {
        let proxy = ProxyUrl::parse("http://u:p@proxy:3128", "proxy", false).unwrap();
        let form = AbsoluteForm::new("c.example.com:80", &proxy);
        let head = b"POST /base/api/v1/track HTTP/1.1\r\nhost: c.example.com\r\n\r\n";
        let rewritten = String::from_utf8(form.rewrite(head).unwrap()).unwrap();
        assert_eq!(
            rewritten,
            "POST http://c.example.com:80/base/api/v1/track HTTP/1.1\r\n\
             Proxy-Authorization: Basic dTpw\r\nhost: c.example.com\r\n\r\n"
        );
        assert!(form.rewrite(b"\x0a\x05body").is_none());
        assert!(form.rewrite(b"POST http://x/ HTTP/1.1\r\n").is_none());
    }
}
