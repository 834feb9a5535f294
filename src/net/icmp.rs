//! ICMP sockets: raw (with `CAP_NET_RAW`) or datagram ("ping sockets", allowed by
//! `net.ipv4.ping_group_range`), for IPv4 and IPv6, with what ping needs from the kernel:
//!
//! - receive timestamps (`SO_TIMESTAMPNS`), converted to `Instant`s at once, so an RTT
//!   measures the network and not our scheduling;
//! - the TTL / hop limit of replies (from the IPv4 header on raw v4 sockets, otherwise
//!   from `IP_RECVTTL` / `IPV6_RECVHOPLIMIT` control messages);
//! - ICMP errors: a raw socket receives them as packets (parsed by the caller, quote and
//!   all); a datagram socket gets them on its error queue (`IP_RECVERR`/`IPV6_RECVERR`,
//!   read with `MSG_ERRQUEUE`), with the offending router in `sock_extended_err`;
//! - `ICMP_FILTER` / `ICMP6_FILTER` on raw sockets, so the process is not woken for every
//!   echo request, neighbour solicitation or router advertisement on the host.
//!
//! The control messages (timestamps, TTL, `sock_extended_err`) are decoded by
//! [`super::msg`], the error queue read by [`super::errqueue`]; both sit below this module
//! and are shared with trace's probe sockets. [`drain_icmp`] reads everything queued, for
//! ping's and trace's loops.
//!
//! Also here: [`reverse_name`], getnameinfo for the names in ping's rows.

use std::io;
use std::net::{IpAddr, SocketAddr, SocketAddrV4, SocketAddrV6};
#[cfg(unix)]
use std::net::{Ipv4Addr, Ipv6Addr};
#[cfg(unix)]
use std::os::fd::{AsFd, AsRawFd, BorrowedFd, RawFd};

use socket2::SockAddr;
#[cfg(unix)]
use socket2::{Domain, Protocol, Socket, Type};

#[cfg(unix)]
use super::addr::bound_address;
#[cfg(unix)]
use super::errqueue::{self, QueuedError};
#[cfg(unix)]
use super::msg::recvmsg;
use super::msg::Received;
#[cfg(any(target_os = "linux", target_os = "android"))]
use super::sockopt::setsockopt_raw;
#[cfg(unix)]
use super::sockopt::{enable_error_queue_if_any, set_recv_ttl, set_timestamps, set_ttl};
pub use crate::packet::icmp::Version;

/// Windows: the ICMP helper API behind the same type (`icmp/windows.rs`).
#[cfg(windows)]
mod windows;
#[cfg(windows)]
pub use windows::IcmpSocket;
/// The threads Windows' blocking calls run on (platform-neutral, tested on Linux too).
#[cfg(any(windows, test))]
mod workers;

/// Which kind of ICMP socket.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Mode {
    /// `SOCK_RAW`: needs `CAP_NET_RAW`; we choose the identifier and see every ICMP
    /// packet on the host (minus what the filter drops).
    Raw,
    /// `SOCK_DGRAM`: the kernel chooses the identifier (the socket's "port") and only
    /// hands us replies that carry it.
    Datagram,
}

impl Mode {
    pub fn as_str(self) -> &'static str {
        match self {
            Mode::Raw => "raw",
            Mode::Datagram => "datagram",
        }
    }
}

#[cfg(any(target_os = "linux", target_os = "android"))]
const SOL_RAW: libc::c_int = 255;
#[cfg(any(target_os = "linux", target_os = "android"))]
const ICMP_FILTER: libc::c_int = 1;
#[cfg(any(target_os = "linux", target_os = "android"))]
const ICMP6_FILTER: libc::c_int = 1;

#[cfg(unix)]
/// An open, non-blocking ICMP socket of one family.
pub struct IcmpSocket {
    socket: Socket,
    version: Version,
    mode: Mode,
    ident: u16,
}

#[cfg(unix)]
impl IcmpSocket {
    /// Opens a socket. `raw_ident` is the identifier raw-socket probes will carry; a
    /// datagram socket ignores it and reports the kernel's choice from [`Self::ident`].
    pub fn open(version: Version, mode: Mode, raw_ident: u16) -> io::Result<IcmpSocket> {
        Self::open_from(version, mode, raw_ident, None)
    }

