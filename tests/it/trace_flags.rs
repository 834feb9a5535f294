//! `netlab trace` with traceroute's per-probe flags: `-s ADDR`, `--interface IFACE`,
//! `-t TOS`, `-F`, the packet length (second positional argument) and `-N`. Bad input
//! first (no network); then each flag in the namespace lab, as root and as an ordinary
//! user, checked on the wire with iptables counters and against traceroute on the same
//! path.

use std::process::Output;

use serde_json::Value;

use crate::lab::{lab, Lab, LabConfig, Role, NOBODY};
use crate::util::{assert_each_refused, assert_one_line_error, json, s, stderr, stdout};

/// The first responder of every hop ("*" for a silent one), in TTL order.
fn hop_addresses(doc: &Value) -> Vec<String> {
    doc["hops"]
        .as_array()
        .expect("hops")
        .iter()
        .map(|h| {
            h["responders"][0]["address"]
                .as_str()
                .unwrap_or("*")
                .to_string()
        })
        .collect()
}

/// The first address on each hop line of `traceroute -n` ("*" for a silent hop).
fn traceroute_hops(text: &str) -> Vec<String> {
    text.lines()
        .skip(1)
        .filter_map(|line| {
            let mut words = line.split_whitespace();
            words.next()?.parse::<u8>().ok()?;
            words.find(|w| *w == "*" || w.parse::<std::net::IpAddr>().is_ok())
        })
        .map(String::from)
        .collect()
}

fn trace(lab: &Lab, uid: Option<u32>, args: &[&str]) -> Output {
    let mut full = vec!["trace"];
    full.extend_from_slice(args);
    lab.netlab_maybe_as(uid, &full)
}

fn rule(lab: &Lab, role: Role, tool: &str, args: &str) {
    let mut argv = vec![tool];
    argv.extend(args.split_whitespace());
    let out = lab.exec(role, &argv);
    assert!(out.status.success(), "{tool} {args}: {out:?}");
}

/// Packets counted by the first rule of `chain` whose line contains `needle`.
fn counted(lab: &Lab, role: Role, tool: &str, chain: &str, needle: &str) -> u64 {
    let out = lab.exec(role, &[tool, "-L", chain, "-v", "-x", "-n"]);
    let text = stdout(&out);
    let line = text
        .lines()
        .find(|l| l.contains(needle))
        .unwrap_or_else(|| panic!("no rule with {needle:?}:\n{text}"));
    line.split_whitespace().next().unwrap().parse().unwrap()
}

#[test]
fn bad_flag_values_exit_2_with_one_line() {
    let cases: &[(&[&str], &str)] = &[
        (
            &["trace", "-s", "0.0.0.0", "127.0.0.1"],
            "no source address",
        ),
        (
            &["trace", "-s", "127.0.0.1", "::1"],
            "cannot be traced from",
        ),
        (&["trace", "-s", "::1", "-4", "127.0.0.1"], "IPv6 address"),
        (&["trace", "-s", "nope", "127.0.0.1"], "invalid value"),
        (
            &["trace", "--interface", "nosuchif0", "127.0.0.1"],
            "no network interface",
        ),
        (&["trace", "-t", "256", "127.0.0.1"], "DSCP name"),
        (&["trace", "127.0.0.1", "43"], "below 44"),
        (&["trace", "::1", "63"], "below 64"),
        (&["trace", "127.0.0.1", "65001"], "65001"),
        (&["trace", "-T", "127.0.0.1", "100"], "bare SYNs"),
        (&["trace", "-N", "0", "127.0.0.1"], "--sim-queries"),
        (&["trace", "127.0.0.1", "big"], "invalid value"),
        (
            &["trace", "--asn-zone", "x.example", "127.0.0.1"],
            "required",
        ),
        (
            &["trace", "-A", "--asn-zone", "bad zone", "127.0.0.1"],
            "not a DNS zone",
        ),
    ];
    assert_each_refused(cases);
}

