//! The exporter's per-target ping interval (issue 20): one pinger pings each target at
//! its own `ping_interval`, so two loopback targets at 200 ms and 1 s get about 5:1
//! echo requests over the same seconds; a reload that changes only a target's interval
//! keeps its series counting (no reset) at the new pace. And an interval below ping's
//! minimum is refused, naming its line, as `ping -i` refuses it without CAP_NET_RAW.

use std::path::Path;
use std::time::{Duration, Instant};

use crate::exporter::{get, sample, spawn, terminate, EXPORTER_PORT, WAIT};
use crate::lab::{lab, Lab, LabConfig};
use crate::util;

const FAST: &str = "127.0.0.1";
const SLOW: &str = "127.0.0.2";

fn requests(host: &str) -> String {
    format!("netlab_ping_requests_total{{host=\"{host}\",ip=\"{host}\"}}")
}

fn replies(host: &str) -> String {
    format!("netlab_ping_response_duration_seconds_count{{host=\"{host}\",ip=\"{host}\"}}")
}

/// (FAST's, SLOW's) echo requests so far, and the replies to SLOW.
fn counts(lab: &Lab) -> (f64, f64, f64) {
    let (status, body) = get(lab, EXPORTER_PORT, "/metrics", None);
    assert_eq!(status, 200, "{body}");
    let value = |series: String| sample(&body, &series).unwrap_or(0.0);
    (
        value(requests(FAST)),
        value(requests(SLOW)),
        value(replies(SLOW)),
    )
}

fn write_config(path: &Path, slow_interval: &str) {
    std::fs::write(
        path,
        format!(
            "listen = \"127.0.0.1:{EXPORTER_PORT}\"
[ping]
interval = \"500ms\"
[[target]]
host = \"{FAST}\"
ping_interval = \"200ms\"
[[target]]
host = \"{SLOW}\"
ping_interval = \"{slow_interval}\"
"
        ),
    )
    .expect("write config");
}

#[test]
fn two_loopback_targets_at_200ms_and_1s_get_five_to_one_and_a_reload_keeps_counting() {
    let lab = lab!(LabConfig::default().routers(0));
    let dir = tempfile::tempdir().expect("tempdir");
    let config = dir.path().join("exporter.toml");
    write_config(&config, "1s");
    let mut cmd = lab.netlab_command(&["exporter", "--config", config.to_str().unwrap()]);
    cmd.env_remove("RUST_BACKTRACE");
    let mut exporter = spawn(cmd, "netlab exporter");
    // The start-up line says both targets keep their own interval.
    exporter.wait_stderr(
        "listening on http://127.0.0.1:9470/ (2 targets pinged every 500ms, 2 of them at their own ping_interval)",
    );

    // A window of whole seconds after the first probes: 20 to FAST, 4 or 5 to SLOW.
    let deadline = Instant::now() + WAIT;
    while counts(&lab).1 < 1.0 {
        assert!(Instant::now() < deadline, "SLOW never pinged");
        std::thread::sleep(Duration::from_millis(100));
    }
    let (fast0, slow0, _) = counts(&lab);
    std::thread::sleep(Duration::from_secs(4));
    let (fast1, slow1, slow_replies) = counts(&lab);
    let (fast, slow) = (fast1 - fast0, slow1 - slow0);
    eprintln!("in 4 s: {fast} echo requests to {FAST} (200 ms), {slow} to {SLOW} (1 s)");
    assert!((16.0..=24.0).contains(&fast), "{fast} to the 200 ms target");
    assert!((3.0..=6.0).contains(&slow), "{slow} to the 1 s target");
    let ratio = fast / slow;
    assert!((3.5..=7.0).contains(&ratio), "ratio {ratio}, not about 5:1");
    assert!(slow_replies >= 3.0, "loopback answers: {slow_replies}");

    // Only SLOW's interval changes: it keeps its series and goes on at 200 ms.
    write_config(&config, "200ms");
    exporter.signal(libc::SIGHUP);
    exporter.wait_stderr("reloaded the config: 2 targets");
    let (_, slow2, replies2) = counts(&lab);
    assert!(
        slow2 >= slow1,
        "SLOW's counter was reset: {slow1} -> {slow2}"
    );
    assert!(replies2 >= slow_replies, "{slow_replies} -> {replies2}");
    std::thread::sleep(Duration::from_secs(2));
    let (_, slow3, _) = counts(&lab);
    let after = slow3 - slow2;
    assert!((7.0..=13.0).contains(&after), "{after} in 2 s at 200 ms");
    assert_eq!(terminate(exporter).code(), Some(0));
}

#[test]
fn an_interval_below_pings_minimum_is_refused_without_cap_net_raw() {
    let lab = lab!(LabConfig::default().routers(0));
    let dir = tempfile::tempdir().expect("tempdir");
    // Readable by the unprivileged user below.
    let mut perms = std::fs::metadata(dir.path()).expect("stat").permissions();
    std::os::unix::fs::PermissionsExt::set_mode(&mut perms, 0o755);
    std::fs::set_permissions(dir.path(), perms).expect("chmod");
    let config = dir.path().join("fast.toml");
    std::fs::write(
        &config,
        "[[target]]\nhost = \"127.0.0.1\"\n\nping_interval = \"1ms\"\n",
    )
    .expect("write config");
    let args = [
        "exporter",
        "--listen",
        "127.0.0.1:9470",
        "--config",
        config.to_str().unwrap(),
    ];
    // A user without CAP_NET_RAW: one line naming the line, exit 2, before listening.
    let out = lab
        .netlab_command_as(Some(61234), &args)
        .output()
        .expect("run netlab");
    util::assert_one_line_error(&out, "1ms without CAP_NET_RAW");
    let err = util::stderr(&out);
    assert!(
        err.contains("fast.toml line 4: ping_interval 1ms is below the 2ms minimum"),
        "{err}"
    );
    assert!(!err.contains("listening"), "{err}");
    // Root holds CAP_NET_RAW: the same file runs, as ping -i 0.001 does for root.
    let mut cmd = lab.netlab_command(&args);
    cmd.env_remove("RUST_BACKTRACE");
    let mut exporter = spawn(cmd, "netlab exporter as root");
    exporter.wait_stderr("listening on http://127.0.0.1:9470/");
    assert_eq!(terminate(exporter).code(), Some(0));
}
