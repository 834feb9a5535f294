//! `netlab ping --watch` with the flags that change what is sent or to whom (`-s`, `-t`,
//! `-I`, `--file`, `-4/-6`, `-i`, many targets), as root and as nobody on an ICMP
//! datagram socket (the client namespace's `ping_group_range` opened). The flags'
//! meaning is checked on the NDJSON stream (`--watch --json` without a terminal, the
//! cheap deterministic path), with tcpdump at the destination as the witness that `-s`
//! reaches the wire; one tmux run shows the full-screen view unprivileged, with `-t 1`
//! marking the router's answers as errors, not losses.

use std::process::Output;

use serde_json::Value;

use crate::lab::{lab, Lab, LabConfig, Role, NOBODY};
use crate::ping_live::{number as num, row, LOSS, RECV, SENT, STATE};
use crate::tmux::{wrapped, Tmux};
use crate::util::running::Running;
use crate::util::{assert_no_capabilities, assert_one_line_error, s, stderr, stdout};

/// `netlab ping --watch --json -n ARGS` as root (`None`) or `uid`, and its NDJSON lines.
fn stream(lab: &Lab, uid: Option<u32>, args: &[&str]) -> (Output, Vec<Value>) {
    let mut full = vec!["ping", "--watch", "--json", "-n"];
    full.extend_from_slice(args);
    let out = lab.netlab_maybe_as(uid, &full);
    let lines = stdout(&out)
        .lines()
        .map(|l| serde_json::from_str(l).unwrap_or_else(|e| panic!("{e}: {l}")))
        .collect();
    (out, lines)
}

/// Asserts `out`'s exit code, with `what` and its stderr in the failure.
fn exits(out: &Output, code: i32, what: &str) {
    assert_eq!(out.status.code(), Some(code), "{what}: {}", stderr(out));
}

fn of_type<'a>(lines: &'a [Value], kind: &str) -> Vec<&'a Value> {
    lines.iter().filter(|l| l["type"] == kind).collect()
}

/// The summary line's rows (the stream's last line).
fn summary(lines: &[Value]) -> &Vec<Value> {
    let last = lines.last().expect("a summary line");
    assert_eq!(last["type"], "summary", "{lines:#?}");
    last["summary"].as_array().expect("summary rows")
}

