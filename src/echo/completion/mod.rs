//! Completing a cohort (issue #6): per approved person, how many of the
//! cohort's sessions they attended against its threshold. The rule is
//! `assess`, a plain function; `load` reads what it needs in a fixed
//! number of queries; the facilitators see the list as JSON, as a CSV and
//! on the cohort's page, and each participant sees their own on theirs.
//!
//! Observers are held to the same threshold (their page promises it), and
//! are listed apart from the participants who present cases.

use std::collections::{HashMap, HashSet};

use actix_web::{web, HttpResponse};
use chrono::NaiveDateTime;
use diesel::prelude::*;
use serde::Serialize;

use crate::auth::{ApiUser, Caller, Need, PageUser};
use crate::db::schema::{applications, attendance, echo_sessions};
use crate::db::{self, DbConnection};
use crate::echo::cohorts::{self, Cohort, EchoSession};
use crate::echo::facilitators;
use crate::echo::participants::{Applied, APPROVED, OBSERVER};
use crate::error::ApiError;
use crate::series::model::Session;
use crate::web::routes::Routes;
use crate::web::AppState;

// ---------------------------------------------------------------- the rule

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, utoipa::ToSchema)]
#[serde(rename_all = "snake_case")]
pub enum Status {
    /// Attended at least the sessions needed.
    Completed,
    /// Not yet, but the sessions ahead are enough to get there.
    OnTrack,
    /// Even attending every session ahead would not be enough.
    CannotComplete,
}

impl Status {
    pub fn as_str(self) -> &'static str {
        match self {
            Self::Completed => "completed",
            Self::OnTrack => "on_track",
            Self::CannotComplete => "cannot_complete",
        }
    }

    pub fn label(self) -> &'static str {
        match self {
            Self::Completed => "Completed",
            Self::OnTrack => "On track",
            Self::CannotComplete => "Cannot complete",
        }
    }
}

/// One of a cohort's sessions, as completion sees it.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Meeting {
    pub session_id: i64,
    /// A cancelled session counts for nothing: not in the total, and
    /// attendance recorded for it is not counted.
    pub cancelled: bool,
    /// It has ended.
    pub held: bool,
}

impl Meeting {
    /// The cohort's sessions as of `now`.
    pub fn of(sessions: &[(Session, EchoSession)], now: NaiveDateTime) -> Vec<Meeting> {
        sessions
            .iter()
            .map(|(s, _)| Meeting {
                session_id: s.id,
                cancelled: s.is_cancelled(),
                held: s.ends_at <= now,
            })
            .collect()
    }
}

/// One person's standing in a cohort.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, utoipa::ToSchema)]
pub struct Progress {
    /// Sessions (not cancelled) they attended.
    pub attended: u32,
    /// Sessions (not cancelled) that have ended.
    pub held: u32,
    /// Sessions in the cohort, cancelled ones left out.
    pub total: u32,
    /// Sessions to attend to complete: `completion_percent` of `total`,
    /// rounded up.
    pub needed: u32,
    pub status: Status,
}

/// How many of `total` sessions `percent` % is, rounded up: 80 % of 12
/// is 9.6, so 10.
pub fn needed(percent: i32, total: u32) -> u32 {
    let percent = u64::from(percent.clamp(0, 100).unsigned_abs());
    (percent * u64::from(total)).div_ceil(100) as u32
}

/// Where someone who attended the sessions `attended` stands in a cohort
/// of `meetings` with a threshold of `percent`. A session still ahead that
/// they have not attended yet is one they still can; a cohort left with no
/// session (all cancelled) cannot be completed.
pub fn assess(percent: i32, meetings: &[Meeting], attended: &HashSet<i64>) -> Progress {
    let counted = || meetings.iter().filter(|m| !m.cancelled);
    let total = counted().count() as u32;
    let held = counted().filter(|m| m.held).count() as u32;
    let came = counted()
        .filter(|m| attended.contains(&m.session_id))
        .count() as u32;
    let ahead = counted()
        .filter(|m| !m.held && !attended.contains(&m.session_id))
        .count() as u32;
    let needed = needed(percent, total);
    let status = if total > 0 && came >= needed {
        Status::Completed
    } else if total > 0 && came + ahead >= needed {
        Status::OnTrack
    } else {
        Status::CannotComplete
    };
    Progress {
        attended: came,
        held,
        total,
        needed,
        status,
    }
}

