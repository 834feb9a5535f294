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

use std::collections::HashMap;
use std::path::Path;
use std::sync::{Arc, Mutex};
use std::time::SystemTime;

use rustls::client::danger::{HandshakeSignatureValid, ServerCertVerified, ServerCertVerifier};
use rustls::client::WebPkiServerVerifier;
use rustls::crypto::CryptoProvider;
use rustls::pki_types::pem::PemObject;
use rustls::pki_types::{CertificateDer, ServerName, UnixTime};
use rustls::{CertificateError, ClientConfig, DigitallySignedStruct, Error, RootCertStore};
use rustls::{SignatureScheme, SupportedProtocolVersion};
use serde::Serialize;

use super::cert;

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
    /// The anchors again, for the verified path (`Recorder::last_chain_expiry`).
    roots: Arc<RootCertStore>,
    /// An anchor's not-after by its subject (webpki's trust anchor keeps no validity):
    /// known for the anchors read from certificates here, not for `with_roots`' ones.
    anchor_expiry: Arc<HashMap<Vec<u8>, i64>>,
}

impl TlsSetup {
    /// The system's trust store plus every certificate of the PEM file `cacert`.
    pub fn new(cacert: Option<&Path>) -> Result<TlsSetup, String> {
        let mut roots = RootCertStore::empty();
        let mut anchor_expiry = HashMap::new();
        let mut remember = |der: &CertificateDer<'_>| {
            let (Ok(anchor), Ok(info)) = (
                webpki::anchor_from_trusted_cert(der),
                cert::describe(der, SystemTime::now()),
            ) else {
                return;
            };
            anchor_expiry.insert(anchor.subject.as_ref().to_vec(), info.not_after_unix);
        };
        let native = rustls_native_certs::load_native_certs();
        native.certs.iter().for_each(&mut remember);
        roots.add_parsable_certificates(native.certs);
        if let Some(path) = cacert {
            let mut added = 0;
            for cert in CertificateDer::pem_file_iter(path)
                .map_err(|err| format!("--cacert {}: {err}", path.display()))?
            {
                let cert = cert.map_err(|err| format!("--cacert {}: {err}", path.display()))?;
                remember(&cert);
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
        let mut setup = Self::with_roots(roots)?;
        setup.anchor_expiry = Arc::new(anchor_expiry);
        Ok(setup)
    }

    /// Only the given anchors (tests, and a store that is known to be empty).
    pub fn with_roots(roots: RootCertStore) -> Result<TlsSetup, String> {
        // ring, not aws-lc-rs: it builds without cmake and a C toolchain of its own, on
        // every platform netlab targets. Its provider lacks only the post-quantum key
        // exchange, which no diagnosis here depends on.
        #[allow(deprecated)]
        let provider = Arc::new(rustls::crypto::ring::default_provider());
        let anchors = roots.len();
        let roots = Arc::new(roots);
        let webpki = if roots.is_empty() {
            None
        } else {
            Some(
                WebPkiServerVerifier::builder_with_provider(roots.clone(), provider.clone())
                    .build()
                    .map_err(|err| format!("trust store: {err}"))?,
            )
        };
        Ok(TlsSetup {
            provider,
            webpki,
            versions: vec![&rustls::version::TLS13, &rustls::version::TLS12],
            anchors,
            roots,
            anchor_expiry: Arc::new(HashMap::new()),
        })
    }

    /// A client configuration offering `alpn`, and the verifier whose record tells the
    /// verdict once the handshake is done (one per connection).
    pub fn client(&self, alpn: &[&[u8]]) -> Result<(Arc<ClientConfig>, Arc<Recorder>), String> {
        let recorder = Arc::new(Recorder {
            webpki: self.webpki.clone(),
            provider: self.provider.clone(),
            roots: self.roots.clone(),
            anchor_expiry: self.anchor_expiry.clone(),
            record: Mutex::new(None),
            last_chain_expiry: Mutex::new(None),
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
    roots: Arc<RootCertStore>,
    anchor_expiry: Arc<HashMap<Vec<u8>, i64>>,
    record: Mutex<Option<Result<(), Error>>>,
    last_chain_expiry: Mutex<Option<i64>>,
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

    /// The earliest not-after of the chain that verified, end certificate to anchor
    /// (blackbox_exporter's `probe_ssl_last_chain_expiry_timestamp_seconds`). None when
    /// the chain did not verify. The anchor counts when its certificate was read here
    /// (`TlsSetup::new`); webpki's anchors carry no validity of their own.
    pub fn last_chain_expiry(&self) -> Option<i64> {
        *self
            .last_chain_expiry
            .lock()
            .unwrap_or_else(|e| e.into_inner())
    }

    /// Builds the path webpki verified again (rustls' verifier does not hand it out) and
    /// takes the earliest not-after along it.
    fn verified_path_expiry(
        &self,
        end_entity: &CertificateDer<'_>,
        intermediates: &[CertificateDer<'_>],
        now: UnixTime,
    ) -> Option<i64> {
        let cert = webpki::EndEntityCert::try_from(end_entity).ok()?;
        let path = cert
            .verify_for_usage(
                self.provider.signature_verification_algorithms.all,
                &self.roots.roots,
                intermediates,
                now,
                webpki::KeyUsage::server_auth(),
                None,
                None,
            )
            .ok()?;
        let at = SystemTime::now();
        let mut expiries: Vec<i64> = std::iter::once(end_entity.clone())
            .chain(path.intermediate_certificates().map(|c| c.der()))
            .filter_map(|der| cert::describe(&der, at).ok())
            .map(|info| info.not_after_unix)
            .collect();
        expiries.extend(
            self.anchor_expiry
                .get(path.anchor().subject.as_ref())
                .copied(),
        );
        expiries.into_iter().min()
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
        if result.is_ok() {
            *self
                .last_chain_expiry
                .lock()
                .unwrap_or_else(|e| e.into_inner()) =
                self.verified_path_expiry(end_entity, intermediates, now);
        }
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
