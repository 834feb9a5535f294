//! Network namespaces and bounded command execution: the only part of the lab that knows
//! how `ip netns` names, files and processes work.
//!
//! Names are `nl<pid>x<counter><role>` so that labs built by parallel test threads and by
//! parallel test processes (nextest) never collide, and so that a later run can tell which
//! leftovers belong to a process that died without tearing down (SIGKILL, timeout).

use std::fs::File;
use std::io::{self, Read};
use std::os::fd::AsRawFd;
use std::path::{Path, PathBuf};
use std::process::{Command, Output, Stdio};
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::Once;
use std::thread;
use std::time::{Duration, Instant};

/// Where `ip netns add` mounts its namespace handles.
const NETNS_RUN_DIR: &str = "/run/netns";
/// Where `ip netns exec` looks for per-namespace files to bind-mount over `/etc`.
const NETNS_ETC_DIR: &str = "/etc/netns";
/// Commands the lab runs itself (ip, iptables-restore, sysctl) finish in milliseconds; this only
/// turns a wedged command into a test failure.
const SETUP_COMMAND_TIMEOUT: Duration = Duration::from_secs(20);

/// A fresh name prefix, unique in this process and among live processes.
pub fn unique_prefix() -> String {
    static COUNTER: AtomicUsize = AtomicUsize::new(0);
    let n = COUNTER.fetch_add(1, Ordering::Relaxed);
    format!("nl{}x{}", std::process::id(), n)
}

/// The pid encoded in a lab namespace name, if the name is one of ours.
fn owner_pid(name: &str) -> Option<u32> {
    let rest = name.strip_prefix("nl")?;
    let (pid, _) = rest.split_once('x')?;
    pid.parse().ok()
}

/// Deletes namespaces and `/etc/netns` directories left behind by dead processes.
/// Runs once per process; live owners (concurrent test processes) are left alone.
pub fn sweep_stale_once() {
    static SWEEP: Once = Once::new();
    SWEEP.call_once(sweep_stale);
}

/// [`sweep_stale_once`] without the once.
pub fn sweep_stale() {
    let me = std::process::id();
    for dir in [NETNS_RUN_DIR, NETNS_ETC_DIR] {
        let Ok(entries) = std::fs::read_dir(dir) else {
            continue;
        };
        for entry in entries.flatten() {
            let name = entry.file_name().to_string_lossy().into_owned();
            let Some(pid) = owner_pid(&name) else {
                continue;
            };
            if pid == me || Path::new(&format!("/proc/{pid}")).exists() {
                continue;
            }
            eprintln!("lab: removing stale namespace {name} (pid {pid} is gone)");
            delete_namespace(&name);
        }
    }
}

/// Creates a namespace with `ip netns add`.
pub fn add_namespace(name: &str) -> Result<(), String> {
    run_checked(Command::new("ip").args(["netns", "add", name]))
}

/// Best effort: deletes the namespace and its `/etc/netns` directory. Used from Drop, so
/// it never panics; anything it cannot remove is reported and swept by a later run.
pub fn delete_namespace(name: &str) {
    if Path::new(NETNS_RUN_DIR).join(name).exists() {
        if let Err(e) = run_checked(Command::new("ip").args(["netns", "del", name])) {
            eprintln!("lab: could not delete namespace {name}: {e}");
        }
    }
    let etc = etc_dir(name);
    if etc.exists() {
        if let Err(e) = std::fs::remove_dir_all(&etc) {
            eprintln!("lab: could not remove {}: {e}", etc.display());
        }
    }
}

/// True when `ip netns` knows the namespace.
pub fn namespace_exists(name: &str) -> bool {
    Path::new(NETNS_RUN_DIR).join(name).exists()
}

/// `/etc/netns/<name>`: files here replace their `/etc` namesakes under `ip netns exec`.
pub fn etc_dir(name: &str) -> PathBuf {
    Path::new(NETNS_ETC_DIR).join(name)
}

/// Runs `f` on a thread that has entered namespace `ns`, and returns its result.
///
/// Sockets and TUN devices keep the namespace they were created in, so this is how the lab
/// (and tests) open them inside a namespace and then use them from any thread.
pub fn in_ns<T: Send>(ns: &str, f: impl FnOnce() -> T + Send) -> T {
    let handle = File::open(Path::new(NETNS_RUN_DIR).join(ns))
        .unwrap_or_else(|e| panic!("open namespace {ns}: {e}"));
    thread::scope(|scope| {
        scope
            .spawn(|| {
                // SAFETY: setns only changes this (short-lived, scoped) thread's network
                // namespace; the fd is a valid namespace handle for the duration of the call.
                let rc = unsafe { libc::setns(handle.as_raw_fd(), libc::CLONE_NEWNET) };
                if rc != 0 {
                    panic!("setns({ns}): {}", io::Error::last_os_error());
                }
                f()
            })
            .join()
            .unwrap_or_else(|panic| std::panic::resume_unwind(panic))
    })
}

