//! The one target parser every command uses (CONVENTIONS.md "Targets").
//!
//! Accepts a hostname, an IPv4 literal, an IPv6 literal (`::1`, `[::1]`, `fe80::1%eth0`)
//! and, where the command takes a port, `host:port` / `[v6]:port`. Hostnames are checked
//! against the DNS limits before any query is sent, so bad input never costs a timeout.
//!
//! Two readings follow what `gethostbyname`/`getaddrinfo` do, since the lab's own programs
//! call them:
//! - IPv4 in every numeric form `inet_aton` reads: 1 to 4 parts, each decimal, octal (a
//!   leading `0`) or hexadecimal (`0x`); with fewer than 4 parts the last fills the
//!   remaining bytes (`10.77.1026` is 10.77.4.2, `172819458` is 10.77.4.2). A form other
//!   than the plain dotted quad gets a note saying what it means (`010.077.004.002` is
//!   8.63.4.2, not 10.77.4.2): that trap is what a lab check should reveal.
//! - Internationalised names (`bücher.example`) become their ASCII form
//!   (`xn--bcher-kva.example`) by IDNA/UTS 46, as `getaddrinfo` with `AI_IDN` and dig do;
//!   the note shows both forms.
//!
//! The note goes to stderr (`netlab: note: ...`) from the parser itself, so every command
//! says it the same way, and it is kept in [`Target::note`] for the commands' own use.

use std::fmt;
use std::net::{IpAddr, Ipv4Addr, Ipv6Addr, SocketAddr};

pub mod file;
pub mod range;
pub use range::{AddrList, AddrRange};

/// The most addresses one run takes unless `--max-targets` says otherwise: ranges are
/// refused above it, before anything is sent.
pub const DEFAULT_MAX_TARGETS: usize = 65_536;

/// What a target names: an address, or a name still to be resolved.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Host {
    /// An IP literal; `scope` is the zone of a link-local IPv6 address (`%eth0`).
    Ip { addr: IpAddr, scope: Option<String> },
    /// A syntactically valid host name (trailing dot kept: it marks an absolute name).
    Name(String),
}

impl fmt::Display for Host {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Host::Ip { addr, scope: None } => write!(f, "{addr}"),
            Host::Ip {
                addr,
                scope: Some(scope),
            } => write!(f, "{addr}%{scope}"),
            Host::Name(name) => f.write_str(name),
        }
    }
}

/// A parsed target as the user wrote it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Target {
    pub host: Host,
    pub port: Option<u16>,
    /// The text as given, for messages and output.
    pub text: String,
    /// How a non-obvious form was read (an `inet_aton` number, an IDN name); also printed.
    pub note: Option<String>,
}

/// Whether a `:port` suffix is allowed for this command.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum PortSuffix {
    Allowed,
    Forbidden,
}

/// A target resolved: where the probes for it go.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Resolved {
    /// The target as given.
    pub text: String,
    /// Port 0 for ICMP.
    pub sockaddr: SocketAddr,
}

impl Resolved {
    pub fn addr(&self) -> IpAddr {
        self.sockaddr.ip()
    }
}

impl Target {
    /// A target to send packets to: like [`Target::parse`], but the unspecified address
    /// (`0.0.0.0`, `::`), which means "any address" and reaches nothing predictable
    /// (Linux quietly uses loopback for some protocols and not others), is refused.
    pub fn parse_destination(text: &str, ports: PortSuffix) -> Result<Target, String> {
        let target = Target::parse(text, ports)?;
        if let Host::Ip { addr, .. } = &target.host {
            if addr.is_unspecified() {
                return Err(format!(
                    "'{addr}' means \"any address\" and is not a destination (for this host use 127.0.0.1 or ::1)"
                ));
            }
        }
        Ok(target)
    }

    pub fn parse(text: &str, ports: PortSuffix) -> Result<Target, String> {
        let trimmed = text.trim();
        if trimmed.is_empty() {
            return Err("empty target".into());
        }
        let (host_part, port) = split_port(trimmed)?;
        if port.is_some() && ports == PortSuffix::Forbidden {
            return Err(format!(
                "'{trimmed}': this command takes a host, not host:port"
            ));
        }
        let (host, note) = parse_host(host_part)?;
        if let Some(note) = &note {
            crate::output::note(note);
        }
        Ok(Target {
            host,
            port,
            text: trimmed.to_string(),
            note,
        })
    }
}

/// A destination as given: one target, or a range kept as its two ends.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Destination {
    One(Target),
    Range { text: String, range: AddrRange },
}