    /// [`Self::open`], bound to `source` (ping `-I ADDR`) instead of any address.
    pub fn open_from(
        version: Version,
        mode: Mode,
        raw_ident: u16,
        source: Option<IpAddr>,
    ) -> io::Result<IcmpSocket> {
        let (domain, protocol) = match version {
            Version::V4 => (Domain::IPV4, Protocol::ICMPV4),
            Version::V6 => (Domain::IPV6, Protocol::ICMPV6),
        };
        let ty = match mode {
            Mode::Raw => Type::RAW,
            Mode::Datagram => Type::DGRAM,
        };
        let socket = Socket::new(domain, ty, Some(protocol))?;
        socket.set_nonblocking(true)?;
        // Many targets at once: room for a burst of replies.
        let _ = socket.set_recv_buffer_size(1 << 20);
        let fd = socket.as_raw_fd();
        set_timestamps(fd)?;
        let mut ident = raw_ident;
        match (version, mode) {
            // The kernel-side filters are Linux's (the BSDs' ICMP6_FILTER has another
            // number and the opposite bit sense, and IPv4 has none there): elsewhere the
            // caller's parser drops what is not ours, as it does here for what passes.
            #[cfg(not(any(target_os = "linux", target_os = "android")))]
            (_, Mode::Raw) => {
                if version == Version::V6 {
                    set_recv_ttl(fd, true)?;
                }
            }
            #[cfg(any(target_os = "linux", target_os = "android"))]
            (Version::V4, Mode::Raw) => {
                // Bits set are dropped: pass echo reply and the errors about our probes
                // (types from 32 on, as RFC 8335 replies, always pass).
                let pass: u32 = (1 << 0) | (1 << 3) | (1 << 11) | (1 << 12);
                setsockopt_raw(fd, SOL_RAW, ICMP_FILTER, &!pass)?;
            }
            #[cfg(any(target_os = "linux", target_os = "android"))]
            (Version::V6, Mode::Raw) => {
                let mut filter = [u32::MAX; 8]; // block all ...
                for ty in [1u8, 2, 3, 4, 129, 161] {
                    filter[usize::from(ty >> 5)] &= !(1 << (ty & 31)); // ... but these
                }
                setsockopt_raw(fd, libc::IPPROTO_ICMPV6, ICMP6_FILTER, &filter)?;
                set_recv_ttl(fd, true)?;
            }
            (Version::V4, Mode::Datagram) => {
                enable_error_queue_if_any(fd, false)?;
                set_recv_ttl(fd, false)?;
                let src = source.unwrap_or(Ipv4Addr::UNSPECIFIED.into());
                socket.bind(&SocketAddr::from((src, 0)).into())?;
                ident = datagram_ident(&socket, raw_ident)?;
            }
            (Version::V6, Mode::Datagram) => {
                enable_error_queue_if_any(fd, true)?;
                set_recv_ttl(fd, true)?;
                let src = source.unwrap_or(Ipv6Addr::UNSPECIFIED.into());
                socket.bind(&SocketAddr::from((src, 0)).into())?;
                ident = datagram_ident(&socket, raw_ident)?;
            }
        }
        if let (Mode::Raw, Some(src)) = (mode, source) {
            socket.bind(&SocketAddr::from((src, 0)).into())?;
        }
        Ok(IcmpSocket {
            socket,
            version,
            mode,
            ident,
        })
    }

    /// Applies `-I IFACE`, `-Q`, `-M`, `-m`, `-b` (see [`super::options`]).
    pub fn apply(
        &self,
        opts: &super::options::SocketOptions,
    ) -> Result<(), super::options::Refused> {
        super::options::apply(self.socket.as_raw_fd(), self.version == Version::V6, opts)
    }

    /// A second descriptor of the same socket (`dup`): same identifier, same receive
    /// queue, so only one of the two may be read at a time. What lets a long-running
    /// service keep a raw socket opened while privileged and lend it to one run after
    /// another (the exporter's pinger restarts, its /probe pool).
    pub fn try_clone(&self) -> io::Result<IcmpSocket> {
        Ok(IcmpSocket {
            socket: self.socket.try_clone()?,
            version: self.version,
            mode: self.mode,
            ident: self.ident,
        })
    }

    /// Sets the receive buffer (the kernel doubles it for its bookkeeping).
    pub fn set_recv_buffer_size(&self, bytes: usize) -> io::Result<()> {
        self.socket.set_recv_buffer_size(bytes)
    }

