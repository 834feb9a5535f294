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
//! - `report.rs`: live rows, the summary table, the JSON document, SIGQUIT statistics.
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
//!       "late": false }                 // first reply, but after the -W timeout
//!   ],
//!   "errors": [                  // ICMP errors about our probes, and failed sends
//!     { "target": "198.18.250.1",
//!       "seq": 1,
//!       "from": "198.18.1.2",           // the router (or host) that sent the error;
//!                                       // null for a send that failed locally
//!       "kind": "host_unreachable",     // time_exceeded, net_unreachable, host_unreachable,
//!                                       // admin_prohibited, port_unreachable, ..., send_failed
//!       "detail": "host unreachable" }  // the same for people
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
//! # Exit codes
//! 0 every target replied at least once; 1 the run completed but a target never replied
//! (100% loss, only errors); 2 the run could not be done (bad input, unresolvable name,
//! missing privilege, socket error).

use std::io::{BufRead, BufReader};
use std::net::{IpAddr, SocketAddr};
use std::time::Duration;

use crate::cli::{Family, PingArgs};
use crate::error::{no_address_of, resolver_message, Exit, Failure};
use crate::net::icmp::{self, IcmpSocket, Version};
use crate::net::iface::literal_sockaddr;
use crate::net::privilege;
use crate::output::Format;
pub use crate::target::Resolved;
use crate::target::{Host, PortSuffix, Target};

pub mod engine;
mod io;
mod report;

pub use engine::Settings;
pub use io::{measure, Observer, PingOutcome, Signals, Summary};

/// Default ICMP data bytes, as ping.
pub const DEFAULT_SIZE: usize = 56;
/// The most ICMP data an IPv4 packet can carry (65535 - 20 - 8).
pub const MAX_SIZE: i64 = 65_507;
/// iputils' floor for unprivileged users.
pub const MIN_USER_INTERVAL: Duration = Duration::from_millis(2);

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
        if args.size < 0 || args.size > MAX_SIZE {
            return Err(Failure::usage(
                "ping -s",
                format!(
                    "{} bytes of data: the size must be 0-{MAX_SIZE} (what fits in one IPv4 packet)",
                    args.size
                ),
            ));
        }
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
        if args.interval < MIN_USER_INTERVAL && !privilege::has_cap_net_raw() {
            return Err(Failure::usage(
                "ping -i",
                format!(
                    "an interval of {:?} is below the {}ms minimum for users without CAP_NET_RAW",
                    args.interval,
                    MIN_USER_INTERVAL.as_millis()
                ),
            )
            .with_hint("use -i 0.002 or more, or run with CAP_NET_RAW"));
        }
        if args.interval.is_zero() && count.is_none() && args.deadline.is_none() {
            return Err(Failure::usage(
                "ping -i",
                "an interval of 0 needs -c or -w to end the run",
            ));
        }
        let mut texts = args.targets.clone();
        if let Some(path) = &args.file {
            texts.extend(read_target_file(path)?);
        }
        if texts.is_empty() {
            return Err(Failure::usage("ping", "no targets given")
                .with_hint("name hosts on the command line or with --file FILE"));
        }
        let mut targets = Vec::with_capacity(texts.len());
        for text in &texts {
            let target = Target::parse_destination(text, PortSuffix::Forbidden)
                .map_err(|why| Failure::usage("ping: target", why))?;
            if let Host::Ip { addr, .. } = &target.host {
                if let Some(why) = args.family.family().refusal(addr) {
                    return Err(Failure::usage("ping: target", why));
                }
            }
            targets.push(target);
        }
        Ok(Plan {
            targets,
            family: args.family.family(),
            settings: Settings {
                count,
                interval: args.interval,
                timeout: args.timeout,
                deadline: args.deadline,
                size: args.size as usize,
                spread: false,
            },
            ttl,
            quiet: args.quiet,
            numeric: args.numeric,
            format: args.output.format(),
        })
    }
}

fn read_target_file(path: &std::path::Path) -> Result<Vec<String>, Failure> {
    let shown = path.display().to_string();
    let reader: Box<dyn BufRead> = if shown == "-" {
        Box::new(BufReader::new(std::io::stdin()))
    } else {
        let file = std::fs::File::open(path)
            .map_err(|e| Failure::new(format!("reading targets from {shown}"), e))?;
        Box::new(BufReader::new(file))
    };
    let mut out = Vec::new();
    for line in reader.lines() {
        let line = line.map_err(|e| Failure::new(format!("reading targets from {shown}"), e))?;
        let line = line.split('#').next().unwrap_or("").trim();
        if !line.is_empty() {
            out.push(line.to_string());
        }
    }
    Ok(out)
}

/// The sockets of a run, opened before privileges are dropped (capabilities are per
/// thread: drop them before starting the runtime or any thread that pings).
pub struct Sockets {
    pub v4: Option<IcmpSocket>,
    pub v6: Option<IcmpSocket>,
    /// Why IPv6 could not be opened, reported if an IPv6 target turns up.
    pub v6_error: Option<Failure>,
    pub v4_error: Option<Failure>,
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
            match open(version, plan.ttl) {
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
        let socket = Some(open(Version::of(&addr), None)?);
        let (v4, v6) = match addr {
            IpAddr::V4(_) => (socket, None),
            IpAddr::V6(_) => (None, socket),
        };
        Ok(Sockets {
            v4,
            v6,
            v6_error: None,
            v4_error: None,
        })
    }
}

/// Runs the plan: sockets, privilege drop, then the async driver on a runtime started
/// only now, so none of its threads ever held a capability.
pub fn run(plan: Plan) -> Result<Exit, Failure> {
    let sockets = Sockets::open(&plan)?;
    privilege::drop_all_capabilities()
        .map_err(|e| Failure::new("dropping capabilities after opening the sockets", e))?;
    let runtime = tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .map_err(|e| Failure::new("starting the async runtime", e))?;
    runtime.block_on(async {
        let resolved = resolve_all(&plan, &sockets).await?;
        let mut report = report::Report::new(&plan, &resolved);
        let outcome = measure(
            &plan.settings,
            sockets,
            &resolved,
            &mut report,
            Signals::Handle,
        )
        .await?;
        Ok(Exit::from_answered(outcome.all_answered()))
    })
}

/// Opens a raw socket, or a datagram socket when raw sockets are not allowed, and sets
/// the TTL.
fn open(version: Version, ttl: Option<u8>) -> Result<IcmpSocket, Failure> {
    let what = match version {
        Version::V4 => "opening an ICMP socket",
        Version::V6 => "opening an ICMPv6 socket",
    };
    let socket = privilege::open_icmp_socket(version, random_u16(), what)?;
    if let Some(ttl) = ttl {
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
            let what = format!("resolving {name}");
            let addrs: Vec<SocketAddr> = tokio::net::lookup_host((name.as_str(), 0))
                .await
                .map_err(|e| Failure::new(&what, resolver_message(&e)))?
                .collect();
            let usable = |a: &&SocketAddr| {
                family.allows(&a.ip())
                    && match a.ip() {
                        IpAddr::V4(_) => have_v4,
                        IpAddr::V6(_) => have_v6,
                    }
            };
            let chosen = addrs
                .iter()
                .find(usable)
                .or_else(|| addrs.iter().find(|a| family.allows(&a.ip())));
            match chosen {
                Some(a) => Ok(Resolved {
                    text,
                    sockaddr: SocketAddr::new(a.ip(), 0),
                }),
                None => Err(no_address_of(what, family, &addrs)),
            }
        }
    }
}
