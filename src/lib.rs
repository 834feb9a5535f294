//! netlab: network diagnostics for the classic networking lab.
//!
//! Layers, top to bottom. A module imports only from the layers below its own, never from
//! its own layer's other modules; inside one folder, files import each other but never in
//! a circle (a file may always take what its folder's `mod.rs` declares: that file is the
//! folder's face). `tests/it/layers.rs` holds the same picture as data and fails, naming
//! file and line, when an import breaks it.
//!
//! 1. `main.rs` above [`app`]: parse, dispatch, map errors to exit codes; the only places
//!    that end the process.
//! 2. [`check`], [`exporter`]: the two combinators; they run the commands through their
//!    public entry points (`ping::measure`, `trace::run_trace`, ...).
//! 3. The commands [`resolve`], [`connect`], [`ping`], [`trace`], [`serve`], each with its
//!    whole story in its folder (its charts in its own `plot.rs`); none imports another.
//! 4. What the commands share, in this order (each may take from the ones after it):
//!    - [`cli`]: the clap definitions, the limits clap checks and the defaults it shows
//!      (`MAX_QUERIES`, `MIN_USER_INTERVAL`, ...); it imports no command.
//!    - [`plot`] (chart primitives), [`live`] (the full-screen framework `trace --watch` and
//!      `ping --watch` share: terminal, keys, redraw clock), [`dns`] (the DNS client, the resolver rules, the system resolver: what
//!      `resolve`, `trace -A` and `check` ask), [`target`] (the one target parser),
//!      [`chat`] (what `serve --chat` and `connect --interactive` share), [`web`] (HTTP
//!      and TLS above the socket: what `connect https://...` and `check` ask).
//!    - [`output`]: tables, JSON, markdown and the other printers, and stderr diagnostics.
//!    - [`duration`], [`lines`]: the readers of durations and of name files.
//! 5. [`net`] (every operating-system call) above [`packet`] (zero-copy wire views, no
//!    I/O).
//! 6. [`error`] above [`family`]: the vocabulary every layer speaks, `net` included (a
//!    [`error::Failure`] is what any layer returns; `-4`/`-6` is what an address reader
//!    and an error message both take), so they sit below everything.

pub mod app;
pub mod chat;
pub mod check;
pub mod cli;
pub mod connect;
pub mod dns;
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
pub mod web;
