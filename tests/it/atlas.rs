//! `--format atlas`, read by the real parser: RIPE Atlas's own `ripe.atlas.sagan`, from
//! PyPI, in a virtual environment this suite creates once under Cargo's target dir
//! (`CARGO_TARGET_TMPDIR/atlas-sagan`; later runs reuse it). Sagan parses netlab's
//! output with errors and malformations set to fail (`on_error` / `on_malformation` =
//! `ACTION_FAIL`), and what it reads — median RTT, counts, hop addresses, whether the
//! destination responded, MPLS objects, the A and AAAA records decoded from `abuf` —
//! must equal netlab's own `--json` document of the same run (written beside the Atlas
//! output through `NETLAB_ALSO_JSON`).
//!
//! Without python3 or PyPI the tests skip loudly (`SKIPPED ...` on stderr); with
//! `CI=true` that is a failure, as for the lab.

use std::net::IpAddr;
use std::path::{Path, PathBuf};
use std::process::{Command, Output};
use std::sync::Mutex;

use serde_json::Value;

use crate::lab::{lab, Lab, LabConfig, LabelEntry};
use crate::util::{json, stderr};

/// What sagan makes of each result, as JSON the tests compare.
const SAGAN_SCRIPT: &str = r#"
import json, sys
from ripe.atlas.sagan import Result

FAIL = Result.ACTION_FAIL
# "errors-ignored": results that report an error (a timeout, SERVFAIL) must still be
# well-formed; errors are then recorded in is_error instead of failing.
on_error = Result.ACTION_IGNORE if sys.argv[2:] == ["errors-ignored"] else FAIL
out = []
for raw in json.load(open(sys.argv[1])):
    r = Result.get(raw, on_error=on_error, on_malformation=FAIL)
    fig = {"type": r.type, "fw": r.firmware, "msm_id": r.measurement_id,
           "prb_id": r.probe_id, "created": r.created_timestamp, "origin": r.origin}
    if r.type == "ping":
        fig.update(median=r.rtt_median, sent=r.packets_sent, rcvd=r.packets_received,
                   dup=r.duplicates, min=r.rtt_min, avg=r.rtt_average, max=r.rtt_max,
                   dst=r.destination_address, dst_name=r.destination_name, af=r.af,
                   proto=r.protocol, size=r.packet_size,
                   rtts=[p.rtt for p in r.packets])
    elif r.type == "traceroute":
        fig.update(ip_path=r.ip_path, responded=r.destination_ip_responded,
                   success=r.is_success, total_hops=r.total_hops, proto=r.protocol,
                   paris_id=r.paris_id, dst=r.destination_address, af=r.af,
                   src=r.source_address, end=r.end_time_timestamp,
                   hops=[h.index for h in r.hops],
                   rtts=[[p.rtt for p in h.packets] for h in r.hops],
                   ttls=[[p.ttl for p in h.packets] for h in r.hops],
                   sizes=[[p.size for p in h.packets] for h in r.hops],
                   rfc4884=[[p.icmp_header.rfc4884 if p.icmp_header else None
                             for p in h.packets] for h in r.hops],
                   mpls=[[[o.get("mpls") for o in p.icmp_header.objects]
                          if p.icmp_header else None for p in h.packets] for h in r.hops])
    elif r.type == "dns":
        responses = []
        for x in r.responses:
            abuf = x.abuf
            if abuf is None:
                continue
            responses.append({
                "rt": x.response_time, "size": x.response_size, "proto": x.protocol,
                "dst": x.destination_address, "rcode": abuf.header.return_code,
                "is_error": x.is_error,
                "questions": [[q.name, q.type] for q in abuf.questions],
                "answers": [[a.name, a.type, getattr(a, "address", None) or
                             getattr(a, "target", None), a.ttl] for a in abuf.answers]})
        fig["responses"] = responses
    fig["is_error"] = r.is_error
    fig["is_malformed"] = r.is_malformed
    out.append(fig)
print(json.dumps(out))
"#;

/// The venv's python, created on first use; None (after saying why) when it cannot be
/// (skip), a panic under CI.
fn sagan_python() -> Option<PathBuf> {
    static READY: Mutex<Option<Result<PathBuf, String>>> = Mutex::new(None);
    let mut ready = READY.lock().unwrap_or_else(|e| e.into_inner());
    if ready.is_none() {
        *ready = Some(install_sagan());
    }
    match ready.as_ref().expect("set above") {
        Ok(python) => Some(python.clone()),
        Err(why) => {
            let ci = matches!(std::env::var("CI").as_deref(), Ok("true") | Ok("1"));
            assert!(!ci, "cannot install ripe-atlas-sagan under CI: {why}");
            eprintln!("SKIPPED (no ripe.atlas.sagan): {why}");
            None
        }
    }
}

