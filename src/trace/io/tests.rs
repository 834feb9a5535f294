//! The loop on a fake network, in short real time: probes sent, answers delivered with
//! their timestamps, silent hops given up, the ending, and observers that hold the end
//! back (reverse names) or steer rounds.

use std::net::{IpAddr, Ipv4Addr};

use super::*;
use crate::net::err::Kind;
use crate::trace::engine::{ProbeId, ProbeResult, Reply, Wire};

/// What one TTL does with a probe.
#[derive(Debug, Clone, Copy)]
enum HopDoes {
    Answer(IpAddr, Reply),
    Silent,
    /// The send itself fails (no route on this host).
    Refuse,
}

/// A path of hops answering after a fixed RTT; TTLs past its end answer like its last.
struct FakeNet {
    path: Vec<HopDoes>,
    rtt: Duration,
    sent: Vec<(Probe, Instant)>,
    in_flight: Vec<Response>,
    forgotten: Vec<u8>,
}

impl FakeNet {
    fn new(path: Vec<HopDoes>, rtt: Duration) -> FakeNet {
        FakeNet {
            path,
            rtt,
            sent: Vec::new(),
            in_flight: Vec::new(),
            forgotten: Vec::new(),
        }
    }

    fn hop(&self, ttl: u8) -> HopDoes {
        let last = self.path.len() - 1;
        self.path[usize::from(ttl - 1).min(last)]
    }
}

/// The TTL an answer from hop `ttl` arrives with: sent at 64, one less per hop back.
fn arrival_ttl(ttl: u8) -> u8 {
    65 - ttl
}

impl Network for FakeNet {
    fn send(&mut self, probe: &Probe, _data_len: usize) -> io::Result<Instant> {
        let now = Instant::now();
        let (from, reply) = match self.hop(probe.ttl) {
            HopDoes::Refuse => return Err(Kind::NetworkUnreachable.error()),
            HopDoes::Silent => {
                self.sent.push((*probe, now));
                return Ok(now);
            }
            HopDoes::Answer(from, reply) => (from, reply),
        };
        self.sent.push((*probe, now));
        self.in_flight.push(Response {
            probe: probe.id,
            from,
            reply,
            at: now + self.rtt,
            mpls: Vec::new(),
            objects: Vec::new(),
            wire: Wire {
                ttl: Some(arrival_ttl(probe.ttl)),
                ..Wire::default()
            },
        });
        Ok(now)
    }

    fn wait(&mut self, timeout: Duration) -> io::Result<Vec<Response>> {
        let now = Instant::now();
        let first = self.in_flight.iter().map(|r| r.at).min();
        let until = first.map_or(now + timeout, |at| at.min(now + timeout));
        std::thread::sleep(until.saturating_duration_since(now));
        let woke = Instant::now();
        let (due, later) = std::mem::take(&mut self.in_flight)
            .into_iter()
            .partition(|r| r.at <= woke);
        self.in_flight = later;
        Ok(due)
    }

    fn forget(&mut self, ttl: u8) {
        self.forgotten.push(ttl);
    }

    fn path_mtu(&self) -> Option<u32> {
        None
    }
}

fn addr(last: u8) -> IpAddr {
    IpAddr::V4(Ipv4Addr::new(198, 18, 0, last))
}

fn router(last: u8) -> HopDoes {
    HopDoes::Answer(addr(last), Reply::TimeExceeded)
}

const DESTINATION: u8 = 99;

fn destination() -> HopDoes {
    HopDoes::Answer(addr(DESTINATION), Reply::Reached)
}

fn config(max_ttl: u8, queries: u8) -> Config {
    Config {
        first_ttl: 1,
        max_ttl,
        queries,
        max_wait: Duration::from_millis(400),
        floor: Duration::from_millis(30),
        window: 6,
        seq_base: 1000,
    }
}

const RTT: Duration = Duration::from_millis(5);

/// Records what the loop tells it; holds the end back until `hold_until`, as the live
/// rows do for pending reverse names.
#[derive(Default)]
struct Recorder {
    events: Vec<Event>,
    back: Vec<(u8, u8)>,
    hold_until: Option<Instant>,
    flushes: Vec<Instant>,
    /// Says stop once this many events came (stdout closed after so many rows).
    stop_after: Option<usize>,
}

