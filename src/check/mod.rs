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
//!                                           // a URL adds web_server_answers and, for
//!                                           // https, certificate_valid_for_name, whose
//!                                           // explanation says the status and the time
//!                                           // to first byte, or the days left, even
//!                                           // when they pass
//!   "passed": true                          // no check failed (the exit status is 0)
//! }
//! ```

mod lab;
mod names;
mod plot;
mod report;
mod verdict;
mod web;

use std::net::{IpAddr, SocketAddr};
use std::time::Duration;

use crate::cli::CheckArgs;
use crate::error::{Exit, Failure};
use crate::net::icmp::Version;
use crate::net::socket::{tcp_connect, RefusalDetail, TcpAttempt};
use crate::output::{Format, Stdout};
use crate::ping;
use crate::ping::plot::Timeline;
use crate::plot::PlotFile;
use crate::target::{Host, PortSuffix, Target};
use crate::trace;
use crate::web::{WebHost, WebTarget};

use self::names::DnsAnswer;
use self::report::Report;
use self::verdict::{Findings, PortState, Status};

const CONNECT_TIMEOUT: Duration = Duration::from_secs(2);
const PING: ping::Settings =
    ping::Settings::plain(Some(3), Duration::from_millis(200), Duration::from_secs(1));

/// A validated `check` command line.
#[derive(Debug)]
pub struct Plan {
    target: Target,
    /// A URL was given: its two rows (`web.rs`) join the verdict.
    url: Option<WebTarget>,
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
        // A URL checks the layers above the socket too (`web.rs`); the rest of the run
        // checks its host and port.
        let url = if crate::web::looks_like_url(&args.target) {
            if args.port.is_some() {
                return Err(Failure::usage(&what, "is a URL, and -p gives a port too"));
            }
            Some(WebTarget::parse_url(&args.target).map_err(|why| Failure::usage(&what, why))?)
        } else {
            None
        };
        let host_text = match &url {
            Some(url) => match &url.host {
                WebHost::Ip(IpAddr::V6(v6)) => format!("[{v6}]:{}", url.port),
                host => format!("{host}:{}", url.port),
            },
            None => args.target.clone(),
        };
        let target = Target::parse_destination(&host_text, PortSuffix::Allowed)
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
            url,
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
    if let Some(url) = &plan.url {
        let attempt = on_runtime(self::web::fetch(url, SocketAddr::new(dst.ip(), plan.port)))??;
        checks.extend(self::web::checks(url, &attempt));
    }
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
                    why: crate::net::err::phrase(&error),
                },
                (_, None) => PortState::Error(crate::net::err::phrase(&error)),
            };
            (state, Some(elapsed))
        }
    })
}
