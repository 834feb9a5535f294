//! The per-socket settings ping and traceroute users reach for — interface, TOS / traffic
//! class, the DF bit and path-MTU discovery, firewall mark, broadcast — applied the same
//! way to every probe socket (ping's ICMP sockets, trace's UDP, TCP and ICMP ones), and
//! the path MTU the kernel knows toward an address.
//!
//! Why one place: each of these is one `setsockopt` whose refusal means something
//! specific (`SO_MARK` needs `CAP_NET_ADMIN`, `SO_BINDTODEVICE` an interface that exists),
//! and a command must name the option the kernel refused. [`apply`] returns which one
//! failed ([`Refused`]); `net::privilege::option_refused` turns that into the one error
//! line with the fix.

use std::io;
use std::net::{IpAddr, Ipv4Addr, Ipv6Addr, SocketAddr, UdpSocket};

#[cfg(unix)]
use libc::{IPPROTO_IP, IPPROTO_IPV6, IPV6_TCLASS, IP_TOS, SOL_SOCKET, SO_BROADCAST};
#[cfg(windows)]
use windows_sys::Win32::Networking::WinSock::{
    IPPROTO_IP, IPPROTO_IPV6, IPV6_TCLASS, IP_TOS, SOL_SOCKET, SO_BROADCAST,
};

use super::sockopt::setsockopt_int;
#[cfg(any(target_os = "linux", target_os = "android"))]
use super::sockopt::{getsockopt_int, setsockopt_raw};
use super::sys::{AsRawFd, RawFd};

/// What `-M` asks of path-MTU discovery (iputils' names; `IP_PMTUDISC_*` values, the same
/// for IPv6's `IPV6_PMTUDISC_*`).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Pmtu {
    /// Never fragment locally: set DF, and refuse (EMSGSIZE) what exceeds the path MTU.
    Do,
    /// Fragment locally when needed, set DF otherwise (Linux's default).
    Want,
    /// Never set DF: routers may fragment.
    Dont,
    /// Set DF and ignore the path MTU: probe with sizes above it.
    Probe,
}

impl Pmtu {
    #[cfg(any(target_os = "linux", target_os = "android"))]
    fn value(self) -> libc::c_int {
        match self {
            Pmtu::Dont => libc::IP_PMTUDISC_DONT,
            Pmtu::Want => libc::IP_PMTUDISC_WANT,
            Pmtu::Do => libc::IP_PMTUDISC_DO,
            Pmtu::Probe => libc::IP_PMTUDISC_PROBE,
        }
    }

    /// iputils' name for it (`-M do`), for the refusal where a platform lacks it.
    #[cfg(not(any(target_os = "linux", target_os = "android")))]
    fn name(self) -> &'static str {
        match self {
            Pmtu::Dont => "dont",
            Pmtu::Want => "want",
            Pmtu::Do => "do",
            Pmtu::Probe => "probe",
        }
    }
}

/// Settings for a probe socket; `Default` leaves the kernel's.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct SocketOptions {
    /// `SO_BINDTODEVICE`: send only through this interface.
    pub device: Option<String>,
    /// `IP_TOS` / `IPV6_TCLASS`.
    pub tos: Option<u8>,
    /// `IP_MTU_DISCOVER` / `IPV6_MTU_DISCOVER`.
    pub pmtu: Option<Pmtu>,
    /// `SO_MARK` (needs `CAP_NET_ADMIN`).
    pub mark: Option<u32>,
    /// `SO_BROADCAST`.
    pub broadcast: bool,
    /// How long the command waits for one probe's answer. A Unix socket holds no
    /// request, so nothing applies it there; Windows' ICMP helper call for each request
    /// blocks until its answer or this long (`IcmpSendEcho2`'s timeout, `net::icmp`).
    pub answer_wait: Option<std::time::Duration>,
}

/// The option the kernel refused, and its error.
#[derive(Debug)]
pub struct Refused {
    /// The option as people know it (`SO_MARK 42`, `SO_BINDTODEVICE eth0`).
    pub option: String,
    pub error: io::Error,
}

