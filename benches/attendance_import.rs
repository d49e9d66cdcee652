//! Attendance import end to end, as an organizer runs it: `convene import
//! zoom FILE --session ID` (the release binary, a child process) reading a
//! generated 100 000-row Zoom attendee report (one row in five a rejoin, so
//! 80 000 people) into a Jam session whose registrants are half of them.
//!
//!     cargo bench --bench attendance_import
//!     CONVENE_TEST_DATABASE_URL=postgres://postgres@127.0.0.1/postgres cargo bench --bench attendance_import
//!
//! Three runs: the first report (every person new), a newer report of the
//! same rows (replaces the first import's rows; people known), and the
//! newer report again (unchanged). For each: wall time and that child's
//! own peak RSS. Then, back to back, the comparators: the machine's own
//! ceiling for the same writes (`support/attendance_ceiling.rs`: the rows
//! the first import writes — the people not yet known, everyone's
//! attendance — into the same tables of a database seeded the same way,
//! PostgreSQL binary `COPY`, SQLite prepared multi-row `INSERT`s, one
//! transaction, with who is new and who registered worked out before the
//! clock starts) and parsing alone (one streamed pass over the file, as
//! the import reads it). BENCH_ATTENDANCE_ROWS (default 100000) sets the rows.
//! Record figures in docs/PERFORMANCE.md.

use std::io::Write;
use std::process::{Command, Stdio};
use std::sync::Arc;
use std::time::{Duration, Instant};

use chrono::Utc;
use convene::db::{self, Pool};
use convene::series::model::Session;
use convene::Settings;
use diesel::prelude::*;

#[allow(dead_code)]
#[path = "../tests/api/helpers.rs"]
mod helpers;
use helpers::TestDb;

#[path = "support/zoom_report.rs"]
mod zoom_report;

#[macro_use]
#[path = "support/bulk.rs"]
mod bulk;

#[path = "support/attendance_ceiling.rs"]
mod attendance_ceiling;

/// A fresh database with the Jam's sessions, and its first session.
fn database() -> (TestDb, Pool, Session) {
    use convene::db::schema::{series, sessions};
    let db = TestDb::new();
    let mut settings = Settings::defaults().unwrap();
    // Not the key file under data/: a bench keeps nothing.
    settings.auth.link_secret = "bench link secret".into();
    settings.database.url = db.url.clone();
    let pool = db::connect(&settings.database).unwrap();
    db::migrate(&pool).unwrap();
    let runtime = tokio::runtime::Runtime::new().unwrap();
    runtime
        .block_on(convene::jobs::sync_series(
            &pool,
            Arc::new(settings),
            Utc::now(),
        ))
        .unwrap();
    let session: Session = sessions::table
        .inner_join(series::table)
        .filter(series::slug.eq("jam"))
        .order(sessions::starts_at)
        .select(Session::as_select())
        .first(&mut *pool.get().unwrap())
        .unwrap();
    (db, pool, session)
}

/// Registrations for `session` for every second person of the generated
/// report, written by the database itself.
fn seed(pool: &Pool, session: &Session, people: usize) {
    let mut conn = pool.get().unwrap();
    let now = Utc::now().naive_utc();
    let people_sql = conn.sql(
        "WITH RECURSIVE n(i) AS (SELECT 0 UNION ALL SELECT i + 2 FROM n WHERE i + 2 < ?) \
         INSERT INTO people (email, first_name, last_name, organization, job_title, sector, state, created_at, updated_at) \
         SELECT 'person.' || CAST(i AS TEXT) || '@example.org', 'Person', 'Registered', \
         'Bench Behavioral Health', '', 'provider', 'NY', ?, ? FROM n",
    );
    diesel::sql_query(people_sql)
        .bind::<diesel::sql_types::BigInt, _>(people as i64)
        .bind::<diesel::sql_types::Timestamp, _>(now)
        .bind::<diesel::sql_types::Timestamp, _>(now)
        .execute(&mut *conn)
        .unwrap();
    let registrations = conn.sql(
        "INSERT INTO registrations (session_id, person_id, token_hash, status, subscribe, calendar_sequence, \
         confirmations_sent, created_at, updated_at, registered_at) \
         SELECT ?, id, 'benchtoken' || CAST(id AS TEXT), 'registered', false, 0, 1, ?, ?, ? FROM people",
    );
    diesel::sql_query(registrations)
        .bind::<diesel::sql_types::BigInt, _>(session.id)
        .bind::<diesel::sql_types::Timestamp, _>(now)
        .bind::<diesel::sql_types::Timestamp, _>(now)
        .bind::<diesel::sql_types::Timestamp, _>(now)
        .execute(&mut *conn)
        .unwrap();
}

