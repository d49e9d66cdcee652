//! What an idle `convene serve` costs: the process's CPU time while nothing
//! happens (the real scheduler and mail worker running, default tick and
//! poll), against the CPU of a month of the Jam's real work measured in the
//! same run: 577 registrations over HTTP and their confirmations sent.
//!
//!     cargo bench --bench idle
//!     CONVENE_TEST_DATABASE_URL=postgres://postgres@127.0.0.1/postgres cargo bench --bench idle
//!
//! BENCH_IDLE_SECONDS (default 60) sets how long idleness is measured,
//! BENCH_SETTLE_SECONDS (default 10) how long the app settles first,
//! BENCH_HTTP_WORKERS `http.workers` (default: the configured default). CPU is
//! the whole bench process's (user + system, every thread: the app runs in
//! it), from getrusage. The month's work includes the HTTP client's CPU,
//! so it is, if anything, counted high. Figures go to stdout; record them
//! in docs/PERFORMANCE.md ("Idle").

use std::time::{Duration, Instant};

use convene::config::PublicUrl;
use convene::db::{self, Pool};
use convene::{Application, Settings};

#[allow(dead_code)]
#[path = "../tests/api/helpers.rs"]
mod helpers;
use helpers::TestDb;

/// The Jam's registrants per session, one session a month (DESIGN.md).
const MONTH_OF_REGISTRATIONS: usize = 577;
const SECONDS_PER_MONTH: f64 = 30.0 * 86_400.0;

fn env_u64(name: &str, default: u64) -> u64 {
    std::env::var(name)
        .ok()
        .and_then(|v| v.parse().ok())
        .unwrap_or(default)
}

/// Every thread's CPU time of this process so far (user + system).
fn cpu() -> Duration {
    let mut usage = std::mem::MaybeUninit::<libc::rusage>::zeroed();
    // SAFETY: getrusage fills the struct it is given; RUSAGE_SELF is valid.
    let usage = unsafe {
        assert_eq!(libc::getrusage(libc::RUSAGE_SELF, usage.as_mut_ptr()), 0);
        usage.assume_init()
    };
    let tv = |t: libc::timeval| Duration::new(t.tv_sec as u64, t.tv_usec as u32 * 1000);
    tv(usage.ru_utime) + tv(usage.ru_stime)
}

/// CPU time so far per thread name (`/proc/self/task/*/schedstat`, in
/// nanoseconds): where idle time goes. Threads that ended are missing.
fn cpu_by_thread() -> std::collections::BTreeMap<String, u64> {
    let mut by_name = std::collections::BTreeMap::new();
    let Ok(tasks) = std::fs::read_dir("/proc/self/task") else {
        return by_name;
    };
    for task in tasks.flatten() {
        let dir = task.path();
        let name = std::fs::read_to_string(dir.join("comm")).unwrap_or_default();
        let ran = std::fs::read_to_string(dir.join("schedstat"))
            .ok()
            .and_then(|s| s.split_whitespace().next()?.parse::<u64>().ok())
            .unwrap_or(0);
        *by_name.entry(name.trim().to_string()).or_insert(0) += ran;
    }
    by_name
}

/// The floor for this path: an actix-web server with one route and as many
/// HTTP workers, idle, in this same process before the app starts. Its
/// share of a core is what any actix-web service pays to do nothing.
async fn bare_server_idle(workers: usize, settle: Duration, idle_for: Duration) -> f64 {
    let listener = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
    let server = actix_web::HttpServer::new(|| {
        actix_web::App::new().route("/", actix_web::web::get().to(|| async { "ok" }))
    })
    .workers(workers)
    .disable_signals()
    .listen(listener)
    .unwrap()
    .run();
    let handle = server.handle();
    tokio::spawn(server);
    tokio::time::sleep(settle).await;
    let (cpu0, t0) = (cpu(), Instant::now());
    tokio::time::sleep(idle_for).await;
    let share = (cpu() - cpu0).as_secs_f64() / t0.elapsed().as_secs_f64();
    handle.stop(true).await;
    share
}

/// The defaults `convene serve` runs with (scheduler and worker on, the
/// configured series, the file transport), in a scratch database and folder.
fn settings(db: &TestDb) -> Settings {
    let mut s = Settings::defaults().unwrap();
    s.http.bind = "127.0.0.1:0".parse().unwrap();
    s.http.public_url = PublicUrl::parse("http://bench.test").unwrap();
    s.database.url = db.url.clone();
    s.mail.file_dir = db.dir().join("mail");
    s.archive.dir = db.dir().join("archive");
    s.archive.spool_dir = db.dir().join("uploads");
    s.http.workers = env_u64("BENCH_HTTP_WORKERS", u64::from(s.http.workers)) as u32;
    // One address posts every registration.
    s.limits.public_posts_per_minute = 0;
    s.limits.public_mail_per_recipient_per_hour = 0;
    s.auth.link_secret = "bench link secret".into();
    assert!(
        s.jobs.run_in_serve,
        "the bench measures serve with its workers"
    );
    s
}

/// The next session, as the public listing shows it first.
fn first_session(pool: &Pool) -> i64 {
    let mut conn = pool.get().unwrap();
    let now = chrono::Utc::now().naive_utc();
    let next = convene::series::model::upcoming_public(&mut conn, now, 1).unwrap();
    next[0].0.id
}

