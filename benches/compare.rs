//! netlab beside the reference tools, on the same namespace-lab path in the same run.
//!
//! Run as root: `cargo bench --bench compare` (optionally `-- scan resolve ...` to pick
//! sections, `-- --runs N`). It builds the test lab (tests/it/lab), installs the
//! reference tools from Debian's packages when they are missing, alternates the runs of
//! each tool, and prints medians, ratios and peak memory side by side. Figures belong in
//! BENCHMARKS.md; no test asserts on time (machines are noisy, ratios in one run are not).
//!
//! Linux only, like the lab it runs in: on other systems (type-checked from Linux, issue
//! 18) the bench is an empty crate without a `main`, which type-checks but does not link.
#![cfg_attr(not(target_os = "linux"), no_main)]
#![cfg(target_os = "linux")]

#[path = "../tests/it/lab/mod.rs"]
#[allow(unused_imports, unused_macros)]
mod lab;
#[path = "compare/live.rs"]
mod live;
#[path = "compare/rounds.rs"]
mod rounds;

// `netlab exporter` beside prometheus-smokeping-prober (its own file: a story of its own).
#[path = "compare/exporter.rs"]
mod exporter;
// The exporter under wrk's load, and /probe?module=http beside blackbox_exporter.
#[path = "compare/exporter_load.rs"]
mod exporter_load;
// connect https:// beside curl and its -w phases (issue 19).
#[path = "compare/web.rs"]
mod web;
// What a one-shot command pays before it starts, beside getent and iputils ping (issue 17).
#[path = "compare/startup.rs"]
mod startup;
// SYN scans, /24 sweeps and a 65,536-address scan's memory (issue 22).
#[path = "compare/syn.rs"]
mod syn;
// netlab.exe under Wine beside Linux netlab: trace -I and ping RTT (issue 18).
#[path = "compare/windows.rs"]
mod windows;

use std::collections::BTreeSet;
use std::os::unix::process::ExitStatusExt;
use std::process::{Command, Stdio};
use std::time::{Duration, Instant};

use comfy_table::Table;
use lab::{Lab, LabConfig, Role};

/// One timed run of one command.
#[derive(Debug)]
struct Sample {
    wall: Duration,
    max_rss_kib: i64,
    code: Option<i32>,
    stdout: String,
    stderr: String,
    /// User + system CPU time (the tool and the children it waited for).
    cpu: Duration,
}

/// A tool started by [`start`], drained on threads so a chatty tool never blocks.
struct Running {
    started: Instant,
    pid: libc::pid_t,
    stdout: std::thread::JoinHandle<String>,
    stderr: std::thread::JoinHandle<String>,
}

fn drain(mut pipe: impl std::io::Read + Send + 'static) -> std::thread::JoinHandle<String> {
    std::thread::spawn(move || {
        let mut text = String::new();
        pipe.read_to_string(&mut text).ok();
        text
    })
}

// The child is reaped by wait4 in `Running::finish`, which std's Child cannot do (it has no
// rusage); clippy only sees that `Child::wait` is never called.
#[allow(clippy::zombie_processes)]
fn start(cmd: &mut Command) -> Running {
    let started = Instant::now();
    let mut child = cmd
        .stdin(Stdio::null())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap_or_else(|e| panic!("spawn {cmd:?}: {e}"));
    Running {
        started,
        pid: child.id() as libc::pid_t,
        stdout: drain(child.stdout.take().expect("stdout")),
        stderr: drain(child.stderr.take().expect("stderr")),
    }
}

impl Running {
    /// Waits for the tool to end, reading its peak RSS from wait4's rusage (`ip netns
    /// exec` execs the tool in place, so the pid is the tool's).
    fn finish(self) -> Sample {
        let mut status = 0;
        // SAFETY: an all-zero rusage is a valid value for wait4 to fill in.
        let mut usage: libc::rusage = unsafe { std::mem::zeroed() };
        // SAFETY: waiting on our own child; `status` and `usage` are valid for writes.
        let waited = unsafe { libc::wait4(self.pid, &mut status, 0, &mut usage) };
        assert_eq!(waited, self.pid, "wait4");
        let wall = self.started.elapsed();
        Sample {
            wall,
            max_rss_kib: usage.ru_maxrss,
            code: std::process::ExitStatus::from_raw(status).code(),
            stdout: self.stdout.join().unwrap_or_default(),
            stderr: self.stderr.join().unwrap_or_default(),
            cpu: timeval(usage.ru_utime) + timeval(usage.ru_stime),
        }
    }
}

