//! The path's picture: who answered at each hop (a rotated `<text>` label per hop, `*`
//! for a hop where nobody did), the RTT of every answered probe (a `<circle>` each), and
//! the share of probes per hop that got no answer (a bar; a `*` hop is a full one).
//!
//! It draws [`HopSamples`], not a trace: `trace` gives `-q` samples a hop, and a trace
//! run in rounds (`--cycles`, `--watch`) hands in the samples its statistics hold per hop
//! ([`HopSamples::of_rounds`], [`rounds_svg`]) and gets its loss and RTT per hop from the
//! same [`draw`]. Over rounds, each hop's loss bar is split by the statistics' verdict:
//! the part every later hop shares (lost in forwarding, in the colour of loss) below the
//! part that stops at this hop (the router's own replies missing, in a second colour),
//! with a legend naming both; the bar is the loss over every round, as the report's
//! `loss%`, while the RTT marks are the answers the history keeps (the last 512 probes).

use std::net::IpAddr;

use plotters::prelude::*;
use plotters::style::text_anchor::{HPos, Pos, VPos};

use super::engine::{Hop, ProbeResult};
use super::stats::{HopSummary, Snapshot};
use crate::plot::{axes, font, headroom, Area, INK, LOST, REPLIES_ONLY, REPLY, SIZE};

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
    /// Rounds only: the hop's loss over every round, split by the verdict (`None` for
    /// one trace, whose bar is the share of `unanswered`).
    pub split: Option<LossSplit>,
}

