//! Builds the running service: the pool, the HTTP server with every route,
//! and the background workers. `Application::build` binds the configured
//! address (port 0 in tests) and reports the real port.

use std::net::TcpListener;
use std::sync::Arc;

use actix_web::dev::{Server, Service};
use actix_web::http::header;
use actix_web::http::StatusCode;
use actix_web::middleware::DefaultHeaders;
use actix_web::{web, App, HttpRequest, HttpResponse, HttpServer, ResponseError};
use anyhow::Context;
use tracing_actix_web::TracingLogger;

use crate::auth::tokens::Keys;
use crate::clock::Clock;
use crate::config::Settings;
use crate::db::{self, DbError, Pool};
use crate::error::json_error;
use crate::jobs::{self, Workers};
use crate::mail::outbox;
use crate::pages::Pages;
use crate::telemetry::{Metrics, RequestSpan};
use crate::templates::StaticFiles;
use crate::{auth, interest, lineup, lists, mail, registration, series};

/// What every handler can reach.
pub struct AppState {
    pub pool: Pool,
    pub settings: Arc<Settings>,
    pub pages: Pages,
    pub metrics: Arc<Metrics>,
    pub clock: Clock,
    /// Signs and checks API tokens and organizer sign-ins.
    pub keys: Keys,
    /// Sign-in attempts per client IP.
    pub login_limiter: Arc<governor::DefaultKeyedRateLimiter<std::net::IpAddr>>,
    /// Where uploaded materials are kept.
    pub storage: crate::archive::storage::Storage,
}

pub struct Application {
    port: u16,
    server: Server,
    workers: Option<Workers>,
    clock: Clock,
}

impl Application {
    /// Connects, brings the configured series' sessions up to date, binds,
    /// and starts the workers when `jobs.run_in_serve` is set. Does not
    /// migrate: run `db::migrate` first.
    pub async fn build(settings: Settings) -> anyhow::Result<Self> {
        Self::build_with_clock(settings, Clock::system()).await
    }

