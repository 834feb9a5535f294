//! `ping --watch` on a terminal: a full-screen chart of every target's RTT with its
//! losses and errors marked, and a table of their figures (ratatui + crossterm).
//!
//! The view is one more [`Observer`] of the one ping driver ([`super::measure`]): it
//! sends nothing and decides nothing, so the probes, timings and summary are those of a
//! plain `ping`. The terminal, the keys' meaning and the redraw clock are the live
//! framework's ([`crate::live`], shared with `trace --watch`); ping brings its panels:
//! - `history.rs`: what is remembered per target, bounded, and its figures;
//! - `draw.rs`: the picture, a pure function of that history and the [`View`];
//! - here: keys, when to draw, and the hand-over to the report's summary.
//!
//! The driver calls [`Observer::tick`] at most [`crate::live::KEY_POLL`] apart: keys are
//! read then, and the picture redrawn when something arrived (at most every
//! [`crate::live::MIN_REDRAW`]), on a key at once, and every second for the clock.
//! `q`, Esc and Ctrl-C (a key in raw mode) end the run as SIGINT does; SIGTERM ends it
//! through the driver's signal handling. Either way the run's end drops the screen
//! (alternate screen left, cursor shown, cooked mode back) before the report prints the
//! same summary a plain run prints. `p` freezes the picture (the probes go on and the
//! summary counts them), `r` starts the view's figures again (the summary still covers
//! the whole run, as ping's always does).
//!
//! Events reach the report only for `--plot`: the live rows are not printed under the
//! view, and nothing else of the report grows with the run.

mod draw;
mod history;

use std::io::{self, IsTerminal};
use std::time::Instant;

use super::engine::{Engine, Event, Probe};
use super::report::Report;
use super::{Observer, Plan, Resolved};
use crate::live::terminal::{self, Input, Screen};
use crate::live::{Command, Pace};
use crate::output::Format;
use draw::{Target, View, WINDOWS};
use history::Board;

/// Whether `plan` gets the full-screen view: `--watch`, a table (not `--json`, which
/// streams), no flood, and stdout a terminal. Otherwise `--watch` is the plain rows.
pub fn wanted(plan: &Plan) -> bool {
    plan.watch && plan.format == Format::Table && !plan.flood && io::stdout().is_terminal()
}

/// The view as an observer of the run, around the report that prints the summary.
pub struct Live {
    report: Report,
    /// `--plot`: the report sees every event, to draw them at the end.
    plot: bool,
    /// `None` once the run ended (the terminal is restored).
    screen: Option<Screen>,
    board: Board,
    /// `p`: the picture shown while paused.
    frozen: Option<Board>,
    targets: Vec<Target>,
    view: View,
    pace: Pace,
    /// The terminal could not be read or drawn on: the view ended with this.
    pub failed: Option<io::Error>,
}

impl Live {
    /// Enters the full screen; the terminal is restored when the run ends (or this is
    /// dropped).
    pub fn start(plan: &Plan, resolved: &[Resolved], mut report: Report) -> io::Result<Live> {
        report.hide_rows();
        let now = Instant::now();
        let screen = Screen::enter()?;
        Ok(Live {
            report,
            plot: plan.plot.is_some(),
            screen: Some(screen),
            board: Board::new(resolved.len(), plan.settings.timeout, now),
            frozen: None,
            targets: resolved
                .iter()
                .map(|r| Target {
                    text: r.text.clone(),
                    addr: r.addr(),
                })
                .collect(),
            view: View::new(title(plan, resolved), crate::live::color_allowed()),
            pace: Pace::new(now),
            failed: None,
        })
    }

    /// The report, for what it found (a `--plot` that failed).
    pub fn into_report(self) -> Report {
        self.report
    }

    fn redraw(&mut self, now: Instant) -> io::Result<()> {
        let Some(screen) = &mut self.screen else {
            return Ok(());
        };
        let board = self.frozen.as_ref().unwrap_or(&self.board);
        if self.frozen.is_none() {
            self.view.elapsed = now.saturating_duration_since(board.since);
        }
        let (targets, view) = (&self.targets, &self.view);
        screen
            .terminal
            .draw(|frame| draw::draw(frame, board, targets, view))?;
        self.pace.drawn(now);
        Ok(())
    }

    /// Keys and resizes since the last tick; `false`: quit.
    fn input(&mut self, now: Instant) -> io::Result<bool> {
        for input in terminal::pending()? {
            let Input::Key(key) = input else {
                self.pace.changed();
                continue;
            };
            self.pace.key();
            if !on_key(&mut self.view, crate::live::command(key)) {
                return Ok(false);
            }
            match crate::live::command(key) {
                Command::Reset => {
                    self.board.reset(now);
                    if self.frozen.is_some() {
                        self.frozen = Some(self.board.clone());
                        self.view.elapsed = std::time::Duration::ZERO;
                    }
                }
                Command::Pause if self.view.paused => self.frozen = Some(self.board.clone()),
                Command::Pause => self.frozen = None,
                _ => {}
            }
        }
        Ok(true)
    }
}

