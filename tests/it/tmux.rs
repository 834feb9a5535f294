//! A terminal for the live views' tests: a tmux server of its own (a pty and a real
//! terminal emulator) in which a test types commands and keys and reads the pane back.
//! Every wait polls the pane until what is expected shows, with a generous bound for a
//! hang (never a timing assertion): the machine is shared and slow.

use std::process::Command;
use std::sync::atomic::{AtomicU32, Ordering};
use std::time::{Duration, Instant};

/// Bound on waiting for the pane to show something (a hang, not a speed check).
pub const PANE_TIMEOUT: Duration = Duration::from_secs(60);
pub const PROMPT: &str = "live-prompt$ ";

/// A tmux server of its own, one window with a plain shell, killed when dropped.
pub struct Tmux {
    socket: String,
}

impl Tmux {
    pub fn new(width: u16, height: u16) -> Tmux {
        static N: AtomicU32 = AtomicU32::new(0);
        let socket = format!(
            "netlab-live-{}-{}",
            std::process::id(),
            N.fetch_add(1, Ordering::SeqCst)
        );
        let tmux = Tmux { socket };
        tmux.run(&[
            "new-session",
            "-d",
            "-x",
            &width.to_string(),
            "-y",
            &height.to_string(),
            "env",
            &format!("PS1={PROMPT}"),
            "bash",
            "--norc",
            "--noprofile",
        ]);
        // capture-pane drops trailing spaces.
        tmux.wait_for("the shell's prompt", |s| s.contains(PROMPT.trim_end()));
        tmux
    }

    pub fn run(&self, args: &[&str]) -> String {
        let out = Command::new("tmux")
            .args(["-L", &self.socket, "-f", "/dev/null"])
            .args(args)
            .output()
            .expect("running tmux");
        assert!(
            out.status.success(),
            "tmux {args:?}: {}",
            String::from_utf8_lossy(&out.stderr)
        );
        String::from_utf8_lossy(&out.stdout).into_owned()
    }

    pub fn keys(&self, keys: &str) {
        self.run(&["send-keys", keys]);
    }

    pub fn type_line(&self, text: &str) {
        self.run(&["send-keys", "-l", text]);
        self.run(&["send-keys", "Enter"]);
    }

    /// The visible pane.
    pub fn screen(&self) -> String {
        self.run(&["capture-pane", "-p"])
    }

    /// The pane with its scrollback (the main screen's history).
    pub fn history(&self) -> String {
        self.run(&["capture-pane", "-p", "-S", "-"])
    }

    pub fn format(&self, format: &str) -> String {
        self.run(&["display-message", "-p", format])
            .trim()
            .to_string()
    }

    /// Polls the visible pane until `ok` holds; returns it.
    pub fn wait_for(&self, what: &str, mut ok: impl FnMut(&str) -> bool) -> String {
        let deadline = Instant::now() + PANE_TIMEOUT;
        loop {
            let screen = self.screen();
            if ok(&screen) {
                return screen;
            }
            if Instant::now() > deadline {
                panic!("the pane never showed {what}:\n{screen}");
            }
            std::thread::sleep(Duration::from_millis(50));
        }
    }

    /// Polls until `ok` holds on two captures in a row that are the same (50 ms apart):
    /// a picture written in full and standing still (a paused view), not one caught
    /// while it was being written.
    pub fn wait_for_still(&self, what: &str, ok: impl Fn(&str) -> bool) -> String {
        let mut last = String::new();
        self.wait_for(what, |s| {
            let still = s == last;
            last = s.to_string();
            still && ok(s)
        })
    }

    pub fn clear(&self) {
        self.type_line("clear");
        self.wait_for("a cleared pane", |s| s.trim() == PROMPT.trim());
        self.run(&["clear-history"]);
    }
}

impl Tmux {
    /// Waits for the line [`wrapped`] prints after its command ends, whole; returns the
    /// screen.
    pub fn wait_exit(&self) -> String {
        // The command line typed shows `EXIT=$? TTY=...` at a line's start too (the echo's
        // quoted newline): only the echo's own output has a number after `EXIT=`, and it
        // is whole once its `TTY=` word is.
        self.wait_for("the exit line", |s| {
            s.lines().any(|l| {
                l.strip_prefix("EXIT=")
                    .and_then(|rest| rest.split_once(" TTY="))
                    .is_some_and(|(status, tty)| {
                        status.parse::<i32>().is_ok() && matches!(tty, "same" | "changed")
                    })
            })
        })
    }

    /// After a full-screen program ended: the main screen is back, the cursor shown.
    pub fn assert_screen_back(&self, ctx: &str) {
        assert_eq!(self.format("#{alternate_on}"), "0", "{ctx}");
        assert_eq!(self.format("#{cursor_flag}"), "1", "{ctx}");
    }

    /// Waits for the shell's prompt after the exit line.
    pub fn wait_prompt_after_exit(&self) {
        self.wait_for("the prompt after the exit line", |s| {
            s.lines()
                .skip_while(|l| !l.starts_with("EXIT="))
                .any(|l| l.starts_with(PROMPT.trim_end()))
        });
    }

    /// The process the pane's shell runs now, checked to be `comm` (`ip netns exec`
    /// execs its command, so it is the shell's child).
    pub fn child(&self, comm: &str) -> i32 {
        let shell: u32 = self.format("#{pane_pid}").parse().unwrap();
        let children = std::fs::read_to_string(format!("/proc/{shell}/task/{shell}/children"))
            .expect("the shell's children");
        let pid: i32 = children.split_whitespace().next().unwrap().parse().unwrap();
        let seen = std::fs::read_to_string(format!("/proc/{pid}/comm")).unwrap();
        assert_eq!(seen.trim(), comm);
        pid
    }
}

/// `command` as a line for the pane's shell: it records the tty settings, prints
/// `before-the-view`, runs, then prints `EXIT=<status> TTY=same|changed`.
pub fn wrapped(command: &str) -> String {
    format!(
        "S=$(stty -g); echo before-the-view; {command}; \
         echo \"EXIT=$? TTY=$([ \"$S\" = \"$(stty -g)\" ] && echo same || echo changed)\""
    )
}

impl Drop for Tmux {
    fn drop(&mut self) {
        let _ = Command::new("tmux")
            .args(["-L", &self.socket, "kill-server"])
            .output();
    }
}
