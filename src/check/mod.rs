//! `netlab check TARGET [-p PORT]`: resolve, connect, ping and trace in one run, and a
//! verdict on whether they agree.
//!
//! # What runs
//! 1. Resolve: the system resolver (getaddrinfo: /etc/hosts, then DNS — the answer every
//!    other tool uses), and DNS without the hosts file: the `Resolver` of [`crate::dns`]
//!    with the resolv.conf servers, search list, `ndots` and options, glibc's rules (2s a
//!    try). The source is /etc/hosts when the hosts reader ([`crate::dns::hosts`]) lists
//!    the name (glibc asks the file first), else DNS. The first system address is the one
//!    probed.
//! 2. Then, side by side (each on its own thread; they share no socket): a TCP connect to
//!    the port (80 unless `-p`; with no port given and a loopback address, a listener
//!    netlab opens itself for the run, so `check localhost` shows the four parts working
//!    on a bare machine: the connect row and `port_answers`' explanation say so), a ping (3 echo requests, 0.2s apart, 1s timeout, through
//!    `ping::engine`), and a UDP trace (port 33434, up to 30 hops, 3 queries, waits up to
//!    2s, through `trace::engine`; UDP needs no privilege, and the trace reads only its
//!    error queue, as any user's would). The ping and the trace run through the commands'
//!    own drivers (`ping::measure`, `trace::run_trace`), with observers that print
//!    nothing. Both commands' sockets are opened first, then capabilities are dropped,
//!    once, before any thread starts (they are per thread).
//!
//! # Checks
//! - `resolver_agrees_with_dns`: the system resolver's addresses are DNS's. When they
//!   differ and /etc/hosts lists the name, the explanation says /etc/hosts overrides DNS.
//!   Skipped for an address, when DNS cannot be asked, for `localhost` (RFC 6761: never
//!   sent to DNS), and when only /etc/hosts knows the name (DNS has none to override).
//! - `port_answers`: the TCP handshake completes (closed, filtered and unreachable are
//!   explained: RST, silence, or the ICMP error and who sent it).
//! - `ping_replies_from_address`: echo replies came, and only from the address.
//! - `trace_ends_on_address`: the trace reaches the address.
//!
//! "The address" of the last two is what DNS says for a name (when DNS answered), so an
//! /etc/hosts entry that sends packets elsewhere fails them too, naming the hosts file;
//! for an address typed in, it is that address.
//!
//! # Pictures and the lab report
//! `--plot FILE` draws the run on one page, `--report DIR` writes `report.md` with every
//! table and the pictures beside it (`lab.rs`). The ping's probes are kept for them by
//! the observer that also starts the trace (`FirstProbe`).
//!
//! # Exit codes
//! 0 every check passed (skipped ones do not count); 1 a check failed; 2 the run could
//! not be done (bad input, a name that does not resolve, missing privilege for the ping,
//! socket errors).
//!
//! # JSON output (`--json`)
//! ```text
//! {
//!   "target": "www.netlab.test",            // as given
//!   "port": 80,                             // -p, or 80; netlab's own listener's port
//!                                           // for a loopback target without -p
//!   "address": "198.18.2.2",                // the address probed
//!   "resolve": {
//!     "addresses": ["198.18.2.2", "fd4e:6c61:62:2::2"],   // system resolver, in order
//!     "source": "dns",                      // "dns", "hosts" (/etc/hosts) or "literal"
//!     "elapsed_ms": 1.234,
//!     "hosts_addresses": [],                // what /etc/hosts lists for the name
//!     "dns": {                              // the resolv.conf server asked directly,
//!       "server": "198.18.100.53:53",       //   or null (an address, or no answer)
//!       "name": "www.netlab.test",          //   the name asked (search list applied)
//!       "status": "ok",                     //   "ok", "nxdomain" or "no_data"
//!       "addresses": ["198.18.2.2", "fd4e:6c61:62:2::2"] },
//!     "dns_error": null },                  // why DNS could not be asked, or null
//!   "connect": {
//!     "to": "198.18.2.2:80",
//!     "state": "open",                      // open, closed, filtered, unreachable, error
//!     "time_ms": 0.123,                     // handshake or refusal time; null if none
//!     "from": null,                         // who sent the ICMP error, if one did
//!     "detail": null },                     // the error, for unreachable and error;
//!                                           // "netlab's own listener for this run
//!                                           // (no -p given)" when it was that
//!   "ping": {
//!     "address": "198.18.2.2",
//!     "transmitted": 3, "received": 3, "loss_percent": 0.0,
//!     "min_ms": 0.051, "avg_ms": 0.062, "max_ms": 0.080,     // null without replies
//!     "replies_from": ["198.18.2.2"],
//!     "errors": [ { "from": "198.18.1.2", "kind": "host_unreachable" } ] },
//!   "trace": {
//!     "hops": [ { "ttl": 1, "addresses": ["198.18.0.2"],    // who answered at this TTL
//!                 "rtt_ms": [0.101, 0.090, 0.087] } ],      // answered probes only
//!     "ending": "reached",                  // reached, unreachable, max_hops, stopped
//!     "end_address": "198.18.2.2" },        // who reached / reported; null otherwise
//!   "checks": [
//!     { "name": "resolver_agrees_with_dns",   // then port_answers,
//!       "status": "pass",                     // ping_replies_from_address,
//!       "explanation": null } ],              // trace_ends_on_address; pass/fail/skip
//!   "passed": true                          // no check failed (the exit status is 0)
//! }
//! ```

