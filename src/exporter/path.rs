//! Watching a target's path: rounds of hops in, per-hop and path-change metrics out.
//!
//! Two halves, on purpose. [`PathTracker`] is pure: it is given one *round* (what each
//! TTL did: probes sent, answered, their RTTs, who answered) and turns it into metrics,
//! deciding whether the path changed. Where rounds come from is the other half: today
//! [`watch`] runs a one-shot UDP trace (`trace::run_trace`, the engine of `netlab
//! trace`) every `[trace] interval`; a continuous rounds engine (`trace --watch`) can
//! replace that loop by feeding the same tracker its rounds, and nothing else changes.
//!
//! What counts as a change: a TTL that answered in both rounds, from different
//! addresses; or both rounds reaching the target at different TTLs. A hop that was
//! silent once (routers rate-limit their ICMP errors) is not a change.

use std::net::IpAddr;
use std::sync::Arc;
use std::time::{Duration, Instant};

use prometheus_client::encoding::EncodeLabelSet;
use prometheus_client::metrics::family::Family as Series;
use prometheus_client::metrics::gauge::Gauge;
use prometheus_client::registry::Registry;
use tokio::sync::Semaphore;

use super::metrics::{int, FloatGauge, HopAddressLabels, HopLabels, Metrics, TargetLabels};
use crate::cli::Family;
use crate::target::{Resolved, Target};
use crate::trace::engine::{Ending, ProbeResult};
use crate::trace::{self, TraceOutcome};

/// What one TTL did in one round.
#[derive(Debug, Clone, PartialEq)]
pub struct HopSample {
    pub ttl: u8,
    pub sent: u64,
    pub rtts: Vec<Duration>,
    /// The first address that answered, if any did.
    pub address: Option<IpAddr>,
}

/// One look at the path.
#[derive(Debug, Clone, PartialEq)]
pub struct Round {
    pub hops: Vec<HopSample>,
    /// The TTL at which the target answered, if it did.
    pub reached: Option<u8>,
    pub duration: Duration,
}

impl Round {
    /// A one-shot trace's hops as a round.
    pub fn from_trace(outcome: &TraceOutcome, duration: Duration) -> Round {
        let hops = outcome
            .hops
            .iter()
            .map(|hop| {
                let mut rtts = Vec::new();
                for probe in &hop.probes {
                    if let ProbeResult::Answered { rtt, .. } = probe {
                        rtts.push(*rtt);
                    }
                }
                HopSample {
                    ttl: hop.ttl,
                    sent: hop.probes.len() as u64,
                    rtts,
                    address: hop.responders().first().copied(),
                }
            })
            .collect();
        let reached = match outcome.ending {
            Ending::Reached { ttl, .. } => Some(ttl),
            _ => None,
        };
        Round {
            hops,
            reached,
            duration,
        }
    }

    /// The TTL of the last hop that answered (0: none did).
    pub fn last_answered(&self) -> u8 {
        self.hops
            .iter()
            .filter(|h| h.address.is_some())
            .map(|h| h.ttl)
            .max()
            .unwrap_or(0)
    }

    /// Who answered at each TTL from 1 (None: silent or not probed).
    fn path(&self) -> Vec<Option<IpAddr>> {
        let len = self.hops.iter().map(|h| h.ttl as usize).max().unwrap_or(0);
        let mut path = vec![None; len];
        for hop in &self.hops {
            if hop.ttl >= 1 {
                path[hop.ttl as usize - 1] = hop.address;
            }
        }
        path
    }
}

/// Whether `new` is a different path from `old` (module docs).
pub fn changed(old: &Round, new: &Round) -> bool {
    let (a, b) = (old.path(), new.path());
    let differs = a
        .iter()
        .zip(&b)
        .any(|(x, y)| matches!((x, y), (Some(x), Some(y)) if x != y));
    let moved = matches!((old.reached, new.reached), (Some(x), Some(y)) if x != y);
    differs || moved
}

/// Turns rounds of one target into metrics.
pub struct PathTracker {
    labels: TargetLabels,
    last: Option<Round>,
    /// The `netlab_hop_address_info` series shown now, one per TTL at most.
    shown: Vec<HopAddressLabels>,
}

