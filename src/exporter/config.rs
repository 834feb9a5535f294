//! The exporter's configuration file (TOML, read with serde and the `toml` crate).
//!
//! Why TOML and not YAML: netlab already reads nothing else, `toml` is the format's
//! reference crate for Rust, and its errors carry the byte span of what failed, which
//! is what makes "one error naming the line" possible for every mistake, from a
//! missing quote to an unknown key (`deny_unknown_fields`) to a bad duration. Checks
//! that serde cannot do (a host that is not a host, a bad allow entry) keep the span of
//! their value with `toml::Spanned`, so they name their line too.
//!
//! ```toml
//! listen = "127.0.0.1:9470"          # --listen wins over this
//!
//! [ping]                             # every target, continuously
//! interval = "1s"                    # per target (unless it has its own ping_interval)
//! timeout = "1s"                     # a reply later than this is lost (and counted late)
//! size = 56                          # ICMP data bytes
//!
//! [resolve]
//! interval = "60s"                   # names are re-resolved this often (DNS resolve time)
//!
//! [trace]                            # targets with `trace = true`
//! interval = "30s"                   # one trace per target this often
//! max_hops = 30
//! queries = 3
//! wait = "2s"
//!
//! [probe]                            # the /probe endpoint
//! allow = ["www.netlab.test", "198.18.0.0/16"]   # names, addresses, CIDR prefixes
//! max_concurrent = 4                 # more at once get HTTP 503
//! timeout = "10s"                    # at most; Prometheus's scrape timeout may cut it
//! ping_count = 3                     # echo requests of module=icmp
//! ca_file = "/etc/netlab/ca.pem"     # module=http/tls trust these besides the system's
//!
//! [[target]]
//! host = "dest.netlab.test"
//! ping_interval = "5s"               # its own, instead of [ping] interval
//! trace = true                       # watch its path too
//! http = "https://dest.netlab.test/" # an http check (a URL on this host) ...
//! tls = "dest.netlab.test:443"       # ... and a tls check, every web_interval (10s)
//! ```

use std::collections::BTreeMap;
use std::net::IpAddr;
use std::ops::Range;
use std::path::Path;
use std::time::Duration;

use ipnet::IpNet;
use serde::{Deserialize, Deserializer};
use toml::Spanned;

use crate::duration::parse_duration;
use crate::error::Failure;
use crate::target::{Host, PortSuffix, Target};
use crate::web::{WebHost, WebTarget};

/// Where the exporter listens unless told otherwise: loopback only.
pub const DEFAULT_LISTEN: &str = "127.0.0.1:9470";
/// More targets than this is a mistake in a file, not a vantage point.
pub const MAX_TARGETS: usize = 10_000;
/// Longest path the exporter watches (labels `ttl` are 1..=this).
pub const MAX_HOPS: u8 = 64;
/// Most /probe requests the config may allow at once.
pub const MAX_CONCURRENT: u32 = 256;

/// The file as written (defaults filled in).
#[derive(Debug, Deserialize, Default)]
#[serde(deny_unknown_fields, default)]
pub struct File {
    pub listen: Option<Spanned<String>>,
    pub ping: PingSection,
    pub resolve: ResolveSection,
    pub trace: TraceSection,
    pub probe: ProbeSection,
    pub target: Vec<TargetEntry>,
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields, default)]
pub struct PingSection {
    /// With its place in the file: an interval below ping's minimum is refused later,
    /// when the exporter knows whether it holds `CAP_NET_RAW` ([`Config::too_fast`]).
    pub interval: Spanned<Interval>,
    #[serde(deserialize_with = "positive_duration")]
    pub timeout: Duration,
    #[serde(deserialize_with = "packet_size")]
    pub size: usize,
}

impl PingSection {
    /// Every target's interval unless it has its own.
    pub fn every(&self) -> Duration {
        self.interval.get_ref().0
    }
}

/// A duration longer than 0, as written in the file (`Spanned<Interval>` keeps its line).
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct Interval(pub Duration);

impl<'de> Deserialize<'de> for Interval {
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Interval, D::Error> {
        positive_duration(d).map(Interval)
    }
}

impl Default for PingSection {
    fn default() -> Self {
        PingSection {
            interval: Spanned::new(0..0, Interval(Duration::from_secs(1))),
            timeout: Duration::from_secs(1),
            size: crate::ping::DEFAULT_SIZE,
        }
    }
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields, default)]
pub struct ResolveSection {
    #[serde(deserialize_with = "positive_duration")]
    pub interval: Duration,
}

