//! The organizer's pages about sessions: the dashboard, a session's page
//! (its registrations, lineup, attendance and materials), its CSV, the
//! audit page, and the forms those pages post. Every route checks the role.

use std::collections::HashMap;

use actix_web::{web, HttpResponse};
use serde::Deserialize;
use serde_json::json;

use crate::web::AppState;

use crate::audit::{self};
use crate::auth::forms::{self, Posted};
use crate::auth::{Need, PageUser};
use crate::db::{self, DbError};
use crate::error::ApiError;
use crate::organizer::manage::{self};
use crate::registration::store::{Policy, REGISTERED, WAITLISTED};
use crate::series::model;

use super::{details, new_session, new_time, reason, AuditQuery, UpdateBody};

/// `GET /organizer`: upcoming sessions against their capacity; for a
/// facilitator, who sees nothing of the Jam, the cohorts they run.
pub async fn dashboard(state: web::Data<AppState>, user: PageUser) -> HttpResponse {
    let (now, who) = (state.clock.naive(), user.caller());
    let jam = who.role.allows(Need::Read);
    let rows = db::run(&state.pool, move |conn| {
        let rows = match jam {
            true => model::upcoming(conn, now, 50)?,
            false => Vec::new(),
        };
        let ids: Vec<i64> = rows.iter().map(|(s, _)| s.id).collect();
        let registered: HashMap<i64, i64> =
            model::counts(conn, &ids, REGISTERED)?.into_iter().collect();
        let waitlisted: HashMap<i64, i64> =
            model::counts(conn, &ids, WAITLISTED)?.into_iter().collect();
        Ok::<_, DbError>(
            rows.into_iter()
                .map(|(s, series)| {
                    let r = registered.get(&s.id).copied().unwrap_or(0);
                    json!({
                        "id": s.id,
                        "series": series.title,
                        "title": s.title,
                        "when": s.when(),
                        "registered": r,
                        "waitlisted": waitlisted.get(&s.id).copied().unwrap_or(0),
                        "capacity": s.capacity,
                        "percent": (r * 100) / i64::from(s.capacity.max(1)),
                        "full": r >= i64::from(s.capacity),
                    })
                })
                .collect::<Vec<_>>(),
        )
    })
    .await;
    let series = db::run(&state.pool, move |conn| {
        let cohorts = crate::echo::facilitators::visible(conn, who)?;
        let series = match jam {
            true => model::all_series(conn)?,
            false => Vec::new(),
        };
        Ok::<_, DbError>((series, cohorts))
    })
    .await;
    match rows.and_then(|sessions| Ok((sessions, series?))) {
        Ok((sessions, (series, cohorts))) => state.pages.private(state.pages.ok(
            "organizer/dashboard",
            &json!({
                "title": "Organizer dashboard",
                "user": { "name": user.user.name, "email": user.user.email, "role": user.user.role },
                "csrf": user.csrf,
                "is_admin": user.user.role().allows(Need::Admin),
                "jam": jam,
                "cohorts": cohorts.iter().map(|c| json!({ "slug": c.slug, "name": c.name })).collect::<Vec<_>>(),
                "can_change": user.user.role().allows(Need::Organize),
                "series_choices": series.iter()
                    .map(|s| json!({ "value": s.slug, "label": s.title }))
                    .collect::<Vec<_>>(),
                "sessions": sessions,
                "series": series.iter().map(|s| json!({ "slug": s.slug, "title": s.title })).collect::<Vec<_>>(),
            }),
        )),
        Err(e) => state.pages.internal_error(&e.into()),
    }
}

#[derive(Debug, Default, Deserialize)]
pub struct SessionPageQuery {
    #[serde(default)]
    q: String,
}

