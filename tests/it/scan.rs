//! Address ranges as targets (`ping 10.0.0.0/24`, `connect 10.0.0.1-50 -p 22`), sweeps
//! (`ping -a/-u`, `--rate`) and, in the lab, what goes on the wire. Bad input first: exit
//! 2, one line, before anything is sent.

use std::net::TcpListener;

use crate::util::{assert_each_refused, json, netlab, stderr, stdout};

#[test]
fn ranges_too_large_or_malformed_are_refused_before_anything_is_sent() {
    let cases: &[(&[&str], &str)] = &[
        (
            &["ping", "10.0.0.0/8"],
            "16777214 addresses, more than --max-targets 65536",
        ),
        (
            &["ping", "--max-targets", "10", "127.0.0.0/28"],
            "14 addresses, more than --max-targets 10",
        ),
        (
            &[
                "ping",
                "--max-targets",
                "300",
                "127.0.0.0/24",
                "127.0.1.0/24",
            ],
            "508 addresses",
        ),
        (&["ping", "fd00::/64"], "shorter than /112"),
        (&["ping", "127.0.0.0/33"], "0-32 bits"),
        (&["ping", "127.0.0.9-3"], "runs backwards"),
        (&["ping", "127.0.0.1-256"], "last octet"),
        (&["ping", "127.0.0.1-::1"], "one family"),
        (&["ping", "--rate", "10", "127.0.0.1"], "paces a sweep"),
        (&["ping", "-i", "0.5", "127.0.0.0/30"], "paced by --rate"),
        (&["ping", "--watch", "-a", "127.0.0.1"], "not a live chart"),
        (
            &["connect", "10.0.0.0/8", "-p", "22"],
            "more than --max-targets 65536",
        ),
        (&["connect", "10.0.0.0/24:80"], "not a prefix length"),
        (&["connect", "127.0.0.1-2"], "no port given"),
    ];
    assert_each_refused(cases);
    // -a and -u print different lists; both at once is a usage error.
    let out = netlab(&["ping", "-a", "-u", "127.0.0.1"]);
    assert_eq!(out.status.code(), Some(2), "{}", stderr(&out));
}

#[test]
fn a_loopback_sweep_prints_the_alive_addresses_as_fping_does() {
    // 127.0.0.0/8 is all this host's: every address of the range answers.
    let out = netlab(&["ping", "-a", "--rate", "200", "-W", "1s", "127.0.0.1-4"]);
    assert_eq!(out.status.code(), Some(0), "{}", stderr(&out));
    let mut alive: Vec<String> = stdout(&out).lines().map(String::from).collect();
    alive.sort();
    assert_eq!(alive, ["127.0.0.1", "127.0.0.2", "127.0.0.3", "127.0.0.4"]);
    assert!(
        stderr(&out).contains("4 targets: 4 alive, 0 unreachable"),
        "{}",
        stderr(&out)
    );

    let out = netlab(&["ping", "-u", "127.0.0.4/30"]);
    assert_eq!(out.status.code(), Some(0), "{}", stderr(&out));
    assert_eq!(stdout(&out), "", "nothing unreachable");
    assert!(
        stderr(&out).contains("2 targets: 2 alive, 0 unreachable"),
        "{}",
        stderr(&out)
    );

    // The table: a row per alive address, then the counts.
    let out = netlab(&["ping", "127.0.0.8/30"]);
    assert_eq!(out.status.code(), Some(0), "{}", stderr(&out));
    let text = stdout(&out);
    assert!(
        text.contains("127.0.0.9") && text.contains("127.0.0.10"),
        "{text}"
    );
    assert!(
        !text.contains("127.0.0.8 ") && !text.contains("127.0.0.11"),
        "{text}"
    );
    let last = text.lines().last().unwrap();
    assert_eq!(
        last.split_whitespace().collect::<Vec<_>>(),
        ["2", "2", "0"],
        "{text}"
    );

    // JSON: ping's document, one summary per address.
    let out = netlab(&["ping", "--json", "127.0.0.1-3"]);
    assert_eq!(out.status.code(), Some(0), "{}", stderr(&out));
    let doc = json(&out);
    let summary = doc["summary"].as_array().unwrap();
    let addresses: Vec<&str> = summary
        .iter()
        .map(|s| s["address"].as_str().unwrap())
        .collect();
    assert_eq!(addresses, ["127.0.0.1", "127.0.0.2", "127.0.0.3"]);
    assert!(
        summary
            .iter()
            .all(|s| s["transmitted"] == 1 && s["received"] == 1),
        "{doc:#}"
    );
}

