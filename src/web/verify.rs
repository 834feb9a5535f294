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
use std::sync::{Arc, Mutex, OnceLock};
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

/// A set of trust anchors and webpki's verifier over them.
#[derive(Debug)]
struct Trust {
    roots: Arc<RootCertStore>,
    /// None when the set is empty: then nothing verifies (unknown issuer).
    webpki: Option<Arc<WebPkiServerVerifier>>,
    /// Each anchor's certificate by its subject. webpki's trust anchor keeps no validity,
    /// so the anchor of a verified path is dated from its certificate, parsed then and
    /// only then (parsing the ~150 of a system store up front cost milliseconds).
    certs: HashMap<Vec<u8>, CertificateDer<'static>>,
}

impl Trust {
    /// From certificates; those webpki cannot take as an anchor are left out (as
    /// rustls' `RootCertStore::add_parsable_certificates` leaves them).
    fn from_certs(certs: Vec<CertificateDer<'static>>, provider: &Arc<CryptoProvider>) -> Trust {
        let mut roots = RootCertStore::empty();
        let mut by_subject = HashMap::with_capacity(certs.len());
        for der in certs {
            let Ok(anchor) = webpki::anchor_from_trusted_cert(&der).map(|a| a.to_owned()) else {
                continue;
            };
            by_subject.insert(anchor.subject.as_ref().to_vec(), der);
            roots.roots.push(anchor);
        }
        Trust::from_roots(roots, by_subject, provider)
    }

    fn from_roots(
        roots: RootCertStore,
        certs: HashMap<Vec<u8>, CertificateDer<'static>>,
        provider: &Arc<CryptoProvider>,
    ) -> Trust {
        let roots = Arc::new(roots);
        // The builder fails only on an empty set (no CRLs are given): that is `None`.
        let webpki = WebPkiServerVerifier::builder_with_provider(roots.clone(), provider.clone())
            .build()
            .ok();
        Trust {
            roots,
            webpki,
            certs,
        }
    }

    fn verify(
        &self,
        end_entity: &CertificateDer<'_>,
        intermediates: &[CertificateDer<'_>],
        server_name: &ServerName<'_>,
        ocsp_response: &[u8],
        now: UnixTime,
    ) -> Result<(), Error> {
        match &self.webpki {
            Some(webpki) => webpki
                .verify_server_cert(end_entity, intermediates, server_name, ocsp_response, now)
                .map(|_| ()),
            None => Err(Error::InvalidCertificate(CertificateError::UnknownIssuer)),
        }
    }
}

/// Where the anchors come from, asked in order, each read when first needed:
///
/// 1. `--cacert` (`[probe] ca_file`) alone, read at once;
/// 2. the system's CA bundle (`net::paths::trust_bundle`: the one file curl reads) and
///    `--cacert`'s;
/// 3. the whole system store (rustls-native-certs: the bundle *and* each of the ~290
///    files of /etc/ssl/certs on Debian, or the keychain, or Windows' store) and
///    `--cacert`'s.
///
/// A chain one tier verifies would verify with every later one (each holds the ones
/// before, and webpki finds a path if one exists), so a later tier is read only when the
/// earlier ones do not verify the chain; a chain no tier verifies gets the last, whole
/// store's verdict, as without the shortcut. Reading the whole store cost 2.4-6.3 ms
/// (BENCHMARKS.md), most of it the directory's files; curl reads the bundle alone (its
/// CA directory only for a name the bundle lacks). Without `--cacert` the first tier is
/// read when the set-up is made, before any attempt's clock runs.
struct Store {
    provider: Arc<CryptoProvider>,
    tiers: Vec<Tier>,
}

/// One set of anchors: how to read it, and what it was once read.
struct Tier {
    name: &'static str,
    read: Box<dyn Fn() -> Vec<CertificateDer<'static>> + Send + Sync>,
    trust: OnceLock<Trust>,
}

impl std::fmt::Debug for Store {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        let tiers: Vec<(&str, bool)> = self
            .tiers
            .iter()
            .map(|t| (t.name, t.trust.get().is_some()))
            .collect();
        f.debug_struct("Store")
            .field("tiers (read)", &tiers)
            .finish()
    }
}