fn timeval(t: libc::timeval) -> Duration {
    Duration::from_secs(t.tv_sec as u64) + Duration::from_micros(t.tv_usec as u64)
}

/// Runs `cmd` to completion: wall time, peak RSS, exit status and output.
fn measure(cmd: &mut Command) -> Sample {
    start(cmd).finish()
}

fn median(mut values: Vec<f64>) -> f64 {
    values.sort_by(|a, b| a.total_cmp(b));
    let n = values.len();
    if n == 0 {
        return f64::NAN;
    }
    if n % 2 == 1 {
        values[n / 2]
    } else {
        (values[n / 2 - 1] + values[n / 2]) / 2.0
    }
}

/// Judges one run's output: Err(why) when it is wrong (wrong hops, missing ports...).
type Check<'a> = Box<dyn Fn(&Sample) -> Result<(), String> + 'a>;
/// Reads the figure a contender is judged by from one run (e.g. the run's median RTT);
/// contenders without one are judged by wall time.
type Metric<'a> = Box<dyn Fn(&Sample) -> Option<f64> + 'a>;
/// A benchmark section: builds its lab, runs its comparisons, appends rows.
type Section = fn(usize, &mut Vec<Row>);

/// A contender in one comparison: how to run it and how to tell a correct result.
struct Contender<'a> {
    label: String,
    command: Box<dyn Fn() -> Command + 'a>,
    check: Check<'a>,
    metric: Option<Metric<'a>>,
}

impl<'a> Contender<'a> {
    /// A contender judged by wall time.
    fn timed(
        label: &str,
        command: impl Fn() -> Command + 'a,
        check: impl Fn(&Sample) -> Result<(), String> + 'a,
    ) -> Contender<'a> {
        Contender {
            label: label.to_string(),
            command: Box::new(command),
            check: Box::new(check),
            metric: None,
        }
    }

    /// A contender judged by a figure read from its output.
    fn measured(
        label: &str,
        command: impl Fn() -> Command + 'a,
        metric: impl Fn(&Sample) -> Option<f64> + 'a,
    ) -> Contender<'a> {
        Contender {
            label: label.to_string(),
            command: Box::new(command),
            check: Box::new(|_| Ok(())),
            metric: Some(Box::new(metric)),
        }
    }
}

struct Row {
    section: String,
    label: String,
    runs: usize,
    /// The median over runs of the figure (wall ms, or the contender's metric).
    median: f64,
    unit: &'static str,
    /// "1.00×" for times, "+0.004 ms" for RTT figures, relative to the first contender.
    versus: String,
    max_rss_kib: i64,
    correct: String,
}