impl Destination {
    /// Its targets: itself, or one per address of the range, made as they are asked for.
    pub fn into_targets(self) -> impl Iterator<Item = Target> {
        let (one, range) = match self {
            Destination::One(target) => (Some(target), None),
            Destination::Range { range, .. } => (None, Some(range)),
        };
        let addresses = range.into_iter().flat_map(|range| range.iter());
        one.into_iter().chain(addresses.map(|addr| Target {
            host: Host::Ip { addr, scope: None },
            port: None,
            text: addr.to_string(),
            note: None,
        }))
    }
}

/// Every destination `texts` name, ranges (`10.0.0.0/24`, `10.0.0.1-50`) kept as ranges,
/// in order. More than `max` addresses in all is refused (the whole run, naming the text
/// that crossed the limit) before anything is sent. Errors are `(text, why)`.
pub fn parse_destinations(
    texts: &[String],
    ports: PortSuffix,
    max: usize,
) -> Result<Vec<Destination>, (String, String)> {
    let mut total: u128 = 0;
    let mut parsed = Vec::with_capacity(texts.len().min(max));
    for text in texts {
        let fail = |why: String| (text.clone(), why);
        match AddrRange::parse(text).map_err(fail)? {
            Some(range) => {
                total += range.len();
                if total > max as u128 {
                    let why = if range.len() > max as u128 {
                        range::too_large(text.trim(), range.len(), max)
                    } else {
                        format!("the targets up to here are {total} addresses, more than --max-targets {max}")
                    };
                    return Err(fail(why));
                }
                if range.first().is_unspecified() {
                    return Err(fail(format!(
                        "the range starts at {}, which is no destination",
                        range.first()
                    )));
                }
                parsed.push(Destination::Range {
                    text: text.trim().to_string(),
                    range,
                });
            }
            None => {
                total += 1;
                if total > max as u128 {
                    return Err(fail(format!("more than --max-targets {max} targets")));
                }
                parsed.push(Destination::One(
                    Target::parse_destination(text, ports).map_err(fail)?,
                ));
            }
        }
    }
    Ok(parsed)
}

/// As [`parse_destinations`], with ranges expanded to one target per address, in order
/// (the commands that probe address by address: `ping`, the connect scan).
pub fn expand_destinations(
    texts: &[String],
    ports: PortSuffix,
    max: usize,
) -> Result<Vec<Target>, (String, String)> {
    let parsed = parse_destinations(texts, ports, max)?;
    let total: u128 = parsed
        .iter()
        .map(|d| match d {
            Destination::One(_) => 1,
            Destination::Range { range, .. } => range.len(),
        })
        .sum();
    let mut out = Vec::with_capacity(total as usize);
    for item in parsed {
        out.extend(item.into_targets());
    }
    Ok(out)
}

/// `::ffff:198.18.0.1` is an IPv4 address written as IPv6: on the wire it is IPv4, and
/// an IPv6 socket could never reach it, so it is treated as the IPv4 address it names.
fn unmap(addr: IpAddr) -> IpAddr {
    match addr {
        IpAddr::V6(v6) => v6.to_ipv4_mapped().map_or(IpAddr::V6(v6), IpAddr::V4),
        v4 => v4,
    }
}

/// Splits `host:port`, `[v6]:port`, `[v6]`; a bare string with two or more colons is an
/// IPv6 literal without a port (as in `ping ::1`).
fn split_port(text: &str) -> Result<(&str, Option<u16>), String> {
    if let Some(rest) = text.strip_prefix('[') {
        let Some(close) = rest.find(']') else {
            return Err(format!("'{text}': missing ']' after the IPv6 address"));
        };
        let inner = &rest[..close];
        let after = &rest[close + 1..];
        if inner.parse::<Ipv6Addr>().is_err() && !inner.contains('%') {
            return Err(format!("'{inner}' inside [] is not an IPv6 address"));
        }
        return match after {
            "" => Ok((inner, None)),
            _ => match after.strip_prefix(':') {
                Some(port) => Ok((inner, Some(parse_port(port)?))),
                None => Err(format!("'{text}': expected ':PORT' after ']'")),
            },
        };
    }
    match text.matches(':').count() {
        0 => Ok((text, None)),
        1 => {
            let (host, port) = text.split_once(':').expect("one colon");
            Ok((host, Some(parse_port(port)?)))
        }
        _ => Ok((text, None)),
    }
}

