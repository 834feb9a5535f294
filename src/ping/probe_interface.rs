//! `ping --probe-interface NAME|INDEX|ADDRESS ROUTER`: RFC 8335 interface probes. Each
//! probe asks the router whether one of its own interfaces exists and is up, and which
//! address families run on it; one line per probe, as ping prints replies.
//!
//! Why a path of its own beside the echo engine: a PROBE goes to one router, one at a
//! time, and its answer is a state, not a round trip to measure over many targets; the
//! engine's statistics, flood and preload modes have no meaning here. Ping's `-c`, `-i`
//! and `-W` keep theirs.
//!
//! Linux sends Extended Echo only on raw sockets (its ICMP datagram sockets carry echo
//! alone), so this needs `CAP_NET_RAW`. A router that does not answer PROBE (Linux with
//! `net.ipv4.icmp_echo_enable_probe` 0, the default) gets a timeout line per probe.
//!
//! Exit codes: 0 when every probe found the interface up, 1 when one was down, did not
//! exist or was not answered, 2 when the probes could not be sent.
//!
//! With `--json`, one document when the probes are done: its schema is in `mod.rs`.

use std::io;
use std::net::{IpAddr, SocketAddr};
use std::time::{Duration, Instant};

use crate::error::{Exit, Failure};
use crate::net::icmp::{IcmpSocket, Mode};
use crate::net::privilege;
use crate::net::probe::{poll, Pollable, Want};
use serde::Serialize;

use crate::output::{self, Format, Stdout};
use crate::packet::ext_echo::{write_request, ExtEchoReply, InterfaceQuery, ProbeCode};
use crate::packet::icmp::{Icmp, Version};
use crate::packet::ipv4::Ipv4;

/// What the run needs from ping's plan.
#[derive(Debug, Clone)]
pub struct ProbePlan {
    pub router: IpAddr,
    /// The interface as the user named it (checked by [`InterfaceQuery::from_text`]).
    pub interface: String,
    /// Probes to send (`-c`; 4 when not given, since an interface's state is asked, not
    /// watched).
    pub count: u64,
    pub interval: Duration,
    pub timeout: Duration,
    /// Table or markdown (the lines), or JSON (the document).
    pub format: Format,
}

/// The `--json` document (module docs).
#[derive(Debug, Serialize)]
struct JsonDoc {
    router: String,
    interface: String,
    query: &'static str,
    probes: Vec<JsonProbe>,
    transmitted: u64,
    answered: u64,
    up: u64,
}

/// One probe in the `--json` document.
#[derive(Debug, Serialize, PartialEq)]
struct JsonProbe {
    seq: u64,
    rtt_ms: Option<f64>,
    code: Option<u8>,
    meaning: &'static str,
    state: Option<&'static str>,
    families: Vec<&'static str>,
}

impl JsonProbe {
    fn new(seq: u64, answer: Option<(&ExtEchoReply, Duration)>) -> JsonProbe {
        let Some((reply, rtt)) = answer else {
            return JsonProbe {
                seq,
                rtt_ms: None,
                code: None,
                meaning: "timeout",
                state: None,
                families: Vec::new(),
            };
        };
        let answered = reply.code == ProbeCode::NoError;
        JsonProbe {
            seq,
            rtt_ms: Some(output::ms(rtt)),
            code: Some(reply.code.code()),
            meaning: reply.code.name(),
            state: answered.then_some(if reply.active { "up" } else { "down" }),
            families: if answered {
                families(reply)
            } else {
                Vec::new()
            },
        }
    }
}

/// The address families active on the interface.
fn families(reply: &ExtEchoReply) -> Vec<&'static str> {
    [(reply.ipv4, "ipv4"), (reply.ipv6, "ipv6")]
        .iter()
        .filter(|(on, _)| *on)
        .map(|(_, name)| *name)
        .collect()
}

/// The answer to one probe, as a line.
fn describe(query: &str, reply: &ExtEchoReply) -> (String, bool) {
    if reply.code != ProbeCode::NoError {
        return (format!("{query}: {}", reply.code.describe()), false);
    }
    let families = families(reply);
    let state = if reply.active { "up" } else { "down" };
    let families = if families.is_empty() {
        String::new()
    } else {
        format!(" ({})", families.join(", "))
    };
    (format!("{query}: {state}{families}"), reply.active)
}

