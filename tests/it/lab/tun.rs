//! Links with a one-way delay, without netem (this kernel has none).
//!
//! Each delayed link is a pair of TUN devices, one in each neighbouring namespace, and one
//! forwarder thread in the test process that reads an IP packet from one device, holds it
//! for the delay and writes it to the other. The delay is constant, so a FIFO per direction
//! keeps packet order. The thread sleeps in `ppoll` until the next packet is due or
//! another one arrives, which keeps the added error well under a millisecond. Forwarders
//! run SCHED_FIFO (`LabConfig::realtime_links`, on by default), so the delay stays what it
//! says on a loaded machine too: at normal priority they add the scheduler's latency to
//! every packet, tens of ms with both CPUs busy.
//!
//! # MPLS routers (RFC 4950)
//! Linux routers never append ICMP extensions, so a router that reports its MPLS label
//! stack is played by the forwarder of the link in front of it (see [`MplsResponder`]).
//! That forwarder sees every packet heading east to the router with the TTL (hop limit)
//! it will arrive with, so it knows before the router does which ones expire there: the
//! router would drop a packet arriving with TTL 1 (or 0) that is not addressed to one of
//! its own addresses. When such a packet is due, the forwarder does not hand it over;
//! it answers in the router's name, with the Time Exceeded a label switching router
//! sends, queued back west with the link's delay (so the RTT is what the router's own
//! answer would have had). The message is built here, byte by byte from RFC 792/4443,
//! 4884 and 4950, and not with netlab's code, so the trace tests have an independent
//! oracle. Packets travelling west (a trace from the destination side) are not touched.
//!
//! Real routers lay the extension out in more than one way, and the forwarder plays each
//! ([`Layout`]): RFC 4884's (length field set, quote padded to 128), the older one
//! (length 0, structure at byte 128, tcpdump's `mpls-traceroute.pcap`), and the one of
//! trippy issue #804 (the length names the quote actually taken, shorter than the 128
//! bytes it is padded to). It can also add an RFC 5837 interface information object
//! ([`InterfaceEntry`]) after the label stack, or alone.

use std::collections::VecDeque;
use std::fs::{File, OpenOptions};
use std::io::{self, Read, Write};
use std::net::{IpAddr, Ipv4Addr, Ipv6Addr};
use std::os::fd::{AsRawFd, FromRawFd, OwnedFd};
use std::os::unix::fs::OpenOptionsExt;
use std::thread::JoinHandle;
use std::time::{Duration, Instant};

use super::netns::in_ns;

/// Opens `/dev/net/tun` inside `ns` and attaches a new layer-3 device called `name`
/// (no packet-information header: every read and write is one bare IP packet).
pub fn create_tun(ns: &str, name: &str) -> io::Result<File> {
    in_ns(ns, || {
        let file = OpenOptions::new()
            .read(true)
            .write(true)
            .custom_flags(libc::O_NONBLOCK | libc::O_CLOEXEC)
            .open("/dev/net/tun")?;
        // SAFETY: ifreq is plain old data; all-zero is a valid value.
        let mut req: libc::ifreq = unsafe { std::mem::zeroed() };
        let bytes = name.as_bytes();
        if bytes.len() >= req.ifr_name.len() {
            return Err(io::Error::new(
                io::ErrorKind::InvalidInput,
                "interface name too long",
            ));
        }
        for (dst, src) in req.ifr_name.iter_mut().zip(bytes) {
            *dst = *src as libc::c_char;
        }
        req.ifr_ifru.ifru_flags = (libc::IFF_TUN | libc::IFF_NO_PI) as libc::c_short;
        // SAFETY: TUNSETIFF reads and writes an ifreq, which `req` is; the fd is open.
        let rc = unsafe { libc::ioctl(file.as_raw_fd(), libc::TUNSETIFF, &mut req) };
        if rc < 0 {
            return Err(io::Error::last_os_error());
        }
        Ok(file)
    })
}

/// A running forwarder between two TUN devices. Dropping it stops the thread and closes
/// both devices (which removes them from their namespaces).
pub struct DelayLink {
    stop: File,
    thread: Option<JoinHandle<()>>,
}