impl Live {
    /// The reverse names of the target of `event` and of who answered, once their
    /// lookups (the report's, started before the first probe or now, on blocking
    /// threads) have ended: never waited for, so neither the probes nor the picture
    /// wait on a resolver. A name that comes later shows at the next redraw.
    async fn learn_names(&mut self, event: &Event) {
        let (target, from) = match event {
            Event::Reply { target, from, .. } | Event::Error { target, from, .. } => {
                (target, Some(*from))
            }
            Event::Timeout { target, .. } | Event::SendFailed { target, .. } => (target, None),
            Event::Outstanding { .. } => return,
        };
        let Some(t) = self.targets.get(target.0) else {
            return;
        };
        for addr in std::iter::once(t.addr).chain(from) {
            if self.view.reverse.len() >= MAX_NAMES || self.view.reverse.contains_key(&addr) {
                continue;
            }
            if let Some(name) = self.report.name_now(addr).await {
                self.view.reverse.insert(addr, name);
                self.pace.changed();
            }
        }
    }
}

/// Reverse names the view keeps: the targets' and the routers' that answer for them
/// (bounded, whatever answers).
const MAX_NAMES: usize = 1024;

/// What a key does to the view; `false`: quit.
pub fn on_key(view: &mut View, command: Command) -> bool {
    match command {
        Command::Quit => return false,
        Command::Pause => view.paused = !view.paused,
        Command::Reset => view.resets += 1,
        Command::Names => view.names = !view.names,
        Command::Wider => view.window = (view.window + 1).min(WINDOWS.len() - 1),
        Command::Narrower => view.window = view.window.saturating_sub(1),
        Command::Log => view.log = !view.log,
        Command::None => {}
    }
    true
}

/// "ping a, b, c every 0.2 s".
fn title(plan: &Plan, resolved: &[Resolved]) -> String {
    let names: Vec<&str> = resolved.iter().map(|r| r.text.as_str()).collect();
    let shown = if names.len() > 3 {
        format!("{} targets", names.len())
    } else {
        names.join(", ")
    };
    format!(
        "ping {shown} every {} s",
        plan.settings.interval.as_secs_f64()
    )
}

impl Observer for Live {
    fn sent(&mut self, probe: &Probe) {
        self.board.sent(probe.target.0);
        if self.plot {
            self.report.sent(probe);
        }
        self.pace.changed();
    }

    async fn event(&mut self, event: &Event) {
        self.board.event(event, Instant::now());
        if self.plot {
            self.report.event(event).await;
        }
        self.learn_names(event).await;
        self.pace.changed();
    }

    // SIGQUIT's statistics on stderr would be drawn over; the table shows them.
    fn interim(&mut self, _engine: &Engine) {}

    fn next_tick(&self) -> Option<Instant> {
        self.screen.as_ref().map(|_| self.pace.next_tick())
    }

    fn tick(&mut self, now: Instant) -> bool {
        self.pace.ticked(now);
        let result = self.input(now).and_then(|go_on| {
            if go_on && self.pace.due(now) {
                self.redraw(now)?;
            }
            Ok(go_on)
        });
        result.unwrap_or_else(|err| {
            self.failed = Some(err);
            false
        })
    }

    async fn finish(&mut self, engine: &Engine) {
        // The terminal is back before the summary is printed on it.
        self.screen = None;
        if self.failed.is_none() {
            self.report.finish(engine).await;
        }
    }
}

#[cfg(test)]
mod tests {
    use super::draw::DEFAULT_WINDOW;
    use super::*;

    fn view() -> View {
        View::new("t".into(), true)
    }

    #[test]
    fn keys_steer_the_view() {
        let mut v = view();
        assert!(on_key(&mut v, Command::Pause));
        assert!(v.paused);
        assert!(on_key(&mut v, Command::Pause));
        assert!(!v.paused);
        on_key(&mut v, Command::Reset);
        assert_eq!(v.resets, 1);
        on_key(&mut v, Command::Names);
        assert!(!v.names);
        on_key(&mut v, Command::Log);
        assert!(v.log);
        on_key(&mut v, Command::Wider);
        assert_eq!(v.window, DEFAULT_WINDOW + 1);
        for _ in 0..20 {
            on_key(&mut v, Command::Wider);
        }
        assert_eq!(v.window, WINDOWS.len() - 1, "the widest stays the widest");
        for _ in 0..20 {
            on_key(&mut v, Command::Narrower);
        }
        assert_eq!(v.window, 0);
        assert!(on_key(&mut v, Command::None));
        assert!(!on_key(&mut v, Command::Quit));
    }
}
