//! `netlab trace`: the route to a host, hop by hop, with UDP, ICMP or TCP probes, many
//! TTLs in flight at once, and the lab's address check (does the trace end on the address
//! the name resolved to?).
//!
//! The story in this folder:
//! - `mod.rs` (here): the typed plan, resolution, sockets and privileges, and the JSON
//!   schema.
//! - `engine.rs`: the sans-IO state machine — window, adaptive timeouts, hop order, the
//!   end of the trace. Tested against simulated paths in `sim.rs`.
//! - `probe.rs`: what probes carry and how responses are matched to them (pure; fuzzed).
//! - `io.rs`: the driver, one thread around `poll(2)`; every OS call is in `net::probe`,
//!   `net::raw_tcp` and `net::icmp`. It prints nothing: [`run_trace`] tells an
//!   [`Observer`] what happens and returns a [`TraceOutcome`], so `check` traces through
//!   the same loop.
//! - `report.rs`: one trace's printer: live rows in hop order, the footer, the documents.
//! - `address_check.rs`: the lab's verdict (does the trace end on the resolved address?).
//! - `json.rs`: one trace's JSON document; `atlas.rs`: the same records as a RIPE
//!   Atlas traceroute result (`--format atlas`).
//! - `pmtu.rs` (`--mtu`), `asn.rs` (`-A`), `extras.rs` (what they and `--back` add to
//!   a row and to the JSON).
//! - `options.rs`: traceroute's per-probe flags (`-s`, `--interface`, `-t`, `-F`, the
//!   packet length, `-N`): socket options and probe size, applied by the driver.
//! - `rounds.rs`: `-c N` and `--watch`: the engine run round after round, a state
//!   machine that consumes the engine (one per round) behind the same driver, through
//!   the `Machine` trait both implement; tested in virtual time in `rounds_sim.rs`.
//! - `stats.rs`: per-hop statistics over the rounds, bounded in memory, and the verdict
//!   that explains loss (forwarding or the router's own replies).
//! - `multipath.rs`: where the paths of `--flows` split and merge (pure).
//! - `watch.rs`: the rounds' printer: report table, stream lines, `--flows` threads;
//!   `documents.rs`: its JSON, NDJSON and CSV documents.
//! - `names.rs`: reverse names on threads, cached, for every printer.
//! - `live.rs` (+ `live/`): `--watch` on a terminal, the full-screen view: one more
//!   consumer of the rounds, drawing from the statistics' snapshot (terminal calls in
//!   `live/terminal.rs`, the picture a pure function in `live/draw.rs`).
//!
//! # Default method: UDP
//! UDP needs nothing from the system: an ordinary UDP socket with `IP_RECVERR` receives
//! every ICMP error about its probes on its error queue, with the router's address, the
//! ICMP type and code, the kernel's receive time and the quoted payload — no capability,
//! no `ping_group_range`, exactly as Linux traceroute's default method and tracepath.
//! ICMP (`-I`) needs `CAP_NET_RAW` or `ping_group_range`; TCP (`-T`) works for anyone
//! through `connect()`, and with `CAP_NET_RAW` sends its SYNs on a raw socket instead,
//! from one source port (below). With `CAP_NET_RAW`, a raw ICMP socket also listens,
//! because only it sees the whole ICMP message, and so the MPLS label stacks (RFC 4950)
//! routers append.
//!
//! # Flow stability (Paris traceroute)
//! Load balancers pick a path per flow, from addresses, protocol and the first bytes of
//! the transport header. Every probe of one trace keeps all of these the same (the one
//! exception: unprivileged TCP's source port, below); the probe's identity travels where
//! no balancer looks:
//!
//! - UDP: one socket, bound once, so source address, source port and destination port
//!   never change. The 16-byte payload carries a per-run token and the probe id, plus a
//!   compensation word chosen so that the UDP checksum *equals* the probe id: a router
//!   that quotes only 8 bytes of the probe (RFC 792's minimum) still names it (raw
//!   socket path). The error-queue path gets the payload back instead (the kernel strips
//!   the UDP header); routers that quote fewer than 10 payload bytes — none that follow
//!   RFC 1812, which asks for as much as fits in 576 bytes — cannot be matched without
//!   privileges, and their hop shows `*`.
//!   A service that listens on the probe port answers with data, not port unreachable;
//!   nothing in the answer names the probe, so it is ignored: pick another `-p`.
//! - ICMP: identifier, type and code never change (a datagram socket's identifier is its
//!   kernel-chosen port, fixed for the run); the sequence number is the probe id, and a
//!   compensation word in the payload keeps the ICMP checksum the same for every probe,
//!   since some balancers hash type, code and checksum.
//! - TCP with `CAP_NET_RAW` (root, or the capability on the binary): SYNs built here go
//!   out of one raw TCP socket, all from one source port, so addresses, protocol and
//!   both ports never change. The port is reserved for the run by a TCP socket bound to
//!   it and never used otherwise: no other program gets it meanwhile, and the kernel,
//!   which finds no connection for it, answers the destination's SYN-ACKs with a RST
//!   (no half-open connection stays behind). The probe's identity is the sequence
//!   number (16 bits of the run's token, then the probe id): routers quote it within the
//!   first 8 bytes of the TCP header, and the destination acknowledges it (`ack = seq +
//!   1`) in its SYN-ACK (port open) or RST (port closed), both of which mean "reached",
//!   as with traceroute -T. Time exceeded and unreachable errors come to the raw ICMP
//!   socket; the destination's answers are read from the raw TCP socket (it gets a copy
//!   of every TCP segment the host receives; all but these are dropped unread by the
//!   matcher). The TCP checksum (bytes 16-17) differs per probe, as in Paris
//!   traceroute's own TCP probes: balancers hash addresses, protocol and ports. Probes
//!   that reach an open port while an earlier probe's handshake is still half-open there
//!   may be answered with a RST instead, which acknowledges them all the same.
//! - TCP without the capability: destination address and port are fixed, but each probe
//!   is its own `connect()` (that is what works unprivileged), and Linux gives each
//!   connecting socket its own source port: binding one port with
//!   `SO_REUSEADDR`/`SO_REUSEPORT` does not help, because two sockets may not connect
//!   with the same four-tuple. So unprivileged TCP traces are *not* flow-stable on the
//!   source port; a hop behind a per-flow balancer may list several responders. The
//!   probe's identity is its socket (its source port in quoted errors).
//! - On every path the IP ID is left to the kernel (unprivileged sockets cannot set it;
//!   it is not part of any flow hash either).
//!
//! # Adaptive timeout
//! See `engine.rs`: a silent probe at hop `h` is given up after `3 ×` the largest RTT
//! answered at hops `h..=h+2` (or at the nearest hop above that answered), `10 ×` the
//! largest RTT anywhere when nothing at or above `h` answered, and `-w` only when nothing
//! answered at all; never less than 50 ms nor more than `-w`. The trade-off: a router
//! whose ICMP slow path is slower than three round trips to the hops behind it shows `*`
//! (traceroute's NEAR factor is 10, which is why its silent hops cost it 10 RTTs); an
//! answer that arrives late but before its row is printed still counts.
//!
//! # JSON output (`--json`)
//!
//! One document on stdout when the trace ends, nothing else on stdout:
//!
//! ```text
//! {
//!   "target": "www",                    // as given
//!   "address": "198.18.5.2",            // what it resolved to (getaddrinfo)
//!   "method": "udp",                    // "udp", "icmp" or "tcp"
//!   "port": 33434,                      // destination port; null for icmp
//!   "first_ttl": 1,
//!   "max_hops": 30,
//!   "queries": 3,
//!   "reached": true,                    // the destination answered
//!   "hops_to_destination": 6,           // TTL it answered at; null when not reached
//!   "address_check": {
//!     "matches": true,                  // reached, and the last hop is `address`
//!     "last_hop": "198.18.5.2",         // the last address that answered; null if none
//!     "explanation": null               // why not, for people; null when it matches
//!   },
//!   "hops": [                           // every hop probed, in TTL order
//!     { "ttl": 1,
//!       "responders": [                 // distinct addresses, in order of appearance
//!         { "address": "198.18.0.2",
//!           "name": "r1.netlab.test",   // reverse name, or null (always null with -n)
//!           "asn": {                    // -A only; null when the lookup gave nothing
//!             "number": 64500, "prefix": "198.18.0.0/24",
//!             "name": "NETLAB-LINK0 - netlab lab link 0, ZZ" } }  // name may be null
//!       ],
//!       "probes": [                     // one per query, in query order
//!         { "rtt_ms": 4.123,            // null when no answer
//!           "from": "198.18.0.2",       // null when no answer
//!           "kind": "time_exceeded",    // time_exceeded, reached, host_unreachable,
//!                                       // net_unreachable, admin_prohibited, ...,
//!                                       // timeout, send_failed
//!           "annotation": null,         // "!H", "!N", "!P", "!X", "!A", ... or null
//!           "reply_ttl": 63,            // the TTL the answer arrived with (absent
//!                                       // when its socket does not say)
//!           "reply_size": 28,           // the answer's bytes after its ICMP header
//!                                       // (RIPE Atlas's size; TCP: the segment's);
//!                                       // absent when only the error queue saw it
//!           "mpls": [                   // RFC 4950 label stack (raw sockets only)
//!             { "label": 24001, "exp": 0, "bottom": true, "ttl": 1 } ],
//!           "extensions": [             // other ICMP extension objects, in the
//!                                       // order sent (absent when none; raw only)
//!             { "class": 2, "c_type": 15,  // RFC 5837 interface information:
//!               "interface": {           // any field the router left out is null
//!                 "role": "incoming",   // incoming, sub_ip, outgoing, next_hop
//!                 "if_index": 15, "address": "10.10.10.10",
//!                 "name": "xe-0/0/1", "mtu": 9000 } },
//!             { "class": 9, "c_type": 1,   // an object netlab does not decode:
//!               "hex": "deadbeef" } ] }   // its bytes after the object header
//!       ],
//!       "mtu": 1400,                  // --mtu only: the largest packet length (IP
//!                                       // header included) this hop answered to
//!       "back_hops": 2 }              // --back only: hops of the way back, guessed
//!                                       // from the answer's TTL (64, 128 or 255 minus it)
//!   ]
//! }
//! ```
//!
//! ## With `-c N` or `--watch`: the statistics
//!
//! `-c N` prints one document when the rounds end (the count, or Ctrl-C / SIGTERM);
//! `--watch --json` prints NDJSON instead, one object per line: a `"round"` object as
//! each round ends, then this `"summary"` object:
//!
//! ```text
//! {
//!   "type": "summary",                  // the last NDJSON line of --watch is this too
//!   "target": "www", "address": "198.18.5.2", "method": "udp", "port": 33434,
//!   "first_ttl": 1, "max_hops": 30,
//!   "queries": 1,                       // probes per hop per round
//!   "interval_s": 1.0,                  // between round starts (-i)
//!   "elapsed_s": 9.012,
//!   "flow": 0,                          // the fields from here to "events" are flow 0's
//!   "rounds": 10,                       // rounds recorded (a round cut by Ctrl-C is not)
//!   "reached_rounds": 10,               // rounds in which the destination answered
//!   "destination_ttl": 6,               // TTL it answered at last; null if never
//!   "loss_begins_at": 4,                // first hop whose loss every later hop shares
//!   "hops": [                           // TTL order, up to destination_ttl
//!     { "ttl": 4, "sent": 10, "received": 6, "loss_percent": 40.0,
//!       "responders": [                 // in order of first answer
//!         { "address": "198.18.3.2", "name": "r4.netlab.test",
//!           "asn": { "number": 64503,   // -A only, as in one trace's JSON; null when
//!             "prefix": "198.18.3.0/24", "name": "NETLAB-LINK3 - ..." },  // unknown
//!           "count": 6, "share": 1.0,   // share of the hop's answers (0..1)
//!           "mpls": [ { "label": 24001, "exp": 0, "bottom": true, "ttl": 1 } ],
//!           "extensions": [ ... ] } ],  // the ICMP extensions of this address's latest
//!                                       // answer, as one trace's probes have them (mpls
//!                                       // [] and extensions absent when it sent none)
//!       "last_ms": 17.0, "avg_ms": 17.1, "best_ms": 16.9, "worst_ms": 17.5,
//!       "stdev_ms": 0.2,                // null until an answer came
//!       "jitter_ms": 0.1,               // |RTT difference| of the last two answers
//!       "jitter_mean_ms": 0.1, "jitter_max_ms": 0.4,
//!       "jitter_interarrival_ms": 0.1,  // RFC 3550's estimate; jitter: null below 2 answers
//!       "p50_ms": 17.0, "p90_ms": 17.4, "p95_ms": 17.5, "p99_ms": 17.5,
//!                                       // over the last 512 probes
//!       "loss_kind": "forwarding",      // none, forwarding, replies_only, both
//!       "forwarding_loss_percent": 40.0,    // the part every later hop shares
//!       "replies_only_loss_percent": 0.0,   // the part that stops at this hop
//!       "explanation": "40% lost and every later hop loses as much: ..." }
//!   ],
//!   "events_total": 1,
//!   "events": [                         // path changes (the last 256), oldest first
//!     { "round": 21, "at_s": 20.0,      // since the first round started
//!       "kind": "new_responder",        // or "destination_moved"
//!       "ttl": 3, "address": "198.18.7.2", "previous": "198.18.2.2",
//!       "from_ttl": null, "to_ttl": null,   // destination_moved: the old and new TTL
//!       "description": "hop 3 now answers from 198.18.7.2 (was 198.18.2.2)" }
//!   ],
//!   "flows": null,                      // --flows N > 1: each flow's fields as above
//!                                       // ("flow" to "events"), flow 0 first
//!   "multipath": null                   // --flows N > 1:
//!   // { "splits": [2], "merges": [3],  // TTLs where the flows' paths split / merge
//!   //   "hops": [ { "ttl": 2, "routers": [
//!   //       { "address": "198.18.1.2", "name": null, "flows": [0, 3, 4] } ] } ] }
//! }
//! ```
//!
//! Each round's line under `--watch --json`:
//!
//! ```text
//! { "type": "round", "round": 3, "flow": 0,
//!   "elapsed_s": 2.0,                   // when the round started, since the first
//!   "ending": "reached",                // reached, unreachable, max_hops
//!   "destination_ttl": 6,               // null when not reached
//!   "hops": [ { "ttl": 1, "probes": [ { "from": "198.18.0.2", "rtt_ms": 0.4,
//!                                         "mpls": [ ... ], "extensions": [ ... ] } ] },
//!             { "ttl": 2, "probes": [ { "from": null, "rtt_ms": null } ] } ],
//!                                       // mpls and extensions as in one trace's probes,
//!                                       // present only when the answer carried them
//!   "events": [ ... ] }                 // path events this round raised, as above
//! ```
//!
//! `--format csv` prints the summary's hops as rows with a header, one row per hop (and
//! per flow), in the columns `rounds,flow,ttl,address,name,responders,sent,received,
//! loss_percent,last_ms,...,p99_ms,loss_kind,forwarding_loss_percent,
//! replies_only_loss_percent,explanation,extensions` (JSON's names; `address` and `name`
//! are the hop's first responder, `responders` is `address share;...`, `extensions` is
//! `address [MPLS: ...] [in: ...];...` for each responder that sent any, from its latest
//! answer); with `-A`, three more at
//! the end, `asn,asn_prefix,asn_name`, the first responder's AS); with `--watch` the rows
//! of the statistics so far after every round, their first column telling them apart.
//!
//! # Exit codes
//! 0 the destination was reached; 1 the trace completed without reaching it (max hops,
//! an unreachable error, probes filtered); 2 it could not be done (bad input,
//! unresolvable name, missing privilege, socket error). With rounds: 0 when the
//! destination answered in at least one round.

