//! `netlab trace` in the namespace lab: exact hops for every method and both families,
//! silent routers, unprivileged probing, unreachable and filtered destinations, the
//! address check, and the JSON document's exact fields.

use std::collections::BTreeSet;
use std::net::IpAddr;
use std::process::Output;
use std::time::{Duration, Instant};

use serde_json::Value;

use crate::lab::{lab, LabConfig, LabelEntry, Role, FILTERED_PORT, NOBODY};
use crate::util::{assert_one_line_error, json, netlab, stderr, stdout};

/// The responders of every hop, in TTL order (an empty list for a silent hop).
fn hop_addrs(doc: &Value) -> Vec<Vec<String>> {
    doc["hops"]
        .as_array()
        .expect("hops array")
        .iter()
        .map(|h| {
            h["responders"]
                .as_array()
                .expect("responders")
                .iter()
                .map(|r| r["address"].as_str().expect("address").to_string())
                .collect()
        })
        .collect()
}

/// What a trace of the lab's destination must show: routers 1..=N at their client-facing
/// addresses (silent ones empty), then the destination.
fn expected_path(lab: &crate::lab::Lab, v6: bool, silent: &[usize]) -> Vec<Vec<String>> {
    let mut hops: Vec<Vec<String>> = (1..=lab.routers())
        .map(|i| {
            if silent.contains(&i) {
                vec![]
            } else if v6 {
                vec![lab.hop_v6(i).to_string()]
            } else {
                vec![lab.hop_v4(i).to_string()]
            }
        })
        .collect();
    hops.push(vec![if v6 {
        lab.dest_v6().to_string()
    } else {
        lab.dest_v4().to_string()
    }]);
    hops
}

pub(crate) fn context(args: &[&str], out: &Output) -> String {
    format!(
        "netlab {args:?} (exit {:?})\nstdout:\n{}\nstderr:\n{}",
        out.status.code(),
        stdout(out),
        stderr(out)
    )
}

#[test]
fn every_method_gives_traceroutes_hops_on_a_five_router_path_v4_and_v6() {
    let lab = lab!(LabConfig::default()
        .routers(5)
        .link_delay(Duration::from_millis(2))
        .silent_router(3));
    // ICMP datagram sockets for the unprivileged run below.
    lab.sysctl(Role::Client, "net.ipv4.ping_group_range", "0 2147483647");
    for v6 in [false, true] {
        let dest = if v6 {
            lab.dest_v6().to_string()
        } else {
            lab.dest_v4().to_string()
        };
        let expected = expected_path(&lab, v6, &[3]);
        for method in ["-U", "-I", "-T"] {
            let args = ["trace", "-n", "--json", method, dest.as_str()];
            let started = Instant::now();
            let out = lab.netlab(&args);
            let took = started.elapsed();
            let ctx = context(&args, &out);
            assert_eq!(out.status.code(), Some(0), "{ctx}");
            let doc = json(&out);
            assert_eq!(hop_addrs(&doc), expected, "{ctx}");
            assert_eq!(doc["reached"], true, "{ctx}");
            assert_eq!(doc["hops_to_destination"], 6, "{ctx}");
            assert_eq!(doc["address_check"]["matches"], true, "{ctx}");
            assert_eq!(doc["address_check"]["last_hop"], dest.as_str(), "{ctx}");
            // The silent router's probes are all timeouts.
            let silent = &doc["hops"][2]["probes"];
            assert_eq!(silent.as_array().unwrap().len(), 3, "{ctx}");
            assert!(
                silent
                    .as_array()
                    .unwrap()
                    .iter()
                    .all(|p| p["kind"] == "timeout" && p["rtt_ms"].is_null()),
                "{ctx}"
            );
            // Not a timing assertion: a bound far above the adaptive waits (< 0.3 s here)
            // and far below traceroute's fixed multi-second graces.
            assert!(took < Duration::from_secs(5), "{ctx}\ntook {took:?}");
        }
        // Unprivileged, as nobody: UDP through IP_RECVERR, ICMP through datagram sockets.
        for method in ["-U", "-I", "-T"] {
            let args = ["trace", "-n", "--json", method, dest.as_str()];
            let out = lab.netlab_as(NOBODY, &args);
            let ctx = format!("as nobody: {}", context(&args, &out));
            assert_eq!(out.status.code(), Some(0), "{ctx}");
            assert_eq!(hop_addrs(&json(&out)), expected, "{ctx}");
        }
    }
}

