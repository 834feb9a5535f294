//! `connect https://...` in the namespace lab against Debian's nginx, started by the test
//! in the destination namespace with certificates of a test CA (`rcgen`): HTTP/2 and
//! HTTP/1.1 by ALPN, h2c with prior knowledge, TLS 1.2 only, an expired certificate, a
//! wrong name, a redirect chain, a loop and a 500; and the phases beside `curl -w`'s for
//! the same request from the same namespace. nginx is installed with apt-get when
//! missing; without it the test fails under CI=true and skips loudly otherwise.

use serde_json::Value;

use crate::exporter::{get, sample, terminate};
use crate::lab::web_server::{
    curl, have_nginx, pki, start_nginx, Nginx, Pki, CURL_W, EXPIRED, H2C, PLAIN, TLS12, VALID,
    WRONG_NAME,
};
use crate::lab::{Lab, LabConfig, Role};
use crate::util::{stderr, stdout, NETLAB};

/// Runs netlab in the client namespace with `--json`, printing the table run too (for
/// the README and for failures).
fn run(lab: &Lab, args: &[&str]) -> (Option<i32>, Value) {
    let table = lab.netlab(args);
    eprintln!(
        "$ netlab {}\n{}{}(exit {:?})",
        args.join(" "),
        stdout(&table),
        stderr(&table),
        table.status.code()
    );
    let (command, rest) = args.split_first().expect("a command");
    let mut json_args = vec![*command, "--json"];
    json_args.extend_from_slice(rest);
    let out = lab.netlab(&json_args);
    let doc: Value = serde_json::from_slice(&out.stdout)
        .unwrap_or_else(|e| panic!("{e}: {}{}", stdout(&out), stderr(&out)));
    assert_eq!(out.status.code(), table.status.code(), "{args:?}");
    (out.status.code(), doc)
}

/// The lab with nginx serving in its destination; None when the test is skipped (no
/// lab, or no nginx, outside CI: both fail under CI=true).
fn web_lab() -> Option<(Lab, Pki, Nginx)> {
    let lab = Lab::build_or_skip(LabConfig::default())?;
    if !have_nginx() {
        return None;
    }
    let pki = pki();
    let nginx = start_nginx(&lab, &pki);
    Some((lab, pki, nginx))
}

fn first(doc: &Value) -> &Value {
    &doc["requests"][0]
}