/// Alternates the contenders `runs` times (A B C A B C ...) and reports medians; the first
/// contender is netlab and the ratio is each tool's median over netlab's.
fn compare(section: &str, runs: usize, contenders: &[Contender<'_>], rows: &mut Vec<Row>) {
    let samples = alternate(runs, contenders);
    report(section, contenders, &samples, rows);
}

/// Runs the contenders `runs` times, alternated (A B C A B C ...): each one's samples.
fn alternate(runs: usize, contenders: &[Contender<'_>]) -> Vec<Vec<Sample>> {
    let mut samples: Vec<Vec<Sample>> = contenders.iter().map(|_| Vec::new()).collect();
    for _ in 0..runs {
        for (i, contender) in contenders.iter().enumerate() {
            samples[i].push(measure(&mut (contender.command)()));
        }
    }
    samples
}

/// One row per contender from samples already taken (`samples[i]` are contender i's runs),
/// so several figures can be read from the same runs (web.rs: every phase of one request).
fn report(
    section: &str,
    contenders: &[Contender<'_>],
    samples: &[Vec<Sample>],
    rows: &mut Vec<Row>,
) {
    let runs = samples.first().map_or(0, Vec::len);
    let figure = |contender: &Contender<'_>, sample: &Sample| match &contender.metric {
        None => Some(sample.wall.as_secs_f64() * 1000.0),
        Some(metric) => metric(sample),
    };
    let medians: Vec<f64> = samples
        .iter()
        .zip(contenders)
        .map(|(runs, c)| median(runs.iter().filter_map(|s| figure(c, s)).collect()))
        .collect();
    for (i, contender) in contenders.iter().enumerate() {
        let failures: Vec<String> = samples[i]
            .iter()
            .filter_map(|s| match s.code {
                None => Some("killed by a signal".to_string()),
                Some(_) if figure(contender, s).is_none() => {
                    Some(format!("no figure in the output: {}", s.stderr.trim()))
                }
                Some(_) => (contender.check)(s).err(),
            })
            .collect();
        let correct = if failures.is_empty() {
            "yes".to_string()
        } else {
            format!("NO ({}/{runs}): {}", failures.len(), failures[0])
        };
        let (unit, versus) = match contender.metric {
            None => ("ms wall", format!("{:.2}×", medians[i] / medians[0])),
            Some(_) => ("ms", format!("{:+.3} ms", medians[i] - medians[0])),
        };
        rows.push(Row {
            section: section.to_string(),
            label: contender.label.clone(),
            runs,
            median: medians[i],
            unit,
            versus,
            max_rss_kib: samples[i].iter().map(|s| s.max_rss_kib).max().unwrap_or(0),
            correct,
        });
    }
}

fn tool_present(tool: &str) -> bool {
    Command::new("sh")
        .args(["-c", &format!("command -v {tool}")])
        .output()
        .map(|o| o.status.success())
        .unwrap_or(false)
}

/// Installs the reference tools from Debian's packages when missing.
fn install_reference_tools() {
    let wanted = [
        ("ping", "iputils-ping"),
        ("traceroute", "traceroute"),
        ("tracepath", "iputils-tracepath"),
        ("mtr", "mtr-tiny"),
        ("fping", "fping"),
        ("nmap", "nmap"),
        ("dig", "dnsutils"),
        ("prometheus-smokeping-prober", "prometheus-smokeping-prober"),
        ("hyperfine", "hyperfine"),
        ("wrk", "wrk"),
        ("tcpdump", "tcpdump"),
        (
            "prometheus-blackbox-exporter",
            "prometheus-blackbox-exporter",
        ),
    ];
    let missing: Vec<&str> = wanted
        .iter()
        .filter(|(tool, _)| !tool_present(tool))
        .map(|(_, pkg)| *pkg)
        .collect();
    if missing.is_empty() {
        return;
    }
    eprintln!("installing reference tools: {}", missing.join(" "));
    let apt = |args: &[&str]| {
        Command::new("apt-get")
            .args(args)
            .env("DEBIAN_FRONTEND", "noninteractive")
            .status()
            .map(|s| s.success())
            .unwrap_or(false)
    };
    let mut install = vec!["install", "-y", "-qq", "--no-install-recommends"];
    install.extend(&missing);
    let installed = apt(&install) || (apt(&["update", "-qq"]) && apt(&install));
    if !installed {
        eprintln!("warning: could not install {}", missing.join(" "));
    }
}

fn netlab_in(lab: &Lab, args: &[&str]) -> Command {
    let mut cmd = lab.command(Role::Client, env!("CARGO_BIN_EXE_netlab"));
    cmd.args(args).env("NO_COLOR", "1");
    cmd
}

fn tool_in(lab: &Lab, argv: &[&str]) -> Command {
    let mut cmd = lab.command(Role::Client, argv[0]);
    cmd.args(&argv[1..]);
    cmd
}

/// Open ports as nmap's grepable output lists them (`Ports: 7/open/tcp//echo///, ...`).
fn nmap_open_ports(text: &str) -> BTreeSet<u16> {
    text.lines()
        .filter_map(|line| line.split_once("Ports: ").map(|(_, ports)| ports))
        .flat_map(|ports| ports.split(", "))
        .filter_map(|entry| {
            let mut fields = entry.split('/');
            let port = fields.next()?.trim().parse().ok()?;
            (fields.next()? == "open").then_some(port)
        })
        .collect()
}

/// Open ports from RustScan's greppable output (`198.18.2.2 -> [7,80,9999]`).
fn rustscan_open_ports(text: &str) -> BTreeSet<u16> {
    text.lines()
        .filter_map(|line| line.split_once("-> [")?.1.strip_suffix(']'))
        .flat_map(|ports| ports.split(','))
        .filter_map(|port| port.trim().parse().ok())
        .collect()
}

/// Open ports from `netlab connect --json`.
fn netlab_open_ports(text: &str) -> Result<BTreeSet<u16>, String> {
    let doc: serde_json::Value = serde_json::from_str(text).map_err(|e| format!("json: {e}"))?;
    let scans = doc["scans"]
        .as_array()
        .ok_or_else(|| "no `scans` array".to_string())?;
    Ok(scans
        .iter()
        .flat_map(|s| s["open"].as_array().cloned().unwrap_or_default())
        .filter_map(|p| p.as_u64().map(|p| p as u16))
        .collect())
}

fn section_scan(runs: usize, rows: &mut Vec<Row>) {
    let lab = Lab::new(LabConfig::default()).unwrap_or_else(|e| panic!("lab: {e:?}"));
    let dest = lab.dest_v4().to_string();
    let expected: BTreeSet<u16> = [lab::ECHO_PORT, lab::HTTP_PORT, lab::WELCOME_PORT]
        .into_iter()
        .collect();
    let dest_ref = &dest;
    let lab_ref = &lab;
    let expected_ref = &expected;
    let mut contenders = vec![Contender {
        label: "netlab connect -p- (full TCP scan)".into(),
        command: Box::new(move || netlab_in(lab_ref, &["connect", "--json", "-p-", dest_ref])),
        check: Box::new(move |s| {
            let open = netlab_open_ports(&s.stdout)?;
            (open == *expected_ref)
                .then_some(())
                .ok_or(format!("open {open:?}, expected {expected_ref:?}"))
        }),
        metric: None,
    }];
    if tool_present("nmap") {
        contenders.push(Contender {
            label: "nmap -sT -p- -n".into(),
            command: Box::new(move || {
                tool_in(lab_ref, &["nmap", "-sT", "-p-", "-n", "-oG", "-", dest_ref])
            }),
            check: Box::new(move |s| {
                let open = nmap_open_ports(&s.stdout);
                (open == *expected_ref)
                    .then_some(())
                    .ok_or(format!("open {open:?}, expected {expected_ref:?}"))
            }),
            metric: None,
        });
    }
    if tool_present("rustscan") {
        // Optional: `cargo install rustscan`. Greppable mode (-g) prints the open ports and
        // skips its nmap hand-off, so only the scan itself is timed.
        contenders.push(Contender::timed(
            "rustscan -g -r 1-65535 (defaults)",
            move || {
                tool_in(
                    lab_ref,
                    &["rustscan", "-g", "-a", dest_ref, "-r", "1-65535"],
                )
            },
            move |s: &Sample| {
                let open = rustscan_open_ports(&s.stdout);
                (open == *expected_ref)
                    .then_some(())
                    .ok_or(format!("open {open:?}, expected {expected_ref:?}"))
            },
        ));
    }
    compare("full TCP scan, 2 routers, veth", runs, &contenders, rows);
}

fn section_resolve(runs: usize, rows: &mut Vec<Row>) {
    let lab = Lab::new(LabConfig::default()).unwrap_or_else(|e| panic!("lab: {e:?}"));
    let dest = lab.dest_v4().to_string();
    let dest_ref = &dest;
    let lab_ref = &lab;
    let has_dest = move |s: &Sample| {
        s.stdout
            .contains(dest_ref.as_str())
            .then_some(())
            .ok_or(format!(
                "{dest_ref} missing from output: {}",
                s.stderr.trim()
            ))
    };
    let mut contenders = vec![Contender {
        label: "netlab resolve www.netlab.test".into(),
        command: Box::new(move || netlab_in(lab_ref, &["resolve", "www.netlab.test"])),
        check: Box::new(has_dest),
        metric: None,
    }];
    if tool_present("dig") {
        contenders.push(Contender {
            label: "dig +short www.netlab.test".into(),
            command: Box::new(move || tool_in(lab_ref, &["dig", "+short", "www.netlab.test"])),
            check: Box::new(has_dest),
            metric: None,
        });
    }
    contenders.push(Contender {
        label: "getent ahosts www.netlab.test".into(),
        command: Box::new(move || tool_in(lab_ref, &["getent", "ahosts", "www.netlab.test"])),
        check: Box::new(has_dest),
        metric: None,
    });
    compare("resolve (A+AAAA), lab DNS", runs, &contenders, rows);
}

/// Hop number → first address (or `*` for a silent hop) from any traceroute-like output:
/// netlab's rows, `traceroute -n`, `tracepath -n` and `mtr -r -n` all start a hop's line
/// with its number and name its first responder a token later.
fn trace_hops(text: &str) -> std::collections::BTreeMap<u32, String> {
    let mut hops = std::collections::BTreeMap::new();
    for line in text.lines() {
        let mut tokens = line.split_whitespace();
        let Some(first) = tokens.next() else { continue };
        if first.contains('?') {
            continue; // tracepath's "1?: [LOCALHOST] pmtu ..."
        }
        let digits: String = first.chars().take_while(|c| c.is_ascii_digit()).collect();
        let Ok(hop) = digits.parse::<u32>() else {
            continue;
        };
        let rest = &first[digits.len()..];
        if !(rest.is_empty() || rest == ":" || rest.starts_with('.')) {
            continue;
        }
        let Some(addr) = tokens.next() else { continue };
        let shown = if addr.parse::<std::net::IpAddr>().is_ok() {
            addr.to_string()
        } else if addr == "*" || addr == "???" || addr == "no" {
            "*".to_string()
        } else {
            continue;
        };
        hops.entry(hop).or_insert(shown);
    }
    hops
}

fn section_trace(runs: usize, rows: &mut Vec<Row>) {
    let lab = Lab::new(
        LabConfig::default()
            .routers(6)
            .link_delay(Duration::from_millis(5))
            .silent_router(3),
    )
    .unwrap_or_else(|e| panic!("lab: {e:?}"));
    let dest = lab.dest_v4().to_string();
    let mut expected = std::collections::BTreeMap::new();
    for i in 1..=6 {
        let hop = if i == 3 {
            "*".to_string()
        } else {
            lab.hop_v4(i).to_string()
        };
        expected.insert(i as u32, hop);
    }
    expected.insert(7, dest.clone());
    let (dest_ref, lab_ref, expected_ref) = (&dest, &lab, &expected);
    let check = move |s: &Sample| {
        let hops = trace_hops(&s.stdout);
        (hops == *expected_ref)
            .then_some(())
            .ok_or(format!("hops {hops:?}, expected {expected_ref:?}"))
    };
    let mut contenders = vec![Contender {
        label: "netlab trace (defaults: UDP, names)".into(),
        command: Box::new(move || netlab_in(lab_ref, &["trace", dest_ref])),
        check: Box::new(check),
        metric: None,
    }];
    contenders.push(Contender {
        label: "netlab trace -n".into(),
        command: Box::new(move || netlab_in(lab_ref, &["trace", "-n", dest_ref])),
        check: Box::new(check),
        metric: None,
    });
    if tool_present("traceroute") {
        contenders.push(Contender {
            label: "traceroute -n".into(),
            command: Box::new(move || tool_in(lab_ref, &["traceroute", "-n", dest_ref])),
            check: Box::new(check),
            metric: None,
        });
    }
    if tool_present("tracepath") {
        contenders.push(Contender {
            label: "tracepath -n".into(),
            command: Box::new(move || tool_in(lab_ref, &["tracepath", "-n", dest_ref])),
            check: Box::new(check),
            metric: None,
        });
    }
    if tool_present("mtr") {
        contenders.push(Contender {
            label: "mtr -r -n -c 3".into(),
            command: Box::new(move || tool_in(lab_ref, &["mtr", "-r", "-n", "-c", "3", dest_ref])),
            check: Box::new(check),
            metric: None,
        });
    }
    compare(
        "trace, 6 routers × 5 ms, router 3 silent",
        runs,
        &contenders,
        rows,
    );
}

/// The median RTT of one `netlab ping --json` run.
fn netlab_median_rtt(s: &Sample) -> Option<f64> {
    let doc: serde_json::Value = serde_json::from_str(&s.stdout).ok()?;
    let rtts: Vec<f64> = doc["replies"]
        .as_array()?
        .iter()
        .filter(|r| r["duplicate"] == false && r["late"] == false)
        .filter_map(|r| r["rtt_ms"].as_f64())
        .collect();
    (!rtts.is_empty()).then(|| median(rtts))
}

/// The median RTT of one iputils `ping` run (`... time=0.056 ms`).
fn iputils_median_rtt(s: &Sample) -> Option<f64> {
    let rtts: Vec<f64> = s
        .stdout
        .lines()
        .filter_map(|line| line.split_once("time=")?.1.split_whitespace().next())
        .filter_map(|t| t.parse().ok())
        .collect();
    (!rtts.is_empty()).then(|| median(rtts))
}

/// netlab's ping and iputils' on the same path with the same `probes` flags, each run
/// read as the median of its per-reply RTTs (the RTT rows of the ping and live sections).
fn rtt_contenders<'a>(lab: &'a Lab, dest: &'a str, probes: [&'a str; 4]) -> Vec<Contender<'a>> {
    let shown = probes.join(" ");
    vec![
        Contender::measured(
            &format!("netlab ping {shown} (median RTT)"),
            move || {
                let mut args = vec!["ping", "--json", "-n"];
                args.extend(probes);
                args.push(dest);
                netlab_in(lab, &args)
            },
            netlab_median_rtt,
        ),
        Contender::measured(
            &format!("iputils ping {shown} (median RTT)"),
            move || {
                let mut argv = vec!["ping", "-n"];
                argv.extend(probes);
                argv.push(dest);
                tool_in(lab, &argv)
            },
            iputils_median_rtt,
        ),
    ]
}

