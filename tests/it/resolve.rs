//! `netlab resolve`, end to end: the real binary against the namespace lab's DNS server
//! (see `lab/dns.rs` for its zone). What needs no lab is in `resolve/on_loopback.rs`:
//! bad input rejected before any query, and a scripted responder on loopback
//! (`lab/scripted_dns.rs`) for what the lab's server never does (truncation, malformed
//! replies).
//!
//! Most assertions read the `--json` document: exact addresses, types, TTLs, sources and
//! statuses; stderr messages are compared whole.

use std::process::Output;
use std::time::Duration;

use serde_json::{json, Value};

use crate::lab::{lab, Lab, LabConfig, Role, SILENT_DNS_V4};
use crate::util::{assert_one_line_error, json, stderr, stdout};

mod on_loopback;

const DNS: &str = "198.18.100.53:53";
const DNS6: &str = "[fd4e:6c61:62:100::53]:53";
const SOA: &str = "ns1.netlab.test. hostmaster.netlab.test. 1 3600 600 86400 60";

// ---------- helpers ----------

fn code(out: &Output) -> Option<i32> {
    out.status.code()
}

/// The query objects of a document, by position.
fn queries(out: &Output) -> Vec<Value> {
    json(out)["queries"]
        .as_array()
        .expect("queries array")
        .clone()
}

/// The only query of a document.
fn only(out: &Output) -> Value {
    let all = queries(out);
    assert_eq!(all.len(), 1, "one query expected: {all:#?}");
    all.into_iter().next().unwrap()
}

/// (name, type, value, ttl) of each answer.
fn answers(query: &Value) -> Vec<(String, String, String, Value)> {
    query["answers"]
        .as_array()
        .expect("answers array")
        .iter()
        .map(|a| {
            (
                a["name"].as_str().unwrap().to_string(),
                a["type"].as_str().unwrap().to_string(),
                a["value"].as_str().unwrap().to_string(),
                a["ttl"].clone(),
            )
        })
        .collect()
}

fn dns(name: &str, kind: &str, value: impl ToString) -> (String, String, String, Value) {
    (name.into(), kind.into(), value.to_string(), json!(300))
}

fn hosts(name: &str, kind: &str, value: impl ToString) -> (String, String, String, Value) {
    (name.into(), kind.into(), value.to_string(), Value::Null)
}

fn netlab_ok(lab: &Lab, args: &[&str]) -> Output {
    let out = lab.netlab(args);
    assert_eq!(
        code(&out),
        Some(0),
        "netlab {args:?}\nstdout: {}\nstderr: {}",
        stdout(&out),
        stderr(&out)
    );
    out
}

fn assert_query(q: &Value, query: &str, kind: &str, status: &str, source: Value) {
    assert_eq!(q["query"], json!(query), "{q:#}");
    assert_eq!(q["type"], json!(kind), "{q:#}");
    assert_eq!(q["status"], json!(status), "{q:#}");
    assert_eq!(q["source"], source, "{q:#}");
    assert!(q["time_ms"].as_f64().is_some(), "{q:#}");
}

fn stderr_lines(out: &Output) -> Vec<String> {
    let mut lines: Vec<String> = stderr(out).lines().map(str::to_string).collect();
    lines.sort();
    lines
}

// ---------- the system way: /etc/hosts, then resolv.conf ----------

