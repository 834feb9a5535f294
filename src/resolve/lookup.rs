//! How one name is resolved: /etc/hosts first, then the resolv.conf servers in order with
//! the search list, as glibc's `getaddrinfo` / `res_nsearch` / `res_send` do; or one
//! server, asked directly, as dig does. Written against the [`Dns`] trait, so every rule
//! here is tested with injected replies.
//!
//! The glibc rules kept, because they decide what a user of `ping NAME` sees:
//! - servers are asked one at a time in file order (`rotate` starts at the next one each
//!   query); a server that times out, fails (SERVFAIL, REFUSED, other codes) or cannot be
//!   reached hands over to the next; the whole list is walked `attempts` times, the later
//!   rounds waiting `(timeout << attempt) / servers` (at least 1s) as glibc does, unless
//!   `--timeout` fixes the wait;
//! - A and AAAA are asked of a server together (one after the other with
//!   `single-request`); the first server with a real answer (NOERROR or NXDOMAIN) to either
//!   is the answer, so `source` is one server;
//! - along the search list, NXDOMAIN, "no data" and SERVFAIL move on to the next candidate
//!   name; REFUSED or a timeout stop the walk (the name as typed is still tried if it has not
//!   been); when nothing answers, the result is the as-typed name's if it was tried first,
//!   else "no data" if any candidate had the name, else SERVFAIL if any got one, else the
//!   last candidate's.

use std::net::{IpAddr, SocketAddr};
use std::sync::atomic::{AtomicUsize, Ordering};
use std::time::Duration;

use tokio::time::Instant;

