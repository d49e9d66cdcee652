//! The Past Jams page: sessions of the public series that have ended and
//! have published materials, newest first, with their presenters, levers
//! of change, recordings and slides; filtered by lever and year, searched
//! over titles, descriptions and presenters' names, a page at a time.
//! ECHO cohorts' sessions never appear here.

use std::collections::{BTreeSet, HashMap};

use actix_web::{web, HttpResponse};
use chrono::{Datelike, NaiveDate, NaiveDateTime};
use diesel::dsl::exists;
use diesel::prelude::*;
use diesel::sql_types::Bool;
use serde::Deserialize;
use serde_json::{json, Value};

use crate::archive::store::{self as materials_store, Material};
use crate::db::lower;
use crate::db::schema::{lineup_slots, materials, series, session_levers, sessions};
use crate::db::{self, DbConnection, DbError};
use crate::lineup::levers::{self, LEVERS};
use crate::people::containing;
use crate::series::model::{self, Series, Session};
use crate::web::routes::Routes;
use crate::web::AppState;

/// Sessions on one page.
pub const PER_PAGE: i64 = 10;

/// What the page asks for, checked.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Filter {
    pub series: Option<String>,
    pub lever: Option<&'static str>,
    pub year: Option<i32>,
    pub search: Option<String>,
    /// 1-based.
    pub page: i64,
}

/// The query string as sent: anything unknown is ignored, never refused
/// (a stale bookmark still shows the page).
#[derive(Debug, Clone, Default, Deserialize)]
pub struct PastQuery {
    #[serde(default)]
    lever: String,
    #[serde(default)]
    year: String,
    #[serde(default)]
    q: String,
    #[serde(default)]
    page: String,
}

impl Filter {
    pub fn from_query(series: Option<String>, q: &PastQuery) -> Self {
        Filter {
            series,
            lever: LEVERS
                .iter()
                .map(|(code, _)| *code)
                .find(|code| *code == q.lever.trim()),
            year: q
                .year
                .trim()
                .parse()
                .ok()
                .filter(|y| (1900..=9999).contains(y)),
            search: Some(q.q.trim().chars().take(200).collect::<String>())
                .filter(|s| !s.is_empty()),
            page: q.page.trim().parse().unwrap_or(1).clamp(1, 10_000),
        }
    }

    /// The query string of this filter on `page` (`?lever=…&page=2`).
    pub fn query(&self, page: i64) -> String {
        let mut pairs = url::form_urlencoded::Serializer::new(String::new());
        if let Some(lever) = self.lever {
            pairs.append_pair("lever", lever);
        }
        if let Some(year) = self.year {
            pairs.append_pair("year", &year.to_string());
        }
        if let Some(q) = &self.search {
            pairs.append_pair("q", q);
        }
        if page > 1 {
            pairs.append_pair("page", &page.to_string());
        }
        let s = pairs.finish();
        if s.is_empty() {
            s
        } else {
            format!("?{s}")
        }
    }
}

type Backend = <DbConnection as Connection>::Backend;
type Joined = diesel::helper_types::InnerJoinQuerySource<sessions::table, series::table>;
type Condition = Box<dyn BoxableExpression<Joined, Backend, SqlType = Bool>>;

/// Ended, not cancelled, of a public series, with something published;
/// then the filter's series, lever, year and words.
fn condition(f: &Filter, now: NaiveDateTime, with_filters: bool) -> Condition {
    let mut cond: Condition = Box::new(
        series::kind
            .ne(model::ECHO)
            .and(sessions::status.ne(model::CANCELLED))
            .and(sessions::ends_at.le(now))
            .and(exists(
                materials::table
                    .filter(materials::session_id.eq(sessions::id))
                    .filter(materials::published.eq(true)),
            )),
    );
    if let Some(slug) = &f.series {
        cond = Box::new(cond.and(series::slug.eq(slug.clone())));
    }
    if !with_filters {
        return cond;
    }
    if let Some(lever) = f.lever {
        cond = Box::new(
            cond.and(exists(
                session_levers::table
                    .filter(session_levers::session_id.eq(sessions::id))
                    .filter(session_levers::lever.eq(lever)),
            )),
        );
    }
    if let Some(year) = f.year {
        let start = |y: i32| {
            NaiveDate::from_ymd_opt(y, 1, 1)
                .unwrap_or_default()
                .and_hms_opt(0, 0, 0)
                .unwrap_or_default()
        };
        cond = Box::new(
            cond.and(sessions::starts_at.ge(start(year)))
                .and(sessions::starts_at.lt(start(year + 1))),
        );
    }
    if let Some(search) = &f.search {
        let pattern = containing(search);
        cond = Box::new(
            cond.and(
                lower(sessions::title)
                    .like(lower(pattern.clone()))
                    .escape('\\')
                    .or(lower(sessions::description)
                        .like(lower(pattern.clone()))
                        .escape('\\'))
                    .or(exists(
                        lineup_slots::table
                            .filter(lineup_slots::session_id.eq(sessions::id))
                            .filter(lineup_slots::status.eq(crate::lineup::domain::CONFIRMED))
                            .filter(lower(lineup_slots::name).like(lower(pattern)).escape('\\')),
                    )),
            ),
        );
    }
    cond
}

