//! `netlab trace -c N`, `--watch` and `--flows` in the namespace lab: every method and
//! both families, unprivileged; forwarding loss told apart from a router dropping its own
//! replies; a path change seen as an event while streaming; SIGINT/SIGTERM ending a
//! watch with its summary; flows through a diamond of two equal-cost links.
//!
//! Randomness: loss comes from `iptables -m statistic`; assertions use enough rounds and
//! margins of four standard errors or more, or `--mode nth` where a figure must be exact.

use std::time::Duration;

use serde_json::Value;

use crate::hardening::vm_rss_kib;
use crate::lab::impair::{diamond_v4, Impairment};
use crate::lab::{lab, Lab, LabConfig, Role, NOBODY};
use crate::util::running::Running;
use crate::util::{json, stderr, stdout};

fn hop(doc: &Value, ttl: u64) -> &Value {
    doc["hops"]
        .as_array()
        .expect("hops")
        .iter()
        .find(|h| h["ttl"] == ttl)
        .unwrap_or_else(|| panic!("no hop {ttl} in {doc:#}"))
}

fn f(v: &Value) -> f64 {
    v.as_f64().unwrap_or_else(|| panic!("not a number: {v}"))
}

#[test]
fn rounds_count_every_hop_with_every_method_and_family() {
    let lab = lab!(LabConfig::default().routers(2));
    for v6 in [false, true] {
        let dest = if v6 {
            lab.dest_v6().to_string()
        } else {
            lab.dest_v4().to_string()
        };
        for method in [None, Some("-I"), Some("-T")] {
            let mut args = vec!["trace", "-n", "-c", "4", "-i", "0.05", "--json"];
            args.extend(method);
            args.push(&dest);
            let out = lab.netlab(&args);
            assert_eq!(out.status.code(), Some(0), "{args:?}: {}", stderr(&out));
            let doc = json(&out);
            assert_eq!(doc["rounds"], 4, "{args:?}");
            assert_eq!(doc["reached_rounds"], 4, "{args:?}");
            assert_eq!(doc["destination_ttl"], 3, "{args:?}");
            assert_eq!(doc["hops"].as_array().unwrap().len(), 3, "{doc:#}");
            for ttl in 1..=3 {
                let h = hop(&doc, ttl);
                assert_eq!(
                    (h["sent"].as_u64(), h["received"].as_u64()),
                    (Some(4), Some(4))
                );
                assert_eq!(h["loss_kind"], "none");
                let expected = match (ttl, v6) {
                    (3, false) => dest.clone(),
                    (3, true) => dest.clone(),
                    (i, false) => lab.hop_v4(i as usize).to_string(),
                    (i, true) => lab.hop_v6(i as usize).to_string(),
                };
                assert_eq!(h["responders"][0]["address"], expected.as_str());
                assert_eq!(h["responders"][0]["share"], 1.0);
                assert!(f(&h["best_ms"]) <= f(&h["avg_ms"]));
                assert!(f(&h["avg_ms"]) <= f(&h["worst_ms"]));
            }
        }
    }
}

#[test]
fn rounds_work_unprivileged_with_udp() {
    let lab = lab!(LabConfig::default().routers(1));
    let dest = lab.dest_v4().to_string();
    let out = lab.netlab_as(NOBODY, &["trace", "-n", "-c", "3", "-i", "0.2", &dest]);
    assert_eq!(out.status.code(), Some(0), "{}", stderr(&out));
    let text = stdout(&out);
    assert!(
        text.contains(&format!("reached {dest} at hop 2 in 3 of 3 rounds")),
        "{text}"
    );
    assert!(text.contains("loss: none in forwarding"), "{text}");
}

#[test]
fn forwarding_loss_is_located_and_a_routers_own_reply_loss_is_told_apart() {
    // Router 2 drops 20% of what it forwards, each way: 36% of the probes to hop 3 and
    // beyond. Router 3 also drops half of its own time-exceeded.
    let lab = lab!(LabConfig::default()
        .routers(4)
        .impair(Impairment::ForwardingLoss {
            router: 2,
            probability: 0.2
        })
        .impair(Impairment::ReplyLoss {
            router: 3,
            probability: 0.5
        }));
    let dest = lab.dest_v4().to_string();
    let args = ["trace", "-n", "-c", "150", "-i", "0.01", "--json", &dest];
    let out = lab.netlab(&args);
    let doc = json(&out);
    let ctx = format!("{doc:#}");
    for ttl in 1..=2 {
        assert_eq!(hop(&doc, ttl)["loss_kind"], "none", "hop {ttl}: {ctx}");
        assert_eq!(hop(&doc, ttl)["loss_percent"], 0.0, "hop {ttl}");
    }
    // Four standard errors of a 36% estimate over 150 probes are 15.7 points.
    for ttl in [4, 5] {
        let h = hop(&doc, ttl);
        assert_eq!(h["loss_kind"], "forwarding", "hop {ttl}: {ctx}");
        assert!(
            (f(&h["loss_percent"]) - 36.0).abs() <= 16.0,
            "hop {ttl}: {ctx}"
        );
    }
    let h3 = hop(&doc, 3);
    assert_eq!(h3["loss_kind"], "both", "{ctx}");
    assert!(
        (f(&h3["forwarding_loss_percent"]) - 36.0).abs() <= 16.0,
        "{ctx}"
    );
    // 1 - 0.64 × 0.5 = 68% in all.
    assert!((f(&h3["loss_percent"]) - 68.0).abs() <= 16.0, "{ctx}");
    assert!(f(&h3["replies_only_loss_percent"]) >= 15.0, "{ctx}");
    assert_eq!(doc["loss_begins_at"], 3, "{ctx}");
}

