//! `recvmsg(2)` and the control messages netlab asks the kernel for, decoded: the one
//! place that walks a `cmsghdr` buffer.
//!
//! Every socket under `net` that reads packets with their metadata comes through here:
//! ICMP sockets ([`super::icmp`]), trace's raw TCP socket ([`super::raw_tcp`]) and, with
//! `MSG_ERRQUEUE`, every socket's error queue ([`super::errqueue`]). What it decodes:
//!
//! - `SO_TIMESTAMPNS`: the kernel's receive time, converted to an [`Instant`] at once,
//!   so an RTT measures the network and not our scheduling;
//! - `IP_TTL` / `IPV6_HOPLIMIT`: the TTL / hop limit the packet arrived with;
//! - `IP_RECVERR` / `IPV6_RECVERR`: a `sock_extended_err` and the `SO_EE_OFFENDER`
//!   address after it ([`IcmpReport`]), the ICMP message behind an errno.
//!
//! It sits below the modules that share it, and uses none of them.

use std::io;
#[cfg(unix)]
use std::mem::{size_of, MaybeUninit};
use std::net::IpAddr;
#[cfg(unix)]
use std::net::{Ipv4Addr, Ipv6Addr};
#[cfg(unix)]
use std::time::Duration;
use std::time::Instant;

use super::sys::RawFd;

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

/// One received packet: an ICMP message on an ICMP socket, a TCP segment on trace's raw
/// TCP socket.
#[derive(Debug, Clone, Copy)]
pub struct Received {
    /// Bytes in the buffer: with the IPv4 header on a raw IPv4 socket, the bare ICMP
    /// message otherwise.
    pub len: usize,
    pub from: IpAddr,
    /// When the kernel received it (or, without a timestamp, when we read it).
    pub at: Instant,
    /// The hop limit from a control message (raw IPv4 sockets: read the header instead).
    pub ttl: Option<u8>,
}

/// Reads one packet from any raw socket opened with `SO_TIMESTAMPNS` (trace's raw TCP
/// socket): the sender, the kernel's receive time; `WouldBlock` when there is none.
#[cfg(unix)]
pub fn recv_packet(fd: RawFd, buf: &mut [u8]) -> io::Result<Received> {
    let msg = recvmsg(fd, buf, 0)?;
    Ok(Received {
        len: msg.len,
        from: msg
            .from
            .ok_or_else(|| io::Error::other("a packet without a sender address"))?,
        at: msg.at,
        ttl: msg.ttl,
    })
}

/// WinSock has no `recvmsg` with the control messages netlab decodes (and its raw
/// sockets no TCP): refused, naming the platform.
#[cfg(windows)]
pub fn recv_packet(_fd: RawFd, _buf: &mut [u8]) -> io::Result<Received> {
    Err(super::sys::unsupported(
        "reading raw packets with their receive time (recvmsg)",
    ))
}

/// What one `recvmsg` returned, with its decoded control messages.
#[cfg(unix)]
pub(super) struct Message {
    pub(super) len: usize,
    pub(super) from: Option<IpAddr>,
    pub(super) at: Instant,
    pub(super) ttl: Option<u8>,
    /// From an `IP_RECVERR` / `IPV6_RECVERR` control message (error queue reads).
    #[cfg(any(target_os = "linux", target_os = "android"))]
    pub(super) ext_err: Option<IcmpReport>,
}

