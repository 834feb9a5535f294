//! `netlab ping`: ICMP echo to one or many targets, IPv4 and IPv6, privileged or not.
//!
//! The story in this folder:
//! - `mod.rs` (here): the typed plan built from the command line, and the run: resolve
//!   the targets, open one ICMP socket per family (raw with `CAP_NET_RAW`, datagram
//!   otherwise), drop privileges, then hand over to the driver.
//! - `engine.rs`: the sans-IO state machine — schedule, match, count. Tested against a
//!   simulated network in `sim.rs`.
//! - `io.rs`: the thin driver: tokio, the sockets of `net::icmp`, kernel timestamps,
//!   signals. It prints nothing: [`measure`] tells an [`Observer`] what happens and
//!   returns a [`PingOutcome`], so `check` pings through the same loop.
//! - `report.rs`: live rows, the summary table, the JSON document (or with `--watch`
//!   its NDJSON stream), SIGQUIT statistics.
//! - `live/`: `--watch` on a terminal, the full-screen chart and table: one more
//!   observer of the same driver, on the live framework shared with `trace --watch`
//!   (`crate::live`).
//! - `json.rs`: the `--json` document's records; `atlas.rs`: the same records as RIPE
//!   Atlas ping results (`--format atlas`).
//! - `probe_interface.rs`: `--probe-interface`, RFC 8335 interface probes to one router.
//!
//! iputils' other flags fit this split: what changes the schedule or the payload (`-l`,
//! `-A`, `-f`, `-O`, `-p`) is engine settings, tested in virtual time (`sim_flags.rs`);
//! what changes the socket (`-I`, `-Q`, `-M`, `-m`, `-b`) is one `net::options` value
//! applied where the sockets open, so a refusal is one error naming the fix
//! (`net::privilege::option_refused`); what needs `CAP_NET_RAW` (`-f`, `-l` above 3,
//! `-i` below 2 ms) is refused by the plan before anything opens.
//!
//! # JSON output (`--json`)
//!
//! One document on stdout when the run ends, nothing else on stdout:
//!
//! ```text
//! {
//!   "replies": [                 // every echo reply, in arrival order
//!     { "target": "dest.netlab.test",   // the target as given
//!       "seq": 1,                       // the target's probe number, from 1
//!       "from": "198.18.2.2",           // who replied
//!       "name": "dest.netlab.test",     // its reverse name, or null (always null with -n)
//!       "bytes": 64,                    // ICMP bytes received (header + data)
//!       "ttl": 62,                      // TTL / hop limit of the reply, or null
//!       "rtt_ms": 0.123,                // round-trip time, ms, microsecond precision
//!       "duplicate": false,             // another reply to a probe already answered
//!       "late": false,                  // first reply, but after the -W timeout
//!       "unix_time": 1764635000.123456 } // when it was read, seconds since 1970 (-D's)
//!   ],
//!   "errors": [                  // ICMP errors about our probes, and failed sends
//!     { "target": "198.18.250.1",
//!       "seq": 1,
//!       "from": "198.18.1.2",           // the router (or host) that sent the error;
//!                                       // null for a send that failed locally
//!       "kind": "host_unreachable",     // time_exceeded, net_unreachable, host_unreachable,
//!                                       // admin_prohibited, port_unreachable,
//!                                       // fragmentation_needed, packet_too_big, ...,
//!                                       // message_too_long (local, -M do), send_failed
//!       "detail": "host unreachable",   // the same for people
//!       "mtu": null }                   // the MTU fragmentation_needed / packet_too_big
//!                                       // gave, or message_too_long's path MTU
//!   ],
//!   "summary": [                 // one object per target, in command-line order
//!     { "target": "dest.netlab.test",
//!       "address": "198.18.2.2",        // the address pinged
//!       "transmitted": 3,
//!       "received": 3,                  // first replies within the timeout
//!       "duplicates": 0,
//!       "errors": 0,                    // ICMP errors + failed sends
//!       "late": 0,                      // replies after the timeout (not in received)
//!       "loss_percent": 0.0,            // (transmitted - received) / transmitted * 100
//!       "min_ms": 0.101, "avg_ms": 0.123, "max_ms": 0.150,
//!       "mdev_ms": 0.020,               // standard deviation, as iputils' mdev
//!       "jitter_ms": 0.015 }            // mean |difference| of consecutive RTTs;
//!                                       // the five RTT fields are null without replies
//!   ]
//! }
//! ```
//!
//! With `--watch --json` the same records are streamed instead, one object per line as
//! they happen, each with a `"type"`: `"reply"` and `"error"` (the fields above),
//! `"timeout"` (`target`, `seq`), and last `{"type": "summary", "summary": [...]}`.
//!
//! With `--probe-interface` (`probe_interface.rs`) the document is the probes' instead:
//!
//! ```text
//! {
//!   "router": "198.18.0.2",        // the router asked
//!   "interface": "lo",             // the interface as given
//!   "query": "name",               // how it was asked for: name, index or address
//!   "probes": [                    // one per probe, in order
//!     { "seq": 1,                  // the probe's number, from 1
//!       "rtt_ms": 0.123,           // null: no answer within -W
//!       "code": 0,                 // the reply's RFC 8335 code; null: no answer
//!       "meaning": "no_error",     // no_error, malformed_query, no_such_interface,
//!                                  // no_such_table_entry, multiple_interfaces, other;
//!                                  // "timeout" when no answer came
//!       "state": "up",             // up or down; null unless the code is 0
//!       "families": ["ipv4", "ipv6"] }  // the address families active on it
//!   ],
//!   "transmitted": 2, "answered": 2,
//!   "up": 2                        // answers that found the interface up
//! }
//! ```
//!
//! # Exit codes
//! 0 every target replied at least once; 1 the run completed but a target never replied
//! (100% loss, only errors); 2 the run could not be done (bad input, unresolvable name,
//! missing privilege, socket error).

