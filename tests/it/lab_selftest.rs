//! Proves the namespace lab with classic tools (iputils ping, dig, getent) and plain std
//! sockets, independently of `netlab` itself: if one of these fails, fix the lab before
//! trusting any network test.

use std::io::{self, Read, Write};
use std::net::{IpAddr, Shutdown, SocketAddr, TcpStream, UdpSocket};
use std::panic::{catch_unwind, AssertUnwindSafe};
use std::process::Output;
use std::time::{Duration, Instant};

use crate::lab::{
    dns, lab, netns, run_bounded, Lab, LabConfig, LabelEntry, Role, RunError, CLOSED_PORT,
    ECHO_PORT, FILTERED_PORT, HTTP_PORT, HTTP_RESPONSE, NOBODY, WELCOME_PORT,
};

fn stdout(out: &Output) -> String {
    String::from_utf8_lossy(&out.stdout).into_owned()
}

/// Runs iputils ping in the client namespace; returns its stdout.
fn ping(lab: &Lab, args: &[&str], target: impl ToString) -> String {
    let target = target.to_string();
    let mut argv = vec!["ping", "-n"];
    argv.extend_from_slice(args);
    argv.push(&target);
    stdout(&lab.exec(Role::Client, &argv))
}

/// The `rtt min/avg/max/mdev` line of a ping summary, in ms.
fn rtt_summary(ping_output: &str) -> [f64; 4] {
    let line = ping_output
        .lines()
        .find(|l| l.starts_with("rtt "))
        .unwrap_or_else(|| panic!("no rtt line in:\n{ping_output}"));
    let numbers = line.split('=').nth(1).expect("rtt values").trim();
    // "30.5/30.6/30.8/0.1 ms", with ", pipe 2" after it when replies overlapped.
    let numbers = numbers.split(" ms").next().expect("rtt values");
    let v: Vec<f64> = numbers
        .split('/')
        .map(|n| n.parse().expect("number"))
        .collect();
    [v[0], v[1], v[2], v[3]]
}

// ----- topology -----

#[test]
fn lab_reaches_dest_over_v4_and_v6_through_two_routers() {
    let lab = lab!(LabConfig::default());
    assert_eq!(lab.dest_v4().to_string(), "198.18.2.2");
    assert_eq!(lab.dest_v6().to_string(), "fd4e:6c61:62:2::2");
    // TTL 62 = 64 minus one per router: the reply really crossed r1 and r2.
    let v4 = ping(&lab, &["-c1", "-W2"], lab.dest_v4());
    assert!(
        v4.contains("64 bytes from 198.18.2.2: icmp_seq=1 ttl=62"),
        "{v4}"
    );
    let v6 = ping(&lab, &["-c1", "-W2"], lab.dest_v6());
    assert!(
        v6.contains("64 bytes from fd4e:6c61:62:2::2: icmp_seq=1 ttl=62"),
        "{v6}"
    );
    // And back: the destination reaches the client (routes exist in both directions).
    let back = stdout(&lab.exec(Role::Dest, &["ping", "-n", "-c1", "-W2", "fd4e:6c61:62::1"]));
    assert!(back.contains("from fd4e:6c61:62::1"), "{back}");
}

#[test]
fn lab_ttl_expiry_comes_from_each_router_in_turn() {
    let lab = lab!(LabConfig::default());
    for (ttl, v4, v6) in [
        ("1", "198.18.0.2", "fd4e:6c61:62::2"),
        ("2", "198.18.1.2", "fd4e:6c61:62:1::2"),
    ] {
        assert_eq!(lab.hop_v4(ttl.parse().unwrap()).to_string(), v4);
        let out = ping(&lab, &["-c1", "-W2", "-t", ttl], lab.dest_v4());
        assert!(
            out.contains(&format!("From {v4} icmp_seq=1 Time to live exceeded")),
            "{out}"
        );
        let out = ping(&lab, &["-c1", "-W2", "-t", ttl], lab.dest_v6());
        assert!(
            out.contains(&format!("From {v6} icmp_seq=1 Time exceeded: Hop limit")),
            "{out}"
        );
    }
    assert_eq!(lab.router_v4(2), lab.hop_v4(2));
    assert_eq!(lab.router_east_v4(1).to_string(), "198.18.1.1");
}

