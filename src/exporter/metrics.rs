//! What `/metrics` serves: one `prometheus-client` registry, built once at start.
//!
//! Names follow smokeping_prober where it has one (`*_requests_total`, a response
//! histogram in seconds with its exponential buckets 50µs × 2ⁿ, 20 of them, the last
//! TTL, duplicates, labels `host` (as configured) and `ip` (what was pinged)), under the
//! `netlab_` prefix so both can run side by side. What it lacks, netlab adds: late
//! replies, timeouts, ICMP errors by kind, per-hop loss and RTT, path changes, DNS
//! resolve time.
//!
//! Bounded label sets. Every label value comes from the configuration or from a closed
//! list: `host`/`ip` and a target's own labels from the targets (the config, and the
//! address its name resolves to now: a target removed by a reload, or whose name moved
//! to another address, takes its series with it), `kind` from the ICMP error kinds
//! netlab knows, `ttl` from 1 to the configured max hops. The one label that comes from
//! the network, a hop's `address`, lives only on `netlab_hop_address_info`, with at most
//! one series per (target, ttl): when a hop's address changes its old series is removed,
//! so a path that keeps changing never grows the series count.

use std::sync::atomic::AtomicU64;

use prometheus_client::encoding::EncodeLabelSet;
use prometheus_client::metrics::counter::Counter;
use prometheus_client::metrics::family::Family;
use prometheus_client::metrics::gauge::Gauge;
use prometheus_client::metrics::histogram::{exponential_buckets, Histogram};
use prometheus_client::registry::Registry;

/// smokeping_prober's buckets: 50µs doubling to 26.2s.
pub fn rtt_buckets() -> impl Iterator<Item = f64> {
    exponential_buckets(0.000_05, 2.0, 20)
}

/// Coarser buckets for per-hop RTTs (0.1ms × 4ⁿ to 6.6s): a path of 30 hops stays at
/// 10 series a hop.
pub fn hop_buckets() -> impl Iterator<Item = f64> {
    exponential_buckets(0.000_1, 4.0, 9)
}

/// DNS resolve time: 0.1ms doubling to 3.3s.
pub fn dns_buckets() -> impl Iterator<Item = f64> {
    exponential_buckets(0.000_1, 2.0, 16)
}

/// A target's own labels, in the order of the config (names checked there).
pub type Extra = Vec<(String, String)>;

#[derive(Clone, Debug, Hash, PartialEq, Eq, EncodeLabelSet)]
pub struct TargetLabels {
    pub host: String,
    pub ip: String,
    /// The target's own labels from the config (`labels = { site = "ams" }`).
    #[prometheus(flatten)]
    pub extra: Extra,
}

#[derive(Clone, Debug, Hash, PartialEq, Eq, EncodeLabelSet)]
pub struct ErrorLabels {
    pub host: String,
    pub ip: String,
    pub kind: String,
    #[prometheus(flatten)]
    pub extra: Extra,
}

#[derive(Clone, Debug, Hash, PartialEq, Eq, EncodeLabelSet)]
pub struct HostLabels {
    pub host: String,
    #[prometheus(flatten)]
    pub extra: Extra,
}

#[derive(Clone, Debug, Hash, PartialEq, Eq, EncodeLabelSet)]
pub struct HopLabels {
    pub host: String,
    pub ip: String,
    pub ttl: String,
    #[prometheus(flatten)]
    pub extra: Extra,
}

#[derive(Clone, Debug, Hash, PartialEq, Eq, EncodeLabelSet)]
pub struct HopAddressLabels {
    pub host: String,
    pub ip: String,
    pub ttl: String,
    pub address: String,
    #[prometheus(flatten)]
    pub extra: Extra,
}

/// A TCP check: a target's port.
#[derive(Clone, Debug, Hash, PartialEq, Eq, EncodeLabelSet)]
pub struct PortLabels {
    pub host: String,
    pub ip: String,
    pub port: String,
    #[prometheus(flatten)]
    pub extra: Extra,
}

/// An http or tls check of a target: `check` is `http` or `tls`, `url` the URL asked
/// for (`tls://HOST:PORT/` for tls).
#[derive(Clone, Debug, Hash, PartialEq, Eq, EncodeLabelSet)]
pub struct WebLabels {
    pub host: String,
    pub ip: String,
    pub check: String,
    pub url: String,
    #[prometheus(flatten)]
    pub extra: Extra,
}

