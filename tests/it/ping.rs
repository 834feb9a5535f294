//! `netlab ping`: bad input (no network needed), then end-to-end runs in the namespace
//! lab: exact addresses, counts and exit codes, privileged and unprivileged, IPv4 and
//! IPv6, ICMP errors, many targets, and no cross-talk between concurrent pingers.

use std::net::IpAddr;
use std::process::{Command, Output};
use std::time::Duration;

use serde_json::Value;

use crate::lab::{lab, run_bounded, Lab, LabConfig, Role, NOBODY};
use crate::util::{
    assert_each_refused, assert_no_capabilities, assert_one_line_error, json, netlab, s, stderr,
    stdout, NETLAB,
};

// ----- bad input: every case exits 2 with one line, before any packet is sent -----

#[test]
fn bad_input_exits_2_with_one_line() {
    let missing = "/nonexistent/netlab-targets.txt";
    let cases: &[(&[&str], &str)] = &[
        (&["ping"], "no targets"),
        (&["ping", "-c", "0", "127.0.0.1"], "count 0"),
        (&["ping", "-c", "-3", "127.0.0.1"], "count -3"),
        (&["ping", "-c", "many", "127.0.0.1"], "invalid value"),
        (&["ping", "-i", "-1", "127.0.0.1"], "negative"),
        (&["ping", "-i", "soon", "127.0.0.1"], "soon"),
        (&["ping", "-i", "0", "127.0.0.1"], "interval"),
        (&["ping", "-W", "0", "127.0.0.1"], "timeout"),
        (&["ping", "-W", "-2", "127.0.0.1"], "negative"),
        (&["ping", "-w", "0", "127.0.0.1"], "deadline"),
        (&["ping", "-s", "65508", "127.0.0.1"], "65507"),
        (&["ping", "-s", "-1", "127.0.0.1"], "65507"),
        (&["ping", "-t", "0", "127.0.0.1"], "TTL 0"),
        (&["ping", "-t", "256", "127.0.0.1"], "TTL 256"),
        (&["ping", "127.0.0.1:80"], "not host:port"),
        (&["ping", "[::1]:80"], "not host:port"),
        (&["ping", "bad!name"], "host name"),
        (&["ping", "1.2.3.999"], "neither"),
        (&["ping", "-4", "::1"], "IPv6 address"),
        (&["ping", "-6", "127.0.0.1"], "IPv4 address"),
        (&["ping", "-4", "-6", "127.0.0.1"], "cannot be used"),
        (&["ping", "fe80::1%nosuchif0"], "no network interface"),
        (&["ping", "--file", missing], missing),
        (&["ping", "--bogus", "127.0.0.1"], "--bogus"),
    ];
    assert_each_refused(cases);
}

#[test]
fn an_empty_target_file_is_an_error() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("targets");
    std::fs::write(&path, "# nothing but a comment\n\n").unwrap();
    let out = netlab(&["ping", "--file", path.to_str().unwrap()]);
    assert_one_line_error(&out, "empty --file");
    assert!(stderr(&out).contains("no targets"), "{}", stderr(&out));
}

/// Runs netlab as an unprivileged user on this host (no network is touched: the run is
/// refused before any socket opens).
fn netlab_unprivileged(args: &[&str]) -> Option<Output> {
    // SAFETY: geteuid has no preconditions.
    if unsafe { libc::geteuid() } != 0 {
        let out = Command::new(NETLAB)
            .args(args)
            .output()
            .expect("run netlab");
        return Some(out);
    }
    let mut cmd = Command::new("setpriv");
    cmd.args([
        "--reuid=65534",
        "--regid=65534",
        "--clear-groups",
        "--inh-caps=-all",
        "--",
        NETLAB,
    ])
    .args(args);
    Some(run_bounded(&mut cmd, Duration::from_secs(30)).expect("setpriv netlab"))
}

#[test]
fn an_interval_below_2ms_needs_cap_net_raw() {
    let Some(out) = netlab_unprivileged(&["ping", "-c", "1", "-i", "0.001", "127.0.0.1"]) else {
        return;
    };
    assert_one_line_error(&out, "-i 0.001 unprivileged");
    assert!(stderr(&out).contains("2ms minimum"), "{}", stderr(&out));
    assert!(stderr(&out).contains("CAP_NET_RAW"), "{}", stderr(&out));
}

// ----- helpers for lab runs -----

