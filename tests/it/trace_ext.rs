//! ICMP extensions as real routers lay them out, end to end: a lab whose three routers
//! each answer in one layout (the lab's forwarder plays them, byte by byte from the
//! RFCs: `lab/tun.rs`), traced with every method, IPv4 and IPv6, as root (a raw socket
//! sees whole ICMP messages). Each hop must show exactly what its router sent, in the
//! table, the JSON document and the Atlas result, and with rounds (`-c`, `--watch`
//! without a terminal) in the summary JSON, each round's NDJSON object, the CSV rows,
//! the round lines and the summary table.

use std::net::IpAddr;
use std::time::Duration;

use serde_json::{json, Value};

use crate::lab::{lab, InterfaceEntry, LabConfig, LabelEntry, Layout};
use crate::trace::context;
use crate::util::json;
use crate::util::stdout;

/// Router 1: before RFC 4884 (length 0, structure at 128), tcpdump's
/// `mpls-traceroute.pcap` label. Router 2: trippy #804 (length shorter than the
/// padding). Router 3: RFC 4884 with a label and RFC 5837 interface information.
fn three_layouts() -> LabConfig {
    LabConfig::default()
        .routers(3)
        .link_delay(Duration::from_millis(1))
        .mpls_router(1, &[LabelEntry::new(100704, 0, true, 1)])
        .extension_layout(1, Layout::Pre4884)
        .mpls_router(2, &[LabelEntry::new(416240, 0, true, 1)])
        .extension_layout(2, Layout::ShortLength)
        .mpls_router(3, &[LabelEntry::new(24001, 0, true, 1)])
        .interface_info(
            3,
            InterfaceEntry {
                if_index: 15,
                name: "xe-0/0/1".into(),
                mtu: 9000,
            },
        )
}

fn label(label: u32) -> Value {
    json!([{ "label": label, "exp": 0, "bottom": true, "ttl": 1 }])
}

#[test]
fn every_extension_layout_shows_on_its_hop_for_every_method_v4_and_v6() {
    let lab = lab!(three_layouts());
    for v6 in [false, true] {
        let (dest, r3): (IpAddr, IpAddr) = if v6 {
            (lab.dest_v6().into(), lab.hop_v6(3).into())
        } else {
            (lab.dest_v4().into(), lab.hop_v4(3).into())
        };
        let dest = dest.to_string();
        let interface = json!([{
            "class": 2, "c_type": 15,
            "interface": {"role": "incoming", "if_index": 15, "address": r3.to_string(),
                          "name": "xe-0/0/1", "mtu": 9000}
        }]);
        for method in ["-U", "-I", "-T"] {
            // JSON: each hop's labels and objects, on every probe.
            let args = ["trace", "-n", "--json", "-q", "2", method, dest.as_str()];
            let out = lab.netlab(&args);
            let ctx = context(&args, &out);
            assert_eq!(out.status.code(), Some(0), "{ctx}");
            let doc = json(&out);
            let hops = doc["hops"].as_array().unwrap();
            assert_eq!(hops.len(), 4, "{ctx}");
            let want = [
                (label(100704), Value::Null),
                (label(416240), Value::Null),
                (label(24001), interface.clone()),
                (json!([]), Value::Null),
            ];
            // With --nocapture, hop 3's first probe as the README shows it.
            println!(
                "$ netlab {}   # hop 3's first probe\n{:#}",
                args.join(" "),
                hops[2]["probes"][0]
            );
            for (hop, (mpls, extensions)) in hops.iter().zip(&want) {
                for p in hop["probes"].as_array().unwrap() {
                    assert_eq!(&p["mpls"], mpls, "hop {}\n{ctx}", hop["ttl"]);
                    assert_eq!(&p["extensions"], extensions, "hop {}\n{ctx}", hop["ttl"]);
                }
            }

            // The table: the entries on lines of their own under the address, at most 80
            // wide, wrapped between entries (the label and the interface entry of router
            // 3 do not fit one line together), the columns as wide as without them.
            let args = ["trace", "-n", "-q", "2", method, dest.as_str()];
            let out = lab.netlab(&args);
            let ctx = context(&args, &out);
            assert_eq!(out.status.code(), Some(0), "{ctx}");
            let text = stdout(&out);
            // With --nocapture, the runs the README shows.
            println!("$ netlab {}\n{text}", args.join(" "));
            // Readable in 80 columns: every row and entry line (the header line names
            // the target and may be longer).
            for line in text.lines().skip(1) {
                assert!(line.chars().count() <= 80, "{line:?}\n{ctx}");
            }
            let lines: Vec<&str> = text.lines().map(str::trim).collect();
            for entry in [
                "[MPLS: L=100704 E=0 S=1 T=1]",
                "[MPLS: L=416240 E=0 S=1 T=1]",
                "[MPLS: L=24001 E=0 S=1 T=1]",
            ] {
                assert_eq!(lines.iter().filter(|l| **l == entry).count(), 1, "{ctx}");
            }
            let start = lines
                .iter()
                .position(|l| l.starts_with("[in: xe-0/0/1"))
                .unwrap_or_else(|| panic!("no interface line\n{ctx}"));
            let end = start
                + lines[start..]
                    .iter()
                    .position(|l| l.ends_with(']'))
                    .unwrap();
            assert_eq!(
                lines[start..=end].join(" "),
                format!("[in: xe-0/0/1 ifIndex 15 {r3} mtu 9000]"),
                "{ctx}"
            );
        }
    }
}