/// -s, --interface and -N: the same hops as a plain trace, and as traceroute's with the
/// same flags; a source that is not this host's is refused.
#[test]
fn source_interface_and_probes_in_flight() {
    let lab = lab!(LabConfig::default());
    let expected: Vec<String> = (1..=3).map(|h| s(lab.hop_v4(h))).collect();
    let dest = s(lab.dest_v4());
    let src = s(lab.client_v4());
    for (uid, who) in [(None, "root"), (Some(NOBODY), "nobody")] {
        for args in [
            vec!["-s", src.as_str()],
            vec!["--interface", "east"],
            vec!["-N", "1"],
            vec![
                "-N",
                "1",
                "-q",
                "1",
                "-s",
                src.as_str(),
                "--interface",
                "east",
            ],
        ] {
            let mut full = vec!["-n", "--json"];
            full.extend(&args);
            full.push(&dest);
            let out = trace(&lab, uid, &full);
            assert_eq!(
                out.status.code(),
                Some(0),
                "{who} {args:?}: {}",
                stderr(&out)
            );
            assert_eq!(hop_addresses(&json(&out)), expected, "{who} {args:?}");
        }
        let out = trace(&lab, uid, &["-n", "-s", "198.18.9.9", &dest]);
        assert_one_line_error(&out, &format!("{who} -s 198.18.9.9"));
        assert!(
            stderr(&out).contains("binding to source address 198.18.9.9"),
            "{}",
            stderr(&out)
        );
        let out = trace(
            &lab,
            uid,
            &["-n", "-s", &s(lab.client_v6()), &s(lab.dest_v6())],
        );
        assert_eq!(out.status.code(), Some(0), "{who}: {}", stderr(&out));
    }
    let theirs = lab.exec(
        Role::Client,
        &["traceroute", "-n", "-s", &src, "-N", "1", &dest],
    );
    assert!(theirs.status.success(), "{theirs:?}");
    assert_eq!(
        traceroute_hops(&stdout(&theirs)),
        expected,
        "{}",
        stdout(&theirs)
    );
}

/// -t and the packet length reach the wire: every probe to the destination carries the
/// DSCP and has exactly the length asked for (UDP and ICMP, v4 and v6).
#[test]
fn tos_and_packet_length_are_on_every_probe() {
    let lab = lab!(LabConfig::default());
    let (d4, d6) = (s(lab.dest_v4()), s(lab.dest_v6()));
    rule(
        &lab,
        Role::Client,
        "iptables",
        &format!("-A OUTPUT -d {d4}"),
    );
    rule(
        &lab,
        Role::Client,
        "iptables",
        &format!("-A OUTPUT -d {d4} -m dscp --dscp 46"),
    );
    rule(
        &lab,
        Role::Client,
        "iptables",
        &format!("-A OUTPUT -d {d4} -m length --length 1400"),
    );
    rule(
        &lab,
        Role::Client,
        "ip6tables",
        &format!("-A OUTPUT -d {d6}"),
    );
    rule(
        &lab,
        Role::Client,
        "ip6tables",
        &format!("-A OUTPUT -d {d6} -m dscp --dscp 46"),
    );
    rule(
        &lab,
        Role::Client,
        "ip6tables",
        &format!("-A OUTPUT -d {d6} -m length --length 1400"),
    );
    lab.sysctl(Role::Client, "net.ipv4.ping_group_range", "0 2147483647");
    for (uid, who) in [(None, "root"), (Some(NOBODY), "nobody")] {
        for method in ["-U", "-I"] {
            for (tool, dest, hops) in [
                (
                    "iptables",
                    &d4,
                    (1..=3).map(|h| s(lab.hop_v4(h))).collect::<Vec<_>>(),
                ),
                (
                    "ip6tables",
                    &d6,
                    (1..=3).map(|h| s(lab.hop_v6(h))).collect(),
                ),
            ] {
                let what = format!("{who} {method} {dest}");
                rule(&lab, Role::Client, tool, "-Z");
                let out = trace(
                    &lab,
                    uid,
                    &["-n", method, "-t", "EF", "--json", dest, "1400"],
                );
                assert_eq!(out.status.code(), Some(0), "{what}: {}", stderr(&out));
                assert_eq!(hop_addresses(&json(&out)), hops, "{what}");
                let all = counted(&lab, Role::Client, tool, "OUTPUT", &format!("{dest} "));
                assert!(all >= 9, "{what}: {all} probes");
                assert_eq!(
                    counted(&lab, Role::Client, tool, "OUTPUT", "DSCP"),
                    all,
                    "{what}"
                );
                assert_eq!(
                    counted(&lab, Role::Client, tool, "OUTPUT", "length"),
                    all,
                    "{what}"
                );
                // Without the flags, neither.
                rule(&lab, Role::Client, tool, "-Z");
                let out = trace(&lab, uid, &["-n", method, dest]);
                assert_eq!(out.status.code(), Some(0), "{what}: {}", stderr(&out));
                assert_eq!(
                    counted(&lab, Role::Client, tool, "OUTPUT", "DSCP"),
                    0,
                    "{what}"
                );
                assert_eq!(
                    counted(&lab, Role::Client, tool, "OUTPUT", "length"),
                    0,
                    "{what}"
                );
            }
        }
    }
}

