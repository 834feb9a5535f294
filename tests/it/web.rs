//! `netlab connect` above the socket (issue 19), end to end on loopback: the real binary
//! against HTTP and TLS servers each test starts (no root needed). The servers are small
//! and hostile on purpose: a redirect chain and a loop, a 500, a slow first byte, garbage
//! instead of HTTP, headers that never end, a body that never ends; and TLS with
//! certificates `rcgen` makes for each case (valid under a test CA, expired, not yet
//! valid, for another name, self-signed, TLS 1.2 only).

use std::io::{Read, Write};
use std::net::{SocketAddr, TcpListener};
use std::sync::Arc;
use std::thread;
use std::time::{Duration, Instant};

use rcgen::KeyPair;
use serde_json::Value;

use crate::lab::web_server::{leaf, pki, Pki};
use crate::util::{assert_one_line_error, json, netlab, stderr, stdout};

mod checks;
mod in_the_lab;
mod probe;

// ----- a small HTTP/1.1 server -----

/// Reads a request head (and its Content-Length body): method, path, body.
fn read_request(stream: &mut impl Read) -> Option<(String, String, Vec<u8>)> {
    let mut head = Vec::new();
    let mut byte = [0u8; 1];
    while !head.ends_with(b"\r\n\r\n") {
        if stream.read(&mut byte).ok()? == 0 || head.len() > 65_536 {
            return None;
        }
        head.push(byte[0]);
    }
    let text = String::from_utf8_lossy(&head).into_owned();
    let mut words = text.split_whitespace();
    let method = words.next()?.to_string();
    let path = words.next()?.to_string();
    let length = text
        .lines()
        .find_map(|l| {
            let (name, value) = l.split_once(':')?;
            name.eq_ignore_ascii_case("content-length")
                .then(|| value.trim().parse::<usize>().ok())?
        })
        .unwrap_or(0);
    let mut body = vec![0u8; length];
    stream.read_exact(&mut body).ok()?;
    Some((method, path, body))
}

fn respond(out: &mut impl Write, status: &str, headers: &[(&str, &str)], body: &[u8]) {
    let mut text = format!("HTTP/1.1 {status}\r\nServer: labweb\r\nConnection: close\r\n");
    for (name, value) in headers {
        text.push_str(&format!("{name}: {value}\r\n"));
    }
    text.push_str(&format!("Content-Length: {}\r\n\r\n", body.len()));
    let _ = out.write_all(text.as_bytes());
    let _ = out.write_all(body);
    let _ = out.flush();
}

/// The lab's web site: one behaviour per path.
fn site(stream: &mut (impl Read + Write)) {
    let Some((method, path, body)) = read_request(stream) else {
        return;
    };
    let html = [("Content-Type", "text/html")];
    match path.as_str() {
        "/" => respond(stream, "200 OK", &html, b"hello"),
        "/status/500" => respond(stream, "500 Internal Server Error", &html, b"oops"),
        "/slow" => {
            thread::sleep(Duration::from_millis(300));
            respond(stream, "200 OK", &html, b"late")
        }
        "/loop/a" => respond(stream, "302 Found", &[("Location", "/loop/b")], b""),
        "/loop/b" => respond(stream, "302 Found", &[("Location", "/loop/a")], b""),
        "/post" if method == "POST" && body == b"a=b" => respond(stream, "200 OK", &html, b"ok"),
        "/post" => respond(stream, "400 Bad Request", &html, b"no"),
        "/put" if method == "PUT" => respond(stream, "200 OK", &html, b""),
        "/put" => respond(stream, "405 Method Not Allowed", &html, b""),
        "/garbage" => {
            let _ = stream.write_all(b"SSH-2.0-OpenSSH_9.2 nonsense\r\n\r\n");
        }
        "/endless-headers" => {
            let _ = stream.write_all(b"HTTP/1.1 200 OK\r\n");
            let line = format!("X-Junk: {}\r\n", "a".repeat(1000));
            while stream.write_all(line.as_bytes()).is_ok() {}
        }
        "/endless-body" => {
            let _ = stream
                .write_all(b"HTTP/1.1 200 OK\r\nContent-Type: application/octet-stream\r\n\r\n");
            let chunk = vec![b'x'; 64 * 1024];
            while stream.write_all(&chunk).is_ok() {}
        }
        other => match other
            .strip_prefix("/r/")
            .and_then(|n| n.parse::<u32>().ok())
        {
            Some(0) => respond(stream, "200 OK", &html, b"arrived"),
            Some(n) => respond(
                stream,
                "302 Found",
                &[("Location", &format!("/r/{}", n - 1))],
                b"",
            ),
            None => respond(stream, "404 Not Found", &html, b""),
        },
    }
}

