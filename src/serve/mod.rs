//! `netlab serve [ADDR:]PORT`: the other end of the socket lab — a small TCP or UDP server
//! that greets, echoes, answers from a template, counts words, or chats, and logs every
//! connection as it ends.
//!
//! # Where it listens
//! `PORT` alone listens on every address of both families: one `[::]` socket with
//! IPV6_V6ONLY off (IPv4 clients appear as themselves, not as `::ffff:` addresses), or
//! `0.0.0.0` when the kernel has no IPv6. `-4`/`-6` with a bare port pick one family.
//! `ADDR:PORT`, `[V6ADDR]:PORT` (and `[fe80::1%eth0]:PORT`) go through the one target
//! parser; a name (`localhost:8080`) listens on its first address. Port 0 (bare only)
//! takes any free port: the "listening on" line on stderr says which. That line is
//! printed once the socket is ready, so scripts and tests can wait for it.
//!
//! # Modes
//! - `--echo` (default): every byte read is written back as it arrives (RFC 862; seed
//!   lab 003's "Hello, world" comes back whole, newline or not). No line limit applies.
//! - `--banner TEXT`: send TEXT and a newline, then close (seed lab 004). With `--udp`
//!   every datagram is answered with the banner.
//! - `--reply TEMPLATE`: answer each line with TEMPLATE and a newline. Placeholders:
//!   `{line}` (the line, its line ending removed, bytes as received) and `{peer}` (the
//!   client's `ADDR:PORT`, `[V6]:PORT`); `{{` and `}}` are literal braces; the escapes
//!   `\n \r \t \\ \xNN` work as in `connect --send`. Seed lab 001: `--reply 'welcome {line}'`.
//! - `--words`: answer each line with `unique words: W1 W2 ... | length: N`. A word is a
//!   maximal run of non-whitespace (Unicode White_Space), compared exactly (case and
//!   punctuation kept); words are listed once, in first-seen order. N is the line's
//!   length in characters: Unicode scalar values of the line without its line ending
//!   (bytes that are not UTF-8 count one each). Seed lab 003's exercise.
//! - `--chat`: what the client sends is printed on stdout as it arrives, one printed
//!   line per line received and one for what a read ends with (control characters
//!   escaped), so nothing received is held back while the person types; lines typed on
//!   stdin go to the client, ended by `--eol` (default `lf`; `none` sends `bye`, which
//!   seed 002's server compares with `msg=='bye'`). A message `bye` (any case,
//!   surrounding spaces ignored, newline or not) from either side ends that
//!   conversation; the server then waits for the next client. One client at a time unless `--max-connections` says more (then stdin
//!   lines go to every client and printed lines start with `[PEER]`). Not with `--udp`
//!   or `--json`.
//!
//! # Messages
//! A line is the bytes up to and including `\n` (a `\r` before it is removed too). A
//! client that sends a message without a newline and waits for the answer (as the
//! seed lab clients do with `send`/`recv`) is answered once it has sent nothing more for
//! [`MESSAGE_QUIET`] (5 ms), or when it half-closes: those bytes count as a line. That is
//! the seeds' own rule (one `recv()` is one message) with a few milliseconds to join a
//! line the network split; line-framed clients are unaffected.
//! A line may hold at most `--max-line` bytes (default 8192, newline included). A longer
//! one ends the connection: the client gets `error: line longer than N bytes; closing`,
//! the server half-closes and discards input for at most 1 second (so the explanation
//! arrives instead of a reset), and the log says `line too long`. Per connection the
//! server holds one 8 KiB read buffer and at most `--max-line` bytes of a line.
//!
//! # Limits and shutdown
//! - `--idle-timeout` (default 30s): a connection with no bytes in either direction for
//!   that long is closed (`idle timeout`); a client that stops reading while the server
//!   writes is closed after the same time.
//! - `--max-connections` (default 256; 1 with `--chat`): connections served at once.
//!   Beyond it a new connection is accepted and closed at once, and logged as `refused`
//!   (not queued: a client stuck in the listen backlog could not tell it is waiting).
//! - With `--udp` there are no connections: `--max-connections` is refused, and
//!   `--idle-timeout` and `--max-line` do not apply (a datagram is one message of at most
//!   65507 bytes).
//! - SIGINT (Ctrl-C) or SIGTERM: the listening socket is closed at once, open
//!   connections get 2 seconds to finish (a second signal ends them at once), the rest
//!   end as `server shutdown`, the totals are printed and the exit status is 0.
//!
//! # Output
//! A row per connection as it ends (per datagram with `--udp`): the UTC time it ended,
//! the peer, bytes in and out, duration, and how it ended: `closed by peer`,
//! `bye from peer`, `bye from server`, `banner sent`, `idle timeout`, `line too long`,
//! `reset by peer`, `server shutdown`, `refused (--max-connections N reached)`,
//! `answered` (UDP),
//! `error (...)`. When the server stops: a totals table.
//!
//! # JSON output (`--json`)
//! One document on stdout when the server stops, nothing else on stdout:
//!
//! ```text
//! {
//!   "listen": "[::]:7007",          // the bound address
//!   "protocol": "tcp",              // "tcp" or "udp"
//!   "dual_stack": true,             // [::] also taking IPv4 clients
//!   "mode": "echo",                 // echo, banner, reply, words (chat has no JSON)
//!   "connections": [                // in the order they ended; UDP: one per datagram
//!     { "peer": "198.18.0.1:40312", // client address:port ([v6]:port)
//!       "started_ms": 812.345,      // when it began, ms since the server listened
//!       "duration_ms": 3.021,
//!       "bytes_in": 13,
//!       "bytes_out": 13,
//!       "lines_in": null,           // lines read (reply, words, chat); null for echo,
//!                                   // banner; 1 per datagram for UDP reply and words
//!       "end": "closed_by_peer",    // closed_by_peer, bye_from_peer, bye_from_server,
//!                                   // banner_sent, idle_timeout, line_too_long, reset,
//!                                   // server_shutdown, refused, answered, error
//!       "detail": null }            // idle_timeout: "30s without data" or "the client
//!                                   // stopped reading"; line_too_long: "more than 8192
//!                                   // bytes"; refused: "--max-connections 256 reached";
//!                                   // error: the error text; else null
//!   ],
//!   "totals": {
//!     "served": 1,                  // connections served (refused not included), or
//!                                   // datagrams answered with --udp
//!     "refused": 0,
//!     "bytes_in": 13,
//!     "bytes_out": 13,
//!     "peak_concurrent": 1,         // most connections open at once (0 for UDP)
//!     "uptime_ms": 5012.5 }
//! }
//! ```
//!
//! # Exit codes
//! 0 the server ran and was stopped by a signal; 2 it could not run (bad input, the port
//! is in use, a port below 1024 without CAP_NET_BIND_SERVICE, another socket error).