#[test]
fn connect_takes_a_range_and_probes_every_address() {
    let listener = TcpListener::bind("127.0.0.1:0").unwrap();
    let port = listener.local_addr().unwrap().port().to_string();
    let out = netlab(&["connect", "--json", "127.0.0.1-3", "-p", &port]);
    let doc = json(&out);
    let probes = doc["probes"].as_array().unwrap();
    let seen: Vec<(&str, &str)> = probes
        .iter()
        .map(|p| (p["address"].as_str().unwrap(), p["state"].as_str().unwrap()))
        .collect();
    // Only 127.0.0.1 listens; the others refuse.
    assert_eq!(
        seen,
        [
            ("127.0.0.1", "open"),
            ("127.0.0.2", "closed"),
            ("127.0.0.3", "closed")
        ],
        "{doc:#}"
    );
    assert_eq!(out.status.code(), Some(1));
}

/// `connect --file`: the targets of `ping --file` (ranges included), from a file or stdin.
#[test]
fn connect_reads_ranges_from_a_file_or_stdin() {
    use std::io::Write;
    let listener = TcpListener::bind("127.0.0.1:0").unwrap();
    let port = listener.local_addr().unwrap().port().to_string();
    let dir = tempfile::tempdir().unwrap();
    let file = dir.path().join("targets");
    std::fs::write(&file, "# loopback\n127.0.0.1-2\n\n127.0.0.3  # last\n").unwrap();
    let states = |out: &std::process::Output| -> Vec<(String, String)> {
        json(out)["probes"]
            .as_array()
            .unwrap()
            .iter()
            .map(|p| (p["address"].to_string(), p["state"].to_string()))
            .collect()
    };
    let want: Vec<(String, String)> = [
        ("127.0.0.1", "open"),
        ("127.0.0.2", "closed"),
        ("127.0.0.3", "closed"),
    ]
    .iter()
    .map(|(a, s)| (format!("\"{a}\""), format!("\"{s}\"")))
    .collect();
    let path = file.to_str().unwrap();
    let out = netlab(&["connect", "--json", "--file", path, "-p", &port]);
    assert_eq!(out.status.code(), Some(1), "{}", stderr(&out));
    assert_eq!(states(&out), want);

    let mut child = std::process::Command::new(env!("CARGO_BIN_EXE_netlab"))
        .args(["connect", "--json", "--file", "-", "-p", &port])
        .stdin(std::process::Stdio::piped())
        .stdout(std::process::Stdio::piped())
        .stderr(std::process::Stdio::piped())
        .spawn()
        .unwrap();
    let mut stdin = child.stdin.take().unwrap();
    stdin.write_all(b"127.0.0.1-3\n").unwrap();
    drop(stdin);
    let out = child.wait_with_output().unwrap();
    assert_eq!(out.status.code(), Some(1), "{}", stderr(&out));
    assert_eq!(states(&out), want);
}

