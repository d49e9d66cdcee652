//! Invitation fan-out: 100,000 confirmed subscribers, one personalized
//! invitation each — enqueued by the scheduler's set-based INSERT … SELECT,
//! then rendered and delivered by the mail worker over pooled connections,
//! rate limit off, into postfix's `smtp-sink`. In the same run, the
//! machine's ceiling for that path: postfix's `smtp-source` sending as many
//! messages of the same size into the same `smtp-sink` over as many
//! connections (see support/postfix.rs: fetched with `apt-get download`
//! on first use, or taken from POSTFIX_DIR).
//!
//!     cargo bench --bench fanout
//!     CONVENE_TEST_DATABASE_URL=postgres://postgres@127.0.0.1/postgres cargo bench --bench fanout
//!
//! BENCH_SUBSCRIBERS (default 100000) sets the list size. Peak RSS is the
//! process's high-water mark (VmHWM) after the fan-out. Record figures in
//! docs/PERFORMANCE.md.

use std::sync::Arc;
use std::time::{Duration, Instant};

use chrono::Utc;
use convene::clock::Clock;
use convene::config::{MailTransportKind, PublicUrl};
use convene::db::{self, DbError, Pool};
use convene::jobs::outreach;
use convene::mail::outbox;
use convene::mail::render::EmailTemplates;
use convene::mail::transport::Mailer;
use convene::mail::worker::MailWorker;
use convene::series::model::{Series, Session};
use convene::telemetry::Metrics;
use convene::Settings;
use diesel::prelude::*;

#[path = "support/debian.rs"]
mod debian;
#[path = "support/postfix.rs"]
mod postfix;
#[path = "support/rss.rs"]
mod rss;

#[allow(dead_code)]
#[path = "../tests/api/helpers.rs"]
mod helpers;
use helpers::TestDb;

/// Connections (and messages in flight) for the worker and for
/// `smtp-source`. Both send with `TCP_NODELAY` (the worker opens its own
/// sockets: src/mail/smtp.rs).
const IN_FLIGHT: usize = 32;

fn peak_rss_mb() -> f64 {
    rss::peak_mb("self")
}

/// `n` people, each a confirmed subscriber of the Jam list, written by the
/// database itself.
fn seed_subscribers(pool: &Pool, n: usize, key: &convene::web::links::LinkKey) {
    let mut conn = pool.get().unwrap();
    let now = Utc::now().naive_utc();
    let people = conn.sql(
        "WITH RECURSIVE n(i) AS (SELECT 1 UNION ALL SELECT i + 1 FROM n WHERE i < ?) \
         INSERT INTO people (email, first_name, last_name, organization, job_title, sector, state, created_at, updated_at) \
         SELECT 'subscriber' || CAST(i AS TEXT) || '@bench.example.org', 'Pat', 'Subscriber', \
         'Bench Behavioral Health', '', 'provider', 'NY', ?, ? FROM n",
    );
    diesel::sql_query(people)
        .bind::<diesel::sql_types::BigInt, _>(n as i64)
        .bind::<diesel::sql_types::Timestamp, _>(now)
        .bind::<diesel::sql_types::Timestamp, _>(now)
        .execute(&mut *conn)
        .unwrap();
    // Each subscription with a link of its own, as the list import makes
    // them: the invitation's unsubscribe and register links open it.
    use convene::db::schema::people;
    let ids: Vec<i64> = people::table
        .filter(people::email.like("subscriber%"))
        .select(people::id)
        .load(&mut *conn)
        .unwrap();
    for chunk in ids.chunks(2000) {
        // The hashes are hex and the sealed tokens URL-safe base64: plain
        // literals, one statement per chunk.
        let values: Vec<String> = chunk
            .iter()
            .map(|id| {
                let link = key.issue();
                assert!(link.sealed.chars().all(|c| c.is_ascii_alphanumeric() || "-_=".contains(c)));
                format!(
                    "({id}, 'jam', 'confirmed', '{}', '{}', CURRENT_TIMESTAMP, CURRENT_TIMESTAMP, CURRENT_TIMESTAMP)",
                    link.hash, link.sealed
                )
            })
            .collect();
        diesel::sql_query(format!(
            "INSERT INTO subscriptions (person_id, list_slug, status, token_hash, token_sealed, \
             confirmed_at, created_at, updated_at) VALUES {}",
            values.join(", ")
        ))
        .execute(&mut *conn)
        .unwrap();
    }
}

fn first_session(pool: &Pool) -> (Session, Series) {
    use convene::db::schema::{series, sessions};
    let mut conn = pool.get().unwrap();
    sessions::table
        .inner_join(series::table)
        .order(sessions::starts_at)
        .select((Session::as_select(), Series::as_select()))
        .first(&mut *conn)
        .unwrap()
}

struct Fanout {
    enqueue: Duration,
    rows: usize,
    deliver: Duration,
    peak_rss_mb: f64,
    sample: Vec<u8>,
}

