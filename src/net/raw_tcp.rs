//! The privileged TCP trace's sockets (`CAP_NET_RAW`): SYNs built by
//! [`crate::packet::transport::write_tcp_syn`] go out of one raw `IPPROTO_TCP` socket,
//! all from one source port, so every probe of a trace is one flow (Paris traceroute).
//!
//! - The source port is reserved for the run by an ordinary TCP socket bound to it
//!   (port 0: the kernel picks a free one) and kept open, never listening nor connecting.
//!   No other socket on the host can take the port while the trace runs, and since no
//!   socket *accepts* anything on it, the kernel answers each SYN-ACK the destination
//!   sends with a RST itself: no half-open connection is left behind on the destination.
//! - The raw socket is bound to the source address the route to the destination uses
//!   (the one the checksum's pseudo-header was computed with); the TTL / hop limit is set
//!   with `setsockopt` right before each send (the trace driver is one thread). The
//!   kernel writes the IP header, IP ID included.
//! - The same raw socket receives a copy of every TCP segment that arrives on the host
//!   (IPv4: with its IP header; IPv6: the bare segment), with its kernel receive time;
//!   the caller keeps the destination's answers to its probes (addresses, ports, and an
//!   acknowledgment that names a probe's sequence number). ICMP errors about the SYNs are
//!   read from the trace's raw ICMP socket.

use std::io;
use std::net::{IpAddr, SocketAddr};

use socket2::{Domain, Protocol, SockAddr, Socket, Type};

use crate::net::addr::{any_port, bound_address};
use crate::net::msg::{recv_packet, Received};
use crate::net::sockopt::{set_timestamps, set_ttl};
use crate::net::sys::{AsRawFd, RawFd};

/// The raw TCP socket of a trace and the socket that reserves its source port.
pub struct RawTcpSocket {
    raw: Socket,
    /// Bound to `local`, kept open for the run: the reservation.
    _reserved: Socket,
    local: SocketAddr,
    v6: bool,
}

impl RawTcpSocket {
    /// Opens the raw socket (needs `CAP_NET_RAW`) and reserves a source port on `src`.
    pub fn open(src: IpAddr, scope_id: u32) -> io::Result<RawTcpSocket> {
        if cfg!(windows) {
            return Err(crate::net::sys::unsupported(
                "sending TCP SYNs through a raw socket (Windows forbids raw TCP sends)",
            ));
        }
        let v6 = src.is_ipv6();
        let domain = if v6 { Domain::IPV6 } else { Domain::IPV4 };
        let bind = any_port(src, scope_id);
        let raw = Socket::new(domain, Type::RAW, Some(Protocol::TCP))?;
        raw.set_nonblocking(true)?;
        // Every TCP segment of the host comes through here: room for bursts.
        let _ = raw.set_recv_buffer_size(1 << 20);
        raw.bind(&bind.into())?;
        set_timestamps(raw.as_raw_fd())?;
        let reserved = Socket::new(domain, Type::STREAM, Some(Protocol::TCP))?;
        reserved.bind(&bind.into())?;
        let local = bound_address(&reserved)?;
        Ok(RawTcpSocket {
            raw,
            _reserved: reserved,
            local,
            v6,
        })
    }

    /// Applies trace's `--interface`, `-t`, `-F` ([`super::options`]).
    pub fn apply(
        &self,
        opts: &super::options::SocketOptions,
    ) -> Result<(), super::options::Refused> {
        super::options::apply(self.raw.as_raw_fd(), self.v6, opts)
    }

    /// The source address and the reserved source port every SYN carries.
    pub fn local(&self) -> SocketAddr {
        self.local
    }

    /// Sends one segment (a whole TCP header, checksum included) with this TTL.
    pub fn send(&self, ttl: u8, segment: &[u8], dst: SocketAddr) -> io::Result<()> {
        set_ttl(self.raw.as_raw_fd(), self.v6, ttl)?;
        // A raw socket's "port" must be 0 (IPv6 rejects anything else as the protocol).
        let mut to = dst;
        to.set_port(0);
        self.raw.send_to(segment, &SockAddr::from(to)).map(drop)
    }

    /// One received segment (IPv4: with its IP header); `WouldBlock` when none is queued.
    pub fn recv(&self, buf: &mut [u8]) -> io::Result<Received> {
        recv_packet(self.raw.as_raw_fd(), buf)
    }
}

impl AsRawFd for RawTcpSocket {
    fn as_raw_fd(&self) -> RawFd {
        self.raw.as_raw_fd()
    }
}
