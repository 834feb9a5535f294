//! The engine against a simulated network, in virtual time: no sockets, no root, no
//! sleeping. Each host has an RTT and a fate for every probe (lost, duplicated, delayed
//! past the timeout, answered by a router's ICMP error); the network also injects the
//! replies other processes would see on a raw socket.

use std::collections::HashMap;
use std::net::IpAddr;
use std::time::{Duration, Instant};

use super::*;

const TOKEN: [u8; 8] = *b"sim-tokn";
const IDENTS: Idents = Idents {
    v4: 0x1111,
    v6: 0x2222,
};

fn cfg(count: Option<u64>, interval_ms: u64) -> Config {
    Config {
        settings: Settings::every(Duration::from_millis(interval_ms), count),
        token: TOKEN,
    }
}

fn ip(text: &str) -> IpAddr {
    text.parse().unwrap()
}

/// What happens to probe `seq` (1-based) to a host.
#[derive(Clone, Copy, PartialEq, Debug)]
enum Fate {
    Answer,
    Lose,
    Duplicate,
    /// Answered after this extra delay.
    Delay(Duration),
    /// A router answers with an ICMP error instead.
    Error(IpAddr, IcmpErrorKind),
}

struct Host {
    rtt: Duration,
    fate: Box<dyn Fn(u64) -> Fate>,
}

enum Packet {
    Reply {
        from: IpAddr,
        ident: u16,
        wire_seq: u16,
        data: Vec<u8>,
    },
    Error {
        from: IpAddr,
        kind: IcmpErrorKind,
        dst: IpAddr,
        ident: u16,
        wire_seq: u16,
        data: Vec<u8>,
    },
}

struct Net {
    hosts: HashMap<IpAddr, Host>,
    /// (arrival time, packet), delivered in arrival order.
    wire: Vec<(Instant, Packet)>,
}

impl Net {
    fn new() -> Net {
        Net {
            hosts: HashMap::new(),
            wire: Vec::new(),
        }
    }
    fn host(mut self, addr: &str, rtt_ms: u64, fate: impl Fn(u64) -> Fate + 'static) -> Net {
        self.hosts.insert(
            ip(addr),
            Host {
                rtt: Duration::from_millis(rtt_ms),
                fate: Box::new(fate),
            },
        );
        self
    }

    fn transmit(&mut self, probe: &Probe, data: &[u8], now: Instant) {
        let Some(host) = self.hosts.get(&probe.addr) else {
            return;
        };
        let reply = |from| Packet::Reply {
            from,
            ident: probe.ident,
            wire_seq: probe.wire_seq,
            data: data.to_vec(),
        };
        let at = now + host.rtt;
        match (host.fate)(probe.seq) {
            Fate::Answer => self.wire.push((at, reply(probe.addr))),
            Fate::Lose => {}
            Fate::Duplicate => {
                self.wire.push((at, reply(probe.addr)));
                self.wire
                    .push((at + Duration::from_micros(50), reply(probe.addr)));
            }
            Fate::Delay(extra) => self.wire.push((at + extra, reply(probe.addr))),
            Fate::Error(router, kind) => self.wire.push((
                now + host.rtt / 2,
                Packet::Error {
                    from: router,
                    kind,
                    dst: probe.addr,
                    ident: probe.ident,
                    wire_seq: probe.wire_seq,
                    // A router quoting only 8 bytes of data, as RFC 792 allows.
                    data: data[..8.min(data.len())].to_vec(),
                },
            )),
        }
    }

    fn next_arrival(&self) -> Option<Instant> {
        self.wire.iter().map(|(at, _)| *at).min()
    }

