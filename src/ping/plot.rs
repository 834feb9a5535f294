//! Ping's picture: RTT per probe over time (a `<circle>` per reply, a `<polygon>`
//! triangle along the top per lost probe, another colour for ICMP errors), and below it
//! the histogram of the RTTs.
//!
//! [`Timeline`] collects what to draw from the observer calls every ping driver makes
//! (`sent`, then an event per probe), so `ping --plot` and `check` share it. The time of
//! a probe is when it left, taken as it leaves; a probe still unanswered when the run
//! was stopped is not drawn (it was neither answered nor lost). Memory is bounded: a
//! target keeps its [`KEPT`] most recent probes.

use std::collections::VecDeque;
use std::time::Instant;

use plotters::prelude::*;

use super::engine::Event;
use crate::plot::{axes, font, headroom, Area, ERROR, GRID, LOST, PALETTE, SIZE};

/// Probes kept per target (a day at one a second).
pub const KEPT: usize = 86_400;

/// What became of one probe.
#[derive(Debug, Clone, Copy, PartialEq)]
pub enum Outcome {
    /// Not settled yet.
    Pending,
    Reply {
        rtt_ms: f64,
    },
    /// No reply within the timeout.
    Lost,
    /// An ICMP error came back, or the send failed.
    Error,
}

#[derive(Debug, Clone, Copy, PartialEq)]
pub struct Probe {
    pub seq: u64,
    /// Seconds from the run's first probe to this one's leaving.
    pub sent_s: f64,
    pub outcome: Outcome,
}

/// One target's probes.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct Series {
    pub label: String,
    pub probes: VecDeque<Probe>,
}

impl Series {
    pub fn replies(&self) -> impl Iterator<Item = (f64, f64)> + '_ {
        self.probes.iter().filter_map(|p| match p.outcome {
            Outcome::Reply { rtt_ms } => Some((p.sent_s, rtt_ms)),
            _ => None,
        })
    }

    /// Runs of consecutive answered probes, as (time, RTT) points.
    pub fn runs(&self) -> Vec<Vec<(f64, f64)>> {
        let mut runs: Vec<Vec<(f64, f64)>> = vec![Vec::new()];
        for p in &self.probes {
            match p.outcome {
                Outcome::Reply { rtt_ms } => {
                    runs.last_mut().expect("one run").push((p.sent_s, rtt_ms))
                }
                Outcome::Pending => {}
                Outcome::Lost | Outcome::Error => runs.push(Vec::new()),
            }
        }
        runs.retain(|r| r.len() > 1);
        runs
    }

    fn with(&self, outcome: Outcome) -> impl Iterator<Item = f64> + '_ {
        self.probes
            .iter()
            .filter(move |p| p.outcome == outcome)
            .map(|p| p.sent_s)
    }
}

/// The probes of a run, per target, as they are sent and settled.
#[derive(Debug, Clone, Default)]
pub struct Timeline {
    start: Option<Instant>,
    pub series: Vec<Series>,
}

impl Timeline {
    /// One series per target, labelled as the target was given.
    pub fn new(labels: impl IntoIterator<Item = String>) -> Timeline {
        Timeline {
            start: None,
            series: labels
                .into_iter()
                .map(|label| Series {
                    label,
                    probes: VecDeque::new(),
                })
                .collect(),
        }
    }

    /// Probe `seq` of target `target` has just left.
    pub fn sent(&mut self, target: usize, seq: u64) {
        let now = Instant::now();
        let start = *self.start.get_or_insert(now);
        let Some(series) = self.series.get_mut(target) else {
            return;
        };
        if series.probes.len() == KEPT {
            series.probes.pop_front();
        }
        series.probes.push_back(Probe {
            seq,
            sent_s: now.duration_since(start).as_secs_f64(),
            outcome: Outcome::Pending,
        });
    }

    /// Probe `seq` of `target` ended so. Only the first outcome counts: a duplicate or
    /// a late reply after a timeout changes nothing (ping counts neither as received).
    pub fn settle(&mut self, target: usize, seq: u64, outcome: Outcome) {
        let Some(series) = self.series.get_mut(target) else {
            return;
        };
        // Sequence numbers rise with time, so the probe is found by bisection.
        if let Ok(i) = series.probes.binary_search_by_key(&seq, |p| p.seq) {
            let probe = &mut series.probes[i];
            if probe.outcome == Outcome::Pending {
                probe.outcome = outcome;
            }
        }
    }

