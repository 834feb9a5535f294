//! `check` on one page: resolve and connect as text panels on top, the ping's RTT over
//! time and the path beside each other below them, and the verdict at the bottom, each
//! check's result in words (pass / FAIL / skip) as well as in colour.

use plotters::prelude::*;

use crate::ping::plot::Timeline;
use crate::plot::{font, Area, GRID, INK, LOST, PASS};
use crate::trace::plot::{self as path, HopSamples};

/// The result of one check, as the verdict table shows it.
#[derive(Debug, Clone, PartialEq)]
pub struct Verdict {
    pub name: String,
    /// `pass`, `FAIL` or `skip`.
    pub result: String,
    pub explanation: String,
}

/// Everything the page shows; the text panels hold the lines of check's tables.
pub struct Page<'a> {
    pub title: String,
    pub resolve: Vec<String>,
    pub connect: Vec<String>,
    pub ping: &'a Timeline,
    pub hops: &'a [HopSamples],
    pub verdict: Vec<Verdict>,
    pub passed: bool,
}

pub const PAGE_SIZE: (u32, u32) = (1500, 1000);

impl Page<'_> {
    pub fn svg(&self) -> String {
        crate::plot::svg(PAGE_SIZE, |area| self.draw(area))
    }

    pub fn draw(&self, area: &Area) -> Result<(), String> {
        let area = area
            .titled(&self.title, font(26))
            .map_err(|e| e.to_string())?;
        let height = area.dim_in_pixel().1;
        let (top, rest) = area.split_vertically(height * 20 / 100);
        let (middle, bottom) = rest.split_vertically(height * 58 / 100);
        let width = area.dim_in_pixel().0;
        let (resolve, connect) = top.split_horizontally(width / 2);
        text_panel(&resolve, "1. resolve", &self.resolve, INK)?;
        text_panel(&connect, "2. connect", &self.connect, INK)?;
        let (ping, trace) = middle.split_horizontally(width / 2);
        let ping = ping
            .titled("3. ping: RTT per probe", font(22))
            .map_err(|e| e.to_string())?;
        self.ping.draw_over_time(&ping)?;
        path::draw(&trace, self.hops, "4. trace: RTT and no answer per hop")?;
        let lines: Vec<String> = self
            .verdict
            .iter()
            .map(|v| match v.explanation.as_str() {
                "" => format!("{}  {}", v.result, v.name),
                why => format!("{}  {}: {why}", v.result, v.name),
            })
            .collect();
        let (heading, colour) = if self.passed {
            ("verdict: every check passed", PASS)
        } else {
            ("verdict: a check FAILED", LOST)
        };
        text_panel(&bottom, heading, &lines, colour)
    }
}

/// A framed panel: a heading, then one line of text each (long lines are cut with `…`,
/// the full text being in the markdown tables).
fn text_panel(
    area: &Area,
    heading: &str,
    lines: &[String],
    colour: RGBColor,
) -> Result<(), String> {
    let err = |e: DrawingAreaErrorKind<_>| e.to_string();
    let (w, h) = area.dim_in_pixel();
    let (w, h) = (w as i32, h as i32);
    area.draw(&Rectangle::new(
        [(8, 8), (w - 8, h - 8)],
        GRID.stroke_width(2),
    ))
    .map_err(err)?;
    area.draw(&Text::new(
        heading.to_string(),
        (20, 16),
        font(18).color(&colour),
    ))
    .map_err(err)?;
    // The naive font metrics plotters has without a font stack: about 0.6 em a letter.
    let fits = ((w - 40) as f64 / (14.0 * 0.6)) as usize;
    let mut y = 44;
    for line in lines {
        if y > h - 24 {
            break;
        }
        let shown = if line.chars().count() > fits {
            let cut: String = line.chars().take(fits.saturating_sub(1)).collect();
            format!("{cut}…")
        } else {
            line.clone()
        };
        area.draw(&Text::new(shown, (20, y), font(14)))
            .map_err(err)?;
        y += 22;
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_page_shows_four_parts_and_the_verdict_in_words() {
        let ping = Timeline::new(["h".to_string()]);
        let page = Page {
            title: "netlab check h (port 80)".into(),
            resolve: vec!["198.18.2.2  system resolver: DNS".into()],
            connect: vec!["198.18.2.2:80  closed".into()],
            ping: &ping,
            hops: &[],
            verdict: vec![Verdict {
                name: "port_answers".into(),
                result: "FAIL".into(),
                explanation: "refused".into(),
            }],
            passed: false,
        };
        let svg = page.svg();
        let texts: Vec<String> = crate::plot::tests::texts(&svg)
            .into_iter()
            .map(|t| t.1)
            .collect();
        for part in ["1. resolve", "2. connect", "3. ping: RTT per probe"] {
            assert!(texts.iter().any(|t| t == part), "{part}: {texts:?}");
        }
        assert!(texts.iter().any(|t| t.starts_with("4. trace")), "{texts:?}");
        assert!(texts.iter().any(|t| t == "verdict: a check FAILED"));
        assert!(texts.iter().any(|t| t == "FAIL  port_answers: refused"));
        assert!(texts.iter().any(|t| t == "198.18.2.2:80  closed"));
    }
}
