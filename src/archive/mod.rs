//! The archive (issue #7): each session's materials — slides, recordings,
//! transcripts, chat logs, other documents — uploaded (streamed to storage,
//! checked by content) or linked, published to the Past Jams page or, for
//! an ECHO cohort's sessions, to its participants only; and the follow-up
//! e-mail each registrant gets after a session.

pub mod domain;
pub mod follow_up;
pub mod handlers;
pub mod pages;
pub mod past;
pub mod personal;
pub mod store;

pub use handlers::serve as serve_material;
pub use past::material_json;
pub use store::{find as find_material, for_sessions as materials_for_sessions, Material};

use diesel::QueryResult;

use crate::db::DbConnection;

/// A session's published materials as the public pages link them.
pub fn published_for_session(
    conn: &mut DbConnection,
    session_id: i64,
) -> QueryResult<Vec<serde_json::Value>> {
    Ok(store::for_session(conn, session_id, true)?
        .iter()
        .map(past::material_json)
        .collect())
}

/// The archive's API, downloads and organizer forms.
pub fn routes(cfg: &mut crate::web::routes::Routes) {
    handlers::routes(cfg);
    pages::routes(cfg);
    past::routes(cfg);
}
