//! What the user is shown once the walk is over: the [`Resolution`] of the candidate
//! chosen, its rows, and when it did not resolve, the one line that says why, naming
//! each server's trouble and the other names tried. Apart from the walk, because this is
//! wording: the walk decides what happened, this says it.

use std::net::SocketAddr;
use std::time::Duration;

use super::resolution::{Resolution, Row, Status};
use super::servers::{Asked, Candidate, Trouble, Verdict};
use crate::dns::client::Rcode;
use crate::dns::record::kind_name;
use crate::dns::record::RecordKind;
use crate::duration::format_duration;

/// The result of a query from the candidates tried and the one `choose` picked.
pub(super) fn resolution(
    query: &str,
    tried: &[Candidate],
    chosen: usize,
    kinds: &[RecordKind],
) -> Resolution {
    let Some(candidate) = tried.get(chosen) else {
        return Resolution {
            query: query.to_string(),
            status: Status::Error,
            source: None,
            elapsed: Duration::ZERO,
            rows: Vec::new(),
            error: Some("no server to ask".into()),
            asked: None,
            messages: Vec::new(),
        };
    };
    let status = candidate.asked.status();
    let rows = match &candidate.asked {
        Asked::Answered { chain, .. } => chain
            .aliases
            .iter()
            .chain(&chain.records)
            .map(Row::from_record)
            .collect(),
        Asked::Failed { .. } => Vec::new(),
    };
    let error = (status != Status::Ok).then(|| {
        let mut text = describe(&candidate.name, &candidate.asked, kinds);
        let others: Vec<String> = tried
            .iter()
            .enumerate()
            .filter(|(i, _)| *i != chosen)
            .map(|(_, c)| format!("{}: {}", plain(&c.name), short(&c.asked)))
            .collect();
        if !others.is_empty() {
            text.push_str(&format!("; also tried {}", others.join(", ")));
        }
        text
    });
    Resolution {
        query: query.to_string(),
        status,
        source: candidate.asked.source(),
        elapsed: Duration::ZERO,
        rows,
        error,
        asked: Some(candidate.name.clone()),
        messages: match &candidate.asked {
            Asked::Answered { messages, .. } | Asked::Failed { messages, .. } => messages.clone(),
        },
    }
}

/// The message for a candidate that did not resolve.
fn describe(name: &str, asked: &Asked, kinds: &[RecordKind]) -> String {
    let name = plain(name);
    match asked {
        Asked::Answered {
            server, verdict, ..
        } => match verdict {
            Verdict::NxDomain => format!("no such name (NXDOMAIN for {name} from {server})"),
            Verdict::NoData => {
                let kinds: Vec<&str> = kinds.iter().map(|k| kind_name(*k)).collect();
                format!(
                    "{name} has no {} record (answer from {server})",
                    kinds.join(" or ")
                )
            }
            Verdict::Found => String::new(),
        },
        Asked::Failed { tries, .. } => {
            let head = match asked.status() {
                Status::ServFail => "server failure",
                Status::Refused => "query refused",
                Status::Timeout => "no answer",
                _ => "query failed",
            };
            format!("{head} ({} for {name})", troubles(tries))
        }
    }
}

/// Each server's trouble once, in the order they were asked.
fn troubles(tries: &[(SocketAddr, Trouble)]) -> String {
    let mut servers: Vec<SocketAddr> = Vec::new();
    for (server, _) in tries {
        if !servers.contains(server) {
            servers.push(*server);
        }
    }
    servers
        .iter()
        .map(|server| {
            let mine: Vec<&Trouble> = tries
                .iter()
                .filter(|(s, _)| s == server)
                .map(|(_, t)| t)
                .collect();
            let best = mine
                .iter()
                .copied()
                .fold(None::<&Trouble>, |best, t| match best {
                    Some(b) if b.rank() >= t.rank() => Some(b),
                    _ => Some(t),
                });
            match best {
                Some(Trouble::Rcode(Rcode::ServFail)) => format!("SERVFAIL from {server}"),
                Some(Trouble::Rcode(Rcode::Refused)) => format!("REFUSED by {server}"),
                Some(Trouble::Rcode(Rcode::Other(code, "RCODE"))) => {
                    format!("response code {code} from {server}")
                }
                Some(Trouble::Rcode(Rcode::Other(_, mnemonic))) => {
                    format!("{mnemonic} from {server}")
                }
                Some(Trouble::Rcode(rcode)) => format!("{rcode:?} from {server}"),
                Some(Trouble::Malformed(why)) => format!("unusable reply from {server}: {why}"),
                Some(Trouble::Io(why)) => format!("cannot ask {server}: {why}"),
                Some(Trouble::Timeout(_)) | None => {
                    let waits: Vec<String> = mine
                        .iter()
                        .filter_map(|t| match t {
                            Trouble::Timeout(wait) => Some(format_duration(*wait)),
                            _ => None,
                        })
                        .collect();
                    if waits.len() <= 1 {
                        format!(
                            "no reply from {server} within {}",
                            waits.first().map(String::as_str).unwrap_or("the timeout")
                        )
                    } else {
                        format!(
                            "no reply from {server} in {} tries ({})",
                            waits.len(),
                            waits.join(" + ")
                        )
                    }
                }
            }
        })
        .collect::<Vec<_>>()
        .join("; ")
}

/// A one-word summary of a candidate's outcome, for the "also tried" list.
fn short(asked: &Asked) -> String {
    match asked.status() {
        Status::NxDomain => "NXDOMAIN".into(),
        Status::NoData => "no data".into(),
        Status::ServFail => "SERVFAIL".into(),
        Status::Refused => "REFUSED".into(),
        Status::Timeout => "no answer".into(),
        Status::Ok => "ok".into(),
        Status::Error | Status::Invalid => "failed".into(),
    }
}

/// A name without its trailing dot, for messages.
fn plain(name: &str) -> &str {
    if name == "." {
        return name;
    }
    name.strip_suffix('.').unwrap_or(name)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::dns::lookup::fake::*;
    use crate::dns::lookup::{Source, Want};
    use crate::family::Family;

    #[tokio::test]
    async fn servfail_and_refused_name_the_server() {
        let dns = std::sync::Arc::new(
            FakeDns::default()
                .reply(
                    NS1,
                    "servfail.netlab.test.",
                    RecordKind::A,
                    Rcode::ServFail,
                    vec![],
                )
                .reply(NS1, "other.example.", RecordKind::A, Rcode::Refused, vec![]),
        );
        let r = system(&dns, b"", conf(&[NS1], &[]));
        let res = run(&r, "servfail.netlab.test", Want::Addresses(Family::V4)).await;
        assert_eq!(res.status, Status::ServFail);
        assert_eq!(
            res.error.as_deref(),
            Some("server failure (SERVFAIL from 198.18.100.53:53 for servfail.netlab.test)")
        );
        assert_eq!(
            res.source,
            Some(Source::Server {
                addr: NS1.parse().unwrap(),
                tcp: false
            })
        );
        let res = run(&r, "other.example", Want::Addresses(Family::V4)).await;
        assert_eq!(res.status, Status::Refused);
        assert_eq!(
            res.error.as_deref(),
            Some("query refused (REFUSED by 198.18.100.53:53 for other.example)")
        );
    }
}
