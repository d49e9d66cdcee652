use convene::db::{self, DbError};
use diesel::prelude::*;

use crate::helpers::TestDb;

fn insert_person(conn: &mut db::DbConnection, email: &str) -> QueryResult<usize> {
    use convene::db::schema::people;
    let now = chrono::Utc::now().naive_utc();
    diesel::insert_into(people::table)
        .values((
            people::email.eq(email),
            people::first_name.eq("A"),
            people::last_name.eq("B"),
            people::organization.eq("C"),
            people::job_title.eq(""),
            people::sector.eq("other"),
            people::state.eq("NY"),
            people::created_at.eq(now),
            people::updated_at.eq(now),
        ))
        .execute(conn)
}

/// A migrated database of the test's own, without the application.
fn migrated_pool() -> (TestDb, db::Pool) {
    let test_db = TestDb::new();
    let mut settings = convene::Settings::defaults().unwrap();
    settings.database.url = test_db.url.clone();
    let pool = db::connect(&settings.database).unwrap();
    db::migrate(&pool).unwrap();
    (test_db, pool)
}

#[tokio::test]
async fn concurrent_writes_that_fail_leave_nothing_while_the_others_commit() {
    let (_db, pool) = migrated_pool();

    let jobs: Vec<_> = (0..40)
        .map(|i| {
            let pool = pool.clone();
            tokio::spawn(async move {
                db::write(&pool, move |conn| {
                    insert_person(conn, &format!("p{i}@example.org"))?;
                    if i % 2 == 1 {
                        return Err(DbError::Commit("this job changes its mind".into()));
                    }
                    Ok(i)
                })
                .await
            })
        })
        .collect();
    let mut ok = 0;
    for (i, job) in jobs.into_iter().enumerate() {
        let result = job.await.unwrap();
        assert_eq!(
            result.is_ok(),
            i % 2 == 0,
            "job {i} reported the wrong outcome: {result:?}"
        );
        ok += usize::from(result.is_ok());
    }
    let mut conn = pool.get().unwrap();
    let stored: Vec<String> = convene::db::schema::people::table
        .select(convene::db::schema::people::email)
        .order(convene::db::schema::people::email)
        .load(&mut *conn)
        .unwrap();
    assert_eq!(
        stored.len(),
        ok,
        "only the successful jobs' rows are stored: {stored:?}"
    );
    assert!(
        stored
            .iter()
            .all(|e| e[1..e.find('@').unwrap()].parse::<u32>().unwrap() % 2 == 0),
        "{stored:?}"
    );
}

#[tokio::test]
async fn a_write_that_panics_fails_alone_and_the_rest_of_its_batch_commits() {
    let (_db, pool) = migrated_pool();

    let jobs: Vec<_> = (0..12)
        .map(|i| {
            let pool = pool.clone();
            tokio::spawn(async move {
                db::write(&pool, move |conn| {
                    insert_person(conn, &format!("q{i}@example.org"))?;
                    assert_ne!(i, 5, "job 5 panics after writing");
                    Ok::<_, DbError>(i)
                })
                .await
            })
        })
        .collect();
    for (i, job) in jobs.into_iter().enumerate() {
        let outcome = job.await;
        if i == 5 {
            assert!(
                outcome.is_err_and(|e| e.is_panic()),
                "the panicking write's caller sees the panic"
            );
        } else {
            assert!(
                matches!(outcome, Ok(Ok(n)) if n == i),
                "job {i} should commit"
            );
        }
    }
    let mut conn = pool.get().unwrap();
    let stored: i64 = convene::db::schema::people::table
        .count()
        .get_result(&mut *conn)
        .unwrap();
    assert_eq!(stored, 11, "every write but the panicking one is stored");
    // The writer still works afterwards.
    let after = db::write(&pool, |conn| {
        insert_person(conn, "after@example.org").map_err(DbError::from)
    })
    .await;
    assert!(after.is_ok(), "{after:?}");
}
