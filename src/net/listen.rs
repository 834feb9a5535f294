//! Listening sockets for `serve`: a TCP listener or a UDP socket, bound with the options a
//! small server wants (SO_REUSEADDR so a restart does not wait out TIME_WAIT, dual-stack
//! `[::]` when one socket should take both families), and bind errors that say what to do.

use std::io;
use std::net::{Ipv4Addr, Ipv6Addr, SocketAddr};

use socket2::{Domain, Protocol, Socket, Type};

use super::err::Kind;
use crate::error::Failure;

/// TCP or UDP.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Transport {
    Tcp,
    Udp,
}

impl Transport {
    pub fn name(self) -> &'static str {
        match self {
            Transport::Tcp => "TCP",
            Transport::Udp => "UDP",
        }
    }
}

/// Where to listen.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Bind {
    /// One address (IPV6_V6ONLY on for an IPv6 address, as its family is all that was asked).
    Addr(SocketAddr),
    /// Every address of both families on `port`: `[::]` with IPV6_V6ONLY off, or `0.0.0.0`
    /// when the kernel has no IPv6.
    DualStack(u16),
}

/// A bound socket and what it actually covers.
pub struct Bound {
    pub socket: Socket,
    /// The local address after binding (the real port when port 0 was asked).
    pub local: SocketAddr,
    /// Whether IPv4 clients reach it too (dual-stack `[::]`).
    pub dual_stack: bool,
}

/// The backlog of a TCP listener: connections the kernel completes before `accept`.
const BACKLOG: i32 = 1024;

/// Binds (and for TCP, listens). Errors are one line with a hint where one helps.
pub fn bind(bind: Bind, transport: Transport) -> Result<Bound, Failure> {
    match bind {
        Bind::Addr(addr) => {
            bind_one(addr, transport, addr.is_ipv6()).map(|(socket, local)| Bound {
                socket,
                local,
                dual_stack: false,
            })
        }
        Bind::DualStack(port) => {
            let v6 = SocketAddr::new(Ipv6Addr::UNSPECIFIED.into(), port);
            match bind_one(v6, transport, false) {
                Ok((socket, local)) => Ok(Bound {
                    socket,
                    local,
                    dual_stack: true,
                }),
                Err(failure) if failure.why.contains("not supported") => {
                    let v4 = SocketAddr::new(Ipv4Addr::UNSPECIFIED.into(), port);
                    bind_one(v4, transport, false).map(|(socket, local)| Bound {
                        socket,
                        local,
                        dual_stack: false,
                    })
                }
                Err(failure) => Err(failure),
            }
        }
    }
}

fn bind_one(
    addr: SocketAddr,
    transport: Transport,
    v6_only: bool,
) -> Result<(Socket, SocketAddr), Failure> {
    let what = format!("listening on {} {addr}", transport.name());
    let (ty, proto) = match transport {
        Transport::Tcp => (Type::STREAM, Protocol::TCP),
        Transport::Udp => (Type::DGRAM, Protocol::UDP),
    };
    let fail = |err: io::Error| bind_failure(&what, addr, transport, err);
    let socket = Socket::new(Domain::for_address(addr), ty, Some(proto)).map_err(fail)?;
    if addr.is_ipv6() {
        socket.set_only_v6(v6_only).map_err(fail)?;
    }
    // Not on Windows: there SO_REUSEADDR lets another socket bind the same port while
    // this one listens (and a listener never waits out TIME_WAIT anyway).
    if transport == Transport::Tcp && cfg!(unix) {
        socket.set_reuse_address(true).map_err(fail)?;
    }
    socket.set_nonblocking(true).map_err(fail)?;
    socket.bind(&addr.into()).map_err(fail)?;
    if transport == Transport::Tcp {
        socket.listen(BACKLOG).map_err(fail)?;
    }
    let local = socket
        .local_addr()
        .map_err(fail)?
        .as_socket()
        .unwrap_or(addr);
    Ok((socket, local))
}

