//! Address ranges as targets: CIDR blocks (`10.0.0.0/24`, `fd00::/120`) and dash ranges
//! (`10.0.0.1-50`, `10.0.0.1-10.0.1.7`, `fd00::1-ff`, `fd00::1-fd00::1:0`).
//!
//! Why here, beside the target parser: every command that takes ranges (`ping`,
//! `connect`) reads them the same way, and a text that is not a range falls through to
//! [`super::Target::parse`] unchanged, so `host-name.example` stays a name.
//!
//! A range is two addresses, never a list: [`AddrRange::iter`] walks it lazily, so memory
//! does not grow with its size. Its size is known before anything is sent, which is what
//! lets a command refuse one above `--max-targets` with one line.
//!
//! Readings, as fping `-g` and nmap read them:
//! - An IPv4 CIDR block of /30 or wider leaves out its network and broadcast addresses
//!   (fping -g: `10.0.0.0/24` is .1 to .254); /31 and /32 have none (RFC 3021).
//!   Host bits in the address are ignored (`10.0.0.7/24` is the /24), as nmap does.
//! - IPv6 blocks keep every address (IPv6 has no broadcast); prefixes shorter than
//!   [`MIN_V6_PREFIX`] are refused outright: even /64 is 2^64 addresses.
//! - A dash range's end is a full address of the same family, or only the last part:
//!   the last octet for IPv4 (`10.0.0.1-50`), the last 16-bit group in hex for IPv6.
//!
//! Hand-written rather than taken from `ipnet`/`cidr`: those read CIDR but not dash
//! ranges nor fping's network/broadcast rule, and the whole grammar is a few lines.

use std::collections::BTreeMap;
use std::net::{IpAddr, Ipv4Addr, Ipv6Addr};

/// The narrowest IPv6 prefix length taken: /112 is 65,536 addresses.
pub const MIN_V6_PREFIX: u8 = 112;

/// A contiguous run of addresses of one family, `first..=last`.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct AddrRange {
    first: IpAddr,
    last: IpAddr,
}

impl AddrRange {
    /// Reads `text` as a range: `Ok(None)` when it has no range syntax (a host, an
    /// address), `Err` when it has one but is malformed.
    pub fn parse(text: &str) -> Result<Option<AddrRange>, String> {
        let text = text.trim();
        if let Some((addr, prefix)) = text.split_once('/') {
            return cidr(text, addr, prefix).map(Some);
        }
        let Some((start, end)) = text.split_once('-') else {
            return Ok(None);
        };
        // A name may hold a dash; only an address before it makes a range.
        let Ok(first) = start.parse::<IpAddr>() else {
            return Ok(None);
        };
        dash(text, first, end).map(Some)
    }

    /// One address as a range of one.
    pub fn single(addr: IpAddr) -> AddrRange {
        AddrRange {
            first: addr,
            last: addr,
        }
    }

    pub fn first(&self) -> IpAddr {
        self.first
    }

    pub fn last(&self) -> IpAddr {
        self.last
    }

    /// How many addresses it holds (at least 1).
    pub fn len(&self) -> u128 {
        numeric(self.last) - numeric(self.first) + 1
    }

    /// Never empty; here for clippy's `len_without_is_empty`.
    pub fn is_empty(&self) -> bool {
        false
    }

    pub fn contains(&self, addr: IpAddr) -> bool {
        addr.is_ipv4() == self.first.is_ipv4()
            && (numeric(self.first)..=numeric(self.last)).contains(&numeric(addr))
    }

    /// Every address, in order, computed as it is asked for.
    pub fn iter(&self) -> impl Iterator<Item = IpAddr> + Clone + Send + 'static {
        let v6 = self.first.is_ipv6();
        (numeric(self.first)..=numeric(self.last)).map(move |n| address(v6, n))
    }
}

