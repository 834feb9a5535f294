//! `ping --watch`'s picture: a pure function of the [`Board`] and the [`View`], drawn
//! with ratatui and tested on its `TestBackend`.
//!
//! Top to bottom: the title (targets, interval, clock, window, PAUSED); the chart; one
//! table row per target; the keys. The chart is drawn cell by cell rather than with
//! ratatui's `Chart`, because a loss must be marked at its time on its own target's
//! axis and `Chart` has no place for marks that are not points of a line: so the plot
//! puts each bucket of the history (a stretch of the window, see `history.rs`) at its
//! column, its fastest and slowest reply at their rows (RTT linear from 0, or log
//! between the window's extremes), in the target's colour and marker; under it, one lane
//! per target, its time axis, carries `×` where a probe was lost and `!` where one was
//! answered by an error (unreachable, TTL exceeded, a failed send); a target that
//! stopped answering shows `DOWN` in place of its name there. The markers differ per
//! target, so the chart reads without colour (`NO_COLOR`). Drawing walks one ring of
//! buckets per target, a fixed number: its cost does not grow with the run.

use std::borrow::Cow;
use std::collections::HashMap;
use std::net::IpAddr;
use std::time::Duration;

use ratatui::buffer::Buffer;
use ratatui::layout::{Constraint, Layout, Rect};
use ratatui::style::{Color, Modifier, Style};
use ratatui::text::{Line, Span};
use ratatui::widgets::{Paragraph, Row, Table, Widget};
use ratatui::Frame;

pub use super::history::WINDOWS;
use super::history::{Board, Track, Window};
use crate::live::{self, rtt_text};
use crate::output;

/// 60 s.
pub const DEFAULT_WINDOW: usize = 2;
/// Each target's marker, in order (then again from the first).
pub const MARKERS: [&str; 8] = ["●", "◆", "▲", "■", "○", "◇", "△", "□"];
/// Each target's colour, in order (red is loss's).
pub const COLORS: [Color; 8] = [
    Color::Cyan,
    Color::Yellow,
    Color::Green,
    Color::Magenta,
    Color::Blue,
    Color::LightCyan,
    Color::LightYellow,
    Color::LightGreen,
];
/// A lost probe, on its target's lane.
pub const LOST: &str = "×";
/// An ICMP error or a failed send, on its target's lane.
pub const ERROR: &str = "!";
/// Targets with a lane and a line in the chart; the others are in the table only.
pub const MAX_CHARTED: usize = 8;
/// The keys, as the help line shows them.
pub const HELP: &str =
    "q quit · p pause · r reset · +/- window · l log scale · n names · Ctrl-C quit";
/// The left margin of the chart: the RTT labels, and the lanes' marker and name.
const MARGIN: u16 = 10;

/// One target, as given and as pinged.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Target {
    pub text: String,
    pub addr: IpAddr,
}

/// What the view shows besides the figures.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct View {
    /// "ping 3 targets every 0.2 s".
    pub title: String,
    /// The picture is frozen (`p`); the probes go on.
    pub paused: bool,
    /// Targets by name: as given, or the reverse name of one given as an address; the
    /// address that answers with its reverse name (`n` switches to addresses only).
    pub names: bool,
    /// The reverse names known so far (looked up off the drawing path, see `mod.rs`).
    pub reverse: HashMap<IpAddr, String>,
    /// `l`: log scale.
    pub log: bool,
    /// Index in [`WINDOWS`].
    pub window: usize,
    /// Since the start or the last reset.
    pub elapsed: Duration,
    pub resets: u32,
    /// Colours (not with `NO_COLOR`; the markers differ anyway).
    pub color: bool,
}

impl View {
    /// A view at the start: names on, linear, the default window.
    pub fn new(title: String, color: bool) -> View {
        View {
            title,
            paused: false,
            names: true,
            reverse: HashMap::new(),
            log: false,
            window: DEFAULT_WINDOW,
            elapsed: Duration::ZERO,
            resets: 0,
            color,
        }
    }

    pub fn window(&self) -> Duration {
        WINDOWS[self.window.min(WINDOWS.len() - 1)]
    }

    fn style(&self, target: usize) -> Style {
        live::fg(self.color, COLORS[target % COLORS.len()])
    }

