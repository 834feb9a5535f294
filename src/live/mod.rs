//! The full-screen live views of `trace --watch` and `ping --watch`: what they share.
//!
//! Both views are one more consumer of their command's run (trace's rounds, ping's
//! driver), drawn from the statistics the command's report prints; what differs is only
//! the panels, which stay with each command (`trace/live/`, `ping/live/`). What they
//! share lives here, below both, so neither command reaches into the other and there is
//! one copy of the terminal code:
//! - [`terminal`]: every terminal call (raw mode, alternate screen, keys, size) and the
//!   restore on every way out, panics included;
//! - [`Pace`]: the redraw clock — keys looked at every [`KEY_POLL`], a picture at most
//!   every [`MIN_REDRAW`] when something changed (a key at once), and at least every
//!   [`MAX_REDRAW`] for the clock;
//! - [`command`]: the keys both views understand, as one [`Command`] each, so `q`, Esc
//!   and Ctrl-C quit and `p`/space pause everywhere;
//! - the small pieces of the picture that must look the same in both (the clock, the
//!   PAUSED banner, colours that vanish under `NO_COLOR`).
//!
//! Raw mode turns Ctrl-C into a key; SIGTERM is each command's own (its run ends the way
//! an interrupt ends it), after which the screen is dropped and the summary printed.

pub mod terminal;

use std::time::{Duration, Instant};

use crossterm::event::{KeyCode, KeyEvent, KeyModifiers};
use ratatui::style::{Color, Modifier, Style};
use ratatui::text::{Line, Span};

/// Keys are looked at this often.
pub const KEY_POLL: Duration = Duration::from_millis(50);
/// The picture is redrawn at most this often (a key is shown at once).
pub const MIN_REDRAW: Duration = Duration::from_millis(100);
/// ... and at least this often (the clock, names that arrived).
pub const MAX_REDRAW: Duration = Duration::from_secs(1);

/// When to look at the keys and when to redraw: the view's clock, so that a short
/// interval costs little CPU and a key is answered at once.
#[derive(Debug, Clone)]
pub struct Pace {
    /// Something changed since the last picture.
    dirty: bool,
    last_draw: Option<Instant>,
    next_tick: Instant,
}

impl Pace {
    pub fn new(now: Instant) -> Pace {
        Pace {
            dirty: true,
            last_draw: None,
            next_tick: now,
        }
    }

    /// Something to show arrived (a reply, a round, a resize).
    pub fn changed(&mut self) {
        self.dirty = true;
    }

    /// A key: the next picture is drawn at once.
    pub fn key(&mut self) {
        self.dirty = true;
        self.last_draw = None;
    }

    /// A tick at `now`: the next one is due [`KEY_POLL`] later.
    pub fn ticked(&mut self, now: Instant) {
        self.next_tick = now + KEY_POLL;
    }

    /// When the view wants its next tick.
    pub fn next_tick(&self) -> Instant {
        self.next_tick
    }

    /// Whether a picture is due at `now`.
    pub fn due(&self, now: Instant) -> bool {
        match self.last_draw.map(|t| now.saturating_duration_since(t)) {
            None => true,
            Some(d) => (self.dirty && d >= MIN_REDRAW) || d >= MAX_REDRAW,
        }
    }

    /// A picture was drawn at `now`.
    pub fn drawn(&mut self, now: Instant) {
        self.dirty = false;
        self.last_draw = Some(now);
    }
}

/// What a key asks of a live view.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Command {
    /// `q`, Esc, Ctrl-C.
    Quit,
    /// `p`, space.
    Pause,
    /// `r`: the statistics start again.
    Reset,
    /// `n`: names on/off.
    Names,
    /// `+`: a wider time window.
    Wider,
    /// `-`: a narrower one.
    Narrower,
    /// `l`: log scale on/off.
    Log,
    /// Any other key: nothing.
    None,
}

