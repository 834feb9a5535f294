//! `/probe?target=HOST&module=icmp|tcp|dns|trace|http|tls`: one probe per request, the
//! blackbox_exporter multi-target pattern (Prometheus lists the targets and passes each
//! one as `target`; the answer is that probe's metrics alone).
//!
//! Who may be probed. A scraper is not the only one who can reach the port, so the
//! exporter probes only what its owner allowed: the configured targets, and the names,
//! addresses and prefixes of `[probe] allow`. A name is allowed by its name (it is not
//! resolved first: the exporter never looks up names a stranger chose); an address by a
//! prefix that holds it. `--probe-any-target` (or `any_target = true`) lifts this, by
//! name, so nobody does it by accident.
//!
//! Bounds. At most `max_concurrent` probes run at once; one more is answered 503 at
//! once instead of queueing. Each is cut at `[probe] timeout`, or earlier at the
//! scrape timeout Prometheus sends (`X-Prometheus-Scrape-Timeout-Seconds`, less half a
//! second for the answer to travel). A trace cannot be cut mid-way (its driver blocks
//! on `poll`): it keeps its slot until it ends, bounded by max hops × wait.
//!
//! Every module runs the command's own code: `ping::measure` (the ping engine, on a raw
//! socket of the pool opened while privileged, `sockets.rs`; without the privilege on
//! an ICMP datagram socket, so `net.ipv4.ping_group_range` must then allow the
//! exporter's group), `net::socket::tcp_connect` (as `connect`), the
//! system resolver (as every command resolves), `trace::run_trace` (UDP, as `check`),
//! `web::attempt` (as `connect https://...`; `probe_web.rs`).

use std::net::SocketAddr;
use std::sync::Arc;
use std::time::{Duration, Instant};

use prometheus_client::encoding::EncodeLabelSet;
use prometheus_client::metrics::family::Family;
use prometheus_client::metrics::gauge::Gauge;
use prometheus_client::registry::Registry;
use tokio::sync::Semaphore;

use super::config::{normal_name, Allowed};
use super::metrics::{float, int, FloatGauge};
use super::path::{self, Round, TraceSettings};
use super::probe_web;
use super::sockets::ProbePool;
use crate::net::icmp::Version;
use crate::net::socket::{tcp_connect, RefusalDetail, TcpAttempt};
use crate::ping;
use crate::target::{Host, PortSuffix, Resolved, Target};
use crate::web::{Attempt, Timeline, TlsSetup, WebTarget};

/// The modules `/probe` knows.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Module {
    Icmp,
    Tcp,
    Dns,
    Trace,
    /// `target=URL`: one request (`probe_web.rs`).
    Http,
    /// `target=HOST:PORT`: one TLS handshake (`probe_web.rs`).
    Tls,
}

impl Module {
    pub fn parse(text: &str) -> Result<Module, String> {
        match text {
            "icmp" => Ok(Module::Icmp),
            "tcp" => Ok(Module::Tcp),
            "dns" => Ok(Module::Dns),
            "trace" => Ok(Module::Trace),
            "http" => Ok(Module::Http),
            "tls" => Ok(Module::Tls),
            other => Err(format!(
                "unknown module '{other}' (use icmp, tcp, dns, trace, http or tls)"
            )),
        }
    }
    pub fn as_str(self) -> &'static str {
        match self {
            Module::Icmp => "icmp",
            Module::Tcp => "tcp",
            Module::Dns => "dns",
            Module::Trace => "trace",
            Module::Http => "http",
            Module::Tls => "tls",
        }
    }
}

/// A checked request.
#[derive(Debug, Clone)]
pub struct Request {
    pub module: Module,
    pub target: Target,
    /// The port of `tcp`.
    pub port: Option<u16>,
    /// The URL of `http`, the `HOST:PORT` of `tls` (`target` is then its host alone,
    /// which the allow list judges).
    pub web: Option<WebTarget>,
    /// `debug=true`: the answer is the probe's log, then its metrics (blackbox_exporter's
    /// way), as plain text.
    pub debug: bool,
}

/// Why a request is not probed, as HTTP says it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Refusal {
    /// 400: the parameters are wrong.
    BadRequest(String),
    /// 403: the target is not allowed.
    Forbidden(String),
    /// 503: every probe slot is taken.
    Busy(String),
}

/// The longest `target` accepted (a name is at most 253 bytes; a port and brackets fit).
const MAX_TARGET_LEN: usize = 300;

