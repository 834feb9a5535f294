//! What `serve` prints: a row per connection (per datagram with `--udp`) as it ends, the
//! totals when the server stops, or one JSON document (schema in `mod.rs`).

use std::net::SocketAddr;
use std::time::{Duration, SystemTime, UNIX_EPOCH};

use serde::Serialize;

use crate::output::{self, Column, RowPrinter, Stdout};

/// How a connection ended (the JSON `end` values).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum End {
    /// The client closed its side (EOF).
    ClosedByPeer,
    /// The client said `bye` (chat).
    ByeFromPeer,
    /// Standard input said `bye` (chat).
    ByeFromServer,
    /// `--banner` was sent and the server closed.
    BannerSent,
    /// Nothing was received or sent for `--idle-timeout`.
    IdleTimeout,
    /// A line exceeded `--max-line` bytes.
    LineTooLong,
    /// The client reset the connection.
    Reset,
    /// Still open when the shutdown grace period ran out.
    ServerShutdown,
    /// Closed at once: `--max-connections` were already open.
    Refused,
    /// A UDP datagram was answered.
    Answered,
    /// Another socket error (see `detail`).
    Error,
}

impl End {
    fn text(self) -> &'static str {
        match self {
            End::ClosedByPeer => "closed by peer",
            End::ByeFromPeer => "bye from peer",
            End::ByeFromServer => "bye from server",
            End::BannerSent => "banner sent",
            End::IdleTimeout => "idle timeout",
            End::LineTooLong => "line too long",
            End::Reset => "reset by peer",
            End::ServerShutdown => "server shutdown",
            End::Refused => "refused",
            End::Answered => "answered",
            End::Error => "error",
        }
    }
}

/// One finished connection (or answered datagram).
#[derive(Debug, Clone, Serialize)]
pub struct Record {
    pub peer: String,
    /// When it began, in ms since the server started listening.
    pub started_ms: f64,
    pub duration_ms: f64,
    pub bytes_in: u64,
    pub bytes_out: u64,
    /// Lines (messages) received: null in echo and banner modes, which do not read lines.
    pub lines_in: Option<u64>,
    pub end: End,
    /// The error text for `error`, the limit for `idle_timeout` and `line_too_long`.
    pub detail: Option<String>,
    /// Wall-clock time the record ended, for the table (not in JSON: see started_ms).
    #[serde(skip)]
    pub ended_at: SystemTime,
}

impl Record {
    pub fn new(peer: SocketAddr, started: Duration) -> Record {
        Record {
            peer: peer.to_string(),
            started_ms: output::ms(started),
            duration_ms: 0.0,
            bytes_in: 0,
            bytes_out: 0,
            lines_in: None,
            end: End::ClosedByPeer,
            detail: None,
            ended_at: SystemTime::now(),
        }
    }
}

/// The totals (JSON `totals`).
#[derive(Debug, Clone, Default, Serialize)]
pub struct Totals {
    /// Connections served (TCP; refused ones not included) or datagrams answered (UDP).
    pub served: u64,
    pub refused: u64,
    pub bytes_in: u64,
    pub bytes_out: u64,
    /// Most connections open at once.
    pub peak_concurrent: u64,
    pub uptime_ms: f64,
}

#[derive(Serialize)]
struct Document<'a> {
    listen: &'a str,
    protocol: &'a str,
    dual_stack: bool,
    mode: &'a str,
    connections: &'a [Record],
    totals: &'a Totals,
}

const COLUMNS: [Column; 6] = [
    Column::left("time", 12),
    Column::left("peer", 30),
    Column::right("in", 8),
    Column::right("out", 8),
    Column::right("duration", 10),
    Column::left("end", 38),
];

pub struct Report {
    out: Stdout,
    json: bool,
    rows: RowPrinter,
    records: Vec<Record>,
    pub totals: Totals,
}

impl Report {
    pub fn new(out: &Stdout, json: bool) -> Report {
        Report {
            out: out.clone(),
            json,
            rows: RowPrinter::new(out, &COLUMNS),
            records: Vec::new(),
            totals: Totals::default(),
        }
    }

    /// The door the rows go through (chat lines use it too).
    pub fn out(&self) -> &Stdout {
        &self.out
    }

    pub fn add(&mut self, record: Record) {
        if record.end == End::Refused {
            self.totals.refused += 1;
        } else {
            self.totals.served += 1;
        }
        self.totals.bytes_in += record.bytes_in;
        self.totals.bytes_out += record.bytes_out;
        if self.json {
            self.records.push(record);
            return;
        }
        let end = match &record.detail {
            Some(detail) => format!("{} ({detail})", record.end.text()),
            None => record.end.text().to_string(),
        };
        self.rows.print(&[
            clock(record.ended_at),
            record.peer.clone(),
            record.bytes_in.to_string(),
            record.bytes_out.to_string(),
            human_ms(record.duration_ms),
            end,
        ]);
    }

    pub fn finish(&mut self, listen: &str, protocol: &str, dual_stack: bool, mode: &str) {
        if self.json {
            self.out.json(&Document {
                listen,
                protocol,
                dual_stack,
                mode,
                connections: &self.records,
                totals: &self.totals,
            });
            return;
        }
        let served = if protocol == "udp" {
            "datagrams"
        } else {
            "connections"
        };
        let mut table =
            output::table(&[served, "refused", "bytes in", "bytes out", "peak", "uptime"]);
        let t = &self.totals;
        table.add_row(vec![
            t.served.to_string(),
            t.refused.to_string(),
            t.bytes_in.to_string(),
            t.bytes_out.to_string(),
            t.peak_concurrent.to_string(),
            human_ms(t.uptime_ms),
        ]);
        if !self.rows_printed() {
            self.out.line("no connections");
        }
        self.out.table(&table);
    }

    fn rows_printed(&self) -> bool {
        self.totals.served + self.totals.refused > 0
    }
}

/// `12.345ms`, `1.234s`.
fn human_ms(ms: f64) -> String {
    if ms < 1000.0 {
        format!("{ms:.3}ms")
    } else {
        format!("{:.3}s", ms / 1000.0)
    }
}

/// `HH:MM:SS.mmm` in UTC: no time-zone database is needed, and logs from two machines
/// compare directly.
fn clock(at: SystemTime) -> String {
    let since = at.duration_since(UNIX_EPOCH).unwrap_or_default();
    let secs = since.as_secs() % 86_400;
    format!(
        "{:02}:{:02}:{:02}.{:03}",
        secs / 3600,
        secs / 60 % 60,
        secs % 60,
        since.subsec_millis()
    )
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn clock_is_utc_time_of_day() {
        let at = UNIX_EPOCH + Duration::from_millis(86_400_000 * 3 + 3_723_045);
        assert_eq!(clock(at), "01:02:03.045");
    }

    #[test]
    fn durations_read_as_people_write_them() {
        assert_eq!(human_ms(0.1234), "0.123ms");
        assert_eq!(human_ms(2500.0), "2.500s");
    }

    #[test]
    fn end_reasons_are_snake_case_in_json() {
        assert_eq!(
            serde_json::to_string(&End::ClosedByPeer).unwrap(),
            "\"closed_by_peer\""
        );
        assert_eq!(
            serde_json::to_string(&End::LineTooLong).unwrap(),
            "\"line_too_long\""
        );
    }
}