#[test]
fn watch_json_carries_size_ttl_file_family_interval_and_interface_for_root_and_nobody() {
    let lab = lab!(LabConfig::default());
    let dest = s(lab.dest_v4());
    let dest6 = s(lab.dest_v6());

    // Nobody without ping_group_range: the same one-line refusal as without --watch.
    let (out, _) = stream(&lab, Some(NOBODY), &["-c", "1", &dest]);
    exits(&out, 2, "nobody without ping_group_range");
    assert_one_line_error(&out, "--watch unprivileged without ping_group_range");
    assert!(
        stderr(&out).contains("ping_group_range"),
        "{}",
        stderr(&out)
    );
    lab.sysctl(Role::Client, "net.ipv4.ping_group_range", "0 2147483647");

    for (uid, who) in [(None, "root"), (Some(NOBODY), "nobody")] {
        // -s 300: 308-byte ICMP replies in the stream, and 300-byte payloads on the
        // destination's wire (tcpdump prints the ICMP echo's payload length).
        let capture = lab.capture(Role::Dest, &format!("icmp and host {dest}"));
        let (out, lines) = stream(&lab, uid, &["-s", "300", "-c", "2", "-i", "0.2", &dest]);
        let (_, seen) = capture.stop();
        exits(&out, 0, who);
        let replies = of_type(&lines, "reply");
        assert_eq!(replies.len(), 2, "{who}: {lines:#?}");
        for r in &replies {
            assert_eq!(r["bytes"], 308, "{who}: {r}");
            assert_eq!(r["from"], dest, "{who}: {r}");
        }
        let requests = seen
            .lines()
            .filter(|l| l.contains("echo request") && l.contains("length 308"))
            .count();
        assert_eq!(requests, 2, "{who}: -s 300 on the wire:\n{seen}");

        // -t 1: router 1 answers time exceeded; errors, not replies, and exit 1.
        let (out, lines) = stream(&lab, uid, &["-t", "1", "-c", "2", "-i", "0.2", &dest]);
        exits(&out, 1, who);
        let errors = of_type(&lines, "error");
        assert_eq!(errors.len(), 2, "{who} -t 1: {lines:#?}");
        for e in &errors {
            assert_eq!(e["from"], s(lab.router_v4(1)), "{who}: {e}");
            assert_eq!(e["kind"], "time_exceeded", "{who}: {e}");
        }
        assert!(of_type(&lines, "reply").is_empty(), "{who}: {lines:#?}");
        let row = &summary(&lines)[0];
        assert_eq!((&row["errors"], &row["received"]), (&2.into(), &0.into()));

        // --file: its targets (three, one a name), each with its replies and its row.
        let dir = tempfile::tempdir().unwrap();
        use std::os::unix::fs::PermissionsExt;
        std::fs::set_permissions(dir.path(), std::fs::Permissions::from_mode(0o755)).unwrap();
        let file = dir.path().join("targets");
        std::fs::write(
            &file,
            format!("# lab\n{dest}\n{}\nwww.netlab.test\n", lab.hop_v4(1)),
        )
        .unwrap();
        std::fs::set_permissions(&file, std::fs::Permissions::from_mode(0o644)).unwrap();
        let file = file.to_str().unwrap();
        let (out, lines) = stream(&lab, uid, &["-4", "--file", file, "-c", "2", "-i", "0.2"]);
        exits(&out, 0, who);
        let rows = summary(&lines);
        let targets: Vec<&str> = rows.iter().map(|r| r["target"].as_str().unwrap()).collect();
        assert_eq!(
            targets,
            [dest.as_str(), &s(lab.hop_v4(1)), "www.netlab.test"],
            "{who}"
        );
        for row in rows {
            assert_eq!(row["received"], 2, "{who}: {row}");
        }
        assert_eq!(of_type(&lines, "reply").len(), 6, "{who}: {lines:#?}");

        // -4 / -6 on a name with both: the family's address answers.
        for (flag, want) in [("-4", &dest), ("-6", &dest6)] {
            let (out, lines) = stream(&lab, uid, &[flag, "-c", "1", "www.netlab.test"]);
            exits(&out, 0, &format!("{who} {flag}"));
            assert_eq!(of_type(&lines, "reply")[0]["from"], **want, "{who} {flag}");
            assert_eq!(summary(&lines)[0]["address"], **want, "{who} {flag}");
        }

        // -i 0.3: the replies arrive about 0.3 s apart (0.9 s for three gaps, with room for
        // a loaded machine), not at the default second (3 s).
        let (out, lines) = stream(&lab, uid, &["-i", "0.3", "-c", "4", &dest]);
        exits(&out, 0, who);
        let times: Vec<f64> = of_type(&lines, "reply")
            .iter()
            .map(|r| r["unix_time"].as_f64().unwrap())
            .collect();
        assert_eq!(times.len(), 4, "{who}: {lines:#?}");
        let span = times[3] - times[0];
        assert!(
            (0.6..2.5).contains(&span),
            "{who}: -i 0.3, 3 gaps in {span} s"
        );

        // -I: bound to the client's address or its interface the replies come; bound to
        // loopback, the probes never leave (no reply, a timeout line, exit 1).
        for (bind, target) in [
            (s(lab.client_v4()), &dest),
            ("east".to_string(), &dest),
            (s(lab.client_v6()), &dest6),
        ] {
            let (out, lines) = stream(&lab, uid, &["-I", &bind, "-c", "1", target]);
            exits(&out, 0, &format!("{who} -I {bind}"));
            assert_eq!(
                of_type(&lines, "reply")[0]["from"],
                **target,
                "{who} -I {bind}"
            );
        }
        let (out, lines) = stream(&lab, uid, &["-I", "lo", "-c", "1", "-W", "0.3", &dest]);
        exits(&out, 1, &format!("{who} -I lo"));
        assert!(of_type(&lines, "reply").is_empty(), "{who}: {lines:#?}");
        assert_eq!(of_type(&lines, "timeout").len(), 1, "{who}: {lines:#?}");
        assert_eq!(summary(&lines)[0]["received"], 0, "{who}");

        // The same over IPv6: -t 1 router 1's time exceeded (-I is above); and -s past the
        // link's MTU (fragments, reassembled: the whole reply).
        let (out, lines) = stream(&lab, uid, &["-t", "1", "-c", "2", "-i", "0.2", &dest6]);
        exits(&out, 1, &format!("{who} -6 -t 1"));
        let errors = of_type(&lines, "error");
        assert_eq!(errors.len(), 2, "{who} -6 -t 1: {lines:#?}");
        assert!(
            errors.iter().all(|e| e["from"] == s(lab.router_v6(1))),
            "{errors:?}"
        );
        for target in [&dest, &dest6] {
            let (out, lines) = stream(&lab, uid, &["-s", "3000", "-c", "1", target]);
            exits(&out, 0, &format!("{who} -s 3000"));
            assert_eq!(of_type(&lines, "reply")[0]["bytes"], 3008, "{who} {target}");
        }
    }
}