/// Addresses held as a few runs, in the order they were added, each address once: the
/// host list of a scan. A range is one run however large it is, so the list of a /16 is
/// a few dozen bytes; the i-th address and the position of an address are computed
/// ([`AddrList::get`], [`AddrList::position`]), never looked up in a list of addresses.
///
/// An address already held is not added again: a range given after another that overlaps
/// it (or after a single address inside it) adds only the runs between, so command-line
/// order is kept and nothing is probed twice.
#[derive(Debug, Clone, Default)]
pub struct AddrList {
    runs: Vec<Run>,
    /// (is IPv6, first address) of each run -> its index in `runs`. Runs are disjoint,
    /// so the run that may hold an address is the last one starting at or before it.
    by_start: BTreeMap<(bool, u128), usize>,
    len: u64,
}

#[derive(Debug, Clone, Copy)]
struct Run {
    v6: bool,
    start: u128,
    len: u64,
    /// The position of its first address in the list.
    offset: u64,
    /// What the caller said the run came from (see [`AddrList::push`]).
    tag: u32,
}

impl AddrList {
    pub fn new() -> AddrList {
        AddrList::default()
    }

    /// Adds the addresses of `range` not held yet, as runs marked `tag` (the caller's
    /// name for where they came from, given back by [`AddrList::get`]); returns how many
    /// were added.
    pub fn push(&mut self, range: AddrRange, tag: u32) -> u64 {
        let v6 = range.first.is_ipv6();
        let (lo, hi) = (numeric(range.first), numeric(range.last));
        // What is already held of lo..=hi, in address order: the run starting at or
        // before `lo` when it reaches into it, then every run starting inside.
        let mut held: Vec<(u128, u128)> = Vec::new();
        let below = self.by_start.range(..=(v6, lo)).next_back();
        let inside = self.by_start.range((v6, lo)..=(v6, hi));
        for (&(run_v6, start), &i) in below.into_iter().chain(inside) {
            let end = start + u128::from(self.runs[i].len) - 1;
            if run_v6 == v6 && end >= lo && held.last().is_none_or(|&(s, _)| s != start) {
                held.push((start, end));
            }
        }
        let before = self.len;
        // The first address of lo..=hi not held yet.
        let mut at = lo;
        for (start, end) in held {
            if start > at {
                self.add_run(v6, at, start - 1, tag);
            }
            if end >= hi {
                return self.len - before;
            }
            at = at.max(end + 1);
        }
        self.add_run(v6, at, hi, tag);
        self.len - before
    }

    fn add_run(&mut self, v6: bool, start: u128, end: u128, tag: u32) {
        // A run longer than u64 addresses cannot be scanned anyway (the engine takes
        // far fewer); it is cut rather than wrapped.
        let len = u64::try_from(end - start + 1).unwrap_or(u64::MAX);
        self.by_start.insert((v6, start), self.runs.len());
        self.runs.push(Run {
            v6,
            start,
            len,
            offset: self.len,
            tag,
        });
        self.len = self.len.saturating_add(len);
    }

    /// How many addresses it holds.
    pub fn len(&self) -> u64 {
        self.len
    }

    pub fn is_empty(&self) -> bool {
        self.len == 0
    }

    /// The `i`-th address and the tag of its run; `None` past the end.
    pub fn get(&self, i: u64) -> Option<(IpAddr, u32)> {
        if i >= self.len {
            return None;
        }
        let run = &self.runs[self.runs.partition_point(|r| r.offset <= i) - 1];
        Some((
            address(run.v6, run.start + u128::from(i - run.offset)),
            run.tag,
        ))
    }

    /// Where `addr` is in the list, if it is held.
    pub fn position(&self, addr: IpAddr) -> Option<u64> {
        let (v6, n) = (addr.is_ipv6(), numeric(addr));
        let (_, &i) = self.by_start.range(..=(v6, n)).next_back()?;
        let run = &self.runs[i];
        let within = n - run.start;
        (run.v6 == v6 && within < u128::from(run.len)).then(|| run.offset + within as u64)
    }

    /// How many runs hold its addresses (the size of what is stored).
    pub fn runs(&self) -> usize {
        self.runs.len()
    }