    /// What an event of the ping engine settles.
    pub fn record(&mut self, event: &Event) {
        let (target, seq, outcome) = match event {
            Event::Reply {
                target, seq, rtt, ..
            } => (
                target,
                seq,
                Outcome::Reply {
                    rtt_ms: crate::output::ms(*rtt),
                },
            ),
            Event::Timeout { target, seq } => (target, seq, Outcome::Lost),
            Event::Error { target, seq, .. } | Event::SendFailed { target, seq, .. } => {
                (target, seq, Outcome::Error)
            }
            // `-O` says a probe is late, not that it is lost: it may still be answered.
            Event::Outstanding { .. } => return,
        };
        self.settle(target.0, *seq, outcome);
    }

    /// Draws the whole picture as SVG text.
    pub fn svg(&self, title: &str) -> String {
        crate::plot::svg(SIZE, |area| self.draw(area, title))
    }

    /// Draws the picture on `area`: RTT over time above, the histogram below.
    pub fn draw(&self, area: &Area, title: &str) -> Result<(), String> {
        let area = area.titled(title, font(22)).map_err(|e| e.to_string())?;
        let (top, bottom) = area.split_vertically(area.dim_in_pixel().1 * 3 / 5);
        self.draw_over_time(&top)?;
        self.draw_histogram(&bottom)
    }

    fn max_rtt(&self) -> f64 {
        self.series
            .iter()
            .flat_map(|s| s.replies().map(|(_, rtt)| rtt))
            .fold(0.0, f64::max)
    }

    /// RTT per probe over time; lost probes and errors as triangles along the top.
    pub fn draw_over_time(&self, area: &Area) -> Result<(), String> {
        let err = |e: DrawingAreaErrorKind<_>| e.to_string();
        let last = self
            .series
            .iter()
            .flat_map(|s| s.probes.iter().map(|p| p.sent_s))
            .fold(0.0, f64::max);
        let x_max = if last > 0.0 { last * 1.03 } else { 1.0 };
        let y_max = headroom(self.max_rtt());
        let mut chart = ChartBuilder::on(area)
            .margin(12)
            .x_label_area_size(44)
            .y_label_area_size(64)
            .build_cartesian_2d(0.0..x_max, 0.0..y_max)
            .map_err(err)?;
        axes(
            &mut chart.configure_mesh(),
            "time since the first probe (s)",
            "RTT (ms)",
        )
        .draw()
        .map_err(err)?;
        // The triangles sit in a band at the top, under the headroom.
        let band = y_max * 0.95;
        let mut lost = 0;
        let mut errors = 0;
        for (i, series) in self.series.iter().enumerate() {
            let colour = PALETTE[i % PALETTE.len()];
            let replies: Vec<(f64, f64)> = series.replies().collect();
            // A line joins consecutive replies only: none is drawn across a lost probe.
            for run in series.runs() {
                chart
                    .draw_series(LineSeries::new(run, colour.mix(0.35)))
                    .map_err(err)?;
            }
            let legend = if self.series.len() > 1 {
                series.label.clone()
            } else {
                "reply".to_string()
            };
            chart
                .draw_series(
                    replies
                        .iter()
                        .map(|&(x, y)| Circle::new((x, y), 3, colour.filled())),
                )
                .map_err(err)?
                .label(legend)
                .legend(move |(x, y)| {
                    Rectangle::new([(x, y - 5), (x + 10, y + 5)], colour.filled())
                });
            let gone: Vec<f64> = series.with(Outcome::Lost).collect();
            lost += gone.len();
            chart
                .draw_series(
                    gone.into_iter()
                        .map(|x| TriangleMarker::new((x, band), 6, LOST.filled())),
                )
                .map_err(err)?;
            let failed: Vec<f64> = series.with(Outcome::Error).collect();
            errors += failed.len();
            chart
                .draw_series(
                    failed
                        .into_iter()
                        .map(|x| TriangleMarker::new((x, band), 6, ERROR.filled())),
                )
                .map_err(err)?;
        }
        // Legend swatches are rectangles, never the marks themselves, so the marks can
        // be counted.
        if lost > 0 {
            chart
                .draw_series(std::iter::empty::<Circle<(f64, f64), i32>>())
                .map_err(err)?
                .label(format!("lost ({lost}): no reply within the timeout"))
                .legend(|(x, y)| Rectangle::new([(x, y - 5), (x + 10, y + 5)], LOST.filled()));
        }
        if errors > 0 {
            chart
                .draw_series(std::iter::empty::<Circle<(f64, f64), i32>>())
                .map_err(err)?
                .label(format!("ICMP error or failed send ({errors})"))
                .legend(|(x, y)| Rectangle::new([(x, y - 5), (x + 10, y + 5)], ERROR.filled()));
        }
        chart
            .configure_series_labels()
            .position(SeriesLabelPosition::LowerRight)
            .background_style(WHITE.mix(0.9))
            .border_style(GRID)
            .label_font(font(14))
            .draw()
            .map_err(err)?;
        Ok(())
    }

