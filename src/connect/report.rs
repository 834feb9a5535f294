//! What `connect` prints: live rows, the closing tables, and the one JSON document
//! (its schema is in the module documentation of `connect`).

use std::borrow::Borrow;
use std::time::Duration;

use comfy_table::{Cell, CellAlignment};
use indicatif::{ProgressBar, ProgressStyle};
use serde::{Serialize, Serializer};

use super::probe::{Outcome, Protocol, State};
use super::stats::Summary;
use crate::output::{self, escape_bytes, Column, Format, RowPrinter, Stdout};

/// One probe's result with where it went.
#[derive(Debug, Clone)]
pub struct ProbeRecord {
    pub target: String,
    pub address: String,
    pub port: u16,
    pub protocol: Protocol,
    pub seq: u64,
    pub outcome: Outcome,
}

impl Serialize for ProbeRecord {
    fn serialize<S: Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        #[derive(Serialize)]
        struct Json<'a> {
            target: &'a str,
            address: &'a str,
            port: u16,
            protocol: Protocol,
            seq: u64,
            state: State,
            time_ms: Option<f64>,
            detail: Option<&'a str>,
            answer: Option<String>,
            expect_matched: Option<bool>,
        }
        let o = &self.outcome;
        Json {
            target: &self.target,
            address: &self.address,
            port: self.port,
            protocol: self.protocol,
            seq: self.seq,
            state: o.state,
            time_ms: o.time.map(output::ms),
            detail: o.detail.as_deref(),
            answer: o.answer.as_deref().map(escape_bytes),
            expect_matched: o.expect_matched,
        }
        .serialize(serializer)
    }
}

/// The statistics of one address and port.
#[derive(Debug, Clone)]
pub struct StatisticsRecord {
    pub target: String,
    pub address: String,
    pub port: u16,
    pub protocol: Protocol,
    pub summary: Summary,
}

impl Serialize for StatisticsRecord {
    fn serialize<S: Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        #[derive(Serialize)]
        struct Json<'a> {
            target: &'a str,
            address: &'a str,
            port: u16,
            protocol: Protocol,
            sent: u64,
            open: u64,
            failed: u64,
            loss_percent: f64,
            min_ms: Option<f64>,
            avg_ms: Option<f64>,
            max_ms: Option<f64>,
            mdev_ms: Option<f64>,
        }
        let s = &self.summary;
        Json {
            target: &self.target,
            address: &self.address,
            port: self.port,
            protocol: self.protocol,
            sent: s.sent,
            open: s.open,
            failed: s.failed,
            loss_percent: s.loss_percent,
            min_ms: s.times.map(|t| t.min_ms),
            avg_ms: s.times.map(|t| t.avg_ms),
            max_ms: s.times.map(|t| t.max_ms),
            mdev_ms: s.times.map(|t| t.mdev_ms),
        }
        .serialize(serializer)
    }
}

/// The result of scanning one address.
#[derive(Debug, Clone, Serialize)]
pub struct ScanRecord {
    pub target: String,
    pub address: String,
    pub protocol: Protocol,
    pub ports: usize,
    pub open: Vec<u16>,
    pub closed: u64,
    pub filtered: u64,
    pub unreachable: u64,
    pub open_filtered: u64,
    pub detail: Option<String>,
    pub elapsed_ms: f64,
    pub concurrency: usize,
    pub completed: bool,
}

impl ScanRecord {
    pub fn new(target: &str, address: &str, protocol: Protocol, ports: usize) -> ScanRecord {
        ScanRecord::owned(target.to_string(), address.to_string(), protocol, ports)
    }

    /// As `new`, taking the strings it keeps (the SYN scan makes each record from
    /// strings it has just made for it).
    pub fn owned(target: String, address: String, protocol: Protocol, ports: usize) -> ScanRecord {
        ScanRecord {
            target,
            address,
            protocol,
            ports,
            open: Vec::new(),
            closed: 0,
            filtered: 0,
            unreachable: 0,
            open_filtered: 0,
            detail: None,
            elapsed_ms: 0.0,
            concurrency: 0,
            completed: true,
        }
    }

