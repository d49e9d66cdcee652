//! Personal data held about one e-mail address: everything about it as one
//! JSON document (a subject access request), and erasing it while keeping
//! the counts that do not identify anyone (registrations stay, anonymous).

use chrono::NaiveDateTime;
use diesel::prelude::*;
use serde_json::{json, Value};

use crate::audit::{self, Actor};
use crate::db::schema::{outbox, people, registrations, series, sessions, subscriptions};
use crate::db::{DbConnection, DbError};
use crate::lists::store::{Subscription, UNSUBSCRIBED};
use crate::mail::outbox as mail_outbox;
use crate::registration::domain::sector_label;
use crate::registration::store::{Person, Registration};
use crate::series::model::Session;

fn iso(t: NaiveDateTime) -> String {
    t.and_utc().to_rfc3339()
}

fn find_person(conn: &mut DbConnection, email: &str) -> QueryResult<Option<Person>> {
    people::table
        .filter(people::email.eq(email))
        .select(Person::as_select())
        .first(conn)
        .optional()
}

fn their_subscriptions(conn: &mut DbConnection, person_id: i64) -> QueryResult<Vec<Subscription>> {
    subscriptions::table
        .filter(subscriptions::person_id.eq(person_id))
        .order(subscriptions::id)
        .select(Subscription::as_select())
        .load(conn)
}

/// The outbox rows about this person: to their address, for their
/// subscriptions, or keyed by their person id.
fn their_messages<'a>(
    email: &'a str,
    person_id: i64,
    subscription_ids: &'a [i64],
) -> outbox::BoxedQuery<'a, <DbConnection as Connection>::Backend> {
    outbox::table
        .filter(
            outbox::recipient
                .eq(email)
                .or(outbox::subscription_id.eq_any(subscription_ids))
                .or(outbox::idempotency_key.like(format!("person:{person_id}:%"))),
        )
        .into_boxed()
}

/// Everything held about `email` (already normalized), or `None` when
/// nothing is. Messages are listed by template and dates, not bodies.
pub fn export(conn: &mut DbConnection, email: &str) -> QueryResult<Option<Value>> {
    let Some(person) = find_person(conn, email)? else {
        return Ok(None);
    };
    let regs: Vec<(Registration, Session, String)> = registrations::table
        .inner_join(sessions::table.inner_join(series::table))
        .filter(registrations::person_id.eq(person.id))
        .order(registrations::id)
        .select((
            Registration::as_select(),
            Session::as_select(),
            series::title,
        ))
        .load(conn)?;
    let subs = their_subscriptions(conn, person.id)?;
    let sub_ids: Vec<i64> = subs.iter().map(|s| s.id).collect();
    let messages: Vec<(String, String, NaiveDateTime, Option<NaiveDateTime>)> =
        their_messages(&person.email, person.id, &sub_ids)
            .order(outbox::id)
            .select((
                outbox::template,
                outbox::status,
                outbox::created_at,
                outbox::sent_at,
            ))
            .load(conn)?;
    Ok(Some(json!({
        "person": {
            "id": person.id,
            "email": person.email,
            "first_name": person.first_name,
            "last_name": person.last_name,
            "organization": person.organization,
            "job_title": person.job_title,
            "sector": person.sector,
            "sector_label": sector_label(&person.sector),
            "state": person.state,
            "created_at": iso(person.created_at),
            "updated_at": iso(person.updated_at),
        },
        "registrations": regs.iter().map(|(r, s, series_title)| json!({
            "id": r.id,
            "session_id": s.id,
            "session_title": s.title,
            "series_title": series_title,
            "starts_at": s.starts_at_utc().to_rfc3339(),
            "when": s.when(),
            "status": r.status,
            "subscribe": r.subscribe,
            "created_at": iso(r.created_at),
            "registered_at": r.registered_at.map(iso),
            "waitlisted_at": r.waitlisted_at.map(iso),
            "cancelled_at": r.cancelled_at.map(iso),
        })).collect::<Vec<_>>(),
        "subscriptions": subs.iter().map(|s| json!({
            "list": s.list_slug,
            "status": s.status,
            "created_at": iso(s.created_at),
            "confirmed_at": s.confirmed_at.map(iso),
            "unsubscribed_at": s.unsubscribed_at.map(iso),
        })).collect::<Vec<_>>(),
        "messages": messages.iter().map(|(template, status, created, sent)| json!({
            "template": template,
            "status": status,
            "created_at": iso(*created),
            "sent_at": sent.map(iso),
        })).collect::<Vec<_>>(),
    })))
}

