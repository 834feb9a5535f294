//! `netlab connect`: is this TCP or UDP port open, closed, filtered or unreachable — and if
//! unreachable, which ICMP error said so, from which router.
//!
//! Two shapes of run, chosen by the port list:
//! - **probes** (`host:port`, `[v6]:port`, `host -p 22,80`): one row per address and port,
//!   every state shown, then a summary; `-c COUNT` repeats them tcping-style (one port per
//!   target) and ends with statistics.
//! - **scans** (`-p` with a range: `-p 1-1024`, `-p 22,8000-8100`, `-p-`): open ports are
//!   listed as they are found; closed, filtered and unreachable ones are counted in a
//!   summary. A TCP port's first try waits as long as the path's measured round trips say
//!   (at least 100 ms, at most `--timeout`); one that stays silent gets a second try with
//!   the full `--timeout` before it counts as filtered (as nmap retransmits), so neither a
//!   lost SYN nor a short first wait hides an open port.
//!
//! This file turns the command line into a checked [`Plan`] and resolves its targets;
//! `run.rs` runs the plan (windows of probes, rows, statistics, the exit status),
//! `probe.rs` and `scan.rs` are one probe and the scan window.
//!
//! Decisions worth knowing:
//! - Every address of a name is probed (or one family with `-4`/`-6`), each in its own
//!   rows; names resolve as the system resolves them (getaddrinfo).
//! - `host:port` together with `-p` is refused (exit 2) rather than guessed at.
//! - TCP states: open (handshake done; the time is the handshake as the kernel timed it,
//!   SYN to SYN-ACK, so a busy scan cannot inflate it — or the wall-clock connect time when
//!   the SYN had to be retransmitted), closed (RST, or an ICMP port unreachable from a
//!   REJECT rule, then named in the detail), filtered (no answer within `--timeout`),
//!   unreachable (any other ICMP error, named with its sender).
//! - `--udp` sends the `--send` payload, or an empty datagram without one: open (a reply
//!   came, shown), closed (ICMP port unreachable), open|filtered (silence). `-c` works for
//!   UDP too, timing the replies.
//! - With `--send`/`--expect`/`--recv-bytes` the answer is read until the peer closes,
//!   `--timeout` passes, `--recv-bytes` arrived, or the expectation is met; an answer to
//!   `--send` without `--expect` also ends 20 ms after the server stops talking, as a
//!   greeting does (so a server that keeps the connection open does not cost the timeout:
//!   `netlab serve --words` answers in a millisecond, not `-w`). Expectations match the raw bytes.
//!   A range scan only connects; it refuses these options (UDP scans may `--send`).
//! - `-N`/`--shutdown` half-closes once the payload is sent (as `nc -N`), so a server that
//!   reads to end-of-file (an echo that keeps the connection open) answers and closes at
//!   once; `--eol none|lf|crlf` ends the `--send` text (nothing by default: the lab's
//!   clients send none). `--send-file` is streamed from the file for each TCP probe, never
//!   held whole; for UDP it must fit one datagram and is read at most one byte past that.
//! - A plain probe (no payload, no expectation, not a range, not `-c`) reads what the
//!   server says first, as `nc` and `telnet` show it: until the server closes, pauses
//!   20 ms after speaking, or 200 ms pass in silence (seed 004's greeting). Scans and `-c`
//!   runs never wait for one, so their timing is unchanged.
//!
//! # Exit status
//! - probes: 0 when every address and port was found open — with `-c`, open at least once,
//!   as ping counts a run with some replies as answered — and every answer met
//!   `--expect`/`--expect-regex`; 1 otherwise. Ctrl-C prints what was gathered and keeps
//!   the same rule.
//! - scans: a range has no single "as asked"; a scan exits 0 when it completed and found at
//!   least one open port on every address scanned, 1 when an address had none or the scan
//!   was interrupted.
//! - 2 for bad input (including a name that does not resolve) and socket errors.
//!
//! # JSON (`--json`)
//! One document when the run ends; times are float milliseconds, addresses strings.
//!
//! Probes:
//! ```text
//! {
//!   "probes": [{
//!     "target": "www.netlab.test",   // the host as given
//!     "address": "198.18.2.2",       // the address probed (IPv6 with %zone if scoped)
//!     "port": 80,
//!     "protocol": "tcp",             // "tcp" | "udp"
//!     "seq": 1,                      // 1..=COUNT
//!     "state": "open",               // "open" | "closed" | "filtered" | "unreachable" | "open_filtered"
//!     "time_ms": 0.123,              // TCP handshake or UDP reply time, or when the error came; null when nothing came back
//!     "detail": null,                // e.g. "administratively prohibited from 198.18.1.2 (ICMP 3/13)"
//!     "answer": null,                // what the peer sent, escaped as \n \r \t \\ \xNN; null if not read
//!                                    // (or no greeting came: a plain probe reads one for 200 ms)
//!     "expect_matched": null         // true | false with --expect/--expect-regex, else null
//!   }],
//!   "statistics": [{                 // one per address and port, with or without -c
//!     "target": "www.netlab.test", "address": "198.18.2.2", "port": 80, "protocol": "tcp",
//!     "sent": 3, "open": 3, "failed": 0, "loss_percent": 0.0,
//!     "min_ms": 0.1, "avg_ms": 0.12, "max_ms": 0.14, "mdev_ms": 0.016   // null when none open
//!   }],
//!   "interrupted": false             // true when Ctrl-C ended the run
//! }
//! ```
//! Scans (one object per address scanned):
//! ```text
//! {
//!   "scans": [{
//!     "target": "www.netlab.test", "address": "198.18.2.2", "protocol": "tcp",
//!     "ports": 65535,                // how many ports were to be scanned
//!     "open": [7, 80, 9999],         // sorted
//!     "closed": 65531, "filtered": 1, "unreachable": 0, "open_filtered": 0,
//!     "detail": null,                // the first ICMP error of an unreachable port, else null
//!     "elapsed_ms": 812.345,
//!     "concurrency": 4096,           // probes in flight at once (lower if the system ran short)
//!     "completed": true              // false when interrupted
//!   }],
//!   "syn_rate": {                    // --syn only: how the adaptive rate went, SYNs a second
//!     "max_pps": 10000,              // --rate: where it started, the most it went
//!     "lowest_pps": 480, "final_pps": 520,
//!     "cuts": 4                      // times losses lowered it (0: nothing on the way limited it)
//!   },
//!   "interrupted": false
//! }
//! ```
//! URLs and `--tls` (`connect http://...`, `https://...`, `--tls HOST:PORT`; see `web.rs`):
//! ```text
//! {
//!   "requests": [{                   // one per attempt and redirect hop, in order
//!     "target": "https://www.netlab.test/",   // the URL (or HOST:PORT with --tls) as given
//!     "url": "https://www.netlab.test/",      // this hop's URL
//!     "seq": 1,                      // 1..=COUNT
//!     "hop": 0,                      // 0: the request as given; 1..=10: redirects followed (-L)
//!     "address": "198.18.2.2",       // the address connected to; null when the name did not resolve
//!     "port": 443,
//!     "ok": true,                    // this request answered as asked (status, verification)
//!     "error": null,                 // what ended it early, e.g. "HTTP: no response within 1s of the request"
//!     "phases": {                    // each phase on its own, float ms; null when not reached
//!       "lookup_ms": 0.4, "connect_ms": 0.1, "tls_ms": 3.1,
//!       "first_byte_ms": 0.9,        // request sent to the response's head
//!       "transfer_ms": 0.1, "total_ms": 4.6 },
//!     "http": {                      // null for --tls, or when no response came
//!       "http_version": "HTTP/2",    // "HTTP/1.1" | "HTTP/2" (ALPN)
//!       "status": 200, "reason": "OK",
//!       "server": "nginx", "content_type": "text/html", "content_length": "615",
//!       "location": null,            // these four: the header's value, or null
//!       "body_bytes": 615 },         // read and counted, never kept
//!     "tls": {                       // null for http://
//!       "version": "TLSv1.3", "cipher": "TLS13_AES_256_GCM_SHA384",
//!       "alpn": "h2",                // null when none was agreed (--tls offers none)
//!       "chain": [{                  // as the server sent it, end certificate first
//!         "subject": "CN=www.netlab.test", "issuer": "CN=netlab lab CA",
//!         "dns_names": ["www.netlab.test"],
//!         "not_before": "2026-12-05T07:00:00Z", "not_after": "2027-03-05T07:00:00Z",
//!         "days_left": 89, "self_signed": false }],
//!       "verified": true,            // against the system's store and --cacert
//!       "reason": null,              // "expired" | "not_yet_valid" | "name_mismatch" |
//!                                    // "unknown_issuer" | "self_signed" | "other"
//!       "detail": null }             // rustls' words for it
//!   }],
//!   "statistics": [{                 // one per target: every attempt's last hop
//!     "target": "https://www.netlab.test/", "attempts": 3, "answered": 3,
//!     "phases": {                    // per phase, null when no attempt reached it
//!       "lookup": { "min_ms": 0.3, "avg_ms": 0.4, "max_ms": 0.5, "mdev_ms": 0.08 },
//!       "connect": { ... }, "tls": { ... }, "first_byte": { ... }, "transfer": { ... },
//!       "total": { ... } }
//!   }],
//!   "interrupted": false
//! }
//! ```

