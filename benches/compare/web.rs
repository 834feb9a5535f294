//! `netlab connect https://...` beside curl (issue 19), against Debian's nginx in the
//! lab's destination with a certificate of the run's test CA, HTTP/1.1 on both sides:
//!
//! - wall time and peak memory of one request: `netlab connect` beside
//!   `curl -so /dev/null` (targets: netlab's wall time at most curl's, peak RSS <= 15 MB),
//!   `httpstat` (PyPI, installed by this bench into a venv under the target dir, the row
//!   left out when pip cannot get it) and `openssl s_client -quiet` sending the same
//!   request from a file (target: netlab below both). s_client reads the request from
//!   stdin, which the harness gives every tool as /dev/null, so it runs as `sh -c 'exec
//!   openssl ... < FILE'`: its wall time includes dash's start (about 0.5 ms);
//! - each phase beside curl's `-w` figure for the same request (target: each median within
//!   0.5 ms or 5% of curl's). curl's figures are cumulative, netlab's are per phase: a
//!   phase of curl's is the difference of two of its figures (connect = time_connect -
//!   time_namelookup, tls = time_appconnect - time_connect, first byte =
//!   time_starttransfer - time_appconnect).
//!
//! Every run is alternated (netlab, curl, netlab, ...) and checked: exit 0 and a 200. The
//! phases are read from one set of runs (each run gives every phase), not a set per phase.
//!
//! - the TLS phase against the packets of the same runs (`wire.rs`, tcpdump in the
//!   client's namespace): each tool's own set-up after connecting (SYN-ACK to its
//!   ClientHello), the handshake on the wire (SYN-ACK to its Finished), and each tool's
//!   reported TLS phase minus its own connection's wire span.

#[path = "web/wire.rs"]
mod wire;

use std::path::PathBuf;
use std::process::Command;

use serde_json::Value;

use super::lab::web_server::{curl, have_nginx, pki, start_nginx, CURL_W, VALID};
use super::lab::{Lab, LabConfig, Role};
use super::{alternate, compare, median, netlab_in, report, Contender, Row, Sample};

/// netlab's phase `key` (JSON, ms) from one run.
fn netlab_phase(s: &Sample, key: &str) -> Option<f64> {
    let doc: Value = serde_json::from_str(&s.stdout).ok()?;
    let r = &doc["requests"][0];
    (r["http"]["status"] == 200).then_some(())?;
    r["phases"][key].as_f64()
}

/// curl's phase between two of its cumulative figures (indices into `CURL_W`), in ms.
fn curl_phase(s: &Sample, from: Option<usize>, to: usize) -> Option<f64> {
    let figures: Vec<&str> = s.stdout.split_whitespace().collect();
    (figures.get(5) == Some(&"200")).then_some(())?;
    let at = |i: usize| figures.get(i)?.parse::<f64>().ok().map(|s| s * 1000.0);
    Some(at(to)? - from.map_or(Some(0.0), at)?)
}

/// httpstat in a venv of its own under the target dir, installed with pip on first use
/// (None, and a warning, when python3's venv or pip cannot give it).
fn httpstat() -> Option<PathBuf> {
    let venv = PathBuf::from(env!("CARGO_TARGET_TMPDIR")).join("httpstat-venv");
    let bin = venv.join("bin/httpstat");
    if bin.exists() {
        return Some(bin);
    }
    let ok = |cmd: &mut Command| cmd.status().map(|s| s.success()).unwrap_or(false);
    let pip = venv.join("bin/pip");
    let venv_text = venv.to_str()?;
    if ok(Command::new("python3").args(["-m", "venv", venv_text]))
        && ok(Command::new(&pip).args(["install", "-q", "httpstat"]))
        && bin.exists()
    {
        return Some(bin);
    }
    eprintln!("bench web: could not install httpstat into {venv_text}: its row is left out");
    None
}

