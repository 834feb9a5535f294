//! The SYN engine against simulated hosts, in virtual time: open, closed, filtered and
//! ICMP-unreachable ports, a host that rate-limits its answers, one that answers twice,
//! and forged segments. No socket, no root, no sleeping.

use std::collections::{HashMap, VecDeque};
use std::net::IpAddr;
use std::sync::Arc;
use std::time::{Duration, Instant};

use super::engine::{Config, Engine, Reply, Syn, Verdict, MAX_TRIES};
use super::hosts::Hosts;
use super::results::{Details, Scanned};
use crate::connect::probe::State;
use crate::packet::transport::{TCP_ACK, TCP_RST, TCP_SYN};
use crate::target::{AddrList, AddrRange};

const SPORT: u16 = 40_000;
const RTT: Duration = Duration::from_millis(3);

#[derive(Default, Clone)]
struct Host {
    open: Vec<u16>,
    /// Silent: a firewall drops the SYN.
    filtered: Vec<u16>,
    /// A router answers "administratively prohibited".
    prohibited: Vec<u16>,
    /// A REJECT rule answers ICMP port unreachable.
    rejected: Vec<u16>,
    /// Answers at most this many SYNs a second (a token bucket of 5); the rest dropped.
    limit: Option<f64>,
    /// Every answer is sent twice.
    duplicate: bool,
}

struct Sim {
    hosts: HashMap<IpAddr, Host>,
    buckets: HashMap<IpAddr, (f64, Instant)>,
    arrivals: VecDeque<(Instant, Reply)>,
    sent: Vec<(Instant, Syn)>,
    verdicts: Vec<Verdict>,
    /// Replies injected when the n-th SYN leaves.
    forged: Vec<(usize, Reply)>,
    /// Every address not in `hosts` answers as a host with all its ports closed.
    everyone_closed: bool,
    /// What the driver keeps of the findings.
    details: Details,
}

fn addr(text: &str) -> IpAddr {
    text.parse().unwrap()
}

impl Sim {
    fn new(hosts: &[(&str, Host)]) -> Sim {
        Sim {
            hosts: hosts.iter().map(|(a, h)| (addr(a), h.clone())).collect(),
            buckets: HashMap::new(),
            arrivals: VecDeque::new(),
            sent: Vec::new(),
            verdicts: Vec::new(),
            forged: Vec::new(),
            everyone_closed: false,
            details: Details::default(),
        }
    }

    fn answer(&mut self, now: Instant, syn: &Syn) -> Vec<Reply> {
        let closed = Host::default();
        let host = match self.hosts.get(&syn.dst) {
            Some(host) => host,
            None if self.everyone_closed => &closed,
            None => return Vec::new(),
        };
        if let Some(limit) = host.limit {
            let (tokens, at) = self.buckets.entry(syn.dst).or_insert((5.0, now));
            *tokens = (*tokens + now.duration_since(*at).as_secs_f64() * limit).min(5.0);
            *at = now;
            if *tokens < 1.0 {
                return Vec::new();
            }
            *tokens -= 1.0;
        }
        let tcp = |flags| Reply::Tcp {
            from: syn.dst,
            sport: syn.port,
            dport: SPORT,
            ack: syn.seq.wrapping_add(1),
            flags,
        };
        let icmp = |code, from: &str| Reply::Icmp {
            from: addr(from),
            dst: syn.dst,
            sport: SPORT,
            dport: syn.port,
            seq: syn.seq,
            v6: syn.dst.is_ipv6(),
            icmp_type: if syn.dst.is_ipv6() { 1 } else { 3 },
            icmp_code: code,
        };
        let reply = if host.open.contains(&syn.port) {
            tcp(TCP_SYN | TCP_ACK)
        } else if host.filtered.contains(&syn.port) {
            return Vec::new();
        } else if host.prohibited.contains(&syn.port) {
            icmp(if syn.dst.is_ipv6() { 1 } else { 13 }, "198.18.1.1")
        } else if host.rejected.contains(&syn.port) {
            icmp(if syn.dst.is_ipv6() { 4 } else { 3 }, &syn.dst.to_string())
        } else {
            tcp(TCP_RST | TCP_ACK)
        };
        if host.duplicate {
            vec![reply, reply]
        } else {
            vec![reply]
        }
    }

