//! ICMP extensions (RFC 4884) and the MPLS label stack object (RFC 4950): what an MPLS
//! router appends to a Time Exceeded so that traceroute can show the labels the probe
//! carried when its TTL ran out.
//!
//! Where the extension structure starts. RFC 4884 routers put the length of the quoted
//! "original datagram" field in the ICMP header (ICMPv4: byte 5, in 32-bit words;
//! ICMPv6: byte 4, in 64-bit words), pad that field to at least 128 bytes, and append the
//! structure after it. Routers older than RFC 4884 (many MPLS ones, RFC 4950's own era)
//! leave the length at 0 and always put the structure at byte 128 of the quote; like
//! Linux traceroute, a zero length with more than 128 quoted bytes is read that way, and
//! only accepted if the header there has version 2 and a valid (or zero) checksum.
//!
//! The structure: a 4-byte header (version 2 in the top nibble, a checksum over the whole
//! structure), then objects of `length` (16 bits, header included, at least 4, a multiple
//! of 4), `class-num`, `c-type`, payload. MPLS label stack entries (class 1, c-type 1) are
//! 4 bytes each: label (20 bits), traffic class (3, the old "EXP"), bottom-of-stack (1),
//! TTL (8).

use super::icmp::{Icmp, Version};
use super::{be16, be32, checksum};

/// RFC 4884's minimum size of the padded original-datagram field.
pub const ORIGINAL_DATAGRAM_MIN: usize = 128;
/// Extension object class of the MPLS label stack (RFC 4950).
pub const CLASS_MPLS: u8 = 1;
/// The c-type of an incoming MPLS label stack.
pub const CTYPE_MPLS_INCOMING: u8 = 1;

const EXT_VERSION: u8 = 2;
const EXT_HEADER_LEN: usize = 4;
const OBJECT_HEADER_LEN: usize = 4;

/// A checked extension structure: the bytes of its objects.
#[derive(Debug, Clone, Copy)]
pub struct Extensions<'a> {
    objects: &'a [u8],
}

/// One extension object.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Object<'a> {
    pub class: u8,
    pub c_type: u8,
    pub payload: &'a [u8],
}

/// One MPLS label stack entry.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub struct MplsLabel {
    /// The 20-bit label.
    pub label: u32,
    /// Traffic class (formerly "experimental") bits.
    pub exp: u8,
    /// Bottom of stack.
    pub bottom: bool,
    pub ttl: u8,
}

impl MplsLabel {
    pub fn from_entry(entry: u32) -> MplsLabel {
        MplsLabel {
            label: entry >> 12,
            exp: ((entry >> 9) & 0x7) as u8,
            bottom: entry & 0x100 != 0,
            ttl: (entry & 0xff) as u8,
        }
    }
}

impl std::fmt::Display for MplsLabel {
    /// traceroute's form: `L=24001 E=0 S=1 T=1`.
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(
            f,
            "L={} E={} S={} T={}",
            self.label,
            self.exp,
            u8::from(self.bottom),
            self.ttl
        )
    }
}

/// Whether this ICMP type may carry RFC 4884 extensions (Destination Unreachable, Time
/// Exceeded, Parameter Problem).
fn may_carry_extensions(icmp: &Icmp<'_>) -> bool {
    use super::icmp::*;
    matches!(
        (icmp.version(), icmp.icmp_type()),
        (
            Version::V4,
            V4_DEST_UNREACHABLE | V4_TIME_EXCEEDED | V4_PARAMETER_PROBLEM
        ) | (Version::V6, V6_DEST_UNREACHABLE | V6_TIME_EXCEEDED)
    )
}

