//! connect's sockets on Windows: tokio's own TCP and UDP sockets. Windows has no error
//! queue, so a failure is reported by its WinSock error alone (`icmp` is always None),
//! and the handshake is timed by netlab's clock.

use std::io;
use std::net::{Ipv4Addr, Ipv6Addr, SocketAddr};
use std::time::{Duration, Instant};

use socket2::SockRef;
use tokio::net::{TcpSocket, TcpStream, UdpSocket};
use windows_sys::Win32::Networking::WinSock as ws;

use super::{RefusalDetail, TcpAttempt, UdpAttempt};

/// Opens a TCP connection to `addr`, waiting at most `timeout` for the handshake.
///
/// `Err` means no attempt could be made (no socket); every answer from the network,
/// including a refusal, is an `Ok`. `refusal` changes nothing here: there is no ICMP
/// detail to read.
pub async fn tcp_connect(
    addr: SocketAddr,
    timeout: Duration,
    _refusal: RefusalDetail,
) -> io::Result<TcpAttempt> {
    let socket = match addr {
        SocketAddr::V4(_) => TcpSocket::new_v4(),
        SocketAddr::V6(_) => TcpSocket::new_v6(),
    }?;
    let start = Instant::now();
    Ok(
        match tokio::time::timeout(timeout, socket.connect(addr)).await {
            Err(_) => TcpAttempt::TimedOut,
            Ok(Ok(stream)) => TcpAttempt::Connected {
                elapsed: start.elapsed(),
                conn: TcpConn { stream },
            },
            Ok(Err(error)) => TcpAttempt::Failed {
                error,
                icmp: None,
                elapsed: start.elapsed(),
            },
        },
    )
}

/// An established TCP connection.
pub struct TcpConn {
    stream: TcpStream,
}

impl TcpConn {
    /// Whether the connection is to itself (TCP's simultaneous open with an unlucky
    /// ephemeral port): a closed port, not an open one.
    pub fn is_self_connected(&self) -> bool {
        match (self.stream.local_addr(), self.stream.peer_addr()) {
            (Ok(local), Ok(peer)) => local == peer,
            _ => false,
        }
    }

    /// Sends all of `data`.
    pub async fn write_all(&self, mut data: &[u8]) -> io::Result<()> {
        while !data.is_empty() {
            self.stream.writable().await?;
            match self.stream.try_write(data) {
                Ok(sent) => data = &data[sent..],
                Err(err) if err.kind() == io::ErrorKind::WouldBlock => continue,
                Err(err) => return Err(err),
            }
        }
        Ok(())
    }

    /// Reads what is there (at most `buf.len()` bytes); 0 means the peer closed.
    pub async fn read(&self, buf: &mut [u8]) -> io::Result<usize> {
        loop {
            self.stream.readable().await?;
            match self.stream.try_read(buf) {
                Err(err) if err.kind() == io::ErrorKind::WouldBlock => continue,
                result => return result,
            }
        }
    }

    /// Shuts the write side (a FIN).
    pub fn shutdown_write(&self) -> io::Result<()> {
        SockRef::from(&self.stream).shutdown(std::net::Shutdown::Write)
    }

    /// Closes with a RST instead of a FIN, so a probe leaves no TIME_WAIT behind.
    pub fn abort(self) {
        let _ = SockRef::from(&self.stream).set_linger(Some(Duration::ZERO));
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
    let any: SocketAddr = match addr {
        SocketAddr::V4(_) => (Ipv4Addr::UNSPECIFIED, 0).into(),
        SocketAddr::V6(_) => (Ipv6Addr::UNSPECIFIED, 0).into(),
    };
    let socket = UdpSocket::bind(any).await?;
    let start = Instant::now();
    let failed = |error: io::Error| UdpAttempt::Failed {
        error: refused_port(error),
        icmp: None,
        elapsed: start.elapsed(),
    };
    // A connected UDP socket is what makes WinSock report an ICMP port unreachable.
    let sent = match socket.connect(addr).await {
        Ok(()) => socket.send(payload).await,
        Err(error) => Err(error),
    };
    if let Err(error) = sent {
        return Ok(failed(error));
    }
    let mut buf = vec![0u8; 65_536];
    Ok(
        match tokio::time::timeout(timeout, socket.recv(&mut buf)).await {
            Err(_) => UdpAttempt::Silent,
            Ok(Ok(len)) => {
                let elapsed = start.elapsed();
                buf.truncate(len.min(max_bytes));
                UdpAttempt::Reply { data: buf, elapsed }
            }
            Ok(Err(error)) => failed(error),
        },
    )
}

/// WinSock reports an ICMP port unreachable on a connected UDP socket as a reset
/// (`WSAECONNRESET`); it means what Unix's `ECONNREFUSED` means, under that name here.
fn refused_port(error: io::Error) -> io::Error {
    match error.raw_os_error() {
        Some(ws::WSAECONNRESET) => io::Error::from_raw_os_error(ws::WSAECONNREFUSED),
        _ => error,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[tokio::test]
    async fn loopback_open_and_closed() {
        let listener = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
        let open = listener.local_addr().unwrap();
        match tcp_connect(open, Duration::from_secs(5), RefusalDetail::Wanted)
            .await
            .unwrap()
        {
            TcpAttempt::Connected { conn, .. } => {
                assert!(!conn.is_self_connected());
                conn.abort();
            }
            _ => panic!("expected a connection to {open}"),
        }
        drop(listener);
        match tcp_connect(open, Duration::from_secs(5), RefusalDetail::Wanted)
            .await
            .unwrap()
        {
            TcpAttempt::Failed { error, icmp, .. } => {
                assert_eq!(error.raw_os_error(), Some(ws::WSAECONNREFUSED));
                assert!(icmp.is_none());
            }
            TcpAttempt::Connected { conn, .. } => assert!(conn.is_self_connected()),
            TcpAttempt::TimedOut => panic!("loopback does not time out"),
        }
    }

    #[test]
    fn a_udp_reset_is_a_refusal() {
        let reset = io::Error::from_raw_os_error(ws::WSAECONNRESET);
        assert_eq!(
            refused_port(reset).raw_os_error(),
            Some(ws::WSAECONNREFUSED)
        );
        let other = io::Error::from_raw_os_error(ws::WSAETIMEDOUT);
        assert_eq!(refused_port(other).raw_os_error(), Some(ws::WSAETIMEDOUT));
    }
}
