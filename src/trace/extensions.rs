//! The ICMP extension objects of an answer beside its MPLS labels — RFC 5837 interface
//! information and objects netlab does not decode — owned by the trace, and their one
//! text form, which the table, the live view, CSV and markdown all print.
//!
//! Why one home: a router's extension objects reach five printers; if each formatted them,
//! the table and the live view would disagree on the first new object class. The parsing
//! is in `packet/` (zero-copy, fuzzed); this is what a hop keeps of it after the packet
//! buffer is gone, and how it is shown.
//!
//! The table form names the interface as a person reads it, `[in: xe-0/0/1 ifIndex 15
//! 10.10.10.10 mtu 9000]`, and marks an unknown object as `traceroute -e` does, class and
//! c-type with the first bytes in hex: `[9/1: deadbeef]`. An entry is a list of pieces a
//! line may break between (never inside a piece); [`fill`] lays entries out on lines of
//! their own, breaking between entries, and inside an entry only between its pieces
//! when it is wider than a whole line.

use std::net::IpAddr;

use serde::Serialize;

use crate::packet::extensions::{Extensions, MplsLabel, CLASS_MPLS, CTYPE_MPLS_INCOMING};
use crate::packet::icmp::Icmp;
use crate::packet::interface_info::{InterfaceInfo, Role};

/// The column extension lines never pass when they have a line of their own (the trace's
/// rows, the rounds' summary): readable in an 80-column terminal.
pub const WIDTH: usize = 80;
/// How much further than its first line an entry's continuation lines are indented.
const CONTINUATION: usize = 2;
/// A name longer than this is cut (with `…`) in the table; JSON has it whole.
const NAME_MAX: usize = 32;
/// Bytes of an unknown object shown in the table; JSON has them all.
const UNKNOWN_SHOWN: usize = 8;

/// One extension object other than an MPLS label stack, as the trace keeps it.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub enum ExtObject {
    /// RFC 5837 interface information.
    Interface(Interface),
    /// An object netlab does not decode, or one that did not decode: kept whole.
    Unknown {
        class: u8,
        c_type: u8,
        bytes: Vec<u8>,
    },
}

/// RFC 5837 interface information, owned.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub struct Interface {
    pub role: Role,
    pub if_index: Option<u32>,
    pub address: Option<IpAddr>,
    pub name: Option<String>,
    pub mtu: Option<u32>,
}

/// The objects of an ICMP message other than MPLS label stacks, in the order sent.
pub fn objects_of(icmp: &Icmp<'_>) -> Vec<ExtObject> {
    let Some(ext) = Extensions::find(icmp) else {
        return Vec::new();
    };
    ext.objects()
        .filter(|o| !(o.class == CLASS_MPLS && o.c_type == CTYPE_MPLS_INCOMING))
        .map(|o| match InterfaceInfo::decode(&o) {
            Some(info) => ExtObject::Interface(Interface {
                role: info.role,
                if_index: info.if_index,
                address: info.address,
                name: info.name_text(),
                mtu: info.mtu,
            }),
            None => ExtObject::Unknown {
                class: o.class,
                c_type: o.c_type,
                bytes: o.payload.to_vec(),
            },
        })
        .collect()
}

impl ExtObject {
    /// The table entry's pieces; the first opens the bracket, the last closes it.
    pub fn pieces(&self) -> Vec<String> {
        let mut pieces = match self {
            ExtObject::Interface(i) => {
                let mut p = vec![format!("[{}:", i.role.short())];
                if let Some(name) = &i.name {
                    p.push(cut(name, NAME_MAX));
                }
                if let Some(index) = i.if_index {
                    p.push(format!("ifIndex {index}"));
                }
                if let Some(a) = i.address {
                    p.push(a.to_string());
                }
                if let Some(m) = i.mtu {
                    p.push(format!("mtu {m}"));
                }
                p
            }
            ExtObject::Unknown {
                class,
                c_type,
                bytes,
            } => {
                let mut hex = hex(&bytes[..bytes.len().min(UNKNOWN_SHOWN)]);
                if bytes.len() > UNKNOWN_SHOWN {
                    hex.push('…');
                }
                vec![format!("[{class}/{c_type}:"), hex]
            }
        };
        if let Some(last) = pieces.last_mut() {
            last.push(']');
        }
        pieces
    }

