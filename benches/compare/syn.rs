//! Issue 22's rows: a SYN scan of every port of one host beside `nmap -sS --min-rate` and
//! `masscan --rate` at the same rate cap; a /24 sweep (a third of it alive) beside
//! `fping -g` and `nmap -sn`; the peak memory of a 65,536-address x 3-port SYN scan.
//!
//! The /24 is 198.18.100.0/24 on the destination: its loopback carries .1-.85 (the lab
//! already puts .1-.3, .53 and .54 there), the rest is a blackhole route, silent as hosts
//! that are down. The 65,536-address scan goes to 198.19.0.0/16, blackholed the same way
//! at the destination, so every SYN and its one retry cross the lab and nothing answers:
//! the most state a scan of that size can hold.

use std::collections::BTreeSet;

use super::lab::{Lab, LabConfig, Role};
use super::{
    compare, netlab_in, netlab_open_ports, nmap_open_ports, tool_in, tool_present, Contender, Row,
    Sample,
};

/// The rate cap every SYN scanner is given.
const RATE: &str = "20000";

fn ip(lab: &Lab, role: Role, args: &[&str]) {
    let out = lab.exec(role, &[&["ip"], args].concat());
    assert!(out.status.success(), "ip {args:?}: {out:?}");
}

/// Open ports from masscan's list output (`open tcp 80 198.18.2.2 1733400000`).
fn masscan_open_ports(text: &str) -> BTreeSet<u16> {
    text.lines()
        .filter_map(|l| {
            let f: Vec<&str> = l.split_whitespace().collect();
            (f.len() >= 3 && f[0] == "open" && f[1] == "tcp").then(|| f[2].parse().ok())?
        })
        .collect()
}

fn same_ports<'a>(
    expected: &'a BTreeSet<u16>,
    read: impl Fn(&str) -> Result<BTreeSet<u16>, String> + 'a,
) -> impl Fn(&Sample) -> Result<(), String> + 'a {
    move |s: &Sample| {
        let open = read(&s.stdout)?;
        (open == *expected).then_some(()).ok_or(format!(
            "open {open:?}, expected {expected:?}: {}",
            s.stderr.trim()
        ))
    }
}

