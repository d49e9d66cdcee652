//! Subscriptions: asking (double opt-in), confirming, unsubscribing. Each
//! is one transaction; asking queues the confirmation e-mail in it, and
//! unsubscribing drops the list mail still queued for that subscription.

use std::collections::BTreeMap;

use chrono::{Duration, NaiveDateTime};
use diesel::prelude::*;
use diesel::sql_types::{BigInt, Text, Timestamp};
use serde_json::json;

use crate::config::{ListSettings, PublicUrl};
use crate::db::schema::{outbox, people, subscriptions};
use crate::db::DbConnection;
use crate::lists::domain::Subscriber;
use crate::mail::outbox as mail_outbox;
use crate::mail::NewMessage;
use crate::people::Person;
use crate::web::links::{self, LinkKey};

pub const PENDING: &str = "pending";
pub const CONFIRMED: &str = "confirmed";
pub const UNSUBSCRIBED: &str = "unsubscribed";

#[derive(Debug, Clone, Queryable, Selectable, Identifiable)]
#[diesel(table_name = subscriptions)]
pub struct Subscription {
    pub id: i64,
    pub person_id: i64,
    pub list_slug: String,
    pub status: String,
    /// SHA-256 of the unsubscribe (and invitation) link's token.
    pub token_hash: String,
    /// SHA-256 of the pending confirmation link's token.
    pub confirm_token_hash: Option<String>,
    pub confirm_sent_at: Option<NaiveDateTime>,
    pub confirmed_at: Option<NaiveDateTime>,
    pub unsubscribed_at: Option<NaiveDateTime>,
    pub created_at: NaiveDateTime,
    pub updated_at: NaiveDateTime,
    pub token_sealed: Option<String>,
    pub confirm_token_sealed: Option<String>,
    /// Imported: where the subscriber's consent comes from, as the
    /// organizer put it, and when it was recorded here.
    pub consent_source: Option<String>,
    pub consent_at: Option<NaiveDateTime>,
}

/// What the writes need from configuration.
#[derive(Debug, Clone)]
pub struct ListPolicy {
    pub public_url: PublicUrl,
    pub lists: BTreeMap<String, ListSettings>,
    /// A confirmation link works this long.
    pub confirm_valid: Duration,
    /// Asking again sooner than this sends no second e-mail.
    pub resend_after: Duration,
    /// Anyone may ask for anyone's address: the asks' mail is capped.
    pub mail_cap: mail_outbox::RecipientCap,
    pub links: LinkKey,
}

impl ListPolicy {
    pub fn from_settings(s: &crate::config::Settings) -> Self {
        Self {
            public_url: s.http.public_url.clone(),
            lists: s.lists.clone(),
            confirm_valid: Duration::hours(i64::from(s.mail.confirm_link_valid_hours)),
            resend_after: Duration::seconds(i64::from(s.mail.resend_confirmation_after_seconds)),
            mail_cap: mail_outbox::RecipientCap::from_settings(s),
            links: s.link_key().clone(),
        }
    }

    pub fn list_name(&self, slug: &str) -> String {
        self.lists
            .get(slug)
            .map(|l| l.name.clone())
            .unwrap_or_else(|| slug.to_string())
    }
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Asked {
    /// A confirmation e-mail is queued.
    ConfirmationSent,
    /// One went out moments ago; not sent again.
    ConfirmationRecentlySent,
    /// Every list asked for is already confirmed: nothing to do.
    AlreadySubscribed,
}

/// A person's details as an anonymous form gives them (empty when not given).
#[derive(Debug, Clone, Copy)]
pub struct Contact<'a> {
    pub email: &'a str,
    pub first_name: &'a str,
    pub last_name: &'a str,
    pub organization: &'a str,
    pub job_title: &'a str,
    pub sector: &'a str,
    pub state: &'a str,
}

