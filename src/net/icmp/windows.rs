//! ping's ICMP socket on Windows: the ICMP helper API (`IcmpSendEcho2` /
//! `Icmp6SendEcho2` of iphlpapi), as `ping.exe` and `tracert.exe` use it, which needs no
//! elevation. Windows lets no ordinary process open an ICMP socket, raw or datagram.
//!
//! The type keeps the methods of the Unix [`IcmpSocket`]'s datagram mode, so the engines
//! above it do not change: [`IcmpSocket::send_to`] takes the echo request they built,
//! [`IcmpSocket::recv`] hands back a bare echo reply (rebuilt from what the API returns,
//! with our identifier and sequence and a valid checksum), and an ICMP error about a
//! request (a router's time exceeded, an unreachable) comes from
//! [`IcmpSocket::recv_error`] as it would from Linux's error queue, with the request as
//! its quote.
//!
//! Each request is one blocking `IcmpSendEcho2` call on a thread of its own while it is
//! in flight (the API's asynchronous forms need an event or an alertable thread per
//! request just the same), a thread kept for later requests ([`Workers`]); the thread
//! queues the outcome, stamped by netlab's monotonic clock when the call
//! returned (the API's own round-trip time is whole milliseconds) less the time the
//! request waited for its thread (so an RTT is the call's own time, as the kernel's
//! timestamps make it on Linux: 0.1 ms less under Wine, BENCHMARKS.md), and wakes the reader:
//! through a [`tokio::sync::Notify`] for ping's async loop (`net::ready`), and by one
//! byte on a loopback UDP socket, the handle [`probe::poll`](crate::net::probe::poll)
//! (`WSAPoll`) waits on. A request whose answer never comes ends when the command's wait
//! for an answer does ([`SocketOptions::answer_wait`]: ping's `-W`, trace's `-w`; so a
//! reply after ping's `-W` is not seen here, as with `ping.exe -w`), or after
//! [`GIVE_UP`] when the command set none.
//!
//! Under Wine (8.0 here) a request must not be cancelled while another completes: Wine's
//! `nsiproxy.sys` takes its lock and then the driver host's to complete a request, while
//! a cancel takes them the other way round, and the two deadlock. Every later ICMP
//! request of every program under that wineserver then waits forever (the lab's runs
//! that "got no answer at all", BENCHMARKS.md). A process that ends cancels its requests
//! in flight, so under Wine the last handle of a socket waits for them to end first
//! ([`END_SLACK`], [`END_CAP`]). Windows' own driver has no such lock, and does not wait.

use std::collections::VecDeque;
use std::io;
use std::mem::size_of;
use std::net::{IpAddr, Ipv4Addr, Ipv6Addr, SocketAddr, SocketAddrV6, UdpSocket};
use std::sync::atomic::{AtomicU32, AtomicU8, AtomicUsize, Ordering};
use std::sync::{Arc, Mutex, OnceLock};
use std::time::{Duration, Instant};

use windows_sys::Win32::Foundation::{GetLastError, HANDLE, INVALID_HANDLE_VALUE};
use windows_sys::Win32::NetworkManagement::IpHelper as ip;
use windows_sys::Win32::Networking::WinSock as ws;
use windows_sys::Win32::System::LibraryLoader::{GetModuleHandleA, GetProcAddress};

use super::workers::{InFlight, Workers};
use super::{Mode, Version};
use crate::net::errqueue::QueuedError;
use crate::net::msg::Received;
use crate::net::options::{Pmtu, Refused, SocketOptions};
use crate::net::sys::{unsupported, AsRawFd, RawFd};

/// How long one request waits for its answer when the command set no wait
/// ([`SocketOptions::answer_wait`]: the exporter's and the SYN scan's listeners).
const GIVE_UP: Duration = Duration::from_secs(30);

/// Under Wine, how long past its requests' own end a socket's last handle waits for them.
const END_SLACK: Duration = Duration::from_millis(200);
/// ... and the longest it waits in all (ping's `-W` and trace's `-w` are shorter unless
/// set longer; a request with [`GIVE_UP`] is not waited for to its end).
const END_CAP: Duration = Duration::from_secs(6);

