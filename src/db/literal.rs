//! A constant written into a statement's SQL instead of bound to it, for
//! the one place a query must name the value a partial index was built on.
//!
//! SQLite plans a statement once (the query planner stability guarantee is
//! on: `.cargo/config.toml`), so `origin = ?` cannot use an index made
//! `WHERE origin = 'public'`: the planner does not know what `?` will be.
//! Diesel still caches the statement, keyed by its SQL text.

use diesel::backend::Backend;
use diesel::expression::{AppearsOnTable, Expression, SelectableExpression, ValidGrouping};
use diesel::query_builder::{AstPass, QueryFragment, QueryId};
use diesel::sql_types::Text;
use diesel::QueryResult;

/// `'text'` in the SQL. Only for constants of the program: the text is
/// quoted, never bound.
#[derive(Debug, Clone, Copy)]
pub struct Literal(&'static str);

/// The constant `text` as SQL text.
pub fn literal(text: &'static str) -> Literal {
    Literal(text)
}

impl Expression for Literal {
    type SqlType = Text;
}

impl<DB: Backend> QueryFragment<DB> for Literal {
    fn walk_ast<'b>(&'b self, mut out: AstPass<'_, 'b, DB>) -> QueryResult<()> {
        out.push_sql("'");
        out.push_sql(&self.0.replace('\'', "''"));
        out.push_sql("'");
        Ok(())
    }
}

/// Not one statement per type: two literals are two statements, so the
/// cache keys them by their SQL.
impl QueryId for Literal {
    type QueryId = ();
    const HAS_STATIC_QUERY_ID: bool = false;
}

impl<QS> AppearsOnTable<QS> for Literal {}
impl<QS> SelectableExpression<QS> for Literal {}
impl<GB> ValidGrouping<GB> for Literal {
    type IsAggregate = diesel::expression::is_aggregate::Never;
}

#[cfg(test)]
mod tests {
    use diesel::prelude::*;
    use diesel::sql_types::Text;
    use diesel_migrations::MigrationHarness;

    use super::literal;
    use crate::db::schema::outbox;

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

    fn lines(conn: &mut SqliteConnection, sql: &str) -> Vec<String> {
        diesel::sql_query(sql)
            .load::<Line>(conn)
            .unwrap()
            .into_iter()
            .map(|l| l.text)
            .collect()
    }

    #[test]
    fn sqlite_keeps_its_plans_and_a_literal_still_meets_the_partial_index() {
        let mut conn = SqliteConnection::establish(":memory:").unwrap();
        let options = lines(
            &mut conn,
            "SELECT compile_options AS text FROM pragma_compile_options",
        );
        assert!(
            options.iter().any(|o| o == "ENABLE_QPSG"),
            "SQLite built without .cargo/config.toml's flags: {options:?}"
        );
        conn.run_pending_migrations(crate::db::SQLITE_MIGRATIONS)
            .unwrap();
        let capped = outbox::table
            .filter(outbox::recipient.eq("someone@example.org"))
            .filter(outbox::origin.eq(literal("public").nullable()))
            .count();
        let shown = diesel::debug_query::<diesel::sqlite::Sqlite, _>(&capped).to_string();
        let (sql, binds) = shown.split_once(" -- binds: ").unwrap();
        assert_eq!(binds, r#"["someone@example.org"]"#, "'public' is not bound");
        let sql = sql.replace('?', "'someone@example.org'");
        let plan = diesel::sql_query(format!("EXPLAIN QUERY PLAN {sql}"))
            .load::<Step>(&mut conn)
            .unwrap();
        assert!(
            plan.iter()
                .any(|s| s.detail.contains("outbox_public_recipient")),
            "{sql}: {:?}",
            plan.iter().map(|s| &s.detail).collect::<Vec<_>>()
        );
        assert_eq!(
            diesel::debug_query::<diesel::sqlite::Sqlite, _>(&diesel::select(literal("it's")))
                .to_string(),
            "SELECT 'it''s' -- binds: []"
        );
    }
}
