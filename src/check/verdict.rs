//! The checks: pure functions from what was measured to pass / fail / skip and why.
//!
//! "The address" the ping and the trace should end on is what DNS gives for the name
//! when DNS could be asked (the packets follow the system resolver, so a hosts file that
//! disagrees shows up in every check), else the system resolver's answer, and for an
//! address typed in, that address.

use std::net::IpAddr;

use serde::Serialize;

use super::names::DnsAnswer;
use crate::ping::Summary as PingSummary;
use crate::trace::engine::Ending;
use crate::trace::TraceOutcome;

/// The outcome of one check.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum Status {
    Pass,
    Fail,
    /// Does not apply (an address needs no resolver; DNS could not be asked).
    Skip,
}

/// One row of the verdict table.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Check {
    /// `resolver_agrees_with_dns`, `port_answers`, `ping_replies_from_address`,
    /// `trace_ends_on_address`.
    pub name: &'static str,
    pub status: Status,
    /// Why it failed or was skipped; null when it passed.
    pub explanation: Option<String>,
}

impl Check {
    fn pass(name: &'static str) -> Check {
        Check {
            name,
            status: Status::Pass,
            explanation: None,
        }
    }

    fn fail(name: &'static str, why: String) -> Check {
        Check {
            name,
            status: Status::Fail,
            explanation: Some(why),
        }
    }

    fn skip(name: &'static str, why: String) -> Check {
        Check {
            name,
            status: Status::Skip,
            explanation: Some(why),
        }
    }
}

/// How the port answered.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum PortState {
    Open,
    /// Refused (RST, or an ICMP port unreachable from `from`).
    Closed {
        from: Option<IpAddr>,
    },
    /// Nothing came back.
    Filtered,
    /// An ICMP error from `from` (host/net unreachable, prohibited, ...).
    Unreachable {
        from: Option<IpAddr>,
        why: String,
    },
    /// The connect could not be attempted.
    Error(String),
}

impl PortState {
    pub fn as_str(&self) -> &'static str {
        match self {
            PortState::Open => "open",
            PortState::Closed { .. } => "closed",
            PortState::Filtered => "filtered",
            PortState::Unreachable { .. } => "unreachable",
            PortState::Error(_) => "error",
        }
    }
}

/// Everything the checks look at.
pub struct Findings<'a> {
    pub name: Option<&'a str>,
    /// What the system resolver gave (or the literal address).
    pub system: &'a [IpAddr],
    /// What /etc/hosts gives the name (empty: not listed).
    pub hosts: &'a [IpAddr],
    pub dns: Option<&'a DnsAnswer>,
    /// The address probed (the system resolver's first).
    pub address: IpAddr,
    pub port: u16,
    pub port_state: &'a PortState,
    pub ping: &'a PingSummary,
    pub trace: &'a TraceOutcome,
}

impl Findings<'_> {
    /// Where the packets should end up, and who says so.
    fn expected(&self) -> (Vec<IpAddr>, String) {
        match (self.name, self.dns) {
            (Some(name), Some(DnsAnswer::Answered { server, addrs, .. })) if !addrs.is_empty() => (
                addrs.clone(),
                format!("DNS ({}) says {name} is {}", server.ip(), list(addrs)),
            ),
            _ => (vec![self.address], String::new()),
        }
    }

    /// "which /etc/hosts gives NAME" when the hosts file is the reason for `addr`.
    fn blame(&self, addr: IpAddr) -> String {
        match self.name {
            Some(name) if self.hosts.contains(&addr) => {
                format!(", the address /etc/hosts gives {name}")
            }
            _ => String::new(),
        }
    }
}

pub fn checks(f: &Findings) -> Vec<Check> {
    vec![
        resolver_agrees(f),
        port_answers(f),
        ping_replies(f),
        trace_ends(f),
    ]
}

fn list(addrs: &[IpAddr]) -> String {
    addrs
        .iter()
        .map(IpAddr::to_string)
        .collect::<Vec<_>>()
        .join(", ")
}

