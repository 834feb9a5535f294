//! `netlab serve`: every mode over TCP and UDP, IPv4 and IPv6, in the namespace lab (the
//! server on the destination, clients in the client namespace), plus its limits, its
//! shutdown and its errors.

use std::io::{BufRead, BufReader, Read, Write};
use std::net::{IpAddr, Shutdown, SocketAddr, TcpStream, UdpSocket};
use std::sync::{Arc, Barrier};
use std::time::{Duration, Instant};

use serde_json::Value;

use crate::lab::{lab, Lab, LabConfig, Role};
use crate::util;
use crate::util::running::{Running, WAIT};
use crate::util::serve::Server;

/// Splits a table row into its cells: time, peer, in, out, duration, then the end text.
fn cells(row: &str) -> (Vec<&str>, String) {
    let words: Vec<&str> = row.split_whitespace().collect();
    (words[..5].to_vec(), words[5..].join(" "))
}

/// A TCP connection from the client namespace.
fn connect(lab: &Lab, to: SocketAddr) -> TcpStream {
    let stream = lab
        .in_ns(Role::Client, || TcpStream::connect_timeout(&to, WAIT))
        .unwrap_or_else(|e| panic!("connect {to}: {e}"));
    stream.set_read_timeout(Some(WAIT)).unwrap();
    stream
}

/// Reads until the server closes (EOF), within WAIT.
fn read_to_end(stream: &mut TcpStream) -> Vec<u8> {
    let mut got = Vec::new();
    stream.read_to_end(&mut got).expect("read to EOF");
    got
}

/// Reads exactly `n` bytes.
fn read_n(stream: &mut TcpStream, n: usize) -> Vec<u8> {
    let mut got = vec![0u8; n];
    stream.read_exact(&mut got).expect("read answer");
    got
}

fn local(stream: &TcpStream) -> SocketAddr {
    stream.local_addr().unwrap()
}

fn sa(ip: impl Into<IpAddr>, port: u16) -> SocketAddr {
    SocketAddr::new(ip.into(), port)
}

