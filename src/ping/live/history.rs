//! What `ping --watch` remembers of each target: for every time window the view can
//! show, a fixed ring of buckets (how many replies, losses and errors, the fastest and
//! slowest reply), and the run's figures since the start or the last `r`. Fed by the
//! driver's events only, so it is tested without a network or terminal.
//!
//! Why buckets and not the probes: a ring of probes grows with the run until it is full
//! (27 minutes at `-i 0.2` for 8192 probes), so memory was not flat over the first half
//! hour, and a wide window at a short interval holds far more probes than the chart has
//! columns. The chart can show at most one point per column, so each window `W` of
//! [`WINDOWS`] keeps [`COLUMNS`] buckets of `W / COLUMNS` (plus two for the edges) in a
//! ring indexed by time: a probe lands in the bucket of the time it was sent, a bucket
//! older than the ring is overwritten, and nothing is ever allocated after the start.
//! The rings are written in full when a track is made, so the memory they take is
//! resident from the first second (flat, not filling), about 62 KB a target. Like
//! gping's and trippy's bounded windows, but keeping per bucket what the view draws:
//! min and max (both plotted) and every loss and error (marked). Drawing and the
//! window's figures walk one ring of [`SLOTS`] buckets: the cost does not grow with the
//! run.
//!
//! The window's p95 comes from the buckets: each bucket's replies are counted as one at
//! its minimum and the rest at its maximum, which is exact while a bucket holds at most
//! two replies (every window up to 2 min at `-i 0.2` on a chart of up to 320 columns)
//! and otherwise never below the true p95.
//!
//! The run's RTT figures are kept by the engine's own [`Stats`] type, so the view's min,
//! avg, max, stdev and jitter are the summary's, computed the same way. Loss is counted
//! over settled probes (answered, timed out or answered by an error): one still in
//! flight is not lost yet, so the figure does not flicker on each send.

use std::net::IpAddr;
use std::time::{Duration, Instant};

use crate::packet::IcmpErrorKind;

use super::super::engine::{Event, ReplyStatus, Stats};

/// The time windows `+` and `-` step through.
pub const WINDOWS: [Duration; 8] = [
    Duration::from_secs(10),
    Duration::from_secs(30),
    Duration::from_secs(60),
    Duration::from_secs(120),
    Duration::from_secs(300),
    Duration::from_secs(600),
    Duration::from_secs(1200),
    Duration::from_secs(1800),
];
/// Buckets per window: the chart's widest plot with a bucket per column (a terminal of
/// 330 columns; a wider one spaces the points out).
pub const COLUMNS: u32 = 320;
/// A window's ring: its buckets, the one `now` falls in, and one spare.
pub const SLOTS: usize = COLUMNS as usize + 2;

/// How a probe ended.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Outcome {
    Reply(Duration),
    /// No reply within the timeout.
    Lost,
    /// An ICMP error (unreachable, TTL exceeded...) or a send that failed.
    Error(Option<IcmpErrorKind>),
}

/// One probe: when it left, and how it ended.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Sample {
    /// Since the view's start.
    pub sent: Duration,
    pub outcome: Outcome,
}

/// The probes sent in one stretch of time, as the chart and the window's figures need
/// them. 24 bytes; RTTs in whole microseconds (the table's resolution).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Bucket {
    /// Which stretch of its ring's width this is (start / width); [`EMPTY`]: none yet.
    epoch: u32,
    pub replies: u32,
    pub lost: u32,
    pub errors: u32,
    min_us: u32,
    max_us: u32,
}

/// The epoch of a slot never written (not 0, so that the rings are written, and
/// resident, when made).
const EMPTY: u32 = u32::MAX;

impl Bucket {
    const NONE: Bucket = Bucket {
        epoch: EMPTY,
        replies: 0,
        lost: 0,
        errors: 0,
        min_us: u32::MAX,
        max_us: 0,
    };

    fn add(&mut self, outcome: Outcome) {
        match outcome {
            Outcome::Reply(rtt) => {
                let us = u32::try_from(rtt.as_micros()).unwrap_or(u32::MAX);
                self.replies = self.replies.saturating_add(1);
                self.min_us = self.min_us.min(us);
                self.max_us = self.max_us.max(us);
            }
            Outcome::Lost => self.lost = self.lost.saturating_add(1),
            Outcome::Error(_) => self.errors = self.errors.saturating_add(1),
        }
    }

    /// The fastest reply in the bucket.
    pub fn min(&self) -> Option<Duration> {
        (self.replies > 0).then(|| Duration::from_micros(self.min_us.into()))
    }