    /// The entry on one line: `[in: xe-0/0/1 ifIndex 15 10.10.10.10 mtu 9000]`.
    pub fn text(&self) -> String {
        self.pieces().join(" ")
    }

    /// The JSON form (README, JSON section).
    pub fn json(&self) -> JsonExtension {
        match self {
            ExtObject::Interface(i) => JsonExtension {
                class: crate::packet::interface_info::CLASS_INTERFACE_INFO,
                c_type: i.c_type(),
                interface: Some(JsonInterface {
                    role: i.role.as_str(),
                    if_index: i.if_index,
                    address: i.address.map(|a| a.to_string()),
                    name: i.name.clone(),
                    mtu: i.mtu,
                }),
                hex: None,
            },
            ExtObject::Unknown {
                class,
                c_type,
                bytes,
            } => JsonExtension {
                class: *class,
                c_type: *c_type,
                interface: None,
                hex: Some(hex(bytes)),
            },
        }
    }

    /// Class and c-type, as Atlas's `icmpext.obj` names them.
    pub fn class_and_type(&self) -> (u8, u8) {
        match self {
            ExtObject::Interface(i) => (
                crate::packet::interface_info::CLASS_INTERFACE_INFO,
                i.c_type(),
            ),
            ExtObject::Unknown { class, c_type, .. } => (*class, *c_type),
        }
    }
}

impl Interface {
    /// The c-type the object had (role and the fields present).
    fn c_type(&self) -> u8 {
        self.role.bits() << 6
            | u8::from(self.if_index.is_some()) << 3
            | u8::from(self.address.is_some()) << 2
            | u8::from(self.name.is_some()) << 1
            | u8::from(self.mtu.is_some())
    }
}

/// One extension object in the JSON document: class and c-type, then `interface` for
/// RFC 5837 interface information, `hex` (every byte after the object header) for any
/// other.
#[derive(Debug, Serialize, PartialEq)]
pub struct JsonExtension {
    pub class: u8,
    pub c_type: u8,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub interface: Option<JsonInterface>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub hex: Option<String>,
}

/// RFC 5837 interface information in the JSON document; a field the router left out is
/// null.
#[derive(Debug, Serialize, PartialEq)]
pub struct JsonInterface {
    pub role: &'static str,
    pub if_index: Option<u32>,
    pub address: Option<String>,
    pub name: Option<String>,
    pub mtu: Option<u32>,
}

/// Lays entries (each a list of pieces) out as lines at most `width` wide, each line
/// indented by `indent` spaces: entries share a line while they fit and a line breaks
/// between entries; an entry wider than a whole line breaks between its pieces (never
/// inside one), its later lines indented a little more. Every printer that shows
/// extension lines (the trace's rows, the rounds' summary, the live view) lays them out
/// here, so no two of them disagree on where an entry may break.
pub fn fill(
    entries: impl IntoIterator<Item = Vec<String>>,
    width: usize,
    indent: usize,
) -> Vec<String> {
    let first = " ".repeat(indent);
    let more = " ".repeat(indent + CONTINUATION);
    let len = |s: &str| s.chars().count();
    let room = width.saturating_sub(indent);
    let mut out = Vec::new();
    let mut line = String::new();
    for pieces in entries {
        let entry = pieces.join(" ");
        if !line.is_empty() && len(&line) + 1 + len(&entry) <= room {
            line.push(' ');
            line.push_str(&entry);
            continue;
        }
        if !line.is_empty() {
            out.push(format!("{first}{}", std::mem::take(&mut line)));
        }
        if len(&entry) <= room {
            line = entry;
            continue;
        }
        // Wider than a line: break it between its pieces.
        let mut cur = first.clone();
        for (i, piece) in pieces.iter().enumerate() {
            if i > 0 && len(&cur) + 1 + len(piece) > width {
                out.push(std::mem::replace(&mut cur, more.clone()));
            } else if i > 0 {
                cur.push(' ');
            }
            cur.push_str(piece);
        }
        out.push(cur);
    }
    if !line.is_empty() {
        out.push(format!("{first}{line}"));
    }
    out
}