/// recvmsg with the control messages netlab asks for.
#[cfg(unix)]
pub(super) fn recvmsg(fd: RawFd, buf: &mut [u8], flags: libc::c_int) -> io::Result<Message> {
    let mut name = MaybeUninit::<libc::sockaddr_storage>::zeroed();
    let mut control = [0u64; 64]; // 512 bytes, aligned for cmsghdr
    let mut iov = libc::iovec {
        iov_base: buf.as_mut_ptr() as *mut libc::c_void,
        iov_len: buf.len(),
    };
    // SAFETY: an all-zero msghdr is valid; the pointers set below outlive the call.
    let mut msg: libc::msghdr = unsafe { std::mem::zeroed() };
    msg.msg_name = name.as_mut_ptr() as *mut libc::c_void;
    msg.msg_namelen = size_of::<libc::sockaddr_storage>() as libc::socklen_t;
    msg.msg_iov = &mut iov;
    msg.msg_iovlen = 1;
    msg.msg_control = control.as_mut_ptr() as *mut libc::c_void;
    msg.msg_controllen = size_of::<[u64; 64]>() as _;
    // SAFETY: msg describes valid buffers.
    let n = unsafe { libc::recvmsg(fd, &mut msg, flags | libc::MSG_DONTWAIT) };
    if n < 0 {
        return Err(io::Error::last_os_error());
    }
    let read_at = Instant::now();
    let read_real = realtime_now();
    let from = if msg.msg_namelen > 0 {
        // SAFETY: the kernel wrote msg_namelen bytes of a sockaddr into `name`.
        unsafe {
            sockaddr_to_ip(
                name.as_ptr() as *const libc::sockaddr,
                msg.msg_namelen as usize,
            )
        }
    } else {
        None
    };
    let mut out = Message {
        len: (n as usize).min(buf.len()),
        from,
        at: read_at,
        ttl: None,
        #[cfg(any(target_os = "linux", target_os = "android"))]
        ext_err: None,
    };
    // SAFETY: CMSG_* walk the control buffer the kernel filled, bounded by msg_controllen;
    // each payload is read unaligned and only when cmsg_len covers it, or (a
    // sock_extended_err) handed on as the cmsg_len bytes the kernel wrote (it truncates
    // cmsg_len to the buffer), which are then parsed by bounds-checked slicing.
    unsafe {
        let mut cmsg = libc::CMSG_FIRSTHDR(&msg);
        while !cmsg.is_null() {
            let hdr = &*cmsg;
            let data = libc::CMSG_DATA(cmsg);
            let data_len = (hdr.cmsg_len as usize)
                .saturating_sub(data.offset_from(cmsg as *const u8) as usize);
            match (hdr.cmsg_level, hdr.cmsg_type) {
                #[cfg(any(target_os = "linux", target_os = "android"))]
                (libc::SOL_SOCKET, libc::SCM_TIMESTAMPNS)
                    if data_len >= size_of::<libc::timespec>() =>
                {
                    let ts: libc::timespec =
                        std::ptr::read_unaligned(data as *const libc::timespec);
                    out.at = kernel_time_to_instant(ts, read_at, read_real);
                }
                // The BSDs and macOS: SO_TIMESTAMP's microseconds, as a timeval.
                #[cfg(not(any(target_os = "linux", target_os = "android")))]
                (libc::SOL_SOCKET, libc::SCM_TIMESTAMP)
                    if data_len >= size_of::<libc::timeval>() =>
                {
                    let tv: libc::timeval = std::ptr::read_unaligned(data as *const libc::timeval);
                    out.at = kernel_time_to_instant(timeval_to_timespec(tv), read_at, read_real);
                }
                #[cfg(any(target_os = "linux", target_os = "android"))]
                (libc::IPPROTO_IP, libc::IP_TTL) if data_len >= size_of::<libc::c_int>() => {
                    let ttl: libc::c_int = std::ptr::read_unaligned(data as *const libc::c_int);
                    out.ttl = u8::try_from(ttl).ok();
                }
                // The BSDs and macOS hand IP_RECVTTL's TTL over as one byte, under its
                // own name.
                #[cfg(not(any(target_os = "linux", target_os = "android")))]
                (libc::IPPROTO_IP, libc::IP_RECVTTL) if data_len >= 1 => {
                    out.ttl = Some(*data);
                }
                (libc::IPPROTO_IPV6, libc::IPV6_HOPLIMIT)
                    if data_len >= size_of::<libc::c_int>() =>
                {
                    let hops: libc::c_int = std::ptr::read_unaligned(data as *const libc::c_int);
                    out.ttl = u8::try_from(hops).ok();
                }
                #[cfg(any(target_os = "linux", target_os = "android"))]
                (libc::IPPROTO_IP, libc::IP_RECVERR) | (libc::IPPROTO_IPV6, libc::IPV6_RECVERR) => {
                    let bytes = std::slice::from_raw_parts(data, data_len);
                    if let Some(report) = parse_extended_err(bytes) {
                        out.ext_err = Some(report);
                    }
                }
                _ => {}
            }
            cmsg = libc::CMSG_NXTHDR(&msg, cmsg);
        }
    }
    Ok(out)
}

/// # Safety
/// `sa` must point to `len` readable bytes of a socket address.
#[cfg(unix)]
unsafe fn sockaddr_to_ip(sa: *const libc::sockaddr, len: usize) -> Option<IpAddr> {
    if len < size_of::<libc::sa_family_t>() {
        return None;
    }
    match i32::from((*sa).sa_family) {
        libc::AF_INET if len >= size_of::<libc::sockaddr_in>() => {
            let sin: libc::sockaddr_in = std::ptr::read_unaligned(sa as *const libc::sockaddr_in);
            Some(IpAddr::V4(Ipv4Addr::from(u32::from_be(
                sin.sin_addr.s_addr,
            ))))
        }
        libc::AF_INET6 if len >= size_of::<libc::sockaddr_in6>() => {
            let sin6: libc::sockaddr_in6 =
                std::ptr::read_unaligned(sa as *const libc::sockaddr_in6);
            Some(IpAddr::V6(Ipv6Addr::from(sin6.sin6_addr.s6_addr)))
        }
        _ => None,
    }
}

