//! The Unix family: errno numbers, the system files netlab reads, signals.

use std::io;

use socket2::{Domain, Protocol, Socket, Type};
use tokio::signal::unix::{self, SignalKind};

use crate::net::kinds::{Kind, Meaning};

/// Each [`Kind`] with its errno (a kind the platform lacks is not listed).
pub const ERRNOS: &[(Kind, i32)] = &[
    (Kind::ConnectionRefused, libc::ECONNREFUSED),
    (Kind::TimedOut, libc::ETIMEDOUT),
    (Kind::HostUnreachable, libc::EHOSTUNREACH),
    (Kind::NetworkUnreachable, libc::ENETUNREACH),
    (Kind::HostDown, libc::EHOSTDOWN),
    #[cfg(any(target_os = "linux", target_os = "android"))]
    (Kind::NotOnNetwork, libc::ENONET),
    (Kind::ProtocolOption, libc::ENOPROTOOPT),
    (Kind::ProtocolError, libc::EPROTO),
    (Kind::NotSupported, libc::EOPNOTSUPP),
    (Kind::AccessDenied, libc::EACCES),
    (Kind::NotPermitted, libc::EPERM),
    (Kind::ProcessFileLimit, libc::EMFILE),
    (Kind::SystemFileLimit, libc::ENFILE),
    (Kind::NoBufferSpace, libc::ENOBUFS),
    (Kind::OutOfMemory, libc::ENOMEM),
    (Kind::AddressNotAvailable, libc::EADDRNOTAVAIL),
    (Kind::WouldBlock, libc::EAGAIN),
    (Kind::FamilyNotSupported, libc::EAFNOSUPPORT),
    (Kind::InvalidArgument, libc::EINVAL),
    (Kind::MessageTooLong, libc::EMSGSIZE),
];

/// This platform as its users name it, for the one line that refuses what it lacks.
#[cfg(target_os = "linux")]
pub const OS: &str = "Linux";
#[cfg(target_os = "android")]
pub const OS: &str = "Android";
#[cfg(target_os = "macos")]
pub const OS: &str = "macOS";
#[cfg(target_os = "freebsd")]
pub const OS: &str = "FreeBSD";
#[cfg(not(any(
    target_os = "linux",
    target_os = "android",
    target_os = "macos",
    target_os = "freebsd"
)))]
pub const OS: &str = "this Unix";

/// A new non-blocking socket: in one call where the kernel takes `SOCK_NONBLOCK` (Linux,
/// FreeBSD), with a second one on macOS, which also gets `SO_NOSIGPIPE` there (a write to
/// a reset connection must fail, not kill netlab).
pub fn nonblocking_socket(
    domain: Domain,
    ty: Type,
    protocol: Option<Protocol>,
) -> io::Result<Socket> {
    #[cfg(any(target_os = "linux", target_os = "android", target_os = "freebsd"))]
    {
        Socket::new(domain, ty.nonblocking(), protocol)
    }
    #[cfg(not(any(target_os = "linux", target_os = "android", target_os = "freebsd")))]
    {
        let socket = Socket::new(domain, ty, protocol)?;
        socket.set_nonblocking(true)?;
        #[cfg(target_os = "macos")]
        socket.set_nosigpipe(true)?;
        Ok(socket)
    }
}

/// The command that lists this system's interfaces and its addresses, for hints.
#[cfg(any(target_os = "linux", target_os = "android"))]
pub const LIST_INTERFACES: &str = "ip link";
#[cfg(any(target_os = "linux", target_os = "android"))]
pub const LIST_ADDRESSES: &str = "ip address";
#[cfg(not(any(target_os = "linux", target_os = "android")))]
pub const LIST_INTERFACES: &str = "ifconfig -l";
#[cfg(not(any(target_os = "linux", target_os = "android")))]
pub const LIST_ADDRESSES: &str = "ifconfig";

/// The hosts file (hosts(5)), read before DNS.
pub const HOSTS_FILE: &str = "/etc/hosts";

/// The stub resolver's configuration (resolv.conf(5)).
pub const RESOLVER_CONF: &str = "/etc/resolv.conf";

/// A Unix signal, watched through tokio.
pub struct Signal(unix::Signal);

impl Signal {
    pub fn watch(meaning: Meaning) -> io::Result<Signal> {
        let kind = match meaning {
            Meaning::Interrupt => SignalKind::interrupt(),
            Meaning::Terminate => SignalKind::terminate(),
            Meaning::Report => SignalKind::quit(),
            Meaning::Reload => SignalKind::hangup(),
        };
        unix::signal(kind).map(Signal)
    }

    pub async fn recv(&mut self) -> Option<()> {
        self.0.recv().await
    }
}
