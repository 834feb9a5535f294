//! ICMPv4 (RFC 792) and ICMPv6 (RFC 4443) messages: echo request/reply, and errors with
//! access to the datagram they quote. One view serves both families, because everything
//! ping and traceroute read sits at the same offsets in both.

use std::net::IpAddr;

use super::ipv4::{self, Ipv4};
use super::ipv6::{self, Ipv6};
use super::transport::{TcpPrefix, Udp};
use super::{be16, be32, checksum, need, Error, IcmpErrorKind, Result};

pub const HEADER_LEN: usize = 8;

pub const V4_ECHO_REPLY: u8 = 0;
pub const V4_DEST_UNREACHABLE: u8 = 3;
pub const V4_ECHO_REQUEST: u8 = 8;
pub const V4_TIME_EXCEEDED: u8 = 11;
pub const V4_PARAMETER_PROBLEM: u8 = 12;

pub const V6_DEST_UNREACHABLE: u8 = 1;
pub const V6_PACKET_TOO_BIG: u8 = 2;
pub const V6_TIME_EXCEEDED: u8 = 3;
pub const V6_PARAMETER_PROBLEM: u8 = 4;
pub const V6_ECHO_REQUEST: u8 = 128;
pub const V6_ECHO_REPLY: u8 = 129;

/// Which ICMP.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Version {
    V4,
    V6,
}

impl Version {
    pub fn of(addr: &IpAddr) -> Version {
        match addr {
            IpAddr::V4(_) => Version::V4,
            IpAddr::V6(_) => Version::V6,
        }
    }
    fn echo_request(self) -> u8 {
        match self {
            Version::V4 => V4_ECHO_REQUEST,
            Version::V6 => V6_ECHO_REQUEST,
        }
    }
}

/// A checked ICMP message (at least the 8-byte header).
#[derive(Debug, Clone, Copy)]
pub struct Icmp<'a> {
    buf: &'a [u8],
    version: Version,
}

impl<'a> Icmp<'a> {
    pub fn parse(buf: &'a [u8], version: Version) -> Result<Icmp<'a>> {
        need("ICMP header", buf, HEADER_LEN)?;
        Ok(Icmp { buf, version })
    }
    pub fn parse_v4(buf: &'a [u8]) -> Result<Icmp<'a>> {
        Icmp::parse(buf, Version::V4)
    }
    pub fn parse_v6(buf: &'a [u8]) -> Result<Icmp<'a>> {
        Icmp::parse(buf, Version::V6)
    }

    pub fn version(&self) -> Version {
        self.version
    }
    pub fn icmp_type(&self) -> u8 {
        self.buf[0]
    }
    pub fn code(&self) -> u8 {
        self.buf[1]
    }
    pub fn checksum(&self) -> u16 {
        be16(self.buf, 2)
    }
    /// The ICMPv4 checksum is over the message alone. (ICMPv6 adds a pseudo-header with
    /// addresses the socket layer knows; the kernel verifies it for ICMPv6 sockets.)
    pub fn checksum_ok_v4(&self) -> bool {
        checksum(&[self.buf]) == 0
    }
    /// The whole message as bytes.
    pub fn bytes(&self) -> &'a [u8] {
        self.buf
    }
    /// Everything after the 8-byte header.
    pub fn body(&self) -> &'a [u8] {
        &self.buf[HEADER_LEN..]
    }

    /// What the message means.
    pub fn message(&self) -> Message<'a> {
        let (ty, code) = (self.icmp_type(), self.code());
        let echo = || Echo {
            id: be16(self.buf, 4),
            seq: be16(self.buf, 6),
            data: self.body(),
        };
        let error = |kind| {
            Message::Error(IcmpError {
                kind,
                info: be32(self.buf, 4),
                quoted: Quoted {
                    bytes: self.body(),
                    version: self.version,
                },
            })
        };
        match (self.version, ty) {
            (Version::V4, V4_ECHO_REPLY) | (Version::V6, V6_ECHO_REPLY) => {
                Message::EchoReply(echo())
            }
            (Version::V4, V4_ECHO_REQUEST) | (Version::V6, V6_ECHO_REQUEST) => {
                Message::EchoRequest(echo())
            }
            _ => match error_kind(self.version, ty, code) {
                Some(kind) => error(kind),
                None => Message::Other {
                    icmp_type: ty,
                    code,
                },
            },
        }
    }
}