use std::time::Duration;

use crate::cli::{Family, TraceArgs};
use crate::dns::system;
use crate::error::{Exit, Failure};
use crate::net::iface::literal_sockaddr;
use crate::output::{Format, Stdout};
pub use crate::target::Resolved;
use crate::target::{Host, PortSuffix, Target};

mod address_check;
pub mod asn;
mod atlas;
mod documents;
pub mod engine;
pub mod extensions;
mod extras;
mod io;
mod json;
mod live;
pub mod multipath;
pub mod names;
pub mod options;
pub mod plot;
mod pmtu;
pub mod probe;
mod report;
pub mod rounds;
pub mod stats;
pub mod watch;

pub use io::{run as run_trace, Observer, Sockets, TraceOutcome};
pub use io::{run_flow_rounds, run_rounds, Control, RoundObserver};
pub use probe::Method;

/// traceroute's base UDP port; netlab keeps it fixed for every probe.
pub const DEFAULT_UDP_PORT: u16 = 33434;
pub const DEFAULT_TCP_PORT: u16 = 80;
/// The shortest adaptive wait: on a LAN, RTTs are well under a millisecond, but a
/// router's ICMP slow path can take tens of them.
pub const FLOOR: Duration = Duration::from_millis(50);

/// A validated trace: what probing needs, and nothing about how it is shown ([`Presentation`]),
/// so `check` and the exporter run the engine without inventing a format.
#[derive(Debug, Clone)]
pub struct Plan {
    pub target: Target,
    pub method: Method,
    /// Destination port (UDP, TCP); unused for ICMP.
    pub port: u16,
    pub first_ttl: u8,
    pub max_ttl: u8,
    pub queries: u8,
    pub wait: Duration,
    pub family: Family,
    /// `-s`, `--interface`, `-t`, `-F`, the packet length, `-N`.
    pub probe: options::ProbeOptions,
    /// `-c N` / `--watch`: rounds and their statistics instead of one trace.
    pub repeat: Option<Repeat>,
}

