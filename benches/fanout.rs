//! Invitation fan-out: 100,000 confirmed subscribers, one personalized
//! invitation each — enqueued by the scheduler's set-based INSERT … SELECT,
//! then rendered and delivered by the mail worker to a local SMTP server
//! over pooled connections, rate limit off. In the same run, the raw rate:
//! lettre alone sending as many pre-rendered messages of the same size
//! into the same server with the same concurrency.
//!
//!     cargo bench --bench fanout
//!     CONVENE_TEST_DATABASE_URL=postgres://postgres@127.0.0.1/postgres cargo bench --bench fanout
//!
//! BENCH_SUBSCRIBERS (default 100000) sets the list size. Peak RSS is the
//! process's high-water mark (VmHWM) after the fan-out, before the raw run;
//! it includes the in-process SMTP sink. Record figures in
//! docs/PERFORMANCE.md.

use std::sync::atomic::{AtomicUsize, Ordering};
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
use futures::stream::{self, StreamExt};
use lettre::AsyncTransport;
use mailin_embedded::{response, Handler, Response};

#[path = "support/rss.rs"]
mod rss;

#[allow(dead_code)]
#[path = "../tests/api/helpers.rs"]
mod helpers;
use helpers::TestDb;

/// Connections (and messages in flight) for the worker and for raw lettre.
/// lettre 0.11.23 leaves Nagle on, so each connection waits out the
/// server's 40 ms delayed ACK once per message (lettre PR #1159, merged,
/// unreleased): throughput comes from parallel connections.
const IN_FLIGHT: usize = 32;

/// An SMTP server that counts what it accepts and keeps nothing.
#[derive(Clone)]
struct Sink {
    accepted: Arc<AtomicUsize>,
}

impl Handler for Sink {
    fn data(&mut self, _buf: &[u8]) -> std::io::Result<()> {
        Ok(())
    }
    fn data_end(&mut self) -> Response {
        self.accepted.fetch_add(1, Ordering::Relaxed);
        response::OK
    }
}

fn start_sink() -> (u16, Arc<AtomicUsize>) {
    let listener = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
    let port = listener.local_addr().unwrap().port();
    let accepted = Arc::new(AtomicUsize::new(0));
    let sink = Sink {
        accepted: accepted.clone(),
    };
    std::thread::spawn(move || {
        let mut server = mailin_embedded::Server::new(sink);
        server
            .with_name("sink.bench")
            .with_num_threads(2 * IN_FLIGHT as u32)
            .with_tcp_listener(listener);
        let _ = server.serve();
    });
    (port, accepted)
}

fn peak_rss_mb() -> f64 {
    rss::peak_mb("self")
}

/// `n` people, each a confirmed subscriber of the Jam list, written by the
/// database itself.
fn seed_subscribers(pool: &Pool, n: usize) {
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
    let subscriptions = conn.sql(
        "INSERT INTO subscriptions (person_id, list_slug, status, token, confirmed_at, created_at, updated_at) \
         SELECT id, 'jam', 'confirmed', 'benchtoken' || CAST(id AS TEXT), ?, ?, ? FROM people \
         WHERE email LIKE 'subscriber%'",
    );
    diesel::sql_query(subscriptions)
        .bind::<diesel::sql_types::Timestamp, _>(now)
        .bind::<diesel::sql_types::Timestamp, _>(now)
        .bind::<diesel::sql_types::Timestamp, _>(now)
        .execute(&mut *conn)
        .unwrap();
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

async fn fanout(n: usize, smtp_port: u16, accepted: &AtomicUsize) -> Fanout {
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
    seed_subscribers(&pool, n);
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

    // One sample, rendered as the worker renders it, for the raw run.
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
    let before = accepted.load(Ordering::Relaxed);
    let started = Instant::now();
    loop {
        match worker.process_batch().await {
            Ok(0) => break,
            Ok(_) => {}
            Err(DbError::Query(e)) => panic!("{e}"),
            Err(e) => panic!("{e}"),
        }
    }
    let deliver = started.elapsed();
    assert_eq!(
        accepted.load(Ordering::Relaxed) - before,
        rows,
        "all delivered"
    );
    Fanout {
        enqueue,
        rows,
        deliver,
        peak_rss_mb: peak_rss_mb(),
        sample,
    }
}

/// lettre alone: the same bytes to `n` recipients, `in_flight` at a time
/// over one pooled transport.
async fn raw(n: usize, smtp_port: u16, sample: &[u8], in_flight: usize) -> Duration {
    let transport =
        lettre::AsyncSmtpTransport::<lettre::Tokio1Executor>::builder_dangerous("127.0.0.1")
            .port(smtp_port)
            .pool_config(lettre::transport::smtp::PoolConfig::new().max_size(in_flight as u32))
            .build();
    let from: lettre::Address = "jam@convene.localhost".parse().unwrap();
    let started = Instant::now();
    let sends = (0..n).map(|i| {
        let transport = transport.clone();
        let from = from.clone();
        async move {
            let to: lettre::Address = format!("subscriber{i}@bench.example.org").parse().unwrap();
            let envelope = lettre::address::Envelope::new(Some(from), vec![to]).unwrap();
            transport.send_raw(&envelope, sample).await.unwrap();
        }
    });
    stream::iter(sends)
        .buffer_unordered(in_flight)
        .collect::<Vec<()>>()
        .await;
    started.elapsed()
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
        let (port, accepted) = start_sink();
        let result = fanout(n, port, &accepted).await;
        let in_flight = IN_FLIGHT;
        let raw_time = raw(result.rows, port, &result.sample, in_flight).await;
        let rate = result.rows as f64 / result.deliver.as_secs_f64();
        let raw_rate = result.rows as f64 / raw_time.as_secs_f64();
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
            "  raw lettre, same bytes, {in_flight} in flight: {:.0} messages/s -> worker/raw = {:.2}x",
            raw_rate,
            rate / raw_rate
        );
        println!("  peak RSS after fan-out: {:.1} MB", result.peak_rss_mb);
        println!(
            "  targets: >= 0.5x raw [{}], enqueue < 5 s [{}], peak RSS < 100 MB [{}]",
            if rate / raw_rate >= 0.5 { "met" } else { "NOT met" },
            if result.enqueue.as_secs_f64() < 5.0 { "met" } else { "NOT met" },
            if result.peak_rss_mb < 100.0 { "met" } else { "NOT met" },
        );
    });
}
