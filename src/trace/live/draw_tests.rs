//! The picture, drawn on ratatui's `TestBackend` from snapshots made by hand.

use std::net::IpAddr;
use std::time::Duration;

use ratatui::backend::TestBackend;
use ratatui::style::Color;
use ratatui::Terminal;

use super::*;
use crate::trace::stats::{
    Jitter, LossVerdict, PathChange, PathEvent, Responder, RttFigures, Sample,
};

fn ip(text: &str) -> IpAddr {
    text.parse().unwrap()
}

fn ms(n: u64) -> Duration {
    Duration::from_millis(n)
}

fn verdict(kind: LossKind, explanation: &str) -> LossVerdict {
    LossVerdict {
        kind,
        forwarding_percent: 0.0,
        replies_only_percent: 0.0,
        explanation: explanation.into(),
    }
}

/// A hop answered by `from` (name `name`) with these RTTs (`None`: lost).
fn hop(ttl: u8, from: &str, name: Option<&str>, rtts: &[Option<u64>]) -> HopSummary {
    let received = rtts.iter().flatten().count() as u64;
    let sent = rtts.len() as u64;
    let answered: Vec<u64> = rtts.iter().flatten().copied().collect();
    HopSummary {
        ttl,
        sent,
        received,
        send_failed: 0,
        loss_percent: ((sent - received) as f64 * 1000.0 / sent as f64).round() / 10.0,
        responders: vec![Responder {
            address: ip(from),
            name: name.map(String::from),
            asn: None,
            count: received,
            share: 1.0,
            sent: Default::default(),
        }],
        other_responders: 0,
        rtt: answered.last().map(|last| RttFigures {
            last: ms(*last),
            avg: ms(answered.iter().sum::<u64>() / answered.len() as u64),
            best: ms(*answered.iter().min().unwrap()),
            worst: ms(*answered.iter().max().unwrap()),
            stdev: ms(1),
        }),
        jitter: Some(Jitter {
            last: ms(2),
            mean: ms(2),
            max: ms(3),
            interarrival: ms(1),
        }),
        percentiles: None,
        loss: verdict(LossKind::None, ""),
        history: rtts
            .iter()
            .enumerate()
            .map(|(i, r)| Sample {
                round: i as u64 + 1,
                rtt: r.map(ms),
                from: r.map(|_| ip(from)),
            })
            .collect(),
    }
}

fn snapshot(hops: Vec<HopSummary>) -> Snapshot {
    Snapshot {
        rounds: hops.first().map_or(0, |h| h.sent),
        destination_ttl: hops.last().map(|h| h.ttl),
        reached_last_round: true,
        loss_begins_at: None,
        events: vec![],
        events_total: 0,
        hops,
    }
}

fn view() -> View {
    View {
        title: "trace to dest (198.18.3.2), udp port 33434, every 0.2 s".into(),
        paused: false,
        names: true,
        names_possible: true,
        elapsed: Duration::from_secs(75),
        resets: 0,
        color: true,
        asn: false,
    }
}

/// The screen as lines of text.
fn screen(snapshot: &Snapshot, view: &View, width: u16, height: u16) -> Vec<String> {
    let mut terminal = Terminal::new(TestBackend::new(width, height)).unwrap();
    terminal.draw(|f| draw(f, snapshot, view)).unwrap();
    let buffer = terminal.backend().buffer();
    (0..height)
        .map(|y| (0..width).map(|x| buffer[(x, y)].symbol()).collect())
        .collect()
}

fn line_of<'a>(lines: &'a [String], needle: &str) -> &'a str {
    lines
        .iter()
        .find(|l| l.contains(needle))
        .unwrap_or_else(|| panic!("no line with {needle:?} in\n{}", lines.join("\n")))
}

/// The sparkline part of a hop's line (after the table's columns).
fn history_of(line: &str) -> String {
    let skip = (COLUMNS.iter().sum::<u16>() + COLUMNS.len() as u16) as usize;
    line.chars()
        .skip(skip)
        .collect::<String>()
        .trim_end()
        .to_string()
}