    /// Runs the scan to its end; what was decided for each (address, port).
    fn run(
        &mut self,
        engine: &mut Engine,
        start: Instant,
    ) -> HashMap<(IpAddr, u16), (State, Option<String>)> {
        let mut now = start;
        let mut found = HashMap::new();
        for _ in 0..10_000_000 {
            while self.arrivals.front().is_some_and(|(at, _)| *at <= now) {
                let (_, reply) = self.arrivals.pop_front().unwrap();
                self.verdicts.push(engine.on_reply(now, &reply));
            }
            engine.poll_timeouts(now);
            while let Some(syn) = engine.poll_send(now) {
                self.sent.push((now, syn));
                for reply in self.answer(now, &syn) {
                    self.arrivals.push_back((now + RTT, reply));
                }
                let n = self.sent.len();
                let forged: Vec<Reply> = self
                    .forged
                    .iter()
                    .filter(|(at, _)| *at == n)
                    .map(|(_, r)| *r)
                    .collect();
                for reply in forged {
                    self.arrivals.push_back((now + RTT, reply));
                }
            }
            while let Some(f) = engine.pop_finding() {
                self.details.note(&f);
                let key = (engine.hosts().get(f.host).unwrap().0, f.port);
                assert!(
                    found.insert(key, (f.state, f.detail)).is_none(),
                    "{key:?} decided twice"
                );
            }
            if engine.is_done() {
                assert_eq!(engine.next_wakeup(), None, "nothing left to wait for");
                return found;
            }
            let next = [
                engine.next_wakeup(),
                self.arrivals.front().map(|(at, _)| *at),
            ]
            .into_iter()
            .flatten()
            .min()
            .expect("a scan that is not done has something to wait for");
            assert!(next >= now, "time runs forward");
            now = next;
        }
        panic!("the scan never ended");
    }
}

fn config(rate: u32, min_rate: u32) -> Config {
    Config {
        rate,
        min_rate,
        timeout: Duration::from_millis(200),
        sport: SPORT,
    }
}

fn host_list(addrs: &[IpAddr]) -> Arc<AddrList> {
    let mut list = AddrList::new();
    for &a in addrs {
        list.push(AddrRange::single(a), 0);
    }
    Arc::new(list)
}

fn ports(range: std::ops::RangeInclusive<u16>) -> Arc<[u16]> {
    range.collect::<Vec<_>>().into()
}

#[test]
fn every_port_is_decided_once_as_the_connect_scan_would() {
    let web = Host {
        open: vec![22, 80],
        filtered: vec![443],
        prohibited: vec![25],
        rejected: vec![113],
        ..Host::default()
    };
    let db = Host {
        open: vec![5432],
        filtered: vec![22],
        ..Host::default()
    };
    let hosts = [
        ("198.18.2.2", web),
        ("198.18.2.3", db),
        ("fd00::5", Host::default()),
    ];
    let mut sim = Sim::new(&hosts);
    let addrs: Vec<IpAddr> = hosts.iter().map(|(a, _)| addr(a)).collect();
    let mut list: Vec<u16> = (1..=1024).collect();
    list.push(5432);
    let start = Instant::now();
    let mut engine = Engine::new(
        config(10_000, 100),
        host_list(&addrs),
        list.clone().into(),
        start,
    )
    .unwrap();
    let found = sim.run(&mut engine, start);

    assert_eq!(found.len(), 3 * list.len());
    let state = |a: &str, p: u16| found[&(addr(a), p)].0;
    assert_eq!(state("198.18.2.2", 22), State::Open);
    assert_eq!(state("198.18.2.2", 80), State::Open);
    assert_eq!(state("198.18.2.2", 443), State::Filtered);
    assert_eq!(state("198.18.2.2", 25), State::Unreachable);
    assert_eq!(
        found[&(addr("198.18.2.2"), 25)].1.as_deref(),
        Some("administratively prohibited from 198.18.1.1 (ICMP 3/13)")
    );
    assert_eq!(state("198.18.2.2", 113), State::Closed);
    assert_eq!(state("198.18.2.2", 21), State::Closed);
    assert_eq!(state("198.18.2.3", 5432), State::Open);
    assert_eq!(state("198.18.2.3", 22), State::Filtered);
    assert_eq!(state("fd00::5", 1024), State::Closed);
    let open = found.values().filter(|(s, _)| *s == State::Open).count();
    assert_eq!(open, 3);

    // Each port once, plus one retry for each silent one: no more.
    let silent = 2;
    assert_eq!(sim.sent.len(), 3 * list.len() + silent);
    let retries: Vec<(IpAddr, u16)> = sim
        .sent
        .iter()
        .filter(|(_, s)| s.retry)
        .map(|(_, s)| (s.dst, s.port))
        .collect();
    assert_eq!(
        retries,
        [(addr("198.18.2.3"), 22), (addr("198.18.2.2"), 443)]
    );
    // Hosts interleaved: no two SYNs in a row to one host.
    assert!(sim
        .sent
        .windows(2)
        .filter(|w| !w[1].1.retry)
        .all(|w| w[0].1.dst != w[1].1.dst));

    // The per-address records, made from the engine's state at the end, say the same.
    let scanned = Scanned {
        hosts: Hosts::unnamed(engine.hosts().clone()),
        engine,
        details: std::mem::take(&mut sim.details),
        elapsed: Duration::from_secs(2),
        completed: true,
    };
    let records: Vec<_> = scanned.records().collect();
    let counts: Vec<_> = records
        .iter()
        .map(|r| {
            let open = r.open.clone();
            (
                r.address.as_str(),
                open,
                r.closed,
                r.filtered,
                r.unreachable,
            )
        })
        .collect();
    assert_eq!(
        counts,
        [
            ("198.18.2.2", vec![22, 80], 1021, 1, 1),
            ("198.18.2.3", vec![5432], 1023, 1, 0),
            ("fd00::5", vec![], 1025, 0, 0),
        ]
    );
    assert_eq!(
        records[0].detail.as_deref(),
        Some("administratively prohibited from 198.18.1.1 (ICMP 3/13)")
    );
    assert_eq!(
        (records[1].detail.as_deref(), records[0].ports),
        (None, 1025)
    );
    assert_eq!(
        (records[2].target.as_str(), records[2].elapsed_ms),
        ("fd00::5", 2000.0)
    );
}

