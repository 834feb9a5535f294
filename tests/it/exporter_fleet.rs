//! Many vantage points, one Prometheus (issue 20): exporters at both ends of the lab
//! (the client and the destination namespaces) ping and trace each other through
//! router 1, which drops 30 % of the ICMP and UDP it forwards from the client to the
//! destination and nothing the other way; both also ping router 2, whose echo requests
//! from the client router 1 drops, and an address nobody answers. One real Prometheus
//! scrapes both and evaluates the shipped rules: both ends see the round-trip loss, and
//! the recording rules say the loss is on the client's forward path (its traces lose
//! from TTL 2 on) and on the destination's way back (only the client's own answers are
//! lost); the unreachable address is down from every vantage point (the target), router
//! 2 from the client only (the client's path), and the alerts that say so are pending.

use crate::exporter::{
    alerts_only_about, have_prometheus, prom_query, spawn, terminate, value_of, EXPORTER_PORT,
};
use crate::lab::{lab, LabConfig, Role};

#[test]
fn the_rules_tell_vantage_points_and_directions_apart_in_the_lab() {
    if !have_prometheus() {
        return;
    }
    let lab = lab!(LabConfig::default().routers(2));
    let (client, dest) = (lab.client_v4().to_string(), lab.dest_v4().to_string());
    let router2 = lab.router_v4(2).to_string();
    let unreachable = lab.unreachable_v4().to_string();
    for chain in ["INPUT", "FORWARD"] {
        let out = lab.exec(
            Role::Router(1),
            &[
                "iptables",
                "-A",
                chain,
                "-p",
                "icmp",
                "--icmp-type",
                "echo-request",
                "-s",
                &client,
                "-d",
                &router2,
                "-j",
                "DROP",
            ],
        );
        assert!(out.status.success(), "iptables: {out:?}");
    }
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
[[target]]
host = \"{router2}\"
[[target]]
host = \"{unreachable}\"
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
    let pair = format!("target:netlab_ping_loss:ratio1m{{host=~\"{client}|{dest}\"}}");
    let loss = prom_query(&lab, &pair, |r| {
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
    // Down from every vantage point: the target; from one: that vantage point's path.
    // (Each end is pinged by the other only, and answers.)
    for (host, points, down) in [
        (&unreachable, 2.0, 2.0),
        (&router2, 2.0, 1.0),
        (&dest, 1.0, 0.0),
    ] {
        for (record, want) in [
            ("host:netlab_vantage_points", points),
            ("host:netlab_vantage_points_down", down),
        ] {
            let query = format!("{record}:count{{host=\"{host}\"}}");
            prom_query(&lab, &query, |r| r.len() == 1 && value_of(&r[0]) == want);
            eprintln!("{query} = {want}");
        }
    }
    // And the alerts that say so are pending (their `for` is minutes) for those only.
    let everywhere = alerts_only_about(&lab, "NetlabTargetDownEverywhere", &unreachable, true);
    assert_eq!(everywhere.len(), 1, "{everywhere:?}");
    let some = alerts_only_about(
        &lab,
        "NetlabTargetDownFromSomeVantagePoints",
        &router2,
        true,
    );
    assert!(
        some.len() == 1 && some[0]["metric"]["vantage"] == "client",
        "{some:?}"
    );
    // Routers' ICMP unreachable errors, if any, are about the unreachable address only.
    alerts_only_about(&lab, "NetlabTargetUnreachable", &unreachable, false);
    let _ = terminate(prometheus);
    assert_eq!(terminate(client_exporter).code(), Some(0));
    assert_eq!(terminate(dest_exporter).code(), Some(0));
}