/// How the command shows a trace: the format, the picture and the names. The engine
/// never reads it; only this folder's printers (`report.rs`, `watch.rs`, `live.rs`) do.
#[derive(Debug, Clone)]
pub struct Presentation {
    pub format: Format,
    /// `--plot`: where to draw the path (with rounds: their loss and RTT per hop).
    pub plot: Option<crate::plot::PlotFile>,
    /// `-n`: addresses only, no reverse names.
    pub numeric: bool,
}

/// Rounds of a trace (`-c`, `--watch`, `-i`, `-o`, `--flows`).
#[derive(Debug, Clone)]
pub struct Repeat {
    /// `None`: until Ctrl-C.
    pub rounds: Option<u64>,
    pub interval: Duration,
    /// Stream one line (or NDJSON object, or CSV block) per round.
    pub watch: bool,
    pub fields: Vec<watch::Field>,
    pub flows: u16,
}

/// The default interval between rounds (mtr's).
pub const DEFAULT_INTERVAL: Duration = Duration::from_secs(1);

impl Plan {
    /// The probing plan and the view of the command line.
    pub fn from_args(args: TraceArgs) -> Result<(Plan, Presentation), Failure> {
        let method = if args.method.icmp {
            Method::Icmp
        } else if args.method.tcp {
            Method::Tcp
        } else if args.method.udp {
            Method::Udp
        } else {
            Method::platform_default()
        };
        // clap has checked the ranges (1-255, 1-MAX_QUERIES, ports 1-65535); what is left
        // are the rules that tie two flags together.
        let repeat = Repeat::from_args(&args.repeat)?;
        if repeat.is_some() {
            // What a single trace adds per hop that the rounds' statistics do not carry
            // (yet): one clear refusal rather than a flag silently ignored. (`-A` works
            // with rounds: each responder's AS is looked up once, as its name is.)
            let single_only = [
                (args.mtu, "--mtu"),
                (args.back, "--back"),
                (args.output.format() == Format::Atlas, "--format atlas"),
            ];
            if let Some((_, flag)) = single_only.iter().find(|(on, _)| *on) {
                return Err(Failure::usage(
                    format!("trace {flag}"),
                    "is shown by a single trace only, not with -c or --watch",
                )
                .with_hint("drop -c/--watch for one trace with it"));
            }
        }
        // One probe per hop per round, as mtr; three in one trace, as traceroute.
        let queries = args.queries.unwrap_or(if repeat.is_some() { 1 } else { 3 });
        let (max_ttl, first_ttl) = (args.max_hops, args.first_ttl);
        if first_ttl > max_ttl {
            return Err(Failure::usage(
                "trace -f",
                format!("first TTL {first_ttl} is above the max hops ({max_ttl})"),
            ));
        }
        if args.wait.is_zero() {
            return Err(Failure::usage("trace -w", "the wait must be longer than 0"));
        }
        let port = match (method, args.port) {
            (Method::Icmp, Some(_)) => {
                return Err(Failure::usage(
                    "trace -p",
                    "ICMP probes have no port; -p goes with -U or -T",
                ))
            }
            (_, Some(port)) => port,
            (Method::Tcp, None) => DEFAULT_TCP_PORT,
            _ => DEFAULT_UDP_PORT,
        };
        let target = Target::parse_destination(&args.target, PortSuffix::Forbidden)
            .map_err(|why| Failure::usage("trace: target", why))?;
        let probe = options::ProbeOptions::from_args(&args, method)?;
        // A source address decides the family, as with traceroute.
        let family = match (args.family.family(), args.source) {
            (Family::Any, Some(src)) if src.is_ipv4() => Family::V4,
            (Family::Any, Some(_)) => Family::V6,
            (family, _) => family,
        };
        if let Host::Ip { addr, .. } = &target.host {
            probe.check_family(*addr)?;
            if let Some(why) = family.refusal(addr) {
                return Err(Failure::usage("trace: target", why));
            }
            probe.data_len(crate::packet::icmp::Version::of(addr))?;
        }
        let view = Presentation {
            format: Presentation::format_of(&args.output, repeat.is_some())?,
            plot: match args.plot {
                Some(plot) => Some(plot.checked()?),
                None => None,
            },
            numeric: args.numeric,
        };
        let plan = Plan {
            target,
            method,
            port,
            first_ttl,
            max_ttl,
            queries,
            wait: args.wait,
            family,
            repeat,
            probe,
        };
        Ok((plan, view))
    }
}