/// One past session as the page shows it.
#[derive(Debug, Clone)]
pub struct PastSession {
    pub session: Session,
    pub series: Series,
    pub presenters: Vec<String>,
    pub levers: Vec<&'static str>,
    pub materials: Vec<Material>,
}

/// A page of past sessions.
#[derive(Debug, Clone)]
pub struct Found {
    pub sessions: Vec<PastSession>,
    /// Sessions matching in all.
    pub total: i64,
    /// The years (UTC) that have past sessions, newest first, for the
    /// year filter.
    pub years: Vec<i32>,
}

/// The page `f` asks for, as of `now`.
pub fn find(conn: &mut DbConnection, f: &Filter, now: NaiveDateTime) -> QueryResult<Found> {
    let total: i64 = sessions::table
        .inner_join(series::table)
        .filter(condition(f, now, true))
        .count()
        .get_result(conn)?;
    let rows: Vec<(Session, Series)> = sessions::table
        .inner_join(series::table)
        .filter(condition(f, now, true))
        .order((sessions::starts_at.desc(), sessions::id.desc()))
        .limit(PER_PAGE)
        .offset((f.page - 1) * PER_PAGE)
        .select((Session::as_select(), Series::as_select()))
        .load(conn)?;
    let starts: Vec<NaiveDateTime> = sessions::table
        .inner_join(series::table)
        .filter(condition(f, now, false))
        .select(sessions::starts_at)
        .load(conn)?;
    let years: BTreeSet<i32> = starts.iter().map(|t| t.year()).collect();
    let ids: Vec<i64> = rows.iter().map(|(s, _)| s.id).collect();
    let mut presenters = crate::lineup::confirmed_for_sessions(conn, &ids)?;
    let mut lever_codes: HashMap<i64, Vec<String>> = HashMap::new();
    for (id, code) in session_levers::table
        .filter(session_levers::session_id.eq_any(&ids))
        .select((session_levers::session_id, session_levers::lever))
        .load::<(i64, String)>(conn)?
    {
        lever_codes.entry(id).or_default().push(code);
    }
    let mut by_session: HashMap<i64, Vec<Material>> = HashMap::new();
    for m in materials_store::for_sessions(conn, &ids, true)? {
        by_session.entry(m.session_id).or_default().push(m);
    }
    Ok(Found {
        sessions: rows
            .into_iter()
            .map(|(session, series)| PastSession {
                presenters: presenters
                    .remove(&session.id)
                    .unwrap_or_default()
                    .into_iter()
                    .map(|slot| slot.name)
                    .collect(),
                levers: levers::from_column(
                    &lever_codes
                        .remove(&session.id)
                        .unwrap_or_default()
                        .join(","),
                ),
                materials: by_session.remove(&session.id).unwrap_or_default(),
                session,
                series,
            })
            .collect(),
        total,
        years: years.into_iter().rev().collect(),
    })
}

/// A published material as a public page links it.
pub fn material_json(m: &Material) -> Value {
    let view = m.view();
    json!({
        "kind": view.kind_label,
        "title": view.title,
        "presenter": view.presenter,
        "href": view.href,
        "recording": m.kind() == crate::archive::domain::Kind::Recording,
        "about": match (&view.file, &view.link) {
            (Some(file), _) => format!("{}, {}", file.name.rsplit('.').next().unwrap_or_default().to_uppercase(), file.size_label),
            (None, Some(link)) => format!("on {}", link.site),
            (None, None) => String::new(),
        },
    })
}

