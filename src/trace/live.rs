//! `trace --watch` on a terminal: the full-screen live view (ratatui + crossterm).
//!
//! One more consumer of the rounds, not a second probing loop: the view is a
//! [`RoundObserver`] handed to [`run_rounds`], on the driver's one thread. It draws only
//! from the statistics' [`Snapshot`] — the figures, the loss verdict and the path events
//! the report prints — so what the screen shows and the summary printed after it agree.
//!
//! The terminal, the keys' meaning and the redraw clock are the shared live framework's
//! ([`crate::live`], also `ping --watch`'s); trace brings its panels:
//! - `draw.rs`: the picture, a pure function of the snapshot and the [`View`] state,
//!   tested with ratatui's `TestBackend`;
//! - here: keys to [`Control`]s ([`on_key`], pure) and the run.
//!
//! Keys are read on each tick of the driver (at most [`crate::live::KEY_POLL`] apart, a non-blocking
//! poll); the picture is redrawn when a round ends, on a key or a resize, and once a
//! second for the clock and late reverse names — never more often than
//! [`crate::live::MIN_REDRAW`], so a short interval costs little CPU. Raw mode turns
//! Ctrl-C into a key (it ends the view like `q`); SIGTERM ends the rounds through the
//! driver's interrupt flag. After the view, the caller prints the same summary a pipe
//! gets.

mod draw;

use std::io;
use std::net::IpAddr;
use std::time::{Duration, Instant};

use crossterm::event::KeyEvent;

pub use draw::View;

use super::asn::Lookups;
use super::engine::Ending;
use super::names::Names;
use super::report::header_words;
use super::rounds::Round;
use super::stats::Stats;
use super::{run_rounds, Control, Plan, Resolved, RoundObserver, Sockets};
use crate::error::Failure;
use crate::live::terminal::{self, Input, Screen};
use crate::live::{Command, Pace};

/// What the live view leaves for the summary.
pub struct Outcome {
    /// The statistics since the start, or since the last reset.
    pub stats: Stats,
    pub names: Names,
    /// `-A`: the AS lookups, their cache for the summary.
    pub asn: Option<Lookups>,
    /// Rounds that reached the destination (since the last reset).
    pub reached_rounds: u64,
    pub elapsed: Duration,
}

/// Runs the rounds of `plan` (`repeat` set) in the live view until they end, `q`,
/// Ctrl-C or SIGTERM; the terminal is restored before it returns.
pub fn run(
    plan: &Plan,
    numeric: bool,
    resolved: &Resolved,
    sockets: Sockets,
) -> Result<Outcome, Failure> {
    let repeat = plan.repeat.clone().expect("rounds were asked for");
    let mut names = Names::new(!numeric);
    names.start(resolved.addr());
    let view = View {
        title: title(plan, resolved, repeat.interval),
        paused: false,
        names: !numeric,
        names_possible: !numeric,
        elapsed: Duration::ZERO,
        resets: 0,
        color: crate::live::color_allowed(),
        asn: plan.probe.asn_zone.is_some(),
    };
    let screen = Screen::enter().map_err(|e| Failure::new("starting the live view", e))?;
    let now = Instant::now();
    let mut live = Live {
        screen,
        names,
        asn: plan.probe.asn_zone.as_deref().map(Lookups::new),
        view,
        since: now,
        started: now,
        reached_rounds: 0,
        pace: Pace::new(now),
        failed: None,
    };
    let result = run_rounds(
        plan,
        resolved,
        sockets,
        repeat.rounds,
        repeat.interval,
        &mut live,
    );
    let Live {
        screen,
        names,
        asn,
        reached_rounds,
        started,
        failed,
        ..
    } = live;
    drop(screen);
    let stats = result?;
    if let Some(err) = failed {
        return Err(Failure::new("drawing the live view", err));
    }
    Ok(Outcome {
        stats,
        names,
        asn,
        reached_rounds,
        elapsed: started.elapsed(),
    })
}

/// "trace to host (addr), udp port 33434, every 0.2 s": what the title says.
fn title(plan: &Plan, resolved: &Resolved, interval: Duration) -> String {
    let (shown, method) = header_words(plan, resolved);
    format!(
        "trace to {shown}, {method}, every {} s",
        interval.as_secs_f64()
    )
}

/// What a key does to the view, and what the rounds are told.
pub fn on_key(view: &mut View, key: KeyEvent) -> Control {
    match crate::live::command(key) {
        Command::Quit => Control::Stop,
        Command::Pause => {
            view.paused = !view.paused;
            if view.paused {
                Control::Pause
            } else {
                Control::Resume
            }
        }
        Command::Reset => {
            view.resets += 1;
            Control::Reset
        }
        Command::Names if view.names_possible => {
            view.names = !view.names;
            Control::Continue
        }
        // The window and the scale are ping's chart's; trace has none.
        _ => Control::Continue,
    }
}

