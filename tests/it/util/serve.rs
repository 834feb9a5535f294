//! A `netlab serve` process for tests: a [`Running`] started (in a lab namespace or on
//! this host) and waited for until it listens, then stopped with what it printed.

use std::net::SocketAddr;
use std::ops::{Deref, DerefMut};
use std::process::{Command, ExitStatus, Output};

use serde_json::Value;

use super::running::Running;
use super::NETLAB;
use crate::lab::{Lab, Role};

/// A `netlab serve` process: started, waited for ("Ctrl-C stops" on stderr), stopped.
/// Everything else (typing, reading, signals) is [`Running`]'s.
pub struct Server(Running);

/// What a stopped server printed.
pub struct Stopped {
    pub status: ExitStatus,
    pub stdout: String,
    pub stderr: String,
}

impl Server {
    /// Starts `netlab serve ARGS` in the destination namespace.
    pub fn start(lab: &Lab, args: &[&str]) -> Server {
        Server::spawn(lab.command(Role::Dest, NETLAB), args)
    }

    /// Starts `netlab serve ARGS` on this host (loopback tests).
    pub fn start_here(args: &[&str]) -> Server {
        Server::spawn(Command::new(NETLAB), args)
    }

    fn spawn(mut cmd: Command, args: &[&str]) -> Server {
        cmd.arg("serve").args(args);
        let mut server = Server(Running::spawn("netlab serve", cmd));
        server.wait_stderr("Ctrl-C stops");
        server
    }

    /// The address the server said it listens on (its last stderr line so far, the
    /// "Ctrl-C stops" one after start-up): the port a server given port 0 took.
    pub fn listening_addr(&self) -> SocketAddr {
        let line = self.err_lines.last().expect("a listening line");
        line.split_whitespace()
            .nth(3)
            .and_then(|a| a.parse().ok())
            .unwrap_or_else(|| panic!("no address in {line:?}"))
    }

    /// Sends SIGINT and collects what the server printed until it exits (within WAIT).
    pub fn stop(self) -> Stopped {
        self.signal(libc::SIGINT);
        self.wait()
    }

    /// Waits for the server to exit (within WAIT) and collects its output: the stdout
    /// lines not read yet, every stderr line.
    pub fn wait(self) -> Stopped {
        let (status, stdout, stderr) = self.0.wait();
        Stopped {
            status,
            stdout: stdout.join("\n"),
            stderr: stderr.join("\n"),
        }
    }
}

impl Deref for Server {
    type Target = Running;

    fn deref(&self) -> &Running {
        &self.0
    }
}

impl DerefMut for Server {
    fn deref_mut(&mut self) -> &mut Running {
        &mut self.0
    }
}

impl Stopped {
    /// The JSON document the server printed (see [`super::json`]).
    pub fn json(&self) -> Value {
        super::json(&Output {
            status: self.status,
            stdout: self.stdout.clone().into_bytes(),
            stderr: self.stderr.clone().into_bytes(),
        })
    }

    /// The table row (stdout line) that mentions `peer`.
    pub fn row_of(&self, peer: SocketAddr) -> &str {
        let text = peer.to_string();
        self.stdout
            .lines()
            .find(|l| l.split_whitespace().nth(1) == Some(text.as_str()))
            .unwrap_or_else(|| panic!("no row for {text} in:\n{}", self.stdout))
    }
}