#[test]
fn lab_silent_router_drops_only_its_own_time_exceeded() {
    let lab = lab!(LabConfig::default().silent_router(1));
    for target in [IpAddr::from(lab.dest_v4()), lab.dest_v6().into()] {
        let hop1 = ping(&lab, &["-c1", "-W1", "-t", "1"], target);
        assert!(
            hop1.contains("1 packets transmitted, 0 received, 100% packet loss"),
            "{hop1}"
        );
        assert!(
            !hop1.contains("From "),
            "r1 answered although silent:\n{hop1}"
        );
        // r1 still forwards, and r2 still reports.
        let hop2 = ping(&lab, &["-c1", "-W2", "-t", "2"], target);
        assert!(
            hop2.contains("From 198.18.1.2") || hop2.contains("From fd4e:6c61:62:1::2"),
            "{hop2}"
        );
        let end = ping(&lab, &["-c1", "-W2"], target);
        assert!(end.contains("1 received"), "{end}");
    }
}

#[test]
fn lab_icmp_errors_are_not_rate_limited() {
    let lab = lab!(LabConfig::default());
    let per_ns = lab.exec(
        Role::Router(1),
        &["sysctl", "-n", "net.ipv4.icmp_msgs_per_sec"],
    );
    assert_eq!(stdout(&per_ns).trim(), "1000000");
    // 200 expiring probes in 0.4 s: default limits (1 per second per peer, 1000/s with a
    // burst of 50 per namespace) would answer only a handful.
    for target in [IpAddr::from(lab.dest_v4()), lab.dest_v6().into()] {
        let out = ping(
            &lab,
            &["-q", "-c", "200", "-i", "0.002", "-W", "1", "-t", "1"],
            target,
        );
        assert!(
            out.contains("200 packets transmitted, 0 received, +200 errors"),
            "{out}"
        );
    }
}

#[test]
fn lab_without_routers_links_client_to_dest() {
    let lab = lab!(LabConfig::default().routers(0));
    assert_eq!(lab.dest_v4().to_string(), "198.18.0.2");
    let out = ping(&lab, &["-c1", "-W2"], lab.dest_v4());
    assert!(out.contains("from 198.18.0.2: icmp_seq=1 ttl=64"), "{out}");
    // With no router the destination itself reports the unreachable routes.
    assert_eq!(lab.unreachable_reporter_v4(), lab.dest_v4());
    let out = ping(&lab, &["-c1", "-W2"], lab.unreachable_v4());
    assert!(
        out.contains("From 198.18.0.2 icmp_seq=1 Destination Host Unreachable"),
        "{out}"
    );
    assert_eq!(lab.hosts_override_v4(), lab.client_v4());
}

#[test]
fn lab_unreachable_and_prohibited_addresses_get_icmp_errors_from_the_last_router() {
    let lab = lab!(LabConfig::default());
    assert_eq!(lab.unreachable_reporter_v4().to_string(), "198.18.1.2");
    assert_eq!(
        lab.unreachable_reporter_v6().to_string(),
        "fd4e:6c61:62:1::2"
    );
    let cases: [(IpAddr, &str); 4] = [
        (lab.unreachable_v4().into(), "From 198.18.1.2 icmp_seq=1 Destination Host Unreachable"),
        (lab.prohibited_v4().into(), "From 198.18.1.2 icmp_seq=1 Packet filtered"),
        (
            lab.unreachable_v6().into(),
            "From fd4e:6c61:62:1::2 icmp_seq=1 Destination unreachable: No route",
        ),
        (
            lab.prohibited_v6().into(),
            "From fd4e:6c61:62:1::2 icmp_seq=1 Destination unreachable: Administratively prohibited",
        ),
    ];
    for (target, expected) in cases {
        let out = ping(&lab, &["-c1", "-W2"], target);
        assert!(
            out.contains(expected),
            "{target}: expected {expected:?} in\n{out}"
        );
    }
    // The errors reach sockets too, as the errno each ICMP code maps to.
    let errno = |target: IpAddr| {
        let err = lab
            .in_ns(Role::Client, || {
                TcpStream::connect_timeout(
                    &SocketAddr::new(target, HTTP_PORT),
                    Duration::from_secs(3),
                )
            })
            .expect_err("connect must fail");
        err.raw_os_error()
    };
    assert_eq!(errno(lab.unreachable_v4().into()), Some(libc::EHOSTUNREACH));
    assert_eq!(errno(lab.prohibited_v4().into()), Some(libc::EHOSTUNREACH));
    assert_eq!(errno(lab.unreachable_v6().into()), Some(libc::ENETUNREACH));
    assert_eq!(errno(lab.prohibited_v6().into()), Some(libc::EACCES));
}