use std::net::{IpAddr, SocketAddr};
use std::time::Duration;

use crate::cli::{Family, PingArgs, PmtuDiscArg, MIN_USER_INTERVAL};
use crate::dns::system;
use crate::error::{Exit, Failure};
use crate::net::icmp::{self, IcmpSocket, Version};
use crate::net::iface::{self, literal_sockaddr};
use crate::net::options::{Pmtu, SocketOptions};
use crate::net::privilege;
use crate::output::Format;
pub use crate::target::Resolved;
use crate::target::{Host, PortSuffix, Target};

mod atlas;
pub mod engine;
mod io;
mod json;
mod live;
pub mod plot;
mod probe_interface;
mod report;
mod sweep;

pub use engine::Settings;
pub use io::{measure, Observer, PingOutcome, Signals, Summary};

/// Default ICMP data bytes, as ping.
pub const DEFAULT_SIZE: usize = 56;
/// The most ICMP data an IPv4 packet can carry (65535 - 20 - 8).
pub const MAX_SIZE: i64 = 65_507;
/// The most ICMPv6 data an IPv6 packet can carry (65535 - 8: the payload length does
/// not count the IPv6 header).
pub const MAX_SIZE_V6: i64 = 65_527;
/// The default interval, and flood's (`-f`): as iputils.
pub const DEFAULT_INTERVAL: Duration = Duration::from_secs(1);
pub const FLOOD_INTERVAL: Duration = Duration::from_millis(10);
/// `-A` without CAP_NET_RAW never sends closer together than this (iputils' floor).
pub const MIN_USER_ADAPTIVE: Duration = Duration::from_millis(200);
/// The most `-l` probes a user without CAP_NET_RAW may send at once (iputils' limit).
pub const MAX_USER_PRELOAD: u16 = 3;
/// The longest `-p` pattern, in bytes (iputils' limit).
pub const MAX_PATTERN: usize = 16;

impl Settings {
    /// `count` probes (`None`: until stopped), one every `interval`, each waiting
    /// `timeout` for its reply, of the default size; none of the flags beyond those
    /// (deadline, pattern, preload, adaptive pacing, `-O`, spreading). What `check` and
    /// the exporter ask of ping; they change the field they need on top.
    pub const fn plain(count: Option<u64>, interval: Duration, timeout: Duration) -> Settings {
        Settings {
            count,
            interval,
            timeout,
            deadline: None,
            size: DEFAULT_SIZE,
            pattern: Vec::new(),
            preload: 1,
            adaptive: None,
            report_outstanding: false,
            spread: false,
            intervals: Vec::new(),
        }
    }
}

