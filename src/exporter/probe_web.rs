//! `/probe?module=http&target=URL` and `module=tls&target=HOST:PORT` (issue 19): one
//! attempt of `web::attempt`, the request function `connect https://...` uses (no
//! second HTTP client), judged and exported with blackbox_exporter's names where it has
//! them, so dashboards and alert rules written for it work unchanged:
//! `probe_http_status_code`, `probe_http_duration_seconds{phase}` (resolve, connect,
//! tls, processing, transfer), `probe_http_version`, `probe_http_content_length`,
//! `probe_http_uncompressed_body_length`, `probe_http_ssl`,
//! `probe_ssl_earliest_cert_expiry`, `probe_ssl_last_chain_expiry_timestamp_seconds`
//! (when the chain verified), `probe_tls_version_info{version}`.
//!
//! Success as blackbox_exporter's defaults judge it: http needs a 2xx status over a
//! verified chain (no redirect is followed: a 3xx fails at `status`, the address it
//! points to being one the owner may not have allowed); tls needs a handshake whose
//! chain verifies for the name. Trust is the system's store plus `[probe] ca_file`.
//! The failed step says where it stopped: `connect`, `refused`, `tls` (the handshake),
//! `certificate` with the reason as kind (`expired`, `name_mismatch`, ...), `http`
//! (the exchange), `status`.

use std::net::SocketAddr;
use std::time::Duration;

use prometheus_client::encoding::EncodeLabelSet;
use prometheus_client::metrics::family::Family;
use prometheus_client::metrics::gauge::Gauge;
use prometheus_client::registry::Registry;

use super::metrics::{float, FloatGauge};
use crate::web::{self, Attempt, HttpVersion, Reason, RequestSpec, Scheme, Timeline};
use crate::web::{TlsSetup, WebTarget};

#[derive(Clone, Debug, Hash, PartialEq, Eq, EncodeLabelSet)]
struct PhaseLabels {
    phase: String,
}

#[derive(Clone, Debug, Hash, PartialEq, Eq, EncodeLabelSet)]
struct VersionLabels {
    version: String,
}

/// The target of module=http (a URL) or, with `tls`, of module=tls (`HOST:PORT`).
/// (The same parse as a `[[target]]`'s `http =`/`tls =`, which lives in config.rs.)
pub fn parse_target(tls: bool, text: &str) -> Result<WebTarget, String> {
    super::config::web_target(tls, text)
}

/// What the probe is about to do, for the debug log.
pub fn intent(target: &WebTarget, to: SocketAddr) -> String {
    match target.scheme {
        Scheme::Tls => format!("TLS handshake with {to} for {}", target.label()),
        _ => format!("GET {} from {to}", target.url),
    }
}

/// One attempt, each phase under `timeout`: a GET for http(s), a handshake for tls.
pub async fn attempt(
    target: &WebTarget,
    to: SocketAddr,
    timeline: Timeline,
    tls: &TlsSetup,
    timeout: Duration,
) -> Attempt {
    let spec = RequestSpec {
        method: "GET".into(),
        headers: Vec::new(),
        body: None,
        version: HttpVersion::Auto,
        timeout,
        insecure: false,
        sni: None,
    };
    web::attempt(target, to, timeline, &spec, Some(tls)).await
}

/// The debug log's lines about the attempt.
pub fn log(attempt: &Attempt) -> Vec<String> {
    let mut lines = Vec::new();
    let p = attempt.timeline.phases();
    for (name, phase) in [
        ("connect", p.connect),
        ("TLS handshake", p.tls),
        ("first byte", p.first_byte),
        ("transfer", p.transfer),
    ] {
        if let Some(d) = phase {
            lines.push(format!("{name}: {d:?}"));
        }
    }
    if let Some(tls) = &attempt.tls {
        lines.push(format!(
            "{} {}, alpn {}, certificate {}",
            tls.version,
            tls.cipher,
            tls.alpn.as_deref().unwrap_or("none"),
            tls.verdict.text()
        ));
        for cert in &tls.chain {
            lines.push(format!(
                "  {} (issuer {}), not after {}",
                cert.subject, cert.issuer, cert.not_after
            ));
        }
    }
    if let Some(r) = &attempt.response {
        lines.push(format!(
            "{} {} {}, {} body bytes",
            r.http_version, r.status, r.reason, r.body_bytes
        ));
    }
    lines
}