fn replies(doc: &Value) -> &Vec<Value> {
    doc["replies"].as_array().expect("replies array")
}

fn errors(doc: &Value) -> &Vec<Value> {
    doc["errors"].as_array().expect("errors array")
}

fn summary(doc: &Value) -> &Vec<Value> {
    doc["summary"].as_array().expect("summary array")
}

/// Asserts a clean run: `count` replies from `from`, seq 1..=count, no duplicates or
/// late replies, and a matching summary.
fn assert_all_replied(doc: &Value, target: &str, from: IpAddr, count: u64, ttl: u64) {
    let mine: Vec<&Value> = replies(doc)
        .iter()
        .filter(|r| r["target"] == target)
        .collect();
    let mut seqs: Vec<u64> = mine.iter().map(|r| r["seq"].as_u64().unwrap()).collect();
    seqs.sort_unstable();
    assert_eq!(seqs, (1..=count).collect::<Vec<_>>(), "{doc:#}");
    for r in &mine {
        assert_eq!(r["from"], s(from), "{doc:#}");
        assert_eq!(r["ttl"], ttl, "{doc:#}");
        assert_eq!(r["bytes"], 64, "{doc:#}");
        assert_eq!(r["duplicate"], false, "{doc:#}");
        assert_eq!(r["late"], false, "{doc:#}");
        assert!(r["rtt_ms"].as_f64().unwrap() >= 0.0, "{doc:#}");
    }
    let sum = summary(doc)
        .iter()
        .find(|x| x["target"] == target)
        .unwrap_or_else(|| panic!("no summary for {target}: {doc:#}"));
    assert_eq!(sum["transmitted"], count, "{doc:#}");
    assert_eq!(sum["received"], count, "{doc:#}");
    assert_eq!(sum["duplicates"], 0, "{doc:#}");
    assert_eq!(sum["errors"], 0, "{doc:#}");
    assert_eq!(sum["loss_percent"], 0.0, "{doc:#}");
}

// ----- the lab -----

#[test]
fn ipv4_and_ipv6_replies_come_from_the_destination() {
    let lab = lab!(LabConfig::default());
    for dest in [IpAddr::from(lab.dest_v4()), lab.dest_v6().into()] {
        let out = lab.netlab(&["ping", "-n", "-c", "3", "-i", "0.05", "--json", &s(dest)]);
        assert_eq!(out.status.code(), Some(0), "{}", stderr(&out));
        let doc = json(&out);
        // Two routers between client and destination: TTL 64 arrives as 62.
        assert_all_replied(&doc, &s(dest), dest, 3, 62);
        assert_eq!(summary(&doc).len(), 1);
        assert_eq!(summary(&doc)[0]["address"], s(dest));
        assert!(errors(&doc).is_empty(), "{doc:#}");
    }
}

#[test]
fn live_rows_and_summary_for_people() {
    let lab = lab!(LabConfig::default());
    let dest = s(lab.dest_v4());
    let out = lab.netlab(&["ping", "-n", "-c", "2", "-i", "0.05", &dest]);
    assert_eq!(out.status.code(), Some(0), "{}", stderr(&out));
    let text = stdout(&out);
    let lines: Vec<&str> = text.lines().collect();
    assert!(
        lines[0].contains("seq") && lines[0].contains("from"),
        "{text}"
    );
    for (i, seq) in ["1", "2"].iter().enumerate() {
        let cells: Vec<&str> = lines[1 + i].split_whitespace().collect();
        assert_eq!(&cells[..4], &[*seq, dest.as_str(), "64", "62"], "{text}");
        assert_eq!(cells[5], "ms", "{text}");
    }
    // Rows line up under their header.
    let col = lines[0].find("from").unwrap();
    assert_eq!(lines[1].find(&dest), Some(col), "{text}");
    let summary_row = lines
        .iter()
        .find(|l| l.split_whitespace().next() == Some(&dest))
        .expect("summary row");
    let cells: Vec<&str> = summary_row.split_whitespace().collect();
    assert_eq!(
        &cells[..8],
        &[dest.as_str(), &dest, "2", "2", "0", "0", "0", "0%"]
    );
    assert!(stderr(&out).is_empty(), "{}", stderr(&out));
}

