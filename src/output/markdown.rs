//! `--format markdown`: the terminal's tables as GitHub-flavoured markdown, for a lab
//! report. Nothing here knows a command: it renders the two table models every command
//! already builds (a finished [`comfy_table::Table`], and the live rows of
//! [`super::RowPrinter`]), so a command's markdown has, by construction, the columns and
//! rows of its terminal output.
//!
//! A page starts with the command line and the time of the run, so a pasted block says
//! where it came from. Everything a command writes between tables (trace's header and
//! footer, `no connections`, ...) becomes its own paragraph, escaped, and a table is
//! always separated from what comes before and after by a blank line: a line of text
//! right under a table would otherwise be read as one more row.
//!
//! The page is a value ([`Page`]): `app` makes one with the command line when the run
//! writes markdown and hands it down inside [`super::Stdout`], which every command
//! writes through; no global says whether stdout is markdown. `check --report` renders
//! into a file with the same functions ([`table`], [`preamble`], [`text`]).

use std::ffi::OsString;
use std::time::SystemTime;

use comfy_table::{CellAlignment, Table};

/// The run this process's markdown describes.
#[derive(Debug, Clone)]
pub struct Run {
    /// The command line as a shell would take it back (`netlab ping -c 3 ::1`).
    pub command: String,
    pub started: SystemTime,
}

impl Run {
    /// The run of these arguments (argv\[0\] shown as `netlab`), starting now.
    pub fn new(args: &[OsString]) -> Run {
        Run {
            command: command_line(args),
            started: SystemTime::now(),
        }
    }
}

/// What was last written to stdout, so blocks get the blank lines between them that
/// markdown needs.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Last {
    /// Nothing yet: the preamble comes first.
    Nothing,
    Blank,
    Text,
    /// A row of the table with this id (a live table goes on while nothing else is
    /// written in between).
    Table(u64),
}

/// The page stdout is while a run writes markdown: its run, for the preamble, and what
/// was written last. One per process, made by `app` and handed down inside
/// [`super::Stdout`] (never a global), so tests make as many as they like.
#[derive(Debug)]
pub struct Page {
    run: Run,
    last: Last,
    next_table: u64,
}

impl Page {
    pub fn new(run: Run) -> Page {
        Page {
            run,
            last: Last::Nothing,
            next_table: 1,
        }
    }

    /// A fresh id for a table (one per [`super::RowPrinter`], one per finished table).
    pub(super) fn table_id(&mut self) -> u64 {
        let id = self.next_table;
        self.next_table += 1;
        id
    }

    /// What to write before a block of kind `next`, given what was written last: the
    /// preamble first of all, then blank lines between blocks. Returns the lines and
    /// records `next` as the last thing written.
    fn separate(&mut self, next: Last) -> Vec<String> {
        let mut lines = Vec::new();
        if self.last == Last::Nothing {
            lines.push(preamble(&self.run));
            self.last = Last::Blank;
        }
        let needs_blank = match (self.last, next) {
            (Last::Blank, _) | (_, Last::Blank) => false,
            (Last::Table(a), Last::Table(b)) => a != b,
            _ => true,
        };
        if needs_blank || (next == Last::Blank && self.last != Last::Blank) {
            lines.push(String::new());
        }
        self.last = next;
        lines
    }

    /// Lines to write for a finished table.
    pub(super) fn table(&mut self, t: &Table) -> Vec<String> {
        let id = self.table_id();
        let mut lines = self.separate(Last::Table(id));
        lines.push(table(t));
        lines
    }

    /// Lines to write for one live row of table `id` (its header first when the table
    /// starts, or starts again after something else was written).
    pub(super) fn row(
        &mut self,
        id: u64,
        titles: &[String],
        aligns: &[CellAlignment],
        cells: &[String],
    ) -> Vec<String> {
        let continues = self.last == Last::Table(id);
        let mut lines = self.separate(Last::Table(id));
        if !continues {
            lines.push(header(titles, aligns));
        }
        lines.push(row(cells));
        lines
    }

    /// Lines to write for a line of text (a blank line ends the block before it).
    pub(super) fn text(&mut self, line: &str) -> Vec<String> {
        if line.trim().is_empty() {
            return self.separate(Last::Blank);
        }
        let mut lines = self.separate(Last::Text);
        lines.push(text(line));
        lines
    }
}