mod lab;
mod names;
mod plot;
mod verdict;

use std::net::{IpAddr, SocketAddr};
use std::time::Duration;

use serde::Serialize;

use crate::cli::CheckArgs;
use crate::error::{short_os_error, Exit, Failure};
use crate::net::icmp::Version;
use crate::net::socket::{tcp_connect, RefusalDetail, TcpAttempt};
use crate::output::{self, Format, Stdout};
use crate::ping::plot::Timeline;
use crate::ping::{self, Summary as PingSummary};
use crate::plot::PlotFile;
use crate::target::{Host, PortSuffix, Target};
use crate::trace::{self, TraceOutcome};

use self::names::DnsAnswer;
use self::verdict::{Check, Findings, PortState, Status};

const CONNECT_TIMEOUT: Duration = Duration::from_secs(2);
const PING: ping::Settings =
    ping::Settings::plain(Some(3), Duration::from_millis(200), Duration::from_secs(1));

/// A validated `check` command line.
#[derive(Debug)]
pub struct Plan {
    target: Target,
    port: u16,
    /// No port was given (`-p` or `HOST:PORT`): a loopback target is connected to a
    /// listener netlab opens itself for the run.
    port_given: bool,
    family: crate::cli::Family,
    json: bool,
    /// `--plot`: the one-page picture.
    plot: Option<PlotFile>,
    /// `--report`: the folder of the lab report.
    report: Option<std::path::PathBuf>,
}

impl Plan {
    pub fn from_args(args: CheckArgs) -> Result<Plan, Failure> {
        let what = format!("target '{}'", args.target);
        let target = Target::parse_destination(&args.target, PortSuffix::Allowed)
            .map_err(|why| Failure::usage(&what, why))?;
        let target_port_given = target.port.is_some() || args.port.is_some();
        let port = match (target.port, args.port) {
            (Some(_), Some(_)) => {
                return Err(Failure::usage(&what, "names a port, and -p gives one too"))
            }
            (Some(port), None) => port,
            (None, Some(port)) => port,
            (None, None) => 80,
        };
        let family = args.family.family();
        if let Host::Ip { addr, .. } = &target.host {
            if !family.allows(addr) {
                return Err(Failure::usage(&what, "its family does not match -4/-6"));
            }
        }
        Ok(Plan {
            target,
            port,
            port_given: target_port_given,
            family,
            json: args.output.format_for("check", &[])? == Format::Json,
            plot: match args.plot {
                Some(plot) => Some(plot.checked()?),
                None => None,
            },
            report: args.report.map(lab::checked_dir).transpose()?,
        })
    }
}