/// The icmp module's probes: one every 200 ms, each waiting a second.
const PROBE_INTERVAL: Duration = Duration::from_millis(200);
const PROBE_TIMEOUT: Duration = Duration::from_secs(1);

/// Checks the query parameters: exactly one `target`, at most one `module` (icmp by
/// default), nothing else.
pub fn parse_request(params: &[(String, String)]) -> Result<Request, Refusal> {
    let bad = |why: String| Refusal::BadRequest(why);
    let mut target = None;
    let mut module = None;
    let mut debug = None;
    for (key, value) in params {
        let slot = match key.as_str() {
            "target" => &mut target,
            "module" => &mut module,
            "debug" => &mut debug,
            other => {
                return Err(bad(format!(
                    "unknown parameter '{}' (use target, module and debug)",
                    other.escape_default()
                )))
            }
        };
        if slot.is_some() {
            return Err(bad(format!("parameter '{key}' given twice")));
        }
        *slot = Some(value.as_str());
    }
    let module = Module::parse(module.unwrap_or("icmp")).map_err(bad)?;
    let debug = match debug {
        None | Some("false") => false,
        Some("true") => true,
        Some(other) => {
            return Err(bad(format!(
                "debug '{}': use true or false",
                other.escape_default()
            )))
        }
    };
    let text = target.ok_or_else(|| bad("missing parameter 'target'".into()))?;
    if text.len() > MAX_TARGET_LEN {
        return Err(bad(format!("target is {} bytes long", text.len())));
    }
    if matches!(module, Module::Http | Module::Tls) {
        let web = probe_web::parse_target(module == Module::Tls, text)
            .map_err(|why| bad(format!("target '{}' {why}", text.escape_default())))?;
        let host = web.host.to_string();
        let target = Target::parse_destination(&host, PortSuffix::Forbidden)
            .map_err(|why| bad(format!("target '{}': {why}", text.escape_default())))?;
        return Ok(Request {
            module,
            target,
            port: Some(web.port),
            web: Some(web),
            debug,
        });
    }
    let ports = if module == Module::Tcp {
        PortSuffix::Allowed
    } else {
        PortSuffix::Forbidden
    };
    let target = Target::parse_destination(text, ports)
        .map_err(|why| bad(format!("target '{}': {why}", text.escape_default())))?;
    let port = target.port;
    if module == Module::Tcp && port.is_none() {
        return Err(bad(format!(
            "module tcp needs target=HOST:PORT, not '{}'",
            text.escape_default()
        )));
    }
    Ok(Request {
        module,
        target,
        port,
        web: None,
        debug,
    })
}

/// Whether `target` may be probed under `allow` (module docs).
pub fn allowed(allow: &[Allowed], target: &Target) -> bool {
    allow.iter().any(|a| match (a, &target.host) {
        (Allowed::Name(n), Host::Name(name)) => *n == normal_name(name),
        (Allowed::Net(net), Host::Ip { addr, .. }) => net.contains(addr),
        _ => false,
    })
}

/// What the probes share.
pub struct Prober {
    pub allow: Vec<Allowed>,
    pub any_target: bool,
    pub slots: Arc<Semaphore>,
    pub max_concurrent: usize,
    /// The traces of /probe and of the path watch share these.
    pub trace_slots: Arc<Semaphore>,
    pub timeout: Duration,
    pub ping_count: u64,
    pub trace: TraceSettings,
    /// Raw ICMP sockets opened while privileged (`sockets.rs`).
    pub pool: Arc<ProbePool>,
    /// The trust of module=http and module=tls (the system's and `[probe] ca_file`).
    pub tls: Arc<TlsSetup>,
}

impl Prober {
    pub fn check(&self, request: &Request) -> Result<(), Refusal> {
        if self.any_target || allowed(&self.allow, &request.target) {
            Ok(())
        } else {
            Err(Refusal::Forbidden(format!(
                "target '{}' is not allowed: list it in [probe] allow, or start with --probe-any-target",
                request.target.text.escape_default()
            )))
        }
    }