/// A validated ping run.
#[derive(Debug, Clone)]
pub struct Plan {
    pub targets: Vec<Target>,
    pub family: Family,
    /// How the probes go.
    pub settings: Settings,
    pub ttl: Option<u8>,
    pub quiet: bool,
    pub numeric: bool,
    pub format: Format,
    /// `--plot`: where to draw the run.
    pub plot: Option<crate::plot::PlotFile>,
    /// `-I ADDR`: the probes' source address.
    pub source: Option<IpAddr>,
    /// `-I IFACE`, `-Q`, `-M`, `-m`, `-b`: what every probe socket is given.
    pub options: SocketOptions,
    /// `-f`: dots and backspaces instead of rows.
    pub flood: bool,
    /// `-D`: the Unix time before each row.
    pub timestamps: bool,
    /// `--probe-interface`: RFC 8335 probes instead of echo (`probe_interface.rs`).
    pub probe: Option<probe_interface::ProbePlan>,
    /// `--watch`: the live view on a terminal, the rows (or NDJSON) elsewhere.
    pub watch: bool,
    /// A range, `-a` or `-u`: one probe per address at `--rate` (`sweep.rs`).
    pub sweep: Option<sweep::SweepPlan>,
}

impl Plan {
    pub fn from_args(args: PingArgs) -> Result<Plan, Failure> {
        let count = match args.count {
            None => None,
            Some(n) if n >= 1 => Some(n as u64),
            Some(n) => {
                return Err(Failure::usage(
                    "ping -c",
                    format!("count {n} is not a number of probes (at least 1)"),
                ))
            }
        };
        if args.timeout.is_zero() {
            return Err(Failure::usage(
                "ping -W",
                "the reply timeout must be longer than 0",
            ));
        }
        if args.deadline.is_some_and(|d| d.is_zero()) {
            return Err(Failure::usage(
                "ping -w",
                "the deadline must be longer than 0",
            ));
        }
        let privileged = privilege::has_cap_net_raw();
        let (source, device) = match args.interface.as_deref() {
            None => (None, None),
            Some(text) => match text.parse::<IpAddr>() {
                Ok(addr) if addr.is_unspecified() => {
                    return Err(Failure::usage(
                        "ping -I",
                        format!("{addr} is no source address (it means any)"),
                    ))
                }
                Ok(addr) => (Some(addr), None),
                Err(_) => {
                    iface::index_of(text).map_err(|_| {
                        Failure::usage("ping -I", format!("no network interface named '{text}'"))
                            .with_hint(format!(
                                "give an interface from `{}`, or a source address",
                                crate::net::tools::LIST_INTERFACES
                            ))
                    })?;
                    (None, Some(text.to_string()))
                }
            },
        };
        // A source address decides the family, as with iputils.
        let family = match (args.family.family(), source) {
            (Family::Any, Some(IpAddr::V4(_))) => Family::V4,
            (Family::Any, Some(IpAddr::V6(_))) => Family::V6,
            (family, Some(src)) => {
                if let Some(why) = family.refusal(&src) {
                    return Err(Failure::usage("ping -I", why));
                }
                family
            }
            (family, None) => family,
        };
        if args.size < 0
            || args.size > MAX_SIZE_V6
            || (args.size > MAX_SIZE && family == Family::V4)
        {
            return Err(size_refusal(args.size));
        }
        let pattern = match &args.pattern {
            None => Vec::new(),
            Some(text) => parse_pattern(text).map_err(|why| Failure::usage("ping -p", why))?,
        };
        if args.flood && !privileged {
            return Err(Failure::usage(
                "ping -f",
                "flooding needs CAP_NET_RAW (iputils allows it only to the super-user)",
            )
            .with_hint(privilege::cap_net_raw_hint()));
        }
        if let Some(n) = args
            .preload
            .filter(|&n| n > MAX_USER_PRELOAD && !privileged)
        {
            return Err(Failure::usage(
                "ping -l",
                format!("a preload of {n} is above {MAX_USER_PRELOAD}, the most for users without CAP_NET_RAW"),
            )
            .with_hint(privilege::cap_net_raw_hint()));
        }
        let interval = args.interval.unwrap_or(if args.flood {
            FLOOD_INTERVAL
        } else {
            DEFAULT_INTERVAL
        });
        let adaptive = match (args.flood, args.adaptive) {
            (true, _) => Some(Duration::ZERO),
            (false, true) if privileged => Some(Duration::ZERO),
            (false, true) => Some(MIN_USER_ADAPTIVE),
            (false, false) => None,
        };
        let ttl = match args.ttl {
            None => None,
            Some(t @ 1..=255) => Some(t as u8),
            Some(t) => {
                return Err(Failure::usage(
                    "ping -t",
                    format!("TTL {t} is out of range (1-255)"),
                ))
            }
        };
        if interval < MIN_USER_INTERVAL && !privileged {
            return Err(Failure::usage(
                "ping -i",
                format!(
                    "an interval of {:?} is below the {}ms minimum for users without CAP_NET_RAW",
                    interval,
                    MIN_USER_INTERVAL.as_millis()
                ),
            )
            .with_hint("use -i 0.002 or more, or run with CAP_NET_RAW"));
        }
        if interval.is_zero() && count.is_none() && args.deadline.is_none() {
            return Err(Failure::usage(
                "ping -i",
                "an interval of 0 needs -c or -w to end the run",
            ));
        }
        let format = args.output.format_for("ping", &[Format::Atlas])?;
        if args.watch && format == Format::Atlas {
            return Err(Failure::usage(
                "ping --watch",
                "--format atlas is one document at the end of a run, not a stream",
            )
            .with_hint("use --json for one JSON object per line as replies arrive"));
        }
        let texts = crate::target::file::with_file(
            &args.targets,
            args.file.as_deref(),
            args.max_targets as usize,
            PortSuffix::Forbidden,
        )?;
        if texts.is_empty() {
            return Err(Failure::usage("ping", "no targets given")
                .with_hint("name hosts on the command line or with --file FILE"));
        }
        let sweep = sweep::SweepPlan::from_args(&args, &texts)?;
        let targets = crate::target::expand_destinations(
            &texts,
            PortSuffix::Forbidden,
            args.max_targets as usize,
        )
        .map_err(|(text, why)| Failure::usage(format!("ping: target '{text}'"), why))?;
        for target in &targets {
            if let Host::Ip { addr, .. } = &target.host {
                if let Some(why) = family.refusal(addr) {
                    let why = match source {
                        Some(src) => format!("{addr} cannot be pinged from -I {src}"),
                        None => why,
                    };
                    return Err(Failure::usage("ping: target", why));
                }
                if addr.is_ipv4() && args.size > MAX_SIZE {
                    return Err(size_refusal(args.size));
                }
                if let IpAddr::V4(v4) = addr {
                    if !args.broadcast && iface::is_broadcast(*v4) {
                        return Err(broadcast_refusal(*addr));
                    }
                }
            }
        }
        let probe = match &args.probe_interface {
            None => None,
            Some(interface) => Some(probe_plan(&args, interface, &targets, count)?),
        };
        let mut settings = Settings {
            count,
            interval,
            timeout: args.timeout,
            deadline: args.deadline,
            size: args.size as usize,
            pattern,
            preload: args.preload.map_or(1, u64::from),
            adaptive,
            report_outstanding: args.report_outstanding,
            spread: false,
            intervals: Vec::new(),
        };
        if let Some(sweep) = &sweep {
            sweep.pace(&mut settings, targets.len());
        }
        Ok(Plan {
            probe,
            targets,
            family,
            settings,
            sweep,
            ttl,
            quiet: args.quiet || args.flood,
            numeric: args.numeric,
            format,
            plot: match args.plot {
                Some(plot) => Some(plot.checked()?),
                None => None,
            },
            source,
            options: SocketOptions {
                device,
                tos: args.tos,
                pmtu: args.pmtudisc.map(|m| match m {
                    PmtuDiscArg::Do => Pmtu::Do,
                    PmtuDiscArg::Want => Pmtu::Want,
                    PmtuDiscArg::Dont => Pmtu::Dont,
                    PmtuDiscArg::Probe => Pmtu::Probe,
                }),
                mark: args.mark,
                broadcast: args.broadcast,
                answer_wait: Some(args.timeout),
            },
            flood: args.flood,
            timestamps: args.timestamps,
            watch: args.watch,
        })
    }
}

