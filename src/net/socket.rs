//! TCP connects and UDP exchanges that report *why* they failed.
//!
//! A plain `connect()` only says "no route to host"; the ICMP message behind it says much
//! more: which router answered, and whether the network, the host or a firewall
//! ("administratively prohibited") was the reason. Linux hands that message to a socket
//! that asked for it with `IP_RECVERR` / `IPV6_RECVERR`, on the socket's error queue
//! (`recvmsg(MSG_ERRQUEUE)`), as a `sock_extended_err` followed by the sender's address.
//!
//! Sockets are non-blocking socket2 sockets driven by tokio's reactor through `AsyncFd`,
//! because tokio's own `TcpSocket::connect` closes the socket on failure — taking the error
//! queue with it — and its `UdpSocket` is not woken by an ICMP error (EPOLLERR alone).

use std::io::{self, Read};
use std::mem;
use std::net::{IpAddr, Ipv4Addr, Ipv6Addr, SocketAddr};
use std::os::fd::AsRawFd;
use std::time::{Duration, Instant};

use socket2::{Domain, Protocol, Socket, Type};
use tokio::io::unix::AsyncFd;
use tokio::io::Interest;

/// Who produced an error report on the error queue.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ErrorOrigin {
    /// This host's own stack (e.g. a local MTU or neighbour error).
    Local,
    /// An ICMP (IPv4) message.
    Icmp4,
    /// An ICMPv6 message.
    Icmp6,
}

/// One error from the socket's error queue: the ICMP message behind an errno.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct IcmpReport {
    pub origin: ErrorOrigin,
    pub icmp_type: u8,
    pub icmp_code: u8,
    /// The errno the kernel derived from the message.
    pub errno: i32,
    /// The address that sent the message (a router, the target, or this host).
    pub from: Option<IpAddr>,
}

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

