//! `[[target]]` http and tls checks (issue 19) on loopback, against the HTTP and TLS
//! servers of `web.rs`: each check runs every `web_interval` and its last result is
//! exported under netlab_ (success, status, phases, certificate expiry, failures); a
//! reload that drops a check removes its series; a bad `http =` stops the start with
//! one line naming its line (exit 2).

use std::time::{Duration, Instant, SystemTime, UNIX_EPOCH};

use super::probe::{get, start_with};
use super::{http_server, tls_server};
use crate::exporter::{have_prometheus, promtool, sample, terminate};
use crate::lab::web_server::{leaf, pki};
use crate::util::{assert_one_line_error, netlab, stderr};

/// /metrics once `ready` holds (within 20 s).
fn metrics_until(at: std::net::SocketAddr, ready: impl Fn(&str) -> bool) -> String {
    let deadline = Instant::now() + Duration::from_secs(20);
    loop {
        let (status, body) = get(at, "/metrics");
        assert_eq!(status, 200, "{body}");
        if ready(&body) {
            return body;
        }
        assert!(Instant::now() < deadline, "not ready in time:\n{body}");
        std::thread::sleep(Duration::from_millis(100));
    }
}

#[test]
fn configured_http_and_tls_checks_are_exported_and_removed_on_reload() {
    let pki = pki();
    let plain = http_server();
    let tls = tls_server(&pki, leaf(&pki, &["127.0.0.1"], -1, 90, false), false);
    let dir = tempfile::tempdir().unwrap();
    let head = format!(
        "listen = \"127.0.0.1:0\"\n[probe]\nca_file = \"{}\"\n",
        pki.ca_file.display()
    );
    let web = format!(
        "[[target]]\nhost = \"127.0.0.1\"\nping = false\nhttp = \"https://127.0.0.1:{p}/\"\ntls = \"127.0.0.1:{p}\"\nweb_interval = \"200ms\"\nlabels = {{ site = \"lo\" }}\n",
        p = tls.port()
    );
    let failing = format!(
        "[[target]]\nhost = \"localhost\"\nping = false\nhttp = \"http://localhost:{}/status/500\"\nweb_interval = \"200ms\"\n",
        plain.port()
    );
    let (exporter, at) = start_with(dir.path(), &format!("{head}{web}{failing}"));

    let https = format!(
        "host=\"127.0.0.1\",ip=\"127.0.0.1\",check=\"http\",url=\"https://127.0.0.1:{}/\",site=\"lo\"",
        tls.port()
    );
    let handshake = format!(
        "host=\"127.0.0.1\",ip=\"127.0.0.1\",check=\"tls\",url=\"tls://127.0.0.1:{}/\",site=\"lo\"",
        tls.port()
    );
    let five_hundred = format!(
        "host=\"localhost\",ip=\"127.0.0.1\",check=\"http\",url=\"http://localhost:{}/status/500\"",
        plain.port()
    );
    let series = |name: &str, labels: &str| format!("{name}{{{labels}}}");
    let body = metrics_until(at, |b| {
        // Two rounds of the failing check: the checks go on, not once.
        sample(b, &series("netlab_web_check_failures_total", &five_hundred)) >= Some(2.0)
            && sample(b, &series("netlab_web_check_success", &https)) == Some(1.0)
            && sample(b, &series("netlab_web_check_success", &handshake)) == Some(1.0)
    });
    let value = |name: &str, labels: &str| {
        sample(&body, &series(name, labels))
            .unwrap_or_else(|| panic!("no {name}{{{labels}}} in\n{body}"))
    };
    assert_eq!(value("netlab_web_check_http_status_code", &https), 200.0);
    assert_eq!(
        value("netlab_web_check_http_status_code", &five_hundred),
        500.0
    );
    assert_eq!(value("netlab_web_check_success", &five_hundred), 0.0);
    assert_eq!(value("netlab_web_check_failures_total", &https), 0.0);
    for phase in ["connect", "tls", "processing"] {
        let labels = format!("{https},phase=\"{phase}\"");
        assert!(
            value("netlab_web_check_duration_seconds", &labels) > 0.0,
            "{phase}"
        );
    }
    let tls_phase = format!("{handshake},phase=\"tls\"");
    assert!(value("netlab_web_check_duration_seconds", &tls_phase) > 0.0);
    let plain_tls = format!("{five_hundred},phase=\"tls\"");
    assert_eq!(value("netlab_web_check_duration_seconds", &plain_tls), 0.0);
    let now = SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .unwrap()
        .as_secs_f64();
    for labels in [&https, &handshake] {
        for name in [
            "netlab_web_check_ssl_earliest_cert_expiry",
            "netlab_web_check_ssl_last_chain_expiry_timestamp_seconds",
        ] {
            let days = (value(name, labels) - now) / 86_400.0;
            assert!((89.0..=90.0).contains(&days), "{name}{{{labels}}}: {days}");
        }
    }
    // A tls check has no status; plain http has no certificate.
    assert!(!body.contains(&series("netlab_web_check_http_status_code", &handshake)));
    assert!(!body.contains(&series(
        "netlab_web_check_ssl_earliest_cert_expiry",
        &five_hundred
    )));
    if have_prometheus() {
        let (ok, out) = promtool(&["check", "metrics"], &body);
        assert!(ok, "{out}\n{body}");
    }

    // Reload without the failing target: its series go, the others stay and go on.
    std::fs::write(dir.path().join("exporter.toml"), format!("{head}{web}")).unwrap();
    exporter.signal(libc::SIGHUP);
    let body = metrics_until(at, |b| !b.contains("check=\"http\",url=\"http://localhost"));
    assert!(!body.contains("localhost"), "{body}");
    assert_eq!(
        sample(&body, &series("netlab_web_check_success", &https)),
        Some(1.0),
        "{body}"
    );
    assert!(terminate(exporter).success());
}

#[test]
fn a_bad_check_url_stops_the_start_with_one_line_naming_it() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("exporter.toml");
    std::fs::write(
        &path,
        "listen = \"127.0.0.1:0\"\n[[target]]\nhost = \"127.0.0.1\"\nhttp = \"http://127.0.0.2/\"\n",
    )
    .unwrap();
    let out = netlab(&["exporter", "--config", path.to_str().unwrap()]);
    assert_one_line_error(&out, "line 4");
    assert!(
        stderr(&out).contains(
            "line 4: http 'http://127.0.0.2/': its host 127.0.0.2 is not the target's (127.0.0.1)"
        ),
        "{}",
        stderr(&out)
    );
}
