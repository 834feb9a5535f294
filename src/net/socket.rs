//! TCP connects and UDP exchanges that report *why* they failed.
//!
//! A plain `connect()` only says "no route to host"; the ICMP message behind it says much
//! more: which router answered, and whether the network, the host or a firewall
//! ("administratively prohibited") was the reason. Linux hands that message to a socket
//! that asked for it with `IP_RECVERR` / `IPV6_RECVERR`, on the socket's error queue
//! (`recvmsg(MSG_ERRQUEUE)`), as a `sock_extended_err` followed by the sender's address;
//! [`super::errqueue`] reads it, for ping and trace as well.
//!
//! Sockets are non-blocking socket2 sockets driven by tokio's reactor through `AsyncFd`,
//! because tokio's own `TcpSocket::connect` closes the socket on failure — taking the error
//! queue with it — and its `UdpSocket` is not woken by an ICMP error (EPOLLERR alone).

use std::io;
#[cfg(unix)]
use std::io::Read;
#[cfg(unix)]
use std::net::SocketAddr;
#[cfg(unix)]
use std::os::fd::AsRawFd;
use std::time::Duration;
#[cfg(unix)]
use std::time::Instant;

#[cfg(unix)]
use socket2::{Domain, Protocol, Socket, Type};
#[cfg(unix)]
use tokio::io::unix::AsyncFd;
#[cfg(unix)]
use tokio::io::Interest;

pub use super::msg::{ErrorOrigin, IcmpReport};
#[cfg(unix)]
use super::sys::nonblocking_socket;
#[cfg(unix)]
use super::{errqueue, sockopt};

/// Windows: tokio's own sockets, without an error queue (`socket/windows.rs`).
#[cfg(windows)]
mod windows;
#[cfg(windows)]
pub use windows::{tcp_connect, udp_exchange, TcpConn};

/// How a TCP handshake ended.
pub enum TcpAttempt {
    /// The handshake completed; `elapsed` is the kernel's measure of it (SYN sent to
    /// SYN-ACK received), or the wall-clock time when the SYN had to be retransmitted.
    Connected { conn: TcpConn, elapsed: Duration },
    /// The kernel reported an error (RST → ECONNREFUSED, or an ICMP error).
    Failed {
        error: io::Error,
        icmp: Option<IcmpReport>,
        elapsed: Duration,
    },
    /// Nothing came back in time.
    TimedOut,
}

/// How a UDP exchange ended.
pub enum UdpAttempt {
    /// A datagram came back after `elapsed` (truncated to the caller's limit).
    Reply { data: Vec<u8>, elapsed: Duration },
    /// An ICMP error came back (port unreachable → ECONNREFUSED), or sending failed.
    Failed {
        error: io::Error,
        icmp: Option<IcmpReport>,
        elapsed: Duration,
    },
    /// Nothing came back in time.
    Silent,
}

/// When to look for the ICMP message behind a refusal.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum RefusalDetail {
    /// Always: a refusal by ICMP port unreachable (a firewall's REJECT) names its sender.
    Wanted,
    /// Not for ECONNREFUSED: a scan only counts closed ports, and skipping the error-queue
    /// read saves a system call on each of them (other errors are still read).
    Skip,
}