/// An ICMP helper handle (`IcmpCreateFile` / `Icmp6CreateFile`), closed on drop. The API
/// allows calls on one handle from several threads at once.
struct Handle(HANDLE);

// SAFETY: the handle is an opaque kernel object, valid from any thread until closed.
unsafe impl Send for Handle {}
// SAFETY: as above; IcmpSendEcho2 may be called concurrently on one handle.
unsafe impl Sync for Handle {}

impl Drop for Handle {
    fn drop(&mut self) {
        // SAFETY: the handle came from Icmp(6)CreateFile and is closed once, here.
        unsafe { ip::IcmpCloseHandle(self.0) };
    }
}

/// What the request threads have received, waiting to be read.
#[derive(Default)]
struct Inbox {
    replies: VecDeque<(Vec<u8>, Received)>,
    errors: VecDeque<(Vec<u8>, QueuedError)>,
}

/// Shared by a socket, its clones and its request threads.
struct Shared {
    handle: Handle,
    inbox: Mutex<Inbox>,
    notify: tokio::sync::Notify,
    /// The loopback pair that makes the socket pollable: a thread sends one byte to
    /// `wake_rx` per outcome it queued.
    wake_tx: UdpSocket,
    wake_rx: UdpSocket,
    /// The threads the blocking calls run on.
    workers: Workers,
    /// The requests not yet ended, which the last handle waits for under Wine.
    in_flight: InFlight,
    /// The handles (the socket and its clones) still open.
    handles: AtomicUsize,
}

impl Shared {
    fn push(&self, outcome: Outcome) {
        {
            let mut inbox = self.inbox.lock().unwrap_or_else(|e| e.into_inner());
            match outcome {
                Outcome::Reply(bytes, rx) => inbox.replies.push_back((bytes, rx)),
                Outcome::Error(bytes, err) => inbox.errors.push_back((bytes, err)),
            }
        }
        self.notify.notify_one();
        let _ = self.wake_tx.send(&[1]);
    }

    /// Empties the wake-up socket (its bytes only say that something was queued).
    fn drain_wakes(&self) {
        let mut byte = [0u8; 16];
        while self.wake_rx.recv(&mut byte).is_ok() {}
    }
}

enum Outcome {
    Reply(Vec<u8>, Received),
    Error(Vec<u8>, QueuedError),
}

/// What each request carries in its IP header.
#[derive(Clone, Copy, Default)]
struct Header {
    ttl: u8,
    tos: u8,
    dont_fragment: bool,
}

/// An ICMP "socket" of one family over the ICMP helper API (see the module's doc).
pub struct IcmpSocket {
    shared: Arc<Shared>,
    version: Version,
    ident: u16,
    ttl: AtomicU8,
    tos: AtomicU8,
    dont_fragment: AtomicU8,
    /// [`SocketOptions::answer_wait`] in milliseconds, 0 for none ([`GIVE_UP`]).
    answer_wait_ms: AtomicU32,
    source: Option<IpAddr>,
}

impl IcmpSocket {
    /// Opens the ICMP helper of `version`. Only [`Mode::Datagram`]: raw ICMP sockets are
    /// refused (Windows allows them only to an elevated process, and ping does not need
    /// them), so a caller that tries raw first falls back here. Replies carry
    /// `raw_ident`, or a random identifier for 0.
    pub fn open(version: Version, mode: Mode, raw_ident: u16) -> io::Result<IcmpSocket> {
        Self::open_from(version, mode, raw_ident, None)
    }