/// `trace -n -q 1 -I` of the destination's IPv4 address in `format`, which must succeed:
/// its stdout and the context for messages.
fn one_query_trace(lab: &crate::lab::Lab, format: &str) -> (std::process::Output, String) {
    let dest = lab.dest_v4().to_string();
    let args = [
        "trace",
        "-n",
        "--format",
        format,
        "-q",
        "1",
        "-I",
        dest.as_str(),
    ];
    let out = lab.netlab(&args);
    let ctx = context(&args, &out);
    assert_eq!(out.status.code(), Some(0), "{ctx}");
    (out, ctx)
}

/// `--format markdown` prints the same rows: the entries are in them, whole.
#[test]
fn markdown_rows_carry_the_extension_entries() {
    let lab = lab!(three_layouts());
    let (out, ctx) = one_query_trace(&lab, "markdown");
    let text = stdout(&out);
    for entry in [
        "[MPLS: L=100704 E=0 S=1 T=1]",
        "[MPLS: L=416240 E=0 S=1 T=1]",
        "[in: xe-0/0/1 ifIndex 15",
        "mtu 9000]",
    ] {
        let escaped = entry.replace('[', "\\[").replace(']', "\\]");
        assert!(
            text.contains(entry) || text.contains(&escaped),
            "{entry}\n{ctx}"
        );
    }
}

/// The Atlas result names each object by class and type: the label stack with its
/// labels, the interface information (Atlas has no field for its contents) alone.
#[test]
fn atlas_lists_the_interface_object_after_the_labels() {
    let lab = lab!(three_layouts());
    let (out, ctx) = one_query_trace(&lab, "atlas");
    let doc = json(&out);
    let hops = doc[0]["result"].as_array().unwrap();
    let ext = |h: usize| hops[h]["result"][0]["icmpext"].clone();
    assert_eq!(ext(0)["rfc4884"], 0, "{ctx}");
    assert_eq!(ext(1)["rfc4884"], 1, "{ctx}");
    assert_eq!(
        ext(2),
        json!({"version": 2, "rfc4884": 1, "obj": [
            {"class": 1, "type": 1, "mpls": [{"label": 24001, "exp": 0, "s": 1, "ttl": 1}]},
            {"class": 2, "type": 15}
        ]}),
        "{ctx}"
    );
    assert_eq!(ext(3), Value::Null, "{ctx}");
}

/// The entries each of the lab's three routers sends, as the table shows them (router 3:
/// `r3`, the address it names in its interface information).
fn entries(r3: &str) -> [String; 3] {
    [
        "[MPLS: L=100704 E=0 S=1 T=1]".into(),
        "[MPLS: L=416240 E=0 S=1 T=1]".into(),
        format!("[MPLS: L=24001 E=0 S=1 T=1] [in: xe-0/0/1 ifIndex 15 {r3} mtu 9000]"),
    ]
}