#[test]
fn connect_file_lines_that_are_no_target_or_too_many_are_refused() {
    let dir = tempfile::tempdir().unwrap();
    let file = dir.path().join("targets");
    let path = file.to_str().unwrap();
    let cases: &[(&str, &[&str], &str)] = &[
        (
            "127.0.0.1\n127.0.0.0/33\n",
            &["-p", "9"],
            "line 2: '127.0.0.0/33'",
        ),
        ("# c\n127.0.0.1:99999\n", &[], "line 2: "),
        ("127.0.0.1-300\n", &["-p", "9"], "line 1: '127.0.0.1-300'"),
        (
            "127.0.0.1:9\n",
            &["-p", "9"],
            "names a port, and -p gives ports too",
        ),
        ("127.0.0.1\n", &[], "no port given"),
        ("# nothing\n", &["-p", "9"], "no target given"),
        (
            "127.0.0.0/28\n",
            &["-p", "9", "--max-targets", "10"],
            "14 addresses, more than --max-targets 10",
        ),
    ];
    for (text, flags, want) in cases {
        std::fs::write(&file, text).unwrap();
        let mut args = vec!["connect", "--file", path];
        args.extend_from_slice(flags);
        let out = netlab(&args);
        crate::util::assert_one_line_error(&out, &format!("{text:?} {flags:?}"));
        assert!(stderr(&out).contains(want), "{text:?}: {}", stderr(&out));
    }
    let out = netlab(&["connect", "--file", "/nonexistent/targets", "-p", "9"]);
    crate::util::assert_one_line_error(&out, "a missing file");
    assert!(stderr(&out).contains("reading targets from /nonexistent/targets"));
    let out = netlab(&["connect", "--file", path, "https://localhost/"]);
    crate::util::assert_one_line_error(&out, "--file with a URL");
}

/// Whether this test process may open raw sockets (root); under `CI=true` a missing
/// privilege fails the test instead of skipping it.
fn can_raw() -> bool {
    let ok = std::fs::read_to_string("/proc/self/status")
        .ok()
        .and_then(|s| {
            s.lines()
                .find(|l| l.starts_with("CapEff:"))
                .and_then(|l| u64::from_str_radix(l.split_whitespace().nth(1)?, 16).ok())
        })
        .is_some_and(|caps| caps & (1 << 13) != 0);
    if !ok {
        crate::lab::skip::skip("a SYN scan needs CAP_NET_RAW (run the tests as root)");
    }
    ok
}

/// Open, closed and (with a listener on one address only) per-address differences, the
/// SYN scan and the connect scan read alike, in JSON and in the table.
#[test]
fn a_syn_scan_finds_what_the_connect_scan_finds_on_loopback() {
    if !can_raw() {
        return;
    }
    let a = TcpListener::bind("127.0.0.1:0").unwrap();
    let b = TcpListener::bind("127.0.0.2:0").unwrap();
    let (pa, pb) = (
        a.local_addr().unwrap().port(),
        b.local_addr().unwrap().port(),
    );
    let ports = format!(
        "{pa},{pb},{}-{}",
        pa.min(pb).saturating_sub(20).max(1),
        pa.min(pb).saturating_sub(1).max(1)
    );
    let scan = |extra: &[&str]| {
        let mut args = vec![
            "connect",
            "--json",
            "-w",
            "300ms",
            "127.0.0.1-2",
            "-p",
            &ports,
        ];
        args.extend_from_slice(extra);
        let out = netlab(&args);
        assert_eq!(out.status.code(), Some(0), "{args:?}: {}", stderr(&out));
        let doc = json(&out);
        doc["scans"]
            .as_array()
            .unwrap()
            .iter()
            .map(|s| {
                (
                    s["address"].as_str().unwrap().to_string(),
                    s["open"].clone(),
                    s["closed"].as_u64().unwrap(),
                    s["filtered"].as_u64().unwrap(),
                )
            })
            .collect::<Vec<_>>()
    };
    let syn = scan(&["--syn"]);
    let connect = scan(&[]);
    assert_eq!(syn, connect);
    assert_eq!(syn[0].1, serde_json::json!([pa]), "{syn:?}");
    assert_eq!(syn[1].1, serde_json::json!([pb]), "{syn:?}");

    // The table: the open rows as found, then the summary with the open ports.
    let out = netlab(&["connect", "--syn", "127.0.0.1", "-p", &pa.to_string()]);
    assert_eq!(out.status.code(), Some(0), "{}", stderr(&out));
    let text = stdout(&out);
    assert!(
        text.lines()
            .any(|l| l.contains(&pa.to_string()) && l.contains("open")),
        "{text}"
    );

    // IPv6 too, where the host has it.
    if crate::util::has_ipv6_loopback() {
        let c = TcpListener::bind("[::1]:0").unwrap();
        let pc = c.local_addr().unwrap().port().to_string();
        let out = netlab(&["connect", "--syn", "--json", "::1", "-p", &pc]);
        assert_eq!(out.status.code(), Some(0), "{}", stderr(&out));
        assert_eq!(
            json(&out)["scans"][0]["open"][0].as_u64(),
            Some(u64::from(c.local_addr().unwrap().port()))
        );
    }
}