/// -F with packets bigger than a 1400-byte link: router 1 answers fragmentation needed,
/// shown as !F (traceroute: !F-1400); without -F the big probes get through.
#[test]
fn dont_fragment_stops_at_the_small_link() {
    let lab = lab!(LabConfig::default().link_mtu(1, 1400));
    // Each run its own destination: the path MTU is cached per destination, and a
    // second run would be refused locally at once.
    for (uid, who, dest) in [
        (None, "root", s(lab.dest_v4())),
        (Some(NOBODY), "nobody", s(lab.multi_v4()[1])),
    ] {
        let out = trace(&lab, uid, &["-n", "-F", "-q", "1", "--json", &dest, "1500"]);
        assert_eq!(out.status.code(), Some(1), "{who}: {}", stderr(&out));
        let doc = json(&out);
        let hops = doc["hops"].as_array().unwrap();
        assert_eq!(
            hops[0]["probes"][0]["kind"], "time_exceeded",
            "{who}: {doc:#}"
        );
        assert_eq!(
            hops[1]["responders"][0]["address"],
            s(lab.router_v4(1)),
            "{doc:#}"
        );
        assert_eq!(hops[1]["probes"][0]["annotation"], "!F", "{who}: {doc:#}");
        let out = trace(&lab, uid, &["-n", "--json", &dest, "1500"]);
        assert_eq!(out.status.code(), Some(0), "{who}: {}", stderr(&out));
    }
    let theirs = lab.exec(
        Role::Client,
        &[
            "traceroute",
            "-n",
            "-F",
            "-q",
            "1",
            &s(lab.multi_v4()[0]),
            "1500",
        ],
    );
    assert!(stdout(&theirs).contains("!F"), "{}", stdout(&theirs));
}