// ---------------------------------------------------------------- reading

/// One session someone attended, with the minutes the report gave.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Queryable)]
pub struct Visit {
    pub person_id: i64,
    pub session_id: i64,
    pub minutes: i32,
}

/// Who attended the cohort's sessions, of its approved people (only
/// `person` when given): one query.
pub fn visits(
    conn: &mut DbConnection,
    cohort_id: i64,
    person: Option<i64>,
) -> QueryResult<Vec<Visit>> {
    let mut query = attendance::table
        .filter(attendance::attended.eq(true))
        .filter(
            attendance::session_id.eq_any(
                echo_sessions::table
                    .filter(echo_sessions::cohort_id.eq(cohort_id))
                    .select(echo_sessions::session_id),
            ),
        )
        .filter(
            attendance::person_id.eq_any(
                applications::table
                    .filter(applications::cohort_id.eq(cohort_id))
                    .filter(applications::status.eq(APPROVED))
                    .select(applications::person_id),
            ),
        )
        .select((
            attendance::person_id,
            attendance::session_id,
            attendance::minutes,
        ))
        .into_boxed();
    if let Some(person) = person {
        query = query.filter(attendance::person_id.eq(person));
    }
    query.load(conn)
}

/// An approved person and their standing.
#[derive(Debug, Clone)]
pub struct Standing {
    pub applied: Applied,
    pub progress: Progress,
}

/// A cohort's completion list: participants, then observers, each by name.
#[derive(Debug, Clone)]
pub struct Completion {
    pub cohort: Cohort,
    /// The cohort's figures: sessions (not cancelled), held, needed.
    pub total: u32,
    pub held: u32,
    pub needed: u32,
    pub people: Vec<Standing>,
}

impl Completion {
    /// The standing of each of `approved` in `cohort`, from who attended
    /// which of its `meetings`.
    pub fn new(
        cohort: Cohort,
        meetings: &[Meeting],
        approved: Vec<Applied>,
        visits: &[Visit],
    ) -> Completion {
        let mut attended: HashMap<i64, HashSet<i64>> = HashMap::new();
        for v in visits {
            attended
                .entry(v.person_id)
                .or_default()
                .insert(v.session_id);
        }
        let none = HashSet::new();
        let percent = cohort.completion_percent;
        let mut people: Vec<Standing> = approved
            .into_iter()
            .map(|applied| {
                let came = attended
                    .get(&applied.application.person_id)
                    .unwrap_or(&none);
                Standing {
                    progress: assess(percent, meetings, came),
                    applied,
                }
            })
            .collect();
        people.sort_by_cached_key(|s| {
            let a = &s.applied;
            (
                a.application.role == OBSERVER,
                a.last_name.to_lowercase(),
                a.first_name.to_lowercase(),
                a.email.clone(),
            )
        });
        let figures = assess(percent, meetings, &none);
        Completion {
            cohort,
            total: figures.total,
            held: figures.held,
            needed: figures.needed,
            people,
        }
    }
}

/// Everyone approved into `cohort` with their standing as of `now`: three
/// queries, however many people.
pub fn load(
    conn: &mut DbConnection,
    cohort: Cohort,
    now: NaiveDateTime,
) -> QueryResult<Completion> {
    let meetings = Meeting::of(&cohorts::sessions_of(conn, cohort.id)?, now);
    let approved = crate::echo::participants::list(conn, cohort.id, Some(APPROVED))?;
    let visits = visits(conn, cohort.id, None)?;
    Ok(Completion::new(cohort, &meetings, approved, &visits))
}

/// The list of cohort `slug`, if `who` may see the cohort (404 if not, as
/// for no such cohort).
async fn load_slug(state: &AppState, who: Caller, slug: String) -> Result<Completion, ApiError> {
    let now = state.clock.naive();
    db::run(&state.pool, move |conn| {
        let cohort = facilitators::cohort(conn, who, Need::SeeCohort, &slug)?;
        Ok(load(conn, cohort, now)?)
    })
    .await
}

// ---------------------------------------------------------------- showing

/// One row of the completion list.
#[derive(Debug, Clone, Serialize, utoipa::ToSchema)]
pub struct CompletionRow {
    pub application_id: i64,
    pub name: String,
    pub email: String,
    pub organization: String,
    /// participant or observer.
    pub role: String,
    #[serde(flatten)]
    pub progress: Progress,
    /// As people read the status.
    pub status_label: String,
}

