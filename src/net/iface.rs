//! Network interfaces: the `%zone` of a link-local IPv6 address names one.

use std::ffi::{CStr, CString};
use std::io;
use std::net::{IpAddr, SocketAddr, SocketAddrV6};

/// The socket address of an IP literal from the command line, its `%zone` (IPv6) made
/// the scope id; the error says which zone names no interface.
pub fn literal_sockaddr(addr: IpAddr, zone: Option<&str>, port: u16) -> Result<SocketAddr, String> {
    match (addr, zone) {
        (IpAddr::V6(v6), Some(zone)) => index_of(zone)
            .map(|index| SocketAddr::V6(SocketAddrV6::new(v6, port, 0, index)))
            .map_err(|_| format!("no network interface named '{zone}'")),
        _ => Ok(SocketAddr::new(addr, port)),
    }
}

/// The index of the interface called `name` (`if_nametoindex`), as an IPv6 scope id.
pub fn index_of(name: &str) -> io::Result<u32> {
    let c_name = CString::new(name)
        .map_err(|_| io::Error::new(io::ErrorKind::InvalidInput, "interface name contains NUL"))?;
    // SAFETY: `c_name` is a valid NUL-terminated string that outlives the call.
    #[cfg(unix)]
    let index = unsafe { libc::if_nametoindex(c_name.as_ptr()) };
    // SAFETY: as above (iphlpapi's `if_nametoindex` takes the same C string).
    #[cfg(windows)]
    let index = unsafe {
        windows_sys::Win32::NetworkManagement::IpHelper::if_nametoindex(c_name.as_ptr().cast())
    };
    if index == 0 {
        let err = io::Error::last_os_error();
        // glibc reports an unknown name as ENODEV (Windows sets no error); say it in
        // words people recognise.
        #[cfg(unix)]
        let unknown = matches!(err.raw_os_error(), Some(libc::ENODEV) | Some(0) | None);
        #[cfg(windows)]
        let unknown = true;
        return Err(if unknown {
            io::Error::new(io::ErrorKind::NotFound, "no such interface")
        } else {
            err
        });
    }
    Ok(index)
}

/// The name of the interface with this index (`if_indextoname`): what a `%zone` may say
/// for it (`lo` on Linux; on Windows the type and a number, `loopback_0`, or
/// `loopback_1` under Wine).
pub fn name_of(index: u32) -> io::Result<String> {
    // Windows' names are at most IF_MAX_STRING_SIZE (256) bytes, Unix's IF_NAMESIZE.
    let mut buf = [0u8; 260];
    // SAFETY: `buf` is writable and larger than the longest name either call writes.
    #[cfg(unix)]
    let found = unsafe { libc::if_indextoname(index, buf.as_mut_ptr().cast()) };
    // SAFETY: as above.
    #[cfg(windows)]
    let found = unsafe {
        windows_sys::Win32::NetworkManagement::IpHelper::if_indextoname(index, buf.as_mut_ptr())
    };
    if found.is_null() {
        return Err(io::Error::new(io::ErrorKind::NotFound, "no such interface"));
    }
    let name = CStr::from_bytes_until_nul(&buf)
        .map_err(|_| io::Error::new(io::ErrorKind::InvalidData, "interface name without NUL"))?;
    Ok(name.to_string_lossy().into_owned())
}

/// Whether the kernel routes `addr` as a broadcast (the limited broadcast, or a subnet's
/// broadcast address on one of this host's links): the destinations ping refuses without
/// `-b`, as iputils does. Asked the way iputils asks: connecting a UDP socket (which sends
/// nothing) to a broadcast destination without `SO_BROADCAST` fails with EACCES.
pub fn is_broadcast(addr: std::net::Ipv4Addr) -> bool {
    if addr.is_broadcast() {
        return true;
    }
    let Ok(socket) = std::net::UdpSocket::bind((std::net::Ipv4Addr::UNSPECIFIED, 0)) else {
        return false;
    };
    matches!(
        socket.connect((addr, 9)),
        Err(e) if super::err::is(&e, super::err::Kind::AccessDenied)
    )
}

#[cfg(all(unix, not(target_os = "freebsd")))]
use libc::SIOCGIFMTU;
/// FreeBSD's `SIOCGIFMTU`, which the libc crate lacks: `_IOWR('i', 51, struct ifreq)` of
/// sys/sockio.h, with its 32-byte `struct ifreq`.
#[cfg(target_os = "freebsd")]
const SIOCGIFMTU: libc::c_ulong = 0xc020_6933;