/// Ranges kept as ranges (issue 22): a name, a range and an overlapping range are scanned
/// once per address, in command-line order; past 1,024 addresses the closing table is
/// printed a row at a time, one row per address, and says what the JSON says.
#[test]
fn a_syn_scan_of_overlapping_ranges_scans_each_address_once_and_shows_every_row() {
    if !can_raw() {
        return;
    }
    let listener = TcpListener::bind("127.0.0.2:0").unwrap();
    let port = listener.local_addr().unwrap().port().to_string();
    let run = |extra: &[&str]| {
        let mut args = vec![
            "connect",
            "--syn",
            "-4",
            "-w",
            "300ms",
            "localhost",
            "127.0.0.0/21",
            "127.0.0.2-10",
            "-p",
            &port,
        ];
        args.extend_from_slice(extra);
        // Read as it comes: the JSON of 2,046 addresses is more than a pipe holds.
        let mut cmd = std::process::Command::new(env!("CARGO_BIN_EXE_netlab"));
        cmd.args(&args);
        let (status, out, err) = crate::util::running::Running::spawn("connect --syn", cmd)
            .patience(std::time::Duration::from_secs(30))
            .wait();
        assert_eq!(status.code(), Some(1), "{args:?}: {err:?}");
        out.join("\n")
    };
    let doc: serde_json::Value = serde_json::from_str(&run(&["--json"])).unwrap();
    let scans = doc["scans"].as_array().unwrap();
    assert_eq!(scans.len(), 2046, "127.0.0.1-127.0.7.254, each once");
    assert_eq!(
        (scans[0]["target"].as_str(), scans[0]["address"].as_str()),
        (Some("localhost"), Some("127.0.0.1"))
    );
    assert_eq!(scans[1]["address"], "127.0.0.2");
    assert_eq!(
        scans[1]["open"],
        serde_json::json!([listener.local_addr().unwrap().port()])
    );
    assert_eq!(scans[2045]["address"], "127.0.7.254");
    let closed: u64 = scans.iter().map(|s| s["closed"].as_u64().unwrap()).sum();
    assert_eq!(closed, 2045);

    let text = run(&[]);
    let table: Vec<&str> = text.lines().skip_while(|l| !l.is_empty()).skip(2).collect();
    assert_eq!(table.len(), 2046, "{text}");
    let cells = |line: &str| {
        line.split_whitespace()
            .map(str::to_string)
            .collect::<Vec<_>>()
    };
    assert_eq!(cells(table[0])[..3], ["localhost", "127.0.0.1", "tcp"]);
    assert_eq!(cells(table[1])[1..5], ["127.0.0.2", "tcp", "1", "1"]);
    assert_eq!(cells(table[1]).last().unwrap(), &port, "{}", table[1]);
    let closed: u64 = table
        .iter()
        .map(|l| cells(l)[5].parse::<u64>().unwrap())
        .sum();
    assert_eq!(closed, 2045);
}

#[test]
fn a_syn_scan_without_cap_net_raw_says_how_to_get_it() {
    if !can_raw() {
        return;
    }
    let out = std::process::Command::new("setpriv")
        .args([
            "--reuid=65534",
            "--regid=65534",
            "--clear-groups",
            "--inh-caps=-all",
            "--",
        ])
        .arg(env!("CARGO_BIN_EXE_netlab"))
        .args(["connect", "--syn", "127.0.0.1", "-p", "80"])
        .output()
        .expect("setpriv runs");
    crate::util::assert_one_line_error(&out, "--syn as nobody");
    let err = stderr(&out);
    assert!(
        err.contains("opening a raw TCP socket: operation not permitted"),
        "{err}"
    );
    assert!(
        err.contains("hint: a SYN scan needs CAP_NET_RAW") && err.contains("setcap cap_net_raw+ep"),
        "{err}"
    );
}