fn install_sagan() -> Result<PathBuf, String> {
    let dir = Path::new(env!("CARGO_TARGET_TMPDIR")).join("atlas-sagan");
    let python = dir.join("bin/python");
    let marker = dir.join("netlab-ready");
    if marker.exists() {
        return Ok(python);
    }
    let _ = std::fs::remove_dir_all(&dir);
    let step = |cmd: &mut Command, what: &str| -> Result<(), String> {
        let out = cmd
            .output()
            .map_err(|e| format!("{what}: cannot run: {e}"))?;
        if out.status.success() {
            Ok(())
        } else {
            Err(format!(
                "{what}: {}",
                String::from_utf8_lossy(&out.stderr).trim()
            ))
        }
    };
    step(
        Command::new("python3").args(["-m", "venv"]).arg(&dir),
        "python3 -m venv",
    )?;
    step(
        Command::new(&python).args([
            "-m",
            "pip",
            "install",
            "--quiet",
            "--disable-pip-version-check",
            "ripe-atlas-sagan",
        ]),
        "pip install ripe-atlas-sagan",
    )?;
    step(
        Command::new(&python).args(["-c", "import ripe.atlas.sagan"]),
        "import ripe.atlas.sagan",
    )?;
    std::fs::write(&marker, b"").map_err(|e| format!("writing {}: {e}", marker.display()))?;
    Ok(python)
}

/// Runs netlab with `--format atlas` in the lab; returns (the Atlas array as sagan read
/// it, the Atlas array itself, the JSON document of the same run).
fn run(lab: &Lab, python: &Path, args: &[&str]) -> (Vec<Value>, Value, Value) {
    let dir = tempfile::tempdir().expect("tempdir");
    let copy = dir.path().join("also.json");
    let mut cmd = lab.netlab_command(args);
    cmd.env("NETLAB_ALSO_JSON", &copy);
    let out = lab.run(&mut cmd);
    let ctx = context(args, &out);
    assert_eq!(out.status.code(), Some(0), "{ctx}");
    let atlas = json(&out);
    assert!(atlas.is_array(), "{ctx}");
    let doc: Value = serde_json::from_slice(&std::fs::read(&copy).expect("the JSON copy"))
        .expect("the JSON copy is JSON");
    let figures = sagan(python, &out.stdout, &[], &ctx);
    for f in &figures {
        assert_eq!(f["is_error"], false, "{f}\n{ctx}");
        assert_eq!(f["is_malformed"], false, "{f}\n{ctx}");
        assert_eq!(
            (f["fw"].clone(), f["msm_id"].clone()),
            (5000.into(), 0.into())
        );
        assert_eq!(f["prb_id"], 0);
    }
    (figures, atlas, doc)
}

/// Sagan's figures for an Atlas array (`mode`: extra script arguments).
fn sagan(python: &Path, atlas: &[u8], mode: &[&str], ctx: &str) -> Vec<Value> {
    let dir = tempfile::tempdir().expect("tempdir");
    let atlas_file = dir.path().join("atlas.json");
    std::fs::write(&atlas_file, atlas).unwrap();
    let parsed = Command::new(python)
        .args(["-c", SAGAN_SCRIPT])
        .arg(&atlas_file)
        .args(mode)
        .output()
        .expect("run python");
    assert!(
        parsed.status.success(),
        "sagan refused the result: {}\n{ctx}",
        String::from_utf8_lossy(&parsed.stderr)
    );
    serde_json::from_slice(&parsed.stdout).expect("sagan's figures")
}

fn context(args: &[&str], out: &Output) -> String {
    format!(
        "netlab {}\nstdout: {}\nstderr: {}",
        args.join(" "),
        String::from_utf8_lossy(&out.stdout),
        stderr(out)
    )
}

/// The median of first, timely replies' RTTs, as sagan computes it.
fn median(mut rtts: Vec<f64>) -> Option<f64> {
    rtts.sort_by(f64::total_cmp);
    let n = rtts.len();
    match n {
        0 => None,
        _ if n % 2 == 1 => Some(rtts[n / 2]),
        _ => Some((rtts[n / 2 - 1] + rtts[n / 2]) / 2.0),
    }
}

