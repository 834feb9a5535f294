//! What a probe carries and how a response is matched back to it — pure functions over
//! bytes, so hostile input is tested without sockets (see the tests at the bottom).
//!
//! Every UDP and ICMP probe carries a 16-byte payload: an 8-byte per-run random token,
//! the probe's identity (2 bytes), a 2-byte checksum compensation field and 4 bytes of
//! `"nlab"`. The compensation is what keeps flows stable (Paris traceroute):
//!
//! - ICMP: identifier, type and code never change; the sequence number is the probe's
//!   identity, and the compensation cancels it (and its copy in the payload) out of the
//!   ones'-complement sum, so the ICMP checksum is the same for every probe. Load
//!   balancers that hash the first four bytes of the ICMP header (type, code, checksum)
//!   therefore keep one path.
//! - UDP: source and destination ports never change; the compensation makes the UDP
//!   checksum *equal* the probe's identity, so a router that quotes only the 8 bytes
//!   RFC 792 promises still tells us which probe it was (classic Paris traceroute).
//! - TCP with `CAP_NET_RAW`: every SYN leaves from one source port; the sequence number
//!   is the probe's identity ([`tcp_sequence`]: 16 bits of the run's token, then the
//!   probe id), which the first 8 quoted bytes of the TCP header carry, and which the
//!   destination's SYN-ACK or RST acknowledges (`ack = seq + 1`). Without the capability
//!   each probe is its own `connect()`, identified by its source port.

use std::net::IpAddr;

use super::extensions::objects_of;
use crate::packet::extensions::{has_rfc4884_length, mpls_labels};
use crate::packet::icmp::{error_kind, Icmp, Message, Version, HEADER_LEN as ICMP_HEADER_LEN};
use crate::packet::ipv4::{Ipv4, PROTO_TCP, PROTO_UDP};
use crate::packet::transport::{TcpPrefix, TCP_ACK, TCP_RST, TCP_SYN};
use crate::packet::{checksum, IcmpErrorKind};

use super::engine::{ProbeId, Reply, Response, Wire};

pub const PAYLOAD_LEN: usize = 16;
const MAGIC: &[u8; 4] = b"nlab";
/// The constant ones'-complement sum every ICMP probe's header and payload add up to.
const ICMP_SUM: u16 = 0x5a5a;

/// The probe method.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Method {
    Icmp,
    Udp,
    Tcp,
}

impl Method {
    /// The method when none is asked for: UDP, as traceroute, where UDP probes see the
    /// routers' errors (Linux's socket error queue); elsewhere (macOS, the BSDs) ICMP, as
    /// tracert, which works there.
    pub fn platform_default() -> Method {
        if crate::net::probe::UDP_PROBES_SEE_ERRORS {
            Method::Udp
        } else {
            Method::Icmp
        }
    }

    pub fn as_str(self) -> &'static str {
        match self {
            Method::Icmp => "icmp",
            Method::Udp => "udp",
            Method::Tcp => "tcp",
        }
    }
}

/// Ones'-complement sum of `parts` (not negated): `!checksum`.
fn sum(parts: &[&[u8]]) -> u16 {
    !checksum(parts)
}

/// Ones'-complement addition.
fn add(a: u16, b: u16) -> u16 {
    let s = u32::from(a) + u32::from(b);
    ((s & 0xffff) + (s >> 16)) as u16
}

/// The payload with token and identity, compensation still zero.
fn base_payload(token: &[u8; 8], id: ProbeId) -> [u8; PAYLOAD_LEN] {
    let mut p = [0u8; PAYLOAD_LEN];
    p[..8].copy_from_slice(token);
    p[8..10].copy_from_slice(&id.0.to_be_bytes());
    p[12..16].copy_from_slice(MAGIC);
    p
}

/// Sets the compensation field so that the ones'-complement sum of `fixed` plus the
/// payload equals `want`.
fn compensate(payload: &mut [u8; PAYLOAD_LEN], fixed: &[&[u8]], want: u16) {
    let mut parts = fixed.to_vec();
    parts.push(&payload[..]);
    let have = sum(&parts);
    let comp = add(want, !have);
    payload[10..12].copy_from_slice(&comp.to_be_bytes());
}

