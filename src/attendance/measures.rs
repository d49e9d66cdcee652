//! A session's measures: registrants against the series' baseline, who
//! attended (registered or not), the attendance rate, first-time and
//! returning attendees, average minutes, and the sectors and states
//! reached. Staff (host, co-hosts, panelists) are counted apart and in
//! nothing else. `compute` is pure; `for_session` loads what it needs.

use std::collections::BTreeMap;

use diesel::prelude::*;
use serde::Serialize;

use crate::db::schema::{attendance, people, sessions};
use crate::db::DbConnection;
use crate::people::contact::{sector_label, STATES};
use crate::registration::{REGISTERED, WAITLISTED};
use crate::series::model::{self, Session};

/// The role of someone who came to listen. Every other role (host,
/// co-host, panelist) is staff: there to run the session, not an attendee.
pub const ATTENDEE: &str = "attendee";

/// Whether an attendance row's `role` makes its person staff.
pub fn is_staff(role: &str) -> bool {
    role != ATTENDEE
}

/// One person who attended.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Attended {
    pub minutes: i32,
    /// Times they joined (a rejoin is another).
    pub joins: i32,
    pub registered_here: bool,
    /// Attended an earlier session of the same series.
    pub returning: bool,
    pub sector: String,
    pub state: String,
    /// Ran the session (`is_staff`): counted in `Measures::staff` only.
    pub staff: bool,
}

/// How registrants compare with the series' usual number.
#[derive(Debug, Clone, PartialEq, Serialize, utoipa::ToSchema)]
pub struct Baseline {
    pub baseline: i64,
    /// Registrants minus the baseline.
    pub difference: i64,
    /// Registrants divided by the baseline, to two decimals.
    pub ratio: f64,
}

#[derive(Debug, Clone, PartialEq, Serialize, utoipa::ToSchema)]
pub struct Measures {
    pub registrants: i64,
    pub waitlisted: i64,
    /// Everyone who attended, registered here or not: unique people,
    /// however often each joined. Staff are not attendees.
    pub attendees: i64,
    /// Hosts, co-hosts and panelists who attended: counted here and in no
    /// other measure (not joins, walk-ins, the rate, minutes or breakdowns).
    pub staff: i64,
    /// Times attendees joined (Zoom's "Total Users"): more than `attendees`
    /// when people left and came back.
    pub joins: i64,
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
    summed(labels.map(|label| (label, 1)))
}