/// The `mpls` arrays of every probe, hop by hop.
fn mpls_of_probes(doc: &Value) -> Vec<Vec<Value>> {
    doc["hops"]
        .as_array()
        .expect("hops array")
        .iter()
        .map(|h| {
            h["probes"]
                .as_array()
                .expect("probes")
                .iter()
                .map(|p| p["mpls"].clone())
                .collect()
        })
        .collect()
}

/// RFC 4950 end to end: router 2 reports an MPLS label stack (the lab's forwarder plays
/// it; Linux routers never append ICMP extensions). As root a raw ICMP socket listens
/// and sees whole messages: exactly that hop shows exactly the configured stack, in the
/// rows and in JSON, for every method and both families. Unprivileged UDP reads the
/// error queue, which returns no extensions: the hop is right, without labels (the
/// documented limitation).
#[test]
fn an_mpls_routers_label_stack_shows_on_its_hop_only_v4_and_v6() {
    let labels = [
        LabelEntry::new(24001, 0, false, 1),
        LabelEntry::new(0xfffff, 5, true, 254),
    ];
    let lab = lab!(LabConfig::default()
        .routers(3)
        .link_delay(Duration::from_millis(2))
        .mpls_router(2, &labels));
    let stack = serde_json::json!([
        { "label": 24001, "exp": 0, "bottom": false, "ttl": 1 },
        { "label": 1048575, "exp": 5, "bottom": true, "ttl": 254 },
    ]);
    // The stack on one line of its own under the hop (entries share a line while it
    // stays within 80 columns), then the next hop.
    let rows = [
        "[MPLS: L=24001 E=0 S=0 T=1] [MPLS: L=1048575 E=5 S=1 T=254]",
        "3",
    ];
    let none = Value::Array(vec![]);
    for v6 in [false, true] {
        let dest = if v6 {
            lab.dest_v6().to_string()
        } else {
            lab.dest_v4().to_string()
        };
        let expected = expected_path(&lab, v6, &[]);
        for method in ["-U", "-I", "-T"] {
            let args = ["trace", "-n", "--json", method, dest.as_str()];
            let out = lab.netlab(&args);
            let ctx = context(&args, &out);
            assert_eq!(out.status.code(), Some(0), "{ctx}");
            let doc = json(&out);
            assert_eq!(hop_addrs(&doc), expected, "{ctx}");
            let mpls = mpls_of_probes(&doc);
            assert_eq!(mpls.len(), 4, "{ctx}");
            for (hop, probes) in mpls.iter().enumerate() {
                let want = if hop == 1 { &stack } else { &none };
                assert_eq!(probes.len(), 3, "{ctx}");
                assert!(
                    probes.iter().all(|m| m == want),
                    "hop {}: {probes:?}\n{ctx}",
                    hop + 1
                );
            }
            assert!(
                doc["hops"][1]["probes"]
                    .as_array()
                    .unwrap()
                    .iter()
                    .all(|p| p["kind"] == "time_exceeded"),
                "{ctx}"
            );
        }
        // The row: the hop's address, then one line per entry, outermost first.
        let args = ["trace", "-n", dest.as_str()];
        let out = lab.netlab(&args);
        let ctx = context(&args, &out);
        assert_eq!(out.status.code(), Some(0), "{ctx}");
        let text = stdout(&out);
        let lines: Vec<&str> = text.lines().collect();
        assert!(lines[0].ends_with(", MPLS labels on"), "{ctx}");
        let hop2 = lines
            .iter()
            .position(|l| l.split_whitespace().next() == Some("2"))
            .unwrap_or_else(|| panic!("no row for hop 2\n{ctx}"));
        let hop2_addr = if v6 {
            lab.hop_v6(2).to_string()
        } else {
            lab.hop_v4(2).to_string()
        };
        assert_eq!(
            lines[hop2].split_whitespace().nth(1),
            Some(hop2_addr.as_str()),
            "{ctx}"
        );
        assert_eq!(
            lines[hop2 + 1..hop2 + 3]
                .iter()
                .map(|l| l.split("  ").find(|w| !w.is_empty()).unwrap_or("").trim())
                .collect::<Vec<_>>(),
            rows,
            "{ctx}"
        );
        assert_eq!(text.matches("[MPLS:").count(), 2, "{ctx}");

        // Unprivileged: the error queue gives the hop, not the labels.
        for args in [
            ["trace", "-n", "--json", dest.as_str()].as_slice(),
            ["trace", "-n", dest.as_str()].as_slice(),
        ] {
            let out = lab.netlab_as(NOBODY, args);
            let ctx = format!("as nobody: {}", context(args, &out));
            assert_eq!(out.status.code(), Some(0), "{ctx}");
            if args.contains(&"--json") {
                let doc = json(&out);
                assert_eq!(hop_addrs(&doc), expected, "{ctx}");
                let mpls = mpls_of_probes(&doc);
                assert!(mpls.iter().flatten().all(|m| *m == none), "{ctx}");
            } else {
                let text = stdout(&out);
                assert!(!text.contains("MPLS"), "{ctx}");
                assert!(text.contains(&format!(" {hop2_addr} ")), "{ctx}");
            }
        }
    }
}

