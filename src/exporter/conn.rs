//! The HTTP connections: bounded in number, closed when idle, TLS when configured.
//!
//! Connections are bounded: past [`MAX_CONNECTIONS`] the listener stops accepting
//! (the kernel's backlog holds the rest) until one closes, so a crowd of idle clients
//! cannot grow the exporter's memory. Requests on a connection are served one at a time
//! (HTTP/1.1), so the bound holds for requests too. And a connection that moves no byte
//! either way for its idle limit is closed, so idle clients — a slow TLS handshake
//! included (slowloris) — cannot hold every slot (axum's server sets no header or idle
//! timeout of its own).
//!
//! With `tls_server_config` (`web.rs`) every connection is TLS. The handshake runs
//! inside the connection's first read, not in `accept`, so one slow client never holds
//! up the others. A client that speaks plain HTTP to the TLS port gets what Go's
//! servers (so exporter-toolkit's) answer, `400 Bad Request` "Client sent an HTTP
//! request to an HTTPS server.", and the connection closes: the first byte of a TLS
//! connection is a handshake record (0x16), an HTTP request's is a letter.

use std::future::Future;
use std::io;
use std::pin::Pin;
use std::sync::{Arc, RwLock};
use std::task::{Context, Poll};
use std::time::Duration;

use tokio::io::{AsyncRead, AsyncWrite, ReadBuf};
use tokio::net::{TcpListener, TcpStream};
use tokio::sync::{OwnedSemaphorePermit, Semaphore};
use tokio_rustls::server::TlsStream;
use tokio_rustls::{Accept, TlsAcceptor};

use super::web::Web;

/// Connections served at once.
pub const MAX_CONNECTIONS: usize = 128;
/// How long a connection may be quiet (plus the probe timeout) before it is closed.
pub const IDLE: Duration = Duration::from_secs(30);

/// What a plain-HTTP request to the TLS port gets (Go's net/http answer).
const PLAIN_TO_TLS: &[u8] =
    b"HTTP/1.0 400 Bad Request\r\nContent-Type: text/plain; charset=utf-8\r\nConnection: close\r\n\r\nClient sent an HTTP request to an HTTPS server.\n";
/// The first byte of a TLS handshake record.
const TLS_HANDSHAKE: u8 = 0x16;

/// A listener that holds one of [`MAX_CONNECTIONS`] permits per open connection.
pub struct Limited {
    pub listener: TcpListener,
    /// Read at each accept, so a reload's new certificate serves the next connection.
    pub web: Arc<RwLock<Arc<Web>>>,
    pub slots: Arc<Semaphore>,
    /// How long a connection may move no byte before it is closed.
    pub idle: Duration,
}

impl axum::serve::Listener for Limited {
    type Io = Counted;
    type Addr = std::net::SocketAddr;

    async fn accept(&mut self) -> (Counted, std::net::SocketAddr) {
        loop {
            let Ok(permit) = self.slots.clone().acquire_owned().await else {
                std::future::pending::<()>().await;
                continue;
            };
            match self.listener.accept().await {
                Ok((stream, peer)) => {
                    let _ = stream.set_nodelay(true);
                    let tls = self
                        .web
                        .read()
                        .ok()
                        .and_then(|w| w.tls.clone())
                        .map(TlsAcceptor::from);
                    let stream = match tls {
                        Some(acceptor) => Conn::Sniffing(stream, acceptor),
                        None => Conn::Plain(stream),
                    };
                    return (
                        Counted {
                            stream,
                            _permit: permit,
                            idle: self.idle,
                            quiet: Box::pin(tokio::time::sleep(self.idle)),
                        },
                        peer,
                    );
                }
                // EMFILE and friends: wait a little rather than spin (as axum's own
                // listener does).
                Err(_) => tokio::time::sleep(Duration::from_millis(50)).await,
            }
        }
    }

    fn local_addr(&self) -> io::Result<std::net::SocketAddr> {
        self.listener.local_addr()
    }
}

