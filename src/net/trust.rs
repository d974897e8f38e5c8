//! Which certificates a collector's may chain to: the operating system's trust store
//! (rustls-platform-verifier), plus the app's own CA certificates, or those alone.
//!
//! Per platform, the default:
//! - Windows: `CryptoAPI`'s chain engine, so the machine's and user's root stores (and
//!   what group policy puts there).
//! - macOS, iOS: the Security framework's trust evaluation (the keychains and the
//!   user's trust settings).
//! - Linux and other Unix: the system's CA bundle and directory (`SSL_CERT_FILE` and
//!   `SSL_CERT_DIR` when set, instead of the usual places), checked by webpki. Where
//!   no certificate at all is found (a minimal container without `ca-certificates`)
//!   the compiled-in Mozilla roots (webpki-roots) take their place: that platform has
//!   no store to honour, and verification is never skipped for it.

use std::sync::Arc;

use rustls::client::danger::ServerCertVerifier;
use rustls::client::WebPkiServerVerifier;
use rustls::crypto::CryptoProvider;
use rustls::{ClientConfig, RootCertStore};
use rustls_pki_types::pem::{self, PemObject as _};
use rustls_pki_types::CertificateDer;

use super::system_or_own::SystemOrOwn;
use crate::error::{Error, Result};

/// The longest PEM text accepted for `ca_certificates`: room for about a hundred
/// certificates.
pub const MAX_CA_PEM_BYTES: usize = 256 * 1024;

/// The anchors a tracker verifies its collector against.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Anchors {
    /// The platform's store, plus these certificates (often none).
    Platform(Vec<CertificateDer<'static>>),
    /// These certificates and nothing else.
    Only(Vec<CertificateDer<'static>>),
}

/// The certificates of `pem`, each checked to be usable as a trust anchor. A refusal
/// names what is wrong and which certificate (counting from 1).
pub fn parse_ca_certificates(pem_text: &str) -> Result<Vec<CertificateDer<'static>>> {
    let refuse = |why: String| Err(Error::invalid(format!("ca_certificates {why}")));
    if pem_text.len() > MAX_CA_PEM_BYTES {
        return refuse(format!(
            "is {} bytes; the limit is {MAX_CA_PEM_BYTES} bytes",
            pem_text.len()
        ));
    }
    let mut certificates = Vec::new();
    for (index, item) in CertificateDer::pem_slice_iter(pem_text.as_bytes()).enumerate() {
        let number = index + 1;
        match item {
            Ok(certificate) => {
                // The parse a root store does: a certificate that is not one fails here.
                if let Err(error) = RootCertStore::empty().add(certificate.clone()) {
                    return refuse(format!(
                        "certificate {number} cannot be a trust anchor: {error}"
                    ));
                }
                certificates.push(certificate);
            }
            Err(pem::Error::NoItemsFound) => break,
            Err(error) => {
                return refuse(format!(
                    "is not valid PEM after certificate {index}: {}",
                    pem_error(&error)
                ))
            }
        }
    }
    if certificates.is_empty() {
        return refuse(
            "holds no certificate: expected one or more PEM blocks \
             \"-----BEGIN CERTIFICATE-----\" … \"-----END CERTIFICATE-----\""
                .to_string(),
        );
    }
    Ok(certificates)
}

fn pem_error(error: &pem::Error) -> String {
    match error {
        pem::Error::MissingSectionEnd { .. } => "a section has no END line".to_string(),
        pem::Error::IllegalSectionStart { .. } => "a BEGIN line is malformed".to_string(),
        pem::Error::Base64Decode(_) => "a section's base64 does not decode".to_string(),
        other => other.to_string(),
    }
}

/// The TLS client configuration for `anchors`. Reads the platform's store, so it is
/// built on the delivery thread, on first connecting.
pub fn client_config(anchors: &Anchors) -> Result<Arc<ClientConfig>> {
    let provider = Arc::new(rustls::crypto::ring::default_provider());
    let builder = ClientConfig::builder_with_provider(provider.clone())
        .with_protocol_versions(rustls::ALL_VERSIONS)
        .map_err(|e| tls_error(&e))?;
    let config = match anchors {
        Anchors::Only(certificates) => {
            builder.with_root_certificates(root_store(certificates, &[])?)
        }
        Anchors::Platform(extra) => builder
            .dangerous() // not dangerous: the platform's verifier verifies
            .with_custom_certificate_verifier(platform_verifier(extra, &provider)?),
    };
    Ok(Arc::new(config.with_no_client_auth()))
}