/// One TCP SYN to the destination's port as tcpdump printed it.
#[derive(Debug)]
struct SeenSyn {
    src: String,
    sport: u16,
    seq: u32,
}

/// Parses a tcpdump `-nn` line of a SYN (`... IP 198.18.0.1.40000 > 198.18.5.2.80: Flags
/// [S], seq 123, ...`; `IP6` likewise); None for anything else.
fn parse_syn(line: &str) -> Option<SeenSyn> {
    if !line.contains("Flags [S],") {
        return None;
    }
    let (before, _) = line.split_once(" > ")?;
    let (src, sport) = before.rsplit(' ').next()?.rsplit_once('.')?;
    let seq = line.split_once(", seq ")?.1.split(',').next()?;
    Some(SeenSyn {
        src: src.to_string(),
        sport: sport.parse().ok()?,
        seq: seq.parse().ok()?,
    })
}

/// Runs `netlab args` (as root, or as `uid`) while tcpdump on router 1 watches the SYNs
/// that arrive there for the destination's `port`, and returns both. The capture ends
/// with a marker: a connection this test opens after the trace exited, whose SYN crosses
/// router 1 after every probe, so no probe can still be in flight or in a buffer.
fn trace_with_syns_at_router_1(
    lab: &crate::lab::Lab,
    v6: bool,
    port: u16,
    uid: Option<u32>,
    args: &[&str],
) -> (Output, Vec<SeenSyn>) {
    use std::io::{BufRead, BufReader};
    use std::process::Stdio;
    let dest: IpAddr = if v6 {
        lab.dest_v6().into()
    } else {
        lab.dest_v4().into()
    };
    let filter = format!("tcp and dst host {dest} and dst port {port}");
    let mut child = lab
        .command(Role::Router(1), "tcpdump")
        .args(["-i", "any", "-Q", "in", "-nn", "-l", "--immediate-mode"])
        // A short snap length: libpcap's ring then holds thousands of packets, not the 8
        // of a 256 KiB snap, and a burst of probes on a busy machine is not dropped.
        .args(["-s", "128"])
        .arg(&filter)
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .expect("tcpdump runs");
    // `ip netns exec` execs tcpdump: this pid is tcpdump's.
    let pid = child.id() as libc::pid_t;
    let stop = |child: &mut std::process::Child| {
        // SAFETY: kill on the pid of a child we spawned and have not reaped.
        unsafe { libc::kill(pid, libc::SIGTERM) };
        let _ = child.wait();
    };
    let mut stderr_lines = BufReader::new(child.stderr.take().unwrap()).lines();
    let mut said = Vec::new();
    loop {
        match stderr_lines.next() {
            Some(Ok(line)) if line.contains("listening on") => break,
            Some(Ok(line)) => said.push(line),
            _ => {
                stop(&mut child);
                panic!("tcpdump did not start capturing: {said:?}");
            }
        }
    }
    let lines_rx = crate::util::lines_of(child.stdout.take().unwrap());
    let out = lab.netlab_maybe_as(uid, args);
    let marker_port = lab.in_ns(Role::Client, || {
        let stream = std::net::TcpStream::connect_timeout(
            &std::net::SocketAddr::new(dest, crate::lab::HTTP_PORT),
            Duration::from_secs(10),
        );
        let stream = stream.expect("the marker connection to the destination's port 80");
        stream.local_addr().unwrap().port()
    });
    assert_eq!(port, crate::lab::HTTP_PORT, "the marker goes to port 80");
    let mut syns = Vec::new();
    let deadline = Instant::now() + Duration::from_secs(20);
    let mut lines = Vec::new();
    loop {
        let left = deadline.saturating_duration_since(Instant::now());
        let Ok(line) = lines_rx.recv_timeout(left) else {
            stop(&mut child);
            panic!("tcpdump never showed the marker SYN from port {marker_port}: {lines:#?}");
        };
        match parse_syn(&line) {
            Some(syn) if syn.sport == marker_port => break,
            Some(syn) => syns.push(syn),
            None => {}
        }
        lines.push(line);
    }
    stop(&mut child);
    (out, syns)
}