impl PathTracker {
    pub fn new(metrics: &Metrics, labels: TargetLabels) -> PathTracker {
        // Every path series exists from the first scrape.
        let _ = metrics.path_traces.get_or_create(&labels);
        let _ = metrics.path_changes.get_or_create(&labels);
        let _ = metrics.path_hops.get_or_create(&labels);
        let _ = metrics.path_reached.get_or_create(&labels);
        PathTracker {
            labels,
            last: None,
            shown: Vec::new(),
        }
    }

    pub fn record(&mut self, metrics: &Metrics, round: Round) {
        let l = &self.labels;
        metrics.path_traces.get_or_create(l).inc();
        if self.last.as_ref().is_some_and(|last| changed(last, &round)) {
            metrics.path_changes.get_or_create(l).inc();
        }
        metrics
            .path_hops
            .get_or_create(l)
            .set(round.last_answered() as i64);
        metrics
            .path_reached
            .get_or_create(l)
            .set(round.reached.is_some() as i64);
        metrics
            .path_duration
            .get_or_create(l)
            .set(round.duration.as_secs_f64());
        let mut shown = Vec::with_capacity(round.hops.len());
        for hop in &round.hops {
            let hop_labels = HopLabels {
                host: l.host.clone(),
                ip: l.ip.clone(),
                ttl: hop.ttl.to_string(),
                extra: l.extra.clone(),
            };
            metrics
                .hop_requests
                .get_or_create(&hop_labels)
                .inc_by(hop.sent);
            metrics
                .hop_responses
                .get_or_create(&hop_labels)
                .inc_by(hop.rtts.len() as u64);
            let histogram = metrics.hop_rtt.get_or_create(&hop_labels);
            for rtt in &hop.rtts {
                histogram.observe(rtt.as_secs_f64());
            }
            if let Some(address) = hop.address {
                shown.push(HopAddressLabels {
                    host: l.host.clone(),
                    ip: l.ip.clone(),
                    ttl: hop_labels.ttl,
                    address: address.to_string(),
                    extra: l.extra.clone(),
                });
            }
        }
        // A TTL that went silent keeps its last address; one that answered from a new
        // address replaces it.
        for old in std::mem::take(&mut self.shown) {
            let replaced = shown.iter().any(|s| s.ttl == old.ttl);
            if replaced && !shown.contains(&old) {
                metrics.hop_address.remove(&old);
            } else if !replaced {
                shown.push(old);
            }
        }
        for s in &shown {
            metrics.hop_address.get_or_create(s).set(1);
        }
        self.shown = shown;
        self.last = Some(round);
    }

    /// Removes the `netlab_hop_address_info` series it shows (the watch is stopping).
    pub fn clear(&mut self, metrics: &Metrics) {
        for s in self.shown.drain(..) {
            metrics.hop_address.remove(&s);
        }
    }
}

/// A watch's tracker, whose hop-address series go when the watch is stopped (its task
/// aborted by a reload or a moved address).
struct Watching {
    metrics: Arc<Metrics>,
    tracker: PathTracker,
}

impl Drop for Watching {
    fn drop(&mut self) {
        self.tracker.clear(&self.metrics);
    }
}

/// How the one-shot traces go.
#[derive(Debug, Clone)]
pub struct TraceSettings {
    pub interval: Duration,
    pub max_hops: u8,
    pub queries: u8,
    pub wait: Duration,
}

/// The one-shot plan of a trace to `target` (what `netlab trace -n` would do: UDP on
/// Linux, ICMP where UDP probes cannot work).
pub fn plan(target: &Target, settings: &TraceSettings) -> trace::Plan {
    trace::Plan {
        target: target.clone(),
        method: trace::Method::platform_default(),
        port: trace::DEFAULT_UDP_PORT,
        first_ttl: 1,
        max_ttl: settings.max_hops,
        queries: settings.queries,
        wait: settings.wait,
        family: Family::Any,
        probe: trace::options::ProbeOptions::default(),
        repeat: None,
    }
}

