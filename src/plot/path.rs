//! The path's picture: who answered at each hop (a rotated `<text>` label per hop, `*`
//! for a hop where nobody did), the RTT of every answered probe (a `<circle>` each), and
//! the share of probes per hop that got no answer (a bar; a `*` hop is a full one).
//!
//! It draws [`HopSamples`], not a trace: `trace` gives `-q` samples a hop, and a trace
//! run in rounds (`--cycles`, `--watch`) can hand in every round's samples per hop and
//! get its loss and RTT per hop from the same [`draw`].

use std::net::IpAddr;

use plotters::prelude::*;
use plotters::style::text_anchor::{HPos, Pos, VPos};

use super::{axes, font, headroom, Area, INK, LOST, REPLY, SIZE};
use crate::trace::engine::{Hop, ProbeResult};

/// What was measured at one TTL.
#[derive(Debug, Clone, PartialEq)]
pub struct HopSamples {
    pub ttl: u8,
    /// Who answered (addresses, maybe with names), or `*`.
    pub label: String,
    /// The RTT of every answered probe, ms.
    pub rtts_ms: Vec<f64>,
    /// Probes with no answer (silent, or not sent).
    pub unanswered: usize,
}

impl HopSamples {
    /// One trace hop, its responders shown by `shown`.
    pub fn of(hop: &Hop, shown: impl Fn(IpAddr) -> String) -> HopSamples {
        let responders = hop.responders();
        let label = if responders.is_empty() {
            "*".to_string()
        } else {
            responders
                .into_iter()
                .map(shown)
                .collect::<Vec<_>>()
                .join(", ")
        };
        let rtts_ms = hop
            .probes
            .iter()
            .filter_map(|p| match p {
                ProbeResult::Answered { rtt, .. } => Some(crate::output::ms(*rtt)),
                _ => None,
            })
            .collect::<Vec<_>>();
        HopSamples {
            ttl: hop.ttl,
            label,
            unanswered: hop.probes.len() - rtts_ms.len(),
            rtts_ms,
        }
    }

    /// Percent of this hop's probes that got no answer.
    pub fn loss_percent(&self) -> f64 {
        let total = self.rtts_ms.len() + self.unanswered;
        if total == 0 {
            0.0
        } else {
            self.unanswered as f64 * 100.0 / total as f64
        }
    }
}

/// The picture of one trace to `target` (typed as `text`), its responders shown by
/// `shown`.
pub fn trace_svg(
    text: &str,
    target: IpAddr,
    method: &str,
    hops: &[Hop],
    shown: impl Fn(IpAddr) -> String,
) -> String {
    let samples: Vec<HopSamples> = hops.iter().map(|h| HopSamples::of(h, &shown)).collect();
    let target = if text == target.to_string() {
        text.to_string()
    } else {
        format!("{text} ({target})")
    };
    svg(
        &samples,
        &format!("trace to {target}, {method}: RTT per hop"),
    )
}

/// The whole picture as SVG text.
pub fn svg(hops: &[HopSamples], title: &str) -> String {
    super::svg(SIZE, |area| draw(area, hops, title))
}

/// Labels above, RTT per hop in the middle, unanswered probes per hop below.
pub fn draw(area: &Area, hops: &[HopSamples], title: &str) -> Result<(), String> {
    let area = area.titled(title, font(22)).map_err(|e| e.to_string())?;
    let height = area.dim_in_pixel().1;
    let (labels, rest) = area.split_vertically(height * 30 / 100);
    let (rtt, loss) = rest.split_vertically((height - height * 30 / 100) * 62 / 100);
    let x = x_range(hops);
    draw_labels(&labels, hops, x.clone())?;
    draw_rtts(&rtt, hops, x.clone())?;
    draw_loss(&loss, hops, x)
}

fn x_range(hops: &[HopSamples]) -> std::ops::Range<f64> {
    let first = hops.iter().map(|h| h.ttl).min().unwrap_or(1) as f64;
    let last = hops.iter().map(|h| h.ttl).max().unwrap_or(1) as f64;
    (first - 0.5)..(last + 0.5)
}

// Every panel has the same margin and y-label width, so a hop is at the same x in all.
const MARGIN: u32 = 12;
const Y_LABELS: u32 = 64;

