//! Signing in and out: `POST /api/v1/auth/token` (a bearer token),
//! `POST /api/v1/auth/logout`, `GET /api/v1/auth/me`; the organizer pages'
//! `/organizer/login` (a cookie) and `/organizer/logout`.

use std::net::IpAddr;

use actix_web::cookie::{time, Cookie, SameSite};
use actix_web::http::{header, StatusCode};
use actix_web::{web, HttpRequest, HttpResponse};
use chrono::Duration;
use serde::Deserialize;
use serde_json::json;

use crate::auth::extract::{ApiUser, PageUser, SESSION_COOKIE};
use crate::auth::forms::csrf_refused;
use crate::auth::password;
use crate::auth::store::{self, User};
use crate::auth::tokens::{API_AUDIENCE, PAGES_AUDIENCE};
use crate::db::{self, DbError};
use crate::error::ApiError;
use crate::web::AppState;

#[derive(Debug, Deserialize, utoipa::ToSchema)]
pub struct Credentials {
    #[serde(default)]
    pub email: String,
    #[serde(default)]
    pub password: String,
}

/// Why a sign-in failed. The messages never say whether the account exists.
#[derive(Debug)]
enum Refused {
    TooManyAttempts,
    Wrong,
    Locked,
    Db(DbError),
}

impl From<Refused> for ApiError {
    fn from(r: Refused) -> Self {
        match r {
            Refused::TooManyAttempts => ApiError::TooManyRequests(
                "Too many sign-in attempts from this address; wait a minute.".into(),
            ),
            Refused::Wrong => ApiError::Unauthorized(
                "invalid_credentials",
                "Wrong e-mail address or password.".into(),
            ),
            Refused::Locked => ApiError::Unauthorized(
                "account_locked",
                "Too many wrong passwords: this account is locked for a while.".into(),
            ),
            Refused::Db(e) => e.into(),
        }
    }
}

fn client_ip(state: &AppState, req: &HttpRequest) -> Option<IpAddr> {
    crate::web::limits::client_ip(req, &state.settings.http.trusted_proxies)
}

/// Checks the password (off the executor), counting failures toward the
/// lockout; the IP limit applies first.
async fn authenticate(
    state: &AppState,
    ip: Option<IpAddr>,
    credentials: Credentials,
) -> Result<User, Refused> {
    if let Some(ip) = ip {
        if state.login_limiter.check_key(&ip).is_err() {
            return Err(Refused::TooManyAttempts);
        }
    }
    let email = credentials.email.trim().to_lowercase();
    let user = db::run(&state.pool, move |conn| {
        store::find_by_email(conn, &email).map_err(DbError::from)
    })
    .await
    .map_err(Refused::Db)?;
    let now = state.clock.naive();
    let hash = match &user {
        Some(u) => u.password_hash.clone(),
        None => password::decoy_hash().to_string(),
    };
    let matches = password::verify_async(credentials.password, hash).await;
    let Some(user) = user.filter(|u| !u.is_disabled()) else {
        return Err(Refused::Wrong);
    };
    if user.is_locked(now) {
        return Err(Refused::Locked);
    }
    let auth = &state.settings.auth;
    let (lock_after, lock_for) = (
        auth.lockout_after,
        Duration::minutes(i64::from(auth.lockout_minutes)),
    );
    let id = user.id;
    if !matches {
        let locked = db::write(&state.pool, move |conn| {
            store::record_failed_login(conn, id, lock_after, lock_for, now).map_err(DbError::from)
        })
        .await
        .map_err(Refused::Db)?;
        tracing::warn!(user = id, locked, "wrong password");
        return Err(if locked {
            Refused::Locked
        } else {
            Refused::Wrong
        });
    }
    db::write(&state.pool, move |conn| {
        store::record_login(conn, id, now).map_err(DbError::from)
    })
    .await
    .map_err(Refused::Db)?;
    Ok(user)
}

/// A bearer token for the organizer API.
#[derive(Debug, serde::Serialize, utoipa::ToSchema)]
pub struct TokenResponse {
    pub token: String,
    /// Always `Bearer`.
    pub token_type: String,
    /// RFC 3339.
    pub expires_at: Option<String>,
    pub user: UserSummary,
}

/// An organizer account as the API shows it.
#[derive(Debug, serde::Serialize, utoipa::ToSchema)]
pub struct UserSummary {
    pub id: i64,
    pub email: String,
    pub name: String,
    /// admin, organizer or facilitator.
    pub role: String,
    pub disabled: bool,
}

impl From<&User> for UserSummary {
    fn from(u: &User) -> Self {
        Self {
            id: u.id,
            email: u.email.clone(),
            name: u.name.clone(),
            role: u.role.clone(),
            disabled: u.is_disabled(),
        }
    }
}

/// Signs in: a token valid `auth.token_minutes`. Five wrong passwords in a
/// row lock the account for a while; attempts are limited per address.
#[utoipa::path(post, path = "/api/v1/auth/token", tag = "auth", request_body = Credentials,
    responses(
        (status = 200, description = "Signed in", body = TokenResponse),
        (status = 401, description = "Wrong e-mail or password, or the account is locked", body = crate::error::ErrorBody),
        (status = 429, description = "Too many attempts from this address", body = crate::error::ErrorBody)))]
pub async fn token(
    state: web::Data<AppState>,
    req: HttpRequest,
    body: web::Json<Credentials>,
) -> Result<HttpResponse, ApiError> {
    let user = authenticate(&state, client_ip(&state, &req), body.into_inner()).await?;
    let lifetime = Duration::minutes(i64::from(state.settings.auth.token_minutes));
    let (token, claims) = state.keys.issue(
        user.id,
        user.role(),
        user.token_version,
        API_AUDIENCE,
        lifetime,
        state.clock.now(),
        None,
    );
    Ok(HttpResponse::Ok()
        .insert_header((header::CACHE_CONTROL, "no-store"))
        .json(TokenResponse {
            token,
            token_type: "Bearer".into(),
            expires_at: chrono::DateTime::from_timestamp(claims.exp, 0).map(|t| t.to_rfc3339()),
            user: UserSummary::from(&user),
        }))
}

