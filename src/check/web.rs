//! `check http(s)://HOST/` (issue 19): the two rows above the socket. Once the name
//! resolved and the port answered, a person asks whether the web server answers and
//! whether its certificate is valid for the name; these rows say so, through the same
//! attempt `connect https://...` makes ([`crate::web`]), to the address the resolver gave
//! (the one every other part of `check` used).
//!
//! The request goes on when the chain does not verify (as `-k` would): the web server's
//! answer and the certificate are two findings, each with its own row.

use std::net::SocketAddr;
use std::time::{Duration, Instant};

use super::verdict::{Check, Status};
use crate::error::Failure;
use crate::web::{self, Attempt, HttpVersion, RequestSpec, Scheme, TlsSetup, WebTarget};

/// Each phase's limit, as the check's TCP connect has.
pub const TIMEOUT: Duration = Duration::from_secs(2);

/// One GET of the URL's path from `addr`.
pub async fn fetch(target: &WebTarget, addr: SocketAddr) -> Result<Attempt, Failure> {
    let tls = if target.scheme.uses_tls() {
        Some(TlsSetup::new(None).map_err(|why| Failure::new("TLS set-up", why))?)
    } else {
        None
    };
    let spec = RequestSpec {
        method: "GET".into(),
        headers: Vec::new(),
        body: None,
        version: HttpVersion::Auto,
        timeout: TIMEOUT,
        insecure: true,
        sni: None,
    };
    let start = Instant::now();
    let mut timeline = web::Timeline::new(start);
    // The name was looked up by check's resolve step, timed there.
    timeline.looked_up = Some(start);
    Ok(web::attempt(target, addr, timeline, &spec, tls.as_ref()).await)
}

fn row(name: &'static str, status: Status, explanation: String) -> Check {
    Check {
        name,
        status,
        explanation: Some(explanation),
    }
}

/// `web_server_answers`, and for https `certificate_valid_for_name`. Unlike the other
/// rows, a passing one explains too: the status and the time to first byte, the days
/// left.
pub fn checks(target: &WebTarget, attempt: &Attempt) -> Vec<Check> {
    let mut rows = Vec::with_capacity(2);
    let first_byte = attempt.timeline.phases().first_byte;
    rows.push(match (&attempt.response, &attempt.error) {
        (Some(r), None) if r.status < 400 => row(
            "web_server_answers",
            Status::Pass,
            format!(
                "{} {} {}, first byte {:.3} ms after the request",
                r.http_version,
                r.status,
                r.reason,
                first_byte.map_or(0.0, |d| d.as_secs_f64() * 1000.0)
            ),
        ),
        (Some(r), None) => row(
            "web_server_answers",
            Status::Fail,
            format!("it answered {} {} {}", r.http_version, r.status, r.reason),
        ),
        (_, Some(error)) => row("web_server_answers", Status::Fail, error.clone()),
        (None, None) => row("web_server_answers", Status::Fail, "no response".into()),
    });
    if target.scheme == Scheme::Https {
        let name = target.host.to_string();
        rows.push(match &attempt.tls {
            Some(tls) if tls.verdict.verified => {
                let days = tls.chain.first().map_or(0, |c| c.days_left);
                let until = tls.chain.first().map_or("?", |c| c.not_after.as_str());
                row(
                    "certificate_valid_for_name",
                    Status::Pass,
                    format!("valid for {name}, {days} days left (until {until})"),
                )
            }
            Some(tls) => row(
                "certificate_valid_for_name",
                Status::Fail,
                format!("not valid for {name}: {}", tls.verdict.text()),
            ),
            None => row(
                "certificate_valid_for_name",
                Status::Fail,
                format!(
                    "no TLS handshake: {}",
                    attempt.error.as_deref().unwrap_or("no answer")
                ),
            ),
        });
    }
    rows
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::web::{ResponseInfo, TlsInfo, Verdict};

    fn attempt(status: Option<u16>, verdict: Option<Verdict>, error: Option<&str>) -> Attempt {
        let t0 = Instant::now();
        let mut timeline = web::Timeline::new(t0);
        timeline.looked_up = Some(t0);
        timeline.connected = Some(t0);
        timeline.handshaken = Some(t0);
        timeline.first_byte = Some(t0 + Duration::from_micros(1500));
        Attempt {
            timeline,
            tls: verdict.map(|verdict| TlsInfo {
                version: "TLSv1.3".into(),
                cipher: "TLS13_AES_128_GCM_SHA256".into(),
                alpn: Some("h2".into()),
                chain: vec![],
                last_chain_expiry: None,
                verdict,
            }),
            response: status.map(ResponseInfo::with_status),
            error: error.map(String::from),
        }
    }

    #[test]
    fn a_good_https_server_passes_both_rows_with_figures() {
        let target = WebTarget::parse_url("https://www.netlab.test/").unwrap();
        let rows = checks(&target, &attempt(Some(200), Some(Verdict::ok()), None));
        assert_eq!(rows.len(), 2);
        assert_eq!(rows[0].status, Status::Pass);
        assert_eq!(
            rows[0].explanation.as_deref(),
            Some("HTTP/2 200 OK, first byte 1.500 ms after the request")
        );
        assert_eq!(rows[1].name, "certificate_valid_for_name");
        assert_eq!(rows[1].status, Status::Pass);
    }

    #[test]
    fn failures_say_why_and_http_has_no_certificate_row() {
        let target = WebTarget::parse_url("https://www.netlab.test/").unwrap();
        let expired = Verdict::from_error(
            &rustls::Error::InvalidCertificate(rustls::CertificateError::Expired),
            false,
        );
        let rows = checks(&target, &attempt(Some(503), Some(expired), None));
        assert_eq!(
            (rows[0].status, rows[1].status),
            (Status::Fail, Status::Fail)
        );
        assert!(rows[1].explanation.as_deref().unwrap().contains("expired"));
        let rows = checks(&target, &attempt(None, None, Some("TCP connect: refused")));
        assert!(rows[1].explanation.as_deref().unwrap().contains("refused"));
        let plain = WebTarget::parse_url("http://www.netlab.test/").unwrap();
        let rows = checks(&plain, &attempt(Some(200), None, None));
        assert_eq!(rows.len(), 1);
    }
}
