//! `netlab connect`: is this TCP or UDP port open, closed, filtered or unreachable — and if
//! unreachable, which ICMP error said so, from which router.
//!
//! Two shapes of run, chosen by the port list:
//! - **probes** (`host:port`, `[v6]:port`, `host -p 22,80`): one row per address and port,
//!   every state shown, then a summary; `-c COUNT` repeats them tcping-style (one port per
//!   target) and ends with statistics.
//! - **scans** (`-p` with a range: `-p 1-1024`, `-p 22,8000-8100`, `-p-`): open ports are
//!   listed as they are found; closed, filtered and unreachable ones are counted in a
//!   summary. A TCP port's first try waits as long as the path's measured round trips say
//!   (at least 100 ms, at most `--timeout`); one that stays silent gets a second try with
//!   the full `--timeout` before it counts as filtered (as nmap retransmits), so neither a
//!   lost SYN nor a short first wait hides an open port.
//!
//! Decisions worth knowing:
//! - Every address of a name is probed (or one family with `-4`/`-6`), each in its own
//!   rows; names resolve as the system resolves them (getaddrinfo).
//! - `host:port` together with `-p` is refused (exit 2) rather than guessed at.
//! - TCP states: open (handshake done; the time is the handshake as the kernel timed it,
//!   SYN to SYN-ACK, so a busy scan cannot inflate it — or the wall-clock connect time when
//!   the SYN had to be retransmitted), closed (RST, or an ICMP port unreachable from a
//!   REJECT rule, then named in the detail), filtered (no answer within `--timeout`),
//!   unreachable (any other ICMP error, named with its sender).
//! - `--udp` sends the `--send` payload, or an empty datagram without one: open (a reply
//!   came, shown), closed (ICMP port unreachable), open|filtered (silence). `-c` works for
//!   UDP too, timing the replies.
//! - With `--send`/`--expect`/`--recv-bytes` the answer is read until the peer closes,
//!   `--timeout` passes, `--recv-bytes` arrived, or the expectation is met (so a server that
//!   keeps the connection open does not cost the timeout). Expectations match the raw bytes.
//!   A range scan only connects; it refuses these options (UDP scans may `--send`).
//! - `-N`/`--shutdown` half-closes once the payload is sent (as `nc -N`), so a server that
//!   reads to end-of-file (an echo that keeps the connection open) answers and closes at
//!   once; `--eol none|lf|crlf` ends the `--send` text (nothing by default: the lab's
//!   clients send none). `--send-file` is streamed from the file for each TCP probe, never
//!   held whole; for UDP it must fit one datagram and is read at most one byte past that.
//! - A plain probe (no payload, no expectation, not a range, not `-c`) reads what the
//!   server says first, as `nc` and `telnet` show it: until the server closes, pauses
//!   20 ms after speaking, or 200 ms pass in silence (seed 004's greeting). Scans and `-c`
//!   runs never wait for one, so their timing is unchanged.
//!
//! # Exit status
//! - probes: 0 when every address and port was found open — with `-c`, open at least once,
//!   as ping counts a run with some replies as answered — and every answer met
//!   `--expect`/`--expect-regex`; 1 otherwise. Ctrl-C prints what was gathered and keeps
//!   the same rule.
//! - scans: a range has no single "as asked"; a scan exits 0 when it completed and found at
//!   least one open port on every address scanned, 1 when an address had none or the scan
//!   was interrupted.
//! - 2 for bad input (including a name that does not resolve) and socket errors.
//!
//! # JSON (`--json`)
//! One document when the run ends; times are float milliseconds, addresses strings.
//!
//! Probes:
//! ```text
//! {
//!   "probes": [{
//!     "target": "www.netlab.test",   // the host as given
//!     "address": "198.18.2.2",       // the address probed (IPv6 with %zone if scoped)
//!     "port": 80,
//!     "protocol": "tcp",             // "tcp" | "udp"
//!     "seq": 1,                      // 1..=COUNT
//!     "state": "open",               // "open" | "closed" | "filtered" | "unreachable" | "open_filtered"
//!     "time_ms": 0.123,              // TCP handshake or UDP reply time, or when the error came; null when nothing came back
//!     "detail": null,                // e.g. "administratively prohibited from 198.18.1.2 (ICMP 3/13)"
//!     "answer": null,                // what the peer sent, escaped as \n \r \t \\ \xNN; null if not read
//!                                    // (or no greeting came: a plain probe reads one for 200 ms)
//!     "expect_matched": null         // true | false with --expect/--expect-regex, else null
//!   }],
//!   "statistics": [{                 // one per address and port, with or without -c
//!     "target": "www.netlab.test", "address": "198.18.2.2", "port": 80, "protocol": "tcp",
//!     "sent": 3, "open": 3, "failed": 0, "loss_percent": 0.0,
//!     "min_ms": 0.1, "avg_ms": 0.12, "max_ms": 0.14, "mdev_ms": 0.016   // null when none open
//!   }],
//!   "interrupted": false             // true when Ctrl-C ended the run
//! }
//! ```
//! Scans (one object per address scanned):
//! ```text
//! {
//!   "scans": [{
//!     "target": "www.netlab.test", "address": "198.18.2.2", "protocol": "tcp",
//!     "ports": 65535,                // how many ports were to be scanned
//!     "open": [7, 80, 9999],         // sorted
//!     "closed": 65531, "filtered": 1, "unreachable": 0, "open_filtered": 0,
//!     "detail": null,                // the first ICMP error of an unreachable port, else null
//!     "elapsed_ms": 812.345,
//!     "concurrency": 4096,           // probes in flight at once (lower if the system ran short)
//!     "completed": true              // false when interrupted
//!   }],
//!   "interrupted": false
//! }
//! ```

