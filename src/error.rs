//! The JSON API's one error shape: `{"error": {"code", "message"}}`.
//! Causes are logged, never sent.

use actix_web::http::StatusCode;
use actix_web::{HttpResponse, ResponseError};
use serde_json::json;

#[derive(Debug, thiserror::Error)]
pub enum ApiError {
    #[error("internal error")]
    Internal(#[source] anyhow::Error),
}

impl ResponseError for ApiError {
    fn status_code(&self) -> StatusCode {
        match self {
            ApiError::Internal(_) => StatusCode::INTERNAL_SERVER_ERROR,
        }
    }

    fn error_response(&self) -> HttpResponse {
        let ApiError::Internal(e) = self;
        tracing::error!(error = format!("{e:#}"), "API request failed");
        json_error(
            self.status_code(),
            "internal",
            "Something went wrong on our side; please try again.",
        )
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
