//! netlab.exe under Wine inside the namespace lab (issue 18's Windows smoke suite): `ping`,
//! `trace -I`, `connect`, `check` in the client's namespace and `serve` in the
//! destination's, each with `--format json`, compared with Linux netlab in the same lab
//! where both can do the same. Wine's sockets live in its wineserver's network namespace,
//! so every test ends the wineserver before and after, and the first Wine program it runs
//! starts one in the namespace it runs in.

use std::process::Command;
use std::sync::MutexGuard;
use std::time::Duration;

use serde_json::{json, Value};

use super::{exe, have_wine_and_exe, json, one_at_a_time, run_exe, stop_wineserver, LIMIT, WINE};
use crate::lab::{Lab, LabConfig, Role, CLOSED_PORT, FILTERED_PORT, HTTP_PORT};
use crate::util::running::Running;

/// Runs `netlab.exe ARGS` under Wine in `role`'s namespace, killed after `LIMIT`. The
/// prefix's wineserver must have been started there (or not at all: `stop_wineserver`
/// first), since Wine's sockets live in the wineserver's namespace.
fn wine_in(lab: &Lab, role: Role, args: &[&str]) -> std::process::Output {
    run_exe(lab.command(role, WINE), args, LIMIT)
}

/// A lab for a Wine test: built while holding `one_at_a_time()`, with no wineserver
/// running (the first Wine program starts one where it runs); dropped, it ends the
/// wineserver before the lab's namespaces go, so a test that fails half-way leaves none.
struct WineLab {
    lab: Lab,
    _one: MutexGuard<'static, ()>,
}

impl WineLab {
    /// None (the test skipped, or failed under CI=true) without Wine, the exe or the lab.
    fn build(config: LabConfig) -> Option<WineLab> {
        let one = one_at_a_time();
        if !have_wine_and_exe() {
            return None;
        }
        let lab = Lab::build_or_skip(config)?;
        stop_wineserver();
        Some(WineLab { lab, _one: one })
    }
}

impl std::ops::Deref for WineLab {
    type Target = Lab;
    fn deref(&self) -> &Lab {
        &self.lab
    }
}

impl Drop for WineLab {
    fn drop(&mut self) {
        stop_wineserver();
    }
}

/// netlab.exe inside the lab's client namespace: `ping` and `trace -I` through the ICMP
/// helper reach the destination across the lab's two routers, and the trace names them.
#[test]
fn in_the_lab_the_windows_build_pings_and_traces_across_the_routers() {
    let Some(lab) = WineLab::build(LabConfig::default().routers(2)) else {
        return;
    };
    let run = |args: &[&str]| wine_in(&lab, Role::Client, args);
    let dest = lab.dest_v4().to_string();
    let ping = run(&["ping", "-c", "3", "-i", "0.2", &dest, "--format", "json"]);
    let trace = run(&["trace", "-I", "-n", &dest, "--format", "json"]);

    let doc = json(&ping, "ping -c 3 DEST in the lab", 0);
    assert_eq!(doc["summary"][0]["received"], 3, "{doc}");
    for reply in doc["replies"].as_array().expect("replies") {
        assert_eq!(reply["from"].as_str(), Some(dest.as_str()), "{doc}");
    }
    let doc = json(&trace, "trace -I -n DEST in the lab", 0);
    assert_eq!(doc["reached"], true, "{doc}");
    assert_eq!(doc["hops_to_destination"], 3, "{doc}");
    let first_responder = |hop: usize| doc["hops"][hop]["responders"][0]["address"].clone();
    assert_eq!(first_responder(0), lab.router_v4(1).to_string(), "{doc}");
    assert_eq!(first_responder(1), lab.router_v4(2).to_string(), "{doc}");
    assert_eq!(first_responder(2), dest, "{doc}");
    // The seed reports' last step: the address the trace ends on is the one resolved.
    assert_eq!(doc["address_check"]["matches"], true, "{doc}");
    assert_eq!(
        doc["address_check"]["last_hop"].as_str(),
        Some(dest.as_str()),
        "{doc}"
    );
}

/// Traces one after another under one wineserver through 6 routers: every one ends in
/// seconds with the whole path. A run can end with requests in flight (probes whose
/// answers the routers' rate limit dropped), and under Wine a process that ended with requests in flight
/// cancelled them, which now and then deadlocked Wine's `nsiproxy.sys` (its lock order
/// between completing and cancelling): from then on no ICMP request of any program under
/// that wineserver was answered (1 trace in 3 or fewer hung so, by hand). netlab.exe's
/// last socket handle now waits for its requests (`src/net/icmp/windows.rs`).
#[test]
fn in_the_lab_the_windows_build_traces_again_and_again_under_one_wineserver() {
    let Some(lab) = WineLab::build(LabConfig::default().routers(6)) else {
        return;
    };
    let dest = lab.dest_v4().to_string();
    for run in 1..=12 {
        let out = run_exe(
            lab.command(Role::Client, WINE),
            // Back to back, the routers' ICMP rate limit drops some answers: `-w 1`
            // keeps such a run to a second.
            &["trace", "-I", "-n", "-w", "1", &dest, "--format", "json"],
            Duration::from_secs(30),
        );
        let doc = json(&out, &format!("trace -I -n DEST, run {run} of 12"), 0);
        assert_eq!(doc["reached"], true, "run {run}: {doc}");
        assert_eq!(doc["hops_to_destination"], 7, "run {run}: {doc}");
    }
}