pub fn section_syn(runs: usize, rows: &mut Vec<Row>) {
    let lab = Lab::new(LabConfig::default()).unwrap_or_else(|e| panic!("lab: {e:?}"));
    let dest = lab.dest_v4().to_string();
    let expected: BTreeSet<u16> = [
        super::lab::ECHO_PORT,
        super::lab::HTTP_PORT,
        super::lab::WELCOME_PORT,
    ]
    .into_iter()
    .collect();
    // masscan speaks through its own stack on the client's link (it finds the adapter,
    // its address and the router's MAC by itself here); --wait 1 (not its default
    // 10 s) for late answers, as netlab's -w and nmap's timing do. Its receive thread
    // looks at the stop flag only when a packet arrives: on a quiet veth it waited
    // forever after the scan ("waiting -N-secs", masscan issue 144), so a ping to the
    // first router trickles packets past it while it runs (5 a second, not scanned).
    let script = format!(
        "ping -q -i 0.2 {} >/dev/null 2>&1 & p=$!; \
         timeout 60 masscan -p1-65535 --rate {RATE} --wait 1 -oL - {dest} 2>/dev/null; \
         s=$?; kill $p; exit $s",
        lab.hop_v4(1),
    );
    let (lab_ref, dest_ref, expected_ref) = (&lab, &dest, &expected);
    let script_ref = &script;
    let mut contenders = vec![Contender::timed(
        &format!("netlab connect --syn -p- --rate {RATE}"),
        move || {
            netlab_in(
                lab_ref,
                &[
                    "connect", "--syn", "--json", "-p-", "--rate", RATE, "-w", "500ms", dest_ref,
                ],
            )
        },
        same_ports(expected_ref, netlab_open_ports),
    )];
    if tool_present("nmap") {
        contenders.push(Contender::timed(
            &format!("nmap -sS -p- -n -Pn --min-rate {RATE} --max-rate {RATE}"),
            move || {
                tool_in(
                    lab_ref,
                    &[
                        "nmap",
                        "-sS",
                        "-p-",
                        "-n",
                        "-Pn",
                        "--min-rate",
                        RATE,
                        "--max-rate",
                        RATE,
                        "-oG",
                        "-",
                        dest_ref,
                    ],
                )
            },
            same_ports(expected_ref, |t| Ok(nmap_open_ports(t))),
        ));
    }
    if tool_present("masscan") {
        contenders.push(Contender::timed(
            &format!("masscan -p1-65535 --rate {RATE} --wait 1 (a ping beside it, timeout 60)"),
            move || tool_in(lab_ref, &["sh", "-c", script_ref]),
            same_ports(expected_ref, |t| Ok(masscan_open_ports(t))),
        ));
    }
    compare("SYN scan 1-65535, 2 routers, veth", runs, &contenders, rows);

    // A /24 with 85 hosts up.
    for last in 4..=85 {
        if last != 53 && last != 54 {
            ip(
                &lab,
                Role::Dest,
                &["addr", "add", &format!("198.18.100.{last}/32"), "dev", "lo"],
            );
        }
    }
    ip(
        &lab,
        Role::Dest,
        &["route", "add", "blackhole", "198.18.100.0/24"],
    );
    ip(
        &lab,
        Role::Dest,
        &["route", "add", "blackhole", "198.19.0.0/16"],
    );
    let alive: BTreeSet<String> = (1..=85).map(|n| format!("198.18.100.{n}")).collect();
    let alive_ref = &alive;
    let lines = move |s: &Sample| -> Result<(), String> {
        let got: BTreeSet<String> = s
            .stdout
            .lines()
            .map(|l| l.trim().to_string())
            .filter(|l| !l.is_empty())
            .collect();
        (got == *alive_ref).then_some(()).ok_or(format!(
            "{} alive, expected {}",
            got.len(),
            alive_ref.len()
        ))
    };
    let mut contenders = vec![Contender::timed(
        "netlab ping -a 198.18.100.0/24 (defaults)",
        move || netlab_in(lab_ref, &["ping", "-a", "198.18.100.0/24"]),
        lines,
    )];
    if tool_present("fping") {
        contenders.push(Contender::timed(
            "fping -a -q -g 198.18.100.0/24 (defaults)",
            move || tool_in(lab_ref, &["fping", "-a", "-q", "-g", "198.18.100.0/24"]),
            lines,
        ));
    }
    if tool_present("nmap") {
        contenders.push(Contender::timed(
            "nmap -sn -n 198.18.100.0/24 (defaults)",
            move || {
                tool_in(
                    lab_ref,
                    &["nmap", "-sn", "-n", "-oG", "-", "198.18.100.0/24"],
                )
            },
            move |s: &Sample| {
                let up: BTreeSet<String> = s
                    .stdout
                    .lines()
                    .filter(|l| l.contains("Status: Up"))
                    .filter_map(|l| l.split_whitespace().nth(1).map(String::from))
                    .collect();
                (up == *alive_ref).then_some(()).ok_or(format!(
                    "{} up, expected {}",
                    up.len(),
                    alive_ref.len()
                ))
            },
        ));
    }
    compare("sweep of a /24, 85 alive", runs, &contenders, rows);

    // 65,534 addresses x 3 ports, nothing answering: peak memory.
    let contenders = vec![Contender::timed(
        "netlab connect --syn 198.19.0.0/16 -p 22,80,443 --rate 50000 -w 500ms",
        move || {
            netlab_in(
                lab_ref,
                &[
                    "connect",
                    "--syn",
                    "--json",
                    "198.19.0.0/16",
                    "-p",
                    "22,80,443",
                    "--rate",
                    "50000",
                    "-w",
                    "500ms",
                ],
            )
        },
        |s: &Sample| {
            let doc: serde_json::Value =
                serde_json::from_str(&s.stdout).map_err(|e| format!("json: {e}"))?;
            let scans = doc["scans"].as_array().ok_or("no scans")?;
            let filtered: u64 = scans.iter().filter_map(|s| s["filtered"].as_u64()).sum();
            (scans.len() == 65_534 && filtered == 3 * 65_534)
                .then_some(())
                .ok_or(format!("{} scans, {filtered} filtered", scans.len()))
        },
    )];
    compare(
        "SYN scan of 65,534 addresses x 3 ports (peak memory)",
        runs,
        &contenders,
        rows,
    );
}
