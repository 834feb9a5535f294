//! Per-hop statistics over many rounds of a trace (`trace -c N`, `trace --watch`), and
//! the verdict that explains loss: does a hop's loss carry on to every later hop (loss in
//! forwarding, at or before that hop), or stop there (the router limits its own replies)?
//!
//! Pure and clock-free: [`Stats::record`] is fed finished [`Round`]s (from
//! `rounds.rs`), [`Stats::snapshot`] computes what a report, a stream line or a live
//! view shows. Memory is bounded however long the run: running sums for the RTT and
//! jitter figures (Welford's variance), a ring of the last [`Stats::history_len`] probes
//! per hop for percentiles and sparklines, at most [`MAX_RESPONDERS`] addresses per hop
//! and the last [`MAX_EVENTS`] path events. Each kept address also keeps the ICMP
//! extensions of its latest answer (bounded by the packet they came in): what mtr shows.
//!
//! # Loss explained
//! With `L(h)` the loss seen at hop `h` (probes without an answer), the loss carried on
//! from `h` is `F(h) = min L(k)` over `h` and every later hop that was probed: a probe
//! lost in forwarding at or before `h` is lost for every later hop too, so no later hop
//! can lose (much) less than what is lost on the way to `h`. Then
//!
//! - `forwarding_percent` is `F(h)`: loss that every later hop and the destination share;
//! - `replies_only_percent` is `L(h) - F(h)`: loss that stops at this hop, which a router
//!   causes by rate-limiting or deprioritising its own ICMP — harmless for traffic
//!   through it (the usual misreading of mtr's Loss% column);
//! - `loss_kind` is `none`, `forwarding`, `replies_only` or `both`, whichever parts are
//!   real. A forwarding part is real when it is above zero (every later hop lost probes
//!   too). A replies-only part is real when the later hops lost nothing, or when it
//!   stands [`SIGNIFICANCE`] standard errors above the loss of the later hop that
//!   carries `F(h)` (two-proportion z-test): `F(h)` is a minimum over noisy estimates,
//!   so a small difference is chance, not a router's policy.
//!
//! The report names the hop where real loss begins: the first hop whose forwarding part
//! is above zero. The last hop probed has no later hop to compare with: its loss counts
//! as forwarding (a destination limiting its own replies cannot be told apart).
//!
//! # Jitter
//! Between consecutive answers at a hop (in probe order, across rounds): the last and
//! the mean absolute RTT difference, its maximum, and RFC 3550's interarrival estimate
//! `J += (|D| - J) / 16` (section 6.4.1; for round trips `D` is the RTT difference).
//!
//! # Path events
//! A hop whose answers come from an address it never answered from before (after its
//! first round with an answer), and a destination that answers at another TTL, are
//! [`PathEvent`]s with the round and the time since the start. Addresses that alternate
//! (a load balancer, or `--flows`) raise one event each, the first time, not one per
//! round. A destination TTL learnt in a round whose previous hop was silent is only
//! provisional (its real TTL may have lost its answer): a later correction is no event.

use std::collections::VecDeque;
use std::net::IpAddr;
use std::time::{Duration, Instant};

use super::asn::AsInfo;
use super::engine::{Ending, ProbeResult};
use super::extensions::Sent;
use super::rounds::Round;

/// Probes kept per hop for percentiles and history (a bit over 8 minutes at 1 s).
pub const DEFAULT_HISTORY: usize = 512;
/// Distinct addresses kept per hop; answers from more are counted as `other`.
pub const MAX_RESPONDERS: usize = 16;
/// Path events kept (the total is counted).
pub const MAX_EVENTS: usize = 256;
/// z-score a replies-only excess must reach (see the module docs).
pub const SIGNIFICANCE: f64 = 3.0;

/// One probe of a hop's history.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Sample {
    /// The round it belongs to (1-based).
    pub round: u64,
    /// `None`: no answer.
    pub rtt: Option<Duration>,
    pub from: Option<IpAddr>,
}

/// What kind of loss a hop shows (see the module docs).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum LossKind {
    None,
    /// Carried on to every later hop: lost in forwarding at or before this hop.
    Forwarding,
    /// Stops at this hop: the router drops or limits its own replies.
    RepliesOnly,
    Both,
}