/// What the resolve step found.
struct Resolved {
    system: Vec<IpAddr>,
    probe: SocketAddr,
    elapsed: Duration,
    hosts: Vec<IpAddr>,
    dns: Option<DnsAnswer>,
}

pub fn run(mut plan: Plan, out: &Stdout) -> Result<Exit, Failure> {
    let name = match &plan.target.host {
        Host::Name(name) => Some(name.clone()),
        Host::Ip { .. } => None,
    };
    // Resolve on a runtime that is gone before any socket or thread of the probes exists.
    let resolving = runtime()?;
    let resolved = resolving.block_on(resolve(&plan, name.as_deref()))?;
    resolving.shutdown_timeout(Duration::from_millis(100));

    let dst = resolved.probe;
    // `check localhost` on a machine with nothing on port 80 must still show the four
    // parts working: with no port given, a loopback target is connected to a listener
    // of netlab's own, and the output says so (`-p PORT` checks a server of yours).
    let own_listener = if !plan.port_given && dst.ip().is_loopback() {
        let bound = crate::net::listen::bind(
            crate::net::listen::Bind::Addr(SocketAddr::new(dst.ip(), 0)),
            crate::net::listen::Transport::Tcp,
        )?;
        plan.port = bound.local.port();
        Some(bound)
    } else {
        None
    };
    let own_partner = own_listener.as_ref().map(|bound| bound.local);
    let ping_target = crate::target::Resolved {
        text: plan.target.text.clone(),
        sockaddr: dst,
    };
    let trace_plan = trace::Plan {
        target: plan.target.clone(),
        method: trace::Method::platform_default(),
        port: trace::DEFAULT_UDP_PORT,
        first_ttl: 1,
        max_ttl: 30,
        queries: 3,
        wait: Duration::from_secs(2),
        family: plan.family,
        probe: trace::options::ProbeOptions::default(),
        repeat: None,
    };
    let mut trace_target = ping_target.clone();
    trace_target.sockaddr.set_port(trace_plan.port);
    // Both commands' sockets, then one drop, before any thread: capabilities are per
    // thread. The trace keeps to the error queue, as an unprivileged user's would.
    let ping_sockets = ping::Sockets::for_address(dst.ip())?;
    let trace_sockets = trace::Sockets::open(&trace_plan, &trace_target)?.without_raw_listener();
    crate::net::privilege::drop_all_capabilities()
        .map_err(|e| Failure::new("dropping capabilities after opening the sockets", e))?;

    // A router sends only a few ICMP errors at once (Linux: 5, then 1 a second), and the
    // trace's first window is 16 probes: it waits until the ping's first probe has left,
    // so the ping is answered too, whatever the scheduler does with the threads. The
    // ping's runtime is ready before its thread starts, for the same reason.
    let ping_runtime = runtime()?;
    let (first_ping, ping_left) = std::sync::mpsc::channel();
    let mut ping_observer = FirstProbe(Some(first_ping), Timeline::new([plan.target.text.clone()]));
    let ping_observer_ref = &mut ping_observer;

    let (port_state, connect_time, ping, trace) = std::thread::scope(|scope| {
        let connect = scope.spawn(move || probe_port(SocketAddr::new(dst.ip(), plan.port), dst));
        let ping = scope.spawn(move || {
            let outcome = ping_runtime.block_on(ping::measure(
                &PING,
                ping_sockets,
                std::slice::from_ref(&ping_target),
                ping_observer_ref,
                ping::Signals::Leave,
            ))?;
            Ok(outcome.targets.into_iter().next().unwrap_or_default())
        });
        let trace = scope.spawn(move || {
            // Ends as the ping's first probe leaves, or the ping without one.
            let _ = ping_left.recv();
            trace::run_trace(&trace_plan, &trace_target, trace_sockets, &mut ())
        });
        let (state, time) = join(connect.join())?;
        let ping = join(ping.join())?;
        let trace = join(trace.join())?;
        Ok::<_, Failure>((state, time, ping, trace))
    })?;

    let findings = Findings {
        name: name.as_deref(),
        system: &resolved.system,
        hosts: &resolved.hosts,
        dns: resolved.dns.as_ref(),
        address: dst.ip(),
        port: plan.port,
        port_state: &port_state,
        ping: &ping,
        trace: &trace,
    };
    let mut checks = verdict::checks(&findings);
    if let Some(partner) = own_partner {
        if let Some(check) = checks.iter_mut().find(|c| c.name == "port_answers") {
            check.explanation = Some(format!(
                "no port was given, so netlab listened on {partner} itself for this run: {}",
                if check.status == Status::Pass {
                    "the loopback TCP path works (-p PORT checks a server of yours)"
                } else {
                    "and even that did not answer"
                }
            ));
        }
    }
    drop(own_listener);
    let passed = checks.iter().all(|c| c.status != Status::Fail);
    let report = Report {
        plan: &plan,
        resolved: &resolved,
        port_state: &port_state,
        connect_time,
        ping: &ping,
        trace: &trace,
        checks: &checks,
        passed,
    };
    if plan.json {
        out.json(&report.document());
    } else {
        report.print(out);
    }
    let pictures = lab::Pictures::new(&report, &ping_observer.1);
    if let Some(file) = &plan.plot {
        file.save(&pictures.page())?;
    }
    if let Some(dir) = &plan.report {
        lab::write(dir, out.run(), &report, &pictures)?;
    }
    Ok(Exit::from_answered(passed))
}