#[test]
fn syn_scan_flags_are_checked_before_anything_is_sent() {
    let cases: &[(&[&str], &str)] = &[
        (
            &["connect", "--syn", "127.0.0.1"],
            "scans the ports given with -p",
        ),
        (
            &["connect", "--syn", "--udp", "127.0.0.1", "-p", "80"],
            "cannot be used with",
        ),
        (
            &["connect", "--rate", "10", "127.0.0.1", "-p", "80"],
            "required arguments were not provided",
        ),
        (
            &["connect", "--syn", "--rate", "0", "127.0.0.1", "-p", "80"],
            "0 is not in",
        ),
        (
            &["connect", "--syn", "-6", "127.0.0.0/30", "-p", "80"],
            "target '127.0.0.0/30': is an IPv4 range, but -6 was given",
        ),
        (
            &["connect", "--syn", "10.0.0.0/15", "-p", "80"],
            "more than --max-targets 65536",
        ),
    ];
    assert_each_refused(cases);
    let out = netlab(&["connect", "--help"]);
    assert!(stdout(&out).contains("kernel's own RST to the SYN-ACK ends the half-open connection"));
}

// ----- the lab: sweeps and SYN scans compared with fping and nmap, tcpdump as witness -----

use std::collections::{BTreeMap, BTreeSet};

use crate::lab::{lab, Lab, LabConfig, Role, FILTERED_PORT, PROHIBITED_V4};

/// Extra addresses on the destination's loopback, so a /27 has 11 alive hosts; the rest
/// of 198.18.100.0/24 is a blackhole there (silent, as hosts that are down on a LAN).
fn populate(lab: &Lab) {
    for last in 10..=17 {
        let out = lab.exec(
            Role::Dest,
            &[
                "ip",
                "addr",
                "add",
                &format!("198.18.100.{last}/32"),
                "dev",
                "lo",
            ],
        );
        assert!(out.status.success(), "{out:?}");
    }
    let out = lab.exec(
        Role::Dest,
        &["ip", "route", "add", "blackhole", "198.18.100.0/24"],
    );
    assert!(out.status.success(), "{out:?}");
}

fn lines_set(text: &str) -> BTreeSet<String> {
    text.lines()
        .map(|l| l.trim().to_string())
        .filter(|l| !l.is_empty())
        .collect()
}

fn need_tool(tool: &str) -> bool {
    // Installed by the harness when missing (Debian's package has the tool's name), never
    // assumed; still missing: skipped, or failed under CI=true.
    crate::lab::prerequisites::installed(&[tool], &[tool])
}

#[test]
fn a_sweep_finds_the_hosts_fping_and_nmap_find() {
    if !(need_tool("fping") && need_tool("nmap")) {
        return;
    }
    let lab = lab!(LabConfig::default());
    populate(&lab);
    let range = "198.18.100.0/27";
    let want: BTreeSet<String> = [1, 2, 3, 10, 11, 12, 13, 14, 15, 16, 17]
        .iter()
        .map(|n| format!("198.18.100.{n}"))
        .collect();

    let out = lab.netlab(&["ping", "-a", "-W", "500ms", range]);
    assert_eq!(
        out.status.code(),
        Some(1),
        "some are down: {}",
        stderr(&out)
    );
    assert_eq!(lines_set(&stdout(&out)), want);
    assert!(
        stderr(&out).contains("30 targets: 11 alive, 19 unreachable"),
        "{}",
        stderr(&out)
    );

    let out = lab.netlab(&["ping", "-u", "-W", "500ms", range]);
    let down = lines_set(&stdout(&out));
    assert_eq!(down.len(), 19);
    assert!(down.is_disjoint(&want));

    let fping = lab.exec(
        Role::Client,
        &["fping", "-a", "-q", "-r", "0", "-t", "500", "-g", range],
    );
    assert_eq!(lines_set(&stdout(&fping)), want, "fping: {fping:?}");

    let nmap = lab.exec(Role::Client, &["nmap", "-sn", "-n", "-oG", "-", range]);
    let up: BTreeSet<String> = stdout(&nmap)
        .lines()
        .filter(|l| l.contains("Status: Up"))
        .filter_map(|l| l.split_whitespace().nth(1).map(String::from))
        .collect();
    assert_eq!(up, want, "nmap -sn: {}", stdout(&nmap));
}