/// RTT as each tool reports it, on one veth path (client → r1 → dest, no delay): the
/// median of each run's per-reply median, alternating the tools run by run.
fn section_ping_rtt(runs: usize, rows: &mut Vec<Row>) {
    let lab = Lab::new(LabConfig::default()).unwrap_or_else(|e| panic!("lab: {e:?}"));
    let dest = lab.dest_v4().to_string();
    let contenders = rtt_contenders(&lab, &dest, ["-c", "200", "-i", "0.01"]);
    compare("ping RTT, 2 routers, veth", runs, &contenders, rows);
}

/// One probe to every address in a lab of 6 routers (both sides of each router, the
/// destination and the DNS address): netlab's fping-style sweep against fping's.
fn section_sweep(runs: usize, rows: &mut Vec<Row>) {
    let lab = Lab::new(LabConfig::default().routers(6)).unwrap_or_else(|e| panic!("lab: {e:?}"));
    let mut hosts: Vec<String> = (1..=6)
        .flat_map(|i| [lab.router_v4(i), lab.router_east_v4(i)])
        .map(|a| a.to_string())
        .collect();
    hosts.push(lab.dest_v4().to_string());
    hosts.push(lab.dns_v4().to_string());
    let (hosts_ref, lab_ref) = (&hosts, &lab);
    let all_alive = move |s: &Sample| {
        (s.code == Some(0))
            .then_some(())
            .ok_or(format!("exit {:?}: {}", s.code, s.stderr.trim()))
    };
    let mut contenders = vec![Contender::timed(
        &format!("netlab ping -c 1 -n <{} hosts>", hosts.len()),
        move || {
            let mut args = vec!["ping", "-c", "1", "-n"];
            args.extend(hosts_ref.iter().map(String::as_str));
            netlab_in(lab_ref, &args)
        },
        all_alive,
    )];
    if tool_present("fping") {
        contenders.push(Contender::timed(
            &format!("fping <{} hosts> (defaults)", hosts.len()),
            move || {
                let mut argv = vec!["fping"];
                argv.extend(hosts_ref.iter().map(String::as_str));
                tool_in(lab_ref, &argv)
            },
            all_alive,
        ));
    }
    compare("one-probe sweep, 6 routers", runs, &contenders, rows);
}

