//! Importing a report: read once as it is written (the kind, the date
//! order and every row checked as the rows go to the database in chunks,
//! through `stage`), the whole file or nothing, a dry run rolled back.

use std::collections::HashSet;

use chrono::NaiveDateTime;
use diesel::prelude::*;
use serde::Serialize;
use serde_json::json;

use crate::attendance::measures::is_staff;
use crate::attendance::parse::{self, DateOrder, Dates, Decided, Format, Roster};
use crate::attendance::stage::{self, Staged, CHUNK};
use crate::attendance::store::{marked_by_hand, refused};
use crate::audit::{self, Actor};
use crate::db::schema::{attendance, attendance_imports};
use crate::db::DbConnection;
use crate::error::ApiError;
use crate::series::model::{lock_session, Session};

/// What an import did (or, checked first, would do).
#[derive(Debug, Clone, Serialize, utoipa::ToSchema)]
pub struct Imported {
    pub import_id: i64,
    /// The kind of report, as told from the file: `zoom-webinar`,
    /// `zoom-registration`, `zoom-meeting`, `teams`, `meet` or `csv`.
    pub source: String,
    /// The same, in words.
    pub report: String,
    /// How numeric dates were read: `month-first` or `day-first`.
    pub date_order: String,
    /// Why: `file` (a date in it reads only that way), `asked` or `default`.
    pub date_order_from: String,
    /// Rows of people in the file (a rejoin is another row).
    pub rows: usize,
    /// Rows merged into an earlier one for the same address.
    pub rows_merged: usize,
    /// People in the report (rejoins merged).
    pub people: usize,
    /// Attendees who came: staff apart.
    pub attended: usize,
    /// Hosts, co-hosts and panelists: kept, counted apart.
    pub staff: usize,
    /// Of those who attended, how many had registered here.
    pub registered_here: usize,
    /// Attended without registering here.
    pub walk_ins: usize,
    /// People in the report who hold a registration for the session.
    pub registrants_matched: usize,
    /// Zoom's own count of viewers, when the report gives one: it should
    /// equal `attended` on a webinar attendee report.
    pub unique_viewers: Option<u32>,
    /// Rows with no address (a dial-in, an anonymous guest): no one to
    /// match them to, so not imported.
    pub without_address: usize,
    /// Rows of an earlier import of the session that this one replaced.
    pub replaced: usize,
    /// The file is the session's current import: nothing changed.
    pub unchanged: bool,
    /// Only checked: nothing was written.
    pub dry_run: bool,
}

/// What an import is asked to do.
#[derive(Debug, Clone, Copy, Default)]
pub struct Asked {
    /// The family of report the file must be; any when `None` (`auto`).
    pub format: Option<Format>,
    /// How to read numeric dates no date in the file settles.
    pub date_order: Option<DateOrder>,
    /// Check only: write nothing.
    pub dry_run: bool,
}

impl Asked {
    /// The report format an import names: `auto` (any, told from the
    /// content), `zoom`, `teams`, `meet` or `csv`; otherwise why not.
    pub fn format(format: &str) -> Result<Option<Format>, String> {
        if format == "auto" {
            return Ok(None);
        }
        Format::parse(format)
            .map(Some)
            .ok_or_else(|| format!("no import format `{format}` (auto, zoom, teams, meet or csv)"))
    }

    /// The date order asked for (`month-first` or `day-first`), if any;
    /// otherwise why not.
    pub fn date_order(value: Option<&str>) -> Result<Option<DateOrder>, String> {
        match value.map(str::trim).filter(|v| !v.is_empty()) {
            None => Ok(None),
            Some(v) => DateOrder::parse(v)
                .map(Some)
                .ok_or_else(|| format!("`{v}` is not month-first or day-first")),
        }
    }
}

/// The session's current import: its id, file and people (those marked by
/// hand among them).
fn current_import(
    conn: &mut DbConnection,
    session_id: i64,
) -> QueryResult<Option<(i64, String, i32)>> {
    attendance_imports::table
        .filter(attendance_imports::session_id.eq(session_id))
        .order(attendance_imports::id.desc())
        .select((
            attendance_imports::id,
            attendance_imports::file_sha256,
            attendance_imports::attendees,
        ))
        .first(conn)
        .optional()
}

