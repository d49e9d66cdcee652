//! Lineup reads and writes. Each write is one transaction that also writes
//! its audit entry and queues its e-mails; writes to a session's lineup
//! start by locking the session row, so positions stay 1, 2, 3 ….

use crate::web::links::Issued;
use std::collections::HashMap;

use chrono::NaiveDateTime;
use diesel::prelude::*;
use serde_json::json;

use crate::audit::{self, Actor};
use crate::db::schema::{lineup_slots, session_levers, sessions};
use crate::db::{DbConnection, DbError};
use crate::lineup::domain::{self, Answer, Verdict, CONFIRMED, DRAFT, INVITED, WITHDRAWN};
use crate::lineup::levers;
use crate::lineup::messages::Letter;
use crate::mail::outbox;
use crate::series::model::{find_session, lock_session, Series, Session, SCHEDULED};

pub use crate::lineup::slot::{Policy, PrepCall, Slot};

#[derive(Debug, thiserror::Error)]
pub enum LineupError {
    #[error("no session {0}")]
    NoSession(i64),
    #[error("no lineup slot {0}")]
    NoSlot(i64),
    #[error("the session is cancelled or over")]
    SessionClosed,
    #[error("{0}")]
    State(String),
    #[error(transparent)]
    Db(#[from] DbError),
}

impl From<diesel::result::Error> for LineupError {
    fn from(e: diesel::result::Error) -> Self {
        Self::Db(DbError::Query(e))
    }
}

fn is_open(session: &Session, now: NaiveDateTime) -> bool {
    session.status == SCHEDULED && session.ends_at > now
}

pub fn for_session(conn: &mut DbConnection, session_id: i64) -> QueryResult<Vec<Slot>> {
    lineup_slots::table
        .filter(lineup_slots::session_id.eq(session_id))
        .order((lineup_slots::position.asc(), lineup_slots::id.asc()))
        .select(Slot::as_select())
        .load(conn)
}

pub fn find(conn: &mut DbConnection, id: i64) -> QueryResult<Option<Slot>> {
    lineup_slots::table
        .find(id)
        .select(Slot::as_select())
        .first(conn)
        .optional()
}

pub fn find_by_token(conn: &mut DbConnection, token: &str) -> QueryResult<Option<Slot>> {
    lineup_slots::table
        .filter(lineup_slots::response_token_hash.eq(crate::web::links::hash(token)))
        .select(Slot::as_select())
        .first(conn)
        .optional()
}

/// Confirmed people of each session, in order.
pub fn confirmed_for_sessions(
    conn: &mut DbConnection,
    ids: &[i64],
) -> QueryResult<HashMap<i64, Vec<Slot>>> {
    let rows: Vec<Slot> = lineup_slots::table
        .filter(lineup_slots::session_id.eq_any(ids))
        .filter(lineup_slots::status.eq(CONFIRMED))
        .order((
            lineup_slots::session_id.asc(),
            lineup_slots::position.asc(),
            lineup_slots::id.asc(),
        ))
        .select(Slot::as_select())
        .load(conn)?;
    let mut by_session: HashMap<i64, Vec<Slot>> = HashMap::new();
    for slot in rows {
        by_session.entry(slot.session_id).or_default().push(slot);
    }
    Ok(by_session)
}

pub fn confirmed(conn: &mut DbConnection, session_id: i64) -> QueryResult<Vec<Slot>> {
    Ok(confirmed_for_sessions(conn, &[session_id])?
        .remove(&session_id)
        .unwrap_or_default())
}

/// The session's levers, in the taxonomy's order.
pub fn session_levers(conn: &mut DbConnection, session_id: i64) -> QueryResult<Vec<&'static str>> {
    let codes: Vec<String> = session_levers::table
        .filter(session_levers::session_id.eq(session_id))
        .select(session_levers::lever)
        .load(conn)?;
    Ok(levers::from_column(&codes.join(",")))
}

/// Replaces the session's levers.
pub fn set_session_levers(
    conn: &mut DbConnection,
    actor: &Actor,
    session_id: i64,
    codes: &[&'static str],
    now: NaiveDateTime,
) -> Result<Vec<&'static str>, LineupError> {
    if !lock_session(conn, session_id)? {
        return Err(LineupError::NoSession(session_id));
    }
    let before = session_levers(conn, session_id)?;
    diesel::delete(session_levers::table.filter(session_levers::session_id.eq(session_id)))
        .execute(conn)?;
    // One row per lever (seven at most): MultiConnection has no batch insert.
    for code in codes {
        diesel::insert_into(session_levers::table)
            .values((
                session_levers::session_id.eq(session_id),
                session_levers::lever.eq(*code),
            ))
            .execute(conn)?;
    }
    audit::record(
        conn,
        actor,
        "session.levers",
        &format!("session:{session_id}"),
        Some(json!(before)),
        Some(json!(codes)),
        now,
    )?;
    Ok(codes.to_vec())
}