pub mod interactive;
mod payload;
mod probe;
mod report;
mod scan;
mod stats;
mod timeout;

use std::net::{IpAddr, SocketAddr, SocketAddrV6};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use tokio::signal::unix::{signal, Signal, SignalKind};

use crate::cli::{ConnectArgs, Family};
use crate::error::{Exit, Failure};
use crate::net::socket::RefusalDetail;
use crate::output::{self, Format};
use crate::target::{parse_port_list, Host, PortSuffix, Target};

use payload::{unescape, Expectation, Payload};
use probe::{Outcome, ProbeSpec, Protocol, ReadSpec, State};
use report::{ProbeRecord, ScanRecord};
use stats::Statistics;

/// Most probes a scan keeps in flight when neither `--concurrency` nor the open-file limit
/// says less. Loopback gains nothing past a few hundred; slow or filtered paths gain up to
/// here (each filtered port holds its slot for the whole timeout).
const DEFAULT_WINDOW: usize = 4096;
/// Descriptors kept back from the window for stdio, the runtime, DNS and the like.
const FD_RESERVE: u64 = 32;
/// An answer is read up to this size unless `--recv-bytes` says otherwise.
const DEFAULT_ANSWER_LIMIT: usize = 1 << 20;
/// The largest payload one UDP datagram can carry over IPv4.
const MAX_UDP_PAYLOAD: usize = 65_507;

/// A checked `connect` command line.
#[derive(Debug)]
pub struct Plan {
    targets: Vec<TargetPorts>,
    /// A range was asked for: scan, and count rather than list closed ports.
    scan: bool,
    count: Option<u64>,
    interval: Duration,
    spec: ProbeSpec,
    family: Family,
    concurrency: Option<usize>,
    format: Format,
}

#[derive(Debug)]
struct TargetPorts {
    target: Target,
    ports: Arc<[u16]>,
}

