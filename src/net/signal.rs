//! The signals that end a run or ask it for a report, named by what they mean rather than
//! by their Unix numbers, so the commands' loops need no platform module (on Windows,
//! Ctrl-C and the console closing would stand for the first two; there is no SIGQUIT).

use std::io;

use super::sys;

pub use super::kinds::Meaning;

/// A signal being watched from now on (needs a running tokio runtime).
pub struct Signal {
    inner: sys::Signal,
}

impl Signal {
    /// Watches the signal (an `Unsupported` error where the platform has none).
    pub fn watch(meaning: Meaning) -> io::Result<Signal> {
        Ok(Signal {
            inner: sys::Signal::watch(meaning)?,
        })
    }

    /// Completes when the signal arrives (`None`: it can no longer arrive).
    pub async fn recv(&mut self) -> Option<()> {
        self.inner.recv().await
    }
}