#[test]
fn system_mode_uses_the_search_list_and_names_the_server() {
    let lab = lab!(LabConfig::default());
    let out = netlab_ok(&lab, &["resolve", "--json", "www"]);
    assert!(stderr(&out).is_empty(), "{}", stderr(&out));
    let q = only(&out);
    assert_query(&q, "www", "A+AAAA", "ok", json!(DNS));
    assert_eq!(q["transport"], json!("udp"));
    assert_eq!(q["error"], Value::Null);
    assert_eq!(
        answers(&q),
        [
            dns("www.netlab.test.", "A", lab.dest_v4()),
            dns("www.netlab.test.", "AAAA", lab.dest_v6()),
        ]
    );

    // The same as a table: a header, then one aligned row per record.
    let out = netlab_ok(&lab, &["resolve", "www"]);
    let text = stdout(&out);
    let mut lines = text.lines();
    let header: Vec<&str> = lines.next().unwrap().split_whitespace().collect();
    assert_eq!(
        header,
        ["name", "type", "value", "TTL", "source", "time", "(ms)"]
    );
    let rows: Vec<Vec<&str>> = lines.map(|l| l.split_whitespace().collect()).collect();
    assert_eq!(rows.len(), 2, "{text}");
    let v4 = lab.dest_v4().to_string();
    let v6 = lab.dest_v6().to_string();
    assert_eq!(rows[0][..5], ["www.netlab.test.", "A", &v4, "300", DNS]);
    assert_eq!(rows[1][..5], ["www.netlab.test.", "AAAA", &v6, "300", DNS]);
    assert!(rows[0][5].parse::<f64>().is_ok(), "time column: {text}");
}

#[test]
fn hosts_file_answers_first() {
    let lab = lab!(LabConfig::default());
    let out = netlab_ok(
        &lab,
        &[
            "resolve",
            "--json",
            "hostsonly",
            "HostsOnly.Netlab.Test",
            "hostsonly6",
            "override.netlab.test",
            "localhost",
        ],
    );
    let q = queries(&out);
    assert_eq!(q.len(), 5);
    let from_hosts = json!("/etc/hosts");
    assert_query(&q[0], "hostsonly", "A+AAAA", "ok", from_hosts.clone());
    assert_eq!(q[0]["transport"], Value::Null);
    assert_eq!(
        answers(&q[0]),
        [hosts("hostsonly", "A", lab.hosts_only_v4())]
    );
    assert_eq!(
        answers(&q[1]),
        [hosts("HostsOnly.Netlab.Test", "A", lab.hosts_only_v4())],
        "names match case-insensitively"
    );
    assert_eq!(
        answers(&q[2]),
        [hosts("hostsonly6", "AAAA", lab.hosts_only_v6())]
    );
    // The hosts file wins over DNS, which says the destination.
    assert_query(
        &q[3],
        "override.netlab.test",
        "A+AAAA",
        "ok",
        from_hosts.clone(),
    );
    assert_eq!(
        answers(&q[3]),
        [
            hosts("override.netlab.test", "A", lab.hosts_override_v4()),
            hosts("override.netlab.test", "AAAA", lab.hosts_override_v6()),
        ]
    );
    assert_eq!(
        answers(&q[4]),
        [
            hosts("localhost", "A", "127.0.0.1"),
            hosts("localhost", "AAAA", "::1")
        ]
    );

    // -t asks DNS, like host(1): the server's answer for the same name.
    let out = netlab_ok(
        &lab,
        &["resolve", "--json", "-t", "A", "override.netlab.test"],
    );
    let q = only(&out);
    assert_query(&q, "override.netlab.test", "A", "ok", json!(DNS));
    assert_eq!(
        answers(&q),
        [dns("override.netlab.test.", "A", lab.dest_v4())]
    );

    // glibc's files source does not strip a trailing dot: DNS answers (it has no such name).
    let out = lab.netlab(&["resolve", "--json", "hostsonly.netlab.test."]);
    assert_eq!(code(&out), Some(1), "{}", stderr(&out));
    assert_query(
        &only(&out),
        "hostsonly.netlab.test.",
        "A+AAAA",
        "nxdomain",
        json!(DNS),
    );
}

