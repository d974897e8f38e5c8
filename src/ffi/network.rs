//! `hamustro_config_*` for how a tracker reaches its collector: the certificates it
//! trusts and the proxy it goes through. Checked when set, so a mistake is refused
//! where it is made.

use std::ffi::c_char;

use super::config::{update, HamustroConfig};
use super::convert::optional_str;
use super::status::HamustroStatus;
use crate::net::proxy_url::ProxyUrl;
use crate::net::trust::parse_ca_certificates;

/// Trusts these CA certificates too: one or more PEM blocks ("-----BEGIN
/// CERTIFICATE-----" … "-----END CERTIFICATE-----"), at most 256 KiB, e.g. a company's
/// private CA. By default they are added to the operating system's trust store;
/// `hamustro_config_set_ca_certificates_only` makes them the only anchors. NULL (the
/// default) trusts the operating system's store alone.
///
/// The store by platform: Windows' certificate stores (CryptoAPI), macOS's and iOS's
/// keychains and trust settings (Security framework), and on Linux the system's CA
/// bundle (`SSL_CERT_FILE` or `SSL_CERT_DIR` when set, instead of the usual places);
/// where a Linux system has no CA certificate at all, the compiled-in Mozilla roots.
///
/// Text that is not PEM, or holds no certificate, or a certificate that cannot be a
/// trust anchor, is refused now with HAMUSTRO_STATUS_INVALID_ARGUMENT and a message
/// naming what is wrong; the option keeps its previous value.
///
/// # Safety
/// `pem` is NULL or a NUL-terminated string (copied before the call returns).
#[no_mangle]
pub unsafe extern "C" fn hamustro_config_set_ca_certificates(
    config: HamustroConfig,
    pem: *const c_char,
) -> HamustroStatus {
    update(config, |c| {
        // SAFETY: forwarded from this function's contract.
        let pem = unsafe { optional_str(pem, "ca_certificates") }?;
        if let Some(pem) = pem {
            parse_ca_certificates(pem)?;
        }
        c.ca_certificates = pem.map(str::to_string);
        Ok(())
    })
}

/// `true` trusts the certificates of `hamustro_config_set_ca_certificates` alone, not
/// the operating system's store: the collector is pinned to its private CA.
/// `hamustro_tracker_new` refuses `true` without CA certificates. Default `false`.
#[no_mangle]
pub extern "C" fn hamustro_config_set_ca_certificates_only(
    config: HamustroConfig,
    only: bool,
) -> HamustroStatus {
    update(config, |c| {
        c.ca_certificates_only = only;
        Ok(())
    })
}

/// The HTTP proxy every request goes through: "http://[user:password@]host[:port]"
/// (port 1080 when none is given, as in curl; the credentials percent-encoded, sent as
/// Proxy-Authorization Basic and never logged: messages name the proxy as
/// "http://host:port"). An https:// collector is reached through a CONNECT tunnel, an
/// http:// one with its request in absolute form ("POST http://host/api/v1/track").
/// Checked now by the collector URL's rules (no path); anything else is refused with
/// HAMUSTRO_STATUS_INVALID_ARGUMENT.
///
/// A proxy set here is used whatever the environment says (NO_PROXY included). NULL
/// (the default) leaves the choice to the environment, see
/// `hamustro_config_set_proxy_from_environment`.
///
/// A proxy that cannot be reached, refuses the tunnel or answers 407 is a delivery
/// failure like any other: the events stay queued, the backoff applies, and the error
/// names the proxy.
///
/// # Safety
/// `url` is NULL or a NUL-terminated string (copied before the call returns).
#[no_mangle]
pub unsafe extern "C" fn hamustro_config_set_proxy(
    config: HamustroConfig,
    url: *const c_char,
) -> HamustroStatus {
    update(config, |c| {
        // SAFETY: forwarded from this function's contract.
        let url = unsafe { optional_str(url, "proxy") }?;
        if let Some(url) = url {
            ProxyUrl::parse(url, "proxy", false)?;
        }
        c.proxy = url.map(str::to_string);
        Ok(())
    })
}

/// Whether, with no `hamustro_config_set_proxy`, the proxy is the one the standard
/// environment variables choose, read when the tracker is created, as curl reads them:
/// for an https:// collector https_proxy, then HTTPS_PROXY; for an http:// one
/// http_proxy, then HTTP_PROXY (not in a CGI program, where REQUEST_METHOD is set);
/// then all_proxy, then ALL_PROXY; an empty value counts as unset. no_proxy (or
/// NO_PROXY) lists hosts reached directly: "*" for all, a name for that host and the
/// hosts under it (".example.com" and "*.example.com" too), an IP address or CIDR
/// block for collectors given by address, "host:port" for that port only. A variable
/// naming a proxy that cannot be used (an https:// or socks:// one) makes each
/// delivery fail with a message naming the variable; the events stay queued.
/// Default `true`; `false` connects directly unless a proxy is set.
#[no_mangle]
pub extern "C" fn hamustro_config_set_proxy_from_environment(
    config: HamustroConfig,
    use_environment: bool,
) -> HamustroStatus {
    update(config, |c| {
        c.proxy_from_environment = use_environment;
        Ok(())
    })
}
