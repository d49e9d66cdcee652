//! The command line: `serve`, `worker`, `migrate`, `session …`, `user …` and `people …` for
//! organizers. `main.rs` parses and calls `run`.

use std::sync::Arc;

use anyhow::Context;
use clap::{ArgGroup, Parser, Subcommand};
use tracing::info;

use crate::attendance::parse::DateOrder;
use crate::audit::Actor;
use crate::auth::{password, store as users, Role};
use crate::clock::Clock;
use crate::config::Settings;
use crate::db;
use crate::jobs::{self, Workers};
use crate::registration::store::Policy;
use crate::series::manage::{
    self, Capacity, Changed, Details, JoinUrl, Length, NewSession, Reason, Start, Title,
};
use crate::telemetry::Metrics;
use crate::Application;

#[derive(Debug, Parser)]
#[command(
    name = "convene",
    version,
    about = "Event and webinar operations for the Workforce Solutions Jam and ECHO"
)]
pub struct Cli {
    #[command(subcommand)]
    pub command: Command,
}

#[derive(Debug, Subcommand)]
pub enum Command {
    /// Apply pending migrations, then serve HTTP and run the background workers.
    Serve,
    /// Run only the background workers (mail, scheduler); start several to scale out.
    Worker,
    /// Apply pending database migrations and exit.
    Migrate,
    /// Organizer operations on sessions: list, add, reschedule, change, cancel.
    #[command(subcommand)]
    Session(SessionCommand),
    /// Organizer accounts: create, reset a password, disable, list.
    #[command(subcommand)]
    User(UserCommand),
    /// Personal data held about one e-mail address: export it, or erase it.
    #[command(subcommand)]
    People(PeopleCommand),
    /// A series' sessions with their attendance measures, as a table.
    Report {
        #[arg(long)]
        series: String,
        /// YYYY-MM-DD (UTC), included; a year before `--to` by default.
        #[arg(long)]
        from: Option<chrono::NaiveDate>,
        /// YYYY-MM-DD (UTC), excluded; now by default.
        #[arg(long)]
        to: Option<chrono::NaiveDate>,
    },
    /// Import who attended a session from a report file (written whole or
    /// not at all; the session's current file again changes nothing).
    Import {
        /// auto (told from the content), zoom (webinar attendee or
        /// registration report, meeting participant report), teams, meet,
        /// or csv (any CSV with an e-mail column).
        #[arg(value_parser = ["auto", "zoom", "teams", "meet", "csv"])]
        format: String,
        /// The report as downloaded.
        file: std::path::PathBuf,
        #[arg(long)]
        session: i64,
        /// How to read dates like 03/04/2025 when no date in the file has
        /// a day past 12: month-first (the default) or day-first.
        #[arg(long, value_parser = ["month-first", "day-first"])]
        date_order: Option<String>,
        /// Check the file and say what it would give; write nothing.
        #[arg(long)]
        dry_run: bool,
    },
}

/// Both are written to the audit log (actor `cli`), without the address.
/// They cover every table that can hold a person: the person record,
/// registrations, subscriptions, proposals and working-group interests,
/// lineup slots, ECHO applications, cases and their attachments, faculty,
/// attendance, materials' presenters, organizer accounts, messages and
/// audit entries.
#[derive(Debug, Subcommand)]
pub enum PeopleCommand {
    /// Print everything held about the address as JSON, one list per kind
    /// of record.
    Export {
        #[arg(long)]
        email: String,
    },
    /// Replace the person's details and remove what they wrote and sent
    /// (attachments, mail copies); kill every link they were sent (manage,
    /// unsubscribe, presenter answer, ECHO page). Counted rows stay,
    /// anonymous: registrations, attendance, applications.
    Erase {
        #[arg(long)]
        email: String,
    },
}

/// Every change is written to the audit log (actor `cli`).
#[derive(Debug, Subcommand)]
pub enum UserCommand {
    /// Create an account; prompts for the password (or reads one line with --password-stdin).
    Create {
        #[arg(long)]
        email: String,
        #[arg(long)]
        name: String,
        /// admin, organizer or facilitator.
        #[arg(long)]
        role: Role,
        #[arg(long)]
        password_stdin: bool,
    },
    /// Set a new password; every sign-in of the account ends and a lockout is lifted.
    ResetPassword {
        #[arg(long)]
        email: String,
        #[arg(long)]
        password_stdin: bool,
    },
    /// Disable an account; its tokens stop working at once.
    Disable {
        #[arg(long)]
        email: String,
    },
    /// List accounts, with the cohorts each facilitator runs.
    List,
    /// Assign a facilitator to a cohort: they then see and run it.
    Assign {
        #[arg(long)]
        email: String,
        /// The cohort's slug, e.g. `cohort-3`.
        #[arg(long)]
        cohort: String,
    },
    /// End a facilitator's assignment to a cohort.
    Unassign {
        #[arg(long)]
        email: String,
        #[arg(long)]
        cohort: String,
    },
}