impl LossKind {
    /// Stable snake_case name (JSON `loss_kind`).
    pub fn as_str(self) -> &'static str {
        match self {
            LossKind::None => "none",
            LossKind::Forwarding => "forwarding",
            LossKind::RepliesOnly => "replies_only",
            LossKind::Both => "both",
        }
    }
}

/// A change of the path during the run.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum PathChange {
    /// A hop answered from an address it had not answered from before.
    NewResponder {
        ttl: u8,
        address: IpAddr,
        /// The address it answered from last before this one.
        previous: Option<IpAddr>,
    },
    /// The destination answered at another TTL.
    DestinationMoved { from_ttl: u8, to_ttl: u8 },
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct PathEvent {
    pub round: u64,
    /// Since the start of the run (the first round's start).
    pub at: Duration,
    pub change: PathChange,
}

impl PathEvent {
    /// One line for people.
    pub fn describe(&self) -> String {
        match &self.change {
            PathChange::NewResponder {
                ttl,
                address,
                previous: Some(prev),
            } => format!("hop {ttl} now answers from {address} (was {prev})"),
            PathChange::NewResponder { ttl, address, .. } => {
                format!("hop {ttl} now answers from {address}")
            }
            PathChange::DestinationMoved { from_ttl, to_ttl } => {
                format!("the destination moved from hop {from_ttl} to hop {to_ttl}")
            }
        }
    }

    /// Stable snake_case name (JSON `kind`).
    pub fn kind_str(&self) -> &'static str {
        match self.change {
            PathChange::NewResponder { .. } => "new_responder",
            PathChange::DestinationMoved { .. } => "destination_moved",
        }
    }
}

/// Running figures of one hop.
#[derive(Debug, Clone)]
struct HopStats {
    ttl: u8,
    sent: u64,
    received: u64,
    send_failed: u64,
    /// Address, answers, and the extensions of its latest answer.
    responders: Vec<(IpAddr, u64, Sent)>,
    other_responders: u64,
    last_from: Option<IpAddr>,
    last: Option<Duration>,
    best: Option<Duration>,
    worst: Option<Duration>,
    /// Welford: mean and sum of squared differences, in seconds.
    mean: f64,
    m2: f64,
    jitter_last: Option<Duration>,
    jitter_sum: f64,
    jitter_n: u64,
    jitter_max: Duration,
    /// RFC 3550 interarrival jitter, seconds.
    interarrival: f64,
    history: VecDeque<Sample>,
}

impl HopStats {
    fn new(ttl: u8) -> HopStats {
        HopStats {
            ttl,
            sent: 0,
            received: 0,
            send_failed: 0,
            responders: Vec::new(),
            other_responders: 0,
            last_from: None,
            last: None,
            best: None,
            worst: None,
            mean: 0.0,
            m2: 0.0,
            jitter_last: None,
            jitter_sum: 0.0,
            jitter_n: 0,
            jitter_max: Duration::ZERO,
            interarrival: 0.0,
            history: VecDeque::new(),
        }
    }

    fn loss(&self) -> f64 {
        if self.sent == 0 {
            0.0
        } else {
            (self.sent - self.received) as f64 / self.sent as f64
        }
    }

    fn push(&mut self, sample: Sample, cap: usize) {
        if self.history.len() >= cap {
            self.history.pop_front();
        }
        self.history.push_back(sample);
    }

    /// Counts an answer from `from` that carried `sent` (it replaces what the address
    /// sent before); true if the address is new at this hop.
    fn answered_by(&mut self, from: IpAddr, sent: Sent) -> bool {
        if let Some(entry) = self.responders.iter_mut().find(|(a, ..)| *a == from) {
            entry.1 += 1;
            entry.2 = sent;
            return false;
        }
        if self.responders.len() < MAX_RESPONDERS {
            self.responders.push((from, 1, sent));
        } else {
            self.other_responders += 1;
        }
        true
    }

    fn rtt(&mut self, rtt: Duration) {
        let n = self.received as f64; // already counts this answer
        let x = rtt.as_secs_f64();
        let delta = x - self.mean;
        self.mean += delta / n;
        self.m2 += delta * (x - self.mean);
        if let Some(prev) = self.last {
            let d = rtt.abs_diff(prev);
            self.jitter_last = Some(d);
            self.jitter_sum += d.as_secs_f64();
            self.jitter_n += 1;
            self.jitter_max = self.jitter_max.max(d);
            self.interarrival += (d.as_secs_f64() - self.interarrival) / 16.0;
        }
        self.last = Some(rtt);
        self.best = Some(self.best.map_or(rtt, |b| b.min(rtt)));
        self.worst = Some(self.worst.map_or(rtt, |w| w.max(rtt)));
    }
}

