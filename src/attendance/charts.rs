//! The reports page's charts as SVG, drawn on the server with plotters:
//! registrants and attendees per session against the baseline, and
//! attendees by sector or state. Pure: numbers in, an `<svg>` string out,
//! with a title and description for screen readers.
//!
//! Text: plotters is built without a font feature, so it lays labels out by
//! a fixed estimate and the SVG backend writes them as `<text>` for the
//! browser (or printer) to draw with its own fonts: no system fonts are
//! read and nothing is rasterized.

use std::ops::Range;

use plotters::coord::ranged1d::{DefaultFormatting, KeyPointHint};
use plotters::coord::types::RangedCoordf64;
use plotters::coord::Shift;
use plotters::prelude::*;
use plotters::style::text_anchor::{HPos, Pos, VPos};

use crate::attendance::measures::Point;

pub const REGISTRANTS: RGBColor = RGBColor(0x1f, 0x5f, 0xa8);
pub const ATTENDEES: RGBColor = RGBColor(0xc4, 0x5a, 0x00);
pub const BASELINE: RGBColor = RGBColor(0xb3, 0x26, 0x1e);
const AXIS: RGBColor = RGBColor(0x1b, 0x1f, 0x24);
pub const RUNNING_AVERAGE: RGBColor = RGBColor(0x6b, 0x3f, 0xa0);
pub const GRID: RGBColor = RGBColor(0xd7, 0xdc, 0xe2);

const FONT: FontFamily = FontFamily::SansSerif;
const LEGEND_HEIGHT: u32 = 34;

type Area<'a> = DrawingArea<SVGBackend<'a>, Shift>;

/// An axis over `range` marked (grid line and label) at exactly `marks`:
/// plotters' own `with_key_points` cannot take a label formatter on f64.
struct Marked {
    range: Range<f64>,
    marks: Vec<f64>,
}

impl Ranged for Marked {
    type FormatOption = DefaultFormatting;
    type ValueType = f64;

    fn map(&self, value: &f64, limit: (i32, i32)) -> i32 {
        RangedCoordf64::from(self.range.clone()).map(value, limit)
    }

    fn key_points<Hint: KeyPointHint>(&self, hint: Hint) -> Vec<f64> {
        if hint.weight().allow_light_points() {
            Vec::new()
        } else {
            self.marks.clone()
        }
    }

    fn range(&self) -> Range<f64> {
        self.range.clone()
    }
}

fn marked(range: Range<f64>, marks: Vec<f64>) -> Marked {
    Marked { range, marks }
}

/// What a chart is, for those who cannot see it: `<title>` and `<desc>`.
pub struct Described<'a> {
    /// Unique in the page: the ids of the title and description start with it.
    pub id: &'a str,
    pub title: &'a str,
    pub description: &'a str,
}

/// One session's bars and its point on the running average.
#[derive(Debug, Clone, PartialEq)]
pub struct SessionBars {
    /// Under the pair of bars, as the table writes it: `Jan 20, 2026`.
    pub label: String,
    pub registrants: i64,
    pub attendees: i64,
    pub running_average: f64,
}

impl From<&Point> for SessionBars {
    fn from(p: &Point) -> Self {
        Self {
            label: date_label(&p.date),
            registrants: p.measures.registrants,
            attendees: p.measures.attendees,
            running_average: p.running_average,
        }
    }
}

/// A session's date (`2026-01-20`) as the reports page writes it, in the
/// chart and its table alike: `Jan 20, 2026`.
pub fn date_label(date: &str) -> String {
    chrono::NaiveDate::parse_from_str(date, "%Y-%m-%d")
        .map_or_else(|_| date.to_string(), |d| d.format("%b %-d, %Y").to_string())
}

/// Where the baseline goes: on the scale while the bars would keep at
/// least half the chart's height, else marked at the top edge (it is far
/// above what happened, and scaling to it would flatten the bars).
#[derive(Debug, Clone, Copy, PartialEq)]
pub enum BaselineMark {
    None,
    OnScale(f64),
    Above(f64),
}

/// The tallest thing the sessions chart draws but the baseline.
pub fn highest_bar(rows: &[SessionBars]) -> f64 {
    rows.iter()
        .flat_map(|r| [r.registrants as f64, r.attendees as f64, r.running_average])
        .fold(0.0, f64::max)
}

pub fn baseline_mark(baseline: Option<u32>, highest: f64) -> BaselineMark {
    match baseline.map(f64::from) {
        None => BaselineMark::None,
        Some(b) if b <= 2.0 * highest.max(1.0) => BaselineMark::OnScale(b),
        Some(b) => BaselineMark::Above(b),
    }
}

/// The values an axis from zero marks: about five steps of 1, 2 or 5 × 10ⁿ
/// (whole numbers: these are people), the last one at or above `max`.
pub fn ticks(max: f64) -> Vec<f64> {
    let max = max.max(1.0);
    let raw = max / 5.0;
    let magnitude = 10f64.powf(raw.log10().floor());
    let step = match raw / magnitude {
        f if f <= 1.0 => magnitude,
        f if f <= 2.0 => 2.0 * magnitude,
        f if f <= 5.0 => 5.0 * magnitude,
        _ => 10.0 * magnitude,
    }
    .max(1.0);
    let steps = (max / step).ceil() as usize;
    (0..=steps).map(|i| i as f64 * step).collect()
}

