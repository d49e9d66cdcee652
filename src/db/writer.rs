//! SQLite's single writer, with group commit. SQLite lets one transaction
//! write at a time, so a process's write transactions queue here instead of
//! contending for the file lock (and sleeping in its busy handler); one
//! thread takes whatever has queued (up to `MAX_BATCH`) and runs it as one
//! transaction, each job inside its own savepoint, so one commit serves many
//! requests. A job that fails rolls back alone; callers hear back only after
//! the commit, so an answer still means "durably written". If the batch as a
//! whole fails (a lost connection, the lock held too long by another process), each
//! job is run again in a transaction of its own.

use std::panic::{catch_unwind, AssertUnwindSafe};
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{mpsc, Arc};
use std::time::Duration;

use diesel::connection::SimpleConnection;
use diesel::r2d2::ManageConnection;
use diesel::Connection;
use tokio::sync::oneshot;

use super::{DbConnection, DbError, Manager};

const MAX_BATCH: usize = 64;

/// One caller's work and the way back to it.
trait Job: Send {
    /// Runs the work in a savepoint of the open transaction and keeps its
    /// result. Runs again (replacing that result) if the batch is retried.
    fn run(&mut self, conn: &mut DbConnection);
    /// Answers the caller: its kept result if the transaction committed.
    fn finish(self: Box<Self>, committed: Result<(), String>);
}

struct Pending<T, E, F> {
    work: F,
    result: Option<Result<T, E>>,
    reply: oneshot::Sender<Result<T, E>>,
}

impl<T, E, F> Job for Pending<T, E, F>
where
    F: Fn(&mut DbConnection) -> Result<T, E> + Send,
    T: Send,
    E: From<DbError> + From<diesel::result::Error> + Send,
{
    fn run(&mut self, conn: &mut DbConnection) {
        self.result = Some(conn.transaction(|conn| (self.work)(conn)));
    }

    fn finish(self: Box<Self>, committed: Result<(), String>) {
        let outcome = match (self.result, committed) {
            (Some(Err(e)), _) => Err(e),
            (Some(Ok(value)), Ok(())) => Ok(value),
            (Some(Ok(_)), Err(e)) | (None, Err(e)) => Err(E::from(DbError::Commit(e))),
            (None, Ok(())) => Err(E::from(DbError::Commit("the write never ran".into()))),
        };
        let _ = self.reply.send(outcome);
    }
}

pub struct Writer {
    jobs: mpsc::Sender<Box<dyn Job>>,
}

impl Writer {
    /// Starts the writer thread with a connection of its own; the thread
    /// ends when the last handle is dropped. `changes` goes up after every
    /// transaction it ends, before any of its callers hears back.
    pub fn start(manager: Manager, changes: Arc<AtomicU64>) -> Self {
        let (jobs, queue) = mpsc::channel::<Box<dyn Job>>();
        std::thread::Builder::new()
            .name("db-writer".into())
            .spawn(move || run(manager, queue, &changes))
            .expect("start the database writer thread");
        Self { jobs }
    }

    /// Queues `work` and waits until it is committed (or has failed).
    /// `work` may run twice: once in a batch, again alone if the batch fails.
    pub async fn submit<T, E, F>(&self, work: F) -> Result<T, E>
    where
        F: Fn(&mut DbConnection) -> Result<T, E> + Send + 'static,
        T: Send + 'static,
        E: From<DbError> + From<diesel::result::Error> + Send + 'static,
    {
        let (reply, answer) = oneshot::channel::<Result<T, E>>();
        let job = Box::new(Pending {
            work,
            result: None,
            reply,
        });
        self.jobs
            .send(job)
            .map_err(|_| E::from(DbError::Commit("the database writer has stopped".into())))?;
        match answer.await {
            Ok(outcome) => outcome,
            // Dropped unanswered: the job panicked. Fail this caller as the
            // panic would have.
            Err(_) => panic!("a database write panicked (see the log)"),
        }
    }
}

/// Opens the writer's connection, retrying until the database answers.
fn connect(manager: &Manager) -> DbConnection {
    let mut wait = Duration::from_millis(100);
    loop {
        match manager.connect() {
            Ok(conn) => return conn,
            Err(e) => {
                tracing::error!(error = %e, "database writer cannot connect; retrying");
                std::thread::sleep(wait);
                wait = (wait * 2).min(Duration::from_secs(5));
            }
        }
    }
}

fn run(manager: Manager, queue: mpsc::Receiver<Box<dyn Job>>, changes: &AtomicU64) {
    let mut conn: Option<DbConnection> = None;
    while let Ok(first) = queue.recv() {
        let mut batch = vec![first];
        while batch.len() < MAX_BATCH {
            match queue.try_recv() {
                Ok(job) => batch.push(job),
                Err(_) => break,
            }
        }
        let c = conn.get_or_insert_with(|| connect(&manager));
        let mut panicked = None;
        let outcome = c.transaction::<_, diesel::result::Error, _>(|c| {
            super::take_write_lock(c)?;
            for (i, job) in batch.iter_mut().enumerate() {
                if catch_unwind(AssertUnwindSafe(|| job.run(c))).is_err() {
                    panicked = Some(i);
                    return Err(diesel::result::Error::RollbackTransaction);
                }
            }
            Ok(())
        });
        changes.fetch_add(1, Ordering::Release);
        if let Some(i) = panicked {
            // Its savepoint was never closed: start over on a new connection,
            // and drop the job so its caller learns it panicked.
            tracing::error!("a database write panicked; its batch is retried without it");
            drop(batch.remove(i));
            conn = None;
        }
        match outcome {
            Ok(()) => batch.into_iter().for_each(|job| job.finish(Ok(()))),
            Err(e) => {
                if panicked.is_none() {
                    tracing::warn!(error = %e, jobs = batch.len(), "write batch failed; running its jobs one by one");
                    if conn
                        .as_mut()
                        .is_some_and(|c| c.batch_execute("SELECT 1").is_err())
                    {
                        conn = None;
                    }
                }
                for mut job in batch {
                    let c = conn.get_or_insert_with(|| connect(&manager));
                    let alone = c
                        .transaction::<_, diesel::result::Error, _>(|c| {
                            super::take_write_lock(c)?;
                            job.run(c);
                            Ok(())
                        })
                        .map_err(|e| e.to_string());
                    changes.fetch_add(1, Ordering::Release);
                    job.finish(alone);
                }
            }
        }
    }
}
