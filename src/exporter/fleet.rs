//! The targets as they run, and how they change while the exporter runs.
//!
//! Each configured target is a [`Member`]: the address its name resolves to now, its
//! labels, and its tasks — a name watch that re-resolves it (`[resolve] interval`, or
//! the target's own), and the checks bound to its address (a path watch when it is
//! traced, a TCP connect check per port). Every pinged target shares the one
//! continuous pinger (`pinger.rs`, the ping engine's driver), which is restarted with
//! the new list whenever the list changes, on duplicates of the ICMP sockets opened
//! while privileged (`sockets.rs`).
//!
//! Two things change the list without a restart of the exporter:
//! - a name that now resolves elsewhere ([`Moved`]): the target's address-bound tasks
//!   stop, its series at the old address are removed, and it is pinged, traced and
//!   checked at the new one, under the new `ip` label;
//! - a reload ([`Fleet::apply`]): targets no longer in the file stop and their series
//!   go; new ones start; one whose entry is unchanged keeps running, so its counters
//!   and histograms go on (a changed `[trace]` or `[resolve]` section restarts its trace
//!   or name watch on the same series; a changed `ping_interval` only reschedules it in
//!   the pinger, on the same series; any other change to an entry is a removed one and
//!   an added one).
//!
//! Each pinged target is pinged at its own `ping_interval` (or `[ping] interval`): one
//! pinger, one engine, whose schedule holds each target's next probe at its own pace
//! (`ping::Settings::intervals`).
//!
//! The registry's families outlive any pinger run, so restarting the pinger loses no
//! count: its handles are taken again from the same series. Probes in flight when the
//! pinger restarts are neither answered nor timed out (at most one per target).

use std::net::{IpAddr, SocketAddr};
use std::sync::Arc;
use std::time::{Duration, Instant};

use tokio::sync::{mpsc, Semaphore};
use tokio::task::JoinHandle;

use super::config::{Config, ConfiguredTarget};
use super::metrics::{HostLabels, Metrics, PingHandles, PortLabels, TargetLabels};
use super::metrics::{WebLabels, WebPhaseLabels, WEB_PHASES};
use super::path::{self, TraceSettings};
use super::pinger;
use super::probe_web;
use super::sockets::Kept;
use crate::dns::system;
use crate::error::Failure;
use crate::net::icmp::Version;
use crate::net::socket::{tcp_connect, RefusalDetail, TcpAttempt};
use crate::ping;
use crate::target::{Host, Resolved};
use crate::web::{Timeline, TlsSetup, WebTarget};

/// A name that now resolves to another address.
#[derive(Debug)]
pub struct Moved {
    pub key: String,
    pub to: SocketAddr,
}

/// A target as resolved, before it runs.
pub struct Pinged {
    pub configured: ConfiguredTarget,
    pub resolved: Resolved,
    pub resolve_time: Duration,
}

struct Member {
    configured: ConfiguredTarget,
    resolved: Resolved,
    labels: TargetLabels,
    host: HostLabels,
    name_watch: Option<JoinHandle<()>>,
    /// The path watch and the TCP checks: bound to the address.
    checks: Vec<JoinHandle<()>>,
}

/// What every member's tasks share.
pub struct Fleet {
    metrics: Arc<Metrics>,
    sockets: Kept,
    ping: ping::Settings,
    resolve_interval: Duration,
    trace: TraceSettings,
    trace_slots: Arc<Semaphore>,
    /// The trust of the http/tls checks (the system's and `[probe] ca_file`), as /probe's.
    tls: Arc<TlsSetup>,
    /// `[probe] timeout`: at most this per phase of an http/tls check.
    web_timeout: Duration,
    members: Vec<Member>,
    pinger: Option<JoinHandle<()>>,
    moved: mpsc::Sender<Moved>,
    fatal: mpsc::Sender<Failure>,
}

/// The ping settings of a config.
pub fn ping_settings(config: &Config) -> ping::Settings {
    ping::Settings {
        size: config.ping.size,
        // A steady stream, not a burst of every target each interval.
        spread: true,
        ..ping::Settings::plain(None, config.ping.every(), config.ping.timeout)
    }
}

