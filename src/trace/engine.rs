//! The trace engine: which probe to send next, what a response means, when a hop is
//! settled and when the trace is over — with no sockets and no clock.
//!
//! The driver (`io.rs`) feeds it the time and the responses it parsed; the engine answers
//! with probes to send and hops to print, in hop order. `sim.rs` runs it against
//! simulated paths in virtual time.
//!
//! # Window
//! Probes go out in (TTL, query) order, as many at once as [`Config::window`] allows;
//! every settled probe frees a slot. Once a terminal answer (the destination, or an
//! unreachable error) arrives at TTL `E`, probes above `E` are never sent and those in
//! flight are forgotten.
//!
//! # Adaptive timeout
//! A probe at TTL `h` that has not been answered is given up (`*`) at
//! `sent + wait(h)`, where, with `R` the largest RTT of an answer:
//!
//! 1. if hops `h ..= h+2` (this hop and the next two) have answers: `3 × R` over them;
//! 2. else if some hop above has answered: `3 × R` of the nearest such hop;
//! 3. else if any hop at all has answered (the silent tail of a path whose destination
//!    drops probes): `10 × R` over every hop;
//! 4. else: the `-w` maximum.
//!
//! always clamped to `[floor, -w]`. A router answers no later than a farther router or
//! the destination does, give or take its ICMP slow path, so three times its neighbours'
//! RTT is generous; the rule is traceroute's `-w MAX,HERE,NEAR` with HERE and NEAR
//! merged and applied to every probe in flight, not one hop at a time. The wait is
//! re-evaluated as answers arrive, and an answer that arrives after its probe was given
//! up still counts as long as its hop has not been printed.

use std::collections::HashMap;
use std::net::IpAddr;
use std::time::{Duration, Instant};

use super::extensions::{ExtObject, Sent};
use crate::packet::extensions::MplsLabel;
use crate::packet::IcmpErrorKind;

/// Hops `h ..= h + NEAR_SPAN` are "neighbours" of hop `h` in the adaptive rule.
pub const NEAR_SPAN: u8 = 2;
/// Multiplier of a neighbour's RTT.
pub const NEAR_FACTOR: u32 = 3;
/// Multiplier of the largest RTT when nothing at or above the hop answered.
pub const FAR_FACTOR: u32 = 10;

/// What the run asks for (validated by `Plan`).
#[derive(Debug, Clone)]
pub struct Config {
    pub first_ttl: u8,
    pub max_ttl: u8,
    /// Queries per hop (`-q`), 1..=10.
    pub queries: u8,
    /// The longest any probe waits (`-w`).
    pub max_wait: Duration,
    /// The shortest adaptive wait.
    pub floor: Duration,
    /// Probes in flight at once.
    pub window: usize,
    /// First wire sequence number (probe identities are `seq_base + n`).
    pub seq_base: u16,
}

/// A probe's identity on the wire (ICMP sequence, UDP checksum, payload, or the TCP
/// socket it was sent from — the driver maps it back).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct ProbeId(pub u16);

/// A probe the driver must send now.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Probe {
    pub id: ProbeId,
    pub ttl: u8,
    /// 0-based query number within the hop.
    pub query: u8,
}

/// What a response says about the probe's fate.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Reply {
    /// A router on the way: TTL / hop limit exceeded.
    TimeExceeded,
    /// The destination answered (echo reply, UDP port unreachable, TCP SYN-ACK or RST).
    Reached,
    /// An ICMP error that ends the trace: unreachable, prohibited, ...
    Unreachable(IcmpErrorKind),
}

impl Reply {
    fn is_terminal(self) -> bool {
        !matches!(self, Reply::TimeExceeded)
    }

