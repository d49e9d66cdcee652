//! The command line: `serve`, `worker`, `migrate`, `user …` and `people …`
//! here; `session …` in `session.rs`; `report` and `import` in
//! `attendance.rs`; `list …` in `lists.rs`; `check` in `check.rs`.
//! `main.rs` parses and calls `run`.

use anyhow::Context;
use clap::{ArgGroup, Parser, Subcommand};
use tracing::info;

use crate::audit::Actor;
use crate::auth::{password, store as users, Role};
use crate::clock::Clock;
use crate::config::Settings;
use crate::db;
use crate::organizer::manage::{Capacity, JoinUrl, Length, Reason, Start, Title};
use crate::Application;

mod attendance;
mod check;
mod lists;
mod session;

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
    /// Check that the settings reach the database, the mail server (no
    /// mail is sent) and the archive's store; fails if one is out of reach.
    Check,
    /// Organizer operations on sessions: list, add, reschedule, change, cancel.
    #[command(subcommand)]
    Session(SessionCommand),
    /// Organizer accounts: create, reset a password, disable, list.
    #[command(subcommand)]
    User(UserCommand),
    /// Personal data held about one e-mail address: export it, or erase it.
    #[command(subcommand)]
    People(PeopleCommand),
    /// Mailing lists: import subscribers whose consent was given elsewhere,
    /// export the confirmed ones.
    #[command(subcommand)]
    List(ListCommand),
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

/// Both are written to the audit log (actor `cli`).
#[derive(Debug, Subcommand)]
pub enum ListCommand {
    /// Import a CSV of subscribers (email, first name, last name or name;
    /// optional organization, sector, state) as confirmed subscribers: no
    /// e-mail is sent; unsubscribed addresses stay unsubscribed; the same
    /// file again changes nothing. Bad rows are reported by line.
    Import {
        /// The list's slug, e.g. `jam`.
        #[arg(long)]
        list: String,
        /// The file (comma- or semicolon-separated, UTF-8, a BOM or not).
        file: std::path::PathBuf,
        /// Where these subscribers' consent comes from, kept with each one.
        #[arg(long)]
        consent: String,
        /// Import nothing if any row is bad.
        #[arg(long)]
        strict: bool,
    },
    /// Write the list's confirmed subscribers as CSV (with where an imported
    /// one's consent comes from), to stdout or a file.
    Export {
        #[arg(long)]
        list: String,
        /// Write here instead of stdout.
        #[arg(long, short)]
        output: Option<std::path::PathBuf>,
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
    settings.check_features(crate::app::SETTINGS_CHECKS)?;
    let runtime = tokio::runtime::Builder::new_multi_thread()
        .enable_all()
        .build()
        .context("starting the async runtime")?;
    runtime.block_on(async move {
        match cli.command {
            Command::Migrate => migrate(&settings).await.map(|_| ()),
            Command::Check => check::run(&settings).await,
            Command::Serve => serve(settings).await,
            Command::Worker => worker(settings).await,
            Command::Session(command) => session::run(&settings, command).await,
            Command::User(command) => user(&settings, command).await,
            Command::People(command) => people(&settings, command).await,
            Command::List(ListCommand::Import {
                list,
                file,
                consent,
                strict,
            }) => lists::import(&settings, &list, &file, &consent, strict).await,
            Command::List(ListCommand::Export { list, output }) => {
                lists::export(&settings, &list, output.as_deref()).await
            }
            Command::Report { series, from, to } => {
                attendance::report(&settings, &series, from, to).await
            }
            Command::Import {
                format,
                file,
                session,
                date_order,
                dry_run,
            } => {
                let asked = attendance::asked(&format, date_order.as_deref(), dry_run)?;
                attendance::import(&settings, asked, &file, session).await
            }
        }
    })
}

pub(super) async fn migrate(settings: &Settings) -> anyhow::Result<db::Pool> {
    let database = settings.database.clone();
    let key = settings.load_link_key()?.clone();
    let (pool, applied, converted) = tokio::task::spawn_blocking(move || -> anyhow::Result<_> {
        let pool = db::connect(&database).context("database")?;
        let applied = db::migrate(&pool)?;
        // A plain connection: the group-committing writer is the served
        // pool's, started later.
        let mut conn = pool.get().context("database connection")?;
        let converted = crate::db::links::convert_legacy(&mut conn, &key)
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
    let pool = migrate(&settings).await?;
    let worker = crate::app::WorkerProcess::start(settings, pool, Clock::system()).await?;
    info!(metrics_port = ?worker.metrics_port(), "convene worker is running");
    shutdown_signal().await;
    info!("stopping");
    worker.stop().await;
    Ok(())
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
