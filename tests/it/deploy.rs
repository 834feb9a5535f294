//! What ships in `deploy/` for running `netlab exporter` in production, checked against
//! the real tools: the Prometheus rules by `promtool check rules` and `promtool test
//! rules` (synthetic series, every alert firing and quiet); the Grafana dashboard as JSON
//! with the fields Grafana requires, each panel's PromQL parsed by promtool and queried
//! against a real Prometheus scraping a real exporter in the lab, started the way the
//! systemd unit starts it (its ExecStart flags, an unprivileged user holding only
//! CAP_NET_RAW); the unit by `systemd-analyze verify` where systemd is installed.

use std::io::Write;
use std::path::{Path, PathBuf};
use std::process::Command;
use std::time::{Duration, Instant};

use serde_json::Value;

use crate::exporter::{
    get, have_prometheus, prom_query, promtool, sample, spawn, start_prometheus, terminate,
    value_of, EXPORTER_PORT, WAIT,
};
use crate::lab::{lab, LabConfig, Role};

fn deploy() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("deploy")
}

fn read(path: &Path) -> String {
    std::fs::read_to_string(path).unwrap_or_else(|e| panic!("{}: {e}", path.display()))
}

#[test]
fn the_shipped_rules_pass_promtool_check_and_their_unit_tests() {
    if !have_prometheus() {
        return;
    }
    let dir = deploy().join("prometheus");
    let (ok, out) = promtool(
        &[
            "check",
            "rules",
            dir.join("netlab-rules.yml").to_str().unwrap(),
        ],
        "",
    );
    assert!(ok && out.contains("SUCCESS: 17 rules found"), "{out}");
    let (ok, out) = promtool(
        &[
            "test",
            "rules",
            dir.join("netlab-rules.test.yml").to_str().unwrap(),
        ],
        "",
    );
    assert!(ok && out.contains("SUCCESS"), "{out}");
}