/// What one answer carried beside its quote: the MPLS label stack and the other
/// extension objects. Rounds mode keeps the latest per responder address (as mtr does:
/// a new answer replaces what the router sent before, so a path that stops carrying
/// labels stops showing them).
#[derive(Debug, Clone, Default, PartialEq, Eq, Hash)]
pub struct Sent {
    pub mpls: Vec<MplsLabel>,
    pub objects: Vec<ExtObject>,
}

impl Sent {
    pub fn is_empty(&self) -> bool {
        self.mpls.is_empty() && self.objects.is_empty()
    }

    /// The table entries: the labels, then the other objects, in the order sent.
    pub fn entries(&self) -> Vec<Vec<String>> {
        let labels = self.mpls.iter().map(mpls_pieces);
        labels
            .chain(self.objects.iter().map(ExtObject::pieces))
            .collect()
    }

    /// Every entry on one line: `[MPLS: L=24001 E=0 S=1 T=1] [in: xe-0/0/1 ifIndex 15]`.
    pub fn text(&self) -> String {
        let entries: Vec<String> = self.entries().iter().map(|p| p.join(" ")).collect();
        entries.join(" ")
    }

    /// The labels as the JSON documents have them.
    pub fn json_mpls(&self) -> Vec<JsonMpls> {
        self.mpls.iter().map(JsonMpls::from).collect()
    }

    pub fn json_objects(&self) -> Vec<JsonExtension> {
        self.objects.iter().map(ExtObject::json).collect()
    }
}

/// One MPLS label stack entry in every JSON document.
#[derive(Debug, Serialize, PartialEq)]
pub struct JsonMpls {
    pub label: u32,
    pub exp: u8,
    pub bottom: bool,
    pub ttl: u8,
}

impl From<&MplsLabel> for JsonMpls {
    fn from(l: &MplsLabel) -> JsonMpls {
        JsonMpls {
            label: l.label,
            exp: l.exp,
            bottom: l.bottom,
            ttl: l.ttl,
        }
    }
}

/// An MPLS label stack entry's pieces: `[MPLS: L=24001 E=0 S=1 T=1]`, traceroute's form.
pub fn mpls_pieces(label: &MplsLabel) -> Vec<String> {
    vec![
        "[MPLS:".into(),
        format!("L={}", label.label),
        format!("E={}", label.exp),
        format!("S={}", u8::from(label.bottom)),
        format!("T={}]", label.ttl),
    ]
}

/// `text` cut to `max` characters, the last one `…` when cut.
fn cut(text: &str, max: usize) -> String {
    if text.chars().count() <= max {
        return text.to_string();
    }
    let mut s: String = text.chars().take(max - 1).collect();
    s.push('…');
    s
}

