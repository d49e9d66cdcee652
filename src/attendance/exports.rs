//! The measures written out: a series' trend and one session's measures
//! as CSV for a spreadsheet, and the trend as a table for a terminal.

use crate::attendance::measures::{Measures, Point};

/// The trend as CSV for a spreadsheet, a row per session.
pub fn csv(points: &[Point]) -> anyhow::Result<Vec<u8>> {
    let num = |x: Option<f64>| x.map_or(String::new(), |v| v.to_string());
    crate::web::csv::spreadsheet_csv(
        &[
            "Date",
            "Session",
            "Registrants",
            "Waitlisted",
            "Baseline",
            "Difference",
            "Ratio",
            "Attendees",
            "Staff",
            "Joins",
            "Registrants attended",
            "Walk-ins",
            "Attendance rate",
            "First-time",
            "Returning",
            "Average minutes",
            "Running average",
            "People reached",
        ],
        points.iter().map(|p| {
            let m = &p.measures;
            let b = m.baseline.as_ref();
            vec![
                p.date.clone(),
                p.title.clone(),
                m.registrants.to_string(),
                m.waitlisted.to_string(),
                b.map_or(String::new(), |b| b.baseline.to_string()),
                b.map_or(String::new(), |b| b.difference.to_string()),
                b.map_or(String::new(), |b| b.ratio.to_string()),
                m.attendees.to_string(),
                m.staff.to_string(),
                m.joins.to_string(),
                m.registrants_attended.to_string(),
                m.walk_ins.to_string(),
                num(m.attendance_rate),
                m.first_time.to_string(),
                m.returning.to_string(),
                num(m.average_minutes),
                p.running_average.to_string(),
                p.people_reached.to_string(),
            ]
        }),
    )
}

/// One session's measures as CSV for a spreadsheet: `Measure,Value` rows,
/// then a row per sector and per state reached.
pub fn session_csv(title: &str, date: chrono::NaiveDate, m: &Measures) -> anyhow::Result<Vec<u8>> {
    let num = |x: Option<f64>| x.map_or(String::new(), |v| v.to_string());
    let b = m.baseline.as_ref();
    let mut rows: Vec<(String, String)> = vec![
        ("Session".into(), title.to_string()),
        ("Date".into(), date.format("%Y-%m-%d").to_string()),
        ("Registrants".into(), m.registrants.to_string()),
        ("Waitlisted".into(), m.waitlisted.to_string()),
        (
            "Baseline".into(),
            b.map_or(String::new(), |b| b.baseline.to_string()),
        ),
        (
            "Difference".into(),
            b.map_or(String::new(), |b| b.difference.to_string()),
        ),
        (
            "Ratio".into(),
            b.map_or(String::new(), |b| b.ratio.to_string()),
        ),
        ("Attendees".into(), m.attendees.to_string()),
        ("Staff".into(), m.staff.to_string()),
        ("Joins".into(), m.joins.to_string()),
        (
            "Registrants attended".into(),
            m.registrants_attended.to_string(),
        ),
        ("Walk-ins".into(), m.walk_ins.to_string()),
        ("Attendance rate".into(), num(m.attendance_rate)),
        ("First-time".into(), m.first_time.to_string()),
        ("Returning".into(), m.returning.to_string()),
        ("Average minutes".into(), num(m.average_minutes)),
    ];
    rows.extend(
        m.by_sector
            .iter()
            .map(|(k, v)| (format!("Sector: {k}"), v.to_string())),
    );
    rows.extend(
        m.by_state
            .iter()
            .map(|(k, v)| (format!("State: {k}"), v.to_string())),
    );
    crate::web::csv::spreadsheet_csv(
        &["Measure", "Value"],
        rows.into_iter().map(|(k, v)| vec![k, v]),
    )
}

/// The trend as a plain-text table for a terminal.
pub fn table(points: &[Point], baseline: Option<u32>) -> String {
    let pct = |x: Option<f64>| x.map_or("–".to_string(), |r| format!("{:.0}%", r * 100.0));
    let mut out = format!(
        "{:<10}  {:>11}  {:>9}  {:>9}  {:>5}  {:>6}  {:>10}  {:>9}  {:>7}  {:>11}  {:>7}\n",
        "date",
        "registrants",
        "vs base",
        "attendees",
        "staff",
        "rate",
        "first-time",
        "returning",
        "avg min",
        "running avg",
        "reached"
    );
    for p in points {
        let m = &p.measures;
        out.push_str(&format!(
            "{:<10}  {:>11}  {:>9}  {:>9}  {:>5}  {:>6}  {:>10}  {:>9}  {:>7}  {:>11}  {:>7}\n",
            p.date,
            m.registrants,
            m.baseline
                .as_ref()
                .map_or("–".to_string(), |b| format!("{:+}", b.difference)),
            m.attendees,
            m.staff,
            pct(m.attendance_rate),
            m.first_time,
            m.returning,
            m.average_minutes
                .map_or("–".to_string(), |a| format!("{a:.1}")),
            format!("{:.1}", p.running_average),
            p.people_reached,
        ));
    }
    match baseline {
        Some(b) => out.push_str(&format!(
            "{} session(s); baseline {b} registrants\n",
            points.len()
        )),
        None => out.push_str(&format!(
            "{} session(s); no baseline configured\n",
            points.len()
        )),
    }
    out
}
