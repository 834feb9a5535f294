//! A DNS responder on 127.0.0.1 (UDP and TCP on one port) whose answers a test
//! scripts, counting the queries of each transport.
//!
//! The lab's server (`dns`) is a real authoritative server: it answers correctly, so it
//! never truncates a UDP reply, never sends garbage and never answers FORMERR or NOTIMP.
//! A resolver must still handle those, so `resolve` tests script them here, one function
//! from query to answer. It runs on loopback in the test process: no namespace, no root.
//! hickory-server cannot be made to misbehave, so the sockets are served by hand here;
//! the messages are still hickory-proto's.
//!
//! ```ignore
//! let server = scripted_dns::start(|query, _tcp| {
//!     Answer::Reply(scripted_dns::reply(query, ResponseCode::NotImp, &[], false))
//! });
//! let out = netlab(&["resolve", "--server", &server.addr, "any.test"]);
//! ```

use std::io::{Read, Write};
use std::net::{SocketAddr, TcpListener, UdpSocket};
use std::sync::atomic::{AtomicBool, AtomicUsize, Ordering};
use std::sync::Arc;
use std::thread;
use std::time::Duration;

use hickory_proto::op::{Message, OpCode, ResponseCode};
use hickory_proto::rr::rdata::TXT;
use hickory_proto::rr::{RData, Record};

/// What the server sends back for one query.
pub enum Answer {
    /// A DNS message, encoded as it is.
    Reply(Message),
    /// These bytes, whatever they are (a reply hickory could not build).
    Raw(Vec<u8>),
}

/// The script: the query and whether it came over TCP, to the answer.
type Script = fn(&Message, bool) -> Answer;

/// A running server; dropping it stops its threads.
pub struct Server {
    /// `127.0.0.1:PORT`, the same port for UDP and TCP.
    pub addr: String,
    /// Queries received over UDP.
    pub udp: Arc<AtomicUsize>,
    /// Queries received over TCP.
    pub tcp: Arc<AtomicUsize>,
    stop: Arc<AtomicBool>,
}

impl Drop for Server {
    fn drop(&mut self) {
        self.stop.store(true, Ordering::Relaxed);
    }
}

/// A response to `query` with `rcode`, one TXT record (TTL 60) per item of `txt` for the
/// question's name, and the TC bit set if `truncated`.
pub fn reply(query: &Message, rcode: ResponseCode, txt: &[&[u8]], truncated: bool) -> Message {
    let mut m = Message::response(query.metadata.id, OpCode::Query);
    m.metadata.response_code = rcode;
    m.metadata.truncation = truncated;
    m.metadata.recursion_desired = query.metadata.recursion_desired;
    m.add_queries(query.queries.clone());
    if let Some(q) = query.queries.first() {
        for text in txt {
            let data = TXT::from_bytes(vec![*text]);
            m.add_answer(Record::from_rdata(q.name().clone(), 60, RData::TXT(data)));
        }
    }
    m
}

/// Starts a server that answers every query, over UDP or TCP, as `script` says.
pub fn start(script: Script) -> Server {
    let (udp_socket, tcp_listener) = loop {
        let udp = UdpSocket::bind("127.0.0.1:0").unwrap();
        let port = udp.local_addr().unwrap().port();
        if let Ok(tcp) = TcpListener::bind(("127.0.0.1", port)) {
            break (udp, tcp);
        }
    };
    let addr: SocketAddr = udp_socket.local_addr().unwrap();
    let server = Server {
        addr: addr.to_string(),
        udp: Arc::default(),
        tcp: Arc::default(),
        stop: Arc::default(),
    };
    udp_socket
        .set_read_timeout(Some(Duration::from_millis(20)))
        .unwrap();
    let (count, stop) = (server.udp.clone(), server.stop.clone());
    thread::spawn(move || {
        let mut buf = [0u8; 4096];
        while !stop.load(Ordering::Relaxed) {
            let Ok((len, from)) = udp_socket.recv_from(&mut buf) else {
                continue;
            };
            let Ok(query) = Message::from_vec(&buf[..len]) else {
                continue;
            };
            count.fetch_add(1, Ordering::Relaxed);
            let bytes = match script(&query, false) {
                Answer::Reply(m) => m.to_vec().unwrap(),
                Answer::Raw(bytes) => bytes,
            };
            let _ = udp_socket.send_to(&bytes, from);
        }
    });
    tcp_listener.set_nonblocking(true).unwrap();
    let (count, stop) = (server.tcp.clone(), server.stop.clone());
    thread::spawn(move || {
        while !stop.load(Ordering::Relaxed) {
            let Ok((mut stream, _)) = tcp_listener.accept() else {
                thread::sleep(Duration::from_millis(10));
                continue;
            };
            stream.set_nonblocking(false).unwrap();
            stream
                .set_read_timeout(Some(Duration::from_secs(2)))
                .unwrap();
            let mut len = [0u8; 2];
            while stream.read_exact(&mut len).is_ok() {
                let mut buf = vec![0u8; u16::from_be_bytes(len).into()];
                if stream.read_exact(&mut buf).is_err() {
                    break;
                }
                let Ok(query) = Message::from_vec(&buf) else {
                    break;
                };
                count.fetch_add(1, Ordering::Relaxed);
                let bytes = match script(&query, true) {
                    Answer::Reply(m) => m.to_vec().unwrap(),
                    Answer::Raw(bytes) => bytes,
                };
                let _ = stream.write_all(&(bytes.len() as u16).to_be_bytes());
                let _ = stream.write_all(&bytes);
            }
        }
    });
    server
}
