//! `netlab trace --watch` on a real terminal: tmux runs it in a pane (a pty and a real
//! terminal emulator), the test types keys and reads the pane back. The lab path is
//! three routers (the destination at hop 4); tmux comes with the lab's tools.
//!
//! Every wait polls the pane until what is expected shows (`tmux.rs`), with a generous
//! bound for a hang (never a timing assertion): the machine is shared and slow.

use crate::lab::impair::Impairment;
use crate::lab::{lab, Lab, LabConfig, Role};
use crate::tmux::{wrapped, Tmux};

/// The words of the row of hop `ttl` in the live view's table.
fn row(screen: &str, ttl: u8) -> Option<Vec<String>> {
    screen
        .lines()
        .skip(2)
        .map(|l| l.split_whitespace().map(String::from).collect::<Vec<_>>())
        .find(|w| w.first().map(String::as_str) == Some(&ttl.to_string()))
}

/// The round number in the title (`None`: no title with a round on this capture).
fn round_of(screen: &str) -> Option<u64> {
    let title = screen.lines().next()?;
    let after = title.split(" · round ").nth(1)?;
    after.split_whitespace().next()?.parse().ok()
}

/// The clock in the title, in seconds.
fn clock_of(screen: &str) -> Option<u64> {
    let title = screen.lines().next()?;
    let hms = title.split(" · ").nth(2)?;
    hms.split_whitespace()
        .next()?
        .split(':')
        .try_fold(0, |acc, part| Some(acc * 60 + part.parse::<u64>().ok()?))
}

/// The view is up: the table, the destination's row with answers, names resolved.
fn view_is_up(screen: &str) -> bool {
    let dest = row(screen, 4);
    screen.contains("rtt history")
        && screen.contains("r2.netlab.test")
        && dest.is_some_and(|w| w.len() > 4 && w[4] != "0")
}

/// Types the watch command (recording the tty settings before and after) and waits for
/// the live view.
fn start_watch(lab: &Lab, tmux: &Tmux) -> String {
    let line = wrapped(&format!(
        "ip netns exec {} {} trace --watch -i 0.2 {}",
        lab.ns(Role::Client),
        env!("CARGO_BIN_EXE_netlab"),
        lab.dest_v4()
    ));
    tmux.type_line(&line);
    // Up, and hop 2's verdict shown (so the summary will have it too).
    let screen = tmux.wait_for(
        "the live view with hop 4 answering and hop 2's verdict",
        |s| view_is_up(s) && s.contains("  hop 2: replies_only: "),
    );
    assert_eq!(tmux.format("#{alternate_on}"), "1", "{screen}");
    screen
}

/// After the view: the main screen is back with what was on it, the cursor shown, the
/// tty as it was, the summary printed, the exit status 0.
fn assert_restored_with_the_summary(lab: &Lab, tmux: &Tmux, how: &str) {
    let screen = tmux.wait_exit();
    let ctx = format!("after {how}:\n{screen}");
    assert!(screen.lines().any(|l| l == "EXIT=0 TTY=same"), "{ctx}");
    tmux.assert_screen_back(&ctx);
    let history = tmux.history();
    // The line typed and the marker before the view are still there, the view is not.
    assert!(history.contains("before-the-view"), "{ctx}");
    assert!(!history.contains("rtt history"), "{ctx}");
    let dest = lab.dest_v4().to_string();
    assert!(
        history.contains(&format!(
            "trace to {dest}, udp port 33434, rounds until Ctrl-C"
        )),
        "{ctx}"
    );
    assert!(history.contains("loss: none in forwarding"), "{ctx}");
    assert!(history.contains("  hop 2: replies_only: "), "{ctx}");
    assert!(
        history
            .lines()
            .any(|l| l.starts_with(&format!("reached {dest} at hop 4 in "))),
        "{ctx}"
    );
    // The shell's prompt is back after the exit line.
    tmux.wait_prompt_after_exit();
}