/// The error an ICMP type and code stand for (None: not an error message). Also used
/// for the type/code a datagram socket's error queue reports.
pub fn error_kind(version: Version, icmp_type: u8, code: u8) -> Option<IcmpErrorKind> {
    Some(match (version, icmp_type) {
        (Version::V4, V4_DEST_UNREACHABLE) => IcmpErrorKind::from_v4_unreachable(code),
        (Version::V6, V6_DEST_UNREACHABLE) => IcmpErrorKind::from_v6_unreachable(code),
        (Version::V4, V4_TIME_EXCEEDED) | (Version::V6, V6_TIME_EXCEEDED) => {
            if code == 1 {
                IcmpErrorKind::ReassemblyTimeExceeded
            } else {
                IcmpErrorKind::TimeExceeded
            }
        }
        (Version::V4, V4_PARAMETER_PROBLEM) | (Version::V6, V6_PARAMETER_PROBLEM) => {
            IcmpErrorKind::ParameterProblem
        }
        (Version::V6, V6_PACKET_TOO_BIG) => IcmpErrorKind::PacketTooBig,
        _ => return None,
    })
}

/// The meaning of an ICMP message.
#[derive(Debug, Clone, Copy)]
pub enum Message<'a> {
    EchoRequest(Echo<'a>),
    EchoReply(Echo<'a>),
    Error(IcmpError<'a>),
    /// Redirects, router advertisements, neighbour discovery, ...
    Other {
        icmp_type: u8,
        code: u8,
    },
}

/// An echo request or reply.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Echo<'a> {
    pub id: u16,
    pub seq: u16,
    pub data: &'a [u8],
}

/// An ICMP error and the start of the datagram that caused it.
#[derive(Debug, Clone, Copy)]
pub struct IcmpError<'a> {
    pub kind: IcmpErrorKind,
    /// Bytes 4..8 of the header: the next-hop MTU (fragmentation needed, packet too big),
    /// the pointer (parameter problem), or unused.
    pub info: u32,
    pub quoted: Quoted<'a>,
}

/// The datagram an ICMP error quotes: an IP header and the first bytes of its payload.
#[derive(Debug, Clone, Copy)]
pub struct Quoted<'a> {
    bytes: &'a [u8],
    version: Version,
}

/// The quoted datagram's addresses, protocol and payload (never more than was quoted).
#[derive(Debug, Clone, Copy)]
pub struct QuotedIp<'a> {
    pub src: IpAddr,
    pub dst: IpAddr,
    pub protocol: u8,
    pub payload: &'a [u8],
}

impl<'a> Quoted<'a> {
    /// Builds a quote from bytes that start with an IP header (for tests and for callers
    /// that found a quote elsewhere).
    pub fn new(bytes: &'a [u8], version: Version) -> Quoted<'a> {
        Quoted { bytes, version }
    }
    pub fn bytes(&self) -> &'a [u8] {
        self.bytes
    }
    pub fn ip(&self) -> Result<QuotedIp<'a>> {
        match self.version {
            Version::V4 => {
                let ip = Ipv4::parse(self.bytes)?;
                Ok(QuotedIp {
                    src: ip.src().into(),
                    dst: ip.dst().into(),
                    protocol: ip.protocol(),
                    payload: ip.payload(),
                })
            }
            Version::V6 => {
                let ip = Ipv6::parse(self.bytes)?;
                Ok(QuotedIp {
                    src: ip.src().into(),
                    dst: ip.dst().into(),
                    protocol: ip.next_header(),
                    payload: ip.payload(),
                })
            }
        }
    }
    fn payload_of(&self, v4: u8, v6: u8, what: &'static str) -> Result<&'a [u8]> {
        let ip = self.ip()?;
        let want = match self.version {
            Version::V4 => v4,
            Version::V6 => v6,
        };
        if ip.protocol != want {
            return Err(Error::Invalid {
                what,
                field: "quoted protocol",
            });
        }
        Ok(ip.payload)
    }
    /// The quoted echo request (a ping probe), with as much of its data as was quoted.
    pub fn echo_request(&self) -> Result<Echo<'a>> {
        let payload = self.payload_of(ipv4::PROTO_ICMP, ipv6::NEXT_ICMPV6, "quoted ICMP")?;
        let icmp = Icmp::parse(payload, self.version)?;
        match icmp.message() {
            Message::EchoRequest(echo) => Ok(echo),
            _ => Err(Error::Invalid {
                what: "quoted ICMP",
                field: "type",
            }),
        }
    }
    /// The quoted UDP header (a UDP traceroute probe).
    pub fn udp(&self) -> Result<Udp<'a>> {
        Udp::parse(self.payload_of(ipv4::PROTO_UDP, ipv6::NEXT_UDP, "quoted UDP")?)
    }
    /// The start of the quoted TCP header (a TCP traceroute probe).
    pub fn tcp(&self) -> Result<TcpPrefix<'a>> {
        TcpPrefix::parse(self.payload_of(ipv4::PROTO_TCP, ipv6::NEXT_TCP, "quoted TCP")?)
    }
}

