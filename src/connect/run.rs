//! Running a checked plan: resolve every target, then probe or scan each address with a
//! window of probes in flight (sized by `--concurrency` and the open-file limit), print
//! rows as they come, and map what was found to the exit status. `mod.rs` holds the
//! other story, turning the command line into that plan.

use std::net::SocketAddr;
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use super::probe::{self, Outcome, ProbeSpec, Protocol, State};
use super::report::{ProbeRecord, ScanRecord};
use super::stats::Statistics;
use super::{addresses_of, report, scan, syn, timeout, Address, Plan, DEFAULT_WINDOW, FD_RESERVE};
use crate::error::{Exit, Failure};
use crate::net::err::{self, Kind};
use crate::net::signal::{Meaning, Signal};
use crate::output;

/// Ctrl-C, caught so the run can print what it has (statistics, the scan so far); a
/// closed stdout stops the run the same way (`netlab connect --scan ... | head -1`).
struct Interrupt {
    signal: Option<Signal>,
    out: output::Stdout,
    fired: bool,
}

impl Interrupt {
    fn new(out: &output::Stdout) -> Interrupt {
        Interrupt {
            signal: Signal::watch(Meaning::Interrupt).ok(),
            out: out.clone(),
            fired: false,
        }
    }

    /// Completes once Ctrl-C has been pressed or stdout failed (at once if either
    /// already happened).
    async fn wait(&mut self) {
        if self.fired {
            return;
        }
        let signal = async {
            match &mut self.signal {
                Some(signal) => {
                    signal.recv().await;
                }
                None => std::future::pending().await,
            }
        };
        tokio::select! {
            () = signal => {}
            () = self.out.closed() => {}
        }
        self.fired = true;
    }
}

/// One target with its resolved addresses.
struct Resolved {
    host: String,
    addresses: Vec<Address>,
    ports: Arc<[u16]>,
}

pub async fn run(plan: Plan, out: &output::Stdout) -> Result<Exit, Failure> {
    let mut interrupt = Interrupt::new(out);
    if plan.syn {
        // Every address once, in command-line order, ranges kept as ranges; the ports
        // are -p's, the same for all.
        let hosts = tokio::select! {
            hosts = syn::hosts::resolve(&plan.syn_hosts, plan.family) => hosts?,
            () = interrupt.wait() => {
                return Err(Failure::new("connect", "interrupted while resolving names"));
            }
        };
        if hosts.is_empty() {
            return Err(Failure::usage("connect --syn", "no target given"));
        }
        let ports = plan.syn_ports.clone();
        return syn::io::run(&plan, out, hosts, ports, interrupt.wait()).await;
    }
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
        run_scans(&plan, out, resolved, interrupt).await
    } else {
        run_probes(&plan, out, resolved, interrupt).await
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
    out: &output::Stdout,
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
        rows: report::ProbeRows::new(out, plan.format, plan.count.is_some()),
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
            rows: report::ProbeRows::new(out, plan.format, false),
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
        out,
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
    out: &output::Stdout,
    resolved: Vec<Resolved>,
    mut interrupt: Interrupt,
) -> Result<Exit, Failure> {
    let mut scans = Vec::new();
    let rows = Arc::new(Mutex::new(report::ProbeRows::new(out, plan.format, false)));
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
    report::finish_scans(out, plan.format, || scans.iter(), interrupted);
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
            let mut record = lock(&record);
            record.add(port, &outcome);
            if outcome.state == State::Open {
                progress.found(record.open.len());
            }
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
pub(super) fn needs_zone(addr: &SocketAddr) -> bool {
    match addr {
        SocketAddr::V6(v6) => {
            v6.scope_id() == 0 && (v6.ip().is_unicast_link_local() || v6.ip().is_multicast())
        }
        SocketAddr::V4(_) => false,
    }
}

/// A socket error that stopped the run (exit 2), naming the probe that hit it.
pub(super) fn probe_failure(
    protocol: Protocol,
    addr: &SocketAddr,
    error: &std::io::Error,
) -> Failure {
    let failure = Failure::new(
        format!("probing {addr}/{}", protocol.label()),
        probe::error_phrase(error),
    );
    match err::kind(error) {
        _ if err::is_file_limit(error) => {
            failure.with_hint("raise the open-file limit (ulimit -n) or lower --concurrency")
        }
        Some(Kind::FamilyNotSupported) => {
            failure.with_hint("this host has no IPv6 (or IPv4) stack; try -4 or -6")
        }
        Some(Kind::InvalidArgument) if needs_zone(addr) => failure.with_hint(format!(
            "a link-local or multicast IPv6 address needs its interface: [{}%IFACE]:{}",
            addr.ip(),
            addr.port()
        )),
        _ => failure,
    }
}