    /// Runs the probe within its timeout (the shorter of the config's and `scrape`);
    /// the metrics of the answer.
    pub async fn run(&self, request: Request, scrape: Option<Duration>) -> Result<String, Refusal> {
        let permit = self.slots.clone().try_acquire_owned().map_err(|_| {
            Refusal::Busy(format!(
                "{} probes are running, the most [probe] max_concurrent allows",
                self.max_concurrent
            ))
        })?;
        let timeout = match scrape {
            Some(s) => self
                .timeout
                .min(s.saturating_sub(Duration::from_millis(500))),
            None => self.timeout,
        }
        .max(Duration::from_millis(100));
        let started = Instant::now();
        let mut f = Findings {
            started: Some(started),
            ..Findings::default()
        };
        f.note(format!(
            "probing {} with module {} (timeout {:?})",
            request.target.text,
            request.module.as_str(),
            timeout
        ));
        if tokio::time::timeout(timeout, self.probe(&request, &mut f))
            .await
            .is_err()
        {
            f.timed_out = true;
            f.success = false;
            f.fail(
                "timeout",
                None,
                format!("cut at the timeout of {timeout:?}"),
            );
        }
        drop(permit);
        if f.success {
            f.note("probe succeeded".into());
        }
        let log = std::mem::take(&mut f.log);
        let metrics = f.encode(request.module, started.elapsed());
        Ok(if request.debug {
            format!(
                "Logs for the probe:\n{}\n\nMetrics that would have been returned:\n{metrics}",
                log.join("\n")
            )
        } else {
            metrics
        })
    }

    async fn probe(&self, request: &Request, f: &mut Findings) {
        let resolve_started = Instant::now();
        f.note(format!("resolving {}", request.target.text));
        let addr = match resolve(&request.target).await {
            Ok(addr) => addr,
            Err(why) => {
                f.fail("resolve", None, format!("resolving failed: {why}"));
                return;
            }
        };
        let resolved_at = Instant::now();
        f.dns_time = Some(resolved_at - resolve_started);
        f.note(format!(
            "resolved to {} in {:?}",
            addr.ip(),
            resolve_started.elapsed()
        ));
        f.ip_protocol = Some(if addr.is_ipv4() { 4 } else { 6 });
        let resolved = Resolved {
            text: request.target.text.clone(),
            sockaddr: addr,
        };
        match request.module {
            Module::Dns => f.success = true,
            Module::Icmp => self.icmp(&resolved, f).await,
            Module::Tcp => tcp(&resolved, request.port.unwrap_or(0), f).await,
            Module::Trace => self.trace(request, &resolved, f).await,
            Module::Http | Module::Tls => {
                let Some(web) = &request.web else {
                    return f.fail("resolve", None, "no web target (a bug)".into());
                };
                let mut timeline = Timeline::new(resolve_started);
                timeline.looked_up = Some(resolved_at);
                let mut to = addr;
                to.set_port(web.port);
                let may_probe = |t: &Target| self.any_target || allowed(&self.allow, t);
                let mut log = Vec::new();
                let chain = if request.module == Module::Http {
                    let resolver = |t: Target| async move { resolve(&t).await };
                    probe_web::chain(
                        web,
                        to,
                        timeline,
                        &self.tls,
                        self.timeout,
                        may_probe,
                        resolver,
                        |l| log.push(l),
                    )
                    .await
                } else {
                    log.push(probe_web::intent(web, to));
                    let attempt =
                        probe_web::attempt(web, to, timeline, &self.tls, self.timeout).await;
                    log.extend(probe_web::log(&attempt));
                    probe_web::Chain {
                        attempts: vec![attempt],
                        broken: None,
                    }
                };
                for line in log {
                    f.note(line);
                }
                match probe_web::judge_chain(web, &chain) {
                    Ok(()) => f.success = true,
                    Err((step, kind, why)) => f.fail(step, kind, why),
                }
                f.web = chain.attempts;
            }
        }
    }

