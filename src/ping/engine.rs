//! The ping engine: scheduling, matching and statistics, with no sockets and no clock.
//!
//! The driver (`io.rs`) feeds it the time and what arrived; it answers with probes to
//! send and events to show. Because it never reads a clock or touches a socket, the tests
//! below run it against a simulated network in virtual time — loss, duplicates,
//! reordering, late replies, ICMP errors and other processes' traffic — without root and
//! without sleeping.
//!
//! Matching. One identifier per address family (ours on a raw socket, the kernel's on a
//! datagram socket) and one wire sequence number per probe, unique across targets; the
//! payload starts with a per-run random token, the target's index and its sequence number,
//! so that a reply must echo all of them to count. On a raw socket every process sees
//! every echo reply on the host: the token is what keeps another netlab's or ping's
//! replies out of our statistics even if identifiers collide. Payloads too short for the
//! token (`-s` below 16) fall back to identifier, sequence and source address.

use std::cmp::Reverse;
use std::collections::{BinaryHeap, HashMap, VecDeque};
use std::net::IpAddr;
use std::time::{Duration, Instant};

use crate::packet::icmp::Version;
use crate::packet::IcmpErrorKind;

/// Bytes of payload that carry the token, target index and sequence number.
pub const MARK_LEN: usize = 16;

/// The most backlog a target's schedule catches up in one burst (see `poll_probe`).
pub const MAX_CATCH_UP: Duration = Duration::from_millis(5);

/// How the probes go (validated by `Plan`; `check` uses fixed ones): what the driver
/// ([`super::measure`]) is asked for.
#[derive(Debug, Clone)]
pub struct Settings {
    /// Probes per target; `None`: until stopped or the deadline.
    pub count: Option<u64>,
    pub interval: Duration,
    /// How long a probe waits for its reply before it counts as lost (`-W`).
    pub timeout: Duration,
    /// The whole run ends this long after it started (`-w`).
    pub deadline: Option<Duration>,
    /// ICMP data bytes per probe (`-s`).
    pub size: usize,
    /// The data fill, repeated from the first data byte as iputils does (`-p`); the mark
    /// then overwrites the first [`MARK_LEN`] bytes. Empty: bytes 0, 1, 2, ...
    pub pattern: Vec<u8>,
    /// Probes each target sends at once when the run starts (`-l`); 1 without it.
    pub preload: u64,
    /// `-A` / `-f`: a reply brings the target's next probe forward to the moment it
    /// arrives, but never closer than this to the previous probe; `interval` stays the
    /// longest gap.
    pub adaptive: Option<Duration>,
    /// `-O`: an [`Event::Outstanding`] when a target's previous probe is still unanswered
    /// as its next one leaves.
    pub report_outstanding: bool,
    /// Spread the targets' first probes evenly over one interval instead of sending them
    /// all at once, so N targets make a steady stream of N probes an interval rather than
    /// a burst of N (the exporter, like smokeping_prober; a burst queues behind itself at
    /// the first hop and inflates its own RTTs).
    pub spread: bool,
    /// Per-target intervals, by target index (the exporter's `ping_interval`); a target
    /// past the end of the list, or every target when it is empty, uses `interval`.
    /// One schedule still drives them all: each target's next probe is due its own
    /// interval after its last.
    pub intervals: Vec<Duration>,
}

impl Settings {
    /// Target `index`'s interval.
    pub fn interval_of(&self, index: usize) -> Duration {
        self.intervals.get(index).copied().unwrap_or(self.interval)
    }
}

#[cfg(test)]
impl Settings {
    /// `count` probes of 56 bytes, `interval` apart, each waiting a second: what the
    /// engine's and the driver's tests start from.
    pub(crate) fn every(interval: Duration, count: Option<u64>) -> Settings {
        Settings {
            count,
            interval,
            timeout: Duration::from_secs(1),
            deadline: None,
            size: 56,
            pattern: Vec::new(),
            preload: 1,
            adaptive: None,
            report_outstanding: false,
            spread: false,
            intervals: Vec::new(),
        }
    }
}

/// What the engine runs with: the settings and this run's token.
#[derive(Debug, Clone)]
pub struct Config {
    pub settings: Settings,
    /// Per-run random token echoed in every payload.
    pub token: [u8; 8],
}

/// The echo identifiers replies must carry, per family.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Idents {
    pub v4: u16,
    pub v6: u16,
}

