//! Subscriptions as personal data: listed in an export; on erasure ended,
//! behind new tokens, so old unsubscribe and confirmation links are dead.

use chrono::NaiveDateTime;
use diesel::prelude::*;
use serde_json::{json, Value};

use crate::db::schema::subscriptions;
use crate::db::DbConnection;
use crate::lists::store::{Subscription, UNSUBSCRIBED};
use crate::people::{iso, PersonalData, Subject};

pub struct Subscriptions;

fn theirs(conn: &mut DbConnection, who: &Subject) -> QueryResult<Vec<Subscription>> {
    let Some(person) = who.person_id() else {
        return Ok(Vec::new());
    };
    subscriptions::table
        .filter(subscriptions::person_id.eq(person))
        .order(subscriptions::id)
        .select(Subscription::as_select())
        .load(conn)
}

/// Ends subscription `sub` and kills its links.
fn end_and_kill_links(
    conn: &mut DbConnection,
    sub: &Subscription,
    now: NaiveDateTime,
) -> QueryResult<()> {
    diesel::update(subscriptions::table.find(sub.id))
        .set((
            subscriptions::status.eq(UNSUBSCRIBED),
            subscriptions::unsubscribed_at.eq(sub.unsubscribed_at.or(Some(now))),
            subscriptions::token_hash.eq(crate::web::links::dead_hash()),
            subscriptions::token_sealed.eq(None::<String>),
            subscriptions::confirm_token_hash.eq(None::<String>),
            subscriptions::confirm_token_sealed.eq(None::<String>),
            subscriptions::updated_at.eq(now),
        ))
        .execute(conn)?;
    Ok(())
}

impl PersonalData for Subscriptions {
    fn tables(&self) -> &'static [&'static str] {
        &["subscriptions"]
    }

    fn key(&self) -> &'static str {
        "subscriptions"
    }

    fn export(&self, conn: &mut DbConnection, who: &Subject) -> QueryResult<Vec<Value>> {
        Ok(theirs(conn, who)?
            .iter()
            .map(|s| {
                json!({
                    "list": s.list_slug,
                    "status": s.status,
                    "created_at": iso(s.created_at),
                    "confirmed_at": s.confirmed_at.map(iso),
                    "unsubscribed_at": s.unsubscribed_at.map(iso),
                    "consent_source": s.consent_source,
                    "consent_at": s.consent_at.map(iso),
                })
            })
            .collect())
    }

    fn erase(
        &self,
        conn: &mut DbConnection,
        who: &Subject,
        now: NaiveDateTime,
    ) -> QueryResult<usize> {
        let subs = theirs(conn, who)?;
        for sub in &subs {
            end_and_kill_links(conn, sub, now)?;
        }
        Ok(subs.len())
    }
}
