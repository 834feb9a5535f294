//! `trace -c N` and `trace --watch` without a terminal: the rounds' consumer that
//! prints. After the last round (or Ctrl-C, SIGTERM) it prints the per-hop statistics:
//! a table with the columns `-o` chose (like `mtr -r`), the loss explained, the path
//! events, the ICMP extensions each responder sent in its latest answer (MPLS labels,
//! interface information, unknown objects: mtr's choice, the latest per address); one JSON
//! document; or CSV, one row per hop. With `--watch` it also prints,
//! as each round ends, one line (table format), one JSON object (NDJSON, `"type":
//! "round"`), or the CSV rows of the statistics so far, so a script can follow a path for
//! hours; the summary ends the stream (as its last NDJSON object, `"type": "summary"`).
//!
//! `--plot FILE` draws flow 0's loss and RTT per hop from the same snapshot the summary
//! prints (`plot::rounds_svg`), when the rounds end, the live view's too.
//!
//! Memory is flat: what is printed is computed from [`Stats`] (bounded) and the round
//! just finished; nothing accumulates here but the reverse-name cache and, with `-A`,
//! the AS cache, one entry per address seen (each looked up once, not per round).

use std::io::IsTerminal;
use std::net::IpAddr;
use std::sync::mpsc;
use std::time::{Duration, Instant};

use super::asn::{AsInfo, Lookups};
use super::documents::{
    csv_asn, csv_row, ending_str, json_event, json_round_hop, secs, summary_doc, Header, JsonRound,
    CSV_ASN_COLUMNS, CSV_COLUMNS,
};
use super::engine::{Ending, Hop, ProbeResult};
use super::json::JsonHead;
use super::multipath::{self, Multipath};
use super::names::Names;
use super::report::{header_words, FINAL_NAME_WAIT};
use super::rounds::Round;
use super::stats::{HopSummary, PathEvent, Snapshot, Stats};
use super::{
    run_flow_rounds, run_rounds, Control, Plan, Presentation, Repeat, Resolved, RoundObserver,
    Sockets,
};
use crate::error::{Exit, Failure};
use crate::output::csv::CsvPrinter;
use crate::output::{self, Format, Stdout};

/// A statistics column of the table (`-o`), by name or by mtr's `-o` letter.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Field {
    Loss,
    Sent,
    Received,
    Last,
    Avg,
    Best,
    Worst,
    Stdev,
    Jitter,
    JitterMean,
    JitterMax,
    Interarrival,
    P50,
    P90,
    P95,
    P99,
    Kind,
}

/// (field, name, mtr letter, column title)
const FIELDS: &[(Field, &str, Option<char>, &str)] = &[
    (Field::Loss, "loss", Some('L'), "loss%"),
    (Field::Sent, "sent", Some('S'), "sent"),
    (Field::Received, "recv", Some('R'), "recv"),
    (Field::Last, "last", Some('N'), "last"),
    (Field::Avg, "avg", Some('A'), "avg"),
    (Field::Best, "best", Some('B'), "best"),
    (Field::Worst, "worst", Some('W'), "worst"),
    (Field::Stdev, "stdev", Some('V'), "stdev"),
    (Field::Jitter, "jitter", Some('J'), "jttr"),
    (Field::JitterMean, "javg", Some('M'), "javg"),
    (Field::JitterMax, "jmax", Some('X'), "jmax"),
    (Field::Interarrival, "jint", Some('I'), "jint"),
    (Field::P50, "p50", None, "p50"),
    (Field::P90, "p90", None, "p90"),
    (Field::P95, "p95", None, "p95"),
    (Field::P99, "p99", None, "p99"),
    (Field::Kind, "kind", None, "loss kind"),
];

