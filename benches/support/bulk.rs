//! Rows written as plainly as each backend takes them, for the benches'
//! ceilings: PostgreSQL's binary `COPY … FROM STDIN`, SQLite multi-row
//! `INSERT`s of one prepared shape.

use chrono::NaiveDateTime;
use convene::db::schema::people;

/// Rows per SQLite `INSERT`, as the attendance import stages them.
pub const SQLITE_ROWS: usize = 500;

/// How `put!` writes on this backend, as the benches report it.
pub fn how(postgres: bool) -> &'static str {
    if postgres {
        "binary COPY"
    } else {
        "prepared multi-row INSERTs"
    }
}

/// A new person as the imports write one. Owned: diesel keeps a prepared
/// multi-row insert only for rows that borrow nothing.
#[derive(diesel::Insertable)]
#[diesel(table_name = people, treat_none_as_default_value = false)]
pub struct Person {
    pub id: i64,
    pub email: String,
    pub first_name: String,
    pub last_name: String,
    pub organization: String,
    pub job_title: &'static str,
    pub sector: &'static str,
    pub state: &'static str,
    pub created_at: NaiveDateTime,
    pub updated_at: NaiveDateTime,
}

/// Writes `$rows` into `$table` plainly: binary `COPY`, or SQLite
/// multi-row inserts of one prepared shape (the rest a prepared row at a
/// time). A macro: diesel's bounds for one generic function over every
/// table would be longer than the uses. The rows' `Insertable` needs
/// `treat_none_as_default_value = false`: diesel copies only plain values.
macro_rules! put {
    ($conn:expr, $table:expr, $rows:expr) => {
        match $conn {
            convene::db::DbConnection::Postgres(pg) => {
                use diesel::ExecuteCopyFromDsl;
                diesel::copy_from($table)
                    .from_insertable($rows)
                    .execute(pg)?;
            }
            convene::db::DbConnection::Sqlite(lite) => {
                let mut parts = $rows.chunks_exact($crate::bulk::SQLITE_ROWS);
                for part in &mut parts {
                    let part: &[_; $crate::bulk::SQLITE_ROWS] = part.try_into().unwrap();
                    diesel::insert_into($table).values(part).execute(lite)?;
                }
                for row in parts.remainder() {
                    diesel::insert_into($table).values(row).execute(lite)?;
                }
            }
        }
    };
}