/// A hop's loss in percent of its probes: the part every later hop shares (forwarding)
/// and the part that stops at this hop (only the router's own replies missing).
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct LossSplit {
    pub forwarding: f64,
    pub replies_only: f64,
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
            split: None,
        }
    }

    /// One hop over the rounds, as the report's row shows it: its responders (with
    /// their shares when several answered), the RTT of every answer its history keeps,
    /// and its loss over every round split by the verdict.
    pub fn of_rounds(hop: &HopSummary) -> HopSamples {
        let mut shown: Vec<String> = hop
            .responders
            .iter()
            .map(|r| {
                let who = match &r.name {
                    Some(name) => format!("{} ({name})", r.address),
                    None => r.address.to_string(),
                };
                if hop.responders.len() > 1 {
                    format!("{who} {:.0}%", r.share * 100.0)
                } else {
                    who
                }
            })
            .collect();
        if hop.other_responders > 0 {
            shown.push(format!("+{} from others", hop.other_responders));
        }
        let label = if shown.is_empty() {
            "*".to_string()
        } else {
            shown.join(", ")
        };
        let rtts_ms: Vec<f64> = hop
            .history
            .iter()
            .filter_map(|s| s.rtt.map(crate::output::ms))
            .collect();
        HopSamples {
            ttl: hop.ttl,
            label,
            unanswered: hop.history.len() - rtts_ms.len(),
            rtts_ms,
            split: Some(LossSplit {
                forwarding: hop.loss.forwarding_percent,
                replies_only: hop.loss.replies_only_percent,
            }),
        }
    }

    /// Percent of this hop's probes that got no answer (over rounds: over every round).
    pub fn loss_percent(&self) -> f64 {
        if let Some(split) = self.split {
            return split.forwarding + split.replies_only;
        }
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

/// The picture of rounds to `target` (typed text and address, as the header shows it):
/// flow 0's hops from `snapshot`, the statistics the report prints.
pub fn rounds_svg(target: &str, method: &str, snapshot: &Snapshot, flows: usize) -> String {
    let samples: Vec<HopSamples> = snapshot.hops.iter().map(HopSamples::of_rounds).collect();
    let rounds = snapshot.rounds;
    let mut title = format!(
        "trace to {target}, {method}, {rounds} round{}: loss and RTT per hop",
        if rounds == 1 { "" } else { "s" }
    );
    if flows > 1 {
        title.push_str(&format!(" (flow 0 of {flows})"));
    }
    // The history is a ring: past its length, the marks are the last probes only.
    if let Some(kept) = snapshot
        .hops
        .iter()
        .filter(|h| (h.history.len() as u64) < h.sent)
        .map(|h| h.history.len())
        .max()
    {
        title.push_str(&format!(", RTTs of the last {kept} probes"));
    }
    svg(&samples, &title)
}

/// The whole picture as SVG text.
pub fn svg(hops: &[HopSamples], title: &str) -> String {
    crate::plot::svg(SIZE, |area| draw(area, hops, title))
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
    // One trace: the unanswered share. Rounds: the forwarding part, then the
    // replies-only part stacked on it (a part of 0 draws nothing).
    let bars = hops.iter().flat_map(|h| {
        let t = h.ttl as f64;
        let (forwarding, replies) = match h.split {
            Some(s) => (s.forwarding, s.replies_only),
            None if h.unanswered > 0 => (h.loss_percent(), 0.0),
            None => (0.0, 0.0),
        };
        let total = forwarding + replies;
        [
            (forwarding > 0.0)
                .then(|| Rectangle::new([(t - 0.3, 0.0), (t + 0.3, forwarding)], LOST.filled())),
            (replies > 0.0).then(|| {
                Rectangle::new(
                    [(t - 0.3, forwarding), (t + 0.3, total)],
                    REPLIES_ONLY.filled(),
                )
            }),
        ]
        .into_iter()
        .flatten()
    });
    chart.draw_series(bars).map_err(err)?;
    if hops.iter().any(|h| h.split.is_some()) {
        legend(area)?;
    }
    Ok(())
}

/// Names the two parts of a rounds' loss bar, top right of the loss panel: a coloured
/// square glyph (text, so no bar is counted twice) and dark words.
fn legend(area: &Area) -> Result<(), String> {
    let err = |e: DrawingAreaErrorKind<_>| e.to_string();
    let width = area.dim_in_pixel().0 as i32;
    let x = width - 330;
    let lines = [
        (LOST, "lost in forwarding (later hops too)"),
        (REPLIES_ONLY, "only this router's replies missing"),
    ];
    for (i, (colour, words)) in lines.iter().enumerate() {
        let y = 16 + 20 * i as i32;
        area.draw(&Text::new("■", (x, y), font(16).color(colour)))
            .map_err(err)?;
        area.draw(&Text::new(*words, (x + 20, y), font(14)))
            .map_err(err)?;
    }
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
                split: None,
            },
            HopSamples {
                ttl: 2,
                label: "*".into(),
                rtts_ms: vec![],
                unanswered: 3,
                split: None,
            },
            HopSamples {
                ttl: 3,
                label: "198.18.2.2".into(),
                rtts_ms: vec![1.0, 1.5],
                unanswered: 1,
                split: None,
            },
        ]
    }

    #[test]
    fn a_circle_per_answer_a_label_per_hop_a_bar_per_lossy_hop() {
        let svg = svg(&hops(), "trace");
        assert_eq!(svg.matches("<circle").count(), 5, "{svg}");
        // Hop labels read top down (rotate 90); the y axis titles read bottom up.
        let labels: Vec<String> = crate::plot::tests::texts(&svg)
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

    /// Over rounds the bar is the verdict's two parts, stacked, with a legend; the marks
    /// are the answers.
    #[test]
    fn a_rounds_bar_is_split_by_the_verdict() {
        let mut h = hops();
        h[1].rtts_ms = vec![2.0];
        h[1].unanswered = 1;
        h[1].label = "198.18.1.2".into();
        h[1].split = Some(LossSplit {
            forwarding: 0.0,
            replies_only: 50.0,
        });
        h[2].split = Some(LossSplit {
            forwarding: 10.0,
            replies_only: 20.0,
        });
        h[0].split = Some(LossSplit {
            forwarding: 0.0,
            replies_only: 0.0,
        });
        assert_eq!(h[2].loss_percent(), 30.0);
        let svg = svg(&h, "rounds");
        assert_eq!(svg.matches("<circle").count(), 6, "{svg}");
        let fill = |c: RGBColor| format!("fill=\"#{:02X}{:02X}{:02X}\"", c.0, c.1, c.2);
        let bars = |c: RGBColor| {
            svg.lines()
                .filter(|l| l.contains("<rect") && l.contains(&fill(c)))
                .count()
        };
        assert_eq!((bars(LOST), bars(REPLIES_ONLY)), (1, 2), "{svg}");
        assert!(
            svg.contains("only this router&apos;s replies missing")
                || svg.contains("only this router's replies missing"),
            "{svg}"
        );
    }

    #[test]
    fn loss_is_the_share_of_unanswered_probes() {
        let h = hops();
        assert_eq!(h[0].loss_percent(), 0.0);
        assert_eq!(h[1].loss_percent(), 100.0);
        assert_eq!(h[2].loss_percent(), 100.0 / 3.0);
    }
}
