//! `convene session …`: list, create, move, cancel and restore sessions,
//! with what each change did.

use super::{migrate, SessionCommand};
use crate::audit::Actor;
use crate::clock::Clock;
use crate::config::Settings;
use crate::db;
use crate::organizer::manage::{self, Changed, Details, NewSession};
use crate::registration::store::Policy;

pub(super) async fn run(settings: &Settings, command: SessionCommand) -> anyhow::Result<()> {
    // One command, one transaction: no need to open a service-sized pool.
    let mut settings = settings.clone();
    settings.database.pool_size = settings.database.pool_size.min(2);
    let settings = &settings;
    let pool = migrate(settings).await?;
    let now = Clock::system().naive();
    let policy = Policy::from_settings(settings);
    let changed = match command {
        SessionCommand::List { series, all } => {
            let rows = db::run(&pool, move |conn| {
                manage::list(conn, series.as_deref(), all, now)
            })
            .await?;
            print_list(&rows, all);
            return Ok(());
        }
        SessionCommand::Create {
            series,
            start,
            duration,
            title,
            description,
            join_url,
            capacity,
        } => {
            let new = NewSession {
                series,
                start,
                length: duration,
                title,
                description,
                join_url,
                capacity,
            };
            let uid = manage::new_uid(&settings.http.public_url);
            let created = db::write(&pool, move |conn| {
                manage::create(conn, &Actor::cli(), &new, &uid, now)
            })
            .await?;
            notes(&created);
            let s = &created.session;
            println!(
                "Created session {} in {}: \"{}\", {}; no messages queued.",
                s.id,
                created.series.slug,
                s.title,
                s.when()
            );
            return Ok(());
        }
        SessionCommand::Reschedule {
            id,
            start,
            duration,
        } => {
            db::write(&pool, move |conn| {
                manage::reschedule(conn, &Actor::cli(), &policy, id, start, duration, now)
            })
            .await?
        }
        SessionCommand::Update {
            id,
            title,
            description,
            join_url,
            capacity,
        } => {
            let details = Details {
                title,
                description,
                join_url,
                capacity,
            };
            db::write(&pool, move |conn| {
                manage::update(conn, &Actor::cli(), &policy, id, &details, now)
            })
            .await?
        }
        SessionCommand::Cancel { id, reason } => {
            db::write(&pool, move |conn| {
                manage::cancel(conn, &Actor::cli(), &policy, id, &reason, now)
            })
            .await?
        }
    };
    notes(&changed);
    println!("{}", summary(&changed));
    Ok(())
}

fn notes(changed: &Changed) {
    for note in &changed.notes {
        eprintln!("note: {note}");
    }
}

/// The one line that says what a change did.
fn summary(c: &Changed) -> String {
    let (before, after) = (&c.before, &c.session);
    let id = after.id;
    if c.unchanged() {
        return format!("Session {id} already was as asked: nothing changed; no messages queued.");
    }
    let queued = match c.queued {
        0 => "no messages queued".to_string(),
        1 => "1 message queued".to_string(),
        n => format!("{n} messages queued"),
    };
    let promoted = match c.promoted {
        0 => String::new(),
        n => format!(" ({n} promoted from the waitlist)"),
    };
    if after.is_cancelled() {
        return format!(
            "Cancelled session {id} (\"{}\", {}); {queued}.",
            after.title,
            after.when()
        );
    }
    if (before.starts_at, before.ends_at) != (after.starts_at, after.ends_at) {
        return format!(
            "Rescheduled session {id} (\"{}\") from {} to {}; {queued}.",
            after.title,
            before.when(),
            after.when()
        );
    }
    let mut what = Vec::new();
    if before.title != after.title {
        what.push(format!("title \"{}\" → \"{}\"", before.title, after.title));
    }
    if before.description != after.description {
        what.push("description".to_string());
    }
    if before.join_url != after.join_url {
        what.push(format!("join URL {}", after.join_url));
    }
    if before.capacity != after.capacity {
        what.push(format!("capacity {} → {}", before.capacity, after.capacity));
    }
    format!(
        "Updated session {id} (\"{}\"): {}; {queued}{promoted}.",
        after.title,
        what.join(", ")
    )
}

fn print_list(rows: &[manage::Listed], all: bool) {
    if rows.is_empty() {
        println!(
            "{}",
            if all {
                "No sessions."
            } else {
                "No upcoming sessions."
            }
        );
        return;
    }
    let header = [
        "ID",
        "SERIES",
        "WHEN",
        "TITLE",
        "STATUS",
        "REGISTERED",
        "WAITLISTED",
    ];
    let lines: Vec<[String; 7]> = rows
        .iter()
        .map(|r| {
            [
                r.session.id.to_string(),
                r.series.slug.clone(),
                r.session.when(),
                r.session.title.clone(),
                r.session.status.clone(),
                r.registered.to_string(),
                r.waitlisted.to_string(),
            ]
        })
        .collect();
    let mut widths = header.map(|h| h.chars().count());
    for line in &lines {
        for (w, cell) in widths.iter_mut().zip(line) {
            *w = (*w).max(cell.chars().count());
        }
    }
    let row = |cells: &[String]| {
        cells
            .iter()
            .zip(widths)
            .map(|(c, w)| format!("{c:<w$}"))
            .collect::<Vec<_>>()
            .join("  ")
            .trim_end()
            .to_string()
    };
    println!("{}", row(&header.map(String::from)));
    for line in &lines {
        println!("{}", row(line));
    }
}