/// The payload of an ICMP echo probe: with the echo header `id`/`seq = probe id`, the
/// ICMP message sums to a constant, so its checksum is the same for every probe.
pub fn icmp_payload(token: &[u8; 8], ident: u16, id: ProbeId) -> [u8; PAYLOAD_LEN] {
    let mut p = base_payload(token, id);
    // Type and code are folded in as constants of the family by the caller's header;
    // the fields that vary are the sequence (header) and the payload.
    let header = [
        0u8,
        0,
        0,
        0,
        (ident >> 8) as u8,
        ident as u8,
        (id.0 >> 8) as u8,
        id.0 as u8,
    ];
    compensate(&mut p, &[&header], ICMP_SUM);
    p
}

/// The payload of a UDP probe from `src:sport` to `dst:dport` whose UDP checksum will be
/// the probe id (ids are kept in 1..=0xfffe, so no checksum is ever 0 or 0xffff).
pub fn udp_payload(
    token: &[u8; 8],
    id: ProbeId,
    src: IpAddr,
    dst: IpAddr,
    sport: u16,
    dport: u16,
) -> [u8; PAYLOAD_LEN] {
    udp_payload_for(token, id, src, dst, sport, dport, PAYLOAD_LEN)
}

/// [`udp_payload`] for a datagram of `data_len` payload bytes (this identity, then zero
/// padding, which adds nothing to the checksum: only the length fields change it).
pub fn udp_payload_for(
    token: &[u8; 8],
    id: ProbeId,
    src: IpAddr,
    dst: IpAddr,
    sport: u16,
    dport: u16,
    data_len: usize,
) -> [u8; PAYLOAD_LEN] {
    let mut p = base_payload(token, id);
    let len = (8 + data_len.max(PAYLOAD_LEN)) as u16;
    let mut pseudo = Vec::with_capacity(40);
    match (src, dst) {
        (IpAddr::V4(s), IpAddr::V4(d)) => {
            pseudo.extend_from_slice(&s.octets());
            pseudo.extend_from_slice(&d.octets());
            pseudo.extend_from_slice(&[0, PROTO_UDP]);
            pseudo.extend_from_slice(&len.to_be_bytes());
        }
        _ => {
            let v6 = |a: IpAddr| match a {
                IpAddr::V6(a) => a.octets(),
                IpAddr::V4(a) => a.to_ipv6_mapped().octets(),
            };
            pseudo.extend_from_slice(&v6(src));
            pseudo.extend_from_slice(&v6(dst));
            pseudo.extend_from_slice(&u32::from(len).to_be_bytes());
            pseudo.extend_from_slice(&[0, 0, 0, PROTO_UDP]);
        }
    }
    let mut header = [0u8; 8];
    header[0..2].copy_from_slice(&sport.to_be_bytes());
    header[2..4].copy_from_slice(&dport.to_be_bytes());
    header[4..6].copy_from_slice(&len.to_be_bytes());
    // checksum = !sum  =>  sum = !id
    compensate(&mut p, &[&pseudo, &header], !id.0);
    p
}

/// The identity in a payload, if it starts with our token (at least 10 bytes).
pub fn payload_id(token: &[u8; 8], data: &[u8]) -> Option<ProbeId> {
    let head = data.get(..10)?;
    (head[..8] == token[..]).then(|| ProbeId(u16::from_be_bytes([head[8], head[9]])))
}

/// The sequence number of the raw-socket TCP probe `id`: the first two bytes of the
/// run's token, then the id — so another run's (or another program's) segments that
/// happen to use our port do not match.
pub fn tcp_sequence(token: &[u8; 8], id: ProbeId) -> u32 {
    u32::from(u16::from_be_bytes([token[0], token[1]])) << 16 | u32::from(id.0)
}

/// The probe a TCP sequence number names, if [`tcp_sequence`] made it in this run.
pub fn tcp_sequence_id(token: &[u8; 8], seq: u32) -> Option<ProbeId> {
    let id = seq as u16;
    ((seq >> 16) as u16 == u16::from_be_bytes([token[0], token[1]]) && id != 0)
        .then_some(ProbeId(id))
}