impl Plan {
    pub fn from_args(args: ConnectArgs) -> Result<Plan, Failure> {
        if args.targets.is_empty() {
            return Err(Failure::usage("connect", "no target given")
                .with_hint("netlab connect HOST:PORT, or netlab connect HOST -p PORTS"));
        }
        let family = args.family.family();
        let (port_list, scan) = match &args.ports {
            Some(text) => {
                let ports = parse_port_list(text).map_err(|why| Failure::usage("-p", why))?;
                // A range asks "which of these are open?"; a list asks about each port.
                (Some(Arc::<[u16]>::from(ports)), text.contains('-'))
            }
            None => (None, false),
        };

        let mut targets = Vec::with_capacity(args.targets.len());
        for text in &args.targets {
            let target = Target::parse_destination(text, PortSuffix::Allowed)
                .map_err(|why| Failure::usage(format!("target '{text}'"), why))?;
            check_family(&target, family)?;
            let ports = match (target.port, &port_list) {
                (Some(_), Some(_)) => {
                    return Err(Failure::usage(
                        format!("target '{text}'"),
                        "names a port, and -p gives ports too",
                    )
                    .with_hint("use HOST:PORT or HOST -p PORTS, not both"))
                }
                (Some(port), None) => Arc::from([port]),
                (None, Some(ports)) => ports.clone(),
                (None, None) => {
                    return Err(Failure::usage(format!("target '{text}'"), "no port given")
                        .with_hint(
                            "write HOST:PORT ([IPv6]:PORT for an IPv6 address), or add -p PORTS",
                        ))
                }
            };
            targets.push(TargetPorts { target, ports });
        }

        if args.count.is_some() && (scan || targets.iter().any(|t| t.ports.len() > 1)) {
            return Err(Failure::usage(
                "-c",
                "repeats a single-port probe, and more than one port was given",
            )
            .with_hint("give one port (HOST:PORT or -p PORT), or drop -c to probe each once"));
        }
        if args.timeout.is_zero() {
            return Err(Failure::usage("--timeout", "must be more than 0"));
        }

        let protocol = if args.udp {
            Protocol::Udp
        } else {
            Protocol::Tcp
        };
        let payload = match (&args.send, &args.send_file) {
            (Some(text), _) => {
                let mut bytes = unescape(text).map_err(|why| Failure::usage("--send", why))?;
                bytes.extend_from_slice(args.eol.map_or(&b""[..], |eol| eol.bytes()));
                Some(Payload::Bytes(bytes))
            }
            (None, Some(path)) => Some(send_file(path, protocol)?),
            (None, None) => {
                if args.eol.is_some() {
                    return Err(Failure::usage(
                        "--eol",
                        "ends the text of --send or --interactive, and neither was given",
                    ));
                }
                None
            }
        };
        if args.shutdown && payload.is_none() {
            return Err(Failure::usage(
                "--shutdown",
                "half-closes after sending, and nothing is sent",
            )
            .with_hint("add --send TEXT or --send-file FILE"));
        }
        let expect = match (&args.expect, &args.expect_regex) {
            (Some(text), _) => {
                Some(Expectation::contains(text).map_err(|why| Failure::usage("--expect", why))?)
            }
            (None, Some(re)) => {
                Some(Expectation::regex(re).map_err(|why| Failure::usage("--expect-regex", why))?)
            }
            (None, None) => None,
        };

        if scan {
            if expect.is_some() || args.recv_bytes.is_some() {
                let flag = if args.recv_bytes.is_some() && expect.is_none() {
                    "--recv-bytes"
                } else if args.expect_regex.is_some() {
                    "--expect-regex"
                } else {
                    "--expect"
                };
                return Err(Failure::usage(
                    flag,
                    "checks the answer of single probes, not of a range scan",
                )
                .with_hint("list the ports (-p 80,443) or name one (HOST:PORT)"));
            }
            if payload.is_some() && protocol == Protocol::Tcp {
                let flag = if args.send.is_some() {
                    "--send"
                } else {
                    "--send-file"
                };
                return Err(Failure::usage(
                    flag,
                    "a TCP range scan only connects; it sends nothing",
                )
                .with_hint("list the ports (-p 80,443) or name one (HOST:PORT) to send"));
            }
        }
        if let (Protocol::Udp, Some(Payload::Bytes(bytes))) = (protocol, &payload) {
            if bytes.len() > MAX_UDP_PAYLOAD {
                return Err(Failure::usage(
                    "--send",
                    format!(
                        "{} bytes do not fit in one UDP datagram (at most {MAX_UDP_PAYLOAD})",
                        bytes.len()
                    ),
                ));
            }
        }

        let wants_answer = payload.is_some()
            || expect.is_some()
            || args.recv_bytes.is_some()
            || protocol == Protocol::Udp;
        // A single probe shows what a server says first, as nc does; a scan and the
        // repeated probes of -c (tcping-style timing) never wait for one.
        let greeting = !wants_answer && !scan && args.count.is_none();
        let read = (wants_answer || greeting).then(|| ReadSpec {
            max_bytes: args.recv_bytes.map_or(DEFAULT_ANSWER_LIMIT, |n| n as usize),
            expect,
            greeting,
        });

        Ok(Plan {
            targets,
            scan,
            count: args.count,
            interval: args.interval,
            spec: ProbeSpec {
                protocol,
                timeout: args.timeout,
                payload,
                shutdown: args.shutdown,
                read,
                refusal: if scan {
                    RefusalDetail::Skip
                } else {
                    RefusalDetail::Wanted
                },
            },
            family,
            concurrency: args.concurrency.map(|n| n as usize),
            format: args.output.format_for("connect", &[])?,
        })
    }
}

