//! The mail worker: claims due outbox rows, renders and sends them, marks
//! them sent, or schedules a retry with backoff until it gives up. Several
//! workers (tasks or processes) can run against one database.

use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use chrono::{Duration as ChronoDuration, Utc};
use futures_util::stream::{self, BoxStream, StreamExt};
use tokio::sync::{watch, Notify};
use tracing::{info, instrument, warn, Instrument};

use crate::clock::Clock;
use crate::config::MailSettings;
use crate::db::{self, DbError, Pool};
use crate::mail::address::mask;
use crate::mail::outbox::{self, AfterFailure, OutboxRow};
use crate::mail::rate;
use crate::mail::render::EmailTemplates;
use crate::mail::transport::Mailer;
use crate::telemetry::Metrics;

/// Accepted messages are marked sent this many at a time (one UPDATE): a
/// crash resends at most the accepted messages not yet marked.
pub const MARK_GROUP: usize = 64;

/// Ids of messages the server accepted, not yet marked sent.
#[derive(Default)]
struct Accepted(Mutex<Vec<i64>>);

#[derive(Clone)]
pub struct MailWorker {
    pub pool: Pool,
    pub mailer: Mailer,
    pub templates: Arc<EmailTemplates>,
    pub settings: MailSettings,
    /// Opens the sealed links in queued mail (see `links`).
    pub links: crate::web::links::LinkKey,
    pub metrics: Arc<Metrics>,
    pub clock: Clock,
}

impl MailWorker {
    /// Drains the outbox until `shutdown` turns true. Between batches it
    /// reads when the next message falls due and sleeps until then, or until
    /// a write of this process commits (`Pool::committed`: new mail is only
    /// ever queued in a write), or until `wake` rings (another process's
    /// mail, PostgreSQL's `LISTEN`), or at most `mail.poll_interval_ms`: the
    /// fallback that picks up what nothing announced (another process on
    /// SQLite, an expired lease). Nothing is claimed, so nothing written,
    /// while nothing is due.
    pub async fn run(self, wake: Arc<Notify>, mut shutdown: watch::Receiver<bool>) {
        let fallback = Duration::from_millis(self.settings.poll_interval_ms);
        while !*shutdown.borrow() {
            let pause = match self.next_due().await {
                Ok(Some(wait)) if wait.is_zero() => match self.process_batch().await {
                    Ok(n) if n > 0 => continue,
                    Ok(_) => fallback,
                    Err(e) => {
                        warn!(error = %e, "mail worker could not reach the database");
                        fallback
                    }
                },
                Ok(Some(wait)) => wait.min(fallback),
                Ok(None) => fallback,
                Err(e) => {
                    warn!(error = %e, "mail worker could not reach the database");
                    fallback
                }
            };
            tokio::select! {
                _ = tokio::time::sleep(pause) => {}
                _ = self.pool.committed().notified() => {}
                _ = wake.notified() => {}
                // An error means the sender is gone: stop as well.
                changed = shutdown.changed() => if changed.is_err() { break },
            }
        }
    }

    /// How long until the next queued message may be claimed (zero: now),
    /// or `None` when nothing waits. A read: no lock taken.
    async fn next_due(&self) -> Result<Option<Duration>, DbError> {
        let now = self.clock.naive();
        let at = db::run(&self.pool, |conn| {
            outbox::next_due(conn).map_err(DbError::from)
        })
        .await?;
        Ok(at.map(|at| (at - now).to_std().unwrap_or_default()))
    }

