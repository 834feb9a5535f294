//! `trace -A` / `--asn`: who owns each hop, from DNS TXT records in Team Cymru's format,
//! as `mtr -z` and `traceroute -A` show it.
//!
//! Two questions per address, asked of the system's resolver (resolv.conf, through
//! [`crate::dns`], the client `netlab resolve` uses, so the same servers and timeouts):
//!
//! - `2.0.18.198.origin.ZONE` (IPv4: octets reversed) or `<32 nibbles reversed>.origin6.ZONE`
//!   (IPv6): `"64500 | 198.18.0.0/24 | ZZ | registry | 2026-01-01"`, the origin AS and the
//!   prefix (the first AS where several are listed);
//! - `AS64500.ZONE`: `"64500 | ZZ | registry | 2026-01-01 | NAME - description, ZZ"`, the
//!   AS name.
//!
//! ZONE is `asn.cymru.com` ([`crate::cli::DEFAULT_ASN_ZONE`]) unless `--asn-zone` says
//! otherwise (the lab serves its own).
//! Lookups run concurrently on one thread with its own small runtime, started when the
//! first hop answers (after capabilities are dropped); answers are cached per address and
//! AS names per AS, so a hop seen many times is asked about once. The report polls, like
//! reverse names: a row waits a little for its AS, never for long.

use std::collections::{HashMap, HashSet};
use std::net::IpAddr;
use std::sync::mpsc::{channel, Receiver, Sender};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use crate::dns::client::HickoryDns;
use crate::dns::lookup::{Mode, Resolver, Status, Subject, Want};
use crate::dns::record::RecordKind;

/// Addresses looked up per run at most: a single trace sees at most 255 hops × 10
/// queries; rounds that run for hours past hops answering from ever new addresses stop
/// asking here (those show no AS), so the cache and the questions stay bounded.
pub const MAX_ADDRESSES: usize = 4096;

/// Who owns an address.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct AsInfo {
    pub number: u32,
    pub prefix: String,
    /// The AS name and description, when its record exists.
    pub name: Option<String>,
}

impl AsInfo {
    /// `AS64500 NAME`: the number and the AS name without its description, as mtr -z /
    /// traceroute -A show it beside an address.
    pub fn label(&self) -> String {
        let name = self.name.as_deref().unwrap_or("");
        match name.split(" - ").next().unwrap_or(name) {
            "" => format!("AS{}", self.number),
            short => format!("AS{} {short}", self.number),
        }
    }
}

/// The origin question for `addr` under `zone`.
pub fn origin_name(addr: IpAddr, zone: &str) -> String {
    match addr {
        IpAddr::V4(v4) => {
            let o = v4.octets();
            format!("{}.{}.{}.{}.origin.{zone}.", o[3], o[2], o[1], o[0])
        }
        IpAddr::V6(v6) => {
            let nibbles: Vec<String> = v6
                .octets()
                .iter()
                .rev()
                .flat_map(|b| [b & 0xf, b >> 4])
                .map(|n| format!("{n:x}"))
                .collect();
            format!("{}.origin6.{zone}.", nibbles.join("."))
        }
    }
}

/// `"64500 | 198.18.0.0/24 | ZZ | ..."` (quotes optional): the first AS and the prefix.
pub fn parse_origin(txt: &str) -> Option<(u32, String)> {
    let mut fields = txt.trim().trim_matches('"').split('|').map(str::trim);
    let number = fields.next()?.split_whitespace().next()?.parse().ok()?;
    let prefix = fields.next().filter(|p| !p.is_empty())?.to_string();
    Some((number, prefix))
}

/// `"64500 | ZZ | registry | date | NAME - description, ZZ"`: the name field.
pub fn parse_as_name(txt: &str) -> Option<String> {
    let name = txt.trim().trim_matches('"').split('|').nth(4)?.trim();
    (!name.is_empty()).then(|| name.to_string())
}

