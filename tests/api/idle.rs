//! An idle service costs nothing (issue 18): a scheduler tick with nothing
//! due writes nothing, and the mail worker is woken by the mail it must
//! send instead of polling for it; `convene worker` serves its own metrics.

use std::time::Duration;

use convene::app::WorkerProcess;
use convene::clock::Clock;
use convene::db::{self, DbConnection};
use diesel::connection::SimpleConnection;
use diesel::prelude::*;
use diesel::sql_types::BigInt;

use crate::helpers::TestApp;

enum Backend {
    Sqlite,
    Postgres,
}

/// The backend this run tests (CONVENE_TEST_DATABASE_URL).
fn app_backend() -> Backend {
    match std::env::var("CONVENE_TEST_DATABASE_URL") {
        Ok(url) if url.starts_with("postgres") => Backend::Postgres,
        _ => Backend::Sqlite,
    }
}

/// A fallback look so rare that no test outlives it: whatever arrives,
/// arrived because something woke the worker.
const HOURLY: u64 = 3_600_000;

/// Waits (bounded) for `n` messages at the test's SMTP server.
async fn arrived(app: &TestApp, n: usize) -> usize {
    for _ in 0..300 {
        if app.smtp.received().len() >= n {
            break;
        }
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
    app.smtp.received().len()
}

/// A second set of workers with a pool of its own, as another instance or
/// `convene worker` runs them.
async fn other_process(
    app: &TestApp,
    adjust: impl FnOnce(&mut convene::Settings),
) -> WorkerProcess {
    let mut settings = app.settings.clone();
    adjust(&mut settings);
    let database = settings.database.clone();
    let pool = tokio::task::spawn_blocking(move || db::connect(&database).unwrap())
        .await
        .unwrap();
    WorkerProcess::start(settings, pool, Clock::system())
        .await
        .expect("worker starts")
}

#[tokio::test]
async fn a_confirmation_leaves_at_once_though_the_worker_looks_only_hourly() {
    let app = TestApp::spawn_with(|s| s.mail.poll_interval_ms = HOURLY).await;
    // Let the worker settle into its hourly sleep first.
    tokio::time::sleep(Duration::from_millis(200)).await;
    let session = app.next_jam().await;
    app.register_ok(session, "prompt@example.org").await;
    assert_eq!(
        arrived(&app, 1).await,
        1,
        "the registration's commit should wake the worker to send its confirmation"
    );
}

#[tokio::test]
async fn on_postgresql_mail_queued_by_one_instance_wakes_another_instances_worker() {
    if !matches!(app_backend(), Backend::Postgres) {
        // SQLite has no LISTEN: another process's worker finds the mail at
        // its fallback look (the test above covers this process's own).
        return;
    }
    let app = TestApp::spawn_with(|s| {
        s.jobs.run_in_serve = false;
        s.mail.poll_interval_ms = HOURLY;
    })
    .await;
    let worker = other_process(&app, |_| {}).await;
    tokio::time::sleep(Duration::from_millis(500)).await;
    let session = app.next_jam().await;
    app.register_ok(session, "listened@example.org").await;
    assert_eq!(
        arrived(&app, 1).await,
        1,
        "NOTIFY at the registration's commit should wake the other instance's worker"
    );
    worker.stop().await;
}

/// SQLite's count of commits by other connections that changed the file.
fn data_version(conn: &mut DbConnection) -> i64 {
    #[derive(QueryableByName)]
    struct Version {
        #[diesel(sql_type = BigInt)]
        data_version: i64,
    }
    diesel::sql_query("PRAGMA data_version")
        .get_result::<Version>(conn)
        .unwrap()
        .data_version
}

#[tokio::test]
async fn a_scheduler_tick_with_nothing_due_writes_nothing() {
    let app = TestApp::spawn_with(|s| s.jobs.run_in_serve = false).await;
    let settings = std::sync::Arc::new(app.settings.clone());
    let now = app.clock.now();
    // The first tick may find work (sessions, say); the next finds none.
    convene::jobs::tick(&app.pool, settings.clone(), now)
        .await
        .unwrap();
    if matches!(app_backend(), Backend::Postgres) {
        // PostgreSQL has no per-file change counter; the tick's code paths
        // are the same on both backends.
        let t = convene::jobs::tick(&app.pool, settings, now).await.unwrap();
        assert_eq!(t, convene::jobs::Tick::default(), "nothing is due");
        return;
    }
    // One connection held across the tick sees other connections' commits.
    let mut watcher = app.pool.get().unwrap();
    watcher.batch_execute("SELECT 1").unwrap();
    let before = data_version(&mut watcher);
    let t = convene::jobs::tick(&app.pool, settings, now).await.unwrap();
    assert_eq!(t, convene::jobs::Tick::default(), "nothing is due");
    assert_eq!(
        data_version(&mut watcher),
        before,
        "a tick with nothing due must not change the database"
    );
}

#[tokio::test]
async fn convene_worker_serves_its_own_metrics_with_the_mail_it_sent() {
    let app = TestApp::spawn_with(|s| s.jobs.run_in_serve = false).await;
    let session = app.next_jam().await;
    app.register_ok(session, "counted@example.org").await;
    let worker = other_process(&app, |s| {
        s.jobs.metrics_bind = Some("127.0.0.1:0".parse().unwrap());
    })
    .await;
    let port = worker
        .metrics_port()
        .expect("jobs.metrics_bind set: served");
    let url = format!("http://127.0.0.1:{port}/metrics");
    let mut text = String::new();
    // The count follows the server's acceptance; the outbox row is marked
    // sent a moment later (with its batch): wait for both, bounded.
    for _ in 0..300 {
        text = reqwest::get(&url).await.unwrap().text().await.unwrap();
        if text.contains("convene_mails_sent_total 1") && text.contains("convene_outbox_depth 0") {
            break;
        }
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
    assert!(
        text.contains("convene_mails_sent_total 1"),
        "the worker's metrics should count the confirmation it sent:\n{text}"
    );
    assert!(
        text.contains("convene_outbox_depth 0"),
        "and read the shared outbox's depth:\n{text}"
    );
    worker.stop().await;
}

#[tokio::test]
async fn convene_worker_serves_no_metrics_unless_configured() {
    let app = TestApp::spawn_with(|s| s.jobs.run_in_serve = false).await;
    assert_eq!(app.settings.jobs.metrics_bind, None, "off by default");
    let worker = other_process(&app, |_| {}).await;
    assert_eq!(worker.metrics_port(), None, "nothing listens");
    worker.stop().await;
}