/// `ip -n <ns> -batch -`: many `ip` commands for one namespace in a single process.
pub fn ip_batch(ns: &str, commands: &[String]) -> Result<(), String> {
    if commands.is_empty() {
        return Ok(());
    }
    let script = commands.join("\n") + "\n";
    run_with_stdin(Command::new("ip").args(["-n", ns, "-batch", "-"]), &script)
        .map_err(|e| format!("{e}\nbatch was:\n{script}"))
}

/// Runs a command under `ip netns exec` with `stdin` as its input.
pub fn exec_with_stdin(ns: &str, argv: &[&str], stdin: &str) -> Result<(), String> {
    run_with_stdin(
        Command::new("ip").args(["netns", "exec", ns]).args(argv),
        stdin,
    )
}

fn run_with_stdin(cmd: &mut Command, stdin: &str) -> Result<(), String> {
    let path = write_temp(stdin).map_err(|e| format!("temp file: {e}"))?;
    let file = File::open(path.path()).map_err(|e| format!("temp file: {e}"))?;
    run_checked(cmd.stdin(file))
}

fn write_temp(contents: &str) -> io::Result<tempfile::NamedTempFile> {
    use std::io::Write;
    let mut file = tempfile::NamedTempFile::new()?;
    file.write_all(contents.as_bytes())?;
    file.flush()?;
    Ok(file)
}

/// Runs a setup command to completion and turns a non-zero exit into an error that shows
/// the command and its stderr.
pub fn run_checked(cmd: &mut Command) -> Result<(), String> {
    let shown = format!("{cmd:?}");
    let out = run_bounded(cmd, SETUP_COMMAND_TIMEOUT).map_err(|e| format!("{shown}: {e}"))?;
    if out.status.success() {
        Ok(())
    } else {
        Err(format!(
            "{shown} failed ({}): {}{}",
            out.status,
            String::from_utf8_lossy(&out.stderr),
            String::from_utf8_lossy(&out.stdout)
        ))
    }
}

/// Why a bounded command produced no normal result.
#[derive(Debug)]
pub enum RunError {
    /// It could not be started or waited for.
    Io(io::Error),
    /// It was killed at the deadline; `partial` holds what it printed until then.
    TimedOut { after: Duration, partial: Output },
}

impl std::fmt::Display for RunError {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            RunError::Io(e) => write!(f, "{e}"),
            RunError::TimedOut { after, partial } => write!(
                f,
                "killed after {after:?}\n--- stdout ---\n{}\n--- stderr ---\n{}",
                String::from_utf8_lossy(&partial.stdout),
                String::from_utf8_lossy(&partial.stderr)
            ),
        }
    }
}

impl From<io::Error> for RunError {
    fn from(e: io::Error) -> Self {
        RunError::Io(e)
    }
}

/// Runs `cmd` with captured stdout/stderr and kills it after `timeout`, so a hang fails a
/// test instead of hanging the suite.
pub fn run_bounded(cmd: &mut Command, timeout: Duration) -> Result<Output, RunError> {
    let mut child = cmd.stdout(Stdio::piped()).stderr(Stdio::piped()).spawn()?;
    // Drain both pipes concurrently so a chatty child never blocks on a full pipe.
    let stdout = drain(child.stdout.take());
    let stderr = drain(child.stderr.take());
    let deadline = Instant::now() + timeout;
    let (status, timed_out) = loop {
        if let Some(status) = child.try_wait()? {
            break (status, false);
        }
        if Instant::now() >= deadline {
            // Killing the direct child is enough: `ip netns exec` and `setpriv` exec the
            // target program in place, so the pid is the program itself.
            let _ = child.kill();
            break (child.wait()?, true);
        }
        // Polling keeps this free of signal handling; 5 ms is noise next to any command.
        thread::sleep(Duration::from_millis(5));
    };
    let output = Output {
        status,
        stdout: stdout.join().unwrap_or_default(),
        stderr: stderr.join().unwrap_or_default(),
    };
    if timed_out {
        Err(RunError::TimedOut {
            after: timeout,
            partial: output,
        })
    } else {
        Ok(output)
    }
}

fn drain(pipe: Option<impl Read + Send + 'static>) -> thread::JoinHandle<Vec<u8>> {
    thread::spawn(move || {
        let mut buf = Vec::new();
        if let Some(mut pipe) = pipe {
            let _ = pipe.read_to_end(&mut buf);
        }
        buf
    })
}