/// `GET /organizer/sessions/{id}`: one session with its lineup and its
/// registrations (`?q=` searches name, e-mail, organization).
pub async fn session_page(
    state: web::Data<AppState>,
    user: PageUser,
    path: web::Path<i64>,
    query: web::Query<SessionPageQuery>,
) -> HttpResponse {
    use crate::echo::facilitators;
    use crate::registration::store::{self as registrations, ListFilter};
    let (id, who) = (path.into_inner(), user.caller());
    // A facilitator reaches their cohorts' sessions, without registrants.
    let jam = who.role.allows(Need::Read);
    let search: String = query.q.trim().chars().take(200).collect();
    let filter = ListFilter {
        search: Some(search.clone()).filter(|s| !s.is_empty()),
        status: None,
        page: 1,
        per_page: 200,
    };
    let loaded = db::run(&state.pool, move |conn| {
        let (session, series) = facilitators::session(conn, who, Need::SeeCohort, id)?;
        let (lineup, levers, (total, rows)) = match jam {
            true => (
                crate::lineup::store::for_session(conn, id)?,
                crate::lineup::store::session_levers(conn, id)?,
                registrations::list(conn, id, &filter)?,
            ),
            false => Default::default(),
        };
        let messages = match jam {
            true => message_form(conn, id)?,
            false => serde_json::Value::Null,
        };
        // The counts, and whether this user may record them.
        let attendance = (
            crate::attendance::store::summary(conn, id)?,
            match facilitators::session(conn, who, Need::Record, id) {
                Err(ApiError::Internal(e)) => return Err(ApiError::Internal(e)),
                recordable => recordable.is_ok(),
            },
        );
        let materials = crate::archive::store::for_session(conn, id, false)?;
        let registered = model::counts(conn, &[id], REGISTERED)?
            .first()
            .map_or(0, |c| c.1);
        let waitlisted = model::counts(conn, &[id], WAITLISTED)?
            .first()
            .map_or(0, |c| c.1);
        Ok::<_, ApiError>((
            session,
            series,
            lineup,
            levers,
            attendance,
            materials,
            total,
            rows,
            registered,
            (waitlisted, messages),
        ))
    })
    .await;
    let (
        session,
        series,
        lineup,
        levers,
        attendance,
        materials,
        total,
        rows,
        registered,
        (waitlisted, messages),
    ) = match loaded {
        Ok(found) => found,
        Err(e) => return user.refused(e, &state),
    };
    let (attendance, may_record) = attendance;
    let tz = session.tz();
    let shown = rows.len();
    state.pages.private(state.pages.ok(
        "organizer/session",
        &json!({
            "title": format!("{} — organizer", session.title),
            "session": {
                "id": session.id, "title": session.title, "series": series.title,
                "description": session.description,
                "when": session.when(), "status": session.status,
                "capacity": session.capacity, "join_url": session.join_url,
                "cancelled": session.is_cancelled(),
                "length": (session.ends_at - session.starts_at).num_minutes(),
                "timezone": session.timezone,
            },
            "levers": crate::lineup::levers::tags(&levers),
            "attendance": {
                "attended": attendance.attended,
                "registered_here": attendance.registered_here,
                "walk_ins": attendance.walk_ins,
                "staff": attendance.staff,
                "adjusted": attendance.adjusted,
                "last_import": attendance.last_import.map(|(source, at)| format!("{source}, {}", crate::calendar::display::moment(at.and_utc(), tz))),
            },
            "lever_choices": crate::lineup::levers::LEVERS.iter().map(|(code, label)| json!({
                "value": code, "label": label, "checked": levers.contains(code),
            })).collect::<Vec<_>>(),
            "roles": crate::lineup::domain::ROLES,
            "sectors": crate::web::fields::options(crate::people::contact::SECTORS, ""),
            "states": crate::web::fields::options(crate::people::contact::STATES, ""),
            "registered": registered,
            "waitlisted": waitlisted,
            "messages": messages,
            "csrf": user.csrf,
            "can_change": user.user.role().allows(Need::Organize) && !session.is_cancelled(),
            "jam": jam,
            "can_record": may_record && !session.is_cancelled(),
            "materials": materials.iter().map(crate::archive::store::Material::view).collect::<Vec<_>>(),
            "material_kinds": crate::archive::domain::Kind::ALL.iter().map(|k| json!({
                "value": k.as_str(), "label": k.label(), "wanted": k.wanted(),
            })).collect::<Vec<_>>(),
            "archive_limits": {
                "document_mb": state.settings.archive.document_max_mb,
                "recording_mb": state.settings.archive.recording_max_mb,
            },
            "lineup": lineup.iter().map(|s| {
                let mut slot = s.to_json();
                slot["can_invite"] = json!(matches!(s.status.as_str(), "draft" | "invited" | "declined"));
                slot["active"] = json!(s.status != "withdrawn");
                slot["resend"] = json!(s.invitations_sent > 0);
                slot
            }).collect::<Vec<_>>(),
            "q": search,
            "total": total,
            "more": (total as usize) > shown,
            "registrations": rows.iter().map(|(r, p)| json!({
                "id": r.id,
                "active": r.status != "cancelled",
                "waitlisted": r.status == WAITLISTED,
                "name": format!("{} {}", p.first_name, p.last_name),
                "email": p.email,
                "organization": p.organization,
                "status": r.status,
                "at": crate::calendar::display::moment(r.created_at.and_utc(), tz),
            })).collect::<Vec<_>>(),
        }),
    ))
}

