//! The API's OpenAPI 3.1 document, generated from the handlers'
//! annotations (`utoipa`), served at `/api/v1/openapi.json`, and rendered as
//! a plain page at `/api/v1/docs` (no JavaScript, nothing fetched from
//! elsewhere).

use std::collections::BTreeMap;

use actix_web::{web, HttpResponse};
use serde::Serialize;
use serde_json::{json, Value};
use utoipa::openapi::path::ParameterIn;
use utoipa::openapi::security::{Http, HttpAuthScheme, SecurityScheme};
use utoipa::{Modify, OpenApi, ToSchema};

use crate::error::{ErrorBody, ErrorDetail};
use crate::web::AppState;

/// A session after a change, and what the change did.
#[derive(Serialize, ToSchema)]
pub struct SessionChange {
    pub session: SessionDetail,
    /// False when the session already was as asked.
    pub changed: bool,
    /// E-mails queued (updates, cancellations, promotions).
    pub messages_queued: u32,
    /// Waitlisted people given a place.
    pub promoted: u32,
    /// E.g. how an ambiguous local time was read.
    pub notes: Vec<String>,
}

#[derive(Serialize, ToSchema)]
pub struct SessionDetail {
    pub id: i64,
    /// The series' slug.
    pub series: String,
    pub title: String,
    pub description: String,
    /// RFC 3339, UTC.
    pub starts_at: String,
    pub ends_at: String,
    /// As people read it, in the series' zone.
    pub when: String,
    pub capacity: i32,
    pub join_url: String,
    /// scheduled or cancelled.
    pub status: String,
    /// The calendar SEQUENCE.
    pub sequence: i32,
    pub cancel_reason: Option<String>,
}

#[derive(Serialize, ToSchema)]
pub struct AuditPage {
    pub entries: Vec<AuditEntry>,
    /// Pass as `before` for the next page; null on the last.
    pub next_before: Option<i64>,
}

#[derive(Serialize, ToSchema)]
pub struct AuditEntry {
    pub id: i64,
    pub user_id: Option<i64>,
    /// The user's e-mail, or `cli:<unix user>`.
    pub actor: String,
    /// E.g. `session.reschedule`, `user.disable`.
    pub action: String,
    /// E.g. `session:12`.
    pub subject: String,
    /// JSON summaries.
    pub before: Option<String>,
    pub after: Option<String>,
    pub created_at: String,
}

#[derive(Serialize, ToSchema)]
pub struct OutboxOverview {
    /// Messages per status: pending, sent, failed, skipped.
    pub counts: BTreeMap<String, i64>,
    pub failed: Vec<FailedMessage>,
}

#[derive(Serialize, ToSchema)]
pub struct FailedMessage {
    pub id: i64,
    pub template: String,
    pub recipient: String,
    pub attempts: i32,
    pub last_error: Option<String>,
    pub created_at: String,
}

#[derive(Serialize, ToSchema)]
pub struct ProposalQueue {
    pub proposals: Vec<ProposalItem>,
}

#[derive(Serialize, ToSchema)]
pub struct ProposalItem {
    pub id: i64,
    pub name: String,
    pub email: String,
    pub organization: String,
    pub topic: String,
    #[serde(rename = "abstract")]
    pub abstract_text: String,
    /// `[{code, label}]`
    pub levers: Vec<BTreeMap<String, String>>,
    /// "YYYY-MM"
    pub preferred_months: Vec<String>,
    /// pending, accepted or declined
    pub status: String,
    pub decision_message: Option<String>,
    pub session_id: Option<i64>,
    pub created_at: String,
}

/// The public registration form's fields, as JSON: a missing or bad one
/// gets a message under its name (422), not a rejected request.
/// Doc-only: mirrors `registration::domain::RegistrationForm`.
#[derive(Serialize, ToSchema)]
pub struct NewRegistration {
    /// Up to 100 characters.
    pub first_name: String,
    /// Up to 100 characters.
    pub last_name: String,
    pub email: String,
    /// Up to 200 characters.
    pub organization: String,
    /// Optional; up to 200 characters.
    #[serde(default)]
    pub job_title: String,
    /// A sector code from the public form.
    pub sector: String,
    /// A two-letter state code from the public form.
    pub state: String,
    /// Joins the mailing list unless absent, empty, `"0"` or `"false"`.
    pub subscribe: Option<String>,
}

