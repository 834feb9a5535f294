//! Reading name files (`resolve -f`, `ping --file`) a bounded line at a time.
//!
//! `BufRead::read_until` and `lines()` grow their buffer until a newline comes, so a
//! file without one (`/dev/zero`) takes all memory. A line of a name file holds one name
//! (at most 253 bytes) and perhaps a comment: [`MAX_LINE`] bytes are plenty, and a longer
//! line is an error naming its line number, found after reading at most that much.

use std::io::{self, BufRead};

/// Longest line of a name file, its newline included.
pub const MAX_LINE: usize = 4096;

/// One line read by [`read_line`].
#[derive(Debug, PartialEq, Eq)]
pub enum Line {
    /// A line (its newline kept, as `read_until` keeps it) is in the buffer.
    Read,
    /// The input ended.
    End,
    /// The line is longer than the limit; the input is left mid-line.
    TooLong,
}

/// Reads one line into `line` (cleared first), holding at most `max` bytes of it.
pub fn read_line(reader: &mut impl BufRead, line: &mut Vec<u8>, max: usize) -> io::Result<Line> {
    line.clear();
    loop {
        let available = match reader.fill_buf() {
            Ok(bytes) => bytes,
            Err(err) if err.kind() == io::ErrorKind::Interrupted => continue,
            Err(err) => return Err(err),
        };
        if available.is_empty() {
            return Ok(if line.is_empty() {
                Line::End
            } else {
                Line::Read
            });
        }
        let (take, done) = match available.iter().position(|&b| b == b'\n') {
            Some(nl) => (nl + 1, true),
            None => (available.len(), false),
        };
        if line.len() + take > max {
            return Ok(Line::TooLong);
        }
        line.extend_from_slice(&available[..take]);
        reader.consume(take);
        if done {
            return Ok(Line::Read);
        }
    }
}

/// The error for a line past [`MAX_LINE`]: `line N is longer than 4096 bytes`.
pub fn too_long(number: usize) -> String {
    format!("line {number} is longer than {MAX_LINE} bytes (one name per line)")
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn lines_are_read_whole_up_to_the_limit() {
        let mut input: &[u8] = b"one\ntwo\r\nlast";
        let mut line = Vec::new();
        assert_eq!(read_line(&mut input, &mut line, 8).unwrap(), Line::Read);
        assert_eq!(line, b"one\n");
        assert_eq!(read_line(&mut input, &mut line, 8).unwrap(), Line::Read);
        assert_eq!(line, b"two\r\n");
        assert_eq!(read_line(&mut input, &mut line, 8).unwrap(), Line::Read);
        assert_eq!(line, b"last");
        assert_eq!(read_line(&mut input, &mut line, 8).unwrap(), Line::End);
    }

    #[test]
    fn a_line_past_the_limit_is_refused_without_reading_on() {
        // 8 bytes with the newline fit; 9 do not.
        let mut input: &[u8] = b"1234567\n12345678\n";
        let mut line = Vec::new();
        assert_eq!(read_line(&mut input, &mut line, 8).unwrap(), Line::Read);
        assert_eq!(read_line(&mut input, &mut line, 8).unwrap(), Line::TooLong);
        assert!(line.len() <= 8);
        // An endless line (as /dev/zero) stops at the limit.
        let mut zeros = std::io::BufReader::with_capacity(3, std::io::repeat(0));
        assert_eq!(read_line(&mut zeros, &mut line, 10).unwrap(), Line::TooLong);
        assert!(line.len() <= 10);
    }
}