/// The message form's choices (each with how many it reaches), a fresh
/// key for this showing of the form, and the messages sent so far.
fn message_form(conn: &mut db::DbConnection, id: i64) -> Result<serde_json::Value, ApiError> {
    use crate::registration::message::{count, Audience};
    let mut audiences = Vec::new();
    for (i, a) in Audience::ALL.into_iter().enumerate() {
        audiences.push(json!({
            "value": a.as_str(), "label": a.label(), "count": count(conn, id, a)?, "checked": i == 0,
        }));
    }
    let sent = crate::mail::group::history(conn, Some(id), None, 20)?;
    Ok(json!({
        "audiences": audiences,
        "key": crate::web::token::new_token(),
        "sent": sent.iter().map(|m| json!({
            "subject": m.subject,
            "audience": Audience::parse(&m.audience).map_or(m.audience.as_str(), |a| a.label()),
            "recipients": m.recipients,
            "at": m.created_at.and_utc().format("%Y-%m-%d %H:%M UTC").to_string(),
        })).collect::<Vec<_>>(),
    }))
}

/// `GET /organizer/sessions/{id}/registrations.csv`: the API's export,
/// for the signed-in organizer's browser.
pub async fn session_csv(
    state: web::Data<AppState>,
    user: PageUser,
    path: web::Path<i64>,
) -> HttpResponse {
    if let Some(refused) = user.forbidden(Need::Read, &state) {
        return refused;
    }
    let id = path.into_inner();
    let loaded = db::run(&state.pool, move |conn| {
        let Some((session, _)) = model::find_session(conn, id)? else {
            return Ok::<_, DbError>(None);
        };
        let rows = crate::registration::store::all_for_session(conn, id)?;
        let ids: Vec<i64> = rows.iter().map(|(r, _)| r.id).collect();
        let sheet = crate::series::questions::store::sheet(conn, session.series_id, &ids)?;
        Ok(Some((session, rows, sheet)))
    })
    .await;
    match loaded {
        Ok(Some((session, rows, sheet))) => {
            match crate::registration::organizer::csv_response(&session, &rows, &sheet) {
                Ok(response) => response,
                Err(e) => state.pages.internal_error(&e),
            }
        }
        Ok(None) => state.pages.not_found(),
        Err(e) => state.pages.internal_error(&e.into()),
    }
}

/// `GET /organizer/audit` (admins): the latest changes, newest first.
pub async fn audit_page(
    state: web::Data<AppState>,
    user: PageUser,
    query: web::Query<AuditQuery>,
) -> HttpResponse {
    if let Some(refused) = user.forbidden(Need::Admin, &state) {
        return refused;
    }
    let before = query.before;
    match db::run(&state.pool, move |conn| {
        audit::list(conn, 100, before).map_err(DbError::from)
    })
    .await
    {
        Ok(entries) => {
            let next = (entries.len() == 100)
                .then(|| entries.last().map(|e| e.id))
                .flatten();
            state.pages.private(state.pages.ok(
                "organizer/audit",
                &json!({
                    "title": "Audit log",
                    "entries": entries.iter().map(|e| json!({
                        "at": e.created_at.and_utc().format("%Y-%m-%d %H:%M:%S UTC").to_string(),
                        "actor": e.actor, "action": e.action, "subject": e.subject,
                        "before": e.before.clone().unwrap_or_default(),
                        "after": e.after.clone().unwrap_or_default(),
                    })).collect::<Vec<_>>(),
                    "next": next,
                }),
            ))
        }
        Err(e) => state.pages.internal_error(&e.into()),
    }
}

// ------------------------------------------------------------ page forms

type PostedForm = web::Form<Vec<(String, String)>>;