    async fn icmp(&self, target: &Resolved, f: &mut Findings) {
        let settings = ping::Settings::plain(Some(self.ping_count), PROBE_INTERVAL, PROBE_TIMEOUT);
        // A raw socket kept from the start when there is one; otherwise a socket of
        // this process's own (datagram, when `ping_group_range` allows it).
        let lease = self.pool.lease(Version::of(&target.addr())).await;
        let opened = match &lease {
            Some(lease) => lease.sockets(),
            None => ping::Sockets::for_address(target.addr()),
        };
        let sockets = match opened {
            Ok(s) => s,
            Err(failure) => {
                f.fail(
                    "socket",
                    None,
                    format!("opening the ICMP socket: {}", failure.why),
                );
                return;
            }
        };
        f.note(format!(
            "sending {} echo requests {:?} apart on a {} socket, each waiting {:?}",
            self.ping_count,
            PROBE_INTERVAL,
            if lease.is_some() {
                "raw (kept from the start)"
            } else {
                "datagram"
            },
            PROBE_TIMEOUT
        ));
        let outcome = ping::measure(
            &settings,
            sockets,
            std::slice::from_ref(target),
            &mut (),
            ping::Signals::Leave,
        )
        .await;
        match outcome {
            Ok(outcome) => {
                let s = outcome.targets.into_iter().next().unwrap_or_default();
                f.success = s.received > 0;
                f.note(format!(
                    "{} sent, {} answered{}",
                    s.transmitted,
                    s.received,
                    s.avg_ms
                        .map(|ms| format!(", mean rtt {ms:.3} ms"))
                        .unwrap_or_default()
                ));
                for (from, kind) in &s.errors {
                    f.note(format!("ICMP {} from {from}", kind.as_str()));
                }
                if !f.success {
                    match s.errors.first() {
                        Some((from, kind)) => f.fail(
                            "unreachable",
                            Some(kind.as_str()),
                            format!("no reply: {} from {from}", kind.as_str()),
                        ),
                        None => f.fail("timeout", None, "no reply within the timeout".into()),
                    }
                }
                f.icmp = Some((s.transmitted, s.received, s.avg_ms.map(|ms| ms / 1e3)));
            }
            Err(failure) => f.fail("socket", None, failure.why),
        }
    }

    async fn trace(&self, request: &Request, target: &Resolved, f: &mut Findings) {
        let plan = path::plan(&request.target, &self.trace);
        match path::trace_once(plan, target.clone(), self.trace_slots.clone()).await {
            Ok((outcome, took)) => {
                let round = Round::from_trace(&outcome, took);
                f.success = round.reached.is_some();
                for hop in &round.hops {
                    f.note(format!(
                        "ttl {}: {} ({} of {} answered)",
                        hop.ttl,
                        hop.address.map_or("*".to_string(), |a| a.to_string()),
                        hop.rtts.len(),
                        hop.sent
                    ));
                }
                if !f.success {
                    f.fail(
                        "unreachable",
                        None,
                        format!("not reached within {} hops", self.trace.max_hops),
                    );
                }
                f.trace = Some(round);
            }
            Err(why) => f.fail("socket", None, why),
        }
    }
}

async fn tcp(target: &Resolved, port: u16, f: &mut Findings) {
    let mut to = target.sockaddr;
    to.set_port(port);
    f.note(format!("connecting to {to}"));
    match tcp_connect(to, Duration::from_secs(5), RefusalDetail::Skip).await {
        Ok(TcpAttempt::Connected { elapsed, .. }) => {
            f.success = true;
            f.tcp_time = Some(elapsed);
            f.note(format!("connected in {elapsed:?}"));
        }
        Ok(TcpAttempt::Failed {
            icmp: Some(report), ..
        }) => {
            let version = Version::of(&to.ip());
            let kind = crate::packet::icmp::error_kind(version, report.icmp_type, report.icmp_code)
                .map_or("icmp_error", |k| k.as_str());
            let from = report.from.map_or("?".to_string(), |a| a.to_string());
            f.fail("unreachable", Some(kind), format!("{kind} from {from}"))
        }
        Ok(TcpAttempt::Failed { error, .. }) => {
            let step = if error.kind() == std::io::ErrorKind::ConnectionRefused {
                "refused"
            } else {
                "connect"
            };
            f.fail(step, None, crate::net::err::phrase(&error))
        }
        Ok(TcpAttempt::TimedOut) => f.fail("timeout", None, "no answer to the SYN".into()),
        Err(e) => f.fail("connect", None, crate::net::err::phrase(&e)),
    }
}

/// The first address of the target (the system resolver, as every command resolves).
async fn resolve(target: &Target) -> Result<SocketAddr, String> {
    match &target.host {
        Host::Ip { addr, scope } => crate::net::iface::literal_sockaddr(*addr, scope.as_deref(), 0),
        Host::Name(name) => crate::dns::system::lookup(name, 0)
            .await
            .and_then(|found| {
                crate::dns::system::first_allowed(name, crate::family::Family::Any, &found)
            })
            .map_err(|failure| failure.why),
    }
}