impl Idents {
    fn get(self, version: Version) -> u16 {
        match version {
            Version::V4 => self.v4,
            Version::V6 => self.v6,
        }
    }
}

/// A target, by its position on the command line.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct TargetId(pub usize);

/// A probe the driver must send now.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Probe {
    pub target: TargetId,
    pub addr: IpAddr,
    /// The target's sequence number as shown (1, 2, ...).
    pub seq: u64,
    /// The ICMP sequence number on the wire, unique among probes in flight.
    pub wire_seq: u16,
    pub ident: u16,
}

/// An echo reply as the driver parsed it.
#[derive(Debug, Clone, Copy)]
pub struct EchoReply<'a> {
    pub from: IpAddr,
    pub ident: u16,
    pub wire_seq: u16,
    /// The echo data.
    pub data: &'a [u8],
    /// ICMP message length (header + data), as ping prints it.
    pub bytes: usize,
    pub ttl: Option<u8>,
    /// When the kernel received it.
    pub at: Instant,
}

/// An ICMP error quoting one of our echo requests.
#[derive(Debug, Clone, Copy)]
pub struct ProbeError<'a> {
    /// Who sent the error (a router, or the destination).
    pub from: IpAddr,
    pub kind: IcmpErrorKind,
    /// The quoted destination, when the quote includes the IP header.
    pub dst: Option<IpAddr>,
    pub version: Version,
    pub ident: u16,
    pub wire_seq: u16,
    /// As much of the probe's data as was quoted (maybe nothing).
    pub data: &'a [u8],
    /// The MTU of a fragmentation-needed / packet-too-big message.
    pub mtu: Option<u32>,
    pub at: Instant,
}

/// How a reply relates to its probe.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ReplyStatus {
    /// The first reply, in time.
    Ok,
    /// Another reply to a probe that already had one.
    Duplicate,
    /// The first reply, after the probe had timed out.
    Late,
}

/// Something to show.
#[derive(Debug, Clone, PartialEq)]
pub enum Event {
    Reply {
        target: TargetId,
        seq: u64,
        from: IpAddr,
        bytes: usize,
        ttl: Option<u8>,
        rtt: Duration,
        status: ReplyStatus,
    },
    /// No reply within the timeout.
    Timeout { target: TargetId, seq: u64 },
    /// An ICMP error about a probe.
    Error {
        target: TargetId,
        seq: u64,
        from: IpAddr,
        kind: IcmpErrorKind,
        rtt: Duration,
        /// The MTU a fragmentation-needed / packet-too-big message gave.
        mtu: Option<u32>,
    },
    /// The probe could not be sent (counted as an error).
    SendFailed {
        target: TargetId,
        seq: u64,
        reason: String,
        /// The path MTU, when the probe was too big for it (`-M do`: message too long).
        mtu: Option<u32>,
    },
    /// `-O`: probe `seq` had no answer yet when the target's next probe went out.
    Outstanding { target: TargetId, seq: u64 },
}

/// Per-target counters and RTT statistics.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct Stats {
    pub transmitted: u64,
    pub received: u64,
    pub duplicates: u64,
    pub errors: u64,
    pub late: u64,
    min: Option<Duration>,
    max: Option<Duration>,
    sum_ms: f64,
    sum_sq_ms: f64,
    last_ms: Option<f64>,
    jitter_sum_ms: f64,
    jitter_n: u64,
}

