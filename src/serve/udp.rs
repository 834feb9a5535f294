//! `serve --udp`: every datagram is one message and gets one datagram back.
//!
//! A datagram's payload is the message, without one trailing line ending (`nc -u` sends
//! the newline of the line typed). Echo sends the payload back unchanged; `--banner`
//! answers every datagram with the banner (UDP has no connection to greet on, so the
//! greeting is the reply); `--reply` and `--words` answer the message. `--chat` needs a
//! conversation on one connection and is refused before binding.

use std::net::SocketAddr;
use std::time::{Instant, SystemTime};

use tokio::net::UdpSocket;

use super::protocol::words_answer;
use super::report::{End, Record, Report};
use super::Mode;
use crate::chat::strip_line_ending;
use crate::error::Failure;
use crate::net::signal::Signal;
use crate::output;

/// The largest UDP payload (IPv4: 65535 - 20 - 8); IPv6 jumbograms are not served.
const MAX_DATAGRAM: usize = 65_507;

/// The answer to one datagram.
pub fn answer(mode: &Mode, payload: &[u8], peer: SocketAddr) -> Vec<u8> {
    match mode {
        Mode::Echo => payload.to_vec(),
        Mode::Banner(text) => text.clone(),
        Mode::Reply(template) => template.render(strip_line_ending(payload), peer),
        Mode::Words => words_answer(strip_line_ending(payload)),
        Mode::Chat => Vec::new(),
    }
}

/// Answers datagrams until SIGINT or SIGTERM, or until stdout fails (nobody reads the
/// rows any more).
pub async fn serve(
    socket: UdpSocket,
    mode: &Mode,
    started: Instant,
    report: &mut Report,
    interrupt: &mut Signal,
    terminate: &mut Signal,
) -> Result<(), Failure> {
    let mut buf = vec![0u8; MAX_DATAGRAM + 1];
    let line_mode = matches!(mode, Mode::Reply(_) | Mode::Words);
    let out = report.out().clone();
    loop {
        tokio::select! {
            _ = interrupt.recv() => return Ok(()),
            _ = terminate.recv() => return Ok(()),
            () = out.closed() => return Ok(()),
            received = socket.recv_from(&mut buf) => {
                let (n, peer) = match received {
                    Ok((n, peer)) => (n, super::canonical(peer)),
                    // An ICMP error for an earlier answer (the client went away) surfaces
                    // on the next receive on Linux: not this server's problem.
                    Err(_) => continue,
                };
                let began = Instant::now();
                let mut record = Record::new(peer, began.saturating_duration_since(started));
                record.bytes_in = n as u64;
                record.lines_in = line_mode.then_some(1);
                let reply = answer(mode, &buf[..n], peer);
                match socket.send_to(&reply, peer).await {
                    Ok(sent) => {
                        record.bytes_out = sent as u64;
                        record.end = End::Answered;
                    }
                    Err(err) => {
                        record.end = End::Error;
                        record.detail = Some(err.to_string());
                    }
                }
                record.duration_ms = output::ms(began.elapsed());
                record.ended_at = SystemTime::now();
                report.add(record);
            }
        }
    }
}
