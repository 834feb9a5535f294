//! Ping's ICMP sockets as the loop's [`Network`]: echo requests out, replies and ICMP
//! errors (as packets on a raw socket, on the error queue of a datagram one) parsed with
//! `crate::packet` and handed to the engine with their kernel receive timestamps.

use std::io;
use std::net::{IpAddr, SocketAddr};
use std::time::Instant;

use super::super::engine::{EchoReply, Engine, ProbeError};
use super::Network;
use crate::net::errqueue::QueuedError;
use crate::net::icmp::{self, IcmpSocket, Mode, Version};
use crate::net::msg::Received;
use crate::net::options::path_mtu;
use crate::net::ready::AsyncIcmpSocket;
use crate::packet::icmp::{error_kind, Icmp, Message};
use crate::packet::ipv4::Ipv4;
use crate::packet::IcmpErrorKind;

use super::BUF_LEN;

/// Ping's sockets, one per family it may need.
pub(super) struct Wired {
    v4: Option<AsyncIcmpSocket>,
    v6: Option<AsyncIcmpSocket>,
    /// `-I`: what the sockets are bound to, so a local "message too long" names the MTU
    /// of the route the probes take.
    route: (Option<IpAddr>, Option<String>),
    rx: Vec<u8>,
}

impl Wired {
    pub(super) fn new(
        v4: Option<AsyncIcmpSocket>,
        v6: Option<AsyncIcmpSocket>,
        route: (Option<IpAddr>, Option<String>),
    ) -> Wired {
        Wired {
            v4,
            v6,
            route,
            rx: vec![0u8; BUF_LEN],
        }
    }

    fn socket(&self, version: Version) -> Option<&AsyncIcmpSocket> {
        match version {
            Version::V4 => self.v4.as_ref(),
            Version::V6 => self.v6.as_ref(),
        }
    }
}

impl Network for Wired {
    fn has(&self, version: Version) -> bool {
        self.socket(version).is_some()
    }

    fn send(&mut self, version: Version, packet: &[u8], to: SocketAddr) -> io::Result<Instant> {
        let Some(socket) = self.socket(version) else {
            return Err(io::Error::other("no socket for this address family"));
        };
        let at = Instant::now();
        socket.socket().send_to(packet, to).map(|_| at)
    }

    fn path_mtu(&self, to: SocketAddr) -> Option<u32> {
        path_mtu(to, self.route.0, self.route.1.as_deref()).ok()
    }

    async fn readable(&self) {
        // An error from the reactor is read as "something may be there": the drain that
        // follows finds out, without blocking.
        tokio::select! {
            _ = ready(&self.v4) => {}
            _ = ready(&self.v6) => {}
        }
    }

    fn drain(&mut self, engine: &mut Engine) {
        for socket in [&self.v4, &self.v6].into_iter().flatten() {
            drain(socket.socket(), engine, &mut self.rx);
        }
    }
}

/// Waits until the socket has something to read or an error queued; never for a
/// family without a socket.
async fn ready(socket: &Option<AsyncIcmpSocket>) -> io::Result<()> {
    match socket {
        Some(socket) => socket.readable().await,
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
