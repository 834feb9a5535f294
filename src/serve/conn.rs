//! One TCP connection, from accept to its record.
//!
//! Memory per connection is bounded: one read buffer of [`READ_CHUNK`] bytes, and in the
//! line modes at most `--max-line` bytes of an unfinished line. Echo never buffers more
//! than one read: bytes go back as they arrive, so echo has no line limit. Every write is
//! bounded by the idle timeout too, so a client that stops reading cannot hold a task.

use std::convert::Infallible;
use std::io;
use std::net::SocketAddr;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::Arc;
use std::time::{Duration, Instant, SystemTime};

use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::net::TcpStream;
use tokio::sync::{broadcast, watch};
use tokio::time::{sleep_until, timeout};

use super::protocol::{words_answer, Framed, Lines};
use super::report::{End, Record};
use super::{Mode, MESSAGE_QUIET};
use crate::chat::{is_bye, printable};
use crate::duration::format_duration;
use crate::output::{self, Stdout};

/// Bytes read at a time.
pub const READ_CHUNK: usize = 8192;
/// After a line too long, how long the rest of the client's input is read and discarded
/// before closing, so the close is a clean FIN after the explanation rather than a reset
/// that could destroy it.
const DRAIN_AFTER_REFUSAL: Duration = Duration::from_secs(1);

/// What every connection shares.
pub struct Ctx {
    pub mode: Mode,
    pub idle: Duration,
    pub max_line: usize,
    /// When the server started listening.
    pub started: Instant,
    /// Chat with several clients: prefix each printed line with its peer.
    pub chat_prefix: bool,
    /// What ends each typed chat line sent to the client (`--eol`).
    pub eol: &'static [u8],
    /// Chat lines go to stdout through the run's door.
    pub out: Stdout,
}

/// Serves one connection. `stop` turns true when the shutdown grace period is over;
/// `chat` carries the lines typed on standard input.
pub async fn serve(
    mut stream: TcpStream,
    peer: SocketAddr,
    slot: Slot,
    ctx: Arc<Ctx>,
    mut stop: watch::Receiver<bool>,
    mut chat: Option<broadcast::Receiver<Arc<Vec<u8>>>>,
) -> Record {
    let began = Instant::now();
    let mut record = Record::new(peer, began.saturating_duration_since(ctx.started));
    let (end, detail) = converse(&mut stream, peer, &ctx, &mut stop, &mut chat, &mut record).await;
    record.end = end;
    record.detail = detail;
    record.duration_ms = output::ms(began.elapsed());
    record.ended_at = SystemTime::now();
    // The slot is free before the client sees the close, so a client that connects
    // right after this one has gone is never refused for it.
    drop(slot);
    drop(stream);
    record
}

/// One of the `--max-connections` places; given back when dropped.
pub struct Slot(Arc<AtomicUsize>);

impl Slot {
    /// Takes a place if fewer than `max` are taken; also says how many are taken now,
    /// this one included.
    pub fn take(open: &Arc<AtomicUsize>, max: usize) -> Option<(Slot, usize)> {
        open.fetch_update(Ordering::SeqCst, Ordering::SeqCst, |n| {
            (n < max).then_some(n + 1)
        })
        .ok()
        .map(|before| (Slot(open.clone()), before + 1))
    }
}

impl Drop for Slot {
    fn drop(&mut self) {
        self.0.fetch_sub(1, Ordering::SeqCst);
    }
}

type Ending = (End, Option<String>);

async fn converse(
    stream: &mut TcpStream,
    peer: SocketAddr,
    ctx: &Ctx,
    stop: &mut watch::Receiver<bool>,
    chat: &mut Option<broadcast::Receiver<Arc<Vec<u8>>>>,
    record: &mut Record,
) -> Ending {
    match talk(stream, peer, ctx, stop, chat, record).await {
        Ok(never) => match never {},
        Err(ending) => ending,
    }
}