#[test]
fn serve_tcp_modes_answer_like_the_seed_labs_on_v4_and_v6() {
    let lab = lab!(LabConfig::default());
    let (d4, d6) = (lab.dest_v4(), lab.dest_v6());

    // Seed 004: greet every client, close.
    let banner = Server::start(&lab, &["8000", "--banner", "Hello World! This is Bhushan"]);
    let mut b4 = connect(&lab, sa(d4, 8000));
    assert_eq!(read_to_end(&mut b4), b"Hello World! This is Bhushan\n");
    let mut b6 = connect(&lab, sa(d6, 8000));
    assert_eq!(read_to_end(&mut b6), b"Hello World! This is Bhushan\n");

    // Seed 001: read a name, answer "welcome NAME" (on 9990: the lab's own welcome
    // service has 9999). The seed's client sends the name
    // without a newline and waits: it is answered once it is quiet (5 ms), not after
    // the old 1 s wait.
    let reply = Server::start(&lab, &["9990", "--reply", "welcome {line}"]);
    let mut r4 = connect(&lab, sa(d4, 9990));
    let sent = Instant::now();
    r4.write_all(b"Rafatul").unwrap();
    assert_eq!(read_n(&mut r4, 16), b"welcome Rafatul\n");
    let waited = sent.elapsed();
    assert!(
        waited < Duration::from_millis(900),
        "a newline-less message is answered at once, not after {waited:?}"
    );
    let mut r6 = connect(&lab, sa(d6, 9990));
    r6.write_all(b"Shamim\r\nsecond\n").unwrap();
    assert_eq!(read_n(&mut r6, 30), b"welcome Shamim\nwelcome second\n");
    drop((r4, r6));
    let peer_reply = Server::start(
        &lab,
        &["9998", "--reply", "hi {line}, you are {peer} {{ok}}"],
    );
    let mut p = connect(&lab, sa(d4, 9998));
    p.write_all(b"x\n").unwrap();
    p.shutdown(Shutdown::Write).unwrap();
    let expected = format!("hi x, you are {} {{ok}}\n", local(&p));
    assert_eq!(String::from_utf8(read_to_end(&mut p)).unwrap(), expected);

    // Seed 003's exercise: unique words and the total length.
    let words = Server::start(&lab, &["65432", "--words"]);
    let mut w = connect(&lab, sa(d6, 65432));
    w.write_all("Hello, world\nthe cat the hat\nh\u{e9}llo h\u{e9}llo\n".as_bytes())
        .unwrap();
    w.shutdown(Shutdown::Write).unwrap();
    assert_eq!(
        String::from_utf8(read_to_end(&mut w)).unwrap(),
        "unique words: Hello, world | length: 12\n\
         unique words: the cat hat | length: 15\n\
         unique words: h\u{e9}llo | length: 11\n"
    );

    // Seed 003: echo "Hello, world" (no newline) back whole.
    let echo = Server::start(&lab, &["65433"]);
    let mut e4 = connect(&lab, sa(d4, 65433));
    e4.write_all(b"Hello, world").unwrap();
    assert_eq!(read_n(&mut e4, 12), b"Hello, world");
    let mut e6 = connect(&lab, sa(d6, 65433));
    e6.write_all(b"Hello, world").unwrap();
    e6.shutdown(Shutdown::Write).unwrap();
    assert_eq!(read_to_end(&mut e6), b"Hello, world");
    let (e4_addr, e6_addr) = (local(&e4), local(&e6));
    drop(e4);

    // Each connection is a row: the peer as the client sees itself (IPv4 clients of the
    // dual-stack socket as IPv4), the bytes both ways, and how it ended.
    let stopped = echo.stop();
    assert_eq!(stopped.status.code(), Some(0), "{}", stopped.stderr);
    for peer in [e4_addr, e6_addr] {
        let (c, end) = cells(stopped.row_of(peer));
        assert_eq!(
            (c[2], c[3], end.as_str()),
            ("12", "12", "closed by peer"),
            "{peer}"
        );
    }
    assert!(
        stopped
            .stdout
            .lines()
            .next()
            .unwrap()
            .split_whitespace()
            .collect::<Vec<_>>()
            == ["time", "peer", "in", "out", "duration", "end"],
        "{}",
        stopped.stdout
    );
    let totals: Vec<&str> = stopped.stdout.lines().rev().take(2).collect();
    assert_eq!(
        totals[1].split_whitespace().collect::<Vec<_>>(),
        [
            "connections",
            "refused",
            "bytes",
            "in",
            "bytes",
            "out",
            "peak",
            "uptime"
        ]
    );
    assert_eq!(
        &totals[0].split_whitespace().collect::<Vec<_>>()[..5],
        ["2", "0", "24", "24", "2"]
    );

    let stopped = banner.stop();
    let (c, end) = cells(stopped.row_of(local(&b4)));
    assert_eq!((c[2], c[3], end.as_str()), ("0", "29", "banner sent"));
    let (_, end) = cells(stopped.row_of(local(&b6)));
    assert_eq!(end, "banner sent");
    let stopped = words.stop();
    let (c, end) = cells(stopped.row_of(local(&w)));
    assert_eq!(
        (c[3], end.as_str()),
        ("113", "closed by peer"),
        "{}",
        stopped.stdout
    );
    for server in [reply, peer_reply] {
        assert_eq!(server.stop().status.code(), Some(0));
    }
}