impl<'a> Extensions<'a> {
    /// Finds the extension structure of an ICMP error, if it has one.
    pub fn find(icmp: &Icmp<'a>) -> Option<Extensions<'a>> {
        if !may_carry_extensions(icmp) {
            return None;
        }
        let bytes = icmp.bytes();
        let body = icmp.body();
        let words = match icmp.version() {
            // ICMPv4: byte 5 counts 32-bit words; ICMPv6: byte 4 counts 64-bit words.
            Version::V4 => usize::from(bytes[5]) * 4,
            Version::V6 => usize::from(bytes[4]) * 8,
        };
        let (start, strict) = if words == 0 {
            // Pre-RFC 4884 layout: always at 128, checksum must hold.
            (ORIGINAL_DATAGRAM_MIN, true)
        } else if words < ORIGINAL_DATAGRAM_MIN {
            // RFC 4884 §5.1: a length below 128 bytes means there are no extensions.
            return None;
        } else {
            (words, false)
        };
        let ext = body.get(start..)?;
        Extensions::parse(ext, strict)
    }

    /// Parses an extension structure (header and objects). `strict`: the checksum must
    /// be present and valid (used when the position was guessed).
    pub fn parse(ext: &'a [u8], strict: bool) -> Option<Extensions<'a>> {
        if ext.len() < EXT_HEADER_LEN || ext[0] >> 4 != EXT_VERSION {
            return None;
        }
        let sum = be16(ext, 2);
        let valid = checksum(&[ext]) == 0;
        if !valid && (strict || sum != 0) {
            return None;
        }
        Some(Extensions {
            objects: &ext[EXT_HEADER_LEN..],
        })
    }

    /// The objects, in order; a malformed object ends the walk.
    pub fn objects(&self) -> Objects<'a> {
        Objects { rest: self.objects }
    }

    /// The MPLS label stack entries of every MPLS object, outermost first.
    pub fn mpls(&self) -> impl Iterator<Item = MplsLabel> + 'a {
        self.objects()
            .filter(|o| o.class == CLASS_MPLS && o.c_type == CTYPE_MPLS_INCOMING)
            .flat_map(|o| {
                o.payload
                    .chunks_exact(4)
                    .map(|c| MplsLabel::from_entry(be32(c, 0)))
            })
    }
}

/// Iterator over extension objects.
#[derive(Debug, Clone)]
pub struct Objects<'a> {
    rest: &'a [u8],
}

impl<'a> Iterator for Objects<'a> {
    type Item = Object<'a>;

    fn next(&mut self) -> Option<Object<'a>> {
        if self.rest.len() < OBJECT_HEADER_LEN {
            return None;
        }
        let len = usize::from(be16(self.rest, 0));
        if len < OBJECT_HEADER_LEN || len > self.rest.len() {
            self.rest = &[];
            return None;
        }
        let object = Object {
            class: self.rest[2],
            c_type: self.rest[3],
            payload: &self.rest[OBJECT_HEADER_LEN..len],
        };
        self.rest = &self.rest[len..];
        Some(object)
    }
}

/// Whether an ICMP error sets the RFC 4884 length of its quoted datagram (nonzero), as
/// RFC 4884 routers do; older ones leave it 0.
pub fn has_rfc4884_length(icmp: &Icmp<'_>) -> bool {
    let bytes = icmp.bytes();
    may_carry_extensions(icmp)
        && match icmp.version() {
            Version::V4 => bytes[5] != 0,
            Version::V6 => bytes[4] != 0,
        }
}

/// The MPLS labels of an ICMP message (empty when it carries none).
pub fn mpls_labels(icmp: &Icmp<'_>) -> Vec<MplsLabel> {
    Extensions::find(icmp)
        .map(|e| e.mpls().collect())
        .unwrap_or_default()
}

