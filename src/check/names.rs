//! The two answers `check` compares: what the system resolver gives (getaddrinfo, the
//! answer ping, trace and connect use) and what the resolv.conf server says when asked
//! directly (resolve's `Resolver` in direct mode, dig-style). When they differ and
//! /etc/hosts lists the name, the hosts file is named as the reason.
//!
//! The hosts and resolv.conf readers here are deliberately minimal (which addresses the
//! hosts file gives a name; the `nameserver` and `search` lines): resolve's own loaders
//! are private to it, and these only need to name a source, not reproduce glibc.

use std::net::{IpAddr, SocketAddr};
use std::time::{Duration, Instant};

use crate::cli::Family;
use crate::resolve::dns::HickoryDns;
use crate::resolve::lookup::{Mode, Resolver, Servers, Status, Subject, Want};

/// How long each direct DNS query waits.
pub const DNS_TIMEOUT: Duration = Duration::from_secs(2);

/// Addresses `/etc/hosts` (as text) gives `name`, in file order, filtered by family.
pub fn hosts_addresses(text: &str, name: &str, family: Family) -> Vec<IpAddr> {
    let wanted = name.trim_end_matches('.');
    let mut out = Vec::new();
    for line in text.lines() {
        let line = line.split('#').next().unwrap_or("");
        let mut fields = line.split_whitespace();
        let Some(addr) = fields
            .next()
            .and_then(|a| a.split('%').next()?.parse::<IpAddr>().ok())
        else {
            continue;
        };
        if fields.any(|n| n.trim_end_matches('.').eq_ignore_ascii_case(wanted))
            && family.allows(&addr)
            && !out.contains(&addr)
        {
            out.push(addr);
        }
    }
    out
}

/// The `nameserver` addresses (port 53, at most three as glibc) and the search list of a
/// resolv.conf.
pub fn resolv_conf(text: &str) -> (Vec<SocketAddr>, Vec<String>) {
    let mut servers = Vec::new();
    let mut search = Vec::new();
    for line in text.lines() {
        let mut fields = line.split_whitespace();
        match fields.next() {
            Some("nameserver") => {
                if let Some(addr) = fields.next().and_then(|a| a.parse::<IpAddr>().ok()) {
                    if servers.len() < 3 {
                        servers.push(SocketAddr::new(addr, 53));
                    }
                }
            }
            Some("search") | Some("domain") => {
                search = fields
                    .map(|f| f.trim_end_matches('.').to_string())
                    .collect();
            }
            _ => {}
        }
    }
    (servers, search)
}

/// The names asked of DNS for `name`: as typed when it has a dot, else with each search
/// domain first (ndots:1), then as typed.
pub fn candidates(name: &str, search: &[String]) -> Vec<String> {
    if name.trim_end_matches('.').contains('.') || name.ends_with('.') {
        return vec![name.to_string()];
    }
    let mut out: Vec<String> = search.iter().map(|d| format!("{name}.{d}")).collect();
    out.push(name.to_string());
    out
}

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
}

/// Asks the resolv.conf servers in order for `name`'s addresses.
pub async fn ask_dns(name: &str, family: Family) -> DnsAnswer {
    let text = match std::fs::read_to_string("/etc/resolv.conf") {
        Ok(text) => text,
        Err(err) => return DnsAnswer::Unavailable(format!("/etc/resolv.conf: {err}")),
    };
    let (servers, search) = resolv_conf(&text);
    if servers.is_empty() {
        return DnsAnswer::Unavailable("/etc/resolv.conf names no server".into());
    }
    let mut trouble = String::new();
    for server in servers {
        let resolver = Resolver::new(
            HickoryDns::new(),
            Mode::Direct {
                servers: Servers::direct(server, DNS_TIMEOUT, false),
            },
        );
        let mut last = None;
        for candidate in candidates(name, &search) {
            let subject = Subject::Name(candidate.clone());
            let asked = resolver
                .resolve(&candidate, &subject, Want::Addresses(family))
                .await;
            match asked {
                Ok(found) if found.status == Status::Ok => {
                    let addrs = found
                        .rows
                        .iter()
                        .filter(|row| row.kind == "A" || row.kind == "AAAA")
                        .filter_map(|row| row.value.parse().ok())
                        .collect();
                    return DnsAnswer::Answered {
                        server,
                        name: candidate,
                        addrs,
                        status: "ok",
                    };
                }
                Ok(found) if matches!(found.status, Status::NxDomain | Status::NoData) => {
                    last = Some((candidate, found.status.as_str()));
                }
                Ok(found) => {
                    trouble = format!(
                        "{server}: {}",
                        found.error.unwrap_or_else(|| found.status.as_str().into())
                    );
                    last = None;
                    break;
                }
                Err(failure) => {
                    trouble = format!("{server}: {}", failure.why);
                    break;
                }
            }
        }
        if let Some((name, status)) = last {
            return DnsAnswer::Answered {
                server,
                name,
                addrs: Vec::new(),
                status,
            };
        }
    }
    DnsAnswer::Unavailable(trouble)
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
    use super::*;

    #[test]
    fn hosts_lines_give_addresses_by_name() {
        let text = "127.0.0.1 localhost\n# 1.2.3.4 override.netlab.test\n\
                    198.18.0.2 override.netlab.test override # router 1\n\
                    fd4e::2 Override.Netlab.Test.\nbad line\n";
        let v4: IpAddr = "198.18.0.2".parse().unwrap();
        let v6: IpAddr = "fd4e::2".parse().unwrap();
        assert_eq!(
            hosts_addresses(text, "override.netlab.test", Family::Any),
            vec![v4, v6]
        );
        assert_eq!(
            hosts_addresses(text, "override.netlab.test.", Family::V6),
            vec![v6]
        );
        assert_eq!(hosts_addresses(text, "override", Family::Any), vec![v4]);
        assert!(hosts_addresses(text, "www.netlab.test", Family::Any).is_empty());
    }

    #[test]
    fn resolv_conf_servers_and_search() {
        let (servers, search) = resolv_conf(
            "# x\nnameserver 198.18.100.53\nnameserver ::1\nsearch netlab.test. lab\noptions ndots:1\n",
        );
        assert_eq!(
            servers,
            vec![
                "198.18.100.53:53".parse().unwrap(),
                "[::1]:53".parse().unwrap()
            ]
        );
        assert_eq!(search, vec!["netlab.test", "lab"]);
    }

    #[test]
    fn search_list_applies_to_single_labels() {
        let search = vec!["netlab.test".to_string()];
        assert_eq!(candidates("www", &search), vec!["www.netlab.test", "www"]);
        assert_eq!(
            candidates("www.netlab.test", &search),
            vec!["www.netlab.test"]
        );
        assert_eq!(candidates("www.", &search), vec!["www."]);
    }
}
