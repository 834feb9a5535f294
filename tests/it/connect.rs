//! `netlab connect` end to end: the real binary against servers started by each test on
//! loopback (no root needed). The runs in the namespace lab (open, closed, filtered,
//! ICMP-unreachable ports behind two routers; names from the lab's DNS) are in
//! `connect/in_the_lab.rs`.

use std::io::{BufRead, BufReader, Read, Write};
use std::net::{Ipv6Addr, SocketAddr, TcpListener, TcpStream, UdpSocket};
use std::process::{Command, Output, Stdio};
use std::thread;
use std::time::{Duration, Instant};

use serde_json::Value;

use crate::util::{assert_one_line_error, json, netlab, stderr, stdout, NETLAB};

mod in_the_lab;

/// An object's field names, sorted (serde_json keeps maps sorted).
fn keys_of(value: &Value) -> Vec<String> {
    value
        .as_object()
        .expect("an object")
        .keys()
        .cloned()
        .collect()
}

/// The sorted list of these names, for comparing with [`keys_of`].
fn sorted(names: &[&str]) -> Vec<String> {
    let mut names: Vec<String> = names.iter().map(|n| n.to_string()).collect();
    names.sort();
    names
}

/// The one row of stdout that mentions `needle` (live rows are one line each).
fn row<'a>(text: &'a str, needle: &str) -> &'a str {
    text.lines()
        .find(|line| line.contains(needle))
        .unwrap_or_else(|| panic!("no row with {needle:?} in:\n{text}"))
}

/// The live rows (not table headers or summaries) with this protocol and state.
fn rows_with<'a>(text: &'a str, proto: &str, state: &str) -> Vec<&'a str> {
    text.lines()
        .filter(|line| {
            let words: Vec<&str> = line.split_whitespace().collect();
            words.contains(&proto) && words.contains(&state)
        })
        .collect()
}

/// A port on 127.0.0.1 with nothing listening (bound, then released).
fn closed_port_v4() -> u16 {
    TcpListener::bind("127.0.0.1:0")
        .unwrap()
        .local_addr()
        .unwrap()
        .port()
}

/// Accepts connections forever, handing each to `serve` on its own thread.
fn serve_tcp(listener: TcpListener, serve: fn(TcpStream)) {
    thread::spawn(move || {
        for stream in listener.incoming().flatten() {
            thread::spawn(move || serve(stream));
        }
    });
}

/// The lab's welcome service, on loopback: one read, `welcome NAME\n`, close.
fn welcome(mut stream: TcpStream) {
    let _ = stream.set_read_timeout(Some(Duration::from_secs(2)));
    let mut buf = [0u8; 512];
    let n = stream.read(&mut buf).unwrap_or(0);
    let text = String::from_utf8_lossy(&buf[..n]);
    let name = text.lines().next().unwrap_or("").trim().to_string();
    let _ = stream.write_all(format!("welcome {name}\n").as_bytes());
}

fn echo(mut stream: TcpStream) {
    let _ = stream.set_read_timeout(Some(Duration::from_secs(5)));
    let mut buf = [0u8; 4096];
    while let Ok(n) = stream.read(&mut buf) {
        if n == 0 || stream.write_all(&buf[..n]).is_err() {
            break;
        }
    }
}

fn welcome_server() -> SocketAddr {
    let listener = TcpListener::bind("127.0.0.1:0").unwrap();
    let addr = listener.local_addr().unwrap();
    serve_tcp(listener, welcome);
    addr
}

fn udp_echo_server() -> SocketAddr {
    let socket = UdpSocket::bind("127.0.0.1:0").unwrap();
    let addr = socket.local_addr().unwrap();
    thread::spawn(move || {
        let mut buf = [0u8; 2048];
        while let Ok((n, peer)) = socket.recv_from(&mut buf) {
            let _ = socket.send_to(&buf[..n], peer);
        }
    });
    addr
}

// ----- loopback: states -----

