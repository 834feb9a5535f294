//! The SYN scan's driver: the engine's decisions on real sockets.
//!
//! Per address family, one raw TCP socket sends the SYNs from one reserved source port
//! and reads every TCP segment reaching the host (`net::raw_tcp`: the port is held by an
//! ordinary socket that never listens, so the kernel answers each SYN-ACK with the RST
//! that ends the half-open connection), and one raw ICMP socket reads the errors. The
//! loop runs on a thread of its own, as fast as the engine's pacing asks: read all that
//! arrived, let waits end, send what is due, hand the findings on, then sleep in `poll`
//! until the next SYN or wait is due or something arrives. Ctrl-C sets a flag the loop
//! reads every turn (turns are at most [`TURN`] apart).
//!
//! The sockets are opened before the thread starts, and with them the privilege
//! question is answered at once: without `CAP_NET_RAW` the run stops with one line and
//! the `setcap` hint before anything is sent.

use std::io;
use std::net::{IpAddr, SocketAddr};
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use super::engine::{Config, Engine, Finding, Reply};
use super::hosts::Hosts;
use super::results::{Details, Scanned};
use crate::connect::probe::{error_phrase, Outcome, Protocol, State};
use crate::connect::report::{self, ProbeRecord};
use crate::connect::{Address, Plan};
use crate::error::{Exit, Failure};
use crate::net::err;
use crate::net::icmp::{IcmpSocket, Mode};
use crate::net::privilege;
use crate::net::probe::{poll, source_address, Pollable, Want};
use crate::net::raw_tcp::RawTcpSocket;
use crate::output::Stdout;
use crate::packet::icmp::Version;
use crate::packet::scan::{quoted_syn, tcp_answer};
use crate::packet::transport::write_tcp_syn;

/// The longest the loop sleeps between looks at the Ctrl-C flag.
const TURN: Duration = Duration::from_millis(50);
/// The default `--rate` of a SYN scan: nmap's `-T4` territory, what a LAN and the
/// kernel's own RST rate limits bear without losing answers.
pub const DEFAULT_RATE: u32 = 10_000;
/// The adaptive rate never goes below this share of `--rate`.
const MIN_RATE_SHARE: u32 = 64;

/// One family's sockets and where its SYNs come from.
struct Wire {
    tcp: RawTcpSocket,
    icmp: Option<IcmpSocket>,
    src: IpAddr,
    version: Version,
}

impl Wire {
    /// Opens the sockets for SYNs to `first` (and the rest of its family, from the same
    /// source address).
    fn open(first: &Address) -> Result<Wire, Failure> {
        let what = "connect --syn";
        let src = source_address(first.with_port(9))
            .map_err(|e| Failure::new(format!("finding a route to {}", first.text), e))?;
        let tcp = RawTcpSocket::open(src, first.scope_id).map_err(|e| {
            let failure = Failure::new(
                format!("{what}: opening a raw TCP socket"),
                error_phrase(&e),
            );
            if privilege::is_permission(&e) {
                failure.with_hint(format!(
                    "a SYN scan needs CAP_NET_RAW: {}; or scan with connect() (drop --syn)",
                    privilege::cap_net_raw_hint()
                ))
            } else {
                failure
            }
        })?;
        let version = Version::of(&src);
        // Without the ICMP listener, ICMP errors go unseen and their ports count as
        // filtered; the scan still runs.
        let icmp = IcmpSocket::open(version, Mode::Raw, 0).ok();
        Ok(Wire {
            tcp,
            icmp,
            src,
            version,
        })
    }

    fn sport(&self) -> u16 {
        self.tcp.local().port()
    }