/// A probe's figures from a `connect --format json` document that must be the same on
/// both platforms: address, port, protocol, state, detail, and whether a time was taken.
fn probe_facts(doc: &Value) -> Vec<(Value, Value, Value, Value, Value, bool)> {
    doc["probes"]
        .as_array()
        .unwrap_or_else(|| panic!("no probes array: {doc}"))
        .iter()
        .map(|p| {
            (
                p["address"].clone(),
                p["port"].clone(),
                p["protocol"].clone(),
                p["state"].clone(),
                p["detail"].clone(),
                p["time_ms"].as_f64().is_some_and(|t| t > 0.0),
            )
        })
        .collect()
}

/// `connect` from the client namespace to the destination's open, closed and filtered
/// (`iptables -j DROP` there) ports, netlab.exe under Wine beside Linux netlab: the same
/// state, detail and exit code on both (0 open, 1 closed or filtered). Wine connects
/// through the host's sockets, so the closed port's RST is WinSock's `WSAECONNREFUSED`
/// and the filtered one's silence a timeout at `-w`: no platform difference to explain.
#[test]
fn in_the_lab_the_windows_build_connects_to_open_closed_and_filtered_ports_as_linux_does() {
    let Some(lab) = WineLab::build(LabConfig::default()) else {
        return;
    };
    let dest = lab.dest_v4().to_string();
    let cases = [
        (HTTP_PORT, "open", 0),
        (CLOSED_PORT, "closed", 1),
        (FILTERED_PORT, "filtered", 1),
    ];
    for (port, state, code) in cases {
        let target = format!("{dest}:{port}");
        let args = ["connect", "-w", "1s", &target, "--format", "json"];
        let windows = json(&wine_in(&lab, Role::Client, &args), &target, code);
        let linux = json(&lab.netlab(&args), &format!("Linux {target}"), code);
        let facts = probe_facts(&windows);
        assert_eq!(facts, probe_facts(&linux), "{windows}\n{linux}");
        let timed = state != "filtered";
        let expected = (
            Value::from(dest.as_str()),
            Value::from(port),
            Value::from("tcp"),
            Value::from(state),
            Value::Null,
            timed,
        );
        assert_eq!(facts, [expected], "{windows}");
        assert_eq!(windows["interrupted"], false, "{windows}");
        let stats = &windows["statistics"][0];
        assert_eq!(stats["sent"], 1, "{windows}");
        assert_eq!(stats["open"], u8::from(code == 0), "{windows}");
    }
}

/// `serve` as netlab.exe under Wine in the destination's namespace, a Linux netlab client
/// in the client's. Wine opens a program's sockets in its wineserver's network namespace,
/// and one prefix has one wineserver: so the wineserver is stopped first and the server
/// started under `ip netns exec DEST`, which starts a new wineserver there (the client,
/// Linux netlab, needs none). `serve` has no count or time limit: it stops as on Windows
/// on Ctrl-C, which Wine raises for a SIGINT (its console control event), with its totals
/// and exit 0; then the wineserver is ended and no process is left in the namespace.
#[test]
fn in_the_lab_the_windows_build_serves_a_linux_client_and_stops_on_ctrl_c() {
    let Some(lab) = WineLab::build(LabConfig::default()) else {
        return;
    };
    let mut cmd = lab.command(Role::Dest, WINE);
    cmd.arg(exe())
        .args([
            "serve",
            "7400",
            "--reply",
            "welcome {line}",
            "--format",
            "json",
        ])
        .env("WINEDEBUG", "-all");
    let mut server = Running::spawn("netlab.exe serve", cmd).patience(LIMIT);
    server.wait_stderr("Ctrl-C stops");
    let target = format!("{}:7400", lab.dest_v4());
    let args = [
        "connect",
        &target,
        "--send",
        r"alice\n",
        "--expect",
        "welcome alice",
        "--format",
        "json",
    ];
    let client = json(&lab.netlab(&args), "Linux connect --send to netlab.exe", 0);
    let probe = &client["probes"][0];
    assert_eq!(probe["state"], "open", "{client}");
    assert_eq!(probe["answer"], r"welcome alice\n", "{client}");
    assert_eq!(probe["expect_matched"], true, "{client}");

    server.signal(libc::SIGINT);
    let (status, out, err) = server.wait();
    assert_eq!(status.code(), Some(0), "{out:?}\n{err:?}");
    let doc: Value = serde_json::from_str(&out.join("\n"))
        .unwrap_or_else(|e| panic!("serve's JSON: {e}: {out:?}\n{err:?}"));
    assert_eq!(doc["listen"], "[::]:7400", "{doc}");
    assert_eq!(doc["dual_stack"], true, "{doc}");
    assert_eq!(doc["protocol"], "tcp", "{doc}");
    assert_eq!(doc["mode"], "reply", "{doc}");
    let connections = doc["connections"].as_array().expect("connections");
    assert_eq!(connections.len(), 1, "{doc}");
    let served = &connections[0];
    let peer = served["peer"].as_str().expect("peer");
    assert!(peer.starts_with(&format!("{}:", lab.client_v4())), "{doc}");
    assert_eq!(served["bytes_in"], 6, "{doc}");
    assert_eq!(served["bytes_out"], 14, "{doc}");
    assert_eq!(served["lines_in"], 1, "{doc}");
    assert_eq!(served["end"], "closed_by_peer", "{doc}");
    assert_eq!(doc["totals"]["served"], 1, "{doc}");
    assert_eq!(doc["totals"]["refused"], 0, "{doc}");

    stop_wineserver();
    let pids = Command::new("ip")
        .args(["netns", "pids", lab.ns(Role::Dest)])
        .output()
        .expect("ip netns pids");
    assert_eq!(
        String::from_utf8_lossy(&pids.stdout).trim(),
        "",
        "processes left in the destination's namespace"
    );
}

