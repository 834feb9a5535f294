//! `check --plot FILE` and `check --report DIR`: the run as pictures, and as a lab report
//! ready to hand in.
//!
//! The report is `DIR/report.md`: the command line and the time of the run, then every
//! table `check` prints, each under a heading, rendered by the same markdown renderer as
//! `--format markdown` ([`crate::output::markdown`]), with the pictures beside it:
//! `check.svg` (the one page of `--plot`), `ping.svg` (RTT per probe, and the histogram)
//! and `trace.svg` (RTT and unanswered probes per hop), each also as PNG, which the
//! markdown shows (every markdown viewer and converter shows PNG; the SVGs are linked).

use std::path::{Path, PathBuf};

use super::plot::{Page, Verdict};
use super::verdict::Status;
use super::Report;
use crate::error::Failure;
use crate::output::markdown::{self, Run};
use crate::ping::plot::Timeline;
use crate::plot::PlotFile;
use crate::trace::plot::{self as path, HopSamples};

/// The folder of `--report`, made now so that a bad path fails before the run.
pub fn checked_dir(dir: PathBuf) -> Result<PathBuf, Failure> {
    std::fs::create_dir_all(&dir)
        .map_err(|e| Failure::new(format!("--report {}", dir.display()), e))?;
    Ok(dir)
}

/// The three pictures of a check, as SVG text.
pub struct Pictures {
    page: String,
    ping: String,
    trace: String,
}

impl Pictures {
    pub fn new(report: &Report, ping: &Timeline) -> Pictures {
        let target = &report.plan.target.text;
        let address = report.resolved.probe.ip();
        let hops: Vec<HopSamples> = report
            .trace
            .hops
            .iter()
            .map(|hop| HopSamples::of(hop, |a| a.to_string()))
            .collect();
        let tables = report.tables();
        let lines = |i: usize| -> Vec<String> {
            tables[i]
                .row_iter()
                .map(|r| {
                    r.cell_iter()
                        .map(|c| c.content())
                        .filter(|c| !c.is_empty())
                        .collect::<Vec<_>>()
                        .join("  ")
                })
                .collect()
        };
        let verdict = report
            .checks
            .iter()
            .map(|c| Verdict {
                name: c.name.to_string(),
                result: status_word(c.status).to_string(),
                explanation: c.explanation.clone().unwrap_or_default(),
            })
            .collect();
        let page = Page {
            title: format!("netlab check {target} (port {})", report.plan.port),
            resolve: lines(0),
            connect: lines(1),
            ping,
            hops: &hops,
            verdict,
            passed: report.passed,
        };
        Pictures {
            page: page.svg(),
            ping: ping.svg(&format!("ping {target} ({address}): RTT per probe")),
            trace: path::trace_svg(target, address, "udp", &report.trace.hops, |a| {
                a.to_string()
            }),
        }
    }

    /// The one page of `--plot`.
    pub fn page(&self) -> String {
        self.page.clone()
    }
}

/// The verdict table's word for a status.
pub fn status_word(status: Status) -> &'static str {
    match status {
        Status::Pass => "pass",
        Status::Fail => "FAIL",
        Status::Skip => "skip",
    }
}

const HEADINGS: [&str; 5] = ["1. Resolve", "2. Connect", "3. Ping", "4. Trace", "Verdict"];

/// Writes `DIR/report.md` and the pictures beside it.
pub fn write(dir: &Path, run: &Run, report: &Report, pictures: &Pictures) -> Result<(), Failure> {
    for (name, svg) in [
        ("check", &pictures.page),
        ("ping", &pictures.ping),
        ("trace", &pictures.trace),
    ] {
        for ext in ["svg", "png"] {
            let file = PlotFile::parse(&dir.join(format!("{name}.{ext}")).to_string_lossy())
                .map_err(|why| Failure::new(format!("--report {}", dir.display()), why))?;
            file.save(svg)?;
        }
    }
    let text = document(run, report);
    let path = dir.join("report.md");
    std::fs::write(&path, text).map_err(|e| Failure::new(format!("writing {}", path.display()), e))
}

/// The markdown of the report.
fn document(run: &Run, report: &Report) -> String {
    let mut out = vec![format!(
        "# netlab check {}\n",
        markdown::escape_inline(&report.plan.target.text)
    )];
    out.push(markdown::preamble(run));
    let pictures = [
        None,
        None,
        Some(("ping", "ping: RTT per probe, and the spread of RTTs")),
        Some(("trace", "trace: RTT and unanswered probes per hop")),
        Some(("check", "check on one page: the four parts and the verdict")),
    ];
    for ((heading, table), picture) in HEADINGS.iter().zip(report.tables()).zip(pictures) {
        out.push(format!("## {heading}\n"));
        out.push(format!("{}\n", markdown::table(&table)));
        if let Some((name, alt)) = picture {
            out.push(format!(
                "![{alt}]({name}.png)\n\n[{name}.svg]({name}.svg)\n"
            ));
        }
    }
    let verdict = if report.passed {
        "Every check passed."
    } else {
        "A check failed: the verdict table says why."
    };
    out.push(verdict.to_string());
    out.join("\n") + "\n"
}