#[test]
fn lab_link_delay_adds_two_delays_per_link_to_the_rtt() {
    let delay = Duration::from_millis(5);
    // With SCHED_FIFO forwarders the delay is exact on a loaded machine too; at normal
    // priority a busy machine adds its scheduling latency, so only "never early" holds.
    let realtime = lab!(LabConfig::default().link_delay(delay));
    let lab = lab!(LabConfig::default().link_delay(delay).realtime_links(false));
    // 3 links, 5 ms each way: 30 ms expected.
    for (which, lab) in [("realtime", &realtime), ("normal", &lab)] {
        for target in [IpAddr::from(lab.dest_v4()), lab.dest_v6().into()] {
            let out = ping(lab, &["-c", "5", "-i", "0.1", "-W", "2"], target);
            assert!(out.contains("5 received"), "{out}");
            let [min, avg, max, _] = rtt_summary(&out);
            eprintln!(
                "{which} {target}: rtt min/avg/max {min}/{avg}/{max} ms, 3 links x {delay:?}"
            );
            // The forwarder never releases a packet early, so the fastest of five is at
            // least the 30 ms added; the upper bound (on the fastest) rules out a doubled
            // delay, where the forwarders run the moment a packet is due.
            assert!(
                min >= 29.0,
                "{which}: fastest rtt {min} ms below 29:\n{out}"
            );
            if which == "realtime" {
                assert!(
                    min < 60.0,
                    "{which}: fastest rtt {min} ms (avg {avg}, max {max}) not below 60:\n{out}"
                );
            }
        }
    }
    // Every service works across the TUN links too.
    let reply = tcp_exchange(
        &lab,
        SocketAddr::new(lab.dest_v6().into(), HTTP_PORT),
        b"GET / HTTP/1.0\r\n\r\n",
    );
    assert_eq!(reply.expect("http over delayed links"), HTTP_RESPONSE);
    let answer = dig(&lab, &["www.netlab.test", "AAAA"]);
    assert_eq!(
        answer.answer,
        ["www.netlab.test. 300 IN AAAA fd4e:6c61:62:2::2"]
    );
}

/// The forwarder in front of an MPLS router answers, in that router's name, exactly the
/// packets that expire there, with the RFC 4950 extension tcpdump decodes; every other
/// router and the destination are untouched.
#[test]
fn lab_mpls_router_answers_expiring_packets_with_its_label_stack() {
    use std::io::{BufRead, BufReader};
    use std::process::Stdio;
    let labels = [
        LabelEntry::new(24001, 0, false, 1),
        LabelEntry::new(0xfffff, 5, true, 254),
    ];
    let lab = lab!(LabConfig::default()
        .routers(3)
        .link_delay(Duration::from_millis(2))
        .mpls_router(2, &labels));
    let mut tcpdump = lab
        .command(Role::Client, "tcpdump")
        .args([
            "-i",
            "any",
            "-Q",
            "in",
            "-nn",
            "-l",
            "-vv",
            "--immediate-mode",
        ])
        .args(["-c", "2"])
        .arg(format!(
            "(icmp and src host {}) or (icmp6 and src host {})",
            lab.hop_v4(2),
            lab.hop_v6(2)
        ))
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .expect("tcpdump runs");
    // Probes go out only once tcpdump captures.
    for line in BufReader::new(tcpdump.stderr.take().unwrap()).lines() {
        if line.expect("tcpdump stderr").contains("listening on") {
            break;
        }
    }
    for (ttl, v4, v6) in [
        (1, lab.hop_v4(1), lab.hop_v6(1)),
        (2, lab.hop_v4(2), lab.hop_v6(2)),
        (3, lab.hop_v4(3), lab.hop_v6(3)),
    ] {
        let ttl = ttl.to_string();
        let out = ping(&lab, &["-c1", "-W2", "-t", &ttl], lab.dest_v4());
        assert!(
            out.contains(&format!("From {v4} icmp_seq=1 Time to live exceeded")),
            "ttl {ttl}: {out}"
        );
        let out = ping(&lab, &["-c1", "-W2", "-t", &ttl], lab.dest_v6());
        assert!(
            out.contains(&format!("From {v6} icmp_seq=1 Time exceeded: Hop limit")),
            "hop limit {ttl}: {out}"
        );
    }
    // Router 2 itself still answers, and forwards everything else.
    let out = ping(&lab, &["-c1", "-W2", "-t", "2"], lab.hop_v4(2));
    assert!(out.contains("1 received"), "{out}");
    let out = ping(&lab, &["-c1", "-W2"], lab.dest_v6());
    assert!(out.contains("1 received"), "{out}");
    let mut pipe = tcpdump.stdout.take().unwrap();
    let reader = std::thread::spawn(move || {
        let mut text = String::new();
        let _ = pipe.read_to_string(&mut text);
        text
    });
    // `-c 2` ends tcpdump after router 2's two answers; a bound in case they never came.
    let deadline = Instant::now() + Duration::from_secs(10);
    let mut exited = false;
    while !exited && Instant::now() < deadline {
        exited = tcpdump.try_wait().expect("tcpdump status").is_some();
        std::thread::sleep(Duration::from_millis(10));
    }
    if !exited {
        // `ip netns exec` execs tcpdump: the child's pid is tcpdump's.
        // SAFETY: kill on the pid of a child we spawned and have not reaped.
        unsafe { libc::kill(tcpdump.id() as libc::pid_t, libc::SIGTERM) };
    }
    let _ = tcpdump.wait();
    let captured = reader.join().expect("tcpdump reader");
    // tcpdump's own decoding is the oracle: the v4 message is 8 + 128 + 16 bytes, its
    // extension checksum is right, and tcpdump prints the outermost entry of the object;
    // the v6 message has the same length and a correct pseudo-header checksum.
    for expected in [
        format!(
            "{} > {}: ICMP time exceeded in-transit, length 152",
            lab.hop_v4(2),
            lab.client_v4()
        ),
        "ICMP Multi-Part extension v2, checksum".into(),
        "(correct), length 16".into(),
        "MPLS Stack Entry Object (1), Class-Type: 1, length 12".into(),
        "label 24001, tc 0, ttl 1".into(),
        "payload length: 152".into(),
        format!(
            "{} > {}: [icmp6 sum ok] ICMP6, time exceeded in-transit",
            lab.hop_v6(2),
            lab.client_v6()
        ),
    ] {
        assert!(
            captured.contains(&expected),
            "no {expected:?} in:\n{captured}"
        );
    }
}

