//! The API's OpenAPI 3.1 document, generated from the handlers'
//! annotations (`utoipa`), served at `/api/v1/openapi.json`, and rendered as
//! a plain page at `/api/v1/docs` (no JavaScript, nothing fetched from
//! elsewhere).

use std::collections::BTreeMap;

use actix_web::{web, HttpResponse};
use serde::Serialize;
use serde_json::{json, Value};
use utoipa::openapi::security::{Http, HttpAuthScheme, SecurityScheme};
use utoipa::{Modify, OpenApi, ToSchema};

use crate::app::AppState;

/// Every API error: `{"error": {"code", "message", "fields"?}}`.
#[derive(Serialize, ToSchema)]
pub struct ErrorBody {
    pub error: ErrorDetail,
}

#[derive(Serialize, ToSchema)]
pub struct ErrorDetail {
    /// Stable, for programs: `invalid_credentials`, `token_expired`,
    /// `forbidden`, `not_found`, `invalid`, `session_closed`, …
    pub code: String,
    /// For people.
    pub message: String,
    /// With `invalid`: a message per bad field.
    pub fields: Option<BTreeMap<String, String>>,
}

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
        crate::series::organizer::create_session,
        crate::series::organizer::update_session,
        crate::series::organizer::reschedule_session,
        crate::series::organizer::cancel_session,
        crate::series::organizer::audit,
        crate::mail::admin::api_overview,
        crate::mail::admin::api_retry,
        crate::interest::handlers::queue,
        crate::interest::handlers::decline,
        crate::interest::handlers::accept,
    ),
    components(schemas(ErrorBody, ErrorDetail, SessionChange, SessionDetail, AuditPage, AuditEntry, OutboxOverview, FailedMessage, ProposalQueue, ProposalItem)),
    modifiers(&BearerAuth),
    tags(
        (name = "public", description = "No sign-in needed"),
        (name = "auth", description = "Signing in and out"),
        (name = "sessions", description = "Organizer changes to sessions; registrants' calendars follow"),
        (name = "mail", description = "The outbox"),
        (name = "lineups", description = "Who presents: proposals, lineups"),
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
                    let fields: Vec<Value> = schema["properties"]
                        .as_object()
                        .map(|ps| {
                            ps.iter()
                                .map(|(f, p)| json!({
                                    "name": f,
                                    "type": schema_name(p),
                                    "description": p["description"].as_str().unwrap_or(""),
                                }))
                                .collect()
                        })
                        .unwrap_or_default();
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