#[test]
fn reverse_names_come_from_the_lab_dns() {
    let lab = lab!(LabConfig::default());
    // Router 2 has only its DNS PTR record; the destination's address is also in the
    // client's hosts file, which the system resolver reads first.
    let r2 = s(lab.router_v4(2));
    let out = lab.netlab(&["ping", "-4", "-c", "1", "--json", &r2, "r2", "dest"]);
    assert_eq!(out.status.code(), Some(0), "{}", stderr(&out));
    let doc = json(&out);
    let targets: Vec<&str> = summary(&doc)
        .iter()
        .map(|r| r["target"].as_str().unwrap())
        .collect();
    assert_eq!(targets, vec![r2.as_str(), "r2", "dest"]);
    assert_eq!(summary(&doc)[2]["address"], s(lab.dest_v4()));
    let name_of = |target: &str| {
        replies(&doc)
            .iter()
            .find(|r| r["target"] == target)
            .map(|r| r["name"].clone())
            .unwrap()
    };
    assert_eq!(name_of(&r2), "r2.netlab.test", "{doc:#}");
    assert_eq!(name_of("dest"), "hostsonly.netlab.test", "{doc:#}");
    // -n: no names at all.
    let out = lab.netlab(&["ping", "-n", "-4", "-c", "1", "--json", "dest"]);
    assert_eq!(replies(&json(&out))[0]["name"], Value::Null);
    // Rows show the name beside the address.
    let out = lab.netlab(&["ping", "-6", "-c", "1", "r2"]);
    assert_eq!(out.status.code(), Some(0), "{}", stderr(&out));
    assert!(
        stdout(&out).contains(&format!("{} (r2.netlab.test)", lab.router_v6(2))),
        "{}",
        stdout(&out)
    );
}

#[test]
fn an_unresolvable_name_exits_2() {
    let lab = lab!(LabConfig::default());
    let out = lab.netlab(&["ping", "-c", "1", "nosuchhost.netlab.test"]);
    assert_one_line_error(&out, "unresolvable name");
    assert!(
        stderr(&out).contains("nosuchhost.netlab.test"),
        "{}",
        stderr(&out)
    );
}

#[test]
fn a_destination_that_drops_echo_means_total_loss_and_exit_1() {
    let lab = lab!(LabConfig::default());
    for rule in [
        "iptables -A INPUT -p icmp --icmp-type echo-request -j DROP",
        "ip6tables -A INPUT -p icmpv6 --icmpv6-type echo-request -j DROP",
    ] {
        let argv: Vec<&str> = rule.split_whitespace().collect();
        let out = lab.exec(Role::Dest, &argv);
        assert!(out.status.success(), "{rule}: {out:?}");
    }
    for dest in [s(lab.dest_v4()), s(lab.dest_v6())] {
        let out = lab.netlab(&[
            "ping", "-c", "3", "-i", "0.05", "-W", "0.3", "--json", &dest,
        ]);
        assert_eq!(out.status.code(), Some(1), "{}", stderr(&out));
        let doc = json(&out);
        assert!(replies(&doc).is_empty(), "{doc:#}");
        assert!(errors(&doc).is_empty(), "{doc:#}");
        let sum = &summary(&doc)[0];
        assert_eq!(sum["transmitted"], 3);
        assert_eq!(sum["received"], 0);
        assert_eq!(sum["loss_percent"], 100.0);
        assert_eq!(sum["min_ms"], Value::Null);
        assert_eq!(sum["avg_ms"], Value::Null);
    }
    // The table says so too, with a timeout row per probe.
    let dest = s(lab.dest_v4());
    let out = lab.netlab(&["ping", "-n", "-c", "2", "-i", "0.05", "-W", "0.2", &dest]);
    assert_eq!(out.status.code(), Some(1));
    let text = stdout(&out);
    assert_eq!(text.matches("no reply within 200ms").count(), 2, "{text}");
    assert!(text.contains("100%"), "{text}");
}

