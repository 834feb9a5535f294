//! Zero-copy views over packets, for ping now and traceroute later.
//!
//! Every view borrows the bytes it was parsed from, reads fields big-endian at fixed
//! offsets, and is built by a `parse(&[u8]) -> Result<View, Error>` that checks every
//! length it will later rely on — so accessors never index out of bounds, parsing never
//! allocates, and hostile bytes (a raw socket sees every ICMP packet on the host) can at
//! worst produce an [`Error`]. `tests.rs` feeds random and truncated input to prove it.
//!
//! - [`ipv4`], [`ipv6`]: IP headers (a raw ICMPv4 socket hands us the IPv4 header; an
//!   ICMP error quotes the IP header of the packet that caused it).
//! - [`icmp`]: ICMPv4 and ICMPv6 messages: echo request/reply, destination unreachable
//!   with its codes, time exceeded, parameter problem, packet too big, each error giving
//!   access to the quoted datagram.
//! - [`extensions`]: RFC 4884 ICMP extensions in every layout routers send, RFC 4950 MPLS
//!   label stacks, and [`interface_info`]: RFC 5837 interface information (trace).
//! - [`ext_echo`]: RFC 8335 Extended Echo ("PROBE"): is a router's interface up.
//! - [`transport`]: the first bytes of quoted UDP and TCP headers (ports, TCP sequence).
//! - [`scan`]: what a SYN scan reads: a SYN-ACK or RST, an ICMP error quoting a SYN.
//! - [`IcmpErrorKind`]: one family-independent name for every ICMP error, used by the
//!   output of ping and trace.

use std::fmt;

pub mod ext_echo;
pub mod extensions;
pub mod icmp;
pub mod interface_info;
pub mod ipv4;
pub mod ipv6;
pub mod scan;
pub mod transport;

#[cfg(test)]
mod tests;

/// Why bytes are not the packet they claim to be.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Error {
    /// Fewer bytes than the header (or the length field) needs.
    Truncated {
        what: &'static str,
        need: usize,
        have: usize,
    },
    /// A field holds a value the format does not allow.
    Invalid {
        what: &'static str,
        field: &'static str,
    },
}

impl fmt::Display for Error {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Error::Truncated { what, need, have } => {
                write!(f, "truncated {what}: {have} bytes, need {need}")
            }
            Error::Invalid { what, field } => write!(f, "invalid {what}: bad {field}"),
        }
    }
}

impl std::error::Error for Error {}

pub type Result<T> = std::result::Result<T, Error>;

/// Checks `buf.len() >= need`, the one bounds check each parser starts with.
fn need(what: &'static str, buf: &[u8], need: usize) -> Result<()> {
    if buf.len() < need {
        Err(Error::Truncated {
            what,
            need,
            have: buf.len(),
        })
    } else {
        Ok(())
    }
}

/// Big-endian u16 at `at`; callers have checked the length at parse time.
#[inline]
fn be16(buf: &[u8], at: usize) -> u16 {
    u16::from_be_bytes([buf[at], buf[at + 1]])
}

#[inline]
fn be32(buf: &[u8], at: usize) -> u32 {
    u32::from_be_bytes([buf[at], buf[at + 1], buf[at + 2], buf[at + 3]])
}

/// The Internet checksum (RFC 1071) over the concatenation of `parts`; odd-length parts
/// are handled as if the bytes were contiguous. A buffer whose checksum field is correct
/// sums to 0.
pub fn checksum(parts: &[&[u8]]) -> u16 {
    let mut sum: u64 = 0;
    let mut carry_byte: Option<u8> = None;
    for part in parts {
        let mut bytes = *part;
        if let Some(high) = carry_byte.take() {
            if let Some((&low, rest)) = bytes.split_first() {
                sum += u64::from(u16::from_be_bytes([high, low]));
                bytes = rest;
            } else {
                carry_byte = Some(high);
                continue;
            }
        }
        let mut chunks = bytes.chunks_exact(2);
        for pair in &mut chunks {
            sum += u64::from(u16::from_be_bytes([pair[0], pair[1]]));
        }
        if let [last] = chunks.remainder() {
            carry_byte = Some(*last);
        }
    }
    if let Some(high) = carry_byte {
        sum += u64::from(u16::from_be_bytes([high, 0]));
    }
    while sum >> 16 != 0 {
        sum = (sum & 0xffff) + (sum >> 16);
    }
    !(sum as u16)
}

/// Every ICMP error, named the same for IPv4 and IPv6 (the JSON `kind` field).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum IcmpErrorKind {
    NetUnreachable,
    HostUnreachable,
    ProtocolUnreachable,
    PortUnreachable,
    FragmentationNeeded,
    SourceRouteFailed,
    NetUnknown,
    HostUnknown,
    SourceHostIsolated,
    NetProhibited,
    HostProhibited,
    NetUnreachableForTos,
    HostUnreachableForTos,
    AdminProhibited,
    HostPrecedenceViolation,
    PrecedenceCutoff,
    /// ICMPv6 destination unreachable, code 2.
    BeyondScope,
    /// ICMPv6 destination unreachable, code 5.
    SourcePolicyFailed,
    /// ICMPv6 destination unreachable, code 6.
    RejectRoute,
    /// A destination-unreachable code this list does not know.
    Unreachable(u8),
    /// TTL / hop limit exceeded in transit.
    TimeExceeded,
    /// Fragment reassembly time exceeded.
    ReassemblyTimeExceeded,
    ParameterProblem,
    /// ICMPv6 packet too big.
    PacketTooBig,
}

