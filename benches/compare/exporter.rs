//! `netlab exporter` beside `prometheus-smokeping-prober` (Debian), one run, same targets:
//! both run at once in the lab's client namespace, pinging the same 100 addresses on
//! the destination's loopback (one link with a 1 ms one-way delay, so RTTs are about
//! 2 ms) every second. After a settling time the harness reads each one's CPU time and
//! RSS from /proc, lets them run for the measured window, reads again, scrapes both
//! `/metrics`, and stops them with SIGTERM (peak RSS from wait4). RTT agreement: the
//! two response histograms share their buckets (50µs × 2ⁿ), so their distributions
//! are compared bucket by bucket (the largest difference of their CDFs), and by mean.

use std::collections::BTreeMap;
use std::io::{Read, Write};
use std::net::TcpStream;
use std::process::{Command, Stdio};
use std::time::{Duration, Instant};

use super::lab::{Lab, LabConfig, Role};
use super::Row;

pub(super) const TARGETS: usize = 100;
pub(super) const NETLAB_PORT: u16 = 9470;
const SMOKEPING_PORT: u16 = 9374;
pub(super) const SETTLE: Duration = Duration::from_secs(5);
const WINDOW: Duration = Duration::from_secs(60);

pub(super) fn targets() -> Vec<String> {
    (1..=TARGETS).map(|i| format!("198.18.200.{i}")).collect()
}

/// A long-running tool in the client namespace.
pub(super) struct Tool {
    pid: libc::pid_t,
}

impl Tool {
    // Reaped by wait4 in `stop` (for its rusage), which std's Child cannot do.
    #[allow(clippy::zombie_processes)]
    pub(super) fn start(cmd: &mut Command) -> Tool {
        let child = cmd
            .stdin(Stdio::null())
            .stdout(Stdio::null())
            .stderr(Stdio::null())
            .spawn()
            .unwrap_or_else(|e| panic!("spawn {cmd:?}: {e}"));
        Tool {
            pid: child.id() as libc::pid_t,
        }
    }

    /// (user + system CPU seconds, RSS KiB) now, from /proc.
    pub(super) fn usage(&self) -> (f64, i64) {
        let stat = std::fs::read_to_string(format!("/proc/{}/stat", self.pid)).unwrap_or_default();
        // Fields after the command name (which may hold spaces) start after ") ".
        let fields: Vec<&str> = stat
            .rsplit_once(") ")
            .map(|(_, rest)| rest.split_whitespace().collect())
            .unwrap_or_default();
        // SAFETY: sysconf has no preconditions.
        let ticks = unsafe { libc::sysconf(libc::_SC_CLK_TCK) } as f64;
        let cpu = |i: usize| {
            fields
                .get(i)
                .and_then(|v| v.parse::<f64>().ok())
                .unwrap_or(0.0)
        };
        // utime and stime are fields 14 and 15 of stat, 11 and 12 after the name.
        let cpu_s = (cpu(11) + cpu(12)) / ticks;
        let status =
            std::fs::read_to_string(format!("/proc/{}/status", self.pid)).unwrap_or_default();
        let rss = status
            .lines()
            .find_map(|l| l.strip_prefix("VmRSS:"))
            .and_then(|v| v.trim().trim_end_matches(" kB").trim().parse().ok())
            .unwrap_or(0);
        (cpu_s, rss)
    }

    /// SIGTERM, then wait4: (exit code, peak RSS KiB).
    pub(super) fn stop(self) -> (Option<i32>, i64) {
        // SAFETY: signalling and reaping our own child.
        unsafe { libc::kill(self.pid, libc::SIGTERM) };
        let mut status = 0;
        // SAFETY: an all-zero rusage is a valid value for wait4 to fill in.
        let mut usage: libc::rusage = unsafe { std::mem::zeroed() };
        // SAFETY: as above; `status` and `usage` are valid for writes.
        unsafe { libc::wait4(self.pid, &mut status, 0, &mut usage) };
        let code = libc::WIFEXITED(status).then(|| libc::WEXITSTATUS(status));
        (code, usage.ru_maxrss)
    }
}

