//! Rounds and their statistics against simulated paths, in virtual time: forwarding loss
//! at one router (each way), a router dropping a share of its own replies, a path that
//! changes mid-run, a destination that moves, alternating responders. Randomness comes
//! from a seeded xorshift, so every run of a test sees the same packets.

use std::net::IpAddr;
use std::time::{Duration, Instant};

use super::*;
use crate::trace::engine::{Reply, Response, Wire};
use crate::trace::stats::{LossKind, PathChange, Snapshot, Stats};

fn ip(text: &str) -> IpAddr {
    text.parse().unwrap()
}

fn ms(n: u64) -> Duration {
    Duration::from_millis(n)
}

/// xorshift64*: test randomness, reproducible.
struct Rng(u64);

impl Rng {
    fn chance(&mut self, p: f64) -> bool {
        self.0 ^= self.0 >> 12;
        self.0 ^= self.0 << 25;
        self.0 ^= self.0 >> 27;
        let x = self.0.wrapping_mul(0x2545_f491_4f6c_dd1d);
        ((x >> 11) as f64 / (1u64 << 53) as f64) < p
    }
}

#[derive(Clone)]
struct SimHop {
    /// Answers from `addrs[round % len]`.
    addrs: Vec<IpAddr>,
    rtt: Duration,
    /// Drops this share of what it forwards, each way.
    forward_loss: f64,
    /// Drops this share of its own replies.
    reply_loss: f64,
}

struct SimPath {
    /// Routers, then the destination.
    hops: Vec<SimHop>,
}

impl SimPath {
    fn routers(n: usize) -> SimPath {
        let mut hops: Vec<SimHop> = (1..=n)
            .map(|i| SimHop {
                addrs: vec![ip(&format!("10.0.0.{i}"))],
                rtt: ms(2 * i as u64),
                forward_loss: 0.0,
                reply_loss: 0.0,
            })
            .collect();
        hops.push(SimHop {
            addrs: vec![ip("10.9.9.9")],
            rtt: ms(2 * (n as u64 + 1)),
            forward_loss: 0.0,
            reply_loss: 0.0,
        });
        SimPath { hops }
    }
}

/// A change to the path, applied before a round.
type Change = Box<dyn Fn(&mut SimPath)>;

struct Sim {
    path: SimPath,
    rng: Rng,
    wire: Vec<Response>,
    /// Changes applied before the given round starts.
    changes: Vec<(u64, Change)>,
    round: u64,
}

impl Sim {
    fn new(path: SimPath) -> Sim {
        Sim {
            path,
            rng: Rng(0x9e37_79b9_7f4a_7c15),
            wire: Vec::new(),
            changes: Vec::new(),
            round: 0,
        }
    }

    fn transmit(&mut self, probe: &Probe, now: Instant) {
        let dest = self.path.hops.len();
        let at_hop = usize::from(probe.ttl).min(dest);
        // Out through the routers before it, and back through them.
        for hop in &self.path.hops[..at_hop - 1] {
            if self.rng.chance(hop.forward_loss) || self.rng.chance(hop.forward_loss) {
                return;
            }
        }
        let hop = &self.path.hops[at_hop - 1];
        if self.rng.chance(hop.reply_loss) {
            return;
        }
        let from = hop.addrs[(self.round as usize) % hop.addrs.len()];
        self.wire.push(Response {
            probe: probe.id,
            from,
            reply: if at_hop == dest {
                Reply::Reached
            } else {
                Reply::TimeExceeded
            },
            at: now + hop.rtt,
            mpls: vec![],
            objects: Vec::new(),
            wire: Wire::default(),
        });
    }
}

fn engine_config() -> Config {
    Config {
        first_ttl: 1,
        max_ttl: 30,
        queries: 1,
        max_wait: Duration::from_secs(2),
        floor: ms(20),
        window: 16,
        seq_base: 0xefff,
    }
}

struct Run {
    stats: Stats,
    rounds: Vec<Round>,
    elapsed: Duration,
}

