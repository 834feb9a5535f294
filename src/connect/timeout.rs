//! How long a scan waits for the first try of a port: long enough for this path, not a
//! fixed second.
//!
//! A filtered port costs its whole timeout, twice (the second chance), so with a fixed
//! `--timeout 1s` a single DROP rule makes the fastest full scan take two seconds. nmap
//! adapts its timeout to the round-trip times it measures, and so does this: an RFC 6298
//! estimator (smoothed RTT plus four deviations) fed by every answered probe, never below
//! [`FLOOR`] and never above `--timeout`. Only the first try uses it; the second chance
//! waits the full `--timeout`, so a port is called filtered only after the patience the
//! user asked for. Pure arithmetic, no clock: tested below.

use std::sync::Mutex;
use std::time::Duration;

/// The shortest first-try timeout, as nmap's default `--min-rtt-timeout`: below it, a
/// moment's scheduling delay on a busy host would cost a second try for nothing.
pub const FLOOR: Duration = Duration::from_millis(100);

/// Smoothed round-trip time and its mean deviation (RFC 6298, section 2).
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct RttEstimator {
    state: Option<(f64, f64)>,
}

impl RttEstimator {
    pub const fn new() -> RttEstimator {
        RttEstimator { state: None }
    }

    /// Feeds one measured round trip.
    pub fn sample(&mut self, rtt: Duration) {
        let r = rtt.as_secs_f64();
        self.state = Some(match self.state {
            None => (r, r / 2.0),
            Some((srtt, rttvar)) => {
                let rttvar = 0.75 * rttvar + 0.25 * (srtt - r).abs();
                (0.875 * srtt + 0.125 * r, rttvar)
            }
        });
    }

    /// The timeout for the next first try: `ceiling` until something was measured.
    pub fn timeout(&self, ceiling: Duration) -> Duration {
        match self.state {
            None => ceiling,
            Some((srtt, rttvar)) => {
                Duration::from_secs_f64(srtt + 4.0 * rttvar).clamp(FLOOR.min(ceiling), ceiling)
            }
        }
    }
}

impl Default for RttEstimator {
    fn default() -> Self {
        RttEstimator::new()
    }
}

/// An estimator shared by a scan's workers.
#[derive(Debug, Default)]
pub struct SharedEstimator(Mutex<RttEstimator>);

impl SharedEstimator {
    pub fn sample(&self, rtt: Duration) {
        self.0.lock().unwrap_or_else(|e| e.into_inner()).sample(rtt);
    }

    pub fn timeout(&self, ceiling: Duration) -> Duration {
        self.0
            .lock()
            .unwrap_or_else(|e| e.into_inner())
            .timeout(ceiling)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    const SECOND: Duration = Duration::from_secs(1);

    #[test]
    fn waits_the_full_timeout_until_something_is_measured() {
        assert_eq!(RttEstimator::new().timeout(SECOND), SECOND);
    }

    #[test]
    fn a_fast_path_gets_the_floor() {
        let mut rtt = RttEstimator::new();
        for _ in 0..50 {
            rtt.sample(Duration::from_micros(20));
        }
        assert_eq!(rtt.timeout(SECOND), FLOOR);
    }

    #[test]
    fn a_slow_path_gets_rtt_plus_four_deviations() {
        let mut rtt = RttEstimator::new();
        rtt.sample(Duration::from_millis(200));
        // First sample: srtt 200 ms, rttvar 100 ms: 600 ms.
        assert_eq!(rtt.timeout(SECOND), Duration::from_millis(600));
        for _ in 0..100 {
            rtt.sample(Duration::from_millis(200));
        }
        let settled = rtt.timeout(SECOND);
        assert!(settled >= Duration::from_millis(200) && settled < Duration::from_millis(210));
    }

    #[test]
    fn never_above_the_users_timeout_nor_below_the_floor() {
        let mut rtt = RttEstimator::new();
        rtt.sample(Duration::from_secs(3));
        assert_eq!(rtt.timeout(SECOND), SECOND);
        // A --timeout under the floor wins over the floor.
        let mut fast = RttEstimator::new();
        fast.sample(Duration::from_micros(5));
        assert_eq!(
            fast.timeout(Duration::from_millis(50)),
            Duration::from_millis(50)
        );
    }

    #[test]
    fn jitter_widens_the_timeout() {
        let mut steady = RttEstimator::new();
        let mut jittery = RttEstimator::new();
        for i in 0..40 {
            steady.sample(Duration::from_millis(150));
            jittery.sample(Duration::from_millis(if i % 2 == 0 { 50 } else { 250 }));
        }
        assert!(jittery.timeout(SECOND) > steady.timeout(SECOND));
    }
}