/// What a response is matched against.
#[derive(Debug, Clone)]
pub struct Matcher {
    pub method: Method,
    pub version: Version,
    pub target: IpAddr,
    pub token: [u8; 8],
    /// ICMP: the echo identifier; UDP: our source port; TCP: the one source port of the
    /// raw-socket path, or 0 on the `connect()` path (each probe has its own port, which
    /// `tcp_probe` maps back to it).
    pub ident: u16,
    /// UDP / TCP destination port.
    pub dport: u16,
}

/// What an ICMP error means for a probe of `method`.
pub fn classify(method: Method, kind: IcmpErrorKind) -> Reply {
    match kind {
        IcmpErrorKind::TimeExceeded => Reply::TimeExceeded,
        IcmpErrorKind::PortUnreachable if method == Method::Udp => Reply::Reached,
        other => Reply::Unreachable(other),
    }
}

/// A length read off a packet, as a JSON size (receive buffers are far below 64 KiB).
fn size_u16(len: usize) -> u16 {
    u16::try_from(len).unwrap_or(u16::MAX)
}

impl Matcher {
    /// Matches an ICMP message from a raw socket (`bytes` start with the IPv4 header on
    /// IPv4, with the ICMPv6 header on IPv6). `tcp_probe` maps a TCP source port to the
    /// probe sent from it.
    pub fn raw_icmp(
        &self,
        bytes: &[u8],
        from: IpAddr,
        at: std::time::Instant,
        tcp_probe: &dyn Fn(u16) -> Option<ProbeId>,
    ) -> Option<Response> {
        let icmp_bytes = match self.version {
            Version::V4 => Ipv4::parse(bytes).ok()?.payload(),
            Version::V6 => bytes,
        };
        self.icmp_message(icmp_bytes, from, at, tcp_probe)
    }

    /// Matches a bare ICMP message (what a datagram ICMP socket delivers).
    pub fn icmp_message(
        &self,
        icmp_bytes: &[u8],
        from: IpAddr,
        at: std::time::Instant,
        tcp_probe: &dyn Fn(u16) -> Option<ProbeId>,
    ) -> Option<Response> {
        let icmp = Icmp::parse(icmp_bytes, self.version).ok()?;
        if self.version == Version::V4 && !icmp.checksum_ok_v4() {
            return None;
        }
        let response = |probe, reply| Response {
            probe,
            from,
            reply,
            at,
            mpls: mpls_labels(&icmp),
            objects: objects_of(&icmp),
            wire: Wire {
                ttl: None,
                size: Some(size_u16(icmp_bytes.len().saturating_sub(ICMP_HEADER_LEN))),
                rfc4884: has_rfc4884_length(&icmp),
            },
        };
        match icmp.message() {
            Message::EchoReply(echo) if self.method == Method::Icmp => {
                // The token proves it answers our probe, whoever sends it: a reply from
                // another address is what the address check is there to point out.
                if echo.id != self.ident {
                    return None;
                }
                let probe = match payload_id(&self.token, echo.data) {
                    Some(id) if id.0 == echo.seq => id,
                    _ => return None,
                };
                Some(response(probe, Reply::Reached))
            }
            Message::Error(err) => {
                let quoted = err.quoted.ip().ok()?;
                if quoted.dst != self.target {
                    return None;
                }
                let probe = match self.method {
                    Method::Icmp => {
                        let echo = err.quoted.echo_request().ok()?;
                        if echo.id != self.ident {
                            return None;
                        }
                        match payload_id(&self.token, echo.data) {
                            Some(id) if id.0 != echo.seq => return None,
                            _ => ProbeId(echo.seq),
                        }
                    }
                    Method::Udp => {
                        let udp = err.quoted.udp().ok()?;
                        if udp.src_port() != self.ident || udp.dst_port() != self.dport {
                            return None;
                        }
                        // Our checksum *is* the id; the payload, when quoted, agrees.
                        match payload_id(&self.token, udp.payload()) {
                            Some(id) if id.0 != udp.checksum() => return None,
                            _ => ProbeId(udp.checksum()),
                        }
                    }
                    Method::Tcp => {
                        let tcp = err.quoted.tcp().ok()?;
                        if tcp.dst_port() != self.dport {
                            return None;
                        }
                        if self.ident == 0 {
                            tcp_probe(tcp.src_port())?
                        } else if tcp.src_port() == self.ident {
                            tcp_sequence_id(&self.token, tcp.sequence())?
                        } else {
                            return None;
                        }
                    }
                };
                Some(response(probe, classify(self.method, err.kind)))
            }
            _ => None,
        }
    }

