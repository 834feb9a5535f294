//! What ping shows: a live row per reply, error or timeout; a summary table (one row per
//! target); the JSON document, or with `--watch` its NDJSON stream; SIGQUIT statistics
//! on stderr.
//!
//! `--watch --json` streams instead of collecting: one object per line as things happen
//! (`"type": "reply"`, `"error"`, `"timeout"`, the fields of the document's records),
//! the last line `{"type": "summary", "summary": [...]}`. Nothing is kept for the end, so
//! a stream that runs for days stays flat; a reply's `name` is null (a line is not held
//! back for a lookup).
//!
//! Reverse names are looked up for every target before the first probe leaves, and for a
//! router the first time it shows up: in the hosts file first, read once, as glibc's
//! `getnameinfo` does (`files` before `dns`), which answers at once and on this thread
//! (`ping -c1 127.0.0.1` starts no thread for its `localhost`); otherwise on a blocking
//! thread (getnameinfo). A row waits at most [`NAME_WAIT`] for a name still being looked
//! up; a slow resolver never holds rows back for longer, and later rows pick the name up
//! once it is known.

use std::collections::HashMap;
use std::net::IpAddr;
use std::time::Duration;

use serde::Serialize;
use tokio::task::JoinHandle;

use super::atlas;
use super::engine::{Engine, Event, Probe, ReplyStatus, Stats, TargetId};
use super::json::{JsonDoc, JsonError, JsonReply, JsonSummary};
use super::plot::Timeline;
use super::{Observer, Plan, Resolved};
use crate::dns::hosts::Hosts;
use crate::net::icmp::reverse_name;
use crate::output::{self, Column, Format, RowPrinter, Stdout};
use crate::plot::PlotFile;

/// The longest a live row waits for a reverse name.
const NAME_WAIT: Duration = Duration::from_millis(100);
/// The longest the JSON document waits for names still being looked up.
const FINAL_NAME_WAIT: Duration = Duration::from_secs(2);

enum Name {
    Pending(JoinHandle<Option<String>>),
    Known(Option<String>),
}

/// Reverse names, looked up concurrently and cached.
struct Names {
    enabled: bool,
    cache: HashMap<IpAddr, Name>,
    /// The hosts file, read at the first lookup.
    hosts: Option<Hosts>,
}

impl Names {
    fn new(enabled: bool) -> Names {
        Names {
            enabled,
            cache: HashMap::new(),
            hosts: None,
        }
    }

    fn start(&mut self, addr: IpAddr) {
        if self.enabled && !self.cache.contains_key(&addr) {
            let hosts = self.hosts.get_or_insert_with(Hosts::load);
            let name = match hosts.name_of(addr) {
                Some(name) => Name::Known(Some(name.to_string())),
                None => Name::Pending(tokio::task::spawn_blocking(move || reverse_name(addr))),
            };
            self.cache.insert(addr, name);
        }
    }

    /// The name of `addr`, waiting at most `budget` for a lookup in progress.
    async fn get(&mut self, addr: IpAddr, budget: Duration) -> Option<String> {
        if !self.enabled {
            return None;
        }
        self.start(addr);
        let entry = self.cache.get_mut(&addr)?;
        if let Name::Pending(task) = entry {
            match tokio::time::timeout(budget, &mut *task).await {
                Ok(result) => *entry = Name::Known(result.ok().flatten()),
                Err(_) => return None,
            }
        }
        match entry {
            Name::Known(name) => name.clone(),
            Name::Pending(_) => None,
        }
    }
}

pub(crate) struct Report {
    out: Stdout,
    format: Format,
    quiet: bool,
    flood: bool,
    timestamps: bool,
    multi: bool,
    timeout: Duration,
    targets: Vec<(String, IpAddr)>,
    names: Names,
    printer: RowPrinter,
    rows_printed: bool,
    /// Every reply (with its target's index and who sent it), for JSON and Atlas.
    replies: Vec<(usize, JsonReply, IpAddr)>,
    errors: Vec<(usize, JsonError)>,
    /// `--plot`: the file, and what to draw in it.
    plot: Option<(PlotFile, Timeline)>,
    /// Why the plot could not be written (the run then exits 2).
    pub plot_failure: Option<crate::error::Failure>,
    /// What `--format atlas` needs beyond the JSON records.
    atlas: Option<AtlasRun>,
    /// `--watch --json`: NDJSON lines as things happen instead of one document.
    stream: bool,
}

