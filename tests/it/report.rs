//! The lab report: `--format markdown` for every command (parsed back with a markdown
//! parser, tables and rows found), `--plot` pictures (parsed as XML and by usvg, rendered
//! by resvg, their marks counted), and `check --report DIR`.
//!
//! Markdown runs go to loopback; pictures of real paths and losses are taken in the
//! namespace lab.

use std::io::{Read, Write};
use std::net::{SocketAddr, TcpListener, TcpStream};
use std::path::Path;
use std::time::Duration;

use pulldown_cmark::{Event, Options, Parser, Tag, TagEnd};

use crate::lab::impair::Impairment;
use crate::lab::{lab, Lab, LabConfig, Role};
use crate::util::serve::Server;
use crate::util::{json, netlab, stderr, stdout};

/// A table as a markdown parser reads it.
#[derive(Debug, Default, Clone, PartialEq)]
struct Table {
    header: Vec<String>,
    rows: Vec<Vec<String>>,
}

impl Table {
    /// The row whose first cell is `first`.
    fn row(&self, first: &str) -> &[String] {
        self.rows
            .iter()
            .find(|r| r.first().map(String::as_str) == Some(first))
            .unwrap_or_else(|| panic!("no row {first:?} in {self:#?}"))
    }

    /// The cell of `row` under the column titled `title`.
    fn cell<'a>(&self, row: &'a [String], title: &str) -> &'a str {
        let i = self
            .header
            .iter()
            .position(|h| h == title)
            .unwrap_or_else(|| panic!("no column {title:?} in {:?}", self.header));
        &row[i]
    }
}

/// What a markdown document holds: its tables, paragraphs (as text) and code spans.
#[derive(Debug, Default)]
struct Doc {
    tables: Vec<Table>,
    paragraphs: Vec<String>,
    code: Vec<String>,
    images: Vec<String>,
}

fn parse(text: &str) -> Doc {
    let mut doc = Doc::default();
    let mut cell = String::new();
    let mut row: Vec<String> = Vec::new();
    let mut table: Option<Table> = None;
    let mut paragraph: Option<String> = None;
    for event in Parser::new_ext(text, Options::ENABLE_TABLES) {
        match event {
            Event::Start(Tag::Table(_)) => table = Some(Table::default()),
            Event::End(TagEnd::Table) => doc.tables.extend(table.take()),
            Event::End(TagEnd::TableHead) => {
                if let Some(t) = &mut table {
                    t.header = std::mem::take(&mut row);
                }
            }
            Event::End(TagEnd::TableRow) => {
                if let Some(t) = &mut table {
                    t.rows.push(std::mem::take(&mut row));
                }
            }
            Event::End(TagEnd::TableCell) => row.push(std::mem::take(&mut cell).trim().into()),
            Event::Start(Tag::Paragraph) => paragraph = Some(String::new()),
            Event::End(TagEnd::Paragraph) => doc.paragraphs.extend(paragraph.take()),
            Event::Start(Tag::Image { dest_url, .. }) => doc.images.push(dest_url.to_string()),
            Event::Code(t) => {
                doc.code.push(t.to_string());
                if table.is_some() {
                    cell.push_str(&t);
                } else if let Some(p) = &mut paragraph {
                    p.push_str(&t);
                }
            }
            Event::Text(t) => {
                if table.is_some() {
                    cell.push_str(&t);
                } else if let Some(p) = &mut paragraph {
                    p.push_str(&t);
                }
            }
            Event::InlineHtml(h) if h.as_ref() == "<br>" => cell.push('\n'),
            Event::HardBreak | Event::SoftBreak => {
                if let Some(p) = &mut paragraph {
                    p.push('\n');
                }
            }
            _ => {}
        }
    }
    doc
}

/// Runs a markdown command, checks the preamble, and parses the rest.
fn markdown_run(out: &std::process::Output, args: &[&str]) -> Doc {
    let text = stdout(out);
    let doc = parse(&text);
    let command = format!("netlab {}", args.join(" "));
    assert!(
        doc.code.contains(&command),
        "{command:?} not above:\n{text}"
    );
    assert!(
        doc.paragraphs
            .iter()
            .any(|p| p.contains("Run at: ") && p.contains(" UTC")),
        "no time of the run in:\n{text}"
    );
    doc
}

fn titles(t: &Table) -> Vec<&str> {
    t.header.iter().map(String::as_str).collect()
}

