//! The live view's picture: a pure function of the statistics [`Snapshot`] and the
//! [`View`] state (paused, names, clock). No terminal here, so every row, sparkline and
//! verdict is tested with ratatui's `TestBackend`.
//!
//! Layout, top to bottom: the title (target, method, round, clock, a PAUSED banner); the
//! hops, one line each (the report's figures, then the RTT history as a sparkline, `×`
//! for a lost probe, scaled to the hop's own worst in view so a spike stands out); the
//! loss explained (where real loss begins, each hop's verdict and why); the responders of
//! hops that answer from several addresses, with their shares; the ICMP extensions each
//! responder sent in its latest answer; with `-A`, the AS of each
//! hop (its number before the host, its name and prefixes below); the latest path
//! changes; the keys.

use std::time::Duration;

use ratatui::layout::{Constraint, Layout, Rect};
use ratatui::style::{Color, Modifier, Style};
use ratatui::text::{Line, Span};
use ratatui::widgets::{Paragraph, Row, Sparkline, SparklineBar, Table};
use ratatui::Frame;

use crate::live::rtt_text;
use crate::output;
use crate::trace::stats::{HopSummary, LossKind, Responder, Snapshot};

/// What the view shows besides the statistics.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct View {
    /// "trace to host (addr), udp port 33434, 0.2 s apart".
    pub title: String,
    pub paused: bool,
    /// Names shown (the `n` key); with `-n` there are none to show.
    pub names: bool,
    pub names_possible: bool,
    /// Since the start, or since the last reset.
    pub elapsed: Duration,
    /// Resets so far (the figures cover the time since the last one).
    pub resets: u32,
    /// Colours (not with `NO_COLOR` set; bold and reverse video stay).
    pub color: bool,
    /// `-A`: each host is shown after its AS number (`AS???` while unknown), as mtr -z
    /// does, and the AS names are listed below the table.
    pub asn: bool,
}

/// The symbol of a lost probe in a sparkline.
pub const LOST: &str = "×";
/// The keys, as the help line shows them.
pub const HELP: &str = "q quit · p pause/resume · r reset · n names on/off · Ctrl-C quit";

/// Widths of the hop table's columns (hop, host, loss%, sent, recv, last, avg, best,
/// worst, stdev, jitter).
const COLUMNS: [u16; 11] = [3, 28, 6, 5, 5, 7, 7, 7, 7, 7, 7];
const TITLES: [&str; 11] = [
    "hop", "host", "loss%", "sent", "recv", "last", "avg", "best", "worst", "stdev", "jttr",
];

/// Draws the whole view into `frame`.
pub fn draw(frame: &mut Frame, snapshot: &Snapshot, view: &View) {
    let area = frame.area();
    let table_height = (snapshot.hops.len() as u16 + 1).max(2);
    let [title, hops, details, help] = Layout::vertical([
        Constraint::Length(1),
        Constraint::Length(table_height),
        Constraint::Min(0),
        Constraint::Length(1),
    ])
    .areas(area);
    frame.render_widget(Paragraph::new(title_line(snapshot, view)), title);
    draw_hops(frame, hops, snapshot, view);
    frame.render_widget(
        Paragraph::new(detail_lines(snapshot, view, details.width)),
        details,
    );
    frame.render_widget(
        Paragraph::new(Line::from(Span::styled(
            HELP,
            Style::default().add_modifier(Modifier::DIM),
        ))),
        help,
    );
}

fn title_line(snapshot: &Snapshot, view: &View) -> Line<'static> {
    let mut facts = format!(
        " · round {} · {}",
        snapshot.rounds,
        crate::live::clock(view.elapsed)
    );
    if view.resets > 0 {
        facts.push_str(" since reset");
    }
    crate::live::title_line(&view.title, facts, view.paused, view.color)
}

fn draw_hops(frame: &mut Frame, area: Rect, snapshot: &Snapshot, view: &View) {
    let table_width: u16 = COLUMNS.iter().sum::<u16>() + COLUMNS.len() as u16 - 1;
    let [left, right] =
        Layout::horizontal([Constraint::Length(table_width), Constraint::Min(0)]).areas(area);
    let rows = snapshot
        .hops
        .iter()
        .map(|hop| Row::new(hop_cells(hop, view)));
    let header = Row::new(TITLES).style(Style::default().add_modifier(Modifier::BOLD));
    let table = Table::new(rows, COLUMNS.map(Constraint::Length)).header(header);
    frame.render_widget(table, left);
    if right.width < 2 {
        return;
    }
    // The history column: one sparkline per hop, on the hop's line.
    let inner = Rect {
        x: right.x + 1,
        width: right.width - 1,
        ..right
    };
    frame.render_widget(
        Paragraph::new(Line::from(Span::styled(
            format!("rtt history ({LOST} lost)"),
            Style::default().add_modifier(Modifier::BOLD),
        ))),
        Rect { height: 1, ..inner },
    );
    for (i, hop) in snapshot.hops.iter().enumerate() {
        let y = inner.y + 1 + i as u16;
        if y >= inner.bottom() {
            break;
        }
        let line = Rect {
            y,
            height: 1,
            ..inner
        };
        frame.render_widget(sparkline(hop, line.width as usize, view), line);
    }
}

