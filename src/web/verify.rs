//! TLS set-up and certificate verification that says why.
//!
//! rustls verifies against the system's trust store (rustls-native-certs) plus
//! `--cacert`, with webpki's rules. A failed verification normally aborts the handshake
//! with one error; netlab wants the whole picture (the chain as the server sent it, and
//! the precise reason), so its verifier runs webpki's, *records* the result, and lets the
//! handshake finish. The attempt then reads the record: without `-k` a chain that does not
//! verify ends the attempt before a single byte of the request is sent (as curl stops);
//! with `-k` the request goes on and the result still says it would not verify. The
//! handshake's signatures are always checked against the certificate's key, so `-k`
//! still proves the server holds the key of the certificate it showed.

use std::path::Path;
use std::sync::{Arc, Mutex};

use rustls::client::danger::{HandshakeSignatureValid, ServerCertVerified, ServerCertVerifier};
use rustls::client::WebPkiServerVerifier;
use rustls::crypto::CryptoProvider;
use rustls::pki_types::pem::PemObject;
use rustls::pki_types::{CertificateDer, ServerName, UnixTime};
use rustls::{CertificateError, ClientConfig, DigitallySignedStruct, Error, RootCertStore};
use rustls::{SignatureScheme, SupportedProtocolVersion};
use serde::Serialize;

/// Why a chain does not verify, in the words people search for.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum Reason {
    Expired,
    NotYetValid,
    NameMismatch,
    UnknownIssuer,
    SelfSigned,
    Other,
}

impl Reason {
    pub fn label(self) -> &'static str {
        match self {
            Reason::Expired => "expired",
            Reason::NotYetValid => "not yet valid",
            Reason::NameMismatch => "name mismatch",
            Reason::UnknownIssuer => "unknown issuer",
            Reason::SelfSigned => "self-signed",
            Reason::Other => "invalid",
        }
    }
}

/// Whether the chain verified, and if not, why.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Verdict {
    pub verified: bool,
    pub reason: Option<Reason>,
    /// rustls' own words for it (None when verified).
    pub detail: Option<String>,
}

impl Verdict {
    pub fn ok() -> Verdict {
        Verdict {
            verified: true,
            reason: None,
            detail: None,
        }
    }

    /// From webpki's error; `self_signed` is whether the end certificate is its own
    /// issuer (webpki calls that an unknown issuer too).
    pub fn from_error(error: &Error, self_signed: bool) -> Verdict {
        let reason = match error {
            Error::InvalidCertificate(cert) => match cert {
                CertificateError::Expired | CertificateError::ExpiredContext { .. } => {
                    Reason::Expired
                }
                CertificateError::NotValidYet | CertificateError::NotValidYetContext { .. } => {
                    Reason::NotYetValid
                }
                CertificateError::NotValidForName
                | CertificateError::NotValidForNameContext { .. } => Reason::NameMismatch,
                CertificateError::UnknownIssuer if self_signed => Reason::SelfSigned,
                CertificateError::UnknownIssuer => Reason::UnknownIssuer,
                _ => Reason::Other,
            },
            _ => Reason::Other,
        };
        Verdict {
            verified: false,
            reason: Some(reason),
            detail: Some(error.to_string()),
        }
    }

    /// `verified` or `NOT verified: expired (...)`.
    pub fn text(&self) -> String {
        match (&self.reason, &self.detail) {
            (None, _) => "verified".into(),
            (Some(reason), Some(detail)) => format!("NOT verified: {} ({detail})", reason.label()),
            (Some(reason), None) => format!("NOT verified: {}", reason.label()),
        }
    }
}

/// The trust and protocol choices of a run, made once.
#[derive(Debug, Clone)]
pub struct TlsSetup {
    provider: Arc<CryptoProvider>,
    /// None when no trust anchor could be loaded: then nothing verifies (unknown issuer).
    webpki: Option<Arc<WebPkiServerVerifier>>,
    versions: Vec<&'static SupportedProtocolVersion>,
    /// How many anchors were loaded (the system's and `--cacert`'s).
    pub anchors: usize,
}

impl TlsSetup {
    /// The system's trust store plus every certificate of the PEM file `cacert`.
    pub fn new(cacert: Option<&Path>) -> Result<TlsSetup, String> {
        let mut roots = RootCertStore::empty();
        let native = rustls_native_certs::load_native_certs();
        roots.add_parsable_certificates(native.certs);
        if let Some(path) = cacert {
            let mut added = 0;
            for cert in CertificateDer::pem_file_iter(path)
                .map_err(|err| format!("--cacert {}: {err}", path.display()))?
            {
                let cert = cert.map_err(|err| format!("--cacert {}: {err}", path.display()))?;
                roots
                    .add(cert)
                    .map_err(|err| format!("--cacert {}: {err}", path.display()))?;
                added += 1;
            }
            if added == 0 {
                return Err(format!(
                    "--cacert {}: no PEM certificate in it",
                    path.display()
                ));
            }
        }
        Self::with_roots(roots)
    }