// ----- services -----

/// Connects from the client namespace, sends `request`, half-closes, reads to the end.
fn tcp_exchange(lab: &Lab, to: SocketAddr, request: &[u8]) -> io::Result<Vec<u8>> {
    let mut stream = lab.in_ns(Role::Client, || {
        TcpStream::connect_timeout(&to, Duration::from_secs(3))
    })?;
    stream.set_read_timeout(Some(Duration::from_secs(5)))?;
    stream.write_all(request)?;
    stream.shutdown(Shutdown::Write)?;
    let mut reply = Vec::new();
    stream.read_to_end(&mut reply)?;
    Ok(reply)
}

/// Sends one datagram from the client namespace and waits `wait` for one back.
fn udp_exchange(lab: &Lab, to: SocketAddr, payload: &[u8], wait: Duration) -> io::Result<Vec<u8>> {
    let any: SocketAddr = if to.is_ipv4() { "0.0.0.0:0" } else { "[::]:0" }
        .parse()
        .unwrap();
    let socket = lab.in_ns(Role::Client, || UdpSocket::bind(any))?;
    socket.connect(to)?;
    socket.set_read_timeout(Some(wait))?;
    socket.send(payload)?;
    let mut buf = [0u8; 2048];
    let n = socket.recv(&mut buf)?;
    Ok(buf[..n].to_vec())
}

#[test]
fn lab_dest_services_answer_as_specified_on_v4_and_v6() {
    let lab = lab!(LabConfig::default());
    for ip in [IpAddr::from(lab.dest_v4()), lab.dest_v6().into()] {
        let at = |port| SocketAddr::new(ip, port);

        let http =
            tcp_exchange(&lab, at(HTTP_PORT), b"GET / HTTP/1.0\r\nHost: www\r\n\r\n").unwrap();
        assert_eq!(http, b"HTTP/1.0 200 OK\r\nContent-Length: 6\r\n\r\nnetlab");

        let echo = tcp_exchange(&lab, at(ECHO_PORT), b"hello echo").unwrap();
        assert_eq!(echo, b"hello echo");
        let echo = udp_exchange(&lab, at(ECHO_PORT), b"hello udp", Duration::from_secs(2)).unwrap();
        assert_eq!(echo, b"hello udp");

        let welcome = tcp_exchange(&lab, at(WELCOME_PORT), b"Rafatul\n").unwrap();
        assert_eq!(welcome, b"welcome Rafatul\n");

        let closed = tcp_exchange(&lab, at(CLOSED_PORT), b"x").unwrap_err();
        assert_eq!(
            closed.kind(),
            io::ErrorKind::ConnectionRefused,
            "{ip}: {closed}"
        );
        let closed = udp_exchange(&lab, at(CLOSED_PORT), b"x", Duration::from_secs(2)).unwrap_err();
        assert_eq!(
            closed.kind(),
            io::ErrorKind::ConnectionRefused,
            "{ip}: {closed}"
        );

        let started = Instant::now();
        let filtered = lab
            .in_ns(Role::Client, || {
                TcpStream::connect_timeout(&at(FILTERED_PORT), Duration::from_secs(1))
            })
            .unwrap_err();
        let waited = started.elapsed();
        assert_eq!(filtered.kind(), io::ErrorKind::TimedOut, "{ip}: {filtered}");
        assert!(
            waited >= Duration::from_millis(900) && waited < Duration::from_secs(2),
            "{waited:?}"
        );
        let filtered =
            udp_exchange(&lab, at(FILTERED_PORT), b"x", Duration::from_secs(1)).unwrap_err();
        assert!(
            matches!(
                filtered.kind(),
                io::ErrorKind::WouldBlock | io::ErrorKind::TimedOut
            ),
            "{ip}: {filtered}"
        );
    }
}