fn bind_failure(what: &str, addr: SocketAddr, transport: Transport, err: io::Error) -> Failure {
    let port = addr.port();
    let proto = match transport {
        Transport::Tcp => "tcp",
        Transport::Udp => "udp",
    };
    if err.kind() == io::ErrorKind::AddrInUse {
        return Failure::new(what, "address already in use")
            .with_hint(port_in_use_hint(proto, port));
    }
    match super::err::kind(&err) {
        Some(Kind::AccessDenied) if port < 1024 => {
            Failure::new(what, "permission denied").with_hint(low_port_hint())
        }
        Some(Kind::AddressNotAvailable) => {
            Failure::new(what, "no interface of this machine has that address").with_hint(format!(
                "see `{}` for this machine's addresses, or give only the port",
                super::sys::LIST_ADDRESSES
            ))
        }
        Some(Kind::FamilyNotSupported) => {
            Failure::new(what, "address family not supported by the kernel")
        }
        _ => Failure::new(what, err),
    }
}

/// Who holds a port: `ss` on Linux, `lsof` on macOS and FreeBSD.
#[cfg(any(target_os = "linux", target_os = "android"))]
fn port_in_use_hint(proto: &str, port: u16) -> String {
    format!(
        "another program is listening there: see `ss -{}lnp 'sport = :{port}'`, or pick another port",
        &proto[..1]
    )
}

#[cfg(all(unix, not(any(target_os = "linux", target_os = "android"))))]
fn port_in_use_hint(proto: &str, port: u16) -> String {
    let proto = if proto.starts_with('u') { "UDP" } else { "TCP" };
    format!(
        "another program is listening there: see `lsof -n -i{proto}:{port}`, or pick another port"
    )
}

/// The fix for a port below 1024: a capability on Linux, root elsewhere.
#[cfg(any(target_os = "linux", target_os = "android"))]
fn low_port_hint() -> String {
    format!(
        "ports below 1024 need root or CAP_NET_BIND_SERVICE: `sudo setcap cap_net_bind_service+ep {}`, or use a port above 1023",
        std::env::current_exe()
            .map(|p| p.display().to_string())
            .unwrap_or_else(|_| "netlab".into())
    )
}

/// Windows: `netstat` names who holds a port.
#[cfg(windows)]
fn port_in_use_hint(proto: &str, port: u16) -> String {
    let proto = if proto.starts_with('u') { "UDP" } else { "TCP" };
    format!(
        "another program is listening there: see `netstat -ano -p {proto}` for :{port}, or pick another port"
    )
}

/// Windows lets anyone bind a low port; a refusal there is a port Windows reserved.
#[cfg(windows)]
fn low_port_hint() -> String {
    "Windows reserves this port (see `netsh interface ipv4 show excludedportrange protocol=tcp`): use another port".to_string()
}

#[cfg(all(unix, not(any(target_os = "linux", target_os = "android"))))]
fn low_port_hint() -> String {
    format!(
        "ports below 1024 need root on {}: run it with sudo, or use a port above 1023",
        super::sys::OS
    )
}

#[cfg(test)]
mod tests {
    use super::*;

    #[cfg(any(target_os = "linux", target_os = "android"))]
    #[test]
    fn the_port_in_use_hint_names_ss() {
        assert_eq!(
            port_in_use_hint("tcp", 8080),
            "another program is listening there: see `ss -tlnp 'sport = :8080'`, or pick another port"
        );
    }

    #[test]
    fn a_port_in_use_is_one_line_with_a_hint() {
        let first = bind(Bind::Addr("127.0.0.1:0".parse().unwrap()), Transport::Tcp).unwrap();
        let again = bind(Bind::Addr(first.local), Transport::Tcp).err().unwrap();
        assert_eq!(
            again.to_string(),
            format!(
                "netlab: listening on TCP {}: address already in use\nhint: {}",
                first.local,
                port_in_use_hint("tcp", first.local.port())
            )
        );
    }

    #[test]
    fn dual_stack_takes_both_families() {
        let bound = bind(Bind::DualStack(0), Transport::Udp).unwrap();
        assert_eq!(
            bound.local.ip(),
            std::net::IpAddr::V6(Ipv6Addr::UNSPECIFIED)
        );
        assert!(bound.dual_stack);
        assert_ne!(bound.local.port(), 0);
    }
}