    /// The slowest reply in the bucket.
    pub fn max(&self) -> Option<Duration> {
        (self.replies > 0).then(|| Duration::from_micros(self.max_us.into()))
    }

    pub fn settled(&self) -> u64 {
        u64::from(self.replies) + u64::from(self.lost) + u64::from(self.errors)
    }
}

/// One window's ring of buckets, indexed by time.
#[derive(Debug, Clone)]
struct Ring {
    /// The time a bucket covers, in ns.
    width: u64,
    slots: Box<[Bucket]>,
}

impl Ring {
    fn new(window: Duration) -> Ring {
        Ring {
            width: (window.as_nanos() / u128::from(COLUMNS)) as u64,
            slots: vec![Bucket::NONE; SLOTS].into_boxed_slice(),
        }
    }

    /// The epoch of the bucket `at` falls in (saturating after 4 years at 10 s).
    fn epoch(&self, at: Duration) -> u32 {
        u32::try_from(at.as_nanos() / u128::from(self.width)).unwrap_or(EMPTY - 1)
    }

    fn add(&mut self, sample: Sample) {
        let epoch = self.epoch(sample.sent);
        let slot = &mut self.slots[epoch as usize % SLOTS];
        if slot.epoch == EMPTY || slot.epoch < epoch {
            *slot = Bucket {
                epoch,
                ..Bucket::NONE
            };
        } else if slot.epoch > epoch {
            // A timeout settling late, older than the whole ring: outside the window.
            return;
        }
        slot.add(sample.outcome);
    }

    /// The buckets of the window ending at `end`, oldest first, each with the middle of
    /// its stretch of time.
    fn window(&self, window: Duration, end: Duration) -> impl Iterator<Item = (Duration, &Bucket)> {
        let last = self.epoch(end);
        let first = self
            .epoch(end.saturating_sub(window))
            .max(last.saturating_sub(SLOTS as u32 - 1));
        let width = self.width;
        (first..=last).filter_map(move |epoch| {
            let bucket = &self.slots[epoch as usize % SLOTS];
            let middle = Duration::from_nanos(u64::from(epoch) * width + width / 2);
            (bucket.epoch == epoch).then_some((middle, bucket))
        })
    }
}

/// One target's history and figures.
#[derive(Debug, Clone)]
pub struct Track {
    /// One ring per window of [`WINDOWS`].
    rings: Vec<Ring>,
    /// Since the start or the last reset: the report's figures (`transmitted` counts
    /// sends, `received` timely first replies, `errors` errors).
    pub stats: Stats,
    /// Probes that timed out.
    pub lost: u64,
    pub last: Option<Duration>,
    /// Who answered last (the address that answers).
    pub from: Option<IpAddr>,
    /// Failures (loss or errors) since the last reply: the target is down from
    /// [`DOWN_AFTER`] on.
    pub failing: u64,
}

/// Probes without a reply, in a row, that make a target "down".
pub const DOWN_AFTER: u64 = 3;

impl Track {
    pub fn new() -> Track {
        Track {
            rings: WINDOWS.iter().map(|w| Ring::new(*w)).collect(),
            stats: Stats::default(),
            lost: 0,
            last: None,
            from: None,
            failing: 0,
        }
    }

    /// Settled probes since the reset that never got a timely reply.
    pub fn failed(&self) -> u64 {
        self.lost + self.stats.errors
    }

    /// Loss over the settled probes since the reset, in percent (`None`: none settled).
    pub fn loss_percent(&self) -> Option<f64> {
        let settled = self.stats.received + self.failed();
        (settled > 0).then(|| self.failed() as f64 * 100.0 / settled as f64)
    }

    /// Probes in a row without an answer, or no answer at all yet with some settled.
    pub fn down(&self) -> bool {
        self.failing >= DOWN_AFTER || (self.stats.received == 0 && self.failing > 0)
    }

    fn push(&mut self, sample: Sample) {
        for ring in &mut self.rings {
            ring.add(sample);
        }
        match sample.outcome {
            Outcome::Reply(_) => self.failing = 0,
            _ => self.failing += 1,
        }
    }

    /// The buckets of window `index` (of [`WINDOWS`]) that ends at `end`, oldest first,
    /// each with the middle of the time it covers. At most [`SLOTS`], however long the
    /// run.
    pub fn window(&self, index: usize, end: Duration) -> impl Iterator<Item = (Duration, &Bucket)> {
        let index = index.min(WINDOWS.len() - 1);
        self.rings[index].window(WINDOWS[index], end)
    }

