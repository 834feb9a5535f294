//! `trace --format atlas`: the trace as one RIPE Atlas traceroute result (version 5000),
//! in a one-element array, made from the `--json` document's own records (`report.rs`).
//!
//! - `proto`: `"UDP"`, `"ICMP"` or `"TCP"`; `size`: the probe's payload bytes (16 for
//!   UDP and ICMP, 0 for TCP SYNs); `timestamp` / `endtime`: when the trace started and
//!   ended (Unix seconds).
//! - `paris_id`: Atlas numbers its Paris-traceroute flow variations 1-16 and writes 0 for
//!   classic traceroute, where every probe is its own flow. netlab keeps one flow for the
//!   whole trace (module docs of `trace`), so 1, except for TCP without `CAP_NET_RAW`,
//!   whose probes are separate `connect()`s with their own source ports: 0.
//! - `result`: one `{"hop": ttl, "result": [...]}` per hop probed, one element per query
//!   in query order: `{"from", "rtt", "ttl", "size"}` for an answer (`ttl`: the TTL it
//!   arrived with; `size`: its bytes after the ICMP header, as the Atlas firmware counts
//!   them — the quoted probe and any extensions, an echo reply's data; a TCP answer's
//!   segment. Both are the JSON's `reply_ttl` / `reply_size` and are left out where
//!   netlab's socket did not tell: no size for an answer only the error queue saw, no
//!   TTL without `IP_RECVTTL`), with `"err"` for an unreachable
//!   error (Atlas's letters: `"N"` network, `"H"` host, `"A"` administratively
//!   prohibited, `"P"` protocol, `"p"` port unreachable from a router, `"h"` beyond
//!   scope; otherwise the ICMP code as a number, or netlab's kind name for messages that
//!   are not unreachables), and `"icmpext"` with the MPLS label stack when a router sent
//!   one (`{"version": 2, "rfc4884": 1, "obj": [{"class": 1, "type": 1, "mpls":
//!   [{"label", "exp", "s", "ttl"}]}]}`, then any other object, as RFC 5837 interface
//!   information, by `class` and `type` alone, since Atlas has no field for what they
//!   hold; `rfc4884` is 1 when the router set the RFC 4884 length of the quoted
//!   datagram, 0 for the older fixed 128-byte layout);
//!   `{"x": "*"}` for no answer; `{"error": "send failed"}` for a
//!   probe that could not be sent. The destination's own answer (port unreachable, echo
//!   reply, SYN-ACK or RST) has no `err`, as in Atlas.

use std::net::IpAddr;
use std::time::SystemTime;

use serde::Serialize;

use super::json::{JsonDoc, JsonProbe};
use super::Method;
use crate::output::atlas::{unix_seconds, Header};

/// The trace's result.
#[derive(Debug, Serialize)]
pub struct TraceResult {
    #[serde(flatten)]
    header: Header,
    proto: &'static str,
    paris_id: u8,
    size: usize,
    endtime: u64,
    result: Vec<Hop>,
}

#[derive(Debug, Serialize)]
struct Hop {
    hop: u8,
    result: Vec<Packet>,
}

#[derive(Debug, Serialize, PartialEq)]
#[serde(untagged)]
enum Packet {
    Answer {
        from: String,
        rtt: f64,
        #[serde(skip_serializing_if = "Option::is_none")]
        size: Option<u16>,
        #[serde(skip_serializing_if = "Option::is_none")]
        ttl: Option<u8>,
        #[serde(skip_serializing_if = "Option::is_none")]
        err: Option<Err>,
        #[serde(skip_serializing_if = "Option::is_none")]
        icmpext: Option<IcmpExt>,
    },
    Timeout {
        x: &'static str,
    },
    Error {
        error: &'static str,
    },
}