/// One phase of a web check (`connect`, `tls`, `processing`, `transfer`).
#[derive(Clone, Debug, Hash, PartialEq, Eq, EncodeLabelSet)]
pub struct WebPhaseLabels {
    #[prometheus(flatten)]
    pub check: WebLabels,
    pub phase: String,
}

/// The phases a web check's duration is exported for (blackbox_exporter's names).
pub const WEB_PHASES: [&str; 4] = ["connect", "tls", "processing", "transfer"];

#[derive(Clone, Debug, Hash, PartialEq, Eq, EncodeLabelSet)]
pub struct ProbeLabels {
    pub module: String,
    pub result: String,
}

pub type FloatGauge = Gauge<f64, AtomicU64>;

/// Registers a gauge holding `value` (the one-shot registries of `/probe`).
pub fn float(registry: &mut Registry, name: &str, help: &str, value: f64) {
    let g = FloatGauge::default();
    g.set(value);
    registry.register(name, help, g);
}

/// Registers an integer gauge holding `value`.
pub fn int(registry: &mut Registry, name: &str, help: &str, value: i64) {
    let g = Gauge::<i64>::default();
    g.set(value);
    registry.register(name, help, g);
}
type Histograms<L> = Family<L, Histogram, fn() -> Histogram>;

/// Every family the exporter serves.
pub struct Metrics {
    pub registry: Registry,
    pub ping_requests: Family<TargetLabels, Counter>,
    pub ping_rtt: Histograms<TargetLabels>,
    pub ping_ttl: Family<TargetLabels, Gauge>,
    pub ping_duplicates: Family<TargetLabels, Counter>,
    pub ping_late: Family<TargetLabels, Counter>,
    pub ping_timeouts: Family<TargetLabels, Counter>,
    pub ping_send_errors: Family<TargetLabels, Counter>,
    pub ping_icmp_errors: Family<ErrorLabels, Counter>,
    pub dns_duration: Histograms<HostLabels>,
    pub dns_errors: Family<HostLabels, Counter>,
    pub dns_changes: Family<HostLabels, Counter>,
    pub hop_requests: Family<HopLabels, Counter>,
    pub hop_responses: Family<HopLabels, Counter>,
    pub hop_rtt: Histograms<HopLabels>,
    pub hop_address: Family<HopAddressLabels, Gauge>,
    pub path_traces: Family<TargetLabels, Counter>,
    pub path_changes: Family<TargetLabels, Counter>,
    pub path_hops: Family<TargetLabels, Gauge>,
    pub path_reached: Family<TargetLabels, Gauge>,
    pub path_duration: Family<TargetLabels, FloatGauge>,
    pub tcp_duration: Histograms<PortLabels>,
    pub tcp_failures: Family<PortLabels, Counter>,
    pub web_success: Family<WebLabels, Gauge>,
    pub web_failures: Family<WebLabels, Counter>,
    pub web_status: Family<WebLabels, Gauge>,
    pub web_duration: Family<WebPhaseLabels, FloatGauge>,
    pub web_cert_expiry: Family<WebLabels, Gauge>,
    pub web_chain_expiry: Family<WebLabels, Gauge>,
    pub probes: Family<ProbeLabels, Counter>,
    pub probes_in_flight: Gauge,
    pub reload_ok: Gauge,
    pub reload_time: FloatGauge,
    /// The `netlab_ping_icmp_errors_total` series that exist, so a target that goes
    /// takes its own with it (a `Family` cannot be listed).
    error_series: std::sync::Mutex<std::collections::HashSet<ErrorLabels>>,
}

impl Default for Metrics {
    fn default() -> Self {
        Metrics::new()
    }
}

