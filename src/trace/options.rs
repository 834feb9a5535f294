//! traceroute's per-probe flags: `-s ADDR` (source), `--interface IFACE` (traceroute's
//! `-i`; here `-i` is the rounds mode's interval, as in mtr), `-t TOS`, `-F` (don't
//! fragment), the packet length as the second positional argument, and `-N` (probes in
//! flight). They change the sockets and the size of the probes, never how probes are
//! scheduled or matched, so they live beside the plan as one value the driver applies:
//! the socket options through `net::options` (the same path as ping's), the length as
//! zero padding after the probe's 16-byte identity, which changes no checksum, so every
//! probe of a trace keeps one flow (Paris) whatever its size.

use std::net::IpAddr;

use crate::cli::TraceArgs;
use crate::error::Failure;
use crate::net::iface;
use crate::net::options::{Pmtu, SocketOptions};
use crate::packet::icmp::Version;

use super::probe::{Method, PAYLOAD_LEN};

/// Probes in flight at once (traceroute's `-N` default).
pub const WINDOW: usize = 16;

/// What `-s`, `--interface`, `-t`, `-F`, the packet length and `-N` ask of the probes.
/// `Default` is a plain trace.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct ProbeOptions {
    /// `-s`: the probes' source address.
    pub source: Option<IpAddr>,
    /// `--interface`, `-t`, `-F`: set on every probe socket.
    pub socket: SocketOptions,
    /// The whole IP packet, headers included, as traceroute counts it.
    pub packet_len: Option<u32>,
    /// `-N`: probes in flight at once; `None` is [`WINDOW`].
    pub in_flight: Option<usize>,
    /// `--mtu`: path-MTU discovery along the trace (`super::pmtu`).
    pub mtu: bool,
    /// `--back`: the hops of the way back, from each answer's TTL.
    pub back: bool,
    /// `-A`: the zone AS numbers are asked from (`super::asn`). Not a probe setting, but
    /// one of the same traceroute flags, kept here so the plan keeps its shape.
    pub asn_zone: Option<String>,
}

impl ProbeOptions {
    pub fn from_args(args: &TraceArgs, method: Method) -> Result<ProbeOptions, Failure> {
        if let Some(src) = args.source {
            if src.is_unspecified() {
                return Err(Failure::usage(
                    "trace -s",
                    format!("{src} is no source address (it means any)"),
                ));
            }
            if let Some(why) = args.family.family().refusal(&src) {
                return Err(Failure::usage("trace -s", why));
            }
        }
        if let Some(name) = &args.interface {
            iface::index_of(name).map_err(|_| {
                Failure::usage(
                    "trace --interface",
                    format!("no network interface named '{name}'"),
                )
                .with_hint(format!(
                    "give an interface from `{}`",
                    crate::net::tools::LIST_INTERFACES
                ))
            })?;
        }
        if args.mtu && method == Method::Tcp {
            return Err(Failure::usage(
                "trace --mtu",
                "TCP probes are bare SYNs, too small to find an MTU; use UDP or ICMP probes",
            ));
        }
        if args.asn {
            crate::target::Target::parse(
                args.asn_zone.trim_end_matches('.'),
                crate::target::PortSuffix::Forbidden,
            )
            .ok()
            .filter(|t| matches!(t.host, crate::target::Host::Name(_)))
            .ok_or_else(|| {
                Failure::usage(
                    "trace --asn-zone",
                    format!("'{}' is not a DNS zone name", args.asn_zone),
                )
            })?;
        }
        if args.packet_len.is_some() && method == Method::Tcp {
            return Err(Failure::usage(
                "trace: packet length",
                "TCP probes are bare SYNs; a packet length goes with UDP or ICMP probes",
            ));
        }
        Ok(ProbeOptions {
            source: args.source,
            socket: SocketOptions {
                device: args.interface.clone(),
                tos: args.tos,
                // --mtu: DF, and the kernel's cached path MTU ignored, so every router
                // in front of a smaller link says so.
                pmtu: if args.mtu {
                    Some(Pmtu::Probe)
                } else {
                    args.dont_fragment.then_some(Pmtu::Do)
                },
                mark: None,
                broadcast: false,
                answer_wait: Some(args.wait),
            },
            packet_len: args.packet_len,
            in_flight: args.sim_queries.map(usize::from),
            mtu: args.mtu,
            back: args.back,
            asn_zone: args.asn.then(|| args.asn_zone.clone()),
        })
    }