    /// Reads everything queued on both sockets into the engine.
    fn drain(&self, engine: &mut Engine, buf: &mut [u8]) -> io::Result<()> {
        loop {
            match self.tcp.recv(buf) {
                Ok(rx) => {
                    if let Ok(a) = tcp_answer(&buf[..rx.len], self.version) {
                        let reply = Reply::Tcp {
                            from: a.src.unwrap_or(rx.from),
                            sport: a.sport,
                            dport: a.dport,
                            ack: a.ack,
                            flags: a.flags,
                        };
                        engine.on_reply(rx.at, &reply);
                    }
                }
                Err(e) if e.kind() == io::ErrorKind::WouldBlock => break,
                Err(e) if e.kind() == io::ErrorKind::Interrupted => {}
                Err(e) => return Err(e),
            }
        }
        let Some(icmp) = &self.icmp else {
            return Ok(());
        };
        loop {
            match icmp.recv(buf) {
                Ok(rx) => {
                    if let Ok(q) = quoted_syn(&buf[..rx.len], self.version) {
                        let reply = Reply::Icmp {
                            from: rx.from,
                            dst: q.dst,
                            sport: q.sport,
                            dport: q.dport,
                            seq: q.seq,
                            v6: self.version == Version::V6,
                            icmp_type: q.icmp_type,
                            icmp_code: q.icmp_code,
                        };
                        engine.on_reply(rx.at, &reply);
                    }
                }
                Err(e) if e.kind() == io::ErrorKind::WouldBlock => break,
                Err(e) if e.kind() == io::ErrorKind::Interrupted => {}
                // A raw ICMP socket may report a pending error once; nothing to read.
                Err(_) => break,
            }
        }
        Ok(())
    }

    /// Runs `engine` to its end (true) or until `stop` (false).
    fn run(
        &self,
        engine: &mut Engine,
        stop: &AtomicBool,
        mut found: impl FnMut(Finding),
    ) -> io::Result<bool> {
        let mut buf = vec![0u8; 65_536];
        let mut segment = [0u8; 20];
        let sport = self.sport();
        loop {
            if stop.load(Ordering::Relaxed) {
                return Ok(false);
            }
            self.drain(engine, &mut buf)?;
            let now = Instant::now();
            engine.poll_timeouts(now);
            while let Some(syn) = engine.poll_send(now) {
                let len = write_tcp_syn(&mut segment, self.src, syn.dst, sport, syn.port, syn.seq)
                    .map_err(|e| io::Error::other(e.to_string()))?;
                match self
                    .tcp
                    .send(64, &segment[..len], SocketAddr::new(syn.dst, 0))
                {
                    Ok(()) => {}
                    // A full queue loses this SYN; its retry covers it.
                    Err(e)
                        if err::is_resource_shortage(&e)
                            || e.kind() == io::ErrorKind::WouldBlock => {}
                    Err(e) => return Err(e),
                }
            }
            while let Some(finding) = engine.pop_finding() {
                found(finding);
            }
            if engine.is_done() {
                return Ok(true);
            }
            let wait = engine
                .next_wakeup()
                .map_or(TURN, |at| at.saturating_duration_since(Instant::now()))
                .min(TURN);
            if !wait.is_zero() {
                let mut sockets: Vec<(&dyn Pollable, Want)> = vec![(&self.tcp, Want::Read)];
                if let Some(icmp) = &self.icmp {
                    sockets.push((icmp, Want::Read));
                }
                poll(&sockets, wait)?;
            }
        }
    }
}