#[test]
fn each_hop_is_a_row_with_the_reports_figures() {
    let s = snapshot(vec![
        hop(
            1,
            "198.18.0.2",
            Some("r1.lab"),
            &[Some(1), Some(3), Some(2)],
        ),
        hop(2, "198.18.1.2", None, &[Some(10), None, Some(12)]),
    ]);
    let lines = screen(&s, &view(), 130, 16);
    assert!(lines[0].starts_with("trace to dest (198.18.3.2), udp port 33434, every 0.2 s"));
    assert!(lines[0].contains("round 3 · 00:01:15"), "{}", lines[0]);
    let header = line_of(&lines, "loss%");
    for title in TITLES {
        assert!(header.contains(title), "{header}");
    }
    assert!(header.contains("rtt history"));
    let row1: Vec<&str> = line_of(&lines, "r1.lab").split_whitespace().collect();
    // hop, host, loss%, sent, recv, last, avg, best, worst, stdev, jitter, sparkline.
    assert_eq!(
        &row1[..11],
        ["1", "r1.lab", "0.0", "3", "3", "2.000", "2.000", "1.000", "3.000", "1.000", "2.000"]
    );
    let row2: Vec<&str> = line_of(&lines, "198.18.1.2").split_whitespace().collect();
    assert_eq!(&row2[..5], ["2", "198.18.1.2", "33.3", "3", "2"]);
    assert!(lines.last().unwrap().contains(HELP));
    assert!(line_of(&lines, "loss:").contains("none in forwarding"));
}

#[test]
fn large_rtts_keep_to_their_column() {
    assert_eq!(rtt_text(0.027), "0.027");
    assert_eq!(rtt_text(99.5), "99.500");
    assert_eq!(rtt_text(123.45), "123.5");
    assert_eq!(rtt_text(65_000.4), "65000");
}

#[test]
fn the_sparkline_shows_a_spike_and_losses_in_probe_order() {
    let s = snapshot(vec![hop(
        1,
        "198.18.0.2",
        None,
        &[Some(1), Some(1), Some(80), None, Some(1), Some(2)],
    )]);
    let lines = screen(&s, &view(), 130, 10);
    let spark = history_of(line_of(&lines, "198.18.0.2"));
    // Answers at least the lowest bar, the spike the full one, a loss the cross.
    assert_eq!(spark, "▁▁█×▁▁", "{lines:#?}");
}

#[test]
fn the_sparkline_keeps_the_latest_probes_when_narrow() {
    let rtts: Vec<Option<u64>> = (0..200)
        .map(|i| Some(if i == 199 { 50 } else { 5 }))
        .collect();
    let s = snapshot(vec![hop(1, "198.18.0.2", None, &rtts)]);
    let lines = screen(&s, &view(), 110, 10);
    let spark = history_of(line_of(&lines, "198.18.0.2"));
    // The newest probe (the spike) is the last one drawn.
    assert!(spark.ends_with('█'), "{spark}");
    assert_eq!(
        spark.chars().count(),
        110 - (COLUMNS.iter().sum::<u16>() as usize + 11)
    );
}

#[test]
fn verdicts_say_where_real_loss_begins_and_why() {
    let mut h1 = hop(1, "198.18.0.2", None, &[Some(1), None]);
    h1.loss = verdict(
        LossKind::RepliesOnly,
        "50% of its own replies missing; later hops lost none",
    );
    let mut h2 = hop(2, "198.18.1.2", None, &[None, Some(2)]);
    h2.loss = verdict(
        LossKind::Forwarding,
        "lost in forwarding at or before this hop",
    );
    let mut s = snapshot(vec![h1, h2]);
    s.loss_begins_at = Some(2);
    let lines = screen(&s, &view(), 130, 16);
    assert!(line_of(&lines, "loss:").contains(
        "real loss (in forwarding) begins at hop 2, between hop 1 and hop 2; every later hop"
    ));
    // Loss from the first hop probed on has no link in front of it to name.
    s.loss_begins_at = Some(1);
    let lines = screen(&s, &view(), 130, 16);
    assert!(line_of(&lines, "loss:")
        .contains("real loss (in forwarding) begins at hop 1; every later hop shares it"));
    assert!(line_of(&lines, "hop 1: replies_only").contains("later hops lost none"));
    assert!(line_of(&lines, "hop 2: forwarding").contains("at or before this hop"));
}

