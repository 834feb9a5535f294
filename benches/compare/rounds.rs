//! The `rounds` section: `trace -c` and `--watch` (issue #10) beside mtr and trippy.
//!
//! - Loss accuracy: 300 rounds on a path whose router 2 drops 20% of what it forwards
//!   each way (36% round-trip loss for every later hop) and whose router 4 also drops
//!   half of its own time-exceeded; mtr's report on the same path beside it.
//! - Wall time of 10 rounds at 0.2 s: `netlab trace -c 10 -i 0.2`, `mtr -r -c 10 -i 0.2`,
//!   `trip -m json -C 10 -i 200ms` (when `trip` is on the PATH or in
//!   /tmp/trippy-root/bin: `cargo install trippy`).
//! - CPU and memory of a 60 s watch at 0.2 s on a 7-hop path, each tool on a terminal
//!   (`script`): netlab's `--watch`, mtr's curses view, trippy's TUI; CPU time is
//!   user + system from `wait4` (it includes `script`, the same for every tool), and
//!   netlab's RSS is read at 5 s and at the end to show it flat.

use std::time::{Duration, Instant};

use super::lab::impair::Impairment;
use super::lab::{Lab, LabConfig, Role};
use super::{compare, measure, netlab_in, start, tool_in, tool_present, Contender, Row, Sample};

/// Where `trip` is, if installed.
fn trippy() -> Option<String> {
    if tool_present("trip") {
        return Some("trip".into());
    }
    let local = "/tmp/trippy-root/bin/trip";
    std::path::Path::new(local)
        .exists()
        .then(|| local.to_string())
}

/// mtr's report: Loss% per hop, in hop order.
fn mtr_losses(text: &str) -> Vec<f64> {
    text.lines()
        .filter_map(|line| {
            let mut words = line.split_whitespace();
            let hop = words.next()?;
            hop.strip_suffix(".|--")?.parse::<u32>().ok()?;
            words.next()?;
            words.next()?.trim_end_matches('%').parse().ok()
        })
        .collect()
}

fn loss_accuracy(runs: usize, rows: &mut Vec<Row>) {
    let lab = Lab::new(
        LabConfig::default()
            .routers(5)
            .impair(Impairment::ForwardingLoss {
                router: 2,
                probability: 0.2,
            })
            .impair(Impairment::ReplyLoss {
                router: 4,
                probability: 0.5,
            }),
    )
    .unwrap_or_else(|e| panic!("lab: {e:?}"));
    let dest = lab.dest_v4().to_string();
    let section = "loss accuracy, 300 rounds: router 2 drops 20% each way (36% beyond), router 4 also half its replies";
    for _ in 0..runs.min(3) {
        let s = measure(&mut netlab_in(
            &lab,
            &["trace", "-n", "-c", "300", "-i", "0.01", "--json", &dest],
        ));
        let doc: serde_json::Value = serde_json::from_str(&s.stdout).unwrap_or_default();
        let hops = doc["hops"].as_array().cloned().unwrap_or_default();
        let loss = |ttl: u64| -> f64 {
            hops.iter()
                .find(|h| h["ttl"] == ttl)
                .and_then(|h| h["loss_percent"].as_f64())
                .unwrap_or(f64::NAN)
        };
        let kind = |ttl: u64| -> String {
            hops.iter()
                .find(|h| h["ttl"] == ttl)
                .and_then(|h| h["loss_kind"].as_str())
                .unwrap_or("?")
                .to_string()
        };
        let later: Vec<f64> = (3..=6)
            .map(|t| {
                if t == 4 {
                    hops.iter()
                        .find(|h| h["ttl"] == 4)
                        .and_then(|h| h["forwarding_loss_percent"].as_f64())
                        .unwrap_or(f64::NAN)
                } else {
                    loss(t)
                }
            })
            .collect();
        let worst = later.iter().map(|l| (l - 36.0).abs()).fold(0.0, f64::max);
        let before_clean = loss(1) == 0.0 && loss(2) == 0.0;
        let told_apart = kind(4) == "both";
        let ok = worst <= 6.0 && before_clean && told_apart;
        rows.push(Row {
            section: section.into(),
            label: format!(
                "netlab trace -c 300: hops 3-6 loss {} (hop 4: forwarding part), hops 1-2 {}/{}, hop 4 {} ({}% in all), begins at {}",
                later
                    .iter()
                    .map(|l| format!("{l:.1}%"))
                    .collect::<Vec<_>>()
                    .join(" "),
                loss(1),
                loss(2),
                kind(4),
                loss(4),
                doc["loss_begins_at"]
            ),
            runs: 1,
            median: worst,
            unit: "pts max error",
            versus: "-".into(),
            max_rss_kib: s.max_rss_kib,
            correct: if ok { "yes".into() } else { "NO".into() },
        });
        if tool_present("mtr") {
            let m = measure(&mut tool_in(
                &lab,
                &["mtr", "-r", "-n", "-c", "300", "-i", "0.01", &dest],
            ));
            let losses = mtr_losses(&m.stdout);
            let worst = losses
                .iter()
                .skip(2)
                .map(|l| (l - 36.0).abs())
                .fold(0.0, f64::max);
            rows.push(Row {
                section: section.into(),
                label: format!(
                    "mtr -r -c 300 -i 0.01: Loss% per hop {} (no verdict: hop 4's own drops read as loss)",
                    losses
                        .iter()
                        .map(|l| format!("{l:.1}%"))
                        .collect::<Vec<_>>()
                        .join(" ")
                ),
                runs: 1,
                median: worst,
                unit: "pts max error",
                versus: "-".into(),
                max_rss_kib: m.max_rss_kib,
                correct: "-".into(),
            });
        }
    }
}

