//! Running the real `netlab` binary from tests, with a hard time limit so a hang fails the
//! test instead of hanging the suite.

use std::io::Write;
use std::process::{Command, Output, Stdio};
use std::time::{Duration, Instant};

use serde_json::Value;

pub mod running;
pub mod serve;

pub const NETLAB: &str = env!("CARGO_BIN_EXE_netlab");

/// Runs `netlab ARGS` on this host (loopback only) with `stdin` fed in, killing it after
/// `limit`.
pub fn netlab_with(args: &[&str], stdin: &[u8], limit: Duration) -> Output {
    let mut child = Command::new(NETLAB)
        .args(args)
        .env("NO_COLOR", "1")
        .env_remove("RUST_BACKTRACE")
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .expect("spawn netlab");
    {
        let mut input = child.stdin.take().expect("stdin");
        // A command that never reads stdin may close it first; that is fine.
        let _ = input.write_all(stdin);
    }
    let started = Instant::now();
    loop {
        if child.try_wait().expect("wait").is_some() {
            return child.wait_with_output().expect("output");
        }
        if started.elapsed() > limit {
            let _ = child.kill();
            let out = child.wait_with_output().expect("output");
            panic!(
                "netlab {args:?} still running after {limit:?}\nstdout: {}\nstderr: {}",
                String::from_utf8_lossy(&out.stdout),
                String::from_utf8_lossy(&out.stderr)
            );
        }
        std::thread::sleep(Duration::from_millis(5));
    }
}

pub fn netlab(args: &[&str]) -> Output {
    netlab_with(args, b"", Duration::from_secs(30))
}

pub fn stdout(out: &Output) -> String {
    String::from_utf8_lossy(&out.stdout).into_owned()
}

pub fn stderr(out: &Output) -> String {
    String::from_utf8_lossy(&out.stderr).into_owned()
}

/// The one JSON document a run printed on stdout (what `--json` promises). Anything else
/// fails the test, showing the run's exit code, stdout and stderr.
pub fn json(out: &Output) -> Value {
    serde_json::from_slice(&out.stdout).unwrap_or_else(|e| {
        panic!(
            "stdout is not one JSON document ({e}) (exit {:?}):\n{}\nstderr: {}",
            out.status.code(),
            stdout(out),
            stderr(out)
        )
    })
}

/// `v` as a `String`: addresses, ports and numbers compared with JSON strings and cells.
pub fn s(v: impl ToString) -> String {
    v.to_string()
}

/// Asserts the CONVENTIONS.md error contract: exit 2, nothing on stdout, and on stderr one
/// `netlab: ...` line (optionally followed by one `hint:` line), no panic, no backtrace.
pub fn assert_one_line_error(out: &Output, context: &str) {
    let err = stderr(out);
    assert_eq!(
        out.status.code(),
        Some(2),
        "{context}: exit code; stderr: {err}"
    );
    assert!(
        out.stdout.is_empty(),
        "{context}: stdout must be empty: {}",
        stdout(out)
    );
    let lines: Vec<&str> = err.lines().collect();
    assert!(
        !lines.is_empty() && lines[0].starts_with("netlab: "),
        "{context}: first stderr line must be 'netlab: ...': {err:?}"
    );
    assert!(
        lines.len() == 1 || (lines.len() == 2 && lines[1].starts_with("hint: ")),
        "{context}: one error line (plus an optional hint): {err:?}"
    );
    assert!(
        !err.contains("panicked")
            && !err.contains("internal error")
            && !err.contains("RUST_BACKTRACE"),
        "{context}: no panics: {err}"
    );
}

/// Runs `netlab ARGS` for each `(ARGS, text)`: each is refused by the error contract
/// ([`assert_one_line_error`]) with `text` somewhere in what it printed on stderr.
pub fn assert_each_refused(cases: &[(&[&str], &str)]) {
    for (args, expect) in cases {
        let out = netlab(args);
        assert_one_line_error(&out, &format!("{args:?}"));
        assert!(
            stderr(&out).contains(expect),
            "{args:?}: stderr should mention {expect:?}: {}",
            stderr(&out)
        );
    }
}

