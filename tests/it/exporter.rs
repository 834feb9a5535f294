//! `netlab exporter`: what it serves passes `promtool check metrics`; a real Prometheus
//! (Debian's `prometheus`) started in the lab's client namespace scrapes it, evaluates
//! the example alert rules, and its HTTP API has the expected series and values; the
//! example rules pass `promtool check rules` and `promtool test rules`; bad configs and
//! bad /probe parameters get one clear answer; SIGTERM stops it with exit 0.

use std::io::{Read, Write};
use std::net::TcpStream;
use std::path::{Path, PathBuf};
use std::process::{Command, ExitStatus, Stdio};
use std::time::{Duration, Instant};

use serde_json::Value;

use crate::lab::{lab, Lab, LabConfig, Role, CLOSED_PORT, HTTP_PORT};
use crate::util;
use crate::util::running::Running;

/// Every wait for something that should happen soon (readiness, a series showing up).
pub(crate) const WAIT: Duration = Duration::from_secs(60);
pub(crate) const EXPORTER_PORT: u16 = 9470;
pub(crate) const PROMETHEUS_PORT: u16 = 9090;

pub(crate) fn examples() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("examples/prometheus")
}

/// Debian's prometheus package provides both `prometheus` and `promtool`. Missing, it is
/// installed (as root, with apt-get) once; without it the test fails under CI=true and
/// skips loudly otherwise.
pub(crate) fn have_prometheus() -> bool {
    crate::lab::prerequisites::installed(&["prometheus", "promtool"], &["prometheus"])
}

/// `promtool ARGS` with `stdin`; its exit status and output.
pub(crate) fn promtool(args: &[&str], stdin: &str) -> (bool, String) {
    let mut child = Command::new("promtool")
        .args(args)
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .expect("spawn promtool");
    child
        .stdin
        .take()
        .expect("stdin")
        .write_all(stdin.as_bytes())
        .expect("feed promtool");
    let out = child.wait_with_output().expect("promtool");
    let text = format!(
        "{}{}",
        String::from_utf8_lossy(&out.stdout),
        String::from_utf8_lossy(&out.stderr)
    );
    (out.status.success(), text)
}

#[test]
fn example_alert_rules_pass_promtool_check_and_unit_tests() {
    if !have_prometheus() {
        return;
    }
    let rules = examples().join("rules.yml");
    let (ok, out) = promtool(&["check", "rules", rules.to_str().unwrap()], "");
    assert!(ok && out.contains("SUCCESS"), "{out}");
    let tests = examples().join("rules_test.yml");
    let (ok, out) = promtool(&["test", "rules", tests.to_str().unwrap()], "");
    assert!(ok && out.contains("SUCCESS"), "{out}");
    let config = examples().join("prometheus.yml");
    let (ok, out) = promtool(&["check", "config", config.to_str().unwrap()], "");
    assert!(ok, "{out}");
}

#[test]
fn a_bad_config_is_one_line_naming_the_line_exit_2_before_listening() {
    let dir = tempfile::tempdir().expect("tempdir");
    let cases = [
        ("[ping]\ninterval = \"1s\"\ntimeout = \"soon\"\n", "line 3"),
        (
            "[[target]]\nhost = \"ok\"\n[[target]]\nhost = \"not ok!\"\n",
            "line 4",
        ),
        ("[probe]\nallow = [\"10.0.0.0/33\"]\n", "line 2"),
        ("[probe]\nany = true\n", "line 2"),
        ("listen = \"0.0.0.0\"\n", "line 1"),
    ];
    for (i, (text, line)) in cases.iter().enumerate() {
        let path = dir.path().join(format!("bad{i}.toml"));
        std::fs::write(&path, text).expect("write config");
        // A port nothing else uses: the exporter must fail before binding it.
        let out = util::netlab(&[
            "exporter",
            "--listen",
            "127.0.0.1:1",
            "--config",
            path.to_str().unwrap(),
        ]);
        util::assert_one_line_error(&out, text);
        let err = util::stderr(&out);
        assert!(
            err.contains(&format!("bad{i}.toml {line}: ")),
            "{text:?}: {err}"
        );
        assert!(!err.contains("listening"), "{err}");
    }
    let out = util::netlab(&["exporter", "--config", "/nonexistent/netlab.toml"]);
    util::assert_one_line_error(&out, "missing config");
}

