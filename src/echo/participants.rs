//! Who is in a cohort: an application with the person who sent it, its
//! status and role, looked up by id, by cohort or by the participant's
//! magic link, and the links and calendar text a participant is given.
//! What the ECHO's three features (enrollment, cases, completion) all read.

use chrono::NaiveDateTime;
use diesel::prelude::*;
use serde::Serialize;

use crate::config::PublicUrl;
use crate::db::schema::{applications, people};
use crate::db::DbConnection;
use crate::echo::cohorts::{self, Cohort};
use crate::series::model::Series;
use crate::web::links;

pub const PENDING: &str = "pending";
pub const APPROVED: &str = "approved";
pub const WAITLISTED: &str = "waitlisted";
pub const DECLINED: &str = "declined";

pub const PARTICIPANT: &str = "participant";
pub const OBSERVER: &str = "observer";

/// Organization types, with the sector a person record gets from each.
pub const ORGANIZATION_TYPES: &[(&str, &str, &str)] = &[
    ("cmhc", "Community mental health center", "provider"),
    (
        "sud-provider",
        "Substance use treatment provider",
        "provider",
    ),
    ("state-association", "State association", "association"),
    ("other", "Other", "other"),
];

pub const ROLES: &[(&str, &str)] = &[
    (
        PARTICIPANT,
        "Participant — I will present a case from my organization",
    ),
    (OBSERVER, "Observer — I will take part in discussions"),
];

pub fn organization_type_label(code: &str) -> &'static str {
    ORGANIZATION_TYPES
        .iter()
        .find(|(c, ..)| *c == code)
        .map_or("Other", |(_, label, _)| label)
}

#[derive(Debug, Clone, Queryable, Selectable, Identifiable)]
#[diesel(table_name = applications)]
pub struct Application {
    pub id: i64,
    pub cohort_id: i64,
    pub person_id: i64,
    pub organization_type: String,
    pub role: String,
    pub hopes_to_bring: String,
    pub hopes_to_learn: String,
    pub status: String,
    pub decision_message: Option<String>,
    pub decided_at: Option<NaiveDateTime>,
    /// SHA-256 of the participant page link's token (see `links`).
    pub access_token_hash: Option<String>,
    pub created_at: NaiveDateTime,
    pub updated_at: NaiveDateTime,
    /// The participant page link's token, sealed under the link key.
    pub access_token_sealed: Option<String>,
}

impl Application {
    /// What stands for the participant page link's token in queued mail.
    pub fn link_placeholder(&self) -> String {
        self.access_token_sealed
            .as_deref()
            .map(links::placeholder)
            .unwrap_or_default()
    }
}

/// An application with who sent it.
#[derive(Debug, Clone)]
pub struct Applied {
    pub application: Application,
    pub first_name: String,
    pub last_name: String,
    pub email: String,
    pub organization: String,
    pub job_title: String,
    pub state: String,
}

impl Applied {
    /// For facilitators (never the access token).
    pub fn view(&self) -> ApplicationView {
        let a = &self.application;
        ApplicationView {
            id: a.id,
            name: format!("{} {}", self.first_name, self.last_name),
            email: self.email.clone(),
            organization: self.organization.clone(),
            organization_type: a.organization_type.clone(),
            organization_type_label: organization_type_label(&a.organization_type).to_string(),
            job_title: self.job_title.clone(),
            state: self.state.clone(),
            role: a.role.clone(),
            hopes_to_bring: a.hopes_to_bring.clone(),
            hopes_to_learn: a.hopes_to_learn.clone(),
            status: a.status.clone(),
            decision_message: a.decision_message.clone(),
            decided_at: a.decided_at.map(|t| t.and_utc().to_rfc3339()),
            created_at: a.created_at.and_utc().to_rfc3339(),
            has_link: a.access_token_hash.is_some(),
        }
    }
}