impl Field {
    /// mtr's default columns (`LS NABWV`), then the mean jitter and the loss verdict.
    pub const DEFAULT: &'static [Field] = &[
        Field::Loss,
        Field::Sent,
        Field::Last,
        Field::Avg,
        Field::Best,
        Field::Worst,
        Field::Stdev,
        Field::JitterMean,
        Field::Kind,
    ];

    /// `loss,sent,avg` (names) or `LSNABWV` (mtr's letters).
    pub fn parse_list(text: &str) -> Result<Vec<Field>, String> {
        let names: Vec<&str> = FIELDS.iter().map(|f| f.1).collect();
        let unknown = |what: &str| {
            format!(
                "unknown field '{what}' (fields: {}; or mtr's letters {})",
                names.join(","),
                FIELDS.iter().filter_map(|f| f.2).collect::<String>()
            )
        };
        let text = text.trim();
        let letters = !text.is_empty()
            && text
                .chars()
                .all(|c| c == ' ' || FIELDS.iter().any(|f| f.2 == Some(c)));
        let fields: Vec<Field> = if letters {
            text.chars()
                .filter(|c| *c != ' ')
                .map(|c| FIELDS.iter().find(|f| f.2 == Some(c)).unwrap().0)
                .collect()
        } else {
            text.split(',')
                .map(|name| {
                    let name = name.trim();
                    FIELDS
                        .iter()
                        .find(|f| f.1.eq_ignore_ascii_case(name))
                        .map(|f| f.0)
                        .ok_or_else(|| unknown(name))
                })
                .collect::<Result<_, _>>()?
        };
        if fields.is_empty() {
            return Err(unknown(""));
        }
        Ok(fields)
    }

    fn title(self) -> &'static str {
        FIELDS.iter().find(|f| f.0 == self).unwrap().3
    }

    fn cell(self, hop: &HopSummary) -> String {
        let ms =
            |d: Option<Duration>| d.map_or("-".to_string(), |d| format!("{:.3}", output::ms(d)));
        let rtt = hop.rtt;
        let jitter = hop.jitter;
        let pct = hop.percentiles;
        match self {
            Field::Loss => format!("{:.1}", hop.loss_percent),
            Field::Sent => hop.sent.to_string(),
            Field::Received => hop.received.to_string(),
            Field::Last => ms(rtt.map(|r| r.last)),
            Field::Avg => ms(rtt.map(|r| r.avg)),
            Field::Best => ms(rtt.map(|r| r.best)),
            Field::Worst => ms(rtt.map(|r| r.worst)),
            Field::Stdev => ms(rtt.map(|r| r.stdev)),
            Field::Jitter => ms(jitter.map(|j| j.last)),
            Field::JitterMean => ms(jitter.map(|j| j.mean)),
            Field::JitterMax => ms(jitter.map(|j| j.max)),
            Field::Interarrival => ms(jitter.map(|j| j.interarrival)),
            Field::P50 => ms(pct.map(|p| p.p50)),
            Field::P90 => ms(pct.map(|p| p.p90)),
            Field::P95 => ms(pct.map(|p| p.p95)),
            Field::P99 => ms(pct.map(|p| p.p99)),
            Field::Kind => hop.loss.kind.as_str().to_string(),
        }
    }
}

/// Runs the rounds of `plan` (its `repeat` set) through `sockets` (one set per flow)
/// and prints them; the exit status says whether the destination answered in any round.
pub fn run(
    plan: &Plan,
    view: &Presentation,
    out: &Stdout,
    resolved: &Resolved,
    sockets: Vec<Sockets>,
) -> Result<Exit, Failure> {
    let repeat = plan.repeat.clone().expect("rounds were asked for");
    // The full-screen live view (one flow: `--flows` keeps its lines), then the summary
    // a pipe gets, printed on the restored screen.
    if repeat.watch
        && view.format == Format::Table
        && std::io::stdout().is_terminal()
        && sockets.len() == 1
    {
        let sockets = sockets.into_iter().next().expect("one set");
        let live = super::live::run(plan, view.numeric, resolved, sockets)?;
        let mut printer = Printer::new(plan, view, out, resolved, &repeat, 1);
        printer.stats = vec![live.stats];
        printer.reached_rounds = vec![live.reached_rounds];
        printer.names = live.names;
        printer.asn = live.asn;
        return Ok(printer.finish(live.elapsed));
    }
    let mut printer = Printer::new(plan, view, out, resolved, &repeat, sockets.len());
    let started = Instant::now();
    if sockets.len() == 1 {
        let sockets = sockets.into_iter().next().expect("one set");
        run_rounds(
            plan,
            resolved,
            sockets,
            repeat.rounds,
            repeat.interval,
            &mut printer,
        )?;
    } else {
        run_flows(plan, resolved, sockets, &repeat, &mut printer)?;
    }
    Ok(printer.finish(started.elapsed()))
}