    /// How many replies fell in each RTT range.
    pub fn draw_histogram(&self, area: &Area) -> Result<(), String> {
        let err = |e: DrawingAreaErrorKind<_>| e.to_string();
        let rtts: Vec<Vec<f64>> = self
            .series
            .iter()
            .map(|s| s.replies().map(|(_, rtt)| rtt).collect())
            .collect();
        let all: Vec<f64> = rtts.iter().flatten().copied().collect();
        let bins = Bins::of(&all);
        let counts: Vec<Vec<usize>> = rtts.iter().map(|r| bins.count(r)).collect();
        let y_max = counts.iter().flatten().copied().max().unwrap_or(0);
        let mut chart = ChartBuilder::on(area)
            .margin(12)
            .x_label_area_size(44)
            .y_label_area_size(64)
            .build_cartesian_2d(bins.lo..bins.hi(), 0.0..headroom(y_max as f64))
            .map_err(err)?;
        axes(&mut chart.configure_mesh(), "RTT (ms)", "replies")
            // Counts are whole numbers: one label per count at most.
            .y_labels((y_max + 1).min(10))
            .y_label_formatter(&|v| format!("{v:.0}"))
            .draw()
            .map_err(err)?;
        let alpha = if self.series.len() > 1 { 0.55 } else { 0.9 };
        for (i, counts) in counts.iter().enumerate() {
            let colour = PALETTE[i % PALETTE.len()];
            chart
                .draw_series(
                    counts
                        .iter()
                        .enumerate()
                        .filter(|(_, &n)| n > 0)
                        .map(|(b, &n)| {
                            let (lo, hi) = bins.range(b);
                            Rectangle::new([(lo, 0.0), (hi, n as f64)], colour.mix(alpha).filled())
                        }),
                )
                .map_err(err)?;
        }
        Ok(())
    }
}

/// Equal-width RTT ranges covering every reply: about √n of them (at most 40), and a
/// single range around the value when all replies took the same time.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct Bins {
    pub lo: f64,
    pub width: f64,
    pub count: usize,
}

impl Bins {
    pub fn of(values: &[f64]) -> Bins {
        let min = values.iter().copied().fold(f64::INFINITY, f64::min);
        let max = values.iter().copied().fold(0.0, f64::max);
        if values.is_empty() {
            return Bins {
                lo: 0.0,
                width: 1.0,
                count: 1,
            };
        }
        let count = ((values.len() as f64).sqrt().ceil() as usize).clamp(1, 40);
        let span = max - min;
        if span <= f64::EPSILON {
            let width = (min * 0.1).max(0.001);
            return Bins {
                lo: (min - width / 2.0).max(0.0),
                width,
                count: 1,
            };
        }
        Bins {
            lo: min,
            width: span / count as f64,
            count,
        }
    }

    pub fn hi(&self) -> f64 {
        self.lo + self.width * self.count as f64
    }

    pub fn range(&self, bin: usize) -> (f64, f64) {
        let lo = self.lo + self.width * bin as f64;
        (lo, lo + self.width)
    }