pub fn run(plan: &ProbePlan, out: &Stdout) -> Result<Exit, Failure> {
    let query = InterfaceQuery::from_text(&plan.interface).ok_or_else(|| {
        Failure::usage(
            "ping --probe-interface",
            format!(
                "{:?} is not an interface name, index or address",
                plan.interface
            ),
        )
    })?;
    let version = Version::of(&plan.router);
    let ident = (std::process::id() & 0xffff) as u16;
    let socket = IcmpSocket::open(version, Mode::Raw, ident).map_err(|e| {
        let failure = Failure::new("opening a raw ICMP socket for RFC 8335 probes", &e);
        if e.kind() == io::ErrorKind::PermissionDenied {
            failure.with_hint(privilege::cap_net_raw_hint())
        } else {
            failure
        }
    })?;
    privilege::drop_all_capabilities()
        .map_err(|e| Failure::new("dropping capabilities after opening the socket", e))?;
    let dst = SocketAddr::new(plan.router, 0);
    let mut all_up = true;
    let lines = plan.format.shows_tables();
    let mut probes = Vec::new();
    if lines {
        out.line(&format!(
            "probe interface {} of {} (RFC 8335), {} probes",
            plan.interface, plan.router, plan.count
        ));
    }
    for n in 1..=plan.count {
        let seq = (n & 0xff) as u8;
        let mut buf = [0u8; 512];
        let len = write_request(&mut buf, version, ident, seq, query).ok_or_else(|| {
            Failure::usage("ping --probe-interface", "the interface name is too long")
        })?;
        let sent = Instant::now();
        socket
            .send_to(&buf[..len], dst)
            .map_err(|e| Failure::new(format!("sending a probe to {}", plan.router), e))?;
        match wait_reply(
            &socket,
            version,
            ident,
            seq,
            plan.router,
            sent + plan.timeout,
        )? {
            Some((reply, at)) => {
                let (text, up) = describe(&plan.interface, &reply);
                all_up &= up;
                let rtt = at.saturating_duration_since(sent);
                probes.push(JsonProbe::new(n, Some((&reply, rtt))));
                let rtt = output::ms(rtt);
                if lines {
                    out.line(&format!(
                        "seq={n} from {}: {text}  {rtt:.3} ms",
                        plan.router
                    ));
                }
            }
            None => {
                all_up = false;
                probes.push(JsonProbe::new(n, None));
                if lines {
                    out.line(&format!(
                        "seq={n} from {}: no answer within {:.1} s (the router does not answer \
                     RFC 8335 probes; Linux answers with net.ipv4.icmp_echo_enable_probe=1)",
                        plan.router,
                        plan.timeout.as_secs_f64()
                    ));
                }
            }
        }
        continue_after(plan, n, sent);
    }
    if plan.format == Format::Json {
        let count = |f: fn(&&JsonProbe) -> bool| probes.iter().filter(f).count() as u64;
        out.json(&JsonDoc {
            router: plan.router.to_string(),
            interface: plan.interface.clone(),
            query: query.kind(),
            transmitted: plan.count,
            answered: count(|p| p.code.is_some()),
            up: count(|p| p.state == Some("up")),
            probes,
        });
    }
    Ok(Exit::from_answered(all_up))
}

/// Waits out the interval after probe `n`, sent at `sent`, unless it was the last.
fn continue_after(plan: &ProbePlan, n: u64, sent: Instant) {
    if n < plan.count {
        std::thread::sleep(plan.interval.saturating_sub(sent.elapsed()));
    }
}

/// Reads until the reply to (`ident`, `seq`) from `router` arrives, or `deadline`.
fn wait_reply(
    socket: &IcmpSocket,
    version: Version,
    ident: u16,
    seq: u8,
    router: IpAddr,
    deadline: Instant,
) -> Result<Option<(ExtEchoReply, Instant)>, Failure> {
    let mut buf = [0u8; 2048];
    loop {
        let now = Instant::now();
        if now >= deadline {
            return Ok(None);
        }
        poll(&[(socket as &dyn Pollable, Want::Read)], deadline - now)
            .map_err(|e| Failure::new("waiting for probe replies", e))?;
        loop {
            let rx = match socket.recv(&mut buf) {
                Ok(rx) => rx,
                Err(e) if e.kind() == io::ErrorKind::WouldBlock => break,
                Err(e) if e.kind() == io::ErrorKind::Interrupted => continue,
                Err(e) => return Err(Failure::new("reading probe replies", e)),
            };
            let bytes = &buf[..rx.len];
            let icmp_bytes = match version {
                Version::V4 => match Ipv4::parse(bytes) {
                    Ok(ip) => ip.payload(),
                    Err(_) => continue,
                },
                Version::V6 => bytes,
            };
            let Ok(icmp) = Icmp::parse(icmp_bytes, version) else {
                continue;
            };
            if version == Version::V4 && !icmp.checksum_ok_v4() {
                continue;
            }
            match ExtEchoReply::parse(&icmp) {
                Some(reply) if reply.ident == ident && reply.seq == seq && rx.from == router => {
                    return Ok(Some((reply, rx.at)));
                }
                _ => continue,
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn reply(code: ProbeCode, active: bool, ipv4: bool, ipv6: bool) -> ExtEchoReply {
        ExtEchoReply {
            ident: 1,
            seq: 1,
            code,
            state: 0,
            active,
            ipv4,
            ipv6,
        }
    }

    #[test]
    fn answers_read_as_states() {
        let up = reply(ProbeCode::NoError, true, true, true);
        assert_eq!(
            describe("veth0", &up),
            ("veth0: up (ipv4, ipv6)".into(), true)
        );
        let down = reply(ProbeCode::NoError, false, false, false);
        assert_eq!(describe("3", &down), ("3: down".into(), false));
        let none = reply(ProbeCode::NoSuchInterface, false, false, false);
        assert_eq!(
            describe("nope0", &none),
            ("nope0: no such interface".into(), false)
        );
    }

    #[test]
    fn json_probes_name_the_code_the_state_and_the_families() {
        let rtt = Duration::from_micros(1500);
        let up = reply(ProbeCode::NoError, true, true, false);
        assert_eq!(
            serde_json::to_value(JsonProbe::new(1, Some((&up, rtt)))).unwrap(),
            serde_json::json!({"seq": 1, "rtt_ms": 1.5, "code": 0, "meaning": "no_error",
                               "state": "up", "families": ["ipv4"]})
        );
        let down = reply(ProbeCode::NoError, false, false, false);
        assert_eq!(JsonProbe::new(2, Some((&down, rtt))).state, Some("down"));
        let none = reply(ProbeCode::NoSuchInterface, false, true, true);
        assert_eq!(
            serde_json::to_value(JsonProbe::new(3, Some((&none, rtt)))).unwrap(),
            serde_json::json!({"seq": 3, "rtt_ms": 1.5, "code": 2,
                               "meaning": "no_such_interface", "state": null, "families": []})
        );
        assert_eq!(
            serde_json::to_value(JsonProbe::new(4, None)).unwrap(),
            serde_json::json!({"seq": 4, "rtt_ms": null, "code": null, "meaning": "timeout",
                               "state": null, "families": []})
        );
    }
}
