//! ICMP extensions (RFC 4884) and the objects routers put in them: the MPLS label stack
//! (RFC 4950) here, interface information (RFC 5837) in [`super::interface_info`], and any
//! other object kept as class, c-type and bytes.
//!
//! # Where the extension structure starts: every layout routers send
//! RFC 4884 routers put the length of the quoted "original datagram" field in the ICMP
//! header (ICMPv4: byte 5, in 32-bit words; ICMPv6: byte 4, in 64-bit words), pad that
//! field to at least 128 bytes, and append the structure after it. Real routers also send:
//!
//! - **length 0, structure at byte 128** (routers older than RFC 4884, many MPLS ones, RFC
//!   4950's own era; tcpdump's `mpls-traceroute.pcap`);
//! - **a length below 128 with the quote padded to 128 anyway** (the router set the length
//!   to the quote it took, 68 bytes, but padded as RFC 4884 §5.1 asks; trippy issue #804):
//!   the structure is at byte 128, where RFC 4884 says a structure always is at the least.
//!
//! So the structure is looked for at `max(length, 128)` — exactly what the length says
//! when it says 128 or more. A length that claims more than the message holds means the
//! message was cut short, and there is no structure to read.
//!
//! # What is accepted (we follow Linux traceroute, not trippy)
//! A structure is read only if its header has version 2 and its checksum verifies, or is
//! 0 (not computed) where the router's own length field points. Where the position is
//! inferred (length 0, or a length below 128), a zero checksum is not enough: the bytes
//! at 128 could be the probe's own payload, and the checksum is the only thing telling a
//! structure from payload. trippy accepts a bad checksum; Linux traceroute rejects it. We
//! reject it: a missed label costs one annotation, a misread one tells the user of a
//! label stack that does not exist. Inside an accepted structure a malformed object
//! (length below 4, or beyond the structure) ends the walk; the objects before it stay.
//!
//! # The structure
//! A 4-byte header (version 2 in the top nibble, a checksum over the whole structure),
//! then objects of `length` (16 bits, header included, at least 4), `class-num`, `c-type`,
//! payload. MPLS label stack entries (class 1, c-type 1) are 4 bytes each: label (20
//! bits), traffic class (3, the old "EXP"), bottom-of-stack (1), TTL (8).

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
    /// Finds the extension structure of an ICMP error, if it has one (module docs: every
    /// layout, and what is accepted).
    pub fn find(icmp: &Icmp<'a>) -> Option<Extensions<'a>> {
        let stated = original_datagram_len(icmp)?;
        let body = icmp.body();
        if stated > body.len() {
            // The length claims more than arrived: the message was cut short.
            return None;
        }
        let start = stated.max(ORIGINAL_DATAGRAM_MIN);
        // A zero checksum is accepted only where the router's own length points.
        let strict = stated < ORIGINAL_DATAGRAM_MIN;
        Extensions::parse(body.get(start..)?, strict)
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

/// The RFC 4884 length of an ICMP error's original datagram field in bytes (0 when the
/// router left it unset), or None for a message that cannot carry extensions.
fn original_datagram_len(icmp: &Icmp<'_>) -> Option<usize> {
    if !may_carry_extensions(icmp) {
        return None;
    }
    // Icmp::parse checked the 8-byte header.
    let bytes = icmp.bytes();
    Some(match icmp.version() {
        // ICMPv4: byte 5 counts 32-bit words; ICMPv6: byte 4 counts 64-bit words.
        Version::V4 => usize::from(bytes[5]) * 4,
        Version::V6 => usize::from(bytes[4]) * 8,
    })
}

/// Whether an ICMP error sets the RFC 4884 length of its quoted datagram (nonzero), as
/// RFC 4884 routers do; older ones leave it 0.
pub fn has_rfc4884_length(icmp: &Icmp<'_>) -> bool {
    original_datagram_len(icmp).is_some_and(|len| len != 0)
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
        // A quote of exactly 128 bytes and nothing after it.
        let msg = time_exceeded(Version::V4, 32, &[]);
        assert!(mpls_labels(&Icmp::parse_v4(&msg).unwrap()).is_empty());
        // An echo reply never carries extensions.
        let mut msg = time_exceeded(Version::V4, 32, &ext);
        msg[0] = 0;
        assert!(mpls_labels(&Icmp::parse_v4(&msg).unwrap()).is_empty());
        // Length beyond the message (cut short in transit): nothing is guessed.
        for (version, words) in [(Version::V4, 200u8), (Version::V6, 100u8)] {
            let msg = time_exceeded(version, words, &ext);
            assert!(mpls_labels(&Icmp::parse(&msg, version).unwrap()).is_empty());
        }
        // Fewer than 128 quoted bytes and no length: nothing at 128 to read.
        let mut msg = time_exceeded(Version::V4, 0, &[]);
        msg.truncate(8 + 100);
        assert!(Extensions::find(&Icmp::parse_v4(&msg).unwrap()).is_none());
    }

    /// The #804 layout: the length says 68 bytes (17 words), the quote is padded to 128
    /// anyway and the structure follows; IPv6 the same with 9 words (72 bytes).
    #[test]
    fn reads_a_length_below_128_with_the_structure_at_128_v4_and_v6() {
        let stack = [label(416240, true, 1)];
        let ext = build_mpls_extension(&stack);
        for (version, words) in [(Version::V4, 17u8), (Version::V6, 9u8)] {
            let msg = time_exceeded(version, words, &ext);
            let icmp = Icmp::parse(&msg, version).unwrap();
            assert_eq!(mpls_labels(&icmp), stack, "{version:?}");
            assert!(has_rfc4884_length(&icmp));
        }
        assert_eq!(stack[0].to_string(), "L=416240 E=0 S=1 T=1");
    }

    /// IPv6's length counts 64-bit words: 20 words put the structure at 160, not at 80.
    #[test]
    fn ipv6_length_counts_64_bit_words_and_a_longer_quote_moves_the_structure() {
        let stack = [label(77, true, 9)];
        let ext = build_mpls_extension(&stack);
        let mut msg = time_exceeded(Version::V6, 20, &[]);
        msg.extend(std::iter::repeat_n(0xcd, 32));
        msg.extend_from_slice(&ext);
        assert_eq!(mpls_labels(&Icmp::parse_v6(&msg).unwrap()), stack);
        // The same bytes read as ICMPv4 with 20 32-bit words (80 bytes): the structure is
        // looked for at 128, where there is quote, so nothing.
        let mut v4 = msg.clone();
        v4[0] = V4_TIME_EXCEEDED;
        v4[4] = 0;
        v4[5] = 20;
        assert!(mpls_labels(&Icmp::parse_v4(&v4).unwrap()).is_empty());
    }

    /// Bad version everywhere, bad checksum everywhere, and a zero checksum only where
    /// the router's own length points (module docs: we follow Linux traceroute).
    #[test]
    fn bad_version_and_checksum_are_refused_and_a_zero_checksum_only_where_stated() {
        let stack = [label(24001, true, 1)];
        let good = build_mpls_extension(&stack);
        let mut bad_version = good.clone();
        bad_version[0] = 0x10;
        let mut bad_sum = good.clone();
        bad_sum[3] ^= 0x40;
        let mut zero_sum = good.clone();
        zero_sum[2..4].copy_from_slice(&[0, 0]);
        let icmp_labels = |words: u8, ext: &[u8]| {
            let msg = time_exceeded(Version::V4, words, ext);
            mpls_labels(&Icmp::parse_v4(&msg).unwrap())
        };
        for words in [0u8, 17, 32] {
            assert_eq!(icmp_labels(words, &good), stack, "length {words}");
            assert!(
                icmp_labels(words, &bad_version).is_empty(),
                "length {words}"
            );
            assert!(icmp_labels(words, &bad_sum).is_empty(), "length {words}");
        }
        assert_eq!(icmp_labels(32, &zero_sum), stack);
        assert!(icmp_labels(0, &zero_sum).is_empty());
        assert!(icmp_labels(17, &zero_sum).is_empty());
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
