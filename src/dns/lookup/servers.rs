//! Asking the server list about one name, as glibc's `res_send` does: which server is
//! asked, how long each try waits, and which reply counts as the answer. The search walk
//! (in `mod.rs`) calls [`ask`] once per candidate name and gets an [`Asked`] back.
//!
//! The glibc rules kept, because they decide what a user of `ping NAME` sees:
//! - servers are asked one at a time in file order (`rotate` starts at the next one each
//!   query); a server that times out, fails (SERVFAIL, REFUSED, other codes) or cannot be
//!   reached hands over to the next; the whole list is walked `attempts` times, the later
//!   rounds waiting `(timeout << attempt) / servers` (at least 1s) as glibc does, unless
//!   `--timeout` fixes the wait;
//! - A and AAAA are asked of a server together (one after the other with
//!   `single-request`); the first server with a real answer (NOERROR or NXDOMAIN) to either
//!   is the answer, so `source` is one server.
//!
//! `--server` is the same walk over a list of one, tried once ([`Servers::direct`]).

use std::net::SocketAddr;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::time::Duration;

use super::resolution::{Source, Status, Wire};
use crate::dns::client::{Ask, Dns, ExchangeError, Rcode, Reply};
use crate::dns::conf::SystemConf;
use crate::dns::record::Chain;
use crate::dns::record::RecordKind;

/// The servers to ask and how.
#[derive(Debug)]
pub struct Servers {
    list: Vec<SocketAddr>,
    attempts: usize,
    timeout: Duration,
    /// glibc's longer waits in later rounds (only for the resolv.conf timeout).
    backoff: bool,
    tcp: bool,
    single_request: bool,
    rotate: Option<AtomicUsize>,
}

impl Servers {
    /// The resolv.conf servers; `timeout` (from --timeout) replaces its per-try timeout.
    pub fn system(conf: &SystemConf, timeout: Option<Duration>, tcp: bool) -> Servers {
        Servers {
            list: conf.servers.clone(),
            attempts: conf.attempts.max(1),
            timeout: timeout.unwrap_or(conf.timeout),
            backoff: timeout.is_none(),
            tcp: tcp || conf.use_vc,
            single_request: conf.single_request,
            rotate: conf.rotate.then(|| AtomicUsize::new(0)),
        }
    }

    /// One server, one try (dig's `@server`).
    pub fn direct(server: SocketAddr, timeout: Duration, tcp: bool) -> Servers {
        Servers {
            list: vec![server],
            attempts: 1,
            timeout,
            backoff: false,
            tcp,
            single_request: false,
            rotate: None,
        }
    }

    /// The wait for one try in round `attempt` (glibc's `res_send`).
    fn wait(&self, attempt: usize) -> Duration {
        if !self.backoff || attempt == 0 {
            return self.timeout;
        }
        let seconds = (self.timeout.as_secs() << attempt.min(8)) / self.list.len().max(1) as u64;
        Duration::from_secs(seconds.max(1))
    }
}

/// Why one server gave no usable answer.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(super) enum Trouble {
    Rcode(Rcode),
    Timeout(Duration),
    Io(String),
    Malformed(String),
}

impl Trouble {
    /// A timeout records how long this try waited.
    fn with_wait(self, wait: Duration) -> Trouble {
        match self {
            Trouble::Timeout(_) => Trouble::Timeout(wait),
            other => other,
        }
    }

    /// Replies beat silence, silence beats local errors, when saying why a server failed.
    pub(super) fn rank(&self) -> u8 {
        match self {
            Trouble::Rcode(_) => 3,
            Trouble::Malformed(_) => 2,
            Trouble::Timeout(_) => 1,
            Trouble::Io(_) => 0,
        }
    }
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(super) enum Verdict {
    Found,
    NoData,
    NxDomain,
}

/// What the servers said about one candidate name.
#[derive(Debug, Clone)]
pub(super) enum Asked {
    Answered {
        server: SocketAddr,
        tcp: bool,
        verdict: Verdict,
        chain: Chain,
        messages: Vec<Wire>,
    },
    Failed {
        tries: Vec<(SocketAddr, Trouble)>,
        tcp: bool,
        /// The replies of the last server that sent any.
        messages: Vec<Wire>,
    },
}

impl Asked {
    /// The status this outcome would give the query.
    pub(super) fn status(&self) -> Status {
        match self {
            Asked::Answered { verdict, .. } => match verdict {
                Verdict::Found => Status::Ok,
                Verdict::NoData => Status::NoData,
                Verdict::NxDomain => Status::NxDomain,
            },
            Asked::Failed { tries, .. } => match last_reply(tries) {
                Some(Rcode::ServFail) => Status::ServFail,
                Some(Rcode::Refused) => Status::Refused,
                Some(_) => Status::Error,
                None if tries.iter().any(|(_, t)| matches!(t, Trouble::Timeout(_))) => {
                    Status::Timeout
                }
                None => Status::Error,
            },
        }
    }

