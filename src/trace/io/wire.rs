//! Sending probes and reading answers on the sockets `sockets.rs` opened: the
//! [`Network`] the loop runs on in real use.
//!
//! Everything read is matched by `probe.rs` and handed back with the kernel's receive
//! timestamp (`SO_TIMESTAMPNS`, error queue and raw sockets alike), so wake-up and parsing
//! time never enter an RTT. The exception is unprivileged TCP: a SYN-ACK or RST is only
//! seen as the socket's state change, timed when `poll` returns (with `CAP_NET_RAW` the
//! raw TCP socket reads them, kernel-timestamped like the rest).

use std::collections::HashMap;
use std::io::{self, ErrorKind};
use std::time::{Duration, Instant};

use super::super::engine::{Probe, ProbeId, Reply, Response, Wire};
use super::super::probe::{classify, icmp_payload, tcp_sequence, udp_payload_for, Matcher, Method};
use super::super::Resolved;
use super::sockets::{Main, Sockets};
use super::Network;
use crate::net::err::{self, Kind};
use crate::net::errqueue::QueuedError;
use crate::net::icmp::{self, Mode, Version};
use crate::net::options::path_mtu;
use crate::net::probe::{self as netprobe, Pollable, TcpProbeSocket, Want};
use crate::packet::icmp::{error_kind, write_echo_request};
use crate::packet::transport::write_tcp_syn;

const BUF_LEN: usize = 65_536 + 60;

struct TcpProbe {
    socket: TcpProbeSocket,
    ttl: u8,
}

/// A trace's sockets, with what it takes to match their answers to probes.
pub(super) struct Wired<'a> {
    target: &'a Resolved,
    sockets: Sockets,
    matcher: Matcher,
    token: [u8; 8],
    tcp: HashMap<ProbeId, TcpProbe>,
    tcp_ports: HashMap<u16, ProbeId>,
    packet: Vec<u8>,
    rx: Vec<u8>,
}

