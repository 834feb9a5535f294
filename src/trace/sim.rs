//! The trace engine against simulated paths, in virtual time: no sockets, no root, no
//! sleeping. A path is a list of hops, each with an RTT and a behaviour (answers, stays
//! silent, is rate-limited, answers from several addresses, answers late, reports the
//! destination unreachable); the last hop is the destination. The network also injects
//! responses that belong to other processes, which must change nothing.
//!
//! A `RawTcpWire` puts the privileged TCP trace's real bytes on that path: each probe
//! becomes a SYN (`write_tcp_syn`), each answer the ICMP error quoting its first 8 TCP
//! bytes or the destination's SYN-ACK, and the trace's `Matcher` turns them back into
//! responses — so the engine, the packets and the matcher are tested together.

use std::net::IpAddr;
use std::time::{Duration, Instant};

use super::*;
use crate::packet::icmp::Version;
use crate::packet::transport::{write_tcp_syn, TcpPrefix, TCP_ACK, TCP_SYN};
use crate::trace::probe::{tcp_sequence, tcp_sequence_id, Matcher, Method};

fn ip(text: &str) -> IpAddr {
    text.parse().unwrap()
}

fn ms(n: u64) -> Duration {
    Duration::from_millis(n)
}

fn config() -> Config {
    Config {
        first_ttl: 1,
        max_ttl: 30,
        queries: 3,
        max_wait: Duration::from_secs(5),
        floor: ms(20),
        window: 16,
        seq_base: 1000,
    }
}

#[derive(Clone)]
enum Behaviour {
    Answer,
    Silent,
    /// Answers only queries with `query % n == 0`.
    RateLimited(u8),
    /// Query q answers from `addrs[q % len]`.
    Several(Vec<IpAddr>),
    /// Answers, but this much later than its RTT.
    Late(Duration),
    /// Reports the destination unreachable instead of forwarding (from this hop).
    Unreachable(IcmpErrorKind),
    /// Query q takes `rtt + q * step` extra... reversed: earlier queries arrive later.
    Reordered(Duration),
}

struct SimHop {
    addr: IpAddr,
    rtt: Duration,
    behaviour: Behaviour,
}

struct Path {
    hops: Vec<SimHop>,
    /// The destination drops probes (never answers).
    dest_silent: bool,
}

impl Path {
    /// `n` routers at 10.0.0.i with RTT i × `per_hop`, then the destination 10.9.9.9.
    fn routers(n: usize, per_hop: Duration) -> Path {
        let mut hops: Vec<SimHop> = (1..=n)
            .map(|i| SimHop {
                addr: ip(&format!("10.0.0.{i}")),
                rtt: per_hop * i as u32,
                behaviour: Behaviour::Answer,
            })
            .collect();
        hops.push(SimHop {
            addr: ip("10.9.9.9"),
            rtt: per_hop * (n as u32 + 1),
            behaviour: Behaviour::Answer,
        });
        Path {
            hops,
            dest_silent: false,
        }
    }
    fn with(mut self, hop: usize, behaviour: Behaviour) -> Path {
        self.hops[hop - 1].behaviour = behaviour;
        self
    }
}

struct Net {
    path: Path,
    wire: Vec<(Instant, Response)>,
    /// Inject a foreign response with every probe sent.
    foreign: bool,
    /// Send probes and answers as raw TCP trace bytes through the matcher.
    raw_tcp: Option<RawTcpWire>,
}

/// The privileged TCP trace's packets: SYNs from one port, ICMP errors quoting 8 bytes of
/// them, SYN-ACKs from the destination.
struct RawTcpWire {
    matcher: Matcher,
    src: IpAddr,
    /// Every SYN sent: (source port, destination port, sequence).
    syns: Vec<(u16, u16, u32)>,
    /// Segments for others (another port, another run, a bare ACK) seen, none matched.
    foreign_seen: usize,
}

const SIM_TOKEN: [u8; 8] = *b"sim-tokn";
const SIM_SPORT: u16 = 47_001;