#[test]
fn a_router_dropping_exactly_half_its_replies_is_replies_only() {
    let lab = lab!(LabConfig::default()
        .routers(3)
        .impair(Impairment::ReplyDropEvery {
            router: 2,
            every: 2
        }));
    for (v6, dest) in [
        (false, lab.dest_v4().to_string()),
        (true, lab.dest_v6().to_string()),
    ] {
        let out = lab.netlab(&["trace", "-n", "-c", "40", "-i", "0.01", "--json", &dest]);
        let doc = json(&out);
        let h2 = hop(&doc, 2);
        assert_eq!(h2["received"], 20, "v6 {v6}: {doc:#}");
        assert_eq!(h2["loss_kind"], "replies_only", "v6 {v6}: {doc:#}");
        assert_eq!(h2["replies_only_loss_percent"], 50.0);
        assert!(h2["explanation"]
            .as_str()
            .unwrap()
            .contains("traffic through it is not affected"));
        for ttl in [1, 3, 4] {
            assert_eq!(hop(&doc, ttl)["loss_kind"], "none", "hop {ttl}");
        }
        assert_eq!(doc["loss_begins_at"], Value::Null);
        // The table says the same for people.
        let out = lab.netlab(&["trace", "-n", "-c", "10", "-i", "0.01", &dest]);
        let text = stdout(&out);
        assert!(
            text.contains("  hop 2: replies_only: 50% of this router's replies missing"),
            "{text}"
        );
    }
}

/// A running `netlab ARGS` in the client namespace, its stdout lines read as they come
/// (each within 20 s: a round of a slow path takes a while).
fn streaming(lab: &Lab, args: &[&str]) -> Running {
    Running::spawn("netlab", lab.netlab_command(args)).patience(Duration::from_secs(20))
}

/// Sends `signal`; returns the rest of stdout and the exit code.
fn stop(watch: Running, signal: libc::c_int) -> (Vec<String>, Option<i32>) {
    // `ip netns exec` execs netlab in place: the child's pid is netlab's.
    watch.signal(signal);
    let (status, rest, _) = watch.wait();
    (rest, status.code())
}

#[test]
fn watch_streams_ndjson_sees_a_path_change_and_ends_on_sigterm_with_the_summary() {
    let lab = lab!(LabConfig::default()
        .routers(3)
        .impair(Impairment::Diamond { router: 2 }));
    let r1 = lab.ns(Role::Router(1)).to_string();
    let via = |next: String, dev: &str| {
        let out = lab.exec(
            Role::Router(1),
            &[
                "ip", "route", "replace", "default", "via", &next, "dev", dev,
            ],
        );
        assert!(out.status.success(), "{r1}: {out:?}");
    };
    // One path first: through the main link.
    via(lab.hop_v4(2).to_string(), "east");
    let dest = lab.dest_v4().to_string();
    let mut watch = streaming(
        &lab,
        &["trace", "-n", "--watch", "-i", "0.05", "--json", &dest],
    );
    let mut seen = 0;
    while seen < 5 {
        let line: Value = serde_json::from_str(&watch.next_stdout()).expect("NDJSON");
        assert_eq!(line["type"], "round", "{line}");
        seen += 1;
    }
    // The path changes: router 2 is now reached over the diamond's second link.
    let (other, _) = diamond_v4(2);
    via(other.to_string(), "east2");
    let event = loop {
        let line: Value = serde_json::from_str(&watch.next_stdout()).expect("NDJSON");
        assert_eq!(line["type"], "round", "{line}");
        if let Some(e) = line["events"].as_array().and_then(|e| e.first()) {
            break e.clone();
        }
        seen += 1;
        assert!(seen < 200, "no path event after the change");
    };
    assert_eq!(event["kind"], "new_responder", "{event}");
    assert_eq!(event["ttl"], 2);
    assert_eq!(event["address"], other.to_string().as_str());
    assert_eq!(event["previous"], lab.hop_v4(2).to_string().as_str());
    assert!(f(&event["at_s"]) > 0.0);
    let (rest, code) = stop(watch, libc::SIGTERM);
    assert_eq!(code, Some(0), "{rest:?}");
    let last: Value = serde_json::from_str(rest.last().expect("a summary")).expect("NDJSON");
    assert_eq!(last["type"], "summary");
    assert!(last["events_total"].as_u64().unwrap() >= 1);
    let h2 = hop(&last, 2);
    assert_eq!(h2["responders"].as_array().unwrap().len(), 2, "{h2}");
}

