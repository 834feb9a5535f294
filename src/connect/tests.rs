//! Plan building: every bad command line is refused with one line (exit 2) before any
//! packet is sent.

use clap::Parser;

use super::*;
use crate::cli::{Cli, Command};

fn args(argv: &[&str]) -> Result<ConnectArgs, String> {
    let mut full = vec!["netlab", "connect"];
    full.extend_from_slice(argv);
    match Cli::try_parse_from(full) {
        Ok(Cli {
            command: Command::Connect(args),
        }) => Ok(args.into_inner()),
        Ok(_) => unreachable!("connect parses as connect"),
        Err(err) => Err(err.kind().to_string()),
    }
}

fn plan(argv: &[&str]) -> Result<Plan, Failure> {
    Plan::from_args(args(argv).expect("clap accepts it"))
}

fn refused(argv: &[&str]) -> Failure {
    let failure = plan(argv).expect_err(&format!("{argv:?} should be refused"));
    assert!(
        !failure.to_string().lines().next().unwrap().is_empty()
            && failure.to_string().starts_with("netlab: "),
        "{failure}"
    );
    assert!(!failure.why.contains('\n'), "one line: {failure}");
    failure
}

#[test]
fn host_port_forms_become_single_probes() {
    let p = plan(&["127.0.0.1:80", "[::1]:22", "localhost:8080"]).unwrap();
    assert!(!p.scan);
    let ports: Vec<Vec<u16>> = p.targets.iter().map(|t| t.ports.to_vec()).collect();
    assert_eq!(ports, vec![vec![80], vec![22], vec![8080]]);
    assert_eq!(p.spec.protocol, Protocol::Tcp);
    let read = p.spec.read.as_ref().unwrap();
    assert!(
        read.greeting,
        "a bare probe reads only what the server says first"
    );
    assert!(read.expect.is_none());
}

#[test]
fn lists_probe_and_ranges_scan() {
    let list = plan(&["127.0.0.1", "-p", "22,80,443"]).unwrap();
    assert!(!list.scan);
    assert_eq!(&*list.targets[0].ports, &[22, 80, 443]);
    let range = plan(&["127.0.0.1", "-p", "22,8000-8002"]).unwrap();
    assert!(range.scan);
    assert_eq!(&*range.targets[0].ports, &[22, 8000, 8001, 8002]);
    let all = plan(&["127.0.0.1", "-p-"]).unwrap();
    assert!(all.scan);
    assert_eq!(all.targets[0].ports.len(), 65535);
}

#[test]
fn a_target_without_a_port_is_refused() {
    let f = refused(&["127.0.0.1"]);
    assert_eq!(f.what, "target '127.0.0.1'");
    assert!(f.why.contains("no port"));
    assert!(f.hint.is_some());
    refused(&["::1"]);
    refused(&["localhost"]);
}

#[test]
fn no_target_is_refused() {
    let f = refused(&[]);
    assert!(f.why.contains("no target"));
}

#[test]
fn host_port_together_with_dash_p_is_refused() {
    let f = refused(&["127.0.0.1:22", "-p", "80"]);
    assert!(f.why.contains("-p gives ports too"), "{f}");
    // Also when only one of several targets has its own port.
    refused(&["127.0.0.1", "[::1]:22", "-p", "80"]);
}

#[test]
fn bad_ports_and_ranges_are_refused() {
    for bad in [
        &["127.0.0.1:0"][..],
        &["127.0.0.1:65536"],
        &["127.0.0.1:http"],
        &["127.0.0.1", "-p", "0"],
        &["127.0.0.1", "-p", "90-80"],
        &["127.0.0.1", "-p", "1,,2"],
        &["127.0.0.1", "-p", "80-70000"],
        &["127.0.0.1", "-p", ""],
        &["[::1", "-p", "80"],
        &["bad!name:80"],
    ] {
        refused(bad);
    }
}

#[test]
fn count_is_for_single_ports_only() {
    assert_eq!(plan(&["127.0.0.1:80", "-c", "3"]).unwrap().count, Some(3));
    assert!(plan(&["127.0.0.1", "-p", "80", "-c", "3"]).is_ok());
    let f = refused(&["127.0.0.1", "-p", "80,81", "-c", "3"]);
    assert_eq!(f.what, "-c");
    refused(&["127.0.0.1", "-p", "80-81", "-c", "3"]);
    // -c with UDP is allowed: a datagram "ping" with reply times.
    assert!(plan(&["127.0.0.1:7", "-u", "-c", "2"]).is_ok());
}