fn http_server() -> SocketAddr {
    let listener = TcpListener::bind("127.0.0.1:0").unwrap();
    let addr = listener.local_addr().unwrap();
    thread::spawn(move || {
        for mut stream in listener.incoming().flatten() {
            thread::spawn(move || site(&mut stream));
        }
    });
    addr
}

// ----- TLS -----

/// A TLS server with this certificate (and the CA's behind it), speaking HTTP/1.1 (ALPN
/// http/1.1) to the same site; `tls12_only` refuses TLS 1.3.
fn tls_server(pki: &Pki, cert: (rcgen::Certificate, KeyPair), tls12_only: bool) -> SocketAddr {
    tls_server_sending(pki, cert, tls12_only, Vec::new())
}

/// `tls_server` whose chain carries `extra` certificates after the CA's.
fn tls_server_sending(
    pki: &Pki,
    cert: (rcgen::Certificate, KeyPair),
    tls12_only: bool,
    extra: Vec<rustls::pki_types::CertificateDer<'static>>,
) -> SocketAddr {
    use rustls::pki_types::{PrivateKeyDer, PrivatePkcs8KeyDer};
    #[allow(deprecated)]
    let provider = Arc::new(rustls::crypto::ring::default_provider());
    let versions: &[&rustls::SupportedProtocolVersion] = if tls12_only {
        &[&rustls::version::TLS12]
    } else {
        &[&rustls::version::TLS13, &rustls::version::TLS12]
    };
    let mut chain = vec![cert.0.der().clone(), pki.ca.der().clone()];
    chain.extend(extra);
    let key = PrivateKeyDer::Pkcs8(PrivatePkcs8KeyDer::from(cert.1.serialize_der()));
    let mut config = rustls::ServerConfig::builder_with_provider(provider)
        .with_protocol_versions(versions)
        .unwrap()
        .with_no_client_auth()
        .with_single_cert(chain, key)
        .unwrap();
    config.alpn_protocols = vec![b"http/1.1".to_vec()];
    let config = Arc::new(config);
    let listener = TcpListener::bind("127.0.0.1:0").unwrap();
    let addr = listener.local_addr().unwrap();
    thread::spawn(move || {
        for tcp in listener.incoming().flatten() {
            let config = config.clone();
            thread::spawn(move || {
                let Ok(conn) = rustls::ServerConnection::new(config) else {
                    return;
                };
                let _ = tcp.set_read_timeout(Some(Duration::from_secs(5)));
                let mut stream = rustls::StreamOwned::new(conn, tcp);
                site(&mut stream);
                stream.conn.send_close_notify();
                let _ = stream.flush();
            });
        }
    });
    addr
}

fn requests(out: &std::process::Output) -> Vec<Value> {
    json(out)["requests"]
        .as_array()
        .cloned()
        .unwrap_or_default()
}

fn code(out: &std::process::Output) -> Option<i32> {
    out.status.code()
}

// ----- HTTP -----

