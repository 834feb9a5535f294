//! Who may open which ICMP socket, and giving privileges back once they are open.
//!
//! Linux offers two ways to ping: a raw socket, which needs `CAP_NET_RAW` (root, or a
//! binary given the capability with `setcap`), and an ICMP datagram socket, which any
//! process may open whose group is inside the per-namespace sysctl
//! `net.ipv4.ping_group_range` (it governs IPv6 ICMP sockets too). This module answers
//! "which can we use?", explains the fix when neither works, and drops every capability
//! once the sockets are open: capabilities are per thread, so the caller does this before
//! it starts any other thread (the async runtime included).

use std::io;

use crate::error::Failure;
use crate::net::err::{phrase, Kind};
use crate::net::icmp::{IcmpSocket, Mode, Version};
use crate::net::options::{Refused, SocketOptions};

/// The capability raw sockets need (linux/capability.h).
#[cfg(any(target_os = "linux", target_os = "android"))]
const CAP_NET_RAW: u32 = 13;
#[cfg(any(target_os = "linux", target_os = "android"))]
const LINUX_CAPABILITY_VERSION_3: u32 = 0x2008_0522;

/// The sysctl that decides who may open ICMP datagram sockets.
pub const PING_GROUP_RANGE: &str = "/proc/sys/net/ipv4/ping_group_range";
/// The value that lets every group ping without privileges.
pub const OPEN_RANGE: &str = "0 2147483647";

#[cfg(any(target_os = "linux", target_os = "android"))]
#[repr(C)]
struct CapHeader {
    version: u32,
    pid: i32,
}

#[cfg(any(target_os = "linux", target_os = "android"))]
#[repr(C)]
#[derive(Clone, Copy, Default)]
struct CapData {
    effective: u32,
    permitted: u32,
    inheritable: u32,
}

#[cfg(any(target_os = "linux", target_os = "android"))]
fn capget() -> io::Result<[CapData; 2]> {
    let mut header = CapHeader {
        version: LINUX_CAPABILITY_VERSION_3,
        pid: 0,
    };
    let mut data = [CapData::default(); 2];
    // SAFETY: header and data are valid for the kernel's v3 layout (two data structs).
    let rc = unsafe {
        libc::syscall(
            libc::SYS_capget,
            &mut header as *mut CapHeader,
            data.as_mut_ptr(),
        )
    };
    if rc != 0 {
        return Err(io::Error::last_os_error());
    }
    Ok(data)
}

/// Whether this thread holds `CAP_NET_RAW` in its effective set.
#[cfg(any(target_os = "linux", target_os = "android"))]
pub fn has_cap_net_raw() -> bool {
    capget()
        .map(|data| data[0].effective & (1 << CAP_NET_RAW) != 0)
        .unwrap_or(false)
}

/// Whether this thread holds any capability at all.
#[cfg(any(target_os = "linux", target_os = "android"))]
fn holds_any_capability() -> bool {
    capget()
        .map(|d| {
            d.iter()
                .any(|c| c.effective | c.permitted | c.inheritable != 0)
        })
        .unwrap_or(false)
}

/// Clears the effective, permitted and inheritable sets of the calling thread. Threads
/// created afterwards inherit the empty sets, so call this before starting any.
#[cfg(any(target_os = "linux", target_os = "android"))]
pub fn drop_all_capabilities() -> io::Result<()> {
    if !holds_any_capability() {
        return Ok(());
    }
    let mut header = CapHeader {
        version: LINUX_CAPABILITY_VERSION_3,
        pid: 0,
    };
    let data = [CapData::default(); 2];
    // SAFETY: as in capget; capset only reads `data`.
    let rc = unsafe {
        libc::syscall(
            libc::SYS_capset,
            &mut header as *mut CapHeader,
            data.as_ptr(),
        )
    };
    if rc != 0 {
        return Err(io::Error::last_os_error());
    }
    Ok(())
}