fn run(sim: &mut Sim, rounds: Option<u64>, interval: Duration, stop_at: Option<Duration>) -> Run {
    let mut machine = Rounds::new(RoundsConfig {
        engine: engine_config(),
        rounds,
        interval,
        flow: 0,
    });
    let start = Instant::now();
    let mut now = start;
    let mut stats = Stats::default();
    let mut finished = Vec::new();
    for _ in 0..10_000_000 {
        if stop_at.is_some_and(|s| now >= start + s) {
            machine.stop();
        }
        machine.advance(now);
        while let Some(probe) = machine.poll_probe() {
            machine.sent(&probe, now);
            sim.transmit(&probe, now);
        }
        while let Some(event) = machine.poll_event() {
            match event {
                RoundEvent::Round(round) => {
                    stats.record(&round);
                    sim.round = round.number;
                    for (at, change) in &sim.changes {
                        if *at == round.number + 1 {
                            change(&mut sim.path);
                        }
                    }
                    // Bounded: the caller keeps only what it needs.
                    if finished.len() < 50 {
                        finished.push(round);
                    }
                }
                RoundEvent::Hop { .. } | RoundEvent::Done => {}
            }
        }
        if machine.is_finished() {
            return Run {
                stats,
                rounds: finished,
                elapsed: now - start,
            };
        }
        let arrival = sim.wire.iter().map(|r| r.at).min();
        let next = [machine.next_wakeup(), arrival]
            .into_iter()
            .flatten()
            .min()
            .expect("the rounds wait for something");
        now = now.max(next);
        if let Some(s) = stop_at {
            now = now.min((start + s).max(now));
        }
        let (due, later): (Vec<Response>, Vec<Response>) =
            sim.wire.drain(..).partition(|r| r.at <= now);
        sim.wire = later;
        if !due.is_empty() {
            machine.on_responses(due);
        }
    }
    panic!("the rounds never ended");
}

fn snapshot(stats: &Stats) -> Snapshot {
    stats.snapshot(&|_| None, &|_| None)
}

fn hop(s: &Snapshot, ttl: u8) -> &crate::trace::stats::HopSummary {
    s.hops.iter().find(|h| h.ttl == ttl).expect("hop present")
}

#[test]
fn n_rounds_take_n_intervals_and_probe_only_up_to_the_destination() {
    let mut sim = Sim::new(SimPath::routers(5));
    let out = run(&mut sim, Some(10), ms(200), None);
    assert_eq!(out.stats.rounds(), 10);
    // Nine intervals, then the last round (12 ms to the destination).
    assert!(out.elapsed >= ms(1800), "{:?}", out.elapsed);
    assert!(out.elapsed <= ms(1800 + 50), "{:?}", out.elapsed);
    let s = snapshot(&out.stats);
    assert_eq!(s.destination_ttl, Some(6));
    assert_eq!(s.hops.len(), 6);
    for h in &s.hops {
        assert_eq!((h.sent, h.received), (10, 10), "hop {}", h.ttl);
        assert_eq!(h.loss.kind, LossKind::None);
    }
    // Round 2 on stopped at the destination: one probe per hop per round.
    assert!(out.rounds[1..].iter().all(|r| r.hops.len() == 6));
    assert!(s.events.is_empty());
}

#[test]
fn forwarding_loss_is_carried_to_every_later_hop_and_located() {
    let mut path = SimPath::routers(6);
    path.hops[2].forward_loss = 0.2; // router 3: 20% each way
    let mut sim = Sim::new(path);
    let out = run(&mut sim, Some(300), ms(10), None);
    let s = snapshot(&out.stats);
    for ttl in 1..=3 {
        assert_eq!(hop(&s, ttl).loss.kind, LossKind::None, "hop {ttl}");
        assert_eq!(hop(&s, ttl).loss_percent, 0.0);
    }
    // Probes to hop 4 and beyond cross router 3 twice: 1 - 0.8² = 36% lost.
    for ttl in 4..=7 {
        let h = hop(&s, ttl);
        assert!((h.loss_percent - 36.0).abs() <= 6.0, "hop {ttl}: {h:?}");
        assert_eq!(h.loss.kind, LossKind::Forwarding, "hop {ttl}: {:?}", h.loss);
    }
    assert_eq!(s.loss_begins_at, Some(4));
    assert!(hop(&s, 5).loss.explanation.contains("begins at hop 4"));
}