fn page_json(f: &Filter, found: &Found, title: &str, path: &str) -> Value {
    let pages = (found.total + PER_PAGE - 1) / PER_PAGE;
    json!({
        "title": title,
        "path": path,
        "q": f.search.clone().unwrap_or_default(),
        "levers": LEVERS.iter().map(|(code, label)| json!({
            "value": code, "label": label, "selected": f.lever == Some(*code),
        })).collect::<Vec<_>>(),
        "years": found.years.iter().map(|y| json!({
            "value": y, "selected": f.year == Some(*y),
        })).collect::<Vec<_>>(),
        "filtered": f.lever.is_some() || f.year.is_some() || f.search.is_some(),
        "total": found.total,
        "page": f.page,
        "pages": pages,
        "newer": (f.page > 1).then(|| format!("{path}{}", f.query(f.page - 1))),
        "older": (f.page < pages).then(|| format!("{path}{}", f.query(f.page + 1))),
        "sessions": found.sessions.iter().map(|p| json!({
            "id": p.session.id,
            "title": p.session.title,
            "series": p.series.title,
            "description": p.session.description,
            "date": p.session.starts_at_utc().with_timezone(&p.session.tz()).format("%B %-d, %Y").to_string(),
            "iso_date": p.session.starts_at_utc().to_rfc3339(),
            "presenters": p.presenters.join(", "),
            "levers": levers::tags(&p.levers),
            "materials": p.materials.iter().map(material_json).collect::<Vec<_>>(),
        })).collect::<Vec<_>>(),
    })
}

async fn render(
    state: web::Data<AppState>,
    series: Option<String>,
    query: PastQuery,
) -> HttpResponse {
    let filter = Filter::from_query(series.clone(), &query);
    let now = state.clock.naive();
    let (f, slug) = (filter.clone(), series.clone());
    let found = db::run(&state.pool, move |conn| {
        let series = match &slug {
            Some(slug) => match model::find_series(conn, slug)? {
                Some(s) if s.kind != model::ECHO => Some(s),
                _ => return Ok::<_, DbError>(None),
            },
            None => None,
        };
        Ok(Some((series, find(conn, &f, now)?)))
    })
    .await;
    let (series, found) = match found {
        Ok(Some(found)) => found,
        Ok(None) => return state.pages.not_found(),
        Err(e) => return state.pages.internal_error(&e.into()),
    };
    let (title, path) = match (&series, &filter.series) {
        (Some(s), Some(slug)) => (format!("Past {}s", s.title), format!("/past/{slug}")),
        _ => ("Past sessions".to_string(), "/past".to_string()),
    };
    state
        .pages
        .ok("past", &page_json(&filter, &found, &title, &path))
}

/// `GET /past`: every public series' past sessions.
pub async fn all(state: web::Data<AppState>, query: web::Query<PastQuery>) -> HttpResponse {
    render(state, None, query.into_inner()).await
}

/// `GET /past/{slug}`: one series' (`/past/jam`: Past Workforce Solutions Jams).
pub async fn one(
    state: web::Data<AppState>,
    path: web::Path<String>,
    query: web::Query<PastQuery>,
) -> HttpResponse {
    render(state, Some(path.into_inner()), query.into_inner()).await
}

pub fn routes(cfg: &mut Routes) {
    cfg.get("/past", all).get("/past/{slug}", one);
}

#[cfg(test)]
mod tests {
    use super::*;

    fn query(lever: &str, year: &str, q: &str, page: &str) -> PastQuery {
        PastQuery {
            lever: lever.into(),
            year: year.into(),
            q: q.into(),
            page: page.into(),
        }
    }

    #[test]
    fn a_query_is_read_leniently_and_written_back_the_same() {
        let f = Filter::from_query(None, &query("payment", "2026", " peer  ", "2"));
        assert_eq!(f.lever, Some("payment"));
        assert_eq!(
            (f.year, f.search.as_deref(), f.page),
            (Some(2026), Some("peer"), 2)
        );
        assert_eq!(f.query(3), "?lever=payment&year=2026&q=peer&page=3");
        assert_eq!(
            f.query(1),
            "?lever=payment&year=2026&q=peer",
            "page 1 is the bare page"
        );
        let stale = Filter::from_query(None, &query("astrology", "soon", "", "-4"));
        assert_eq!(
            (stale.lever, stale.year, stale.search.clone(), stale.page),
            (None, None, None, 1),
            "unknown values are ignored"
        );
        assert_eq!(stale.query(1), "");
    }
}
