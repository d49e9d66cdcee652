//! Public pages that are the same for every anonymous visitor (`/`,
//! `/sessions/{id}`), kept rendered for a moment (`http.page_cache_ms`)
//! with a strong `ETag`, so a busy listing is rendered once, not per visit.
//!
//! A kept page is served only while nothing changed that it could show:
//! no write transaction of this process has ended since its data was read
//! (`db::Pool::changes`), and it is younger than the time-to-live by both
//! the wall clock and the service's clock (which moves pages past a
//! session's start or end). Another instance's writes show within the
//! time-to-live. A request carrying the organizer sign-in cookie is
//! neither served a kept page nor keeps one, and a page whose handler marked
//! it (a `Cache-Control` of its own, as a private page's `no-store`) or that
//! is not a 200 is never kept.

use std::collections::HashMap;
use std::future::Future;
use std::hash::{DefaultHasher, Hash, Hasher};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use actix_web::body::MessageBody;
use actix_web::http::header::{self, EntityTag, HeaderValue, IfNoneMatch};
use actix_web::http::StatusCode;
use actix_web::{HttpMessage, HttpRequest, HttpResponse};
use bytes::Bytes;
use chrono::NaiveDateTime;

use crate::auth::extract::SESSION_COOKIE;
use crate::web::AppState;

/// Pages kept at most; past it, those no longer fresh are dropped first.
const MOST: usize = 1024;

/// Anonymous visitors' pages: the same bytes for everyone, so browsers and
/// shared caches may keep them, but ask again (with the `ETag`) each time.
const REVALIDATE: HeaderValue = HeaderValue::from_static("no-cache");

pub struct PageCache {
    ttl: Duration,
    pages: Mutex<HashMap<String, Kept>>,
    /// One render at a time per page: visitors arriving while it renders
    /// take its result instead of rendering it again.
    turns: Mutex<HashMap<String, Arc<tokio::sync::Mutex<()>>>>,
}

#[derive(Clone)]
struct Kept {
    body: Bytes,
    etag: EntityTag,
    etag_header: HeaderValue,
    /// `Pool::changes` before its data was read.
    changes: u64,
    at: Instant,
    clock_at: NaiveDateTime,
}

impl PageCache {
    /// Pages kept for `ttl` at most; zero keeps none.
    pub fn new(ttl: Duration) -> Self {
        Self {
            ttl,
            pages: Mutex::default(),
            turns: Mutex::default(),
        }
    }

    /// The page `render` makes for `req`'s path, or the same page rendered
    /// since everything this process wrote before `req` arrived; answered
    /// with its `ETag`, or a 304 when the visitor already has it.
    pub async fn serve<F>(&self, state: &AppState, req: &HttpRequest, render: F) -> HttpResponse
    where
        F: Future<Output = HttpResponse>,
    {
        if self.ttl.is_zero() || signed_in(req) {
            return render.await;
        }
        let key = req.path();
        let seen = state.pool.changes();
        let now = state.clock.naive();
        if let Some(page) = self.kept(key, seen, now) {
            return page.answer(req);
        }
        let turn = self.turn(key);
        let _turn = turn.lock().await;
        if let Some(page) = self.kept(key, seen, now) {
            return page.answer(req);
        }
        let changes = state.pool.changes();
        let (at, clock_at) = (Instant::now(), state.clock.naive());
        let page = render.await;
        if page.status() != StatusCode::OK || page.headers().contains_key(header::CACHE_CONTROL) {
            return page;
        }
        let (page, body) = page.into_parts();
        let body = match body.try_into_bytes() {
            Ok(body) => body,
            Err(body) => return page.set_body(body),
        };
        let etag = strong_etag(&body);
        let kept = Kept {
            etag_header: HeaderValue::from_str(&etag.to_string())
                .expect("a hex tag is a header value"),
            etag,
            body,
            changes,
            at,
            clock_at,
        };
        self.keep(key, kept.clone());
        kept.answer(req)
    }

    fn kept(&self, key: &str, seen: u64, now: NaiveDateTime) -> Option<Kept> {
        let pages = self.pages.lock().unwrap_or_else(|e| e.into_inner());
        pages
            .get(key)
            .filter(|k| k.changes >= seen && self.fresh(k, now))
            .cloned()
    }

    fn fresh(&self, kept: &Kept, now: NaiveDateTime) -> bool {
        let on_clock = now
            .signed_duration_since(kept.clock_at)
            .to_std()
            .is_ok_and(|age| age < self.ttl);
        on_clock && kept.at.elapsed() < self.ttl
    }

    fn keep(&self, key: &str, kept: Kept) {
        let mut pages = self.pages.lock().unwrap_or_else(|e| e.into_inner());
        if pages.len() >= MOST && !pages.contains_key(key) {
            let now = kept.clock_at;
            pages.retain(|_, k| self.fresh(k, now));
            if pages.len() >= MOST {
                pages.clear();
            }
        }
        pages.insert(key.to_string(), kept);
    }

    fn turn(&self, key: &str) -> Arc<tokio::sync::Mutex<()>> {
        let mut turns = self.turns.lock().unwrap_or_else(|e| e.into_inner());
        if turns.len() >= MOST && !turns.contains_key(key) {
            // Only those nobody waits on.
            turns.retain(|_, t| Arc::strong_count(t) > 1);
        }
        turns.entry(key.to_string()).or_default().clone()
    }
}

impl Kept {
    fn answer(self, req: &HttpRequest) -> HttpResponse {
        let unchanged = unchanged(req, &self.etag);
        let mut answer = if unchanged {
            HttpResponse::NotModified()
        } else {
            HttpResponse::Ok()
        };
        answer
            .insert_header((header::ETAG, self.etag_header))
            .insert_header((header::CACHE_CONTROL, REVALIDATE));
        if unchanged {
            answer.finish()
        } else {
            answer
                .content_type("text/html; charset=utf-8")
                .body(self.body)
        }
    }
}

/// Whether the request carries the organizer sign-in cookie: its pages are
/// its own (whatever they show now, they may one day show who is signed in).
fn signed_in(req: &HttpRequest) -> bool {
    req.headers().contains_key(header::COOKIE) && req.cookie(SESSION_COOKIE).is_some()
}

/// A strong `ETag` over a body: the same bytes, the same tag, on every
/// instance.
pub fn strong_etag(body: &[u8]) -> EntityTag {
    let mut hasher = DefaultHasher::new();
    body.hash(&mut hasher);
    EntityTag::new_strong(format!("{:016x}", hasher.finish()))
}

/// Whether the request's `If-None-Match` names `etag`: it has the body.
pub fn unchanged(req: &HttpRequest, etag: &EntityTag) -> bool {
    match req.get_header::<IfNoneMatch>() {
        Some(IfNoneMatch::Any) => true,
        Some(IfNoneMatch::Items(tags)) => tags.iter().any(|t| t.weak_eq(etag)),
        None => false,
    }
}
