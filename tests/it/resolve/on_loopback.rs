//! `netlab resolve` on this host, no lab: bad input is rejected before any query (a
//! socket on loopback stands in for the server and must hear nothing), and a scripted
//! server (`lab::scripted_dns`) does what the lab's real one never does: truncate, send
//! garbage, answer FORMERR and NOTIMP.

use std::net::UdpSocket;
use std::sync::atomic::Ordering;
use std::time::Duration;

use hickory_proto::op::ResponseCode;
use serde_json::json;

use super::{answers, assert_query, code, only};
use crate::lab::scripted_dns;
use crate::util::{assert_one_line_error, netlab, stderr, stdout};

// ---------- bad input: exit 2 before any query ----------

/// A UDP socket on loopback standing in for a DNS server, to see whether anything was sent.
fn listening_socket() -> (UdpSocket, String) {
    let socket = UdpSocket::bind("127.0.0.1:0").unwrap();
    socket
        .set_read_timeout(Some(Duration::from_millis(300)))
        .unwrap();
    let addr = socket.local_addr().unwrap().to_string();
    (socket, addr)
}

#[test]
fn invalid_names_send_nothing() {
    let (socket, addr) = listening_socket();
    let mut buf = [0u8; 512];
    // The control: a valid name does reach the "server" (so this test can fail).
    let out = netlab(&[
        "resolve",
        "--server",
        &addr,
        "--timeout",
        "100ms",
        "-4",
        "www.netlab.test",
    ]);
    assert_eq!(code(&out), Some(1), "{}", stderr(&out));
    assert!(
        socket.recv_from(&mut buf).is_ok(),
        "the valid name was asked"
    );
    while socket.recv_from(&mut buf).is_ok() {}

    let long_label = format!("{}.test", "x".repeat(64));
    let long_name = vec!["abcdefghi"; 26].join(".");
    for bad in [
        "a..b",
        ".",
        "",
        &long_label,
        &long_name,
        "bad!name",
        "under score.test",
        "-lead.test",
        "trail-.test",
        "1.2.3.999",
        "www.netlab.test:53",
        // "caf\u{e9}.test" is a valid IDN (xn--caf-dma.test); U+FFFD is not.
        "caf\u{fffd}.test",
    ] {
        let out = netlab(&["resolve", "--server", &addr, "--", "www.netlab.test", bad]);
        assert_one_line_error(&out, &format!("{bad:?}"));
        assert!(
            stderr(&out).starts_with("netlab: invalid target: "),
            "{}",
            stderr(&out)
        );
        assert!(
            socket.recv_from(&mut buf).is_err(),
            "{bad:?}: a query was sent before the input was checked"
        );
    }
}

#[test]
fn bad_command_lines_exit_2_with_one_line() {
    let dir = tempfile::tempdir().unwrap();
    let dir_path = dir.path().to_str().unwrap().to_string();
    let cases: Vec<(Vec<&str>, &str)> = vec![
        (vec!["resolve"], "netlab: resolve: nothing to resolve"),
        (
            vec!["resolve", "--server", "1.2.3.4:0", "www"],
            "netlab: --server 1.2.3.4:0: port 0 cannot be probed (ports are 1-65535)",
        ),
        (
            vec!["resolve", "--server", "[::1", "www"],
            "netlab: --server [::1: '[::1': missing ']' after the IPv6 address",
        ),
        (
            vec!["resolve", "--server", "a..b", "www"],
            "netlab: --server a..b: 'a..b' has an empty label",
        ),
        (
            vec!["resolve", "--server", "fe80::1%eth0", "www"],
            "netlab: --server fe80::1%eth0: a %zone on a server address is not supported",
        ),
        (
            vec!["resolve", "--server", "127.0.0.1:dns", "www"],
            "netlab: --server 127.0.0.1:dns: 'dns' is not a port number",
        ),
        (
            vec!["resolve", "-f", "/nonexistent/names"],
            "netlab: --file /nonexistent/names: No such file or directory (os error 2)",
        ),
        (vec!["resolve", "-f", &dir_path], "is a directory"),
        (
            vec!["resolve", "-t", "MX", "198.18.2.2"],
            "netlab: invalid target: 198.18.2.2 is an address: it is looked up by its PTR name, not by -t MX",
        ),
        (
            vec!["resolve", "-6", "198.18.2.2"],
            "netlab: invalid target: 198.18.2.2 is an IPv4 address, but -6 was given",
        ),
        (
            vec!["resolve", "-4", "-t", "MX", "netlab.test"],
            "netlab: -4: -4 and -6 choose between A and AAAA records; they cannot be combined with -t MX",
        ),
        (
            vec!["resolve", "-6", "-t", "A", "netlab.test"],
            "netlab: -6: -4 and -6 choose between A and AAAA records; they cannot be combined with -t A",
        ),
        (
            vec!["resolve", "--timeout", "0", "www"],
            "netlab: --timeout: must be longer than 0",
        ),
    ];
    for (args, message) in cases {
        let out = netlab(&args);
        assert_one_line_error(&out, &format!("{args:?}"));
        assert!(
            stderr(&out).lines().next().unwrap().contains(message),
            "{args:?}: {}",
            stderr(&out)
        );
    }
}

