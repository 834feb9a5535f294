//! Every terminal call of the live views: raw mode, the alternate screen, the cursor,
//! keys and size. Kept here so the views themselves (their panels, and the key handling
//! in [`super`]) are pure and tested without a terminal.
//!
//! The terminal is restored exactly once, whichever way the view ends: [`Screen`]'s
//! `Drop` (a normal end, `q`, Ctrl-C, SIGTERM: the run returns and the screen is
//! dropped), and a panic hook installed in front of netlab's own (src/app.rs), which
//! prints the one-line internal error and exits without unwinding, so `Drop` would never
//! run. ratatui's `try_init` installs a similar hook, but it neither shows the cursor
//! again nor knows whether the view is still up: this hook restores only while
//! [`ACTIVE`] says so, and chains to the hook it replaced.

use std::io::{self, BufWriter, Stdout, Write};
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::Once;
use std::time::Duration;

use crossterm::cursor::{Hide, Show};
use crossterm::event::{self, Event, KeyEvent, KeyEventKind};
use crossterm::terminal::{self, EnterAlternateScreen, LeaveAlternateScreen};
use ratatui::backend::CrosstermBackend;
use ratatui::Terminal;

/// The view is on screen (raw mode, alternate screen).
static ACTIVE: AtomicBool = AtomicBool::new(false);
static HOOK: Once = Once::new();

/// Bytes a picture may take before it is written out in parts: a full 300×100 redraw
/// with colours fits.
const FRAME_BUFFER: usize = 256 * 1024;

/// The full-screen terminal; restored when dropped.
///
/// Its output is buffered so that each picture leaves in one write at its end (ratatui
/// flushes after every frame): through stdout's own line buffer (1 KiB) a redraw left
/// in many writes, and a terminal, or a test reading the pane, could show a picture half
/// new and half old; it also costs fewer system calls.
pub struct Screen {
    pub terminal: Terminal<CrosstermBackend<BufWriter<Stdout>>>,
}

impl Screen {
    /// Raw mode, the alternate screen, no cursor.
    pub fn enter() -> io::Result<Screen> {
        HOOK.call_once(|| {
            let previous = std::panic::take_hook();
            std::panic::set_hook(Box::new(move |info| {
                restore();
                previous(info);
            }));
        });
        terminal::enable_raw_mode()?;
        ACTIVE.store(true, Ordering::SeqCst);
        let mut out = io::stdout();
        if let Err(err) = crossterm::execute!(out, EnterAlternateScreen, Hide) {
            restore();
            return Err(err);
        }
        let out = BufWriter::with_capacity(FRAME_BUFFER, out);
        match Terminal::new(CrosstermBackend::new(out)) {
            Ok(terminal) => Ok(Screen { terminal }),
            Err(err) => {
                restore();
                Err(err)
            }
        }
    }
}

impl Drop for Screen {
    fn drop(&mut self) {
        // Whatever is left of a picture goes to the alternate screen, before it is left.
        let _ = self.terminal.backend_mut().flush();
        restore();
    }
}

/// Back to the terminal as it was: cursor shown, main screen, cooked mode. Does nothing
/// when the view is not up (so the panic hook is harmless after it ended).
fn restore() {
    if ACTIVE.swap(false, Ordering::SeqCst) {
        let mut out = io::stdout();
        let _ = crossterm::execute!(out, Show, LeaveAlternateScreen);
        let _ = terminal::disable_raw_mode();
        let _ = out.flush();
    }
}

/// What the terminal said since the last call, without waiting.
pub enum Input {
    Key(KeyEvent),
    Resize,
}

/// The keys pressed and resizes since the last call (never blocks).
pub fn pending() -> io::Result<Vec<Input>> {
    let mut out = Vec::new();
    while event::poll(Duration::ZERO)? {
        match event::read()? {
            // Releases and repeats are reported only with the kitty protocol (not enabled).
            Event::Key(key) if key.kind == KeyEventKind::Press => out.push(Input::Key(key)),
            Event::Resize(..) => out.push(Input::Resize),
            _ => {}
        }
    }
    Ok(out)
}
