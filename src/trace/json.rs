//! One trace's `--json` document (schema in the module docs of `trace`), the records
//! `atlas.rs` maps to a RIPE Atlas result as well. Built from the engine's hops and the
//! names and extras the printer gathered; it prints nothing.

use serde::Serialize;

use super::address_check::AddressCheck;
use super::engine::{Hop, ProbeResult};
use super::extensions::{ExtObject, JsonExtension, JsonMpls};
use super::extras::{HopExtras, JsonAsn};
use super::names::Names;
use super::{Method, Plan, Resolved};
use crate::output;

#[derive(Serialize)]
pub(super) struct JsonProbe {
    pub(super) rtt_ms: Option<f64>,
    pub(super) from: Option<String>,
    pub(super) kind: String,
    pub(super) annotation: Option<String>,
    pub(super) mpls: Vec<JsonMpls>,
    /// ICMP extension objects other than MPLS (interface information, unknown ones).
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub(super) extensions: Vec<JsonExtension>,
    /// Their class and c-type, for the Atlas result's `icmpext.obj`.
    #[serde(skip)]
    pub(super) ext_types: Vec<(u8, u8)>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub(super) reply_ttl: Option<u8>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub(super) reply_size: Option<u16>,
    /// For the Atlas result's `icmpext.rfc4884` (not in the JSON schema).
    #[serde(skip)]
    pub(super) rfc4884: bool,
}

#[derive(Serialize)]
pub(super) struct JsonResponder {
    pub(super) address: String,
    pub(super) name: Option<String>,
    /// `-A` only: who owns the address (null when the lookup gave nothing).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub(super) asn: Option<Option<JsonAsn>>,
}

#[derive(Serialize)]
pub(super) struct JsonHop {
    pub(super) ttl: u8,
    pub(super) responders: Vec<JsonResponder>,
    pub(super) probes: Vec<JsonProbe>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub(super) mtu: Option<u32>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub(super) back_hops: Option<u8>,
}

#[derive(Serialize)]
pub(super) struct JsonCheck {
    pub(super) matches: bool,
    pub(super) last_hop: Option<String>,
    pub(super) explanation: Option<String>,
}

/// What every trace document starts with (one trace's, the rounds' summary): the
/// target and how it was probed.
#[derive(Debug, Clone, Serialize)]
pub(super) struct JsonHead {
    pub(super) target: String,
    pub(super) address: String,
    pub(super) method: &'static str,
    pub(super) port: Option<u16>,
    pub(super) first_ttl: u8,
    pub(super) max_hops: u8,
    pub(super) queries: u8,
}

impl JsonHead {
    pub(super) fn new(plan: &Plan, target: &Resolved) -> JsonHead {
        JsonHead {
            target: target.text.clone(),
            address: target.addr().to_string(),
            method: plan.method.as_str(),
            port: (plan.method != Method::Icmp).then_some(plan.port),
            first_ttl: plan.first_ttl,
            max_hops: plan.max_ttl,
            queries: plan.queries,
        }
    }
}

#[derive(Serialize)]
pub(super) struct JsonDoc {
    #[serde(flatten)]
    pub(super) head: JsonHead,
    pub(super) reached: bool,
    pub(super) hops_to_destination: Option<u8>,
    pub(super) address_check: JsonCheck,
    pub(super) hops: Vec<JsonHop>,
}

impl JsonHop {
    /// The hop's record: its responders with the names and extras known so far.
    pub(super) fn new(hop: &Hop, names: &Names, extras: &HopExtras) -> JsonHop {
        JsonHop {
            ttl: hop.ttl,
            responders: hop
                .responders()
                .into_iter()
                .map(|a| JsonResponder {
                    address: a.to_string(),
                    name: names.get(&a),
                    asn: extras.json_asn(&a),
                })
                .collect(),
            probes: hop.probes.iter().map(JsonProbe::new).collect(),
            mtu: extras.mtu(hop.ttl),
            back_hops: extras.back(hop.ttl),
        }
    }
}

impl JsonProbe {
    /// A probe nothing answered, of this JSON kind (`timeout`, `send_failed`).
    pub(super) fn unanswered(kind: &str) -> JsonProbe {
        JsonProbe {
            rtt_ms: None,
            from: None,
            kind: kind.into(),
            annotation: None,
            mpls: Vec::new(),
            extensions: Vec::new(),
            ext_types: Vec::new(),
            reply_ttl: None,
            reply_size: None,
            rfc4884: false,
        }
    }

    fn new(probe: &ProbeResult) -> JsonProbe {
        match probe {
            ProbeResult::Answered {
                from,
                rtt,
                reply,
                mpls,
                objects,
                wire,
            } => JsonProbe {
                rtt_ms: Some(output::ms(*rtt)),
                from: Some(from.to_string()),
                kind: reply.kind_str().into(),
                annotation: reply.annotation(),
                mpls: mpls.iter().map(JsonMpls::from).collect(),
                extensions: objects.iter().map(ExtObject::json).collect(),
                ext_types: objects.iter().map(ExtObject::class_and_type).collect(),
                reply_ttl: wire.ttl,
                reply_size: wire.size,
                rfc4884: wire.rfc4884,
            },
            ProbeResult::Silent => JsonProbe::unanswered("timeout"),
            ProbeResult::SendFailed(_) => JsonProbe::unanswered("send_failed"),
        }
    }
}

impl From<&AddressCheck> for JsonCheck {
    fn from(check: &AddressCheck) -> JsonCheck {
        JsonCheck {
            matches: check.matches,
            last_hop: check.last_hop.map(|(a, _)| a.to_string()),
            explanation: check.explanation.clone(),
        }
    }
}
