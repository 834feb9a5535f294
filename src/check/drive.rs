//! Thin drivers for the ping and trace engines: `ping::engine` and `trace::engine` decide
//! what to send and what an answer means; these loops only move packets between them
//! and the sockets of `net`, and collect the engines' events as data instead of printing
//! them. (`ping` and `trace` keep their own drivers private and print as they go; when
//! they offer a function that returns their results, these loops should give way to it.)
//!
//! Both loops are blocking (`poll(2)` on one socket), each on its own thread, so the
//! ping and the trace run side by side without sharing a runtime.

use std::io::ErrorKind;
use std::net::{IpAddr, SocketAddr};
use std::os::fd::AsRawFd;
use std::time::{Duration, Instant};

use crate::error::Failure;
use crate::net::icmp::{self, IcmpSocket, Mode, QueuedError, Received, Version};
use crate::net::probe::{self as netprobe, UdpProbeSocket, Want};
use crate::packet::icmp::{error_kind, write_echo_request, Icmp, Message};
use crate::packet::ipv4::Ipv4;
use crate::packet::IcmpErrorKind;
use crate::ping::engine::{self as ping, EchoReply, Idents, ProbeError, ReplyStatus, TargetId};
use crate::trace::engine::{self as trace, Ending, Hop};
use crate::trace::probe::{udp_payload, Matcher, Method};

const BUF_LEN: usize = 65_536 + 60;

/// Opens the ICMP socket for a ping: raw with CAP_NET_RAW, datagram otherwise.
pub fn open_ping_socket(version: Version) -> Result<IcmpSocket, Failure> {
    let is_permission =
        |e: &std::io::Error| matches!(e.raw_os_error(), Some(libc::EPERM) | Some(libc::EACCES));
    let ident = u16::from_be_bytes(icmp::random_bytes::<2>());
    match IcmpSocket::open(version, Mode::Raw, ident) {
        Ok(s) => Ok(s),
        Err(raw) if is_permission(&raw) => match IcmpSocket::open(version, Mode::Datagram, 0) {
            Ok(s) => Ok(s),
            Err(dgram) if is_permission(&dgram) => {
                Err(crate::net::privilege::missing_privilege(&raw, &dgram))
            }
            Err(dgram) => Err(Failure::new("opening an ICMP socket", dgram)),
        },
        Err(raw) => Err(Failure::new("opening an ICMP socket", raw)),
    }
}

/// What the ping found.
#[derive(Debug, Clone, Default)]
pub struct PingResult {
    pub transmitted: u64,
    pub received: u64,
    pub loss_percent: f64,
    pub min: Option<Duration>,
    pub avg_ms: Option<f64>,
    pub max: Option<Duration>,
    /// Who sent the echo replies, in order of first appearance.
    pub replies_from: Vec<IpAddr>,
    /// ICMP errors about the probes: who sent them and what they said.
    pub errors: Vec<(IpAddr, IcmpErrorKind)>,
}

/// Pings `dst` `count` times, `interval` apart, each waiting at most `timeout`.
pub fn ping(
    socket: &IcmpSocket,
    dst: SocketAddr,
    count: u64,
    interval: Duration,
    timeout: Duration,
) -> Result<PingResult, Failure> {
    let config = ping::Config {
        count: Some(count),
        interval,
        timeout,
        deadline: None,
        payload_len: 56,
        token: icmp::random_bytes::<8>(),
    };
    let idents = Idents {
        v4: socket.ident(),
        v6: socket.ident(),
    };
    let mut engine = ping::Engine::new(config, &[dst.ip()], idents, Instant::now());
    let version = socket.version();
    let mut packet = vec![0u8; 1024];
    let mut payload = vec![0u8; 56];
    let mut rx = vec![0u8; BUF_LEN];
    let mut result = PingResult::default();
    loop {
        let now = Instant::now();
        while let Some(probe) = engine.poll_probe(now) {
            let data = engine.payload(&probe, &mut payload);
            let len = write_echo_request(&mut packet, version, probe.ident, probe.wire_seq, data)
                .map_err(|e| Failure::new("building an echo request", e))?;
            let at = Instant::now();
            match socket.send_to(&packet[..len], dst) {
                Ok(_) => engine.sent(&probe, at),
                Err(e) => engine.send_failed(&probe, e.to_string()),
            }
        }
        engine.advance(Instant::now());
        while let Some(event) = engine.poll_event() {
            match event {
                ping::Event::Reply { from, status, .. } => {
                    if status == ReplyStatus::Ok && !result.replies_from.contains(&from) {
                        result.replies_from.push(from);
                    }
                }
                ping::Event::Error { from, kind, .. } => result.errors.push((from, kind)),
                ping::Event::Timeout { .. } | ping::Event::SendFailed { .. } => {}
            }
        }
        if engine.is_finished(Instant::now()) {
            break;
        }
        let wait = engine
            .next_wakeup()
            .map(|w| w.saturating_duration_since(Instant::now()))
            .unwrap_or(Duration::from_millis(100))
            .min(Duration::from_millis(100));
        let ready = netprobe::poll(&[(socket.as_raw_fd(), Want::Read)], wait)
            .map_err(|e| Failure::new("waiting for echo replies", e))?;
        if ready[0] {
            drain_ping(socket, &mut engine, &mut rx);
        }
    }
    let stats = engine.stats(TargetId(0));
    result.transmitted = stats.transmitted;
    result.received = stats.received;
    result.loss_percent = stats.loss_percent();
    result.min = stats.min();
    result.avg_ms = stats.avg_ms();
    result.max = stats.max();
    Ok(result)
}