impl Metrics {
    pub fn new() -> Metrics {
        let mut registry = Registry::default();
        let m = Metrics {
            ping_requests: Family::default(),
            ping_rtt: Family::new_with_constructor(|| Histogram::new(rtt_buckets())),
            ping_ttl: Family::default(),
            ping_duplicates: Family::default(),
            ping_late: Family::default(),
            ping_timeouts: Family::default(),
            ping_send_errors: Family::default(),
            ping_icmp_errors: Family::default(),
            dns_duration: Family::new_with_constructor(|| Histogram::new(dns_buckets())),
            dns_errors: Family::default(),
            dns_changes: Family::default(),
            hop_requests: Family::default(),
            hop_responses: Family::default(),
            hop_rtt: Family::new_with_constructor(|| Histogram::new(hop_buckets())),
            hop_address: Family::default(),
            path_traces: Family::default(),
            path_changes: Family::default(),
            path_hops: Family::default(),
            path_reached: Family::default(),
            path_duration: Family::default(),
            tcp_duration: Family::new_with_constructor(|| Histogram::new(hop_buckets())),
            tcp_failures: Family::default(),
            web_success: Family::default(),
            web_failures: Family::default(),
            web_status: Family::default(),
            web_duration: Family::default(),
            web_cert_expiry: Family::default(),
            web_chain_expiry: Family::default(),
            probes: Family::default(),
            probes_in_flight: Gauge::default(),
            reload_ok: Gauge::default(),
            reload_time: FloatGauge::default(),
            error_series: Default::default(),
            registry: Registry::default(),
        };
        let r = &mut registry;
        // Counters are registered without `_total`: the encoder appends it.
        r.register(
            "netlab_ping_requests",
            "Echo requests sent",
            m.ping_requests.clone(),
        );
        r.register(
            "netlab_ping_response_duration_seconds",
            "A histogram of round-trip times of first, timely echo replies",
            m.ping_rtt.clone(),
        );
        r.register(
            "netlab_ping_response_ttl",
            "The TTL (hop limit) of the last echo reply",
            m.ping_ttl.clone(),
        );
        r.register(
            "netlab_ping_response_duplicates",
            "Echo replies to a request that already had one",
            m.ping_duplicates.clone(),
        );
        r.register(
            "netlab_ping_late_responses",
            "First echo replies that came after the timeout (counted lost)",
            m.ping_late.clone(),
        );
        r.register(
            "netlab_ping_timeouts",
            "Echo requests without a reply within the timeout",
            m.ping_timeouts.clone(),
        );
        r.register(
            "netlab_ping_send_errors",
            "Echo requests the kernel refused to send",
            m.ping_send_errors.clone(),
        );
        r.register(
            "netlab_ping_icmp_errors",
            "ICMP errors about echo requests, by kind (host_unreachable, ...)",
            m.ping_icmp_errors.clone(),
        );
        r.register(
            "netlab_dns_resolve_duration_seconds",
            "How long the system resolver took to resolve a target's name",
            m.dns_duration.clone(),
        );
        r.register(
            "netlab_dns_resolve_errors",
            "Resolutions of a target's name that failed",
            m.dns_errors.clone(),
        );
        r.register(
            "netlab_dns_address_changes",
            "Resolutions that gave a different first address than the one pinged",
            m.dns_changes.clone(),
        );
        r.register(
            "netlab_hop_requests",
            "Trace probes sent with this TTL",
            m.hop_requests.clone(),
        );
        r.register(
            "netlab_hop_responses",
            "Trace probes with this TTL that were answered",
            m.hop_responses.clone(),
        );
        r.register(
            "netlab_hop_response_duration_seconds",
            "A histogram of round-trip times of trace probes with this TTL",
            m.hop_rtt.clone(),
        );
        r.register(
            "netlab_hop_address_info",
            "The address that answered at this TTL in the last trace (1; one series per TTL)",
            m.hop_address.clone(),
        );
        r.register(
            "netlab_path_traces",
            "Traces run to the target",
            m.path_traces.clone(),
        );
        r.register(
            "netlab_path_changes",
            "Traces whose path differs from the previous trace's",
            m.path_changes.clone(),
        );
        r.register(
            "netlab_path_hops",
            "TTL of the last hop that answered in the last trace",
            m.path_hops.clone(),
        );
        r.register(
            "netlab_path_reached",
            "Whether the last trace reached the target (1) or not (0)",
            m.path_reached.clone(),
        );
        r.register(
            "netlab_path_trace_duration_seconds",
            "How long the last trace took",
            m.path_duration.clone(),
        );
        r.register(
            "netlab_tcp_connect_duration_seconds",
            "A histogram of TCP handshake times of a target's port (tcp checks)",
            m.tcp_duration.clone(),
        );
        r.register(
            "netlab_tcp_connect_failures",
            "TCP connects to a target's port that were refused, unreachable or timed out",
            m.tcp_failures.clone(),
        );
        r.register(
            "netlab_web_check_success",
            "Whether the last http/tls check succeeded (http: 2xx over a verified chain; tls: the chain verifies)",
            m.web_success.clone(),
        );
        r.register(
            "netlab_web_check_failures",
            "http/tls checks that failed",
            m.web_failures.clone(),
        );
        r.register(
            "netlab_web_check_http_status_code",
            "HTTP status code of the last http check (0: no response)",
            m.web_status.clone(),
        );
        r.register(
            "netlab_web_check_duration_seconds",
            "Duration of each phase of the last http/tls check (0: not reached)",
            m.web_duration.clone(),
        );
        r.register(
            "netlab_web_check_ssl_earliest_cert_expiry",
            "Earliest not-after of the certificates the server sent in the last check (Unix time)",
            m.web_cert_expiry.clone(),
        );
        r.register(
            "netlab_web_check_ssl_last_chain_expiry_timestamp_seconds",
            "Earliest not-after along the chain that verified in the last check (Unix time)",
            m.web_chain_expiry.clone(),
        );
        r.register(
            "netlab_exporter_probes",
            "/probe requests by module and result (success, failure, forbidden, busy, bad_request)",
            m.probes.clone(),
        );
        r.register(
            "netlab_exporter_probes_in_flight",
            "/probe requests running now",
            m.probes_in_flight.clone(),
        );
        r.register(
            "netlab_exporter_config_last_reload_successful",
            "Whether the last configuration reload succeeded (1) or kept the old one (0)",
            m.reload_ok.clone(),
        );
        r.register(
            "netlab_exporter_config_last_reload_success_timestamp_seconds",
            "When the configuration was last loaded successfully (Unix time)",
            m.reload_time.clone(),
        );
        m.reload_ok.set(1);
        m.reload_time.set(unix_now());
        Metrics { registry, ..m }
    }