    /// The server the status comes from, when one answered.
    pub(super) fn source(&self) -> Option<Source> {
        match self {
            Asked::Answered { server, tcp, .. } => Some(Source::Server {
                addr: *server,
                tcp: *tcp,
            }),
            Asked::Failed { tries, tcp, .. } => tries
                .iter()
                .rev()
                .find(|(_, t)| matches!(t, Trouble::Rcode(_)))
                .map(|(addr, _)| Source::Server {
                    addr: *addr,
                    tcp: *tcp,
                }),
        }
    }
}

pub(super) fn last_reply(tries: &[(SocketAddr, Trouble)]) -> Option<Rcode> {
    tries.iter().rev().find_map(|(_, t)| match t {
        Trouble::Rcode(rcode) => Some(*rcode),
        _ => None,
    })
}

/// One name of the search list and what the servers said about it.
pub(super) struct Candidate {
    pub(super) name: String,
    pub(super) asked: Asked,
}

/// Asks the servers in order until one gives a real answer about `name`.
pub(super) async fn ask(
    dns: &impl Dns,
    servers: &Servers,
    name: &str,
    kinds: &[RecordKind],
) -> Asked {
    let count = servers.list.len();
    let first = servers
        .rotate
        .as_ref()
        .map(|next| next.fetch_add(1, Ordering::Relaxed) % count.max(1))
        .unwrap_or(0);
    let mut tries = Vec::new();
    let mut last_messages = Vec::new();
    for attempt in 0..servers.attempts {
        let wait = servers.wait(attempt);
        for offset in 0..count {
            let server = servers.list[(first + offset) % count];
            let asks: Vec<Ask> = kinds
                .iter()
                .map(|&kind| Ask {
                    server,
                    name: name.to_string(),
                    kind,
                    tcp: servers.tcp,
                    timeout: wait,
                })
                .collect();
            let replies = exchange_all(dns, asks, servers.single_request).await;
            let messages = wires(server, kinds, &replies);
            match judge(name, kinds, &replies) {
                Ok((verdict, chain, tcp)) => {
                    return Asked::Answered {
                        server,
                        tcp,
                        verdict,
                        chain,
                        messages,
                    }
                }
                Err(trouble) => {
                    tries.push((server, trouble.with_wait(wait)));
                    if !messages.is_empty() {
                        last_messages = messages;
                    }
                }
            }
        }
    }
    Asked::Failed {
        tries,
        tcp: servers.tcp,
        messages: last_messages,
    }
}

async fn exchange_all(
    dns: &impl Dns,
    asks: Vec<Ask>,
    sequential: bool,
) -> Vec<Result<Reply, ExchangeError>> {
    if sequential || asks.len() == 1 {
        let mut replies = Vec::with_capacity(asks.len());
        for ask in asks {
            replies.push(dns.exchange(ask).await);
        }
        return replies;
    }
    let mut asks = asks.into_iter();
    let (first, second) = (asks.next(), asks.next());
    match (first, second) {
        (Some(a), Some(b)) => {
            let (ra, rb) = tokio::join!(dns.exchange(a), dns.exchange(b));
            vec![ra, rb]
        }
        (Some(a), None) => vec![dns.exchange(a).await],
        _ => Vec::new(),
    }
}

/// The messages among one server's replies (`kinds[i]` was asked for `replies[i]`).
fn wires(
    server: SocketAddr,
    kinds: &[RecordKind],
    replies: &[Result<Reply, ExchangeError>],
) -> Vec<Wire> {
    kinds
        .iter()
        .zip(replies)
        .filter_map(|(kind, reply)| match reply {
            Ok(reply) => Some(Wire {
                server,
                tcp: reply.tcp,
                kind: *kind,
                bytes: reply.wire.clone(),
                rtt: reply.rtt,
            }),
            Err(_) => None,
        })
        .collect()
}

/// One server's replies to the questions about one name: a verdict if any reply is real
/// (NOERROR or NXDOMAIN), else why not.
fn judge(
    name: &str,
    kinds: &[RecordKind],
    replies: &[Result<Reply, ExchangeError>],
) -> Result<(Verdict, Chain, bool), Trouble> {
    let real: Vec<(RecordKind, &Reply)> = kinds
        .iter()
        .zip(replies)
        .filter_map(|(kind, reply)| match reply {
            Ok(reply) if matches!(reply.rcode, Rcode::NoError | Rcode::NxDomain) => {
                Some((*kind, reply))
            }
            _ => None,
        })
        .collect();
    if real.is_empty() {
        let trouble = replies
            .iter()
            .map(|reply| match reply {
                Ok(reply) => Trouble::Rcode(reply.rcode),
                Err(ExchangeError::Timeout) => Trouble::Timeout(Duration::ZERO),
                Err(ExchangeError::Io(why)) => Trouble::Io(why.clone()),
                Err(ExchangeError::Malformed(why)) => Trouble::Malformed(why.clone()),
            })
            .fold(None::<Trouble>, |best, t| match best {
                Some(b) if b.rank() >= t.rank() => Some(b),
                _ => Some(t),
            })
            .unwrap_or(Trouble::Timeout(Duration::ZERO));
        return Err(trouble);
    }
    let mut chain = Chain::default();
    for (kind, reply) in &real {
        let followed = Chain::follow(name, *kind, &reply.answers);
        if chain.aliases.is_empty() {
            chain.aliases = followed.aliases;
        }
        chain.records.extend(followed.records);
    }
    let verdict = if !chain.records.is_empty() {
        Verdict::Found
    } else if real.iter().any(|(_, r)| r.rcode == Rcode::NoError) {
        Verdict::NoData
    } else {
        Verdict::NxDomain
    };
    let tcp = real.iter().any(|(_, r)| r.tcp);
    Ok((verdict, chain, tcp))
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::dns::lookup::fake::*;
    use crate::dns::lookup::{Mode, Resolver, Want};
    use crate::family::Family;

    #[tokio::test]
    async fn next_server_on_timeout_servfail_and_refused() {
        for trouble in ["timeout", "servfail", "refused"] {
            let mut fake = FakeDns::default().reply(
                NS2,
                "www.netlab.test.",
                RecordKind::A,
                Rcode::NoError,
                vec![a("www.netlab.test.", "198.18.2.2")],
            );
            fake = match trouble {
                "timeout" => fake.silent(NS1),
                "servfail" => fake.reply(
                    NS1,
                    "www.netlab.test.",
                    RecordKind::A,
                    Rcode::ServFail,
                    vec![],
                ),
                _ => fake.reply(
                    NS1,
                    "www.netlab.test.",
                    RecordKind::A,
                    Rcode::Refused,
                    vec![],
                ),
            };
            let dns = std::sync::Arc::new(fake);
            let r = system(&dns, b"", conf(&[NS1, NS2], &[]));
            let res = run(&r, "www.netlab.test", Want::Addresses(Family::V4)).await;
            assert_eq!(res.status, Status::Ok, "{trouble}");
            assert_eq!(
                res.source,
                Some(Source::Server {
                    addr: NS2.parse().unwrap(),
                    tcp: false
                }),
                "{trouble}"
            );
        }
    }

    #[tokio::test]
    async fn nxdomain_from_the_first_server_is_final() {
        let dns = std::sync::Arc::new(FakeDns::default().reply(
            NS2,
            "nosuch.netlab.test.",
            RecordKind::A,
            Rcode::NoError,
            vec![a("nosuch.netlab.test.", "192.0.2.1")],
        ));
        let r = system(&dns, b"", conf(&[NS1, NS2], &[]));
        let res = run(&r, "nosuch.netlab.test", Want::Addresses(Family::V4)).await;
        assert_eq!(res.status, Status::NxDomain);
        assert_eq!(
            res.error.as_deref(),
            Some("no such name (NXDOMAIN for nosuch.netlab.test from 198.18.100.53:53)")
        );
        assert_eq!(dns.asked().len(), 1);
    }

    #[tokio::test]
    async fn no_data_names_the_missing_type() {
        let dns = std::sync::Arc::new(
            FakeDns::default()
                .reply(
                    NS1,
                    "v4only.netlab.test.",
                    RecordKind::A,
                    Rcode::NoError,
                    vec![a("v4only.netlab.test.", "198.18.2.2")],
                )
                .reply(
                    NS1,
                    "v4only.netlab.test.",
                    RecordKind::Aaaa,
                    Rcode::NoError,
                    vec![],
                ),
        );
        let r = system(&dns, b"", conf(&[NS1], &[]));
        // Both families: the A record is enough, as for getaddrinfo.
        let res = run(&r, "v4only.netlab.test", ANY).await;
        assert_eq!(res.status, Status::Ok);
        assert_eq!(res.rows.len(), 1);
        let res = run(&r, "v4only.netlab.test", Want::Addresses(Family::V6)).await;
        assert_eq!(res.status, Status::NoData);
        assert_eq!(
            res.error.as_deref(),
            Some("v4only.netlab.test has no AAAA record (answer from 198.18.100.53:53)")
        );
    }

    #[tokio::test]
    async fn timeouts_walk_every_server_every_attempt_and_name_them() {
        let dns = std::sync::Arc::new(FakeDns::default().silent(NS1).silent(NS2));
        let mut c = conf(&[NS1, NS2], &[]);
        c.attempts = 2;
        let r = system(&dns, b"", c);
        let res = run(&r, "silent.netlab.test", Want::Addresses(Family::V4)).await;
        assert_eq!(res.status, Status::Timeout);
        assert_eq!(res.source, None);
        assert_eq!(
            res.error.as_deref(),
            Some(
                "no answer (no reply from 198.18.100.53:53 in 2 tries (100ms + 100ms); \
                 no reply from 198.18.100.54:53 in 2 tries (100ms + 100ms) for silent.netlab.test)"
            )
        );
        let order: Vec<String> = dns.asked().into_iter().map(|(s, _, _)| s).collect();
        assert_eq!(order, [NS1, NS2, NS1, NS2]);
    }

    #[tokio::test]
    async fn cname_chain_is_shown_link_by_link() {
        let answers = vec![
            cname("alias.netlab.test.", "alias2.netlab.test."),
            cname("alias2.netlab.test.", "www.netlab.test."),
            a("www.netlab.test.", "198.18.2.2"),
        ];
        let dns = std::sync::Arc::new(FakeDns::default().reply(
            NS1,
            "alias.netlab.test.",
            RecordKind::A,
            Rcode::NoError,
            answers,
        ));
        let r = Resolver::new(
            dns.clone(),
            Mode::Direct {
                servers: Servers::direct(NS1.parse().unwrap(), Duration::from_secs(2), false),
            },
        );
        let res = run(&r, "alias.netlab.test", Want::Addresses(Family::V4)).await;
        assert_eq!(
            values(&res),
            [
                row("alias.netlab.test.", "CNAME", "alias2.netlab.test."),
                row("alias2.netlab.test.", "CNAME", "www.netlab.test."),
                row("www.netlab.test.", "A", "198.18.2.2"),
            ]
        );
    }

    #[test]
    fn later_attempts_wait_longer_like_glibc() {
        let mut c = conf(&[NS1, NS2], &[]);
        c.timeout = Duration::from_secs(5);
        c.attempts = 3;
        let s = Servers::system(&c, None, false);
        assert_eq!(s.wait(0), Duration::from_secs(5));
        assert_eq!(s.wait(1), Duration::from_secs(5)); // (5 << 1) / 2
        assert_eq!(s.wait(2), Duration::from_secs(10)); // (5 << 2) / 2
        let s = Servers::system(&c, Some(Duration::from_millis(300)), false);
        assert_eq!(s.wait(2), Duration::from_millis(300), "--timeout is fixed");
    }

    /// `--format atlas` shows the messages the status rests on: the answering server's
    /// (not the one that failed before it), else the last server that replied at all.
    #[tokio::test]
    async fn the_messages_kept_are_those_the_status_rests_on() {
        let wire = |rcode, bytes: &[u8]| {
            Ok(Reply {
                rcode,
                answers: Vec::new(),
                tcp: false,
                wire: bytes.to_vec(),
                rtt: Duration::from_millis(2),
            })
        };
        let key = |server: &str| {
            (
                server.parse().unwrap(),
                "www.netlab.test.".to_string(),
                RecordKind::A,
            )
        };
        let mut fake = FakeDns::default();
        fake.replies
            .insert(key(NS1), wire(Rcode::ServFail, b"ns1 servfail"));
        fake.replies
            .insert(key(NS2), wire(Rcode::NoError, b"ns2 answer"));
        let dns = std::sync::Arc::new(fake);
        let r = system(&dns, b"", conf(&[NS1, NS2], &[]));
        let v4 = Want::Addresses(Family::V4);
        let res = run(&r, "www.netlab.test.", v4).await;
        assert_eq!(res.status, Status::NoData);
        assert_eq!(
            res.messages,
            [Wire {
                server: NS2.parse().unwrap(),
                tcp: false,
                kind: RecordKind::A,
                bytes: b"ns2 answer".to_vec(),
                rtt: Duration::from_millis(2),
            }]
        );

        let mut fake = FakeDns::default();
        fake.replies
            .insert(key(NS1), wire(Rcode::ServFail, b"ns1 servfail"));
        fake.replies
            .insert(key(NS2), wire(Rcode::Refused, b"ns2 refused"));
        let dns = std::sync::Arc::new(fake);
        let r = system(&dns, b"", conf(&[NS1, NS2], &[]));
        let res = run(&r, "www.netlab.test.", v4).await;
        assert_eq!(res.status, Status::Refused);
        let kept: Vec<&[u8]> = res.messages.iter().map(|w| w.bytes.as_slice()).collect();
        assert_eq!(kept, [b"ns2 refused".as_slice()]);

        let dns = std::sync::Arc::new(FakeDns::default().silent(NS1));
        let r = system(&dns, b"", conf(&[NS1], &[]));
        let res = run(&r, "www.netlab.test.", v4).await;
        assert_eq!(res.status, Status::Timeout);
        assert!(res.messages.is_empty());
    }
}
