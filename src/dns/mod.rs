//! Names to addresses and back, the way the system does it: the DNS pieces `resolve`,
//! `trace -A` and `check` share.
//!
//! Its own module below the commands, because three of them ask DNS questions and none may
//! reach into another: `resolve` shows a lookup, `trace -A` asks Team Cymru's TXT records
//! of the same servers with the same timeouts, and `check` compares the system's answer
//! with each server's. Each takes the same glibc-faithful rules from here.
//!
//! Layout: `lookup/` (the rules, against the [`client::Dns`] trait), `client.rs` (the only
//! file that knows hickory), `conf.rs` / `hosts.rs` / `names.rs` (pure parsers and name
//! rules), `record.rs` (records, record types and dig-style values), `system.rs` (the
//! system resolver every other command uses, with its one error mapping).

pub mod client;
pub mod conf;
pub mod hosts;
pub mod lookup;
mod names;
pub mod record;
pub mod system;
