//! `connect --syn` through a router that rate-limits SYNs (issue 22): a scan well above the
//! limit finds what a scan below it finds, the destination sees each port's SYN once (the
//! dropped ones never reach it), and the JSON says how far the rate came down.

use std::collections::BTreeMap;

use crate::lab::{lab, Lab, LabConfig, Role, ECHO_PORT, FILTERED_PORT, HTTP_PORT};
use crate::util::{json, stderr};

/// The SYNs a second the last router lets through to the destination (a bucket of 50).
const LIMIT: u32 = 500;
/// The ports scanned: 2000, 2 open, the filtered one, the rest closed.
const PORTS: &str = "1-2000";

fn limit_syns(lab: &Lab, dest: &str) {
    let limit = format!("{LIMIT}/second");
    let rules: [&[&str]; 2] = [
        &[
            "-m",
            "hashlimit",
            "--hashlimit-name",
            "syn",
            "--hashlimit-upto",
            &limit,
            "--hashlimit-burst",
            "50",
            "--hashlimit-mode",
            "dstip",
            "-j",
            "ACCEPT",
        ],
        &["-j", "DROP"],
    ];
    for rule in rules {
        let mut argv = vec![
            "iptables", "-A", "FORWARD", "-d", dest, "-p", "tcp", "--syn",
        ];
        argv.extend_from_slice(rule);
        let out = lab.exec(Role::Router(lab.routers()), &argv);
        assert!(out.status.success(), "{argv:?}: {out:?}");
    }
}

/// (open ports, closed, filtered, unreachable), and the `syn_rate` object.
fn scan(
    lab: &Lab,
    dest: &str,
    rate: u32,
) -> ((serde_json::Value, u64, u64, u64), serde_json::Value) {
    let rate = rate.to_string();
    let args = [
        "connect", "--syn", "--json", "-w", "500ms", "--rate", &rate, dest, "-p", PORTS,
    ];
    let out = lab.netlab(&args);
    assert_eq!(out.status.code(), Some(0), "{args:?}: {}", stderr(&out));
    let doc = json(&out);
    let s = &doc["scans"][0];
    let count = |k: &str| s[k].as_u64().unwrap();
    (
        (
            s["open"].clone(),
            count("closed"),
            count("filtered"),
            count("unreachable"),
        ),
        doc["syn_rate"].clone(),
    )
}

#[test]
fn a_syn_scan_through_a_rate_limiting_router_finds_every_port_and_says_so() {
    let lab = lab!(LabConfig::default());
    let dest = lab.dest_v4().to_string();
    limit_syns(&lab, &dest);

    // Below the limit: nothing lost, the rate never lowered.
    let (slow, slow_rate) = scan(&lab, &dest, LIMIT * 4 / 5);
    let want = (serde_json::json!([ECHO_PORT, HTTP_PORT]), 1997, 1, 0);
    assert_eq!(slow, want, "{slow_rate}");
    assert_eq!(slow_rate["cuts"], 0, "{slow_rate}");
    assert_eq!(slow_rate["max_pps"], LIMIT * 4 / 5);

    // Ten times the limit: the same ports, the rate lowered to near the limit. The
    // destination's witness: every port's SYN arrives once (the router dropped the
    // others); the filtered port's tries at most 4 times.
    let witness = lab.capture(
        Role::Dest,
        &format!("dst host {dest} and tcp[tcpflags] & (tcp-syn|tcp-ack) == tcp-syn"),
    );
    let (fast, fast_rate) = scan(&lab, &dest, LIMIT * 10);
    let (_, seen) = witness.stop();
    assert_eq!(fast, want, "{fast_rate}");
    let cuts = fast_rate["cuts"].as_u64().unwrap();
    let lowest = fast_rate["lowest_pps"].as_u64().unwrap();
    assert!(cuts >= 1 && lowest <= u64::from(LIMIT), "{fast_rate}");
    assert_eq!(fast_rate["max_pps"], LIMIT * 10);

    let mut count: BTreeMap<u16, usize> = BTreeMap::new();
    for line in seen.lines() {
        // "... IP 198.18.0.1.40000 > 198.18.2.2.82: Flags [S], ..."
        let Some(port) = line
            .split(" > ")
            .nth(1)
            .and_then(|r| r.split(':').next())
            .and_then(|d| d.rsplit_once('.'))
            .and_then(|(_, p)| p.parse().ok())
        else {
            continue;
        };
        *count.entry(port).or_default() += 1;
    }
    // The table says so too, under the summary.
    let rate = (LIMIT * 10).to_string();
    let args = [
        "connect", "--syn", "-w", "500ms", "--rate", &rate, &dest, "-p", PORTS,
    ];
    let out = lab.netlab(&args);
    assert_eq!(out.status.code(), Some(0), "{}", stderr(&out));
    let text = crate::util::stdout(&out);
    let line = text
        .lines()
        .find(|l| l.starts_with("losses lowered the SYN rate"))
        .unwrap_or_else(|| panic!("no line on the rate: {text}"));
    assert!(
        line.contains(&format!("from {rate}/s to ")) && line.ends_with("a rate limit on the way"),
        "{line}"
    );

    let filtered = count.remove(&FILTERED_PORT).unwrap_or(0);
    assert!(filtered <= 4, "{filtered}");
    assert_eq!(count.len(), 1999, "every answered port arrived");
    let twice: Vec<(&u16, &usize)> = count.iter().filter(|(_, n)| **n != 1).collect();
    assert!(
        twice.is_empty(),
        "answered ports that arrived twice: {twice:?}"
    );
}