mod conn;
pub mod protocol;
mod report;
mod udp;

use std::net::{IpAddr, Ipv4Addr, Ipv6Addr, SocketAddr};
use std::sync::Arc;
use std::time::{Duration, Instant};

use tokio::net::{TcpListener, TcpStream, UdpSocket};
use tokio::sync::{broadcast, mpsc, watch};
use tokio::task::JoinSet;

use crate::chat::stdin_lines;
use crate::cli::{Family, ServeArgs};
use crate::duration::format_duration;
use crate::error::{Exit, Failure};
use crate::net::iface::literal_sockaddr;
use crate::net::listen::{self, Bind, Transport};
use crate::net::signal::{Meaning, Signal};
use crate::output;
use crate::target::{Host, PortSuffix, Target};

use self::conn::{Ctx, Slot};
use self::protocol::{unescape, Template};
use self::report::{End, Record, Report};

/// How long bytes without a newline wait for more before they are answered as one
/// message. The lab's servers treat one `recv()` as one message and their clients send
/// no newline; a few milliseconds still joins a line a client wrote in one go but the
/// network delivered in pieces (back-to-back segments arrive microseconds apart).
pub const MESSAGE_QUIET: Duration = Duration::from_millis(5);
/// How long open connections may finish after SIGINT/SIGTERM.
pub const GRACE: Duration = Duration::from_secs(2);
/// `--max-connections` without the flag.
pub const DEFAULT_MAX_CONNECTIONS: u32 = 256;

/// What the server says.
#[derive(Debug, Clone)]
pub enum Mode {
    Echo,
    Banner(Vec<u8>),
    Reply(Template),
    Words,
    Chat,
}

impl Mode {
    fn name(&self) -> &'static str {
        match self {
            Mode::Echo => "echo",
            Mode::Banner(_) => "banner",
            Mode::Reply(_) => "reply",
            Mode::Words => "words",
            Mode::Chat => "chat",
        }
    }
}

/// A validated `serve` command line.
#[derive(Debug)]
pub struct Plan {
    pub bind: Bind,
    pub transport: Transport,
    pub mode: Mode,
    pub idle: Duration,
    pub max_connections: usize,
    pub max_line: usize,
    pub json: bool,
    /// What ends a line typed for `--chat`.
    pub eol: &'static [u8],
}

