//! The pieces of a line chat that both ends share: `serve --chat` and
//! `connect --interactive` read the lines a person types, end a conversation on `bye`, and
//! print what the peer sent without letting it drive the terminal.
//!
//! Here, below both commands, so neither reaches into the other for them (seed lab 002 is
//! one conversation seen from two sides: the rules must be the same on each).

use std::io::BufRead;

use tokio::sync::mpsc;

/// Lines typed on stdin (chat, in `serve --chat` and in `connect --interactive`), line
/// endings stripped. A plain thread, not tokio's stdin: a read blocked on a terminal must
/// not keep the runtime from shutting down.
pub(crate) fn stdin_lines() -> mpsc::Receiver<Vec<u8>> {
    let (tx, rx) = mpsc::channel(64);
    std::thread::spawn(move || {
        let mut stdin = std::io::stdin().lock();
        loop {
            let mut line = Vec::new();
            match stdin.read_until(b'\n', &mut line) {
                Ok(0) | Err(_) => return,
                Ok(_) => {
                    let text = strip_line_ending(&line).to_vec();
                    if tx.blocking_send(text).is_err() {
                        return;
                    }
                }
            }
        }
    });
    rx
}

/// Strips one line ending (`\n` or `\r\n`) from a complete line.
pub fn strip_line_ending(line: &[u8]) -> &[u8] {
    let line = line.strip_suffix(b"\n").unwrap_or(line);
    line.strip_suffix(b"\r").unwrap_or(line)
}

/// Whether a line is the chat's `bye` (any case, surrounding spaces ignored).
pub fn is_bye(line: &[u8]) -> bool {
    String::from_utf8_lossy(line)
        .trim()
        .eq_ignore_ascii_case("bye")
}

/// A line from the network made safe for a terminal: UTF-8 as is (invalid bytes become
/// U+FFFD), tabs kept, every other control character escaped (`\x1b`), so a peer cannot
/// move the cursor or change colours.
pub fn printable(line: &[u8]) -> String {
    let text = String::from_utf8_lossy(line);
    let mut out = String::with_capacity(text.len());
    for c in text.chars() {
        if c == '\t' || !c.is_control() {
            out.push(c);
        } else {
            out.push_str(&format!("\\x{:02x}", c as u32));
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn printable_escapes_terminal_controls() {
        assert_eq!(
            printable(b"hi\tthere\x1b[31m\xff"),
            "hi\tthere\\x1b[31m\u{fffd}"
        );
        // C1 controls are control characters too (U+0085 NEL).
        assert_eq!(printable("h\u{e9}\u{85}".as_bytes()), "h\u{e9}\\x85");
    }

    #[test]
    fn bye_is_a_whole_line_in_any_case() {
        assert!(is_bye(b"bye"));
        assert!(is_bye(b" BYE "));
        assert!(!is_bye(b"bye now"));
        assert!(!is_bye(b"goodbye"));
    }
}