    /// Matches a TCP segment from the raw TCP socket (`bytes` start with the IPv4 header
    /// on IPv4, with the TCP header on IPv6): the destination's SYN-ACK (port open) or
    /// RST (port closed) answering a raw-socket probe, which acknowledges its sequence
    /// number. Either means the destination was reached, as in traceroute -T.
    pub fn raw_tcp(&self, bytes: &[u8], from: IpAddr, at: std::time::Instant) -> Option<Response> {
        if self.method != Method::Tcp || self.ident == 0 || from != self.target {
            return None;
        }
        let segment = match self.version {
            Version::V4 => {
                let ip = Ipv4::parse(bytes).ok()?;
                if ip.protocol() != PROTO_TCP || IpAddr::V4(ip.src()) != self.target {
                    return None;
                }
                ip.payload()
            }
            Version::V6 => bytes,
        };
        let tcp = TcpPrefix::parse(segment).ok()?;
        if tcp.src_port() != self.dport || tcp.dst_port() != self.ident {
            return None;
        }
        let flags = tcp.flags()?;
        if flags & TCP_ACK == 0 || flags & (TCP_SYN | TCP_RST) == 0 {
            return None;
        }
        let probe = tcp_sequence_id(&self.token, tcp.acknowledgment()?.wrapping_sub(1))?;
        Some(Response {
            probe,
            from,
            reply: Reply::Reached,
            at,
            mpls: Vec::new(),
            objects: Vec::new(),
            wire: Wire {
                size: Some(size_u16(segment.len())),
                ..Wire::default()
            },
        })
    }

