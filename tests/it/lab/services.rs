//! The destination's TCP and UDP services, run in-process on the lab's tokio runtime.
//!
//! Sockets are bound and listening inside the destination namespace before the lab is
//! handed to a test, so a connection can never race the server's start-up: the kernel
//! queues it until the accept loop runs. Every service listens on the IPv4 and the IPv6
//! wildcard (separate sockets, IPV6_V6ONLY), so it answers on every destination address.

use std::io;
use std::net::{Ipv4Addr, Ipv6Addr, SocketAddr};
use std::time::Duration;

use socket2::{Domain, Protocol, Socket, Type};
use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::net::{TcpListener, TcpStream, UdpSocket};
use tokio::runtime::Runtime;

use super::netns::in_ns;

/// Answers one HTTP request with [`HTTP_RESPONSE`] and closes.
pub const HTTP_PORT: u16 = 80;
/// Nothing listens here: TCP gets a RST, UDP an ICMP port unreachable.
pub const CLOSED_PORT: u16 = 81;
/// TCP and UDP echo (RFC 862).
pub const ECHO_PORT: u16 = 7;
/// Reads one message `NAME` and answers `welcome NAME\n`, then closes (seed lab report 001).
pub const WELCOME_PORT: u16 = 9999;
/// The complete reply of the HTTP service.
pub const HTTP_RESPONSE: &[u8] = b"HTTP/1.0 200 OK\r\nContent-Length: 6\r\n\r\nnetlab";

/// How long a service waits for a client to finish speaking before answering anyway.
const READ_PATIENCE: Duration = Duration::from_secs(1);
/// Longest request the HTTP service reads before answering.
const MAX_REQUEST: usize = 8192;

/// Binds every service inside `ns` and spawns its loop on `rt`.
pub fn start(rt: &Runtime, ns: &str) -> io::Result<()> {
    for any in wildcards() {
        let http = in_ns(ns, || tcp_listener(SocketAddr::new(any, HTTP_PORT)))?;
        let echo_tcp = in_ns(ns, || tcp_listener(SocketAddr::new(any, ECHO_PORT)))?;
        let welcome = in_ns(ns, || tcp_listener(SocketAddr::new(any, WELCOME_PORT)))?;
        let echo_udp = in_ns(ns, || udp_socket(SocketAddr::new(any, ECHO_PORT)))?;
        let _guard = rt.enter();
        spawn_accept_loop(rt, TcpListener::from_std(http.into())?, serve_http);
        spawn_accept_loop(rt, TcpListener::from_std(echo_tcp.into())?, serve_echo);
        spawn_accept_loop(rt, TcpListener::from_std(welcome.into())?, serve_welcome);
        rt.spawn(udp_echo(UdpSocket::from_std(echo_udp.into())?));
    }
    Ok(())
}

fn wildcards() -> [std::net::IpAddr; 2] {
    [Ipv4Addr::UNSPECIFIED.into(), Ipv6Addr::UNSPECIFIED.into()]
}

/// A bound socket, IPv6-only for IPv6 so the IPv4 wildcard can be bound separately.
fn bound_socket(addr: SocketAddr, ty: Type, proto: Protocol) -> io::Result<Socket> {
    let socket = Socket::new(Domain::for_address(addr), ty, Some(proto))?;
    if addr.is_ipv6() {
        socket.set_only_v6(true)?;
    }
    socket.set_reuse_address(true)?;
    socket.set_nonblocking(true)?;
    socket.bind(&addr.into())?;
    Ok(socket)
}

/// A listening TCP socket (also used by the DNS server).
pub fn tcp_listener(addr: SocketAddr) -> io::Result<Socket> {
    let socket = bound_socket(addr, Type::STREAM, Protocol::TCP)?;
    socket.listen(128)?;
    Ok(socket)
}

/// A bound UDP socket (also used by the DNS server).
pub fn udp_socket(addr: SocketAddr) -> io::Result<Socket> {
    bound_socket(addr, Type::DGRAM, Protocol::UDP)
}

fn spawn_accept_loop<F, Fut>(rt: &Runtime, listener: TcpListener, serve: F)
where
    F: Fn(TcpStream) -> Fut + Send + 'static,
    Fut: std::future::Future<Output = ()> + Send + 'static,
{
    rt.spawn(async move {
        loop {
            match listener.accept().await {
                Ok((stream, _)) => {
                    tokio::spawn(serve(stream));
                }
                // Per-connection errors (a client that reset early) must not stop the service.
                Err(_) => continue,
            }
        }
    });
}

/// Reads the request up to its blank line (or for at most [`READ_PATIENCE`]), then answers.
async fn serve_http(mut stream: TcpStream) {
    let mut request = Vec::new();
    let _ = tokio::time::timeout(READ_PATIENCE, async {
        let mut buf = [0u8; 1024];
        while request.len() < MAX_REQUEST && !ends_headers(&request) {
            match stream.read(&mut buf).await {
                Ok(0) | Err(_) => break,
                Ok(n) => request.extend_from_slice(&buf[..n]),
            }
        }
    })
    .await;
    let _ = stream.write_all(HTTP_RESPONSE).await;
    let _ = stream.shutdown().await;
}

fn ends_headers(request: &[u8]) -> bool {
    request.windows(4).any(|w| w == b"\r\n\r\n") || request.windows(2).any(|w| w == b"\n\n")
}

async fn serve_echo(stream: TcpStream) {
    let (mut reader, mut writer) = stream.into_split();
    let _ = tokio::io::copy(&mut reader, &mut writer).await;
    let _ = writer.shutdown().await;
}

/// Like the seed's Python server: one `recv`, then `welcome NAME\n` (NAME is the message up
/// to its first line break, trimmed), then close.
async fn serve_welcome(mut stream: TcpStream) {
    let mut buf = [0u8; 1024];
    let n = match tokio::time::timeout(READ_PATIENCE, stream.read(&mut buf)).await {
        Ok(Ok(n)) => n,
        _ => 0,
    };
    let text = String::from_utf8_lossy(&buf[..n]);
    let name = text.lines().next().unwrap_or("").trim();
    let _ = stream
        .write_all(format!("welcome {name}\n").as_bytes())
        .await;
    let _ = stream.shutdown().await;
}

async fn udp_echo(socket: UdpSocket) {
    let mut buf = vec![0u8; 65536];
    loop {
        if let Ok((n, peer)) = socket.recv_from(&mut buf).await {
            let _ = socket.send_to(&buf[..n], peer).await;
        }
    }
}