fn hex(bytes: &[u8]) -> String {
    bytes.iter().map(|b| format!("{b:02x}")).collect()
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::packet::extensions::build_mpls_extension;
    use crate::packet::interface_info::build_interface_object;

    /// An ICMPv4 time exceeded (RFC 4884, 128-byte quote) carrying `objects` after an
    /// MPLS object.
    fn message(objects: &[Vec<u8>]) -> Vec<u8> {
        let label = MplsLabel {
            label: 16,
            exp: 0,
            bottom: true,
            ttl: 1,
        };
        let mut ext = build_mpls_extension(&[label]);
        for o in objects {
            ext.extend_from_slice(o);
        }
        ext[2..4].copy_from_slice(&[0, 0]);
        let sum = crate::packet::checksum(&[&ext]);
        ext[2..4].copy_from_slice(&sum.to_be_bytes());
        let mut msg = vec![11, 0, 0, 0, 0, 32, 0, 0];
        msg.extend(std::iter::repeat_n(0, 128));
        msg.extend_from_slice(&ext);
        msg
    }

    #[test]
    fn interface_information_and_unknown_objects_are_kept_in_order() {
        let iface = build_interface_object(
            Role::Incoming,
            Some(15),
            Some("10.10.10.10".parse().unwrap()),
            Some("xe-0/0/1"),
            Some(9000),
        );
        let unknown = vec![0, 16, 9, 1, 0xde, 0xad, 0xbe, 0xef, 1, 2, 3, 4, 5, 6, 7, 8];
        let msg = message(&[iface.clone(), unknown]);
        let objects = objects_of(&Icmp::parse_v4(&msg).unwrap());
        assert_eq!(objects.len(), 2);
        assert_eq!(
            objects[0].text(),
            "[in: xe-0/0/1 ifIndex 15 10.10.10.10 mtu 9000]"
        );
        assert_eq!(objects[0].class_and_type(), (2, iface[3]));
        assert_eq!(objects[1].text(), "[9/1: deadbeef01020304…]");
        assert_eq!(objects[1].class_and_type(), (9, 1));
        let json =
            serde_json::to_value(objects.iter().map(ExtObject::json).collect::<Vec<_>>()).unwrap();
        assert_eq!(
            json,
            serde_json::json!([
                {"class": 2, "c_type": iface[3], "interface": {"role": "incoming", "if_index": 15,
                    "address": "10.10.10.10", "name": "xe-0/0/1", "mtu": 9000}},
                {"class": 9, "c_type": 1, "hex": "deadbeef0102030405060708"}
            ])
        );
    }

    /// A malformed interface object is kept as an unknown one, bytes and all.
    #[test]
    fn an_interface_object_that_does_not_decode_is_kept_as_unknown() {
        let mut iface = build_interface_object(Role::Outgoing, Some(1), None, None, None);
        iface[3] |= 0x01; // claims an MTU that is not there
        let msg = message(&[iface]);
        let objects = objects_of(&Icmp::parse_v4(&msg).unwrap());
        assert_eq!(
            objects,
            [ExtObject::Unknown {
                class: 2,
                c_type: 0x89,
                bytes: vec![0, 0, 0, 1]
            }]
        );
        assert_eq!(objects[0].text(), "[2/137: 00000001]");
    }

    #[test]
    fn entries_share_lines_and_wrap_between_entries_a_long_one_between_pieces() {
        let entry = ExtObject::Interface(Interface {
            role: Role::NextHop,
            if_index: Some(4_000_000_000),
            address: Some("fd4e:6c61:62:1:aaaa:bbbb:cccc:dddd".parse().unwrap()),
            name: Some("a-very-long-interface-name-of-a-provider-edge".into()),
            mtu: Some(9216),
        });
        let pieces = entry.pieces();
        assert_eq!(pieces[1], "a-very-long-interface-name-of-a…");
        let label = |l| {
            mpls_pieces(&MplsLabel {
                label: l,
                exp: 0,
                bottom: false,
                ttl: 1,
            })
        };
        let lines = fill([label(16), label(17), pieces.clone(), label(18)], 66, 2);
        assert_eq!(
            lines,
            [
                "  [MPLS: L=16 E=0 S=0 T=1] [MPLS: L=17 E=0 S=0 T=1]",
                "  [next-hop: a-very-long-interface-name-of-a… ifIndex 4000000000",
                "    fd4e:6c61:62:1:aaaa:bbbb:cccc:dddd mtu 9216]",
                "  [MPLS: L=18 E=0 S=0 T=1]",
            ]
        );
        for line in &lines {
            assert!(line.chars().count() <= 66, "{line:?}");
        }
        // Every piece is whole on some line.
        for piece in &pieces {
            assert!(lines.iter().any(|l| l.contains(piece.as_str())), "{piece}");
        }
        // Wide enough: everything on one line.
        assert_eq!(
            fill([label(16), pieces.clone()], 200, 0),
            [format!("[MPLS: L=16 E=0 S=0 T=1] {}", entry.text())]
        );
    }
}