/// The AS lookups of one trace, polled by the report.
pub struct Lookups {
    zone: String,
    known: HashMap<IpAddr, Option<AsInfo>>,
    pending: HashSet<IpAddr>,
    requests: Option<tokio::sync::mpsc::UnboundedSender<IpAddr>>,
    tx: Sender<(IpAddr, Option<AsInfo>)>,
    rx: Receiver<(IpAddr, Option<AsInfo>)>,
}

impl Lookups {
    pub fn new(zone: &str) -> Lookups {
        let (tx, rx) = channel();
        Lookups {
            zone: zone.trim_end_matches('.').to_string(),
            known: HashMap::new(),
            pending: HashSet::new(),
            requests: None,
            tx,
            rx,
        }
    }

    /// Starts looking `addr` up, once (up to [`MAX_ADDRESSES`] addresses).
    pub fn start(&mut self, addr: IpAddr) {
        if self.known.contains_key(&addr)
            || self.known.len() + self.pending.len() >= MAX_ADDRESSES
            || !self.pending.insert(addr)
        {
            return;
        }
        if self.requests.is_none() {
            self.requests = self.spawn_worker();
        }
        let sent = self.requests.as_ref().map(|r| r.send(addr).is_ok());
        if sent != Some(true) {
            self.pending.remove(&addr);
            self.known.insert(addr, None);
        }
    }

    /// The worker thread: a current-thread runtime answering requests concurrently.
    fn spawn_worker(&self) -> Option<tokio::sync::mpsc::UnboundedSender<IpAddr>> {
        let (requests, mut incoming) = tokio::sync::mpsc::unbounded_channel::<IpAddr>();
        let results = self.tx.clone();
        let zone = self.zone.clone();
        std::thread::Builder::new()
            .name("asn-lookups".into())
            .spawn(move || {
                let Ok(runtime) = tokio::runtime::Builder::new_current_thread()
                    .enable_all()
                    .build()
                else {
                    return;
                };
                let conf = match crate::dns::conf::load() {
                    Ok((conf, _warnings)) => conf,
                    Err(_) => return, // every lookup stays unanswered: no AS shown
                };
                let resolver = Arc::new(Resolver::new(
                    HickoryDns::new(),
                    Mode::system_dns(conf, None, false),
                ));
                let names: Arc<Mutex<HashMap<u32, Option<String>>>> = Arc::default();
                runtime.block_on(async move {
                    let mut tasks = tokio::task::JoinSet::new();
                    loop {
                        tokio::select! {
                            next = incoming.recv() => match next {
                                Some(addr) => {
                                    let (resolver, names, results, zone) =
                                        (resolver.clone(), names.clone(), results.clone(), zone.clone());
                                    tasks.spawn(async move {
                                        let info = lookup(&resolver, &names, addr, &zone).await;
                                        let _ = results.send((addr, info));
                                    });
                                }
                                None => break,
                            },
                            Some(_) = tasks.join_next(), if !tasks.is_empty() => {}
                        }
                    }
                });
            })
            .ok()?;
        Some(requests)
    }

    /// Takes in what has been answered.
    pub fn poll(&mut self) {
        while let Ok((addr, info)) = self.rx.try_recv() {
            self.pending.remove(&addr);
            self.known.insert(addr, info);
        }
    }

    /// Waits up to `budget` for every lookup in progress (the JSON document's end).
    pub fn wait_all(&mut self, budget: Duration) {
        let deadline = Instant::now() + budget;
        while !self.pending.is_empty() {
            let left = deadline.saturating_duration_since(Instant::now());
            match self.rx.recv_timeout(left) {
                Ok((addr, info)) => {
                    self.pending.remove(&addr);
                    self.known.insert(addr, info);
                }
                Err(_) => return,
            }
        }
    }

    pub fn is_pending(&self, addr: &IpAddr) -> bool {
        self.pending.contains(addr)
    }

    pub fn get(&self, addr: &IpAddr) -> Option<&AsInfo> {
        self.known.get(addr).and_then(Option::as_ref)
    }
}

/// The first TXT string of `name`, from the system's DNS servers.
async fn txt(resolver: &Resolver<HickoryDns>, name: &str) -> Option<String> {
    let subject = Subject::Name(name.to_string());
    let res = resolver
        .resolve(name, &subject, Want::Type(RecordKind::Txt))
        .await
        .ok()?;
    if res.status != Status::Ok {
        return None;
    }
    res.rows
        .into_iter()
        .find(|r| r.kind == "TXT")
        .map(|r| r.value)
}

