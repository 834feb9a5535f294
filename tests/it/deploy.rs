//! What ships for running `netlab exporter` in production, checked against the real
//! tools: the systemd unit by `systemd-analyze verify` and `security`, and its ExecStart
//! run in the lab as an unprivileged user holding CAP_NET_RAW alone; the Grafana
//! dashboard as JSON with the fields Grafana requires, each panel's PromQL parsed by
//! promtool and queried against a real Prometheus that loads the shipped rules and
//! scrapes that exporter; every shipped alert unit-tested firing and quiet
//! (`examples/prometheus/rules_test.yml`, run by
//! `exporter::example_alert_rules_pass_promtool_check_and_unit_tests`); and the README
//! naming every shipped file and alert. The many-vantage-points lab test is in
//! `exporter_fleet.rs`.

use std::collections::HashSet;
use std::path::{Path, PathBuf};
use std::process::Command;
use std::time::{Duration, Instant};

use serde_json::Value;

use crate::exporter::{
    alerts_only_about, examples, get, have_prometheus, lab_config, prom_query, promtool, sample,
    spawn, start_prometheus, terminate, value_of, EXPORTER_PORT, WAIT,
};
use crate::lab::{lab, LabConfig, Role};

fn repo(file: &str) -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join(file)
}

fn read(path: &Path) -> String {
    std::fs::read_to_string(path).unwrap_or_else(|e| panic!("{}: {e}", path.display()))
}

fn unit() -> String {
    read(&repo("deploy/systemd/netlab-exporter.service"))
}

/// The unit's ExecStart as words (no quoting is used in it).
fn unit_exec_start(unit: &str) -> Vec<String> {
    let line = unit
        .lines()
        .find_map(|l| l.strip_prefix("ExecStart="))
        .expect("ExecStart");
    assert!(!line.contains(['"', '\'', '\\']), "{line}");
    line.split_whitespace().map(str::to_string).collect()
}

/// The word after `flag` in the unit's ExecStart, settable.
fn flag_value<'a>(words: &'a mut [String], flag: &str) -> &'a mut String {
    let at = words
        .iter()
        .position(|w| w == flag)
        .unwrap_or_else(|| panic!("ExecStart has no {flag}"));
    &mut words[at + 1]
}

/// The dashboard and its panels' expressions (panel id, refId, expr), with Grafana's
/// variables given what an "All" selection and a 1-minute rate window give.
fn dashboard() -> (Value, Vec<(u64, String, String)>) {
    let text = read(&repo("deploy/grafana/netlab-exporter.json"));
    let doc: Value = serde_json::from_str(&text).expect("the dashboard is JSON");
    let mut exprs = Vec::new();
    for panel in doc["panels"].as_array().expect("panels") {
        let id = panel["id"].as_u64().expect("a numeric panel id");
        for target in panel["targets"].as_array().expect("targets") {
            let expr = target["expr"]
                .as_str()
                .expect("expr")
                .replace("$__rate_interval", "1m")
                .replace("$instance", ".*")
                .replace("$host", ".*");
            let ref_id = target["refId"].as_str().expect("refId").to_string();
            exprs.push((id, ref_id, expr));
        }
    }
    (doc, exprs)
}