/// Ok when the probe succeeded; otherwise the failed step, its kind and why.
pub fn judge(
    target: &WebTarget,
    attempt: &Attempt,
) -> Result<(), (&'static str, Option<&'static str>, String)> {
    let t = &attempt.timeline;
    if let Some(tls) = &attempt.tls {
        if !tls.verdict.verified {
            return Err((
                "certificate",
                tls.verdict.reason.map(reason_kind),
                format!("certificate {}", tls.verdict.text()),
            ));
        }
    }
    if let Some(why) = &attempt.error {
        let step = if t.connected.is_none() {
            if why.contains("refused") {
                "refused"
            } else {
                "connect"
            }
        } else if t.handshaken.is_none() {
            "tls"
        } else {
            "http"
        };
        return Err((step, None, why.clone()));
    }
    if target.scheme == Scheme::Tls {
        return match &attempt.tls {
            Some(_) => Ok(()),
            None => Err(("tls", None, "no handshake (a bug)".into())),
        };
    }
    match &attempt.response {
        Some(r) if (200..300).contains(&r.status) => Ok(()),
        Some(r) => Err(("status", None, format!("status {} is not 2xx", r.status))),
        None => Err(("http", None, "no response".into())),
    }
}

/// The failed-step kind of a certificate that did not verify.
fn reason_kind(reason: Reason) -> &'static str {
    match reason {
        Reason::Expired => "expired",
        Reason::NotYetValid => "not_yet_valid",
        Reason::NameMismatch => "name_mismatch",
        Reason::UnknownIssuer => "unknown_issuer",
        Reason::SelfSigned => "self_signed",
        Reason::Other => "invalid",
    }
}

/// `TLSv1.3` as Go (and so blackbox_exporter) names it: `TLS 1.3`.
fn go_version(rustls: &str) -> String {
    match rustls.strip_prefix("TLSv") {
        Some(number) => format!("TLS {number}"),
        None => rustls.to_string(),
    }
}