/// Paris traceroute for TCP: with CAP_NET_RAW every SYN of a trace leaves from one source
/// port (the probe's identity is its sequence number), as a capture on the first router
/// shows; without privilege, -T still works through one connect() per probe, each with
/// its own port (the documented limitation, seen by the same capture).
#[test]
fn tcp_traces_as_root_keep_one_source_port_for_every_syn_v4_and_v6() {
    let lab = lab!(LabConfig::default()
        .routers(5)
        .link_delay(Duration::from_millis(2))
        .silent_router(3));
    for v6 in [false, true] {
        let (dest, client) = if v6 {
            (lab.dest_v6().to_string(), lab.client_v6().to_string())
        } else {
            (lab.dest_v4().to_string(), lab.client_v4().to_string())
        };
        let expected = expected_path(&lab, v6, &[3]);
        let args = ["trace", "-n", "--json", "-T", "-p", "80", dest.as_str()];
        for uid in [None, Some(NOBODY)] {
            let (out, syns) = trace_with_syns_at_router_1(&lab, v6, 80, uid, &args);
            let ctx = format!("as {uid:?}: {}\nSYNs: {syns:#?}", context(&args, &out));
            assert_eq!(out.status.code(), Some(0), "{ctx}");
            let doc = json(&out);
            assert_eq!(hop_addrs(&doc), expected, "{ctx}");
            assert_eq!(doc["reached"], true, "{ctx}");
            assert_eq!(doc["hops_to_destination"], 6, "{ctx}");
            // Every query of the destination's row answered: on an open port, a SYN that
            // arrives while an earlier one's handshake is half-open gets a RST for itself.
            let last = doc["hops"][5]["probes"].as_array().unwrap();
            assert!(last.iter().all(|p| p["kind"] == "reached"), "{ctx}");
            let sent = doc["hops"]
                .as_array()
                .unwrap()
                .iter()
                .map(|h| h["probes"].as_array().unwrap().len())
                .sum::<usize>();
            // Every probe of every row crossed router 1 (a TTL-1 probe arrives there too);
            // more may have been sent beyond the destination, within the window.
            assert!(syns.len() >= sent && sent == 18, "{ctx}");
            assert!(syns.iter().all(|s| s.src == client), "{ctx}");
            let ports: BTreeSet<u16> = syns.iter().map(|s| s.sport).collect();
            let seqs: BTreeSet<u32> = syns.iter().map(|s| s.seq).collect();
            if uid.is_none() {
                assert_eq!(ports.len(), 1, "one flow for the whole trace: {ctx}");
                assert_eq!(seqs.len(), syns.len(), "one sequence per probe: {ctx}");
            } else {
                // One connect() per probe, each from its own port (a SYN the kernel
                // retransmits keeps its socket's port, so this is not an equality).
                assert!(ports.len() > 1, "one connect() per probe: {ctx}");
            }
        }
        // A closed port answers with RST: reached too, as traceroute -T says.
        let port = crate::lab::CLOSED_PORT.to_string();
        let args = ["trace", "-n", "--json", "-T", "-p", &port, dest.as_str()];
        let out = lab.netlab(&args);
        let ctx = context(&args, &out);
        assert_eq!(out.status.code(), Some(0), "{ctx}");
        assert_eq!(hop_addrs(&json(&out)), expected, "{ctx}");
    }
}

