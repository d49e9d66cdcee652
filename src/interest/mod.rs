//! The public interest form (`/interest`): join the mailing list (double
//! opt-in), propose to present at a Jam (an organizer queue, accepted into a
//! session's lineup or declined with a message), or join a working group on
//! one lever of change; organizers see each working group, mark people
//! contacted and write to a group (`groups`, `group_pages`).

pub mod domain;
pub mod group_pages;
pub mod groups;
pub mod handlers;
pub mod pages;
pub mod personal;
pub mod store;

use chrono::NaiveDateTime;
use diesel::prelude::*;

use crate::db::schema::{people, proposals};
use crate::db::DbConnection;
use crate::lists::ListPolicy;
use crate::people::contact::Registrant;

/// What someone offers to present when they say so elsewhere than on the
/// interest form (the evaluation after a session).
#[derive(Debug, Clone)]
pub struct Volunteer {
    pub person: Registrant,
    pub topic: String,
    pub abstract_text: String,
    /// Lever codes.
    pub levers: Vec<&'static str>,
}

/// Puts `v` in the organizers' proposals queue through the interest form's
/// own write (the person's blank details filled, nothing overwritten, the
/// receipt under the per-recipient cap), unless the address already has a
/// pending proposal, which stays as it is. Whether a proposal was added.
pub fn volunteer(
    conn: &mut DbConnection,
    v: &Volunteer,
    policy: &ListPolicy,
    now: NaiveDateTime,
) -> QueryResult<bool> {
    let pending: i64 = proposals::table
        .inner_join(people::table)
        .filter(people::email.eq(v.person.email.as_str()))
        .filter(proposals::status.eq(store::PENDING))
        .count()
        .get_result(conn)?;
    if pending > 0 {
        return Ok(false);
    }
    let interest = domain::Interest {
        person: v.person.clone(),
        join_list: false,
        proposal: Some(domain::Proposal {
            topic: v.topic.clone(),
            abstract_text: v.abstract_text.clone(),
            levers: v.levers.clone(),
            months: Vec::new(),
        }),
        working_group: None,
    };
    store::submit(conn, &interest, None, policy, now)?;
    Ok(true)
}

/// The public form, the organizer's proposals and working groups (API and
/// pages), and the working groups' leave link.
pub fn routes(r: &mut crate::web::routes::Routes) {
    r.get("/interest", handlers::page)
        .post("/interest", handlers::submit)
        .get("/interest/sent", handlers::sent)
        .get("/api/v1/organizer/proposals", handlers::queue)
        .post(
            "/api/v1/organizer/proposals/{id}/decline",
            handlers::decline,
        )
        .post("/api/v1/organizer/proposals/{id}/accept", handlers::accept)
        .get("/organizer/proposals", pages::page)
        .post("/organizer/proposals/{id}/{action}", pages::decide)
        .get("/api/v1/working-groups", group_pages::api_list)
        .get("/api/v1/working-groups/{lever}", group_pages::api_group)
        .get(
            "/api/v1/working-groups/{lever}/members.csv",
            group_pages::api_csv,
        )
        .post(
            "/api/v1/working-groups/members/{id}/contacted",
            group_pages::api_contacted,
        )
        .post(
            "/api/v1/working-groups/{lever}/message",
            group_pages::api_message,
        )
        .get("/organizer/working-groups", group_pages::page)
        .get("/organizer/working-groups/{lever}", group_pages::group_page)
        .get(
            "/organizer/working-groups/{lever}/members.csv",
            group_pages::group_csv,
        )
        .post(
            "/organizer/working-groups/members/{id}/contacted",
            group_pages::page_contacted,
        )
        .post(
            "/organizer/working-groups/{lever}/message",
            group_pages::page_message,
        )
        .get("/wg/{token}", group_pages::leave_page)
        .post("/wg/{token}", group_pages::leave);
}
