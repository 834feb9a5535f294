//! What trace shows: a header naming the target, its address and the method; one row per
//! hop in hop order as soon as the hop is settled; a footer saying whether and where the
//! destination was reached, with the lab's address check; or one JSON document.
//!
//! Reverse names are looked up on threads (getnameinfo) as soon as an address first
//! answers, long before its row is due. A settled row waits at most [`NAME_WAIT`] for a
//! name still being looked up, while the trace goes on probing; the JSON document waits
//! at most [`FINAL_NAME_WAIT`] at the end. Runs of three or more silent hops at the end of
//! a trace that did not reach its destination are printed as one line.

use std::collections::VecDeque;
use std::net::IpAddr;
use std::time::{Duration, Instant};

use super::address_check::{address_check, AddressCheck};
use super::engine::{Ending, Event, Hop, ProbeResult};
use super::extensions::{self, ExtObject};
use super::extras::HopExtras;
use super::json::{JsonCheck, JsonDoc, JsonHead, JsonHop};
use super::names::Names;
use super::{Method, Observer, Plan, Presentation, Resolved};
use crate::error::Exit;
use crate::output::{self, Column, Format, RowPrinter, Stdout};
use crate::packet::extensions::MplsLabel;

/// The longest a settled row waits for a reverse name.
pub const NAME_WAIT: Duration = Duration::from_millis(150);
/// The longest the JSON document waits for names still being looked up.
pub const FINAL_NAME_WAIT: Duration = Duration::from_secs(1);
/// How often rows waiting for names look for them.
const NAME_POLL: Duration = Duration::from_millis(3);
/// Trailing silent hops collapse into one line from this many on.
const COLLAPSE_FROM: usize = 3;

/// One responder of a hop's row: its address as shown, its RTTs with annotations (the
/// silent probes, `*`, on the first responder's line), and the ICMP extension entries it
/// sent (MPLS label stack entries, traceroute's `[MPLS: L=24001 E=0 S=1 T=1]`, then
/// interface information and unknown objects; each distinct set once, in the order
/// first seen).
#[derive(Debug, Clone, PartialEq)]
struct ResponderLine {
    addr: String,
    rtts: String,
    entries: Vec<Vec<String>>,
}

/// The lines of one hop's row, a silent hop's `*` included.
fn hop_lines(hop: &Hop, shown: impl Fn(IpAddr) -> String) -> Vec<ResponderLine> {
    let silent: Vec<String> = hop
        .probes
        .iter()
        .filter_map(|p| match p {
            ProbeResult::Silent => Some("*".to_string()),
            ProbeResult::SendFailed(why) => Some(format!("* (send failed: {why})")),
            ProbeResult::Answered { .. } => None,
        })
        .collect();
    let responders = hop.responders();
    if responders.is_empty() {
        return vec![ResponderLine {
            addr: "*".into(),
            rtts: silent.join("  "),
            entries: Vec::new(),
        }];
    }
    let mut lines = Vec::new();
    for (i, addr) in responders.iter().enumerate() {
        let mut rtts: Vec<String> = Vec::new();
        let mut sent: Vec<(&[MplsLabel], &[ExtObject])> = Vec::new();
        for p in &hop.probes {
            if let ProbeResult::Answered {
                from,
                rtt,
                reply,
                mpls,
                objects,
                ..
            } = p
            {
                if from != addr {
                    continue;
                }
                let mut text = format!("{:.3} ms", output::ms(*rtt));
                if let Some(a) = reply.annotation() {
                    text.push(' ');
                    text.push_str(&a);
                }
                rtts.push(text);
                let these = (mpls.as_slice(), objects.as_slice());
                let any = !mpls.is_empty() || !objects.is_empty();
                if any && !sent.contains(&these) {
                    sent.push(these);
                }
            }
        }
        if i == 0 {
            rtts.extend(silent.iter().cloned());
        }
        let entries = sent.iter().flat_map(|(mpls, objects)| {
            let labels = mpls.iter().map(extensions::mpls_pieces);
            labels.chain(objects.iter().map(ExtObject::pieces))
        });
        lines.push(ResponderLine {
            addr: shown(*addr),
            rtts: rtts.join("  "),
            entries: entries.collect(),
        });
    }
    lines
}