impl Store {
    /// Tier `i`'s anchors, read now if they were not.
    fn trust(&self, i: usize) -> &Trust {
        let tier = &self.tiers[i];
        tier.trust
            .get_or_init(|| Trust::from_certs((tier.read)(), &self.provider))
    }

    /// `check` against each tier in turn: the first that passes, or the last's failure,
    /// with the tier's index.
    fn first_passing(
        &self,
        check: impl Fn(&Trust) -> Result<(), Error>,
    ) -> (Result<(), Error>, usize) {
        let last = self.tiers.len() - 1;
        for i in 0..last {
            if check(self.trust(i)).is_ok() {
                return (Ok(()), i);
            }
        }
        (check(self.trust(last)), last)
    }
}

/// The trust and protocol choices of a run, made once.
#[derive(Debug, Clone)]
pub struct TlsSetup {
    provider: Arc<CryptoProvider>,
    versions: Vec<&'static SupportedProtocolVersion>,
    store: Arc<Store>,
}

impl TlsSetup {
    /// The system's trust store plus every certificate of the PEM file `cacert`.
    pub fn new(cacert: Option<&Path>) -> Result<TlsSetup, String> {
        let extra = match cacert {
            Some(path) => read_cacert(path)?,
            None => Vec::new(),
        };
        let mut tiers = Vec::new();
        if !extra.is_empty() {
            let certs = extra.clone();
            tiers.push(Tier::new("--cacert", move || certs.clone()));
        }
        if let Some(bundle) = crate::net::paths::trust_bundle() {
            let certs = extra.clone();
            tiers.push(Tier::new("the system's CA bundle", move || {
                let mut all = rustls_native_certs::load_certs_from_paths(Some(&bundle), None).certs;
                all.extend(certs.iter().cloned());
                all
            }));
        }
        tiers.push(Tier::new("the system's whole store", move || {
            let mut all = rustls_native_certs::load_native_certs().certs;
            all.extend(extra.iter().cloned());
            all
        }));
        let setup = Self::with_tiers(tiers);
        // The first tier is read now, outside every attempt's phases.
        setup.store.trust(0);
        Ok(setup)
    }

    /// Only the given anchors (tests, and a store that is known to be empty).
    pub fn with_roots(roots: RootCertStore) -> Result<TlsSetup, String> {
        let setup = Self::with_tiers(vec![Tier::new("the given anchors", Vec::new)]);
        let trust = Trust::from_roots(roots, HashMap::new(), &setup.provider);
        let _ = setup.store.tiers[0].trust.set(trust);
        Ok(setup)
    }

    fn provider() -> Arc<CryptoProvider> {
        // ring, not aws-lc-rs: it builds without cmake and a C toolchain of its own, on
        // every platform netlab targets. Its provider lacks only the post-quantum key
        // exchange, which no diagnosis here depends on.
        //
        // The key share goes first for X25519, as curl (OpenSSL), browsers and
        // blackbox_exporter (Go) send it: this ring provider's default order starts with
        // P-384, whose key generation and agreement took 11.5 M of the 15.8 M
        // instructions of a whole `connect https://` run (callgrind), about 1.3 ms of the
        // TLS phase that curl's handshake does not pay. P-256 and P-384 stay offered, for
        // a server without X25519 (one more round trip, a HelloRetryRequest, then).
        use rustls::crypto::ring::kx_group::{SECP256R1, SECP384R1, X25519};
        #[allow(deprecated)]
        let mut provider = rustls::crypto::ring::default_provider();
        provider.kx_groups = vec![X25519, SECP256R1, SECP384R1];
        Arc::new(provider)
    }