/// How many people stand where.
#[derive(Debug, Clone, Default, Serialize, utoipa::ToSchema)]
pub struct StatusCounts {
    pub completed: usize,
    pub on_track: usize,
    pub cannot_complete: usize,
}

/// A cohort's completion list.
#[derive(Debug, Clone, Serialize, utoipa::ToSchema)]
pub struct CompletionList {
    pub cohort: String,
    pub completion_percent: i32,
    /// Sessions in the cohort (not cancelled), ended so far, and needed.
    pub total: u32,
    pub held: u32,
    pub needed: u32,
    /// Approved participants (who present cases), by name.
    pub participants: Vec<CompletionRow>,
    /// Approved observers, by name: the same threshold.
    pub observers: Vec<CompletionRow>,
    pub participant_counts: StatusCounts,
    pub observer_counts: StatusCounts,
}

fn row(s: &Standing) -> CompletionRow {
    let a = &s.applied;
    CompletionRow {
        application_id: a.application.id,
        name: format!("{} {}", a.first_name, a.last_name),
        email: a.email.clone(),
        organization: a.organization.clone(),
        role: a.application.role.clone(),
        progress: s.progress,
        status_label: s.progress.status.label().to_string(),
    }
}

fn counts(rows: &[CompletionRow]) -> StatusCounts {
    let n = |status| rows.iter().filter(|r| r.progress.status == status).count();
    StatusCounts {
        completed: n(Status::Completed),
        on_track: n(Status::OnTrack),
        cannot_complete: n(Status::CannotComplete),
    }
}

impl Completion {
    pub fn to_list(&self) -> CompletionList {
        let (observers, participants): (Vec<_>, Vec<_>) = self
            .people
            .iter()
            .partition(|s| s.applied.application.role == OBSERVER);
        let participants: Vec<CompletionRow> = participants.into_iter().map(row).collect();
        let observers: Vec<CompletionRow> = observers.into_iter().map(row).collect();
        CompletionList {
            cohort: self.cohort.slug.clone(),
            completion_percent: self.cohort.completion_percent,
            total: self.total,
            held: self.held,
            needed: self.needed,
            participant_counts: counts(&participants),
            observer_counts: counts(&observers),
            participants,
            observers,
        }
    }

    /// The list as a CSV for spreadsheets.
    pub fn csv(&self) -> anyhow::Result<Vec<u8>> {
        crate::web::csv::spreadsheet_csv(
            &[
                "First name",
                "Last name",
                "E-mail",
                "Organization",
                "Role",
                "Attended",
                "Held",
                "Total",
                "Needed",
                "Status",
            ],
            self.people.iter().map(|s| {
                let (a, p) = (&s.applied, &s.progress);
                vec![
                    a.first_name.clone(),
                    a.last_name.clone(),
                    a.email.clone(),
                    a.organization.clone(),
                    a.application.role.clone(),
                    p.attended.to_string(),
                    p.held.to_string(),
                    p.total.to_string(),
                    p.needed.to_string(),
                    p.status.label().to_string(),
                ]
            }),
        )
    }

    fn download(&self) -> anyhow::Result<HttpResponse> {
        Ok(crate::web::csv::csv_download(
            &format!("{}-completion.csv", self.cohort.slug),
            self.csv()?,
        ))
    }
}

// ---------------------------------------------------------------- handlers

/// The list of cohort `slug` for an API caller who may see the cohort
/// (as its other lists), or 404.
async fn readable(state: &AppState, user: &ApiUser, slug: String) -> Result<Completion, ApiError> {
    user.require(Need::SeeCohort)?;
    load_slug(state, user.caller(), slug).await
}

/// A cohort's completion list: each approved participant's and observer's
/// sessions attended against the cohort's threshold.
#[utoipa::path(get, path = "/api/v1/echo/cohorts/{slug}/completion", tag = "echo", security(("bearer" = [])),
    params(("slug" = String, Path, description = "Cohort slug")),
    responses((status = 200, description = "The completion list", body = CompletionList),
        (status = 401, description = "No valid token", body = crate::error::ErrorBody),
        (status = 404, description = "No such cohort", body = crate::error::ErrorBody)))]