pub fn trace_settings(config: &Config) -> TraceSettings {
    TraceSettings {
        interval: config.trace.interval,
        max_hops: config.trace.max_hops,
        queries: config.trace.queries,
        wait: config.trace.wait,
    }
}

/// Stops a task and waits until it no longer runs (so nothing it does lands after).
async fn stop(task: JoinHandle<()>) {
    task.abort();
    let _ = task.await;
}

impl Fleet {
    pub fn new(
        metrics: Arc<Metrics>,
        sockets: Kept,
        config: &Config,
        trace_slots: Arc<Semaphore>,
        tls: Arc<TlsSetup>,
        moved: mpsc::Sender<Moved>,
        fatal: mpsc::Sender<Failure>,
    ) -> Fleet {
        Fleet {
            metrics,
            sockets,
            ping: ping_settings(config),
            resolve_interval: config.resolve.interval,
            trace: trace_settings(config),
            trace_slots,
            tls,
            web_timeout: config.probe.timeout,
            members: Vec::new(),
            pinger: None,
            moved,
            fatal,
        }
    }

    /// How many targets are pinged now.
    pub fn pinged(&self) -> usize {
        self.members.iter().filter(|m| m.configured.ping).count()
    }

    pub fn ping_interval(&self) -> Duration {
        self.ping.interval
    }

    /// How many pinged targets have a `ping_interval` of their own.
    pub fn own_ping_intervals(&self) -> usize {
        self.members
            .iter()
            .filter(|m| m.configured.ping && m.configured.ping_interval.is_some())
            .count()
    }

    /// The targets' texts, for /probe's allow list.
    pub fn target_texts(&self) -> Vec<String> {
        self.members
            .iter()
            .map(|m| m.configured.target.text.clone())
            .collect()
    }

    /// Starts a resolved target's tasks (the pinger is restarted by the caller).
    pub fn add(&mut self, p: Pinged) {
        let host = HostLabels {
            host: p.configured.target.text.clone(),
            extra: p.configured.labels.clone(),
        };
        let labels = labels_of(&p.configured, &p.resolved);
        let name_watch = match &p.configured.target.host {
            Host::Name(name) => {
                let _ = self.metrics.dns_errors.get_or_create(&host);
                let _ = self.metrics.dns_changes.get_or_create(&host);
                self.metrics
                    .dns_duration
                    .get_or_create(&host)
                    .observe(p.resolve_time.as_secs_f64());
                Some(tokio::spawn(watch_name(
                    self.metrics.clone(),
                    host.clone(),
                    name.clone(),
                    p.configured.key(),
                    p.resolved.addr(),
                    p.configured
                        .resolve_interval
                        .unwrap_or(self.resolve_interval),
                    self.moved.clone(),
                )))
            }
            Host::Ip { .. } => None,
        };
        let mut member = Member {
            configured: p.configured,
            resolved: p.resolved,
            labels,
            host,
            name_watch,
            checks: Vec::new(),
        };
        self.start_checks(&mut member);
        self.members.push(member);
    }

    /// A name's re-resolving task (none for an address).
    fn spawn_name_watch(&self, m: &Member) -> Option<JoinHandle<()>> {
        let Host::Name(name) = &m.configured.target.host else {
            return None;
        };
        Some(tokio::spawn(watch_name(
            self.metrics.clone(),
            m.host.clone(),
            name.clone(),
            m.configured.key(),
            m.resolved.addr(),
            m.configured
                .resolve_interval
                .unwrap_or(self.resolve_interval),
            self.moved.clone(),
        )))
    }

    fn start_checks(&self, m: &mut Member) {
        if m.configured.trace {
            let mut settings = self.trace.clone();
            if let Some(interval) = m.configured.trace_interval {
                settings.interval = interval;
            }
            m.checks.push(tokio::spawn(path::watch(
                self.metrics.clone(),
                m.labels.clone(),
                m.configured.target.clone(),
                m.resolved.clone(),
                settings,
                self.trace_slots.clone(),
            )));
        }
        for &port in &m.configured.tcp {
            let mut to = m.resolved.sockaddr;
            to.set_port(port);
            m.checks.push(tokio::spawn(tcp_check(
                self.metrics.clone(),
                port_labels(&m.labels, port),
                to,
                m.configured.tcp_interval,
            )));
        }
        for web in web_checks(&m.configured) {
            m.checks.push(tokio::spawn(web_check(
                self.metrics.clone(),
                web_labels(&m.labels, web),
                web.clone(),
                m.resolved.sockaddr,
                m.configured.web_interval,
                self.tls.clone(),
                self.web_timeout,
            )));
        }
    }

