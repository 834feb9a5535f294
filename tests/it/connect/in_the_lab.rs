//! `netlab connect` in the namespace lab, client — r1 — r2 — dest: open, closed,
//! filtered and ICMP-unreachable ports behind two routers, names from the lab's DNS,
//! and scans whose every port's state is known in advance.

use super::*;
use crate::lab::{
    lab, Lab, LabConfig, Role, CLOSED_PORT, ECHO_PORT, FILTERED_PORT, HTTP_PORT, HTTP_RESPONSE,
    WELCOME_PORT,
};

fn probes(doc: &Value) -> &Vec<Value> {
    doc["probes"].as_array().expect("a probes array")
}

fn probe_of<'a>(doc: &'a Value, address: &str, port: u16) -> &'a Value {
    probes(doc)
        .iter()
        .find(|p| p["address"] == address && p["port"] == port)
        .unwrap_or_else(|| panic!("no probe of {address} port {port} in {doc:#}"))
}

fn open_ports(scan: &Value) -> Vec<u64> {
    scan["open"]
        .as_array()
        .expect("an open array")
        .iter()
        .map(|p| p.as_u64().unwrap())
        .collect()
}

/// Prints a command's table output, for the README and for failures.
fn show(args: &[&str], out: &Output) {
    eprintln!(
        "$ netlab {}\n{}{}(exit {:?})",
        args.join(" "),
        stdout(out),
        stderr(out),
        out.status.code()
    );
}

#[test]
fn every_state_with_the_icmp_error_and_the_router_that_sent_it() {
    let lab = lab!(LabConfig::default());
    let dest = lab.dest_v4().to_string();
    let targets = [
        format!("{dest}:{HTTP_PORT}"),
        format!("{dest}:{CLOSED_PORT}"),
        format!("{dest}:{FILTERED_PORT}"),
        format!("{}:80", lab.unreachable_v4()),
        format!("{}:80", lab.prohibited_v4()),
        format!("[{}]:80", lab.unreachable_v6()),
        format!("[{}]:80", lab.prohibited_v6()),
    ];
    let mut args = vec!["connect", "-w", "500ms"];
    args.extend(targets.iter().map(String::as_str));
    let table = lab.netlab(&args);
    show(&args, &table);
    assert_eq!(table.status.code(), Some(1));

    args.push("--json");
    let out = lab.netlab(&args);
    assert_eq!(out.status.code(), Some(1), "{}", stderr(&out));
    let doc = json(&out);
    let r4 = lab.unreachable_reporter_v4();
    let r6 = lab.unreachable_reporter_v6();
    let expected = [
        (dest.clone(), HTTP_PORT, "open", None),
        (dest.clone(), CLOSED_PORT, "closed", None),
        (dest.clone(), FILTERED_PORT, "filtered", None),
        (
            lab.unreachable_v4().to_string(),
            80,
            "unreachable",
            Some(format!("host unreachable from {r4} (ICMP 3/1)")),
        ),
        (
            lab.prohibited_v4().to_string(),
            80,
            "unreachable",
            Some(format!("administratively prohibited from {r4} (ICMP 3/13)")),
        ),
        (
            lab.unreachable_v6().to_string(),
            80,
            "unreachable",
            Some(format!("no route to destination from {r6} (ICMPv6 1/0)")),
        ),
        (
            lab.prohibited_v6().to_string(),
            80,
            "unreachable",
            Some(format!(
                "administratively prohibited from {r6} (ICMPv6 1/1)"
            )),
        ),
    ];
    for (address, port, state, detail) in expected {
        let probe = probe_of(&doc, &address, port);
        assert_eq!(probe["state"], state, "{probe}");
        assert_eq!(probe["detail"].as_str(), detail.as_deref(), "{probe}");
        assert_eq!(probe["protocol"], "tcp");
        match state {
            "filtered" => assert!(probe["time_ms"].is_null(), "{probe}"),
            _ => assert!(probe["time_ms"].as_f64().unwrap() > 0.0, "{probe}"),
        }
    }
    // The text table says the same, in the same words.
    let text = stdout(&table);
    assert!(
        row(&text, &lab.prohibited_v4().to_string())
            .contains(&format!("administratively prohibited from {r4}")),
        "{text}"
    );
}

