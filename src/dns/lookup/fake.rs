//! A scripted [`Dns`] and the helpers the lookup tests share: the servers' replies are
//! set per (server, name, type), every question asked is recorded, and `system` builds a
//! resolver over them the way `resolve` builds the real one. Test code only.

use std::collections::HashMap;
use std::net::{IpAddr, SocketAddr};
use std::sync::Mutex;
use std::time::Duration;

use super::{Mode, Resolution, Resolver, Subject, Want};
use crate::dns::client::{Ask, Dns, ExchangeError, Rcode, Reply};
use crate::dns::conf::SystemConf;
use crate::dns::hosts::Hosts;
use crate::dns::record::RecordKind;
use crate::dns::record::{Rdata, Record};
use crate::family::Family;

/// A scripted DNS: replies keyed by (server, name, type); anything unscripted is
/// NXDOMAIN. Every question asked is recorded, in order.
#[derive(Default)]
pub struct FakeDns {
    pub replies: HashMap<(SocketAddr, String, RecordKind), Result<Reply, ExchangeError>>,
    pub silent: Vec<SocketAddr>,
    pub asked: Mutex<Vec<Ask>>,
}

impl FakeDns {
    pub fn reply(
        mut self,
        server: &str,
        name: &str,
        kind: RecordKind,
        rcode: Rcode,
        answers: Vec<Record>,
    ) -> Self {
        self.replies.insert(
            (server.parse().unwrap(), name.to_string(), kind),
            Ok(Reply {
                rcode,
                answers,
                tcp: false,
                wire: Vec::new(),
                rtt: Duration::ZERO,
            }),
        );
        self
    }

    pub fn fail(mut self, server: &str, name: &str, kind: RecordKind, err: ExchangeError) -> Self {
        self.replies
            .insert((server.parse().unwrap(), name.to_string(), kind), Err(err));
        self
    }

    pub fn silent(mut self, server: &str) -> Self {
        self.silent.push(server.parse().unwrap());
        self
    }

    pub fn asked(&self) -> Vec<(String, String, RecordKind)> {
        self.asked
            .lock()
            .unwrap()
            .iter()
            .map(|a| (a.server.to_string(), a.name.clone(), a.kind))
            .collect()
    }
}

impl Dns for std::sync::Arc<FakeDns> {
    fn exchange(
        &self,
        ask: Ask,
    ) -> impl std::future::Future<Output = Result<Reply, ExchangeError>> + Send {
        self.asked.lock().unwrap().push(ask.clone());
        let reply = if self.silent.contains(&ask.server) {
            Err(ExchangeError::Timeout)
        } else {
            self.replies
                .get(&(ask.server, ask.name.clone(), ask.kind))
                .cloned()
                .unwrap_or(Ok(Reply {
                    rcode: Rcode::NxDomain,
                    answers: Vec::new(),
                    tcp: ask.tcp,
                    wire: Vec::new(),
                    rtt: Duration::ZERO,
                }))
        };
        async move { reply }
    }
}

pub fn a(name: &str, addr: &str) -> Record {
    Record {
        name: name.into(),
        ttl: 300,
        data: Rdata::A(addr.parse().unwrap()),
    }
}

pub fn aaaa(name: &str, addr: &str) -> Record {
    Record {
        name: name.into(),
        ttl: 300,
        data: Rdata::Aaaa(addr.parse().unwrap()),
    }
}

pub fn cname(name: &str, target: &str) -> Record {
    Record {
        name: name.into(),
        ttl: 60,
        data: Rdata::Cname(target.into()),
    }
}

pub const NS1: &str = "198.18.100.53:53";
pub const NS2: &str = "198.18.100.54:53";

pub fn conf(servers: &[&str], search: &[&str]) -> SystemConf {
    SystemConf {
        servers: servers.iter().map(|s| s.parse().unwrap()).collect(),
        search: search.iter().map(|s| s.to_string()).collect(),
        ..SystemConf::default()
    }
}

pub fn system(
    dns: &std::sync::Arc<FakeDns>,
    hosts: &[u8],
    conf: SystemConf,
) -> Resolver<std::sync::Arc<FakeDns>> {
    Resolver::new(
        dns.clone(),
        Mode::system(
            Hosts::parse(hosts),
            Ok(conf),
            Some(Duration::from_millis(100)),
            false,
        ),
    )
}

pub fn name(n: &str) -> Subject {
    Subject::Name(n.into())
}

pub async fn run(r: &Resolver<std::sync::Arc<FakeDns>>, q: &str, want: Want) -> Resolution {
    let subject = match q.parse::<IpAddr>() {
        Ok(addr) => Subject::Address(addr),
        Err(_) => name(q),
    };
    r.resolve(q, &subject, want).await.unwrap()
}

pub const ANY: Want = Want::Addresses(Family::Any);

pub fn values(res: &Resolution) -> Vec<(String, String, String)> {
    res.rows
        .iter()
        .map(|r| (r.name.clone(), r.kind.clone(), r.value.clone()))
        .collect()
}

pub fn row(name: &str, kind: &str, value: &str) -> (String, String, String) {
    (name.into(), kind.into(), value.into())
}