fn seven_hops() -> Lab {
    Lab::new(
        LabConfig::default()
            .routers(6)
            .link_delay(Duration::from_millis(2)),
    )
    .unwrap_or_else(|e| panic!("lab: {e:?}"))
}

fn wall_time(runs: usize, rows: &mut Vec<Row>) {
    let lab = seven_hops();
    let dest = lab.dest_v4().to_string();
    let (lab_ref, dest_ref) = (&lab, &dest);
    let reached = |s: &Sample| {
        (s.code == Some(0))
            .then_some(())
            .ok_or(format!("exit {:?}: {}", s.code, s.stderr.trim()))
    };
    let mut contenders = vec![Contender::timed(
        "netlab trace -n -c 10 -i 0.2",
        move || netlab_in(lab_ref, &["trace", "-n", "-c", "10", "-i", "0.2", dest_ref]),
        move |s: &Sample| {
            reached(s)?;
            s.stdout
                .contains("in 10 of 10 rounds")
                .then_some(())
                .ok_or(format!("not 10 rounds reached: {}", s.stdout))
        },
    )];
    if tool_present("mtr") {
        contenders.push(Contender::timed(
            "mtr -r -n -c 10 -i 0.2",
            move || {
                tool_in(
                    lab_ref,
                    &["mtr", "-r", "-n", "-c", "10", "-i", "0.2", dest_ref],
                )
            },
            reached,
        ));
    }
    if let Some(trip) = trippy() {
        let trip = trip.clone();
        contenders.push(Contender::timed(
            "trip -m json -C 10 -i 200ms",
            move || {
                tool_in(
                    lab_ref,
                    &[&trip, "-m", "json", "-C", "10", "-i", "200ms", dest_ref],
                )
            },
            reached,
        ));
    }
    compare(
        "10 rounds at 0.2 s, 6 routers × 2 ms (target: ≤ 2.3 s)",
        runs,
        &contenders,
        rows,
    );
}

/// VmRSS of `pid` in KiB.
fn rss_kib(pid: libc::pid_t) -> Option<i64> {
    let status = std::fs::read_to_string(format!("/proc/{pid}/status")).ok()?;
    let line = status.lines().find(|l| l.starts_with("VmRSS:"))?;
    line.split_whitespace().nth(1)?.parse().ok()
}