/// Issue 22: memory bounded by what is in flight, not by the size of the range. A /16
/// holds four bits a probe more than a /24 and nothing else: no per-address or
/// per-finding record, the same probes in flight (the same rate and timeout).
#[test]
fn what_the_engine_holds_grows_by_four_bits_a_probe_and_nothing_else() {
    let held = |range: &str| {
        let mut sim = Sim::new(&[]);
        sim.everyone_closed = true;
        let mut hosts = AddrList::new();
        hosts.push(AddrRange::parse(range).unwrap().unwrap(), 0);
        let start = Instant::now();
        let mut engine =
            Engine::new(config(2000, 2000), Arc::new(hosts), ports(1..=3), start).unwrap();
        let found = sim.run(&mut engine, start);
        assert_eq!(found.len() as u64, engine.total());
        assert!(found.values().all(|(s, _)| *s == State::Closed));
        (engine.total(), engine.held_bytes())
    };
    let (small, small_held) = held("10.0.0.0/24");
    let (big, big_held) = held("10.0.0.0/16");
    assert_eq!((small, big), (254 * 3, 65_534 * 3));
    let four_bits = (big - small).div_ceil(2) as usize;
    assert!(
        big_held <= small_held + four_bits + 1024,
        "/24: {small_held} bytes, /16: {big_held} bytes, four bits a probe more is {four_bits}"
    );
    assert!(big_held < 128 * 1024, "{big_held} bytes for a /16 x 3");
}

#[test]
fn syns_leave_at_the_rate_asked() {
    let mut sim = Sim::new(&[("198.18.2.2", Host::default())]);
    let start = Instant::now();
    let mut engine = Engine::new(
        config(1000, 1000),
        host_list(&[addr("198.18.2.2")]),
        ports(1..=2000),
        start,
    )
    .unwrap();
    sim.run(&mut engine, start);
    let times: Vec<Instant> = sim.sent.iter().map(|(t, _)| *t).collect();
    let span = times.last().unwrap().duration_since(times[0]);
    // 2000 SYNs at 1000 a second: 1.999 s from first to last, never two at once.
    assert!(
        span >= Duration::from_millis(1990) && span <= Duration::from_millis(2010),
        "{span:?}"
    );
    assert!(times
        .windows(2)
        .all(|w| w[1].duration_since(w[0]) >= Duration::from_micros(990)));
}

