//! `--plot FILE.svg|FILE.png`: the chart primitives every picture of a run shares.
//!
//! The pictures themselves live with the command that measured what they show, so `plot`
//! imports no command: `ping/plot.rs` (RTT per probe over time and the spread of RTTs),
//! `trace/plot.rs` (RTT and unanswered probes per hop, from one trace or from rounds),
//! `check/plot.rs` (`check` on one page, the two above beside its text panels). Here:
//! the file to draw into ([`PlotFile`]), the canvas and its size, the fonts, the colours,
//! the axes, and the SVG-to-PNG step.
//!
//! Charts are drawn with plotters' SVG backend and nothing else: every mark is an SVG
//! element (a reply a `<circle>`, a lost probe a `<polygon>`, a hop a `<text>` label), so
//! tests can count them. A PNG is that SVG rendered by resvg, with the system's fonts
//! (plotters' own bitmap backend would need its font stack at build time and gives the
//! same picture). Every chart has an opaque white background and dark ink, so it reads
//! the same in light and dark viewers, and axis labels with units. Only measured values
//! are drawn: no point is interpolated, and a run without replies draws empty axes with
//! the losses.

use std::path::{Path, PathBuf};

use plotters::prelude::*;

use crate::error::Failure;

/// The backend every chart draws on.
pub type Area<'a> = DrawingArea<SVGBackend<'a>, plotters::coord::Shift>;

/// A file to draw into, its kind taken from its extension.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct PlotFile {
    pub path: PathBuf,
    pub kind: Kind,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Kind {
    Svg,
    Png,
}

impl PlotFile {
    /// For clap: `out.svg` or `out.png` (any case); anything else is a usage error.
    pub fn parse(text: &str) -> Result<PlotFile, String> {
        let path = PathBuf::from(text);
        let ext = path
            .extension()
            .map(|e| e.to_string_lossy().to_ascii_lowercase());
        let kind = match ext.as_deref() {
            Some("svg") => Kind::Svg,
            Some("png") => Kind::Png,
            _ => return Err("the file name must end in .svg or .png".into()),
        };
        if path.file_stem().is_none_or(|s| s.is_empty()) {
            return Err("no file name given".into());
        }
        Ok(PlotFile { path, kind })
    }

    /// Itself, once [`PlotFile::check_writable`] passed.
    pub fn checked(self) -> Result<PlotFile, Failure> {
        self.check_writable()?;
        Ok(self)
    }

    /// Fails before the run, not after it, when the file cannot be written: its folder
    /// must exist.
    pub fn check_writable(&self) -> Result<(), Failure> {
        let dir = match self.path.parent() {
            Some(p) if !p.as_os_str().is_empty() => p,
            _ => Path::new("."),
        };
        if !dir.is_dir() {
            return Err(Failure::usage(
                format!("--plot {}", self.path.display()),
                format!("no folder {}", dir.display()),
            ));
        }
        Ok(())
    }

    /// Writes `svg`, as it is or rendered to PNG.
    pub fn save(&self, svg: &str) -> Result<(), Failure> {
        let what = || format!("writing the plot {}", self.path.display());
        let bytes = match self.kind {
            Kind::Svg => svg.as_bytes().to_vec(),
            Kind::Png => png(svg).map_err(|why| Failure::new(what(), why))?,
        };
        std::fs::write(&self.path, bytes).map_err(|e| Failure::new(what(), e))
    }
}

/// Width and height of a chart, in SVG pixels (PNGs get twice as many).
pub const SIZE: (u32, u32) = (960, 640);
/// PNG pixels per SVG pixel: sharp on high-density screens and in print.
const PNG_SCALE: f32 = 2.0;

/// The family every label asks for; [`png`] maps it to a font the system has.
pub const FONT: &str = "sans-serif";

/// Colours: dark ink on white, and marks that stay apart for colour-blind readers
/// (Okabe–Ito).
pub const INK: RGBColor = RGBColor(0x22, 0x22, 0x22);
pub const GRID: RGBColor = RGBColor(0xdd, 0xdd, 0xdd);
pub const REPLY: RGBColor = RGBColor(0x00, 0x72, 0xb2);
pub const LOST: RGBColor = RGBColor(0xd5, 0x5e, 0x00);
pub const ERROR: RGBColor = RGBColor(0xcc, 0x79, 0xa7);
/// The part of a hop's loss that is only its router's own replies missing (rounds).
pub const REPLIES_ONLY: RGBColor = RGBColor(0xe6, 0x9f, 0x00);
pub const PASS: RGBColor = RGBColor(0x00, 0x9e, 0x73);
/// Series after the first (ping with many targets).
pub const PALETTE: [RGBColor; 5] = [
    REPLY,
    RGBColor(0x00, 0x9e, 0x73),
    RGBColor(0xe6, 0x9f, 0x00),
    RGBColor(0x56, 0xb4, 0xe9),
    RGBColor(0x00, 0x00, 0x00),
];

/// Draws with `draw` on a white SVG page of `size` and returns the SVG text.
pub fn svg(size: (u32, u32), draw: impl FnOnce(&Area) -> Result<(), String>) -> String {
    let mut text = String::new();
    {
        let root = SVGBackend::with_string(&mut text, size).into_drawing_area();
        let drawn = root
            .fill(&WHITE)
            .map_err(|e| e.to_string())
            .and_then(|()| draw(&root))
            .and_then(|()| root.present().map_err(|e| e.to_string()));
        // Drawing into a string fails only on a bug (a range plotters cannot draw).
        if let Err(why) = drawn {
            crate::output::warn(&format!("drawing the plot: {why}"));
        }
    }
    text
}

/// A font of `size` points in ink colour.
pub fn font(size: u32) -> TextStyle<'static> {
    (FONT, size).into_font().color(&INK)
}