/// A real Prometheus in the client namespace under `dir`, scraping every second and
/// evaluating the shipped rules, with these `scrape_configs` (the list, indented as it
/// would be under the key); ready when returned.
pub(crate) fn start_prometheus(lab: &Lab, dir: &Path, scrape_configs: &str) -> Running {
    let prom = dir.join("prometheus");
    std::fs::create_dir_all(&prom).expect("mkdir");
    let config = prom.join("prometheus.yml");
    std::fs::write(
        &config,
        format!(
            "global:\n  scrape_interval: 1s\n  evaluation_interval: 1s\nrule_files: [\"{}\"]\nscrape_configs:\n{scrape_configs}",
            examples().join("rules.yml").display()
        ),
    )
    .expect("write prometheus.yml");
    let mut cmd = lab.command(Role::Client, "prometheus");
    cmd.arg(format!("--config.file={}", config.display()))
        .arg(format!(
            "--storage.tsdb.path={}",
            prom.join("data").display()
        ))
        .arg(format!("--web.listen-address=127.0.0.1:{PROMETHEUS_PORT}"))
        .current_dir(&prom);
    let mut prometheus = spawn(cmd, "prometheus");
    prometheus.wait_stderr("Server is ready to receive web requests");
    prometheus
}

/// A child process (exporter or Prometheus) in the lab, with this file's patience.
pub(crate) fn spawn(cmd: Command, what: &str) -> Running {
    Running::spawn(what, cmd).patience(WAIT)
}

/// SIGTERM, then the exit status (within WAIT).
pub(crate) fn terminate(process: Running) -> ExitStatus {
    process.signal(libc::SIGTERM);
    process.wait().0
}

/// `GET path` on 127.0.0.1:port inside the client namespace: (status, body).
pub(crate) fn get(lab: &Lab, port: u16, path: &str, accept: Option<&str>) -> (u16, String) {
    let request = format!(
        "GET {path} HTTP/1.1\r\nHost: 127.0.0.1\r\nConnection: close\r\n{}\r\n",
        accept
            .map(|a| format!("Accept: {a}\r\n"))
            .unwrap_or_default()
    );
    let raw = lab.in_ns(Role::Client, move || {
        let mut s = TcpStream::connect(("127.0.0.1", port)).expect("connect");
        s.set_read_timeout(Some(WAIT)).expect("timeout");
        s.write_all(request.as_bytes()).expect("send request");
        let mut raw = Vec::new();
        s.read_to_end(&mut raw).expect("read answer");
        raw
    });
    let text = String::from_utf8_lossy(&raw).into_owned();
    let (head, body) = text.split_once("\r\n\r\n").unwrap_or((&text, ""));
    let status = head
        .split_whitespace()
        .nth(1)
        .and_then(|s| s.parse().ok())
        .unwrap_or_else(|| panic!("no status in {head:?}"));
    (status, body.to_string())
}

/// The value of the sample `series` (name and labels exactly as exposed).
pub(crate) fn sample(text: &str, series: &str) -> Option<f64> {
    text.lines()
        .find_map(|l| l.strip_prefix(series)?.strip_prefix(' ')?.parse().ok())
}

fn encode(query: &str) -> String {
    query
        .bytes()
        .map(|b| match b {
            b'a'..=b'z' | b'A'..=b'Z' | b'0'..=b'9' | b'-' | b'_' | b'.' => (b as char).to_string(),
            _ => format!("%{b:02X}"),
        })
        .collect()
}

/// Asks Prometheus `query` until `accept` likes the result vector (within WAIT).
pub(crate) fn prom_query(lab: &Lab, query: &str, accept: impl Fn(&[Value]) -> bool) -> Vec<Value> {
    let deadline = Instant::now() + WAIT;
    loop {
        let (status, body) = get(
            lab,
            PROMETHEUS_PORT,
            &format!("/api/v1/query?query={}", encode(query)),
            None,
        );
        let doc: Value = serde_json::from_str(&body).unwrap_or(Value::Null);
        let result = doc["data"]["result"]
            .as_array()
            .cloned()
            .unwrap_or_default();
        if status == 200 && accept(&result) {
            return result;
        }
        assert!(
            Instant::now() < deadline,
            "Prometheus never answered {query:?} as expected; last: {status} {body}"
        );
        std::thread::sleep(Duration::from_millis(250));
    }
}