    fn with_tiers(tiers: Vec<Tier>) -> TlsSetup {
        let provider = Self::provider();
        TlsSetup {
            provider: provider.clone(),
            versions: vec![&rustls::version::TLS13, &rustls::version::TLS12],
            store: Arc::new(Store { provider, tiers }),
        }
    }

    /// A client configuration offering `alpn`, and the verifier whose record tells the
    /// verdict once the handshake is done (one per connection).
    pub fn client(&self, alpn: &[&[u8]]) -> Result<(Arc<ClientConfig>, Arc<Recorder>), String> {
        let recorder = Arc::new(Recorder {
            store: self.store.clone(),
            record: Mutex::new(None),
            verified: Mutex::new(None),
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

impl Tier {
    fn new(
        name: &'static str,
        read: impl Fn() -> Vec<CertificateDer<'static>> + Send + Sync + 'static,
    ) -> Tier {
        Tier {
            name,
            read: Box::new(read),
            trust: OnceLock::new(),
        }
    }
}

/// Every certificate of the PEM file `path`, each one webpki can take as an anchor.
fn read_cacert(path: &Path) -> Result<Vec<CertificateDer<'static>>, String> {
    let mut certs = Vec::new();
    for cert in CertificateDer::pem_file_iter(path)
        .map_err(|err| format!("--cacert {}: {err}", path.display()))?
    {
        let cert = cert.map_err(|err| format!("--cacert {}: {err}", path.display()))?;
        webpki::anchor_from_trusted_cert(&cert)
            .map_err(|err| format!("--cacert {}: {err}", path.display()))?;
        certs.push(cert);
    }
    if certs.is_empty() {
        return Err(format!(
            "--cacert {}: no PEM certificate in it",
            path.display()
        ));
    }
    Ok(certs)
}

/// A chain that verified, kept to date its path after the handshake (not during it:
/// the handshake's time is what `connect` reports beside curl's).
#[derive(Debug)]
struct Verified {
    /// The tier of anchors that verified it (`Store`).
    tier: usize,
    end_entity: CertificateDer<'static>,
    intermediates: Vec<CertificateDer<'static>>,
    now: UnixTime,
}

/// Runs webpki's verification, keeps its result, and lets the handshake go on.
#[derive(Debug)]
pub struct Recorder {
    store: Arc<Store>,
    record: Mutex<Option<Result<(), Error>>>,
    verified: Mutex<Option<Verified>>,
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
    ///
    /// Builds the path webpki verified again (rustls' verifier does not hand it out): a
    /// second verification, so it is done when asked, after the handshake.
    pub fn last_chain_expiry(&self) -> Option<i64> {
        let verified = self.verified.lock().unwrap_or_else(|e| e.into_inner());
        let v = verified.as_ref()?;
        let trust = self.store.trust(v.tier);
        let cert = webpki::EndEntityCert::try_from(&v.end_entity).ok()?;
        let path = cert
            .verify_for_usage(
                self.store.provider.signature_verification_algorithms.all,
                &trust.roots.roots,
                &v.intermediates,
                v.now,
                webpki::KeyUsage::server_auth(),
                None,
                None,
            )
            .ok()?;
        let at = SystemTime::now();
        let anchor = trust.certs.get(path.anchor().subject.as_ref());
        std::iter::once(v.end_entity.clone())
            .chain(path.intermediate_certificates().map(|c| c.der()))
            .chain(anchor.cloned())
            .filter_map(|der| cert::describe(&der, at).ok())
            .map(|info| info.not_after_unix)
            .min()
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
        let (result, tier) = self.store.first_passing(|trust: &Trust| {
            trust.verify(end_entity, intermediates, server_name, ocsp_response, now)
        });
        if result.is_ok() {
            *self.verified.lock().unwrap_or_else(|e| e.into_inner()) = Some(Verified {
                tier,
                end_entity: end_entity.clone().into_owned(),
                intermediates: intermediates
                    .iter()
                    .map(|c| c.clone().into_owned())
                    .collect(),
                now,
            });
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
            &self.store.provider.signature_verification_algorithms,
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
            &self.store.provider.signature_verification_algorithms,
        )
    }

    fn supported_verify_schemes(&self) -> Vec<SignatureScheme> {
        self.store
            .provider
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

    /// A CA named `name` (its certificate written to a PEM file) and a leaf for
    /// `www.netlab.test` it signed, ending in `days`.
    fn ca_and_leaf(
        dir: &Path,
        name: &str,
        days: i64,
    ) -> (
        std::path::PathBuf,
        CertificateDer<'static>,
        CertificateDer<'static>,
    ) {
        let mut ca = rcgen::CertificateParams::new(Vec::<String>::new()).unwrap();
        ca.is_ca = rcgen::IsCa::Ca(rcgen::BasicConstraints::Unconstrained);
        ca.distinguished_name.push(rcgen::DnType::CommonName, name);
        let ca =
            rcgen::CertifiedIssuer::self_signed(ca, rcgen::KeyPair::generate().unwrap()).unwrap();
        let mut leaf = rcgen::CertificateParams::new(vec!["www.netlab.test".into()]).unwrap();
        leaf.not_after = time::OffsetDateTime::now_utc() + time::Duration::days(days);
        let leaf = leaf
            .signed_by(&rcgen::KeyPair::generate().unwrap(), &ca)
            .unwrap();
        let file = dir.join("ca.pem");
        std::fs::write(&file, ca.pem()).unwrap();
        (file, leaf.der().clone(), ca.der().clone())
    }

    /// Which tiers of the store have been read.
    fn read(setup: &TlsSetup) -> Vec<bool> {
        let tiers = &setup.store.tiers;
        tiers.iter().map(|t| t.trust.get().is_some()).collect()
    }

    fn verify(setup: &TlsSetup, leaf: &CertificateDer<'_>) -> Arc<Recorder> {
        let (_, recorder) = setup.client(&[]).unwrap();
        let name = ServerName::try_from("www.netlab.test").unwrap();
        recorder
            .verify_server_cert(leaf, &[], &name, &[], UnixTime::now())
            .unwrap();
        recorder
    }

    #[test]
    fn cacert_anchors_verify_without_reading_the_system_store() {
        let dir = tempfile::tempdir().unwrap();
        let (ca_file, leaf, ca) = ca_and_leaf(dir.path(), "lab CA", 30);
        let setup = TlsSetup::new(Some(&ca_file)).unwrap();
        let recorder = verify(&setup, &leaf);
        assert_eq!(recorder.result(), Some(Ok(())));
        assert!(
            !read(&setup)[1..].contains(&true),
            "the system store was read"
        );
        // The path is dated after the handshake: the leaf (30 days) ends before the CA.
        let leaf_end = cert::describe(&leaf, SystemTime::now()).unwrap();
        assert!(
            cert::describe(&ca, SystemTime::now())
                .unwrap()
                .not_after_unix
                > leaf_end.not_after_unix
        );
        assert_eq!(recorder.last_chain_expiry(), Some(leaf_end.not_after_unix));
        assert!(!read(&setup)[1..].contains(&true), "{:?}", setup.store);
    }

    #[test]
    fn a_chain_cacert_does_not_verify_gets_the_whole_stores_verdict() {
        let dir = tempfile::tempdir().unwrap();
        let (ca_file, leaf, _) = ca_and_leaf(dir.path(), "lab CA", 30);
        let other = tempfile::tempdir().unwrap();
        // Another CA's (by another name: webpki calls a namesake's a bad signature).
        let (_, stranger, _) = ca_and_leaf(other.path(), "another CA", 30);
        let setup = TlsSetup::new(Some(&ca_file)).unwrap();
        let recorder = verify(&setup, &stranger);
        assert_eq!(
            recorder.result(),
            Some(Err(Error::InvalidCertificate(
                CertificateError::UnknownIssuer
            )))
        );
        assert!(
            read(&setup).iter().all(|&r| r),
            "the system store was not asked: {:?}",
            setup.store
        );
        assert_eq!(recorder.last_chain_expiry(), None);
        // The whole store holds --cacert's anchor too: its chains verify there as well.
        let name = ServerName::try_from("www.netlab.test").unwrap();
        let all = setup.store.trust(setup.store.tiers.len() - 1);
        assert_eq!(all.verify(&leaf, &[], &name, &[], UnixTime::now()), Ok(()));
    }

    #[test]
    fn an_empty_store_still_makes_a_client() {
        let setup = TlsSetup::with_roots(RootCertStore::empty()).unwrap();
        assert!(setup.store.trust(0).webpki.is_none());
        let (config, recorder) = setup.client(&[b"h2"]).unwrap();
        assert_eq!(config.alpn_protocols, vec![b"h2".to_vec()]);
        assert!(recorder.result().is_none());
    }

    #[test]
    fn a_later_tier_is_read_only_when_the_earlier_ones_do_not_verify() {
        let dir = tempfile::tempdir().unwrap();
        let (_, leaf, ca) = ca_and_leaf(dir.path(), "bundle CA", 30);
        let other = tempfile::tempdir().unwrap();
        let (_, stranger, _) = ca_and_leaf(other.path(), "nobody's CA", 30);
        let reads = Arc::new(std::sync::atomic::AtomicUsize::new(0));
        let counted = |certs: Vec<CertificateDer<'static>>| {
            let reads = reads.clone();
            move || {
                reads.fetch_add(1, std::sync::atomic::Ordering::SeqCst);
                certs.clone()
            }
        };
        // A bundle that holds the CA, and a whole store that holds it too.
        let setup = TlsSetup::with_tiers(vec![
            Tier::new("bundle", counted(vec![ca.clone()])),
            Tier::new("whole store", counted(vec![ca.clone()])),
        ]);
        let recorder = verify(&setup, &leaf);
        assert_eq!(recorder.result(), Some(Ok(())));
        assert_eq!(read(&setup), [true, false]);
        // Dated from the tier that verified it, which stays the only one read.
        let leaf_end = cert::describe(&leaf, SystemTime::now()).unwrap();
        assert_eq!(recorder.last_chain_expiry(), Some(leaf_end.not_after_unix));
        assert_eq!(read(&setup), [true, false]);
        // A chain of a CA neither holds: every tier asked, each read once, the last's
        // verdict.
        let recorder = verify(&setup, &stranger);
        assert_eq!(
            recorder.result(),
            Some(Err(Error::InvalidCertificate(
                CertificateError::UnknownIssuer
            )))
        );
        assert_eq!(read(&setup), [true, true]);
        verify(&setup, &stranger);
        assert_eq!(reads.load(std::sync::atomic::Ordering::SeqCst), 2);
    }

    #[test]
    fn without_cacert_the_first_tier_is_read_at_set_up_and_the_bundle_comes_first() {
        let setup = TlsSetup::new(None).unwrap();
        let names: Vec<&str> = setup.store.tiers.iter().map(|t| t.name).collect();
        match crate::net::paths::trust_bundle() {
            Some(_) => assert_eq!(
                names,
                ["the system's CA bundle", "the system's whole store"]
            ),
            None => assert_eq!(names, ["the system's whole store"]),
        }
        assert!(read(&setup)[0]);
        assert!(!read(&setup)[1..].contains(&true));
    }

    #[test]
    fn the_key_share_is_x25519_first_as_curl_sends_it() {
        let setup = TlsSetup::with_roots(RootCertStore::empty()).unwrap();
        let groups: Vec<rustls::NamedGroup> =
            setup.provider.kx_groups.iter().map(|g| g.name()).collect();
        use rustls::NamedGroup::{secp256r1, secp384r1, X25519};
        assert_eq!(groups, [X25519, secp256r1, secp384r1]);
        let (config, _) = setup.client(&[]).unwrap();
        assert_eq!(config.crypto_provider().kx_groups[0].name(), X25519);
    }
}
