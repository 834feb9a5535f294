//! The exporter under load, and its `/probe?module=http` beside blackbox_exporter's.
//!
//! - `exporter-load` (issue 20): `netlab exporter` pinging the exporter section's 100
//!   targets every second is hit by `wrk` (Debian's), first `/metrics` from 300
//!   connections, then `/probe?module=icmp` from 100 (`[probe] max_concurrent = 4`, so
//!   most are answered 503 at once, as documented). Each row: requests a second, the
//!   answers that were not 200 and the socket errors (none expected), RSS before and
//!   after. For /probe, the 503s are checked against the exporter's own
//!   `netlab_exporter_probes_total{result="busy"}`: every non-200 must be one.
//! - `exporter-http` (issue 19): netlab's `/probe?module=http` and
//!   `prometheus-blackbox-exporter`'s `http_2xx` module probing the same page of the
//!   lab's nginx (plain HTTP on the destination), each hit by `wrk` with the same
//!   connections in turn: probes a second and CPU per probe (from /proc). Both are checked
//!   before and after (`probe_success 1`) and every answer must be a 200.

use std::process::Command;
use std::time::Duration;

use super::exporter::{get, lab_with_targets, targets, wait_ready, Tool, NETLAB_PORT, SETTLE};
use super::lab::web_server::{have_nginx, pki, start_nginx, PLAIN};
use super::lab::{Lab, LabConfig, Role};
use super::{tool_present, Row};

const BLACKBOX_PORT: u16 = 9115;
/// How long each wrk run lasts.
const LOAD: Duration = Duration::from_secs(10);

/// What wrk said about one run.
#[derive(Debug, Default)]
struct Wrk {
    requests: f64,
    per_second: f64,
    not_2xx: f64,
    socket_errors: f64,
}

fn parse_wrk(text: &str) -> Wrk {
    let number = |s: &str| s.trim().trim_end_matches(',').parse::<f64>().unwrap_or(0.0);
    let mut w = Wrk::default();
    for line in text.lines().map(str::trim) {
        if let Some((n, _)) = line.split_once(" requests in ") {
            w.requests = number(n);
        } else if let Some(rest) = line.strip_prefix("Requests/sec:") {
            w.per_second = number(rest);
        } else if let Some(rest) = line.strip_prefix("Non-2xx or 3xx responses:") {
            w.not_2xx = number(rest);
        } else if let Some(rest) = line.strip_prefix("Socket errors:") {
            // "connect 0, read 0, write 0, timeout 0"
            w.socket_errors = rest
                .split(',')
                .filter_map(|kv| kv.split_whitespace().nth(1))
                .map(number)
                .sum();
        }
    }
    w
}