impl Default for ResolveSection {
    fn default() -> Self {
        ResolveSection {
            interval: Duration::from_secs(60),
        }
    }
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields, default)]
pub struct TraceSection {
    #[serde(deserialize_with = "positive_duration")]
    pub interval: Duration,
    #[serde(deserialize_with = "max_hops")]
    pub max_hops: u8,
    #[serde(deserialize_with = "queries")]
    pub queries: u8,
    #[serde(deserialize_with = "positive_duration")]
    pub wait: Duration,
}

impl Default for TraceSection {
    fn default() -> Self {
        TraceSection {
            interval: Duration::from_secs(30),
            max_hops: 30,
            queries: 3,
            wait: Duration::from_secs(2),
        }
    }
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields, default)]
pub struct ProbeSection {
    pub allow: Vec<Spanned<String>>,
    pub any_target: bool,
    #[serde(deserialize_with = "concurrency")]
    pub max_concurrent: u32,
    #[serde(deserialize_with = "positive_duration")]
    pub timeout: Duration,
    #[serde(deserialize_with = "ping_count")]
    pub ping_count: u64,
    /// PEM certificates module=http and module=tls trust besides the system's store.
    pub ca_file: Option<std::path::PathBuf>,
}

impl Default for ProbeSection {
    fn default() -> Self {
        ProbeSection {
            allow: Vec::new(),
            any_target: false,
            max_concurrent: 4,
            timeout: Duration::from_secs(10),
            ping_count: 3,
            ca_file: None,
        }
    }
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct TargetEntry {
    pub host: Spanned<String>,
    /// Pinged continuously (at `ping_interval`, or `[ping] interval`).
    #[serde(default = "yes")]
    pub ping: bool,
    /// Its own ping interval instead of `[ping] interval` (the same pinger, its own
    /// place in the schedule).
    #[serde(default)]
    pub ping_interval: Option<Spanned<Interval>>,
    #[serde(default)]
    pub trace: bool,
    /// Its own trace interval instead of `[trace] interval`.
    #[serde(default, deserialize_with = "some_positive_duration")]
    pub trace_interval: Option<Duration>,
    /// Ports to connect to (TCP handshake) every `tcp_interval`.
    #[serde(default)]
    pub tcp: Vec<u16>,
    #[serde(default, deserialize_with = "some_positive_duration")]
    pub tcp_interval: Option<Duration>,
    /// A URL on this host to GET every `web_interval` (the http check).
    #[serde(default)]
    pub http: Option<Spanned<String>>,
    /// `HOST:PORT` on this host to handshake with every `web_interval` (the tls check).
    #[serde(default)]
    pub tls: Option<Spanned<String>>,
    #[serde(default, deserialize_with = "some_positive_duration")]
    pub web_interval: Option<Duration>,
    /// Its own re-resolve interval instead of `[resolve] interval`.
    #[serde(default, deserialize_with = "some_positive_duration")]
    pub resolve_interval: Option<Duration>,
    /// Labels added to every series of this target.
    #[serde(default)]
    pub labels: Option<Spanned<BTreeMap<String, String>>>,
}

fn yes() -> bool {
    true
}

/// One entry of `[probe] allow`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Allowed {
    /// A host name, compared case-insensitively without a trailing dot.
    Name(String),
    /// An address or a prefix.
    Net(IpNet),
}

impl Allowed {
    pub fn parse(text: &str) -> Result<Allowed, String> {
        if let Ok(net) = text.parse::<IpNet>() {
            return Ok(Allowed::Net(net.trunc()));
        }
        if let Ok(addr) = text.parse::<IpAddr>() {
            return Ok(Allowed::Net(IpNet::from(addr)));
        }
        let target = Target::parse_destination(text, PortSuffix::Forbidden)?;
        match target.host {
            Host::Name(name) => Ok(Allowed::Name(normal_name(&name))),
            Host::Ip { addr, .. } => Ok(Allowed::Net(IpNet::from(addr))),
        }
    }
}

/// How names are compared: lower case, no trailing dot.
pub fn normal_name(name: &str) -> String {
    name.trim_end_matches('.').to_ascii_lowercase()
}

/// How often a TCP check connects unless the target says.
pub const DEFAULT_TCP_INTERVAL: Duration = Duration::from_secs(10);
/// Labels a target may not set: the exporter's own, and Prometheus' reserved ones.
const RESERVED_LABELS: [&str; 10] = [
    "host", "ip", "ttl", "address", "kind", "port", "check", "url", "phase", "le",
];
/// Most labels one target may carry.
pub const MAX_LABELS: usize = 16;

