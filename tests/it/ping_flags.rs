//! `netlab ping` with the iputils flags beyond the basics (-I -p -M -Q -D -O -b -m -l -A
//! -f, -s up to the family's limit): bad input first (no network), then each flag end to
//! end in the namespace lab, as root (raw sockets) and as an ordinary user (datagram
//! sockets), compared with iputils ping on the same path.

use std::net::IpAddr;
use std::process::Output;
use std::time::{Duration, Instant};

use serde_json::Value;

use crate::lab::{lab, Lab, LabConfig, Role, NOBODY};
use crate::util::{assert_each_refused, assert_one_line_error, json, netlab, s, stderr, stdout};

fn list<'a>(doc: &'a Value, key: &str) -> &'a Vec<Value> {
    doc[key]
        .as_array()
        .unwrap_or_else(|| panic!("{key}: {doc:#}"))
}

/// `netlab ping ARGS` as root (`None`) or as `uid`.
fn ping(lab: &Lab, uid: Option<u32>, args: &[&str]) -> Output {
    let mut full = vec!["ping"];
    full.extend_from_slice(args);
    lab.netlab_maybe_as(uid, &full)
}

/// Root, then nobody with ICMP datagram sockets allowed in the client namespace.
fn both_users(lab: &Lab) -> [(Option<u32>, &'static str); 2] {
    lab.sysctl(Role::Client, "net.ipv4.ping_group_range", "0 2147483647");
    [(None, "root"), (Some(NOBODY), "nobody")]
}

/// Packets counted by the rule of `chain` in `role`'s filter table whose text contains
/// `needle` (`iptables -L -v -x -n`).
fn counted(lab: &Lab, role: Role, tool: &str, chain: &str, needle: &str) -> u64 {
    let out = lab.exec(role, &[tool, "-L", chain, "-v", "-x", "-n"]);
    assert!(out.status.success(), "{out:?}");
    let text = stdout(&out);
    let line = text
        .lines()
        .find(|l| l.contains(needle))
        .unwrap_or_else(|| panic!("no rule with {needle:?}:\n{text}"));
    line.split_whitespace().next().unwrap().parse().unwrap()
}

fn rule(lab: &Lab, role: Role, tool: &str, args: &str) {
    let mut argv = vec![tool];
    argv.extend(args.split_whitespace());
    let out = lab.exec(role, &argv);
    assert!(out.status.success(), "{tool} {args}: {out:?}");
}

fn zero_counters(lab: &Lab, role: Role) {
    for tool in ["iptables", "ip6tables"] {
        rule(lab, role, tool, "-Z");
    }
}

// ----- bad input: exit 2, one line, nothing sent -----

#[test]
fn bad_flag_values_exit_2_with_one_line() {
    let cases: &[(&[&str], &str)] = &[
        (&["ping", "-p", "zz", "127.0.0.1"], "not a pattern"),
        (&["ping", "-p", "f", "127.0.0.1"], "two digits each"),
        (
            &[
                "ping",
                "-p",
                "000102030405060708090a0b0c0d0e0f10",
                "127.0.0.1",
            ],
            "at most 16",
        ),
        (&["ping", "-Q", "256", "127.0.0.1"], "DSCP name"),
        (&["ping", "-Q", "AF51", "127.0.0.1"], "DSCP name"),
        (&["ping", "-M", "sometimes", "127.0.0.1"], "sometimes"),
        (
            &["ping", "-I", "nosuchif0", "127.0.0.1"],
            "no network interface",
        ),
        (&["ping", "-I", "0.0.0.0", "127.0.0.1"], "no source address"),
        (
            &["ping", "-I", "127.0.0.1", "::1"],
            "cannot be pinged from -I",
        ),
        (&["ping", "-I", "::1", "-4", "127.0.0.1"], "IPv6 address"),
        (&["ping", "-s", "65528", "::1"], "65527"),
        (&["ping", "-s", "65508", "127.0.0.1"], "65507"),
        (&["ping", "-l", "0", "127.0.0.1"], "preload"),
        (&["ping", "-m", "x", "127.0.0.1"], "invalid value"),
        (&["ping", "255.255.255.255"], "broadcast"),
    ];
    assert_each_refused(cases);
    let out = netlab(&["ping", "255.255.255.255"]);
    assert!(stderr(&out).contains("hint: add -b"), "{}", stderr(&out));
}

// ----- the lab -----

/// -M do over a 1400-byte link: router 1 answers the first probe with fragmentation
/// needed / packet too big naming the MTU; the kernel then knows the path MTU and
/// refuses the next probes locally ("message too long, mtu=1400"), as iputils says.
#[test]
fn dont_fragment_reports_the_router_and_the_path_mtu() {
    let lab = lab!(LabConfig::default().link_mtu(1, 1400));
    // Each run its own destination address: the path MTU is cached per destination.
    let runs: [(Option<u32>, IpAddr, IpAddr, &str); 4] = [
        (
            None,
            lab.dest_v4().into(),
            lab.router_v4(1).into(),
            "fragmentation_needed",
        ),
        (
            Some(NOBODY),
            lab.multi_v4()[0].into(),
            lab.router_v4(1).into(),
            "fragmentation_needed",
        ),
        (
            None,
            lab.dest_v6().into(),
            lab.router_v6(1).into(),
            "packet_too_big",
        ),
        (
            Some(NOBODY),
            lab.dns_v6().into(),
            lab.router_v6(1).into(),
            "packet_too_big",
        ),
    ];
    both_users(&lab);
    for (uid, dest, router, kind) in runs {
        let out = ping(
            &lab,
            uid,
            &[
                "-n",
                "-M",
                "do",
                "-s",
                "1400",
                "-c",
                "3",
                "-i",
                "0.1",
                "--json",
                &s(dest),
            ],
        );
        let who = format!("{uid:?} {dest}");
        assert_eq!(out.status.code(), Some(1), "{who}: {}", stderr(&out));
        let doc = json(&out);
        let errors = list(&doc, "errors");
        assert_eq!(errors.len(), 3, "{who}: {doc:#}");
        assert_eq!(errors[0]["kind"], kind, "{who}: {doc:#}");
        assert_eq!(errors[0]["from"], s(router), "{who}: {doc:#}");
        for e in errors {
            assert_eq!(e["mtu"], 1400, "{who}: {doc:#}");
        }
        for e in &errors[1..] {
            assert_eq!(e["kind"], "message_too_long", "{who}: {doc:#}");
            assert_eq!(e["from"], Value::Null, "{who}: {doc:#}");
            assert_eq!(
                e["detail"], "local error: message too long, mtu=1400",
                "{who}: {doc:#}"
            );
        }
        assert!(list(&doc, "replies").is_empty(), "{who}: {doc:#}");
    }
    // Without DF the same size gets through (fragmented), and fits without -M.
    for uid in [None, Some(NOBODY)] {
        let out = ping(
            &lab,
            uid,
            &[
                "-n",
                "-M",
                "dont",
                "-s",
                "1400",
                "-c",
                "2",
                "-i",
                "0.05",
                "--json",
                &s(lab.dest_v4()),
            ],
        );
        assert_eq!(out.status.code(), Some(0), "{uid:?}: {}", stderr(&out));
        let doc = json(&out);
        assert_eq!(list(&doc, "replies")[0]["bytes"], 1408, "{doc:#}");
    }
    // The rows for people, beside iputils on a fresh destination of its own.
    let out = lab.netlab(&[
        "ping",
        "-n",
        "-M",
        "do",
        "-s",
        "1400",
        "-c",
        "2",
        "-i",
        "0.1",
        &s(lab.multi_v4()[1]),
    ]);
    let text = stdout(&out);
    assert!(text.contains("fragmentation needed (mtu = 1400)"), "{text}");
    assert!(
        text.contains("local error: message too long, mtu=1400"),
        "{text}"
    );
    let iputils = lab.exec(
        Role::Client,
        &[
            "ping",
            "-n",
            "-M",
            "do",
            "-s",
            "1400",
            "-c",
            "2",
            "-i",
            "0.1",
            &s(lab.multi_v4()[2]),
        ],
    );
    let theirs = format!("{}{}", stdout(&iputils), stderr(&iputils));
    assert!(
        theirs.contains("Frag needed and DF set (mtu = 1400)"),
        "{theirs}"
    );
    assert!(theirs.contains("message too long, mtu=1400"), "{theirs}");
    assert_eq!(iputils.status.code(), out.status.code(), "{theirs}");
}

/// -Q, -p and -m reach the wire: iptables counters on router 1 (TOS and pattern) and on
/// the client (mark) count exactly the probes.
#[test]
fn tos_pattern_and_mark_are_on_the_probes() {
    let lab = lab!(LabConfig::default());
    let (d4, d6) = (s(lab.dest_v4()), s(lab.dest_v6()));
    let r1 = Role::Router(1);
    rule(
        &lab,
        r1,
        "iptables",
        &format!("-A FORWARD -d {d4} -m dscp --dscp 46"),
    );
    rule(
        &lab,
        r1,
        "ip6tables",
        &format!("-A FORWARD -d {d6} -m dscp --dscp 46"),
    );
    let pattern = "|ff00abff00ab|";
    rule(
        &lab,
        r1,
        "iptables",
        &format!("-A FORWARD -d {d4} -m string --algo bm --hex-string {pattern}"),
    );
    rule(
        &lab,
        r1,
        "ip6tables",
        &format!("-A FORWARD -d {d6} -m string --algo bm --hex-string {pattern}"),
    );
    for (uid, who) in both_users(&lab) {
        for (tool, dest) in [("iptables", &d4), ("ip6tables", &d6)] {
            zero_counters(&lab, r1);
            let out = ping(
                &lab,
                uid,
                &["-n", "-Q", "EF", "-c", "2", "-i", "0.05", dest],
            );
            assert_eq!(out.status.code(), Some(0), "{who}: {}", stderr(&out));
            assert_eq!(
                counted(&lab, r1, tool, "FORWARD", "DSCP"),
                2,
                "{who} {dest}"
            );
            // The default fill never matches the pattern; -p fills every probe.
            assert_eq!(
                counted(&lab, r1, tool, "FORWARD", "STRING"),
                0,
                "{who} {dest}"
            );
            let out = ping(
                &lab,
                uid,
                &["-n", "-p", "ff00ab", "-c", "3", "-i", "0.05", dest],
            );
            assert_eq!(out.status.code(), Some(0), "{who}: {}", stderr(&out));
            assert_eq!(
                counted(&lab, r1, tool, "FORWARD", "STRING"),
                3,
                "{who} {dest}"
            );
        }
    }
    // The mark: root may set it; nobody is told what it takes.
    rule(
        &lab,
        Role::Client,
        "iptables",
        &format!("-A OUTPUT -d {d4} -m mark --mark 42"),
    );
    let out = lab.netlab(&["ping", "-n", "-m", "42", "-c", "2", "-i", "0.05", &d4]);
    assert_eq!(out.status.code(), Some(0), "{}", stderr(&out));
    assert_eq!(counted(&lab, Role::Client, "iptables", "OUTPUT", "mark"), 2);
    let out = lab.netlab_as(NOBODY, &["ping", "-n", "-m", "42", "-c", "1", &d4]);
    assert_one_line_error(&out, "-m as nobody");
    assert!(stderr(&out).contains("SO_MARK 42"), "{}", stderr(&out));
    assert!(stderr(&out).contains("CAP_NET_ADMIN"), "{}", stderr(&out));
}

/// -I: an interface or a source address of the client; one that is not is refused.
#[test]
fn interface_and_source_address() {
    let lab = lab!(LabConfig::default());
    let dest = s(lab.dest_v4());
    for (uid, who) in both_users(&lab) {
        for from in [s(lab.client_v4()), "east".to_string()] {
            let out = ping(&lab, uid, &["-n", "-I", &from, "-c", "1", "--json", &dest]);
            assert_eq!(
                out.status.code(),
                Some(0),
                "{who} -I {from}: {}",
                stderr(&out)
            );
            assert_eq!(list(&json(&out), "replies")[0]["from"], dest);
        }
        let out = ping(
            &lab,
            uid,
            &[
                "-n",
                "-I",
                &s(lab.client_v6()),
                "-c",
                "1",
                &s(lab.dest_v6()),
            ],
        );
        assert_eq!(out.status.code(), Some(0), "{who}: {}", stderr(&out));
        // Bound to loopback, the probes never leave for the destination.
        let out = ping(
            &lab,
            uid,
            &["-n", "-I", "lo", "-c", "1", "-W", "0.5", "--json", &dest],
        );
        assert_eq!(out.status.code(), Some(1), "{who}: {}", stderr(&out));
        assert_eq!(list(&json(&out), "summary")[0]["received"], 0);
        // Not an address of this host.
        let out = ping(&lab, uid, &["-n", "-I", "198.18.9.9", "-c", "1", &dest]);
        assert_one_line_error(&out, &format!("{who} -I 198.18.9.9"));
        assert!(
            stderr(&out).contains("binding to source address 198.18.9.9"),
            "{}",
            stderr(&out)
        );
    }
}

/// -b: a broadcast address is refused without it (as iputils does), and with it router 1
/// (which answers broadcasts here) replies.
#[test]
fn broadcast_needs_dash_b() {
    let lab = lab!(LabConfig::default());
    lab.sysctl(Role::Router(1), "net.ipv4.icmp_echo_ignore_broadcasts", "0");
    let broadcast = "198.18.0.255";
    // The kernel routes the subnet broadcast of link 0 as a broadcast on both ends.
    for (uid, who) in both_users(&lab) {
        let out = ping(&lab, uid, &["-n", "-c", "1", broadcast]);
        assert_one_line_error(&out, &format!("{who} broadcast without -b"));
        assert!(stderr(&out).contains("hint: add -b"), "{}", stderr(&out));
        let out = ping(
            &lab,
            uid,
            &["-n", "-b", "-c", "2", "-i", "0.1", "--json", broadcast],
        );
        assert_eq!(out.status.code(), Some(0), "{who}: {}", stderr(&out));
        let doc = json(&out);
        let replies = list(&doc, "replies");
        assert!(!replies.is_empty(), "{who}: {doc:#}");
        assert!(
            replies.iter().all(|r| r["from"] == s(lab.router_v4(1))),
            "{who}: {doc:#}"
        );
    }
    let iputils = lab.exec(Role::Client, &["ping", "-n", "-c", "1", broadcast]);
    assert_eq!(iputils.status.code(), Some(2), "{iputils:?}");
    assert!(stderr(&iputils).contains("-b"), "{}", stderr(&iputils));
}

/// -D puts the Unix time first on each row; -O says "no answer yet" for a probe still
/// out as the next leaves (iputils: "no answer yet for icmp_seq=N").
#[test]
fn timestamps_and_outstanding_reports() {
    let lab = lab!(LabConfig::default());
    let dest = s(lab.dest_v4());
    let before = std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .unwrap()
        .as_secs_f64();
    let out = lab.netlab(&["ping", "-n", "-D", "-c", "2", "-i", "0.05", &dest]);
    assert_eq!(out.status.code(), Some(0), "{}", stderr(&out));
    let text = stdout(&out);
    let rows: Vec<&str> = text.lines().skip(1).take(2).collect();
    for row in &rows {
        let stamp = row.split_whitespace().next().unwrap();
        let secs: f64 = stamp
            .strip_prefix('[')
            .and_then(|t| t.strip_suffix(']'))
            .and_then(|t| t.parse().ok())
            .unwrap_or_else(|| panic!("{row}"));
        assert!(secs >= before.floor() && secs < before + 60.0, "{row}");
        assert_eq!(stamp.split('.').nth(1).map(str::len), Some(7), "{row}");
    }
    for (tool, rule_text) in [
        (
            "iptables",
            "-A INPUT -p icmp --icmp-type echo-request -j DROP",
        ),
        (
            "ip6tables",
            "-A INPUT -p icmpv6 --icmpv6-type echo-request -j DROP",
        ),
    ] {
        rule(&lab, Role::Dest, tool, rule_text);
    }
    for (uid, who) in both_users(&lab) {
        let out = ping(
            &lab,
            uid,
            &["-n", "-O", "-c", "3", "-i", "0.1", "-W", "1", &dest],
        );
        assert_eq!(out.status.code(), Some(1), "{who}: {}", stderr(&out));
        let text = stdout(&out);
        assert_eq!(text.matches("no answer yet").count(), 2, "{who}: {text}");
        let out = ping(&lab, uid, &["-n", "-c", "2", "-i", "0.1", "-W", "1", &dest]);
        assert!(!stdout(&out).contains("no answer yet"), "{}", stdout(&out));
    }
    let iputils = lab.exec(
        Role::Client,
        &["ping", "-n", "-O", "-c", "3", "-i", "0.1", "-W", "1", &dest],
    );
    assert_eq!(
        stdout(&iputils).matches("no answer yet").count(),
        2,
        "{iputils:?}"
    );
}

/// -f: dots and backspaces as iputils prints them, then the summary; CAP_NET_RAW only.
/// -l and -A change the pace: a preload goes out at once, adaptive follows the replies.
#[test]
fn flood_preload_and_adaptive() {
    let lab = lab!(LabConfig::default());
    let dest = s(lab.dest_v4());
    let out = lab.netlab(&["ping", "-n", "-f", "-c", "50", &dest]);
    assert_eq!(out.status.code(), Some(0), "{}", stderr(&out));
    let text = stdout(&out);
    let first = text.lines().next().unwrap();
    assert_eq!(first.matches('.').count(), 50, "{first:?}");
    assert_eq!(first.matches('\x08').count(), 100, "{first:?}");
    assert!(text.contains(" 50 "), "{text}");
    let iputils = lab.exec(Role::Client, &["ping", "-n", "-f", "-c", "50", &dest]);
    let theirs = stdout(&iputils);
    let dots = theirs
        .lines()
        .find(|l| l.contains('.') && l.contains('\x08'))
        .unwrap_or("");
    assert_eq!(dots.matches('.').count(), 50, "{theirs:?}");

    lab.sysctl(Role::Client, "net.ipv4.ping_group_range", "0 2147483647");
    let out = lab.netlab_as(NOBODY, &["ping", "-f", "-c", "5", &dest]);
    assert_one_line_error(&out, "-f as nobody");
    assert!(stderr(&out).contains("CAP_NET_RAW"), "{}", stderr(&out));
    let out = lab.netlab_as(NOBODY, &["ping", "-l", "4", "-c", "5", &dest]);
    assert_one_line_error(&out, "-l 4 as nobody");
    assert!(stderr(&out).contains("most for users"), "{}", stderr(&out));

    // With -i 5, three probes would take 10 s; preloaded or adaptive they take a moment.
    for (uid, args) in [
        (None, vec!["-l", "3"]),
        (Some(NOBODY), vec!["-l", "3"]),
        (None, vec!["-A"]),
        (Some(NOBODY), vec!["-A"]),
    ] {
        let mut full = vec!["-n", "-c", "3", "-i", "5", "--json"];
        full.extend(&args);
        full.push(&dest);
        let started = Instant::now();
        let out = ping(&lab, uid, &full);
        assert_eq!(
            out.status.code(),
            Some(0),
            "{uid:?} {args:?}: {}",
            stderr(&out)
        );
        assert_eq!(list(&json(&out), "replies").len(), 3);
        assert!(
            started.elapsed() < Duration::from_secs(5),
            "{uid:?} {args:?} took {:?}",
            started.elapsed()
        );
    }
}

/// -s up to what one packet of the family carries: 65507 data bytes on IPv4, 65527 on
/// IPv6 (fragmented on the way, reassembled at the destination).
#[test]
fn sizes_up_to_the_family_limit() {
    let lab = lab!(LabConfig::default());
    for (dest, size, bytes) in [
        (s(lab.dest_v4()), "65507", 65515),
        (s(lab.dest_v6()), "65527", 65535),
    ] {
        let out = lab.netlab(&["ping", "-n", "-s", size, "-c", "1", "--json", &dest]);
        assert_eq!(out.status.code(), Some(0), "{dest}: {}", stderr(&out));
        assert_eq!(list(&json(&out), "replies")[0]["bytes"], bytes);
    }
    // A name that resolves to IPv4 is held to the IPv4 limit.
    let out = lab.netlab(&["ping", "-4", "-s", "65510", "-c", "1", "www"]);
    assert_one_line_error(&out, "-s 65510 to an IPv4 name");
    let out = lab.netlab(&["ping", "-s", "65510", "-c", "1", "v4only"]);
    assert_one_line_error(&out, "-s 65510 to an IPv4-only name");
}