/// `--send-file`: checked now, streamed per probe over TCP; for UDP read into one
/// datagram, reading at most one byte more than a datagram holds (so `/dev/zero` is
/// refused at once, never read whole).
fn send_file(path: &std::path::Path, protocol: Protocol) -> Result<Payload, Failure> {
    use std::io::Read;
    let what = format!("--send-file {}", path.display());
    let file = std::fs::File::open(path).map_err(|err| Failure::new(&what, err))?;
    if file.metadata().is_ok_and(|meta| meta.is_dir()) {
        return Err(Failure::usage(what, "is a directory"));
    }
    if protocol == Protocol::Tcp {
        return Ok(Payload::File(path.to_path_buf()));
    }
    let mut bytes = Vec::new();
    file.take(MAX_UDP_PAYLOAD as u64 + 1)
        .read_to_end(&mut bytes)
        .map_err(|err| Failure::new(&what, err))?;
    if bytes.len() > MAX_UDP_PAYLOAD {
        return Err(Failure::usage(
            what,
            format!("more than {MAX_UDP_PAYLOAD} bytes do not fit in one UDP datagram"),
        ));
    }
    Ok(Payload::Bytes(bytes))
}

/// `-4 ::1` or `-6 127.0.0.1` cannot be honoured; say so before anything is sent.
fn check_family(target: &Target, family: Family) -> Result<(), Failure> {
    if let Host::Ip { addr, .. } = &target.host {
        if !family.allows(addr) {
            let (is, flag) = if addr.is_ipv4() {
                ("an IPv4", "-6")
            } else {
                ("an IPv6", "-4")
            };
            return Err(Failure::usage(
                format!("target '{}'", target.text),
                format!("is {is} address, but {flag} was given"),
            ));
        }
    }
    Ok(())
}

/// One address of a target, ready to be given a port.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Address {
    pub ip: IpAddr,
    /// The interface index of a link-local IPv6 address's %zone (0: none).
    pub scope_id: u32,
    /// The text shown for it: the address, with %zone when scoped.
    pub text: String,
}

impl Address {
    fn plain(ip: IpAddr) -> Address {
        Address {
            ip,
            scope_id: 0,
            text: ip.to_string(),
        }
    }

    pub fn with_port(&self, port: u16) -> SocketAddr {
        match self.ip {
            IpAddr::V6(v6) => SocketAddr::V6(SocketAddrV6::new(v6, port, 0, self.scope_id)),
            IpAddr::V4(_) => SocketAddr::new(self.ip, port),
        }
    }
}

/// Every address of `host`, as the system resolves it (getaddrinfo: /etc/hosts, then DNS,
/// in the system's preferred order, duplicates dropped), filtered by `-4`/`-6`. A name that
/// does not resolve, or has no address of the wanted family, is an error (exit 2).
pub async fn addresses_of(host: &Host, family: Family) -> Result<Vec<Address>, Failure> {
    match host {
        Host::Ip { addr, scope: None } => Ok(vec![Address::plain(*addr)]),
        Host::Ip {
            addr,
            scope: Some(zone),
        } => {
            let scope_id = crate::net::iface::index_of(zone).map_err(|err| {
                Failure::new(format!("interface '{zone}' in '{host}'"), err)
                    .with_hint("see 'ip link' for the interface names on this host")
            })?;
            Ok(vec![Address {
                ip: *addr,
                scope_id,
                text: format!("{addr}%{zone}"),
            }])
        }
        Host::Name(name) => {
            let found = crate::dns::system::lookup(name, 0)
                .await
                .map_err(|failure| Failure::new(format!("resolving '{name}'"), failure.why))?;
            let mut addresses: Vec<Address> = Vec::new();
            for addr in found {
                let ip = addr.ip();
                if family.allows(&ip) && !addresses.iter().any(|a| a.ip == ip) {
                    addresses.push(Address::plain(ip));
                }
            }
            if addresses.is_empty() {
                let which = match family {
                    Family::V4 => "no IPv4 address (-4 was given)",
                    Family::V6 => "no IPv6 address (-6 was given)",
                    Family::Any => "no address",
                };
                return Err(Failure::new(format!("resolving '{name}'"), which));
            }
            Ok(addresses)
        }
    }
}