/// The full-screen view run by nobody (ICMP datagram sockets) with `-s`, `-I` and many
/// targets from `--file`; then with `-t 1`, the router's time-exceeded marked `!`
/// (errors), never `×` (losses); then `-6 -c 5`, which ends by itself.
#[test]
fn the_view_runs_unprivileged_with_size_interface_file_ttl_and_v6() {
    let lab = lab!(LabConfig::default());
    lab.sysctl(Role::Client, "net.ipv4.ping_group_range", "0 2147483647");
    let dest = s(lab.dest_v4());
    let hop = s(lab.hop_v4(1));
    let dir = tempfile::tempdir().unwrap();
    use std::os::unix::fs::PermissionsExt;
    std::fs::set_permissions(dir.path(), std::fs::Permissions::from_mode(0o755)).unwrap();
    let file = dir.path().join("targets");
    std::fs::write(&file, format!("{hop}\n{dest}\n")).unwrap();
    std::fs::set_permissions(&file, std::fs::Permissions::from_mode(0o644)).unwrap();
    let nobody = format!(
        "ip netns exec {} setpriv --reuid={NOBODY} --regid={NOBODY} --clear-groups \
         --inh-caps=-all {} ping -n -4 --watch -i 0.2",
        lab.ns(Role::Client),
        env!("CARGO_BIN_EXE_netlab"),
    );
    let tmux = Tmux::new(150, 40);
    tmux.type_line(&wrapped(&format!(
        "{nobody} -s 300 -I east --file {}",
        file.display()
    )));
    tmux.wait_for("both targets answering nobody, no loss, in the view", |s| {
        num(s, &hop, RECV) >= 3.0
            && num(s, &dest, RECV) >= 3.0
            && row(s, &hop).is_some_and(|w| w[LOSS] == "0.0")
            && row(s, &dest).is_some_and(|w| w[LOSS] == "0.0")
            && s.contains("window 60 s")
    });
    assert_eq!(tmux.format("#{alternate_on}"), "1");
    // The view's process is nobody's, with no capability: a datagram socket, not raw.
    let pid = tmux.child("netlab");
    let status = std::fs::read_to_string(format!("/proc/{pid}/status")).unwrap();
    let uid = status.lines().find(|l| l.starts_with("Uid:")).unwrap();
    assert_eq!(
        uid.split_whitespace().nth(2),
        Some(NOBODY.to_string().as_str()),
        "{uid}"
    );
    assert_no_capabilities(pid);
    tmux.keys("q");
    let screen = tmux.wait_exit();
    assert!(screen.lines().any(|l| l == "EXIT=0 TTY=same"), "{screen}");
    tmux.assert_screen_back(&screen);
    tmux.wait_prompt_after_exit();

    tmux.clear();
    tmux.type_line(&wrapped(&format!("{nobody} -t 1 {dest}")));
    let lane = |s: &str| -> String {
        s.lines()
            .find(|l| l.contains('┆') && l.starts_with('●'))
            .unwrap_or_default()
            .to_string()
    };
    let screen = tmux.wait_for("ten probes, errors (!) on the lane, the row DOWN", |s| {
        num(s, &dest, SENT) >= 10.0
            && lane(s).contains('!')
            && row(s, &dest).is_some_and(|w| w[STATE] == "DOWN")
    });
    assert!(
        !lane(&screen).contains('×'),
        "errors, not losses:\n{screen}"
    );
    tmux.keys("q");
    let screen = tmux.wait_exit();
    assert!(screen.lines().any(|l| l == "EXIT=1 TTY=same"), "{screen}");
    tmux.assert_screen_back(&screen);

    tmux.wait_prompt_after_exit();

    // -6 and -c: the view of a name's IPv6 address ends by itself after five probes,
    // the terminal restored, the summary row of the address with all five answered.
    tmux.clear();
    let dest6 = s(lab.dest_v6());
    tmux.type_line(&wrapped(&format!(
        "{} -c 5 www.netlab.test",
        nobody.replace(" -4 ", " -6 ")
    )));
    let screen = tmux.wait_exit();
    assert!(screen.lines().any(|l| l == "EXIT=0 TTY=same"), "{screen}");
    tmux.assert_screen_back(&screen);
    let history = tmux.history();
    let summary: Vec<&str> = history
        .lines()
        .map(|l| l.split_whitespace().collect::<Vec<_>>())
        .find(|w| w.len() > 3 && w[1] == dest6)
        .unwrap_or_else(|| panic!("no summary row of {dest6}:\n{history}"));
    assert_eq!((summary[2], summary[3]), ("5", "5"), "{history}");
}

/// An endless `--watch --json` stream of nobody's, piped: SIGINT ends it with the
/// summary as its last line, counting what was streamed.
#[test]
fn an_unprivileged_watch_stream_stops_on_sigint_with_its_summary() {
    let lab = lab!(LabConfig::default());
    lab.sysctl(Role::Client, "net.ipv4.ping_group_range", "0 2147483647");
    let dest = s(lab.dest_v4());
    let cmd = lab.netlab_command_as(
        Some(NOBODY),
        &[
            "ping", "--watch", "--json", "-n", "-i", "0.2", "-s", "100", &dest,
        ],
    );
    let mut run = Running::spawn("nobody's ping --watch --json", cmd);
    for _ in 0..3 {
        let line: Value = serde_json::from_str(&run.wait_stdout("\"reply\"")).unwrap();
        assert_eq!(line["bytes"], 108, "{line}");
    }
    run.signal(libc::SIGINT);
    let (status, lines, err) = run.wait();
    assert_eq!(status.code(), Some(0), "{err:?}");
    let lines: Vec<Value> = lines
        .iter()
        .map(|l| serde_json::from_str(l).unwrap_or_else(|e| panic!("{e}: {l}")))
        .collect();
    let replies = of_type(&lines, "reply").len() as u64;
    let row = &summary(&lines)[0];
    assert!(replies >= 3, "{lines:#?}");
    assert_eq!(row["received"], replies, "{lines:#?}");
}
