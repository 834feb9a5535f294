//! `netlab ping --watch` on a real terminal (tmux, see `tmux.rs`): three targets in the
//! lab — router 1 (a clean path), `www.netlab.test` (the destination, behind router 2,
//! which drops one in five of the packets it forwards) and an address the last router
//! reports unreachable (errors only: down) — the keys, a resize, and the three ways out
//! (`q`, Ctrl-C, SIGTERM), each leaving the terminal as it was with the summary printed;
//! router 1 is given as an address and shown by its reverse name from the lab's DNS.
//! Every check of a picture is the condition its wait polls for (bounded by the pane's
//! timeout), never a look at one capture, which may catch a picture being written.
//! And without a terminal (loopback only): the plain rows, or the NDJSON stream.

use crate::lab::impair::Impairment;
use crate::lab::{lab, Lab, LabConfig, Role};
use crate::tmux::{wrapped, Tmux};
use crate::util::{assert_one_line_error, netlab, stderr, stdout};

const LOSSY: &str = "www.netlab.test";
/// Router 1's reverse name (it is given as an address): the client's hosts file names
/// it so ([`Lab::client_hosts_file`]; getnameinfo reads it before the lab's DNS).
const CLEAN: &str = "override.netlab.test";
/// The destination's reverse name there, shown beside the address that answers for
/// LOSSY.
const DEST: &str = "hostsonly.netlab.test";

/// The words of `target`'s row in the view's table (not its chart lane, nor the title,
/// which reads `ping TARGET every ...` when there is one target).
pub(crate) fn row(screen: &str, target: &str) -> Option<Vec<String>> {
    screen
        .lines()
        .skip(1)
        .filter(|l| !l.contains('┆'))
        .map(|l| l.split_whitespace().map(String::from).collect::<Vec<_>>())
        .find(|w| w.len() > 6 && w[1] == target)
}

/// A column of `target`'s row: 0 marker, 1 target, 2 state, 3 loss%, 4 win%, 5 sent,
/// 6 recv.
fn cell(screen: &str, target: &str, column: usize) -> Option<String> {
    row(screen, target).map(|w| w[column].clone())
}

pub(crate) const STATE: usize = 2;
pub(crate) const LOSS: usize = 3;
pub(crate) const SENT: usize = 5;
pub(crate) const RECV: usize = 6;

pub(crate) fn number(screen: &str, target: &str, column: usize) -> f64 {
    cell(screen, target, column)
        .and_then(|c| c.parse().ok())
        .unwrap_or(-1.0)
}

/// The targets' markers, in command-line order: router 1, the lossy one, the down one.
const MARKERS: [&str; 3] = ["●", "◆", "▲"];

/// The lane (time axis) of target `i`.
fn lane(screen: &str, i: usize) -> Option<&str> {
    screen
        .lines()
        .find(|l| l.contains('┆') && l.starts_with(MARKERS[i]))
}

fn start_watch(lab: &Lab, tmux: &Tmux, extra: &str) -> String {
    let clean = lab.hop_v4(1).to_string();
    let down = lab.unreachable_v4().to_string();
    tmux.type_line(&wrapped(&format!(
        "ip netns exec {} {} ping -4 --watch -i 0.2 {extra} {clean} {LOSSY} {down}",
        lab.ns(Role::Client),
        env!("CARGO_BIN_EXE_netlab"),
    )));
    let screen = tmux.wait_for(
        "the view with replies, router 1 by name, a loss on the lossy lane and the \
         unreachable target down",
        |s| {
            number(s, CLEAN, RECV) > 0.0
                && number(s, LOSSY, RECV) > 0.0
                && lane(s, 1).is_some_and(|l| l.contains('×'))
                && cell(s, &down, STATE).as_deref() == Some("DOWN")
        },
    );
    assert_eq!(tmux.format("#{alternate_on}"), "1", "{screen}");
    screen
}

/// After the view: the terminal as it was, the summary printed, exit 1 (one target
/// never answered).
fn assert_restored_with_the_summary(tmux: &Tmux, how: &str) {
    let screen = tmux.wait_exit();
    let ctx = format!("after {how}:\n{screen}");
    assert!(screen.lines().any(|l| l == "EXIT=1 TTY=same"), "{ctx}");
    tmux.assert_screen_back(&ctx);
    let history = tmux.history();
    assert!(history.contains("before-the-view"), "{ctx}");
    assert!(
        !history.contains("window 60 s"),
        "the view is gone:\n{history}"
    );
    let summary: Vec<&str> = history
        .lines()
        .filter(|l| l.contains(LOSSY) && l.contains('%'))
        .collect();
    assert_eq!(summary.len(), 1, "the summary row of {LOSSY}:\n{history}");
    assert!(history.contains("jitter"), "the summary table:\n{history}");
    tmux.wait_prompt_after_exit();
}