/// One datagram out, one back (within WAIT).
fn udp_exchange(lab: &Lab, to: SocketAddr, payload: &[u8]) -> (Vec<u8>, SocketAddr) {
    let any: SocketAddr = if to.is_ipv4() {
        "0.0.0.0:0".parse().unwrap()
    } else {
        "[::]:0".parse().unwrap()
    };
    let socket = lab
        .in_ns(Role::Client, || UdpSocket::bind(any))
        .expect("udp bind");
    socket.set_read_timeout(Some(WAIT)).unwrap();
    socket.send_to(payload, to).expect("send");
    let mut buf = [0u8; 2048];
    let (n, from) = socket.recv_from(&mut buf).expect("udp answer");
    assert_eq!(from, to, "the answer comes from the address asked");
    (buf[..n].to_vec(), socket.local_addr().unwrap())
}

#[test]
fn serve_udp_answers_each_datagram_in_echo_reply_words_and_banner_modes() {
    let lab = lab!(LabConfig::default());
    let (d4, d6) = (lab.dest_v4(), lab.dest_v6());
    let echo = Server::start(&lab, &["7100", "--udp", "--json"]);
    let reply = Server::start(&lab, &["7101", "-u", "--reply", "welcome {line}"]);
    let words = Server::start(&lab, &["7102", "-u", "--words"]);
    let banner = Server::start(&lab, &["7103", "-u", "--banner", "hello from udp"]);
    for dest in [IpAddr::from(d4), IpAddr::from(d6)] {
        assert_eq!(
            udp_exchange(&lab, sa(dest, 7100), b"Hello, world").0,
            b"Hello, world"
        );
        assert_eq!(
            udp_exchange(&lab, sa(dest, 7101), b"Shamim\n").0,
            b"welcome Shamim\n"
        );
        assert_eq!(
            udp_exchange(&lab, sa(dest, 7102), b"a b a c\n").0,
            b"unique words: a b c | length: 7\n"
        );
        assert_eq!(
            udp_exchange(&lab, sa(dest, 7103), b"?").0,
            b"hello from udp\n"
        );
    }
    let (_, bound) = udp_exchange(&lab, sa(d4, 7100), b"last");
    let client = sa(lab.client_v4(), bound.port());
    let stopped = echo.stop();
    assert_eq!(stopped.status.code(), Some(0), "{}", stopped.stderr);
    let doc = stopped.json();
    assert_eq!(doc["protocol"], "udp");
    assert_eq!(doc["mode"], "echo");
    assert_eq!(doc["dual_stack"], true);
    assert_eq!(doc["listen"], "[::]:7100");
    let records = doc["connections"].as_array().unwrap();
    assert_eq!(records.len(), 3);
    let last = &records[2];
    assert_eq!(last["peer"], client.to_string());
    assert_eq!(
        (last["bytes_in"].as_u64(), last["bytes_out"].as_u64()),
        (Some(4), Some(4))
    );
    assert_eq!(last["end"], "answered");
    assert_eq!(last["lines_in"], Value::Null);
    assert_eq!(doc["totals"]["served"], 3);
    assert_eq!(doc["totals"]["bytes_in"], 12 + 12 + 4);
    for server in [reply, words, banner] {
        assert_eq!(server.stop().status.code(), Some(0));
    }
}

