//! ICMP Extended Echo (RFC 8335, "PROBE"): ask a router about one of its own interfaces
//! (is it up, which address families are active on it), named by name, ifIndex or
//! address.
//!
//! Why it exists beside echo: an echo to an interface's address says the router is
//! reachable through some interface, not that this one is up; PROBE asks the router to
//! look. Linux answers it when `net.ipv4.icmp_echo_enable_probe` is 1 (for IPv6 too).
//!
//! The request (ICMPv4 type 42, ICMPv6 type 160): the identifier (16 bits), a sequence
//! number of 8 bits, then 7 reserved bits and the L bit (1: the interface is the
//! router's own, the only kind Linux answers about); then an RFC 4884 extension structure
//! (version 2, checksum) holding one Interface Identification Object, class 3, whose
//! c-type says how the interface is named: 1 by name (padded to 32 bits), 2 by ifIndex
//! (32 bits), 3 by address (AFI 16 bits, address length 8 bits, 8 reserved, the address
//! padded to 32 bits).
//!
//! The reply (type 43 / 161): the code (0 no error, 1 malformed query, 2 no such
//! interface, 3 no such table entry, 4 multiple interfaces satisfy the query), the same
//! identifier and sequence number, then a byte with the state (3 bits, for proxied
//! interfaces only), 2 reserved bits, and the A (active), 4 (IPv4 running) and 6 (IPv6
//! running) bits.

use std::net::IpAddr;

use super::icmp::{Icmp, Version};
use super::{be16, checksum};

pub const V4_EXT_ECHO_REQUEST: u8 = 42;
pub const V4_EXT_ECHO_REPLY: u8 = 43;
pub const V6_EXT_ECHO_REQUEST: u8 = 160;
pub const V6_EXT_ECHO_REPLY: u8 = 161;
/// Class of the Interface Identification Object.
pub const CLASS_INTERFACE_ID: u8 = 3;
const CTYPE_BY_NAME: u8 = 1;
const CTYPE_BY_INDEX: u8 = 2;
const CTYPE_BY_ADDRESS: u8 = 3;
/// The longest interface name a query carries (Linux's IFNAMSIZ is 16 with the NUL).
pub const NAME_MAX: usize = 255;

/// How the probed interface is named.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum InterfaceQuery<'a> {
    Name(&'a str),
    Index(u32),
    Address(IpAddr),
}

impl<'a> InterfaceQuery<'a> {
    /// Reads `NAME|INDEX|ADDRESS` as a user types it: an address if it parses as one, an
    /// index if it is all digits, else a name. None for an empty or too long name.
    pub fn from_text(text: &'a str) -> Option<InterfaceQuery<'a>> {
        if let Ok(addr) = text.parse::<IpAddr>() {
            return Some(InterfaceQuery::Address(addr));
        }
        if !text.is_empty() && text.bytes().all(|b| b.is_ascii_digit()) {
            return text.parse().ok().map(InterfaceQuery::Index);
        }
        (!text.is_empty() && text.len() <= NAME_MAX).then_some(InterfaceQuery::Name(text))
    }

    /// How the interface is asked for: `name`, `index` or `address` (JSON `query`).
    pub fn kind(&self) -> &'static str {
        match self {
            InterfaceQuery::Name(_) => "name",
            InterfaceQuery::Index(_) => "index",
            InterfaceQuery::Address(_) => "address",
        }
    }
}

/// Writes an Extended Echo Request asking about `query` on the router itself (L = 1)
/// into `buf`, returning its length, or None when `buf` is too small. ICMPv4's checksum
/// is filled in; ICMPv6's is left 0 for the kernel (it covers a pseudo-header).
pub fn write_request(
    buf: &mut [u8],
    version: Version,
    ident: u16,
    seq: u8,
    query: InterfaceQuery<'_>,
) -> Option<usize> {
    let mut payload = [0u8; 4 + 16];
    let (c_type, payload_len) = match query {
        InterfaceQuery::Name(name) => (CTYPE_BY_NAME, name.len().div_ceil(4) * 4),
        InterfaceQuery::Index(index) => {
            payload[..4].copy_from_slice(&index.to_be_bytes());
            (CTYPE_BY_INDEX, 4)
        }
        InterfaceQuery::Address(addr) => {
            let (afi, len) = match addr {
                IpAddr::V4(a) => {
                    payload[4..8].copy_from_slice(&a.octets());
                    (1u16, 4)
                }
                IpAddr::V6(a) => {
                    payload[4..20].copy_from_slice(&a.octets());
                    (2u16, 16)
                }
            };
            payload[..2].copy_from_slice(&afi.to_be_bytes());
            payload[2] = len as u8;
            (CTYPE_BY_ADDRESS, 4 + len)
        }
    };
    let object_len = 4 + payload_len;
    let total = 8 + 4 + object_len;
    let out = buf.get_mut(..total)?;
    out.fill(0);
    out[0] = match version {
        Version::V4 => V4_EXT_ECHO_REQUEST,
        Version::V6 => V6_EXT_ECHO_REQUEST,
    };
    out[4..6].copy_from_slice(&ident.to_be_bytes());
    out[6] = seq;
    out[7] = 1; // L: the router's own interface.
    out[8] = 2 << 4; // extension version 2
    out[12..14].copy_from_slice(&(object_len as u16).to_be_bytes());
    out[14] = CLASS_INTERFACE_ID;
    out[15] = c_type;
    match query {
        InterfaceQuery::Name(name) => out[16..16 + name.len()].copy_from_slice(name.as_bytes()),
        _ => out[16..16 + payload_len].copy_from_slice(&payload[..payload_len]),
    }
    let ext_sum = checksum(&[&out[8..]]);
    out[10..12].copy_from_slice(&ext_sum.to_be_bytes());
    if version == Version::V4 {
        let sum = checksum(&[out]);
        out[2..4].copy_from_slice(&sum.to_be_bytes());
    }
    Some(total)
}

