//! `resolve` in netlab.exe under Wine, inside the namespace lab's client: the DNS servers
//! come from the Windows configuration (`GetAdaptersAddresses`), with no `--server`.
//!
//! Wine's `GetAdaptersAddresses` gives every adapter the servers of the resolv.conf its
//! process sees, and `ip netns exec` bind-mounts the lab's over `/etc/resolv.conf`: so
//! the Windows build asks the lab's DNS server, as a Windows machine asks the server its
//! adapter was given. The Linux build's answer for the same name in the same lab is the
//! reference. (The hosts file is Wine's prefix's own, under `%SystemRoot%`, not the
//! lab's.)

use std::process::Output;

use serde_json::Value;

use super::{have_wine_and_exe, json, one_at_a_time, run_exe, stop_wineserver, LIMIT, WINE};
use crate::lab::{lab, Lab, LabConfig, Role};

/// The lab's DNS server, as `resolve` names its source.
const DNS: &str = "198.18.100.53:53";

/// Runs `netlab.exe ARGS` under Wine in the lab's client namespace (the wineserver must
/// have been stopped first, so that one is started there).
fn wine_in_client(lab: &Lab, args: &[&str]) -> Output {
    run_exe(lab.command(Role::Client, WINE), args, LIMIT)
}

/// The (type, value) of each answer of a document's only query, and its source.
fn answers_and_source(doc: &Value) -> (Vec<(String, String)>, Value) {
    let queries = doc["queries"].as_array().expect("queries");
    assert_eq!(queries.len(), 1, "{doc}");
    let rows = queries[0]["answers"]
        .as_array()
        .expect("answers")
        .iter()
        .map(|a| (a["type"].to_string(), a["value"].to_string()))
        .collect();
    (rows, queries[0]["source"].clone())
}

#[test]
fn in_the_lab_the_windows_build_resolves_through_the_adapters_dns_server() {
    let _one = one_at_a_time();
    if !have_wine_and_exe() {
        return;
    }
    let lab = lab!(LabConfig::default());
    stop_wineserver();
    let run = |args: &[&str]| wine_in_client(&lab, args);
    let system = run(&["resolve", "www.netlab.test", "--format", "json"]);
    let searched = run(&["resolve", "www", "--format", "json"]);
    let server = run(&[
        "resolve",
        "--server",
        "198.18.100.53",
        "www.netlab.test",
        "--format",
        "json",
    ]);
    let missing = run(&["resolve", "nosuch.netlab.test"]);
    stop_wineserver();
    let linux = lab.netlab(&["resolve", "www.netlab.test", "--format", "json"]);

    let linux = answers_and_source(&json(&linux, "Linux netlab resolve www.netlab.test", 0));
    let v4 = format!("\"{}\"", lab.dest_v4());
    let v6 = format!("\"{}\"", lab.dest_v6());
    assert_eq!(
        linux.0,
        [("\"A\"".to_string(), v4), ("\"AAAA\"".to_string(), v6)]
    );
    assert_eq!(linux.1, DNS);

    // No --server: the adapters' server (Wine's, from the lab's resolv.conf).
    let windows = answers_and_source(&json(&system, "netlab.exe resolve www.netlab.test", 0));
    assert_eq!(
        windows, linux,
        "the Windows build's answer is the Linux build's"
    );
    // A single label through the adapters' suffix list (Wine's: resolv.conf's search).
    let doc = json(&searched, "netlab.exe resolve www", 0);
    assert_eq!(answers_and_source(&doc), linux, "{doc}");
    // --server through hickory, as on Linux.
    let doc = json(
        &server,
        "netlab.exe resolve --server DNS www.netlab.test",
        0,
    );
    assert_eq!(answers_and_source(&doc), linux, "{doc}");

    // A name the lab lacks: exit 1, one line, naming the adapters' server.
    let stderr = String::from_utf8_lossy(&missing.stderr);
    assert_eq!(missing.status.code(), Some(1), "{stderr}");
    assert!(missing.stdout.is_empty(), "{stderr}");
    assert_eq!(stderr.lines().count(), 1, "{stderr}");
    assert!(
        stderr.starts_with(&format!(
            "netlab: nosuch.netlab.test: no such name (NXDOMAIN for nosuch.netlab.test from {DNS})"
        )),
        "{stderr}"
    );
}