#[test]
fn serve_answers_200_concurrent_echo_clients_each_with_its_own_bytes() {
    let lab = lab!(LabConfig::default());
    let server = Server::start(&lab, &["7200", "--json"]);
    let dest = sa(lab.dest_v4(), 7200);
    const CLIENTS: usize = 200;
    // Every client connects and is answered once, then all wait at the barrier, so all
    // 200 connections are open at the same time before any closes.
    let barrier = Arc::new(Barrier::new(CLIENTS));
    let streams: Vec<TcpStream> = (0..CLIENTS).map(|_| connect(&lab, dest)).collect();
    let threads: Vec<_> = streams
        .into_iter()
        .enumerate()
        .map(|(i, mut stream)| {
            let barrier = barrier.clone();
            std::thread::spawn(move || {
                let message = format!("client {i} says hello {}\n", "x".repeat(i));
                stream.write_all(message.as_bytes()).unwrap();
                let back = read_n(&mut stream, message.len());
                barrier.wait();
                stream.shutdown(Shutdown::Write).unwrap();
                let rest = read_to_end(&mut stream);
                (message.into_bytes(), back, rest)
            })
        })
        .collect();
    for (i, thread) in threads.into_iter().enumerate() {
        let (sent, back, rest) = thread.join().expect("client thread");
        assert_eq!(back, sent, "client {i} got someone else's bytes");
        assert!(rest.is_empty(), "client {i}: {rest:?}");
    }
    let stopped = server.stop();
    let doc = stopped.json();
    let totals = &doc["totals"];
    assert_eq!(totals["served"], CLIENTS);
    assert_eq!(totals["refused"], 0);
    assert_eq!(totals["peak_concurrent"], CLIENTS);
    let records = doc["connections"].as_array().unwrap();
    assert_eq!(records.len(), CLIENTS);
    for record in records {
        assert_eq!(record["end"], "closed_by_peer", "{record}");
        assert_eq!(record["bytes_in"], record["bytes_out"], "{record}");
    }
}

#[test]
fn serve_limits_lines_idle_clients_and_connections() {
    let lab = lab!(LabConfig::default());
    let d4 = lab.dest_v4();

    // A port below 1024 without CAP_NET_BIND_SERVICE: one line and the setcap hint.
    let out = lab.netlab_as(crate::lab::NOBODY, &["serve", "80"]);
    util::assert_one_line_error(&out, "privileged port as nobody");
    let err = util::stderr(&out);
    let mut lines = err.lines();
    assert_eq!(
        lines.next(),
        Some("netlab: listening on TCP [::]:80: permission denied")
    );
    assert!(
        lines.next().is_some_and(|hint| hint.starts_with(
            "hint: ports below 1024 need root or CAP_NET_BIND_SERVICE: `sudo setcap cap_net_bind_service+ep /"
        )),
        "{err}"
    );

    // A line longer than --max-line: explained, then closed, never answered.
    let long = Server::start(
        &lab,
        &[
            "7300",
            "--reply",
            "got {line}",
            "--max-line",
            "64",
            "--json",
        ],
    );
    let mut l = connect(&lab, sa(d4, 7300));
    l.write_all(b"short\n").unwrap();
    l.write_all(&[b'x'; 100]).unwrap();
    l.write_all(b"\n").unwrap();
    assert_eq!(
        String::from_utf8(read_to_end(&mut l)).unwrap(),
        "got short\nerror: line longer than 64 bytes; closing\n"
    );
    let doc = long.stop().json();
    let record = &doc["connections"][0];
    assert_eq!(record["end"], "line_too_long");
    assert_eq!(record["detail"], "more than 64 bytes");
    assert_eq!(record["lines_in"], 1);
    assert_eq!(record["bytes_in"], 6 + 101);
    assert_eq!(record["peer"], local(&l).to_string());

    // A client that says nothing is closed after --idle-timeout.
    let idle = Server::start(&lab, &["7301", "--idle-timeout", "300ms"]);
    let mut i = connect(&lab, sa(d4, 7301));
    let began = Instant::now();
    assert_eq!(read_to_end(&mut i), b"");
    let waited = began.elapsed();
    assert!(
        waited >= Duration::from_millis(250) && waited < Duration::from_secs(3),
        "idle close after {waited:?}"
    );
    let stopped = idle.stop();
    let (c, end) = cells(stopped.row_of(local(&i)));
    assert_eq!(
        (c[2], c[3], end.as_str()),
        ("0", "0", "idle timeout (300ms without data)")
    );

    // --max-connections 2: a third client is closed at once; once one leaves, the next
    // is served again.
    let capped = Server::start(&lab, &["7302", "--max-connections", "2", "--json"]);
    let mut first = connect(&lab, sa(d4, 7302));
    let mut second = connect(&lab, sa(d4, 7302));
    for s in [&mut first, &mut second] {
        s.write_all(b"ping\n").unwrap();
        assert_eq!(read_n(s, 5), b"ping\n");
    }
    let mut third = connect(&lab, sa(d4, 7302));
    assert_eq!(
        read_to_end(&mut third),
        b"",
        "refused: closed without a byte"
    );
    first.shutdown(Shutdown::Write).unwrap();
    assert_eq!(read_to_end(&mut first), b"");
    // The slot is freed once the server has logged the first connection's end, which it
    // does after our EOF: a client arriving in between is refused (closed without a
    // byte), so retry until one is served, and count the refusals that raced.
    let deadline = Instant::now() + WAIT;
    let mut raced: u64 = 0;
    let fourth = loop {
        let mut fourth = connect(&lab, sa(d4, 7302));
        let _ = fourth.write_all(b"again\n");
        let mut buf = [0u8; 6];
        match fourth.read_exact(&mut buf) {
            Ok(()) => {
                assert_eq!(&buf, b"again\n", "a freed slot serves the next client");
                break fourth;
            }
            Err(_) => raced += 1,
        }
        assert!(
            Instant::now() < deadline,
            "the freed slot never served a client"
        );
        std::thread::sleep(Duration::from_millis(10));
    };
    drop((second, fourth));
    let doc = capped.stop().json();
    assert_eq!(doc["totals"]["refused"], 1 + raced);
    assert_eq!(doc["totals"]["served"], 3);
    assert_eq!(doc["totals"]["peak_concurrent"], 2);
    let refused: Vec<&Value> = doc["connections"]
        .as_array()
        .unwrap()
        .iter()
        .filter(|r| r["end"] == "refused")
        .collect();
    assert_eq!(refused.len() as u64, 1 + raced);
    assert_eq!(refused[0]["peer"], local(&third).to_string());
    assert_eq!(refused[0]["detail"], "--max-connections 2 reached");
    assert_eq!(
        (
            refused[0]["bytes_in"].as_u64(),
            refused[0]["bytes_out"].as_u64()
        ),
        (Some(0), Some(0))
    );
}

