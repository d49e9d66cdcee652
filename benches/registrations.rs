//! Registration throughput: `POST /sessions/{id}/register` over loopback
//! HTTP from 256 concurrent clients, against the same transaction (person +
//! registration + outbox row) run directly through diesel, in one run.
//!
//!     cargo bench --bench registrations
//!     CONVENE_TEST_DATABASE_URL=postgres://postgres@127.0.0.1/postgres cargo bench --bench registrations
//!
//! BENCH_REGISTRATIONS (default 10000) sets how many of each; BENCH_CLIENTS
//! (default 256) the concurrency. Workers are off, so only the write path is
//! measured. Figures go to stdout; record them in docs/PERFORMANCE.md.

use std::sync::Arc;
use std::time::{Duration, Instant};

use convene::config::PublicUrl;
use convene::db::{self, Pool};
use convene::people::contact::{self, RegistrationForm};
use convene::registration::store::{self, Policy};
use convene::{Application, Settings};

// The tests' scratch databases: a temporary SQLite file, or a database of its
// own on the server CONVENE_TEST_DATABASE_URL names (dropped afterwards).
#[allow(dead_code)]
#[path = "../tests/api/helpers.rs"]
mod helpers;
use helpers::TestDb;

fn env_usize(name: &str, default: usize) -> usize {
    std::env::var(name)
        .ok()
        .and_then(|v| v.parse().ok())
        .unwrap_or(default)
}

fn settings(db: &TestDb) -> Settings {
    let mut s = Settings::defaults().unwrap();
    s.http.bind = "127.0.0.1:0".parse().unwrap();
    s.http.public_url = PublicUrl::parse("http://bench.test").unwrap();
    s.database.url = db.url.clone();
    s.jobs.run_in_serve = false;
    s.jobs.tick_seconds = 3600;
    // The load comes from one address: the public post limit is lifted
    // explicitly (it would turn the bench into a test of the 429 page).
    s.limits.public_posts_per_minute = 0;
    // Not the key file under data/: a bench keeps nothing.
    s.auth.link_secret = "bench link secret".into();
    // The Jam's own capacity (1000): past it, registrations join the waitlist
    // through the same transaction.
    s
}

fn form(email: &str) -> RegistrationForm {
    RegistrationForm {
        first_name: "Bench".into(),
        last_name: "Mark".into(),
        email: email.into(),
        organization: "Load Test Behavioral Health".into(),
        job_title: "Tester".into(),
        sector: "provider".into(),
        state: "NY".into(),
        subscribe: None,
        website: String::new(),
    }
}

fn first_session(pool: &Pool) -> i64 {
    use convene::db::schema::sessions::dsl::*;
    use diesel::prelude::*;
    let mut conn = pool.get().unwrap();
    sessions
        .order(starts_at)
        .select(id)
        .first(&mut *conn)
        .unwrap()
}

/// The same transaction the handler runs, called in a loop on one connection.
async fn raw_rate(n: usize) -> f64 {
    let db = TestDb::new();
    let settings = settings(&db);
    let pool = db::connect(&settings.database).unwrap();
    db::migrate(&pool).unwrap();
    convene::jobs::sync_series(&pool, Arc::new(settings.clone()), chrono::Utc::now())
        .await
        .unwrap();
    let session = first_session(&pool);
    let policy = Policy::from_settings(&settings);
    tokio::task::spawn_blocking(move || {
        let mut conn = pool.get().unwrap();
        let started = Instant::now();
        for i in 0..n {
            let r = contact::parse(&form(&format!("raw{i}@example.org"))).unwrap();
            store::register(
                &mut conn,
                session,
                &r,
                &policy,
                convene::clock::Clock::system().naive(),
            )
            .unwrap();
        }
        n as f64 / started.elapsed().as_secs_f64()
    })
    .await
    .unwrap()
}

struct HttpResult {
    rate: f64,
    p50: Duration,
    p99: Duration,
    max: Duration,
    errors: usize,
}

async fn http_rate(n: usize, clients: usize) -> HttpResult {
    let db = TestDb::new();
    let settings = settings(&db);
    let pool = db::connect(&settings.database).unwrap();
    db::migrate(&pool).unwrap();
    let app = Application::build(settings).await.unwrap();
    let base = format!("http://127.0.0.1:{}", app.port());
    tokio::spawn(app.run_until_stopped());
    let session = first_session(&pool);
    let client = reqwest::Client::builder()
        .redirect(reqwest::redirect::Policy::none())
        .pool_max_idle_per_host(clients)
        .build()
        .unwrap();
    let url = format!("{base}/sessions/{session}/register");
    let per_client = n / clients;
    let started = Instant::now();
    let tasks: Vec<_> = (0..clients)
        .map(|c| {
            let client = client.clone();
            let url = url.clone();
            tokio::spawn(async move {
                let mut latencies = Vec::with_capacity(per_client);
                let mut errors = 0;
                for i in 0..per_client {
                    let email = format!("http{c}x{i}@example.org");
                    let f = form(&email);
                    let body = [
                        ("first_name", f.first_name.as_str()),
                        ("last_name", &f.last_name),
                        ("email", &f.email),
                        ("organization", &f.organization),
                        ("job_title", &f.job_title),
                        ("sector", &f.sector),
                        ("state", &f.state),
                    ];
                    let t = Instant::now();
                    match client.post(&url).form(&body).send().await {
                        Ok(r) if r.status().as_u16() == 303 => {}
                        _ => errors += 1,
                    }
                    latencies.push(t.elapsed());
                }
                (latencies, errors)
            })
        })
        .collect();
    let mut latencies = Vec::with_capacity(n);
    let mut errors = 0;
    for t in tasks {
        let (l, e) = t.await.unwrap();
        latencies.extend(l);
        errors += e;
    }
    let elapsed = started.elapsed();
    latencies.sort();
    let pct = |p: f64| {
        latencies[((latencies.len() as f64 * p).ceil() as usize)
            .saturating_sub(1)
            .min(latencies.len() - 1)]
    };
    HttpResult {
        rate: (per_client * clients) as f64 / elapsed.as_secs_f64(),
        p50: pct(0.50),
        p99: pct(0.99),
        max: *latencies.last().unwrap(),
        errors,
    }
}

fn main() {
    let n = env_usize("BENCH_REGISTRATIONS", 10_000);
    let clients = env_usize("BENCH_CLIENTS", 256);
    let runtime = tokio::runtime::Builder::new_multi_thread()
        .enable_all()
        .build()
        .unwrap();
    let backend =
        if std::env::var("CONVENE_TEST_DATABASE_URL").is_ok_and(|u| u.starts_with("postgres")) {
            "postgres"
        } else {
            "sqlite"
        };
    runtime.block_on(async {
        let raw = raw_rate(n).await;
        let http = http_rate(n, clients).await;
        let ratio = http.rate / raw;
        println!("registrations benchmark ({backend}, {n} registrations, {clients} concurrent HTTP clients)");
        println!("  raw diesel transaction rate : {raw:>8.0} registrations/s (one connection, sequential)");
        println!("  HTTP POST /register rate    : {:>8.0} registrations/s", http.rate);
        println!("  HTTP / raw                  : {ratio:>8.2}  (target >= 0.5)");
        println!("  latency p50 / p99 / max     : {:.1} / {:.1} / {:.1} ms  (target p99 < 100 ms)", ms(http.p50), ms(http.p99), ms(http.max));
        println!("  failed requests             : {}", http.errors);
    });
}

fn ms(d: Duration) -> f64 {
    d.as_secs_f64() * 1000.0
}
