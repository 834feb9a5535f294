//! Opening a trace's sockets, and the privilege choice that goes with it.
//!
//! Which sockets a method needs depends on what this process may open: ICMP probes go
//! through the datagram socket when `ping_group_range` allows it and a raw one otherwise;
//! UDP and TCP probes read their errors from the error queue, and with `CAP_NET_RAW` a raw
//! ICMP listener beside them also sees MPLS labels, which lets TCP probes become raw SYNs
//! from one port. All of it is decided here, once, before capabilities are dropped; the
//! loop (`io.rs`) and the sending and reading (`wire.rs`) only use what was opened.

use std::net::IpAddr;

use super::super::probe::Method;
use super::super::{Plan, Resolved};
use crate::error::Failure;
use crate::net::icmp::{self, IcmpSocket, Mode, Version};
use crate::net::options::SocketOptions;
use crate::net::privilege;
use crate::net::probe::{self as netprobe, UdpProbeSocket};
use crate::net::raw_tcp::RawTcpSocket;

/// The socket that sends probes.
pub(super) enum Main {
    Icmp(IcmpSocket),
    Udp(UdpProbeSocket),
    /// One socket per probe, opened as the probe is sent (no CAP_NET_RAW).
    Tcp,
    /// SYNs from one source port on a raw TCP socket (CAP_NET_RAW); their ICMP errors
    /// come to the raw ICMP listener, which this method always has.
    RawTcp(RawTcpSocket),
}

/// The sockets of a trace, opened before capabilities are dropped (they are per thread:
/// drop them before starting any thread that traces).
pub struct Sockets {
    pub(super) main: Main,
    /// A raw ICMP socket beside UDP and TCP probes (with CAP_NET_RAW): it sees whole ICMP
    /// messages, so MPLS labels, and quotes the error queue does not return.
    pub(super) raw: Option<IcmpSocket>,
    pub(super) src: IpAddr,
    /// `--interface`, `-t`, `-F` for the per-probe TCP sockets (the others have them).
    pub(super) options: SocketOptions,
}

impl Sockets {
    /// What `plan`'s method needs to trace to `target`, with the raw ICMP listener when
    /// CAP_NET_RAW is held.
    pub fn open(plan: &Plan, target: &Resolved) -> Result<Sockets, Failure> {
        let version = Version::of(&target.addr());
        let opts = &plan.probe;
        opts.check_family(target.addr())?;
        let src = match opts.source {
            Some(src) => src,
            None => netprobe::source_address(target.sockaddr)
                .map_err(|e| Failure::new(format!("finding a route to {}", target.addr()), e))?,
        };
        let main = match plan.method {
            Method::Icmp => {
                let ident = u16::from_be_bytes(icmp::random_bytes::<2>());
                let socket = privilege::open_icmp_socket_with(
                    version,
                    ident,
                    "opening an ICMP socket",
                    opts.source,
                    &opts.socket,
                )
                .map_err(|mut failure| {
                    // Only the missing-privilege error has a hint to extend, and only where
                    // UDP probes work without privileges (Linux).
                    if netprobe::UDP_PROBES_SEE_ERRORS {
                        failure.hint = failure.hint.map(|h| {
                            format!(
                                "{h}; or trace with UDP (the default, no -I), which needs neither"
                            )
                        });
                    }
                    failure
                })?;
                Main::Icmp(socket)
            }
            Method::Udp => {
                let scope = match target.sockaddr {
                    std::net::SocketAddr::V6(a) => a.scope_id(),
                    _ => 0,
                };
                let socket = UdpProbeSocket::open(src, scope).map_err(|e| {
                    privilege::source_refused("opening the UDP probe socket", opts.source, e)
                })?;
                socket
                    .apply(&opts.socket)
                    .map_err(|r| privilege::option_refused(&r))?;
                Main::Udp(socket)
            }
            Method::Tcp => Main::Tcp,
        };
        let raw = match main {
            Main::Icmp(_) => None,
            _ if privilege::has_cap_net_raw() => IcmpSocket::open(version, Mode::Raw, 0).ok(),
            _ => None,
        };
        let main = match main {
            // With the raw ICMP listener (so CAP_NET_RAW), TCP probes become SYNs from one
            // source port; should the raw TCP socket fail anyway, connect() still works.
            Main::Tcp if raw.is_some() => {
                let scope = match target.sockaddr {
                    std::net::SocketAddr::V6(a) => a.scope_id(),
                    _ => 0,
                };
                match RawTcpSocket::open(src, scope) {
                    Ok(socket) => {
                        socket
                            .apply(&opts.socket)
                            .map_err(|r| privilege::option_refused(&r))?;
                        Main::RawTcp(socket)
                    }
                    Err(_) => Main::Tcp,
                }
            }
            other => other,
        };
        Ok(Sockets {
            main,
            raw,
            src,
            options: opts.socket.clone(),
        })
    }

    /// The same sockets without the raw ICMP listener: what a trace sees from the error
    /// queue alone, as any user's would (so TCP goes back to one `connect()` per probe).
    pub fn without_raw_listener(self) -> Sockets {
        let main = match self.main {
            Main::RawTcp(_) => Main::Tcp,
            other => other,
        };
        Sockets {
            main,
            raw: None,
            ..self
        }
    }

    /// Whether whole ICMP messages, so their extensions, are read: by a raw listener, or
    /// by raw ICMP probes reading their own answers (`-I` with `CAP_NET_RAW`).
    pub fn sees_extensions(&self) -> bool {
        self.raw.is_some() || matches!(&self.main, Main::Icmp(s) if s.mode() == Mode::Raw)
    }

    /// The address the probes leave from.
    pub fn source(&self) -> IpAddr {
        self.src
    }

    /// What tells this trace's answers from others' (the ICMP identifier or the UDP or
    /// raw TCP source port; per-probe TCP sockets are told apart by their ports).
    pub(super) fn ident(&self) -> u16 {
        match &self.main {
            Main::Icmp(s) => s.ident(),
            Main::Udp(s) => s.local().port(),
            Main::Tcp => 0,
            Main::RawTcp(s) => s.local().port(),
        }
    }

    /// Whether every probe is in one flow: all methods but TCP without the raw socket,
    /// where each probe is its own `connect()` from its own port.
    pub fn one_flow(&self) -> bool {
        !matches!(self.main, Main::Tcp)
    }
}