impl<'a> Wired<'a> {
    /// Probes to `target` over `sockets`, answers matched by `matcher` (whose token is
    /// `token`), for probe data up to `data_len` bytes.
    pub(super) fn new(
        target: &'a Resolved,
        sockets: Sockets,
        matcher: Matcher,
        token: [u8; 8],
        data_len: usize,
    ) -> Wired<'a> {
        Wired {
            target,
            sockets,
            matcher,
            token,
            tcp: HashMap::new(),
            tcp_ports: HashMap::new(),
            packet: vec![0u8; 512.max(data_len + 64)],
            rx: vec![0u8; BUF_LEN],
        }
    }

    fn drain_main(&mut self, out: &mut Vec<Response>) {
        let no_tcp = |_| None;
        match &self.sockets.main {
            Main::Udp(socket) => {
                drain_queue(&self.matcher, &mut self.rx, out, |buf| {
                    socket.recv_error(buf)
                });
                // A service on the probe port answering: nothing to match; discard.
                for _ in 0..4096 {
                    if socket.discard().is_err() {
                        break;
                    }
                }
            }
            Main::Icmp(socket) => {
                if socket.mode() == Mode::Datagram {
                    drain_queue(&self.matcher, &mut self.rx, out, |buf| {
                        socket.recv_error(buf)
                    });
                }
                let matcher = &self.matcher;
                icmp::drain_icmp(socket, &mut self.rx, |bytes, rx| {
                    let response = match socket.mode() {
                        Mode::Raw => matcher.raw_icmp(bytes, rx.from, rx.at, &no_tcp),
                        Mode::Datagram => matcher.icmp_message(bytes, rx.from, rx.at, &no_tcp),
                    };
                    if let Some(mut response) = response {
                        let raw_v4 = socket.mode() == Mode::Raw && socket.version() == Version::V4;
                        if let Some(ttl) = arrival_ttl(raw_v4, bytes, rx.ttl) {
                            response.wire.ttl = Some(ttl);
                        }
                        out.push(response);
                    }
                });
            }
            Main::RawTcp(socket) => {
                for _ in 0..4096 {
                    match socket.recv(&mut self.rx) {
                        Ok(rx) => {
                            let bytes = &self.rx[..rx.len];
                            if let Some(mut response) = self.matcher.raw_tcp(bytes, rx.from, rx.at)
                            {
                                let v4 = self.matcher.version == Version::V4;
                                if let Some(ttl) = arrival_ttl(v4, bytes, rx.ttl) {
                                    response.wire.ttl = Some(ttl);
                                }
                                out.push(response);
                            }
                        }
                        Err(e) if e.kind() == ErrorKind::Interrupted => continue,
                        Err(_) => break,
                    }
                }
            }
            Main::Tcp => {}
        }
    }

    fn drain_raw(&mut self, out: &mut Vec<Response>) {
        let Some(raw) = &self.sockets.raw else {
            return;
        };
        let ports = &self.tcp_ports;
        let lookup = |port: u16| ports.get(&port).copied();
        for _ in 0..4096 {
            match raw.recv(&mut self.rx) {
                Ok(rx) => {
                    let bytes = &self.rx[..rx.len];
                    if let Some(mut response) =
                        self.matcher.raw_icmp(bytes, rx.from, rx.at, &lookup)
                    {
                        let v4 = raw.version() == Version::V4;
                        if let Some(ttl) = arrival_ttl(v4, bytes, rx.ttl) {
                            response.wire.ttl = Some(ttl);
                        }
                        out.push(response);
                    }
                }
                Err(e) if e.kind() == ErrorKind::Interrupted => continue,
                Err(_) => break,
            }
        }
    }

    /// A TCP probe's socket is ready: an ICMP error (queued), a SYN-ACK (connected) or a
    /// RST (refused).
    fn tcp_outcome(&mut self, id: ProbeId, woke: Instant, out: &mut Vec<Response>) {
        let Some(probe) = self.tcp.remove(&id) else {
            return;
        };
        self.tcp_ports.remove(&probe.socket.local_port());
        let version = self.matcher.version;
        let mut queued = false;
        for _ in 0..16 {
            match probe.socket.recv_error(&mut self.rx) {
                Ok(err) if !err.local => {
                    let (Some(kind), Some(from)) = (
                        error_kind(version, err.icmp_type, err.icmp_code),
                        err.offender,
                    ) else {
                        continue;
                    };
                    queued = true;
                    out.push(Response {
                        probe: id,
                        from,
                        reply: classify(Method::Tcp, kind),
                        at: err.at,
                        mpls: Vec::new(),
                        objects: Vec::new(),
                        wire: Wire {
                            ttl: err.ttl,
                            ..Wire::default()
                        },
                    });
                }
                Ok(_) => {}
                Err(_) => break,
            }
        }
        if queued {
            return;
        }
        let reached = match probe.socket.outcome() {
            Ok(None) => true,
            Ok(Some(e)) => err::is(&e, Kind::ConnectionRefused),
            Err(_) => false,
        };
        if reached {
            out.push(Response {
                probe: id,
                from: self.target.addr(),
                reply: Reply::Reached,
                at: woke,
                mpls: Vec::new(),
                objects: Vec::new(),
                // A connect() outcome: no packet to look at.
                wire: Wire::default(),
            });
        }
        // Otherwise a local error (no route, ...): the socket is done; the engine gives
        // the probe up at its deadline.
    }
}

