//! The hosts file (`/etc/hosts`; `%SystemRoot%\System32\drivers\etc\hosts` on Windows),
//! consulted before DNS as glibc's `files` source is (hosts(5)).
//!
//! A pure [`Hosts::parse`] plus a reader, so the rules are tested on fixtures. Names match
//! ASCII case-insensitively against the canonical name and every alias, exactly as written
//! (glibc does not strip a trailing dot, so `name.` goes to DNS). Every matching line
//! contributes its address, in file order; a reverse lookup takes the canonical name of
//! the first line with that address, as `getnameinfo` does.

use std::net::IpAddr;

use crate::family::Family;

/// Where this platform keeps the file.
pub fn path() -> String {
    crate::net::paths::hosts_file()
}

#[derive(Debug, Clone, PartialEq, Eq)]
struct Entry {
    addr: IpAddr,
    /// The canonical name first, then the aliases.
    names: Vec<String>,
}

#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Hosts {
    entries: Vec<Entry>,
}

impl Hosts {
    /// Parses hosts(5) text: `#` starts a comment anywhere; a line is an address, a
    /// canonical name and optional aliases. Lines whose address does not parse are skipped.
    pub fn parse(bytes: &[u8]) -> Hosts {
        let text = String::from_utf8_lossy(bytes);
        let mut entries = Vec::new();
        for line in text.lines() {
            let line = line.split('#').next().unwrap_or("");
            let mut fields = line.split_whitespace();
            let (Some(addr), Some(_)) = (fields.next(), fields.clone().next()) else {
                continue;
            };
            // glibc accepts a link-local zone in hosts; the zone does not change the name.
            let addr = addr.split('%').next().unwrap_or(addr);
            let Ok(addr) = addr.parse::<IpAddr>() else {
                continue;
            };
            entries.push(Entry {
                addr,
                names: fields.map(str::to_string).collect(),
            });
        }
        Hosts { entries }
    }

    /// Reads the system file; a missing or unreadable file is an empty one, as for glibc.
    /// The names the platform's resolver answers without it come after its lines
    /// (`net::paths::BUILT_IN_HOSTS`: Windows' localhost).
    pub fn load() -> Hosts {
        let mut bytes = std::fs::read(path()).unwrap_or_default();
        bytes.push(b'\n');
        bytes.extend_from_slice(crate::net::paths::BUILT_IN_HOSTS.as_bytes());
        Hosts::parse(&bytes)
    }

    /// The addresses of `name` in the allowed families, in file order, without repeats.
    pub fn addresses(&self, name: &str, family: Family) -> Vec<IpAddr> {
        let mut found: Vec<IpAddr> = Vec::new();
        for entry in &self.entries {
            if family.allows(&entry.addr)
                && entry.names.iter().any(|n| n.eq_ignore_ascii_case(name))
                && !found.contains(&entry.addr)
            {
                found.push(entry.addr);
            }
        }
        found
    }

    /// The canonical name of the first line with this address.
    pub fn name_of(&self, addr: IpAddr) -> Option<&str> {
        let addr = canonical(addr);
        self.entries
            .iter()
            .find(|e| canonical(e.addr) == addr)
            .and_then(|e| e.names.first())
            .map(String::as_str)
    }
}

/// `::ffff:a.b.c.d` and `a.b.c.d` name the same host.
fn canonical(addr: IpAddr) -> IpAddr {
    match addr {
        IpAddr::V6(v6) => v6.to_ipv4_mapped().map(IpAddr::V4).unwrap_or(addr),
        v4 => v4,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    const FIXTURE: &[u8] = b"\
# The lab client's hosts file
127.0.0.1\tlocalhost
::1         localhost ip6-localhost ip6-loopback
198.18.2.2  override.netlab.test override   # differs from DNS
fd4e:6c61:62:2::2 Override.Netlab.Test
198.18.9.9  HostsOnly.netlab.test hostsonly alias-only
fe80::1%eth0 linklocal.test
not-an-address bogus.test
198.18.9.10
   # indented comment
198.18.9.9  again.test
198.18.2.2  second-line.test
";

    fn ip(text: &str) -> IpAddr {
        text.parse().unwrap()
    }

    #[test]
    fn names_and_aliases_match_case_insensitively() {
        let hosts = Hosts::parse(FIXTURE);
        assert_eq!(
            hosts.addresses("hostsonly.netlab.test", Family::Any),
            vec![ip("198.18.9.9")]
        );
        assert_eq!(
            hosts.addresses("HOSTSONLY", Family::Any),
            vec![ip("198.18.9.9")]
        );
        assert_eq!(
            hosts.addresses("alias-only", Family::Any),
            vec![ip("198.18.9.9")]
        );
        assert_eq!(
            hosts.addresses("linklocal.test", Family::Any),
            vec![ip("fe80::1")]
        );
        assert!(hosts.addresses("bogus.test", Family::Any).is_empty());
        assert!(hosts.addresses("differs", Family::Any).is_empty());
        // A trailing dot is not stripped (glibc's files source does not either).
        assert!(hosts
            .addresses("hostsonly.netlab.test.", Family::Any)
            .is_empty());
    }

    #[test]
    fn every_matching_line_counts_and_families_filter() {
        let hosts = Hosts::parse(FIXTURE);
        assert_eq!(
            hosts.addresses("override.netlab.test", Family::Any),
            vec![ip("198.18.2.2"), ip("fd4e:6c61:62:2::2")]
        );
        assert_eq!(
            hosts.addresses("override.netlab.test", Family::V6),
            vec![ip("fd4e:6c61:62:2::2")]
        );
        assert_eq!(
            hosts.addresses("localhost", Family::Any),
            vec![ip("127.0.0.1"), ip("::1")]
        );
        assert_eq!(
            hosts.addresses("localhost", Family::V4),
            vec![ip("127.0.0.1")]
        );
        assert!(hosts.addresses("hostsonly", Family::V6).is_empty());
    }

    #[test]
    fn reverse_takes_the_first_lines_canonical_name() {
        let hosts = Hosts::parse(FIXTURE);
        assert_eq!(
            hosts.name_of(ip("198.18.2.2")),
            Some("override.netlab.test")
        );
        assert_eq!(
            hosts.name_of(ip("198.18.9.9")),
            Some("HostsOnly.netlab.test")
        );
        assert_eq!(
            hosts.name_of(ip("::ffff:198.18.9.9")),
            Some("HostsOnly.netlab.test")
        );
        assert_eq!(hosts.name_of(ip("::1")), Some("localhost"));
        assert_eq!(
            hosts.name_of(ip("198.18.9.10")),
            None,
            "a line without a name"
        );
        assert_eq!(hosts.name_of(ip("192.0.2.1")), None);
    }

    #[test]
    fn empty_and_binary_files_are_harmless() {
        assert_eq!(Hosts::parse(b""), Hosts::default());
        let hosts = Hosts::parse(b"\xff\xfe\x00 \n1.2.3.4 \xff\n");
        assert_eq!(hosts.entries.len(), 1);
    }

    #[cfg(windows)]
    #[test]
    fn windows_answers_localhost_without_its_hosts_file() {
        let hosts = Hosts::load();
        let found = hosts.addresses("localhost", Family::Any);
        assert!(found.contains(&ip("127.0.0.1")), "{found:?}");
        assert!(found.contains(&ip("::1")), "{found:?}");
    }
}