/// One NDJSON line of `--watch --json`: a record and what it is.
#[derive(Serialize)]
struct StreamLine<'a, T: Serialize> {
    #[serde(rename = "type")]
    kind: &'static str,
    #[serde(flatten)]
    record: &'a T,
}

#[derive(Serialize)]
struct JsonTimeout {
    target: String,
    seq: u64,
}

#[derive(Serialize)]
struct JsonSummaries {
    summary: Vec<JsonSummary>,
}

fn stream_line<T: Serialize>(out: &Stdout, kind: &'static str, record: &T) {
    out.json_line(&StreamLine { kind, record });
}

/// The Atlas header facts of a run: when it started, the data size, each target's
/// source address (found before the first probe, as the route then was).
struct AtlasRun {
    started: std::time::SystemTime,
    size: usize,
    targets: Vec<atlas::Target>,
}

impl Report {
    pub fn new(plan: &Plan, out: &Stdout, targets: &[Resolved]) -> Report {
        let multi = targets.len() > 1;
        let mut names = Names::new(!plan.numeric);
        for t in targets {
            names.start(t.addr());
        }
        let addr_width = targets
            .iter()
            .map(|t| t.addr().to_string().len())
            .max()
            .unwrap_or(15)
            .max(15);
        let from_width = if plan.numeric {
            addr_width
        } else {
            addr_width + 28
        };
        let target_width = targets
            .iter()
            .map(|t| t.text.len())
            .max()
            .unwrap_or(6)
            .clamp(6, 32);
        let mut columns = Vec::new();
        if plan.timestamps {
            columns.push(Column::left("time", 19));
        }
        if multi {
            columns.push(Column::left("target", target_width as u16));
        }
        columns.extend([
            Column::right("seq", 5),
            Column::left("from", from_width as u16),
            Column::right("bytes", 5),
            Column::right("ttl", 3),
            Column::right("rtt", 11),
            Column::left("", 44),
        ]);
        Report {
            out: out.clone(),
            format: plan.format,
            quiet: plan.quiet,
            flood: plan.flood && plan.format == Format::Table,
            timestamps: plan.timestamps,
            multi,
            timeout: plan.settings.timeout,
            targets: targets.iter().map(|t| (t.text.clone(), t.addr())).collect(),
            names,
            printer: RowPrinter::new(out, &columns),
            rows_printed: false,
            replies: Vec::new(),
            errors: Vec::new(),
            plot: plan.plot.clone().map(|file| {
                let labels = targets.iter().map(|t| t.text.clone());
                (file, Timeline::new(labels))
            }),
            plot_failure: None,
            stream: plan.watch && plan.format == Format::Json,
            atlas: (plan.format == Format::Atlas).then(|| AtlasRun {
                started: std::time::SystemTime::now(),
                size: plan.settings.size,
                targets: targets
                    .iter()
                    .map(|t| atlas::Target {
                        text: t.text.clone(),
                        addr: t.addr(),
                        src: crate::net::probe::source_address(t.sockaddr).ok(),
                    })
                    .collect(),
            }),
        }
    }

    /// No live rows: the live view is drawn where they would go (the report still
    /// records for `--plot`, and prints the summary).
    pub(crate) fn hide_rows(&mut self) {
        self.quiet = true;
    }

    /// The reverse name of `addr` if its lookup has ended, without waiting (a lookup
    /// is started if none was): for the live view, which never holds a picture back.
    pub(crate) async fn name_now(&mut self, addr: IpAddr) -> Option<String> {
        self.names.get(addr, Duration::ZERO).await
    }

    fn save_plot(&mut self) {
        if let Some((file, timeline)) = &self.plot {
            let names: Vec<&str> = self.targets.iter().map(|(t, _)| t.as_str()).collect();
            let title = format!("ping {}: RTT per probe", names.join(", "));
            if let Err(failure) = file.save(&timeline.svg(&title)) {
                self.plot_failure = Some(failure);
            }
        }
    }

    fn target_text(&self, target: TargetId) -> String {
        self.targets[target.0].0.clone()
    }

    fn row(&mut self, target: TargetId, cells: [String; 6]) {
        let mut row = Vec::with_capacity(8);
        if self.timestamps {
            // iputils' -D: [seconds.microseconds] of the moment the row's event was read.
            row.push(format!("[{:.6}]", unix_now()));
        }
        if self.multi {
            row.push(self.target_text(target));
        }
        row.extend(cells);
        self.printer.print(&row);
        self.rows_printed = true;
    }

    /// A row with only the sequence number and a note (no reply to show).
    fn note_row(&mut self, target: TargetId, seq: u64, note: String) {
        let blank = String::new;
        let cells = [seq.to_string(), blank(), blank(), blank(), blank(), note];
        self.row(target, cells);
    }

