//! Waiting in async code for an ICMP socket to have something to read (tokio's reactor),
//! behind a type that names no descriptor: ping's loop awaits it, then reads with
//! [`super::icmp`]'s non-blocking calls.

use std::io;

#[cfg(unix)]
use tokio::io::unix::AsyncFd;
#[cfg(unix)]
use tokio::io::Interest;

use super::icmp::IcmpSocket;

/// An ICMP socket registered with the async runtime.
#[cfg(unix)]
pub struct AsyncIcmpSocket {
    fd: AsyncFd<IcmpSocket>,
}

#[cfg(unix)]
impl AsyncIcmpSocket {
    /// Watches `socket` for replies and queued errors (needs a running tokio runtime).
    pub fn new(socket: IcmpSocket) -> io::Result<AsyncIcmpSocket> {
        // SAFETY: IcmpSocket owns its socket for its whole life and always returns that
        // same descriptor from as_raw_fd.
        let fd = unsafe {
            AsyncFd::register_with_interest(socket, Interest::READABLE | Interest::ERROR)
        }
        .map_err(|e| e.into_parts().1)?;
        Ok(AsyncIcmpSocket { fd })
    }

    pub fn socket(&self) -> &IcmpSocket {
        self.fd.get_ref()
    }

    /// Waits until the socket has something to read or an error queued. The readiness is
    /// used up on return, before the caller reads: whatever arrives from then on wakes
    /// the next wait, so nothing is left unread between a read and a wait.
    pub async fn readable(&self) -> io::Result<()> {
        let mut guard = self.fd.ready(Interest::READABLE | Interest::ERROR).await?;
        guard.clear_ready();
        Ok(())
    }
}

/// Windows: the ICMP helper's requests wake their socket's reader themselves
/// (`icmp/windows.rs`); there is nothing to register.
#[cfg(windows)]
pub struct AsyncIcmpSocket {
    socket: IcmpSocket,
}

#[cfg(windows)]
impl AsyncIcmpSocket {
    pub fn new(socket: IcmpSocket) -> io::Result<AsyncIcmpSocket> {
        Ok(AsyncIcmpSocket { socket })
    }

    pub fn socket(&self) -> &IcmpSocket {
        &self.socket
    }

    /// Waits until a reply or an error may be queued. As on Unix, the wake-up is used up
    /// on return: whatever is queued from then on wakes the next wait.
    pub async fn readable(&self) -> io::Result<()> {
        self.socket.queued().await;
        Ok(())
    }
}