    fn deliver_due(&mut self, now: Instant, engine: &mut Engine) {
        self.wire.sort_by_key(|(at, _)| *at);
        while self.wire.first().is_some_and(|(at, _)| *at <= now) {
            let (at, packet) = self.wire.remove(0);
            match packet {
                Packet::Reply {
                    from,
                    ident,
                    wire_seq,
                    data,
                } => {
                    engine.on_reply(&EchoReply {
                        from,
                        ident,
                        wire_seq,
                        data: &data,
                        bytes: data.len() + 8,
                        ttl: Some(64),
                        at,
                    });
                }
                Packet::Error {
                    from,
                    kind,
                    dst,
                    ident,
                    wire_seq,
                    data,
                } => {
                    engine.on_error(&ProbeError {
                        from,
                        kind,
                        dst: Some(dst),
                        version: Version::of(&dst),
                        ident,
                        wire_seq,
                        data: &data,
                        mtu: None,
                        at,
                    });
                }
            }
        }
    }
}

struct Run {
    events: Vec<(Instant, Event)>,
    sends: Vec<(Instant, Probe)>,
    ended: Instant,
}

/// Drives the engine as io.rs does, jumping virtual time to the next thing that happens.
fn run(engine: &mut Engine, net: &mut Net, t0: Instant, stop_at: Option<Instant>) -> Run {
    let mut now = t0;
    let mut out = Run {
        events: Vec::new(),
        sends: Vec::new(),
        ended: t0,
    };
    let mut buf = [0u8; 2048];
    for _ in 0..1_000_000 {
        if stop_at.is_some_and(|s| now >= s) {
            engine.stop();
        }
        while let Some(probe) = engine.poll_probe(now) {
            engine.sent(&probe, now);
            let data = engine.payload(&probe, &mut buf).to_vec();
            net.transmit(&probe, &data, now);
            out.sends.push((now, probe));
        }
        net.deliver_due(now, engine);
        engine.advance(now);
        while let Some(event) = engine.poll_event() {
            out.events.push((now, event));
        }
        if engine.is_finished(now) {
            out.ended = now;
            return out;
        }
        // A reply can bring a probe forward to this very moment (-A): the driver then
        // wakes at once, as io.rs does.
        let next = [net.next_arrival(), stop_at]
            .into_iter()
            .flatten()
            .filter(|t| *t > now)
            .chain(engine.next_wakeup().filter(|t| *t >= now))
            .min()
            .expect("an unfinished engine always has something to wait for");
        now = next;
    }
    panic!("simulation did not finish");
}

fn replies(run: &Run) -> Vec<(u64, ReplyStatus, Duration)> {
    run.events
        .iter()
        .filter_map(|(_, e)| match e {
            Event::Reply {
                seq, status, rtt, ..
            } => Some((*seq, *status, *rtt)),
            _ => None,
        })
        .collect()
}

fn ms(n: u64) -> Duration {
    Duration::from_millis(n)
}

/// The iputils flags that change the schedule or the payload (-l, -A/-f, -O, -p).
#[path = "sim_flags.rs"]
mod flags;

#[test]
fn ping_counts_replies_and_finishes_after_the_last() {
    let t0 = Instant::now();
    let mut net = Net::new().host("198.18.2.2", 10, |_| Fate::Answer);
    let mut engine = Engine::new(cfg(Some(5), 1000), &[ip("198.18.2.2")], IDENTS, t0);
    let run = run(&mut engine, &mut net, t0, None);
    let r = replies(&run);
    assert_eq!(r.len(), 5);
    assert!(r
        .iter()
        .all(|(_, s, rtt)| *s == ReplyStatus::Ok && *rtt == ms(10)));
    assert_eq!(
        r.iter().map(|x| x.0).collect::<Vec<_>>(),
        vec![1, 2, 3, 4, 5]
    );
    // Sent at 0,1,2,3,4 s; done when the last reply arrives, not an interval later.
    assert_eq!(run.ended, t0 + ms(4010));
    let s = engine.stats(TargetId(0));
    assert_eq!(
        (s.transmitted, s.received, s.duplicates, s.errors, s.late),
        (5, 5, 0, 0, 0)
    );
    assert_eq!(s.loss_percent(), 0.0);
    assert_eq!(s.avg_ms(), Some(10.0));
    assert_eq!(s.mdev_ms(), Some(0.0));
    assert_eq!(s.jitter_ms(), Some(0.0));
    assert!(engine.all_answered());
    // Probes carry our identifier and distinct wire sequence numbers.
    let wires: std::collections::HashSet<_> = run.sends.iter().map(|(_, p)| p.wire_seq).collect();
    assert_eq!(wires.len(), 5);
    assert!(run.sends.iter().all(|(_, p)| p.ident == IDENTS.v4));
}