    /// [`Self::open`] sending from `source` (ping `-I ADDR`; IPv6 only: the IPv4 API
    /// has no source address).
    pub fn open_from(
        version: Version,
        mode: Mode,
        raw_ident: u16,
        source: Option<IpAddr>,
    ) -> io::Result<IcmpSocket> {
        if mode == Mode::Raw {
            return Err(io::Error::from_raw_os_error(ws::WSAEACCES));
        }
        if let (Version::V4, Some(src)) = (version, source) {
            return Err(unsupported(&format!(
                "sending IPv4 pings from a chosen address ({src})"
            )));
        }
        // SAFETY: no arguments; the result is checked before use.
        let raw = unsafe {
            match version {
                Version::V4 => ip::IcmpCreateFile(),
                Version::V6 => ip::Icmp6CreateFile(),
            }
        };
        if raw == INVALID_HANDLE_VALUE || raw.is_null() {
            return Err(io::Error::last_os_error());
        }
        let handle = Handle(raw);
        let wake_rx = UdpSocket::bind((Ipv4Addr::LOCALHOST, 0))?;
        let wake_tx = UdpSocket::bind((Ipv4Addr::LOCALHOST, 0))?;
        wake_tx.connect(wake_rx.local_addr()?)?;
        wake_rx.set_nonblocking(true)?;
        wake_tx.set_nonblocking(true)?;
        let ident = match raw_ident {
            0 => u16::from_ne_bytes(super::random_bytes()),
            ours => ours,
        };
        Ok(IcmpSocket {
            shared: Arc::new(Shared {
                handle,
                inbox: Mutex::default(),
                notify: tokio::sync::Notify::new(),
                wake_tx,
                wake_rx,
                workers: Workers::new("icmp-echo", 256 * 1024),
                in_flight: InFlight::default(),
                handles: AtomicUsize::new(1),
            }),
            version,
            ident,
            ttl: AtomicU8::new(DEFAULT_TTL),
            tos: AtomicU8::new(0),
            dont_fragment: AtomicU8::new(0),
            answer_wait_ms: AtomicU32::new(0),
            source,
        })
    }

    /// Applies `-Q` (the TOS byte) and `-M do`/`dont` (the DF flag) to the requests;
    /// the others have no place in the API and are refused, naming the platform.
    pub fn apply(&self, opts: &SocketOptions) -> Result<(), Refused> {
        let refuse = |option: String, what: &str| Refused {
            option,
            error: unsupported(what),
        };
        if let Some(device) = &opts.device {
            return Err(refuse(
                format!("SO_BINDTODEVICE {device}"),
                "sending pings through one interface",
            ));
        }
        if let Some(mark) = opts.mark {
            return Err(refuse(
                format!("SO_MARK {mark}"),
                "a firewall mark (SO_MARK)",
            ));
        }
        if let Some(tos) = opts.tos {
            self.tos.store(tos, Ordering::Relaxed);
        }
        if let Some(wait) = opts.answer_wait {
            let ms = wait.as_millis().clamp(1, u128::from(u32::MAX)) as u32;
            self.answer_wait_ms.store(ms, Ordering::Relaxed);
        }
        match opts.pmtu {
            None => {}
            Some(Pmtu::Do) => self.dont_fragment.store(1, Ordering::Relaxed),
            Some(Pmtu::Dont) => self.dont_fragment.store(0, Ordering::Relaxed),
            Some(other) => {
                return Err(refuse(
                    format!("-M {}", if other == Pmtu::Want { "want" } else { "probe" }),
                    "path-MTU discovery mode \"want\" or \"probe\"",
                ))
            }
        }
        Ok(())
    }

    /// A second handle on the same queue (replies go to whichever reads first).
    pub fn try_clone(&self) -> io::Result<IcmpSocket> {
        self.shared.handles.fetch_add(1, Ordering::AcqRel);
        Ok(IcmpSocket {
            shared: Arc::clone(&self.shared),
            version: self.version,
            ident: self.ident,
            ttl: AtomicU8::new(self.ttl.load(Ordering::Relaxed)),
            tos: AtomicU8::new(self.tos.load(Ordering::Relaxed)),
            dont_fragment: AtomicU8::new(self.dont_fragment.load(Ordering::Relaxed)),
            answer_wait_ms: AtomicU32::new(self.answer_wait_ms.load(Ordering::Relaxed)),
            source: self.source,
        })
    }

    /// There is no receive buffer to size: each request has its own reply buffer.
    pub fn set_recv_buffer_size(&self, _bytes: usize) -> io::Result<()> {
        Ok(())
    }

    pub fn version(&self) -> Version {
        self.version
    }
    /// Always [`Mode::Datagram`] (see [`Self::open`]).
    pub fn mode(&self) -> Mode {
        Mode::Datagram
    }
    /// The echo identifier replies to this socket carry.
    pub fn ident(&self) -> u16 {
        self.ident
    }

