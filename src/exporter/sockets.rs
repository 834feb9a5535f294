//! The ICMP sockets the exporter opens while privileged and keeps for its whole run.
//!
//! Capabilities are dropped once the listener is bound, so every ICMP socket the
//! exporter will ever use as root is opened before that:
//! - [`Kept`]: one socket per family for the continuous pinger (raw with
//!   `CAP_NET_RAW`, datagram otherwise). Each pinger run (at start, and again when a
//!   reload or a changed address changes the targets) gets a `dup` of them, so the
//!   targets can change without the privilege.
//! - [`ProbePool`]: raw sockets for `/probe?module=icmp`. Without them a root exporter
//!   in a namespace whose `ping_group_range` is the kernel default `1 0` could open no
//!   ICMP socket once its capabilities are gone. Each socket carries its own echo
//!   identifier, and a probe holds one socket for its run, so concurrent probes (and
//!   the continuous pinger, whose raw socket sees the same replies) tell their replies
//!   apart by identifier and by the engine's payload token. Why a small pool and not
//!   one shared socket with a reader that dispatches by identifier: the ping driver
//!   owns the socket it reads (`ping::measure`); a pool reuses that driver unchanged.
//!   The pool is small ([`PROBE_SOCKETS`]) and its sockets' receive buffers are
//!   shrunk, because an idle raw socket still queues every echo reply the host gets.

use std::net::IpAddr;
use std::sync::{Arc, Mutex};

use tokio::sync::{OwnedSemaphorePermit, Semaphore};

use crate::error::Failure;
use crate::net::icmp::{self, IcmpSocket, Mode, Version};
use crate::net::privilege;
use crate::ping;

/// Raw sockets per family kept for /probe (probes past this wait for one).
pub const PROBE_SOCKETS: usize = 4;
/// Receive buffer of a pooled socket: room for a probe's replies and the echo replies
/// of the continuous pinger that arrive while it is idle, not more.
const POOL_RECV_BUFFER: usize = 64 * 1024;

fn random_ident() -> u16 {
    u16::from_be_bytes(icmp::random_bytes::<2>())
}

/// The continuous pinger's sockets, one per family that could be opened.
pub struct Kept {
    v4: Option<IcmpSocket>,
    v6: Option<IcmpSocket>,
}

impl Kept {
    /// Opens a socket for each family; a family the configured targets use must open
    /// (its error stops the start), the other is opened if it can be (a reload or a
    /// changed address may need it later).
    pub fn open(need: &[IpAddr]) -> Result<Kept, Failure> {
        let open = |v: Version, what: &str| {
            let needed = need.iter().any(|a| Version::of(a) == v);
            match privilege::open_icmp_socket(v, random_ident(), what) {
                Ok(s) => Ok(Some(s)),
                Err(f) if needed => Err(f),
                Err(_) => Ok(None),
            }
        };
        Ok(Kept {
            v4: open(Version::V4, "opening an ICMP socket")?,
            v6: open(Version::V6, "opening an ICMPv6 socket")?,
        })
    }

    /// Whether there is a socket for `addr`'s family.
    pub fn has(&self, addr: IpAddr) -> bool {
        match Version::of(&addr) {
            Version::V4 => self.v4.is_some(),
            Version::V6 => self.v6.is_some(),
        }
    }

    /// Duplicates of the kept sockets for one pinger run (one run at a time).
    pub fn lend(&self) -> Result<ping::Sockets, Failure> {
        let dup = |s: &Option<IcmpSocket>| {
            s.as_ref()
                .map(IcmpSocket::try_clone)
                .transpose()
                .map_err(|e| Failure::new("duplicating the ICMP socket", e))
        };
        Ok(ping::Sockets {
            v4: dup(&self.v4)?,
            v6: dup(&self.v6)?,
            v4_error: None,
            v6_error: None,
            source: None,
            device: None,
        })
    }
}

/// Raw sockets of one family, each lent to one probe at a time.
struct Pool {
    /// How many were opened (the permits while none is lent).
    opened: usize,
    free: Mutex<Vec<IcmpSocket>>,
    available: Arc<Semaphore>,
}

impl Pool {
    fn open(version: Version, size: usize) -> Pool {
        let mut free = Vec::with_capacity(size);
        for _ in 0..size {
            match IcmpSocket::open(version, Mode::Raw, random_ident()) {
                Ok(s) => {
                    let _ = s.set_recv_buffer_size(POOL_RECV_BUFFER);
                    free.push(s);
                }
                Err(_) => break,
            }
        }
        Pool {
            opened: free.len(),
            available: Arc::new(Semaphore::new(free.len())),
            free: Mutex::new(free),
        }
    }
}

/// Raw ICMP sockets for /probe, opened while privileged; empty without `CAP_NET_RAW`
/// (then /probe opens a datagram socket per probe, as any user's ping does).
pub struct ProbePool {
    v4: Arc<Pool>,
    v6: Arc<Pool>,
}

impl ProbePool {
    pub fn open() -> ProbePool {
        ProbePool {
            v4: Arc::new(Pool::open(Version::V4, PROBE_SOCKETS)),
            v6: Arc::new(Pool::open(Version::V6, PROBE_SOCKETS)),
        }
    }

    /// A pool with no socket.
    #[cfg(test)]
    pub fn empty() -> ProbePool {
        ProbePool {
            v4: Arc::new(Pool::open(Version::V4, 0)),
            v6: Arc::new(Pool::open(Version::V6, 0)),
        }
    }

    /// Whether raw sockets were kept for `version`.
    pub fn has(&self, version: Version) -> bool {
        self.pool(version).opened > 0
    }

    fn pool(&self, version: Version) -> &Arc<Pool> {
        match version {
            Version::V4 => &self.v4,
            Version::V6 => &self.v6,
        }
    }

    /// Waits for a free raw socket of `version`; `None` when none was kept.
    pub async fn lease(&self, version: Version) -> Option<Lease> {
        let pool = self.pool(version).clone();
        if pool.opened == 0 {
            return None;
        }
        let permit = pool.available.clone().acquire_owned().await.ok()?;
        let socket = pool.free.lock().ok()?.pop()?;
        // What queued while it was idle belongs to earlier probes: drop it unread.
        let mut buf = vec![0u8; 2048];
        icmp::drain_icmp(&socket, &mut buf, |_, _| {});
        Some(Lease {
            pool,
            socket: Some(socket),
            _permit: permit,
        })
    }
}

/// One pooled socket, given back when dropped.
pub struct Lease {
    pool: Arc<Pool>,
    socket: Option<IcmpSocket>,
    _permit: OwnedSemaphorePermit,
}

impl Lease {
    /// The sockets one `ping::measure` run takes: a duplicate of the leased one.
    pub fn sockets(&self) -> Result<ping::Sockets, Failure> {
        let socket = self
            .socket
            .as_ref()
            .map(IcmpSocket::try_clone)
            .transpose()
            .map_err(|e| Failure::new("duplicating the ICMP socket", e))?;
        let (v4, v6) = match socket.as_ref().map(IcmpSocket::version) {
            Some(Version::V6) => (None, socket),
            _ => (socket, None),
        };
        Ok(ping::Sockets {
            v4,
            v6,
            v4_error: None,
            v6_error: None,
            source: None,
            device: None,
        })
    }
}

impl Drop for Lease {
    fn drop(&mut self) {
        if let (Some(s), Ok(mut free)) = (self.socket.take(), self.pool.free.lock()) {
            free.push(s);
        }
    }
}