#[test]
fn the_ping_view_charts_loss_answers_its_keys_and_restores_the_terminal() {
    // Router 2 drops one in five of the packets it forwards (requests and replies):
    // about 40% of the destination's probes are lost, none of router 1's.
    let lab = lab!(LabConfig::default()
        .routers(3)
        .impair(Impairment::ForwardingDropEvery {
            router: 2,
            every: 5
        }));
    let tmux = Tmux::new(150, 40);
    let clean = lab.hop_v4(1).to_string();
    assert_eq!(
        lab.hosts_override_v4(),
        lab.hop_v4(1),
        "{CLEAN} is router 1"
    );
    assert_eq!(
        lab.hosts_only_v4(),
        lab.dest_v4(),
        "{DEST} is the destination"
    );

    start_watch(&lab, &tmux, "");
    let dest = lab.dest_v4().to_string();
    tmux.wait_for(
        "the title, the keys, errors and DOWN on the unreachable target's lane, nothing on \
         router 1's, the destination's name beside its address",
        |s| {
            let title = s.lines().next().unwrap_or_default();
            let help = s.lines().last().unwrap_or_default();
            // Errors on the unreachable target's lane (and losses too, once the router's
            // rate limit of unreachables bites); nothing on the clean one.
            let down_lane = lane(s, 2).is_some_and(|l| l.contains('!') && l.contains("DOWN"));
            let clean_lane = lane(s, 0).is_some_and(|l| !l.contains('×') && !l.contains('!'));
            let from = row(s, LOSSY).is_some_and(|w| {
                w.windows(2)
                    .any(|p| p[0] == dest && p[1] == format!("({DEST})"))
            });
            title.contains("window 60 s")
                && help.starts_with("q quit · p pause")
                && down_lane
                && clean_lane
                && from
        },
    );
    // The lossy target's loss settles near 40% (one in five packets, two per probe).
    tmux.wait_for(
        "25 probes to the lossy target, 15 to 65% of them lost, none of router 1's",
        |s| {
            number(s, LOSSY, SENT) >= 25.0
                && (15.0..=65.0).contains(&number(s, LOSSY, LOSS))
                && cell(s, CLEAN, LOSS).as_deref() == Some("0.0")
        },
    );

    // The window, the scale, names.
    tmux.keys("+");
    tmux.wait_for("a 2 min window", |s| s.contains("window 2 min"));
    tmux.keys("-");
    tmux.keys("-");
    tmux.wait_for("a 30 s window", |s| s.contains("window 30 s"));
    tmux.keys("l");
    let title = |s: &str| s.lines().next().unwrap_or_default().to_string();
    tmux.wait_for("the log scale", |s| title(s).contains("· log scale"));
    tmux.keys("l");
    tmux.wait_for("the linear scale", |s| !title(s).contains("log scale"));
    tmux.keys("n");
    tmux.wait_for("addresses instead of names, reverse names gone", |s| {
        row(s, &dest).is_some()
            && row(s, &clean).is_some()
            && row(s, LOSSY).is_none()
            && !s.contains(CLEAN)
            && !s.contains(DEST)
    });
    tmux.keys("n");
    tmux.wait_for("names again", |s| {
        row(s, LOSSY).is_some() && row(s, CLEAN).is_some() && s.contains(DEST)
    });

    // Pause freezes the picture; reset starts the figures again.
    tmux.keys("p");
    let screen = tmux.wait_for_still("the paused picture", |s| {
        s.contains("PAUSED (p resumes)") && number(s, CLEAN, SENT) > 0.0
    });
    let sent = number(&screen, CLEAN, SENT);
    // Still the same figure 1.5 s (seven probes) later: frozen.
    std::thread::sleep(std::time::Duration::from_millis(1500));
    let screen = tmux.screen();
    assert_eq!(number(&screen, CLEAN, SENT), sent, "frozen:\n{screen}");
    // Space pauses and resumes as p does.
    tmux.keys("Space");
    tmux.wait_for("figures moving again", |s| {
        !s.contains("PAUSED") && number(s, CLEAN, SENT) > sent
    });
    tmux.keys("r");
    tmux.wait_for("the reset, fewer probes counted than before it", |s| {
        s.contains("since reset") && (0.0..sent).contains(&number(s, CLEAN, SENT))
    });

    // A smaller terminal: drawn again to its size, the keys' line at the bottom.
    tmux.run(&["resize-window", "-x", "100", "-y", "24"]);
    tmux.wait_for("the view redrawn for 100×24", |s| {
        let lines: Vec<&str> = s.lines().collect();
        lines.len() == 24
            && lines[23].starts_with("q quit")
            && lines.iter().all(|l| l.chars().count() <= 100)
            && lane(s, 1).is_some()
    });
    tmux.run(&["resize-window", "-x", "150", "-y", "40"]);
    tmux.wait_for("the view at 150×40 again", |s| row(s, LOSSY).is_some());

    tmux.keys("q");
    assert_restored_with_the_summary(&tmux, "q");

    // Ctrl-C, with --plot: the chart of the whole run is drawn to the file at the end.
    tmux.clear();
    let dir = tempfile::tempdir().unwrap();
    let svg = dir.path().join("watch.svg");
    start_watch(&lab, &tmux, &format!("--plot {}", svg.display()));
    tmux.keys("C-c");
    assert_restored_with_the_summary(&tmux, "Ctrl-C");
    let picture = std::fs::read_to_string(&svg).expect("the --plot file");
    assert!(picture.starts_with("<svg"), "{picture:.200}");
    for label in [lab.hop_v4(1).to_string().as_str(), LOSSY] {
        assert!(picture.contains(label), "no series of {label} in the plot");
    }
    // Replies as circles, the lossy target's losses as triangles along the top.
    assert!(picture.contains("<circle") && picture.contains("<polygon"));

    // Esc.
    tmux.clear();
    start_watch(&lab, &tmux, "");
    tmux.keys("Escape");
    assert_restored_with_the_summary(&tmux, "Esc");

    tmux.clear();
    start_watch(&lab, &tmux, "");
    let netlab = tmux.child("netlab");
    // SAFETY: a signal to a process this test started.
    assert_eq!(unsafe { libc::kill(netlab, libc::SIGTERM) }, 0);
    assert_restored_with_the_summary(&tmux, "SIGTERM");
}

