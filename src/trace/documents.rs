//! What `trace -c`/`--watch` writes for scripts: the JSON summary (one document, or the
//! last NDJSON line), each round's NDJSON object, and the CSV rows, all from a
//! [`Snapshot`] and the round just finished. The schema is in `mod.rs` and the README.

use std::time::Duration;

use serde::Serialize;

use super::engine::{Ending, Hop, ProbeResult};
use super::extensions::{ExtObject, JsonExtension, JsonMpls};
use super::extras::JsonAsn;
use super::json::JsonHead;
use super::multipath::Multipath;
use super::names::Names;
use super::stats::{HopSummary, PathChange, PathEvent, Snapshot};
use crate::output;

/// What the summary says about the run, whatever the format.
#[derive(Debug, Clone, Serialize)]
pub(super) struct Header {
    #[serde(flatten)]
    pub(super) head: JsonHead,
    pub(super) interval_s: f64,
}

pub(super) fn secs(d: Duration) -> f64 {
    (d.as_secs_f64() * 1000.0).round() / 1000.0
}

pub(super) fn ms_opt(d: Option<Duration>) -> Option<f64> {
    d.map(output::ms)
}

pub(super) fn ending_str(ending: Ending) -> &'static str {
    match ending {
        Ending::Reached { .. } => "reached",
        Ending::Unreachable { .. } => "unreachable",
        Ending::MaxHops => "max_hops",
        Ending::Stopped => "stopped",
    }
}

#[derive(Serialize)]
pub(super) struct JsonRound {
    #[serde(rename = "type")]
    pub(super) kind: &'static str,
    pub(super) round: u64,
    pub(super) flow: u16,
    pub(super) elapsed_s: f64,
    pub(super) ending: &'static str,
    pub(super) destination_ttl: Option<u8>,
    pub(super) hops: Vec<JsonRoundHop>,
    pub(super) events: Vec<JsonEvent>,
}

#[derive(Serialize)]
pub(super) struct JsonRoundHop {
    ttl: u8,
    probes: Vec<JsonRoundProbe>,
}

#[derive(Serialize)]
pub(super) struct JsonRoundProbe {
    from: Option<String>,
    rtt_ms: Option<f64>,
    /// The answer's MPLS labels and other extension objects, when it carried any.
    #[serde(skip_serializing_if = "Vec::is_empty")]
    mpls: Vec<JsonMpls>,
    #[serde(skip_serializing_if = "Vec::is_empty")]
    extensions: Vec<JsonExtension>,
}

pub(super) fn json_round_hop(hop: &Hop) -> JsonRoundHop {
    JsonRoundHop {
        ttl: hop.ttl,
        probes: hop
            .probes
            .iter()
            .map(|p| match p {
                ProbeResult::Answered {
                    from,
                    rtt,
                    mpls,
                    objects,
                    ..
                } => JsonRoundProbe {
                    from: Some(from.to_string()),
                    rtt_ms: Some(output::ms(*rtt)),
                    mpls: mpls.iter().map(JsonMpls::from).collect(),
                    extensions: objects.iter().map(ExtObject::json).collect(),
                },
                _ => JsonRoundProbe {
                    from: None,
                    rtt_ms: None,
                    mpls: Vec::new(),
                    extensions: Vec::new(),
                },
            })
            .collect(),
    }
}

#[derive(Serialize)]
pub(super) struct JsonEvent {
    round: u64,
    at_s: f64,
    kind: &'static str,
    ttl: Option<u8>,
    address: Option<String>,
    previous: Option<String>,
    from_ttl: Option<u8>,
    to_ttl: Option<u8>,
    description: String,
}

pub(super) fn json_event(e: &PathEvent) -> JsonEvent {
    let (ttl, address, previous, from_ttl, to_ttl) = match &e.change {
        PathChange::NewResponder {
            ttl,
            address,
            previous,
        } => (
            Some(*ttl),
            Some(address.to_string()),
            previous.map(|p| p.to_string()),
            None,
            None,
        ),
        PathChange::DestinationMoved { from_ttl, to_ttl } => {
            (None, None, None, Some(*from_ttl), Some(*to_ttl))
        }
    };
    JsonEvent {
        round: e.round,
        at_s: secs(e.at),
        kind: e.kind_str(),
        ttl,
        address,
        previous,
        from_ttl,
        to_ttl,
        description: e.describe(),
    }
}

