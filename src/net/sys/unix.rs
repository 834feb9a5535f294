//! The Unix family: errno numbers, the system files netlab reads, signals, whether
//! stdout's pipe is still read.

use std::io;

use socket2::{Domain, Protocol, Socket, Type};
use tokio::signal::unix::{self, SignalKind};

use crate::net::kinds::{Kind, Meaning};

/// netlab's own words for some of the platform's error numbers: none here, strerror's
/// (what std prints) say it well.
pub const ERROR_WORDS: &[(i32, &str)] = &[];

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

/// A socket's handle as the modules of `net` pass it to a system call, and the trait
/// that hands it out: Unix's file descriptors (`windows.rs` names WinSock's `SOCKET`
/// the same, so the modules have one spelling).
pub use std::os::fd::{AsRawFd, RawFd};

/// The error a non-blocking `connect` returns while the handshake goes on.
pub const CONNECT_IN_PROGRESS: i32 = libc::EINPROGRESS;

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
pub fn hosts_file() -> String {
    "/etc/hosts".to_string()
}

/// The names the system resolver answers without the hosts file, as hosts(5) lines:
/// none (glibc reads localhost from /etc/hosts like any other name).
pub const BUILT_IN_HOSTS: &str = "";

/// The stub resolver's configuration (resolv.conf(5)).
pub const RESOLVER_CONF: &str = "/etc/resolv.conf";

/// The system's CA bundle: the one PEM file this system's OpenSSL (and so curl) reads,
/// e.g. /etc/ssl/certs/ca-certificates.crt on Debian, or the file `SSL_CERT_FILE` names.
/// None on macOS (its store is the keychain), where none of the usual places holds one,
/// and when `SSL_CERT_DIR` alone names the store (then, as in rustls-native-certs, the
/// environment's choice is the whole store).
pub fn trust_bundle() -> Option<std::path::PathBuf> {
    if cfg!(target_os = "macos") {
        return None;
    }
    if openssl_probe::has_ssl_cert_env_vars() {
        return std::env::var_os("SSL_CERT_FILE").map(std::path::PathBuf::from);
    }
    openssl_probe::probe().cert_file
}

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

/// What Rust's start-up does for the standard streams, for a `main` that skips it
/// (`src/main.rs`): each of descriptors 0, 1 and 2 that is closed is opened on /dev/null,
/// so that no socket or file opened later takes its number and receives the output, and
/// SIGPIPE is ignored, so that writing to a closed pipe fails with `EPIPE` instead of
/// killing the process. One `poll` (and an `open` per closed descriptor) and one
/// `sigaction`, as std's own `sanitize_standard_fds` and `reset_sigpipe`.
pub fn prepare() -> io::Result<()> {
    let mut fds = [0, 1, 2].map(|fd| libc::pollfd {
        fd,
        events: 0,
        revents: 0,
    });
    // SAFETY: three valid pollfds; a zero timeout never blocks.
    if unsafe { libc::poll(fds.as_mut_ptr(), fds.len() as libc::nfds_t, 0) } < 0 {
        return Err(io::Error::last_os_error());
    }
    for fd in fds.iter().filter(|fd| fd.revents & libc::POLLNVAL != 0) {
        // Opened without O_CLOEXEC, as the descriptor it stands for would be; the lowest
        // free number is the closed one, which is checked.
        // SAFETY: a NUL-terminated path; the descriptor is owned by the process from now on.
        let opened = unsafe { libc::open(c"/dev/null".as_ptr(), libc::O_RDWR) };
        if opened != fd.fd {
            return Err(match opened {
                -1 => io::Error::last_os_error(),
                _ => io::Error::other(format!("/dev/null opened as {opened}, not {}", fd.fd)),
            });
        }
    }
    // SAFETY: SIG_IGN for SIGPIPE: no handler code runs.
    if unsafe { libc::signal(libc::SIGPIPE, libc::SIG_IGN) } == libc::SIG_ERR {
        return Err(io::Error::last_os_error());
    }
    Ok(())
}

/// Whether stdout is a pipe that nobody reads any more (`netlab trace -c 100 host | head
/// -1` once head has exited). A command that prints only at its end would otherwise learn
/// it at that end: poll(2) reports `POLLERR` on the write end of a pipe whose readers are
/// all gone, without writing to it (coreutils' `tail -f` asks the same way). Anything but
/// a pipe (a terminal, a file, a socket) is never "gone" here; a failed write still says
/// so. Costs one `poll` a call (and one `fstat` the first time).
pub fn stdout_reader_gone() -> bool {
    static IS_PIPE: std::sync::OnceLock<bool> = std::sync::OnceLock::new();
    let stdout = std::io::stdout();
    let fd = std::os::fd::AsFd::as_fd(&stdout);
    *IS_PIPE.get_or_init(|| is_pipe(fd)) && pipe_reader_gone(fd)
}

fn is_pipe(fd: std::os::fd::BorrowedFd<'_>) -> bool {
    use std::os::fd::AsRawFd;
    let mut stat = std::mem::MaybeUninit::<libc::stat>::uninit();
    // SAFETY: fd is open for the borrow's life; stat is a writable buffer of its type,
    // read only after fstat reported success (which fills it).
    let rc = unsafe { libc::fstat(fd.as_raw_fd(), stat.as_mut_ptr()) };
    rc == 0 && {
        // SAFETY: fstat succeeded, so stat is initialised.
        let mode = unsafe { stat.assume_init() }.st_mode;
        mode & libc::S_IFMT == libc::S_IFIFO
    }
}

/// Whether the pipe whose write end is `fd` has lost its last reader.
fn pipe_reader_gone(fd: std::os::fd::BorrowedFd<'_>) -> bool {
    use std::os::fd::AsRawFd;
    let mut poll = libc::pollfd {
        fd: fd.as_raw_fd(),
        // POLLERR and POLLHUP are reported whatever is asked for.
        events: 0,
        revents: 0,
    };
    // SAFETY: one valid pollfd, a zero timeout (never blocks).
    let rc = unsafe { libc::poll(&mut poll, 1, 0) };
    rc > 0 && poll.revents & (libc::POLLERR | libc::POLLHUP) != 0
}

#[cfg(test)]
mod tests {
    use std::os::fd::AsFd;

    use super::{is_pipe, pipe_reader_gone};

    #[test]
    fn a_pipe_is_gone_once_its_last_reader_closes_and_a_file_never() {
        let (reader, writer) = std::io::pipe().expect("pipe");
        assert!(is_pipe(writer.as_fd()));
        assert!(!pipe_reader_gone(writer.as_fd()), "a reader is there");
        let second = reader.try_clone().expect("dup");
        drop(reader);
        assert!(!pipe_reader_gone(writer.as_fd()), "one reader is left");
        drop(second);
        assert!(pipe_reader_gone(writer.as_fd()), "no reader is left");

        let file = tempfile::tempfile().expect("file");
        assert!(!is_pipe(file.as_fd()));
        assert!(!pipe_reader_gone(file.as_fd()));
    }
}