impl Observer for Recorder {
    fn event(&mut self, event: Event) {
        self.events.push(event);
    }
    fn back_hops(&mut self, ttl: u8, hops: u8) {
        self.back.push((ttl, hops));
    }
    fn flush(&mut self, now: Instant) {
        self.flushes.push(now);
    }
    fn is_flushed(&self) -> bool {
        self.hold_until.is_none_or(|until| Instant::now() >= until)
    }
    fn next_wakeup(&self) -> Option<Instant> {
        self.hold_until.filter(|until| Instant::now() < *until)
    }
    fn stopped(&self) -> bool {
        self.stop_after.is_some_and(|n| self.events.len() >= n)
    }
}

fn trace(net: FakeNet, config: Config, back: bool, observer: &mut Recorder) -> TraceOutcome {
    let driver = Driver::with(net, 32, None, back);
    trace_on(config, driver, observer).expect("a fake network never fails the loop")
}

fn rtts(hop: &Hop) -> Vec<Duration> {
    hop.probes
        .iter()
        .filter_map(|p| match p {
            ProbeResult::Answered { rtt, .. } => Some(*rtt),
            _ => None,
        })
        .collect()
}

#[test]
fn every_hop_is_probed_and_answers_carry_their_receive_time() {
    let path = vec![router(1), router(2), destination()];
    let mut recorder = Recorder::default();
    let outcome = trace(FakeNet::new(path, RTT), config(10, 2), false, &mut recorder);
    assert_eq!(
        outcome.ending,
        Ending::Reached {
            ttl: 3,
            from: addr(DESTINATION)
        }
    );
    let ttls: Vec<u8> = outcome.hops.iter().map(|h| h.ttl).collect();
    assert_eq!(ttls, [1, 2, 3]);
    for hop in &outcome.hops {
        // The RTT is the answer's receive time minus the send time, however late the
        // loop woke up to read it.
        assert_eq!(rtts(hop), [RTT, RTT], "hop {}", hop.ttl);
    }
    assert_eq!(outcome.hops[1].responders(), [addr(2)]);
    // The hops reach the observer in TTL order, then the end, once.
    let shown: Vec<u8> = recorder
        .events
        .iter()
        .filter_map(|e| match e {
            Event::Hop(h) => Some(h.ttl),
            _ => None,
        })
        .collect();
    assert_eq!(shown, [1, 2, 3]);
    assert_eq!(
        recorder.events.last(),
        Some(&Event::Done(outcome.ending)),
        "the end comes last"
    );
}

#[test]
fn probes_go_out_once_each_within_the_window() {
    let path = vec![router(1), router(2), router(3), destination()];
    let mut net = FakeNet::new(path, RTT);
    let mut recorder = Recorder::default();
    let driver = Driver::with(&mut net, 32, None, false);
    trace_on(config(10, 3), driver, &mut recorder).unwrap();
    let mut ids: Vec<ProbeId> = net.sent.iter().map(|(p, _)| p.id).collect();
    let sent = ids.len();
    ids.sort();
    ids.dedup();
    assert_eq!(ids.len(), sent, "no probe is sent twice");
    for ttl in 1..=4 {
        let queries: Vec<u8> = net
            .sent
            .iter()
            .filter(|(p, _)| p.ttl == ttl)
            .map(|(p, _)| p.query)
            .collect();
        assert_eq!(queries, [0, 1, 2], "ttl {ttl}");
    }
    // Six at once at most: the first six leave together, the rest as answers come.
    let first = net.sent[0].1;
    let at_once = net.sent.iter().filter(|(_, at)| *at - first < RTT).count();
    assert_eq!(at_once, 6);
    // Every settled hop was handed back to the network to forget.
    assert_eq!(net.forgotten, [1, 2, 3, 4]);
}