pub(super) fn get(lab: &Lab, port: u16, path: &str) -> Option<String> {
    let path = path.to_string();
    lab.in_ns(Role::Client, move || {
        let mut s = TcpStream::connect(("127.0.0.1", port)).ok()?;
        s.set_read_timeout(Some(Duration::from_secs(10))).ok()?;
        s.write_all(format!("GET {path} HTTP/1.0\r\nHost: x\r\n\r\n").as_bytes())
            .ok()?;
        let mut raw = String::new();
        s.read_to_string(&mut raw).ok()?;
        raw.split_once("\r\n\r\n").map(|(_, body)| body.to_string())
    })
}

pub(super) fn wait_ready(lab: &Lab, port: u16, what: &str) {
    let deadline = Instant::now() + Duration::from_secs(120);
    while get(lab, port, "/metrics").is_none() {
        assert!(Instant::now() < deadline, "{what} never served /metrics");
        std::thread::sleep(Duration::from_millis(100));
    }
}

/// One family's histogram summed over every target: le → cumulative count, and the
/// sum, count and requests.
#[derive(Debug, Default)]
struct Histogram {
    buckets: BTreeMap<String, f64>,
    sum: f64,
    count: f64,
    requests: f64,
    series: usize,
}

fn label<'a>(line: &'a str, key: &str) -> Option<&'a str> {
    let start = line.find(&format!("{key}=\""))? + key.len() + 2;
    let end = line[start..].find('"')? + start;
    Some(&line[start..end])
}

fn histogram(text: &str, prefix: &str) -> Histogram {
    let mut h = Histogram::default();
    let value = |l: &str| {
        l.rsplit(' ')
            .next()
            .and_then(|v| v.parse::<f64>().ok())
            .unwrap_or(0.0)
    };
    for line in text.lines().filter(|l| !l.starts_with('#')) {
        if line.contains("host=\"198.18.200.") {
            h.series += 1;
        }
        if line.starts_with(&format!("{prefix}_response_duration_seconds_bucket")) {
            let le = label(line, "le").unwrap_or("").to_string();
            // Both write le the Go way or the Rust way (5e-05 vs 0.00005): normalise.
            let le = le.parse::<f64>().map(|v| format!("{v:e}")).unwrap_or(le);
            *h.buckets.entry(le).or_default() += value(line);
        } else if line.starts_with(&format!("{prefix}_response_duration_seconds_sum")) {
            h.sum += value(line);
        } else if line.starts_with(&format!("{prefix}_response_duration_seconds_count")) {
            h.count += value(line);
        } else if line.starts_with(&format!("{prefix}_requests_total")) {
            h.requests += value(line);
        }
    }
    h
}

/// The largest difference between the two CDFs over their shared buckets.
fn cdf_distance(a: &Histogram, b: &Histogram) -> f64 {
    a.buckets
        .iter()
        .filter_map(|(le, n)| {
            let m = b.buckets.get(le)?;
            Some((n / a.count.max(1.0) - m / b.count.max(1.0)).abs())
        })
        .fold(0.0, f64::max)
}

/// The le of the bucket where half the replies are.
fn median_bucket(h: &Histogram) -> String {
    let mut les: Vec<(f64, f64)> = h
        .buckets
        .iter()
        .filter_map(|(le, n)| Some((le.parse::<f64>().ok()?, *n)))
        .collect();
    les.sort_by(|x, y| x.0.total_cmp(&y.0));
    les.iter()
        .find(|(_, n)| *n >= h.count / 2.0)
        .map(|(le, _)| format!("≤{:.1} ms", le * 1e3))
        .unwrap_or_else(|| "-".into())
}