#[test]
fn watch_lines_without_a_terminal_end_on_sigint_with_the_table() {
    let lab = lab!(LabConfig::default().routers(1));
    let dest = lab.dest_v4().to_string();
    let mut watch = streaming(&lab, &["trace", "-n", "--watch", "-i", "0.05", &dest]);
    assert!(watch.next_stdout().starts_with(&format!("trace to {dest}")));
    for n in 1..=3 {
        let line = watch.next_stdout();
        assert!(line.starts_with(&format!("round {n} +")), "{line}");
        assert!(line.contains("reached at hop 2"), "{line}");
    }
    let (rest, code) = stop(watch, libc::SIGINT);
    assert_eq!(code, Some(0), "{rest:?}");
    let text = rest.join("\n");
    assert!(text.contains(" hop  address"), "{text}");
    assert!(
        text.contains(&format!("reached {dest} at hop 2 in")),
        "{text}"
    );
}

#[test]
fn flows_through_a_diamond_show_where_the_paths_split_and_merge() {
    let lab = lab!(LabConfig::default()
        .routers(3)
        .impair(Impairment::Diamond { router: 2 }));
    let dest = lab.dest_v4().to_string();
    // 16 flows hashed over two links: all on one link has probability 2^-15.
    let out = lab.netlab(&[
        "trace", "-n", "-c", "3", "-i", "0.05", "--flows", "16", "--json", &dest,
    ]);
    assert_eq!(out.status.code(), Some(0), "{}", stderr(&out));
    let doc = json(&out);
    let m = &doc["multipath"];
    assert_eq!(m["splits"], serde_json::json!([2]), "{m:#}");
    assert_eq!(m["merges"], serde_json::json!([3]), "{m:#}");
    let hop2 = m["hops"]
        .as_array()
        .unwrap()
        .iter()
        .find(|h| h["ttl"] == 2)
        .unwrap();
    let mut routers: Vec<String> = hop2["routers"]
        .as_array()
        .unwrap()
        .iter()
        .map(|r| r["address"].as_str().unwrap().to_string())
        .collect();
    routers.sort();
    let mut expected = vec![lab.hop_v4(2).to_string(), diamond_v4(2).0.to_string()];
    expected.sort();
    assert_eq!(routers, expected);
    let flows: usize = hop2["routers"]
        .as_array()
        .unwrap()
        .iter()
        .map(|r| r["flows"].as_array().unwrap().len())
        .sum();
    assert_eq!(flows, 16);
    assert_eq!(doc["flows"].as_array().unwrap().len(), 16);
    // Each flow is stable: one responder per hop within a flow.
    for flow in doc["flows"].as_array().unwrap() {
        let h = hop(flow, 2);
        assert_eq!(h["responders"].as_array().unwrap().len(), 1, "{flow:#}");
    }
    let out = lab.netlab(&[
        "trace", "-n", "-c", "2", "-i", "0.05", "--flows", "16", &dest,
    ]);
    assert!(
        stdout(&out).contains("split at hop 2, merge at hop 3"),
        "{}",
        stdout(&out)
    );
}

/// Prints the README's example output (not a check):
/// `cargo test --test it trace_watch::readme_example -- --ignored --nocapture`.
#[test]
#[ignore]
fn readme_example() {
    let lab = lab!(LabConfig::default()
        .routers(4)
        .link_delay(Duration::from_millis(1))
        .impair(Impairment::ForwardingLoss {
            router: 2,
            probability: 0.1
        })
        .impair(Impairment::ReplyLoss {
            router: 3,
            probability: 0.5
        }));
    for args in [
        vec!["trace", "-4", "-c", "50", "-i", "0.05", "www"],
        vec![
            "trace", "-4", "-n", "--watch", "-c", "3", "-i", "0.2", "www",
        ],
        vec![
            "trace",
            "-4",
            "-n",
            "-c",
            "20",
            "-i",
            "0.05",
            "-o",
            "loss,sent,recv,avg,p95,jint,kind",
            "www",
        ],
    ] {
        let out = lab.netlab(&args);
        println!(
            "$ netlab {}\n{}{}(exit {:?})\n",
            args[1..].join(" "),
            stdout(&out),
            stderr(&out),
            out.status.code()
        );
    }
}