#[test]
fn clap_refuses_what_it_can() {
    // Count 0, zero --recv-bytes, conflicting expectations and sends: clap's own checks,
    // reported by app.rs as one line and exit 2.
    assert!(args(&["127.0.0.1:80", "-c", "0"]).is_err());
    assert!(args(&["127.0.0.1:80", "--recv-bytes", "0"]).is_err());
    assert!(args(&["127.0.0.1:80", "--expect", "a", "--expect-regex", "b"]).is_err());
    assert!(args(&["127.0.0.1:80", "--send", "a", "--send-file", "/etc/hosts"]).is_err());
    assert!(args(&["127.0.0.1:80", "-4", "-6"]).is_err());
    assert!(args(&["127.0.0.1:80", "-w", "-1"]).is_err());
    assert!(args(&["127.0.0.1:80", "--concurrency", "0"]).is_err());
}

#[test]
fn zero_timeout_is_refused() {
    let f = refused(&["127.0.0.1:80", "-w", "0"]);
    assert_eq!(f.what, "--timeout");
}

#[test]
fn payload_escapes_and_expectations_are_checked() {
    let p = plan(&[
        "127.0.0.1:7",
        "--send",
        r"Hello, world\r\n",
        "--expect",
        "Hello",
    ])
    .unwrap();
    assert!(
        matches!(&p.spec.payload, Some(Payload::Bytes(b)) if b == b"Hello, world\r\n"),
        "{:?}",
        p.spec.payload
    );
    let read = p.spec.read.as_ref().unwrap();
    assert!(read.expect.as_ref().unwrap().matches(b"Hello, world"));
    assert_eq!(refused(&["127.0.0.1:7", "--send", r"\q"]).what, "--send");
    assert_eq!(
        refused(&["127.0.0.1:7", "--expect", r"\x1"]).what,
        "--expect"
    );
    assert_eq!(refused(&["127.0.0.1:7", "--expect", ""]).what, "--expect");
    let f = refused(&["127.0.0.1:7", "--expect-regex", "welcome (["]);
    assert_eq!(f.what, "--expect-regex");
    assert!(f.why.starts_with("invalid regular expression"), "{f}");
}

#[test]
fn recv_bytes_alone_reads_a_banner() {
    let p = plan(&["127.0.0.1:22", "--recv-bytes", "64"]).unwrap();
    assert_eq!(p.spec.read.as_ref().unwrap().max_bytes, 64);
    assert!(p.spec.payload.is_none());
}

#[test]
fn a_missing_send_file_is_refused() {
    let f = refused(&["127.0.0.1:7", "--send-file", "/nonexistent/netlab-payload"]);
    assert!(f.what.starts_with("--send-file"), "{f}");
}

#[test]
fn scans_do_not_converse() {
    assert_eq!(
        refused(&["127.0.0.1", "-p", "1-100", "--expect", "x"]).what,
        "--expect"
    );
    assert_eq!(
        refused(&["127.0.0.1", "-p", "1-100", "--expect-regex", "x"]).what,
        "--expect-regex"
    );
    assert_eq!(
        refused(&["127.0.0.1", "-p", "1-100", "--recv-bytes", "4"]).what,
        "--recv-bytes"
    );
    assert_eq!(
        refused(&["127.0.0.1", "-p", "1-100", "--send", "x"]).what,
        "--send"
    );
    // A UDP scan needs a payload to be useful, so that one is allowed.
    assert!(plan(&["127.0.0.1", "-p", "1-100", "-u", "--send", "x"]).is_ok());
}

#[test]
fn udp_always_reads_and_payloads_must_fit_a_datagram() {
    let p = plan(&["127.0.0.1:7", "-u"]).unwrap();
    assert!(p.spec.read.is_some());
    assert!(p.spec.payload.is_none(), "an empty datagram by default");
    let dir = tempfile::tempdir().unwrap();
    let big = dir.path().join("big");
    std::fs::write(&big, vec![b'x'; 70_000]).unwrap();
    let f = refused(&["127.0.0.1:7", "-u", "--send-file", big.to_str().unwrap()]);
    assert!(f.why.contains("UDP datagram"), "{f}");
}

#[test]
fn family_flags_must_fit_address_literals() {
    let f = refused(&["-4", "[::1]:80"]);
    assert!(f.why.contains("-4"), "{f}");
    refused(&["-6", "127.0.0.1:80"]);
    assert!(plan(&["-6", "[::1]:80"]).is_ok());
    assert!(plan(&["-4", "localhost:80"]).is_ok());
}

