//! A subscriber list imported end to end, as an operator runs it: `convene
//! list import --list jam FILE --consent …` (the release binary, a child
//! process) reading a generated 100 000-row CSV (semicolons and a BOM, as
//! Excel writes it) into a database where a quarter of the addresses are
//! already people (details blank, so the import fills them) and 1 000 of
//! them unsubscribed from the list.
//!
//!     cargo bench --bench list_import
//!     CONVENE_TEST_DATABASE_URL=postgres://postgres@127.0.0.1/postgres cargo bench --bench list_import
//!
//! Three runs: the file (most new), the same file again (nothing changes)
//! and again with `--strict` (read twice). For each: wall time of the whole
//! process. Then the comparator: the machine's own ceiling for the same
//! writes (`support/list_ceiling.rs`: the rows the first import writes —
//! the people not yet known, the known ones' blank details, a confirmed
//! subscription with its link for everyone not unsubscribed — into the
//! same tables of a database seeded the same way, PostgreSQL binary
//! `COPY`, SQLite prepared multi-row `INSERT`s, the details by one `UPDATE
//! … FROM` a table loaded that way, one transaction, with who is known,
//! the ids and the links worked out before the clock starts).
//! BENCH_LIST_ROWS (default 100000) sets the rows. Record figures in
//! docs/PERFORMANCE.md.

use std::io::Write;
use std::process::Command;
use std::time::{Duration, Instant};

use chrono::Utc;
use convene::db;
use convene::web::links::LinkKey;
use convene::Settings;
use diesel::prelude::*;
use diesel::sql_types::{BigInt, Timestamp};

#[allow(dead_code)]
#[path = "../tests/api/helpers.rs"]
mod helpers;
use helpers::TestDb;

#[macro_use]
#[path = "support/bulk.rs"]
mod bulk;

#[path = "support/list_ceiling.rs"]
mod list_ceiling;

/// The import's link secret; the comparator seals its links with it too.
const LINK_SECRET: &str = "bench link secret";

const SECTORS: [&str; 4] = ["provider", "association", "government", "academic"];
const STATES: [&str; 4] = ["NY", "California", "tx", "OUTSIDE_US"];

/// Every fourth address a person already, details blank; the first 1 000
/// of those unsubscribed from the Jam list.
fn seed(pool: &db::Pool, rows: usize) {
    let mut conn = pool.get().unwrap();
    let now = Utc::now().naive_utc();
    let people = conn.sql(
        "WITH RECURSIVE n(i) AS (SELECT 0 UNION ALL SELECT i + 4 FROM n WHERE i + 4 < ?) \
         INSERT INTO people (email, first_name, last_name, organization, job_title, sector, state, created_at, updated_at) \
         SELECT 'subscriber.' || CAST(i AS TEXT) || '@example.org', '', '', '', '', '', '', ?, ? FROM n",
    );
    diesel::sql_query(people)
        .bind::<BigInt, _>(rows as i64)
        .bind::<Timestamp, _>(now)
        .bind::<Timestamp, _>(now)
        .execute(&mut *conn)
        .unwrap();
    let gone = conn.sql(
        "INSERT INTO subscriptions (person_id, list_slug, status, token_hash, unsubscribed_at, created_at, updated_at) \
         SELECT id, 'jam', 'unsubscribed', 'benchtoken' || CAST(id AS TEXT), ?, ?, ? FROM people \
         ORDER BY id LIMIT 1000",
    );
    diesel::sql_query(gone)
        .bind::<Timestamp, _>(now)
        .bind::<Timestamp, _>(now)
        .bind::<Timestamp, _>(now)
        .execute(&mut *conn)
        .unwrap();
}

/// A fresh database, seeded.
fn database(rows: usize) -> (TestDb, db::Pool) {
    let db = TestDb::new();
    let mut settings = Settings::defaults().unwrap();
    settings.database.url = db.url.clone();
    let pool = db::connect(&settings.database).unwrap();
    db::migrate(&pool).unwrap();
    seed(&pool, rows);
    (db, pool)
}