/// One port number, 1–65535.
pub fn parse_port(text: &str) -> Result<u16, String> {
    if text.is_empty() {
        return Err("missing port number after ':'".into());
    }
    if !text.bytes().all(|b| b.is_ascii_digit()) {
        return Err(format!("'{text}' is not a port number"));
    }
    match text.parse::<u32>() {
        Ok(port @ 1..=65535) => Ok(port as u16),
        Ok(0) => Err("port 0 cannot be probed (ports are 1-65535)".into()),
        _ => Err(format!("port '{text}' is out of range (1-65535)")),
    }
}

/// The host, and a note when its form needs one.
fn parse_host(text: &str) -> Result<(Host, Option<String>), String> {
    if !text.is_ascii() {
        let ascii = idna::domain_to_ascii(text)
            .map_err(|_| format!("'{text}' is not a valid internationalised name (IDNA)"))?;
        validate_hostname(&ascii).map_err(|why| format!("'{text}' as {ascii}: {why}"))?;
        let note =
            format!("'{text}' is {ascii} in DNS (IDNA, as getaddrinfo with AI_IDN reads it)");
        return Ok((Host::Name(ascii), Some(note)));
    }
    if let Some((addr, why)) = inet_aton(text) {
        let note = why.map(|why| format!("'{text}' is {addr}: {why}, as inet_aton reads it"));
        return Ok((
            Host::Ip {
                addr: IpAddr::V4(addr),
                scope: None,
            },
            note,
        ));
    }
    parse_plain_host(text).map(|host| (host, None))
}

/// An IPv4 address in any form `inet_aton` (and so `gethostbyname`, iputils ping and
/// Python's socket module) accepts, with why it is not the plain dotted quad (None when
/// it is). Hand-written: std only reads the dotted quad, and no crate reads these forms;
/// the grammar is small (glibc `inet_aton`: 1–4 parts; `0x` hex, leading `0` octal).
pub fn inet_aton(text: &str) -> Option<(Ipv4Addr, Option<String>)> {
    let parts: Vec<&str> = text.split('.').collect();
    if parts.len() > 4 {
        return None;
    }
    let mut values = Vec::with_capacity(4);
    let (mut octal, mut hex) = (false, false);
    for part in &parts {
        let (digits, radix) = if let Some(h) = part.strip_prefix("0x").or(part.strip_prefix("0X")) {
            hex = true;
            (h, 16)
        } else if part.len() > 1 && part.starts_with('0') {
            octal = true;
            (&part[1..], 8)
        } else {
            (*part, 10)
        };
        if digits.is_empty() || !digits.chars().all(|c| c.is_digit(radix)) {
            return None;
        }
        values.push(u64::from_str_radix(digits, radix).ok()?);
    }
    // Every part but the last is one byte; the last fills the bytes that remain.
    let (last, leading) = values.split_last()?;
    if leading.iter().any(|&v| v > 255) {
        return None;
    }
    let rest_bits = 8 * (4 - leading.len() as u32);
    if *last >= 1u64 << rest_bits {
        return None;
    }
    let mut value: u64 = 0;
    for v in leading {
        value = value << 8 | v;
    }
    value = value << rest_bits | last;
    let addr = Ipv4Addr::from(value as u32);
    let mut why = Vec::new();
    if octal {
        why.push("a leading 0 is octal".to_string());
    }
    if hex {
        why.push("0x is hexadecimal".to_string());
    }
    match parts.len() {
        1 => why.push("one number is the whole 32-bit address".to_string()),
        n @ 2..=3 => why.push(format!(
            "with {n} parts the last fills the low {} bytes",
            5 - n
        )),
        _ => {}
    }
    Some((addr, (!why.is_empty()).then(|| why.join("; "))))
}

fn parse_plain_host(text: &str) -> Result<Host, String> {
    if text.is_empty() {
        return Err("missing host before ':'".into());
    }
    if let Some((addr, scope)) = text.split_once('%') {
        let addr: Ipv6Addr = addr
            .parse()
            .map_err(|_| format!("'{text}': a %zone is only valid on an IPv6 address"))?;
        if scope.is_empty() || scope.len() > 15 || scope.contains(['/', ' ', '%']) {
            return Err(format!("'{text}': '{scope}' is not an interface name"));
        }
        return Ok(Host::Ip {
            addr: IpAddr::V6(addr),
            scope: Some(scope.to_string()),
        });
    }
    if let Ok(addr) = text.parse::<IpAddr>() {
        return Ok(Host::Ip {
            addr: unmap(addr),
            scope: None,
        });
    }
    if text.contains(':') {
        return Err(format!("'{text}' is not a valid IPv6 address"));
    }
    validate_hostname(text)?;
    Ok(Host::Name(text.to_string()))
}

