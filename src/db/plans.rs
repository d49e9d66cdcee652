//! How SQLite runs our statements, for tests: an in-memory database with
//! every migration applied, and SQLite's plan for a query diesel builds.
//! SQLite plans a statement once, whatever is later bound
//! (`.cargo/config.toml` turns its query planner stability guarantee on),
//! so a query that must meet a partial index names the index's constant in
//! its SQL; a test here shows it does.

use diesel::prelude::*;
use diesel::query_builder::QueryFragment;
use diesel::sql_types::Text;
use diesel::sqlite::Sqlite;
use diesel_migrations::MigrationHarness;

#[derive(QueryableByName)]
struct Line {
    #[diesel(sql_type = Text)]
    text: String,
}

#[derive(QueryableByName)]
struct Step {
    #[diesel(sql_type = Text)]
    detail: String,
}

/// An in-memory SQLite database with every migration applied.
pub(crate) fn migrated() -> SqliteConnection {
    let mut conn = SqliteConnection::establish(":memory:").unwrap();
    conn.run_pending_migrations(crate::db::SQLITE_MIGRATIONS)
        .unwrap();
    conn
}

/// The SQL diesel writes for `query`, each bound value written in as
/// `bound`, and SQLite's plan for it, one step a line.
pub(crate) fn plan<Q: QueryFragment<Sqlite>>(
    conn: &mut SqliteConnection,
    query: &Q,
    bound: &str,
) -> (String, Vec<String>) {
    let shown = diesel::debug_query::<Sqlite, _>(query).to_string();
    let (sql, _) = shown.split_once(" -- binds: ").unwrap();
    let sql = sql.replace('?', bound);
    let steps = diesel::sql_query(format!("EXPLAIN QUERY PLAN {sql}"))
        .load::<Step>(conn)
        .unwrap();
    (sql, steps.into_iter().map(|s| s.detail).collect())
}

#[test]
fn sqlite_is_built_to_keep_its_plans() {
    let mut conn = SqliteConnection::establish(":memory:").unwrap();
    let options: Vec<String> =
        diesel::sql_query("SELECT compile_options AS text FROM pragma_compile_options")
            .load::<Line>(&mut conn)
            .unwrap()
            .into_iter()
            .map(|l| l.text)
            .collect();
    assert!(
        options.iter().any(|o| o == "ENABLE_QPSG"),
        "SQLite built without .cargo/config.toml's flags: {options:?}"
    );
}