/// Every thread of `pid` has empty effective and permitted capability sets.
pub fn assert_no_capabilities(pid: i32) {
    let tasks = std::fs::read_dir(format!("/proc/{pid}/task")).expect("task dir");
    let mut seen = 0;
    for task in tasks.flatten() {
        // A thread that ended since the listing is no longer there to hold anything.
        let Ok(status) = std::fs::read_to_string(task.path().join("status")) else {
            continue;
        };
        for key in ["CapEff:", "CapPrm:"] {
            let value = status
                .lines()
                .find_map(|l| l.strip_prefix(key))
                .map(str::trim)
                .unwrap_or_else(|| panic!("no {key} in {status}"));
            assert_eq!(value, "0000000000000000", "{key} of {:?}", task.path());
        }
        seen += 1;
    }
    assert!(seen >= 1);
}

/// Whether this host has the IPv6 loopback address `::1` configured.
pub fn has_ipv6_loopback() -> bool {
    std::fs::read_to_string("/proc/net/if_inet6")
        .map(|t| {
            t.lines()
                .any(|l| l.starts_with("00000000000000000000000000000001 "))
        })
        .unwrap_or(false)
}

/// Waits (up to 10 s) until process `pid` catches `signal`: its handler is installed, so
/// sending it now tests the handling, not a race with start-up. The readiness signal is
/// the kernel's own (`SigCgt` in /proc/PID/status), so netlab prints nothing for it.
pub fn wait_for_handler(pid: u32, signal: i32) {
    let bit = 1u64 << (signal - 1);
    let deadline = Instant::now() + Duration::from_secs(10);
    loop {
        let status = std::fs::read_to_string(format!("/proc/{pid}/status")).unwrap_or_default();
        let caught = status
            .lines()
            .find_map(|l| l.strip_prefix("SigCgt:"))
            .and_then(|hex| u64::from_str_radix(hex.trim(), 16).ok())
            .unwrap_or(0);
        if caught & bit != 0 {
            return;
        }
        assert!(
            Instant::now() < deadline,
            "pid {pid} never installed a handler for signal {signal}: {status}"
        );
        std::thread::sleep(Duration::from_millis(2));
    }
}

/// Waits (up to 10 s) until every thread of `pid` is asleep (state S) in two reads in a
/// row: whatever woke it (a packet the kernel already counted) has been handled.
pub fn wait_until_idle(pid: u32) {
    let deadline = Instant::now() + Duration::from_secs(10);
    let mut idle_reads = 0;
    while idle_reads < 2 {
        let states: Vec<char> = std::fs::read_dir(format!("/proc/{pid}/task"))
            .map(|tasks| {
                tasks
                    .flatten()
                    .filter_map(|t| std::fs::read_to_string(t.path().join("stat")).ok())
                    // The state follows the command name, which is in parentheses.
                    .filter_map(|stat| stat.rsplit_once(") ").and_then(|(_, r)| r.chars().next()))
                    .collect()
            })
            .unwrap_or_default();
        if !states.is_empty() && states.iter().all(|&s| s == 'S') {
            idle_reads += 1;
        } else {
            idle_reads = 0;
        }
        assert!(
            Instant::now() < deadline,
            "pid {pid} never went idle: {states:?}"
        );
        std::thread::sleep(Duration::from_millis(5));
    }
}

/// Whether util-linux `script` (a pseudo-terminal for a command) is installed.
pub fn has_script() -> bool {
    Command::new("script")
        .arg("--version")
        .output()
        .map(|o| o.status.success())
        .unwrap_or(false)
}

/// The lines `read` gives (a child's stdout or stderr), as they come, on a channel fed by
/// a thread of its own; the channel closes at end of file.
pub fn lines_of(read: impl std::io::Read + Send + 'static) -> std::sync::mpsc::Receiver<String> {
    use std::io::BufRead;
    let (tx, rx) = std::sync::mpsc::channel();
    std::thread::spawn(move || {
        for line in std::io::BufReader::new(read).lines() {
            let Ok(line) = line else { return };
            if tx.send(line).is_err() {
                return;
            }
        }
    });
    rx
}
