//! `connect --syn`: the half-open ("SYN") scan, as nmap `-sS`, masscan and zmap do it.
//!
//! A raw SYN goes to each address and port; a SYN-ACK says open, a RST closed, an ICMP
//! error unreachable (port unreachable: closed, as the connect scan reads a REJECT), and
//! silence after one retry filtered — the same states as the connect scan, in the same
//! records, so every output format shows them alike. No connection is ever completed:
//! the SYN-ACK reaches a port no socket listens on, and the kernel's own RST closes the
//! half-open connection on the far side.
//!
//! - `engine.rs`: the decisions (pacing, adaptive rate, retries, stateless matching with
//!   a cookie in the sequence number, when it is done), sans-IO; `sim.rs` tests it in
//!   virtual time against simulated hosts.
//! - `io.rs`: the driver over the raw sockets of `net::syn`.
//! - `hosts.rs`: the addresses scanned, ranges kept as ranges; `results.rs`: what is
//!   kept of the findings (the first ICMP error text of an address) and the per-address
//!   records, made from the engine's state as the output is written.
//!
//! Memory is bounded by what is in flight, not by the size of the range: a /16 is held
//! as its two ends, each probe is four bits in the engine, and no record is kept.

pub mod engine;
pub mod hosts;
pub mod io;
pub mod results;
#[cfg(test)]
mod sim;