impl RawTcpWire {
    fn new(path: &Path, v6: bool) -> RawTcpWire {
        let target = path.hops.last().unwrap().addr;
        RawTcpWire {
            matcher: Matcher {
                method: Method::Tcp,
                version: if v6 { Version::V6 } else { Version::V4 },
                target,
                token: SIM_TOKEN,
                ident: SIM_SPORT,
                dport: 80,
            },
            src: if v6 {
                ip("fd00::100")
            } else {
                ip("10.0.0.100")
            },
            syns: Vec::new(),
            foreign_seen: 0,
        }
    }

    /// An IP header from `src` to `dst` with `payload_len` bytes of TCP or ICMP after it.
    fn ip_header(src: IpAddr, dst: IpAddr, proto: u8, payload_len: usize) -> Vec<u8> {
        match (src, dst) {
            (IpAddr::V4(s), IpAddr::V4(d)) => {
                let mut h = vec![0x45, 0, 0, 0, 0, 1, 0, 0, 1, proto, 0, 0];
                h[2..4].copy_from_slice(&((20 + payload_len) as u16).to_be_bytes());
                h.extend_from_slice(&s.octets());
                h.extend_from_slice(&d.octets());
                let sum = crate::packet::checksum(&[&h]);
                h[10..12].copy_from_slice(&sum.to_be_bytes());
                h
            }
            (IpAddr::V6(s), IpAddr::V6(d)) => {
                let mut h = vec![0x60, 0, 0, 0, 0, 0, proto, 1];
                h[4..6].copy_from_slice(&(payload_len as u16).to_be_bytes());
                h.extend_from_slice(&s.octets());
                h.extend_from_slice(&d.octets());
                h
            }
            _ => unreachable!(),
        }
    }

    /// The probe's SYN, recorded; then the bytes the network answers it with, read back
    /// through the matcher.
    fn answer(&mut self, probe: &Probe, from: IpAddr, reply: Reply, at: Instant) -> Response {
        let m = &self.matcher;
        let v6 = m.version == Version::V6;
        let seq = tcp_sequence(&SIM_TOKEN, probe.id);
        let mut syn = [0u8; 20];
        write_tcp_syn(&mut syn, self.src, m.target, SIM_SPORT, m.dport, seq).unwrap();
        let tcp = TcpPrefix::parse(&syn).unwrap();
        self.syns
            .push((tcp.src_port(), tcp.dst_port(), tcp.sequence()));
        let none = |_| None;
        // Other traffic on the host first: it must never match.
        for (sport, dport, ack) in [
            // Another local port.
            (m.dport, SIM_SPORT + 1, seq.wrapping_add(1)),
            // Another run (another token).
            (m.dport, SIM_SPORT, (seq ^ 0x8000_0000).wrapping_add(1)),
        ] {
            let segment = Self::segment(sport, dport, ack, TCP_SYN | TCP_ACK);
            assert!(m
                .raw_tcp(&self.read_from_dest(&segment), m.target, at)
                .is_none());
            self.foreign_seen += 1;
        }
        let response = match reply {
            Reply::Reached => {
                // A bare ACK (the destination's challenge ACK) names no probe either.
                let ack = Self::segment(m.dport, SIM_SPORT, seq.wrapping_add(1), TCP_ACK);
                assert!(m
                    .raw_tcp(&self.read_from_dest(&ack), m.target, at)
                    .is_none());
                let synack =
                    Self::segment(m.dport, SIM_SPORT, seq.wrapping_add(1), TCP_SYN | TCP_ACK);
                m.raw_tcp(&self.read_from_dest(&synack), from, at)
            }
            Reply::TimeExceeded | Reply::Unreachable(_) => {
                let (ty, code) = match (reply, v6) {
                    (Reply::TimeExceeded, false) => (11, 0),
                    (Reply::TimeExceeded, true) => (3, 0),
                    (_, false) => (3, 1),
                    (_, true) => (1, 3),
                };
                // RFC 792's minimum quote: the IP header and 8 bytes of TCP.
                let mut quoted = Self::ip_header(self.src, m.target, 6, 20);
                quoted.extend_from_slice(&syn[..8]);
                let mut icmp = vec![ty, code, 0, 0, 0, 0, 0, 0];
                icmp.extend_from_slice(&quoted);
                let bytes = if v6 {
                    icmp
                } else {
                    let sum = crate::packet::checksum(&[&icmp]);
                    icmp[2..4].copy_from_slice(&sum.to_be_bytes());
                    let mut b = Self::ip_header(from, self.src, 1, icmp.len());
                    b.extend_from_slice(&icmp);
                    b
                };
                m.raw_icmp(&bytes, from, at, &none)
            }
        };
        let response = response.expect("the matcher recognises the answer to its probe");
        assert_eq!(response.probe, probe.id);
        assert_eq!((response.from, response.reply), (from, reply));
        response
    }