/// What erasing touched, by number only.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Erased {
    pub person_id: i64,
    pub registrations: usize,
    pub subscriptions: usize,
    pub messages: usize,
}

/// Erases the person with `email` (already normalized): their details are
/// replaced, their registrations kept (so counts stay right) behind new
/// tokens, their subscriptions ended behind new tokens, their queued mail
/// skipped and every message's address and content scrubbed. Audited by
/// ids and counts only. `None` when nobody has that address. Call inside
/// `db::write`.
pub fn erase(
    conn: &mut DbConnection,
    actor: &Actor,
    email: &str,
    now: NaiveDateTime,
) -> Result<Option<Erased>, DbError> {
    conn.transaction(|conn| {
        let Some(person) = find_person(conn, email)? else {
            return Ok(None);
        };
        let id = person.id;
        let placeholder = format!("erased-{id}{}", mail_outbox::ERASED_DOMAIN);
        let subs = their_subscriptions(conn, id)?;
        let sub_ids: Vec<i64> = subs.iter().map(|s| s.id).collect();

        // Messages first: they are found by the address about to go.
        let message_ids: Vec<i64> = their_messages(email, id, &sub_ids)
            .select(outbox::id)
            .load(conn)?;
        diesel::update(
            outbox::table
                .filter(outbox::id.eq_any(&message_ids))
                .filter(outbox::status.eq(mail_outbox::PENDING)),
        )
        .set(outbox::status.eq(mail_outbox::SKIPPED))
        .execute(conn)?;
        diesel::update(outbox::table.filter(outbox::id.eq_any(&message_ids)))
            .set((
                outbox::recipient.eq(&placeholder),
                outbox::context.eq("{}"),
                outbox::calendar.eq(None::<String>),
                // A delivery error can quote the address.
                outbox::last_error.eq(Some("erased")),
            ))
            .execute(conn)?;

        diesel::update(people::table.find(id))
            .set((
                people::email.eq(&placeholder),
                people::first_name.eq("Erased"),
                people::last_name.eq("Erased"),
                people::organization.eq(""),
                people::job_title.eq(""),
                people::updated_at.eq(now),
            ))
            .execute(conn)?;

        // Old manage and unsubscribe links must lead nowhere.
        let reg_ids: Vec<i64> = registrations::table
            .filter(registrations::person_id.eq(id))
            .select(registrations::id)
            .load(conn)?;
        for reg in &reg_ids {
            diesel::update(registrations::table.find(reg))
                .set((
                    registrations::token_hash.eq(crate::links::dead_hash()),
                    registrations::token_sealed.eq(None::<String>),
                    registrations::updated_at.eq(now),
                ))
                .execute(conn)?;
        }
        for sub in &subs {
            diesel::update(subscriptions::table.find(sub.id))
                .set((
                    subscriptions::status.eq(UNSUBSCRIBED),
                    subscriptions::unsubscribed_at.eq(sub.unsubscribed_at.or(Some(now))),
                    subscriptions::token_hash.eq(crate::links::dead_hash()),
                    subscriptions::token_sealed.eq(None::<String>),
                    subscriptions::confirm_token_hash.eq(None::<String>),
                    subscriptions::confirm_token_sealed.eq(None::<String>),
                    subscriptions::updated_at.eq(now),
                ))
                .execute(conn)?;
        }

        let erased = Erased {
            person_id: id,
            registrations: reg_ids.len(),
            subscriptions: subs.len(),
            messages: message_ids.len(),
        };
        audit::record(
            conn,
            actor,
            "person.erase",
            &format!("person:{id}"),
            None,
            Some(json!({
                "registrations": erased.registrations,
                "subscriptions": erased.subscriptions,
                "messages": erased.messages,
            })),
            now,
        )?;
        Ok(Some(erased))
    })
}