fn failed<E: std::error::Error + Send + Sync + 'static>(e: E) -> anyhow::Error {
    anyhow::anyhow!("drawing a chart: {e}")
}

fn escape(text: &str) -> String {
    text.replace('&', "&amp;")
        .replace('<', "&lt;")
        .replace('>', "&gt;")
        .replace('"', "&quot;")
}

/// The SVG plotters wrote, made an image with a name: `role="img"`, a
/// `<title>` and a `<desc>` it is labelled by, and scaled by CSS.
fn described(svg: String, about: &Described) -> String {
    let id = escape(about.id);
    let Some(open_end) = svg.find('>') else {
        return svg;
    };
    let (open, rest) = svg.split_at(open_end);
    let open = open.replacen(
        "<svg ",
        &format!(
            "<svg class=\"chart\" role=\"img\" aria-labelledby=\"{id}-title {id}-desc\" \
             preserveAspectRatio=\"xMinYMin meet\" "
        ),
        1,
    );
    format!(
        "{open}>\n<title id=\"{id}-title\">{}</title>\n<desc id=\"{id}-desc\">{}</desc>{}",
        escape(about.title),
        escape(about.description),
        &rest[1..]
    )
}

/// A row of swatches and names above a chart.
fn legend(area: &Area, entries: &[(&str, RGBColor, bool)]) -> anyhow::Result<()> {
    let style = TextStyle::from((FONT, 16)).pos(Pos::new(HPos::Left, VPos::Center));
    let mut x = 10;
    let y = (LEGEND_HEIGHT / 2) as i32;
    for (name, color, is_line) in entries {
        if *is_line {
            area.draw(&PathElement::new(
                vec![(x, y), (x + 18, y)],
                color.stroke_width(3),
            ))
            .map_err(failed)?;
        } else {
            area.draw(&Rectangle::new(
                [(x + 2, y - 7), (x + 16, y + 7)],
                color.filled(),
            ))
            .map_err(failed)?;
        }
        area.draw(&Text::new(name.to_string(), (x + 24, y), style.clone()))
            .map_err(failed)?;
        // The fixed estimate plotters would use for this text, plus a gap.
        x += 24 + (name.chars().count() as i32) * 8 + 22;
    }
    Ok(())
}

/// Registrants and attendees per session as pairs of bars, with the
/// baseline as a horizontal line and the running average of registrants as
/// a line through the sessions; `None` when there are no sessions.
pub fn sessions(
    rows: &[SessionBars],
    baseline: Option<u32>,
    about: &Described,
) -> anyhow::Result<Option<String>> {
    if rows.is_empty() {
        return Ok(None);
    }
    let n = rows.len();
    let data = highest_bar(rows);
    let mark = baseline_mark(baseline, data);
    let highest = match mark {
        BaselineMark::OnScale(b) => data.max(b),
        _ => data,
    };
    let y_ticks = ticks(highest);
    let top = *y_ticks.last().expect("ticks start at zero");
    // Enough room per session for its label (`Jan 20, 2026`); one in
    // `every` is labelled. The page scrolls a wide chart sideways on a
    // phone rather than shrinking its text.
    let width = (120 + 110 * n as u32).clamp(640, 2800);
    let every = n.div_ceil(24);
    let centers: Vec<f64> = (0..n).step_by(every).map(|i| i as f64 + 0.5).collect();
    let mut svg = String::new();
    {
        let root = SVGBackend::with_string(&mut svg, (width, 380)).into_drawing_area();
        root.fill(&WHITE).map_err(failed)?;
        let (top_area, chart_area) = root.split_vertically(LEGEND_HEIGHT);
        let mut entries = vec![
            ("Registrants", REGISTRANTS, false),
            ("Attendees", ATTENDEES, false),
        ];
        if mark != BaselineMark::None {
            entries.push(("Baseline", BASELINE, true));
        }
        entries.push(("Running average of registrants", RUNNING_AVERAGE, true));
        legend(&top_area, &entries)?;
        let mut chart = ChartBuilder::on(&chart_area)
            .margin_left(10)
            .margin_right(20)
            .margin_top(10)
            .margin_bottom(6)
            .x_label_area_size(36)
            .y_label_area_size(60)
            .build_cartesian_2d(marked(0.0..n as f64, centers), marked(0.0..top, y_ticks))
            .map_err(failed)?;
        let label_of = |x: &f64| {
            rows.get(x.floor() as usize)
                .map_or(String::new(), |r| r.label.clone())
        };
        chart
            .configure_mesh()
            .disable_x_mesh()
            .bold_line_style(GRID.stroke_width(1))
            .axis_style(AXIS.stroke_width(1))
            .x_label_formatter(&label_of)
            .y_label_formatter(&|y| format!("{y:.0}"))
            .x_label_style((FONT, 16))
            .y_label_style((FONT, 16))
            .y_desc("People")
            .draw()
            .map_err(failed)?;
        chart
            .draw_series(rows.iter().enumerate().flat_map(|(i, r)| {
                let x = i as f64;
                [
                    Rectangle::new(
                        [(x + 0.12, r.registrants as f64), (x + 0.5, 0.0)],
                        REGISTRANTS.filled(),
                    ),
                    Rectangle::new(
                        [(x + 0.5, r.attendees as f64), (x + 0.88, 0.0)],
                        ATTENDEES.filled(),
                    ),
                ]
            }))
            .map_err(failed)?;
        // Far above: a line along the top edge, labelled with its value
        // and an arrow up, so no one reads the top of the scale as it.
        let (at, said) = match mark {
            BaselineMark::None => (None, String::new()),
            BaselineMark::OnScale(b) => (Some(b), format!("Baseline {b}")),
            BaselineMark::Above(b) => (Some(top), format!("↑ Baseline {b} (above this scale)")),
        };
        if let Some(y) = at {
            chart
                .draw_series([PathElement::new(
                    vec![(0.0, y), (n as f64, y)],
                    BASELINE.stroke_width(2),
                )])
                .map_err(failed)?;
            let pos = match mark {
                BaselineMark::Above(_) => Pos::new(HPos::Right, VPos::Top),
                _ => Pos::new(HPos::Right, VPos::Bottom),
            };
            chart
                .draw_series([Text::new(
                    said,
                    (n as f64, y),
                    TextStyle::from((FONT, 16)).pos(pos),
                )])
                .map_err(failed)?;
        }
        let averages: Vec<(f64, f64)> = rows
            .iter()
            .enumerate()
            .map(|(i, r)| (i as f64 + 0.5, r.running_average))
            .collect();
        chart
            .draw_series([PathElement::new(
                averages.clone(),
                RUNNING_AVERAGE.stroke_width(2),
            )])
            .map_err(failed)?;
        chart
            .draw_series(
                averages
                    .into_iter()
                    .map(|p| Circle::new(p, 3, RUNNING_AVERAGE.filled())),
            )
            .map_err(failed)?;
        root.present().map_err(failed)?;
    }
    Ok(Some(described(svg, about)))
}