/// Opens a TCP connection to `addr`, waiting at most `timeout` for the handshake.
///
/// `Err` means no attempt could be made (no socket: EMFILE, ENOBUFS, ...); every answer
/// from the network, including a refusal, is an `Ok`.
pub async fn tcp_connect(
    addr: SocketAddr,
    timeout: Duration,
    refusal: RefusalDetail,
) -> io::Result<TcpAttempt> {
    let socket = Socket::new(
        Domain::for_address(addr),
        Type::STREAM.nonblocking(),
        Some(Protocol::TCP),
    )?;
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

/// An established TCP connection.
pub struct TcpConn {
    fd: AsyncFd<Socket>,
}

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
    fn handshake_rtt(&self) -> Option<Duration> {
        // SAFETY: all-zero is a valid tcp_info.
        let mut info: libc::tcp_info = unsafe { mem::zeroed() };
        let mut len = mem::size_of::<libc::tcp_info>() as libc::socklen_t;
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
        let needed = mem::offset_of!(libc::tcp_info, tcpi_total_retrans) + 4;
        if rc != 0 || (len as usize) < needed {
            return None;
        }
        if info.tcpi_total_retrans > 0 || info.tcpi_rtt == 0 {
            return None;
        }
        Some(Duration::from_micros(u64::from(info.tcpi_rtt)))
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

    /// Closes with a RST instead of a FIN, so a probe leaves no TIME_WAIT behind: a scan
    /// of many open ports would otherwise pin thousands of them.
    pub fn abort(self) {
        let _ = self.fd.get_ref().set_linger(Some(Duration::ZERO));
    }
}

/// Sends `payload` as one datagram to `addr` and waits at most `timeout` for one back,
/// keeping at most `max_bytes` of it.
pub async fn udp_exchange(
    addr: SocketAddr,
    payload: &[u8],
    timeout: Duration,
    max_bytes: usize,
) -> io::Result<UdpAttempt> {
    let socket = Socket::new(
        Domain::for_address(addr),
        Type::DGRAM.nonblocking(),
        Some(Protocol::UDP),
    )?;
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

/// Hands a socket to tokio's reactor.
fn register(socket: Socket, interest: Interest) -> io::Result<AsyncFd<Socket>> {
    // SAFETY: the Socket owns its descriptor, which stays open and the same until the
    // AsyncFd (which owns the Socket) is dropped; as_raw_fd always returns that descriptor.
    unsafe { AsyncFd::register_with_interest(socket, interest) }.map_err(io::Error::from)
}

/// Asks the kernel to queue ICMP errors (with the sender's address) on this socket.
fn enable_error_queue(socket: &Socket, addr: SocketAddr) -> io::Result<()> {
    let (level, name) = match addr {
        SocketAddr::V4(_) => (libc::SOL_IP, libc::IP_RECVERR),
        SocketAddr::V6(_) => (libc::SOL_IPV6, libc::IPV6_RECVERR),
    };
    let on: libc::c_int = 1;
    // SAFETY: a valid descriptor and a pointer to a live c_int of the length we pass.
    let rc = unsafe {
        libc::setsockopt(
            socket.as_raw_fd(),
            level,
            name,
            (&on as *const libc::c_int).cast(),
            mem::size_of::<libc::c_int>() as libc::socklen_t,
        )
    };
    if rc != 0 {
        return Err(io::Error::last_os_error());
    }
    Ok(())
}

/// Drains the socket's error queue and returns the last ICMP (or local) report on it.
fn read_error_queue(socket: &Socket) -> Option<IcmpReport> {
    let mut found = None;
    // A handful of reports at most (one per retransmitted SYN); bound the loop anyway.
    for _ in 0..8 {
        let mut data = [0u8; 128];
        // u64 elements keep the control buffer aligned for cmsghdr.
        let mut control = [0u64; 64];
        let mut iov = libc::iovec {
            iov_base: data.as_mut_ptr().cast(),
            iov_len: data.len(),
        };
        // SAFETY: all-zero is a valid sockaddr_storage and msghdr.
        let mut name: libc::sockaddr_storage = unsafe { mem::zeroed() };
        let mut msg: libc::msghdr = unsafe { mem::zeroed() };
        msg.msg_name = (&mut name as *mut libc::sockaddr_storage).cast();
        msg.msg_namelen = mem::size_of::<libc::sockaddr_storage>() as libc::socklen_t;
        msg.msg_iov = &mut iov;
        msg.msg_iovlen = 1;
        msg.msg_control = control.as_mut_ptr().cast();
        msg.msg_controllen = mem::size_of_val(&control) as _;
        // SAFETY: every pointer in `msg` points to a live buffer of the stated length.
        let rc = unsafe {
            libc::recvmsg(
                socket.as_raw_fd(),
                &mut msg,
                libc::MSG_ERRQUEUE | libc::MSG_DONTWAIT,
            )
        };
        if rc < 0 {
            break;
        }
        // SAFETY: `msg` was filled in by recvmsg; the CMSG_* macros walk its control
        // buffer within msg_controllen, and CMSG_DATA's length is bounded by cmsg_len.
        unsafe {
            let mut cmsg = libc::CMSG_FIRSTHDR(&msg);
            while !cmsg.is_null() {
                let header = &*cmsg;
                let is_recverr = (header.cmsg_level == libc::SOL_IP
                    && header.cmsg_type == libc::IP_RECVERR)
                    || (header.cmsg_level == libc::SOL_IPV6
                        && header.cmsg_type == libc::IPV6_RECVERR);
                if is_recverr {
                    let data = libc::CMSG_DATA(cmsg);
                    let offset = data as usize - cmsg as usize;
                    let len = (header.cmsg_len as usize).saturating_sub(offset);
                    let bytes = std::slice::from_raw_parts(data, len);
                    if let Some(report) = parse_extended_err(bytes) {
                        found = Some(report);
                    }
                }
                cmsg = libc::CMSG_NXTHDR(&msg, cmsg);
            }
        }
    }
    found
}

/// Parses a `struct sock_extended_err` and the `SO_EE_OFFENDER` address after it.
/// Bytes come from the kernel, but are still parsed by bounds-checked slicing.
fn parse_extended_err(bytes: &[u8]) -> Option<IcmpReport> {
    const HEADER: usize = 16; // u32 errno, u8 origin, type, code, pad, u32 info, u32 data
    let header = bytes.get(..HEADER)?;
    let errno = u32::from_ne_bytes(header[0..4].try_into().ok()?) as i32;
    let origin = match header[4] {
        libc::SO_EE_ORIGIN_LOCAL => ErrorOrigin::Local,
        libc::SO_EE_ORIGIN_ICMP => ErrorOrigin::Icmp4,
        libc::SO_EE_ORIGIN_ICMP6 => ErrorOrigin::Icmp6,
        _ => return None, // timestamps, zerocopy notifications: not errors
    };
    Some(IcmpReport {
        origin,
        icmp_type: header[5],
        icmp_code: header[6],
        errno,
        from: parse_sockaddr(&bytes[HEADER..]),
    })
}

/// The address in a raw `sockaddr_in` / `sockaddr_in6`; None for AF_UNSPEC or short input.
fn parse_sockaddr(bytes: &[u8]) -> Option<IpAddr> {
    let family = u16::from_ne_bytes(bytes.get(0..2)?.try_into().ok()?);
    match i32::from(family) {
        libc::AF_INET => {
            let octets: [u8; 4] = bytes.get(4..8)?.try_into().ok()?;
            Some(IpAddr::V4(Ipv4Addr::from(octets)))
        }
        libc::AF_INET6 => {
            let octets: [u8; 16] = bytes.get(8..24)?.try_into().ok()?;
            Some(IpAddr::V6(Ipv6Addr::from(octets)))
        }
        _ => None,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn extended_err(origin: u8, kind: u8, code: u8, errno: i32, offender: &[u8]) -> Vec<u8> {
        let mut bytes = Vec::new();
        bytes.extend_from_slice(&(errno as u32).to_ne_bytes());
        bytes.extend_from_slice(&[origin, kind, code, 0]);
        bytes.extend_from_slice(&[0; 8]);
        bytes.extend_from_slice(offender);
        bytes
    }

    fn sockaddr_in(addr: [u8; 4]) -> Vec<u8> {
        let mut bytes = (libc::AF_INET as u16).to_ne_bytes().to_vec();
        bytes.extend_from_slice(&[0, 0]);
        bytes.extend_from_slice(&addr);
        bytes.extend_from_slice(&[0; 8]);
        bytes
    }

    #[test]
    fn parses_an_icmp_admin_prohibited_report() {
        let bytes = extended_err(
            libc::SO_EE_ORIGIN_ICMP,
            3,
            13,
            libc::EHOSTUNREACH,
            &sockaddr_in([198, 18, 1, 1]),
        );
        let report = parse_extended_err(&bytes).unwrap();
        assert_eq!(report.origin, ErrorOrigin::Icmp4);
        assert_eq!((report.icmp_type, report.icmp_code), (3, 13));
        assert_eq!(report.errno, libc::EHOSTUNREACH);
        assert_eq!(report.from, Some("198.18.1.1".parse().unwrap()));
    }

    #[test]
    fn parses_an_icmpv6_report() {
        let mut offender = (libc::AF_INET6 as u16).to_ne_bytes().to_vec();
        offender.extend_from_slice(&[0; 6]);
        offender.extend_from_slice(&"2001:db8::1".parse::<Ipv6Addr>().unwrap().octets());
        offender.extend_from_slice(&[0; 4]);
        let bytes = extended_err(libc::SO_EE_ORIGIN_ICMP6, 1, 1, libc::EACCES, &offender);
        let report = parse_extended_err(&bytes).unwrap();
        assert_eq!(report.origin, ErrorOrigin::Icmp6);
        assert_eq!(report.from, Some("2001:db8::1".parse().unwrap()));
    }

    #[test]
    fn hostile_or_short_reports_do_not_panic() {
        assert_eq!(parse_extended_err(&[]), None);
        assert_eq!(parse_extended_err(&[0; 15]), None);
        let no_offender = extended_err(libc::SO_EE_ORIGIN_ICMP, 3, 1, 113, &[]);
        assert_eq!(parse_extended_err(&no_offender).unwrap().from, None);
        let short = extended_err(libc::SO_EE_ORIGIN_ICMP, 3, 1, 113, &[2, 0, 0]);
        assert_eq!(parse_extended_err(&short).unwrap().from, None);
        let timestamp = extended_err(libc::SO_EE_ORIGIN_TIMESTAMPING, 0, 0, 0, &[]);
        assert_eq!(parse_extended_err(&timestamp), None);
        for len in 0..40 {
            let _ = parse_extended_err(&vec![0xff; len]);
        }
    }

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
