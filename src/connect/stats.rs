//! tcping-style statistics for repeated probes of one endpoint (`-c COUNT`): how many were
//! sent, how many found the port open, and the connect times as ping reports RTTs
//! (min/avg/max/mdev, mdev being the standard deviation, as in ping's summary).

use std::time::Duration;

#[derive(Debug, Clone, Copy, Default, PartialEq)]
pub struct Statistics {
    sent: u64,
    open: u64,
    /// Times in milliseconds, accumulated without keeping every sample.
    sum_ms: f64,
    sum_sq_ms: f64,
    min_ms: f64,
    max_ms: f64,
}

/// The figures to print once probing ends.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct Summary {
    pub sent: u64,
    pub open: u64,
    pub failed: u64,
    pub loss_percent: f64,
    /// None when no probe found the port open.
    pub times: Option<Times>,
}

#[derive(Debug, Clone, Copy, PartialEq)]
pub struct Times {
    pub min_ms: f64,
    pub avg_ms: f64,
    pub max_ms: f64,
    pub mdev_ms: f64,
}

impl Statistics {
    /// Records one probe; `open` carries its connect (or reply) time.
    pub fn record(&mut self, open: Option<Duration>) {
        self.sent += 1;
        let Some(time) = open else { return };
        let ms = time.as_secs_f64() * 1000.0;
        if self.open == 0 || ms < self.min_ms {
            self.min_ms = ms;
        }
        if self.open == 0 || ms > self.max_ms {
            self.max_ms = ms;
        }
        self.open += 1;
        self.sum_ms += ms;
        self.sum_sq_ms += ms * ms;
    }

    pub fn open(&self) -> u64 {
        self.open
    }

    pub fn summary(&self) -> Summary {
        let failed = self.sent - self.open;
        let loss_percent = if self.sent == 0 {
            0.0
        } else {
            round3(failed as f64 * 100.0 / self.sent as f64)
        };
        let times = (self.open > 0).then(|| {
            let n = self.open as f64;
            let avg = self.sum_ms / n;
            // Rounding can make the variance a hair below zero for equal samples.
            let variance = (self.sum_sq_ms / n - avg * avg).max(0.0);
            Times {
                min_ms: round3(self.min_ms),
                avg_ms: round3(avg),
                max_ms: round3(self.max_ms),
                mdev_ms: round3(variance.sqrt()),
            }
        });
        Summary {
            sent: self.sent,
            open: self.open,
            failed,
            loss_percent,
            times,
        }
    }
}

/// Microsecond precision, as the rows print times.
fn round3(ms: f64) -> f64 {
    (ms * 1000.0).round() / 1000.0
}

#[cfg(test)]
mod tests {
    use super::*;

    fn ms(value: f64) -> Option<Duration> {
        Some(Duration::from_secs_f64(value / 1000.0))
    }

    #[test]
    fn nothing_sent_is_all_zero() {
        let summary = Statistics::default().summary();
        assert_eq!((summary.sent, summary.open, summary.failed), (0, 0, 0));
        assert_eq!(summary.loss_percent, 0.0);
        assert_eq!(summary.times, None);
    }

    #[test]
    fn computes_min_avg_max_mdev_like_ping() {
        let mut stats = Statistics::default();
        for sample in [1.0, 2.0, 3.0, 4.0] {
            stats.record(ms(sample));
        }
        stats.record(None);
        let summary = stats.summary();
        assert_eq!((summary.sent, summary.open, summary.failed), (5, 4, 1));
        assert_eq!(summary.loss_percent, 20.0);
        let times = summary.times.unwrap();
        assert_eq!(times.min_ms, 1.0);
        assert_eq!(times.avg_ms, 2.5);
        assert_eq!(times.max_ms, 4.0);
        // population standard deviation of 1,2,3,4 = sqrt(1.25)
        assert_eq!(times.mdev_ms, 1.118);
    }

    #[test]
    fn all_failed_has_no_times() {
        let mut stats = Statistics::default();
        stats.record(None);
        stats.record(None);
        let summary = stats.summary();
        assert_eq!(summary.failed, 2);
        assert_eq!(summary.loss_percent, 100.0);
        assert!(summary.times.is_none());
    }

    #[test]
    fn equal_samples_have_zero_mdev() {
        let mut stats = Statistics::default();
        for _ in 0..3 {
            stats.record(ms(0.1));
        }
        let times = stats.summary().times.unwrap();
        assert_eq!(times.mdev_ms, 0.0);
        assert_eq!(times.min_ms, times.max_ms);
    }
}