#[test]
fn open_and_closed_ports_each_get_a_row() {
    let listener = TcpListener::bind("127.0.0.1:0").unwrap();
    let open = listener.local_addr().unwrap();
    let closed = closed_port_v4();
    let out = netlab(&["connect", &open.to_string(), &format!("127.0.0.1:{closed}")]);
    let text = stdout(&out);
    assert_eq!(out.status.code(), Some(1), "a closed port: exit 1\n{text}");
    let header = text.lines().next().unwrap();
    for title in [
        "target", "address", "port", "proto", "state", "time ms", "detail",
    ] {
        assert!(header.contains(title), "{header}");
    }
    let open_row = row(&text, &format!(" {} ", open.port()));
    assert!(
        open_row.contains("tcp") && open_row.contains("open"),
        "{open_row}"
    );
    let closed_row = row(&text, &format!(" {closed} "));
    assert!(closed_row.contains("closed"), "{closed_row}");
    // Live rows line up under their header.
    assert_eq!(
        header.find("state"),
        open_row.find("open"),
        "columns align:\n{text}"
    );
    assert!(text.contains("probes"), "summary table:\n{text}");
    assert!(stderr(&out).is_empty(), "{}", stderr(&out));

    let out = netlab(&["connect", &open.to_string()]);
    assert_eq!(out.status.code(), Some(0), "{}", stdout(&out));
}

#[test]
fn ipv6_loopback_with_brackets() {
    if !crate::util::has_ipv6_loopback() {
        crate::lab::skip::skip("no ::1 on this host");
        return;
    }
    let listener = TcpListener::bind("[::1]:0").expect("::1 is configured: bind [::1]:0");
    let port = listener.local_addr().unwrap().port();
    let out = netlab(&["connect", "--json", &format!("[::1]:{port}")]);
    assert_eq!(out.status.code(), Some(0), "{}", stderr(&out));
    let probe = &json(&out)["probes"][0];
    assert_eq!(probe["address"], "::1");
    assert_eq!(probe["state"], "open");
    let out = netlab(&["connect", "-p", &port.to_string(), "::1"]);
    assert_eq!(out.status.code(), Some(0), "{}", stderr(&out));
    let out = netlab(&[
        "connect",
        "-4",
        &format!("[{}]:{port}", Ipv6Addr::LOCALHOST),
    ]);
    assert_one_line_error(&out, "-4 with an IPv6 literal");
}

// ----- loopback: conversations -----