/// Atlas writes a letter for the common unreachables, the code otherwise.
#[derive(Debug, Serialize, PartialEq)]
#[serde(untagged)]
enum Err {
    Letter(&'static str),
    Code(u8),
    /// Not an unreachable (packet too big, parameter problem): netlab's kind name.
    Other(String),
}

#[derive(Debug, Serialize, PartialEq)]
struct IcmpExt {
    version: u8,
    rfc4884: u8,
    obj: Vec<ExtObject>,
}

#[derive(Debug, Serialize, PartialEq)]
struct ExtObject {
    class: u8,
    #[serde(rename = "type")]
    kind: u8,
    #[serde(skip_serializing_if = "Vec::is_empty")]
    mpls: Vec<Mpls>,
}

#[derive(Debug, Serialize, PartialEq)]
struct Mpls {
    label: u32,
    exp: u8,
    s: u8,
    ttl: u8,
}

/// What the JSON document does not say about the trace (its method is there as a
/// string, for people; here it is the typed one, so a new method cannot pass for UDP).
pub struct Facts {
    pub method: Method,
    pub started: SystemTime,
    pub ended: SystemTime,
    pub src: Option<IpAddr>,
    /// Every probe in one flow (module docs: `paris_id`).
    pub one_flow: bool,
}

/// The result of the trace `doc` describes.
pub fn result(doc: &JsonDoc, addr: IpAddr, facts: &Facts) -> TraceResult {
    let (proto, size) = match facts.method {
        Method::Icmp => ("ICMP", super::probe::PAYLOAD_LEN),
        Method::Tcp => ("TCP", 0),
        Method::Udp => ("UDP", super::probe::PAYLOAD_LEN),
    };
    TraceResult {
        header: Header::new(
            "traceroute",
            "Traceroute",
            facts.started,
            facts.src,
            addr,
            &doc.head.target,
        ),
        proto,
        paris_id: u8::from(facts.one_flow),
        size,
        endtime: unix_seconds(facts.ended),
        result: doc
            .hops
            .iter()
            .map(|hop| Hop {
                hop: hop.ttl,
                result: hop.probes.iter().map(packet).collect(),
            })
            .collect(),
    }
}

/// The answer's ICMP extensions as Atlas has them: the MPLS object with its labels, then
/// every other object by class and type (Atlas has no field for what they hold).
fn icmpext(probe: &JsonProbe) -> Option<IcmpExt> {
    if probe.mpls.is_empty() && probe.ext_types.is_empty() {
        return None;
    }
    let labels = (!probe.mpls.is_empty()).then(|| ExtObject {
        class: crate::packet::extensions::CLASS_MPLS,
        kind: crate::packet::extensions::CTYPE_MPLS_INCOMING,
        mpls: probe
            .mpls
            .iter()
            .map(|l| Mpls {
                label: l.label,
                exp: l.exp,
                s: u8::from(l.bottom),
                ttl: l.ttl,
            })
            .collect(),
    });
    let others = probe.ext_types.iter().map(|&(class, kind)| ExtObject {
        class,
        kind,
        mpls: Vec::new(),
    });
    Some(IcmpExt {
        version: 2,
        rfc4884: u8::from(probe.rfc4884),
        obj: labels.into_iter().chain(others).collect(),
    })
}

fn packet(probe: &JsonProbe) -> Packet {
    match (&probe.from, probe.rtt_ms) {
        (Some(from), Some(rtt)) => Packet::Answer {
            from: from.clone(),
            rtt,
            size: probe.reply_size,
            ttl: probe.reply_ttl,
            err: err(&probe.kind, probe.annotation.as_deref()),
            icmpext: icmpext(probe),
        },
        _ if probe.kind == "send_failed" => Packet::Error {
            error: "send failed",
        },
        _ => Packet::Timeout { x: "*" },
    }
}

/// Atlas's `err` for an answer of `kind` (the JSON kind names), None for the answers
/// that are not errors (time exceeded, the destination reached).
fn err(kind: &str, annotation: Option<&str>) -> Option<Err> {
    let letter = match kind {
        "time_exceeded" | "reached" => return None,
        "net_unreachable"
        | "net_unknown"
        | "source_host_isolated"
        | "net_unreachable_for_tos"
        | "reject_route" => "N",
        "host_unreachable" | "host_unknown" | "host_unreachable_for_tos" => "H",
        "net_prohibited" | "host_prohibited" | "admin_prohibited" => "A",
        "protocol_unreachable" => "P",
        "port_unreachable" => "p",
        "beyond_scope" => "h",
        "fragmentation_needed" => return Some(Err::Code(4)),
        "source_route_failed" => return Some(Err::Code(5)),
        "host_precedence_violation" => return Some(Err::Code(14)),
        "precedence_cutoff" => return Some(Err::Code(15)),
        "source_policy_failed" => return Some(Err::Code(5)),
        // An unreachable code netlab has no name for: its annotation is `!<code>`.
        _ => match annotation
            .and_then(|a| a.strip_prefix("!<"))
            .and_then(|a| a.strip_suffix('>'))
            .and_then(|code| code.parse().ok())
        {
            Some(code) => return Some(Err::Code(code)),
            None => return Some(Err::Other(kind.to_string())),
        },
    };
    Some(Err::Letter(letter))
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    fn probe(from: Option<&str>, rtt: Option<f64>, kind: &str) -> JsonProbe {
        JsonProbe {
            rtt_ms: rtt,
            from: from.map(str::to_string),
            ..JsonProbe::unanswered(kind)
        }
    }

    #[test]
    fn answers_stars_errors_and_labels_map_to_atlas_packets() {
        let mut labelled = probe(Some("198.18.1.2"), Some(1.5), "time_exceeded");
        labelled.mpls = vec![super::super::extensions::JsonMpls {
            label: 24001,
            exp: 0,
            bottom: true,
            ttl: 1,
        }];
        labelled.reply_ttl = Some(254);
        labelled.reply_size = Some(140);
        labelled.rfc4884 = true;
        let value = |p: &JsonProbe| serde_json::to_value(packet(p)).unwrap();
        assert_eq!(
            value(&labelled),
            json!({"from": "198.18.1.2", "rtt": 1.5, "size": 140, "ttl": 254,
                "icmpext": {"version": 2, "rfc4884": 1, "obj": [
                {"class": 1, "type": 1, "mpls": [{"label": 24001, "exp": 0, "s": 1, "ttl": 1}]}
            ]}})
        );
        assert_eq!(
            value(&probe(Some("198.18.2.2"), Some(2.0), "reached")),
            json!({"from": "198.18.2.2", "rtt": 2.0})
        );
        assert_eq!(
            value(&probe(Some("198.18.1.2"), Some(2.0), "host_unreachable")),
            json!({"from": "198.18.1.2", "rtt": 2.0, "err": "H"})
        );
        assert_eq!(value(&probe(None, None, "timeout")), json!({"x": "*"}));
        assert_eq!(
            value(&probe(None, None, "send_failed")),
            json!({"error": "send failed"})
        );
        let mut odd = probe(Some("198.18.1.2"), Some(2.0), "unreachable");
        odd.annotation = Some("!<9>".into());
        assert_eq!(value(&odd)["err"], 9);
        assert_eq!(
            value(&probe(
                Some("198.18.1.2"),
                Some(2.0),
                "fragmentation_needed"
            ))["err"],
            4
        );
        assert_eq!(
            value(&probe(Some("198.18.1.2"), Some(2.0), "admin_prohibited"))["err"],
            "A"
        );
        assert_eq!(
            value(&probe(
                Some("fd4e:6c61:62:1::2"),
                Some(2.0),
                "packet_too_big"
            ))["err"],
            "packet_too_big"
        );
    }

    /// The protocol comes from the typed method: every method has its own, none falls
    /// back to UDP (the JSON's method string is for people, never parsed here).
    #[test]
    fn every_method_names_its_own_protocol() {
        use super::super::json::{JsonCheck, JsonHead};
        let doc = JsonDoc {
            head: JsonHead {
                target: "dest".into(),
                address: "198.18.5.2".into(),
                method: "not a method",
                port: None,
                first_ttl: 1,
                max_hops: 30,
                queries: 1,
            },
            reached: false,
            hops_to_destination: None,
            address_check: JsonCheck {
                matches: false,
                last_hop: None,
                explanation: None,
            },
            hops: Vec::new(),
        };
        let shown = |method| {
            let facts = Facts {
                method,
                started: SystemTime::UNIX_EPOCH,
                ended: SystemTime::UNIX_EPOCH,
                src: None,
                one_flow: true,
            };
            let result = result(&doc, "198.18.5.2".parse().unwrap(), &facts);
            (result.proto, result.size)
        };
        let payload = super::super::probe::PAYLOAD_LEN;
        assert_eq!(shown(Method::Udp), ("UDP", payload));
        assert_eq!(shown(Method::Icmp), ("ICMP", payload));
        assert_eq!(shown(Method::Tcp), ("TCP", 0));
    }
}
