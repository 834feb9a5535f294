//! Every call into the operating system lives under this module.
//!
//! The commands above it decide what a result *means* (open, closed, filtered, which ICMP
//! error); this layer only performs the calls and hands back the raw facts: the errno, the
//! ICMP type/code and who sent it, the time it took. That split keeps the classification
//! testable without sockets, and keeps `unsafe` in a handful of small, commented places.

pub mod errqueue;
pub mod icmp;
pub mod iface;
pub mod limits;
pub mod listen;
pub mod options;
pub mod privilege;
pub mod probe;
pub mod raw_tcp;
pub mod socket;
pub mod sockopt;
