//! Hostile input: random bytes and every truncation of valid packets (ICMP extensions,
//! interface information and PROBE replies among them) must parse to an error or a
//! view, never a panic. (A cargo-fuzz target over the same entry points comes
//! later; these run in every `cargo test`.)

use super::ext_echo::ExtEchoReply;
use super::extensions::{build_mpls_extension, has_rfc4884_length, Extensions, MplsLabel};
use super::icmp::{self, Icmp, Message, Version};
use super::interface_info::{build_interface_object, InterfaceInfo, Role};
use super::ipv4::Ipv4;
use super::ipv6::Ipv6;
use super::transport::{TcpPrefix, Udp};

/// Parses `bytes` every way netlab can, touching every accessor.
fn exercise(bytes: &[u8]) {
    if let Ok(ip) = Ipv4::parse(bytes) {
        let _ = (
            ip.ttl(),
            ip.src(),
            ip.dst(),
            ip.total_len(),
            ip.is_truncated(),
        );
        let _ = (ip.header(), ip.identification(), ip.header_checksum());
        exercise_icmp(ip.payload(), Version::V4);
    }
    if let Ok(ip) = Ipv6::parse(bytes) {
        let _ = (ip.src(), ip.dst(), ip.hop_limit(), ip.payload_len());
        exercise_icmp(ip.payload(), Version::V6);
    }
    exercise_icmp(bytes, Version::V4);
    exercise_icmp(bytes, Version::V6);
    if let Ok(udp) = Udp::parse(bytes) {
        let _ = (
            udp.src_port(),
            udp.dst_port(),
            udp.length(),
            udp.checksum(),
            udp.payload(),
        );
    }
    if let Ok(tcp) = TcpPrefix::parse(bytes) {
        let _ = (tcp.src_port(), tcp.dst_port(), tcp.sequence(), tcp.flags());
    }
    // What the SYN scan reads from its raw sockets.
    for version in [Version::V4, Version::V6] {
        let _ = super::scan::tcp_answer(bytes, version);
        let _ = super::scan::quoted_syn(bytes, version);
    }
}

fn exercise_icmp(bytes: &[u8], version: Version) {
    let Ok(icmp) = Icmp::parse(bytes, version) else {
        return;
    };
    let _ = (
        icmp.checksum_ok_v4(),
        icmp.icmp_type(),
        icmp.code(),
        icmp.checksum(),
    );
    match icmp.message() {
        Message::EchoReply(e) | Message::EchoRequest(e) => {
            let _ = (e.id, e.seq, e.data.len());
        }
        Message::Error(err) => {
            let _ = (err.kind.as_str(), err.kind.describe(), err.info);
            if let Ok(ip) = err.quoted.ip() {
                let _ = (ip.src, ip.dst, ip.protocol, ip.payload.len());
            }
            let _ = err.quoted.echo_request();
            let _ = err.quoted.udp().map(|u| u.dst_port());
            let _ = err.quoted.tcp().map(|t| (t.sequence(), t.flags()));
        }
        Message::Other { .. } => {}
    }
    if let Some(ext) = Extensions::find(&icmp) {
        for object in ext.objects() {
            if let Some(info) = InterfaceInfo::decode(&object) {
                let _ = (info.role.as_str(), info.if_index, info.address, info.mtu);
                let _ = info.name_text();
            }
        }
        let _ = ext.mpls().count();
    }
    let _ = has_rfc4884_length(&icmp);
    let _ = ExtEchoReply::parse(&icmp).map(|r| r.code.describe());
}

/// xorshift64*: deterministic, so a failure reproduces.
struct Rng(u64);

impl Rng {
    fn next(&mut self) -> u64 {
        self.0 ^= self.0 >> 12;
        self.0 ^= self.0 << 25;
        self.0 ^= self.0 >> 27;
        self.0.wrapping_mul(0x2545_f491_4f6c_dd1d)
    }
}