impl Presentation {
    /// The one place trace decides its formats: the shared ones, an Atlas result for one
    /// trace (refused with rounds above, beside the other single-trace flags) and CSV for
    /// the rounds' statistics.
    fn format_of(output: &crate::cli::OutputArgs, rounds: bool) -> Result<Format, Failure> {
        match output.format_for("trace", &[Format::Atlas, Format::Csv])? {
            Format::Csv if !rounds => Err(Failure::usage(
                "trace --format csv",
                "CSV is the statistics of rounds: it needs -c N or --watch",
            )),
            format => Ok(format),
        }
    }
}

impl Repeat {
    fn from_args(args: &crate::cli::TraceRepeatArgs) -> Result<Option<Repeat>, Failure> {
        let repeating = args.cycles.is_some() || args.watch;
        if !repeating {
            let given = [
                (args.interval.is_some(), "trace -i"),
                (args.fields.is_some(), "trace -o"),
                (args.flows.is_some(), "trace --flows"),
            ];
            if let Some((_, flag)) = given.iter().find(|(given, _)| *given) {
                return Err(Failure::usage(
                    *flag,
                    "goes with rounds: add -c N or --watch",
                ));
            }
            return Ok(None);
        }
        let interval = args.interval.unwrap_or(DEFAULT_INTERVAL);
        if interval < crate::cli::MIN_USER_INTERVAL && !crate::net::privilege::has_cap_net_raw() {
            return Err(Failure::usage(
                "trace -i",
                format!(
                    "an interval of {interval:?} is below the {}ms minimum for users without CAP_NET_RAW",
                    crate::cli::MIN_USER_INTERVAL.as_millis()
                ),
            )
            .with_hint("use -i 0.002 or more, or run with CAP_NET_RAW"));
        }
        if interval.is_zero() && args.cycles.is_none() {
            return Err(Failure::usage(
                "trace -i",
                "an interval of 0 needs -c to end the run",
            ));
        }
        let fields = match &args.fields {
            Some(text) => {
                watch::Field::parse_list(text).map_err(|why| Failure::usage("trace -o", why))?
            }
            None => watch::Field::DEFAULT.to_vec(),
        };
        Ok(Some(Repeat {
            rounds: args.cycles,
            interval,
            watch: args.watch,
            fields,
            flows: args.flows.unwrap_or(1),
        }))
    }
}

