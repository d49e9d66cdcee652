//! Registration bursts (issue 18): `POST /sessions/{id}/register` over
//! loopback HTTP from 256 closed-loop clients, for one session and spread
//! over six, against the machine's ceiling for the same writes, in one run.
//!
//!     cargo bench --bench registrations
//!     CONVENE_TEST_DATABASE_URL='postgres://postgres@127.0.0.1:5432/postgres?sslmode=disable' \
//!       cargo bench --bench registrations
//!
//! The comparator: on PostgreSQL `pgbench` (spawned here, on a scratch
//! database of its own, as many clients as the application's pool) running
//! the same three inserts — person (the same upsert), registration, outbox
//! row, with the row sizes a real registration writes — as one transaction
//! with no lock: once for one session, once over six; then with the session
//! row locked first (what registrations did before issue 18), and with a
//! NOTIFY in the transaction (the outbox trigger did that). On SQLite, the
//! registration transaction itself (`registration::store::register`) in a
//! loop on one connection. Both are also run on PostgreSQL for reference.
//!
//! Each HTTP run comes right after its pgbench run (one session, then six),
//! so that the machine's drift between minutes moves both figures of a
//! ratio; BENCH_ROUNDS (default 1) repeats the pairs. The application and
//! pgbench use the same URL, so its `sslmode` holds for both:
//! `?sslmode=disable` leaves out TLS over loopback, which libpq's default
//! (`prefer`) negotiates when the server has it on.
//!
//! BENCH_REGISTRATIONS (default 10000) sets how many of each; BENCH_CLIENTS
//! (default 256) the HTTP concurrency; BENCH_POOL (default: the default
//! configuration's `database.pool_size`) the pool and pgbench's clients.
//! Workers are off, so only the write path is measured. Figures go to
//! stdout; record them in docs/PERFORMANCE.md.

use std::process::Command;
use std::sync::Arc;
use std::time::{Duration, Instant};

use convene::config::PublicUrl;
use convene::db::{self, Pool};
use convene::people::contact::{self, RegistrationForm};
use convene::registration::store::{self, Policy};
use convene::{Application, Settings};
use diesel::prelude::*;

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
    // BENCH_POOL: the pool's size (and so pgbench's clients), else the
    // default configuration's.
    s.database.pool_size = env_usize("BENCH_POOL", s.database.pool_size as usize) as u32;
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

/// A fresh database, migrated, with the configured series' sessions.
async fn scratch() -> (TestDb, Settings, Pool) {
    let db = TestDb::new();
    let settings = settings(&db);
    let pool = db::connect(&settings.database).unwrap();
    db::migrate(&pool).unwrap();
    convene::jobs::sync_series(&pool, Arc::new(settings.clone()), chrono::Utc::now())
        .await
        .unwrap();
    (db, settings, pool)
}

/// The first `k` sessions open to the public form, soonest first.
fn open_sessions(pool: &Pool, k: usize) -> Vec<i64> {
    let mut conn = pool.get().unwrap();
    let now = convene::clock::Clock::system().naive();
    let found = convene::series::model::upcoming_public(&mut conn, now, k as i64).unwrap();
    assert_eq!(found.len(), k, "the configuration makes {k} open sessions");
    found.into_iter().map(|(s, _)| s.id).collect()
}