    fn segment(sport: u16, dport: u16, ack: u32, flags: u8) -> [u8; 20] {
        let mut t = [0u8; 20];
        t[0..2].copy_from_slice(&sport.to_be_bytes());
        t[2..4].copy_from_slice(&dport.to_be_bytes());
        t[4..8].copy_from_slice(&0x0bad_cafe_u32.to_be_bytes());
        t[8..12].copy_from_slice(&ack.to_be_bytes());
        t[12] = 0x50;
        t[13] = flags;
        t
    }

    /// A segment as the raw TCP socket reads it from the destination.
    fn read_from_dest(&self, segment: &[u8]) -> Vec<u8> {
        if self.matcher.version == Version::V6 {
            return segment.to_vec();
        }
        let mut b = Self::ip_header(self.matcher.target, self.src, 6, segment.len());
        b.extend_from_slice(segment);
        b
    }
}

impl Net {
    fn transmit(&mut self, probe: &Probe, now: Instant) {
        if self.foreign {
            self.wire.push((
                now + ms(1),
                Response {
                    probe: ProbeId(probe.id.0.wrapping_add(30_000)),
                    from: ip("192.0.2.66"),
                    reply: Reply::TimeExceeded,
                    at: now + ms(1),
                    mpls: vec![],
                    objects: Vec::new(),
                    wire: Wire::default(),
                },
            ));
        }
        let dest = self.path.hops.len();
        let ttl = usize::from(probe.ttl);
        // The hop where the probe stops: its TTL, or the destination, or an unreachable.
        let mut at_hop = ttl.min(dest);
        for (i, hop) in self.path.hops.iter().enumerate().take(at_hop) {
            if matches!(hop.behaviour, Behaviour::Unreachable(_)) {
                at_hop = i + 1;
                break;
            }
        }
        let hop = &self.path.hops[at_hop - 1];
        let is_dest = at_hop == dest;
        let mut reply = if is_dest {
            Reply::Reached
        } else {
            Reply::TimeExceeded
        };
        let mut from = hop.addr;
        let mut rtt = hop.rtt;
        match &hop.behaviour {
            Behaviour::Answer => {}
            Behaviour::Silent => return,
            Behaviour::RateLimited(n) => {
                if !probe.query.is_multiple_of(*n) {
                    return;
                }
            }
            Behaviour::Several(addrs) => from = addrs[usize::from(probe.query) % addrs.len()],
            Behaviour::Late(extra) => rtt += *extra,
            Behaviour::Unreachable(kind) => reply = Reply::Unreachable(*kind),
            Behaviour::Reordered(step) => rtt += *step * u32::from(3 - probe.query.min(3)),
        }
        if is_dest && self.path.dest_silent {
            return;
        }
        let at = now + rtt;
        let response = match &mut self.raw_tcp {
            Some(wire) => wire.answer(probe, from, reply, at),
            None => Response {
                probe: probe.id,
                from,
                reply,
                at,
                mpls: vec![],
                objects: Vec::new(),
                wire: Wire::default(),
            },
        };
        self.wire.push((at, response));
    }
}

struct Outcome {
    hops: Vec<Hop>,
    ending: Ending,
    elapsed: Duration,
    late: Vec<(u8, IpAddr)>,
    counters: Counters,
}