/// Resolves the target as the lab report's `gethostbyname` would (getaddrinfo: hosts
/// file, then DNS), taking the first address of the allowed family.
pub fn resolve(plan: &Plan) -> Result<Resolved, Failure> {
    let text = plan.target.text.clone();
    let port = if plan.method == Method::Icmp {
        0
    } else {
        plan.port
    };
    match &plan.target.host {
        Host::Ip { addr, scope } => {
            let sockaddr = literal_sockaddr(*addr, scope.as_deref(), port)
                .map_err(|why| Failure::usage(format!("trace {text}"), why))?;
            Ok(Resolved { text, sockaddr })
        }
        Host::Name(name) => {
            let addrs = system::lookup_blocking(name, port)?;
            let sockaddr = system::first_allowed(name, plan.family, &addrs)?;
            Ok(Resolved { text, sockaddr })
        }
    }
}

/// Runs the plan: resolve, open the sockets, drop capabilities, then trace on this one
/// thread (reverse names are looked up on threads started only after the drop).
pub fn run(plan: Plan, view: Presentation, out: &Stdout) -> Result<Exit, Failure> {
    let resolved = resolve(&plan)?;
    let sockets = Sockets::open(&plan, &resolved)?;
    // `--flows N`: every flow its own sockets (own source port or ICMP identifier).
    let flows = plan.repeat.as_ref().map_or(1, |r| r.flows);
    let mut more = Vec::new();
    for _ in 1..flows {
        more.push(Sockets::open(&plan, &resolved)?);
    }
    crate::net::privilege::drop_all_capabilities()
        .map_err(|e| Failure::new("dropping capabilities after opening the sockets", e))?;
    crate::net::probe::catch_interrupts().map_err(|e| Failure::new("handling Ctrl-C", e))?;
    if plan.repeat.is_some() {
        more.insert(0, sockets);
        return watch::run(&plan, &view, out, &resolved, more);
    }
    let started = std::time::Instant::now();
    let mut report = report::Report::new(&plan, view, out, &resolved, sockets.sees_extensions());
    report.atlas_facts(sockets.source(), sockets.one_flow());
    run_trace(&plan, &resolved, sockets, &mut report)?;
    Ok(report.finish(started.elapsed()))
}

