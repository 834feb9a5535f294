//! `--web.config.file`: TLS and basic auth in the web configuration format of
//! Prometheus' own exporters (exporter-toolkit), so an operator reuses the file they
//! already have for node_exporter or blackbox_exporter:
//!
//! ```yaml
//! tls_server_config:
//!   cert_file: server.crt          # PEM chain; relative paths are from this file's folder
//!   key_file: server.key
//!   client_auth_type: RequireAndVerifyClientCert   # or NoClientCert, VerifyClientCertIfGiven
//!   client_ca_file: ca.crt         # needed by the two that verify
//!   min_version: TLS12             # TLS12 or TLS13
//!   max_version: TLS13
//! basic_auth_users:
//!   prometheus: $2y$10$...         # bcrypt hashes (htpasswd -nBC 10 "" | tr -d ':\n')
//! ```
//!
//! What it reads with what: YAML with `serde-saphyr` (a maintained, pure-Rust YAML
//! reader for serde; serde_yaml is archived and serde_yml deprecated), whose errors and
//! `Spanned` values carry the line, so every mistake is one error naming it as the TOML
//! config's are; TLS with rustls (ring provider), HTTP/1.1 over it; hashes with the
//! `bcrypt` crate, verified off the runtime's threads (a cost-10 hash takes ~50 ms) and
//! the credentials that matched kept in a small cache so a scrape every second does
//! not pay for bcrypt each time.
//!
//! Keys of exporter-toolkit netlab does not honour (`cipher_suites`,
//! `curve_preferences`, `client_allowed_sans`, `http_server_config`, the client auth
//! types `RequestClientCert` and `RequireAnyClientCert`, TLS 1.0 and 1.1) are refused
//! by name rather than ignored: a file that asks for them expects them to work.

use std::collections::{BTreeMap, HashSet};
use std::path::{Path, PathBuf};
use std::sync::{Arc, Mutex};

use rustls::pki_types::pem::PemObject;
use rustls::pki_types::{CertificateDer, PrivateKeyDer};
use rustls::server::WebPkiClientVerifier;
use serde::Deserialize;
use serde_saphyr::Spanned;

use crate::error::Failure;

/// Credentials that matched, kept so bcrypt runs once per (user, password), not once a
/// scrape; cleared when full.
const AUTH_CACHE: usize = 64;

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
struct File {
    tls_server_config: Option<TlsFile>,
    basic_auth_users: Option<BTreeMap<String, Spanned<String>>>,
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
struct TlsFile {
    cert_file: Spanned<String>,
    key_file: Spanned<String>,
    client_ca_file: Option<Spanned<String>>,
    client_auth_type: Option<Spanned<String>>,
    min_version: Option<Spanned<String>>,
    max_version: Option<Spanned<String>>,
}

/// The checked web configuration.
#[derive(Debug)]
pub struct Web {
    /// Set: the listener speaks TLS only.
    pub tls: Option<Arc<rustls::ServerConfig>>,
    /// Set: every request needs one of these users' credentials.
    pub auth: Option<BasicAuth>,
}

impl Web {
    /// No file: plain HTTP, no auth.
    pub fn open() -> Web {
        Web {
            tls: None,
            auth: None,
        }
    }

    /// Reads and checks the file; every error is one line naming the file and line.
    pub fn load(path: &Path) -> Result<Web, Failure> {
        let shown = path.display().to_string();
        let text = std::fs::read_to_string(path)
            .map_err(|e| Failure::new(format!("reading web config {shown}"), e))?;
        let dir = path.parent().unwrap_or(Path::new("."));
        Web::parse(&text, &shown, dir)
    }

    fn parse(text: &str, shown: &str, dir: &Path) -> Result<Web, Failure> {
        let fail = |line: Option<u64>, why: &str| {
            let what = match line {
                Some(l) => format!("web config {shown} line {l}"),
                None => format!("web config {shown}"),
            };
            Failure::new(what, why.trim())
        };
        // An empty file is an empty mapping (exporter-toolkit: no TLS, no auth).
        let file: File = if text.trim().is_empty() {
            File {
                tls_server_config: None,
                basic_auth_users: None,
            }
        } else {
            serde_saphyr::from_str(text).map_err(|e| {
                let line = e.location().map(|l| l.line());
                let message = e.to_string();
                let first = message.lines().next().unwrap_or("not valid YAML");
                fail(line, first)
            })?
        };
        let tls = match file.tls_server_config {
            Some(t) => Some(Arc::new(tls_config(t, dir, &fail)?)),
            None => None,
        };
        let auth = match file.basic_auth_users {
            Some(users) => {
                let mut checked = BTreeMap::new();
                for (user, hash) in users {
                    if hash.value.parse::<bcrypt::HashParts>().is_err() {
                        return Err(fail(
                            Some(hash.defined.line()),
                            &format!("basic_auth_users: the password of '{user}' is not a bcrypt hash ($2y$...)"),
                        ));
                    }
                    if user.contains(':') {
                        return Err(fail(
                            Some(hash.defined.line()),
                            &format!("basic_auth_users: user '{user}' contains ':'"),
                        ));
                    }
                    checked.insert(user, hash.value);
                }
                Some(BasicAuth {
                    users: checked,
                    matched: Mutex::new(HashSet::new()),
                })
            }
            None => None,
        };
        Ok(Web { tls, auth })
    }