/// Signs out: every token of the user stops working.
#[utoipa::path(post, path = "/api/v1/auth/logout", tag = "auth", security(("bearer" = [])),
    responses((status = 204, description = "Signed out"),
        (status = 401, description = "No valid token", body = crate::error::ErrorBody)))]
pub async fn logout(state: web::Data<AppState>, user: ApiUser) -> Result<HttpResponse, ApiError> {
    let (id, now) = (user.user.id, state.clock.naive());
    db::write(&state.pool, move |conn| {
        store::revoke_tokens(conn, id, now).map_err(DbError::from)
    })
    .await?;
    Ok(HttpResponse::NoContent().finish())
}

/// Who the token belongs to.
#[utoipa::path(get, path = "/api/v1/auth/me", tag = "auth", security(("bearer" = [])),
    responses((status = 200, description = "The signed-in user", body = UserSummary),
        (status = 401, description = "No valid token", body = crate::error::ErrorBody)))]
pub async fn me(user: ApiUser) -> HttpResponse {
    HttpResponse::Ok().json(UserSummary::from(&user.user))
}

#[derive(Debug, Default, Deserialize)]
pub struct LoginQuery {
    #[serde(default)]
    next: String,
}

/// Only our own organizer pages are places to return to.
fn safe_next(next: &str) -> String {
    if next.starts_with("/organizer") && !next.starts_with("//") && !next.contains("://") {
        next.to_string()
    } else {
        "/organizer".into()
    }
}

fn login_page(
    state: &AppState,
    status: StatusCode,
    email: &str,
    next: &str,
    error: Option<&str>,
) -> HttpResponse {
    state.pages.private(state.pages.render(
        status,
        "organizer/login",
        &json!({
            "title": if error.is_some() { "Error: Sign in" } else { "Sign in" },
            "email": email,
            "next": safe_next(next),
            "error": error.unwrap_or(""),
            "has_error": error.is_some(),
        }),
    ))
}

/// `GET /organizer/login`
pub async fn login_form(state: web::Data<AppState>, query: web::Query<LoginQuery>) -> HttpResponse {
    login_page(&state, StatusCode::OK, "", &query.next, None)
}

#[derive(Debug, Deserialize)]
pub struct LoginForm {
    #[serde(default)]
    email: String,
    #[serde(default)]
    password: String,
    #[serde(default)]
    next: String,
}

/// `POST /organizer/login`: sets the sign-in cookie.
pub async fn login(
    state: web::Data<AppState>,
    req: HttpRequest,
    form: web::Form<LoginForm>,
) -> HttpResponse {
    let form = form.into_inner();
    let credentials = Credentials {
        email: form.email.clone(),
        password: form.password,
    };
    let user = match authenticate(&state, client_ip(&state, &req), credentials).await {
        Ok(user) => user,
        Err(Refused::Db(e)) => return state.pages.internal_error(&e.into()),
        Err(refused) => {
            let (status, message) = match refused {
                Refused::TooManyAttempts => (
                    StatusCode::TOO_MANY_REQUESTS,
                    "Too many sign-in attempts from this address; wait a minute and try again.",
                ),
                Refused::Locked => (
                    StatusCode::UNAUTHORIZED,
                    "Too many wrong passwords: this account is locked for a while. Try again later or ask an admin.",
                ),
                _ => (StatusCode::UNAUTHORIZED, "Wrong e-mail address or password."),
            };
            return login_page(&state, status, &form.email, &form.next, Some(message));
        }
    };
    let lifetime = Duration::hours(i64::from(state.settings.auth.session_hours));
    let csrf = crate::web::token::new_token();
    let (token, _) = state.keys.issue(
        user.id,
        user.role(),
        user.token_version,
        PAGES_AUDIENCE,
        lifetime,
        state.clock.now(),
        Some(csrf),
    );
    let secure = state.settings.http.public_url.is_https();
    let cookie = Cookie::build(SESSION_COOKIE, token)
        .path("/organizer")
        .http_only(true)
        .same_site(SameSite::Strict)
        .secure(secure)
        .max_age(time::Duration::seconds(lifetime.num_seconds()))
        .finish();
    HttpResponse::SeeOther()
        .cookie(cookie)
        .insert_header((header::LOCATION, safe_next(&form.next)))
        .finish()
}

#[derive(Debug, Deserialize)]
pub struct CsrfForm {
    #[serde(default)]
    pub csrf: String,
}

/// `POST /organizer/logout`: ends every sign-in of the user.
pub async fn logout_page(
    state: web::Data<AppState>,
    user: PageUser,
    form: web::Form<CsrfForm>,
) -> HttpResponse {
    if !user.csrf_ok(&form.csrf) {
        return csrf_refused(&state);
    }
    let (id, now) = (user.user.id, state.clock.naive());
    if let Err(e) = db::write(&state.pool, move |conn| {
        store::revoke_tokens(conn, id, now).map_err(DbError::from)
    })
    .await
    {
        return state.pages.internal_error(&e.into());
    }
    let mut gone = Cookie::build(SESSION_COOKIE, "")
        .path("/organizer")
        .finish();
    gone.make_removal();
    HttpResponse::SeeOther()
        .cookie(gone)
        .insert_header((header::LOCATION, "/organizer/login"))
        .finish()
}
