//! netlab.exe's long-running modes and its other outputs under Wine, on this host's
//! loopback: the exporter (its pings through the ICMP helper, `/metrics` and `/probe`),
//! `ping` with no count ended by Ctrl-C, and `--plot`, `--format csv` (trace's rounds)
//! and `markdown`, beside Linux netlab's.
//!
//! Ctrl-C: Wine raises a console control event (CTRL_C_EVENT) in a console program for a
//! SIGINT, which is what `net::signal`'s Windows half watches (`SetConsoleCtrlHandler`
//! through tokio), so a SIGINT to the Wine process is a Ctrl-C to netlab.exe.

use std::io::{Read, Write};
use std::net::{TcpListener, TcpStream};
use std::process::Command;
use std::time::{Duration, Instant};

use super::{exe, have_wine_and_exe, one_at_a_time, succeeded, wine_netlab, LIMIT, WINE};
use crate::util::running::Running;

/// A port nothing listens on now (bound, then let go).
fn free_port() -> u16 {
    let listener = TcpListener::bind("127.0.0.1:0").unwrap();
    listener.local_addr().unwrap().port()
}

/// netlab.exe ARGS under Wine, left running.
fn spawn(what: &str, args: &[&str]) -> Running {
    let mut cmd = Command::new(WINE);
    cmd.arg(exe())
        .args(args)
        .env("WINEDEBUG", "-all")
        .env("NO_COLOR", "1");
    Running::spawn(what, cmd).patience(LIMIT)
}

/// `GET path` on 127.0.0.1:port: (status, body).
fn get(port: u16, path: &str) -> (u16, String) {
    let mut s = TcpStream::connect(("127.0.0.1", port)).expect("connect");
    s.set_read_timeout(Some(Duration::from_secs(30))).unwrap();
    write!(
        s,
        "GET {path} HTTP/1.1\r\nHost: 127.0.0.1\r\nConnection: close\r\n\r\n"
    )
    .unwrap();
    let mut text = String::new();
    s.read_to_string(&mut text).expect("read answer");
    let (head, body) = text.split_once("\r\n\r\n").unwrap_or((&text, ""));
    let status = head.split_whitespace().nth(1).and_then(|s| s.parse().ok());
    (
        status.unwrap_or_else(|| panic!("no status in {head:?}")),
        body.to_string(),
    )
}

/// The value of the sample `series` (name and labels exactly as exposed).
fn sample(text: &str, series: &str) -> Option<f64> {
    text.lines()
        .find_map(|l| l.strip_prefix(series)?.strip_prefix(' ')?.parse().ok())
}

#[test]
fn the_windows_build_exports_pings_and_probes_and_stops_on_ctrl_c() {
    let _one = one_at_a_time();
    if !have_wine_and_exe() {
        return;
    }
    let port = free_port();
    let dir = tempfile::tempdir().unwrap();
    let config = dir.path().join("exporter.toml");
    std::fs::write(
        &config,
        format!(
            "listen = \"127.0.0.1:{port}\"\n[ping]\ninterval = \"200ms\"\ntimeout = \"1s\"\n\
             [probe]\nallow = [\"127.0.0.0/8\"]\n[[target]]\nhost = \"127.0.0.1\"\n"
        ),
    )
    .unwrap();
    let mut exporter = spawn(
        "netlab.exe exporter",
        &["exporter", "--config", config.to_str().unwrap()],
    );
    exporter.wait_stderr(&format!("listening on http://127.0.0.1:{port}/"));

    // The configured target's pings, through the ICMP helper.
    let l = "{host=\"127.0.0.1\",ip=\"127.0.0.1\"}";
    let deadline = Instant::now() + LIMIT;
    let metrics = loop {
        let (status, body) = get(port, "/metrics");
        assert_eq!(status, 200, "{body}");
        let replies = sample(
            &body,
            &format!("netlab_ping_response_duration_seconds_count{l}"),
        );
        if replies.unwrap_or(0.0) >= 3.0 {
            break body;
        }
        assert!(Instant::now() < deadline, "no replies yet:\n{body}");
        std::thread::sleep(Duration::from_millis(200));
    };
    assert!(sample(&metrics, &format!("netlab_ping_requests_total{l}")).unwrap() >= 3.0);
    // blackbox_exporter's /probe, module icmp, and a target outside `allow` refused.
    let (status, body) = get(port, "/probe?module=icmp&target=127.0.0.1");
    assert_eq!(status, 200, "{body}");
    assert_eq!(sample(&body, "probe_success"), Some(1.0), "{body}");
    let (status, body) = get(port, "/probe?module=icmp&target=192.0.2.1");
    assert_eq!(status, 403, "{body}");

    exporter.signal(libc::SIGINT);
    let (status, _, err) = exporter.wait();
    assert_eq!(status.code(), Some(0), "{err:?}");
}

