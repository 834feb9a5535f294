//! The socket error queue: the ICMP message behind an errno.
//!
//! Linux hands an ICMP error about a packet we sent to a socket that asked for it with
//! `IP_RECVERR` / `IPV6_RECVERR` ([`super::sockopt::enable_error_queue`]), on the
//! socket's error queue: `recvmsg(MSG_ERRQUEUE)` returns the quoted packet as data and a
//! control message holding a `sock_extended_err` followed by the sender's address
//! (`SO_EE_OFFENDER`). connect reads it to say *why* a connect failed, ping and trace to
//! learn which router answered a datagram probe. This is the one reader for all of them;
//! the control messages are walked by [`super::icmp`]'s `recvmsg`, which also takes the
//! kernel's receive timestamp.

use std::io;
use std::net::{IpAddr, Ipv4Addr, Ipv6Addr};
use std::os::fd::RawFd;
use std::time::Instant;

use super::icmp::recvmsg;

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
    /// `ee_info`: the MTU of a fragmentation-needed / packet-too-big message, or of a
    /// local message-too-long error.
    pub info: u32,
    /// The address that sent the message (a router, the target, or this host).
    pub from: Option<IpAddr>,
}

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

/// Drains the error queue and returns the last ICMP (or local) report on it, for a
/// socket whose queued packets do not matter (connect's: one connect, one answer).
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

/// Parses the payload of an `IP_RECVERR` / `IPV6_RECVERR` control message: a
/// `struct sock_extended_err` and the `SO_EE_OFFENDER` address after it. None when it is
/// short, or not an error (timestamps, zerocopy notifications). Bytes come from the
/// kernel, but are still parsed by bounds-checked slicing.
pub(super) fn parse_extended_err(bytes: &[u8]) -> Option<IcmpReport> {
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
        info: u32::from_ne_bytes(header[8..12].try_into().ok()?),
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
}