/// A loopback listener answering every connection with a line.
fn listener() -> (SocketAddr, std::thread::JoinHandle<()>) {
    let l = TcpListener::bind("127.0.0.1:0").unwrap();
    let addr = l.local_addr().unwrap();
    let handle = std::thread::spawn(move || {
        // Serves the connections of one test, then stops when the test's last one ends.
        for mut s in l.incoming().take(2).flatten() {
            let _ = s.write_all(b"hello\n");
        }
    });
    (addr, handle)
}

#[test]
fn resolve_connect_ping_and_trace_print_markdown_tables() {
    let args = ["resolve", "--format", "markdown", "localhost"];
    let out = netlab(&args);
    assert_eq!(out.status.code(), Some(0), "{}", stderr(&out));
    let doc = markdown_run(&out, &args);
    let t = &doc.tables[0];
    assert_eq!(
        titles(t),
        ["name", "type", "value", "TTL", "source", "time (ms)"]
    );
    let row = t.row("localhost");
    assert_eq!(t.cell(row, "source"), "/etc/hosts");

    let (addr, server) = listener();
    let port = addr.port().to_string();
    let args = ["connect", "--format", "markdown", "-p", &port, "127.0.0.1"];
    let out = netlab(&args);
    assert_eq!(out.status.code(), Some(0), "{}", stderr(&out));
    let doc = markdown_run(&out, &args);
    let terminal = stdout(&netlab(&["connect", "-p", &port, "127.0.0.1"]));
    server.join().unwrap();
    // The same columns as the terminal's table, in the same order.
    let first_line: String = terminal
        .lines()
        .next()
        .unwrap()
        .split_whitespace()
        .collect();
    assert_eq!(doc.tables[0].header.concat().replace(' ', ""), first_line);
    assert!(
        doc.tables[0]
            .rows
            .iter()
            .any(|r| r.iter().any(|c| c == "open")),
        "{doc:#?}"
    );

    let args = [
        "ping",
        "--format",
        "markdown",
        "-c",
        "3",
        "-i",
        "0.05",
        "127.0.0.1",
    ];
    let out = netlab(&args);
    assert_eq!(out.status.code(), Some(0), "{}", stderr(&out));
    let doc = markdown_run(&out, &args);
    assert_eq!(doc.tables.len(), 2, "{doc:#?}");
    let live = &doc.tables[0];
    assert_eq!(titles(live), ["seq", "from", "bytes", "ttl", "rtt", ""]);
    assert_eq!(live.rows.len(), 3, "one row per reply: {live:#?}");
    for (i, row) in live.rows.iter().enumerate() {
        assert_eq!(row[0], (i + 1).to_string());
        assert!(row[4].ends_with(" ms"), "{row:?}");
    }
    let summary = &doc.tables[1];
    let row = summary.row("127.0.0.1");
    assert_eq!(summary.cell(row, "sent"), "3");
    assert_eq!(summary.cell(row, "received"), "3");
    assert_eq!(summary.cell(row, "loss"), "0%");

    let args = ["trace", "--format", "markdown", "-n", "127.0.0.1"];
    let out = netlab(&args);
    assert_eq!(out.status.code(), Some(0), "{}", stderr(&out));
    let doc = markdown_run(&out, &args);
    let hops = &doc.tables[0];
    assert_eq!(titles(hops), ["hop", "address", "rtt"]);
    assert_eq!(hops.row("1")[1], "127.0.0.1");
    // The header and footer lines are paragraphs of their own, not rows.
    assert_eq!(hops.rows.len(), 1, "{hops:#?}");
    assert!(doc
        .paragraphs
        .iter()
        .any(|p| p.starts_with("reached 127.0.0.1 in 1 hop")));
    assert!(doc
        .paragraphs
        .iter()
        .any(|p| p.starts_with("address check: ok")));
}