#[test]
fn replies_after_the_timeout_are_late_not_received() {
    // 3 links each way with 25 ms one-way delay: an RTT of at least 150 ms.
    let lab = lab!(LabConfig::default().link_delay(Duration::from_millis(25)));
    let dest = s(lab.dest_v4());
    let out = lab.netlab(&[
        "ping", "-n", "-c", "2", "-i", "0.1", "-W", "0.02", "-w", "1", "--json", &dest,
    ]);
    // -w with -c waits for COUNT replies until the deadline; none comes in time.
    assert_eq!(out.status.code(), Some(1), "{}", stderr(&out));
    let doc = json(&out);
    let sum = &summary(&doc)[0];
    assert_eq!(sum["received"], 0, "{doc:#}");
    assert!(sum["late"].as_u64().unwrap() >= 2, "{doc:#}");
    assert_eq!(sum["loss_percent"], 100.0, "{doc:#}");
    let late: Vec<&Value> = replies(&doc).iter().filter(|r| r["late"] == true).collect();
    assert_eq!(late.len() as u64, sum["late"].as_u64().unwrap(), "{doc:#}");
    for r in late {
        assert_eq!(r["from"], dest);
        assert!(r["rtt_ms"].as_f64().unwrap() >= 150.0, "{doc:#}");
    }
    // Without a deadline the run ends once the last probe timed out: no late rows then,
    // but the table marks them when they do arrive in time to be seen.
    let out = lab.netlab(&["ping", "-n", "-c", "3", "-i", "0.2", "-W", "0.02", &dest]);
    assert_eq!(out.status.code(), Some(1), "{}", stderr(&out));
    let text = stdout(&out);
    assert_eq!(text.matches("no reply within 20ms").count(), 3, "{text}");
    assert!(text.contains("late (after timeout)"), "{text}");
}

/// Runs ping in the lab as root or, with `uid`, unprivileged.
fn ping_as(lab: &Lab, uid: Option<u32>, args: &[&str]) -> Output {
    let mut full = vec!["ping"];
    full.extend_from_slice(args);
    lab.netlab_maybe_as(uid, &full)
}

fn assert_errors(doc: &Value, count: usize, from: IpAddr, kind: &str) {
    let errs = errors(doc);
    assert_eq!(errs.len(), count, "{kind} from {from}: {doc:#}");
    for (i, e) in errs.iter().enumerate() {
        assert_eq!(e["from"], s(from), "{doc:#}");
        assert_eq!(e["kind"], kind, "{doc:#}");
        assert_eq!(e["seq"], i as u64 + 1, "{doc:#}");
        assert!(!e["detail"].as_str().unwrap().is_empty());
    }
    let sum = &summary(doc)[0];
    assert_eq!(sum["errors"], count as u64, "{doc:#}");
    assert_eq!(sum["received"], 0, "{doc:#}");
    assert!(replies(doc).is_empty(), "{doc:#}");
}

/// ICMP errors, on raw sockets (root: parsed from the quoted packet).
#[test]
fn icmp_errors_name_the_router_on_raw_sockets() {
    let lab = lab!(LabConfig::default());
    icmp_errors_name_the_router(&lab, None);
}

/// ICMP errors on datagram sockets (unprivileged: read from the error queue).
#[test]
fn icmp_errors_name_the_router_on_datagram_sockets() {
    let lab = lab!(LabConfig::default());
    lab.sysctl(Role::Client, "net.ipv4.ping_group_range", "0 2147483647");
    icmp_errors_name_the_router(&lab, Some(NOBODY));
}

/// One lab per socket kind, each asking for a few errors of every kind (the lab's
/// reporter rejects with iptables and answers every probe; lab/topology.rs).
fn icmp_errors_name_the_router(lab: &Lab, uid: Option<u32>) {
    {
        let who = if uid.is_some() {
            "unprivileged"
        } else {
            "root"
        };
        // An unreachable network: the last router says so.
        let cases: [(IpAddr, IpAddr, &str); 4] = [
            (
                lab.unreachable_v4().into(),
                lab.unreachable_reporter_v4().into(),
                "host_unreachable",
            ),
            (
                lab.unreachable_v6().into(),
                lab.unreachable_reporter_v6().into(),
                "net_unreachable",
            ),
            (
                lab.prohibited_v4().into(),
                lab.unreachable_reporter_v4().into(),
                "admin_prohibited",
            ),
            (
                lab.prohibited_v6().into(),
                lab.unreachable_reporter_v6().into(),
                "admin_prohibited",
            ),
        ];
        for (target, reporter, kind) in cases {
            let out = ping_as(
                lab,
                uid,
                &["-n", "-c", "2", "-i", "0.05", "--json", &s(target)],
            );
            assert_eq!(
                out.status.code(),
                Some(1),
                "{who} {target}: {}",
                stderr(&out)
            );
            assert_errors(&json(&out), 2, reporter, kind);
        }
        // -t 1: the first router's time exceeded.
        for (dest, router) in [
            (IpAddr::from(lab.dest_v4()), IpAddr::from(lab.router_v4(1))),
            (lab.dest_v6().into(), lab.router_v6(1).into()),
        ] {
            let out = ping_as(
                lab,
                uid,
                &["-n", "-t", "1", "-c", "2", "-i", "0.05", "--json", &s(dest)],
            );
            assert_eq!(
                out.status.code(),
                Some(1),
                "{who} -t 1 {dest}: {}",
                stderr(&out)
            );
            assert_errors(&json(&out), 2, router, "time_exceeded");
            // -t 2 reaches the second router; -t 3 the destination.
            let out = ping_as(lab, uid, &["-n", "-t", "2", "-c", "1", "--json", &s(dest)]);
            let doc = json(&out);
            assert_eq!(
                errors(&doc)[0]["from"],
                s(lab.addr(Role::Router(2), dest.is_ipv6()))
            );
            let out = ping_as(lab, uid, &["-n", "-t", "3", "-c", "1", "--json", &s(dest)]);
            assert_eq!(out.status.code(), Some(0), "{who}: {}", stderr(&out));
            assert_all_replied(&json(&out), &s(dest), dest, 1, 62);
        }
        // Error rows for people name the router.
        let out = ping_as(lab, uid, &["-n", "-t", "1", "-c", "1", &s(lab.dest_v4())]);
        let text = stdout(&out);
        let row = text.lines().nth(1).unwrap_or_default();
        assert!(row.contains(&s(lab.router_v4(1))), "{who}: {text}");
        assert!(row.contains("time to live exceeded"), "{who}: {text}");
    }
}