#[test]
fn send_and_expect_against_a_welcome_server() {
    let addr = welcome_server().to_string();
    let out = netlab(&[
        "connect",
        &addr,
        "--send",
        r"alice\n",
        "--expect",
        "welcome alice",
    ]);
    let text = stdout(&out);
    assert_eq!(out.status.code(), Some(0), "{text}{}", stderr(&out));
    let line = row(&text, "welcome");
    assert!(
        line.contains(r#""welcome alice\n""#) && line.contains("expect: matched"),
        "{line}"
    );

    let out = netlab(&[
        "connect",
        &addr,
        "--send",
        "bob",
        "--expect",
        "welcome alice",
    ]);
    assert_eq!(out.status.code(), Some(1), "a mismatch exits 1");
    assert!(
        stdout(&out).contains("expect: NOT matched"),
        "{}",
        stdout(&out)
    );

    let out = netlab(&[
        "connect",
        "--json",
        &addr,
        "--send",
        r"carol\r\n",
        "--expect-regex",
        r"^welcome \w+$",
    ]);
    let probe = &json(&out)["probes"][0];
    // The regex is matched against the raw bytes; `$` does not match before "\n"
    // without (?m), so this is a mismatch: exit 1, reported as such.
    assert_eq!(probe["answer"], r"welcome carol\n");
    assert_eq!(probe["expect_matched"], false);
    assert_eq!(out.status.code(), Some(1));
}

#[test]
fn echo_with_recv_bytes_and_escapes() {
    let listener = TcpListener::bind("127.0.0.1:0").unwrap();
    let addr = listener.local_addr().unwrap().to_string();
    serve_tcp(listener, echo);
    // The echo server never closes: --expect stops reading at the first match, long
    // before the 5 s timeout.
    let started = Instant::now();
    let out = netlab(&[
        "connect",
        "--json",
        "-w",
        "5s",
        &addr,
        "--send",
        r"Hello, world\x00\t\\",
        "--expect",
        "Hello, world",
    ]);
    assert!(started.elapsed() < Duration::from_secs(3), "stopped early");
    assert_eq!(out.status.code(), Some(0), "{}", stderr(&out));
    let probe = &json(&out)["probes"][0];
    assert_eq!(probe["answer"], r"Hello, world\x00\t\\");
    assert_eq!(probe["expect_matched"], true);

    let out = netlab(&[
        "connect",
        "--json",
        &addr,
        "--send",
        "abcdef",
        "--recv-bytes",
        "3",
    ]);
    assert_eq!(json(&out)["probes"][0]["answer"], "abc");
}

/// Issue 19: an answer to `--send` ends 20 ms after the server stops talking, as a
/// greeting does, so `netlab serve --words` (which answers and keeps the connection open)
/// costs no `-w`; a server that stays silent still costs exactly `-w`, no more.
#[test]
fn send_to_a_keep_open_server_ends_when_it_stops_talking() {
    let server = crate::util::serve::Server::start_here(&["127.0.0.1:0", "--words"]);
    let addr = server.listening_addr().to_string();
    let started = Instant::now();
    let out = netlab(&[
        "connect",
        "--json",
        "-w",
        "5s",
        &addr,
        "--send",
        "the cat saw the dog",
    ]);
    let took = started.elapsed();
    assert_eq!(out.status.code(), Some(0), "{}", stderr(&out));
    let probe = &json(&out)["probes"][0];
    assert_eq!(
        probe["answer"], r"unique words: the cat saw dog | length: 19\n",
        "{probe}"
    );
    assert!(
        took < Duration::from_secs(2),
        "the answer ended when the server went quiet, not at -w 5s: {took:?}"
    );
    drop(server);

    // A server that reads and never answers: the probe waits -w, then reports no answer.
    let listener = TcpListener::bind("127.0.0.1:0").unwrap();
    let silent = listener.local_addr().unwrap().to_string();
    serve_tcp(listener, |mut stream| {
        let mut sink = [0u8; 64];
        while matches!(stream.read(&mut sink), Ok(n) if n > 0) {}
    });
    let started = Instant::now();
    let out = netlab(&["connect", "--json", "-w", "300ms", &silent, "--send", "hi"]);
    let took = started.elapsed();
    assert_eq!(out.status.code(), Some(0), "{}", stderr(&out));
    assert_eq!(json(&out)["probes"][0]["answer"], "");
    assert!(
        took >= Duration::from_millis(300) && took < Duration::from_secs(3),
        "silence is bounded by -w: {took:?}"
    );
}

#[test]
fn send_file_is_sent_verbatim() {
    // The server records every byte of the connection: a missing final newline, an
    // added one, or a CRLF turned into LF all show.
    for content in [
        &b"dave\n"[..],
        b"line one\r\nno newline at the end",
        b"\x00\xff\n\n",
    ] {
        let listener = TcpListener::bind("127.0.0.1:0").unwrap();
        let addr = listener.local_addr().unwrap().to_string();
        let (tx, rx) = std::sync::mpsc::channel();
        let len = content.len();
        thread::spawn(move || {
            let (mut stream, _) = listener.accept().unwrap();
            stream
                .set_read_timeout(Some(Duration::from_secs(20)))
                .unwrap();
            let mut got = Vec::new();
            let mut buf = [0u8; 512];
            // Answer once the file's length is in, then keep reading to the end of the
            // connection: whatever else netlab sends is recorded too.
            while got.len() < len {
                match stream.read(&mut buf) {
                    Ok(0) | Err(_) => break,
                    Ok(n) => got.extend_from_slice(&buf[..n]),
                }
            }
            let _ = stream.write_all(b"got it\n");
            let mut rest = Vec::new();
            let _ = stream.read_to_end(&mut rest);
            got.extend_from_slice(&rest);
            let _ = tx.send(got);
        });
        let dir = tempfile::tempdir().unwrap();
        let file = dir.path().join("payload");
        std::fs::write(&file, content).unwrap();
        let out = netlab(&[
            "connect",
            "--json",
            &addr,
            "--send-file",
            file.to_str().unwrap(),
            "--expect",
            "got it",
        ]);
        assert_eq!(out.status.code(), Some(0), "{}", stderr(&out));
        let received = rx
            .recv_timeout(Duration::from_secs(30))
            .expect("the server saw the connection end");
        assert_eq!(
            received,
            content,
            "sent {:?}, server received {:?}",
            String::from_utf8_lossy(content),
            String::from_utf8_lossy(&received)
        );
    }
}

// ----- loopback: repetition and statistics -----

#[test]
fn count_prints_rows_then_statistics() {
    let listener = TcpListener::bind("127.0.0.1:0").unwrap();
    let addr = listener.local_addr().unwrap().to_string();
    let started = Instant::now();
    let out = netlab(&["connect", "-c", "3", "-i", "0.1", &addr]);
    let elapsed = started.elapsed();
    let text = stdout(&out);
    assert_eq!(out.status.code(), Some(0), "{text}{}", stderr(&out));
    assert!(
        elapsed >= Duration::from_millis(200),
        "interval honoured: {elapsed:?}"
    );
    let rows = rows_with(&text, "tcp", "open");
    assert_eq!(rows.len(), 3, "{text}");
    for (i, line) in rows.iter().enumerate() {
        assert!(
            line.trim_start().starts_with(&(i + 1).to_string()),
            "seq: {line}"
        );
    }
    let stats_header = row(&text, "mdev ms");
    for title in [
        "sent", "open", "failed", "loss", "min ms", "avg ms", "max ms",
    ] {
        assert!(stats_header.contains(title), "{stats_header}");
    }
    let stats = text.lines().last().unwrap();
    let fields: Vec<&str> = stats.split_whitespace().collect();
    // target address port proto sent open failed loss min avg max mdev
    assert_eq!(&fields[4..8], &["3", "3", "0", "0%"], "{stats}");

    let out = netlab(&["connect", "--json", "-c", "2", "-i", "0.05", &addr]);
    let doc = json(&out);
    assert_eq!(doc["probes"].as_array().unwrap().len(), 2);
    assert_eq!(doc["probes"][1]["seq"], 2);
    let stats = &doc["statistics"][0];
    assert_eq!(
        keys_of(stats),
        sorted(&[
            "target",
            "address",
            "port",
            "protocol",
            "sent",
            "open",
            "failed",
            "loss_percent",
            "min_ms",
            "avg_ms",
            "max_ms",
            "mdev_ms"
        ])
    );
    assert_eq!(
        (stats["sent"].as_u64(), stats["open"].as_u64()),
        (Some(2), Some(2))
    );
    assert!(stats["min_ms"].as_f64().unwrap() <= stats["max_ms"].as_f64().unwrap());
}

#[test]
fn count_against_a_closed_port_is_all_loss() {
    let closed = closed_port_v4();
    let out = netlab(&[
        "connect",
        "--json",
        "-c",
        "2",
        "-i",
        "0.05",
        &format!("127.0.0.1:{closed}"),
    ]);
    assert_eq!(out.status.code(), Some(1));
    let stats = &json(&out)["statistics"][0];
    assert_eq!(stats["failed"], 2);
    assert_eq!(stats["loss_percent"], 100.0);
    assert!(stats["avg_ms"].is_null());
}

#[test]
fn ctrl_c_prints_the_statistics_so_far() {
    let listener = TcpListener::bind("127.0.0.1:0").unwrap();
    let addr = listener.local_addr().unwrap().to_string();
    let child = Command::new(NETLAB)
        .args(["connect", "--json", "-c", "1000", "-i", "0.05", &addr])
        .env("NO_COLOR", "1")
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap();
    // Ready when the handler is in and three probes have connected (seen by accepting).
    crate::util::wait_for_handler(child.id(), libc::SIGINT);
    listener.set_nonblocking(true).unwrap();
    let deadline = Instant::now() + Duration::from_secs(20);
    let mut accepted = 0;
    while accepted < 3 {
        match listener.accept() {
            Ok(_) => accepted += 1,
            Err(e) if e.kind() == std::io::ErrorKind::WouldBlock => {
                assert!(
                    Instant::now() < deadline,
                    "only {accepted} probes connected"
                );
                thread::sleep(Duration::from_millis(5));
            }
            Err(e) => panic!("accept: {e}"),
        }
    }
    // SAFETY: kill(2) on our own child's pid.
    assert_eq!(unsafe { libc::kill(child.id() as i32, libc::SIGINT) }, 0);
    let out = child.wait_with_output().unwrap();
    assert_eq!(out.status.code(), Some(0), "{}", stderr(&out));
    let doc = json(&out);
    assert_eq!(doc["interrupted"], true);
    let sent = doc["statistics"][0]["sent"].as_u64().unwrap();
    assert!((2..1000).contains(&sent), "sent {sent}");
}

// ----- loopback: UDP -----

#[test]
fn udp_open_closed_and_silent() {
    let echo = udp_echo_server();
    let silent = UdpSocket::bind("127.0.0.1:0").unwrap();
    let silent_port = silent.local_addr().unwrap().port();
    let closed = {
        let s = UdpSocket::bind("127.0.0.1:0").unwrap();
        s.local_addr().unwrap().port()
    };
    let out = netlab(&[
        "connect",
        "--json",
        "-u",
        "-w",
        "300ms",
        "--send",
        "Hello, world",
        "127.0.0.1",
        "-p",
        &format!("{},{closed},{silent_port}", echo.port()),
    ]);
    assert_eq!(out.status.code(), Some(1), "{}", stderr(&out));
    let doc = json(&out);
    let by_port = |port: u16| {
        doc["probes"]
            .as_array()
            .unwrap()
            .iter()
            .find(|p| p["port"] == port)
            .unwrap_or_else(|| panic!("no probe of {port}: {doc}"))
            .clone()
    };
    let open = by_port(echo.port());
    assert_eq!(open["protocol"], "udp");
    assert_eq!(open["state"], "open");
    assert_eq!(open["answer"], "Hello, world");
    let refused = by_port(closed);
    assert_eq!(refused["state"], "closed");
    assert_eq!(
        refused["detail"],
        "port unreachable from 127.0.0.1 (ICMP 3/3)"
    );
    let quiet = by_port(silent_port);
    assert_eq!(quiet["state"], "open_filtered");
    assert!(quiet["time_ms"].is_null());
    drop(silent);

    // Without --send an empty datagram goes out; an echo server answers it with one.
    let out = netlab(&["connect", "-u", &echo.to_string()]);
    assert_eq!(out.status.code(), Some(0), "{}", stdout(&out));
    assert!(row(&stdout(&out), "udp").contains("open"));
}

// ----- loopback: scans -----

/// Binds `count` consecutive ports below the ephemeral range (so nothing else picks them
/// up by chance) and returns the listeners.
fn reserve_block(count: u16) -> Vec<TcpListener> {
    let seed = std::process::id() as u16;
    for attempt in 0..200u16 {
        let base = 20_000 + (seed.wrapping_add(attempt.wrapping_mul(97)) % 12_000);
        let block: Vec<_> = (base..base + count)
            .map_while(|port| TcpListener::bind(("127.0.0.1", port)).ok())
            .collect();
        if block.len() == count as usize {
            return block;
        }
    }
    panic!("no free block of {count} ports");
}

#[test]
fn range_scan_lists_exactly_the_open_ports() {
    let mut block = reserve_block(40);
    let base = block[0].local_addr().unwrap().port();
    // Keep every 7th port open; release the rest, which makes them closed.
    let keep: Vec<u16> = (0..40).filter(|i| i % 7 == 3).map(|i| base + i).collect();
    block.retain(|l| keep.contains(&l.local_addr().unwrap().port()));
    let range = format!("{base}-{}", base + 39);

    let out = netlab(&["connect", "127.0.0.1", "-p", &range]);
    let text = stdout(&out);
    assert_eq!(out.status.code(), Some(0), "{text}{}", stderr(&out));
    for port in &keep {
        assert!(row(&text, &format!(" {port} ")).contains("open"), "{text}");
    }
    let open_rows = rows_with(&text, "tcp", "open").len();
    assert_eq!(open_rows, keep.len(), "only open ports get rows:\n{text}");
    assert!(
        rows_with(&text, "tcp", "closed").is_empty(),
        "closed ports are only counted:\n{text}"
    );

    let out = netlab(&["connect", "--json", "127.0.0.1", "-p", &range]);
    let doc = json(&out);
    let scan = &doc["scans"][0];
    assert_eq!(
        keys_of(scan),
        sorted(&[
            "target",
            "address",
            "protocol",
            "ports",
            "open",
            "closed",
            "filtered",
            "unreachable",
            "open_filtered",
            "detail",
            "elapsed_ms",
            "concurrency",
            "completed"
        ])
    );
    let open: Vec<u64> = scan["open"]
        .as_array()
        .unwrap()
        .iter()
        .map(|p| p.as_u64().unwrap())
        .collect();
    assert_eq!(open, keep.iter().map(|&p| p as u64).collect::<Vec<_>>());
    assert_eq!(scan["ports"], 40);
    assert_eq!(scan["closed"], 40 - keep.len() as u64);
    assert_eq!(scan["filtered"], 0);
    assert_eq!(scan["completed"], true);
    assert_eq!(doc["interrupted"], false);
    drop(block);
}

#[test]
fn a_scan_with_nothing_open_exits_1() {
    let block = reserve_block(10);
    let base = block[0].local_addr().unwrap().port();
    drop(block);
    let out = netlab(&[
        "connect",
        "127.0.0.1",
        "-p",
        &format!("{base}-{}", base + 9),
    ]);
    assert_eq!(out.status.code(), Some(1));
    assert!(
        row(&stdout(&out), "127.0.0.1").contains("none"),
        "{}",
        stdout(&out)
    );
}

// ----- loopback: contract -----

#[test]
fn a_closed_pipe_ends_quietly() {
    let listener = TcpListener::bind("127.0.0.1:0").unwrap();
    let addr = listener.local_addr().unwrap().to_string();
    let mut child = Command::new(NETLAB)
        .args(["connect", "-c", "200", "-i", "0.01", &addr])
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap();
    // Like `| head -1`: read one line, then close the pipe.
    let mut reader = BufReader::new(child.stdout.take().unwrap());
    let mut first = String::new();
    reader.read_line(&mut first).unwrap();
    assert!(first.contains("target"), "{first}");
    drop(reader);
    let out = child.wait_with_output().unwrap();
    assert_eq!(out.status.code(), Some(0));
    assert!(
        out.stderr.is_empty(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
}

#[test]
fn bad_input_exits_2_with_one_line() {
    let cases: &[&[&str]] = &[
        &["connect"],
        &["connect", "127.0.0.1"],
        &["connect", "127.0.0.1:0"],
        &["connect", "127.0.0.1", "-p", "80-70"],
        &["connect", "127.0.0.1", "-p", "0"],
        &["connect", "127.0.0.1:22", "-p", "80"],
        &["connect", "-c", "0", "127.0.0.1:80"],
        &["connect", "-c", "3", "127.0.0.1", "-p", "1-10"],
        &["connect", "-c", "3", "127.0.0.1", "-p", "22,80"],
        &[
            "connect",
            "--expect",
            "a",
            "--expect-regex",
            "b",
            "127.0.0.1:80",
        ],
        &["connect", "--expect-regex", "(unclosed", "127.0.0.1:80"],
        &["connect", "--send", r"\q", "127.0.0.1:80"],
        &["connect", "--send", r"\x4", "127.0.0.1:80"],
        &[
            "connect",
            "--send-file",
            "/nonexistent/payload",
            "127.0.0.1:80",
        ],
        &["connect", "-w", "0", "127.0.0.1:80"],
        &["connect", "127.0.0.1", "-p", "1-10", "--expect", "x"],
        &["connect", "127.0.0.1", "-p", "1-10", "--send", "x"],
        &["connect", "-6", "127.0.0.1:80"],
        &["connect", "fe80::1%netlabnope0", "-p", "22"],
    ];
    for args in cases {
        let out = netlab(args);
        assert_one_line_error(&out, &format!("{args:?}"));
    }
}

/// The scan's progress bar goes to stderr when stderr is a terminal (here a pseudo-terminal
/// from util-linux `script`), and nothing at all reaches stderr when it is not one.
#[test]
fn a_scan_draws_progress_only_on_a_terminal() {
    if !crate::util::has_script() {
        crate::lab::skip::skip("needs util-linux `script` (package bsdutils)");
        return;
    }
    let listener = TcpListener::bind("127.0.0.1:0").unwrap();
    let open = listener.local_addr().unwrap().port();
    let low = open.saturating_sub(2000).max(1);
    let range = format!("{low}-{open}");
    let ports = open - low + 1;

    let command = format!("{NETLAB} connect 127.0.0.1 -p {range}");
    let on_terminal = Command::new("script")
        .args(["-q", "-e", "-c", &command, "/dev/null"])
        .env("NO_COLOR", "1")
        .stdin(Stdio::null())
        .output()
        .unwrap();
    let screen = String::from_utf8_lossy(&on_terminal.stdout);
    assert_eq!(on_terminal.status.code(), Some(0), "{screen}");
    assert!(
        screen.contains(&format!("/{ports} ports")),
        "no progress bar on the terminal: {screen:?}"
    );

    let piped = netlab(&["connect", "127.0.0.1", "-p", &range]);
    assert_eq!(piped.status.code(), Some(0), "{}", stderr(&piped));
    assert_eq!(
        stderr(&piped),
        "",
        "no progress (or anything) on a non-terminal stderr"
    );
    assert!(
        stdout(&piped).contains(&format!(" {open} ")),
        "{}",
        stdout(&piped)
    );
    drop(listener);
}