/// `wrk` against `url` from the client namespace with `connections`, for [`LOAD`].
fn wrk(lab: &Lab, connections: usize, url: &str) -> Wrk {
    let out = lab
        .command(Role::Client, "wrk")
        .args([
            "-t2",
            &format!("-c{connections}"),
            &format!("-d{}s", LOAD.as_secs()),
            "--timeout",
            "30s",
            url,
        ])
        .output()
        .expect("wrk runs");
    let text = String::from_utf8_lossy(&out.stdout).into_owned();
    assert!(
        out.status.success(),
        "wrk: {text}{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let w = parse_wrk(&text);
    assert!(w.requests > 0.0, "wrk made no request: {text}");
    w
}

/// The sum of the samples of `series` (a name with labels up to where they differ).
fn sum_of(text: &str, prefix: &str) -> f64 {
    text.lines()
        .filter(|l| l.starts_with(prefix))
        .filter_map(|l| l.rsplit(' ').next()?.parse::<f64>().ok())
        .sum()
}

fn need(tool: &str) -> bool {
    if !tool_present(tool) {
        eprintln!("bench exporter: {tool} missing, rows skipped");
        return false;
    }
    true
}

pub fn section_load(_runs: usize, rows: &mut Vec<Row>) {
    if !need("wrk") {
        return;
    }
    let lab = lab_with_targets();
    let dir = tempfile::tempdir().expect("tempdir");
    let config = dir.path().join("exporter.toml");
    std::fs::write(
        &config,
        format!(
            "listen = \"127.0.0.1:{NETLAB_PORT}\"\n[probe]\nallow = [\"198.18.0.0/16\"]\nmax_concurrent = 4\n"
        ),
    )
    .expect("write config");
    let mut cmd = lab.command(Role::Client, env!("CARGO_BIN_EXE_netlab"));
    cmd.args(["exporter", "--config", config.to_str().unwrap()])
        .args(targets());
    let netlab = Tool::start(&mut cmd);
    wait_ready(&lab, NETLAB_PORT, "netlab exporter");
    std::thread::sleep(SETTLE);
    let section = "exporter under load (100 targets × 1 s, wrk 10 s)".to_string();
    let base = format!("http://127.0.0.1:{NETLAB_PORT}");
    let probes = |text: &str, result: &str| {
        sum_of(
            text,
            &format!("netlab_exporter_probes_total{{module=\"icmp\",result=\"{result}\"}}"),
        )
    };
    for (label, connections, path) in [
        ("GET /metrics", 300, "/metrics".to_string()),
        (
            "GET /probe?module=icmp",
            100,
            "/probe?module=icmp&target=198.18.200.1".to_string(),
        ),
    ] {
        let before = netlab.usage();
        let counted = get(&lab, NETLAB_PORT, "/metrics").unwrap_or_default();
        let w = wrk(&lab, connections, &format!("{base}{path}"));
        std::thread::sleep(Duration::from_secs(2));
        let after = netlab.usage();
        let text = get(&lab, NETLAB_PORT, "/metrics").unwrap_or_default();
        let mut correct = format!(
            "{:.0} requests from {connections} connections: {:.0} not 200, {:.0} socket errors; RSS {} → {} KiB",
            w.requests, w.not_2xx, w.socket_errors, before.1, after.1
        );
        if path.starts_with("/probe") {
            let busy = probes(&text, "busy") - probes(&counted, "busy");
            let done = probes(&text, "success") - probes(&counted, "success");
            correct.push_str(&format!(
                "; {done:.0} probed (success), {busy:.0} answered 503 (busy){}",
                // wrk counts the answers it read; the exporter counts those it sent, and
                // when wrk stops, each connection may have one answer on its way that wrk
                // never reads. So every non-200 wrk saw must be a 503 the exporter sent,
                // and at most one 503 a connection may go unseen.
                if w.not_2xx <= busy && busy - w.not_2xx <= connections as f64 {
                    ": every non-200 a documented 503"
                } else {
                    ": NOT every non-200 a 503"
                }
            ));
        } else if w.not_2xx > 0.0 {
            correct.push_str("; a /metrics answer was not 200");
        }
        rows.push(Row {
            section: section.clone(),
            label: format!("netlab exporter: {label}"),
            runs: 1,
            median: w.per_second,
            unit: "req/s",
            versus: "-".into(),
            max_rss_kib: after.1,
            correct,
        });
    }
    let (code, peak) = netlab.stop();
    if let Some(last) = rows.last_mut() {
        last.max_rss_kib = peak;
        last.correct.push_str(&format!("; exit {code:?}"));
    }
}

/// blackbox_exporter's config: the `http_2xx` module as its example has it, IPv4.
const BLACKBOX_CONFIG: &str = "modules:
  http_2xx:
    prober: http
    timeout: 5s
    http:
      preferred_ip_protocol: ip4
";

pub fn section_http(_runs: usize, rows: &mut Vec<Row>) {
    if !need("wrk") || !need("prometheus-blackbox-exporter") || !have_nginx() {
        return;
    }
    let lab = Lab::new(LabConfig::default()).unwrap_or_else(|e| panic!("lab: {e:?}"));
    let pki = pki();
    let _nginx = start_nginx(&lab, &pki);
    let page = format!("http://{}:{PLAIN}/", lab.dest_v4());
    let dir = tempfile::tempdir().expect("tempdir");
    let netlab_config = dir.path().join("exporter.toml");
    std::fs::write(
        &netlab_config,
        format!(
            "listen = \"127.0.0.1:{NETLAB_PORT}\"\n[probe]\nallow = [\"198.18.0.0/16\"]\nmax_concurrent = 64\n"
        ),
    )
    .expect("write config");
    let blackbox_config = dir.path().join("blackbox.yml");
    std::fs::write(&blackbox_config, BLACKBOX_CONFIG).expect("write config");
    let start = |cmd: &mut Command| Tool::start(cmd);
    let mut netlab = lab.command(Role::Client, env!("CARGO_BIN_EXE_netlab"));
    netlab.args(["exporter", "--config", netlab_config.to_str().unwrap()]);
    let mut blackbox = lab.command(Role::Client, "prometheus-blackbox-exporter");
    blackbox.args([
        &format!("--config.file={}", blackbox_config.display()),
        &format!("--web.listen-address=127.0.0.1:{BLACKBOX_PORT}"),
    ]);
    let tools = [
        (
            "netlab exporter /probe?module=http",
            start(&mut netlab),
            NETLAB_PORT,
            "http",
        ),
        (
            "prometheus-blackbox-exporter 0.23 module=http_2xx",
            start(&mut blackbox),
            BLACKBOX_PORT,
            "http_2xx",
        ),
    ];
    for (what, _, port, _) in &tools {
        wait_ready(&lab, *port, what);
    }
    let path = |module: &str| format!("/probe?module={module}&target={page}");
    let success = |port: u16, module: &str| {
        let text = get(&lab, port, &path(module)).unwrap_or_default();
        sum_of(&text, "probe_success ") == 1.0
    };
    let connections = 8;
    let section =
        format!("/probe?module=http of nginx in the lab, wrk {connections} connections, 10 s");
    for (i, (what, tool, port, module)) in tools.into_iter().enumerate() {
        let ok_before = success(port, module);
        let before = tool.usage();
        let w = wrk(
            &lab,
            connections,
            &format!("http://127.0.0.1:{port}{}", path(module)),
        );
        let after = tool.usage();
        let ok_after = success(port, module);
        let (code, peak) = tool.stop();
        let cpu_ms = (after.0 - before.0) * 1e3;
        rows.push(Row {
            section: section.clone(),
            label: what.to_string(),
            runs: 1,
            median: w.per_second,
            unit: "probes/s",
            versus: if i == 0 {
                "1.00×".into()
            } else {
                format!("{:.2}×", w.per_second / rows[rows.len() - 1].median)
            },
            max_rss_kib: peak,
            correct: format!(
                "{:.0} probes: {:.0} not 200, {:.0} socket errors; probe_success 1 before {ok_before}, after {ok_after}; CPU {:.3} ms a probe ({:.0} ms/s); exit {code:?}",
                w.requests,
                w.not_2xx,
                w.socket_errors,
                cpu_ms / w.requests,
                cpu_ms / LOAD.as_secs_f64(),
            ),
        });
    }
}