/// The conversation; it only ever returns how it ended.
async fn talk(
    stream: &mut TcpStream,
    peer: SocketAddr,
    ctx: &Ctx,
    stop: &mut watch::Receiver<bool>,
    chat: &mut Option<broadcast::Receiver<Arc<Vec<u8>>>>,
    record: &mut Record,
) -> Result<Infallible, Ending> {
    if let Mode::Banner(text) = &ctx.mode {
        send(stream, text, ctx.idle, record).await?;
        let _ = stream.shutdown().await;
        return Err((End::BannerSent, None));
    }
    if !matches!(ctx.mode, Mode::Echo) {
        record.lines_in = Some(0);
    }
    let mut lines = Lines::new(ctx.max_line);
    let mut buf = vec![0u8; READ_CHUNK];
    let mut last_activity = Instant::now();
    let mut last_read = last_activity;
    loop {
        let idle_at = last_activity + ctx.idle;
        let partial_at = lines.has_partial().then(|| last_read + MESSAGE_QUIET);
        tokio::select! {
            biased;
            _ = stopped(stop) => return Err((End::ServerShutdown, None)),
            said = chat_line(chat) => {
                let mut out = said.to_vec();
                out.extend_from_slice(ctx.eol);
                send(stream, &out, ctx.idle, record).await?;
                last_activity = Instant::now();
                if is_bye(&said) {
                    let _ = stream.shutdown().await;
                    return Err((End::ByeFromServer, None));
                }
            }
            read = stream.read(&mut buf) => {
                let n = match read {
                    Ok(n) => n,
                    Err(err) => return Err(io_ending(&err)),
                };
                if n == 0 {
                    if let Some(line) = lines.take_partial() {
                        answer(stream, peer, ctx, &line, record).await?;
                    }
                    return Err((End::ClosedByPeer, None));
                }
                record.bytes_in += n as u64;
                last_read = Instant::now();
                last_activity = last_read;
                if matches!(ctx.mode, Mode::Echo) {
                    send(stream, &buf[..n], ctx.idle, record).await?;
                    continue;
                }
                for framed in lines.push(&buf[..n]) {
                    match framed {
                        Framed::Line(line) => answer(stream, peer, ctx, &line, record).await?,
                        Framed::TooLong => return Err(too_long(stream, ctx, record, &mut buf).await),
                    }
                }
                // A chat shows what arrived at once: the end of a read is the end of a
                // message (the seed's chat client sends no newline), never held back.
                if matches!(ctx.mode, Mode::Chat) {
                    if let Some(line) = lines.take_partial() {
                        answer(stream, peer, ctx, &line, record).await?;
                    }
                }
            }
            _ = sleep_until(partial_at.unwrap_or(idle_at).into()), if partial_at.is_some() => {
                if let Some(line) = lines.take_partial() {
                    answer(stream, peer, ctx, &line, record).await?;
                }
            }
            _ = sleep_until(idle_at.into()) => {
                return Err((End::IdleTimeout, Some(format!("{} without data", format_duration(ctx.idle)))));
            }
        }
    }
}

/// Answers one line in the line modes; an `Err` ends the connection.
async fn answer(
    stream: &mut TcpStream,
    peer: SocketAddr,
    ctx: &Ctx,
    line: &[u8],
    record: &mut Record,
) -> Result<(), Ending> {
    if let Some(count) = record.lines_in.as_mut() {
        *count += 1;
    }
    let reply = match &ctx.mode {
        Mode::Reply(template) => template.render(line, peer),
        Mode::Words => words_answer(line),
        Mode::Chat => {
            let text = printable(line);
            if ctx.chat_prefix {
                ctx.out.line(&format!("[{peer}] {text}"));
            } else {
                ctx.out.line(&text);
            }
            if is_bye(line) {
                let _ = stream.shutdown().await;
                return Err((End::ByeFromPeer, None));
            }
            return Ok(());
        }
        Mode::Echo | Mode::Banner(_) => return Ok(()),
    };
    send(stream, &reply, ctx.idle, record).await
}

/// Explains, half-closes, and reads what the client is still sending (bounded), so the
/// explanation is not lost to a reset.
async fn too_long(
    stream: &mut TcpStream,
    ctx: &Ctx,
    record: &mut Record,
    buf: &mut [u8],
) -> Ending {
    let ending = (
        End::LineTooLong,
        Some(format!("more than {} bytes", ctx.max_line)),
    );
    let text = format!("error: line longer than {} bytes; closing\n", ctx.max_line);
    if send(stream, text.as_bytes(), ctx.idle, record)
        .await
        .is_err()
    {
        return ending;
    }
    let _ = stream.shutdown().await;
    let until = Instant::now() + DRAIN_AFTER_REFUSAL;
    while let Ok(Ok(n @ 1..)) = tokio::time::timeout_at(until.into(), stream.read(buf)).await {
        record.bytes_in += n as u64;
    }
    ending
}

/// Writes everything within the idle timeout, counting what went out.
async fn send(
    stream: &mut TcpStream,
    bytes: &[u8],
    idle: Duration,
    record: &mut Record,
) -> Result<(), Ending> {
    match timeout(idle, stream.write_all(bytes)).await {
        Ok(Ok(())) => {
            record.bytes_out += bytes.len() as u64;
            Ok(())
        }
        Ok(Err(err)) => Err(io_ending(&err)),
        Err(_) => Err((End::IdleTimeout, Some("the client stopped reading".into()))),
    }
}

fn io_ending(err: &io::Error) -> Ending {
    match err.kind() {
        io::ErrorKind::ConnectionReset | io::ErrorKind::BrokenPipe => (End::Reset, None),
        _ => (End::Error, Some(err.to_string())),
    }
}

/// Resolves once `stop` is true; never if the sender is gone.
pub async fn stopped(stop: &mut watch::Receiver<bool>) {
    if stop.wait_for(|&stop| stop).await.is_err() {
        std::future::pending::<()>().await;
    }
}

/// The next line typed on standard input (chat); never without a chat.
async fn chat_line(chat: &mut Option<broadcast::Receiver<Arc<Vec<u8>>>>) -> Arc<Vec<u8>> {
    let Some(rx) = chat.as_mut() else {
        return std::future::pending().await;
    };
    loop {
        match rx.recv().await {
            Ok(line) => return line,
            Err(broadcast::error::RecvError::Lagged(_)) => continue,
            Err(broadcast::error::RecvError::Closed) => return std::future::pending().await,
        }
    }
}