    /// Records the outcome of a reload (the start counts as a successful one).
    pub fn reloaded(&self, ok: bool) {
        self.reload_ok.set(ok as i64);
        if ok {
            self.reload_time.set(unix_now());
        }
    }

    /// Counts one ICMP error about a target's echo requests.
    pub fn icmp_error(&self, labels: ErrorLabels) {
        self.ping_icmp_errors.get_or_create(&labels).inc();
        if let Ok(mut seen) = self.error_series.lock() {
            seen.insert(labels);
        }
    }

    /// Removes every series of a target as pinged at one address (ping, path, hops):
    /// it was removed from the config, or its name now resolves elsewhere.
    pub fn forget_target(&self, l: &TargetLabels) {
        self.ping_requests.remove(l);
        self.ping_rtt.remove(l);
        self.ping_ttl.remove(l);
        self.ping_duplicates.remove(l);
        self.ping_late.remove(l);
        self.ping_timeouts.remove(l);
        self.ping_send_errors.remove(l);
        self.path_traces.remove(l);
        self.path_changes.remove(l);
        self.path_hops.remove(l);
        self.path_reached.remove(l);
        self.path_duration.remove(l);
        for ttl in 1..=super::config::MAX_HOPS {
            let hop = HopLabels {
                host: l.host.clone(),
                ip: l.ip.clone(),
                ttl: ttl.to_string(),
                extra: l.extra.clone(),
            };
            self.hop_requests.remove(&hop);
            self.hop_responses.remove(&hop);
            self.hop_rtt.remove(&hop);
        }
        if let Ok(mut seen) = self.error_series.lock() {
            seen.retain(|e| {
                let mine = e.host == l.host && e.ip == l.ip && e.extra == l.extra;
                if mine {
                    self.ping_icmp_errors.remove(e);
                }
                !mine
            });
        }
    }

    /// Removes a TCP check's series.
    pub fn forget_port(&self, p: &PortLabels) {
        self.tcp_duration.remove(p);
        self.tcp_failures.remove(p);
    }

    /// Removes a web check's series.
    pub fn forget_web(&self, w: &WebLabels) {
        self.web_success.remove(w);
        self.web_failures.remove(w);
        self.web_status.remove(w);
        self.web_cert_expiry.remove(w);
        self.web_chain_expiry.remove(w);
        for phase in WEB_PHASES {
            self.web_duration.remove(&WebPhaseLabels {
                check: w.clone(),
                phase: phase.into(),
            });
        }
    }

