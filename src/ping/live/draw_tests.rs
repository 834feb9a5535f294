//! The picture, drawn on ratatui's `TestBackend` from histories fed by hand-made events.

use std::time::{Duration, Instant};

use ratatui::backend::TestBackend;
use ratatui::Terminal;

use super::super::history::{Board, Window, COLUMNS, SLOTS};
use super::*;
use crate::packet::IcmpErrorKind;
use crate::ping::engine::{Event, ReplyStatus, TargetId};

const TIMEOUT: Duration = Duration::from_secs(2);

fn target(text: &str, addr: &str) -> Target {
    Target {
        text: text.into(),
        addr: addr.parse().unwrap(),
    }
}

fn view(elapsed: u64) -> View {
    let mut view = View::new("ping test".into(), true);
    view.elapsed = Duration::from_secs(elapsed);
    view
}

/// What happens to one probe of `target` sent `at` seconds after the start.
#[derive(Clone, Copy)]
enum Probe {
    Reply(u64),
    /// A reply in fractional milliseconds.
    ReplyMs(f64),
    Lost,
    Error,
}

/// Feeds the probe to the board as the driver would: sent, then its event when it
/// settles (a timeout one `-W` later).
fn feed(board: &mut Board, t0: Instant, target: usize, at: f64, probe: Probe) {
    board.sent(target);
    let sent = t0 + Duration::from_secs_f64(at);
    let id = TargetId(target);
    let (event, now) = match probe {
        Probe::Reply(_) | Probe::ReplyMs(_) => {
            let rtt = match probe {
                Probe::ReplyMs(ms) => Duration::from_secs_f64(ms / 1e3),
                Probe::Reply(ms) => Duration::from_millis(ms),
                _ => unreachable!(),
            };
            let event = Event::Reply {
                target: id,
                seq: 1,
                from: "127.0.0.1".parse().unwrap(),
                bytes: 64,
                ttl: Some(64),
                rtt,
                status: ReplyStatus::Ok,
            };
            (event, sent + rtt)
        }
        Probe::Lost => (Event::Timeout { target: id, seq: 1 }, sent + TIMEOUT),
        Probe::Error => {
            let rtt = Duration::from_millis(1);
            let event = Event::Error {
                target: id,
                seq: 1,
                from: "127.0.0.2".parse().unwrap(),
                kind: IcmpErrorKind::HostUnreachable,
                rtt,
                mtu: None,
            };
            (event, sent + rtt)
        }
    };
    board.event(&event, now);
}

fn render(board: &Board, targets: &[Target], view: &View, w: u16, h: u16) -> Buffer {
    let mut terminal = Terminal::new(TestBackend::new(w, h)).unwrap();
    terminal
        .draw(|frame| draw(frame, board, targets, view))
        .unwrap();
    terminal.backend().buffer().clone()
}

fn row_text(buf: &Buffer, y: u16) -> String {
    (0..buf.area.width)
        .map(|x| buf[(x, y)].symbol().to_string())
        .collect()
}

fn text(buf: &Buffer) -> String {
    (0..buf.area.height)
        .map(|y| row_text(buf, y))
        .collect::<Vec<_>>()
        .join("\n")
}

/// The row whose lane label starts with target `i`'s marker.
fn lane_row(buf: &Buffer, i: usize) -> u16 {
    (0..buf.area.height)
        .find(|&y| buf[(0, y)].symbol() == marker(i) && buf[(MARGIN - 1, y)].symbol() == "┆")
        .unwrap_or_else(|| panic!("no lane for target {i} in\n{}", text(buf)))
}

/// Columns of row `y` holding `symbol`.
fn columns_of(buf: &Buffer, y: u16, symbol: &str) -> Vec<u16> {
    (0..buf.area.width)
        .filter(|&x| buf[(x, y)].symbol() == symbol)
        .collect()
}

/// One probe a second for 60 s to one target, with `special` probes at given seconds.
fn steady(special: &[(u64, Probe)]) -> (Board, Vec<Target>) {
    let t0 = Instant::now();
    let mut board = Board::new(1, TIMEOUT, t0);
    for s in 0..60 {
        let probe = special
            .iter()
            .find(|(at, _)| *at == s)
            .map_or(Probe::Reply(10), |(_, p)| *p);
        feed(&mut board, t0, 0, s as f64, probe);
    }
    (board, vec![target("dest.netlab.test", "198.18.2.2")])
}

