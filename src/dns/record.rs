//! DNS records as netlab shows them, independent of the DNS library: `client.rs` converts
//! the library's records into these, and everything else (the lookup rules, the tables,
//! the JSON) only sees this module. Values are written the way `dig` writes them, because
//! that is the notation the people reading them already know.

use std::fmt::Write as _;
use std::net::{Ipv4Addr, Ipv6Addr};

/// DNS record types `resolve -t` understands. Also the value clap parses for `-t`: it lives
/// here, beside the records, so the DNS pieces take nothing from `cli`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, clap::ValueEnum, serde::Serialize)]
#[value(rename_all = "UPPER")]
#[serde(rename_all = "UPPERCASE")]
pub enum RecordKind {
    A,
    Aaaa,
    Cname,
    Mx,
    Ns,
    Txt,
    Soa,
    Srv,
    Ptr,
    Caa,
    Https,
    Svcb,
    Ds,
    Dnskey,
    Tlsa,
    Sshfp,
    Naptr,
    /// Every record a server still gives for ANY (many answer RFC 8482's HINFO instead)
    Any,
}

/// One resource record from an answer section.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Record {
    /// Owner name in presentation form, absolute (`www.netlab.test.`).
    pub name: String,
    pub ttl: u32,
    pub data: Rdata,
}

/// The record data netlab understands, with names already in presentation form.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Rdata {
    A(Ipv4Addr),
    Aaaa(Ipv6Addr),
    Cname(String),
    Mx {
        preference: u16,
        exchange: String,
    },
    Ns(String),
    /// The character-strings of a TXT record, as raw bytes.
    Txt(Vec<Vec<u8>>),
    Soa {
        mname: String,
        rname: String,
        serial: u32,
        refresh: u32,
        retry: u32,
        expire: u32,
        minimum: u32,
    },
    Srv {
        priority: u16,
        weight: u16,
        port: u16,
        target: String,
    },
    Ptr(String),
    Caa {
        flags: u8,
        tag: String,
        value: Vec<u8>,
    },
    /// A type netlab never asks for (it may still appear in an answer section).
    Other {
        kind: String,
        text: String,
    },
}

impl Rdata {
    /// The record type as dig names it.
    pub fn kind_name(&self) -> &str {
        match self {
            Rdata::A(_) => "A",
            Rdata::Aaaa(_) => "AAAA",
            Rdata::Cname(_) => "CNAME",
            Rdata::Mx { .. } => "MX",
            Rdata::Ns(_) => "NS",
            Rdata::Txt(_) => "TXT",
            Rdata::Soa { .. } => "SOA",
            Rdata::Srv { .. } => "SRV",
            Rdata::Ptr(_) => "PTR",
            Rdata::Caa { .. } => "CAA",
            Rdata::Other { kind, .. } => kind,
        }
    }

    /// Whether this record answers a question for `kind` (every record answers ANY).
    pub fn is(&self, kind: RecordKind) -> bool {
        kind == RecordKind::Any || self.kind_name() == kind_name(kind)
    }

    /// The value column, in dig's presentation format.
    pub fn value(&self) -> String {
        match self {
            Rdata::A(addr) => addr.to_string(),
            Rdata::Aaaa(addr) => addr.to_string(),
            Rdata::Cname(name) | Rdata::Ns(name) | Rdata::Ptr(name) => name.clone(),
            Rdata::Mx {
                preference,
                exchange,
            } => format!("{preference} {exchange}"),
            Rdata::Txt(strings) => strings
                .iter()
                .map(|s| quoted(s))
                .collect::<Vec<_>>()
                .join(" "),
            Rdata::Soa {
                mname,
                rname,
                serial,
                refresh,
                retry,
                expire,
                minimum,
            } => format!("{mname} {rname} {serial} {refresh} {retry} {expire} {minimum}"),
            Rdata::Srv {
                priority,
                weight,
                port,
                target,
            } => format!("{priority} {weight} {port} {target}"),
            Rdata::Caa { flags, tag, value } => format!("{flags} {tag} {}", quoted(value)),
            Rdata::Other { text, .. } => text.clone(),
        }
    }
}

/// The name of a record type, as dig writes it.
pub fn kind_name(kind: RecordKind) -> &'static str {
    match kind {
        RecordKind::A => "A",
        RecordKind::Aaaa => "AAAA",
        RecordKind::Cname => "CNAME",
        RecordKind::Mx => "MX",
        RecordKind::Ns => "NS",
        RecordKind::Txt => "TXT",
        RecordKind::Soa => "SOA",
        RecordKind::Srv => "SRV",
        RecordKind::Ptr => "PTR",
        RecordKind::Caa => "CAA",
        RecordKind::Https => "HTTPS",
        RecordKind::Svcb => "SVCB",
        RecordKind::Ds => "DS",
        RecordKind::Dnskey => "DNSKEY",
        RecordKind::Tlsa => "TLSA",
        RecordKind::Sshfp => "SSHFP",
        RecordKind::Naptr => "NAPTR",
        RecordKind::Any => "ANY",
    }
}

