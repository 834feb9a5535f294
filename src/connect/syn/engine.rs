//! The SYN scan's decisions, with no socket and no clock: what to send next and when,
//! what a reply means, when a silent port is tried again, when the scan is over. The
//! driver (`io.rs`) feeds it the time and the segments that arrive; `sim.rs` runs it in
//! virtual time against simulated hosts.
//!
//! Stateless matching, as masscan and zmap do it: each SYN's sequence number is a keyed
//! hash (SipHash with this run's random key) of the destination address and port and our
//! source port. A SYN-ACK or RST answering it acknowledges that number plus one, an ICMP
//! error quotes it; a reply whose number does not match, from an address or about a port
//! not probed, is ignored. So nothing is kept per probe in flight but its deadline, and a
//! forged or stray segment cannot make a port look open.
//!
//! What is kept: the host list as a few runs of addresses ([`AddrList`]: a range is its
//! two ends, never a list), four bits per (address, port) — its state once decided, and
//! whether it was retried: 196,608 probes of 65,536 addresses x 3 ports are 96 KB — and
//! the deadlines of the probes in flight (bounded by rate x timeout). Nothing is kept per
//! finding: the driver reads each one as it is decided ([`Engine::pop_finding`]) and the
//! per-address counts at the end from the same four bits ([`Engine::states_of`]).
//!
//! Order: hosts and ports are interleaved (probe `i` is host `i % hosts`, port
//! `i / hosts`), so on a range no host sees two SYNs in a row.
//!
//! Pacing and adaptation: SYNs leave evenly at the current rate. A reply that comes only
//! after its port was retried is evidence of loss (a rate-limited host or path dropped the
//! first SYN or its answer): the rate halves (or falls to the rate answers came back at
//! lately, if lower), at most once per [`ADAPT_EVERY`], down to
//! the floor; every answer without loss lets it grow by one part in a hundred, up to
//! `--rate` — after a loss only once none has been seen for a timeout (the evidence comes
//! a timeout late, and growing meanwhile undoes the cuts), and slowly: about a tenth a
//! timeout. Silence alone is not evidence: a filtered port
//! is silent at any rate. But a retry that goes unanswered while losses are being proven
//! was sent at a rate since found too high: it is tried again (up to [`MAX_TRIES`] in
//! all) rather than counted filtered, so a rate limiter on the way costs time, not ports.

use std::collections::hash_map::RandomState;
use std::collections::VecDeque;
use std::hash::{BuildHasher, Hash, Hasher};
use std::net::IpAddr;
use std::sync::Arc;
use std::time::{Duration, Instant};

use crate::connect::probe::{describe_icmp, State};
use crate::net::msg::{ErrorOrigin, IcmpReport};
use crate::target::AddrList;

/// How long answers are counted to know the rate the path lets through.
const ANSWER_WINDOW: Duration = Duration::from_millis(250);
/// How often the rate may be halved: one burst of losses is one signal, not ten.
pub const ADAPT_EVERY: Duration = Duration::from_millis(100);
/// The most SYNs one port gets: the first, its retry, and more only for retries that
/// went out while losses were being proven.
pub const MAX_TRIES: u8 = 4;
/// How far behind its schedule pacing may fall before the backlog is forgotten (a stall
/// must not turn into a burst).
const MAX_CATCH_UP: Duration = Duration::from_millis(5);
/// The most probes one scan holds answers for (hosts x ports): 4 bits each, 32 MB.
pub const MAX_PROBES: u64 = 1 << 26;

/// How a scan runs.
#[derive(Debug, Clone)]
pub struct Config {
    /// The most SYNs a second, and where the rate starts.
    pub rate: u32,
    /// The least the adaptation lowers it to.
    pub min_rate: u32,
    /// How long a SYN waits for its answer before it is retried (first time) or counted
    /// filtered (second).
    pub timeout: Duration,
    /// Our source port: every SYN leaves from it, every answer comes to it.
    pub sport: u16,
}

/// A SYN to send now.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Syn {
    pub dst: IpAddr,
    pub port: u16,
    pub seq: u32,
    /// Its second try.
    pub retry: bool,
}

/// What came back, as the driver parsed it.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Reply {
    /// A TCP segment to our port.
    Tcp {
        from: IpAddr,
        /// Its source port: the port probed.
        sport: u16,
        /// Its destination port: ours.
        dport: u16,
        ack: u32,
        flags: u8,
    },
    /// An ICMP error quoting one of our SYNs.
    Icmp {
        /// Who sent the error (the host, or a router on the way).
        from: IpAddr,
        /// The quoted SYN's destination, ports and sequence number.
        dst: IpAddr,
        sport: u16,
        dport: u16,
        seq: u32,
        /// Type and code, of ICMPv6 when `v6`.
        v6: bool,
        icmp_type: u8,
        icmp_code: u8,
    },
}