/// What a flow's thread tells the printer.
enum Message {
    Saw(IpAddr),
    Round(Box<Round>),
}

/// Forwards a flow's rounds to the printing thread; stops with the printer's stdout.
struct Forward(mpsc::Sender<Message>, Stdout);

impl RoundObserver for Forward {
    fn round(&mut self, round: &Round, _stats: &Stats) {
        let _ = self.0.send(Message::Round(Box::new(round.clone())));
    }
    fn saw(&mut self, from: IpAddr) {
        let _ = self.0.send(Message::Saw(from));
    }
    fn stopped(&self) -> bool {
        self.1.stopped()
    }
}

/// `--flows N`: one thread per flow, each the one-thread driver with its own sockets
/// (capabilities were dropped before any of them started), all reporting to this one.
fn run_flows(
    plan: &Plan,
    resolved: &Resolved,
    sockets: Vec<Sockets>,
    repeat: &Repeat,
    printer: &mut Printer,
) -> Result<(), Failure> {
    let (tx, rx) = mpsc::channel();
    let mut threads = Vec::new();
    for (flow, sockets) in sockets.into_iter().enumerate() {
        let (plan, resolved, tx) = (plan.clone(), resolved.clone(), tx.clone());
        let out = printer.out.clone();
        let (rounds, interval) = (repeat.rounds, repeat.interval);
        let thread = std::thread::Builder::new()
            .name(format!("flow-{flow}"))
            .spawn(move || {
                let mut forward = Forward(tx, out);
                run_flow_rounds(
                    &plan,
                    &resolved,
                    sockets,
                    flow as u16,
                    rounds,
                    interval,
                    &mut forward,
                )
                .map(|_| ())
            })
            .map_err(|e| Failure::new("starting the flows' threads", e))?;
        threads.push(thread);
    }
    drop(tx);
    for message in rx {
        match message {
            Message::Saw(addr) => printer.saw(addr),
            Message::Round(round) => printer.on_round(&round),
        }
    }
    let mut result = Ok(());
    for thread in threads {
        match thread.join() {
            Ok(Ok(())) => {}
            Ok(Err(failure)) => result = result.and(Err(failure)),
            Err(_) => result = result.and(Err(Failure::new("a flow", "its thread panicked"))),
        }
    }
    result
}

/// The rounds' observer that prints (also usable by a live view: feed it rounds with
/// [`Printer::on_round`], then [`Printer::finish`] prints the summary).
pub struct Printer {
    out: Stdout,
    format: Format,
    repeat: Repeat,
    header: Header,
    names: Names,
    /// `-A`: AS lookups, started as addresses answer, cached for the run.
    asn: Option<Lookups>,
    /// Path events already printed with their round, per flow.
    events_printed: Vec<u64>,
    csv: CsvPrinter,
    start: Option<Instant>,
    /// Per flow.
    stats: Vec<Stats>,
    reached_rounds: Vec<u64>,
    /// `--plot`: the file, and the target and method as the header line names them.
    plot: Option<(crate::plot::PlotFile, String, String)>,
}

