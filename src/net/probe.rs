//! Trace probe sockets: UDP and TCP with a chosen TTL, whose ICMP errors come back on the
//! socket's error queue (`IP_RECVERR` / `IPV6_RECVERR`) — the way Linux traceroute and
//! tracepath work without any privilege — and a `poll(2)` wrapper to wait on them.
//!
//! - [`UdpProbeSocket`]: one socket per trace, bound to one source address and port, so
//!   every probe of a trace has the same addresses and ports (a stable flow). The TTL is
//!   set with `setsockopt` right before each `sendto` (the trace driver is one thread).
//!   The error queue returns, per ICMP error, the sender (`offender`), type and code, the
//!   probe's destination, the kernel's receive time (`SO_TIMESTAMPNS`) and the quoted
//!   UDP payload, which names the probe.
//! - [`TcpProbeSocket`]: one non-blocking `connect()` per probe (the kernel will not let
//!   two connecting sockets share one source port toward the same destination port, so
//!   the source port differs per probe). A SYN that runs out of TTL aborts the connect
//!   with `EHOSTUNREACH` and queues the ICMP error; a SYN-ACK makes it writable; a RST
//!   gives `ECONNREFUSED` with nothing queued. This is the unprivileged TCP trace; with
//!   `CAP_NET_RAW` trace sends SYNs from one port instead (`net::raw_tcp`).

use std::io;
use std::net::{IpAddr, Ipv4Addr, Ipv6Addr, SocketAddr, UdpSocket};
use std::time::Duration;

use socket2::{Domain, Protocol, SockAddr, Socket, Type};

use crate::net::addr::{any_port, bound_address};
use crate::net::err::{self, Kind};
use crate::net::errqueue::{self, QueuedError};
use crate::net::options::{self, Refused, SocketOptions};
use crate::net::sockopt::{
    enable_error_queue, set_recv_ttl, set_timestamps, set_ttl, HAS_ERROR_QUEUE,
};
use crate::net::sys::{nonblocking_socket, AsRawFd, RawFd, CONNECT_IN_PROGRESS};

/// Asks for ICMP errors on the error queue, with kernel receive timestamps and the TTL /
/// hop limit each error arrived with (tracepath's way to guess the way back).
///
/// Without an error queue (macOS, the BSDs) these probes could not learn who answered:
/// refused, with the way that works there.
fn enable_timed_error_queue(fd: RawFd, v6: bool) -> io::Result<()> {
    if !HAS_ERROR_QUEUE {
        return Err(crate::net::sys::unsupported(
            "a UDP or TCP trace through ordinary sockets (it reads Linux's socket error queue)",
        ));
    }
    enable_error_queue(fd, v6)?;
    set_recv_ttl(fd, v6)?;
    set_timestamps(fd)
}

/// Whether [`UdpProbeSocket`] and [`TcpProbeSocket`] learn of the routers' ICMP errors
/// (through the socket error queue, Linux's alone); elsewhere they are refused, and
/// trace's default method is ICMP.
pub const UDP_PROBES_SEE_ERRORS: bool = HAS_ERROR_QUEUE;

/// The source address this host would use toward `dst` (a connected UDP socket sends
/// nothing, but the kernel picks the route and the address).
pub fn source_address(dst: SocketAddr) -> io::Result<IpAddr> {
    let any: SocketAddr = match dst {
        SocketAddr::V4(_) => (Ipv4Addr::UNSPECIFIED, 0).into(),
        SocketAddr::V6(_) => (Ipv6Addr::UNSPECIFIED, 0).into(),
    };
    let probe = UdpSocket::bind(any)?;
    let mut to = dst;
    if to.port() == 0 {
        to.set_port(9);
    }
    probe.connect(to)?;
    Ok(probe.local_addr()?.ip())
}

/// The errors the kernel derives from ICMP errors (pending on a socket after one
/// arrived); a router's fragmentation needed (trace -F, --mtu) is `MessageTooLong`.
fn is_icmp_errno(error: &io::Error) -> bool {
    matches!(
        err::kind(error),
        Some(
            Kind::ConnectionRefused
                | Kind::HostUnreachable
                | Kind::NetworkUnreachable
                | Kind::ProtocolError
                | Kind::AccessDenied
                | Kind::HostDown
                | Kind::NotOnNetwork
                | Kind::NotSupported
                | Kind::MessageTooLong
        )
    )
}