    async fn shown(&mut self, addr: IpAddr) -> String {
        match self.names.get(addr, NAME_WAIT).await {
            Some(name) => format!("{addr} ({name})"),
            None => addr.to_string(),
        }
    }

    async fn show(&mut self, event: &Event) {
        if let Some((_, timeline)) = &mut self.plot {
            timeline.record(event);
        }
        let table = self.format.shows_tables() && !self.quiet;
        let unix_time = unix_now();
        if self.flood {
            // iputils: a backspace takes back a probe's dot when its reply comes; an
            // error leaves an E.
            match event {
                Event::Reply {
                    status: ReplyStatus::Ok,
                    ..
                } => self.out.unterminated("\x08 \x08"),
                Event::Error { .. } | Event::SendFailed { .. } => self.out.unterminated("\x08E"),
                _ => {}
            }
        }
        match event {
            Event::Reply {
                target,
                seq,
                from,
                bytes,
                ttl,
                rtt,
                status,
            } => {
                if table {
                    let from_text = self.shown(*from).await;
                    let note = match status {
                        ReplyStatus::Ok => String::new(),
                        ReplyStatus::Duplicate => "DUP!".into(),
                        ReplyStatus::Late => "late (after timeout)".into(),
                    };
                    self.row(
                        *target,
                        [
                            seq.to_string(),
                            from_text,
                            bytes.to_string(),
                            ttl.map(|t| t.to_string()).unwrap_or_default(),
                            format!("{:.3} ms", output::ms(*rtt)),
                            note,
                        ],
                    );
                } else if matches!(self.format, Format::Json | Format::Atlas) {
                    let reply = JsonReply {
                        target: self.target_text(*target),
                        seq: *seq,
                        from: from.to_string(),
                        name: None,
                        bytes: *bytes,
                        ttl: *ttl,
                        rtt_ms: output::ms(*rtt),
                        duplicate: *status == ReplyStatus::Duplicate,
                        late: *status == ReplyStatus::Late,
                        unix_time: (unix_time * 1e6).round() / 1e6,
                    };
                    if self.stream {
                        stream_line(&self.out, "reply", &reply);
                    } else {
                        self.names.start(*from);
                        self.replies.push((target.0, reply, *from));
                    }
                }
            }
            Event::Timeout { target, seq } => {
                if table {
                    let note = format!("no reply within {:?}", self.timeout);
                    self.note_row(*target, *seq, note);
                } else if self.stream {
                    let target = self.target_text(*target);
                    stream_line(&self.out, "timeout", &JsonTimeout { target, seq: *seq });
                }
            }
            Event::Error {
                target,
                seq,
                from,
                kind,
                rtt,
                mtu,
            } => {
                let detail = match mtu {
                    Some(mtu) => format!("{} (mtu = {mtu})", kind.describe()),
                    None => kind.describe(),
                };
                if table {
                    let from_text = self.shown(*from).await;
                    self.row(
                        *target,
                        [
                            seq.to_string(),
                            from_text,
                            String::new(),
                            String::new(),
                            format!("{:.3} ms", output::ms(*rtt)),
                            detail.clone(),
                        ],
                    );
                }
                self.error(
                    target.0,
                    JsonError {
                        target: self.target_text(*target),
                        seq: *seq,
                        from: Some(from.to_string()),
                        kind: kind.as_str().into(),
                        detail,
                        mtu: *mtu,
                    },
                );
            }
            Event::SendFailed {
                target,
                seq,
                reason,
                mtu,
            } => {
                if table {
                    let note = match mtu {
                        Some(_) => reason.clone(),
                        None => format!("send failed: {reason}"),
                    };
                    self.note_row(*target, *seq, note);
                }
                self.error(
                    target.0,
                    JsonError {
                        target: self.target_text(*target),
                        seq: *seq,
                        from: None,
                        kind: if mtu.is_some() {
                            "message_too_long"
                        } else {
                            "send_failed"
                        }
                        .into(),
                        detail: reason.clone(),
                        mtu: *mtu,
                    },
                );
            }
            Event::Outstanding { target, seq } => {
                if table {
                    self.note_row(*target, *seq, "no answer yet".into());
                }
            }
        }
    }

    /// An error record: kept for the document, or streamed (a table keeps none: a long
    /// run against an unreachable host stays flat).
    fn error(&mut self, target: usize, record: JsonError) {
        if self.stream {
            stream_line(&self.out, "error", &record);
        } else if matches!(self.format, Format::Json | Format::Atlas) {
            self.errors.push((target, record));
        }
    }

