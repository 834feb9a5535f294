//! `netlab exporter`: the same checks from many places, all the time, for Prometheus.
//!
//! netlab grows no distribution layer of its own: each vantage point runs an exporter,
//! Prometheus scrapes them, stores, alerts and draws. The story in this folder:
//! - `mod.rs` (here): the plan (command line + config file), then the run — resolve,
//!   open the ICMP sockets and the listener, drop capabilities, and only then start the
//!   runtime whose threads ping, trace and serve; SIGHUP and `POST /-/reload` reload.
//! - `config.rs`: the TOML file; every mistake is one error naming its line.
//! - `sockets.rs`: the ICMP sockets opened while privileged and kept for the run (the
//!   pinger's, and /probe's raw pool, so a root exporter pings where
//!   `ping_group_range` is `1 0`).
//! - `fleet.rs`: the targets as they run — their name watches, checks and the one
//!   pinger — and how they change: a name that moves, a reload.
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
//! Names are resolved at start and again every `[resolve] interval` (or the target's
//! `resolve_interval`): when a name no longer gives the address in use, the target
//! moves to the new one (`fleet.rs`).
//!
//! # Exit codes
//! 0 stopped cleanly by SIGINT or SIGTERM; 2 could not start (bad config, a name that
//! does not resolve, no socket, address in use). Nothing listens before the config, the
//! targets and the sockets are all good. A bad file on reload does not stop it: the
//! running config stays.

mod config;
mod conn;
mod fleet;
mod http;
mod metrics;
mod path;
mod pinger;
mod probe;
mod probe_web;
mod sockets;
mod web;

use std::net::SocketAddr;
use std::path::PathBuf;
use std::sync::{Arc, RwLock};
use std::time::{Duration, Instant};

use tokio::sync::{mpsc, Semaphore};

use crate::cli::ExporterArgs;
use crate::dns::system;
use crate::error::{Exit, Failure};
use crate::net::listen::{self, Bind, Transport};
use crate::net::privilege;
use crate::net::signal::{Meaning, Signal};
use crate::target::{Host, Resolved};

pub use config::{Config, ConfiguredTarget, DEFAULT_LISTEN};
use fleet::{Fleet, Moved, Pinged};
use metrics::Metrics;
use probe::Prober;
use sockets::{Kept, ProbePool};
use web::Web;

/// Traces running at once, /probe's and the path watch's together.
const TRACE_SLOTS: usize = 4;

/// A validated exporter run.
#[derive(Debug)]
pub struct Plan {
    pub listen: SocketAddr,
    pub config: Config,
    /// What a reload reads again: the file, and the command line's additions to it.
    pub config_path: Option<PathBuf>,
    pub cli_targets: Vec<String>,
    pub probe_any_target: bool,
    /// `--web.config.file`, read again on reload.
    pub web_path: Option<PathBuf>,
    pub web: Web,
}

impl Plan {
    pub fn from_args(args: ExporterArgs) -> Result<Plan, Failure> {
        let config = load(args.config.as_deref(), &args.targets, args.probe_any_target)?;
        let listen_text = args
            .listen
            .clone()
            .or_else(|| config.listen.clone())
            .unwrap_or_else(|| DEFAULT_LISTEN.to_string());
        let listen = config::parse_listen(&listen_text)
            .map_err(|why| Failure::usage("exporter --listen", why))?;
        let web = match &args.web_config {
            Some(path) => Web::load(path)?,
            None => Web::open(),
        };
        Ok(Plan {
            listen,
            config,
            config_path: args.config,
            cli_targets: args.targets,
            probe_any_target: args.probe_any_target,
            web_path: args.web_config,
            web,
        })
    }
}

/// The config file (or the defaults) with the command line's targets and flag added:
/// what the start and every reload check.
fn load(
    path: Option<&std::path::Path>,
    cli_targets: &[String],
    any_target: bool,
) -> Result<Config, Failure> {
    let mut config = match path {
        Some(path) => Config::load(path)?,
        None => Config::default(),
    };
    for text in cli_targets {
        let target = config::parse_target(text).map_err(|why| Failure::usage("exporter", why))?;
        config.targets.push(ConfiguredTarget::pinged(target));
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
        if !seen.insert(t.key()) {
            return Err(Failure::usage(
                "exporter",
                format!("target '{}' is listed twice", t.target.text),
            ));
        }
    }
    if any_target {
        config.probe.any_target = true;
    }
    Ok(config)
}

