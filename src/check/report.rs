//! What `check` prints: the tables for people and the one JSON document (its schema is
//! in the module documentation of `check`), from the run's findings. Apart from `mod.rs`,
//! which runs the parts, so each file keeps one story.

use std::net::{IpAddr, SocketAddr};
use std::time::Duration;

use serde::Serialize;

use super::names::DnsAnswer;
use super::verdict::{Check, PortState, Status};
use super::{Plan, Resolved};
use crate::output::{self, Stdout};
use crate::ping::Summary as PingSummary;
use crate::target::Host;
use crate::trace::TraceOutcome;

pub(super) struct Report<'a> {
    pub(super) plan: &'a Plan,
    pub(super) resolved: &'a Resolved,
    pub(super) port_state: &'a PortState,
    pub(super) connect_time: Option<Duration>,
    pub(super) ping: &'a PingSummary,
    pub(super) trace: &'a TraceOutcome,
    pub(super) checks: &'a [Check],
    pub(super) passed: bool,
}

fn texts(addrs: &[IpAddr]) -> Vec<String> {
    addrs.iter().map(IpAddr::to_string).collect()
}

fn opt_ms(d: Option<Duration>) -> Option<f64> {
    d.map(output::ms)
}

impl Report<'_> {
    pub(super) fn source(&self) -> &'static str {
        match &self.plan.target.host {
            Host::Ip { .. } => "literal",
            // glibc consults /etc/hosts first: a name it lists never goes to DNS.
            Host::Name(_) if !self.resolved.hosts.is_empty() => "hosts",
            Host::Name(_) => "dns",
        }
    }

    pub(super) fn end_address(&self) -> Option<IpAddr> {
        match self.trace.ending {
            crate::trace::engine::Ending::Reached { from, .. }
            | crate::trace::engine::Ending::Unreachable { from, .. } => Some(from),
            _ => None,
        }
    }

    pub(super) fn ending(&self) -> &'static str {
        match self.trace.ending {
            crate::trace::engine::Ending::Reached { .. } => "reached",
            crate::trace::engine::Ending::Unreachable { .. } => "unreachable",
            crate::trace::engine::Ending::MaxHops => "max_hops",
            crate::trace::engine::Ending::Stopped => "stopped",
        }
    }

    pub(super) fn connect_from(&self) -> Option<IpAddr> {
        match self.port_state {
            PortState::Closed { from } | PortState::Unreachable { from, .. } => *from,
            _ => None,
        }
    }

    pub(super) fn connect_detail(&self) -> Option<String> {
        if !self.plan.port_given
            && self.resolved.probe.ip().is_loopback()
            && matches!(self.port_state, PortState::Open)
        {
            return Some("netlab's own listener for this run (no -p given)".into());
        }
        match self.port_state {
            PortState::Unreachable { why, .. } => Some(why.clone()),
            PortState::Error(why) => Some(why.clone()),
            _ => None,
        }
    }

    pub(super) fn hop_rtts(hop: &crate::trace::engine::Hop) -> Vec<f64> {
        hop.probes
            .iter()
            .filter_map(|p| match p {
                crate::trace::engine::ProbeResult::Answered { rtt, .. } => Some(output::ms(*rtt)),
                _ => None,
            })
            .collect()
    }

    pub(super) fn document(&self) -> Document {
        let r = self.resolved;
        let (dns, dns_error) = match &r.dns {
            Some(DnsAnswer::Answered {
                server,
                name,
                addrs,
                status,
            }) => (
                Some(DnsDoc {
                    server: server.to_string(),
                    name: name.clone(),
                    status,
                    addresses: texts(addrs),
                }),
                None,
            ),
            Some(DnsAnswer::Unavailable(why) | DnsAnswer::NotAsked(why)) => {
                (None, Some(why.clone()))
            }
            None => (None, None),
        };
        Document {
            target: self.plan.target.text.clone(),
            port: self.plan.port,
            address: r.probe.ip().to_string(),
            resolve: ResolveDoc {
                addresses: texts(&r.system),
                source: self.source(),
                elapsed_ms: output::ms(r.elapsed),
                hosts_addresses: texts(&r.hosts),
                dns,
                dns_error,
            },
            connect: ConnectDoc {
                to: SocketAddr::new(r.probe.ip(), self.plan.port).to_string(),
                state: self.port_state.as_str(),
                time_ms: opt_ms(self.connect_time),
                from: self.connect_from().map(|a| a.to_string()),
                detail: self.connect_detail(),
            },
            ping: PingDoc {
                address: r.probe.ip().to_string(),
                transmitted: self.ping.transmitted,
                received: self.ping.received,
                loss_percent: self.ping.loss_percent,
                min_ms: opt_ms(self.ping.min),
                avg_ms: self.ping.avg_ms.map(|v| (v * 1000.0).round() / 1000.0),
                max_ms: opt_ms(self.ping.max),
                replies_from: texts(&self.ping.replies_from),
                errors: self
                    .ping
                    .errors
                    .iter()
                    .map(|(from, kind)| PingErrorDoc {
                        from: from.to_string(),
                        kind: kind.as_str(),
                    })
                    .collect(),
            },
            trace: TraceDoc {
                hops: self
                    .trace
                    .hops
                    .iter()
                    .map(|hop| HopDoc {
                        ttl: hop.ttl,
                        addresses: texts(&hop.responders()),
                        rtt_ms: Self::hop_rtts(hop),
                    })
                    .collect(),
                ending: self.ending(),
                end_address: self.end_address().map(|a| a.to_string()),
            },
            checks: self.checks.to_vec(),
            passed: self.passed,
        }
    }

    /// The tables people see: resolve, connect, ping, trace, and the verdict.
    pub(super) fn tables(&self) -> Vec<comfy_table::Table> {
        let mut tables = Vec::with_capacity(5);
        let r = self.resolved;
        let mut table = output::table(&["address", "source"]);
        let source = match self.source() {
            "hosts" => crate::dns::hosts::path(),
            "literal" => "given as an address".to_string(),
            _ => match &r.dns {
                Some(DnsAnswer::Answered { server, .. }) => format!("DNS ({})", server.ip()),
                _ => "DNS".to_string(),
            },
        };
        for addr in &r.system {
            table.add_row(vec![addr.to_string(), format!("system resolver: {source}")]);
        }
        match &r.dns {
            Some(DnsAnswer::Answered {
                server,
                addrs,
                status,
                ..
            }) => {
                if addrs.is_empty() {
                    table.add_row(vec![
                        "-".to_string(),
                        format!("DNS {} asked directly: {status}", server.ip()),
                    ]);
                }
                for addr in addrs {
                    table.add_row(vec![
                        addr.to_string(),
                        format!("DNS {} asked directly", server.ip()),
                    ]);
                }
            }
            Some(DnsAnswer::Unavailable(why) | DnsAnswer::NotAsked(why)) => {
                table.add_row(vec!["-".to_string(), format!("DNS not asked: {why}")]);
            }
            None => {}
        }
        tables.push(table);

        let mut table = output::table(&["connect", "state", "time", "detail"]);
        let detail = match (self.connect_from(), self.connect_detail()) {
            (Some(from), Some(why)) => format!("{why} from {from}"),
            (Some(from), None) => format!("ICMP from {from}"),
            (None, Some(why)) => why,
            (None, None) => String::new(),
        };
        table.add_row(vec![
            SocketAddr::new(r.probe.ip(), self.plan.port).to_string(),
            self.port_state.as_str().to_string(),
            self.connect_time
                .map(|t| format!("{:.3}ms", output::ms(t)))
                .unwrap_or_else(|| "-".into()),
            detail,
        ]);
        tables.push(table);

        let mut table = output::table(&[
            "ping",
            "sent",
            "received",
            "loss",
            "min",
            "avg",
            "max",
            "replies from",
        ]);
        let ms = |v: Option<f64>| v.map(|v| format!("{v:.3}")).unwrap_or_else(|| "-".into());
        table.add_row(vec![
            r.probe.ip().to_string(),
            self.ping.transmitted.to_string(),
            self.ping.received.to_string(),
            format!("{}%", (self.ping.loss_percent * 10.0).round() / 10.0),
            ms(opt_ms(self.ping.min)),
            ms(self.ping.avg_ms),
            ms(opt_ms(self.ping.max)),
            texts(&self.ping.replies_from).join(", "),
        ]);
        tables.push(table);

        let mut table = output::table(&["hop", "address", "rtt ms"]);
        for hop in &self.trace.hops {
            let addrs = texts(&hop.responders());
            let rtts: Vec<String> = Self::hop_rtts(hop)
                .iter()
                .map(|v| format!("{v:.3}"))
                .collect();
            table.add_row(vec![
                hop.ttl.to_string(),
                if addrs.is_empty() {
                    "*".into()
                } else {
                    addrs.join(", ")
                },
                rtts.join(" "),
            ]);
        }
        tables.push(table);

        let mut table = output::table(&["check", "result", "explanation"]);
        for check in self.checks {
            table.add_row(vec![
                check.name.to_string(),
                match check.status {
                    Status::Pass => "pass",
                    Status::Fail => "FAIL",
                    Status::Skip => "skip",
                }
                .to_string(),
                check.explanation.clone().unwrap_or_default(),
            ]);
        }
        tables.push(table);
        tables
    }

    pub(super) fn print(&self, out: &Stdout) {
        for (i, table) in self.tables().iter().enumerate() {
            if i > 0 {
                out.line("");
            }
            out.table(table);
        }
    }
}

