//! Where this platform keeps its stub resolver's configuration: what `dns::conf` turns
//! into the servers and search list a lookup walks.
//!
//! Unix keeps it in a file (resolv.conf(5)), whose rules `dns::conf` parses; Windows keeps
//! it per network adapter, read with `GetAdaptersAddresses` (`resolver/windows.rs`). Both
//! arrive as a [`Config`], so the resolver above names no platform and its rules (which
//! adapters count, in which order, how many servers) are tested on every platform with
//! made-up adapters.

use std::io;
use std::net::SocketAddr;

#[cfg(windows)]
mod windows;

/// What the system's resolver settings say, as this platform keeps them.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Config {
    /// resolv.conf's bytes (Unix).
    File(Vec<u8>),
    /// The network adapters, in the order the system lists them (Windows).
    Adapters(Vec<Adapter>),
}

/// One network adapter's DNS settings.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Adapter {
    /// Whether it is up (`IfOperStatusUp`): the others' servers are not asked.
    pub up: bool,
    /// Its DNS servers, in its order (port 0 unless the system gave one).
    pub servers: Vec<SocketAddr>,
    /// Its connection-specific DNS suffix, then its other suffixes (`DnsSuffix`,
    /// `FirstDnsSuffix`), possibly empty strings.
    pub suffixes: Vec<String>,
}

/// Where the settings come from, in the words of an error line.
#[cfg(unix)]
pub const ORIGIN: &str = super::sys::RESOLVER_CONF;
#[cfg(windows)]
pub const ORIGIN: &str = "the network adapters' DNS settings";

/// Reads the system's resolver settings: the file.
#[cfg(unix)]
pub fn read() -> io::Result<Config> {
    std::fs::read(ORIGIN).map(Config::File)
}

/// Reads the system's resolver settings: every adapter's.
#[cfg(windows)]
pub fn read() -> io::Result<Config> {
    windows::adapters().map(Config::Adapters)
}
