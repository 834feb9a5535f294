//! The driver: the only part of ping that waits, reads clocks and touches sockets.
//!
//! One task, one loop: send what the engine says is due (taking the send time right
//! before `sendto`), then wait for whichever comes first — a socket becoming readable
//! (or, for a datagram socket, its error queue filling), the engine's next deadline, or a
//! signal. Everything read is parsed with `crate::packet` and handed to the engine with
//! its kernel receive timestamp, so the time spent waking up and parsing never enters an
//! RTT. Why not SO_TIMESTAMPING for the send side too: its TX timestamps come back on the
//! error queue, interleaved with the ICMP errors datagram sockets read there, and are not
//! offered for every socket kind; the user-space time right before `sendto` is what
//! iputils uses, which keeps netlab's numbers comparable with it.
//!
//! The loop does not print: what happens goes to an [`Observer`] as it happens (the
//! command's live rows and summary are one; `check` passes one that only collects), and
//! what was found comes back as a [`PingOutcome`].

use std::future::Future;
use std::net::IpAddr;
use std::time::{Duration, Instant};

use tokio::io::unix::AsyncFd;
use tokio::io::Interest;
use tokio::signal::unix::{signal, Signal, SignalKind};

use super::engine::{
    Config, EchoReply, Engine, Event, Idents, Probe, ProbeError, ReplyStatus, TargetId,
};
use super::{Resolved, Settings, Sockets};
use crate::error::{short_os_error, Failure};
use crate::net::errqueue::QueuedError;
use crate::net::icmp::{self, IcmpSocket, Mode, Version};
use crate::net::msg::Received;
use crate::net::options::path_mtu;
use crate::packet::icmp::{error_kind, write_echo_request, Icmp, Message};
use crate::packet::ipv4::Ipv4;
use crate::packet::IcmpErrorKind;

/// ICMP errors a [`Summary`] keeps per target (the first ones).
pub const MAX_ERRORS_KEPT: usize = 64;

/// Enough for the largest ICMP message plus an IPv4 header.
const BUF_LEN: usize = 65_536 + 60;

/// Sees a run as it happens. Every method has a default that does nothing.
pub trait Observer {
    /// A probe has just left (the kernel took it).
    fn sent(&mut self, _probe: &Probe) {}
    /// An engine event (reply, timeout, ICMP error, failed send), as it happens; the next
    /// probe waits for the returned future.
    fn event(&mut self, _event: &Event) -> impl Future<Output = ()> {
        async {}
    }
    /// SIGQUIT, with [`Signals::Handle`]: statistics so far.
    fn interim(&mut self, _engine: &Engine) {}
    /// When [`Observer::tick`] is next wanted (a live view's keys and redraws); `None`,
    /// the default: never.
    fn next_tick(&self) -> Option<Instant> {
        None
    }
    /// The time `next_tick` asked for has come; `false` ends the run as Ctrl-C does.
    fn tick(&mut self, _now: Instant) -> bool {
        true
    }
    /// The run is over; the engine holds every statistic.
    fn finish(&mut self, _engine: &Engine) -> impl Future<Output = ()> {
        async {}
    }
}

/// An observer that only lets the outcome collect.
impl Observer for () {}

/// Whether the run takes over the signals that end or report on it.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Signals {
    /// SIGINT and SIGTERM end the run with what it has; SIGQUIT reports (`ping`'s way).
    Handle,
    /// Left as they are (a caller running other probes beside the ping).
    Leave,
}

/// What one target's ping found.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct Summary {
    pub transmitted: u64,
    /// First replies within the timeout.
    pub received: u64,
    pub loss_percent: f64,
    pub min: Option<Duration>,
    pub avg_ms: Option<f64>,
    pub max: Option<Duration>,
    /// Who sent first replies in time, in order of first appearance.
    pub replies_from: Vec<IpAddr>,
    /// ICMP errors about the probes: who sent them and what they said.
    pub errors: Vec<(IpAddr, IcmpErrorKind)>,
}

/// What a ping run found, one summary per target in the order given.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct PingOutcome {
    pub targets: Vec<Summary>,
}

impl PingOutcome {
    /// Every target replied at least once (exit status 0).
    pub fn all_answered(&self) -> bool {
        self.targets.iter().all(|t| t.received > 0)
    }

    fn record(&mut self, event: &Event) {
        match event {
            Event::Reply {
                target,
                from,
                status: ReplyStatus::Ok,
                ..
            } => {
                let seen = &mut self.targets[target.0].replies_from;
                if !seen.contains(from) {
                    seen.push(*from);
                }
            }
            // Bounded: a run without end (the exporter) to a target that keeps
            // answering with errors must not grow.
            Event::Error {
                target, from, kind, ..
            } if self.targets[target.0].errors.len() < MAX_ERRORS_KEPT => {
                self.targets[target.0].errors.push((*from, *kind))
            }
            _ => {}
        }
    }
}

/// The signal streams of [`Signals::Handle`]; none with [`Signals::Leave`].
struct Watched {
    interrupt: Option<Signal>,
    terminate: Option<Signal>,
    quit: Option<Signal>,
}

