//! What `resolve` prints: live table rows and stderr messages as each query finishes, or
//! one JSON document at the end ([`JSON_SCHEMA`]).

use serde::Serialize;

use crate::dns::lookup::{Resolution, Source, Status};
use crate::output::{ms, Column, RowPrinter, Stdout};

/// The `--json` document (copied into the README). Field names are stable; a test checks
/// that every field the code writes is listed here.
pub const JSON_SCHEMA: &str = r#"{
  "queries": [                      one object per input, in input order
    {
      "query": "www",               the name or address as given
      "type": "A+AAAA",             what was asked: "A+AAAA" (default), "A" (-4), "AAAA" (-6),
                                    the -t type, or "PTR" for an address
      "status": "ok",               "ok" | "nxdomain" | "no_data" | "servfail" | "refused" |
                                    "timeout" | "error" | "invalid"
      "source": "198.18.100.53:53", "/etc/hosts"; the "ADDR:PORT" ("[V6]:PORT") of the server
                                    that answered, or that said SERVFAIL or REFUSED; null when
                                    no server replied or the input was invalid
      "transport": "udp",           "udp" | "tcp" when a server is the source, else null
      "time_ms": 1.234,             from the start of this query to its outcome (float ms)
      "answers": [                  CNAME links first, then the records asked for
        {
          "name": "www.netlab.test.",   owner name (DNS: absolute; /etc/hosts: as given)
          "type": "A",
          "value": "198.18.2.2",        as dig writes it: MX "10 mail.netlab.test.",
                                        TXT "\"text\"", CAA "0 issue \"netlab.test\"", ...
          "ttl": 300                    null for /etc/hosts
        }
      ],
      "error": null                 or the reason, as printed on stderr after "netlab: QUERY: "
    }
  ]
}"#;

const COLUMNS: [Column; 6] = [
    Column::left("name", 26),
    Column::left("type", 5),
    Column::left("value", 34),
    Column::right("TTL", 6),
    Column::left("source", 24),
    Column::right("time (ms)", 9),
];

/// Prints results as they come (table mode) or keeps them for the document (JSON mode)
/// or the Atlas results (Atlas mode, which keeps the JSON records too: see
/// `Stdout::atlas`).
pub struct Report {
    out: Stdout,
    json: bool,
    /// `--short`: one value per line, nothing else (dig +short).
    short: bool,
    printer: RowPrinter,
    done: Vec<(usize, QueryJson)>,
    atlas: Option<Vec<(usize, super::atlas::DnsResult)>>,
}

impl Report {
    pub fn new(out: &Stdout, json: bool, atlas: bool, short: bool) -> Report {
        Report {
            out: out.clone(),
            json: json || atlas,
            short,
            printer: RowPrinter::new(out, &COLUMNS),
            done: Vec::new(),
            atlas: atlas.then(Vec::new),
        }
    }

    /// One finished query, `index` being its place in the input.
    pub fn add(&mut self, index: usize, qtype: &str, res: Resolution) {
        if self.short {
            for row in &res.rows {
                self.out.line(&row.value);
            }
        } else if !self.json {
            for cells in table_rows(&res) {
                self.printer.print(&cells);
            }
        }
        match &res.error {
            // An invalid line's message starts with where it is (FILE:LINE).
            Some(error) if res.status == Status::Invalid => {
                eprintln!("netlab: {}", one_line(error))
            }
            Some(error) => eprintln!("netlab: {}: {}", res.query, one_line(error)),
            None => {}
        }
        if let Some(results) = &mut self.atlas {
            let started = std::time::SystemTime::now()
                .checked_sub(res.elapsed)
                .unwrap_or(std::time::UNIX_EPOCH);
            results.push((index, super::atlas::result(&res, started)));
        }
        if self.json {
            self.done.push((index, QueryJson::new(qtype, res)));
        }
    }

    /// Writes the JSON document (JSON mode only).
    pub fn finish(mut self) {
        if self.json {
            self.done.sort_by_key(|(index, _)| *index);
            let queries: Vec<QueryJson> = self.done.into_iter().map(|(_, q)| q).collect();
            match self.atlas {
                Some(mut results) => {
                    results.sort_by_key(|(index, _)| *index);
                    let results: Vec<_> = results.into_iter().map(|(_, r)| r).collect();
                    self.out.atlas(&results, &Document { queries });
                }
                None => self.out.json(&Document { queries }),
            }
        }
    }
}

fn one_line(text: &str) -> String {
    text.split_whitespace().collect::<Vec<_>>().join(" ")
}

pub fn source_text(source: Option<Source>) -> Option<String> {
    match source? {
        Source::Hosts => Some(crate::dns::hosts::path()),
        Source::Server { addr, .. } => Some(addr.to_string()),
    }
}

/// The table cells of a resolution, one row per record.
pub fn table_rows(res: &Resolution) -> Vec<Vec<String>> {
    let source = match res.source {
        Some(Source::Server { addr, tcp: true }) => format!("{addr}/tcp"),
        other => source_text(other).unwrap_or_else(|| "-".into()),
    };
    let time = format!("{:.3}", ms(res.elapsed));
    res.rows
        .iter()
        .map(|row| {
            vec![
                row.name.clone(),
                row.kind.clone(),
                row.value.clone(),
                row.ttl.map(|t| t.to_string()).unwrap_or_else(|| "-".into()),
                source.clone(),
                time.clone(),
            ]
        })
        .collect()
}

#[derive(Debug, Serialize)]
struct Document {
    queries: Vec<QueryJson>,
}