#[test]
fn a_plain_request_shows_phases_status_headers_and_body_size() {
    let addr = http_server();
    let url = format!("http://{addr}/");
    let out = netlab(&["connect", "--json", &url]);
    assert_eq!(code(&out), Some(0), "{}", stderr(&out));
    let r = &requests(&out)[0];
    assert_eq!(r["address"], "127.0.0.1");
    assert_eq!(r["port"], addr.port());
    assert_eq!(r["ok"], true);
    assert_eq!(r["http"]["http_version"], "HTTP/1.1");
    assert_eq!(r["http"]["status"], 200);
    assert_eq!(r["http"]["reason"], "OK");
    assert_eq!(r["http"]["server"], "labweb");
    assert_eq!(r["http"]["content_type"], "text/html");
    assert_eq!(r["http"]["content_length"], "5");
    assert_eq!(r["http"]["body_bytes"], 5);
    assert!(r["tls"].is_null());
    for phase in [
        "lookup_ms",
        "connect_ms",
        "tls_ms",
        "first_byte_ms",
        "transfer_ms",
        "total_ms",
    ] {
        assert!(r["phases"][phase].as_f64().is_some(), "{phase}: {r}");
    }
    let p = &r["phases"];
    let sum: f64 = [
        "lookup_ms",
        "connect_ms",
        "tls_ms",
        "first_byte_ms",
        "transfer_ms",
    ]
    .iter()
    .map(|k| p[k].as_f64().unwrap())
    .sum();
    assert!(sum <= p["total_ms"].as_f64().unwrap() + 0.01, "{p}");

    // The table, markdown and CSV carry the same.
    let out = netlab(&["connect", &url]);
    let text = stdout(&out);
    assert!(text.contains("HTTP/1.1 200 OK"), "{text}");
    assert!(
        text.contains("labweb") && text.contains("5 bytes"),
        "{text}"
    );
    let out = netlab(&["connect", "--format", "markdown", &url]);
    assert!(stdout(&out).contains("| response"), "{}", stdout(&out));
    let out = netlab(&["connect", "--format", "csv", &url]);
    let csv = stdout(&out);
    let lines: Vec<&str> = csv.lines().collect();
    assert_eq!(lines.len(), 2, "{csv}");
    assert!(lines[0].starts_with("target,url,seq,hop,address,ok,lookup_ms"));
    assert!(lines[1].contains(",200,labweb,text/html,5,"), "{csv}");
}

#[test]
fn methods_headers_and_data() {
    let addr = http_server();
    let out = netlab(&[
        "connect",
        "--json",
        "--data",
        "a=b",
        &format!("http://{addr}/post"),
    ]);
    assert_eq!(code(&out), Some(0), "{}", stdout(&out));
    let out = netlab(&[
        "connect",
        "--json",
        "-X",
        "PUT",
        &format!("http://{addr}/put"),
    ]);
    assert_eq!(code(&out), Some(0), "{}", stdout(&out));
    let out = netlab(&["connect", "--json", &format!("http://{addr}/put")]);
    assert_eq!(code(&out), Some(1), "GET is refused with 405: exit 1");
    assert_eq!(requests(&out)[0]["http"]["status"], 405);
    let out = netlab(&[
        "connect",
        "--json",
        "--head",
        "-H",
        "X-Lab: 1",
        &format!("http://{addr}/"),
    ]);
    assert_eq!(code(&out), Some(0));
    assert_eq!(
        requests(&out)[0]["http"]["body_bytes"],
        0,
        "HEAD has no body"
    );
}