/// A config entry that was checked.
#[derive(Debug, Clone, PartialEq)]
pub struct ConfiguredTarget {
    pub target: Target,
    pub ping: bool,
    /// Its own ping interval (`None`: `[ping] interval`).
    pub ping_interval: Option<Duration>,
    pub trace: bool,
    pub trace_interval: Option<Duration>,
    pub tcp: Vec<u16>,
    pub tcp_interval: Duration,
    /// The http check's URL and the tls check's `HOST:PORT`, both on this target's host.
    pub http: Option<WebTarget>,
    pub tls: Option<WebTarget>,
    pub web_interval: Duration,
    pub resolve_interval: Option<Duration>,
    /// Its own labels, sorted by name.
    pub labels: Vec<(String, String)>,
}

impl ConfiguredTarget {
    /// A target given on the command line: pinged, nothing else.
    pub fn pinged(target: Target) -> ConfiguredTarget {
        ConfiguredTarget {
            target,
            ping: true,
            ping_interval: None,
            trace: false,
            trace_interval: None,
            tcp: Vec::new(),
            tcp_interval: DEFAULT_TCP_INTERVAL,
            http: None,
            tls: None,
            web_interval: DEFAULT_TCP_INTERVAL,
            resolve_interval: None,
            labels: Vec::new(),
        }
    }

    /// The name it is known by (case and a trailing dot do not matter).
    pub fn key(&self) -> String {
        normal_name(&self.target.text)
    }

    /// Whether `other` is this entry but for its ping interval: what a reload keeps
    /// running (and counting), only rescheduled in the pinger.
    pub fn same_but_ping_interval(&self, other: &ConfiguredTarget) -> bool {
        ConfiguredTarget {
            ping_interval: self.ping_interval,
            ..other.clone()
        } == *self
    }
}

/// Whether `name` may be a Prometheus label name the target sets: `[a-zA-Z_][a-zA-Z0-9_]*`,
/// not `__`-prefixed (reserved to Prometheus) and none of the exporter's own.
pub fn check_label_name(name: &str) -> Result<(), String> {
    let mut chars = name.chars();
    let first_ok = chars
        .next()
        .is_some_and(|c| c.is_ascii_alphabetic() || c == '_');
    if !first_ok || !chars.all(|c| c.is_ascii_alphanumeric() || c == '_') {
        return Err(format!(
            "label '{}' is not a Prometheus label name ([a-zA-Z_][a-zA-Z0-9_]*)",
            name.escape_default()
        ));
    }
    if name.starts_with("__") {
        return Err(format!(
            "label '{name}': names starting with __ are reserved to Prometheus"
        ));
    }
    if RESERVED_LABELS.contains(&name) {
        return Err(format!("label '{name}' is the exporter's own"));
    }
    Ok(())
}

/// The checked configuration.
#[derive(Debug)]
pub struct Config {
    pub listen: Option<String>,
    pub ping: PingSection,
    pub resolve: ResolveSection,
    pub trace: TraceSection,
    pub probe: ProbeSection,
    pub allow: Vec<Allowed>,
    pub targets: Vec<ConfiguredTarget>,
    /// The first interval (`[ping] interval` or a target's `ping_interval`) below ping's
    /// minimum for users without `CAP_NET_RAW`: the refusal, naming its line.
    too_fast: Option<Failure>,
}

impl Default for Config {
    fn default() -> Self {
        Config::check(File::default(), "", "").expect("the defaults are valid")
    }
}

impl Config {
    /// Reads and checks `path`; every error is one line naming the file and line.
    pub fn load(path: &Path) -> Result<Config, Failure> {
        let shown = path.display().to_string();
        let text = std::fs::read_to_string(path)
            .map_err(|e| Failure::new(format!("reading config {shown}"), e))?;
        Config::parse(&text, &shown)
    }

    /// Parses `text` (the contents of the file `shown`).
    pub fn parse(text: &str, shown: &str) -> Result<Config, Failure> {
        let file: File = toml::from_str(text).map_err(|e| {
            let line = e.span().map(|s| line_of(text, s.start));
            at_line(shown, line, e.message())
        })?;
        Config::check(file, text, shown)
    }

    /// Refuses the config when it pings faster than ping allows without `CAP_NET_RAW`
    /// (`-i` below 2 ms) and the exporter does not hold it (`privileged`: false).
    pub fn too_fast(&self, privileged: bool) -> Result<(), Failure> {
        match &self.too_fast {
            Some(f) if !privileged => Err(f.clone()),
            _ => Ok(()),
        }
    }