    /// Sets the TTL (IPv4) or hop limit (IPv6) of the requests sent from now on.
    pub fn set_ttl(&self, ttl: u8) -> io::Result<()> {
        self.ttl.store(ttl, Ordering::Relaxed);
        Ok(())
    }

    /// Sends one echo request (an ICMP message without IP header, as built for a
    /// datagram socket): its payload goes out through the API, which writes its own
    /// identifier and sequence; the reply is given back with the request's.
    pub fn send_to(&self, packet: &[u8], dst: SocketAddr) -> io::Result<usize> {
        if packet.len() < 8 || packet.len() - 8 > usize::from(u16::MAX) {
            return Err(io::Error::new(
                io::ErrorKind::InvalidInput,
                "not an echo request",
            ));
        }
        let header = Header {
            ttl: self.ttl.load(Ordering::Relaxed),
            tos: self.tos.load(Ordering::Relaxed),
            dont_fragment: self.dont_fragment.load(Ordering::Relaxed) != 0,
        };
        let timeout = match self.answer_wait_ms.load(Ordering::Relaxed) {
            0 => GIVE_UP,
            ms => Duration::from_millis(u64::from(ms)),
        };
        let queued = Instant::now();
        self.shared.in_flight.begin(queued + timeout);
        let request = Request {
            shared: Arc::clone(&self.shared),
            version: self.version,
            ident: self.ident,
            packet: packet.to_vec(),
            dst,
            source: self.source,
            header,
            queued,
            timeout,
        };
        if let Err(e) = self.shared.workers.run(Box::new(move || request.run())) {
            self.shared.in_flight.end();
            return Err(e);
        }
        Ok(packet.len())
    }

    /// Reads one echo reply; `WouldBlock` when none is queued.
    pub fn recv(&self, buf: &mut [u8]) -> io::Result<Received> {
        let (bytes, mut rx) = self.pop(|inbox| inbox.replies.pop_front())?;
        rx.len = bytes.len().min(buf.len());
        buf[..rx.len].copy_from_slice(&bytes[..rx.len]);
        Ok(rx)
    }

    /// Reads one ICMP error about a request; `WouldBlock` when none is queued.
    pub fn recv_error(&self, buf: &mut [u8]) -> io::Result<QueuedError> {
        let (bytes, mut err) = self.pop(|inbox| inbox.errors.pop_front())?;
        err.len = bytes.len().min(buf.len());
        buf[..err.len].copy_from_slice(&bytes[..err.len]);
        Ok(err)
    }

    /// One entry from the inbox; when there is none, the wake-up bytes are drained
    /// (and the inbox looked at again, for an entry queued in between).
    fn pop<T>(&self, take: impl Fn(&mut Inbox) -> Option<T>) -> io::Result<T> {
        let lock = || self.shared.inbox.lock().unwrap_or_else(|e| e.into_inner());
        if let Some(entry) = take(&mut lock()) {
            return Ok(entry);
        }
        self.shared.drain_wakes();
        take(&mut lock()).ok_or_else(|| io::ErrorKind::WouldBlock.into())
    }

    /// Completes when something may be queued (ping's async loop, through `net::ready`).
    pub(crate) async fn queued(&self) {
        self.shared.notify.notified().await
    }
}

/// The last handle, under Wine, waits for the requests in flight (see the module's doc).
impl Drop for IcmpSocket {
    fn drop(&mut self) {
        if self.shared.handles.fetch_sub(1, Ordering::AcqRel) == 1 && under_wine() {
            self.shared.in_flight.wait_until_none(END_SLACK, END_CAP);
        }
    }
}

/// Whether this process runs under Wine, whose `ntdll.dll` exports `wine_get_version`.
fn under_wine() -> bool {
    static WINE: OnceLock<bool> = OnceLock::new();
    *WINE.get_or_init(|| {
        // SAFETY: both names are NUL-terminated; ntdll is loaded in every process, and
        // the handle GetModuleHandleA returns is not released.
        unsafe {
            let ntdll = GetModuleHandleA(c"ntdll.dll".as_ptr().cast());
            !ntdll.is_null() && GetProcAddress(ntdll, c"wine_get_version".as_ptr().cast()).is_some()
        }
    })
}