#[test]
fn many_targets_ipv6_and_ctrl_c() {
    let addr = http_server();
    let out = netlab(&[
        "connect",
        "--json",
        &format!("http://{addr}/"),
        &format!("http://{addr}/status/500"),
    ]);
    assert_eq!(code(&out), Some(1), "one of two failed");
    let all = requests(&out);
    assert_eq!(all.len(), 2);
    assert_eq!(
        (all[0]["ok"].as_bool(), all[1]["ok"].as_bool()),
        (Some(true), Some(false))
    );
    assert_eq!(json(&out)["statistics"].as_array().unwrap().len(), 2);

    if let Ok(v6) = TcpListener::bind("[::1]:0") {
        let port = v6.local_addr().unwrap().port();
        thread::spawn(move || {
            for mut stream in v6.incoming().flatten() {
                thread::spawn(move || site(&mut stream));
            }
        });
        let out = netlab(&["connect", "--json", &format!("http://[::1]:{port}/")]);
        assert_eq!(code(&out), Some(0), "{}", stderr(&out));
        assert_eq!(requests(&out)[0]["address"], "::1");
    }

    // Ctrl-C ends a long -c run with what was gathered, by the same rule.
    let child = std::process::Command::new(crate::util::NETLAB)
        .args([
            "connect",
            "--json",
            "-c",
            "1000",
            "-i",
            "50ms",
            &format!("http://{addr}/"),
        ])
        .env("NO_COLOR", "1")
        .stdout(std::process::Stdio::piped())
        .stderr(std::process::Stdio::piped())
        .spawn()
        .unwrap();
    crate::util::wait_for_handler(child.id(), libc::SIGINT);
    thread::sleep(Duration::from_millis(400));
    // SAFETY: kill(2) on our own child's pid.
    assert_eq!(unsafe { libc::kill(child.id() as i32, libc::SIGINT) }, 0);
    let out = child.wait_with_output().unwrap();
    assert_eq!(code(&out), Some(0), "{}", stderr(&out));
    let doc = json(&out);
    assert_eq!(doc["interrupted"], true);
    let attempts = doc["statistics"][0]["attempts"].as_u64().unwrap();
    assert!((2..1000).contains(&attempts), "{attempts} attempts");
    assert_eq!(doc["requests"].as_array().unwrap().len() as u64, attempts);
}

#[test]
fn statuses_and_expect_status() {
    let addr = http_server();
    let url = format!("http://{addr}/status/500");
    let out = netlab(&["connect", "--json", &url]);
    assert_eq!(code(&out), Some(1), "a 500 is exit 1");
    let r = &requests(&out)[0];
    assert_eq!(
        (r["http"]["status"].as_u64(), r["ok"].as_bool()),
        (Some(500), Some(false))
    );
    let out = netlab(&["connect", "--json", "--expect-status", "500", &url]);
    assert_eq!(code(&out), Some(0), "the status asked for");
    let out = netlab(&[
        "connect",
        "--json",
        "--expect-status",
        "204",
        &format!("http://{addr}/"),
    ]);
    assert_eq!(code(&out), Some(1), "200 is not the 204 asked for");
}

#[test]
fn redirects_are_followed_hop_by_hop_and_loops_stop() {
    let addr = http_server();
    let out = netlab(&["connect", "--json", "-L", &format!("http://{addr}/r/3")]);
    assert_eq!(code(&out), Some(0), "{}", stdout(&out));
    let hops = requests(&out);
    assert_eq!(hops.len(), 4, "{hops:?}");
    for (i, hop) in hops.iter().enumerate() {
        assert_eq!(hop["hop"], i);
        assert_eq!(hop["url"], format!("http://{addr}/r/{}", 3 - i));
    }
    assert_eq!(hops[0]["http"]["location"], "/r/2");
    assert_eq!(hops[3]["http"]["status"], 200);

    // Without -L the redirect is the answer (below 400).
    let out = netlab(&["connect", "--json", &format!("http://{addr}/r/3")]);
    assert_eq!(code(&out), Some(0));
    assert_eq!(requests(&out).len(), 1);

    let out = netlab(&["connect", "--json", "-L", &format!("http://{addr}/loop/a")]);
    assert_eq!(code(&out), Some(1), "a loop is a failure");
    let hops = requests(&out);
    assert_eq!(hops.len(), 2);
    let error = hops[1]["error"].as_str().unwrap();
    assert!(error.contains("redirect loop"), "{error}");

    let out = netlab(&["connect", "--json", "-L", &format!("http://{addr}/r/11")]);
    assert_eq!(code(&out), Some(1), "more than 10 redirects");
    let hops = requests(&out);
    assert_eq!(hops.len(), 11, "the request and 10 redirects");
    assert!(hops[10]["error"].as_str().unwrap().contains("more than 10"));
}