#[test]
fn families_restrict_the_records_asked_for() {
    let lab = lab!(LabConfig::default());
    let out = netlab_ok(
        &lab,
        &["resolve", "--json", "-4", "www", "multi", "override"],
    );
    let q = queries(&out);
    assert_query(&q[0], "www", "A", "ok", json!(DNS));
    assert_eq!(
        answers(&q[0]),
        [dns("www.netlab.test.", "A", lab.dest_v4())]
    );
    let mut multi: Vec<String> = answers(&q[1]).into_iter().map(|a| a.2).collect();
    multi.sort();
    let mut expected: Vec<String> = lab.multi_v4().iter().map(|a| a.to_string()).collect();
    expected.sort();
    assert_eq!(multi, expected);
    assert_eq!(
        answers(&q[2]),
        [hosts("override", "A", lab.hosts_override_v4())]
    );

    let out = netlab_ok(&lab, &["resolve", "--json", "-6", "www", "override"]);
    let q = queries(&out);
    assert_query(&q[0], "www", "AAAA", "ok", json!(DNS));
    assert_eq!(
        answers(&q[0]),
        [dns("www.netlab.test.", "AAAA", lab.dest_v6())]
    );
    assert_eq!(
        answers(&q[1]),
        [hosts("override", "AAAA", lab.hosts_override_v6())]
    );

    // Without -4/-6 one family is enough, as for getaddrinfo.
    let out = netlab_ok(&lab, &["resolve", "--json", "v4only", "v6only"]);
    let q = queries(&out);
    assert_eq!(
        answers(&q[0]),
        [dns("v4only.netlab.test.", "A", lab.dest_v4())]
    );
    assert_eq!(
        answers(&q[1]),
        [dns("v6only.netlab.test.", "AAAA", lab.dest_v6())]
    );

    // With one family, a name that only has the other is "no data".
    let out = lab.netlab(&["resolve", "-6", "v4only"]);
    assert_eq!(code(&out), Some(1));
    assert!(out.stdout.is_empty(), "{}", stdout(&out));
    assert_eq!(
        stderr(&out),
        "netlab: v4only: v4only.netlab.test has no AAAA record (answer from 198.18.100.53:53); \
         also tried v4only: REFUSED\n"
    );
    let out = lab.netlab(&["resolve", "--json", "-4", "v6only.netlab.test"]);
    assert_eq!(code(&out), Some(1));
    let q = only(&out);
    assert_query(&q, "v6only.netlab.test", "A", "no_data", json!(DNS));
    assert_eq!(
        q["error"],
        json!(
            "v6only.netlab.test has no A record (answer from 198.18.100.53:53); \
             also tried v6only.netlab.test.netlab.test: NXDOMAIN"
        )
    );
}

#[test]
fn cname_chain_is_shown_link_by_link() {
    let lab = lab!(LabConfig::default());
    let out = netlab_ok(&lab, &["resolve", "--json", "alias"]);
    let q = only(&out);
    assert_query(&q, "alias", "A+AAAA", "ok", json!(DNS));
    assert_eq!(
        answers(&q),
        [
            dns("alias.netlab.test.", "CNAME", "alias2.netlab.test."),
            dns("alias2.netlab.test.", "CNAME", "www.netlab.test."),
            dns("www.netlab.test.", "A", lab.dest_v4()),
            dns("www.netlab.test.", "AAAA", lab.dest_v6()),
        ]
    );
    let out = netlab_ok(
        &lab,
        &[
            "resolve",
            "--json",
            "--server",
            "198.18.100.53",
            "-t",
            "AAAA",
            "alias.netlab.test",
        ],
    );
    assert_eq!(
        answers(&only(&out)),
        [
            dns("alias.netlab.test.", "CNAME", "alias2.netlab.test."),
            dns("alias2.netlab.test.", "CNAME", "www.netlab.test."),
            dns("www.netlab.test.", "AAAA", lab.dest_v6()),
        ]
    );
    // Asking for the CNAME itself gives the first link only.
    let out = netlab_ok(&lab, &["resolve", "--json", "-t", "CNAME", "alias"]);
    assert_eq!(
        answers(&only(&out)),
        [dns("alias.netlab.test.", "CNAME", "alias2.netlab.test.")]
    );
}