    /// Buckets kept, whatever the run's length: [`SLOTS`] per window.
    #[cfg(test)]
    pub fn capacity(&self) -> usize {
        self.rings.iter().map(|r| r.slots.len()).sum()
    }
}

impl Default for Track {
    fn default() -> Track {
        Track::new()
    }
}

/// The figures of the probes in a window.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct Window {
    pub settled: u64,
    pub failed: u64,
    /// Nearest-rank 95th percentile of the replies' RTTs (from the buckets: see the
    /// module's docs).
    pub p95: Option<Duration>,
}

impl Window {
    pub fn of<'a>(buckets: impl Iterator<Item = &'a Bucket>) -> Window {
        // (RTT, replies at it): one at a bucket's minimum, the rest at its maximum.
        let mut rtts = Vec::with_capacity(2 * SLOTS);
        let (mut settled, mut replies) = (0, 0u64);
        for b in buckets {
            settled += b.settled();
            replies += u64::from(b.replies);
            if let (Some(min), Some(max)) = (b.min(), b.max()) {
                rtts.push((min, 1));
                if b.replies > 1 {
                    rtts.push((max, u64::from(b.replies) - 1));
                }
            }
        }
        rtts.sort_unstable();
        let rank = ((0.95 * replies as f64).ceil() as u64).max(1);
        let mut seen = 0;
        let p95 = rtts.iter().find_map(|&(rtt, n)| {
            seen += n;
            (seen >= rank).then_some(rtt)
        });
        Window {
            settled,
            failed: settled - replies,
            p95,
        }
    }

    pub fn loss_percent(&self) -> Option<f64> {
        (self.settled > 0).then(|| self.failed as f64 * 100.0 / self.settled as f64)
    }
}

/// Every target's track, and the clock they share.
#[derive(Debug, Clone)]
pub struct Board {
    pub tracks: Vec<Track>,
    /// The start, or the last reset.
    pub since: Instant,
    /// `-W`: a timed-out probe left this long before its timeout.
    pub timeout: Duration,
}

impl Board {
    pub fn new(targets: usize, timeout: Duration, now: Instant) -> Board {
        Board {
            tracks: (0..targets).map(|_| Track::new()).collect(),
            since: now,
            timeout,
        }
    }

    /// `r`: everything starts again.
    pub fn reset(&mut self, now: Instant) {
        *self = Board::new(self.tracks.len(), self.timeout, now);
    }
    /// A probe to `target` left.
    pub fn sent(&mut self, target: usize) {
        self.tracks[target].stats.transmitted += 1;
    }

    /// What the driver said at `now`.
    pub fn event(&mut self, event: &Event, now: Instant) {
        let ago = |d: Duration| now.checked_sub(d).unwrap_or(now);
        let at = |this: &Board, when: Instant| when.saturating_duration_since(this.since);
        match event {
            Event::Reply {
                target,
                from,
                rtt,
                status,
                ..
            } => {
                let sent = at(self, ago(*rtt));
                let track = &mut self.tracks[target.0];
                match status {
                    ReplyStatus::Ok => {
                        track.stats.received += 1;
                        track.stats.record_rtt(*rtt);
                        track.last = Some(*rtt);
                        track.from = Some(*from);
                        track.push(Sample {
                            sent,
                            outcome: Outcome::Reply(*rtt),
                        });
                    }
                    ReplyStatus::Duplicate => track.stats.duplicates += 1,
                    // Counted as lost when it timed out; the mark stays.
                    ReplyStatus::Late => track.stats.late += 1,
                }
            }
            Event::Timeout { target, .. } => {
                // The probe left one timeout ago: its mark goes where it was sent.
                let sent = self.timeout_sent(now);
                let track = &mut self.tracks[target.0];
                track.lost += 1;
                track.push(Sample {
                    sent,
                    outcome: Outcome::Lost,
                });
            }
            Event::Error {
                target, kind, rtt, ..
            } => {
                let sent = at(self, ago(*rtt));
                let track = &mut self.tracks[target.0];
                track.stats.errors += 1;
                track.push(Sample {
                    sent,
                    outcome: Outcome::Error(Some(*kind)),
                });
            }
            Event::SendFailed { target, .. } => {
                let sent = at(self, now);
                let track = &mut self.tracks[target.0];
                track.stats.errors += 1;
                track.push(Sample {
                    sent,
                    outcome: Outcome::Error(None),
                });
            }
            Event::Outstanding { .. } => {}
        }
    }

    /// When a probe that timed out at `now` left.
    fn timeout_sent(&self, now: Instant) -> Duration {
        now.checked_sub(self.timeout)
            .unwrap_or(now)
            .saturating_duration_since(self.since)
    }
}
