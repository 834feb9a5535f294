//! What an operating-system error means, without naming the operating system.
//!
//! Commands decide what a failed `connect` or `accept` means for the user (closed,
//! filtered, out of file descriptors); they must not match Linux errno numbers to do it,
//! or a port to Windows (WSA codes) or macOS (other numbers for the same names) would
//! have to touch every command. [`Kind`] is netlab's own list of the causes its commands
//! tell apart, in the spirit of [`std::io::ErrorKind`], which has some of them (refused,
//! host unreachable) but folds others together or leaves them out (per-process and
//! system-wide descriptor limits, `ENOBUFS`, `EPROTO`, `EHOSTDOWN`); `sys` maps them to
//! and from the platform's numbers.

use std::io;

use super::sys;

pub use super::kinds::Kind;

impl Kind {
    /// The platform's number for this cause (what [`kind_of_code`] maps back), if the
    /// platform has one (only Linux has `ENONET`).
    pub fn code(self) -> Option<i32> {
        sys::ERRNOS
            .iter()
            .find(|(kind, _)| *kind == self)
            .map(|(_, code)| *code)
    }

    /// An error of this kind, as the platform would return it (for tests and for
    /// errors netlab makes up, such as a scan's "out of descriptors" retry).
    pub fn error(self) -> io::Error {
        match self.code() {
            Some(code) => io::Error::from_raw_os_error(code),
            None => io::Error::new(io::ErrorKind::Unsupported, format!("{self:?}")),
        }
    }
}

/// The cause of `error`, when it came from the operating system and is one netlab tells
/// apart.
pub fn kind(error: &io::Error) -> Option<Kind> {
    error.raw_os_error().and_then(kind_of_code)
}

/// The cause behind a platform error number (the one an ICMP report carries, say).
pub fn kind_of_code(code: i32) -> Option<Kind> {
    sys::ERRNOS
        .iter()
        .find(|(_, c)| *c == code)
        .map(|(kind, _)| *kind)
}

/// Whether `error` is `kind`.
pub fn is(error: &io::Error, kind: Kind) -> bool {
    self::kind(error) == Some(kind)
}

/// Out of file descriptors or memory, in this process or the system: "not now", and a
/// service should slow down rather than give up.
pub fn is_resource_shortage(error: &io::Error) -> bool {
    matches!(
        kind(error),
        Some(
            Kind::ProcessFileLimit
                | Kind::SystemFileLimit
                | Kind::NoBufferSpace
                | Kind::OutOfMemory
        )
    )
}

/// Out of descriptors (per process or system-wide): raising `ulimit -n` helps.
pub fn is_file_limit(error: &io::Error) -> bool {
    matches!(
        kind(error),
        Some(Kind::ProcessFileLimit | Kind::SystemFileLimit)
    )
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_kind_survives_the_trip_through_the_platform_number() {
        for kind in Kind::ALL.into_iter().filter(|k| k.code().is_some()) {
            assert_eq!(super::kind(&kind.error()), Some(kind), "{kind:?}");
        }
        // Every platform knows the kinds its commands match on.
        assert!(Kind::ConnectionRefused.code().is_some());
        assert!(Kind::ProcessFileLimit.code().is_some());
    }

    #[test]
    fn the_platform_numbers_are_distinct() {
        let mut codes: Vec<i32> = sys::ERRNOS.iter().map(|(_, c)| *c).collect();
        let listed = codes.len();
        codes.sort_unstable();
        codes.dedup();
        assert_eq!(codes.len(), listed);
    }

    #[test]
    fn errors_without_an_os_number_have_no_kind() {
        assert_eq!(kind(&io::Error::other("made up")), None);
        assert_eq!(kind_of_code(0), None);
        assert!(!is_resource_shortage(&io::Error::other("made up")));
    }

    #[test]
    fn shortages_are_the_descriptor_and_memory_kinds() {
        assert!(is_resource_shortage(&Kind::ProcessFileLimit.error()));
        assert!(is_resource_shortage(&Kind::OutOfMemory.error()));
        assert!(!is_resource_shortage(&Kind::ConnectionRefused.error()));
        assert!(is_file_limit(&Kind::SystemFileLimit.error()));
        assert!(!is_file_limit(&Kind::NoBufferSpace.error()));
        assert!(is(&Kind::TimedOut.error(), Kind::TimedOut));
    }
}