/// Per address: open ports, and the other ports by state.
type States = BTreeMap<String, BTreeMap<u16, String>>;

fn states_of_nmap(text: &str) -> States {
    let mut all = States::new();
    for line in text.lines().filter(|l| l.contains("Ports: ")) {
        let addr = line.split_whitespace().nth(1).unwrap().to_string();
        let ports = line
            .split("Ports: ")
            .nth(1)
            .unwrap()
            .split('\t')
            .next()
            .unwrap();
        for item in ports.split(", ") {
            let fields: Vec<&str> = item.split('/').collect();
            all.entry(addr.clone())
                .or_default()
                .insert(fields[0].parse().unwrap(), fields[1].to_string());
        }
    }
    all
}

#[test]
fn a_syn_scan_in_the_lab_matches_connect_and_nmap_and_probes_each_port_once() {
    if !need_tool("nmap") {
        return;
    }
    let lab = lab!(LabConfig::default());
    let ports = format!("7,22,80-{FILTERED_PORT},9999");
    let list: Vec<u16> = vec![7, 22, 80, 81, FILTERED_PORT, 9999];
    let targets = ["198.18.100.1-3"];
    let capture = lab.capture(Role::Dest, "tcp[tcpflags] & (tcp-syn|tcp-ack) == tcp-syn");
    let syn = lab.netlab(&[
        "connect", "--syn", "--json", "-w", "500ms", targets[0], "-p", &ports,
    ]);
    let (_, seen) = capture.stop();
    assert_eq!(syn.status.code(), Some(0), "{}", stderr(&syn));

    // The witness: each address and port once, the filtered port twice (one retry),
    // nothing to any other address.
    let mut count: BTreeMap<(String, u16), usize> = BTreeMap::new();
    for line in seen.lines() {
        // "... IP 198.18.0.1.40000 > 198.18.100.1.82: Flags [S], ..."
        let Some(dst) = line.split(" > ").nth(1).and_then(|r| r.split(':').next()) else {
            continue;
        };
        let (addr, port) = dst.rsplit_once('.').unwrap();
        *count
            .entry((addr.to_string(), port.parse().unwrap()))
            .or_default() += 1;
    }
    let mut want = BTreeMap::new();
    for host in 1..=3 {
        for &port in &list {
            want.insert(
                (format!("198.18.100.{host}"), port),
                if port == FILTERED_PORT { 2 } else { 1 },
            );
        }
    }
    assert_eq!(count, want, "{seen}");

    // The same states as the connect scan and nmap -sS.
    let by_address = |out: &std::process::Output| -> States {
        let doc = json(out);
        let mut all = States::new();
        for scan in doc["scans"].as_array().unwrap() {
            let addr = scan["address"].as_str().unwrap().to_string();
            let open: Vec<u64> = scan["open"]
                .as_array()
                .unwrap()
                .iter()
                .map(|p| p.as_u64().unwrap())
                .collect();
            for &port in &list {
                let state = if open.contains(&u64::from(port)) {
                    "open"
                } else if port == FILTERED_PORT {
                    "filtered"
                } else {
                    "closed"
                };
                all.entry(addr.clone())
                    .or_default()
                    .insert(port, state.to_string());
            }
            let closed = scan["closed"].as_u64().unwrap();
            let filtered = scan["filtered"].as_u64().unwrap();
            assert_eq!((closed, filtered), (2, 1), "{scan:#}");
        }
        all
    };
    let connect = lab.netlab(&["connect", "--json", "-w", "500ms", targets[0], "-p", &ports]);
    assert_eq!(by_address(&syn), by_address(&connect));
    let nmap = lab.exec(
        Role::Client,
        &[
            "nmap", "-sS", "-Pn", "-n", "-oG", "-", "-p", &ports, targets[0],
        ],
    );
    assert_eq!(
        by_address(&syn),
        states_of_nmap(&stdout(&nmap)),
        "nmap: {}",
        stdout(&nmap)
    );

    // An ICMP error from a router: unreachable, as the connect scan counts it, and named.
    // Every error comes, for both scans (the lab lifts the routers' ICMP rate limits).
    let prohibited = PROHIBITED_V4.to_string();
    let scan = |extra: &[&str]| {
        let mut args = vec![
            "connect",
            "--json",
            "-w",
            "500ms",
            &prohibited,
            "-p",
            "80,443-444",
        ];
        args.extend_from_slice(extra);
        json(&lab.netlab(&args))["scans"][0].clone()
    };
    let (s, c) = (scan(&["--syn"]), scan(&[]));
    for scan in [&s, &c] {
        assert_eq!(
            (
                scan["unreachable"].as_u64(),
                scan["filtered"].as_u64(),
                scan["closed"].as_u64(),
                scan["open"].as_array().map(Vec::len)
            ),
            (Some(3), Some(0), Some(0), Some(0)),
            "{scan:#}"
        );
    }
    assert_eq!(s["detail"], c["detail"]);
    let detail = s["detail"].as_str().unwrap_or_default();
    assert!(
        detail.starts_with("administratively prohibited from 198.18.")
            && detail.ends_with("(ICMP 3/13)"),
        "{s:#}"
    );
}

