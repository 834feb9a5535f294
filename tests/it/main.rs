//! The one integration-test binary (ripgrep-style): CLI tests run the real executable;
//! network tests build their own namespace lab (see lab/).

mod check;
mod cli;
mod connect;
mod hardening;
mod lab;
mod lab_selftest;
mod ping;
mod resolve;
mod serve;
mod trace;
mod trace_live;
mod trace_watch;
mod util;