    /// About the bytes it holds on the heap: its runs and their index.
    pub fn held_bytes(&self) -> usize {
        // A B-tree entry costs its key and value plus about as much again in its node.
        let entry = 2 * std::mem::size_of::<((bool, u128), usize)>();
        self.runs.capacity() * std::mem::size_of::<Run>() + self.by_start.len() * entry
    }
}

fn address(v6: bool, n: u128) -> IpAddr {
    if v6 {
        IpAddr::V6(Ipv6Addr::from(n))
    } else {
        IpAddr::V4(Ipv4Addr::from(n as u32))
    }
}

fn numeric(addr: IpAddr) -> u128 {
    match addr {
        IpAddr::V4(v4) => u128::from(u32::from(v4)),
        IpAddr::V6(v6) => u128::from(v6),
    }
}

fn cidr(text: &str, addr: &str, prefix: &str) -> Result<AddrRange, String> {
    let addr: IpAddr = addr
        .parse()
        .map_err(|_| format!("'{text}': '{addr}' before the / is not an IP address"))?;
    if prefix.is_empty() || prefix.len() > 3 || !prefix.bytes().all(|b| b.is_ascii_digit()) {
        return Err(format!("'{text}': '{prefix}' is not a prefix length"));
    }
    let bits: u32 = prefix
        .parse()
        .map_err(|_| format!("'{text}': bad prefix"))?;
    match addr {
        IpAddr::V4(v4) => {
            if bits > 32 {
                return Err(format!("'{text}': an IPv4 prefix is 0-32 bits"));
            }
            let mask = u32::MAX.checked_shl(32 - bits).unwrap_or(0);
            let network = u32::from(v4) & mask;
            let broadcast = network | !mask;
            // fping -g and the hosts of a subnet: no network or broadcast address.
            let (first, last) = if bits <= 30 {
                (network + 1, broadcast - 1)
            } else {
                (network, broadcast)
            };
            Ok(AddrRange {
                first: IpAddr::V4(first.into()),
                last: IpAddr::V4(last.into()),
            })
        }
        IpAddr::V6(v6) => {
            if bits > 128 {
                return Err(format!("'{text}': an IPv6 prefix is 0-128 bits"));
            }
            if bits < u32::from(MIN_V6_PREFIX) {
                return Err(format!(
                    "'{text}': an IPv6 prefix shorter than /{MIN_V6_PREFIX} is too many addresses to probe (2^{})",
                    128 - bits
                ));
            }
            let mask = u128::MAX.checked_shl(128 - bits).unwrap_or(0);
            let network = u128::from(v6) & mask;
            Ok(AddrRange {
                first: IpAddr::V6(network.into()),
                last: IpAddr::V6((network | !mask).into()),
            })
        }
    }
}

fn dash(text: &str, first: IpAddr, end: &str) -> Result<AddrRange, String> {
    let last = match (first, end.parse::<IpAddr>()) {
        (IpAddr::V4(_), Ok(IpAddr::V4(last))) => IpAddr::V4(last),
        (IpAddr::V6(_), Ok(IpAddr::V6(last))) => IpAddr::V6(last),
        (_, Ok(_)) => {
            return Err(format!(
                "'{text}': a range runs between addresses of one family"
            ))
        }
        (IpAddr::V4(v4), Err(_)) => {
            if end.is_empty() || end.len() > 3 || !end.bytes().all(|b| b.is_ascii_digit()) {
                return Err(format!(
                    "'{text}': '{end}' is neither an address nor a last octet (0-255)"
                ));
            }
            let octet: u8 = end
                .parse()
                .map_err(|_| format!("'{text}': a last octet is 0-255, not {end}"))?;
            let [a, b, c, _] = v4.octets();
            IpAddr::V4(Ipv4Addr::new(a, b, c, octet))
        }
        (IpAddr::V6(v6), Err(_)) => {
            if end.is_empty() || end.len() > 4 || !end.bytes().all(|b| b.is_ascii_hexdigit()) {
                return Err(format!(
                    "'{text}': '{end}' is neither an address nor a last group (hex, 0-ffff)"
                ));
            }
            let group = u16::from_str_radix(end, 16).map_err(|e| e.to_string())?;
            let mut segments = v6.segments();
            segments[7] = group;
            IpAddr::V6(segments.into())
        }
    };
    if numeric(last) < numeric(first) {
        return Err(format!("'{text}': the range runs backwards"));
    }
    Ok(AddrRange { first, last })
}