    /// `build` with the given clock (tests move a manual one).
    pub async fn build_with_clock(settings: Settings, clock: Clock) -> anyhow::Result<Self> {
        let settings = Arc::new(settings);
        let database = settings.database.clone();
        let pool = tokio::task::spawn_blocking(move || db::connect(&database))
            .await
            .context("database connect task")?
            .context("database")?;
        jobs::sync_series(&pool, settings.clone(), clock.now())
            .await
            .context("generating sessions")?;
        let metrics = Arc::new(Metrics::new());
        let workers = if settings.jobs.run_in_serve {
            Some(Workers::start(
                settings.clone(),
                pool.clone(),
                metrics.clone(),
                clock.clone(),
            )?)
        } else {
            None
        };
        let listener = TcpListener::bind(settings.http.bind)
            .with_context(|| format!("binding {}", settings.http.bind))?;
        let port = listener.local_addr()?.port();
        let state = web::Data::new(AppState {
            pool,
            settings: settings.clone(),
            pages: Pages::load().context("page templates")?,
            metrics,
            clock: clock.clone(),
            keys: Keys::new(&settings.auth.jwt_secret, &settings.auth.issuer),
            login_limiter: Arc::new(governor::RateLimiter::keyed(governor::Quota::per_minute(
                std::num::NonZeroU32::new(settings.auth.logins_per_ip_per_minute)
                    .unwrap_or(std::num::NonZeroU32::MIN),
            ))),
            storage: crate::archive::storage::Storage::local(&settings.archive.dir)
                .with_context(|| format!("archive folder {}", settings.archive.dir.display()))?,
        });
        if settings.auth.jwt_secret.is_empty() {
            tracing::warn!("auth.jwt_secret is empty: using a random key; sign-ins end at restart");
        }
        let public_posts = crate::limits::PublicPosts::from_settings(&settings);
        let server =
            HttpServer::new(move || {
                let metrics = state.metrics.clone();
                App::new()
                    .app_data(web::Data::new(public_posts.clone()))
                    // Innermost: its refusals get the limit, the headers,
                    // logs and metrics.
                    .wrap(crate::hygiene::Hygiene)
                    // Before any body is read: a flood is turned away first.
                    .wrap(actix_web::middleware::from_fn(
                        crate::limits::limit_public_posts,
                    ))
                    .wrap(security_headers(&state.settings))
                    .wrap_fn(move |req, srv| {
                        let method = req.method().to_string();
                        let metrics = metrics.clone();
                        let response = srv.call(req);
                        async move {
                            let response = response.await;
                            if let Ok(res) = &response {
                                metrics
                                    .http_requests
                                    .with_label_values(&[&method, res.status().as_str()])
                                    .inc();
                            }
                            response
                        }
                    })
                    .wrap(TracingLogger::<RequestSpan>::new())
                    .app_data(state.clone())
                    .app_data(web::JsonConfig::default().limit(64 * 1024).error_handler(
                        |err, _req| {
                            let message = format!("The JSON body could not be read: {err}");
                            actix_web::error::InternalError::from_response(
                                err,
                                crate::error::ApiError::invalid(message).error_response(),
                            )
                            .into()
                        },
                    ))
                    .app_data(web::FormConfig::default().limit(16 * 1024).error_handler(
                        |err, _req| {
                            let response = HttpResponse::BadRequest()
                        .content_type("text/plain; charset=utf-8")
                        .body("The form could not be read. Please go back and submit it again.");
                            actix_web::error::InternalError::from_response(err, response).into()
                        },
                    ))
                    .route("/", web::get().to(series::handlers::index))
                    .configure(crate::echo::routes)
                    .configure(crate::attendance::handlers::routes)
                    .configure(crate::archive::routes)
                    .route(
                        "/sessions/{id}",
                        web::get().to(registration::handlers::session_page),
                    )
                    .route(
                        "/sessions/{id}/register",
                        web::post().to(registration::handlers::register),
                    )
                    .route(
                        "/sessions/{id}/check-email",
                        web::get().to(registration::handlers::check_email),
                    )
                    .route(
                        "/sessions/{id}/calendar.ics",
                        web::get().to(series::handlers::session_ics),
                    )
                    .route(
                        "/calendar/{slug}.ics",
                        web::get().to(series::handlers::feed),
                    )
                    .route("/r/{token}", web::get().to(registration::handlers::manage))
                    .route(
                        "/r/{token}/confirmation",
                        web::get().to(registration::handlers::confirmation),
                    )
                    .route(
                        "/r/{token}/cancel",
                        web::post().to(registration::handlers::cancel),
                    )
                    .route("/subscribe", web::get().to(lists::handlers::subscribe_page))
                    .route("/subscribe", web::post().to(lists::handlers::subscribe))
                    .route(
                        "/subscribe/confirm/{token}",
                        web::get().to(lists::handlers::confirm_page),
                    )
                    .route(
                        "/subscribe/confirm/{token}",
                        web::post().to(lists::handlers::confirm),
                    )
                    .route(
                        "/u/{token}",
                        web::get().to(lists::handlers::unsubscribe_page),
                    )
                    .route("/u/{token}", web::post().to(lists::handlers::unsubscribe))
                    .route(
                        "/api/v1/sessions",
                        web::get().to(series::handlers::api_sessions),
                    )
                    .route(
                        "/api/v1/openapi.json",
                        web::get().to(crate::api_docs::openapi_json),
                    )
                    .route("/api/v1/docs", web::get().to(crate::api_docs::docs_page))
                    .route("/api/v1/auth/token", web::post().to(auth::handlers::token))
                    .route(
                        "/api/v1/auth/logout",
                        web::post().to(auth::handlers::logout),
                    )
                    .route("/api/v1/auth/me", web::get().to(auth::handlers::me))
                    .route(
                        "/api/v1/organizer/sessions",
                        web::post().to(series::organizer::create_session),
                    )
                    .route(
                        "/api/v1/organizer/sessions/{id}",
                        web::patch().to(series::organizer::update_session),
                    )
                    .route(
                        "/api/v1/organizer/sessions/{id}/reschedule",
                        web::post().to(series::organizer::reschedule_session),
                    )
                    .route(
                        "/api/v1/organizer/sessions/{id}/cancel",
                        web::post().to(series::organizer::cancel_session),
                    )
                    .route(
                        "/api/v1/organizer/series",
                        web::get().to(series::defaults::list),
                    )
                    .route(
                        "/api/v1/organizer/series/{slug}",
                        web::get().to(series::defaults::one),
                    )
                    .route(
                        "/api/v1/organizer/series/{slug}",
                        web::patch().to(series::defaults::update),
                    )
                    .route(
                        "/api/v1/organizer/sessions/{id}/registrations",
                        web::get().to(registration::organizer::list),
                    )
                    .route(
                        "/api/v1/organizer/sessions/{id}/registrations",
                        web::post().to(registration::organizer::add),
                    )
                    .route(
                        "/api/v1/organizer/sessions/{id}/registrations.csv",
                        web::get().to(registration::organizer::export_csv),
                    )
                    .route(
                        "/api/v1/organizer/registrations/{id}/cancel",
                        web::post().to(registration::organizer::cancel),
                    )
                    .route(
                        "/api/v1/organizer/registrations/{id}/promote",
                        web::post().to(registration::organizer::promote),
                    )
                    .route(
                        "/api/v1/organizer/people/export",
                        web::get().to(crate::privacy::export_person),
                    )
                    .route(
                        "/api/v1/organizer/people/erase",
                        web::post().to(crate::privacy::erase_person),
                    )
                    .route(
                        "/api/v1/organizer/sessions/{id}/lineup",
                        web::get().to(lineup::handlers::get_lineup),
                    )
                    .route(
                        "/api/v1/organizer/sessions/{id}/lineup",
                        web::post().to(lineup::handlers::add_slot),
                    )
                    .route(
                        "/api/v1/organizer/sessions/{id}/levers",
                        web::put().to(lineup::handlers::put_levers),
                    )
                    .route(
                        "/api/v1/organizer/lineup/{slot_id}",
                        web::patch().to(lineup::handlers::update_slot),
                    )
                    .route(
                        "/api/v1/organizer/lineup/{slot_id}/invite",
                        web::post().to(lineup::handlers::invite_slot),
                    )
                    .route(
                        "/present/{token}/{answer}",
                        web::get().to(lineup::handlers::answer_page),
                    )
                    .route(
                        "/present/{token}/{answer}",
                        web::post().to(lineup::handlers::answer),
                    )
                    .route("/api/v1/audit", web::get().to(series::organizer::audit))
                    .route(
                        "/api/v1/organizer/outbox",
                        web::get().to(mail::admin::api_overview),
                    )
                    .route(
                        "/api/v1/organizer/outbox/{id}/retry",
                        web::post().to(mail::admin::api_retry),
                    )
                    .route("/organizer/outbox", web::get().to(mail::admin::page))
                    .route(
                        "/organizer/outbox/{id}/retry",
                        web::post().to(mail::admin::page_retry),
                    )
                    .route("/interest", web::get().to(interest::handlers::page))
                    .route("/interest", web::post().to(interest::handlers::submit))
                    .route(
                        "/api/v1/organizer/proposals",
                        web::get().to(interest::handlers::queue),
                    )
                    .route(
                        "/api/v1/organizer/proposals/{id}/decline",
                        web::post().to(interest::handlers::decline),
                    )
                    .route(
                        "/api/v1/organizer/proposals/{id}/accept",
                        web::post().to(interest::handlers::accept),
                    )
                    .route("/organizer", web::get().to(series::organizer::dashboard))
                    .route("/organizer/proposals", web::get().to(interest::pages::page))
                    .route(
                        "/organizer/proposals/{id}/{action}",
                        web::post().to(interest::pages::decide),
                    )
                    .route(
                        "/organizer/audit",
                        web::get().to(series::organizer::audit_page),
                    )
                    .route(
                        "/organizer/series/{slug}",
                        web::get().to(series::defaults::page),
                    )
                    .route(
                        "/organizer/series/{slug}",
                        web::post().to(series::defaults::page_update),
                    )
                    .route(
                        "/organizer/sessions/{id}",
                        web::get().to(series::organizer::session_page),
                    )
                    .route(
                        "/organizer/sessions/{id}/registrations.csv",
                        web::get().to(series::organizer::session_csv),
                    )
                    .route(
                        "/organizer/sessions",
                        web::post().to(series::organizer::page_create_session),
                    )
                    .route(
                        "/organizer/sessions/{id}/registrations",
                        web::post().to(series::organizer::page_add_registration),
                    )
                    .route(
                        "/organizer/sessions/{id}/lineup",
                        web::post().to(lineup::pages::add),
                    )
                    .route(
                        "/organizer/sessions/{id}/levers",
                        web::post().to(lineup::pages::levers),
                    )
                    .route(
                        "/organizer/lineup/{slot}/{action}",
                        web::post().to(lineup::pages::slot_action),
                    )
                    .route(
                        "/organizer/sessions/{id}/{action}",
                        web::post().to(series::organizer::page_session_change),
                    )
                    .route(
                        "/organizer/registrations/{id}/{action}",
                        web::post().to(series::organizer::page_registration),
                    )
                    .route(
                        "/organizer/login",
                        web::get().to(auth::handlers::login_form),
                    )
                    .route("/organizer/login", web::post().to(auth::handlers::login))
                    .route(
                        "/organizer/logout",
                        web::post().to(auth::handlers::logout_page),
                    )
                    .route("/healthz", web::get().to(healthz))
                    .route("/readyz", web::get().to(readyz))
                    .route("/metrics", web::get().to(metrics_text))
                    .route("/static/{file}", web::get().to(static_file))
                    .default_service(web::to(not_found))
            })
            .listen(listener)?
            .run();
        Ok(Self {
            port,
            server,
            workers,
            clock,
        })
    }

