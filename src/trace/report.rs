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

/// The cells of one hop's row: TTL; responders (one per line, each followed by the ICMP
/// extensions it sent: MPLS label stack entries, traceroute's `[MPLS: L=24001 E=0 S=1
/// T=1]`, then interface information and unknown objects, laid out by
/// `extensions::lines` to `width`); per responder the RTTs of the probes it answered, with
/// annotations, silent probes (`*`) on the first line.
fn hop_cells(hop: &Hop, shown: impl Fn(IpAddr) -> String, width: usize) -> [String; 3] {
    let responders = hop.responders();
    let mut addr_lines: Vec<String> = Vec::new();
    let mut rtt_lines: Vec<String> = Vec::new();
    let silent: Vec<String> = hop
        .probes
        .iter()
        .filter_map(|p| match p {
            ProbeResult::Silent => Some("*".to_string()),
            ProbeResult::SendFailed(why) => Some(format!("* (send failed: {why})")),
            ProbeResult::Answered { .. } => None,
        })
        .collect();
    if responders.is_empty() {
        addr_lines.push("*".into());
        rtt_lines.push(silent.join("  "));
    }
    for (i, addr) in responders.iter().enumerate() {
        addr_lines.push(shown(*addr));
        let mut rtts: Vec<String> = Vec::new();
        // Each distinct set of extensions this responder sent, in the order first seen.
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
        rtt_lines.push(rtts.join("  "));
        let entries = sent.iter().flat_map(|(mpls, objects)| {
            let labels = mpls.iter().map(extensions::mpls_pieces);
            labels.chain(objects.iter().map(ExtObject::pieces))
        });
        for line in extensions::lines(entries, width) {
            addr_lines.push(line);
            rtt_lines.push(String::new());
        }
    }
    [
        hop.ttl.to_string(),
        addr_lines.join("\n"),
        rtt_lines.join("\n"),
    ]
}

/// The row columns. With a raw receiver (extensions can be seen) the address column is
/// at least `extensions::LINE_WIDTH` wide, so an extension entry wraps only between its
/// pieces, never inside one.
fn columns(target: IpAddr, numeric: bool, raw_receiver: bool) -> [Column; 3] {
    let addr_width = target.to_string().len().max(15) as u16;
    let addr_width = if numeric { addr_width } else { addr_width + 34 };
    let addr_width = if raw_receiver {
        addr_width.max(extensions::LINE_WIDTH as u16)
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
    /// The address column's width, which extension entries wrap to.
    ext_width: usize,
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
        let columns = columns(addr, view.numeric, raw_receiver);
        let ext_width = usize::from(columns[1].width);
        let printer = RowPrinter::new(out, &columns);
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
            ext_width,
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
        let mut cells = hop_cells(hop, |addr| self.shown(addr), self.ext_width);
        cells[2] = self.extras.annotate(hop.ttl, std::mem::take(&mut cells[2]));
        self.printer.print(&cells);
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
        let [ttl, addrs, rtts] = hop_cells(&hop, |a| a.to_string(), extensions::LINE_WIDTH);
        assert_eq!(ttl, "4");
        assert_eq!(addrs, "10.0.0.1\n  [MPLS: L=24001 E=0 S=1 T=1]\n10.0.0.2");
        assert_eq!(rtts, "4.000 ms  *\n\n5.000 ms");
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
            hop_cells(&unreachable, |a| a.to_string(), 43)[2],
            "1.000 ms !H"
        );
        let silent = Hop {
            ttl: 3,
            probes: vec![ProbeResult::Silent; 3],
        };
        assert_eq!(
            hop_cells(&silent, |a| a.to_string(), 43)[1..],
            ["*", "*  *  *"]
        );
    }

    /// Regression: with -n the address column was 15 wide, and comfy-table wrapped the
    /// label lines (`[MPLS: L=24001` / `E=0 S=0 T=1]`), as the lab's MPLS router showed.
    /// Interface information wraps too, but only between its fields.
    #[test]
    fn extension_lines_never_wrap_inside_an_entry_with_numeric_addresses() {
        use crate::packet::interface_info::Role;
        let widest = MplsLabel {
            label: 0xfffff,
            exp: 7,
            bottom: true,
            ttl: 255,
        };
        let interface = ExtObject::Interface(extensions::Interface {
            role: Role::Incoming,
            if_index: Some(15),
            address: Some(ip("fd4e:6c61:62:1:aaaa:bbbb:cccc:dddd")),
            name: Some("xe-0/0/1".into()),
            mtu: Some(9000),
        });
        let hop = Hop {
            ttl: 2,
            probes: vec![ProbeResult::Answered {
                from: ip("198.18.1.2"),
                rtt: Duration::from_millis(8),
                reply: Reply::TimeExceeded,
                mpls: vec![widest, widest],
                objects: vec![interface],
                wire: Default::default(),
            }],
        };
        for target in ["198.18.3.2", "fd4e:6c61:62:3::2"] {
            let printer = RowPrinter::new(&Stdout::for_tests(), &columns(ip(target), true, true));
            let row = printer.render(&hop_cells(&hop, |a| a.to_string(), extensions::LINE_WIDTH));
            let lines: Vec<&str> = row.lines().map(str::trim).collect();
            let first: Vec<&str> = lines[0].split_whitespace().collect();
            assert_eq!(first, ["2", "198.18.1.2", "8.000", "ms"], "{row}");
            assert_eq!(
                lines[1..],
                [
                    "[MPLS: L=1048575 E=7 S=1 T=255]",
                    "[MPLS: L=1048575 E=7 S=1 T=255]",
                    "[in: xe-0/0/1 ifIndex 15",
                    "fd4e:6c61:62:1:aaaa:bbbb:cccc:dddd",
                    "mtu 9000]",
                ],
                "{row}"
            );
        }
    }
}