/// Statistics of one flow over the rounds fed so far.
#[derive(Debug, Clone)]
pub struct Stats {
    start: Option<Instant>,
    history_len: usize,
    rounds: u64,
    /// By TTL, ascending.
    hops: Vec<HopStats>,
    /// The TTL the destination answered at last, and whether that is provisional.
    destination: Option<(u8, bool)>,
    /// The round that ended last, and how.
    last_ending: Option<Ending>,
    events: VecDeque<PathEvent>,
    events_total: u64,
}

impl Default for Stats {
    fn default() -> Stats {
        Stats::new(DEFAULT_HISTORY)
    }
}

impl Stats {
    /// Keeps the last `history_len` probes of every hop (at least 1).
    pub fn new(history_len: usize) -> Stats {
        Stats {
            start: None,
            history_len: history_len.max(1),
            rounds: 0,
            hops: Vec::new(),
            destination: None,
            last_ending: None,
            events: VecDeque::new(),
            events_total: 0,
        }
    }

    pub fn history_len(&self) -> usize {
        self.history_len
    }

    /// Rounds recorded.
    pub fn rounds(&self) -> u64 {
        self.rounds
    }

    /// Forgets every figure and event (a live view's reset); the history length stays.
    pub fn reset(&mut self) {
        *self = Stats::new(self.history_len);
    }

    /// The path events kept (the last [`MAX_EVENTS`]), oldest first.
    pub fn events(&self) -> impl Iterator<Item = &PathEvent> {
        self.events.iter()
    }

    /// Every path event so far, including those no longer kept.
    pub fn events_total(&self) -> u64 {
        self.events_total
    }

    /// The TTL the destination answered at in the latest round that reached it.
    pub fn destination_ttl(&self) -> Option<u8> {
        self.destination.map(|(ttl, _)| ttl)
    }

    fn hop_mut(&mut self, ttl: u8) -> &mut HopStats {
        let i = match self.hops.binary_search_by_key(&ttl, |h| h.ttl) {
            Ok(i) => i,
            Err(i) => {
                self.hops.insert(i, HopStats::new(ttl));
                i
            }
        };
        &mut self.hops[i]
    }

    fn event(&mut self, round: &Round, change: PathChange) {
        let at = round
            .started
            .saturating_duration_since(self.start.unwrap_or(round.started));
        if self.events.len() >= MAX_EVENTS {
            self.events.pop_front();
        }
        self.events.push_back(PathEvent {
            round: round.number,
            at,
            change,
        });
        self.events_total += 1;
    }

    /// Adds a finished round. Rounds of one flow only (see `Multipath` for several).
    pub fn record(&mut self, round: &Round) {
        self.start.get_or_insert(round.started);
        self.rounds += 1;
        let cap = self.history_len;
        for hop in &round.hops {
            let mut new_addrs = Vec::new();
            let stats = self.hop_mut(hop.ttl);
            let had_answers = stats.received > 0;
            for probe in &hop.probes {
                match probe {
                    ProbeResult::Answered { from, rtt, .. } => {
                        stats.sent += 1;
                        stats.received += 1;
                        let previous = stats.last_from;
                        if stats.answered_by(*from, probe.sent()) && had_answers {
                            new_addrs.push((*from, previous));
                        }
                        stats.last_from = Some(*from);
                        stats.rtt(*rtt);
                        stats.push(
                            Sample {
                                round: round.number,
                                rtt: Some(*rtt),
                                from: Some(*from),
                            },
                            cap,
                        );
                    }
                    ProbeResult::Silent => {
                        stats.sent += 1;
                        stats.push(
                            Sample {
                                round: round.number,
                                rtt: None,
                                from: None,
                            },
                            cap,
                        );
                    }
                    ProbeResult::SendFailed(_) => stats.send_failed += 1,
                }
            }
            for (address, previous) in new_addrs {
                self.event(
                    round,
                    PathChange::NewResponder {
                        ttl: hop.ttl,
                        address,
                        previous,
                    },
                );
            }
        }
        if let Ending::Reached { ttl, .. } = round.ending {
            // Its previous hop silent: the destination may have lost its answer at the
            // real TTL and answered the next one.
            let provisional = ttl > 1
                && round
                    .hops
                    .iter()
                    .find(|h| h.ttl == ttl - 1)
                    .is_some_and(|h| h.responders().is_empty());
            if let Some((known, known_provisional)) = self.destination {
                if known != ttl && !known_provisional && !provisional {
                    self.event(
                        round,
                        PathChange::DestinationMoved {
                            from_ttl: known,
                            to_ttl: ttl,
                        },
                    );
                }
            }
            self.destination = Some((ttl, provisional));
        }
        self.last_ending = Some(round.ending);
    }

