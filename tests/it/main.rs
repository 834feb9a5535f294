//! The one integration-test binary (ripgrep-style): CLI tests run the real executable;
//! network tests build their own namespace lab (see lab/).
//!
//! Linux only: the lab is Linux network namespaces, veth pairs and TUN devices, and the
//! CLI tests compare against Linux's reference tools. On macOS and FreeBSD (type-checked
//! from Linux, issue 18) this binary is empty; the library's unit tests are not.
#![cfg(target_os = "linux")]

mod atlas;
mod check;
mod cli;
mod connect;
mod deploy;
mod dist;
mod exporter;
mod exporter_fleet;
mod exporter_ops;
mod exporter_redirect;
mod exporter_sched;
mod hardening;
mod lab;
mod lab_selftest;
mod layers;
mod ping;
mod ping_flags;
mod ping_live;
mod ping_probe;
mod ping_watch_flags;
mod report;
mod resolve;
mod resolve_types;
mod scan;
mod scan_limit;
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
mod web;
mod windows;
