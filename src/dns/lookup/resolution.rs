//! What a lookup is asked and what it returns: the input ([`Subject`], [`Want`]) and the
//! [`Resolution`] of one query, with its status, source, rows and the DNS messages it rests
//! on. Apart from how they are found, because the report, the Atlas mapping and `check`
//! read these and nothing else of the lookup.

use std::net::{IpAddr, SocketAddr};
use std::time::Duration;

use crate::dns::record::RecordKind;
use crate::dns::record::{kind_name, Record};
use crate::error::Exit;
use crate::family::Family;

/// What is asked about each name.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Want {
    /// Addresses, as getaddrinfo asks: A and AAAA, or one of them with -4 / -6.
    Addresses(Family),
    /// One record type (`-t`), from DNS only.
    Type(RecordKind),
}

impl Want {
    /// The record types asked for a name.
    pub fn kinds(self) -> Vec<RecordKind> {
        match self {
            Want::Addresses(Family::Any) => vec![RecordKind::A, RecordKind::Aaaa],
            Want::Addresses(Family::V4) => vec![RecordKind::A],
            Want::Addresses(Family::V6) => vec![RecordKind::Aaaa],
            Want::Type(kind) => vec![kind],
        }
    }

    /// The `type` of a query in the JSON document.
    pub fn label(self, subject: Option<&Subject>) -> String {
        if let Some(Subject::Address(_)) = subject {
            return "PTR".into();
        }
        self.kinds()
            .into_iter()
            .map(kind_name)
            .collect::<Vec<_>>()
            .join("+")
    }
}

/// A validated input.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Subject {
    Name(String),
    /// An address: its PTR name is looked up.
    Address(IpAddr),
}

/// The outcome of one query, as the JSON `status` names it.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Status {
    Ok,
    NxDomain,
    NoData,
    ServFail,
    Refused,
    Timeout,
    /// The query could not be made or its reply not used (socket error, malformed reply,
    /// an unexpected response code such as FORMERR).
    Error,
    /// The input line is not a name or an address.
    Invalid,
}

impl Status {
    pub fn as_str(self) -> &'static str {
        match self {
            Status::Ok => "ok",
            Status::NxDomain => "nxdomain",
            Status::NoData => "no_data",
            Status::ServFail => "servfail",
            Status::Refused => "refused",
            Status::Timeout => "timeout",
            Status::Error => "error",
            Status::Invalid => "invalid",
        }
    }

    /// Exit status contribution: a name that did not answer (NXDOMAIN, no data, SERVFAIL,
    /// REFUSED, timeout) is 1, the run completed; bad input and resolver errors are 2.
    pub fn exit(self) -> Exit {
        match self {
            Status::Ok => Exit::Answered,
            Status::NxDomain
            | Status::NoData
            | Status::ServFail
            | Status::Refused
            | Status::Timeout => Exit::NotAnswered,
            Status::Error | Status::Invalid => Exit::Failed,
        }
    }
}

/// Where an answer came from.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Source {
    Hosts,
    Server { addr: SocketAddr, tcp: bool },
}

/// One line of output: a record.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Row {
    pub name: String,
    pub kind: String,
    pub value: String,
    /// None for /etc/hosts.
    pub ttl: Option<u32>,
}

impl Row {
    pub(super) fn from_record(record: &Record) -> Row {
        Row {
            name: record.name.clone(),
            kind: record.data.kind_name().to_string(),
            value: record.data.value(),
            ttl: Some(record.ttl),
        }
    }
}

/// One DNS message a server sent about the query, as it arrived (`--format atlas`).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Wire {
    pub server: SocketAddr,
    pub tcp: bool,
    /// The record type the question asked for.
    pub kind: RecordKind,
    pub bytes: Vec<u8>,
    /// From the question to this answer.
    pub rtt: Duration,
}

/// Everything known about one query once it is done.
#[derive(Debug, Clone, PartialEq)]
pub struct Resolution {
    /// The input as given.
    pub query: String,
    pub status: Status,
    pub source: Option<Source>,
    pub elapsed: Duration,
    /// CNAME links first, then the records asked for.
    pub rows: Vec<Row>,
    /// Why the query did not resolve (the text after `netlab: QUERY: `).
    pub error: Option<String>,
    /// The absolute name the status is about, as asked of DNS (the search list applied);
    /// None when no server was asked (hosts file, invalid input).
    pub asked: Option<String>,
    /// The replies the status rests on, one per type asked (A and AAAA: two), from the
    /// server that answered, or from the last that replied at all (SERVFAIL, REFUSED);
    /// empty when no reply came or no server was asked.
    pub messages: Vec<Wire>,
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn outcomes_map_to_exit_codes() {
        assert_eq!(Status::Ok.exit(), Exit::Answered);
        for s in [
            Status::NxDomain,
            Status::NoData,
            Status::ServFail,
            Status::Refused,
            Status::Timeout,
        ] {
            assert_eq!(s.exit(), Exit::NotAnswered, "{s:?}");
        }
        assert_eq!(Status::Error.exit(), Exit::Failed);
        assert_eq!(Status::Invalid.exit(), Exit::Failed);
    }
}
