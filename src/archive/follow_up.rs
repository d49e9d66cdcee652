//! The e-mail each registrant gets after a session: once its slides or
//! recording are published, or `archive.follow_up_after_hours` after it
//! ends, whichever comes first. Attendees are thanked; registered no-shows
//! hear "sorry we missed you"; both get the materials' links and the next
//! session's register link. When no attendance was recorded, everyone gets
//! the same neutral note. A session is claimed once (`follow_ups`) and each
//! message has its registration's key, so any number of schedulers send it
//! once; cancelled and ECHO sessions never get one. Optionally, materials
//! published after a follow-up that had none are announced once more.

use chrono::{Duration, NaiveDateTime};
use diesel::dsl::exists;
use diesel::prelude::*;
use diesel::sql_types::{BigInt, Timestamp};
use serde_json::{json, Value};

use crate::archive::domain::Kind;
use crate::archive::store::{self as materials_store, Material};
use crate::config::{PublicUrl, Settings};
use crate::db::schema::{attendance, follow_ups, materials, series, sessions};
use crate::db::{self, DbConnection, DbError, Pool};
use crate::series::model::{self, Series, Session, SCHEDULED};
use crate::series::registrants::{queue_to_registrants, ToRegistrants};

/// Whether a session that ended at `ended` is to be followed up at `now`:
/// once slides or a recording are out, or `after` its end.
pub fn due(
    ended: NaiveDateTime,
    now: NaiveDateTime,
    main_published: bool,
    after: Duration,
) -> bool {
    now >= ended && (main_published || now >= ended + after)
}

/// Who a follow-up goes to, and so what it says.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Audience {
    Attendees,
    NoShows,
    /// Attendance was not recorded: one note for everyone.
    Everyone,
}

/// The kinds a follow-up waits for.
const MAIN: [&str; 2] = [Kind::Slides.as_str(), Kind::Recording.as_str()];

/// Whether the session's slides or recording are published.
fn main_published(conn: &mut DbConnection, session_id: i64) -> QueryResult<bool> {
    diesel::select(exists(
        materials::table
            .filter(materials::session_id.eq(session_id))
            .filter(materials::published.eq(true))
            .filter(materials::kind.eq_any(MAIN)),
    ))
    .get_result(conn)
}

/// A material's link for an e-mail: the link, or its public download.
fn material_link(public: &PublicUrl, m: &Material) -> Value {
    json!({
        "kind": m.kind().label(),
        "title": m.title,
        "url": m.url.clone().unwrap_or_else(|| public.join(&format!("/materials/{}", m.id))),
    })
}

/// What every message about `session` shares.
fn base(
    conn: &mut DbConnection,
    public: &PublicUrl,
    session: &Session,
    series: &Series,
    now: NaiveDateTime,
) -> QueryResult<Value> {
    let materials: Vec<Value> = materials_store::for_session(conn, session.id, true)?
        .iter()
        .map(|m| material_link(public, m))
        .collect();
    let next: Option<Session> = sessions::table
        .filter(sessions::series_id.eq(series.id))
        .filter(sessions::status.eq(SCHEDULED))
        .filter(sessions::starts_at.gt(now))
        .order(sessions::starts_at.asc())
        .select(Session::as_select())
        .first(conn)
        .optional()?;
    Ok(json!({
        "session_title": session.title,
        "series_title": series.title,
        "date": session.starts_at_utc().with_timezone(&session.tz()).format("%B %-d, %Y").to_string(),
        "session_url": public.join(&format!("/sessions/{}", session.id)),
        "past_url": public.join(&format!("/past/{}", series.slug)),
        "has_materials": !materials.is_empty(),
        "materials": materials,
        "next": next.map(|n| json!({
            "title": n.title,
            "when": n.when(),
            "other_zones": n.other_zones(),
            "register_url": public.join(&format!("/sessions/{}", n.id)),
        })),
    }))
}

/// One message per `registered` registration of the session in `audience`,
/// keyed `registration:<id>:<what>`; how many were added.
#[allow(clippy::too_many_arguments)]
fn enqueue(
    conn: &mut DbConnection,
    session_id: i64,
    base: &Value,
    audience: Audience,
    template: &str,
    what: &str,
    public: &PublicUrl,
    now: NaiveDateTime,
) -> QueryResult<usize> {
    let mut base = base.clone();
    base["attended"] = json!(audience == Audience::Attendees);
    base["attendance_known"] = json!(audience != Audience::Everyone);
    let open = db::open_json_object(&base);
    let came = "EXISTS (SELECT 1 FROM attendance a WHERE a.session_id = r.session_id \
                AND a.person_id = r.person_id AND a.attended)";
    let condition = match audience {
        Audience::Attendees => came.to_string(),
        Audience::NoShows => format!("NOT {came}"),
        Audience::Everyone => "1 = 1".to_string(),
    };
    queue_to_registrants(
        conn,
        &ToRegistrants {
            session_id,
            statuses: "('registered')",
            registered_by: None,
            condition: &condition,
            template,
            key_suffix: &format!(":{what}"),
            base: &open,
            public,
            now,
        },
    )
}

