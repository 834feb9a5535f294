//! `netlab exporter`: the same checks from many places, all the time, for Prometheus.
//!
//! netlab grows no distribution layer of its own: each vantage point runs an exporter,
//! Prometheus scrapes them, stores, alerts and draws. The story in this folder:
//! - `mod.rs` (here): the plan (command line + config file), then the run — resolve,
//!   open the ping sockets and the listener, drop capabilities, and only then start the
//!   runtime whose threads ping, trace and serve.
//! - `config.rs`: the TOML file; every mistake is one error naming its line.
//! - `metrics.rs`: the registry and its families (smokeping_prober's names where they
//!   fit), and their label bounds.
//! - `pinger.rs`: the continuous ping, a consumer of the ping engine through its one
//!   driver (`ping::measure`, no count, no deadline) whose observer counts into the
//!   registry. The engine keeps its state bounded however long it runs.
//! - `path.rs`: rounds of hops to per-hop and path-change metrics; today's rounds come
//!   from one-shot traces (`trace::run_trace`), tomorrow's from a rounds engine.
//! - `probe.rs`: `/probe`, the blackbox_exporter pattern, and who may be probed.
//! - `http.rs`: axum routes and the connection bound.
//!
//! Names are resolved once at start (the ping engine's targets are fixed for its run)
//! and again every `[resolve] interval` to measure resolve time; an address that
//! changes is counted (`netlab_dns_address_changes_total`), and the exporter keeps
//! pinging the address it started with until it is restarted.
//!
//! # Exit codes
//! 0 stopped cleanly by SIGINT or SIGTERM; 2 could not start (bad config, a name that
//! does not resolve, no socket, address in use). Nothing listens before the config, the
//! targets and the sockets are all good.

mod config;
mod http;
mod metrics;
mod path;
mod pinger;
mod probe;

use std::net::{IpAddr, SocketAddr};
use std::sync::Arc;
use std::time::{Duration, Instant};

use tokio::sync::Semaphore;

use crate::cli::ExporterArgs;
use crate::dns::system;
use crate::error::{Exit, Failure};
use crate::net::icmp::Version;
use crate::net::listen::{self, Bind, Transport};
use crate::net::privilege;
use crate::net::signal::{Meaning, Signal};
use crate::ping;
use crate::target::{Host, Resolved};

pub use config::{Config, ConfiguredTarget, DEFAULT_LISTEN};
use metrics::{HostLabels, Metrics, PingHandles, TargetLabels};
use path::TraceSettings;
use probe::Prober;

/// Traces running at once, /probe's and the path watch's together.
const TRACE_SLOTS: usize = 4;

/// A validated exporter run.
#[derive(Debug)]
pub struct Plan {
    pub listen: SocketAddr,
    pub config: Config,
}

impl Plan {
    pub fn from_args(args: ExporterArgs) -> Result<Plan, Failure> {
        let mut config = match &args.config {
            Some(path) => Config::load(path)?,
            None => Config::default(),
        };
        for text in &args.targets {
            let target =
                config::parse_target(text).map_err(|why| Failure::usage("exporter", why))?;
            config.targets.push(ConfiguredTarget {
                target,
                trace: false,
            });
        }
        if config.targets.len() > config::MAX_TARGETS {
            return Err(Failure::usage(
                "exporter",
                format!(
                    "{} targets: at most {}",
                    config.targets.len(),
                    config::MAX_TARGETS
                ),
            ));
        }
        let mut seen = std::collections::HashSet::new();
        for t in &config.targets {
            if !seen.insert(config::normal_name(&t.target.text)) {
                return Err(Failure::usage(
                    "exporter",
                    format!("target '{}' is listed twice", t.target.text),
                ));
            }
        }
        if args.probe_any_target {
            config.probe.any_target = true;
        }
        let listen_text = args
            .listen
            .clone()
            .or_else(|| config.listen.clone())
            .unwrap_or_else(|| DEFAULT_LISTEN.to_string());
        let listen = config::parse_listen(&listen_text)
            .map_err(|why| Failure::usage("exporter --listen", why))?;
        Ok(Plan { listen, config })
    }
}

