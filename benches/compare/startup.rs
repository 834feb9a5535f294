//! What a one-shot command pays before it starts (issue 17): `netlab --version`, `netlab
//! resolve localhost` beside `getent ahosts localhost` (a hosts-file name: no packet
//! leaves the process), and `netlab ping -c1 127.0.0.1` beside iputils' `ping -c1`. All
//! on loopback in the harness's own namespace, so no lab is built.
//!
//! Each pair is timed three times. First by the harness itself, run by run alternated (A B
//! A B ...), with every run's output checked and its peak RSS from wait4. Then its CPU
//! time (user + system from wait4's rusage, alternated the same way): what the process
//! cost, which a loaded machine stretches far less than wall time (six builds beside the
//! bench made getent's wall time ten times its quiet figure). Then by hyperfine
//! (Debian's `hyperfine`, installed with the other reference tools), which times
//! fork+exec+wait without the harness's pipes and threads: hyperfine runs one command's
//! runs back to back, so the harness calls it in blocks and alternates the order of the
//! commands from block to block. Start-up costs a millisecond or two, a noisy figure on
//! a shared machine: at least [`MIN_RUNS`] runs each.

use std::process::Command;

use super::{compare, measure, median, tool_present, Contender, Row, Sample};

/// The fewest runs per contender (the issue quotes hyperfine's 50).
const MIN_RUNS: usize = 50;
/// hyperfine blocks per pair; each block runs every command `runs / BLOCKS` times.
const BLOCKS: usize = 10;

fn netlab(args: &[&str]) -> Command {
    let mut cmd = Command::new(env!("CARGO_BIN_EXE_netlab"));
    cmd.args(args).env("NO_COLOR", "1");
    cmd
}

fn tool(argv: &[&str]) -> Command {
    let mut cmd = Command::new(argv[0]);
    cmd.args(&argv[1..]);
    cmd
}

/// A run is right when it exits 0 and prints `expected`.
fn prints(expected: &'static str) -> impl Fn(&Sample) -> Result<(), String> {
    move |s: &Sample| {
        if s.code != Some(0) {
            return Err(format!("exit {:?}: {}", s.code, s.stderr.trim()));
        }
        s.stdout
            .contains(expected)
            .then_some(())
            .ok_or(format!("{expected} missing from output"))
    }
}

/// One comparison: netlab first, then the tool it stands beside (if any).
struct Pair {
    section: &'static str,
    /// What every contender's stdout must contain.
    expected: &'static str,
    /// (label, argv); netlab's argv leaves out the program.
    contenders: Vec<(&'static str, Vec<&'static str>)>,
}

fn pairs() -> [Pair; 3] {
    [
        Pair {
            section: "start-up: --version",
            expected: concat!("netlab ", env!("CARGO_PKG_VERSION")),
            contenders: vec![("netlab --version", vec!["--version"])],
        },
        Pair {
            section: "start-up: resolve a hosts-file name",
            expected: "127.0.0.1",
            contenders: vec![
                ("netlab resolve localhost", vec!["resolve", "localhost"]),
                (
                    "getent ahosts localhost",
                    vec!["getent", "ahosts", "localhost"],
                ),
            ],
        },
        Pair {
            section: "start-up: one ping to loopback",
            expected: "127.0.0.1",
            contenders: vec![
                (
                    "netlab ping -c1 127.0.0.1",
                    vec!["ping", "-c1", "127.0.0.1"],
                ),
                (
                    "ping -c1 127.0.0.1 (iputils)",
                    vec!["ping", "-c1", "127.0.0.1"],
                ),
            ],
        },
    ]
}

pub fn section(runs: usize, rows: &mut Vec<Row>) {
    let runs = runs.max(MIN_RUNS);
    for pair in pairs() {
        let contenders: Vec<Contender<'_>> = pair
            .contenders
            .iter()
            .enumerate()
            .map(|(i, (label, argv))| {
                let argv = argv.clone();
                let command = move || if i == 0 { netlab(&argv) } else { tool(&argv) };
                Contender::timed(label, command, prints(pair.expected))
            })
            .collect();
        compare(pair.section, runs, &contenders, rows);
        cpu(pair.section, runs, &pair.contenders, rows);
        if tool_present("hyperfine") {
            hyperfine(pair.section, runs, &pair.contenders, rows);
        }
    }
}