use super::conf::SystemConf;
use super::dns::{Ask, Dns, ExchangeError, Rcode, Reply};
use super::hosts::Hosts;
use super::names::{candidates, reverse_name};
use super::record::{kind_name, Chain, Record};
use crate::cli::{Family, RecordKind};
use crate::error::{Exit, Failure};

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
    fn from_record(record: &Record) -> Row {
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

/// How the lookup is configured.
#[derive(Debug)]
pub enum Mode {
    /// /etc/hosts and /etc/resolv.conf. The configuration is only needed once a name must
    /// go to DNS; until then an unusable one is no error (glibc does not need it either).
    System {
        hosts: Hosts,
        dns: Result<(SystemConf, Servers), Failure>,
    },
    /// One server (`--server`), names asked as typed (no search list, no hosts file).
    Direct { servers: Servers },
}

impl Mode {
    pub fn system(
        hosts: Hosts,
        conf: Result<SystemConf, Failure>,
        timeout: Option<Duration>,
        tcp: bool,
    ) -> Mode {
        let dns = conf.map(|conf| {
            let servers = Servers::system(&conf, timeout, tcp);
            (conf, servers)
        });
        Mode::System { hosts, dns }
    }

    /// The resolv.conf servers, search list and options without the hosts file: what
    /// DNS itself says, asked the way the system asks it.
    pub fn system_dns(conf: SystemConf, timeout: Option<Duration>, tcp: bool) -> Mode {
        Mode::system(Hosts::default(), Ok(conf), timeout, tcp)
    }
}

pub struct Resolver<D> {
    dns: D,
    mode: Mode,
}

/// Why one server gave no usable answer.
#[derive(Debug, Clone, PartialEq, Eq)]
enum Trouble {
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
    fn rank(&self) -> u8 {
        match self {
            Trouble::Rcode(_) => 3,
            Trouble::Malformed(_) => 2,
            Trouble::Timeout(_) => 1,
            Trouble::Io(_) => 0,
        }
    }
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Verdict {
    Found,
    NoData,
    NxDomain,
}

/// What the servers said about one candidate name.
#[derive(Debug, Clone)]
enum Asked {
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
    fn status(&self) -> Status {
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
    fn source(&self) -> Option<Source> {
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

fn last_reply(tries: &[(SocketAddr, Trouble)]) -> Option<Rcode> {
    tries.iter().rev().find_map(|(_, t)| match t {
        Trouble::Rcode(rcode) => Some(*rcode),
        _ => None,
    })
}

struct Candidate {
    name: String,
    asked: Asked,
}

impl<D: Dns> Resolver<D> {
    pub fn new(dns: D, mode: Mode) -> Resolver<D> {
        Resolver { dns, mode }
    }

    /// Resolves one input. `Err` means the run cannot go on (no usable resolv.conf when a
    /// name needs DNS): exit 2.
    pub async fn resolve(
        &self,
        query: &str,
        subject: &Subject,
        want: Want,
    ) -> Result<Resolution, Failure> {
        let started = Instant::now();
        let mut resolution = self.lookup(query, subject, want).await?;
        resolution.elapsed = started.elapsed();
        Ok(resolution)
    }

    async fn lookup(
        &self,
        query: &str,
        subject: &Subject,
        want: Want,
    ) -> Result<Resolution, Failure> {
        let (servers, conf) = match &self.mode {
            Mode::Direct { servers } => (servers, None),
            Mode::System { hosts, dns } => {
                if let Some(found) = from_hosts(hosts, query, subject, want) {
                    return Ok(found);
                }
                match dns {
                    Ok((conf, servers)) => (servers, Some(conf)),
                    Err(failure) => return Err(failure.clone()),
                }
            }
        };
        let (names, kinds) = match subject {
            Subject::Address(addr) => (vec![reverse_name(*addr)], vec![RecordKind::Ptr]),
            Subject::Name(name) => {
                let names = match conf {
                    Some(conf) => candidates(name, conf),
                    None => vec![absolute(name)],
                };
                (names, want.kinds())
            }
        };
        let as_is_first = matches!(subject, Subject::Name(name) if names.first() == Some(&absolute(name)))
            && names.len() > 1;
        let mut tried: Vec<Candidate> = Vec::new();
        let mut stop_searching = false;
        for (index, name) in names.iter().enumerate() {
            let is_as_is = matches!(subject, Subject::Name(n) if absolute(n) == *name);
            if stop_searching && !is_as_is {
                continue;
            }
            let asked = self.ask_servers(servers, name, &kinds).await;
            let found = matches!(
                asked,
                Asked::Answered {
                    verdict: Verdict::Found,
                    ..
                }
            );
            // "If no server present, give up": nothing could even be sent.
            let unreachable = matches!(&asked, Asked::Failed { tries, .. }
                if tries.iter().all(|(_, t)| matches!(t, Trouble::Io(_))));
            // The as-is try that comes first does not end the search; later failures do.
            if !(as_is_first && index == 0) && stops_search(&asked) {
                stop_searching = true;
            }
            tried.push(Candidate {
                name: name.clone(),
                asked,
            });
            if found || unreachable {
                break;
            }
        }
        let chosen = choose(&tried, as_is_first);
        Ok(resolution(query, &tried, chosen, &kinds))
    }

    /// Asks the servers in order until one gives a real answer about `name`.
    async fn ask_servers(&self, servers: &Servers, name: &str, kinds: &[RecordKind]) -> Asked {
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
                let replies = self.exchange_all(asks, servers.single_request).await;
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
        &self,
        asks: Vec<Ask>,
        sequential: bool,
    ) -> Vec<Result<Reply, ExchangeError>> {
        if sequential || asks.len() == 1 {
            let mut replies = Vec::with_capacity(asks.len());
            for ask in asks {
                replies.push(self.dns.exchange(ask).await);
            }
            return replies;
        }
        let mut asks = asks.into_iter();
        let (first, second) = (asks.next(), asks.next());
        match (first, second) {
            (Some(a), Some(b)) => {
                let (ra, rb) = tokio::join!(self.dns.exchange(a), self.dns.exchange(b));
                vec![ra, rb]
            }
            (Some(a), None) => vec![self.dns.exchange(a).await],
            _ => Vec::new(),
        }
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

/// Whether, after this candidate, glibc stops walking the search list.
fn stops_search(asked: &Asked) -> bool {
    match asked {
        Asked::Answered { .. } => false,
        Asked::Failed { tries, .. } => last_reply(tries) != Some(Rcode::ServFail),
    }
}

/// glibc's choice of the error to report when no candidate resolved (see module docs).
fn choose(tried: &[Candidate], as_is_first: bool) -> usize {
    let last = tried.len().saturating_sub(1);
    if matches!(
        tried.last().map(|c| &c.asked),
        Some(Asked::Answered {
            verdict: Verdict::Found,
            ..
        })
    ) {
        return last;
    }
    if as_is_first {
        return 0;
    }
    let status = |c: &Candidate| c.asked.status();
    tried
        .iter()
        .position(|c| status(c) == Status::NoData)
        .or_else(|| tried.iter().position(|c| status(c) == Status::ServFail))
        .unwrap_or(last)
}

fn resolution(query: &str, tried: &[Candidate], chosen: usize, kinds: &[RecordKind]) -> Resolution {
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
                            Trouble::Timeout(wait) => Some(super::fmt_duration(*wait)),
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

/// The name as typed, made absolute.
fn absolute(name: &str) -> String {
    if name.ends_with('.') {
        name.to_string()
    } else {
        format!("{name}.")
    }
}

/// A name without its trailing dot, for messages.
fn plain(name: &str) -> &str {
    if name == "." {
        return name;
    }
    name.strip_suffix('.').unwrap_or(name)
}

/// The /etc/hosts answer, when the system way applies and the file has one.
fn from_hosts(hosts: &Hosts, query: &str, subject: &Subject, want: Want) -> Option<Resolution> {
    let Want::Addresses(family) = want else {
        return None;
    };
    let rows = match subject {
        Subject::Name(name) => hosts
            .addresses(name, family)
            .into_iter()
            .map(|addr| Row {
                name: name.clone(),
                kind: if addr.is_ipv4() { "A" } else { "AAAA" }.into(),
                value: addr.to_string(),
                ttl: None,
            })
            .collect::<Vec<_>>(),
        Subject::Address(addr) => hosts
            .name_of(*addr)
            .map(|name| Row {
                name: addr.to_string(),
                kind: "PTR".into(),
                value: name.to_string(),
                ttl: None,
            })
            .into_iter()
            .collect(),
    };
    (!rows.is_empty()).then(|| Resolution {
        query: query.to_string(),
        status: Status::Ok,
        source: Some(Source::Hosts),
        elapsed: Duration::ZERO,
        rows,
        error: None,
        asked: None,
        messages: Vec::new(),
    })
}

#[cfg(test)]
pub(crate) mod tests {
    use super::*;
    use crate::resolve::record::Rdata;
    use std::collections::HashMap;
    use std::sync::Mutex;

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

        pub fn fail(
            mut self,
            server: &str,
            name: &str,
            kind: RecordKind,
            err: ExchangeError,
        ) -> Self {
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

    const NS1: &str = "198.18.100.53:53";
    const NS2: &str = "198.18.100.54:53";

    fn conf(servers: &[&str], search: &[&str]) -> SystemConf {
        SystemConf {
            servers: servers.iter().map(|s| s.parse().unwrap()).collect(),
            search: search.iter().map(|s| s.to_string()).collect(),
            ..SystemConf::default()
        }
    }

    fn system(
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

    fn name(n: &str) -> Subject {
        Subject::Name(n.into())
    }

    async fn run(r: &Resolver<std::sync::Arc<FakeDns>>, q: &str, want: Want) -> Resolution {
        let subject = match q.parse::<IpAddr>() {
            Ok(addr) => Subject::Address(addr),
            Err(_) => name(q),
        };
        r.resolve(q, &subject, want).await.unwrap()
    }

    const ANY: Want = Want::Addresses(Family::Any);

    fn values(res: &Resolution) -> Vec<(String, String, String)> {
        res.rows
            .iter()
            .map(|r| (r.name.clone(), r.kind.clone(), r.value.clone()))
            .collect()
    }

    fn row(name: &str, kind: &str, value: &str) -> (String, String, String) {
        (name.into(), kind.into(), value.into())
    }

    #[tokio::test]
    async fn hosts_file_answers_first_and_nothing_is_sent() {
        let dns = std::sync::Arc::new(FakeDns::default());
        let r = system(
            &dns,
            b"198.18.9.9 hostsonly.netlab.test\n198.18.2.2 override.netlab.test\n",
            conf(&[NS1], &["netlab.test"]),
        );
        let res = run(&r, "override.netlab.test", ANY).await;
        assert_eq!(res.status, Status::Ok);
        assert_eq!(res.source, Some(Source::Hosts));
        assert_eq!(
            values(&res),
            [row("override.netlab.test", "A", "198.18.2.2")]
        );
        assert_eq!(res.rows[0].ttl, None);
        let res = run(&r, "198.18.9.9", ANY).await;
        assert_eq!(
            values(&res),
            [row("198.18.9.9", "PTR", "hostsonly.netlab.test")]
        );
        assert!(dns.asked().is_empty(), "{:?}", dns.asked());
        // -6: the hosts file has no IPv6 address for it, so DNS is asked.
        let res = run(&r, "override.netlab.test", Want::Addresses(Family::V6)).await;
        assert_eq!(res.status, Status::NxDomain);
        assert!(!dns.asked().is_empty());
    }

    #[tokio::test]
    async fn explicit_type_skips_the_hosts_file() {
        let dns = std::sync::Arc::new(FakeDns::default().reply(
            NS1,
            "override.netlab.test.",
            RecordKind::A,
            Rcode::NoError,
            vec![a("override.netlab.test.", "198.18.2.99")],
        ));
        let r = system(
            &dns,
            b"198.18.2.2 override.netlab.test\n",
            conf(&[NS1], &[]),
        );
        let res = run(&r, "override.netlab.test", Want::Type(RecordKind::A)).await;
        assert_eq!(
            values(&res),
            [row("override.netlab.test.", "A", "198.18.2.99")]
        );
        assert_eq!(
            res.source,
            Some(Source::Server {
                addr: NS1.parse().unwrap(),
                tcp: false
            })
        );
    }

    #[tokio::test]
    async fn search_list_then_as_is_and_a_with_aaaa() {
        let dns = std::sync::Arc::new(
            FakeDns::default()
                .reply(
                    NS1,
                    "www.netlab.test.",
                    RecordKind::A,
                    Rcode::NoError,
                    vec![a("www.netlab.test.", "198.18.2.2")],
                )
                .reply(
                    NS1,
                    "www.netlab.test.",
                    RecordKind::Aaaa,
                    Rcode::NoError,
                    vec![aaaa("www.netlab.test.", "fd4e:6c61:62:2::2")],
                ),
        );
        let r = system(&dns, b"", conf(&[NS1], &["netlab.test"]));
        let res = run(&r, "www", ANY).await;
        assert_eq!(res.status, Status::Ok);
        assert_eq!(
            values(&res),
            [
                row("www.netlab.test.", "A", "198.18.2.2"),
                row("www.netlab.test.", "AAAA", "fd4e:6c61:62:2::2")
            ]
        );
        assert_eq!(
            dns.asked(),
            [
                (NS1.into(), "www.netlab.test.".into(), RecordKind::A),
                (NS1.into(), "www.netlab.test.".into(), RecordKind::Aaaa)
            ]
        );
    }

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

    #[tokio::test]
    async fn glibc_reports_the_as_typed_result_when_it_was_tried_first() {
        // nosuch.netlab.test: as is (NXDOMAIN), then nosuch.netlab.test.netlab.test
        // (REFUSED here); the as-is answer is the one reported.
        let dns = std::sync::Arc::new(FakeDns::default().reply(
            NS1,
            "nosuch.netlab.test.netlab.test.",
            RecordKind::A,
            Rcode::Refused,
            vec![],
        ));
        let r = system(&dns, b"", conf(&[NS1], &["netlab.test"]));
        let res = run(&r, "nosuch.netlab.test", Want::Addresses(Family::V4)).await;
        assert_eq!(res.status, Status::NxDomain);
        assert_eq!(
            res.error.as_deref(),
            Some(
                "no such name (NXDOMAIN for nosuch.netlab.test from 198.18.100.53:53); \
                 also tried nosuch.netlab.test.netlab.test: REFUSED"
            )
        );
    }

    #[tokio::test]
    async fn single_label_reports_the_last_candidate_unless_one_had_data() {
        // nosuch: nosuch.netlab.test (NXDOMAIN), then nosuch. (REFUSED): glibc reports the
        // last one, which is why `ping nosuch` says "Non-recoverable failure".
        let dns = std::sync::Arc::new(FakeDns::default().reply(
            NS1,
            "nosuch.",
            RecordKind::A,
            Rcode::Refused,
            vec![],
        ));
        let r = system(&dns, b"", conf(&[NS1], &["netlab.test"]));
        let res = run(&r, "nosuch", Want::Addresses(Family::V4)).await;
        assert_eq!(res.status, Status::Refused);
        assert_eq!(
            res.error.as_deref(),
            Some(
                "query refused (REFUSED by 198.18.100.53:53 for nosuch); \
                 also tried nosuch.netlab.test: NXDOMAIN"
            )
        );
        // v4only -6: no data under the search domain beats the later REFUSED.
        let dns = std::sync::Arc::new(
            FakeDns::default()
                .reply(
                    NS1,
                    "v4only.netlab.test.",
                    RecordKind::Aaaa,
                    Rcode::NoError,
                    vec![],
                )
                .reply(NS1, "v4only.", RecordKind::Aaaa, Rcode::Refused, vec![]),
        );
        let r = system(&dns, b"", conf(&[NS1], &["netlab.test"]));
        let res = run(&r, "v4only", Want::Addresses(Family::V6)).await;
        assert_eq!(res.status, Status::NoData);
        assert!(res
            .error
            .as_deref()
            .unwrap()
            .starts_with("v4only.netlab.test has no AAAA record"));
    }

    #[tokio::test]
    async fn a_timeout_stops_the_search_but_the_name_is_still_tried_as_is() {
        let dns = std::sync::Arc::new(
            FakeDns::default()
                .fail(NS1, "x.a.test.", RecordKind::A, ExchangeError::Timeout)
                .reply(
                    NS1,
                    "x.",
                    RecordKind::A,
                    Rcode::NoError,
                    vec![a("x.", "192.0.2.7")],
                ),
        );
        let r = system(&dns, b"", conf(&[NS1], &["a.test", "b.test"]));
        let res = run(&r, "x", Want::Addresses(Family::V4)).await;
        assert_eq!(res.status, Status::Ok);
        let names: Vec<String> = dns.asked().into_iter().map(|(_, n, _)| n).collect();
        assert_eq!(
            names,
            ["x.a.test.", "x.a.test.", "x."],
            "b.test skipped; 2 attempts"
        );
    }

    #[tokio::test]
    async fn servfail_moves_along_the_search_list() {
        let dns = std::sync::Arc::new(
            FakeDns::default()
                .reply(NS1, "x.a.test.", RecordKind::A, Rcode::ServFail, vec![])
                .reply(
                    NS1,
                    "x.b.test.",
                    RecordKind::A,
                    Rcode::NoError,
                    vec![a("x.b.test.", "192.0.2.8")],
                ),
        );
        let r = system(&dns, b"", conf(&[NS1], &["a.test", "b.test"]));
        let res = run(&r, "x", Want::Addresses(Family::V4)).await;
        assert_eq!(values(&res), [row("x.b.test.", "A", "192.0.2.8")]);
    }

    #[tokio::test]
    async fn unreachable_servers_end_the_lookup_with_an_error() {
        let dns = std::sync::Arc::new(FakeDns::default().fail(
            NS1,
            "x.a.test.",
            RecordKind::A,
            ExchangeError::Io("Network is unreachable (os error 101)".into()),
        ));
        let mut c = conf(&[NS1], &["a.test"]);
        c.attempts = 1;
        let r = system(&dns, b"", c);
        let res = run(&r, "x", Want::Addresses(Family::V4)).await;
        assert_eq!(res.status, Status::Error);
        assert_eq!(res.status.exit(), Exit::Failed);
        assert_eq!(
            res.error.as_deref(),
            Some(
                "query failed (cannot ask 198.18.100.53:53: Network is unreachable (os error 101) for x.a.test)"
            )
        );
        assert_eq!(dns.asked().len(), 1, "no further candidates");
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

    #[tokio::test]
    async fn direct_mode_asks_the_name_as_typed_once() {
        let dns = std::sync::Arc::new(FakeDns::default().silent(NS1));
        let r = Resolver::new(
            dns.clone(),
            Mode::Direct {
                servers: Servers::direct(NS1.parse().unwrap(), Duration::from_secs(2), true),
            },
        );
        let res = run(&r, "www", ANY).await;
        assert_eq!(res.status, Status::Timeout);
        assert_eq!(
            res.error.as_deref(),
            Some("no answer (no reply from 198.18.100.53:53 within 2s for www)")
        );
        let asked = dns.asked.lock().unwrap().clone();
        assert_eq!(asked.len(), 2);
        assert!(asked.iter().all(|a| a.name == "www." && a.tcp));
    }

    #[tokio::test]
    async fn reverse_lookup_asks_the_arpa_name() {
        let dns = std::sync::Arc::new(FakeDns::default().reply(
            NS1,
            "2.2.18.198.in-addr.arpa.",
            RecordKind::Ptr,
            Rcode::NoError,
            vec![Record {
                name: "2.2.18.198.in-addr.arpa.".into(),
                ttl: 300,
                data: Rdata::Ptr("www.netlab.test.".into()),
            }],
        ));
        let r = system(&dns, b"", conf(&[NS1], &["netlab.test"]));
        let res = run(&r, "198.18.2.2", ANY).await;
        assert_eq!(
            values(&res),
            [row("2.2.18.198.in-addr.arpa.", "PTR", "www.netlab.test.")]
        );
        assert_eq!(dns.asked().len(), 1, "no search list for reverse names");
    }

    #[tokio::test]
    async fn unusable_resolv_conf_fails_only_when_dns_is_needed() {
        let dns = std::sync::Arc::new(FakeDns::default());
        let r = Resolver::new(
            dns.clone(),
            Mode::system(
                Hosts::parse(b"127.0.0.1 localhost\n"),
                Err(Failure::new(
                    "/etc/resolv.conf",
                    "no usable nameserver line",
                )),
                None,
                false,
            ),
        );
        let res = r
            .resolve("localhost", &name("localhost"), ANY)
            .await
            .unwrap();
        assert_eq!(res.status, Status::Ok);
        let err = r.resolve("www", &name("www"), ANY).await.unwrap_err();
        assert_eq!(
            err.to_string(),
            "netlab: /etc/resolv.conf: no usable nameserver line"
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
