//! The mail worker: claims due outbox rows, renders and sends them, marks
//! them sent, or schedules a retry with backoff until it gives up. Several
//! workers (tasks or processes) can run against one database.

use std::sync::atomic::{AtomicBool, AtomicUsize, Ordering};
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

/// What a drain has in hand: the ids of messages the server accepted, not
/// yet marked sent, and of every message claimed and not yet done with. A
/// claim made while earlier messages are still going out may return one of
/// them again (its lease ran out, as when a clock is moved on): it is not
/// sent twice.
#[derive(Default)]
struct Progress {
    accepted: Mutex<Vec<i64>>,
    working: Mutex<std::collections::HashSet<i64>>,
}

/// When a message may go (its reserved send slot, if rate-limited), and
/// how many of its batch are not yet done: when the last is, what was
/// accepted is marked sent, so a crash resends no more than before claims
/// were pipelined.
struct Paced {
    at: Option<tokio::time::Instant>,
    batch_left: Arc<AtomicUsize>,
}

/// One claim's rows and, with a rate limit, when its first slot starts.
struct Batch {
    rows: Vec<OutboxRow>,
    start: Option<tokio::time::Instant>,
    gap: Duration,
}

impl Batch {
    /// Groups of as many messages as go out at once, each message with its
    /// slot: each group's list mail is looked at once more just before the
    /// group starts.
    fn groups(
        self,
        in_flight: usize,
    ) -> BoxStream<'static, Result<Vec<(Paced, OutboxRow)>, DbError>> {
        let Batch { rows, start, gap } = self;
        let batch_left = Arc::new(AtomicUsize::new(rows.len()));
        let mut paced = rows.into_iter().enumerate().map(move |(i, row)| {
            let at = start.map(|start| start + gap * i as u32);
            let batch_left = batch_left.clone();
            (Paced { at, batch_left }, row)
        });
        let mut groups = Vec::new();
        loop {
            let group: Vec<_> = paced.by_ref().take(in_flight).collect();
            if group.is_empty() {
                break;
            }
            groups.push(Ok(group));
        }
        stream::iter(groups).boxed()
    }
}

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
                Ok(Some(wait)) if wait.is_zero() => match self.drain(&shutdown).await {
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

    /// Claims batches and sends them until nothing is due, `shutdown` turns
    /// true or the database fails; returns how many messages it took. The
    /// next batch is claimed as soon as the last of the current one has
    /// started, so the connections never wait for a batch to drain. With a
    /// rate limit, each claim also reserves its batch's send slots (shared
    /// by every worker) and each message waits for its slot. Up to
    /// `smtp_pool_size` messages (never more than a batch) are in flight at
    /// once; accepted ones are marked sent [`MARK_GROUP`] at a time and when
    /// their batch is done.
    pub async fn drain(&self, shutdown: &watch::Receiver<bool>) -> Result<usize, DbError> {
        // No more in flight than a batch holds: claiming ahead never widens
        // what a crash can leave half-done.
        let in_flight = self
            .settings
            .smtp_pool_size
            .min(self.settings.batch_size)
            .max(1) as usize;
        let failed = AtomicBool::new(false);
        let claimed = AtomicUsize::new(0);
        let progress = Arc::new(Progress::default());
        // Each message is rendered and sent by a task of its own, so the
        // runtime spreads that work over its threads.
        let worker = Arc::new(self.clone());
        let (failed, claimed, progress) = (&failed, &claimed, &progress);
        let batches = stream::unfold((), move |()| async move {
            if *shutdown.borrow() || failed.load(Ordering::Relaxed) {
                return None;
            }
            match self.claim().await {
                Ok(mut batch) => {
                    let mut working = progress.working.lock().unwrap();
                    batch.rows.retain(|row| working.insert(row.id));
                    drop(working);
                    if batch.rows.is_empty() {
                        // Nothing new, or only what is still going out.
                        return None;
                    }
                    claimed.fetch_add(batch.rows.len(), Ordering::Relaxed);
                    Some((Ok(batch), ()))
                }
                Err(e) => Some((Err(e), ())),
            }
        });
        // Boxed: proves the stream `Send` here, where its lifetimes are
        // concrete (rustc cannot see through `then` inside `tokio::spawn`).
        let rows: BoxStream<'_, Result<(Paced, OutboxRow), DbError>> = batches
            .flat_map(|batch| match batch {
                Ok(batch) => batch.groups(in_flight),
                Err(e) => stream::iter(vec![Err(e)]).boxed(),
            })
            .then(|group| async move {
                match group {
                    Ok(group) => self.drop_unsubscribed(group, progress).await,
                    Err(e) => Err(e),
                }
            })
            .flat_map(|group| {
                stream::iter(match group {
                    Ok(rows) => rows.into_iter().map(Ok).collect(),
                    Err(e) => vec![Err(e)],
                })
            })
            .boxed();
        let sends = rows.map(|item| {
            let (worker, progress) = (worker.clone(), progress.clone());
            async move {
                let (paced, row) = item?;
                let send = async move {
                    if let Some(at) = paced.at {
                        tokio::time::sleep_until(at).await;
                    }
                    let span = tracing::info_span!("send_mail", id = row.id, template = %row.template, to = %mask(&row.recipient), attempt = row.attempts);
                    let delivered = worker.deliver(row, &progress).instrument(span).await;
                    let marked = worker.done(&paced, &progress).await;
                    delivered.and(marked)
                };
                db::joined(tokio::spawn(send).await)
            }
        });
        let mut first_error = None;
        let mut results = sends.buffer_unordered(in_flight);
        while let Some(result) = results.next().await {
            if let Err(e) = result {
                failed.store(true, Ordering::Relaxed);
                first_error.get_or_insert(e);
            }
        }
        // Whatever happened to the others, what was accepted is marked.
        let rest = std::mem::take(&mut *progress.accepted.lock().unwrap());
        self.mark_sent(rest, progress).await?;
        match first_error {
            Some(e) => Err(e),
            None => Ok(claimed.load(Ordering::Relaxed)),
        }
    }

    /// Claims one batch (with a rate limit, reserving its send slots).
    async fn claim(&self) -> Result<Batch, DbError> {
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
        let start = first_slot.map(|first| {
            let wait = (first - Utc::now()).to_std().unwrap_or_default();
            tokio::time::Instant::now() + wait
        });
        Ok(Batch {
            rows,
            start,
            gap: rate::interval(per_second).to_std().unwrap_or_default(),
        })
    }

    /// The group without the list mail that was dropped (unsubscribed)
    /// while it waited in the batch: one query for the group.
    async fn drop_unsubscribed(
        &self,
        group: Vec<(Paced, OutboxRow)>,
        progress: &Progress,
    ) -> Result<Vec<(Paced, OutboxRow)>, DbError> {
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
        let mut kept = Vec::with_capacity(group.len());
        for (paced, row) in group {
            if row.subscription_id.is_none() || pending.contains(&row.id) {
                kept.push((paced, row));
            } else {
                info!(id = row.id, to = %mask(&row.recipient), "no longer to be sent");
                progress.working.lock().unwrap().remove(&row.id);
                self.done(&paced, progress).await?;
            }
        }
        Ok(kept)
    }

    /// One message of a batch is done with: after the batch's last, what
    /// was accepted is marked sent.
    async fn done(&self, paced: &Paced, progress: &Progress) -> Result<(), DbError> {
        if paced.batch_left.fetch_sub(1, Ordering::AcqRel) != 1 {
            return Ok(());
        }
        let ids = std::mem::take(&mut *progress.accepted.lock().unwrap());
        self.mark_sent(ids, progress).await
    }

    /// Marks `ids` sent; only then may a claim hand them out again.
    async fn mark_sent(&self, ids: Vec<i64>, progress: &Progress) -> Result<(), DbError> {
        if ids.is_empty() {
            return Ok(());
        }
        let now = self.clock.naive();
        let marked = ids.clone();
        db::write(&self.pool, move |conn| {
            outbox::mark_sent(conn, &marked, now).map_err(DbError::from)
        })
        .await?;
        let mut working = progress.working.lock().unwrap();
        for id in ids {
            working.remove(&id);
        }
        Ok(())
    }

    #[instrument(skip_all)]
    async fn deliver(&self, row: OutboxRow, progress: &Progress) -> Result<(), DbError> {
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
                    let mut ids = progress.accepted.lock().unwrap();
                    ids.push(id);
                    (ids.len() >= MARK_GROUP).then(|| std::mem::take(&mut *ids))
                };
                if let Some(group) = full {
                    self.mark_sent(group, progress).await?;
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
                // Its retry is recorded: a later claim may hand it out.
                progress.working.lock().unwrap().remove(&id);
            }
        }
        Ok(())
    }
}
