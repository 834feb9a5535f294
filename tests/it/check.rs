//! `netlab check` in the namespace lab: a consistent name passes every check; an
//! /etc/hosts override and an unreachable address fail them, each explained.

use serde_json::Value;

use crate::lab::{lab, Lab, LabConfig};
use crate::util;

fn check_json(lab: &Lab, args: &[&str]) -> (Option<i32>, Value, String) {
    let out = lab.netlab(&[&["check", "--json"][..], args].concat());
    (out.status.code(), util::json(&out), util::stderr(&out))
}

fn strings(value: &Value) -> Vec<String> {
    value
        .as_array()
        .unwrap_or_else(|| panic!("not an array: {value}"))
        .iter()
        .map(|v| v.as_str().expect("string").to_string())
        .collect()
}

#[test]
fn check_a_consistent_name_passes_every_check() {
    let lab = lab!(LabConfig::default());
    let (code, doc, stderr) = check_json(&lab, &["-4", "www.netlab.test"]);
    let d4 = lab.dest_v4().to_string();
    assert_eq!(code, Some(0), "{doc:#}\n{stderr}");
    assert_eq!(doc["target"], "www.netlab.test");
    assert_eq!(doc["port"], 80);
    assert_eq!(doc["address"], d4);
    assert_eq!(strings(&doc["resolve"]["addresses"]), [d4.as_str()]);
    assert_eq!(doc["resolve"]["source"], "dns");
    assert_eq!(
        strings(&doc["resolve"]["hosts_addresses"]),
        Vec::<String>::new()
    );
    assert_eq!(
        doc["resolve"]["dns"]["server"],
        format!("{}:53", lab.dns_v4())
    );
    assert_eq!(doc["resolve"]["dns"]["status"], "ok");
    assert_eq!(strings(&doc["resolve"]["dns"]["addresses"]), [d4.as_str()]);
    assert_eq!(doc["resolve"]["dns_error"], Value::Null);
    assert_eq!(doc["connect"]["to"], format!("{d4}:80"));
    assert_eq!(doc["connect"]["state"], "open");
    assert!(doc["connect"]["time_ms"].as_f64().is_some());
    assert_eq!(doc["ping"]["transmitted"], 3);
    assert_eq!(doc["ping"]["received"], 3);
    assert_eq!(strings(&doc["ping"]["replies_from"]), [d4.as_str()]);
    let hops: Vec<Vec<String>> = doc["trace"]["hops"]
        .as_array()
        .unwrap()
        .iter()
        .map(|h| strings(&h["addresses"]))
        .collect();
    assert_eq!(
        hops,
        [
            vec![lab.hop_v4(1).to_string()],
            vec![lab.hop_v4(2).to_string()],
            vec![d4.clone()]
        ]
    );
    assert_eq!(doc["trace"]["ending"], "reached");
    assert_eq!(doc["trace"]["end_address"], d4);
    let checks: Vec<(String, String)> = doc["checks"]
        .as_array()
        .unwrap()
        .iter()
        .map(|c| {
            assert_eq!(c["explanation"], Value::Null, "{c}");
            (
                c["name"].as_str().unwrap().to_string(),
                c["status"].as_str().unwrap().to_string(),
            )
        })
        .collect();
    assert_eq!(
        checks,
        [
            ("resolver_agrees_with_dns".to_string(), "pass".to_string()),
            ("port_answers".into(), "pass".into()),
            ("ping_replies_from_address".into(), "pass".into()),
            ("trace_ends_on_address".into(), "pass".into()),
        ]
    );
    assert_eq!(doc["passed"], true);

    // The same over IPv6.
    let (code, doc, stderr) = check_json(&lab, &["-6", "www.netlab.test"]);
    let d6 = lab.dest_v6().to_string();
    assert_eq!(code, Some(0), "{doc:#}\n{stderr}");
    assert_eq!(doc["address"], d6);
    assert_eq!(strings(&doc["ping"]["replies_from"]), [d6.as_str()]);
    assert_eq!(doc["trace"]["end_address"], d6);
    assert_eq!(
        doc["trace"]["hops"][0]["addresses"][0],
        lab.hop_v6(1).to_string()
    );
    assert_eq!(doc["connect"]["to"], format!("[{d6}]:80"));

    // The tables: one verdict row per check.
    let out = lab.netlab(&["check", "-4", "www.netlab.test"]);
    assert_eq!(out.status.code(), Some(0), "{}", util::stderr(&out));
    let text = util::stdout(&out);
    for check in [
        "resolver_agrees_with_dns  pass",
        "port_answers              pass",
        "ping_replies_from_address pass",
        "trace_ends_on_address     pass",
    ] {
        let (name, result) = check.split_once(' ').unwrap();
        assert!(
            text.lines().any(|l| {
                let cells: Vec<&str> = l.split_whitespace().collect();
                cells == [name, result.trim()]
            }),
            "no row {check:?} in:\n{text}"
        );
    }
}