fn size_refusal(size: i64) -> Failure {
    Failure::usage(
        "ping -s",
        format!(
            "{size} bytes of data: the size must be 0-{MAX_SIZE} for IPv4 \
             (0-{MAX_SIZE_V6} for IPv6): what fits in one packet"
        ),
    )
}

/// iputils' "Do you want to ping broadcast? Then -b."
fn broadcast_refusal(addr: IpAddr) -> Failure {
    Failure::usage(format!("ping {addr}"), "this is a broadcast address").with_hint(
        "add -b to ping it (every host on the link that answers broadcasts replies); \
         if you did not mean a broadcast, check the address",
    )
}

/// `-p`: up to [`MAX_PATTERN`] bytes as hex digits, two per byte (`ff00`).
fn parse_pattern(text: &str) -> Result<Vec<u8>, String> {
    let digits = text.strip_prefix("0x").unwrap_or(text);
    if digits.is_empty()
        || !digits.len().is_multiple_of(2)
        || !digits.bytes().all(|b| b.is_ascii_hexdigit())
    {
        return Err(format!(
            "'{text}' is not a pattern: give hex bytes, two digits each (e.g. ff00)"
        ));
    }
    if digits.len() / 2 > MAX_PATTERN {
        return Err(format!(
            "'{text}' is {} bytes: a pattern is at most {MAX_PATTERN}",
            digits.len() / 2
        ));
    }
    (0..digits.len())
        .step_by(2)
        .map(|i| u8::from_str_radix(&digits[i..i + 2], 16).map_err(|e| e.to_string()))
        .collect()
}