#[test]
fn loss_becomes_timeouts_and_loss_percent() {
    let t0 = Instant::now();
    let mut net = Net::new().host("198.18.2.2", 20, |seq| {
        if seq % 2 == 0 {
            Fate::Lose
        } else {
            Fate::Answer
        }
    });
    let mut engine = Engine::new(cfg(Some(4), 1000), &[ip("198.18.2.2")], IDENTS, t0);
    let run = run(&mut engine, &mut net, t0, None);
    let timeouts: Vec<_> = run
        .events
        .iter()
        .filter_map(|(at, e)| match e {
            Event::Timeout { seq, .. } => Some((*seq, *at - t0)),
            _ => None,
        })
        .collect();
    assert_eq!(timeouts, vec![(2, ms(2000)), (4, ms(4000))]);
    let s = engine.stats(TargetId(0));
    assert_eq!((s.transmitted, s.received), (4, 2));
    assert_eq!(s.loss_percent(), 50.0);
    // The run waits out the last probe's timeout, then ends.
    assert_eq!(run.ended, t0 + ms(4000));
    assert!(engine.all_answered());
}

#[test]
fn total_loss_means_not_answered() {
    let t0 = Instant::now();
    let mut net = Net::new().host("198.18.2.2", 20, |_| Fate::Lose);
    let mut engine = Engine::new(cfg(Some(3), 200), &[ip("198.18.2.2")], IDENTS, t0);
    run(&mut engine, &mut net, t0, None);
    let s = engine.stats(TargetId(0));
    assert_eq!((s.transmitted, s.received, s.loss_percent()), (3, 0, 100.0));
    assert_eq!(s.avg_ms(), None);
    assert!(!engine.all_answered());
}

#[test]
fn duplicates_are_marked_and_kept_out_of_the_statistics() {
    let t0 = Instant::now();
    let mut net = Net::new().host("198.18.2.2", 5, |seq| {
        if seq == 2 {
            Fate::Duplicate
        } else {
            Fate::Answer
        }
    });
    let mut engine = Engine::new(cfg(Some(3), 100), &[ip("198.18.2.2")], IDENTS, t0);
    let run = run(&mut engine, &mut net, t0, None);
    let r: Vec<_> = replies(&run)
        .into_iter()
        .map(|(seq, s, _)| (seq, s))
        .collect();
    assert_eq!(
        r,
        vec![
            (1, ReplyStatus::Ok),
            (2, ReplyStatus::Ok),
            (2, ReplyStatus::Duplicate),
            (3, ReplyStatus::Ok)
        ]
    );
    let s = engine.stats(TargetId(0));
    assert_eq!((s.transmitted, s.received, s.duplicates), (3, 3, 1));
    assert_eq!(s.loss_percent(), 0.0);
}