/// One registration with its person, as the organizer API shows it.
#[derive(Serialize, ToSchema)]
pub struct RegistrationItem {
    pub id: i64,
    pub session_id: i64,
    /// registered, waitlisted or cancelled.
    pub status: String,
    pub first_name: String,
    pub last_name: String,
    pub email: String,
    pub organization: String,
    pub job_title: String,
    /// The sector's code.
    pub sector: String,
    /// The sector as people read it.
    pub sector_label: String,
    /// Two-letter state code.
    pub state: String,
    /// Asked to join the mailing list.
    pub subscribe: bool,
    /// RFC 3339, UTC.
    pub created_at: String,
    pub registered_at: Option<String>,
    pub waitlisted_at: Option<String>,
    pub cancelled_at: Option<String>,
}

/// A registration added by hand, and what adding did.
#[derive(Serialize, ToSchema)]
pub struct AddedRegistration {
    pub id: i64,
    pub session_id: i64,
    /// registered, waitlisted or cancelled.
    pub status: String,
    pub first_name: String,
    pub last_name: String,
    pub email: String,
    pub organization: String,
    pub job_title: String,
    pub sector: String,
    pub sector_label: String,
    pub state: String,
    pub subscribe: bool,
    /// RFC 3339, UTC.
    pub created_at: String,
    pub registered_at: Option<String>,
    pub waitlisted_at: Option<String>,
    pub cancelled_at: Option<String>,
    /// registered, waitlisted, or already_registered (the existing
    /// registration, unchanged).
    pub outcome: String,
}

/// One page of a session's registrations.
#[derive(Serialize, ToSchema)]
pub struct RegistrationPage {
    pub session_id: i64,
    /// How many match, over all pages.
    pub total: i64,
    pub page: i64,
    pub per_page: i64,
    pub registrations: Vec<RegistrationItem>,
}

/// Everything held about one e-mail address (a subject access request).
#[derive(Serialize, ToSchema)]
/// One list per part of `privacy::PARTS`.
pub struct PersonExport {
    /// Null when only other records hold the address (a lineup slot).
    pub person: Option<PersonRecord>,
    pub registrations: Vec<PersonRegistration>,
    pub subscriptions: Vec<PersonSubscription>,
    /// Proposals to present sent through the interest form.
    #[schema(value_type = Vec<Object>)]
    pub proposals: Vec<serde_json::Value>,
    /// Levers of change they want to work on.
    #[schema(value_type = Vec<Object>)]
    pub working_group_interests: Vec<serde_json::Value>,
    /// Lineup places at their address (name, talk, bio, status).
    #[schema(value_type = Vec<Object>)]
    pub lineup_slots: Vec<serde_json::Value>,
    /// ECHO applications (never the page's link).
    #[schema(value_type = Vec<Object>)]
    pub applications: Vec<serde_json::Value>,
    /// ECHO cases they submitted, with their attachment's name and size.
    #[schema(value_type = Vec<Object>)]
    pub cases: Vec<serde_json::Value>,
    /// ECHO sessions they taught as faculty.
    #[schema(value_type = Vec<Object>)]
    pub faculty: Vec<serde_json::Value>,
    /// Sessions they attended or missed, from reports or by hand.
    #[schema(value_type = Vec<Object>)]
    pub attendance: Vec<serde_json::Value>,
    /// Session materials naming them as presenter.
    #[schema(value_type = Vec<Object>)]
    pub materials: Vec<serde_json::Value>,
    /// An organizer account at the address.
    #[schema(value_type = Vec<Object>)]
    pub accounts: Vec<serde_json::Value>,
    /// Messages by template and dates, not bodies.
    pub messages: Vec<PersonMessage>,
    /// Audit entries about them or naming them (action, subject, date).
    #[schema(value_type = Vec<Object>)]
    pub audit: Vec<serde_json::Value>,
}

#[derive(Serialize, ToSchema)]
pub struct PersonRecord {
    pub id: i64,
    pub email: String,
    pub first_name: String,
    pub last_name: String,
    pub organization: String,
    pub job_title: String,
    pub sector: String,
    pub sector_label: String,
    pub state: String,
    /// RFC 3339, UTC.
    pub created_at: String,
    pub updated_at: String,
}

#[derive(Serialize, ToSchema)]
pub struct PersonRegistration {
    pub id: i64,
    pub session_id: i64,
    pub session_title: String,
    pub series_title: String,
    /// RFC 3339, UTC.
    pub starts_at: String,
    /// As people read it, in the series' zone.
    pub when: String,
    /// registered, waitlisted or cancelled.
    pub status: String,
    pub subscribe: bool,
    pub created_at: String,
    pub registered_at: Option<String>,
    pub waitlisted_at: Option<String>,
    pub cancelled_at: Option<String>,
}