#[test]
fn every_record_type_in_both_modes() {
    let lab = lab!(LabConfig::default());
    let dest_v4 = lab.dest_v4().to_string();
    let dest_v6 = lab.dest_v6().to_string();
    // (type, name for --server, name for the system way, owner, value)
    let cases: Vec<(&str, &str, &str, &str, &str)> = vec![
        ("A", "www.netlab.test", "www", "www.netlab.test.", &dest_v4),
        (
            "AAAA",
            "www.netlab.test",
            "www",
            "www.netlab.test.",
            &dest_v6,
        ),
        (
            "CNAME",
            "alias.netlab.test",
            "alias",
            "alias.netlab.test.",
            "alias2.netlab.test.",
        ),
        (
            "MX",
            "netlab.test",
            "netlab.test",
            "netlab.test.",
            "10 mail.netlab.test.",
        ),
        (
            "NS",
            "netlab.test",
            "netlab.test",
            "netlab.test.",
            "ns1.netlab.test.",
        ),
        (
            "TXT",
            "netlab.test",
            "netlab.test",
            "netlab.test.",
            "\"v=netlab lab\"",
        ),
        ("SOA", "netlab.test", "netlab.test", "netlab.test.", SOA),
        (
            "SRV",
            "_echo._tcp.netlab.test",
            "_echo._tcp",
            "_echo._tcp.netlab.test.",
            "0 0 7 www.netlab.test.",
        ),
        (
            "PTR",
            "2.100.18.198.in-addr.arpa",
            "2.100.18.198.in-addr.arpa",
            "2.100.18.198.in-addr.arpa.",
            "multi.netlab.test.",
        ),
        (
            "CAA",
            "netlab.test",
            "netlab.test",
            "netlab.test.",
            "0 issue \"netlab.test\"",
        ),
    ];
    for (kind, direct, short, owner, value) in cases {
        for (mode, name) in [("direct", direct), ("system", short)] {
            let mut args = vec!["resolve", "--json", "-t", kind, name];
            if mode == "direct" {
                args.extend(["--server", "198.18.100.53"]);
            }
            let out = netlab_ok(&lab, &args);
            let q = only(&out);
            assert_query(&q, name, kind, "ok", json!(DNS));
            assert_eq!(answers(&q), [dns(owner, kind, value)], "{mode} {kind}");
        }
    }
    // Lower-case types are accepted, and a type the name lacks is "no data".
    let out = lab.netlab(&["resolve", "--json", "-t", "txt", "www.netlab.test"]);
    assert_eq!(code(&out), Some(1));
    let q = only(&out);
    assert_query(&q, "www.netlab.test", "TXT", "no_data", json!(DNS));
    assert!(
        q["error"]
            .as_str()
            .unwrap()
            .starts_with("www.netlab.test has no TXT record (answer from 198.18.100.53:53)"),
        "{q:#}"
    );
}

#[test]
fn addresses_give_their_ptr_name() {
    let lab = lab!(LabConfig::default());
    let dest = lab.dest_v4().to_string();
    let r2 = lab.router_v4(2).to_string();
    let client6 = lab.client_v6().to_string();
    let out = netlab_ok(
        &lab,
        &[
            "resolve",
            "--json",
            &dest,
            &r2,
            &client6,
            "127.0.0.1",
            "[::1]",
        ],
    );
    let q = queries(&out);
    // The hosts file first, as getnameinfo: it names the destination `hostsonly`.
    assert_query(&q[0], &dest, "PTR", "ok", json!("/etc/hosts"));
    assert_eq!(
        answers(&q[0]),
        [hosts(&dest, "PTR", "hostsonly.netlab.test")]
    );
    assert_query(&q[1], &r2, "PTR", "ok", json!(DNS));
    assert_eq!(
        answers(&q[1]),
        [dns("2.1.18.198.in-addr.arpa.", "PTR", "r2.netlab.test.")]
    );
    assert_eq!(
        answers(&q[2]),
        [dns(
            "1.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.2.6.0.0.1.6.c.6.e.4.d.f.ip6.arpa.",
            "PTR",
            "client.netlab.test."
        )]
    );
    assert_eq!(answers(&q[3]), [hosts("127.0.0.1", "PTR", "localhost")]);
    assert_eq!(answers(&q[4]), [hosts("::1", "PTR", "localhost")]);

    // Asked of the server (or with -t PTR), DNS's name for it.
    for extra in [&["--server", "198.18.100.53"][..], &["-t", "PTR"][..]] {
        let mut args = vec!["resolve", "--json", &dest];
        args.extend(extra);
        let out = netlab_ok(&lab, &args);
        let q = only(&out);
        assert_query(&q, &dest, "PTR", "ok", json!(DNS));
        assert_eq!(
            answers(&q),
            [dns("2.2.18.198.in-addr.arpa.", "PTR", "dest.netlab.test.")]
        );
    }
}