#[cfg(unix)]
/// Opens a TCP connection to `addr`, waiting at most `timeout` for the handshake.
///
/// `Err` means no attempt could be made (no socket: EMFILE, ENOBUFS, ...); every answer
/// from the network, including a refusal, is an `Ok`.
pub async fn tcp_connect(
    addr: SocketAddr,
    timeout: Duration,
    refusal: RefusalDetail,
) -> io::Result<TcpAttempt> {
    let socket = nonblocking_socket(Domain::for_address(addr), Type::STREAM, Some(Protocol::TCP))?;
    enable_error_queue(&socket, addr)?;
    let start = Instant::now();
    let failed = |socket: &Socket, error: io::Error| {
        let elapsed = start.elapsed();
        let icmp = match (refusal, error.raw_os_error()) {
            (RefusalDetail::Skip, Some(libc::ECONNREFUSED)) => None,
            _ => read_error_queue(socket),
        };
        TcpAttempt::Failed {
            error,
            icmp,
            elapsed,
        }
    };
    match socket.connect(&addr.into()) {
        // Loopback can finish the handshake inside connect() itself.
        Ok(()) => {
            let elapsed = start.elapsed();
            let conn = TcpConn::new(socket)?;
            return Ok(TcpAttempt::Connected {
                elapsed: conn.handshake_rtt().unwrap_or(elapsed),
                conn,
            });
        }
        Err(err) if err.raw_os_error() == Some(libc::EINPROGRESS) => {}
        Err(error) => return Ok(failed(&socket, error)),
    }
    // The answer is often in already: on loopback and short veth paths the SYN and its RST
    // are processed before connect() returns. One getsockopt then saves the two epoll_ctl
    // calls and the wake-up that waiting for it through the reactor costs.
    if let Some(error) = socket.take_error()? {
        return Ok(failed(&socket, error));
    }
    let fd = register(socket, Interest::READABLE | Interest::WRITABLE)?;
    let handshake = async {
        loop {
            let mut guard = fd.ready(Interest::WRITABLE | Interest::ERROR).await?;
            match handshake_state(guard.get_inner())? {
                Some(done) => return Ok::<_, io::Error>(done),
                None => guard.clear_ready(),
            }
        }
    };
    let done = match tokio::time::timeout(timeout, handshake).await {
        Ok(done) => done?,
        // A busy runtime may look at a socket well after its answer came in: ask the
        // kernel once more before calling it a timeout.
        Err(_) => match handshake_state(fd.get_ref())? {
            Some(done) => done,
            None => return Ok(TcpAttempt::TimedOut),
        },
    };
    match done {
        Ok(()) => {
            let elapsed = start.elapsed();
            let conn = TcpConn { fd };
            Ok(TcpAttempt::Connected {
                elapsed: conn.handshake_rtt().unwrap_or(elapsed),
                conn,
            })
        }
        Err(error) => Ok(failed(fd.get_ref(), error)),
    }
}

#[cfg(unix)]
/// Where a non-blocking connect stands: None while the handshake is under way, then
/// `Ok(())` once connected or the error that ended it.
fn handshake_state(socket: &Socket) -> io::Result<Option<Result<(), io::Error>>> {
    // SO_ERROR first: reading the error queue would clear the pending error.
    if let Some(error) = socket.take_error()? {
        return Ok(Some(Err(error)));
    }
    match socket.peer_addr() {
        Ok(_) => Ok(Some(Ok(()))),
        Err(err) if err.raw_os_error() == Some(libc::ENOTCONN) => Ok(None),
        Err(err) => Ok(Some(Err(err))),
    }
}

#[cfg(unix)]
/// An established TCP connection.
pub struct TcpConn {
    fd: AsyncFd<Socket>,
}

#[cfg(unix)]
impl TcpConn {
    fn new(socket: Socket) -> io::Result<TcpConn> {
        Ok(TcpConn {
            fd: register(socket, Interest::READABLE | Interest::WRITABLE)?,
        })
    }

    /// Whether the connection is to itself: connecting to a local port nobody listens on
    /// can pick that same port as the ephemeral source and complete a "simultaneous open"
    /// with itself. That is a closed port, not an open one (Go's net package checks the same).
    pub fn is_self_connected(&self) -> bool {
        let socket = self.fd.get_ref();
        match (socket.local_addr(), socket.peer_addr()) {
            (Ok(local), Ok(peer)) => local.as_socket() == peer.as_socket(),
            _ => false,
        }
    }

    /// The handshake's round trip as the kernel measured it (`TCP_INFO`: SYN sent to
    /// SYN-ACK received, in microseconds). A busy scan may run the task that sees the
    /// connection complete long after it did, so a clock read there would measure the
    /// scheduler; the kernel's sample does not. None when the SYN was retransmitted: the
    /// sample would then leave out the wait for the retransmission, which is part of the
    /// connect time.
    #[cfg(any(target_os = "linux", target_os = "android"))]
    fn handshake_rtt(&self) -> Option<Duration> {
        // SAFETY: all-zero is a valid tcp_info.
        let mut info: libc::tcp_info = unsafe { std::mem::zeroed() };
        let mut len = std::mem::size_of::<libc::tcp_info>() as libc::socklen_t;
        // SAFETY: a valid descriptor, and a buffer of `len` writable bytes.
        let rc = unsafe {
            libc::getsockopt(
                self.fd.get_ref().as_raw_fd(),
                libc::IPPROTO_TCP,
                libc::TCP_INFO,
                (&mut info as *mut libc::tcp_info).cast(),
                &mut len,
            )
        };
        // Older kernels return a shorter struct; tcpi_total_retrans must be in it.
        let needed = std::mem::offset_of!(libc::tcp_info, tcpi_total_retrans) + 4;
        if rc != 0 || (len as usize) < needed {
            return None;
        }
        if info.tcpi_total_retrans > 0 || info.tcpi_rtt == 0 {
            return None;
        }
        Some(Duration::from_micros(u64::from(info.tcpi_rtt)))
    }