/// Checks a name against RFC 1035/1123 limits: labels of 1–63 bytes, at most 253 bytes
/// in all, letters, digits, hyphens (not at a label's ends) and underscores (SRV and
/// other service names use them).
pub fn validate_hostname(name: &str) -> Result<(), String> {
    let body = name.strip_suffix('.').unwrap_or(name);
    if body.is_empty() {
        return Err(format!("'{name}' is not a host name"));
    }
    if body.len() > 253 {
        return Err(format!(
            "name is {} bytes long; a DNS name has at most 253",
            body.len()
        ));
    }
    for label in body.split('.') {
        if label.is_empty() {
            return Err(format!("'{name}' has an empty label"));
        }
        if label.len() > 63 {
            return Err(format!(
                "label '{}…' is {} bytes long; a label has at most 63",
                &label[..label.floor_char_boundary(20)],
                label.len()
            ));
        }
        if let Some(bad) = label
            .chars()
            .find(|c| !(c.is_ascii_alphanumeric() || *c == '-' || *c == '_'))
        {
            return Err(format!(
                "'{name}' contains {bad:?}, which a host name cannot have"
            ));
        }
        if label.starts_with('-') || label.ends_with('-') {
            return Err(format!(
                "label '{label}' in '{name}' starts or ends with a hyphen"
            ));
        }
    }
    // An all-numeric last label would make "1.2.3.999" a name; it is a mistyped address.
    let last = body.rsplit('.').next().unwrap_or(body);
    if last.bytes().all(|b| b.is_ascii_digit()) {
        return Err(format!("'{name}' is neither an IP address nor a host name"));
    }
    Ok(())
}