/// The one-line refusal of a range above the limit (`--max-targets`).
pub fn too_large(text: &str, len: u128, max: usize) -> String {
    format!("'{text}' is {len} addresses, more than --max-targets {max}")
}

#[cfg(test)]
mod tests {
    use super::*;

    fn range(text: &str) -> AddrRange {
        AddrRange::parse(text).unwrap().unwrap()
    }

    fn all(text: &str) -> Vec<String> {
        range(text).iter().map(|a| a.to_string()).collect()
    }

    #[test]
    fn ipv4_cidr_leaves_out_network_and_broadcast_as_fping_does() {
        let r = range("10.0.0.0/24");
        assert_eq!(r.len(), 254);
        assert_eq!(r.first().to_string(), "10.0.0.1");
        assert_eq!(r.last().to_string(), "10.0.0.254");
        assert_eq!(range("10.0.0.77/24"), r, "host bits ignored");
        assert_eq!(all("10.0.0.4/30"), ["10.0.0.5", "10.0.0.6"]);
        assert_eq!(all("10.0.0.4/31"), ["10.0.0.4", "10.0.0.5"]);
        assert_eq!(all("10.0.0.9/32"), ["10.0.0.9"]);
        assert_eq!(range("0.0.0.0/0").len(), (1u128 << 32) - 2);
        assert_eq!(range("10.0.0.0/16").len(), 65_534);
    }

    #[test]
    fn ipv6_cidr_keeps_every_address_and_refuses_huge_prefixes() {
        let r = range("fd00::1234/120");
        assert_eq!(r.len(), 256);
        assert_eq!(r.first().to_string(), "fd00::1200");
        assert_eq!(r.last().to_string(), "fd00::12ff");
        assert_eq!(range("fd00::/112").len(), 65_536);
        assert_eq!(all("::1/128"), ["::1"]);
        for bad in ["fd00::/111", "fd00::/64", "::/0"] {
            let err = AddrRange::parse(bad).unwrap_err();
            assert!(err.contains("/112"), "{bad}: {err}");
        }
    }

    #[test]
    fn dash_ranges_with_full_or_short_ends() {
        assert_eq!(range("10.0.0.1-50").len(), 50);
        assert_eq!(all("10.0.0.254-255"), ["10.0.0.254", "10.0.0.255"]);
        let r = range("10.0.0.250-10.0.1.7");
        assert_eq!(r.len(), 14);
        assert_eq!(
            r.iter().nth(6).unwrap().to_string(),
            "10.0.1.0",
            "crosses the octet"
        );
        assert_eq!(all("fd00::fe-ff"), ["fd00::fe", "fd00::ff"]);
        assert_eq!(range("fd00::1-fd00::1:0").len(), 65_536);
        assert_eq!(all("10.0.0.3-10.0.0.3"), ["10.0.0.3"]);
    }

    #[test]
    fn what_is_not_a_range_falls_through() {
        for text in [
            "10.0.0.1",
            "::1",
            "host-name.example",
            "a-b",
            "dest.netlab.test",
            "fe80::1%eth0",
        ] {
            assert_eq!(AddrRange::parse(text), Ok(None), "{text}");
        }
    }

    #[test]
    fn malformed_ranges_are_refused_with_a_reason() {
        for bad in [
            "10.0.0.0/",
            "10.0.0.0/33",
            "10.0.0.0/-1",
            "10.0.0.0/2a",
            "10.0.0.0/0008",
            "nohost/24",
            "/24",
            "10.0.0.0/24/1",
            "::/129",
            "10.0.0.9-3",
            "10.0.0.1-256",
            "10.0.0.1-",
            "10.0.0.1-x",
            "10.0.0.1-::1",
            "::1-10.0.0.1",
            "fd00::9-1",
            "fd00::1-10000",
            "fd00::1-g",
            "10.0.1.0-10.0.0.255",
            "10.0.0.1--5",
        ] {
            assert!(AddrRange::parse(bad).is_err(), "'{bad}' should be refused");
        }
    }

