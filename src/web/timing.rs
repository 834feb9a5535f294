//! The phases of one request, timed at their edges as `curl -w` reports them, so the two
//! can be compared figure by figure. An attempt records an instant at each edge it
//! reaches; this file turns them into durations. No clock is read here: the tests feed
//! instants.
//!
//! curl's `-w` variables are cumulative from the start (`time_namelookup`,
//! `time_connect`, `time_appconnect`, `time_starttransfer`, `time_total`); netlab shows
//! each phase on its own (name lookup, TCP connect, TLS handshake, request to first
//! byte, transfer) and the total, so `time_connect - time_namelookup` is netlab's connect
//! phase and so on.

use std::time::{Duration, Instant};

/// The edges an attempt reached, in order. A phase that did not happen (no name to look
/// up, no TLS) has its edge equal to the previous one; a phase that failed leaves its
/// edge and every later one unset.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Timeline {
    pub start: Instant,
    pub looked_up: Option<Instant>,
    pub connected: Option<Instant>,
    pub handshaken: Option<Instant>,
    /// The response's head (status line and headers) arrived.
    pub first_byte: Option<Instant>,
    /// The body ended.
    pub done: Option<Instant>,
    /// When the attempt ended, whatever it reached (the total).
    pub end: Option<Instant>,
}

/// The phases, each on its own; `None` for a phase the attempt did not reach.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct Phases {
    pub lookup: Option<Duration>,
    pub connect: Option<Duration>,
    pub tls: Option<Duration>,
    pub first_byte: Option<Duration>,
    pub transfer: Option<Duration>,
    pub total: Option<Duration>,
}

/// The phase names, in order, as tables and JSON spell them (with `_ms` in JSON).
pub const PHASE_NAMES: [&str; 6] = [
    "lookup",
    "connect",
    "tls",
    "first_byte",
    "transfer",
    "total",
];

impl Timeline {
    pub fn new(start: Instant) -> Timeline {
        Timeline {
            start,
            looked_up: None,
            connected: None,
            handshaken: None,
            first_byte: None,
            done: None,
            end: None,
        }
    }

    pub fn phases(&self) -> Phases {
        let between = |from: Option<Instant>, to: Option<Instant>| match (from, to) {
            (Some(a), Some(b)) => Some(b.saturating_duration_since(a)),
            _ => None,
        };
        Phases {
            lookup: between(Some(self.start), self.looked_up),
            connect: between(self.looked_up, self.connected),
            tls: between(self.connected, self.handshaken),
            first_byte: between(self.handshaken, self.first_byte),
            transfer: between(self.first_byte, self.done),
            total: between(Some(self.start), self.end),
        }
    }
}

impl Phases {
    /// The phases in [`PHASE_NAMES`] order.
    pub fn list(&self) -> [Option<Duration>; 6] {
        [
            self.lookup,
            self.connect,
            self.tls,
            self.first_byte,
            self.transfer,
            self.total,
        ]
    }

    /// curl's cumulative figures: namelookup, connect, appconnect, starttransfer, total.
    pub fn cumulative(&self) -> [Option<Duration>; 5] {
        let mut sum = Duration::ZERO;
        let mut out = [None; 5];
        for (slot, phase) in out.iter_mut().zip([
            self.lookup,
            self.connect,
            self.tls,
            self.first_byte,
            self.transfer,
        ]) {
            let Some(phase) = phase else { break };
            sum += phase;
            *slot = Some(sum);
        }
        out[4] = self.total.or(out[4]);
        out
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn ms(n: u64) -> Duration {
        Duration::from_millis(n)
    }

    #[test]
    fn every_edge_gives_its_phase_and_curls_sums() {
        let t0 = Instant::now();
        let line = Timeline {
            start: t0,
            looked_up: Some(t0 + ms(2)),
            connected: Some(t0 + ms(5)),
            handshaken: Some(t0 + ms(15)),
            first_byte: Some(t0 + ms(40)),
            done: Some(t0 + ms(41)),
            end: Some(t0 + ms(41)),
        };
        let p = line.phases();
        assert_eq!(
            p.list(),
            [ms(2), ms(3), ms(10), ms(25), ms(1), ms(41)].map(Some)
        );
        assert_eq!(
            p.cumulative(),
            [ms(2), ms(5), ms(15), ms(40), ms(41)].map(Some)
        );
    }

    #[test]
    fn a_failed_phase_leaves_the_later_ones_empty() {
        let t0 = Instant::now();
        let mut line = Timeline::new(t0);
        line.looked_up = Some(t0);
        line.connected = Some(t0 + ms(1));
        line.end = Some(t0 + ms(1001));
        let p = line.phases();
        assert_eq!(p.lookup, Some(Duration::ZERO));
        assert_eq!(p.connect, Some(ms(1)));
        assert_eq!((p.tls, p.first_byte, p.transfer), (None, None, None));
        assert_eq!(p.total, Some(ms(1001)));
        assert_eq!(p.cumulative()[2], None);
        assert_eq!(p.cumulative()[4], Some(ms(1001)));
    }
}