pub mod interactive;
mod payload;
mod plot;
mod probe;
mod report;
mod run;
mod scan;
mod stats;
mod syn;
mod timeout;
pub mod web;
mod web_record;
mod web_report;

use std::net::{IpAddr, SocketAddr, SocketAddrV6};
use std::sync::Arc;
use std::time::Duration;

use crate::cli::{ConnectArgs, Family};
use crate::error::Failure;
use crate::net::socket::RefusalDetail;
use crate::output::Format;
use crate::target::{parse_destinations, parse_port_list, Destination, Host, PortSuffix, Target};

use payload::{unescape, Expectation, Payload};
use probe::{ProbeSpec, Protocol, ReadSpec};

/// Most probes a scan keeps in flight when neither `--concurrency` nor the open-file limit
/// says less. Loopback gains nothing past a few hundred; slow or filtered paths gain up to
/// here (each filtered port holds its slot for the whole timeout).
const DEFAULT_WINDOW: usize = 4096;
/// Descriptors kept back from the window for stdio, the runtime, DNS and the like.
const FD_RESERVE: u64 = 32;
/// An answer is read up to this size unless `--recv-bytes` says otherwise.
const DEFAULT_ANSWER_LIMIT: usize = 1 << 20;
/// The largest payload one UDP datagram can carry over IPv4.
const MAX_UDP_PAYLOAD: usize = 65_507;