/// The `alertname` alerts Prometheus has (pending or firing), every one about `host`;
/// with `wait`, once there is at least one (within WAIT).
pub(crate) fn alerts_only_about(lab: &Lab, alertname: &str, host: &str, wait: bool) -> Vec<Value> {
    let query = format!("ALERTS{{alertname=\"{alertname}\"}}");
    let alerts = prom_query(lab, &query, |r| !wait || !r.is_empty());
    assert!(
        alerts.iter().all(|a| a["metric"]["host"] == host),
        "{alertname}: {alerts:?}"
    );
    alerts
}

pub(crate) fn value_of(v: &Value) -> f64 {
    v["value"][1]
        .as_str()
        .and_then(|s| s.parse().ok())
        .unwrap_or(f64::NAN)
}

/// One vantage point's config in the lab (no `listen`: the default, 127.0.0.1:9470):
/// pings every 200 ms to the destination (traced too), a name with an A record and an
/// address nobody answers; /probe allowed for the lab's names and addresses.
pub(crate) fn lab_config(lab: &Lab) -> String {
    let dest = lab.dest_v4();
    let unreachable = lab.unreachable_v4();
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
[probe]
allow = [\"www.netlab.test\", \"198.18.0.0/16\"]
[[target]]
host = \"{dest}\"
trace = true
[[target]]
host = \"v4only.netlab.test\"
[[target]]
host = \"{unreachable}\"
"
    )
}

