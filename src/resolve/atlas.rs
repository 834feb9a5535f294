//! `resolve --format atlas`: each query as a RIPE Atlas DNS result (version 5000), one
//! per input in input order, made from the query's `--json` record and the DNS messages
//! its status rests on ([`Wire`]: the bytes as they arrived, never re-encoded).
//!
//! - `type: "dns"`, `msm_name: "Tdig"`; `dst_addr` / `dst_name`: the server the
//!   messages came from; `proto`: `"UDP"` or `"TCP"`; `timestamp`: when the query
//!   started; `from` / `src_addr`: this host's address toward that server.
//! - One message (one type asked, `-t`, `-4`, `-6`, an address's PTR): `result` with
//!   `abuf` (base64 of the whole response), `rt` (ms from question to answer), `size`
//!   (bytes), and the header's `ID`, `ANCOUNT`, `QDCOUNT`, `NSCOUNT`, `ARCOUNT`.
//! - Several (A and AAAA, asked together as getaddrinfo does): `resultset`, one element
//!   per message (`time`, `lts`, `af`, `dst_addr`, `proto`, `subid` 1.., `submax`, and
//!   its `result` as above), A first.
//! - No message: `error`, as Atlas writes it: `{"timeout": ms}` when no server replied
//!   in time, `{"socket": why}` when none could be asked; and two netlab cases Atlas
//!   never has: `{"hosts": ...}` for an answer from /etc/hosts (no DNS message exists;
//!   the addresses are in the `--json` document) and `{"invalid": why}` for an input
//!   that is not a name or an address.

use std::net::IpAddr;
use std::time::SystemTime;

use base64::Engine as _;
use serde::Serialize;

use crate::dns::lookup::{Resolution, Source, Status, Wire};
use crate::output::atlas::{unix_seconds, Header, UNKNOWN_SYNC};
use crate::output::ms;

/// One query's result.
#[derive(Debug, Serialize)]
pub struct DnsResult {
    #[serde(flatten)]
    header: Header,
    #[serde(skip_serializing_if = "Option::is_none")]
    proto: Option<&'static str>,
    #[serde(skip_serializing_if = "Option::is_none")]
    result: Option<Answer>,
    #[serde(skip_serializing_if = "Option::is_none")]
    resultset: Option<Vec<SetMember>>,
    #[serde(skip_serializing_if = "Option::is_none")]
    error: Option<serde_json::Value>,
}

/// Atlas's `result` object: one DNS response.
#[derive(Debug, Serialize, PartialEq)]
#[allow(non_snake_case)]
pub struct Answer {
    rt: f64,
    size: usize,
    abuf: String,
    ID: u16,
    QDCOUNT: u16,
    ANCOUNT: u16,
    NSCOUNT: u16,
    ARCOUNT: u16,
}

/// One element of `resultset`.
#[derive(Debug, Serialize)]
struct SetMember {
    time: u64,
    lts: i64,
    af: u8,
    dst_addr: String,
    proto: &'static str,
    subid: usize,
    submax: usize,
    result: Answer,
}

/// The Atlas result of one finished query; `started` is when it began.
pub fn result(res: &Resolution, started: SystemTime) -> DnsResult {
    let server = res.messages.first().map(|w| w.server).or(match res.source {
        Some(Source::Server { addr, .. }) => Some(addr),
        _ => None,
    });
    let dst = server.map(|s| s.ip());
    let mut header = Header::new(
        "dns",
        "Tdig",
        started,
        server.and_then(|s| crate::net::probe::source_address(s).ok()),
        dst.unwrap_or(IpAddr::from([0, 0, 0, 0])),
        &server.map(|s| s.to_string()).unwrap_or_default(),
    );
    if dst.is_none() {
        header.dst_addr = String::new();
        header.af = None;
    }
    let proto = |tcp: bool| if tcp { "TCP" } else { "UDP" };
    let (result, resultset) = match res.messages.as_slice() {
        [] => (None, None),
        [one] => (Some(answer(one)), None),
        several => (
            None,
            Some(
                several
                    .iter()
                    .enumerate()
                    .map(|(i, w)| SetMember {
                        time: unix_seconds(started),
                        lts: UNKNOWN_SYNC,
                        af: if w.server.is_ipv4() { 4 } else { 6 },
                        dst_addr: w.server.ip().to_string(),
                        proto: proto(w.tcp),
                        subid: i + 1,
                        submax: several.len(),
                        result: answer(w),
                    })
                    .collect(),
            ),
        ),
    };
    let error = res
        .messages
        .is_empty()
        .then(|| match (res.status, res.source) {
            (Status::Invalid, _) => serde_json::json!({ "invalid": res.error }),
            (_, Some(Source::Hosts)) => serde_json::json!({
                "hosts": format!(
                    "answered from {}: no DNS message was exchanged",
                    crate::dns::hosts::path()
                )
            }),
            (Status::Timeout, _) => serde_json::json!({ "timeout": ms(res.elapsed) }),
            _ => serde_json::json!({ "socket": res.error }),
        });
    let tcp = res.messages.first().map(|w| w.tcp).or(match res.source {
        Some(Source::Server { tcp, .. }) => Some(tcp),
        _ => None,
    });
    DnsResult {
        header,
        proto: tcp.map(proto),
        result,
        resultset,
        error,
    }
}

