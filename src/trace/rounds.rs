//! Rounds: the trace engine run again and again (`trace -c N`, `trace --watch`), as a
//! state machine of its own that *consumes* [`Engine`] — one engine per round, never a
//! second probing loop. The driver (`io.rs`) feeds it time and responses exactly as it
//! feeds a single trace, through the [`Machine`] trait both implement.
//!
//! # Timing
//! Round `k` starts `interval` after round `k - 1` started, or as soon as that round is
//! over when it took longer (mtr's `-i`): `-c 10 -i 0.2` takes about `9 × 0.2 s` plus the
//! last round. A round is over when its engine is (the destination answered, an
//! unreachable error, or the last TTL settled).
//!
//! # Which TTLs a round probes
//! The first round probes up to `-m`. Once the destination answered at TTL `E`, later
//! rounds stop at `E`: probes beyond it only reach the destination again, and a round
//! whose destination answer is lost would otherwise end one TTL later and look like a
//! path change. Should a *router* answer at `E` (the path got longer), the next round
//! probes up to `-m` again; should the destination answer below `E`, the engine ends
//! there by itself.
//!
//! # Identities
//! Each round's engine numbers its probes after the previous round's, within the
//! driver's id space, so a late answer to an earlier round matches no probe of the
//! current one (it is counted as foreign, and its probe as lost).
//!
//! # Stop, pause
//! [`Rounds::stop`] (Ctrl-C, `q`) drops the round in flight — half a round would count
//! its unprobed hops as neither sent nor lost but its settled ones fully — and ends.
//! [`Rounds::pause`] lets the round in flight finish and starts no other until
//! [`Rounds::resume`].

use std::collections::VecDeque;
use std::time::{Duration, Instant};

use super::engine::{Config, Ending, Engine, Event, Hop, Probe, ProbeId, Response};

/// What the driver drives: a single trace ([`Engine`]) or rounds of them ([`Rounds`]).
pub trait Machine {
    /// The next probe to send now, if any.
    fn poll_probe(&mut self) -> Option<Probe>;
    fn sent(&mut self, probe: &Probe, at: Instant);
    fn send_failed(&mut self, probe: &Probe, reason: String);
    fn on_responses(&mut self, responses: Vec<Response>);
    /// Time passes: give up probes, start rounds.
    fn advance(&mut self, now: Instant);
    /// When [`Machine::advance`] is needed next.
    fn next_wakeup(&self) -> Option<Instant>;
    /// Ctrl-C.
    fn stop(&mut self);
    fn is_finished(&self) -> bool;
}

impl Machine for Engine {
    fn poll_probe(&mut self) -> Option<Probe> {
        Engine::poll_probe(self)
    }
    fn sent(&mut self, probe: &Probe, at: Instant) {
        Engine::sent(self, probe, at)
    }
    fn send_failed(&mut self, probe: &Probe, reason: String) {
        Engine::send_failed(self, probe, reason)
    }
    fn on_responses(&mut self, responses: Vec<Response>) {
        Engine::on_responses(self, responses)
    }
    fn advance(&mut self, now: Instant) {
        Engine::advance(self, now)
    }
    fn next_wakeup(&self) -> Option<Instant> {
        Engine::next_wakeup(self)
    }
    fn stop(&mut self) {
        Engine::stop(self)
    }
    fn is_finished(&self) -> bool {
        Engine::is_finished(self)
    }
}

/// What the rounds are asked for.
#[derive(Debug, Clone)]
pub struct RoundsConfig {
    /// Every round's engine (its `seq_base` is the first round's).
    pub engine: Config,
    /// `None`: until stopped (`--watch`).
    pub rounds: Option<u64>,
    /// Between round starts.
    pub interval: Duration,
    /// Which flow these rounds are (0 without `--flows`).
    pub flow: u16,
}

/// One finished round.
#[derive(Debug, Clone, PartialEq)]
pub struct Round {
    /// 1-based.
    pub number: u64,
    pub flow: u16,
    pub started: Instant,
    pub ended: Instant,
    /// Every hop probed, in TTL order.
    pub hops: Vec<Hop>,
    pub ending: Ending,
}

/// Something for the driver to show.
#[derive(Debug, Clone, PartialEq)]
pub enum RoundEvent {
    /// A hop of the round in flight is settled (hop order).
    Hop { round: u64, flow: u16, hop: Hop },
    /// A round is over.
    Round(Round),
    /// No more rounds: the count is reached, or stopped.
    Done,
}

/// Probe ids stay within 1..=ID_SPAN + 255 × 10 (UDP checksums cannot be 0 or 0xffff).
const ID_SPAN: u16 = 0xf000;

#[derive(Debug)]
pub struct Rounds {
    config: RoundsConfig,
    engine: Option<Engine>,
    /// Rounds started so far.
    started: u64,
    round_start: Instant,
    next_start: Option<Instant>,
    hops: Vec<Hop>,
    /// The TTL the destination answered at (later rounds stop there).
    dest_ttl: Option<u8>,
    seq_base: u16,
    ids_used: u16,
    paused: bool,
    done: bool,
    events: VecDeque<RoundEvent>,
}