fn pending(pool: &Pool) -> i64 {
    let mut conn = pool.get().unwrap();
    convene::mail::outbox::depth(&mut conn).unwrap()
}

/// Registers `n` people over HTTP and waits until their confirmations
/// have left; returns the CPU it took and how long.
async fn month_of_work(base: &str, pool: &Pool, n: usize) -> (Duration, Duration) {
    let session = first_session(pool);
    let client = reqwest::Client::builder()
        .redirect(reqwest::redirect::Policy::none())
        .build()
        .unwrap();
    let url = format!("{base}/sessions/{session}/register");
    let (cpu0, t0) = (cpu(), Instant::now());
    for i in 0..n {
        let email = format!("attendee{i}@example.org");
        let body = [
            ("first_name", "Bench"),
            ("last_name", "Mark"),
            ("email", email.as_str()),
            ("organization", "Load Test Behavioral Health"),
            ("job_title", "Tester"),
            ("sector", "provider"),
            ("state", "NY"),
        ];
        let status = client.post(&url).form(&body).send().await.unwrap().status();
        assert_eq!(status.as_u16(), 303, "registration {i} was not accepted");
    }
    // Wait for the worker to send them (the default rate limit paces it);
    // one indexed count every half second adds little.
    while pending(pool) > 0 {
        tokio::time::sleep(Duration::from_millis(500)).await;
    }
    (cpu() - cpu0, t0.elapsed())
}

fn main() {
    let idle_for = Duration::from_secs(env_u64("BENCH_IDLE_SECONDS", 60));
    let settle = Duration::from_secs(env_u64("BENCH_SETTLE_SECONDS", 10));
    let backend =
        if std::env::var("CONVENE_TEST_DATABASE_URL").is_ok_and(|u| u.starts_with("postgres")) {
            "postgres"
        } else {
            "sqlite"
        };
    let runtime = tokio::runtime::Builder::new_multi_thread()
        .enable_all()
        .build()
        .unwrap();
    runtime.block_on(async {
        let db = TestDb::new();
        let settings = settings(&db);
        let settings_again = settings.clone();
        let (tick, poll) = (settings.jobs.tick_seconds, settings.mail.poll_interval_ms);
        let http_workers = settings.http.worker_count();
        let floor = bare_server_idle(http_workers, settle, idle_for).await;
        let pool = db::connect(&settings.database).unwrap();
        db::migrate(&pool).unwrap();
        let app = Application::build(settings).await.unwrap();
        let base = format!("http://127.0.0.1:{}", app.port());
        tokio::spawn(app.run_until_stopped());

        tokio::time::sleep(settle).await;
        let (cpu0, t0, threads0) = (cpu(), Instant::now(), cpu_by_thread());
        tokio::time::sleep(idle_for).await;
        let (idle_cpu, idle_wall) = (cpu() - cpu0, t0.elapsed());
        let threads: Vec<(String, f64)> = cpu_by_thread()
            .into_iter()
            .map(|(name, ns)| {
                let before = threads0.get(&name).copied().unwrap_or(0);
                (name, ns.saturating_sub(before) as f64 / 1e9)
            })
            .filter(|(_, secs)| *secs > 0.0)
            .collect();
        let share = idle_cpu.as_secs_f64() / idle_wall.as_secs_f64();
        let idle_month = share * SECONDS_PER_MONTH;

        // What one scheduler tick with nothing due costs, called directly:
        // its share of the idle figure is that times the ticks a second.
        let ticks = env_u64("BENCH_TICKS", 200) as u32;
        let (tick_settings, tick_cpu0) = (std::sync::Arc::new(settings_again.clone()), cpu());
        for _ in 0..ticks {
            convene::jobs::tick(&pool, tick_settings.clone(), chrono::Utc::now())
                .await
                .unwrap();
        }
        let per_tick = (cpu() - tick_cpu0) / ticks;
        let tick_share = per_tick.as_secs_f64() / tick as f64;

        let (work_cpu, work_wall) = month_of_work(&base, &pool, MONTH_OF_REGISTRATIONS).await;
        let work = work_cpu.as_secs_f64();

        println!("idle benchmark ({backend}; scheduler every {tick} s, mail worker's fallback look every {poll} ms, http.workers = {http_workers})");
        println!("  idle CPU                     : {:>9.4} % of a core  ({:.3} CPU-s over {:.0} s; target < 0.02 %)", share * 100.0, idle_cpu.as_secs_f64(), idle_wall.as_secs_f64());
        println!("  bare actix-web, same workers : {:>9.4} % of a core  (the floor, measured first in this process; convene / floor = {:.2})", floor * 100.0, share / floor);
        println!("  of which the scheduler's tick: {:>9.4} % of a core  ({:.2} ms CPU per tick with nothing due, {ticks} ticks called directly)", tick_share * 100.0, per_tick.as_secs_f64() * 1000.0);
        for (name, secs) in &threads {
            println!("    thread {name:<22}: {:>9.4} % of a core", secs / idle_wall.as_secs_f64() * 100.0);
        }
        println!("  idle CPU per month           : {idle_month:>9.1} CPU-s");
        println!("  a month of the Jam's work    : {work:>9.2} CPU-s  ({MONTH_OF_REGISTRATIONS} registrations over HTTP + their confirmations sent, {:.0} s)", work_wall.as_secs_f64());
        println!("  idle month / work month      : {:>9.2}", idle_month / work);
    });
}