    fn summary_row(&self, engine: &Engine, index: usize) -> JsonSummary {
        let (text, addr) = &self.targets[index];
        let s: &Stats = engine.stats(TargetId(index));
        let round = |v: f64| (v * 1000.0).round() / 1000.0;
        JsonSummary {
            target: text.clone(),
            address: addr.to_string(),
            transmitted: s.transmitted,
            received: s.received,
            duplicates: s.duplicates,
            errors: s.errors,
            late: s.late,
            loss_percent: (s.loss_percent() * 1000.0).round() / 1000.0,
            min_ms: s.min().map(output::ms),
            avg_ms: s.avg_ms().map(round),
            max_ms: s.max().map(output::ms),
            mdev_ms: s.mdev_ms().map(round),
            jitter_ms: s.jitter_ms().map(round),
        }
    }

    /// Prints the summary table, or the whole JSON document.
    async fn summarize(&mut self, engine: &Engine) {
        self.save_plot();
        let summary: Vec<JsonSummary> = (0..self.targets.len())
            .map(|i| self.summary_row(engine, i))
            .collect();
        if self.stream {
            stream_line(&self.out, "summary", &JsonSummaries { summary });
            return;
        }
        if matches!(self.format, Format::Json | Format::Atlas) {
            let deadline = tokio::time::Instant::now() + FINAL_NAME_WAIT;
            let mut replies = Vec::with_capacity(self.replies.len());
            let mut indexes = Vec::with_capacity(self.replies.len());
            for (index, mut reply, from) in std::mem::take(&mut self.replies) {
                let budget = deadline.saturating_duration_since(tokio::time::Instant::now());
                reply.name = self.names.get(from, budget).await;
                replies.push(reply);
                indexes.push(index);
            }
            let (error_indexes, errors): (Vec<usize>, Vec<JsonError>) =
                std::mem::take(&mut self.errors).into_iter().unzip();
            let doc = JsonDoc {
                replies,
                errors,
                summary,
            };
            match &self.atlas {
                Some(run) => {
                    let results = atlas::results(
                        run.started,
                        run.size,
                        &run.targets,
                        &indexes.into_iter().zip(&doc.replies).collect::<Vec<_>>(),
                        &error_indexes
                            .into_iter()
                            .zip(&doc.errors)
                            .collect::<Vec<_>>(),
                        &doc.summary,
                    );
                    self.out.atlas(&results, &doc);
                }
                None => self.out.json(&doc),
            }
            return;
        }
        if self.rows_printed || self.flood {
            self.out.line("");
        }
        let mut table = output::table(&[
            "target", "address", "sent", "received", "dup", "errors", "late", "loss", "min", "avg",
            "max", "mdev", "jitter",
        ]);
        let ms = |v: Option<f64>| v.map(|v| format!("{v:.3}")).unwrap_or_else(|| "-".into());
        for s in summary {
            table.add_row(vec![
                s.target,
                s.address,
                s.transmitted.to_string(),
                s.received.to_string(),
                s.duplicates.to_string(),
                s.errors.to_string(),
                s.late.to_string(),
                format!("{}%", trim_float(s.loss_percent)),
                ms(s.min_ms),
                ms(s.avg_ms),
                ms(s.max_ms),
                ms(s.mdev_ms),
                ms(s.jitter_ms),
            ]);
        }
        self.out.table(&table);
    }

    /// SIGQUIT: statistics so far, on stderr (as iputils does), and the run goes on.
    /// Probes still within their timeout are not counted yet, so a reply on its way
    /// does not show up as loss.
    fn show_interim(&self, engine: &Engine) {
        for (i, (text, addr)) in self.targets.iter().enumerate() {
            let s = engine.stats(TargetId(i));
            let settled = s.transmitted - engine.in_flight_to(TargetId(i)).min(s.transmitted);
            let loss = if settled == 0 {
                0.0
            } else {
                settled.saturating_sub(s.received) as f64 * 100.0 / settled as f64
            };
            let rtt = match (s.min(), s.avg_ms(), s.max(), s.mdev_ms()) {
                (Some(min), Some(avg), Some(max), Some(mdev)) => format!(
                    ", min/avg/max/mdev = {:.3}/{avg:.3}/{:.3}/{mdev:.3} ms",
                    output::ms(min),
                    output::ms(max)
                ),
                _ => String::new(),
            };
            eprintln!(
                "{text} ({addr}): {}/{settled} received, {}% loss{rtt}",
                s.received,
                trim_float((loss * 10.0).round() / 10.0)
            );
        }
    }
}