impl Plan {
    pub fn from_args(args: ServeArgs) -> Result<Plan, Failure> {
        let family = args.family.family();
        let bind = parse_listen(&args.listen, family)?;
        let mode = if let Some(text) = &args.banner {
            let mut bytes = unescape(text).map_err(|why| Failure::usage("--banner", why))?;
            bytes.push(b'\n');
            Mode::Banner(bytes)
        } else if let Some(text) = &args.reply {
            Mode::Reply(Template::parse(text).map_err(|why| Failure::usage("--reply", why))?)
        } else if args.words {
            Mode::Words
        } else if args.chat {
            Mode::Chat
        } else {
            Mode::Echo
        };
        let transport = if args.udp {
            Transport::Udp
        } else {
            Transport::Tcp
        };
        if matches!(mode, Mode::Chat) {
            if args.udp {
                return Err(Failure::usage(
                    "--chat",
                    "a chat is a conversation on one connection, and UDP has none",
                )
                .with_hint("drop --udp; --udp serves --echo, --banner, --reply and --words"));
            }
            if args.output.format() == crate::output::Format::Json {
                return Err(Failure::usage(
                    "--chat",
                    "the conversation is printed on stdout, so it cannot be one JSON document",
                )
                .with_hint("drop --json"));
            }
        }
        if args.udp && args.max_connections.is_some() {
            return Err(Failure::usage(
                "--max-connections",
                "UDP has no connections to limit",
            ));
        }
        if args.idle_timeout.is_zero() {
            return Err(Failure::usage("--idle-timeout", "must be longer than 0"));
        }
        let default_max = if matches!(mode, Mode::Chat) {
            1
        } else {
            DEFAULT_MAX_CONNECTIONS
        };
        Ok(Plan {
            bind,
            transport,
            mode,
            idle: args.idle_timeout,
            max_connections: args.max_connections.unwrap_or(default_max) as usize,
            max_line: args.max_line as usize,
            json: args.output.format_for("serve", &[])? == crate::output::Format::Json,
            eol: args.eol.bytes(),
        })
    }
}

/// `PORT`, `ADDR:PORT`, `[V6]:PORT`, `NAME:PORT`.
fn parse_listen(text: &str, family: Family) -> Result<Bind, Failure> {
    let what = format!("listen address '{}'", text.trim());
    let trimmed = text.trim();
    if !trimmed.is_empty() && trimmed.bytes().all(|b| b.is_ascii_digit()) {
        let port: u16 = trimmed
            .parse()
            .map_err(|_| Failure::usage(&what, "port out of range (0-65535)"))?;
        return Ok(match family {
            Family::Any => Bind::DualStack(port),
            Family::V4 => Bind::Addr(SocketAddr::new(Ipv4Addr::UNSPECIFIED.into(), port)),
            Family::V6 => Bind::Addr(SocketAddr::new(Ipv6Addr::UNSPECIFIED.into(), port)),
        });
    }
    // The target parser refuses port 0 (nothing can be probed there), but a server may
    // take any free port: parse `HOST:0` as `HOST:1`, then use 0.
    let any_port = trimmed
        .strip_suffix(":0")
        .filter(|host| host.ends_with(']') || !host.contains(':'));
    let parsed = match any_port {
        Some(host) => format!("{host}:1"),
        None => trimmed.to_string(),
    };
    let target =
        Target::parse(&parsed, PortSuffix::Allowed).map_err(|why| Failure::usage(&what, why))?;
    let Some(port) = target.port.map(|p| if any_port.is_some() { 0 } else { p }) else {
        return Err(Failure::usage(&what, "a port is needed")
            .with_hint("give PORT, ADDR:PORT or [V6ADDR]:PORT"));
    };
    let addr = match &target.host {
        Host::Ip { addr, scope: None } => SocketAddr::new(*addr, port),
        Host::Ip {
            addr: addr @ IpAddr::V6(_),
            scope: Some(zone),
        } => literal_sockaddr(*addr, Some(zone), port).map_err(|why| Failure::usage(&what, why))?,
        Host::Ip { .. } => return Err(Failure::usage(&what, "a %zone needs an IPv6 address")),
        Host::Name(name) => {
            let found = crate::dns::system::lookup_blocking(name, port)?;
            crate::dns::system::first_allowed(name, family, &found)?
        }
    };
    if !family.allows(&addr.ip()) {
        return Err(Failure::usage(
            &what,
            format!("{} does not match -4/-6", addr.ip()),
        ));
    }
    Ok(Bind::Addr(addr))
}