/// The house style of every chart's axes: light grid, dark axes and labels, and the
/// axis titles with their units.
pub fn axes<'a, 'b, 'm, X, Y, XT, YT>(
    mesh: &'m mut plotters::chart::MeshStyle<'a, 'b, X, Y, SVGBackend<'a>>,
    x_desc: &str,
    y_desc: &str,
) -> &'m mut plotters::chart::MeshStyle<'a, 'b, X, Y, SVGBackend<'a>>
where
    X: plotters::coord::ranged1d::Ranged<ValueType = XT>
        + plotters::coord::ranged1d::ValueFormatter<XT>,
    Y: plotters::coord::ranged1d::Ranged<ValueType = YT>
        + plotters::coord::ranged1d::ValueFormatter<YT>,
{
    mesh.light_line_style(GRID.mix(0.5))
        .bold_line_style(GRID)
        .axis_style(INK)
        .label_style(font(14))
        .axis_desc_style(font(16))
        .x_desc(x_desc)
        .y_desc(y_desc)
}

/// The upper end of an axis that starts at 0 and holds `max`, with some headroom.
pub fn headroom(max: f64) -> f64 {
    if max.is_finite() && max > 0.0 {
        max * 1.15
    } else {
        1.0
    }
}

/// The system's fonts, read once a process (`check --report` renders three PNGs).
fn fonts() -> std::sync::Arc<resvg::usvg::fontdb::Database> {
    static FONTS: std::sync::OnceLock<std::sync::Arc<resvg::usvg::fontdb::Database>> =
        std::sync::OnceLock::new();
    FONTS
        .get_or_init(|| {
            let mut db = resvg::usvg::fontdb::Database::new();
            db.load_system_fonts();
            // fontdb maps sans-serif to Arial, which Linux seldom has: take one that is there.
            let families: Vec<String> = db
                .faces()
                .flat_map(|f| f.families.iter().map(|(name, _)| name.clone()))
                .collect();
            let preferred = ["DejaVu Sans", "Liberation Sans", "Noto Sans", "FreeSans"];
            match preferred
                .iter()
                .find(|p| families.iter().any(|f| f == *p))
                .map(|p| p.to_string())
                .or_else(|| families.first().cloned())
            {
                Some(family) => db.set_sans_serif_family(family),
                None => crate::output::warn(
                    "no fonts found: the PNG has no text (install fonts, e.g. fonts-dejavu-core)",
                ),
            }
            std::sync::Arc::new(db)
        })
        .clone()
}

/// Renders `svg` to PNG bytes with the system's fonts.
pub fn png(svg: &str) -> Result<Vec<u8>, String> {
    use resvg::{tiny_skia, usvg};
    let options = usvg::Options {
        fontdb: fonts(),
        ..usvg::Options::default()
    };
    let tree = usvg::Tree::from_str(svg, &options).map_err(|e| e.to_string())?;
    let size = tree
        .size()
        .to_int_size()
        .scale_by(PNG_SCALE)
        .ok_or("empty picture")?;
    let mut pixmap = tiny_skia::Pixmap::new(size.width(), size.height()).ok_or("empty picture")?;
    resvg::render(
        &tree,
        tiny_skia::Transform::from_scale(PNG_SCALE, PNG_SCALE),
        &mut pixmap.as_mut(),
    );
    pixmap.encode_png().map_err(|e| e.to_string())
}

#[cfg(test)]
pub(crate) mod tests {
    use super::*;

    /// Every `<text>` of an SVG: its opening tag and its content.
    pub fn texts(svg: &str) -> Vec<(String, String)> {
        svg.split("<text")
            .skip(1)
            .filter_map(|part| {
                let (tag, rest) = part.split_once('>')?;
                let (content, _) = rest.split_once("</text>")?;
                Some((tag.to_string(), content.trim().to_string()))
            })
            .collect()
    }

    #[test]
    fn file_kind_comes_from_the_extension() {
        assert_eq!(PlotFile::parse("a/b.SVG").unwrap().kind, Kind::Svg);
        assert_eq!(PlotFile::parse("b.png").unwrap().kind, Kind::Png);
        assert!(PlotFile::parse("b.jpg").is_err());
        assert!(PlotFile::parse("plot").is_err());
        assert!(PlotFile::parse(".svg").is_err());
    }

    /// The labels of a PNG are drawn with a system font. Without any font the test skips
    /// loudly, and fails under CI=true (.ci/run installs fonts-dejavu-core).
    #[test]
    fn png_labels_are_drawn_with_a_system_font() {
        let mut db = resvg::usvg::fontdb::Database::new();
        db.load_system_fonts();
        if db.is_empty() {
            assert!(
                std::env::var("CI").as_deref() != Ok("true"),
                "no system fonts under CI"
            );
            eprintln!("SKIPPED png_labels_are_drawn_with_a_system_font: no system fonts");
            return;
        }
        let text = svg((200, 60), |area| {
            area.draw(&Text::new("RTT (ms)", (10, 20), font(24)))
                .map_err(|e| e.to_string())
        });
        let bytes = png(&text).unwrap();
        let pixmap = resvg::tiny_skia::Pixmap::decode_png(&bytes).unwrap();
        let inked = pixmap
            .pixels()
            .iter()
            .filter(|p| p.red() < 128 && p.alpha() == 255)
            .count();
        assert!(inked > 100, "{inked} dark pixels: the text was not drawn");
    }

    #[test]
    fn an_svg_renders_to_a_png() {
        let text = svg((100, 50), |area| {
            area.draw(&Circle::new((50, 25), 10, REPLY.filled()))
                .map_err(|e| e.to_string())
        });
        let bytes = png(&text).unwrap();
        assert_eq!(&bytes[1..4], b"PNG");
    }
}