/// A probe thread's result; a panic is re-raised (the panic hook reports it).
fn join<T>(result: std::thread::Result<Result<T, Failure>>) -> Result<T, Failure> {
    match result {
        Ok(value) => value,
        Err(panic) => std::panic::resume_unwind(panic),
    }
}

async fn resolve(plan: &Plan, name: Option<&str>) -> Result<Resolved, Failure> {
    let dns = async {
        match name {
            Some(name) => Some(names::ask_dns(name, plan.family).await),
            None => None,
        }
    };
    let system = names::ask_system(&plan.target.host, plan.family);
    let (system, dns) = tokio::join!(system, dns);
    let (system, addresses) = system?;
    let first = addresses
        .first()
        .ok_or_else(|| Failure::new(format!("resolving '{}'", plan.target.text), "no address"))?;
    let hosts = match name {
        Some(name) => names::hosts_addresses(name, plan.family),
        None => Vec::new(),
    };
    Ok(Resolved {
        probe: first.with_port(0),
        system: system.addrs,
        elapsed: system.elapsed,
        hosts,
        dns,
    })
}

/// Tells once that the ping's first probe has left; dropped with the ping, it tells that
/// none will. It keeps the ping's timeline for the pictures.
struct FirstProbe(Option<std::sync::mpsc::Sender<()>>, Timeline);

impl ping::Observer for FirstProbe {
    fn sent(&mut self, probe: &ping::engine::Probe) {
        if let Some(first) = self.0.take() {
            let _ = first.send(());
        }
        self.1.sent(probe.target.0, probe.seq);
    }

    async fn event(&mut self, event: &ping::engine::Event) {
        self.1.record(event);
    }
}

/// A runtime on the thread that runs it, started after the capability drop.
fn runtime() -> Result<tokio::runtime::Runtime, Failure> {
    tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .map_err(|e| Failure::new("starting the async runtime", e))
}

/// Runs `work` on a runtime of this thread's own.
fn on_runtime<F: std::future::Future>(work: F) -> Result<F::Output, Failure> {
    Ok(runtime()?.block_on(work))
}

