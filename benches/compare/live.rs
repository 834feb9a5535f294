//! The `live` section: each full-screen view in a real terminal emulator (a tmux pane,
//! 150×40) for 60 s at 0.2 s on a 7-hop path: `netlab trace --watch` (the ratatui live
//! view), mtr's curses view, trippy's TUI when `trip` is installed. Every tool runs the
//! same way: started in its own pane, its view waited for, left running, then `q`.
//! The `ping-live` section does the same for `netlab ping --watch` and gping on three
//! hosts (gping installed by the harness with `cargo install gping` when missing), and
//! compares the RTTs netlab's ping reports with iputils ping's, alternating run by run.
//!
//! CPU time is user + system of the tool's whole process tree (mtr probes from a child,
//! `mtr-packet`; threads count in their process) from `/proc/<pid>/stat`, read just
//! before `q`; so is memory (`VmRSS` at 5 s, half-way and at the end, `VmHWM` for the
//! peak) from `/proc/<pid>/status`: the tool is the pane's process (`ip netns exec` execs it), not
//! this harness's child, so `wait4` cannot see it.

use std::process::Command;
use std::time::{Duration, Instant};

use super::lab::{Lab, LabConfig, Role};
use super::{compare, rtt_contenders, tool_present, Row};

/// The seconds each view runs (NETLAB_WATCH_SECONDS, default 60; 600 for the ten
/// minutes of memory figures in BENCHMARKS.md, or `--watch-seconds 600`).
fn seconds() -> u64 {
    let args: Vec<String> = std::env::args().collect();
    if let Some(at) = args.iter().position(|a| a == "--watch-seconds") {
        if let Some(n) = args.get(at + 1).and_then(|n| n.parse().ok()) {
            return n;
        }
    }
    std::env::var("NETLAB_WATCH_SECONDS")
        .ok()
        .and_then(|s| s.parse().ok())
        .unwrap_or(60)
}

/// Where `trip` is, if installed (`cargo install trippy` puts it on the PATH, or in a root
/// of its own).
fn trippy() -> Option<String> {
    if tool_present("trip") {
        return Some("trip".into());
    }
    ["/tmp/trippy-root/bin/trip", "/root/.cargo/bin/trip"]
        .iter()
        .find(|p| std::path::Path::new(p).exists())
        .map(|p| p.to_string())
}

fn tmux(socket: &str, args: &[&str]) -> String {
    let out = Command::new("tmux")
        .args(["-L", socket, "-f", "/dev/null"])
        .args(args)
        .output()
        .expect("running tmux");
    String::from_utf8_lossy(&out.stdout).into_owned()
}

/// Clock ticks per second, for `/proc/<pid>/stat`.
fn ticks() -> f64 {
    // SAFETY: sysconf has no preconditions.
    (unsafe { libc::sysconf(libc::_SC_CLK_TCK) }) as f64
}

/// `pid` and its descendants (from `/proc/<pid>/task/*/children`).
fn tree(pid: u32) -> Vec<u32> {
    let mut all = vec![pid];
    let mut i = 0;
    while i < all.len() {
        let p = all[i];
        if let Ok(tasks) = std::fs::read_dir(format!("/proc/{p}/task")) {
            for task in tasks.flatten() {
                let children = std::fs::read_to_string(task.path().join("children"));
                for c in children.unwrap_or_default().split_whitespace() {
                    if let Ok(c) = c.parse() {
                        all.push(c);
                    }
                }
            }
        }
        i += 1;
    }
    all
}

/// User + system CPU of `pid`'s process tree, in ms.
fn cpu_ms(pid: u32) -> f64 {
    tree(pid)
        .iter()
        .filter_map(|p| {
            let stat = std::fs::read_to_string(format!("/proc/{p}/stat")).ok()?;
            // Fields after the command's closing parenthesis: state is field 3; utime and
            // stime are fields 14 and 15.
            let rest: Vec<&str> = stat.rsplit_once(')')?.1.split_whitespace().collect();
            let utime: f64 = rest.get(11)?.parse().ok()?;
            let stime: f64 = rest.get(12)?.parse().ok()?;
            Some((utime + stime) * 1000.0 / ticks())
        })
        .sum()
}