impl Stats {
    /// A timely first reply's RTT (the live view keeps its own since a reset).
    pub fn record_rtt(&mut self, rtt: Duration) {
        let ms = rtt.as_secs_f64() * 1e3;
        self.min = Some(self.min.map_or(rtt, |m| m.min(rtt)));
        self.max = Some(self.max.map_or(rtt, |m| m.max(rtt)));
        self.sum_ms += ms;
        self.sum_sq_ms += ms * ms;
        if let Some(last) = self.last_ms {
            self.jitter_sum_ms += (ms - last).abs();
            self.jitter_n += 1;
        }
        self.last_ms = Some(ms);
    }
    /// Packet loss in percent: probes without a timely reply.
    pub fn loss_percent(&self) -> f64 {
        if self.transmitted == 0 {
            return 0.0;
        }
        let lost = self.transmitted.saturating_sub(self.received);
        lost as f64 * 100.0 / self.transmitted as f64
    }
    pub fn min(&self) -> Option<Duration> {
        self.min
    }
    pub fn max(&self) -> Option<Duration> {
        self.max
    }
    /// Mean RTT in ms over first, timely replies.
    pub fn avg_ms(&self) -> Option<f64> {
        (self.received > 0).then(|| self.sum_ms / self.received as f64)
    }
    /// Standard deviation of the RTT in ms (iputils' mdev).
    pub fn mdev_ms(&self) -> Option<f64> {
        let avg = self.avg_ms()?;
        let var = self.sum_sq_ms / self.received as f64 - avg * avg;
        Some(var.max(0.0).sqrt())
    }
    /// Mean absolute difference between consecutive RTTs in ms (in arrival order).
    pub fn jitter_ms(&self) -> Option<f64> {
        if self.received == 0 {
            return None;
        }
        Some(if self.jitter_n == 0 {
            0.0
        } else {
            self.jitter_sum_ms / self.jitter_n as f64
        })
    }
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum State {
    InFlight,
    Replied,
    TimedOut,
    Failed,
}

#[derive(Debug, Clone, Copy)]
struct Record {
    target: TargetId,
    seq: u64,
    sent_at: Instant,
    state: State,
}

#[derive(Debug)]
struct Target {
    addr: IpAddr,
    /// Its own interval ([`Settings::interval_of`]).
    interval: Duration,
    sent: u64,
    next_due: Instant,
    stats: Stats,
    /// Probes waiting for a reply within their timeout.
    in_flight: u64,
    /// The wire number and send time of the target's latest probe (`-O`, `-A`).
    last: Option<(u16, Instant)>,
}

/// How many finished probes (replied, errored, timed out) keep their record, so that a
/// late reply or a duplicate is still recognised. Older ones are forgotten, oldest first:
/// without a bound, records would pile up until all 65,536 wire numbers are in use, and a
/// long high-rate run would grow by megabytes instead of staying flat.
pub const RETAINED_FINISHED: usize = 4096;

/// The state machine.
#[derive(Debug)]
pub struct Engine {
    cfg: Config,
    idents: Idents,
    start: Instant,
    targets: Vec<Target>,
    /// Targets by the time their next probe is due (fping-scale runs stay O(log n)).
    schedule: BinaryHeap<Reverse<(Instant, usize)>>,
    /// Probes waiting for a reply, over all targets.
    in_flight: u64,
    records: HashMap<u16, Record>,
    /// (wire seq, target, seq) in send order: timeouts fall due in the same order.
    timeouts: VecDeque<(u16, TargetId, u64)>,
    /// Finished probes, oldest first, whose records are kept (at most
    /// [`RETAINED_FINISHED`]).
    finished: VecDeque<(u16, TargetId, u64)>,
    next_wire: u16,
    events: VecDeque<Event>,
    stopped: bool,
}

impl Engine {
    pub fn new(cfg: Config, addrs: &[IpAddr], idents: Idents, now: Instant) -> Engine {
        let n = addrs.len().max(1) as u32;
        // Spread: target i of n starts i/n of its own interval in.
        let first = |i: usize| match cfg.settings.spread {
            true => now + cfg.settings.interval_of(i) * i as u32 / n,
            false => now,
        };
        Engine {
            targets: addrs
                .iter()
                .enumerate()
                .map(|(i, &addr)| Target {
                    addr,
                    interval: cfg.settings.interval_of(i),
                    sent: 0,
                    next_due: first(i),
                    stats: Stats::default(),
                    in_flight: 0,
                    last: None,
                })
                .collect(),
            schedule: (0..addrs.len()).map(|i| Reverse((first(i), i))).collect(),
            in_flight: 0,
            cfg,
            idents,
            start: now,
            // Twice the steady state: a table that churns (an insert and a removal per
            // probe) and is more than half full grows again whenever its tombstones use
            // up its room; at most half full, it is tidied in place instead.
            records: HashMap::with_capacity(2 * RETAINED_FINISHED),
            timeouts: VecDeque::new(),
            finished: VecDeque::with_capacity(RETAINED_FINISHED + 1),
            next_wire: 1,
            events: VecDeque::new(),
            stopped: false,
        }
    }

    pub fn config(&self) -> &Config {
        &self.cfg
    }
    pub fn target_count(&self) -> usize {
        self.targets.len()
    }
    pub fn addr(&self, target: TargetId) -> IpAddr {
        self.targets[target.0].addr
    }
    pub fn stats(&self, target: TargetId) -> &Stats {
        &self.targets[target.0].stats
    }

