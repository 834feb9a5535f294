//! Where load-balanced paths split and merge (`trace --flows N`): each flow keeps its
//! own flow identifiers for the whole run, so a per-flow balancer sends it down one
//! path; comparing the flows' hops shows every path the balancers use.
//!
//! Per flow and hop, the address that answered most is the flow's router there. At a
//! TTL where flows see different routers the paths are apart; the paths *split* at the
//! first TTL of such a run and *merge* at the first TTL after it where every flow that
//! got an answer sees one address again. Flows without an answer at a TTL say nothing
//! about it (a silent router is not a path of its own).

use std::net::IpAddr;

use super::stats::Snapshot;

/// One TTL over the flows.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct MultipathHop {
    pub ttl: u8,
    /// Each router seen, with the flows (0-based) that go through it, in order of
    /// first flow.
    pub routers: Vec<(IpAddr, Vec<u16>)>,
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Multipath {
    pub hops: Vec<MultipathHop>,
    /// TTLs where the paths split.
    pub splits: Vec<u8>,
    /// TTLs where they merge again.
    pub merges: Vec<u8>,
}

impl Multipath {
    /// The most paths seen at any one TTL.
    pub fn width(&self) -> usize {
        self.hops.iter().map(|h| h.routers.len()).max().unwrap_or(0)
    }
}

/// Compares the flows' snapshots (index = flow).
pub fn analyze(flows: &[Snapshot]) -> Multipath {
    let top = flows
        .iter()
        .flat_map(|s| s.hops.iter().map(|h| h.ttl))
        .max()
        .unwrap_or(0);
    let first = flows
        .iter()
        .flat_map(|s| s.hops.iter().map(|h| h.ttl))
        .min()
        .unwrap_or(1);
    let mut hops = Vec::new();
    for ttl in first..=top {
        let mut routers: Vec<(IpAddr, Vec<u16>)> = Vec::new();
        for (flow, snapshot) in flows.iter().enumerate() {
            let main = snapshot
                .hops
                .iter()
                .find(|h| h.ttl == ttl)
                .and_then(|h| h.responders.iter().max_by_key(|r| r.count))
                .map(|r| r.address);
            if let Some(addr) = main {
                match routers.iter_mut().find(|(a, _)| *a == addr) {
                    Some((_, fs)) => fs.push(flow as u16),
                    None => routers.push((addr, vec![flow as u16])),
                }
            }
        }
        hops.push(MultipathHop { ttl, routers });
    }
    let (mut splits, mut merges) = (Vec::new(), Vec::new());
    let mut apart = false;
    for hop in &hops {
        match hop.routers.len() {
            0 => {}
            1 if apart => {
                apart = false;
                merges.push(hop.ttl);
            }
            1 => {}
            _ if !apart => {
                apart = true;
                splits.push(hop.ttl);
            }
            _ => {}
        }
    }
    Multipath {
        hops,
        splits,
        merges,
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::trace::stats::{HopSummary, LossKind, LossVerdict, Responder};

    fn hop(ttl: u8, addr: Option<&str>) -> HopSummary {
        HopSummary {
            ttl,
            sent: 1,
            received: u64::from(addr.is_some()),
            send_failed: 0,
            loss_percent: 0.0,
            responders: addr
                .map(|a| Responder {
                    address: a.parse().unwrap(),
                    name: None,
                    asn: None,
                    count: 1,
                    share: 1.0,
                    sent: Default::default(),
                })
                .into_iter()
                .collect(),
            other_responders: 0,
            rtt: None,
            jitter: None,
            percentiles: None,
            loss: LossVerdict {
                kind: LossKind::None,
                forwarding_percent: 0.0,
                replies_only_percent: 0.0,
                explanation: String::new(),
            },
            history: vec![],
        }
    }

    fn flow(addrs: &[Option<&str>]) -> Snapshot {
        Snapshot {
            rounds: 1,
            hops: addrs
                .iter()
                .enumerate()
                .map(|(i, a)| hop(i as u8 + 1, *a))
                .collect(),
            destination_ttl: Some(addrs.len() as u8),
            reached_last_round: true,
            loss_begins_at: None,
            events: vec![],
            events_total: 0,
        }
    }

    #[test]
    fn a_diamond_splits_and_merges() {
        let a = flow(&[Some("10.0.0.1"), Some("10.0.1.1"), Some("10.0.3.1")]);
        let b = flow(&[Some("10.0.0.1"), Some("10.0.2.1"), Some("10.0.3.1")]);
        let c = flow(&[Some("10.0.0.1"), None, Some("10.0.3.1")]);
        let m = analyze(&[a.clone(), b, c, a]);
        assert_eq!(m.splits, [2]);
        assert_eq!(m.merges, [3]);
        assert_eq!(m.width(), 2);
        assert_eq!(
            m.hops[1].routers,
            [
                ("10.0.1.1".parse().unwrap(), vec![0, 3]),
                ("10.0.2.1".parse().unwrap(), vec![1])
            ]
        );
    }

    #[test]
    fn one_path_never_splits() {
        let a = flow(&[Some("10.0.0.1"), None, Some("10.0.3.1")]);
        let m = analyze(&[a.clone(), a]);
        assert!(m.splits.is_empty() && m.merges.is_empty());
        assert_eq!(m.width(), 1);
    }
}