    pub fn add(&mut self, port: u16, outcome: &Outcome) {
        self.count(port, outcome.state);
        if outcome.state == State::Unreachable && self.detail.is_none() {
            self.detail.clone_from(&outcome.detail);
        }
    }

    /// Counts `port` as `state` (an open one is listed), without its detail.
    pub fn count(&mut self, port: u16, state: State) {
        match state {
            State::Open => self.open.push(port),
            State::Closed => self.closed += 1,
            State::Filtered => self.filtered += 1,
            State::OpenFiltered => self.open_filtered += 1,
            State::Unreachable => self.unreachable += 1,
        }
    }

    pub fn finish(&mut self, elapsed: Duration, concurrency: usize) {
        self.open.sort_unstable();
        self.elapsed_ms = output::ms(elapsed);
        self.concurrency = concurrency;
    }

    fn scanned(&self) -> u64 {
        self.open.len() as u64 + self.closed + self.filtered + self.unreachable + self.open_filtered
    }
}

/// Live rows: printed as results arrive, aligned, nothing with `--json`.
pub struct ProbeRows {
    printer: Option<RowPrinter>,
    with_seq: bool,
}

const PROBE_COLUMNS: [Column; 7] = [
    Column::left("target", 18),
    Column::left("address", 24),
    Column::right("port", 5),
    Column::left("proto", 5),
    Column::left("state", 13),
    Column::right("time ms", 9),
    Column::left("detail", 46),
];

impl ProbeRows {
    pub fn new(out: &Stdout, format: Format, with_seq: bool) -> ProbeRows {
        let printer = format.shows_tables().then(|| {
            let mut columns = Vec::new();
            if with_seq {
                columns.push(Column::right("seq", 4));
            }
            columns.extend(PROBE_COLUMNS);
            RowPrinter::new(out, &columns)
        });
        ProbeRows { printer, with_seq }
    }

    pub fn row(&mut self, record: &ProbeRecord) {
        let Some(printer) = &mut self.printer else {
            return;
        };
        let o = &record.outcome;
        let mut cells = Vec::with_capacity(8);
        if self.with_seq {
            cells.push(record.seq.to_string());
        }
        cells.extend([
            record.target.clone(),
            record.address.clone(),
            record.port.to_string(),
            record.protocol.label().to_string(),
            o.state.label().to_string(),
            o.time
                .map_or_else(|| "-".to_string(), |t| format!("{:.3}", output::ms(t))),
            detail_cell(o),
        ]);
        printer.print(&cells);
    }
}

/// The detail column: the answer (escaped, shortened), the expectation, then the detail.
fn detail_cell(outcome: &Outcome) -> String {
    let mut parts = Vec::new();
    if let Some(answer) = &outcome.answer {
        let text = escape_bytes(answer);
        parts.push(if text.chars().count() > 120 {
            let cut: String = text.chars().take(117).collect();
            format!("\"{cut}...\" ({} bytes)", answer.len())
        } else {
            format!("\"{text}\"")
        });
    }
    match outcome.expect_matched {
        Some(true) => parts.push("expect: matched".into()),
        Some(false) => parts.push("expect: NOT matched".into()),
        None => {}
    }
    if let Some(detail) = &outcome.detail {
        parts.push(detail.clone());
    }
    if parts.is_empty() {
        match outcome.state {
            State::Filtered | State::OpenFiltered => parts.push("no reply".into()),
            _ => {}
        }
    }
    parts.join("  ")
}

/// Ctrl-C ended the run: say the results are partial. A closed stdout ends it the same
/// way, but then nobody reads them, and `| head` must stay quiet.
fn warn_interrupted(out: &Stdout, interrupted: bool) {
    if interrupted && !out.stopped() {
        output::warn("interrupted; these are the results so far");
    }
}