/// A set of ports from `22,80,8000-8100`, `-` (all), `-1024` or `60000-`, sorted and
/// without duplicates.
pub fn parse_port_list(text: &str) -> Result<Vec<u16>, String> {
    let trimmed = text.trim();
    if trimmed.is_empty() {
        return Err("empty port list".into());
    }
    let mut ports: Vec<u16> = Vec::new();
    for item in trimmed.split(',') {
        let item = item.trim();
        if item.is_empty() {
            return Err(format!("'{trimmed}' has an empty item"));
        }
        match item.split_once('-') {
            None => ports.push(parse_port(item)?),
            Some((low, high)) => {
                let low = if low.is_empty() { 1 } else { parse_port(low)? };
                let high = if high.is_empty() {
                    65535
                } else {
                    parse_port(high)?
                };
                if low > high {
                    return Err(format!("range '{item}' runs backwards"));
                }
                ports.extend(low..=high);
            }
        }
    }
    ports.sort_unstable();
    ports.dedup();
    Ok(ports)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn ip(text: &str) -> Host {
        Host::Ip {
            addr: text.parse().unwrap(),
            scope: None,
        }
    }

    #[test]
    fn parses_every_documented_form() {
        let allowed = PortSuffix::Allowed;
        let t = Target::parse("www.example.test", allowed).unwrap();
        assert_eq!(
            (t.host, t.port),
            (Host::Name("www.example.test".into()), None)
        );
        let t = Target::parse("example.test:80", allowed).unwrap();
        assert_eq!(
            (t.host, t.port),
            (Host::Name("example.test".into()), Some(80))
        );
        let t = Target::parse("198.18.0.1", allowed).unwrap();
        assert_eq!((t.host, t.port), (ip("198.18.0.1"), None));
        let t = Target::parse("198.18.0.1:443", allowed).unwrap();
        assert_eq!((t.host, t.port), (ip("198.18.0.1"), Some(443)));
        let t = Target::parse("::1", allowed).unwrap();
        assert_eq!((t.host, t.port), (ip("::1"), None));
        let t = Target::parse("[::1]:80", allowed).unwrap();
        assert_eq!((t.host, t.port), (ip("::1"), Some(80)));
        let t = Target::parse("[::1]", allowed).unwrap();
        assert_eq!((t.host, t.port), (ip("::1"), None));
        let t = Target::parse("fe80::1%eth0", allowed).unwrap();
        assert_eq!(
            t.host,
            Host::Ip {
                addr: "fe80::1".parse().unwrap(),
                scope: Some("eth0".into())
            }
        );
        let t = Target::parse("[fe80::1%veth0]:22", allowed).unwrap();
        assert_eq!(t.port, Some(22));
        assert_eq!(t.host.to_string(), "fe80::1%veth0");
        let t = Target::parse("absolute.example.test.", allowed).unwrap();
        assert_eq!(t.host, Host::Name("absolute.example.test.".into()));
    }

    #[test]
    fn rejects_malformed_targets() {
        let allowed = PortSuffix::Allowed;
        for bad in [
            "",
            " ",
            ":80",
            "host:",
            "host:0",
            "host:65536",
            "host:http",
            "[::1",
            "[::1]80",
            "[nope]:80",
            "1.2.3.999",
            "a..b",
            ".",
            "-lead.example",
            "trail-.example",
            "under score.example",
            "bad!name",
            "1.2.3.4%eth0",
            "fe80::1%",
            "::g",
            "[::1]:",
            "host:-1",
            "256.1.1.1",
        ] {
            assert!(
                Target::parse(bad, allowed).is_err(),
                "'{bad}' should be rejected"
            );
        }
        assert!(Target::parse("host:80", PortSuffix::Forbidden).is_err());
        assert!(Target::parse("[::1]:80", PortSuffix::Forbidden).is_err());
    }

    #[test]
    fn mapped_ipv6_is_the_ipv4_address_it_names() {
        let t = Target::parse("::ffff:198.18.0.1", PortSuffix::Allowed).unwrap();
        assert_eq!(t.host, ip("198.18.0.1"));
        let t = Target::parse("[::ffff:127.0.0.1]:80", PortSuffix::Allowed).unwrap();
        assert_eq!((t.host, t.port), (ip("127.0.0.1"), Some(80)));
        // Not mapped: stays IPv6.
        let t = Target::parse("::1", PortSuffix::Allowed).unwrap();
        assert_eq!(t.host, ip("::1"));
    }

    #[test]
    fn the_unspecified_address_is_no_destination() {
        for text in ["0.0.0.0", "::", "[::]:80", "0.0.0.0:80", "::ffff:0.0.0.0"] {
            assert!(
                Target::parse_destination(text, PortSuffix::Allowed).is_err(),
                "{text}"
            );
            assert!(
                Target::parse(text, PortSuffix::Allowed).is_ok(),
                "{text} parses"
            );
        }
        assert!(Target::parse_destination("127.0.0.1", PortSuffix::Allowed).is_ok());
    }

    #[test]
    fn enforces_dns_length_limits() {
        let label63 = "a".repeat(63);
        assert!(validate_hostname(&format!("{label63}.test")).is_ok());
        assert!(validate_hostname(&format!("{}a.test", label63)).is_err());
        let long = vec!["abcdefghi"; 26].join("."); // 26*10-1 = 259 bytes
        assert!(validate_hostname(&long).is_err());
        let ok = vec!["abcdefghi"; 25].join(".") + ".x"; // 251 bytes
        assert!(validate_hostname(&ok).is_ok());
        assert!(validate_hostname("_echo._tcp.netlab.test").is_ok());
    }

    #[test]
    fn every_inet_aton_form_is_an_ipv4_address_with_a_note() {
        for (text, addr, why) in [
            ("010.077.004.002", "8.63.4.2", "a leading 0 is octal"),
            (
                "10.77.1026",
                "10.77.4.2",
                "with 3 parts the last fills the low 2 bytes",
            ),
            ("0x0a.0x4d.4.2", "10.77.4.2", "0x is hexadecimal"),
            (
                "172819458",
                "10.77.4.2",
                "one number is the whole 32-bit address",
            ),
            (
                "127.1",
                "127.0.0.1",
                "with 2 parts the last fills the low 3 bytes",
            ),
            ("0XFF.0.0.1", "255.0.0.1", "0x is hexadecimal"),
            ("4294967295", "255.255.255.255", "one number"),
        ] {
            let t = Target::parse(text, PortSuffix::Allowed).unwrap();
            assert_eq!(t.host, ip(addr), "{text}");
            let note = t.note.unwrap();
            assert!(note.contains(why), "{text}: {note}");
            assert!(note.starts_with(&format!("'{text}' is {addr}: ")), "{note}");
        }
        let t = Target::parse("10.77.1026:8000", PortSuffix::Allowed).unwrap();
        assert_eq!((t.host, t.port), (ip("10.77.4.2"), Some(8000)));
        // The plain dotted quad needs no explanation.
        assert_eq!(
            Target::parse("10.77.4.2", PortSuffix::Allowed)
                .unwrap()
                .note,
            None
        );
        // What inet_aton refuses stays refused.
        for bad in [
            "08.1.1.1",
            "0x.1.1.1",
            "1.2.3.256",
            "1.2.65536",
            "1.16777216",
            "4294967296",
            "1.2.3.4.5",
            "0xg.1.1.1",
        ] {
            assert!(inet_aton(bad).is_none(), "{bad}");
            assert!(Target::parse(bad, PortSuffix::Allowed).is_err(), "{bad}");
        }
    }

    #[test]
    fn internationalised_names_get_their_ascii_form() {
        let t = Target::parse("bücher.example", PortSuffix::Forbidden).unwrap();
        assert_eq!(t.host, Host::Name("xn--bcher-kva.example".into()));
        assert_eq!(t.text, "bücher.example");
        let note = t.note.unwrap();
        assert!(note.contains("bücher.example") && note.contains("xn--bcher-kva.example"));
        // UTS 46 maps case and full-width forms too.
        let t = Target::parse("BÜCHER.example:80", PortSuffix::Allowed).unwrap();
        assert_eq!(
            (t.host, t.port),
            (Host::Name("xn--bcher-kva.example".into()), Some(80))
        );
        let t = Target::parse("bücher.example.", PortSuffix::Allowed).unwrap();
        assert_eq!(t.host, Host::Name("xn--bcher-kva.example.".into()));
        // ASCII names are left as written.
        assert_eq!(
            Target::parse("WWW.example", PortSuffix::Allowed)
                .unwrap()
                .note,
            None
        );
        for bad in [
            "b\u{fffd}.example",
            "a\u{200b}\u{0301}b..example",
            "bü cher.example",
        ] {
            assert!(Target::parse(bad, PortSuffix::Allowed).is_err(), "{bad}");
        }
    }

    #[test]
    fn ranges_expand_in_order_and_the_limit_holds_before_anything_is_made() {
        let texts = |t: &[&str]| t.iter().map(|s| s.to_string()).collect::<Vec<_>>();
        let got = expand_destinations(
            &texts(&["10.0.0.1-3", "dest.netlab.test", "fd00::/127"]),
            PortSuffix::Forbidden,
            DEFAULT_MAX_TARGETS,
        )
        .unwrap();
        let shown: Vec<String> = got.iter().map(|t| t.host.to_string()).collect();
        assert_eq!(
            shown,
            [
                "10.0.0.1",
                "10.0.0.2",
                "10.0.0.3",
                "dest.netlab.test",
                "fd00::",
                "fd00::1"
            ]
        );
        // One range over the limit, and a sum over it, each named.
        let (text, why) =
            expand_destinations(&texts(&["10.0.0.0/8"]), PortSuffix::Forbidden, 65_536)
                .unwrap_err();
        assert_eq!(text, "10.0.0.0/8");
        assert!(why.contains("16777214 addresses") && why.contains("--max-targets 65536"));
        let (text, why) = expand_destinations(
            &texts(&["10.0.0.0/24", "10.0.1.0/24"]),
            PortSuffix::Forbidden,
            300,
        )
        .unwrap_err();
        assert_eq!(text, "10.0.1.0/24");
        assert!(why.contains("508 addresses"), "{why}");
        assert!(
            expand_destinations(&texts(&["a.test", "b.test"]), PortSuffix::Forbidden, 1).is_err()
        );
        // Bad ranges and the unspecified address are refused.
        assert!(expand_destinations(&texts(&["10.0.0.0/33"]), PortSuffix::Forbidden, 10).is_err());
        assert!(expand_destinations(&texts(&["0.0.0.0/31"]), PortSuffix::Forbidden, 10).is_err());
        assert!(expand_destinations(&texts(&["::/127"]), PortSuffix::Forbidden, 10).is_err());
    }

    #[test]
    fn port_lists_and_ranges() {
        assert_eq!(
            parse_port_list("22,80,8000-8002").unwrap(),
            vec![22, 80, 8000, 8001, 8002]
        );
        assert_eq!(parse_port_list("-").unwrap().len(), 65535);
        assert_eq!(parse_port_list("-3").unwrap(), vec![1, 2, 3]);
        assert_eq!(parse_port_list("65534-").unwrap(), vec![65534, 65535]);
        assert_eq!(parse_port_list("80,80,22").unwrap(), vec![22, 80]);
        for bad in [
            "", "0", "1,,2", "9-3", "70000", "a-b", "1-2-3", "80,", "http",
        ] {
            assert!(parse_port_list(bad).is_err(), "'{bad}' should be rejected");
        }
    }
}
