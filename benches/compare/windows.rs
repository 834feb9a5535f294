//! netlab.exe (x86_64-pc-windows-gnu) under Wine beside Linux netlab in the same lab: issue
//! 18's Windows targets.
//!
//! - `trace -I -n` through 6 routers, on veth links and on 5 ms delay links (the lab's
//!   TUN devices; the runs there that once got no answers at all met a deadlock inside
//!   Wine, which netlab.exe now avoids: `src/net/icmp/windows.rs`, BENCHMARKS.md): the
//!   same hops as Linux netlab's, in under 1.5 × the path's RTT + 100 ms. Wine's own
//!   start-up (seconds: the loader, the prefix's registry, its helper processes) is not
//!   netlab's, so the trace's own time is read from its footer (`reached ... in 7 hops
//!   (0.08 s)`, 10 ms resolution; `trace --format json` has no duration for one trace),
//!   which netlab times from its first probe to its last answer. Wall time is a row too.
//! - `ping` RTT medians (each run's median, then the median over runs) within 0.5 ms of
//!   Linux netlab's on the same path: on those 6-router paths (also their RTT for the
//!   trace's target) and on the 2-router path of the `ping` section.
//!
//! Beside the two pings, a reference: `windows/icmp_floor.c`, a bare `IcmpSendEcho2`
//! loop in C timed by `QueryPerformanceCounter` around each call (built here with
//! mingw, the compiler `.ci/cross-setup.sh` installs), on the same path under the same
//! Wine: the RTT any Windows program that pings through the API gets there, so the
//! row shows how much of netlab.exe's difference to Linux is Wine's way for one call and
//! how much is netlab's own.
//!
//! Wine opens sockets in its wineserver's network namespace, so each lab gets a
//! wineserver started inside its client's namespace (persistent, `wineserver -p`, and
//! warmed with one `netlab.exe --version`, so every timed run finds it ready) and ended
//! when the lab is. The exe is the release build when there is one, else the debug build
//! (`NETLAB_WINDOWS_EXE` names another); the row labels say which.

use std::path::PathBuf;
use std::process::{Command, Stdio};
use std::time::Duration;

use super::lab::{Lab, LabConfig, Role};
use super::{compare, median, netlab_in, netlab_median_rtt, trace_hops, Contender, Row, Sample};

/// Wine's loader and server (Debian's wine64; not on PATH).
const WINE: &str = "/usr/lib/wine/wine64";
const WINESERVER: &str = "/usr/lib/wine/wineserver";
/// Debian's mingw C compiler (gcc-mingw-w64-x86-64), for the reference program.
const MINGW_GCC: &str = "x86_64-w64-mingw32-gcc";

/// netlab.exe and which build it is, or None when there is none (section skipped).
fn windows_exe() -> Option<(PathBuf, &'static str)> {
    if let Some(path) = std::env::var_os("NETLAB_WINDOWS_EXE") {
        return Some((PathBuf::from(path), "NETLAB_WINDOWS_EXE"));
    }
    let dir = PathBuf::from(env!("CARGO_MANIFEST_DIR"))
        .join("target/cross-x86_64-pc-windows-gnu/x86_64-pc-windows-gnu");
    ["release", "debug"]
        .into_iter()
        .map(|build| (dir.join(build).join("netlab.exe"), build))
        .find(|(path, _)| path.exists())
}

/// `windows/icmp_floor.c` built into the target dir, or None (said) when it cannot be.
fn icmp_floor_exe() -> Option<PathBuf> {
    let root = PathBuf::from(env!("CARGO_MANIFEST_DIR"));
    let src = root.join("benches/compare/windows/icmp_floor.c");
    let out = root.join("target/bench/icmp-floor.exe");
    let _ = std::fs::create_dir_all(root.join("target/bench"));
    let built = Command::new(MINGW_GCC)
        .args(["-O2", "-Wall", "-Wextra", "-Werror", "-o"])
        .arg(&out)
        .arg(&src)
        .args(["-liphlpapi", "-lws2_32"])
        .status();
    if built.is_ok_and(|s| s.success()) {
        return Some(out);
    }
    eprintln!(
        "bench windows: could not build {} with {MINGW_GCC} (run .ci/cross-setup.sh): \
         the API's floor row is left out",
        src.display()
    );
    None
}