/// A slot to add, checked.
#[derive(Debug, Clone, Default)]
pub struct NewSlot {
    pub name: String,
    pub email: String,
    pub role: &'static str,
    pub talk_title: String,
    pub talk_abstract: String,
    pub minutes: Option<i32>,
    pub bio: String,
    pub levers: Vec<&'static str>,
    pub position: Option<i64>,
}

/// Changes to a slot, checked; `None` leaves a field alone.
#[derive(Debug, Clone, Default)]
pub struct SlotChanges {
    pub name: Option<String>,
    pub email: Option<String>,
    pub role: Option<&'static str>,
    pub talk_title: Option<String>,
    pub talk_abstract: Option<String>,
    pub minutes: Option<Option<i32>>,
    pub bio: Option<String>,
    pub levers: Option<Vec<&'static str>>,
    pub position: Option<i64>,
    pub withdraw: bool,
}

/// Numbers the session's slots 1, 2, 3 … in `ids`' order.
fn renumber(conn: &mut DbConnection, ids: &[i64], now: NaiveDateTime) -> QueryResult<()> {
    for (i, id) in ids.iter().enumerate() {
        diesel::update(lineup_slots::table.find(*id))
            .set((
                lineup_slots::position.eq(i as i32 + 1),
                lineup_slots::updated_at.eq(now),
            ))
            .execute(conn)?;
    }
    Ok(())
}

fn move_to(
    conn: &mut DbConnection,
    session_id: i64,
    slot_id: i64,
    position: i64,
    now: NaiveDateTime,
) -> QueryResult<()> {
    let ids: Vec<i64> = for_session(conn, session_id)?
        .into_iter()
        .map(|s| s.id)
        .collect();
    renumber(conn, &domain::reorder(&ids, slot_id, position), now)
}

fn load(conn: &mut DbConnection, id: i64) -> Result<Slot, LineupError> {
    find(conn, id)?.ok_or(LineupError::NoSlot(id))
}

/// Adds a slot to session `session_id`; with `invite` (a fresh token),
/// also sends the invitation.
pub fn add(
    conn: &mut DbConnection,
    actor: &Actor,
    session_id: i64,
    new: &NewSlot,
    invite: Option<&Issued>,
    policy: &Policy,
    now: NaiveDateTime,
) -> Result<Slot, LineupError> {
    if !lock_session(conn, session_id)? {
        return Err(LineupError::NoSession(session_id));
    }
    let count: i64 = lineup_slots::table
        .filter(lineup_slots::session_id.eq(session_id))
        .count()
        .get_result(conn)?;
    let id: i64 = diesel::insert_into(lineup_slots::table)
        .values((
            lineup_slots::session_id.eq(session_id),
            lineup_slots::position.eq(count as i32 + 1),
            lineup_slots::name.eq(&new.name),
            lineup_slots::email.eq(&new.email),
            lineup_slots::role.eq(new.role),
            lineup_slots::talk_title.eq(&new.talk_title),
            lineup_slots::talk_abstract.eq(&new.talk_abstract),
            lineup_slots::minutes.eq(new.minutes),
            lineup_slots::bio.eq(&new.bio),
            lineup_slots::levers.eq(new.levers.join(",")),
            lineup_slots::status.eq(DRAFT),
            lineup_slots::invitations_sent.eq(0),
            lineup_slots::created_at.eq(now),
            lineup_slots::updated_at.eq(now),
        ))
        .returning(lineup_slots::id)
        .get_result(conn)?;
    if let Some(position) = new.position {
        move_to(conn, session_id, id, position, now)?;
    }
    let slot = load(conn, id)?;
    audit::record(
        conn,
        actor,
        "lineup.add",
        &format!("lineup_slot:{id}"),
        None,
        Some(slot.summary()),
        now,
    )?;
    match invite {
        Some(link) => send_invitation(conn, actor, slot, link, policy, now),
        None => Ok(slot),
    }
}

