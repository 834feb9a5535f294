//! Every call into the operating system lives under this module.

pub mod icmp;
pub mod privilege;
pub mod probe;