/// Ends a probe run: the JSON document, or the statistics / summary table.
pub fn finish_probes(
    out: &Stdout,
    format: Format,
    repeated: bool,
    records: &[ProbeRecord],
    statistics: &[StatisticsRecord],
    interrupted: bool,
) {
    if format == Format::Json {
        #[derive(Serialize)]
        struct Document<'a> {
            probes: &'a [ProbeRecord],
            statistics: &'a [StatisticsRecord],
            interrupted: bool,
        }
        out.json(&Document {
            probes: records,
            statistics,
            interrupted,
        });
        return;
    }
    warn_interrupted(out, interrupted);
    if repeated {
        let mut table = output::table(&[
            "target", "address", "port", "proto", "sent", "open", "failed", "loss", "min ms",
            "avg ms", "max ms", "mdev ms",
        ]);
        for record in statistics {
            let s = &record.summary;
            let time = |pick: fn(&super::stats::Times) -> f64| {
                s.times
                    .as_ref()
                    .map_or_else(|| "-".to_string(), |t| format!("{:.3}", pick(t)))
            };
            table.add_row(vec![
                Cell::new(&record.target),
                Cell::new(&record.address),
                right(record.port),
                Cell::new(record.protocol.label()),
                right(s.sent),
                right(s.open),
                right(s.failed),
                right(format!("{}%", trim_float(s.loss_percent))),
                right(time(|t| t.min_ms)),
                right(time(|t| t.avg_ms)),
                right(time(|t| t.max_ms)),
                right(time(|t| t.mdev_ms)),
            ]);
        }
        out.line("");
        out.table(&table);
    } else if records.len() > 1 {
        let count = |state: State| records.iter().filter(|r| r.outcome.state == state).count();
        let mut header = vec!["probes", "open", "closed", "filtered", "unreachable"];
        let mut row = vec![
            records.len(),
            count(State::Open),
            count(State::Closed),
            count(State::Filtered),
            count(State::Unreachable),
        ];
        if records.iter().any(|r| r.protocol == Protocol::Udp) {
            header.push("open|filtered");
            row.push(count(State::OpenFiltered));
        }
        if records.iter().any(|r| r.outcome.expect_matched.is_some()) {
            header.push("expect failed");
            row.push(
                records
                    .iter()
                    .filter(|r| r.outcome.expect_matched == Some(false))
                    .count(),
            );
        }
        let mut table = output::table(&header);
        table.add_row(row.into_iter().map(right).collect::<Vec<_>>());
        out.line("");
        out.table(&table);
    }
}

/// How a SYN scan's adaptive rate went, in SYNs a second: in its JSON document, and in a
/// line under the table when losses lowered it.
#[derive(Debug, Clone, Copy, Serialize)]
pub struct SynRate {
    /// `--rate`: where it started and the most it went.
    pub max_pps: u32,
    pub lowest_pps: u64,
    pub final_pps: u64,
    /// How many times losses lowered it.
    pub cuts: u32,
}

/// Above this many addresses the closing scan table is printed a row at a time, in
/// columns of fixed width, as each record is made: comfy-table lays every row out at
/// once (300 MB for the 65,534 rows of a /16), and a row printer holds one.
const STREAMED_SCAN_ROWS: usize = 1024;

/// Ends a scan run: the JSON document or the summary table. `scans` gives the records,
/// in order, each time it is called (twice for a table: the columns depend on them all),
/// so a caller may make them one at a time and nothing holds them all.
pub fn finish_scans<F, I>(out: &Stdout, format: Format, scans: F, interrupted: bool)
where
    F: Fn() -> I,
    I: Iterator,
    I::Item: Borrow<ScanRecord>,
{
    finish_scans_with(out, format, scans, interrupted, None);
}

