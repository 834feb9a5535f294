//! A `netlab serve` process for tests: started (in a lab namespace or on this host), its
//! stdout and stderr read line by line as they come, typed into, signalled, stopped.
//!
//! `serve` runs until told to stop and talks on both pipes while it runs, so a test
//! cannot just collect its output at exit the way `util::netlab` does. Every wait is
//! bounded by [`WAIT`]; a server still running when the test ends is killed on drop.

use std::io::Write;
use std::net::SocketAddr;
use std::process::{Child, ChildStdin, Command, ExitStatus, Output, Stdio};
use std::sync::mpsc::Receiver;
use std::time::{Duration, Instant};

use serde_json::Value;

use super::{lines_of, NETLAB};
use crate::lab::{Lab, Role};

/// Every wait in these tests is bounded by this.
pub const WAIT: Duration = Duration::from_secs(10);

/// A `netlab serve` process: started, waited for ("listening on" on stderr), stopped.
pub struct Server {
    child: Child,
    stdin: Option<ChildStdin>,
    stdout: Receiver<String>,
    stderr: Receiver<String>,
    /// stderr lines already seen.
    pub err_lines: Vec<String>,
}

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
        let mut child = cmd
            .arg("serve")
            .args(args)
            .env("NO_COLOR", "1")
            .stdin(Stdio::piped())
            .stdout(Stdio::piped())
            .stderr(Stdio::piped())
            .spawn()
            .expect("spawn netlab serve");
        let stdin = child.stdin.take();
        let stdout = lines_of(child.stdout.take().expect("stdout"));
        let stderr = lines_of(child.stderr.take().expect("stderr"));
        let mut server = Server {
            child,
            stdin,
            stdout,
            stderr,
            err_lines: Vec::new(),
        };
        server.wait_stderr("Ctrl-C stops");
        server
    }

    /// Waits for a stderr line containing `text` and returns it.
    pub fn wait_stderr(&mut self, text: &str) -> String {
        let deadline = Instant::now() + WAIT;
        loop {
            let left = deadline.saturating_duration_since(Instant::now());
            match self.stderr.recv_timeout(left) {
                Ok(line) => {
                    self.err_lines.push(line.clone());
                    if line.contains(text) {
                        return line;
                    }
                }
                Err(_) => {
                    let _ = self.child.kill();
                    panic!(
                        "no stderr line with {text:?}; stderr so far: {:?}",
                        self.err_lines
                    )
                }
            }
        }
    }

    /// The next stdout line (within [`WAIT`]).
    pub fn next_stdout(&mut self) -> String {
        match self.stdout.recv_timeout(WAIT) {
            Ok(line) => line,
            Err(_) => panic!(
                "no stdout line from the server; stderr: {:?}",
                self.err_lines
            ),
        }
    }

    /// Types a line on the server's stdin.
    pub fn type_line(&mut self, line: &str) {
        let stdin = self.stdin.as_mut().expect("stdin open");
        stdin
            .write_all(format!("{line}\n").as_bytes())
            .expect("write stdin");
        stdin.flush().expect("flush stdin");
    }

    pub fn signal(&self, sig: i32) {
        // SAFETY: kill(2) on our own child's pid.
        let rc = unsafe { libc::kill(self.child.id() as i32, sig) };
        assert_eq!(rc, 0, "kill {sig}");
    }

    /// Sends SIGINT and collects what the server printed until it exits (within WAIT).
    pub fn stop(self) -> Stopped {
        self.signal(libc::SIGINT);
        self.wait()
    }

    /// Waits for the server to exit (within WAIT) and collects its output.
    pub fn wait(mut self) -> Stopped {
        let deadline = Instant::now() + WAIT;
        let status = loop {
            if let Some(status) = self.child.try_wait().expect("try_wait") {
                break status;
            }
            if Instant::now() > deadline {
                let _ = self.child.kill();
                panic!("netlab serve did not exit; stderr: {:?}", self.err_lines);
            }
            std::thread::sleep(Duration::from_millis(10));
        };
        // The pipes close with the process: the reader threads end.
        let stdout: Vec<String> = self.stdout.iter().collect();
        let mut stderr = std::mem::take(&mut self.err_lines);
        stderr.extend(self.stderr.iter());
        Stopped {
            status,
            stdout: stdout.join("\n"),
            stderr: stderr.join("\n"),
        }
    }
}

impl Drop for Server {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
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