async fn fanout(n: usize, smtp_port: u16) -> Fanout {
    let db = TestDb::new();
    let mut settings = Settings::defaults().unwrap();
    // Not the key file under data/: a bench keeps nothing.
    settings.auth.link_secret = "bench link secret".into();
    settings.http.public_url = PublicUrl::parse("https://events.bench.example.org").unwrap();
    settings.database.url = db.url.clone();
    settings.mail.transport = MailTransportKind::Smtp;
    settings.mail.smtp_url = format!("smtp://127.0.0.1:{smtp_port}");
    settings.mail.rate_per_second = 0;
    settings.mail.smtp_pool_size = IN_FLIGHT as u32;
    settings.mail.batch_size = 4 * IN_FLIGHT as u32;
    let pool = db::connect(&settings.database).unwrap();
    db::migrate(&pool).unwrap();
    let settings = Arc::new(settings);
    convene::jobs::sync_series(&pool, settings.clone(), Utc::now())
        .await
        .unwrap();
    seed_subscribers(&pool, n, settings.link_key());
    let (session, series) = first_session(&pool);

    let started = Instant::now();
    let rows = outreach::enqueue_invitations(
        &pool,
        &settings,
        &session,
        &series,
        "jam",
        convene::config::Offset::days(21),
        false,
        Utc::now(),
    )
    .await
    .unwrap();
    let enqueue = started.elapsed();

    // One sample, rendered as the worker renders it: its size is what
    // smtp-source sends.
    let templates = Arc::new(EmailTemplates::load().unwrap());
    let sample_row = {
        let mut conn = pool.get().unwrap();
        use convene::db::schema::outbox::dsl as o;
        o::outbox
            .order(o::id)
            .select(outbox::OutboxRow::as_select())
            .first(&mut *conn)
            .unwrap()
    };
    let sample = templates
        .message(&sample_row, &settings.mail.from, "", settings.link_key())
        .unwrap()
        .formatted();

    let worker = MailWorker {
        pool: pool.clone(),
        mailer: Mailer::from_settings(&settings.mail).unwrap(),
        templates,
        settings: settings.mail.clone(),
        links: settings.link_key().clone(),
        metrics: Arc::new(Metrics::new()),
        clock: Clock::system(),
    };
    // Never told to stop: the worker drains what is due.
    let (_keep, running) = tokio::sync::watch::channel(false);
    let started = Instant::now();
    loop {
        match worker.drain(&running).await {
            Ok(0) => break,
            Ok(_) => {}
            Err(DbError::Query(e)) => panic!("{e}"),
            Err(e) => panic!("{e}"),
        }
    }
    let deliver = started.elapsed();
    let sent: i64 = {
        let mut conn = pool.get().unwrap();
        use convene::db::schema::outbox::dsl as o;
        o::outbox
            .filter(o::status.eq(outbox::SENT))
            .count()
            .get_result(&mut *conn)
            .unwrap()
    };
    assert_eq!(sent as usize, rows, "all delivered");
    Fanout {
        enqueue,
        rows,
        deliver,
        peak_rss_mb: peak_rss_mb(),
        sample,
    }
}

fn main() {
    let n = std::env::var("BENCH_SUBSCRIBERS")
        .ok()
        .and_then(|v| v.parse().ok())
        .unwrap_or(100_000usize);
    let runtime = tokio::runtime::Builder::new_multi_thread()
        .enable_all()
        .build()
        .unwrap();
    runtime.block_on(async {
        let backend = match std::env::var("CONVENE_TEST_DATABASE_URL") {
            Ok(u) if u.starts_with("postgres") => "postgres",
            _ => "sqlite",
        };
        let postfix = postfix::Postfix::get();
        let sink = postfix.sink(4 * IN_FLIGHT);
        let result = fanout(n, sink.port).await;
        let in_flight = IN_FLIGHT;
        let ceiling = postfix.source(sink.port, result.rows, result.sample.len(), in_flight);
        let rate = result.rows as f64 / result.deliver.as_secs_f64();
        let raw_rate = result.rows as f64 / ceiling.as_secs_f64();
        println!("fanout ({backend}): {} subscribers", n);
        println!(
            "  enqueue: {} invitations in {:.2} s",
            result.rows,
            result.enqueue.as_secs_f64()
        );
        println!(
            "  deliver: {:.0} messages/s ({:.1} s), message size {} bytes",
            rate,
            result.deliver.as_secs_f64(),
            result.sample.len()
        );
        println!(
            "  postfix smtp-source, same size, {in_flight} connections: {:.0} messages/s -> worker/smtp-source = {:.2}x",
            raw_rate,
            rate / raw_rate
        );
        println!("  peak RSS after fan-out: {:.1} MB", result.peak_rss_mb);
        println!(
            "  targets: >= 0.5x smtp-source on SQLite, 0.25x on PostgreSQL [{}], enqueue < 5 s [{}], peak RSS < 100 MB [{}]",
            if rate / raw_rate >= if backend == "sqlite" { 0.5 } else { 0.25 } { "met" } else { "NOT met" },
            if result.enqueue.as_secs_f64() < 5.0 { "met" } else { "NOT met" },
            if result.peak_rss_mb < 100.0 { "met" } else { "NOT met" },
        );
    });
}