impl Rounds {
    pub fn new(config: RoundsConfig) -> Rounds {
        let seq_base = config.engine.seq_base;
        let done = config.rounds == Some(0);
        let mut events = VecDeque::new();
        if done {
            events.push_back(RoundEvent::Done);
        }
        Rounds {
            config,
            engine: None,
            started: 0,
            round_start: Instant::now(),
            next_start: None,
            hops: Vec::new(),
            dest_ttl: None,
            seq_base,
            ids_used: 0,
            paused: false,
            done,
            events,
        }
    }

    pub fn config(&self) -> &RoundsConfig {
        &self.config
    }

    /// Rounds started so far (the one in flight included).
    pub fn started(&self) -> u64 {
        self.started
    }

    /// Starts no new round until [`Rounds::resume`]; the round in flight finishes.
    pub fn pause(&mut self) {
        self.paused = true;
    }

    /// The next round starts now if it is due.
    pub fn resume(&mut self) {
        self.paused = false;
    }

    pub fn is_paused(&self) -> bool {
        self.paused
    }

    pub fn poll_event(&mut self) -> Option<RoundEvent> {
        self.events.pop_front()
    }

    fn start_round(&mut self, now: Instant) {
        let mut config = self.config.engine.clone();
        if let Some(e) = self.dest_ttl {
            config.max_ttl = e.max(config.first_ttl);
        }
        self.seq_base = 1 + (self.seq_base - 1 + self.ids_used) % ID_SPAN;
        config.seq_base = self.seq_base;
        self.ids_used = 0;
        self.engine = Some(Engine::new(config));
        self.started += 1;
        self.round_start = now;
        self.hops.clear();
    }

    /// Moves the engine's events out; at its end, the round's.
    fn collect(&mut self, now: Instant) {
        let Some(engine) = &mut self.engine else {
            return;
        };
        let round = self.started;
        let mut ending = None;
        while let Some(event) = engine.poll_event() {
            match event {
                Event::Hop(hop) => {
                    self.hops.push(hop.clone());
                    self.events.push_back(RoundEvent::Hop {
                        round,
                        flow: self.config.flow,
                        hop,
                    });
                }
                Event::Late { .. } => {}
                Event::Done(e) => ending = Some(e),
            }
        }
        let Some(ending) = ending else {
            return;
        };
        self.engine = None;
        let cap = self.dest_ttl;
        match ending {
            Ending::Reached { ttl, .. } => self.dest_ttl = Some(ttl),
            Ending::MaxHops => {
                // A router answering at the cap: the path got longer.
                let longer = cap.is_some_and(|cap| {
                    self.hops.iter().any(|h| {
                        h.ttl == cap && !h.responders().is_empty() && h.terminal().is_none()
                    })
                });
                if longer {
                    self.dest_ttl = None;
                }
            }
            _ => {}
        }
        self.events.push_back(RoundEvent::Round(Round {
            number: round,
            flow: self.config.flow,
            started: self.round_start,
            ended: now,
            hops: std::mem::take(&mut self.hops),
            ending,
        }));
        if self.config.rounds.is_some_and(|n| self.started >= n) {
            self.done = true;
            self.events.push_back(RoundEvent::Done);
        } else {
            self.next_start = Some((self.round_start + self.config.interval).max(now));
        }
    }
}

impl Machine for Rounds {
    fn poll_probe(&mut self) -> Option<Probe> {
        let probe = self.engine.as_mut()?.poll_probe()?;
        self.ids_used += 1;
        Some(probe)
    }

    fn sent(&mut self, probe: &Probe, at: Instant) {
        if let Some(engine) = &mut self.engine {
            engine.sent(probe, at);
        }
    }

    fn send_failed(&mut self, probe: &Probe, reason: String) {
        if let Some(engine) = &mut self.engine {
            engine.send_failed(probe, reason);
        }
    }

    fn on_responses(&mut self, responses: Vec<Response>) {
        if let Some(engine) = &mut self.engine {
            engine.on_responses(responses);
        }
    }

    fn advance(&mut self, now: Instant) {
        if self.done {
            return;
        }
        if let Some(engine) = &mut self.engine {
            engine.advance(now);
            self.collect(now);
        }
        if self.engine.is_none()
            && !self.done
            && !self.paused
            && self.next_start.is_none_or(|at| now >= at)
        {
            self.start_round(now);
        }
    }

    fn next_wakeup(&self) -> Option<Instant> {
        if self.done {
            return None;
        }
        match &self.engine {
            // A round just started: its first probes are due now.
            Some(_) if self.ids_used == 0 => Some(self.round_start),
            Some(engine) => engine.next_wakeup(),
            None if self.paused => None,
            None => Some(self.next_start.unwrap_or(self.round_start)),
        }
    }

    fn stop(&mut self) {
        if !self.done {
            self.engine = None;
            self.done = true;
            self.events.push_back(RoundEvent::Done);
        }
    }

    fn is_finished(&self) -> bool {
        self.done && self.events.is_empty()
    }
}

/// Which TTL a probe id was sent with, in the round in flight (the driver's TCP sockets).
impl Rounds {
    pub fn probe_ttl(&self, id: ProbeId) -> Option<u8> {
        self.engine.as_ref()?.probe_ttl(id)
    }
}

#[cfg(test)]
#[path = "rounds_sim.rs"]
mod sim;