/// Changes, moves or withdraws slot `id`.
pub fn update(
    conn: &mut DbConnection,
    actor: &Actor,
    id: i64,
    c: &SlotChanges,
    policy: &Policy,
    now: NaiveDateTime,
) -> Result<Slot, LineupError> {
    let session_id = load(conn, id)?.session_id;
    lock_session(conn, session_id)?;
    let before = load(conn, id)?;
    diesel::update(lineup_slots::table.find(id))
        .set((
            lineup_slots::name.eq(c.name.as_ref().unwrap_or(&before.name)),
            lineup_slots::email.eq(c.email.as_ref().unwrap_or(&before.email)),
            lineup_slots::role.eq(c.role.unwrap_or(&before.role)),
            lineup_slots::talk_title.eq(c.talk_title.as_ref().unwrap_or(&before.talk_title)),
            lineup_slots::talk_abstract
                .eq(c.talk_abstract.as_ref().unwrap_or(&before.talk_abstract)),
            lineup_slots::minutes.eq(c.minutes.unwrap_or(before.minutes)),
            lineup_slots::bio.eq(c.bio.as_ref().unwrap_or(&before.bio)),
            lineup_slots::levers.eq(c
                .levers
                .as_ref()
                .map(|l| l.join(","))
                .unwrap_or_else(|| before.levers.clone())),
            lineup_slots::updated_at.eq(now),
        ))
        .execute(conn)?;
    if c.withdraw && before.status != WITHDRAWN {
        diesel::update(lineup_slots::table.find(id))
            .set((
                lineup_slots::status.eq(WITHDRAWN),
                lineup_slots::response_token_hash.eq(None::<String>),
                lineup_slots::response_token_sealed.eq(None::<String>),
                lineup_slots::token_expires_at.eq(None::<NaiveDateTime>),
            ))
            .execute(conn)?;
        // An invitation or reminder still waiting no longer applies.
        outbox::skip_pending(conn, &format!("lineup:{id}:%"), "withdrawn from the lineup")?;
        // A confirmed presenter holds the session in their calendar.
        if before.status == CONFIRMED {
            if let Some((session, series)) = find_session(conn, session_id)? {
                let letter = Letter {
                    public_url: &policy.public_url,
                    slot: &before,
                    session: &session,
                    series: &series,
                };
                outbox::enqueue(conn, &letter.withdrawn(), now)?;
            }
        }
    }
    if let Some(position) = c.position {
        move_to(conn, session_id, id, position, now)?;
    }
    let after = load(conn, id)?;
    audit::record(
        conn,
        actor,
        if c.withdraw {
            "lineup.withdraw"
        } else {
            "lineup.update"
        },
        &format!("lineup_slot:{id}"),
        Some(before.summary()),
        Some(after.summary()),
        now,
    )?;
    Ok(after)
}

/// Sends (or sends again) slot `id`'s invitation with a fresh `link`.
pub fn invite(
    conn: &mut DbConnection,
    actor: &Actor,
    id: i64,
    link: &Issued,
    policy: &Policy,
    now: NaiveDateTime,
) -> Result<Slot, LineupError> {
    let session_id = load(conn, id)?.session_id;
    lock_session(conn, session_id)?;
    let slot = load(conn, id)?;
    send_invitation(conn, actor, slot, link, policy, now)
}

fn send_invitation(
    conn: &mut DbConnection,
    actor: &Actor,
    slot: Slot,
    link: &Issued,
    policy: &Policy,
    now: NaiveDateTime,
) -> Result<Slot, LineupError> {
    if slot.status == CONFIRMED {
        return Err(LineupError::State(
            "This person has already accepted; there is nothing to answer.".into(),
        ));
    }
    let (session, series) =
        find_session(conn, slot.session_id)?.ok_or(LineupError::NoSession(slot.session_id))?;
    if !is_open(&session, now) {
        return Err(LineupError::SessionClosed);
    }
    let n = slot.invitations_sent + 1;
    diesel::update(lineup_slots::table.find(slot.id))
        .set((
            lineup_slots::status.eq(INVITED),
            lineup_slots::response_token_hash.eq(Some(&link.hash)),
            lineup_slots::response_token_sealed.eq(Some(&link.sealed)),
            lineup_slots::token_expires_at.eq(Some(now + policy.response_valid)),
            lineup_slots::invitations_sent.eq(n),
            lineup_slots::invited_at.eq(Some(now)),
            lineup_slots::responded_at.eq(None::<NaiveDateTime>),
            lineup_slots::updated_at.eq(now),
        ))
        .execute(conn)?;
    let after = load(conn, slot.id)?;
    let letter = Letter {
        public_url: &policy.public_url,
        slot: &after,
        session: &session,
        series: &series,
    };
    outbox::enqueue(conn, &letter.invitation(n), now)?;
    audit::record(
        conn,
        actor,
        "lineup.invite",
        &format!("lineup_slot:{}", slot.id),
        Some(slot.summary()),
        Some(after.summary()),
        now,
    )?;
    Ok(after)
}

/// Where an invitation stands, for the accept/decline pages.
#[derive(Debug, Clone)]
pub struct Standing {
    pub slot: Slot,
    pub session: Session,
    pub series: Series,
}

/// The invitation behind a live `token`; `None` if unknown or expired.
pub fn standing(
    conn: &mut DbConnection,
    token: &str,
    now: NaiveDateTime,
) -> QueryResult<Option<Standing>> {
    let Some(slot) = find_by_token(conn, token)? else {
        return Ok(None);
    };
    if slot.token_expires_at.is_none_or(|at| at <= now) {
        return Ok(None);
    }
    Ok(
        find_session(conn, slot.session_id)?.map(|(session, series)| Standing {
            slot,
            session,
            series,
        }),
    )
}

