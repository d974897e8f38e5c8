//! The system's trust store and the app's own CAs (`ca_certificates`), each checked by
//! its own verifier: a collector's chain is accepted when either accepts it.
//!
//! Why not rustls-platform-verifier's `new_with_extra_roots`: on Windows it builds a
//! `CryptoAPI` chain engine around an extra in-memory root store, which Wine does not
//! implement ("Invalid parameter" before any certificate was looked at), so neither
//! the app's CAs nor the system store could be used there. The app's anchors mean the
//! same on every platform this way: certificates webpki (rustls's own verifier) chains
//! to, beside whatever the platform trusts.

use std::sync::Arc;

use rustls::client::danger::{HandshakeSignatureValid, ServerCertVerified, ServerCertVerifier};
use rustls::client::WebPkiServerVerifier;
use rustls::{CertificateError, DigitallySignedStruct, Error, SignatureScheme};
use rustls_pki_types::{CertificateDer, ServerName, UnixTime};

#[derive(Debug)]
pub(super) struct SystemOrOwn {
    pub(super) system: Arc<dyn ServerCertVerifier>,
    pub(super) own: Arc<WebPkiServerVerifier>,
}

impl ServerCertVerifier for SystemOrOwn {
    fn verify_server_cert(
        &self,
        end_entity: &CertificateDer<'_>,
        intermediates: &[CertificateDer<'_>],
        server_name: &ServerName<'_>,
        ocsp_response: &[u8],
        now: UnixTime,
    ) -> Result<ServerCertVerified, Error> {
        let system = self.system.verify_server_cert(
            end_entity,
            intermediates,
            server_name,
            ocsp_response,
            now,
        );
        let Err(system_error) = system else {
            return system;
        };
        // The app's CAs: their verdict counts when the chain reached one of them (an
        // expired certificate, a wrong name); otherwise the system's says why.
        self.own
            .verify_server_cert(end_entity, intermediates, server_name, ocsp_response, now)
            .map_err(|own_error| match own_error {
                Error::InvalidCertificate(CertificateError::UnknownIssuer) => system_error,
                other => other,
            })
    }

    // Signatures are checked by the same provider's algorithms either way.
    fn verify_tls12_signature(
        &self,
        message: &[u8],
        cert: &CertificateDer<'_>,
        dss: &DigitallySignedStruct,
    ) -> Result<HandshakeSignatureValid, Error> {
        self.own.verify_tls12_signature(message, cert, dss)
    }

    fn verify_tls13_signature(
        &self,
        message: &[u8],
        cert: &CertificateDer<'_>,
        dss: &DigitallySignedStruct,
    ) -> Result<HandshakeSignatureValid, Error> {
        self.own.verify_tls13_signature(message, cert, dss)
    }

    fn supported_verify_schemes(&self) -> Vec<SignatureScheme> {
        self.own.supported_verify_schemes()
    }
}