/// As [`finish_scans`], for a SYN scan with how its rate went.
pub fn finish_scans_with<F, I>(
    out: &Stdout,
    format: Format,
    scans: F,
    interrupted: bool,
    syn_rate: Option<&SynRate>,
) where
    F: Fn() -> I,
    I: Iterator,
    I::Item: Borrow<ScanRecord>,
{
    if format == Format::Json {
        #[derive(Serialize)]
        struct Document<'a, S> {
            scans: S,
            #[serde(skip_serializing_if = "Option::is_none")]
            syn_rate: Option<&'a SynRate>,
            interrupted: bool,
        }
        out.json(&Document {
            scans: Each(&scans),
            syn_rate,
            interrupted,
        });
        return;
    }
    warn_interrupted(out, interrupted);
    let (mut count, mut udp, mut details) = (0, false, false);
    for scan in scans() {
        let scan = scan.borrow();
        count += 1;
        udp |= scan.protocol == Protocol::Udp;
        details |= scan.detail.is_some();
    }
    let mut columns = vec![
        Column::left("target", 18),
        Column::left("address", 24),
        Column::left("proto", 5),
        Column::right("scanned", 9),
        Column::right("open", 5),
        Column::right("closed", 6),
        Column::right("filtered", 8),
        Column::right("unreachable", 11),
    ];
    if udp {
        columns.push(Column::right("open|filtered", 13));
    }
    columns.extend([
        Column::right("seconds", 8),
        Column::right("ports/s", 8),
        Column::left("open ports", 24),
    ]);
    if details {
        columns.push(Column::left("detail", 46));
    }
    out.line("");
    if count > STREAMED_SCAN_ROWS {
        let mut printer = RowPrinter::new(out, &columns);
        for scan in scans() {
            printer.print(&scan_cells(scan.borrow(), udp, details));
        }
    } else {
        let titles: Vec<&str> = columns.iter().map(|c| c.title).collect();
        let mut table = output::table(&titles);
        for scan in scans() {
            let cells = scan_cells(scan.borrow(), udp, details);
            table.add_row(
                cells
                    .into_iter()
                    .zip(&columns)
                    .map(|(text, column)| Cell::new(text).set_alignment(column.align))
                    .collect::<Vec<_>>(),
            );
        }
        out.table(&table);
    }
    if let Some(rate) = syn_rate.filter(|r| r.cuts > 0) {
        out.line(&format!(
            "losses lowered the SYN rate {} times, from {}/s to {}/s at the lowest (ended at {}/s): a rate limit on the way",
            rate.cuts, rate.max_pps, rate.lowest_pps, rate.final_pps
        ));
    }
}

/// The cells of one address's row of the closing scan table.
fn scan_cells(scan: &ScanRecord, udp: bool, details: bool) -> Vec<String> {
    let seconds = scan.elapsed_ms / 1000.0;
    let rate = if seconds > 0.0 {
        (scan.scanned() as f64 / seconds).round() as u64
    } else {
        0
    };
    let mut row = vec![
        scan.target.clone(),
        scan.address.clone(),
        scan.protocol.label().to_string(),
        if scan.completed {
            scan.scanned().to_string()
        } else {
            format!("{} of {}", scan.scanned(), scan.ports)
        },
        scan.open.len().to_string(),
        scan.closed.to_string(),
        scan.filtered.to_string(),
        scan.unreachable.to_string(),
    ];
    if udp {
        row.push(scan.open_filtered.to_string());
    }
    row.extend([
        format!("{seconds:.3}"),
        rate.to_string(),
        if scan.open.is_empty() {
            "none".to_string()
        } else {
            compress_ports(&scan.open)
        },
    ]);
    if details {
        row.push(scan.detail.clone().unwrap_or_default());
    }
    row
}

/// Serialises the records `F` makes as a JSON array, one at a time.
struct Each<'a, F>(&'a F);

impl<F, I> Serialize for Each<'_, F>
where
    F: Fn() -> I,
    I: Iterator,
    I::Item: Borrow<ScanRecord>,
{
    fn serialize<S: Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        struct One<B>(B);
        impl<B: Borrow<ScanRecord>> Serialize for One<B> {
            fn serialize<S: Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
                self.0.borrow().serialize(serializer)
            }
        }
        serializer.collect_seq((self.0)().map(One))
    }
}

fn right(value: impl ToString) -> Cell {
    Cell::new(value.to_string()).set_alignment(CellAlignment::Right)
}