#[test]
fn rows_print_in_hop_order_with_names_stars_and_the_address_check() {
    let lab = lab!(LabConfig::default()
        .routers(5)
        .link_delay(Duration::from_millis(2))
        .silent_router(3));
    let args = ["trace", "-4", "www"];
    let out = lab.netlab(&args);
    let ctx = context(&args, &out);
    assert_eq!(out.status.code(), Some(0), "{ctx}");
    let text = stdout(&out);
    let lines: Vec<&str> = text.lines().collect();
    assert!(
        lines[0].starts_with(&format!(
            "trace to www ({}), udp port 33434,",
            lab.dest_v4()
        )),
        "{ctx}"
    );
    let row = |ttl: usize| -> &str {
        lines
            .iter()
            .find(|l| l.split_whitespace().next() == Some(&ttl.to_string()))
            .unwrap_or_else(|| panic!("no row for hop {ttl}\n{ctx}"))
    };
    for i in [1, 2, 4, 5] {
        let r = row(i);
        // The client's hosts file names router 1's address override.netlab.test, and
        // getnameinfo reads the hosts file first.
        let name = if i == 1 {
            "override.netlab.test".to_string()
        } else {
            format!("r{i}.netlab.test")
        };
        assert!(
            r.contains(&format!("{} ({name})", lab.hop_v4(i))),
            "hop {i}: {r}\n{ctx}"
        );
        assert_eq!(r.matches(" ms").count(), 3, "hop {i}: {r}\n{ctx}");
    }
    let silent: Vec<&str> = row(3).split_whitespace().collect();
    assert_eq!(silent, ["3", "*", "*", "*", "*"], "{ctx}");
    assert!(row(6).contains(&lab.dest_v4().to_string()), "{ctx}");
    // Rows are in hop order.
    let order: Vec<usize> = lines
        .iter()
        .filter_map(|l| l.split_whitespace().next()?.parse().ok())
        .collect();
    assert_eq!(order, [1, 2, 3, 4, 5, 6], "{ctx}");
    assert!(
        text.contains(&format!("reached {} in 6 hops", lab.dest_v4())),
        "{ctx}"
    );
    assert!(
        text.contains(&format!(
            "address check: ok: the trace ends at {} (hop 6), the address www resolved to",
            lab.dest_v4()
        )),
        "{ctx}"
    );
}

