//! The RFC 5837 Interface Information object: which interface of a router a probe came in
//! by (or would have left by), named by ifIndex, address, name and MTU.
//!
//! Why decode it: for someone tracing through a provider it names the exact port the probe
//! entered by, which the source address of a Time Exceeded (often a loopback) does not.
//! Linux traceroute prints the object as hex and trippy does not show it, so the layout is
//! decoded here from the RFC alone.
//!
//! The object is class 2 of an RFC 4884 extension structure. Its c-type is a bit field
//! (RFC 5837 §4.1, bit 0 the most significant): the interface role in the two top bits
//! (0 the incoming IP interface, 1 a sub-IP component of it, 2 the outgoing IP interface,
//! 3 the IP next hop), two reserved bits, then one bit per field present — ifIndex, IP
//! address, name, MTU — and the fields follow in that order: the ifIndex (32 bits); the
//! IP address sub-object (AFI, 1 for IPv4 or 2 for IPv6, 16 bits; 16 reserved bits; the
//! address); the name sub-object (a length octet counting itself, a multiple of 4 and at
//! most 64, then the name in UTF-8, zero-padded); the MTU (32 bits).
//!
//! An object whose fields do not fit its length, or with an unknown AFI or a bad name
//! length, does not decode: the caller keeps it as an unknown object (class, c-type and
//! bytes), so nothing the router sent is lost or half-read.

use std::net::{IpAddr, Ipv4Addr, Ipv6Addr};

use super::be32;
use super::extensions::Object;

/// Extension object class of interface information (RFC 5837).
pub const CLASS_INTERFACE_INFO: u8 = 2;

const HAS_IFINDEX: u8 = 0x08;
const HAS_ADDRESS: u8 = 0x04;
const HAS_NAME: u8 = 0x02;
const HAS_MTU: u8 = 0x01;
const AFI_IPV4: u16 = 1;
const AFI_IPV6: u16 = 2;
/// RFC 5837 §4.1.3: the name sub-object is at most 64 octets, its length octet included.
const NAME_MAX: usize = 64;

/// Which interface the object describes (RFC 5837 §4.1).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Role {
    /// The interface the probe arrived on.
    Incoming,
    /// A sub-IP component (e.g. a member link of a bundle) of the incoming interface.
    SubIp,
    /// The interface the probe would have left by.
    Outgoing,
    /// The next hop the probe would have been sent to.
    NextHop,
}

impl Role {
    fn from_c_type(c_type: u8) -> Role {
        match c_type >> 6 {
            0 => Role::Incoming,
            1 => Role::SubIp,
            2 => Role::Outgoing,
            _ => Role::NextHop,
        }
    }

    /// The role's two bits, at the top of the c-type.
    pub fn bits(self) -> u8 {
        match self {
            Role::Incoming => 0,
            Role::SubIp => 1,
            Role::Outgoing => 2,
            Role::NextHop => 3,
        }
    }

    /// Stable snake_case name (JSON `role`).
    pub fn as_str(self) -> &'static str {
        match self {
            Role::Incoming => "incoming",
            Role::SubIp => "sub_ip",
            Role::Outgoing => "outgoing",
            Role::NextHop => "next_hop",
        }
    }

    /// The short form on a table line: `in`, `sub-ip`, `out`, `next-hop`.
    pub fn short(self) -> &'static str {
        match self {
            Role::Incoming => "in",
            Role::SubIp => "sub-ip",
            Role::Outgoing => "out",
            Role::NextHop => "next-hop",
        }
    }
}

/// A decoded interface information object, borrowing the name from the packet.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct InterfaceInfo<'a> {
    pub role: Role,
    pub if_index: Option<u32>,
    pub address: Option<IpAddr>,
    /// The name's bytes without the zero padding (UTF-8 by the RFC, not trusted to be).
    pub name: Option<&'a [u8]>,
    pub mtu: Option<u32>,
}