    /// Stops a member's address-bound checks and removes its series at that address.
    async fn stop_checks(&self, m: &mut Member) {
        for task in m.checks.drain(..) {
            stop(task).await;
        }
        self.metrics.forget_target(&m.labels);
        for &port in &m.configured.tcp {
            self.metrics.forget_port(&port_labels(&m.labels, port));
        }
        for web in web_checks(&m.configured) {
            self.metrics.forget_web(&web_labels(&m.labels, web));
        }
    }

    /// Restarts the continuous pinger with the pinged members (none: no pinger).
    pub async fn restart_pinger(&mut self) {
        if let Some(task) = self.pinger.take() {
            stop(task).await;
        }
        let pinged: Vec<&Member> = self.members.iter().filter(|m| m.configured.ping).collect();
        if pinged.is_empty() {
            return;
        }
        for m in &pinged {
            if !self.sockets.has(m.resolved.addr()) {
                eprintln!(
                    "netlab: exporter: warning: no ICMP socket for {} ({}): its echo requests count as send errors",
                    m.configured.target.text,
                    m.resolved.addr()
                );
            }
        }
        let targets: Vec<Resolved> = pinged.iter().map(|m| m.resolved.clone()).collect();
        let handles: Vec<PingHandles> = pinged
            .iter()
            .map(|m| PingHandles::new(&self.metrics, m.labels.clone()))
            .collect();
        let sockets = match self.sockets.lend() {
            Ok(s) => s,
            Err(f) => {
                let _ = self.fatal.try_send(f);
                return;
            }
        };
        let settings = ping::Settings {
            intervals: pinged
                .iter()
                .map(|m| m.configured.ping_interval.unwrap_or(self.ping.interval))
                .collect(),
            ..self.ping.clone()
        };
        let (metrics, fatal) = (self.metrics.clone(), self.fatal.clone());
        self.pinger = Some(tokio::spawn(async move {
            if let Err(f) = pinger::run(settings, Some(sockets), targets, handles, metrics).await {
                let _ = fatal.send(f).await;
            }
        }));
    }

    /// A name resolved elsewhere: the member follows it (module docs).
    pub async fn moved(&mut self, moved: Moved) {
        let Some(index) = self
            .members
            .iter()
            .position(|m| m.configured.key() == moved.key)
        else {
            return; // removed by a reload since
        };
        if self.members[index].resolved.addr() == moved.to.ip() {
            return;
        }
        let mut m = self.members.swap_remove(index);
        self.stop_checks(&mut m).await;
        eprintln!(
            "netlab: exporter: {} moved from {} to {}",
            m.configured.target.text,
            m.resolved.addr(),
            moved.to.ip()
        );
        m.resolved.sockaddr = moved.to;
        m.labels = labels_of(&m.configured, &m.resolved);
        self.start_checks(&mut m);
        self.members.push(m);
        self.restart_pinger().await;
    }

    /// The entries of `config` that are not running as they are: what a reload must
    /// resolve before it can be applied.
    pub fn to_add(&self, config: &Config) -> Vec<ConfiguredTarget> {
        config
            .targets
            .iter()
            .filter(|t| {
                !self
                    .members
                    .iter()
                    .any(|m| m.configured.same_but_ping_interval(t))
            })
            .cloned()
            .collect()
    }