/// What the router said (the reply's code).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ProbeCode {
    NoError,
    MalformedQuery,
    NoSuchInterface,
    NoSuchTableEntry,
    MultipleInterfaces,
    Other(u8),
}

impl ProbeCode {
    fn from_code(code: u8) -> ProbeCode {
        match code {
            0 => ProbeCode::NoError,
            1 => ProbeCode::MalformedQuery,
            2 => ProbeCode::NoSuchInterface,
            3 => ProbeCode::NoSuchTableEntry,
            4 => ProbeCode::MultipleInterfaces,
            other => ProbeCode::Other(other),
        }
    }

    /// The code as sent (RFC 8335 section 3).
    pub fn code(self) -> u8 {
        match self {
            ProbeCode::NoError => 0,
            ProbeCode::MalformedQuery => 1,
            ProbeCode::NoSuchInterface => 2,
            ProbeCode::NoSuchTableEntry => 3,
            ProbeCode::MultipleInterfaces => 4,
            ProbeCode::Other(code) => code,
        }
    }

    /// Stable snake_case name (JSON `meaning`).
    pub fn name(self) -> &'static str {
        match self {
            ProbeCode::NoError => "no_error",
            ProbeCode::MalformedQuery => "malformed_query",
            ProbeCode::NoSuchInterface => "no_such_interface",
            ProbeCode::NoSuchTableEntry => "no_such_table_entry",
            ProbeCode::MultipleInterfaces => "multiple_interfaces",
            ProbeCode::Other(_) => "other",
        }
    }

    /// Words for people.
    pub fn describe(self) -> String {
        match self {
            ProbeCode::NoError => "no error".into(),
            ProbeCode::MalformedQuery => "malformed query".into(),
            ProbeCode::NoSuchInterface => "no such interface".into(),
            ProbeCode::NoSuchTableEntry => "no such table entry".into(),
            ProbeCode::MultipleInterfaces => "multiple interfaces satisfy the query".into(),
            ProbeCode::Other(code) => format!("code {code}"),
        }
    }
}

/// A parsed Extended Echo Reply.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct ExtEchoReply {
    pub ident: u16,
    pub seq: u8,
    pub code: ProbeCode,
    /// State of a proxied interface (0 for the router's own).
    pub state: u8,
    /// The interface is active (up).
    pub active: bool,
    pub ipv4: bool,
    pub ipv6: bool,
}