    /// The figures now, with names for addresses from `name` and their AS (`-A`) from
    /// `asn` (each returns `None` for none).
    /// Hops above the destination's TTL (left from before the path got shorter, or
    /// from a first round whose destination answer was lost) are left out.
    pub fn snapshot(
        &self,
        name: &dyn Fn(IpAddr) -> Option<String>,
        asn: &dyn Fn(IpAddr) -> Option<AsInfo>,
    ) -> Snapshot {
        let top = self.destination_ttl().unwrap_or(u8::MAX);
        let hops: Vec<&HopStats> = self.hops.iter().filter(|h| h.ttl <= top).collect();
        // F(h): the smallest loss at h or beyond, and which hop has it.
        let mut carried: Vec<(f64, usize)> = vec![(0.0, 0); hops.len()];
        let mut best: Option<(f64, usize)> = None;
        for i in (0..hops.len()).rev() {
            if hops[i].sent > 0 {
                let here = (hops[i].loss(), i);
                best = Some(match best {
                    Some(b) if b.0 <= here.0 => b,
                    _ => here,
                });
            }
            carried[i] = best.unwrap_or((0.0, i));
        }
        let begins = hops
            .iter()
            .zip(&carried)
            .find(|(h, (f, _))| h.sent > 0 && *f > 0.0)
            .map(|(h, _)| h.ttl);
        let last_index = hops.len().saturating_sub(1);
        let summaries = hops
            .iter()
            .enumerate()
            .map(|(i, h)| {
                let (f, k) = carried[i];
                let verdict = verdict(h, hops[k], f, i == last_index, begins);
                summarize(h, verdict, name, asn)
            })
            .collect();
        Snapshot {
            rounds: self.rounds,
            hops: summaries,
            destination_ttl: self.destination_ttl(),
            reached_last_round: matches!(self.last_ending, Some(Ending::Reached { .. })),
            loss_begins_at: begins,
            events: self.events.iter().cloned().collect(),
            events_total: self.events_total,
        }
    }
}

impl Snapshot {
    /// The extensions each responder sent last, for people: per responder that sent any,
    /// `  hop 2 198.18.1.2:` and its entries below, at most `width` wide, wrapped between
    /// entries (inside an entry only between its fields). The rounds' summary table and
    /// the live view print them under their tables, where they widen no column.
    pub fn extension_lines(&self, width: usize) -> Vec<String> {
        let mut lines = Vec::new();
        for hop in &self.hops {
            for r in hop.responders.iter().filter(|r| !r.sent.is_empty()) {
                lines.push(format!("  hop {} {}:", hop.ttl, r.address));
                lines.extend(super::extensions::fill(r.sent.entries(), width, 4));
            }
        }
        lines
    }
}