struct Live {
    screen: Screen,
    names: Names,
    /// `-A`: looked up once per address, as the names are.
    asn: Option<Lookups>,
    view: View,
    /// The start, or the last reset.
    since: Instant,
    started: Instant,
    reached_rounds: u64,
    pace: Pace,
    /// The terminal could not be read or drawn on: the view ends with this.
    failed: Option<io::Error>,
}

impl Live {
    fn redraw(&mut self, now: Instant, stats: &Stats) -> io::Result<()> {
        self.view.elapsed = now.saturating_duration_since(self.since);
        let show_names = self.view.names;
        let (names, asn) = (&self.names, &self.asn);
        let snapshot = stats.snapshot(
            &|addr| show_names.then(|| names.get(&addr)).flatten(),
            &|addr| asn.as_ref().and_then(|l| l.get(&addr).cloned()),
        );
        let view = &self.view;
        self.screen
            .terminal
            .draw(|frame| draw::draw(frame, &snapshot, view))?;
        self.pace.drawn(now);
        Ok(())
    }

    /// Keys and resizes: the control for the rounds (the last one that is not
    /// `Continue`), and whether a key was pressed.
    fn input(&mut self, now: Instant) -> io::Result<Control> {
        let mut control = Control::Continue;
        for input in terminal::pending()? {
            let Input::Key(key) = input else {
                self.pace.changed();
                continue;
            };
            self.pace.key();
            match on_key(&mut self.view, key) {
                Control::Continue => {}
                Control::Reset => {
                    self.since = now;
                    self.reached_rounds = 0;
                    control = Control::Reset;
                }
                Control::Stop => return Ok(Control::Stop),
                other => control = other,
            }
        }
        Ok(control)
    }
}

impl RoundObserver for Live {
    fn round(&mut self, round: &Round, _stats: &Stats) {
        if matches!(round.ending, Ending::Reached { .. }) {
            self.reached_rounds += 1;
        }
        self.pace.changed();
    }

    fn saw(&mut self, from: IpAddr) {
        self.names.start(from);
        if let Some(asn) = &mut self.asn {
            asn.start(from);
        }
    }

    fn tick(&mut self, now: Instant, stats: &Stats) -> Control {
        self.pace.ticked(now);
        self.names.poll();
        if let Some(asn) = &mut self.asn {
            asn.poll();
        }
        let control = match self.input(now) {
            Ok(control) => control,
            Err(err) => {
                self.failed = Some(err);
                return Control::Stop;
            }
        };
        if control == Control::Reset {
            // The statistics are reset after this tick: draw them on the next one.
            return control;
        }
        if self.pace.due(now) {
            if let Err(err) = self.redraw(now, stats) {
                self.failed = Some(err);
                return Control::Stop;
            }
        }
        control
    }

    fn next_wakeup(&self) -> Option<Instant> {
        Some(self.pace.next_tick())
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::live::key;
    use crossterm::event::{KeyCode, KeyModifiers};

    fn view(names_possible: bool) -> View {
        View {
            title: "t".into(),
            paused: false,
            names: names_possible,
            names_possible,
            elapsed: Duration::ZERO,
            resets: 0,
            color: true,
            asn: false,
        }
    }

    #[test]
    fn keys_steer_the_rounds_and_the_view() {
        let none = KeyModifiers::NONE;
        let mut v = view(true);
        assert_eq!(
            on_key(&mut v, key(KeyCode::Char('p'), none)),
            Control::Pause
        );
        assert!(v.paused);
        assert_eq!(
            on_key(&mut v, key(KeyCode::Char('p'), none)),
            Control::Resume
        );
        assert!(!v.paused);
        assert_eq!(
            on_key(&mut v, key(KeyCode::Char('r'), none)),
            Control::Reset
        );
        assert_eq!(v.resets, 1);
        assert_eq!(
            on_key(&mut v, key(KeyCode::Char('n'), none)),
            Control::Continue
        );
        assert!(!v.names);
        on_key(&mut v, key(KeyCode::Char('n'), none));
        assert!(v.names);
        assert_eq!(on_key(&mut v, key(KeyCode::Char('q'), none)), Control::Stop);
        assert_eq!(
            on_key(&mut v, key(KeyCode::Char('c'), KeyModifiers::CONTROL)),
            Control::Stop
        );
        // A plain c, and any other key, do nothing.
        assert_eq!(
            on_key(&mut v, key(KeyCode::Char('c'), none)),
            Control::Continue
        );
        assert_eq!(
            on_key(&mut v, key(KeyCode::Char('x'), none)),
            Control::Continue
        );
        assert_eq!(v, {
            let mut w = view(true);
            w.resets = 1;
            w
        });
    }

    #[test]
    fn names_stay_off_with_numeric() {
        let mut v = view(false);
        on_key(&mut v, key(KeyCode::Char('n'), KeyModifiers::NONE));
        assert!(!v.names);
    }
}
