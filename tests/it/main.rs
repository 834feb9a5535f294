//! The one integration-test binary (ripgrep-style): CLI tests run the real executable;
//! network tests build their own namespace lab (see lab/).

mod atlas;
mod check;
mod cli;
mod connect;
mod exporter;
mod hardening;
mod lab;
mod lab_selftest;
mod layers;
mod ping;
mod ping_flags;
mod ping_live;
mod ping_probe;
mod report;
mod resolve;
mod resolve_types;
mod seeds;
mod serve;
mod tmux;
mod trace;
mod trace_ext;
mod trace_flags;
mod trace_live;
mod trace_watch;
mod trust;
mod util;
