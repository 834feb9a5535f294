//! One web attempt as the printers and the picture take it: what `web.rs` produces and
//! `web_report.rs` and `plot.rs` show (a file of its own so neither imports the runner).

use std::net::SocketAddr;

use super::stats::{Statistics, Times};
use crate::web::{Attempt, Phases};

/// One attempt of one hop of one target, as printed.
#[derive(Debug, Clone)]
pub struct Record {
    pub target: String,
    pub url: String,
    pub seq: u64,
    /// 0 for the request as given, 1.. for the redirects followed.
    pub hop: usize,
    pub address: Option<SocketAddr>,
    pub attempt: Attempt,
    /// Whether this hop counts as answered (for the last hop of a chain: the request).
    pub ok: bool,
}

/// The statistics of one target over its attempts.
#[derive(Debug, Clone)]
pub struct TargetStats {
    pub target: String,
    pub stats: PhaseStats,
}

/// Per-phase statistics over the attempts of one target (`-c N`): each phase's times go
/// through the same accumulator as the port probes' connect times (`stats.rs`), counting
/// only the attempts that reached the phase.
#[derive(Debug, Clone, Copy, Default)]
pub struct PhaseStats {
    phases: [Statistics; 6],
    pub attempts: u64,
    pub succeeded: u64,
}

impl PhaseStats {
    pub fn record(&mut self, phases: &Phases, succeeded: bool) {
        self.attempts += 1;
        self.succeeded += u64::from(succeeded);
        for (stats, phase) in self.phases.iter_mut().zip(phases.list()) {
            if phase.is_some() {
                stats.record(phase);
            }
        }
    }

    /// Each phase's figures, in [`crate::web::PHASE_NAMES`] order (None: never reached).
    pub fn spreads(&self) -> [Option<Times>; 6] {
        self.phases.map(|s| s.summary().times)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::time::{Duration, Instant};

    #[test]
    fn statistics_per_phase_count_the_attempts_that_reached_it() {
        let t0 = Instant::now();
        let mut stats = PhaseStats::default();
        for (connect, ok) in [(1, true), (3, true), (2, false)] {
            let mut line = crate::web::Timeline::new(t0);
            line.looked_up = Some(t0);
            line.connected = Some(t0 + Duration::from_millis(connect));
            line.end = line.connected;
            stats.record(&line.phases(), ok);
        }
        assert_eq!((stats.attempts, stats.succeeded), (3, 2));
        let spreads = stats.spreads();
        let connect = spreads[1].unwrap();
        assert_eq!(
            (connect.min_ms, connect.avg_ms, connect.max_ms),
            (1.0, 2.0, 3.0)
        );
        assert!((connect.mdev_ms - 0.816).abs() < 0.001, "{connect:?}");
        assert!(spreads[2].is_none(), "no attempt reached TLS");
    }
}