    /// Only the given anchors (tests, and a store that is known to be empty).
    pub fn with_roots(roots: RootCertStore) -> Result<TlsSetup, String> {
        // ring, not aws-lc-rs: it builds without cmake and a C toolchain of its own, on
        // every platform netlab targets. Its provider lacks only the post-quantum key
        // exchange, which no diagnosis here depends on.
        #[allow(deprecated)]
        let provider = Arc::new(rustls::crypto::ring::default_provider());
        let anchors = roots.len();
        let webpki = if roots.is_empty() {
            None
        } else {
            Some(
                WebPkiServerVerifier::builder_with_provider(Arc::new(roots), provider.clone())
                    .build()
                    .map_err(|err| format!("trust store: {err}"))?,
            )
        };
        Ok(TlsSetup {
            provider,
            webpki,
            versions: vec![&rustls::version::TLS13, &rustls::version::TLS12],
            anchors,
        })
    }

    /// A client configuration offering `alpn`, and the verifier whose record tells the
    /// verdict once the handshake is done (one per connection).
    pub fn client(&self, alpn: &[&[u8]]) -> Result<(Arc<ClientConfig>, Arc<Recorder>), String> {
        let recorder = Arc::new(Recorder {
            webpki: self.webpki.clone(),
            provider: self.provider.clone(),
            record: Mutex::new(None),
        });
        let mut config = ClientConfig::builder_with_provider(self.provider.clone())
            .with_protocol_versions(&self.versions)
            .map_err(|err| format!("TLS set-up: {err}"))?
            .dangerous()
            .with_custom_certificate_verifier(recorder.clone())
            .with_no_client_auth();
        config.alpn_protocols = alpn.iter().map(|p| p.to_vec()).collect();
        Ok((Arc::new(config), recorder))
    }
}

/// Runs webpki's verification, keeps its result, and lets the handshake go on.
#[derive(Debug)]
pub struct Recorder {
    webpki: Option<Arc<WebPkiServerVerifier>>,
    provider: Arc<CryptoProvider>,
    record: Mutex<Option<Result<(), Error>>>,
}

impl Recorder {
    /// webpki's result (None: no certificate was verified, the handshake did not get
    /// that far).
    pub fn result(&self) -> Option<Result<(), Error>> {
        self.record
            .lock()
            .unwrap_or_else(|e| e.into_inner())
            .clone()
    }
}

impl ServerCertVerifier for Recorder {
    fn verify_server_cert(
        &self,
        end_entity: &CertificateDer<'_>,
        intermediates: &[CertificateDer<'_>],
        server_name: &ServerName<'_>,
        ocsp_response: &[u8],
        now: UnixTime,
    ) -> Result<ServerCertVerified, Error> {
        let result = match &self.webpki {
            Some(webpki) => webpki
                .verify_server_cert(end_entity, intermediates, server_name, ocsp_response, now)
                .map(|_| ()),
            None => Err(Error::InvalidCertificate(CertificateError::UnknownIssuer)),
        };
        *self.record.lock().unwrap_or_else(|e| e.into_inner()) = Some(result);
        Ok(ServerCertVerified::assertion())
    }

    fn verify_tls12_signature(
        &self,
        message: &[u8],
        cert: &CertificateDer<'_>,
        dss: &DigitallySignedStruct,
    ) -> Result<HandshakeSignatureValid, Error> {
        rustls::crypto::verify_tls12_signature(
            message,
            cert,
            dss,
            &self.provider.signature_verification_algorithms,
        )
    }

    fn verify_tls13_signature(
        &self,
        message: &[u8],
        cert: &CertificateDer<'_>,
        dss: &DigitallySignedStruct,
    ) -> Result<HandshakeSignatureValid, Error> {
        rustls::crypto::verify_tls13_signature(
            message,
            cert,
            dss,
            &self.provider.signature_verification_algorithms,
        )
    }

    fn supported_verify_schemes(&self) -> Vec<SignatureScheme> {
        self.provider
            .signature_verification_algorithms
            .supported_schemes()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn invalid(e: CertificateError) -> Error {
        Error::InvalidCertificate(e)
    }

    #[test]
    fn each_webpki_error_has_its_reason() {
        let cases = [
            (invalid(CertificateError::Expired), false, Reason::Expired),
            (
                invalid(CertificateError::NotValidYet),
                false,
                Reason::NotYetValid,
            ),
            (
                invalid(CertificateError::NotValidForName),
                false,
                Reason::NameMismatch,
            ),
            (
                invalid(CertificateError::UnknownIssuer),
                false,
                Reason::UnknownIssuer,
            ),
            (
                invalid(CertificateError::UnknownIssuer),
                true,
                Reason::SelfSigned,
            ),
            (
                invalid(CertificateError::BadSignature),
                false,
                Reason::Other,
            ),
            (Error::General("x".into()), false, Reason::Other),
        ];
        for (error, self_signed, reason) in cases {
            let verdict = Verdict::from_error(&error, self_signed);
            assert!(!verdict.verified);
            assert_eq!(verdict.reason, Some(reason), "{error:?}");
            assert!(
                verdict.text().starts_with("NOT verified: "),
                "{}",
                verdict.text()
            );
        }
        assert_eq!(Verdict::ok().text(), "verified");
    }

    #[test]
    fn an_empty_store_still_makes_a_client() {
        let setup = TlsSetup::with_roots(RootCertStore::empty()).unwrap();
        assert_eq!(setup.anchors, 0);
        let (config, recorder) = setup.client(&[b"h2"]).unwrap();
        assert_eq!(config.alpn_protocols, vec![b"h2".to_vec()]);
        assert!(recorder.result().is_none());
    }
}