impl DelayLink {
    /// Forwards between `left` (the client side) and `right`; with `mpls`, packets that
    /// would expire at the router behind `right` are answered instead (module docs).
    pub fn start(
        left: File,
        right: File,
        delay: Duration,
        mpls: Option<MplsResponder>,
        realtime: bool,
    ) -> io::Result<Self> {
        // SAFETY: eventfd has no memory-safety preconditions; the result is checked.
        let fd = unsafe { libc::eventfd(0, libc::EFD_CLOEXEC | libc::EFD_NONBLOCK) };
        if fd < 0 {
            return Err(io::Error::last_os_error());
        }
        // SAFETY: fd is a fresh eventfd that nothing else owns.
        let stop = File::from(unsafe { OwnedFd::from_raw_fd(fd) });
        let wake = stop.try_clone()?;
        let (ready, started) = std::sync::mpsc::sync_channel(1);
        let thread = std::thread::Builder::new()
            .name("lab-delay-link".into())
            .spawn(move || {
                let _ = ready.send(if realtime { make_realtime() } else { Ok(()) });
                forward(left, right, wake, delay, mpls)
            })?;
        let link = DelayLink {
            stop,
            thread: Some(thread),
        };
        // Dropping `link` on an error stops the thread again.
        started
            .recv()
            .map_err(|_| io::Error::other("the forwarder thread died"))??;
        Ok(link)
    }
}

/// Makes the calling thread SCHED_FIFO: a forwarder then runs the moment a packet is due
/// however busy the CPUs are, so a link's delay is the same under load as idle (the test
/// of kernel timestamps relies on it). A forwarder sleeps between packets, so it never
/// starves anything.
pub fn make_realtime() -> io::Result<()> {
    let param = libc::sched_param { sched_priority: 10 };
    // SAFETY: `param` is a valid sched_param; 0 is the calling thread.
    if unsafe { libc::sched_setscheduler(0, libc::SCHED_FIFO, &param) } != 0 {
        return Err(io::Error::other(format!(
            "SCHED_FIFO for the delay forwarder: {}",
            io::Error::last_os_error()
        )));
    }
    Ok(())
}

impl Drop for DelayLink {
    fn drop(&mut self) {
        // Any write makes the eventfd readable, which ends the forwarder's loop.
        let _ = (&self.stop).write_all(&1u64.to_ne_bytes());
        if let Some(thread) = self.thread.take() {
            let _ = thread.join();
        }
    }
}

/// Packets in flight in one direction, oldest first.
struct Direction {
    queue: VecDeque<(Instant, Vec<u8>)>,
}

impl Direction {
    fn new() -> Self {
        Direction {
            queue: VecDeque::new(),
        }
    }

    /// Reads every packet waiting on `from` and schedules it `delay` from now.
    fn take_in(&mut self, mut from: &File, delay: Duration) {
        let mut buf = vec![0u8; 65536];
        loop {
            match from.read(&mut buf) {
                Ok(n) => self
                    .queue
                    .push_back((Instant::now() + delay, buf[..n].to_vec())),
                // WouldBlock: drained. Other errors: the device is gone; the loop ends soon.
                Err(_) => return,
            }
        }
    }

    /// The oldest packet, if it is due at `now`.
    fn pop_due(&mut self, now: Instant) -> Option<Vec<u8>> {
        if self.queue.front()?.0 > now {
            return None;
        }
        self.queue.pop_front().map(|(_, packet)| packet)
    }

    /// Writes every due packet to `to`. A failed write drops the packet, as a wire would.
    fn deliver_due(&mut self, mut to: &File, now: Instant) {
        while let Some(packet) = self.pop_due(now) {
            let _ = to.write(&packet);
        }
    }

    /// Queues a packet `delay` from `now` (which is never before an earlier arrival's
    /// time, so the queue stays in due order).
    fn push(&mut self, due: Instant, packet: Vec<u8>) {
        self.queue.push_back((due, packet));
    }

    fn next_due(&self) -> Option<Instant> {
        self.queue.front().map(|(due, _)| *due)
    }
}