#[test]
fn sagan_reads_pings_as_netlab_measured_them_v4_and_v6() {
    let Some(python) = sagan_python() else { return };
    let lab = lab!(LabConfig::default());
    let (v4, v6) = (lab.dest_v4().to_string(), lab.dest_v6().to_string());
    let args = [
        "ping", "-n", "-c", "5", "-i", "0.05", "--format", "atlas", "dest", &v6,
    ];
    let (figures, atlas, doc) = run(&lab, &python, &args);
    assert_eq!(figures.len(), 2, "one result per target: {atlas}");
    for (i, (fig, name)) in [(&figures[0], "dest"), (&figures[1], v6.as_str())]
        .into_iter()
        .enumerate()
    {
        let summary = &doc["summary"][i];
        let addr = summary["address"].as_str().unwrap();
        let af = if addr.contains(':') { 6 } else { 4 };
        assert!(addr == v4 || addr == v6, "{addr}");
        assert_eq!(fig["type"], "ping");
        assert_eq!(fig["proto"], "ICMP");
        assert_eq!(fig["dst"], addr, "{fig}");
        assert_eq!(fig["dst_name"], name);
        assert_eq!(fig["af"], af);
        assert_eq!(fig["size"], 56);
        assert_eq!(fig["sent"], summary["transmitted"]);
        assert_eq!(fig["rcvd"], summary["received"]);
        assert_eq!(fig["rcvd"], 5, "{fig}");
        assert_eq!(fig["dup"], summary["duplicates"]);
        assert_eq!(fig["min"], summary["min_ms"]);
        assert_eq!(fig["max"], summary["max_ms"]);
        assert_eq!(fig["avg"], summary["avg_ms"]);
        let mine: Vec<f64> = doc["replies"]
            .as_array()
            .unwrap()
            .iter()
            .filter(|r| r["target"] == summary["target"])
            .filter(|r| r["duplicate"] == false && r["late"] == false)
            .map(|r| r["rtt_ms"].as_f64().unwrap())
            .collect();
        assert_eq!(mine.len(), 5);
        let rtt_median = median(mine.clone()).unwrap();
        assert!(
            (fig["median"].as_f64().unwrap() - rtt_median).abs() < 1e-9,
            "sagan's median {} vs netlab's {rtt_median}",
            fig["median"]
        );
        let mut rtts: Vec<f64> = fig["rtts"]
            .as_array()
            .unwrap()
            .iter()
            .map(|r| r.as_f64().unwrap())
            .collect();
        let mut mine = mine;
        rtts.sort_by(f64::total_cmp);
        mine.sort_by(f64::total_cmp);
        assert_eq!(rtts, mine);
        // The header's source address is the client's own link address.
        let client = if af == 4 {
            lab.client_v4().to_string()
        } else {
            lab.client_v6().to_string()
        };
        assert_eq!(fig["origin"], client.as_str());
        assert_eq!(atlas[i]["src_addr"], client.as_str());
    }
}

