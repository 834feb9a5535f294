//! How one name is resolved: /etc/hosts first, then the resolv.conf servers in order with
//! the search list, as glibc's `getaddrinfo` / `res_nsearch` / `res_send` do; or one
//! server, asked directly, as dig does. Written against the [`Dns`] trait, so every rule
//! here is tested with injected replies.
//!
//! Four stories, one file each, in the order a query meets them:
//! - here, the walk (`res_nsearch`): the hosts file, then the candidate names of the
//!   search list, each asked of the servers, until one resolves or the walk must stop;
//! - `servers.rs`, asking the server list about one candidate name (`res_send`): which
//!   server, how long to wait, what counts as an answer;
//! - `outcome.rs`, turning the candidates tried into what the user is shown: the rows of the
//!   chosen one, or the one line that says why nothing resolved and where;
//! - `resolution.rs`, the result types the report, the Atlas mapping and `check` read.
//!
//! The glibc rule kept here, because it decides what a user of `ping NAME` sees (the
//! server rules are in `servers.rs`): along the search list, NXDOMAIN, "no data" and
//! SERVFAIL move on to the next candidate name; REFUSED or a timeout stop the walk (the
//! name as typed is still tried if it has not been); when nothing answers, the result is
//! the as-typed name's if it was tried first, else "no data" if any candidate had the
//! name, else SERVFAIL if any got one, else the last candidate's.

#[cfg(test)]
mod fake;
mod outcome;
mod resolution;
mod servers;

use std::time::Duration;

use tokio::time::Instant;

use super::client::{Dns, Rcode};
use super::conf::SystemConf;
use super::hosts::Hosts;
use super::names::{candidates, reverse_name};
use crate::dns::record::RecordKind;
use crate::error::Failure;

use self::outcome::resolution;
pub use self::resolution::{Resolution, Row, Source, Status, Subject, Want, Wire};
pub use self::servers::Servers;
use self::servers::{last_reply, Asked, Candidate, Trouble, Verdict};

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
            let asked = servers::ask(&self.dns, servers, name, &kinds).await;
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

/// The name as typed, made absolute.
fn absolute(name: &str) -> String {
    if name.ends_with('.') {
        name.to_string()
    } else {
        format!("{name}.")
    }
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
mod tests {
    use super::*;
    use crate::dns::client::ExchangeError;
    use crate::dns::lookup::fake::*;
    use crate::dns::record::{Rdata, Record};
    use crate::error::Exit;
    use crate::family::Family;

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
}