/// A response as Atlas's `result`: the header counts read from its first 12 bytes (the
/// message parsed once already; these five numbers need no DNS library).
fn answer(wire: &Wire) -> Answer {
    let word = |i: usize| {
        wire.bytes
            .get(i..i + 2)
            .map_or(0, |b| u16::from_be_bytes([b[0], b[1]]))
    };
    Answer {
        rt: ms(wire.rtt),
        size: wire.bytes.len(),
        abuf: base64::engine::general_purpose::STANDARD.encode(&wire.bytes),
        ID: word(0),
        QDCOUNT: word(4),
        ANCOUNT: word(6),
        NSCOUNT: word(8),
        ARCOUNT: word(10),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::dns::record::RecordKind;
    use serde_json::json;
    use std::time::Duration;

    fn resolution(messages: Vec<Wire>) -> Resolution {
        Resolution {
            query: "www".into(),
            status: Status::Ok,
            source: Some(Source::Server {
                addr: "127.0.0.1:53".parse().unwrap(),
                tcp: false,
            }),
            elapsed: Duration::from_millis(3),
            rows: Vec::new(),
            error: None,
            asked: Some("www.netlab.test.".into()),
            messages,
        }
    }

    fn wire(kind: RecordKind) -> Wire {
        // ID 0x1234, QR RD RA, 1 question, 1 answer, 0, 1 additional; the rest elided.
        let mut bytes = vec![0x12, 0x34, 0x81, 0x80, 0, 1, 0, 1, 0, 0, 0, 1];
        bytes.extend_from_slice(b"rest");
        Wire {
            server: "127.0.0.1:53".parse().unwrap(),
            tcp: false,
            kind,
            bytes,
            rtt: Duration::from_micros(1250),
        }
    }

    #[test]
    fn one_message_is_a_result_with_its_bytes_and_counts() {
        let value = serde_json::to_value(result(
            &resolution(vec![wire(RecordKind::A)]),
            SystemTime::now(),
        ))
        .unwrap();
        assert_eq!(value["type"], "dns");
        assert_eq!(value["proto"], "UDP");
        assert_eq!(value["dst_addr"], "127.0.0.1");
        assert_eq!(
            value["result"],
            json!({"rt": 1.25, "size": 16, "abuf": "EjSBgAABAAEAAAABcmVzdA==", "ID": 4660,
                   "QDCOUNT": 1, "ANCOUNT": 1, "NSCOUNT": 0, "ARCOUNT": 1})
        );
        assert!(value.get("resultset").is_none() && value.get("error").is_none());
    }

    #[test]
    fn a_and_aaaa_are_a_result_set() {
        let res = resolution(vec![wire(RecordKind::A), wire(RecordKind::Aaaa)]);
        let value = serde_json::to_value(result(&res, SystemTime::now())).unwrap();
        let set = value["resultset"].as_array().unwrap();
        assert_eq!(set.len(), 2);
        assert_eq!(
            (set[0]["subid"].clone(), set[1]["submax"].clone()),
            (json!(1), json!(2))
        );
        assert_eq!(set[1]["af"], 4);
        assert!(value.get("result").is_none());
    }

    #[test]
    fn no_message_is_an_error_saying_why() {
        let mut timeout = resolution(Vec::new());
        timeout.status = Status::Timeout;
        let value = serde_json::to_value(result(&timeout, SystemTime::now())).unwrap();
        assert_eq!(value["error"], json!({"timeout": 3.0}));
        let mut hosts = resolution(Vec::new());
        hosts.source = Some(Source::Hosts);
        let value = serde_json::to_value(result(&hosts, SystemTime::now())).unwrap();
        assert!(value["error"]["hosts"]
            .as_str()
            .unwrap()
            .contains(&crate::dns::hosts::path()));
        assert_eq!(value["dst_addr"], "");
        assert!(value.get("proto").is_none() && value.get("af").is_none());
    }
}