#[test]
fn reordered_replies_match_their_own_probes() {
    let t0 = Instant::now();
    // Probes every 10 ms; early probes take longer, so replies arrive in reverse order.
    let mut net = Net::new().host("198.18.2.2", 1, |seq| Fate::Delay(ms(100 - 20 * seq)));
    let mut engine = Engine::new(cfg(Some(5), 10), &[ip("198.18.2.2")], IDENTS, t0);
    let run = run(&mut engine, &mut net, t0, None);
    let r = replies(&run);
    assert_eq!(
        r.iter().map(|x| x.0).collect::<Vec<_>>(),
        vec![5, 4, 3, 2, 1]
    );
    for (seq, status, rtt) in r {
        assert_eq!(status, ReplyStatus::Ok);
        assert_eq!(rtt, ms(1) + ms(100 - 20 * seq), "seq {seq}");
    }
    let s = engine.stats(TargetId(0));
    assert_eq!(s.min(), Some(ms(1)));
    assert_eq!(s.max(), Some(ms(81)));
    assert_eq!(s.avg_ms(), Some(41.0));
    assert_eq!(s.jitter_ms(), Some(20.0));
    assert!((s.mdev_ms().unwrap() - 800f64.sqrt()).abs() < 1e-9);
}

#[test]
fn late_replies_are_counted_as_late_not_received() {
    let t0 = Instant::now();
    let mut net = Net::new().host("198.18.2.2", 10, |seq| {
        if seq == 1 {
            Fate::Delay(ms(1500))
        } else {
            Fate::Answer
        }
    });
    let mut engine = Engine::new(cfg(Some(3), 1000), &[ip("198.18.2.2")], IDENTS, t0);
    let run = run(&mut engine, &mut net, t0, None);
    let kinds: Vec<_> = run
        .events
        .iter()
        .map(|(at, e)| match e {
            Event::Reply { seq, status, .. } => {
                format!("{}:{seq}:{status:?}", (*at - t0).as_millis())
            }
            Event::Timeout { seq, .. } => format!("{}:{seq}:timeout", (*at - t0).as_millis()),
            other => panic!("unexpected {other:?}"),
        })
        .collect();
    assert_eq!(
        kinds,
        vec!["1000:1:timeout", "1010:2:Ok", "1510:1:Late", "2010:3:Ok"]
    );
    let s = engine.stats(TargetId(0));
    assert_eq!((s.transmitted, s.received, s.late), (3, 2, 1));
    assert!((s.loss_percent() - 100.0 / 3.0).abs() < 1e-9);
}

#[test]
fn icmp_errors_name_the_router_and_count_as_errors() {
    let t0 = Instant::now();
    let router = ip("198.18.0.2");
    let mut net = Net::new().host("198.18.250.1", 4, move |_| {
        Fate::Error(router, IcmpErrorKind::HostUnreachable)
    });
    let mut engine = Engine::new(cfg(Some(2), 1000), &[ip("198.18.250.1")], IDENTS, t0);
    let run = run(&mut engine, &mut net, t0, None);
    let errors: Vec<_> = run
        .events
        .iter()
        .filter_map(|(_, e)| match e {
            Event::Error {
                seq,
                from,
                kind,
                rtt,
                ..
            } => Some((*seq, *from, *kind, *rtt)),
            _ => None,
        })
        .collect();
    assert_eq!(
        errors,
        vec![
            (1, router, IcmpErrorKind::HostUnreachable, ms(2)),
            (2, router, IcmpErrorKind::HostUnreachable, ms(2))
        ]
    );
    assert!(!run
        .events
        .iter()
        .any(|(_, e)| matches!(e, Event::Timeout { .. })));
    let s = engine.stats(TargetId(0));
    assert_eq!((s.transmitted, s.received, s.errors), (2, 0, 2));
    // Errors settle a probe: no waiting for its timeout.
    assert_eq!(run.ended, t0 + ms(1002));
    assert!(!engine.all_answered());
}

