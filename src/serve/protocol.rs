//! What the server says: the modes' answers, the `--reply` template, and the framing of a
//! byte stream into lines. Pure functions, no sockets, so every rule is unit-tested.

use std::net::SocketAddr;

use crate::chat::strip_line_ending;

/// A `--reply` template, parsed once at start-up.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Template {
    parts: Vec<Part>,
}

#[derive(Debug, Clone, PartialEq, Eq)]
enum Part {
    Text(Vec<u8>),
    Line,
    Peer,
}

impl Template {
    /// Parses `welcome {line}`: placeholders `{line}` and `{peer}`, `{{` and `}}` for
    /// literal braces, and the escapes of [`unescape`].
    pub fn parse(text: &str) -> Result<Template, String> {
        let mut parts = Vec::new();
        let mut literal = String::new();
        let mut rest = text;
        while let Some(c) = rest.chars().next() {
            if let Some(after) = rest.strip_prefix("{{") {
                literal.push('{');
                rest = after;
            } else if let Some(after) = rest.strip_prefix("}}") {
                literal.push('}');
                rest = after;
            } else if c == '{' {
                let close = rest
                    .find('}')
                    .ok_or_else(|| "'{' without '}' (write {{ for a literal brace)".to_string())?;
                let name = &rest[1..close];
                let part = match name {
                    "line" => Part::Line,
                    "peer" => Part::Peer,
                    other => {
                        return Err(format!(
                            "unknown placeholder {{{other}}} (use {{line}} or {{peer}}; {{{{ and }}}} for literal braces)"
                        ))
                    }
                };
                if !literal.is_empty() {
                    parts.push(Part::Text(unescape(&std::mem::take(&mut literal))?));
                }
                parts.push(part);
                rest = &rest[close + 1..];
            } else if c == '}' {
                return Err("'}' without '{' (write }} for a literal brace)".into());
            } else {
                literal.push(c);
                rest = &rest[c.len_utf8()..];
            }
        }
        if !literal.is_empty() {
            parts.push(Part::Text(unescape(&literal)?));
        }
        Ok(Template { parts })
    }

    /// The answer to one line (given without its line ending), newline-terminated.
    pub fn render(&self, line: &[u8], peer: SocketAddr) -> Vec<u8> {
        let mut out = Vec::with_capacity(line.len() + 32);
        for part in &self.parts {
            match part {
                Part::Text(bytes) => out.extend_from_slice(bytes),
                Part::Line => out.extend_from_slice(line),
                Part::Peer => out.extend_from_slice(peer.to_string().as_bytes()),
            }
        }
        out.push(b'\n');
        out
    }
}

/// The escapes `connect --send` takes, for `--banner` and `--reply`: `\n`, `\r`, `\t`,
/// `\\` and `\xNN`.
pub fn unescape(text: &str) -> Result<Vec<u8>, String> {
    let mut out = Vec::with_capacity(text.len());
    let mut chars = text.chars();
    while let Some(c) = chars.next() {
        if c != '\\' {
            let mut buf = [0u8; 4];
            out.extend_from_slice(c.encode_utf8(&mut buf).as_bytes());
            continue;
        }
        match chars.next() {
            Some('n') => out.push(b'\n'),
            Some('r') => out.push(b'\r'),
            Some('t') => out.push(b'\t'),
            Some('\\') => out.push(b'\\'),
            Some('x') => {
                let hex: String = chars.by_ref().take(2).collect();
                let byte = (hex.len() == 2)
                    .then(|| u8::from_str_radix(&hex, 16).ok())
                    .flatten()
                    .ok_or_else(|| format!("'\\x{hex}' is not \\x followed by two hex digits"))?;
                out.push(byte);
            }
            Some(other) => {
                return Err(format!(
                    "unknown escape '\\{other}' (use \\n, \\r, \\t, \\\\ or \\xNN)"
                ))
            }
            None => return Err("a lone '\\' at the end (write \\\\ for a backslash)".into()),
        }
    }
    Ok(out)
}

/// `--words`: the line's unique words in first-seen order and its length in characters.
///
/// A word is a maximal run of non-whitespace (Unicode `White_Space`), compared exactly
/// (case and punctuation kept: `Hello,` is one word). The length counts the Unicode scalar
/// values of the line without its line ending; bytes that are not UTF-8 count one each
/// (they are shown as U+FFFD).
pub fn words_answer(line: &[u8]) -> Vec<u8> {
    let text = String::from_utf8_lossy(line);
    let mut unique: Vec<&str> = Vec::new();
    for word in text.split_whitespace() {
        if !unique.contains(&word) {
            unique.push(word);
        }
    }
    format!(
        "unique words: {} | length: {}\n",
        unique.join(" "),
        text.chars().count()
    )
    .into_bytes()
}

/// Splits a byte stream into lines of at most `max` bytes (line ending included).
#[derive(Debug)]
pub struct Lines {
    pending: Vec<u8>,
    max: usize,
}

/// What the framer found.
#[derive(Debug, PartialEq, Eq)]
pub enum Framed {
    /// A line, without its line ending.
    Line(Vec<u8>),
    /// The pending bytes exceed the limit without a newline.
    TooLong,
}

impl Lines {
    pub fn new(max: usize) -> Lines {
        Lines {
            pending: Vec::new(),
            max,
        }
    }