/// --mtu over a 1400-byte link between router 1 and router 2: hop 1 is reached at 1500,
/// hops 2 and 3 at 1400 (`F=1400` on hop 2's row), as tracepath and traceroute --mtu
/// report on the same path; UDP and ICMP, v4 and v6, root and nobody.
#[test]
fn path_mtu_discovery_along_the_trace() {
    let lab = lab!(LabConfig::default().link_mtu(1, 1400));
    lab.sysctl(Role::Client, "net.ipv4.ping_group_range", "0 2147483647");
    let v4 = (1..=3).map(|h| s(lab.hop_v4(h))).collect::<Vec<_>>();
    let v6 = (1..=3).map(|h| s(lab.hop_v6(h))).collect::<Vec<_>>();
    for (uid, who) in [(None, "root"), (Some(NOBODY), "nobody")] {
        for method in ["-U", "-I"] {
            for (dest, hops) in [(s(lab.dest_v4()), &v4), (s(lab.dest_v6()), &v6)] {
                let what = format!("{who} {method} {dest}");
                let out = trace(&lab, uid, &["-n", method, "--mtu", "--json", &dest]);
                assert_eq!(out.status.code(), Some(0), "{what}: {}", stderr(&out));
                let doc = json(&out);
                assert_eq!(&hop_addresses(&doc), hops, "{what}");
                let mtus: Vec<&Value> = doc["hops"]
                    .as_array()
                    .unwrap()
                    .iter()
                    .map(|h| &h["mtu"])
                    .collect();
                assert_eq!(mtus, [1500, 1400, 1400], "{what}: {doc:#}");
            }
        }
    }
    let out = lab.netlab(&["trace", "-n", "--mtu", &s(lab.dest_v4())]);
    let text = stdout(&out);
    let row = |hop: &str| {
        text.lines()
            .find(|l| l.split_whitespace().next() == Some(hop))
            .unwrap_or_else(|| panic!("no hop {hop}: {text}"))
            .to_string()
    };
    assert!(row("1").contains("F=1500"), "{text}");
    assert!(row("2").contains("F=1400"), "{text}");
    assert!(!row("3").contains("F="), "{text}");
    // Every probe went out: a router's "too big" left pending on the socket is not
    // taken for a failed send.
    assert!(!text.contains("send failed"), "{text}");
    assert!(!text.contains('*'), "{text}");
    // tracepath and traceroute --mtu, each to a destination address of its own (the
    // kernel caches what it learnt per destination).
    for (dest, route) in [(s(lab.multi_v4()[2]), "v4"), (s(lab.silent_dns_v6()), "v6")] {
        let theirs = lab.exec(Role::Client, &["tracepath", "-n", &dest]);
        let text = stdout(&theirs);
        assert!(theirs.status.success(), "{route}: {text}");
        let drop = text
            .lines()
            .find(|l| l.contains("pmtu 1400") && !l.contains("Resume"))
            .unwrap_or_else(|| panic!("{route}: {text}"));
        assert!(drop.trim_start().starts_with("2:"), "{route}: {text}");
        assert!(text.contains("Resume: pmtu 1400"), "{route}: {text}");
    }
    let theirs = lab.exec(
        Role::Client,
        &["traceroute", "-n", "--mtu", &s(lab.multi_v4()[0])],
    );
    assert!(stdout(&theirs).contains("F=1400"), "{}", stdout(&theirs));
}

/// --back: router 2 sends its errors with TTL 60 instead of 64, so its answer looks 6
/// hops away while it is hop 2: shown as '-6' there, as traceroute --back does, and
/// nowhere else; UDP and ICMP, v4 and v6, root and nobody.
#[test]
fn hops_back_where_they_differ() {
    let lab = lab!(LabConfig::default());
    lab.sysctl(Role::Router(2), "net.ipv4.ip_default_ttl", "60");
    lab.sysctl(Role::Router(2), "net.ipv6.conf.all.hop_limit", "60");
    lab.sysctl(Role::Router(2), "net.ipv6.conf.west.hop_limit", "60");
    lab.sysctl(Role::Client, "net.ipv4.ping_group_range", "0 2147483647");
    for (uid, who) in [(None, "root"), (Some(NOBODY), "nobody")] {
        for method in ["-U", "-I"] {
            for dest in [s(lab.dest_v4()), s(lab.dest_v6())] {
                let what = format!("{who} {method} {dest}");
                let out = trace(&lab, uid, &["-n", method, "--back", "--json", &dest]);
                assert_eq!(out.status.code(), Some(0), "{what}: {}", stderr(&out));
                let doc = json(&out);
                let back: Vec<&Value> = doc["hops"]
                    .as_array()
                    .unwrap()
                    .iter()
                    .map(|h| &h["back_hops"])
                    .collect();
                assert_eq!(back, [1, 6, 3], "{what}: {doc:#}");
            }
        }
    }
    let out = lab.netlab(&["trace", "-n", "--back", &s(lab.dest_v4())]);
    let text = stdout(&out);
    let rows: Vec<&str> = text.lines().filter(|l| l.contains("ms")).collect();
    assert_eq!(rows.len(), 3, "{text}");
    assert!(!rows[0].contains("'-"), "{text}");
    assert!(rows[1].contains("'-6'"), "{text}");
    assert!(!rows[2].contains("'-"), "{text}");
    let out = lab.netlab(&["trace", "-n", "--json", &s(lab.dest_v4())]);
    assert!(json(&out)["hops"][1].get("back_hops").is_none());
    let theirs = lab.exec(
        Role::Client,
        &["traceroute", "-n", "--back", &s(lab.dest_v4())],
    );
    let text = stdout(&theirs);
    let line = text
        .lines()
        .find(|l| l.trim_start().starts_with("2 "))
        .unwrap_or("");
    assert!(line.contains("'-6'"), "{text}");
}

