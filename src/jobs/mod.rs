//! Background work: the scheduler tick (generates each series' sessions,
//! enqueues invitations, reminders, ECHO case follow-ups, sessions'
//! follow-ups and the evaluations' "what came of it", purges old mail's
//! content) and the mail workers. Runs inside `serve` or alone as
//! `convene worker`; any number of copies can run against one database.

pub mod outreach;

use std::sync::Arc;
use std::time::Duration;

use anyhow::Context;
use tokio::sync::watch;
use tokio::task::JoinHandle;
use tracing::{info, warn};

use crate::clock::Clock;
use crate::config::Settings;
use crate::db::{self, DbError, Pool};
use crate::mail::render::EmailTemplates;
use crate::mail::transport::Mailer;
use crate::mail::worker::MailWorker;
use crate::series::generate;
use crate::telemetry::Metrics;

/// Writes each configured series (organizers' edits to its defaults stay)
/// and creates the missing sessions of every recurring series still
/// configured or created by organizers, from its row; returns how many
/// sessions were created.
pub async fn sync_series(
    pool: &Pool,
    settings: Arc<Settings>,
    now: chrono::DateTime<chrono::Utc>,
) -> Result<usize, DbError> {
    db::write(pool, move |conn| {
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
        // A series no longer configured keeps its sessions but gets no new
        // ones; one created by organizers is the database's own.
        for series in crate::series::model::all_series(conn)? {
            let live = series.by_organizer() || settings.series.contains_key(&series.slug);
            if series.kind == crate::series::model::ECHO || !live {
                continue;
            }
            // The evaluation after each session asks its built-in
            // questions until the organizers change them.
            crate::evaluation::seed(conn, series.id, now.naive_utc())?;
            created +=
                generate::ensure_sessions(conn, &series, &host, now, settings.jobs.horizon_months)?;
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
    let sessions_created = sync_series(pool, settings.clone(), now).await?;
    let (invitations, reminders) = outreach::enqueue_due(pool, &settings, now).await?;
    let policy = crate::lineup::store::Policy::from_settings(&settings);
    let presenter_reminders = db::write(pool, move |conn| {
        crate::lineup::store::remind_due(conn, &policy, now.naive_utc()).map_err(DbError::from)
    })
    .await?;
    let public_url = settings.http.public_url.clone();
    let case_follow_ups = db::write(pool, move |conn| {
        crate::echo::cases::follow_ups_due(conn, &public_url, now.naive_utc())
            .map_err(DbError::from)
    })
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
        let mut handles = vec![tokio::spawn(worker.run(rx.clone()))];
        handles.push(tokio::spawn(scheduler(settings, pool, clock, rx)));
        Ok(Self { shutdown, handles })
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