pub async fn api_list(
    state: web::Data<AppState>,
    user: ApiUser,
    path: web::Path<String>,
) -> Result<HttpResponse, ApiError> {
    let completion = readable(&state, &user, path.into_inner()).await?;
    Ok(HttpResponse::Ok().json(completion.to_list()))
}

/// The completion list as a CSV for Excel: UTF-8 with a BOM, CRLF,
/// formula-safe cells.
#[utoipa::path(get, path = "/api/v1/echo/cohorts/{slug}/completion.csv", tag = "echo", security(("bearer" = [])),
    params(("slug" = String, Path, description = "Cohort slug")),
    responses((status = 200, description = "The list, a row per person (`{slug}-completion.csv`)", body = String, content_type = "text/csv"),
        (status = 401, description = "No valid token", body = crate::error::ErrorBody),
        (status = 404, description = "No such cohort", body = crate::error::ErrorBody)))]
pub async fn api_csv(
    state: web::Data<AppState>,
    user: ApiUser,
    path: web::Path<String>,
) -> Result<HttpResponse, ApiError> {
    let completion = readable(&state, &user, path.into_inner()).await?;
    completion.download().map_err(ApiError::Internal)
}

/// `GET /organizer/echo/{slug}/completion.csv`: the API's CSV for the
/// signed-in facilitator's browser.
pub async fn page_csv(
    state: web::Data<AppState>,
    user: PageUser,
    path: web::Path<String>,
) -> HttpResponse {
    if let Some(refused) = user.forbidden(Need::SeeCohort, &state) {
        return refused;
    }
    match load_slug(&state, user.caller(), path.into_inner()).await {
        Ok(completion) => completion
            .download()
            .unwrap_or_else(|e| state.pages.internal_error(&e)),
        Err(e) => user.refused(e, &state),
    }
}