/// Runs the exporter until SIGINT or SIGTERM.
pub fn run(plan: Plan) -> Result<Exit, Failure> {
    // Each scrape's page is big and there may be a hundred at once: given back when sent.
    crate::net::limits::return_big_buffers();
    // Below ping's minimum interval only with CAP_NET_RAW, as ping -i; the answer holds
    // for every reload (the privilege is dropped below, the sockets stay).
    let privileged = privilege::has_cap_net_raw();
    plan.config.too_fast(privileged)?;
    // Resolve on a runtime that is gone before the sockets are opened and the
    // capabilities dropped (they are per thread; its blocking pool must not keep them).
    let resolving = current_thread()?;
    let pinged = resolving.block_on(resolve_all(&plan.config.targets))?;
    resolving.shutdown_timeout(Duration::from_millis(100));

    let addrs: Vec<_> = pinged
        .iter()
        .filter(|p| p.configured.ping)
        .map(|p| p.resolved.addr())
        .collect();
    let sockets = Kept::open(&addrs)?;
    // /probe's raw sockets, while the privilege is there (empty without it).
    let pool = ProbePool::open();
    let bound = listen::bind(Bind::Addr(plan.listen), Transport::Tcp)?;
    privilege::drop_all_capabilities()
        .map_err(|e| Failure::new("dropping capabilities after opening the sockets", e))?;
    if !pool.has(crate::net::icmp::Version::V4) && !privilege::datagram_sockets_allowed() {
        eprintln!(
            "netlab: exporter: warning: /probe?module=icmp will fail: no CAP_NET_RAW at start, and net.ipv4.ping_group_range does not include this process's groups"
        );
    }
    let runtime = tokio::runtime::Builder::new_multi_thread()
        .worker_threads(2)
        .max_blocking_threads(TRACE_SLOTS + 16)
        .enable_all()
        .build()
        .map_err(|e| Failure::new("starting the async runtime", e))?;
    runtime.block_on(serve(plan, pinged, sockets, pool, bound, privileged))
}

fn current_thread() -> Result<tokio::runtime::Runtime, Failure> {
    tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .map_err(|e| Failure::new("starting the async runtime", e))
}

/// /probe's settings and allow list from a config and the running targets.
/// The trust of module=http/tls and of the targets' http/tls checks: the system's store
/// and `[probe] ca_file`, read at start and on every reload.
fn trust(config: &Config) -> Result<Arc<crate::web::TlsSetup>, Failure> {
    crate::web::TlsSetup::new(config.probe.ca_file.as_deref())
        .map(Arc::new)
        .map_err(|why| {
            let why = why.strip_prefix("--cacert ").unwrap_or(&why).to_string();
            Failure::new("exporter", format!("[probe] ca_file {why}"))
        })
}

fn new_prober(
    config: &Config,
    targets: &[String],
    pool: &Arc<ProbePool>,
    trace_slots: &Arc<Semaphore>,
    tls: Arc<crate::web::TlsSetup>,
) -> Result<Prober, Failure> {
    let mut allow = config.allow.clone();
    for text in targets {
        allow.push(config::Allowed::parse(text).map_err(|why| Failure::new("exporter", why))?);
    }
    Ok(Prober {
        allow,
        any_target: config.probe.any_target,
        slots: Arc::new(Semaphore::new(config.probe.max_concurrent as usize)),
        max_concurrent: config.probe.max_concurrent as usize,
        trace_slots: trace_slots.clone(),
        timeout: config.probe.timeout,
        ping_count: config.probe.ping_count,
        trace: fleet::trace_settings(config),
        pool: pool.clone(),
        tls,
    })
}

async fn serve(
    plan: Plan,
    pinged: Vec<Pinged>,
    sockets: Kept,
    pool: ProbePool,
    bound: listen::Bound,
    privileged: bool,
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
    let mut hangup =
        Signal::watch(Meaning::Reload).map_err(|e| Failure::new("handling SIGHUP", e))?;

    let mut config = plan.config;
    let metrics = Arc::new(Metrics::new());
    let trace_slots = Arc::new(Semaphore::new(TRACE_SLOTS));
    let pool = Arc::new(pool);
    let (moved_tx, mut moved_rx) = mpsc::channel::<Moved>(64);
    let (fatal_tx, mut fatal_rx) = mpsc::channel::<Failure>(1);
    let (reload_tx, mut reload_rx) = mpsc::channel::<http::ReloadReply>(8);
    let tls = trust(&config)?;
    let mut fleet = Fleet::new(
        metrics.clone(),
        sockets,
        &config,
        trace_slots.clone(),
        tls.clone(),
        moved_tx,
        fatal_tx,
    );
    for p in pinged {
        fleet.add(p);
    }
    fleet.restart_pinger().await;
    let prober = Arc::new(RwLock::new(Arc::new(new_prober(
        &config,
        &fleet.target_texts(),
        &pool,
        &trace_slots,
        tls,
    )?)));

    let scheme = plan.web.scheme();
    let web = Arc::new(RwLock::new(Arc::new(plan.web)));
    let shared = http::Shared {
        metrics: metrics.clone(),
        prober: prober.clone(),
        reload: reload_tx,
        web: web.clone(),
    };
    let limited = conn::Limited {
        listener,
        web: web.clone(),
        slots: Arc::new(Semaphore::new(conn::MAX_CONNECTIONS)),
        // Longer than any probe may take, so a slow answer is never cut.
        idle: conn::IDLE + config.probe.timeout,
    };
    let (stop_tx, stop_rx) = tokio::sync::watch::channel(false);
    let mut stop_server = stop_rx.clone();
    let server = axum::serve(limited, http::router(shared)).with_graceful_shutdown(async move {
        let _ = stop_server.changed().await;
    });
    eprintln!(
        "netlab: exporter: listening on {scheme}://{}/ ({} pinged every {:?}{}); Ctrl-C or SIGTERM stops, SIGHUP reloads",
        bound.local,
        match fleet.pinged() {
            1 => "1 target".to_string(),
            n => format!("{n} targets"),
        },
        fleet.ping_interval(),
        match fleet.own_ping_intervals() {
            0 => String::new(),
            n => format!(", {n} of them at their own ping_interval"),
        }
    );
    let mut server = std::pin::pin!(std::future::IntoFuture::into_future(server));
    let reloading = Reloading {
        path: plan.config_path.clone(),
        cli_targets: plan.cli_targets.clone(),
        any_target: plan.probe_any_target,
        listen: plan.listen,
        web_path: plan.web_path.clone(),
        web,
        pool: pool.clone(),
        trace_slots: trace_slots.clone(),
        privileged,
    };
    let result = loop {
        tokio::select! {
            _ = interrupt.recv() => break Ok(()),
            _ = terminate.recv() => break Ok(()),
            r = &mut server => break r.map_err(|e| Failure::new("serving HTTP", e)),
            Some(f) = fatal_rx.recv() => break Err(f),
            Some(m) = moved_rx.recv() => fleet.moved(m).await,
            _ = hangup.recv() => {
                let _ = reloading.reload(&mut fleet, &mut config, &prober, &metrics).await;
            }
            Some(reply) = reload_rx.recv() => {
                let r = reloading.reload(&mut fleet, &mut config, &prober, &metrics).await;
                let _ = reply.send(r);
            }
        }
    };
    // Stop: no new connections, answers in progress finish (bounded by the probe timeout).
    let _ = stop_tx.send(true);
    fleet.stop_all().await;
    if result.is_ok() {
        let _ = tokio::time::timeout(Duration::from_secs(2), &mut server).await;
    }
    drop(stop_rx);
    result.map(|_| Exit::Answered)
}