fn root_store(
    certificates: &[CertificateDer<'static>],
    trust_anchors: &[rustls_pki_types::TrustAnchor<'static>],
) -> Result<RootCertStore> {
    let mut store = RootCertStore {
        roots: trust_anchors.to_vec(),
    };
    for certificate in certificates {
        store.add(certificate.clone()).map_err(|e| tls_error(&e))?;
    }
    Ok(store)
}

/// The platform's verifier, or where a Unix system has no CA certificate at all, webpki
/// with the compiled-in Mozilla roots; beside it, webpki with the app's own CAs
/// (`system_or_own`).
fn platform_verifier(
    extra: &[CertificateDer<'static>],
    provider: &Arc<CryptoProvider>,
) -> Result<Arc<dyn ServerCertVerifier>> {
    use rustls_platform_verifier::Verifier;
    let system: Arc<dyn ServerCertVerifier> = match Verifier::new(provider.clone()) {
        Ok(verifier) => Arc::new(verifier),
        // The Unix verifier refuses to start with no certificate to verify against.
        Err(rustls::Error::General(message))
            if UNIX_STORE_READ_BY_WEBPKI && message.contains("No CA certificates") =>
        {
            crate::log::log(crate::log::Level::Warn, || {
                "no CA certificates found on this system (no ca-certificates bundle, or \
                 SSL_CERT_FILE/SSL_CERT_DIR naming none): verifying the collector against \
                 the compiled-in Mozilla roots"
                    .to_string()
            });
            webpki_verifier(&root_store(&[], webpki_roots::TLS_SERVER_ROOTS)?, provider)?
        }
        Err(error) => return Err(tls_error(&error)),
    };
    if extra.is_empty() {
        return Ok(system);
    }
    let own = webpki_verifier(&root_store(extra, &[])?, provider)?;
    Ok(Arc::new(SystemOrOwn { system, own }))
}

fn webpki_verifier(
    store: &RootCertStore,
    provider: &Arc<CryptoProvider>,
) -> Result<Arc<WebPkiServerVerifier>> {
    WebPkiServerVerifier::builder_with_provider(Arc::new(store.clone()), provider.clone())
        .build()
        .map_err(|error| Error::network(format!("cannot set up certificate checks: {error}")))
}

/// Where rustls-platform-verifier reads a CA bundle itself (and so may find none).
const UNIX_STORE_READ_BY_WEBPKI: bool = cfg!(all(
    unix,
    not(target_vendor = "apple"),
    not(target_os = "android")
));

fn tls_error(error: &rustls::Error) -> Error {
    Error::network(format!("cannot set up certificate checks: {error}"))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn malformed_or_empty_pem_is_refused_naming_the_problem() {
        for (pem, named) in [
            ("", "holds no certificate"),
            ("hello", "holds no certificate"),
            (
                "-----BEGIN PRIVATE KEY-----\nAAAA\n-----END PRIVATE KEY-----\n",
                "holds no certificate",
            ),
            ("-----BEGIN CERTIFICATE-----\nAAAA\n", "no END line"),
            (
                "-----BEGIN CERTIFICATE-----\n!!!!\n-----END CERTIFICATE-----\n",
                "base64",
            ),
            (
                "-----BEGIN CERTIFICATE-----\nAAAA\n-----END CERTIFICATE-----\n",
                "certificate 1 cannot be a trust anchor",
            ),
        ] {
            let error = parse_ca_certificates(pem).unwrap_err();
            assert!(
                error.message().starts_with("ca_certificates "),
                "{pem:?}: {error}"
            );
            assert!(error.message().contains(named), "{pem:?}: {error}");
        }
        let huge = "x".repeat(MAX_CA_PEM_BYTES + 1);
        assert!(parse_ca_certificates(&huge)
            .unwrap_err()
            .message()
            .contains("limit"));
    }
}