/// The MTU of the interface called `name` (`SIOCGIFMTU`).
#[cfg(unix)]
pub fn mtu_of(name: &str) -> io::Result<u32> {
    let socket = std::net::UdpSocket::bind((std::net::Ipv4Addr::UNSPECIFIED, 0))?;
    // SAFETY: an all-zero ifreq is valid; the name is copied in bounded by IFNAMSIZ - 1
    // (so it stays NUL-terminated), and SIOCGIFMTU writes only ifru_mtu.
    unsafe {
        let mut req: libc::ifreq = std::mem::zeroed();
        if name.len() >= libc::IFNAMSIZ || name.bytes().any(|b| b == 0) {
            return Err(io::Error::new(
                io::ErrorKind::InvalidInput,
                "bad interface name",
            ));
        }
        for (dst, src) in req.ifr_name.iter_mut().zip(name.bytes()) {
            *dst = src as libc::c_char;
        }
        let fd = std::os::fd::AsRawFd::as_raw_fd(&socket);
        if libc::ioctl(fd, SIOCGIFMTU, &mut req) != 0 {
            return Err(io::Error::last_os_error());
        }
        u32::try_from(req.ifr_ifru.ifru_mtu).map_err(|_| io::Error::other("negative MTU"))
    }
}

/// Windows has no `SIOCGIFMTU` (its adapters' MTUs come from the IP Helper API, not read
/// here yet): refused, naming the platform.
#[cfg(windows)]
pub fn mtu_of(_name: &str) -> io::Result<u32> {
    Err(super::sys::unsupported(
        "reading an interface's MTU (SIOCGIFMTU)",
    ))
}

/// Windows: not looked up (its adapters come from `GetAdaptersAddresses`, not read here
/// yet), so a caller falls back to what the route says.
#[cfg(windows)]
pub fn name_of_address(_addr: IpAddr) -> Option<String> {
    None
}

/// The name of the interface that holds `addr` (getifaddrs), if one does.
#[cfg(unix)]
pub fn name_of_address(addr: IpAddr) -> Option<String> {
    let mut list: *mut libc::ifaddrs = std::ptr::null_mut();
    // SAFETY: getifaddrs fills `list` with a linked list freed by freeifaddrs below; each
    // entry's pointers are valid until then; addresses are read unaligned, by family.
    unsafe {
        if libc::getifaddrs(&mut list) != 0 {
            return None;
        }
        let mut found = None;
        let mut entry = list;
        while !entry.is_null() && found.is_none() {
            let ifa = &*entry;
            let sa = ifa.ifa_addr;
            let here = if sa.is_null() {
                None
            } else {
                match i32::from((*sa).sa_family) {
                    libc::AF_INET => {
                        let sin: libc::sockaddr_in =
                            std::ptr::read_unaligned(sa as *const libc::sockaddr_in);
                        Some(IpAddr::from(std::net::Ipv4Addr::from(u32::from_be(
                            sin.sin_addr.s_addr,
                        ))))
                    }
                    libc::AF_INET6 => {
                        let sin6: libc::sockaddr_in6 =
                            std::ptr::read_unaligned(sa as *const libc::sockaddr_in6);
                        Some(IpAddr::from(std::net::Ipv6Addr::from(
                            sin6.sin6_addr.s6_addr,
                        )))
                    }
                    _ => None,
                }
            };
            if here == Some(addr) && !ifa.ifa_name.is_null() {
                found = Some(
                    std::ffi::CStr::from_ptr(ifa.ifa_name)
                        .to_string_lossy()
                        .into_owned(),
                );
            }
            entry = ifa.ifa_next;
        }
        libc::freeifaddrs(list);
        found
    }
}

#[cfg(all(test, unix))]
mod tests {
    use super::*;

    #[test]
    fn loopback_has_an_index_and_nonsense_does_not() {
        assert!(index_of("lo").unwrap() > 0);
        let err = index_of("netlab-nope0").unwrap_err();
        assert_eq!(err.kind(), io::ErrorKind::NotFound);
        assert!(index_of("a\0b").is_err());
    }

    #[test]
    fn loopback_has_a_name_and_an_mtu() {
        let name = name_of_address("127.0.0.1".parse().unwrap()).unwrap();
        assert_eq!(name, "lo");
        assert!(mtu_of(&name).unwrap() >= 1280);
        assert!(mtu_of("netlab-nope0").is_err());
        assert_eq!(name_of_address("198.51.100.77".parse().unwrap()), None);
    }

    #[test]
    fn the_limited_broadcast_is_a_broadcast_and_loopback_is_not() {
        assert!(is_broadcast(std::net::Ipv4Addr::BROADCAST));
        assert!(!is_broadcast(std::net::Ipv4Addr::LOCALHOST));
    }
}