#[test]
fn unprivileged_ping_uses_datagram_sockets_when_the_sysctl_allows() {
    let lab = lab!(LabConfig::default());
    // The kernel default "1 0": no group may open ICMP datagram sockets.
    let out = lab.netlab_as(NOBODY, &["ping", "-c", "1", &s(lab.dest_v4())]);
    assert_one_line_error(&out, "unprivileged without ping_group_range");
    let err = stderr(&out);
    assert!(err.contains("CAP_NET_RAW"), "{err}");
    assert!(err.contains("\"1 0\""), "{err}");
    assert!(err.contains("setcap cap_net_raw+ep "), "{err}");
    assert!(
        err.contains("sysctl -w net.ipv4.ping_group_range=\"0 2147483647\""),
        "{err}"
    );
    lab.sysctl(Role::Client, "net.ipv4.ping_group_range", "0 2147483647");
    for dest in [IpAddr::from(lab.dest_v4()), lab.dest_v6().into()] {
        let out = lab.netlab_as(
            NOBODY,
            &["ping", "-n", "-c", "3", "-i", "0.05", "--json", &s(dest)],
        );
        assert_eq!(out.status.code(), Some(0), "{}", stderr(&out));
        assert_all_replied(&json(&out), &s(dest), dest, 3, 62);
    }
}

#[test]
fn concurrent_pingers_never_see_each_others_replies() {
    let lab = lab!(LabConfig::default());
    lab.sysctl(Role::Client, "net.ipv4.ping_group_range", "0 2147483647");
    let dest = s(lab.dest_v4());
    let dest6 = s(lab.dest_v6());
    let count = "20";
    let json_args = |d: &str| -> Vec<String> {
        ["ping", "-n", "-c", count, "-i", "0.01", "--json", d]
            .iter()
            .map(|x| x.to_string())
            .collect()
    };
    let mut runs: Vec<(String, Command)> = Vec::new();
    for (name, d) in [
        ("netlab#1", &dest),
        ("netlab#2", &dest),
        ("netlab#3 v6", &dest6),
    ] {
        let mut cmd = lab.netlab_command(&[]);
        cmd.args(json_args(d));
        runs.push((name.into(), cmd));
    }
    // An unprivileged netlab on a datagram socket, alongside the raw ones.
    let mut cmd = lab.command(Role::Client, "setpriv");
    cmd.args([
        "--reuid=65534",
        "--regid=65534",
        "--clear-groups",
        "--inh-caps=-all",
        "--",
    ])
    .arg(NETLAB)
    .args(json_args(&dest));
    runs.push(("netlab#4 unprivileged".into(), cmd));
    // iputils ping, flooding the same destination (as root: a raw socket too).
    let mut cmd = lab.command(Role::Client, "ping");
    cmd.args(["-n", "-q", "-c", "50", "-i", "0.005", &dest]);
    runs.push(("iputils".into(), cmd));

    let outputs: Vec<(String, Output)> = std::thread::scope(|scope| {
        let handles: Vec<_> = runs
            .into_iter()
            .map(|(name, mut cmd)| {
                scope.spawn(move || {
                    let out = run_bounded(&mut cmd, Duration::from_secs(30))
                        .unwrap_or_else(|e| panic!("{name}: {e}"));
                    (name, out)
                })
            })
            .collect();
        handles.into_iter().map(|h| h.join().unwrap()).collect()
    });
    for (name, out) in &outputs {
        if name == "iputils" {
            assert!(
                stdout(out).contains("50 packets transmitted, 50 received"),
                "iputils: {}",
                stdout(out)
            );
            continue;
        }
        assert_eq!(out.status.code(), Some(0), "{name}: {}", stderr(out));
        let doc = json(out);
        let target = doc["summary"][0]["target"].as_str().unwrap().to_string();
        let from: IpAddr = target.parse().unwrap();
        assert_eq!(replies(&doc).len(), 20, "{name}: {doc:#}");
        assert_all_replied(&doc, &target, from, 20, 62);
    }
}