#[test]
fn every_address_of_a_name_is_probed_unless_a_family_is_chosen() {
    let lab = lab!(LabConfig::default());
    let (v4, v6) = (lab.dest_v4().to_string(), lab.dest_v6().to_string());
    let args = ["connect", "www.netlab.test:80"];
    let out = lab.netlab(&args);
    show(&args, &out);
    assert_eq!(out.status.code(), Some(0));
    let text = stdout(&out);
    assert!(row(&text, &v4).contains("open"), "{text}");
    assert!(row(&text, &v6).contains("open"), "{text}");

    // The search domain applies as getaddrinfo applies it.
    let doc = json(&lab.netlab(&["connect", "--json", "www:80"]));
    let addresses: Vec<&str> = probes(&doc)
        .iter()
        .map(|p| p["address"].as_str().unwrap())
        .collect();
    assert_eq!(addresses.len(), 2, "{doc:#}");
    assert!(addresses.contains(&v4.as_str()) && addresses.contains(&v6.as_str()));
    assert!(probes(&doc).iter().all(|p| p["target"] == "www"));

    for (flag, only) in [("-4", &v4), ("-6", &v6)] {
        let doc = json(&lab.netlab(&["connect", "--json", flag, "www", "-p", "80,81"]));
        let seen: Vec<(&str, u64)> = probes(&doc)
            .iter()
            .map(|p| (p["address"].as_str().unwrap(), p["port"].as_u64().unwrap()))
            .collect();
        assert_eq!(seen, [(only.as_str(), 80), (only.as_str(), 81)], "{flag}");
    }
    // One open and one closed: exit 1; the v4-only name under -6 is a resolver error.
    let out = lab.netlab(&["connect", "-4", "www", "-p", "80,81"]);
    assert_eq!(out.status.code(), Some(1));
    let out = lab.netlab(&["connect", "-6", "v4only.netlab.test:80"]);
    assert_one_line_error(&out, "-6 for a name with only an A record");
    assert!(stderr(&out).contains("no IPv6 address"), "{}", stderr(&out));
}

#[test]
fn a_name_that_does_not_resolve_is_exit_2() {
    let lab = lab!(LabConfig::default());
    let out = lab.netlab(&["connect", "nxdomain.netlab.test:80"]);
    assert_one_line_error(&out, "NXDOMAIN");
    assert!(
        stderr(&out).starts_with("netlab: resolving 'nxdomain.netlab.test': "),
        "{}",
        stderr(&out)
    );
}

#[test]
fn count_repeats_and_ends_with_statistics() {
    let lab = lab!(LabConfig::default());
    let args = ["connect", "-c", "3", "-i", "0.2", "www.netlab.test:80"];
    let out = lab.netlab(&args);
    show(&args, &out);
    assert_eq!(out.status.code(), Some(0));
    let doc = json(&lab.netlab(&[
        "connect",
        "--json",
        "-c",
        "3",
        "-i",
        "0.05",
        "www.netlab.test:80",
    ]));
    assert_eq!(probes(&doc).len(), 6, "3 rounds of 2 addresses");
    let stats = doc["statistics"].as_array().unwrap();
    assert_eq!(stats.len(), 2);
    for s in stats {
        assert_eq!((s["sent"].as_u64(), s["open"].as_u64()), (Some(3), Some(3)));
        assert_eq!(s["loss_percent"], 0.0);
        let (min, avg, max) = (
            s["min_ms"].as_f64().unwrap(),
            s["avg_ms"].as_f64().unwrap(),
            s["max_ms"].as_f64().unwrap(),
        );
        assert!(0.0 < min && min <= avg && avg <= max, "{s}");
    }
    let filtered = lab.netlab(&[
        "connect",
        "--json",
        "-c",
        "2",
        "-i",
        "0.1",
        "-w",
        "200ms",
        &format!("{}:{FILTERED_PORT}", lab.dest_v4()),
    ]);
    assert_eq!(filtered.status.code(), Some(1));
    assert_eq!(json(&filtered)["statistics"][0]["failed"], 2);
}

