//! `netlab exporter` as operators run it (issue 20): as root where
//! `ping_group_range` is the kernel default `1 0`, /probe still pings (raw sockets kept
//! from the start); a name whose address changes is followed (the `ip` label moves, the
//! old series go); SIGHUP and `POST /-/reload` apply a new file (added targets start,
//! removed ones vanish, unchanged ones keep counting) and refuse a bad one (the running
//! config stays, one stderr line, `netlab_exporter_config_last_reload_successful 0`);
//! targets carry their own labels and TCP checks.

use std::path::Path;
use std::time::{Duration, Instant};

use crate::exporter::{get, sample, spawn, terminate, EXPORTER_PORT, WAIT};
use crate::lab::{lab, Lab, LabConfig, Role, CLOSED_PORT, HTTP_PORT};
use crate::util;
use crate::util::running::Running;

/// `/metrics` until `ready` likes it (within WAIT); the last body.
fn metrics_until(lab: &Lab, what: &str, ready: impl Fn(&str) -> bool) -> String {
    let deadline = Instant::now() + WAIT;
    loop {
        let (status, body) = get(lab, EXPORTER_PORT, "/metrics", None);
        if status == 200 && ready(&body) {
            return body;
        }
        assert!(Instant::now() < deadline, "never {what}:\n{body}");
        std::thread::sleep(Duration::from_millis(200));
    }
}

/// `exporter.toml` in `dir`: listening on the test port, pinging every 100 ms, then `rest`.
fn config_file(dir: &Path, rest: &str) -> std::path::PathBuf {
    let path = dir.join("exporter.toml");
    let head = format!("listen = \"127.0.0.1:{EXPORTER_PORT}\"\n[ping]\ninterval = \"100ms\"\n");
    std::fs::write(&path, format!("{head}{rest}")).expect("write config");
    path
}

fn start(lab: &Lab, config: &Path) -> Running {
    let mut cmd = lab.netlab_command(&["exporter", "--config", config.to_str().unwrap()]);
    cmd.env_remove("RUST_BACKTRACE");
    let mut exporter = spawn(cmd, "netlab exporter");
    exporter.wait_stderr("listening on http://127.0.0.1:9470/");
    exporter
}

/// `curl ARGS` in the client namespace: (HTTP status, body).
fn curl(lab: &Lab, args: &[&str]) -> (u16, String) {
    let mut argv = vec![
        "curl",
        "-s",
        "-o",
        "-",
        "-w",
        "\n%{http_code}",
        "--max-time",
        "30",
    ];
    argv.extend_from_slice(args);
    let out = lab.exec(Role::Client, &argv);
    let text = String::from_utf8_lossy(&out.stdout).into_owned();
    let (body, code) = text.rsplit_once('\n').unwrap_or(("", &text));
    (code.trim().parse().unwrap_or(0), body.to_string())
}

