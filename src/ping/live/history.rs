//! What `ping --watch` remembers of each target: a bounded ring of the latest probes for
//! the chart and the window's figures, and the run's figures since the start or the last
//! `r`. Fed by the driver's events only, so it is tested without a network or terminal.
//!
//! The ring holds at most [`HISTORY`] probes per target whatever the run's length
//! (memory flat over days), and every figure of the window is computed from the probes
//! inside it, so drawing costs the same after a week as after a minute. The run's RTT
//! figures are kept by the engine's own [`Stats`] type, so the view's min, avg, max,
//! stdev and jitter are the summary's, computed the same way. Loss is counted over
//! settled probes (answered, timed out or answered by an error): one still in flight is
//! not lost yet, so the figure does not flicker on each send.

use std::collections::VecDeque;
use std::net::IpAddr;
use std::time::{Duration, Instant};

use crate::packet::IcmpErrorKind;

use super::super::engine::{Event, ReplyStatus, Stats};

/// Probes kept per target: 27 minutes at `-i 0.2`, 2 h 16 min at 1 s.
pub const HISTORY: usize = 8192;

/// How a probe ended.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Outcome {
    Reply(Duration),
    /// No reply within the timeout.
    Lost,
    /// An ICMP error (unreachable, TTL exceeded...) or a send that failed.
    Error(Option<IcmpErrorKind>),
}

/// One probe of the ring: when it left, and how it ended.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Sample {
    /// Since the view's start.
    pub sent: Duration,
    pub outcome: Outcome,
}

/// One target's history and figures.
#[derive(Debug, Clone, Default)]
pub struct Track {
    /// In the order the probes settled (a timeout settles after later replies, so
    /// `sent` is not monotonic).
    pub samples: VecDeque<Sample>,
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
    /// How much older than a later one a sample may be (`-W`: a timeout settles after
    /// replies to later probes), so a window's samples are found from the newest back.
    pub slack: Duration,
}

/// Probes without a reply, in a row, that make a target "down".
pub const DOWN_AFTER: u64 = 3;

impl Track {
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
        if self.samples.len() == HISTORY {
            self.samples.pop_front();
        }
        self.samples.push_back(sample);
        match sample.outcome {
            Outcome::Reply(_) => self.failing = 0,
            _ => self.failing += 1,
        }
    }

    /// The samples sent at `from` or later, newest first. Walks back from the newest and
    /// stops past the window (give or take the slack), so the cost is the window's,
    /// not the ring's.
    pub fn since(&self, from: Duration) -> impl Iterator<Item = &Sample> {
        let stop = from.saturating_sub(self.slack);
        self.samples
            .iter()
            .rev()
            .take_while(move |s| s.sent >= stop)
            .filter(move |s| s.sent >= from)
    }
}

/// The figures of the probes in a window.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct Window {
    pub settled: u64,
    pub failed: u64,
    /// Nearest-rank 95th percentile of the replies' RTTs.
    pub p95: Option<Duration>,
}

impl Window {
    pub fn of<'a>(samples: impl Iterator<Item = &'a Sample>) -> Window {
        let mut rtts = Vec::new();
        let mut settled = 0;
        for s in samples {
            settled += 1;
            if let Outcome::Reply(rtt) = s.outcome {
                rtts.push(rtt);
            }
        }
        rtts.sort_unstable();
        let p95 = (!rtts.is_empty()).then(|| {
            let rank = (0.95 * rtts.len() as f64).ceil() as usize;
            rtts[rank.clamp(1, rtts.len()) - 1]
        });
        Window {
            settled,
            failed: settled - rtts.len() as u64,
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
        let track = Track {
            slack: timeout + Duration::from_secs(1),
            ..Track::default()
        };
        Board {
            tracks: vec![track; targets],
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
