//! Organizer page forms. Each checks the sign-in's CSRF token and the role,
//! then runs the same operation the API runs, in one transaction, and goes
//! to the page it names (303). A refusal is a page saying why — one line
//! per field at fault — with a way back to the form.

use actix_web::http::{header, StatusCode};
use actix_web::HttpResponse;
use chrono::NaiveDateTime;
use serde_json::json;

use crate::audit::Actor;
use crate::auth::{Need, PageUser};
use crate::db::{self, DbConnection};
use crate::error::ApiError;
use crate::web::AppState;

/// The page answered to an organizer form without this sign-in's token.
pub fn csrf_refused(state: &AppState) -> HttpResponse {
    state.pages.message(
        StatusCode::FORBIDDEN,
        "Form expired",
        "This form was not sent from your current sign-in (or it expired). Go back, reload the page and try again.",
    )
}

/// Runs one organizer change from a posted page form. `change` reads the
/// form, returns where to go next; an `ApiError` becomes the refusal page,
/// `back` its way back. Like every write, `change` may run twice: it
/// touches only the database.
pub async fn submit<F>(
    state: &AppState,
    user: &PageUser,
    posted: Posted,
    need: Need,
    back: String,
    change: F,
) -> HttpResponse
where
    F: Fn(&mut DbConnection, &Actor, &Posted, NaiveDateTime) -> Result<String, ApiError>
        + Send
        + Sync
        + 'static,
{
    if let Some(refused) = refusal(state, user, &posted, need) {
        return refused;
    }
    let (actor, now) = (user.actor(), state.clock.naive());
    match db::write(&state.pool, move |conn| change(conn, &actor, &posted, now)).await {
        Ok(location) => see_other(&location),
        Err(e) => refused(state, e, &back),
    }
}

/// What every organizer form passes before it runs: its CSRF token, then
/// the role. The refusal page, if it does not.
pub fn refusal(
    state: &AppState,
    user: &PageUser,
    posted: &Posted,
    need: Need,
) -> Option<HttpResponse> {
    if !user.csrf_ok(posted.csrf()) {
        return Some(csrf_refused(state));
    }
    user.forbidden(need, state)
}

pub fn see_other(location: &str) -> HttpResponse {
    HttpResponse::SeeOther()
        .insert_header((header::LOCATION, location))
        .finish()
}

/// The page for a refused form: the API's status and message, each field's
/// message, and a link back. Internal errors get the plain apology.
pub fn refused(state: &AppState, e: ApiError, back: &str) -> HttpResponse {
    use actix_web::ResponseError;
    let status = e.status_code();
    let fields = match &e {
        ApiError::Internal(cause) => return state.pages.internal_error(cause),
        ApiError::Invalid { fields, .. } => fields
            .iter()
            .map(|(field, message)| json!({ "field": field.replace('_', " "), "message": message }))
            .collect(),
        _ => Vec::new(),
    };
    state.pages.render(
        status,
        "organizer/refused",
        &json!({
            "title": "That could not be done",
            "message": e.to_string(),
            "fields": fields,
            "back": back,
        }),
    )
}

/// `error` (if any) with one more field at fault: for a value the form
/// sends as text but the API takes typed, checked before the API's checks.
pub fn also_invalid(error: Option<ApiError>, field: &str, message: String) -> ApiError {
    let mut fields = match error {
        Some(ApiError::Invalid { fields, .. }) => fields,
        Some(other) => return other,
        None => Vec::new(),
    };
    fields.push((field.to_string(), message));
    ApiError::fields(fields)
}

/// A posted organizer form as its name/value pairs (a field may repeat,
/// like a group of checkboxes).
#[derive(Debug, Clone, Default)]
pub struct Posted(Vec<(String, String)>);

impl Posted {
    /// From name/value pairs read another way (e.g. a multipart form's
    /// text fields).
    pub fn from_pairs(pairs: Vec<(String, String)>) -> Self {
        Self(pairs)
    }

    /// From actix's form extractor.
    pub fn from_form(form: actix_web::web::Form<Vec<(String, String)>>) -> Self {
        Self(form.into_inner())
    }

    /// The CSRF token the form sent back.
    pub fn csrf(&self) -> &str {
        self.get("csrf").unwrap_or_default()
    }

    /// The first value of `name`, trimmed; `None` when absent or blank.
    pub fn get(&self, name: &str) -> Option<&str> {
        self.0
            .iter()
            .find(|(k, _)| k == name)
            .map(|(_, v)| v.trim())
            .filter(|v| !v.is_empty())
    }

    /// Every non-blank value of `name`, in order.
    pub fn all(&self, name: &str) -> Vec<String> {
        self.0
            .iter()
            .filter(|(k, v)| k == name && !v.trim().is_empty())
            .map(|(_, v)| v.trim().to_string())
            .collect()
    }

    /// Whether the form has a field `name`, even blank.
    pub fn has(&self, name: &str) -> bool {
        self.0.iter().any(|(k, _)| k == name)
    }

    /// Whether a checkbox `name` was ticked.
    pub fn ticked(&self, name: &str) -> bool {
        self.get(name).is_some()
    }

    /// The form as an API body whose fields are all optional text: blank
    /// fields are left out (so they keep or take their defaults), `csrf`
    /// and `skip` are dropped, and an unknown field is refused as the API
    /// refuses it.
    pub fn body<T: serde::de::DeserializeOwned>(&self, skip: &[&str]) -> Result<T, ApiError> {
        let mut map = serde_json::Map::new();
        for (k, v) in &self.0 {
            if k == "csrf" || skip.contains(&k.as_str()) || v.trim().is_empty() {
                continue;
            }
            map.entry(k.clone()).or_insert_with(|| json!(v));
        }
        serde_json::from_value(serde_json::Value::Object(map))
            .map_err(|e| ApiError::invalid(format!("The form could not be read: {e}")))
    }
}