#[test]
fn lab_services_answer_on_every_dest_address() {
    let lab = lab!(LabConfig::default());
    for ip in lab.multi_v4() {
        let reply = tcp_exchange(
            &lab,
            SocketAddr::new(ip.into(), HTTP_PORT),
            b"GET / HTTP/1.0\r\n\r\n",
        );
        assert_eq!(reply.unwrap(), HTTP_RESPONSE, "{ip}");
    }
}

// ----- DNS -----

/// The parts of a dig answer the tests assert on; record lines are whitespace-normalised
/// (`www.netlab.test. 300 IN A 198.18.2.2`).
#[derive(Debug)]
struct Dig {
    status: String,
    flags: Vec<String>,
    answer: Vec<String>,
    authority: Vec<String>,
    additional: Vec<String>,
}

/// `dig @<lab dns> ARGS` from the client namespace (one try, 2 s).
fn dig(lab: &Lab, args: &[&str]) -> Dig {
    let server = format!("@{}", lab.dns_v4());
    dig_at(lab, &server, args)
}

fn dig_at(lab: &Lab, server: &str, args: &[&str]) -> Dig {
    let mut argv = vec!["dig", server, "+time=2", "+tries=1"];
    argv.extend_from_slice(args);
    let out = lab.exec(Role::Client, &argv);
    let text = stdout(&out);
    assert!(out.status.success(), "{argv:?}: {out:?}");
    parse_dig(&text)
}

fn parse_dig(text: &str) -> Dig {
    let mut dig = Dig {
        status: String::new(),
        flags: Vec::new(),
        answer: Vec::new(),
        authority: Vec::new(),
        additional: Vec::new(),
    };
    let mut section: Option<&mut Vec<String>> = None;
    for line in text.lines() {
        if let Some(rest) = line.split("status: ").nth(1) {
            dig.status = rest.split(',').next().unwrap_or("").to_string();
        } else if let Some(rest) = line.strip_prefix(";; flags: ") {
            let flags = rest.split(';').next().unwrap_or("");
            dig.flags = flags.split_whitespace().map(String::from).collect();
        }
        section = match line {
            ";; ANSWER SECTION:" => Some(&mut dig.answer),
            ";; AUTHORITY SECTION:" => Some(&mut dig.authority),
            ";; ADDITIONAL SECTION:" => Some(&mut dig.additional),
            "" => None,
            _ => {
                if let Some(lines) = section {
                    if !line.starts_with(';') {
                        lines.push(line.split_whitespace().collect::<Vec<_>>().join(" "));
                    }
                    Some(lines)
                } else {
                    None
                }
            }
        };
    }
    dig
}