// ---------- a scripted server: what the lab's server never does ----------

#[test]
fn truncated_udp_replies_are_asked_again_over_tcp() {
    let server = scripted_dns::start(|query, tcp| {
        if tcp {
            scripted_dns::Answer::Reply(scripted_dns::reply(
                query,
                ResponseCode::NoError,
                &[b"over tcp"],
                false,
            ))
        } else {
            scripted_dns::Answer::Reply(scripted_dns::reply(
                query,
                ResponseCode::NoError,
                &[],
                true,
            ))
        }
    });
    let out = netlab(&[
        "resolve",
        "--json",
        "--server",
        &server.addr,
        "-t",
        "TXT",
        "big.test",
    ]);
    assert_eq!(code(&out), Some(0), "{}", stderr(&out));
    let q = only(&out);
    assert_query(&q, "big.test", "TXT", "ok", json!(server.addr));
    assert_eq!(q["transport"], json!("tcp"));
    assert_eq!(
        answers(&q),
        [(
            "big.test.".to_string(),
            "TXT".to_string(),
            "\"over tcp\"".to_string(),
            json!(60)
        )]
    );
    assert_eq!(server.udp.load(Ordering::Relaxed), 1);
    assert_eq!(server.tcp.load(Ordering::Relaxed), 1);

    // --tcp never tries UDP.
    let out = netlab(&[
        "resolve",
        "--json",
        "--tcp",
        "--server",
        &server.addr,
        "-t",
        "TXT",
        "big.test",
    ]);
    assert_eq!(code(&out), Some(0), "{}", stderr(&out));
    assert_eq!(only(&out)["transport"], json!("tcp"));
    assert_eq!(
        server.udp.load(Ordering::Relaxed),
        1,
        "no UDP query with --tcp"
    );
    assert_eq!(server.tcp.load(Ordering::Relaxed), 2);
}

#[test]
fn hostile_values_are_escaped() {
    let server = scripted_dns::start(|query, _| {
        scripted_dns::Answer::Reply(scripted_dns::reply(
            query,
            ResponseCode::NoError,
            &[b"\x1b[31mred\x1b[0m \"quoted\" \\ \xff\n"],
            false,
        ))
    });
    let out = netlab(&[
        "resolve",
        "--json",
        "--server",
        &server.addr,
        "-t",
        "TXT",
        "evil.test",
    ]);
    assert_eq!(code(&out), Some(0), "{}", stderr(&out));
    assert_eq!(
        answers(&only(&out))[0].2,
        r#""\027[31mred\027[0m \"quoted\" \\ \255\010""#
    );
    let out = netlab(&[
        "resolve",
        "--server",
        &server.addr,
        "-t",
        "TXT",
        "evil.test",
    ]);
    assert_eq!(code(&out), Some(0), "{}", stderr(&out));
    assert!(stdout(&out).contains("red"), "{}", stdout(&out));
    assert!(
        !out.stdout.contains(&0x1b),
        "no raw escape reaches the terminal"
    );
}

#[test]
fn unusable_replies_and_odd_response_codes_are_resolver_errors() {
    let server = scripted_dns::start(|query, _| {
        let name = query.queries[0].name().to_ascii();
        match name.as_str() {
            "formerr.test." => scripted_dns::Answer::Reply(scripted_dns::reply(
                query,
                ResponseCode::FormErr,
                &[],
                false,
            )),
            "notimp.test." => scripted_dns::Answer::Reply(scripted_dns::reply(
                query,
                ResponseCode::NotImp,
                &[],
                false,
            )),
            // The right ID, then garbage: the reply cannot be parsed.
            _ => {
                let id = query.metadata.id.to_be_bytes();
                scripted_dns::Answer::Raw(vec![id[0], id[1], 0x81, 0x80, 0, 1, 0, 1, 0xff, 0xff])
            }
        }
    });
    let cases = [
        (
            "formerr.test",
            "query failed (FORMERR from ADDR for formerr.test)",
        ),
        (
            "notimp.test",
            "query failed (NOTIMP from ADDR for notimp.test)",
        ),
    ];
    for (name, message) in cases {
        let out = netlab(&["resolve", "--json", "-4", "--server", &server.addr, name]);
        assert_eq!(code(&out), Some(2), "{}", stderr(&out));
        let q = only(&out);
        assert_query(&q, name, "A", "error", json!(server.addr));
        let message = message.replace("ADDR", &server.addr);
        assert_eq!(q["error"], json!(message));
        assert_eq!(stderr(&out), format!("netlab: {name}: {message}\n"));
    }
    let out = netlab(&["resolve", "-4", "--server", &server.addr, "garbage.test"]);
    assert_eq!(code(&out), Some(2));
    let err = stderr(&out);
    assert_eq!(err.lines().count(), 1, "{err}");
    assert!(
        err.starts_with(&format!(
            "netlab: garbage.test: query failed (unusable reply from {}: ",
            server.addr
        )),
        "{err}"
    );
    assert!(!err.contains("panicked"), "{err}");
}