#[test]
fn serve_sigint_lets_open_connections_finish_then_prints_totals_and_exits_0() {
    let lab = lab!(LabConfig::default());
    let d6 = lab.dest_v6();
    let mut server = Server::start(&lab, &["7400", "--json"]);
    let mut finishing = connect(&lab, sa(d6, 7400));
    let mut lingering = connect(&lab, sa(d6, 7400));
    for s in [&mut finishing, &mut lingering] {
        s.write_all(b"before\n").unwrap();
        assert_eq!(read_n(s, 7), b"before\n");
    }
    let signalled = Instant::now();
    server.signal(libc::SIGINT);
    server.wait_stderr("stopping: 2 open connection(s) get 2s to finish");
    // New connections are no longer accepted...
    let refused = lab.in_ns(Role::Client, || {
        TcpStream::connect_timeout(&sa(d6, 7400), WAIT)
    });
    assert_eq!(
        refused.err().map(|e| e.kind()),
        Some(std::io::ErrorKind::ConnectionRefused)
    );
    // ...but an open one is still served during the grace period.
    finishing.write_all(b"after\n").unwrap();
    assert_eq!(read_n(&mut finishing, 6), b"after\n");
    finishing.shutdown(Shutdown::Write).unwrap();
    assert_eq!(read_to_end(&mut finishing), b"");
    // The other stays open: it is closed when the grace period ends.
    assert_eq!(read_to_end(&mut lingering), b"");
    let closed_after = signalled.elapsed();
    assert!(
        closed_after >= Duration::from_millis(1900) && closed_after < Duration::from_secs(5),
        "grace period of 2s, closed after {closed_after:?}"
    );
    let stopped = server.wait();
    assert_eq!(stopped.status.code(), Some(0), "{}", stopped.stderr);
    let doc = stopped.json();
    let records = doc["connections"].as_array().unwrap();
    let by_peer = |s: &TcpStream| {
        records
            .iter()
            .find(|r| r["peer"] == local(s).to_string())
            .unwrap_or_else(|| panic!("no record for {}: {doc}", local(s)))
    };
    assert_eq!(by_peer(&finishing)["end"], "closed_by_peer");
    assert_eq!(by_peer(&finishing)["bytes_out"], 13);
    assert_eq!(by_peer(&lingering)["end"], "server_shutdown");
    assert_eq!(doc["totals"]["served"], 2);
    assert_eq!(doc["totals"]["bytes_in"], 20);
}