/// An application to a cohort as facilitators read it (never its link).
#[derive(Debug, Clone, Serialize, utoipa::ToSchema)]
pub struct ApplicationView {
    pub id: i64,
    /// First and last name.
    pub name: String,
    pub email: String,
    pub organization: String,
    /// The organization type's code.
    pub organization_type: String,
    /// The organization type as people read it.
    pub organization_type_label: String,
    pub job_title: String,
    /// Two-letter state code.
    pub state: String,
    /// participant or observer.
    pub role: String,
    pub hopes_to_bring: String,
    pub hopes_to_learn: String,
    /// pending, approved, waitlisted or declined.
    pub status: String,
    /// Sent to the applicant with the decision.
    pub decision_message: Option<String>,
    /// RFC 3339, UTC.
    pub decided_at: Option<String>,
    pub created_at: String,
    /// Whether a participant page link is live (approved, not revoked).
    pub has_link: bool,
}

type Row = (Application, String, String, String, String, String, String);

fn applied(
    (application, first_name, last_name, email, organization, job_title, state): Row,
) -> Applied {
    Applied {
        application,
        first_name,
        last_name,
        email,
        organization,
        job_title,
        state,
    }
}

macro_rules! with_person {
    ($query:expr) => {
        $query.inner_join(people::table).select((
            Application::as_select(),
            people::first_name,
            people::last_name,
            people::email,
            people::organization,
            people::job_title,
            people::state,
        ))
    };
}

/// A cohort's applications, oldest first, optionally of one status.
pub fn list(
    conn: &mut DbConnection,
    cohort_id: i64,
    status: Option<&str>,
) -> QueryResult<Vec<Applied>> {
    let mut query = with_person!(applications::table)
        .filter(applications::cohort_id.eq(cohort_id))
        .order((applications::created_at.asc(), applications::id.asc()))
        .into_boxed();
    if let Some(status) = status {
        query = query.filter(applications::status.eq(status.to_string()));
    }
    Ok(query.load::<Row>(conn)?.into_iter().map(applied).collect())
}

pub fn find(conn: &mut DbConnection, id: i64) -> QueryResult<Option<Applied>> {
    Ok(with_person!(applications::table)
        .filter(applications::id.eq(id))
        .first::<Row>(conn)
        .optional()?
        .map(applied))
}

/// The approved application behind a magic link, with its cohort.
pub fn by_token(conn: &mut DbConnection, token: &str) -> QueryResult<Option<(Applied, Cohort)>> {
    let found = with_person!(applications::table)
        .filter(applications::access_token_hash.eq(links::hash(token)))
        .filter(applications::status.eq(APPROVED))
        .first::<Row>(conn)
        .optional()?;
    let Some(row) = found else { return Ok(None) };
    let a = applied(row);
    Ok(cohorts::find_by_id(conn, a.application.cohort_id)?.map(|c| (a, c)))
}

/// Applications per status of a cohort.
pub fn counts(conn: &mut DbConnection, cohort_id: i64) -> QueryResult<Vec<(String, i64)>> {
    applications::table
        .filter(applications::cohort_id.eq(cohort_id))
        .group_by(applications::status)
        .select((applications::status, diesel::dsl::count_star()))
        .load(conn)
}

/// The participant's page and personal calendar feed; with no token (the
/// link was revoked), the page that says how to get one.
pub fn page_url(public_url: &PublicUrl, token: &str) -> String {
    if token.is_empty() {
        return public_url.join("/echo/link");
    }
    public_url.join(&format!("/echo/p/{token}"))
}

pub fn feed_url(public_url: &PublicUrl, token: &str) -> String {
    if token.is_empty() {
        return public_url.join("/echo/link");
    }
    public_url.join(&format!("/echo/p/{token}/calendar.ics"))
}

/// What a participant's calendar says of a session.
pub fn session_description(
    s: &crate::series::model::Session,
    e: &cohorts::EchoSession,
    public_url: &PublicUrl,
    token: &str,
) -> String {
    let mut text = String::new();
    if !e.didactic_topic.is_empty() {
        text.push_str(&format!("Didactic: {}", e.didactic_topic));
        if !e.faculty_name.is_empty() {
            text.push_str(&format!(" ({})", e.faculty_name));
        }
        text.push_str("\n\n");
    }
    text.push_str(&format!(
        "Join: {}\n\nYour ECHO page: {}",
        s.join_url,
        page_url(public_url, token)
    ));
    text
}

/// The ECHO program (series) a cohort belongs to.
pub fn program_of(conn: &mut DbConnection, cohort: &Cohort) -> QueryResult<Series> {
    use crate::db::schema::series;
    series::table
        .find(cohort.series_id)
        .select(Series::as_select())
        .first(conn)
}