// ---------- --server, --tcp ----------

#[test]
fn server_mode_asks_that_server_the_name_as_typed() {
    let lab = lab!(LabConfig::default());
    for (server, source) in [
        ("198.18.100.53", DNS),
        ("198.18.100.53:53", DNS),
        ("fd4e:6c61:62:100::53", DNS6),
        ("[fd4e:6c61:62:100::53]:53", DNS6),
        ("ns1.netlab.test", DNS),
    ] {
        let out = netlab_ok(
            &lab,
            &["resolve", "--json", "--server", server, "www.netlab.test"],
        );
        let q = only(&out);
        assert_query(&q, "www.netlab.test", "A+AAAA", "ok", json!(source));
        assert_eq!(q["transport"], json!("udp"));
        assert_eq!(
            answers(&q),
            [
                dns("www.netlab.test.", "A", lab.dest_v4()),
                dns("www.netlab.test.", "AAAA", lab.dest_v6()),
            ]
        );
    }
    // No hosts file and no search list: `override` is DNS's, `www` is asked as `www.`.
    let out = netlab_ok(
        &lab,
        &[
            "resolve",
            "--json",
            "-4",
            "--server",
            "198.18.100.53",
            "override.netlab.test",
        ],
    );
    assert_eq!(
        answers(&only(&out)),
        [dns("override.netlab.test.", "A", lab.dest_v4())]
    );
    let out = lab.netlab(&["resolve", "--server", "198.18.100.53", "www"]);
    assert_eq!(code(&out), Some(1));
    assert_eq!(
        stderr(&out),
        "netlab: www: query refused (REFUSED by 198.18.100.53:53 for www)\n"
    );
}

#[test]
fn tcp_is_used_when_asked() {
    let lab = lab!(LabConfig::default());
    for args in [
        &[
            "resolve",
            "--json",
            "--tcp",
            "--server",
            "198.18.100.53",
            "www.netlab.test",
        ][..],
        &["resolve", "--json", "--tcp", "www"][..],
    ] {
        let out = netlab_ok(&lab, args);
        let q = only(&out);
        assert_eq!(q["source"], json!(DNS));
        assert_eq!(q["transport"], json!("tcp"), "{args:?}");
        assert_eq!(answers(&q).len(), 2);
    }
    // The table marks TCP in the source column.
    let out = netlab_ok(&lab, &["resolve", "--tcp", "-4", "www"]);
    assert!(
        stdout(&out).contains("198.18.100.53:53/tcp"),
        "{}",
        stdout(&out)
    );
    // resolv.conf's `options use-vc` means TCP too.
    lab.set_client_resolv_conf("nameserver 198.18.100.53\nsearch netlab.test\noptions use-vc\n");
    let out = netlab_ok(&lab, &["resolve", "--json", "www"]);
    assert_eq!(only(&out)["transport"], json!("tcp"));
}

// ---------- outcomes, messages, exit codes ----------