/// The UDP socket of a trace.
pub struct UdpProbeSocket {
    socket: Socket,
    local: SocketAddr,
    v6: bool,
}

impl UdpProbeSocket {
    /// Opens a socket bound to `src` and an ephemeral port, with the error queue on.
    pub fn open(src: IpAddr, scope_id: u32) -> io::Result<UdpProbeSocket> {
        let v6 = src.is_ipv6();
        let domain = if v6 { Domain::IPV6 } else { Domain::IPV4 };
        let socket = Socket::new(domain, Type::DGRAM, Some(Protocol::UDP))?;
        socket.set_nonblocking(true)?;
        enable_timed_error_queue(socket.as_raw_fd(), v6)?;
        socket.bind(&any_port(src, scope_id).into())?;
        let local = bound_address(&socket)?;
        Ok(UdpProbeSocket { socket, local, v6 })
    }

    pub fn local(&self) -> SocketAddr {
        self.local
    }

    /// Applies trace's `--interface`, `-t`, `-F` ([`super::options`]).
    pub fn apply(&self, opts: &SocketOptions) -> Result<(), Refused> {
        options::apply(self.socket.as_raw_fd(), self.v6, opts)
    }

    /// Sends one probe with this TTL.
    ///
    /// An ICMP error about an earlier probe also sets the socket's pending error, and the
    /// next `sendto` returns that instead of sending (clearing it). Such an errno says
    /// nothing about this probe — the error queue has the details — so send again once.
    pub fn send(&self, ttl: u8, payload: &[u8], dst: SocketAddr) -> io::Result<()> {
        set_ttl(self.socket.as_raw_fd(), self.v6, ttl)?;
        let to = SockAddr::from(dst);
        match self.socket.send_to(payload, &to) {
            Err(e) if is_icmp_errno(&e) => self.socket.send_to(payload, &to).map(drop),
            other => other.map(drop),
        }
    }

    /// One error-queue entry; `WouldBlock` when empty.
    pub fn recv_error(&self, buf: &mut [u8]) -> io::Result<QueuedError> {
        errqueue::recv(self.socket.as_raw_fd(), buf)
    }

    /// Discards one ordinary datagram (a service answering on the probe port);
    /// `WouldBlock` when none is queued.
    pub fn discard(&self) -> io::Result<()> {
        let mut buf = [std::mem::MaybeUninit::<u8>::uninit(); 64];
        self.socket.recv(&mut buf).map(drop)
    }
}

impl AsRawFd for UdpProbeSocket {
    fn as_raw_fd(&self) -> RawFd {
        self.socket.as_raw_fd()
    }
}

/// One TCP SYN probe.
pub struct TcpProbeSocket {
    socket: Socket,
    local_port: u16,
}

impl TcpProbeSocket {
    /// Starts a non-blocking connect with this TTL from `src`.
    pub fn connect(src: IpAddr, dst: SocketAddr, ttl: u8) -> io::Result<TcpProbeSocket> {
        Self::connect_with(src, dst, ttl, &SocketOptions::default())
    }

    /// [`Self::connect`] with trace's `--interface`, `-t`, `-F` set before the SYN leaves
    /// (a refused option is an `io::Error` naming it).
    pub fn connect_with(
        src: IpAddr,
        dst: SocketAddr,
        ttl: u8,
        opts: &SocketOptions,
    ) -> io::Result<TcpProbeSocket> {
        let v6 = dst.is_ipv6();
        let socket =
            nonblocking_socket(Domain::for_address(dst), Type::STREAM, Some(Protocol::TCP))?;
        enable_timed_error_queue(socket.as_raw_fd(), v6)?;
        set_ttl(socket.as_raw_fd(), v6, ttl)?;
        options::apply(socket.as_raw_fd(), v6, opts)
            .map_err(|r| io::Error::new(r.error.kind(), format!("{}: {}", r.option, r.error)))?;
        // No lingering: closing an answered probe sends a RST, not a FIN handshake.
        socket.set_linger(Some(Duration::ZERO))?;
        let scope = match dst {
            SocketAddr::V6(a) => a.scope_id(),
            SocketAddr::V4(_) => 0,
        };
        socket.bind(&any_port(src, scope).into())?;
        match socket.connect(&dst.into()) {
            Ok(()) => {}
            Err(e) if e.raw_os_error() == Some(CONNECT_IN_PROGRESS) => {}
            Err(e) => return Err(e),
        }
        let local_port = socket
            .local_addr()?
            .as_socket()
            .map(|a| a.port())
            .unwrap_or(0);
        Ok(TcpProbeSocket { socket, local_port })
    }