#[test]
fn long_explanations_wrap_between_words_at_150_columns() {
    let text = "never answers (a router that sends no time-exceeded: common and harmless); \
                later hops answer, so the path goes on through it, and the 16.4% they lose \
                is lost in forwarding at or before this hop (real loss begins at hop 2)";
    let mut h3 = hop(3, "198.18.2.2", None, &[None, None]);
    h3.loss = verdict(LossKind::Both, text);
    let s = snapshot(vec![hop(1, "198.18.0.2", None, &[Some(1)]), h3]);
    let lines = screen(&s, &view(), 150, 20);
    let first = lines
        .iter()
        .position(|l| l.contains("hop 3: both: never answers"))
        .unwrap_or_else(|| panic!("{}", lines.join("\n")));
    // The explanation goes on over indented lines, and no word is cut at the edge.
    let wrapped: Vec<&str> = lines[first..]
        .iter()
        .take_while(|l| !l.trim().is_empty())
        .map(|l| l.trim_end())
        .collect();
    assert!(wrapped.len() >= 2, "{}", lines.join("\n"));
    assert!(wrapped[1..]
        .iter()
        .all(|l| l.starts_with("    ") && l.len() > 4));
    let words: Vec<&str> = wrapped
        .iter()
        .flat_map(|l| l.split_whitespace())
        .skip(3)
        .collect();
    assert_eq!(words.join(" "), text, "{}", wrapped.join("\n"));
}

#[test]
fn the_paused_banner_and_the_reset_note_show_in_the_title() {
    let s = snapshot(vec![hop(1, "198.18.0.2", None, &[Some(1)])]);
    let mut v = view();
    assert!(!screen(&s, &v, 130, 8)[0].contains("PAUSED"));
    v.paused = true;
    v.resets = 1;
    let title = screen(&s, &v, 130, 8)[0].clone();
    assert!(title.contains("PAUSED (p resumes)"), "{title}");
    assert!(title.contains("since reset"), "{title}");
}

#[test]
fn names_off_shows_addresses_and_several_responders_show_their_shares() {
    let mut h = hop(
        1,
        "198.18.0.2",
        Some("r1.lab"),
        &[Some(1), Some(1), Some(1), Some(1)],
    );
    h.responders = vec![
        Responder {
            address: ip("198.18.0.2"),
            name: Some("r1.lab".into()),
            asn: None,
            count: 3,
            share: 0.75,
            sent: Default::default(),
        },
        Responder {
            address: ip("198.18.9.2"),
            name: None,
            asn: None,
            count: 1,
            share: 0.25,
            sent: Default::default(),
        },
    ];
    let s = snapshot(vec![h]);
    let mut v = view();
    let lines = screen(&s, &v, 130, 12);
    assert!(line_of(&lines, "1   r1.lab").contains("r1.lab 75% +1"));
    assert!(line_of(&lines, "responders:").starts_with("responders:"));
    assert_eq!(
        line_of(&lines, "  hop 1: ").trim_end(),
        "  hop 1: 198.18.0.2 (r1.lab) 75%, 198.18.9.2 25%"
    );
    v.names = false;
    let lines = screen(&s, &v, 130, 12);
    assert!(!lines.iter().any(|l| l.contains("r1.lab")), "{lines:#?}");
    assert!(line_of(&lines, "1   198.18.0.2").contains("198.18.0.2 75% +1"));
}