    /// Replies per range; the largest value falls in the last range.
    pub fn count(&self, values: &[f64]) -> Vec<usize> {
        let mut counts = vec![0; self.count];
        for v in values {
            let bin = ((v - self.lo) / self.width).floor().max(0.0) as usize;
            counts[bin.min(self.count - 1)] += 1;
        }
        counts
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn timeline() -> Timeline {
        let mut t = Timeline::new(["h".to_string()]);
        for seq in 1..=5 {
            t.sent(0, seq);
        }
        t.settle(0, 1, Outcome::Reply { rtt_ms: 1.0 });
        t.settle(0, 2, Outcome::Lost);
        t.settle(0, 2, Outcome::Reply { rtt_ms: 9.0 }); // late: stays lost
        t.settle(0, 3, Outcome::Reply { rtt_ms: 2.0 });
        t.settle(0, 4, Outcome::Error);
        t
    }

    #[test]
    fn only_the_first_outcome_of_a_probe_counts() {
        let t = timeline();
        let outcomes: Vec<Outcome> = t.series[0].probes.iter().map(|p| p.outcome).collect();
        assert_eq!(
            outcomes,
            [
                Outcome::Reply { rtt_ms: 1.0 },
                Outcome::Lost,
                Outcome::Reply { rtt_ms: 2.0 },
                Outcome::Error,
                Outcome::Pending
            ]
        );
    }

    #[test]
    fn the_picture_has_a_circle_per_reply_and_a_triangle_per_loss() {
        let svg = timeline().svg("ping h");
        assert_eq!(svg.matches("<circle").count(), 2, "{svg}");
        let lost = format!("fill=\"#{:02X}{:02X}{:02X}\"", LOST.0, LOST.1, LOST.2);
        let polygons_lost = svg
            .lines()
            .filter(|l| l.contains("<polygon") && l.contains(&lost))
            .count();
        assert_eq!(polygons_lost, 1, "{svg}");
        assert!(svg.contains("RTT (ms)") && svg.contains("time since the first probe (s)"));
    }

    #[test]
    fn lines_never_cross_a_lost_probe() {
        let t = timeline();
        // Replies 1 and 3 are apart: 2 was lost, so no line joins them.
        assert!(t.series[0].runs().is_empty());
        let mut t = Timeline::new(["h".to_string()]);
        for seq in 1..=4 {
            t.sent(0, seq);
            let outcome = match seq {
                3 => Outcome::Lost,
                _ => Outcome::Reply { rtt_ms: seq as f64 },
            };
            t.settle(0, seq, outcome);
        }
        let runs = t.series[0].runs();
        assert_eq!(runs.len(), 1);
        assert_eq!(runs[0].iter().map(|p| p.1).collect::<Vec<_>>(), [1.0, 2.0]);
    }

    #[test]
    fn many_targets_each_get_their_circles_and_a_legend_entry() {
        let mut t = Timeline::new(["a.test".to_string(), "b.test".to_string()]);
        for seq in 1..=3 {
            for target in 0..2 {
                t.sent(target, seq);
                t.settle(
                    target,
                    seq,
                    Outcome::Reply {
                        rtt_ms: seq as f64 + target as f64,
                    },
                );
            }
        }
        let svg = t.svg("ping a.test, b.test");
        assert_eq!(svg.matches("<circle").count(), 6);
        let texts: Vec<String> = crate::plot::tests::texts(&svg)
            .into_iter()
            .map(|t| t.1)
            .collect();
        assert!(texts.iter().any(|t| t == "a.test") && texts.iter().any(|t| t == "b.test"));
    }

    #[test]
    fn a_run_without_replies_draws_its_losses_on_empty_axes() {
        let mut t = Timeline::new(["h".to_string()]);
        for seq in 1..=3 {
            t.sent(0, seq);
            t.settle(0, seq, Outcome::Lost);
        }
        let svg = t.svg("ping h");
        assert_eq!(svg.matches("<circle").count(), 0);
        assert_eq!(svg.matches("<polygon").count(), 3, "{svg}");
        assert!(svg.contains("lost (3)"));
        // And nothing at all (an interrupted run before the first probe) still draws.
        let empty = Timeline::new(["h".to_string()]).svg("ping h");
        assert!(empty.contains("RTT (ms)"));
    }

    #[test]
    fn memory_is_bounded() {
        let mut t = Timeline::new(["h".to_string()]);
        for seq in 1..=(KEPT as u64 + 10) {
            t.sent(0, seq);
        }
        assert_eq!(t.series[0].probes.len(), KEPT);
        assert_eq!(t.series[0].probes[0].seq, 11);
    }

    #[test]
    fn bins_cover_every_value() {
        let b = Bins::of(&[1.0, 2.0, 3.0, 4.0]);
        assert_eq!(b.count, 2);
        assert_eq!(b.count(&[1.0, 2.0, 3.0, 4.0]), vec![2, 2]);
        let same = Bins::of(&[5.0, 5.0]);
        assert_eq!(same.count(&[5.0, 5.0]), vec![2]);
        assert!(same.lo < 5.0 && same.hi() > 5.0);
    }
}