/// Rounds mode, issue 23: `trace -c 2` (and `--watch` into a pipe) carries what each
/// router sent, per hop, in every output: the summary JSON (each responder's latest
/// answer), the NDJSON round objects (each probe's), the CSV `extensions` cell, the
/// round lines and the summary table's extension lines.
#[test]
fn rounds_carry_what_each_router_sent_in_json_csv_and_rows() {
    let lab = lab!(three_layouts());
    let dest = lab.dest_v4().to_string();
    let hops: Vec<String> = (0..3).map(|i| lab.hop_v4(i + 1).to_string()).collect();
    let r3 = lab.hop_v4(3).to_string();
    let interface = json!([{
        "class": 2, "c_type": 15,
        "interface": {"role": "incoming", "if_index": 15, "address": r3,
                      "name": "xe-0/0/1", "mtu": 9000}
    }]);
    let want = [
        (label(100704), Value::Null),
        (label(416240), Value::Null),
        (label(24001), interface),
        (json!([]), Value::Null),
    ];
    // Two rounds 50 ms apart, with `extra` (the method among them).
    let rounds = ["-c", "2", "-i", "0.05", dest.as_str()];
    let run = |extra: &[&str]| {
        let args: Vec<&str> = ["trace", "-n"]
            .iter()
            .chain(extra)
            .chain(&rounds)
            .copied()
            .collect();
        let out = lab.netlab(&args);
        let ctx = context(&args, &out);
        assert_eq!(out.status.code(), Some(0), "{ctx}");
        (out, ctx)
    };

    // The summary: each hop's responder with its latest answer's extensions, for every
    // method (the other outputs below with ICMP probes).
    for method in ["-U", "-T", "-I"] {
        let (out, ctx) = run(&["--json", method]);
        let doc = json(&out);
        let summary = doc["hops"].as_array().unwrap();
        assert_eq!(summary.len(), 4, "{ctx}");
        for (hop, (mpls, extensions)) in summary.iter().zip(&want) {
            let responder = &hop["responders"][0];
            assert_eq!(&responder["mpls"], mpls, "hop {}\n{ctx}", hop["ttl"]);
            let ext = &responder["extensions"];
            assert_eq!(ext, extensions, "hop {}\n{ctx}", hop["ttl"]);
        }
    }

    // --watch into a pipe: every round's probes carry them too.
    let (out, ctx) = run(&["--watch", "--json", "-I"]);
    let text = stdout(&out);
    let objects: Vec<Value> = text
        .lines()
        .map(|l| serde_json::from_str(l).unwrap())
        .collect();
    let round_objects: Vec<&Value> = objects.iter().filter(|o| o["type"] == "round").collect();
    assert_eq!(round_objects.len(), 2, "{ctx}");
    for round in round_objects {
        for (hop, (mpls, extensions)) in round["hops"].as_array().unwrap().iter().zip(&want) {
            let probe = &hop["probes"][0];
            let mpls = if mpls == &json!([]) {
                &Value::Null
            } else {
                mpls
            };
            assert_eq!(&probe["mpls"], mpls, "hop {}\n{ctx}", hop["ttl"]);
            assert_eq!(
                &probe["extensions"], extensions,
                "hop {}\n{ctx}",
                hop["ttl"]
            );
        }
    }

    // CSV: the `extensions` cell, `address entries`.
    let (out, ctx) = run(&["--format", "csv", "-I"]);
    let mut reader = csv::Reader::from_reader(out.stdout.as_slice());
    let header = reader.headers().unwrap().clone();
    let column = header
        .iter()
        .position(|h| h == "extensions")
        .expect("an extensions column");
    let cells: Vec<String> = reader
        .records()
        .map(|r| r.unwrap()[column].to_string())
        .collect();
    let expected: Vec<String> = hops
        .iter()
        .zip(entries(&r3))
        .map(|(addr, entries)| format!("{addr} {entries}"))
        .chain([String::new()])
        .collect();
    assert_eq!(cells, expected, "{ctx}");

    // The round lines, and the summary table's lines (under the table, wrapped to 80).
    let (out, ctx) = run(&["--watch", "-I"]);
    let text = stdout(&out);
    println!("$ netlab trace -n --watch -I {}\n{text}", rounds.join(" "));
    let round_lines: Vec<&str> = text.lines().filter(|l| l.starts_with("round ")).collect();
    assert_eq!(round_lines.len(), 2, "{ctx}");
    for line in round_lines {
        for (i, (addr, entries)) in hops.iter().zip(entries(&r3)).enumerate() {
            let hop = format!("{} {addr} {entries} ", i + 1);
            assert!(line.contains(&hop), "{hop:?} in {line:?}\n{ctx}");
        }
    }
    // Markdown: the same lines on the page, under the summary table.
    let (md, md_ctx) = run(&["--format", "markdown", "-I"]);
    let page = stdout(&md).replace('\\', "");
    for entry in entries(&r3) {
        assert!(page.contains(&entry), "{entry}\n{md_ctx}");
    }
    let lines: Vec<&str> = text.lines().collect();
    let at = lines
        .iter()
        .position(|l| l.starts_with("extensions ("))
        .unwrap_or_else(|| panic!("no extension lines\n{ctx}"));
    let [e1, e2, e3] = entries(&r3);
    assert_eq!(
        lines[at + 1..at + 8],
        [
            format!("  hop 1 {}:", hops[0]),
            format!("    {e1}"),
            format!("  hop 2 {}:", hops[1]),
            format!("    {e2}"),
            format!("  hop 3 {}:", hops[2]),
            format!("    {e3}"),
            String::new(),
        ],
        "{ctx}"
    );
}
