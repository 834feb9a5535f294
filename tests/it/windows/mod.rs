//! netlab.exe (x86_64-pc-windows-gnu) under Wine, against this host's loopback (issue 18).
//!
//! Wine runs a Windows program's sockets on the host's network stack, so `connect` to a
//! listener this test opens on 127.0.0.1, and `ping 127.0.0.1` through the ICMP helper
//! API (Wine implements it over Linux ICMP sockets), reach nothing but this host.
//!
//! `loopback` runs it against this host's loopback, `lab` inside the namespace lab's
//! client, through the lab's routers (Wine's wineserver started in that namespace).
//!
//! The exe is the release build, what users get in the zip: `.ci/release.sh` builds it
//! (`.ci/win.sh` runs that; or `NETLAB_WINDOWS_EXE` names one), Wine and its prefix come
//! from `.ci/cross-setup.sh`; without them these tests skip loudly, and fail under CI=true
//! (`lab::skip`). `crate::dist` checks that the zip holds this very exe.

use std::path::{Path, PathBuf};
use std::process::{Command, Output, Stdio};
use std::time::Duration;

use std::sync::{Mutex, MutexGuard};

use crate::lab::run_or_panic;
use crate::lab::skip::skip;

mod lab;
mod long;
mod loopback;
mod resolve;
mod watch;

/// Wine's loader (Debian's wine64; not on PATH).
const WINE: &str = "/usr/lib/wine/wine64";

/// The release netlab.exe `.ci/release.sh` builds and packs, under the repository.
pub(crate) const RELEASE_EXE: &str =
    "target/cross-x86_64-pc-windows-gnu/x86_64-pc-windows-gnu/release/netlab.exe";

/// The Windows build the tests run: the release one unless `NETLAB_WINDOWS_EXE` says.
fn exe() -> PathBuf {
    match std::env::var_os("NETLAB_WINDOWS_EXE") {
        Some(path) => PathBuf::from(path),
        None => PathBuf::from(env!("CARGO_MANIFEST_DIR")).join(RELEASE_EXE),
    }
}

/// One Wine test at a time. Wine sends ICMP echo requests from a helper process that its
/// wineserver starts (`nsiproxy.sys` in `winedevice.exe`), in whatever network namespace
/// the wineserver was started from: the lab test must not share a wineserver with the
/// loopback tests.
pub(crate) fn one_at_a_time() -> MutexGuard<'static, ()> {
    static WINE_TESTS: Mutex<()> = Mutex::new(());
    WINE_TESTS.lock().unwrap_or_else(|e| e.into_inner())
}

/// Ends the prefix's wineserver (and its helpers), if one runs.
fn stop_wineserver() {
    let _ = Command::new("/usr/lib/wine/wineserver")
        .arg("-k")
        .env("WINEDEBUG", "-all")
        .status();
}

/// Whether Wine is there; if not, the test is skipped (failed under CI=true).
pub(crate) fn have_wine() -> bool {
    if !std::path::Path::new(WINE).exists() {
        skip(&format!(
            "{WINE} is missing: run `sudo bash .ci/cross-setup.sh`"
        ));
        return false;
    }
    true
}

/// Whether Wine and the exe are there; if not, the test is skipped (failed under CI=true).
fn have_wine_and_exe() -> bool {
    let exe = exe();
    if !have_wine() {
        return false;
    }
    if !exe.exists() {
        skip(&format!(
            "{} is missing: run `bash .ci/release.sh x86_64-pc-windows-gnu` (or set NETLAB_WINDOWS_EXE)",
            exe.display()
        ));
        return false;
    }
    true
}

/// Runs `netlab.exe ARGS` under Wine on this host, killed after `limit`; None (and the
/// test skipped) when Wine or the exe is missing.
fn wine_netlab(args: &[&str], limit: Duration) -> Option<Output> {
    if !have_wine_and_exe() {
        return None;
    }
    Some(run_exe(Command::new(WINE), args, limit))
}

/// Runs `netlab.exe ARGS` through `cmd`, Wine's loader (perhaps behind `ip netns exec`),
/// without colour or stdin, killed after `limit`.
fn run_exe(cmd: Command, args: &[&str], limit: Duration) -> Output {
    run_program(cmd, &exe(), args, limit)
}

/// Runs the Windows program `exe ARGS` under Wine on this host, killed after `limit`.
pub(crate) fn wine_run(exe: &Path, args: &[&str], limit: Duration) -> Output {
    run_program(Command::new(WINE), exe, args, limit)
}

fn run_program(mut cmd: Command, exe: &Path, args: &[&str], limit: Duration) -> Output {
    cmd.arg(exe)
        .args(args)
        .env("WINEDEBUG", "-all")
        .env("NO_COLOR", "1")
        .stdin(Stdio::null());
    run_or_panic(&mut cmd, limit)
}

/// The run's stdout, after checking that it exited 0.
fn succeeded(out: &Output, what: &str) -> String {
    let stdout = String::from_utf8_lossy(&out.stdout).into_owned();
    assert!(
        out.status.success(),
        "{what} exited {:?}\nstdout: {stdout}\nstderr: {}",
        out.status.code(),
        String::from_utf8_lossy(&out.stderr)
    );
    stdout
}

/// Wine's first start of a prefix (the wineserver, its registry) can take seconds.
pub(crate) const LIMIT: Duration = Duration::from_secs(120);

/// The one JSON document a run printed, after checking that it exited `code`.
fn json(out: &Output, what: &str, code: i32) -> serde_json::Value {
    let stdout = String::from_utf8_lossy(&out.stdout);
    assert_eq!(
        out.status.code(),
        Some(code),
        "{what}\nstdout: {stdout}\nstderr: {}",
        String::from_utf8_lossy(&out.stderr)
    );
    serde_json::from_str(&stdout).unwrap_or_else(|e| panic!("{what}: {e}: {stdout}"))
}
