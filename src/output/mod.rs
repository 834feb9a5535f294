//! Everything netlab writes: tables for people, one JSON document for scripts, and
//! diagnostics on stderr.
//!
//! stdout is written only through [`Stdout`], which turns a broken pipe into a quiet,
//! successful exit (`netlab resolve -f names | head -1` must not print an error), the way
//! ripgrep does. Rows that arrive over time go through [`RowPrinter`], which renders each
//! row with fixed column widths so live rows line up without knowing the rows to come.
//!
//! With `--format markdown` the same two doors write GitHub-flavoured markdown instead
//! ([`markdown`]): commands build one table model and never know which way it is shown.

use std::io::{self, IsTerminal, Write};

use comfy_table::presets::NOTHING;
use comfy_table::{Cell, CellAlignment, ColumnConstraint, Table, Width};
use serde::Serialize;

pub mod atlas;
pub mod markdown;

/// How results are shown: the values of the one `--format` switch (`cli::OutputArgs`).
#[derive(Debug, Clone, Copy, PartialEq, Eq, clap::ValueEnum)]
pub enum Format {
    /// Aligned tables and rows for people
    Table,
    /// One JSON document on stdout when the command ends
    Json,
    /// The tables as GitHub-flavoured markdown, below the command line and the time
    Markdown,
    /// RIPE Atlas measurement results (ping, trace, resolve), a JSON array
    Atlas,
    /// Comma-separated values with a header row (trace -c and --watch only)
    Csv,
}

impl Format {
    /// The value as `--format` spells it.
    pub fn name(self) -> &'static str {
        match self {
            Format::Table => "table",
            Format::Json => "json",
            Format::Markdown => "markdown",
            Format::Atlas => "atlas",
            Format::Csv => "csv",
        }
    }

    /// Whether the command prints its tables and rows (as text or as markdown: one table
    /// model, rendered by [`Stdout`]), rather than a document of its own.
    pub fn shows_tables(self) -> bool {
        match self {
            Format::Table | Format::Markdown => true,
            Format::Json | Format::Atlas | Format::Csv => false,
        }
    }
}

/// Environment variable: a file that also gets the `--json` document of a run printed in
/// another format (see [`Stdout::also_json`]).
pub const ALSO_JSON: &str = "NETLAB_ALSO_JSON";

/// The only door to stdout.
pub struct Stdout;

impl Stdout {
    /// Writes one line of text (with `--format markdown`, one paragraph per line).
    pub fn line(text: &str) {
        if markdown::active() {
            let mut lines = Vec::new();
            for line in text.split('\n') {
                lines.extend(markdown::page_text(line));
            }
            Stdout::lines(&lines);
        } else {
            Stdout::raw(text);
        }
    }

    fn lines(lines: &[String]) {
        for line in lines {
            Stdout::raw(line);
        }
    }

    /// Writes one line as it is; a closed pipe ends the process quietly with status 0,
    /// since the reader has all it asked for.
    fn raw(text: &str) {
        let mut out = io::stdout().lock();
        let result = out
            .write_all(text.as_bytes())
            .and_then(|()| out.write_all(b"\n"))
            .and_then(|()| out.flush());
        if let Err(err) = result {
            exit_on_write_error(err);
        }
    }

    /// Writes `text` as it is (no newline), flushed: ping's flood dots.
    pub fn unterminated(text: &str) {
        let mut out = io::stdout().lock();
        if let Err(err) = out.write_all(text.as_bytes()).and_then(|()| out.flush()) {
            exit_on_write_error(err);
        }
    }

    /// Writes the command's one JSON document.
    pub fn json<T: Serialize>(value: &T) {
        match serde_json::to_string_pretty(value) {
            Ok(text) => Stdout::raw(&text),
            Err(err) => {
                eprintln!("netlab: writing JSON output: {err}");
                std::process::exit(crate::error::Exit::Failed.code());
            }
        }
    }

    /// Writes one compact JSON object on one line: a line of an NDJSON stream.
    pub fn json_line<T: Serialize>(value: &T) {
        match serde_json::to_string(value) {
            Ok(text) => Stdout::raw(&text),
            Err(err) => warn(&format!("writing JSON output: {err}")),
        }
    }

    /// Writes the `--json` document to the file named by [`ALSO_JSON`], when it is set:
    /// the test suite compares another format with the JSON of the same run this way.
    pub fn also_json<T: Serialize>(value: &T) {
        let Some(path) = std::env::var_os(ALSO_JSON) else {
            return;
        };
        let written = serde_json::to_vec_pretty(value)
            .map_err(io::Error::other)
            .and_then(|bytes| std::fs::write(&path, bytes));
        if let Err(err) = written {
            let shown = std::path::Path::new(&path).display().to_string();
            warn(&format!(
                "writing the JSON copy to {shown} ({ALSO_JSON}): {err}"
            ));
        }
    }

    /// Writes a finished table.
    pub fn table(table: &Table) {
        if markdown::active() {
            Stdout::lines(&markdown::page_table(table));
        } else {
            Stdout::raw(&trim_lines(&table.to_string()));
        }
    }
}

/// comfy-table pads every cell, so lines end in spaces; nobody wants those in a pipe.
fn trim_lines(text: &str) -> String {
    text.trim_end()
        .lines()
        .map(str::trim_end)
        .collect::<Vec<_>>()
        .join("\n")
}

fn exit_on_write_error(err: io::Error) -> ! {
    if err.kind() == io::ErrorKind::BrokenPipe {
        std::process::exit(0);
    }
    eprintln!("netlab: writing to stdout: {err}");
    std::process::exit(crate::error::Exit::Failed.code());
}

/// A warning or progress line on stderr (never on stdout).
pub fn warn(text: &str) {
    let mut err = io::stderr().lock();
    let _ = writeln!(err, "netlab: warning: {text}");
}