/// Runs the server until SIGINT or SIGTERM.
pub async fn run(plan: Plan, out: &crate::output::Stdout) -> Result<Exit, Failure> {
    let bound = listen::bind(plan.bind, plan.transport)?;
    let mut interrupt =
        Signal::watch(Meaning::Interrupt).map_err(|e| Failure::new("handling Ctrl-C", e))?;
    let mut terminate =
        Signal::watch(Meaning::Terminate).map_err(|e| Failure::new("handling SIGTERM", e))?;
    let local = bound.local;
    let families = if bound.dual_stack {
        "IPv4 and IPv6"
    } else if local.is_ipv4() {
        "IPv4"
    } else {
        "IPv6"
    };
    let started = Instant::now();
    let mut report = Report::new(out, plan.json);
    let what = format!("listening on {} {local}", plan.transport.name());
    match plan.transport {
        Transport::Udp => {
            let socket =
                UdpSocket::from_std(bound.socket.into()).map_err(|e| Failure::new(&what, e))?;
            announce(&plan, local, families);
            udp::serve(
                socket,
                &plan.mode,
                started,
                &mut report,
                &mut interrupt,
                &mut terminate,
            )
            .await?;
        }
        Transport::Tcp => {
            let listener =
                TcpListener::from_std(bound.socket.into()).map_err(|e| Failure::new(&what, e))?;
            announce(&plan, local, families);
            serve_tcp(
                &plan,
                listener,
                started,
                &mut report,
                &mut interrupt,
                &mut terminate,
            )
            .await;
        }
    }
    report.totals.uptime_ms = output::ms(started.elapsed());
    let protocol = match plan.transport {
        Transport::Tcp => "tcp",
        Transport::Udp => "udp",
    };
    report.finish(
        &local.to_string(),
        protocol,
        bound.dual_stack,
        plan.mode.name(),
    );
    Ok(Exit::Answered)
}

fn announce(plan: &Plan, local: SocketAddr, families: &str) {
    eprintln!(
        "netlab: listening on {local} ({} over {families}), {} mode; Ctrl-C stops",
        plan.transport.name(),
        plan.mode.name()
    );
}

async fn serve_tcp(
    plan: &Plan,
    listener: TcpListener,
    started: Instant,
    report: &mut Report,
    interrupt: &mut Signal,
    terminate: &mut Signal,
) {
    let chat = matches!(plan.mode, Mode::Chat);
    let ctx = Arc::new(Ctx {
        mode: plan.mode.clone(),
        idle: plan.idle,
        max_line: plan.max_line,
        started,
        chat_prefix: chat && plan.max_connections > 1,
        eol: plan.eol,
        out: report.out().clone(),
    });
    let (stop_tx, stop_rx) = watch::channel(false);
    let chat_tx = chat.then(|| broadcast::channel::<Arc<Vec<u8>>>(256).0);
    let mut typed = chat.then(stdin_lines);
    let mut listener = Some(listener);
    let mut tasks: JoinSet<Record> = JoinSet::new();
    let open = Arc::new(std::sync::atomic::AtomicUsize::new(0));
    let mut grace_until: Option<tokio::time::Instant> = None;
    let mut stopped = false;
    let out = report.out().clone();
    loop {
        if grace_until.is_some() && tasks.is_empty() {
            break;
        }
        tokio::select! {
            accepted = accept(&listener) => match accepted {
                Ok((stream, peer)) => {
                    let peer = canonical(peer);
                    let Some((slot, now_open)) = Slot::take(&open, plan.max_connections) else {
                        let mut record = Record::new(peer, started.elapsed());
                        record.end = End::Refused;
                        record.detail = Some(format!("--max-connections {} reached", plan.max_connections));
                        drop(stream);
                        report.add(record);
                        continue;
                    };
                    let rx = chat_tx.as_ref().map(|tx| tx.subscribe());
                    tasks.spawn(conn::serve(stream, peer, slot, ctx.clone(), stop_rx.clone(), rx));
                    // Counted when the slot is taken: a quick client may be gone again
                    // before this loop looks.
                    report.totals.peak_concurrent =
                        report.totals.peak_concurrent.max(now_open as u64);
                }
                Err(err) => accept_trouble(&err).await,
            },
            Some(joined) = tasks.join_next() => match joined {
                Ok(record) => report.add(record),
                Err(err) if err.is_panic() => std::panic::resume_unwind(err.into_panic()),
                Err(_) => {}
            },
            _ = signalled(interrupt, terminate) => {
                if grace_until.is_none() {
                    listener = None;
                    grace_until = Some(tokio::time::Instant::now() + GRACE);
                    if !tasks.is_empty() {
                        eprintln!(
                            "netlab: stopping: {} open connection(s) get {} to finish (Ctrl-C again ends them now)",
                            tasks.len(),
                            format_duration(GRACE)
                        );
                    }
                } else if !stopped {
                    stopped = true;
                    let _ = stop_tx.send(true);
                }
            }
            _ = grace_over(grace_until), if !stopped => {
                stopped = true;
                let _ = stop_tx.send(true);
            }
            // Nobody reads the rows any more: end now, as a second Ctrl-C does.
            () = out.closed(), if !stopped => {
                listener = None;
                grace_until.get_or_insert_with(tokio::time::Instant::now);
                stopped = true;
                let _ = stop_tx.send(true);
            }
            line = next_typed(&mut typed) => match (line, &chat_tx) {
                (Some(line), Some(tx)) => {
                    if tx.send(Arc::new(line)).is_err() {
                        output::warn("no client is connected: the line was not sent");
                    }
                }
                _ => typed = None,
            },
        }
    }
}