    /// Removes a name's DNS series (the target was removed from the config).
    pub fn forget_host(&self, h: &HostLabels) {
        self.dns_duration.remove(h);
        self.dns_errors.remove(h);
        self.dns_changes.remove(h);
    }

    /// The exposition, OpenMetrics text (Prometheus's preferred format).
    pub fn encode(&self) -> String {
        let mut out = String::with_capacity(16 * 1024);
        // Writing to a String cannot fail.
        let _ = prometheus_client::encoding::text::encode(&mut out, &self.registry);
        out
    }
}

/// The same exposition in Prometheus's classic text format (0.0.4), for clients that
/// do not ask for OpenMetrics (`curl`, `promtool check metrics`, older scrapers).
///
/// Hand-written because `prometheus-client` encodes OpenMetrics only, and the two
/// differ in just three ways for what this exporter serves: a counter family is named
/// with its `_total` suffix, there is no `# UNIT` and no `# EOF`. Samples, histograms
/// and gauges are written the same.
fn unix_now() -> f64 {
    std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map_or(0.0, |d| d.as_secs_f64())
}

pub fn classic_text(openmetrics: &str) -> String {
    let mut counters = std::collections::HashSet::new();
    for line in openmetrics.lines() {
        if let Some(rest) = line.strip_prefix("# TYPE ") {
            if let Some(name) = rest.strip_suffix(" counter") {
                counters.insert(name.to_string());
            }
        }
    }
    let mut out = String::with_capacity(openmetrics.len());
    for line in openmetrics.lines() {
        if line == "# EOF" || line.starts_with("# UNIT ") {
            continue;
        }
        let comment = ["# HELP ", "# TYPE "]
            .into_iter()
            .find_map(|p| line.strip_prefix(p).map(|rest| (p, rest)));
        match comment {
            Some((prefix, rest)) => {
                let (name, tail) = rest.split_once(' ').unwrap_or((rest, ""));
                if counters.contains(name) {
                    out.push_str(&format!("{prefix}{name}_total {tail}"));
                } else {
                    out.push_str(line);
                }
            }
            None => out.push_str(line),
        }
        out.push('\n');
    }
    out
}

/// The handles of one continuously pinged target, created at start so every series
/// exists (at 0) from the first scrape, as smokeping_prober does.
#[derive(Clone)]
pub struct PingHandles {
    pub labels: TargetLabels,
    pub requests: Counter,
    pub rtt: Histogram,
    pub ttl: Gauge,
    pub duplicates: Counter,
    pub late: Counter,
    pub timeouts: Counter,
    pub send_errors: Counter,
}