#[test]
fn many_targets_in_one_run_get_a_summary_row_each() {
    let lab = lab!(LabConfig::default());
    let targets: Vec<String> = vec![
        s(lab.dest_v4()),
        s(lab.dest_v6()),
        s(lab.router_v4(1)),
        s(lab.router_v6(2)),
        s(lab.multi_v4()[0]),
        s(lab.unreachable_v4()),
    ];
    let mut args = vec!["ping", "-n", "-c", "2", "-i", "0.05", "-W", "0.5", "--json"];
    args.extend(targets.iter().map(String::as_str));
    let out = lab.netlab(&args);
    // One target never replied: exit 1.
    assert_eq!(out.status.code(), Some(1), "{}", stderr(&out));
    let doc = json(&out);
    let rows = summary(&doc);
    assert_eq!(rows.len(), targets.len());
    for (row, target) in rows.iter().zip(&targets) {
        assert_eq!(row["target"], *target);
        assert_eq!(row["address"], *target);
        assert_eq!(row["transmitted"], 2);
    }
    let ttls = [62, 62, 64, 63, 62];
    for (i, target) in targets[..5].iter().enumerate() {
        assert_all_replied(&doc, target, target.parse().unwrap(), 2, ttls[i]);
    }
    assert_eq!(rows[5]["received"], 0);
    assert_eq!(rows[5]["errors"], 2);
    // Without the unreachable one, every target answered: exit 0. The table has a
    // target column in the rows and one summary row per target.
    let mut args = vec!["ping", "-n", "-c", "1"];
    args.extend(targets[..5].iter().map(String::as_str));
    let out = lab.netlab(&args);
    assert_eq!(out.status.code(), Some(0), "{}", stderr(&out));
    let text = stdout(&out);
    assert!(text.trim_start().starts_with("target"), "{text}");
    let (live, table) = text.split_once("\n\n").expect("rows, blank line, summary");
    assert_eq!(live.lines().count(), 1 + 5, "{text}");
    let summary_rows: Vec<Vec<&str>> = table
        .lines()
        .skip(1)
        .map(|l| l.split_whitespace().collect())
        .collect();
    assert_eq!(summary_rows.len(), 5, "{text}");
    for (row, target) in summary_rows.iter().zip(&targets[..5]) {
        assert_eq!(&row[..4], &[target.as_str(), target, "1", "1"], "{text}");
    }
}

#[test]
fn targets_from_a_file() {
    let lab = lab!(LabConfig::default());
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("hosts");
    std::fs::write(
        &path,
        format!(
            "# lab hosts\n{}\n\n  {}  # the destination\n",
            lab.router_v4(1),
            lab.dest_v4()
        ),
    )
    .unwrap();
    let out = lab.netlab(&[
        "ping",
        "-n",
        "-c",
        "1",
        "--json",
        "--file",
        path.to_str().unwrap(),
    ]);
    assert_eq!(out.status.code(), Some(0), "{}", stderr(&out));
    let doc = json(&out);
    let targets: Vec<&str> = summary(&doc)
        .iter()
        .map(|r| r["target"].as_str().unwrap())
        .collect();
    assert_eq!(targets, vec![s(lab.router_v4(1)), s(lab.dest_v4())]);
}