/// Whether this process may open raw sockets: on Windows, whether one opens (only an
/// elevated process, "Run as administrator", may).
#[cfg(windows)]
pub fn has_cap_net_raw() -> bool {
    use socket2::{Domain, Protocol, Socket, Type};
    Socket::new(Domain::IPV4, Type::RAW, Some(Protocol::ICMPV4)).is_ok()
}

/// Whether this process may open raw sockets: on the BSDs and macOS, being root.
#[cfg(all(unix, not(any(target_os = "linux", target_os = "android"))))]
pub fn has_cap_net_raw() -> bool {
    // SAFETY: geteuid cannot fail.
    unsafe { libc::geteuid() == 0 }
}

/// The BSDs and macOS have no capabilities to give back: a process started as root stays
/// root (as their ping and traceroute, which are setuid root, do until they open their
/// sockets). Nothing to do.
#[cfg(not(any(target_os = "linux", target_os = "android")))]
pub fn drop_all_capabilities() -> io::Result<()> {
    Ok(())
}

/// `net.ipv4.ping_group_range` of this network namespace, as (low, high).
pub fn ping_group_range() -> Option<(u32, u32)> {
    let text = std::fs::read_to_string(PING_GROUP_RANGE).ok()?;
    parse_range(&text)
}

fn parse_range(text: &str) -> Option<(u32, u32)> {
    let mut it = text.split_whitespace().map(|n| n.parse::<u32>());
    match (it.next(), it.next(), it.next()) {
        (Some(Ok(low)), Some(Ok(high)), None) => Some((low, high)),
        _ => None,
    }
}

/// This process's groups: real, effective and supplementary.
#[cfg(any(target_os = "linux", target_os = "android"))]
fn my_groups() -> Vec<u32> {
    // SAFETY: getgid/getegid cannot fail; getgroups is given a buffer of the size it
    // reported (and a changed size only makes it fail, which we treat as no groups).
    unsafe {
        let mut groups = vec![libc::getgid(), libc::getegid()];
        let n = libc::getgroups(0, std::ptr::null_mut());
        if n > 0 {
            let mut extra = vec![0 as libc::gid_t; n as usize];
            let got = libc::getgroups(n, extra.as_mut_ptr());
            if got > 0 {
                extra.truncate(got as usize);
                groups.extend(extra);
            }
        }
        groups
    }
}

/// Whether `ping_group_range` lets one of our groups open ICMP datagram sockets (macOS:
/// every user may; FreeBSD: nobody may; Windows: every user may ping through the ICMP
/// helper API, which `IcmpSocket`'s datagram mode is there).
#[cfg(not(any(target_os = "linux", target_os = "android")))]
pub fn datagram_sockets_allowed() -> bool {
    cfg!(any(target_os = "macos", windows))
}

/// Whether `ping_group_range` lets one of our groups open ICMP datagram sockets.
#[cfg(any(target_os = "linux", target_os = "android"))]
pub fn datagram_sockets_allowed() -> bool {
    match ping_group_range() {
        Some((low, high)) => my_groups().iter().any(|g| (low..=high).contains(g)),
        None => false,
    }
}

/// The error when neither socket kind can be opened, on the BSDs and macOS: root.
#[cfg(not(any(target_os = "linux", target_os = "android")))]
pub fn missing_privilege(raw_err: &io::Error, dgram_err: &io::Error) -> Failure {
    Failure::new(
        "opening an ICMP socket",
        format!(
            "raw ICMP sockets need root on {} ({}), and an ICMP datagram socket could not \
             be opened either ({})",
            super::sys::OS,
            phrase(raw_err),
            phrase(dgram_err)
        ),
    )
    .with_hint("run it as root (`sudo netlab ...`)")
}

