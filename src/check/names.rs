//! The two answers `check` compares: what the system resolver gives (getaddrinfo, the
//! answer ping, trace and connect use) and what the resolv.conf servers say when asked
//! directly, without the hosts file. Both follow the rules of [`crate::dns`]: its /etc/hosts reader
//! (hosts first, as glibc) decides whether the hosts file is the system's source, and
//! its resolver, with resolv.conf's servers, search list and `ndots`, asks DNS.

use std::net::{IpAddr, SocketAddr};
use std::time::{Duration, Instant};

use crate::cli::Family;
use crate::dns::client::HickoryDns;
use crate::dns::conf;
use crate::dns::hosts::Hosts;
use crate::dns::lookup::{Mode, Resolution, Resolver, Source, Status, Subject, Want};

/// How long each DNS try waits.
pub const DNS_TIMEOUT: Duration = Duration::from_secs(2);

/// What DNS said, asked directly.
#[derive(Debug, Clone, PartialEq)]
pub enum DnsAnswer {
    /// A server answered: its addresses (maybe none: NXDOMAIN or no data).
    Answered {
        server: SocketAddr,
        name: String,
        addrs: Vec<IpAddr>,
        status: &'static str,
    },
    /// No server could be asked or none answered.
    Unavailable(String),
    /// Deliberately not asked, and why (`localhost`, RFC 6761).
    NotAsked(String),
}

/// `localhost` and names under it are answered on this host and never sent to DNS
/// (RFC 6761 §6.3); asking anyway would only send a pointless query off the machine.
pub fn is_local_name(name: &str) -> bool {
    let name = name.trim_end_matches('.').to_ascii_lowercase();
    name == "localhost" || name.ends_with(".localhost")
}

impl DnsAnswer {
    /// What resolve found, as check reports it.
    fn from_resolution(found: Resolution) -> DnsAnswer {
        let server = match found.source {
            Some(Source::Server { addr, .. }) => Some(addr),
            _ => None,
        };
        match (found.status, server) {
            (Status::Ok | Status::NxDomain | Status::NoData, Some(server)) => DnsAnswer::Answered {
                server,
                name: found
                    .asked
                    .map(|name| name.trim_end_matches('.').to_string())
                    .unwrap_or(found.query),
                addrs: found
                    .rows
                    .iter()
                    .filter(|row| row.kind == "A" || row.kind == "AAAA")
                    .filter_map(|row| row.value.parse().ok())
                    .collect(),
                status: found.status.as_str(),
            },
            (status, _) => {
                DnsAnswer::Unavailable(found.error.unwrap_or_else(|| status.as_str().into()))
            }
        }
    }
}

/// Asks the resolv.conf servers for `name`'s addresses, as the system would but
/// without the hosts file.
pub async fn ask_dns(name: &str, family: Family) -> DnsAnswer {
    if is_local_name(name) {
        return DnsAnswer::NotAsked(format!(
            "{name} is answered on this host (RFC 6761), never by DNS"
        ));
    }
    let conf = match conf::load() {
        Ok((conf, _ignored_lines)) => conf,
        Err(failure) => {
            return DnsAnswer::Unavailable(format!("{}: {}", failure.what, failure.why))
        }
    };
    let resolver = Resolver::new(
        HickoryDns::new(),
        Mode::system_dns(conf, Some(DNS_TIMEOUT), false),
    );
    let subject = Subject::Name(name.to_string());
    match resolver
        .resolve(name, &subject, Want::Addresses(family))
        .await
    {
        Ok(found) => DnsAnswer::from_resolution(found),
        Err(failure) => DnsAnswer::Unavailable(failure.why),
    }
}

/// What /etc/hosts gives `name` ([`crate::dns::hosts`]'s reader); not empty means the system
/// resolver answers from it, since glibc consults the file before DNS.
pub fn hosts_addresses(name: &str, family: Family) -> Vec<IpAddr> {
    Hosts::load().addresses(name, family)
}

/// What the system resolver gave, and how long it took.
pub struct SystemAnswer {
    pub addrs: Vec<IpAddr>,
    pub elapsed: Duration,
}

pub async fn ask_system(
    host: &crate::target::Host,
    family: Family,
) -> Result<(SystemAnswer, Vec<crate::connect::Address>), crate::error::Failure> {
    let started = Instant::now();
    let found = crate::connect::addresses_of(host, family).await?;
    Ok((
        SystemAnswer {
            addrs: found.iter().map(|a| a.ip).collect(),
            elapsed: started.elapsed(),
        },
        found,
    ))
}

#[cfg(test)]
mod tests {
    #[test]
    fn localhost_names_are_never_sent_to_dns() {
        for name in ["localhost", "LOCALHOST.", "a.b.localhost", "x.localhost."] {
            assert!(super::is_local_name(name), "{name}");
        }
        for name in ["localhost.netlab.test", "notlocalhost", "www.netlab.test"] {
            assert!(!super::is_local_name(name), "{name}");
        }
    }

    use super::*;
    use crate::dns::lookup::Row;

    fn resolution(status: Status, asked: &str, rows: &[(&str, &str)]) -> Resolution {
        Resolution {
            query: "www".into(),
            status,
            source: Some(Source::Server {
                addr: "198.18.100.53:53".parse().unwrap(),
                tcp: false,
            }),
            elapsed: Duration::ZERO,
            rows: rows
                .iter()
                .map(|(kind, value)| Row {
                    name: asked.into(),
                    kind: kind.to_string(),
                    value: value.to_string(),
                    ttl: Some(300),
                })
                .collect(),
            error: None,
            asked: Some(asked.into()),
            messages: Vec::new(),
        }
    }

    #[test]
    fn an_answer_names_its_server_the_name_asked_and_only_addresses() {
        let found = resolution(
            Status::Ok,
            "www.netlab.test.",
            &[("CNAME", "web.netlab.test."), ("A", "198.18.2.2")],
        );
        assert_eq!(
            DnsAnswer::from_resolution(found),
            DnsAnswer::Answered {
                server: "198.18.100.53:53".parse().unwrap(),
                name: "www.netlab.test".into(),
                addrs: vec!["198.18.2.2".parse().unwrap()],
                status: "ok",
            }
        );
        let nx = resolution(Status::NxDomain, "nosuch.", &[]);
        assert!(matches!(
            DnsAnswer::from_resolution(nx),
            DnsAnswer::Answered { status: "nxdomain", ref addrs, .. } if addrs.is_empty()
        ));
    }

    #[test]
    fn no_real_answer_is_unavailable_with_resolves_reason() {
        let mut found = resolution(Status::Timeout, "www.", &[]);
        found.source = None;
        found.error = Some("no reply from 198.18.100.53:53 within 2s".into());
        assert_eq!(
            DnsAnswer::from_resolution(found),
            DnsAnswer::Unavailable("no reply from 198.18.100.53:53 within 2s".into())
        );
    }
}