/// A checked `connect` command line.
#[derive(Debug)]
pub struct Plan {
    targets: Vec<TargetPorts>,
    /// A range was asked for: scan, and count rather than list closed ports.
    scan: bool,
    count: Option<u64>,
    interval: Duration,
    spec: ProbeSpec,
    family: Family,
    concurrency: Option<usize>,
    format: Format,
    /// `--syn`: a raw SYN scan (`syn/`) instead of connect().
    syn: bool,
    /// The SYN scan's hosts (`targets` is then empty), ranges kept as ranges, in order.
    syn_hosts: Vec<Destination>,
    /// The SYN scan's ports (`-p`, the same for every host).
    syn_ports: Arc<[u16]>,
    /// `--rate`: the SYN scan's most SYNs a second.
    syn_rate: Option<u32>,
}

#[derive(Debug)]
struct TargetPorts {
    target: Target,
    ports: Arc<[u16]>,
}

impl Plan {
    pub fn from_args(args: ConnectArgs) -> Result<Plan, Failure> {
        let texts = crate::target::file::with_file(
            &args.targets,
            args.file.as_deref(),
            args.max_targets as usize,
            PortSuffix::Allowed,
        )?;
        if texts.is_empty() {
            return Err(Failure::usage("connect", "no target given").with_hint(
                "netlab connect HOST:PORT, netlab connect HOST -p PORTS, or --file FILE",
            ));
        }
        // The flags of the web path (`web.rs`) without a URL or --tls: refuse, never ignore.
        if let Some(flag) = web::web_flag_given(&args) {
            return Err(Failure::usage(
                flag,
                "works with http:// and https:// URLs (and the TLS ones with --tls)",
            )
            .with_hint("netlab connect https://HOST/PATH, or netlab connect --tls HOST:PORT"));
        }
        let family = args.family.family();
        let (port_list, scan) = match &args.ports {
            Some(text) => {
                let ports = parse_port_list(text).map_err(|why| Failure::usage("-p", why))?;
                // A range asks "which of these are open?"; a list asks about each port.
                (Some(Arc::<[u16]>::from(ports)), text.contains('-'))
            }
            None => (None, false),
        };

        if args.syn && port_list.is_none() {
            return Err(Failure::usage("--syn", "scans the ports given with -p")
                .with_hint("netlab connect --syn HOST -p 22,80,443 (or -p- for all)"));
        }
        // Ranges (`10.0.0.0/24`, `10.0.0.1-50`) become one target per address, except in
        // a SYN scan, which takes them as ranges down to its engine (`syn/`): a /16 is
        // held as its two ends, not as 65,534 targets.
        let destinations =
            parse_destinations(&texts, PortSuffix::Allowed, args.max_targets as usize)
                .map_err(|(text, why)| Failure::usage(format!("target '{text}'"), why))?;
        let mut targets = Vec::new();
        let mut syn_hosts = Vec::new();
        for destination in destinations {
            if let (true, Destination::Range { text, range }) = (args.syn, &destination) {
                check_family(&range.first(), text, "range", family)?;
                syn_hosts.push(destination);
                continue;
            }
            for target in destination.into_targets() {
                let checked = with_ports(target, port_list.as_ref(), family)?;
                if args.syn {
                    syn_hosts.push(Destination::One(checked.target));
                } else {
                    targets.push(checked);
                }
            }
        }

        if args.count.is_some() && (scan || targets.iter().any(|t| t.ports.len() > 1)) {
            return Err(Failure::usage(
                "-c",
                "repeats a single-port probe, and more than one port was given",
            )
            .with_hint("give one port (HOST:PORT or -p PORT), or drop -c to probe each once"));
        }
        if args.timeout.is_zero() {
            return Err(Failure::usage("--timeout", "must be more than 0"));
        }

        let protocol = if args.udp {
            Protocol::Udp
        } else {
            Protocol::Tcp
        };
        let payload = match (&args.send, &args.send_file) {
            (Some(text), _) => {
                let mut bytes = unescape(text).map_err(|why| Failure::usage("--send", why))?;
                bytes.extend_from_slice(args.eol.map_or(&b""[..], |eol| eol.bytes()));
                Some(Payload::Bytes(bytes))
            }
            (None, Some(path)) => Some(send_file(path, protocol)?),
            (None, None) => {
                if args.eol.is_some() {
                    return Err(Failure::usage(
                        "--eol",
                        "ends the text of --send or --interactive, and neither was given",
                    ));
                }
                None
            }
        };
        if args.shutdown && payload.is_none() {
            return Err(Failure::usage(
                "--shutdown",
                "half-closes after sending, and nothing is sent",
            )
            .with_hint("add --send TEXT or --send-file FILE"));
        }
        let expect = match (&args.expect, &args.expect_regex) {
            (Some(text), _) => {
                Some(Expectation::contains(text).map_err(|why| Failure::usage("--expect", why))?)
            }
            (None, Some(re)) => {
                Some(Expectation::regex(re).map_err(|why| Failure::usage("--expect-regex", why))?)
            }
            (None, None) => None,
        };

        if scan {
            if expect.is_some() || args.recv_bytes.is_some() {
                let flag = if args.recv_bytes.is_some() && expect.is_none() {
                    "--recv-bytes"
                } else if args.expect_regex.is_some() {
                    "--expect-regex"
                } else {
                    "--expect"
                };
                return Err(Failure::usage(
                    flag,
                    "checks the answer of single probes, not of a range scan",
                )
                .with_hint("list the ports (-p 80,443) or name one (HOST:PORT)"));
            }
            if payload.is_some() && protocol == Protocol::Tcp {
                let flag = if args.send.is_some() {
                    "--send"
                } else {
                    "--send-file"
                };
                return Err(Failure::usage(
                    flag,
                    "a TCP range scan only connects; it sends nothing",
                )
                .with_hint("list the ports (-p 80,443) or name one (HOST:PORT) to send"));
            }
        }
        if let (Protocol::Udp, Some(Payload::Bytes(bytes))) = (protocol, &payload) {
            if bytes.len() > MAX_UDP_PAYLOAD {
                return Err(Failure::usage(
                    "--send",
                    format!(
                        "{} bytes do not fit in one UDP datagram (at most {MAX_UDP_PAYLOAD})",
                        bytes.len()
                    ),
                ));
            }
        }

        let wants_answer = payload.is_some()
            || expect.is_some()
            || args.recv_bytes.is_some()
            || protocol == Protocol::Udp;
        // A single probe shows what a server says first, as nc does; a scan and the
        // repeated probes of -c (tcping-style timing) never wait for one.
        let greeting = !wants_answer && !scan && args.count.is_none();
        let read = (wants_answer || greeting).then(|| ReadSpec {
            max_bytes: args.recv_bytes.map_or(DEFAULT_ANSWER_LIMIT, |n| n as usize),
            // Without an expectation, "the server stopped talking" is the end of an answer
            // as it is of a greeting; an expectation waits for its match (or the timeout).
            quiet_ends: greeting || (payload.is_some() && expect.is_none()),
            expect,
            greeting,
        });

        Ok(Plan {
            targets,
            scan,
            count: args.count,
            interval: args.interval,
            spec: ProbeSpec {
                protocol,
                timeout: args.timeout,
                payload,
                shutdown: args.shutdown,
                read,
                refusal: if scan {
                    RefusalDetail::Skip
                } else {
                    RefusalDetail::Wanted
                },
            },
            family,
            concurrency: args.concurrency.map(|n| n as usize),
            format: args.output.format_for("connect", &[])?,
            syn: args.syn,
            syn_hosts,
            syn_ports: port_list.unwrap_or_else(|| Arc::from([])),
            syn_rate: args.rate,
        })
    }
}