#[test]
fn nginx_over_http2_http11_and_tls12_and_its_broken_chains() {
    let Some((lab, pki, _nginx)) = web_lab() else {
        return;
    };
    let d4 = lab.dest_v4().to_string();
    let ca = pki.ca_file.to_str().unwrap();
    let pin = |port: u16| format!("www.netlab.test:{port}:{d4}");
    let url = |port: u16, path: &str| format!("https://www.netlab.test:{port}{path}");
    // `connect FLAGS --cacert CA --resolve www.netlab.test:PORT:D4 https://www.netlab.test:PORT/`
    let https = |flags: &[&str], port: u16| {
        let (pin, url) = (pin(port), url(port, "/"));
        let mut args = vec!["connect"];
        args.extend_from_slice(flags);
        args.extend_from_slice(&["--cacert", ca, "--resolve", &pin, &url]);
        run(&lab, &args)
    };

    // HTTP/2 by ALPN, verified against the lab's CA.
    let (code, doc) = https(&[], VALID);
    assert_eq!(code, Some(0), "{doc:#}");
    let r = first(&doc);
    assert_eq!(r["http"]["http_version"], "HTTP/2", "{r:#}");
    assert_eq!(r["tls"]["alpn"], "h2");
    assert_eq!(r["tls"]["version"], "TLSv1.3");
    assert_eq!(r["tls"]["verified"], true);
    assert!(
        r["http"]["server"].as_str().unwrap().starts_with("nginx"),
        "{r:#}"
    );
    assert_eq!(r["http"]["body_bytes"], 7);
    assert_eq!(r["address"], d4.as_str());

    // --http1.1 asks for HTTP/1.1 by ALPN.
    let (code, doc) = https(&["--http1.1"], VALID);
    assert_eq!(code, Some(0));
    assert_eq!(first(&doc)["http"]["http_version"], "HTTP/1.1");
    assert_eq!(first(&doc)["tls"]["alpn"], "http/1.1");

    // TLS 1.2 only.
    let (code, doc) = https(&[], TLS12);
    assert_eq!(code, Some(0), "{doc:#}");
    assert_eq!(first(&doc)["tls"]["version"], "TLSv1.2");

    // An expired certificate and a wrong name: named, exit 1, no request sent.
    for (port, reason) in [(EXPIRED, "expired"), (WRONG_NAME, "name_mismatch")] {
        let (code, doc) = https(&[], port);
        assert_eq!(code, Some(1), "{doc:#}");
        assert_eq!(first(&doc)["tls"]["reason"], reason, "{doc:#}");
        assert!(first(&doc)["http"].is_null());
    }

    // --tls: the handshake only.
    let (code, doc) = run(
        &lab,
        &[
            "connect",
            "--tls",
            "--cacert",
            ca,
            "--sni",
            "www.netlab.test",
            &format!("{d4}:{VALID}"),
        ],
    );
    assert_eq!(code, Some(0), "{doc:#}");
    assert!(first(&doc)["http"].is_null());
    assert_eq!(
        first(&doc)["tls"]["chain"][0]["subject"],
        "CN=www.netlab.test"
    );

    // Plain HTTP: a redirect chain (302, 301, 307), a loop, a 500, h2c.
    let plain = |path: &str| format!("http://{d4}:{PLAIN}{path}");
    let (code, doc) = run(&lab, &["connect", "-L", &plain("/r3")]);
    assert_eq!(code, Some(0), "{doc:#}");
    let hops = doc["requests"].as_array().unwrap();
    assert_eq!(hops.len(), 4);
    assert_eq!(hops[3]["http"]["status"], 200);
    let (code, doc) = run(&lab, &["connect", "-L", &plain("/loop")]);
    assert_eq!(code, Some(1));
    let hops = doc["requests"].as_array().unwrap();
    assert!(
        hops.last().unwrap()["error"]
            .as_str()
            .unwrap()
            .contains("loop"),
        "{doc:#}"
    );
    let (code, doc) = run(&lab, &["connect", &plain("/500")]);
    assert_eq!(
        (code, first(&doc)["http"]["status"].as_u64()),
        (Some(1), Some(500))
    );
    let (code, doc) = run(
        &lab,
        &["connect", "--http2", &format!("http://{d4}:{H2C}/")],
    );
    assert_eq!(code, Some(0), "{doc:#}");
    assert_eq!(first(&doc)["http"]["http_version"], "HTTP/2");
}

/// curl's cumulative `-w` figures for one request, in ms.
fn curl_phases(lab: &Lab, ca: &str, pin: &str, url: &str) -> [f64; 5] {
    let out = lab.run(&mut curl(lab, ca, pin, CURL_W, url));
    assert!(out.status.success(), "curl: {}", stderr(&out));
    let figures: Vec<f64> = stdout(&out)
        .split_whitespace()
        .take(5)
        .map(|s| s.parse::<f64>().unwrap() * 1000.0)
        .collect();
    figures.try_into().unwrap()
}

/// The same request from the same namespace, netlab and curl alternated: each of
/// netlab's phases, summed as curl sums them, is of curl's order. The loose bound (a
/// phase within 10 ms or 3x of curl's median) catches a wrong unit or a phase timed
/// at the wrong edge; the speed comparison itself is a bench (benches/compare).
#[test]
fn phases_agree_with_curl_w_on_the_same_request() {
    let Some((lab, pki, _nginx)) = web_lab() else {
        return;
    };
    let d4 = lab.dest_v4().to_string();
    let ca = pki.ca_file.to_str().unwrap();
    let pin = format!("www.netlab.test:{VALID}:{d4}");
    let url = format!("https://www.netlab.test:{VALID}/");
    let (mut ours, mut theirs): (Vec<[f64; 5]>, Vec<[f64; 5]>) = (Vec::new(), Vec::new());
    for _ in 0..7 {
        theirs.push(curl_phases(&lab, ca, &pin, &url));
        let out = lab.netlab(&[
            "connect",
            "--json",
            "--http1.1",
            "--cacert",
            ca,
            "--resolve",
            &pin,
            &url,
        ]);
        assert!(out.status.success(), "{}", stderr(&out));
        let doc: Value = serde_json::from_slice(&out.stdout).unwrap();
        let p = &doc["requests"][0]["phases"];
        let mut sum = 0.0;
        let mut cumulative = [0.0; 5];
        for (i, key) in [
            "lookup_ms",
            "connect_ms",
            "tls_ms",
            "first_byte_ms",
            "transfer_ms",
        ]
        .iter()
        .enumerate()
        {
            sum += p[key].as_f64().unwrap();
            cumulative[i] = sum;
        }
        ours.push(cumulative);
    }
    let median = |runs: &[[f64; 5]], i: usize| {
        let mut v: Vec<f64> = runs.iter().map(|r| r[i]).collect();
        v.sort_by(|a, b| a.total_cmp(b));
        v[v.len() / 2]
    };
    let names = [
        "namelookup",
        "connect",
        "appconnect",
        "starttransfer",
        "total",
    ];
    for (i, name) in names.iter().enumerate() {
        let (n, c) = (median(&ours, i), median(&theirs, i));
        eprintln!("{name}: netlab {n:.3} ms, curl {c:.3} ms");
        assert!(
            (n - c).abs() <= 10.0_f64.max(2.0 * c),
            "{name}: netlab {n:.3} ms vs curl {c:.3} ms"
        );
    }
}

