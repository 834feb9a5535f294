//! `trace --mtu`: path-MTU discovery along the trace, as `traceroute --mtu` and tracepath
//! do it. Probes start as big as the route's MTU allows, with DF set and the kernel's
//! cached path MTU ignored (`IP_PMTUDISC_PROBE`), so a router in front of a smaller link
//! answers "fragmentation needed" (IPv4) or "packet too big" (IPv6). That answer is not
//! the hop's: the probe is sent again, same TTL and identity, at the smaller size, and
//! the hop is shown with the MTU it was reached with (`F=1400` where it drops).
//!
//! Where the new MTU comes from: the kernel has just stored it in its route cache from the
//! very message being read (for every socket kind, with or without privileges), so it is
//! asked (`net::options::path_mtu`) rather than parsed from each copy of the message — the
//! same number tracepath reads from the error queue's `ee_info`.
//!
//! This is a filter between the driver's reads and the engine, not a second prober: the
//! engine schedules and times the probes as always; this only decides which answers are
//! "send again smaller" and remembers the size each probe went out with. Pure, so it is
//! tested here without sockets.

use std::collections::{BTreeMap, HashMap};
use std::time::Instant;

use super::engine::{Probe, ProbeId, Reply, Response};
use crate::packet::IcmpErrorKind;

/// The sizes of a `--mtu` trace.
#[derive(Debug)]
pub struct PathMtu {
    /// The packet length probes go out with now.
    current: u32,
    /// IP and transport headers: the length less these is the probe data.
    headers: u32,
    /// The smallest length allowed (headers plus the probe identity).
    floor: u32,
    /// Every probe of hops not yet settled, with its length and time when last sent.
    sent: HashMap<ProbeId, (Probe, u32, Instant)>,
    /// The largest length each hop answered to.
    reached: BTreeMap<u8, u32>,
}

/// What to do with one batch of responses.
#[derive(Debug, Default, PartialEq)]
pub struct Sorted {
    /// For the engine.
    pub responses: Vec<Response>,
    /// Probes to send again, at [`PathMtu::data_len`].
    pub resend: Vec<Probe>,
}

fn is_too_big(reply: &Reply) -> bool {
    matches!(
        reply,
        Reply::Unreachable(IcmpErrorKind::FragmentationNeeded | IcmpErrorKind::PacketTooBig)
    )
}

impl PathMtu {
    /// Starts at `start` bytes (the route's MTU, or the packet length asked for), with
    /// `headers` bytes of IP and transport header and `identity` bytes of probe data at
    /// least.
    pub fn new(start: u32, headers: u32, identity: u32) -> PathMtu {
        let floor = headers + identity;
        PathMtu {
            current: start.max(floor),
            headers,
            floor,
            sent: HashMap::new(),
            reached: BTreeMap::new(),
        }
    }

    /// Probe data bytes at the current length.
    pub fn data_len(&self) -> usize {
        (self.current - self.headers) as usize
    }

    /// A probe leaves now at the current length (call right before sending).
    pub fn sent(&mut self, probe: &Probe, at: Instant) {
        self.sent.insert(probe.id, (*probe, self.current, at));
    }

    /// Sorts a batch: "too big" answers become probes to send again (smaller, once
    /// `learn` gives a smaller MTU); everything else goes to the engine, and a hop's
    /// answers record the length that got there. A "too big" for a probe already at the
    /// current length that teaches nothing smaller is the hop's answer (`!F`), so a
    /// broken router can never make a probe loop.
    pub fn sort(&mut self, batch: Vec<Response>, mut learn: impl FnMut() -> Option<u32>) -> Sorted {
        let mut out = Sorted::default();
        for response in batch {
            let Some(&(probe, len, at)) = self.sent.get(&response.probe) else {
                out.responses.push(response);
                continue;
            };
            if is_too_big(&response.reply) && response.at < at {
                continue; // a late copy about the bigger send before this one
            }
            if is_too_big(&response.reply) {
                if len > self.current {
                    // Sent before the last drop: it just needs the new size.
                    self.resend(probe, &mut out);
                    continue;
                }
                if let Some(mtu) = learn().filter(|&m| m < self.current && m >= self.floor) {
                    self.current = mtu;
                    self.resend(probe, &mut out);
                    continue;
                }
            } else {
                let best = self.reached.entry(probe.ttl).or_insert(len);
                *best = (*best).max(len);
            }
            out.responses.push(response);
        }
        out
    }