impl<'a> InterfaceInfo<'a> {
    /// Decodes an extension object of class 2; None for any other class or a malformed
    /// object (module docs).
    pub fn decode(object: &Object<'a>) -> Option<InterfaceInfo<'a>> {
        if object.class != CLASS_INTERFACE_INFO {
            return None;
        }
        let flags = object.c_type;
        let mut rest = object.payload;
        let mut take = |n: usize| -> Option<&'a [u8]> {
            let (head, tail) = (rest.get(..n)?, rest.get(n..)?);
            rest = tail;
            Some(head)
        };
        let if_index = if flags & HAS_IFINDEX != 0 {
            Some(be32(take(4)?, 0))
        } else {
            None
        };
        let address = if flags & HAS_ADDRESS != 0 {
            let head = take(4)?;
            match u16::from_be_bytes([head[0], head[1]]) {
                AFI_IPV4 => Some(IpAddr::V4(Ipv4Addr::from(
                    <[u8; 4]>::try_from(take(4)?).ok()?,
                ))),
                AFI_IPV6 => Some(IpAddr::V6(Ipv6Addr::from(
                    <[u8; 16]>::try_from(take(16)?).ok()?,
                ))),
                _ => return None,
            }
        } else {
            None
        };
        let name = if flags & HAS_NAME != 0 {
            let len = usize::from(*take(1)?.first()?);
            if !(4..=NAME_MAX).contains(&len) || len % 4 != 0 {
                return None;
            }
            let bytes = take(len - 1)?;
            let end = bytes.iter().rposition(|&b| b != 0).map_or(0, |i| i + 1);
            Some(&bytes[..end])
        } else {
            None
        };
        let mtu = if flags & HAS_MTU != 0 {
            Some(be32(take(4)?, 0))
        } else {
            None
        };
        Some(InterfaceInfo {
            role: Role::from_c_type(flags),
            if_index,
            address,
            name,
            mtu,
        })
    }

    /// The name as text: invalid UTF-8 replaced, control characters escaped (it goes to
    /// a terminal).
    pub fn name_text(&self) -> Option<String> {
        self.name
            .map(|n| String::from_utf8_lossy(n).escape_debug().to_string())
    }
}