#[test]
fn max_hops_unreachable_and_filtered_destinations_exit_1() {
    let lab = lab!(LabConfig::default().routers(3));
    let dest4 = lab.dest_v4().to_string();
    let dest6 = lab.dest_v6().to_string();

    // -m shorter than the path.
    for dest in [&dest4, &dest6] {
        let args = ["trace", "-n", "--json", "-m", "2", dest.as_str()];
        let out = lab.netlab(&args);
        let ctx = context(&args, &out);
        assert_eq!(out.status.code(), Some(1), "{ctx}");
        let doc = json(&out);
        assert_eq!(hop_addrs(&doc).len(), 2, "{ctx}");
        assert_eq!(doc["reached"], false, "{ctx}");
        assert!(doc["hops_to_destination"].is_null(), "{ctx}");
        assert_eq!(doc["address_check"]["matches"], false, "{ctx}");
        let why = doc["address_check"]["explanation"].as_str().unwrap();
        assert!(why.contains("raise -m"), "{ctx}");
    }

    // A route of type unreachable on the last router: !H (v4) / !N (v6) from it.
    for (target, reporter, note) in [
        (
            lab.unreachable_v4().to_string(),
            lab.unreachable_reporter_v4().to_string(),
            "!H",
        ),
        (
            lab.unreachable_v6().to_string(),
            lab.unreachable_reporter_v6().to_string(),
            "!N",
        ),
    ] {
        let args = ["trace", "-n", "--json", target.as_str()];
        let out = lab.netlab(&args);
        let ctx = context(&args, &out);
        assert_eq!(out.status.code(), Some(1), "{ctx}");
        let doc = json(&out);
        let hops = hop_addrs(&doc);
        assert_eq!(hops.len(), 3, "{ctx}");
        assert_eq!(hops[2], [reporter.as_str()], "{ctx}");
        let last = &doc["hops"][2]["probes"][0];
        assert_eq!(last["annotation"], note, "{ctx}");
        assert_eq!(doc["reached"], false, "{ctx}");
        assert_eq!(doc["address_check"]["last_hop"], reporter.as_str(), "{ctx}");
    }
    // And the row shows the annotation (every probe is answered: the lab's reporter
    // rejects with iptables, whose ICMP errors are not rate-limited there).
    for (target, note) in [
        (lab.unreachable_v4().to_string(), " ms !H"),
        (lab.unreachable_v6().to_string(), " ms !N"),
    ] {
        let args = ["trace", "-n", target.as_str()];
        let out = lab.netlab(&args);
        let ctx = context(&args, &out);
        assert_eq!(out.status.code(), Some(1), "{ctx}");
        assert!(stdout(&out).contains(note), "{ctx}");
    }

    // The destination drops UDP and TCP to the filtered port: the routers answer, the
    // destination never does.
    for method in ["-U", "-T"] {
        let port = FILTERED_PORT.to_string();
        let args = [
            "trace", "-n", "--json", method, "-p", &port, "-m", "8", &dest4,
        ];
        let out = lab.netlab(&args);
        let ctx = context(&args, &out);
        assert_eq!(out.status.code(), Some(1), "{ctx}");
        let doc = json(&out);
        let hops = hop_addrs(&doc);
        assert_eq!(hops.len(), 8, "{ctx}");
        for i in 1..=3 {
            assert_eq!(hops[i - 1], [lab.hop_v4(i).to_string()], "{ctx}");
        }
        assert!(hops[3..].iter().all(Vec::is_empty), "{ctx}");
        assert_eq!(
            doc["address_check"]["last_hop"],
            lab.hop_v4(3).to_string().as_str(),
            "{ctx}"
        );
        let why = doc["address_check"]["explanation"].as_str().unwrap();
        assert!(why.contains("nothing answered after hop 3"), "{ctx}");
    }
    // The same in rows: the silent tail is one line.
    let port = FILTERED_PORT.to_string();
    let args = ["trace", "-n", "-p", &port, "-m", "8", &dest4];
    let out = lab.netlab(&args);
    let ctx = context(&args, &out);
    assert_eq!(out.status.code(), Some(1), "{ctx}");
    let text = stdout(&out);
    assert!(text.contains("4-8"), "{ctx}");
    assert!(text.contains("address check: MISMATCH"), "{ctx}");
}

#[test]
fn the_address_check_follows_the_name_the_system_resolves() {
    let lab = lab!(LabConfig::default().routers(2));
    // DNS says the destination; the client's hosts file says router 1: getaddrinfo
    // (gethostbyname's successor) believes the hosts file, and so does the check.
    let args = ["trace", "-n", "-4", "--json", "override.netlab.test"];
    let out = lab.netlab(&args);
    let ctx = context(&args, &out);
    assert_eq!(out.status.code(), Some(0), "{ctx}");
    let doc = json(&out);
    let router1 = lab.hosts_override_v4().to_string();
    assert_eq!(doc["address"], router1.as_str(), "{ctx}");
    assert_eq!(doc["hops_to_destination"], 1, "{ctx}");
    assert_eq!(doc["address_check"]["matches"], true, "{ctx}");
    assert_eq!(doc["address_check"]["last_hop"], router1.as_str(), "{ctx}");

    // A name whose address does not answer: the check fails and says why.
    let args = [
        "trace",
        "-n",
        "-m",
        "5",
        lab.unreachable_v4().to_string().as_str(),
    ]
    .map(String::from);
    let args: Vec<&str> = args.iter().map(String::as_str).collect();
    let out = lab.netlab(&args);
    let ctx = context(&args, &out);
    assert_eq!(out.status.code(), Some(1), "{ctx}");
    let text = stdout(&out);
    assert!(
        text.contains(&format!(
            "address check: MISMATCH: the trace ends at {} (hop 2), not at {}",
            lab.unreachable_reporter_v4(),
            lab.unreachable_v4()
        )),
        "{ctx}"
    );
    assert!(text.contains("reported host unreachable"), "{ctx}");
}