#[test]
fn a_slow_first_byte_is_timed_and_bounded() {
    let addr = http_server();
    let url = format!("http://{addr}/slow");
    let out = netlab(&["connect", "--json", "-w", "3s", &url]);
    assert_eq!(code(&out), Some(0), "{}", stderr(&out));
    let ttfb = requests(&out)[0]["phases"]["first_byte_ms"]
        .as_f64()
        .unwrap();
    assert!(
        (300.0..2000.0).contains(&ttfb),
        "first byte after {ttfb} ms"
    );

    let started = Instant::now();
    let out = netlab(&["connect", "--json", "-w", "100ms", &url]);
    assert!(started.elapsed() < Duration::from_secs(3));
    assert_eq!(code(&out), Some(1));
    let r = &requests(&out)[0];
    assert!(
        r["error"].as_str().unwrap().contains("no response within"),
        "{r}"
    );
    assert!(r["phases"]["first_byte_ms"].is_null());
}

#[test]
fn hostile_servers_get_one_line_and_exit_1_in_bounded_time() {
    let addr = http_server();
    for (path, why) in [
        ("/garbage", "HTTP"),
        ("/endless-headers", "too large"),
        ("/endless-body", "did not end within"),
    ] {
        let started = Instant::now();
        let out = netlab(&[
            "connect",
            "--json",
            "-w",
            "500ms",
            &format!("http://{addr}{path}"),
        ]);
        let took = started.elapsed();
        assert_eq!(code(&out), Some(1), "{path}: {}", stderr(&out));
        assert!(took < Duration::from_secs(5), "{path}: {took:?}");
        let r = &requests(&out)[0];
        let error = r["error"].as_str().unwrap_or_else(|| panic!("{path}: {r}"));
        assert!(error.contains(why), "{path}: {error}");
        assert!(!error.contains('\n'));
        if path == "/endless-body" {
            assert!(
                r["http"]["body_bytes"].as_u64().unwrap() > 0,
                "counted: {r}"
            );
        }
    }
}

#[test]
fn bad_urls_and_flags_exit_2_with_one_line() {
    for args in [
        &["connect", "http://"][..],
        &["connect", "gopher://x/"][..],
        &["connect", "https://a b/"][..],
        &["connect", "http://127.0.0.1/", "-p", "80"][..],
        &["connect", "127.0.0.1:80", "-L"][..],
        &["connect", "--tls", "127.0.0.1"][..],
        &["connect", "http://127.0.0.1/", "--resolve", "nonsense"][..],
        &[
            "connect",
            "https://127.0.0.1/",
            "--cacert",
            "/nonexistent/ca.pem",
        ][..],
    ] {
        let out = netlab(args);
        assert_one_line_error(&out, &format!("{args:?}"));
        assert_eq!(code(&out), Some(2), "{args:?}");
    }
}

#[test]
fn a_name_that_does_not_resolve_is_a_failed_request() {
    let out = netlab(&["connect", "--json", "http://no-such-host.invalid/"]);
    assert_eq!(code(&out), Some(1), "{}", stderr(&out));
    let r = &requests(&out)[0];
    assert!(r["error"].as_str().unwrap().contains("name lookup"), "{r}");
}

#[test]
fn count_gives_per_phase_statistics_and_a_stacked_plot() {
    let addr = http_server();
    let dir = tempfile::tempdir().unwrap();
    let svg = dir.path().join("phases.svg");
    let out = netlab(&[
        "connect",
        "--json",
        "-c",
        "3",
        "-i",
        "10ms",
        "--plot",
        svg.to_str().unwrap(),
        &format!("http://{addr}/"),
    ]);
    assert_eq!(code(&out), Some(0), "{}", stderr(&out));
    let doc = json(&out);
    assert_eq!(doc["requests"].as_array().unwrap().len(), 3);
    let stats = &doc["statistics"][0];
    assert_eq!(
        (stats["attempts"].as_u64(), stats["answered"].as_u64()),
        (Some(3), Some(3))
    );
    let connect = &stats["phases"]["connect"];
    assert!(connect["min_ms"].as_f64().unwrap() <= connect["max_ms"].as_f64().unwrap());
    assert!(stats["phases"]["tls"]["avg_ms"].as_f64().is_some());
    let picture = std::fs::read_to_string(&svg).unwrap();
    for name in ["lookup", "connect", "first byte", "transfer"] {
        assert!(picture.contains(name), "legend {name}");
    }
    // The table form ends with the statistics.
    let out = netlab(&[
        "connect",
        "-c",
        "2",
        "-i",
        "10ms",
        &format!("http://{addr}/"),
    ]);
    assert!(stdout(&out).contains("2/2 answered"), "{}", stdout(&out));
}