    pub fn version(&self) -> Version {
        self.version
    }
    pub fn mode(&self) -> Mode {
        self.mode
    }
    /// The echo identifier replies to this socket carry.
    pub fn ident(&self) -> u16 {
        self.ident
    }

    /// Sets the TTL (IPv4) or unicast hop limit (IPv6) of outgoing probes.
    pub fn set_ttl(&self, ttl: u8) -> io::Result<()> {
        set_ttl(self.socket.as_raw_fd(), self.version == Version::V6, ttl)
    }

    /// Sends one ICMP message (without IP header).
    ///
    /// On a datagram socket an ICMP error about an earlier probe (a router's time
    /// exceeded, say) is queued on the error queue *and* left as the socket's pending
    /// error, which the next `sendto` returns (EHOSTUNREACH for a time exceeded) instead
    /// of sending. That error belongs to the earlier probe and is read from the error
    /// queue; the failed call has cleared it, so the send is tried again. A few tries
    /// cover errors arriving in between; a real failure fails every time and is returned.
    pub fn send_to(&self, packet: &[u8], dst: SocketAddr) -> io::Result<usize> {
        let dst = SockAddr::from(dst);
        let mut result = self.socket.send_to(packet, &dst);
        if self.mode == Mode::Datagram {
            for _ in 0..PENDING_ERROR_RETRIES {
                match &result {
                    Err(e) if is_pending_icmp_error(e) => {
                        result = self.socket.send_to(packet, &dst)
                    }
                    _ => break,
                }
            }
        }
        result
    }

    /// Reads one message; `WouldBlock` when there is none.
    pub fn recv(&self, buf: &mut [u8]) -> io::Result<Received> {
        #[allow(unused_mut)] // changed below outside Linux only
        let mut msg = recvmsg(self.socket.as_raw_fd(), buf, 0)?;
        // The BSDs and macOS hand IPv4 datagrams over with their header's length field
        // rewritten, and macOS's datagram sockets hand over the IPv4 header too (with
        // every ICMP message, errors included, and the identifier we chose): each is
        // made what the callers expect of its mode, a raw IPv4 datagram or a bare ICMP
        // message.
        #[cfg(not(any(target_os = "linux", target_os = "android")))]
        if self.version == Version::V4 {
            let strip = cfg!(target_os = "macos") && self.mode == Mode::Datagram;
            if let Some((len, ttl)) = normalise_bsd_ipv4(buf, msg.len, strip) {
                msg.len = len;
                msg.ttl = msg.ttl.or(Some(ttl));
            }
        }
        Ok(Received {
            len: msg.len,
            from: msg.from.unwrap_or(match self.version {
                Version::V4 => Ipv4Addr::UNSPECIFIED.into(),
                Version::V6 => Ipv6Addr::UNSPECIFIED.into(),
            }),
            at: msg.at,
            ttl: msg.ttl,
        })
    }

    /// Reads one entry of the error queue; `WouldBlock` when it is empty.
    pub fn recv_error(&self, buf: &mut [u8]) -> io::Result<QueuedError> {
        errqueue::recv(self.socket.as_raw_fd(), buf)
    }
}

#[cfg(unix)]
/// How many times a datagram socket's send is tried again after it returned the pending
/// error of an earlier probe's ICMP error.
const PENDING_ERROR_RETRIES: usize = 3;

#[cfg(unix)]
/// The errors an ICMP error leaves pending on a socket with `IP_RECVERR`/`IPV6_RECVERR`
/// (the kernel's `icmp_err_convert` and `icmpv6_err_convert`).
fn is_pending_icmp_error(err: &io::Error) -> bool {
    matches!(
        err.raw_os_error(),
        Some(
            libc::EHOSTUNREACH
                | libc::ENETUNREACH
                | libc::EHOSTDOWN
                | libc::ECONNREFUSED
                | libc::EACCES
                | libc::EPROTO
                | libc::EMSGSIZE
                | libc::ENOPROTOOPT
                | libc::EOPNOTSUPP
        )
    )
}

#[cfg(unix)]
impl AsRawFd for IcmpSocket {
    fn as_raw_fd(&self) -> RawFd {
        self.socket.as_raw_fd()
    }
}

#[cfg(unix)]
impl AsFd for IcmpSocket {
    fn as_fd(&self) -> BorrowedFd<'_> {
        self.socket.as_fd()
    }
}