pub fn section(runs: usize, rows: &mut Vec<Row>) {
    if !have_nginx() {
        eprintln!("bench web: nginx or curl missing, section skipped");
        return;
    }
    let lab = Lab::new(LabConfig::default()).unwrap_or_else(|e| panic!("lab: {e:?}"));
    let pki = pki();
    let _nginx = start_nginx(&lab, &pki);
    let ca = pki.ca_file.to_str().unwrap().to_string();
    let pin = format!("www.netlab.test:{VALID}:{}", lab.dest_v4());
    let url = format!("https://www.netlab.test:{VALID}/");
    let (lab, ca, pin, url) = (&lab, ca.as_str(), pin.as_str(), url.as_str());
    let netlab = move |json: bool| -> Command {
        let mut args = vec![
            "connect",
            "--http1.1",
            "--cacert",
            ca,
            "--resolve",
            pin,
            url,
        ];
        if json {
            args.insert(1, "--json");
        }
        netlab_in(lab, &args)
    };
    let curl = move |w: &'static str| -> Command { curl(lab, ca, pin, w, url) };
    let ok_netlab = |s: &Sample| {
        (s.code == Some(0) && s.stdout.contains("HTTP/1.1 200"))
            .then_some(())
            .ok_or(format!("exit {:?}: {}", s.code, s.stderr.trim()))
    };
    let ok_curl = |s: &Sample| {
        (s.code == Some(0) && s.stdout.trim() == "200")
            .then_some(())
            .ok_or(format!("exit {:?}: {}", s.code, s.stdout.trim()))
    };
    // The same request for openssl s_client, which sends what its stdin holds; `Connection:
    // close` so nginx ends the connection after the answer and s_client exits.
    let dir = tempfile::tempdir().unwrap();
    let request = dir.path().join("request");
    std::fs::write(
        &request,
        format!("GET / HTTP/1.1\r\nHost: www.netlab.test:{VALID}\r\nConnection: close\r\n\r\n"),
    )
    .unwrap();
    let s_client = format!(
        "exec openssl s_client -quiet -verify_return_error -CAfile {ca} -servername \
         www.netlab.test -connect {}:{VALID} < {}",
        lab.dest_v4(),
        request.display()
    );
    let s_client = s_client.as_str();
    let ok_s_client = |s: &Sample| {
        (s.code == Some(0) && s.stdout.starts_with("HTTP/1.1 200"))
            .then_some(())
            .ok_or(format!("exit {:?}: {}", s.code, s.stderr.trim()))
    };
    let httpstat = httpstat();
    let ok_httpstat = |s: &Sample| {
        (s.code == Some(0) && s.stdout.contains("HTTP/1.1 200"))
            .then_some(())
            .ok_or(format!("exit {:?}: {}", s.code, s.stderr.trim()))
    };
    let mut contenders = vec![
        Contender::timed("netlab connect https://", move || netlab(false), ok_netlab),
        Contender::timed("curl -so /dev/null", move || curl("%{http_code}"), ok_curl),
        Contender::timed(
            "openssl s_client -quiet (request on stdin)",
            move || {
                let mut cmd = lab.command(Role::Client, "sh");
                cmd.args(["-c", s_client]);
                cmd
            },
            ok_s_client,
        ),
    ];
    if let Some(bin) = &httpstat {
        contenders.push(Contender::timed(
            "httpstat (PyPI, venv)",
            move || {
                let mut cmd = lab.command(Role::Client, bin);
                cmd.args([url, "--http1.1", "--cacert", ca, "--resolve", pin])
                    .env("HTTPSTAT_SAVE_BODY", "false");
                cmd
            },
            ok_httpstat,
        ));
    }
    compare("connect https:// (wall, peak RSS)", runs, &contenders, rows);
    // Every phase from the same alternated runs (netlab, curl, netlab, ...): a phase's
    // two medians then come from the same minutes of the machine's load, and netlab's
    // phases add up run by run. "tls + first byte" is the span from the TCP connection to
    // the first byte of the answer: where the handshake's end is stamped moves time
    // between the two phases (see BENCHMARKS.md), their sum it does not.
    let phases = [
        ("connect", &["connect_ms"][..], Some(0), 1),
        ("tls", &["tls_ms"], Some(1), 2),
        ("first byte", &["first_byte_ms"], Some(2), 3),
        ("tls + first byte", &["tls_ms", "first_byte_ms"], Some(1), 3),
        ("total", &["total_ms"], None, 4),
    ];
    let contenders = |keys: &'static [&'static str], from: Option<usize>, to: usize| {
        [
            Contender::measured(
                "netlab connect --json",
                move || netlab(true),
                move |s| keys.iter().map(|key| netlab_phase(s, key)).sum(),
            ),
            Contender::measured(
                "curl -w",
                move || curl(CURL_W),
                move |s| curl_phase(s, from, to),
            ),
        ]
    };
    let dump = dir.path().join("tcpdump.txt");
    let capture = if super::tool_present("tcpdump") {
        wire::Capture::start(lab, VALID, &dump)
    } else {
        None
    };
    if capture.is_none() {
        eprintln!("bench web: tcpdump could not start in the lab: the wire rows are left out");
    }
    let samples = alternate(runs, &contenders(&["total_ms"], None, 4));
    if let Some(capture) = capture {
        capture.stop();
        let text = std::fs::read_to_string(&dump).unwrap_or_default();
        wire_rows(&wire::connections(&text, VALID), &samples, rows);
    }
    for (phase, keys, from, to) in phases {
        report(
            &format!("https:// phase: {phase}"),
            &contenders(keys, from, to),
            &samples,
            rows,
        );
    }
}

