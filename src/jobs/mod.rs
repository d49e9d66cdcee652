//! Background work: the scheduler tick (generates each series' sessions,
//! enqueues invitations, reminders, ECHO case follow-ups, sessions'
//! follow-ups and the evaluations' "what came of it", purges old mail's
//! content) and the mail workers. Runs inside `serve` or alone as
//! `convene worker`; any number of copies can run against one database.

pub mod outreach;

use std::sync::Arc;
use std::time::Duration;

use anyhow::Context;
use tokio::sync::{watch, Notify};
use tokio::task::JoinHandle;
use tracing::{info, warn};

use crate::clock::Clock;
use crate::config::{DatabaseUrl, Settings};
use crate::db::{self, DbError, Pool};
use crate::mail::render::EmailTemplates;
use crate::mail::transport::Mailer;
use crate::mail::worker::MailWorker;
use crate::series::generate;
use crate::telemetry::Metrics;

/// At start-up: writes each configured series (organizers' edits to its
/// defaults stay), creates the ECHO program's configured cohorts and gives
/// every series its built-in evaluation questions (configuration only
/// changes at a restart; organizers' new series get theirs when created),
/// then creates missing sessions as a tick does; returns how many sessions
/// were created.
pub async fn sync_series(
    pool: &Pool,
    settings: Arc<Settings>,
    now: chrono::DateTime<chrono::Utc>,
) -> Result<usize, DbError> {
    let config = settings.clone();
    let created = db::write(pool, move |conn| {
        let settings = &config;
        let host = settings.http.public_url.host();
        let mut created = 0;
        for (slug, s) in &settings.series {
            let Some(series) = generate::sync_series(conn, slug, s, now.naive_utc())? else {
                // Organizers created a series of this slug: theirs it stays.
                continue;
            };
            if s.kind == crate::config::SeriesKind::Echo {
                // An ECHO program meets in cohorts, each with its own rule.
                created += crate::echo::cohorts::seed(conn, &series, s, &host, now.naive_utc())?;
            }
        }
        for series in live_series(conn, settings)? {
            // The evaluation after each session asks its built-in
            // questions until the organizers change them.
            crate::evaluation::seed(conn, series.id, now.naive_utc())?;
        }
        Ok::<_, DbError>(created)
    })
    .await?;
    Ok(created + extend_sessions(pool, settings, now).await?)
}

/// The series that get new sessions: recurring Jam-like series still
/// configured or created by organizers. One no longer configured keeps its
/// sessions but gets no new ones; an ECHO program's come from its cohorts.
fn live_series(
    conn: &mut crate::db::DbConnection,
    settings: &Settings,
) -> Result<Vec<crate::series::model::Series>, DbError> {
    Ok(crate::series::model::all_series(conn)?
        .into_iter()
        .filter(|s| s.by_organizer() || settings.series.contains_key(&s.slug))
        .filter(|s| s.kind != crate::series::model::ECHO)
        .collect())
}

/// Creates the sessions missing within `jobs.horizon_months` (each month
/// one more falls inside it); returns how many. Reads first and writes only
/// for a series that lacks one, so most ticks write nothing.
pub async fn extend_sessions(
    pool: &Pool,
    settings: Arc<Settings>,
    now: chrono::DateTime<chrono::Utc>,
) -> Result<usize, DbError> {
    let months = settings.jobs.horizon_months;
    let config = settings.clone();
    let lacking = db::run(pool, move |conn| {
        let mut lacking = Vec::new();
        for series in live_series(conn, &config)? {
            if generate::sessions_missing(conn, &series, now, months)? {
                lacking.push(series);
            }
        }
        Ok::<_, DbError>(lacking)
    })
    .await?;
    if lacking.is_empty() {
        return Ok(0);
    }
    let host = settings.http.public_url.host();
    db::write(pool, move |conn| {
        let mut created = 0;
        for series in &lacking {
            created += generate::ensure_sessions(conn, series, &host, now, months)?;
        }
        Ok(created)
    })
    .await
}

/// What one scheduler tick did.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct Tick {
    pub sessions_created: usize,
    pub invitations: usize,
    pub reminders: usize,
    /// Reminders of invitations to present still unanswered.
    pub presenter_reminders: usize,
    /// ECHO presenters asked what came of the hub's recommendations.
    pub case_follow_ups: usize,
    /// Registrants followed up after a session (and told of materials
    /// published later, when configured).
    pub session_follow_ups: usize,
    /// Registrants asked what came of what they said they would take back.
    pub since_asked: usize,
    /// Finished messages past `mail.retention_days` whose content went.
    pub mail_purged: usize,
}

/// One scheduler tick at `now`: sessions ahead, then due invitations and
/// reminders, then reminders of unanswered invitations to present, then
/// the follow-ups of ECHO cases. Safe to run from several instances at once.
pub async fn tick(
    pool: &Pool,
    settings: Arc<Settings>,
    now: chrono::DateTime<chrono::Utc>,
) -> Result<Tick, DbError> {
    let sessions_created = extend_sessions(pool, settings.clone(), now).await?;
    let (invitations, reminders) = outreach::enqueue_due(pool, &settings, now).await?;
    let policy = crate::lineup::store::Policy::from_settings(&settings);
    let naive = now.naive_utc();
    let presenter_reminders = when_due(
        pool,
        {
            let policy = policy.clone();
            move |conn| crate::lineup::store::reminders_due(conn, &policy, naive)
        },
        move |conn| crate::lineup::store::remind_due(conn, &policy, naive),
    )
    .await?;
    let public_url = settings.http.public_url.clone();
    let case_follow_ups = when_due(
        pool,
        move |conn| crate::echo::cases::any_follow_up_due(conn, naive),
        move |conn| crate::echo::cases::follow_ups_due(conn, &public_url, naive),
    )
    .await?;
    let session_follow_ups =
        crate::archive::follow_up::enqueue_due(pool, &settings, now.naive_utc()).await?;
    let since_asked = crate::evaluation::since::ask_due(pool, &settings, now.naive_utc()).await?;
    let mail_purged = purge_old_mail(pool, &settings, now).await?;
    Ok(Tick {
        sessions_created,
        invitations,
        reminders,
        presenter_reminders,
        case_follow_ups,
        session_follow_ups,
        since_asked,
        mail_purged,
    })
}

