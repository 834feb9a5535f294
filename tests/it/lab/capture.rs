//! tcpdump as a witness: what a node's interfaces carried while a command ran.
//!
//! Tests that claim "nothing was sent" (bad input is refused before any packet) need an
//! observer netlab cannot fool; tcpdump inside the node's namespace is that observer, and
//! each test also runs a control (the same command, good input) that the capture does
//! see, so the witness is known to be looking.

use std::io::{BufRead, BufReader};
use std::process::{Child, Stdio};
use std::sync::mpsc;
use std::thread::JoinHandle;
use std::time::Duration;

use super::{Lab, Role};

/// A running `tcpdump -i any` in one node; [`Capture::stop`] ends it.
pub struct Capture {
    child: Child,
    stdout: JoinHandle<String>,
    stderr: JoinHandle<String>,
}

impl Capture {
    /// Starts capturing what matches `filter` on every interface of `role`, and returns
    /// once tcpdump says it is listening (its readiness signal), so nothing sent after
    /// this returns is missed.
    pub fn start(lab: &Lab, role: Role, filter: &str) -> Capture {
        let mut child = lab
            .command(role, "tcpdump")
            // A short snap length: libpcap's ring (immediate mode) then holds thousands
            // of packets, not the 8 of the default 256 KiB snap, so a burst on a busy
            // machine is not dropped; `stop` checks that none was.
            .args(["-i", "any", "-nn", "-l", "--immediate-mode", "-s", "128"])
            .arg(filter)
            .stdin(Stdio::null())
            .stdout(Stdio::piped())
            .stderr(Stdio::piped())
            .spawn()
            .expect("tcpdump runs");
        let mut out = child.stdout.take().expect("stdout");
        let stdout = std::thread::spawn(move || {
            let mut text = String::new();
            let _ = std::io::Read::read_to_string(&mut out, &mut text);
            text
        });
        let (listening, ready) = mpsc::channel();
        let err = child.stderr.take().expect("stderr");
        let stderr = std::thread::spawn(move || {
            let mut text = String::new();
            for line in BufReader::new(err).lines().map_while(Result::ok) {
                if line.contains("listening on") {
                    let _ = listening.send(());
                }
                text.push_str(&line);
                text.push('\n');
            }
            text
        });
        let capture = Capture {
            child,
            stdout,
            stderr,
        };
        if ready.recv_timeout(Duration::from_secs(20)).is_err() {
            let (_, text) = capture.finish();
            panic!("tcpdump never started listening: {text}");
        }
        capture
    }

    /// Stops tcpdump and returns how many packets it captured and their one-line
    /// summaries.
    pub fn stop(self) -> (u64, String) {
        let (stderr, stdout) = self.finish();
        // tcpdump's closing counts: "N packets captured", "1 packet dropped by kernel".
        let count = |what: &str| -> u64 {
            stderr
                .lines()
                .find_map(|l| {
                    l.strip_suffix(&format!(" packets {what}"))
                        .or_else(|| l.strip_suffix(&format!(" packet {what}")))
                })
                .and_then(|n| n.trim().parse().ok())
                .unwrap_or_else(|| panic!("no '{what}' count from tcpdump: {stderr}"))
        };
        let (captured, dropped) = (count("captured"), count("dropped by kernel"));
        assert_eq!(dropped, 0, "the witness missed packets: {stderr}");
        (captured, stdout)
    }

    fn finish(mut self) -> (String, String) {
        // `ip netns exec` execs tcpdump: the child's pid is tcpdump's. SIGTERM makes it
        // flush what it captured and print its counts.
        // SAFETY: kill(2) on our own child's pid.
        unsafe { libc::kill(self.child.id() as libc::pid_t, libc::SIGTERM) };
        let deadline = std::time::Instant::now() + Duration::from_secs(20);
        while matches!(self.child.try_wait(), Ok(None)) {
            if std::time::Instant::now() > deadline {
                let _ = self.child.kill();
                let _ = self.child.wait();
                break;
            }
            std::thread::sleep(Duration::from_millis(5));
        }
        let stderr = self.stderr.join().unwrap_or_default();
        let stdout = self.stdout.join().unwrap_or_default();
        (stderr, stdout)
    }
}
