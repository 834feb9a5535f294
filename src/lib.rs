//! netlab: network diagnostics for the classic networking lab.
//!
//! Layout (one folder per command, every OS call in `net`):
//! - [`cli`]: clap definitions; each command turns them into a typed `Plan`.
//! - [`resolve`], [`connect`]: the commands, each with its whole story in its folder.
//! - [`net`]: sockets, resource limits and other platform calls.
//! - [`output`]: tables, JSON and stderr diagnostics.
//! - [`target`], [`duration`]: the shared parsers of command-line values.

pub mod app;
pub mod check;
pub mod cli;
pub mod connect;
pub mod duration;
pub mod error;
pub mod exporter;
pub mod net;
pub mod output;
pub mod packet;
pub mod ping;
pub mod resolve;
pub mod serve;
pub mod target;
pub mod trace;