#[derive(Serialize, ToSchema)]
pub struct PersonSubscription {
    /// The list's slug.
    pub list: String,
    pub status: String,
    /// RFC 3339, UTC.
    pub created_at: String,
    pub confirmed_at: Option<String>,
    pub unsubscribed_at: Option<String>,
}

#[derive(Serialize, ToSchema)]
pub struct PersonMessage {
    pub template: String,
    /// pending, sent, failed or skipped.
    pub status: String,
    /// RFC 3339, UTC.
    pub created_at: String,
    pub sent_at: Option<String>,
}

/// A lever of change.
#[derive(Serialize, ToSchema)]
pub struct LeverTag {
    pub code: String,
    pub label: String,
}

/// A session's lineup, in order.
#[derive(Serialize, ToSchema)]
pub struct Lineup {
    pub session_id: i64,
    /// The session's levers of change.
    pub levers: Vec<LeverTag>,
    pub slots: Vec<LineupSlot>,
}

/// One place in a lineup (never its response token).
#[derive(Serialize, ToSchema)]
pub struct LineupSlot {
    pub id: i64,
    pub session_id: i64,
    /// 1, 2, 3 … in the lineup.
    pub position: i32,
    pub name: String,
    pub email: String,
    /// presenter, moderator or panelist.
    pub role: String,
    pub talk_title: String,
    #[serde(rename = "abstract")]
    pub talk_abstract: String,
    pub minutes: Option<i32>,
    pub bio: String,
    /// Lever codes.
    pub levers: Vec<String>,
    /// draft, invited, confirmed, declined or withdrawn.
    pub status: String,
    pub invitations_sent: i32,
    /// RFC 3339, UTC.
    pub invited_at: Option<String>,
    /// When the invitation's link stops working.
    pub token_expires_at: Option<String>,
    pub responded_at: Option<String>,
    pub reminded_at: Option<String>,
}

/// A session's levers of change after replacing them.
#[derive(Serialize, ToSchema)]
pub struct SessionLevers {
    pub session_id: i64,
    pub levers: Vec<LeverTag>,
}

struct BearerAuth;

impl Modify for BearerAuth {
    fn modify(&self, openapi: &mut utoipa::openapi::OpenApi) {
        let components = openapi.components.get_or_insert_with(Default::default);
        components.add_security_scheme(
            "bearer",
            SecurityScheme::Http(
                Http::builder()
                    .scheme(HttpAuthScheme::Bearer)
                    .bearer_format("JWT")
                    .build(),
            ),
        );
    }
}

/// The statuses the boundary answers before or around any handler, added to
/// every operation they can reach (each handler lists its own): a query,
/// path or body with a control character is refused (422, `web::hygiene`),
/// as is a JSON body that does not parse (`app`'s `JsonConfig`); a path
/// parameter that does not parse names nothing (404), a query that does
/// not parse is a bad request (400); a secured route without a valid token
/// is refused (401), and an organizer route to a role that may not (403).
struct BoundaryErrors;

impl Modify for BoundaryErrors {
    fn modify(&self, openapi: &mut utoipa::openapi::OpenApi) {
        for (path, item) in openapi.paths.paths.iter_mut() {
            // Every organizer route checks the role (`ApiUser::require`);
            // signing out and `me` are for any role.
            let role_checked = !path.starts_with("/api/v1/auth/");
            let operations = [
                &mut item.get,
                &mut item.put,
                &mut item.post,
                &mut item.delete,
                &mut item.patch,
                &mut item.head,
            ];
            for op in operations.into_iter().flatten() {
                let has = |place: ParameterIn| {
                    op.parameters
                        .iter()
                        .flatten()
                        .any(|p| p.parameter_in == place)
                };
                let mut errors = vec![(
                    "422",
                    "A query, path or body with a control character, or a body that is not the JSON described",
                )];
                if has(ParameterIn::Path) {
                    errors.push(("404", "A path parameter that names nothing"));
                }
                if has(ParameterIn::Query) {
                    errors.push(("400", "A query string that cannot be read"));
                }
                if op.security.is_some() {
                    errors.push(("401", "No valid token"));
                    if role_checked {
                        errors.push(("403", "The role may not"));
                    }
                }
                for (status, description) in errors {
                    op.responses
                        .responses
                        .entry(status.to_string())
                        .or_insert_with(|| error_response(description).into());
                }
            }
        }
    }
}