    /// Elsewhere the handshake is timed by the clock (macOS's `TCP_CONNECTION_INFO` and
    /// FreeBSD's `TCP_INFO` do not say whether the SYN was retransmitted).
    #[cfg(not(any(target_os = "linux", target_os = "android")))]
    fn handshake_rtt(&self) -> Option<Duration> {
        None
    }

    /// Sends all of `data`.
    pub async fn write_all(&self, mut data: &[u8]) -> io::Result<()> {
        while !data.is_empty() {
            let mut guard = self.fd.writable().await?;
            match guard.try_io(|fd| fd.get_ref().send_with_flags(data, libc::MSG_NOSIGNAL)) {
                Ok(Ok(sent)) => data = &data[sent..],
                Ok(Err(err)) => return Err(err),
                Err(_would_block) => continue,
            }
        }
        Ok(())
    }

    /// Reads what is there (at most `buf.len()` bytes); 0 means the peer closed.
    pub async fn read(&self, buf: &mut [u8]) -> io::Result<usize> {
        loop {
            let mut guard = self.fd.readable().await?;
            match guard.try_io(|fd| fd.get_ref().read(buf)) {
                Ok(result) => return result,
                Err(_would_block) => continue,
            }
        }
    }

    /// Shuts the write side (a FIN), as `nc -N` does after its input ends: a server that
    /// reads to end-of-file then answers and closes.
    pub fn shutdown_write(&self) -> io::Result<()> {
        self.fd.get_ref().shutdown(std::net::Shutdown::Write)
    }

    /// Closes with a RST instead of a FIN, so a probe leaves no TIME_WAIT behind: a scan
    /// of many open ports would otherwise pin thousands of them.
    pub fn abort(self) {
        let _ = self.fd.get_ref().set_linger(Some(Duration::ZERO));
    }
}

#[cfg(unix)]
/// Sends `payload` as one datagram to `addr` and waits at most `timeout` for one back,
/// keeping at most `max_bytes` of it.
pub async fn udp_exchange(
    addr: SocketAddr,
    payload: &[u8],
    timeout: Duration,
    max_bytes: usize,
) -> io::Result<UdpAttempt> {
    let socket = nonblocking_socket(Domain::for_address(addr), Type::DGRAM, Some(Protocol::UDP))?;
    enable_error_queue(&socket, addr)?;
    let start = Instant::now();
    // A connected UDP socket is what makes the kernel deliver ICMP errors to it.
    let sent = socket
        .connect(&addr.into())
        .and_then(|()| socket.send_with_flags(payload, libc::MSG_NOSIGNAL));
    if let Err(error) = sent {
        let elapsed = start.elapsed();
        let icmp = read_error_queue(&socket);
        return Ok(UdpAttempt::Failed {
            error,
            icmp,
            elapsed,
        });
    }
    let fd = register(socket, Interest::READABLE)?;
    let mut buf = vec![0u8; 65_536];
    let exchange = async {
        loop {
            // ERROR too: an ICMP error raises EPOLLERR without EPOLLIN.
            let mut guard = fd.ready(Interest::READABLE | Interest::ERROR).await?;
            match guard.get_inner().read(&mut buf) {
                Ok(len) => return Ok::<_, io::Error>(Ok(len)),
                Err(err) if err.kind() == io::ErrorKind::WouldBlock => guard.clear_ready(),
                Err(err) => return Ok(Err(err)),
            }
        }
    };
    let outcome = match tokio::time::timeout(timeout, exchange).await {
        // As for TCP: a busy runtime may look late; the datagram may be there already.
        Err(_) => match fd.get_ref().read(&mut buf) {
            Ok(len) => Ok(Ok(len)),
            Err(err) if err.kind() == io::ErrorKind::WouldBlock => return Ok(UdpAttempt::Silent),
            Err(err) => Ok(Err(err)),
        },
        Ok(result) => result,
    };
    match outcome {
        Err(err) => Err(err),
        Ok(Ok(len)) => {
            let elapsed = start.elapsed();
            buf.truncate(len.min(max_bytes));
            Ok(UdpAttempt::Reply { data: buf, elapsed })
        }
        Ok(Err(error)) => {
            let elapsed = start.elapsed();
            let icmp = read_error_queue(fd.get_ref());
            Ok(UdpAttempt::Failed {
                error,
                icmp,
                elapsed,
            })
        }
    }
}