/// The sockets of a run, opened before privileges are dropped (capabilities are per
/// thread: drop them before starting the runtime or any thread that pings).
pub struct Sockets {
    pub v4: Option<IcmpSocket>,
    pub v6: Option<IcmpSocket>,
    /// Why IPv6 could not be opened, reported if an IPv6 target turns up.
    pub v6_error: Option<Failure>,
    pub v4_error: Option<Failure>,
    /// `-I`: what the sockets are bound to, so a local "message too long" names the MTU
    /// of the route the probes take.
    pub source: Option<IpAddr>,
    pub device: Option<String>,
}

impl Sockets {
    /// The sockets `plan`'s targets need: a family given with -4/-6 or by a literal must
    /// open; with names, a family that cannot open is reported only if a name resolves
    /// to it.
    pub fn open(plan: &Plan) -> Result<Sockets, Failure> {
        let literal = |v: Version| {
            plan.targets.iter().any(|t| match &t.host {
                Host::Ip { addr, .. } => Version::of(addr) == v,
                Host::Name(_) => false,
            })
        };
        let names = plan.targets.iter().any(|t| matches!(t.host, Host::Name(_)));
        let want = |v: Version, flag: Family| {
            plan.family == flag || (plan.family == Family::Any && (names || literal(v)))
        };
        // A family that must work fails the run; one only a name might need is kept
        // as the reason it is missing.
        let open_family = |version: Version, flag: Family| {
            if !want(version, flag) {
                return Ok((None, None));
            }
            match open(version, plan) {
                Ok(s) => Ok((Some(s), None)),
                Err(f) if plan.family == Family::Any && !literal(version) => Ok((None, Some(f))),
                Err(f) => Err(f),
            }
        };
        let (v4, v4_error) = open_family(Version::V4, Family::V4)?;
        let (v6, v6_error) = open_family(Version::V6, Family::V6)?;
        let sockets = Sockets {
            v4,
            v6,
            v6_error,
            v4_error,
            source: plan.source,
            device: plan.options.device.clone(),
        };
        if sockets.v4.is_none() && sockets.v6.is_none() {
            return Err(sockets
                .v4_error
                .or(sockets.v6_error)
                .unwrap_or_else(|| Failure::new("ping", "no socket could be opened")));
        }
        Ok(sockets)
    }

