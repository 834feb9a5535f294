//! Every call into the operating system lives under this module.
//!
//! The commands above it decide what a result *means* (open, closed, filtered, which ICMP
//! error); this layer only performs the calls and hands back the raw facts: the error's
//! [`err::Kind`], the ICMP type/code and who sent it, the time it took. That split keeps
//! the classification testable without sockets, and keeps `unsafe` in a handful of small,
//! commented places. No command names an errno, a file descriptor or a system path:
//! errors are matched through [`err`], sockets are waited on through [`probe::poll`]
//! and [`ready`], signals are [`signal`]'s, and the files netlab reads are named in
//! [`paths`].
//!
//! Inside `net` the modules form a tree, with no back-references: shared low-level pieces
//! live in leaf modules below everything that uses them. Module → the `net` modules it
//! uses:
//!
//! ```text
//! leaves:     msg   addr   iface   limits   listen   kinds
//!
//! sys       → kinds (errno table, paths, signals, new sockets, the platform's name)
//! err       → kinds, sys
//! signal    → kinds, sys
//! sockopt   → sys
//! options   → iface, sockopt, sys
//! errqueue  → msg
//! socket    → errqueue, msg, sockopt, sys
//! probe     → addr, errqueue, options, sockopt, sys
//! raw_tcp   → addr, msg, options, sockopt
//! icmp      → addr, errqueue, msg, options, sockopt
//! ready     → icmp
//! privilege → icmp, options, sys
//! resolver  → sys (resolv.conf's path on Unix)
//! ```
//!
//! - `resolver`: the stub resolver's settings as the platform keeps them (resolv.conf's
//!   bytes, or Windows' adapters' DNS servers and suffixes).
//! - `kinds`: the platform-free names ([`err::Kind`], [`signal::Meaning`]) that `sys`
//!   maps its numbers to, in a leaf so that `err`/`signal` → `sys` is no circle.
//! - `err`: what a failed call means ([`err::Kind`], [`err::is_resource_shortage`], ...),
//!   mapped to and from the platform's numbers by `sys`; `paths`: the hosts file
//!   (`/etc/hosts`, `%SystemRoot%\System32\drivers\etc\hosts`); `stdio`: whether stdout's pipe
//!   has lost its reader.
//! - `sockopt`: the one `setsockopt` wrapper; `msg`: `recvmsg` and its control messages
//!   (timestamps, TTL, `sock_extended_err`); `addr`: what a probe socket binds to and was
//!   bound to.
//! - `errqueue`: the error-queue reader (connect, ping, trace); `options`: the
//!   user-facing socket options (`-I`, `-Q`, `-M`, ...).
//! - `socket` (connect's sockets), `probe` (trace's UDP/TCP probes, `poll`, signals),
//!   `raw_tcp` (trace's raw SYNs), `icmp` (ping's and trace's ICMP sockets), `ready`
//!   (ping's ICMP sockets in the async runtime), `signal` (Ctrl-C, SIGTERM, SIGQUIT by
//!   what they ask of a run).
//! - `privilege`: which ICMP socket this process may open, and dropping capabilities.
//!
//! # Porting
//!
//! The shape is socket2's and mio's: public types that name no platform, and a private
//! `sys` module chosen at compile time (`sys/unix.rs` today; differences inside the Unix
//! family are `#[cfg(target_os)]` items there, such as Linux's `ENONET`, and small
//! `#[cfg(target_os)]` twins of the one function that differs, beside the Linux one).
//!
//! macOS and FreeBSD (type-checked from Linux, never run here): no socket error queue
//! (`sockopt::HAS_ERROR_QUEUE`; unprivileged UDP/TCP trace probes are refused, connect
//! reports the errno alone), `SO_TIMESTAMP` for `SO_TIMESTAMPNS`, `IP_BOUND_IF` for
//! `SO_BINDTODEVICE` (macOS; refused on FreeBSD), `IP_DONTFRAG` for `-M do`/`dont` (`want`,
//! `probe` refused), no `SO_MARK` and no route MTU (refused, naming the platform), root
//! for raw sockets, and ICMP datagram sockets for everyone on macOS. The engines
//! above never see a `cfg`: ping's and trace's loops run on a small `Network` trait
//! (`ping/io.rs`, `trace/io.rs`), tested on fakes, whose one implementation today is
//! these Linux sockets.
//!
//! A port to Windows, macOS or a BSD provides, beside `sys/unix.rs`:
//! - `sys/<platform>.rs`: the [`err::Kind`] table (`WSAECONNREFUSED`, ...), the
//!   signals (Ctrl-C, the console closing) and the system paths (Windows:
//!   `%SystemRoot%\System32\drivers\etc\hosts`, and no resolv.conf: the adapters' DNS
//!   servers);
//! - the socket types this module exports with the same methods: [`icmp::IcmpSocket`]
//!   (Windows: `IcmpSendEcho2`, as ping.exe; macOS: datagram ICMP sockets),
//!   [`probe::UdpProbeSocket`] and [`probe::TcpProbeSocket`] (where there is no error
//!   queue, ICMP errors come from a raw listener or are not seen),
//!   [`raw_tcp::RawTcpSocket`], [`socket`]'s async connect with its ICMP detail,
//!   [`probe::poll`] and [`ready`];
//! - [`privilege`]: what "privileged" means there (Administrator, root) and the hint;
//! - [`options`], [`iface`], [`limits`]: an option the platform cannot honour returns
//!   [`options::Refused`], so the command refuses it at start, naming the platform.
//!
//! Windows: `sys/windows.rs` (WinSock errors through `windows-sys`, Ctrl-C and the console
//! closing, the paths) exists; every other module but `err`, `paths`, `signal`, `kinds`
//! and `addr` is still Unix code (`libc`, file descriptors), so netlab does not build for
//! Windows yet.

pub mod addr;
pub mod err;
pub mod errqueue;
pub mod icmp;
pub mod iface;
mod kinds;
pub mod limits;
pub mod listen;
pub mod msg;
pub mod options;
pub mod privilege;
pub mod probe;
pub mod raw_tcp;
pub mod ready;
pub mod resolver;
pub mod signal;
pub mod socket;
pub mod sockopt;
mod sys;

/// The hosts file, where this platform keeps it, the names its resolver answers without
/// it (the resolver's servers are [`resolver`]'s), and its CA bundle.
pub mod paths {
    pub use super::sys::{hosts_file, trust_bundle, BUILT_IN_HOSTS};
}

/// The commands a hint names for what this platform's users look up (`ip link` on
/// Linux, `ifconfig -l` on macOS and FreeBSD).
pub mod tools {
    pub use super::sys::{LIST_ADDRESSES, LIST_INTERFACES};
}

/// The process's own standard streams: made safe to use at start (`prepare`, for a
/// `main` without Rust's start-up), and whether stdout's reader has gone
/// (`output::Stdout::stopped` asks).
pub mod stdio {
    pub use super::sys::{prepare, stdout_reader_gone};
}