/// Thousands of rounds keep a flat memory: once every hop's history ring is full (512
/// probes), the resident set grows by less than 1 MiB over 6,000 more rounds. Progress is
/// counted in NDJSON lines, not seconds.
#[test]
fn thousands_of_rounds_keep_flat_memory() {
    const BOUND_KIB: u64 = 1024;
    let lab = lab!(LabConfig::default().routers(2));
    let dest = lab.dest_v4().to_string();
    let mut watch = streaming(
        &lab,
        &["trace", "-n", "--watch", "-i", "0.002", "--json", &dest],
    );
    let pid = watch.id();
    let mut rounds = 0u64;
    let mut rss = Vec::new();
    while rounds < 7_000 {
        let line = watch.next_stdout();
        assert!(line.starts_with("{\"type\":\"round\""), "{line}");
        rounds += 1;
        if rounds == 1_000 || rounds == 7_000 {
            rss.push(vm_rss_kib(pid).expect("netlab is running"));
        }
    }
    let (rest, code) = stop(watch, libc::SIGINT);
    assert_eq!(code, Some(0));
    let summary: Value = serde_json::from_str(rest.last().unwrap()).unwrap();
    assert!(summary["rounds"].as_u64().unwrap() >= 7_000);
    assert_eq!(hop(&summary, 3)["loss_kind"], "none");
    assert!(
        rss[1].abs_diff(rss[0]) < BOUND_KIB,
        "VmRSS {} KiB at round 1000, {} KiB at round 7000",
        rss[0],
        rss[1]
    );
    eprintln!("watch VmRSS: {rss:?} KiB at rounds 1000, 7000");
}

/// The summary and its hops have exactly the documented fields, and the CSV header is
/// the README's column list (on loopback: no lab needed).
#[test]
fn the_summary_and_csv_have_exactly_the_documented_fields() {
    use crate::util::netlab;
    let out = netlab(&[
        "trace",
        "-n",
        "-c",
        "2",
        "-i",
        "0.05",
        "--json",
        "127.0.0.1",
    ]);
    assert_eq!(out.status.code(), Some(0), "{}", stderr(&out));
    let doc = json(&out);
    let keys = |v: &Value| -> Vec<String> { v.as_object().unwrap().keys().cloned().collect() };
    let mut top = keys(&doc);
    top.sort();
    let mut expected: Vec<&str> = vec![
        "type",
        "target",
        "address",
        "method",
        "port",
        "first_ttl",
        "max_hops",
        "queries",
        "interval_s",
        "elapsed_s",
        "flow",
        "rounds",
        "reached_rounds",
        "destination_ttl",
        "loss_begins_at",
        "hops",
        "events_total",
        "events",
        "flows",
        "multipath",
    ];
    expected.sort();
    assert_eq!(top, expected);
    let mut hop_keys = keys(hop(&doc, 1));
    hop_keys.sort();
    let mut expected: Vec<&str> = CSV_HOP_FIELDS.to_vec();
    // `extensions` is each responder's in JSON, one cell for the hop's in CSV.
    expected.retain(|k| !["rounds", "flow", "address", "name", "extensions"].contains(k));
    expected.sort();
    assert_eq!(hop_keys, expected);
    let readme =
        std::fs::read_to_string(concat!(env!("CARGO_MANIFEST_DIR"), "/README.md")).unwrap();
    let out = netlab(&["trace", "-n", "-c", "1", "--format", "csv", "127.0.0.1"]);
    let header = stdout(&out).lines().next().unwrap_or_default().to_string();
    assert_eq!(header, CSV_HOP_FIELDS.join(","));
    assert!(
        readme.contains(&format!("`{header}`")),
        "README lacks the CSV header {header}"
    );
}

/// The CSV columns, `responders` in place of JSON's list.
const CSV_HOP_FIELDS: &[&str] = &[
    "rounds",
    "flow",
    "ttl",
    "address",
    "name",
    "responders",
    "sent",
    "received",
    "loss_percent",
    "last_ms",
    "avg_ms",
    "best_ms",
    "worst_ms",
    "stdev_ms",
    "jitter_ms",
    "jitter_mean_ms",
    "jitter_max_ms",
    "jitter_interarrival_ms",
    "p50_ms",
    "p90_ms",
    "p95_ms",
    "p99_ms",
    "loss_kind",
    "forwarding_loss_percent",
    "replies_only_loss_percent",
    "explanation",
    "extensions",
];