/// The handle `WSAPoll` waits on: readable once a request's outcome is queued.
impl AsRawFd for IcmpSocket {
    fn as_raw_fd(&self) -> RawFd {
        self.shared.wake_rx.as_raw_fd()
    }
}

/// Windows' default TTL, for requests before any `set_ttl`.
const DEFAULT_TTL: u8 = 128;

/// One echo request on its thread.
struct Request {
    shared: Arc<Shared>,
    version: Version,
    ident: u16,
    /// The echo request as the caller built it.
    packet: Vec<u8>,
    dst: SocketAddr,
    source: Option<IpAddr>,
    header: Header,
    /// When `send_to` queued it: the time until its thread takes it up is netlab's, not
    /// the path's, and is taken off the outcome's timestamp.
    queued: Instant,
    /// How long the call waits for the answer.
    timeout: Duration,
}

impl Request {
    fn run(self) {
        let began = Instant::now();
        let data = &self.packet[8..];
        let options = ip::IP_OPTION_INFORMATION {
            Ttl: self.header.ttl,
            Tos: self.header.tos,
            Flags: if self.header.dont_fragment {
                ip::IP_FLAG_DF as u8
            } else {
                0
            },
            OptionsSize: 0,
            OptionsData: std::ptr::null_mut(),
        };
        // Room for the reply structure, the echoed data, an ICMP error's 8 bytes and the
        // IO_STATUS_BLOCK the API asks for besides.
        let size = size_of::<ip::ICMP_ECHO_REPLY>() + data.len() + 8 + 64;
        let mut reply = vec![0u64; size.div_ceil(8)];
        let reply_ptr = reply.as_mut_ptr().cast::<core::ffi::c_void>();
        let reply_size = (reply.len() * 8) as u32;
        let timeout = self.timeout.as_millis().clamp(1, u128::from(u32::MAX)) as u32;
        let handle = self.shared.handle.0;
        let (count, from, ttl, echoed) = match self.dst {
            SocketAddr::V4(dst) => {
                // SAFETY: every pointer is valid for the call (data and options borrowed,
                // reply_size bytes of reply buffer); no event or APC: synchronous.
                let count = unsafe {
                    ip::IcmpSendEcho2(
                        handle,
                        std::ptr::null_mut(),
                        None,
                        std::ptr::null(),
                        u32::from_ne_bytes(dst.ip().octets()),
                        data.as_ptr().cast(),
                        data.len() as u16,
                        &options,
                        reply_ptr,
                        reply_size,
                        timeout,
                    )
                };
                // SAFETY: the buffer is 8-aligned and holds at least one reply structure
                // (zeroed if the API wrote none).
                let first = unsafe { &*reply_ptr.cast::<ip::ICMP_ECHO_REPLY>() };
                let from = IpAddr::V4(Ipv4Addr::from(first.Address.to_ne_bytes()));
                let echoed = echoed_data(&reply, first.Data.cast(), first.DataSize);
                (count, from, Some(first.Options.Ttl), (first.Status, echoed))
            }
            SocketAddr::V6(dst) => {
                let to = sockaddr_in6(dst);
                let src = sockaddr_in6(SocketAddrV6::new(
                    match self.source {
                        Some(IpAddr::V6(src)) => src,
                        _ => Ipv6Addr::UNSPECIFIED,
                    },
                    0,
                    0,
                    0,
                ));
                // SAFETY: as for IPv4, with two valid sockaddr_in6.
                let count = unsafe {
                    ip::Icmp6SendEcho2(
                        handle,
                        std::ptr::null_mut(),
                        None,
                        std::ptr::null(),
                        &src,
                        &to,
                        data.as_ptr().cast(),
                        data.len() as u16,
                        &options,
                        reply_ptr,
                        reply_size,
                        timeout,
                    )
                };
                // SAFETY: as for IPv4; the echoed data follows the reply structure.
                let first = unsafe { &*reply_ptr.cast::<ip::ICMPV6_ECHO_REPLY_LH>() };
                let words = first.Address.sin6_addr;
                let from = IpAddr::V6(Ipv6Addr::from(words.map(u16::from_be)));
                let after = size_of::<ip::ICMPV6_ECHO_REPLY_LH>();
                let bytes = reply_bytes(&reply);
                let echoed = bytes[after..].get(..data.len()).unwrap_or(&[]).to_vec();
                (count, from, None, (first.Status, echoed))
            }
        };
        // SAFETY: no arguments; read right after the call, on its thread.
        let last_error = unsafe { GetLastError() };
        let at = stamp(self.queued, began, Instant::now());
        let (status, echoed) = echoed;
        let status = if count > 0 { status } else { last_error };
        let outcome = match status {
            ip::IP_SUCCESS if count > 0 => Some(Outcome::Reply(
                echo_reply(self.version, self.ident, &self.packet, &echoed),
                Received {
                    len: 0,
                    from,
                    at,
                    ttl,
                },
            )),
            _ => icmp_error(self.version, status).map(|(icmp_type, icmp_code)| {
                let offender = (!from.is_unspecified()).then_some(from);
                Outcome::Error(
                    self.packet.clone(),
                    QueuedError {
                        len: 0,
                        dst: Some(self.dst.ip()),
                        offender,
                        icmp_type,
                        icmp_code,
                        local: false,
                        errno: 0,
                        info: 0,
                        ttl: None,
                        at,
                    },
                )
            }),
        };
        if let Some(outcome) = outcome {
            self.shared.push(outcome);
        }
        self.shared.in_flight.end();
    }
}