#[cfg(test)]
mod tests {
    use super::*;
    use clap::Parser;

    fn from_args(args: &[&str]) -> Result<(Plan, Presentation), Failure> {
        let argv = ["netlab", "trace"].iter().chain(args);
        match crate::cli::Cli::try_parse_from(argv)
            .expect("clap accepts it")
            .command
        {
            crate::cli::Command::Trace(args) => Plan::from_args(args.into_inner()),
            _ => unreachable!("a trace command line"),
        }
    }

    /// How a trace is shown is decided once, beside the probing plan: CSV only with
    /// rounds, an Atlas result only for one trace, every refusal naming the flag.
    #[test]
    fn the_presentation_holds_the_format_the_run_can_show() {
        let (plan, view) = from_args(&["-n", "--format", "atlas", "::1"]).unwrap();
        assert_eq!((view.format, view.numeric), (Format::Atlas, true));
        assert!(view.plot.is_none() && plan.repeat.is_none());
        let (plan, view) = from_args(&["-c", "2", "--format", "csv", "::1"]).unwrap();
        assert_eq!((view.format, view.numeric), (Format::Csv, false));
        assert!(plan.repeat.is_some());
        let refused = |args: &[&str]| from_args(args).unwrap_err().what;
        assert_eq!(refused(&["--format", "csv", "::1"]), "trace --format csv");
        assert_eq!(
            refused(&["-c", "2", "--format", "atlas", "::1"]),
            "trace --format atlas"
        );
    }
}