#[test]
fn path_changes_are_listed_newest_first() {
    let mut s = snapshot(vec![hop(1, "198.18.0.2", None, &[Some(1)])]);
    s.events = vec![
        PathEvent {
            round: 3,
            at: Duration::from_millis(2500),
            change: PathChange::NewResponder {
                ttl: 1,
                address: ip("198.18.9.2"),
                previous: Some(ip("198.18.0.2")),
            },
        },
        PathEvent {
            round: 7,
            at: Duration::from_millis(6100),
            change: PathChange::DestinationMoved {
                from_ttl: 3,
                to_ttl: 2,
            },
        },
    ];
    s.events_total = 2;
    let lines = screen(&s, &view(), 130, 14);
    let at = |needle: &str| lines.iter().position(|l| l.contains(needle)).unwrap();
    assert!(line_of(&lines, "path changes: 2").starts_with("path changes: 2"));
    assert!(at("+6.1s round 7: the destination moved from hop 3 to hop 2") < at("+2.5s round 3"));
    assert!(line_of(&lines, "+2.5s round 3").contains("hop 1 now answers from 198.18.9.2"));
}

#[test]
fn an_empty_run_and_a_tiny_terminal_draw_without_panicking() {
    let s = snapshot(vec![]);
    let lines = screen(&s, &view(), 130, 6);
    assert!(line_of(&lines, "loss:").contains("no round yet"));
    let s = snapshot(vec![hop(1, "198.18.0.2", None, &[Some(1), None])]);
    for (w, h) in [(1, 1), (10, 3), (40, 2), (90, 4)] {
        screen(&s, &view(), w, h);
    }
}

#[test]
fn colour_only_without_no_color() {
    let mut h = hop(1, "198.18.0.2", None, &[Some(1), None]);
    h.loss = verdict(LossKind::Forwarding, "lost");
    let mut s = snapshot(vec![h]);
    s.loss_begins_at = Some(1);
    let mut v = view();
    v.paused = true;
    let colours = |v: &View| {
        let mut terminal = Terminal::new(TestBackend::new(130, 10)).unwrap();
        terminal.draw(|f| draw(f, &s, v)).unwrap();
        let buffer = terminal.backend().buffer().clone();
        buffer
            .content()
            .iter()
            .filter(|c| c.fg != Color::Reset || c.bg != Color::Reset)
            .map(|c| (c.symbol().to_string(), c.fg))
            .collect::<Vec<_>>()
    };
    let coloured = colours(&v);
    assert!(
        coloured.contains(&(LOST.to_string(), Color::Red)),
        "{coloured:?}"
    );
    assert!(
        coloured.contains(&("█".to_string(), Color::Green)),
        "{coloured:?}"
    );
    v.color = false;
    assert_eq!(colours(&v), vec![]);
    // The banner still stands out, in reverse video.
    let lines = screen(&s, &v, 130, 10);
    assert!(lines[0].contains("PAUSED"));
}

#[test]
fn with_asn_each_host_follows_its_as_and_the_as_names_are_listed() {
    use crate::trace::asn::AsInfo;
    let as_of = |number: u32, prefix: &str, name: Option<&str>| AsInfo {
        number,
        prefix: prefix.into(),
        name: name.map(String::from),
    };
    let mut h1 = hop(1, "198.18.0.2", Some("r1.lab"), &[Some(1), Some(1)]);
    h1.responders[0].asn = Some(as_of(
        64500,
        "198.18.0.0/24",
        Some("NETLAB-LINK0 - lab link 0, ZZ"),
    ));
    let mut h2 = hop(2, "198.18.1.2", None, &[Some(2), Some(2)]);
    h2.responders[0].asn = Some(as_of(64500, "198.18.1.0/24", None));
    // Not answered (yet): mtr's AS???.
    let h3 = hop(3, "198.18.2.2", None, &[Some(3), Some(3)]);
    let s = snapshot(vec![h1, h2, h3]);
    let mut v = view();
    v.asn = true;
    let lines = screen(&s, &v, 130, 16);
    assert!(
        line_of(&lines, "1   AS64500 r1.lab").contains("0.0"),
        "{lines:#?}"
    );
    line_of(&lines, "2   AS64500 198.18.1.2");
    line_of(&lines, "3   AS??? 198.18.2.2");
    assert!(line_of(&lines, "AS:").starts_with("AS:"));
    // One line per AS, with every hop and prefix it answered from.
    assert_eq!(
        line_of(&lines, "AS64500 NETLAB").trim_end(),
        "  AS64500 NETLAB-LINK0 - lab link 0, ZZ: hop 1 198.18.0.0/24, hop 2 198.18.1.0/24"
    );
    // Without -A: neither.
    v.asn = false;
    let lines = screen(&s, &v, 130, 16);
    assert!(!lines.iter().any(|l| l.contains("AS")), "{lines:#?}");
    line_of(&lines, "1   r1.lab");
}

