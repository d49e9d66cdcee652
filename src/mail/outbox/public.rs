//! Mail that anonymous form posts cause: capped per recipient and hour, so
//! no public form can flood an inbox; past the cap a message is recorded
//! as skipped, with the reason, in the same statement that counts.

use chrono::{Duration, NaiveDateTime};
use diesel::prelude::*;
use diesel::query_builder::{AstPass, Query, QueryFragment, QueryId};
use diesel::serialize::ToSql;
use diesel::sql_types::{BigInt, HasSqlType, Nullable, Text, Timestamp};

use super::{insert, stored, NewMessage, PENDING};
use crate::db::DbConnection;

/// How many e-mails anonymous form posts may cause to one address within an
/// hour (`limits.public_mail_per_recipient_per_hour`; 0 = no cap). Anyone
/// may type anyone's address into a public form: this keeps the forms from
/// being a way to flood an inbox.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct RecipientCap(pub u32);

impl RecipientCap {
    pub fn from_settings(s: &crate::config::Settings) -> Self {
        Self(s.limits.public_mail_per_recipient_per_hour)
    }
}

/// Why a capped message was not sent, as the outbox page shows it.
pub const CAPPED: &str =
    "not sent: the hourly cap on e-mails that public forms may cause to one address was reached";

/// [`enqueue`] for mail an anonymous form post causes: past the cap for its
/// recipient the message is recorded as skipped, with the reason, so
/// organizers see it and nothing is silently lost. Returns whether it will
/// be sent.
pub fn enqueue_public(
    conn: &mut DbConnection,
    msg: &NewMessage,
    cap: RecipientCap,
    now: NaiveDateTime,
) -> QueryResult<bool> {
    if cap.0 == 0 {
        return insert(conn, msg, Some(PUBLIC), now);
    }
    let Some((context, calendar)) = stored(msg) else {
        return Ok(false);
    };
    let capped = CappedInsert {
        key: &msg.key,
        template: msg.template,
        recipient: &msg.recipient,
        context: &context,
        calendar: calendar.as_deref(),
        cap: i64::from(cap.0),
        now,
        since: now - Duration::hours(1),
    };
    let status = crate::on_backend!(conn, c => capped.get_result::<String>(c).optional())?;
    Ok(status.as_deref() == Some(PENDING))
}

/// `enqueue_public`'s insert, the recipient's count in the last hour taken
/// in the same statement: one round trip, prepared once per connection
/// (its SQL never changes). `'public'` is written into the SQL, not bound,
/// so SQLite's plan (made once, whatever is bound: `.cargo/config.toml`)
/// counts through the partial index `outbox_public_recipient`. `WHERE true`
/// lets SQLite read `ON CONFLICT` after a `SELECT`. Returns the status
/// written, or no row when the key was already queued.
struct CappedInsert<'a> {
    key: &'a str,
    template: &'a str,
    recipient: &'a str,
    context: &'a str,
    calendar: Option<&'a str>,
    cap: i64,
    now: NaiveDateTime,
    since: NaiveDateTime,
}

