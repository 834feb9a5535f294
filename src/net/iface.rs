//! Network interfaces: the `%zone` of a link-local IPv6 address names one.

use std::ffi::CString;
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
    let index = unsafe { libc::if_nametoindex(c_name.as_ptr()) };
    if index == 0 {
        let err = io::Error::last_os_error();
        // glibc reports an unknown name as ENODEV; say it in words people recognise.
        return Err(match err.raw_os_error() {
            Some(libc::ENODEV) | Some(0) | None => {
                io::Error::new(io::ErrorKind::NotFound, "no such interface")
            }
            _ => err,
        });
    }
    Ok(index)
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
        Err(e) if e.raw_os_error() == Some(libc::EACCES)
    )
}

#[cfg(test)]
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
    fn the_limited_broadcast_is_a_broadcast_and_loopback_is_not() {
        assert!(is_broadcast(std::net::Ipv4Addr::BROADCAST));
        assert!(!is_broadcast(std::net::Ipv4Addr::LOCALHOST));
    }
}