    /// `https` or `http`, for the start-up line.
    pub fn scheme(&self) -> &'static str {
        if self.tls.is_some() {
            "https"
        } else {
            "http"
        }
    }
}

fn tls_config(
    t: TlsFile,
    dir: &Path,
    fail: &dyn Fn(Option<u64>, &str) -> Failure,
) -> Result<rustls::ServerConfig, Failure> {
    let at = |s: &Spanned<String>| Some(s.defined.line());
    let path = |s: &Spanned<String>| -> PathBuf {
        let p = Path::new(&s.value);
        if p.is_absolute() {
            p.to_path_buf()
        } else {
            dir.join(p)
        }
    };
    let version = |s: &Option<Spanned<String>>, default| match s {
        None => Ok(default),
        Some(v) => match v.value.as_str() {
            "TLS12" => Ok(&rustls::version::TLS12),
            "TLS13" => Ok(&rustls::version::TLS13),
            "TLS10" | "TLS11" => Err(fail(
                at(v),
                &format!(
                    "{}: TLS 1.0 and 1.1 are not offered (use TLS12 or TLS13)",
                    v.value
                ),
            )),
            other => Err(fail(
                at(v),
                &format!("unknown TLS version '{other}' (use TLS12 or TLS13)"),
            )),
        },
    };
    let min = version(&t.min_version, &rustls::version::TLS12)?;
    let max = version(&t.max_version, &rustls::version::TLS13)?;
    let versions: Vec<&'static rustls::SupportedProtocolVersion> =
        [&rustls::version::TLS12, &rustls::version::TLS13]
            .into_iter()
            .filter(|v| {
                let n = |v: &rustls::SupportedProtocolVersion| u16::from(v.version);
                n(v) >= n(min) && n(v) <= n(max)
            })
            .collect();
    if versions.is_empty() {
        return Err(fail(
            at(t.min_version.as_ref().unwrap_or(&t.cert_file)),
            "min_version is above max_version",
        ));
    }
    let certs: Vec<CertificateDer<'static>> = CertificateDer::pem_file_iter(path(&t.cert_file))
        .and_then(|certs| certs.collect::<Result<_, _>>())
        .map_err(|e| {
            fail(
                at(&t.cert_file),
                &format!("cert_file {}: {e}", t.cert_file.value),
            )
        })?;
    if certs.is_empty() {
        return Err(fail(
            at(&t.cert_file),
            &format!("cert_file {}: no certificate in it", t.cert_file.value),
        ));
    }
    let key = PrivateKeyDer::from_pem_file(path(&t.key_file)).map_err(|e| {
        fail(
            at(&t.key_file),
            &format!("key_file {}: {e}", t.key_file.value),
        )
    })?;
    // ring, not rustls' default aws-lc-rs: it builds in seconds where aws-lc-sys takes
    // minutes, and what it lacks (post-quantum key exchange, hence the deprecation)
    // matters little for a scrape on a LAN; switch when aws-lc is in the tree anyway.
    #[allow(deprecated)]
    let provider = Arc::new(rustls::crypto::ring::default_provider());
    let builder = rustls::ServerConfig::builder_with_provider(provider.clone())
        .with_protocol_versions(&versions)
        .map_err(|e| fail(None, &e.to_string()))?;
    let auth_type = t
        .client_auth_type
        .as_ref()
        .map_or("NoClientCert", |s| s.value.as_str());
    let roots = || -> Result<Arc<rustls::RootCertStore>, Failure> {
        let ca = t.client_ca_file.as_ref().ok_or_else(|| {
            fail(
                at(t.client_auth_type.as_ref().unwrap_or(&t.cert_file)),
                &format!("client_auth_type {auth_type} needs client_ca_file"),
            )
        })?;
        let mut store = rustls::RootCertStore::empty();
        let certs = CertificateDer::pem_file_iter(path(ca))
            .and_then(|c| c.collect::<Result<Vec<_>, _>>())
            .map_err(|e| fail(at(ca), &format!("client_ca_file {}: {e}", ca.value)))?;
        for c in certs {
            store
                .add(c)
                .map_err(|e| fail(at(ca), &format!("client_ca_file {}: {e}", ca.value)))?;
        }
        Ok(Arc::new(store))
    };
    let verifier = |optional: bool| -> Result<_, Failure> {
        let b = WebPkiClientVerifier::builder_with_provider(roots()?, provider.clone());
        let b = if optional {
            b.allow_unauthenticated()
        } else {
            b
        };
        b.build()
            .map_err(|e| fail(None, &format!("client_ca_file: {e}")))
    };
    let builder = match auth_type {
        "NoClientCert" => builder.with_no_client_auth(),
        "RequireAndVerifyClientCert" => builder.with_client_cert_verifier(verifier(false)?),
        "VerifyClientCertIfGiven" => builder.with_client_cert_verifier(verifier(true)?),
        other => {
            let line = at(t.client_auth_type.as_ref().unwrap_or(&t.cert_file));
            return Err(fail(
                line,
                &format!(
                    "client_auth_type {other} is not offered (use NoClientCert, VerifyClientCertIfGiven or RequireAndVerifyClientCert)"
                ),
            ));
        }
    };
    let mut config = builder
        .with_single_cert(certs, key)
        .map_err(|e| fail(at(&t.key_file), &format!("cert_file and key_file: {e}")))?;
    config.alpn_protocols = vec![b"http/1.1".to_vec()];
    Ok(config)
}