/// A `/proc/<pid>/status` figure in KiB (`VmRSS`, `VmHWM`), summed over the tree.
fn status_kib(pid: u32, key: &str) -> i64 {
    tree(pid)
        .iter()
        .filter_map(|p| {
            let status = std::fs::read_to_string(format!("/proc/{p}/status")).ok()?;
            let line = status.lines().find(|l| l.starts_with(key))?;
            line.split_whitespace().nth(1)?.parse::<i64>().ok()
        })
        .sum()
}

/// Runs `argv` in a fresh pane in the lab's client namespace, waits until the pane shows
/// `ready`, lets it run, reads its CPU and memory, then quits it with `q`.
fn one_view(
    lab: &Lab,
    (section, label): (&str, &str),
    argv: &[String],
    ready: &str,
    seconds: u64,
) -> Row {
    let socket = format!("netlab-bench-{}", std::process::id());
    let mut command = vec![
        "new-session".to_string(),
        "-d".into(),
        "-x".into(),
        "150".into(),
        "-y".into(),
        "40".into(),
        "env".into(),
        "TERM=xterm-256color".into(),
        "NO_COLOR=1".into(),
        "ip".into(),
        "netns".into(),
        "exec".into(),
        lab.ns(Role::Client).to_string(),
    ];
    command.extend(argv.iter().cloned());
    let args: Vec<&str> = command.iter().map(String::as_str).collect();
    tmux(&socket, &args);
    let pane_pid = || tmux(&socket, &["display-message", "-p", "#{pane_pid}"]);
    let started = Instant::now();
    let mut correct = "yes".to_string();
    let mut up = false;
    while started.elapsed() < Duration::from_secs(20) {
        if tmux(&socket, &["capture-pane", "-p"]).contains(ready) {
            up = true;
            break;
        }
        std::thread::sleep(Duration::from_millis(50));
    }
    if !up {
        correct = format!("NO: the view never showed {ready:?}");
    }
    // `env` execs `ip`, which execs the tool: the pane's process is the tool.
    let pid: u32 = pane_pid().trim().parse().unwrap_or(0);
    let at = |s: u64| started + Duration::from_secs(s);
    // RSS at 5 s, at 1 min in a run of more than 2, half-way and at the end: whether
    // memory is flat after the start.
    let mut marks = vec![5];
    if seconds > 120 {
        marks.push(60);
    }
    marks.push(seconds / 2);
    let mut readings = Vec::new();
    for mark in marks {
        std::thread::sleep(at(mark).saturating_duration_since(Instant::now()));
        readings.push(format!("{} KiB at {mark} s", status_kib(pid, "VmRSS:")));
    }
    std::thread::sleep(at(seconds).saturating_duration_since(Instant::now()));
    let cpu = cpu_ms(pid);
    let late = status_kib(pid, "VmRSS:");
    let peak = status_kib(pid, "VmHWM:");
    let screen = tmux(&socket, &["capture-pane", "-p"]);
    if !screen.contains(&lab.dest_v4().to_string()) && correct == "yes" {
        correct = format!("NO: no destination on screen:\n{screen}");
    }
    tmux(&socket, &["send-keys", "q"]);
    let quit = Instant::now();
    // The session ends with its one pane's process.
    while Command::new("tmux")
        .args(["-L", &socket, "has-session"])
        .output()
        .is_ok_and(|o| o.status.success())
    {
        if quit.elapsed() > Duration::from_secs(10) {
            correct = "NO: q did not end it".into();
            break;
        }
        std::thread::sleep(Duration::from_millis(50));
    }
    tmux(&socket, &["kill-server"]);
    Row {
        section: format!(
            "{seconds} s full-screen view at 0.2 s, {section} (tmux pane, CPU user+sys)"
        ),
        label: format!(
            "{label}; RSS {}, {late} KiB at {seconds} s",
            readings.join(", ")
        ),
        runs: 1,
        median: cpu,
        unit: "ms CPU",
        versus: "-".into(),
        max_rss_kib: peak,
        correct,
    }
}

