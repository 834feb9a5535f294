//! Every call into the operating system lives under this module.