/// The pid of the process named `comm` whose ancestor is `root`.
fn descendant(root: libc::pid_t, comm: &str) -> Option<libc::pid_t> {
    let deadline = Instant::now() + Duration::from_secs(5);
    while Instant::now() < deadline {
        for entry in std::fs::read_dir("/proc").ok()?.flatten() {
            let Ok(pid) = entry.file_name().to_string_lossy().parse::<libc::pid_t>() else {
                continue;
            };
            let name = std::fs::read_to_string(format!("/proc/{pid}/comm")).unwrap_or_default();
            if name.trim() != comm {
                continue;
            }
            let mut p = pid;
            for _ in 0..8 {
                let stat = std::fs::read_to_string(format!("/proc/{p}/stat")).unwrap_or_default();
                let ppid = stat
                    .rsplit(')')
                    .next()
                    .and_then(|rest| rest.split_whitespace().nth(1))
                    .and_then(|s| s.parse::<libc::pid_t>().ok())
                    .unwrap_or(1);
                if ppid == root {
                    return Some(pid);
                }
                if ppid <= 1 {
                    break;
                }
                p = ppid;
            }
        }
        std::thread::sleep(Duration::from_millis(50));
    }
    None
}

fn cpu_of_a_watch(rows: &mut Vec<Row>, seconds: u64) {
    let lab = seven_hops();
    let dest = lab.dest_v4().to_string();
    let netlab = env!("CARGO_BIN_EXE_netlab").to_string();
    let secs = seconds.to_string();
    let mut tools: Vec<(String, String, &str)> = vec![(
        "netlab trace --watch -n -i 0.2 (on a terminal: one line per round)".into(),
        format!("{netlab} trace --watch -n -i 0.2 {dest}"),
        "netlab",
    )];
    if tool_present("mtr") {
        tools.push((
            "mtr -n -i 0.2 (curses view)".into(),
            format!("mtr -n -i 0.2 {dest}"),
            "mtr",
        ));
    }
    if let Some(trip) = trippy() {
        tools.push((
            "trip -i 200ms (TUI)".into(),
            format!("{trip} -i 200ms {dest}"),
            "trip",
        ));
    }
    for (label, command, comm) in tools {
        let inner = format!("timeout -s INT {secs} {command}");
        let mut cmd = lab.command(Role::Client, "script");
        cmd.args(["-q", "-e", "-c", &inner, "/dev/null"])
            .env("TERM", "xterm-256color")
            .env("NO_COLOR", "1");
        let running = start(&mut cmd);
        let pid = descendant(running.pid, comm);
        let early = pid.and_then(|p| {
            std::thread::sleep(Duration::from_secs(5));
            rss_kib(p)
        });
        let late = pid.and_then(|p| {
            std::thread::sleep(Duration::from_secs(seconds.saturating_sub(7)));
            rss_kib(p)
        });
        let sample = running.finish();
        let cpu = sample.cpu;
        rows.push(Row {
            section: format!("{seconds} s watch at 0.2 s, 6 routers × 2 ms (CPU user+sys)"),
            label: format!(
                "{label}; RSS {} KiB at 5 s, {} KiB at {} s",
                early.map_or("?".into(), |k| k.to_string()),
                late.map_or("?".into(), |k| k.to_string()),
                seconds.saturating_sub(2)
            ),
            runs: 1,
            median: cpu.as_secs_f64() * 1000.0,
            unit: "ms CPU",
            versus: "-".into(),
            max_rss_kib: sample.max_rss_kib,
            correct: if sample.code.is_some() {
                "yes".into()
            } else {
                "killed".into()
            },
        });
    }
}

/// The section: `-- rounds` (CPU watch length from NETLAB_WATCH_SECONDS, default 60).
pub fn section_rounds(runs: usize, rows: &mut Vec<Row>) {
    loss_accuracy(runs, rows);
    wall_time(runs, rows);
    let seconds = std::env::var("NETLAB_WATCH_SECONDS")
        .ok()
        .and_then(|s| s.parse().ok())
        .unwrap_or(60);
    cpu_of_a_watch(rows, seconds);
}