    /// Claims one batch and handles it; returns how many messages it took.
    /// With a rate limit, the claim also reserves the batch's send slots
    /// (shared by every worker) and each message waits for its slot. Up to
    /// `smtp_pool_size` messages are in flight at once; accepted ones are
    /// marked sent [`MARK_GROUP`] at a time, and the rest when the batch
    /// ends.
    pub async fn process_batch(&self) -> Result<usize, DbError> {
        let lease = ChronoDuration::seconds(i64::from(self.settings.lease_seconds));
        let per_second = self.settings.rate_per_second;
        // A rate-limited batch is at most about a second of sending, so
        // slots are never reserved far past the lease.
        let limit = match per_second {
            0 => self.settings.batch_size,
            r => self.settings.batch_size.min(r),
        };
        let now = self.clock.naive();
        let (rows, first_slot) = db::write(&self.pool, move |conn| {
            let rows = outbox::claim(conn, now, lease, limit)?;
            let first = match per_second {
                0 => None,
                _ if rows.is_empty() => None,
                r => Some(rate::reserve(conn, rows.len(), r, Utc::now())?),
            };
            Ok::<_, DbError>((rows, first))
        })
        .await?;
        let n = rows.len();
        let start = first_slot.map(|first| {
            let wait = (first - Utc::now()).to_std().unwrap_or_default();
            tokio::time::Instant::now() + wait
        });
        let gap = rate::interval(per_second).to_std().unwrap_or_default();
        let in_flight = self.settings.smtp_pool_size.max(1) as usize;
        // Groups of as many messages as go out at once: each group's list
        // mail is looked at once more just before the group starts.
        let mut numbered = rows.into_iter().enumerate().peekable();
        let mut groups = Vec::new();
        while numbered.peek().is_some() {
            groups.push(numbered.by_ref().take(in_flight).collect::<Vec<_>>());
        }
        let accepted = Accepted::default();
        let accepted = &accepted;
        // Boxed: proves the stream `Send` here, where its lifetimes are
        // concrete (rustc cannot see through `then` inside `tokio::spawn`).
        let rows: BoxStream<'_, Result<(usize, OutboxRow), DbError>> = stream::iter(groups)
            .then(|group| self.drop_unsubscribed(group))
            .flat_map(|group| {
                stream::iter(match group {
                    Ok(rows) => rows.into_iter().map(Ok).collect(),
                    Err(e) => vec![Err(e)],
                })
            })
            .boxed();
        let sends = rows.map(|item| async move {
                let (i, row) = item?;
                if let Some(start) = start {
                    tokio::time::sleep_until(start + gap * i as u32).await;
                }
                let span = tracing::info_span!("send_mail", id = row.id, template = %row.template, to = %mask(&row.recipient), attempt = row.attempts);
                self.deliver(row, accepted).instrument(span).await
            });
        let results: Vec<Result<(), DbError>> = sends.buffer_unordered(in_flight).collect().await;
        // Whatever happened to the others, what was accepted is marked.
        let rest = std::mem::take(&mut *accepted.0.lock().unwrap());
        self.mark_sent(rest).await?;
        results.into_iter().collect::<Result<Vec<()>, DbError>>()?;
        Ok(n)
    }

    /// The group without the list mail that was dropped (unsubscribed)
    /// while it waited in the batch: one query for the group.
    async fn drop_unsubscribed(
        &self,
        group: Vec<(usize, OutboxRow)>,
    ) -> Result<Vec<(usize, OutboxRow)>, DbError> {
        let list_mail: Vec<i64> = group
            .iter()
            .filter(|(_, row)| row.subscription_id.is_some())
            .map(|(_, row)| row.id)
            .collect();
        if list_mail.is_empty() {
            return Ok(group);
        }
        let pending = db::run(&self.pool, move |conn| {
            outbox::still_pending(conn, &list_mail).map_err(DbError::from)
        })
        .await?;
        Ok(group
            .into_iter()
            .filter(|(_, row)| {
                let keep = row.subscription_id.is_none() || pending.contains(&row.id);
                if !keep {
                    info!(id = row.id, to = %mask(&row.recipient), "no longer to be sent");
                }
                keep
            })
            .collect())
    }

    async fn mark_sent(&self, ids: Vec<i64>) -> Result<(), DbError> {
        if ids.is_empty() {
            return Ok(());
        }
        let now = self.clock.naive();
        db::write(&self.pool, move |conn| {
            outbox::mark_sent(conn, &ids, now).map_err(DbError::from)
        })
        .await
    }

    #[instrument(skip_all)]
    async fn deliver(&self, row: OutboxRow, accepted: &Accepted) -> Result<(), DbError> {
        let id = row.id;
        let result = match self.templates.message(
            &row,
            &self.settings.from,
            &self.settings.unsubscribe_mailto,
            &self.links,
        ) {
            Ok(message) => {
                let handed = Instant::now();
                let sent = self.mailer.send(message).await;
                if sent.is_ok() {
                    self.metrics
                        .mail_send_seconds
                        .observe(handed.elapsed().as_secs_f64());
                }
                sent.map_err(|e| (e.message, e.permanent))
            }
            // A message that cannot be built will never be: fail it now.
            Err(e) => Err((e.to_string(), true)),
        };
        match result {
            Ok(()) => {
                self.metrics.mails_sent.inc();
                info!("sent");
                let full = {
                    let mut ids = accepted.0.lock().unwrap();
                    ids.push(id);
                    (ids.len() >= MARK_GROUP).then(|| std::mem::take(&mut *ids))
                };
                if let Some(group) = full {
                    self.mark_sent(group).await?;
                }
            }
            Err((error, permanent)) => {
                let s = &self.settings;
                let outcome = outbox::after_failure(
                    row.attempts,
                    permanent,
                    self.clock.naive(),
                    s.max_attempts,
                    ChronoDuration::milliseconds(s.retry_base_ms as i64),
                    ChronoDuration::milliseconds(s.retry_max_ms as i64),
                );
                match outcome {
                    AfterFailure::RetryAt(at) => {
                        self.metrics.mails_retried.inc();
                        warn!(%error, retry_at = %at, "send failed, will retry")
                    }
                    AfterFailure::GaveUp => {
                        self.metrics.mails_failed.inc();
                        warn!(%error, "send failed, giving up")
                    }
                }
                db::write(&self.pool, move |conn| {
                    outbox::record_failure(conn, id, outcome, &error).map_err(DbError::from)
                })
                .await?;
            }
        }
        Ok(())
    }
}