/// The TCP connect.
fn probe_port(to: SocketAddr, dst: SocketAddr) -> Result<(PortState, Option<Duration>), Failure> {
    let mut to = to;
    if let (SocketAddr::V6(to6), SocketAddr::V6(dst6)) = (&mut to, dst) {
        to6.set_scope_id(dst6.scope_id());
    }
    let attempt = on_runtime(tcp_connect(to, CONNECT_TIMEOUT, RefusalDetail::Wanted))?
        .map_err(|e| Failure::new(format!("connecting to {to}"), e))?;
    Ok(match attempt {
        TcpAttempt::Connected { elapsed, .. } => (PortState::Open, Some(elapsed)),
        TcpAttempt::TimedOut => (PortState::Filtered, None),
        TcpAttempt::Failed {
            error,
            icmp,
            elapsed,
        } => {
            let version = Version::of(&to.ip());
            let kind = icmp
                .as_ref()
                .and_then(|r| crate::packet::icmp::error_kind(version, r.icmp_type, r.icmp_code));
            let from = icmp.as_ref().and_then(|r| r.from);
            let state = match (crate::net::err::kind(&error), kind) {
                (_, Some(crate::packet::IcmpErrorKind::PortUnreachable)) => {
                    PortState::Closed { from }
                }
                (Some(crate::net::err::Kind::ConnectionRefused), None) => {
                    PortState::Closed { from: None }
                }
                (_, Some(kind)) => PortState::Unreachable {
                    from,
                    why: kind.describe(),
                },
                (
                    Some(
                        crate::net::err::Kind::HostUnreachable
                        | crate::net::err::Kind::NetworkUnreachable,
                    ),
                    None,
                ) => PortState::Unreachable {
                    from: None,
                    why: short_os_error(&error),
                },
                (_, None) => PortState::Error(short_os_error(&error)),
            };
            (state, Some(elapsed))
        }
    })
}

struct Report<'a> {
    plan: &'a Plan,
    resolved: &'a Resolved,
    port_state: &'a PortState,
    connect_time: Option<Duration>,
    ping: &'a PingSummary,
    trace: &'a TraceOutcome,
    checks: &'a [Check],
    passed: bool,
}

fn texts(addrs: &[IpAddr]) -> Vec<String> {
    addrs.iter().map(IpAddr::to_string).collect()
}

fn opt_ms(d: Option<Duration>) -> Option<f64> {
    d.map(output::ms)
}

