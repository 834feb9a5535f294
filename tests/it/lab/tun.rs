//! Links with a one-way delay, without netem (this kernel has none).
//!
//! Each delayed link is a pair of TUN devices, one in each neighbouring namespace, and one
//! forwarder thread in the test process that reads an IP packet from one device, holds it
//! for the delay and writes it to the other. The delay is constant, so a FIFO per direction
//! keeps packet order. The thread sleeps in `ppoll` until the next packet is due or
//! another one arrives, which keeps the added error well under a millisecond.

use std::collections::VecDeque;
use std::fs::{File, OpenOptions};
use std::io::{self, Read, Write};
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
    pub fn start(left: File, right: File, delay: Duration) -> io::Result<Self> {
        // SAFETY: eventfd has no memory-safety preconditions; the result is checked.
        let fd = unsafe { libc::eventfd(0, libc::EFD_CLOEXEC | libc::EFD_NONBLOCK) };
        if fd < 0 {
            return Err(io::Error::last_os_error());
        }
        // SAFETY: fd is a fresh eventfd that nothing else owns.
        let stop = File::from(unsafe { OwnedFd::from_raw_fd(fd) });
        let wake = stop.try_clone()?;
        let thread = std::thread::Builder::new()
            .name("lab-delay-link".into())
            .spawn(move || forward(left, right, wake, delay))?;
        Ok(DelayLink {
            stop,
            thread: Some(thread),
        })
    }
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

    /// Writes every due packet to `to`. A failed write drops the packet, as a wire would.
    fn deliver_due(&mut self, mut to: &File, now: Instant) {
        while let Some((due, _)) = self.queue.front() {
            if *due > now {
                return;
            }
            let (_, packet) = self.queue.pop_front().expect("front exists");
            let _ = to.write(&packet);
        }
    }

    fn next_due(&self) -> Option<Instant> {
        self.queue.front().map(|(due, _)| *due)
    }
}

fn forward(left: File, right: File, stop: File, delay: Duration) {
    let mut east = Direction::new(); // left -> right
    let mut west = Direction::new(); // right -> left
    loop {
        let now = Instant::now();
        east.deliver_due(&right, now);
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