#[test]
fn a_loss_is_marked_on_its_targets_axis_at_the_time_it_was_sent() {
    let (board, targets) = steady(&[(30, Probe::Lost)]);
    let buf = render(&board, &targets, &view(60), 80, 24);
    let lane = lane_row(&buf, 0);
    // The plot is 70 columns for 60 s: the probe sent at 30 s is in column 35.
    assert_eq!(
        columns_of(&buf, lane, LOST),
        vec![MARGIN + 35],
        "{}",
        text(&buf)
    );
    // Its reply-less slot has no point in the plot; its neighbours do.
    let plot_points: usize = (0..lane)
        .map(|y| columns_of(&buf, y, marker(0)).len())
        .sum();
    assert!(
        plot_points >= 50,
        "59 replies in 70 columns:\n{}",
        text(&buf)
    );
}

#[test]
fn an_error_is_marked_differently_from_a_loss() {
    let (board, targets) = steady(&[(15, Probe::Lost), (45, Probe::Error)]);
    let buf = render(&board, &targets, &view(60), 80, 24);
    let lane = lane_row(&buf, 0);
    assert_eq!(columns_of(&buf, lane, LOST), vec![MARGIN + 17]);
    assert_eq!(columns_of(&buf, lane, ERROR), vec![MARGIN + 52]);
}

#[test]
fn the_window_narrows_and_widens() {
    let (board, targets) = steady(&[(30, Probe::Lost), (55, Probe::Lost)]);
    let mut v = view(60);
    v.window = 0; // 10 s: only the loss at 55 s is in view, 5 s before the end.
    let buf = render(&board, &targets, &v, 80, 24);
    let lane = lane_row(&buf, 0);
    assert_eq!(columns_of(&buf, lane, LOST), vec![MARGIN + 35]);
    assert!(text(&buf).contains("window 10 s"));
    assert!(text(&buf).contains("-10 s"), "the axis says the window");
    v.window = 4; // 5 min: both, squeezed to the right end.
    let buf = render(&board, &targets, &v, 80, 24);
    let marks = columns_of(&buf, lane_row(&buf, 0), LOST);
    assert_eq!(marks.len(), 2, "{}", text(&buf));
    assert!(marks.iter().all(|&x| x >= MARGIN + 56), "{marks:?}");
    assert!(text(&buf).contains("window 5 min"));
}

#[test]
fn the_window_figures_cover_only_the_window() {
    // 6 losses in the first 30 s, none after: the run's loss is 10%, the last 10 s 0%.
    let losses: Vec<(u64, Probe)> = (0..6).map(|s| (s * 5, Probe::Lost)).collect();
    let (board, targets) = steady(&losses);
    let mut v = view(60);
    v.window = 0;
    let buf = render(&board, &targets, &v, 160, 24);
    let row = (0..24)
        .map(|y| row_text(&buf, y))
        .find(|r| r.contains("dest.netlab.test") && r.contains("up"))
        .expect("the target's row");
    let cells: Vec<&str> = row.split_whitespace().collect();
    // marker, name, state, loss%, win%, sent, recv, ...
    assert_eq!(&cells[2..7], ["up", "10.0", "0.0", "60", "54"], "{row}");
    assert!(
        row.contains("198.18.2.2") || row.contains("127.0.0.1"),
        "{row}"
    );
}

#[test]
fn log_scale_spreads_small_and_large_rtts() {
    let t0 = Instant::now();
    let mut board = Board::new(1, TIMEOUT, t0);
    for (s, ms) in [(10, 1), (20, 10), (30, 100)] {
        feed(&mut board, t0, 0, s as f64, Probe::Reply(ms));
    }
    let targets = vec![target("a", "127.0.0.1")];
    let row_of_10ms = |log: bool| {
        let mut v = view(60);
        v.log = log;
        let buf = render(&board, &targets, &v, 80, 24);
        let x = MARGIN + (20 * 70 / 60) as u16;
        (0..24)
            .find(|&y| buf[(x, y)].symbol() == marker(0))
            .unwrap_or_else(|| panic!("no point for 10 ms:\n{}", text(&buf)))
    };
    let (linear, log) = (row_of_10ms(false), row_of_10ms(true));
    // Linear: 10 ms sits near 0, at the bottom; log: half-way between 1 and 100 ms.
    assert!(log + 3 < linear, "log row {log}, linear row {linear}");
    let scale = Scale::of([1.0, 100.0].into_iter(), true);
    assert!((scale.fraction(10.0) - 0.5).abs() < 0.05);
    assert_eq!(
        Scale::of([1.0, 100.0].into_iter(), false).fraction(0.0),
        0.0
    );
}

