//! `--format json` (and `--json`): one pretty document on stdout when the command ends,
//! and for the streams (`trace --watch --json`) one compact object per line (NDJSON).

use std::io::{self, Write};

use serde::Serialize;

use super::{warn, Stdout, ALSO_JSON};

impl Stdout {
    /// Writes the command's one JSON document, serialised straight into stdout through
    /// a buffer: a document of 65,536 scan records is 20 MB of text, never held whole.
    pub fn json<T: Serialize>(&self, value: &T) {
        self.write(|out| {
            let mut buffered = io::BufWriter::with_capacity(1 << 16, out);
            serde_json::to_writer_pretty(&mut buffered, value).map_err(io::Error::from)?;
            buffered.write_all(b"\n")?;
            buffered.flush()
        });
    }

    /// Writes the `--json` document to the file named by [`ALSO_JSON`], when it is set:
    /// the test suite compares another format with the JSON of the same run this way.
    pub fn also_json<T: Serialize>(&self, value: &T) {
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

    /// Writes one NDJSON line (a stream's object: one line, whatever it holds).
    pub fn json_line<T: Serialize>(&self, value: &T) {
        match serde_json::to_string(value) {
            Ok(text) => self.raw(&text),
            Err(err) => warn(&format!("writing JSON output: {err}")),
        }
    }
}