/// An outcome's timestamp: when the request was queued plus the API call's own time
/// (`began` to `returned`), leaving out the wait for a thread in between.
fn stamp(queued: Instant, began: Instant, returned: Instant) -> Instant {
    queued + returned.saturating_duration_since(began)
}

fn reply_bytes(reply: &[u64]) -> &[u8] {
    // SAFETY: a u64 slice is readable as bytes of eight times its length.
    unsafe { std::slice::from_raw_parts(reply.as_ptr().cast::<u8>(), reply.len() * 8) }
}

/// The data an IPv4 reply echoed: `len` bytes at `at`, which the API points into the
/// reply buffer (anything pointing elsewhere is not read).
fn echoed_data(reply: &[u64], at: *const u8, len: u16) -> Vec<u8> {
    let bytes = reply_bytes(reply);
    let start = (at as usize).wrapping_sub(bytes.as_ptr() as usize);
    bytes
        .get(start..)
        .and_then(|rest| rest.get(..usize::from(len)))
        .unwrap_or(&[])
        .to_vec()
}

fn sockaddr_in6(addr: SocketAddrV6) -> ws::SOCKADDR_IN6 {
    // SAFETY: all-zero is a valid SOCKADDR_IN6 (its scope union included).
    let mut sa: ws::SOCKADDR_IN6 = unsafe { std::mem::zeroed() };
    sa.sin6_family = ws::AF_INET6;
    sa.sin6_port = addr.port().to_be();
    sa.sin6_flowinfo = addr.flowinfo();
    sa.sin6_addr.u.Byte = addr.ip().octets();
    sa.Anonymous.sin6_scope_id = addr.scope_id();
    sa
}

/// The echo reply the request would have drawn on a datagram socket: the request's
/// identifier and sequence, the echoed data, a valid checksum (ICMPv6's covers a
/// pseudo-header the kernel checks and does not hand over: left 0, as after it).
fn echo_reply(version: Version, ident: u16, request: &[u8], echoed: &[u8]) -> Vec<u8> {
    let mut reply = Vec::with_capacity(8 + echoed.len());
    reply.push(match version {
        Version::V4 => 0,
        Version::V6 => 129,
    });
    reply.push(0);
    reply.extend_from_slice(&[0, 0]);
    reply.extend_from_slice(&ident.to_be_bytes());
    reply.extend_from_slice(&request[6..8]);
    reply.extend_from_slice(echoed);
    if version == Version::V4 {
        let sum = crate::packet::checksum(&[&reply]);
        reply[2..4].copy_from_slice(&sum.to_be_bytes());
    }
    reply
}