/// Imports the report that `open` reads (whose bytes hash to `sha256`)
/// into `session`, as `actor`, as `asked`, in one transaction. The file is
/// read once as it is written: its kind told, every row checked, at most
/// `CHUNK` people held at once (a rejoin anywhere in the file is merged in
/// the database); a row that will not read refuses the whole file, and
/// nothing it wrote stays. Only when a date read before the file settled
/// its date order reads the other way is it read a second time. A file
/// with no people rows is refused and never replaces the current import.
/// The file that is the session's current import changes nothing; any
/// other (one imported before included) replaces it. A dry run does it all
/// and rolls it back. Audited.
pub fn import<R: std::io::Read>(
    conn: &mut DbConnection,
    actor: &Actor,
    session: &Session,
    asked: Asked,
    open: impl Fn() -> std::io::Result<R>,
    sha256: &str,
    now: NaiveDateTime,
) -> Result<Imported, ApiError> {
    if !asked.dry_run {
        // Its own savepoint when the caller's transaction holds others.
        return conn.transaction(|conn| write(conn, actor, session, asked, &open, sha256, now));
    }
    /// What rolls the dry run back: its result, or its error.
    enum Undo {
        Done(Box<Imported>),
        Failed(ApiError),
    }
    impl From<diesel::result::Error> for Undo {
        fn from(e: diesel::result::Error) -> Self {
            Undo::Failed(e.into())
        }
    }
    let tried = conn.transaction::<(), Undo, _>(|conn| {
        Err(
            match write(conn, actor, session, asked, &open, sha256, now) {
                Ok(done) => Undo::Done(Box::new(done)),
                Err(e) => Undo::Failed(e),
            },
        )
    });
    match tried {
        Err(Undo::Done(done)) => Ok(Imported {
            dry_run: true,
            ..*done
        }),
        Err(Undo::Failed(e)) => Err(e),
        Ok(()) => unreachable!("a dry run always rolls back"),
    }
}

fn write<R: std::io::Read>(
    conn: &mut DbConnection,
    actor: &Actor,
    session: &Session,
    asked: Asked,
    open: &impl Fn() -> std::io::Result<R>,
    sha256: &str,
    now: NaiveDateTime,
) -> Result<Imported, ApiError> {
    let refuse = |e: parse::ParseError| refused(e.to_string());
    let reopen = || {
        open().map_err(|e| ApiError::Internal(anyhow::Error::from(e).context("reading the report")))
    };
    if !lock_session(conn, session.id)? {
        return Err(ApiError::NotFound(format!("no session {}", session.id)));
    }
    let mut report = parse::read(reopen()?, Dates::scan(asked.date_order)).map_err(refuse)?;
    let source = report.source();
    if let Some(want) = asked.format.filter(|f| *f != source.format()) {
        return Err(refused(format!(
            "this is {}, not a {} report (import it as `{}` or `auto`)",
            source.label(),
            want.name(),
            source.format().name()
        )));
    }
    if let Some((import_id, current, people)) = current_import(conn, session.id)? {
        if current == sha256 {
            // Read all the same: the answer says what the file is and how
            // its dates read.
            let (dates, rows) = parse::settle(report).map_err(refuse)?;
            let done = counted(conn, session.id, import_id)?
                .into_imported(described(source, &dates, rows));
            let people = people as usize;
            return Ok(Imported {
                import_id,
                unchanged: true,
                people,
                rows_merged: done.rows.saturating_sub(people),
                ..done
            });
        }
    }
    let by_hand = marked_by_hand(conn, session.id)?;
    // A newer report replaces what earlier imports wrote.
    let replaced = diesel::delete(
        attendance::table
            .filter(attendance::session_id.eq(session.id))
            .filter(attendance::import_id.is_not_null()),
    )
    .execute(conn)?;
    // A file imported before, then replaced, is imported again.
    diesel::delete(
        attendance_imports::table
            .filter(attendance_imports::session_id.eq(session.id))
            .filter(attendance_imports::file_sha256.eq(sha256)),
    )
    .execute(conn)?;
    let import_id: i64 = diesel::insert_into(attendance_imports::table)
        .values((
            attendance_imports::session_id.eq(session.id),
            attendance_imports::source.eq(source.name()),
            attendance_imports::file_sha256.eq(sha256),
            attendance_imports::attendees.eq(0),
            attendance_imports::imported_by.eq(&actor.label),
            attendance_imports::created_at.eq(now),
        ))
        .returning(attendance_imports::id)
        .get_result(conn)?;
    let into = Target {
        session,
        by_hand: &by_hand,
    };
    // One pass reads, checks and stages; a refused row anywhere refuses
    // the whole file, since it is all one transaction.
    let mut written = into.stage(conn, &mut report).map_err(|e| e.refused())?;
    if report.dates().misread() {
        // A date read before a later one settled the order the other way:
        // the file is staged again, every date in that order.
        let dates = report.dates().settled();
        report = parse::read(reopen()?, dates).map_err(refuse)?;
        written = into.stage(conn, &mut report).map_err(|e| e.refused())?;
    }
    if written.rows == 0 {
        return Err(refused(format!(
            "this is {} with no people in it: nothing to import",
            source.label()
        )));
    }
    stage::merge(conn, session.id, import_id, now)?;
    let summary = report.summary();
    let mut done = counted(conn, session.id, import_id)?.into_imported(Imported {
        replaced,
        unique_viewers: summary.unique_viewers,
        without_address: summary.without_address,
        ..described(source, report.dates(), written.rows)
    });
    done.import_id = import_id;
    done.people += written.kept;
    done.rows_merged = done.rows.saturating_sub(done.people);
    diesel::update(attendance_imports::table.find(import_id))
        .set((
            attendance_imports::attendees.eq(done.people as i32),
            attendance_imports::meeting_id.eq(&summary.meeting_id),
            attendance_imports::topic.eq(&summary.topic),
        ))
        .execute(conn)?;
    audit::record(
        conn,
        actor,
        "attendance.import",
        &format!("session:{}", session.id),
        None,
        Some(json!({
            "source": source.name(), "sha256": sha256, "people": done.people,
            "attended": done.attended, "staff": done.staff, "replaced": done.replaced,
            "date_order": done.date_order,
        })),
        now,
    )?;
    Ok(done)
}