/// `check https://...` adds two rows to the verdict: the web server answers (status and
/// time to first byte) and the certificate is valid for the name (days left), through
/// the address the resolver gave. The lab's CA is the trust store here (SSL_CERT_FILE,
/// which the system store reader honours, as OpenSSL does).
#[test]
fn check_adds_the_web_server_and_certificate_rows() {
    let Some((lab, pki, _nginx)) = web_lab() else {
        return;
    };
    let check = |url: &str| {
        let out = lab.run(
            lab.netlab_command(&["check", "-4", "--json", url])
                .env("SSL_CERT_FILE", &pki.ca_file),
        );
        let doc: Value = serde_json::from_slice(&out.stdout)
            .unwrap_or_else(|e| panic!("{e}: {}{}", stdout(&out), stderr(&out)));
        let table = lab.run(
            lab.netlab_command(&["check", "-4", url])
                .env("SSL_CERT_FILE", &pki.ca_file),
        );
        eprintln!(
            "$ netlab check -4 {url}\n{}(exit {:?})",
            stdout(&table),
            table.status.code()
        );
        (out.status.code(), doc)
    };
    let row = |doc: &Value, name: &str| -> Value {
        doc["checks"]
            .as_array()
            .unwrap()
            .iter()
            .find(|c| c["name"] == name)
            .cloned()
            .unwrap_or_else(|| panic!("no {name} row in {doc:#}"))
    };

    let (code, doc) = check(&format!("https://www.netlab.test:{VALID}/"));
    assert_eq!(code, Some(0), "{doc:#}");
    assert_eq!(
        doc["address"],
        lab.dest_v4().to_string(),
        "the resolver's address"
    );
    let answers = row(&doc, "web_server_answers");
    assert_eq!(answers["status"], "pass");
    let why = answers["explanation"].as_str().unwrap();
    assert!(why.starts_with("HTTP/2 200 OK, first byte "), "{why}");
    let cert = row(&doc, "certificate_valid_for_name");
    assert_eq!(cert["status"], "pass");
    let why = cert["explanation"].as_str().unwrap();
    assert!(
        // The lab's certificate is made for 90 days when the lab starts: 90 whole days
        // left when it is checked within the second, fewer as the run goes on.
        (88..=90).any(|d| why.contains(&format!("valid for www.netlab.test, {d} days left"))),
        "{why}"
    );

    // An expired certificate fails its row (exit 1); the server still answers.
    let (code, doc) = check(&format!("https://www.netlab.test:{EXPIRED}/"));
    assert_eq!(code, Some(1), "{doc:#}");
    assert_eq!(row(&doc, "web_server_answers")["status"], "pass");
    let cert = row(&doc, "certificate_valid_for_name");
    assert_eq!(cert["status"], "fail");
    assert!(
        cert["explanation"].as_str().unwrap().contains("expired"),
        "{cert}"
    );

    // http:// has the server row only; a 500 fails it.
    let (code, doc) = check(&format!("http://www.netlab.test:{PLAIN}/500"));
    assert_eq!(code, Some(1), "{doc:#}");
    assert_eq!(row(&doc, "web_server_answers")["status"], "fail");
    assert!(doc["checks"]
        .as_array()
        .unwrap()
        .iter()
        .all(|c| c["name"] != "certificate_valid_for_name"));
}