/// `--send-file`: checked now, streamed per probe over TCP; for UDP read into one
/// datagram, reading at most one byte more than a datagram holds (so `/dev/zero` is
/// refused at once, never read whole).
fn send_file(path: &std::path::Path, protocol: Protocol) -> Result<Payload, Failure> {
    use std::io::Read;
    let what = format!("--send-file {}", path.display());
    let file = std::fs::File::open(path).map_err(|err| Failure::new(&what, err))?;
    if file.metadata().is_ok_and(|meta| meta.is_dir()) {
        return Err(Failure::usage(what, "is a directory"));
    }
    if protocol == Protocol::Tcp {
        return Ok(Payload::File(path.to_path_buf()));
    }
    let mut bytes = Vec::new();
    file.take(MAX_UDP_PAYLOAD as u64 + 1)
        .read_to_end(&mut bytes)
        .map_err(|err| Failure::new(&what, err))?;
    if bytes.len() > MAX_UDP_PAYLOAD {
        return Err(Failure::usage(
            what,
            format!("more than {MAX_UDP_PAYLOAD} bytes do not fit in one UDP datagram"),
        ));
    }
    Ok(Payload::Bytes(bytes))
}

/// A target checked against `-p` and `-4`/`-6`, with the ports it is probed on.
fn with_ports(
    target: Target,
    port_list: Option<&Arc<[u16]>>,
    family: Family,
) -> Result<TargetPorts, Failure> {
    let text = &target.text;
    if let Host::Ip { addr, .. } = &target.host {
        check_family(addr, text, "address", family)?;
    }
    let ports = match (target.port, port_list) {
        (Some(_), Some(_)) => {
            return Err(Failure::usage(
                format!("target '{text}'"),
                "names a port, and -p gives ports too",
            )
            .with_hint("use HOST:PORT or HOST -p PORTS, not both"))
        }
        (Some(port), None) => Arc::from([port]),
        (None, Some(ports)) => ports.clone(),
        (None, None) => {
            return Err(Failure::usage(format!("target '{text}'"), "no port given")
                .with_hint("write HOST:PORT ([IPv6]:PORT for an IPv6 address), or add -p PORTS"))
        }
    };
    Ok(TargetPorts { target, ports })
}