/// The command's output is an observer of the one driver.
impl Observer for Report {
    fn sent(&mut self, probe: &Probe) {
        if let Some((_, timeline)) = &mut self.plot {
            timeline.sent(probe.target.0, probe.seq);
        }
        if self.flood {
            self.out.unterminated(".");
        }
    }

    async fn event(&mut self, event: &Event) {
        self.show(event).await
    }

    fn interim(&mut self, engine: &Engine) {
        self.show_interim(engine)
    }

    async fn finish(&mut self, engine: &Engine) {
        self.summarize(engine).await
    }

    /// Nobody reads stdout any more (`netlab ping host | head -3`): the run ends.
    fn stopped(&self) -> bool {
        self.out.stopped()
    }
}

/// Seconds since 1970 (the -D column, the JSON `unix_time`).
fn unix_now() -> f64 {
    std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map_or(0.0, |d| d.as_secs_f64())
}

/// 0.0 -> "0", 33.333 -> "33.333".
fn trim_float(v: f64) -> String {
    let text = format!("{v:.3}");
    text.trim_end_matches('0').trim_end_matches('.').to_string()
}

#[cfg(test)]
mod tests {
    use super::*;

    /// A name the hosts file has is known at once, on this thread: no runtime exists
    /// here, so a lookup thread (`spawn_blocking`) would panic. `-n` looks up nothing.
    #[test]
    fn hosts_file_names_are_known_without_a_thread() {
        let fixture = b"127.0.0.1 localhost\n198.18.9.9 HostsOnly.netlab.test alias\n";
        let mut names = Names::new(true);
        names.hosts = Some(Hosts::parse(fixture));
        let addr: IpAddr = "198.18.9.9".parse().unwrap();
        names.start(addr);
        assert!(matches!(
            names.cache.get(&addr),
            Some(Name::Known(Some(name))) if name == "HostsOnly.netlab.test"
        ));
        let mut numeric = Names::new(false);
        numeric.start(addr);
        assert!(numeric.cache.is_empty() && numeric.hosts.is_none());
    }

    /// An address the (fixture) hosts file lacks goes to getnameinfo on a blocking
    /// thread. 127.0.0.1, which the system's own hosts file answers, so no query leaves.
    #[tokio::test]
    async fn other_names_are_looked_up_on_a_thread() {
        let mut names = Names::new(true);
        names.hosts = Some(Hosts::parse(b"198.18.9.9 hostsonly.netlab.test\n"));
        let addr: IpAddr = "127.0.0.1".parse().unwrap();
        names.start(addr);
        assert!(matches!(names.cache.get(&addr), Some(Name::Pending(_))));
        names.get(addr, Duration::from_secs(5)).await;
        assert!(matches!(names.cache.get(&addr), Some(Name::Known(_))));
    }

    /// A table run keeps no ICMP error records (only JSON and Atlas print them): a long
    /// ping of an unreachable host stays flat. JSON keeps each one for its document.
    #[tokio::test]
    async fn only_documents_keep_error_records() {
        use crate::cli::{Cli, Command};
        use crate::ping::engine::{Event, TargetId};
        use clap::Parser;
        let plan_for = |format: &str| {
            let cli =
                Cli::try_parse_from(["netlab", "ping", "-n", "--format", format, "127.0.0.1"])
                    .expect("clap accepts it");
            let Command::Ping(args) = cli.command else {
                unreachable!()
            };
            Plan::from_args(args.into_inner()).expect("a plan")
        };
        let target = Resolved {
            text: "127.0.0.1".into(),
            sockaddr: "127.0.0.1:0".parse().unwrap(),
        };
        for (format, expected) in [("table", 0), ("json", 1000)] {
            let plan = plan_for(format);
            let mut report =
                Report::new(&plan, &Stdout::for_tests(), std::slice::from_ref(&target));
            for seq in 0..1000 {
                report
                    .show(&Event::Error {
                        target: TargetId(0),
                        seq,
                        from: "127.0.0.1".parse().unwrap(),
                        kind: crate::packet::IcmpErrorKind::HostUnreachable,
                        rtt: Duration::from_millis(1),
                        mtu: None,
                    })
                    .await;
            }
            assert_eq!(report.errors.len(), expected, "--format {format}");
        }
    }

    #[test]
    fn loss_percentages_read_well() {
        assert_eq!(trim_float(0.0), "0");
        assert_eq!(trim_float(100.0), "100");
        assert_eq!(trim_float(100.0 / 3.0), "33.333");
    }
}