#[test]
fn conversations_with_the_welcome_echo_and_http_services() {
    let lab = lab!(LabConfig::default());
    let welcome = format!("www.netlab.test:{WELCOME_PORT}");
    let args = [
        "connect",
        welcome.as_str(),
        "--send",
        r"alice\n",
        "--expect",
        "welcome alice",
    ];
    let out = lab.netlab(&args);
    show(&args, &out);
    assert_eq!(out.status.code(), Some(0));
    for p in probes(&json(&lab.netlab(&[&args[..], &["--json"]].concat()))) {
        assert_eq!(p["answer"], r"welcome alice\n", "{p}");
        assert_eq!(p["expect_matched"], true);
    }

    let mismatch = lab.netlab(&["connect", &welcome, "--send", "bob", "--expect", "alice"]);
    assert_eq!(mismatch.status.code(), Some(1), "a mismatch exits 1");
    assert!(stdout(&mismatch).contains("expect: NOT matched"));

    let echo = format!("{}:{ECHO_PORT}", lab.dest_v4());
    let args = [
        "connect",
        &echo,
        "--send",
        "Hello, world",
        "--expect",
        "Hello, world",
    ];
    let out = lab.netlab(&args);
    show(&args, &out);
    assert_eq!(out.status.code(), Some(0));

    let http = format!("[{}]:{HTTP_PORT}", lab.dest_v6());
    let out = lab.netlab(&[
        "connect",
        "--json",
        &http,
        "--send",
        r"GET / HTTP/1.0\r\n\r\n",
        "--expect-regex",
        r"^HTTP/1\.[01] 200 ",
    ]);
    assert_eq!(out.status.code(), Some(0), "{}", stderr(&out));
    let probe = &json(&out)["probes"][0];
    let escaped = String::from_utf8_lossy(HTTP_RESPONSE)
        .replace('\r', r"\r")
        .replace('\n', r"\n");
    // The regex matched as soon as the status line was in; the server sends the whole
    // response in one write, so the whole of it is there.
    assert_eq!(probe["answer"], escaped.as_str());
}

#[test]
fn udp_open_closed_and_open_filtered() {
    let lab = lab!(LabConfig::default());
    let ports = format!("{ECHO_PORT},{CLOSED_PORT},{FILTERED_PORT}");
    let args = [
        "connect",
        "-u",
        "-w",
        "500ms",
        "--send",
        "Hello, world",
        "www",
        "-p",
        &ports,
    ];
    let out = lab.netlab(&args);
    show(&args, &out);
    assert_eq!(out.status.code(), Some(1));
    let doc = json(&lab.netlab(&[&args[..], &["--json"]].concat()));
    for (address, closed_detail) in [
        (
            lab.dest_v4().to_string(),
            format!("port unreachable from {} (ICMP 3/3)", lab.dest_v4()),
        ),
        (
            lab.dest_v6().to_string(),
            format!("port unreachable from {} (ICMPv6 1/4)", lab.dest_v6()),
        ),
    ] {
        let echo = probe_of(&doc, &address, ECHO_PORT);
        assert_eq!(echo["state"], "open");
        assert_eq!(echo["answer"], "Hello, world");
        let closed = probe_of(&doc, &address, CLOSED_PORT);
        assert_eq!(closed["state"], "closed");
        assert_eq!(closed["detail"], closed_detail.as_str());
        let filtered = probe_of(&doc, &address, FILTERED_PORT);
        assert_eq!(filtered["state"], "open_filtered");
    }
}

#[test]
fn a_range_scan_lists_exactly_the_open_ports_on_every_address() {
    let lab = lab!(LabConfig::default());
    let args = ["connect", "www", "-p", "1-1024"];
    let out = lab.netlab(&args);
    show(&args, &out);
    assert_eq!(out.status.code(), Some(0));
    let doc = json(&lab.netlab(&["connect", "--json", "www", "-p", "1-1024"]));
    let scans = doc["scans"].as_array().unwrap();
    assert_eq!(scans.len(), 2, "one scan per address");
    for scan in scans {
        assert_eq!(
            open_ports(scan),
            [ECHO_PORT as u64, HTTP_PORT as u64],
            "{scan}"
        );
        assert_eq!(scan["filtered"], 1, "port {FILTERED_PORT}: {scan}");
        assert_eq!(scan["closed"], 1024 - 3);
        assert_eq!(scan["unreachable"], 0);
    }
}

