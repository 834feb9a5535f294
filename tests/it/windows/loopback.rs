//! netlab.exe under Wine against this host's loopback.

use std::net::TcpListener;

use super::{json, one_at_a_time, succeeded, wine_netlab, LIMIT};

#[test]
fn the_windows_build_prints_its_version() {
    let _one = one_at_a_time();
    let Some(out) = wine_netlab(&["--version"], LIMIT) else {
        return;
    };
    let stdout = succeeded(&out, "--version");
    assert_eq!(
        stdout.trim(),
        format!("netlab {}", env!("CARGO_PKG_VERSION")),
        "{stdout}"
    );
}

#[test]
fn the_windows_build_resolves_localhost() {
    let _one = one_at_a_time();
    let Some(out) = wine_netlab(&["resolve", "localhost"], LIMIT) else {
        return;
    };
    let stdout = succeeded(&out, "resolve localhost");
    assert!(stdout.contains(" 127.0.0.1 "), "{stdout}");
}

#[test]
fn the_windows_build_connects_to_an_open_and_a_closed_port() {
    let _one = one_at_a_time();
    let listener = TcpListener::bind("127.0.0.1:0").unwrap();
    let open = listener.local_addr().unwrap().to_string();
    let Some(out) = wine_netlab(&["connect", &open, "--format", "json"], LIMIT) else {
        return;
    };
    let doc = json(&out, "connect to an open port", 0);
    assert_eq!(doc["probes"][0]["state"], "open", "{doc}");
    drop(listener);
    let out = wine_netlab(&["connect", &open, "--format", "json"], LIMIT).expect("ran above");
    let doc = json(&out, "connect to a closed port", 1);
    assert_eq!(doc["probes"][0]["state"], "closed", "{doc}");
}

#[test]
fn the_windows_build_pings_loopback_through_the_icmp_helper() {
    let _one = one_at_a_time();
    let args = [
        "ping",
        "-c",
        "3",
        "-i",
        "0.2",
        "127.0.0.1",
        "--format",
        "json",
    ];
    let Some(out) = wine_netlab(&args, LIMIT) else {
        return;
    };
    let doc = json(&out, "ping -c 3 127.0.0.1", 0);
    let replies = doc["replies"].as_array().expect("replies");
    assert_eq!(replies.len(), 3, "{doc}");
    for (reply, seq) in replies.iter().zip(1..) {
        assert_eq!(reply["seq"], seq, "{doc}");
        assert_eq!(reply["from"], "127.0.0.1", "{doc}");
        let rtt = reply["rtt_ms"].as_f64().expect("rtt_ms");
        assert!((0.0..1000.0).contains(&rtt), "{doc}");
    }
    assert_eq!(doc["summary"][0]["received"], 3, "{doc}");
}

#[test]
fn the_windows_build_traces_loopback_through_the_icmp_helper() {
    let _one = one_at_a_time();
    // No method named: ICMP is Windows' default (UDP probes cannot see the errors there).
    let args = ["trace", "-n", "127.0.0.1", "--format", "json"];
    let Some(out) = wine_netlab(&args, LIMIT) else {
        return;
    };
    let doc = json(&out, "trace -n 127.0.0.1", 0);
    assert_eq!(doc["method"], "icmp", "{doc}");
    assert_eq!(doc["reached"], true, "{doc}");
    assert_eq!(doc["hops_to_destination"], 1, "{doc}");
    assert_eq!(doc["address_check"]["matches"], true, "{doc}");
    let probes = doc["hops"][0]["probes"].as_array().expect("probes");
    assert_eq!(probes.len(), 3, "{doc}");
    for probe in probes {
        assert_eq!(probe["from"], "127.0.0.1", "{doc}");
        assert_eq!(probe["kind"], "reached", "{doc}");
    }
}

/// What Windows cannot do is refused in one line that names it, exit 2, nothing sent.
#[test]
fn the_windows_build_refuses_a_syn_scan_and_a_udp_trace_naming_windows() {
    let _one = one_at_a_time();
    for args in [
        &["connect", "--syn", "127.0.0.1", "-p", "80"][..],
        &["trace", "-U", "127.0.0.1"][..],
    ] {
        let Some(out) = wine_netlab(args, LIMIT) else {
            return;
        };
        let stderr = String::from_utf8_lossy(&out.stderr);
        assert_eq!(out.status.code(), Some(2), "{args:?}: {stderr}");
        assert_eq!(stderr.trim().lines().count(), 1, "{args:?}: {stderr}");
        assert!(
            stderr.contains("is not available on Windows"),
            "{args:?}: {stderr}"
        );
    }
}