    #[test]
    fn iteration_is_lazy_and_contains_agrees() {
        // A /0 is four billion addresses; walking a few must cost nothing.
        let r = range("0.0.0.0/0");
        let first: Vec<IpAddr> = r.iter().take(2).collect();
        assert_eq!(first[1].to_string(), "0.0.0.2");
        let r = range("10.0.0.0/24");
        assert!(r.contains("10.0.0.200".parse().unwrap()));
        assert!(!r.contains("10.0.0.255".parse().unwrap()));
        assert!(!r.contains("10.0.1.1".parse().unwrap()));
        assert!(!r.contains("::1".parse().unwrap()));
        assert!(too_large("0.0.0.0/0", r.len(), 10).contains("--max-targets 10"));
    }

    #[test]
    fn an_addr_list_holds_a_range_as_one_run_and_computes_its_addresses() {
        let mut list = AddrList::new();
        assert_eq!(list.push(range("10.0.0.0/16"), 7), 65_534);
        assert_eq!((list.len(), list.runs()), (65_534, 1));
        assert_eq!(list.get(0), Some(("10.0.0.1".parse().unwrap(), 7)));
        assert_eq!(list.get(65_533), Some(("10.0.255.254".parse().unwrap(), 7)));
        assert_eq!(list.get(65_534), None);
        for i in [0, 1, 255, 256, 40_000, 65_533] {
            let (addr, _) = list.get(i).unwrap();
            assert_eq!(list.position(addr), Some(i), "{addr}");
        }
        for absent in ["10.0.0.0", "10.0.255.255", "10.1.0.1", "::a00:1"] {
            assert_eq!(list.position(absent.parse().unwrap()), None, "{absent}");
        }
    }

    #[test]
    fn an_addr_list_keeps_order_and_holds_each_address_once() {
        let one = |text: &str| AddrRange::single(text.parse().unwrap());
        let mut list = AddrList::new();
        assert_eq!(list.push(one("10.0.0.5"), 1), 1);
        assert_eq!(list.push(range("10.0.0.0/29"), 2), 5, ".1-.6 but .5");
        assert_eq!(list.push(one("10.0.0.3"), 3), 0, "held already");
        assert_eq!(list.push(range("10.0.0.4-9"), 4), 3, ".7-.9");
        assert_eq!(list.push(one("0.0.0.5"), 5), 1);
        assert_eq!(list.push(one("::5"), 6), 1, "IPv6 ::5 is not IPv4 0.0.0.5");
        assert_eq!(list.push(range("10.0.0.0/28"), 8), 5, ".10-.14");
        let all: Vec<(String, u32)> = (0..list.len())
            .map(|i| list.get(i).map(|(a, t)| (a.to_string(), t)).unwrap())
            .collect();
        let want = [
            ("10.0.0.5", 1),
            ("10.0.0.1", 2),
            ("10.0.0.2", 2),
            ("10.0.0.3", 2),
            ("10.0.0.4", 2),
            ("10.0.0.6", 2),
            ("10.0.0.7", 4),
            ("10.0.0.8", 4),
            ("10.0.0.9", 4),
            ("0.0.0.5", 5),
            ("::5", 6),
            ("10.0.0.10", 8),
            ("10.0.0.11", 8),
            ("10.0.0.12", 8),
            ("10.0.0.13", 8),
            ("10.0.0.14", 8),
        ];
        let want: Vec<(String, u32)> = want.iter().map(|&(a, t)| (a.into(), t)).collect();
        assert_eq!(all, want);
        for (i, (addr, _)) in want.iter().enumerate() {
            assert_eq!(
                list.position(addr.parse().unwrap()),
                Some(i as u64),
                "{addr}"
            );
        }
    }
}