/// Runs `write` (a transaction) only when `due` (a read) finds work: a
/// tick with nothing due takes no write lock and writes nothing.
async fn when_due<D, W>(pool: &Pool, due: D, write: W) -> Result<usize, DbError>
where
    D: FnOnce(&mut crate::db::DbConnection) -> diesel::QueryResult<bool> + Send + 'static,
    W: Fn(&mut crate::db::DbConnection) -> diesel::QueryResult<usize> + Send + 'static,
{
    if !db::run(pool, move |conn| due(conn).map_err(DbError::from)).await? {
        return Ok(0);
    }
    db::write(pool, move |conn| write(conn).map_err(DbError::from)).await
}

/// Sent mail is kept `mail.retention_days`: then what each message said
/// goes (in batches, each its own transaction), and so do the file
/// transport's copies.
async fn purge_old_mail(
    pool: &Pool,
    settings: &Settings,
    now: chrono::DateTime<chrono::Utc>,
) -> Result<usize, DbError> {
    const BATCH: u32 = 1000;
    let days = settings.mail.retention_days;
    if days == 0 {
        return Ok(0);
    }
    let cutoff = now - chrono::Duration::days(i64::from(days));
    // Read first: most ticks find nothing. The file transport's copies are
    // as old as their rows' sending, so they wait for the same moment.
    let due = db::run(pool, move |conn| {
        crate::mail::outbox::any_to_purge(conn, cutoff.naive_utc()).map_err(DbError::from)
    })
    .await?;
    if !due {
        return Ok(0);
    }
    let mut purged = 0;
    loop {
        let done = db::write(pool, move |conn| {
            crate::mail::outbox::purge_finished(conn, cutoff.naive_utc(), BATCH)
                .map_err(DbError::from)
        })
        .await?;
        purged += done;
        if done < BATCH as usize {
            break;
        }
    }
    let mail = settings.mail.clone();
    let expired = tokio::task::spawn_blocking(move || {
        crate::mail::transport::expire_copies(&mail, cutoff.into())
    })
    .await;
    if let Ok(Err(e)) | Err(e) = expired.map_err(std::io::Error::other) {
        warn!(error = %e, "could not remove old copies of sent mail");
    }
    Ok(purged)
}

/// The running background tasks.
pub struct Workers {
    shutdown: watch::Sender<bool>,
    handles: Vec<JoinHandle<()>>,
    /// PostgreSQL: wakes the mail worker for mail other instances queue.
    _listener: Option<crate::db::listen::Listener>,
}

impl Workers {
    /// Starts the scheduler and one mail worker.
    pub fn start(
        settings: Arc<Settings>,
        pool: Pool,
        metrics: Arc<Metrics>,
        clock: Clock,
    ) -> anyhow::Result<Self> {
        let (shutdown, rx) = watch::channel(false);
        let mailer = Mailer::from_settings(&settings.mail).map_err(anyhow::Error::msg)?;
        let templates = Arc::new(EmailTemplates::load().context("e-mail templates")?);
        let worker = MailWorker {
            pool: pool.clone(),
            mailer,
            templates,
            settings: settings.mail.clone(),
            links: settings.load_link_key()?.clone(),
            metrics,
            clock: clock.clone(),
        };
        let wake = Arc::new(Notify::new());
        let listener = match &settings.database.url {
            DatabaseUrl::Postgres(url) => Some(crate::db::listen::start(
                url.clone(),
                crate::db::listen::OUTBOX,
                wake.clone(),
            )),
            DatabaseUrl::Sqlite(_) => None,
        };
        let mut handles = vec![tokio::spawn(worker.run(wake, rx.clone()))];
        handles.push(tokio::spawn(scheduler(settings, pool, clock, rx)));
        Ok(Self {
            shutdown,
            handles,
            _listener: listener,
        })
    }

    /// Asks every task to stop and waits for it (a send in progress finishes).
    pub async fn stop(self) {
        let _ = self.shutdown.send(true);
        for h in self.handles {
            let _ = h.await;
        }
    }
}

async fn scheduler(
    settings: Arc<Settings>,
    pool: Pool,
    clock: Clock,
    mut shutdown: watch::Receiver<bool>,
) {
    let every = Duration::from_secs(settings.jobs.tick_seconds);
    while !*shutdown.borrow() {
        tokio::select! {
            _ = tokio::time::sleep(every) => {}
            _ = shutdown.changed() => break,
        }
        match tick(&pool, settings.clone(), clock.now()).await {
            Ok(t) if t == Tick::default() => {}
            Ok(t) => info!(
                sessions = t.sessions_created,
                invitations = t.invitations,
                reminders = t.reminders,
                presenter_reminders = t.presenter_reminders,
                case_follow_ups = t.case_follow_ups,
                since_asked = t.since_asked,
                mail_purged = t.mail_purged,
                "scheduler queued work"
            ),
            Err(e) => warn!(error = %e, "scheduler tick failed"),
        }
    }
}