/// Binary data as BIND's dig writes it in hex (DS digests, TLSA, SSHFP): uppercase, and
/// broken with a space every 56 characters.
pub fn dig_hex(bytes: &[u8]) -> String {
    let hex: String = bytes.iter().map(|b| format!("{b:02X}")).collect();
    chunked(&hex)
}

/// Binary data as dig writes it in base64 (DNSKEY keys): a space every 56 characters.
pub fn dig_base64(bytes: &[u8]) -> String {
    chunked(&data_encoding::BASE64.encode(bytes))
}

fn chunked(text: &str) -> String {
    text.as_bytes()
        .chunks(56)
        .map(|c| String::from_utf8_lossy(c).into_owned())
        .collect::<Vec<_>>()
        .join(" ")
}

/// DS rdata (RFC 4034 5.1): key tag, algorithm, digest type, digest; None when short.
/// Decoded here because the DNS library parses DNSSEC types only with its DNSSEC
/// features (and their crypto dependencies), which netlab does not need otherwise.
pub fn ds_text(rdata: &[u8]) -> Option<String> {
    let (head, digest) = (rdata.get(..4)?, rdata.get(4..)?);
    let tag = u16::from_be_bytes([head[0], head[1]]);
    Some(format!("{tag} {} {} {}", head[2], head[3], dig_hex(digest)))
}

/// DNSKEY rdata (RFC 4034 2.1): flags, protocol, algorithm, public key; None when short.
pub fn dnskey_text(rdata: &[u8]) -> Option<String> {
    let (head, key) = (rdata.get(..4)?, rdata.get(4..)?);
    let flags = u16::from_be_bytes([head[0], head[1]]);
    Some(format!(
        "{flags} {} {} {}",
        head[2],
        head[3],
        dig_base64(key)
    ))
}

/// A character-string in double quotes, escaped as dig does: `\"` and `\\`, printable
/// ASCII as is, every other byte as `\DDD` (decimal), so hostile bytes never reach the
/// terminal.
pub fn quoted(bytes: &[u8]) -> String {
    let mut text = String::with_capacity(bytes.len() + 2);
    text.push('"');
    for &b in bytes {
        match b {
            b'"' => text.push_str("\\\""),
            b'\\' => text.push_str("\\\\"),
            0x20..=0x7e => text.push(b as char),
            _ => {
                let _ = write!(text, "\\{b:03}");
            }
        }
    }
    text.push('"');
    text
}

/// Compares DNS names the way DNS does: ASCII case-insensitively, with or without the
/// trailing dot.
pub fn same_name(a: &str, b: &str) -> bool {
    a.strip_suffix('.')
        .unwrap_or(a)
        .eq_ignore_ascii_case(b.strip_suffix('.').unwrap_or(b))
}

/// What an answer section says about one question: the CNAME links from the name asked
/// to the last alias, then the records of the asked type owned by that last alias.
///
/// Records that are not on the chain are ignored (a server may add unrelated data; it is
/// neither shown nor trusted). A loop or an over-long chain stops after 16 links.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Chain {
    pub aliases: Vec<Record>,
    pub records: Vec<Record>,
}