#[test]
fn other_processes_replies_are_ignored() {
    let t0 = Instant::now();
    let target = ip("198.18.2.2");
    let mut engine = Engine::new(cfg(Some(2), 1000), &[target], IDENTS, t0);
    let probe = engine.poll_probe(t0).unwrap();
    let mut buf = [0u8; 64];
    let ours = engine.payload(&probe, &mut buf).to_vec();
    fn echo(from: IpAddr, at: Instant, ident: u16, wire_seq: u16, data: &[u8]) -> EchoReply<'_> {
        EchoReply {
            from,
            ident,
            wire_seq,
            data,
            bytes: data.len() + 8,
            ttl: Some(64),
            at,
        }
    }
    let reply = |ident, wire_seq, data| echo(target, t0 + ms(1), ident, wire_seq, data);
    // Another netlab with the same identifier: same sequence, different token.
    let mut theirs = ours.clone();
    theirs[..8].copy_from_slice(b"othertkn");
    assert!(!engine.on_reply(&reply(IDENTS.v4, probe.wire_seq, &theirs)));
    // iputils ping: its own identifier, a timeval payload.
    assert!(!engine.on_reply(&reply(0x4242, probe.wire_seq, &[0u8; 56])));
    // Our identifier and token but another probe's sequence number.
    assert!(!engine.on_reply(&reply(IDENTS.v4, probe.wire_seq + 1, &ours)));
    // Right numbers, wrong family's identifier.
    assert!(!engine.on_reply(&reply(IDENTS.v6, probe.wire_seq, &ours)));
    // A truncated echo of our data.
    assert!(!engine.on_reply(&reply(IDENTS.v4, probe.wire_seq, &ours[..10])));
    // An error quoting someone else's probe to another host.
    assert!(!engine.on_error(&ProbeError {
        from: ip("198.18.0.2"),
        kind: IcmpErrorKind::TimeExceeded,
        dst: Some(ip("198.18.9.9")),
        version: Version::V4,
        ident: IDENTS.v4,
        wire_seq: probe.wire_seq,
        data: &[],
        mtu: None,
        at: t0 + ms(1),
    }));
    assert!(engine.poll_event().is_none());
    assert_eq!(engine.stats(TargetId(0)).received, 0);
    assert!(engine.on_reply(&reply(IDENTS.v4, probe.wire_seq, &ours)));
    assert_eq!(engine.stats(TargetId(0)).received, 1);
}

#[test]
fn many_targets_are_probed_at_once_and_finish_with_the_slowest() {
    let t0 = Instant::now();
    let mut net = Net::new();
    let mut addrs = Vec::new();
    for i in 1..=200u64 {
        let addr = format!("198.18.{}.{}", i / 100, i % 100 + 1);
        net = net.host(&addr, i % 7 + 1, |_| Fate::Answer);
        addrs.push(ip(&addr));
    }
    // One host never answers: the run ends at its timeout, not 200 intervals later.
    addrs.push(ip("198.18.9.9"));
    let mut engine = Engine::new(cfg(Some(1), 1000), &addrs, IDENTS, t0);
    let run = run(&mut engine, &mut net, t0, None);
    assert_eq!(run.sends.len(), 201);
    assert!(run.sends.iter().all(|(at, _)| *at == t0));
    assert_eq!(run.ended, t0 + ms(1000));
    for i in 0..200 {
        assert_eq!(engine.stats(TargetId(i)).received, 1, "target {i}");
    }
    assert_eq!(engine.stats(TargetId(200)).received, 0);
    assert!(!engine.all_answered());
    // Without the silent host, the sweep ends with the slowest reply.
    let mut engine = Engine::new(cfg(Some(1), 1000), &addrs[..200], IDENTS, t0);
    let run = run_again(&mut engine, &addrs[..200], t0);
    assert_eq!(run.ended, t0 + ms(7));
}

fn run_again(engine: &mut Engine, addrs: &[IpAddr], t0: Instant) -> Run {
    let mut net = Net::new();
    for (i, addr) in addrs.iter().enumerate() {
        net = net.host(&addr.to_string(), (i as u64 + 1) % 7 + 1, |_| Fate::Answer);
    }
    run(engine, &mut net, t0, None)
}