fn forward(left: File, right: File, stop: File, delay: Duration, mpls: Option<MplsResponder>) {
    let mut east = Direction::new(); // left -> right
    let mut west = Direction::new(); // right -> left
    loop {
        let now = Instant::now();
        while let Some(packet) = east.pop_due(now) {
            // The packet reaches the router now; an MPLS router's answer leaves now.
            match mpls.as_ref().and_then(|m| m.answer(&packet)) {
                Some(reply) => west.push(now + delay, reply),
                None => {
                    let _ = (&right).write(&packet);
                }
            }
        }
        west.deliver_due(&left, now);
        let next = [east.next_due(), west.next_due()]
            .into_iter()
            .flatten()
            .min();
        let timeout = next.map(|due| {
            let wait = due.saturating_duration_since(Instant::now());
            libc::timespec {
                tv_sec: wait.as_secs() as libc::time_t,
                tv_nsec: wait.subsec_nanos() as libc::c_long,
            }
        });
        let mut fds = [pollfd(&left), pollfd(&right), pollfd(&stop)];
        let timeout_ptr = timeout
            .as_ref()
            .map_or(std::ptr::null(), |t| t as *const libc::timespec);
        // SAFETY: fds is a valid array of pollfd for its length; timeout_ptr is null or
        // points at a timespec that outlives the call; a null sigmask means "unchanged".
        let rc = unsafe {
            libc::ppoll(
                fds.as_mut_ptr(),
                fds.len() as libc::nfds_t,
                timeout_ptr,
                std::ptr::null(),
            )
        };
        if rc < 0 {
            if io::Error::last_os_error().kind() == io::ErrorKind::Interrupted {
                continue;
            }
            return;
        }
        if fds[2].revents != 0 {
            return;
        }
        if fds[0].revents & libc::POLLIN != 0 {
            east.take_in(&left, delay);
        }
        if fds[1].revents & libc::POLLIN != 0 {
            west.take_in(&right, delay);
        }
        if (fds[0].revents | fds[1].revents) & (libc::POLLERR | libc::POLLHUP | libc::POLLNVAL) != 0
        {
            return;
        }
    }
}

fn pollfd(file: &File) -> libc::pollfd {
    libc::pollfd {
        fd: file.as_raw_fd(),
        events: libc::POLLIN,
        revents: 0,
    }
}

/// One MPLS label stack entry (RFC 3032): label (20 bits), traffic class, formerly EXP
/// (3 bits), bottom of stack, TTL.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct LabelEntry {
    pub label: u32,
    pub exp: u8,
    pub bottom: bool,
    pub ttl: u8,
}

impl LabelEntry {
    pub const fn new(label: u32, exp: u8, bottom: bool, ttl: u8) -> Self {
        LabelEntry {
            label,
            exp,
            bottom,
            ttl,
        }
    }

    /// Whether the fields fit their bit widths.
    pub fn is_valid(&self) -> bool {
        self.label < 1 << 20 && self.exp < 8
    }

    fn encode(&self) -> [u8; 4] {
        let entry = self.label << 12
            | u32::from(self.exp) << 9
            | u32::from(self.bottom) << 8
            | u32::from(self.ttl);
        entry.to_be_bytes()
    }
}

/// Where the extension structure goes (module docs).
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub enum Layout {
    /// RFC 4884: the length field says 128 bytes, the structure follows them.
    #[default]
    Rfc4884,
    /// Before RFC 4884: length 0, the structure at byte 128.
    Pre4884,
    /// Trippy issue #804: the length names the bytes of the packet quoted (fewer than
    /// 128), the quote is padded to 128 anyway and the structure follows.
    ShortLength,
}

/// The RFC 5837 interface information a router adds: the incoming interface (role 0),
/// with its ifIndex, the router's address on it (the source of the error), its name and
/// MTU.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct InterfaceEntry {
    pub if_index: u32,
    pub name: String,
    pub mtu: u32,
}

/// Plays an MPLS label switching router: answers the packets that would expire at it with
/// a Time Exceeded carrying an RFC 4950 label stack (module docs).
#[derive(Clone, Debug)]
pub struct MplsResponder {
    /// The stack reported, outermost entry first (no MPLS object when empty).
    pub labels: Vec<LabelEntry>,
    pub layout: Layout,
    /// An interface information object after the labels.
    pub interface: Option<InterfaceEntry>,
    /// The router's client-facing addresses: the source of its ICMP errors.
    pub from_v4: Ipv4Addr,
    pub from_v6: Ipv6Addr,
    /// Every address of the router: packets to these are delivered to it, not expired.
    pub own: Vec<IpAddr>,
}

/// RFC 4884: the original datagram field is padded (or cut) to 128 bytes.
const QUOTE_LEN: usize = 128;
const PROTO_ICMP: u8 = 1;
const PROTO_ICMPV6: u8 = 58;
const REPLY_TTL: u8 = 64;