#[test]
fn prometheus_scrapes_the_exporter_in_the_lab() {
    if !have_prometheus() {
        return;
    }
    let lab = lab!(LabConfig::default().routers(2));
    // /probe module=icmp opens its socket after the capabilities are gone.
    lab.sysctl(Role::Client, "net.ipv4.ping_group_range", "0 2147483647");
    let dest = lab.dest_v4().to_string();
    let unreachable = lab.unreachable_v4().to_string();
    let dir = tempfile::tempdir().expect("tempdir");
    let config = dir.path().join("exporter.toml");
    std::fs::write(
        &config,
        format!(
            "listen = \"127.0.0.1:{EXPORTER_PORT}\"\n{}",
            lab_config(&lab)
        ),
    )
    .expect("write config");
    let mut cmd = lab.netlab_command(&["exporter", "--config", config.to_str().unwrap()]);
    cmd.env_remove("RUST_BACKTRACE");
    let mut exporter = spawn(cmd, "netlab exporter");
    exporter.wait_stderr("listening on http://127.0.0.1:9470/");
    let pid = exporter.id() as i32;
    util::assert_no_capabilities(pid);

    // What it serves, once the first traces are in.
    let l = format!("{{host=\"{dest}\",ip=\"{dest}\"}}");
    let deadline = Instant::now() + WAIT;
    let metrics = loop {
        let (status, body) = get(&lab, EXPORTER_PORT, "/metrics", None);
        assert_eq!(status, 200, "{body}");
        let traced = sample(&body, &format!("netlab_path_traces_total{l}")).unwrap_or(0.0);
        let replies = sample(
            &body,
            &format!("netlab_ping_response_duration_seconds_count{l}"),
        );
        if traced >= 2.0 && replies.unwrap_or(0.0) >= 3.0 {
            break body;
        }
        assert!(
            Instant::now() < deadline,
            "no traces and replies yet:\n{body}"
        );
        std::thread::sleep(Duration::from_millis(200));
    };
    let (ok, out) = promtool(&["check", "metrics"], &metrics);
    assert!(ok, "promtool check metrics: {out}\n{metrics}");
    assert!(sample(&metrics, &format!("netlab_ping_requests_total{l}")).unwrap() >= 3.0);
    assert_eq!(
        sample(&metrics, &format!("netlab_ping_response_ttl{l}")),
        Some(62.0)
    );
    assert_eq!(sample(&metrics, &format!("netlab_path_hops{l}")), Some(3.0));
    assert_eq!(
        sample(&metrics, &format!("netlab_path_reached{l}")),
        Some(1.0)
    );
    assert_eq!(
        sample(&metrics, &format!("netlab_path_changes_total{l}")),
        Some(0.0)
    );
    for (ttl, addr) in [
        (1, lab.hop_v4(1).to_string()),
        (2, lab.hop_v4(2).to_string()),
        (3, dest.clone()),
    ] {
        let series = format!(
            "netlab_hop_address_info{{host=\"{dest}\",ip=\"{dest}\",ttl=\"{ttl}\",address=\"{addr}\"}}"
        );
        assert_eq!(sample(&metrics, &series), Some(1.0), "{series}\n{metrics}");
        let hop = format!("{{host=\"{dest}\",ip=\"{dest}\",ttl=\"{ttl}\"}}");
        let sent = sample(&metrics, &format!("netlab_hop_requests_total{hop}")).unwrap();
        let answered = sample(&metrics, &format!("netlab_hop_responses_total{hop}")).unwrap();
        assert!(
            sent >= 6.0 && answered >= 1.0 && answered <= sent,
            "ttl {ttl}: {sent} {answered}"
        );
    }
    let deadline = Instant::now() + WAIT;
    loop {
        let (_, body) = get(&lab, EXPORTER_PORT, "/metrics", None);
        let v4only = format!("{{host=\"v4only.netlab.test\",ip=\"{dest}\"}}");
        // Lost: the unreachable target's requests come back as the router's ICMP errors.
        let lost = format!(
            "netlab_ping_icmp_errors_total{{host=\"{unreachable}\",ip=\"{unreachable}\",kind=\"host_unreachable\"}}"
        );
        let ready = sample(&body, &lost).unwrap_or(0.0) >= 1.0
            && sample(
                &body,
                &format!("netlab_ping_response_duration_seconds_count{v4only}"),
            )
            .unwrap_or(0.0)
                >= 1.0
            && sample(
                &body,
                "netlab_dns_resolve_duration_seconds_count{host=\"v4only.netlab.test\"}",
            )
            .unwrap_or(0.0)
                >= 2.0;
        if ready {
            break;
        }
        assert!(
            Instant::now() < deadline,
            "no timeouts or DNS times yet:\n{body}"
        );
        std::thread::sleep(Duration::from_millis(200));
    }

    // /probe, each module, allowed and not.
    let probe = |query: &str| get(&lab, EXPORTER_PORT, &format!("/probe?{query}"), None);
    for (query, success) in [
        ("target=www.netlab.test&module=icmp".to_string(), 1.0),
        (format!("target={dest}:{HTTP_PORT}&module=tcp"), 1.0),
        (format!("target={dest}:{CLOSED_PORT}&module=tcp"), 0.0),
        ("target=www.netlab.test&module=dns".to_string(), 1.0),
        (format!("target={dest}&module=trace"), 1.0),
    ] {
        let (status, body) = probe(&query);
        assert_eq!(status, 200, "{query}: {body}");
        assert_eq!(
            sample(&body, "probe_success"),
            Some(success),
            "{query}: {body}"
        );
        let (ok, out) = promtool(&["check", "metrics"], &body);
        assert!(ok, "{query}: {out}\n{body}");
    }
    let (_, body) = probe("target=www.netlab.test&module=icmp");
    assert_eq!(
        sample(&body, "probe_icmp_packets_received"),
        Some(3.0),
        "{body}"
    );
    let (_, body) = probe(&format!("target={dest}&module=trace"));
    assert_eq!(sample(&body, "probe_traceroute_hops"), Some(3.0), "{body}");
    for (query, status, why) in [
        ("module=icmp", 400, "missing parameter 'target'"),
        (
            "target=www.netlab.test&module=udp",
            400,
            "unknown module 'udp'",
        ),
        ("target=www.netlab.test&target=x", 400, "given twice"),
        (
            "target=www.netlab.test:80",
            400,
            "target 'www.netlab.test:80'",
        ),
        ("target=198.18.2.2&module=tcp", 400, "HOST:PORT"),
        ("target=%ZZ", 400, ""),
        ("target=elsewhere.example&module=dns", 403, "not allowed"),
        ("target=192.0.2.1", 403, "not allowed"),
    ] {
        let (got, body) = probe(query);
        assert_eq!(got, status, "{query}: {body}");
        assert!(body.contains(why), "{query}: {body}");
    }

    // A real Prometheus scrapes it (and /probe, the multi-target way) and runs the rules.
    let prometheus = start_prometheus(
        &lab,
        dir.path(),
        &format!(
            "  - job_name: netlab
    static_configs:
      - targets: [\"127.0.0.1:{EXPORTER_PORT}\"]
  - job_name: netlab-probe
    metrics_path: /probe
    params:
      module: [icmp]
    static_configs:
      - targets: [\"www.netlab.test\"]
    relabel_configs:
      - source_labels: [__address__]
        target_label: __param_target
      - source_labels: [__param_target]
        target_label: instance
      - target_label: __address__
        replacement: 127.0.0.1:{EXPORTER_PORT}
"
        ),
    );

    let up = prom_query(&lab, "up", |r| {
        r.len() == 2 && r.iter().all(|v| value_of(v) == 1.0)
    });
    assert_eq!(up.len(), 2);
    let requests = prom_query(
        &lab,
        &format!("netlab_ping_requests_total{{host=\"{dest}\"}}"),
        |r| r.len() == 1 && value_of(&r[0]) > 0.0,
    );
    assert_eq!(requests[0]["metric"]["ip"], dest.as_str());
    assert_eq!(requests[0]["metric"]["job"], "netlab");
    // The RTT histogram in seconds: the lab's RTTs are well under 100ms.
    prom_query(
        &lab,
        &format!("netlab_ping_response_duration_seconds_bucket{{host=\"{dest}\",le=\"0.1024\"}} - ignoring(le) netlab_ping_response_duration_seconds_count{{host=\"{dest}\"}}"),
        |r| r.len() == 1 && value_of(&r[0]) == 0.0,
    );
    let hop1 = prom_query(&lab, "netlab_hop_address_info{ttl=\"1\"}", |r| r.len() == 1);
    assert_eq!(
        hop1[0]["metric"]["address"],
        lab.hop_v4(1).to_string().as_str()
    );
    prom_query(&lab, &format!("netlab_path_hops{{host=\"{dest}\"}}"), |r| {
        r.len() == 1 && value_of(&r[0]) == 3.0
    });
    prom_query(&lab, "probe_success{instance=\"www.netlab.test\"}", |r| {
        r.len() == 1 && value_of(&r[0]) == 1.0
    });
    // The recording rule: the unreachable target loses everything, dest nothing.
    let loss = prom_query(&lab, "target:netlab_ping_loss:ratio1m", |r| {
        r.iter()
            .any(|v| v["metric"]["host"] == unreachable.as_str() && value_of(v) == 1.0)
            && r.iter()
                .any(|v| v["metric"]["host"] == dest.as_str() && value_of(v) == 0.0)
    });
    assert!(loss.len() >= 3);
    // And the alert on it is pending (its `for` has not passed) for that target only.
    alerts_only_about(&lab, "NetlabPacketLoss", &unreachable, true);
    let _ = terminate(prometheus);

    // SIGTERM: a clean stop, exit 0.
    let status = terminate(exporter);
    assert_eq!(status.code(), Some(0), "{status:?}");
}

#[test]
fn the_exporter_refuses_a_name_that_does_not_resolve() {
    let lab = lab!(LabConfig::default().routers(0));
    let out = lab.netlab(&[
        "exporter",
        "--listen",
        "127.0.0.1:9470",
        "nosuchhost.netlab.test",
    ]);
    util::assert_one_line_error(&out, "unresolvable target");
    assert!(
        util::stderr(&out).contains("nosuchhost"),
        "{}",
        util::stderr(&out)
    );
}

#[test]
fn icmp_errors_about_the_pings_are_counted_by_kind() {
    let lab = lab!(LabConfig::default().routers(2));
    let unreachable = lab.unreachable_v4().to_string();
    let mut cmd = lab.netlab_command(&["exporter", &unreachable]);
    cmd.env_remove("RUST_BACKTRACE");
    let mut exporter = spawn(cmd, "netlab exporter");
    exporter.wait_stderr("listening on http://127.0.0.1:9470/");
    let series = format!(
        "netlab_ping_icmp_errors_total{{host=\"{unreachable}\",ip=\"{unreachable}\",kind=\"host_unreachable\"}}"
    );
    let deadline = Instant::now() + WAIT;
    let body = loop {
        let (_, body) = get(&lab, EXPORTER_PORT, "/metrics", None);
        if sample(&body, &series).unwrap_or(0.0) >= 2.0 {
            break body;
        }
        assert!(Instant::now() < deadline, "no {series}:\n{body}");
        std::thread::sleep(Duration::from_millis(200));
    };
    let l = format!("{{host=\"{unreachable}\",ip=\"{unreachable}\"}}");
    assert_eq!(
        sample(
            &body,
            &format!("netlab_ping_response_duration_seconds_count{l}")
        ),
        Some(0.0)
    );
    // A second exporter on the same port cannot start: one line, exit 2.
    let out = lab.netlab(&["exporter", "--listen", "127.0.0.1:9470", "127.0.0.1"]);
    util::assert_one_line_error(&out, "address in use");
    assert_eq!(terminate(exporter).code(), Some(0));
}
