//! netlab.exe under Wine inside the namespace lab's client (the wineserver started there).

use std::process::Stdio;

use super::{exe, have_wine_and_exe, json, one_at_a_time, stop_wineserver, LIMIT, WINE};
use crate::lab::{lab, run_or_panic, Lab, LabConfig, Role};

/// Runs `netlab.exe ARGS` under Wine in `role`'s namespace, killed after `LIMIT`. The
/// prefix's wineserver must have been started there (or not at all: `stop_wineserver`
/// first), since Wine's sockets live in the wineserver's namespace.
fn wine_in(lab: &Lab, role: Role, args: &[&str]) -> std::process::Output {
    let mut cmd = lab.command(role, WINE);
    cmd.arg(exe())
        .args(args)
        .env("WINEDEBUG", "-all")
        .env("NO_COLOR", "1")
        .stdin(Stdio::null());
    run_or_panic(&mut cmd, LIMIT)
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
    let run = |args: &[&str]| wine_in(&lab, Role::Client, args);
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
