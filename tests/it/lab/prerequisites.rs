//! What the host must give a lab before one is built: root, network namespaces, TUN when
//! asked for, and the command-line tools the lab and the tests run.
//!
//! A missing tool is installed (Debian packages, with apt-get) rather than reported,
//! so the README's test command works on a fresh machine; anything else missing makes
//! `Lab::build_or_skip` skip the test loudly (fail under `CI=true`, see `skip`).

use std::io::Write;
use std::process::Command;

use super::{netns, LabConfig};

/// Whether a lab can be built here: root, network namespaces, `/dev/net/tun` when
/// `config` needs TUN links, and the tools (installed if missing); or why not.
pub(super) fn check(config: &LabConfig) -> Result<(), String> {
    // SAFETY: geteuid has no preconditions.
    if unsafe { libc::geteuid() } != 0 {
        return Err("not running as root".into());
    }
    install_missing_tools()?;
    // Root in a container may still be refused namespaces: try once per process.
    static CAN_CREATE: std::sync::OnceLock<Result<(), String>> = std::sync::OnceLock::new();
    CAN_CREATE
        .get_or_init(|| {
            let probe = format!("nl{}xprobe", std::process::id());
            netns::add_namespace(&probe).map_err(|e| format!("cannot create namespaces: {e}"))?;
            netns::delete_namespace(&probe);
            Ok(())
        })
        .clone()?;
    if config.tun_links() && !std::path::Path::new("/dev/net/tun").exists() {
        return Err("/dev/net/tun is missing (delayed links and MPLS routers need TUN)".into());
    }
    Ok(())
}

/// The tools the lab and its tests run, with the Debian package of each.
const LAB_TOOLS: [(&str, &str, &str); 11] = [
    ("ip", "-V", "iproute2"),
    ("iptables-restore", "--version", "iptables"),
    ("ip6tables-restore", "--version", "iptables"),
    ("ping", "-V", "iputils-ping"),
    ("sysctl", "-V", "procps"),
    ("dig", "-v", "dnsutils"),
    ("setpriv", "--version", "util-linux"),
    ("tcpdump", "--version", "tcpdump"),
    // The tools netlab's ping, trace --mtu and trace flags are compared with.
    ("traceroute", "--version", "traceroute"),
    ("tracepath", "-V", "iputils-tracepath"),
    // The live view's real-terminal test (trace_live.rs).
    ("tmux", "-V", "tmux"),
];

fn tool_works(tool: &str, arg: &str) -> bool {
    Command::new(tool)
        .arg(arg)
        .output()
        .map(|o| o.status.success())
        .unwrap_or(false)
}

/// The suite installs what it needs (the README's test command works on a fresh Debian
/// machine): missing tools are installed with apt once per process, under a file lock so
/// parallel test processes don't fight over dpkg. Runs only as root (checked before).
fn install_missing_tools() -> Result<(), String> {
    static INSTALLED: std::sync::OnceLock<Result<(), String>> = std::sync::OnceLock::new();
    INSTALLED
        .get_or_init(|| {
            let missing = |tools: &[(&str, &str, &str)]| -> Vec<String> {
                let mut pkgs: Vec<String> = tools
                    .iter()
                    .filter(|(tool, arg, _)| !tool_works(tool, arg))
                    .map(|(_, _, pkg)| pkg.to_string())
                    .collect();
                pkgs.dedup();
                pkgs
            };
            if missing(&LAB_TOOLS).is_empty() {
                return Ok(());
            }
            let lock = std::fs::File::create("/tmp/netlab-lab-apt.lock")
                .map_err(|e| format!("apt lock file: {e}"))?;
            // SAFETY: flock on an fd we own; released when `lock` is dropped.
            unsafe { libc::flock(std::os::fd::AsRawFd::as_raw_fd(&lock), libc::LOCK_EX) };
            let pkgs = missing(&LAB_TOOLS);
            if pkgs.is_empty() {
                return Ok(());
            }
            let _ = writeln!(
                std::io::stderr(),
                "lab: installing missing tools with apt-get: {}",
                pkgs.join(" ")
            );
            let mut install = vec!["install", "-y", "-qq", "--no-install-recommends"];
            install.extend(pkgs.iter().map(String::as_str));
            let installed = apt(&install) || (apt(&["update", "-qq"]) && apt(&install));
            if !installed {
                return Err(format!(
                    "missing tools and `apt-get install {}` failed",
                    pkgs.join(" ")
                ));
            }
            match missing(&LAB_TOOLS).first() {
                Some(pkg) => Err(format!("package {pkg} installed but its tool still fails")),
                None => Ok(()),
            }
        })
        .clone()
}

/// Whether every program in `programs` is on PATH, installing `packages` with apt first
/// when one is missing and this is root (under the lab's apt lock, once per set a
/// process). When they are still missing the calling test is skipped, or fails under
/// `CI=true` ([`super::skip::skip`]); the caller returns on `false`. One place for what
/// the exporter's Prometheus and the web tests' nginx and curl need.
pub fn installed(programs: &[&str], packages: &[&str]) -> bool {
    use std::collections::HashMap;
    use std::sync::Mutex;
    static DONE: Mutex<Option<HashMap<String, bool>>> = Mutex::new(None);
    let key = programs.join(" ");
    let mut done = DONE.lock().unwrap_or_else(|e| e.into_inner());
    let known = done.get_or_insert_with(HashMap::new).get(&key).copied();
    let ok = known.unwrap_or_else(|| {
        let present = || programs.iter().all(|p| on_path(p));
        // SAFETY: geteuid cannot fail.
        if !present() && unsafe { libc::geteuid() } == 0 {
            let lock = std::fs::File::create("/tmp/netlab-lab-apt.lock");
            if let Ok(lock) = &lock {
                // SAFETY: flock on an fd we own; released when `lock` is dropped.
                unsafe { libc::flock(std::os::fd::AsRawFd::as_raw_fd(lock), libc::LOCK_EX) };
            }
            let mut install = vec!["install", "-y", "-qq", "--no-install-recommends"];
            install.extend_from_slice(packages);
            let _ = apt(&install) || (apt(&["update", "-qq"]) && apt(&install));
        }
        let ok = present();
        done.get_or_insert_with(HashMap::new).insert(key, ok);
        ok
    });
    drop(done);
    if !ok {
        super::skip::skip(&format!(
            "{} missing (apt-get install {})",
            programs.join(", "),
            packages.join(" ")
        ));
    }
    ok
}

fn on_path(program: &str) -> bool {
    Command::new("sh")
        .args(["-c", &format!("command -v {program}")])
        .stdout(std::process::Stdio::null())
        .status()
        .is_ok_and(|s| s.success())
}

/// One quiet apt-get run (`DEBIAN_FRONTEND=noninteractive`): whether it succeeded.
fn apt(args: &[&str]) -> bool {
    Command::new("apt-get")
        .args(args)
        .env("DEBIAN_FRONTEND", "noninteractive")
        .output()
        .is_ok_and(|o| o.status.success())
}
