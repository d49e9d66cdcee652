//! The public pages under load: `GET /` and `GET /sessions/{id}` (the Jam's
//! next session, with its presenters and ~577 registrations, a few past
//! sessions behind it) from `wrk` at 64 connections, against the machine's
//! ceiling for the same path in the same run: nginx serving the exact bytes
//! the application answered, back to back.
//!
//!     cargo bench --bench pages
//!
//! wrk and nginx come from Debian's packages, fetched on first use into
//! `target/bench-tools/{wrk,nginx}` (support/debian.rs: `apt-get download`,
//! `dpkg -x`, never installed), or from `WRK_DIR` / `NGINX_DIR`.
//! BENCH_SECONDS (default 10) is each measurement's length, BENCH_CONNECTIONS
//! (default 64) wrk's connections (2 threads). The application runs on
//! SQLite with workers off, as configured by default otherwise (the page
//! cache on, `http.page_cache_ms`); a last pair measures it with the cache
//! off. Figures go to stdout; record them in docs/PERFORMANCE.md.

use std::path::PathBuf;
use std::process::Command;
use std::sync::Arc;
use std::time::Duration;

use convene::config::PublicUrl;
use convene::db::{self, DbConnection, Pool};
use convene::people::contact::{self, RegistrationForm};
use convene::registration::store::{self, Policy};
use convene::{Application, Settings};
use diesel::connection::SimpleConnection;

#[allow(dead_code)]
#[path = "../tests/api/helpers.rs"]
mod helpers;
use helpers::TestDb;

#[path = "support/debian.rs"]
mod debian;
#[path = "support/nginx.rs"]
mod nginx;
use nginx::Nginx;

/// The Jam's average registrations per session.
const REGISTRATIONS: usize = 577;

fn env_usize(name: &str, default: usize) -> usize {
    std::env::var(name)
        .ok()
        .and_then(|v| v.parse().ok())
        .unwrap_or(default)
}

fn settings(db: &TestDb, page_cache_ms: u32) -> Settings {
    let mut s = Settings::defaults().unwrap();
    s.http.bind = "127.0.0.1:0".parse().unwrap();
    s.http.public_url = PublicUrl::parse("http://bench.test").unwrap();
    s.http.page_cache_ms = page_cache_ms;
    s.database.url = db.url.clone();
    s.jobs.run_in_serve = false;
    s.jobs.tick_seconds = 3600;
    s.auth.link_secret = "bench link secret".into();
    s
}

/// The Jam's next session.
fn next_jam_session(pool: &Pool) -> i64 {
    use convene::db::schema::{series, sessions};
    use diesel::prelude::*;
    let mut conn = pool.get().unwrap();
    sessions::table
        .inner_join(series::table)
        .filter(series::slug.eq("jam"))
        .filter(sessions::starts_at.gt(chrono::Utc::now().naive_utc()))
        .order(sessions::starts_at)
        .select(sessions::id)
        .first(&mut *conn)
        .unwrap()
}

/// Three presenters (confirmed, with bios and levers) and two lever tags on
/// the session, and the Jam's average number of registrations.
fn seed(pool: &Pool, settings: &Settings, session: i64) {
    let mut conn = pool.get().unwrap();
    let conn: &mut DbConnection = &mut conn;
    let now = chrono::Utc::now().naive_utc().format("%Y-%m-%d %H:%M:%S");
    let presenters = [
        ("Dana Whitfield", "moderator", "", "regulation-policy"),
        (
            "Marcus Oyelaran",
            "presenter",
            "Paying for peer support: what the new codes cover",
            "payment,workforce-expansion",
        ),
        (
            "Priya Raman",
            "presenter",
            "Growing a crisis workforce in rural counties",
            "workforce-expansion,organizational-culture",
        ),
    ];
    for (i, (name, role, talk, levers)) in presenters.iter().enumerate() {
        conn.batch_execute(&format!(
            "INSERT INTO lineup_slots (session_id, position, name, email, role, talk_title, abstract, \
             bio, levers, status, invitations_sent, created_at, updated_at) VALUES \
             ({session}, {pos}, '{name}', 'presenter{pos}@bench.example.org', '{role}', '{talk}', \
             'How the work is being done today, and what is changing.', \
             '{name} has led behavioral-health workforce programs for fifteen years, most recently across three states.', \
             '{levers}', 'confirmed', 1, '{now}', '{now}')",
            pos = i + 1,
        ))
        .unwrap();
    }
    conn.batch_execute(&format!(
        "INSERT INTO session_levers (session_id, lever) VALUES ({session}, 'payment'), ({session}, 'workforce-expansion')"
    ))
    .unwrap();
    let policy = Policy::from_settings(settings);
    for i in 0..REGISTRATIONS {
        let form = RegistrationForm {
            first_name: "Bench".into(),
            last_name: format!("Visitor{i}"),
            email: format!("visitor{i}@bench.example.org"),
            organization: "Load Test Behavioral Health".into(),
            job_title: "Peer specialist".into(),
            sector: "provider".into(),
            state: "NY".into(),
            subscribe: None,
            website: String::new(),
        };
        let r = contact::parse(&form).unwrap();
        store::register(conn, session, &r, &policy, chrono::Utc::now().naive_utc()).unwrap();
    }
}

/// What wrk measured.
struct Load {
    rate: f64,
    p50: Duration,
    p99: Duration,
    bad: u64,
}

struct Wrk {
    root: PathBuf,
}

impl Wrk {
    fn get() -> Wrk {
        // wrk links LuaJIT, which the machine may not have.
        let root = debian::unpacked("wrk", &["wrk", "libluajit-5.1-2"], "usr/bin/wrk", "WRK_DIR");
        Wrk { root }
    }