/// `POST /organizer/sessions`: a one-off session, from the dashboard's
/// form (the API's fields); on to its page.
pub async fn page_create_session(
    state: web::Data<AppState>,
    user: PageUser,
    form: PostedForm,
) -> HttpResponse {
    let uid = manage::new_uid(&state.settings.http.public_url);
    let back = "/organizer".to_string();
    forms::submit(
        &state,
        &user,
        Posted::from_form(form),
        Need::Organize,
        back,
        move |conn, actor, form, now| {
            let new = new_session(form.body(&[])?)?;
            let created = manage::create(conn, actor, &new, &uid, now)?;
            Ok(format!("/organizer/sessions/{}", created.session.id))
        },
    )
    .await
}

/// `POST /organizer/sessions/{id}/{action}`: `details` (the API's update
/// fields; a description emptied on purpose is cleared), `reschedule`
/// (`start`, `duration`) or `cancel` (`reason`), through `series::manage`
/// like the API, so calendars follow.
pub async fn page_session_change(
    state: web::Data<AppState>,
    user: PageUser,
    path: web::Path<(i64, String)>,
    form: PostedForm,
) -> HttpResponse {
    let (id, action) = path.into_inner();
    if !["details", "reschedule", "cancel"].contains(&action.as_str()) {
        return state.pages.not_found();
    }
    let back = format!("/organizer/sessions/{id}");
    let policy = Policy::from_settings(&state.settings);
    let posted = Posted::from_form(form);
    forms::submit(
        &state,
        &user,
        posted,
        Need::Organize,
        back.clone(),
        move |conn, actor, form, now| {
            match action.as_str() {
                "details" => {
                    let mut b: UpdateBody = form.body(&[])?;
                    if b.description.is_none() && form.has("description") {
                        b.description = Some(String::new());
                    }
                    manage::update(conn, actor, &policy, id, &details(b)?, now)?;
                }
                "reschedule" => {
                    let (start, length) = new_time(form.body(&[])?)?;
                    manage::reschedule(conn, actor, &policy, id, start, length, now)?;
                }
                _ => {
                    let reason = reason(form.body(&[])?)?;
                    manage::cancel(conn, actor, &policy, id, &reason, now)?;
                }
            }
            Ok(back.clone())
        },
    )
    .await
}

/// `POST /organizer/registrations/{id}/cancel|promote` (`action` in the path)
pub async fn page_registration(
    state: web::Data<AppState>,
    user: PageUser,
    path: web::Path<(i64, String)>,
    form: PostedForm,
) -> HttpResponse {
    use crate::registration::organizer::{cancel_as, promote_as};
    let (id, action) = path.into_inner();
    if action != "cancel" && action != "promote" {
        return state.pages.not_found();
    }
    let session = match db::run(&state.pool, move |conn| {
        crate::registration::store::find(conn, id).map_err(DbError::from)
    })
    .await
    {
        Ok(Some(reg)) => reg.session_id,
        Ok(None) => return state.pages.not_found(),
        Err(e) => return state.pages.internal_error(&e.into()),
    };
    let back = format!("/organizer/sessions/{session}");
    let policy = Policy::from_settings(&state.settings);
    let posted = Posted::from_form(form);
    forms::submit(
        &state,
        &user,
        posted,
        Need::Organize,
        back.clone(),
        move |conn, actor, _, now| {
            if action == "cancel" {
                cancel_as(conn, actor, id, &policy, now)?;
            } else {
                promote_as(conn, actor, id, &policy, now)?;
            }
            Ok(back.clone())
        },
    )
    .await
}

/// `POST /organizer/sessions/{id}/registrations`: someone registered by
/// hand, with the public form's fields.
pub async fn page_add_registration(
    state: web::Data<AppState>,
    user: PageUser,
    path: web::Path<i64>,
    form: PostedForm,
) -> HttpResponse {
    use crate::registration::organizer::{add_as, registrant};
    let id = path.into_inner();
    let back = format!("/organizer/sessions/{id}");
    let policy = Policy::from_settings(&state.settings);
    let posted = Posted::from_form(form);
    forms::submit(
        &state,
        &user,
        posted,
        Need::Organize,
        back.clone(),
        move |conn, actor, form, now| {
            let person = registrant(&form.body(&[])?)?;
            add_as(conn, actor, id, &person, &policy, now)?;
            Ok(back.clone())
        },
    )
    .await
}