#[test]
fn json_has_exactly_the_documented_fields() {
    let lab = lab!(LabConfig::default());
    let out = lab.netlab(&[
        "ping",
        "-n",
        "-c",
        "1",
        "--json",
        &s(lab.dest_v4()),
        &s(lab.unreachable_v4()),
    ]);
    let doc = json(&out);
    let keys = |v: &Value| -> Vec<String> {
        let mut k: Vec<String> = v.as_object().expect("object").keys().cloned().collect();
        k.sort();
        k
    };
    assert_eq!(keys(&doc), vec!["errors", "replies", "summary"]);
    assert_eq!(
        keys(&replies(&doc)[0]),
        vec![
            "bytes",
            "duplicate",
            "from",
            "late",
            "name",
            "rtt_ms",
            "seq",
            "target",
            "ttl",
            "unix_time"
        ]
    );
    assert_eq!(
        keys(&errors(&doc)[0]),
        vec!["detail", "from", "kind", "mtu", "seq", "target"]
    );
    assert_eq!(
        keys(&summary(&doc)[0]),
        vec![
            "address",
            "avg_ms",
            "duplicates",
            "errors",
            "jitter_ms",
            "late",
            "loss_percent",
            "max_ms",
            "mdev_ms",
            "min_ms",
            "received",
            "target",
            "transmitted"
        ]
    );
    let r = &replies(&doc)[0];
    assert!(r["rtt_ms"].is_f64() && r["seq"].is_u64() && r["ttl"].is_u64());
    let e = &errors(&doc)[0];
    assert_eq!(e["kind"], "host_unreachable");
    assert_eq!(e["detail"], "host unreachable");
    // Nothing but the document on stdout.
    assert!(stdout(&out).trim_end().ends_with('}'));
}

#[test]
fn a_one_probe_sweep_of_every_lab_host() {
    let lab = lab!(LabConfig::default().routers(3));
    let mut hosts: Vec<String> = vec![s(lab.client_v4()), s(lab.client_v6())];
    for i in 1..=3 {
        hosts.extend([
            s(lab.router_v4(i)),
            s(lab.router_east_v4(i)),
            s(lab.router_v6(i)),
        ]);
    }
    hosts.extend([s(lab.dest_v4()), s(lab.dest_v6())]);
    hosts.extend(lab.multi_v4().iter().map(s));
    let mut args = vec!["ping", "-n", "-q", "-c", "1", "--json"];
    args.extend(hosts.iter().map(String::as_str));
    let out = lab.netlab(&args);
    assert_eq!(out.status.code(), Some(0), "{}", stderr(&out));
    let doc = json(&out);
    assert_eq!(summary(&doc).len(), hosts.len());
    for row in summary(&doc) {
        assert_eq!(
            (row["transmitted"].as_u64(), row["received"].as_u64()),
            (Some(1), Some(1)),
            "{row}"
        );
    }
}

#[test]
fn sigquit_prints_interim_statistics_and_sigint_the_summary() {
    let lab = lab!(LabConfig::default());
    let dest = s(lab.dest_v4());
    let mut cmd = lab.netlab_command(&["ping", "-n", "-i", "0.05", &dest]);
    cmd.stdout(std::process::Stdio::piped())
        .stderr(std::process::Stdio::piped());
    let mut child = cmd.spawn().expect("spawn");
    let pid = child.id() as i32;
    // Wait for the first reply row (the run has started and its signal handlers are set).
    let mut reader = std::io::BufReader::new(child.stdout.take().unwrap());
    let mut first = String::new();
    for _ in 0..2 {
        first.clear();
        std::io::BufRead::read_line(&mut reader, &mut first).unwrap();
    }
    assert!(first.contains(&dest), "{first}");
    // Root started it with every capability; with its sockets open it holds none.
    assert_no_capabilities(pid);
    // The interim line on stderr is the readiness signal for the SIGINT that follows.
    let (lines, interim) = std::sync::mpsc::channel();
    let mut err_pipe = std::io::BufReader::new(child.stderr.take().unwrap());
    let err_reader = std::thread::spawn(move || {
        let mut all = String::new();
        let mut line = String::new();
        while std::io::BufRead::read_line(&mut err_pipe, &mut line).unwrap_or(0) > 0 {
            let _ = lines.send(line.clone());
            all.push_str(&line);
            line.clear();
        }
        all
    });
    crate::util::wait_for_handler(pid as u32, libc::SIGQUIT);
    // SAFETY: pid is our child, still running (it only ends on a signal).
    unsafe { libc::kill(pid, libc::SIGQUIT) };
    let first_err = interim
        .recv_timeout(Duration::from_secs(20))
        .expect("an interim statistics line on stderr after SIGQUIT");
    assert!(first_err.contains("received, "), "{first_err}");
    // One more reply row, so the run has sent at least two probes before SIGINT.
    let mut second = String::new();
    std::io::BufRead::read_line(&mut reader, &mut second).unwrap();
    assert!(second.contains(&dest), "{second}");
    crate::util::wait_for_handler(pid as u32, libc::SIGINT);
    // SAFETY: as above.
    unsafe { libc::kill(pid, libc::SIGINT) };
    let out = child.wait_with_output().expect("wait");
    let mut rest = String::new();
    std::io::Read::read_to_string(&mut reader, &mut rest).unwrap();
    let err = err_reader.join().unwrap();
    assert_eq!(out.status.code(), Some(0), "{err}");
    assert!(
        err.contains(&format!("{dest} ({dest}): ")) && err.contains("received, 0% loss"),
        "{err}"
    );
    let summary_row: Vec<&str> = rest
        .lines()
        .map(|l| l.split_whitespace().collect::<Vec<_>>())
        .find(|cells| cells.len() > 2 && cells[0] == dest && cells[1] == dest)
        .unwrap_or_else(|| panic!("no summary after SIGINT: {rest}"));
    // Sent and received agree but for at most the one probe in flight at Ctrl-C.
    let sent: u64 = summary_row[2].parse().unwrap();
    let received: u64 = summary_row[3].parse().unwrap();
    assert!(sent >= 2 && (sent - received) <= 1, "{rest}");
}

