//! Sweeps: `ping 10.0.0.0/24` asks "which of these are up?", as `fping -g` and
//! `nmap -sn` do, not "how is the path to each?".
//!
//! A sweep is one more consumer of the ping engine, not a loop of its own: each address
//! is a target with one probe (`-c` still raises it), and the engine's `spread` start
//! spaces the targets' first probes evenly, so the run sends a steady `--rate` probes a
//! second rather than a burst of a whole network (a burst fills the first router's queue
//! and neighbour tables and loses its own replies). The run ends when the last probe's
//! `-W` has passed.
//!
//! What it prints (table output): a row per address as it first answers, then a summary
//! table; with `-a` only the alive addresses, one per line, as they answer, with `-u` only
//! the unreachable ones once the run is over, one per line (fping's `-a`/`-u`), the counts
//! then on stderr. Other formats (`--json`, markdown, atlas) keep ping's own report, whose
//! per-target summary already says who answered.

use std::net::IpAddr;
use std::time::Duration;

use super::engine::{Engine, Event, ReplyStatus, Settings, TargetId};
use super::{Observer, Resolved};
use crate::cli::PingArgs;
use crate::error::Failure;
use crate::output::{self, Column, Format, RowPrinter, Stdout};
use crate::target::AddrRange;

/// Probes a second across a sweep when `--rate` is not given: fping's default pace
/// (`-i 1`, 1 ms between targets) and below what a neighbour table absorbs.
pub const DEFAULT_RATE: u32 = 1000;

/// What a sweep prints.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Show {
    /// A row per alive address, then the summary table.
    Rows,
    /// `-a`: alive addresses only, one per line.
    Alive,
    /// `-u`: unreachable addresses only, one per line.
    Unreachable,
}

/// A sweep's settings, when the command line asks for one.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct SweepPlan {
    pub show: Show,
    pub rate: u32,
}

impl SweepPlan {
    /// A sweep when a target is a range or `-a`/`-u` is given; `--rate` alone is refused,
    /// since a plain ping is paced by `-i`.
    pub fn from_args(args: &PingArgs, texts: &[String]) -> Result<Option<SweepPlan>, Failure> {
        let ranged = texts
            .iter()
            .any(|text| matches!(AddrRange::parse(text), Ok(Some(_))));
        if !(ranged || args.alive || args.unreachable) {
            if args.rate.is_some() {
                return Err(Failure::usage(
                    "ping --rate",
                    "paces a sweep (a range of addresses, -a or -u); a plain ping is paced by -i",
                ));
            }
            return Ok(None);
        }
        for (given, flag, why) in [
            (
                args.watch,
                "--watch",
                "a sweep prints who answers, not a live chart",
            ),
            (
                args.probe_interface.is_some(),
                "--probe-interface",
                "asks one router, not a range",
            ),
            (args.flood, "-f", "a sweep is paced by --rate"),
            (args.interval.is_some(), "-i", "a sweep is paced by --rate"),
        ] {
            if given {
                return Err(Failure::usage(format!("ping {flag}"), why));
            }
        }
        let show = match (args.alive, args.unreachable) {
            (true, _) => Show::Alive,
            (_, true) => Show::Unreachable,
            _ => Show::Rows,
        };
        Ok(Some(SweepPlan {
            show,
            rate: args.rate.unwrap_or(DEFAULT_RATE),
        }))
    }

    /// Paces `targets` at the sweep's rate: each target's probes one "interval" apart,
    /// the interval being the time the whole sweep takes to go round once, and the
    /// first probes spread evenly over it.
    pub fn pace(&self, settings: &mut Settings, targets: usize) {
        settings.count = Some(settings.count.unwrap_or(1));
        settings.interval = Duration::from_secs_f64(targets.max(1) as f64 / self.rate as f64);
        settings.spread = true;
    }

    /// Whether this sweep's output is the sweep's own (else ping's report prints).
    pub fn own_output(&self, format: Format) -> bool {
        self.show != Show::Rows || format == Format::Table
    }
}

/// The sweep's printer: an observer of the engine's events.
pub struct SweepReport {
    out: Stdout,
    show: Show,
    printer: RowPrinter,
    addrs: Vec<IpAddr>,
    alive: Vec<bool>,
}

impl SweepReport {
    pub fn new(plan: &SweepPlan, out: &Stdout, targets: &[Resolved]) -> SweepReport {
        SweepReport {
            out: out.clone(),
            show: plan.show,
            printer: RowPrinter::new(
                out,
                &[Column::left("address", 39), Column::right("rtt", 11)],
            ),
            addrs: targets.iter().map(Resolved::addr).collect(),
            alive: vec![false; targets.len()],
        }
    }

    fn counts(&self) -> (usize, usize) {
        let alive = self.alive.iter().filter(|&&a| a).count();
        (alive, self.alive.len() - alive)
    }
}

impl Observer for SweepReport {
    async fn event(&mut self, event: &Event) {
        let Event::Reply {
            target: TargetId(i),
            rtt,
            status: ReplyStatus::Ok,
            ..
        } = *event
        else {
            return;
        };
        if std::mem::replace(&mut self.alive[i], true) {
            return;
        }
        match self.show {
            Show::Rows => self.printer.print(&[
                self.addrs[i].to_string(),
                format!("{:.3} ms", output::ms(rtt)),
            ]),
            Show::Alive => self.out.line(&self.addrs[i].to_string()),
            Show::Unreachable => {}
        }
    }

    async fn finish(&mut self, _engine: &Engine) {
        let (alive, unreachable) = self.counts();
        match self.show {
            Show::Rows => {
                let mut table = output::table(&["targets", "alive", "unreachable"]);
                table.add_row(vec![
                    self.alive.len().to_string(),
                    alive.to_string(),
                    unreachable.to_string(),
                ]);
                self.out.table(&table);
            }
            Show::Alive | Show::Unreachable => {
                if self.show == Show::Unreachable {
                    for (addr, _) in self.addrs.iter().zip(&self.alive).filter(|(_, a)| !**a) {
                        self.out.line(&addr.to_string());
                    }
                }
                eprintln!(
                    "{} targets: {alive} alive, {unreachable} unreachable",
                    self.alive.len()
                );
            }
        }
    }

    fn stopped(&self) -> bool {
        self.out.stopped()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn pacing_spreads_one_round_over_the_rate() {
        let plan = SweepPlan {
            show: Show::Rows,
            rate: 100,
        };
        let mut settings = Settings::plain(None, Duration::from_secs(1), Duration::from_secs(1));
        plan.pace(&mut settings, 254);
        assert_eq!(settings.count, Some(1));
        assert_eq!(settings.interval, Duration::from_millis(2540));
        assert!(settings.spread);
        let mut settings = Settings::plain(Some(3), Duration::from_secs(1), Duration::from_secs(1));
        plan.pace(&mut settings, 1);
        assert_eq!(settings.count, Some(3), "-c is kept");
        assert_eq!(settings.interval, Duration::from_millis(10));
    }
}