/// -A: every hop's AS number, prefix and AS name from the lab's Cymru-style zone, in the
/// JSON and beside the address in the table; the same data dig gets for the same name.
#[test]
fn as_numbers_of_every_hop() {
    use crate::lab::dns::{link_as_name, link_asn, ASN_ZONE};
    let lab = lab!(LabConfig::default());
    for (uid, who) in [(None, "root"), (Some(NOBODY), "nobody")] {
        for (dest, v6) in [(s(lab.dest_v4()), false), (s(lab.dest_v6()), true)] {
            let what = format!("{who} {dest}");
            let out = trace(
                &lab,
                uid,
                &["-n", "-A", "--asn-zone", ASN_ZONE, "--json", &dest],
            );
            assert_eq!(out.status.code(), Some(0), "{what}: {}", stderr(&out));
            let doc = json(&out);
            for (link, hop) in doc["hops"].as_array().unwrap().iter().enumerate() {
                let asn = &hop["responders"][0]["asn"];
                assert_eq!(asn["number"], link_asn(link), "{what}: {doc:#}");
                let prefix = if v6 {
                    format!("fd4e:6c61:62:{link:x}::/64")
                } else {
                    format!("198.18.{link}.0/24")
                };
                assert_eq!(asn["prefix"], prefix, "{what}: {doc:#}");
                assert_eq!(asn["name"], link_as_name(link), "{what}: {doc:#}");
            }
        }
    }
    // Cached per address: three queries per hop answer, but each address is asked
    // about once, and each AS once: 3 origin + 3 AS-name questions, counted on the wire.
    rule(
        &lab,
        Role::Client,
        "iptables",
        "-A OUTPUT -p udp --dport 53",
    );
    let args = [
        "trace",
        "-n",
        "-q",
        "3",
        "-A",
        "--asn-zone",
        ASN_ZONE,
        "--json",
    ];
    let dest = s(lab.dest_v4());
    let out = lab.netlab(&[&args[..], &[dest.as_str()]].concat());
    assert_eq!(out.status.code(), Some(0), "{}", stderr(&out));
    assert_eq!(
        counted(&lab, Role::Client, "iptables", "OUTPUT", "dpt:53"),
        6
    );
    let out = lab.netlab(&[
        "trace",
        "-n",
        "-A",
        "--asn-zone",
        ASN_ZONE,
        &s(lab.dest_v4()),
    ]);
    let text = stdout(&out);
    for link in 0..3 {
        assert!(
            text.contains(&format!("[AS{} NETLAB-LINK{link}]", link_asn(link))),
            "{text}"
        );
    }
    // Without -A: no lookups, no field.
    let out = lab.netlab(&["trace", "-n", "--json", &s(lab.dest_v4())]);
    assert!(json(&out)["hops"][0]["responders"][0].get("asn").is_none());
    // dig reads the same record.
    let dig = lab.exec(
        Role::Client,
        &[
            "dig",
            "+short",
            "TXT",
            &format!("2.0.18.198.origin.{ASN_ZONE}"),
        ],
    );
    assert!(stdout(&dig).contains("64500 | 198.18.0.0/24"), "{dig:?}");
}