fn drain_ping(socket: &IcmpSocket, engine: &mut ping::Engine, buf: &mut [u8]) {
    if socket.mode() == Mode::Datagram {
        while let Ok(err) = socket.recv_error(buf) {
            queued_ping_error(socket, engine, &buf[..err.len], &err);
        }
    }
    for _ in 0..4096 {
        match socket.recv(buf) {
            Ok(rx) => ping_packet(socket, engine, &buf[..rx.len], &rx),
            Err(e) if e.kind() == ErrorKind::WouldBlock => break,
            Err(e) if e.kind() == ErrorKind::Interrupted => continue,
            Err(_) => break,
        }
    }
}

fn ping_packet(socket: &IcmpSocket, engine: &mut ping::Engine, bytes: &[u8], rx: &Received) {
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

fn queued_ping_error(
    socket: &IcmpSocket,
    engine: &mut ping::Engine,
    bytes: &[u8],
    err: &QueuedError,
) {
    let version = socket.version();
    let (false, Some(kind)) = (err.local, error_kind(version, err.icmp_type, err.icmp_code)) else {
        return;
    };
    let Ok(icmp) = Icmp::parse(bytes, version) else {
        return;
    };
    let (Message::EchoRequest(echo), Some(from)) = (icmp.message(), err.offender.or(err.dst))
    else {
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

/// What the trace found.
#[derive(Debug, Clone)]
pub struct TraceResult {
    pub hops: Vec<Hop>,
    pub ending: Ending,
}

/// The settings of check's trace (UDP probes: no privilege needed).
#[derive(Debug, Clone, Copy)]
pub struct TraceSettings {
    pub port: u16,
    pub max_ttl: u8,
    pub queries: u8,
    pub max_wait: Duration,
}

/// Opens the UDP probe socket of a trace to `dst`.
pub fn open_trace_socket(dst: SocketAddr) -> Result<UdpProbeSocket, Failure> {
    let src = netprobe::source_address(dst)
        .map_err(|e| Failure::new(format!("finding a route to {}", dst.ip()), e))?;
    let scope = match dst {
        SocketAddr::V6(v6) => v6.scope_id(),
        SocketAddr::V4(_) => 0,
    };
    UdpProbeSocket::open(src, scope).map_err(|e| Failure::new("opening the trace's UDP socket", e))
}

/// Traces the route to `dst` (its port is replaced by `settings.port`).
pub fn trace(
    socket: &UdpProbeSocket,
    dst: SocketAddr,
    settings: TraceSettings,
) -> Result<TraceResult, Failure> {
    let mut dst = dst;
    dst.set_port(settings.port);
    let token = icmp::random_bytes::<8>();
    let matcher = Matcher {
        method: Method::Udp,
        version: Version::of(&dst.ip()),
        target: dst.ip(),
        token,
        ident: socket.local().port(),
        dport: settings.port,
    };
    let mut engine = trace::Engine::new(trace::Config {
        first_ttl: 1,
        max_ttl: settings.max_ttl,
        queries: settings.queries,
        max_wait: settings.max_wait,
        floor: crate::trace::FLOOR,
        window: crate::trace::WINDOW,
        seq_base: 1 + u16::from_be_bytes(icmp::random_bytes::<2>()) % 0xf000,
    });
    let mut rx = vec![0u8; BUF_LEN];
    let mut hops = Vec::new();
    loop {
        while let Some(probe) = engine.poll_probe() {
            let local = socket.local();
            let payload = udp_payload(
                &token,
                probe.id,
                local.ip(),
                dst.ip(),
                local.port(),
                dst.port(),
            );
            let at = Instant::now();
            match socket.send(probe.ttl, &payload, dst) {
                Ok(()) => engine.sent(&probe, at),
                Err(e) => engine.send_failed(&probe, e.to_string()),
            }
        }
        engine.advance(Instant::now());
        while let Some(event) = engine.poll_event() {
            match event {
                trace::Event::Hop(hop) => hops.push(hop),
                trace::Event::Done(ending) => return Ok(TraceResult { hops, ending }),
                trace::Event::Late { .. } => {}
            }
        }
        let wait = engine
            .next_wakeup()
            .map(|w| w.saturating_duration_since(Instant::now()))
            .unwrap_or(Duration::from_millis(100))
            .min(Duration::from_millis(100));
        let ready = netprobe::poll(&[(socket.as_raw_fd(), Want::Read)], wait)
            .map_err(|e| Failure::new("waiting for trace answers", e))?;
        if !ready[0] {
            continue;
        }
        while let Ok(err) = socket.recv_error(&mut rx) {
            if err.local {
                continue;
            }
            if let Some(response) = matcher.queued_error(
                &rx[..err.len],
                err.dst,
                err.offender,
                err.icmp_type,
                err.icmp_code,
                err.at,
            ) {
                engine.on_response(response);
            }
        }
        // A service answering on the probe port: nothing to match.
        while socket.discard().is_ok() {}
    }
}