/// What a file is and how its dates read (`dates`, once its rows are
/// read), before anything is counted.
fn described(source: parse::Source, dates: &Dates, rows: usize) -> Imported {
    let (order, decided) = dates.order();
    Imported {
        import_id: 0,
        source: source.name().into(),
        report: source.label().into(),
        date_order: order.name().into(),
        date_order_from: match decided {
            Decided::File(_) => "file",
            Decided::Asked => "asked",
            Decided::Default => "default",
        }
        .into(),
        rows,
        rows_merged: 0,
        people: 0,
        attended: 0,
        staff: 0,
        registered_here: 0,
        walk_ins: 0,
        registrants_matched: 0,
        unique_viewers: None,
        without_address: 0,
        replaced: 0,
        unchanged: false,
        dry_run: false,
    }
}

/// Where a pass over a report is staged.
struct Target<'a> {
    session: &'a Session,
    /// Addresses whose attendance was marked by hand: not written.
    by_hand: &'a HashSet<String>,
}

/// What a pass wrote: rows of people read, and people left as marked by
/// hand.
struct Written {
    rows: usize,
    kept: usize,
}

/// Why a pass stopped: a row that would not read, or the database.
enum Stopped {
    Row(parse::ParseError),
    Db(diesel::result::Error),
}

impl Stopped {
    fn refused(self) -> ApiError {
        match self {
            Stopped::Row(e) => refused(e.to_string()),
            Stopped::Db(e) => e.into(),
        }
    }
}

impl Target<'_> {
    /// Reads every row of `report` into an emptied stage, in chunks of at
    /// most `CHUNK` people (a rejoin in a later chunk is merged by
    /// `stage::merge`).
    fn stage(
        &self,
        conn: &mut DbConnection,
        report: &mut parse::Reader<'_>,
    ) -> Result<Written, Stopped> {
        stage::open(conn).map_err(Stopped::Db)?;
        let tz = self.session.tz();
        let mut kept = HashSet::new();
        let (mut rows, mut chunks) = (0, 0);
        let mut chunk = Roster::default();
        loop {
            let row = report.next().transpose().map_err(Stopped::Row)?;
            let end = row.is_none();
            match row {
                Some(row) if self.by_hand.contains(&row.email) => {
                    rows += 1;
                    kept.insert(row.email);
                }
                Some(row) => {
                    rows += 1;
                    chunk.add(row);
                }
                None => {}
            }
            if chunk.len() == CHUNK || (end && !chunk.is_empty()) {
                let people = std::mem::take(&mut chunk).into_vec();
                let staged: Vec<_> = people
                    .into_iter()
                    .map(|a| Staged::new(tz, chunks, a))
                    .collect();
                stage::load(conn, &staged).map_err(Stopped::Db)?;
                chunks += 1;
            }
            if end {
                return Ok(Written {
                    rows,
                    kept: kept.len(),
                });
            }
        }
    }
}

/// What an import's rows hold, counted.
struct Counts {
    people: usize,
    attended: usize,
    staff: usize,
    registered_here: usize,
    registrants_matched: usize,
}

impl Counts {
    fn into_imported(self, done: Imported) -> Imported {
        Imported {
            people: self.people,
            attended: self.attended,
            staff: self.staff,
            registered_here: self.registered_here,
            walk_ins: self.attended - self.registered_here,
            registrants_matched: self.registrants_matched,
            ..done
        }
    }
}

/// Counts import `import_id`'s rows of `session_id`: staff apart from
/// attendees. Counted by the database: a handful of groups come back, not
/// a row per person.
fn counted(conn: &mut DbConnection, session_id: i64, import_id: i64) -> QueryResult<Counts> {
    let groups: Vec<(bool, bool, String, i64)> = attendance::table
        .filter(attendance::session_id.eq(session_id))
        .filter(attendance::import_id.eq(import_id))
        .group_by((
            attendance::attended,
            attendance::registered_here,
            attendance::role,
        ))
        .select((
            attendance::attended,
            attendance::registered_here,
            attendance::role,
            diesel::dsl::count_star(),
        ))
        .load(conn)?;
    let sum = |keep: &dyn Fn(bool, bool, &str) -> bool| {
        groups
            .iter()
            .filter(|(attended, registered, role, _)| keep(*attended, *registered, role))
            .map(|g| g.3 as usize)
            .sum()
    };
    Ok(Counts {
        people: sum(&|_, _, _| true),
        attended: sum(&|attended, _, role| attended && !is_staff(role)),
        staff: sum(&|_, _, role| is_staff(role)),
        registered_here: sum(&|attended, registered, role| {
            attended && registered && !is_staff(role)
        }),
        registrants_matched: sum(&|_, registered, _| registered),
    })
}
