//! A session's measures: registrants against the series' baseline, who
//! attended (registered or not), the attendance rate, first-time and
//! returning attendees, average minutes, and the sectors and states
//! reached. `compute` is pure; `for_session` loads what it needs.

use std::collections::BTreeMap;

use diesel::prelude::*;
use serde::Serialize;

use crate::db::schema::{attendance, people, sessions};
use crate::db::DbConnection;
use crate::registration::domain::{sector_label, STATES};
use crate::registration::store::{REGISTERED, WAITLISTED};
use crate::series::model::{self, Session};

/// One person who attended.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Attended {
    pub minutes: i32,
    pub registered_here: bool,
    /// Attended an earlier session of the same series.
    pub returning: bool,
    pub sector: String,
    pub state: String,
}

/// How registrants compare with the series' usual number.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Baseline {
    pub baseline: i64,
    /// Registrants minus the baseline.
    pub difference: i64,
    /// Registrants divided by the baseline, to two decimals.
    pub ratio: f64,
}

#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Measures {
    pub registrants: i64,
    pub waitlisted: i64,
    /// Everyone who attended, registered here or not.
    pub attendees: i64,
    /// Registrants who attended.
    pub registrants_attended: i64,
    /// Attended without registering here.
    pub walk_ins: i64,
    /// Registrants who attended / registrants, to two decimals.
    pub attendance_rate: Option<f64>,
    pub baseline: Option<Baseline>,
    pub first_time: i64,
    pub returning: i64,
    pub average_minutes: Option<f64>,
    /// Attendees by sector and by state, largest first (then by name).
    pub by_sector: Vec<(String, i64)>,
    pub by_state: Vec<(String, i64)>,
}

fn two_decimals(x: f64) -> f64 {
    (x * 100.0).round() / 100.0
}

fn breakdown(labels: impl Iterator<Item = String>) -> Vec<(String, i64)> {
    let mut counts: BTreeMap<String, i64> = BTreeMap::new();
    for label in labels {
        *counts.entry(label).or_default() += 1;
    }
    let mut rows: Vec<(String, i64)> = counts.into_iter().collect();
    rows.sort_by(|a, b| b.1.cmp(&a.1).then_with(|| a.0.cmp(&b.0)));
    rows
}

fn state_label(code: &str) -> String {
    STATES
        .iter()
        .find(|(c, _)| *c == code)
        .map_or("Not given", |(_, l)| l)
        .to_string()
}

/// The measures of one session from its counts and its attendees.
pub fn compute(
    registrants: i64,
    waitlisted: i64,
    attended: &[Attended],
    baseline: Option<u32>,
) -> Measures {
    let attendees = attended.len() as i64;
    let registrants_attended = attended.iter().filter(|a| a.registered_here).count() as i64;
    let returning = attended.iter().filter(|a| a.returning).count() as i64;
    let minutes: i64 = attended.iter().map(|a| i64::from(a.minutes)).sum();
    Measures {
        registrants,
        waitlisted,
        attendees,
        registrants_attended,
        walk_ins: attendees - registrants_attended,
        attendance_rate: (registrants > 0)
            .then(|| two_decimals(registrants_attended as f64 / registrants as f64)),
        baseline: baseline.filter(|b| *b > 0).map(|b| Baseline {
            baseline: i64::from(b),
            difference: registrants - i64::from(b),
            ratio: two_decimals(registrants as f64 / f64::from(b)),
        }),
        first_time: attendees - returning,
        returning,
        average_minutes: (attendees > 0).then(|| two_decimals(minutes as f64 / attendees as f64)),
        by_sector: breakdown(attended.iter().map(|a| {
            if a.sector.is_empty() {
                "Not given".to_string()
            } else {
                sector_label(&a.sector).to_string()
            }
        })),
        by_state: breakdown(attended.iter().map(|a| state_label(&a.state))),
    }
}

/// Loads and computes session `session`'s measures.
pub fn for_session(
    conn: &mut DbConnection,
    session: &Session,
    baseline: Option<u32>,
) -> QueryResult<Measures> {
    let count = |conn: &mut DbConnection, status: &str| -> QueryResult<i64> {
        Ok(model::counts(conn, &[session.id], status)?
            .first()
            .map_or(0, |c| c.1))
    };
    let registrants = count(conn, REGISTERED)?;
    let waitlisted = count(conn, WAITLISTED)?;
    let rows: Vec<(i64, i32, bool, String, String)> = attendance::table
        .inner_join(people::table)
        .filter(attendance::session_id.eq(session.id))
        .filter(attendance::attended.eq(true))
        .select((
            people::id,
            attendance::minutes,
            attendance::registered_here,
            people::sector,
            people::state,
        ))
        .load(conn)?;
    let ids: Vec<i64> = rows.iter().map(|r| r.0).collect();
    // Who attended an earlier session of the same series.
    let before: Vec<i64> = attendance::table
        .inner_join(sessions::table)
        .filter(sessions::series_id.eq(session.series_id))
        .filter(sessions::starts_at.lt(session.starts_at))
        .filter(attendance::attended.eq(true))
        .filter(attendance::person_id.eq_any(&ids))
        .select(attendance::person_id)
        .distinct()
        .load(conn)?;
    let attended: Vec<Attended> = rows
        .into_iter()
        .map(|(id, minutes, registered_here, sector, state)| Attended {
            minutes,
            registered_here,
            returning: before.contains(&id),
            sector,
            state,
        })
        .collect();
    Ok(compute(registrants, waitlisted, &attended, baseline))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn came(
        minutes: i32,
        registered_here: bool,
        returning: bool,
        sector: &str,
        state: &str,
    ) -> Attended {
        Attended {
            minutes,
            registered_here,
            returning,
            sector: sector.into(),
            state: state.into(),
        }
    }

    #[test]
    fn measures_of_a_constructed_session() {
        let attended = [
            came(60, true, true, "provider", "NY"),
            came(30, true, false, "provider", "OH"),
            came(45, false, false, "association", "NY"),
            came(15, true, false, "", ""),
        ];
        let m = compute(600, 12, &attended, Some(577));
        assert_eq!((m.registrants, m.waitlisted, m.attendees), (600, 12, 4));
        assert_eq!((m.registrants_attended, m.walk_ins), (3, 1));
        assert_eq!(m.attendance_rate, Some(0.01), "3 of 600");
        assert_eq!(
            m.baseline,
            Some(Baseline {
                baseline: 577,
                difference: 23,
                ratio: 1.04
            })
        );
        assert_eq!((m.first_time, m.returning), (3, 1));
        assert_eq!(m.average_minutes, Some(37.5));
        assert_eq!(m.by_sector[0], ("Provider organization".to_string(), 2));
        assert_eq!(m.by_state[0], ("New York".to_string(), 2));
        assert!(m.by_state.contains(&("Not given".to_string(), 1)));
    }

    #[test]
    fn an_empty_session_has_no_rates() {
        let m = compute(0, 0, &[], None);
        assert_eq!(
            (m.attendance_rate, m.average_minutes, m.baseline),
            (None, None, None)
        );
        let below = compute(500, 0, &[], Some(577));
        assert_eq!(
            below.baseline.map(|b| (b.difference, b.ratio)),
            Some((-77, 0.87))
        );
    }
}