impl IcmpErrorKind {
    /// Stable snake_case name (JSON `kind`).
    pub fn as_str(self) -> &'static str {
        use IcmpErrorKind::*;
        match self {
            NetUnreachable => "net_unreachable",
            HostUnreachable => "host_unreachable",
            ProtocolUnreachable => "protocol_unreachable",
            PortUnreachable => "port_unreachable",
            FragmentationNeeded => "fragmentation_needed",
            SourceRouteFailed => "source_route_failed",
            NetUnknown => "net_unknown",
            HostUnknown => "host_unknown",
            SourceHostIsolated => "source_host_isolated",
            NetProhibited => "net_prohibited",
            HostProhibited => "host_prohibited",
            NetUnreachableForTos => "net_unreachable_for_tos",
            HostUnreachableForTos => "host_unreachable_for_tos",
            AdminProhibited => "admin_prohibited",
            HostPrecedenceViolation => "host_precedence_violation",
            PrecedenceCutoff => "precedence_cutoff",
            BeyondScope => "beyond_scope",
            SourcePolicyFailed => "source_policy_failed",
            RejectRoute => "reject_route",
            Unreachable(_) => "unreachable",
            TimeExceeded => "time_exceeded",
            ReassemblyTimeExceeded => "reassembly_time_exceeded",
            ParameterProblem => "parameter_problem",
            PacketTooBig => "packet_too_big",
        }
    }

    /// Words for people, as ping prints them.
    pub fn describe(self) -> String {
        use IcmpErrorKind::*;
        match self {
            NetUnreachable => "network unreachable".into(),
            HostUnreachable => "host unreachable".into(),
            ProtocolUnreachable => "protocol unreachable".into(),
            PortUnreachable => "port unreachable".into(),
            FragmentationNeeded => "fragmentation needed".into(),
            SourceRouteFailed => "source route failed".into(),
            NetUnknown => "destination network unknown".into(),
            HostUnknown => "destination host unknown".into(),
            SourceHostIsolated => "source host isolated".into(),
            NetProhibited => "network administratively prohibited".into(),
            HostProhibited => "host administratively prohibited".into(),
            NetUnreachableForTos => "network unreachable for TOS".into(),
            HostUnreachableForTos => "host unreachable for TOS".into(),
            AdminProhibited => "communication administratively prohibited".into(),
            HostPrecedenceViolation => "host precedence violation".into(),
            PrecedenceCutoff => "precedence cutoff in effect".into(),
            BeyondScope => "beyond scope of source address".into(),
            SourcePolicyFailed => "source address failed ingress/egress policy".into(),
            RejectRoute => "reject route to destination".into(),
            Unreachable(code) => format!("destination unreachable (code {code})"),
            TimeExceeded => "time to live exceeded".into(),
            ReassemblyTimeExceeded => "fragment reassembly time exceeded".into(),
            ParameterProblem => "parameter problem".into(),
            PacketTooBig => "packet too big".into(),
        }
    }

    /// ICMPv4 type 3 codes (RFC 792, RFC 1812).
    pub fn from_v4_unreachable(code: u8) -> IcmpErrorKind {
        use IcmpErrorKind::*;
        match code {
            0 => NetUnreachable,
            1 => HostUnreachable,
            2 => ProtocolUnreachable,
            3 => PortUnreachable,
            4 => FragmentationNeeded,
            5 => SourceRouteFailed,
            6 => NetUnknown,
            7 => HostUnknown,
            8 => SourceHostIsolated,
            9 => NetProhibited,
            10 => HostProhibited,
            11 => NetUnreachableForTos,
            12 => HostUnreachableForTos,
            13 => AdminProhibited,
            14 => HostPrecedenceViolation,
            15 => PrecedenceCutoff,
            other => Unreachable(other),
        }
    }

    /// ICMPv6 type 1 codes (RFC 4443).
    pub fn from_v6_unreachable(code: u8) -> IcmpErrorKind {
        use IcmpErrorKind::*;
        match code {
            0 => NetUnreachable,
            1 => AdminProhibited,
            2 => BeyondScope,
            3 => HostUnreachable,
            4 => PortUnreachable,
            5 => SourcePolicyFailed,
            6 => RejectRoute,
            other => Unreachable(other),
        }
    }

    /// Whether this error means "the packet's lifetime ran out" (a traceroute hop).
    pub fn is_time_exceeded(self) -> bool {
        matches!(self, IcmpErrorKind::TimeExceeded)
    }
}

impl fmt::Display for IcmpErrorKind {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.describe())
    }
}