#[test]
fn nxdomain_servfail_refused_each_say_so() {
    let lab = lab!(LabConfig::default());
    let out = lab.netlab(&["resolve", "--json", "nosuch.netlab.test"]);
    assert_eq!(code(&out), Some(1));
    let q = only(&out);
    assert_query(&q, "nosuch.netlab.test", "A+AAAA", "nxdomain", json!(DNS));
    assert_eq!(q["answers"], json!([]));
    assert_eq!(
        stderr(&out),
        "netlab: nosuch.netlab.test: no such name (NXDOMAIN for nosuch.netlab.test from \
         198.18.100.53:53); also tried nosuch.netlab.test.netlab.test: NXDOMAIN\n"
    );

    let server = ["--server", "198.18.100.53"];
    let cases = [
        (
            "nosuch.netlab.test",
            "nxdomain",
            "netlab: nosuch.netlab.test: no such name (NXDOMAIN for nosuch.netlab.test from 198.18.100.53:53)",
        ),
        (
            "servfail.netlab.test",
            "servfail",
            "netlab: servfail.netlab.test: server failure (SERVFAIL from 198.18.100.53:53 for servfail.netlab.test)",
        ),
        (
            "www.example",
            "refused",
            "netlab: www.example: query refused (REFUSED by 198.18.100.53:53 for www.example)",
        ),
    ];
    for (name, status, message) in cases {
        let mut args = vec!["resolve", name];
        args.extend(server);
        let out = lab.netlab(&args);
        assert_eq!(code(&out), Some(1), "{name}: {}", stderr(&out));
        assert!(out.stdout.is_empty(), "{name}: {}", stdout(&out));
        assert_eq!(stderr(&out), format!("{message}\n"));
        args.push("--json");
        let out = lab.netlab(&args);
        assert_eq!(code(&out), Some(1));
        let q = only(&out);
        assert_query(&q, name, "A+AAAA", status, json!(DNS));
        assert_eq!(
            q["error"],
            json!(message.split_once(&format!("{name}: ")).unwrap().1)
        );
        assert_eq!(
            stderr(&out),
            format!("{message}\n"),
            "JSON mode keeps stderr"
        );
    }

    // The system way, through the search list: SERVFAIL as typed is what is reported.
    let out = lab.netlab(&["resolve", "servfail.netlab.test"]);
    assert_eq!(code(&out), Some(1));
    assert_eq!(
        stderr(&out),
        "netlab: servfail.netlab.test: server failure (SERVFAIL from 198.18.100.53:53 for \
         servfail.netlab.test); also tried servfail.netlab.test.netlab.test: NXDOMAIN\n"
    );
    // A single label that exists nowhere: glibc reports the last try, the name as typed,
    // which this server refuses (outside its zones); that is what `ping nosuch` shows too.
    let out = lab.netlab(&["resolve", "nosuch"]);
    assert_eq!(code(&out), Some(1));
    assert_eq!(
        stderr(&out),
        "netlab: nosuch: query refused (REFUSED by 198.18.100.53:53 for nosuch); \
         also tried nosuch.netlab.test: NXDOMAIN\n"
    );
}

#[test]
fn timeouts_name_the_silent_server_and_exit_1() {
    let lab = lab!(LabConfig::default());
    let silent = SILENT_DNS_V4.to_string();
    let started = std::time::Instant::now();
    let out = lab.netlab(&[
        "resolve",
        "--json",
        "--server",
        &silent,
        "--timeout",
        "300ms",
        "www.netlab.test",
    ]);
    let took = started.elapsed();
    assert_eq!(code(&out), Some(1), "{}", stderr(&out));
    let q = only(&out);
    assert_query(&q, "www.netlab.test", "A+AAAA", "timeout", Value::Null);
    assert_eq!(q["transport"], Value::Null);
    assert!(q["time_ms"].as_f64().unwrap() >= 300.0, "{q:#}");
    assert!(took >= Duration::from_millis(300) && took < Duration::from_secs(5));
    assert_eq!(
        stderr(&out),
        "netlab: www.netlab.test: no answer (no reply from 198.18.100.54:53 within 300ms \
         for www.netlab.test)\n"
    );

    // A name the real server never answers.
    let out = lab.netlab(&[
        "resolve",
        "--server",
        "198.18.100.53",
        "--timeout",
        "0.3",
        "silent.netlab.test",
    ]);
    assert_eq!(code(&out), Some(1));
    assert_eq!(
        stderr(&out),
        "netlab: silent.netlab.test: no answer (no reply from 198.18.100.53:53 within 300ms \
         for silent.netlab.test)\n"
    );

    // The system way: resolv.conf's attempts (2) on its one server, then the search list.
    let out = lab.netlab(&["resolve", "--timeout", "200ms", "silent.netlab.test"]);
    assert_eq!(code(&out), Some(1));
    assert_eq!(
        stderr(&out),
        "netlab: silent.netlab.test: no answer (no reply from 198.18.100.53:53 in 2 tries \
         (200ms + 200ms) for silent.netlab.test); also tried \
         silent.netlab.test.netlab.test: NXDOMAIN\n"
    );
}