impl Printer {
    /// Prints the header line (table format) at once.
    pub fn new(
        plan: &Plan,
        view: &Presentation,
        out: &Stdout,
        resolved: &Resolved,
        repeat: &Repeat,
        flows: usize,
    ) -> Printer {
        let addr = resolved.addr();
        let mut names = Names::new(!view.numeric);
        names.start(addr);
        let header = Header {
            head: JsonHead::new(plan, resolved),
            interval_s: repeat.interval.as_secs_f64(),
        };
        if view.format == Format::Table {
            let (shown, method) = header_words(plan, resolved);
            let rounds = match repeat.rounds {
                Some(n) => format!("{n} round{}", if n == 1 { "" } else { "s" }),
                None => "rounds until Ctrl-C".to_string(),
            };
            out.line(&format!(
                "trace to {shown}, {method}, {rounds} {} s apart, {} probe{} per hop per round{}",
                repeat.interval.as_secs_f64(),
                plan.queries,
                if plan.queries == 1 { "" } else { "s" },
                if flows > 1 {
                    format!(", {flows} flows")
                } else {
                    String::new()
                }
            ));
        }
        Printer {
            out: out.clone(),
            format: view.format,
            repeat: repeat.clone(),
            header,
            names,
            asn: plan.probe.asn_zone.as_deref().map(Lookups::new),
            events_printed: vec![0; flows.max(1)],
            csv: CsvPrinter::new(
                out,
                CSV_COLUMNS.iter().chain(match plan.probe.asn_zone {
                    Some(_) => CSV_ASN_COLUMNS,
                    None => &[],
                }),
            ),
            start: None,
            stats: vec![Stats::default(); flows.max(1)],
            reached_rounds: vec![0; flows.max(1)],
            plot: view.plot.clone().map(|file| {
                let (shown, method) = header_words(plan, resolved);
                (file, shown, method)
            }),
        }
    }

    /// `addr (name) [AS64500 NAME]`, as much as is known.
    fn shown(&self, addr: IpAddr) -> String {
        let shown = match self.names.get(&addr) {
            Some(name) => format!("{addr} ({name})"),
            None => addr.to_string(),
        };
        with_as(shown, self.as_info(addr).as_ref())
    }

    fn as_info(&self, addr: IpAddr) -> Option<AsInfo> {
        self.asn.as_ref().and_then(|l| l.get(&addr).cloned())
    }

    fn snapshot(&self, stats: &Stats) -> Snapshot {
        stats.snapshot(&|addr| self.names.get(&addr), &|addr| self.as_info(addr))
    }

    fn poll_lookups(&mut self) {
        self.names.poll();
        if let Some(asn) = &mut self.asn {
            asn.poll();
        }
    }

    /// The events raised since the last round printed, oldest first.
    fn new_events(&mut self, flow: usize) -> Vec<PathEvent> {
        let stats = &self.stats[flow];
        let fresh = stats
            .events_total()
            .saturating_sub(self.events_printed[flow]);
        self.events_printed[flow] = stats.events_total();
        let kept: Vec<&PathEvent> = stats.events().collect();
        let skip = kept.len().saturating_sub(fresh as usize);
        kept[skip..].iter().map(|e| (*e).clone()).collect()
    }

    /// A round is over: record it, and stream it with `--watch`.
    pub fn on_round(&mut self, round: &Round) {
        let flow = usize::from(round.flow).min(self.stats.len() - 1);
        self.stats[flow].record(round);
        if matches!(round.ending, Ending::Reached { .. }) {
            self.reached_rounds[flow] += 1;
        }
        self.poll_lookups();
        if self.repeat.watch {
            self.stream_round(round, flow);
        }
    }