/// `-4 ::1` or `-6 127.0.0.1` cannot be honoured; say so before anything is sent.
fn check_family(addr: &IpAddr, text: &str, what: &str, family: Family) -> Result<(), Failure> {
    if !family.allows(addr) {
        let (is, flag) = if addr.is_ipv4() {
            ("an IPv4", "-6")
        } else {
            ("an IPv6", "-4")
        };
        return Err(Failure::usage(
            format!("target '{text}'"),
            format!("is {is} {what}, but {flag} was given"),
        ));
    }
    Ok(())
}

/// One address of a target, ready to be given a port.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Address {
    pub ip: IpAddr,
    /// The interface index of a link-local IPv6 address's %zone (0: none).
    pub scope_id: u32,
    /// The text shown for it: the address, with %zone when scoped.
    pub text: String,
}

impl Address {
    fn plain(ip: IpAddr) -> Address {
        Address {
            ip,
            scope_id: 0,
            text: ip.to_string(),
        }
    }

    pub fn with_port(&self, port: u16) -> SocketAddr {
        match self.ip {
            IpAddr::V6(v6) => SocketAddr::V6(SocketAddrV6::new(v6, port, 0, self.scope_id)),
            IpAddr::V4(_) => SocketAddr::new(self.ip, port),
        }
    }
}