#[test]
fn lab_dns_serves_the_forward_zone() {
    let lab = lab!(LabConfig::default());
    let (d4, d6) = (lab.dest_v4(), lab.dest_v6());
    let cases: Vec<(&[&str], Vec<String>)> = vec![
        (&["www.netlab.test", "A"], vec![format!("www.netlab.test. 300 IN A {d4}")]),
        (&["www.netlab.test", "AAAA"], vec![format!("www.netlab.test. 300 IN AAAA {d6}")]),
        (
            &["alias.netlab.test", "A"],
            vec![
                "alias.netlab.test. 300 IN CNAME alias2.netlab.test.".into(),
                "alias2.netlab.test. 300 IN CNAME www.netlab.test.".into(),
                format!("www.netlab.test. 300 IN A {d4}"),
            ],
        ),
        (
            &["multi.netlab.test", "A"],
            vec![
                "multi.netlab.test. 300 IN A 198.18.100.1".into(),
                "multi.netlab.test. 300 IN A 198.18.100.2".into(),
                "multi.netlab.test. 300 IN A 198.18.100.3".into(),
            ],
        ),
        (&["netlab.test", "MX"], vec!["netlab.test. 300 IN MX 10 mail.netlab.test.".into()]),
        (&["mail.netlab.test", "A"], vec![format!("mail.netlab.test. 300 IN A {d4}")]),
        (&["netlab.test", "TXT"], vec!["netlab.test. 300 IN TXT \"v=netlab lab\"".into()]),
        (&["netlab.test", "NS"], vec!["netlab.test. 300 IN NS ns1.netlab.test.".into()]),
        (
            &["netlab.test", "SOA"],
            vec!["netlab.test. 300 IN SOA ns1.netlab.test. hostmaster.netlab.test. 1 3600 600 86400 60".into()],
        ),
        (
            &["_echo._tcp.netlab.test", "SRV"],
            vec!["_echo._tcp.netlab.test. 300 IN SRV 0 0 7 www.netlab.test.".into()],
        ),
        (&["netlab.test", "CAA"], vec!["netlab.test. 300 IN CAA 0 issue \"netlab.test\"".into()]),
        (&["v4only.netlab.test", "A"], vec![format!("v4only.netlab.test. 300 IN A {d4}")]),
        (&["v6only.netlab.test", "AAAA"], vec![format!("v6only.netlab.test. 300 IN AAAA {d6}")]),
        (&["override.netlab.test", "A"], vec![format!("override.netlab.test. 300 IN A {d4}")]),
        (
            &["r1.netlab.test", "A"],
            vec!["r1.netlab.test. 300 IN A 198.18.0.2".into(), "r1.netlab.test. 300 IN A 198.18.1.1".into()],
        ),
    ];
    for (args, expected) in cases {
        let got = dig(&lab, args);
        assert_eq!(got.status, "NOERROR", "{args:?}: {got:?}");
        assert!(
            got.flags.contains(&"aa".to_string()),
            "{args:?} not authoritative: {got:?}"
        );
        assert_eq!(got.answer, expected, "{args:?}: {got:?}");
    }
    assert_eq!(dns::TTL, 300);
}

#[test]
fn lab_dns_serves_reverse_zones_with_one_name_per_node() {
    let lab = lab!(LabConfig::default());
    let cases = [
        ("198.18.0.1", "1.0.18.198.in-addr.arpa. 300 IN PTR client.netlab.test."),
        ("198.18.0.2", "2.0.18.198.in-addr.arpa. 300 IN PTR r1.netlab.test."),
        ("198.18.1.1", "1.1.18.198.in-addr.arpa. 300 IN PTR r1.netlab.test."),
        ("198.18.1.2", "2.1.18.198.in-addr.arpa. 300 IN PTR r2.netlab.test."),
        ("198.18.2.2", "2.2.18.198.in-addr.arpa. 300 IN PTR dest.netlab.test."),
        ("198.18.100.53", "53.100.18.198.in-addr.arpa. 300 IN PTR ns1.netlab.test."),
        (
            "fd4e:6c61:62:2::2",
            "2.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.2.0.0.0.2.6.0.0.1.6.c.6.e.4.d.f.ip6.arpa. 300 IN PTR dest.netlab.test.",
        ),
        (
            "fd4e:6c61:62::2",
            "2.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.2.6.0.0.1.6.c.6.e.4.d.f.ip6.arpa. 300 IN PTR r1.netlab.test.",
        ),
    ];
    for (addr, expected) in cases {
        let got = dig(&lab, &["-x", addr]);
        assert_eq!(got.status, "NOERROR", "{addr}: {got:?}");
        assert_eq!(got.answer, [expected], "{addr}: {got:?}");
    }
}