#[cfg(unix)]
fn realtime_now() -> libc::timespec {
    let mut ts = libc::timespec {
        tv_sec: 0,
        tv_nsec: 0,
    };
    // SAFETY: ts is a valid out-pointer; CLOCK_REALTIME always exists.
    unsafe { libc::clock_gettime(libc::CLOCK_REALTIME, &mut ts) };
    ts
}

/// A `timeval` (microseconds; `tv_usec` is an `i32` on macOS, an `i64` on FreeBSD) as a
/// `timespec`.
#[cfg(all(unix, not(any(target_os = "linux", target_os = "android"))))]
#[allow(clippy::unnecessary_cast)]
fn timeval_to_timespec(tv: libc::timeval) -> libc::timespec {
    libc::timespec {
        tv_sec: tv.tv_sec,
        tv_nsec: tv.tv_usec as libc::c_long * 1000,
    }
}

/// Kernel timestamps are wall-clock time; ping schedules by the monotonic clock. The
/// packet's age (wall clock now minus its timestamp, read within nanoseconds of `read_at`)
/// carries it over. A clock step between arrival and read shows up as an age below zero
/// or of minutes; then the read time is the best we have.
#[cfg(unix)]
fn kernel_time_to_instant(ts: libc::timespec, read_at: Instant, now: libc::timespec) -> Instant {
    let ns = |t: libc::timespec| i128::from(t.tv_sec) * 1_000_000_000 + i128::from(t.tv_nsec);
    let age = ns(now) - ns(ts);
    if !(0..=10_000_000_000).contains(&age) {
        return read_at;
    }
    read_at
        .checked_sub(Duration::from_nanos(age as u64))
        .unwrap_or(read_at)
}

#[cfg(any(target_os = "linux", target_os = "android"))]
/// Parses the payload of an `IP_RECVERR` / `IPV6_RECVERR` control message: a
/// `struct sock_extended_err` and the `SO_EE_OFFENDER` address after it. None when it is
/// short, or not an error (timestamps, zerocopy notifications). Bytes come from the
/// kernel, but are still parsed by bounds-checked slicing.
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
        info: u32::from_ne_bytes(header[8..12].try_into().ok()?),
        from: parse_sockaddr(&bytes[HEADER..]),
    })
}

/// The address in a raw `sockaddr_in` / `sockaddr_in6`; None for AF_UNSPEC or short input.
#[cfg(any(target_os = "linux", target_os = "android"))]
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

#[cfg(all(test, unix))]
mod tests {
    use super::*;

    #[cfg(any(target_os = "linux", target_os = "android"))]
    fn extended_err(origin: u8, kind: u8, code: u8, errno: i32, offender: &[u8]) -> Vec<u8> {
        let mut bytes = Vec::new();
        bytes.extend_from_slice(&(errno as u32).to_ne_bytes());
        bytes.extend_from_slice(&[origin, kind, code, 0]);
        bytes.extend_from_slice(&[0; 8]);
        bytes.extend_from_slice(offender);
        bytes
    }

    #[cfg(any(target_os = "linux", target_os = "android"))]
    fn sockaddr_in(addr: [u8; 4]) -> Vec<u8> {
        let mut bytes = (libc::AF_INET as u16).to_ne_bytes().to_vec();
        bytes.extend_from_slice(&[0, 0]);
        bytes.extend_from_slice(&addr);
        bytes.extend_from_slice(&[0; 8]);
        bytes
    }

    #[cfg(any(target_os = "linux", target_os = "android"))]
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

    #[cfg(any(target_os = "linux", target_os = "android"))]
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

    #[cfg(any(target_os = "linux", target_os = "android"))]
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

    #[cfg(unix)]
    #[test]
    fn kernel_timestamps_become_instants_in_the_past() {
        let read_at = Instant::now();
        let now = libc::timespec {
            tv_sec: 100,
            tv_nsec: 500_000,
        };
        let ts = libc::timespec {
            tv_sec: 100,
            tv_nsec: 200_000,
        };
        let at = kernel_time_to_instant(ts, read_at, now);
        assert_eq!(read_at - at, Duration::from_micros(300));
        // A timestamp from the future (clock stepped back) falls back to the read time.
        assert_eq!(kernel_time_to_instant(now, read_at, ts), read_at);
    }
}