impl MplsResponder {
    /// The Time Exceeded this router sends for `packet` (an IP packet as it arrives at
    /// the router), or None when the router would forward or deliver it.
    pub fn answer(&self, packet: &[u8]) -> Option<Vec<u8>> {
        match packet.first()? >> 4 {
            4 => self.answer_v4(packet),
            6 => self.answer_v6(packet),
            _ => None,
        }
    }

    fn answer_v4(&self, packet: &[u8]) -> Option<Vec<u8>> {
        let ihl = usize::from(packet[0] & 0xf) * 4;
        if packet.len() < 20 || ihl < 20 || packet.len() < ihl {
            return None;
        }
        let ttl = packet[8];
        let src = Ipv4Addr::from(<[u8; 4]>::try_from(&packet[12..16]).ok()?);
        let dst = Ipv4Addr::from(<[u8; 4]>::try_from(&packet[16..20]).ok()?);
        let fragment_offset = u16::from_be_bytes([packet[6], packet[7]]) & 0x1fff;
        if ttl > 1
            || dst.is_multicast()
            || dst.is_broadcast()
            || self.own.contains(&dst.into())
            || fragment_offset != 0
            // RFC 1812 4.3.2.7: no ICMP error about an ICMP error.
            || (packet[9] == PROTO_ICMP
                && packet.get(ihl).is_some_and(|t| ![0, 8, 13, 14].contains(t)))
        {
            return None;
        }
        // RFC 792 type 11 code 0; RFC 4884 length in 32-bit words (byte 5).
        let words = self.length_field(packet.len(), 4);
        let mut icmp = vec![11, 0, 0, 0, 0, words, 0, 0];
        icmp.extend_from_slice(&quote(packet));
        icmp.extend_from_slice(&self.extension(IpAddr::V4(self.from_v4)));
        let sum = checksum(&[&icmp]);
        icmp[2..4].copy_from_slice(&sum.to_be_bytes());

        let total = (20 + icmp.len()) as u16;
        let mut ip = vec![0x45, 0xc0];
        ip.extend_from_slice(&total.to_be_bytes());
        ip.extend_from_slice(&[0, 0, 0, 0, REPLY_TTL, PROTO_ICMP, 0, 0]);
        ip.extend_from_slice(&self.from_v4.octets());
        ip.extend_from_slice(&src.octets());
        let sum = checksum(&[&ip]);
        ip[10..12].copy_from_slice(&sum.to_be_bytes());
        ip.extend_from_slice(&icmp);
        Some(ip)
    }

    fn answer_v6(&self, packet: &[u8]) -> Option<Vec<u8>> {
        if packet.len() < 40 {
            return None;
        }
        let hop_limit = packet[7];
        let src = Ipv6Addr::from(<[u8; 16]>::try_from(&packet[8..24]).ok()?);
        let dst = Ipv6Addr::from(<[u8; 16]>::try_from(&packet[24..40]).ok()?);
        let link_local = dst.segments()[0] & 0xffc0 == 0xfe80;
        if hop_limit > 1
            || dst.is_multicast()
            || dst.is_unspecified()
            || link_local
            || self.own.contains(&dst.into())
            // RFC 4443 2.4 (e): no error about an error (types below 128).
            || (packet[6] == PROTO_ICMPV6 && packet.get(40).is_some_and(|t| *t < 128))
        {
            return None;
        }
        // RFC 4443 type 3 code 0; RFC 4884 length in 64-bit words (byte 4).
        let words = self.length_field(packet.len(), 8);
        let mut icmp = vec![3, 0, 0, 0, words, 0, 0, 0];
        icmp.extend_from_slice(&quote(packet));
        icmp.extend_from_slice(&self.extension(IpAddr::V6(self.from_v6)));
        let len = icmp.len() as u32;
        // RFC 8200 8.1: the pseudo-header is source, destination, upper-layer length and
        // the next header value.
        let pseudo_len = len.to_be_bytes();
        let pseudo_next = [0, 0, 0, PROTO_ICMPV6];
        let sum = checksum(&[
            &self.from_v6.octets(),
            &src.octets(),
            &pseudo_len,
            &pseudo_next,
            &icmp,
        ]);
        icmp[2..4].copy_from_slice(&sum.to_be_bytes());

        let mut ip = vec![0x60, 0, 0, 0];
        ip.extend_from_slice(&(len as u16).to_be_bytes());
        ip.extend_from_slice(&[PROTO_ICMPV6, REPLY_TTL]);
        ip.extend_from_slice(&self.from_v6.octets());
        ip.extend_from_slice(&src.octets());
        ip.extend_from_slice(&icmp);
        Some(ip)
    }

