//! The exporter's `/probe?module=http` and `module=tls` (issue 19) on loopback, against
//! the HTTP and TLS servers of `web.rs` (no root, no namespace needed): status, phases
//! and version of a request; a chain that verifies under `[probe] ca_file` and an
//! expired one (probe_success 0, failed step `certificate` kind `expired`); bad and
//! forbidden targets answered 400 and 403 without a packet.

use std::io::{Read, Write};
use std::net::{SocketAddr, TcpStream};
use std::path::Path;
use std::process::Command;
use std::time::{Duration, SystemTime, UNIX_EPOCH};

use super::{http_server, tls_server, tls_server_sending};
use crate::exporter::{have_prometheus, promtool, sample, spawn, terminate};
use crate::lab::web_server::{leaf, pki, pki_until};
use crate::util::running::Running;
use crate::util::{assert_one_line_error, netlab, NETLAB};

/// `netlab exporter` on a free loopback port with `[probe]` set to `probe`.
fn start(dir: &Path, probe: &str) -> (Running, SocketAddr) {
    start_with(
        dir,
        &format!("listen = \"127.0.0.1:0\"\n[probe]\nallow = [\"127.0.0.1\"]\n{probe}"),
    )
}

/// `netlab exporter` with the config file `config` (written to DIR/exporter.toml).
pub(super) fn start_with(dir: &Path, config: &str) -> (Running, SocketAddr) {
    let path = dir.join("exporter.toml");
    std::fs::write(&path, config).unwrap();
    let mut cmd = Command::new(NETLAB);
    cmd.args(["exporter", "--config", path.to_str().unwrap()]);
    start_command(cmd)
}

/// Starts the exporter `cmd` runs and waits for the address it says it listens on.
pub(super) fn start_command(cmd: Command) -> (Running, SocketAddr) {
    let mut exporter = spawn(cmd, "netlab exporter");
    let line = exporter.wait_stderr("listening on http://");
    let addr = line
        .split("http://")
        .nth(1)
        .and_then(|rest| rest.split('/').next())
        .and_then(|a| a.parse().ok())
        .unwrap_or_else(|| panic!("no address in {line:?}"));
    (exporter, addr)
}

/// `GET /probe?QUERY`: (status, body).
fn probe(exporter: SocketAddr, query: &str) -> (u16, String) {
    get(exporter, &format!("/probe?{query}"))
}

/// `GET PATH` from the exporter: (status, body).
pub(super) fn get(exporter: SocketAddr, path: &str) -> (u16, String) {
    let mut s = TcpStream::connect(exporter).unwrap();
    s.set_read_timeout(Some(Duration::from_secs(30))).unwrap();
    write!(
        s,
        "GET {path} HTTP/1.1\r\nHost: 127.0.0.1\r\nConnection: close\r\n\r\n"
    )
    .unwrap();
    let mut raw = String::new();
    s.read_to_string(&mut raw).unwrap();
    let (head, body) = raw.split_once("\r\n\r\n").unwrap_or((&raw, ""));
    let status = head.split_whitespace().nth(1).unwrap().parse().unwrap();
    (status, body.to_string())
}

fn value(body: &str, series: &str) -> f64 {
    sample(body, series).unwrap_or_else(|| panic!("no {series} in\n{body}"))
}

