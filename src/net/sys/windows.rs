//! Windows: the WinSock error numbers, the system files netlab reads, the console's
//! Ctrl-C and close events, new sockets, and the platform's name (issue 18).
//!
//! The modules of `net` pass a socket to a system call as [`RawFd`], as on Unix: here a
//! WinSock `SOCKET`, handed out by this file's [`AsRawFd`] (one spelling in every module,
//! instead of a `cfg` on each signature).

use std::io;

use socket2::{Domain, Protocol, Socket, Type};
use tokio::signal::windows::{self as console, CtrlC, CtrlClose};
use windows_sys::Win32::Networking::WinSock as ws;

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

/// netlab's words for the WinSock errors it names (those of [`ERRNOS`] and the few its
/// sockets match on), in the words Unix's strerror uses for the same cause, so that a
/// line reads the same on every platform. Windows' own texts (`FormatMessageW`) are
/// sentences ending in a full stop ("No connection could be made because the target
/// machine actively refused it."), and Wine has none at all for WinSock's numbers.
pub const ERROR_WORDS: &[(i32, &str)] = &[
    (ws::WSAECONNREFUSED, "Connection refused"),
    (ws::WSAETIMEDOUT, "Connection timed out"),
    (ws::WSAEHOSTUNREACH, "No route to host"),
    (ws::WSAENETUNREACH, "Network is unreachable"),
    (ws::WSAEHOSTDOWN, "Host is down"),
    (ws::WSAENOPROTOOPT, "Protocol not available"),
    (ws::WSAEOPNOTSUPP, "Operation not supported"),
    (ws::WSAEACCES, "Permission denied"),
    (ws::WSAEMFILE, "Too many open files"),
    (ws::WSAENOBUFS, "No buffer space available"),
    (ws::WSA_NOT_ENOUGH_MEMORY, "Cannot allocate memory"),
    (ws::WSAEADDRNOTAVAIL, "Cannot assign requested address"),
    (ws::WSAEWOULDBLOCK, "Resource temporarily unavailable"),
    (
        ws::WSAEAFNOSUPPORT,
        "Address family not supported by protocol",
    ),
    (ws::WSAEINVAL, "Invalid argument"),
    (ws::WSAEMSGSIZE, "Message too long"),
    (ws::WSAECONNRESET, "Connection reset by peer"),
    (ws::WSAECONNABORTED, "Software caused connection abort"),
    (ws::WSAEADDRINUSE, "Address already in use"),
    (ws::WSAENOTCONN, "Transport endpoint is not connected"),
    (ws::WSAENETDOWN, "Network is down"),
];

/// A WinSock `SOCKET`, under the name the modules of `net` use on every platform.
pub type RawFd = std::os::windows::io::RawSocket;

/// The socket handle of a socket type, under Unix's name (see [`RawFd`]).
pub trait AsRawFd {
    fn as_raw_fd(&self) -> RawFd;
}

impl<T: std::os::windows::io::AsRawSocket> AsRawFd for T {
    fn as_raw_fd(&self) -> RawFd {
        self.as_raw_socket()
    }
}

/// The error a non-blocking `connect` returns while the handshake goes on.
pub const CONNECT_IN_PROGRESS: i32 = ws::WSAEWOULDBLOCK;

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

/// The hosts file: `%SystemRoot%\System32\drivers\etc\hosts`, where Windows keeps it
/// (`C:\Windows` when the variable is unset or empty). Its registry override
/// (`Tcpip\Parameters\DataBasePath`) is not read.
pub fn hosts_file() -> String {
    hosts_file_under(std::env::var("SystemRoot").ok().as_deref())
}

fn hosts_file_under(system_root: Option<&str>) -> String {
    let root = system_root
        .map(|root| root.trim_end_matches('\\'))
        .filter(|root| !root.is_empty())
        .unwrap_or(r"C:\Windows");
    format!(r"{root}\System32\drivers\etc\hosts")
}

/// The names the system resolver answers without the hosts file, as hosts(5) lines:
/// Windows answers localhost itself (its hosts file has had those lines commented out
/// since Windows 7: "localhost name resolution is handled within DNS itself").
pub const BUILT_IN_HOSTS: &str = "127.0.0.1 localhost\n::1 localhost\n";

/// No CA bundle file: Windows keeps its trusted CAs in the system certificate store,
/// which rustls-native-certs reads.
pub fn trust_bundle() -> Option<std::path::PathBuf> {
    None
}

/// A console event, watched through tokio: Ctrl-C (and Ctrl-Break) for an interrupt, the
/// console window closing for a termination. Windows has no SIGQUIT or SIGHUP: a report
/// or reload signal can never arrive there (the exporter reloads through
/// `POST /-/reload`), so watching one waits forever instead of failing the run.
pub enum Signal {
    Interrupt(CtrlC),
    Terminate(CtrlClose),
    Never,
}

impl Signal {
    pub fn watch(meaning: Meaning) -> io::Result<Signal> {
        match meaning {
            Meaning::Interrupt => console::ctrl_c().map(Signal::Interrupt),
            Meaning::Terminate => console::ctrl_close().map(Signal::Terminate),
            Meaning::Report | Meaning::Reload => Ok(Signal::Never),
        }
    }

    pub async fn recv(&mut self) -> Option<()> {
        match self {
            Signal::Interrupt(c) => c.recv().await,
            Signal::Terminate(c) => c.recv().await,
            Signal::Never => std::future::pending().await,
        }
    }
}

/// Nothing to prepare: Windows has no SIGPIPE (a write to a closed pipe fails with
/// `ERROR_NO_DATA`), and a console process without a standard handle gets none that a
/// socket could take over, as a closed Unix descriptor number can be.
pub fn prepare() -> io::Result<()> {
    Ok(())
}

/// Never known ahead here: a failed write to stdout says that its reader has gone.
pub fn stdout_reader_gone() -> bool {
    false
}

/// Starts WinSock for a call made before any socket was opened (std and socket2 start
/// it with their first socket; `getnameinfo` needs it too). Once per process; WinSock
/// counts the starts and is never stopped, as std leaves it.
pub fn start_winsock() -> io::Result<()> {
    static STARTED: std::sync::OnceLock<i32> = std::sync::OnceLock::new();
    let rc = *STARTED.get_or_init(|| {
        // SAFETY: an all-zero WSADATA is valid for WSAStartup to fill.
        let mut data: ws::WSADATA = unsafe { std::mem::zeroed() };
        // SAFETY: asks for WinSock 2.2 with a valid out-pointer.
        unsafe { ws::WSAStartup(0x0202, &mut data) }
    });
    match rc {
        0 => Ok(()),
        code => Err(io::Error::from_raw_os_error(code)),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_hosts_file_is_under_the_system_root() {
        assert_eq!(
            hosts_file_under(Some(r"D:\WINNT")),
            r"D:\WINNT\System32\drivers\etc\hosts"
        );
        assert_eq!(
            hosts_file_under(Some(r"C:\windows\")),
            r"C:\windows\System32\drivers\etc\hosts"
        );
        for unset in [None, Some("")] {
            assert_eq!(
                hosts_file_under(unset),
                r"C:\Windows\System32\drivers\etc\hosts"
            );
        }
        // Wine sets SystemRoot for its programs, as Windows does.
        let root = std::env::var("SystemRoot").expect("SystemRoot is set");
        assert!(hosts_file().starts_with(&root), "{}", hosts_file());
    }
}