/// A response with the one error body.
fn error_response(description: &str) -> utoipa::openapi::Response {
    utoipa::openapi::ResponseBuilder::new()
        .description(description)
        .content(
            "application/json",
            utoipa::openapi::ContentBuilder::new()
                .schema(Some(utoipa::openapi::Ref::from_schema_name("ErrorBody")))
                .build(),
        )
        .build()
}

#[derive(OpenApi)]
#[openapi(
    info(
        title = "convene API",
        version = "1",
        description = "Sessions, registrations and organizer operations for the Workforce Solutions Jam and ECHO. Organizer routes take `Authorization: Bearer <token>` from `POST /api/v1/auth/token`; errors share one shape (`ErrorBody`)."
    ),
    paths(
        crate::series::handlers::api_sessions,
        crate::auth::handlers::token,
        crate::auth::handlers::logout,
        crate::auth::handlers::me,
        crate::organizer::sessions::create_session,
        crate::organizer::sessions::update_session,
        crate::organizer::sessions::reschedule_session,
        crate::organizer::sessions::cancel_session,
        crate::organizer::defaults::list,
        crate::organizer::defaults::one,
        crate::organizer::defaults::update,
        crate::organizer::sessions::audit,
        crate::organizer::outbox::api_overview,
        crate::organizer::outbox::api_retry,
        crate::interest::handlers::queue,
        crate::interest::handlers::decline,
        crate::interest::handlers::accept,
        crate::registration::organizer::list,
        crate::registration::organizer::add,
        crate::registration::organizer::export_csv,
        crate::registration::organizer::cancel,
        crate::registration::organizer::promote,
        crate::privacy::export_person,
        crate::privacy::erase_person,
        crate::lineup::handlers::get_lineup,
        crate::lineup::handlers::add_slot,
        crate::lineup::handlers::update_slot,
        crate::lineup::handlers::invite_slot,
        crate::lineup::handlers::put_levers,
        crate::attendance::handlers::import,
        crate::attendance::handlers::list,
        crate::attendance::handlers::mark,
        crate::attendance::handlers::metrics,
        crate::attendance::handlers::series_metrics,
        crate::attendance::handlers::metrics_csv,
        crate::attendance::handlers::series_metrics_csv,
        crate::archive::handlers::add,
        crate::archive::handlers::list,
        crate::archive::handlers::change,
        crate::archive::handlers::remove,
        crate::echo::organizer::list,
        crate::echo::organizer::create,
        crate::echo::organizer::get,
        crate::echo::organizer::update,
        crate::echo::cohort_sessions::update_session,
        crate::echo::enrollment::organizer::applications_list,
        crate::echo::enrollment::organizer::decide,
        crate::echo::enrollment::links::api_revoke,
        crate::echo::enrollment::links::api_reissue,
        crate::echo::cases::review::list,
        crate::echo::cases::review::get,
        crate::echo::cases::review::attachment,
        crate::echo::cases::review::review,
        crate::echo::cases::review::recommendations,
        crate::echo::completion::handlers::api_list,
        crate::echo::completion::handlers::api_csv,
        crate::echo::facilitators::api_assign,
        crate::echo::facilitators::api_unassign,
    ),
    components(schemas(
        ErrorBody, ErrorDetail, SessionChange, SessionDetail, AuditPage, AuditEntry,
        OutboxOverview, FailedMessage,
        crate::interest::handlers::ProposalQueue, crate::interest::store::ProposalItem,
        crate::people::contact::RegistrationForm, crate::registration::organizer::RegistrationItem,
        crate::registration::organizer::AddedRegistration,
        crate::registration::organizer::RegistrationPage,
        PersonExport, PersonRecord, PersonRegistration, PersonSubscription, PersonMessage,
        crate::privacy::ErasedPerson, crate::lineup::LeverTag, crate::lineup::handlers::Lineup,
        crate::lineup::LineupSlot, crate::lineup::handlers::SessionLevers,
        crate::organizer::defaults::SeriesList, crate::organizer::defaults::SeriesView,
        crate::organizer::defaults::SeriesChange, crate::series::defaults::Defaults,
        crate::archive::handlers::ChangeBody,
    )),
    modifiers(&BearerAuth, &BoundaryErrors),
    tags(
        (name = "public", description = "No sign-in needed"),
        (name = "auth", description = "Signing in and out"),
        (name = "sessions", description = "Organizer changes to sessions; registrants' calendars follow"),
        (name = "series", description = "A series' defaults: config seeds them, an organizer's edit wins per field until reset; the schedule stays in config"),
        (name = "registrations", description = "A session's registrations: list, search, add, cancel, promote, CSV export"),
        (name = "people", description = "Personal data held about one e-mail address: export and erase"),
        (name = "mail", description = "The outbox"),
        (name = "lineups", description = "Who presents: proposals, lineups, levers of change"),
        (name = "echo", description = "Workforce ECHO: cohorts, their sessions, applications, cases and their review (a facilitator reads and changes the cohorts they run; organizers read every cohort and assign facilitators)"),
        (name = "attendance", description = "Who came: import Zoom, Teams or CSV reports; a session's attendance"),
        (name = "archive", description = "A session's materials: slides, recordings, transcripts, chat logs, documents; uploaded (checked by content) or linked, published to the Past Jams page"),
        (name = "admin", description = "Admins only"),
    )
)]
pub struct ApiDoc;