#[derive(Debug, Serialize)]
struct QueryJson {
    query: String,
    #[serde(rename = "type")]
    kind: String,
    status: &'static str,
    source: Option<String>,
    transport: Option<&'static str>,
    time_ms: f64,
    answers: Vec<AnswerJson>,
    error: Option<String>,
}

#[derive(Debug, Serialize)]
struct AnswerJson {
    name: String,
    #[serde(rename = "type")]
    kind: String,
    value: String,
    ttl: Option<u32>,
}

impl QueryJson {
    fn new(qtype: &str, res: Resolution) -> QueryJson {
        QueryJson {
            query: res.query,
            kind: qtype.to_string(),
            status: res.status.as_str(),
            source: source_text(res.source),
            transport: match res.source {
                Some(Source::Server { tcp: true, .. }) => Some("tcp"),
                Some(Source::Server { tcp: false, .. }) => Some("udp"),
                _ => None,
            },
            time_ms: ms(res.elapsed),
            answers: res
                .rows
                .into_iter()
                .map(|row| AnswerJson {
                    name: row.name,
                    kind: row.kind,
                    value: row.value,
                    ttl: row.ttl,
                })
                .collect(),
            error: res.error.map(|e| one_line(&e)),
        }
    }
}

/// An input that is not a name or an address, as a result.
pub fn invalid(query: &str, why: String) -> Resolution {
    Resolution {
        query: query.to_string(),
        status: Status::Invalid,
        source: None,
        elapsed: std::time::Duration::ZERO,
        rows: Vec::new(),
        error: Some(why),
        asked: None,
        messages: Vec::new(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::dns::lookup::Row;
    use std::time::Duration;

    fn ok_resolution() -> Resolution {
        Resolution {
            query: "www".into(),
            status: Status::Ok,
            source: Some(Source::Server {
                addr: "198.18.100.53:53".parse().unwrap(),
                tcp: false,
            }),
            elapsed: Duration::from_micros(1234),
            rows: vec![Row {
                name: "www.netlab.test.".into(),
                kind: "A".into(),
                value: "198.18.2.2".into(),
                ttl: Some(300),
            }],
            error: None,
            asked: None,
            messages: Vec::new(),
        }
    }

    #[test]
    fn json_shape_is_the_documented_one() {
        let mut nx = invalid("nosuch.netlab.test", "no such name".into());
        nx.status = Status::NxDomain;
        nx.source = Some(Source::Server {
            addr: "[fd4e:6c61:62:100::53]:53".parse().unwrap(),
            tcp: true,
        });
        let hosts = Resolution {
            query: "hostsonly".into(),
            status: Status::Ok,
            source: Some(Source::Hosts),
            elapsed: Duration::from_micros(12),
            rows: vec![Row {
                name: "hostsonly".into(),
                kind: "A".into(),
                value: "198.18.9.9".into(),
                ttl: None,
            }],
            error: None,
            asked: None,
            messages: Vec::new(),
        };
        let doc = Document {
            queries: vec![
                QueryJson::new("A+AAAA", ok_resolution()),
                QueryJson::new("A", nx),
                QueryJson::new("A+AAAA", hosts),
                QueryJson::new(
                    "A+AAAA",
                    invalid("a..b", "line 3: 'a..b' has an empty label".into()),
                ),
            ],
        };
        let value = serde_json::to_value(&doc).unwrap();
        let expected = serde_json::json!({"queries": [
            {"query": "www", "type": "A+AAAA", "status": "ok", "source": "198.18.100.53:53",
             "transport": "udp", "time_ms": 1.234,
             "answers": [{"name": "www.netlab.test.", "type": "A", "value": "198.18.2.2", "ttl": 300}],
             "error": null},
            {"query": "nosuch.netlab.test", "type": "A", "status": "nxdomain",
             "source": "[fd4e:6c61:62:100::53]:53", "transport": "tcp", "time_ms": 0.0,
             "answers": [], "error": "no such name"},
            {"query": "hostsonly", "type": "A+AAAA", "status": "ok",
             "source": crate::dns::hosts::path(),
             "transport": null, "time_ms": 0.012,
             "answers": [{"name": "hostsonly", "type": "A", "value": "198.18.9.9", "ttl": null}],
             "error": null},
            {"query": "a..b", "type": "A+AAAA", "status": "invalid", "source": null,
             "transport": null, "time_ms": 0.0, "answers": [],
             "error": "line 3: 'a..b' has an empty label"},
        ]});
        assert_eq!(value, expected);
    }

    #[test]
    fn every_written_field_is_in_the_schema() {
        let doc = Document {
            queries: vec![QueryJson::new("A", ok_resolution())],
        };
        let value = serde_json::to_value(&doc).unwrap();
        let query = &value["queries"][0];
        let answer = &query["answers"][0];
        let keys = value
            .as_object()
            .unwrap()
            .keys()
            .chain(query.as_object().unwrap().keys())
            .chain(answer.as_object().unwrap().keys());
        for key in keys {
            assert!(
                JSON_SCHEMA.contains(&format!("\"{key}\":")),
                "field {key} is missing from JSON_SCHEMA"
            );
        }
    }

    #[test]
    fn table_rows_show_source_ttl_and_time() {
        let rows = table_rows(&ok_resolution());
        assert_eq!(
            rows,
            vec![vec![
                "www.netlab.test.".to_string(),
                "A".into(),
                "198.18.2.2".into(),
                "300".into(),
                "198.18.100.53:53".into(),
                "1.234".into()
            ]]
        );
        let mut tcp = ok_resolution();
        tcp.source = Some(Source::Server {
            addr: "198.18.100.53:53".parse().unwrap(),
            tcp: true,
        });
        assert_eq!(table_rows(&tcp)[0][4], "198.18.100.53:53/tcp");
    }
}