/// Builds an interface information object (header included), for tests, simulations and
/// fuzz seeds. `name` must be at most 63 bytes.
pub fn build_interface_object(
    role: Role,
    if_index: Option<u32>,
    address: Option<IpAddr>,
    name: Option<&str>,
    mtu: Option<u32>,
) -> Vec<u8> {
    let mut c_type = role.bits() << 6;
    let mut payload = Vec::new();
    if let Some(i) = if_index {
        c_type |= HAS_IFINDEX;
        payload.extend_from_slice(&i.to_be_bytes());
    }
    match address {
        Some(IpAddr::V4(a)) => {
            c_type |= HAS_ADDRESS;
            payload.extend_from_slice(&[0, AFI_IPV4 as u8, 0, 0]);
            payload.extend_from_slice(&a.octets());
        }
        Some(IpAddr::V6(a)) => {
            c_type |= HAS_ADDRESS;
            payload.extend_from_slice(&[0, AFI_IPV6 as u8, 0, 0]);
            payload.extend_from_slice(&a.octets());
        }
        None => {}
    }
    if let Some(n) = name {
        c_type |= HAS_NAME;
        let len = (n.len() + 1).div_ceil(4) * 4;
        payload.push(len as u8);
        payload.extend_from_slice(n.as_bytes());
        payload.resize(payload.len() + len - 1 - n.len(), 0);
    }
    if let Some(m) = mtu {
        c_type |= HAS_MTU;
        payload.extend_from_slice(&m.to_be_bytes());
    }
    let mut object = ((4 + payload.len()) as u16).to_be_bytes().to_vec();
    object.extend_from_slice(&[CLASS_INTERFACE_INFO, c_type]);
    object.extend_from_slice(&payload);
    object
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::packet::extensions::Extensions;

    fn object(bytes: &[u8]) -> Object<'_> {
        Object {
            class: bytes[2],
            c_type: bytes[3],
            payload: &bytes[4..],
        }
    }

    /// The layout of the object in tcpdump's `icmp-rfc5837.pcap` (c-type 14: incoming,
    /// ifIndex, address, name; a 64-byte name sub-object), bytes written out from RFC 5837.
    #[test]
    fn decodes_the_incoming_interface_with_ifindex_ipv4_and_a_64_byte_name() {
        let name = "ge-1/2/3.100-a-name-that-fills-the-sixty-four-byte-sub-object-x";
        assert_eq!(name.len(), 63);
        let mut bytes = vec![0, 4 + 4 + 8 + 64, 2, 0x0e];
        bytes.extend_from_slice(&[0, 0, 0, 15]); // ifIndex
        bytes.extend_from_slice(&[0, 1, 0, 0, 10, 10, 10, 10]); // AFI 1, 10.10.10.10
        bytes.push(64);
        bytes.extend_from_slice(name.as_bytes());
        let info = InterfaceInfo::decode(&object(&bytes)).unwrap();
        assert_eq!(info.role, Role::Incoming);
        assert_eq!(info.if_index, Some(15));
        assert_eq!(info.address, Some("10.10.10.10".parse().unwrap()));
        assert_eq!(info.name_text().as_deref(), Some(name));
        assert_eq!(info.mtu, None);
        // The builder writes the same bytes.
        let built =
            build_interface_object(Role::Incoming, Some(15), info.address, Some(name), None);
        assert_eq!(built, bytes);
    }

    #[test]
    fn every_role_and_field_combination_round_trips_with_ipv6() {
        let v6: IpAddr = "fd4e:6c61:62:1::1".parse().unwrap();
        for role in [Role::Incoming, Role::SubIp, Role::Outgoing, Role::NextHop] {
            for mask in 0u8..16 {
                let if_index = (mask & 8 != 0).then_some(7);
                let address = (mask & 4 != 0).then_some(v6);
                let name = (mask & 2 != 0).then_some("xe-0/0/1");
                let mtu = (mask & 1 != 0).then_some(9000);
                let bytes = build_interface_object(role, if_index, address, name, mtu);
                assert_eq!(bytes[3] & 0x0f, mask);
                let info = InterfaceInfo::decode(&object(&bytes)).unwrap();
                assert_eq!(info.role, role);
                assert_eq!(
                    (info.if_index, info.address, info.name_text(), info.mtu),
                    (if_index, address, name.map(String::from), mtu),
                    "{role:?} {mask:04b}"
                );
            }
        }
        assert_eq!(Role::SubIp.as_str(), "sub_ip");
        assert_eq!(Role::NextHop.short(), "next-hop");
    }

    #[test]
    fn malformed_objects_do_not_decode_and_never_panic() {
        let good = build_interface_object(
            Role::Incoming,
            Some(15),
            Some("10.10.10.10".parse().unwrap()),
            Some("xe-0/0/1"),
            Some(9000),
        );
        // Every truncation fails cleanly (the fields no longer fit).
        for cut in 4..good.len() {
            assert!(
                InterfaceInfo::decode(&object(&good[..cut])).is_none(),
                "{cut}"
            );
        }
        // Unknown AFI.
        let mut bad = good.clone();
        bad[9] = 3;
        assert!(InterfaceInfo::decode(&object(&bad)).is_none());
        // Name length not a multiple of 4, below 4, above 64.
        for len in [5u8, 0, 68] {
            let mut bad = good.clone();
            bad[16] = len;
            assert!(InterfaceInfo::decode(&object(&bad)).is_none(), "{len}");
        }
        // Another class is not interface information.
        let mut other = good.clone();
        other[2] = 1;
        assert!(InterfaceInfo::decode(&object(&other)).is_none());
        // Control characters in a name are escaped, invalid UTF-8 replaced.
        let mut odd = build_interface_object(Role::Outgoing, None, None, Some("a\x1bb"), None);
        odd[5] = 0xff;
        let info = InterfaceInfo::decode(&object(&odd)).unwrap();
        assert_eq!(info.name_text().as_deref(), Some("\u{fffd}\\u{1b}b"));
    }

    /// Inside a whole structure, next to an MPLS object and an unknown one.
    #[test]
    fn found_in_a_structure_beside_other_objects() {
        // Checksum 0: not computed, accepted where the length field points.
        let mut ext = vec![0x20, 0, 0, 0];
        ext.extend_from_slice(&build_interface_object(
            Role::Outgoing,
            Some(3),
            None,
            None,
            Some(1500),
        ));
        ext.extend_from_slice(&[0, 8, 9, 1, 0xde, 0xad, 0xbe, 0xef]);
        let parsed = Extensions::parse(&ext, false).unwrap();
        let objects: Vec<_> = parsed.objects().collect();
        assert_eq!(objects.len(), 2);
        let info = InterfaceInfo::decode(&objects[0]).unwrap();
        assert_eq!(
            (info.role, info.if_index, info.mtu),
            (Role::Outgoing, Some(3), Some(1500))
        );
        assert!(InterfaceInfo::decode(&objects[1]).is_none());
        assert_eq!(objects[1].payload, [0xde, 0xad, 0xbe, 0xef]);
    }
}