#[test]
fn the_windows_build_pings_until_ctrl_c_then_prints_the_statistics() {
    let _one = one_at_a_time();
    if !have_wine_and_exe() {
        return;
    }
    let mut ping = spawn("netlab.exe ping", &["ping", "-i", "0.2", "127.0.0.1"]);
    // Replies print as they come: after the third, Ctrl-C.
    for _ in 0..3 {
        ping.wait_stdout("127.0.0.1 (localhost)");
    }
    ping.signal(libc::SIGINT);
    let (status, out, err) = ping.wait();
    assert_eq!(status.code(), Some(0), "{out:?}\n{err:?}");
    // The statistics' header and the target's row (as on Linux: see tests/it/ping.rs).
    let header = out
        .iter()
        .position(|l| l.trim_start().starts_with("target "));
    let header = header.unwrap_or_else(|| panic!("no statistics: {out:?}\n{err:?}"));
    let row: Vec<&str> = out[header + 1].split_whitespace().collect();
    assert_eq!(row[..2], ["127.0.0.1", "127.0.0.1"], "{out:?}");
    let (sent, received): (u64, u64) = (row[2].parse().unwrap(), row[3].parse().unwrap());
    assert!(received >= 3, "{out:?}");
    // A probe sent just before the Ctrl-C may still be waiting for its reply.
    assert!((received..=received + 1).contains(&sent), "{out:?}");
}

#[test]
fn the_windows_build_draws_plots_and_writes_csv_and_markdown() {
    let _one = one_at_a_time();
    let dir = tempfile::tempdir().unwrap();
    let png = dir.path().join("rtt.png");
    let args = ["ping", "-c", "3", "-i", "0.2", "127.0.0.1", "--plot"];
    let Some(out) = wine_netlab(&[&args[..], &[png.to_str().unwrap()]].concat(), LIMIT) else {
        return;
    };
    succeeded(&out, "ping --plot rtt.png");
    let picture = std::fs::read(&png).expect("the --plot file");
    assert!(picture.starts_with(b"\x89PNG\r\n\x1a\n"), "not a PNG");
    assert!(picture.len() > 1000, "{} bytes", picture.len());

    // CSV is trace's (rounds); markdown every command's.
    let trace = [
        "trace",
        "-c",
        "2",
        "-I",
        "-n",
        "127.0.0.1",
        "--format",
        "csv",
    ];
    let out = wine_netlab(&trace, LIMIT).expect("ran above");
    let csv = succeeded(&out, "trace -c 2 --format csv");
    let linux = crate::util::stdout(&crate::util::netlab(&trace));
    assert_eq!(
        csv.lines().next(),
        linux.lines().next(),
        "the CSV header differs from Linux netlab's:\n{csv}\n{linux}"
    );
    let hop: Vec<&str> = csv.lines().nth(1).expect("a hop row").split(',').collect();
    assert_eq!(hop[..4], ["2", "0", "1", "127.0.0.1"], "{csv}");
    assert_eq!(csv.lines().count(), 2, "{csv}");
    let ping = [
        "ping",
        "-c",
        "2",
        "-i",
        "0.2",
        "127.0.0.1",
        "--format",
        "markdown",
    ];
    let out = wine_netlab(&ping, LIMIT).expect("ran above");
    let markdown = succeeded(&out, "ping --format markdown");
    let linux = crate::util::stdout(&crate::util::netlab(&ping));
    let table_lines = |text: &str| text.lines().filter(|l| l.starts_with('|')).count();
    assert_eq!(
        table_lines(&markdown),
        table_lines(&linux),
        "{markdown}\n{linux}"
    );
    assert!(markdown.contains("127.0.0.1"), "{markdown}");
}