/// Inserts the person or fills in only what their record lacks: a form
/// anyone can post with someone else's address may add to a person, never
/// overwrite what they gave. Returns the person as recorded; the row stays
/// locked for the transaction.
pub fn upsert_contact(
    conn: &mut DbConnection,
    c: &Contact,
    now: NaiveDateTime,
) -> QueryResult<Person> {
    use diesel::dsl::case_when;
    // Two statements rather than one `ON CONFLICT DO UPDATE`: diesel
    // prepares any statement that updates afresh on every call, while this
    // insert is prepared once per connection, and a new address is the
    // common case (issue 18: preparing the upsert was a sixth of SQLite's
    // writer thread in a registration burst).

    // Each detail fills only what is blank: a post may be someone else's.
    macro_rules! fill {
        ($col:expr, $new:expr) => {
            $col.eq(case_when($col.eq(""), $new.into_sql::<Text>()).otherwise($col))
        };
    }
    loop {
        let added = crate::on_backend!(conn, db => diesel::insert_into(people::table)
            .values((
                people::email.eq(c.email),
                people::first_name.eq(c.first_name),
                people::last_name.eq(c.last_name),
                people::organization.eq(c.organization),
                people::job_title.eq(c.job_title),
                people::sector.eq(c.sector),
                people::state.eq(c.state),
                people::created_at.eq(now),
                people::updated_at.eq(now),
            ))
            .on_conflict(people::email)
            .do_nothing()
            .returning(Person::as_returning())
            .get_result(db)
            .optional())?;
        if let Some(person) = added {
            return Ok(person);
        }
        let filled = crate::on_backend!(conn, db => diesel::update(people::table)
            .filter(people::email.eq(c.email))
            .set((
                fill!(people::first_name, c.first_name),
                fill!(people::last_name, c.last_name),
                fill!(people::organization, c.organization),
                fill!(people::job_title, c.job_title),
                fill!(people::sector, c.sector),
                fill!(people::state, c.state),
                people::updated_at.eq(now),
            ))
            .returning(Person::as_returning())
            .get_result(db)
            .optional())?;
        // None: erased between the two statements; it is new again.
        if let Some(person) = filled {
            return Ok(person);
        }
    }
}

/// [`upsert_contact`] for a subscriber (who gives no job title).
pub fn upsert_subscriber(
    conn: &mut DbConnection,
    s: &Subscriber,
    now: NaiveDateTime,
) -> QueryResult<i64> {
    upsert_contact(
        conn,
        &Contact {
            email: s.email.as_str(),
            first_name: &s.first_name,
            last_name: &s.last_name,
            organization: &s.organization,
            job_title: "",
            sector: s.sector,
            state: s.state,
        },
        now,
    )
    .map(|person| person.id)
}

/// Asks `person_id` to confirm the `lists` not yet confirmed: marks them
/// pending with one confirmation token and queues one e-mail listing
/// them. Call inside a transaction that has locked the person's row.
pub fn ask_to_confirm(
    conn: &mut DbConnection,
    person_id: i64,
    lists: &[String],
    policy: &ListPolicy,
    now: NaiveDateTime,
) -> QueryResult<Asked> {
    let existing: Vec<Subscription> = subscriptions::table
        .filter(subscriptions::person_id.eq(person_id))
        .select(Subscription::as_select())
        .load(conn)?;
    let wanted: Vec<&String> = lists
        .iter()
        .filter(|slug| {
            !existing
                .iter()
                .any(|s| &s.list_slug == *slug && s.status == CONFIRMED)
        })
        .collect();
    if wanted.is_empty() {
        return Ok(Asked::AlreadySubscribed);
    }
    // Keep a still-valid token, so an earlier e-mail's link keeps working.
    let live = |s: &&Subscription| {
        s.status == PENDING
            && s.confirm_token_sealed.is_some()
            && s.confirm_sent_at
                .is_some_and(|at| now - at < policy.confirm_valid)
    };
    let (hash, sealed) = existing
        .iter()
        .filter(live)
        .find_map(|s| {
            Some((
                s.confirm_token_hash.clone()?,
                s.confirm_token_sealed.clone()?,
            ))
        })
        .unwrap_or_else(|| {
            let link = policy.links.issue();
            (link.hash, link.sealed)
        });
    let recently_asked = wanted.iter().all(|slug| {
        existing.iter().any(|s| {
            &s.list_slug == *slug
                && live(&s)
                && s.confirm_token_hash.as_deref() == Some(hash.as_str())
                && s.confirm_sent_at
                    .is_some_and(|at| now - at < policy.resend_after)
        })
    });
    if recently_asked {
        return Ok(Asked::ConfirmationRecentlySent);
    }
    for slug in &wanted {
        let sql = conn.sql(
            "INSERT INTO subscriptions (person_id, list_slug, status, token_hash, token_sealed, \
             confirm_token_hash, confirm_token_sealed, confirm_sent_at, created_at, updated_at) \
             VALUES (?, ?, 'pending', ?, ?, ?, ?, ?, ?, ?) \
             ON CONFLICT (person_id, list_slug) DO UPDATE SET status = 'pending', \
             confirm_token_hash = excluded.confirm_token_hash, \
             confirm_token_sealed = excluded.confirm_token_sealed, \
             confirm_sent_at = excluded.confirm_sent_at, updated_at = excluded.updated_at",
        );
        // Its own link (unsubscribe, invitations), kept if it exists.
        let own = policy.links.issue();
        diesel::sql_query(sql)
            .bind::<BigInt, _>(person_id)
            .bind::<Text, _>(slug.as_str())
            .bind::<Text, _>(&own.hash)
            .bind::<Text, _>(&own.sealed)
            .bind::<Text, _>(&hash)
            .bind::<Text, _>(&sealed)
            .bind::<Timestamp, _>(now)
            .bind::<Timestamp, _>(now)
            .bind::<Timestamp, _>(now)
            .execute(conn)?;
    }
    let (email, first_name): (String, String) = people::table
        .find(person_id)
        .select((people::email, people::first_name))
        .first(conn)?;
    let names: Vec<String> = wanted.iter().map(|s| policy.list_name(s)).collect();
    let message = NewMessage {
        key: format!(
            "person:{person_id}:subscription-confirm:{}",
            now.and_utc().timestamp_micros()
        ),
        template: "subscription_confirm",
        recipient: email,
        context: json!({
            "first_name": first_name,
            "lists": names,
            "confirm_url": policy.public_url.join(&format!(
                "/subscribe/confirm/{}",
                links::placeholder(&sealed)
            )),
            "valid_hours": policy.confirm_valid.num_hours(),
            "subscribe_url": policy.public_url.join("/subscribe"),
        }),
        calendar: None,
    };
    mail_outbox::enqueue_public(conn, &message, policy.mail_cap, now)?;
    Ok(Asked::ConfirmationSent)
}