/// An explanation on stderr that is neither a warning nor an error (how an input was
/// read, for instance).
pub fn note(text: &str) {
    let mut err = io::stderr().lock();
    let _ = writeln!(err, "netlab: note: {text}");
}

/// Colour only on a terminal and never with NO_COLOR set (CONVENTIONS.md "Output").
pub fn stderr_wants_color() -> bool {
    std::env::var_os("NO_COLOR").is_none() && io::stderr().is_terminal()
}

/// Whether a progress bar may be drawn (stderr is a terminal).
pub fn stderr_is_terminal() -> bool {
    io::stderr().is_terminal()
}

/// A plain table with a header, used for summaries and other finished results.
pub fn table(header: &[&str]) -> Table {
    let mut table = Table::new();
    table.load_style(NOTHING);
    table.force_no_tty();
    table.set_header(header.iter().map(Cell::new).collect::<Vec<_>>());
    table
}

/// One column of a live table.
#[derive(Debug, Clone, Copy)]
pub struct Column {
    pub title: &'static str,
    pub width: u16,
    pub align: CellAlignment,
}

impl Column {
    pub const fn left(title: &'static str, width: u16) -> Column {
        Column {
            title,
            width,
            align: CellAlignment::Left,
        }
    }

    pub const fn right(title: &'static str, width: u16) -> Column {
        Column {
            title,
            width,
            align: CellAlignment::Right,
        }
    }
}

/// Prints rows as they arrive, aligned under a header printed with the first row.
pub struct RowPrinter {
    columns: Vec<Column>,
    header_done: bool,
    /// Which table its rows are, for markdown (a header again after other output).
    id: u64,
}

impl RowPrinter {
    pub fn new(columns: &[Column]) -> RowPrinter {
        RowPrinter {
            columns: columns.to_vec(),
            header_done: false,
            id: markdown::table_id(),
        }
    }

    /// Renders one row (without writing it): fixed widths, long cells wrap in place.
    pub fn render(&self, cells: &[String]) -> String {
        let mut table = Table::new();
        table.load_style(NOTHING);
        table.force_no_tty();
        table.add_row(
            cells
                .iter()
                .zip(&self.columns)
                .map(|(text, col)| Cell::new(text).set_alignment(col.align))
                .collect::<Vec<_>>(),
        );
        // After add_row: comfy-table ignores constraints for columns that do not exist yet.
        table.set_constraints(
            self.columns
                .iter()
                .map(|c| ColumnConstraint::Absolute(Width::Fixed(c.width + 2))),
        );
        trim_lines(&table.to_string())
    }

    pub fn header(&self) -> String {
        let titles: Vec<String> = self.columns.iter().map(|c| c.title.to_string()).collect();
        self.render(&titles)
    }

    /// Writes the header once, then the row.
    pub fn print(&mut self, cells: &[String]) {
        if markdown::active() {
            let titles: Vec<String> = self.columns.iter().map(|c| c.title.to_string()).collect();
            let aligns: Vec<CellAlignment> = self.columns.iter().map(|c| c.align).collect();
            Stdout::lines(&markdown::page_row(self.id, &titles, &aligns, cells));
            return;
        }
        if !self.header_done {
            self.header_done = true;
            Stdout::raw(&self.header());
        }
        Stdout::raw(&self.render(cells));
    }
}

/// Milliseconds with microsecond precision, as ping prints them.
pub fn ms(duration: std::time::Duration) -> f64 {
    (duration.as_secs_f64() * 1_000_000.0).round() / 1000.0
}

/// Shows bytes from the network safely: printable ASCII as is, everything else escaped
/// (`\n`, `\r`, `\t`, `\\`, `\xNN`).
pub fn escape_bytes(bytes: &[u8]) -> String {
    let mut text = String::with_capacity(bytes.len());
    for &b in bytes {
        match b {
            b'\n' => text.push_str("\\n"),
            b'\r' => text.push_str("\\r"),
            b'\t' => text.push_str("\\t"),
            b'\\' => text.push_str("\\\\"),
            0x20..=0x7e => text.push(b as char),
            _ => text.push_str(&format!("\\x{b:02x}")),
        }
    }
    text
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn live_rows_line_up_with_their_header() {
        let printer = RowPrinter::new(&[
            Column::left("name", 10),
            Column::right("ms", 8),
            Column::left("end", 3),
        ]);
        let header = printer.header();
        let short = printer.render(&["a".into(), "1.250".into(), "x".into()]);
        let long = printer.render(&["abcdefghij".into(), "12345.125".into(), "y".into()]);
        // Every row puts its last column where the header does, whatever the cell widths.
        assert_eq!(header.find("end"), short.find('x'), "{header}\n{short}");
        assert_eq!(header.find("end"), long.find('y'), "{header}\n{long}");
        // Right-aligned numbers end under the end of their title.
        assert_eq!(
            header.find("ms").map(|i| i + 2),
            short.find("1.250").map(|i| i + 5)
        );
    }

    #[test]
    fn finished_tables_have_no_trailing_spaces() {
        let mut t = table(&["a", "longer header"]);
        t.add_row(vec!["x", "y"]);
        let text = trim_lines(&t.to_string());
        assert!(text.lines().all(|l| l == l.trim_end()), "{text:?}");
        assert_eq!(text.lines().count(), 2);
    }

    #[test]
    fn escapes_unprintable_bytes() {
        assert_eq!(escape_bytes(b"hi\r\n\x00\xff\\"), "hi\\r\\n\\x00\\xff\\\\");
    }

    #[test]
    fn milliseconds_keep_microseconds() {
        assert_eq!(ms(std::time::Duration::from_nanos(1_234_567)), 1.235);
    }
}