impl PingHandles {
    pub fn new(m: &Metrics, labels: TargetLabels) -> PingHandles {
        PingHandles {
            requests: m.ping_requests.get_or_create_owned(&labels),
            rtt: m.ping_rtt.get_or_create_owned(&labels),
            ttl: m.ping_ttl.get_or_create_owned(&labels),
            duplicates: m.ping_duplicates.get_or_create_owned(&labels),
            late: m.ping_late.get_or_create_owned(&labels),
            timeouts: m.ping_timeouts.get_or_create_owned(&labels),
            send_errors: m.ping_send_errors.get_or_create_owned(&labels),
            labels,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Every family `/metrics` serves (and every one `/probe` can) is in the README's
    /// table, by the name Prometheus sees.
    #[test]
    fn the_readme_documents_every_metric() {
        let readme = include_str!("../../README.md");
        let m = Metrics::new();
        let labels = TargetLabels {
            host: "h".into(),
            ip: "127.0.0.1".into(),
            extra: Vec::new(),
        };
        let _ = PingHandles::new(&m, labels.clone());
        let hop = HopLabels {
            host: "h".into(),
            ip: "127.0.0.1".into(),
            ttl: "1".into(),
            extra: Vec::new(),
        };
        let host = HostLabels {
            host: "h".into(),
            extra: Vec::new(),
        };
        m.icmp_error(ErrorLabels {
            host: "h".into(),
            ip: "127.0.0.1".into(),
            kind: "host_unreachable".into(),
            extra: Vec::new(),
        });
        m.dns_duration.get_or_create(&host).observe(0.001);
        m.dns_errors.get_or_create(&host).inc();
        m.dns_changes.get_or_create(&host).inc();
        m.hop_requests.get_or_create(&hop).inc();
        m.hop_responses.get_or_create(&hop).inc();
        m.hop_rtt.get_or_create(&hop).observe(0.001);
        m.hop_address
            .get_or_create(&HopAddressLabels {
                host: "h".into(),
                ip: "127.0.0.1".into(),
                ttl: "1".into(),
                address: "127.0.0.1".into(),
                extra: Vec::new(),
            })
            .set(1);
        let port = PortLabels {
            host: "h".into(),
            ip: "127.0.0.1".into(),
            port: "80".into(),
            extra: Vec::new(),
        };
        m.tcp_duration.get_or_create(&port).observe(0.001);
        m.tcp_failures.get_or_create(&port).inc();
        let web = WebLabels {
            host: "h".into(),
            ip: "127.0.0.1".into(),
            check: "http".into(),
            url: "http://h/".into(),
            extra: Vec::new(),
        };
        m.web_success.get_or_create(&web).set(1);
        m.web_failures.get_or_create(&web).inc();
        m.web_status.get_or_create(&web).set(200);
        m.web_cert_expiry.get_or_create(&web).set(1);
        m.web_chain_expiry.get_or_create(&web).set(1);
        m.web_duration
            .get_or_create(&WebPhaseLabels {
                check: web.clone(),
                phase: "connect".into(),
            })
            .set(0.1);
        m.path_traces.get_or_create(&labels).inc();
        m.path_changes.get_or_create(&labels).inc();
        m.path_hops.get_or_create(&labels).set(1);
        m.path_reached.get_or_create(&labels).set(1);
        m.path_duration.get_or_create(&labels).set(0.1);
        m.probes
            .get_or_create(&ProbeLabels {
                module: "icmp".into(),
                result: "success".into(),
            })
            .inc();
        let text = classic_text(&m.encode());
        let names: Vec<&str> = text
            .lines()
            .filter_map(|l| l.strip_prefix("# TYPE "))
            .filter_map(|l| l.split(' ').next())
            .collect();
        assert_eq!(names.len(), 32, "{names:?}");
        for name in names {
            assert!(
                readme.contains(&format!("`{name}`")),
                "README lacks `{name}`"
            );
        }
        for name in [
            "probe_success",
            "probe_duration_seconds",
            "probe_timed_out",
            "probe_dns_lookup_time_seconds",
            "probe_ip_protocol",
            "probe_icmp_packets_sent",
            "probe_icmp_packets_received",
            "probe_icmp_duration_seconds",
            "probe_tcp_connect_duration_seconds",
            "probe_http_status_code",
            "probe_http_duration_seconds",
            "probe_http_version",
            "probe_http_content_length",
            "probe_http_uncompressed_body_length",
            "probe_http_ssl",
            "probe_ssl_earliest_cert_expiry",
            "probe_ssl_last_chain_expiry_timestamp_seconds",
            "probe_tls_version_info",
            "probe_tls_handshake_duration_seconds",
            "probe_traceroute_hops",
            "probe_hop_probes_sent",
            "probe_hop_probes_answered",
            "probe_hop_rtt_seconds",
            "probe_hop_address_info",
            "probe_failed_step",
        ] {
            assert!(
                readme.contains(&format!("`{name}")),
                "README lacks `{name}`"
            );
            assert!(
                [
                    include_str!("probe.rs"),
                    include_str!("probe_web.rs"),
                    include_str!("path.rs"),
                ]
                .iter()
                .any(|source| source.contains(&format!("\"{name}\""))),
                "/probe does not serve {name}"
            );
        }
    }

    #[test]
    fn the_classic_format_names_counters_with_total_and_has_no_eof() {
        let m = Metrics::new();
        let labels = TargetLabels {
            host: "h".into(),
            ip: "127.0.0.1".into(),
            extra: Vec::new(),
        };
        PingHandles::new(&m, labels).requests.inc();
        let open = m.encode();
        assert!(open.contains("# TYPE netlab_ping_requests counter\n"));
        assert!(open.ends_with("# EOF\n"));
        let text = classic_text(&open);
        assert!(text.contains("# TYPE netlab_ping_requests_total counter\n"));
        assert!(text.contains("# HELP netlab_ping_requests_total Echo requests sent.\n"));
        assert!(text.contains("netlab_ping_requests_total{host=\"h\",ip=\"127.0.0.1\"} 1\n"));
        assert!(!text.contains("# EOF"));
        assert!(text.contains("# TYPE netlab_ping_response_duration_seconds histogram\n"));
    }
}
