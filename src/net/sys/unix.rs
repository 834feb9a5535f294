//! The Unix family: errno numbers, the system files netlab reads, signals.

use std::io;

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
        };
        unix::signal(kind).map(Signal)
    }

    pub async fn recv(&mut self) -> Option<()> {
        self.0.recv().await
    }
}