/// Issue 23: what a router sent (the latest answer's labels and interface information)
/// is under the table, per responder; in a narrow terminal the entries wrap between
/// each other, and an interface entry wider than the screen only between its fields.
#[test]
fn extensions_show_under_the_table_and_wrap_between_entries() {
    use crate::packet::extensions::MplsLabel;
    use crate::packet::interface_info::Role;
    use crate::trace::extensions::{ExtObject, Interface, Sent};
    let label = |label| MplsLabel {
        label,
        exp: 0,
        bottom: label == 24001,
        ttl: 1,
    };
    let mut h = hop(2, "198.18.1.2", None, &[Some(1), Some(2)]);
    h.responders[0].sent = Sent {
        mpls: vec![label(16), label(24001)],
        objects: vec![ExtObject::Interface(Interface {
            role: Role::Incoming,
            if_index: Some(15),
            address: Some(ip("fd4e:6c61:62:1:aaaa:bbbb:cccc:dddd")),
            name: Some("xe-0/0/1".into()),
            mtu: Some(9000),
        })],
    };
    let s = snapshot(vec![hop(1, "198.18.0.2", None, &[Some(1), Some(1)]), h]);
    let entries = [
        "[MPLS: L=16 E=0 S=0 T=1]",
        "[MPLS: L=24001 E=0 S=1 T=1]",
        "[in: xe-0/0/1 ifIndex 15 fd4e:6c61:62:1:aaaa:bbbb:cccc:dddd mtu 9000]",
    ];
    // Wide: the two labels share a line, the interface entry fits whole on the next.
    let wide = screen(&s, &view(), 100, 16);
    let head = wide
        .iter()
        .position(|l| l.starts_with("extensions (latest answer):"))
        .unwrap_or_else(|| panic!("{}", wide.join("\n")));
    assert_eq!(wide[head + 1].trim_end(), "  hop 2 198.18.1.2:");
    assert_eq!(
        wide[head + 2].trim_end(),
        format!("    {} {}", entries[0], entries[1])
    );
    assert_eq!(wide[head + 3].trim_end(), format!("    {}", entries[2]));
    // Narrow (50 columns): one label a line, the interface entry broken between its
    // fields only, and nothing cut at the edge.
    let narrow = screen(&s, &view(), 50, 20);
    let head = narrow
        .iter()
        .position(|l| l.starts_with("extensions (latest answer):"))
        .unwrap_or_else(|| panic!("{}", narrow.join("\n")));
    let shown: Vec<&str> = narrow[head + 2..head + 7]
        .iter()
        .map(|l| l.trim())
        .collect();
    assert_eq!(
        shown,
        [
            entries[0],
            entries[1],
            "[in: xe-0/0/1 ifIndex 15",
            "fd4e:6c61:62:1:aaaa:bbbb:cccc:dddd mtu 9000]",
            "",
        ],
        "{}",
        narrow.join("\n")
    );
    // The hop's own line keeps its figures: nothing of the entries is in the table.
    assert!(!line_of(&wide, "198.18.1.2").contains("MPLS"));
}