/// A target as pinged: as configured, and the address it resolved to.
struct Pinged {
    configured: ConfiguredTarget,
    resolved: Resolved,
    resolve_time: Duration,
}

/// Runs the exporter until SIGINT or SIGTERM.
pub fn run(plan: Plan) -> Result<Exit, Failure> {
    // Resolve on a runtime that is gone before the sockets are opened and the
    // capabilities dropped (they are per thread; its blocking pool must not keep them).
    let resolving = current_thread()?;
    let pinged = resolving.block_on(resolve_all(&plan.config.targets))?;
    resolving.shutdown_timeout(Duration::from_millis(100));

    let sockets = open_ping_sockets(&pinged)?;
    let bound = listen::bind(Bind::Addr(plan.listen), Transport::Tcp)?;
    privilege::drop_all_capabilities()
        .map_err(|e| Failure::new("dropping capabilities after opening the sockets", e))?;
    if !privilege::datagram_sockets_allowed() {
        eprintln!(
            "netlab: exporter: warning: /probe?module=icmp will fail: net.ipv4.ping_group_range does not include this process's groups"
        );
    }
    let runtime = tokio::runtime::Builder::new_multi_thread()
        .worker_threads(2)
        .max_blocking_threads(TRACE_SLOTS + 16)
        .enable_all()
        .build()
        .map_err(|e| Failure::new("starting the async runtime", e))?;
    runtime.block_on(serve(plan, pinged, sockets, bound))
}

fn current_thread() -> Result<tokio::runtime::Runtime, Failure> {
    tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .map_err(|e| Failure::new("starting the async runtime", e))
}