/// The median of the reference program's RTTs (one per line, `lost` for none).
fn floor_median_rtt(s: &Sample) -> Option<f64> {
    let rtts: Vec<f64> = s
        .stdout
        .lines()
        .filter_map(|l| l.trim().parse().ok())
        .collect();
    (s.code == Some(0) && !rtts.is_empty()).then(|| median(rtts))
}

fn wineserver(args: &[&str]) -> Command {
    let mut cmd = Command::new(WINESERVER);
    cmd.args(args).env("WINEDEBUG", "-all");
    cmd
}

/// A persistent wineserver inside a lab's client namespace, ended on drop.
struct Wineserver;

impl Wineserver {
    fn start_in(lab: &Lab, exe: &PathBuf) -> Wineserver {
        let _ = wineserver(&["-k"]).status();
        let started = lab
            .command(Role::Client, WINESERVER)
            .arg("-p")
            .env("WINEDEBUG", "-all")
            .status();
        assert!(
            started.is_ok_and(|s| s.success()),
            "wineserver -p in the lab"
        );
        // Without pipes: the helpers this first run starts (services.exe, winedevice.exe)
        // outlive it and would hold a pipe open, so reading to its end would never end.
        let warm = wine_in(lab, exe, &["--version"])
            .stdin(Stdio::null())
            .stdout(Stdio::null())
            .stderr(Stdio::null())
            .status();
        assert!(
            warm.is_ok_and(|s| s.success()),
            "netlab.exe --version under Wine"
        );
        Wineserver
    }
}

impl Drop for Wineserver {
    fn drop(&mut self) {
        let _ = wineserver(&["-k"]).status();
    }
}

fn wine_in(lab: &Lab, exe: &PathBuf, args: &[&str]) -> Command {
    let mut cmd = lab.command(Role::Client, WINE);
    cmd.arg(exe)
        .args(args)
        .env("WINEDEBUG", "-all")
        .env("NO_COLOR", "1");
    cmd
}

/// The trace's own time from its table's footer (`reached ADDR in N hops (0.08 s)`), ms.
fn footer_ms(s: &Sample) -> Option<f64> {
    let line = s.stdout.lines().rev().find(|l| l.starts_with("reached "))?;
    let seconds = line.rsplit_once('(')?.1.strip_suffix(" s)")?;
    Some(seconds.parse::<f64>().ok()? * 1000.0)
}

pub fn section(runs: usize, rows: &mut Vec<Row>) {
    let Some((exe, build)) = windows_exe() else {
        eprintln!("bench windows: no netlab.exe (run .ci/win.sh), section skipped");
        return;
    };
    if !std::path::Path::new(WINE).exists() {
        eprintln!("bench windows: {WINE} missing (run .ci/cross-setup.sh), section skipped");
        return;
    }
    let floor = icmp_floor_exe();
    trace_and_ping_through_six_routers(runs, rows, &exe, build, floor.as_ref(), None);
    let delay = Some(Duration::from_millis(5));
    trace_and_ping_through_six_routers(runs, rows, &exe, build, floor.as_ref(), delay);
    ping_on_veth(runs, rows, &exe, build, floor.as_ref());
}

