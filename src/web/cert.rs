//! A certificate's fields as people read them in `openssl x509 -text`: subject, issuer,
//! DNS names, validity and the days left. x509-parser reads the DER; nothing here trusts
//! or verifies (that is `verify.rs`).

use std::time::{Duration, SystemTime, UNIX_EPOCH};

use serde::Serialize;
use x509_parser::extensions::GeneralName;

/// One certificate of a chain.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct CertInfo {
    pub subject: String,
    pub issuer: String,
    /// The subjectAltName DNS names (and IP addresses, as text).
    pub dns_names: Vec<String>,
    /// RFC 3339, UTC.
    pub not_before: String,
    pub not_after: String,
    /// not-after in seconds since the epoch (the exporter's expiry gauges).
    #[serde(skip)]
    pub not_after_unix: i64,
    /// Whole days from now until not-after (negative once expired).
    pub days_left: i64,
    /// Subject and issuer are the same name.
    pub self_signed: bool,
}

/// Reads one DER certificate; `now` is when "days left" counts from.
pub fn describe(der: &[u8], now: SystemTime) -> Result<CertInfo, String> {
    let (_, cert) = x509_parser::parse_x509_certificate(der)
        .map_err(|err| format!("unreadable certificate: {err}"))?;
    let mut dns_names = Vec::new();
    if let Ok(Some(san)) = cert.subject_alternative_name() {
        for name in &san.value.general_names {
            match name {
                GeneralName::DNSName(dns) => dns_names.push(dns.to_string()),
                GeneralName::IPAddress(bytes) => {
                    if let Some(ip) = ip_of(bytes) {
                        dns_names.push(ip.to_string());
                    }
                }
                _ => {}
            }
        }
    }
    let validity = cert.validity();
    let not_before = validity.not_before.timestamp();
    let not_after = validity.not_after.timestamp();
    let now_secs = match now.duration_since(UNIX_EPOCH) {
        Ok(d) => d.as_secs() as i64,
        Err(_) => 0,
    };
    Ok(CertInfo {
        subject: cert.subject().to_string(),
        issuer: cert.issuer().to_string(),
        dns_names,
        not_before: rfc3339(not_before),
        not_after: rfc3339(not_after),
        not_after_unix: not_after,
        days_left: (not_after - now_secs).div_euclid(86_400),
        self_signed: cert.subject().as_raw() == cert.issuer().as_raw(),
    })
}

fn ip_of(bytes: &[u8]) -> Option<std::net::IpAddr> {
    match bytes.len() {
        4 => Some(<[u8; 4]>::try_from(bytes).ok()?.into()),
        16 => Some(<[u8; 16]>::try_from(bytes).ok()?.into()),
        _ => None,
    }
}

/// Seconds since the epoch as `2026-12-06T07:00:00Z` (before 1970: the epoch itself).
fn rfc3339(secs: i64) -> String {
    let at = UNIX_EPOCH + Duration::from_secs(secs.max(0) as u64);
    humantime::format_rfc3339_seconds(at).to_string()
}

#[cfg(test)]
mod tests {
    use super::*;

    fn make(names: &[&str], days_before: i64, days_after: i64) -> Vec<u8> {
        let mut params =
            rcgen::CertificateParams::new(names.iter().map(|n| n.to_string()).collect::<Vec<_>>())
                .unwrap();
        let now = time_now();
        params.not_before = now + rcgen_days(-days_before);
        params.not_after = now + rcgen_days(days_after);
        params
            .distinguished_name
            .push(rcgen::DnType::CommonName, "www.netlab.test");
        let key = rcgen::KeyPair::generate().unwrap();
        params.self_signed(&key).unwrap().der().to_vec()
    }

    fn time_now() -> time::OffsetDateTime {
        time::OffsetDateTime::now_utc()
    }

    fn rcgen_days(days: i64) -> time::Duration {
        time::Duration::days(days)
    }

    #[test]
    fn fields_of_a_self_signed_certificate() {
        let der = make(&["www.netlab.test", "netlab.test", "198.18.2.2"], 10, 30);
        let info = describe(&der, SystemTime::now()).unwrap();
        assert_eq!(info.subject, "CN=www.netlab.test");
        assert_eq!(info.issuer, info.subject);
        assert!(info.self_signed);
        assert_eq!(
            info.dns_names,
            ["www.netlab.test", "netlab.test", "198.18.2.2"]
        );
        assert!((29..=30).contains(&info.days_left), "{info:?}");
        assert!(info.not_after.ends_with('Z'), "{}", info.not_after);
    }

    #[test]
    fn an_expired_certificate_has_negative_days() {
        let der = make(&["x.test"], 30, -2);
        let info = describe(&der, SystemTime::now()).unwrap();
        assert!((-3..=-2).contains(&info.days_left), "{info:?}");
    }

    #[test]
    fn garbage_is_an_error_not_a_panic() {
        assert!(describe(b"not a certificate", SystemTime::now()).is_err());
        assert!(describe(&[], SystemTime::now()).is_err());
    }
}
