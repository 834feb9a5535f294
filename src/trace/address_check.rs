//! The lab's address check, the verdict every trace ends with: does the route end on
//! the address the name resolved to, and if not, why not, in words a student can act
//! on. Pure: it reads the hops and the ending, so the table footer, the JSON document
//! and the rounds' printers share one answer.

use std::net::IpAddr;

use super::engine::{Ending, Hop, ProbeResult, Reply};
use super::Method;

/// The lab's check: does the trace end on the address the name resolved to?
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct AddressCheck {
    pub matches: bool,
    /// The last address that answered, and at which TTL.
    pub last_hop: Option<(IpAddr, u8)>,
    pub explanation: Option<String>,
}

/// Decides the address check from how the trace ended.
pub fn address_check(
    ending: Ending,
    hops: &[Hop],
    target: IpAddr,
    method: Method,
    max_ttl: u8,
) -> AddressCheck {
    let last_answering = hops.iter().rev().find_map(|h| {
        h.probes.iter().rev().find_map(|p| match p {
            ProbeResult::Answered { from, .. } => Some((*from, h.ttl)),
            _ => None,
        })
    });
    let (last_hop, explanation) = match ending {
        Ending::Reached { ttl, from } if from == target => (Some((from, ttl)), None),
        Ending::Reached { ttl, from } => (
            Some((from, ttl)),
            Some(format!(
                "the destination answered from {from}, not from {target}: another address \
                 of the same host, a NAT, or an anycast or load-balanced service answers \
                 for the name"
            )),
        ),
        Ending::Unreachable { ttl, from, kind } => (
            Some((from, ttl)),
            Some(format!(
                "{from} (hop {ttl}) reported {} for {target}{}: the route ends there",
                kind.describe(),
                Reply::Unreachable(kind)
                    .annotation()
                    .map(|a| format!(" ({a})"))
                    .unwrap_or_default()
            )),
        ),
        Ending::MaxHops => match last_answering {
            Some((from, ttl)) if ttl == max_ttl => (
                Some((from, ttl)),
                Some(format!(
                    "the trace stopped at the {max_ttl}-hop limit while hops still answered; \
                     {target} is farther away: raise -m"
                )),
            ),
            Some((from, ttl)) => (
                Some((from, ttl)),
                Some(format!(
                    "nothing answered after hop {ttl} ({from}) up to the {max_ttl}-hop limit: \
                     {target}, or a firewall in front of it, drops {} probes (try {})",
                    method.as_str(),
                    match method {
                        Method::Udp => "-I or -T -p 443",
                        Method::Icmp => "-U or -T -p 443",
                        Method::Tcp => "-I, -U or another -p",
                    }
                )),
            ),
            None => (
                None,
                Some(format!(
                    "no hop answered at all: {} probes or the ICMP errors they cause are \
                     filtered close to this host",
                    method.as_str()
                )),
            ),
        },
        Ending::Stopped => (last_answering, Some("the trace was interrupted".into())),
    };
    AddressCheck {
        matches: explanation.is_none(),
        last_hop,
        explanation,
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::packet::IcmpErrorKind;
    use std::time::Duration;

    fn ip(t: &str) -> IpAddr {
        t.parse().unwrap()
    }

    fn hop(ttl: u8, from: Option<&str>, reply: Reply) -> Hop {
        Hop {
            ttl,
            probes: vec![match from {
                Some(f) => ProbeResult::Answered {
                    from: ip(f),
                    rtt: Duration::from_millis(1),
                    reply,
                    mpls: vec![],
                    objects: Vec::new(),
                    wire: Default::default(),
                },
                None => ProbeResult::Silent,
            }],
        }
    }

    #[test]
    fn the_address_check_explains_every_mismatch() {
        let target = ip("198.18.5.2");
        let ok = address_check(
            Ending::Reached {
                ttl: 6,
                from: target,
            },
            &[],
            target,
            Method::Udp,
            30,
        );
        assert!(ok.matches && ok.explanation.is_none());
        let other = address_check(
            Ending::Reached {
                ttl: 6,
                from: ip("198.18.9.9"),
            },
            &[],
            target,
            Method::Udp,
            30,
        );
        assert!(!other.matches);
        assert!(other
            .explanation
            .unwrap()
            .contains("answered from 198.18.9.9"));
        let unreachable = address_check(
            Ending::Unreachable {
                ttl: 5,
                from: ip("198.18.4.2"),
                kind: IcmpErrorKind::HostUnreachable,
            },
            &[],
            target,
            Method::Udp,
            30,
        );
        assert!(unreachable.explanation.unwrap().contains("(!H)"));
        let hops = [
            hop(1, Some("198.18.0.2"), Reply::TimeExceeded),
            hop(2, None, Reply::TimeExceeded),
        ];
        let filtered = address_check(Ending::MaxHops, &hops, target, Method::Udp, 30);
        assert_eq!(filtered.last_hop, Some((ip("198.18.0.2"), 1)));
        assert!(filtered.explanation.unwrap().contains("drops udp probes"));
        let limit = address_check(Ending::MaxHops, &hops[..1], target, Method::Udp, 1);
        assert!(limit.explanation.unwrap().contains("raise -m"));
        let nothing = address_check(Ending::MaxHops, &hops[1..], target, Method::Icmp, 30);
        assert_eq!(nothing.last_hop, None);
    }
}
