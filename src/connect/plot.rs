//! `connect -c N --plot FILE https://...`: each attempt's phases stacked in one bar
//! (lookup, TCP connect, TLS handshake, request to first byte, transfer), so a slow
//! phase, and the attempt where it was slow, show at a glance, as httpstat's bar does for
//! one request. Only the phases an attempt reached are drawn; a failed attempt gets a
//! mark in the loss colour at the top.

use plotters::prelude::*;

use super::web_record::Record;
use crate::error::Failure;
use crate::plot::{axes, font, headroom, Area, PlotFile, LOST, PALETTE, SIZE};

/// The stacked phases, in order, with their legend names.
const STACK: [&str; 5] = ["lookup", "connect", "tls", "first byte", "transfer"];

/// Draws and saves the picture of `records` (the attempts, all targets, redirects too).
pub fn phases(file: &PlotFile, records: &[Record]) -> Result<(), Failure> {
    let svg = crate::plot::svg(SIZE, |area| draw(area, records));
    file.save(&svg)
}

/// Each bar's segments in milliseconds: `(start, end)` per reached phase.
pub fn stacks(records: &[Record]) -> Vec<Vec<(f64, f64)>> {
    records
        .iter()
        .map(|r| {
            let p = r.attempt.timeline.phases();
            let mut at = 0.0;
            [p.lookup, p.connect, p.tls, p.first_byte, p.transfer]
                .into_iter()
                .map_while(|phase| {
                    let ms = phase?.as_secs_f64() * 1000.0;
                    let segment = (at, at + ms);
                    at += ms;
                    Some(segment)
                })
                .collect()
        })
        .collect()
}

fn draw(area: &Area, records: &[Record]) -> Result<(), String> {
    let err = |e: DrawingAreaErrorKind<_>| e.to_string();
    let area = area
        .titled("connect: phases per attempt", font(20))
        .map_err(err)?;
    let stacks = stacks(records);
    let top = stacks
        .iter()
        .filter_map(|s| s.last().map(|&(_, end)| end))
        .fold(0.0, f64::max);
    let y_max = headroom(top);
    let n = records.len().max(1) as f64;
    let mut chart = ChartBuilder::on(&area)
        .margin(12)
        .x_label_area_size(44)
        .y_label_area_size(64)
        .build_cartesian_2d(0.0..n + 1.0, 0.0..y_max)
        .map_err(err)?;
    // Attempts are whole numbers: label them so.
    let whole = |x: &f64| {
        if x.fract() == 0.0 {
            format!("{x:.0}")
        } else {
            String::new()
        }
    };
    axes(&mut chart.configure_mesh(), "attempt", "time (ms)")
        .x_label_formatter(&whole)
        .draw()
        .map_err(err)?;
    for (phase, name) in STACK.iter().enumerate() {
        let colour = PALETTE[phase % PALETTE.len()];
        let bars: Vec<Rectangle<(f64, f64)>> = stacks
            .iter()
            .enumerate()
            .filter_map(|(i, s)| {
                let &(from, to) = s.get(phase)?;
                let x = i as f64 + 1.0;
                Some(Rectangle::new(
                    [(x - 0.35, from), (x + 0.35, to)],
                    colour.filled(),
                ))
            })
            .collect();
        chart
            .draw_series(bars)
            .map_err(err)?
            .label(*name)
            .legend(move |(x, y)| Rectangle::new([(x, y - 5), (x + 10, y + 5)], colour.filled()));
    }
    let failed: Vec<f64> = records
        .iter()
        .enumerate()
        .filter(|(_, r)| !r.ok)
        .map(|(i, _)| i as f64 + 1.0)
        .collect();
    chart
        .draw_series(
            failed
                .into_iter()
                .map(|x| TriangleMarker::new((x, y_max * 0.95), 6, LOST.filled())),
        )
        .map_err(err)?;
    chart
        .configure_series_labels()
        .label_font(font(14))
        .border_style(BLACK)
        .background_style(WHITE.mix(0.9))
        .draw()
        .map_err(err)?;
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::time::{Duration, Instant};

    fn record(reached: usize, ok: bool) -> Record {
        let t0 = Instant::now();
        let mut line = crate::web::Timeline::new(t0);
        let edges = [1, 2, 4, 7, 8];
        let at = |ms: u64| Some(t0 + Duration::from_millis(ms));
        if reached > 0 {
            line.looked_up = at(edges[0]);
        }
        if reached > 1 {
            line.connected = at(edges[1]);
        }
        if reached > 2 {
            line.handshaken = at(edges[2]);
        }
        if reached > 3 {
            line.first_byte = at(edges[3]);
        }
        if reached > 4 {
            line.done = at(edges[4]);
        }
        line.end = at(9);
        Record {
            target: "https://x/".into(),
            url: "https://x/".into(),
            seq: 1,
            hop: 0,
            address: None,
            attempt: crate::web::Attempt {
                timeline: line,
                tls: None,
                response: None,
                error: None,
            },
            ok,
        }
    }

    #[test]
    fn each_attempt_is_a_stack_of_the_phases_it_reached() {
        let stacks = stacks(&[record(5, true), record(2, false)]);
        assert_eq!(
            stacks[0],
            [(0.0, 1.0), (1.0, 2.0), (2.0, 4.0), (4.0, 7.0), (7.0, 8.0)]
        );
        assert_eq!(stacks[1], [(0.0, 1.0), (1.0, 2.0)]);
    }

    #[test]
    fn the_svg_has_a_bar_segment_per_phase_and_a_mark_per_failure() {
        let svg = crate::plot::svg(SIZE, |area| {
            draw(area, &[record(5, true), record(2, false)])
        });
        let texts: Vec<String> = crate::plot::tests::texts(&svg)
            .into_iter()
            .map(|(_, text)| text)
            .collect();
        for name in STACK {
            assert!(texts.iter().any(|t| t == name), "legend {name}: {texts:?}");
        }
        assert_eq!(svg.matches("<polygon").count(), 1, "one failed attempt");
    }
}