#[test]
fn a_silent_hop_is_given_up_and_the_trace_goes_on() {
    let path = vec![router(1), HopDoes::Silent, destination()];
    let mut recorder = Recorder::default();
    let started = Instant::now();
    let outcome = trace(FakeNet::new(path, RTT), config(10, 2), false, &mut recorder);
    assert_eq!(
        outcome.hops[1].probes,
        [ProbeResult::Silent, ProbeResult::Silent]
    );
    assert_eq!(rtts(&outcome.hops[2]), [RTT, RTT]);
    assert!(matches!(outcome.ending, Ending::Reached { ttl: 3, .. }));
    // Given up at the adaptive wait (a few neighbour RTTs, at least the floor), not at
    // the 400 ms maximum.
    let took = started.elapsed();
    assert!(took >= Duration::from_millis(30), "{took:?}");
    assert!(took < Duration::from_millis(400), "{took:?}");
}

#[test]
fn a_path_without_its_destination_ends_at_the_maximum_hop() {
    let path: Vec<HopDoes> = (1..=20).map(router).collect();
    let mut recorder = Recorder::default();
    let outcome = trace(FakeNet::new(path, RTT), config(4, 1), false, &mut recorder);
    assert_eq!(outcome.ending, Ending::MaxHops);
    assert_eq!(outcome.hops.len(), 4);
}

#[test]
fn an_unreachable_answer_ends_the_trace_where_it_came_from() {
    let kind = crate::packet::IcmpErrorKind::HostUnreachable;
    let path = vec![
        router(1),
        HopDoes::Answer(addr(2), Reply::Unreachable(kind)),
    ];
    let mut recorder = Recorder::default();
    let outcome = trace(FakeNet::new(path, RTT), config(10, 1), false, &mut recorder);
    assert_eq!(
        outcome.ending,
        Ending::Unreachable {
            ttl: 2,
            from: addr(2),
            kind
        }
    );
    assert_eq!(outcome.hops.len(), 2);
}

#[test]
fn a_probe_that_cannot_be_sent_says_why_in_its_hop() {
    let path = vec![router(1), HopDoes::Refuse, destination()];
    let mut recorder = Recorder::default();
    let outcome = trace(FakeNet::new(path, RTT), config(10, 1), false, &mut recorder);
    let why = crate::net::err::phrase(&Kind::NetworkUnreachable.error());
    assert_eq!(outcome.hops[1].probes, [ProbeResult::SendFailed(why)]);
    assert!(matches!(outcome.ending, Ending::Reached { ttl: 3, .. }));
}

#[test]
fn back_reports_the_hops_each_answer_came_back_over() {
    let path = vec![router(1), router(2), destination()];
    let mut recorder = Recorder::default();
    trace(FakeNet::new(path, RTT), config(10, 2), true, &mut recorder);
    let expected: Vec<(u8, u8)> = (1..=3)
        .map(|ttl| (ttl, ProbeOptions::back_hops(arrival_ttl(ttl))))
        .collect();
    assert_eq!(recorder.back, expected);
    assert_eq!(expected[2], (3, 3), "the destination is 3 hops back");
}

#[test]
fn without_back_nothing_is_reported() {
    let path = vec![router(1), destination()];
    let mut recorder = Recorder::default();
    trace(FakeNet::new(path, RTT), config(10, 1), false, &mut recorder);
    assert!(recorder.back.is_empty());
}

#[test]
fn an_observer_holding_names_back_ends_the_trace_at_its_deadline() {
    // The path is done in a few ms; the observer waits for reverse names until 300 ms.
    // The loop's longest sleep is 200 ms, so only a loop that wakes at the observer's
    // deadline flushes within a few ms of it (one that ignored it: past 400 ms).
    let path = vec![router(1), destination()];
    let deadline = Instant::now() + Duration::from_millis(300);
    let mut recorder = Recorder {
        hold_until: Some(deadline),
        ..Recorder::default()
    };
    let outcome = trace(FakeNet::new(path, RTT), config(10, 1), false, &mut recorder);
    assert!(matches!(outcome.ending, Ending::Reached { ttl: 2, .. }));
    let last = *recorder.flushes.last().unwrap();
    assert!(last >= deadline, "the trace waited for the names");
    assert!(
        last - deadline < Duration::from_millis(60),
        "woke at the deadline: {:?} late",
        last - deadline
    );
}

/// Counts rounds; stops after `stop_after` (by [`Control::Stop`]) or `stopped_after`
/// (by [`RoundObserver::stopped`]).
#[derive(Default)]
struct RoundCounter {
    rounds: Vec<(u64, usize, Ending)>,
    stop_after: Option<u64>,
    stopped_after: Option<u64>,
}