    fn deadline(&self) -> Option<Instant> {
        self.cfg.settings.deadline.map(|d| self.start + d)
    }

    fn past_deadline(&self, now: Instant) -> bool {
        self.deadline().is_some_and(|d| now >= d)
    }

    /// Whether target `t` will send more probes.
    fn wants_more(&self, t: &Target) -> bool {
        if self.stopped {
            return false;
        }
        match (self.cfg.settings.count, self.cfg.settings.deadline) {
            (None, _) => true,
            // With a deadline, -c counts replies (as iputils does): keep trying until then.
            (Some(count), Some(_)) => t.stats.received < count,
            (Some(count), None) => t.sent < count,
        }
    }

    /// The next probe due at `now`, already counted as sent at `now`; the driver then
    /// reports the precise send time with [`Engine::sent`] (or the failure).
    pub fn poll_probe(&mut self, now: Instant) -> Option<Probe> {
        if self.past_deadline(now) {
            return None;
        }
        let index = loop {
            let &Reverse((due, index)) = self.schedule.peek()?;
            if due > now {
                return None;
            }
            self.schedule.pop();
            if due != self.targets[index].next_due {
                continue; // superseded: an adaptive reply brought this target forward
            }
            if self.wants_more(&self.targets[index]) {
                break index;
            } // else: done with this target; it leaves the schedule
        };
        self.report_outstanding(index);
        let wire_seq = self.allocate_wire_seq();
        let preload = self.cfg.settings.preload;
        let t = &mut self.targets[index];
        let interval = t.interval;
        t.sent += 1;
        t.stats.transmitted += 1;
        // A preload goes out at once; then keep the schedule (no drift), but never try
        // to catch up more than MAX_CATCH_UP of backlog in a burst: a probe due sooner
        // than the driver's timer can wake (tokio's timer ticks in milliseconds; -i 0.0002
        // is five probes a tick) is sent on the next wake, as iputils' token bucket does;
        // a longer stall (a suspended process) restarts the schedule from now.
        if t.sent >= preload {
            t.next_due += interval;
            if t.next_due + interval.max(MAX_CATCH_UP) < now {
                t.next_due = now;
            }
        }
        t.last = Some((wire_seq, now));
        t.in_flight += 1;
        self.in_flight += 1;
        self.schedule.push(Reverse((t.next_due, index)));
        let target = TargetId(index);
        let seq = t.sent;
        let addr = t.addr;
        if let Some(old) = self.records.get(&wire_seq).copied() {
            if old.state == State::InFlight {
                self.settle(old.target); // 65536 probes in flight: the oldest is given up
            }
        }
        self.records.insert(
            wire_seq,
            Record {
                target,
                seq,
                sent_at: now,
                state: State::InFlight,
            },
        );
        self.timeouts.push_back((wire_seq, target, seq));
        Some(Probe {
            target,
            addr,
            seq,
            wire_seq,
            ident: self.idents.get(Version::of(&addr)),
        })
    }

    /// `-O`: the event for a target whose latest probe is still in flight.
    fn report_outstanding(&mut self, index: usize) {
        if !self.cfg.settings.report_outstanding {
            return;
        }
        let t = &self.targets[index];
        let Some((wire, _)) = t.last else { return };
        if let Some(r) = self.records.get(&wire) {
            if r.target.0 == index && r.seq == t.sent && r.state == State::InFlight {
                self.events.push_back(Event::Outstanding {
                    target: r.target,
                    seq: r.seq,
                });
            }
        }
    }

    /// `-A` / `-f`: a timely reply brings the target's next probe forward.
    fn adapt(&mut self, target: TargetId, at: Instant) {
        let Some(min_gap) = self.cfg.settings.adaptive else {
            return;
        };
        let t = &self.targets[target.0];
        let Some((_, last_sent)) = t.last else { return };
        if !self.wants_more(t) || t.sent < self.cfg.settings.preload {
            return;
        }
        let due = at.max(last_sent + min_gap);
        if due < t.next_due {
            self.targets[target.0].next_due = due;
            self.schedule.push(Reverse((due, target.0)));
        }
    }

    /// A wire sequence number not used by a probe still waiting for its reply. Records of
    /// finished probes stay (to recognise late replies and duplicates) until reused.
    fn allocate_wire_seq(&mut self) -> u16 {
        for _ in 0..=u16::MAX as u32 {
            let seq = self.next_wire;
            self.next_wire = self.next_wire.wrapping_add(1);
            match self.records.get(&seq) {
                Some(r) if r.state == State::InFlight => continue,
                _ => return seq,
            }
        }
        // 65536 probes in flight at once: reuse the oldest number.
        self.next_wire
    }