/// What the table prints of one hop: a row per responder (the TTL on the first), each
/// followed by its extension entries on lines of their own, indented under the address
/// and at most `extensions::WIDTH` wide, wrapped between entries. The entries stay out
/// of the address column: in it, a label stack or an interface entry would widen the
/// table past 100 columns.
#[derive(Debug, PartialEq)]
enum Printed {
    Row([String; 3]),
    Extensions(Vec<String>),
}

fn table_rows(ttl: u8, lines: Vec<ResponderLine>, indent: usize) -> Vec<Printed> {
    let mut out = Vec::new();
    for (i, line) in lines.into_iter().enumerate() {
        let ttl = if i == 0 {
            ttl.to_string()
        } else {
            String::new()
        };
        out.push(Printed::Row([ttl, line.addr, line.rtts]));
        let ext = extensions::fill(line.entries, extensions::WIDTH, indent);
        if !ext.is_empty() {
            out.push(Printed::Extensions(ext));
        }
    }
    out
}

/// The markdown row of one hop: a markdown table has no line of its own for the
/// entries, so they go in the address cell, each on a line (`<br>`) of its own.
fn markdown_cells(ttl: u8, lines: &[ResponderLine]) -> [String; 3] {
    let mut addrs = Vec::new();
    let mut rtts = Vec::new();
    for line in lines {
        addrs.push(line.addr.clone());
        rtts.push(line.rtts.clone());
        for entry in &line.entries {
            addrs.push(entry.join(" "));
            rtts.push(String::new());
        }
    }
    [ttl.to_string(), addrs.join("\n"), rtts.join("\n")]
}

/// Room for `-A`'s ` [AS4200000000 NAME]` after an address: a 32-bit AS number and a
/// short name (12 characters), the row still within 100 columns.
const AS_ROOM: u16 = 30;

/// The row columns, as wide whether or not extensions are seen; with `-A` (`asn`) the
/// address column holds an address and its AS label side by side.
fn columns(target: IpAddr, numeric: bool, asn: bool) -> [Column; 3] {
    let addr = target.to_string().len().max(15) as u16;
    let addr_width = if numeric { addr } else { addr + 34 };
    let addr_width = if asn {
        addr_width.max(addr + AS_ROOM)
    } else {
        addr_width
    };
    [
        Column::right("hop", 5),
        Column::left("address", addr_width),
        Column::left("rtt", 40),
    ]
}

/// The header's words: the target as shown (`www (198.18.5.2)`) and the method
/// (`udp port 33434`).
pub(super) fn header_words(plan: &Plan, target: &Resolved) -> (String, String) {
    let addr = target.addr();
    let method = match (plan.method, plan.port) {
        (Method::Icmp, _) => plan.method.as_str().to_string(),
        (m, p) => format!("{} port {p}", m.as_str()),
    };
    let shown = if target.text == addr.to_string() {
        addr.to_string()
    } else {
        format!("{} ({addr})", target.text)
    };
    (shown, method)
}

pub(crate) struct Report {
    out: Stdout,
    format: Format,
    target_text: String,
    target: IpAddr,
    method: Method,
    max_ttl: u8,
    queries: u8,
    /// The JSON document's first fields.
    head: JsonHead,
    names: Names,
    printer: RowPrinter,
    /// Where extension lines start (under the address column, a little in).
    ext_indent: usize,
    /// Settled hops waiting for names, with when they were settled.
    queue: VecDeque<(Hop, Instant)>,
    /// Silent hops held back (they may be the tail of an unreached trace).
    silent_run: Vec<Hop>,
    hops: Vec<Hop>,
    ending: Option<Ending>,
    late: u64,
    /// `--plot`: where to draw the path.
    plot: Option<crate::plot::PlotFile>,
    /// What `--format atlas` needs beyond the JSON document.
    atlas: Option<super::atlas::Facts>,
    /// `--mtu`, `--back`, `-A`.
    extras: HopExtras,
}

/// The command's live rows are an observer of the one driver.
impl Observer for Report {
    fn event(&mut self, event: Event) {
        self.record(event);
    }

    /// An address answered: start looking up its name.
    fn saw(&mut self, addr: IpAddr) {
        self.names.start(addr);
        self.extras.saw(addr);
    }

