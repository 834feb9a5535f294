//! What a SYN scan keeps of its findings, and the per-address records made from it.
//!
//! Each finding is handed on as it is decided (an open port printed at once, the
//! progress bar advanced) and not kept: the engine's four bits a probe already say what
//! each port was, so the records (`ScanRecord`, the connect scan's, for every output
//! format) are made one at a time when the output is written, and dropped once written.
//! The only thing a finding leaves here is the text of an address's first ICMP error
//! (a record's `detail`), and those texts are shared: a router that answers for a whole
//! range sends one text many times.

use std::collections::HashMap;
use std::sync::Arc;
use std::time::Duration;

use super::engine::{Engine, Finding};
use super::hosts::Hosts;
use crate::connect::probe::{Protocol, State};
use crate::connect::report::ScanRecord;

/// The first ICMP error text of each address that had one.
#[derive(Debug, Default)]
pub struct Details {
    first: HashMap<u64, u32>,
    texts: Vec<Arc<str>>,
    ids: HashMap<Arc<str>, u32>,
}

impl Details {
    /// Keeps `finding`'s detail if it is its address's first unreachable one.
    pub fn note(&mut self, finding: &Finding) {
        let (State::Unreachable, Some(text)) = (finding.state, &finding.detail) else {
            return;
        };
        if self.first.contains_key(&finding.host) {
            return;
        }
        let id = match self.ids.get(text.as_str()) {
            Some(&id) => id,
            None => {
                let shared: Arc<str> = Arc::from(text.as_str());
                let id = self.texts.len() as u32;
                self.texts.push(shared.clone());
                self.ids.insert(shared, id);
                id
            }
        };
        self.first.insert(finding.host, id);
    }

    fn of(&self, host: u64) -> Option<String> {
        let id = *self.first.get(&host)?;
        Some(self.texts[id as usize].to_string())
    }
}

/// One address family's scan, run: its records, made as they are asked for.
pub struct Scanned {
    pub hosts: Hosts,
    pub engine: Engine,
    pub details: Details,
    pub elapsed: Duration,
    /// Every port decided (false when interrupted).
    pub completed: bool,
}

impl Scanned {
    /// The record of every address, in order.
    pub fn records(&self) -> impl Iterator<Item = ScanRecord> + '_ {
        (0..self.hosts.len()).map(|host| self.record(host))
    }

    fn record(&self, host: u64) -> ScanRecord {
        let (target, address) = self.hosts.label(host);
        let ports = self.engine.states_of(host);
        let mut record = ScanRecord::owned(target, address, Protocol::Tcp, ports.len());
        for (port, state) in ports {
            if let Some(state) = state {
                record.count(port, state);
            }
        }
        record.detail = self.details.of(host);
        record.completed = self.completed;
        record.finish(self.elapsed, 0);
        record
    }
}