#[test]
fn serve_and_check_print_markdown_tables() {
    let mut server = Server::start_here(&["127.0.0.1:0", "--format", "markdown"]);
    let addr = server.listening_addr();
    let mut c = TcpStream::connect(addr).unwrap();
    c.write_all(b"abc\n").unwrap();
    c.shutdown(std::net::Shutdown::Write).unwrap();
    let mut got = Vec::new();
    c.read_to_end(&mut got).unwrap();
    let local = c.local_addr().unwrap().to_string();
    // The row is printed when the connection ends: wait for it before stopping.
    let first = server.next_stdout();
    assert!(first.starts_with("Command: `netlab serve"), "{first}");
    server.signal(libc::SIGTERM);
    let stopped = server.wait();
    assert_eq!(stopped.status.code(), Some(0), "{}", stopped.stderr);
    let doc = parse(&format!("{first}\n{}", stopped.stdout));
    assert_eq!(doc.tables.len(), 2, "{}", stopped.stdout);
    let conns = &doc.tables[0];
    let row = conns
        .rows
        .iter()
        .find(|r| r.contains(&local))
        .unwrap_or_else(|| panic!("no row for {local}: {conns:#?}"));
    assert_eq!(conns.cell(row, "in"), "4");
    let totals = &doc.tables[1];
    assert_eq!(totals.header[0], "connections");
    assert_eq!(totals.rows[0][0], "1");

    let (addr, listening) = listener();
    let port = addr.port().to_string();
    let args = ["check", "--format", "markdown", "-p", &port, "127.0.0.1"];
    let out = netlab(&args);
    drop(TcpStream::connect(addr));
    listening.join().unwrap();
    assert_eq!(out.status.code(), Some(0), "{}", stderr(&out));
    let doc = markdown_run(&out, &args);
    let heads: Vec<&str> = doc.tables.iter().map(|t| t.header[0].as_str()).collect();
    assert_eq!(heads, ["address", "connect", "ping", "hop", "check"]);
    let verdict = &doc.tables[4];
    assert_eq!(verdict.cell(verdict.row("port_answers"), "result"), "pass");
    assert_eq!(
        verdict.cell(verdict.row("trace_ends_on_address"), "result"),
        "pass"
    );
}

/// An SVG picture: checked as XML, parsed by usvg, rendered by resvg.
struct Picture {
    svg: String,
    pixels: resvg::tiny_skia::Pixmap,
}

impl Picture {
    fn load(path: &Path) -> Picture {
        let svg = std::fs::read_to_string(path).unwrap();
        let tree = resvg::usvg::Tree::from_str(&svg, &resvg::usvg::Options::default())
            .unwrap_or_else(|e| panic!("{}: {e}", path.display()));
        let size = tree.size().to_int_size();
        let mut pixels = resvg::tiny_skia::Pixmap::new(size.width(), size.height()).unwrap();
        resvg::render(
            &tree,
            resvg::tiny_skia::Transform::default(),
            &mut pixels.as_mut(),
        );
        Picture { svg, pixels }
    }

    /// Elements named `tag` whose attribute `attr` is `value` (any, without one).
    fn count(&self, tag: &str, attr: Option<(&str, &str)>) -> usize {
        let xml = roxmltree::Document::parse(&self.svg).unwrap();
        xml.descendants()
            .filter(|n| n.has_tag_name(tag))
            .filter(|n| attr.is_none_or(|(a, v)| n.attribute(a) == Some(v)))
            .count()
    }

    /// The contents of the `<text>` elements whose transform starts with `rotate(90,`:
    /// the hop labels.
    fn hop_labels(&self) -> Vec<String> {
        let xml = roxmltree::Document::parse(&self.svg).unwrap();
        xml.descendants()
            .filter(|n| n.has_tag_name("text"))
            .filter(|n| {
                n.attribute("transform")
                    .is_some_and(|t| t.starts_with("rotate(90,"))
            })
            .map(|n| n.text().unwrap_or("").trim().to_string())
            .collect()
    }

    /// The `<circle>`s grouped by their x (a hop each in a path picture), left to
    /// right: (x, how many).
    fn circles_by_x(&self) -> Vec<(f64, usize)> {
        let xml = roxmltree::Document::parse(&self.svg).unwrap();
        let mut groups: Vec<(f64, usize)> = Vec::new();
        for n in xml.descendants().filter(|n| n.has_tag_name("circle")) {
            let x: f64 = n.attribute("cx").unwrap().parse().unwrap();
            match groups.iter_mut().find(|(gx, _)| (*gx - x).abs() < 0.5) {
                Some(g) => g.1 += 1,
                None => groups.push((x, 1)),
            }
        }
        groups.sort_by(|a, b| a.0.total_cmp(&b.0));
        groups
    }