fn trace_and_ping_through_six_routers(
    runs: usize,
    rows: &mut Vec<Row>,
    exe: &PathBuf,
    build: &str,
    floor: Option<&PathBuf>,
    delay: Option<Duration>,
) {
    let (config, links) = match delay {
        None => (LabConfig::default().routers(6), "veth".to_string()),
        Some(delay) => (
            LabConfig::default().routers(6).link_delay(delay),
            format!("{} ms links", delay.as_millis()),
        ),
    };
    let lab = Lab::new(config).unwrap_or_else(|e| panic!("lab: {e:?}"));
    let _server = Wineserver::start_in(&lab, exe);
    let dest = lab.dest_v4().to_string();
    let mut expected: std::collections::BTreeMap<u32, String> = (1..=6)
        .map(|i| (i as u32, lab.hop_v4(i).to_string()))
        .collect();
    expected.insert(7, dest.clone());
    let (lab, dest, expected) = (&lab, dest.as_str(), &expected);
    let same_hops = move |s: &Sample| {
        let hops = trace_hops(&s.stdout);
        (s.code == Some(0) && hops == *expected)
            .then_some(())
            .ok_or(format!(
                "exit {:?}, hops {hops:?}, expected {expected:?}",
                s.code
            ))
    };
    let trace = ["trace", "-I", "-n", dest];
    let linux = move || netlab_in(lab, &trace);
    let windows = move || wine_in(lab, exe, &trace);
    let exe_label = format!("netlab.exe ({build}) under Wine");
    compare(
        &format!("windows: trace -I -n, 6 routers, {links}, the trace's own time (its footer)"),
        runs,
        &[
            by_footer("netlab trace -I -n (Linux)", linux, same_hops),
            by_footer(&format!("{exe_label} trace -I -n"), windows, same_hops),
        ],
        rows,
    );
    compare(
        &format!("windows: trace -I -n, 6 routers, {links}, wall (Wine's start-up included)"),
        runs,
        &[
            Contender::timed("netlab trace -I -n (Linux)", linux, same_hops),
            Contender::timed(&format!("{exe_label} trace -I -n"), windows, same_hops),
        ],
        rows,
    );
    let probes = ["-c", "20", "-i", "0.05"];
    compare(
        &format!("windows: ping RTT, 6 routers, {links} (the trace target's path RTT)"),
        runs,
        &ping_contenders(lab, exe, &exe_label, dest, probes, floor),
        rows,
    );
}

/// A contender judged by `check` and measured by the trace's own time (its footer).
fn by_footer<'a>(
    label: &str,
    command: impl Fn() -> Command + 'a,
    check: impl Fn(&Sample) -> Result<(), String> + 'a,
) -> Contender<'a> {
    Contender {
        metric: Some(Box::new(footer_ms)),
        ..Contender::timed(label, command, check)
    }
}

/// The 2-router veth path of the `ping` section: where a difference of 0.5 ms shows.
fn ping_on_veth(
    runs: usize,
    rows: &mut Vec<Row>,
    exe: &PathBuf,
    build: &str,
    floor: Option<&PathBuf>,
) {
    let lab = Lab::new(LabConfig::default()).unwrap_or_else(|e| panic!("lab: {e:?}"));
    let _server = Wineserver::start_in(&lab, exe);
    let dest = lab.dest_v4().to_string();
    let exe_label = format!("netlab.exe ({build}) under Wine");
    compare(
        "windows: ping RTT, 2 routers, veth",
        runs,
        &ping_contenders(
            &lab,
            exe,
            &exe_label,
            &dest,
            ["-c", "50", "-i", "0.02"],
            floor,
        ),
        rows,
    );
}

/// Linux netlab's ping and netlab.exe's (and the API's floor, when built), each run read
/// as the median of its replies' RTTs. `probes` is `-c N -i SECONDS`.
fn ping_contenders<'a>(
    lab: &'a Lab,
    exe: &'a PathBuf,
    exe_label: &str,
    dest: &'a str,
    probes: [&'a str; 4],
    floor: Option<&'a PathBuf>,
) -> Vec<Contender<'a>> {
    let shown = probes.join(" ");
    let args = move || {
        let mut args = vec!["ping", "--format", "json", "-n"];
        args.extend(probes);
        args.push(dest);
        args
    };
    let mut contenders = vec![
        Contender::measured(
            &format!("netlab ping {shown} (Linux; median RTT)"),
            move || netlab_in(lab, &args()),
            netlab_median_rtt,
        ),
        Contender::measured(
            &format!("{exe_label} ping {shown} (median RTT)"),
            move || wine_in(lab, exe, &args()),
            netlab_median_rtt,
        ),
    ];
    if let Some(floor) = floor {
        let count = probes[1];
        let interval_ms = probes[3].parse::<f64>().map_or(0.0, |s| s * 1000.0);
        let interval_ms = format!("{interval_ms:.0}");
        contenders.push(Contender::measured(
            &format!("IcmpSendEcho2 in C under Wine, {count} calls (median RTT)"),
            move || {
                let mut cmd = lab.command(Role::Client, WINE);
                cmd.arg(floor)
                    .args([dest, count, &interval_ms])
                    .env("WINEDEBUG", "-all");
                cmd
            },
            floor_median_rtt,
        ));
    }
    contenders
}