/// A connection and its permit: the permit goes back when the connection is dropped.
pub struct Counted {
    stream: Conn,
    _permit: OwnedSemaphorePermit,
    idle: Duration,
    /// Fires when no byte has moved for `idle`.
    quiet: Pin<Box<tokio::time::Sleep>>,
}

impl Counted {
    /// A byte moved: the idle clock starts again.
    fn moved(&mut self) {
        let next = tokio::time::Instant::now() + self.idle;
        self.quiet.as_mut().reset(next);
    }

    /// Pending I/O: has the connection been quiet too long?
    fn check_idle(&mut self, cx: &mut Context<'_>) -> Poll<io::Error> {
        match self.quiet.as_mut().poll(cx) {
            Poll::Ready(()) => Poll::Ready(io::Error::new(
                io::ErrorKind::TimedOut,
                "connection idle too long",
            )),
            Poll::Pending => Poll::Pending,
        }
    }
}

/// A connection's stream: plain, or TLS on its way up or established.
pub enum Conn {
    Plain(TcpStream),
    /// TLS configured, nothing read yet: is it a handshake or plain HTTP?
    Sniffing(TcpStream, TlsAcceptor),
    Handshaking(Box<Accept<TcpStream>>),
    Tls(Box<TlsStream<TcpStream>>),
    /// Refused or failed: every call fails.
    Closed,
}

fn refused(why: &'static str) -> io::Error {
    io::Error::new(io::ErrorKind::InvalidData, why)
}

impl Conn {
    /// Drives the TLS set-up until the connection can carry HTTP (Ready(Ok)), fails,
    /// or waits for the network.
    fn poll_established(&mut self, cx: &mut Context<'_>) -> Poll<io::Result<()>> {
        loop {
            match std::mem::replace(self, Conn::Closed) {
                Conn::Sniffing(stream, acceptor) => {
                    let mut first = [0u8; 1];
                    let mut buf = ReadBuf::new(&mut first);
                    match stream.poll_peek(cx, &mut buf) {
                        Poll::Pending => {
                            *self = Conn::Sniffing(stream, acceptor);
                            return Poll::Pending;
                        }
                        Poll::Ready(Err(e)) => return Poll::Ready(Err(e)),
                        Poll::Ready(Ok(0)) => return Poll::Ready(Err(refused("closed"))),
                        Poll::Ready(Ok(_)) if first[0] == TLS_HANDSHAKE => {
                            *self = Conn::Handshaking(Box::new(acceptor.accept(stream)));
                        }
                        Poll::Ready(Ok(_)) => {
                            // Best effort: a short answer fits the socket's send buffer.
                            let _ = stream.try_write(PLAIN_TO_TLS);
                            return Poll::Ready(Err(refused("plain HTTP request to the TLS port")));
                        }
                    }
                }
                Conn::Handshaking(mut accept) => match Pin::new(accept.as_mut()).poll(cx) {
                    Poll::Pending => {
                        *self = Conn::Handshaking(accept);
                        return Poll::Pending;
                    }
                    Poll::Ready(Ok(tls)) => {
                        *self = Conn::Tls(Box::new(tls));
                        return Poll::Ready(Ok(()));
                    }
                    Poll::Ready(Err(e)) => return Poll::Ready(Err(e)),
                },
                Conn::Closed => return Poll::Ready(Err(refused("connection closed"))),
                ready => {
                    *self = ready;
                    return Poll::Ready(Ok(()));
                }
            }
        }
    }
}

impl AsyncRead for Conn {
    fn poll_read(
        self: Pin<&mut Self>,
        cx: &mut Context<'_>,
        buf: &mut ReadBuf<'_>,
    ) -> Poll<io::Result<()>> {
        let this = self.get_mut();
        if let Err(e) = std::task::ready!(this.poll_established(cx)) {
            return Poll::Ready(Err(e));
        }
        match this {
            Conn::Plain(s) => Pin::new(s).poll_read(cx, buf),
            Conn::Tls(s) => Pin::new(s.as_mut()).poll_read(cx, buf),
            _ => Poll::Ready(Err(refused("connection not established"))),
        }
    }
}