impl Chain {
    pub fn follow(qname: &str, kind: RecordKind, answers: &[Record]) -> Chain {
        let mut chain = Chain::default();
        let mut current = qname.to_string();
        // ANY asks for what the name itself holds, CNAME included, as dig shows it.
        if kind != RecordKind::Cname && kind != RecordKind::Any {
            for _ in 0..16 {
                let link = answers
                    .iter()
                    .find(|r| matches!(r.data, Rdata::Cname(_)) && same_name(&r.name, &current));
                let Some(link) = link else { break };
                let Rdata::Cname(target) = &link.data else {
                    break;
                };
                if chain.aliases.iter().any(|a| same_name(&a.name, target))
                    || same_name(target, qname)
                {
                    chain.aliases.push(link.clone());
                    break;
                }
                current = target.clone();
                chain.aliases.push(link.clone());
            }
        }
        chain.records = answers
            .iter()
            .filter(|r| r.data.is(kind) && same_name(&r.name, &current))
            .cloned()
            .collect();
        chain
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn dnssec_data_reads_as_dig_writes_it() {
        let mut ds = vec![0x30, 0x39, 13, 2];
        ds.extend(0u8..32);
        assert_eq!(
            ds_text(&ds).unwrap(),
            "12345 13 2 000102030405060708090A0B0C0D0E0F101112131415161718191A1B 1C1D1E1F"
        );
        let key = [1, 1, 3, 13, 0xff, 0x00];
        assert_eq!(dnskey_text(&key).unwrap(), "257 3 13 /wA=");
        // Short or empty data never panics.
        assert_eq!(ds_text(&[1, 2, 3]), None);
        assert_eq!(dnskey_text(&[]), None);
        assert_eq!(dig_hex(&[]), "");
        assert_eq!(dig_hex(&[0xab; 28]).len(), 56);
        assert_eq!(dig_hex(&[0xab; 29]).split(' ').count(), 2);
    }

    fn rec(name: &str, data: Rdata) -> Record {
        Record {
            name: name.into(),
            ttl: 300,
            data,
        }
    }

    #[test]
    fn values_are_written_like_dig() {
        let cases: Vec<(Rdata, &str)> = vec![
            (Rdata::A("198.18.2.2".parse().unwrap()), "198.18.2.2"),
            (
                Rdata::Aaaa("fd4e:6c61:62:2::2".parse().unwrap()),
                "fd4e:6c61:62:2::2",
            ),
            (
                Rdata::Mx {
                    preference: 10,
                    exchange: "mail.netlab.test.".into(),
                },
                "10 mail.netlab.test.",
            ),
            (
                Rdata::Soa {
                    mname: "ns1.netlab.test.".into(),
                    rname: "hostmaster.netlab.test.".into(),
                    serial: 2024010101,
                    refresh: 3600,
                    retry: 600,
                    expire: 86400,
                    minimum: 300,
                },
                "ns1.netlab.test. hostmaster.netlab.test. 2024010101 3600 600 86400 300",
            ),
            (
                Rdata::Srv {
                    priority: 0,
                    weight: 0,
                    port: 7,
                    target: "www.netlab.test.".into(),
                },
                "0 0 7 www.netlab.test.",
            ),
            (
                Rdata::Txt(vec![b"v=spf1 -all".to_vec(), b"second".to_vec()]),
                "\"v=spf1 -all\" \"second\"",
            ),
            (
                Rdata::Caa {
                    flags: 0,
                    tag: "issue".into(),
                    value: b"netlab.test".to_vec(),
                },
                "0 issue \"netlab.test\"",
            ),
            (Rdata::Ptr("www.netlab.test.".into()), "www.netlab.test."),
            (Rdata::Ns("ns1.netlab.test.".into()), "ns1.netlab.test."),
            (
                Rdata::Cname("alias2.netlab.test.".into()),
                "alias2.netlab.test.",
            ),
        ];
        for (data, want) in cases {
            assert_eq!(data.value(), want, "{data:?}");
        }
    }

    #[test]
    fn txt_escapes_quotes_backslashes_and_binary() {
        assert_eq!(
            quoted(b"say \"hi\"\\ \x00\x1b[31m\xff"),
            "\"say \\\"hi\\\"\\\\ \\000\\027[31m\\255\""
        );
        assert_eq!(Rdata::Txt(vec![vec![]]).value(), "\"\"");
        assert_eq!(
            Rdata::Caa {
                flags: 128,
                tag: "iodef".into(),
                value: b"mailto:x@netlab.test".to_vec()
            }
            .value(),
            "128 iodef \"mailto:x@netlab.test\""
        );
    }

    #[test]
    fn names_compare_like_dns() {
        assert!(same_name("WWW.Netlab.Test.", "www.netlab.test"));
        assert!(!same_name("www.netlab.test.", "www2.netlab.test."));
    }

    #[test]
    fn chain_is_followed_link_by_link() {
        let answers = vec![
            // Out of order on purpose, plus a record that is not on the chain.
            rec(
                "alias2.netlab.test.",
                Rdata::Cname("www.netlab.test.".into()),
            ),
            rec("evil.example.", Rdata::A("192.0.2.66".parse().unwrap())),
            rec("www.netlab.test.", Rdata::A("198.18.2.2".parse().unwrap())),
            rec(
                "ALIAS.netlab.test.",
                Rdata::Cname("alias2.netlab.test.".into()),
            ),
        ];
        let chain = Chain::follow("alias.netlab.test.", RecordKind::A, &answers);
        let names: Vec<_> = chain.aliases.iter().map(|r| r.name.as_str()).collect();
        assert_eq!(names, ["ALIAS.netlab.test.", "alias2.netlab.test."]);
        assert_eq!(chain.records.len(), 1);
        assert_eq!(chain.records[0].data.value(), "198.18.2.2");
        // Asking for the CNAME itself gives the first link only, as the answer.
        let chain = Chain::follow("alias.netlab.test.", RecordKind::Cname, &answers);
        assert!(chain.aliases.is_empty());
        assert_eq!(chain.records.len(), 1);
        assert_eq!(chain.records[0].data.value(), "alias2.netlab.test.");
    }

    #[test]
    fn cname_loops_stop() {
        let answers = vec![
            rec("a.test.", Rdata::Cname("b.test.".into())),
            rec("b.test.", Rdata::Cname("a.test.".into())),
        ];
        let chain = Chain::follow("a.test.", RecordKind::A, &answers);
        assert_eq!(chain.aliases.len(), 2);
        assert!(chain.records.is_empty());
    }
}