#[derive(Serialize)]
pub(super) struct JsonResponder {
    address: String,
    name: Option<String>,
    /// `-A` only: who owns the address (null when the lookup gave nothing).
    #[serde(skip_serializing_if = "Option::is_none")]
    asn: Option<Option<JsonAsn>>,
    count: u64,
    share: f64,
    /// The ICMP extensions of its latest answer, as a single trace's probes have them.
    mpls: Vec<JsonMpls>,
    #[serde(skip_serializing_if = "Vec::is_empty")]
    extensions: Vec<JsonExtension>,
}

/// One hop of the summary: the JSON object, and (without `responders`) the CSV row.
#[derive(Serialize)]
pub(super) struct JsonHop {
    ttl: u8,
    sent: u64,
    received: u64,
    loss_percent: f64,
    responders: Vec<JsonResponder>,
    last_ms: Option<f64>,
    avg_ms: Option<f64>,
    best_ms: Option<f64>,
    worst_ms: Option<f64>,
    stdev_ms: Option<f64>,
    jitter_ms: Option<f64>,
    jitter_mean_ms: Option<f64>,
    jitter_max_ms: Option<f64>,
    jitter_interarrival_ms: Option<f64>,
    p50_ms: Option<f64>,
    p90_ms: Option<f64>,
    p95_ms: Option<f64>,
    p99_ms: Option<f64>,
    loss_kind: &'static str,
    forwarding_loss_percent: f64,
    replies_only_loss_percent: f64,
    explanation: String,
}

/// `asn`: with `-A` (each responder's `asn`, null when unknown).
pub(super) fn json_hop(hop: &HopSummary, asn: bool) -> JsonHop {
    let (rtt, jitter, pct) = (hop.rtt, hop.jitter, hop.percentiles);
    JsonHop {
        ttl: hop.ttl,
        sent: hop.sent,
        received: hop.received,
        loss_percent: hop.loss_percent,
        responders: hop
            .responders
            .iter()
            .map(|r| JsonResponder {
                address: r.address.to_string(),
                name: r.name.clone(),
                asn: asn.then(|| r.asn.as_ref().map(JsonAsn::from)),
                count: r.count,
                share: (r.share * 1000.0).round() / 1000.0,
                mpls: r.sent.json_mpls(),
                extensions: r.sent.json_objects(),
            })
            .collect(),
        last_ms: ms_opt(rtt.map(|r| r.last)),
        avg_ms: ms_opt(rtt.map(|r| r.avg)),
        best_ms: ms_opt(rtt.map(|r| r.best)),
        worst_ms: ms_opt(rtt.map(|r| r.worst)),
        stdev_ms: ms_opt(rtt.map(|r| r.stdev)),
        jitter_ms: ms_opt(jitter.map(|j| j.last)),
        jitter_mean_ms: ms_opt(jitter.map(|j| j.mean)),
        jitter_max_ms: ms_opt(jitter.map(|j| j.max)),
        jitter_interarrival_ms: ms_opt(jitter.map(|j| j.interarrival)),
        p50_ms: ms_opt(pct.map(|p| p.p50)),
        p90_ms: ms_opt(pct.map(|p| p.p90)),
        p95_ms: ms_opt(pct.map(|p| p.p95)),
        p99_ms: ms_opt(pct.map(|p| p.p99)),
        loss_kind: hop.loss.kind.as_str(),
        forwarding_loss_percent: hop.loss.forwarding_percent,
        replies_only_loss_percent: hop.loss.replies_only_percent,
        explanation: hop.loss.explanation.clone(),
    }
}

#[derive(Serialize)]
pub(super) struct JsonSummary<'a> {
    #[serde(rename = "type")]
    kind: &'static str,
    #[serde(flatten)]
    header: &'a Header,
    elapsed_s: f64,
    #[serde(flatten)]
    flow0: JsonFlow,
    flows: Option<Vec<JsonFlow>>,
    multipath: Option<JsonMultipath>,
}