#[test]
fn module_http_reports_status_phases_and_version_and_refuses_bad_targets() {
    let server = http_server();
    let dir = tempfile::tempdir().unwrap();
    let (exporter, at) = start(dir.path(), "");
    let url = format!("http://127.0.0.1:{}", server.port());

    let (status, body) = probe(at, &format!("module=http&target={url}/"));
    assert_eq!(status, 200, "{body}");
    assert_eq!(value(&body, "probe_success"), 1.0, "{body}");
    assert_eq!(value(&body, "probe_http_status_code"), 200.0);
    assert_eq!(value(&body, "probe_http_version"), 1.1);
    assert_eq!(value(&body, "probe_http_ssl"), 0.0);
    assert_eq!(value(&body, "probe_http_content_length"), 5.0);
    assert_eq!(value(&body, "probe_http_uncompressed_body_length"), 5.0);
    for phase in ["connect", "processing"] {
        let series = format!("probe_http_duration_seconds{{phase=\"{phase}\"}}");
        assert!(value(&body, &series) > 0.0, "{series}\n{body}");
    }
    assert_eq!(
        value(&body, "probe_http_duration_seconds{phase=\"tls\"}"),
        0.0
    );
    assert!(!body.contains("probe_tls_version_info"), "{body}");
    if have_prometheus() {
        let (ok, out) = promtool(&["check", "metrics"], &body);
        assert!(ok, "{out}\n{body}");
    }

    // A 500 is a failure at the status step; the slow path's wait is the processing phase.
    let (_, body) = probe(at, &format!("module=http&target={url}/status/500"));
    assert_eq!(value(&body, "probe_success"), 0.0, "{body}");
    assert_eq!(value(&body, "probe_http_status_code"), 500.0);
    assert_eq!(
        value(&body, "probe_failed_step{step=\"status\",kind=\"\"}"),
        1.0
    );
    let (_, body) = probe(at, &format!("module=http&target={url}/slow"));
    assert!(value(&body, "probe_http_duration_seconds{phase=\"processing\"}") >= 0.29);

    // Nothing listens: refused, with the debug log saying so.
    let closed = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
    let port = closed.local_addr().unwrap().port();
    drop(closed);
    let (_, body) = probe(
        at,
        &format!("module=http&target=http://127.0.0.1:{port}/&debug=true"),
    );
    assert!(body.contains("failed at refused"), "{body}");
    assert!(body.contains("probe_success 0"), "{body}");

    // Bad targets are 400, a target not allowed 403.
    for bad in [
        "module=http&target=127.0.0.1",
        "module=http&target=ftp://127.0.0.1/",
        "module=tls&target=127.0.0.1",
        "module=tls&target=https://127.0.0.1:443/",
    ] {
        let (status, body) = probe(at, bad);
        assert_eq!(status, 400, "{bad}: {body}");
    }
    let (status, body) = probe(
        at,
        &format!("module=http&target=http://127.0.0.2:{}/", server.port()),
    );
    assert_eq!(status, 403, "{body}");
    assert!(terminate(exporter).success());
}

#[test]
fn module_tls_verifies_with_ca_file_and_names_an_expired_certificate() {
    let pki = pki();
    let valid = tls_server(&pki, leaf(&pki, &["127.0.0.1"], -1, 90, false), false);
    let expired = tls_server(&pki, leaf(&pki, &["127.0.0.1"], -30, -2, false), false);
    let dir = tempfile::tempdir().unwrap();
    let ca = format!("ca_file = \"{}\"\n", pki.ca_file.display());
    let (exporter, at) = start(dir.path(), &ca);

    let (status, body) = probe(at, &format!("module=tls&target=127.0.0.1:{}", valid.port()));
    assert_eq!(status, 200, "{body}");
    assert_eq!(value(&body, "probe_success"), 1.0, "{body}");
    assert_eq!(
        value(&body, "probe_tls_version_info{version=\"TLS 1.3\"}"),
        1.0
    );
    assert!(value(&body, "probe_tls_handshake_duration_seconds") > 0.0);
    let now = SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .unwrap()
        .as_secs_f64();
    let left = value(&body, "probe_ssl_earliest_cert_expiry") - now;
    assert!(
        (89.0 * 86_400.0..=90.0 * 86_400.0).contains(&left),
        "{left}"
    );

    let (_, body) = probe(
        at,
        &format!("module=http&target=https://127.0.0.1:{}/", valid.port()),
    );
    assert_eq!(value(&body, "probe_success"), 1.0, "{body}");
    assert_eq!(value(&body, "probe_http_ssl"), 1.0);
    assert_eq!(value(&body, "probe_http_status_code"), 200.0);
    assert!(value(&body, "probe_http_duration_seconds{phase=\"tls\"}") > 0.0);
    if have_prometheus() {
        let (ok, out) = promtool(&["check", "metrics"], &body);
        assert!(ok, "{out}\n{body}");
    }

    for module in ["tls", "http"] {
        let target = match module {
            "tls" => format!("127.0.0.1:{}", expired.port()),
            _ => format!("https://127.0.0.1:{}/", expired.port()),
        };
        let (_, body) = probe(at, &format!("module={module}&target={target}&debug=true"));
        assert!(body.contains("probe_success 0"), "{module}: {body}");
        assert!(
            body.contains("probe_failed_step{step=\"certificate\",kind=\"expired\"} 1"),
            "{module}: {body}"
        );
        assert!(body.contains("NOT verified: expired"), "{module}: {body}");
        let expiry = sample(
            body.split("Metrics that would have been returned:")
                .nth(1)
                .unwrap(),
            "probe_ssl_earliest_cert_expiry",
        )
        .unwrap();
        assert!(expiry < now, "{expiry}");
        // Nothing verified, so there is no verified chain to date.
        assert!(
            !body.contains("probe_ssl_last_chain_expiry"),
            "{module}: {body}"
        );
    }
    assert!(terminate(exporter).success());

    // Without the CA the same valid server is an unknown issuer.
    let (exporter, at) = start(dir.path(), "");
    let (_, body) = probe(at, &format!("module=tls&target=127.0.0.1:{}", valid.port()));
    assert!(
        body.contains("probe_failed_step{step=\"certificate\",kind=\"unknown_issuer\"} 1"),
        "{body}"
    );
    assert!(terminate(exporter).success());
}

