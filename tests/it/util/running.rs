//! A process that runs while a test talks to it: `netlab serve`, `netlab connect
//! --interactive`, the exporter, a seed program, Prometheus. Its stdin is typed into line
//! by line, its stdout and stderr are read line by line as they come, it is signalled and
//! waited for.
//!
//! Such a process talks on its pipes while it runs, so a test cannot just collect its
//! output at exit the way `util::netlab` does. Every wait is bounded ([`WAIT`] unless
//! [`Running::patience`] says otherwise), so a hang fails the test instead of blocking
//! the suite; a process still running when the test ends is killed on drop.
//!
//! Hand-written over std::process: assert_cmd runs a command to its end, and expect-style
//! crates (rexpect) drive a pseudo-terminal, on which netlab prints for people (the
//! live view, colour) instead of the lines these tests read.

use std::io::Write;
use std::process::{Child, ChildStdin, Command, ExitStatus, Stdio};
use std::sync::mpsc::Receiver;
use std::time::{Duration, Instant};

use super::lines_of;

/// Every wait for a line or an exit is bounded by this, unless [`Running::patience`] says
/// otherwise.
pub const WAIT: Duration = Duration::from_secs(10);

/// A running process with its stdin, stdout and stderr piped.
pub struct Running {
    /// What runs, for failure messages.
    what: String,
    child: Child,
    stdin: Option<ChildStdin>,
    stdout: Receiver<String>,
    stderr: Receiver<String>,
    /// stdout lines [`Running::wait_stdout`] went through (those [`Running::next_stdout`]
    /// returns are the caller's alone).
    out_seen: Vec<String>,
    /// stderr lines already read, by [`Running::wait_stderr`].
    pub err_lines: Vec<String>,
    /// The bound on each wait.
    patience: Duration,
}

impl Running {
    /// Spawns `cmd` (with `NO_COLOR=1`) with its three pipes; `what` names it in failures.
    pub fn spawn(what: &str, mut cmd: Command) -> Running {
        let mut child = cmd
            .env("NO_COLOR", "1")
            .stdin(Stdio::piped())
            .stdout(Stdio::piped())
            .stderr(Stdio::piped())
            .spawn()
            .unwrap_or_else(|e| panic!("spawn {what}: {e}"));
        Running {
            what: what.to_string(),
            stdin: child.stdin.take(),
            stdout: lines_of(child.stdout.take().expect("stdout")),
            stderr: lines_of(child.stderr.take().expect("stderr")),
            child,
            out_seen: Vec::new(),
            err_lines: Vec::new(),
            patience: WAIT,
        }
    }

    /// Waits up to `limit` instead of [`WAIT`] (a program slow to start, like Prometheus).
    pub fn patience(mut self, limit: Duration) -> Running {
        self.patience = limit;
        self
    }

    /// The process id (that of the program itself: `ip netns exec` execs it in place).
    pub fn id(&self) -> u32 {
        self.child.id()
    }

    /// Types a line on the process's stdin.
    pub fn type_line(&mut self, line: &str) {
        let stdin = self.stdin.as_mut().expect("stdin open");
        stdin
            .write_all(format!("{line}\n").as_bytes())
            .expect("write stdin");
        stdin.flush().expect("flush stdin");
    }

    /// The next stdout line (within the patience).
    pub fn next_stdout(&mut self) -> String {
        match self.stdout.recv_timeout(self.patience) {
            Ok(line) => line,
            Err(_) => panic!(
                "{}: no stdout line; stderr: {:?}",
                self.what, self.err_lines
            ),
        }
    }

    /// Waits for a stdout line containing `text` and returns it.
    pub fn wait_stdout(&mut self, text: &str) -> String {
        let found = line_with(&self.stdout, &mut self.out_seen, text, self.patience);
        self.found_or_fail(found, "stdout", text)
    }

    /// Waits for a stderr line containing `text` and returns it.
    pub fn wait_stderr(&mut self, text: &str) -> String {
        let found = line_with(&self.stderr, &mut self.err_lines, text, self.patience);
        self.found_or_fail(found, "stderr", text)
    }

    fn found_or_fail(&mut self, found: Option<String>, stream: &str, text: &str) -> String {
        found.unwrap_or_else(|| {
            let _ = self.child.kill();
            let rest: Vec<String> = self.stderr.try_iter().collect();
            panic!(
                "{}: no {stream} line with {text:?}; stdout: {:?}; stderr: {:?} {rest:?}",
                self.what, self.out_seen, self.err_lines
            )
        })
    }

    /// Sends `sig` to the process.
    pub fn signal(&self, sig: i32) {
        // SAFETY: kill(2) on our own child's pid.
        let rc = unsafe { libc::kill(self.child.id() as i32, sig) };
        assert_eq!(rc, 0, "{}: kill {sig}", self.what);
    }

    /// Waits for the process to exit by itself (within the patience), stdin left open. Returns
    /// its status, the stdout lines not yet read by [`Running::next_stdout`] (those
    /// [`Running::wait_stdout`] went through first) and every stderr line.
    pub fn wait(mut self) -> (ExitStatus, Vec<String>, Vec<String>) {
        let deadline = Instant::now() + self.patience;
        let status = loop {
            if let Some(status) = self.child.try_wait().expect("try_wait") {
                break status;
            }
            if Instant::now() > deadline {
                let _ = self.child.kill();
                panic!(
                    "{} did not exit; stdout {:?}; stderr: {:?}",
                    self.what, self.out_seen, self.err_lines
                );
            }
            std::thread::sleep(Duration::from_millis(2));
        };
        // The pipes close with the process: the reader threads end.
        let mut out = std::mem::take(&mut self.out_seen);
        out.extend(self.stdout.iter());
        let mut err = std::mem::take(&mut self.err_lines);
        err.extend(self.stderr.iter());
        (status, out, err)
    }

    /// Closes stdin (end of file for the process), then [`Running::wait`]s.
    pub fn finish(mut self) -> (ExitStatus, Vec<String>, Vec<String>) {
        drop(self.stdin.take());
        self.wait()
    }

    /// Kills the process; returns its stdout lines as in [`Running::wait`].
    pub fn kill(mut self) -> Vec<String> {
        let _ = self.child.kill();
        let _ = self.child.wait();
        let mut out = std::mem::take(&mut self.out_seen);
        out.extend(self.stdout.iter());
        out
    }
}

impl Drop for Running {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

/// The first line from `lines` containing `text` within `limit`, every line read on the
/// way (that one too) added to `seen`.
fn line_with(
    lines: &Receiver<String>,
    seen: &mut Vec<String>,
    text: &str,
    limit: Duration,
) -> Option<String> {
    let deadline = Instant::now() + limit;
    loop {
        let left = deadline.saturating_duration_since(Instant::now());
        let line = lines.recv_timeout(left).ok()?;
        seen.push(line.clone());
        if line.contains(text) {
            return Some(line);
        }
    }
}