impl Watched {
    fn new(signals: Signals) -> Result<Watched, Failure> {
        if signals == Signals::Leave {
            return Ok(Watched {
                interrupt: None,
                terminate: None,
                quit: None,
            });
        }
        let watch = |kind: SignalKind, what: &str| {
            signal(kind)
                .map(Some)
                .map_err(|e| Failure::new(format!("handling {what}"), e))
        };
        Ok(Watched {
            interrupt: watch(SignalKind::interrupt(), "Ctrl-C")?,
            terminate: watch(SignalKind::terminate(), "SIGTERM")?,
            quit: watch(SignalKind::quit(), "SIGQUIT")?,
        })
    }
}

/// Waits for the signal; never when it is not watched.
async fn arrival(signal: &mut Option<Signal>) {
    match signal {
        Some(s) => {
            s.recv().await;
        }
        None => std::future::pending().await,
    }
}

/// Pings `targets` through `sockets` (opened by [`Sockets::open`] or
/// [`Sockets::for_address`], capabilities dropped since) as `settings` asks, telling
/// `observer` what happens. The one driver of every ping netlab sends.
pub async fn measure<O: Observer>(
    settings: &Settings,
    sockets: Sockets,
    targets: &[Resolved],
    observer: &mut O,
    signals: Signals,
) -> Result<PingOutcome, Failure> {
    let register = |s: Option<IcmpSocket>| -> Result<Option<AsyncFd<IcmpSocket>>, Failure> {
        s.map(|s| {
            // SAFETY: IcmpSocket owns its socket for its whole life and always returns
            // that same descriptor from as_raw_fd.
            unsafe { AsyncFd::register_with_interest(s, Interest::READABLE | Interest::ERROR) }
                .map_err(|e| Failure::new("watching the ICMP socket", e.into_parts().1))
        })
        .transpose()
    };
    let idents = Idents {
        v4: sockets.v4.as_ref().map_or(0, |s| s.ident()),
        v6: sockets.v6.as_ref().map_or(0, |s| s.ident()),
    };
    let route = (sockets.source, sockets.device.clone());
    let v4 = register(sockets.v4)?;
    let v6 = register(sockets.v6)?;
    let mut watched = Watched::new(signals)?;

    let config = Config {
        settings: settings.clone(),
        token: icmp::random_bytes::<8>(),
    };
    let addrs: Vec<_> = targets.iter().map(Resolved::addr).collect();
    let mut engine = Engine::new(config, &addrs, idents, Instant::now());
    let mut outcome = PingOutcome {
        targets: vec![Summary::default(); targets.len()],
    };
    let mut packet = vec![0u8; BUF_LEN];
    let mut payload = vec![0u8; settings.size];
    let mut rx = vec![0u8; BUF_LEN];

    loop {
        let now = Instant::now();
        while let Some(probe) = engine.poll_probe(now) {
            let target = &targets[probe.target.0];
            let version = Version::of(&probe.addr);
            let socket = match version {
                Version::V4 => v4.as_ref(),
                Version::V6 => v6.as_ref(),
            };
            let Some(socket) = socket else {
                engine.send_failed(&probe, "no socket for this address family".into(), None);
                continue;
            };
            let data = engine.payload(&probe, &mut payload);
            let len = write_echo_request(&mut packet, version, probe.ident, probe.wire_seq, data)
                .map_err(|e| Failure::new("building an echo request", e))?;
            let at = Instant::now();
            match socket.get_ref().send_to(&packet[..len], target.sockaddr) {
                Ok(_) => {
                    engine.sent(&probe, at);
                    observer.sent(&probe);
                }
                Err(e) if e.raw_os_error() == Some(libc::EMSGSIZE) => {
                    // iputils' "local error: message too long, mtu=N": the probe exceeds
                    // the path MTU this host knows and -M forbids fragmenting it.
                    let mtu = path_mtu(target.sockaddr, route.0, route.1.as_deref()).ok();
                    let reason = match mtu {
                        Some(mtu) => format!("local error: message too long, mtu={mtu}"),
                        None => "local error: message too long".into(),
                    };
                    engine.send_failed(&probe, reason, mtu)
                }
                Err(e) => engine.send_failed(&probe, short_os_error(&e), None),
            }
        }
        engine.advance(Instant::now());
        while let Some(event) = engine.poll_event() {
            outcome.record(&event);
            observer.event(&event).await;
        }
        if engine.is_finished(Instant::now()) {
            break;
        }
        let wake = engine
            .next_wakeup()
            .unwrap_or_else(|| Instant::now() + Duration::from_secs(1));
        let wake = observer.next_tick().map_or(wake, |tick| tick.min(wake));
        tokio::select! {
            biased;
            _ = arrival(&mut watched.interrupt) => engine.stop(),
            _ = arrival(&mut watched.terminate) => engine.stop(),
            _ = arrival(&mut watched.quit) => observer.interim(&engine),
            guard = ready(&v4) => {
                if let Ok(mut guard) = guard {
                    drain(guard.get_inner(), &mut engine, &mut rx);
                    guard.clear_ready();
                }
            }
            guard = ready(&v6) => {
                if let Ok(mut guard) = guard {
                    drain(guard.get_inner(), &mut engine, &mut rx);
                    guard.clear_ready();
                }
            }
            _ = tokio::time::sleep_until(wake.into()) => {}
        }
        let now = Instant::now();
        if observer.next_tick().is_some_and(|tick| tick <= now) && !observer.tick(now) {
            engine.stop();
        }
    }
    // Replies already queued when the run ends still count (e.g. Ctrl-C right after one
    // arrived); probes still in flight simply stay unanswered.
    for socket in [&v4, &v6].into_iter().flatten() {
        drain(socket.get_ref(), &mut engine, &mut rx);
    }
    while let Some(event) = engine.poll_event() {
        outcome.record(&event);
        observer.event(&event).await;
    }
    for (index, summary) in outcome.targets.iter_mut().enumerate() {
        let stats = engine.stats(TargetId(index));
        summary.transmitted = stats.transmitted;
        summary.received = stats.received;
        summary.loss_percent = stats.loss_percent();
        summary.min = stats.min();
        summary.avg_ms = stats.avg_ms();
        summary.max = stats.max();
    }
    observer.finish(&engine).await;
    Ok(outcome)
}