/// What [`Engine::on_reply`] made of a reply.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Verdict {
    /// The first answer for its port: a finding.
    Accepted,
    /// Another answer for a port already decided.
    Duplicate,
    /// Not ours: an address or port not probed, a wrong cookie, flags that answer no SYN.
    Ignored,
}

/// A decided port.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Finding {
    /// The host's position in the list the engine was given.
    pub host: u64,
    pub port: u16,
    pub state: State,
    /// For an ICMP error: which, and from whom.
    pub detail: Option<String>,
}

struct InFlight {
    index: u64,
    deadline: Instant,
    /// 1 for the first SYN, 2 for its retry, ...
    tries: u8,
    /// How many cuts the rate had had when this SYN left, and when the one before it
    /// (that went unanswered) did.
    epoch: u32,
    lost_epoch: u32,
}

/// One scan of `hosts` x `ports`.
pub struct Engine {
    cfg: Config,
    key: RandomState,
    hosts: Arc<AddrList>,
    /// Sorted, without duplicates.
    ports: Arc<[u16]>,
    total: u64,
    next: u64,
    /// Each probe's four bits (see [`Nibbles`]).
    states: Nibbles,
    in_flight: VecDeque<InFlight>,
    /// Ports to send again, with the tries they had and the epoch of the last one.
    retries: VecDeque<(u64, u8, u32)>,
    findings: VecDeque<Finding>,
    decided: u64,
    rate: f64,
    next_send: Instant,
    last_cut: Option<Instant>,
    /// When a loss was last proven (a retried port answered).
    last_loss: Option<Instant>,
    lowest: f64,
    cuts: u32,
    /// Answers counted since `window`, and the answer rate of the last window done.
    window: Instant,
    window_answers: u32,
    answer_rate: Option<f64>,
}

/// Four bits a probe, two probes a byte: the low three its [`State`] once decided (0 while
/// undecided), the high one set when it was retried.
struct Nibbles(Vec<u8>);

const RETRIED: u8 = 8;

impl Nibbles {
    fn new(probes: u64) -> Nibbles {
        Nibbles(vec![0; probes.div_ceil(2) as usize])
    }

    fn get(&self, i: u64) -> u8 {
        (self.0[(i / 2) as usize] >> (4 * (i % 2))) & 0xf
    }

    fn or(&mut self, i: u64, bits: u8) {
        self.0[(i / 2) as usize] |= (bits & 0xf) << (4 * (i % 2));
    }

    fn state(&self, i: u64) -> Option<State> {
        match self.get(i) & !RETRIED {
            0 => None,
            code => Some(STATES[usize::from(code) - 1]),
        }
    }

    fn decided(&self, i: u64) -> bool {
        self.get(i) & !RETRIED != 0
    }

    fn retried(&self, i: u64) -> bool {
        self.get(i) & RETRIED != 0
    }
}

/// The states by their code in [`Nibbles`] (the code is the position plus one).
const STATES: [State; 5] = [
    State::Open,
    State::Closed,
    State::Filtered,
    State::Unreachable,
    State::OpenFiltered,
];

fn code(state: State) -> u8 {
    STATES
        .iter()
        .position(|&s| s == state)
        .map_or(0, |i| i as u8 + 1)
}

impl Engine {
    /// A scan of every host x port; `ports` sorted and without duplicates (as
    /// `parse_port_list` gives them). Refuses more than [`MAX_PROBES`].
    pub fn new(
        cfg: Config,
        hosts: Arc<AddrList>,
        ports: Arc<[u16]>,
        now: Instant,
    ) -> Result<Engine, String> {
        let total = hosts.len().saturating_mul(ports.len() as u64);
        if total > MAX_PROBES {
            return Err(format!(
                "{} addresses x {} ports is {total} probes; a SYN scan takes at most {MAX_PROBES}",
                hosts.len(),
                ports.len()
            ));
        }
        debug_assert!(ports.windows(2).all(|w| w[0] < w[1]));
        let rate = f64::from(cfg.rate.max(1));
        Ok(Engine {
            key: RandomState::new(),
            hosts,
            ports,
            total,
            next: 0,
            states: Nibbles::new(total),
            in_flight: VecDeque::new(),
            retries: VecDeque::new(),
            findings: VecDeque::new(),
            decided: 0,
            rate,
            next_send: now,
            last_cut: None,
            last_loss: None,
            lowest: rate,
            cuts: 0,
            window: now,
            window_answers: 0,
            answer_rate: None,
            cfg,
        })
    }

    /// The sequence number a SYN to `dst:port` carries.
    pub fn cookie(&self, dst: IpAddr, port: u16) -> u32 {
        let mut h = self.key.build_hasher();
        dst.hash(&mut h);
        port.hash(&mut h);
        self.cfg.sport.hash(&mut h);
        h.finish() as u32
    }