/// Peak memory of the commands no reference tool is compared with: `check` on a
/// consistent target, and `serve` answering 50 concurrent echo clients.
fn section_memory(runs: usize, rows: &mut Vec<Row>) {
    let lab = Lab::new(LabConfig::default()).unwrap_or_else(|e| panic!("lab: {e:?}"));
    let lab_ref = &lab;
    let contenders = vec![Contender::timed(
        "netlab check -4 www.netlab.test",
        move || netlab_in(lab_ref, &["check", "-4", "www.netlab.test"]),
        |s: &Sample| {
            (s.code == Some(0))
                .then_some(())
                .ok_or(format!("exit {:?}: {}", s.code, s.stdout))
        },
    )];
    compare(
        "check (resolve+connect+ping+trace)",
        runs,
        &contenders,
        rows,
    );

    let dest = lab.dest_v4().to_string();
    let clients = 50;
    let mut samples = Vec::new();
    for _ in 0..runs {
        let mut serve = lab.command(Role::Dest, env!("CARGO_BIN_EXE_netlab"));
        serve.args(["serve", "--json", "7100"]).env("NO_COLOR", "1");
        let server = start(&mut serve);
        // Ready when a connect succeeds (bounded: 5 s).
        let target = format!("{dest}:7100");
        let ready = (0..100).any(|_| {
            let ok =
                measure(&mut netlab_in(&lab, &["connect", "-w", "50ms", &target])).code == Some(0);
            if !ok {
                std::thread::sleep(Duration::from_millis(50));
            }
            ok
        });
        assert!(ready, "serve did not start listening");
        let running: Vec<Running> = (0..clients)
            .map(|i| {
                let text = format!("client {i}");
                start(&mut netlab_in(
                    &lab,
                    &["connect", "--send", &text, "--expect", &text, &target],
                ))
            })
            .collect();
        let answered = running
            .into_iter()
            .map(Running::finish)
            .filter(|s| s.code == Some(0))
            .count();
        // SAFETY: signalling our own child.
        unsafe { libc::kill(server.pid, libc::SIGINT) };
        let sample = server.finish();
        samples.push((sample, answered));
    }
    let failures: Vec<String> = samples
        .iter()
        .filter(|(s, answered)| s.code != Some(0) || *answered != clients)
        .map(|(s, answered)| format!("exit {:?}, {answered}/{clients} echoed", s.code))
        .collect();
    rows.push(Row {
        section: format!("serve --echo, {clients} concurrent clients"),
        label: "netlab serve (until SIGINT)".into(),
        runs,
        median: median(
            samples
                .iter()
                .map(|(s, _)| s.wall.as_secs_f64() * 1000.0)
                .collect(),
        ),
        unit: "ms wall",
        versus: "-".into(),
        max_rss_kib: samples
            .iter()
            .map(|(s, _)| s.max_rss_kib)
            .max()
            .unwrap_or(0),
        correct: if failures.is_empty() {
            "yes".into()
        } else {
            format!("NO: {}", failures[0])
        },
    });
}