    /// The RFC 4884 length field for a quote of `packet_len` bytes padded to 128, in
    /// units of `unit` bytes (4 for ICMPv4, 8 for ICMPv6), as the layout writes it.
    fn length_field(&self, packet_len: usize, unit: usize) -> u8 {
        match self.layout {
            Layout::Rfc4884 => (QUOTE_LEN / unit) as u8,
            Layout::Pre4884 => 0,
            Layout::ShortLength => packet_len.min(QUOTE_LEN - 1).div_ceil(unit) as u8,
        }
    }

    /// RFC 4884 extension structure (version 2, checksum over the whole structure) with
    /// an RFC 4950 object, class 1 (MPLS label stack), c-type 1 (incoming stack), when
    /// there are labels, and an RFC 5837 object when there is an interface.
    fn extension(&self, address: IpAddr) -> Vec<u8> {
        let mut ext = vec![0x20, 0, 0, 0];
        if !self.labels.is_empty() {
            let object_len = (4 + 4 * self.labels.len()) as u16;
            ext.extend_from_slice(&object_len.to_be_bytes());
            ext.extend_from_slice(&[1, 1]);
            for entry in &self.labels {
                ext.extend_from_slice(&entry.encode());
            }
        }
        if let Some(interface) = &self.interface {
            ext.extend_from_slice(&interface.encode(address));
        }
        let sum = checksum(&[&ext]);
        ext[2..4].copy_from_slice(&sum.to_be_bytes());
        ext
    }
}

impl InterfaceEntry {
    /// RFC 5837 §4.1: class 2; c-type: role 0 (incoming) in the two top bits, then the
    /// ifIndex, IP address, name and MTU bits, all set (0x0f); the fields in that order.
    fn encode(&self, address: IpAddr) -> Vec<u8> {
        let mut payload = self.if_index.to_be_bytes().to_vec();
        match address {
            IpAddr::V4(a) => {
                payload.extend_from_slice(&[0, 1, 0, 0]); // AFI 1: IPv4
                payload.extend_from_slice(&a.octets());
            }
            IpAddr::V6(a) => {
                payload.extend_from_slice(&[0, 2, 0, 0]); // AFI 2: IPv6
                payload.extend_from_slice(&a.octets());
            }
        }
        // The name sub-object: a length octet counting itself, a multiple of 4, at most
        // 64; the name zero-padded.
        let name = &self.name.as_bytes()[..self.name.len().min(63)];
        let sub_len = (name.len() + 1).div_ceil(4) * 4;
        payload.push(sub_len as u8);
        payload.extend_from_slice(name);
        payload.resize(payload.len() + sub_len - 1 - name.len(), 0);
        payload.extend_from_slice(&self.mtu.to_be_bytes());
        let mut object = ((4 + payload.len()) as u16).to_be_bytes().to_vec();
        object.extend_from_slice(&[2, 0x0f]);
        object.extend_from_slice(&payload);
        object
    }
}

/// The original datagram as RFC 4884 wants it beside extensions: exactly 128 bytes, cut
/// or zero-padded.
fn quote(packet: &[u8]) -> [u8; QUOTE_LEN] {
    let mut out = [0u8; QUOTE_LEN];
    let n = packet.len().min(QUOTE_LEN);
    out[..n].copy_from_slice(&packet[..n]);
    out
}

/// The Internet checksum (RFC 1071) over the concatenation of `parts`.
fn checksum(parts: &[&[u8]]) -> u16 {
    let mut sum: u32 = 0;
    let bytes = parts.iter().flat_map(|p| p.iter().copied());
    let mut high: Option<u8> = None;
    for b in bytes {
        match high.take() {
            None => high = Some(b),
            Some(h) => sum += u32::from(u16::from_be_bytes([h, b])),
        }
    }
    if let Some(h) = high {
        sum += u32::from(u16::from_be_bytes([h, 0]));
    }
    while sum >> 16 != 0 {
        sum = (sum & 0xffff) + (sum >> 16);
    }
    !(sum as u16)
}
