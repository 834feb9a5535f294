//! `--format table`: the aligned tables people read (comfy-table), finished or row by
//! row. With `--format markdown` the same models go to [`super::markdown`] instead.

use comfy_table::presets::NOTHING;
use comfy_table::{Cell, CellAlignment, ColumnConstraint, Table, Width};

use super::Stdout;

impl Stdout {
    /// Writes a finished table.
    pub fn table(&self, table: &Table) {
        match self.page() {
            Some(mut page) => self.lines(&page.table(table)),
            None => self.raw(&trim_lines(&table.to_string())),
        }
    }
}

/// comfy-table pads every cell, so lines end in spaces; nobody wants those in a pipe.
pub(super) fn trim_lines(text: &str) -> String {
    text.trim_end()
        .lines()
        .map(str::trim_end)
        .collect::<Vec<_>>()
        .join("\n")
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
    out: Stdout,
    columns: Vec<Column>,
    header_done: bool,
    /// Which table its rows are, for markdown (a header again after other output).
    id: u64,
}

impl RowPrinter {
    /// A table of these columns, printed through `out`.
    pub fn new(out: &Stdout, columns: &[Column]) -> RowPrinter {
        RowPrinter {
            out: out.clone(),
            columns: columns.to_vec(),
            header_done: false,
            id: out.page().map_or(0, |mut page| page.table_id()),
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
        if let Some(mut page) = self.out.page() {
            let titles: Vec<String> = self.columns.iter().map(|c| c.title.to_string()).collect();
            let aligns: Vec<CellAlignment> = self.columns.iter().map(|c| c.align).collect();
            self.out.lines(&page.row(self.id, &titles, &aligns, cells));
            return;
        }
        if !self.header_done {
            self.header_done = true;
            self.out.raw(&self.header());
        }
        self.out.raw(&self.render(cells));
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn live_rows_line_up_with_their_header() {
        let printer = RowPrinter::new(
            &Stdout::for_tests(),
            &[
                Column::left("name", 10),
                Column::right("ms", 8),
                Column::left("end", 3),
            ],
        );
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
}
