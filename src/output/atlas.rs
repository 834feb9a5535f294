//! What every RIPE Atlas result netlab writes has in common (`--format atlas`).
//!
//! RIPE Atlas's measurement-result format is the common language of public measurement
//! data: `ripe.atlas.sagan` parses it, and the Atlas tools, dashboards and archives read
//! it. netlab writes the version-5000 structures ("any value from 5000 on conforms to the
//! 5000 documentation"), one result object per target, in a JSON array (what the Atlas
//! API returns for a measurement). Each command maps its own result (the structures its
//! `--json` document is made from) in its own `atlas.rs`: `ping/atlas.rs`,
//! `trace/atlas.rs`, `resolve/atlas.rs`; this file holds the header fields they share.
//!
//! The header, and what netlab puts in it:
//! - `fw`: [`FIRMWARE`] (5000): the result-format version, not an Atlas probe firmware
//!   (sagan reads `fw` only to choose between format versions).
//! - `msm_id`, `prb_id`: 0. netlab is not an Atlas probe and its runs are not Atlas
//!   measurements; 0 is no real measurement's or probe's id, so netlab's results can
//!   never be mistaken for, or merged with, the platform's.
//! - `lts`: -1, Atlas's "the probe does not know whether its clock is in sync".
//! - `timestamp`: when the measurement started (Unix seconds).
//! - `from` and `src_addr`: the address this host sends from toward the destination (the
//!   route's source address). Atlas's `from` is the probe's address as its controller
//!   saw it; without a controller, the local address is the honest answer. The command
//!   asks `net` for it and hands it in: a printer never opens a socket.
//! - `dst_addr`, `dst_name`, `af`: the address probed, the target as given, 4 or 6.

use std::net::IpAddr;
use std::time::{SystemTime, UNIX_EPOCH};

use serde::Serialize;

use super::Stdout;

/// The result-format version netlab writes (module docs).
pub const FIRMWARE: u32 = 5000;
/// `lts` when the clock's synchronisation is unknown (Atlas's own -1).
pub const UNKNOWN_SYNC: i64 = -1;

/// The fields every result starts with. Flattened into each command's result object.
#[derive(Debug, Clone, Serialize, PartialEq)]
pub struct Header {
    pub fw: u32,
    pub lts: i64,
    pub msm_id: u64,
    pub prb_id: u64,
    /// Atlas's measurement type: "ping", "traceroute", "dns".
    #[serde(rename = "type")]
    pub kind: &'static str,
    /// Atlas's display name of the type: "Ping", "Traceroute", "Tdig".
    pub msm_name: &'static str,
    pub timestamp: u64,
    pub from: String,
    pub src_addr: String,
    pub dst_addr: String,
    pub dst_name: String,
    /// 4 or 6; absent when there is no destination (an /etc/hosts answer).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub af: Option<u8>,
}

impl Header {
    /// A header for one result: `src` is this host's address toward `dst` (None when
    /// it could not be found: then empty strings, as Atlas writes an unknown `from`).
    pub fn new(
        kind: &'static str,
        msm_name: &'static str,
        started: SystemTime,
        src: Option<IpAddr>,
        dst: IpAddr,
        dst_name: &str,
    ) -> Header {
        let src = src.map(|a| a.to_string()).unwrap_or_default();
        Header {
            fw: FIRMWARE,
            lts: UNKNOWN_SYNC,
            msm_id: 0,
            prb_id: 0,
            kind,
            msm_name,
            timestamp: unix_seconds(started),
            from: src.clone(),
            src_addr: src,
            dst_addr: dst.to_string(),
            dst_name: dst_name.to_string(),
            af: Some(if dst.is_ipv4() { 4 } else { 6 }),
        }
    }
}

impl Stdout {
    /// Writes the Atlas results (a JSON array, one result per target), and the run's
    /// `--json` document where [`super::ALSO_JSON`] asks for it, so the tests compare
    /// both documents of one run.
    pub fn atlas<R: Serialize, D: Serialize>(&self, results: &[R], json: &D) {
        self.json(&results);
        self.also_json(json);
    }
}

/// Seconds since the Unix epoch (0 for a clock set before 1970).
pub fn unix_seconds(at: SystemTime) -> u64 {
    at.duration_since(UNIX_EPOCH).map_or(0, |d| d.as_secs())
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::time::Duration;

    #[test]
    fn the_header_says_what_netlab_is() {
        let started = UNIX_EPOCH + Duration::from_millis(1_700_000_000_900);
        let header = Header::new(
            "ping",
            "Ping",
            started,
            Some("198.18.0.1".parse().unwrap()),
            "fd4e:6c61:62:2::2".parse().unwrap(),
            "dest",
        );
        let value = serde_json::to_value(&header).unwrap();
        assert_eq!(
            value,
            serde_json::json!({
                "fw": 5000, "lts": -1, "msm_id": 0, "prb_id": 0, "type": "ping",
                "msm_name": "Ping", "timestamp": 1_700_000_000u64, "from": "198.18.0.1",
                "src_addr": "198.18.0.1", "dst_addr": "fd4e:6c61:62:2::2",
                "dst_name": "dest", "af": 6
            })
        );
    }
}
