//! SQLite's single writer, with group commit. SQLite lets one transaction
//! write at a time, so this process's writes queue here instead of
//! contending for the file lock; a dedicated thread takes whatever has queued
//! (up to `MAX_BATCH`) and runs it in one transaction, each job inside its
//! own savepoint. A job that fails rolls back alone; callers hear back only
//! after the commit, so an answer still means "durably written".

use std::panic::{catch_unwind, AssertUnwindSafe};
use std::sync::mpsc;

use diesel::r2d2;
use diesel::Connection;
use tokio::sync::oneshot;

use super::{DbConnection, DbError, Manager};

const MAX_BATCH: usize = 64;

/// Runs a job's work (or, given no connection, fails it); returns what to
/// tell its caller once the batch's commit is known.
type Job = Box<dyn FnOnce(Option<&mut DbConnection>) -> Deliver + Send>;
type Deliver = Box<dyn FnOnce(Result<(), String>) + Send>;

pub struct Writer {
    jobs: mpsc::Sender<Job>,
}

impl Writer {
    /// Starts the writer thread; it ends when the last `Writer` handle is
    /// dropped.
    pub fn start(pool: r2d2::Pool<Manager>) -> Self {
        let (jobs, queue) = mpsc::channel::<Job>();
        std::thread::Builder::new()
            .name("sqlite-writer".into())
            .spawn(move || run(pool, queue))
            .expect("start the SQLite writer thread");
        Self { jobs }
    }

    /// Queues `f` and waits for it to be committed (or to fail).
    pub async fn submit<T, E, F>(&self, f: F) -> Result<T, E>
    where
        F: FnOnce(&mut DbConnection) -> Result<T, E> + Send + 'static,
        T: Send + 'static,
        E: From<DbError> + From<diesel::result::Error> + Send + 'static,
    {
        let (reply, answer) = oneshot::channel::<Result<T, E>>();
        let job: Job = Box::new(move |conn| {
            // Its own savepoint: an error undoes this job's writes only.
            let result = match conn {
                Some(conn) => conn.transaction(f),
                None => Err(E::from(DbError::Commit(
                    "no database connection available".into(),
                ))),
            };
            Box::new(move |commit: Result<(), String>| {
                let outcome = match (result, commit) {
                    (Ok(value), Ok(())) => Ok(value),
                    (Ok(_), Err(e)) => Err(E::from(DbError::Commit(e))),
                    (Err(e), _) => Err(e),
                };
                let _ = reply.send(outcome);
            })
        });
        self.jobs
            .send(job)
            .map_err(|_| E::from(DbError::Commit("the SQLite writer has stopped".into())))?;
        match answer.await {
            Ok(outcome) => outcome,
            // The job panicked: let the caller's task panic as it would have.
            Err(_) => panic!("a database write panicked (see the log above)"),
        }
    }
}

fn run(pool: r2d2::Pool<Manager>, queue: mpsc::Receiver<Job>) {
    while let Ok(first) = queue.recv() {
        let mut batch = vec![first];
        while batch.len() < MAX_BATCH {
            match queue.try_recv() {
                Ok(job) => batch.push(job),
                Err(_) => break,
            }
        }
        let mut conn = match pool.get() {
            Ok(conn) => conn,
            Err(e) => {
                tracing::error!(error = %e, "SQLite writer has no connection");
                for job in batch {
                    job(None)(Err(e.to_string()));
                }
                continue;
            }
        };
        let mut deliveries: Vec<Deliver> = Vec::with_capacity(batch.len());
        let committed = conn.transaction::<_, diesel::result::Error, _>(|conn| {
            // Take SQLite's write lock first, so a second process holding it
            // makes us wait (busy timeout) instead of failing a read-to-write
            // upgrade later. No row matches; the statement still opens a
            // write transaction.
            diesel::connection::SimpleConnection::batch_execute(
                conn,
                "UPDATE series SET id = id WHERE id = -1",
            )?;
            for job in batch {
                match catch_unwind(AssertUnwindSafe(|| job(Some(conn)))) {
                    Ok(deliver) => deliveries.push(deliver),
                    Err(_) => return Err(diesel::result::Error::RollbackTransaction),
                }
            }
            Ok(())
        });
        let committed = committed.map_err(|e| e.to_string());
        for deliver in deliveries {
            deliver(committed.clone());
        }
    }
}