/// Every change is one transaction that also queues the e-mails it causes
/// (calendar updates to registrants); the running service sends them.
#[derive(Debug, Subcommand)]
pub enum SessionCommand {
    /// List upcoming sessions with their registered and waitlisted counts.
    List {
        /// Only this series (its slug, e.g. `jam`).
        #[arg(long)]
        series: Option<String>,
        /// Also past and cancelled sessions.
        #[arg(long)]
        all: bool,
    },
    /// Add a one-off session outside the series' rule (e.g. a national meeting).
    Create {
        /// The series' slug, e.g. `jam`; what is not given comes from it.
        #[arg(long)]
        series: String,
        /// "2027-01-12 14:00" in the series' time zone, or RFC 3339 with an offset.
        #[arg(long)]
        start: Start,
        /// `90m`, `1h30m` or minutes; default: the series'.
        #[arg(long, allow_negative_numbers = true)]
        duration: Option<Length>,
        #[arg(long)]
        title: Title,
        #[arg(long)]
        description: Option<String>,
        #[arg(long)]
        join_url: Option<JoinUrl>,
        #[arg(long)]
        capacity: Option<Capacity>,
    },
    /// Move a session; registrants get the updated calendar invitation.
    Reschedule {
        id: i64,
        /// "2027-01-12 14:00" in the series' time zone, or RFC 3339 with an offset.
        #[arg(long)]
        start: Start,
        /// `90m`, `1h30m` or minutes; default: the session's current length.
        #[arg(long, allow_negative_numbers = true)]
        duration: Option<Length>,
    },
    /// Change a session's details; more places promote the waitlist.
    #[command(group(ArgGroup::new("details").required(true).multiple(true)))]
    Update {
        id: i64,
        #[arg(long, group = "details")]
        title: Option<Title>,
        #[arg(long, group = "details")]
        description: Option<String>,
        #[arg(long, group = "details")]
        join_url: Option<JoinUrl>,
        #[arg(long, group = "details", allow_negative_numbers = true)]
        capacity: Option<Capacity>,
    },
    /// Cancel a session (e.g. a skipped month); registrants are told why and
    /// the event leaves their calendars.
    Cancel {
        id: i64,
        /// Told to everyone registered.
        #[arg(long)]
        reason: Reason,
    },
}

pub fn run(cli: Cli) -> anyhow::Result<()> {
    let settings = Settings::load()?;
    let runtime = tokio::runtime::Builder::new_multi_thread()
        .enable_all()
        .build()
        .context("starting the async runtime")?;
    runtime.block_on(async move {
        match cli.command {
            Command::Migrate => migrate(&settings).await.map(|_| ()),
            Command::Serve => serve(settings).await,
            Command::Worker => worker(settings).await,
            Command::Session(command) => session(&settings, command).await,
            Command::User(command) => user(&settings, command).await,
            Command::People(command) => people(&settings, command).await,
            Command::Report { series, from, to } => report(&settings, &series, from, to).await,
            Command::Import {
                format,
                file,
                session,
                date_order,
                dry_run,
            } => {
                let asked = crate::attendance::store::Asked {
                    format: handlers_expected(&format)?,
                    date_order: date_order.as_deref().and_then(DateOrder::parse),
                    dry_run,
                };
                import(&settings, asked, &file, session).await
            }
        }
    })
}