/// Ctrl-C, caught so the run can print what it has (statistics, the scan so far).
struct Interrupt {
    signal: Option<Signal>,
    fired: bool,
}

impl Interrupt {
    fn new() -> Interrupt {
        Interrupt {
            signal: signal(SignalKind::interrupt()).ok(),
            fired: false,
        }
    }

    /// Completes once Ctrl-C has been pressed (at once if it already was).
    async fn wait(&mut self) {
        if self.fired {
            return;
        }
        match &mut self.signal {
            Some(signal) => {
                signal.recv().await;
                self.fired = true;
            }
            None => std::future::pending().await,
        }
    }
}

/// One target with its resolved addresses.
struct Resolved {
    host: String,
    addresses: Vec<Address>,
    ports: Arc<[u16]>,
}

pub async fn run(plan: Plan) -> Result<Exit, Failure> {
    let mut interrupt = Interrupt::new();
    let resolving = async {
        let mut resolved = Vec::with_capacity(plan.targets.len());
        for target in &plan.targets {
            resolved.push(Resolved {
                host: target.target.host.to_string(),
                addresses: addresses_of(&target.target.host, plan.family).await?,
                ports: target.ports.clone(),
            });
        }
        Ok::<_, Failure>(resolved)
    };
    let resolved = tokio::select! {
        resolved = resolving => resolved?,
        () = interrupt.wait() => {
            return Err(Failure::new("connect", "interrupted while resolving names"));
        }
    };
    if plan.scan {
        run_scans(&plan, resolved, interrupt).await
    } else {
        run_probes(&plan, resolved, interrupt).await
    }
}

/// How many probes to keep in flight: what `--concurrency` asks, or [`DEFAULT_WINDOW`],
/// bounded by the descriptors the open-file limit leaves (raised toward the hard limit).
fn window_size(plan: &Plan, jobs: usize) -> usize {
    let wanted = plan.concurrency.unwrap_or(DEFAULT_WINDOW).min(jobs).max(1);
    let budget = match crate::net::limits::raise_nofile(wanted as u64 + FD_RESERVE) {
        Ok(budget) => budget,
        Err(err) => {
            output::warn(&format!("reading the open-file limit: {err}"));
            return wanted.min(64);
        }
    };
    let available = budget.available(FD_RESERVE).max(1) as usize;
    if wanted > available && plan.concurrency.is_some() {
        output::warn(&format!(
            "--concurrency {wanted} lowered to {available}: the open-file limit is {} (ulimit -n; hard limit {})",
            budget.soft, budget.hard
        ));
    }
    wanted.min(available)
}

/// One address and port of a probe run.
struct Endpoint {
    host: String,
    address: Address,
    port: u16,
}

/// What a probe run accumulates; workers add to it as results arrive.
struct ProbeState {
    rows: report::ProbeRows,
    /// This round's results not printed yet: rows keep the order of the command line.
    pending: Vec<Option<Outcome>>,
    next_row: usize,
    stats: Vec<Statistics>,
    records: Vec<ProbeRecord>,
    expectation_failed: bool,
}

impl ProbeState {
    fn accept(
        &mut self,
        endpoints: &[Endpoint],
        protocol: Protocol,
        seq: u64,
        job: usize,
        outcome: Outcome,
    ) {
        self.pending[job] = Some(outcome);
        while let Some(Some(outcome)) = self.pending.get_mut(self.next_row).map(Option::take) {
            let endpoint = &endpoints[self.next_row];
            self.stats[self.next_row].record(match outcome.state {
                State::Open => Some(outcome.time.unwrap_or_default()),
                _ => None,
            });
            if outcome.expect_matched == Some(false) {
                self.expectation_failed = true;
            }
            let record = ProbeRecord {
                target: endpoint.host.clone(),
                address: endpoint.address.text.clone(),
                port: endpoint.port,
                protocol,
                seq,
                outcome,
            };
            self.rows.row(&record);
            self.records.push(record);
            self.next_row += 1;
        }
    }
}

/// Locks shared run state; a poisoned lock only means a panic elsewhere, which the panic
/// hook has already reported.
fn lock<T>(mutex: &Mutex<T>) -> std::sync::MutexGuard<'_, T> {
    mutex
        .lock()
        .unwrap_or_else(|poisoned| poisoned.into_inner())
}

