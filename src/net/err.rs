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

/// What `error` says, without the platform's number: `Connection refused (os error
/// 111)` → `Connection refused`. netlab's own words where it has them for the number
/// (Windows' WinSock errors: `sys::ERROR_WORDS`), else the platform's text without its
/// closing full stop; netlab's own errors (no number) as they are.
pub fn text(error: &io::Error) -> String {
    let Some(code) = error.raw_os_error() else {
        return error.to_string();
    };
    if let Some((_, words)) = sys::ERROR_WORDS.iter().find(|(c, _)| *c == code) {
        return (*words).to_string();
    }
    let full = error.to_string();
    let text = full.split(" (os error").next().unwrap_or(&full).trim_end();
    if text.is_empty() || text.starts_with("OS Error ") {
        // std's words when the platform has no text for the number (FormatMessageW).
        return format!("system error {code}");
    }
    text.strip_suffix('.').unwrap_or(text).to_string()
}

/// "Connection refused (os error 111)" -> "connection refused": an OS error as a reason
/// in a row or a message ([`text`], lowercased). netlab's own errors keep their case
/// (`SO_MARK is not available on macOS`).
pub fn phrase(error: &io::Error) -> String {
    match error.raw_os_error() {
        Some(_) => text(error).to_lowercase(),
        None => error.to_string(),
    }
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
        assert!(is_file_limit(&Kind::ProcessFileLimit.error()));
        // A system-wide descriptor limit (ENFILE) where the platform has one: Windows
        // has none (a process's handles are limited, not the system's).
        if Kind::SystemFileLimit.code().is_some() {
            assert!(is_file_limit(&Kind::SystemFileLimit.error()));
            assert!(is_resource_shortage(&Kind::SystemFileLimit.error()));
        }
        assert!(!is_file_limit(&Kind::NoBufferSpace.error()));
        assert!(is(&Kind::TimedOut.error(), Kind::TimedOut));
    }

    #[test]
    fn every_named_error_reads_as_words_without_its_number() {
        for kind in Kind::ALL.into_iter().filter(|k| k.code().is_some()) {
            let words = text(&kind.error());
            assert!(
                !words.is_empty()
                    && !words.to_lowercase().contains("os error")
                    && !words.contains("system error")
                    && !words.ends_with('.')
                    && words
                        .chars()
                        .all(|c| c.is_ascii_alphanumeric() || " -".contains(c)),
                "{kind:?}: {words:?}"
            );
        }
        assert_eq!(text(&Kind::ConnectionRefused.error()), "Connection refused");
        assert_eq!(text(&Kind::MessageTooLong.error()), "Message too long");
        assert_eq!(text(&Kind::InvalidArgument.error()), "Invalid argument");
        assert_eq!(text(&io::Error::other("netlab's own")), "netlab's own");
        for (code, words) in sys::ERROR_WORDS {
            assert_eq!(text(&io::Error::from_raw_os_error(*code)), *words);
        }
    }
}