    /// The horizontal middle of every `<rect>` filled with `fill`.
    fn rect_middles(&self, fill: &str) -> Vec<f64> {
        let xml = roxmltree::Document::parse(&self.svg).unwrap();
        xml.descendants()
            .filter(|n| n.has_tag_name("rect") && n.attribute("fill") == Some(fill))
            .map(|n| {
                let x: f64 = n.attribute("x").unwrap().parse().unwrap();
                let w: f64 = n.attribute("width").unwrap().parse().unwrap();
                x + w / 2.0
            })
            .collect()
    }

    /// Rendered pixels of exactly this colour.
    fn pixels_of(&self, (r, g, b): (u8, u8, u8)) -> usize {
        self.pixels
            .pixels()
            .iter()
            .filter(|p| p.red() == r && p.green() == g && p.blue() == b && p.alpha() == 255)
            .count()
    }
}

const LOST: (u8, u8, u8) = (0xd5, 0x5e, 0x00);
const LOST_FILL: &str = "#D55E00";

/// Drops every second echo request at the destination: a run with loss, exactly known.
fn drop_every_second_echo(lab: &Lab) {
    let rule = "iptables -A INPUT -p icmp --icmp-type echo-request -m statistic --mode nth --every 2 --packet 1 -j DROP";
    let argv: Vec<&str> = rule.split_whitespace().collect();
    let out = lab.exec(Role::Dest, &argv);
    assert!(out.status.success(), "{rule}: {out:?}");
}

#[test]
fn ping_plot_marks_every_reply_and_every_loss() {
    let lab = lab!(LabConfig::default());
    drop_every_second_echo(&lab);
    let dir = tempfile::tempdir().unwrap();
    let svg = dir.path().join("rtt.svg");
    let dest = lab.dest_v4().to_string();
    let out = lab.netlab(&[
        "ping",
        "-c",
        "6",
        "-i",
        "0.05",
        "-W",
        "0.5",
        "--json",
        "--plot",
        svg.to_str().unwrap(),
        &dest,
    ]);
    assert_eq!(out.status.code(), Some(0), "{}", stderr(&out));
    let doc = json(&out);
    let replies = doc["replies"].as_array().unwrap().len();
    let sum = &doc["summary"][0];
    let lost = (sum["transmitted"].as_u64().unwrap() - sum["received"].as_u64().unwrap()) as usize;
    assert_eq!((replies, lost), (3, 3), "{doc:#}");
    let picture = Picture::load(&svg);
    assert_eq!(
        picture.count("circle", None),
        replies,
        "one circle per reply"
    );
    assert_eq!(
        picture.count("polygon", Some(("fill", LOST_FILL))),
        lost,
        "one triangle per lost probe"
    );
    // The losses show in the rendered picture, and are named in its legend.
    assert!(picture.pixels_of(LOST) > 50, "no lost marks drawn");
    assert!(picture.svg.contains("lost (3)"));

    // PNG: the same picture, rendered, at twice the size.
    let png = dir.path().join("rtt.png");
    let out = lab.netlab(&[
        "ping",
        "-q",
        "-c",
        "2",
        "-i",
        "0.05",
        "--plot",
        png.to_str().unwrap(),
        &dest,
    ]);
    assert_eq!(out.status.code(), Some(0), "{}", stderr(&out));
    let image = resvg::tiny_skia::Pixmap::load_png(&png).unwrap();
    assert_eq!((image.width(), image.height()), (1920, 1280));
    // An opaque white background: readable in dark viewers too.
    let corner = image.pixel(0, 0).unwrap();
    assert_eq!(
        (corner.red(), corner.green(), corner.blue(), corner.alpha()),
        (255, 255, 255, 255)
    );
}

#[test]
fn trace_plot_labels_every_hop_and_marks_every_answer() {
    let lab = lab!(LabConfig::default().routers(3).silent_router(2));
    let dir = tempfile::tempdir().unwrap();
    let svg = dir.path().join("path.svg");
    let dest = lab.dest_v4().to_string();
    let out = lab.netlab(&[
        "trace",
        "-n",
        "--json",
        "--plot",
        svg.to_str().unwrap(),
        &dest,
    ]);
    assert_eq!(out.status.code(), Some(0), "{}", stderr(&out));
    let doc = json(&out);
    let hops = doc["hops"].as_array().unwrap();
    let answered = hops
        .iter()
        .flat_map(|h| h["probes"].as_array().unwrap())
        .filter(|p| !p["rtt_ms"].is_null())
        .count();
    let picture = Picture::load(&svg);
    assert_eq!(
        picture.count("circle", None),
        answered,
        "one circle per answer"
    );
    let labels = picture.hop_labels();
    let expected: Vec<String> = hops
        .iter()
        .map(|h| {
            let addrs: Vec<&str> = h["responders"]
                .as_array()
                .unwrap()
                .iter()
                .map(|r| r["address"].as_str().unwrap())
                .collect();
            if addrs.is_empty() {
                "*".to_string()
            } else {
                addrs.join(", ")
            }
        })
        .collect();
    assert_eq!(labels, expected, "one label per hop");
    assert_eq!(labels[1], "*", "the silent router's hop: {labels:?}");
    assert_eq!(labels.last().unwrap(), &dest);
    // The `*` hop is a full bar of unanswered probes.
    assert_eq!(picture.count("rect", Some(("fill", LOST_FILL))), 1);
    assert!(picture.pixels_of(LOST) > 50);
}