/// Applies a presenter's answer; `None` if the link is unknown or expired.
/// Answering an invitation no longer open changes and sends nothing.
pub fn answer(
    conn: &mut DbConnection,
    token: &str,
    answer: Answer,
    policy: &Policy,
    now: NaiveDateTime,
) -> Result<Option<Standing>, LineupError> {
    let Some(found) = standing(conn, token, now)? else {
        return Ok(None);
    };
    let open = is_open(&found.session, now);
    match domain::judge(
        &found.slot.status,
        found.slot.token_expires_at,
        open,
        answer,
        now,
    ) {
        Verdict::Gone => return Ok(None),
        Verdict::Settled => return Ok(Some(found)),
        Verdict::Apply(_) => {}
    }
    // Only an open invitation changes: two answers racing apply once.
    let changed = diesel::update(
        lineup_slots::table
            .find(found.slot.id)
            .filter(lineup_slots::status.eq(INVITED)),
    )
    .set((
        lineup_slots::status.eq(answer.status()),
        lineup_slots::responded_at.eq(Some(now)),
        lineup_slots::updated_at.eq(now),
    ))
    .execute(conn)?;
    let slot = load(conn, found.slot.id)?;
    if changed == 1 {
        let letter = Letter {
            public_url: &policy.public_url,
            slot: &slot,
            session: &found.session,
            series: &found.series,
        };
        let msg = match answer {
            Answer::Accept => letter.confirmed(),
            Answer::Decline => letter.declined(),
        };
        outbox::enqueue(conn, &msg, now)?;
        if let (Answer::Accept, Some(prep)) = (answer, &policy.prep_call) {
            if let Some(msg) = letter.prep_call(prep, now) {
                outbox::enqueue(conn, &msg, now)?;
            }
        }
        // A reminder still queued would ask again.
        outbox::skip_pending(conn, &format!("lineup:{}:reminder", slot.id), "answered")?;
        let actor = Actor {
            user_id: None,
            label: "presenter".into(),
        };
        audit::record(
            conn,
            &actor,
            &format!("lineup.{}", answer.as_str()),
            &format!("lineup_slot:{}", slot.id),
            Some(found.slot.summary()),
            Some(slot.summary()),
            now,
        )?;
    }
    Ok(Some(Standing { slot, ..found }))
}

/// Queues the one reminder of every invitation unanswered for
/// `policy.remind_after` whose session is still ahead; returns how many.
pub fn remind_due(
    conn: &mut DbConnection,
    policy: &Policy,
    now: NaiveDateTime,
) -> QueryResult<usize> {
    let waiting = unanswered(conn, policy, now)?;
    let mut queued = 0;
    for slot in waiting {
        if !domain::reminder_due(
            &slot.status,
            slot.invited_at,
            slot.reminded_at,
            slot.token_expires_at,
            policy.remind_after,
            now,
        ) {
            continue;
        }
        // Claim it first: another scheduler that got here sends it instead.
        let claimed = diesel::update(
            lineup_slots::table
                .find(slot.id)
                .filter(lineup_slots::reminded_at.is_null()),
        )
        .set(lineup_slots::reminded_at.eq(Some(now)))
        .execute(conn)?;
        if claimed == 0 {
            continue;
        }
        let Some((session, series)) = find_session(conn, slot.session_id)? else {
            continue;
        };
        let letter = Letter {
            public_url: &policy.public_url,
            slot: &slot,
            session: &session,
            series: &series,
        };
        if outbox::enqueue(conn, &letter.reminder(), now)? {
            queued += 1;
        }
    }
    Ok(queued)
}

/// Whether any invitation awaits its reminder (`remind_due` would queue
/// one): a read, so a scheduler tick with none writes nothing.
pub fn reminders_due(
    conn: &mut DbConnection,
    policy: &Policy,
    now: NaiveDateTime,
) -> QueryResult<bool> {
    Ok(!unanswered(conn, policy, now)?.is_empty())
}

/// Invitations unanswered for `policy.remind_after`, not yet reminded,
/// whose session is still ahead.
fn unanswered(
    conn: &mut DbConnection,
    policy: &Policy,
    now: NaiveDateTime,
) -> QueryResult<Vec<Slot>> {
    lineup_slots::table
        .inner_join(sessions::table)
        .filter(lineup_slots::status.eq(INVITED))
        .filter(lineup_slots::reminded_at.is_null())
        .filter(lineup_slots::invited_at.le(now - policy.remind_after))
        .filter(lineup_slots::token_expires_at.gt(now))
        .filter(sessions::status.eq(SCHEDULED))
        .filter(sessions::starts_at.gt(now))
        .select(Slot::as_select())
        .load(conn)
}