fn main() {
    let args: Vec<String> = std::env::args().skip(1).collect();
    // cargo bench passes `--bench`; ignore flags we don't know.
    let mut runs = 5;
    let mut sections: Vec<String> = Vec::new();
    let mut iter = args.iter();
    while let Some(arg) = iter.next() {
        match arg.as_str() {
            "--runs" => runs = iter.next().and_then(|n| n.parse().ok()).unwrap_or(runs),
            // The live sections' length, read there (live.rs).
            "--watch-seconds" => {
                iter.next();
            }
            flag if flag.starts_with('-') => {}
            section => sections.push(section.to_string()),
        }
    }
    // SAFETY: geteuid has no preconditions.
    if unsafe { libc::geteuid() } != 0 {
        eprintln!("the benchmark builds network namespaces: run it as root");
        std::process::exit(2);
    }
    install_reference_tools();
    let all: [(&str, Section); 16] = [
        ("startup", startup::section),
        ("ping", section_ping_rtt),
        ("sweep", section_sweep),
        ("scan", section_scan),
        ("resolve", section_resolve),
        ("trace", section_trace),
        ("memory", section_memory),
        ("rounds", rounds::section_rounds),
        ("exporter", exporter::section),
        ("exporter-load", exporter_load::section_load),
        ("exporter-http", exporter_load::section_http),
        ("live", live::section_live),
        ("ping-live", live::section_ping_live),
        ("syn", syn::section_syn),
        ("web", web::section),
        ("windows", windows::section),
    ];
    let mut rows = Vec::new();
    for (name, run) in all {
        if sections.is_empty() || sections.iter().any(|s| s == name) {
            eprintln!("bench: {name} ({runs} runs each, alternating)");
            run(runs, &mut rows);
        }
    }
    let mut table = Table::new();
    table.load_style(comfy_table::presets::ASCII_MARKDOWN);
    table.set_header(vec![
        "comparison",
        "tool",
        "runs",
        "median",
        "vs netlab",
        "max RSS KiB",
        "correct",
    ]);
    for row in rows {
        table.add_row(vec![
            row.section,
            row.label,
            row.runs.to_string(),
            if matches!(row.unit, "ms" | "ms CPU") {
                format!("{:.3} {}", row.median, row.unit)
            } else {
                format!("{:.1} {}", row.median, row.unit)
            },
            row.versus,
            row.max_rss_kib.to_string(),
            row.correct,
        ]);
    }
    println!("{table}");
    let kernel = std::fs::read_to_string("/proc/sys/kernel/osrelease").unwrap_or_default();
    println!(
        "\nmachine: {} cores, kernel {}",
        std::thread::available_parallelism()
            .map(|n| n.get())
            .unwrap_or(0),
        kernel.trim()
    );
}