#[test]
fn check_names_the_hosts_file_when_it_overrides_dns_and_packets_go_elsewhere() {
    let lab = lab!(LabConfig::default());
    let (code, doc, stderr) = check_json(&lab, &["-4", "override.netlab.test"]);
    assert_eq!(code, Some(1), "{doc:#}\n{stderr}");
    let (hosts, dns, dns_server) = (
        lab.hosts_override_v4().to_string(),
        lab.dest_v4().to_string(),
        lab.dns_v4().to_string(),
    );
    assert_eq!(doc["address"], hosts);
    assert_eq!(doc["resolve"]["source"], "hosts");
    assert_eq!(
        strings(&doc["resolve"]["hosts_addresses"]),
        [hosts.as_str()]
    );
    assert_eq!(strings(&doc["resolve"]["dns"]["addresses"]), [dns.as_str()]);
    assert_eq!(strings(&doc["ping"]["replies_from"]), [hosts.as_str()]);
    assert_eq!(doc["trace"]["end_address"], hosts);
    assert_eq!(doc["trace"]["hops"].as_array().unwrap().len(), 1);
    assert_eq!(doc["connect"]["state"], "closed");
    let explanation = |i: usize| {
        assert_eq!(doc["checks"][i]["status"], "fail", "{doc:#}");
        doc["checks"][i]["explanation"]
            .as_str()
            .unwrap()
            .to_string()
    };
    assert_eq!(
        explanation(0),
        format!(
            "/etc/hosts overrides DNS: the system resolver gives override.netlab.test as {hosts} \
             from /etc/hosts, while DNS ({dns_server}) says {dns}"
        )
    );
    assert_eq!(
        explanation(1),
        format!("{hosts}:80 refused the connection (RST): nothing listens on port 80")
    );
    assert_eq!(
        explanation(2),
        format!(
            "replies came from {hosts}, the address /etc/hosts gives override.netlab.test, \
             but DNS ({dns_server}) says override.netlab.test is {dns}"
        )
    );
    assert_eq!(
        explanation(3),
        format!(
            "the trace ends at {hosts} (hop 1), the address /etc/hosts gives override.netlab.test, \
             but DNS ({dns_server}) says override.netlab.test is {dns}"
        )
    );
    assert_eq!(doc["passed"], false);
}