/// The lines that open a page: the command line and when it ran, then a blank line.
pub fn preamble(run: &Run) -> String {
    format!(
        "Command: {}\\\nRun at: {}\n",
        code_span(&run.command),
        time_of(run.started)
    )
}

/// `2026-12-02 00:31:07 UTC`: UTC, so reports from two machines compare directly.
pub fn time_of(at: SystemTime) -> String {
    humantime::format_rfc3339_seconds(at)
        .to_string()
        .replace('T', " ")
        .replace('Z', " UTC")
}

/// A finished table: its header, then every row (cells escaped, left-aligned as in the
/// terminal).
pub fn table(t: &Table) -> String {
    let titles: Vec<String> = t
        .header()
        .map(|h| h.cell_iter().map(|c| c.content()).collect())
        .unwrap_or_default();
    let width = t
        .row_iter()
        .map(|r| r.cell_count())
        .chain([titles.len()])
        .max()
        .unwrap_or(0);
    let mut titles = titles;
    titles.resize(width, String::new());
    let mut lines = vec![header(&titles, &vec![CellAlignment::Left; width])];
    for r in t.row_iter() {
        let mut cells: Vec<String> = r.cell_iter().map(|c| c.content()).collect();
        cells.resize(width, String::new());
        lines.push(row(&cells));
    }
    lines.join("\n")
}

/// The header row and the delimiter row (`---:` for right-aligned columns).
pub fn header(titles: &[String], aligns: &[CellAlignment]) -> String {
    let delimiters: Vec<String> = aligns
        .iter()
        .map(|a| match a {
            CellAlignment::Right => "---:".to_string(),
            CellAlignment::Center => ":---:".to_string(),
            CellAlignment::Left => "---".to_string(),
        })
        .collect();
    format!("{}\n|{}|", row(titles), delimiters.join("|"))
}

/// One table row. A cell's line breaks become `<br>` (trace's responders and MPLS
/// labels are lines of one cell).
pub fn row(cells: &[String]) -> String {
    let cells: Vec<String> = cells
        .iter()
        .map(|c| {
            c.lines()
                .map(|l| escape_inline(l.trim_end()))
                .collect::<Vec<_>>()
                .join("<br>")
        })
        .collect();
    let cells: Vec<String> = cells
        .into_iter()
        .map(|c| {
            if c.is_empty() {
                " ".into()
            } else {
                format!(" {c} ")
            }
        })
        .collect();
    format!("|{}|", cells.join("|"))
}

/// A line of text as one paragraph: inline characters escaped, and the characters that
/// would start a heading, list, quote or rule at the start of a line.
pub fn text(line: &str) -> String {
    let escaped = escape_inline(line.trim());
    if escaped.starts_with(['#', '-', '+', '=']) {
        return format!("\\{escaped}");
    }
    let digits = escaped.bytes().take_while(u8::is_ascii_digit).count();
    if (1..10).contains(&digits) && escaped[digits..].starts_with(['.', ')']) {
        return format!("{}\\{}", &escaped[..digits], &escaped[digits..]);
    }
    escaped
}

/// Escapes what markdown would read as markup inside a paragraph or a table cell. A `*`
/// or `_` with white space (or nothing) on both sides can neither open nor close
/// emphasis, so trace's `*  *  *` stays as people write it.
pub fn escape_inline(text: &str) -> String {
    let chars: Vec<char> = text.chars().collect();
    let mut out = String::with_capacity(text.len());
    for (i, &c) in chars.iter().enumerate() {
        let loose = |j: Option<usize>| {
            j.and_then(|j| chars.get(j))
                .is_none_or(|c| c.is_whitespace())
        };
        let word = |j: Option<usize>| {
            j.and_then(|j| chars.get(j))
                .is_some_and(|c| c.is_alphanumeric())
        };
        match c {
            '*' | '_' if loose(i.checked_sub(1)) && loose(Some(i + 1)) => out.push(c),
            // GFM never reads an underscore inside a word as emphasis (`port_answers`).
            '_' if word(i.checked_sub(1)) && word(Some(i + 1)) => out.push(c),
            '\\' | '`' | '*' | '_' | '[' | ']' | '<' | '>' | '|' | '~' | '&' => {
                out.push('\\');
                out.push(c);
            }
            _ => out.push(c),
        }
    }
    out
}

