//! What traceroute's optional flags add to a hop's row and JSON: `--mtu`'s `F=N` (the
//! packet length the hop was reached with, where it changes), `--back`'s `'-N'` (the
//! hops of the way back, where they differ from the hop number) and `-A`'s
//! `[AS64500 NAME]` beside each address. The report keeps one [`HopExtras`] and asks it
//! at the few places a row or a document is written, so these stay out of its story.

use std::collections::HashMap;
use std::net::IpAddr;
use std::time::Duration;

use serde::Serialize;

use super::asn::{AsInfo, Lookups};

/// `-A`'s answer for one responder in the JSON.
#[derive(Serialize)]
pub(crate) struct JsonAsn {
    number: u32,
    prefix: String,
    name: Option<String>,
}

impl From<&AsInfo> for JsonAsn {
    fn from(info: &AsInfo) -> JsonAsn {
        JsonAsn {
            number: info.number,
            prefix: info.prefix.clone(),
            name: info.name.clone(),
        }
    }
}

#[derive(Default)]
pub(crate) struct HopExtras {
    /// `--mtu`: the packet length each hop answered to, and the last one printed.
    mtus: HashMap<u8, u32>,
    shown_mtu: Option<u32>,
    /// `--back`: the hops back of each hop that answered.
    back: HashMap<u8, u8>,
    /// `-A`: AS lookups, started as addresses answer.
    asn: Option<Lookups>,
}

impl HopExtras {
    /// With `-A`, AS numbers are asked from `asn_zone`.
    pub fn new(asn_zone: Option<&str>) -> HopExtras {
        HopExtras {
            asn: asn_zone.map(Lookups::new),
            ..HopExtras::default()
        }
    }

    pub fn path_mtu(&mut self, ttl: u8, mtu: u32) {
        self.mtus.insert(ttl, mtu);
    }

    pub fn back_hops(&mut self, ttl: u8, hops: u8) {
        self.back.insert(ttl, hops);
    }

    /// An address answered: start its AS lookup.
    pub fn saw(&mut self, addr: IpAddr) {
        if let Some(asn) = &mut self.asn {
            asn.start(addr);
        }
    }

    pub fn poll(&mut self) {
        if let Some(asn) = &mut self.asn {
            asn.poll();
        }
    }

    /// Whether a row showing `addr` should wait (a little) for its AS.
    pub fn is_pending(&self, addr: &IpAddr) -> bool {
        self.asn.as_ref().is_some_and(|l| l.is_pending(addr))
    }

    pub fn wait_all(&mut self, budget: Duration) {
        if let Some(asn) = &mut self.asn {
            asn.wait_all(budget);
        }
    }

    /// `-A`: ` [AS64500 NAME]` after an address, as mtr -z / traceroute -A put it (the AS
    /// name without its description).
    pub fn address_suffix(&self, addr: &IpAddr) -> String {
        match self.asn.as_ref().and_then(|l| l.get(addr)) {
            Some(info) => format!(" [{}]", info.label()),
            None => String::new(),
        }
    }

    /// The RTT cell of hop `ttl`, with `F=N` where the MTU changes and `'-N'` where the
    /// way back differs (traceroute's notations); call once per printed row, in order.
    pub fn annotate(&mut self, ttl: u8, rtts: String) -> String {
        let mut cell = rtts;
        if let Some(&mtu) = self.mtus.get(&ttl) {
            if self.shown_mtu != Some(mtu) {
                cell = format!("F={mtu}  {cell}");
                self.shown_mtu = Some(mtu);
            }
        }
        if let Some(&back) = self.back.get(&ttl) {
            if back != ttl {
                cell = format!("'-{back}'  {cell}");
            }
        }
        cell
    }

    pub fn mtu(&self, ttl: u8) -> Option<u32> {
        self.mtus.get(&ttl).copied()
    }

    pub fn back(&self, ttl: u8) -> Option<u8> {
        self.back.get(&ttl).copied()
    }

    /// `-A` only (`None` without it): the responder's AS, or `Some(None)` when unknown.
    pub fn json_asn(&self, addr: &IpAddr) -> Option<Option<JsonAsn>> {
        self.asn.as_ref().map(|l| l.get(addr).map(JsonAsn::from))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn rows_say_where_the_mtu_drops_and_the_way_back_differs() {
        let mut extras = HopExtras::new(None);
        for (ttl, mtu) in [(1, 1500), (2, 1400), (3, 1400)] {
            extras.path_mtu(ttl, mtu);
        }
        extras.back_hops(1, 1);
        extras.back_hops(2, 6);
        assert_eq!(extras.annotate(1, "1 ms".into()), "F=1500  1 ms");
        assert_eq!(extras.annotate(2, "1 ms".into()), "'-6'  F=1400  1 ms");
        assert_eq!(extras.annotate(3, "1 ms".into()), "1 ms");
        assert_eq!(extras.annotate(4, "*".into()), "*");
        assert_eq!(
            (extras.mtu(2), extras.back(2), extras.back(3)),
            (Some(1400), Some(6), None)
        );
        // Without -A there is nothing to add or wait for.
        let addr: IpAddr = "198.18.0.2".parse().unwrap();
        assert_eq!(extras.address_suffix(&addr), "");
        assert!(!extras.is_pending(&addr));
        assert!(extras.json_asn(&addr).is_none());
    }
}