/// Counts by category (largest first, as given) as horizontal bars, one
/// per row, largest at the top; `None` when there is nothing to count.
pub fn breakdown(rows: &[(String, i64)], about: &Described) -> anyhow::Result<Option<String>> {
    if rows.iter().all(|(_, count)| *count == 0) {
        return Ok(None);
    }
    let n = rows.len();
    let x_ticks = ticks(rows.iter().map(|r| r.1).max().unwrap_or(0) as f64);
    let right = *x_ticks.last().expect("ticks start at zero");
    // Long names are cut in the chart; the table has them whole.
    let shown: Vec<String> = rows
        .iter()
        .map(|(name, _)| {
            if name.chars().count() > 32 {
                format!("{}…", name.chars().take(31).collect::<String>())
            } else {
                name.clone()
            }
        })
        .collect();
    let longest = shown.iter().map(|s| s.chars().count()).max().unwrap_or(0) as u32;
    let centers: Vec<f64> = (0..n).map(|i| i as f64 + 0.5).collect();
    let height = 60 + 28 * n as u32;
    let mut svg = String::new();
    {
        let root = SVGBackend::with_string(&mut svg, (640, height)).into_drawing_area();
        root.fill(&WHITE).map_err(failed)?;
        let mut chart = ChartBuilder::on(&root)
            .margin(10)
            .margin_right(24)
            .x_label_area_size(30)
            .y_label_area_size((16 + 15 * longest / 2).clamp(60, 280))
            .build_cartesian_2d(marked(0.0..right, x_ticks), marked(0.0..n as f64, centers))
            .map_err(failed)?;
        // Row i (largest first) sits at the top: its center is n - i - 0.5.
        let name_of = |y: &f64| {
            let i = (n as f64 - y - 0.5).round();
            if i < 0.0 {
                return String::new();
            }
            shown.get(i as usize).cloned().unwrap_or_default()
        };
        chart
            .configure_mesh()
            .disable_y_mesh()
            .bold_line_style(GRID.stroke_width(1))
            .axis_style(AXIS.stroke_width(1))
            .x_label_formatter(&|x| format!("{x:.0}"))
            .y_label_formatter(&name_of)
            .x_label_style((FONT, 16))
            .y_label_style((FONT, 16))
            .draw()
            .map_err(failed)?;
        chart
            .draw_series(rows.iter().enumerate().map(|(i, (_, count))| {
                let y = (n - i - 1) as f64;
                Rectangle::new(
                    [(0.0, y + 0.82), (*count as f64, y + 0.18)],
                    ATTENDEES.filled(),
                )
            }))
            .map_err(failed)?;
        root.present().map_err(failed)?;
    }
    Ok(Some(described(svg, about)))
}

#[cfg(test)]
#[path = "charts_tests.rs"]
mod tests;