#[test]
fn a_root_exporter_probes_icmp_where_ping_group_range_is_1_0() {
    let lab = lab!(LabConfig::default().routers(2));
    // The kernel default: nobody, root included once its capabilities are gone, may
    // open an ICMP datagram socket.
    lab.sysctl(Role::Client, "net.ipv4.ping_group_range", "1 0");
    let dest = lab.dest_v4().to_string();
    let dir = tempfile::tempdir().expect("tempdir");
    let config = config_file(
        dir.path(),
        &format!(
            "[probe]
allow = [\"198.18.0.0/16\"]
max_concurrent = 8
[trace]
max_hops = 8
wait = \"1s\"
[[target]]
host = \"{dest}\"
"
        ),
    );
    let mut cmd = lab.netlab_command(&["exporter", "--config", config.to_str().unwrap()]);
    cmd.env_remove("RUST_BACKTRACE");
    let mut exporter = spawn(cmd, "netlab exporter");
    let listening = exporter.wait_stderr("listening on");
    assert!(listening.contains("127.0.0.1:9470"), "{listening}");
    util::assert_no_capabilities(exporter.id() as i32);

    // Eight probes at once (more than the pool's 4 sockets a family): each sees its own
    // three replies, none of the others'.
    let answers: Vec<(u16, String)> = std::thread::scope(|s| {
        let probes: Vec<_> = (0..8)
            .map(|_| {
                s.spawn(|| {
                    get(
                        &lab,
                        EXPORTER_PORT,
                        &format!("/probe?target={dest}&module=icmp"),
                        None,
                    )
                })
            })
            .collect();
        probes.into_iter().map(|p| p.join().unwrap()).collect()
    });
    for (status, body) in &answers {
        assert_eq!(*status, 200, "{body}");
        assert_eq!(sample(body, "probe_success"), Some(1.0), "{body}");
        assert_eq!(sample(body, "probe_icmp_packets_sent"), Some(3.0), "{body}");
        assert_eq!(
            sample(body, "probe_icmp_packets_received"),
            Some(3.0),
            "{body}"
        );
    }
    // A probe that fails says where, and debug=true tells the story.
    let unreachable = lab.unreachable_v4().to_string();
    let (status, body) = get(
        &lab,
        EXPORTER_PORT,
        &format!("/probe?target={unreachable}&module=icmp&debug=true"),
        None,
    );
    assert_eq!(status, 200, "{body}");
    assert!(body.starts_with("Logs for the probe:\n"), "{body}");
    assert!(body.contains("raw (kept from the start)"), "{body}");
    assert!(body.contains("failed at unreachable"), "{body}");
    assert!(
        body.contains("probe_failed_step{step=\"unreachable\",kind=\"host_unreachable\"} 1"),
        "{body}"
    );
    assert_eq!(sample(&body, "probe_success"), Some(0.0), "{body}");
    let (status, body) = get(
        &lab,
        EXPORTER_PORT,
        &format!("/probe?target={dest}&module=trace"),
        None,
    );
    assert_eq!(status, 200, "{body}");
    assert_eq!(sample(&body, "probe_success"), Some(1.0), "{body}");
    assert_eq!(sample(&body, "probe_traceroute_hops"), Some(3.0), "{body}");

    // The continuous pinger, whose raw socket saw every probe's replies too, counted
    // only its own: no duplicates, no late ones.
    let l = format!("{{host=\"{dest}\",ip=\"{dest}\"}}");
    let body = metrics_until(&lab, "replies", |b| {
        sample(
            b,
            &format!("netlab_ping_response_duration_seconds_count{l}"),
        )
        .unwrap_or(0.0)
            >= 5.0
    });
    assert_eq!(
        sample(&body, &format!("netlab_ping_response_duplicates_total{l}")),
        Some(0.0)
    );
    assert_eq!(
        sample(&body, &format!("netlab_ping_late_responses_total{l}")),
        Some(0.0)
    );
    let status = terminate(exporter);
    assert_eq!(status.code(), Some(0), "{status:?}");
}

#[test]
fn a_name_that_moves_is_pinged_at_its_new_address_and_its_old_series_go() {
    let lab = lab!(LabConfig::default().routers(2));
    let dest = lab.dest_v4().to_string();
    let router = lab.hop_v4(1).to_string();
    // The client's /etc/hosts (bind-mounted by `ip netns exec`, so rewritten in place):
    // the system resolver's answer for the name changes when the file does.
    let hosts = lab.client_etc_dir().join("hosts");
    let with = |addr: &str| format!("{}{addr} moving.netlab.test\n", lab.client_hosts_file());
    std::fs::write(&hosts, with(&dest)).expect("write hosts");
    let dir = tempfile::tempdir().expect("tempdir");
    let config = config_file(
        dir.path(),
        "[trace]
interval = \"1s\"
max_hops = 8
wait = \"1s\"
[[target]]
host = \"moving.netlab.test\"
trace = true
resolve_interval = \"500ms\"
labels = { site = \"lab\" }
",
    );
    let mut exporter = start(&lab, &config);
    let at = |ip: &str| format!("{{host=\"moving.netlab.test\",ip=\"{ip}\",site=\"lab\"}}");
    let old = at(&dest);
    metrics_until(&lab, "pinged and traced at the first address", |b| {
        sample(
            b,
            &format!("netlab_ping_response_duration_seconds_count{old}"),
        )
        .unwrap_or(0.0)
            >= 3.0
            && sample(b, &format!("netlab_path_traces_total{old}")).unwrap_or(0.0) >= 1.0
    });

    std::fs::write(&hosts, with(&router)).expect("rewrite hosts");
    let new = at(&router);
    let body = metrics_until(&lab, "pinged and traced at the new address", |b| {
        sample(
            b,
            &format!("netlab_ping_response_duration_seconds_count{new}"),
        )
        .unwrap_or(0.0)
            >= 3.0
            && sample(b, &format!("netlab_path_reached{new}")) == Some(1.0)
    });
    // Router 1 is one hop away.
    assert_eq!(sample(&body, &format!("netlab_path_hops{new}")), Some(1.0));
    assert!(
        !body.contains(&format!("ip=\"{dest}\"")),
        "old series left:\n{body}"
    );
    assert_eq!(
        sample(
            &body,
            "netlab_dns_address_changes_total{host=\"moving.netlab.test\",site=\"lab\"}"
        ),
        Some(1.0),
        "{body}"
    );
    exporter.wait_stderr(&format!("moving.netlab.test moved from {dest} to {router}"));
    assert_eq!(terminate(exporter).code(), Some(0));
}

#[test]
fn a_reload_starts_added_targets_stops_removed_ones_and_keeps_the_rest_counting() {
    let lab = lab!(LabConfig::default().routers(2));
    let dest = lab.dest_v4().to_string();
    let (r1, r2) = (lab.hop_v4(1).to_string(), lab.hop_v4(2).to_string());
    let dir = tempfile::tempdir().expect("tempdir");
    let config = dir.path().join("exporter.toml");
    let head = format!(
        "listen = \"127.0.0.1:{EXPORTER_PORT}\"
[ping]
interval = \"100ms\"
[[target]]
host = \"{dest}\"
trace = true
labels = {{ site = \"a\", role = \"dest\" }}
"
    );
    std::fs::write(&config, format!("{head}[[target]]\nhost = \"{r1}\"\n")).expect("write config");
    let mut exporter = start(&lab, &config);
    let kept = format!("{{host=\"{dest}\",ip=\"{dest}\",role=\"dest\",site=\"a\"}}");
    let requests = format!("netlab_ping_requests_total{kept}");
    let gone = format!("{{host=\"{r1}\",ip=\"{r1}\"}}");
    let body = metrics_until(&lab, "both targets answering", |b| {
        sample(b, &requests).unwrap_or(0.0) >= 20.0
            && sample(
                b,
                &format!("netlab_ping_response_duration_seconds_count{gone}"),
            )
            .unwrap_or(0.0)
                >= 3.0
    });
    assert_eq!(
        sample(&body, "netlab_exporter_config_last_reload_successful"),
        Some(1.0)
    );
    let started_at = sample(
        &body,
        "netlab_exporter_config_last_reload_success_timestamp_seconds",
    )
    .unwrap();
    let before = sample(&body, &requests).unwrap();

    // SIGHUP: router 1 goes, router 2 and a TCP-only target come, dest stays as it was
    // ([trace] changes: its trace restarts, on the same series).
    std::fs::write(
        &config,
        format!(
            "{head}[[target]]\nhost = \"{r2}\"\n[[target]]\nhost = \"v4only.netlab.test\"\nping = false\ntcp = [{HTTP_PORT}, {CLOSED_PORT}]\ntcp_interval = \"200ms\"\n[trace]\ninterval = \"2s\"\n[resolve]\ninterval = \"5s\"\n"
        ),
    )
    .expect("write config");
    std::thread::sleep(Duration::from_millis(1100)); // a later reload timestamp
    exporter.signal(libc::SIGHUP);
    exporter.wait_stderr("reloaded the config: 3 targets");
    let added = format!("{{host=\"{r2}\",ip=\"{r2}\"}}");
    let open = format!("{{host=\"v4only.netlab.test\",ip=\"{dest}\",port=\"{HTTP_PORT}\"}}");
    let closed = format!("{{host=\"v4only.netlab.test\",ip=\"{dest}\",port=\"{CLOSED_PORT}\"}}");
    let body = metrics_until(&lab, "the new targets answering", |b| {
        sample(
            b,
            &format!("netlab_ping_response_duration_seconds_count{added}"),
        )
        .unwrap_or(0.0)
            >= 3.0
            && sample(
                b,
                &format!("netlab_tcp_connect_duration_seconds_count{open}"),
            )
            .unwrap_or(0.0)
                >= 2.0
            && sample(b, &format!("netlab_tcp_connect_failures_total{closed}")).unwrap_or(0.0)
                >= 2.0
    });
    assert!(
        !body.contains(&format!("host=\"{r1}\"")),
        "{r1} left:\n{body}"
    );
    // Kept, not restarted: the counter went on from where it was.
    let after = sample(&body, &requests).unwrap();
    assert!(after > before, "{before} -> {after}");
    assert_eq!(
        sample(&body, &format!("netlab_tcp_connect_failures_total{open}")),
        Some(0.0)
    );
    assert!(
        !body.contains("netlab_ping_requests_total{host=\"v4only.netlab.test\""),
        "a ping = false target is pinged:\n{body}"
    );
    assert_eq!(
        sample(&body, "netlab_exporter_config_last_reload_successful"),
        Some(1.0)
    );
    let reloaded_at = sample(
        &body,
        "netlab_exporter_config_last_reload_success_timestamp_seconds",
    )
    .unwrap();
    assert!(reloaded_at > started_at, "{started_at} -> {reloaded_at}");

    // Bad files, by POST /-/reload and by SIGHUP: 500 with the line, the running config
    // kept, one stderr line each, the gauge at 0.
    let good = std::fs::read_to_string(&config).unwrap();
    std::fs::write(&config, format!("{good}[[target]]\nhost = \"{dest}\"\n")).unwrap();
    let (status, why) = curl(
        &lab,
        &[
            "-X",
            "POST",
            &format!("http://127.0.0.1:{EXPORTER_PORT}/-/reload"),
        ],
    );
    assert_eq!(status, 500, "{why}");
    assert!(
        why.contains("line 20") && why.contains("listed twice"),
        "{why}"
    );
    let line = exporter.wait_stderr("reload failed, kept the running config");
    assert!(line.contains("line 20"), "{line}");
    std::fs::write(
        &config,
        format!(
            "{good}[[target]]\nhost = \"x.netlab.test\"\nlabels = {{ \"bad-name\" = \"1\" }}\n"
        ),
    )
    .unwrap();
    exporter.signal(libc::SIGHUP);
    let line = exporter.wait_stderr("not a Prometheus label name");
    assert!(line.contains("line 21"), "{line}");
    let body = metrics_until(&lab, "the failed reload", |b| {
        sample(b, "netlab_exporter_config_last_reload_successful") == Some(0.0)
    });
    assert_eq!(
        sample(
            &body,
            "netlab_exporter_config_last_reload_success_timestamp_seconds"
        ),
        Some(reloaded_at)
    );
    assert!(body.contains(&format!("host=\"{r2}\"")), "{body}");
    // Still pinging as before.
    metrics_until(&lab, "more echo requests", |b| {
        sample(b, &requests).is_some_and(|n| n > after + 5.0)
    });
    // Fixed: 200, the gauge back at 1.
    std::fs::write(&config, &good).unwrap();
    let (status, body) = curl(
        &lab,
        &[
            "-X",
            "POST",
            &format!("http://127.0.0.1:{EXPORTER_PORT}/-/reload"),
        ],
    );
    assert_eq!((status, body.trim()), (200, "reloaded"));
    metrics_until(&lab, "the good reload", |b| {
        sample(b, "netlab_exporter_config_last_reload_successful") == Some(1.0)
    });
    // GET is not a reload.
    let (status, _) = curl(
        &lab,
        &[&format!("http://127.0.0.1:{EXPORTER_PORT}/-/reload")],
    );
    assert_eq!(status, 405);
    assert_eq!(terminate(exporter).code(), Some(0));
}

/// `openssl ARGS` in `dir`, which must succeed.
fn openssl(dir: &Path, args: &[&str]) {
    let out = std::process::Command::new("openssl")
        .args(args)
        .current_dir(dir)
        .output()
        .expect("run openssl");
    assert!(out.status.success(), "openssl {args:?}: {out:?}");
}

/// A CA, a server certificate for 127.0.0.1 and a client certificate, all signed by it.
fn certificates(dir: &Path) {
    let ec = [
        "-newkey",
        "ec",
        "-pkeyopt",
        "ec_paramgen_curve:P-256",
        "-nodes",
    ];
    let mut ca = vec!["req", "-x509"];
    ca.extend(ec);
    ca.extend([
        "-keyout",
        "ca.key",
        "-out",
        "ca.crt",
        "-days",
        "1",
        "-subj",
        "/CN=netlab test CA",
    ]);
    openssl(dir, &ca);
    for (name, ext) in [
        (
            "server",
            "subjectAltName=IP:127.0.0.1\nextendedKeyUsage=serverAuth\n",
        ),
        ("client", "extendedKeyUsage=clientAuth\n"),
    ] {
        std::fs::write(dir.join(format!("{name}.ext")), ext).unwrap();
        let (key, csr, crt, extfile) = (
            format!("{name}.key"),
            format!("{name}.csr"),
            format!("{name}.crt"),
            format!("{name}.ext"),
        );
        let mut req = vec!["req", "-new"];
        req.extend(ec);
        req.extend(["-keyout", &key, "-out", &csr, "-subj", "/CN=127.0.0.1"]);
        openssl(dir, &req);
        openssl(
            dir,
            &[
                "x509",
                "-req",
                "-in",
                &csr,
                "-CA",
                "ca.crt",
                "-CAkey",
                "ca.key",
                "-CAcreateserial",
                "-out",
                &crt,
                "-days",
                "1",
                "-extfile",
                &extfile,
            ],
        );
    }
}

#[test]
fn tls_client_certificates_and_basic_auth_from_a_web_config_file() {
    if !crate::exporter::have_prometheus() {
        return;
    }
    let lab = lab!(LabConfig::default().routers(1));
    let dest = lab.dest_v4().to_string();
    let dir = tempfile::tempdir().expect("tempdir");
    let d = dir.path();
    certificates(d);
    let hash = bcrypt::hash("s3cret", 6).unwrap();
    // exporter-toolkit's format, paths relative to the file's folder.
    std::fs::write(
        d.join("web.yml"),
        format!(
            "tls_server_config:
  cert_file: server.crt
  key_file: server.key
  client_auth_type: RequireAndVerifyClientCert
  client_ca_file: ca.crt
basic_auth_users:
  prometheus: {hash}
"
        ),
    )
    .unwrap();
    let path = |f: &str| d.join(f).to_str().unwrap().to_string();
    let mut cmd = lab.netlab_command(&[
        "exporter",
        "--web.config.file",
        &path("web.yml"),
        "--listen",
        &format!("127.0.0.1:{EXPORTER_PORT}"),
        &dest,
    ]);
    cmd.env_remove("RUST_BACKTRACE");
    let mut exporter = spawn(cmd, "netlab exporter");
    exporter.wait_stderr("listening on https://127.0.0.1:9470/");
    let url = format!("https://127.0.0.1:{EXPORTER_PORT}/metrics");
    let (ca, cert, key) = (path("ca.crt"), path("client.crt"), path("client.key"));
    let tls = ["--cacert", &ca, "--cert", &cert, "--key", &key];
    let with = |extra: &[&str]| {
        let mut args: Vec<&str> = tls.to_vec();
        args.extend_from_slice(extra);
        curl(&lab, &args)
    };
    let series = format!("netlab_ping_requests_total{{host=\"{dest}\",ip=\"{dest}\"}}");
    // The right credentials and certificate: the metrics.
    let (status, body) = with(&["-u", "prometheus:s3cret", &url]);
    assert_eq!(status, 200, "{body}");
    assert!(body.contains(&series), "{body}");
    // gzip when asked (curl --compressed sends Accept-Encoding and inflates), not otherwise.
    let (status, head) = with(&["-u", "prometheus:s3cret", "--compressed", "-D", "-", &url]);
    assert_eq!(status, 200);
    assert!(
        head.to_ascii_lowercase().contains("content-encoding: gzip"),
        "{head}"
    );
    assert!(head.contains(&series), "{head}");
    let (_, head) = with(&["-u", "prometheus:s3cret", "-D", "-", &url]);
    assert!(
        !head.to_ascii_lowercase().contains("content-encoding"),
        "{head}"
    );
    // Wrong password, unknown user, none: 401 with the challenge.
    for user in [
        &["-u", "prometheus:wrong"][..],
        &["-u", "someone:s3cret"][..],
        &[][..],
    ] {
        let mut args = user.to_vec();
        args.extend(["-D", "-", url.as_str()]);
        let (status, head) = with(&args);
        assert_eq!(status, 401, "{user:?}: {head}");
        assert!(
            head.contains("WWW-Authenticate: Basic") || head.contains("www-authenticate: Basic"),
            "{head}"
        );
        assert!(!head.contains(&series));
    }
    // No client certificate: the handshake fails, no HTTP status at all.
    let (status, body) = curl(&lab, &["--cacert", &ca, "-u", "prometheus:s3cret", &url]);
    assert_eq!(status, 0, "{body}");
    // Plain HTTP to the TLS port: Go's clear answer.
    let (status, body) = curl(
        &lab,
        &[&format!("http://127.0.0.1:{EXPORTER_PORT}/metrics")],
    );
    assert_eq!(status, 400, "{body}");
    assert!(
        body.contains("Client sent an HTTP request to an HTTPS server."),
        "{body}"
    );
    // A reload re-reads the web config: the new password works, the old one no more.
    let web = std::fs::read_to_string(d.join("web.yml")).unwrap();
    let rotated = bcrypt::hash("n3w", 6).unwrap();
    std::fs::write(d.join("web.yml"), web.replace(&hash, &rotated)).unwrap();
    exporter.signal(libc::SIGHUP);
    exporter.wait_stderr("reloaded the config");
    assert_eq!(with(&["-u", "prometheus:s3cret", &url]).0, 401);
    assert_eq!(with(&["-u", "prometheus:n3w", &url]).0, 200);
    std::fs::write(d.join("web.yml"), web).unwrap();
    exporter.signal(libc::SIGHUP);
    exporter.wait_stderr("reloaded the config");
    assert_eq!(with(&["-u", "prometheus:s3cret", &url]).0, 200);

    // A real Prometheus scrapes it over TLS with a client certificate and basic auth.
    let prometheus = crate::exporter::start_prometheus(
        &lab,
        d,
        &format!(
            "  - job_name: secure
    scheme: https
    tls_config:
      ca_file: {ca}
      cert_file: {cert}
      key_file: {key}
    basic_auth:
      username: prometheus
      password: s3cret
    static_configs:
      - targets: [\"127.0.0.1:{EXPORTER_PORT}\"]
"
        ),
    );
    crate::exporter::prom_query(&lab, "up{job=\"secure\"}", |r| {
        r.len() == 1 && crate::exporter::value_of(&r[0]) == 1.0
    });
    crate::exporter::prom_query(
        &lab,
        &format!("netlab_ping_requests_total{{job=\"secure\",host=\"{dest}\"}}"),
        |r| r.len() == 1 && crate::exporter::value_of(&r[0]) > 0.0,
    );
    let _ = terminate(prometheus);
    assert_eq!(terminate(exporter).code(), Some(0));

    // A bad web config stops the start: one line naming the line, exit 2.
    std::fs::write(
        d.join("bad.yml"),
        "basic_auth_users:\n  prometheus: not-a-hash\n",
    )
    .unwrap();
    let out = lab.netlab(&["exporter", "--web.config.file", &path("bad.yml"), &dest]);
    util::assert_one_line_error(&out, "bad web config");
    let err = util::stderr(&out);
    assert!(
        err.contains("bad.yml line 2: ") && err.contains("bcrypt"),
        "{err}"
    );
}

/// Sends `count` keep-alive `GET path` requests on one connection; the status of each
/// (0 for a request whose connection failed).
fn keep_alive(port: u16, path: &str, count: usize) -> Vec<u16> {
    use std::io::{BufRead, BufReader, Read, Write};
    let mut statuses = Vec::with_capacity(count);
    let mut conn: Option<(std::net::TcpStream, BufReader<std::net::TcpStream>)> = None;
    for _ in 0..count {
        if conn.is_none() {
            let s = match std::net::TcpStream::connect(("127.0.0.1", port)) {
                Ok(s) => s,
                Err(_) => {
                    statuses.push(0);
                    continue;
                }
            };
            s.set_read_timeout(Some(WAIT)).unwrap();
            let r = BufReader::new(s.try_clone().unwrap());
            conn = Some((s, r));
        }
        let (s, r) = conn.as_mut().unwrap();
        let request = format!("GET {path} HTTP/1.1\r\nHost: 127.0.0.1\r\n\r\n");
        let mut status = 0;
        let mut length = 0usize;
        let mut close = false;
        let ok = s.write_all(request.as_bytes()).is_ok() && {
            let mut line = String::new();
            let mut fine = r.read_line(&mut line).is_ok_and(|n| n > 0);
            status = line
                .split_whitespace()
                .nth(1)
                .and_then(|c| c.parse().ok())
                .unwrap_or(0);
            loop {
                line.clear();
                if !fine || r.read_line(&mut line).map_or(true, |n| n == 0) {
                    fine = false;
                    break;
                }
                let l = line.trim().to_ascii_lowercase();
                if l.is_empty() {
                    break;
                }
                if let Some(v) = l.strip_prefix("content-length:") {
                    length = v.trim().parse().unwrap_or(0);
                }
                if l == "connection: close" {
                    close = true;
                }
            }
            fine && {
                let mut body = vec![0u8; length];
                r.read_exact(&mut body).is_ok()
            }
        };
        statuses.push(if ok { status } else { 0 });
        if !ok || close {
            conn = None;
        }
    }
    statuses
}

fn rss_kib(pid: u32) -> u64 {
    let status = std::fs::read_to_string(format!("/proc/{pid}/status")).unwrap();
    status
        .lines()
        .find_map(|l| l.strip_prefix("VmRSS:"))
        .and_then(|v| v.trim().trim_end_matches("kB").trim().parse().ok())
        .unwrap()
}

#[test]
fn ten_thousand_scrapes_and_a_thousand_probes_get_only_answers_or_503_and_memory_stays_flat() {
    let lab = lab!(LabConfig::default().routers(1));
    let dest = lab.dest_v4().to_string();
    let dir = tempfile::tempdir().expect("tempdir");
    let config = config_file(
        dir.path(),
        &format!(
            "[probe]
allow = [\"198.18.0.0/16\"]
max_concurrent = 4
[[target]]
host = \"{dest}\"
"
        ),
    );
    let exporter = start(&lab, &config);
    let pid = exporter.id();
    let scrape = |clients: usize, each: usize, path: &str| -> Vec<u16> {
        lab.in_ns(Role::Client, || {
            std::thread::scope(|s| {
                let all: Vec<_> = (0..clients)
                    .map(|_| s.spawn(|| keep_alive(EXPORTER_PORT, path, each)))
                    .collect();
                all.into_iter().flat_map(|t| t.join().unwrap()).collect()
            })
        })
    };
    // Warm up (the allocator's arenas, the connection buffers), then measure.
    let warm = scrape(300, 4, "/metrics");
    assert!(warm.iter().all(|&s| s == 200), "{warm:?}");
    let before = rss_kib(pid);
    let started = Instant::now();
    let statuses = scrape(300, 34, "/metrics");
    let scraping = started.elapsed();
    assert_eq!(statuses.len(), 10_200);
    let bad: Vec<_> = statuses.iter().filter(|&&s| s != 200).collect();
    assert!(
        bad.is_empty(),
        "{} of 10,200 scrapes failed: {bad:?}",
        bad.len()
    );
    let started = Instant::now();
    let probes = scrape(
        100,
        10,
        &format!("/probe?target={dest}:{HTTP_PORT}&module=tcp"),
    );
    let probing = started.elapsed();
    let ok = probes.iter().filter(|&&s| s == 200).count();
    let busy = probes.iter().filter(|&&s| s == 503).count();
    assert_eq!(ok + busy, 1_000, "{probes:?}");
    assert!(ok >= 4 && busy >= 1, "{ok} answered, {busy} busy");
    let after = rss_kib(pid);
    eprintln!(
        "10,200 scrapes from 300 connections in {scraping:?}; 1,000 probes from 100 in {probing:?} ({ok} answered, {busy} 503); RSS {before} -> {after} KiB"
    );
    assert!(
        after <= before + 8 * 1024,
        "RSS grew from {before} to {after} KiB"
    );
    // Still serving, still pinging.
    let (status, _) = get(&lab, EXPORTER_PORT, "/metrics", None);
    assert_eq!(status, 200);
    assert_eq!(terminate(exporter).code(), Some(0));
}