/// Applies `opts` to `fd` (an IPv6 socket when `v6`), in an order that works on a socket
/// already bound to an address: the device first, then the rest. An option this
/// platform lacks is [`Refused`] with an `Unsupported` error naming the platform.
pub fn apply(fd: RawFd, v6: bool, opts: &SocketOptions) -> Result<(), Refused> {
    let refused = |option: String| move |error| Refused { option, error };
    if let Some(device) = &opts.device {
        bind_device(fd, v6, device).map_err(refused(format!("{DEVICE_OPTION} {device}")))?;
    }
    if let Some(tos) = opts.tos {
        let (level, name, what) = if v6 {
            (IPPROTO_IPV6, IPV6_TCLASS, "IPV6_TCLASS")
        } else {
            (IPPROTO_IP, IP_TOS, "IP_TOS")
        };
        setsockopt_int(fd, level, name, tos.into())
            .map_err(refused(format!("{what} {tos:#04x}")))?;
    }
    if let Some(pmtu) = opts.pmtu {
        set_pmtu(fd, v6, pmtu)?;
    }
    if let Some(mark) = opts.mark {
        set_mark(fd, mark).map_err(refused(format!("SO_MARK {mark}")))?;
    }
    if opts.broadcast && !v6 {
        setsockopt_int(fd, SOL_SOCKET, SO_BROADCAST, 1)
            .map_err(refused("SO_BROADCAST".to_string()))?;
    }
    Ok(())
}

/// `-M`: Linux's `IP_MTU_DISCOVER` / `IPV6_MTU_DISCOVER` with iputils' four values.
#[cfg(any(target_os = "linux", target_os = "android"))]
fn set_pmtu(fd: RawFd, v6: bool, pmtu: Pmtu) -> Result<(), Refused> {
    let (level, name, what) = if v6 {
        (
            libc::IPPROTO_IPV6,
            libc::IPV6_MTU_DISCOVER,
            "IPV6_MTU_DISCOVER",
        )
    } else {
        (libc::IPPROTO_IP, libc::IP_MTU_DISCOVER, "IP_MTU_DISCOVER")
    };
    setsockopt_int(fd, level, name, pmtu.value()).map_err(|error| Refused {
        option: what.to_string(),
        error,
    })
}

/// `-M` on the BSDs, macOS and Windows: `IP_DONTFRAG` (Windows: `IP_DONTFRAGMENT`) /
/// `IPV6_DONTFRAG` set (`do`) or clear (`dont`); `want` and `probe` have no equivalent
/// there and are refused.
#[cfg(not(any(target_os = "linux", target_os = "android")))]
fn set_pmtu(fd: RawFd, v6: bool, pmtu: Pmtu) -> Result<(), Refused> {
    #[cfg(unix)]
    use libc::{IPV6_DONTFRAG, IP_DONTFRAG};
    #[cfg(windows)]
    use windows_sys::Win32::Networking::WinSock::{IPV6_DONTFRAG, IP_DONTFRAGMENT as IP_DONTFRAG};
    let (level, name, what) = if v6 {
        (IPPROTO_IPV6, IPV6_DONTFRAG, "IPV6_DONTFRAG")
    } else {
        (IPPROTO_IP, IP_DONTFRAG, "IP_DONTFRAG")
    };
    let value = match pmtu {
        Pmtu::Do => 1,
        Pmtu::Dont => 0,
        Pmtu::Want | Pmtu::Probe => {
            return Err(Refused {
                option: format!("-M {}", pmtu.name()),
                error: super::sys::unsupported("path-MTU discovery mode \"want\" or \"probe\""),
            })
        }
    };
    setsockopt_int(fd, level, name, value).map_err(|error| Refused {
        option: format!("{what} {value}"),
        error,
    })
}

/// `SO_MARK` (Linux's firewall mark; `CAP_NET_ADMIN`).
#[cfg(any(target_os = "linux", target_os = "android"))]
fn set_mark(fd: RawFd, mark: u32) -> io::Result<()> {
    setsockopt_raw(fd, libc::SOL_SOCKET, libc::SO_MARK, &mark)
}

/// No firewall mark outside Linux (FreeBSD's `SO_USER_COOKIE` tags for ipfw only).
#[cfg(not(any(target_os = "linux", target_os = "android")))]
fn set_mark(_fd: RawFd, _mark: u32) -> io::Result<()> {
    Err(super::sys::unsupported("a firewall mark (SO_MARK)"))
}

/// The option that sends through one interface, as its platform names it.
#[cfg(any(target_os = "linux", target_os = "android"))]
const DEVICE_OPTION: &str = "SO_BINDTODEVICE";
#[cfg(target_os = "macos")]
const DEVICE_OPTION: &str = "IP_BOUND_IF";
#[cfg(not(any(target_os = "linux", target_os = "android", target_os = "macos")))]
const DEVICE_OPTION: &str = "SO_BINDTODEVICE";

/// `SO_BINDTODEVICE`: the interface name, as the kernel wants it (no NUL needed).
#[cfg(any(target_os = "linux", target_os = "android"))]
fn bind_device(fd: RawFd, _v6: bool, name: &str) -> io::Result<()> {
    // SAFETY: name points to name.len() readable bytes for the call.
    let rc = unsafe {
        libc::setsockopt(
            fd,
            libc::SOL_SOCKET,
            libc::SO_BINDTODEVICE,
            name.as_ptr() as *const libc::c_void,
            name.len() as libc::socklen_t,
        )
    };
    if rc == 0 {
        Ok(())
    } else {
        Err(io::Error::last_os_error())
    }
}