impl ExtEchoReply {
    /// The reply in `icmp`, if it is an Extended Echo Reply of its family.
    pub fn parse(icmp: &Icmp<'_>) -> Option<ExtEchoReply> {
        let reply_type = match icmp.version() {
            Version::V4 => V4_EXT_ECHO_REPLY,
            Version::V6 => V6_EXT_ECHO_REPLY,
        };
        if icmp.icmp_type() != reply_type {
            return None;
        }
        // Icmp::parse checked the 8-byte header.
        let bytes = icmp.bytes();
        let flags = bytes[7];
        Some(ExtEchoReply {
            ident: be16(bytes, 4),
            seq: bytes[6],
            code: ProbeCode::from_code(icmp.code()),
            state: flags >> 5,
            active: flags & 0x04 != 0,
            ipv4: flags & 0x02 != 0,
            ipv6: flags & 0x01 != 0,
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_code_reads_back_as_sent() {
        for code in 0..=255u8 {
            let read = ProbeCode::from_code(code);
            assert_eq!(read.code(), code);
            assert_eq!(read.name() == "other", code > 4, "{code}");
        }
    }

    #[test]
    fn queries_read_as_users_type_them() {
        use InterfaceQuery::*;
        assert_eq!(InterfaceQuery::from_text("eth0"), Some(Name("eth0")));
        assert_eq!(InterfaceQuery::from_text("15"), Some(Index(15)));
        assert_eq!(
            InterfaceQuery::from_text("fd4e:6c61:62::2"),
            Some(Address("fd4e:6c61:62::2".parse().unwrap()))
        );
        assert_eq!(
            InterfaceQuery::from_text("198.18.0.2"),
            Some(Address("198.18.0.2".parse().unwrap()))
        );
        assert_eq!(InterfaceQuery::from_text(""), None);
        assert_eq!(InterfaceQuery::from_text("99999999999"), None);
        assert_eq!(InterfaceQuery::from_text(&"x".repeat(256)), None);
    }

    /// Requests written out byte by byte from RFC 8335 §2 and RFC 4884 §7.
    #[test]
    fn requests_by_name_index_and_address_have_the_rfc_layout() {
        let mut buf = [0u8; 64];
        let n = write_request(
            &mut buf,
            Version::V4,
            0x1234,
            7,
            InterfaceQuery::Name("eth0"),
        )
        .unwrap();
        let mut want = vec![42, 0, 0, 0, 0x12, 0x34, 7, 1, 0x20, 0, 0, 0, 0, 8, 3, 1];
        want.extend_from_slice(b"eth0");
        // The checksums are checked by summing below.
        want[10..12].copy_from_slice(&buf[10..12]);
        assert_eq!(buf[..n][4..], want[4..]);
        assert_eq!(buf[0], 42);
        assert_eq!(checksum(&[&buf[..n]]), 0, "ICMP checksum");
        assert_eq!(checksum(&[&buf[8..n]]), 0, "extension checksum");

        let n = write_request(&mut buf, Version::V6, 1, 2, InterfaceQuery::Index(15)).unwrap();
        assert_eq!(
            buf[..n],
            [160, 0, 0, 0, 0, 1, 2, 1, 0x20, 0, buf[10], buf[11], 0, 8, 3, 2, 0, 0, 0, 15]
        );
        assert_eq!(checksum(&[&buf[8..n]]), 0);

        let addr: IpAddr = "fd4e:6c61:62::2".parse().unwrap();
        let n = write_request(&mut buf, Version::V6, 1, 3, InterfaceQuery::Address(addr)).unwrap();
        assert_eq!(n, 8 + 4 + 4 + 4 + 16);
        assert_eq!(buf[12..20], [0, 24, 3, 3, 0, 2, 16, 0]);
        let n = write_request(
            &mut buf,
            Version::V4,
            1,
            3,
            InterfaceQuery::Address("198.18.0.2".parse().unwrap()),
        )
        .unwrap();
        assert_eq!(buf[12..n], [0, 12, 3, 3, 0, 1, 4, 0, 198, 18, 0, 2]);
        // A name is zero-padded to 32 bits; a buffer too small is refused.
        let n = write_request(&mut buf, Version::V4, 1, 1, InterfaceQuery::Name("lo")).unwrap();
        assert_eq!(buf[12..n], [0, 8, 3, 1, b'l', b'o', 0, 0]);
        assert!(
            write_request(&mut buf[..10], Version::V4, 1, 1, InterfaceQuery::Index(1)).is_none()
        );
    }

    #[test]
    fn replies_give_code_state_and_flags() {
        // Up with IPv4 and IPv6 (A, 4, 6 set).
        let up = [43, 0, 0, 0, 0x12, 0x34, 7, 0x07];
        let reply = ExtEchoReply::parse(&Icmp::parse_v4(&up).unwrap()).unwrap();
        assert_eq!(
            reply,
            ExtEchoReply {
                ident: 0x1234,
                seq: 7,
                code: ProbeCode::NoError,
                state: 0,
                active: true,
                ipv4: true,
                ipv6: true,
            }
        );
        // No such interface, over ICMPv6.
        let none = [161, 2, 0, 0, 0, 1, 9, 0];
        let reply = ExtEchoReply::parse(&Icmp::parse_v6(&none).unwrap()).unwrap();
        assert_eq!(reply.code, ProbeCode::NoSuchInterface);
        assert!(!reply.active);
        assert_eq!(reply.code.describe(), "no such interface");
        // A proxied interface's state; an unknown code.
        let proxied = [43, 9, 0, 0, 0, 1, 1, 2 << 5];
        let reply = ExtEchoReply::parse(&Icmp::parse_v4(&proxied).unwrap()).unwrap();
        assert_eq!((reply.state, reply.code), (2, ProbeCode::Other(9)));
        // Another type, or the other family's number, is not a reply.
        assert!(ExtEchoReply::parse(&Icmp::parse_v4(&none).unwrap()).is_none());
        assert!(ExtEchoReply::parse(&Icmp::parse_v6(&up).unwrap()).is_none());
    }
}