/// Every alert the rules define is tested both firing (a non-empty `exp_alerts`) and
/// quiet (an empty one) in the unit tests.
#[test]
fn every_shipped_alert_is_unit_tested_firing_and_quiet() {
    let dir = deploy().join("prometheus");
    let rules = read(&dir.join("netlab-rules.yml"));
    let tests = read(&dir.join("netlab-rules.test.yml"));
    let alerts: Vec<&str> = rules
        .lines()
        .filter_map(|l| l.trim().strip_prefix("- alert: "))
        .collect();
    assert_eq!(alerts.len(), 8, "{alerts:?}");
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

/// The dashboard and the expressions of its panels (refId, expr), with Grafana's
/// variables replaced by what an "All" selection and a 1-minute rate window give.
fn dashboard() -> (Value, Vec<(u64, String, String)>) {
    let text = read(&deploy().join("grafana/netlab-dashboard.json"));
    let doc: Value = serde_json::from_str(&text).expect("the dashboard is JSON");
    let mut exprs = Vec::new();
    for panel in doc["panels"].as_array().expect("panels") {
        let id = panel["id"].as_u64().expect("panel id");
        for target in panel["targets"].as_array().expect("targets") {
            let expr = target["expr"].as_str().expect("expr");
            let expr = expr
                .replace("$__rate_interval", "1m")
                .replace("$instance", ".+")
                .replace("$host", ".+");
            assert!(!expr.contains('$'), "panel {id}: a variable left in {expr}");
            let ref_id = target["refId"].as_str().expect("refId").to_string();
            exprs.push((id, ref_id, expr));
        }
    }
    (doc, exprs)
}

#[test]
fn the_dashboard_has_what_grafana_requires_and_its_expressions_parse() {
    let (doc, exprs) = dashboard();
    for key in [
        "title",
        "uid",
        "schemaVersion",
        "panels",
        "templating",
        "time",
    ] {
        assert!(!doc[key].is_null(), "no {key}");
    }
    assert_eq!(doc["uid"], "netlab-exporter");
    assert!(doc["schemaVersion"].as_u64().unwrap() >= 36);
    let panels = doc["panels"].as_array().unwrap();
    let mut ids = std::collections::HashSet::new();
    for p in panels {
        let id = p["id"].as_u64().expect("id");
        assert!(ids.insert(id), "panel id {id} twice");
        assert!(
            p["type"].is_string() && p["title"].is_string(),
            "panel {id}"
        );
        for k in ["x", "y", "w", "h"] {
            assert!(p["gridPos"][k].is_u64(), "panel {id} gridPos.{k}");
        }
        assert!(p["gridPos"]["x"].as_u64().unwrap() + p["gridPos"]["w"].as_u64().unwrap() <= 24);
        let targets = p["targets"].as_array().expect("targets");
        assert!(!targets.is_empty(), "panel {id} has no query");
        for t in targets {
            assert_eq!(t["datasource"]["uid"], "${datasource}", "panel {id}");
        }
    }
    // What the issue asks the dashboard to show.
    let types: Vec<&str> = panels.iter().filter_map(|p| p["type"].as_str()).collect();
    assert!(types.contains(&"heatmap"), "{types:?}");
    let all: String = exprs.iter().map(|(_, _, e)| e.as_str()).collect();
    for metric in [
        "netlab_ping_response_duration_seconds_bucket",
        "netlab_ping_requests_total",
        "netlab_hop_responses_total",
        "netlab_hop_address_info",
        "netlab_path_changes_total",
    ] {
        assert!(all.contains(metric), "no panel uses {metric}");
    }
    let vars: Vec<&str> = doc["templating"]["list"]
        .as_array()
        .unwrap()
        .iter()
        .filter_map(|v| v["name"].as_str())
        .collect();
    assert_eq!(vars, ["datasource", "instance", "host"]);

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

fn unit() -> String {
    read(&deploy().join("systemd/netlab-exporter.service"))
}

#[test]
fn the_unit_runs_unprivileged_with_cap_net_raw_alone() {
    let unit = unit();
    let settings: Vec<&str> = unit
        .lines()
        .map(str::trim)
        .filter(|l| !l.starts_with('#'))
        .collect();
    for line in [
        "DynamicUser=yes",
        "AmbientCapabilities=CAP_NET_RAW",
        "CapabilityBoundingSet=CAP_NET_RAW",
        "NoNewPrivileges=yes",
        "ProtectSystem=strict",
        "ProtectHome=yes",
    ] {
        assert!(settings.contains(&line), "the unit lacks {line}");
    }
    assert!(!settings.iter().any(|l| l.starts_with("User=")), "{unit}");

    // Its flags are the binary's: each --flag is in `netlab exporter --help`, and the
    // whole command line parses (clap rejects an unknown flag or a missing value before
    // the config is read, so a missing config file is the error it must reach).
    let words = unit_exec_start(&unit);
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
    let mut args: Vec<String> = words[1..].to_vec();
    let config = args.iter().position(|a| a == "--config").expect("--config") + 1;
    args[config] = "/nonexistent/netlab/exporter.toml".into();
    let out = Command::new(env!("CARGO_BIN_EXE_netlab"))
        .args(&args)
        .output()
        .expect("netlab");
    let err = String::from_utf8_lossy(&out.stderr);
    assert_eq!(out.status.code(), Some(2), "{err}");
    assert!(
        err.starts_with("netlab: ") && err.contains("/nonexistent/netlab/exporter.toml"),
        "{err}"
    );
}

/// `systemd-analyze verify` (package `systemd`; not in Debian's base image: `.ci/run`
/// installs it, and without it this skips loudly, or fails under `CI=true`). The unit's binary path is pointed at the one
/// under test, since verify checks that ExecStart's program exists; `--man=no` because
/// the man page is installed with the binary, not here. Any warning fails.
#[test]
fn systemd_analyze_verifies_the_unit() {
    if !Command::new("sh")
        .args(["-c", "command -v systemd-analyze"])
        .output()
        .is_ok_and(|o| o.status.success())
    {
        crate::lab::skip::skip(
            "systemd-analyze missing (apt-get install systemd; .ci/run installs it)",
        );
        return;
    }
    let dir = tempfile::tempdir().expect("tempdir");
    let path = dir.path().join("netlab-exporter.service");
    let text = unit().replace("/usr/local/bin/netlab", env!("CARGO_BIN_EXE_netlab"));
    std::fs::write(&path, &text).expect("write unit");
    let out = Command::new("systemd-analyze")
        .args(["verify", "--man=no"])
        .arg(&path)
        .output()
        .expect("systemd-analyze");
    let said = format!(
        "{}{}",
        String::from_utf8_lossy(&out.stdout),
        String::from_utf8_lossy(&out.stderr)
    );
    assert!(out.status.success() && said.trim().is_empty(), "{said}");
    // Its exposure, as `systemd-analyze security` rates it (the README quotes it).
    let out = Command::new("systemd-analyze")
        .args(["security", "--offline=true", "--no-pager"])
        .arg(&path)
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
    // And it notices a mistake (so the check above can fail).
    std::fs::write(&path, text.replace("ProtectSystem=", "ProtectSytem=")).expect("write");
    let out = Command::new("systemd-analyze")
        .args(["verify", "--man=no"])
        .arg(&path)
        .output()
        .expect("systemd-analyze");
    assert!(
        String::from_utf8_lossy(&out.stderr).contains("Unknown key 'ProtectSytem'"),
        "{out:?}"
    );
}

/// The lab: the exporter started with the unit's ExecStart flags as an unprivileged user
/// holding only CAP_NET_RAW (what DynamicUser + AmbientCapabilities give it), pinging and
/// tracing the destination; a real Prometheus loads the shipped rules and scrapes it; every
/// panel's expression is queried, and the core ones (and the recording rules) have data.
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
    std::fs::write(
        &config,
        format!(
            "[ping]
interval = \"200ms\"
timeout = \"1s\"
[resolve]
interval = \"1s\"
[trace]
interval = \"1s\"
max_hops = 8
wait = \"1s\"
[[target]]
host = \"{dest}\"
trace = true
[[target]]
host = \"v4only.netlab.test\"
[[target]]
host = \"{unreachable}\"
"
        ),
    )
    .expect("write config");
    let mut words = unit_exec_start(&unit());
    let at = words
        .iter()
        .position(|a| a == "--config")
        .expect("--config")
        + 1;
    words[at] = config.to_str().unwrap().to_string();
    assert_eq!(
        words
            .iter()
            .position(|a| a == "--listen")
            .map(|i| &words[i + 1]),
        Some(&format!("127.0.0.1:{EXPORTER_PORT}"))
    );
    // The client namespace keeps ping_group_range at "1 0": only CAP_NET_RAW lets the
    // pings out.
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
    exporter.wait_stderr("listening on http://127.0.0.1:9470/");
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

    let prometheus = start_prometheus(
        &lab,
        dir.path(),
        &format!(
            "global:
  scrape_interval: 1s
  evaluation_interval: 1s
rule_files: [\"{rules}\"]
scrape_configs:
  - job_name: netlab
    static_configs:
      - targets: [\"127.0.0.1:{EXPORTER_PORT}\"]
        labels: {{vantage: client}}
",
            rules = deploy().join("prometheus/netlab-rules.yml").display()
        ),
    );

    // Panels whose data the lab cannot be relied on to produce: forwarding loss (the lab
    // loses nothing) and ICMP errors (the routers' rate limit is shared with the traces).
    let may_be_empty = [(6, "C"), (9, "A")];
    let (_, exprs) = dashboard();
    for (id, ref_id, expr) in &exprs {
        let core = !may_be_empty.contains(&(*id, ref_id.as_str()));
        let result = prom_query(&lab, expr, |r| !core || !r.is_empty());
        assert!(
            result.iter().all(|v| v["value"][1].is_string()),
            "panel {id} {ref_id}: {result:?}"
        );
    }
    // Values that mean something: no loss to dest, all to the unreachable target, 3 hops.
    let loss = prom_query(&lab, "target:netlab_ping_loss:ratio5m", |r| {
        r.iter()
            .any(|v| v["metric"]["host"] == dest.as_str() && value_of(v) == 0.0)
            && r.iter()
                .any(|v| v["metric"]["host"] == unreachable.as_str() && value_of(v) == 1.0)
    });
    assert!(loss.iter().all(|v| v["metric"]["vantage"] == "client"));
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
        &format!("hop:netlab_hop_loss:ratio5m{{host=\"{dest}\",ttl=\"3\"}}"),
        |r| r.len() == 1 && value_of(&r[0]) == 0.0,
    );
    prom_query(
        &lab,
        &format!("pair:netlab_ping_loss_forward:ratio5m{{vantage=\"client\",peer=\"{dest}\"}}"),
        |r| r.len() == 1 && value_of(&r[0]) == 0.0,
    );
    prom_query(&lab, &format!("netlab_path_hops{{host=\"{dest}\"}}"), |r| {
        r.len() == 1 && value_of(&r[0]) == 3.0
    });
    // The target-down alert is pending (its `for` has not passed) for the unreachable
    // target only.
    let alerts = prom_query(&lab, "ALERTS{alertname=\"NetlabTargetDown\"}", |r| {
        !r.is_empty()
    });
    assert!(
        alerts
            .iter()
            .all(|a| a["metric"]["host"] == unreachable.as_str()),
        "{alerts:?}"
    );
    let _ = terminate(prometheus);
    assert_eq!(terminate(exporter).code(), Some(0));
}

/// Two vantage points, one Prometheus: an exporter at each end of the lab (client and
/// destination) pinging the other and two shared targets, labelled by the rules' convention
/// (`vantage` = the name the other end lists it by, here its address). Router 1 drops half
/// the echo requests going client → destination, and every echo request from the client
/// to router 2. The recording rules answer: the client's pings to the destination lose
/// about half, the destination's pings to the client nothing (forward vs reverse); the
/// unreachable address is down from both vantage points (the target), router 2 from the
/// client only (the client's path).
#[test]
fn the_rules_tell_vantage_points_and_directions_apart_in_the_lab() {
    if !have_prometheus() {
        return;
    }
    let lab = lab!(LabConfig::default().routers(2));
    let client = lab.client_v4().to_string();
    let dest = lab.dest_v4().to_string();
    let router2 = lab.router_v4(2).to_string();
    let unreachable = lab.unreachable_v4().to_string();
    for rule in [
        format!("iptables -A FORWARD -p icmp --icmp-type echo-request -s {client} -d {dest} -m statistic --mode random --probability 0.5 -j DROP"),
        format!("iptables -A INPUT -p icmp --icmp-type echo-request -s {client} -d {router2} -j DROP"),
        format!("iptables -A FORWARD -p icmp --icmp-type echo-request -s {client} -d {router2} -j DROP"),
    ] {
        let argv: Vec<&str> = rule.split_whitespace().collect();
        let out = lab.exec(Role::Router(1), &argv);
        assert!(out.status.success(), "{rule}: {out:?}");
    }
    let dir = tempfile::tempdir().expect("tempdir");
    let config = |peer: &str| {
        format!(
            "[ping]
interval = \"100ms\"
timeout = \"500ms\"
[[target]]
host = \"{peer}\"
[[target]]
host = \"{router2}\"
[[target]]
host = \"{unreachable}\"
"
        )
    };
    let mut exporters = Vec::new();
    for (role, me, peer, listen) in [
        (
            Role::Client,
            &client,
            &dest,
            format!("127.0.0.1:{EXPORTER_PORT}"),
        ),
        (
            Role::Dest,
            &dest,
            &client,
            format!("{dest}:{EXPORTER_PORT}"),
        ),
    ] {
        let path = dir.path().join(format!("{me}.toml"));
        std::fs::write(&path, config(peer)).expect("write config");
        let mut cmd = lab.command(role, env!("CARGO_BIN_EXE_netlab"));
        cmd.args(["exporter", "--listen", &listen, "--config"])
            .arg(&path)
            .env_remove("RUST_BACKTRACE");
        let mut exporter = spawn(cmd, &format!("netlab exporter at {me}"));
        exporter.wait_stderr(&format!("listening on http://{listen}/"));
        exporters.push(exporter);
    }
    let _prometheus = start_prometheus(
        &lab,
        dir.path(),
        &format!(
            "global:
  scrape_interval: 1s
  evaluation_interval: 1s
rule_files: [\"{rules}\"]
scrape_configs:
  - job_name: netlab
    static_configs:
      - targets: [\"127.0.0.1:{EXPORTER_PORT}\"]
        labels: {{vantage: \"{client}\"}}
      - targets: [\"{dest}:{EXPORTER_PORT}\"]
        labels: {{vantage: \"{dest}\"}}
",
            rules = deploy().join("prometheus/netlab-rules.yml").display()
        ),
    );
    let one = |query: &str, accept: &dyn Fn(f64) -> bool| {
        let r = prom_query(&lab, query, |r| r.len() == 1 && accept(value_of(&r[0])));
        let v = value_of(&r[0]);
        let _ = writeln!(std::io::stderr(), "{query} = {v}");
        v
    };
    // Enough pings (5 s at 10 a second from each end) for the ratio to settle near 0.5.
    std::thread::sleep(Duration::from_secs(5));
    let forward = format!("{{vantage=\"{client}\",peer=\"{dest}\"}}");
    one(
        &format!("pair:netlab_ping_loss_forward:ratio5m{forward}"),
        &|v| (0.25..=0.75).contains(&v),
    );
    one(
        &format!("pair:netlab_ping_loss_reverse:ratio5m{forward}"),
        &|v| v == 0.0,
    );
    // The same pair seen from the other end: the directions swap.
    let backward = format!("{{vantage=\"{dest}\",peer=\"{client}\"}}");
    one(
        &format!("pair:netlab_ping_loss_forward:ratio5m{backward}"),
        &|v| v == 0.0,
    );
    one(
        &format!("pair:netlab_ping_loss_reverse:ratio5m{backward}"),
        &|v| (0.25..=0.75).contains(&v),
    );
    // Down from every vantage point: the target; from one: that vantage point's path.
    for (host, down) in [(&unreachable, 2.0), (&router2, 1.0)] {
        one(
            &format!("host:netlab_vantage_points:count{{host=\"{host}\"}}"),
            &|v| v == 2.0,
        );
        one(
            &format!("host:netlab_vantage_points_down:count{{host=\"{host}\"}}"),
            &|v| v == down,
        );
    }
    // And the alerts that say so are pending (their `for` is minutes) for those only.
    let everywhere = prom_query(
        &lab,
        "ALERTS{alertname=\"NetlabTargetDownEverywhere\"}",
        |r| !r.is_empty(),
    );
    assert!(
        everywhere.len() == 1 && everywhere[0]["metric"]["host"] == unreachable.as_str(),
        "{everywhere:?}"
    );
    let some = prom_query(
        &lab,
        "ALERTS{alertname=\"NetlabTargetDownFromSomeVantagePoints\"}",
        |r| !r.is_empty(),
    );
    assert!(
        some.len() == 1
            && some[0]["metric"]["host"] == router2.as_str()
            && some[0]["metric"]["vantage"] == client.as_str(),
        "{some:?}"
    );
    // The routers' host-unreachable errors about the pings to the unreachable address.
    let unreachable_alerts =
        prom_query(&lab, "ALERTS{alertname=\"NetlabTargetUnreachable\"}", |r| {
            !r.is_empty()
        });
    assert!(
        unreachable_alerts
            .iter()
            .all(|a| a["metric"]["host"] == unreachable.as_str()),
        "{unreachable_alerts:?}"
    );
    for exporter in exporters {
        assert_eq!(terminate(exporter).code(), Some(0));
    }
}

/// The README's "Deploying" part names every shipped file and every alert.
#[test]
fn the_readme_shows_every_shipped_file_and_alert() {
    let readme = read(&Path::new(env!("CARGO_MANIFEST_DIR")).join("README.md"));
    let section = readme
        .split("#### Deploying")
        .nth(1)
        .expect("README has a Deploying part");
    for file in [
        "deploy/systemd/netlab-exporter.service",
        "deploy/prometheus/netlab-rules.yml",
        "deploy/grafana/netlab-dashboard.json",
    ] {
        assert!(deploy().join(file.trim_start_matches("deploy/")).is_file());
        assert!(
            section.contains(&format!("`{file}`")),
            "README lacks {file}"
        );
    }
    let rules = read(&deploy().join("prometheus/netlab-rules.yml"));
    for alert in rules
        .lines()
        .filter_map(|l| l.trim().strip_prefix("- alert: "))
    {
        assert!(
            section.contains(&format!("| `{alert}` |")),
            "README lacks {alert}"
        );
    }
}