fn same_set(a: &[IpAddr], b: &[IpAddr]) -> bool {
    a.iter().all(|x| b.contains(x)) && b.iter().all(|x| a.contains(x))
}

fn resolver_agrees(f: &Findings) -> Check {
    const NAME: &str = "resolver_agrees_with_dns";
    let Some(name) = f.name else {
        return Check::skip(NAME, "an address was given: nothing to resolve".into());
    };
    let (server, dns) = match f.dns {
        Some(DnsAnswer::Answered { server, addrs, .. }) => (server, addrs),
        Some(DnsAnswer::Unavailable(why)) => {
            return Check::skip(NAME, format!("DNS could not be asked: {why}"))
        }
        Some(DnsAnswer::NotAsked(why)) => return Check::skip(NAME, why.clone()),
        None => return Check::skip(NAME, "DNS was not asked".into()),
    };
    if same_set(f.system, dns) {
        return Check::pass(NAME);
    }
    if dns.is_empty() && !f.hosts.is_empty() {
        return Check::skip(
            NAME,
            format!(
                "only /etc/hosts knows {name}: DNS ({}) has no address for it, so nothing \
                 is overridden",
                server.ip()
            ),
        );
    }
    let dns_says = if dns.is_empty() {
        format!("DNS ({}) has no address for it", server.ip())
    } else {
        format!("DNS ({}) says {}", server.ip(), list(dns))
    };
    if !f.hosts.is_empty() {
        Check::fail(
            NAME,
            format!(
                "/etc/hosts overrides DNS: the system resolver gives {name} as {} from /etc/hosts, \
                 while {dns_says}",
                list(f.system)
            ),
        )
    } else {
        Check::fail(
            NAME,
            format!(
                "the system resolver gives {name} as {}, while {dns_says} \
                 (another resolv.conf server, nsswitch or a cache answers differently)",
                list(f.system)
            ),
        )
    }
}

fn port_answers(f: &Findings) -> Check {
    const NAME: &str = "port_answers";
    let at = format!("{}", std::net::SocketAddr::new(f.address, f.port));
    match f.port_state {
        PortState::Open => Check::pass(NAME),
        PortState::Closed { from: None } => Check::fail(
            NAME,
            format!(
                "{at} refused the connection (RST): nothing listens on port {}",
                f.port
            ),
        ),
        PortState::Closed { from: Some(from) } => Check::fail(
            NAME,
            format!("{at} refused: {from} sent ICMP port unreachable (a firewall's REJECT)"),
        ),
        PortState::Filtered => Check::fail(
            NAME,
            format!("{at} did not answer: a firewall drops the handshake, or the host is down"),
        ),
        PortState::Unreachable { from, why } => Check::fail(
            NAME,
            match from {
                Some(from) => format!("{at}: {from} reports {why}"),
                None => format!("{at}: {why}"),
            },
        ),
        PortState::Error(why) => Check::fail(NAME, format!("{at}: {why}")),
    }
}

fn ping_replies(f: &Findings) -> Check {
    const NAME: &str = "ping_replies_from_address";
    let (expected, who) = f.expected();
    let p = f.ping;
    if p.replies_from.is_empty() {
        let errors = match p.errors.first() {
            Some((from, kind)) => format!("; {from} reports {}", kind.describe()),
            None => String::new(),
        };
        return Check::fail(
            NAME,
            format!(
                "no echo reply from {}: {} sent, 0 received{errors}",
                f.address, p.transmitted
            ),
        );
    }
    let strangers: Vec<IpAddr> = p
        .replies_from
        .iter()
        .copied()
        .filter(|a| !expected.contains(a))
        .collect();
    if strangers.is_empty() {
        return Check::pass(NAME);
    }
    let why = if who.is_empty() {
        format!(
            "replies came from {}, not from {}",
            list(&strangers),
            f.address
        )
    } else {
        format!(
            "replies came from {}{}, but {who}",
            list(&strangers),
            f.blame(strangers[0])
        )
    };
    Check::fail(NAME, why)
}

