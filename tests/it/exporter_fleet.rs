//! Many vantage points, one Prometheus (issue 20): exporters at both ends of the lab
//! (the client and the destination namespaces) ping and trace each other through
//! router 1, which drops 30 % of the ICMP and UDP it forwards from the client to the
//! destination and nothing the other way. One real Prometheus scrapes both and
//! evaluates the shipped rules: both ends see the round-trip loss, and the recording
//! rules say the loss is on the client's forward path (its traces lose from TTL 2 on)
//! and on the destination's way back (only the client's own answers are lost).

use crate::exporter::{have_prometheus, prom_query, spawn, terminate, value_of, EXPORTER_PORT};
use crate::lab::{lab, LabConfig, Role};

#[test]
fn two_vantage_points_and_the_rules_tell_forward_from_reverse_loss() {
    if !have_prometheus() {
        return;
    }
    let lab = lab!(LabConfig::default().routers(2));
    let (client, dest) = (lab.client_v4().to_string(), lab.dest_v4().to_string());
    for proto in ["icmp", "udp"] {
        let out = lab.exec(
            Role::Router(1),
            &[
                "iptables",
                "-A",
                "FORWARD",
                "-s",
                &client,
                "-d",
                &dest,
                "-p",
                proto,
                "-m",
                "statistic",
                "--mode",
                "random",
                "--probability",
                "0.3",
                "-j",
                "DROP",
            ],
        );
        assert!(out.status.success(), "iptables: {out:?}");
    }
    let dir = tempfile::tempdir().expect("tempdir");
    let config = |name: &str, listen: &str, target: &str| {
        let path = dir.path().join(name);
        std::fs::write(
            &path,
            format!(
                "listen = \"{listen}:{EXPORTER_PORT}\"
[ping]
interval = \"100ms\"
[trace]
interval = \"1s\"
max_hops = 4
queries = 3
wait = \"500ms\"
[[target]]
host = \"{target}\"
trace = true
"
            ),
        )
        .expect("write config");
        path
    };
    let at_client = config("client.toml", "127.0.0.1", &dest);
    let at_dest = config("dest.toml", &dest, &client);
    let exporter = |role: Role, path: &std::path::Path, what: &str| {
        let mut cmd = lab.command(role, env!("CARGO_BIN_EXE_netlab"));
        cmd.args(["exporter", "--config", path.to_str().unwrap()])
            .env("NO_COLOR", "1")
            .env_remove("RUST_BACKTRACE");
        let mut running = spawn(cmd, what);
        running.wait_stderr("listening on");
        running
    };
    let client_exporter = exporter(Role::Client, &at_client, "exporter at the client");
    let dest_exporter = exporter(Role::Dest, &at_dest, "exporter at the destination");

    let prometheus = crate::exporter::start_prometheus(
        &lab,
        dir.path(),
        &format!(
            "  - job_name: netlab
    static_configs:
      - targets: [\"127.0.0.1:{EXPORTER_PORT}\"]
        labels: {{vantage: client}}
      - targets: [\"{dest}:{EXPORTER_PORT}\"]
        labels: {{vantage: dest}}
"
        ),
    );

    prom_query(&lab, "up", |r| {
        r.len() == 2 && r.iter().all(|v| value_of(v) == 1.0)
    });
    // Both ends lose about 30 % of their pings: a round trip pays for either way.
    let loss = prom_query(&lab, "target:netlab_ping_loss:ratio1m", |r| {
        r.len() == 2 && r.iter().all(|v| (0.1..0.6).contains(&value_of(v)))
    });
    assert_eq!(loss.len(), 2);
    for v in &loss {
        eprintln!(
            "loss seen from {}: {:.2}",
            v["metric"]["vantage"],
            value_of(v)
        );
    }
    // The verdicts: forward from the client, the way back from the destination.
    let forward = prom_query(&lab, "target:netlab_loss_forward:bool", |r| {
        r.len() == 1 && r[0]["metric"]["vantage"] == "client"
    });
    assert_eq!(forward[0]["metric"]["host"], dest.as_str());
    let reverse = prom_query(&lab, "target:netlab_loss_reverse:bool", |r| {
        r.len() == 1 && r[0]["metric"]["vantage"] == "dest"
    });
    assert_eq!(reverse[0]["metric"]["host"], client.as_str());
    // And neither says the other.
    prom_query(
        &lab,
        "target:netlab_loss_forward:bool{vantage=\"dest\"}",
        |r| r.is_empty(),
    );
    prom_query(
        &lab,
        "target:netlab_loss_reverse:bool{vantage=\"client\"}",
        |r| r.is_empty(),
    );
    // Nobody sees a target down.
    prom_query(&lab, "sum(host:netlab_vantage_points_down:count)", |r| {
        r.len() == 1 && value_of(&r[0]) == 0.0
    });
    let _ = terminate(prometheus);
    assert_eq!(terminate(client_exporter).code(), Some(0));
    assert_eq!(terminate(dest_exporter).code(), Some(0));
}