// ----- TLS -----

fn tls_run(args: &[&str]) -> (std::process::Output, Value) {
    let mut full = vec!["connect", "--json"];
    full.extend_from_slice(args);
    let out = netlab(&full);
    let r = requests(&out).first().cloned().unwrap_or(Value::Null);
    (out, r)
}

#[test]
fn a_valid_chain_verifies_with_the_labs_ca() {
    let pki = pki();
    let addr = tls_server(&pki, leaf(&pki, &["www.netlab.test"], -1, 90, false), false);
    let ca = pki.ca_file.to_str().unwrap();
    let resolve = format!("www.netlab.test:{}:127.0.0.1", addr.port());
    let url = format!("https://www.netlab.test:{}/", addr.port());
    let (out, r) = tls_run(&["--cacert", ca, "--resolve", &resolve, &url]);
    assert_eq!(code(&out), Some(0), "{r}");
    let tls = &r["tls"];
    assert_eq!(tls["verified"], true, "{tls}");
    assert_eq!(tls["version"], "TLSv1.3");
    assert_eq!(tls["alpn"], "http/1.1");
    assert!(
        tls["cipher"].as_str().unwrap().starts_with("TLS13_"),
        "{tls}"
    );
    assert_eq!(tls["chain"][0]["subject"], "CN=www.netlab.test");
    assert_eq!(tls["chain"][0]["issuer"], "CN=netlab test CA");
    assert_eq!(tls["chain"][0]["dns_names"][0], "www.netlab.test");
    let days = tls["chain"][0]["days_left"].as_i64().unwrap();
    assert!((88..=90).contains(&days), "{days}");
    assert_eq!(r["http"]["status"], 200);
    assert_eq!(r["address"], "127.0.0.1");
    assert!(r["phases"]["tls_ms"].as_f64().unwrap() > 0.0);

    // The same server by address, with --sni naming the certificate's name.
    let by_ip = format!("https://127.0.0.1:{}/", addr.port());
    let (out, r) = tls_run(&["--cacert", ca, "--sni", "www.netlab.test", &by_ip]);
    assert_eq!(code(&out), Some(0), "{r}");
    // Without --sni the address is not a name of the certificate.
    let (out, r) = tls_run(&["--cacert", ca, &by_ip]);
    assert_eq!(code(&out), Some(1));
    assert_eq!(r["tls"]["reason"], "name_mismatch", "{r}");

    // --tls: the handshake only.
    let (out, r) = tls_run(&[
        "--tls",
        "--cacert",
        ca,
        "--sni",
        "www.netlab.test",
        &format!("127.0.0.1:{}", addr.port()),
    ]);
    assert_eq!(code(&out), Some(0), "{r}");
    assert!(r["http"].is_null() && r["tls"]["verified"] == true, "{r}");
    assert!(r["tls"]["alpn"].is_null(), "--tls offers no ALPN: {r}");

    // Every attempt of -c is a full handshake with the chain shown and verified (no
    // session resumption hides the certificate from the second attempt on).
    let out = netlab(&[
        "connect",
        "--json",
        "-c",
        "3",
        "-i",
        "10ms",
        "--cacert",
        ca,
        "--resolve",
        &resolve,
        &url,
    ]);
    assert_eq!(code(&out), Some(0), "{}", stderr(&out));
    let all = requests(&out);
    assert_eq!(all.len(), 3);
    for r in &all {
        assert_eq!(r["tls"]["verified"], true, "{r}");
        assert_eq!(r["tls"]["chain"][0]["subject"], "CN=www.netlab.test", "{r}");
    }

    // Without the CA, the issuer is unknown.
    let (out, r) = tls_run(&["--resolve", &resolve, &url]);
    assert_eq!(code(&out), Some(1));
    assert_eq!(r["tls"]["reason"], "unknown_issuer", "{r}");
}