#[test]
fn resolv_conf_servers_are_asked_in_order_and_the_one_that_answered_is_shown() {
    let lab = lab!(LabConfig::default());
    // The first server never answers: after its timeout the second one does.
    lab.set_client_resolv_conf(
        "nameserver 198.18.100.54\nnameserver 198.18.100.53\nsearch netlab.test\n\
         options timeout:1 attempts:1\n",
    );
    let out = netlab_ok(&lab, &["resolve", "--json", "www"]);
    let q = only(&out);
    assert_query(&q, "www", "A+AAAA", "ok", json!(DNS));
    assert!(
        q["time_ms"].as_f64().unwrap() >= 1000.0,
        "waited for the first server: {q:#}"
    );
    assert_eq!(answers(&q).len(), 2);

    // Both silent: every server, every attempt, named.
    lab.set_client_resolv_conf(
        "nameserver 198.18.100.54\nnameserver fd4e:6c61:62:100::54\noptions attempts:2\n",
    );
    let out = lab.netlab(&["resolve", "--timeout", "150ms", "-4", "www.netlab.test"]);
    assert_eq!(code(&out), Some(1));
    assert_eq!(
        stderr(&out),
        "netlab: www.netlab.test: no answer (no reply from 198.18.100.54:53 in 2 tries \
         (150ms + 150ms); no reply from [fd4e:6c61:62:100::54]:53 in 2 tries (150ms + 150ms) \
         for www.netlab.test)\n"
    );

    // `options rotate`: each query starts at the next server.
    lab.set_client_resolv_conf(
        "nameserver 198.18.100.53\nnameserver fd4e:6c61:62:100::53\nsearch netlab.test\n\
         options rotate\n",
    );
    let out = netlab_ok(
        &lab,
        &["resolve", "--json", "--concurrency", "1", "www", "mail"],
    );
    let mut sources: Vec<String> = queries(&out)
        .iter()
        .map(|q| q["source"].as_str().unwrap().to_string())
        .collect();
    sources.sort();
    assert_eq!(sources, [DNS, DNS6]);
}

#[test]
fn unusable_resolv_conf_is_exit_2_but_the_hosts_file_still_works() {
    let lab = lab!(LabConfig::default());
    lab.set_client_resolv_conf("search netlab.test\n# nameserver 198.18.100.53\n");
    let out = lab.netlab(&["resolve", "www"]);
    assert_one_line_error(&out, "no nameserver");
    assert_eq!(
        stderr(&out).lines().next().unwrap(),
        "netlab: /etc/resolv.conf: no usable nameserver line"
    );
    let out = netlab_ok(&lab, &["resolve", "--json", "hostsonly"]);
    assert_eq!(only(&out)["source"], json!("/etc/hosts"));

    // A bad line is ignored, as by glibc, with a warning.
    lab.set_client_resolv_conf("nameserver bogus\nnameserver 198.18.100.53\nsearch netlab.test\n");
    let out = netlab_ok(&lab, &["resolve", "--json", "www"]);
    assert_eq!(only(&out)["source"], json!(DNS));
    assert_eq!(
        stderr(&out),
        "netlab: warning: /etc/resolv.conf: line 1: nameserver bogus ignored: not an IP address\n"
    );
}

#[test]
fn several_names_and_mixed_outcomes() {
    let lab = lab!(LabConfig::default());
    let out = lab.netlab(&[
        "resolve",
        "--json",
        "www",
        "nosuch.netlab.test",
        "mail",
        "hostsonly",
        "servfail.netlab.test",
    ]);
    assert_eq!(code(&out), Some(1), "{}", stderr(&out));
    let statuses: Vec<(String, String)> = queries(&out)
        .iter()
        .map(|q| {
            (
                q["query"].as_str().unwrap().to_string(),
                q["status"].as_str().unwrap().to_string(),
            )
        })
        .collect();
    assert_eq!(
        statuses,
        [
            ("www".to_string(), "ok".to_string()),
            ("nosuch.netlab.test".into(), "nxdomain".into()),
            ("mail".into(), "ok".into()),
            ("hostsonly".into(), "ok".into()),
            ("servfail.netlab.test".into(), "servfail".into()),
        ],
        "JSON lists queries in input order"
    );
    assert_eq!(stderr_lines(&out).len(), 2);

    // The table: every answered name's rows, whatever order they finished in.
    let out = lab.netlab(&["resolve", "www", "nosuch.netlab.test", "mail"]);
    assert_eq!(code(&out), Some(1));
    let text = stdout(&out);
    let mut owners: Vec<&str> = text
        .lines()
        .skip(1)
        .map(|l| l.split_whitespace().next().unwrap())
        .collect();
    owners.sort();
    assert_eq!(
        owners,
        ["mail.netlab.test.", "www.netlab.test.", "www.netlab.test."]
    );
}