    pub fn local_port(&self) -> u16 {
        self.local_port
    }

    /// The connect's outcome once the socket polled writable or in error: `Ok(None)`
    /// connected, `Ok(Some(err))` failed.
    pub fn outcome(&self) -> io::Result<Option<io::Error>> {
        self.socket.take_error()
    }

    /// One error-queue entry; `WouldBlock` when empty.
    pub fn recv_error(&self, buf: &mut [u8]) -> io::Result<QueuedError> {
        errqueue::recv(self.socket.as_raw_fd(), buf)
    }
}

impl AsRawFd for TcpProbeSocket {
    fn as_raw_fd(&self) -> RawFd {
        self.socket.as_raw_fd()
    }
}

/// What to wait for on one descriptor.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Want {
    /// Readable, or an error queued (POLLIN | POLLERR).
    Read,
    /// Writable, or an error (a connect finished either way).
    Write,
}

/// A socket [`poll`] can wait on: every socket type of `net` (a port names its own
/// handle here, so callers never see a file descriptor).
pub trait Pollable {
    #[doc(hidden)]
    fn handle(&self) -> RawFd;
}

impl<T: AsRawFd> Pollable for T {
    fn handle(&self) -> RawFd {
        self.as_raw_fd()
    }
}

/// The wait in milliseconds, rounded up so a 0.4 ms wait does not become a busy loop
/// of 0 ms polls.
fn poll_ms(timeout: Duration) -> i32 {
    timeout.as_micros().div_ceil(1000).min(i32::MAX as u128) as i32
}

/// Waits until one of `sockets` is ready or `timeout` passes (EINTR counts as a
/// timeout); returns, per socket, whether it is ready.
#[cfg(unix)]
pub fn poll(sockets: &[(&dyn Pollable, Want)], timeout: Duration) -> io::Result<Vec<bool>> {
    let mut pollfds: Vec<libc::pollfd> = sockets
        .iter()
        .map(|&(socket, want)| libc::pollfd {
            fd: socket.handle(),
            events: match want {
                Want::Read => libc::POLLIN,
                Want::Write => libc::POLLOUT,
            },
            revents: 0,
        })
        .collect();
    let ms = poll_ms(timeout);
    // SAFETY: pollfds is a valid array of pollfd of the given length.
    let rc = unsafe { libc::poll(pollfds.as_mut_ptr(), pollfds.len() as libc::nfds_t, ms) };
    if rc < 0 {
        let err = io::Error::last_os_error();
        if err.kind() == io::ErrorKind::Interrupted {
            return Ok(vec![false; sockets.len()]);
        }
        return Err(err);
    }
    Ok(pollfds.iter().map(|p| p.revents != 0).collect())
}

/// [`poll`] on Windows: `WSAPoll`, the same call with WinSock's names.
#[cfg(windows)]
pub fn poll(sockets: &[(&dyn Pollable, Want)], timeout: Duration) -> io::Result<Vec<bool>> {
    use windows_sys::Win32::Networking::WinSock as ws;
    let mut pollfds: Vec<ws::WSAPOLLFD> = sockets
        .iter()
        .map(|&(socket, want)| ws::WSAPOLLFD {
            fd: socket.handle() as ws::SOCKET,
            events: match want {
                Want::Read => ws::POLLRDNORM,
                Want::Write => ws::POLLWRNORM,
            },
            revents: 0,
        })
        .collect();
    // SAFETY: pollfds is a valid array of WSAPOLLFD of the given length.
    let rc = unsafe { ws::WSAPoll(pollfds.as_mut_ptr(), pollfds.len() as u32, poll_ms(timeout)) };
    if rc < 0 {
        return Err(io::Error::last_os_error());
    }
    Ok(pollfds.iter().map(|p| p.revents != 0).collect())
}