    /// Applies a reloaded config whose new entries were resolved (`added`), with the
    /// trust it names (`tls`: used by the http/tls checks started from now on).
    pub async fn apply(&mut self, config: &Config, added: Vec<Pinged>, tls: Arc<TlsSetup>) {
        self.tls = tls;
        self.web_timeout = config.probe.timeout;
        let trace = trace_settings(config);
        let trace_changed = format!("{trace:?}") != format!("{:?}", self.trace);
        let resolve_changed = config.resolve.interval != self.resolve_interval;
        self.ping = ping_settings(config);
        self.resolve_interval = config.resolve.interval;
        self.trace = trace;
        let mut kept = Vec::with_capacity(self.members.len());
        for mut m in std::mem::take(&mut self.members) {
            let same = config
                .targets
                .iter()
                .find(|t| m.configured.same_but_ping_interval(t));
            if let Some(entry) = same {
                // Unchanged (or but for its ping interval, which the pinger's restart
                // below applies): it keeps running and counting; only what a changed
                // global section drives is restarted, on the same series.
                m.configured.ping_interval = entry.ping_interval;
                if trace_changed && m.configured.trace {
                    for task in m.checks.drain(..) {
                        stop(task).await;
                    }
                    self.start_checks(&mut m);
                }
                if resolve_changed && m.configured.resolve_interval.is_none() {
                    if let Some(task) = m.name_watch.take() {
                        stop(task).await;
                        m.name_watch = self.spawn_name_watch(&m);
                    }
                }
                kept.push(m);
                continue;
            }
            self.stop_checks(&mut m).await;
            if let Some(task) = m.name_watch.take() {
                stop(task).await;
            }
            // Its DNS series go too, unless the same name stays under the same labels.
            let stays = added.iter().any(|p| {
                p.configured.key() == m.configured.key()
                    && p.configured.labels == m.configured.labels
            });
            if !stays {
                self.metrics.forget_host(&m.host);
            }
        }
        self.members = kept;
        for p in added {
            if !self.members.iter().any(|m| m.configured == p.configured) {
                self.add(p);
            }
        }
        // The config's order, so the pinger's schedule follows the file.
        self.members.sort_by_key(|m| {
            config
                .targets
                .iter()
                .position(|t| *t == m.configured)
                .unwrap_or(usize::MAX)
        });
        self.restart_pinger().await;
    }

    /// Stops every task.
    pub async fn stop_all(&mut self) {
        if let Some(task) = self.pinger.take() {
            stop(task).await;
        }
        for m in &mut self.members {
            for task in m.checks.drain(..).chain(m.name_watch.take()) {
                stop(task).await;
            }
        }
    }
}

fn labels_of(configured: &ConfiguredTarget, resolved: &Resolved) -> TargetLabels {
    TargetLabels {
        host: configured.target.text.clone(),
        ip: resolved.addr().to_string(),
        extra: configured.labels.clone(),
    }
}

fn port_labels(l: &TargetLabels, port: u16) -> PortLabels {
    PortLabels {
        host: l.host.clone(),
        ip: l.ip.clone(),
        port: port.to_string(),
        extra: l.extra.clone(),
    }
}

/// A target's http and tls checks.
fn web_checks(c: &ConfiguredTarget) -> impl Iterator<Item = &WebTarget> {
    c.http.iter().chain(c.tls.iter())
}

fn web_labels(l: &TargetLabels, web: &WebTarget) -> WebLabels {
    WebLabels {
        host: l.host.clone(),
        ip: l.ip.clone(),
        check: if web.scheme == crate::web::Scheme::Tls {
            "tls"
        } else {
            "http"
        }
        .into(),
        url: web.url.to_string(),
        extra: l.extra.clone(),
    }
}

/// Re-resolves `name` every `interval`: resolve time, failures, and an address of the
/// same family that differs from the one in use is reported as [`Moved`].
async fn watch_name(
    metrics: Arc<Metrics>,
    labels: HostLabels,
    name: String,
    key: String,
    mut current: IpAddr,
    interval: Duration,
    moved: mpsc::Sender<Moved>,
) {
    let mut ticks = tokio::time::interval(interval);
    ticks.set_missed_tick_behavior(tokio::time::MissedTickBehavior::Delay);
    ticks.tick().await; // the first tick is now: the start already resolved it
    loop {
        ticks.tick().await;
        let started = Instant::now();
        match system::lookup(&name, 0).await {
            Ok(addrs) => {
                metrics
                    .dns_duration
                    .get_or_create(&labels)
                    .observe(started.elapsed().as_secs_f64());
                // The address in use is kept while the name still has it (a round-robin
                // name moves nothing); otherwise the first of the same family.
                if addrs.iter().any(|a| a.ip() == current) {
                    continue;
                }
                let Some(to) = addrs
                    .iter()
                    .find(|a| Version::of(&a.ip()) == Version::of(&current))
                    .or(addrs.first())
                else {
                    continue;
                };
                metrics.dns_changes.get_or_create(&labels).inc();
                current = to.ip();
                let to = *to;
                if moved
                    .send(Moved {
                        key: key.clone(),
                        to,
                    })
                    .await
                    .is_err()
                {
                    return;
                }
            }
            Err(_) => {
                metrics.dns_errors.get_or_create(&labels).inc();
            }
        }
    }
}