/// macOS: `IP_BOUND_IF` / `IPV6_BOUND_IF` with the interface's index.
#[cfg(target_os = "macos")]
fn bind_device(fd: RawFd, v6: bool, name: &str) -> io::Result<()> {
    let index = super::iface::index_of(name)?;
    let index = libc::c_int::try_from(index).map_err(|_| io::Error::other("interface index"))?;
    if v6 {
        setsockopt_int(fd, libc::IPPROTO_IPV6, libc::IPV6_BOUND_IF, index)
    } else {
        setsockopt_int(fd, libc::IPPROTO_IP, libc::IP_BOUND_IF, index)
    }
}

/// FreeBSD (and the other BSDs) bind a socket to no interface: refused.
#[cfg(not(any(target_os = "linux", target_os = "android", target_os = "macos")))]
fn bind_device(_fd: RawFd, _v6: bool, _name: &str) -> io::Result<()> {
    Err(super::sys::unsupported(
        "sending through one interface (SO_BINDTODEVICE, IP_BOUND_IF)",
    ))
}

/// The path MTU this host knows toward `dst` (the route's MTU, or a smaller one learnt
/// from a router's fragmentation-needed / packet-too-big): what iputils reports with a
/// local "message too long". A connected UDP socket sends nothing; `IP_MTU` / `IPV6_MTU`
/// read the route's value. `source` and `device` pick the route as the probes do.
pub fn path_mtu(dst: SocketAddr, source: Option<IpAddr>, device: Option<&str>) -> io::Result<u32> {
    let v6 = dst.is_ipv6();
    let any: SocketAddr = match (source, v6) {
        (Some(src), _) => (src, 0).into(),
        (None, false) => (Ipv4Addr::UNSPECIFIED, 0).into(),
        (None, true) => (Ipv6Addr::UNSPECIFIED, 0).into(),
    };
    let socket = UdpSocket::bind(any)?;
    if let Some(device) = device {
        bind_device(socket.as_raw_fd(), v6, device)?;
    }
    let mut to = dst;
    if to.port() == 0 {
        to.set_port(9);
    }
    socket.connect(to)?;
    let mtu = route_mtu(socket.as_raw_fd(), v6)?;
    u32::try_from(mtu).map_err(|_| io::Error::other("negative MTU"))
}

/// `IP_MTU` / `IPV6_MTU` of a connected socket: its route's MTU.
#[cfg(any(target_os = "linux", target_os = "android"))]
fn route_mtu(fd: RawFd, v6: bool) -> io::Result<libc::c_int> {
    if v6 {
        getsockopt_int(fd, libc::IPPROTO_IPV6, libc::IPV6_MTU)
    } else {
        getsockopt_int(fd, libc::IPPROTO_IP, libc::IP_MTU)
    }
}

/// No socket reads its route's MTU outside Linux (the routing socket would): refused.
#[cfg(not(any(target_os = "linux", target_os = "android")))]
fn route_mtu(_fd: RawFd, _v6: bool) -> io::Result<libc::c_int> {
    Err(super::sys::unsupported("reading the path MTU (IP_MTU)"))
}

#[cfg(all(test, any(target_os = "linux", target_os = "android")))]
mod tests {
    use super::*;

    #[test]
    fn options_apply_to_a_socket_and_loopback_has_an_mtu() {
        let socket = UdpSocket::bind("127.0.0.1:0").unwrap();
        let opts = SocketOptions {
            tos: Some(0xb8),
            pmtu: Some(Pmtu::Do),
            broadcast: true,
            ..SocketOptions::default()
        };
        apply(socket.as_raw_fd(), false, &opts).unwrap();
        let tos = getsockopt_int(socket.as_raw_fd(), libc::IPPROTO_IP, libc::IP_TOS).unwrap();
        assert_eq!(tos, 0xb8);
        let df = getsockopt_int(socket.as_raw_fd(), libc::IPPROTO_IP, libc::IP_MTU_DISCOVER);
        assert_eq!(df.unwrap(), libc::IP_PMTUDISC_DO);
        let mtu = path_mtu("127.0.0.1:9".parse().unwrap(), None, Some("lo")).unwrap();
        assert!(mtu >= 1280, "{mtu}");
    }

    #[test]
    fn a_device_that_does_not_exist_is_named() {
        let socket = UdpSocket::bind("127.0.0.1:0").unwrap();
        let opts = SocketOptions {
            device: Some("netlab-nope0".into()),
            ..SocketOptions::default()
        };
        let refused = apply(socket.as_raw_fd(), false, &opts).unwrap_err();
        assert_eq!(refused.option, "SO_BINDTODEVICE netlab-nope0");
    }
}
