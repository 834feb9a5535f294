//! `--format csv`: rows under one header row. The `csv` crate does the quoting (RFC
//! 4180: a cell with a comma, a quote or a line break, such as trace's explanations, is
//! quoted), so no command escapes a cell by hand.

use serde::Serialize;

use super::{warn, Stdout};

/// Prints blocks of rows, the header before the first block only: a stream (`trace
/// --watch`) prints a block per round under one header.
pub struct CsvPrinter {
    out: Stdout,
    columns: Vec<String>,
    header_done: bool,
}

impl CsvPrinter {
    pub fn new<S: AsRef<str>>(out: &Stdout, columns: impl IntoIterator<Item = S>) -> CsvPrinter {
        CsvPrinter {
            out: out.clone(),
            columns: columns
                .into_iter()
                .map(|c| c.as_ref().to_string())
                .collect(),
            header_done: false,
        }
    }

    /// The block's text (the header first, the first time), without its last newline;
    /// each row is a record of the columns, in order.
    pub fn render<T: Serialize>(&mut self, rows: impl IntoIterator<Item = T>) -> String {
        let mut writer = csv::WriterBuilder::new()
            .has_headers(false)
            .from_writer(Vec::new());
        let mut written = Ok(());
        if !self.header_done {
            self.header_done = true;
            written = writer.write_record(&self.columns);
        }
        for row in rows {
            written = written.and_then(|()| writer.serialize(row));
        }
        if let Err(err) = written {
            warn(&format!("writing CSV output: {err}"));
        }
        let bytes = writer.into_inner().unwrap_or_default();
        String::from_utf8_lossy(&bytes)
            .trim_end_matches('\n')
            .to_string()
    }

    /// Writes the block (nothing when it is empty).
    pub fn print<T: Serialize>(&mut self, rows: impl IntoIterator<Item = T>) {
        let text = self.render(rows);
        if !text.is_empty() {
            self.out.line(&text);
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_header_comes_once_and_cells_are_quoted() {
        let mut printer = CsvPrinter::new(&Stdout::for_tests(), ["ttl", "explanation"]);
        assert_eq!(
            printer.render([(1, "plain"), (2, "a, with \"quotes\"")]),
            "ttl,explanation\n1,plain\n2,\"a, with \"\"quotes\"\"\""
        );
        assert_eq!(printer.render([(3, "next round")]), "3,next round");
        assert_eq!(printer.render(Vec::<(u8, &str)>::new()), "");
    }
}