#[test]
fn without_a_terminal_watch_is_the_rows_and_json_a_stream() {
    // Rows, then the summary, as without --watch.
    let out = netlab(&["ping", "--watch", "-n", "-c", "2", "-i", "0.2", "127.0.0.1"]);
    assert_eq!(out.status.code(), Some(0), "{}", stderr(&out));
    let text = stdout(&out);
    assert!(text.lines().next().unwrap().contains("seq"), "{text}");
    assert!(text.contains("jitter") && !text.contains('\x1b'), "{text}");

    // NDJSON: one object per reply as it arrives, the summary last.
    let out = netlab(&[
        "ping",
        "--watch",
        "--json",
        "-c",
        "3",
        "-i",
        "0.2",
        "127.0.0.1",
    ]);
    assert_eq!(out.status.code(), Some(0), "{}", stderr(&out));
    let lines: Vec<serde_json::Value> = stdout(&out)
        .lines()
        .map(|l| serde_json::from_str(l).expect("one JSON object per line"))
        .collect();
    assert_eq!(lines.len(), 4, "{lines:?}");
    for (i, reply) in lines[..3].iter().enumerate() {
        assert_eq!(reply["type"], "reply");
        assert_eq!(reply["seq"], i as u64 + 1);
        assert!(reply["rtt_ms"].as_f64().unwrap() > 0.0);
    }
    assert_eq!(lines[3]["type"], "summary");
    assert_eq!(lines[3]["summary"][0]["received"], 3);

    // Atlas is one document: refused with --watch.
    let out = netlab(&["ping", "--watch", "--format", "atlas", "127.0.0.1"]);
    assert_eq!(out.status.code(), Some(2));
    assert_one_line_error(&out, "ping --watch --format atlas");
}

/// Prints the view as the README shows it (not a check):
/// `cargo test --test it ping_live::readme_screen -- --ignored --nocapture`.
#[test]
#[ignore]
fn readme_screen() {
    let lab = lab!(LabConfig::default()
        .routers(3)
        .link_delay(std::time::Duration::from_millis(2))
        .impair(Impairment::ForwardingLoss {
            router: 2,
            probability: 0.1
        }));
    let tmux = Tmux::new(120, 30);
    tmux.type_line(&format!(
        "ip netns exec {} {} ping -4 --watch -i 0.2 {} {LOSSY} {}",
        lab.ns(Role::Client),
        env!("CARGO_BIN_EXE_netlab"),
        lab.hop_v4(1),
        lab.unreachable_v4(),
    ));
    tmux.wait_for("200 probes", |s| number(s, LOSSY, SENT) >= 200.0);
    println!("{}", tmux.screen());
    tmux.keys("q");
    tmux.wait_for("the summary", |s| s.contains("received"));
    println!("{}", tmux.history());
}