#[test]
fn a_router_dropping_its_own_replies_is_replies_only() {
    let mut path = SimPath::routers(5);
    path.hops[1].reply_loss = 0.5;
    let mut sim = Sim::new(path);
    let out = run(&mut sim, Some(200), ms(10), None);
    let s = snapshot(&out.stats);
    let h2 = hop(&s, 2);
    assert_eq!(h2.loss.kind, LossKind::RepliesOnly, "{:?}", h2.loss);
    assert!((h2.loss_percent - 50.0).abs() <= 12.0, "{h2:?}");
    assert_eq!(h2.loss.replies_only_percent, h2.loss_percent);
    assert!(h2.loss.explanation.contains("not affected"));
    for h in s.hops.iter().filter(|h| h.ttl != 2) {
        assert_eq!(h.loss.kind, LossKind::None, "hop {}", h.ttl);
    }
    assert_eq!(s.loss_begins_at, None);
}

#[test]
fn a_router_that_never_answers_is_said_to_and_the_path_goes_on() {
    let mut path = SimPath::routers(5);
    path.hops[1].reply_loss = 1.0; // router 2 sends no time-exceeded
    path.hops[0].forward_loss = 0.1; // and router 1 loses some in forwarding
    let mut sim = Sim::new(path);
    let out = run(&mut sim, Some(200), ms(10), None);
    let s = snapshot(&out.stats);
    let h2 = hop(&s, 2);
    assert_eq!(h2.loss_percent, 100.0);
    let text = &h2.loss.explanation;
    assert!(text.starts_with("never answers"), "{text}");
    assert!(text.contains("the path goes on"), "{text}");
    assert!(!text.contains("replies missing"), "{text}");
    assert!(text.contains("% they lose is lost in forwarding"), "{text}");
    // Without loss beyond it.
    let mut path = SimPath::routers(3);
    path.hops[1].reply_loss = 1.0;
    let out = run(&mut Sim::new(path), Some(50), ms(10), None);
    let s = snapshot(&out.stats);
    let text = &hop(&s, 2).loss.explanation;
    assert!(
        text.contains("never answers") && text.contains("lose nothing"),
        "{text}"
    );
}

#[test]
fn forwarding_loss_and_reply_loss_at_one_hop_are_told_apart() {
    let mut path = SimPath::routers(6);
    path.hops[2].forward_loss = 0.2;
    path.hops[4].reply_loss = 0.5; // router 5 also drops half its own replies
    let mut sim = Sim::new(path);
    let out = run(&mut sim, Some(300), ms(10), None);
    let s = snapshot(&out.stats);
    let h5 = hop(&s, 5);
    assert_eq!(h5.loss.kind, LossKind::Both, "{:?}", h5.loss);
    assert!(
        (h5.loss.forwarding_percent - 36.0).abs() <= 6.0,
        "{:?}",
        h5.loss
    );
    // 1 - 0.64 × 0.5 = 68% in all, 32 points of it the router's own.
    assert!((h5.loss_percent - 68.0).abs() <= 8.0, "{h5:?}");
    for ttl in [4, 6, 7] {
        assert_eq!(hop(&s, ttl).loss.kind, LossKind::Forwarding, "hop {ttl}");
    }
    assert_eq!(s.loss_begins_at, Some(4));
}

#[test]
fn a_path_change_mid_run_is_one_event_with_its_round_and_time() {
    let mut sim = Sim::new(SimPath::routers(5));
    sim.changes.push((
        21,
        Box::new(|p: &mut SimPath| p.hops[2].addrs = vec![ip("10.0.7.3")]),
    ));
    let out = run(&mut sim, Some(40), ms(100), None);
    let s = snapshot(&out.stats);
    assert_eq!(s.events.len(), 1, "{:?}", s.events);
    let event = &s.events[0];
    assert_eq!(event.round, 21);
    assert_eq!(event.at, ms(2000));
    assert_eq!(
        event.change,
        PathChange::NewResponder {
            ttl: 3,
            address: ip("10.0.7.3"),
            previous: Some(ip("10.0.0.3"))
        }
    );
    let shares: Vec<(String, f64)> = hop(&s, 3)
        .responders
        .iter()
        .map(|r| (r.address.to_string(), r.share))
        .collect();
    assert_eq!(
        shares,
        [("10.0.0.3".to_string(), 0.5), ("10.0.7.3".to_string(), 0.5)]
    );
}

#[test]
fn alternating_responders_show_shares_and_one_event_not_one_per_round() {
    let mut path = SimPath::routers(4);
    path.hops[1].addrs = vec![ip("10.0.1.1"), ip("10.0.1.2")];
    let mut sim = Sim::new(path);
    let out = run(&mut sim, Some(100), ms(10), None);
    let s = snapshot(&out.stats);
    let h2 = hop(&s, 2);
    assert_eq!(h2.responders.len(), 2);
    for r in &h2.responders {
        assert!((r.share - 0.5).abs() < 0.02, "{r:?}");
    }
    assert_eq!(s.events.len(), 1, "{:?}", s.events);
}