#[test]
fn each_broken_chain_is_named_and_k_still_says_so() {
    let pki = pki();
    let ca = pki.ca_file.to_str().unwrap().to_string();
    let cases = [
        ("expired", leaf(&pki, &["www.netlab.test"], -30, -2, false)),
        (
            "not_yet_valid",
            leaf(&pki, &["www.netlab.test"], 2, 30, false),
        ),
        (
            "name_mismatch",
            leaf(&pki, &["other.netlab.test"], -1, 30, false),
        ),
        (
            "self_signed",
            leaf(&pki, &["www.netlab.test"], -1, 30, true),
        ),
    ];
    for (reason, cert) in cases {
        let addr = tls_server(&pki, cert, false);
        let resolve = format!("www.netlab.test:{}:127.0.0.1", addr.port());
        let url = format!("https://www.netlab.test:{}/", addr.port());
        let (out, r) = tls_run(&["--cacert", &ca, "--resolve", &resolve, &url]);
        assert_eq!(code(&out), Some(1), "{reason}: {r}");
        assert_eq!(r["tls"]["verified"], false, "{reason}");
        assert_eq!(r["tls"]["reason"], reason, "{r}");
        assert!(r["http"].is_null(), "{reason}: no request without -k");
        assert!(
            r["error"].as_str().unwrap().contains("no request sent"),
            "{r}"
        );
        assert!(
            !r["tls"]["chain"].as_array().unwrap().is_empty(),
            "the chain is shown"
        );

        let (out, r) = tls_run(&["-k", "--cacert", &ca, "--resolve", &resolve, &url]);
        assert_eq!(code(&out), Some(0), "{reason} with -k: {r}");
        assert_eq!(r["tls"]["verified"], false, "-k still says so");
        assert_eq!(r["tls"]["reason"], reason);
        assert_eq!(r["http"]["status"], 200);
    }
    // The table names the reason in words.
    let addr = tls_server(
        &pki,
        leaf(&pki, &["www.netlab.test"], -30, -2, false),
        false,
    );
    let out = netlab(&[
        "connect",
        "--cacert",
        &ca,
        "--resolve",
        &format!("www.netlab.test:{}:127.0.0.1", addr.port()),
        &format!("https://www.netlab.test:{}/", addr.port()),
    ]);
    let text = stdout(&out);
    assert!(text.contains("NOT verified: expired"), "{text}");
    assert!(
        text.contains("expired 2 days ago") || text.contains("expired 3 days ago"),
        "{text}"
    );
}

#[test]
fn a_tls12_only_server_is_reported_as_such() {
    let pki = pki();
    let addr = tls_server(&pki, leaf(&pki, &["www.netlab.test"], -1, 30, false), true);
    let (out, r) = tls_run(&[
        "--cacert",
        pki.ca_file.to_str().unwrap(),
        "--resolve",
        &format!("www.netlab.test:{}:127.0.0.1", addr.port()),
        &format!("https://www.netlab.test:{}/", addr.port()),
    ]);
    assert_eq!(code(&out), Some(0), "{r}");
    assert_eq!(r["tls"]["version"], "TLSv1.2");
    assert!(
        r["tls"]["cipher"]
            .as_str()
            .unwrap()
            .starts_with("TLS_ECDHE_"),
        "{r}"
    );
}

#[test]
fn a_server_that_speaks_no_tls_fails_the_handshake_in_one_line() {
    let addr = http_server();
    let (out, r) = tls_run(&["-w", "1s", &format!("https://{addr}/garbage")]);
    assert_eq!(code(&out), Some(1), "{r}");
    assert!(
        r["error"].as_str().unwrap().starts_with("TLS handshake"),
        "{r}"
    );
}