    pub fn port(&self) -> u16 {
        self.port
    }

    /// The clock every part of this instance reads.
    pub fn clock(&self) -> Clock {
        self.clock.clone()
    }

    /// Serves until the server is stopped (Ctrl-C, SIGTERM), then stops the
    /// workers.
    pub async fn run_until_stopped(self) -> std::io::Result<()> {
        let result = self.server.await;
        if let Some(workers) = self.workers {
            workers.stop().await;
        }
        result
    }
}

/// The headers every response carries: no sniffing or framing, no referrer
/// (private links carry a token), a content security policy that allows
/// nothing inline and nothing from elsewhere, no powerful browser features,
/// and HSTS when the public address is https.
fn security_headers(settings: &Settings) -> DefaultHeaders {
    let headers = DefaultHeaders::new()
        .add((header::X_CONTENT_TYPE_OPTIONS, "nosniff"))
        .add((header::X_FRAME_OPTIONS, "DENY"))
        .add((header::REFERRER_POLICY, "no-referrer"))
        .add((header::CONTENT_SECURITY_POLICY, CONTENT_SECURITY_POLICY))
        .add((
            header::HeaderName::from_static("permissions-policy"),
            "camera=(), microphone=(), geolocation=(), payment=(), usb=(), interest-cohort=()",
        ));
    if settings.http.public_url.is_https() {
        headers.add((header::STRICT_TRANSPORT_SECURITY, "max-age=31536000"))
    } else {
        headers
    }
}

