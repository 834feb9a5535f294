//! `/probe?module=http` follows redirects as blackbox_exporter does by default (issue
//! 19): a chain of three ends in a 200 (`probe_http_redirects 3`), ten are allowed and
//! an eleventh is one too many, a loop fails at once, and a redirect to a host outside
//! `[probe] allow` fails without a request to that host. On loopback in the lab's
//! client namespace, against a small server of this test.
//!
//! Why a hand-written server: it needs a redirect to a second loopback address that
//! counts the requests it gets (none may come), beside the chains; the lab's nginx
//! (`lab/web_server.rs`) serves the destination's address only.

use std::io::{BufRead, BufReader, Write};
use std::net::TcpListener;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::Arc;

use crate::exporter::{get, sample, spawn, terminate, EXPORTER_PORT};
use crate::lab::{lab, LabConfig, Role};

const PORT: u16 = 8090;

/// The answer to `path`: (status, Location).
fn route(path: &str) -> (u16, Option<String>) {
    let hop = |n: usize| (302, Some(format!("/hop/{n}")));
    match path {
        "/r3" => (302, Some("/r2".into())),
        "/r2" => (301, Some("/r1".into())),
        "/r1" => (307, Some("/".into())),
        "/loop" => (302, Some("/loop".into())),
        "/away" => (302, Some(format!("http://127.0.0.2:{PORT}/"))),
        _ => match path
            .strip_prefix("/hop/")
            .and_then(|n| n.parse::<usize>().ok())
        {
            Some(n) if n < 11 => hop(n + 1),
            _ => (200, None),
        },
    }
}

/// Serves `listener` on a thread, one request per connection, counting requests.
fn serve(listener: TcpListener, count: Arc<AtomicUsize>) {
    std::thread::spawn(move || {
        for stream in listener.incoming().flatten() {
            count.fetch_add(1, Ordering::SeqCst);
            let mut reader = BufReader::new(&stream);
            let mut line = String::new();
            let _ = reader.read_line(&mut line);
            let path = line.split_whitespace().nth(1).unwrap_or("/").to_string();
            loop {
                let mut header = String::new();
                if reader.read_line(&mut header).unwrap_or(0) == 0 || header.trim().is_empty() {
                    break;
                }
            }
            let (status, location) = route(&path);
            let location = location
                .map(|l| format!("Location: {l}\r\n"))
                .unwrap_or_default();
            let _ = (&stream).write_all(
                format!("HTTP/1.1 {status} X\r\n{location}Content-Length: 3\r\nConnection: close\r\n\r\nok\n")
                    .as_bytes(),
            );
        }
    });
}

#[test]
fn module_http_follows_redirects_inside_the_allow_list_and_stops_at_loops() {
    let lab = lab!(LabConfig::default().routers(0));
    let (first, away) = lab.in_ns(Role::Client, || {
        (
            TcpListener::bind(("127.0.0.1", PORT)).expect("bind 127.0.0.1"),
            TcpListener::bind(("127.0.0.2", PORT)).expect("bind 127.0.0.2"),
        )
    });
    let (served, strayed) = (Arc::new(AtomicUsize::new(0)), Arc::new(AtomicUsize::new(0)));
    serve(first, served.clone());
    serve(away, strayed.clone());

    let dir = tempfile::tempdir().expect("tempdir");
    let config = dir.path().join("exporter.toml");
    std::fs::write(
        &config,
        format!("listen = \"127.0.0.1:{EXPORTER_PORT}\"\n[probe]\nallow = [\"127.0.0.1\"]\n"),
    )
    .expect("write config");
    let mut cmd = lab.netlab_command(&["exporter", "--config", config.to_str().unwrap()]);
    cmd.env_remove("RUST_BACKTRACE");
    let mut exporter = spawn(cmd, "netlab exporter");
    exporter.wait_stderr("listening on http://127.0.0.1:9470/");
    let probe = |path: &str| {
        let query = format!("/probe?module=http&target=http://127.0.0.1:{PORT}{path}");
        let (status, body) = get(&lab, EXPORTER_PORT, &query, None);
        assert_eq!(status, 200, "{path}: {body}");
        body
    };
    let failed = |kind: &str| format!("probe_failed_step{{step=\"http\",kind=\"{kind}\"}}");

    for (path, redirects, requests) in [("/r3", 3.0, 4), ("/hop/1", 10.0, 11)] {
        let before = served.load(Ordering::SeqCst);
        let body = probe(path);
        assert_eq!(sample(&body, "probe_success"), Some(1.0), "{path}:\n{body}");
        assert_eq!(
            sample(&body, "probe_http_redirects"),
            Some(redirects),
            "{body}"
        );
        assert_eq!(sample(&body, "probe_http_status_code"), Some(200.0));
        assert_eq!(served.load(Ordering::SeqCst) - before, requests, "{path}");
    }
    for (path, kind, redirects) in [
        ("/hop/0", "too_many_redirects", 10.0),
        ("/loop", "redirect_loop", 0.0),
        ("/away", "redirect_not_allowed", 0.0),
    ] {
        let body = probe(path);
        assert_eq!(sample(&body, "probe_success"), Some(0.0), "{path}:\n{body}");
        assert_eq!(sample(&body, &failed(kind)), Some(1.0), "{path}:\n{body}");
        assert_eq!(
            sample(&body, "probe_http_redirects"),
            Some(redirects),
            "{body}"
        );
    }
    assert_eq!(
        strayed.load(Ordering::SeqCst),
        0,
        "a request left the allow list"
    );
    // The debug log says where the chain went.
    let body = probe("/away&debug=true");
    assert!(
        body.contains("redirect to http://127.0.0.2:8090/: host 127.0.0.2 is not allowed"),
        "{body}"
    );
    assert_eq!(terminate(exporter).code(), Some(0));
}