    fn target(&self, index: u64) -> (u64, u16) {
        let hosts = self.hosts.len();
        (index % hosts, self.ports[(index / hosts) as usize])
    }

    fn address(&self, host: u64) -> IpAddr {
        self.hosts
            .get(host)
            .expect("a probe's host is in the list")
            .0
    }

    fn index_of(&self, dst: IpAddr, port: u16) -> Option<u64> {
        let host = self.hosts.position(dst)?;
        let port = self.ports.binary_search(&port).ok()?;
        Some(port as u64 * self.hosts.len() + host)
    }

    /// The next SYN, if one is due at `now`; call until `None`.
    pub fn poll_send(&mut self, now: Instant) -> Option<Syn> {
        if now < self.next_send {
            return None;
        }
        let (index, tries, lost_epoch) = loop {
            if let Some((index, tries, epoch)) = self.retries.pop_front() {
                if !self.states.decided(index) {
                    break (index, tries + 1, epoch);
                }
            } else if self.next < self.total {
                self.next += 1;
                break (self.next - 1, 1, self.cuts);
            } else {
                return None;
            }
        };
        let gap = Duration::from_secs_f64(1.0 / self.rate);
        self.next_send = self
            .next_send
            .max(now.checked_sub(MAX_CATCH_UP).unwrap_or(now))
            + gap;
        self.in_flight.push_back(InFlight {
            index,
            deadline: now + self.cfg.timeout,
            tries,
            epoch: self.cuts,
            lost_epoch,
        });
        let (host, port) = self.target(index);
        let dst = self.address(host);
        Some(Syn {
            dst,
            port,
            seq: self.cookie(dst, port),
            retry: tries > 1,
        })
    }

    /// Probes whose wait is over: a first try is queued for its retry; a retry counts as
    /// filtered, unless a loss was proven after it left (then it is tried again, up to
    /// [`MAX_TRIES`]).
    pub fn poll_timeouts(&mut self, now: Instant) {
        while let Some(front) = self.in_flight.front() {
            if front.deadline > now {
                break;
            }
            let InFlight {
                index,
                tries,
                deadline,
                epoch,
                ..
            } = self.in_flight.pop_front().expect("front");
            if self.states.decided(index) {
                continue;
            }
            let sent = deadline.checked_sub(self.cfg.timeout).unwrap_or(deadline);
            let lossy = self.last_loss.is_some_and(|at| at > sent);
            if tries == 1 {
                self.states.or(index, RETRIED);
                self.retries.push_back((index, tries, epoch));
            } else if lossy && tries < MAX_TRIES {
                self.retries.push_back((index, tries, epoch));
            } else {
                self.decide(index, State::Filtered, None);
            }
        }
    }

    fn decide(&mut self, index: u64, state: State, detail: Option<String>) {
        self.states.or(index, code(state));
        self.decided += 1;
        let (host, port) = self.target(index);
        self.findings.push_back(Finding {
            host,
            port,
            state,
            detail,
        });
    }

    /// A segment or ICMP error that arrived at `now`.
    pub fn on_reply(&mut self, now: Instant, reply: &Reply) -> Verdict {
        use crate::packet::transport::{TCP_ACK, TCP_RST, TCP_SYN};
        let (dst, port, ours, cookie, state, detail) = match *reply {
            Reply::Tcp {
                from,
                sport,
                dport,
                ack,
                flags,
            } => {
                let state = if flags & TCP_RST != 0 && flags & TCP_ACK != 0 {
                    State::Closed
                } else if flags & (TCP_SYN | TCP_ACK) == TCP_SYN | TCP_ACK {
                    State::Open
                } else {
                    return Verdict::Ignored;
                };
                (from, sport, dport, ack.wrapping_sub(1), state, None)
            }
            Reply::Icmp {
                from,
                dst,
                sport,
                dport,
                seq,
                v6,
                icmp_type,
                icmp_code,
            } => {
                // As the connect scan reads them: port unreachable is a refusal (a
                // REJECT rule), any other error says the port cannot be reached; named
                // in the same words.
                let state = match (v6, icmp_type, icmp_code) {
                    (false, 3, 3) | (true, 1, 4) => State::Closed,
                    (false, 3, _) | (true, 1, _) => State::Unreachable,
                    _ => return Verdict::Ignored,
                };
                let detail = describe_icmp(&IcmpReport {
                    origin: if v6 {
                        ErrorOrigin::Icmp6
                    } else {
                        ErrorOrigin::Icmp4
                    },
                    icmp_type,
                    icmp_code,
                    errno: 0,
                    info: 0,
                    from: Some(from),
                });
                (dst, dport, sport, seq, state, Some(detail))
            }
        };
        if ours != self.cfg.sport {
            return Verdict::Ignored;
        }
        let Some(index) = self.index_of(dst, port) else {
            return Verdict::Ignored;
        };
        if cookie != self.cookie(dst, port) {
            return Verdict::Ignored;
        }
        if self.states.decided(index) {
            return Verdict::Duplicate;
        }
        self.window_answers += 1;
        let span = now.duration_since(self.window);
        if span >= ANSWER_WINDOW {
            self.answer_rate = Some(f64::from(self.window_answers) / span.as_secs_f64());
            self.window = now;
            self.window_answers = 0;
        }
        if self.states.retried(index) {
            // Its answer left RTT ago: its SYN is among the last in flight.
            let stale = self
                .in_flight
                .iter()
                .rev()
                .find(|f| f.index == index)
                .is_none_or(|f| f.lost_epoch != self.cuts);
            self.lost(now, stale);
        } else if self.last_loss.is_none() {
            self.rate = (self.rate + self.rate / 100.0).min(f64::from(self.cfg.rate));
        } else if now.duration_since(self.last_loss.unwrap_or(now)) > self.cfg.timeout {
            // Once a limit was met, grow slowly: by about a tenth a timeout (the answers
            // of a timeout's SYNs), since news of a loss takes a timeout to come.
            let step = 0.1 / self.cfg.timeout.as_secs_f64().max(0.001);
            self.rate = (self.rate + step).min(f64::from(self.cfg.rate));
        }
        self.decide(index, state, detail);
        Verdict::Accepted
    }

