//! Materials' rows: one per stored file or link of a session. Every change
//! is audited in its own transaction.

use chrono::NaiveDateTime;
use diesel::prelude::*;
use serde::Serialize;
use serde_json::json;

use crate::archive::domain::{Kind, Link};
use crate::audit::{self, Actor};
use crate::db::schema::materials;
use crate::db::DbConnection;
use crate::error::ApiError;

#[derive(Debug, Clone, Queryable, Selectable, Identifiable)]
#[diesel(table_name = materials)]
pub struct Material {
    pub id: i64,
    pub session_id: i64,
    pub kind: String,
    pub title: String,
    pub presenter: String,
    pub published: bool,
    pub published_at: Option<NaiveDateTime>,
    pub url: Option<String>,
    pub sha256: Option<String>,
    pub size_bytes: Option<i64>,
    pub media_type: Option<String>,
    pub filename: Option<String>,
    pub created_by: String,
    pub created_at: NaiveDateTime,
    pub updated_at: NaiveDateTime,
}

impl Material {
    pub fn kind(&self) -> Kind {
        self.kind.parse().unwrap_or(Kind::Document)
    }

    /// Where it is fetched: the link itself, or our download path.
    pub fn href(&self) -> String {
        self.url
            .clone()
            .unwrap_or_else(|| format!("/materials/{}", self.id))
    }

    /// As the API and the pages show it.
    pub fn view(&self) -> MaterialView {
        MaterialView {
            id: self.id,
            session_id: self.session_id,
            kind: self.kind.clone(),
            kind_label: self.kind().label(),
            title: self.title.clone(),
            presenter: self.presenter.clone(),
            published: self.published,
            published_at: self.published_at,
            link: self.url.as_ref().map(|url| LinkView {
                url: url.clone(),
                site: url.parse::<Link>().map(|l| l.site()).unwrap_or_default(),
            }),
            file: self.sha256.as_ref().map(|sha| FileView {
                name: self.filename.clone().unwrap_or_default(),
                media_type: self.media_type.clone().unwrap_or_default(),
                size: self.size_bytes.unwrap_or(0),
                size_label: crate::content::size_label(self.size_bytes.unwrap_or(0) as u64),
                sha256: sha.clone(),
            }),
            href: self.href(),
            created_by: self.created_by.clone(),
            created_at: self.created_at,
        }
    }
}

/// A material as the API and pages show it.
#[derive(Debug, Clone, Serialize, utoipa::ToSchema)]
pub struct MaterialView {
    pub id: i64,
    pub session_id: i64,
    pub kind: String,
    pub kind_label: &'static str,
    pub title: String,
    pub presenter: String,
    pub published: bool,
    /// UTC, without an offset (`2027-01-19T18:00:00`).
    #[schema(value_type = Option<String>)]
    pub published_at: Option<NaiveDateTime>,
    pub link: Option<LinkView>,
    pub file: Option<FileView>,
    /// The link, or `/materials/{id}` (public once published).
    pub href: String,
    pub created_by: String,
    /// UTC, without an offset (`2027-01-19T18:00:00`).
    #[schema(value_type = String)]
    pub created_at: NaiveDateTime,
}

#[derive(Debug, Clone, Serialize, utoipa::ToSchema)]
pub struct LinkView {
    pub url: String,
    pub site: String,
}

#[derive(Debug, Clone, Serialize, utoipa::ToSchema)]
pub struct FileView {
    pub name: String,
    pub media_type: String,
    pub size: i64,
    pub size_label: String,
    pub sha256: String,
}

/// A stored file, as a material's row has it.
#[derive(Debug, Clone)]
pub struct StoredFile {
    pub sha256: String,
    pub size: u64,
    pub media_type: &'static str,
    pub filename: String,
}

/// What a new material is, checked.
#[derive(Debug, Clone)]
pub struct NewMaterial {
    pub session_id: i64,
    pub kind: Kind,
    pub title: String,
    pub presenter: String,
    pub published: bool,
    pub source: Source,
}

#[derive(Debug, Clone)]
pub enum Source {
    Link(Link),
    File(StoredFile),
}

pub fn find(conn: &mut DbConnection, id: i64) -> QueryResult<Option<Material>> {
    materials::table
        .find(id)
        .select(Material::as_select())
        .first(conn)
        .optional()
}

/// A session's materials, slides and recordings first, then as added.
pub fn for_session(
    conn: &mut DbConnection,
    session_id: i64,
    published_only: bool,
) -> QueryResult<Vec<Material>> {
    for_sessions(conn, &[session_id], published_only)
}