/// The module's series (`http`: false for tls).
pub fn encode(r: &mut Registry, http: bool, attempt: &Attempt) {
    if http {
        let p = attempt.timeline.phases();
        let f: Family<PhaseLabels, FloatGauge> = Family::default();
        for (phase, d) in [
            ("resolve", p.lookup),
            ("connect", p.connect),
            ("tls", p.tls),
            ("processing", p.first_byte),
            ("transfer", p.transfer),
        ] {
            f.get_or_create(&PhaseLabels {
                phase: phase.into(),
            })
            .set(d.unwrap_or_default().as_secs_f64());
        }
        r.register(
            "probe_http_duration_seconds",
            "Duration of each phase of the HTTP request (0: not reached)",
            f,
        );
        let response = attempt.response.as_ref();
        float(
            r,
            "probe_http_status_code",
            "Response HTTP status code (0: no response)",
            response.map_or(0.0, |r| r.status as f64),
        );
        float(
            r,
            "probe_http_version",
            "Returned version of HTTP (0: no response)",
            response.map_or(0.0, |r| match r.http_version.as_str() {
                "HTTP/2" => 2.0,
                "HTTP/1.0" => 1.0,
                "HTTP/1.1" => 1.1,
                _ => 0.0,
            }),
        );
        float(
            r,
            "probe_http_content_length",
            "Length of the response body as its Content-Length says (-1: not said)",
            response
                .and_then(|r| r.content_length.as_deref())
                .and_then(|l| l.trim().parse::<f64>().ok())
                .unwrap_or(-1.0),
        );
        float(
            r,
            "probe_http_uncompressed_body_length",
            "Bytes of response body read",
            response.map_or(0.0, |r| r.body_bytes as f64),
        );
        float(
            r,
            "probe_http_ssl",
            "Whether TLS was used for the request",
            if attempt.tls.is_some() { 1.0 } else { 0.0 },
        );
    } else if let Some(d) = attempt.timeline.phases().tls {
        float(
            r,
            "probe_tls_handshake_duration_seconds",
            "How long the TLS handshake took",
            d.as_secs_f64(),
        );
    }
    let Some(tls) = &attempt.tls else {
        return;
    };
    if let Some(earliest) = tls.chain.iter().map(|c| c.not_after_unix).min() {
        float(
            r,
            "probe_ssl_earliest_cert_expiry",
            "Earliest not-after of the certificates the server sent, in seconds since the epoch",
            earliest as f64,
        );
    }
    if let Some(last) = tls.last_chain_expiry {
        float(
            r,
            "probe_ssl_last_chain_expiry_timestamp_seconds",
            "Earliest not-after along the chain that verified, in seconds since the epoch",
            last as f64,
        );
    }
    let f: Family<VersionLabels, Gauge> = Family::default();
    f.get_or_create(&VersionLabels {
        version: go_version(&tls.version),
    })
    .set(1);
    r.register("probe_tls_version_info", "The TLS version used", f);
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::web::{ResponseInfo, TlsInfo, Verdict};
    use std::time::Instant;

    fn target(text: &str) -> WebTarget {
        WebTarget::parse_url(text).unwrap()
    }

    fn attempt(status: Option<u16>, verified: Option<bool>, error: Option<&str>) -> Attempt {
        let start = Instant::now();
        let mut timeline = Timeline::new(start);
        timeline.looked_up = Some(start);
        timeline.connected = Some(start + Duration::from_millis(1));
        timeline.handshaken = Some(start + Duration::from_millis(3));
        Attempt {
            timeline,
            tls: verified.map(|ok| TlsInfo {
                version: "TLSv1.3".into(),
                cipher: "TLS13_AES_128_GCM_SHA256".into(),
                alpn: None,
                chain: Vec::new(),
                last_chain_expiry: None,
                verdict: if ok {
                    Verdict::ok()
                } else {
                    Verdict::from_error(
                        &rustls::Error::InvalidCertificate(rustls::CertificateError::Expired),
                        false,
                    )
                },
            }),
            response: status.map(ResponseInfo::with_status),
            error: error.map(str::to_string),
        }
    }

    #[test]
    fn success_is_2xx_over_a_verified_chain_and_each_failure_names_its_step() {
        let https = target("https://a.test/");
        let http = target("http://a.test/");
        assert_eq!(judge(&https, &attempt(Some(204), Some(true), None)), Ok(()));
        assert_eq!(judge(&http, &attempt(Some(200), None, None)), Ok(()));
        let step = |t: &WebTarget, a: Attempt| judge(t, &a).unwrap_err();
        assert_eq!(step(&http, attempt(Some(301), None, None)).0, "status");
        assert_eq!(step(&http, attempt(Some(500), None, None)).0, "status");
        let cert = step(&https, attempt(None, Some(false), Some("certificate ...")));
        assert_eq!((cert.0, cert.1), ("certificate", Some("expired")));
        let mut refused = attempt(None, None, Some("TCP connect: connection refused"));
        refused.timeline.connected = None;
        assert_eq!(step(&http, refused).0, "refused");
        let mut shake = attempt(None, None, Some("TLS handshake: eof"));
        shake.timeline.handshaken = None;
        assert_eq!(step(&https, shake).0, "tls");
        assert_eq!(step(&http, attempt(None, None, Some("garbage"))).0, "http");
        let tls = WebTarget::parse_tls("a.test:443").unwrap();
        assert_eq!(judge(&tls, &attempt(None, Some(true), None)), Ok(()));
    }

    #[test]
    fn targets_are_checked_per_module() {
        assert!(parse_target(false, "https://a.test/x").is_ok());
        assert!(parse_target(false, "ftp://a.test/").is_err());
        assert!(parse_target(false, "a.test").is_err());
        assert!(parse_target(true, "a.test:443").is_ok());
        assert!(parse_target(true, "a.test").is_err());
        assert!(parse_target(true, "https://a.test/").is_err());
    }

    #[test]
    fn series_use_blackbox_exporters_names() {
        let mut r = Registry::default();
        encode(&mut r, true, &attempt(Some(200), Some(true), None));
        let mut out = String::new();
        prometheus_client::encoding::text::encode(&mut out, &r).unwrap();
        for line in [
            "probe_http_status_code 200",
            "probe_http_version 2",
            "probe_http_ssl 1",
            "probe_http_content_length -1",
            "probe_tls_version_info{version=\"TLS 1.3\"} 1",
            "probe_http_duration_seconds{phase=\"connect\"} 0.001",
            "probe_http_duration_seconds{phase=\"tls\"} 0.002",
        ] {
            assert!(out.contains(line), "{line} not in\n{out}");
        }
    }
}
