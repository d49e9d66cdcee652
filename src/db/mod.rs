//! The database: one connection type over SQLite and PostgreSQL, a pool,
//! embedded migrations per backend, and running blocking work off the
//! async executor.

pub mod links;
pub mod listen;
mod notify;
#[cfg(test)]
pub(crate) mod plans;
pub mod schema;
mod writer;

use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::Arc;
use std::time::Duration;

use diesel::connection::SimpleConnection;
use diesel::prelude::*;
use diesel::r2d2::{self, ManageConnection};
use diesel_migrations::{embed_migrations, EmbeddedMigrations, MigrationHarness};

use crate::config::{DatabaseSettings, DatabaseUrl};

pub const SQLITE_MIGRATIONS: EmbeddedMigrations = embed_migrations!("migrations/sqlite");
pub const POSTGRES_MIGRATIONS: EmbeddedMigrations = embed_migrations!("migrations/postgres");

#[derive(diesel::MultiConnection)]
pub enum DbConnection {
    Postgres(PgConnection),
    Sqlite(SqliteConnection),
}

/// Runs `$body` with `$c` bound to the backend's own connection, for a
/// statement diesel's MultiConnection cannot build but each backend's DSL
/// can (`ON CONFLICT`, `FOR SHARE`): still built by diesel, so prepared
/// once per connection and cached, unlike `sql_query` text. `$body` is
/// compiled once per backend.
#[macro_export]
macro_rules! on_backend {
    ($conn:expr, $c:ident => $body:expr) => {
        match $conn {
            $crate::db::DbConnection::Postgres($c) => $body,
            $crate::db::DbConnection::Sqlite($c) => $body,
        }
    };
}

pub type PooledConnection = r2d2::PooledConnection<Manager>;

diesel::define_sql_function! {
    /// SQL `LOWER`: the same case folding on both backends (SQLite's
    /// `LIKE` ignores ASCII case, PostgreSQL's does not).
    fn lower(x: diesel::sql_types::Text) -> diesel::sql_types::Text;
}

/// The connection pool and, for SQLite, the single writer that runs this
/// process's write transactions in turn, committing them in groups (see
/// `writer`). SQLite has one writer anyway; on PostgreSQL writes run on
/// pooled connections in parallel, each its own transaction.
#[derive(Clone)]
pub struct Pool {
    inner: r2d2::Pool<Manager>,
    writer: Option<Arc<writer::Writer>>,
    /// PostgreSQL: tells other processes' workers after writes commit.
    notifier: Option<Arc<notify::Notifier>>,
    committed: Arc<tokio::sync::Notify>,
    /// How many write transactions (`write`) this process has ended.
    changes: Arc<AtomicU64>,
    /// One per pooled connection: `run` waits for a turn as a task before
    /// it takes a blocking thread, so a burst queues cheaply here instead
    /// of as hundreds of threads waiting on the pool's lock.
    turns: Arc<tokio::sync::Semaphore>,
}

impl Pool {
    pub fn get(&self) -> Result<PooledConnection, r2d2::PoolError> {
        self.inner.get()
    }

    /// Rung after each `write` this process commits: the mail worker waits
    /// on it instead of polling, since mail is queued only in writes. One
    /// waiter at a time (a ring while nobody waits is kept for the next).
    pub fn committed(&self) -> &tokio::sync::Notify {
        &self.committed
    }

    /// Goes up after every transaction `write` ends in this process, before
    /// its caller hears back: what was read while it stayed the same was
    /// read after every write this process had answered. (Other processes'
    /// writes it does not see.)
    pub fn changes(&self) -> u64 {
        self.changes.load(Ordering::Acquire)
    }
}