/// Counts added up by label, largest first (then by name): e.g. the
/// sessions' `by_sector` over a period.
pub fn summed(counts: impl IntoIterator<Item = (String, i64)>) -> Vec<(String, i64)> {
    let mut totals: BTreeMap<String, i64> = BTreeMap::new();
    for (label, n) in counts {
        *totals.entry(label).or_default() += n;
    }
    let mut rows: Vec<(String, i64)> = totals.into_iter().collect();
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

/// The measures of one session from its counts and who attended it
/// (staff among them, counted apart).
pub fn compute(
    registrants: i64,
    waitlisted: i64,
    attended: &[Attended],
    baseline: Option<u32>,
) -> Measures {
    let (staff, attended): (Vec<&Attended>, Vec<&Attended>) =
        attended.iter().partition(|a| a.staff);
    let attendees = attended.len() as i64;
    let registrants_attended = attended.iter().filter(|a| a.registered_here).count() as i64;
    let returning = attended.iter().filter(|a| a.returning).count() as i64;
    let minutes: i64 = attended.iter().map(|a| i64::from(a.minutes)).sum();
    Measures {
        registrants,
        waitlisted,
        attendees,
        staff: staff.len() as i64,
        joins: attended.iter().map(|a| i64::from(a.joins)).sum(),
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
    let rows: Vec<(i64, i32, i32, bool, String, String, String)> = attendance::table
        .inner_join(people::table)
        .filter(attendance::session_id.eq(session.id))
        .filter(attendance::attended.eq(true))
        .select((
            people::id,
            attendance::minutes,
            attendance::joins,
            attendance::registered_here,
            people::sector,
            people::state,
            attendance::role,
        ))
        .load(conn)?;
    let ids: Vec<i64> = rows.iter().map(|r| r.0).collect();
    // Who attended an earlier session of the same series as an attendee:
    // having run one does not make someone a returning attendee.
    let before: Vec<i64> = attendance::table
        .inner_join(sessions::table)
        .filter(sessions::series_id.eq(session.series_id))
        .filter(sessions::starts_at.lt(session.starts_at))
        .filter(attendance::attended.eq(true))
        .filter(attendance::role.eq(ATTENDEE))
        .filter(attendance::person_id.eq_any(&ids))
        .select(attendance::person_id)
        .distinct()
        .load(conn)?;
    let attended: Vec<Attended> = rows
        .into_iter()
        .map(
            |(id, minutes, joins, registered_here, sector, state, role)| Attended {
                minutes,
                joins,
                registered_here,
                returning: before.contains(&id),
                sector,
                state,
                staff: is_staff(&role),
            },
        )
        .collect();
    Ok(compute(registrants, waitlisted, &attended, baseline))
}

/// One session in a series' trend.
#[derive(Debug, Clone, PartialEq, Serialize, utoipa::ToSchema)]
#[schema(as = TrendPoint)]
pub struct Point {
    pub session_id: i64,
    pub title: String,
    /// The session's local date, `YYYY-MM-DD`.
    pub date: String,
    pub measures: Measures,
    /// Average registrants over this and the earlier sessions of the trend.
    pub running_average: f64,
    /// Different people who attended this or an earlier session of the
    /// trend, staff left out: the period's reach so far.
    pub people_reached: i64,
    /// The running average against the baseline.
    pub running_vs_baseline: Option<Baseline>,
}

/// One session of a trend: the session, its measures, and who attended
/// it (person ids, staff left out).
pub type TrendSession = (Session, Measures, Vec<i64>);

/// The sessions' measures in order, each with the running average of
/// registrants (and how it compares with the baseline) and the people
/// reached so far.
pub fn trend(sessions: Vec<TrendSession>, baseline: Option<u32>) -> Vec<Point> {
    let mut total = 0i64;
    let mut reached = std::collections::HashSet::new();
    sessions
        .into_iter()
        .enumerate()
        .map(|(i, (s, m, attendees))| {
            total += m.registrants;
            reached.extend(attendees);
            let average = two_decimals(total as f64 / (i + 1) as f64);
            Point {
                session_id: s.id,
                title: s.title.clone(),
                date: s.local_date(),
                running_vs_baseline: baseline.filter(|b| *b > 0).map(|b| Baseline {
                    baseline: i64::from(b),
                    difference: average.round() as i64 - i64::from(b),
                    ratio: two_decimals(average / f64::from(b)),
                }),
                running_average: average,
                people_reached: reached.len() as i64,
                measures: m,
            }
        })
        .collect()
}

/// A series' sessions that started in `[from, to)`, not cancelled, with
/// their measures, oldest first.
pub fn for_series(
    conn: &mut DbConnection,
    series_id: i64,
    from: chrono::NaiveDateTime,
    to: chrono::NaiveDateTime,
    baseline: Option<u32>,
) -> QueryResult<Vec<Point>> {
    let list = model::sessions_of_period(conn, series_id, from, to)?;
    let ids: Vec<i64> = list.iter().map(|s| s.id).collect();
    let attended: Vec<(i64, i64)> = attendance::table
        .filter(attendance::session_id.eq_any(&ids))
        .filter(attendance::attended.eq(true))
        .filter(attendance::role.eq(ATTENDEE))
        .select((attendance::session_id, attendance::person_id))
        .load(conn)?;
    let mut rows = Vec::with_capacity(list.len());
    for s in list {
        let m = for_session(conn, &s, baseline)?;
        let people = attended
            .iter()
            .filter(|(session, _)| *session == s.id)
            .map(|(_, person)| *person)
            .collect();
        rows.push((s, m, people));
    }
    Ok(trend(rows, baseline))
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
            joins: 1,
            registered_here,
            returning,
            sector: sector.into(),
            state: state.into(),
            staff: false,
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
        assert_eq!(m.joins, 4, "one join each");
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
    fn staff_are_counted_apart_and_in_no_other_measure() {
        let staff = |minutes, registered_here, returning| Attended {
            joins: 2,
            staff: true,
            ..came(minutes, registered_here, returning, "provider", "NY")
        };
        let audience = [
            came(60, true, false, "association", "OH"),
            came(30, false, true, "association", "OH"),
        ];
        let everyone = [
            audience[0].clone(),
            staff(95, false, true),
            audience[1].clone(),
            // A registrant who was also a panelist.
            staff(90, true, false),
        ];
        let m = compute(10, 0, &everyone, Some(577));
        assert_eq!(m.staff, 2, "the host and the panelist");
        assert_eq!(
            (m.attendees, m.joins, m.registrants_attended, m.walk_ins),
            (2, 2, 1, 1),
            "{m:?}"
        );
        assert_eq!(m.attendance_rate, Some(0.1), "1 of 10: {m:?}");
        assert_eq!((m.first_time, m.returning), (1, 1), "{m:?}");
        assert_eq!(m.average_minutes, Some(45.0), "(60 + 30) / 2: {m:?}");
        assert_eq!(
            (m.by_sector.len(), m.by_state.len()),
            (1, 1),
            "no staff sector or state: {m:?}"
        );
        assert_eq!(
            Measures { staff: 0, ..m },
            compute(10, 0, &audience, Some(577)),
            "staff change nothing but the staff count"
        );
    }

    #[test]
    fn the_running_average_follows_the_sessions_in_order() {
        let session = |id: i64| Session {
            id,
            series_id: 1,
            uid: String::new(),
            title: format!("Jam {id}"),
            description: String::new(),
            starts_at: chrono::NaiveDate::from_ymd_opt(2026, id as u32, 17)
                .unwrap()
                .and_hms_opt(18, 0, 0)
                .unwrap(),
            ends_at: chrono::NaiveDate::from_ymd_opt(2026, id as u32, 17)
                .unwrap()
                .and_hms_opt(19, 0, 0)
                .unwrap(),
            timezone: "America/New_York".into(),
            capacity: 1000,
            join_url: String::new(),
            status: "scheduled".into(),
            sequence: 0,
            occurrence_date: None,
            cancel_reason: None,
            created_at: chrono::NaiveDateTime::default(),
            updated_at: chrono::NaiveDateTime::default(),
        };
        let points = trend(
            vec![
                (session(1), compute(500, 0, &[], Some(577)), vec![1, 2]),
                (session(2), compute(650, 0, &[], Some(577)), vec![2, 3, 4]),
                (session(3), compute(581, 0, &[], Some(577)), vec![1, 4]),
            ],
            Some(577),
        );
        let averages: Vec<f64> = points.iter().map(|p| p.running_average).collect();
        assert_eq!(averages, [500.0, 575.0, 577.0]);
        let reached: Vec<i64> = points.iter().map(|p| p.people_reached).collect();
        assert_eq!(
            reached,
            [2, 4, 4],
            "each person counted once, when first seen"
        );
        assert_eq!(
            points[2]
                .running_vs_baseline
                .as_ref()
                .map(|b| (b.difference, b.ratio)),
            Some((0, 1.0))
        );
        assert_eq!(points[0].date, "2026-01-17", "the local date in New York");
    }

    #[test]
    fn breakdowns_add_up_over_sessions_largest_first() {
        let a = compute(2, 0, &[came(1, true, false, "provider", "NY")], None);
        let b = compute(
            2,
            0,
            &[
                came(1, true, false, "association", "OH"),
                came(1, true, false, "association", "NY"),
            ],
            None,
        );
        let states = summed([&a, &b].into_iter().flat_map(|m| m.by_state.clone()));
        assert_eq!(
            states,
            [("New York".to_string(), 2), ("Ohio".to_string(), 1)]
        );
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