#[test]
fn icmp_without_any_privilege_is_one_line_with_a_hint_while_udp_and_tcp_work() {
    let lab = lab!(LabConfig::default().routers(2));
    let dest = lab.dest_v4().to_string();
    // ping_group_range is the kernel default "1 0" in the client namespace: nobody may
    // open ICMP datagram sockets, and nobody has CAP_NET_RAW.
    let args = ["trace", "-n", "-I", dest.as_str()];
    let out = lab.netlab_as(NOBODY, &args);
    assert_one_line_error(&out, "trace -I as nobody");
    let err = stderr(&out);
    assert!(err.contains("CAP_NET_RAW"), "{err}");
    assert!(err.contains("ping_group_range"), "{err}");
    assert!(err.contains("trace with UDP"), "{err}");
    // A name the lab's DNS does not know: one line, exit 2, nothing sent.
    let out = lab.netlab(&["trace", "no-such-host.netlab.test"]);
    assert_one_line_error(&out, "trace of an unknown name");
    assert!(stderr(&out).contains("no such host"), "{}", stderr(&out));
    for method in ["-U", "-T"] {
        let args = ["trace", "-n", "--json", method, dest.as_str()];
        let out = lab.netlab_as(NOBODY, &args);
        let ctx = context(&args, &out);
        assert_eq!(out.status.code(), Some(0), "{ctx}");
        assert_eq!(
            hop_addrs(&json(&out)),
            expected_path(&lab, false, &[]),
            "{ctx}"
        );
    }
}

#[test]
fn ctrl_c_prints_the_settled_hops_and_a_footer() {
    // Nothing answers (the router is silent, the destination filters the port), so only
    // -w would end this trace; Ctrl-C ends it instead.
    let lab = lab!(LabConfig::default().routers(1).silent_router(1));
    let port = FILTERED_PORT.to_string();
    let dest = lab.dest_v4().to_string();
    let mut cmd = lab.netlab_command(&["trace", "-n", "-w", "60s", "-p", &port, &dest]);
    let child = cmd
        .stdout(std::process::Stdio::piped())
        .stderr(std::process::Stdio::piped())
        .spawn()
        .expect("spawn netlab");
    // `ip netns exec` execs netlab in place: the child's pid is netlab's; `ip` catches
    // no SIGINT, so the handler seen is netlab's.
    crate::util::wait_for_handler(child.id(), libc::SIGINT);
    // SAFETY: kill has no memory-safety preconditions.
    unsafe { libc::kill(child.id() as libc::pid_t, libc::SIGINT) };
    let out = child.wait_with_output().expect("wait");
    let ctx = context(&["trace", "(SIGINT)"], &out);
    assert_eq!(out.status.code(), Some(1), "{ctx}");
    let text = stdout(&out);
    assert!(text.starts_with(&format!("trace to {dest}")), "{ctx}");
    assert!(
        text.contains(&format!("interrupted before reaching {dest}")),
        "{ctx}"
    );
    assert!(text.contains("address check: MISMATCH"), "{ctx}");
}