/// Runs one UDP trace on a blocking thread (the trace driver polls), holding one of
/// `slots` until it ends, even past a caller's timeout: the number of traces running
/// never exceeds the slots.
pub async fn trace_once(
    plan: trace::Plan,
    target: Resolved,
    slots: Arc<Semaphore>,
) -> Result<(TraceOutcome, Duration), String> {
    let permit = slots
        .acquire_owned()
        .await
        .map_err(|_| "shutting down".to_string())?;
    let mut target = target;
    target.sockaddr.set_port(plan.port);
    tokio::task::spawn_blocking(move || {
        let _permit = permit;
        let started = Instant::now();
        // UDP probes read only their error queue: no privilege needed, as for any user.
        let sockets = trace::Sockets::open(&plan, &target)
            .map_err(|f| f.why)?
            .without_raw_listener();
        let outcome = trace::run_trace(&plan, &target, sockets, &mut ()).map_err(|f| f.why)?;
        Ok((outcome, started.elapsed()))
    })
    .await
    .map_err(|e| format!("trace task: {e}"))?
}

/// Traces `target` every interval, forever (the caller aborts it at shutdown, on a
/// reload that removes the target, or when its address moves).
pub async fn watch(
    metrics: Arc<Metrics>,
    labels: TargetLabels,
    target: Target,
    resolved: Resolved,
    settings: TraceSettings,
    slots: Arc<Semaphore>,
) {
    let mut watching = Watching {
        tracker: PathTracker::new(&metrics, labels),
        metrics,
    };
    let plan = plan(&target, &settings);
    let mut ticks = tokio::time::interval(settings.interval);
    ticks.set_missed_tick_behavior(tokio::time::MissedTickBehavior::Delay);
    loop {
        ticks.tick().await;
        match trace_once(plan.clone(), resolved.clone(), slots.clone()).await {
            Ok((outcome, took)) => {
                let round = Round::from_trace(&outcome, took);
                watching.tracker.record(&watching.metrics, round)
            }
            Err(why) => eprintln!("netlab: exporter: tracing {}: {why}", resolved.text),
        }
    }
}

#[derive(Clone, Debug, Hash, PartialEq, Eq, EncodeLabelSet)]
struct TtlLabels {
    ttl: String,
}

#[derive(Clone, Debug, Hash, PartialEq, Eq, EncodeLabelSet)]
struct TtlAddressLabels {
    ttl: String,
    address: String,
}

/// A round as `/probe?module=trace` answers it (blackbox-style names).
pub fn encode_probe(r: &mut Registry, round: &Round) {
    int(
        r,
        "probe_traceroute_hops",
        "TTL of the last hop that answered",
        round.last_answered() as i64,
    );
    let sent: Series<TtlLabels, Gauge> = Series::default();
    let answered: Series<TtlLabels, Gauge> = Series::default();
    let rtt: Series<TtlLabels, FloatGauge> = Series::default();
    let address: Series<TtlAddressLabels, Gauge> = Series::default();
    for hop in &round.hops {
        let l = TtlLabels {
            ttl: hop.ttl.to_string(),
        };
        sent.get_or_create(&l).set(hop.sent as i64);
        answered.get_or_create(&l).set(hop.rtts.len() as i64);
        if !hop.rtts.is_empty() {
            let mean =
                hop.rtts.iter().map(Duration::as_secs_f64).sum::<f64>() / hop.rtts.len() as f64;
            rtt.get_or_create(&l).set(mean);
        }
        if let Some(a) = hop.address {
            address
                .get_or_create(&TtlAddressLabels {
                    ttl: l.ttl,
                    address: a.to_string(),
                })
                .set(1);
        }
    }
    r.register(
        "probe_hop_probes_sent",
        "Trace probes sent with this TTL",
        sent,
    );
    r.register(
        "probe_hop_probes_answered",
        "Trace probes with this TTL that were answered",
        answered,
    );
    r.register(
        "probe_hop_rtt_seconds",
        "Mean round-trip time at this TTL",
        rtt,
    );
    r.register(
        "probe_hop_address_info",
        "Who answered at this TTL (1)",
        address,
    );
}