    /// traceroute's annotation: `!H`, `!N`, `!P`, `!X`, ... (None: nothing to flag).
    pub fn annotation(self) -> Option<String> {
        use IcmpErrorKind::*;
        let Reply::Unreachable(kind) = self else {
            return None;
        };
        Some(
            match kind {
                NetUnreachable | NetUnknown | SourceHostIsolated | NetUnreachableForTos
                | RejectRoute => "!N",
                HostUnreachable | HostUnknown | HostUnreachableForTos => "!H",
                ProtocolUnreachable => "!P",
                PortUnreachable => return None,
                FragmentationNeeded | PacketTooBig => "!F",
                SourceRouteFailed | BeyondScope | SourcePolicyFailed => "!S",
                NetProhibited | HostProhibited => "!A",
                AdminProhibited => "!X",
                HostPrecedenceViolation => "!V",
                PrecedenceCutoff => "!C",
                Unreachable(code) => return Some(format!("!<{code}>")),
                TimeExceeded | ReassemblyTimeExceeded | ParameterProblem => "!?",
            }
            .to_string(),
        )
    }

    /// Stable snake_case name (JSON `kind`).
    pub fn kind_str(self) -> &'static str {
        match self {
            Reply::TimeExceeded => "time_exceeded",
            Reply::Reached => "reached",
            Reply::Unreachable(kind) => kind.as_str(),
        }
    }
}

/// A response the driver parsed and matched to one of our probes.
#[derive(Debug, Clone, PartialEq)]
pub struct Response {
    pub probe: ProbeId,
    pub from: IpAddr,
    pub reply: Reply,
    /// When the kernel received it.
    pub at: Instant,
    /// RFC 4950 label stack (raw sockets only).
    pub mpls: Vec<MplsLabel>,
    /// The other ICMP extension objects (raw sockets only).
    pub objects: Vec<ExtObject>,
    /// What the answer's packet itself said (arrival TTL, size).
    pub wire: Wire,
}

/// What the driver saw of an answer's packet, beside what it means: for `--back`, the
/// JSON document and the Atlas result. Each is None (false) where the socket that read
/// the answer does not tell (module docs of `io.rs`).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub struct Wire {
    /// The TTL / hop limit the answer arrived with.
    pub ttl: Option<u8>,
    /// The answer's size as RIPE Atlas counts it: the bytes after the ICMP header (the
    /// quoted probe and any extensions; an echo reply's data), or the TCP segment's.
    pub size: Option<u16>,
    /// The ICMP message carried the RFC 4884 length field (nonzero).
    pub rfc4884: bool,
}

impl Wire {
    /// Fills what `self` lacks from another copy of the same answer.
    fn merge(&mut self, other: Wire) {
        self.ttl = self.ttl.or(other.ttl);
        if self.size.is_none() {
            self.size = other.size;
            self.rfc4884 = other.rfc4884;
        }
    }
}

/// The fate of one probe, as printed.
#[derive(Debug, Clone, PartialEq)]
pub enum ProbeResult {
    Answered {
        from: IpAddr,
        rtt: Duration,
        reply: Reply,
        mpls: Vec<MplsLabel>,
        objects: Vec<ExtObject>,
        wire: Wire,
    },
    /// No answer within the adaptive wait: `*`.
    Silent,
    /// The probe could not be sent.
    SendFailed(String),
}

impl ProbeResult {
    /// The answer's ICMP extensions (none for a probe without an answer).
    pub fn sent(&self) -> Sent {
        match self {
            ProbeResult::Answered { mpls, objects, .. } => Sent {
                mpls: mpls.clone(),
                objects: objects.clone(),
            },
            _ => Sent::default(),
        }
    }
}

/// A settled hop, ready to print.
#[derive(Debug, Clone, PartialEq)]
pub struct Hop {
    pub ttl: u8,
    pub probes: Vec<ProbeResult>,
}

impl Hop {
    /// The distinct addresses that answered, in order of first appearance.
    pub fn responders(&self) -> Vec<IpAddr> {
        let mut out: Vec<IpAddr> = Vec::new();
        for p in &self.probes {
            if let ProbeResult::Answered { from, .. } = p {
                if !out.contains(from) {
                    out.push(*from);
                }
            }
        }
        out
    }

