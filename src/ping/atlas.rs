//! `ping --format atlas`: the run as RIPE Atlas ping results (version 5000), one per
//! target in command-line order, made from the very records the `--json` document is
//! made of (`report.rs`), so the two can never tell different stories.
//!
//! Per target (`type: "ping"`, `proto: "ICMP"`; header fields in `output::atlas`):
//! - `sent`, `rcvd`, `dup`: the summary's transmitted, received (first replies within
//!   `-W`) and duplicates; `min`/`avg`/`max`: its RTTs in ms, -1 without replies (Atlas's
//!   own "no value"); `size`: ICMP data bytes per probe (`-s`), as Atlas counts it since
//!   firmware 4570; `ttl`: the TTL of the first reply.
//! - `result`: per probe in sequence order, `{"rtt": ms, "ttl": n}` for its first timely
//!   reply (plus `"srcaddr"` when another address answered), then one
//!   `{"rtt": ms, "ttl": n, "dup": 1}` per duplicate; `{"x": "*"}` when nothing came in
//!   time (a late reply is not an RTT: Atlas leaves those out of `rcvd` too);
//!   `{"error": "..."}` when an ICMP error or a failed send was all it got.

use std::net::IpAddr;
use std::time::SystemTime;

use serde::Serialize;

use super::json::{JsonError, JsonReply, JsonSummary};
use crate::output::atlas::Header;

/// One target's result.
#[derive(Debug, Serialize)]
pub struct PingResult {
    #[serde(flatten)]
    header: Header,
    proto: &'static str,
    sent: u64,
    rcvd: u64,
    dup: u64,
    min: f64,
    avg: f64,
    max: f64,
    size: usize,
    #[serde(skip_serializing_if = "Option::is_none")]
    ttl: Option<u8>,
    result: Vec<Item>,
}

/// One element of `result`.
#[derive(Debug, Serialize, PartialEq)]
#[serde(untagged)]
pub enum Item {
    Reply {
        rtt: f64,
        #[serde(skip_serializing_if = "Option::is_none")]
        ttl: Option<u8>,
        #[serde(skip_serializing_if = "Option::is_none")]
        srcaddr: Option<String>,
        #[serde(skip_serializing_if = "Option::is_none")]
        dup: Option<u8>,
    },
    Timeout {
        x: &'static str,
    },
    Error {
        error: String,
    },
}

/// What the JSON records do not say about a target.
pub struct Target {
    pub text: String,
    pub addr: IpAddr,
    /// This host's source address toward it.
    pub src: Option<IpAddr>,
}

