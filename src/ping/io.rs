//! The driver: the only part of ping that waits, reads clocks and touches the network.
//!
//! One task, one loop: send what the engine says is due (taking the send time right
//! before `sendto`), then wait for whichever comes first — the [`Network`] having
//! something to read (a reply, or for a datagram socket an error queued), the engine's
//! next deadline, or a signal. Everything read is parsed with `crate::packet` and handed
//! to the engine with its kernel receive timestamp, so the time spent waking up and
//! parsing never enters an RTT. Why not SO_TIMESTAMPING for the send side too: its TX
//! timestamps come back on the error queue, interleaved with the ICMP errors datagram
//! sockets read there, and are not offered for every socket kind; the user-space time
//! right before `sendto` is what iputils uses, which keeps netlab's numbers comparable
//! with it.
//!
//! The sockets are behind the small [`Network`] trait (`io/wire.rs` is the real one), so
//! the loop itself is tested on a fake network (`io/tests.rs`), and a port to another
//! system implements the trait, not the loop.
//!
//! The loop does not print: what happens goes to an [`Observer`] as it happens (the
//! command's live rows and summary are one; `check` passes one that only collects), and
//! what was found comes back as a [`PingOutcome`].

mod wire;

use std::future::Future;
use std::io;
use std::net::{IpAddr, SocketAddr};
use std::time::{Duration, Instant};

use super::engine::{Config, Engine, Event, Idents, Probe, ReplyStatus, TargetId};
use super::{Resolved, Settings, Sockets};
use crate::error::Failure;
use crate::net::err::{self, Kind};
use crate::net::icmp::{self, Version};
use crate::net::ready::AsyncIcmpSocket;
use crate::net::signal::{Meaning, Signal};
use crate::packet::icmp::write_echo_request;
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
    /// Whether the run should end now, as SIGINT ends it (stdout is closed: nobody
    /// reads the rows any more). Asked on every turn of the loop.
    fn stopped(&self) -> bool {
        false
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
        let watch = |meaning: Meaning, what: &str| {
            Signal::watch(meaning)
                .map(Some)
                .map_err(|e| Failure::new(format!("handling {what}"), e))
        };
        Ok(Watched {
            interrupt: watch(Meaning::Interrupt, "Ctrl-C")?,
            terminate: watch(Meaning::Terminate, "SIGTERM")?,
            quit: watch(Meaning::Report, "SIGQUIT")?,
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

/// What the loop needs of the network: send an echo request, wait for what comes back.
/// The one real implementation is `wire::Wired` (ping's ICMP sockets); tests use a fake.
trait Network {
    /// Whether there is a socket for `version`'s addresses.
    fn has(&self, version: Version) -> bool;
    /// Sends the echo request `packet` to `to`; returns the send time, taken right
    /// before the packet left.
    fn send(&mut self, version: Version, packet: &[u8], to: SocketAddr) -> io::Result<Instant>;
    /// `-M do`: the path MTU this host knows toward `to` (after "message too long").
    fn path_mtu(&self, to: SocketAddr) -> Option<u32>;
    /// Waits until something may be there to read (never, without sockets).
    fn readable(&self) -> impl Future<Output = ()>;
    /// Hands everything already there to `engine`.
    fn drain(&mut self, engine: &mut Engine);
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
    let register = |s: Option<icmp::IcmpSocket>| -> Result<Option<AsyncIcmpSocket>, Failure> {
        s.map(|s| AsyncIcmpSocket::new(s).map_err(|e| Failure::new("watching the ICMP socket", e)))
            .transpose()
    };
    let idents = Idents {
        v4: sockets.v4.as_ref().map_or(0, |s| s.ident()),
        v6: sockets.v6.as_ref().map_or(0, |s| s.ident()),
    };
    let route = (sockets.source, sockets.device.clone());
    let net = wire::Wired::new(register(sockets.v4)?, register(sockets.v6)?, route);
    measure_on(settings, net, idents, targets, observer, signals).await
}

/// [`measure`] on any network.
async fn measure_on<N: Network, O: Observer>(
    settings: &Settings,
    mut net: N,
    idents: Idents,
    targets: &[Resolved],
    observer: &mut O,
    signals: Signals,
) -> Result<PingOutcome, Failure> {
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
    // As long as the largest request this run sends, not [`BUF_LEN`]: zeroing 64 KiB a
    // one-shot `ping -c1` never uses costs it 16 page faults.
    let mut packet = vec![0u8; crate::packet::icmp::HEADER_LEN + settings.size];
    let mut payload = vec![0u8; settings.size];

    loop {
        let now = Instant::now();
        while let Some(probe) = engine.poll_probe(now) {
            let target = &targets[probe.target.0];
            let version = Version::of(&probe.addr);
            if !net.has(version) {
                engine.send_failed(&probe, "no socket for this address family".into(), None);
                continue;
            }
            let data = engine.payload(&probe, &mut payload);
            let len = write_echo_request(&mut packet, version, probe.ident, probe.wire_seq, data)
                .map_err(|e| Failure::new("building an echo request", e))?;
            match net.send(version, &packet[..len], target.sockaddr) {
                Ok(at) => {
                    engine.sent(&probe, at);
                    observer.sent(&probe);
                }
                Err(e) if err::is(&e, Kind::MessageTooLong) => {
                    // iputils' "local error: message too long, mtu=N": the probe exceeds
                    // the path MTU this host knows and -M forbids fragmenting it.
                    let mtu = net.path_mtu(target.sockaddr);
                    let reason = match mtu {
                        Some(mtu) => format!("local error: message too long, mtu={mtu}"),
                        None => "local error: message too long".into(),
                    };
                    engine.send_failed(&probe, reason, mtu)
                }
                Err(e) => engine.send_failed(&probe, err::phrase(&e), None),
            }
        }
        engine.advance(Instant::now());
        while let Some(event) = engine.poll_event() {
            outcome.record(&event);
            observer.event(&event).await;
        }
        if observer.stopped() {
            engine.stop();
        }
        if engine.is_finished(Instant::now()) {
            break;
        }
        let wake = engine
            .next_wakeup()
            .unwrap_or_else(|| Instant::now() + Duration::from_secs(1));
        let wake = observer.next_tick().map_or(wake, |tick| tick.min(wake));
        let arrived = tokio::select! {
            biased;
            _ = arrival(&mut watched.interrupt) => {
                engine.stop();
                false
            }
            _ = arrival(&mut watched.terminate) => {
                engine.stop();
                false
            }
            _ = arrival(&mut watched.quit) => {
                observer.interim(&engine);
                false
            }
            _ = net.readable() => true,
            _ = tokio::time::sleep_until(wake.into()) => false,
        };
        if arrived {
            net.drain(&mut engine);
        }
        let now = Instant::now();
        if observer.next_tick().is_some_and(|tick| tick <= now) && !observer.tick(now) {
            engine.stop();
        }
    }
    // Replies already queued when the run ends still count (e.g. Ctrl-C right after one
    // arrived); probes still in flight simply stay unanswered.
    net.drain(&mut engine);
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

#[cfg(test)]
mod tests;