/// Reads lines from a child's stdout until one contains `needle`.
fn wait_for_line(reader: &mut impl std::io::BufRead, needle: &str) -> String {
    let mut seen = String::new();
    for _ in 0..20 {
        let mut line = String::new();
        if reader.read_line(&mut line).unwrap_or(0) == 0 {
            break;
        }
        if line.contains(needle) {
            return line;
        }
        seen.push_str(&line);
    }
    panic!("no line with {needle:?} in: {seen}");
}

#[test]
fn a_binary_with_cap_net_raw_works_for_users_and_drops_it() {
    let lab = lab!(LabConfig::default());
    if Command::new("setcap").arg("-v").output().is_err() {
        crate::lab::skip::skip("no setcap (libcap2-bin)");
        return;
    }
    let dir = tempfile::tempdir().unwrap();
    let exe = dir.path().join("netlab");
    std::fs::copy(NETLAB, &exe).unwrap();
    use std::os::unix::fs::PermissionsExt;
    std::fs::set_permissions(dir.path(), std::fs::Permissions::from_mode(0o755)).unwrap();
    let out = Command::new("setcap")
        .args(["cap_net_raw+ep", exe.to_str().unwrap()])
        .output()
        .unwrap();
    assert!(out.status.success(), "setcap: {out:?}");
    // ping_group_range stays "1 0": only the file capability lets nobody ping.
    let dest = s(lab.dest_v4());
    let mut cmd = lab.command(Role::Client, "setpriv");
    cmd.args(["--reuid=65534", "--regid=65534", "--clear-groups", "--"])
        .arg(&exe)
        .args(["ping", "-n", "-c", "3", "-i", "0.3", &dest])
        .stdout(std::process::Stdio::piped())
        .stderr(std::process::Stdio::piped());
    let mut child = cmd.spawn().expect("spawn");
    let pid = child.id() as i32;
    let mut reader = std::io::BufReader::new(child.stdout.take().unwrap());
    wait_for_line(&mut reader, &dest);
    assert_no_capabilities(pid);
    let out = child.wait_with_output().expect("wait");
    let mut rest = String::new();
    std::io::Read::read_to_string(&mut reader, &mut rest).unwrap();
    assert_eq!(out.status.code(), Some(0), "{}", stderr(&out));
    // The summary row: target address sent received ... loss: 3 of 3, 0% loss.
    let row: Vec<&str> = rest
        .lines()
        .map(|l| l.split_whitespace().collect::<Vec<_>>())
        .find(|cells| cells.len() > 3 && cells[0] == dest && cells[1] == dest)
        .unwrap_or_else(|| panic!("no summary row: {rest}"));
    assert_eq!((row[2], row[3]), ("3", "3"), "{rest}");
    assert!(
        row.contains(&"0%"),
        "0% loss (a cell, not a suffix): {rest}"
    );
}