/// `text` as inline code, fenced with more backticks than it holds.
pub fn code_span(text: &str) -> String {
    let mut longest = 0;
    let mut run = 0;
    for c in text.chars() {
        run = if c == '`' { run + 1 } else { 0 };
        longest = longest.max(run);
    }
    let fence = "`".repeat(longest + 1);
    if longest == 0 {
        format!("{fence}{text}{fence}")
    } else {
        format!("{fence} {text} {fence}")
    }
}

/// The arguments as a shell would take them back, argv\[0\] shown as `netlab`.
pub fn command_line(args: &[OsString]) -> String {
    let words: Vec<String> = args
        .iter()
        .skip(1)
        .map(|a| a.to_string_lossy().into_owned())
        .collect();
    let quoted = shlex::try_join(std::iter::once("netlab").chain(words.iter().map(String::as_str)))
        // Only a NUL byte cannot be quoted, and no argument holds one.
        .unwrap_or_else(|_| format!("netlab {}", words.join(" ")));
    quoted
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::time::{Duration, UNIX_EPOCH};

    #[test]
    fn finished_tables_keep_header_and_rows() {
        let mut t = super::super::table(&["target", "loss"]);
        t.add_row(vec!["a|b", "0%"]);
        t.add_row(vec!["*", ""]);
        let md = table(&t);
        assert_eq!(md, "| target | loss |\n|---|---|\n| a\\|b | 0% |\n| * | |");
    }

    #[test]
    fn live_headers_carry_alignment() {
        let h = header(
            &["hop".into(), "rtt".into()],
            &[CellAlignment::Right, CellAlignment::Left],
        );
        assert_eq!(h, "| hop | rtt |\n|---:|---|");
    }

    #[test]
    fn lonely_stars_stay_and_emphasis_is_escaped() {
        assert_eq!(escape_inline("*  *  *"), "*  *  *");
        assert_eq!(escape_inline("*bold* a_b _c_"), "\\*bold\\* a_b \\_c\\_");
        assert_eq!(escape_inline("<br>"), "\\<br\\>");
    }

    #[test]
    fn multi_line_cells_break_with_br() {
        assert_eq!(
            row(&["1".into(), "10.0.0.1\n  [MPLS: L=1]".into()]),
            "| 1 | 10.0.0.1<br>  \\[MPLS: L=1\\] |"
        );
    }

    #[test]
    fn text_lines_never_start_a_block() {
        assert_eq!(text("- x"), "\\- x");
        assert_eq!(text("# x"), "\\# x");
        assert_eq!(text("reached ::1 in 1 hop"), "reached ::1 in 1 hop");
    }

    #[test]
    fn command_lines_are_quoted_for_a_shell() {
        let args: Vec<OsString> = ["/usr/bin/netlab", "connect", "--send", "hi there", "::1"]
            .iter()
            .map(OsString::from)
            .collect();
        assert_eq!(command_line(&args), "netlab connect --send 'hi there' ::1");
        assert_eq!(code_span("a`b"), "`` a`b ``");
    }

    #[test]
    fn time_is_utc_to_the_second() {
        let at = UNIX_EPOCH + Duration::from_secs(86_400 * 365 + 3_723);
        assert_eq!(time_of(at), "1971-01-01 01:02:03 UTC");
    }

    /// The page is a value: each starts with its own run, and blocks are separated by
    /// what that page wrote last, never by another page's writing.
    #[test]
    fn a_page_opens_with_its_run_and_separates_its_blocks() {
        let run = Run {
            command: "netlab ping ::1".into(),
            started: UNIX_EPOCH,
        };
        let mut page = Page::new(run.clone());
        assert_eq!(page.text("hello"), [preamble(&run), "hello".to_string()]);
        let titles = ["seq".to_string()];
        let aligns = [CellAlignment::Right];
        let id = page.table_id();
        assert_eq!(
            page.row(id, &titles, &aligns, &["1".into()]),
            ["", "| seq |\n|---:|", "| 1 |"]
        );
        assert_eq!(page.row(id, &titles, &aligns, &["2".into()]), ["| 2 |"]);
        let mut other = Page::new(run.clone());
        assert_eq!(other.text(""), [preamble(&run)]);
        assert_eq!(page.text("after"), ["", "after"]);
    }
}