#[test]
fn a_filtered_port_costs_one_timeout_not_two() {
    let lab = lab!(LabConfig::default());
    // Port 82 is dropped. Its first try waits only as long as the round trips of the
    // ports before it say (100 ms here); only the second try waits the full 3 s.
    let out = lab.netlab(&[
        "connect",
        "--json",
        "-w",
        "3s",
        &lab.dest_v4().to_string(),
        "-p",
        "1-200",
    ]);
    assert_eq!(out.status.code(), Some(0), "{}", stderr(&out));
    let scan = &json(&out)["scans"][0];
    assert_eq!(scan["filtered"], 1, "{scan}");
    assert_eq!(open_ports(scan), [ECHO_PORT as u64, HTTP_PORT as u64]);
    let elapsed = scan["elapsed_ms"].as_f64().unwrap();
    // The bounds are the claim's own, not a guess at this machine's speed: no scan
    // with a filtered port ends before one full timeout (3 s), and two full timeouts
    // would take 6 s at least; the short first try and 200 ports fit in between
    // with seconds to spare on a loaded machine.
    assert!(
        (3000.0..6000.0).contains(&elapsed),
        "one full timeout plus a short first try, not two: {elapsed} ms"
    );
}

fn assert_full_scan(lab: &Lab, scan: &Value) {
    assert_eq!(scan["ports"], 65535);
    assert_eq!(
        open_ports(scan),
        [ECHO_PORT as u64, HTTP_PORT as u64, WELCOME_PORT as u64],
        "{scan}"
    );
    assert_eq!(scan["filtered"], 1, "{scan}");
    assert_eq!(scan["closed"], 65535 - 4, "{scan}");
    assert_eq!(scan["completed"], true);
    assert_eq!(scan["address"], lab.dest_v4().to_string());
}

#[test]
fn a_full_scan_of_the_destination_is_exact() {
    let lab = lab!(LabConfig::default());
    let dest = lab.dest_v4().to_string();
    let args = ["connect", "-p-", dest.as_str()];
    let started = Instant::now();
    let out = lab.netlab(&args);
    show(&args, &out);
    eprintln!("full scan took {:?}", started.elapsed());
    assert_eq!(out.status.code(), Some(0));
    let out = lab.netlab(&["connect", "--json", "-p-", &dest]);
    assert_full_scan(&lab, &json(&out)["scans"][0]);
}

#[test]
fn a_full_scan_under_a_low_open_file_limit_is_exact() {
    let lab = lab!(LabConfig::default());
    let dest = lab.dest_v4().to_string();
    for extra in ["", "--concurrency 4000"] {
        let script = format!("ulimit -n 256 && exec {NETLAB} connect --json -p- {extra} {dest}");
        let out = lab.run(lab.command(Role::Client, "sh").args(["-c", &script]));
        assert_eq!(out.status.code(), Some(0), "{script}: {}", stderr(&out));
        let scan = &json(&out)["scans"][0];
        assert_full_scan(&lab, scan);
        assert!(scan["concurrency"].as_u64().unwrap() <= 256, "{scan}");
        if extra.is_empty() {
            assert!(stderr(&out).is_empty(), "{}", stderr(&out));
        } else {
            assert!(
                stderr(&out).contains("--concurrency 4000 lowered to"),
                "{}",
                stderr(&out)
            );
        }
    }
}

#[test]
fn a_scan_of_an_unreachable_network_names_the_router() {
    let lab = lab!(LabConfig::default());
    let v6 = lab.netlab(&[
        "connect",
        "--json",
        &lab.prohibited_v6().to_string(),
        "-p",
        "1-50",
    ]);
    assert_eq!(v6.status.code(), Some(1), "nothing open");
    let scan = &json(&v6)["scans"][0];
    assert_eq!(scan["unreachable"], 50, "{scan}");
    assert_eq!(
        scan["detail"],
        format!(
            "administratively prohibited from {} (ICMPv6 1/1)",
            lab.unreachable_reporter_v6()
        )
        .as_str()
    );

    // IPv4 too: every port's error comes, none is lost to a rate limit (the lab's router
    // rejects with iptables, whose ICMP errors the lab unlimits; see lab/topology.rs).
    let v4 = lab.netlab(&[
        "connect",
        "--json",
        "-w",
        "300ms",
        &lab.prohibited_v4().to_string(),
        "-p",
        "1-50",
    ]);
    assert_eq!(v4.status.code(), Some(1), "nothing open");
    let scan = &json(&v4)["scans"][0];
    assert_eq!(scan["unreachable"], 50, "{scan}");
    assert_eq!(scan["filtered"], 0, "{scan}");
    assert_eq!(
        scan["detail"],
        format!(
            "administratively prohibited from {} (ICMP 3/13)",
            lab.unreachable_reporter_v4()
        )
        .as_str()
    );
}

