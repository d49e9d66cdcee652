//! The charts' tests: what is drawn where, read back from the SVG.

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
        bars("Jan 20, 2026", 600, 300, 600.0),
        bars("Feb 17, 2026", 450, 150, 525.0),
        bars("Mar 17, 2026", 0, 0, 350.0),
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
    let svg = sessions(&[bars("Jan 20, 2026", 5, 3, 5.0)], None, &about())
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
        bars("Jan 20, 2026", 10, 0, 10.0),
        "the date as the table writes it"
    );
    assert_eq!(date_label("2026-01-20"), "Jan 20, 2026");
}

#[test]
fn a_baseline_far_above_the_bars_is_marked_at_the_top_and_the_scale_follows_the_bars() {
    let rows = [
        bars("Jan 20, 2026", 20, 12, 20.0),
        bars("Feb 17, 2026", 30, 18, 25.0),
    ];
    let svg = sessions(&rows, Some(577), &about()).unwrap().unwrap();
    let labels = numeric_labels(&svg);
    let top = labels.iter().map(|l| l.0).fold(0.0, f64::max);
    assert!(
        top < 100.0,
        "the scale is the bars', not the baseline's: {top}"
    );
    let at = |v: f64| labels.iter().find(|l| l.0 == v).map(|l| l.2).unwrap();
    let per_person = (at(0.0) - at(top)) / top;
    let registrants = rects(&svg, REGISTRANTS);
    assert!(
        (registrants[2].height - 30.0 * per_person).abs() <= 1.0,
        "the tallest bar fills most of the chart: {:?}",
        registrants[2]
    );
    let ys = horizontal_line(&svg, BASELINE).expect("the baseline is still drawn");
    assert!(
        ys.iter().all(|y| (y - at(top)).abs() <= 1.0),
        "along the top edge: {ys:?}"
    );
    assert!(
        svg.contains("Baseline 577 (above this scale)"),
        "labelled with its value"
    );

    // Within twice the bars, it stays on the scale.
    let svg = sessions(&rows, Some(50), &about()).unwrap().unwrap();
    let labels = numeric_labels(&svg);
    let at = |v: f64| labels.iter().find(|l| l.0 == v).map(|l| l.2).unwrap();
    let per_person = (at(0.0) - at(50.0)) / 50.0;
    let ys = horizontal_line(&svg, BASELINE).unwrap();
    assert!(
        ys.iter()
            .all(|y| (y - (at(0.0) - 50.0 * per_person)).abs() <= 1.0),
        "{ys:?}"
    );
}

#[test]
fn text_is_drawn_at_sixteen_pixels_so_an_unshrunk_chart_reads_on_a_phone() {
    let svg = sessions(&[bars("Jan 20, 2026", 5, 3, 5.0)], Some(577), &about())
        .unwrap()
        .unwrap();
    let doc = roxmltree::Document::parse(&svg).unwrap();
    let sizes: Vec<f64> = doc
        .descendants()
        .filter(|n| n.has_tag_name("text"))
        .filter_map(|n| {
            n.attribute("font-size")?
                .trim_end_matches("px")
                .parse()
                .ok()
        })
        .collect();
    assert!(!sizes.is_empty(), "font sizes are written");
    assert!(sizes.iter().all(|s| *s >= 11.0), "{sizes:?}");
}