#[test]
fn a_target_that_never_answers_shows_as_down() {
    let t0 = Instant::now();
    let mut board = Board::new(2, TIMEOUT, t0);
    for s in 0..10 {
        feed(&mut board, t0, 0, s as f64, Probe::Reply(5));
        feed(&mut board, t0, 1, s as f64, Probe::Lost);
    }
    let targets = vec![
        target("up.test", "127.0.0.1"),
        target("down.test", "127.0.0.9"),
    ];
    let buf = render(&board, &targets, &view(20), 100, 24);
    let lane = lane_row(&buf, 1);
    assert!(row_text(&buf, lane).contains("DOWN"), "{}", text(&buf));
    assert_eq!(columns_of(&buf, lane, LOST).len(), 10);
    assert!(!row_text(&buf, lane_row(&buf, 0)).contains("DOWN"));
    let table_row = (0..24)
        .map(|y| row_text(&buf, y))
        .find(|r| r.contains("down.test") && !r.contains('┆'))
        .unwrap();
    assert!(table_row.contains("DOWN"), "{table_row}");
    assert!(table_row.contains("100.0"), "{table_row}");
}

#[test]
fn many_targets_each_have_their_marker_and_row() {
    let t0 = Instant::now();
    let n = 12;
    let mut board = Board::new(n, TIMEOUT, t0);
    let mut targets = Vec::new();
    for i in 0..n {
        targets.push(target(
            &format!("host{i}.test"),
            &format!("127.0.0.{}", i + 1),
        ));
        for s in 0..30 {
            feed(&mut board, t0, i, s as f64, Probe::Reply(1 + i as u64));
        }
    }
    let buf = render(&board, &targets, &view(30), 160, 40);
    let all = text(&buf);
    for (i, t) in targets.iter().enumerate() {
        assert!(all.contains(&t.text), "row of {}:\n{all}", t.text);
        if i < MAX_CHARTED {
            lane_row(&buf, i);
        }
    }
    // A small terminal: nothing panics, the title and keys stay.
    for (w, h) in [(20, 5), (40, 10), (80, 12), (1, 1)] {
        let buf = render(&board, &targets, &view(30), w, h);
        assert_eq!(buf.area.height, h);
    }
}

#[test]
fn without_colour_the_targets_differ_by_marker() {
    let t0 = Instant::now();
    let mut board = Board::new(2, TIMEOUT, t0);
    for s in 0..20 {
        feed(&mut board, t0, 0, s as f64, Probe::Reply(5));
        feed(&mut board, t0, 1, s as f64 + 0.5, Probe::Reply(20));
    }
    let targets = vec![target("a.test", "127.0.0.1"), target("b.test", "127.0.0.2")];
    let mut v = view(20);
    v.color = false;
    let buf = render(&board, &targets, &v, 80, 24);
    assert_ne!(marker(0), marker(1));
    let count = |m: &str| (0..24).map(|y| columns_of(&buf, y, m).len()).sum::<usize>();
    assert!(
        count(marker(0)) > 10 && count(marker(1)) > 10,
        "{}",
        text(&buf)
    );
    let coloured = buf
        .content()
        .iter()
        .any(|c| c.fg != ratatui::style::Color::Reset || c.bg != ratatui::style::Color::Reset);
    assert!(!coloured, "NO_COLOR: no colour anywhere");
    // With colour, the two targets' points have different colours.
    let buf = render(&board, &targets, &view(20), 80, 24);
    let fg_of = |m: &str| buf.content().iter().find(|c| c.symbol() == m).unwrap().fg;
    assert_ne!(fg_of(marker(0)), fg_of(marker(1)));
}

#[test]
fn names_switch_to_addresses_and_pause_shows() {
    let (board, targets) = steady(&[]);
    let mut v = view(60);
    v.names = false;
    v.paused = true;
    let all = text(&render(&board, &targets, &v, 120, 24));
    assert!(all.contains("198.18.2.2"));
    assert!(!all.contains("dest.netlab.test"), "{all}");
    assert!(all.contains("PAUSED"));
}