/// The trace through an MPLS router: the hop addresses, RTTs, answers' arrival TTLs and
/// sizes, the destination's answer and the label stack sagan reads are the JSON
/// document's, for UDP and TCP over IPv4 and ICMP over IPv6.
#[test]
fn sagan_reads_traces_hops_destination_and_mpls_labels() {
    let Some(python) = sagan_python() else { return };
    let labels = [
        LabelEntry::new(24001, 0, false, 1),
        LabelEntry::new(0xfffff, 5, true, 254),
    ];
    let lab = lab!(LabConfig::default().routers(2).mpls_router(1, &labels));
    let atlas_stack = serde_json::json!([[
        {"label": 24001, "exp": 0, "s": 0, "ttl": 1},
        {"label": 1048575, "exp": 5, "s": 1, "ttl": 254},
    ]]);
    for (method, dest, proto) in [
        ("-U", lab.dest_v4().to_string(), "UDP"),
        ("-I", lab.dest_v6().to_string(), "ICMP"),
        ("-T", lab.dest_v4().to_string(), "TCP"),
    ] {
        let args = ["trace", "-n", method, "--format", "atlas", dest.as_str()];
        let (figures, atlas, doc) = run(&lab, &python, &args);
        assert_eq!(figures.len(), 1, "{atlas}");
        let fig = &figures[0];
        assert_eq!(fig["type"], "traceroute");
        assert_eq!(fig["proto"], proto);
        assert_eq!(fig["dst"], dest.as_str());
        assert_eq!(fig["responded"], doc["reached"]);
        assert_eq!(fig["responded"], true, "{fig}");
        assert_eq!(fig["success"], true, "{fig}");
        // Root: raw sockets, one flow for every probe.
        assert_eq!(fig["paris_id"], 1);
        let hops = doc["hops"].as_array().unwrap();
        assert_eq!(fig["total_hops"], hops.len());
        let json_path: Vec<Vec<Value>> = hops
            .iter()
            .map(|h| {
                h["probes"]
                    .as_array()
                    .unwrap()
                    .iter()
                    .map(|p| p["from"].clone())
                    .collect()
            })
            .collect();
        assert_eq!(fig["ip_path"], serde_json::json!(json_path), "{fig}");
        let json_rtts: Vec<Vec<Value>> = hops
            .iter()
            .map(|h| {
                h["probes"]
                    .as_array()
                    .unwrap()
                    .iter()
                    .map(|p| p["rtt_ms"].clone())
                    .collect()
            })
            .collect();
        assert_eq!(fig["rtts"], serde_json::json!(json_rtts));
        // The arrival TTL and size of every answer: sagan reads the JSON's figures.
        let per_probe = |field: &str| -> Value {
            hops.iter()
                .map(|h| {
                    h["probes"]
                        .as_array()
                        .unwrap()
                        .iter()
                        .map(|p| p[field].clone())
                        .collect::<Vec<Value>>()
                })
                .collect::<Vec<_>>()
                .into()
        };
        let (json_ttls, json_sizes) = (per_probe("reply_ttl"), per_probe("reply_size"));
        assert_eq!(fig["ttls"], json_ttls, "{fig}");
        assert_eq!(fig["sizes"], json_sizes, "{fig}");
        for (h, hop) in hops.iter().enumerate() {
            for (q, p) in hop["probes"].as_array().unwrap().iter().enumerate() {
                if p["from"].is_null() {
                    assert!(p.get("reply_ttl").is_none() && p.get("reply_size").is_none());
                    continue;
                }
                // Root: a raw socket read every answer, so both are known.
                let ttl = p["reply_ttl"].as_u64().unwrap_or_else(|| panic!("{p}"));
                let size = p["reply_size"].as_u64().unwrap_or_else(|| panic!("{p}"));
                assert!((1..=64).contains(&ttl), "hop {}: {p}", h + 1);
                if h == 0 {
                    // The MPLS router is adjacent and sends with TTL 64: a 128-byte
                    // quote (RFC 4884), the extension header and one object of two
                    // labels.
                    assert_eq!((ttl, size), (64, 128 + 4 + 4 + 8), "hop 1: {p}");
                    assert_eq!(fig["rfc4884"][0][q], true, "hop 1: {fig}");
                } else if h + 1 == hops.len() && proto == "UDP" {
                    // Port unreachable quoting the whole probe: IPv4 and UDP headers
                    // and the 16-byte payload.
                    assert_eq!(size, 20 + 8 + 16, "{p}");
                } else if h + 1 == hops.len() && proto == "ICMP" {
                    // An echo reply's data: the probe's 16 bytes.
                    assert_eq!(size, 16, "{p}");
                }
            }
        }
        let hop1 = if dest.contains(':') {
            lab.hop_v6(1).to_string()
        } else {
            lab.hop_v4(1).to_string()
        };
        assert_eq!(fig["ip_path"][0][0], hop1.as_str());
        for (h, hop) in fig["mpls"].as_array().unwrap().iter().enumerate() {
            for packet in hop.as_array().unwrap() {
                if h == 0 {
                    assert_eq!(packet, &atlas_stack, "hop 1: {fig}");
                } else {
                    assert!(packet.is_null(), "hop {}: {fig}", h + 1);
                }
            }
        }
        assert!(fig["end"].as_u64().unwrap() >= fig["created"].as_u64().unwrap());
    }
}

/// An address however it is written (sagan writes IPv6 uncompressed).
fn addr(value: &Value) -> IpAddr {
    value
        .as_str()
        .and_then(|t| t.parse().ok())
        .unwrap_or_else(|| panic!("not an address: {value}"))
}