/// The last `width` probes of `hop`, each answer one of 8 levels of the worst RTT among
/// them (at least the lowest, so an answer never looks like a gap), a loss `×`.
pub fn sparkline(hop: &HopSummary, width: usize, view: &View) -> Sparkline<'static> {
    let shown = &hop.history[hop.history.len().saturating_sub(width)..];
    let worst = shown.iter().filter_map(|s| s.rtt).max().unwrap_or_default();
    let bars: Vec<SparklineBar> = shown
        .iter()
        .map(|s| {
            SparklineBar::from(s.rtt.map(|rtt| {
                if worst.is_zero() {
                    1
                } else {
                    1 + (7.0 * rtt.as_secs_f64() / worst.as_secs_f64()).round() as u64
                }
            }))
        })
        .collect();
    Sparkline::default()
        .data(bars)
        .max(8)
        .style(fg(view, Color::Green))
        .absent_value_symbol(LOST)
        .absent_value_style(fg(view, Color::Red))
}

fn hop_cells(hop: &HopSummary, view: &View) -> Vec<String> {
    let ms = |d: Option<Duration>| d.map_or(String::new(), |d| rtt_text(output::ms(d)));
    let rtt = hop.rtt.as_ref();
    vec![
        hop.ttl.to_string(),
        host_cell(hop, view),
        format!("{:.1}", hop.loss_percent),
        hop.sent.to_string(),
        hop.received.to_string(),
        ms(rtt.map(|r| r.last)),
        ms(rtt.map(|r| r.avg)),
        ms(rtt.map(|r| r.best)),
        ms(rtt.map(|r| r.worst)),
        ms(rtt.map(|r| r.stdev)),
        ms(hop.jitter.as_ref().map(|j| j.last)),
    ]
}

/// The hop's main responder (name or address, after its AS number with `-A`), its share
/// when there are several (the others are listed below the table).
fn host_cell(hop: &HopSummary, view: &View) -> String {
    let Some(first) = hop.responders.iter().max_by_key(|r| r.count) else {
        return "*".into();
    };
    let mut shown = match (&first.name, view.names) {
        (Some(name), true) => name.clone(),
        _ => first.address.to_string(),
    };
    if view.asn {
        shown = format!("{} {shown}", as_number(first));
    }
    let others = hop.responders.len() - 1 + usize::from(hop.other_responders > 0);
    if others == 0 {
        shown
    } else {
        format!("{shown} {:.0}% +{others}", first.share * 100.0)
    }
}

/// `AS64500`, or mtr's `AS???` while the AS is unknown.
fn as_number(r: &Responder) -> String {
    r.asn
        .as_ref()
        .map_or("AS???".to_string(), |a| format!("AS{}", a.number))
}

/// A colour, unless `NO_COLOR` is set.
fn fg(view: &View, color: Color) -> Style {
    crate::live::fg(view.color, color)
}

fn kind_style(kind: LossKind, view: &View) -> Style {
    match kind {
        LossKind::None => Style::default(),
        LossKind::Forwarding => fg(view, Color::Red),
        LossKind::RepliesOnly => fg(view, Color::Yellow),
        LossKind::Both => fg(view, Color::Magenta),
    }
}