    fn resend(&mut self, probe: Probe, out: &mut Sorted) {
        if !out.resend.iter().any(|p| p.id == probe.id) {
            out.resend.push(probe);
        }
    }

    /// The largest packet length hop `ttl` answered to, once it did.
    pub fn hop_mtu(&self, ttl: u8) -> Option<u32> {
        self.reached.get(&ttl).copied()
    }

    /// Hop `ttl` is settled: its probes are not needed any more (memory stays flat).
    pub fn forget(&mut self, ttl: u8) {
        self.sent.retain(|_, (p, _, _)| p.ttl > ttl);
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn probe(id: u16, ttl: u8) -> Probe {
        Probe {
            id: ProbeId(id),
            ttl,
            query: 0,
        }
    }

    fn response(id: u16, reply: Reply) -> Response {
        Response {
            probe: ProbeId(id),
            from: "198.18.0.2".parse().unwrap(),
            reply,
            at: Instant::now(),
            mpls: Vec::new(),
            objects: Vec::new(),
            wire: Default::default(),
        }
    }

    const TOO_BIG: Reply = Reply::Unreachable(IcmpErrorKind::FragmentationNeeded);

    #[test]
    fn a_smaller_link_shrinks_the_probes_and_the_hop_behind_it_shows_it() {
        let mut mtu = PathMtu::new(1500, 28, 16);
        assert_eq!(mtu.data_len(), 1472);
        let t0 = Instant::now();
        for (id, ttl) in [(1, 1), (2, 2), (3, 3)] {
            mtu.sent(&probe(id, ttl), t0);
        }
        // Hop 1 answers at 1500; hop 2 and 3 are too big for router 1's next link.
        let sorted = mtu.sort(
            vec![
                response(1, Reply::TimeExceeded),
                response(2, TOO_BIG),
                response(3, TOO_BIG),
            ],
            || Some(1400),
        );
        assert_eq!(sorted.responses.len(), 1);
        assert_eq!(sorted.resend, vec![probe(2, 2), probe(3, 3)]);
        assert_eq!(mtu.data_len(), 1372);
        let t1 = Instant::now();
        for p in &sorted.resend {
            mtu.sent(p, t1);
        }
        // A copy of the first "too big" read only now (its time is before the resend)
        // is dropped, not taken for the hop's answer.
        let mut stale = response(2, TOO_BIG);
        stale.at = t0;
        let sorted = mtu.sort(
            vec![
                stale,
                response(2, Reply::TimeExceeded),
                response(3, Reply::Reached),
            ],
            || None,
        );
        assert_eq!(sorted.responses.len(), 2);
        assert!(sorted.resend.is_empty());
        assert_eq!(mtu.hop_mtu(1), Some(1500));
        assert_eq!(mtu.hop_mtu(2), Some(1400));
        assert_eq!(mtu.hop_mtu(3), Some(1400));
        mtu.forget(3);
        assert!(mtu.sent.is_empty());
    }

    #[test]
    fn a_too_big_that_teaches_nothing_is_the_hops_answer() {
        let mut mtu = PathMtu::new(1500, 28, 16);
        mtu.sent(
            &probe(1, 2),
            Instant::now() - std::time::Duration::from_millis(1),
        );
        // No smaller MTU known (or an absurd one below the floor): no loop, a !F hop.
        for learnt in [None, Some(1500), Some(30)] {
            let sorted = mtu.sort(vec![response(1, TOO_BIG)], || learnt);
            assert_eq!(sorted.responses.len(), 1, "{learnt:?}");
            assert!(sorted.resend.is_empty());
        }
        // Answers about probes this filter never saw pass through untouched.
        let sorted = mtu.sort(vec![response(9, TOO_BIG)], || Some(1280));
        assert_eq!(sorted.responses.len(), 1);
        assert_eq!(mtu.data_len(), 1472);
    }
}
