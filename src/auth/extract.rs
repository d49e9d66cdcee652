//! Who is asking: `ApiUser` from an `Authorization: Bearer` token (401/403
//! as JSON), `PageUser` from the organizer sign-in cookie (a redirect to the
//! sign-in page, or a 403 page). Each request re-reads the user, so
//! disabling an account or signing out (a token-version bump) takes effect
//! at once.

use actix_web::http::header;
use actix_web::{dev::Payload, web, FromRequest, HttpRequest, HttpResponse};
use futures_util::future::LocalBoxFuture;

use crate::audit::Actor;
use crate::auth::role::{Caller, Need, Role};
use crate::auth::store::{self, User};
use crate::auth::tokens::{Claims, TokenError, API_AUDIENCE, PAGES_AUDIENCE};
use crate::db::{self, DbError};
use crate::error::ApiError;
use crate::web::AppState;

pub const SESSION_COOKIE: &str = "convene_session";

/// The user whose token this is, if it is still good: the account exists,
/// is not disabled, and the token's version and role are current.
async fn current_user(state: &AppState, claims: &Claims) -> Result<Option<User>, DbError> {
    let Ok(id) = claims.sub.parse::<i64>() else {
        return Ok(None);
    };
    let user = db::run(&state.pool, move |conn| {
        store::find(conn, id).map_err(DbError::from)
    })
    .await?;
    Ok(user
        .filter(|u| !u.is_disabled() && u.token_version == claims.ver && u.role() == claims.role))
}

/// The API's 403 for what `role` may not do.
pub fn refusal(role: Role) -> ApiError {
    ApiError::Forbidden(format!("The {} role may not do this.", role.as_str()))
}

pub struct ApiUser {
    pub user: User,
    pub claims: Claims,
}

impl ApiUser {
    pub fn require(&self, need: Need) -> Result<(), ApiError> {
        if self.user.role().allows(need) {
            Ok(())
        } else {
            Err(refusal(self.user.role()))
        }
    }

    pub fn actor(&self) -> Actor {
        Actor {
            user_id: Some(self.user.id),
            label: self.user.email.clone(),
        }
    }

    pub fn caller(&self) -> Caller {
        self.user.caller()
    }
}

impl FromRequest for ApiUser {
    type Error = ApiError;
    type Future = LocalBoxFuture<'static, Result<Self, ApiError>>;

    fn from_request(req: &HttpRequest, _: &mut Payload) -> Self::Future {
        let state = req.app_data::<web::Data<AppState>>().cloned();
        let bearer = req
            .headers()
            .get(header::AUTHORIZATION)
            .and_then(|v| v.to_str().ok())
            .and_then(|v| {
                v.strip_prefix("Bearer ")
                    .or_else(|| v.strip_prefix("bearer "))
            })
            .map(|t| t.trim().to_string());
        Box::pin(async move {
            let state = state.ok_or_else(|| ApiError::Internal(anyhow::anyhow!("no state")))?;
            let token = bearer.ok_or(ApiError::Unauthorized(
                "missing_token",
                "Send `Authorization: Bearer <token>`; get a token from POST /api/v1/auth/token."
                    .into(),
            ))?;
            let claims = match state.keys.verify(&token, API_AUDIENCE, state.clock.now()) {
                Ok(c) => c,
                Err(TokenError::Expired) => {
                    return Err(ApiError::Unauthorized(
                        "token_expired",
                        "The token has expired; get a new one.".into(),
                    ))
                }
                Err(TokenError::Invalid) => {
                    return Err(ApiError::Unauthorized(
                        "invalid_token",
                        "The token is not valid.".into(),
                    ))
                }
            };
            match current_user(&state, &claims).await? {
                Some(user) => Ok(ApiUser { user, claims }),
                None => Err(ApiError::Unauthorized(
                    "token_revoked",
                    "The token was revoked (signed out, disabled, or changed); sign in again."
                        .into(),
                )),
            }
        })
    }
}

pub struct PageUser {
    pub user: User,
    /// What this sign-in's forms must send back as `csrf`.
    pub csrf: String,
}

impl PageUser {
    /// `None` when allowed; otherwise the 403 page to answer with.
    pub fn forbidden(&self, need: Need, state: &AppState) -> Option<HttpResponse> {
        if self.user.role().allows(need) {
            return None;
        }
        Some(state.pages.message(
            actix_web::http::StatusCode::FORBIDDEN,
            "Not allowed",
            &format!(
                "Your role ({}) does not allow this page or change.",
                self.user.role().as_str()
            ),
        ))
    }

    /// Whether a submitted form carries this sign-in's CSRF token.
    pub fn csrf_ok(&self, submitted: &str) -> bool {
        let (a, b) = (self.csrf.as_bytes(), submitted.as_bytes());
        // Constant time over the expected length.
        a.len() == b.len() && a.iter().zip(b).fold(0u8, |acc, (x, y)| acc | (x ^ y)) == 0
    }

    pub fn actor(&self) -> Actor {
        Actor {
            user_id: Some(self.user.id),
            label: self.user.email.clone(),
        }
    }

    pub fn caller(&self) -> Caller {
        self.user.caller()
    }

    /// The page for a refused scoped check (`echo::facilitators`): the
    /// plain not-found page for what is hidden from this user, the 403
    /// page for what their role may not do.
    pub fn refused(&self, e: ApiError, state: &AppState) -> HttpResponse {
        match e {
            ApiError::NotFound(_) => state.pages.not_found(),
            ApiError::Forbidden(message) => state.pages.message(
                actix_web::http::StatusCode::FORBIDDEN,
                "Not allowed",
                &message,
            ),
            other => crate::auth::forms::refused(state, other, "/organizer"),
        }
    }
}

fn to_sign_in(req_path: &str) -> actix_web::Error {
    let location = format!(
        "/organizer/login?next={}",
        url::form_urlencoded::byte_serialize(req_path.as_bytes()).collect::<String>()
    );
    let response = HttpResponse::SeeOther()
        .insert_header((header::LOCATION, location))
        .insert_header((header::CACHE_CONTROL, "no-store"))
        .finish();
    actix_web::error::InternalError::from_response("sign in first", response).into()
}

impl FromRequest for PageUser {
    type Error = actix_web::Error;
    type Future = LocalBoxFuture<'static, Result<Self, actix_web::Error>>;

    fn from_request(req: &HttpRequest, _: &mut Payload) -> Self::Future {
        let state = req.app_data::<web::Data<AppState>>().cloned();
        let cookie = req.cookie(SESSION_COOKIE).map(|c| c.value().to_string());
        let path = req.path().to_string();
        Box::pin(async move {
            let state = state.ok_or_else(|| to_sign_in(&path))?;
            let Some(token) = cookie else {
                return Err(to_sign_in(&path));
            };
            let Ok(claims) = state.keys.verify(&token, PAGES_AUDIENCE, state.clock.now()) else {
                return Err(to_sign_in(&path));
            };
            let user = match current_user(&state, &claims).await {
                Ok(Some(user)) => user,
                Ok(None) => return Err(to_sign_in(&path)),
                Err(e) => {
                    let page = state.pages.internal_error(&e.into());
                    return Err(actix_web::error::InternalError::from_response("db", page).into());
                }
            };
            let csrf = claims.csrf.clone().unwrap_or_default();
            Ok(PageUser { user, csrf })
        })
    }
}