/// The exporter in the client namespace checks the lab's nginx by name with the lab's CA
/// as `[probe] ca_file`, as `/probe?module=http` and as a configured `[[target]]`: a
/// probe that verifies (status 200, HTTP/2 by ALPN, the earliest expiry the not-after of
/// the certificate nginx serves) and an expired certificate failing at the step named.
#[test]
fn the_exporter_probes_nginx_by_name_with_the_labs_ca() {
    let Some((lab, pki, nginx)) = web_lab() else {
        return;
    };
    let dir = tempfile::tempdir().unwrap();
    let config = dir.path().join("exporter.toml");
    let valid = format!("https://www.netlab.test:{VALID}/");
    let expired = format!("https://www.netlab.test:{EXPIRED}/");
    std::fs::write(
        &config,
        format!(
            "listen = \"127.0.0.1:0\"\n[probe]\nallow = [\"www.netlab.test\"]\nca_file = \"{}\"\n\
             [[target]]\nhost = \"www.netlab.test\"\nping = false\nhttp = \"{valid}\"\n\
             tls = \"www.netlab.test:{EXPIRED}\"\nweb_interval = \"200ms\"\n",
            pki.ca_file.display()
        ),
    )
    .unwrap();
    let mut cmd = lab.command(Role::Client, NETLAB);
    cmd.args(["exporter", "--config", config.to_str().unwrap()]);
    let (exporter, at) = super::probe::start_command(cmd);
    let port = at.port();
    let value = |body: &str, series: &str| {
        sample(body, series).unwrap_or_else(|| panic!("no {series} in\n{body}"))
    };

    let (status, body) = get(
        &lab,
        port,
        &format!("/probe?module=http&target={valid}"),
        None,
    );
    assert_eq!(status, 200, "{body}");
    assert_eq!(value(&body, "probe_success"), 1.0, "{body}");
    assert_eq!(value(&body, "probe_http_status_code"), 200.0);
    assert_eq!(value(&body, "probe_http_version"), 2.0);
    assert_eq!(value(&body, "probe_http_ssl"), 1.0);
    // The leaf nginx serves ends first (the CA's certificate ends years later).
    let not_after = nginx.not_after("valid");
    assert_eq!(
        value(&body, "probe_ssl_earliest_cert_expiry"),
        not_after as f64,
        "{body}"
    );

    let (status, body) = get(
        &lab,
        port,
        &format!("/probe?module=http&target={expired}&debug=true"),
        None,
    );
    assert_eq!(status, 200, "{body}");
    assert!(body.contains("probe_success 0"), "{body}");
    assert!(
        body.contains("probe_failed_step{step=\"certificate\",kind=\"expired\"} 1"),
        "{body}"
    );
    assert!(body.contains("NOT verified: expired"), "{body}");

    // The configured checks: the valid one succeeds, the expired handshake fails. The
    // name has both families; the address is the resolver's first, one of the two.
    let series = |name: &str, labels: &str| format!("{name}{{{labels}}}");
    let labels = |ip: &str, check: &str, url: &str| {
        format!("host=\"www.netlab.test\",ip=\"{ip}\",check=\"{check}\",url=\"{url}\"")
    };
    let handshake_url = format!("tls://www.netlab.test:{EXPIRED}/");
    let deadline = std::time::Instant::now() + std::time::Duration::from_secs(20);
    let (body, https, handshake) = loop {
        let (status, body) = get(&lab, port, "/metrics", None);
        assert_eq!(status, 200, "{body}");
        let found = [lab.dest_v4().to_string(), lab.dest_v6().to_string()]
            .into_iter()
            .map(|ip| {
                (
                    labels(&ip, "http", &valid),
                    labels(&ip, "tls", &handshake_url),
                )
            })
            .find(|(https, handshake)| {
                sample(&body, &series("netlab_web_check_success", https)).is_some()
                    && sample(&body, &series("netlab_web_check_success", handshake)).is_some()
            });
        if let Some((https, handshake)) = found {
            break (body, https, handshake);
        }
        assert!(std::time::Instant::now() < deadline, "no checks in\n{body}");
        std::thread::sleep(std::time::Duration::from_millis(100));
    };
    assert_eq!(
        value(&body, &series("netlab_web_check_success", &https)),
        1.0
    );
    assert_eq!(
        value(&body, &series("netlab_web_check_http_status_code", &https)),
        200.0
    );
    assert_eq!(
        value(&body, &series("netlab_web_check_success", &handshake)),
        0.0
    );
    assert!(terminate(exporter).success());
}
