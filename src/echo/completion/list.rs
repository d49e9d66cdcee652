//! The completion list: who attended which held session (read in a fixed
//! number of queries), each approved person's standing by the rule, and
//! the list as JSON and as a CSV for Excel.

use std::collections::{HashMap, HashSet};

use actix_web::HttpResponse;
use chrono::NaiveDateTime;
use diesel::prelude::*;
use serde::Serialize;

use crate::auth::{Caller, Need};
use crate::db::schema::{applications, attendance, echo_sessions};
use crate::db::{self, DbConnection};
use crate::echo::cohorts::{self, Cohort};
use crate::echo::completion::rule::{assess, Meeting, Progress, Status};
use crate::echo::facilitators;
use crate::echo::participants::{Applied, APPROVED, OBSERVER};
use crate::error::ApiError;
use crate::web::AppState;

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
pub(super) async fn load_slug(
    state: &AppState,
    who: Caller,
    slug: String,
) -> Result<Completion, ApiError> {
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

    pub(super) fn download(&self) -> anyhow::Result<HttpResponse> {
        Ok(crate::web::csv::csv_download(
            &format!("{}-completion.csv", self.cohort.slug),
            self.csv()?,
        ))
    }
}