    /// The terminal answer of this hop, if any (reached, or an unreachable error).
    pub fn terminal(&self) -> Option<(IpAddr, Reply)> {
        let terminal = |p: &ProbeResult| match p {
            ProbeResult::Answered { from, reply, .. } if reply.is_terminal() => {
                Some((*from, *reply))
            }
            _ => None,
        };
        // Prefer "reached" over an error when queries disagree.
        self.probes
            .iter()
            .filter_map(terminal)
            .find(|(_, r)| *r == Reply::Reached)
            .or_else(|| self.probes.iter().find_map(terminal))
    }
}

/// Why the trace ended.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Ending {
    /// The destination answered at this TTL.
    Reached { ttl: u8, from: IpAddr },
    /// An unreachable error at this TTL ended it.
    Unreachable {
        ttl: u8,
        from: IpAddr,
        kind: IcmpErrorKind,
    },
    /// Every hop up to the maximum was probed without a terminal answer.
    MaxHops,
    /// Stopped (Ctrl-C).
    Stopped,
}

/// Something for the driver to show.
#[derive(Debug, Clone, PartialEq)]
pub enum Event {
    /// The next hop in order is settled.
    Hop(Hop),
    /// An answer for a hop already printed (counted, not shown in its row).
    Late {
        ttl: u8,
        from: IpAddr,
        rtt: Duration,
    },
    /// The trace is over; no more events follow.
    Done(Ending),
}

#[derive(Debug, Clone, PartialEq)]
enum Slot {
    Pending,
    Sent(Instant),
    Answered {
        sent: Instant,
        from: IpAddr,
        rtt: Duration,
        reply: Reply,
        mpls: Vec<MplsLabel>,
        objects: Vec<ExtObject>,
        wire: Wire,
    },
    /// Given up at the adaptive deadline (an answer may still revive it until printed).
    Silent(Instant),
    SendFailed(String),
    /// Above the end of the path: never sent, or its answer no longer matters.
    Cancelled,
}

impl Slot {
    fn settled(&self) -> bool {
        !matches!(self, Slot::Pending | Slot::Sent(_))
    }
}

/// Counters for tests and diagnostics.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct Counters {
    pub sent: u64,
    pub answered: u64,
    /// Responses that matched no probe of ours (other processes, stale, forged).
    pub foreign: u64,
    pub duplicates: u64,
    pub late: u64,
}

/// The engine.
#[derive(Debug)]
pub struct Engine {
    config: Config,
    /// `slots[ttl - first][query]`.
    slots: Vec<Vec<Slot>>,
    ids: HashMap<ProbeId, (u8, u8)>,
    next_seq: u16,
    /// Lowest TTL with a terminal answer.
    end: Option<u8>,
    /// Next TTL to emit.
    next_emit: u8,
    events: Vec<Event>,
    done: bool,
    counters: Counters,
}

impl Engine {
    pub fn new(config: Config) -> Engine {
        assert!(config.first_ttl >= 1 && config.first_ttl <= config.max_ttl);
        assert!(config.queries >= 1 && config.window >= 1);
        let hops = usize::from(config.max_ttl - config.first_ttl) + 1;
        let slots = vec![vec![Slot::Pending; usize::from(config.queries)]; hops];
        Engine {
            next_seq: config.seq_base,
            next_emit: config.first_ttl,
            config,
            slots,
            ids: HashMap::new(),
            end: None,
            events: Vec::new(),
            done: false,
            counters: Counters::default(),
        }
    }

    pub fn config(&self) -> &Config {
        &self.config
    }

    pub fn counters(&self) -> Counters {
        self.counters
    }

    fn index(&self, ttl: u8) -> usize {
        usize::from(ttl - self.config.first_ttl)
    }

    fn last_ttl(&self) -> u8 {
        self.end.unwrap_or(self.config.max_ttl)
    }

    fn in_flight(&self) -> usize {
        self.slots
            .iter()
            .flatten()
            .filter(|s| matches!(s, Slot::Sent(_)))
            .count()
    }

    /// The next probe to send now, if the window has room. Call [`Engine::sent`] (or
    /// [`Engine::send_failed`]) for it before asking again.
    pub fn poll_probe(&mut self) -> Option<Probe> {
        if self.done || self.in_flight() >= self.config.window {
            return None;
        }
        let last = self.last_ttl();
        for ttl in self.config.first_ttl..=last {
            let i = self.index(ttl);
            if let Some(query) = self.slots[i].iter().position(|s| *s == Slot::Pending) {
                let id = ProbeId(self.next_seq);
                self.next_seq = self.next_seq.wrapping_add(1);
                self.ids.insert(id, (ttl, query as u8));
                return Some(Probe {
                    id,
                    ttl,
                    query: query as u8,
                });
            }
        }
        None
    }