/// The command of `key`, the same in every live view.
pub fn command(key: KeyEvent) -> Command {
    let ctrl = key.modifiers.contains(KeyModifiers::CONTROL);
    match key.code {
        KeyCode::Char('c') if ctrl => Command::Quit,
        KeyCode::Char('q' | 'Q') | KeyCode::Esc => Command::Quit,
        KeyCode::Char('p' | 'P' | ' ') => Command::Pause,
        KeyCode::Char('r' | 'R') => Command::Reset,
        KeyCode::Char('n' | 'N') => Command::Names,
        KeyCode::Char('+' | '=') => Command::Wider,
        KeyCode::Char('-' | '_') => Command::Narrower,
        KeyCode::Char('l' | 'L') => Command::Log,
        _ => Command::None,
    }
}

/// A colour, unless colour is off (`NO_COLOR`): then the plain style.
pub fn fg(color: bool, c: Color) -> Style {
    if color {
        Style::default().fg(c)
    } else {
        Style::default()
    }
}

/// Whether the views may colour (`NO_COLOR` unset, as the conventions say).
pub fn color_allowed() -> bool {
    std::env::var_os("NO_COLOR").is_none()
}

/// `01:02:03`: the time since the start or the last reset.
pub fn clock(elapsed: Duration) -> String {
    let secs = elapsed.as_secs();
    format!("{:02}:{:02}:{:02}", secs / 3600, secs / 60 % 60, secs % 60)
}

/// Milliseconds in a 7-wide column: three decimals as in the report, fewer when large.
pub fn rtt_text(ms: f64) -> String {
    if ms < 100.0 {
        format!("{ms:.3}")
    } else if ms < 10_000.0 {
        format!("{ms:.1}")
    } else {
        format!("{ms:.0}")
    }
}

/// A view's title line: what it watches in bold, then `facts` (round, clock, window...),
/// then the PAUSED banner when paused.
pub fn title_line(title: &str, facts: String, paused: bool, color: bool) -> Line<'static> {
    let mut spans = vec![
        Span::styled(
            title.to_string(),
            Style::default().add_modifier(Modifier::BOLD),
        ),
        Span::raw(facts),
    ];
    if paused {
        spans.push(Span::raw("  "));
        spans.push(paused_banner(color));
    }
    Line::from(spans)
}

/// The banner a paused view shows (reverse video without colour).
pub fn paused_banner(color: bool) -> Span<'static> {
    Span::styled(
        " PAUSED (p resumes) ",
        if color {
            Style::default().fg(Color::Black).bg(Color::Yellow)
        } else {
            Style::default().add_modifier(Modifier::REVERSED)
        }
        .add_modifier(Modifier::BOLD),
    )
}