fn run(config: Config, path: Path, foreign: bool) -> Outcome {
    let mut net = Net {
        path,
        wire: Vec::new(),
        foreign,
        raw_tcp: None,
    };
    run_on(config, &mut net)
}

fn run_on(config: Config, net: &mut Net) -> Outcome {
    let first = config.first_ttl;
    let start = Instant::now();
    let mut now = start;
    let mut engine = Engine::new(config);
    let mut hops = Vec::new();
    let mut late = Vec::new();
    let mut ending = None;
    for _ in 0..100_000 {
        while let Some(probe) = engine.poll_probe() {
            engine.sent(&probe, now);
            net.transmit(&probe, now);
        }
        engine.advance(now);
        while let Some(event) = engine.poll_event() {
            match event {
                Event::Hop(hop) => {
                    assert_eq!(
                        usize::from(hop.ttl),
                        usize::from(first) + hops.len(),
                        "hops are emitted in order"
                    );
                    hops.push(hop)
                }
                Event::Late { ttl, from, .. } => late.push((ttl, from)),
                Event::Done(e) => ending = Some(e),
            }
        }
        if engine.is_finished() {
            // Deliver what is still on the wire: it must not change anything.
            net.wire.sort_by_key(|(at, _)| *at);
            for (_, r) in net.wire.drain(..) {
                engine.on_response(r);
            }
            assert!(engine.poll_event().is_none());
            return Outcome {
                hops,
                ending: ending.expect("Done event"),
                elapsed: now - start,
                late,
                counters: engine.counters(),
            };
        }
        let next_arrival = net.wire.iter().map(|(at, _)| *at).min();
        let next = match (engine.next_wakeup(), next_arrival) {
            (Some(a), Some(b)) => a.min(b),
            (a, b) => a.or(b).expect("the engine waits for something"),
        };
        now = now.max(next);
        net.wire.sort_by_key(|(at, _)| *at);
        while net.wire.first().is_some_and(|(at, _)| *at <= now) {
            let (_, response) = net.wire.remove(0);
            engine.on_response(response);
        }
    }
    panic!("the trace never ended");
}

fn addrs(hop: &Hop) -> Vec<String> {
    hop.responders().iter().map(|a| a.to_string()).collect()
}

fn silent_count(hop: &Hop) -> usize {
    hop.probes
        .iter()
        .filter(|p| **p == ProbeResult::Silent)
        .count()
}

#[test]
fn a_clean_path_gives_every_hop_and_ends_at_the_destination() {
    let out = run(config(), Path::routers(5, ms(2)), false);
    assert_eq!(out.hops.len(), 6);
    for (i, hop) in out.hops.iter().take(5).enumerate() {
        assert_eq!(addrs(hop), [format!("10.0.0.{}", i + 1)]);
        assert_eq!(silent_count(hop), 0);
    }
    assert_eq!(addrs(&out.hops[5]), ["10.9.9.9"]);
    assert_eq!(
        out.ending,
        Ending::Reached {
            ttl: 6,
            from: ip("10.9.9.9")
        }
    );
    // Window of 16: about two round trips of the destination, never seconds.
    assert!(out.elapsed < ms(100), "{:?}", out.elapsed);
    // Nothing beyond the destination was sent after it answered.
    assert!(out.counters.sent <= 16 + 18, "{:?}", out.counters);
}

#[test]
fn a_silent_router_waits_an_adaptive_time_not_the_maximum() {
    let out = run(
        config(),
        Path::routers(5, ms(10)).with(3, Behaviour::Silent),
        false,
    );
    assert_eq!(out.hops.len(), 6);
    assert_eq!(silent_count(&out.hops[2]), 3);
    assert!(out.hops[2].responders().is_empty());
    assert_eq!(addrs(&out.hops[3]), ["10.0.0.4"]);
    assert!(matches!(out.ending, Ending::Reached { ttl: 6, .. }));
    // Hop 3 waits 3 × the largest RTT of hops 3..=5 (50 ms): 150 ms, not 5 s.
    assert!(out.elapsed >= ms(150), "{:?}", out.elapsed);
    assert!(out.elapsed < ms(400), "{:?}", out.elapsed);
}

