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

use std::io::ErrorKind;
use std::time::{Duration, Instant};

use tokio::io::unix::AsyncFd;
use tokio::io::Interest;
use tokio::signal::unix::{signal, SignalKind};

use super::engine::{Config, EchoReply, Engine, Idents, ProbeError};
use super::report::Report;
use super::{Plan, Resolved, Sockets};
use crate::error::{Exit, Failure};
use crate::net::icmp::{self, IcmpSocket, Mode, Version};
use crate::packet::icmp::{error_kind, write_echo_request, Icmp, Message};
use crate::packet::ipv4::Ipv4;

/// Enough for the largest ICMP message plus an IPv4 header.
const BUF_LEN: usize = 65_536 + 60;

pub(crate) async fn drive(
    plan: &Plan,
    sockets: Sockets,
    targets: Vec<Resolved>,
) -> Result<Exit, Failure> {
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
    let v4 = register(sockets.v4)?;
    let v6 = register(sockets.v6)?;
    let mut interrupt =
        signal(SignalKind::interrupt()).map_err(|e| Failure::new("handling Ctrl-C", e))?;
    let mut terminate =
        signal(SignalKind::terminate()).map_err(|e| Failure::new("handling SIGTERM", e))?;
    let mut quit = signal(SignalKind::quit()).map_err(|e| Failure::new("handling SIGQUIT", e))?;

    let config = Config {
        count: plan.count,
        interval: plan.interval,
        timeout: plan.timeout,
        deadline: plan.deadline,
        payload_len: plan.size,
        token: icmp::random_bytes::<8>(),
    };
    let addrs: Vec<_> = targets.iter().map(Resolved::addr).collect();
    let mut report = Report::new(plan, &targets);
    let mut engine = Engine::new(config, &addrs, idents, Instant::now());
    let mut packet = vec![0u8; BUF_LEN];
    let mut payload = vec![0u8; plan.size];
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
                engine.send_failed(&probe, "no socket for this address family".into());
                continue;
            };
            let data = engine.payload(&probe, &mut payload);
            let len = write_echo_request(&mut packet, version, probe.ident, probe.wire_seq, data)
                .map_err(|e| Failure::new("building an echo request", e))?;
            let at = Instant::now();
            match socket.get_ref().send_to(&packet[..len], target.sockaddr) {
                Ok(_) => engine.sent(&probe, at),
                Err(e) => engine.send_failed(&probe, short_error(&e)),
            }
        }
        engine.advance(Instant::now());
        while let Some(event) = engine.poll_event() {
            report.event(&event).await;
        }
        if engine.is_finished(Instant::now()) {
            break;
        }
        let wake = engine
            .next_wakeup()
            .unwrap_or_else(|| Instant::now() + Duration::from_secs(1));
        tokio::select! {
            biased;
            _ = interrupt.recv() => engine.stop(),
            _ = terminate.recv() => engine.stop(),
            _ = quit.recv() => report.interim(&engine),
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
    }
    // Replies already queued when the run ends still count (e.g. Ctrl-C right after one
    // arrived); probes still in flight simply stay unanswered.
    for socket in [&v4, &v6].into_iter().flatten() {
        drain(socket.get_ref(), &mut engine, &mut rx);
    }
    while let Some(event) = engine.poll_event() {
        report.event(&event).await;
    }
    report.finish(&engine).await;
    Ok(Exit::from_answered(engine.all_answered()))
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
    let mut failures = 0;
    for _ in 0..4096 {
        match socket.recv(buf) {
            Ok(rx) => handle_packet(socket, engine, &buf[..rx.len], &rx),
            Err(e) if e.kind() == ErrorKind::WouldBlock => break,
            Err(e) if e.kind() == ErrorKind::Interrupted => continue,
            // A datagram socket reports a pending ICMP error once through recv as well;
            // the error queue has the details.
            Err(_) => {
                failures += 1;
                if failures > 16 {
                    break;
                }
            }
        }
    }
}

fn handle_packet(socket: &IcmpSocket, engine: &mut Engine, bytes: &[u8], rx: &icmp::Received) {
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
            engine.on_error(&ProbeError {
                from: rx.from,
                kind: err.kind,
                dst: Some(ip.dst),
                version,
                ident: echo.id,
                wire_seq: echo.seq,
                data: echo.data,
                at: rx.at,
            });
        }
        _ => {}
    }
}

fn handle_queued_error(
    socket: &IcmpSocket,
    engine: &mut Engine,
    bytes: &[u8],
    err: &icmp::QueuedError,
) {
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
        at: err.at,
    });
}

fn short_error(err: &std::io::Error) -> String {
    let text = err.to_string();
    text.split(" (os error")
        .next()
        .unwrap_or(&text)
        .to_lowercase()
}