#[derive(Serialize)]
pub(super) struct Document {
    target: String,
    port: u16,
    address: String,
    resolve: ResolveDoc,
    connect: ConnectDoc,
    ping: PingDoc,
    trace: TraceDoc,
    checks: Vec<Check>,
    passed: bool,
}

#[derive(Serialize)]
struct ResolveDoc {
    addresses: Vec<String>,
    source: &'static str,
    elapsed_ms: f64,
    hosts_addresses: Vec<String>,
    dns: Option<DnsDoc>,
    dns_error: Option<String>,
}

#[derive(Serialize)]
struct DnsDoc {
    server: String,
    name: String,
    status: &'static str,
    addresses: Vec<String>,
}

#[derive(Serialize)]
struct ConnectDoc {
    to: String,
    state: &'static str,
    time_ms: Option<f64>,
    from: Option<String>,
    detail: Option<String>,
}

#[derive(Serialize)]
struct PingDoc {
    address: String,
    transmitted: u64,
    received: u64,
    loss_percent: f64,
    min_ms: Option<f64>,
    avg_ms: Option<f64>,
    max_ms: Option<f64>,
    replies_from: Vec<String>,
    errors: Vec<PingErrorDoc>,
}

#[derive(Serialize)]
struct PingErrorDoc {
    from: String,
    kind: &'static str,
}

#[derive(Serialize)]
struct TraceDoc {
    hops: Vec<HopDoc>,
    ending: &'static str,
    end_address: Option<String>,
}

#[derive(Serialize)]
struct HopDoc {
    ttl: u8,
    addresses: Vec<String>,
    rtt_ms: Vec<f64>,
}
