//! The platform under `net`, chosen at compile time (socket2's and mio's shape).
//!
//! The modules above name no platform: they use the tables, constants and types here
//! (`ERRNOS`, `HOSTS_FILE`, `RESOLVER_CONF`, `Signal`, `stdout_reader_gone`). A port
//! adds a sibling (`windows.rs`, say) with the same items and one more `cfg` line below;
//! differences inside the Unix family are small `#[cfg(target_os)]` items in `unix.rs`.

#[cfg(unix)]
mod unix;
#[cfg(unix)]
pub use unix::*;