    fn stream_round(&mut self, round: &Round, flow: usize) {
        let start = *self.start.get_or_insert(round.started);
        let elapsed = round.started.saturating_duration_since(start);
        let events = self.new_events(flow);
        match self.format {
            Format::Json => {
                let doc = JsonRound {
                    kind: "round",
                    round: round.number,
                    flow: round.flow,
                    elapsed_s: secs(elapsed),
                    ending: ending_str(round.ending),
                    destination_ttl: match round.ending {
                        Ending::Reached { ttl, .. } => Some(ttl),
                        _ => None,
                    },
                    hops: round.hops.iter().map(json_round_hop).collect(),
                    events: events.iter().map(json_event).collect(),
                };
                self.out.json_line(&doc);
            }
            Format::Csv => self.csv_rows(flow, &self.snapshot(&self.stats[flow])),
            // Markdown is the table, rendered by `Stdout`; the plan refuses Atlas here.
            Format::Table | Format::Markdown | Format::Atlas => {
                let hops: Vec<String> = round
                    .hops
                    .iter()
                    .map(|hop| format!("{} {}", hop.ttl, self.round_hop(hop)))
                    .collect();
                let end = match round.ending {
                    Ending::Reached { ttl, .. } => format!("reached at hop {ttl}"),
                    Ending::Unreachable { ttl, kind, .. } => {
                        format!("unreachable at hop {ttl} ({})", kind.describe())
                    }
                    Ending::MaxHops => "not reached".to_string(),
                    Ending::Stopped => "stopped".to_string(),
                };
                let flow = if self.stats.len() > 1 {
                    format!(" flow {}", round.flow)
                } else {
                    String::new()
                };
                let mut line = format!(
                    "round {}{flow} +{:.2}s {end}: {}",
                    round.number,
                    elapsed.as_secs_f64(),
                    hops.join(", ")
                );
                for e in &events {
                    line.push_str(&format!("; {}", e.describe()));
                }
                self.out.line(&line);
            }
        }
    }

    fn round_hop(&self, hop: &Hop) -> String {
        let mut parts: Vec<String> = Vec::new();
        let mut last: Option<IpAddr> = None;
        for probe in &hop.probes {
            match probe {
                ProbeResult::Answered { from, rtt, .. } => {
                    if last != Some(*from) {
                        parts.push(self.shown(*from));
                        last = Some(*from);
                        // What the router sent, as the single trace's rows show it.
                        let sent = probe.sent();
                        if !sent.is_empty() {
                            parts.push(sent.text());
                        }
                    }
                    parts.push(format!("{:.3}ms", output::ms(*rtt)));
                }
                ProbeResult::Silent => parts.push("*".into()),
                ProbeResult::SendFailed(why) => parts.push(format!("!({why})")),
            }
        }
        parts.join(" ")
    }

    fn csv_rows(&mut self, flow: usize, snapshot: &Snapshot) {
        let rows = snapshot.hops.iter();
        let row = |hop| csv_row(snapshot.rounds, flow as u16, hop);
        match self.asn {
            Some(_) => self.csv.print(rows.map(|hop| (row(hop), csv_asn(hop)))),
            None => self.csv.print(rows.map(row)),
        }
    }

    /// The summary (table, JSON or CSV), the plot, and the exit status (2 when the plot
    /// could not be written).
    pub fn finish(mut self, elapsed: Duration) -> Exit {
        // Nobody reads stdout any more (`| head -1`): no name is worth a wait.
        if !self.out.stopped() {
            self.names.wait_all(FINAL_NAME_WAIT);
            if let Some(asn) = &mut self.asn {
                asn.wait_all(FINAL_NAME_WAIT);
            }
        }
        let snapshots: Vec<Snapshot> = self.stats.iter().map(|s| self.snapshot(s)).collect();
        let multipath = (snapshots.len() > 1).then(|| multipath::analyze(&snapshots));
        let reached = self.reached_rounds.iter().any(|n| *n > 0);
        match self.format {
            Format::Json => {
                let doc = summary_doc(
                    &self.header,
                    &snapshots,
                    &self.reached_rounds,
                    multipath.as_ref(),
                    &self.names,
                    self.asn.is_some(),
                    elapsed,
                );
                if self.repeat.watch {
                    self.out.json_line(&doc);
                } else {
                    self.out.json(&doc);
                }
            }
            // With --watch, the last round's rows are out already.
            Format::Csv if self.repeat.watch && snapshots[0].rounds > 0 => {}
            Format::Csv => {
                for (flow, snapshot) in snapshots.iter().enumerate() {
                    self.csv_rows(flow, snapshot);
                }
            }
            // Markdown is the table, rendered by `Stdout`; the plan refuses Atlas here.
            Format::Table | Format::Markdown | Format::Atlas => {
                self.table(&snapshots[0], elapsed);
                if let Some(m) = &multipath {
                    self.paths(m, &snapshots);
                }
            }
        }
        if let Some((file, target, method)) = &self.plot {
            let svg = super::plot::rounds_svg(target, method, &snapshots[0], snapshots.len());
            if let Err(failure) = file.save(&svg) {
                eprintln!("{failure}");
                return Exit::Failed;
            }
        }
        Exit::from_answered(reached)
    }