/// `systemd-analyze verify` (no warning allowed) and `security` (exposure at most 2.0)
/// on the unit, its binary path pointed at the one under test (verify checks that
/// ExecStart's program exists); `--man=no` since the man page is installed with the
/// binary, not here. `.ci/run` installs systemd; without it this fails under CI=true.
#[test]
fn the_systemd_unit_verifies_and_keeps_its_hardening() {
    let unit = unit();
    let settings: Vec<&str> = unit.lines().filter(|l| !l.starts_with('#')).collect();
    for line in [
        "DynamicUser=yes",
        "AmbientCapabilities=CAP_NET_RAW",
        "CapabilityBoundingSet=CAP_NET_RAW",
        "ProtectSystem=strict",
        "ProtectHome=yes",
        "NoNewPrivileges=yes",
        "ExecReload=/bin/kill -HUP $MAINPID",
        "RestartPreventExitStatus=2",
    ] {
        assert!(settings.contains(&line), "the unit lacks {line}");
    }
    assert!(!settings.iter().any(|l| l.starts_with("User=")), "{unit}");
    let present = Command::new("systemd-analyze")
        .arg("--version")
        .output()
        .is_ok_and(|o| o.status.success());
    if !present {
        crate::lab::skip::skip("no systemd-analyze (apt-get install systemd)");
        return;
    }
    let dir = tempfile::tempdir().unwrap();
    let copy = dir.path().join("netlab-exporter.service");
    let verify = |text: &str| {
        std::fs::write(&copy, text).unwrap();
        let out = Command::new("systemd-analyze")
            .args(["verify", "--man=no"])
            .arg(&copy)
            .output()
            .expect("systemd-analyze");
        let said = format!(
            "{}{}",
            String::from_utf8_lossy(&out.stdout),
            String::from_utf8_lossy(&out.stderr)
        );
        // A value it cannot parse is only a warning: none may be printed.
        (out.status.success() && said.trim().is_empty(), said)
    };
    let text = unit.replace("/usr/local/bin/netlab", env!("CARGO_BIN_EXE_netlab"));
    let (ok, said) = verify(&text);
    assert!(ok, "{said}");
    // Its exposure, as `systemd-analyze security` rates it (the README quotes it).
    let out = Command::new("systemd-analyze")
        .args(["security", "--offline=true", "--no-pager"])
        .arg(&copy)
        .output()
        .expect("systemd-analyze security");
    let said = String::from_utf8_lossy(&out.stdout);
    let level: f64 = said
        .lines()
        .find_map(|l| {
            l.split("Overall exposure level for netlab-exporter.service: ")
                .nth(1)
        })
        .and_then(|rest| rest.split_whitespace().next()?.parse().ok())
        .unwrap_or_else(|| panic!("no exposure level in:\n{said}"));
    assert!(level <= 2.0, "exposure {level}:\n{said}");
    // And the checks can fail: a bad value, an unknown key.
    let (ok, said) = verify(&text.replace("ProtectSystem=strict", "ProtectSystem=bogus"));
    assert!(!ok && said.contains("bogus"), "{said}");
    let (ok, said) = verify(&text.replace("ProtectSystem=", "ProtectSytem="));
    assert!(!ok && said.contains("Unknown key"), "{said}");
}

/// The unit's flags are the binary's: each --flag is in `netlab exporter --help`, and the
/// whole command line parses (clap rejects an unknown flag or a missing value before the
/// config is read, so a missing config file is the error it must reach). Running it as
/// the unit does is `the_dashboard_and_rules_answer_from_a_real_prometheus_in_the_lab`.
#[test]
fn the_unit_runs_unprivileged_with_cap_net_raw_alone() {
    let mut words = unit_exec_start(&unit());
    assert_eq!(words[0], "/usr/local/bin/netlab");
    assert_eq!(words[1], "exporter");
    let help = Command::new(env!("CARGO_BIN_EXE_netlab"))
        .args(["exporter", "--help"])
        .output()
        .expect("netlab exporter --help");
    let help = String::from_utf8_lossy(&help.stdout).into_owned();
    let flags: Vec<&String> = words.iter().filter(|w| w.starts_with("--")).collect();
    assert!(flags.len() >= 2, "{words:?}");
    for flag in flags {
        assert!(help.contains(&format!("{flag} ")), "{flag} not in:\n{help}");
    }
    let dir = tempfile::tempdir().expect("tempdir");
    let web = dir.path().join("web.yml");
    std::fs::write(&web, "").expect("write web config");
    *flag_value(&mut words, "--web.config.file") = web.to_str().unwrap().into();
    *flag_value(&mut words, "--config") = "/nonexistent/netlab/exporter.toml".into();
    let out = Command::new(env!("CARGO_BIN_EXE_netlab"))
        .args(&words[1..])
        .output()
        .expect("netlab");
    let err = String::from_utf8_lossy(&out.stderr);
    assert_eq!(out.status.code(), Some(2), "{err}");
    assert!(
        err.starts_with("netlab: ") && err.contains("/nonexistent/netlab/exporter.toml"),
        "{err}"
    );
}

