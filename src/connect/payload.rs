//! What `connect` sends (`--send`, `--send-file`) and what it expects back (`--expect`,
//! `--expect-regex`). Pure functions: no sockets here.

use std::path::PathBuf;

use regex::bytes::Regex;

/// What a probe sends once connected.
#[derive(Debug, Clone)]
pub enum Payload {
    /// `--send` (with its `--eol`), or a `--send-file` read whole for one UDP datagram.
    Bytes(Vec<u8>),
    /// `--send-file` over TCP: streamed from the file in chunks for each probe, never held
    /// whole, so `--send-file /dev/zero` costs one buffer, not the file.
    File(PathBuf),
}

/// Turns `--send`/`--expect` text into bytes. Escapes: `\n`, `\r`, `\t`, `\\`, `\0` and
/// `\xNN`; anything else after a backslash is an error rather than a guess, so a typo
/// never sends something other than what was meant.
pub fn unescape(text: &str) -> Result<Vec<u8>, String> {
    let mut bytes = Vec::with_capacity(text.len());
    let mut chars = text.char_indices();
    while let Some((at, c)) = chars.next() {
        if c != '\\' {
            let mut utf8 = [0u8; 4];
            bytes.extend_from_slice(c.encode_utf8(&mut utf8).as_bytes());
            continue;
        }
        match chars.next() {
            Some((_, 'n')) => bytes.push(b'\n'),
            Some((_, 'r')) => bytes.push(b'\r'),
            Some((_, 't')) => bytes.push(b'\t'),
            Some((_, '0')) => bytes.push(0),
            Some((_, '\\')) => bytes.push(b'\\'),
            Some((_, 'x')) => {
                let hex: String = chars.by_ref().take(2).map(|(_, c)| c).collect();
                match (hex.len(), u8::from_str_radix(&hex, 16)) {
                    (2, Ok(byte)) if hex.bytes().all(|b| b.is_ascii_hexdigit()) => bytes.push(byte),
                    _ => {
                        return Err(format!(
                            "'\\x{hex}' at offset {at}: \\x takes two hex digits (\\x0a)"
                        ))
                    }
                }
            }
            Some((_, other)) => {
                return Err(format!(
                    "unknown escape '\\{other}' at offset {at} (use \\n \\r \\t \\\\ \\0 \\xNN)"
                ))
            }
            None => return Err("ends with a lone '\\' (write '\\\\' for a backslash)".into()),
        }
    }
    Ok(bytes)
}

/// What the answer must contain for the run to count as answered.
#[derive(Debug, Clone)]
pub enum Expectation {
    /// `--expect`: these bytes appear somewhere in the answer.
    Contains(Vec<u8>),
    /// `--expect-regex`: the expression matches somewhere in the answer.
    Regex(Regex),
}

impl Expectation {
    pub fn contains(text: &str) -> Result<Expectation, String> {
        let bytes = unescape(text)?;
        if bytes.is_empty() {
            return Err("empty text would match any answer".into());
        }
        Ok(Expectation::Contains(bytes))
    }

    pub fn regex(text: &str) -> Result<Expectation, String> {
        Regex::new(text)
            .map(Expectation::Regex)
            // regex errors are multi-line with a caret diagram; the last line says why.
            .map_err(|err| {
                let text = err.to_string();
                let why = text
                    .lines()
                    .rev()
                    .find(|line| !line.trim().is_empty())
                    .unwrap_or("invalid");
                format!("invalid regular expression: {}", why.trim())
            })
    }

    pub fn matches(&self, answer: &[u8]) -> bool {
        match self {
            Expectation::Contains(needle) => answer
                .windows(needle.len())
                .any(|window| window == needle.as_slice()),
            Expectation::Regex(re) => re.is_match(answer),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn unescapes_the_documented_escapes() {
        assert_eq!(unescape("Hello, world").unwrap(), b"Hello, world");
        assert_eq!(unescape(r"a\nb\r\n\t\\").unwrap(), b"a\nb\r\n\t\\");
        assert_eq!(unescape(r"\x00\xff\x41\0").unwrap(), b"\x00\xff\x41\x00");
        assert_eq!(unescape("é").unwrap(), "é".as_bytes());
        assert_eq!(unescape("").unwrap(), b"");
    }

    #[test]
    fn rejects_bad_escapes() {
        for bad in [
            r"\", r"abc\", r"\q", r"\x", r"\x1", r"\xg0", r"\x+1", r"\xé1",
        ] {
            assert!(unescape(bad).is_err(), "{bad} should be rejected");
        }
    }

    #[test]
    fn expectations_match_anywhere_in_the_answer() {
        let welcome = Expectation::contains("welcome alice").unwrap();
        assert!(welcome.matches(b"welcome alice\n"));
        assert!(!welcome.matches(b"welcome bob\n"));
        assert!(!welcome.matches(b""));
        let status = Expectation::regex(r"^HTTP/1\.[01] 200").unwrap();
        assert!(status.matches(b"HTTP/1.0 200 OK\r\n"));
        assert!(!status.matches(b"HTTP/1.0 404 Not Found\r\n"));
        let binary = Expectation::contains(r"\x00\x01").unwrap();
        assert!(binary.matches(b"ab\x00\x01cd"));
    }

    #[test]
    fn bad_expectations_are_one_line_errors() {
        let err = Expectation::regex("a(b").unwrap_err();
        assert!(err.starts_with("invalid regular expression"), "{err}");
        assert!(!err.contains('\n'));
        assert!(Expectation::contains("").is_err());
        assert!(Expectation::contains(r"\z").is_err());
    }
}