#[test]
fn the_live_view_answers_its_keys_and_leaves_the_terminal_as_it_was() {
    // Router 2 drops every second time-exceeded it would send: hop 2 loses half its
    // answers, no later hop loses any (replies only).
    let lab = lab!(LabConfig::default()
        .routers(3)
        .impair(Impairment::ReplyDropEvery {
            router: 2,
            every: 2
        }));
    let tmux = Tmux::new(150, 40);

    // q, after p, r and n. Every check of a picture is the condition its wait polls
    // for (bounded by the pane's timeout), never a look at one capture: a capture may
    // catch a picture still being written, half new and half old.
    start_watch(&lab, &tmux);
    tmux.wait_for(
        "every hop's row and sparkline, losses on hop 2's only, hop 2's name and verdict",
        |s| {
            let help = s.lines().last().unwrap_or_default();
            let sparks = (1..=4).all(|ttl| {
                row(s, ttl).is_some_and(|words| {
                    let spark = words.last().unwrap();
                    let bars = if ttl == 2 {
                        "▁▂▃▄▅▆▇█×"
                    } else {
                        "▁▂▃▄▅▆▇█"
                    };
                    spark.chars().all(|c| bars.contains(c)) && (ttl != 2 || spark.contains('×'))
                })
            });
            view_is_up(s)
                && row(s, 2).is_some_and(|w| w[1] == "r2.netlab.test")
                && s.contains("loss: none in forwarding")
                && help.starts_with("q quit · p pause/resume")
                && sparks
                && !s.contains("  hop 3: ")
        },
    );

    tmux.keys("p");
    tmux.wait_for("the paused banner", |s| s.contains("PAUSED (p resumes)"));
    // Reset while paused: at most the round that was in flight is counted again.
    tmux.keys("r");
    let screen = tmux.wait_for("the reset, paused, at round 1 at most", |s| {
        s.contains("since reset") && s.contains("PAUSED") && round_of(s).is_some_and(|r| r <= 1)
    });
    // Paused, the clock goes on and the rounds do not (two redraws later, by the clock).
    let clock = clock_of(&screen).expect("a clock in the title");
    tmux.wait_for("the clock two seconds on, still at round 1 at most", |s| {
        clock_of(s).is_some_and(|c| c >= clock + 2) && round_of(s).is_some_and(|r| r <= 1)
    });
    tmux.keys("p");
    tmux.wait_for("rounds going on after the pause", |s| {
        !s.contains("PAUSED")
            && s.contains("since reset")
            && round_of(s).is_some_and(|r| r >= 3)
            && view_is_up(s)
    });

    tmux.keys("n");
    let hop2_addr = lab.hop_v4(2).to_string();
    let dest = lab.dest_v4().to_string();
    tmux.wait_for("addresses instead of names, everywhere", |s| {
        row(s, 2).is_some_and(|w| w[1] == hop2_addr)
            && row(s, 4).is_some_and(|w| w[1] == dest)
            && !s.contains("netlab.test")
    });
    tmux.keys("n");
    tmux.wait_for("names again", |s| {
        row(s, 2).is_some_and(|w| w[1] == "r2.netlab.test")
    });

    // A smaller terminal: the view is drawn again to its size, the keys' line at the bottom.
    tmux.run(&["resize-window", "-x", "110", "-y", "20"]);
    tmux.wait_for("the view redrawn for 110×20", |s| {
        let lines: Vec<&str> = s.lines().collect();
        lines.len() == 20
            && lines[19].starts_with("q quit")
            && lines.iter().all(|l| l.chars().count() <= 110)
            && row(s, 4).is_some_and(|w| w.len() > 4 && w[4] != "0")
    });
    tmux.run(&["resize-window", "-x", "150", "-y", "40"]);
    tmux.wait_for("the view at 150×40 again", view_is_up);

    tmux.keys("q");
    assert_restored_with_the_summary(&lab, &tmux, "q");

    // Ctrl-C.
    tmux.clear();
    start_watch(&lab, &tmux);
    tmux.keys("C-c");
    assert_restored_with_the_summary(&lab, &tmux, "Ctrl-C");

    // SIGTERM, to netlab (the shell's child: `ip netns exec` execs it).
    tmux.clear();
    start_watch(&lab, &tmux);
    let netlab = tmux.child("netlab");
    // SAFETY: a signal to a process this test started.
    assert_eq!(unsafe { libc::kill(netlab, libc::SIGTERM) }, 0);
    assert_restored_with_the_summary(&lab, &tmux, "SIGTERM");
}