#[test]
fn json_has_exactly_the_documented_fields() {
    let lab = lab!(LabConfig::default().routers(1));
    let args = ["trace", "-4", "--json", "-q", "2", "www"];
    let out = lab.netlab(&args);
    let ctx = context(&args, &out);
    assert_eq!(out.status.code(), Some(0), "{ctx}");
    let doc = json(&out);
    let keys = |v: &Value| -> BTreeSet<String> {
        v.as_object()
            .unwrap_or_else(|| panic!("not an object: {v}\n{ctx}"))
            .keys()
            .cloned()
            .collect()
    };
    let set =
        |names: &[&str]| -> BTreeSet<String> { names.iter().map(|s| s.to_string()).collect() };
    assert_eq!(
        keys(&doc),
        set(&[
            "target",
            "address",
            "method",
            "port",
            "first_ttl",
            "max_hops",
            "queries",
            "reached",
            "hops_to_destination",
            "address_check",
            "hops"
        ]),
        "{ctx}"
    );
    assert_eq!(doc["target"], "www");
    assert_eq!(doc["address"], lab.dest_v4().to_string().as_str());
    assert_eq!(doc["method"], "udp");
    assert_eq!(doc["port"], 33434);
    assert_eq!(doc["first_ttl"], 1);
    assert_eq!(doc["max_hops"], 30);
    assert_eq!(doc["queries"], 2);
    assert_eq!(doc["reached"], true);
    assert_eq!(doc["hops_to_destination"], 2);
    assert_eq!(
        keys(&doc["address_check"]),
        set(&["matches", "last_hop", "explanation"])
    );
    assert!(doc["address_check"]["explanation"].is_null());
    let hops = doc["hops"].as_array().unwrap();
    assert_eq!(hops.len(), 2, "{ctx}");
    for (i, hop) in hops.iter().enumerate() {
        assert_eq!(keys(hop), set(&["ttl", "responders", "probes"]));
        assert_eq!(hop["ttl"], i + 1);
        let responder = &hop["responders"][0];
        assert_eq!(keys(responder), set(&["address", "name"]));
        let probes = hop["probes"].as_array().unwrap();
        assert_eq!(probes.len(), 2);
        for p in probes {
            // `reply_ttl` / `reply_size` are there when the socket told them (numbers).
            let mut fields = keys(p);
            for optional in ["reply_ttl", "reply_size"] {
                if fields.remove(optional) {
                    assert!(p[optional].as_u64().is_some(), "{p}");
                }
            }
            assert_eq!(
                fields,
                set(&["rtt_ms", "from", "kind", "annotation", "mpls"])
            );
            assert!(p["rtt_ms"].as_f64().unwrap() > 0.0);
            assert_eq!(p["from"], responder["address"]);
            assert!(p["annotation"].is_null());
            assert_eq!(p["mpls"], Value::Array(vec![]));
        }
    }
    assert_eq!(
        hops[0]["responders"][0]["address"],
        lab.hop_v4(1).to_string().as_str()
    );
    // Names as getnameinfo gives them: the client's hosts file first.
    assert_eq!(hops[0]["responders"][0]["name"], "override.netlab.test");
    assert_eq!(hops[0]["probes"][0]["kind"], "time_exceeded");
    assert_eq!(hops[1]["probes"][0]["kind"], "reached");
    assert_eq!(hops[1]["responders"][0]["name"], "hostsonly.netlab.test");
}

#[test]
fn bad_input_is_one_line_and_exit_2() {
    for args in [
        vec!["trace"],
        vec!["trace", "-m", "0", "localhost"],
        vec!["trace", "-m", "256", "localhost"],
        vec!["trace", "-f", "9", "-m", "5", "localhost"],
        vec!["trace", "-q", "0", "localhost"],
        vec!["trace", "-q", "11", "localhost"],
        vec!["trace", "-w", "0", "localhost"],
        vec!["trace", "-w", "-1", "localhost"],
        vec!["trace", "-p", "0", "localhost"],
        vec!["trace", "-p", "70000", "localhost"],
        vec!["trace", "-I", "-p", "80", "localhost"],
        vec!["trace", "-I", "-T", "localhost"],
        vec!["trace", "localhost:80"],
        vec!["trace", "-6", "127.0.0.1"],
        vec!["trace", "bad!name"],
    ] {
        let out = netlab(&args);
        assert_one_line_error(&out, &format!("{args:?}"));
    }
}

#[test]
fn loopback_is_one_hop() {
    // No lab needed: the destination is this host.
    let out = netlab(&["trace", "-n", "--json", "127.0.0.1"]);
    let ctx = context(&["trace", "127.0.0.1"], &out);
    assert_eq!(out.status.code(), Some(0), "{ctx}");
    let doc = json(&out);
    assert_eq!(hop_addrs(&doc), [vec!["127.0.0.1".to_string()]], "{ctx}");
    let addr: IpAddr = doc["address"].as_str().unwrap().parse().unwrap();
    assert!(addr.is_loopback());
}

/// Prints the README's example output (not a check):
/// `cargo test --test it trace::readme_example -- --ignored --nocapture`.
#[test]
#[ignore]
fn readme_example() {
    let lab = lab!(LabConfig::default()
        .routers(5)
        .link_delay(Duration::from_millis(2))
        .silent_router(3));
    let filtered = FILTERED_PORT.to_string();
    let dest = lab.dest_v4().to_string();
    for args in [
        vec!["trace", "-4", "www"],
        vec!["trace", "-6", "-I", "www"],
        vec![
            "trace",
            "-n",
            "-p",
            filtered.as_str(),
            "-m",
            "10",
            dest.as_str(),
        ],
        vec!["trace", "-4", "--json", "-q", "1", "www"],
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