const REPLIES_ONLY: (u8, u8, u8) = (0xe6, 0x9f, 0x00);
const REPLIES_ONLY_FILL: &str = "#E69F00";

/// `trace -c N --plot`: one mark per answer the statistics hold at each hop, and the loss
/// of a router dropping exactly every second of its own replies drawn at its hop, in the
/// replies-only colour (no forwarding loss anywhere). `--watch` writes the same picture.
#[test]
fn rounds_plot_marks_every_answer_per_hop_and_the_replies_only_loss() {
    let lab = lab!(LabConfig::default()
        .routers(3)
        .impair(Impairment::ReplyDropEvery {
            router: 2,
            every: 2
        }));
    let dir = tempfile::tempdir().unwrap();
    let svg = dir.path().join("rounds.svg");
    let dest = lab.dest_v4().to_string();
    let args = [
        "trace",
        "-n",
        "-c",
        "20",
        "-i",
        "0.01",
        "--json",
        "--plot",
        svg.to_str().unwrap(),
        &dest,
    ];
    let out = lab.netlab(&args);
    assert_eq!(out.status.code(), Some(0), "{}", stderr(&out));
    let doc = json(&out);
    let hops = doc["hops"].as_array().unwrap();
    assert_eq!(hops.len(), 4, "{doc:#}");
    assert_eq!(hops[1]["received"], 10, "{doc:#}");
    assert_eq!(hops[1]["loss_kind"], "replies_only", "{doc:#}");
    let picture = Picture::load(&svg);
    let received: Vec<usize> = hops
        .iter()
        .map(|h| h["received"].as_u64().unwrap() as usize)
        .collect();
    let groups = picture.circles_by_x();
    let per_hop: Vec<usize> = groups.iter().map(|g| g.1).collect();
    assert_eq!(per_hop, received, "one circle per answer, per hop");
    let labels = picture.hop_labels();
    assert_eq!(labels.len(), 4, "{labels:?}");
    assert_eq!(labels[1], lab.hop_v4(2).to_string());
    // The loss: one replies-only bar, at hop 2's x; nothing lost in forwarding.
    let bars = picture.rect_middles(REPLIES_ONLY_FILL);
    assert_eq!(bars.len(), 1, "{}", picture.svg);
    assert!((bars[0] - groups[1].0).abs() < 2.0, "{bars:?} {groups:?}");
    assert!(picture.rect_middles(LOST_FILL).is_empty());
    assert!(
        picture.pixels_of(REPLIES_ONLY) > 50,
        "the bar was not drawn"
    );
    assert!(picture.svg.contains("20 rounds: loss and RTT per hop"));

    // --watch ends through the same summary: the picture, here a PNG.
    let png = dir.path().join("watch.png");
    let out = lab.netlab(&[
        "trace",
        "-n",
        "--watch",
        "-c",
        "3",
        "-i",
        "0.01",
        "--plot",
        png.to_str().unwrap(),
        &dest,
    ]);
    assert_eq!(out.status.code(), Some(0), "{}", stderr(&out));
    assert!(stdout(&out).contains("round 3 "), "{}", stdout(&out));
    let image = resvg::tiny_skia::Pixmap::load_png(&png).unwrap();
    assert_eq!((image.width(), image.height()), (1920, 1280));
}