/// The pair's CPU time (user + system of the process, from wait4), alternated run by
/// run; medians, and each against netlab's.
fn cpu(section: &str, runs: usize, pair: &[(&str, Vec<&str>)], rows: &mut Vec<Row>) {
    let mut times: Vec<Vec<f64>> = pair.iter().map(|_| Vec::new()).collect();
    for _ in 0..runs {
        for (i, (_, argv)) in pair.iter().enumerate() {
            let mut cmd = if i == 0 { netlab(argv) } else { tool(argv) };
            times[i].push(measure(&mut cmd).cpu.as_secs_f64() * 1000.0);
        }
    }
    let medians: Vec<f64> = times.iter().map(|t| median(t.clone())).collect();
    for (i, (label, _)) in pair.iter().enumerate() {
        rows.push(Row {
            section: format!("{section} (CPU user+sys)"),
            label: label.to_string(),
            runs,
            median: medians[i],
            unit: "ms CPU",
            versus: format!("{:.2}×", medians[i] / medians[0]),
            max_rss_kib: 0,
            correct: "-".into(),
        });
    }
}

/// The pair timed by hyperfine in alternating blocks; rows as the harness's, peak RSS
/// left to the harness's rows ("-").
fn hyperfine(section: &str, runs: usize, pair: &[(&str, Vec<&str>)], rows: &mut Vec<Row>) {
    let exe = env!("CARGO_BIN_EXE_netlab");
    let lines: Vec<String> = pair
        .iter()
        .enumerate()
        .map(|(i, (_, argv))| {
            let mut words = if i == 0 { vec![exe] } else { vec![] };
            words.extend(argv.iter().copied());
            words.join(" ")
        })
        .collect();
    let per_block = runs.div_ceil(BLOCKS).max(2);
    let mut times: Vec<Vec<f64>> = pair.iter().map(|_| Vec::new()).collect();
    let json = std::env::temp_dir().join(format!("netlab-hyperfine-{}.json", std::process::id()));
    for block in 0..BLOCKS {
        // Alternate which command goes first.
        let order: Vec<usize> = if block % 2 == 0 {
            (0..lines.len()).collect()
        } else {
            (0..lines.len()).rev().collect()
        };
        let mut cmd = Command::new("hyperfine");
        cmd.args(["-N", "--style", "none", "--warmup", "2", "--runs"])
            .arg(per_block.to_string())
            .arg("--export-json")
            .arg(&json)
            .env("NO_COLOR", "1");
        for &i in &order {
            cmd.arg(&lines[i]);
        }
        let ran = cmd
            .stdout(std::process::Stdio::null())
            // Its "statistical outliers" warnings: expected on a shared machine, and the
            // medians below are what is read.
            .stderr(std::process::Stdio::null())
            .status()
            .map(|s| s.success())
            .unwrap_or(false);
        if !ran {
            eprintln!("warning: hyperfine failed for {section}");
            return;
        }
        let doc: serde_json::Value = std::fs::read_to_string(&json)
            .ok()
            .and_then(|text| serde_json::from_str(&text).ok())
            .unwrap_or_default();
        for (result, &i) in doc["results"].as_array().into_iter().flatten().zip(&order) {
            let secs = result["times"].as_array().into_iter().flatten();
            times[i].extend(secs.filter_map(|t| t.as_f64()).map(|t| t * 1000.0));
        }
    }
    std::fs::remove_file(&json).ok();
    let medians: Vec<f64> = times.iter().map(|t| median(t.clone())).collect();
    for (i, (label, _)) in pair.iter().enumerate() {
        rows.push(Row {
            section: format!("{section} (hyperfine)"),
            label: label.to_string(),
            runs: times[i].len(),
            median: medians[i],
            unit: "ms wall",
            versus: format!("{:.2}×", medians[i] / medians[0]),
            max_rss_kib: 0,
            correct: "-".into(),
        });
    }
}