fn draw_labels(area: &Area, hops: &[HopSamples], x: std::ops::Range<f64>) -> Result<(), String> {
    let err = |e: DrawingAreaErrorKind<_>| e.to_string();
    let chart = ChartBuilder::on(area)
        .margin(MARGIN)
        .y_label_area_size(Y_LABELS)
        .build_cartesian_2d(x, 0.0..1.0)
        .map_err(err)?;
    let plot = chart.plotting_area();
    let size = if hops.len() > 20 { 11 } else { 13 };
    // Reads top down from the top of the band; a longer label is cut with `…` (plotters'
    // naive metrics without a font stack: about 0.5 em a letter in DejaVu Sans).
    let fits = (plot.dim_in_pixel().1 as f64 / (size as f64 * 0.5)) as usize;
    for hop in hops {
        let (label, size, colour) = if hop.rtts_ms.is_empty() {
            (hop.label.clone(), 24, LOST)
        } else if hop.label.chars().count() > fits {
            let cut: String = hop.label.chars().take(fits.saturating_sub(1)).collect();
            (format!("{cut}…"), size, INK)
        } else {
            (hop.label.clone(), size, INK)
        };
        let style = font(size)
            .transform(FontTransform::Rotate90)
            .pos(Pos::new(HPos::Left, VPos::Center))
            .color(&colour);
        plot.draw(&Text::new(label, (hop.ttl as f64, 1.0), style))
            .map_err(err)?;
    }
    Ok(())
}

fn draw_rtts(area: &Area, hops: &[HopSamples], x: std::ops::Range<f64>) -> Result<(), String> {
    let err = |e: DrawingAreaErrorKind<_>| e.to_string();
    let max = hops
        .iter()
        .flat_map(|h| h.rtts_ms.iter().copied())
        .fold(0.0, f64::max);
    let mut chart = ChartBuilder::on(area)
        .margin(MARGIN)
        .y_label_area_size(Y_LABELS)
        .x_label_area_size(8)
        .build_cartesian_2d(x, 0.0..headroom(max))
        .map_err(err)?;
    axes(&mut chart.configure_mesh(), "", "RTT (ms)")
        .disable_x_mesh()
        .disable_x_axis()
        .draw()
        .map_err(err)?;
    chart
        .draw_series(hops.iter().flat_map(|h| {
            h.rtts_ms
                .iter()
                .map(move |&rtt| Circle::new((h.ttl as f64, rtt), 4, REPLY.filled()))
        }))
        .map_err(err)?;
    Ok(())
}

fn draw_loss(area: &Area, hops: &[HopSamples], x: std::ops::Range<f64>) -> Result<(), String> {
    let err = |e: DrawingAreaErrorKind<_>| e.to_string();
    let mut chart = ChartBuilder::on(area)
        .margin(MARGIN)
        .y_label_area_size(Y_LABELS)
        .x_label_area_size(44)
        .build_cartesian_2d(x, 0.0..100.0)
        .map_err(err)?;
    let ticks = hops.len().clamp(1, 30);
    axes(&mut chart.configure_mesh(), "hop (TTL)", "no answer (%)")
        .disable_x_mesh()
        .x_labels(ticks)
        .x_label_formatter(&|v| {
            // Only whole TTLs are hops.
            if (v - v.round()).abs() < 1e-6 {
                format!("{}", v.round() as i64)
            } else {
                String::new()
            }
        })
        .y_labels(5)
        .draw()
        .map_err(err)?;
    chart
        .draw_series(hops.iter().filter(|h| h.unanswered > 0).map(|h| {
            let t = h.ttl as f64;
            Rectangle::new([(t - 0.3, 0.0), (t + 0.3, h.loss_percent())], LOST.filled())
        }))
        .map_err(err)?;
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    fn hops() -> Vec<HopSamples> {
        vec![
            HopSamples {
                ttl: 1,
                label: "198.18.0.2".into(),
                rtts_ms: vec![0.1, 0.2, 0.3],
                unanswered: 0,
            },
            HopSamples {
                ttl: 2,
                label: "*".into(),
                rtts_ms: vec![],
                unanswered: 3,
            },
            HopSamples {
                ttl: 3,
                label: "198.18.2.2".into(),
                rtts_ms: vec![1.0, 1.5],
                unanswered: 1,
            },
        ]
    }

    #[test]
    fn a_circle_per_answer_a_label_per_hop_a_bar_per_lossy_hop() {
        let svg = svg(&hops(), "trace");
        assert_eq!(svg.matches("<circle").count(), 5, "{svg}");
        // Hop labels read top down (rotate 90); the y axis titles read bottom up.
        let labels: Vec<String> = super::super::tests::texts(&svg)
            .into_iter()
            .filter(|(tag, _)| tag.contains("rotate(90,"))
            .map(|(_, text)| text)
            .collect();
        assert_eq!(labels, ["198.18.0.2", "*", "198.18.2.2"]);
        let lost = format!("fill=\"#{:02X}{:02X}{:02X}\"", LOST.0, LOST.1, LOST.2);
        let bars = svg
            .lines()
            .filter(|l| l.contains("<rect") && l.contains(&lost))
            .count();
        assert_eq!(bars, 2, "{svg}");
        assert!(svg.contains("hop (TTL)") && svg.contains("RTT (ms)"));
    }

    #[test]
    fn loss_is_the_share_of_unanswered_probes() {
        let h = hops();
        assert_eq!(h[0].loss_percent(), 0.0);
        assert_eq!(h[1].loss_percent(), 100.0);
        assert_eq!(h[2].loss_percent(), 100.0 / 3.0);
    }
}