/// `spans` as lines no wider than `width`, broken between words, every line after the
/// first indented by `indent` spaces (so a wrapped explanation reads as one item).
/// Hand-written rather than ratatui's `Wrap` (which may cut a word at the edge and
/// cannot indent) or textwrap (plain strings only): the spans keep their styles, and a
/// word is only cut when it is wider than a whole line.
pub fn wrap(spans: &[Span<'static>], width: u16, indent: u16) -> Vec<Line<'static>> {
    let width = usize::from(width.max(1));
    let indent = usize::from(indent).min(width / 2);
    let mut lines = Vec::new();
    let mut line: Vec<Span<'static>> = Vec::new();
    let mut used = 0;
    // The columns taken by what starts a line (nothing, or the indent).
    let mut start = 0;
    for span in spans {
        for piece in span.content.split_inclusive(' ') {
            let word = piece.trim_end_matches(' ').chars().count();
            if used + word > width && used > start {
                lines.push(Line::from(std::mem::take(&mut line)));
                line.push(Span::raw(" ".repeat(indent)));
                used = indent;
                start = indent;
            }
            line.push(Span::styled(piece.to_string(), span.style));
            used += piece.chars().count();
        }
    }
    if !line.is_empty() {
        lines.push(Line::from(line));
    }
    lines
}

/// A key press, as the terminal reports it (for the views' tests).
#[cfg(test)]
pub fn key(code: KeyCode, modifiers: KeyModifiers) -> KeyEvent {
    use crossterm::event::{KeyEventKind, KeyEventState};
    KeyEvent {
        code,
        modifiers,
        kind: KeyEventKind::Press,
        state: KeyEventState::NONE,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    use crossterm::event::{KeyCode, KeyModifiers};

    #[test]
    fn keys_mean_the_same_in_every_view() {
        let none = KeyModifiers::NONE;
        let ctrl = KeyModifiers::CONTROL;
        assert_eq!(command(key(KeyCode::Char('q'), none)), Command::Quit);
        assert_eq!(command(key(KeyCode::Esc, none)), Command::Quit);
        assert_eq!(command(key(KeyCode::Char('c'), ctrl)), Command::Quit);
        assert_eq!(command(key(KeyCode::Char('c'), none)), Command::None);
        assert_eq!(command(key(KeyCode::Char(' '), none)), Command::Pause);
        assert_eq!(command(key(KeyCode::Char('p'), none)), Command::Pause);
        assert_eq!(command(key(KeyCode::Char('r'), none)), Command::Reset);
        assert_eq!(command(key(KeyCode::Char('n'), none)), Command::Names);
        assert_eq!(command(key(KeyCode::Char('+'), none)), Command::Wider);
        assert_eq!(command(key(KeyCode::Char('-'), none)), Command::Narrower);
        assert_eq!(command(key(KeyCode::Char('l'), none)), Command::Log);
        assert_eq!(command(key(KeyCode::Char('x'), none)), Command::None);
    }

    #[test]
    fn the_pace_redraws_on_change_not_more_often() {
        let t0 = Instant::now();
        let mut pace = Pace::new(t0);
        assert!(pace.due(t0), "the first picture is drawn at once");
        pace.drawn(t0);
        assert!(!pace.due(t0 + MIN_REDRAW), "nothing changed");
        pace.changed();
        assert!(!pace.due(t0 + MIN_REDRAW / 2), "not before MIN_REDRAW");
        assert!(pace.due(t0 + MIN_REDRAW));
        pace.drawn(t0 + MIN_REDRAW);
        assert!(pace.due(t0 + MIN_REDRAW + MAX_REDRAW), "the clock");
        pace.key();
        assert!(pace.due(t0 + MIN_REDRAW), "a key at once");
        pace.ticked(t0);
        assert_eq!(pace.next_tick(), t0 + KEY_POLL);
    }

    fn texts(lines: &[Line]) -> Vec<String> {
        lines.iter().map(|l| l.to_string()).collect()
    }

    #[test]
    fn long_lines_wrap_between_words_with_an_indent() {
        let red = Style::default().fg(Color::Red);
        let spans = [
            Span::raw("  hop 2: "),
            Span::styled("both", red),
            Span::raw(": sixteen percent lost in forwarding, and more replies missing"),
        ];
        let lines = wrap(&spans, 30, 4);
        assert_eq!(
            texts(&lines),
            [
                "  hop 2: both: sixteen percent ",
                "    lost in forwarding, and ",
                "    more replies missing",
            ]
        );
        // The verdict keeps its colour.
        assert!(lines[0]
            .spans
            .iter()
            .any(|s| s.content == "both" && s.style == red));
        // Short enough: one line, as it was.
        assert_eq!(texts(&wrap(&spans[..2], 30, 4)), ["  hop 2: both"]);
        // A word wider than a line is alone on its line, never an endless loop.
        let long = [Span::raw("a ".to_string() + &"x".repeat(50))];
        assert_eq!(wrap(&long, 10, 2).len(), 2);
    }

    #[test]
    fn the_clock_reads_hours_minutes_seconds() {
        assert_eq!(clock(Duration::from_secs(3723)), "01:02:03");
        assert_eq!(clock(Duration::ZERO), "00:00:00");
    }
}