    /// How `target` is named: names on, as given, or by its reverse name when it was
    /// given as an address; names off, its address.
    fn shown<'a>(&'a self, target: &'a Target) -> Cow<'a, str> {
        if !self.names {
            return target.addr.to_string().into();
        }
        match self.reverse.get(&target.addr) {
            Some(name) if target.text.parse::<IpAddr>().is_ok() => name.as_str().into(),
            _ => target.text.as_str().into(),
        }
    }

    /// The address that answers, followed by its reverse name (as ping's rows show it)
    /// when names are on and it is known.
    fn answering(&self, addr: IpAddr) -> String {
        match self.reverse.get(&addr) {
            Some(name) if self.names => format!("{addr} ({name})"),
            _ => addr.to_string(),
        }
    }
}

/// The marker of target `i`.
pub fn marker(i: usize) -> &'static str {
    MARKERS[i % MARKERS.len()]
}

/// Draws the whole view.
pub fn draw(frame: &mut Frame, board: &Board, targets: &[Target], view: &View) {
    let area = frame.area();
    let rows = targets.len() as u16 + 1;
    let table_height = rows.min(area.height.saturating_sub(2) / 2).max(2);
    let [title, chart, table, help] = Layout::vertical([
        Constraint::Length(1),
        Constraint::Min(0),
        Constraint::Length(table_height),
        Constraint::Length(1),
    ])
    .areas(area);
    frame.render_widget(Paragraph::new(title_line(view)), title);
    frame.render_widget(
        Chart {
            board,
            targets,
            view,
        },
        chart,
    );
    draw_table(frame, table, board, targets, view);
    frame.render_widget(
        Paragraph::new(Line::from(Span::styled(
            HELP,
            Style::default().add_modifier(Modifier::DIM),
        ))),
        help,
    );
}

fn title_line(view: &View) -> Line<'static> {
    let mut facts = format!(
        " · {} · window {}",
        live::clock(view.elapsed),
        window_text(view.window())
    );
    if view.log {
        facts.push_str(" · log scale");
    }
    if view.resets > 0 {
        facts.push_str(" · since reset");
    }
    live::title_line(&view.title, facts, view.paused, view.color)
}

/// "60 s", "10 min".
pub fn window_text(window: Duration) -> String {
    let secs = window.as_secs();
    if secs >= 120 {
        format!("{} min", secs / 60)
    } else {
        format!("{secs} s")
    }
}

/// The chart: plot, lanes, time axis.
struct Chart<'a> {
    board: &'a Board,
    targets: &'a [Target],
    view: &'a View,
}

/// Where the chart's parts are.
struct ChartAreas {
    plot: Rect,
    /// One row per charted target, under the plot.
    lanes: Rect,
    /// The time axis labels.
    axis: Rect,
}

fn chart_areas(area: Rect, targets: usize) -> Option<ChartAreas> {
    if area.width <= MARGIN + 4 || area.height < 4 {
        return None;
    }
    // The plot keeps at least 3 rows; lanes give way first.
    let lanes = (targets.min(MAX_CHARTED) as u16).min(area.height - 4);
    let plot_height = area.height - 1 - lanes;
    let x = area.x + MARGIN;
    let width = area.width - MARGIN;
    Some(ChartAreas {
        plot: Rect::new(x, area.y, width, plot_height),
        lanes: Rect::new(x, area.y + plot_height, width, lanes),
        axis: Rect::new(area.x, area.y + plot_height + lanes, area.width, 1),
    })
}

/// The RTT scale of the plot: linear from 0 to the window's worst, or log between its
/// best and worst.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct Scale {
    pub lo_ms: f64,
    pub hi_ms: f64,
    pub log: bool,
}

impl Scale {
    pub fn of(rtts: impl Iterator<Item = f64>, log: bool) -> Scale {
        let (mut lo, mut hi) = (f64::INFINITY, 0.0f64);
        for ms in rtts {
            lo = lo.min(ms);
            hi = hi.max(ms);
        }
        if hi <= 0.0 {
            hi = 1.0;
        }
        let lo = if log {
            // At least a decade apart, never 0 (log of 0).
            (lo.min(hi / 10.0)).max(0.001)
        } else {
            0.0
        };
        Scale {
            lo_ms: lo,
            // Room above the worst, so it does not sit on the frame.
            hi_ms: hi * 1.2,
            log,
        }
    }

    /// Where `ms` falls, from 0 (bottom) to 1 (top).
    pub fn fraction(&self, ms: f64) -> f64 {
        let f = if self.log {
            (ms.max(self.lo_ms).ln() - self.lo_ms.ln()) / (self.hi_ms.ln() - self.lo_ms.ln())
        } else {
            (ms - self.lo_ms) / (self.hi_ms - self.lo_ms)
        };
        f.clamp(0.0, 1.0)
    }