#[test]
fn lab_dns_error_answers() {
    let lab = lab!(LabConfig::default());
    let soa =
        "netlab.test. 300 IN SOA ns1.netlab.test. hostmaster.netlab.test. 1 3600 600 86400 60";

    let nx = dig(&lab, &["nosuch.netlab.test", "A"]);
    assert_eq!(
        (nx.status.as_str(), nx.answer.len()),
        ("NXDOMAIN", 0),
        "{nx:?}"
    );
    assert_eq!(nx.authority, [soa], "{nx:?}");
    assert!(nx.flags.contains(&"aa".to_string()), "{nx:?}");

    let nodata = dig(&lab, &["v4only.netlab.test", "AAAA"]);
    assert_eq!(
        (nodata.status.as_str(), nodata.answer.len()),
        ("NOERROR", 0),
        "{nodata:?}"
    );
    assert_eq!(nodata.authority, [soa], "{nodata:?}");
    let nodata = dig(&lab, &["v6only.netlab.test", "A"]);
    assert_eq!(
        (nodata.status.as_str(), nodata.answer.len()),
        ("NOERROR", 0),
        "{nodata:?}"
    );

    assert_eq!(dig(&lab, &["servfail.netlab.test", "A"]).status, "SERVFAIL");
    assert_eq!(dig(&lab, &["example.com", "A"]).status, "REFUSED");
    assert_eq!(dig(&lab, &["-x", "192.0.2.1"]).status, "REFUSED");

    // No answer at all: dig's exit code 9 is "no reply from server".
    let never_answered = [
        (lab.dns_v4().to_string(), dns::SILENT_NAME),
        (lab.silent_dns_v4().to_string(), "www.netlab.test."),
        (lab.silent_dns_v6().to_string(), "www.netlab.test."),
    ];
    for (server, name) in never_answered {
        for transport in ["+notcp", "+tcp"] {
            let started = Instant::now();
            let out = lab.exec(
                Role::Client,
                &[
                    "dig",
                    &format!("@{server}"),
                    "+time=1",
                    "+tries=1",
                    transport,
                    name,
                ],
            );
            assert_eq!(
                out.status.code(),
                Some(9),
                "{server} {name} {transport}: {out:?}"
            );
            assert!(started.elapsed() < Duration::from_secs(5));
        }
    }
}

#[test]
fn lab_dns_answers_over_tcp_and_on_its_ipv6_address() {
    let lab = lab!(LabConfig::default());
    let expected = [format!("www.netlab.test. 300 IN A {}", lab.dest_v4())];
    let v6 = format!("@{}", lab.dns_v6());
    assert_eq!(lab.dns_v6().to_string(), "fd4e:6c61:62:100::53");
    assert_eq!(dig(&lab, &["+tcp", "www.netlab.test"]).answer, expected);
    assert_eq!(dig_at(&lab, &v6, &["www.netlab.test"]).answer, expected);
    assert_eq!(
        dig_at(&lab, &v6, &["+tcp", "www.netlab.test"]).answer,
        expected
    );
}

#[test]
fn lab_client_namespace_uses_the_lab_hosts_and_resolv_conf() {
    let lab = lab!(LabConfig::default());
    let getent = |args: &[&str]| {
        let mut argv = vec!["getent"];
        argv.extend_from_slice(args);
        let out = lab.exec(Role::Client, &argv);
        assert!(out.status.success(), "{argv:?}: {out:?}");
        stdout(&out)
            .split_whitespace()
            .collect::<Vec<_>>()
            .join(" ")
    };
    assert_eq!(
        getent(&["hosts", "hostsonly.netlab.test"]),
        "198.18.2.2 hostsonly.netlab.test hostsonly"
    );
    assert_eq!(
        getent(&["hosts", "hostsonly6"]),
        "fd4e:6c61:62:2::2 hostsonly6.netlab.test hostsonly6"
    );
    // hosts wins over DNS, which says the destination.
    assert_eq!(lab.hosts_override_v4(), lab.router_v4(1));
    assert_eq!(lab.hosts_override_v6(), lab.router_v6(1));
    assert_eq!(
        getent(&["hosts", "override.netlab.test"]),
        "fd4e:6c61:62::2 override.netlab.test override"
    );
    assert_eq!(
        getent(&["ahostsv4", "override"]).split(' ').next(),
        Some("198.18.0.2"),
        "IPv4 must come from hosts too"
    );
    // Through resolv.conf: the lab's server and its search domain.
    assert_eq!(
        getent(&["ahostsv4", "www"]).split(' ').next(),
        Some("198.18.2.2")
    );
    let resolv = lab.exec(Role::Client, &["cat", "/etc/resolv.conf"]);
    assert_eq!(stdout(&resolv), crate::lab::CLIENT_RESOLV_CONF);
}

// ----- running commands -----

#[test]
fn lab_runs_netlab_in_the_client_namespace_as_root_and_as_nobody() {
    let lab = lab!(LabConfig::default().routers(1));
    let out = lab.netlab(&["--version"]);
    assert!(out.status.success(), "{out:?}");
    assert!(stdout(&out).starts_with("netlab "), "{out:?}");
    let out = lab.netlab_as(NOBODY, &["--version"]);
    assert!(out.status.success(), "{out:?}");
    let id = lab.run(lab.command(Role::Client, "setpriv").args([
        "--reuid=65534",
        "--regid=65534",
        "--clear-groups",
        "id",
        "-u",
    ]));
    assert_eq!(stdout(&id).trim(), "65534");
}