static INTERRUPTED: std::sync::atomic::AtomicBool = std::sync::atomic::AtomicBool::new(false);

#[cfg(unix)]
extern "C" fn on_interrupt(_: libc::c_int) {
    INTERRUPTED.store(true, std::sync::atomic::Ordering::SeqCst);
}

/// Catches SIGINT and SIGTERM from now on (without `SA_RESTART`, so a `poll` in progress
/// returns at once); [`interrupted`] then says so. For a one-thread loop that wants to
/// print what it has before it exits.
#[cfg(unix)]
pub fn catch_interrupts() -> io::Result<()> {
    for signal in [libc::SIGINT, libc::SIGTERM] {
        // SAFETY: an all-zero sigaction is valid; the handler only stores to an atomic,
        // which is async-signal-safe.
        let rc = unsafe {
            let mut action: libc::sigaction = std::mem::zeroed();
            action.sa_sigaction = on_interrupt as extern "C" fn(libc::c_int) as usize;
            libc::sigemptyset(&mut action.sa_mask);
            libc::sigaction(signal, &action, std::ptr::null_mut())
        };
        if rc != 0 {
            return Err(io::Error::last_os_error());
        }
    }
    Ok(())
}

/// Catches Ctrl-C, Ctrl-Break and the console closing from now on (a console control
/// handler: Windows runs it on a thread of its own); [`interrupted`] then says so. A
/// [`poll`] in progress runs to its timeout.
#[cfg(windows)]
pub fn catch_interrupts() -> io::Result<()> {
    use windows_sys::Win32::System::Console::SetConsoleCtrlHandler;
    unsafe extern "system" fn on_console_event(_event: u32) -> windows_sys::core::BOOL {
        INTERRUPTED.store(true, std::sync::atomic::Ordering::SeqCst);
        1 // handled: the process is not ended at once
    }
    // SAFETY: the handler only stores to an atomic.
    if unsafe { SetConsoleCtrlHandler(Some(on_console_event), 1) } == 0 {
        return Err(io::Error::last_os_error());
    }
    Ok(())
}

/// Whether SIGINT or SIGTERM arrived since [`catch_interrupts`].
pub fn interrupted() -> bool {
    INTERRUPTED.load(std::sync::atomic::Ordering::SeqCst)
}

#[cfg(all(test, any(target_os = "linux", target_os = "android")))]
mod tests {
    use super::*;

    #[test]
    fn udp_probe_errors_come_back_on_the_error_queue() {
        // Loopback: a probe to a closed port comes back as port unreachable from ::1 or
        // 127.0.0.1, through the error queue, without any privilege.
        // IPv6 may be missing (a container with it disabled): then, and only then, the
        // ::1 case is skipped, loudly, and under CI=true it fails instead.
        let has_v6_loopback = std::fs::read_to_string("/proc/net/if_inet6")
            .map(|t| {
                t.lines()
                    .any(|l| l.starts_with(&format!("{}1 ", "0".repeat(31))))
            })
            .unwrap_or(false);
        let ci = matches!(std::env::var("CI").as_deref(), Ok("true") | Ok("1"));
        let mut checked = 0;
        for dst in ["127.0.0.1:9", "[::1]:9"] {
            let dst: SocketAddr = dst.parse().unwrap();
            if dst.is_ipv6() && !has_v6_loopback {
                assert!(!ci, "CI=true and this machine has no ::1");
                eprintln!("SKIPPED the [::1] case: this machine has no IPv6 loopback");
                continue;
            }
            let src = source_address(dst).unwrap_or_else(|e| panic!("source for {dst}: {e}"));
            let socket = UdpProbeSocket::open(src, 0).unwrap();
            socket.send(64, b"hello", dst).unwrap();
            let ready = poll(&[(&socket, Want::Read)], Duration::from_secs(2)).unwrap();
            assert!(ready[0]);
            let mut buf = [0u8; 256];
            let err = socket.recv_error(&mut buf).unwrap();
            assert_eq!(err.offender, Some(dst.ip()));
            assert_eq!(&buf[..err.len], b"hello");
            assert!(!err.local);
            checked += 1;
        }
        assert!(checked >= 1, "127.0.0.1 is always checked");
    }
}