/// `GET /api/v1/openapi.json`
pub async fn openapi_json() -> HttpResponse {
    HttpResponse::Ok().json(ApiDoc::openapi())
}

/// The `$ref`'d schema's name, or the inline type.
fn schema_name(schema: &Value) -> String {
    if let Some(r) = schema["$ref"].as_str() {
        return r.rsplit('/').next().unwrap_or(r).to_string();
    }
    match schema["type"].as_str() {
        Some("array") => format!("array of {}", schema_name(&schema["items"])),
        Some(t) => t.to_string(),
        None => "object".into(),
    }
}

/// A schema's properties by name, with those of its `allOf` parts (a
/// `#[serde(flatten)]`ed struct).
fn properties<'a>(doc: &'a Value, schema: &'a Value) -> Vec<(&'a String, &'a Value)> {
    let mut found: Vec<_> = schema["properties"]
        .as_object()
        .into_iter()
        .flatten()
        .collect();
    for part in schema["allOf"].as_array().into_iter().flatten() {
        let part = match part["$ref"].as_str() {
            Some(r) => &doc["components"]["schemas"][r.rsplit('/').next().unwrap_or(r)],
            None => part,
        };
        found.extend(properties(doc, part));
    }
    found.sort_by(|a, b| a.0.cmp(b.0));
    found
}

/// `GET /api/v1/docs`: the same document, as a page to read.
pub async fn docs_page(state: web::Data<AppState>) -> HttpResponse {
    let doc = serde_json::to_value(ApiDoc::openapi()).unwrap_or(Value::Null);
    let mut operations = Vec::new();
    if let Some(paths) = doc["paths"].as_object() {
        for (path, item) in paths {
            let Some(methods) = item.as_object() else {
                continue;
            };
            for (method, op) in methods {
                let params: Vec<Value> = op["parameters"]
                    .as_array()
                    .map(|ps| {
                        ps.iter()
                            .map(|p| {
                                json!({
                                    "name": p["name"], "in": p["in"],
                                    "description": p["description"].as_str().unwrap_or(""),
                                })
                            })
                            .collect()
                    })
                    .unwrap_or_default();
                let body = op["requestBody"]["content"]["application/json"]["schema"].clone();
                let responses: Vec<Value> = op["responses"]
                    .as_object()
                    .map(|rs| {
                        rs.iter()
                            .map(|(code, r)| json!({
                                "code": code,
                                "description": r["description"].as_str().unwrap_or(""),
                                "body": r["content"]["application/json"]["schema"]
                                    .as_object().map(|_| schema_name(&r["content"]["application/json"]["schema"])),
                            }))
                            .collect()
                    })
                    .unwrap_or_default();
                operations.push(json!({
                    "method": method.to_uppercase(),
                    "path": path,
                    "tag": op["tags"][0].as_str().unwrap_or(""),
                    "summary": op["summary"].as_str().unwrap_or(""),
                    "description": op["description"].as_str().unwrap_or(""),
                    "secured": op["security"].is_array(),
                    "params": params,
                    "body": body.as_object().map(|_| schema_name(&body)),
                    "responses": responses,
                }));
            }
        }
    }
    let schemas: Vec<Value> = doc["components"]["schemas"]
        .as_object()
        .map(|s| {
            s.iter()
                .map(|(name, schema)| {
                    let fields: Vec<Value> = properties(&doc, schema)
                        .into_iter()
                        .map(|(f, p)| json!({
                            "name": f,
                            "type": schema_name(p),
                            "description": p["description"].as_str().unwrap_or(""),
                        }))
                        .collect();
                    json!({ "name": name, "description": schema["description"].as_str().unwrap_or(""), "fields": fields })
                })
                .collect()
        })
        .unwrap_or_default();
    state.pages.ok(
        "api_docs",
        &json!({
            "title": "API",
            "description": doc["info"]["description"],
            "operations": operations,
            "schemas": schemas,
        }),
    )
}