#[tokio::test]
async fn addresses_of_literals_and_zones() {
    // The loopback (index 1 on Linux, macOS and Windows), by the name the platform gives
    // it (`lo`, `lo0`, `loopback_0`; `loopback_1` under Wine).
    let lo = crate::net::iface::name_of(1).expect("interface 1 is the loopback");
    let host = Target::parse(&format!("fe80::1%{lo}"), PortSuffix::Allowed)
        .unwrap()
        .host;
    let addrs = addresses_of(&host, Family::Any).await.unwrap();
    assert_eq!(addrs[0].text, format!("fe80::1%{lo}"));
    assert_eq!(addrs[0].scope_id, 1);
    match addrs[0].with_port(22) {
        SocketAddr::V6(v6) => assert_eq!(v6.scope_id(), addrs[0].scope_id),
        other => panic!("{other}"),
    }
    let bad = Target::parse("fe80::1%netlabnope0", PortSuffix::Allowed)
        .unwrap()
        .host;
    let f = addresses_of(&bad, Family::Any).await.unwrap_err();
    assert!(f.what.contains("netlabnope0"), "{f}");
}

#[tokio::test]
async fn addresses_of_names_follow_the_family() {
    let host = Host::Name("localhost".into());
    let v4 = addresses_of(&host, Family::V4).await.unwrap();
    assert!(v4.iter().all(|a| a.ip.is_ipv4()) && !v4.is_empty());
    let all = addresses_of(&host, Family::Any).await.unwrap();
    let mut unique = all.clone();
    unique.dedup();
    assert_eq!(all, unique);
    // A name that does not resolve is tested in the namespace lab (tests/it/connect.rs):
    // here it would send a DNS query off this host.
}

#[test]
fn link_local_and_multicast_v6_need_a_zone() {
    assert!(needs_zone(&"[ff02::1]:80".parse().unwrap()));
    assert!(needs_zone(&"[fe80::1]:80".parse().unwrap()));
    assert!(!needs_zone(&"[2001:db8::1]:80".parse().unwrap()));
    assert!(!needs_zone(&"127.0.0.1:80".parse().unwrap()));
    let einval = crate::net::err::Kind::InvalidArgument.error();
    let f = probe_failure(Protocol::Udp, &"[ff02::1]:80".parse().unwrap(), &einval);
    assert_eq!(
        (f.what.as_str(), f.why.as_str()),
        ("probing [ff02::1]:80/udp", "invalid argument")
    );
    assert_eq!(
        f.hint.as_deref(),
        Some("a link-local or multicast IPv6 address needs its interface: [ff02::1%IFACE]:80")
    );
}

#[test]
fn eol_ends_the_sent_text_and_shutdown_needs_something_sent() {
    let sent = |args: &[&str]| match plan(args).unwrap().spec.payload {
        Some(Payload::Bytes(bytes)) => bytes,
        other => panic!("{other:?}"),
    };
    assert_eq!(sent(&["127.0.0.1:7", "--send", "bye"]), b"bye");
    assert_eq!(
        sent(&["127.0.0.1:7", "--send", "bye", "--eol", "none"]),
        b"bye"
    );
    assert_eq!(
        sent(&["127.0.0.1:7", "--send", "bye", "--eol", "lf"]),
        b"bye\n"
    );
    assert_eq!(
        sent(&["127.0.0.1:7", "--send", "bye", "--eol", "crlf"]),
        b"bye\r\n"
    );
    assert_eq!(refused(&["127.0.0.1:7", "--eol", "lf"]).what, "--eol");
    assert_eq!(refused(&["127.0.0.1:7", "-N"]).what, "--shutdown");
    assert!(
        plan(&["127.0.0.1:7", "-N", "--send", "x"])
            .unwrap()
            .spec
            .shutdown
    );
}

#[test]
fn a_single_probe_reads_a_greeting_and_a_scan_does_not() {
    let p = plan(&["127.0.0.1:8000"]).unwrap();
    assert!(p.spec.read.as_ref().unwrap().greeting);
    let p = plan(&["127.0.0.1:22", "--recv-bytes", "64"]).unwrap();
    assert!(!p.spec.read.as_ref().unwrap().greeting);
    let p = plan(&["127.0.0.1", "-p", "1-1024"]).unwrap();
    assert!(p.spec.read.is_none());
    let p = plan(&["127.0.0.1:8000", "-c", "3"]).unwrap();
    assert!(
        p.spec.read.is_none(),
        "-c times handshakes, it waits for no greeting"
    );
}

#[test]
fn send_file_streams_over_tcp_and_is_bounded_for_udp() {
    let p = plan(&["127.0.0.1:7", "--send-file", "/dev/zero"]).unwrap();
    assert!(matches!(p.spec.payload, Some(Payload::File(_))));
    // UDP reads one datagram's worth plus one byte, then refuses: never the whole file.
    let f = refused(&["127.0.0.1:7", "-u", "--send-file", "/dev/zero"]);
    assert!(f.why.contains("do not fit in one UDP datagram"), "{f}");
    assert!(refused(&["127.0.0.1:7", "--send-file", "/nonexistent/x"])
        .what
        .contains("--send-file"));
}