    /// Bookkeeping when a probe stops being in flight.
    fn settle(&mut self, target: TargetId) {
        let t = &mut self.targets[target.0];
        t.in_flight = t.in_flight.saturating_sub(1);
        self.in_flight = self.in_flight.saturating_sub(1);
    }

    /// Bookkeeping when an answer (reply or ICMP error) to the probe `record` came in: its
    /// number moves to `state`, and a probe still in flight settles.
    fn answered(&mut self, wire_seq: u16, record: &Record, state: State) {
        if let Some(r) = self.records.get_mut(&wire_seq) {
            r.state = state;
        }
        if record.state == State::InFlight {
            self.settle(record.target);
        }
    }

    /// Writes the probe's payload (`size` bytes) into `buf`.
    pub fn payload<'b>(&self, probe: &Probe, buf: &'b mut [u8]) -> &'b [u8] {
        let len = self.cfg.settings.size.min(buf.len());
        let out = &mut buf[..len];
        let pattern = &self.cfg.settings.pattern;
        for (i, b) in out.iter_mut().enumerate() {
            *b = if pattern.is_empty() {
                i as u8
            } else {
                pattern[i % pattern.len()]
            };
        }
        if len >= MARK_LEN {
            out[..8].copy_from_slice(&self.cfg.token);
            out[8..12].copy_from_slice(&(probe.target.0 as u32).to_be_bytes());
            out[12..16].copy_from_slice(&(probe.seq as u32).to_be_bytes());
        }
        out
    }

    /// The precise time the probe left (taken right before `sendto`).
    pub fn sent(&mut self, probe: &Probe, at: Instant) {
        if let Some(r) = self.records.get_mut(&probe.wire_seq) {
            if r.target == probe.target && r.seq == probe.seq {
                r.sent_at = at;
            }
        }
    }

    /// The probe could not be sent: it counts as transmitted with an error.
    pub fn send_failed(&mut self, probe: &Probe, reason: String, mtu: Option<u32>) {
        if let Some(r) = self.records.get_mut(&probe.wire_seq) {
            if r.target == probe.target && r.seq == probe.seq && r.state == State::InFlight {
                r.state = State::Failed;
                self.settle(probe.target);
                self.targets[probe.target.0].stats.errors += 1;
                self.events.push_back(Event::SendFailed {
                    target: probe.target,
                    seq: probe.seq,
                    reason,
                    mtu,
                });
            }
        }
    }

    /// Finds the probe a reply or quote belongs to.
    fn find(
        &self,
        version: Version,
        ident: u16,
        wire_seq: u16,
        data: &[u8],
        addr: Option<IpAddr>,
        quoted: bool,
    ) -> Option<Record> {
        if ident != self.idents.get(version) {
            return None;
        }
        let record = *self.records.get(&wire_seq)?;
        let target = &self.targets[record.target.0];
        if Version::of(&target.addr) != version {
            return None;
        }
        if let Some(addr) = addr {
            if quoted && addr != target.addr {
                return None;
            }
        }
        let marked = self.cfg.settings.size >= MARK_LEN;
        if marked && data.len() >= MARK_LEN {
            let expected_target = (record.target.0 as u32).to_be_bytes();
            let expected_seq = (record.seq as u32).to_be_bytes();
            if data[..8] != self.cfg.token
                || data[8..12] != expected_target
                || data[12..16] != expected_seq
            {
                return None;
            }
        } else if marked && !quoted {
            // A reply must echo the data it was sent; a short one is not ours.
            return None;
        } else if !marked && !quoted && addr != Some(target.addr) {
            return None;
        }
        Some(record)
    }

    /// An echo reply arrived. Returns whether it was ours.
    pub fn on_reply(&mut self, reply: &EchoReply) -> bool {
        let version = Version::of(&reply.from);
        let Some(record) = self.find(
            version,
            reply.ident,
            reply.wire_seq,
            reply.data,
            Some(reply.from),
            false,
        ) else {
            return false;
        };
        let rtt = reply.at.saturating_duration_since(record.sent_at);
        let stats = &mut self.targets[record.target.0].stats;
        let status = match record.state {
            State::InFlight | State::Failed => {
                stats.received += 1;
                stats.record_rtt(rtt);
                self.adapt(record.target, reply.at);
                ReplyStatus::Ok
            }
            State::TimedOut => {
                stats.late += 1;
                ReplyStatus::Late
            }
            State::Replied => {
                stats.duplicates += 1;
                ReplyStatus::Duplicate
            }
        };
        self.answered(reply.wire_seq, &record, State::Replied);
        self.events.push_back(Event::Reply {
            target: record.target,
            seq: record.seq,
            from: reply.from,
            bytes: reply.bytes,
            ttl: reply.ttl,
            rtt,
            status,
        });
        true
    }

    /// An ICMP error quoting an echo request arrived. Returns whether it was about ours.
    pub fn on_error(&mut self, err: &ProbeError) -> bool {
        let Some(record) = self.find(
            err.version,
            err.ident,
            err.wire_seq,
            err.data,
            err.dst,
            true,
        ) else {
            return false;
        };
        if !matches!(record.state, State::InFlight | State::TimedOut) {
            return true; // already answered or failed: nothing new to count
        }
        self.targets[record.target.0].stats.errors += 1;
        self.answered(err.wire_seq, &record, State::Failed);
        self.events.push_back(Event::Error {
            target: record.target,
            seq: record.seq,
            from: err.from,
            kind: err.kind,
            rtt: err.at.saturating_duration_since(record.sent_at),
            mtu: err.mtu,
        });
        true
    }

    /// Lets time pass: probes whose timeout has passed become lost.
    pub fn advance(&mut self, now: Instant) {
        while let Some(&(wire, target, seq)) = self.timeouts.front() {
            let Some(record) = self.records.get(&wire).copied() else {
                self.timeouts.pop_front();
                continue;
            };
            if record.target != target || record.seq != seq {
                self.timeouts.pop_front(); // number reused: that probe was settled
                continue;
            }
            if record.state == State::InFlight && record.sent_at + self.cfg.settings.timeout > now {
                break;
            }
            self.timeouts.pop_front();
            if record.state == State::InFlight {
                if let Some(r) = self.records.get_mut(&wire) {
                    r.state = State::TimedOut;
                }
                self.settle(target);
                self.events.push_back(Event::Timeout { target, seq });
            }
            self.finished.push_back((wire, target, seq));
        }
        while self.finished.len() > RETAINED_FINISHED {
            let Some((wire, target, seq)) = self.finished.pop_front() else {
                break;
            };
            if let Some(r) = self.records.get(&wire) {
                if r.target == target && r.seq == seq && r.state != State::InFlight {
                    self.records.remove(&wire);
                }
            }
        }
    }

    pub fn poll_event(&mut self) -> Option<Event> {
        self.events.pop_front()
    }

    /// Stop sending (Ctrl-C); the run is finished at once.
    pub fn stop(&mut self) {
        self.stopped = true;
    }

    /// True when nothing is left to do: stopped, past the deadline, or every target has
    /// sent its probes and every probe is settled (replied, errored or timed out).
    pub fn is_finished(&self, now: Instant) -> bool {
        if self.stopped || self.past_deadline(now) {
            return true;
        }
        if self.in_flight > 0 || !self.events.is_empty() {
            return false;
        }
        !self
            .schedule
            .iter()
            .any(|Reverse((_, i))| self.wants_more(&self.targets[*i]))
    }

    /// When the driver must call in again even if nothing arrives.
    pub fn next_wakeup(&self) -> Option<Instant> {
        // The earliest entry may belong to a target that has just finished; waking up
        // for it once is harmless (poll_probe then drops it).
        let send = self.schedule.peek().map(|Reverse((due, _))| *due);
        let timeout = self.timeouts.iter().find_map(|(wire, target, seq)| {
            let r = self.records.get(wire)?;
            (r.target == *target && r.seq == *seq && r.state == State::InFlight)
                .then(|| r.sent_at + self.cfg.settings.timeout)
        });
        [send, timeout, self.deadline()].into_iter().flatten().min()
    }

    /// Probes to `target` still waiting for a reply within their timeout.
    pub fn in_flight_to(&self, target: TargetId) -> u64 {
        self.targets[target.0].in_flight
    }

    /// Whether every target has had at least one timely reply (exit status 0).
    pub fn all_answered(&self) -> bool {
        self.targets.iter().all(|t| t.stats.received > 0)
    }
}

#[cfg(test)]
#[path = "sim.rs"]
mod sim;