/// Writes an echo request into `buf` and returns its length. The checksum is filled in
/// for ICMPv4; for ICMPv6 the kernel computes it (it needs the pseudo-header).
pub fn write_echo_request(
    buf: &mut [u8],
    version: Version,
    id: u16,
    seq: u16,
    data: &[u8],
) -> Result<usize> {
    let len = HEADER_LEN + data.len();
    need("echo request buffer", buf, len)?;
    let out = &mut buf[..len];
    out[0] = version.echo_request();
    out[1] = 0;
    out[2..4].copy_from_slice(&[0, 0]);
    out[4..6].copy_from_slice(&id.to_be_bytes());
    out[6..8].copy_from_slice(&seq.to_be_bytes());
    out[HEADER_LEN..].copy_from_slice(data);
    if version == Version::V4 {
        let sum = checksum(&[out]);
        out[2..4].copy_from_slice(&sum.to_be_bytes());
    }
    Ok(len)
}

#[cfg(test)]
pub(crate) mod tests {
    use super::*;

    /// A raw-socket view of an ICMPv4 time exceeded from 198.18.0.2 about an echo request
    /// 198.18.0.1 -> 198.18.2.2 (id 0x1234, seq 7, data "netlab!!").
    pub(crate) fn time_exceeded_v4() -> Vec<u8> {
        let mut echo = [0u8; 16];
        write_echo_request(&mut echo, Version::V4, 0x1234, 7, b"netlab!!").unwrap();
        let mut quoted = vec![
            0x45, 0, 0, 36, 0, 1, 0x40, 0, 1, 1, 0, 0, 198, 18, 0, 1, 198, 18, 2, 2,
        ];
        quoted.extend_from_slice(&echo);
        let mut icmp = vec![V4_TIME_EXCEEDED, 0, 0, 0, 0, 0, 0, 0];
        icmp.extend_from_slice(&quoted);
        let sum = checksum(&[&icmp]);
        icmp[2..4].copy_from_slice(&sum.to_be_bytes());
        let mut ip = vec![
            0x45, 0xc0, 0, 0, 0, 2, 0, 0, 64, 1, 0, 0, 198, 18, 0, 2, 198, 18, 0, 1,
        ];
        let total = (ip.len() + icmp.len()) as u16;
        ip[2..4].copy_from_slice(&total.to_be_bytes());
        ip.extend_from_slice(&icmp);
        ip
    }

    #[test]
    fn echo_request_round_trips_with_a_valid_checksum() {
        let mut buf = [0u8; 64];
        let n = write_echo_request(&mut buf, Version::V4, 0xbeef, 3, b"abc").unwrap();
        let icmp = Icmp::parse_v4(&buf[..n]).unwrap();
        assert!(icmp.checksum_ok_v4());
        let Message::EchoRequest(echo) = icmp.message() else {
            panic!("not an echo request")
        };
        assert_eq!(
            echo,
            Echo {
                id: 0xbeef,
                seq: 3,
                data: b"abc"
            }
        );
        assert!(write_echo_request(&mut buf[..10], Version::V4, 1, 1, b"abc").is_err());
    }

    #[test]
    fn time_exceeded_gives_the_quoted_probe() {
        let packet = time_exceeded_v4();
        let ip = Ipv4::parse(&packet).unwrap();
        let icmp = Icmp::parse_v4(ip.payload()).unwrap();
        assert!(icmp.checksum_ok_v4());
        let Message::Error(err) = icmp.message() else {
            panic!("not an error")
        };
        assert_eq!(err.kind, IcmpErrorKind::TimeExceeded);
        let quoted = err.quoted.ip().unwrap();
        assert_eq!(quoted.dst, "198.18.2.2".parse::<IpAddr>().unwrap());
        let echo = err.quoted.echo_request().unwrap();
        assert_eq!(
            (echo.id, echo.seq, echo.data),
            (0x1234, 7, &b"netlab!!"[..])
        );
        assert!(err.quoted.udp().is_err());
    }

    #[test]
    fn unreachable_codes_map_per_family() {
        let mut msg = [V4_DEST_UNREACHABLE, 13, 0, 0, 0, 0, 0, 0];
        let Message::Error(e) = Icmp::parse_v4(&msg).unwrap().message() else {
            panic!()
        };
        assert_eq!(e.kind, IcmpErrorKind::AdminProhibited);
        assert!(e.quoted.ip().is_err());
        msg[0] = V6_DEST_UNREACHABLE;
        msg[1] = 0;
        let Message::Error(e) = Icmp::parse_v6(&msg).unwrap().message() else {
            panic!()
        };
        assert_eq!(e.kind.as_str(), "net_unreachable");
        msg[0] = 135; // neighbour solicitation
        assert!(matches!(
            Icmp::parse_v6(&msg).unwrap().message(),
            Message::Other { icmp_type: 135, .. }
        ));
    }
}
