//! `ping --watch` of netlab.exe under Wine on a terminal (tmux, as `tests/it/ping_live.rs`
//! does for Linux netlab): crossterm drives Wine's console, which Wine shows on the pty.
//!
//! What this proves: the live view runs on Windows' console API (raw mode, the
//! alternate screen, the key and Ctrl-C handling), its table fills with both targets'
//! replies, Ctrl-C ends it with exit 0, the terminal's settings as they were and the
//! summary printed after it. What it does not: the picture itself. Wine 8's console
//! re-renders what it is sent onto the pty and gets part of it wrong (a stale first row,
//! escape sequences' fragments as text), so the chart's content is checked on Linux only
//! (`ping_live.rs`) and a real Windows console was never run (README).

use super::{exe, have_wine_and_exe, one_at_a_time, WINE};
use crate::tmux::{wrapped, Tmux};

#[test]
fn the_windows_build_watches_on_a_terminal_and_ends_on_ctrl_c_with_the_summary() {
    if !have_wine_and_exe() {
        return;
    }
    let _one = one_at_a_time();
    let tmux = Tmux::new(150, 40);
    let command = format!(
        "WINEDEBUG=-all {WINE} {} ping --watch -i 0.2 127.0.0.1 127.0.0.2",
        exe().display()
    );
    tmux.type_line(&wrapped(&command));
    // The view's table: its header, and a target up with ten replies or more counted.
    tmux.wait_for("the live table with a target up and replies counted", |s| {
        s.lines()
            .any(|l| l.contains("target") && l.contains("state"))
            && s.lines().any(|l| {
                let words: Vec<&str> = l.split_whitespace().collect();
                words.iter().position(|w| *w == "up").is_some_and(|at| {
                    // state, loss%, win%, sent, recv: the received count after "up".
                    words
                        .get(at + 4)
                        .and_then(|n| n.parse::<u32>().ok())
                        .is_some_and(|recv| recv >= 10)
                })
            })
    });
    tmux.keys("C-c");
    let screen = tmux.wait_exit();
    assert!(
        screen.contains("EXIT=0 TTY=same"),
        "Ctrl-C ends the view with exit 0 and the terminal as it was:\n{screen}"
    );
    // The summary, after the view: each target with its replies counted (all but perhaps
    // the one in flight when Ctrl-C came).
    for target in ["127.0.0.1", "127.0.0.2"] {
        let row = screen
            .lines()
            .find(|l| l.split_whitespace().take(2).eq([target, target]))
            .unwrap_or_else(|| panic!("no summary row for {target}:\n{screen}"));
        let words: Vec<&str> = row.split_whitespace().collect();
        let (sent, received): (u32, u32) = (words[2].parse().unwrap(), words[3].parse().unwrap());
        assert!(sent >= 10 && received + 1 >= sent, "{row}");
    }
}