    fn path_mtu(&mut self, ttl: u8, mtu: u32) {
        self.extras.path_mtu(ttl, mtu);
    }

    fn back_hops(&mut self, ttl: u8, hops: u8) {
        self.extras.back_hops(ttl, hops);
    }

    fn flush(&mut self, now: Instant) {
        self.print_settled(now);
    }

    fn is_flushed(&self) -> bool {
        self.queue.is_empty()
    }

    /// When to look again at a row waiting for a name: when it must be printed anyway,
    /// and meanwhile every few milliseconds, since lookups finish on other threads.
    fn next_wakeup(&self) -> Option<Instant> {
        let (_, settled) = self.queue.front()?;
        Some((*settled + NAME_WAIT).min(Instant::now() + NAME_POLL))
    }
    /// Nobody reads stdout any more (`netlab trace host | head -3`): the trace ends.
    fn stopped(&self) -> bool {
        self.out.stopped()
    }
}

impl Report {
    pub fn new(
        plan: &Plan,
        view: Presentation,
        out: &Stdout,
        target: &Resolved,
        raw_receiver: bool,
    ) -> Report {
        let addr = target.addr();
        let asn = plan.probe.asn_zone.is_some();
        let printer = RowPrinter::new(out, &columns(addr, view.numeric, asn));
        // Extension lines start two columns right of where the addresses do.
        let ext_indent = printer.header().find("address").unwrap_or(0) + 2;
        if view.format.shows_tables() {
            let (shown, method) = header_words(plan, target);
            out.line(&format!(
                "trace to {shown}, {method}, {} hops max, {} queries per hop{}",
                plan.max_ttl,
                plan.queries,
                if raw_receiver { ", MPLS labels on" } else { "" }
            ));
        }
        let mut names = Names::new(!view.numeric);
        names.start(addr);
        Report {
            out: out.clone(),
            format: view.format,
            target_text: target.text.clone(),
            target: addr,
            method: plan.method,
            max_ttl: plan.max_ttl,
            queries: plan.queries,
            head: JsonHead::new(plan, target),
            names,
            printer,
            ext_indent,
            queue: VecDeque::new(),
            silent_run: Vec::new(),
            hops: Vec::new(),
            ending: None,
            late: 0,
            plot: view.plot,
            atlas: None,
            extras: HopExtras::new(plan.probe.asn_zone.as_deref()),
        }
    }

    /// For `--format atlas`: the probes' source address and whether they share one flow,
    /// as the sockets know them; the trace starts now.
    pub fn atlas_facts(&mut self, src: IpAddr, one_flow: bool) {
        if self.format == Format::Atlas {
            self.atlas = Some(super::atlas::Facts {
                method: self.method,
                started: std::time::SystemTime::now(),
                ended: std::time::SystemTime::now(),
                src: Some(src),
                one_flow,
            });
        }
    }

    fn record(&mut self, event: Event) {
        match event {
            Event::Hop(hop) => {
                for addr in hop.responders() {
                    self.names.start(addr);
                }
                self.hops.push(hop.clone());
                self.queue.push_back((hop, Instant::now()));
            }
            Event::Late { .. } => self.late += 1,
            Event::Done(ending) => self.ending = Some(ending),
        }
    }

    /// Prints the settled rows whose names are known or have waited long enough.
    fn print_settled(&mut self, now: Instant) {
        self.names.poll();
        self.extras.poll();
        while let Some((hop, settled)) = self.queue.front() {
            // JSON waits for names once, at the end; rows wait here, a little.
            let waiting = self.format.shows_tables()
                && hop
                    .responders()
                    .iter()
                    .any(|a| self.names.is_pending(a) || self.extras.is_pending(a));
            if waiting && now < *settled + NAME_WAIT {
                return;
            }
            let (hop, _) = self.queue.pop_front().expect("front exists");
            if self.format.shows_tables() {
                self.print_hop(hop);
            }
        }
    }

    fn print_hop(&mut self, hop: Hop) {
        if hop.responders().is_empty() {
            self.silent_run.push(hop);
            return;
        }
        for silent in std::mem::take(&mut self.silent_run) {
            self.print_row(&silent);
        }
        self.print_row(&hop);
    }

