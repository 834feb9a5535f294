//! Which address families a run may use (`-4`, `-6`, or both).
//!
//! Its own module, below the command line and the commands: `cli` turns `-4`/`-6` into
//! it, and the commands, the address readers and the error messages ([`crate::error`])
//! all take it, so none of them has to reach into `cli` or into another command for it.

/// Which address families a run may use.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Family {
    Any,
    V4,
    V6,
}

impl Family {
    pub fn allows(self, addr: &std::net::IpAddr) -> bool {
        match self {
            Family::Any => true,
            Family::V4 => addr.is_ipv4(),
            Family::V6 => addr.is_ipv6(),
        }
    }

    /// An address typed in that -4/-6 rules out: why, for the usage error.
    pub fn refusal(self, addr: &std::net::IpAddr) -> Option<String> {
        (!self.allows(addr)).then(|| {
            format!(
                "{addr} is an IPv{} address, but -{} was given",
                if addr.is_ipv4() { 4 } else { 6 },
                if addr.is_ipv4() { 6 } else { 4 }
            )
        })
    }
}
