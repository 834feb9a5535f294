//! Reverse names for the addresses a trace sees, looked up on threads (getnameinfo) as
//! soon as an address first answers and cached for the run: the single trace's rows,
//! the rounds' report and stream, and a live view all ask here, and never wait on a
//! lookup in the probing loop.

use std::collections::{HashMap, HashSet};
use std::net::IpAddr;
use std::sync::mpsc::{channel, Receiver, Sender};
use std::time::{Duration, Instant};

use crate::net::icmp::reverse_name;

/// Reverse names, looked up on threads and cached.
pub struct Names {
    enabled: bool,
    known: HashMap<IpAddr, Option<String>>,
    pending: HashSet<IpAddr>,
    tx: Sender<(IpAddr, Option<String>)>,
    rx: Receiver<(IpAddr, Option<String>)>,
}

impl Names {
    pub fn new(enabled: bool) -> Names {
        let (tx, rx) = channel();
        Names {
            enabled,
            known: HashMap::new(),
            pending: HashSet::new(),
            tx,
            rx,
        }
    }

    pub fn start(&mut self, addr: IpAddr) {
        if !self.enabled || self.known.contains_key(&addr) || !self.pending.insert(addr) {
            return;
        }
        let tx = self.tx.clone();
        let spawned = std::thread::Builder::new()
            .name("reverse-name".into())
            .spawn(move || {
                let _ = tx.send((addr, reverse_name(addr)));
            });
        if spawned.is_err() {
            self.pending.remove(&addr);
            self.known.insert(addr, None);
        }
    }

    pub fn poll(&mut self) {
        while let Ok((addr, name)) = self.rx.try_recv() {
            self.pending.remove(&addr);
            self.known.insert(addr, name);
        }
    }

    pub fn wait_all(&mut self, budget: Duration) {
        let deadline = Instant::now() + budget;
        while !self.pending.is_empty() {
            let left = deadline.saturating_duration_since(Instant::now());
            match self.rx.recv_timeout(left) {
                Ok((addr, name)) => {
                    self.pending.remove(&addr);
                    self.known.insert(addr, name);
                }
                Err(_) => return,
            }
        }
    }

    pub fn is_pending(&self, addr: &IpAddr) -> bool {
        self.pending.contains(addr)
    }

    pub fn get(&self, addr: &IpAddr) -> Option<String> {
        self.known.get(addr).cloned().flatten()
    }
}