/// The DNS messages as they arrived: sagan decodes `abuf` and finds the A (and AAAA)
/// records the JSON document lists, NOERROR, from the server asked.
#[test]
fn sagan_decodes_the_dns_answers_netlab_received() {
    let Some(python) = sagan_python() else { return };
    let lab = lab!(LabConfig::default());
    let (v4, v6) = (lab.dest_v4().to_string(), lab.dest_v6().to_string());
    let server = "198.18.100.53";
    // One type: one `result`. A+AAAA: a `resultset` of two. TCP: proto TCP.
    for (extra, types) in [
        (&["-t", "A"][..], &["A"][..]),
        (&[][..], &["A", "AAAA"][..]),
        (&["--tcp", "-4"][..], &["A"][..]),
    ] {
        let mut args = vec!["resolve", "--format", "atlas", "--server", server];
        args.extend_from_slice(extra);
        args.push("www.netlab.test");
        let (figures, atlas, doc) = run(&lab, &python, &args);
        assert_eq!(figures.len(), 1, "{atlas}");
        let responses = figures[0]["responses"].as_array().unwrap();
        assert_eq!(responses.len(), types.len(), "{atlas}");
        let answers = doc["queries"][0]["answers"].as_array().unwrap();
        for (response, kind) in responses.iter().zip(types) {
            assert_eq!(response["rcode"], "NOERROR");
            assert_eq!(response["is_error"], false);
            assert_eq!(response["dst"], server);
            let tcp = extra.contains(&"--tcp");
            assert_eq!(response["proto"], if tcp { "TCP" } else { "UDP" });
            assert_eq!(
                response["questions"],
                serde_json::json!([["www.netlab.test.", kind]])
            );
            let decoded: Vec<(String, IpAddr, u64)> = response["answers"]
                .as_array()
                .unwrap()
                .iter()
                .map(|a| {
                    (
                        a[1].as_str().unwrap().to_string(),
                        addr(&a[2]),
                        a[3].as_u64().unwrap(),
                    )
                })
                .collect();
            let listed: Vec<(String, IpAddr, u64)> = answers
                .iter()
                .filter(|a| a["type"] == *kind)
                .map(|a| {
                    (
                        a["type"].as_str().unwrap().to_string(),
                        addr(&a["value"]),
                        a["ttl"].as_u64().unwrap(),
                    )
                })
                .collect();
            assert_eq!(decoded, listed, "{atlas}");
            let want = if *kind == "A" { &v4 } else { &v6 };
            assert_eq!(decoded[0].1, want.parse::<IpAddr>().unwrap());
            assert!(response["size"].as_u64().unwrap() > 12);
            assert!(response["rt"].as_f64().unwrap() > 0.0);
        }
    }
}

/// The parser is as strict as the tests say: an unknown firmware (a malformation) and a
/// hop answered with an ICMP error (an error) make it fail, so a result netlab got wrong
/// cannot pass unnoticed. Runs on this host only (no packets).
#[test]
fn sagan_fails_on_malformed_and_erroneous_results() {
    let Some(python) = sagan_python() else { return };
    let header = r#""timestamp": 1700000000, "msm_id": 0, "prb_id": 0, "from": "", "dst_addr": "198.18.2.2""#;
    for bad in [
        format!(r#"[{{{header}, "fw": 0, "type": "ping", "result": []}}]"#),
        format!(
            r#"[{{{header}, "fw": 5000, "type": "traceroute", "proto": "UDP", "result":
               [{{"hop": 1, "result": [{{"from": "198.18.0.2", "rtt": 1.0, "err": "H"}}]}}]}}]"#
        ),
        format!(
            r#"[{{{header}, "fw": 5000, "type": "traceroute", "proto": "SCTP", "result": []}}]"#
        ),
    ] {
        let dir = tempfile::tempdir().unwrap();
        let file = dir.path().join("bad.json");
        std::fs::write(&file, &bad).unwrap();
        let out = Command::new(&python)
            .args(["-c", SAGAN_SCRIPT])
            .arg(&file)
            .output()
            .unwrap();
        assert!(!out.status.success(), "sagan accepted {bad}");
    }
}

