//! What every handler shares: the application state, pages, routes, the
//! boundary's input hygiene and post limits, and private-link tokens.

pub mod csv;
pub mod fields;
pub mod hygiene;
pub mod limits;
pub mod links;
pub mod page_cache;
pub mod pages;
pub mod period;
pub mod routes;
pub mod token;

use std::sync::Arc;

use crate::auth::tokens::Keys;
use crate::clock::Clock;
use crate::config::Settings;
use crate::db::Pool;
use crate::telemetry::Metrics;
pub use page_cache::PageCache;
pub use pages::Pages;

/// What every handler can reach.
pub struct AppState {
    pub pool: Pool,
    pub settings: Arc<Settings>,
    pub pages: Pages,
    /// The public pages rendered for anonymous visitors, kept a moment.
    pub page_cache: PageCache,
    pub metrics: Arc<Metrics>,
    pub clock: Clock,
    /// Signs and checks API tokens and organizer sign-ins.
    pub keys: Keys,
    /// Sign-in attempts per client IP.
    pub login_limiter: Arc<governor::DefaultKeyedRateLimiter<std::net::IpAddr>>,
    /// Where uploaded materials are kept.
    pub storage: crate::storage::Storage,
}