/// The ICMP type and code behind an `IP_STATUS` (None: no ICMP message, such as a time
/// out or a local failure).
fn icmp_error(version: Version, status: u32) -> Option<(u8, u8)> {
    let v4 = match status {
        ip::IP_DEST_NET_UNREACHABLE => (3, 0),
        ip::IP_DEST_HOST_UNREACHABLE => (3, 1),
        ip::IP_DEST_PROT_UNREACHABLE => (3, 2),
        ip::IP_DEST_PORT_UNREACHABLE => (3, 3),
        ip::IP_PACKET_TOO_BIG => (3, 4),
        ip::IP_TTL_EXPIRED_TRANSIT => (11, 0),
        ip::IP_TTL_EXPIRED_REASSEM => (11, 1),
        ip::IP_PARAM_PROBLEM => (12, 0),
        ip::IP_SOURCE_QUENCH => (4, 0),
        _ => return None,
    };
    Some(match version {
        Version::V4 => v4,
        // The same statuses for IPv6 (IP_DEST_NO_ROUTE is 11002, IP_DEST_ADDR_UNREACHABLE
        // 11003, IP_HOP_LIMIT_EXCEEDED 11013, ...), as ICMPv6 types and codes.
        Version::V6 => match v4 {
            (3, 0) => (1, 0),
            (3, 1) => (1, 3),
            (3, 2) => (1, 1), // IP_DEST_PROHIBITED: administratively prohibited
            (3, 3) => (1, 4),
            (3, 4) => (2, 0),
            (11, code) => (3, code),
            (12, _) => (4, 0),
            _ => return None,
        },
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_wait_for_a_thread_is_not_in_the_timestamp() {
        let queued = Instant::now();
        let began = queued + Duration::from_millis(3);
        let returned = began + Duration::from_micros(700);
        assert_eq!(
            stamp(queued, began, returned),
            queued + Duration::from_micros(700)
        );
        // A clock that does not move between the two readings gives the queue time.
        assert_eq!(stamp(queued, began, began), queued);
    }

    #[test]
    fn a_reply_carries_the_request_identity_and_a_valid_checksum() {
        let request = [8, 0, 0, 0, 0x12, 0x34, 0, 7, 1, 2, 3];
        let reply = echo_reply(Version::V4, 0xabcd, &request, &[1, 2, 3]);
        assert_eq!(&reply[..2], &[0, 0]);
        assert_eq!(&reply[4..8], &[0xab, 0xcd, 0, 7]);
        assert_eq!(&reply[8..], &[1, 2, 3]);
        assert_eq!(crate::packet::checksum(&[&reply]), 0);
        let v6 = echo_reply(Version::V6, 1, &request, &[]);
        assert_eq!(v6, [129, 0, 0, 0, 0, 1, 0, 7]);
    }

    #[test]
    fn statuses_become_icmp_types() {
        assert_eq!(
            icmp_error(Version::V4, ip::IP_TTL_EXPIRED_TRANSIT),
            Some((11, 0))
        );
        assert_eq!(
            icmp_error(Version::V6, ip::IP_TTL_EXPIRED_TRANSIT),
            Some((3, 0))
        );
        assert_eq!(
            icmp_error(Version::V4, ip::IP_DEST_PORT_UNREACHABLE),
            Some((3, 3))
        );
        assert_eq!(
            icmp_error(Version::V6, ip::IP_DEST_PORT_UNREACHABLE),
            Some((1, 4))
        );
        assert_eq!(icmp_error(Version::V4, ip::IP_REQ_TIMED_OUT), None);
    }

    #[test]
    fn echoed_data_outside_the_buffer_is_not_read() {
        let reply = vec![0x0101_0101_0101_0101u64; 4];
        let inside = reply_bytes(&reply)[8..].as_ptr();
        assert_eq!(echoed_data(&reply, inside, 4), vec![1; 4]);
        assert_eq!(echoed_data(&reply, inside, 100), Vec::<u8>::new());
        assert_eq!(echoed_data(&reply, std::ptr::null(), 4), Vec::<u8>::new());
    }
}
