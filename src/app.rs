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
use crate::config::{FeatureCheck, Settings};
use crate::db::{self, DbError};
use crate::error::json_error;
use crate::jobs::{self, Workers};
use crate::mail::outbox;
use crate::telemetry::{Metrics, RequestSpan, UNMATCHED};
use crate::templates::StaticFiles;

use crate::web::routes::Routes;
use crate::web::{AppState, PageCache, Pages};
use crate::{auth, interest, lineup, lists, organizer, registration, series};

/// Each feature's check of its own settings, run before anything starts.
pub const SETTINGS_CHECKS: &[FeatureCheck] = &[crate::echo::cohorts::check_all];

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
        settings.check_features(SETTINGS_CHECKS)?;
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
            page_cache: PageCache::new(std::time::Duration::from_millis(u64::from(
                settings.http.page_cache_ms,
            ))),
            metrics,
            clock: clock.clone(),
            keys: Keys::new(&settings.auth.jwt_secret, &settings.auth.issuer),
            login_limiter: Arc::new(governor::RateLimiter::keyed(governor::Quota::per_minute(
                std::num::NonZeroU32::new(settings.auth.logins_per_ip_per_minute)
                    .unwrap_or(std::num::NonZeroU32::MIN),
            ))),
            storage: crate::storage::Storage::open(&settings.archive)?,
        });
        if settings.auth.jwt_secret.is_empty() {
            tracing::warn!("auth.jwt_secret is empty: using a random key; sign-ins end at restart");
        }
        let public_posts = crate::web::limits::PublicPosts::from_settings(&settings);
        let server =
            HttpServer::new(move || {
                let metrics = state.metrics.clone();
                App::new()
                    .app_data(web::Data::new(public_posts.clone()))
                    // Innermost: its refusals get the limit, the headers,
                    // logs and metrics.
                    .wrap(crate::web::hygiene::Hygiene)
                    // Before any body is read: a flood is turned away first.
                    .wrap(actix_web::middleware::from_fn(
                        crate::web::limits::limit_public_posts,
                    ))
                    .wrap(security_headers(&state.settings))
                    .wrap_fn(move |req, srv| {
                        let method = req.method().to_string();
                        let route = req.match_pattern();
                        let metrics = metrics.clone();
                        let started = std::time::Instant::now();
                        let response = srv.call(req);
                        async move {
                            let response = response.await;
                            if let Ok(res) = &response {
                                metrics
                                    .http_requests
                                    .with_label_values(&[&method, res.status().as_str()])
                                    .inc();
                                let route = route.as_deref().unwrap_or(UNMATCHED);
                                metrics
                                    .http_duration
                                    .with_label_values(&[&method, route])
                                    .observe(started.elapsed().as_secs_f64());
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
                    .app_data(web::PathConfig::default().error_handler(path_error))
                    .app_data(web::QueryConfig::default().error_handler(query_error))
                    .app_data(web::FormConfig::default().limit(16 * 1024).error_handler(
                        |err, _req| {
                            let response = HttpResponse::BadRequest()
                        .content_type("text/plain; charset=utf-8")
                        .body("The form could not be read. Please go back and submit it again.");
                            actix_web::error::InternalError::from_response(err, response).into()
                        },
                    ))
                    .configure(|cfg| routes(&mut Routes::new(cfg)))
                    .default_service(web::to(not_found))
            })
            .workers(settings.http.worker_count())
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

/// Pages use only this site's stylesheet, images and scripts (static/);
/// forms post only here; no page may be framed.
pub const CONTENT_SECURITY_POLICY: &str = "default-src 'self'; img-src 'self' data:; \
     style-src 'self'; script-src 'self'; object-src 'none'; base-uri 'none'; \
     form-action 'self'; frame-ancestors 'none'";

/// Every route the server answers, in the order it tries them: each
/// feature's `routes` (the organizer's pages last, their catch-all after
/// every feature's form under `/organizer/sessions/{id}/`), then the rest.
pub fn routes(r: &mut Routes) {
    r.configure(series::routes)
        .configure(|r| crate::echo::routes(r, retitle_echo_session))
        .configure(crate::attendance::routes)
        .configure(crate::archive::routes)
        .configure(registration::routes)
        .configure(lists::routes)
        .configure(lineup::routes)
        .configure(interest::routes)
        .configure(crate::questions::routes)
        .configure(crate::evaluation::routes)
        .get("/api/v1/openapi.json", crate::api_docs::openapi_json)
        .get("/api/v1/docs", crate::api_docs::docs_page)
        .post("/api/v1/auth/token", auth::handlers::token)
        .post("/api/v1/auth/logout", auth::handlers::logout)
        .get("/api/v1/auth/me", auth::handlers::me)
        .get(
            "/api/v1/organizer/people/export",
            crate::privacy::export_person,
        )
        .post(
            "/api/v1/organizer/people/erase",
            crate::privacy::erase_person,
        )
        .configure(organizer::routes)
        .get("/organizer/login", auth::handlers::login_form)
        .post("/organizer/login", auth::handlers::login)
        .post("/organizer/logout", auth::handlers::logout_page)
        .get("/healthz", healthz)
        .get("/readyz", readyz)
        .get("/metrics", metrics_text)
        .get("/static/{file}", static_file);
}

/// How the ECHO retitles a cohort's session (a new didactic topic): as
/// any session change, so calendars and notices follow. Handed to
/// `echo::routes`, which may not import the composition.
fn retitle_echo_session(
    conn: &mut crate::db::DbConnection,
    actor: &crate::audit::Actor,
    settings: &Settings,
    id: i64,
    title: &str,
    now: chrono::NaiveDateTime,
) -> Result<(), crate::error::ApiError> {
    let details = organizer::manage::Details {
        title: Some(
            title
                .parse::<organizer::manage::Title>()
                .map_err(crate::error::ApiError::invalid)?,
        ),
        ..Default::default()
    };
    let policy = registration::store::Policy::from_settings(settings);
    organizer::manage::update(conn, actor, &policy, id, &details, now)?;
    Ok(())
}

/// Every (method, pattern) `routes` registers.
pub fn route_list() -> Vec<(actix_web::http::Method, &'static str)> {
    let mut listing = Routes::listing();
    routes(&mut listing);
    listing.into_list()
}

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
    metrics_page(&state.pool, &state.metrics).await
}

/// The Prometheus page: this process's counters and the shared outbox's
/// depth, read now.
async fn metrics_page(pool: &db::Pool, metrics: &Metrics) -> HttpResponse {
    match db::run(pool, |conn| outbox::depth(conn).map_err(DbError::from)).await {
        Ok(depth) => metrics.outbox_depth.set(depth),
        Err(e) => tracing::warn!(error = %e, "outbox depth unavailable"),
    }
    HttpResponse::Ok()
        .content_type("text/plain; version=0.0.4; charset=utf-8")
        .body(metrics.render())
}

/// `convene worker`: the background workers alone and, when
/// `jobs.metrics_bind` is set, their `/metrics` on that address (mails
/// sent and failed by this process, the outbox's depth).
pub struct WorkerProcess {
    workers: Workers,
    metrics: Option<(u16, actix_web::dev::ServerHandle)>,
}

impl WorkerProcess {
    /// Brings the configured series' sessions up to date, then starts the
    /// workers and the metrics listener. Does not migrate.
    pub async fn start(settings: Settings, pool: db::Pool, clock: Clock) -> anyhow::Result<Self> {
        settings.check_features(SETTINGS_CHECKS)?;
        let settings = Arc::new(settings);
        jobs::sync_series(&pool, settings.clone(), clock.now())
            .await
            .context("generating sessions")?;
        let metrics = Arc::new(Metrics::new());
        let listening = match settings.jobs.metrics_bind {
            Some(addr) => {
                let listener = TcpListener::bind(addr)
                    .with_context(|| format!("binding jobs.metrics_bind {addr}"))?;
                let port = listener.local_addr()?.port();
                let (pool, metrics) = (pool.clone(), metrics.clone());
                let server = HttpServer::new(move || {
                    let (pool, metrics) = (pool.clone(), metrics.clone());
                    App::new().route(
                        "/metrics",
                        web::get().to(move || {
                            let (pool, metrics) = (pool.clone(), metrics.clone());
                            async move { metrics_page(&pool, &metrics).await }
                        }),
                    )
                })
                .workers(1)
                // The worker's own shutdown stops it (`stop`).
                .disable_signals()
                .listen(listener)?
                .run();
                let handle = server.handle();
                tokio::spawn(server);
                Some((port, handle))
            }
            None => None,
        };
        let workers = Workers::start(settings, pool, metrics, clock)?;
        Ok(Self {
            workers,
            metrics: listening,
        })
    }

    /// The port `/metrics` is served on, if it is.
    pub fn metrics_port(&self) -> Option<u16> {
        self.metrics.as_ref().map(|(port, _)| *port)
    }

    /// Stops the workers (a send in progress finishes), then the listener.
    pub async fn stop(self) {
        self.workers.stop().await;
        if let Some((_, handle)) = self.metrics {
            handle.stop(true).await;
        }
    }
}

async fn static_file(path: web::Path<String>, state: web::Data<AppState>) -> HttpResponse {
    let name = path.into_inner();
    match StaticFiles::get(&name) {
        Some(file) => {
            let content_type = match name.rsplit('.').next() {
                Some("css") => "text/css; charset=utf-8",
                Some("js") => "text/javascript; charset=utf-8",
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

/// A path parameter that does not parse names nothing: 404, as actix
/// answers, in the API's JSON shape under `/api/`.
fn path_error(err: actix_web::error::PathError, req: &HttpRequest) -> actix_web::Error {
    let response = if req.path().starts_with("/api/") {
        json_error(StatusCode::NOT_FOUND, "not_found", "No such resource.")
    } else {
        HttpResponse::NotFound()
            .content_type("text/plain; charset=utf-8")
            .body(err.to_string())
    };
    actix_web::error::InternalError::from_response(err, response).into()
}

/// A query string that does not parse: 400, as actix answers, in the API's
/// JSON shape under `/api/`.
fn query_error(err: actix_web::error::QueryPayloadError, req: &HttpRequest) -> actix_web::Error {
    let response = if req.path().starts_with("/api/") {
        json_error(
            StatusCode::BAD_REQUEST,
            "bad_request",
            &format!("The query string could not be read: {err}"),
        )
    } else {
        HttpResponse::BadRequest()
            .content_type("text/plain; charset=utf-8")
            .body(err.to_string())
    };
    actix_web::error::InternalError::from_response(err, response).into()
}

async fn not_found(req: HttpRequest, state: web::Data<AppState>) -> HttpResponse {
    if req.path().starts_with("/api/") {
        json_error(StatusCode::NOT_FOUND, "not_found", "No such resource.")
    } else {
        state.pages.not_found()
    }
}