/// The completion routes (API and the page's CSV).
pub fn routes(cfg: &mut Routes) {
    cfg.get("/api/v1/echo/cohorts/{slug}/completion", api_list)
        .get("/api/v1/echo/cohorts/{slug}/completion.csv", api_csv)
        .get("/organizer/echo/{slug}/completion.csv", page_csv);
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    /// `n` sessions, the first `held` of them over, those in `cancelled`
    /// (1-based) called off; ids are 1..=n.
    fn meetings(n: i64, held: i64, cancelled: &[i64]) -> Vec<Meeting> {
        (1..=n)
            .map(|id| Meeting {
                session_id: id,
                cancelled: cancelled.contains(&id),
                held: id <= held,
            })
            .collect()
    }

    fn came(ids: &[i64]) -> HashSet<i64> {
        ids.iter().copied().collect()
    }

    #[test]
    fn the_sessions_needed_are_rounded_up() {
        assert_eq!(needed(80, 12), 10, "9.6 sessions means 10");
        assert_eq!(needed(80, 10), 8, "exactly 8");
        assert_eq!(needed(80, 6), 5, "4.8 means 5");
        assert_eq!(needed(75, 4), 3);
        assert_eq!(needed(100, 7), 7);
        assert_eq!(needed(1, 7), 1, "any attendance at all");
        assert_eq!(needed(80, 0), 0);
        assert_eq!(needed(80, 60), 48);
    }

    #[test]
    fn attending_enough_sessions_completes_even_before_the_end() {
        let p = assess(
            80,
            &meetings(12, 10, &[]),
            &came(&[1, 2, 3, 4, 5, 6, 7, 8, 9, 10]),
        );
        assert_eq!(
            p,
            Progress {
                attended: 10,
                held: 10,
                total: 12,
                needed: 10,
                status: Status::Completed
            }
        );
    }

    #[test]
    fn one_short_with_a_session_ahead_is_on_track_and_with_none_cannot_complete() {
        let nine = came(&[1, 2, 3, 4, 5, 6, 7, 8, 9]);
        let ahead = assess(80, &meetings(12, 11, &[]), &nine);
        assert_eq!((ahead.needed, ahead.status), (10, Status::OnTrack));
        let over = assess(80, &meetings(12, 12, &[]), &nine);
        assert_eq!(
            (over.attended, over.held, over.status),
            (9, 12, Status::CannotComplete),
            "9.6 is not rounded down to 9"
        );
    }

    #[test]
    fn missing_too_many_sessions_means_cannot_complete_while_some_remain() {
        // 12 sessions, 10 needed: missing 3 of the first 6 leaves at most 9.
        let p = assess(80, &meetings(12, 6, &[]), &came(&[1, 2, 3]));
        assert_eq!(
            (p.attended, p.held, p.status),
            (3, 6, Status::CannotComplete)
        );
        // Missing 2 leaves exactly 10.
        let p = assess(80, &meetings(12, 6, &[]), &came(&[1, 2, 3, 4]));
        assert_eq!(p.status, Status::OnTrack);
    }

    #[test]
    fn cancelled_sessions_leave_the_total_and_their_attendance_does_not_count() {
        // 12 sessions, 2 cancelled: 10 left, 8 needed.
        let m = meetings(12, 6, &[3, 9]);
        let p = assess(80, &m, &came(&[1, 2, 3, 4, 5, 6]));
        assert_eq!(
            (p.attended, p.held, p.total, p.needed),
            (5, 5, 10, 8),
            "session 3 was cancelled: not held, not attended"
        );
        // 5 attended, 5 ahead (7, 8, 10, 11, 12): 10 within reach.
        assert_eq!(p.status, Status::OnTrack);
        let p = assess(80, &m, &came(&[1, 2]));
        // 2 + 5 ahead = 7 < 8.
        assert_eq!(p.status, Status::CannotComplete);
    }

    #[test]
    fn a_session_attended_before_it_ended_counts_once() {
        // Marked at check-in during session 4, which has not ended.
        let p = assess(100, &meetings(4, 3, &[]), &came(&[1, 2, 3, 4]));
        assert_eq!((p.attended, p.held, p.status), (4, 3, Status::Completed));
        let p = assess(100, &meetings(4, 3, &[]), &came(&[1, 2, 4]));
        assert_eq!(p.status, Status::CannotComplete, "session 3 was missed");
    }

    #[test]
    fn nothing_held_yet_is_on_track_and_attendance_of_other_sessions_is_ignored() {
        let p = assess(80, &meetings(6, 0, &[]), &came(&[99]));
        assert_eq!(
            p,
            Progress {
                attended: 0,
                held: 0,
                total: 6,
                needed: 5,
                status: Status::OnTrack
            }
        );
    }

    proptest! {
        #[test]
        fn needed_is_the_least_whole_number_of_sessions_at_the_threshold(
            percent in 1i32..=100,
            total in 0u32..=60,
        ) {
            let n = needed(percent, total);
            let exact = |k: u32| u64::from(k) * 100 >= percent as u64 * u64::from(total);
            prop_assert!(exact(n), "{n} sessions reach {percent}% of {total}");
            prop_assert!(n == 0 || !exact(n - 1), "{} would do", n - 1);
            prop_assert!(n <= total);
        }

        #[test]
        fn the_status_is_what_attending_every_session_ahead_would_give(
            percent in 1i32..=100,
            shape in proptest::collection::vec(any::<(bool, bool, bool)>(), 0..20),
        ) {
            // Each session: (cancelled, held, attended).
            let meetings: Vec<Meeting> = shape.iter().enumerate().map(|(i, &(cancelled, held, _))| Meeting {
                session_id: i as i64, cancelled, held,
            }).collect();
            let attended: HashSet<i64> = shape.iter().enumerate().filter(|(_, s)| s.2).map(|(i, _)| i as i64).collect();
            let p = assess(percent, &meetings, &attended);
            let live: Vec<_> = shape.iter().filter(|s| !s.0).collect();
            let came = live.iter().filter(|s| s.2).count() as u32;
            let best = live.iter().filter(|s| s.2 || !s.1).count() as u32;
            prop_assert_eq!(p.attended, came);
            prop_assert_eq!(p.total, live.len() as u32);
            let expected = if live.is_empty() {
                Status::CannotComplete
            } else if came >= p.needed {
                Status::Completed
            } else if best >= p.needed {
                Status::OnTrack
            } else {
                Status::CannotComplete
            };
            prop_assert_eq!(p.status, expected);
        }
    }

    #[test]
    fn a_cohort_with_every_session_cancelled_cannot_be_completed() {
        let p = assess(80, &meetings(3, 1, &[1, 2, 3]), &came(&[1]));
        assert_eq!(
            (p.total, p.needed, p.status),
            (0, 0, Status::CannotComplete)
        );
    }
}
