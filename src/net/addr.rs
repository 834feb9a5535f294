//! Socket addresses of probe sockets: what one binds to, and what it was bound to.
//!
//! Small helpers shared by the ICMP, UDP/TCP probe and raw TCP sockets
//! ([`super::icmp`], [`super::probe`], [`super::raw_tcp`]); they sit below all of them
//! and use none of them.

use std::io;
use std::net::{IpAddr, SocketAddr};

use socket2::Socket;

/// `src` with port 0 (the kernel picks one), and for IPv6 the interface of a link-local
/// destination: what a probe socket binds to.
pub(super) fn any_port(src: IpAddr, scope_id: u32) -> SocketAddr {
    match src {
        IpAddr::V4(a) => (a, 0).into(),
        IpAddr::V6(a) => std::net::SocketAddrV6::new(a, 0, 0, scope_id).into(),
    }
}

/// The address and port a socket is bound to (getsockname).
pub(super) fn bound_address(socket: &Socket) -> io::Result<SocketAddr> {
    socket
        .local_addr()?
        .as_socket()
        .ok_or_else(|| io::Error::other("getsockname gave no IP address"))
}