#[test]
fn duplicate_and_forged_replies_change_nothing() {
    let target = Host {
        open: vec![80],
        filtered: vec![81],
        duplicate: true,
        ..Host::default()
    };
    let mut sim = Sim::new(&[("198.18.2.2", target)]);
    let start = Instant::now();
    let mut engine = Engine::new(
        config(1000, 100),
        host_list(&[addr("198.18.2.2")]),
        ports(79..=82),
        start,
    )
    .unwrap();
    let right = engine.cookie(addr("198.18.2.2"), 81);
    let syn_ack = |from: &str, sport: u16, dport: u16, ack: u32, flags: u8| Reply::Tcp {
        from: addr(from),
        sport,
        dport,
        ack,
        flags,
    };
    sim.forged = vec![
        // A SYN-ACK for a port never probed (with the cookie that port would have).
        (
            1,
            syn_ack(
                "198.18.2.2",
                8080,
                SPORT,
                engine.cookie(addr("198.18.2.2"), 8080).wrapping_add(1),
                TCP_SYN | TCP_ACK,
            ),
        ),
        // From an address outside the range.
        (
            1,
            syn_ack(
                "198.18.2.9",
                81,
                SPORT,
                engine.cookie(addr("198.18.2.9"), 81).wrapping_add(1),
                TCP_SYN | TCP_ACK,
            ),
        ),
        // The filtered port, with a wrong cookie.
        (
            2,
            syn_ack(
                "198.18.2.2",
                81,
                SPORT,
                right.wrapping_add(2),
                TCP_SYN | TCP_ACK,
            ),
        ),
        // The right cookie to another source port of ours.
        (
            2,
            syn_ack(
                "198.18.2.2",
                81,
                SPORT + 1,
                right.wrapping_add(1),
                TCP_SYN | TCP_ACK,
            ),
        ),
        // A bare RST (no ACK answers no SYN) and a bare ACK.
        (
            3,
            syn_ack("198.18.2.2", 81, SPORT, right.wrapping_add(1), TCP_RST),
        ),
        (
            3,
            syn_ack("198.18.2.2", 81, SPORT, right.wrapping_add(1), TCP_ACK),
        ),
        // An ICMP error quoting a SYN we never sent.
        (
            4,
            Reply::Icmp {
                from: addr("198.18.1.1"),
                dst: addr("198.18.2.2"),
                sport: SPORT,
                dport: 81,
                seq: right ^ 1,
                v6: false,
                icmp_type: 3,
                icmp_code: 13,
            },
        ),
    ];
    let found = sim.run(&mut engine, start);
    let state = |p: u16| found[&(addr("198.18.2.2"), p)].0;
    assert_eq!(
        [state(79), state(80), state(81), state(82)],
        [State::Closed, State::Open, State::Filtered, State::Closed]
    );
    let count = |v: Verdict| sim.verdicts.iter().filter(|&&x| x == v).count();
    assert_eq!(count(Verdict::Ignored), 7, "every forgery ignored");
    assert_eq!(count(Verdict::Accepted), 3);
    assert_eq!(
        count(Verdict::Duplicate),
        3,
        "the second copy of each answer"
    );
}

#[test]
fn a_rate_limited_host_brings_the_rate_down_and_loses_no_port() {
    let limited = Host {
        open: (1..=2000).filter(|p| p % 100 == 0).collect(),
        limit: Some(200.0),
        ..Host::default()
    };
    let run = |adaptive: bool| {
        let mut sim = Sim::new(&[("198.18.2.2", limited.clone())]);
        let start = Instant::now();
        let min = if adaptive { 20 } else { 4000 };
        let mut engine = Engine::new(
            config(4000, min),
            host_list(&[addr("198.18.2.2")]),
            ports(1..=2000),
            start,
        )
        .unwrap();
        let found = sim.run(&mut engine, start);
        let wrong = found
            .values()
            .filter(|(s, _)| *s == State::Filtered)
            .count();
        let mut tries: HashMap<u16, u8> = HashMap::new();
        for (_, syn) in &sim.sent {
            *tries.entry(syn.port).or_default() += 1;
        }
        let most = tries.values().copied().max().unwrap_or(0);
        let took = sim.sent.last().unwrap().0.duration_since(start);
        eprintln!(
            "adaptive {adaptive}: {wrong} wrong, rate {} lowest {} after {} cuts, at most {most} tries, {took:?}",
            engine.rate(),
            engine.lowest_rate(),
            engine.cuts()
        );
        (wrong, engine.lowest_rate(), engine.cuts(), most, took)
    };
    let (fixed, fixed_lowest, fixed_cuts, _, _) = run(false);
    let (adapted, adapted_lowest, adapted_cuts, most, took) = run(true);
    // Without adaptation most answers are dropped at every try; with it, none is lost.
    assert!(fixed > 1000, "{fixed}");
    assert_eq!((fixed_lowest, fixed_cuts), (4000.0, 0));
    assert_eq!(adapted, 0);
    assert!(
        adapted_lowest <= 250.0 && adapted_cuts >= 4,
        "{adapted_lowest}"
    );
    assert!(most <= MAX_TRIES, "{most}");
    // And it stays near the limit: 2000 ports at 200 a second take 10 s at best.
    assert!(took < Duration::from_secs(20), "{took:?}");
}

#[test]
fn too_many_probes_are_refused() {
    let hosts: Vec<IpAddr> = (0..2048u32).map(|i| IpAddr::V4(i.into())).collect();
    let err = Engine::new(
        config(10, 10),
        host_list(&hosts),
        ports(1..=65535),
        Instant::now(),
    )
    .err()
    .unwrap();
    assert!(err.contains("at most"), "{err}");
}