async fn lookup(
    resolver: &Resolver<HickoryDns>,
    names: &Mutex<HashMap<u32, Option<String>>>,
    addr: IpAddr,
    zone: &str,
) -> Option<AsInfo> {
    let origin = txt(resolver, &origin_name(addr, zone)).await?;
    let (number, prefix) = parse_origin(&origin)?;
    let cached = names.lock().ok().and_then(|n| n.get(&number).cloned());
    let name = match cached {
        Some(name) => name,
        None => {
            let name = txt(resolver, &format!("AS{number}.{zone}."))
                .await
                .and_then(|t| parse_as_name(&t));
            if let Ok(mut n) = names.lock() {
                n.insert(number, name.clone());
            }
            name
        }
    };
    Some(AsInfo {
        number,
        prefix,
        name,
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn questions_are_asked_as_cymru_names_them() {
        assert_eq!(
            origin_name("198.18.0.2".parse().unwrap(), "asn.cymru.com"),
            "2.0.18.198.origin.asn.cymru.com."
        );
        let v6 = origin_name("fd4e:6c61:62::2".parse().unwrap(), "asn.netlab.test");
        assert!(v6.starts_with("2.0.0.0.0.0.0.0."), "{v6}");
        assert!(
            v6.ends_with(".2.6.0.0.1.6.c.6.e.4.d.f.origin6.asn.netlab.test."),
            "{v6}"
        );
        assert_eq!(v6.split('.').count(), 32 + 4 + 1);
    }

    #[test]
    fn each_address_is_asked_once_and_the_cache_is_bounded() {
        let mut lookups = Lookups::new("asn.netlab.test.");
        // A stand-in for the worker: the questions queue here, none goes out.
        let (requests, mut asked) = tokio::sync::mpsc::unbounded_channel();
        lookups.requests = Some(requests);
        let addr = |i: usize| IpAddr::from([10, (i >> 16) as u8, (i >> 8) as u8, i as u8]);
        for round in 0..3 {
            for i in 0..MAX_ADDRESSES + 100 {
                lookups.start(addr(i));
            }
            assert_eq!(lookups.pending.len(), MAX_ADDRESSES, "round {round}");
        }
        let mut n = 0;
        while asked.try_recv().is_ok() {
            n += 1;
        }
        assert_eq!(n, MAX_ADDRESSES);
        assert!(lookups.is_pending(&addr(0)));
        assert!(!lookups.is_pending(&addr(MAX_ADDRESSES)));
        // An answer moves an address from pending to known; it is not asked again.
        let info = AsInfo {
            number: 64500,
            prefix: "10.0.0.0/8".into(),
            name: None,
        };
        lookups.tx.send((addr(0), Some(info.clone()))).unwrap();
        lookups.poll();
        lookups.start(addr(0));
        assert!(asked.try_recv().is_err());
        assert_eq!(lookups.get(&addr(0)), Some(&info));
        assert_eq!(info.label(), "AS64500");
    }

    #[test]
    fn answers_are_read_as_cymru_writes_them() {
        assert_eq!(
            parse_origin("\"64500 | 198.18.0.0/24 | ZZ | netlab | 2026-12-01\""),
            Some((64500, "198.18.0.0/24".into()))
        );
        // Several origins: the first.
        assert_eq!(
            parse_origin("64500 64501 | 10.0.0.0/8 | ZZ | x | y"),
            Some((64500, "10.0.0.0/8".into()))
        );
        assert_eq!(parse_origin("NA | | | |"), None);
        assert_eq!(parse_origin(""), None);
        assert_eq!(
            parse_as_name("\"64500 | ZZ | netlab | 2026-12-01 | NETLAB-LINK0 - lab, ZZ\""),
            Some("NETLAB-LINK0 - lab, ZZ".into())
        );
        assert_eq!(parse_as_name("64500 | ZZ"), None);
    }
}