#[test]
fn reverse_names_show_for_targets_given_as_addresses_and_who_answers() {
    let t0 = Instant::now();
    let mut board = Board::new(3, TIMEOUT, t0);
    for s in 0..10 {
        for i in 0..3 {
            feed(&mut board, t0, i, s as f64, Probe::Reply(5));
        }
    }
    let targets = vec![
        target("198.18.0.2", "198.18.0.2"),
        target("www.netlab.test", "198.18.3.2"),
        target("198.18.9.9", "198.18.9.9"),
    ];
    let mut v = view(10);
    for (addr, name) in [
        ("198.18.0.2", "r1.netlab.test"),
        ("198.18.3.2", "dest.netlab.test"),
        ("127.0.0.1", "lo.netlab.test"),
    ] {
        v.reverse.insert(addr.parse().unwrap(), name.into());
    }
    let table_row = |buf: &Buffer, i: usize| {
        (0..buf.area.height)
            .map(|y| row_text(buf, y))
            .find(|r| r.starts_with(marker(i)) && !r.contains('┆'))
            .unwrap_or_else(|| panic!("no row for target {i}:\n{}", text(buf)))
    };
    let buf = render(&board, &targets, &v, 160, 24);
    // Given as an address: its reverse name; given as a name: that name; no name known:
    // the address.
    let words = |r: String| r.split_whitespace().map(String::from).collect::<Vec<_>>();
    assert_eq!(
        words(table_row(&buf, 0))[1],
        "r1.netlab.test",
        "{}",
        text(&buf)
    );
    assert_eq!(words(table_row(&buf, 1))[1], "www.netlab.test");
    assert_eq!(words(table_row(&buf, 2))[1], "198.18.9.9");
    // Who answers, with its name.
    assert!(
        table_row(&buf, 0).contains("127.0.0.1 (lo.netlab.test)"),
        "{}",
        text(&buf)
    );
    // The lane's label too.
    assert!(
        row_text(&buf, lane_row(&buf, 0)).contains("r1.netl"),
        "{}",
        text(&buf)
    );
    // `n`: addresses only, no name anywhere.
    v.names = false;
    let buf = render(&board, &targets, &v, 160, 24);
    assert_eq!(words(table_row(&buf, 0))[1], "198.18.0.2");
    assert_eq!(words(table_row(&buf, 1))[1], "198.18.3.2");
    assert!(!text(&buf).contains("netlab.test"), "{}", text(&buf));
    assert!(table_row(&buf, 0).contains("127.0.0.1"));
}

#[test]
fn the_history_is_bounded_and_reset_empties_it() {
    let t0 = Instant::now();
    let mut board = Board::new(1, TIMEOUT, t0);
    let kept = board.tracks[0].capacity();
    assert_eq!(kept, WINDOWS.len() * SLOTS);
    // 100,000 probes at 0.2 s (5 h 33 min), one in a thousand lost: storage never moves.
    let n = 100_000;
    for s in 0..n {
        let probe = if s % 1000 == 500 {
            Probe::Lost
        } else {
            Probe::Reply(1)
        };
        feed(&mut board, t0, 0, s as f64 * 0.2, probe);
        if s % 9973 == 0 {
            assert_eq!(board.tracks[0].capacity(), kept, "after {s} probes");
        }
    }
    let track = &board.tracks[0];
    assert_eq!(track.capacity(), kept);
    let end = Duration::from_secs_f64((n - 1) as f64 * 0.2);
    for (w, window) in WINDOWS.iter().enumerate() {
        let buckets = track.window(w, end).count();
        assert!(buckets <= SLOTS, "window {w}: {buckets} buckets");
        // Every probe of the window is counted, however many share a bucket (the
        // oldest bucket may start up to one bucket, 1/320 of the window, early).
        let settled: u64 = track.window(w, end).map(|(_, b)| b.settled()).sum();
        let expected = (window.as_secs_f64() / 0.2) as u64;
        assert!(
            (expected..=expected + expected / u64::from(COLUMNS) + 2).contains(&settled),
            "window {w}: {settled} settled, {expected} sent in it"
        );
    }
    // The last 10 s of 0.2 s probes, both ends in.
    let last = Window::of(track.window(0, end).map(|(_, b)| b));
    assert_eq!(last.settled, 51);
    // The 30 min window: 9000 probes, 9 of them lost.
    let widest = Window::of(track.window(WINDOWS.len() - 1, end).map(|(_, b)| b));
    assert_eq!(
        (widest.failed, widest.p95),
        (9, Some(Duration::from_millis(1)))
    );
    assert_eq!(track.stats.received, n as u64 - 100);
    board.reset(t0 + Duration::from_secs(50_000));
    let track = &board.tracks[0];
    assert_eq!(track.window(0, Duration::from_secs(5)).count(), 0);
    assert_eq!(track.capacity(), kept);
    assert_eq!(track.stats.transmitted, 0);
}