/// `Icmp: InDestUnreachs` of the client namespace's kernel (/proc/net/snmp).
fn dest_unreachables_received(lab: &crate::lab::Lab) -> u64 {
    let out = lab.exec(crate::lab::Role::Client, &["cat", "/proc/net/snmp"]);
    let text = String::from_utf8_lossy(&out.stdout).into_owned();
    let rows: Vec<Vec<&str>> = text
        .lines()
        .filter(|l| l.starts_with("Icmp: "))
        .map(|l| l.split_whitespace().collect())
        .collect();
    assert_eq!(rows.len(), 2, "{text}");
    let column = rows[0]
        .iter()
        .position(|h| *h == "InDestUnreachs")
        .unwrap_or_else(|| panic!("{text}"));
    rows[1][column].parse().unwrap_or_else(|_| panic!("{text}"))
}

#[test]
fn ctrl_c_ends_a_scan_with_what_it_found() {
    let lab = lab!(LabConfig::default());
    // The router answers ports 1-5 with ICMP errors and drops the rest silently (a rule
    // before its REJECT): the rest of the scan waits out its 5 s timeouts until Ctrl-C.
    let prohibited = lab.prohibited_v4().to_string();
    let drop = lab.exec(
        Role::Router(lab.routers()),
        &[
            "iptables",
            "-I",
            "FORWARD",
            "1",
            "-d",
            &prohibited,
            "-p",
            "tcp",
            "--dport",
            "6:65535",
            "-j",
            "DROP",
        ],
    );
    assert!(drop.status.success(), "{drop:?}");
    let before = dest_unreachables_received(&lab);
    let child = lab
        .netlab_command(&["connect", "--json", "-w", "5s", &prohibited, "-p", "1-1000"])
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap();
    // Ready when the handler is in, the client's kernel has received the first 5
    // ICMP errors, and netlab has handled them (all its threads asleep again).
    crate::util::wait_for_handler(child.id(), libc::SIGINT);
    let deadline = Instant::now() + Duration::from_secs(20);
    while dest_unreachables_received(&lab) < before + 5 {
        assert!(
            Instant::now() < deadline,
            "fewer than 5 ICMP errors arrived"
        );
        thread::sleep(Duration::from_millis(10));
    }
    crate::util::wait_until_idle(child.id());
    // SAFETY: kill(2) on our own child's pid (`ip netns exec` execs netlab).
    assert_eq!(unsafe { libc::kill(child.id() as i32, libc::SIGINT) }, 0);
    let started = Instant::now();
    let out = child.wait_with_output().unwrap();
    assert!(started.elapsed() < Duration::from_secs(2), "stops promptly");
    assert_eq!(out.status.code(), Some(1), "{}", stderr(&out));
    let doc = json(&out);
    assert_eq!(doc["interrupted"], true);
    let scan = &doc["scans"][0];
    assert_eq!(scan["completed"], false);
    let unreachable = scan["unreachable"].as_u64().unwrap();
    assert_eq!(unreachable, 5, "the answers before Ctrl-C are kept: {scan}");
    assert!(
        unreachable + scan["filtered"].as_u64().unwrap() < 1000,
        "{scan}"
    );
}

#[test]
fn every_port_of_a_prohibited_host_is_unreachable_never_filtered() {
    // In the lab every ICMP error for a SYN reaches the client socket while connect()
    // still holds it (the client's TcpExtLockDroppedIcmps counts one per port): Linux
    // then keeps the error soft (sk_err_soft) and queues the report; SO_ERROR returns
    // that soft error, and connect must take it as the answer. 300 ports at once, three
    // times, must all come back unreachable with the router's ICMP error, none filtered.
    // IPv4 and IPv6: the lab's router rejects with iptables, whose errors the lab
    // unlimits (a route of type `prohibit` answered 5, then 1 a second; lab/topology.rs).
    let lab = lab!(LabConfig::default());
    let ports = 300;
    for address in [
        lab.prohibited_v4().to_string(),
        lab.unreachable_v4().to_string(),
        lab.prohibited_v6().to_string(),
        lab.unreachable_v6().to_string(),
    ] {
        for _ in 0..3 {
            let range = format!("1-{ports}");
            let args = ["connect", "--json", "-w", "500ms", &address, "-p", &range];
            let out = lab.netlab(&args);
            assert_eq!(out.status.code(), Some(1), "{}", stderr(&out));
            let scan = &json(&out)["scans"][0];
            assert_eq!(scan["filtered"], 0, "{address}: {scan}");
            assert_eq!(scan["unreachable"], ports, "{address}: {scan}");
        }
    }
}