#[test]
fn the_dashboard_has_what_grafana_requires_and_its_expressions_parse() {
    let (doc, exprs) = dashboard();
    assert!(doc["title"].as_str().is_some_and(|t| !t.is_empty()));
    assert!(doc["uid"]
        .as_str()
        .is_some_and(|u| !u.is_empty() && u.len() <= 40));
    assert!(doc["schemaVersion"].as_u64().is_some_and(|v| v >= 36));
    assert!(!doc["time"].is_null());
    let vars: Vec<&str> = doc["templating"]["list"]
        .as_array()
        .unwrap()
        .iter()
        .map(|v| v["name"].as_str().unwrap())
        .collect();
    assert_eq!(vars, ["datasource", "instance", "host"]);
    let panels = doc["panels"].as_array().expect("panels");
    let kinds = [
        "heatmap",
        "timeseries",
        "table",
        "stat",
        "gauge",
        "bargauge",
        "text",
    ];
    let mut ids = HashSet::new();
    let mut types = HashSet::new();
    for p in panels {
        let title = p["title"].as_str().expect("a panel title");
        assert!(
            ids.insert(p["id"].as_u64().expect("a numeric id")),
            "{title}: id twice"
        );
        let ty = p["type"].as_str().unwrap();
        assert!(kinds.contains(&ty), "{title}: type {ty}");
        types.insert(ty);
        let g = &p["gridPos"];
        for k in ["x", "y", "w", "h"] {
            assert!(g[k].as_u64().is_some(), "{title}: gridPos.{k}");
        }
        assert!(
            g["x"].as_u64().unwrap() + g["w"].as_u64().unwrap() <= 24,
            "{title}"
        );
        assert_eq!(p["datasource"]["uid"], "${datasource}", "{title}");
        let targets = p["targets"].as_array().expect("targets");
        assert!(!targets.is_empty(), "{title}");
        let mut refs = HashSet::new();
        for t in targets {
            assert!(refs.insert(t["refId"].as_str().expect("refId")), "{title}");
            let expr = t["expr"].as_str().expect("expr");
            // Only the exporter's metrics, the rules' records and ALERTS.
            assert!(
                expr.contains("netlab_") || expr.contains("ALERTS"),
                "{title}: {expr}"
            );
            for var in expr.split('$').skip(1) {
                let name: String = var
                    .chars()
                    .take_while(|c| c.is_alphanumeric() || *c == '_')
                    .collect();
                assert!(
                    name == "__rate_interval" || vars.contains(&name.as_str()),
                    "{title}: ${name} is not a variable"
                );
            }
        }
    }
    // What the issue asks to see.
    assert!(types.contains("heatmap"));
    let all: String = exprs.iter().map(|(_, _, e)| e.as_str()).collect();
    for needed in [
        "netlab_ping_response_duration_seconds_bucket",
        "target:netlab_ping_loss:ratio1m",
        "hop:netlab_hop_loss:ratio10m",
        "NetlabHopForwardingLoss",
        "netlab_path_changes_total",
        "netlab_hop_address_info",
        "netlab_path_hops",
        "host:netlab_vantage_points_down:count",
    ] {
        assert!(all.contains(needed), "the dashboard lacks {needed}");
    }
    assert_eq!(exprs.len(), 15);

    // promtool parses PromQL only inside rules: one recording rule per expression.
    if !have_prometheus() {
        return;
    }
    let dir = tempfile::tempdir().expect("tempdir");
    let file = dir.path().join("dashboard-exprs.yml");
    let mut yaml = String::from("groups:\n  - name: dashboard\n    rules:\n");
    for (id, ref_id, expr) in &exprs {
        yaml.push_str(&format!(
            "      - record: dashboard:panel{id}:{ref_id}\n        expr: {}\n",
            serde_json::to_string(expr).unwrap()
        ));
    }
    std::fs::write(&file, &yaml).expect("write");
    let (ok, out) = promtool(&["check", "rules", file.to_str().unwrap()], "");
    assert!(
        ok && out.contains(&format!("SUCCESS: {} rules found", exprs.len())),
        "{out}\n{yaml}"
    );
    // And it can fail.
    std::fs::write(&file, yaml.replace("sum by (le)", "sum by (le")).expect("write");
    let (ok, out) = promtool(&["check", "rules", file.to_str().unwrap()], "");
    assert!(!ok, "{out}");
}