#[test]
fn check_report_writes_every_table_and_the_pictures() {
    let lab = lab!(LabConfig::default());
    let dir = tempfile::tempdir().unwrap();
    let report = dir.path().join("lab1");
    let page = dir.path().join("page.svg");
    let out = lab.netlab(&[
        "check",
        "-4",
        "www.netlab.test",
        "--report",
        report.to_str().unwrap(),
        "--plot",
        page.to_str().unwrap(),
    ]);
    assert_eq!(out.status.code(), Some(0), "{}", stderr(&out));
    let text = std::fs::read_to_string(report.join("report.md")).unwrap();
    let doc = parse(&text);
    assert!(
        doc.code
            .iter()
            .any(|c| c.starts_with("netlab check -4 www.netlab.test")),
        "{text}"
    );
    let heads: Vec<&str> = doc.tables.iter().map(|t| t.header[0].as_str()).collect();
    assert_eq!(
        heads,
        ["address", "connect", "ping", "hop", "check"],
        "{text}"
    );
    let dest = lab.dest_v4().to_string();
    let ping = &doc.tables[2];
    assert_eq!(ping.cell(ping.row(&dest), "received"), "3");
    let hops = &doc.tables[3];
    assert_eq!(hops.rows.last().unwrap()[1], dest);
    // Every table the terminal shows is in the report, row for row.
    let terminal = stdout(&out);
    for t in &doc.tables {
        for row in &t.rows {
            let first = &row[0];
            assert!(
                terminal.contains(first.as_str()),
                "{first} not in\n{terminal}"
            );
        }
    }
    for image in &doc.images {
        assert!(report.join(image).is_file(), "{image} missing");
    }
    assert_eq!(doc.images, ["ping.png", "trace.png", "check.png"]);
    for name in ["check", "ping", "trace"] {
        let picture = Picture::load(&report.join(format!("{name}.svg")));
        if name == "ping" {
            assert_eq!(picture.count("circle", None), 3, "the ping's three replies");
        }
        let png = resvg::tiny_skia::Pixmap::load_png(report.join(format!("{name}.png"))).unwrap();
        assert!(png.width() > 0);
    }
    let page = Picture::load(&page);
    assert!(
        page.svg.contains("verdict: every check passed"),
        "{}",
        page.svg
    );
    for part in ["1. resolve", "2. connect", "3. ping", "4. trace"] {
        assert!(page.svg.contains(part), "{part}");
    }
    // A circle for each of the ping's 3 replies and for each answer the trace got.
    let answers: usize = hops
        .rows
        .iter()
        .map(|r| r[2].split_whitespace().count())
        .sum();
    assert_eq!(page.count("circle", None), 3 + answers);
}

/// Runs `args` in the lab and prints what it said, for the README.
fn show(lab: &Lab, args: &[&str]) {
    let out = lab.netlab(args);
    println!(
        "$ netlab {}\n{}{}(exit {:?})\n",
        args.join(" "),
        stdout(&out),
        stderr(&out),
        out.status.code()
    );
}

/// Draws the README's pictures into docs/img (not a check):
/// `cargo test --test it report::readme_pictures -- --ignored --nocapture`.
#[test]
#[ignore]
fn readme_pictures() {
    let img = Path::new(env!("CARGO_MANIFEST_DIR")).join("docs/img");
    std::fs::create_dir_all(&img).unwrap();
    let lab = lab!(LabConfig::default()
        .routers(4)
        .link_delay(Duration::from_millis(3))
        .silent_router(2));
    drop_every_second_echo(&lab);
    let at = |name: &str| img.join(name).to_string_lossy().into_owned();
    let dest = lab.dest_v4().to_string();
    for args in [
        vec![
            "ping",
            "-q",
            "-c",
            "40",
            "-i",
            "0.05",
            "-W",
            "0.5",
            "--plot",
            &at("ping.png"),
            &dest,
        ],
        vec!["trace", "-4", "--plot", &at("trace.png"), "www"],
        vec!["check", "-4", "www.netlab.test", "--plot", &at("check.png")],
    ] {
        show(&lab, &args);
    }
    // The rounds' picture, in a lab of its own: router 2 loses 10% of what it forwards,
    // router 3 also half of its own replies (the README's rounds example).
    drop(lab);
    let lab = lab!(LabConfig::default()
        .routers(4)
        .link_delay(Duration::from_millis(2))
        .impair(Impairment::ForwardingLoss {
            router: 2,
            probability: 0.1
        })
        .impair(Impairment::ReplyLoss {
            router: 3,
            probability: 0.5
        }));
    show(
        &lab,
        &[
            "trace",
            "-4",
            "-c",
            "100",
            "-i",
            "0.05",
            "--plot",
            &at("rounds.png"),
            "www",
        ],
    );
}
