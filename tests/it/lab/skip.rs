//! Skipped tests are never silent, and never pass under CI.
//!
//! libtest has no "skipped" outcome: a test that returns early is reported `ok`, and a
//! line it prints scrolls away among hundreds of others. So every skip goes through
//! [`skip`], which
//!
//! - under `CI=true` (or `CI=1`) fails the test instead: CI can never go green by skipping;
//! - otherwise prints `SKIPPED <test>: <why>` on stderr at once (to the stderr handle, which
//!   libtest's output capture does not swallow), counts it, and on the first skip registers
//!   an `atexit` handler that prints a summary *after* libtest's own `test result:` line,
//!   where a person reads the outcome: how many tests passed without running, why, and the
//!   command that runs them.
//!
//! Why not a custom harness (libtest-mimic): it would need every `#[test]` of the suite
//! registered by hand, a large diff colliding with everyone adding tests, for one summary
//! line that `atexit` prints just as well. The README's `cargo test` stays the command.

use std::io::Write;
use std::sync::{Mutex, Once};

/// Names (and reasons) of the tests skipped in this process.
static SKIPPED: Mutex<Vec<String>> = Mutex::new(Vec::new());
static SUMMARY: Once = Once::new();

/// The command that runs every test, lab ones included.
pub const RUN_ALL: &str = "sudo -E cargo test";

/// Whether this run is CI's (`CI=true` or `CI=1`): then nothing may be skipped.
pub fn ci() -> bool {
    matches!(std::env::var("CI").as_deref(), Ok("true") | Ok("1"))
}

/// Skips the calling test (the caller returns right after) or, under CI, fails it.
pub fn skip(why: &str) {
    let thread = std::thread::current();
    let test = thread.name().unwrap_or("<test>").to_string();
    assert!(!ci(), "CI=true and {test} cannot run: {why}");
    let _ = writeln!(
        std::io::stderr(),
        "SKIPPED {test}: {why} (run: {RUN_ALL}, or CI=true to make this a failure)"
    );
    let mut skipped = SKIPPED.lock().unwrap_or_else(|e| e.into_inner());
    // A test that skips twice (two labs at once) is one test not run.
    if !skipped
        .iter()
        .any(|s| s.split(": ").next() == Some(test.as_str()))
    {
        skipped.push(format!("{test}: {why}"));
    }
    drop(skipped);
    SUMMARY.call_once(|| {
        // SAFETY: registering a plain `extern "C" fn` with no preconditions.
        unsafe { libc::atexit(print_summary) };
    });
}

/// Runs at process exit, after libtest printed `test result: ...`.
extern "C" fn print_summary() {
    let skipped = SKIPPED.lock().unwrap_or_else(|e| e.into_inner());
    let mut text = format!(
        "\nSKIPPED {} test(s): counted as passed above, but they did not run.\n",
        skipped.len()
    );
    for line in skipped.iter().take(5) {
        text.push_str(&format!("  {line}\n"));
    }
    if skipped.len() > 5 {
        text.push_str(&format!("  ... and {} more\n", skipped.len() - 5));
    }
    text.push_str(&format!(
        "Run them all with: {RUN_ALL}   (CI=true turns every skip into a failure)\n\n"
    ));
    // Straight to fd 2: std's handles may already be torn down at exit.
    // SAFETY: writing an owned, live buffer to fd 2.
    let _ = unsafe { libc::write(2, text.as_ptr().cast(), text.len()) };
}