/// The wire rows: the n-th connection tcpdump saw is the n-th run (netlab, curl, netlab,
/// ...), each tool's figures from its own runs' connections. When the count does not
/// match the runs the rows say so instead of pairing wrongly.
fn wire_rows(connections: &[wire::Connection], samples: &[Vec<Sample>], rows: &mut Vec<Row>) {
    let runs = samples.first().map_or(0, Vec::len);
    let tools = ["netlab connect --json", "curl -w"];
    let paired = connections.len() == runs * tools.len();
    let reported = |tool: usize, s: &Sample| match tool {
        0 => netlab_phase(s, "tls_ms"),
        _ => curl_phase(s, Some(1), 2),
    };
    let figures = [
        (
            "https:// on the wire: SYN-ACK to the ClientHello (the client's own set-up)",
            0,
        ),
        (
            "https:// on the wire: SYN-ACK to the client's Finished (TLS as the packets show it)",
            1,
        ),
        (
            "https:// tls phase reported minus the same connection's on the wire",
            2,
        ),
    ];
    for (section, which) in figures {
        let mut medians = Vec::new();
        for (tool, label) in tools.iter().enumerate() {
            let values: Vec<f64> = if paired {
                (0..runs)
                    .filter_map(|run| {
                        let c = connections[run * tools.len() + tool];
                        match which {
                            0 => Some(c.set_up_ms()),
                            1 => Some(c.tls_ms()),
                            _ => Some(reported(tool, &samples[tool][run])? - c.tls_ms()),
                        }
                    })
                    .collect()
            } else {
                Vec::new()
            };
            let m = median(values.clone());
            medians.push(m);
            rows.push(Row {
                section: section.to_string(),
                label: label.to_string(),
                runs,
                median: m,
                unit: "ms",
                versus: format!("{:+.3} ms", m - medians[0]),
                max_rss_kib: 0,
                correct: if !paired {
                    format!(
                        "NO: {} connections on the wire for {} runs",
                        connections.len(),
                        runs * tools.len()
                    )
                } else if values.len() == runs {
                    "yes".to_string()
                } else {
                    format!("NO ({}/{runs}): no figure", runs - values.len())
                },
            });
        }
    }
}