async fn migrate(settings: &Settings) -> anyhow::Result<db::Pool> {
    let database = settings.database.clone();
    let key = settings.load_link_key()?.clone();
    let (pool, applied, converted) = tokio::task::spawn_blocking(move || -> anyhow::Result<_> {
        let pool = db::connect(&database).context("database")?;
        let applied = db::migrate(&pool)?;
        // A plain connection: the group-committing writer is the served
        // pool's, started later.
        let mut conn = pool.get().context("database connection")?;
        let converted = crate::links::convert_legacy(&mut conn, &key)
            .context("converting private links to hashes")?;
        drop(conn);
        Ok((pool, applied, converted))
    })
    .await??;
    if converted > 0 {
        info!(converted, "private links now stored as hashes");
    }
    if applied.is_empty() {
        info!(
            backend = settings.database.url.backend(),
            "database schema is up to date"
        );
    } else {
        info!(
            backend = settings.database.url.backend(),
            ?applied,
            "applied migrations"
        );
    }
    Ok(pool)
}

async fn serve(settings: Settings) -> anyhow::Result<()> {
    migrate(&settings).await?;
    let app = Application::build(settings.clone()).await?;
    info!(
        bind = %settings.http.bind,
        port = app.port(),
        public_url = settings.http.public_url.as_str(),
        mail = ?settings.mail.transport,
        "convene is serving"
    );
    app.run_until_stopped().await?;
    Ok(())
}

async fn worker(settings: Settings) -> anyhow::Result<()> {
    let settings = Arc::new(settings);
    let pool = migrate(&settings).await?;
    let clock = Clock::system();
    jobs::sync_series(&pool, settings.clone(), clock.now()).await?;
    let workers = Workers::start(settings, pool, Arc::new(Metrics::new()), clock)?;
    info!("convene worker is running");
    shutdown_signal().await;
    info!("stopping");
    workers.stop().await;
    Ok(())
}