/// Pages use only this site's stylesheet, images and (none yet) scripts;
/// forms post only here; no page may be framed.
pub const CONTENT_SECURITY_POLICY: &str = "default-src 'self'; img-src 'self' data:; \
     style-src 'self'; script-src 'self'; object-src 'none'; base-uri 'none'; \
     form-action 'self'; frame-ancestors 'none'";

async fn healthz() -> HttpResponse {
    HttpResponse::Ok().json(serde_json::json!({ "status": "ok" }))
}

async fn readyz(state: web::Data<AppState>) -> HttpResponse {
    let check = db::run(&state.pool, |conn| {
        use diesel::connection::SimpleConnection;
        conn.batch_execute("SELECT 1").map_err(DbError::from)
    })
    .await;
    match check {
        Ok(()) => HttpResponse::Ok().json(serde_json::json!({ "status": "ready" })),
        Err(e) => {
            tracing::warn!(error = %e, "not ready");
            json_error(
                StatusCode::SERVICE_UNAVAILABLE,
                "database_unavailable",
                "The database cannot be reached.",
            )
        }
    }
}

async fn metrics_text(state: web::Data<AppState>) -> HttpResponse {
    match db::run(&state.pool, |conn| {
        outbox::depth(conn).map_err(DbError::from)
    })
    .await
    {
        Ok(depth) => state.metrics.outbox_depth.set(depth),
        Err(e) => tracing::warn!(error = %e, "outbox depth unavailable"),
    }
    HttpResponse::Ok()
        .content_type("text/plain; version=0.0.4; charset=utf-8")
        .body(state.metrics.render())
}

async fn static_file(path: web::Path<String>, state: web::Data<AppState>) -> HttpResponse {
    let name = path.into_inner();
    match StaticFiles::get(&name) {
        Some(file) => {
            let content_type = match name.rsplit('.').next() {
                Some("css") => "text/css; charset=utf-8",
                Some("svg") => "image/svg+xml",
                Some("png") => "image/png",
                Some("ico") => "image/x-icon",
                _ => "application/octet-stream",
            };
            HttpResponse::Ok()
                .content_type(content_type)
                .insert_header((header::CACHE_CONTROL, "public, max-age=3600"))
                .body(file.data.into_owned())
        }
        None => state.pages.not_found(),
    }
}

async fn not_found(req: HttpRequest, state: web::Data<AppState>) -> HttpResponse {
    if req.path().starts_with("/api/") {
        json_error(StatusCode::NOT_FOUND, "not_found", "No such resource.")
    } else {
        state.pages.not_found()
    }
}