#[test]
fn serve_chat_prints_the_client_and_sends_stdin_until_bye_from_either_side() {
    let lab = lab!(LabConfig::default());
    let mut server = Server::start(&lab, &["8080", "--chat"]);
    // Seed 002's conversation, the client ending it.
    let mut c = connect(&lab, sa(lab.dest_v4(), 8080));
    let mut reader = BufReader::new(c.try_clone().unwrap());
    c.write_all(b"This is from Client\n").unwrap();
    assert_eq!(server.next_stdout(), "This is from Client");
    server.type_line("Hellow");
    let mut line = String::new();
    reader.read_line(&mut line).unwrap();
    assert_eq!(line, "Hellow\n");
    c.write_all(b"I am client \x1b[31m\n").unwrap();
    assert_eq!(
        server.next_stdout(),
        "I am client \\x1b[31m",
        "controls are escaped"
    );
    c.write_all(b"bye\n").unwrap();
    assert_eq!(server.next_stdout(), "bye");
    line.clear();
    assert_eq!(
        reader.read_line(&mut line).unwrap(),
        0,
        "closed after bye: {line:?}"
    );
    let row = server.next_stdout();
    assert!(row.starts_with(" time"), "header: {row}");
    let row = server.next_stdout();
    let (c1, end) = cells(&row);
    assert_eq!(
        (c1[1], end.as_str()),
        (local(&c).to_string().as_str(), "bye from peer")
    );

    // The next client; this time the server says bye (over IPv6).
    let mut c = connect(&lab, sa(lab.dest_v6(), 8080));
    let mut reader = BufReader::new(c.try_clone().unwrap());
    c.write_all(b"hello again\n").unwrap();
    assert_eq!(server.next_stdout(), "hello again");
    server.type_line("bye");
    let mut all = String::new();
    reader.read_to_string(&mut all).unwrap();
    assert_eq!(all, "bye\n");
    let row = server.next_stdout();
    let (c2, end) = cells(&row);
    assert_eq!(
        (c2[1], c2[3], end.as_str()),
        (local(&c).to_string().as_str(), "4", "bye from server")
    );
    let stopped = server.stop();
    assert_eq!(stopped.status.code(), Some(0));
    assert!(stopped.stdout.contains("connections"), "{}", stopped.stdout);
}