/// `basic_auth_users`: user to bcrypt hash.
pub struct BasicAuth {
    users: BTreeMap<String, String>,
    matched: Mutex<HashSet<(String, String)>>,
}

/// Names only: neither hashes nor the passwords that matched ever reach a log.
impl std::fmt::Debug for BasicAuth {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("BasicAuth")
            .field("users", &self.users.keys().collect::<Vec<_>>())
            .finish_non_exhaustive()
    }
}

impl BasicAuth {
    /// Whether the `Authorization` header's value names a user with that password.
    pub async fn allows(&self, header: Option<&str>) -> bool {
        let Some((user, password)) = header.and_then(decode_basic) else {
            return false;
        };
        let key = (user, password);
        if self.matched.lock().is_ok_and(|m| m.contains(&key)) {
            return true;
        }
        // An unknown user is checked against a real hash too, so the answer takes as
        // long either way.
        let known = self.users.contains_key(&key.0);
        let Some(hash) = self
            .users
            .get(&key.0)
            .or_else(|| self.users.values().next())
            .cloned()
        else {
            return false;
        };
        let password = key.1.clone();
        let ok = tokio::task::spawn_blocking(move || bcrypt::verify(password, &hash))
            .await
            .is_ok_and(|r| r.unwrap_or(false))
            && known;
        if ok {
            if let Ok(mut m) = self.matched.lock() {
                if m.len() >= AUTH_CACHE {
                    m.clear();
                }
                m.insert(key);
            }
        }
        ok
    }
}

/// `Basic BASE64(user:password)` to (user, password).
fn decode_basic(header: &str) -> Option<(String, String)> {
    use base64::Engine;
    let (scheme, rest) = header.trim().split_once(' ')?;
    if !scheme.eq_ignore_ascii_case("basic") {
        return None;
    }
    let raw = base64::engine::general_purpose::STANDARD
        .decode(rest.trim())
        .ok()?;
    let text = String::from_utf8(raw).ok()?;
    let (user, password) = text.split_once(':')?;
    Some((user.to_string(), password.to_string()))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn error(text: &str) -> String {
        match Web::parse(text, "web.yml", Path::new("/nonexistent")) {
            Ok(_) => panic!("{text:?} parsed"),
            Err(e) => e.to_string(),
        }
    }

    #[test]
    fn every_mistake_is_one_line_naming_its_line() {
        let cases = [
            (
                "basic_auth_users:\n  alice: plain\n",
                "line 2",
                "not a bcrypt hash",
            ),
            ("colour: red\n", "line 1", "colour"),
            (
                "tls_server_config:\n  cert_file: a.crt\n  key_file: a.key\n  cipher_suites: [x]\n",
                "line 4",
                "cipher_suites",
            ),
            (
                "tls_server_config:\n  cert_file: missing.crt\n  key_file: a.key\n",
                "line 2",
                "missing.crt",
            ),
            ("tls_server_config: [\n", "", ""),
        ];
        for (text, line, why) in cases {
            let e = error(text);
            assert!(e.starts_with("netlab: web config web.yml"), "{text:?}: {e}");
            assert!(e.contains(line), "{text:?}: {e}");
            assert!(e.contains(why), "{text:?}: {e}");
            assert_eq!(e.lines().count(), 1, "{text:?}: {e}");
        }
    }

    #[tokio::test]
    async fn basic_auth_takes_the_right_password_only() {
        let hash = bcrypt::hash("secret", 4).unwrap();
        let web = Web::parse(
            &format!("basic_auth_users:\n  alice: {hash}\n"),
            "web.yml",
            Path::new("."),
        )
        .unwrap();
        assert!(web.tls.is_none());
        let auth = web.auth.unwrap();
        use base64::Engine;
        let header = |s: &str| {
            format!(
                "Basic {}",
                base64::engine::general_purpose::STANDARD.encode(s)
            )
        };
        assert!(auth.allows(Some(&header("alice:secret"))).await);
        // Cached now, and still only for that password.
        assert!(auth.allows(Some(&header("alice:secret"))).await);
        assert!(!auth.allows(Some(&header("alice:wrong"))).await);
        assert!(!auth.allows(Some(&header("bob:secret"))).await);
        assert!(!auth.allows(Some("Bearer x")).await);
        assert!(!auth.allows(None).await);
    }
}
