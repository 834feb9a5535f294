//! Windows: the WinSock error numbers, the system files netlab reads, the console's
//! Ctrl-C and close events, new sockets, and the platform's name (issue 18).
//!
//! The first piece of `net`'s Windows half: the other modules of `net` are still Unix
//! code, so netlab does not build for Windows yet (docs/porting.md lists what is left).

use std::io;

use socket2::{Domain, Protocol, Socket, Type};
use tokio::signal::windows::{self as console, CtrlC, CtrlClose};
use windows_sys::Win32::Networking::WinSock as ws;

use super::unsupported;
use crate::net::kinds::{Kind, Meaning};

/// Each [`Kind`] with its WinSock error (a kind Windows lacks is not listed: no
/// `ENONET`, `EPROTO`, `EPERM` or system-wide descriptor limit there).
pub const ERRNOS: &[(Kind, i32)] = &[
    (Kind::ConnectionRefused, ws::WSAECONNREFUSED),
    (Kind::TimedOut, ws::WSAETIMEDOUT),
    (Kind::HostUnreachable, ws::WSAEHOSTUNREACH),
    (Kind::NetworkUnreachable, ws::WSAENETUNREACH),
    (Kind::HostDown, ws::WSAEHOSTDOWN),
    (Kind::ProtocolOption, ws::WSAENOPROTOOPT),
    (Kind::NotSupported, ws::WSAEOPNOTSUPP),
    (Kind::AccessDenied, ws::WSAEACCES),
    (Kind::ProcessFileLimit, ws::WSAEMFILE),
    (Kind::NoBufferSpace, ws::WSAENOBUFS),
    (Kind::OutOfMemory, ws::WSA_NOT_ENOUGH_MEMORY),
    (Kind::AddressNotAvailable, ws::WSAEADDRNOTAVAIL),
    (Kind::WouldBlock, ws::WSAEWOULDBLOCK),
    (Kind::FamilyNotSupported, ws::WSAEAFNOSUPPORT),
    (Kind::InvalidArgument, ws::WSAEINVAL),
    (Kind::MessageTooLong, ws::WSAEMSGSIZE),
];

/// This platform as its users name it, for the one line that refuses what it lacks.
pub const OS: &str = "Windows";

/// A new non-blocking socket (WinSock has no flag for it at creation).
pub fn nonblocking_socket(
    domain: Domain,
    ty: Type,
    protocol: Option<Protocol>,
) -> io::Result<Socket> {
    let socket = Socket::new(domain, ty, protocol)?;
    socket.set_nonblocking(true)?;
    Ok(socket)
}

/// The command that lists this system's interfaces and addresses, for hints.
pub const LIST_INTERFACES: &str = "ipconfig";
pub const LIST_ADDRESSES: &str = "ipconfig";

/// The hosts file. Its default place under `%SystemRoot%`: a constant, since the paths
/// are constants on every platform; reading `%SystemRoot%` itself is still to do.
pub const HOSTS_FILE: &str = r"C:\Windows\System32\drivers\etc\hosts";

/// Windows keeps its DNS servers per adapter (`GetAdaptersAddresses`), not in a file.
/// Reading them is still to do; until then no file of this name exists, and the stub
/// resolver's configuration is the empty one.
pub const RESOLVER_CONF: &str = r"C:\netlab-has-no-resolv.conf-on-windows";

/// A console event, watched through tokio: Ctrl-C (and Ctrl-Break) for an interrupt, the
/// console window closing for a termination. Windows has no SIGQUIT.
pub enum Signal {
    Interrupt(CtrlC),
    Terminate(CtrlClose),
}

impl Signal {
    pub fn watch(meaning: Meaning) -> io::Result<Signal> {
        match meaning {
            Meaning::Interrupt => console::ctrl_c().map(Signal::Interrupt),
            Meaning::Terminate => console::ctrl_close().map(Signal::Terminate),
            Meaning::Report => Err(unsupported("a report signal (SIGQUIT, Ctrl-\\)")),
            Meaning::Reload => Err(unsupported("a reload signal (SIGHUP; use POST /-/reload)")),
        }
    }

    pub async fn recv(&mut self) -> Option<()> {
        match self {
            Signal::Interrupt(c) => c.recv().await,
            Signal::Terminate(c) => c.recv().await,
        }
    }
}