    /// Probes in flight at once.
    pub fn window(&self) -> usize {
        self.in_flight.unwrap_or(WINDOW)
    }

    /// Bytes of probe data for `version` (UDP payload or ICMP echo data): the packet
    /// length less the IP and transport headers, and never less than the probe's
    /// identity. A length too small for it is refused, naming the smallest.
    pub fn data_len(&self, version: Version) -> Result<usize, Failure> {
        let headers = match version {
            Version::V4 => 20 + 8,
            Version::V6 => 40 + 8,
        };
        let smallest = headers + PAYLOAD_LEN;
        match self.packet_len {
            None => Ok(PAYLOAD_LEN),
            Some(len) if (len as usize) < smallest => Err(Failure::usage(
                "trace: packet length",
                format!(
                    "{len} bytes is below {smallest}, the smallest probe for IPv{} \
                     ({headers} bytes of headers and {PAYLOAD_LEN} of probe identity)",
                    if version == Version::V4 { 4 } else { 6 }
                ),
            )),
            Some(len) => Ok(len as usize - headers),
        }
    }

    /// IP and transport header bytes of a probe of `version`.
    pub fn headers(version: Version) -> usize {
        match version {
            Version::V4 => 20 + 8,
            Version::V6 => 40 + 8,
        }
    }

    /// traceroute --back: the hops an answer came back over, guessed from the TTL it
    /// arrived with, assuming its sender started from 64, 128 or 255 (what systems use).
    pub fn back_hops(arrived: u8) -> u8 {
        let initial: u16 = match arrived {
            0..=64 => 64,
            65..=128 => 128,
            _ => 255,
        };
        (initial - u16::from(arrived) + 1) as u8
    }

    /// The source family must match the target's.
    pub fn check_family(&self, target: IpAddr) -> Result<(), Failure> {
        match self.source {
            Some(src) if src.is_ipv4() != target.is_ipv4() => Err(Failure::usage(
                "trace -s",
                format!("{target} cannot be traced from {src}: the families differ"),
            )),
            _ => Ok(()),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_packet_length_counts_every_header() {
        let opts = |len| ProbeOptions {
            packet_len: Some(len),
            ..ProbeOptions::default()
        };
        assert_eq!(
            ProbeOptions::default().data_len(Version::V4),
            Ok(PAYLOAD_LEN)
        );
        assert_eq!(opts(60).data_len(Version::V4), Ok(32));
        assert_eq!(opts(1400).data_len(Version::V6), Ok(1352));
        assert_eq!(opts(44).data_len(Version::V4), Ok(16));
        assert!(opts(43).data_len(Version::V4).is_err());
        assert!(opts(63).data_len(Version::V6).is_err());
    }

    #[test]
    fn the_way_back_is_guessed_from_the_usual_initial_ttls() {
        assert_eq!(ProbeOptions::back_hops(64), 1);
        assert_eq!(ProbeOptions::back_hops(59), 6);
        assert_eq!(ProbeOptions::back_hops(126), 3);
        assert_eq!(ProbeOptions::back_hops(255), 1);
        assert_eq!(ProbeOptions::back_hops(250), 6);
        assert_eq!(ProbeOptions::back_hops(1), 64);
    }

    #[test]
    fn a_source_of_the_other_family_is_refused() {
        let opts = ProbeOptions {
            source: Some("198.18.0.1".parse().unwrap()),
            ..ProbeOptions::default()
        };
        assert!(opts.check_family("198.18.2.2".parse().unwrap()).is_ok());
        assert!(opts.check_family("::1".parse().unwrap()).is_err());
    }
}