    /// Adds bytes read from the peer; returns the complete lines, then `TooLong` if what
    /// is left cannot become a line within the limit.
    pub fn push(&mut self, bytes: &[u8]) -> Vec<Framed> {
        let mut out = Vec::new();
        let mut rest = bytes;
        while let Some(nl) = rest.iter().position(|&b| b == b'\n') {
            if self.pending.len() + nl + 1 > self.max {
                out.push(Framed::TooLong);
                return out;
            }
            self.pending.extend_from_slice(&rest[..=nl]);
            let line = std::mem::take(&mut self.pending);
            out.push(Framed::Line(strip_line_ending(&line).to_vec()));
            rest = &rest[nl + 1..];
        }
        if self.pending.len() + rest.len() >= self.max {
            out.push(Framed::TooLong);
            return out;
        }
        self.pending.extend_from_slice(rest);
        out
    }

    /// Whether bytes of an unfinished line are waiting.
    pub fn has_partial(&self) -> bool {
        !self.pending.is_empty()
    }

    /// The unfinished line, as a line of its own (at end of input, or after the peer has
    /// been quiet for a while).
    pub fn take_partial(&mut self) -> Option<Vec<u8>> {
        if self.pending.is_empty() {
            return None;
        }
        let line = std::mem::take(&mut self.pending);
        Some(strip_line_ending(&line).to_vec())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn peer() -> SocketAddr {
        "198.18.0.1:40000".parse().unwrap()
    }

    #[test]
    fn template_fills_line_and_peer() {
        let t = Template::parse("welcome {line} from {peer}").unwrap();
        assert_eq!(
            t.render(b"Rafatul", peer()),
            b"welcome Rafatul from 198.18.0.1:40000\n"
        );
        let t = Template::parse("{{literal}} {line}\\t!").unwrap();
        assert_eq!(t.render(b"x", peer()), b"{literal} x\t!\n");
        let v6: SocketAddr = "[fd4e::1]:5".parse().unwrap();
        assert_eq!(
            Template::parse("{peer}").unwrap().render(b"", v6),
            b"[fd4e::1]:5\n"
        );
    }

    #[test]
    fn template_rejects_what_it_cannot_mean() {
        assert_eq!(
            Template::parse("hi {name}").unwrap_err(),
            "unknown placeholder {name} (use {line} or {peer}; {{ and }} for literal braces)"
        );
        assert!(Template::parse("hi {line")
            .unwrap_err()
            .contains("without '}'"));
        assert!(Template::parse("hi }").unwrap_err().contains("without '{'"));
        assert!(Template::parse("bad \\q")
            .unwrap_err()
            .contains("unknown escape"));
        assert!(Template::parse("bad \\x4")
            .unwrap_err()
            .contains("two hex digits"));
        assert!(Template::parse("end \\").unwrap_err().contains("lone"));
    }

    #[test]
    fn unescape_knows_the_connect_escapes() {
        assert_eq!(
            unescape("a\\nb\\r\\t\\\\\\x41é").unwrap(),
            "a\nb\r\t\\Aé".as_bytes()
        );
    }

    #[test]
    fn words_are_unique_in_first_seen_order_with_the_length_in_characters() {
        // Seed lab report 003: the message "Hello, world".
        assert_eq!(
            words_answer(b"Hello, world"),
            b"unique words: Hello, world | length: 12\n"
        );
        assert_eq!(
            words_answer(b"the cat and the hat and  the\tcat"),
            b"unique words: the cat and hat | length: 32\n"
        );
        // Characters, not bytes: "héllo wörld" is 11 characters in 13 bytes.
        assert_eq!(
            words_answer("héllo wörld héllo".as_bytes()),
            "unique words: héllo wörld | length: 17\n".as_bytes()
        );
        // Case and punctuation are part of a word.
        assert_eq!(
            words_answer(b"Bye bye bye!"),
            b"unique words: Bye bye bye! | length: 12\n"
        );
        assert_eq!(words_answer(b""), b"unique words:  | length: 0\n");
        // Invalid UTF-8 counts one character per bad byte.
        assert_eq!(
            words_answer(b"a\xff"),
            "unique words: a\u{fffd} | length: 2\n".as_bytes()
        );
    }

    #[test]
    fn lines_split_across_reads_and_strip_crlf() {
        let mut lines = Lines::new(16);
        assert_eq!(lines.push(b"hel"), vec![]);
        assert_eq!(
            lines.push(b"lo\r\nworld\npart"),
            vec![
                Framed::Line(b"hello".to_vec()),
                Framed::Line(b"world".to_vec())
            ]
        );
        assert!(lines.has_partial());
        assert_eq!(lines.take_partial(), Some(b"part".to_vec()));
        assert_eq!(lines.take_partial(), None);
    }

    #[test]
    fn a_line_longer_than_the_limit_is_too_long() {
        // 16 bytes with its newline fits; 17 does not.
        let mut lines = Lines::new(16);
        assert_eq!(
            lines.push(b"123456789012345\n"),
            vec![Framed::Line(b"123456789012345".to_vec())]
        );
        assert_eq!(lines.push(b"1234567890123456\n"), vec![Framed::TooLong]);
        let mut lines = Lines::new(16);
        assert_eq!(lines.push(b"12345678"), vec![]);
        assert_eq!(lines.push(b"12345678"), vec![Framed::TooLong]);
        let mut lines = Lines::new(16);
        assert_eq!(
            lines.push(b"ok\n12345678901234567"),
            vec![Framed::Line(b"ok".to_vec()), Framed::TooLong]
        );
    }
}