/// `connect --syn`: every address x port of the plan, one family after the other, the
/// ports of all addresses interleaved. Open ports are printed as found; the records are
/// the connect scan's, so every format shows a SYN scan as it shows a connect scan, and
/// they are made from the engine's state one at a time as the output is written
/// (`results.rs`): nothing is kept per address or per finding during the scan.
pub async fn run<I>(
    plan: &Plan,
    out: &Stdout,
    families: Vec<Hosts>,
    ports: Arc<[u16]>,
    interrupt: I,
) -> Result<Exit, Failure>
where
    I: std::future::Future<Output = ()>,
{
    let stop = Arc::new(AtomicBool::new(false));
    let rows = Arc::new(Mutex::new(report::ProbeRows::new(out, plan.format, false)));
    let rate = plan.syn_rate.unwrap_or(DEFAULT_RATE);
    // Both families' sockets first: a missing privilege stops the run before any SYN.
    let mut wires = Vec::new();
    for hosts in families {
        if let Some(first) = hosts.first() {
            wires.push((Wire::open(&first)?, hosts));
        }
    }
    let mut scanned: Vec<Scanned> = Vec::new();
    let mut syn_rate = report::SynRate {
        max_pps: rate,
        lowest_pps: u64::from(rate),
        final_pps: u64::from(rate),
        cuts: 0,
    };
    tokio::pin!(interrupt);
    for (wire, hosts) in wires {
        let count = hosts.len();
        let cfg = Config {
            rate,
            min_rate: (rate / MIN_RATE_SHARE).max(1),
            timeout: plan.spec.timeout,
            sport: wire.sport(),
        };
        let mut engine = Engine::new(cfg, hosts.list.clone(), ports.clone(), Instant::now())
            .map_err(|why| Failure::usage("connect --syn", why))?;
        let progress = report::Progress::start(
            engine.total() as usize,
            &format!(
                "SYN {} x {} ports from {}, up to {rate}/s",
                plural(count, "address", "addresses"),
                ports.len(),
                wire.src
            ),
        );
        let started = Instant::now();
        let thread = {
            let (stop, rows, progress) = (stop.clone(), rows.clone(), progress.clone());
            tokio::task::spawn_blocking(move || {
                let mut open = 0;
                let mut details = Details::default();
                let done = wire.run(&mut engine, &stop, |f| {
                    progress.advance();
                    details.note(&f);
                    if f.state == State::Open {
                        let (target, address) = hosts.label(f.host);
                        let row = ProbeRecord {
                            target,
                            address,
                            port: f.port,
                            protocol: Protocol::Tcp,
                            seq: 1,
                            outcome: outcome(&f),
                        };
                        progress.suspend(|| lock(&rows).row(&row));
                        open += 1;
                        progress.found(open);
                    }
                });
                (done, engine, details, hosts)
            })
        };
        tokio::pin!(thread);
        let joined = tokio::select! {
            joined = &mut thread => joined,
            () = &mut interrupt => {
                stop.store(true, Ordering::Relaxed);
                thread.await
            }
        };
        progress.finish();
        let (done, engine, details, hosts) =
            joined.map_err(|e| Failure::new("connect --syn", e.to_string()))?;
        let completed =
            done.map_err(|e| Failure::new("connect --syn: the raw sockets", error_phrase(&e)))?;
        syn_rate.lowest_pps = syn_rate.lowest_pps.min(engine.lowest_rate().round() as u64);
        syn_rate.final_pps = engine.rate().round() as u64;
        syn_rate.cuts += engine.cuts();
        scanned.push(Scanned {
            hosts,
            engine,
            details,
            elapsed: started.elapsed(),
            completed,
        });
        if !completed {
            break;
        }
    }
    let records = || scanned.iter().flat_map(Scanned::records);
    let completed = scanned.iter().all(|s| s.completed);
    let all_answered = completed && records().all(|s| !s.open.is_empty());
    report::finish_scans_with(out, plan.format, records, !completed, Some(&syn_rate));
    Ok(Exit::from_answered(all_answered))
}

fn plural(n: u64, one: &str, many: &str) -> String {
    format!("{n} {}", if n == 1 { one } else { many })
}

fn outcome(f: &Finding) -> Outcome {
    Outcome {
        state: f.state,
        time: None,
        detail: f.detail.clone(),
        answer: None,
        expect_matched: None,
    }
}

fn lock<T>(mutex: &Mutex<T>) -> std::sync::MutexGuard<'_, T> {
    mutex
        .lock()
        .unwrap_or_else(|poisoned| poisoned.into_inner())
}