    /// The value at `fraction` of the height.
    pub fn value(&self, fraction: f64) -> f64 {
        if self.log {
            (self.lo_ms.ln() + fraction * (self.hi_ms.ln() - self.lo_ms.ln())).exp()
        } else {
            self.lo_ms + fraction * (self.hi_ms - self.lo_ms)
        }
    }
}

/// A lane's label: the start of a name, the end of an address (where they differ).
fn short(text: &str) -> String {
    const WIDTH: usize = 7;
    let chars: Vec<char> = text.chars().collect();
    if chars.len() <= WIDTH {
        text.to_string()
    } else if text.parse::<IpAddr>().is_ok() {
        chars[chars.len() - WIDTH..].iter().collect()
    } else {
        chars[..WIDTH].iter().collect()
    }
}

/// "12.3ms", as short as the margin needs.
fn ms_label(ms: f64) -> String {
    if ms < 1.0 {
        format!("{ms:.3}ms")
    } else if ms < 10.0 {
        format!("{ms:.2}ms")
    } else if ms < 1000.0 {
        format!("{ms:.1}ms")
    } else {
        format!("{:.1}s", ms / 1000.0)
    }
}

impl Widget for Chart<'_> {
    fn render(self, area: Rect, buf: &mut Buffer) {
        let Some(areas) = chart_areas(area, self.targets.len()) else {
            return;
        };
        let view = self.view;
        let window = view.window();
        let charted = self.targets.len().min(MAX_CHARTED);
        let tracks = &self.board.tracks[..charted.min(self.board.tracks.len())];
        let scale = Scale::of(
            tracks.iter().flat_map(|t| {
                t.window(view.window, view.elapsed)
                    .flat_map(|(_, b)| b.min().into_iter().chain(b.max()).map(output::ms))
            }),
            view.log,
        );
        let plot = areas.plot;
        // The window ends now, at the right edge, however short the run so far.
        let origin = view.elapsed.as_secs_f64() - window.as_secs_f64();
        let column = |sent: Duration| -> u16 {
            let f = (sent.as_secs_f64() - origin) / window.as_secs_f64();
            ((f * plot.width as f64).max(0.0) as u16).min(plot.width - 1)
        };
        // The RTT labels: top, middle, bottom.
        let dim = Style::default().add_modifier(Modifier::DIM);
        let labels = [
            (plot.y, 1.0),
            (plot.y + (plot.height - 1) / 2, 0.5),
            (plot.bottom() - 1, 0.0),
        ];
        for (y, at) in labels {
            let fraction = if plot.height > 1 {
                1.0 - f64::from(y - plot.y) / f64::from(plot.height - 1)
            } else {
                at
            };
            let text = format!("{:>9}", ms_label(scale.value(fraction)));
            buf.set_string(area.x, y, text, dim);
        }
        for (i, track) in tracks.iter().enumerate() {
            let style = view.style(i);
            let lane_y = areas.lanes.y + i as u16;
            let has_lane = i < areas.lanes.height as usize;
            if has_lane {
                buf.set_string(area.x, lane_y, marker(i), style);
                // A target that stopped answering says so where its name was (the
                // table has the name); its latest marks stay in view at the right.
                if track.down() {
                    let down = live::fg(view.color, Color::Red).add_modifier(Modifier::REVERSED);
                    buf.set_string(area.x + 2, lane_y, "DOWN", down);
                } else {
                    let name = short(&view.shown(&self.targets[i]));
                    buf.set_string(area.x + 2, lane_y, name, style);
                }
                buf.set_string(area.x + MARGIN - 1, lane_y, "┆", dim);
            }
            for (middle, bucket) in track.window(view.window, view.elapsed) {
                let x = plot.x + column(middle);
                // The bucket's fastest and slowest reply (one point when they share a row).
                for rtt in bucket.min().into_iter().chain(bucket.max()) {
                    let f = scale.fraction(output::ms(rtt));
                    let row = ((1.0 - f) * f64::from(plot.height - 1)).round() as u16;
                    buf.set_string(x, plot.y + row, marker(i), style);
                }
                if !has_lane {
                    continue;
                }
                // Several buckets share a column when the plot is narrow: an error, the
                // rarer news, is not hidden by a loss beside it.
                if bucket.errors > 0 {
                    let style =
                        live::fg(view.color, Color::LightMagenta).add_modifier(Modifier::BOLD);
                    buf.set_string(x, lane_y, ERROR, style);
                } else if bucket.lost > 0 && buf[(x, lane_y)].symbol() != ERROR {
                    buf.set_string(x, lane_y, LOST, live::fg(view.color, Color::Red));
                }
            }
        }
        // The time axis: the window's start, its middle and now.
        let axis = areas.axis;
        let left = format!("-{}", window_text(window));
        buf.set_string(plot.x, axis.y, &left, dim);
        let middle = format!("-{}", window_text(window / 2));
        buf.set_string(plot.x + plot.width / 2, axis.y, &middle, dim);
        buf.set_string(plot.right().saturating_sub(3), axis.y, "now", dim);
        // What the lanes' marks mean, between the start and the middle where it fits.
        let legend = format!("{LOST} lost  {ERROR} error");
        let at = plot.x + left.chars().count() as u16 + 2;
        if at + legend.chars().count() as u16 + 1 < plot.x + plot.width / 2 {
            buf.set_string(at, axis.y, legend, dim);
        }
    }
}