    fn check(file: File, text: &str, shown: &str) -> Result<Config, Failure> {
        let fail =
            |span: Range<usize>, why: String| at_line(shown, Some(line_of(text, span.start)), &why);
        let below_minimum = |key: &str, interval: &Spanned<Interval>| {
            let value = interval.get_ref().0;
            (value < crate::cli::MIN_USER_INTERVAL).then(|| {
                fail(
                    interval.span(),
                    format!(
                        "{key} {value:?} is below the {}ms minimum for users without CAP_NET_RAW",
                        crate::cli::MIN_USER_INTERVAL.as_millis()
                    ),
                )
            })
        };
        let mut too_fast = below_minimum("[ping] interval", &file.ping.interval);
        let listen = match file.listen {
            Some(l) => {
                let span = l.span();
                let value = l.into_inner();
                parse_listen(&value).map_err(|why| fail(span, why))?;
                Some(value)
            }
            None => None,
        };
        if file.target.len() > MAX_TARGETS {
            return Err(at_line(
                shown,
                None,
                &format!("{} targets: at most {MAX_TARGETS}", file.target.len()),
            ));
        }
        let mut targets: Vec<ConfiguredTarget> = Vec::with_capacity(file.target.len());
        let mut seen = std::collections::HashMap::new();
        for entry in file.target {
            let span = entry.host.span();
            let target =
                parse_target(entry.host.get_ref()).map_err(|why| fail(span.clone(), why))?;
            let line = line_of(text, span.start);
            if let Some(first) = seen.insert(normal_name(&target.text), line) {
                return Err(fail(
                    span,
                    format!(
                        "target '{}' is listed twice (first on line {first})",
                        target.text
                    ),
                ));
            }
            let mut labels = Vec::new();
            if let Some(l) = entry.labels {
                let span = l.span();
                let map = l.into_inner();
                if map.len() > MAX_LABELS {
                    return Err(fail(
                        span,
                        format!("{} labels: at most {MAX_LABELS}", map.len()),
                    ));
                }
                for (name, value) in map {
                    check_label_name(&name).map_err(|why| fail(span.clone(), why))?;
                    labels.push((name, value));
                }
            }
            let http = web_check(&target, false, entry.http).map_err(|(s, why)| fail(s, why))?;
            let tls = web_check(&target, true, entry.tls).map_err(|(s, why)| fail(s, why))?;
            if let Some(interval) = &entry.ping_interval {
                if !entry.ping {
                    return Err(fail(
                        interval.span(),
                        format!("target '{}': ping_interval with ping = false", target.text),
                    ));
                }
                too_fast = too_fast.or_else(|| below_minimum("ping_interval", interval));
            }
            targets.push(ConfiguredTarget {
                target,
                ping: entry.ping,
                ping_interval: entry.ping_interval.map(|i| i.get_ref().0),
                trace: entry.trace,
                trace_interval: entry.trace_interval,
                tcp: entry.tcp,
                tcp_interval: entry.tcp_interval.unwrap_or(DEFAULT_TCP_INTERVAL),
                http,
                tls,
                web_interval: entry.web_interval.unwrap_or(DEFAULT_TCP_INTERVAL),
                resolve_interval: entry.resolve_interval,
                labels,
            });
        }
        let mut allow = Vec::with_capacity(file.probe.allow.len());
        for entry in &file.probe.allow {
            let parsed = Allowed::parse(entry.get_ref()).map_err(|why| {
                fail(
                    entry.span(),
                    format!("probe allow '{}': {why}", entry.get_ref()),
                )
            })?;
            allow.push(parsed);
        }
        Ok(Config {
            listen,
            ping: file.ping,
            resolve: file.resolve,
            trace: file.trace,
            probe: file.probe,
            allow,
            targets,
            too_fast,
        })
    }
}

/// An http(s) URL, or with `tls` a `HOST:PORT` (module=http/tls's targets and a
/// `[[target]]`'s `http =`/`tls =`).
pub fn web_target(tls: bool, text: &str) -> Result<WebTarget, String> {
    match tls {
        false => WebTarget::parse_url(text),
        true if text.contains("://") => Err("is a URL; module tls takes HOST:PORT".into()),
        true => WebTarget::parse_tls(text),
    }
}

