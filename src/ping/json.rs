//! ping's `--json` document (schema in the README): every reply, every error, one
//! summary per target. `atlas.rs` maps the same records to RIPE Atlas ping results, so
//! both documents of a run say the same thing.

use serde::Serialize;

#[derive(Serialize)]
pub(super) struct JsonReply {
    pub(super) target: String,
    pub(super) seq: u64,
    pub(super) from: String,
    pub(super) name: Option<String>,
    pub(super) bytes: usize,
    pub(super) ttl: Option<u8>,
    pub(super) rtt_ms: f64,
    pub(super) duplicate: bool,
    pub(super) late: bool,
    pub(super) unix_time: f64,
}

#[derive(Serialize)]
pub(super) struct JsonError {
    pub(super) target: String,
    pub(super) seq: u64,
    pub(super) from: Option<String>,
    pub(super) kind: String,
    pub(super) detail: String,
    pub(super) mtu: Option<u32>,
}

#[derive(Serialize)]
pub(super) struct JsonSummary {
    pub(super) target: String,
    pub(super) address: String,
    pub(super) transmitted: u64,
    pub(super) received: u64,
    pub(super) duplicates: u64,
    pub(super) errors: u64,
    pub(super) late: u64,
    pub(super) loss_percent: f64,
    pub(super) min_ms: Option<f64>,
    pub(super) avg_ms: Option<f64>,
    pub(super) max_ms: Option<f64>,
    pub(super) mdev_ms: Option<f64>,
    pub(super) jitter_ms: Option<f64>,
}

#[derive(Serialize)]
pub(super) struct JsonDoc {
    pub(super) replies: Vec<JsonReply>,
    pub(super) errors: Vec<JsonError>,
    pub(super) summary: Vec<JsonSummary>,
}