fn valid_packets() -> Vec<Vec<u8>> {
    let mut out = vec![icmp::tests::time_exceeded_v4()];
    let mut echo = [0u8; 64];
    let n = icmp::write_echo_request(&mut echo, Version::V4, 7, 9, &[0xa5; 56]).unwrap();
    let mut ip = vec![
        0x45, 0, 0, 0, 0, 0, 0, 0, 64, 1, 0, 0, 127, 0, 0, 1, 127, 0, 0, 1,
    ];
    ip[2..4].copy_from_slice(&((20 + n) as u16).to_be_bytes());
    ip.extend_from_slice(&echo[..n]);
    out.push(ip);
    // An ICMPv6 time exceeded quoting an IPv6 echo request.
    let mut v6 = vec![icmp::V6_TIME_EXCEEDED, 0, 0, 0, 0, 0, 0, 0];
    let mut inner = vec![0x60, 0, 0, 0, 0, 16, 58, 1];
    inner.extend_from_slice(&[0xfd; 32]);
    let mut e = [0u8; 16];
    icmp::write_echo_request(&mut e, Version::V6, 1, 2, b"12345678").unwrap();
    inner.extend_from_slice(&e);
    v6.extend_from_slice(&inner);
    out.push(v6);
    // RFC 4884 time exceeded with an MPLS and an interface object, its extension checksum
    // 0 (accepted where the length points), so mutated objects are still walked.
    let label = MplsLabel {
        label: 24001,
        exp: 0,
        bottom: true,
        ttl: 1,
    };
    let mut ext = build_mpls_extension(&[label]);
    ext.extend_from_slice(&build_interface_object(
        Role::Incoming,
        Some(15),
        Some("fd4e:6c61:62::2".parse().unwrap()),
        Some("xe-0/0/1"),
        Some(9000),
    ));
    ext[2..4].copy_from_slice(&[0, 0]);
    for (ty, length_at, words) in [(11u8, 5, 32u8), (3, 4, 16)] {
        let mut msg = vec![ty, 0, 0, 0, 0, 0, 0, 0];
        msg[length_at] = words;
        msg.extend(std::iter::repeat_n(0u8, 128));
        msg.extend_from_slice(&ext);
        out.push(msg);
    }
    out.push(vec![43, 0, 0, 0, 0x12, 0x34, 7, 0x07]);
    // A raw IPv4 socket's ICMP 3/13 quoting a TCP SYN (what a SYN scan reads).
    let mut syn = [0u8; 20];
    super::transport::write_tcp_syn(
        &mut syn,
        [127, 0, 0, 1].into(),
        [127, 0, 0, 2].into(),
        40000,
        25,
        7,
    )
    .unwrap();
    let mut quote = vec![
        0x45, 0, 0, 40, 0, 0, 0, 0, 64, 6, 0, 0, 127, 0, 0, 1, 127, 0, 0, 2,
    ];
    quote.extend_from_slice(&syn[..8]);
    let mut error = vec![3, 13, 0, 0, 0, 0, 0, 0];
    error.extend_from_slice(&quote);
    let mut packet = vec![
        0x45, 0, 0, 0, 0, 0, 0, 0, 64, 1, 0, 0, 127, 0, 0, 9, 127, 0, 0, 1,
    ];
    packet[2..4].copy_from_slice(&((20 + error.len()) as u16).to_be_bytes());
    packet.extend_from_slice(&error);
    assert!(super::scan::quoted_syn(&packet, Version::V4).is_ok());
    out.push(packet);
    out
}

#[test]
fn random_bytes_never_panic() {
    let mut rng = Rng(0x9e37_79b9_7f4a_7c15);
    let mut buf = [0u8; 128];
    for _ in 0..50_000 {
        let len = (rng.next() % 129) as usize;
        for b in buf.iter_mut().take(len) {
            *b = rng.next() as u8;
        }
        // Bias towards plausible headers so the parsers get past their first checks.
        if len > 0 {
            match rng.next() % 4 {
                0 => buf[0] = 0x45,
                1 => buf[0] = 0x60,
                2 => buf[0] = [0, 3, 11, 1, 3, 129][(rng.next() % 6) as usize],
                _ => {}
            }
        }
        exercise(&buf[..len]);
    }
}

#[test]
fn every_truncation_and_single_byte_mutation_is_safe() {
    for packet in valid_packets() {
        for len in 0..=packet.len() {
            exercise(&packet[..len]);
        }
        let mut mutated = packet.clone();
        for i in 0..packet.len() {
            for value in [0x00, 0x01, 0x05, 0x0f, 0x45, 0x4f, 0x60, 0x7f, 0xff] {
                let old = mutated[i];
                mutated[i] = value;
                exercise(&mutated);
                mutated[i] = old;
            }
        }
    }
}