#[test]
fn lab_kills_a_hung_command_at_its_deadline() {
    let lab = lab!(LabConfig::default().routers(0));
    let started = Instant::now();
    let result = run_bounded(
        lab.command(Role::Client, "sleep").arg("30"),
        Duration::from_millis(300),
    );
    assert!(
        matches!(result, Err(RunError::TimedOut { .. })),
        "{result:?}"
    );
    assert!(started.elapsed() < Duration::from_secs(5));
}

// ----- lifecycle -----

fn assert_gone(namespaces: &[String], etc: &std::path::Path) {
    for ns in namespaces {
        assert!(!netns::namespace_exists(ns), "{ns} survived teardown");
    }
    assert!(!etc.exists(), "{} survived teardown", etc.display());
}

#[test]
fn lab_teardown_leaves_nothing_behind() {
    let lab = lab!(LabConfig::default().link_delay(Duration::from_millis(1)));
    let namespaces = lab.namespaces();
    let etc = lab.client_etc_dir();
    assert_eq!(namespaces.len(), 4);
    assert!(namespaces.iter().all(|ns| netns::namespace_exists(ns)));
    assert!(etc.join("resolv.conf").exists() && etc.join("hosts").exists());
    eprintln!("built in {:?}", lab.build_time());
    let started = Instant::now();
    drop(lab);
    eprintln!("torn down in {:?}", started.elapsed());
    assert_gone(&namespaces, &etc);
}

#[test]
fn lab_teardown_also_runs_when_the_test_panics() {
    // Built outside catch_unwind: under CI=true a lab that cannot be built fails the
    // test here instead of being caught below.
    let lab = lab!(LabConfig::default());
    let (namespaces, etc) = (lab.namespaces(), lab.client_etc_dir());
    assert!(namespaces.iter().all(|ns| netns::namespace_exists(ns)));
    let result = catch_unwind(AssertUnwindSafe(move || {
        let _lab = lab;
        panic!("deliberate panic: the lab must still be torn down");
    }));
    assert!(result.is_err());
    assert_gone(&namespaces, &etc);
}

#[test]
fn lab_two_labs_at_once_do_not_collide() {
    // The builder threads carry the test's name, so a skip is reported under it.
    let name = std::thread::current()
        .name()
        .unwrap_or("<test>")
        .to_string();
    let (one, two) = std::thread::scope(|s| {
        let build = |routers| {
            std::thread::Builder::new()
                .name(name.clone())
                .spawn_scoped(s, move || {
                    Lab::build_or_skip(LabConfig::default().routers(routers))
                })
                .expect("spawn")
        };
        let (one, two) = (build(1), build(3));
        (one.join().unwrap(), two.join().unwrap())
    });
    let (Some(one), Some(two)) = (one, two) else {
        return;
    };
    for ns in one.namespaces() {
        assert!(!two.namespaces().contains(&ns), "{ns} in both labs");
    }
    // Each lab's DNS answers with its own destination: same addresses, separate worlds.
    for (lab, dest) in [(&one, "198.18.1.2"), (&two, "198.18.3.2")] {
        assert_eq!(lab.dest_v4().to_string(), dest);
        assert_eq!(
            dig(lab, &["www.netlab.test"]).answer,
            [format!("www.netlab.test. 300 IN A {dest}")]
        );
        let out = ping(lab, &["-c1", "-W2"], dest);
        assert!(out.contains("1 received"), "{out}");
    }
}

#[test]
fn lab_sweeps_namespaces_of_dead_processes() {
    let lab = lab!(LabConfig::default().routers(0));
    // A pid that just exited stands in for a test process killed before its teardown.
    let mut child = std::process::Command::new("true")
        .spawn()
        .expect("spawn true");
    let dead = child.id();
    child.wait().expect("wait true");
    let stale = format!("nl{dead}x0c");
    netns::add_namespace(&stale).expect("create stale namespace");
    std::fs::create_dir_all(netns::etc_dir(&stale)).expect("create stale etc dir");

    netns::sweep_stale();

    assert_gone(std::slice::from_ref(&stale), &netns::etc_dir(&stale));
    // Live labs (this process's) are never swept.
    assert!(lab
        .namespaces()
        .iter()
        .all(|ns| netns::namespace_exists(ns)));
}