impl Report<'_> {
    fn source(&self) -> &'static str {
        match &self.plan.target.host {
            Host::Ip { .. } => "literal",
            // glibc consults /etc/hosts first: a name it lists never goes to DNS.
            Host::Name(_) if !self.resolved.hosts.is_empty() => "hosts",
            Host::Name(_) => "dns",
        }
    }

    fn end_address(&self) -> Option<IpAddr> {
        match self.trace.ending {
            crate::trace::engine::Ending::Reached { from, .. }
            | crate::trace::engine::Ending::Unreachable { from, .. } => Some(from),
            _ => None,
        }
    }

    fn ending(&self) -> &'static str {
        match self.trace.ending {
            crate::trace::engine::Ending::Reached { .. } => "reached",
            crate::trace::engine::Ending::Unreachable { .. } => "unreachable",
            crate::trace::engine::Ending::MaxHops => "max_hops",
            crate::trace::engine::Ending::Stopped => "stopped",
        }
    }

    fn connect_from(&self) -> Option<IpAddr> {
        match self.port_state {
            PortState::Closed { from } | PortState::Unreachable { from, .. } => *from,
            _ => None,
        }
    }

    fn connect_detail(&self) -> Option<String> {
        if !self.plan.port_given
            && self.resolved.probe.ip().is_loopback()
            && matches!(self.port_state, PortState::Open)
        {
            return Some("netlab's own listener for this run (no -p given)".into());
        }
        match self.port_state {
            PortState::Unreachable { why, .. } => Some(why.clone()),
            PortState::Error(why) => Some(why.clone()),
            _ => None,
        }
    }

    fn hop_rtts(hop: &crate::trace::engine::Hop) -> Vec<f64> {
        hop.probes
            .iter()
            .filter_map(|p| match p {
                crate::trace::engine::ProbeResult::Answered { rtt, .. } => Some(output::ms(*rtt)),
                _ => None,
            })
            .collect()
    }

    fn document(&self) -> Document {
        let r = self.resolved;
        let (dns, dns_error) = match &r.dns {
            Some(DnsAnswer::Answered {
                server,
                name,
                addrs,
                status,
            }) => (
                Some(DnsDoc {
                    server: server.to_string(),
                    name: name.clone(),
                    status,
                    addresses: texts(addrs),
                }),
                None,
            ),
            Some(DnsAnswer::Unavailable(why) | DnsAnswer::NotAsked(why)) => {
                (None, Some(why.clone()))
            }
            None => (None, None),
        };
        Document {
            target: self.plan.target.text.clone(),
            port: self.plan.port,
            address: r.probe.ip().to_string(),
            resolve: ResolveDoc {
                addresses: texts(&r.system),
                source: self.source(),
                elapsed_ms: output::ms(r.elapsed),
                hosts_addresses: texts(&r.hosts),
                dns,
                dns_error,
            },
            connect: ConnectDoc {
                to: SocketAddr::new(r.probe.ip(), self.plan.port).to_string(),
                state: self.port_state.as_str(),
                time_ms: opt_ms(self.connect_time),
                from: self.connect_from().map(|a| a.to_string()),
                detail: self.connect_detail(),
            },
            ping: PingDoc {
                address: r.probe.ip().to_string(),
                transmitted: self.ping.transmitted,
                received: self.ping.received,
                loss_percent: self.ping.loss_percent,
                min_ms: opt_ms(self.ping.min),
                avg_ms: self.ping.avg_ms.map(|v| (v * 1000.0).round() / 1000.0),
                max_ms: opt_ms(self.ping.max),
                replies_from: texts(&self.ping.replies_from),
                errors: self
                    .ping
                    .errors
                    .iter()
                    .map(|(from, kind)| PingErrorDoc {
                        from: from.to_string(),
                        kind: kind.as_str(),
                    })
                    .collect(),
            },
            trace: TraceDoc {
                hops: self
                    .trace
                    .hops
                    .iter()
                    .map(|hop| HopDoc {
                        ttl: hop.ttl,
                        addresses: texts(&hop.responders()),
                        rtt_ms: Self::hop_rtts(hop),
                    })
                    .collect(),
                ending: self.ending(),
                end_address: self.end_address().map(|a| a.to_string()),
            },
            checks: self.checks.to_vec(),
            passed: self.passed,
        }
    }

    /// The tables people see: resolve, connect, ping, trace, and the verdict.
    fn tables(&self) -> Vec<comfy_table::Table> {
        let mut tables = Vec::with_capacity(5);
        let r = self.resolved;
        let mut table = output::table(&["address", "source"]);
        let source = match self.source() {
            "hosts" => crate::net::paths::HOSTS_FILE.to_string(),
            "literal" => "given as an address".to_string(),
            _ => match &r.dns {
                Some(DnsAnswer::Answered { server, .. }) => format!("DNS ({})", server.ip()),
                _ => "DNS".to_string(),
            },
        };
        for addr in &r.system {
            table.add_row(vec![addr.to_string(), format!("system resolver: {source}")]);
        }
        match &r.dns {
            Some(DnsAnswer::Answered {
                server,
                addrs,
                status,
                ..
            }) => {
                if addrs.is_empty() {
                    table.add_row(vec![
                        "-".to_string(),
                        format!("DNS {} asked directly: {status}", server.ip()),
                    ]);
                }
                for addr in addrs {
                    table.add_row(vec![
                        addr.to_string(),
                        format!("DNS {} asked directly", server.ip()),
                    ]);
                }
            }
            Some(DnsAnswer::Unavailable(why) | DnsAnswer::NotAsked(why)) => {
                table.add_row(vec!["-".to_string(), format!("DNS not asked: {why}")]);
            }
            None => {}
        }
        tables.push(table);

        let mut table = output::table(&["connect", "state", "time", "detail"]);
        let detail = match (self.connect_from(), self.connect_detail()) {
            (Some(from), Some(why)) => format!("{why} from {from}"),
            (Some(from), None) => format!("ICMP from {from}"),
            (None, Some(why)) => why,
            (None, None) => String::new(),
        };
        table.add_row(vec![
            SocketAddr::new(r.probe.ip(), self.plan.port).to_string(),
            self.port_state.as_str().to_string(),
            self.connect_time
                .map(|t| format!("{:.3}ms", output::ms(t)))
                .unwrap_or_else(|| "-".into()),
            detail,
        ]);
        tables.push(table);

        let mut table = output::table(&[
            "ping",
            "sent",
            "received",
            "loss",
            "min",
            "avg",
            "max",
            "replies from",
        ]);
        let ms = |v: Option<f64>| v.map(|v| format!("{v:.3}")).unwrap_or_else(|| "-".into());
        table.add_row(vec![
            r.probe.ip().to_string(),
            self.ping.transmitted.to_string(),
            self.ping.received.to_string(),
            format!("{}%", (self.ping.loss_percent * 10.0).round() / 10.0),
            ms(opt_ms(self.ping.min)),
            ms(self.ping.avg_ms),
            ms(opt_ms(self.ping.max)),
            texts(&self.ping.replies_from).join(", "),
        ]);
        tables.push(table);

        let mut table = output::table(&["hop", "address", "rtt ms"]);
        for hop in &self.trace.hops {
            let addrs = texts(&hop.responders());
            let rtts: Vec<String> = Self::hop_rtts(hop)
                .iter()
                .map(|v| format!("{v:.3}"))
                .collect();
            table.add_row(vec![
                hop.ttl.to_string(),
                if addrs.is_empty() {
                    "*".into()
                } else {
                    addrs.join(", ")
                },
                rtts.join(" "),
            ]);
        }
        tables.push(table);

        let mut table = output::table(&["check", "result", "explanation"]);
        for check in self.checks {
            table.add_row(vec![
                check.name.to_string(),
                match check.status {
                    Status::Pass => "pass",
                    Status::Fail => "FAIL",
                    Status::Skip => "skip",
                }
                .to_string(),
                check.explanation.clone().unwrap_or_default(),
            ]);
        }
        tables.push(table);
        tables
    }

    fn print(&self, out: &Stdout) {
        for (i, table) in self.tables().iter().enumerate() {
            if i > 0 {
                out.line("");
            }
            out.table(table);
        }
    }
}