/// connect, serve and check have no Atlas result type: one clear error, exit 2, nothing
/// on stdout, before anything is sent or bound.
#[test]
fn commands_without_an_atlas_type_refuse_it() {
    for (command, args) in [
        (
            "connect",
            &["connect", "--format", "atlas", "localhost:7"][..],
        ),
        ("serve", &["serve", "--format", "atlas", "7000"][..]),
        ("check", &["check", "--format", "atlas", "localhost"][..]),
    ] {
        let out = crate::util::netlab(args);
        assert_eq!(out.status.code(), Some(2), "{args:?}");
        assert!(out.stdout.is_empty(), "{args:?}");
        assert_eq!(
            stderr(&out),
            format!(
                "netlab: {command} --format atlas: {command} has no RIPE Atlas result type \
                 (ping, trace and resolve have)\nhint: use --format table or --format json\n"
            ),
            "{args:?}"
        );
    }
}

/// Without CAP_NET_RAW, TCP probes are separate connect()s, each from its own port:
/// `paris_id` 0 (classic traceroute), and the path is still the lab's.
#[test]
fn unprivileged_tcp_traces_say_they_are_not_one_flow() {
    let Some(python) = sagan_python() else { return };
    let lab = lab!(LabConfig::default());
    let dest = lab.dest_v4().to_string();
    let args = ["trace", "-n", "-T", "--format", "atlas", dest.as_str()];
    let out = lab.netlab_as(crate::lab::NOBODY, &args);
    let ctx = context(&args, &out);
    assert_eq!(out.status.code(), Some(0), "{ctx}");
    let figures = sagan(&python, &out.stdout, &[], &ctx);
    let fig = &figures[0];
    assert_eq!(fig["paris_id"], 0, "{ctx}");
    assert_eq!(fig["proto"], "TCP");
    assert_eq!(fig["responded"], true);
    let first: Vec<String> = fig["ip_path"]
        .as_array()
        .unwrap()
        .iter()
        .map(|hop| hop[0].as_str().unwrap_or("*").to_string())
        .collect();
    let want: Vec<String> = vec![
        lab.hop_v4(1).to_string(),
        lab.hop_v4(2).to_string(),
        dest.clone(),
    ];
    assert_eq!(first, want, "{ctx}");
}

/// Queries without an answer are results that say so, well-formed for sagan (which
/// records them as errors): SERVFAIL carries the server's message (rcode 2 in `abuf`),
/// a silent server is a timeout, an /etc/hosts answer has no DNS message to show.
#[test]
fn dns_results_without_an_answer_say_why() {
    use base64::Engine as _;
    let Some(python) = sagan_python() else { return };
    let lab = lab!(LabConfig::default());
    let run = |line: &str| {
        let args: Vec<&str> = line.split_whitespace().collect();
        let out = lab.netlab(&args);
        let ctx = context(&args, &out);
        let atlas = json(&out);
        let figures = sagan(&python, &out.stdout, &["errors-ignored"], &ctx);
        (out.status.code(), atlas[0].clone(), figures[0].clone(), ctx)
    };
    let (code, servfail, fig, ctx) =
        run("resolve --format atlas --server 198.18.100.53 -t A servfail.netlab.test");
    assert_eq!(code, Some(1), "{ctx}");
    // Sagan judges the message when it decodes it: the response is the error.
    assert_eq!(fig["responses"][0]["is_error"], true, "{ctx}");
    let abuf = base64::engine::general_purpose::STANDARD
        .decode(servfail["result"]["abuf"].as_str().expect("abuf"))
        .expect("base64");
    assert_eq!(abuf[3] & 0x0f, 2, "rcode SERVFAIL: {ctx}");
    assert_eq!(fig["responses"][0]["rcode"], "SERVFAIL");

    let (code, silent, fig, ctx) =
        run("resolve --format atlas --server 198.18.100.53 -t A -W 0.3 silent.netlab.test");
    assert_eq!(code, Some(1), "{ctx}");
    assert_eq!(fig["is_error"], true, "{ctx}");
    assert!(
        silent["error"]["timeout"].as_f64().unwrap() >= 300.0,
        "{ctx}"
    );
    assert!(silent.get("result").is_none() && silent.get("resultset").is_none());

    let (code, hosts, fig, ctx) = run("resolve --format atlas override");
    assert_eq!(code, Some(0), "{ctx}");
    assert_eq!(fig["is_error"], true, "{ctx}");
    assert!(
        hosts["error"]["hosts"]
            .as_str()
            .unwrap()
            .contains("/etc/hosts"),
        "{ctx}"
    );
    assert_eq!(hosts["dst_addr"], "");
}
