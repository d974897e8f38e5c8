//! How a tracker reaches its collector: which certificates it trusts (`trust`, `tls`),
//! which proxy it goes through (`proxy_url`, `proxy_env`, `absolute_form`), and the
//! HTTP agent that puts them together and keeps connections alive between requests.

mod absolute_form;
pub mod proxy_env;
pub mod proxy_url;
mod resolver;
mod system_or_own;
mod tls;
pub mod trust;

use ureq::unversioned::transport::{
    ConnectProxyConnector, Connector as _, RustlsConnector, TcpConnector,
};

use self::absolute_form::{AbsoluteForm, AbsoluteFormConnector, ProxyResolver};
use self::proxy_url::ProxyUrl;
use self::resolver::OwnThreadResolver;
use self::tls::TlsConnector;
use self::trust::{parse_ca_certificates, Anchors};
use std::time::Duration;

use crate::collector_url::CollectorUrl;
use crate::error::{Error, Result};

/// The options that say how the collector is reached, borrowed from a validated
/// configuration (`TrackerConfig::reach`): this module knows nothing else of it.
#[derive(Debug, Clone, Copy)]
pub struct Reach<'a> {
    pub collector_url: &'a str,
    /// The limit on each HTTP request, connection included.
    pub request_timeout: Duration,
    /// Skip certificate verification (validation allows it for a loopback collector).
    pub accept_invalid_certs_for_loopback: bool,
    /// PEM certificates trusted besides the platform's store, or instead of it.
    pub ca_certificates: Option<&'a str>,
    pub ca_certificates_only: bool,
    /// The configured proxy's URL.
    pub proxy: Option<&'a str>,
    /// Without `proxy`, use the one the environment's variables choose.
    pub proxy_from_environment: bool,
}

/// The proxy requests go through, and where it was chosen.
#[derive(Debug, Clone)]
pub struct Via {
    pub proxy: ProxyUrl,
    /// `proxy` (the option) or the environment variable's name.
    pub source: &'static str,
    /// A plain-HTTP collector: requests go to the proxy in absolute form, so the
    /// proxy's own answers (a 407) come back as statuses.
    pub absolute_form: bool,
}

impl std::fmt::Display for Via {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self.source {
            "proxy" => write!(f, "proxy {}", self.proxy),
            variable => write!(f, "proxy {} (from {variable})", self.proxy),
        }
    }
}

/// What a sender posts with.
pub struct Route {
    pub agent: ureq::Agent,
    /// `Ok(None)`: directly to the collector. `Err`: a proxy variable names a proxy
    /// that cannot be used; every request fails with it, and events stay queued.
    pub via: std::result::Result<Option<Via>, Error>,
}

/// The proxy for `collector`: the configured one, else (unless turned off) the one the
/// environment chooses, read now.
pub fn choose_proxy(
    reach: &Reach<'_>,
    collector: &CollectorUrl,
) -> Result<Option<(&'static str, ProxyUrl)>> {
    if let Some(proxy) = reach.proxy {
        return Ok(Some(("proxy", ProxyUrl::parse(proxy, "proxy", false)?)));
    }
    if !reach.proxy_from_environment {
        return Ok(None);
    }
    proxy_env::proxy_for(collector, |name| std::env::var(name).ok())
}

/// The trust anchors: the platform's store with the app's own CA certificates (PEM)
/// added, or (`only`) those alone.
pub fn anchors(ca_certificates: Option<&str>, only: bool) -> Result<Anchors> {
    let certificates = match ca_certificates {
        Some(pem) => parse_ca_certificates(pem)?,
        None => Vec::new(),
    };
    Ok(if only {
        Anchors::Only(certificates)
    } else {
        Anchors::Platform(certificates)
    })
}

/// The agent for a validated configuration's options.
pub fn route(reach: &Reach<'_>) -> Result<Route> {
    let collector = CollectorUrl::parse(reach.collector_url)?;
    let via = choose_proxy(reach, &collector).map(|chosen| {
        chosen.map(|(source, proxy)| Via {
            proxy,
            source,
            absolute_form: !collector.is_https(),
        })
    });
    let tunnel = match &via {
        Ok(Some(via)) if !via.absolute_form => Some(
            ureq::Proxy::new(&via.proxy.with_credentials())
                .map_err(|e| Error::invalid(format!("{via} cannot be used: {e}")))?,
        ),
        _ => None,
    };
    let anchors = if reach.accept_invalid_certs_for_loopback {
        None
    } else {
        Some(anchors(reach.ca_certificates, reach.ca_certificates_only)?)
    };
    let agent_config = ureq::Agent::config_builder()
        .timeout_global(Some(reach.request_timeout))
        .http_status_as_error(false)
        // A redirected POST would arrive unsigned or not at all: treat it as an error.
        .max_redirects(0)
        .user_agent(concat!("hamustro/", env!("CARGO_PKG_VERSION")))
        // The proxy is chosen above; ureq's own reading of the environment is not used.
        .proxy(tunnel)
        .tls_config(
            ureq::tls::TlsConfig::builder()
                // Validation refuses this for anything but a loopback collector; it is
                // then ureq's TLS link that connects (`TlsConnector` passes it on).
                .disable_verification(reach.accept_invalid_certs_for_loopback)
                .root_certs(ureq::tls::RootCerts::PlatformVerifier)
                .build(),
        )
        .build();
    let form = match &via {
        Ok(Some(via)) if via.absolute_form => {
            Some((AbsoluteForm::new(&collector.host_port(), &via.proxy), via))
        }
        _ => None,
    };
    let chain = ()
        .chain(ConnectProxyConnector::default())
        .chain(TcpConnector::default())
        .chain(TlsConnector::new(anchors))
        .chain(RustlsConnector::default())
        .chain(AbsoluteFormConnector(form.as_ref().map(|(f, _)| f.clone())));
    let agent = match form {
        Some((_, via)) => {
            let resolver = ProxyResolver::new(&via.proxy)
                .map_err(|e| Error::invalid(format!("{via} cannot be used: {e}")))?;
            ureq::Agent::with_parts(agent_config, chain, resolver)
        }
        None => ureq::Agent::with_parts(agent_config, chain, OwnThreadResolver),
    };
    Ok(Route { agent, via })
}