#[test]
fn ipv4_and_ipv6_targets_use_their_own_identifiers() {
    let t0 = Instant::now();
    let mut net =
        Net::new()
            .host("198.18.2.2", 3, |_| Fate::Answer)
            .host("fd4e:6c61:62:2::2", 4, |_| Fate::Answer);
    let addrs = [ip("198.18.2.2"), ip("fd4e:6c61:62:2::2")];
    let mut engine = Engine::new(cfg(Some(2), 500), &addrs, IDENTS, t0);
    let run = run(&mut engine, &mut net, t0, None);
    let idents: Vec<_> = run
        .sends
        .iter()
        .map(|(_, p)| (p.target.0, p.ident))
        .collect();
    assert_eq!(
        idents,
        vec![(0, 0x1111), (1, 0x2222), (0, 0x1111), (1, 0x2222)]
    );
    assert_eq!(engine.stats(TargetId(0)).received, 2);
    assert_eq!(engine.stats(TargetId(1)).received, 2);
}

#[test]
fn a_deadline_with_a_count_keeps_trying_until_count_replies() {
    let t0 = Instant::now();
    let mut net = Net::new().host("198.18.2.2", 10, |seq| {
        if seq <= 2 {
            Fate::Lose
        } else {
            Fate::Answer
        }
    });
    let mut c = cfg(Some(3), 1000);
    c.settings.deadline = Some(Duration::from_secs(30));
    let mut engine = Engine::new(c, &[ip("198.18.2.2")], IDENTS, t0);
    let run = run(&mut engine, &mut net, t0, None);
    let s = engine.stats(TargetId(0));
    assert_eq!((s.transmitted, s.received), (5, 3));
    assert_eq!(run.ended, t0 + ms(4010));
}

#[test]
fn the_deadline_ends_an_endless_run() {
    let t0 = Instant::now();
    let mut net = Net::new().host("198.18.2.2", 10, |_| Fate::Answer);
    let mut c = cfg(None, 1000);
    c.settings.deadline = Some(Duration::from_millis(3500));
    let mut engine = Engine::new(c, &[ip("198.18.2.2")], IDENTS, t0);
    let run = run(&mut engine, &mut net, t0, None);
    assert_eq!(run.ended, t0 + ms(3500));
    assert_eq!(engine.stats(TargetId(0)).transmitted, 4);
    assert_eq!(engine.stats(TargetId(0)).received, 4);
}

#[test]
fn stopping_ends_at_once() {
    let t0 = Instant::now();
    let mut net = Net::new().host("198.18.2.2", 10, |_| Fate::Answer);
    let mut engine = Engine::new(cfg(None, 1000), &[ip("198.18.2.2")], IDENTS, t0);
    let run = run(&mut engine, &mut net, t0, Some(t0 + ms(2500)));
    assert_eq!(run.ended, t0 + ms(2500));
    assert_eq!(engine.stats(TargetId(0)).transmitted, 3);
}

#[test]
fn short_payloads_match_by_address() {
    let t0 = Instant::now();
    let mut net = Net::new().host("198.18.2.2", 10, |_| Fate::Answer);
    let mut c = cfg(Some(2), 100);
    c.settings.size = 0;
    let mut engine = Engine::new(c, &[ip("198.18.2.2")], IDENTS, t0);
    run(&mut engine, &mut net, t0, None);
    assert_eq!(engine.stats(TargetId(0)).received, 2);
    // ... and a reply from elsewhere does not count.
    let mut engine = Engine::new(cfg(Some(1), 100), &[ip("198.18.2.2")], IDENTS, t0);
    engine.cfg.settings.size = 0;
    let p = engine.poll_probe(t0).unwrap();
    assert!(!engine.on_reply(&EchoReply {
        from: ip("198.18.2.3"),
        ident: IDENTS.v4,
        wire_seq: p.wire_seq,
        data: &[],
        bytes: 8,
        ttl: None,
        at: t0,
    }));
}