/// The results of a run: `replies` and `errors` carry the index of their target.
pub fn results(
    started: SystemTime,
    size: usize,
    targets: &[Target],
    replies: &[(usize, &JsonReply)],
    errors: &[(usize, &JsonError)],
    summary: &[JsonSummary],
) -> Vec<PingResult> {
    targets
        .iter()
        .zip(summary)
        .enumerate()
        .map(|(index, (target, s))| {
            let mine: Vec<&JsonReply> = replies
                .iter()
                .filter(|(i, _)| *i == index)
                .map(|(_, r)| *r)
                .collect();
            let my_errors: Vec<&JsonError> = errors
                .iter()
                .filter(|(i, _)| *i == index)
                .map(|(_, e)| *e)
                .collect();
            let dst = target.addr.to_string();
            let item = |r: &JsonReply, dup: bool| Item::Reply {
                rtt: r.rtt_ms,
                ttl: r.ttl,
                srcaddr: (r.from != dst).then(|| r.from.clone()),
                dup: dup.then_some(1),
            };
            let mut result = Vec::new();
            for seq in 1..=s.transmitted {
                let of_seq = || mine.iter().copied().filter(move |r| r.seq == seq);
                match of_seq().find(|r| !r.duplicate && !r.late) {
                    Some(first) => result.push(item(first, false)),
                    None => match my_errors.iter().find(|e| e.seq == seq) {
                        Some(e) => result.push(Item::Error {
                            error: match &e.from {
                                Some(from) => format!("{} from {from}", e.detail),
                                None => e.detail.clone(),
                            },
                        }),
                        None => result.push(Item::Timeout { x: "*" }),
                    },
                }
                result.extend(of_seq().filter(|r| r.duplicate).map(|r| item(r, true)));
            }
            PingResult {
                header: Header::new(
                    "ping",
                    "Ping",
                    started,
                    target.src,
                    target.addr,
                    &target.text,
                ),
                proto: "ICMP",
                sent: s.transmitted,
                rcvd: s.received,
                dup: s.duplicates,
                min: s.min_ms.unwrap_or(-1.0),
                avg: s.avg_ms.unwrap_or(-1.0),
                max: s.max_ms.unwrap_or(-1.0),
                size,
                ttl: mine
                    .iter()
                    .find(|r| !r.duplicate && !r.late)
                    .and_then(|r| r.ttl),
                result,
            }
        })
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    fn reply(seq: u64, from: &str, rtt_ms: f64, duplicate: bool, late: bool) -> JsonReply {
        JsonReply {
            target: "dest".into(),
            seq,
            from: from.into(),
            name: None,
            bytes: 64,
            ttl: Some(62),
            rtt_ms,
            duplicate,
            late,
            unix_time: 0.0,
        }
    }

    fn summary(transmitted: u64, received: u64, duplicates: u64) -> JsonSummary {
        JsonSummary {
            target: "dest".into(),
            address: "198.18.2.2".into(),
            transmitted,
            received,
            duplicates,
            errors: 0,
            late: 0,
            loss_percent: 0.0,
            min_ms: (received > 0).then_some(1.0),
            avg_ms: (received > 0).then_some(1.5),
            max_ms: (received > 0).then_some(2.0),
            mdev_ms: None,
            jitter_ms: None,
        }
    }

    #[test]
    fn every_probe_is_one_item_in_sequence_order_with_its_duplicates_after_it() {
        let replies = [
            reply(2, "198.18.2.2", 2.0, false, false),
            reply(1, "198.18.2.2", 1.0, false, false),
            reply(1, "198.18.2.2", 1.1, true, false),
            reply(3, "198.18.2.2", 2600.0, false, true),
            reply(5, "198.18.9.9", 1.25, false, false),
        ];
        let error = JsonError {
            target: "dest".into(),
            seq: 4,
            from: Some("198.18.1.2".into()),
            kind: "host_unreachable".into(),
            detail: "host unreachable".into(),
            mtu: None,
        };
        let targets = [Target {
            text: "dest".into(),
            addr: "198.18.2.2".parse().unwrap(),
            src: Some("198.18.0.1".parse().unwrap()),
        }];
        let replies: Vec<(usize, &JsonReply)> = replies.iter().map(|r| (0, r)).collect();
        let results = results(
            std::time::UNIX_EPOCH,
            56,
            &targets,
            &replies,
            &[(0, &error)],
            &[summary(5, 3, 1)],
        );
        let value = serde_json::to_value(&results).unwrap();
        let one = &value[0];
        assert_eq!(one["type"], "ping");
        assert_eq!(one["proto"], "ICMP");
        assert_eq!(
            (one["sent"].clone(), one["rcvd"].clone()),
            (json!(5), json!(3))
        );
        assert_eq!(one["ttl"], 62);
        assert_eq!(
            one["result"],
            json!([
                {"rtt": 1.0, "ttl": 62},
                {"rtt": 1.1, "ttl": 62, "dup": 1},
                {"rtt": 2.0, "ttl": 62},
                {"x": "*"},
                {"error": "host unreachable from 198.18.1.2"},
                {"rtt": 1.25, "ttl": 62, "srcaddr": "198.18.9.9"},
            ])
        );
    }

    #[test]
    fn no_reply_means_minus_one_and_stars() {
        let targets = [Target {
            text: "198.18.250.1".into(),
            addr: "198.18.250.1".parse().unwrap(),
            src: None,
        }];
        let results = results(
            std::time::UNIX_EPOCH,
            56,
            &targets,
            &[],
            &[],
            &[summary(2, 0, 0)],
        );
        let value = serde_json::to_value(&results).unwrap();
        assert_eq!(value[0]["min"], -1.0);
        assert_eq!(value[0]["avg"], -1.0);
        assert!(value[0].get("ttl").is_none());
        assert_eq!(value[0]["result"], json!([{"x": "*"}, {"x": "*"}]));
        assert_eq!(value[0]["src_addr"], "");
    }
}
