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

/// The round number in the title.
fn round_of(screen: &str) -> u64 {
    let title = screen.lines().next().unwrap_or_default();
    let after = title
        .split(" · round ")
        .nth(1)
        .expect("a round in the title");
    after.split_whitespace().next().unwrap().parse().unwrap()
}

/// The clock in the title, in seconds.
fn clock_of(screen: &str) -> u64 {
    let title = screen.lines().next().unwrap_or_default();
    let hms = title.split(" · ").nth(2).expect("a clock in the title");
    hms.split_whitespace()
        .next()
        .unwrap()
        .split(':')
        .fold(0, |acc, part| acc * 60 + part.parse::<u64>().unwrap())
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

    // q, after p, r and n.
    let screen = start_watch(&lab, &tmux);
    let hop2 = row(&screen, 2).unwrap();
    assert_eq!(hop2[1], "r2.netlab.test", "{screen}");
    assert!(screen.contains("loss: none in forwarding"), "{screen}");
    assert!(
        screen
            .lines()
            .last()
            .unwrap()
            .starts_with("q quit · p pause/resume"),
        "{screen}"
    );
    // Every hop has its row and a sparkline of answers; hop 2's has losses between them.
    for ttl in 1..=4 {
        let words = row(&screen, ttl).unwrap_or_else(|| panic!("no hop {ttl}\n{screen}"));
        let spark = words.last().unwrap();
        let bars = if ttl == 2 {
            "▁▂▃▄▅▆▇█×"
        } else {
            "▁▂▃▄▅▆▇█"
        };
        let ok = spark.chars().all(|c| bars.contains(c)) && (ttl != 2 || spark.contains('×'));
        assert!(ok, "hop {ttl}: {words:?}\n{screen}");
    }
    assert!(!screen.contains("  hop 3: "), "{screen}");
    assert!(screen.contains("loss: none in forwarding"), "{screen}");

    tmux.keys("p");
    tmux.wait_for("the paused banner", |s| s.contains("PAUSED (p resumes)"));
    // Reset while paused: at most the round that was in flight is counted again.
    tmux.keys("r");
    let screen = tmux.wait_for("the reset", |s| s.contains("since reset"));
    assert!(round_of(&screen) <= 1, "{screen}");
    assert!(screen.contains("PAUSED"), "{screen}");
    // Paused, the clock goes on and the rounds do not (two redraws later, by the clock).
    let clock = clock_of(&screen);
    let screen = tmux.wait_for("the clock two seconds on", |s| clock_of(s) >= clock + 2);
    assert!(round_of(&screen) <= 1, "{screen}");
    tmux.keys("p");
    let screen = tmux.wait_for("rounds going on after the pause", |s| {
        !s.contains("PAUSED") && s.contains("since reset") && round_of(s) >= 3
    });
    assert!(view_is_up(&screen), "{screen}");

    tmux.keys("n");
    let hop2_addr = lab.hop_v4(2).to_string();
    let screen = tmux.wait_for("addresses instead of names", |s| {
        row(s, 2).is_some_and(|w| w[1] == hop2_addr)
    });
    assert!(!screen.contains("netlab.test"), "{screen}");
    assert_eq!(
        row(&screen, 4).unwrap()[1],
        lab.dest_v4().to_string(),
        "{screen}"
    );
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
