//! What `connect` prints for URLs and `--tls`: a table per attempt as it completes (the
//! phases, the response, the TLS session and the chain), per-phase statistics with
//! `-c`, one JSON document, or CSV rows as they come. The JSON schema is in the README
//! ("connect: URLs and TLS").

use serde::Serialize;
use serde_json::{json, Value};

use super::web_record::{Record, TargetStats};
use crate::output::{self, csv::CsvPrinter, Format, Stdout};
use crate::web::{Phases, PHASE_NAMES};

/// The CSV columns, one row per attempt (the end certificate's fields only).
pub const CSV_COLUMNS: [&str; 29] = [
    "target",
    "url",
    "seq",
    "hop",
    "address",
    "ok",
    "lookup_ms",
    "connect_ms",
    "tls_ms",
    "first_byte_ms",
    "transfer_ms",
    "total_ms",
    "http_version",
    "status",
    "server",
    "content_type",
    "content_length",
    "location",
    "body_bytes",
    "tls_version",
    "cipher",
    "alpn",
    "verified",
    "verify_reason",
    "cert_subject",
    "cert_issuer",
    "cert_not_after",
    "cert_days_left",
    "error",
];

pub struct Printer {
    out: Stdout,
    format: Format,
    csv: Option<CsvPrinter>,
    /// Kept only for what needs them at the end (the JSON document, the picture): tables
    /// and CSV print each attempt as it comes and keep nothing, however long `-c` runs.
    keep: bool,
    records: Vec<Record>,
}

impl Printer {
    pub fn new(out: &Stdout, format: Format, plot: bool) -> Printer {
        Printer {
            out: out.clone(),
            format,
            keep: plot || format == Format::Json,
            csv: (format == Format::Csv).then(|| CsvPrinter::new(out, CSV_COLUMNS)),
            records: Vec::new(),
        }
    }

    /// Prints one attempt (tables and CSV at once; JSON at the end).
    pub fn record(&mut self, record: &Record) {
        match self.format {
            Format::Csv => {
                if let Some(csv) = &mut self.csv {
                    csv.print([csv_row(record)]);
                }
            }
            format if format.shows_tables() => self.out.table(&attempt_table(record)),
            _ => {}
        }
        if self.keep {
            self.records.push(record.clone());
        }
    }

    pub fn records(&self) -> &[Record] {
        &self.records
    }

    /// The statistics (tables, with -c) or the JSON document.
    pub fn finish(&mut self, stats: &[TargetStats], repeated: bool, interrupted: bool) {
        match self.format {
            Format::Json => {
                let document = json!({
                    "requests": self.records.iter().map(record_json).collect::<Vec<_>>(),
                    "statistics": stats.iter().map(stats_json).collect::<Vec<_>>(),
                    "interrupted": interrupted,
                });
                self.out.json(&document);
            }
            format if format.shows_tables() && repeated => {
                for target in stats {
                    self.out.table(&stats_table(target));
                }
            }
            _ => {}
        }
    }
}

fn ms(d: Option<std::time::Duration>) -> Option<f64> {
    d.map(|d| (output::ms(d) * 1000.0).round() / 1000.0)
}

fn ms_text(d: Option<std::time::Duration>) -> String {
    match ms(d) {
        Some(ms) => format!("{ms:.3} ms"),
        None => "-".into(),
    }
}

fn phases_json(phases: &Phases) -> Value {
    let mut map = serde_json::Map::new();
    for (name, value) in PHASE_NAMES.iter().zip(phases.list()) {
        map.insert(format!("{name}_ms"), json!(ms(value)));
    }
    Value::Object(map)
}

fn record_json(record: &Record) -> Value {
    let a = &record.attempt;
    json!({
        "target": record.target,
        "url": record.url,
        "seq": record.seq,
        "hop": record.hop,
        "address": record.address.map(|a| a.ip().to_string()),
        "port": record.address.map(|a| a.port()),
        "ok": record.ok,
        "error": a.error,
        "phases": phases_json(&a.timeline.phases()),
        "http": a.response,
        "tls": a.tls,
    })
}

fn stats_json(target: &TargetStats) -> Value {
    let mut phases = serde_json::Map::new();
    for (name, spread) in PHASE_NAMES.iter().zip(target.stats.spreads()) {
        let figures = spread.map(|t| {
            json!({"min_ms": t.min_ms, "avg_ms": t.avg_ms, "max_ms": t.max_ms, "mdev_ms": t.mdev_ms})
        });
        phases.insert(name.to_string(), json!(figures));
    }
    json!({
        "target": target.target,
        "attempts": target.stats.attempts,
        "answered": target.stats.succeeded,
        "phases": phases,
    })
}

