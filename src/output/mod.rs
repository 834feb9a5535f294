//! Everything netlab writes: tables for people, one JSON document for scripts, and
//! diagnostics on stderr.
//!
//! stdout is written only through [`Stdout`], a value `app` makes once and hands to the
//! command (with `--format markdown` it carries the page, so no global decides how lines
//! look). Nothing here ends the process: the first failed write is kept in the door,
//! every later write is skipped, long-running loops stop once [`Stdout::stopped`] says
//! so, and `app` takes the error back with [`Stdout::failure`] and maps it, as ripgrep's
//! `main` does (a broken pipe is a quiet success: `netlab resolve -f names | head -1`
//! must not print an error). Each format has its own file here, as ripgrep's printers and trippy's
//! `report/` do, so adding one touches this folder and the one match in `Format`:
//! - [`table`]: finished tables and [`RowPrinter`], which renders rows that arrive over
//!   time with fixed column widths, so live rows line up without knowing the rows to come;
//! - [`markdown`]: the same two table models as GitHub-flavoured markdown, so commands
//!   build one table model and never know which way it is shown;
//! - [`json`]: the one JSON document, and NDJSON lines for the streams;
//! - [`csv`]: rows with a header, quoted by the `csv` crate;
//! - [`atlas`]: the header every RIPE Atlas result shares (each command maps its own
//!   records in its `atlas.rs`).

use std::io::{self, IsTerminal, Write};
use std::sync::{Arc, Mutex};

pub mod atlas;
pub mod csv;
pub mod json;
pub mod markdown;
pub mod table;

pub use table::{table, Column, RowPrinter};

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

/// The only door to stdout. A value, handed down from `app` to every printer: it
/// carries the run (for `check --report`) and, with `--format markdown`, the page the
/// lines are written into. Clones share the page (serve's connections print through
/// their own clones).
#[derive(Debug, Clone)]
pub struct Stdout {
    run: Arc<markdown::Run>,
    page: Option<Arc<Mutex<markdown::Page>>>,
    /// The first write that failed (shared by the clones): once it is set, nothing more
    /// is written, so no command goes on printing half a result after the reader left.
    failed: Arc<Mutex<Option<WriteFailure>>>,
    /// Writes go here; stdout but in the tests of this module.
    sink: fn() -> Box<dyn Write>,
    /// Whether the sink's reader has gone without a write to tell (a pipe whose reader
    /// exited): `net::stdio::stdout_reader_gone` but in the tests of this module.
    reader_gone: fn() -> bool,
}

impl Stdout {
    /// The door for `run`, writing `format` (markdown makes it a page).
    pub fn new(run: markdown::Run, format: Format) -> Stdout {
        let page = (format == Format::Markdown)
            .then(|| Arc::new(Mutex::new(markdown::Page::new(run.clone()))));
        Stdout {
            run: Arc::new(run),
            page,
            failed: Arc::default(),
            sink: || Box::new(io::stdout().lock()),
            reader_gone: crate::net::stdio::stdout_reader_gone,
        }
    }

    /// A door that writes lines as they are (help, completions).
    pub fn plain() -> Stdout {
        Stdout::new(markdown::Run::new(&[]), Format::Table)
    }

    /// A plain door for tests.
    #[cfg(test)]
    pub(crate) fn for_tests() -> Stdout {
        Stdout::plain()
    }

    /// Whether a write has failed, or stdout is a pipe whose reader has gone (or the
    /// disk is full), so a command that runs until stopped stops now, as SIGINT would
    /// stop it. The reader is looked for, not only a failed write waited for: `trace -c
    /// 100 host | head -1` prints its table only at the end, and would otherwise probe
    /// for minutes for nobody. A reader found gone counts as a write that failed with a
    /// closed pipe (nothing more is written; `app` makes it a quiet exit 0).
    pub fn stopped(&self) -> bool {
        let mut failed = self.failed_write();
        if failed.is_none() && (self.reader_gone)() {
            *failed = Some(WriteFailure {
                what: "writing to stdout",
                err: io::ErrorKind::BrokenPipe.into(),
            });
        }
        failed.is_some()
    }

    /// The first write that failed, taken back (`app` maps it to the exit status: a
    /// closed pipe is a quiet success, anything else one line and exit 2).
    pub fn failure(&self) -> Option<WriteFailure> {
        self.failed_write().take()
    }

    /// Completes once a write has failed (see [`Stdout::stopped`]), for loops that
    /// otherwise wait on sockets and signals only (`serve`, `connect`'s scans). Writes
    /// happen on any thread and never wait, so a look every 50 ms is enough and simpler
    /// than a notifier every write would have to wake.
    pub async fn closed(&self) {
        while !self.stopped() {
            tokio::time::sleep(std::time::Duration::from_millis(50)).await;
        }
    }