#[test]
fn a_destination_that_moves_is_an_event_and_hops_beyond_it_go() {
    let mut sim = Sim::new(SimPath::routers(5));
    // From round 11 the path is two routers shorter.
    sim.changes.push((
        11,
        Box::new(|p: &mut SimPath| {
            p.hops.remove(1);
            p.hops.remove(1);
        }),
    ));
    let out = run(&mut sim, Some(20), ms(50), None);
    let s = snapshot(&out.stats);
    assert!(s.events.iter().any(|e| e.round == 11
        && e.change
            == PathChange::DestinationMoved {
                from_ttl: 6,
                to_ttl: 4
            }));
    assert_eq!(s.destination_ttl, Some(4));
    assert_eq!(s.hops.last().unwrap().ttl, 4);
}

#[test]
fn a_longer_path_is_probed_to_its_new_end() {
    let mut sim = Sim::new(SimPath::routers(3));
    sim.changes.push((
        6,
        Box::new(|p: &mut SimPath| {
            let extra = SimHop {
                addrs: vec![ip("10.0.5.5")],
                rtt: ms(7),
                forward_loss: 0.0,
                reply_loss: 0.0,
            };
            p.hops.insert(3, extra.clone());
            p.hops.insert(3, extra);
        }),
    ));
    let out = run(&mut sim, Some(12), ms(50), None);
    let s = snapshot(&out.stats);
    assert_eq!(s.destination_ttl, Some(6));
    assert!(s.events.iter().any(|e| matches!(
        e.change,
        PathChange::DestinationMoved {
            from_ttl: 4,
            to_ttl: 6
        }
    )));
}

#[test]
fn a_lost_destination_answer_in_the_first_round_is_no_path_change() {
    let mut path = SimPath::routers(3);
    path.hops[3].reply_loss = 0.3;
    let mut sim = Sim::new(path);
    let out = run(&mut sim, Some(100), ms(10), None);
    let s = snapshot(&out.stats);
    assert!(
        s.events
            .iter()
            .all(|e| !matches!(e.change, PathChange::DestinationMoved { .. })),
        "{:?}",
        s.events
    );
    assert_eq!(s.destination_ttl, Some(4));
    assert_eq!(hop(&s, 4).loss.kind, LossKind::Forwarding);
}

#[test]
fn stopping_mid_round_drops_the_partial_round_and_ends() {
    let mut path = SimPath::routers(5);
    path.hops[5].rtt = ms(500);
    let mut sim = Sim::new(path);
    // Rounds start at 0, 1, 2 s; the stop comes 100 ms into the third.
    let out = run(&mut sim, None, ms(1000), Some(ms(2100)));
    assert_eq!(out.stats.rounds(), 2);
    let s = snapshot(&out.stats);
    assert!(s.hops.iter().all(|h| h.sent == 2), "{:?}", s.hops);
}

#[test]
fn memory_is_bounded_over_long_runs() {
    let mut path = SimPath::routers(3);
    path.hops[1].reply_loss = 0.3;
    let mut sim = Sim::new(path);
    let mut stats_history = 0;
    let out = run(&mut sim, Some(3000), ms(5), None);
    let s = snapshot(&out.stats);
    for h in &s.hops {
        assert!(h.history.len() <= out.stats.history_len());
        stats_history = stats_history.max(h.history.len());
    }
    assert_eq!(stats_history, out.stats.history_len());
    assert_eq!(s.hops[0].sent, 3000);
    // Percentiles over the ring only.
    assert!(s.hops[0].percentiles.unwrap().samples <= out.stats.history_len());
}

#[test]
fn pause_starts_no_round_until_resumed() {
    let mut machine = Rounds::new(RoundsConfig {
        engine: engine_config(),
        rounds: None,
        interval: ms(100),
        flow: 0,
    });
    let t0 = Instant::now();
    machine.pause();
    machine.advance(t0);
    assert!(machine.poll_probe().is_none());
    assert_eq!(machine.next_wakeup(), None);
    machine.resume();
    machine.advance(t0 + ms(5));
    assert!(machine.poll_probe().is_some());
    assert_eq!(machine.started(), 1);
}