fn trim_float(value: f64) -> String {
    let text = format!("{value:.1}");
    text.strip_suffix(".0").map(str::to_string).unwrap_or(text)
}

/// `22,80,81,82,443` → `22,80-82,443`.
pub fn compress_ports(ports: &[u16]) -> String {
    let mut parts: Vec<String> = Vec::new();
    let mut i = 0;
    while i < ports.len() {
        let start = ports[i];
        let mut end = start;
        while i + 1 < ports.len() && ports[i + 1] == end.wrapping_add(1) && end != u16::MAX {
            i += 1;
            end = ports[i];
        }
        parts.push(if start == end {
            start.to_string()
        } else {
            format!("{start}-{end}")
        });
        i += 1;
    }
    parts.join(",")
}

/// A progress bar on stderr, only when stderr is a terminal: done and to do, the rate,
/// the open ports found so far, and the time left.
#[derive(Clone)]
pub struct Progress {
    bar: Option<ProgressBar>,
}

impl Progress {
    pub fn start(len: usize, what: &str) -> Progress {
        let bar = output::stderr_is_terminal().then(|| {
            let bar = ProgressBar::new(len as u64);
            if let Ok(style) = ProgressStyle::with_template(
                "{msg} [{bar:30}] {pos}/{len} ports, {per_sec}, {prefix} open, {eta} left",
            ) {
                bar.set_style(style.progress_chars("=> "));
            }
            bar.set_message(what.to_string());
            bar.set_prefix("0");
            bar
        });
        Progress { bar }
    }

    pub fn advance(&self) {
        if let Some(bar) = &self.bar {
            bar.inc(1);
        }
    }

    /// One more open port found.
    pub fn found(&self, open: usize) {
        if let Some(bar) = &self.bar {
            bar.set_prefix(open.to_string());
        }
    }

    /// Runs `print` with the bar hidden, so a row on the same terminal does not tear it.
    pub fn suspend(&self, print: impl FnOnce()) {
        match &self.bar {
            Some(bar) => bar.suspend(print),
            None => print(),
        }
    }

    pub fn finish(&self) {
        if let Some(bar) = &self.bar {
            bar.finish_and_clear();
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn port_lists_are_compressed_into_ranges() {
        assert_eq!(compress_ports(&[22, 80, 81, 82, 443]), "22,80-82,443");
        assert_eq!(compress_ports(&[7]), "7");
        assert_eq!(compress_ports(&[]), "");
        assert_eq!(compress_ports(&[65534, 65535]), "65534-65535");
    }

    #[test]
    fn details_show_answer_expectation_and_icmp() {
        let outcome = Outcome {
            state: State::Open,
            time: Some(Duration::from_micros(120)),
            detail: None,
            answer: Some(b"welcome alice\n".to_vec()),
            expect_matched: Some(true),
        };
        assert_eq!(
            detail_cell(&outcome),
            "\"welcome alice\\n\"  expect: matched"
        );
        let filtered = Outcome {
            state: State::Filtered,
            time: None,
            detail: None,
            answer: None,
            expect_matched: None,
        };
        assert_eq!(detail_cell(&filtered), "no reply");
    }

    #[test]
    fn probe_json_has_the_documented_fields() {
        let record = ProbeRecord {
            target: "www".into(),
            address: "198.18.2.2".into(),
            port: 80,
            protocol: Protocol::Tcp,
            seq: 1,
            outcome: Outcome {
                state: State::OpenFiltered,
                time: None,
                detail: None,
                answer: Some(b"a\x00".to_vec()),
                expect_matched: Some(false),
            },
        };
        let json = serde_json::to_value(&record).unwrap();
        assert_eq!(
            json,
            serde_json::json!({
                "target": "www", "address": "198.18.2.2", "port": 80, "protocol": "tcp",
                "seq": 1, "state": "open_filtered", "time_ms": null, "detail": null,
                "answer": "a\\x00", "expect_matched": false
            })
        );
    }
}
