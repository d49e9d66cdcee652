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
    /// Under the pair of bars, e.g. `1/20/26`.
    pub label: String,
    pub registrants: i64,
    pub attendees: i64,
    pub running_average: f64,
}

impl From<&Point> for SessionBars {
    fn from(p: &Point) -> Self {
        let label = chrono::NaiveDate::parse_from_str(&p.date, "%Y-%m-%d")
            .map_or_else(|_| p.date.clone(), |d| d.format("%-m/%-d/%y").to_string());
        Self {
            label,
            registrants: p.measures.registrants,
            attendees: p.measures.attendees,
            running_average: p.running_average,
        }
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
    let highest = rows
        .iter()
        .flat_map(|r| [r.registrants as f64, r.attendees as f64, r.running_average])
        .chain(baseline.map(f64::from))
        .fold(0.0, f64::max);
    let y_ticks = ticks(highest);
    let top = *y_ticks.last().expect("ticks start at zero");
    // Enough room per session for its label; one in `every` is labelled.
    let width = (120 + 56 * n as u32).clamp(640, 1600);
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
        if baseline.is_some() {
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
        if let Some(b) = baseline {
            let b = f64::from(b);
            chart
                .draw_series([PathElement::new(
                    vec![(0.0, b), (n as f64, b)],
                    BASELINE.stroke_width(2),
                )])
                .map_err(failed)?;
            chart
                .draw_series([Text::new(
                    format!("Baseline {b}"),
                    (n as f64, b),
                    TextStyle::from((FONT, 16)).pos(Pos::new(HPos::Right, VPos::Bottom)),
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
mod tests {
    use super::*;

    /// A rectangle as drawn: x, y, width, height and fill.
    #[derive(Debug)]
    struct Rect {
        x: f64,
        y: f64,
        width: f64,
        height: f64,
        fill: String,
    }

    fn number(node: roxmltree::Node, name: &str) -> f64 {
        node.attribute(name)
            .and_then(|v| v.parse().ok())
            .unwrap_or_else(|| panic!("{name} on {node:?}"))
    }

    fn rects(svg: &str, color: RGBColor) -> Vec<Rect> {
        let fill = format!("#{:02X}{:02X}{:02X}", color.0, color.1, color.2);
        let doc = roxmltree::Document::parse(svg).expect("well-formed SVG");
        doc.descendants()
            .filter(|n| n.has_tag_name("rect"))
            .map(|n| Rect {
                x: number(n, "x"),
                y: number(n, "y"),
                width: number(n, "width"),
                height: number(n, "height"),
                fill: n.attribute("fill").unwrap_or_default().to_string(),
            })
            .filter(|r| r.fill.eq_ignore_ascii_case(&fill))
            .collect()
    }

    /// The axis labels that are numbers, with the position they mark.
    fn numeric_labels(svg: &str) -> Vec<(f64, f64, f64)> {
        let doc = roxmltree::Document::parse(svg).unwrap();
        doc.descendants()
            .filter(|n| n.has_tag_name("text"))
            .filter_map(|n| {
                let value: f64 = n.text()?.trim().parse().ok()?;
                Some((value, number(n, "x"), number(n, "y")))
            })
            .collect()
    }

    /// The y of the widest horizontal line in `color` (legend swatches are
    /// short).
    fn horizontal_line(svg: &str, color: RGBColor) -> Option<Vec<f64>> {
        let stroke = format!("#{:02X}{:02X}{:02X}", color.0, color.1, color.2);
        let doc = roxmltree::Document::parse(svg).unwrap();
        doc.descendants()
            .filter(|n| n.has_tag_name("polyline") && n.attribute("stroke") == Some(&stroke))
            .map(|n| {
                n.attribute("points")
                    .unwrap()
                    .split_whitespace()
                    .map(|p| {
                        let (x, y) = p.split_once(',').unwrap();
                        (x.parse::<f64>().unwrap(), y.parse::<f64>().unwrap())
                    })
                    .collect::<Vec<_>>()
            })
            .max_by_key(|points| {
                let xs = points.iter().map(|p| p.0);
                (xs.clone().fold(f64::MIN, f64::max) - xs.fold(f64::MAX, f64::min)) as i64
            })
            .map(|points| points.into_iter().map(|p| p.1).collect())
    }

    fn about() -> Described<'static> {
        Described {
            id: "test",
            title: "A <chart>",
            description: "Numbers & more",
        }
    }

    fn bars(label: &str, registrants: i64, attendees: i64, running: f64) -> SessionBars {
        SessionBars {
            label: label.into(),
            registrants,
            attendees,
            running_average: running,
        }
    }

    #[test]
    fn ticks_are_round_steps_from_zero_past_the_largest_value() {
        assert_eq!(ticks(577.0), [0.0, 200.0, 400.0, 600.0]);
        assert_eq!(ticks(650.0), [0.0, 200.0, 400.0, 600.0, 800.0]);
        assert_eq!(ticks(3.0), [0.0, 1.0, 2.0, 3.0]);
        assert_eq!(ticks(0.0), [0.0, 1.0], "an empty axis still has a scale");
        assert_eq!(ticks(40.0), [0.0, 10.0, 20.0, 30.0, 40.0]);
        for max in [1.0, 7.0, 99.0, 101.0, 577.0, 12_345.0] {
            let t = ticks(max);
            assert!(*t.last().unwrap() >= max, "{max}: {t:?}");
            assert!(t.len() <= 7, "{max}: {t:?}");
        }
    }

    #[test]
    fn bar_heights_are_proportional_to_the_counts_and_the_baseline_sits_on_the_scale() {
        let rows = [
            bars("1/20/26", 600, 300, 600.0),
            bars("2/17/26", 450, 150, 525.0),
            bars("3/17/26", 0, 0, 350.0),
        ];
        let svg = sessions(&rows, Some(577), &about()).unwrap().unwrap();
        let registrants = rects(&svg, REGISTRANTS);
        let attendees = rects(&svg, ATTENDEES);
        // One swatch in the legend for each, then a bar per session.
        assert_eq!((registrants.len(), attendees.len()), (4, 4), "{svg}");
        let labels = numeric_labels(&svg);
        let at = |v: f64| labels.iter().find(|l| l.0 == v).map(|l| l.2).unwrap();
        let (zero, six_hundred) = (at(0.0), at(600.0));
        let per_person = (zero - six_hundred) / 600.0;
        for (bar, want) in registrants[1..].iter().zip([600.0, 450.0, 0.0]) {
            assert!(
                (bar.height - want * per_person).abs() <= 1.0,
                "{bar:?} for {want}"
            );
            assert!(
                (bar.y + bar.height - zero).abs() <= 1.0,
                "on the axis: {bar:?}"
            );
        }
        for (bar, want) in attendees[1..].iter().zip([300.0, 150.0, 0.0]) {
            assert!(
                (bar.height - want * per_person).abs() <= 1.0,
                "{bar:?} for {want}"
            );
        }
        // Side by side: each session's registrants left of its attendees.
        for (r, a) in registrants[1..].iter().zip(&attendees[1..]) {
            assert!(r.x + r.width <= a.x + 1.0, "{r:?} {a:?}");
        }
        let ys = horizontal_line(&svg, BASELINE).expect("a baseline");
        assert!(
            ys.iter()
                .all(|y| (y - (zero - 577.0 * per_person)).abs() <= 1.0),
            "baseline at 577: {ys:?}"
        );
    }

    #[test]
    fn the_svg_is_an_image_with_an_escaped_title_and_description() {
        let svg = sessions(&[bars("1/20/26", 5, 3, 5.0)], None, &about())
            .unwrap()
            .unwrap();
        let doc = roxmltree::Document::parse(&svg).unwrap();
        let root = doc.root_element();
        assert_eq!(root.attribute("role"), Some("img"));
        assert_eq!(
            root.attribute("aria-labelledby"),
            Some("test-title test-desc")
        );
        let text_of = |id: &str| {
            doc.descendants()
                .find(|n| n.attribute("id") == Some(id))
                .and_then(|n| n.text())
                .unwrap()
                .to_string()
        };
        assert_eq!(text_of("test-title"), "A <chart>");
        assert_eq!(text_of("test-desc"), "Numbers & more");
        assert!(
            !svg.contains("Baseline"),
            "no baseline configured, none drawn"
        );
    }

    #[test]
    fn breakdown_bars_are_as_long_as_their_counts_largest_on_top() {
        let rows = vec![
            ("Provider organization".to_string(), 40),
            ("State or national association".to_string(), 25),
            ("Not given".to_string(), 5),
        ];
        let svg = breakdown(&rows, &about()).unwrap().unwrap();
        let drawn = rects(&svg, ATTENDEES);
        assert_eq!(drawn.len(), 3, "{svg}");
        let labels = numeric_labels(&svg);
        let at = |v: f64| labels.iter().find(|l| l.0 == v).map(|l| l.1).unwrap();
        let per_person = (at(40.0) - at(0.0)) / 40.0;
        for (bar, (_, count)) in drawn.iter().zip(&rows) {
            assert!(
                (bar.width - *count as f64 * per_person).abs() <= 1.0,
                "{bar:?} for {count}"
            );
            assert!((bar.x - at(0.0)).abs() <= 1.0, "from zero: {bar:?}");
        }
        assert!(
            drawn[0].y < drawn[1].y && drawn[1].y < drawn[2].y,
            "largest first from the top"
        );
        assert!(
            svg.contains(">\nState or national association\n</text>"),
            "a name of 29 characters is shown whole"
        );
    }

    #[test]
    fn nothing_to_draw_is_no_chart() {
        assert_eq!(sessions(&[], Some(577), &about()).unwrap(), None);
        assert_eq!(breakdown(&[], &about()).unwrap(), None);
        assert_eq!(
            breakdown(&[("Not given".into(), 0)], &about()).unwrap(),
            None
        );
    }

    #[test]
    fn a_session_is_labelled_by_its_short_date() {
        let m = crate::attendance::measures::compute(10, 0, &[], Some(577));
        let p = Point {
            session_id: 1,
            title: "Jam".into(),
            date: "2026-01-20".into(),
            measures: m,
            running_average: 10.0,
            running_vs_baseline: None,
            people_reached: 0,
        };
        assert_eq!(
            SessionBars::from(&p),
            bars("1/20/26", 10, 0, 10.0),
            "US month/day/year"
        );
    }
}
