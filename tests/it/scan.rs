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