#[test]
fn wire_sequence_numbers_wrap_without_confusion() {
    let t0 = Instant::now();
    let mut net = Net::new().host("198.18.2.2", 1, |seq| {
        if seq % 1000 == 1 {
            Fate::Duplicate
        } else {
            Fate::Answer
        }
    });
    let mut c = cfg(Some(70_000), 1);
    c.settings.timeout = ms(5);
    let mut engine = Engine::new(c, &[ip("198.18.2.2")], IDENTS, t0);
    run(&mut engine, &mut net, t0, None);
    let s = engine.stats(TargetId(0));
    assert_eq!(
        (s.transmitted, s.received, s.duplicates, s.late),
        (70_000, 70_000, 70, 0)
    );
}

/// Regression: every finished probe kept its record until its wire number came round
/// again, so a long high-rate run grew by a record per probe up to 65,536 of them
/// (megabytes). Records of finished probes are now bounded.
#[test]
fn a_long_run_keeps_a_bounded_number_of_records() {
    let t0 = Instant::now();
    let mut net = Net::new().host("198.18.2.2", 1, |seq| {
        if seq % 10 == 0 {
            Fate::Lose
        } else {
            Fate::Answer
        }
    });
    let mut c = cfg(Some(100_000), 1);
    c.settings.timeout = ms(5);
    let mut engine = Engine::new(c, &[ip("198.18.2.2")], IDENTS, t0);
    run(&mut engine, &mut net, t0, None);
    let s = engine.stats(TargetId(0));
    assert_eq!(
        (s.transmitted, s.received, s.duplicates, s.late),
        (100_000, 90_000, 0, 0)
    );
    assert!(
        engine.records.len() <= RETAINED_FINISHED,
        "{} records",
        engine.records.len()
    );
}

/// Replies to the most recent finished probes are still recognised: a duplicate and a
/// late reply within [`RETAINED_FINISHED`] probes, while the run goes on.
#[test]
fn late_replies_and_duplicates_are_recognised_within_the_retained_window() {
    let t0 = Instant::now();
    let mut net = Net::new().host("198.18.2.2", 1, |seq| match seq {
        5_000 => Fate::Delay(ms(1_000)),
        6_000 => Fate::Duplicate,
        _ => Fate::Answer,
    });
    let mut c = cfg(Some(10_000), 1);
    c.settings.timeout = ms(5);
    let mut engine = Engine::new(c, &[ip("198.18.2.2")], IDENTS, t0);
    run(&mut engine, &mut net, t0, None);
    let s = engine.stats(TargetId(0));
    assert_eq!(
        (s.transmitted, s.received, s.duplicates, s.late),
        (10_000, 9_999, 1, 1)
    );
}

#[test]
fn send_failures_count_as_errors() {
    let t0 = Instant::now();
    let mut engine = Engine::new(cfg(Some(1), 100), &[ip("198.18.2.2")], IDENTS, t0);
    let p = engine.poll_probe(t0).unwrap();
    engine.send_failed(&p, "network is unreachable".into(), None);
    assert_eq!(
        engine.poll_event(),
        Some(Event::SendFailed {
            target: TargetId(0),
            seq: 1,
            reason: "network is unreachable".into(),
            mtu: None,
        })
    );
    assert!(engine.is_finished(t0));
    assert_eq!(engine.stats(TargetId(0)).errors, 1);
}

#[test]
fn probes_in_flight_are_known_per_target() {
    let t0 = Instant::now();
    let addrs = [ip("198.18.2.2"), ip("198.18.2.3")];
    let mut engine = Engine::new(cfg(None, 1000), &addrs, IDENTS, t0);
    let a = engine.poll_probe(t0).unwrap();
    let b = engine.poll_probe(t0).unwrap();
    assert_eq!(
        (engine.in_flight_to(a.target), engine.in_flight_to(b.target)),
        (1, 1)
    );
    let mut buf = [0u8; 64];
    let data = engine.payload(&a, &mut buf).to_vec();
    assert!(engine.on_reply(&EchoReply {
        from: a.addr,
        ident: a.ident,
        wire_seq: a.wire_seq,
        data: &data,
        bytes: 64,
        ttl: None,
        at: t0 + ms(1),
    }));
    engine.advance(t0 + ms(1500));
    assert_eq!(
        (engine.in_flight_to(a.target), engine.in_flight_to(b.target)),
        (0, 0)
    );
}