/// The error when neither socket kind can be opened, naming both fixes.
#[cfg(any(target_os = "linux", target_os = "android"))]
pub fn missing_privilege(raw_err: &io::Error, dgram_err: &io::Error) -> Failure {
    let exe = std::env::current_exe()
        .map(|p| p.display().to_string())
        .unwrap_or_else(|_| "/path/to/netlab".into());
    let range = std::fs::read_to_string(PING_GROUP_RANGE)
        .map(|t| t.split_whitespace().collect::<Vec<_>>().join(" "))
        .unwrap_or_else(|_| "unreadable".into());
    // SAFETY: getegid cannot fail.
    let gid = unsafe { libc::getegid() };
    Failure::new(
        "opening an ICMP socket",
        format!(
            "raw ICMP sockets need CAP_NET_RAW ({}), and ICMP datagram sockets are not \
             allowed for group {gid}: net.ipv4.ping_group_range is \"{range}\" ({})",
            phrase(raw_err),
            phrase(dgram_err)
        ),
    )
    .with_hint(format!(
        "grant the capability with `sudo setcap cap_net_raw+ep {exe}`, or allow \
         unprivileged ping with `sudo sysctl -w net.ipv4.ping_group_range=\"{OPEN_RANGE}\"`"
    ))
}

/// Why an ICMP datagram socket could not be opened, when raw sockets were refused too:
/// for want of a privilege (Linux's `ping_group_range`), or on FreeBSD, which has no such
/// sockets at all (EPROTONOSUPPORT), so that root is the fix there as well.
fn datagram_refused(err: &io::Error) -> bool {
    is_permission(err) || cfg!(target_os = "freebsd")
}

/// EPERM or EACCES (Windows: WSAEACCES): the kernel refused for want of a privilege.
pub fn is_permission(err: &io::Error) -> bool {
    crate::net::err::is(err, Kind::NotPermitted) || crate::net::err::is(err, Kind::AccessDenied)
}

/// Opens an ICMP socket the way every command does: raw with CAP_NET_RAW (identifier
/// `raw_ident`), an ICMP datagram socket when `ping_group_range` allows it, and the
/// error naming both fixes when neither is possible. `what` names other failures.
pub fn open_icmp_socket(
    version: Version,
    raw_ident: u16,
    what: &str,
) -> Result<IcmpSocket, Failure> {
    match IcmpSocket::open(version, Mode::Raw, raw_ident) {
        Ok(s) => Ok(s),
        Err(raw) if is_permission(&raw) => match IcmpSocket::open(version, Mode::Datagram, 0) {
            Ok(s) => Ok(s),
            Err(dgram) if datagram_refused(&dgram) => Err(missing_privilege(&raw, &dgram)),
            Err(dgram) => Err(Failure::new(what, dgram)),
        },
        Err(raw) => Err(Failure::new(what, raw)),
    }
}

/// [`open_icmp_socket`] bound to `source`, with `opts` applied: the one way ping opens
/// its sockets, so every refusal becomes one error with its fix ([`option_refused`]).
pub fn open_icmp_socket_with(
    version: Version,
    raw_ident: u16,
    what: &str,
    source: Option<std::net::IpAddr>,
    opts: &SocketOptions,
) -> Result<IcmpSocket, Failure> {
    let open = |mode, ident| IcmpSocket::open_from(version, mode, ident, source);
    let socket = match open(Mode::Raw, raw_ident) {
        Ok(s) => s,
        Err(raw) if is_permission(&raw) => match open(Mode::Datagram, 0) {
            Ok(s) => s,
            Err(dgram) if datagram_refused(&dgram) => return Err(missing_privilege(&raw, &dgram)),
            Err(dgram) => return Err(source_refused(what, source, dgram)),
        },
        Err(raw) => return Err(source_refused(what, source, raw)),
    };
    socket.apply(opts).map_err(|r| option_refused(&r))?;
    Ok(socket)
}

/// A socket that could not bind to `source` (`-I ADDR`, `-s ADDR`): the address is named,
/// with the fix when it is not one of this host's.
pub fn source_refused(what: &str, source: Option<std::net::IpAddr>, err: io::Error) -> Failure {
    match source {
        Some(src) if crate::net::err::is(&err, Kind::AddressNotAvailable) => {
            Failure::new(format!("binding to source address {src}"), phrase(&err)).with_hint(
                format!(
                    "give an address of this host (see `{}`), or an interface name",
                    super::sys::LIST_ADDRESSES
                ),
            )
        }
        _ => Failure::new(what, err),
    }
}