/// What a reload needs besides the running state.
struct Reloading {
    path: Option<PathBuf>,
    cli_targets: Vec<String>,
    any_target: bool,
    listen: SocketAddr,
    web_path: Option<PathBuf>,
    web: Arc<RwLock<Arc<Web>>>,
    pool: Arc<ProbePool>,
    trace_slots: Arc<Semaphore>,
    /// Whether the exporter held CAP_NET_RAW at start (intervals below ping's minimum).
    privileged: bool,
}

impl Reloading {
    /// Reads the config again and applies it; on any error the running config stays,
    /// the error is one stderr line, and `..._last_reload_successful` says 0.
    async fn reload(
        &self,
        fleet: &mut Fleet,
        config: &mut Config,
        prober: &RwLock<Arc<Prober>>,
        metrics: &Metrics,
    ) -> Result<(), String> {
        let result = self.try_reload(fleet, config, prober).await;
        metrics.reloaded(result.is_ok());
        match &result {
            Ok(()) => eprintln!(
                "netlab: exporter: reloaded the config: {} targets",
                config.targets.len()
            ),
            Err(why) => {
                eprintln!("netlab: exporter: reload failed, kept the running config: {why}")
            }
        }
        result
    }

    async fn try_reload(
        &self,
        fleet: &mut Fleet,
        config: &mut Config,
        prober: &RwLock<Arc<Prober>>,
    ) -> Result<(), String> {
        let text = |f: Failure| format!("{}: {}", f.what, f.why);
        let new = load(self.path.as_deref(), &self.cli_targets, self.any_target).map_err(text)?;
        new.too_fast(self.privileged).map_err(text)?;
        let web = match &self.web_path {
            Some(path) => Some(Web::load(path).map_err(text)?),
            None => None,
        };
        if let Some(listen) = &new.listen {
            if config::parse_listen(listen).ok() != Some(self.listen) && self.path.is_some() {
                eprintln!(
                    "netlab: exporter: warning: listen = \"{listen}\" takes effect at the next start (still on {})",
                    self.listen
                );
            }
        }
        let tls = trust(&new).map_err(text)?;
        let added = resolve_all(&fleet.to_add(&new)).await.map_err(text)?;
        fleet.apply(&new, added, tls.clone()).await;
        let p = new_prober(
            &new,
            &fleet.target_texts(),
            &self.pool,
            &self.trace_slots,
            tls,
        )
        .map_err(text)?;
        if let Ok(mut slot) = prober.write() {
            *slot = Arc::new(p);
        }
        if let (Some(web), Ok(mut slot)) = (web, self.web.write()) {
            *slot = Arc::new(web);
        }
        *config = new;
        Ok(())
    }
}

/// Resolves every target (system resolver), timing each; a name that does not resolve
/// stops the start (exit 2) or the reload.
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

#[cfg(test)]
mod tests {
    use super::*;

    fn args(listen: Option<&str>, any: bool, targets: &[&str]) -> ExporterArgs {
        ExporterArgs {
            listen: listen.map(str::to_string),
            config: None,
            probe_any_target: any,
            web_config: None,
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
