//! The TLS handshake as the packets show it: tcpdump in the lab's client namespace
//! while the phase runs alternate (netlab, curl, netlab, ...), each run one TCP
//! connection, so the n-th connection on the wire is the n-th run.
//!
//! Why: curl's `time_appconnect - time_connect` starts when its TCP connection is up, but
//! curl builds its OpenSSL context and reads its CA file only then, so the span holds
//! curl's own set-up before its ClientHello leaves as well as the handshake. On the wire
//! each tool's phase is split in two: from the SYN-ACK to its ClientHello (the client's
//! own work after connecting) and from the SYN-ACK to its Finished (the handshake as the
//! network and the server made it, plus that work). Each tool's reported TLS phase is then
//! compared with its own connection's wire span.
//!
//! tcpdump's text output (`-tt -n`), not a pcap parser: a timestamp, the two endpoints,
//! the TCP flags and the payload length are all this needs.

use std::path::Path;
use std::process::{Child, Stdio};
use std::time::{Duration, Instant};

use super::super::lab::{Lab, Role};

/// One connection's moments, in seconds of tcpdump's clock.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct Connection {
    /// The server's SYN-ACK reached the client: the TCP connection is up.
    pub syn_ack: f64,
    /// The client's first bytes left: its ClientHello.
    pub client_hello: f64,
    /// The client's second bytes left: its Finished (with TLS 1.3's ChangeCipherSpec).
    pub finished: f64,
}

impl Connection {
    /// SYN-ACK to the client's Finished, ms: the TLS phase as the packets show it.
    pub fn tls_ms(&self) -> f64 {
        (self.finished - self.syn_ack) * 1000.0
    }
    /// SYN-ACK to the ClientHello, ms: the client's own work before the handshake.
    pub fn set_up_ms(&self) -> f64 {
        (self.client_hello - self.syn_ack) * 1000.0
    }
}

/// tcpdump writing the lab client's packets to `port` as text into `file`.
pub struct Capture {
    child: Child,
}

impl Capture {
    pub fn start(lab: &Lab, port: u16, file: &Path) -> Option<Capture> {
        let out = std::fs::File::create(file).ok()?;
        let mut child = lab
            .command(Role::Client, "tcpdump")
            .args(["-i", "any", "-n", "-tt", "-l"])
            .args(["--immediate-mode", &format!("tcp port {port}")])
            .stdout(out)
            .stderr(Stdio::piped())
            .spawn()
            .ok()?;
        // tcpdump says "listening on ..." on stderr once its filter is in place.
        let mut stderr = child.stderr.take()?;
        let ready = std::thread::spawn(move || {
            use std::io::Read;
            let mut seen = Vec::new();
            let mut byte = [0u8; 1];
            while stderr.read(&mut byte).is_ok_and(|n| n == 1) {
                seen.push(byte[0]);
                if String::from_utf8_lossy(&seen).contains("listening on") {
                    return true;
                }
            }
            false
        });
        let deadline = Instant::now() + Duration::from_secs(10);
        while !ready.is_finished() && Instant::now() < deadline {
            std::thread::sleep(Duration::from_millis(10));
        }
        if !(ready.is_finished() && ready.join().unwrap_or(false)) {
            let _ = child.kill();
            let _ = child.wait();
            return None;
        }
        Some(Capture { child })
    }

    /// Stops tcpdump (SIGINT, so it flushes) and waits for it.
    pub fn stop(mut self) {
        // SAFETY: signalling our own child by its pid.
        unsafe { libc::kill(self.child.id() as libc::pid_t, libc::SIGINT) };
        let _ = self.child.wait();
    }
}

/// The connections to `port` in `text` (tcpdump `-tt -n` lines), in the order their
/// SYN-ACKs came; a connection without a SYN-ACK, a ClientHello and a Finished is left
/// out.
pub fn connections(text: &str, port: u16) -> Vec<Connection> {
    // Per client port: SYN-ACK, first and second data segment from the client.
    let mut seen: Vec<(u16, Option<f64>, Vec<f64>)> = Vec::new();
    for line in text.lines() {
        let Some(packet) = Packet::parse(line, port) else {
            continue;
        };
        let entry = match seen.iter().position(|(p, ..)| *p == packet.client_port) {
            Some(i) => &mut seen[i],
            None => {
                seen.push((packet.client_port, None, Vec::new()));
                seen.last_mut().expect("just pushed")
            }
        };
        match (packet.from_client, packet.syn, packet.len) {
            (false, true, _) if entry.1.is_none() => entry.1 = Some(packet.at),
            (true, false, len) if len > 0 && entry.2.len() < 2 => entry.2.push(packet.at),
            _ => {}
        }
    }
    let mut out: Vec<Connection> = seen
        .into_iter()
        .filter_map(|(_, syn_ack, data)| {
            Some(Connection {
                syn_ack: syn_ack?,
                client_hello: *data.first()?,
                finished: *data.get(1)?,
            })
        })
        .collect();
    out.sort_by(|a, b| a.syn_ack.total_cmp(&b.syn_ack));
    out
}

/// What one tcpdump line says, as far as this needs.
struct Packet {
    at: f64,
    client_port: u16,
    from_client: bool,
    syn: bool,
    len: usize,
}

impl Packet {
    /// `1765075200.123456 veth0 Out IP 198.18.0.2.40000 > 198.18.7.2.8443: Flags [S], ...
    /// length 0`.
    fn parse(line: &str, port: u16) -> Option<Packet> {
        let at: f64 = line.split_whitespace().next()?.parse().ok()?;
        let (head, tail) = line.split_once(": ")?;
        let mut words = head.split_whitespace().rev();
        let dst = words.next()?;
        (words.next()? == ">").then_some(())?;
        let src = words.next()?;
        let port_of = |endpoint: &str| endpoint.rsplit_once('.')?.1.parse::<u16>().ok();
        let (src_port, dst_port) = (port_of(src)?, port_of(dst)?);
        let from_client = dst_port == port;
        if !from_client && src_port != port {
            return None;
        }
        let client_port = if from_client { src_port } else { dst_port };
        let syn = tail
            .split_once("Flags [")
            .and_then(|(_, rest)| rest.split_once(']'))
            .is_some_and(|(flags, _)| flags.contains('S'));
        let len = tail
            .rsplit_once("length ")
            .and_then(|(_, n)| n.split_whitespace().next()?.parse().ok())
            .unwrap_or(0);
        Some(Packet {
            at,
            client_port,
            from_client,
            syn,
            len,
        })
    }
}
