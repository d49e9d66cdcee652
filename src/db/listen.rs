//! PostgreSQL `LISTEN` on a connection of its own: rings a `Notify` when a
//! transaction anywhere (this process or another) `NOTIFY`s the channel,
//! which PostgreSQL delivers at its commit. Lets a worker sleep instead of
//! querying for work that another instance queued.

use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::Arc;
use std::time::Duration;

use diesel::connection::SimpleConnection;
use diesel::{Connection, PgConnection};
use tokio::sync::Notify;

/// The channel every process notifies after its writes commit
/// (`db::notify`).
pub const OUTBOX: &str = "convene_outbox";

/// How often the listening thread looks at what its connection received:
/// a non-blocking read of the socket's buffer, no round trip to the server.
/// Mail another instance queues is picked up within this; this process's
/// own wakes its worker at once (`Pool::committed`). (diesel does not lend
/// out the socket to wait on, so the thread looks.)
const LOOK_EVERY: Duration = Duration::from_secs(1);

/// The listening thread; it stops when this is dropped.
pub struct Listener {
    stop: Arc<AtomicBool>,
}

impl Drop for Listener {
    fn drop(&mut self) {
        self.stop.store(true, Ordering::Relaxed);
    }
}

/// Listens on `channel` at `url`, ringing `ring` on each notification (and
/// once after each (re)connection, for what was missed while away).
pub fn start(url: String, channel: &'static str, ring: Arc<Notify>) -> Listener {
    let stop = Arc::new(AtomicBool::new(false));
    let stopped = stop.clone();
    std::thread::Builder::new()
        .name("db-listen".into())
        .spawn(move || listen(&url, channel, &ring, &stopped))
        .expect("start the database listener thread");
    Listener { stop }
}

fn listen(url: &str, channel: &str, ring: &Notify, stop: &AtomicBool) {
    let mut conn: Option<PgConnection> = None;
    let mut backoff = LOOK_EVERY;
    while !stop.load(Ordering::Relaxed) {
        let Some(c) = conn.as_mut() else {
            match PgConnection::establish(url)
                .map_err(|e| e.to_string())
                .and_then(|mut c| {
                    c.batch_execute(&format!("LISTEN {channel}"))
                        .map_err(|e| e.to_string())?;
                    Ok(c)
                }) {
                Ok(c) => {
                    conn = Some(c);
                    backoff = LOOK_EVERY;
                    ring.notify_one();
                }
                Err(e) => {
                    tracing::warn!(error = %e, "cannot listen for queued mail; retrying");
                    std::thread::sleep(backoff);
                    backoff = (backoff * 2).min(Duration::from_secs(30));
                }
            }
            continue;
        };
        let mut rang = false;
        let mut lost = false;
        for notification in c.notifications_iter() {
            match notification {
                Ok(_) => rang = true,
                Err(e) => {
                    tracing::warn!(error = %e, "lost the connection listening for queued mail");
                    lost = true;
                    break;
                }
            }
        }
        if rang {
            ring.notify_one();
        }
        if lost {
            conn = None;
        }
        std::thread::sleep(LOOK_EVERY);
    }
}