    fn failed_write(&self) -> std::sync::MutexGuard<'_, Option<WriteFailure>> {
        self.failed.lock().unwrap_or_else(|e| e.into_inner())
    }

    /// Runs `write` on the sink unless a write failed before; keeps its error.
    fn write(&self, write: impl FnOnce(&mut dyn Write) -> io::Result<()>) {
        let mut failed = self.failed_write();
        if failed.is_some() {
            return;
        }
        let mut out = (self.sink)();
        if let Err(err) = write(&mut out).and_then(|()| out.flush()) {
            *failed = Some(WriteFailure {
                what: "writing to stdout",
                err,
            });
        }
    }

    /// The run this process writes about.
    pub fn run(&self) -> &markdown::Run {
        &self.run
    }

    /// The markdown page, when stdout is one.
    fn page(&self) -> Option<std::sync::MutexGuard<'_, markdown::Page>> {
        self.page
            .as_ref()
            .map(|page| page.lock().unwrap_or_else(|e| e.into_inner()))
    }

    /// Writes one line of text (with `--format markdown`, one paragraph per line).
    pub fn line(&self, text: &str) {
        match self.page() {
            Some(mut page) => {
                let mut lines = Vec::new();
                for line in text.split('\n') {
                    lines.extend(page.text(line));
                }
                self.lines(&lines);
            }
            None => self.raw(text),
        }
    }

    pub(super) fn lines(&self, lines: &[String]) {
        for line in lines {
            self.raw(line);
        }
    }

    /// Writes one line as it is.
    pub(super) fn raw(&self, text: &str) {
        self.write(|out| {
            out.write_all(text.as_bytes())?;
            out.write_all(b"\n")
        });
    }

    /// Writes `text` as it is (no newline), flushed: ping's flood dots.
    pub fn unterminated(&self, text: &str) {
        self.write(|out| out.write_all(text.as_bytes()));
    }
}

/// Why stdout stopped: `what` failed because of `err`.
#[derive(Debug)]
pub struct WriteFailure {
    pub what: &'static str,
    pub err: io::Error,
}

impl WriteFailure {
    /// The reader closed the pipe: it has all it asked for (`netlab cmd | head`).
    pub fn is_closed_pipe(&self) -> bool {
        self.err.kind() == io::ErrorKind::BrokenPipe
    }
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
    fn escapes_unprintable_bytes() {
        assert_eq!(escape_bytes(b"hi\r\n\x00\xff\\"), "hi\\r\\n\\x00\\xff\\\\");
    }

    /// A reader that has gone: every write fails as a closed pipe does, counted.
    struct Closed;
    static CLOSED_WRITES: std::sync::atomic::AtomicUsize = std::sync::atomic::AtomicUsize::new(0);
    impl Write for Closed {
        fn write(&mut self, _: &[u8]) -> io::Result<usize> {
            CLOSED_WRITES.fetch_add(1, std::sync::atomic::Ordering::SeqCst);
            Err(io::ErrorKind::BrokenPipe.into())
        }
        fn flush(&mut self) -> io::Result<()> {
            Ok(())
        }
    }

    #[test]
    fn a_failed_write_is_kept_stops_the_door_and_goes_back() {
        let out = Stdout {
            sink: || Box::new(Closed),
            reader_gone: || false,
            ..Stdout::plain()
        };
        assert!(!out.stopped());
        out.line("first");
        assert!(out.stopped(), "the failed write stops the door");
        let clone = out.clone();
        assert!(clone.stopped(), "clones share the failure");
        clone.line("second");
        out.unterminated(".");
        assert_eq!(
            CLOSED_WRITES.load(std::sync::atomic::Ordering::SeqCst),
            1,
            "nothing is written after the first failure"
        );
        let failure = out.failure().expect("the failure goes back");
        assert!(failure.is_closed_pipe());
        assert_eq!(failure.what, "writing to stdout");
    }

    /// A reader found gone stops the door before any write: nothing is written after,
    /// and it goes back to `app` as a closed pipe (a quiet exit 0).
    #[test]
    fn a_reader_found_gone_stops_the_door_as_a_closed_pipe() {
        static WRITES: std::sync::atomic::AtomicUsize = std::sync::atomic::AtomicUsize::new(0);
        struct Counted;
        impl Write for Counted {
            fn write(&mut self, buf: &[u8]) -> io::Result<usize> {
                WRITES.fetch_add(1, std::sync::atomic::Ordering::SeqCst);
                Ok(buf.len())
            }
            fn flush(&mut self) -> io::Result<()> {
                Ok(())
            }
        }
        let out = Stdout {
            sink: || Box::new(Counted),
            reader_gone: || true,
            ..Stdout::plain()
        };
        assert!(out.stopped(), "the reader is gone");
        out.line("nobody reads this");
        assert_eq!(WRITES.load(std::sync::atomic::Ordering::SeqCst), 0);
        let failure = out.failure().expect("the closed pipe goes back");
        assert!(failure.is_closed_pipe());

        let read = Stdout {
            sink: || Box::new(Counted),
            reader_gone: || false,
            ..Stdout::plain()
        };
        assert!(!read.stopped(), "a reader is there");
        read.line("read");
        assert_ne!(WRITES.load(std::sync::atomic::Ordering::SeqCst), 0);
        assert!(read.failure().is_none());
    }

    #[tokio::test]
    async fn closed_completes_once_a_write_failed() {
        let out = Stdout {
            sink: || Box::new(Closed),
            reader_gone: || false,
            ..Stdout::plain()
        };
        let wait = std::time::Duration::from_millis(120);
        assert!(tokio::time::timeout(wait, out.closed()).await.is_err());
        out.line("gone");
        assert!(tokio::time::timeout(wait, out.closed()).await.is_ok());
    }

    #[test]
    fn milliseconds_keep_microseconds() {
        assert_eq!(ms(std::time::Duration::from_nanos(1_234_567)), 1.235);
    }
}
