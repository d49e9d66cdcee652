//! The shared tables' parts: the mail sent to or about the person, the
//! audit log's mentions of them, and an organizer account at their address.

use chrono::NaiveDateTime;
use diesel::prelude::*;
use serde_json::{json, Value};

use super::{
    containing, iso, scrub_text, scrub_where, subjects, PersonalData, Subject, ERASED_NAME,
};
use crate::db::schema::{audit_log, outbox, users};
use crate::db::DbConnection;
use crate::mail::outbox as mail_outbox;

/// Outbox rows: to their address, keyed by their person id or by their
/// address; and mentions of them in mail to others.
pub struct Messages;

fn their_messages(who: &Subject) -> outbox::BoxedQuery<'_, <DbConnection as Connection>::Backend> {
    let mut query = outbox::table
        .filter(
            outbox::recipient.eq(&who.email).or(outbox::idempotency_key
                .like(containing(&who.email))
                .escape('\\')),
        )
        .into_boxed();
    if let Some(id) = who.person_id() {
        query = query.or_filter(outbox::idempotency_key.like(format!("person:{id}:%")));
    }
    query
}

impl PersonalData for Messages {
    fn tables(&self) -> &'static [&'static str] {
        &["outbox"]
    }

    fn key(&self) -> &'static str {
        "messages"
    }

    fn export(&self, conn: &mut DbConnection, who: &Subject) -> QueryResult<Vec<Value>> {
        let rows: Vec<(String, String, NaiveDateTime, Option<NaiveDateTime>)> = their_messages(who)
            .order(outbox::id)
            .select((
                outbox::template,
                outbox::status,
                outbox::created_at,
                outbox::sent_at,
            ))
            .load(conn)?;
        Ok(rows
            .into_iter()
            .map(|(template, status, created, sent)| {
                json!({
                    "template": template,
                    "status": status,
                    "created_at": iso(created),
                    "sent_at": sent.map(iso),
                })
            })
            .collect())
    }

    /// Their queued mail is skipped and every message to them scrubbed to
    /// its metadata; mail to others that names them has the name replaced.
    fn erase(
        &self,
        conn: &mut DbConnection,
        who: &Subject,
        _: NaiveDateTime,
    ) -> QueryResult<usize> {
        let ids: Vec<i64> = their_messages(who).select(outbox::id).load(conn)?;
        diesel::update(
            outbox::table
                .filter(outbox::id.eq_any(&ids))
                .filter(outbox::status.eq(mail_outbox::PENDING)),
        )
        .set(outbox::status.eq(mail_outbox::SKIPPED))
        .execute(conn)?;
        diesel::update(outbox::table.filter(outbox::id.eq_any(&ids)))
            .set((
                outbox::recipient.eq(&who.placeholder),
                outbox::context.eq(mail_outbox::NO_CONTENT),
                outbox::calendar.eq(None::<String>),
                // A delivery error can quote the address.
                outbox::last_error.eq(Some("erased")),
                // It carries the (now dead) unsubscribe token.
                outbox::unsubscribe_url.eq(None::<String>),
            ))
            .execute(conn)?;
        // A key such as `echo-link:<address>:<window>` keeps its place in
        // the sequence, without the address.
        scrub_text(conn, "outbox", &["idempotency_key"], who)?;
        scrub_text(conn, "outbox", &["context", "calendar"], who)?;
        Ok(ids.len())
    }
}

/// Audit entries that name the person (a lineup slot's name and address,
/// a material's presenter): the entry stays, the name goes.
pub struct AuditTrail;

impl AuditTrail {
    fn naming(who: &Subject) -> audit_log::BoxedQuery<'_, <DbConnection as Connection>::Backend> {
        let mut query = audit_log::table
            .filter(audit_log::subject.eq_any(&who.records))
            .into_boxed();
        for (needle, _) in who.needles() {
            let like = containing(needle);
            query = query
                .or_filter(audit_log::subject.like(like.clone()).escape('\\'))
                .or_filter(audit_log::before.like(like.clone()).escape('\\'))
                .or_filter(audit_log::after.like(like.clone()).escape('\\'))
                .or_filter(audit_log::actor.like(like).escape('\\'));
        }
        query
    }
}

impl PersonalData for AuditTrail {
    fn tables(&self) -> &'static [&'static str] {
        &["audit_log"]
    }

    fn key(&self) -> &'static str {
        "audit"
    }

    fn export(&self, conn: &mut DbConnection, who: &Subject) -> QueryResult<Vec<Value>> {
        let rows: Vec<(String, String, NaiveDateTime)> = Self::naming(who)
            .order(audit_log::id)
            .select((audit_log::action, audit_log::subject, audit_log::created_at))
            .load(conn)?;
        Ok(rows
            .into_iter()
            .map(|(action, subject, at)| {
                json!({ "action": action, "subject": subject, "created_at": iso(at) })
            })
            .collect())
    }

    fn erase(
        &self,
        conn: &mut DbConnection,
        who: &Subject,
        _: NaiveDateTime,
    ) -> QueryResult<usize> {
        let columns = ["subject", "before", "after", "actor"];
        let about_them = scrub_where(
            conn,
            "audit_log",
            &columns,
            &who.own_needles(),
            Some(("subject", &who.records)),
        )?;
        Ok(about_them + scrub_text(conn, "audit_log", &columns, who)?)
    }
}

/// An organizer account at the address: disabled, its name and address
/// replaced (its audit entries stay, by id).
pub struct Accounts;

impl PersonalData for Accounts {
    fn tables(&self) -> &'static [&'static str] {
        &["users"]
    }

    fn key(&self) -> &'static str {
        "accounts"
    }

    fn records(&self, conn: &mut DbConnection, who: &Subject) -> QueryResult<Vec<String>> {
        let ids: Vec<i64> = users::table
            .filter(users::email.eq(&who.email))
            .select(users::id)
            .load(conn)?;
        Ok(subjects("user", ids))
    }

    fn names(&self, conn: &mut DbConnection, who: &Subject) -> QueryResult<Vec<String>> {
        users::table
            .filter(users::email.eq(&who.email))
            .select(users::name)
            .load(conn)
    }

    fn export(&self, conn: &mut DbConnection, who: &Subject) -> QueryResult<Vec<Value>> {
        let rows: Vec<(i64, String, String, NaiveDateTime, Option<NaiveDateTime>)> = users::table
            .filter(users::email.eq(&who.email))
            .select((
                users::id,
                users::name,
                users::role,
                users::created_at,
                users::disabled_at,
            ))
            .load(conn)?;
        Ok(rows
            .into_iter()
            .map(|(id, name, role, created, disabled)| {
                json!({
                    "id": id,
                    "name": name,
                    "role": role,
                    "created_at": iso(created),
                    "disabled_at": disabled.map(iso),
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
        diesel::update(users::table.filter(users::email.eq(&who.email)))
            .set((
                users::email.eq(&who.placeholder),
                users::name.eq(ERASED_NAME),
                users::disabled_at.eq(Some(now)),
                users::token_version.eq(users::token_version + 1),
                users::updated_at.eq(now),
            ))
            .execute(conn)
    }
}