#[test]
fn a_silent_destination_ends_at_max_hops_without_waiting_seconds() {
    let mut path = Path::routers(4, ms(5));
    path.dest_silent = true;
    let mut cfg = config();
    cfg.max_ttl = 10;
    let out = run(cfg, path, false);
    assert_eq!(out.ending, Ending::MaxHops);
    assert_eq!(out.hops.len(), 10);
    for hop in &out.hops[4..] {
        assert_eq!(silent_count(hop), 3, "hop {}", hop.ttl);
    }
    // The silent tail waits 10 × the largest RTT seen (20 ms), twice-ish with the window.
    assert!(out.elapsed < ms(1000), "{:?}", out.elapsed);
}

#[test]
fn nothing_answers_waits_the_maximum_once() {
    let mut path = Path::routers(2, ms(5));
    for hop in &mut path.hops {
        hop.behaviour = Behaviour::Silent;
    }
    let mut cfg = config();
    cfg.max_ttl = 4;
    cfg.max_wait = ms(700);
    let out = run(cfg, path, false);
    assert_eq!(out.ending, Ending::MaxHops);
    assert!(out.hops.iter().all(|h| silent_count(h) == 3));
    assert_eq!(out.elapsed, ms(700));
}

#[test]
fn reordered_replies_land_on_their_hop() {
    let path = Path::routers(5, ms(2))
        .with(2, Behaviour::Reordered(ms(3)))
        .with(4, Behaviour::Reordered(ms(1)));
    let out = run(config(), path, false);
    for (i, hop) in out.hops.iter().take(5).enumerate() {
        assert_eq!(addrs(hop), [format!("10.0.0.{}", i + 1)]);
        assert_eq!(silent_count(hop), 0, "hop {}", i + 1);
    }
    // Query 0 of hop 2 took 4 + 9 ms, query 2 took 4 + 3 ms.
    let rtts: Vec<Duration> = out.hops[1]
        .probes
        .iter()
        .map(|p| match p {
            ProbeResult::Answered { rtt, .. } => *rtt,
            other => panic!("{other:?}"),
        })
        .collect();
    assert_eq!(rtts, [ms(13), ms(10), ms(7)]);
}

#[test]
fn a_late_reply_before_the_row_is_printed_still_counts() {
    // Hop 2 answers 25 ms after its RTT: beyond the adaptive wait of 3 × 4 ms = 12 ms
    // (hop 3's 6 ms → 18 ms), but hop 1... all rows wait for hop 2, so it is revived
    // only if it comes before the row is out. With a lenient floor it lands in time.
    let mut cfg = config();
    cfg.floor = ms(40);
    let out = run(
        cfg,
        Path::routers(5, ms(2)).with(2, Behaviour::Late(ms(25))),
        false,
    );
    assert_eq!(addrs(&out.hops[1]), ["10.0.0.2"]);
    assert_eq!(silent_count(&out.hops[1]), 0);
}

#[test]
fn a_reply_after_its_row_is_printed_is_reported_late_not_misplaced() {
    let out = run(
        config(),
        Path::routers(5, ms(2)).with(2, Behaviour::Late(ms(500))),
        false,
    );
    assert_eq!(silent_count(&out.hops[1]), 3);
    assert_eq!(addrs(&out.hops[2]), ["10.0.0.3"]);
    assert!(matches!(out.ending, Ending::Reached { ttl: 6, .. }));
    // They arrived after the end: counted as late, never placed on another hop.
    assert!(out.late.is_empty());
    assert_eq!(out.counters.late, 3);
}

#[test]
fn a_rate_limited_hop_shows_stars_beside_answers() {
    let out = run(
        config(),
        Path::routers(5, ms(2)).with(4, Behaviour::RateLimited(2)),
        false,
    );
    let hop = &out.hops[3];
    assert_eq!(addrs(hop), ["10.0.0.4"]);
    assert_eq!(silent_count(hop), 1);
    assert!(matches!(hop.probes[1], ProbeResult::Silent));
}