fn trace_ends(f: &Findings) -> Check {
    const NAME: &str = "trace_ends_on_address";
    let (expected, who) = f.expected();
    match f.trace.ending {
        Ending::Reached { ttl, from } if expected.contains(&from) => {
            let _ = ttl;
            Check::pass(NAME)
        }
        Ending::Reached { ttl, from } => Check::fail(
            NAME,
            if who.is_empty() {
                format!("the trace ends at {from} (hop {ttl}), not at {}", f.address)
            } else {
                format!(
                    "the trace ends at {from} (hop {ttl}){}, but {who}",
                    f.blame(from)
                )
            },
        ),
        Ending::Unreachable { ttl, from, kind } => Check::fail(
            NAME,
            format!(
                "the trace stops at hop {ttl}: {from} reports {} for {}",
                kind.describe(),
                f.address
            ),
        ),
        Ending::MaxHops => Check::fail(
            NAME,
            format!(
                "{} was not reached within {} hops{}",
                f.address,
                f.trace.hops.len(),
                match f
                    .trace
                    .hops
                    .iter()
                    .rev()
                    .find_map(|h| h.responders().first().copied())
                {
                    Some(last) => format!("; the last hop that answered is {last}"),
                    None => "; no hop answered".into(),
                }
            ),
        ),
        Ending::Stopped => Check::fail(NAME, "the trace was interrupted".into()),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::trace::engine::{Hop, ProbeResult, Reply};
    use std::time::Duration;

    fn ip(s: &str) -> IpAddr {
        s.parse().unwrap()
    }

    fn reached(from: &str, ttl: u8) -> TraceOutcome {
        TraceOutcome {
            hops: vec![Hop {
                ttl,
                probes: vec![ProbeResult::Answered {
                    from: ip(from),
                    rtt: Duration::from_millis(1),
                    reply: Reply::Reached,
                    mpls: Vec::new(),
                    objects: Vec::new(),
                    wire: Default::default(),
                }],
            }],
            ending: Ending::Reached {
                ttl,
                from: ip(from),
            },
        }
    }

    fn ping_from(from: &str) -> PingSummary {
        PingSummary {
            transmitted: 3,
            received: 3,
            replies_from: vec![ip(from)],
            ..PingSummary::default()
        }
    }

    #[test]
    fn a_hosts_override_fails_every_check_that_follows_it_and_says_why() {
        let dns = DnsAnswer::Answered {
            server: "198.18.100.53:53".parse().unwrap(),
            name: "override.netlab.test".into(),
            addrs: vec![ip("198.18.2.2")],
            status: "ok",
        };
        let system = [ip("198.18.0.2")];
        let ping = ping_from("198.18.0.2");
        let trace = reached("198.18.0.2", 1);
        let f = Findings {
            name: Some("override.netlab.test"),
            system: &system,
            hosts: &system,
            dns: Some(&dns),
            address: system[0],
            port: 80,
            port_state: &PortState::Closed { from: None },
            ping: &ping,
            trace: &trace,
        };
        let checks = checks(&f);
        let why = |i: usize| checks[i].explanation.clone().unwrap();
        assert!(
            checks.iter().all(|c| c.status == Status::Fail),
            "{checks:?}"
        );
        assert_eq!(
            why(0),
            "/etc/hosts overrides DNS: the system resolver gives override.netlab.test as \
             198.18.0.2 from /etc/hosts, while DNS (198.18.100.53) says 198.18.2.2"
        );
        assert_eq!(
            why(1),
            "198.18.0.2:80 refused the connection (RST): nothing listens on port 80"
        );
        assert_eq!(
            why(2),
            "replies came from 198.18.0.2, the address /etc/hosts gives override.netlab.test, \
             but DNS (198.18.100.53) says override.netlab.test is 198.18.2.2"
        );
        assert_eq!(
            why(3),
            "the trace ends at 198.18.0.2 (hop 1), the address /etc/hosts gives \
             override.netlab.test, but DNS (198.18.100.53) says override.netlab.test is 198.18.2.2"
        );
    }

    #[test]
    fn a_consistent_name_passes_and_an_address_skips_the_resolver_check() {
        let ping = ping_from("198.18.2.2");
        let trace = reached("198.18.2.2", 3);
        let system = [ip("198.18.2.2")];
        let f = Findings {
            name: None,
            system: &system,
            hosts: &[],
            dns: None,
            address: system[0],
            port: 80,
            port_state: &PortState::Open,
            ping: &ping,
            trace: &trace,
        };
        let checks = checks(&f);
        assert_eq!(checks[0].status, Status::Skip);
        assert!(
            checks[1..].iter().all(|c| c.status == Status::Pass),
            "{checks:?}"
        );
    }

    #[test]
    fn localhost_and_hosts_only_names_skip_the_resolver_check_and_judge_the_rest() {
        let ping = ping_from("127.0.0.1");
        let trace = reached("127.0.0.1", 1);
        let system = [ip("127.0.0.1")];
        let local = DnsAnswer::NotAsked("localhost is answered on this host".into());
        let nxdomain = DnsAnswer::Answered {
            server: "198.18.100.53:53".parse().unwrap(),
            name: "hostsonly.netlab.test".into(),
            addrs: Vec::new(),
            status: "nxdomain",
        };
        for (name, dns, says) in [
            ("localhost", &local, "localhost is answered on this host"),
            (
                "hostsonly.netlab.test",
                &nxdomain,
                "only /etc/hosts knows hostsonly.netlab.test: DNS (198.18.100.53) has no \
                 address for it, so nothing is overridden",
            ),
        ] {
            let f = Findings {
                name: Some(name),
                system: &system,
                hosts: &system,
                dns: Some(dns),
                address: system[0],
                port: 80,
                port_state: &PortState::Open,
                ping: &ping,
                trace: &trace,
            };
            let checks = checks(&f);
            assert_eq!(checks[0].status, Status::Skip, "{name}");
            assert_eq!(checks[0].explanation.as_deref(), Some(says), "{name}");
            assert!(
                checks[1..].iter().all(|c| c.status == Status::Pass),
                "{name}: {checks:?}"
            );
        }
    }

    #[test]
    fn silence_and_errors_are_explained() {
        let ping = PingSummary {
            transmitted: 3,
            errors: vec![(
                ip("198.18.1.2"),
                crate::packet::IcmpErrorKind::HostUnreachable,
            )],
            ..PingSummary::default()
        };
        let trace = TraceOutcome {
            hops: Vec::new(),
            ending: Ending::Unreachable {
                ttl: 2,
                from: ip("198.18.1.2"),
                kind: crate::packet::IcmpErrorKind::HostUnreachable,
            },
        };
        let system = [ip("198.18.250.1")];
        let f = Findings {
            name: None,
            system: &system,
            hosts: &[],
            dns: None,
            address: system[0],
            port: 80,
            port_state: &PortState::Filtered,
            ping: &ping,
            trace: &trace,
        };
        let checks = checks(&f);
        let kind = crate::packet::IcmpErrorKind::HostUnreachable.describe();
        assert_eq!(
            checks[2].explanation.as_deref(),
            Some(format!("no echo reply from 198.18.250.1: 3 sent, 0 received; 198.18.1.2 reports {kind}").as_str())
        );
        assert_eq!(
            checks[3].explanation.as_deref(),
            Some(
                format!("the trace stops at hop 2: 198.18.1.2 reports {kind} for 198.18.250.1")
                    .as_str()
            )
        );
        assert_eq!(
            checks[1].explanation.as_deref(),
            Some("198.18.250.1:80 did not answer: a firewall drops the handshake, or the host is down")
        );
    }
}