async fn serve(
    plan: Plan,
    pinged: Vec<Pinged>,
    sockets: Option<ping::Sockets>,
    bound: listen::Bound,
) -> Result<Exit, Failure> {
    let listener: std::net::TcpListener = bound.socket.into();
    listener
        .set_nonblocking(true)
        .map_err(|e| Failure::new("listening", e))?;
    let listener = tokio::net::TcpListener::from_std(listener)
        .map_err(|e| Failure::new(format!("listening on {}", bound.local), e))?;
    let mut interrupt =
        Signal::watch(Meaning::Interrupt).map_err(|e| Failure::new("handling Ctrl-C", e))?;
    let mut terminate =
        Signal::watch(Meaning::Terminate).map_err(|e| Failure::new("handling SIGTERM", e))?;

    let config = &plan.config;
    let metrics = Arc::new(Metrics::new());
    let trace_slots = Arc::new(Semaphore::new(TRACE_SLOTS));
    let trace_settings = TraceSettings {
        interval: config.trace.interval,
        max_hops: config.trace.max_hops,
        queries: config.trace.queries,
        wait: config.trace.wait,
    };
    let mut allow = config.allow.clone();
    for p in &pinged {
        allow.push(
            config::Allowed::parse(&p.configured.target.text)
                .map_err(|why| Failure::new("exporter", why))?,
        );
    }
    let prober = Arc::new(Prober {
        allow,
        any_target: config.probe.any_target,
        slots: Arc::new(Semaphore::new(config.probe.max_concurrent as usize)),
        max_concurrent: config.probe.max_concurrent as usize,
        trace_slots: trace_slots.clone(),
        timeout: config.probe.timeout,
        ping_count: config.probe.ping_count,
        trace: trace_settings.clone(),
    });

    let labels: Vec<TargetLabels> = pinged
        .iter()
        .map(|p| TargetLabels {
            host: p.configured.target.text.clone(),
            ip: p.resolved.addr().to_string(),
        })
        .collect();
    let mut tasks = tokio::task::JoinSet::new();
    for (p, l) in pinged.iter().zip(&labels) {
        let host = HostLabels {
            host: l.host.clone(),
        };
        if let Host::Name(name) = &p.configured.target.host {
            let _ = metrics.dns_errors.get_or_create(&host);
            metrics
                .dns_duration
                .get_or_create(&host)
                .observe(p.resolve_time.as_secs_f64());
            let _ = metrics.dns_changes.get_or_create(&host);
            tasks.spawn(watch_name(
                metrics.clone(),
                host,
                name.clone(),
                p.resolved.addr(),
                config.resolve.interval,
            ));
        }
        if p.configured.trace {
            tasks.spawn(path::watch(
                metrics.clone(),
                l.clone(),
                p.configured.target.clone(),
                p.resolved.clone(),
                trace_settings.clone(),
                trace_slots.clone(),
            ));
        }
    }
    let handles: Vec<PingHandles> = labels
        .iter()
        .map(|l| PingHandles::new(&metrics, l.clone()))
        .collect();
    let settings = ping::Settings {
        size: config.ping.size,
        // A steady stream, not a burst of every target each interval.
        spread: true,
        ..ping::Settings::plain(None, config.ping.interval, config.ping.timeout)
    };
    let targets: Vec<Resolved> = pinged.iter().map(|p| p.resolved.clone()).collect();

    let shared = http::Shared {
        metrics: metrics.clone(),
        prober,
    };
    let limited = http::Limited {
        listener,
        slots: Arc::new(Semaphore::new(http::MAX_CONNECTIONS)),
        // Longer than any probe may take, so a slow answer is never cut.
        idle: http::IDLE + config.probe.timeout,
    };
    let (stop_tx, stop_rx) = tokio::sync::watch::channel(false);
    let mut stop_server = stop_rx.clone();
    let server = axum::serve(limited, http::router(shared)).with_graceful_shutdown(async move {
        let _ = stop_server.changed().await;
    });
    eprintln!(
        "netlab: exporter: listening on http://{}/ ({} pinged every {:?}); Ctrl-C or SIGTERM stops",
        bound.local,
        match targets.len() {
            1 => "1 target".to_string(),
            n => format!("{n} targets"),
        },
        settings.interval
    );
    let pinging = pinger::run(settings, sockets, targets, handles, metrics.clone());
    let mut server = std::pin::pin!(std::future::IntoFuture::into_future(server));
    let mut pinging = std::pin::pin!(pinging);
    let mut pinging_done = false;
    let result = loop {
        tokio::select! {
            _ = interrupt.recv() => break Ok(()),
            _ = terminate.recv() => break Ok(()),
            r = &mut server => break r.map_err(|e| Failure::new("serving HTTP", e)),
            r = &mut pinging, if !pinging_done => {
                pinging_done = true;
                if let Err(f) = r {
                    break Err(f);
                }
            }
        }
    };
    // Stop: no new connections, answers in progress finish (bounded by the probe timeout).
    let _ = stop_tx.send(true);
    tasks.abort_all();
    if result.is_ok() {
        let _ = tokio::time::timeout(Duration::from_secs(2), &mut server).await;
    }
    drop(stop_rx);
    result.map(|_| Exit::Answered)
}

/// Re-resolves `name` every `interval`: resolve time, failures, changed addresses.
async fn watch_name(
    metrics: Arc<Metrics>,
    labels: HostLabels,
    name: String,
    pinged: IpAddr,
    interval: Duration,
) {
    let mut ticks = tokio::time::interval(interval);
    ticks.set_missed_tick_behavior(tokio::time::MissedTickBehavior::Delay);
    ticks.tick().await; // the first tick is now: the start already resolved it
    loop {
        ticks.tick().await;
        let started = Instant::now();
        match system::lookup(&name, 0).await {
            Ok(addrs) => {
                let took = started.elapsed();
                metrics
                    .dns_duration
                    .get_or_create(&labels)
                    .observe(took.as_secs_f64());
                let same_family = addrs
                    .iter()
                    .find(|a| Version::of(&a.ip()) == Version::of(&pinged));
                if same_family.is_some_and(|a| a.ip() != pinged) {
                    metrics.dns_changes.get_or_create(&labels).inc();
                }
            }
            Err(_) => {
                metrics.dns_errors.get_or_create(&labels).inc();
            }
        }
    }
}