/// Reads every message queued on an ICMP socket, handing each to `each` with what the
/// kernel said about it; stops when nothing is left.
pub fn drain_icmp(socket: &IcmpSocket, buf: &mut [u8], mut each: impl FnMut(&[u8], &Received)) {
    let mut failures = 0;
    for _ in 0..4096 {
        match socket.recv(buf) {
            Ok(rx) => each(&buf[..rx.len], &rx),
            Err(e) if e.kind() == io::ErrorKind::WouldBlock => break,
            Err(e) if e.kind() == io::ErrorKind::Interrupted => continue,
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

/// A received IPv4 datagram (`buf[..len]`) as the BSDs deliver it, made what Linux
/// delivers: the total-length field set to the bytes received, in network order (BSD
/// kernels hand it over in host order, and older ones without the header), and with
/// `strip` the header removed, leaving the bare ICMP message at the start of `buf`.
/// Returns the new length and the datagram's TTL; None (and `buf` untouched) when the
/// bytes are not an IPv4 header. The header is read by hand rather than through
/// `packet::ipv4`, whose parser rightly trusts the very length field this repairs.
#[cfg_attr(
    any(target_os = "linux", target_os = "android", windows),
    allow(dead_code)
)]
fn normalise_bsd_ipv4(buf: &mut [u8], len: usize, strip: bool) -> Option<(usize, u8)> {
    let bytes = buf.get(..len)?;
    let header_len = usize::from(*bytes.first()? & 0x0f) * 4;
    if bytes[0] >> 4 != 4 || header_len < 20 || header_len > len {
        return None;
    }
    let ttl = bytes[8];
    if strip {
        buf.copy_within(header_len..len, 0);
        return Some((len - header_len, ttl));
    }
    let total = u16::try_from(len).ok()?;
    buf[2..4].copy_from_slice(&total.to_be_bytes());
    Some((len, ttl))
}

#[cfg(unix)]
fn local_port(socket: &Socket) -> io::Result<u16> {
    bound_address(socket).map(|a| a.port())
}

#[cfg(unix)]
/// The identifier a datagram socket's echoes carry: on Linux the kernel's (the socket's
/// "port", written into every echo it sends); macOS leaves the one we write alone, so it
/// is ours to choose (`raw_ident`, or a random one), as on a raw socket.
fn datagram_ident(socket: &Socket, raw_ident: u16) -> io::Result<u16> {
    if cfg!(any(target_os = "linux", target_os = "android")) {
        return local_port(socket);
    }
    Ok(match raw_ident {
        0 => u16::from_ne_bytes(random_bytes()),
        ours => ours,
    })
}

#[cfg(unix)]
/// The name of an address from the system resolver (getnameinfo, `NI_NAMEREQD`), or None.
/// Blocking: call it from a blocking thread.
pub fn reverse_name(addr: IpAddr) -> Option<String> {
    let sa = sockaddr_of(addr);
    #[allow(clippy::unnecessary_cast)] // a c_uint on Linux and macOS, a usize on FreeBSD
    let mut host = [0 as libc::c_char; libc::NI_MAXHOST as usize];
    // getnameinfo's host length is a socklen_t, except on FreeBSD (a size_t).
    #[cfg(not(target_os = "freebsd"))]
    let host_len = host.len() as libc::socklen_t;
    #[cfg(target_os = "freebsd")]
    let host_len = host.len();
    // SAFETY: sa is a valid socket address of sa.len() bytes; host is a writable buffer
    // of the size passed; no service buffer is requested.
    let rc = unsafe {
        libc::getnameinfo(
            sa.as_ptr() as *const libc::sockaddr,
            sa.len(),
            host.as_mut_ptr(),
            host_len,
            std::ptr::null_mut(),
            0,
            libc::NI_NAMEREQD,
        )
    };
    if rc != 0 {
        return None;
    }
    // SAFETY: getnameinfo NUL-terminates on success.
    let name = unsafe { std::ffi::CStr::from_ptr(host.as_ptr()) };
    let name = name.to_string_lossy().trim_end_matches('.').to_string();
    (!name.is_empty()).then_some(name)
}

/// The name of an address from the system resolver (WinSock's getnameinfo,
/// `NI_NAMEREQD`), or None. Blocking: call it from a blocking thread.
#[cfg(windows)]
pub fn reverse_name(addr: IpAddr) -> Option<String> {
    use windows_sys::Win32::Networking::WinSock as ws;
    let sa = sockaddr_of(addr);
    super::sys::start_winsock().ok()?;
    let mut host = [0u8; ws::NI_MAXHOST as usize];
    // SAFETY: sa is a valid socket address of sa.len() bytes; host is a writable buffer
    // of the size passed; no service buffer is requested.
    let rc = unsafe {
        ws::getnameinfo(
            sa.as_ptr().cast(),
            sa.len(),
            host.as_mut_ptr(),
            host.len() as u32,
            std::ptr::null_mut(),
            0,
            ws::NI_NAMEREQD as i32,
        )
    };
    if rc != 0 {
        return None;
    }
    let name = std::ffi::CStr::from_bytes_until_nul(&host).ok()?;
    let name = name.to_string_lossy().trim_end_matches('.').to_string();
    (!name.is_empty()).then_some(name)
}

/// `addr` with port 0, as the resolver's calls take it.
fn sockaddr_of(addr: IpAddr) -> SockAddr {
    SockAddr::from(match addr {
        IpAddr::V4(a) => SocketAddr::V4(SocketAddrV4::new(a, 0)),
        IpAddr::V6(a) => SocketAddr::V6(SocketAddrV6::new(a, 0, 0, 0)),
    })
}

/// Random bytes from the system (the getrandom crate: getrandom(2) on Linux and FreeBSD,
/// getentropy on macOS, ProcessPrng on Windows), for identifiers and payload tokens.
pub fn random_bytes<const N: usize>() -> [u8; N] {
    let mut buf = [0u8; N];
    if getrandom::fill(&mut buf).is_err() {
        // Never expected; fall back to something that still differs per process and run.
        let seed = u64::from(std::process::id())
            ^ std::time::SystemTime::now()
                .duration_since(std::time::UNIX_EPOCH)
                .map(|d| d.as_nanos() as u64)
                .unwrap_or(0);
        for (i, b) in buf.iter_mut().enumerate() {
            *b = (seed.rotate_left(i as u32 * 8) as u8) ^ i as u8;
        }
    }
    buf
}

#[cfg(test)]
mod tests {
    use super::*;

    /// An IPv4 header (20 bytes, TTL 57) with a BSD-style total length (host order,
    /// without the header) before an 8-byte ICMP echo reply.
    fn bsd_datagram() -> Vec<u8> {
        let mut d = vec![
            0x45, 0, 0, 0, 0, 0, 0, 0, 57, 1, 0, 0, 10, 0, 0, 1, 10, 0, 0, 2,
        ];
        d[2..4].copy_from_slice(&8u16.to_ne_bytes());
        d.extend_from_slice(&[0, 0, 0xff, 0xfe, 0, 7, 0, 1]);
        d
    }

    #[test]
    fn a_bsd_ipv4_datagram_gets_its_true_length_back() {
        let mut buf = bsd_datagram();
        buf.resize(64, 0xaa);
        assert_eq!(normalise_bsd_ipv4(&mut buf, 28, false), Some((28, 57)));
        assert_eq!(&buf[2..4], &[0, 28]);
        assert_eq!(&buf[20..28], &[0, 0, 0xff, 0xfe, 0, 7, 0, 1]);
    }

    #[test]
    fn a_macos_datagram_socket_message_is_left_bare() {
        let mut buf = bsd_datagram();
        assert_eq!(normalise_bsd_ipv4(&mut buf, 28, true), Some((8, 57)));
        assert_eq!(&buf[..8], &[0, 0, 0xff, 0xfe, 0, 7, 0, 1]);
    }

    #[test]
    fn what_is_not_an_ipv4_header_is_left_alone() {
        let mut bare = vec![0u8, 0, 0xff, 0xfe, 0, 7, 0, 1];
        assert_eq!(normalise_bsd_ipv4(&mut bare, 8, true), None);
        assert_eq!(bare, [0, 0, 0xff, 0xfe, 0, 7, 0, 1]);
        let mut long_header = bsd_datagram();
        long_header[0] = 0x4f; // 60 header bytes, more than there are
        assert_eq!(normalise_bsd_ipv4(&mut long_header, 28, false), None);
        for len in 0..28 {
            let _ = normalise_bsd_ipv4(&mut bsd_datagram(), len, true);
        }
        assert_eq!(normalise_bsd_ipv4(&mut bsd_datagram(), 99, true), None);
    }
}
