//! The API's OpenAPI 3.1 document, generated from the handlers'
//! annotations (`utoipa`), served at `/api/v1/openapi.json`, and rendered as
//! a plain page at `/api/v1/docs` (no JavaScript, nothing fetched from
//! elsewhere).

use actix_web::{web, HttpResponse};
use serde_json::{json, Value};
use utoipa::openapi::path::ParameterIn;
use utoipa::openapi::security::{Http, HttpAuthScheme, SecurityScheme};
use utoipa::{Modify, OpenApi};

use crate::error::{ErrorBody, ErrorDetail};
use crate::web::AppState;

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
        crate::organizer::sessions::message::api_message,
        crate::organizer::defaults::list,
        crate::organizer::defaults::one,
        crate::organizer::defaults::update,
        crate::organizer::new_series::handlers::api_create,
        crate::questions::handlers::list,
        crate::questions::handlers::replace,
        crate::questions::handlers::list_evaluation,
        crate::questions::handlers::replace_evaluation,
        crate::organizer::sessions::audit,
        crate::organizer::outbox::api_overview,
        crate::organizer::outbox::api_retry,
        crate::interest::handlers::queue,
        crate::interest::handlers::decline,
        crate::interest::handlers::accept,
        crate::interest::group_pages::api_list,
        crate::interest::group_pages::api_group,
        crate::interest::group_pages::api_csv,
        crate::interest::group_pages::api_contacted,
        crate::interest::group_pages::api_message,
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
        crate::evaluation::report::handlers::api_report,
        crate::evaluation::report::handlers::api_csv,
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
        crate::lists::organizer::import_api,
        crate::lists::organizer::export_api,
    ),
    components(schemas(
        ErrorBody, ErrorDetail,
        crate::organizer::sessions::SessionChange, crate::organizer::sessions::SessionDetail,
        crate::organizer::sessions::AuditPage, crate::audit::Entry,
        crate::organizer::outbox::OutboxOverview, crate::organizer::outbox::FailedMessage,
        crate::interest::handlers::ProposalQueue, crate::interest::store::ProposalItem,
        crate::people::contact::RegistrationForm, crate::registration::organizer::RegistrationItem,
        crate::registration::organizer::AddedRegistration,
        crate::registration::organizer::RegistrationPage,
        crate::privacy::PersonExport, crate::privacy::PersonRecord,
        crate::privacy::PersonRegistration, crate::privacy::PersonSubscription,
        crate::privacy::PersonMessage,
        crate::privacy::ErasedPerson, crate::lineup::LeverTag, crate::lineup::handlers::Lineup,
        crate::lineup::LineupSlot, crate::lineup::handlers::SessionLevers,
        crate::organizer::defaults::SeriesList, crate::organizer::defaults::SeriesView,
        crate::organizer::defaults::SeriesChange, crate::series::defaults::Defaults,
        crate::organizer::new_series::NewSeriesBody, crate::organizer::new_series::Setup,
        crate::organizer::new_series::handlers::NewSeriesView,
        crate::organizer::new_series::handlers::NewSeriesSession,
        crate::archive::handlers::ChangeBody,
        crate::organizer::sessions::message::RegistrantsMessage,
        crate::interest::group_pages::WorkingGroups, crate::interest::group_pages::WorkingGroupCount,
        crate::interest::group_pages::WorkingGroup, crate::interest::groups::Member,
        crate::interest::group_pages::WorkingGroupMessage,
        crate::questions::QuestionList, crate::questions::QuestionView,
        crate::questions::QuestionsPut, crate::questions::QuestionInput,
        crate::registration::answers::AddRegistration, crate::registration::answers::AnswerItem,
        crate::evaluation::report::handlers::FeedbackReport, crate::evaluation::report::SessionFeedback,
        crate::evaluation::report::Figures, crate::evaluation::report::Scale,
        crate::evaluation::report::LeverFeedback, crate::evaluation::report::TextAnswer,
    )),
    modifiers(&BearerAuth, &BoundaryErrors),
    tags(
        (name = "public", description = "No sign-in needed"),
        (name = "auth", description = "Signing in and out"),
        (name = "sessions", description = "Organizer changes to sessions; registrants' calendars follow"),
        (name = "series", description = "Series: organizers create them (a recurring webinar or a one-off event) or config does; a configured series' defaults are seeded by config, an organizer's edit wins per field until reset, and its schedule stays in config"),
        (name = "registrations", description = "A session's registrations: list, search, add, cancel, promote, CSV export"),
        (name = "people", description = "Personal data held about one e-mail address: export and erase"),
        (name = "mail", description = "The outbox"),
        (name = "lineups", description = "Who presents: proposals, lineups, levers of change"),
        (name = "echo", description = "Workforce ECHO: cohorts, their sessions, applications, cases and their review (a facilitator reads and changes the cohorts they run; organizers read every cohort and assign facilitators)"),
        (name = "attendance", description = "Who came: import Zoom, Teams or CSV reports; a session's attendance"),
        (name = "feedback", description = "What the evaluations after each session say, and what came of them 90 days later"),
        (name = "archive", description = "A session's materials: slides, recordings, transcripts, chat logs, documents; uploaded (checked by content) or linked, published to the Past Jams page"),
        (name = "lists", description = "Mailing lists: import subscribers whose consent was given elsewhere, export the confirmed ones"),
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