/// Resolves every target (system resolver), timing each; a name that does not resolve
/// stops the start (exit 2).
async fn resolve_all(targets: &[ConfiguredTarget]) -> Result<Vec<Pinged>, Failure> {
    let mut lookups = Vec::with_capacity(targets.len());
    for t in targets {
        let t = t.clone();
        lookups.push(tokio::spawn(async move {
            let started = Instant::now();
            let sockaddr = match &t.target.host {
                Host::Ip { addr, scope } => {
                    crate::net::iface::literal_sockaddr(*addr, scope.as_deref(), 0).map_err(
                        |why| Failure::usage(format!("exporter target {}", t.target.text), why),
                    )?
                }
                Host::Name(name) => {
                    let addrs = system::lookup(name, 0).await?;
                    system::first_allowed(name, crate::family::Family::Any, &addrs)?
                }
            };
            Ok(Pinged {
                resolve_time: started.elapsed(),
                resolved: Resolved {
                    text: t.target.text.clone(),
                    sockaddr,
                },
                configured: t,
            })
        }));
    }
    let mut out = Vec::with_capacity(lookups.len());
    for lookup in lookups {
        out.push(
            lookup
                .await
                .map_err(|e| Failure::new("resolving targets", e))??,
        );
    }
    Ok(out)
}

/// One ICMP socket per family the targets use (raw with CAP_NET_RAW, datagram
/// otherwise), opened before capabilities are dropped; none without targets.
fn open_ping_sockets(pinged: &[Pinged]) -> Result<Option<ping::Sockets>, Failure> {
    let first = |v: Version| {
        pinged
            .iter()
            .map(|p| p.resolved.addr())
            .find(|a| Version::of(a) == v)
    };
    let (v4, v6) = (first(Version::V4), first(Version::V6));
    if v4.is_none() && v6.is_none() {
        return Ok(None);
    }
    let open = |a: Option<IpAddr>| a.map(ping::Sockets::for_address).transpose();
    let (s4, s6) = (open(v4)?, open(v6)?);
    Ok(Some(ping::Sockets {
        v4: s4.and_then(|s| s.v4),
        v6: s6.and_then(|s| s.v6),
        v4_error: None,
        v6_error: None,
        source: None,
        device: None,
    }))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn args(listen: Option<&str>, any: bool, targets: &[&str]) -> ExporterArgs {
        ExporterArgs {
            listen: listen.map(str::to_string),
            config: None,
            probe_any_target: any,
            targets: targets.iter().map(|t| t.to_string()).collect(),
        }
    }

    #[test]
    fn the_plan_listens_on_loopback_unless_told_and_takes_the_flag() {
        let plan = Plan::from_args(args(None, false, &["127.0.0.1", "www.netlab.test"])).unwrap();
        assert_eq!(plan.listen, DEFAULT_LISTEN.parse().unwrap());
        assert!(plan.listen.ip().is_loopback());
        assert!(!plan.config.probe.any_target);
        assert_eq!(plan.config.targets.len(), 2);
        let plan = Plan::from_args(args(Some("[::1]:9000"), true, &[])).unwrap();
        assert_eq!(plan.listen, "[::1]:9000".parse().unwrap());
        assert!(plan.config.probe.any_target);
        let dup = Plan::from_args(args(None, false, &["WWW.netlab.test", "www.netlab.test."]));
        assert!(dup.unwrap_err().why.contains("listed twice"));
    }
}