#[test]
fn serve_refuses_what_it_cannot_do_with_one_line_and_exit_2() {
    // The port is taken (loopback, no lab needed).
    let taken = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
    let port = taken.local_addr().unwrap().port();
    let addr = format!("127.0.0.1:{port}");
    let out = util::netlab(&["serve", &addr]);
    util::assert_one_line_error(&out, "port in use");
    assert_eq!(
        util::stderr(&out),
        format!(
            "netlab: listening on TCP {addr}: address already in use\n\
             hint: another program is listening there: see `ss -tlnp 'sport = :{port}'`, or pick another port\n"
        )
    );
    for (args, expected) in [
        (
            vec!["serve", "7000", "--chat", "--udp"],
            "netlab: --chat: a chat is a conversation on one connection, and UDP has none",
        ),
        (
            vec!["serve", "7000", "--chat", "--json"],
            "netlab: --chat: the conversation is printed on stdout, so it cannot be one JSON document",
        ),
        (
            vec!["serve", "7000", "--reply", "hi {name}"],
            "netlab: --reply: unknown placeholder {name} (use {line} or {peer}; {{ and }} for literal braces)",
        ),
        (
            vec!["serve", "7000", "--banner", "bad \\q"],
            "netlab: --banner: unknown escape '\\q' (use \\n, \\r, \\t, \\\\ or \\xNN)",
        ),
        (
            vec!["serve", "70000"],
            "netlab: listen address '70000': port out of range (0-65535)",
        ),
        (
            vec!["serve", "127.0.0.1"],
            "netlab: listen address '127.0.0.1': a port is needed",
        ),
        (
            vec!["serve", "7000", "-u", "--max-connections", "3"],
            "netlab: --max-connections: UDP has no connections to limit",
        ),
        (
            vec!["serve", "7000", "--idle-timeout", "0"],
            "netlab: --idle-timeout: must be longer than 0",
        ),
        (
            vec!["serve", "7000", "--words", "--echo"],
            "netlab: command line: the argument '--words' cannot be used with '--echo'",
        ),
        (
            vec!["serve", "192.0.2.1:7000"],
            "netlab: listening on TCP 192.0.2.1:7000: no interface of this machine has that address",
        ),
    ] {
        let out = util::netlab(&args);
        util::assert_one_line_error(&out, &format!("{args:?}"));
        let err = util::stderr(&out);
        assert_eq!(err.lines().next(), Some(expected), "{args:?}");
    }
}

#[test]
fn serve_port_zero_reports_the_port_it_took_on_loopback() {
    let server = Server::start_here(&["127.0.0.1:0", "--reply", "[{line}]"]);
    let line = server.err_lines.last().unwrap().clone();
    let addr = server.listening_addr();
    assert!(
        line.ends_with("(TCP over IPv4), reply mode; Ctrl-C stops"),
        "{line}"
    );
    let mut c = TcpStream::connect(addr).unwrap();
    c.write_all(b"x\n").unwrap();
    c.shutdown(Shutdown::Write).unwrap();
    let mut got = String::new();
    c.read_to_string(&mut got).unwrap();
    assert_eq!(got, "[x]\n");
    server.signal(libc::SIGTERM);
    let stopped = server.wait();
    assert_eq!(stopped.status.code(), Some(0));
}

/// `netlab connect --interactive` in the client namespace, its pipes in the test's hands.
fn talker(lab: &Lab, args: &[&str]) -> Running {
    let cmd = lab.netlab_command(&[&["connect", "--interactive"][..], args].concat());
    Running::spawn("netlab connect --interactive", cmd)
}

