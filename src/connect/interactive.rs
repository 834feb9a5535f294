//! `netlab connect --interactive HOST:PORT`: the client side of a chat (seed lab 002), or
//! a line-based `nc`: lines typed on stdin go to the server, the server's lines are
//! printed on stdout, until either side closes or says `bye`.
//!
//! - Each stdin line is sent ended by `--eol` (default `lf`; `none` sends `bye` as the
//!   seed 002 chat server compares it, `crlf` for telnet-style servers). Sending `bye`
//!   (any case, surrounding spaces ignored) half-closes the connection and waits at most
//!   [`BYE_WAIT`] for the server to close; end of stdin (Ctrl-D) half-closes too, and the
//!   server's remaining lines are still printed until it closes.
//! - Each server line is printed as it arrives, control characters escaped (a peer cannot
//!   drive the terminal). An unfinished line (a prompt without a newline) is printed after
//!   [`PARTIAL_WAIT`] of silence. A line `bye` from the server ends the session.
//! - Exit status: 0 once connected and ended by either side; 1 when no address of the
//!   target accepted the connection (refused, unreachable, timed out); 2 for bad input.

use std::time::{Duration, Instant};

use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::net::TcpStream;
use tokio::time::{sleep_until, timeout};

use crate::chat::{is_bye, printable, stdin_lines, strip_line_ending};
use crate::cli::{ConnectArgs, Eol};
use crate::error::{Exit, Failure};
use crate::output::Stdout;
use crate::target::{parse_port_list, PortSuffix, Target};

/// After sending `bye`, how long the server may take to close.
pub const BYE_WAIT: Duration = Duration::from_secs(2);
/// How long an unfinished server line waits before it is printed anyway: short, since
/// the lab's chat server answers without a newline.
pub const PARTIAL_WAIT: Duration = Duration::from_millis(20);
/// Longest server line kept whole; longer ones are printed in pieces of this size.
const MAX_LINE: usize = 64 * 1024;

/// Runs an interactive session for `connect --interactive` (clap has already refused the
/// flags that make no sense with it).
pub async fn run(args: ConnectArgs, out: &Stdout) -> Result<Exit, Failure> {
    let (target, port) = parse(&args)?;
    let family = args.family.family();
    let addresses = super::addresses_of(&target.host, family).await?;
    let named = matches!(target.host, crate::target::Host::Name(_));
    let mut last_error = String::new();
    let mut connected = None;
    for address in &addresses {
        let addr = address.with_port(port);
        let why = match timeout(args.timeout, TcpStream::connect(addr)).await {
            Ok(Ok(stream)) => {
                connected = Some((stream, addr));
                break;
            }
            Ok(Err(err)) => short(&err),
            Err(_) => format!(
                "no answer within {}",
                crate::duration::format_duration(args.timeout)
            ),
        };
        // A name can have several addresses: say which one answered so.
        last_error = if named { format!("{addr}: {why}") } else { why };
    }
    let Some((stream, addr)) = connected else {
        eprintln!("netlab: connect {}: {last_error}", target.text);
        return Ok(Exit::NotAnswered);
    };
    eprintln!("netlab: connected to {addr}; lines typed here are sent, `bye` or Ctrl-D ends");
    converse(out, stream, args.eol.unwrap_or(Eol::Lf).bytes()).await?;
    Ok(Exit::Answered)
}

/// The one target and its one port.
fn parse(args: &ConnectArgs) -> Result<(Target, u16), Failure> {
    let [text] = args.targets.as_slice() else {
        return Err(Failure::usage(
            "--interactive",
            "talks to one target (HOST:PORT)",
        ));
    };
    let what = format!("target '{text}'");
    let target = Target::parse_destination(text, PortSuffix::Allowed)
        .map_err(|why| Failure::usage(&what, why))?;
    let port = match (target.port, &args.ports) {
        (Some(port), None) => port,
        (None, Some(ports)) => match parse_port_list(ports).as_deref() {
            Ok([port]) if !ports.contains('-') => *port,
            Ok(_) => {
                return Err(Failure::usage(
                    "--interactive",
                    "talks to one port, and -p gives several",
                ))
            }
            Err(why) => return Err(Failure::usage("-p", why)),
        },
        (Some(_), Some(_)) => {
            return Err(Failure::usage(&what, "names a port, and -p gives one too"))
        }
        (None, None) => {
            return Err(Failure::usage(&what, "no port given")
                .with_hint("write HOST:PORT ([IPv6]:PORT for an IPv6 address), or add -p PORT"))
        }
    };
    Ok((target, port))
}

fn short(err: &std::io::Error) -> String {
    let text = err.to_string();
    match text.find(" (os error") {
        Some(cut) => text[..cut].to_lowercase(),
        None => text,
    }
}

async fn converse(out: &Stdout, mut stream: TcpStream, eol: &[u8]) -> Result<(), Failure> {
    let mut typed = stdin_lines();
    let mut typing = true;
    let mut pending: Vec<u8> = Vec::new();
    let mut buf = vec![0u8; 8192];
    let mut last_read = Instant::now();
    // Set once we said bye: the server has until then to close.
    let mut closing_by: Option<Instant> = None;
    loop {
        // Nobody reads what the server says any more: the conversation is over.
        if out.stopped() {
            return Ok(());
        }
        let partial_at = (!pending.is_empty()).then(|| last_read + PARTIAL_WAIT);
        tokio::select! {
            line = typed.recv(), if typing && closing_by.is_none() => match line {
                Some(mut line) => {
                    let bye = is_bye(&line);
                    line.extend_from_slice(eol);
                    if let Err(err) = stream.write_all(&line).await {
                        eprintln!("netlab: the connection ended: {}", short(&err));
                        return Ok(());
                    }
                    if bye {
                        let _ = stream.shutdown().await;
                        closing_by = Some(Instant::now() + BYE_WAIT);
                    }
                }
                None => {
                    typing = false;
                    let _ = stream.shutdown().await;
                }
            },
            read = stream.read(&mut buf) => {
                let n = match read {
                    Ok(n) => n,
                    Err(err) => {
                        eprintln!("netlab: the connection ended: {}", short(&err));
                        return Ok(());
                    }
                };
                if n == 0 {
                    if !pending.is_empty() {
                        out.line(&printable(strip_line_ending(&pending)));
                    }
                    return Ok(());
                }
                last_read = Instant::now();
                pending.extend_from_slice(&buf[..n]);
                while let Some(nl) = pending.iter().position(|&b| b == b'\n') {
                    let line: Vec<u8> = pending.drain(..=nl).collect();
                    let line = strip_line_ending(&line);
                    out.line(&printable(line));
                    if is_bye(line) {
                        return Ok(());
                    }
                }
                // A line longer than MAX_LINE is printed in pieces.
                if pending.len() >= MAX_LINE {
                    out.line(&printable(&std::mem::take(&mut pending)));
                }
            }
            _ = sleep_until(partial_at.unwrap_or(last_read).into()), if partial_at.is_some() => {
                out.line(&printable(&std::mem::take(&mut pending)));
            }
            _ = sleep_until(closing_by.unwrap_or(last_read).into()), if closing_by.is_some() => {
                return Ok(());
            }
        }
    }
}