/// Claims the session's follow-up and queues it, split by who came;
/// 0 when another scheduler claimed it first.
fn follow_up(
    conn: &mut DbConnection,
    public: &PublicUrl,
    session: &Session,
    series: &Series,
    now: NaiveDateTime,
) -> QueryResult<usize> {
    let with_materials = main_published(conn, session.id)?;
    let claim = conn.sql(
        "INSERT INTO follow_ups (session_id, with_materials, queued, created_at) \
         VALUES (?, ?, 0, ?) ON CONFLICT (session_id) DO NOTHING",
    );
    let claimed = diesel::sql_query(claim)
        .bind::<BigInt, _>(session.id)
        .bind::<diesel::sql_types::Bool, _>(with_materials)
        .bind::<Timestamp, _>(now)
        .execute(conn)?;
    if claimed == 0 {
        return Ok(0);
    }
    let base = base(conn, public, session, series, now)?;
    let recorded: bool = diesel::select(exists(
        attendance::table.filter(attendance::session_id.eq(session.id)),
    ))
    .get_result(conn)?;
    let audiences: &[Audience] = if recorded {
        &[Audience::Attendees, Audience::NoShows]
    } else {
        &[Audience::Everyone]
    };
    let mut queued = 0;
    for audience in audiences {
        queued += enqueue(
            conn,
            session.id,
            &base,
            *audience,
            "session_follow_up",
            "follow-up",
            public,
            now,
        )?;
    }
    diesel::update(follow_ups::table.find(session.id))
        .set(follow_ups::queued.eq(queued as i32))
        .execute(conn)?;
    Ok(queued)
}

/// Announces materials published after a follow-up that had none, once.
fn materials_notice(
    conn: &mut DbConnection,
    public: &PublicUrl,
    session: &Session,
    series: &Series,
    now: NaiveDateTime,
) -> QueryResult<usize> {
    let claimed = diesel::update(
        follow_ups::table
            .find(session.id)
            .filter(follow_ups::with_materials.eq(false))
            .filter(follow_ups::notice_at.is_null()),
    )
    .set(follow_ups::notice_at.eq(Some(now)))
    .execute(conn)?;
    if claimed == 0 {
        return Ok(0);
    }
    let base = base(conn, public, session, series, now)?;
    enqueue(
        conn,
        session.id,
        &base,
        Audience::Everyone,
        "session_materials",
        "materials-notice",
        public,
        now,
    )
}

/// A recently ended session with its series, whether (and with its
/// materials) it was followed up, and whether slides or a recording are out.
type Ended = (Session, Series, Option<bool>, bool);

/// Sessions of the public series that ended in the last
/// `follow_up_within_days`, not cancelled; with whether a follow-up was
/// queued and whether it had its materials, and whether slides or a
/// recording are published now.
fn recently_ended(
    conn: &mut DbConnection,
    now: NaiveDateTime,
    within: Duration,
) -> QueryResult<Vec<Ended>> {
    sessions::table
        .inner_join(series::table)
        .left_join(follow_ups::table)
        .filter(series::kind.ne(model::ECHO))
        .filter(sessions::status.eq(SCHEDULED))
        .filter(sessions::ends_at.le(now))
        .filter(sessions::ends_at.ge(now - within))
        // Not followed up yet, or followed up without materials (a notice
        // may be due); never again once the notice went.
        .filter(
            follow_ups::session_id
                .nullable()
                .is_null()
                .or(follow_ups::with_materials.nullable().eq(false)),
        )
        .filter(follow_ups::notice_at.is_null())
        .select((
            Session::as_select(),
            Series::as_select(),
            follow_ups::with_materials.nullable(),
            exists(
                materials::table
                    .filter(materials::session_id.eq(sessions::id))
                    .filter(materials::published.eq(true))
                    .filter(materials::kind.eq_any(MAIN)),
            ),
        ))
        .load(conn)
}

/// Queues the follow-ups (and, when configured, the later materials
/// notices) due at `now`; returns how many messages were added.
pub async fn enqueue_due(
    pool: &Pool,
    settings: &Settings,
    now: NaiveDateTime,
) -> Result<usize, DbError> {
    let archive = &settings.archive;
    let within = Duration::days(i64::from(archive.follow_up_within_days));
    let after = Duration::hours(i64::from(archive.follow_up_after_hours));
    let notices = archive.new_materials_notice;
    let ended = db::run(pool, move |conn| {
        recently_ended(conn, now, within).map_err(DbError::from)
    })
    .await?;
    let mut queued = 0;
    for (session, series, followed, published) in ended {
        let public = settings.http.public_url.clone();
        let work = match followed {
            None if due(session.ends_at, now, published, after) => follow_up,
            Some(false) if notices && published => materials_notice,
            _ => continue,
        };
        queued += db::write(pool, move |conn| {
            work(conn, &public, &session, &series, now).map_err(DbError::from)
        })
        .await?;
    }
    Ok(queued)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn at(h: i64) -> NaiveDateTime {
        chrono::NaiveDate::from_ymd_opt(2027, 1, 19)
            .unwrap()
            .and_hms_opt(19, 0, 0)
            .unwrap()
            + Duration::hours(h)
    }

    #[test]
    fn a_follow_up_waits_for_slides_or_a_recording_or_the_time_after() {
        let after = Duration::hours(72);
        let ended = at(0);
        assert!(!due(ended, at(-1), true, after), "not before the end");
        assert!(due(ended, at(1), true, after), "materials out: at once");
        assert!(!due(ended, at(71), false, after), "nothing out: wait");
        assert!(due(ended, at(72), false, after), "nothing out, time's up");
    }
}