#[test]
fn connect_interactive_chats_with_serve_chat_until_bye_from_either_side() {
    let lab = lab!(LabConfig::default());
    let mut server = Server::start(&lab, &["8081", "--chat"]);

    // Seed 002 over IPv4, the client saying bye.
    let mut client = talker(&lab, &[&format!("{}:8081", lab.dest_v4())]);
    client.type_line("This is from Client");
    assert_eq!(server.next_stdout(), "This is from Client");
    server.type_line("Hellow");
    assert_eq!(client.next_stdout(), "Hellow");
    client.type_line("I am client");
    assert_eq!(server.next_stdout(), "I am client");
    server.type_line("Nice to hear");
    assert_eq!(client.next_stdout(), "Nice to hear");
    client.type_line("bye");
    assert_eq!(server.next_stdout(), "bye");
    assert_eq!(client.wait().0.code(), Some(0));
    assert!(server.next_stdout().starts_with(" time"));
    let row = server.next_stdout();
    let (c, end) = cells(&row);
    // In: the three lines the client typed; out: the two the server typed.
    assert_eq!((c[2], c[3], end.as_str()), ("36", "20", "bye from peer"));

    // Over IPv6 by name, the server saying bye.
    let mut client = talker(&lab, &["-6", "www.netlab.test:8081"]);
    client.type_line("hello again");
    assert_eq!(server.next_stdout(), "hello again");
    server.type_line("bye");
    assert_eq!(client.next_stdout(), "bye");
    assert_eq!(client.wait().0.code(), Some(0));
    let row = server.next_stdout();
    let (c, end) = cells(&row);
    assert_eq!(
        c[1].parse::<SocketAddr>().unwrap().ip(),
        IpAddr::from(lab.client_v6())
    );
    assert_eq!((c[2], c[3], end.as_str()), ("12", "4", "bye from server"));
    assert_eq!(server.stop().status.code(), Some(0));

    // Nothing listening: one line, exit 1 (the target did not answer).
    let out = lab.netlab(&["connect", "--interactive", &format!("{}:81", lab.dest_v4())]);
    assert_eq!(out.status.code(), Some(1));
    assert_eq!(
        util::stderr(&out),
        format!("netlab: connect {}:81: connection refused\n", lab.dest_v4())
    );
    assert!(out.stdout.is_empty());
}

#[test]
fn connect_interactive_refuses_flags_that_make_no_sense_with_it() {
    for (args, expected) in [
        (
            vec!["connect", "--interactive", "--udp", "127.0.0.1:9"],
            "netlab: command line: the argument '--interactive' cannot be used with '--udp'",
        ),
        (
            vec!["connect", "--interactive", "127.0.0.1"],
            "netlab: target '127.0.0.1': no port given",
        ),
        (
            vec!["connect", "--interactive", "127.0.0.1", "-p", "1-3"],
            "netlab: --interactive: talks to one port, and -p gives several",
        ),
        (
            vec!["connect", "--interactive", "a:1", "b:2"],
            "netlab: --interactive: talks to one target (HOST:PORT)",
        ),
    ] {
        let out = util::netlab(&args);
        util::assert_one_line_error(&out, &format!("{args:?}"));
        assert_eq!(
            util::stderr(&out).lines().next(),
            Some(expected),
            "{args:?}"
        );
    }
}

/// Prints real output for the README: `cargo test --test it readme_examples_serve --
/// --ignored --nocapture`.
#[test]
#[ignore]
fn readme_examples_serve() {
    let lab = lab!(LabConfig::default());
    let server = Server::start(
        &lab,
        &[
            "65432",
            "--words",
            "--idle-timeout",
            "1s",
            "--max-line",
            "64",
        ],
    );
    let mut w4 = connect(&lab, sa(lab.dest_v4(), 65432));
    w4.write_all(b"Hello, world\nthe cat the hat\n").unwrap();
    w4.shutdown(Shutdown::Write).unwrap();
    println!(
        "client got: {:?}",
        String::from_utf8(read_to_end(&mut w4)).unwrap()
    );
    let mut w6 = connect(&lab, sa(lab.dest_v6(), 65432));
    w6.write_all(&[b'x'; 100]).unwrap();
    println!(
        "client got: {:?}",
        String::from_utf8(read_to_end(&mut w6)).unwrap()
    );
    let mut idle = connect(&lab, sa(lab.dest_v4(), 65432));
    read_to_end(&mut idle);
    let stopped = server.stop();
    println!(
        "$ netlab serve 65432 --words --idle-timeout 1s --max-line 64\n{}\n{}\n(exit {:?})",
        stopped.stderr,
        stopped.stdout,
        stopped.status.code()
    );
    let server = Server::start(&lab, &["7007", "--udp", "--json"]);
    udp_exchange(&lab, sa(lab.dest_v6(), 7007), b"Hello, world");
    let stopped = server.stop();
    println!(
        "$ netlab serve 7 --udp --json\n{}\n{}",
        stopped.stderr, stopped.stdout
    );
}