/// The section: `-- live` (one run per tool: a run is a minute).
pub fn section_live(_runs: usize, rows: &mut Vec<Row>) {
    let lab = Lab::new(
        LabConfig::default()
            .routers(6)
            .link_delay(Duration::from_millis(2)),
    )
    .unwrap_or_else(|e| panic!("lab: {e:?}"));
    let dest = lab.dest_v4().to_string();
    let seconds = seconds();
    let netlab = env!("CARGO_BIN_EXE_netlab").to_string();
    let words = |text: &str| -> Vec<String> { text.split_whitespace().map(String::from).collect() };
    let mut first: Option<f64> = None;
    let mut views = vec![(
        "netlab trace --watch -n -i 0.2 (ratatui live view)".to_string(),
        words(&format!("{netlab} trace --watch -n -i 0.2 {dest}")),
        "rtt history".to_string(),
    )];
    if tool_present("mtr") {
        views.push((
            "mtr -n -i 0.2 (curses view)".into(),
            words(&format!("mtr -n -i 0.2 {dest}")),
            dest.clone(),
        ));
    }
    match trippy() {
        Some(trip) => views.push((
            "trip -a ip -i 200ms (TUI)".into(),
            words(&format!("{trip} -a ip -i 200ms {dest}")),
            dest.clone(),
        )),
        None => eprintln!("bench: live: trippy is not installed (cargo install trippy): no row"),
    }
    for (label, argv, ready) in views {
        let mut row = one_view(&lab, ("7 hops", &label), &argv, &ready, seconds);
        let netlab_cpu = *first.get_or_insert(row.median);
        row.versus = format!("{:.2}×", row.median / netlab_cpu);
        rows.push(row);
    }
}

/// Where `gping` is: on the PATH, or installed now into a root of its own.
fn gping() -> Option<String> {
    if tool_present("gping") {
        return Some("gping".into());
    }
    let path = "/tmp/gping-root/bin/gping";
    if !std::path::Path::new(path).exists() {
        eprintln!("bench: ping-live: cargo install gping --root /tmp/gping-root");
        let _ = Command::new("cargo")
            .args(["install", "gping", "--root", "/tmp/gping-root"])
            .status();
    }
    std::path::Path::new(path)
        .exists()
        .then(|| path.to_string())
}

/// The section: `-- ping-live`.
pub fn section_ping_live(runs: usize, rows: &mut Vec<Row>) {
    let lab = Lab::new(
        LabConfig::default()
            .routers(3)
            .link_delay(Duration::from_millis(2)),
    )
    .unwrap_or_else(|e| panic!("lab: {e:?}"));
    let hosts = [lab.hop_v4(1), lab.hop_v4(2), lab.dest_v4()].map(|a| a.to_string());
    let hosts = hosts.join(" ");
    let seconds = seconds();
    let netlab = env!("CARGO_BIN_EXE_netlab").to_string();
    let words = |text: &str| -> Vec<String> { text.split_whitespace().map(String::from).collect() };
    let mut views = vec![(
        "netlab ping --watch -i 0.2 (ratatui live view)".to_string(),
        words(&format!("{netlab} ping --watch -i 0.2 {hosts}")),
        "window".to_string(),
    )];
    match gping() {
        Some(gping) => views.push((
            "gping -n 0.2 (TUI)".into(),
            words(&format!("{gping} -n 0.2 {hosts}")),
            lab.dest_v4().to_string(),
        )),
        None => eprintln!("bench: ping-live: gping could not be installed: no row"),
    }
    let mut first: Option<f64> = None;
    for (label, argv, ready) in views {
        let mut row = one_view(&lab, ("3 hosts", &label), &argv, &ready, seconds);
        let netlab_cpu = *first.get_or_insert(row.median);
        row.versus = format!("{:.2}×", row.median / netlab_cpu);
        rows.push(row);
    }
    // The RTTs the view shows are the ping engine's: the same path, 50 probes at
    // 0.2 s, netlab's and iputils' alternating run by run.
    let dest = lab.dest_v4().to_string();
    let contenders = rtt_contenders(&lab, &dest, ["-c", "50", "-i", "0.2"]);
    compare(
        "ping RTT at 0.2 s, 3 routers × 2 ms (what ping --watch shows)",
        runs.min(3),
        &contenders,
        rows,
    );
}
