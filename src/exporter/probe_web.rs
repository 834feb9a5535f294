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
//! verified chain; tls needs a handshake whose chain verifies for the name. Trust is
//! the system's store plus `[probe] ca_file`. The failed step says where it stopped:
//! `connect`, `refused`, `tls` (the handshake), `certificate` with the reason as kind
//! (`expired`, `name_mismatch`, ...), `http` (the exchange), `status`.
//!
//! Redirects are followed, as blackbox_exporter's `follow_redirects: true` default does
//! ([`chain`]), with `web::redirect`'s rules (`connect -L`'s): at most
//! [`redirect::MAX_REDIRECTS`], a URL already visited is a loop. Each hop's host must
//! pass the allow list the request's target passed (a name by its name, an address by
//! a prefix; `--probe-any-target` lifts it), so a redirect cannot send the exporter
//! where its owner did not allow. A chain that breaks fails at step `http` with the
//! kind `redirect_not_allowed`, `redirect_loop`, `too_many_redirects`,
//! `redirect_unresolved` or `bad_redirect`. `probe_http_redirects` counts the hops
//! followed; the phases are summed over the chain and the rest describes the last
//! response, as blackbox_exporter reports them.

use std::net::SocketAddr;
use std::time::Duration;

use prometheus_client::encoding::EncodeLabelSet;
use prometheus_client::metrics::family::Family;
use prometheus_client::metrics::gauge::Gauge;
use prometheus_client::registry::Registry;

use super::metrics::{float, FloatGauge};
use crate::target::{PortSuffix, Target};
use crate::web::redirect::{self, Next};
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