/// The rows of a `check` document: (name, status, explanation).
fn check_rows(doc: &Value) -> Vec<(String, String, Value)> {
    doc["checks"]
        .as_array()
        .unwrap_or_else(|| panic!("no checks array: {doc}"))
        .iter()
        .map(|c| {
            (
                c["name"].as_str().unwrap_or_default().to_string(),
                c["status"].as_str().unwrap_or_default().to_string(),
                c["explanation"].clone(),
            )
        })
        .collect()
}

/// The addresses of each hop of a `check` document's trace.
fn check_hops(doc: &Value) -> Vec<Value> {
    doc["trace"]["hops"]
        .as_array()
        .unwrap_or_else(|| panic!("no trace hops: {doc}"))
        .iter()
        .map(|h| h["addresses"].clone())
        .collect()
}

/// `check DEST` under Wine in the client's namespace beside Linux netlab's in the same
/// lab: the same verdict rows with the same statuses and explanations, the same probed
/// address, connect state, ping replies and hops. The one difference is the trace's
/// method, not shown in the document: Linux traces with UDP (its error queue needs no
/// privilege), Windows with ICMP through the helper API (it has no error queue, and raw
/// sockets need Administrator); both see the same routers and end on the destination.
#[test]
fn in_the_lab_the_windows_build_checks_the_destination_as_linux_does() {
    let Some(lab) = WineLab::build(LabConfig::default()) else {
        return;
    };
    let dest = lab.dest_v4().to_string();
    let args = ["check", &dest, "--format", "json"];
    let windows = json(&wine_in(&lab, Role::Client, &args), "check DEST", 0);
    let linux = json(&lab.netlab(&args), "Linux check DEST", 0);

    let rows = check_rows(&windows);
    assert_eq!(rows, check_rows(&linux), "{windows}\n{linux}");
    let statuses: Vec<(&str, &str)> = rows
        .iter()
        .map(|(name, status, _)| (name.as_str(), status.as_str()))
        .collect();
    assert_eq!(
        statuses,
        [
            ("resolver_agrees_with_dns", "skip"),
            ("port_answers", "pass"),
            ("ping_replies_from_address", "pass"),
            ("trace_ends_on_address", "pass"),
        ],
        "{windows}"
    );
    assert_eq!(windows["passed"], true, "{windows}");
    for doc in [&windows, &linux] {
        assert_eq!(doc["address"], dest.as_str(), "{doc}");
        assert_eq!(doc["port"], HTTP_PORT, "{doc}");
        assert_eq!(doc["resolve"]["source"], "literal", "{doc}");
        assert_eq!(doc["connect"]["to"], format!("{dest}:{HTTP_PORT}"), "{doc}");
        assert_eq!(doc["connect"]["state"], "open", "{doc}");
        assert_eq!(doc["ping"]["transmitted"], 3, "{doc}");
        assert_eq!(doc["ping"]["received"], 3, "{doc}");
        assert_eq!(doc["ping"]["replies_from"], json!([dest]), "{doc}");
        assert_eq!(doc["trace"]["ending"], "reached", "{doc}");
        assert_eq!(doc["trace"]["end_address"], dest.as_str(), "{doc}");
    }
    let hops = [lab.hop_v4(1).to_string(), lab.hop_v4(2).to_string(), dest];
    let expected: Vec<Value> = hops.iter().map(|a| json!([a])).collect();
    assert_eq!(check_hops(&windows), expected, "{windows}");
    assert_eq!(check_hops(&linux), expected, "{linux}");
}
