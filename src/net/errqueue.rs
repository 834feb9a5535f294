//! The socket error queue: the ICMP message behind an errno.
//!
//! Linux hands an ICMP error about a packet we sent to a socket that asked for it with
//! `IP_RECVERR` / `IPV6_RECVERR` ([`super::sockopt::enable_error_queue`]), on the
//! socket's error queue: `recvmsg(MSG_ERRQUEUE)` returns the quoted packet as data and a
//! control message holding a `sock_extended_err` followed by the sender's address
//! (`SO_EE_OFFENDER`). connect reads it to say *why* a connect failed, ping and trace to
//! learn which router answered a datagram probe. This is the one reader for all of them;
//! the control messages (the `sock_extended_err`, the kernel's receive timestamp, the
//! TTL) are decoded by [`super::msg`], below every reader.

use std::io;
use std::net::IpAddr;
use std::time::Instant;

use super::msg::IcmpReport;
#[cfg(any(target_os = "linux", target_os = "android"))]
use super::msg::{recvmsg, ErrorOrigin};
use super::sys::RawFd;

/// One entry of the error queue with its packet: an ICMP error about a probe we sent.
#[derive(Debug, Clone, Copy)]
pub struct QueuedError {
    /// Bytes in the buffer: the ICMP header and data (or the UDP payload) of the packet
    /// that caused it, as quoted back (on an ICMP datagram socket the kernel has already
    /// put its identifier in it).
    pub len: usize,
    /// Where the packet was going.
    pub dst: Option<IpAddr>,
    /// Who complained (a router, or the destination).
    pub offender: Option<IpAddr>,
    /// ICMP type and code of the error.
    pub icmp_type: u8,
    pub icmp_code: u8,
    /// True for errors raised by this host's own stack without any ICMP message
    /// (e.g. a message too long for the interface).
    pub local: bool,
    pub errno: u32,
    /// `ee_info`: the MTU a fragmentation-needed or packet-too-big message gave (or this
    /// host's, for a local message-too-long), 0 when the message has none.
    pub info: u32,
    /// The TTL / hop limit the ICMP error arrived with, on a socket that asked for it
    /// (`IP_RECVTTL` / `IPV6_RECVHOPLIMIT`): how far back its sender is (trace --back).
    pub ttl: Option<u8>,
    pub at: Instant,
}

/// Reads one entry of the error queue of any socket with `IP_RECVERR`/`IPV6_RECVERR`
/// (ping's datagram ICMP sockets, trace's UDP and TCP probe sockets); `WouldBlock` when
/// it is empty. With `SO_TIMESTAMPNS` set, `at` is when the ICMP error arrived.
#[cfg(any(target_os = "linux", target_os = "android"))]
pub fn recv(fd: RawFd, buf: &mut [u8]) -> io::Result<QueuedError> {
    let msg = recvmsg(fd, buf, libc::MSG_ERRQUEUE)?;
    let Some(report) = msg.ext_err else {
        return Err(io::Error::other(
            "error queue entry without sock_extended_err",
        ));
    };
    Ok(QueuedError {
        len: msg.len,
        dst: msg.from,
        offender: report.from.filter(|ip| !ip.is_unspecified()),
        icmp_type: report.icmp_type,
        icmp_code: report.icmp_code,
        local: report.origin == ErrorOrigin::Local,
        errno: report.errno as u32,
        info: report.info,
        ttl: msg.ttl,
        at: msg.at,
    })
}

/// Without an error queue (the BSDs, macOS) there is never an entry: `WouldBlock`, as
/// for an empty queue. Who needs the ICMP errors there reads a raw ICMP socket.
#[cfg(not(any(target_os = "linux", target_os = "android")))]
pub fn recv(_fd: RawFd, _buf: &mut [u8]) -> io::Result<QueuedError> {
    Err(io::ErrorKind::WouldBlock.into())
}

/// Drains the error queue and returns the last ICMP (or local) report on it, for a
/// socket whose queued packets do not matter (connect's: one connect, one answer).
#[cfg(any(target_os = "linux", target_os = "android"))]
pub fn last_report(fd: RawFd) -> Option<IcmpReport> {
    let mut found = None;
    // A handful of reports at most (one per retransmitted SYN); bound the loop anyway.
    for _ in 0..8 {
        let mut data = [0u8; 128];
        match recvmsg(fd, &mut data, libc::MSG_ERRQUEUE) {
            Ok(msg) => {
                if let Some(report) = msg.ext_err {
                    found = Some(report);
                }
            }
            Err(_) => break,
        }
    }
    found
}

/// No error queue, no report: connect says what the errno says.
#[cfg(not(any(target_os = "linux", target_os = "android")))]
pub fn last_report(_fd: RawFd) -> Option<IcmpReport> {
    None
}