/// The loss verdict of `h`, whose carried loss `f` is hop `k`'s.
fn verdict(h: &HopStats, k: &HopStats, f: f64, last: bool, begins: Option<u8>) -> LossVerdict {
    let loss = h.loss();
    let excess = (loss - f).max(0.0);
    let pct = |x: f64| (x * 1000.0).round() / 10.0;
    let replies_real = if h.sent == 0 || excess == 0.0 {
        false
    } else if f == 0.0 {
        true
    } else {
        // Two-proportion z-test of L(h) against L(k).
        let (n1, n2) = (h.sent as f64, k.sent as f64);
        let pooled = ((h.sent - h.received) + (k.sent - k.received)) as f64 / (n1 + n2);
        let se = (pooled * (1.0 - pooled) * (1.0 / n1 + 1.0 / n2)).sqrt();
        se > 0.0 && excess / se >= SIGNIFICANCE
    };
    let forwarding_real = f > 0.0;
    let kind = match (forwarding_real, replies_real) {
        (false, false) => LossKind::None,
        (true, false) => LossKind::Forwarding,
        (false, true) => LossKind::RepliesOnly,
        (true, true) => LossKind::Both,
    };
    // What is not real is folded into the other part, so the two add up to the loss.
    let (forwarding, replies) = match kind {
        LossKind::None => (0.0, 0.0),
        LossKind::Forwarding => (loss, 0.0),
        LossKind::RepliesOnly => (0.0, loss),
        LossKind::Both => (f, excess),
    };
    let begins_text = match begins {
        Some(b) if b < h.ttl => format!(" (real loss begins at hop {b})"),
        _ => String::new(),
    };
    let never_answers = h.sent > 0 && h.received == 0 && !last;
    let explanation = match kind {
        LossKind::None => "no loss".to_string(),
        // A router that sends no time-exceeded at all: common and harmless. Its 100% is
        // no loss figure to split; what matters is that later hops answer.
        _ if never_answers && f > 0.0 => format!(
            "never answers (a router that sends no time-exceeded: common and harmless); \
             later hops answer, so the path goes on through it, and the {}% they lose is \
             lost in forwarding at or before this hop{begins_text}",
            pct(f)
        ),
        _ if never_answers => "never answers (a router that sends no time-exceeded: common \
                               and harmless); later hops answer and lose nothing, so the \
                               path goes on through it"
            .to_string(),
        LossKind::Forwarding if last => format!(
            "{}% lost on the way to this last hop{begins_text}; a last hop limiting its own \
             replies cannot be told apart",
            pct(loss)
        ),
        LossKind::Forwarding if pct(excess) >= 1.0 => format!(
            "{}% lost, and hop {} beyond loses {}% (the difference is within chance): loss \
             in forwarding at or before this hop{begins_text}",
            pct(loss),
            k.ttl,
            pct(f)
        ),
        LossKind::Forwarding => format!(
            "{}% lost and every later hop loses as much: loss in forwarding at or before \
             this hop{begins_text}",
            pct(loss)
        ),
        LossKind::RepliesOnly if k.ttl == h.ttl || f == 0.0 => format!(
            "{}% of this router's replies missing but later hops lose nothing: it limits \
             its own replies; traffic through it is not affected",
            pct(loss)
        ),
        LossKind::RepliesOnly => format!(
            "{}% lost here but hop {} loses only {}%: the difference is this router \
             limiting its own replies",
            pct(loss),
            k.ttl,
            pct(f)
        ),
        LossKind::Both => format!(
            "{}% lost in forwarding at or before this hop (hop {} loses as much){begins_text}, \
             and {}% more are only this router's own replies missing",
            pct(f),
            k.ttl,
            pct(excess)
        ),
    };
    LossVerdict {
        kind,
        forwarding_percent: pct(forwarding),
        replies_only_percent: pct(replies),
        explanation,
    }
}

fn summarize(
    h: &HopStats,
    loss: LossVerdict,
    name: &dyn Fn(IpAddr) -> Option<String>,
    asn: &dyn Fn(IpAddr) -> Option<AsInfo>,
) -> HopSummary {
    let responders = h
        .responders
        .iter()
        .map(|(addr, count, sent)| Responder {
            address: *addr,
            sent: sent.clone(),
            name: name(*addr),
            asn: asn(*addr),
            count: *count,
            share: if h.received == 0 {
                0.0
            } else {
                *count as f64 / h.received as f64
            },
        })
        .collect();
    let rtt = match (h.last, h.best, h.worst) {
        (Some(last), Some(best), Some(worst)) => Some(RttFigures {
            last,
            avg: Duration::from_secs_f64(h.mean.max(0.0)),
            best,
            worst,
            stdev: Duration::from_secs_f64(if h.received > 1 {
                (h.m2 / (h.received - 1) as f64).max(0.0).sqrt()
            } else {
                0.0
            }),
        }),
        _ => None,
    };
    let jitter = h.jitter_last.map(|last| Jitter {
        last,
        mean: Duration::from_secs_f64(h.jitter_sum / h.jitter_n.max(1) as f64),
        max: h.jitter_max,
        interarrival: Duration::from_secs_f64(h.interarrival.max(0.0)),
    });
    let mut rtts: Vec<Duration> = h.history.iter().filter_map(|s| s.rtt).collect();
    rtts.sort_unstable();
    let percentiles = (!rtts.is_empty()).then(|| Percentiles {
        p50: percentile(&rtts, 50.0),
        p90: percentile(&rtts, 90.0),
        p95: percentile(&rtts, 95.0),
        p99: percentile(&rtts, 99.0),
        samples: rtts.len(),
    });
    HopSummary {
        ttl: h.ttl,
        sent: h.sent,
        received: h.received,
        send_failed: h.send_failed,
        loss_percent: (h.loss() * 1000.0).round() / 10.0,
        responders,
        other_responders: h.other_responders,
        rtt,
        jitter,
        percentiles,
        loss,
        history: h.history.iter().copied().collect(),
    }
}

