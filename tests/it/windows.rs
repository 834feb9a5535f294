//! netlab.exe (x86_64-pc-windows-gnu) under Wine, against this host's loopback (issue 18).
//!
//! Wine runs a Windows program's sockets on the host's network stack, so `connect` to a
//! listener this test opens on 127.0.0.1, and `ping 127.0.0.1` through the ICMP helper
//! API (Wine implements it over Linux ICMP sockets), reach nothing but this host.
//!
//! One test runs it inside the namespace lab instead (`in_the_lab`), through the lab's
//! routers.
//!
//! The exe is built by `.ci/win.sh` (or `NETLAB_WINDOWS_EXE` names one), Wine and its
//! prefix come from `.ci/cross-setup.sh`; without them these tests skip loudly, and fail
//! under CI=true (`lab::skip`).

use std::net::TcpListener;
use std::path::PathBuf;
use std::process::{Command, Output, Stdio};
use std::time::Duration;

use std::sync::{Mutex, MutexGuard};

use crate::lab::skip::skip;
use crate::lab::{lab, run_or_panic, LabConfig, Role};

/// Wine's loader (Debian's wine64; not on PATH).
const WINE: &str = "/usr/lib/wine/wine64";

/// The Windows build `.ci/win.sh` leaves behind.
fn exe() -> PathBuf {
    match std::env::var_os("NETLAB_WINDOWS_EXE") {
        Some(path) => PathBuf::from(path),
        None => PathBuf::from(env!("CARGO_MANIFEST_DIR"))
            .join("target/cross-x86_64-pc-windows-gnu/x86_64-pc-windows-gnu/debug/netlab.exe"),
    }
}

/// One Wine test at a time. Wine sends ICMP echo requests from a helper process that its
/// wineserver starts (`nsiproxy.sys` in `winedevice.exe`), in whatever network namespace
/// the wineserver was started from: the lab test must not share a wineserver with the
/// loopback tests.
fn one_at_a_time() -> MutexGuard<'static, ()> {
    static WINE_TESTS: Mutex<()> = Mutex::new(());
    WINE_TESTS.lock().unwrap_or_else(|e| e.into_inner())
}

/// Ends the prefix's wineserver (and its helpers), if one runs.
fn stop_wineserver() {
    let _ = Command::new("/usr/lib/wine/wineserver")
        .arg("-k")
        .env("WINEDEBUG", "-all")
        .status();
}

/// Whether Wine and the exe are there; if not, the test is skipped (failed under CI=true).
fn have_wine_and_exe() -> bool {
    let exe = exe();
    if !std::path::Path::new(WINE).exists() {
        skip(&format!(
            "{WINE} is missing: run `sudo bash .ci/cross-setup.sh`"
        ));
        return false;
    }
    if !exe.exists() {
        skip(&format!(
            "{} is missing: run `bash .ci/win.sh` (or set NETLAB_WINDOWS_EXE)",
            exe.display()
        ));
        return false;
    }
    true
}

/// Runs `netlab.exe ARGS` under Wine on this host, killed after `limit`; None (and the
/// test skipped) when Wine or the exe is missing.
fn wine_netlab(args: &[&str], limit: Duration) -> Option<Output> {
    if !have_wine_and_exe() {
        return None;
    }
    let mut cmd = Command::new(WINE);
    cmd.arg(exe())
        .args(args)
        .env("WINEDEBUG", "-all")
        .env("NO_COLOR", "1")
        .stdin(Stdio::null());
    Some(run_or_panic(&mut cmd, limit))
}

/// The run's stdout, after checking that it exited 0.
fn succeeded(out: &Output, what: &str) -> String {
    let stdout = String::from_utf8_lossy(&out.stdout).into_owned();
    assert!(
        out.status.success(),
        "{what} exited {:?}\nstdout: {stdout}\nstderr: {}",
        out.status.code(),
        String::from_utf8_lossy(&out.stderr)
    );
    stdout
}

/// Wine's first start of a prefix (the wineserver, its registry) can take seconds.
const LIMIT: Duration = Duration::from_secs(120);

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

/// The one JSON document a run printed, after checking that it exited `code`.
fn json(out: &Output, what: &str, code: i32) -> serde_json::Value {
    let stdout = String::from_utf8_lossy(&out.stdout);
    assert_eq!(
        out.status.code(),
        Some(code),
        "{what}\nstdout: {stdout}\nstderr: {}",
        String::from_utf8_lossy(&out.stderr)
    );
    serde_json::from_str(&stdout).unwrap_or_else(|e| panic!("{what}: {e}: {stdout}"))
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

/// netlab.exe inside the lab's client namespace: `ping` and `trace -I` through the ICMP
/// helper reach the destination across the lab's two routers, and the trace names them.
#[test]
fn in_the_lab_the_windows_build_pings_and_traces_across_the_routers() {
    let _one = one_at_a_time();
    if !have_wine_and_exe() {
        return;
    }
    let lab = lab!(LabConfig::default().routers(2));
    // A wineserver started from this host's namespace would send the echo requests from
    // there: start one inside the client's, and end it after.
    stop_wineserver();
    let run = |args: &[&str]| {
        let mut cmd = lab.command(Role::Client, WINE);
        cmd.arg(exe())
            .args(args)
            .env("WINEDEBUG", "-all")
            .env("NO_COLOR", "1")
            .stdin(Stdio::null());
        run_or_panic(&mut cmd, LIMIT)
    };
    let dest = lab.dest_v4().to_string();
    let ping = run(&["ping", "-c", "3", "-i", "0.2", &dest, "--format", "json"]);
    let trace = run(&["trace", "-I", "-n", &dest, "--format", "json"]);
    stop_wineserver();

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