    fn run(&self, url: &str, connections: usize, seconds: usize) -> Load {
        let out = Command::new(self.root.join("usr/bin/wrk"))
            .env(
                "LD_LIBRARY_PATH",
                self.root.join("usr/lib/x86_64-linux-gnu"),
            )
            .args(["-t", "2", "-c", &connections.to_string()])
            .args(["-d", &format!("{seconds}s"), "--latency"])
            .arg(url)
            .output()
            .expect("wrk runs");
        assert!(
            out.status.success(),
            "wrk: {}",
            String::from_utf8_lossy(&out.stderr)
        );
        let text = String::from_utf8_lossy(&out.stdout);
        let field = |prefix: &str| {
            text.lines()
                .map(str::trim)
                .find_map(|l| l.strip_prefix(prefix))
                .map(str::trim)
                .unwrap_or_else(|| panic!("no {prefix:?} in wrk's output:\n{text}"))
        };
        Load {
            rate: field("Requests/sec:").parse().unwrap(),
            p50: duration(field("50%")),
            p99: duration(field("99%")),
            bad: text
                .lines()
                .find_map(|l| l.trim().strip_prefix("Non-2xx or 3xx responses:"))
                .map_or(0, |n| n.trim().parse().unwrap()),
        }
    }
}

/// wrk's "1.23ms", "456.00us", "1.01s".
fn duration(text: &str) -> Duration {
    let (number, unit) = text.split_at(text.find(|c: char| c.is_ascii_alphabetic()).unwrap());
    let n: f64 = number.parse().unwrap();
    Duration::from_secs_f64(match unit {
        "us" => n / 1e6,
        "ms" => n / 1e3,
        "s" => n,
        "m" => n * 60.0,
        other => panic!("wrk unit {other}"),
    })
}

fn line(label: &str, l: &Load) {
    println!(
        "  {label:<34} {:>8.0} req/s  p50 {:>7.2} ms  p99 {:>7.2} ms{}",
        l.rate,
        l.p50.as_secs_f64() * 1e3,
        l.p99.as_secs_f64() * 1e3,
        if l.bad > 0 {
            format!("  ({} not 2xx/3xx)", l.bad)
        } else {
            String::new()
        }
    );
}

fn main() {
    let seconds = env_usize("BENCH_SECONDS", 10);
    let connections = env_usize("BENCH_CONNECTIONS", 64);
    let runtime = tokio::runtime::Builder::new_multi_thread()
        .worker_threads(1)
        .enable_all()
        .build()
        .unwrap();
    let wrk = Wrk::get();
    runtime.block_on(async {
        let db = TestDb::new();
        let cached = settings(&db, Settings::defaults().unwrap().http.page_cache_ms);
        let pool = db::connect(&cached.database).unwrap();
        db::migrate(&pool).unwrap();
        // Sessions from four months back: the Jam's past sessions.
        let past = chrono::Utc::now() - chrono::Duration::days(120);
        convene::jobs::sync_series(&pool, Arc::new(cached.clone()), past)
            .await
            .unwrap();
        let session = next_jam_session(&pool);
        seed(&pool, &cached, session);

        let app = Application::build(cached).await.unwrap();
        let base = format!("http://127.0.0.1:{}", app.port());
        tokio::spawn(app.run_until_stopped());
        let uncached = Application::build(settings(&db, 0)).await.unwrap();
        let uncached_base = format!("http://127.0.0.1:{}", uncached.port());
        tokio::spawn(uncached.run_until_stopped());

        let paths = ["/".to_string(), format!("/sessions/{session}")];
        let mut bodies = Vec::new();
        for path in &paths {
            let response = reqwest::get(format!("{base}{path}")).await.unwrap();
            assert_eq!(response.status(), 200, "{path}");
            let body = response.bytes().await.unwrap();
            let plain = reqwest::get(format!("{uncached_base}{path}"))
                .await
                .unwrap()
                .bytes()
                .await
                .unwrap();
            assert_eq!(body, plain, "{path}: the cached and uncached pages differ");
            bodies.push(body);
        }
        let pages: Vec<(&str, &[u8])> = paths
            .iter()
            .zip(&bodies)
            .map(|(p, b)| (p.as_str(), b.as_ref()))
            .collect();
        let nginx = Nginx::serve(&pages, false);
        let nginx_base = format!("http://127.0.0.1:{}", nginx.port);

        println!(
            "pages (SQLite, {REGISTRATIONS} registrations on the next Jam, wrk -t2 -c{connections}, {seconds} s each, release):"
        );
        let measure = |url: String| {
            let wrk = &wrk;
            async move {
                tokio::task::block_in_place(|| wrk.run(&url, connections, seconds))
            }
        };
        for (path, body) in paths.iter().zip(&bodies) {
            // Warm up both (connections, the page kept), unmeasured.
            tokio::task::block_in_place(|| {
                wrk.run(&format!("{base}{path}"), connections, 2);
                wrk.run(&format!("{nginx_base}{path}"), connections, 2);
            });
            println!("GET {path} ({} bytes)", body.len());
            let convene = measure(format!("{base}{path}")).await;
            let ceiling = measure(format!("{nginx_base}{path}")).await;
            line("convene (page cache on)", &convene);
            line("nginx, the same bytes", &ceiling);
            println!("  -> convene/nginx = {:.3}x", convene.rate / ceiling.rate);
        }
        for path in &paths {
            let plain = measure(format!("{uncached_base}{path}")).await;
            line(&format!("convene, cache off: GET {path}"), &plain);
        }
        drop(nginx);
    });
}