/// Sprays forged SYN-ACKs at every ephemeral port of the client (where the scan's source
/// port is), from the destination's namespace, `rounds` times: from a port never probed,
/// from an address outside the range, and for the filtered port with a wrong cookie.
const FORGER: &str = r#"
import socket, struct, random, sys
client = sys.argv[1]
rounds = int(sys.argv[2])
def csum(data):
    if len(data) % 2: data += b"\0"
    s = sum(struct.unpack("!%dH" % (len(data) // 2), data))
    while s >> 16: s = (s & 0xffff) + (s >> 16)
    return (~s) & 0xffff
def segment(src, sport, dport):
    ack = random.getrandbits(32)
    hdr = struct.pack("!HHIIBBHHH", sport, dport, random.getrandbits(32), ack, 0x50, 0x12, 64240, 0, 0)
    pseudo = socket.inet_aton(src) + socket.inet_aton(client) + struct.pack("!BBH", 0, 6, 20)
    return hdr[:16] + struct.pack("!H", csum(pseudo + hdr)) + hdr[18:]
socks = {}
for src in ("198.18.100.1", "198.18.100.53"):
    s = socket.socket(socket.AF_INET, socket.SOCK_RAW, socket.IPPROTO_TCP)
    s.bind((src, 0))
    socks[src] = s
sent = 0
for _ in range(rounds):
    for dport in range(32768, 61000):
        for src, sport in (("198.18.100.1", 8080), ("198.18.100.53", 80), ("198.18.100.1", 82)):
            socks[src].sendto(segment(src, sport, dport), (client, 0))
            sent += 1
print(sent)
"#;

#[test]
fn forged_syn_acks_on_the_wire_change_nothing() {
    let lab = lab!(LabConfig::default());
    let client = lab.client_v4().to_string();
    let witness = lab.capture(
        Role::Client,
        "tcp and (src port 8080 or src host 198.18.100.53)",
    );
    // A scan that lasts while the forgeries arrive: the filtered port waits 2 x 2 s.
    let scan = lab
        .netlab_command(&[
            "connect",
            "--syn",
            "--json",
            "-w",
            "2s",
            "198.18.100.1-3",
            "-p",
            "7,80-82",
        ])
        .output_in_background();
    let forger = lab.exec(Role::Dest, &["python3", "-c", FORGER, &client, "1"]);
    assert!(forger.status.success(), "{forger:?}");
    let out = scan.join().unwrap();
    let (arrived, _) = witness.stop();
    assert!(
        arrived > 10_000,
        "the forgeries reached the client: {arrived}"
    );
    assert_eq!(out.status.code(), Some(0), "{}", stderr(&out));
    let doc = json(&out);
    for scan in doc["scans"].as_array().unwrap() {
        assert_eq!(scan["open"], serde_json::json!([7, 80]), "{scan:#}");
        assert_eq!(
            (scan["closed"].as_u64(), scan["filtered"].as_u64()),
            (Some(1), Some(1)),
            "{scan:#}"
        );
    }
    let addresses: Vec<&str> = doc["scans"]
        .as_array()
        .unwrap()
        .iter()
        .map(|s| s["address"].as_str().unwrap())
        .collect();
    assert_eq!(addresses, ["198.18.100.1", "198.18.100.2", "198.18.100.3"]);
}

/// Runs a command on a thread, so something else can happen while it runs.
trait Background {
    fn output_in_background(self) -> std::thread::JoinHandle<std::process::Output>;
}

impl Background for std::process::Command {
    fn output_in_background(mut self) -> std::thread::JoinHandle<std::process::Output> {
        std::thread::spawn(move || self.output().expect("runs"))
    }
}

#[test]
fn ranges_in_a_target_file_are_swept_too() {
    let dir = tempfile::tempdir().unwrap();
    let file = dir.path().join("targets");
    std::fs::write(&file, "127.0.0.1-2   # two\n\n127.0.0.9/32\n").unwrap();
    let out = netlab(&["ping", "-a", "--file", file.to_str().unwrap()]);
    assert_eq!(out.status.code(), Some(0), "{}", stderr(&out));
    assert_eq!(
        lines_set(&stdout(&out)),
        ["127.0.0.1", "127.0.0.2", "127.0.0.9"]
            .iter()
            .map(|s| s.to_string())
            .collect()
    );
    std::fs::write(&file, "127.0.0.0/16\n").unwrap();
    let out = netlab(&[
        "ping",
        "--max-targets",
        "1000",
        "--file",
        file.to_str().unwrap(),
    ]);
    crate::util::assert_one_line_error(&out, "a range over --max-targets in a file");
    assert!(
        stderr(&out).contains("65534 addresses, more than --max-targets 1000"),
        "{}",
        stderr(&out)
    );
}

#[test]
fn ctrl_c_ends_a_syn_scan_with_what_it_found() {
    if !can_raw() {
        return;
    }
    let listener = TcpListener::bind("127.0.0.1:0").unwrap();
    let port = listener.local_addr().unwrap().port();
    // At 2000 SYNs a second all ports take half a minute; Ctrl-C comes after a second.
    let child = std::process::Command::new(env!("CARGO_BIN_EXE_netlab"))
        .args([
            "connect",
            "--syn",
            "--json",
            "--rate",
            "2000",
            "127.0.0.1",
            "-p",
        ])
        .arg(format!("{port},1-65535"))
        .stdout(std::process::Stdio::piped())
        .stderr(std::process::Stdio::piped())
        .spawn()
        .unwrap();
    std::thread::sleep(std::time::Duration::from_secs(1));
    let started = std::time::Instant::now();
    // SAFETY: signalling our own child.
    unsafe { libc::kill(child.id() as i32, libc::SIGINT) };
    let out = child.wait_with_output().unwrap();
    assert!(
        started.elapsed() < std::time::Duration::from_secs(2),
        "{:?}",
        started.elapsed()
    );
    assert_eq!(out.status.code(), Some(1), "{}", stderr(&out));
    let doc = json(&out);
    assert_eq!(doc["interrupted"], true, "{doc:#}");
    let scan = &doc["scans"][0];
    assert_eq!(scan["completed"], false);
    let scanned = scan["closed"].as_u64().unwrap() + scan["open"].as_array().unwrap().len() as u64;
    assert!(scanned > 500 && scanned < 65_535, "{scan:#}");
}

#[test]
fn an_ipv6_syn_scan_in_the_lab_matches_the_connect_scan() {
    let lab = lab!(LabConfig::default());
    let dest = lab.dest_v6().to_string();
    let ports = format!("7,22,80-{FILTERED_PORT},9999");
    let scan = |extra: &[&str]| {
        let mut args = vec!["connect", "--json", "-w", "500ms", &dest, "-p", &ports];
        args.extend_from_slice(extra);
        let out = lab.netlab(&args);
        assert_eq!(out.status.code(), Some(0), "{args:?}: {}", stderr(&out));
        let s = json(&out)["scans"][0].clone();
        (
            s["open"].clone(),
            s["closed"].clone(),
            s["filtered"].clone(),
            s["unreachable"].clone(),
        )
    };
    let syn = scan(&["--syn"]);
    assert_eq!(
        syn,
        (
            serde_json::json!([7, 80, 9999]),
            2.into(),
            1.into(),
            0.into()
        )
    );
    assert_eq!(syn, scan(&[]));
}
