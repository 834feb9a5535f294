//! Every call into the operating system lives under this module.
//!
//! The commands above it decide what a result *means* (open, closed, filtered, which ICMP
//! error); this layer only performs the calls and hands back the raw facts: the errno, the
//! ICMP type/code and who sent it, the time it took. That split keeps the classification
//! testable without sockets, and keeps `unsafe` in a handful of small, commented places.
//!
//! Inside `net` the modules form a tree, with no back-references: shared low-level pieces
//! live in leaf modules below everything that uses them. Module → the `net` modules it
//! uses:
//!
//! ```text
//! leaves:     sockopt   msg   addr   iface   limits   listen   sys (errno table, paths)
//!
//! err       → sys
//! options   → sockopt
//! errqueue  → msg
//! socket    → errqueue, msg, sockopt
//! probe     → addr, errqueue, options, sockopt
//! raw_tcp   → addr, msg, options, sockopt
//! icmp      → addr, errqueue, msg, options, sockopt
//! privilege → icmp, options
//! ```
//!
//! - `err`: what a failed call means ([`err::Kind`]), mapped to and from the platform's
//!   numbers by the private `sys` (chosen at compile time); `paths`: the system files.
//! - `sockopt`: the one `setsockopt` wrapper; `msg`: `recvmsg` and its control messages
//!   (timestamps, TTL, `sock_extended_err`); `addr`: what a probe socket binds to and was
//!   bound to.
//! - `errqueue`: the error-queue reader (connect, ping, trace); `options`: the
//!   user-facing socket options (`-I`, `-Q`, `-M`, ...).
//! - `socket` (connect's sockets), `probe` (trace's UDP/TCP probes, `poll`, signals),
//!   `raw_tcp` (trace's raw SYNs), `icmp` (ping's and trace's ICMP sockets).
//! - `privilege`: which ICMP socket this process may open, and dropping capabilities.

pub mod addr;
pub mod err;
pub mod errqueue;
pub mod icmp;
pub mod iface;
pub mod limits;
pub mod listen;
pub mod msg;
pub mod options;
pub mod privilege;
pub mod probe;
pub mod raw_tcp;
pub mod ready;
pub mod signal;
pub mod socket;
pub mod sockopt;
mod sys;

/// The system files netlab reads, where this platform keeps them.
pub mod paths {
    pub use super::sys::{HOSTS_FILE, RESOLVER_CONF};
}
