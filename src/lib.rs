//! netlab: network diagnostics for the classic networking lab.
//!
//! Layout (one folder per command, every OS call in `net`):
//! - [`cli`]: clap definitions; each command turns them into a typed `Plan`.
//! - [`resolve`], [`connect`]: the commands, each with its whole story in its folder.
//! - [`net`]: sockets, resource limits and other platform calls.
//! - [`output`]: tables, JSON and stderr diagnostics.
//! - [`target`], [`duration`]: the shared parsers of command-line values; [`lines`]: the
//!   bounded reader of name files.
//! - [`live`]: the full-screen framework `trace --watch` and `ping --watch` share
//!   (terminal, keys, redraw clock); each command brings its own panels.
//! - [`family`] (`-4`/`-6`), [`chat`] (what `serve --chat` and `connect --interactive`
//!   share): pieces several modules take live below all of them, so no command reaches
//!   into another, and `cli` and `error` into none.

pub mod app;
pub mod chat;
pub mod check;
pub mod cli;
pub mod connect;
pub mod duration;
pub mod error;
pub mod exporter;
pub mod family;
pub mod lines;
pub mod live;
pub mod net;
pub mod output;
pub mod packet;
pub mod ping;
pub mod plot;
pub mod resolve;
pub mod serve;
pub mod target;
pub mod trace;