impl Network for Wired<'_> {
    fn send(&mut self, probe: &Probe, data_len: usize) -> io::Result<Instant> {
        let dst = self.target.sockaddr;
        match &self.sockets.main {
            Main::Icmp(socket) => {
                let mut payload = icmp_payload(&self.token, socket.ident(), probe.id).to_vec();
                payload.resize(data_len, 0);
                let version = socket.version();
                match write_echo_request(
                    &mut self.packet,
                    version,
                    socket.ident(),
                    probe.id.0,
                    &payload,
                ) {
                    Ok(len) => socket.set_ttl(probe.ttl).and_then(|()| {
                        let at = Instant::now();
                        socket.send_to(&self.packet[..len], dst).map(|_| at)
                    }),
                    Err(e) => Err(io::Error::other(e.to_string())),
                }
            }
            Main::Udp(socket) => {
                let local = socket.local();
                let mut payload = udp_payload_for(
                    &self.token,
                    probe.id,
                    local.ip(),
                    dst.ip(),
                    local.port(),
                    dst.port(),
                    data_len,
                )
                .to_vec();
                payload.resize(data_len, 0);
                let at = Instant::now();
                socket.send(probe.ttl, &payload, dst).map(|()| at)
            }
            Main::RawTcp(socket) => {
                let local = socket.local();
                let seq = tcp_sequence(&self.token, probe.id);
                match write_tcp_syn(
                    &mut self.packet,
                    local.ip(),
                    dst.ip(),
                    local.port(),
                    dst.port(),
                    seq,
                ) {
                    Ok(len) => {
                        let at = Instant::now();
                        socket
                            .send(probe.ttl, &self.packet[..len], dst)
                            .map(|()| at)
                    }
                    Err(e) => Err(io::Error::other(e.to_string())),
                }
            }
            Main::Tcp => {
                let at = Instant::now();
                TcpProbeSocket::connect_with(
                    self.sockets.src,
                    dst,
                    probe.ttl,
                    &self.sockets.options,
                )
                .map(|socket| {
                    self.tcp_ports.insert(socket.local_port(), probe.id);
                    self.tcp.insert(
                        probe.id,
                        TcpProbe {
                            socket,
                            ttl: probe.ttl,
                        },
                    );
                    at
                })
            }
        }
    }

    fn path_mtu(&self) -> Option<u32> {
        let device = self.sockets.options.device.as_deref();
        path_mtu(self.target.sockaddr, Some(self.sockets.src), device).ok()
    }

    fn forget(&mut self, ttl: u8) {
        let ids: Vec<ProbeId> = self
            .tcp
            .iter()
            .filter(|(_, p)| p.ttl <= ttl)
            .map(|(id, _)| *id)
            .collect();
        for id in ids {
            if let Some(p) = self.tcp.remove(&id) {
                self.tcp_ports.remove(&p.socket.local_port());
            }
        }
    }

    fn wait(&mut self, timeout: Duration) -> io::Result<Vec<Response>> {
        let mut fds: Vec<(&dyn Pollable, Want)> = Vec::new();
        match &self.sockets.main {
            Main::Icmp(s) => fds.push((s, Want::Read)),
            Main::Udp(s) => fds.push((s, Want::Read)),
            Main::RawTcp(s) => fds.push((s, Want::Read)),
            Main::Tcp => {}
        }
        if let Some(raw) = &self.sockets.raw {
            fds.push((raw, Want::Read));
        }
        let tcp_ids: Vec<ProbeId> = self.tcp.keys().copied().collect();
        for id in &tcp_ids {
            fds.push((&self.tcp[id].socket, Want::Write));
        }
        let ready = if fds.is_empty() {
            std::thread::sleep(timeout);
            Vec::new()
        } else {
            netprobe::poll(&fds, timeout)?
        };
        let woke = Instant::now();
        let mut out = Vec::new();
        let mut index = 0;
        let mut next_ready = || {
            let r = ready.get(index).copied().unwrap_or(false);
            index += 1;
            r
        };
        // The error queue before the raw listener: the kernel hands an ICMP error to raw
        // sockets before its protocol handler queues it on the probe socket, so the raw
        // copy of every queued error read here is already waiting when the raw listener
        // is drained below, and both copies reach the engine in one batch.
        if !matches!(self.sockets.main, Main::Tcp) && next_ready() {
            self.drain_main(&mut out);
        }
        if self.sockets.raw.is_some() && next_ready() {
            self.drain_raw(&mut out);
        }
        for id in tcp_ids {
            if next_ready() {
                self.tcp_outcome(id, woke, &mut out);
            }
        }
        Ok(out)
    }
}

/// Reads a socket's error queue (`recv_error`) into matched responses.
fn drain_queue(
    matcher: &Matcher,
    rx: &mut [u8],
    out: &mut Vec<Response>,
    recv_error: impl Fn(&mut [u8]) -> io::Result<QueuedError>,
) {
    for _ in 0..4096 {
        match recv_error(rx) {
            Ok(err) if !err.local => {
                let response = matcher.queued_error(
                    &rx[..err.len],
                    err.dst,
                    err.offender,
                    err.icmp_type,
                    err.icmp_code,
                    err.at,
                );
                if let Some(mut response) = response {
                    if let Some(ttl) = err.ttl {
                        response.wire.ttl = Some(ttl);
                    }
                    out.push(response);
                }
            }
            Ok(_) => {}
            Err(_) => break,
        }
    }
}

/// The TTL / hop limit an answer arrived with: from its IPv4 header on a raw IPv4 socket
/// (`bytes` start with it), from the control message otherwise.
fn arrival_ttl(ipv4_header: bool, bytes: &[u8], cmsg: Option<u8>) -> Option<u8> {
    if ipv4_header {
        crate::packet::ipv4::Ipv4::parse(bytes)
            .ok()
            .map(|ip| ip.ttl())
    } else {
        cmsg
    }
}