/// What a request and the redirects it led to came to.
#[derive(Debug, Default)]
pub struct Chain {
    /// Every request, in order: the last is the answer, or where the chain broke.
    pub attempts: Vec<Attempt>,
    /// Why the chain stopped at a redirect it could not follow: (kind, why).
    pub broken: Option<(&'static str, String)>,
}

/// After a response: follow `Location` to this target (its host as the allow list
/// sees it), stay (this is the answer), or break (kind, why).
#[derive(Debug, PartialEq)]
pub enum Hop {
    Stay,
    Follow(Box<WebTarget>, Target),
    Broken(&'static str, String),
}

/// The decision after `attempt` at `current` (`visited`: the chain's URLs so far, the
/// current one included); `may_probe` is the allow list.
pub fn next_hop(
    attempt: &Attempt,
    current: &WebTarget,
    visited: &[web::url::Url],
    may_probe: impl Fn(&Target) -> bool,
) -> Hop {
    let Some(response) = attempt
        .response
        .as_ref()
        .filter(|_| attempt.error.is_none())
    else {
        return Hop::Stay;
    };
    let to = match redirect::next(
        response.status,
        response.location.as_deref(),
        "GET",
        &current.url,
        visited,
    ) {
        Next::Stay => return Hop::Stay,
        // redirect::next's reasons, as kinds (its tests pin the words).
        Next::Broken(why) if why.starts_with("redirect loop") => {
            return Hop::Broken("redirect_loop", why)
        }
        Next::Broken(why) if why.starts_with("more than") => {
            return Hop::Broken("too_many_redirects", why)
        }
        Next::Broken(why) => return Hop::Broken("bad_redirect", why),
        Next::Follow { target, .. } => target,
    };
    let host = match Target::parse_destination(&to.host.to_string(), PortSuffix::Forbidden) {
        Ok(host) => host,
        Err(why) => return Hop::Broken("bad_redirect", format!("redirect to {}: {why}", to.url)),
    };
    if !may_probe(&host) {
        return Hop::Broken(
            "redirect_not_allowed",
            format!(
                "redirect to {}: host {} is not allowed (list it in [probe] allow)",
                to.url, to.host
            ),
        );
    }
    Hop::Follow(to, host)
}

/// The request to `first` at `to`, then each redirect it leads to (module docs), each
/// phase under `timeout`, a hop's host resolved by `resolve` (/probe's resolver); every
/// step is told to `note` for the debug log.
#[allow(clippy::too_many_arguments)] // each is a separate input of the one request chain
pub async fn chain<R, F>(
    first: &WebTarget,
    to: SocketAddr,
    timeline: Timeline,
    tls: &TlsSetup,
    timeout: Duration,
    may_probe: impl Fn(&Target) -> bool,
    resolve: R,
    mut note: impl FnMut(String),
) -> Chain
where
    R: Fn(Target) -> F,
    F: std::future::Future<Output = Result<SocketAddr, String>>,
{
    let mut out = Chain::default();
    let (mut current, mut to, mut timeline) = (first.clone(), to, timeline);
    let mut visited = vec![first.url.clone()];
    loop {
        note(intent(&current, to));
        let attempt = attempt(&current, to, timeline, tls, timeout).await;
        for line in log(&attempt) {
            note(line);
        }
        let hop = next_hop(&attempt, &current, &visited, &may_probe);
        out.attempts.push(attempt);
        let (next, host) = match hop {
            Hop::Stay => return out,
            Hop::Broken(kind, why) => {
                out.broken = Some((kind, why));
                return out;
            }
            Hop::Follow(next, host) => (next, host),
        };
        note(format!("following the redirect to {}", next.url));
        let started = std::time::Instant::now();
        to = match resolve(host).await {
            Ok(addr) => addr,
            Err(why) => {
                out.broken = Some((
                    "redirect_unresolved",
                    format!("resolving {host}: {why}", host = next.host),
                ));
                return out;
            }
        };
        to.set_port(next.port);
        timeline = Timeline::new(started);
        timeline.looked_up = Some(std::time::Instant::now());
        visited.push(next.url.clone());
        current = *next;
    }
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

/// A chain's verdict: a redirect it could not follow fails at `http` with its kind,
/// otherwise the last response is judged.
pub fn judge_chain(
    target: &WebTarget,
    chain: &Chain,
) -> Result<(), (&'static str, Option<&'static str>, String)> {
    if let Some((kind, why)) = &chain.broken {
        return Err(("http", Some(*kind), why.clone()));
    }
    match chain.attempts.last() {
        Some(last) => judge(target, last),
        None => Err(("http", None, "no request (a bug)".into())),
    }
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

/// The module's series (`http`: false for tls) from the chain's requests (one for tls).
pub fn encode(r: &mut Registry, http: bool, attempts: &[Attempt]) {
    let Some(attempt) = attempts.last() else {
        return;
    };
    if http {
        let f: Family<PhaseLabels, FloatGauge> = Family::default();
        for p in attempts.iter().map(|a| a.timeline.phases()) {
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
                .inc_by(d.unwrap_or_default().as_secs_f64());
            }
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
            "probe_http_redirects",
            "The number of redirects followed",
            attempts.len().saturating_sub(1) as f64,
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
        encode(&mut r, true, &[attempt(Some(200), Some(true), None)]);
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

    fn redirect(status: u16, location: Option<&str>) -> Attempt {
        let mut a = attempt(Some(status), None, None);
        if let Some(r) = a.response.as_mut() {
            r.location = location.map(str::to_string);
        }
        a
    }

    #[test]
    fn each_redirect_hop_is_followed_only_inside_the_allow_list() {
        let here = target("http://a.test/x");
        let visited = [here.url.clone()];
        let only_a = |t: &Target| t.text == "a.test";
        let hop = |a: &Attempt| next_hop(a, &here, &visited, only_a);
        assert_eq!(hop(&attempt(Some(200), None, None)), Hop::Stay);
        assert_eq!(hop(&redirect(304, None)), Hop::Stay);
        match hop(&redirect(302, Some("/y"))) {
            Hop::Follow(to, host) => {
                assert_eq!(to.url.as_str(), "http://a.test/y");
                assert_eq!(host.text, "a.test");
            }
            other => panic!("{other:?}"),
        }
        let kind = |h: Hop| match h {
            Hop::Broken(kind, why) => (kind, why),
            other => panic!("{other:?}"),
        };
        let (k, why) = kind(hop(&redirect(301, Some("https://b.test/"))));
        assert_eq!(k, "redirect_not_allowed");
        assert!(why.contains("host b.test is not allowed"), "{why}");
        assert_eq!(kind(hop(&redirect(302, Some("/x")))).0, "redirect_loop");
        assert_eq!(kind(hop(&redirect(302, None))).0, "bad_redirect");
        assert_eq!(
            kind(hop(&redirect(302, Some("ftp://a.test/")))).0,
            "bad_redirect"
        );
        // The eleventh redirect is one too many.
        let long: Vec<_> = (0..=redirect::MAX_REDIRECTS)
            .map(|i| target(&format!("http://a.test/{i}")).url)
            .collect();
        let k = next_hop(&redirect(302, Some("/next")), &here, &long, only_a);
        assert_eq!(kind(k).0, "too_many_redirects");
        // A failed exchange is not followed (judge says why).
        let mut failed = redirect(302, Some("/y"));
        failed.error = Some("reset".into());
        assert_eq!(hop(&failed), Hop::Stay);
    }

    #[test]
    fn a_broken_chain_fails_at_http_with_its_kind_and_phases_add_up() {
        let http = target("http://a.test/");
        let broken = Chain {
            attempts: vec![redirect(302, Some("/"))],
            broken: Some(("redirect_loop", "redirect loop".into())),
        };
        assert_eq!(
            judge_chain(&http, &broken).unwrap_err().1,
            Some("redirect_loop")
        );
        let followed = Chain {
            attempts: vec![redirect(302, Some("/b")), attempt(Some(200), None, None)],
            broken: None,
        };
        assert_eq!(judge_chain(&http, &followed), Ok(()));
        let mut r = Registry::default();
        encode(&mut r, true, &followed.attempts);
        let mut out = String::new();
        prometheus_client::encoding::text::encode(&mut out, &r).unwrap();
        for line in [
            "probe_http_redirects 1",
            "probe_http_status_code 200",
            "probe_http_duration_seconds{phase=\"connect\"} 0.002",
        ] {
            assert!(out.contains(line), "{line} not in\n{out}");
        }
    }
}
