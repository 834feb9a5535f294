//! The files shipped under `deploy/`: the systemd unit passes `systemd-analyze verify`
//! (where systemd-analyze is present) and keeps its hardening; the Grafana dashboard is
//! JSON with the fields Grafana requires of a dashboard and of each panel, and queries
//! only the exporter's metrics and the shipped rules' records. (Every panel's query is
//! also run against a real Prometheus that scraped the exporter:
//! `exporter_ops::tls_client_certificates_and_basic_auth_from_a_web_config_file`.)

use std::collections::HashSet;
use std::path::{Path, PathBuf};
use std::process::Command;

use serde_json::Value;

fn deploy(file: &str) -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("deploy")
        .join(file)
}

/// Every panel's PromQL, with Grafana's variables given values Prometheus accepts.
pub(crate) fn dashboard_queries() -> Vec<(String, String)> {
    let text = std::fs::read_to_string(deploy("grafana/netlab-exporter.json")).unwrap();
    let doc: Value = serde_json::from_str(&text).unwrap();
    let mut out = Vec::new();
    for panel in doc["panels"].as_array().unwrap() {
        for target in panel["targets"].as_array().unwrap() {
            let expr = target["expr"]
                .as_str()
                .unwrap()
                .replace("$__rate_interval", "1m")
                .replace("$instance", ".*")
                .replace("$host", ".*");
            out.push((panel["title"].as_str().unwrap().to_string(), expr));
        }
    }
    out
}

#[test]
fn the_systemd_unit_verifies_and_keeps_its_hardening() {
    let unit = std::fs::read_to_string(deploy("systemd/netlab-exporter.service")).unwrap();
    for line in [
        "DynamicUser=yes",
        "AmbientCapabilities=CAP_NET_RAW",
        "CapabilityBoundingSet=CAP_NET_RAW",
        "ProtectSystem=strict",
        "NoNewPrivileges=yes",
        "ExecReload=/bin/kill -HUP $MAINPID",
    ] {
        assert!(unit.lines().any(|l| l == line), "the unit lacks {line}");
    }
    let present = Command::new("systemd-analyze")
        .arg("--version")
        .output()
        .is_ok_and(|o| o.status.success());
    if !present {
        eprintln!("SKIPPED the_systemd_unit_verifies_and_keeps_its_hardening: no systemd-analyze");
        return;
    }
    // systemd-analyze checks that ExecStart's program exists: point it at the binary.
    let dir = tempfile::tempdir().unwrap();
    let copy = dir.path().join("netlab-exporter.service");
    let verify = |text: String| {
        std::fs::write(&copy, text).unwrap();
        let out = Command::new("systemd-analyze")
            .args(["verify", "--man=no"])
            .arg(&copy)
            .output()
            .expect("systemd-analyze");
        let err = String::from_utf8_lossy(&out.stderr).trim().to_string();
        // A value it cannot parse is only a warning: none may be printed.
        (out.status.success() && err.is_empty(), err)
    };
    let exe = env!("CARGO_BIN_EXE_netlab");
    let (ok, err) = verify(unit.replace("/usr/local/bin/netlab", exe));
    assert!(ok, "{err}");
    // And the check can fail.
    let bogus = unit.replace("ProtectSystem=strict", "ProtectSystem=bogus");
    let (ok, err) = verify(bogus.replace("/usr/local/bin/netlab", exe));
    assert!(!ok && err.contains("bogus"), "{err}");
}

#[test]
fn the_dashboard_has_what_grafana_requires() {
    let text = std::fs::read_to_string(deploy("grafana/netlab-exporter.json")).unwrap();
    let doc: Value = serde_json::from_str(&text).expect("the dashboard is JSON");
    assert!(doc["title"].as_str().is_some_and(|t| !t.is_empty()));
    assert!(doc["uid"]
        .as_str()
        .is_some_and(|u| !u.is_empty() && u.len() <= 40));
    assert!(doc["schemaVersion"].as_u64().is_some_and(|v| v >= 36));
    let vars: Vec<&str> = doc["templating"]["list"]
        .as_array()
        .unwrap()
        .iter()
        .map(|v| v["name"].as_str().unwrap())
        .collect();
    let panels = doc["panels"].as_array().expect("panels");
    assert!(panels.len() >= 5);
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
    let all = text.to_string();
    for needed in [
        "netlab_ping_response_duration_seconds_bucket",
        "target:netlab_ping_loss:ratio1m",
        "hop:netlab_hop_loss:ratio10m",
        "NetlabHopForwardingLoss",
        "netlab_path_changes_total",
    ] {
        assert!(all.contains(needed), "the dashboard lacks {needed}");
    }
    assert_eq!(dashboard_queries().len(), 12);
}