async fn session(settings: &Settings, command: SessionCommand) -> anyhow::Result<()> {
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

async fn shutdown_signal() {
    #[cfg(unix)]
    {
        let mut term = tokio::signal::unix::signal(tokio::signal::unix::SignalKind::terminate())
            .expect("SIGTERM handler");
        tokio::select! {
            _ = tokio::signal::ctrl_c() => {}
            _ = term.recv() => {}
        }
    }
    #[cfg(not(unix))]
    let _ = tokio::signal::ctrl_c().await;
}

/// The new password: one line from stdin, or typed twice at a prompt.
fn read_new_password(from_stdin: bool) -> anyhow::Result<String> {
    let password = if from_stdin {
        let mut line = String::new();
        std::io::stdin().read_line(&mut line)?;
        line.trim_end_matches(['\r', '\n']).to_string()
    } else {
        let first = rpassword::prompt_password("New password: ")?;
        let again = rpassword::prompt_password("Again: ")?;
        anyhow::ensure!(first == again, "the two passwords differ");
        first
    };
    password::check_new(&password).map_err(anyhow::Error::msg)?;
    Ok(password)
}

async fn user(settings: &Settings, command: UserCommand) -> anyhow::Result<()> {
    let mut settings = settings.clone();
    settings.database.pool_size = settings.database.pool_size.min(2);
    let pool = migrate(&settings).await?;
    let now = Clock::system().naive();
    match command {
        UserCommand::Create {
            email,
            name,
            role,
            password_stdin,
        } => {
            crate::mail::EmailAddress::parse(&email).map_err(anyhow::Error::msg)?;
            anyhow::ensure!(!name.trim().is_empty(), "--name must not be empty");
            let hash = password::hash_async(read_new_password(password_stdin)?)
                .await
                .map_err(anyhow::Error::msg)?;
            let user = db::write(&pool, move |conn| {
                users::create(conn, &Actor::cli(), &email, &name, role, &hash, now)
            })
            .await?;
            println!("Created {} ({}), user {}.", user.email, user.role, user.id);
        }
        UserCommand::ResetPassword {
            email,
            password_stdin,
        } => {
            let hash = password::hash_async(read_new_password(password_stdin)?)
                .await
                .map_err(anyhow::Error::msg)?;
            let user = db::write(&pool, move |conn| {
                users::set_password(conn, &Actor::cli(), &email, &hash, now)
            })
            .await?;
            println!(
                "New password set for {}; their sign-ins were ended.",
                user.email
            );
        }
        UserCommand::Disable { email } => {
            let user = db::write(&pool, move |conn| {
                users::disable(conn, &Actor::cli(), &email, now)
            })
            .await?;
            println!("Disabled {}; their tokens no longer work.", user.email);
        }
        UserCommand::List => {
            let all = db::run(&pool, |conn| {
                let all = users::list(conn)?;
                let runs = crate::echo::facilitators::all_assignments(conn)?;
                Ok::<_, db::DbError>((all, runs))
            })
            .await?;
            let (all, runs) = all;
            for u in all {
                let state = if u.is_disabled() {
                    "disabled"
                } else {
                    "active"
                };
                let cohorts: Vec<&str> = runs
                    .iter()
                    .filter(|(user_id, _)| *user_id == u.id)
                    .map(|(_, slug)| slug.as_str())
                    .collect();
                let cohorts = match cohorts.is_empty() {
                    true => String::new(),
                    false => format!("  runs {}", cohorts.join(", ")),
                };
                println!(
                    "{:>4}  {:<40} {:<12} {}  {}{cohorts}",
                    u.id, u.email, u.role, state, u.name
                );
            }
        }
        UserCommand::Assign { email, cohort } => {
            let user = db::write(&pool, move |conn| {
                let found = crate::echo::facilitators::cohort_by_slug(conn, &cohort)?;
                crate::echo::facilitators::assign(conn, &Actor::cli(), &found, &email, now)
            })
            .await
            .map_err(plain)?;
            println!("{} runs the cohort now.", user.email);
        }
        UserCommand::Unassign { email, cohort } => {
            let user = db::write(&pool, move |conn| {
                let found = crate::echo::facilitators::cohort_by_slug(conn, &cohort)?;
                let user = users::find_by_email(conn, &email)?.ok_or_else(|| {
                    crate::error::ApiError::NotFound(format!("no user with e-mail {email}"))
                })?;
                crate::echo::facilitators::unassign(conn, &Actor::cli(), &found, user.id, now)
            })
            .await
            .map_err(plain)?;
            println!("{} no longer runs the cohort.", user.email);
        }
    }
    Ok(())
}

/// An API refusal as one line for the terminal, its fields' messages
/// included.
fn plain(e: crate::error::ApiError) -> anyhow::Error {
    match e {
        crate::error::ApiError::Invalid { message, fields } if !fields.is_empty() => {
            let fields: Vec<String> = fields.iter().map(|(f, m)| format!("{f}: {m}")).collect();
            anyhow::anyhow!("{message} {}", fields.join("; "))
        }
        crate::error::ApiError::Internal(e) => e,
        other => anyhow::anyhow!("{other}"),
    }
}

async fn report(
    settings: &Settings,
    slug: &str,
    from: Option<chrono::NaiveDate>,
    to: Option<chrono::NaiveDate>,
) -> anyhow::Result<()> {
    let mut settings = settings.clone();
    settings.database.pool_size = settings.database.pool_size.min(2);
    let pool = migrate(&settings).await?;
    let to = to.map_or_else(
        || Clock::system().naive(),
        |d| d.and_time(chrono::NaiveTime::MIN),
    );
    let from = from.map_or(to - chrono::Duration::days(365), |d| {
        d.and_time(chrono::NaiveTime::MIN)
    });
    let baseline = settings.series.get(slug).and_then(|s| s.baseline);
    let name = slug.to_string();
    let points = db::run(&pool, move |conn| {
        let series = crate::series::model::find_series(conn, &name)?;
        match series {
            Some(series) => {
                crate::attendance::measures::for_series(conn, series.id, from, to, baseline)
                    .map(Some)
                    .map_err(db::DbError::from)
            }
            None => Ok(None),
        }
    })
    .await?
    .with_context(|| format!("no series `{slug}`"))?;
    print!("{}", crate::attendance::exports::table(&points, baseline));
    Ok(())
}

fn handlers_expected(format: &str) -> anyhow::Result<Option<crate::attendance::parse::Format>> {
    crate::attendance::handlers::expected(format).map_err(|e| anyhow::anyhow!("{e}"))
}

async fn import(
    settings: &Settings,
    asked: crate::attendance::store::Asked,
    file: &std::path::Path,
    session_id: i64,
) -> anyhow::Result<()> {
    use crate::attendance::store;
    use sha2::Digest;
    let read = || std::fs::File::open(file).with_context(|| format!("reading {}", file.display()));
    let mut hash = sha2::Sha256::new();
    let size = std::io::copy(&mut read()?, &mut hash)
        .with_context(|| format!("reading {}", file.display()))?;
    let sha256 = format!("{:x}", hash.finalize());
    let mut settings = settings.clone();
    settings.database.pool_size = settings.database.pool_size.min(2);
    let pool = migrate(&settings).await?;
    // The bar follows the bytes read: the file is read twice, as it is
    // written (first to check it, then into the database).
    let bar = indicatif::ProgressBar::new(size * 2).with_style(
        indicatif::ProgressStyle::with_template("{bar:40} {bytes}/{total_bytes} {elapsed}")
            .unwrap_or_else(|_| indicatif::ProgressStyle::default_bar()),
    );
    let (shown, now, path) = (bar.clone(), Clock::system().naive(), file.to_path_buf());
    let done = db::write(&pool, move |conn| {
        let (session, _) = crate::series::model::session_or_404(conn, session_id)?;
        shown.set_position(0);
        let open = || std::fs::File::open(&path).map(|f| shown.wrap_read(f));
        store::import(conn, &Actor::cli(), &session, asked, open, &sha256, now)
    })
    .await
    .map_err(|e| anyhow::anyhow!("{}: {e}", file.display()))?;
    bar.finish_and_clear();
    print!("{}", import_summary(&done, session_id));
    Ok(())
}

/// What an import did (or would do), for a terminal.
fn import_summary(done: &crate::attendance::store::Imported, session_id: i64) -> String {
    let order = match done.date_order_from.as_str() {
        "file" => "a date in the file reads only that way",
        "asked" => "as asked: no date in the file settles it",
        _ => "the default: no date in the file settles it",
    };
    let mut out = format!(
        "{} ({}); dates read {} ({order}).\n",
        capitalized(&done.report),
        done.source,
        done.date_order
    );
    if done.unchanged {
        out.push_str(&format!(
            "This file is session {session_id}'s current import (import {}): nothing changed.\n",
            done.import_id
        ));
        return out;
    }
    out.push_str(&format!(
        "{} people from {} row(s) ({} merged): {} attended, {} of them registered here, {} walk-in(s); {} staff (hosts and panelists, apart); {} registrant(s) found in the report.\n",
        done.people, done.rows, done.rows_merged, done.attended, done.registered_here,
        done.walk_ins, done.staff, done.registrants_matched
    ));
    if done.without_address > 0 {
        out.push_str(&format!(
            "{} row(s) without an address (dial-ins, anonymous guests) could not be matched to anyone and are left out.\n",
            done.without_address
        ));
    }
    if let Some(viewers) = done.unique_viewers {
        out.push_str(&format!(
            "The report's own count of unique viewers: {viewers}.\n"
        ));
    }
    out.push_str(&if done.dry_run {
        format!(
            "Dry run: nothing was written (importing would replace {} earlier row(s)).\n",
            done.replaced
        )
    } else {
        format!(
            "Imported into session {session_id}; {} earlier row(s) replaced.\n",
            done.replaced
        )
    });
    out
}

fn capitalized(text: &str) -> String {
    let mut chars = text.chars();
    chars
        .next()
        .map_or_else(String::new, |c| c.to_uppercase().chain(chars).collect())
}

async fn people(settings: &Settings, command: PeopleCommand) -> anyhow::Result<()> {
    use crate::privacy;
    let mut settings = settings.clone();
    settings.database.pool_size = settings.database.pool_size.min(2);
    let pool = migrate(&settings).await?;
    let now = Clock::system().naive();
    let email = match &command {
        PeopleCommand::Export { email } | PeopleCommand::Erase { email } => {
            crate::mail::EmailAddress::parse(email).map_err(anyhow::Error::msg)?
        }
    };
    match command {
        PeopleCommand::Export { .. } => {
            let found = db::write(&pool, move |conn| {
                privacy::export(conn, &Actor::cli(), &email, now)
            })
            .await?
            .context("nothing is held about that e-mail address")?;
            println!("{}", serde_json::to_string_pretty(&found.document)?);
        }
        PeopleCommand::Erase { .. } => {
            let erased = privacy::erase(&pool, &settings, Actor::cli(), email, now)
                .await?
                .context("nothing is held about that e-mail address")?;
            let touched: Vec<String> = erased
                .counts
                .iter()
                .filter(|(_, n)| *n > 0)
                .map(|(part, n)| format!("{part} {n}"))
                .collect();
            println!(
                "Erased {}: rows touched: {}.",
                erased
                    .person_id
                    .map_or("the address".to_string(), |id| format!("person {id}")),
                if touched.is_empty() {
                    "none besides the person record".to_string()
                } else {
                    touched.join(", ")
                }
            );
        }
    }
    Ok(())
}