fn write_file(path: &std::path::Path, rows: usize) {
    let mut out = std::io::BufWriter::new(std::fs::File::create(path).unwrap());
    out.write_all(b"\xEF\xBB\xBFEmail;First Name;Last Name;Organisation;Sector;State\r\n")
        .unwrap();
    for i in 0..rows {
        write!(
            out,
            "Subscriber.{i}@Example.org;First{i};Last{i};Organization {};{};{}\r\n",
            i % 500,
            SECTORS[i % 4],
            STATES[(i / 4) % 4]
        )
        .unwrap();
    }
    out.flush().unwrap();
}

/// Runs `convene list import`: its time and what it printed.
fn import(db: &TestDb, file: &std::path::Path, strict: bool) -> (Duration, String) {
    let dir = tempfile::tempdir().unwrap();
    let started = Instant::now();
    let mut command = Command::new(env!("CARGO_BIN_EXE_convene"));
    command
        .current_dir(dir.path())
        .args(["list", "import", "--list", "jam", "--consent", "bench list"])
        .arg(file)
        .env_remove("CONVENE_ENV")
        .env("RUST_LOG", "warn")
        .env("CONVENE__AUTH__LINK_SECRET", LINK_SECRET)
        .env("CONVENE__DATABASE__URL", db.url_string());
    if strict {
        command.arg("--strict");
    }
    let out = command.output().expect("run convene list import");
    let took = started.elapsed();
    let said = String::from_utf8_lossy(&out.stdout).trim().to_string();
    assert!(
        out.status.success(),
        "convene list import failed: {said} {}",
        String::from_utf8_lossy(&out.stderr)
    );
    (took, said)
}

fn main() {
    let rows = std::env::var("BENCH_LIST_ROWS")
        .ok()
        .and_then(|v| v.parse().ok())
        .unwrap_or(100_000usize);
    let backend = match std::env::var("CONVENE_TEST_DATABASE_URL") {
        Ok(u) if u.starts_with("postgres") => "postgres",
        _ => "sqlite",
    };
    let (db, pool) = database(rows);
    drop(pool);
    let files = tempfile::tempdir().unwrap();
    let path = files.path().join("list.csv");
    write_file(&path, rows);
    let megabytes = std::fs::metadata(&path).unwrap().len() as f64 / 1e6;
    println!("list_import ({backend}): {rows} rows ({megabytes:.1} MB)");
    let mut first_rate = 0.0;
    for (what, strict) in [
        ("first import", false),
        ("same file again", false),
        ("same file again, --strict", true),
    ] {
        let (took, said) = import(&db, &path, strict);
        let rate = rows as f64 / took.as_secs_f64();
        if first_rate == 0.0 {
            first_rate = rate;
        }
        println!(
            "  {what}: {:.2} s ({rate:.0} rows/s)\n    {said}",
            took.as_secs_f64()
        );
    }
    drop(db);

    // The comparator, back to back with the runs above.
    let (_fresh, pool) = database(rows);
    let ceiling = list_ceiling::write(
        &mut pool.get().unwrap(),
        &path,
        "jam",
        "bench list",
        &LinkKey::from_secret(LINK_SECRET),
    );
    let ceiling_rate = rows as f64 / ceiling.took.as_secs_f64();
    let how = bulk::how(backend == "postgres");
    println!(
        "  project: {first_rate:.0} rows/s (first import, end to end)\n  \
         comparator: {ceiling_rate:.0} rows/s ({} new people, {} people's details by one UPDATE … FROM, \
         {} confirmed subscriptions, {how}, one transaction: {:.2} s)\n  \
         ratio: {:.2}",
        ceiling.people,
        ceiling.filled,
        ceiling.subscriptions,
        ceiling.took.as_secs_f64(),
        first_rate / ceiling_rate,
    );
}
