//! Background work: the scheduler tick (keeps each series' sessions
//! generated) and the mail workers. Runs inside `serve` or alone as
//! `convene worker`; any number of copies can run against one database.

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

/// Writes each configured series and creates its missing sessions; returns
/// how many sessions were created.
pub async fn sync_series(
    pool: &Pool,
    settings: Arc<Settings>,
    now: chrono::DateTime<chrono::Utc>,
) -> Result<usize, DbError> {
    db::write(pool, move |conn| {
        let host = url::Url::parse(settings.http.public_url.as_str())
            .ok()
            .and_then(|u| u.host_str().map(str::to_string))
            .unwrap_or_else(|| "convene".into());
        let mut created = 0;
        for (slug, s) in &settings.series {
            let id = generate::sync_series(conn, slug, s, now.naive_utc())?;
            created +=
                generate::ensure_sessions(conn, id, s, &host, now, settings.jobs.horizon_months)?;
        }
        Ok(created)
    })
    .await
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
    let tick = Duration::from_secs(settings.jobs.tick_seconds);
    while !*shutdown.borrow() {
        tokio::select! {
            _ = tokio::time::sleep(tick) => {}
            _ = shutdown.changed() => break,
        }
        match sync_series(&pool, settings.clone(), clock.now()).await {
            Ok(0) => {}
            Ok(n) => info!(created = n, "scheduler created sessions"),
            Err(e) => warn!(error = %e, "scheduler tick failed"),
        }
    }
}