#[test]
fn after_hours_the_wide_window_still_shows_every_loss_error_and_spike() {
    // Two hours at 0.2 s, 10 ms; at 1h40 (20 min before the end) a loss, at 1h55 an
    // error, at 1h50 one reply of 100 ms.
    let t0 = Instant::now();
    let mut board = Board::new(1, TIMEOUT, t0);
    let steps = 2 * 3600 * 5;
    for step in 0..steps {
        let probe = match step {
            s if s == 100 * 60 * 5 => Probe::Lost,
            s if s == 115 * 60 * 5 => Probe::Error,
            s if s == 110 * 60 * 5 => Probe::Reply(100),
            _ => Probe::Reply(10),
        };
        feed(&mut board, t0, 0, step as f64 * 0.2, probe);
    }
    let targets = vec![target("dest.netlab.test", "198.18.2.2")];
    let mut v = view(7200);
    v.window = WINDOWS.len() - 1; // 30 min over 70 columns
    let buf = render(&board, &targets, &v, 80, 24);
    let lane = lane_row(&buf, 0);
    // 20 min before the end of 30: a third of the way; 5 min before: 25/30.
    assert_eq!(
        columns_of(&buf, lane, LOST),
        vec![MARGIN + 23],
        "{}",
        text(&buf)
    );
    assert_eq!(
        columns_of(&buf, lane, ERROR),
        vec![MARGIN + 58],
        "{}",
        text(&buf)
    );
    // The spike is kept as its bucket's maximum: a point on the top row, 10 min before
    // the end (two thirds of the way).
    let top = (1..lane)
        .find(|&y| !columns_of(&buf, y, marker(0)).is_empty())
        .unwrap();
    assert_eq!(
        columns_of(&buf, top, marker(0)),
        vec![MARGIN + 46],
        "{}",
        text(&buf)
    );
    assert!(text(&buf).contains("window 30 min"));
    // ... and the 10 ms line under it covers the whole window.
    let line: usize = (top + 1..lane)
        .map(|y| columns_of(&buf, y, marker(0)).len())
        .sum();
    assert!(line >= 69, "{}", text(&buf));
    // The table: the window's loss and p95 (the spike is under 5%: 10 ms).
    let row = (0..24)
        .map(|y| row_text(&buf, y))
        .find(|r| r.contains("dest.netlab.test") && r.contains("up"))
        .unwrap();
    let cells: Vec<&str> = row.split_whitespace().collect();
    assert_eq!(cells[4], "0.0", "2 of 9000 probes: {row}");
    // Narrowed to 10 s, the same history draws the last 50 probes, one per bucket.
    v.window = 0;
    let buf = render(&board, &targets, &v, 80, 24);
    let points: usize = (0..lane_row(&buf, 0))
        .map(|y| columns_of(&buf, y, marker(0)).len())
        .sum();
    assert!((48..=51).contains(&points), "{points}:\n{}", text(&buf));
}

#[test]
fn the_window_p95_is_exact_while_buckets_hold_single_probes() {
    // One probe a second, the n-th taking n ms: p95 of 60 is the 57th smallest.
    let t0 = Instant::now();
    let mut board = Board::new(1, TIMEOUT, t0);
    for s in 0..60 {
        feed(&mut board, t0, 0, s as f64, Probe::Reply(s + 1));
    }
    let end = Duration::from_secs(60);
    let minute = Window::of(board.tracks[0].window(DEFAULT_WINDOW, end).map(|(_, b)| b));
    assert_eq!(minute.p95, Some(Duration::from_millis(57)));
    assert_eq!(minute.settled, 60);
    // In the 30 min window the buckets hold several probes: never below the truth.
    let widest = Window::of(
        board.tracks[0]
            .window(WINDOWS.len() - 1, end)
            .map(|(_, b)| b),
    );
    assert!(widest.p95.unwrap() >= Duration::from_millis(57));
    assert_eq!(widest.settled, 60);
}