/// Connects to `to` every `interval` (each attempt bounded by the interval, at most 5 s):
/// handshake time of the ones that connect, failures by result.
async fn tcp_check(metrics: Arc<Metrics>, labels: PortLabels, to: SocketAddr, interval: Duration) {
    let _ = metrics.tcp_duration.get_or_create(&labels);
    let _ = metrics.tcp_failures.get_or_create(&labels);
    let mut ticks = tokio::time::interval(interval);
    ticks.set_missed_tick_behavior(tokio::time::MissedTickBehavior::Delay);
    let timeout = interval.min(Duration::from_secs(5));
    loop {
        ticks.tick().await;
        match tcp_connect(to, timeout, RefusalDetail::Skip).await {
            Ok(TcpAttempt::Connected { elapsed, .. }) => metrics
                .tcp_duration
                .get_or_create(&labels)
                .observe(elapsed.as_secs_f64()),
            _ => {
                metrics.tcp_failures.get_or_create(&labels).inc();
            }
        }
    }
}

/// An http GET or a tls handshake (`web.scheme`) at `addr` every `interval`: the same
/// attempt and verdict as /probe's module=http/tls (`probe_web`), its result kept as the
/// target's gauges (success, status, phases, certificate expiry) and failures counted.
/// Each phase is bounded by `timeout` and by the interval.
async fn web_check(
    metrics: Arc<Metrics>,
    labels: WebLabels,
    web: WebTarget,
    addr: SocketAddr,
    interval: Duration,
    tls: Arc<TlsSetup>,
    timeout: Duration,
) {
    let _ = metrics.web_failures.get_or_create(&labels);
    let mut to = addr;
    to.set_port(web.port);
    let timeout = timeout.min(interval);
    let mut ticks = tokio::time::interval(interval);
    ticks.set_missed_tick_behavior(tokio::time::MissedTickBehavior::Delay);
    loop {
        ticks.tick().await;
        let start = Instant::now();
        let mut timeline = Timeline::new(start);
        timeline.looked_up = Some(start);
        let attempt = probe_web::attempt(&web, to, timeline, &tls, timeout).await;
        let ok = probe_web::judge(&web, &attempt).is_ok();
        metrics.web_success.get_or_create(&labels).set(ok as i64);
        if !ok {
            metrics.web_failures.get_or_create(&labels).inc();
        }
        if web.scheme != crate::web::Scheme::Tls {
            let status = attempt.response.as_ref().map_or(0, |r| r.status);
            metrics.web_status.get_or_create(&labels).set(status.into());
        }
        let p = attempt.timeline.phases();
        for (phase, d) in WEB_PHASES
            .iter()
            .zip([p.connect, p.tls, p.first_byte, p.transfer])
        {
            metrics
                .web_duration
                .get_or_create(&WebPhaseLabels {
                    check: labels.clone(),
                    phase: phase.to_string(),
                })
                .set(d.unwrap_or_default().as_secs_f64());
        }
        let chain = attempt.tls.as_ref();
        match chain.and_then(|t| t.chain.iter().map(|c| c.not_after_unix).min()) {
            Some(at) => {
                metrics.web_cert_expiry.get_or_create(&labels).set(at);
            }
            None => {
                metrics.web_cert_expiry.remove(&labels);
            }
        }
        match chain.and_then(|t| t.last_chain_expiry) {
            Some(at) => {
                metrics.web_chain_expiry.get_or_create(&labels).set(at);
            }
            None => {
                metrics.web_chain_expiry.remove(&labels);
            }
        }
    }
}
