//! The platform under `net`, chosen at compile time (socket2's and mio's shape).
//!
//! The modules above name no platform: they use the tables, constants and types here
//! (`ERRNOS`, `hosts_file`, `RESOLVER_CONF` (Unix), `Signal`, `OS`, `nonblocking_socket`,
//! `stdout_reader_gone`, ...), from `unix.rs` (with the Linux/macOS/FreeBSD differences as
//! small `#[cfg(target_os)]` items inside) or `windows.rs`. What does not differ
//! ([`unsupported`]) is here.

#[cfg(unix)]
mod unix;
#[cfg(unix)]
pub use unix::*;
#[cfg(windows)]
mod windows;
#[cfg(windows)]
pub use windows::*;

/// The error for a feature this platform lacks: `Unsupported`, naming the platform.
pub fn unsupported(what: &str) -> std::io::Error {
    std::io::Error::new(
        std::io::ErrorKind::Unsupported,
        format!("{what} is not available on {OS}"),
    )
}

#[cfg(all(test, target_os = "linux"))]
mod tests {
    use super::*;

    #[test]
    fn a_refusal_names_the_platform() {
        let err = unsupported("a firewall mark (SO_MARK)");
        assert_eq!(err.kind(), std::io::ErrorKind::Unsupported);
        assert_eq!(
            err.to_string(),
            "a firewall mark (SO_MARK) is not available on Linux"
        );
    }
}