    /// Evidence that a SYN or its answer was lost: halve the rate, unless the lost SYN
    /// left before the last cut (`stale`: that cut already answered it; a queue of
    /// retries brings such news for seconds, and took the rate to the floor).
    fn lost(&mut self, now: Instant, stale: bool) {
        self.last_loss = Some(now);
        if stale
            || self
                .last_cut
                .is_some_and(|at| now.duration_since(at) < ADAPT_EVERY)
        {
            return;
        }
        self.last_cut = Some(now);
        // What came back lately is what the path lets through (a host with filtered ports
        // answers less, and is scanned slower than it could be, never wrong).
        let through = self.answer_rate.unwrap_or(self.rate);
        let halved = (self.rate / 2.0)
            .min(through)
            .max(f64::from(self.cfg.min_rate.max(1)));
        if halved < self.rate {
            self.cuts += 1;
        }
        self.rate = halved;
        self.lowest = self.lowest.min(halved);
    }

    /// The next decided port.
    pub fn pop_finding(&mut self) -> Option<Finding> {
        self.findings.pop_front()
    }

    /// When the engine next needs the driver: a SYN due, or a wait ending.
    pub fn next_wakeup(&self) -> Option<Instant> {
        if self.is_done() {
            return None;
        }
        let send = (!self.retries.is_empty() || self.next < self.total).then_some(self.next_send);
        let wait = self.in_flight.front().map(|f| f.deadline);
        match (send, wait) {
            (Some(a), Some(b)) => Some(a.min(b)),
            (a, b) => a.or(b),
        }
    }

    /// Every port decided.
    pub fn is_done(&self) -> bool {
        self.decided == self.total
    }

    pub fn total(&self) -> u64 {
        self.total
    }

    /// The hosts, as given.
    #[cfg(test)]
    pub fn hosts(&self) -> &Arc<AddrList> {
        &self.hosts
    }

    /// Each port of host `host` with its state, `None` while undecided (an interrupted
    /// scan), in port order.
    pub fn states_of(&self, host: u64) -> impl ExactSizeIterator<Item = (u16, Option<State>)> + '_ {
        let hosts = self.hosts.len();
        self.ports
            .iter()
            .enumerate()
            .map(move |(i, &port)| (port, self.states.state(i as u64 * hosts + host)))
    }

    /// The bytes the engine holds, its own and on the heap: the measure of "memory
    /// bounded by what is in flight" (the four bits a probe aside).
    #[cfg(test)]
    pub fn held_bytes(&self) -> usize {
        std::mem::size_of::<Engine>()
            + self.states.0.capacity()
            + self.hosts.held_bytes()
            + self.in_flight.capacity() * std::mem::size_of::<InFlight>()
            + self.retries.capacity() * std::mem::size_of::<(u64, u8, u32)>()
            + self.findings.capacity() * std::mem::size_of::<Finding>()
            + self
                .findings
                .iter()
                .filter_map(|f| f.detail.as_ref().map(String::capacity))
                .sum::<usize>()
    }

    /// The current rate, SYNs a second.
    pub fn rate(&self) -> f64 {
        self.rate
    }

    /// The lowest the rate went, SYNs a second.
    pub fn lowest_rate(&self) -> f64 {
        self.lowest
    }

    /// How many times losses halved the rate.
    pub fn cuts(&self) -> u32 {
        self.cuts
    }
}