/// The materials of `sessions`, in each session slides, then recordings,
/// then the rest, as added.
pub fn for_sessions(
    conn: &mut DbConnection,
    sessions: &[i64],
    published_only: bool,
) -> QueryResult<Vec<Material>> {
    let mut q = materials::table
        .filter(materials::session_id.eq_any(sessions))
        .select(Material::as_select())
        .order(materials::id.asc())
        .into_boxed();
    if published_only {
        q = q.filter(materials::published.eq(true));
    }
    let mut rows = q.load(conn)?;
    let rank = |m: &Material| Kind::ALL.iter().position(|k| *k == m.kind()).unwrap_or(9);
    rows.sort_by_key(|m| (m.session_id, rank(m), m.id));
    Ok(rows)
}

/// Inserts `new` unless the session already has the same file, which is
/// then returned with `false` (the same upload again adds nothing).
pub fn insert(
    conn: &mut DbConnection,
    actor: &Actor,
    new: &NewMaterial,
    now: NaiveDateTime,
) -> Result<(Material, bool), ApiError> {
    if let Source::File(file) = &new.source {
        let same: Option<Material> = materials::table
            .filter(materials::session_id.eq(new.session_id))
            .filter(materials::sha256.eq(&file.sha256))
            .select(Material::as_select())
            .first(conn)
            .optional()?;
        if let Some(same) = same {
            return Ok((same, false));
        }
    }
    let (url, file) = match &new.source {
        Source::Link(link) => (Some(link.as_str().to_string()), None),
        Source::File(file) => (None, Some(file)),
    };
    let id: i64 = diesel::insert_into(materials::table)
        .values((
            materials::session_id.eq(new.session_id),
            materials::kind.eq(new.kind.as_str()),
            materials::title.eq(&new.title),
            materials::presenter.eq(&new.presenter),
            materials::published.eq(new.published),
            materials::published_at.eq(new.published.then_some(now)),
            materials::url.eq(url),
            materials::sha256.eq(file.map(|f| f.sha256.clone())),
            materials::size_bytes.eq(file.map(|f| f.size as i64)),
            materials::media_type.eq(file.map(|f| f.media_type)),
            materials::filename.eq(file.map(|f| f.filename.clone())),
            materials::created_by.eq(&actor.label),
            materials::created_at.eq(now),
            materials::updated_at.eq(now),
        ))
        .returning(materials::id)
        .get_result(conn)?;
    let material = find(conn, id)?.ok_or(diesel::result::Error::NotFound)?;
    audit::record(
        conn,
        actor,
        "material.added",
        &format!("session:{}", new.session_id),
        None,
        Some(json!({
            "material": material.id, "kind": material.kind, "title": material.title,
            "published": material.published, "sha256": material.sha256, "url": material.url,
        })),
        now,
    )?;
    Ok((material, true))
}

/// What an organizer changes on a material.
#[derive(Debug, Clone, Default)]
pub struct Changes {
    pub kind: Option<Kind>,
    pub title: Option<String>,
    pub presenter: Option<String>,
    pub published: Option<bool>,
}

/// Applies `changes` (a kind must still take the file: checked by the
/// caller, who knows its content). Publishing stamps `published_at` the
/// first time.
pub fn update(
    conn: &mut DbConnection,
    actor: &Actor,
    before: &Material,
    changes: &Changes,
    now: NaiveDateTime,
) -> Result<Material, ApiError> {
    let published = changes.published.unwrap_or(before.published);
    let published_at = before.published_at.or(published.then_some(now));
    diesel::update(materials::table.find(before.id))
        .set((
            materials::kind.eq(changes.kind.map_or(before.kind.clone(), |k| k.to_string())),
            materials::title.eq(changes.title.as_ref().unwrap_or(&before.title)),
            materials::presenter.eq(changes.presenter.as_ref().unwrap_or(&before.presenter)),
            materials::published.eq(published),
            materials::published_at.eq(published_at),
            materials::updated_at.eq(now),
        ))
        .execute(conn)?;
    let after = find(conn, before.id)?.ok_or(diesel::result::Error::NotFound)?;
    let summary = |m: &Material| json!({ "kind": m.kind, "title": m.title, "presenter": m.presenter, "published": m.published });
    audit::record(
        conn,
        actor,
        "material.changed",
        &format!("material:{}", before.id),
        Some(summary(before)),
        Some(summary(&after)),
        now,
    )?;
    Ok(after)
}

/// Removes a material; `true` when no other material keeps its file, which
/// may then go from storage.
pub fn delete(
    conn: &mut DbConnection,
    actor: &Actor,
    material: &Material,
    now: NaiveDateTime,
) -> Result<bool, ApiError> {
    diesel::delete(materials::table.find(material.id)).execute(conn)?;
    let file_unused = match &material.sha256 {
        Some(sha) => diesel::select(diesel::dsl::not(diesel::dsl::exists(
            materials::table.filter(materials::sha256.eq(sha)),
        )))
        .get_result(conn)?,
        None => false,
    };
    audit::record(
        conn,
        actor,
        "material.removed",
        &format!("session:{}", material.session_id),
        Some(json!({ "material": material.id, "kind": material.kind, "title": material.title })),
        None,
        now,
    )?;
    Ok(file_unused)
}