    fn shown(&self, addr: IpAddr) -> String {
        let text = match self.names.get(&addr) {
            Some(name) => format!("{addr} ({name})"),
            None => addr.to_string(),
        };
        text + &self.extras.address_suffix(&addr)
    }

    fn print_row(&mut self, hop: &Hop) {
        let mut lines = hop_lines(hop, |addr| self.shown(addr));
        lines[0].rtts = self
            .extras
            .annotate(hop.ttl, std::mem::take(&mut lines[0].rtts));
        if self.format == Format::Markdown {
            self.printer.print(&markdown_cells(hop.ttl, &lines));
            return;
        }
        for printed in table_rows(hop.ttl, lines, self.ext_indent) {
            match printed {
                Printed::Row(cells) => self.printer.print(&cells),
                Printed::Extensions(lines) => self.out.line(&lines.join("\n")),
            }
        }
    }

    fn finish_rows(&mut self) {
        let run = std::mem::take(&mut self.silent_run);
        let reached = matches!(self.ending, Some(Ending::Reached { .. }));
        if run.len() >= COLLAPSE_FROM && !reached {
            let (first, last) = (run[0].ttl, run[run.len() - 1].ttl);
            let stars = vec!["*"; usize::from(self.queries)].join("  ");
            self.printer.print(&[
                format!("{first}-{last}"),
                "*".into(),
                format!("{stars}  (no answer from {} hops)", run.len()),
            ]);
        } else {
            for hop in run {
                self.print_row(&hop);
            }
        }
    }

    /// The footer or the JSON document, and the plot; returns the exit status.
    pub fn finish(mut self, elapsed: Duration) -> Exit {
        let exit = self.finish_output(elapsed);
        match self.save_plot() {
            Ok(()) => exit,
            Err(failure) => {
                eprintln!("{failure}");
                Exit::Failed
            }
        }
    }

    /// `--plot`: the hops as the rows show them.
    fn save_plot(&mut self) -> Result<(), crate::error::Failure> {
        let Some(file) = &self.plot else {
            return Ok(());
        };
        self.names.poll();
        let (text, method) = (&self.target_text, self.method.as_str());
        let svg = super::plot::trace_svg(text, self.target, method, &self.hops, |a| self.shown(a));
        file.save(&svg)
    }

    fn finish_output(&mut self, elapsed: Duration) -> Exit {
        let ending = self.ending.unwrap_or(Ending::Stopped);
        let check = address_check(ending, &self.hops, self.target, self.method, self.max_ttl);
        let reached = match ending {
            Ending::Reached { ttl, .. } => Some(ttl),
            _ => None,
        };
        if matches!(self.format, Format::Json | Format::Atlas) {
            // Nobody reads stdout any more (`| head -1`): no name is worth a wait.
            if !self.out.stopped() {
                self.names.wait_all(FINAL_NAME_WAIT);
                self.extras.wait_all(FINAL_NAME_WAIT);
            }
            let doc = self.json(reached, &check);
            match &mut self.atlas {
                Some(facts) => {
                    facts.ended = std::time::SystemTime::now();
                    let result = super::atlas::result(&doc, self.target, facts);
                    self.out.atlas(&[result], &doc);
                }
                None => self.out.json(&doc),
            }
            return Exit::from_answered(reached.is_some());
        }
        self.finish_rows();
        self.out.line("");
        let target = self.target;
        match ending {
            Ending::Reached { ttl, .. } => self.out.line(&format!(
                "reached {target} in {ttl} hop{} ({:.2} s)",
                if ttl == 1 { "" } else { "s" },
                elapsed.as_secs_f64()
            )),
            Ending::Unreachable { ttl, from, kind } => self.out.line(&format!(
                "did not reach {target}: {from} at hop {ttl} reported {} ({:.2} s)",
                kind.describe(),
                elapsed.as_secs_f64()
            )),
            Ending::MaxHops => self.out.line(&format!(
                "did not reach {target} within {} hops ({:.2} s)",
                self.max_ttl,
                elapsed.as_secs_f64()
            )),
            Ending::Stopped => self
                .out
                .line(&format!("interrupted before reaching {target}")),
        }
        let what = if self.target_text == self.target.to_string() {
            "the target".to_string()
        } else {
            format!("the address {} resolved to", self.target_text)
        };
        let ends = match check.last_hop {
            Some((addr, ttl)) => format!("the trace ends at {addr} (hop {ttl})"),
            None => "no hop answered".to_string(),
        };
        if check.matches {
            self.out.line(&format!("address check: ok: {ends}, {what}"));
        } else {
            self.out.line(&format!(
                "address check: MISMATCH: {ends}, not at {target} ({what}): {}",
                check.explanation.as_deref().unwrap_or("")
            ));
        }
        if self.late > 0 {
            output::warn(&format!(
                "{} answer(s) arrived after their hop was printed",
                self.late
            ));
        }
        Exit::from_answered(reached.is_some())
    }