/// Runs `convene import zoom FILE --session ID`: its time, its own peak
/// resident set in MB (from `wait4`, for this child alone: the bench's
/// own memory, which a fork may count, is left out), and what it printed.
fn import(db: &TestDb, file: &std::path::Path, session: i64) -> (Duration, f64, String) {
    use std::io::Read;
    let dir = tempfile::tempdir().unwrap();
    let started = Instant::now();
    // Reaped by `wait4` below, which std's `wait` cannot stand in for: it
    // gives no usage.
    #[allow(clippy::zombie_processes)]
    let mut child = Command::new(env!("CARGO_BIN_EXE_convene"))
        .current_dir(dir.path())
        .args(["import", "zoom"])
        .arg(file)
        .args(["--session", &session.to_string()])
        .env_remove("CONVENE_ENV")
        .env("RUST_LOG", "warn")
        .env("CONVENE__DATABASE__URL", db.url_string())
        .stdout(Stdio::piped())
        .spawn()
        .expect("run convene import");
    // Its stderr is the bench's: a failure shows there.
    let mut said = String::new();
    child
        .stdout
        .take()
        .unwrap()
        .read_to_string(&mut said)
        .unwrap();
    let mut status = 0;
    let mut usage = std::mem::MaybeUninit::<libc::rusage>::zeroed();
    // SAFETY: wait4 reaps the child it is given and writes its status and
    // usage into the pointers; the child is not waited for elsewhere.
    let (reaped, usage) = unsafe {
        let pid = libc::wait4(
            child.id() as libc::pid_t,
            &mut status,
            0,
            usage.as_mut_ptr(),
        );
        (pid, usage.assume_init())
    };
    let took = started.elapsed();
    assert!(reaped > 0, "wait4 failed");
    assert!(
        libc::WIFEXITED(status) && libc::WEXITSTATUS(status) == 0,
        "convene import failed: {said}"
    );
    // Linux reports kilobytes.
    (
        took,
        usage.ru_maxrss as f64 / 1024.0,
        said.trim().to_string(),
    )
}

fn main() {
    let rows = std::env::var("BENCH_ATTENDANCE_ROWS")
        .ok()
        .and_then(|v| v.parse().ok())
        .unwrap_or(100_000usize);
    let backend = match std::env::var("CONVENE_TEST_DATABASE_URL") {
        Ok(u) if u.starts_with("postgres") => "postgres",
        _ => "sqlite",
    };
    let (db, pool, session) = database();
    seed(&pool, &session, rows);
    drop(pool);

    let files = tempfile::tempdir().unwrap();
    let (first, newer) = (
        files.path().join("first.csv"),
        files.path().join("newer.csv"),
    );
    // Written to disk as they are made, never held here: a child's peak RSS
    // starts from this process's resident size when it is spawned (with
    // both reports in memory every run at 400 000 rows read 104 MB, even
    // the one that only hashes the file).
    for (path, generated) in [
        (&first, "Mar 22, 2025 21:00:00"),
        (&newer, "Mar 23, 2025 09:00:01"),
    ] {
        let mut file = std::io::BufWriter::new(std::fs::File::create(path).unwrap());
        zoom_report::write(&mut file, rows, generated).unwrap();
        file.flush().unwrap();
    }
    let megabytes = std::fs::metadata(&first).unwrap().len() as f64 / 1e6;
    println!("attendance_import ({backend}): {rows} rows ({megabytes:.1} MB)");
    let mut first_rate = 0.0;
    for (what, file) in [
        ("first report, people new", &first),
        ("newer report, replaces", &newer),
        ("same report again", &newer),
    ] {
        let (took, rss, said) = import(&db, file, session.id);
        let rate = rows as f64 / took.as_secs_f64();
        if first_rate == 0.0 {
            first_rate = rate;
        }
        println!(
            "  {what}: {:.2} s ({rate:.0} rows/s), peak RSS {rss:.1} MB\n    {said}",
            took.as_secs_f64(),
        );
    }
    drop(db);

    // The comparators, back to back with the runs above.
    let started = Instant::now();
    let read = convene::attendance::parse::read(
        std::fs::File::open(&newer).unwrap(),
        convene::attendance::parse::Dates::scan(None),
    )
    .unwrap();
    let parsed = read.fold(0usize, |n, row| {
        row.expect("each row parses");
        n + 1
    });
    let parsing = started.elapsed();
    let attendees = convene::attendance::parse::parse(&std::fs::read(&newer).unwrap())
        .unwrap()
        .attendees;
    let (_fresh, pool, session) = database();
    seed(&pool, &session, rows);
    let ceiling = attendance_ceiling::write(&mut pool.get().unwrap(), session.id, &attendees);
    let ceiling_rate = rows as f64 / ceiling.as_secs_f64();
    let how = bulk::how(backend == "postgres");
    println!(
        "  project: {first_rate:.0} rows/s (first report, end to end)\n  \
         comparator: {ceiling_rate:.0} rows/s (the new people and {} attendance rows, {how}, one transaction: {:.2} s)\n  \
         ratio: {:.2}\n  \
         parsing alone: {:.0} rows/s ({parsed} rows, one streamed pass: {:.2} s)",
        attendees.len(),
        ceiling.as_secs_f64(),
        first_rate / ceiling_rate,
        rows as f64 / parsing.as_secs_f64(),
        parsing.as_secs_f64(),
    );
}