/// -A with rounds (`-c`, `--watch`): every hop's AS in the report table, the JSON summary,
/// the NDJSON summary line and the CSV; each address is asked about once however many
/// rounds run (the DNS questions counted on the wire, as above).
#[test]
fn as_numbers_in_rounds_are_asked_once_per_address() {
    use crate::lab::dns::{link_as_name, link_asn, ASN_ZONE};
    let lab = lab!(LabConfig::default());
    let dest = s(lab.dest_v4());
    let check = |doc: &Value, what: &str| {
        let hops = doc["hops"].as_array().expect("hops");
        assert_eq!(hops.len(), 3, "{what}: {doc:#}");
        for (link, hop) in hops.iter().enumerate() {
            let asn = &hop["responders"][0]["asn"];
            assert_eq!(asn["number"], link_asn(link), "{what}: {doc:#}");
            assert_eq!(
                asn["prefix"],
                format!("198.18.{link}.0/24"),
                "{what}: {doc:#}"
            );
            assert_eq!(asn["name"], link_as_name(link), "{what}: {doc:#}");
        }
    };
    rule(
        &lab,
        Role::Client,
        "iptables",
        "-A OUTPUT -p udp --dport 53",
    );
    let rounds = ["-c", "50", "-i", "0.02"];
    let asn = ["-n", "-A", "--asn-zone", ASN_ZONE];
    let out = trace(
        &lab,
        None,
        &[&asn[..], &rounds, &["--json", &dest]].concat(),
    );
    assert_eq!(out.status.code(), Some(0), "{}", stderr(&out));
    let doc = json(&out);
    assert_eq!(doc["rounds"], 50, "{doc:#}");
    check(&doc, "-c 50 --json");
    // 150 answers from 3 addresses in 3 ASes: 3 origin + 3 AS-name questions, not per round.
    assert_eq!(
        counted(&lab, Role::Client, "iptables", "OUTPUT", "dpt:53"),
        6
    );
    // The report table: the AS beside every hop's address, as in a single trace.
    let out = trace(
        &lab,
        None,
        &[&asn[..], &["-c", "3", "-i", "0.05", &dest]].concat(),
    );
    assert_eq!(out.status.code(), Some(0), "{}", stderr(&out));
    let text = stdout(&out);
    for link in 0..3 {
        let label = format!("[AS{} NETLAB-LINK{link}]", link_asn(link));
        let row = text
            .lines()
            .find(|l| l.contains(&label))
            .unwrap_or_else(|| panic!("no {label} in:\n{text}"));
        assert!(row.contains(&format!("198.18.{link}.")), "{text}");
    }
    // --watch without a terminal: the NDJSON stream's summary line carries it too.
    let out = trace(
        &lab,
        Some(NOBODY),
        &[
            &asn[..],
            &["--watch", "-c", "3", "-i", "0.2", "--json", &dest],
        ]
        .concat(),
    );
    assert_eq!(out.status.code(), Some(0), "{}", stderr(&out));
    let text = stdout(&out);
    let last = text.lines().last().expect("a summary line");
    let doc: Value = serde_json::from_str(last).expect("NDJSON");
    assert_eq!(doc["type"], "summary");
    check(&doc, "--watch --json");
    // CSV: three more columns, the first responder's AS.
    let out = trace(
        &lab,
        None,
        &[
            &asn[..],
            &["-c", "2", "-i", "0.05", "--format", "csv", &dest],
        ]
        .concat(),
    );
    let text = stdout(&out);
    let mut reader = csv::Reader::from_reader(text.as_bytes());
    let header = reader.headers().expect("a header").clone();
    let columns: Vec<&str> = header.iter().collect();
    assert_eq!(
        columns[columns.len() - 3..],
        ["asn", "asn_prefix", "asn_name"]
    );
    for (link, row) in reader.records().enumerate() {
        let row = row.expect("a CSV row");
        let n = row.len();
        assert_eq!(row[n - 3], link_asn(link).to_string(), "{text}");
        assert_eq!(row[n - 2], format!("198.18.{link}.0/24"), "{text}");
        assert_eq!(row[n - 1], link_as_name(link), "{text}");
    }
}