    /// `--flows`: where the paths split and merge, and each path's figures.
    fn paths(&self, m: &Multipath, snapshots: &[Snapshot]) {
        let splits: Vec<String> = m.splits.iter().map(u8::to_string).collect();
        let merges: Vec<String> = m.merges.iter().map(u8::to_string).collect();
        self.out.line("");
        if m.splits.is_empty() {
            self.out.line(&format!(
                "paths: all {} flows take one path (the table is flow 0's)",
                snapshots.len()
            ));
            return;
        }
        self.out.line(&format!(
            "paths: {} flows, up to {} paths; split at hop {}{} (the table is flow 0's)",
            snapshots.len(),
            m.width(),
            splits.join(", "),
            if merges.is_empty() {
                String::new()
            } else {
                format!(", merge at hop {}", merges.join(", "))
            }
        ));
        for hop in m.hops.iter().filter(|h| h.routers.len() > 1) {
            for (addr, flows) in &hop.routers {
                let (mut sent, mut received) = (0, 0);
                for f in flows {
                    if let Some(h) = snapshots[usize::from(*f)]
                        .hops
                        .iter()
                        .find(|h| h.ttl == hop.ttl)
                    {
                        sent += h.sent;
                        received += h.received;
                    }
                }
                let loss = if sent == 0 {
                    0.0
                } else {
                    100.0 * (sent - received) as f64 / sent as f64
                };
                let list: Vec<String> = flows.iter().map(u16::to_string).collect();
                self.out.line(&format!(
                    "  hop {}: {} flows {} ({:.1}% loss)",
                    hop.ttl,
                    self.shown(*addr),
                    list.join(","),
                    loss
                ));
            }
        }
    }