#[test]
fn a_sweep_of_ten_thousand_hosts_is_one_burst() {
    let t0 = Instant::now();
    let mut net = Net::new();
    let mut addrs = Vec::new();
    for i in 0..10_000u32 {
        let addr = IpAddr::from(std::net::Ipv4Addr::from(0xc612_0000 + i));
        net.hosts.insert(
            addr,
            Host {
                rtt: Duration::from_micros(100 + u64::from(i % 500)),
                fate: Box::new(|_| Fate::Answer),
            },
        );
        addrs.push(addr);
    }
    let mut engine = Engine::new(cfg(Some(1), 1000), &addrs, IDENTS, t0);
    let run = run(&mut engine, &mut net, t0, None);
    assert!(run.sends.iter().all(|(at, _)| *at == t0));
    assert_eq!(run.sends.len(), 10_000);
    assert_eq!(run.ended, t0 + Duration::from_micros(599));
    assert!(engine.all_answered());
}

#[test]
fn intervals_below_a_timer_tick_keep_their_rate_but_a_stall_is_not_caught_up() {
    // -i 0.0002 woken once a millisecond (tokio's timer tick): each wake sends the five
    // probes due since the last one, so the rate is the one asked for.
    let t0 = Instant::now();
    let mut config = cfg(None, 1);
    config.settings.interval = Duration::from_micros(200);
    let mut engine = Engine::new(config, &[ip("192.0.2.1")], IDENTS, t0);
    let mut sends_at = |now: Instant| std::iter::from_fn(|| engine.poll_probe(now)).count();
    assert_eq!(sends_at(t0), 1);
    for tick in 1..=100u64 {
        assert_eq!(sends_at(t0 + ms(tick)), 5, "tick {tick}");
    }
    // A 50 ms stall (beyond MAX_CATCH_UP): the overdue probe, then the schedule restarts
    // from now with one more, instead of a 250-probe burst.
    assert!(MAX_CATCH_UP < ms(50));
    let stalled = t0 + ms(150);
    assert_eq!(sends_at(stalled), 2);
    assert_eq!(sends_at(stalled + Duration::from_micros(200)), 1);
}

#[test]
fn spread_targets_make_a_steady_stream_not_a_burst() {
    let t0 = Instant::now();
    let mut net = Net::new();
    let addrs: Vec<IpAddr> = (1..=4u8).map(|i| IpAddr::from([198, 18, 200, i])).collect();
    for &addr in &addrs {
        net.hosts.insert(
            addr,
            Host {
                rtt: ms(1),
                fate: Box::new(|_| Fate::Answer),
            },
        );
    }
    let mut config = cfg(None, 1000);
    config.settings.spread = true;
    let mut engine = Engine::new(config, &addrs, IDENTS, t0);
    let run = run(&mut engine, &mut net, t0, Some(t0 + ms(2999)));
    let times: Vec<(Duration, usize)> = run
        .sends
        .iter()
        .map(|(at, p)| (at.duration_since(t0), p.target.0))
        .collect();
    // Target i every second from i × 250 ms: never two at once, never drifting.
    let expected: Vec<(Duration, usize)> = (0..3u64)
        .flat_map(|round| (0..4).map(move |i| (ms(round * 1000 + i as u64 * 250), i)))
        .collect();
    assert_eq!(times, expected);
    assert_eq!(replies(&run).len(), 12);
}
