//! The SYN scan's hosts: every address of the command line once, in its order, ranges
//! kept as ranges ([`AddrList`]), one list per address family (each family has its own
//! sockets and runs on its own).
//!
//! Only an address given by name (or with a `%zone`) carries what the output shows for
//! it beyond the address itself; an address from a range is its own target and text,
//! computed when its record is written. So a /16 costs a few dozen bytes here, and
//! 65,536 names in a `--file` cost their names, as they must.

use std::sync::Arc;

use crate::cli::Family;
use crate::connect::{addresses_of, Address};
use crate::error::Failure;
use crate::target::{AddrList, AddrRange, Destination};

/// The tag of a run that came from a range: no name to keep (never an index of `named`).
const FROM_RANGE: u32 = u32::MAX;

/// The hosts of one address family.
#[derive(Debug, Default)]
pub struct Hosts {
    /// Shared with the engine, which walks it.
    pub list: Arc<AddrList>,
    /// The target and address of each address given by name, by its run's tag.
    named: Vec<(String, Address)>,
}

/// [`Hosts`] while it is made.
#[derive(Default)]
struct Building {
    list: AddrList,
    named: Vec<(String, Address)>,
}

impl Building {
    fn add_range(&mut self, range: AddrRange) {
        self.list.push(range, FROM_RANGE);
    }

    fn add_named(&mut self, target: String, address: Address) {
        let tag = self.named.len() as u32;
        if self.list.push(AddrRange::single(address.ip), tag) > 0 {
            self.named.push((target, address));
        }
    }

    fn done(self) -> Hosts {
        Hosts {
            list: Arc::new(self.list),
            named: self.named,
        }
    }
}

impl Hosts {
    /// Addresses with no names: each its own target.
    #[cfg(test)]
    pub fn unnamed(list: Arc<AddrList>) -> Hosts {
        Hosts {
            list,
            named: Vec::new(),
        }
    }

    /// The target as given and the address shown for the `host`-th address.
    pub fn label(&self, host: u64) -> (String, String) {
        let Some((ip, tag)) = self.list.get(host) else {
            return (String::new(), String::new());
        };
        match self.named.get(tag as usize) {
            Some((target, address)) => (target.clone(), address.text.clone()),
            // From a range: the address is its own target.
            None => (ip.to_string(), ip.to_string()),
        }
    }

    /// The first address, with its zone: where the sockets are opened for.
    pub fn first(&self) -> Option<Address> {
        let (ip, tag) = self.list.get(0)?;
        Some(match self.named.get(tag as usize) {
            Some((_, address)) => address.clone(),
            None => Address::plain(ip),
        })
    }

    pub fn len(&self) -> u64 {
        self.list.len()
    }
}

/// The hosts of `destinations`, names resolved (each to all its addresses of `family`),
/// IPv4 first then IPv6; a family with no address is left out.
pub async fn resolve(destinations: &[Destination], family: Family) -> Result<Vec<Hosts>, Failure> {
    let (mut v4, mut v6) = (Building::default(), Building::default());
    for destination in destinations {
        match destination {
            Destination::Range { range, .. } => {
                let hosts = if range.first().is_ipv6() {
                    &mut v6
                } else {
                    &mut v4
                };
                hosts.add_range(*range);
            }
            Destination::One(target) => {
                let name = target.host.to_string();
                for address in addresses_of(&target.host, family).await? {
                    let hosts = if address.ip.is_ipv6() {
                        &mut v6
                    } else {
                        &mut v4
                    };
                    hosts.add_named(name.clone(), address);
                }
            }
        }
    }
    Ok([v4, v6]
        .into_iter()
        .filter(|h| !h.list.is_empty())
        .map(Building::done)
        .collect())
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::target::{parse_destinations, PortSuffix};

    #[tokio::test]
    async fn ranges_stay_ranges_and_names_keep_their_text() {
        let texts: Vec<String> = ["10.0.0.0/16", "10.0.3.4", "::1", "fd00::/120", "10.9.0.1-3"]
            .iter()
            .map(|s| s.to_string())
            .collect();
        let destinations = parse_destinations(&texts, PortSuffix::Allowed, 1 << 20).unwrap();
        let hosts = resolve(&destinations, Family::Any).await.unwrap();
        assert_eq!(hosts.len(), 2, "IPv4, then IPv6");
        let (v4, v6) = (&hosts[0], &hosts[1]);
        assert_eq!(v4.len(), 65_534 + 3, "10.0.3.4 is in the /16 already");
        assert_eq!(v4.list.runs(), 2);
        assert_eq!(v4.label(0), ("10.0.0.1".into(), "10.0.0.1".into()));
        assert_eq!(v4.label(65_534), ("10.9.0.1".into(), "10.9.0.1".into()));
        assert_eq!(v6.len(), 257);
        assert_eq!(v6.label(0), ("::1".into(), "::1".into()));
        assert_eq!(v6.label(256), ("fd00::ff".into(), "fd00::ff".into()));
        assert_eq!(v6.first().unwrap().ip.to_string(), "::1");
    }
}