/// The lines under the table, each wrapped to `width` between words (later lines of one
/// item indented).
fn detail_lines(snapshot: &Snapshot, view: &View, width: u16) -> Vec<Line<'static>> {
    let bold = Style::default().add_modifier(Modifier::BOLD);
    let mut lines = vec![Line::raw("")];
    let loss: Vec<Span<'static>> = match snapshot.loss_begins_at {
        Some(ttl) => {
            // As the report says it: the link in front of the hop, when one was probed.
            let between = if snapshot.hops.first().is_some_and(|h| h.ttl < ttl) {
                format!(", between hop {} and hop {ttl}", ttl - 1)
            } else {
                String::new()
            };
            vec![
                Span::styled("loss: ", bold),
                Span::styled(
                    format!(
                        "real loss (in forwarding) begins at hop {ttl}{between}; every later \
                         hop shares it"
                    ),
                    fg(view, Color::Red),
                ),
            ]
        }
        None if snapshot.rounds == 0 => {
            vec![Span::styled("loss: ", bold), Span::raw("no round yet")]
        }
        None => vec![
            Span::styled("loss: ", bold),
            Span::raw("none in forwarding"),
        ],
    };
    lines.extend(crate::live::wrap(&loss, width, 6));
    for hop in &snapshot.hops {
        if hop.loss.kind != LossKind::None {
            let spans = [
                Span::raw(format!("  hop {}: ", hop.ttl)),
                Span::styled(hop.loss.kind.as_str(), kind_style(hop.loss.kind, view)),
                Span::raw(format!(": {}", hop.loss.explanation)),
            ];
            lines.extend(crate::live::wrap(&spans, width, 4));
        }
    }
    let several: Vec<&HopSummary> = snapshot
        .hops
        .iter()
        .filter(|h| h.responders.len() > 1 || h.other_responders > 0)
        .collect();
    if !several.is_empty() {
        lines.push(Line::styled("responders:", bold));
        for hop in several {
            let mut parts: Vec<String> = hop
                .responders
                .iter()
                .map(|r| {
                    let mut shown = match (&r.name, view.names) {
                        (Some(name), true) => format!("{} ({name})", r.address),
                        _ => r.address.to_string(),
                    };
                    if view.asn {
                        shown = format!("{} {shown}", as_number(r));
                    }
                    format!("{shown} {:.0}%", r.share * 100.0)
                })
                .collect();
            if hop.other_responders > 0 {
                parts.push(format!("+{} answers from others", hop.other_responders));
            }
            let text = format!("  hop {}: {}", hop.ttl, parts.join(", "));
            lines.extend(crate::live::wrap(&[Span::raw(text)], width, 4));
        }
    }
    // Under the table, not in the host column: a label stack and an interface name
    // would not fit its 28 characters. Wrapped between entries, never inside one.
    let extensions = snapshot.extension_lines(usize::from(width));
    if !extensions.is_empty() {
        lines.push(Line::styled("extensions (latest answer):", bold));
        lines.extend(extensions.into_iter().map(Line::raw));
    }
    if view.asn {
        lines.extend(as_lines(snapshot));
    }
    if snapshot.events_total > 0 {
        lines.push(Line::styled(
            format!("path changes: {}", snapshot.events_total),
            bold,
        ));
        // The latest first: the newest change is what a person watches for.
        for e in snapshot.events.iter().rev().take(8) {
            lines.push(Line::raw(format!(
                "  +{:.1}s round {}: {}",
                e.at.as_secs_f64(),
                e.round,
                e.describe()
            )));
        }
    }
    if !view.names_possible {
        lines.push(Line::styled(
            "names: off (-n)",
            Style::default().add_modifier(Modifier::DIM),
        ));
    }
    lines
}

/// `-A`: every AS in view, once, in hop order: its name and the hops and prefixes it
/// answered from (`AS64500 NETLAB-LINK0 - lab link 0, ZZ: hop 1 198.18.0.0/24`).
fn as_lines(snapshot: &Snapshot) -> Vec<Line<'static>> {
    let mut seen: Vec<(u32, String, Vec<String>)> = Vec::new();
    for hop in &snapshot.hops {
        for info in hop.responders.iter().filter_map(|r| r.asn.as_ref()) {
            let at = format!("hop {} {}", hop.ttl, info.prefix);
            match seen.iter_mut().find(|(n, ..)| *n == info.number) {
                Some((.., hops)) if hops.contains(&at) => {}
                Some((.., hops)) => hops.push(at),
                None => seen.push((info.number, info.name.clone().unwrap_or_default(), vec![at])),
            }
        }
    }
    if seen.is_empty() {
        return Vec::new();
    }
    let mut lines = vec![Line::styled(
        "AS:",
        Style::default().add_modifier(Modifier::BOLD),
    )];
    for (number, name, hops) in seen {
        let name = if name.is_empty() {
            String::new()
        } else {
            format!(" {name}")
        };
        lines.push(Line::raw(format!(
            "  AS{number}{name}: {}",
            hops.join(", ")
        )));
    }
    lines
}

#[cfg(test)]
#[path = "draw_tests.rs"]
mod tests;