/// Builds an extension structure with one MPLS object (for tests and simulations).
pub fn build_mpls_extension(labels: &[MplsLabel]) -> Vec<u8> {
    let mut ext = vec![EXT_VERSION << 4, 0, 0, 0];
    let len = (OBJECT_HEADER_LEN + 4 * labels.len()) as u16;
    ext.extend_from_slice(&len.to_be_bytes());
    ext.extend_from_slice(&[CLASS_MPLS, CTYPE_MPLS_INCOMING]);
    for l in labels {
        let entry = (l.label & 0xf_ffff) << 12
            | u32::from(l.exp & 7) << 9
            | u32::from(l.bottom) << 8
            | u32::from(l.ttl);
        ext.extend_from_slice(&entry.to_be_bytes());
    }
    let sum = checksum(&[&ext]);
    ext[2..4].copy_from_slice(&sum.to_be_bytes());
    ext
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::packet::icmp::{V4_TIME_EXCEEDED, V6_TIME_EXCEEDED};

    fn label(label: u32, bottom: bool, ttl: u8) -> MplsLabel {
        MplsLabel {
            label,
            exp: 0,
            bottom,
            ttl,
        }
    }

    /// An ICMP time exceeded whose 128-byte padded quote is followed by `ext`;
    /// `length_field` is what goes in the RFC 4884 length byte.
    fn time_exceeded(version: Version, length_field: u8, ext: &[u8]) -> Vec<u8> {
        let ty = match version {
            Version::V4 => V4_TIME_EXCEEDED,
            Version::V6 => V6_TIME_EXCEEDED,
        };
        let mut msg = vec![ty, 0, 0, 0, 0, 0, 0, 0];
        match version {
            Version::V4 => msg[5] = length_field,
            Version::V6 => msg[4] = length_field,
        }
        msg.extend(std::iter::repeat_n(0xab, 128));
        msg.extend_from_slice(ext);
        msg
    }

    #[test]
    fn parses_an_rfc4884_mpls_stack_v4_and_v6() {
        let stack = [label(24001, false, 1), label(16, true, 1)];
        let ext = build_mpls_extension(&stack);
        for (version, words) in [(Version::V4, 32u8), (Version::V6, 16u8)] {
            let msg = time_exceeded(version, words, &ext);
            let icmp = Icmp::parse(&msg, version).unwrap();
            assert_eq!(mpls_labels(&icmp), stack, "{version:?}");
        }
        assert_eq!(stack[0].to_string(), "L=24001 E=0 S=0 T=1");
        assert_eq!(stack[1].to_string(), "L=16 E=0 S=1 T=1");
    }

    #[test]
    fn reads_the_pre_rfc4884_layout_only_with_a_valid_checksum() {
        let stack = [MplsLabel {
            label: 0xfffff,
            exp: 5,
            bottom: true,
            ttl: 254,
        }];
        let ext = build_mpls_extension(&stack);
        let msg = time_exceeded(Version::V4, 0, &ext);
        assert_eq!(mpls_labels(&Icmp::parse_v4(&msg).unwrap()), stack);
        let mut bad = ext.clone();
        bad[9] ^= 1;
        let msg = time_exceeded(Version::V4, 0, &bad);
        assert!(mpls_labels(&Icmp::parse_v4(&msg).unwrap()).is_empty());
    }

    #[test]
    fn no_extensions_when_absent_short_or_wrong_type() {
        let ext = build_mpls_extension(&[label(3, true, 1)]);
        // Length says 64 bytes: below 128, so by RFC 4884 there are no extensions.
        let msg = time_exceeded(Version::V4, 16, &ext);
        assert!(mpls_labels(&Icmp::parse_v4(&msg).unwrap()).is_empty());
        // A quote of exactly 128 bytes and nothing after it.
        let msg = time_exceeded(Version::V4, 32, &[]);
        assert!(mpls_labels(&Icmp::parse_v4(&msg).unwrap()).is_empty());
        // An echo reply never carries extensions.
        let mut msg = time_exceeded(Version::V4, 32, &ext);
        msg[0] = 0;
        assert!(mpls_labels(&Icmp::parse_v4(&msg).unwrap()).is_empty());
        // Length beyond the message.
        let msg = time_exceeded(Version::V4, 200, &ext);
        assert!(mpls_labels(&Icmp::parse_v4(&msg).unwrap()).is_empty());
    }

    #[test]
    fn malformed_objects_end_the_walk_without_panicking() {
        let mut ext = vec![0x20, 0, 0, 0, 0, 3, 1, 1, 0, 0]; // object length 3 < 4
        assert_eq!(Extensions::parse(&ext, false).unwrap().objects().count(), 0);
        ext[5] = 200; // longer than the bytes
        assert_eq!(Extensions::parse(&ext, false).unwrap().objects().count(), 0);
        // An unknown object before the MPLS one is skipped.
        let mut two = vec![0x20, 0, 0, 0, 0, 8, 9, 9, 1, 2, 3, 4];
        two.extend_from_slice(&build_mpls_extension(&[label(100, true, 7)])[4..]);
        let parsed = Extensions::parse(&two, false).unwrap();
        assert_eq!(parsed.objects().count(), 2);
        assert_eq!(parsed.mpls().collect::<Vec<_>>(), [label(100, true, 7)]);
        assert!(Extensions::parse(&[0x10, 0, 0, 0], false).is_none());
    }
}