/// Seconds from now until the series' timestamp, in days.
fn days_left(body: &str, series: &str) -> f64 {
    let now = SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .unwrap()
        .as_secs_f64();
    (value(body, series) - now) / 86_400.0
}

#[test]
fn last_chain_expiry_is_the_verified_path_with_its_anchor_not_every_certificate_sent() {
    // The CA ends in 30 days, the leaf in 90; the server also sends a stray
    // self-signed certificate that ends in 5 days and is on no path.
    let pki = pki_until(Some(30));
    let stray = leaf(&pki, &["stray.test"], -1, 5, true).0.der().clone();
    let server = tls_server_sending(
        &pki,
        leaf(&pki, &["127.0.0.1"], -1, 90, false),
        false,
        vec![stray],
    );
    let dir = tempfile::tempdir().unwrap();
    let ca = format!("ca_file = \"{}\"\n", pki.ca_file.display());
    let (exporter, at) = start(dir.path(), &ca);
    for query in [
        format!("module=tls&target=127.0.0.1:{}", server.port()),
        format!("module=http&target=https://127.0.0.1:{}/", server.port()),
    ] {
        let (status, body) = probe(at, &query);
        assert_eq!(status, 200, "{body}");
        assert_eq!(value(&body, "probe_success"), 1.0, "{query}: {body}");
        let earliest = days_left(&body, "probe_ssl_earliest_cert_expiry");
        assert!((4.0..=5.0).contains(&earliest), "{query}: {earliest}");
        // The anchor (from ca_file) ends first on the path: 30 days, not the leaf's 90
        // nor the stray's 5.
        let last = days_left(&body, "probe_ssl_last_chain_expiry_timestamp_seconds");
        assert!((29.0..=30.0).contains(&last), "{query}: {last}");
        if have_prometheus() {
            let (ok, out) = promtool(&["check", "metrics"], &body);
            assert!(ok, "{out}\n{body}");
        }
    }
    assert!(terminate(exporter).success());
}

#[test]
fn a_ca_file_that_cannot_be_read_stops_the_exporter_with_one_line() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("exporter.toml");
    let missing = dir.path().join("missing.pem");
    std::fs::write(
        &path,
        format!(
            "listen = \"127.0.0.1:0\"\n[probe]\nca_file = \"{}\"\n",
            missing.display()
        ),
    )
    .unwrap();
    let out = netlab(&["exporter", "--config", path.to_str().unwrap()]);
    assert_eq!(out.status.code(), Some(2));
    assert_one_line_error(&out, "ca_file");
    let err = crate::util::stderr(&out);
    assert!(
        err.contains("[probe] ca_file") && err.contains("missing.pem"),
        "{err}"
    );
}
