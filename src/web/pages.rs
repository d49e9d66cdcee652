//! Server-rendered pages: every response body comes from a template under
//! `templates/`, which escapes every value.

use actix_web::http::StatusCode;
use actix_web::HttpResponse;
use handlebars::Handlebars;
use serde_json::json;

use crate::templates::{self, PageFiles};

pub struct Pages {
    hb: Handlebars<'static>,
}

impl Pages {
    pub fn load() -> Result<Self, handlebars::TemplateError> {
        Ok(Self {
            hb: templates::load::<PageFiles>(true)?,
        })
    }

    pub fn render(
        &self,
        status: StatusCode,
        name: &str,
        context: &serde_json::Value,
    ) -> HttpResponse {
        match self.hb.render(name, context) {
            Ok(body) => HttpResponse::build(status)
                .content_type("text/html; charset=utf-8")
                .body(body),
            Err(e) => {
                tracing::error!(error = %e, template = name, "page failed to render");
                HttpResponse::InternalServerError()
                    .content_type("text/plain; charset=utf-8")
                    .body("Something went wrong on our side; please try again.")
            }
        }
    }

    pub fn ok(&self, name: &str, context: &serde_json::Value) -> HttpResponse {
        self.render(StatusCode::OK, name, context)
    }

    pub fn not_found(&self) -> HttpResponse {
        self.render(
            StatusCode::NOT_FOUND,
            "not_found",
            &json!({ "title": "Page not found" }),
        )
    }

    /// Logs the whole cause chain; shows the person a plain apology.
    pub fn internal_error(&self, error: &anyhow::Error) -> HttpResponse {
        tracing::error!(error = format!("{error:#}"), "request failed");
        self.render(
            StatusCode::INTERNAL_SERVER_ERROR,
            "error",
            &json!({ "title": "Something went wrong", "message": "Something went wrong on our side. Please try again in a few minutes." }),
        )
    }

    pub fn message(&self, status: StatusCode, title: &str, message: &str) -> HttpResponse {
        self.render(
            status,
            "error",
            &json!({ "title": title, "message": message }),
        )
    }

    /// A page reached by a private link: never stored by caches or the
    /// browser's history cache.
    pub fn private(&self, mut page: HttpResponse) -> HttpResponse {
        page.headers_mut().insert(
            actix_web::http::header::CACHE_CONTROL,
            actix_web::http::header::HeaderValue::from_static("no-store"),
        );
        page
    }
}