    /// The probe left at `at`.
    pub fn sent(&mut self, probe: &Probe, at: Instant) {
        let i = self.index(probe.ttl);
        self.slots[i][usize::from(probe.query)] = Slot::Sent(at);
        self.counters.sent += 1;
    }

    pub fn send_failed(&mut self, probe: &Probe, reason: String) {
        let i = self.index(probe.ttl);
        self.slots[i][usize::from(probe.query)] = Slot::SendFailed(reason);
        self.emit_ready();
    }

    /// Which TTL a probe was sent with (the driver needs it for TCP sockets).
    pub fn probe_ttl(&self, id: ProbeId) -> Option<u8> {
        self.ids.get(&id).map(|(ttl, _)| *ttl)
    }

    /// Feeds one response.
    pub fn on_response(&mut self, response: Response) {
        self.record(response);
        self.emit_ready();
    }

    /// Feeds every response read in one wake-up, then emits what is settled. With a raw
    /// ICMP listener beside an error queue, one answer comes twice, and only the raw copy
    /// carries MPLS labels: both copies must be recorded before the hop they complete is
    /// emitted, or the row goes out with the first copy and without the labels.
    pub fn on_responses(&mut self, responses: impl IntoIterator<Item = Response>) {
        for response in responses {
            self.record(response);
        }
        self.emit_ready();
    }

    /// Records one response without emitting anything.
    fn record(&mut self, response: Response) {
        let Some(&(ttl, query)) = self.ids.get(&response.probe) else {
            self.counters.foreign += 1;
            return;
        };
        let i = self.index(ttl);
        let slot = &mut self.slots[i][usize::from(query)];
        let sent = match slot {
            Slot::Sent(sent) | Slot::Silent(sent) => *sent,
            Slot::Answered {
                from,
                mpls,
                objects,
                wire,
                ..
            } => {
                // Two copies of one answer: a raw socket and the error queue both saw
                // it. Keep the first, but take the labels (and the size) only the raw
                // copy has.
                if *from == response.from {
                    wire.merge(response.wire);
                }
                let extensions = !response.mpls.is_empty() || !response.objects.is_empty();
                if *from == response.from && mpls.is_empty() && objects.is_empty() && extensions {
                    *mpls = response.mpls;
                    *objects = response.objects;
                } else {
                    self.counters.duplicates += 1;
                }
                return;
            }
            Slot::Pending | Slot::SendFailed(_) | Slot::Cancelled => {
                self.counters.foreign += 1;
                return;
            }
        };
        let rtt = response.at.saturating_duration_since(sent);
        if ttl < self.next_emit {
            // Its row is out already.
            self.counters.late += 1;
            if self.done {
                return;
            }
            self.events.push(Event::Late {
                ttl,
                from: response.from,
                rtt,
            });
            return;
        }
        *slot = Slot::Answered {
            sent,
            from: response.from,
            rtt,
            reply: response.reply,
            mpls: response.mpls,
            objects: response.objects,
            wire: response.wire,
        };
        self.counters.answered += 1;
        if response.reply.is_terminal() && self.end.is_none_or(|end| ttl < end) {
            self.end = Some(ttl);
            for hop in &mut self.slots[i + 1..] {
                for slot in hop.iter_mut() {
                    if matches!(slot, Slot::Pending | Slot::Sent(_)) {
                        *slot = Slot::Cancelled;
                    }
                }
            }
        }
    }

    /// The largest RTT among answers at hops in `range`.
    fn max_rtt(&self, from_ttl: u8, to_ttl: u8) -> Option<Duration> {
        let (lo, hi) = (
            from_ttl.max(self.config.first_ttl),
            to_ttl.min(self.config.max_ttl),
        );
        if lo > hi {
            return None;
        }
        self.slots[self.index(lo)..=self.index(hi)]
            .iter()
            .flatten()
            .filter_map(|s| match s {
                Slot::Answered { rtt, .. } => Some(*rtt),
                _ => None,
            })
            .max()
    }