    /// The one socket that pinging `addr` needs, with the system's TTL.
    pub fn for_address(addr: IpAddr) -> Result<Sockets, Failure> {
        let what = match addr {
            IpAddr::V4(_) => "opening an ICMP socket",
            IpAddr::V6(_) => "opening an ICMPv6 socket",
        };
        let socket = Some(privilege::open_icmp_socket(
            Version::of(&addr),
            random_u16(),
            what,
        )?);
        let (v4, v6) = match addr {
            IpAddr::V4(_) => (socket, None),
            IpAddr::V6(_) => (None, socket),
        };
        Ok(Sockets {
            v4,
            v6,
            v6_error: None,
            v4_error: None,
            source: None,
            device: None,
        })
    }
}

/// Runs the plan: sockets, privilege drop, then the async driver on a runtime started
/// only now, so none of its threads ever held a capability.
/// `--probe-interface`: one router, given as an address, shown as a table.
fn probe_plan(
    args: &PingArgs,
    interface: &str,
    targets: &[Target],
    count: Option<u64>,
) -> Result<probe_interface::ProbePlan, Failure> {
    let what = "ping --probe-interface";
    let router = match targets {
        [Target {
            host: crate::target::Host::Ip { addr, .. },
            ..
        }] => *addr,
        [_] => return Err(Failure::usage(what, "give the router as an address")),
        _ => return Err(Failure::usage(what, "probes go to one router at a time")),
    };
    // One line per probe as it is answered: there is no live view of them to draw.
    if args.watch {
        return Err(
            Failure::usage(what, "--watch draws echo replies, not interface probes")
                .with_hint("drop --watch: each probe prints its line as it is answered"),
        );
    }
    // The lines (table, markdown) or one JSON document; Atlas has no result type for it.
    let format = args.output.format_for("ping", &[Format::Atlas])?;
    if format == Format::Atlas {
        return Err(
            Failure::usage(what, "RIPE Atlas has no result type for RFC 8335 probes")
                .with_hint("use --format table or --format json"),
        );
    }
    if crate::packet::ext_echo::InterfaceQuery::from_text(interface).is_none() {
        return Err(Failure::usage(
            what,
            format!("{interface:?} is not an interface name, index or address"),
        ));
    }
    Ok(probe_interface::ProbePlan {
        router,
        interface: interface.to_string(),
        count: count.unwrap_or(4),
        interval: args.interval.unwrap_or(Duration::from_secs(1)),
        timeout: args.timeout,
        format,
    })
}

pub fn run(plan: Plan, out: &crate::output::Stdout) -> Result<Exit, Failure> {
    if let Some(probe) = &plan.probe {
        return probe_interface::run(probe, out);
    }
    let sockets = Sockets::open(&plan)?;
    privilege::drop_all_capabilities()
        .map_err(|e| Failure::new("dropping capabilities after opening the sockets", e))?;
    let runtime = tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .map_err(|e| Failure::new("starting the async runtime", e))?;
    let result = runtime.block_on(async {
        let resolved = resolve_all(&plan, &sockets).await?;
        if let Some(sweep) = plan.sweep.filter(|s| s.own_output(plan.format)) {
            let mut report = sweep::SweepReport::new(&sweep, out, &resolved);
            let outcome = measure(
                &plan.settings,
                sockets,
                &resolved,
                &mut report,
                Signals::Handle,
            )
            .await?;
            return Ok(Exit::from_answered(outcome.all_answered()));
        }
        let mut report = report::Report::new(&plan, out, &resolved);
        let outcome = if live::wanted(&plan) {
            let mut view = live::Live::start(&plan, &resolved, report)
                .map_err(|e| Failure::new("starting the live view", e))?;
            let outcome = measure(
                &plan.settings,
                sockets,
                &resolved,
                &mut view,
                Signals::Handle,
            )
            .await;
            if let Some(err) = view.failed.take() {
                return Err(Failure::new("drawing the live view", err));
            }
            report = view.into_report();
            outcome?
        } else {
            measure(
                &plan.settings,
                sockets,
                &resolved,
                &mut report,
                Signals::Handle,
            )
            .await?
        };
        if let Some(failure) = report.plot_failure.take() {
            return Err(failure);
        }
        Ok(Exit::from_answered(outcome.all_answered()))
    });
    // Dropped, the runtime would wait for every reverse lookup still running (a resolver
    // that does not answer: seconds) after the rows and the summary were printed without
    // them. The run is over: the process exits with the lookups unfinished.
    runtime.shutdown_background();
    result
}