/// Nearest-rank percentile of sorted, non-empty `values`.
pub fn percentile(sorted: &[Duration], p: f64) -> Duration {
    let rank = ((p / 100.0) * sorted.len() as f64).ceil() as usize;
    sorted[rank.clamp(1, sorted.len()) - 1]
}

/// Everything about the run at one moment: what a report, a stream line or a live view
/// shows.
#[derive(Debug, Clone, PartialEq)]
pub struct Snapshot {
    pub rounds: u64,
    /// Hops in TTL order, up to the destination's TTL when it was reached.
    pub hops: Vec<HopSummary>,
    pub destination_ttl: Option<u8>,
    /// The latest round reached the destination.
    pub reached_last_round: bool,
    /// The first hop whose loss carries on to every later hop.
    pub loss_begins_at: Option<u8>,
    /// The last [`MAX_EVENTS`] path events, oldest first.
    pub events: Vec<PathEvent>,
    pub events_total: u64,
}

/// One hop over the rounds.
#[derive(Debug, Clone, PartialEq)]
pub struct HopSummary {
    pub ttl: u8,
    /// Probes sent (answered or not; send failures are apart).
    pub sent: u64,
    pub received: u64,
    pub send_failed: u64,
    pub loss_percent: f64,
    /// In order of first answer; shares of `received`.
    pub responders: Vec<Responder>,
    /// Answers from addresses past the first [`MAX_RESPONDERS`].
    pub other_responders: u64,
    /// `None` until an answer came.
    pub rtt: Option<RttFigures>,
    /// `None` until two answers came.
    pub jitter: Option<Jitter>,
    /// Over the history ring; `None` until an answer came.
    pub percentiles: Option<Percentiles>,
    pub loss: LossVerdict,
    /// The last probes, oldest first (at most [`Stats::history_len`]).
    pub history: Vec<Sample>,
}

#[derive(Debug, Clone, PartialEq)]
pub struct Responder {
    pub address: IpAddr,
    pub name: Option<String>,
    /// `-A`: who owns the address (`None` without -A, or while unknown).
    pub asn: Option<AsInfo>,
    pub count: u64,
    /// Fraction (0..=1) of the hop's answers.
    pub share: f64,
    /// The ICMP extensions of its latest answer (MPLS labels, interface information,
    /// unknown objects; empty when it sent none, or without a raw receiver).
    pub sent: Sent,
}

#[derive(Debug, Clone, Copy, PartialEq)]
pub struct RttFigures {
    pub last: Duration,
    pub avg: Duration,
    pub best: Duration,
    pub worst: Duration,
    /// Sample standard deviation.
    pub stdev: Duration,
}

#[derive(Debug, Clone, Copy, PartialEq)]
pub struct Jitter {
    pub last: Duration,
    pub mean: Duration,
    pub max: Duration,
    /// RFC 3550 interarrival jitter estimate.
    pub interarrival: Duration,
}

#[derive(Debug, Clone, Copy, PartialEq)]
pub struct Percentiles {
    pub p50: Duration,
    pub p90: Duration,
    pub p95: Duration,
    pub p99: Duration,
    /// Answers they are computed over.
    pub samples: usize,
}

#[derive(Debug, Clone, PartialEq)]
pub struct LossVerdict {
    pub kind: LossKind,
    /// The part of `loss_percent` every later hop shares.
    pub forwarding_percent: f64,
    /// The part of `loss_percent` that stops at this hop.
    pub replies_only_percent: f64,
    /// For people.
    pub explanation: String,
}

#[cfg(test)]
#[path = "stats_tests.rs"]
mod tests;