/// Probes of single ports: every state gets a row; `-c` repeats and adds statistics.
async fn run_probes(
    plan: &Plan,
    resolved: Vec<Resolved>,
    mut interrupt: Interrupt,
) -> Result<Exit, Failure> {
    let endpoints: Arc<[Endpoint]> = resolved
        .iter()
        .flat_map(|target| {
            target.addresses.iter().flat_map(move |address| {
                target.ports.iter().map(move |&port| Endpoint {
                    host: target.host.clone(),
                    address: address.clone(),
                    port,
                })
            })
        })
        .collect();
    let addrs: Arc<[SocketAddr]> = endpoints
        .iter()
        .map(|e| e.address.with_port(e.port))
        .collect();
    let protocol = plan.spec.protocol;
    let spec = Arc::new(plan.spec.clone());
    let window = window_size(plan, endpoints.len());
    let state = Arc::new(Mutex::new(ProbeState {
        rows: report::ProbeRows::new(plan.format, plan.count.is_some()),
        pending: Vec::new(),
        next_row: 0,
        stats: vec![Statistics::default(); endpoints.len()],
        records: Vec::new(),
        expectation_failed: false,
    }));
    let mut ticker = tokio::time::interval(plan.interval.max(Duration::from_micros(1)));
    ticker.set_missed_tick_behavior(tokio::time::MissedTickBehavior::Delay);
    let mut interrupted = false;

    for seq in 1..=plan.count.unwrap_or(1) {
        tokio::select! {
            _ = ticker.tick() => {}
            () = interrupt.wait() => { interrupted = true; break; }
        }
        {
            let mut state = lock(&state);
            state.pending = vec![None; endpoints.len()];
            state.next_row = 0;
        }
        let prober = {
            let (spec, addrs) = (spec.clone(), addrs.clone());
            move |job: usize| {
                let (spec, addr) = (spec.clone(), addrs[job]);
                async move { probe::probe(&spec, addr).await }
            }
        };
        let on_result = {
            let (state, endpoints) = (state.clone(), endpoints.clone());
            move |job: usize, outcome: Outcome| {
                lock(&state).accept(&endpoints, protocol, seq, job, outcome)
            }
        };
        match scan::run_window(endpoints.len(), window, prober, on_result, interrupt.wait()).await {
            Ok(report) if report.ending == scan::Ending::Interrupted => {
                interrupted = true;
                break;
            }
            Ok(_) => {}
            Err(err) => {
                let endpoint = &endpoints[err.job];
                return Err(probe_failure(
                    protocol,
                    &endpoint.address.with_port(endpoint.port),
                    &err.error,
                ));
            }
        }
    }

    let state = std::mem::replace(
        &mut *lock(&state),
        ProbeState {
            rows: report::ProbeRows::new(plan.format, false),
            pending: Vec::new(),
            next_row: 0,
            stats: Vec::new(),
            records: Vec::new(),
            expectation_failed: false,
        },
    );
    let statistics: Vec<report::StatisticsRecord> = endpoints
        .iter()
        .zip(&state.stats)
        .map(|(endpoint, stats)| report::StatisticsRecord {
            target: endpoint.host.clone(),
            address: endpoint.address.text.clone(),
            port: endpoint.port,
            protocol,
            summary: stats.summary(),
        })
        .collect();
    let all_answered = !state.expectation_failed && state.stats.iter().all(|s| s.open() > 0);
    report::finish_probes(
        plan.format,
        plan.count.is_some(),
        &state.records,
        &statistics,
        interrupted,
    );
    Ok(Exit::from_answered(all_answered))
}

/// Range scans: open ports as found, the rest counted.
async fn run_scans(
    plan: &Plan,
    resolved: Vec<Resolved>,
    mut interrupt: Interrupt,
) -> Result<Exit, Failure> {
    let mut scans = Vec::new();
    let rows = Arc::new(Mutex::new(report::ProbeRows::new(plan.format, false)));
    let spec = Arc::new(plan.spec.clone());
    let mut interrupted = false;
    'targets: for target in &resolved {
        let window = window_size(plan, target.ports.len());
        for address in &target.addresses {
            let record =
                scan_one(plan, &spec, target, address, window, &rows, &mut interrupt).await?;
            let completed = record.completed;
            scans.push(record);
            if !completed {
                interrupted = true;
                break 'targets;
            }
        }
    }
    let all_answered = !interrupted && scans.iter().all(|s| !s.open.is_empty());
    report::finish_scans(plan.format, &scans, interrupted);
    Ok(Exit::from_answered(all_answered))
}