/// The fix when raw sockets are not allowed, on Windows: an elevated prompt.
#[cfg(windows)]
pub fn cap_net_raw_hint() -> String {
    "raw sockets need Administrator rights on Windows: run it from a prompt opened with \
     \"Run as administrator\""
        .to_string()
}

/// The fix when raw sockets are not allowed, on the BSDs and macOS: root.
#[cfg(all(unix, not(any(target_os = "linux", target_os = "android"))))]
pub fn cap_net_raw_hint() -> String {
    format!(
        "raw sockets need root on {}: run it with sudo",
        super::sys::OS
    )
}

/// The fix when CAP_NET_RAW is missing.
#[cfg(any(target_os = "linux", target_os = "android"))]
pub fn cap_net_raw_hint() -> String {
    let exe = std::env::current_exe()
        .map(|p| p.display().to_string())
        .unwrap_or_else(|_| "/path/to/netlab".into());
    format!("run as root, or grant the capability with `sudo setcap cap_net_raw+ep {exe}`")
}

/// The error for a socket option the kernel refused, with the fix where one exists.
pub fn option_refused(refused: &Refused) -> Failure {
    let failure = Failure::new(
        format!("setting {}", refused.option),
        phrase(&refused.error),
    );
    let exe = std::env::current_exe()
        .map(|p| p.display().to_string())
        .unwrap_or_else(|_| "/path/to/netlab".into());
    match (
        refused.option.split(' ').next(),
        refused.error.raw_os_error(),
    ) {
        (Some("SO_MARK"), Some(libc::EPERM)) => failure.with_hint(format!(
            "a firewall mark needs CAP_NET_ADMIN: run as root, or grant it with \
             `sudo setcap cap_net_raw,cap_net_admin+ep {exe}`"
        )),
        (Some("SO_BINDTODEVICE"), Some(libc::EPERM)) => failure.with_hint(format!(
            "binding to an interface needs CAP_NET_RAW here: run as root, or grant it with \
             `sudo setcap cap_net_raw+ep {exe}`"
        )),
        (Some("SO_BINDTODEVICE"), Some(libc::ENODEV)) => {
            failure.with_hint("name an interface that exists (see `ip link`)")
        }
        _ => failure,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn an_option_the_platform_lacks_is_one_line_naming_it() {
        let refused = Refused {
            option: "SO_MARK 42".into(),
            error: crate::net::sys::unsupported("a firewall mark (SO_MARK)"),
        };
        let text = option_refused(&refused).to_string();
        assert_eq!(
            text,
            format!(
                "netlab: setting SO_MARK 42: a firewall mark (SO_MARK) is not available on {}",
                crate::net::sys::OS
            )
        );
    }

    #[test]
    fn parses_the_sysctl() {
        assert_eq!(parse_range("1\t0\n"), Some((1, 0)));
        assert_eq!(parse_range("0 2147483647"), Some((0, 2147483647)));
        assert_eq!(parse_range("0"), None);
        assert_eq!(parse_range("a b"), None);
    }

    #[cfg(any(target_os = "linux", target_os = "android"))]
    #[test]
    fn the_privilege_error_names_both_fixes() {
        let f = missing_privilege(
            &io::Error::from_raw_os_error(libc::EPERM),
            &io::Error::from_raw_os_error(libc::EACCES),
        );
        let text = f.to_string();
        assert_eq!(text.lines().count(), 2, "{text}");
        assert!(text.contains("CAP_NET_RAW"));
        assert!(text.contains("setcap cap_net_raw+ep "));
        assert!(text.contains("sysctl -w net.ipv4.ping_group_range=\"0 2147483647\""));
    }
}