#[test]
fn check_an_unreachable_address_fails_with_the_routers_word_for_it() {
    let lab = lab!(LabConfig::default());
    let target = lab.unreachable_v4().to_string();
    let reporter = lab.unreachable_reporter_v4().to_string();
    let (code, doc, stderr) = check_json(&lab, &[&target, "-p", "22"]);
    assert_eq!(code, Some(1), "{doc:#}\n{stderr}");
    assert_eq!(doc["port"], 22);
    assert_eq!(doc["resolve"]["source"], "literal");
    assert_eq!(doc["resolve"]["dns"], Value::Null);
    assert_eq!(doc["connect"]["state"], "unreachable");
    assert_eq!(doc["connect"]["from"], reporter);
    assert_eq!(doc["ping"]["received"], 0);
    assert_eq!(doc["ping"]["errors"][0]["from"], reporter);
    assert_eq!(doc["ping"]["errors"][0]["kind"], "host_unreachable");
    assert_eq!(doc["trace"]["ending"], "unreachable");
    assert_eq!(doc["trace"]["end_address"], reporter);
    let statuses: Vec<&str> = doc["checks"]
        .as_array()
        .unwrap()
        .iter()
        .map(|c| c["status"].as_str().unwrap())
        .collect();
    assert_eq!(statuses, ["skip", "fail", "fail", "fail"]);
    assert_eq!(
        doc["checks"][0]["explanation"],
        "an address was given: nothing to resolve"
    );
    let why = doc["checks"][3]["explanation"].as_str().unwrap();
    assert!(
        why.starts_with("the trace stops at hop ") && why.contains(&reporter),
        "{why}"
    );
}

#[test]
fn check_drops_capabilities_once_before_its_probe_threads_start() {
    let lab = lab!(LabConfig::default());
    let target = lab.unreachable_v4().to_string();
    let mut cmd = lab.netlab_command(&["check", "--json", &target, "-p", "22"]);
    cmd.stdout(std::process::Stdio::piped())
        .stderr(std::process::Stdio::piped());
    let mut child = cmd.spawn().expect("spawn");
    let pid = child.id() as i32;
    // The connect, the ping and the trace each run on a thread started after the sockets
    // are open and the capabilities dropped (before, check has one thread: an address
    // needs no resolver thread): whenever there is more than one, none may hold any.
    let started = std::time::Instant::now();
    let mut checked = 0;
    while child.try_wait().expect("wait").is_none() {
        let threads = std::fs::read_dir(format!("/proc/{pid}/task"))
            .map(|tasks| tasks.count())
            .unwrap_or(0);
        if threads > 1 {
            util::assert_no_capabilities(pid);
            checked += 1;
        }
        assert!(
            started.elapsed() < std::time::Duration::from_secs(10),
            "check did not end"
        );
        std::thread::sleep(std::time::Duration::from_millis(1));
    }
    assert!(checked > 0, "check's probe threads were never seen");
    let out = child.wait_with_output().expect("wait");
    assert_eq!(out.status.code(), Some(1), "{}", util::stderr(&out));
}

#[test]
fn check_refuses_bad_input_with_one_line_and_exit_2() {
    for (args, expected) in [
        (vec!["check"], "netlab: command line:"),
        (
            vec!["check", "host:80", "-p", "81"],
            "netlab: target 'host:80': names a port, and -p gives one too",
        ),
        (
            vec!["check", "-6", "127.0.0.1"],
            "netlab: target '127.0.0.1': its family does not match -4/-6",
        ),
        (vec!["check", "bad..name"], "netlab: target 'bad..name':"),
    ] {
        let out = util::netlab(&args);
        util::assert_one_line_error(&out, &format!("{args:?}"));
        assert!(
            util::stderr(&out).starts_with(expected),
            "{args:?}: {}",
            util::stderr(&out)
        );
    }
}

/// Prints real output for the README: `cargo test --test it readme_examples_check --
/// --ignored --nocapture`.
#[test]
#[ignore]
fn readme_examples_check() {
    let lab = lab!(LabConfig::default());
    let unreachable = lab.unreachable_v4().to_string();
    for args in [
        vec!["check", "-4", "www.netlab.test"],
        vec!["check", "-4", "override.netlab.test"],
        vec!["check", &unreachable, "-p", "22"],
        vec!["check", "--json", "-4", "override.netlab.test"],
    ] {
        let out = lab.netlab(&args);
        println!(
            "$ netlab {}\n{}{}(exit {:?})\n",
            args.join(" "),
            util::stdout(&out),
            util::stderr(&out),
            out.status.code()
        );
    }
}