    fn table(&self, snapshot: &Snapshot, elapsed: Duration) {
        let fields = &self.repeat.fields;
        let mut header = vec!["hop", "address"];
        header.extend(fields.iter().map(|f| f.title()));
        let mut table = output::table(&header);
        for hop in &snapshot.hops {
            let mut addrs: Vec<String> = hop
                .responders
                .iter()
                .map(|r| {
                    let shown = match &r.name {
                        Some(name) => format!("{} ({name})", r.address),
                        None => r.address.to_string(),
                    };
                    let shown = with_as(shown, r.asn.as_ref());
                    if hop.responders.len() > 1 {
                        format!("{shown} {:.0}%", r.share * 100.0)
                    } else {
                        shown
                    }
                })
                .collect();
            if hop.other_responders > 0 {
                addrs.push(format!("+{} answers from others", hop.other_responders));
            }
            if addrs.is_empty() {
                addrs.push("*".into());
            }
            let mut row = vec![hop.ttl.to_string(), addrs.join("\n")];
            row.extend(fields.iter().map(|f| f.cell(hop)));
            table.add_row(row);
        }
        for (i, align) in
            std::iter::repeat_n(comfy_table::CellAlignment::Right, header.len()).enumerate()
        {
            if i != 1 && header[i] != "loss kind" {
                if let Some(column) = table.column_mut(i) {
                    column.set_cell_alignment(align);
                }
            }
        }
        self.out.table(&table);
        // Beside the addresses they would push the table past 100 columns.
        let extensions = snapshot.extension_lines(super::extensions::WIDTH);
        if !extensions.is_empty() {
            self.out.line("");
            self.out
                .line("extensions (what each responder sent in its latest answer):");
            self.out.line(&extensions.join("\n"));
        }
        self.out.line("");
        let target = &self.header.head.address;
        // Loss explained.
        match snapshot.loss_begins_at {
            Some(ttl) if ttl > self.header.head.first_ttl => self.out.line(&format!(
                "loss: real loss (in forwarding) begins at hop {ttl}, between hop {} and hop \
                 {ttl}; every later hop shares it",
                ttl - 1
            )),
            Some(ttl) => self.out.line(&format!(
                "loss: real loss (in forwarding) begins at hop {ttl}; every later hop shares it"
            )),
            None => self.out.line("loss: none in forwarding"),
        }
        for hop in &snapshot.hops {
            if hop.loss.kind != super::stats::LossKind::None {
                self.out.line(&format!(
                    "  hop {}: {}: {}",
                    hop.ttl,
                    hop.loss.kind.as_str(),
                    hop.loss.explanation
                ));
            }
        }
        if snapshot.events_total > 0 {
            self.out
                .line(&format!("path changes: {}", snapshot.events_total));
            for e in &snapshot.events {
                self.out.line(&format!(
                    "  +{:.2}s round {}: {}",
                    e.at.as_secs_f64(),
                    e.round,
                    e.describe()
                ));
            }
        }
        let rounds = snapshot.rounds;
        match snapshot.destination_ttl {
            Some(ttl) if self.reached_rounds[0] > 0 => self.out.line(&format!(
                "reached {target} at hop {ttl} in {} of {rounds} round{} ({:.2} s)",
                self.reached_rounds[0],
                if rounds == 1 { "" } else { "s" },
                elapsed.as_secs_f64()
            )),
            _ => self.out.line(&format!(
                "did not reach {target} in {rounds} round{} ({:.2} s)",
                if rounds == 1 { "" } else { "s" },
                elapsed.as_secs_f64()
            )),
        }
    }
}

/// `-A`: ` [AS64500 NAME]` after an address, as the single trace's rows put it.
fn with_as(shown: String, asn: Option<&AsInfo>) -> String {
    match asn {
        Some(info) => format!("{shown} [{}]", info.label()),
        None => shown,
    }
}

impl RoundObserver for Printer {
    fn round(&mut self, round: &Round, _stats: &Stats) {
        self.on_round(round);
    }

    fn saw(&mut self, from: IpAddr) {
        self.names.start(from);
        if let Some(asn) = &mut self.asn {
            asn.start(from);
        }
    }

    fn tick(&mut self, _now: Instant, _stats: &Stats) -> Control {
        self.poll_lookups();
        Control::Continue
    }

    /// Nobody reads stdout any more (`netlab trace --watch host | head`): rounds end.
    fn stopped(&self) -> bool {
        self.out.stopped()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn fields_parse_by_name_and_by_mtr_letter() {
        assert_eq!(
            Field::parse_list("loss,sent,avg").unwrap(),
            [Field::Loss, Field::Sent, Field::Avg]
        );
        assert_eq!(
            Field::parse_list("LS NABWV").unwrap(),
            [
                Field::Loss,
                Field::Sent,
                Field::Last,
                Field::Avg,
                Field::Best,
                Field::Worst,
                Field::Stdev
            ]
        );
        let err = Field::parse_list("loss,bogus").unwrap_err();
        assert!(err.contains("unknown field 'bogus'"), "{err}");
        assert!(Field::parse_list("").is_err());
        assert!(Field::parse_list(",").is_err());
    }
}