/// Field and value, one row each, under the attempt's title.
fn attempt_table(record: &Record) -> comfy_table::Table {
    let a = &record.attempt;
    let title = if record.hop == 0 {
        format!("{} #{}", record.url, record.seq)
    } else {
        format!(
            "  -> {} #{} (redirect {})",
            record.url, record.seq, record.hop
        )
    };
    let verdict = if record.ok { "answered" } else { "FAILED" };
    let mut table = output::table(&[&title, verdict]);
    let mut row = |field: &str, value: String| {
        table.add_row(vec![field.to_string(), value]);
    };
    if let Some(addr) = record.address {
        row("address", addr.to_string());
    }
    let p = a.timeline.phases();
    row(
        "phases",
        format!(
            "lookup {} | connect {} | tls {} | first byte {} | transfer {}",
            ms_text(p.lookup),
            ms_text(p.connect),
            ms_text(p.tls),
            ms_text(p.first_byte),
            ms_text(p.transfer)
        ),
    );
    row("total", ms_text(p.total));
    if let Some(r) = &a.response {
        row(
            "response",
            format!("{} {} {}", r.http_version, r.status, r.reason)
                .trim_end()
                .to_string(),
        );
        for (name, value) in [
            ("server", &r.server),
            ("content-type", &r.content_type),
            ("content-length", &r.content_length),
            ("location", &r.location),
        ] {
            if let Some(value) = value {
                row(name, value.clone());
            }
        }
        row("body", format!("{} bytes", r.body_bytes));
    }
    if let Some(tls) = &a.tls {
        row(
            "tls",
            format!(
                "{} {} alpn {}",
                tls.version,
                tls.cipher,
                tls.alpn.as_deref().unwrap_or("none")
            ),
        );
        row("certificate", tls.verdict.text());
        for (i, cert) in tls.chain.iter().enumerate() {
            let days = if cert.days_left < 0 {
                format!("expired {} days ago", -cert.days_left)
            } else {
                format!("{} days left", cert.days_left)
            };
            row(
                &format!("chain {i}"),
                format!(
                    "{} (issuer {}) names {} valid {} to {} ({days})",
                    cert.subject,
                    cert.issuer,
                    if cert.dns_names.is_empty() {
                        "none".to_string()
                    } else {
                        cert.dns_names.join(",")
                    },
                    cert.not_before,
                    cert.not_after
                ),
            );
        }
    }
    if let Some(error) = &a.error {
        row("error", error.clone());
    }
    table
}

fn stats_table(target: &TargetStats) -> comfy_table::Table {
    let title = format!(
        "{}: {}/{} answered",
        target.target, target.stats.succeeded, target.stats.attempts
    );
    let mut table = output::table(&[&title, "min ms", "avg ms", "max ms", "mdev ms"]);
    for (name, spread) in PHASE_NAMES.iter().zip(target.stats.spreads()) {
        let Some(s) = spread else { continue };
        table.add_row(vec![
            name.replace('_', " "),
            format!("{:.3}", s.min_ms),
            format!("{:.3}", s.avg_ms),
            format!("{:.3}", s.max_ms),
            format!("{:.3}", s.mdev_ms),
        ]);
    }
    table
}

#[derive(Serialize)]
struct CsvRow {
    target: String,
    url: String,
    seq: u64,
    hop: usize,
    address: Option<String>,
    ok: bool,
    lookup_ms: Option<f64>,
    connect_ms: Option<f64>,
    tls_ms: Option<f64>,
    first_byte_ms: Option<f64>,
    transfer_ms: Option<f64>,
    total_ms: Option<f64>,
    http_version: Option<String>,
    status: Option<u16>,
    server: Option<String>,
    content_type: Option<String>,
    content_length: Option<String>,
    location: Option<String>,
    body_bytes: Option<u64>,
    tls_version: Option<String>,
    cipher: Option<String>,
    alpn: Option<String>,
    verified: Option<bool>,
    verify_reason: Option<&'static str>,
    cert_subject: Option<String>,
    cert_issuer: Option<String>,
    cert_not_after: Option<String>,
    cert_days_left: Option<i64>,
    error: Option<String>,
}

fn csv_row(record: &Record) -> CsvRow {
    let a = &record.attempt;
    let p = a.timeline.phases();
    let r = a.response.as_ref();
    let t = a.tls.as_ref();
    let end = t.and_then(|t| t.chain.first());
    CsvRow {
        target: record.target.clone(),
        url: record.url.clone(),
        seq: record.seq,
        hop: record.hop,
        address: record.address.map(|a| a.to_string()),
        ok: record.ok,
        lookup_ms: ms(p.lookup),
        connect_ms: ms(p.connect),
        tls_ms: ms(p.tls),
        first_byte_ms: ms(p.first_byte),
        transfer_ms: ms(p.transfer),
        total_ms: ms(p.total),
        http_version: r.map(|r| r.http_version.clone()),
        status: r.map(|r| r.status),
        server: r.and_then(|r| r.server.clone()),
        content_type: r.and_then(|r| r.content_type.clone()),
        content_length: r.and_then(|r| r.content_length.clone()),
        location: r.and_then(|r| r.location.clone()),
        body_bytes: r.map(|r| r.body_bytes),
        tls_version: t.map(|t| t.version.clone()),
        cipher: t.map(|t| t.cipher.clone()),
        alpn: t.and_then(|t| t.alpn.clone()),
        verified: t.map(|t| t.verdict.verified),
        verify_reason: t.and_then(|t| t.verdict.reason.map(|r| r.label())),
        cert_subject: end.map(|c| c.subject.clone()),
        cert_issuer: end.map(|c| c.issuer.clone()),
        cert_not_after: end.map(|c| c.not_after.clone()),
        cert_days_left: end.map(|c| c.days_left),
        error: a.error.clone(),
    }
}
