//! On PostgreSQL, tells other processes' workers after this process's
//! writes commit: `NOTIFY` on a connection of its own, once for however
//! many commits rang while the last one was sent, and at most one each
//! `GAP`.
//!
//! Not from a trigger inside the writing transaction (as migration 000020
//! did): PostgreSQL commits transactions that notified one at a time,
//! under one lock held through the WAL flush, so a NOTIFY in every
//! registration made them all wait for each other's flush, whatever
//! session they were for (issue 18: pgbench's three inserts went from
//! about 1200/s to 600/s with the trigger on). A wake-up lost here (the
//! process ended first) only delays mail to the worker's fallback look
//! (`mail.poll_interval_ms`): the mail itself is in the committed outbox.

use std::sync::mpsc::{self, SyncSender};
use std::thread::JoinHandle;
use std::time::Duration;

use diesel::connection::SimpleConnection;
use diesel::{Connection, PgConnection};

use super::listen::OUTBOX;

/// The least time between two NOTIFYs. A NOTIFY is a transaction of its
/// own that commits (with a WAL flush: listeners check that the sender
/// committed), so one per registration in a burst would double
/// PostgreSQL's commits (issue 18). A first commit after a quiet spell is
/// told at once; in a burst other processes' workers hear of new mail at
/// most this late, and their own process's worker at once.
const GAP: Duration = Duration::from_millis(50);

pub struct Notifier {
    ring: SyncSender<()>,
    thread: Option<JoinHandle<()>>,
}

impl Notifier {
    pub fn start(url: String) -> Self {
        // One waiting ring at most: rings while it waits fold into it.
        let (ring, rung) = mpsc::sync_channel::<()>(1);
        let thread = std::thread::Builder::new()
            .name("db-notify".into())
            .spawn(move || {
                let mut conn: Option<PgConnection> = None;
                for () in rung {
                    if conn.is_none() {
                        conn = PgConnection::establish(&url).ok();
                    }
                    let sent = conn
                        .as_mut()
                        .map(|c| c.batch_execute(&format!("NOTIFY {OUTBOX}")));
                    if !matches!(sent, Some(Ok(()))) {
                        tracing::warn!("could not NOTIFY other workers of new mail");
                        conn = None;
                    }
                    // Rings meanwhile fold into the next NOTIFY.
                    std::thread::sleep(GAP);
                }
            })
            .expect("start the database notify thread");
        Self {
            ring,
            thread: Some(thread),
        }
    }

    /// After a commit: a NOTIFY follows soon (one for many rings).
    pub fn ring(&self) {
        // Full: a NOTIFY is already due, this commit's included.
        let _ = self.ring.try_send(());
    }
}

impl Drop for Notifier {
    /// Sends what is still rung before the process goes on to exit (a
    /// command-line write, say).
    fn drop(&mut self) {
        let (ring, _) = mpsc::sync_channel(1);
        drop(std::mem::replace(&mut self.ring, ring));
        if let Some(thread) = self.thread.take() {
            let _ = thread.join();
        }
    }
}
