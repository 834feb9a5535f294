//! `--file FILE` of `ping` and `connect`: target lines (hosts, addresses, ranges), one
//! reader for both so the two commands take the same files.
//!
//! Lines are read a bounded line at a time ([`crate::lines`]: `/dev/zero` is an error, not
//! all memory), at most `max` of them (an endless `yes host | netlab ping --file -` stops
//! at `--max-targets`; ranges are counted when expanded by
//! [`super::expand_destinations`]). Each line is checked as it is read, so a bad one is
//! refused naming its line number, before anything is sent.

use std::io::{BufRead, BufReader};
use std::path::Path;

use super::{AddrRange, PortSuffix, Target};
use crate::error::Failure;
use crate::lines::{read_line, too_long, Line, MAX_LINE};

/// The targets of a command line (`texts`) followed by those of `--file` if one is given.
pub fn with_file(
    texts: &[String],
    file: Option<&Path>,
    max: usize,
    ports: PortSuffix,
) -> Result<Vec<String>, Failure> {
    let mut all = texts.to_vec();
    if let Some(path) = file {
        all.extend(read_target_file(path, max, ports)?);
    }
    Ok(all)
}

/// The target lines of `path` (`-` for stdin), comments (`#`) and blank lines left out.
pub fn read_target_file(
    path: &Path,
    max: usize,
    ports: PortSuffix,
) -> Result<Vec<String>, Failure> {
    let shown = path.display().to_string();
    let what = format!("reading targets from {shown}");
    let reader: Box<dyn BufRead> = if shown == "-" {
        Box::new(BufReader::new(std::io::stdin()))
    } else {
        let file = std::fs::File::open(path).map_err(|e| Failure::new(&what, e))?;
        Box::new(BufReader::new(file))
    };
    read_targets(reader, &what, max, ports)
}

fn read_targets(
    mut reader: impl BufRead,
    what: &str,
    max: usize,
    ports: PortSuffix,
) -> Result<Vec<String>, Failure> {
    let mut out = Vec::new();
    let mut buffer = Vec::new();
    for number in 1.. {
        match read_line(&mut reader, &mut buffer, MAX_LINE).map_err(|e| Failure::new(what, e))? {
            Line::End => break,
            Line::TooLong => return Err(Failure::usage(what, too_long(number))),
            Line::Read => {}
        }
        let line = std::str::from_utf8(&buffer)
            .map_err(|_| Failure::usage(what, format!("line {number} is not UTF-8 text")))?;
        let line = line.split('#').next().unwrap_or("").trim();
        if line.is_empty() {
            continue;
        }
        if out.len() == max {
            return Err(Failure::usage(
                what,
                format!("more than --max-targets {max} targets (line {number})"),
            ));
        }
        check_line(line, ports).map_err(|why| {
            // Most parse errors quote the text already; quote it only when they do not.
            let why = match why.contains(line) {
                true => why,
                false => format!("'{line}': {why}"),
            };
            Failure::usage(what, format!("line {number}: {why}"))
        })?;
        out.push(line.to_string());
    }
    Ok(out)
}

/// A line is a range or one destination; [`super::expand_destinations`] parses it again
/// (a line costs a parse twice, which is cheap next to the probe it asks for).
fn check_line(line: &str, ports: PortSuffix) -> Result<(), String> {
    if AddrRange::parse(line)?.is_none() {
        Target::parse_destination(line, ports)?;
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    fn read(text: &str, max: usize, ports: PortSuffix) -> Result<Vec<String>, String> {
        read_targets(text.as_bytes(), "reading targets from f", max, ports)
            .map_err(|f| f.to_string())
    }

    #[test]
    fn ranges_hosts_and_comments_are_read() {
        let got = read(
            "127.0.0.1-3 # a range\n\n  localhost:80\n10.0.0.0/30\n",
            10,
            PortSuffix::Allowed,
        );
        assert_eq!(got.unwrap(), ["127.0.0.1-3", "localhost:80", "10.0.0.0/30"]);
    }

    #[test]
    fn a_bad_line_is_named_by_its_number() {
        let err = read("127.0.0.1\n# c\n1.2.3.999\n", 10, PortSuffix::Forbidden).unwrap_err();
        assert!(err.contains("line 3: '1.2.3.999'"), "{err}");
        let err = read("127.0.0.1:99999\n", 10, PortSuffix::Allowed).unwrap_err();
        assert!(err.contains("line 1: ") && err.contains("99999"), "{err}");
        let err = read("\n10.0.0.0/33\n", 10, PortSuffix::Allowed).unwrap_err();
        assert!(err.contains("line 2: '10.0.0.0/33': an IPv4"), "{err}");
    }

    #[test]
    fn more_lines_than_the_limit_are_refused() {
        let err = read("a\nb\nc\n", 2, PortSuffix::Forbidden).unwrap_err();
        assert!(
            err.contains("more than --max-targets 2 targets (line 3)"),
            "{err}"
        );
    }
}
