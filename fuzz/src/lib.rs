//! What the fuzz targets do with their bytes: parse them as the network code would and
//! touch every accessor, so a missed bounds check anywhere panics under the fuzzer.
//! `std::hint::black_box` keeps the optimiser from skipping the reads.
//!
//! The parsers are compiled here from netlab's own sources, `src/packet/` and the trace's
//! extension objects (`src/trace/extensions.rs`), not through the netlab crate: they stand
//! on nothing of netlab's above them (serde aside), and building the whole crate in
//! release with the fuzzer's instrumentation, for code no target calls, was the longest
//! step of CI's Linux lane (about 12 minutes of its 2 cores' time). The same files, so
//! the same code is fuzzed; a `crate::` path in them to anything else fails this build.

use std::hint::black_box;

#[path = "../../src/packet/mod.rs"]
pub mod packet;

/// The trace's extension objects (netlab's `trace::extensions`).
#[path = "../../src/trace/extensions.rs"]
pub mod extensions;

use crate::packet::ext_echo::ExtEchoReply;
use crate::packet::extensions::{has_rfc4884_length, mpls_labels, Extensions};
use crate::packet::icmp::{Icmp, Message, Version};
use crate::packet::interface_info::InterfaceInfo;
use crate::packet::ipv4::Ipv4;
use crate::packet::ipv6::Ipv6;
use crate::packet::transport::{TcpPrefix, Udp};
use crate::extensions::objects_of;

pub fn ipv4(bytes: &[u8]) {
    if let Ok(ip) = Ipv4::parse(bytes) {
        black_box((ip.header_len(), ip.total_len(), ip.identification(), ip.ttl()));
        black_box((ip.protocol(), ip.header_checksum(), ip.src(), ip.dst()));
        black_box((ip.header(), ip.payload(), ip.is_truncated()));
    }
}

pub fn ipv6(bytes: &[u8]) {
    if let Ok(ip) = Ipv6::parse(bytes) {
        black_box((ip.payload_len(), ip.next_header(), ip.hop_limit()));
        black_box((ip.src(), ip.dst(), ip.payload()));
    }
}

pub fn transport(bytes: &[u8]) {
    if let Ok(udp) = Udp::parse(bytes) {
        black_box((udp.src_port(), udp.dst_port(), udp.length(), udp.checksum()));
        black_box(udp.payload());
    }
    if let Ok(tcp) = TcpPrefix::parse(bytes) {
        black_box((tcp.src_port(), tcp.dst_port(), tcp.sequence(), tcp.flags()));
    }
}

/// What a SYN scan reads from its raw sockets: a TCP answer (with an IPv4 header, or
/// bare as IPv6 gives it) and an ICMP error quoting a SYN, in both families.
pub fn scan_replies(bytes: &[u8]) {
    for version in [Version::V4, Version::V6] {
        black_box(crate::packet::scan::tcp_answer(bytes, version).ok());
        black_box(crate::packet::scan::quoted_syn(bytes, version).ok());
    }
}

/// An ICMP or ICMPv6 message and everything reachable from it: echo fields, the quoted
/// datagram and its transport header, RFC 4884 extensions in every layout, MPLS labels,
/// RFC 5837 interface information and the trace's text and JSON forms of the objects.
pub fn icmp(bytes: &[u8], version: Version) {
    let Ok(icmp) = Icmp::parse(bytes, version) else {
        return;
    };
    black_box((icmp.icmp_type(), icmp.code(), icmp.checksum(), icmp.checksum_ok_v4()));
    black_box((icmp.bytes(), icmp.body(), icmp.version()));
    match icmp.message() {
        Message::EchoRequest(echo) | Message::EchoReply(echo) => {
            black_box((echo.id, echo.seq, echo.data));
        }
        Message::Error(error) => {
            black_box((error.kind, error.info, error.quoted.bytes()));
            if let Ok(ip) = error.quoted.ip() {
                black_box((ip.src, ip.dst, ip.protocol, ip.payload));
                transport(ip.payload);
            }
            if let Ok(echo) = error.quoted.echo_request() {
                black_box((echo.id, echo.seq, echo.data));
            }
            if let Ok(udp) = error.quoted.udp() {
                black_box((udp.src_port(), udp.dst_port()));
            }
            if let Ok(tcp) = error.quoted.tcp() {
                black_box((tcp.src_port(), tcp.sequence()));
            }
        }
        Message::Other { icmp_type, code } => {
            black_box((icmp_type, code));
        }
    }
    if let Some(ext) = Extensions::find(&icmp) {
        for object in ext.objects() {
            black_box(object);
            if let Some(info) = InterfaceInfo::decode(&object) {
                black_box((info.role, info.if_index, info.address, info.mtu));
                black_box(info.name_text());
            }
        }
        for label in ext.mpls() {
            black_box(label);
        }
    }
    black_box(mpls_labels(&icmp));
    for object in objects_of(&icmp) {
        black_box((object.text(), object.json(), object.class_and_type()));
    }
    black_box(has_rfc4884_length(&icmp));
    if let Some(reply) = ExtEchoReply::parse(&icmp) {
        black_box((reply, reply.code.describe()));
    }
}

/// What a raw ICMPv4 socket hands over: an IPv4 header, then the ICMP message.
pub fn raw_ipv4_datagram(bytes: &[u8]) {
    if let Ok(ip) = Ipv4::parse(bytes) {
        icmp(ip.payload(), Version::V4);
    }
}