/// Opens a raw socket, or a datagram socket when raw sockets are not allowed, with the
/// plan's source, options and TTL.
fn open(version: Version, plan: &Plan) -> Result<IcmpSocket, Failure> {
    let what = match version {
        Version::V4 => "opening an ICMP socket",
        Version::V6 => "opening an ICMPv6 socket",
    };
    let socket =
        privilege::open_icmp_socket_with(version, random_u16(), what, plan.source, &plan.options)?;
    if let Some(ttl) = plan.ttl {
        socket
            .set_ttl(ttl)
            .map_err(|e| Failure::new(format!("setting TTL {ttl}"), e))?;
    }
    Ok(socket)
}

fn random_u16() -> u16 {
    u16::from_be_bytes(icmp::random_bytes::<2>())
}

/// Resolves every target to one address (system resolver: /etc/hosts, then DNS), in
/// parallel. A name that does not resolve ends the run (exit 2) before anything is sent.
async fn resolve_all(plan: &Plan, sockets: &Sockets) -> Result<Vec<Resolved>, Failure> {
    let mut lookups = Vec::with_capacity(plan.targets.len());
    for target in &plan.targets {
        let target = target.clone();
        let family = plan.family;
        let have_v4 = sockets.v4.is_some();
        let have_v6 = sockets.v6.is_some();
        lookups.push(tokio::spawn(async move {
            resolve_one(&target, family, have_v4, have_v6).await
        }));
    }
    let mut out = Vec::with_capacity(lookups.len());
    for lookup in lookups {
        let resolved = lookup
            .await
            .map_err(|e| Failure::new("resolving targets", e))??;
        match Version::of(&resolved.addr()) {
            Version::V4 if sockets.v4.is_none() => {
                return Err(sockets.v4_error.clone().unwrap_or_else(|| {
                    Failure::new(format!("ping {}", resolved.text), "IPv4 is not available")
                }))
            }
            Version::V6 if sockets.v6.is_none() => {
                return Err(sockets.v6_error.clone().unwrap_or_else(|| {
                    Failure::new(format!("ping {}", resolved.text), "IPv6 is not available")
                }))
            }
            _ => {}
        }
        match resolved.addr() {
            IpAddr::V4(v4) if !plan.options.broadcast && iface::is_broadcast(v4) => {
                return Err(broadcast_refusal(v4.into()))
            }
            IpAddr::V4(_) if plan.settings.size as i64 > MAX_SIZE => {
                return Err(size_refusal(plan.settings.size as i64))
            }
            _ => {}
        }
        out.push(resolved);
    }
    Ok(out)
}

async fn resolve_one(
    target: &Target,
    family: Family,
    have_v4: bool,
    have_v6: bool,
) -> Result<Resolved, Failure> {
    let text = target.text.clone();
    match &target.host {
        Host::Ip { addr, scope } => {
            let sockaddr = literal_sockaddr(*addr, scope.as_deref(), 0)
                .map_err(|why| Failure::usage(format!("ping {text}"), why))?;
            Ok(Resolved { text, sockaddr })
        }
        Host::Name(name) => {
            let addrs = system::lookup(name, 0).await?;
            let usable = |a: &&SocketAddr| {
                family.allows(&a.ip())
                    && match a.ip() {
                        IpAddr::V4(_) => have_v4,
                        IpAddr::V6(_) => have_v6,
                    }
            };
            let chosen = match addrs.iter().find(usable) {
                Some(a) => *a,
                None => system::first_allowed(name, family, &addrs)?,
            };
            Ok(Resolved {
                text,
                sockaddr: SocketAddr::new(chosen.ip(), 0),
            })
        }
    }
}
