//! The integer socket options every probe socket sets: TTL / hop limit, kernel receive
//! timestamps, the error queue. One `setsockopt` wrapper for all of `net`.

use std::io;
use std::mem::size_of;

use super::sys::RawFd;

/// `setsockopt` with a plain value (an int, a filter array).
#[cfg(unix)]
pub(super) fn setsockopt_raw<T>(
    fd: RawFd,
    level: libc::c_int,
    name: libc::c_int,
    value: &T,
) -> io::Result<()> {
    // SAFETY: value points to a live T of the given size.
    let rc = unsafe {
        libc::setsockopt(
            fd,
            level,
            name,
            value as *const T as *const libc::c_void,
            size_of::<T>() as libc::socklen_t,
        )
    };
    if rc == 0 {
        Ok(())
    } else {
        Err(io::Error::last_os_error())
    }
}

/// WinSock's `setsockopt`: the same call, with a `SOCKET` and a byte pointer.
#[cfg(windows)]
pub(super) fn setsockopt_raw<T>(
    fd: RawFd,
    level: libc::c_int,
    name: libc::c_int,
    value: &T,
) -> io::Result<()> {
    use windows_sys::Win32::Networking::WinSock as ws;
    // SAFETY: value points to a live T of the given size; fd is a socket handle.
    let rc = unsafe {
        ws::setsockopt(
            fd as ws::SOCKET,
            level,
            name,
            value as *const T as *const u8,
            size_of::<T>() as i32,
        )
    };
    if rc == 0 {
        Ok(())
    } else {
        Err(io::Error::last_os_error())
    }
}

pub(super) fn setsockopt_int(
    fd: RawFd,
    level: libc::c_int,
    name: libc::c_int,
    value: libc::c_int,
) -> io::Result<()> {
    setsockopt_raw(fd, level, name, &value)
}

/// Sets the TTL (IPv4) or unicast hop limit (IPv6) of what `fd` sends next.
pub fn set_ttl(fd: RawFd, v6: bool, ttl: u8) -> io::Result<()> {
    #[cfg(unix)]
    use libc::{IPPROTO_IP, IPPROTO_IPV6, IPV6_UNICAST_HOPS, IP_TTL};
    #[cfg(windows)]
    use windows_sys::Win32::Networking::WinSock::{
        IPPROTO_IP, IPPROTO_IPV6, IPV6_UNICAST_HOPS, IP_TTL,
    };
    if v6 {
        setsockopt_int(fd, IPPROTO_IPV6, IPV6_UNICAST_HOPS, ttl.into())
    } else {
        setsockopt_int(fd, IPPROTO_IP, IP_TTL, ttl.into())
    }
}

/// Asks for kernel receive timestamps on what `fd` reads: `SO_TIMESTAMPNS` (nanoseconds)
/// on Linux, `SO_TIMESTAMP` (microseconds) on the BSDs and macOS, which lack the former.
#[cfg(unix)]
pub fn set_timestamps(fd: RawFd) -> io::Result<()> {
    #[cfg(any(target_os = "linux", target_os = "android"))]
    let name = libc::SO_TIMESTAMPNS;
    #[cfg(not(any(target_os = "linux", target_os = "android")))]
    let name = libc::SO_TIMESTAMP;
    setsockopt_int(fd, libc::SOL_SOCKET, name, 1)
}

/// Asks for the TTL (`IP_RECVTTL`) or hop limit (`IPV6_RECVHOPLIMIT`) of each received
/// packet as a control message ([`super::msg`] decodes both platforms' forms).
#[cfg(unix)]
pub fn set_recv_ttl(fd: RawFd, v6: bool) -> io::Result<()> {
    if v6 {
        setsockopt_int(fd, libc::IPPROTO_IPV6, libc::IPV6_RECVHOPLIMIT, 1)
    } else {
        setsockopt_int(fd, libc::IPPROTO_IP, libc::IP_RECVTTL, 1)
    }
}

/// Windows sockets give no receive timestamps (nor `recvmsg` to read them): refused.
#[cfg(windows)]
pub fn set_timestamps(_fd: RawFd) -> io::Result<()> {
    Err(super::sys::unsupported(
        "kernel receive timestamps (SO_TIMESTAMPNS)",
    ))
}

/// Windows hands no TTL of received packets to netlab's sockets: refused.
#[cfg(windows)]
pub fn set_recv_ttl(_fd: RawFd, _v6: bool) -> io::Result<()> {
    Err(super::sys::unsupported(
        "the TTL of received packets (IP_RECVTTL)",
    ))
}

/// Whether this platform has a socket error queue (`IP_RECVERR`, Linux's alone): without
/// it an ICMP error about a datagram probe reaches only a raw ICMP socket.
pub const HAS_ERROR_QUEUE: bool = cfg!(any(target_os = "linux", target_os = "android"));

/// Asks the kernel to queue ICMP errors, with the sender's address, on `fd`'s error
/// queue (`IP_RECVERR` / `IPV6_RECVERR`); read them with [`super::errqueue`]. Elsewhere
/// an `Unsupported` error naming the platform.
#[cfg(any(target_os = "linux", target_os = "android"))]
pub fn enable_error_queue(fd: RawFd, v6: bool) -> io::Result<()> {
    if v6 {
        setsockopt_int(fd, libc::IPPROTO_IPV6, libc::IPV6_RECVERR, 1)
    } else {
        setsockopt_int(fd, libc::IPPROTO_IP, libc::IP_RECVERR, 1)
    }
}

/// See the Linux version: there is no error queue here.
#[cfg(not(any(target_os = "linux", target_os = "android")))]
pub fn enable_error_queue(_fd: RawFd, _v6: bool) -> io::Result<()> {
    Err(super::sys::unsupported(
        "a socket error queue (IP_RECVERR, for ICMP errors on datagram sockets)",
    ))
}

/// [`enable_error_queue`] where the platform has one, nothing elsewhere: for sockets that
/// read the queue only for detail (connect's reasons, ping's datagram sockets).
pub fn enable_error_queue_if_any(fd: RawFd, v6: bool) -> io::Result<()> {
    if HAS_ERROR_QUEUE {
        enable_error_queue(fd, v6)
    } else {
        Ok(())
    }
}

/// `getsockopt` of an int option (only Linux's route MTU reads one).
#[cfg(any(target_os = "linux", target_os = "android"))]
pub(super) fn getsockopt_int(
    fd: RawFd,
    level: libc::c_int,
    name: libc::c_int,
) -> io::Result<libc::c_int> {
    let mut value: libc::c_int = 0;
    let mut len = size_of::<libc::c_int>() as libc::socklen_t;
    // SAFETY: value and len are valid out-pointers of the sizes given.
    let rc = unsafe {
        libc::getsockopt(
            fd,
            level,
            name,
            &mut value as *mut libc::c_int as *mut libc::c_void,
            &mut len,
        )
    };
    if rc == 0 {
        Ok(value)
    } else {
        Err(io::Error::last_os_error())
    }
}