    /// How long a probe at `ttl` waits for its answer (see the module docs).
    pub fn wait_for(&self, ttl: u8) -> Duration {
        let near = self.max_rtt(ttl, ttl.saturating_add(NEAR_SPAN));
        let wait = if let Some(r) = near {
            r * NEAR_FACTOR
        } else if let Some(r) = (ttl.saturating_add(NEAR_SPAN + 1)..=self.config.max_ttl)
            .find_map(|t| self.max_rtt(t, t))
        {
            r * NEAR_FACTOR
        } else if let Some(r) = self.max_rtt(self.config.first_ttl, self.config.max_ttl) {
            r * FAR_FACTOR
        } else {
            self.config.max_wait
        };
        wait.clamp(
            self.config.floor.min(self.config.max_wait),
            self.config.max_wait,
        )
    }

    /// Gives up probes whose wait is over and emits the hops that are settled.
    pub fn advance(&mut self, now: Instant) {
        let last = self.last_ttl();
        for ttl in self.config.first_ttl..=last {
            let wait = self.wait_for(ttl);
            let i = self.index(ttl);
            for slot in &mut self.slots[i] {
                if let Slot::Sent(sent) = slot {
                    if now >= *sent + wait {
                        *slot = Slot::Silent(*sent);
                    }
                }
            }
        }
        self.emit_ready();
    }

    fn emit_ready(&mut self) {
        while !self.done {
            let last = self.last_ttl();
            let ttl = self.next_emit;
            let i = self.index(ttl);
            if !self.slots[i].iter().all(Slot::settled) {
                return;
            }
            let probes = self.slots[i]
                .iter()
                .map(|s| match s {
                    Slot::Answered {
                        from,
                        rtt,
                        reply,
                        mpls,
                        objects,
                        wire,
                        ..
                    } => ProbeResult::Answered {
                        from: *from,
                        rtt: *rtt,
                        reply: *reply,
                        mpls: mpls.clone(),
                        objects: objects.clone(),
                        wire: *wire,
                    },
                    Slot::SendFailed(why) => ProbeResult::SendFailed(why.clone()),
                    _ => ProbeResult::Silent,
                })
                .collect();
            let hop = Hop { ttl, probes };
            let terminal = hop.terminal();
            self.events.push(Event::Hop(hop));
            if ttl >= last {
                self.done = true;
                let ending = match terminal {
                    Some((from, Reply::Reached)) => Ending::Reached { ttl, from },
                    Some((from, Reply::Unreachable(kind))) => {
                        Ending::Unreachable { ttl, from, kind }
                    }
                    _ => Ending::MaxHops,
                };
                self.events.push(Event::Done(ending));
                return;
            }
            self.next_emit = ttl + 1;
        }
    }

    /// Ctrl-C: the hops settled so far have been emitted; stop.
    pub fn stop(&mut self) {
        if !self.done {
            self.done = true;
            self.events.push(Event::Done(Ending::Stopped));
        }
    }

    pub fn poll_event(&mut self) -> Option<Event> {
        if self.events.is_empty() {
            None
        } else {
            Some(self.events.remove(0))
        }
    }

    pub fn is_finished(&self) -> bool {
        self.done && self.events.is_empty()
    }

    /// When the engine next needs [`Engine::advance`]: the earliest deadline of a probe
    /// in flight.
    pub fn next_wakeup(&self) -> Option<Instant> {
        if self.done {
            return None;
        }
        let last = self.last_ttl();
        (self.config.first_ttl..=last)
            .flat_map(|ttl| {
                let wait = self.wait_for(ttl);
                self.slots[self.index(ttl)]
                    .iter()
                    .filter_map(move |s| match s {
                        Slot::Sent(sent) => Some(*sent + wait),
                        _ => None,
                    })
            })
            .min()
    }
}

#[cfg(test)]
#[path = "sim.rs"]
mod sim;