#[test]
fn several_responders_at_one_hop_are_all_listed() {
    let lb = vec![ip("10.0.1.1"), ip("10.0.1.2")];
    let out = run(
        config(),
        Path::routers(5, ms(2)).with(3, Behaviour::Several(lb)),
        false,
    );
    assert_eq!(addrs(&out.hops[2]), ["10.0.1.1", "10.0.1.2"]);
}

#[test]
fn an_unreachable_error_ends_the_trace_at_its_hop() {
    let out = run(
        config(),
        Path::routers(5, ms(2)).with(4, Behaviour::Unreachable(IcmpErrorKind::HostUnreachable)),
        false,
    );
    assert_eq!(out.hops.len(), 4);
    assert_eq!(
        out.ending,
        Ending::Unreachable {
            ttl: 4,
            from: ip("10.0.0.4"),
            kind: IcmpErrorKind::HostUnreachable
        }
    );
    let ProbeResult::Answered { reply, .. } = &out.hops[3].probes[0] else {
        panic!()
    };
    assert_eq!(reply.annotation().as_deref(), Some("!H"));
}

#[test]
fn responses_for_other_processes_change_nothing() {
    let path = || Path::routers(5, ms(2)).with(3, Behaviour::Silent);
    let clean = run(config(), path(), false);
    let noisy = run(config(), path(), true);
    assert_eq!(clean.hops, noisy.hops);
    assert_eq!(clean.ending, noisy.ending);
    assert!(noisy.counters.foreign >= noisy.counters.sent);
}

#[test]
fn max_hops_shorter_than_the_path_ends_without_reaching() {
    let mut cfg = config();
    cfg.max_ttl = 3;
    let out = run(cfg, Path::routers(5, ms(2)), false);
    assert_eq!(out.hops.len(), 3);
    assert_eq!(out.ending, Ending::MaxHops);
}

#[test]
fn first_ttl_skips_the_near_hops() {
    let mut cfg = config();
    cfg.first_ttl = 3;
    let out = run(cfg, Path::routers(5, ms(2)), false);
    assert_eq!(out.hops[0].ttl, 3);
    assert_eq!(addrs(&out.hops[0]), ["10.0.0.3"]);
    assert_eq!(out.hops.len(), 4);
    assert!(matches!(out.ending, Ending::Reached { ttl: 6, .. }));
}

#[test]
fn annotations_follow_traceroute() {
    use IcmpErrorKind::*;
    let a = |k| Reply::Unreachable(k).annotation();
    assert_eq!(a(NetUnreachable).as_deref(), Some("!N"));
    assert_eq!(a(HostUnreachable).as_deref(), Some("!H"));
    assert_eq!(a(ProtocolUnreachable).as_deref(), Some("!P"));
    assert_eq!(a(AdminProhibited).as_deref(), Some("!X"));
    assert_eq!(a(NetProhibited).as_deref(), Some("!A"));
    assert_eq!(a(PortUnreachable), None);
    assert_eq!(Reply::Reached.annotation(), None);
    assert_eq!(Reply::TimeExceeded.kind_str(), "time_exceeded");
}