/// The table's columns after the target's, with their widths, in the order they are
/// dropped from the right when the terminal is too narrow for all.
const COLUMNS: [(&str, u16); 13] = [
    ("state", 5),
    ("loss%", 6),
    ("win%", 6),
    ("sent", 6),
    ("recv", 6),
    ("last", 7),
    ("avg", 7),
    ("min", 7),
    ("max", 7),
    ("stdev", 7),
    ("jitter", 7),
    ("p95", 7),
    ("from", 39),
];
/// The target column's width: its longest name, within these bounds.
const TARGET_WIDTH: (u16, u16) = (8, 32);

fn draw_table(frame: &mut Frame, area: Rect, board: &Board, targets: &[Target], view: &View) {
    let names: Vec<String> = targets
        .iter()
        .enumerate()
        .map(|(i, t)| format!("{} {}", marker(i), view.shown(t)))
        .collect();
    let longest = names.iter().map(|n| n.chars().count()).max().unwrap_or(0) as u16;
    let mut widths = vec![longest.clamp(TARGET_WIDTH.0, TARGET_WIDTH.1)];
    let mut titles = vec!["target"];
    let mut used = widths[0];
    for (title, width) in COLUMNS {
        // The address that answers takes what is left, at least an IPv4 address.
        let width = if title == "from" {
            width.min(area.width.saturating_sub(used + 1)).max(15)
        } else {
            width
        };
        if used + 1 + width > area.width {
            break;
        }
        used += 1 + width;
        widths.push(width);
        titles.push(title);
    }
    let shown = widths.len();
    let rows = names
        .into_iter()
        .zip(&board.tracks)
        .enumerate()
        .map(|(i, (name, track))| {
            let window = Window::of(track.window(view.window, view.elapsed).map(|(_, b)| b));
            let from = track.from.map_or("-".to_string(), |a| view.answering(a));
            let mut cells = cells(name, track, &window, from);
            cells.truncate(shown);
            Row::new(cells).style(view.style(i))
        });
    let header = Row::new(titles).style(Style::default().add_modifier(Modifier::BOLD));
    let table = Table::new(rows, widths.into_iter().map(Constraint::Length)).header(header);
    frame.render_widget(table, area);
}

/// One target's row: the report's figures since the reset, the window's loss and p95,
/// in [`COLUMNS`]' order after the target.
pub fn cells(name: String, track: &Track, window: &Window, from: String) -> Vec<String> {
    let ms = |v: Option<f64>| v.map_or("-".to_string(), rtt_text);
    let d = |v: Option<Duration>| ms(v.map(output::ms));
    let pct = |v: Option<f64>| v.map_or("-".to_string(), |v| format!("{v:.1}"));
    let s = &track.stats;
    let state = if track.down() {
        "DOWN"
    } else if s.received > 0 {
        "up"
    } else {
        "..."
    };
    vec![
        name,
        state.into(),
        pct(track.loss_percent()),
        pct(window.loss_percent()),
        s.transmitted.to_string(),
        s.received.to_string(),
        d(track.last),
        ms(s.avg_ms()),
        d(s.min()),
        d(s.max()),
        ms(s.mdev_ms()),
        ms(s.jitter_ms()),
        d(window.p95),
        from,
    ]
}

#[cfg(test)]
#[path = "draw_tests.rs"]
mod tests;