/// The registration transaction called in a loop on one connection.
async fn raw_rate(n: usize) -> f64 {
    let (_db, settings, pool) = scratch().await;
    let session = open_sessions(&pool, 1)[0];
    let policy = Policy::from_settings(&settings);
    tokio::task::spawn_blocking(move || {
        let mut conn = pool.get().unwrap();
        let started = Instant::now();
        for i in 0..n {
            let r = contact::parse(&form(&format!("raw{i}@example.org"))).unwrap();
            let now = convene::clock::Clock::system().naive();
            store::register(&mut conn, session, &r, &policy, now).unwrap();
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

/// `clients` closed-loop clients, client `c` registering for session
/// `c % sessions`.
async fn http_rate(n: usize, clients: usize, sessions: usize) -> HttpResult {
    let (_db, settings, pool) = scratch().await;
    let ids = open_sessions(&pool, sessions);
    let app = Application::build(settings).await.unwrap();
    let base = format!("http://127.0.0.1:{}", app.port());
    tokio::spawn(app.run_until_stopped());
    let client = reqwest::Client::builder()
        .redirect(reqwest::redirect::Policy::none())
        .pool_max_idle_per_host(clients)
        .build()
        .unwrap();
    let per_client = n / clients;
    let started = Instant::now();
    let tasks: Vec<_> = (0..clients)
        .map(|c| {
            let client = client.clone();
            let url = format!("{base}/sessions/{}/register", ids[c % ids.len()]);
            tokio::spawn(async move {
                let mut latencies = Vec::with_capacity(per_client);
                let mut errors = 0;
                for i in 0..per_client {
                    let f = form(&format!("http{c}x{i}@example.org"));
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

/// What a real registration writes, in bytes: the outbox row's context and
/// calendar, the sealed manage token.
struct Shapes {
    context: i64,
    calendar: i64,
    sealed: i64,
}

fn shapes(pool: &Pool, settings: &Settings, session: i64) -> Shapes {
    #[derive(QueryableByName)]
    struct Lengths {
        #[diesel(sql_type = diesel::sql_types::BigInt)]
        context: i64,
        #[diesel(sql_type = diesel::sql_types::BigInt)]
        calendar: i64,
        #[diesel(sql_type = diesel::sql_types::BigInt)]
        sealed: i64,
    }
    let mut conn = pool.get().unwrap();
    let r = contact::parse(&form("shape@example.org")).unwrap();
    let now = convene::clock::Clock::system().naive();
    store::register(
        &mut conn,
        session,
        &r,
        &Policy::from_settings(settings),
        now,
    )
    .unwrap();
    let l: Lengths = diesel::sql_query(
        "SELECT CAST(LENGTH(o.context) AS BIGINT) AS context, \
         CAST(LENGTH(o.calendar) AS BIGINT) AS calendar, \
         CAST(LENGTH(r.token_sealed) AS BIGINT) AS sealed \
         FROM outbox o, registrations r \
         WHERE o.recipient = 'shape@example.org' AND r.token_sealed IS NOT NULL",
    )
    .get_result(&mut *conn)
    .unwrap();
    Shapes {
        context: l.context,
        calendar: l.calendar,
        sealed: l.sealed,
    }
}

/// What a pgbench transaction adds to the three inserts.
#[derive(Clone, Copy, PartialEq)]
enum Extra {
    None,
    /// The session row locked first (registrations before issue 18).
    Lock,
    /// A NOTIFY in the transaction (the outbox trigger before issue 18).
    Notify,
}

/// A pgbench script: the registration's three inserts, for session
/// `ids[client_id % len]`, with `extra`.
fn script(ids: &[i64], s: &Shapes, extra: Extra) -> String {
    let arms: Vec<String> = ids
        .iter()
        .enumerate()
        .map(|(i, id)| format!("when :client_id % {} = {i} then {id}", ids.len()))
        .collect();
    let (lock, notify) = match extra {
        Extra::None => ("", ""),
        Extra::Lock => (
            "UPDATE sessions SET updated_at = updated_at WHERE id = :s;\n",
            "",
        ),
        Extra::Notify => ("", "NOTIFY convene_outbox;\n"),
    };
    let fill =
        |c: &str| format!("{c} = CASE WHEN people.{c} = '' THEN excluded.{c} ELSE people.{c} END");
    format!(
        "\\set s case {arms} else 0 end\n\
         \\set r random(1, 4000000000000)\n\
         BEGIN;\n{lock}\
         INSERT INTO people (email, first_name, last_name, organization, job_title, sector, state, created_at, updated_at) \
         VALUES ('pgb' || :r || '@example.org', 'Bench', 'Mark', 'Load Test Behavioral Health', 'Tester', 'provider', 'NY', now(), now()) \
         ON CONFLICT (email) DO UPDATE SET {}, {}, {}, {}, {}, {}, updated_at = excluded.updated_at \
         RETURNING id \\gset\n\
         INSERT INTO registrations (session_id, person_id, token_hash, token_sealed, status, subscribe, confirmations_sent, last_confirmation_at, registered_at, created_at, updated_at) \
         VALUES (:s, :id, md5(CAST(:r AS text)) || md5(CAST(:r AS text) || 'x'), repeat('s', {sealed}), 'registered', false, 1, now(), now(), now(), now());\n\
         INSERT INTO outbox (idempotency_key, template, recipient, context, calendar, status, attempts, next_attempt_at, created_at, origin) \
         VALUES ('registration:' || :r || ':confirmed:1', 'registration_confirmed', 'pgb' || :r || '@example.org', repeat('c', {context}), repeat('v', {calendar}), 'pending', 0, now(), now(), 'public') \
         ON CONFLICT (idempotency_key) DO NOTHING;\n\
         {notify}END;\n",
        fill("first_name"),
        fill("last_name"),
        fill("organization"),
        fill("job_title"),
        fill("sector"),
        fill("state"),
        arms = arms.join(" "),
        sealed = s.sealed,
        context = s.context,
        calendar = s.calendar,
    )
}

/// Runs `script` with `clients` connections, `n` transactions in all;
/// returns transactions per second.
fn pgbench(url: &str, script: &str, clients: usize, n: usize) -> f64 {
    let dir = tempfile::tempdir().unwrap();
    let file = dir.path().join("registration.sql");
    std::fs::write(&file, script).unwrap();
    let out = Command::new("pgbench")
        .args(["-n", "-j", "2", "-c", &clients.to_string()])
        .args(["-t", &(n / clients).to_string(), "-f"])
        .arg(&file)
        .arg(url)
        .output()
        .expect("pgbench runs (PostgreSQL's client tools installed)");
    let text = String::from_utf8_lossy(&out.stdout);
    assert!(
        out.status.success(),
        "pgbench failed: {text}{}",
        String::from_utf8_lossy(&out.stderr)
    );
    text.lines()
        .find_map(|l| l.strip_prefix("tps = "))
        .and_then(|l| l.split_whitespace().next())
        .and_then(|t| t.parse().ok())
        .expect("pgbench reports tps")
}

/// pgbench on a scratch database of its own with six open sessions, its
/// rows the size of a real registration's.
struct Pgbench {
    db: TestDb,
    ids: Vec<i64>,
    shapes: Shapes,
    clients: usize,
    n: usize,
}

impl Pgbench {
    async fn new(n: usize) -> Self {
        let (db, settings, pool) = scratch().await;
        let ids = open_sessions(&pool, 6);
        let shapes = shapes(&pool, &settings, ids[0]);
        Self {
            db,
            ids,
            shapes,
            clients: settings.database.pool_size as usize,
            n,
        }
    }

    /// Transactions per second over the first `sessions` sessions.
    fn rate(&self, sessions: usize, extra: Extra) -> f64 {
        let script = script(&self.ids[..sessions], &self.shapes, extra);
        pgbench(&self.db.url_string(), &script, self.clients, self.n)
    }
}

fn main() {
    let n = env_usize("BENCH_REGISTRATIONS", 10_000);
    let clients = env_usize("BENCH_CLIENTS", 256);
    let rounds = env_usize("BENCH_ROUNDS", 1).max(1);
    let runtime = tokio::runtime::Builder::new_multi_thread()
        .enable_all()
        .build()
        .unwrap();
    let postgres =
        std::env::var("CONVENE_TEST_DATABASE_URL").is_ok_and(|u| u.starts_with("postgres"));
    let backend = if postgres { "postgres" } else { "sqlite" };
    runtime.block_on(async {
        let pgbench = if postgres {
            Some(Pgbench::new(n).await)
        } else {
            None
        };
        // Each HTTP run right after its comparator, so that the machine's
        // drift from one minute to the next moves both.
        let mut runs = Vec::new();
        for _ in 0..rounds {
            for sessions in [1, 6] {
                let ceiling = pgbench.as_ref().map(|p| p.rate(sessions, Extra::None));
                runs.push((sessions, ceiling, http_rate(n, clients, sessions).await));
            }
        }
        let raw = raw_rate(n).await;
        println!("registrations benchmark ({backend}, {n} registrations, {clients} closed-loop HTTP clients)");
        println!("  raw register() loop, one connection : {raw:>6.0}/s");
        if let Some(p) = &pgbench {
            println!(
                "  pgbench, one session, {} clients: session row locked first {:.0}/s; a NOTIFY in the transaction {:.0}/s",
                p.clients,
                p.rate(1, Extra::Lock),
                p.rate(1, Extra::Notify)
            );
        }
        for (sessions, ceiling, h) in &runs {
            let label = if *sessions == 1 { "one session " } else { "six sessions" };
            if let (Some(c), Some(p)) = (ceiling, &pgbench) {
                println!(
                    "  pgbench, {} clients, unlocked, {label} (just before): {c:>6.0}/s",
                    p.clients
                );
            }
            let comparator = ceiling.unwrap_or(raw);
            let little = |rate: f64| clients as f64 / rate * 1000.0;
            println!(
                "  HTTP {label}: {:>6.0}/s, {:.2}x comparator; p50 / p99 / max {:.1} / {:.1} / {:.1} ms; failed {}",
                h.rate,
                h.rate / comparator,
                ms(h.p50),
                ms(h.p99),
                ms(h.max),
                h.errors
            );
            println!(
                "      Little's law at {clients} clients: {:.1} ms at this rate, {:.1} ms at 0.5x comparator",
                little(h.rate),
                little(0.5 * comparator),
            );
        }
    });
}

fn ms(d: Duration) -> f64 {
    d.as_secs_f64() * 1000.0
}