/// An IPv4 client of a dual-stack socket as itself (`198.18.0.1`, not `::ffff:198.18.0.1`).
pub(crate) fn canonical(peer: SocketAddr) -> SocketAddr {
    SocketAddr::new(peer.ip().to_canonical(), peer.port())
}

async fn accept(listener: &Option<TcpListener>) -> std::io::Result<(TcpStream, SocketAddr)> {
    match listener {
        Some(listener) => listener.accept().await,
        None => std::future::pending().await,
    }
}

/// Out of file descriptors or another transient accept error: say so (once a second at
/// most) and let connections finish before accepting again.
async fn accept_trouble(err: &std::io::Error) {
    // ECONNABORTED and the like: that client is gone, the next one is not.
    if crate::net::err::is_resource_shortage(err) {
        output::warn(&format!(
            "accepting a connection: {err} (lower --max-connections or raise `ulimit -n`)"
        ));
        tokio::time::sleep(Duration::from_secs(1)).await;
    }
}

async fn signalled(interrupt: &mut Signal, terminate: &mut Signal) {
    tokio::select! {
        _ = interrupt.recv() => {}
        _ = terminate.recv() => {}
    }
}

async fn grace_over(until: Option<tokio::time::Instant>) {
    match until {
        Some(until) => tokio::time::sleep_until(until).await,
        None => std::future::pending().await,
    }
}

async fn next_typed(typed: &mut Option<mpsc::Receiver<Vec<u8>>>) -> Option<Vec<u8>> {
    match typed {
        Some(rx) => rx.recv().await,
        None => std::future::pending().await,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_bare_port_listens_on_both_families() {
        assert_eq!(
            parse_listen("7007", Family::Any).unwrap(),
            Bind::DualStack(7007)
        );
        assert_eq!(
            parse_listen("7007", Family::V4).unwrap(),
            Bind::Addr("0.0.0.0:7007".parse().unwrap())
        );
        assert_eq!(
            parse_listen("0", Family::V6).unwrap(),
            Bind::Addr("[::]:0".parse().unwrap())
        );
    }

    #[test]
    fn addresses_go_through_the_target_parser() {
        assert_eq!(
            parse_listen("127.0.0.1:80", Family::Any).unwrap(),
            Bind::Addr("127.0.0.1:80".parse().unwrap())
        );
        assert_eq!(
            parse_listen("127.0.0.1:0", Family::Any).unwrap(),
            Bind::Addr("127.0.0.1:0".parse().unwrap())
        );
        assert_eq!(
            parse_listen("[::1]:0", Family::Any).unwrap(),
            Bind::Addr("[::1]:0".parse().unwrap())
        );
        assert_eq!(
            parse_listen("::0", Family::Any).unwrap_err().why,
            "a port is needed"
        );
        assert_eq!(
            parse_listen("[::1]:8080", Family::Any).unwrap(),
            Bind::Addr("[::1]:8080".parse().unwrap())
        );
        for (bad, why) in [
            ("70000", "port out of range"),
            ("127.0.0.1", "a port is needed"),
            ("[::1]:x", "is not a port number"),
            ("", "empty target"),
            ("::1:80", "a port is needed"),
        ] {
            let err = parse_listen(bad, Family::Any).unwrap_err();
            assert!(err.why.contains(why), "{bad}: {err}");
        }
        let err = parse_listen("127.0.0.1:80", Family::V6).unwrap_err();
        assert!(err.why.contains("does not match"), "{err}");
    }
}