/// A terminal colour as the picture shows it.
fn rgb(color: ratatui::style::Color, default: &'static str) -> &'static str {
    use ratatui::style::Color::*;
    match color {
        Cyan | LightCyan => "#56c8d8",
        Yellow | LightYellow => "#e5c07b",
        Green | LightGreen => "#98c379",
        Magenta | LightMagenta => "#c678dd",
        Blue => "#61afef",
        Red | LightRed => "#e06c75",
        Black => "#1e2127",
        _ => default,
    }
}

/// The buffer as an SVG picture of a dark terminal, one text element per cell.
fn buffer_svg(buf: &Buffer) -> String {
    use ratatui::style::Modifier;
    let (cw, ch) = (8.4, 17.0);
    let (w, h) = (
        buf.area.width as f64 * cw + 16.0,
        buf.area.height as f64 * ch + 16.0,
    );
    let mut svg = format!(
        "<svg xmlns=\"http://www.w3.org/2000/svg\" width=\"{w}\" height=\"{h}\">\
         <rect width=\"100%\" height=\"100%\" fill=\"#1e2127\"/>"
    );
    for y in 0..buf.area.height {
        for x in 0..buf.area.width {
            let cell = &buf[(x, y)];
            let (px, py) = (8.0 + x as f64 * cw, 8.0 + y as f64 * ch);
            let mut fg = rgb(cell.fg, "#d7dae0");
            if cell.modifier.contains(Modifier::REVERSED) {
                svg += &format!(
                    "<rect x=\"{px}\" y=\"{py}\" width=\"{cw}\" height=\"{ch}\" fill=\"{fg}\"/>"
                );
                fg = "#1e2127";
            }
            let symbol = cell.symbol();
            if symbol.trim().is_empty() {
                continue;
            }
            if cell.modifier.contains(Modifier::DIM) {
                fg = "#7f848e";
            }
            let weight = if cell.modifier.contains(Modifier::BOLD) {
                "bold"
            } else {
                "normal"
            };
            let text = symbol
                .replace('&', "&amp;")
                .replace('<', "&lt;")
                .replace('>', "&gt;");
            svg += &format!(
                "<text x=\"{px}\" y=\"{}\" font-family=\"DejaVu Sans Mono\" font-size=\"14\" \
                 font-weight=\"{weight}\" fill=\"{fg}\">{text}</text>",
                py + 13.0
            );
        }
    }
    svg + "</svg>"
}

/// Draws the README's picture of the view into docs/img/ping-watch.png (not a check):
/// `cargo test --lib ping::live::draw::tests::readme_picture -- --ignored`.
#[test]
#[ignore]
fn readme_picture() {
    let t0 = Instant::now();
    let mut board = Board::new(3, TIMEOUT, t0);
    // A deterministic jitter, so the picture is the same on every run.
    let mut seed: u64 = 0x2545_f491_4f6c_dd1d;
    let mut noise = move || {
        seed ^= seed << 13;
        seed ^= seed >> 7;
        seed ^= seed << 17;
        (seed % 1000) as f64 / 1000.0
    };
    for step in 0..450 {
        let at = step as f64 * 0.2;
        let spike = if (200..206).contains(&step) { 9.0 } else { 0.0 };
        feed(
            &mut board,
            t0,
            0,
            at,
            Probe::ReplyMs(4.0 + noise() * 0.6 + spike),
        );
        let lossy = if noise() < 0.12 {
            Probe::Lost
        } else {
            Probe::ReplyMs(16.0 + noise() * 3.0 + spike * 1.5)
        };
        feed(&mut board, t0, 1, at + 0.01, lossy);
        let down = if step % 5 == 0 {
            Probe::Error
        } else {
            Probe::Lost
        };
        feed(
            &mut board,
            t0,
            2,
            at + 0.02,
            if step < 150 {
                Probe::ReplyMs(9.0 + noise())
            } else {
                down
            },
        );
    }
    let targets = vec![
        target("r1.netlab.test", "198.18.0.2"),
        target("www.netlab.test", "198.18.3.2"),
        target("db.netlab.test", "198.18.250.1"),
    ];
    for (track, t) in board.tracks.iter_mut().zip(&targets) {
        track.from = track.from.map(|_| t.addr);
    }
    let mut v = view(90);
    v.title = "ping r1.netlab.test, www.netlab.test, db.netlab.test every 0.2 s".into();
    for (addr, name) in [
        ("198.18.0.2", "r1.netlab.test"),
        ("198.18.3.2", "dest.netlab.test"),
    ] {
        v.reverse.insert(addr.parse().unwrap(), name.into());
    }
    let buf = render(&board, &targets, &v, 130, 30);
    let png = crate::plot::png(&buffer_svg(&buf)).unwrap();
    let path = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("docs/img/ping-watch.png");
    std::fs::write(path, png).unwrap();
}