impl AsyncWrite for Conn {
    fn poll_write(
        self: Pin<&mut Self>,
        cx: &mut Context<'_>,
        buf: &[u8],
    ) -> Poll<io::Result<usize>> {
        let this = self.get_mut();
        if let Err(e) = std::task::ready!(this.poll_established(cx)) {
            return Poll::Ready(Err(e));
        }
        match this {
            Conn::Plain(s) => Pin::new(s).poll_write(cx, buf),
            Conn::Tls(s) => Pin::new(s.as_mut()).poll_write(cx, buf),
            _ => Poll::Ready(Err(refused("connection not established"))),
        }
    }
    fn poll_flush(self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<io::Result<()>> {
        match self.get_mut() {
            Conn::Plain(s) => Pin::new(s).poll_flush(cx),
            Conn::Tls(s) => Pin::new(s.as_mut()).poll_flush(cx),
            _ => Poll::Ready(Ok(())),
        }
    }
    fn poll_shutdown(self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<io::Result<()>> {
        match self.get_mut() {
            Conn::Plain(s) => Pin::new(s).poll_shutdown(cx),
            Conn::Tls(s) => Pin::new(s.as_mut()).poll_shutdown(cx),
            _ => Poll::Ready(Ok(())),
        }
    }
}

impl AsyncRead for Counted {
    fn poll_read(
        mut self: Pin<&mut Self>,
        cx: &mut Context<'_>,
        buf: &mut ReadBuf<'_>,
    ) -> Poll<io::Result<()>> {
        match Pin::new(&mut self.stream).poll_read(cx, buf) {
            Poll::Ready(r) => {
                self.moved();
                Poll::Ready(r)
            }
            Poll::Pending => self.check_idle(cx).map(Err),
        }
    }
}

impl AsyncWrite for Counted {
    fn poll_write(
        mut self: Pin<&mut Self>,
        cx: &mut Context<'_>,
        buf: &[u8],
    ) -> Poll<io::Result<usize>> {
        match Pin::new(&mut self.stream).poll_write(cx, buf) {
            Poll::Ready(r) => {
                self.moved();
                Poll::Ready(r)
            }
            Poll::Pending => self.check_idle(cx).map(Err),
        }
    }
    fn poll_flush(mut self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<io::Result<()>> {
        Pin::new(&mut self.stream).poll_flush(cx)
    }
    fn poll_shutdown(mut self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<io::Result<()>> {
        Pin::new(&mut self.stream).poll_shutdown(cx)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::exporter::web::Web;
    use axum::serve::Listener;
    use tokio::io::{AsyncReadExt, AsyncWriteExt};

    #[tokio::test]
    async fn a_quiet_connection_is_closed_and_its_slot_comes_back() {
        let listener = TcpListener::bind("127.0.0.1:0").await.unwrap();
        let addr = listener.local_addr().unwrap();
        let slots = Arc::new(Semaphore::new(1));
        let mut limited = Limited {
            listener,
            web: Arc::new(RwLock::new(Arc::new(Web::open()))),
            slots: slots.clone(),
            idle: Duration::from_millis(100),
        };
        let mut client = TcpStream::connect(addr).await.unwrap();
        let (mut conn, _) = limited.accept().await;
        assert_eq!(slots.available_permits(), 0);
        // Bytes moving keep it open.
        client.write_all(b"GET").await.unwrap();
        let mut buf = [0u8; 8];
        assert_eq!(conn.read(&mut buf).await.unwrap(), 3);
        // Then silence closes it.
        let err = conn.read(&mut buf).await.unwrap_err();
        assert_eq!(err.kind(), io::ErrorKind::TimedOut);
        drop(conn);
        assert_eq!(slots.available_permits(), 1);
    }
}