#[derive(Debug, thiserror::Error)]
pub enum DbError {
    #[error("cannot connect to the database: {0}")]
    Connect(String),
    #[error("no database connection available: {0}")]
    Pool(#[from] r2d2::PoolError),
    #[error("no database connection came free within {0} s")]
    Busy(u64),
    #[error("database query failed: {0}")]
    Query(#[from] diesel::result::Error),
    #[error("the write was not committed: {0}")]
    Commit(String),
    #[error("migration failed: {0}")]
    Migration(String),
}

/// Opens connections for the backend the URL names, with SQLite's
/// per-connection settings applied.
#[derive(Debug, Clone)]
pub struct Manager {
    url: DatabaseUrl,
    busy_timeout_ms: u32,
}

impl ManageConnection for Manager {
    type Connection = DbConnection;
    type Error = DbError;

    fn connect(&self) -> Result<DbConnection, DbError> {
        match &self.url {
            DatabaseUrl::Postgres(url) => PgConnection::establish(url)
                .map(DbConnection::Postgres)
                .map_err(|e| DbError::Connect(e.to_string())),
            DatabaseUrl::Sqlite(path) => {
                let mut conn = SqliteConnection::establish(&path.to_string_lossy())
                    .map_err(|e| DbError::Connect(e.to_string()))?;
                conn.batch_execute(&format!(
                    "PRAGMA busy_timeout = {}; PRAGMA foreign_keys = ON; PRAGMA synchronous = NORMAL;",
                    self.busy_timeout_ms
                ))?;
                Ok(DbConnection::Sqlite(conn))
            }
        }
    }

    fn is_valid(&self, conn: &mut DbConnection) -> Result<(), DbError> {
        conn.batch_execute("SELECT 1").map_err(DbError::from)
    }

    /// A connection given back inside a transaction (its user panicked)
    /// is closed, never reused with that transaction still open.
    fn has_broken(&self, conn: &mut DbConnection) -> bool {
        use diesel::connection::TransactionManager;
        <DbConnection as Connection>::TransactionManager::is_broken_transaction_manager(conn)
    }
}

/// One connection to the database `settings` names, reported as itself
/// when the URL or password is wrong, and the manager that opens more.
/// For SQLite, creates the file's folder and switches the file to WAL
/// once, before any pooled connection exists (doing it per connection
/// races and reports "database is locked").
pub fn reach(settings: &DatabaseSettings) -> Result<(DbConnection, Manager), DbError> {
    if let DatabaseUrl::Sqlite(path) = &settings.url {
        if let Some(dir) = path.parent().filter(|d| !d.as_os_str().is_empty()) {
            std::fs::create_dir_all(dir)
                .map_err(|e| DbError::Connect(format!("cannot create {}: {e}", dir.display())))?;
        }
        let mut conn = SqliteConnection::establish(&path.to_string_lossy())
            .map_err(|e| DbError::Connect(e.to_string()))?;
        conn.batch_execute("PRAGMA journal_mode = WAL;")?;
    }
    let manager = Manager {
        url: settings.url.clone(),
        busy_timeout_ms: settings.busy_timeout_ms,
    };
    Ok((manager.connect()?, manager))
}

/// Builds the pool, after [`reach`]ing the database once.
pub fn connect(settings: &DatabaseSettings) -> Result<Pool, DbError> {
    let (_, manager) = reach(settings)?;
    let changes = Arc::new(AtomicU64::new(0));
    let writer = matches!(settings.url, DatabaseUrl::Sqlite(_))
        .then(|| Arc::new(writer::Writer::start(manager.clone(), changes.clone())));
    let notifier = match &settings.url {
        DatabaseUrl::Postgres(url) => Some(Arc::new(notify::Notifier::start(url.clone()))),
        DatabaseUrl::Sqlite(_) => None,
    };
    let inner = r2d2::Pool::builder()
        .max_size(settings.pool_size)
        .connection_timeout(Duration::from_secs(30))
        // A broken connection surfaces as a query error; checking every
        // checkout would cost a round trip per request.
        .test_on_check_out(false)
        .build(manager)?;
    Ok(Pool {
        writer,
        notifier,
        committed: Arc::default(),
        changes,
        turns: Arc::new(tokio::sync::Semaphore::new(inner.max_size() as usize)),
        inner,
    })
}

/// Applies pending migrations; returns the names of those applied.
pub fn migrate(pool: &Pool) -> Result<Vec<String>, DbError> {
    let mut conn = pool.get()?;
    let applied = match &mut *conn {
        DbConnection::Postgres(c) => c.run_pending_migrations(POSTGRES_MIGRATIONS),
        DbConnection::Sqlite(c) => c.run_pending_migrations(SQLITE_MIGRATIONS),
    }
    .map_err(|e| DbError::Migration(e.to_string()))?;
    Ok(applied.iter().map(|v| v.to_string()).collect())
}

/// Runs blocking database reads on tokio's blocking threads, never on the
/// executor's.
pub async fn run<T, E, F>(pool: &Pool, f: F) -> Result<T, E>
where
    F: FnOnce(&mut DbConnection) -> Result<T, E> + Send + 'static,
    T: Send + 'static,
    E: From<DbError> + Send + 'static,
{
    // As long as the pool itself waits for a connection.
    let wait = pool.inner.connection_timeout();
    let turn = tokio::time::timeout(wait, pool.turns.clone().acquire_owned())
        .await
        .map_err(|_| DbError::Busy(wait.as_secs()))?
        .expect("the pool's turns are never closed");
    let pool = pool.clone();
    let task = tokio::task::spawn_blocking(move || {
        let _turn = turn;
        let mut conn = pool.get().map_err(DbError::from)?;
        f(&mut conn)
    });
    joined(task.await)
}

/// What a spawned task returned; its panic goes on in the task that waited
/// for it. Tasks are cancelled only as the runtime shuts down.
pub fn joined<T>(result: Result<T, tokio::task::JoinError>) -> T {
    match result {
        Ok(result) => result,
        Err(e) if e.is_panic() => std::panic::resume_unwind(e.into_panic()),
        Err(e) => panic!("task was cancelled: {e}"),
    }
}

/// Runs work that writes, as one transaction: on SQLite through the single
/// writer, committed together with whatever other writes are waiting; on
/// PostgreSQL on a pooled connection. The work may run twice (alone, if its
/// SQLite batch fails as a whole), so it must only touch the database.
pub async fn write<T, E, F>(pool: &Pool, f: F) -> Result<T, E>
where
    F: Fn(&mut DbConnection) -> Result<T, E> + Send + 'static,
    T: Send + 'static,
    E: From<DbError> + From<diesel::result::Error> + Send + 'static,
{
    let result = match &pool.writer {
        Some(writer) => writer.submit(f).await,
        None => {
            let changes = pool.changes.clone();
            run(pool, move |conn| {
                let done = conn.transaction(&f);
                changes.fetch_add(1, Ordering::Release);
                done
            })
            .await
        }
    };
    if result.is_ok() {
        pool.committed.notify_one();
        if let Some(notifier) = &pool.notifier {
            notifier.ring();
        }
    }
    result
}

/// Runs `f` in a transaction of its own (on SQLite holding the write lock
/// from the start, as the writer's do), or inside the one already open
/// (without a savepoint, which costs PostgreSQL two round trips): for
/// writes that must be atomic whoever calls them, whose callers give up
/// their transaction when they fail.
pub fn atomically<T, E>(
    conn: &mut DbConnection,
    f: impl FnOnce(&mut DbConnection) -> Result<T, E>,
) -> Result<T, E>
where
    E: From<diesel::result::Error>,
{
    use diesel::connection::TransactionManager;
    let depth =
        <DbConnection as Connection>::TransactionManager::transaction_manager_status_mut(conn)
            .transaction_depth()?;
    match depth {
        Some(_) => f(conn),
        None => conn.transaction(|conn| {
            if !conn.is_postgres() {
                take_write_lock(conn)?;
            }
            f(conn)
        }),
    }
}

/// Takes SQLite's write lock first thing in the transaction: a second
/// writer holding it makes us wait out the busy timeout instead of failing
/// a read-to-write upgrade later. Writes may count on holding it from
/// their first statement (`registration::store`). No row matches.
fn take_write_lock(c: &mut DbConnection) -> diesel::QueryResult<()> {
    c.batch_execute("UPDATE series SET id = id WHERE id = -1")
}

impl DbConnection {
    pub fn is_postgres(&self) -> bool {
        matches!(self, DbConnection::Postgres(_))
    }

    /// Raw SQL written with `?` placeholders, renumbered `$1, $2, …` for
    /// PostgreSQL. Only for the few statements diesel's shared DSL cannot
    /// express (ON CONFLICT, FOR UPDATE SKIP LOCKED); never put a literal `?`
    /// in such a statement.
    pub fn sql(&self, text: &str) -> String {
        if !self.is_postgres() {
            return text.to_string();
        }
        let mut out = String::with_capacity(text.len() + 8);
        let mut n = 0;
        for c in text.chars() {
            if c == '?' {
                n += 1;
                out.push_str(&format!("${n}"));
            } else {
                out.push(c);
            }
        }
        out
    }

    /// A FROM item `v` reading rows from a JSON array of objects bound to
    /// one placeholder: `columns` are (key, PostgreSQL type), each a column
    /// of `v`. Lets a set-based statement take thousands of rows in one
    /// bind (diesel's MultiConnection has no batch insert, and each backend
    /// caps binds per statement). Keys are literals of ours.
    pub fn json_rows(&self, columns: &[(&str, &str)]) -> String {
        debug_assert!(columns
            .iter()
            .all(|(k, _)| k.chars().all(|c| c.is_ascii_alphanumeric() || c == '_')));
        if self.is_postgres() {
            let typed: Vec<String> = columns.iter().map(|(k, t)| format!("{k} {t}")).collect();
            format!(
                "jsonb_to_recordset(CAST(? AS jsonb)) AS v({})",
                typed.join(", ")
            )
        } else {
            let picked: Vec<String> = columns
                .iter()
                .map(|(k, _)| format!("json_extract(value, '$.{k}') AS {k}"))
                .collect();
            format!("(SELECT {} FROM json_each(?)) AS v", picked.join(", "))
        }
    }

    /// SQL for a JSON object's text: `open` (a placeholder bound to
    /// `open_json_object(..)`, the shared part) followed by `fields` (`key`,
    /// SQL text expression), each value quoted as a JSON string by the
    /// database. Lets a set-based `INSERT … SELECT` write one personalized
    /// outbox context per row. Plain text concatenation: no JSON is parsed
    /// per row. Keys are literals of ours (letters and `_`).
    pub fn json_extend(&self, open: &str, fields: &[(&str, &str)]) -> String {
        let quote = |expr: &str| {
            if self.is_postgres() {
                format!("to_json(CAST({expr} AS TEXT))::text")
            } else {
                format!("json_quote({expr})")
            }
        };
        let mut sql = format!("({open}");
        for (key, expr) in fields {
            debug_assert!(key.chars().all(|c| c.is_ascii_alphanumeric() || c == '_'));
            sql.push_str(&format!(" || ',\"{key}\":' || {}", quote(expr)));
        }
        sql.push_str(" || '}')");
        sql
    }
}

/// `object`'s JSON text without its closing brace, for `json_extend`.
/// `object` must be a non-empty JSON object.
pub fn open_json_object(object: &serde_json::Value) -> String {
    assert!(
        object.as_object().is_some_and(|o| !o.is_empty()),
        "open_json_object needs a non-empty object"
    );
    let mut text = object.to_string();
    text.pop();
    text
}

/// The row of an `INSERT … RETURNING id` written as raw SQL.
#[derive(QueryableByName)]
pub struct ReturnedId {
    #[diesel(sql_type = diesel::sql_types::BigInt)]
    pub id: i64,
}

/// `t` truncated to microseconds, the precision both backends keep. (The
/// current time comes from `crate::clock::Clock`.)
pub fn truncate_to_micros(t: chrono::DateTime<chrono::Utc>) -> chrono::DateTime<chrono::Utc> {
    use chrono::SubsecRound;
    t.trunc_subsecs(6)
}