    fn json(&self, reached: Option<u8>, check: &AddressCheck) -> JsonDoc {
        JsonDoc {
            head: self.head.clone(),
            reached: reached.is_some(),
            hops_to_destination: reached,
            address_check: JsonCheck::from(check),
            hops: self
                .hops
                .iter()
                .map(|hop| JsonHop::new(hop, &self.names, &self.extras))
                .collect(),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::packet::IcmpErrorKind;
    use crate::trace::engine::Reply;

    fn ip(t: &str) -> IpAddr {
        t.parse().unwrap()
    }

    /// A hop's table text, as `Report::print_row` writes it (without the header).
    fn table_text(hop: &Hop, target: &str, numeric: bool) -> String {
        let printer = RowPrinter::new(&Stdout::for_tests(), &columns(ip(target), numeric, false));
        let indent = printer.header().find("address").unwrap() + 2;
        let lines = hop_lines(hop, |a| a.to_string());
        let text: Vec<String> = table_rows(hop.ttl, lines, indent)
            .into_iter()
            .map(|p| match p {
                Printed::Row(cells) => printer.render(&cells),
                Printed::Extensions(lines) => lines.join("\n"),
            })
            .collect();
        text.join("\n")
    }

    #[test]
    fn rows_show_every_responder_its_rtts_annotations_and_mpls_labels() {
        let label = MplsLabel {
            label: 24001,
            exp: 0,
            bottom: true,
            ttl: 1,
        };
        let answered = |from: &str, ms: u64, reply, mpls: Vec<MplsLabel>| ProbeResult::Answered {
            from: ip(from),
            rtt: Duration::from_millis(ms),
            reply,
            mpls,
            objects: vec![],
            wire: Default::default(),
        };
        let hop = Hop {
            ttl: 4,
            probes: vec![
                answered("10.0.0.1", 4, Reply::TimeExceeded, vec![label]),
                ProbeResult::Silent,
                answered("10.0.0.2", 5, Reply::TimeExceeded, vec![]),
            ],
        };
        let [ttl, addrs, rtts] = markdown_cells(4, &hop_lines(&hop, |a| a.to_string()));
        assert_eq!(ttl, "4");
        assert_eq!(addrs, "10.0.0.1\n[MPLS: L=24001 E=0 S=1 T=1]\n10.0.0.2");
        assert_eq!(rtts, "4.000 ms  *\n\n5.000 ms");
        let text = table_text(&hop, "10.0.0.9", true);
        let lines: Vec<Vec<&str>> = text
            .lines()
            .map(|l| l.split_whitespace().collect())
            .collect();
        assert_eq!(
            lines,
            [
                vec!["4", "10.0.0.1", "4.000", "ms", "*"],
                vec!["[MPLS:", "L=24001", "E=0", "S=1", "T=1]"],
                vec!["10.0.0.2", "5.000", "ms"],
            ],
            "{text}"
        );
        let unreachable = Hop {
            ttl: 5,
            probes: vec![answered(
                "10.0.0.9",
                1,
                Reply::Unreachable(IcmpErrorKind::HostUnreachable),
                vec![],
            )],
        };
        assert_eq!(
            hop_lines(&unreachable, |a| a.to_string())[0].rtts,
            "1.000 ms !H"
        );
        let silent = Hop {
            ttl: 3,
            probes: vec![ProbeResult::Silent; 3],
        };
        let silent = &hop_lines(&silent, |a| a.to_string())[0];
        assert_eq!(
            (silent.addr.as_str(), silent.rtts.as_str()),
            ("*", "*  *  *")
        );
    }

    /// Regression: with -n the address column was 15 wide, and comfy-table wrapped the
    /// label lines (`[MPLS: L=24001` / `E=0 S=0 T=1]`), as the lab's MPLS router showed;
    /// then the column grew to 43 whenever extensions could be seen. Now the entries
    /// have lines of their own under the address, at most 80 wide, wrapped between
    /// entries (an entry wider than that between its fields), and the columns keep
    /// their width: the table stays readable in 80 columns with -n, 100 with names.
    #[test]
    fn extension_lines_have_lines_of_their_own_and_leave_the_columns_alone() {
        use crate::packet::interface_info::Role;
        let widest = MplsLabel {
            label: 0xfffff,
            exp: 7,
            bottom: true,
            ttl: 255,
        };
        let interface = |name: &str| {
            ExtObject::Interface(extensions::Interface {
                role: Role::Incoming,
                if_index: Some(15),
                address: Some(ip("fd4e:6c61:62:1:aaaa:bbbb:cccc:dddd")),
                name: Some(name.into()),
                mtu: Some(9000),
            })
        };
        let hop = Hop {
            ttl: 2,
            probes: vec![ProbeResult::Answered {
                from: ip("198.18.1.2"),
                rtt: Duration::from_millis(8),
                reply: Reply::TimeExceeded,
                mpls: vec![widest, widest],
                objects: vec![
                    interface("xe-0/0/1"),
                    interface("a-very-long-interface-name-of-a-provider"),
                ],
                wire: Default::default(),
            }],
        };
        let label = "[MPLS: L=1048575 E=7 S=1 T=255]";
        for (target, numeric, widest_line) in [
            ("198.18.3.2", true, 80),
            ("fd4e:6c61:62:3::2", true, 80),
            ("198.18.3.2", false, 100),
        ] {
            let header =
                RowPrinter::new(&Stdout::for_tests(), &columns(ip(target), numeric, false))
                    .header();
            let text = table_text(&hop, target, numeric);
            let lines: Vec<&str> = text.lines().collect();
            let first: Vec<&str> = lines[0].split_whitespace().collect();
            assert_eq!(first, ["2", "198.18.1.2", "8.000", "ms"], "{text}");
            // The columns are as wide as without extensions: the RTTs under their title.
            assert_eq!(
                header.find("rtt"),
                lines[0].find("8.000"),
                "{header}\n{text}"
            );
            assert!(header.len() <= widest_line, "{header}");
            let indent = header.find("address").unwrap() + 2;
            let entry_lines: Vec<&str> = lines[1..].iter().map(|l| &l[indent..]).collect();
            assert_eq!(
                entry_lines,
                [
                    format!("{label} {label}").as_str(),
                    "[in: xe-0/0/1 ifIndex 15 fd4e:6c61:62:1:aaaa:bbbb:cccc:dddd mtu 9000]",
                    "[in: a-very-long-interface-name-of-a… ifIndex 15",
                    "  fd4e:6c61:62:1:aaaa:bbbb:cccc:dddd mtu 9000]",
                ],
                "{text}"
            );
            for line in &lines {
                assert!(line.chars().count() <= widest_line, "{line:?}\n{text}");
            }
        }
    }

    /// Regression: as root, -n -A's `[AS64500 NETLAB-LINK0]` wrapped onto two lines once
    /// the address column stopped growing for extensions; -A keeps its own room.
    #[test]
    fn as_labels_fit_beside_numeric_addresses() {
        for target in ["198.18.3.2", "fd4e:6c61:62:3::2"] {
            let columns = columns(ip(target), true, true);
            let printer = RowPrinter::new(&Stdout::for_tests(), &columns);
            let shown = format!("{target} [AS4200000000 NETLAB-LINK0]");
            let row = printer.render(&["3".into(), shown.clone(), "1.000 ms".into()]);
            assert_eq!(row.lines().count(), 1, "{row}");
            assert!(row.contains(&shown), "{row}");
            assert!(row.chars().count() <= 100, "{row}");
        }
    }
}