#[cfg(test)]
mod tests {
    use super::*;

    fn ip(last: u8) -> Option<IpAddr> {
        Some(IpAddr::from([198, 18, 0, last]))
    }

    fn round(path: &[Option<IpAddr>], reached: Option<u8>) -> Round {
        Round {
            hops: path
                .iter()
                .enumerate()
                .map(|(i, a)| HopSample {
                    ttl: i as u8 + 1,
                    sent: 3,
                    rtts: if a.is_some() {
                        vec![Duration::from_millis(1); 3]
                    } else {
                        vec![]
                    },
                    address: *a,
                })
                .collect(),
            reached,
            duration: Duration::from_millis(10),
        }
    }

    #[test]
    fn a_new_address_at_a_ttl_is_a_change_a_silent_hop_is_not() {
        let a = round(&[ip(1), ip(2), ip(3)], Some(3));
        assert!(!changed(&a, &a.clone()));
        assert!(changed(&a, &round(&[ip(1), ip(9), ip(3)], Some(3))));
        assert!(!changed(&a, &round(&[ip(1), None, ip(3)], Some(3))));
        assert!(changed(&a, &round(&[ip(1), ip(2), ip(4), ip(3)], Some(4))));
        // The target not answering once is loss, not a new path.
        assert!(!changed(&a, &round(&[ip(1), ip(2), None], None)));
    }

    fn value(text: &str, series: &str) -> Option<f64> {
        text.lines()
            .find_map(|l| l.strip_prefix(series)?.trim().parse().ok())
    }

    #[test]
    fn the_tracker_counts_changes_and_keeps_one_address_series_per_ttl() {
        let m = Metrics::new();
        let labels = TargetLabels {
            host: "dest".into(),
            ip: "198.18.0.3".into(),
            extra: vec![("site".into(), "lab".into())],
        };
        let mut t = PathTracker::new(&m, labels);
        t.record(&m, round(&[ip(1), ip(2), ip(3)], Some(3)));
        t.record(&m, round(&[ip(1), ip(2), ip(3)], Some(3)));
        for n in 10..60 {
            t.record(&m, round(&[ip(1), ip(n), ip(3)], Some(3)));
        }
        t.record(&m, round(&[ip(1), None, ip(3)], Some(3)));
        let text = m.encode();
        let l = "{host=\"dest\",ip=\"198.18.0.3\",site=\"lab\"}";
        assert_eq!(
            value(&text, &format!("netlab_path_traces_total{l}")),
            Some(53.0)
        );
        assert_eq!(
            value(&text, &format!("netlab_path_changes_total{l}")),
            Some(50.0)
        );
        assert_eq!(value(&text, &format!("netlab_path_hops{l}")), Some(3.0));
        assert_eq!(value(&text, &format!("netlab_path_reached{l}")), Some(1.0));
        // 50 addresses went through TTL 2; only the last one is a series.
        assert_eq!(text.matches("netlab_hop_address_info{").count(), 3);
        assert!(
            text.contains("ttl=\"2\",address=\"198.18.0.59\",site=\"lab\"} 1"),
            "{text}"
        );
        let hop2 = "{host=\"dest\",ip=\"198.18.0.3\",ttl=\"2\",site=\"lab\"}";
        assert_eq!(
            value(&text, &format!("netlab_hop_requests_total{hop2}")),
            Some(159.0)
        );
        assert_eq!(
            value(&text, &format!("netlab_hop_responses_total{hop2}")),
            Some(156.0)
        );
        // A stopped watch takes its address series with it; forgetting the target
        // takes every other series of it.
        t.clear(&m);
        assert!(!m.encode().contains("netlab_hop_address_info{"));
        m.forget_target(&TargetLabels {
            host: "dest".into(),
            ip: "198.18.0.3".into(),
            extra: vec![("site".into(), "lab".into())],
        });
        let text = m.encode();
        assert!(!text.contains("198.18.0.3"), "{text}");
    }
}