impl RoundObserver for RoundCounter {
    fn round(&mut self, round: &Round, _stats: &Stats) {
        self.rounds
            .push((round.number, round.hops.len(), round.ending));
    }
    fn tick(&mut self, _now: Instant, _stats: &Stats) -> Control {
        match self.stop_after {
            Some(n) if self.rounds.len() as u64 >= n => Control::Stop,
            _ => Control::Continue,
        }
    }
    fn stopped(&self) -> bool {
        self.stopped_after
            .is_some_and(|n| self.rounds.len() as u64 >= n)
    }
}

#[test]
fn rounds_repeat_the_trace_and_record_each() {
    let path = vec![router(1), destination()];
    let mut net = FakeNet::new(path, RTT);
    let mut counter = RoundCounter::default();
    let driver = Driver::with(&mut net, 32, None, false);
    let started = Instant::now();
    let interval = Duration::from_millis(40);
    let stats = rounds_on(config(10, 1), driver, 0, Some(3), interval, &mut counter).unwrap();
    assert_eq!(stats.rounds(), 3);
    let reached = Ending::Reached {
        ttl: 2,
        from: addr(DESTINATION),
    };
    assert_eq!(
        counter.rounds,
        [(1, 2, reached), (2, 2, reached), (3, 2, reached)]
    );
    // Three rounds, 40 ms apart: the last starts 80 ms after the first.
    assert!(started.elapsed() >= 2 * interval);
    // Each round probes both hops (the window may also have sent past the end).
    let to_the_path = net.sent.iter().filter(|(p, _)| p.ttl <= 2).count();
    assert_eq!(to_the_path, 6);
    assert_eq!(
        net.forgotten.iter().filter(|&&t| t == u8::MAX).count(),
        3 + 1
    );
}

#[test]
fn an_observer_stop_ends_endless_rounds() {
    // Either way of saying it: `tick`'s Control::Stop (keys) or `stopped` (stdout).
    let by_control = RoundCounter {
        stop_after: Some(2),
        ..RoundCounter::default()
    };
    let by_stopped = RoundCounter {
        stopped_after: Some(2),
        ..RoundCounter::default()
    };
    for mut counter in [by_control, by_stopped] {
        let path = vec![router(1), destination()];
        let driver = Driver::with(FakeNet::new(path, RTT), 32, None, false);
        let interval = Duration::from_millis(10);
        let stats = rounds_on(config(10, 1), driver, 0, None, interval, &mut counter).unwrap();
        assert_eq!(stats.rounds(), 2);
    }
}

#[test]
fn an_observer_that_says_stop_ends_the_trace_at_once() {
    // Two routers, then silence to hop 30 (400 ms per silent hop), and an observer
    // holding names back for 10 s: only a loop that asks `stopped` ends in time.
    let path = vec![router(1), router(2), HopDoes::Silent];
    let mut recorder = Recorder {
        hold_until: Some(Instant::now() + Duration::from_secs(10)),
        stop_after: Some(2),
        ..Recorder::default()
    };
    let started = Instant::now();
    let outcome = trace(FakeNet::new(path, RTT), config(30, 1), false, &mut recorder);
    assert!(
        started.elapsed() < Duration::from_millis(350),
        "{:?}",
        started.elapsed()
    );
    assert_eq!(outcome.ending, Ending::Stopped);
    let ttls: Vec<u8> = outcome.hops.iter().map(|h| h.ttl).collect();
    assert_eq!(ttls, [1, 2]);
}

/// The loop borrows a network the test keeps, to look at what was sent afterwards.
impl<N: Network> Network for &mut N {
    fn send(&mut self, probe: &Probe, data_len: usize) -> io::Result<Instant> {
        (**self).send(probe, data_len)
    }
    fn wait(&mut self, timeout: Duration) -> io::Result<Vec<Response>> {
        (**self).wait(timeout)
    }
    fn forget(&mut self, ttl: u8) {
        (**self).forget(ttl)
    }
    fn path_mtu(&self) -> Option<u32> {
        (**self).path_mtu()
    }
}