/// The lists (names) a confirmation token would confirm, if it still works.
pub fn pending_for_token(
    conn: &mut DbConnection,
    token: &str,
    policy: &ListPolicy,
    now: NaiveDateTime,
) -> QueryResult<Vec<String>> {
    let slugs: Vec<String> = subscriptions::table
        .filter(subscriptions::confirm_token_hash.eq(links::hash(token)))
        .filter(subscriptions::status.eq(PENDING))
        .filter(subscriptions::confirm_sent_at.gt(now - policy.confirm_valid))
        .order(subscriptions::list_slug)
        .select(subscriptions::list_slug)
        .load(conn)?;
    Ok(slugs.iter().map(|s| policy.list_name(s)).collect())
}

/// Confirms every list waiting on `token` and uses the token up; returns
/// the lists' names (empty: unknown, used or expired).
pub fn confirm(
    conn: &mut DbConnection,
    token: &str,
    policy: &ListPolicy,
    now: NaiveDateTime,
) -> QueryResult<Vec<String>> {
    let names = pending_for_token(conn, token, policy, now)?;
    if names.is_empty() {
        return Ok(names);
    }
    diesel::update(
        subscriptions::table
            .filter(subscriptions::confirm_token_hash.eq(links::hash(token)))
            .filter(subscriptions::status.eq(PENDING)),
    )
    .set((
        subscriptions::status.eq(CONFIRMED),
        subscriptions::confirmed_at.eq(Some(now)),
        subscriptions::confirm_token_hash.eq(None::<String>),
        subscriptions::confirm_token_sealed.eq(None::<String>),
        subscriptions::updated_at.eq(now),
    ))
    .execute(conn)?;
    Ok(names)
}

/// A subscription with the address it belongs to.
pub struct Found {
    pub subscription: Subscription,
    pub email: String,
}

pub fn find_by_token(conn: &mut DbConnection, token: &str) -> QueryResult<Option<Found>> {
    Ok(subscriptions::table
        .inner_join(people::table)
        .filter(subscriptions::token_hash.eq(links::hash(token)))
        .select((Subscription::as_select(), people::email))
        .first(conn)
        .optional()?
        .map(|(subscription, email)| Found {
            subscription,
            email,
        }))
}

/// Unsubscribes at once and drops this list's mail still queued for the
/// address. `None` for an unknown token; repeating it changes nothing.
pub fn unsubscribe(
    conn: &mut DbConnection,
    token: &str,
    now: NaiveDateTime,
) -> QueryResult<Option<Found>> {
    let Some(found) = find_by_token(conn, token)? else {
        return Ok(None);
    };
    let id = found.subscription.id;
    diesel::update(
        subscriptions::table
            .find(id)
            .filter(subscriptions::status.ne(UNSUBSCRIBED)),
    )
    .set((
        subscriptions::status.eq(UNSUBSCRIBED),
        subscriptions::unsubscribed_at.eq(Some(now)),
        subscriptions::confirm_token_hash.eq(None::<String>),
        subscriptions::confirm_token_sealed.eq(None::<String>),
        subscriptions::updated_at.eq(now),
    ))
    .execute(conn)?;
    diesel::update(
        outbox::table
            .filter(outbox::subscription_id.eq(id))
            .filter(outbox::status.eq(mail_outbox::PENDING)),
    )
    .set((
        outbox::status.eq(mail_outbox::SKIPPED),
        outbox::last_error.eq(Some("unsubscribed")),
    ))
    .execute(conn)?;
    Ok(Some(found))
}

/// The person behind a subscription's token, to fill in a form for them
/// (an invitation's register link).
pub fn person_for_token(conn: &mut DbConnection, token: &str) -> QueryResult<Option<Person>> {
    subscriptions::table
        .inner_join(people::table)
        .filter(subscriptions::token_hash.eq(links::hash(token)))
        .select(Person::as_select())
        .first(conn)
        .optional()
}