    /// Matches an entry of a UDP or ICMP datagram socket's error queue: `data` is what
    /// the kernel returns with it (UDP: our payload as quoted; ICMP: the quoted echo
    /// request), `dst` the probe's destination, `offender` who sent the ICMP error.
    #[allow(clippy::too_many_arguments)]
    pub fn queued_error(
        &self,
        data: &[u8],
        dst: Option<IpAddr>,
        offender: Option<IpAddr>,
        icmp_type: u8,
        icmp_code: u8,
        at: std::time::Instant,
    ) -> Option<Response> {
        if dst.is_some_and(|d| d != self.target) {
            return None;
        }
        let kind = error_kind(self.version, icmp_type, icmp_code)?;
        let from = offender?;
        let probe = match self.method {
            Method::Udp => payload_id(&self.token, data)?,
            Method::Icmp => {
                let icmp = Icmp::parse(data, self.version).ok()?;
                let Message::EchoRequest(echo) = icmp.message() else {
                    return None;
                };
                match payload_id(&self.token, echo.data) {
                    Some(id) if id.0 != echo.seq => return None,
                    _ => ProbeId(echo.seq),
                }
            }
            Method::Tcp => return None,
        };
        Some(Response {
            probe,
            from,
            reply: classify(self.method, kind),
            at,
            mpls: Vec::new(),
            objects: Vec::new(),
            // The kernel gives neither the ICMP message nor its size.
            wire: Wire::default(),
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::packet::extensions::{build_mpls_extension, MplsLabel};
    use crate::packet::icmp::{write_echo_request, V4_TIME_EXCEEDED};
    use std::time::Instant;

    const TOKEN: [u8; 8] = *b"tok-test";

    fn v4(a: &str) -> IpAddr {
        a.parse().unwrap()
    }

    #[test]
    fn icmp_probes_share_one_checksum() {
        let mut sums = std::collections::HashSet::new();
        let mut sums6 = std::collections::HashSet::new();
        for seq in [1u16, 2, 3, 1000, 0x7fff, 0xfffe] {
            let payload = icmp_payload(&TOKEN, 0x4242, ProbeId(seq));
            let mut buf = [0u8; 64];
            let n = write_echo_request(&mut buf, Version::V4, 0x4242, seq, &payload).unwrap();
            sums.insert(u16::from_be_bytes([buf[2], buf[3]]));
            assert!(Icmp::parse_v4(&buf[..n]).unwrap().checksum_ok_v4());
            // ICMPv6: the kernel adds a pseudo-header that is the same for every probe, so
            // a constant sum over the message is a constant checksum.
            let n = write_echo_request(&mut buf, Version::V6, 0x4242, seq, &payload).unwrap();
            sums6.insert(!crate::packet::checksum(&[&buf[..n]]));
        }
        assert_eq!(sums.len(), 1, "{sums:x?}");
        assert_eq!(sums6.len(), 1, "{sums6:x?}");
    }

    fn udp_checksum(src: IpAddr, dst: IpAddr, sport: u16, dport: u16, payload: &[u8]) -> u16 {
        let len = (8 + payload.len()) as u16;
        let mut pseudo = Vec::new();
        match (src, dst) {
            (IpAddr::V4(s), IpAddr::V4(d)) => {
                pseudo.extend_from_slice(&s.octets());
                pseudo.extend_from_slice(&d.octets());
                pseudo.extend_from_slice(&[0, 17]);
                pseudo.extend_from_slice(&len.to_be_bytes());
            }
            (IpAddr::V6(s), IpAddr::V6(d)) => {
                pseudo.extend_from_slice(&s.octets());
                pseudo.extend_from_slice(&d.octets());
                pseudo.extend_from_slice(&u32::from(len).to_be_bytes());
                pseudo.extend_from_slice(&[0, 0, 0, 17]);
            }
            _ => unreachable!(),
        }
        let mut header = [0u8; 8];
        header[0..2].copy_from_slice(&sport.to_be_bytes());
        header[2..4].copy_from_slice(&dport.to_be_bytes());
        header[4..6].copy_from_slice(&len.to_be_bytes());
        let c = checksum(&[&pseudo, &header, payload]);
        if c == 0 {
            0xffff
        } else {
            c
        }
    }

    #[test]
    fn the_udp_checksum_is_the_probe_id() {
        let pairs = [
            (v4("198.18.0.1"), v4("198.18.5.2")),
            (
                "fd4e:6c61:62::1".parse().unwrap(),
                "fd4e:6c61:62:5::2".parse().unwrap(),
            ),
        ];
        for (src, dst) in pairs {
            for id in (1u16..=0xfffe).step_by(97).chain([1, 2, 0xfffe, 0x8000]) {
                let p = udp_payload(&TOKEN, ProbeId(id), src, dst, 40000, 33434);
                assert_eq!(
                    udp_checksum(src, dst, 40000, 33434, &p),
                    id,
                    "{src} id {id}"
                );
                assert_eq!(payload_id(&TOKEN, &p), Some(ProbeId(id)));
            }
        }
    }

    /// An ICMPv4 time exceeded from `from` quoting a UDP probe (with `quote` bytes of
    /// UDP data) and optional extension bytes after a 128-byte padded quote.
    fn time_exceeded_udp(id: u16, quote: usize, ext: Option<&[u8]>) -> Vec<u8> {
        let src = v4("198.18.0.1");
        let dst = v4("198.18.5.2");
        let payload = udp_payload(&TOKEN, ProbeId(id), src, dst, 40000, 33434);
        let mut udp = vec![0x9c, 0x40, 0x82, 0x9a, 0, 24];
        udp.extend_from_slice(&id.to_be_bytes());
        udp.extend_from_slice(&payload[..quote]);
        let mut quoted = vec![
            0x45, 0, 0, 44, 0, 1, 0, 0, 1, 17, 0, 0, 198, 18, 0, 1, 198, 18, 5, 2,
        ];
        quoted.extend_from_slice(&udp);
        let mut icmp = vec![V4_TIME_EXCEEDED, 0, 0, 0, 0, 0, 0, 0];
        icmp.extend_from_slice(&quoted);
        if let Some(ext) = ext {
            icmp.resize(8 + 128, 0);
            icmp[5] = 32;
            icmp.extend_from_slice(ext);
        }
        let sum = checksum(&[&icmp]);
        icmp[2..4].copy_from_slice(&sum.to_be_bytes());
        let mut ip = vec![
            0x45, 0, 0, 0, 0, 0, 0, 0, 64, 1, 0, 0, 198, 18, 0, 2, 198, 18, 0, 1,
        ];
        let total = (ip.len() + icmp.len()) as u16;
        ip[2..4].copy_from_slice(&total.to_be_bytes());
        ip.extend_from_slice(&icmp);
        ip
    }

    fn udp_matcher() -> Matcher {
        Matcher {
            method: Method::Udp,
            version: Version::V4,
            target: v4("198.18.5.2"),
            token: TOKEN,
            ident: 40000,
            dport: 33434,
        }
    }

    #[test]
    fn raw_time_exceeded_matches_by_checksum_even_with_an_8_byte_quote() {
        let m = udp_matcher();
        let none = |_| None;
        let at = Instant::now();
        for quote in [0, 16] {
            let pkt = time_exceeded_udp(1234, quote, None);
            let r = m.raw_icmp(&pkt, v4("198.18.0.2"), at, &none).unwrap();
            assert_eq!(r.probe, ProbeId(1234));
            assert_eq!(r.reply, Reply::TimeExceeded);
            assert!(r.mpls.is_empty());
            // Atlas's size: the quote (IPv4 and UDP headers, `quote` payload bytes); no
            // RFC 4884 length. The TTL is the driver's to fill.
            assert_eq!(
                r.wire,
                Wire {
                    ttl: None,
                    size: Some(20 + 8 + quote as u16),
                    rfc4884: false
                }
            );
        }
        // Another traceroute's probe (other source port) is not ours.
        let mut other = time_exceeded_udp(1234, 16, None);
        other[28 + 20] = 0x11;
        assert!(m.raw_icmp(&other, v4("198.18.0.2"), at, &none).is_none());
    }

    #[test]
    fn raw_time_exceeded_carries_mpls_labels() {
        let labels = [MplsLabel {
            label: 24001,
            exp: 0,
            bottom: true,
            ttl: 1,
        }];
        let pkt = time_exceeded_udp(7, 16, Some(&build_mpls_extension(&labels)));
        let r = udp_matcher()
            .raw_icmp(&pkt, v4("198.18.0.2"), Instant::now(), &|_| None)
            .unwrap();
        assert_eq!(r.mpls, labels);
        // The 128-byte quote with its RFC 4884 length, then the extension structure.
        let ext_len = build_mpls_extension(&labels).len() as u16;
        assert_eq!(r.wire.size, Some(128 + ext_len));
        assert!(r.wire.rfc4884);
        assert_eq!(r.mpls[0].to_string(), "L=24001 E=0 S=1 T=1");
    }

    #[test]
    fn queued_errors_match_by_payload() {
        let m = udp_matcher();
        let p = udp_payload(&TOKEN, ProbeId(9), v4("198.18.0.1"), m.target, 40000, 33434);
        let at = Instant::now();
        let r = m
            .queued_error(&p, Some(m.target), Some(v4("198.18.5.2")), 3, 3, at)
            .unwrap();
        assert_eq!((r.probe, r.reply), (ProbeId(9), Reply::Reached));
        let r = m
            .queued_error(&p, Some(m.target), Some(v4("198.18.4.2")), 3, 1, at)
            .unwrap();
        assert_eq!(r.reply, Reply::Unreachable(IcmpErrorKind::HostUnreachable));
        assert!(m
            .queued_error(&p[..8], Some(m.target), Some(v4("1.1.1.1")), 11, 0, at)
            .is_none());
        assert!(m
            .queued_error(&p, Some(v4("9.9.9.9")), Some(v4("1.1.1.1")), 11, 0, at)
            .is_none());
        let mut other = p;
        other[0] ^= 1;
        assert!(m
            .queued_error(&other, None, Some(v4("1.1.1.1")), 11, 0, at)
            .is_none());
    }

    #[test]
    fn echo_replies_match_by_identifier_token_and_sequence() {
        let m = Matcher {
            method: Method::Icmp,
            version: Version::V4,
            target: v4("198.18.5.2"),
            token: TOKEN,
            ident: 0x4242,
            dport: 0,
        };
        let reply = |ident: u16, seq: u16, token: &[u8; 8]| {
            let payload = icmp_payload(token, ident, ProbeId(seq));
            let mut buf = [0u8; 64];
            let n = write_echo_request(&mut buf, Version::V4, ident, seq, &payload).unwrap();
            buf[0] = 0; // echo reply
            buf[2..4].copy_from_slice(&[0, 0]);
            let sum = checksum(&[&buf[..n]]);
            buf[2..4].copy_from_slice(&sum.to_be_bytes());
            let mut ip = vec![
                0x45, 0, 0, 0, 0, 0, 0, 0, 60, 1, 0, 0, 198, 18, 5, 2, 198, 18, 0, 1,
            ];
            ip[2..4].copy_from_slice(&((20 + n) as u16).to_be_bytes());
            ip.extend_from_slice(&buf[..n]);
            ip
        };
        let at = Instant::now();
        let none = |_| None;
        let r = m
            .raw_icmp(&reply(0x4242, 77, &TOKEN), m.target, at, &none)
            .unwrap();
        assert_eq!((r.probe, r.reply), (ProbeId(77), Reply::Reached));
        // Another ping's reply (other identifier or token) is not ours.
        assert!(m
            .raw_icmp(&reply(0x4243, 77, &TOKEN), m.target, at, &none)
            .is_none());
        assert!(m
            .raw_icmp(&reply(0x4242, 77, b"other-tk"), m.target, at, &none)
            .is_none());
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

    fn exercise(bytes: &[u8]) {
        let at = Instant::now();
        let some = |p: u16| Some(ProbeId(p));
        for method in [Method::Icmp, Method::Udp, Method::Tcp] {
            for version in [Version::V4, Version::V6] {
                let m = Matcher {
                    method,
                    version,
                    target: v4("198.18.5.2"),
                    token: TOKEN,
                    ident: 40000,
                    dport: 33434,
                };
                let _ = m.raw_icmp(bytes, v4("198.18.0.2"), at, &some);
                let _ = m.raw_tcp(bytes, m.target, at);
                let _ = m.icmp_message(bytes, v4("198.18.0.2"), at, &some);
                for ty in [0, 1, 3, 11, 129] {
                    let _ = m.queued_error(bytes, None, Some(m.target), ty, 0, at);
                }
            }
        }
        for version in [Version::V4, Version::V6] {
            if let Ok(icmp) = Icmp::parse(bytes, version) {
                let _ = mpls_labels(&icmp);
            }
        }
    }

    #[test]
    fn random_and_truncated_bytes_never_panic() {
        let mut rng = Rng(0x1234_5678_9abc_def1);
        let mut buf = [0u8; 256];
        for _ in 0..20_000 {
            let len = (rng.next() % 257) as usize;
            for b in buf.iter_mut().take(len) {
                *b = rng.next() as u8;
            }
            if len > 0 {
                match rng.next() % 4 {
                    0 => buf[0] = 0x45,
                    1 => buf[0] = [1, 3, 11][(rng.next() % 3) as usize],
                    2 if len > 140 => buf[8 + 128] = 0x20,
                    _ => {}
                }
            }
            exercise(&buf[..len]);
        }
        let labels = [MplsLabel {
            label: 5,
            exp: 1,
            bottom: true,
            ttl: 1,
        }];
        for packet in [
            time_exceeded_udp(3, 16, None),
            time_exceeded_udp(3, 16, Some(&build_mpls_extension(&labels))),
        ] {
            for len in 0..=packet.len() {
                exercise(&packet[..len]);
                exercise(&packet[20.min(len)..len]);
            }
            let mut m = packet.clone();
            for i in 0..m.len() {
                for v in [0u8, 1, 0x20, 0x45, 0x7f, 0xff] {
                    let old = m[i];
                    m[i] = v;
                    exercise(&m);
                    exercise(&m[20..]);
                    m[i] = old;
                }
            }
        }
    }
}