/// The lab of this section: one link with a 1 ms one-way delay, and [`TARGETS`]
/// addresses (198.18.200.1...) on the destination's loopback.
pub(super) fn lab_with_targets() -> Lab {
    let lab = Lab::new(
        LabConfig::default()
            .routers(0)
            .link_delay(Duration::from_millis(1)),
    )
    .unwrap_or_else(|e| panic!("lab: {e:?}"));
    let out = lab.exec(
        Role::Dest,
        &[
            "sh",
            "-c",
            &format!("for i in $(seq 1 {TARGETS}); do ip addr add 198.18.200.$i/32 dev lo; done"),
        ],
    );
    assert!(out.status.success(), "adding addresses: {out:?}");
    lab
}

pub fn section(runs: usize, rows: &mut Vec<Row>) {
    let lab = lab_with_targets();
    let targets = targets();
    let label = format!("{TARGETS} targets × 1 s, {}s window", WINDOW.as_secs());
    for _ in 0..runs.clamp(1, 3) {
        let mut netlab = lab.command(Role::Client, env!("CARGO_BIN_EXE_netlab"));
        netlab
            .args(["exporter", "--listen", &format!("127.0.0.1:{NETLAB_PORT}")])
            .args(&targets);
        let mut smokeping = lab.command(Role::Client, "prometheus-smokeping-prober");
        smokeping
            .args([
                "--config.file=/nonexistent/smokeping_prober.yml",
                &format!("--web.listen-address=127.0.0.1:{SMOKEPING_PORT}"),
                "--privileged",
                "--ping.interval=1s",
            ])
            .args(&targets);
        let tools = [
            (
                "netlab exporter (raw ICMP, as root)",
                Tool::start(&mut netlab),
                NETLAB_PORT,
                "netlab_ping",
            ),
            (
                "prometheus-smokeping-prober 0.6.1 --privileged",
                Tool::start(&mut smokeping),
                SMOKEPING_PORT,
                "smokeping",
            ),
        ];
        for (what, _, port, _) in &tools {
            wait_ready(&lab, *port, what);
        }
        std::thread::sleep(SETTLE);
        let before: Vec<(f64, i64)> = tools.iter().map(|t| t.1.usage()).collect();
        std::thread::sleep(WINDOW);
        let after: Vec<(f64, i64)> = tools.iter().map(|t| t.1.usage()).collect();
        let texts: Vec<String> = tools
            .iter()
            .map(|(_, _, port, _)| get(&lab, *port, "/metrics").unwrap_or_default())
            .collect();
        let histograms: Vec<Histogram> = tools
            .iter()
            .zip(&texts)
            .map(|((_, _, _, prefix), text)| histogram(text, prefix))
            .collect();
        let distance = cdf_distance(&histograms[0], &histograms[1]);
        for (i, (what, tool, _, _)) in tools.into_iter().enumerate() {
            let (code, peak) = tool.stop();
            let cpu = after[i].0 - before[i].0;
            let h = &histograms[i];
            let mean = h.sum / h.count.max(1.0) * 1e3;
            let loss = 1.0 - h.count / h.requests.max(1.0);
            let mut correct = format!(
                "exit {code:?}; {:.0}/{:.0} replied ({:.2}% lost); mean {mean:.3} ms, median {}; RSS {} → {} KiB over the window; {} series, {} bytes",
                h.count,
                h.requests,
                loss * 100.0,
                median_bucket(h),
                before[i].1,
                after[i].1,
                h.series,
                texts[i].len(),
            );
            if i == 1 {
                correct.push_str(&format!(
                    "; histogram vs netlab: max CDF difference {distance:.3}, mean {:+.3} ms",
                    mean - histograms[0].sum / histograms[0].count.max(1.0) * 1e3
                ));
            }
            rows.push(Row {
                section: format!("exporter, {label}"),
                label: what.to_string(),
                runs: 1,
                median: cpu * 1e3 / WINDOW.as_secs_f64(),
                unit: "ms CPU/s",
                versus: if i == 0 {
                    "1.00×".into()
                } else {
                    let netlab = rows[rows.len() - 1].median;
                    format!("{:.2}×", cpu * 1e3 / WINDOW.as_secs_f64() / netlab)
                },
                max_rss_kib: peak,
                correct,
            });
        }
    }
}