/// A target's `http = URL` (`tls`: false) or `tls = "HOST:PORT"`: parsed as /probe
/// parses them, and on the target's own host (the check connects to the address the
/// target resolved to, so another host there would test something else).
fn web_check(
    target: &Target,
    tls: bool,
    entry: Option<Spanned<String>>,
) -> Result<Option<WebTarget>, (Range<usize>, String)> {
    let Some(entry) = entry else {
        return Ok(None);
    };
    let key = if tls { "tls" } else { "http" };
    let span = entry.span();
    let text = entry.into_inner();
    let web =
        web_target(tls, &text).map_err(|why| (span.clone(), format!("{key} '{text}': {why}")))?;
    let same = match (&target.host, &web.host) {
        (Host::Name(a), WebHost::Name(b)) => normal_name(a) == normal_name(b),
        (Host::Ip { addr, .. }, WebHost::Ip(b)) => addr == b,
        _ => false,
    };
    if !same {
        return Err((
            span,
            format!(
                "{key} '{text}': its host {} is not the target's ({})",
                web.host, target.text
            ),
        ));
    }
    Ok(Some(web))
}

/// A target to ping: a host name or an address, no port.
pub fn parse_target(text: &str) -> Result<Target, String> {
    Target::parse_destination(text, PortSuffix::Forbidden)
        .map_err(|why| format!("target '{text}': {why}"))
}

/// `ADDR:PORT` or `[V6ADDR]:PORT`; an address is required (no "every address" default:
/// listening beyond loopback must be asked for by name).
pub fn parse_listen(text: &str) -> Result<std::net::SocketAddr, String> {
    text.parse::<std::net::SocketAddr>().map_err(|_| {
        format!("listen address '{text}' is not ADDR:PORT (e.g. 127.0.0.1:9470 or [::1]:9470)")
    })
}

/// The 1-based line of byte `offset` in `text`.
fn line_of(text: &str, offset: usize) -> usize {
    let end = offset.min(text.len());
    1 + text.as_bytes()[..end]
        .iter()
        .filter(|&&b| b == b'\n')
        .count()
}

fn at_line(shown: &str, line: Option<usize>, why: &str) -> Failure {
    let what = match line {
        Some(line) => format!("config {shown} line {line}"),
        None => format!("config {shown}"),
    };
    Failure::new(what, why.trim())
}

fn positive_duration<'de, D: Deserializer<'de>>(d: D) -> Result<Duration, D::Error> {
    let text = String::deserialize(d)?;
    let value = parse_duration(&text).map_err(serde::de::Error::custom)?;
    if value.is_zero() {
        return Err(serde::de::Error::custom(format!(
            "'{text}': must be longer than 0"
        )));
    }
    Ok(value)
}

fn some_positive_duration<'de, D: Deserializer<'de>>(d: D) -> Result<Option<Duration>, D::Error> {
    positive_duration(d).map(Some)
}

fn ranged<'de, D: Deserializer<'de>>(
    d: D,
    low: i64,
    high: i64,
    what: &str,
) -> Result<i64, D::Error> {
    let value = i64::deserialize(d)?;
    if !(low..=high).contains(&value) {
        return Err(serde::de::Error::custom(format!(
            "{what} {value} is out of range ({low}-{high})"
        )));
    }
    Ok(value)
}

fn packet_size<'de, D: Deserializer<'de>>(d: D) -> Result<usize, D::Error> {
    Ok(ranged(d, 0, crate::ping::MAX_SIZE, "size")? as usize)
}

fn max_hops<'de, D: Deserializer<'de>>(d: D) -> Result<u8, D::Error> {
    Ok(ranged(d, 1, MAX_HOPS as i64, "max_hops")? as u8)
}

fn queries<'de, D: Deserializer<'de>>(d: D) -> Result<u8, D::Error> {
    Ok(ranged(d, 1, crate::cli::MAX_QUERIES as i64, "queries")? as u8)
}

fn concurrency<'de, D: Deserializer<'de>>(d: D) -> Result<u32, D::Error> {
    Ok(ranged(d, 1, MAX_CONCURRENT as i64, "max_concurrent")? as u32)
}

fn ping_count<'de, D: Deserializer<'de>>(d: D) -> Result<u64, D::Error> {
    Ok(ranged(d, 1, 100, "ping_count")? as u64)
}

#[cfg(test)]
#[path = "config_tests.rs"]
mod tests;

#[cfg(test)]
mod example {
    #[test]
    fn the_example_file_parses() {
        let text = include_str!("../../examples/exporter.toml");
        let c = super::Config::parse(text, "examples/exporter.toml").unwrap();
        assert_eq!(c.targets.len(), 2);
        assert_eq!(c.allow.len(), 3);
        assert_eq!(
            c.targets[1].ping_interval,
            Some(std::time::Duration::from_secs(5))
        );
    }
}