async fn scan_one(
    plan: &Plan,
    spec: &Arc<ProbeSpec>,
    target: &Resolved,
    address: &Address,
    window: usize,
    rows: &Arc<Mutex<report::ProbeRows>>,
    interrupt: &mut Interrupt,
) -> Result<ScanRecord, Failure> {
    let protocol = plan.spec.protocol;
    let ports = target.ports.clone();
    let progress = report::Progress::start(
        ports.len(),
        &format!(
            "{} {} ({}), {window} at a time",
            protocol.label(),
            target.host,
            address.text
        ),
    );
    let record = Arc::new(Mutex::new(ScanRecord::new(
        &target.host,
        &address.text,
        protocol,
        ports.len(),
    )));
    let started = Instant::now();
    let rtt = Arc::new(timeout::SharedEstimator::default());
    let prober = {
        let (spec, ports, address) = (spec.clone(), ports.clone(), address.clone());
        move |job: usize| {
            let spec = spec.clone();
            let addr = address.with_port(ports[job]);
            let rtt = rtt.clone();
            async move {
                // TCP's first try waits as long as this path needs (see timeout.rs).
                let first_wait = match spec.protocol {
                    Protocol::Tcp => rtt.timeout(spec.timeout),
                    Protocol::Udp => spec.timeout,
                };
                let mut outcome = probe::probe_within(&spec, addr, first_wait).await?;
                // A silent TCP port gets a second chance at once, with the full --timeout,
                // as nmap retransmits: a SYN or its answer lost in a burst, or a first try
                // cut short, must not make a port look filtered. Retrying here rather than
                // in a second pass overlaps the wait with the rest of the scan.
                if outcome.state == State::Filtered {
                    outcome = probe::probe(&spec, addr).await?;
                }
                if let Some(time) = outcome.time {
                    rtt.sample(time);
                }
                Ok(outcome)
            }
        }
    };
    let on_result = {
        let (record, rows, progress, ports) = (
            record.clone(),
            rows.clone(),
            progress.clone(),
            ports.clone(),
        );
        let (host, text) = (target.host.clone(), address.text.clone());
        move |job: usize, outcome: Outcome| {
            let port = ports[job];
            progress.advance();
            if outcome.state == State::Open {
                let row = ProbeRecord {
                    target: host.clone(),
                    address: text.clone(),
                    port,
                    protocol,
                    seq: 1,
                    outcome: outcome.clone(),
                };
                progress.suspend(|| lock(&rows).row(&row));
            }
            lock(&record).add(port, &outcome);
        }
    };
    let result = scan::run_window(ports.len(), window, prober, on_result, interrupt.wait()).await;
    progress.finish();
    let mut record = lock(&record).clone();
    match result {
        Ok(report) => {
            record.completed = report.ending == scan::Ending::Completed;
            record.finish(started.elapsed(), report.final_window);
            Ok(record)
        }
        Err(err) => Err(probe_failure(
            protocol,
            &address.with_port(ports[err.job]),
            &err.error,
        )),
    }
}

/// Whether the kernel needs a scope id to send to this address.
fn needs_zone(addr: &SocketAddr) -> bool {
    match addr {
        SocketAddr::V6(v6) => {
            v6.scope_id() == 0 && (v6.ip().is_unicast_link_local() || v6.ip().is_multicast())
        }
        SocketAddr::V4(_) => false,
    }
}

/// A socket error that stopped the run (exit 2), naming the probe that hit it.
fn probe_failure(protocol: Protocol, addr: &SocketAddr, error: &std::io::Error) -> Failure {
    let failure = Failure::new(
        format!("probing {addr}/{}", protocol.label()),
        probe::error_text(error).to_lowercase(),
    );
    match error.raw_os_error() {
        Some(libc::EMFILE) | Some(libc::ENFILE) => {
            failure.with_hint("raise the open-file limit (ulimit -n) or lower --concurrency")
        }
        Some(libc::EAFNOSUPPORT) => {
            failure.with_hint("this host has no IPv6 (or IPv4) stack; try -4 or -6")
        }
        Some(libc::EINVAL) if needs_zone(addr) => failure.with_hint(format!(
            "a link-local or multicast IPv6 address needs its interface: [{}%IFACE]:{}",
            addr.ip(),
            addr.port()
        )),
        _ => failure,
    }
}

#[cfg(test)]
mod tests;