/// Every address of `host`, as the system resolves it (getaddrinfo: /etc/hosts, then DNS,
/// in the system's preferred order, duplicates dropped), filtered by `-4`/`-6`. A name that
/// does not resolve, or has no address of the wanted family, is an error (exit 2).
pub async fn addresses_of(host: &Host, family: Family) -> Result<Vec<Address>, Failure> {
    match host {
        Host::Ip { addr, scope: None } => Ok(vec![Address::plain(*addr)]),
        Host::Ip {
            addr,
            scope: Some(zone),
        } => {
            let scope_id = crate::net::iface::index_of(zone).map_err(|err| {
                Failure::new(format!("interface '{zone}' in '{host}'"), err).with_hint(format!(
                    "see '{}' for the interface names on this host",
                    crate::net::tools::LIST_INTERFACES
                ))
            })?;
            Ok(vec![Address {
                ip: *addr,
                scope_id,
                text: format!("{addr}%{zone}"),
            }])
        }
        Host::Name(name) => {
            let found = crate::dns::system::lookup(name, 0)
                .await
                .map_err(|failure| Failure::new(format!("resolving '{name}'"), failure.why))?;
            let mut addresses: Vec<Address> = Vec::new();
            for addr in found {
                let ip = addr.ip();
                if family.allows(&ip) && !addresses.iter().any(|a| a.ip == ip) {
                    addresses.push(Address::plain(ip));
                }
            }
            if addresses.is_empty() {
                let which = match family {
                    Family::V4 => "no IPv4 address (-4 was given)",
                    Family::V6 => "no IPv6 address (-6 was given)",
                    Family::Any => "no address",
                };
                return Err(Failure::new(format!("resolving '{name}'"), which));
            }
            Ok(addresses)
        }
    }
}

pub use run::run;
#[cfg(test)]
use run::{needs_zone, probe_failure};

#[cfg(test)]
mod tests;