// ---------- --file ----------

#[test]
fn names_from_a_file_and_from_stdin() {
    let lab = lab!(LabConfig::default());
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("names.txt");
    std::fs::write(
        &path,
        "# lab names\nwww\n\n  mail   # the MX host\na..b\nnosuch.netlab.test\n198.18.2.2\n",
    )
    .unwrap();
    let file = path.to_str().unwrap();
    let out = lab.netlab(&[
        "resolve",
        "--json",
        "--concurrency",
        "2",
        "-f",
        file,
        "v4only",
    ]);
    assert_eq!(
        code(&out),
        Some(2),
        "an invalid line is a failure: {}",
        stderr(&out)
    );
    let q = queries(&out);
    let order: Vec<(&str, &str)> = q
        .iter()
        .map(|q| (q["query"].as_str().unwrap(), q["status"].as_str().unwrap()))
        .collect();
    assert_eq!(
        order,
        [
            ("v4only", "ok"),
            ("www", "ok"),
            ("mail", "ok"),
            ("a..b", "invalid"),
            ("nosuch.netlab.test", "nxdomain"),
            ("198.18.2.2", "ok"),
        ]
    );
    assert_eq!(
        answers(&q[2]),
        [dns("mail.netlab.test.", "A", lab.dest_v4())]
    );
    assert_eq!(q[3]["source"], Value::Null);
    let invalid = format!("{file}:5: 'a..b' has an empty label");
    assert_eq!(q[3]["error"], json!(invalid));
    assert!(
        stderr(&out).contains(&format!("netlab: {invalid}\n")),
        "{}",
        stderr(&out)
    );

    // Standard input through a pipe, in the client namespace.
    let script = format!(
        "printf 'www\\n# comment\\n\\nhostsonly\\n' | {} resolve --json -f -",
        env!("CARGO_BIN_EXE_netlab")
    );
    let out = lab.exec(Role::Client, &["sh", "-c", &script]);
    assert_eq!(code(&out), Some(0), "{}", stderr(&out));
    let q = queries(&out);
    assert_eq!(q.len(), 2);
    assert_query(&q[0], "www", "A+AAAA", "ok", json!(DNS));
    assert_query(&q[1], "hostsonly", "A+AAAA", "ok", json!("/etc/hosts"));

    // A table, row by row, from stdin.
    let script = format!(
        "printf 'www\\nbad!name\\n' | {} resolve -4 -f -",
        env!("CARGO_BIN_EXE_netlab")
    );
    let out = lab.exec(Role::Client, &["sh", "-c", &script]);
    assert_eq!(code(&out), Some(2));
    assert_eq!(
        stderr(&out),
        "netlab: <stdin>:2: 'bad!name' contains '!', which a host name cannot have\n"
    );
    assert!(
        stdout(&out).contains(&lab.dest_v4().to_string()),
        "{}",
        stdout(&out)
    );
}

// ---------- bad input: exit 2 before any query ----------

#[test]
fn invalid_names_are_rejected_before_any_query_in_the_lab() {
    let lab = lab!(LabConfig::default());
    let long_label = format!("{}.netlab.test", "a".repeat(64));
    let long_name = vec!["abcdefghi"; 26].join(".");
    for bad in [
        "a..b",
        &long_label,
        &long_name,
        "bad!name",
        "-x.netlab.test",
        "1.2.3.999",
    ] {
        let out = lab.netlab(&["resolve", "www", bad]);
        assert_one_line_error(&out, bad);
    }
}