impl<DB> QueryFragment<DB> for CappedInsert<'_>
where
    DB: diesel::backend::Backend
        + HasSqlType<Text>
        + HasSqlType<Nullable<Text>>
        + HasSqlType<BigInt>
        + HasSqlType<Timestamp>,
    str: ToSql<Text, DB>,
    for<'b> Option<&'b str>: ToSql<Nullable<Text>, DB>,
    i64: ToSql<BigInt, DB>,
    NaiveDateTime: ToSql<Timestamp, DB>,
{
    fn walk_ast<'b>(&'b self, mut out: AstPass<'_, 'b, DB>) -> QueryResult<()> {
        out.push_sql(
            "INSERT INTO outbox (idempotency_key, template, recipient, context, calendar, \
             status, attempts, next_attempt_at, created_at, origin, last_error) SELECT ",
        );
        out.push_bind_param::<Text, _>(self.key)?;
        out.push_sql(", ");
        out.push_bind_param::<Text, _>(self.template)?;
        out.push_sql(", ");
        out.push_bind_param::<Text, _>(self.recipient)?;
        out.push_sql(", ");
        out.push_bind_param::<Text, _>(self.context)?;
        out.push_sql(", ");
        out.push_bind_param::<Nullable<Text>, _>(&self.calendar)?;
        out.push_sql(", CASE WHEN recent.n >= ");
        out.push_bind_param::<BigInt, _>(&self.cap)?;
        out.push_sql(" THEN 'skipped' ELSE 'pending' END, 0, ");
        out.push_bind_param::<Timestamp, _>(&self.now)?;
        out.push_sql(", ");
        out.push_bind_param::<Timestamp, _>(&self.now)?;
        out.push_sql(", 'public', CASE WHEN recent.n >= ");
        out.push_bind_param::<BigInt, _>(&self.cap)?;
        out.push_sql(" THEN ");
        out.push_bind_param::<Text, _>(CAPPED)?;
        out.push_sql(" END FROM (SELECT COUNT(*) AS n FROM outbox WHERE recipient = ");
        out.push_bind_param::<Text, _>(self.recipient)?;
        out.push_sql(" AND origin = 'public' AND status <> 'skipped' AND created_at > ");
        out.push_bind_param::<Timestamp, _>(&self.since)?;
        out.push_sql(
            ") AS recent WHERE true ON CONFLICT (idempotency_key) DO NOTHING RETURNING status",
        );
        Ok(())
    }
}

/// One statement, whatever the values: prepared once and kept.
impl QueryId for CappedInsert<'_> {
    type QueryId = CappedInsert<'static>;
    const HAS_STATIC_QUERY_ID: bool = true;
}

impl Query for CappedInsert<'_> {
    type SqlType = Text;
}

impl<C> RunQueryDsl<C> for CappedInsert<'_> {}

/// `outbox.origin` of mail caused by an anonymous form.
const PUBLIC: &str = "public";

#[cfg(test)]
mod tests {
    use super::*;
    use crate::db::schema::outbox;
    use crate::mail::outbox::tests::t0;
    use crate::mail::outbox::SKIPPED;

    #[test]
    fn a_capped_insert_counts_through_the_partial_index_and_skips_past_the_cap() {
        use crate::db::plans::{migrated, plan};
        let mut conn = migrated();
        let msg = |key: &str, to: &str| NewMessage {
            key: key.into(),
            template: "t",
            recipient: to.into(),
            context: serde_json::json!({}),
            calendar: None,
        };
        let capped = CappedInsert {
            key: "k",
            template: "t",
            recipient: "x@example.org",
            context: "{}",
            calendar: None,
            cap: 2,
            now: t0(),
            since: t0() - Duration::hours(1),
        };
        let (sql, steps) = plan(&mut conn, &capped, "'x'");
        assert!(
            steps.iter().any(|s| s.contains("outbox_public_recipient")),
            "{sql}: {steps:?}"
        );
        let mut conn = DbConnection::Sqlite(conn);
        let cap = RecipientCap(2);
        let sent: Vec<bool> = ["a", "b", "c", "a"]
            .iter()
            .map(|k| enqueue_public(&mut conn, &msg(k, "x@example.org"), cap, t0()).unwrap())
            .collect();
        assert_eq!(
            sent,
            [true, true, false, false],
            "the third is capped, a repeat key adds nothing"
        );
        assert!(enqueue_public(&mut conn, &msg("d", "y@example.org"), cap, t0()).unwrap());
        assert!(
            enqueue_public(
                &mut conn,
                &msg("e", "x@example.org"),
                cap,
                t0() + Duration::minutes(61)
            )
            .unwrap(),
            "an hour later the address may be written to again"
        );
        let rows: Vec<(String, String, Option<String>)> = outbox::table
            .order(outbox::id)
            .select((outbox::idempotency_key, outbox::status, outbox::last_error))
            .load(&mut conn)
            .unwrap();
        assert_eq!(rows.len(), 5);
        assert_eq!(rows[2], ("c".into(), SKIPPED.into(), Some(CAPPED.into())));
        assert!(rows
            .iter()
            .filter(|r| r.0 != "c")
            .all(|r| r.1 == PENDING && r.2.is_none()));
    }
}