/// One flow's statistics (the summary's own fields are flow 0's).
#[derive(Serialize)]
pub(super) struct JsonFlow {
    flow: u16,
    rounds: u64,
    reached_rounds: u64,
    destination_ttl: Option<u8>,
    loss_begins_at: Option<u8>,
    hops: Vec<JsonHop>,
    events_total: u64,
    events: Vec<JsonEvent>,
}

#[derive(Serialize)]
pub(super) struct JsonMultipath {
    splits: Vec<u8>,
    merges: Vec<u8>,
    hops: Vec<JsonMultipathHop>,
}

#[derive(Serialize)]
pub(super) struct JsonMultipathHop {
    ttl: u8,
    routers: Vec<JsonPathRouter>,
}

#[derive(Serialize)]
pub(super) struct JsonPathRouter {
    address: String,
    name: Option<String>,
    flows: Vec<u16>,
}

pub(super) fn json_flow(flow: usize, s: &Snapshot, reached_rounds: u64, asn: bool) -> JsonFlow {
    JsonFlow {
        flow: flow as u16,
        rounds: s.rounds,
        reached_rounds,
        destination_ttl: s.destination_ttl,
        loss_begins_at: s.loss_begins_at,
        hops: s.hops.iter().map(|h| json_hop(h, asn)).collect(),
        events_total: s.events_total,
        events: s.events.iter().map(json_event).collect(),
    }
}

pub(super) fn summary_doc<'a>(
    header: &'a Header,
    flows: &[Snapshot],
    reached_rounds: &[u64],
    multipath: Option<&Multipath>,
    names: &Names,
    asn: bool,
    elapsed: Duration,
) -> JsonSummary<'a> {
    JsonSummary {
        kind: "summary",
        header,
        elapsed_s: secs(elapsed),
        flow0: json_flow(0, &flows[0], reached_rounds[0], asn),
        flows: (flows.len() > 1).then(|| {
            flows
                .iter()
                .enumerate()
                .map(|(i, s)| json_flow(i, s, reached_rounds[i], asn))
                .collect()
        }),
        multipath: multipath.map(|m| JsonMultipath {
            splits: m.splits.clone(),
            merges: m.merges.clone(),
            hops: m
                .hops
                .iter()
                .map(|h| JsonMultipathHop {
                    ttl: h.ttl,
                    routers: h
                        .routers
                        .iter()
                        .map(|(a, flows)| JsonPathRouter {
                            address: a.to_string(),
                            name: names.get(a),
                            flows: flows.clone(),
                        })
                        .collect(),
                })
                .collect(),
        }),
    }
}

/// The CSV columns: the JSON hop's, `responders` as `address share;...`, `extensions`
/// as `address [MPLS: L=24001 E=0 S=1 T=1] [in: ...];...` (each responder that sent
/// any, its latest answer's entries as the table shows them).
pub(super) const CSV_COLUMNS: &[&str] = &[
    "rounds",
    "flow",
    "ttl",
    "address",
    "name",
    "responders",
    "sent",
    "received",
    "loss_percent",
    "last_ms",
    "avg_ms",
    "best_ms",
    "worst_ms",
    "stdev_ms",
    "jitter_ms",
    "jitter_mean_ms",
    "jitter_max_ms",
    "jitter_interarrival_ms",
    "p50_ms",
    "p90_ms",
    "p95_ms",
    "p99_ms",
    "loss_kind",
    "forwarding_loss_percent",
    "replies_only_loss_percent",
    "explanation",
    "extensions",
];

pub(super) type CsvRow = (
    u64,
    u16,
    u8,
    Option<String>,
    Option<String>,
    String,
    u64,
    u64,
    f64,
    [Option<f64>; 13],
    &'static str,
    f64,
    f64,
    String,
    String,
);

pub(super) fn csv_row(rounds: u64, flow: u16, hop: &HopSummary) -> CsvRow {
    let j = json_hop(hop, false);
    let main = hop.responders.first();
    (
        rounds,
        flow,
        j.ttl,
        main.map(|r| r.address.to_string()),
        main.and_then(|r| r.name.clone()),
        j.responders
            .iter()
            .map(|r| format!("{} {}", r.address, r.share))
            .collect::<Vec<_>>()
            .join(";"),
        j.sent,
        j.received,
        j.loss_percent,
        [
            j.last_ms,
            j.avg_ms,
            j.best_ms,
            j.worst_ms,
            j.stdev_ms,
            j.jitter_ms,
            j.jitter_mean_ms,
            j.jitter_max_ms,
            j.jitter_interarrival_ms,
            j.p50_ms,
            j.p90_ms,
            j.p95_ms,
            j.p99_ms,
        ],
        j.loss_kind,
        j.forwarding_loss_percent,
        j.replies_only_loss_percent,
        j.explanation,
        hop.responders
            .iter()
            .filter(|r| !r.sent.is_empty())
            .map(|r| format!("{} {}", r.address, r.sent.text()))
            .collect::<Vec<_>>()
            .join(";"),
    )
}

