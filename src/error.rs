//! The JSON API's one error shape:
//! `{"error": {"code", "message", "fields"?}}`. Causes of internal errors
//! are logged, never sent.

use actix_web::http::{header, StatusCode};
use actix_web::{HttpResponse, ResponseError};
use serde::Serialize;
use serde_json::json;
use std::collections::BTreeMap;
use utoipa::ToSchema;

#[derive(Debug, thiserror::Error)]
pub enum ApiError {
    #[error("internal error")]
    Internal(#[source] anyhow::Error),
    /// No credentials, or ones that are invalid, expired or revoked.
    #[error("{1}")]
    Unauthorized(&'static str, String),
    /// Signed in, but the role does not allow it.
    #[error("{0}")]
    Forbidden(String),
    #[error("{0}")]
    NotFound(String),
    /// Bad input: a message, and one per field when fields are at fault.
    #[error("{message}")]
    Invalid {
        message: String,
        fields: Vec<(String, String)>,
    },
    /// The request is valid but the resource's state does not allow it.
    #[error("{1}")]
    Conflict(&'static str, String),
    #[error("{0}")]
    TooManyRequests(String),
    /// An upload over its size limit.
    #[error("{0}")]
    TooLarge(String),
    /// An upload whose content is not of a kind accepted there.
    #[error("{0}")]
    UnsupportedMediaType(String),
}

impl ApiError {
    pub fn invalid(message: impl Into<String>) -> Self {
        ApiError::Invalid {
            message: message.into(),
            fields: Vec::new(),
        }
    }

    /// Bad input with a message per field at fault.
    pub fn fields(fields: Vec<(String, String)>) -> Self {
        ApiError::Invalid {
            message: "Some fields are not valid.".into(),
            fields,
        }
    }
}

impl ResponseError for ApiError {
    fn status_code(&self) -> StatusCode {
        match self {
            ApiError::Internal(_) => StatusCode::INTERNAL_SERVER_ERROR,
            ApiError::Unauthorized(..) => StatusCode::UNAUTHORIZED,
            ApiError::Forbidden(_) => StatusCode::FORBIDDEN,
            ApiError::NotFound(_) => StatusCode::NOT_FOUND,
            ApiError::Invalid { .. } => StatusCode::UNPROCESSABLE_ENTITY,
            ApiError::Conflict(..) => StatusCode::CONFLICT,
            ApiError::TooManyRequests(_) => StatusCode::TOO_MANY_REQUESTS,
            ApiError::TooLarge(_) => StatusCode::PAYLOAD_TOO_LARGE,
            ApiError::UnsupportedMediaType(_) => StatusCode::UNSUPPORTED_MEDIA_TYPE,
        }
    }

    fn error_response(&self) -> HttpResponse {
        let status = self.status_code();
        match self {
            ApiError::Internal(e) => {
                tracing::error!(error = format!("{e:#}"), "API request failed");
                json_error(
                    status,
                    "internal",
                    "Something went wrong on our side; please try again.",
                )
            }
            ApiError::Unauthorized(code, message) => {
                let mut response = json_error(status, code, message);
                response.headers_mut().insert(
                    header::WWW_AUTHENTICATE,
                    header::HeaderValue::from_static("Bearer realm=\"convene\""),
                );
                response
            }
            ApiError::Forbidden(m) => json_error(status, "forbidden", m),
            ApiError::NotFound(m) => json_error(status, "not_found", m),
            ApiError::Invalid { message, fields } => {
                let fields: serde_json::Map<String, serde_json::Value> =
                    fields.iter().map(|(f, m)| (f.clone(), json!(m))).collect();
                let mut error = json!({ "code": "invalid", "message": message });
                if !fields.is_empty() {
                    error["fields"] = serde_json::Value::Object(fields);
                }
                HttpResponse::build(status).json(json!({ "error": error }))
            }
            ApiError::Conflict(code, m) => json_error(status, code, m),
            ApiError::TooManyRequests(m) => json_error(status, "too_many_requests", m),
            ApiError::TooLarge(m) => json_error(status, "too_large", m),
            ApiError::UnsupportedMediaType(m) => json_error(status, "unsupported_media_type", m),
        }
    }
}

pub fn json_error(status: StatusCode, code: &str, message: &str) -> HttpResponse {
    HttpResponse::build(status).json(json!({ "error": { "code": code, "message": message } }))
}

impl From<crate::db::DbError> for ApiError {
    fn from(e: crate::db::DbError) -> Self {
        ApiError::Internal(e.into())
    }
}

impl From<diesel::result::Error> for ApiError {
    fn from(e: diesel::result::Error) -> Self {
        ApiError::Internal(crate::db::DbError::from(e).into())
    }
}

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
