//! `ping --probe-interface` (RFC 8335) against the Linux kernel's own responder in the
//! lab: router 1 answers PROBE (`net.ipv4.icmp_echo_enable_probe=1`, which covers IPv6
//! too), router 2 keeps the default and does not. Interfaces up (by name, index and
//! address), down, nonexistent, IPv4 and IPv6, the timeout line, and the privilege hint;
//! each also as the `--json` document.

use crate::lab::{lab, LabConfig, Role, NOBODY};
use crate::trace::context;
use crate::util::{json, stdout};
use serde_json::json;

#[test]
fn interface_probes_get_the_kernels_answers_v4_and_v6() {
    let lab = lab!(LabConfig::default().routers(2));
    for argv in [
        &["sysctl", "-qw", "net.ipv4.icmp_echo_enable_probe=1"][..],
        &[
            "ip", "link", "add", "nldown0", "type", "veth", "peer", "name", "nldown1",
        ],
    ] {
        let out = lab.exec(Role::Router(1), argv);
        assert!(out.status.success(), "{argv:?}: {out:?}");
    }
    let r1_v4 = lab.hop_v4(1).to_string();
    let r1_v6 = lab.hop_v6(1).to_string();
    // (router, interface, exit code, the answer's words, JSON: query, code, meaning,
    // state)
    let up = (0, "no_error", Some("up"));
    let down = (0, "no_error", Some("down"));
    let none = (2, "no_such_interface", None);
    let cases = [
        (r1_v4.as_str(), "lo", 0, "lo: up (ipv4, ipv6)", "name", up),
        (r1_v4.as_str(), "1", 0, "1: up (ipv4, ipv6)", "index", up),
        (
            r1_v4.as_str(),
            r1_v4.as_str(),
            0,
            ": up (ipv4",
            "address",
            up,
        ),
        (r1_v4.as_str(), "nldown0", 1, "nldown0: down", "name", down),
        (
            r1_v4.as_str(),
            "nosuch0",
            1,
            "nosuch0: no such interface",
            "name",
            none,
        ),
        (r1_v6.as_str(), "lo", 0, "lo: up (ipv4, ipv6)", "name", up),
        (r1_v6.as_str(), "nldown0", 1, "nldown0: down", "name", down),
        (
            r1_v6.as_str(),
            "nosuch0",
            1,
            "nosuch0: no such interface",
            "name",
            none,
        ),
    ];
    for (router, interface, code, words, query, (rfc_code, meaning, state)) in cases {
        // Two probes, 50 ms apart, with `format` (table, json): the output and its
        // context, the exit code checked.
        let run = |format: &str| {
            let args = [
                "ping",
                "--format",
                format,
                "-c",
                "2",
                "-i",
                "0.05",
                "--probe-interface",
                interface,
                router,
            ];
            let out = lab.netlab(&args);
            let ctx = context(&args, &out);
            println!("$ netlab {}\n{}", args.join(" "), stdout(&out));
            assert_eq!(out.status.code(), Some(code), "{ctx}");
            (out, ctx)
        };
        // --json: the same answers, one document.
        let (out, ctx) = run("json");
        let doc = json(&out);
        assert_eq!(doc["router"], router, "{ctx}");
        assert_eq!(doc["interface"], interface, "{ctx}");
        assert_eq!(doc["query"], query, "{ctx}");
        assert_eq!(doc["transmitted"], 2, "{ctx}");
        assert_eq!(doc["answered"], 2, "{ctx}");
        assert_eq!(doc["up"], if state == Some("up") { 2 } else { 0 }, "{ctx}");
        let probes = doc["probes"].as_array().unwrap();
        assert_eq!(probes.len(), 2, "{ctx}");
        for (n, p) in probes.iter().enumerate() {
            assert_eq!(p["seq"], n + 1, "{ctx}");
            assert!(p["rtt_ms"].as_f64().is_some_and(|ms| ms > 0.0), "{ctx}");
            assert_eq!(p["code"], rfc_code, "{ctx}");
            assert_eq!(p["meaning"], meaning, "{ctx}");
            assert_eq!(p["state"].as_str(), state, "{ctx}");
            let families = p["families"].as_array().unwrap();
            match state {
                Some("up") => assert!(families.contains(&json!("ipv4")), "{ctx}"),
                None => assert!(families.is_empty(), "{ctx}"),
                _ => {}
            }
        }
        if interface == "lo" {
            assert_eq!(probes[0]["families"], json!(["ipv4", "ipv6"]), "{ctx}");
        }

        // Markdown: the same lines, on a page.
        let (out, ctx) = run("markdown");
        assert!(
            stdout(&out).contains(&format!("seq=2 from {router}: ")),
            "{ctx}"
        );
        assert!(stdout(&out).contains(words), "{ctx}");
        let (out, ctx) = run("table");
        let text = stdout(&out);
        let lines: Vec<&str> = text.lines().collect();
        assert_eq!(lines.len(), 3, "{ctx}");
        for (n, line) in lines[1..].iter().enumerate() {
            assert!(
                line.starts_with(&format!("seq={} from {router}: ", n + 1)),
                "{ctx}"
            );
            assert!(line.contains(words), "{ctx}");
            assert!(line.ends_with(" ms"), "{ctx}");
        }
    }
    // Without CAP_NET_RAW: one error line and the setcap hint, exit 2.
    let args = ["ping", "-c", "1", "--probe-interface", "lo", &r1_v4];
    let out = lab.netlab_as(NOBODY, &args);
    let ctx = context(&args, &out);
    assert_eq!(out.status.code(), Some(2), "{ctx}");
    let err = crate::util::stderr(&out);
    assert!(
        err.starts_with("netlab: opening a raw ICMP socket for RFC 8335 probes: "),
        "{ctx}"
    );
    assert!(err.contains("setcap cap_net_raw+ep"), "{ctx}");
    // Router 2 does not answer PROBE: one clear line per probe, exit 1, no hang.
    let r2 = lab.hop_v4(2).to_string();
    let args = [
        "ping",
        "-c",
        "1",
        "-W",
        "0.3",
        "--probe-interface",
        "lo",
        &r2,
    ];
    let started = std::time::Instant::now();
    let out = lab.netlab(&args);
    let ctx = context(&args, &out);
    assert_eq!(out.status.code(), Some(1), "{ctx}");
    assert!(
        started.elapsed() < std::time::Duration::from_secs(5),
        "{ctx}"
    );
    assert!(
        stdout(&out).contains("no answer within 0.3 s (the router does not answer RFC 8335"),
        "{ctx}"
    );
    // The same in JSON: a timeout probe, nothing answered.
    let args = [
        "ping",
        "--json",
        "-c",
        "1",
        "-W",
        "0.3",
        "--probe-interface",
        "lo",
        &r2,
    ];
    let out = lab.netlab(&args);
    let ctx = context(&args, &out);
    assert_eq!(out.status.code(), Some(1), "{ctx}");
    let doc = json(&out);
    assert_eq!(
        doc["probes"],
        json!([{"seq": 1, "rtt_ms": null, "code": null, "meaning": "timeout",
                "state": null, "families": []}]),
        "{ctx}"
    );
    assert_eq!(
        (&doc["answered"], &doc["up"]),
        (&json!(0), &json!(0)),
        "{ctx}"
    );
}

#[test]
fn bad_probe_requests_are_refused_with_one_line() {
    for (args, why) in [
        (
            &["ping", "--probe-interface", "lo", "127.0.0.1", "127.0.0.2"][..],
            "one router at a time",
        ),
        (
            &["ping", "--probe-interface", "lo", "localhost"],
            "as an address",
        ),
        (
            &["ping", "--probe-interface", "", "127.0.0.1"],
            "not an interface",
        ),
        (
            &["ping", "--watch", "--probe-interface", "lo", "127.0.0.1"],
            "--watch draws echo replies",
        ),
        (
            &[
                "ping",
                "--format",
                "atlas",
                "--probe-interface",
                "lo",
                "127.0.0.1",
            ],
            "RIPE Atlas has no result type for RFC 8335 probes",
        ),
    ] {
        let out = crate::util::netlab(args);
        let err = crate::util::stderr(&out);
        assert_eq!(out.status.code(), Some(2), "{args:?}: {err}");
        assert!(err.starts_with("netlab: ping --probe-interface: "), "{err}");
        assert!(err.contains(why), "{args:?}: {err}");
    }
}