#[derive(Serialize)]
struct Document {
    target: String,
    port: u16,
    address: String,
    resolve: ResolveDoc,
    connect: ConnectDoc,
    ping: PingDoc,
    trace: TraceDoc,
    checks: Vec<Check>,
    passed: bool,
}

#[derive(Serialize)]
struct ResolveDoc {
    addresses: Vec<String>,
    source: &'static str,
    elapsed_ms: f64,
    hosts_addresses: Vec<String>,
    dns: Option<DnsDoc>,
    dns_error: Option<String>,
}

#[derive(Serialize)]
struct DnsDoc {
    server: String,
    name: String,
    status: &'static str,
    addresses: Vec<String>,
}

#[derive(Serialize)]
struct ConnectDoc {
    to: String,
    state: &'static str,
    time_ms: Option<f64>,
    from: Option<String>,
    detail: Option<String>,
}

#[derive(Serialize)]
struct PingDoc {
    address: String,
    transmitted: u64,
    received: u64,
    loss_percent: f64,
    min_ms: Option<f64>,
    avg_ms: Option<f64>,
    max_ms: Option<f64>,
    replies_from: Vec<String>,
    errors: Vec<PingErrorDoc>,
}

#[derive(Serialize)]
struct PingErrorDoc {
    from: String,
    kind: &'static str,
}

#[derive(Serialize)]
struct TraceDoc {
    hops: Vec<HopDoc>,
    ending: &'static str,
    end_address: Option<String>,
}

#[derive(Serialize)]
struct HopDoc {
    ttl: u8,
    addresses: Vec<String>,
    rtt_ms: Vec<f64>,
}