/// The alerts of rules.yml, in order.
fn shipped_alerts() -> Vec<String> {
    read(&examples().join("rules.yml"))
        .lines()
        .filter_map(|l| l.trim().strip_prefix("- alert: "))
        .map(str::to_string)
        .collect()
}

/// Every alert the rules define is tested both firing (a non-empty `exp_alerts`) and
/// quiet (an empty one) in the unit tests; promtool runs them in
/// `exporter::example_alert_rules_pass_promtool_check_and_unit_tests`.
#[test]
fn every_shipped_alert_is_unit_tested_firing_and_quiet() {
    let tests = read(&examples().join("rules_test.yml"));
    let alerts = shipped_alerts();
    assert_eq!(alerts.len(), 9, "{alerts:?}");
    for alert in alerts {
        let line = format!("alertname: {alert}\n");
        let blocks: Vec<&str> = tests.split(&line).skip(1).collect();
        let quiet = blocks
            .iter()
            .any(|b| b.trim_start().starts_with("exp_alerts: []"));
        let firing = blocks
            .iter()
            .any(|b| b.trim_start().starts_with("exp_alerts:\n"));
        assert!(quiet && firing, "{alert}: quiet {quiet}, firing {firing}");
    }
}

/// The lab: the exporter started with the unit's ExecStart flags as an unprivileged user
/// holding only CAP_NET_RAW (what DynamicUser + AmbientCapabilities give it), in a
/// namespace whose ping_group_range is the kernel's "1 0" (no unprivileged ICMP sockets),
/// pinging and tracing the destination; a real Prometheus loads the shipped rules and
/// scrapes it; every panel's expression is queried, and the core ones (and the recording
/// rules) have data that means something.
#[test]
fn the_dashboard_and_rules_answer_from_a_real_prometheus_in_the_lab() {
    if !have_prometheus() {
        return;
    }
    let lab = lab!(LabConfig::default().routers(2));
    let dest = lab.dest_v4().to_string();
    let unreachable = lab.unreachable_v4().to_string();
    let dir = tempfile::tempdir().expect("tempdir");
    // The service's user owns nothing here: let it read the config.
    std::fs::set_permissions(
        dir.path(),
        std::os::unix::fs::PermissionsExt::from_mode(0o755),
    )
    .expect("chmod");
    let config = dir.path().join("exporter.toml");
    std::fs::write(&config, lab_config(&lab)).expect("write config");
    // An empty web config: plain HTTP, no auth (exporter_ops tests TLS and auth).
    let web = dir.path().join("web.yml");
    std::fs::write(&web, "").expect("write web config");
    let mut words = unit_exec_start(&unit());
    *flag_value(&mut words, "--config") = config.to_str().unwrap().into();
    *flag_value(&mut words, "--web.config.file") = web.to_str().unwrap().into();
    // No --listen: the default, loopback port 9470.
    assert!(!words.contains(&"--listen".to_string()), "{words:?}");
    // Unprivileged ICMP sockets are off in the client namespace (the kernel's "1 0"):
    // only CAP_NET_RAW lets the pings out.
    let range = lab.in_ns(Role::Client, || {
        std::fs::read_to_string("/proc/sys/net/ipv4/ping_group_range").expect("ping_group_range")
    });
    assert_eq!(range.split_whitespace().collect::<Vec<_>>(), ["1", "0"]);
    let mut cmd = lab.command(Role::Client, "setpriv");
    cmd.args([
        "--reuid=61234",
        "--regid=61234",
        "--clear-groups",
        "--inh-caps=-all,+net_raw",
        "--ambient-caps=+net_raw",
        "--bounding-set=-all,+net_raw",
        "--no-new-privs",
        "--",
    ])
    .arg(env!("CARGO_BIN_EXE_netlab"))
    .args(&words[1..])
    .env_remove("RUST_BACKTRACE");
    let mut exporter = spawn(cmd, "netlab exporter (as the unit runs it)");
    exporter.wait_stderr(&format!("listening on http://127.0.0.1:{EXPORTER_PORT}/"));
    crate::util::assert_no_capabilities(exporter.id() as i32);
    let l = format!("{{host=\"{dest}\",ip=\"{dest}\"}}");
    let deadline = Instant::now() + WAIT;
    loop {
        let (_, body) = get(&lab, EXPORTER_PORT, "/metrics", None);
        let replies = sample(
            &body,
            &format!("netlab_ping_response_duration_seconds_count{l}"),
        );
        if replies.unwrap_or(0.0) >= 3.0
            && sample(&body, &format!("netlab_path_traces_total{l}")).unwrap_or(0.0) >= 1.0
        {
            break;
        }
        assert!(Instant::now() < deadline, "no replies or traces:\n{body}");
        std::thread::sleep(Duration::from_millis(200));
    }

    // /probe's ICMP socket was opened at start, with the capability: it pings.
    let (status, body) = get(
        &lab,
        EXPORTER_PORT,
        &format!("/probe?target={dest}&module=icmp"),
        None,
    );
    assert_eq!(status, 200, "{body}");
    assert_eq!(sample(&body, "probe_success"), Some(1.0), "{body}");

    let prometheus = start_prometheus(
        &lab,
        dir.path(),
        &format!(
            "  - job_name: netlab
    static_configs:
      - targets: [\"127.0.0.1:{EXPORTER_PORT}\"]
"
        ),
    );

    // Panels whose data the healthy lab cannot be relied on to produce: the
    // forwarding-loss verdict (the lab loses nothing) and ICMP errors (the routers'
    // rate limit is shared with the traces).
    let may_be_empty = [(4, "B"), (8, "A")];
    let (_, exprs) = dashboard();
    for (id, ref_id, expr) in &exprs {
        let core = !may_be_empty.contains(&(*id, ref_id.as_str()));
        let result = prom_query(&lab, expr, |r| !core || !r.is_empty());
        assert!(
            result.iter().all(|v| v["value"][1].is_string()),
            "panel {id} {ref_id}: {result:?}"
        );
    }
    // Values that mean something (the loss values are
    // `exporter::prometheus_scrapes_the_exporter_in_the_lab`'s): the unreachable target is
    // down from this one vantage point, the destination 3 hops away with no loss at its hop.
    prom_query(
        &lab,
        &format!("host:netlab_vantage_points_down:count{{host=\"{unreachable}\"}}"),
        |r| r.len() == 1 && value_of(&r[0]) == 1.0,
    );
    prom_query(
        &lab,
        &format!("host:netlab_vantage_points:count{{host=\"{dest}\"}}"),
        |r| r.len() == 1 && value_of(&r[0]) == 1.0,
    );
    prom_query(
        &lab,
        &format!("hop:netlab_hop_loss:ratio10m{{host=\"{dest}\",ttl=\"3\"}}"),
        |r| r.len() == 1 && value_of(&r[0]) == 0.0,
    );
    prom_query(&lab, &format!("netlab_path_hops{{host=\"{dest}\"}}"), |r| {
        r.len() == 1 && value_of(&r[0]) == 3.0
    });
    // The target-down alert is pending (its `for` has not passed) for the unreachable
    // target only.
    alerts_only_about(&lab, "NetlabTargetDown", &unreachable, true);
    let _ = terminate(prometheus);
    assert_eq!(terminate(exporter).code(), Some(0));
}

/// The README's "Deploying" part names every shipped file and every alert.
#[test]
fn the_readme_shows_every_shipped_file_and_alert() {
    let readme = read(&repo("README.md"));
    let section = readme
        .split("#### Deploying")
        .nth(1)
        .expect("README has a Deploying part");
    let section = section.split("\n#### ").next().unwrap();
    for file in [
        "deploy/systemd/netlab-exporter.service",
        "examples/prometheus/rules.yml",
        "examples/prometheus/rules_test.yml",
        "deploy/grafana/netlab-exporter.json",
    ] {
        assert!(repo(file).is_file(), "{file}");
        assert!(
            section.contains(&format!("`{file}`")),
            "README lacks {file}"
        );
    }
    for alert in shipped_alerts() {
        assert!(
            section.contains(&format!("| `{alert}` |")),
            "README lacks {alert}"
        );
    }
}