#[cfg(unix)]
/// Hands a socket to tokio's reactor.
fn register(socket: Socket, interest: Interest) -> io::Result<AsyncFd<Socket>> {
    // SAFETY: the Socket owns its descriptor, which stays open and the same until the
    // AsyncFd (which owns the Socket) is dropped; as_raw_fd always returns that descriptor.
    unsafe { AsyncFd::register_with_interest(socket, interest) }.map_err(io::Error::from)
}

#[cfg(unix)]
/// Asks the kernel to queue ICMP errors (with the sender's address) on this socket.
/// Without one (macOS, the BSDs) connect reports the errno alone.
fn enable_error_queue(socket: &Socket, addr: SocketAddr) -> io::Result<()> {
    sockopt::enable_error_queue_if_any(socket.as_raw_fd(), addr.is_ipv6())
}

#[cfg(unix)]
/// Drains the socket's error queue and returns the last ICMP (or local) report on it.
fn read_error_queue(socket: &Socket) -> Option<IcmpReport> {
    errqueue::last_report(socket.as_raw_fd())
}

#[cfg(all(test, unix))]
mod tests {
    use super::*;

    #[tokio::test]
    async fn a_connection_to_itself_is_recognised() {
        // Bind a port and connect to it without listening: TCP's simultaneous open makes
        // the socket connect to itself, as an unlucky ephemeral port choice would.
        let socket = Socket::new(Domain::IPV4, Type::STREAM, Some(Protocol::TCP)).unwrap();
        socket
            .bind(&SocketAddr::from(([127, 0, 0, 1], 0)).into())
            .unwrap();
        let own = socket.local_addr().unwrap();
        socket.connect(&own).unwrap();
        socket.set_nonblocking(true).unwrap();
        let conn = TcpConn::new(socket).unwrap();
        assert!(conn.is_self_connected());
        conn.abort();
    }

    #[cfg(any(target_os = "linux", target_os = "android"))]
    #[tokio::test]
    async fn loopback_open_closed_and_udp_refused() {
        let listener = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
        let open = listener.local_addr().unwrap();
        match tcp_connect(open, Duration::from_secs(1), RefusalDetail::Wanted)
            .await
            .unwrap()
        {
            TcpAttempt::Connected { conn, elapsed } => {
                assert!(!conn.is_self_connected());
                let rtt = conn
                    .handshake_rtt()
                    .expect("the kernel measured the handshake");
                assert_eq!(rtt, elapsed);
                assert!(rtt > Duration::ZERO && rtt < Duration::from_millis(100));
                conn.abort();
            }
            _ => panic!("expected a connection"),
        }
        drop(listener);
        match tcp_connect(open, Duration::from_secs(1), RefusalDetail::Wanted)
            .await
            .unwrap()
        {
            TcpAttempt::Failed { error, .. } => {
                assert_eq!(error.raw_os_error(), Some(libc::ECONNREFUSED))
            }
            TcpAttempt::Connected { conn, .. } => assert!(conn.is_self_connected()),
            TcpAttempt::TimedOut => panic!("loopback does not time out"),
        }
        let udp = std::net::UdpSocket::bind("127.0.0.1:0").unwrap();
        let closed = udp.local_addr().unwrap();
        drop(udp);
        match udp_exchange(closed, b"x", Duration::from_secs(1), 10)
            .await
            .unwrap()
        {
            UdpAttempt::Failed { error, icmp, .. } => {
                assert_eq!(error.raw_os_error(), Some(libc::ECONNREFUSED));
                let icmp = icmp.expect("the port unreachable is on the error queue");
                assert_eq!((icmp.icmp_type, icmp.icmp_code), (3, 3));
                assert_eq!(icmp.from, Some("127.0.0.1".parse().unwrap()));
            }
            _ => panic!("expected ICMP port unreachable"),
        }
    }
}