/// `-A`: three more columns at the end, the first responder's AS.
pub(super) const CSV_ASN_COLUMNS: &[&str] = &["asn", "asn_prefix", "asn_name"];

pub(super) fn csv_asn(hop: &HopSummary) -> (Option<u32>, Option<String>, Option<String>) {
    match hop.responders.first().and_then(|r| r.asn.as_ref()) {
        Some(info) => (
            Some(info.number),
            Some(info.prefix.clone()),
            info.name.clone(),
        ),
        None => (None, None, None),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn summary(responders: Vec<crate::trace::stats::Responder>) -> HopSummary {
        HopSummary {
            ttl: 3,
            sent: 10,
            received: 9,
            send_failed: 0,
            loss_percent: 10.0,
            responders,
            other_responders: 0,
            rtt: None,
            jitter: None,
            percentiles: None,
            loss: crate::trace::stats::LossVerdict {
                kind: crate::trace::stats::LossKind::RepliesOnly,
                forwarding_percent: 0.0,
                replies_only_percent: 10.0,
                explanation: "a, with \"commas\"".into(),
            },
            history: vec![],
        }
    }

    #[test]
    fn csv_rows_have_as_many_cells_as_columns() {
        let summary = summary(vec![]);
        let mut w = csv::WriterBuilder::new()
            .has_headers(false)
            .from_writer(Vec::new());
        w.serialize(csv_row(10, 0, &summary)).unwrap();
        let text = String::from_utf8(w.into_inner().unwrap()).unwrap();
        let mut reader = csv::ReaderBuilder::new()
            .has_headers(false)
            .from_reader(text.as_bytes());
        let record = reader.records().next().unwrap().unwrap();
        assert_eq!(record.len(), CSV_COLUMNS.len());
        assert_eq!(&record[CSV_COLUMNS.len() - 2], "a, with \"commas\"");
        assert_eq!(&record[CSV_COLUMNS.len() - 1], "");
    }

    /// Rounds mode: each responder's latest extensions, in the summary JSON (as a single
    /// trace's probes have them) and in the CSV `extensions` cell (as the table shows).
    #[test]
    fn responders_carry_their_latest_extensions_to_json_and_csv() {
        use crate::packet::extensions::MplsLabel;
        use crate::trace::extensions::Sent;
        let sent = Sent {
            mpls: vec![MplsLabel {
                label: 24001,
                exp: 0,
                bottom: true,
                ttl: 1,
            }],
            objects: vec![ExtObject::Unknown {
                class: 9,
                c_type: 1,
                bytes: vec![0xde, 0xad],
            }],
        };
        let responder = |addr: &str, sent: Sent| crate::trace::stats::Responder {
            address: addr.parse().unwrap(),
            name: None,
            asn: None,
            count: 5,
            share: 0.5,
            sent,
        };
        let hop = summary(vec![
            responder("198.18.1.2", sent),
            responder("198.18.9.2", Sent::default()),
        ]);
        let json = serde_json::to_value(json_hop(&hop, false)).unwrap();
        assert_eq!(
            json["responders"],
            serde_json::json!([
                {"address": "198.18.1.2", "name": null, "count": 5, "share": 0.5,
                 "mpls": [{"label": 24001, "exp": 0, "bottom": true, "ttl": 1}],
                 "extensions": [{"class": 9, "c_type": 1, "hex": "dead"}]},
                {"address": "198.18.9.2", "name": null, "count": 5, "share": 0.5, "mpls": []}
            ])
        );
        let row = csv_row(10, 0, &hop);
        assert_eq!(row.14, "198.18.1.2 [MPLS: L=24001 E=0 S=1 T=1] [9/1: dead]");
    }
}