/// Waits until the socket has something to read or an error queued; never for a
/// family without a socket.
async fn ready(
    socket: &Option<AsyncFd<IcmpSocket>>,
) -> std::io::Result<tokio::io::unix::AsyncFdReadyGuard<'_, IcmpSocket>> {
    match socket {
        Some(fd) => fd.ready(Interest::READABLE | Interest::ERROR).await,
        None => std::future::pending().await,
    }
}

/// Reads everything queued on the socket (error queue first) into the engine.
fn drain(socket: &IcmpSocket, engine: &mut Engine, buf: &mut [u8]) {
    if socket.mode() == Mode::Datagram {
        for _ in 0..4096 {
            match socket.recv_error(buf) {
                Ok(err) => handle_queued_error(socket, engine, &buf[..err.len], &err),
                Err(_) => break,
            }
        }
    }
    icmp::drain_icmp(socket, buf, |bytes, rx| {
        handle_packet(socket, engine, bytes, rx)
    });
}

fn handle_packet(socket: &IcmpSocket, engine: &mut Engine, bytes: &[u8], rx: &Received) {
    let version = socket.version();
    let (icmp_bytes, ttl) = match (version, socket.mode()) {
        (Version::V4, Mode::Raw) => match Ipv4::parse(bytes) {
            Ok(ip) => (ip.payload(), Some(ip.ttl())),
            Err(_) => return,
        },
        _ => (bytes, rx.ttl),
    };
    let Ok(icmp) = Icmp::parse(icmp_bytes, version) else {
        return;
    };
    if version == Version::V4 && !icmp.checksum_ok_v4() {
        return;
    }
    match icmp.message() {
        Message::EchoReply(echo) => {
            engine.on_reply(&EchoReply {
                from: rx.from,
                ident: echo.id,
                wire_seq: echo.seq,
                data: echo.data,
                bytes: icmp_bytes.len(),
                ttl,
                at: rx.at,
            });
        }
        Message::Error(err) => {
            let (Ok(ip), Ok(echo)) = (err.quoted.ip(), err.quoted.echo_request()) else {
                return;
            };
            let mtu = match (version, err.kind) {
                // RFC 1191: the next-hop MTU is the low 16 bits of the second word.
                (Version::V4, IcmpErrorKind::FragmentationNeeded) => Some(err.info & 0xffff),
                (Version::V6, IcmpErrorKind::PacketTooBig) => Some(err.info),
                _ => None,
            };
            engine.on_error(&ProbeError {
                from: rx.from,
                kind: err.kind,
                dst: Some(ip.dst),
                version,
                ident: echo.id,
                wire_seq: echo.seq,
                data: echo.data,
                mtu: mtu.filter(|&m| m > 0),
                at: rx.at,
            });
        }
        _ => {}
    }
}

fn handle_queued_error(socket: &IcmpSocket, engine: &mut Engine, bytes: &[u8], err: &QueuedError) {
    if err.local {
        return;
    }
    let version = socket.version();
    let Some(kind) = error_kind(version, err.icmp_type, err.icmp_code) else {
        return;
    };
    let Ok(icmp) = Icmp::parse(bytes, version) else {
        return;
    };
    let Message::EchoRequest(echo) = icmp.message() else {
        return;
    };
    let Some(from) = err.offender.or(err.dst) else {
        return;
    };
    engine.on_error(&ProbeError {
        from,
        kind,
        dst: err.dst,
        version,
        ident: echo.id,
        wire_seq: echo.seq,
        data: echo.data,
        mtu: matches!(
            kind,
            IcmpErrorKind::FragmentationNeeded | IcmpErrorKind::PacketTooBig
        )
        .then_some(err.info)
        .filter(|&m| m > 0),
        at: err.at,
    });
}