#[test]
fn raw_tcp_probes_keep_one_flow_and_are_matched_by_their_sequence() {
    for v6 in [false, true] {
        let mut path = Path::routers(5, ms(2))
            .with(3, Behaviour::Silent)
            .with(4, Behaviour::Reordered(ms(3)));
        if v6 {
            for (i, hop) in path.hops.iter_mut().enumerate() {
                hop.addr = ip(&format!("fd00::{}", i + 1));
            }
        }
        let wire = RawTcpWire::new(&path, v6);
        let mut net = Net {
            path,
            wire: Vec::new(),
            foreign: false,
            raw_tcp: Some(wire),
        };
        let out = run_on(config(), &mut net);
        let dest = net.path.hops[5].addr;
        assert_eq!(out.hops.len(), 6, "v6 {v6}");
        for (i, hop) in out.hops.iter().enumerate() {
            if i == 2 {
                assert_eq!(silent_count(hop), 3);
            } else {
                assert_eq!(hop.responders(), [net.path.hops[i].addr], "hop {}", i + 1);
                assert_eq!(silent_count(hop), 0, "hop {}", i + 1);
            }
        }
        assert_eq!(out.ending, Ending::Reached { ttl: 6, from: dest });
        let wire = net.raw_tcp.unwrap();
        // One flow: every SYN from one source port to one destination port; the
        // identity is in the sequence number, different for every probe.
        assert!(wire.syns.len() >= 18, "{}", wire.syns.len());
        let flows: std::collections::BTreeSet<(u16, u16)> =
            wire.syns.iter().map(|&(s, d, _)| (s, d)).collect();
        assert_eq!(flows.into_iter().collect::<Vec<_>>(), [(SIM_SPORT, 80)]);
        let seqs: std::collections::BTreeSet<u32> = wire.syns.iter().map(|s| s.2).collect();
        assert_eq!(seqs.len(), wire.syns.len());
        assert!(wire.foreign_seen >= 2 * wire.syns.len());
    }
}

#[test]
fn tcp_sequences_name_only_this_runs_probes() {
    for id in [1u16, 2, 0x7fff, 0xfffe] {
        let seq = tcp_sequence(&SIM_TOKEN, ProbeId(id));
        assert_eq!(tcp_sequence_id(&SIM_TOKEN, seq), Some(ProbeId(id)));
        assert_eq!(tcp_sequence_id(b"othertkn", seq), None);
    }
    assert_eq!(
        tcp_sequence_id(&SIM_TOKEN, tcp_sequence(&SIM_TOKEN, ProbeId(0))),
        None
    );
}

/// Regression: with a raw ICMP listener beside a UDP socket's error queue, every answer
/// comes twice in one wake-up, the error queue's copy first and without labels. Fed one
/// by one, the label-less copy completed the hop and its row went out before the raw
/// copy's MPLS labels were merged (found end to end by the lab's MPLS router).
#[test]
fn both_copies_of_an_answer_in_one_batch_keep_the_raw_copys_labels() {
    let labels = vec![MplsLabel {
        label: 24001,
        exp: 0,
        bottom: true,
        ttl: 1,
    }];
    let config = Config {
        max_ttl: 2,
        queries: 1,
        ..config()
    };
    let mut engine = Engine::new(config);
    let start = Instant::now();
    let mut probes = Vec::new();
    while let Some(probe) = engine.poll_probe() {
        engine.sent(&probe, start);
        probes.push(probe);
    }
    assert_eq!(probes.len(), 2);
    let copy = |mpls: Vec<MplsLabel>, objects: Vec<ExtObject>, wire| Response {
        probe: probes[0].id,
        from: ip("10.0.0.1"),
        reply: Reply::TimeExceeded,
        at: start + ms(3),
        mpls,
        objects,
        wire,
    };
    // The raw copy's other extension objects come with its labels.
    let objects = vec![ExtObject::Unknown {
        class: 9,
        c_type: 1,
        bytes: vec![1, 2, 3, 4],
    }];
    // The error queue's copy knows the arrival TTL only; the raw copy its size too.
    let queued = Wire {
        ttl: Some(62),
        ..Wire::default()
    };
    let raw = Wire {
        ttl: None,
        size: Some(140),
        rfc4884: true,
    };
    engine.on_responses([
        copy(vec![], vec![], queued),
        copy(labels.clone(), objects.clone(), raw),
    ]);
    let Some(Event::Hop(hop)) = engine.poll_event() else {
        panic!("hop 1 is settled");
    };
    assert_eq!(
        hop.probes,
        [ProbeResult::Answered {
            from: ip("10.0.0.1"),
            rtt: ms(3),
            reply: Reply::TimeExceeded,
            mpls: labels,
            objects,
            wire: Wire {
                ttl: Some(62),
                size: Some(140),
                rfc4884: true,
            },
        }]
    );
    assert_eq!(engine.counters().duplicates, 0);
}