/// What a probe found.
#[derive(Debug, Default)]
struct Findings {
    /// When the probe started (the log's clock).
    started: Option<Instant>,
    /// `debug=true`'s log, one line a step.
    log: Vec<String>,
    success: bool,
    timed_out: bool,
    /// The step that failed, and the ICMP error kind when one said why.
    failed: Option<(&'static str, Option<&'static str>)>,
    dns_time: Option<Duration>,
    ip_protocol: Option<i64>,
    /// (sent, received, mean RTT in seconds)
    icmp: Option<(u64, u64, Option<f64>)>,
    tcp_time: Option<Duration>,
    trace: Option<Round>,
    /// module=http's request and the redirects it followed; module=tls's handshake.
    web: Vec<Attempt>,
}

#[derive(Clone, Debug, Hash, PartialEq, Eq, EncodeLabelSet)]
struct PhaseLabels {
    phase: String,
}

#[derive(Clone, Debug, Hash, PartialEq, Eq, EncodeLabelSet)]
struct StepLabels {
    step: String,
    kind: String,
}

impl Findings {
    fn note(&mut self, line: String) {
        let at = self
            .started
            .map_or(0.0, |s| s.elapsed().as_secs_f64() * 1e3);
        self.log.push(format!("{at:9.3} ms  {line}"));
    }

    /// The probe failed at `step` (the first failure is the one exported).
    fn fail(&mut self, step: &'static str, kind: Option<&'static str>, why: String) {
        self.note(format!("failed at {step}: {why}"));
        self.failed.get_or_insert((step, kind));
    }

    /// blackbox_exporter's names where it has them (`probe_success`,
    /// `probe_duration_seconds`, `probe_dns_lookup_time_seconds`, `probe_ip_protocol`,
    /// `probe_icmp_duration_seconds`), netlab's for what it adds.
    fn encode(self, module: Module, took: Duration) -> String {
        let mut r = Registry::default();
        int(
            &mut r,
            "probe_success",
            "Whether the probe succeeded",
            self.success as i64,
        );
        if let (false, Some((step, kind))) = (self.success, self.failed) {
            let f: Family<StepLabels, Gauge> = Family::default();
            f.get_or_create(&StepLabels {
                step: step.into(),
                kind: kind.unwrap_or("").into(),
            })
            .set(1);
            r.register(
                "probe_failed_step",
                "The step at which the probe failed (resolve, socket, connect, refused, timeout, unreachable with the ICMP kind)",
                f,
            );
        }
        float(
            &mut r,
            "probe_duration_seconds",
            "How long the probe took",
            took.as_secs_f64(),
        );
        int(
            &mut r,
            "probe_timed_out",
            "Whether the probe was cut at its timeout",
            self.timed_out as i64,
        );
        if let Some(t) = self.dns_time {
            float(
                &mut r,
                "probe_dns_lookup_time_seconds",
                "How long resolving the target took",
                t.as_secs_f64(),
            );
        }
        if let Some(p) = self.ip_protocol {
            int(&mut r, "probe_ip_protocol", "IP version probed (4 or 6)", p);
        }
        match module {
            Module::Icmp => {
                let (sent, received, rtt) = self.icmp.unwrap_or((0, 0, None));
                int(
                    &mut r,
                    "probe_icmp_packets_sent",
                    "Echo requests sent",
                    sent as i64,
                );
                int(
                    &mut r,
                    "probe_icmp_packets_received",
                    "First, timely echo replies",
                    received as i64,
                );
                if let Some(rtt) = rtt {
                    let f: Family<PhaseLabels, FloatGauge> = Family::default();
                    f.get_or_create(&PhaseLabels {
                        phase: "rtt".into(),
                    })
                    .set(rtt);
                    r.register(
                        "probe_icmp_duration_seconds",
                        "Mean round-trip time of the echo replies",
                        f,
                    );
                }
            }
            Module::Tcp => {
                if let Some(t) = self.tcp_time {
                    float(
                        &mut r,
                        "probe_tcp_connect_duration_seconds",
                        "How long the TCP handshake took",
                        t.as_secs_f64(),
                    );
                }
            }
            Module::Dns => {}
            Module::Http | Module::Tls => {
                probe_web::encode(&mut r, module == Module::Http, &self.web);
            }
            Module::Trace => {
                if let Some(round) = &self.trace {
                    path::encode_probe(&mut r, round);
                }
            }
        }
        let mut out = String::new();
        let _ = prometheus_client::encoding::text::encode(&mut out, &r);
        out
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn params(pairs: &[(&str, &str)]) -> Vec<(String, String)> {
        pairs
            .iter()
            .map(|(k, v)| (k.to_string(), v.to_string()))
            .collect()
    }

    fn refused(pairs: &[(&str, &str)]) -> String {
        match parse_request(&params(pairs)) {
            Err(Refusal::BadRequest(why)) => why,
            other => panic!("{pairs:?}: {other:?}"),
        }
    }

    #[test]
    fn bad_parameters_are_refused_with_the_reason() {
        assert!(refused(&[]).contains("missing parameter 'target'"));
        assert!(refused(&[("target", "a"), ("target", "b")]).contains("twice"));
        assert!(refused(&[("target", "a"), ("module", "udp")]).contains("unknown module"));
        assert!(refused(&[("target", "a"), ("x", "1")]).contains("unknown parameter 'x'"));
        assert!(refused(&[("target", "bad!name")]).contains("bad!name"));
        assert!(refused(&[("target", "a:80")]).contains("target 'a:80'"));
        assert!(refused(&[("target", "a"), ("module", "tcp")]).contains("HOST:PORT"));
        assert!(refused(&[("target", &"a".repeat(400))]).contains("400 bytes"));
        assert!(refused(&[("target", "a"), ("debug", "yes")]).contains("true or false"));
        assert!(
            parse_request(&params(&[("target", "a"), ("debug", "true")]))
                .unwrap()
                .debug
        );
    }

    #[tokio::test]
    async fn one_probe_past_max_concurrent_is_busy_at_once() {
        let prober = Prober {
            allow: vec![Allowed::parse("127.0.0.1").unwrap()],
            any_target: false,
            slots: Arc::new(Semaphore::new(1)),
            max_concurrent: 1,
            trace_slots: Arc::new(Semaphore::new(1)),
            timeout: Duration::from_secs(1),
            ping_count: 1,
            trace: TraceSettings {
                interval: Duration::from_secs(30),
                max_hops: 1,
                queries: 1,
                wait: Duration::from_secs(1),
            },
            tls: Arc::new(TlsSetup::with_roots(rustls::RootCertStore::empty()).unwrap()),
            pool: Arc::new(ProbePool::empty()),
        };
        let request =
            parse_request(&params(&[("target", "127.0.0.1"), ("module", "dns")])).unwrap();
        assert!(prober.check(&request).is_ok());
        let held = prober.slots.clone().try_acquire_owned().unwrap();
        match prober.run(request.clone(), None).await {
            Err(Refusal::Busy(why)) => assert!(why.contains("1 probes are running"), "{why}"),
            other => panic!("{other:?}"),
        }
        drop(held);
        // An address needs no resolver: the dns module succeeds without a packet.
        let body = prober.run(request, None).await.unwrap();
        assert!(body.contains("\nprobe_success 1\n"), "{body}");
        let other = parse_request(&params(&[("target", "127.0.0.2")])).unwrap();
        assert!(matches!(prober.check(&other), Err(Refusal::Forbidden(_))));
        // A refused connection: the failed step is exported, and debug=true tells why.
        let closed = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
        let port = closed.local_addr().unwrap().port();
        drop(closed);
        let target = format!("127.0.0.1:{port}");
        let request = parse_request(&params(&[
            ("target", &target),
            ("module", "tcp"),
            ("debug", "true"),
        ]))
        .unwrap();
        let body = prober.run(request, None).await.unwrap();
        assert!(body.starts_with("Logs for the probe:\n"), "{body}");
        assert!(body.contains("resolved to 127.0.0.1"), "{body}");
        assert!(
            body.contains("failed at refused: connection refused"),
            "{body}"
        );
        assert!(
            body.contains("\nMetrics that would have been returned:\n"),
            "{body}"
        );
        assert!(body.contains("\nprobe_success 0\n"), "{body}");
        assert!(
            body.contains("probe_failed_step{step=\"refused\",kind=\"\"} 1"),
            "{body}"
        );
    }

    #[test]
    fn only_allowed_targets_pass() {
        let allow = vec![
            Allowed::parse("www.netlab.test").unwrap(),
            Allowed::parse("198.18.0.0/16").unwrap(),
        ];
        let ok = |t: &str, m: &str| {
            let r = parse_request(&params(&[("target", t), ("module", m)])).unwrap();
            allowed(&allow, &r.target)
        };
        assert!(ok("WWW.netlab.test.", "icmp"));
        assert!(ok("198.18.2.2", "trace"));
        assert!(ok("198.18.2.2:80", "tcp"));
        assert!(!ok("other.netlab.test", "icmp"));
        assert!(!ok("127.0.0.1", "icmp"));
        assert!(!ok("[::1]:22", "tcp"));
    }
}
