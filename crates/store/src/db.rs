//! One SQL layer over two native sqlx backends.
//!
//! Pustaka's queries are plain SQL that SQLite and MariaDB both understand (`?` placeholders,
//! `LIMIT ? OFFSET ?`, `COALESCE`, ...). Rather than writing every query twice behind a trait, each
//! query is written once as a [`Query`] and run on whichever native pool the URL selected; values go
//! in as [`Arg`] and come out of a [`Row`] with the backend's own native decoding (chrono times,
//! booleans), which `sqlx::Any` cannot do. The few places where the dialects differ (full-text
//! search, row locks) ask [`Backend`].

use std::{str::FromStr, time::Duration};

use chrono::{DateTime, NaiveDate, Utc};
use secrecy::ExposeSecret;
use sqlx::{
    mysql::{MySqlConnectOptions, MySqlRow},
    sqlite::{SqliteConnectOptions, SqliteJournalMode, SqlitePoolOptions, SqliteRow, SqliteSynchronous},
    Database, Decode, Encode, MySql, MySqlConnection, Sqlite, SqliteConnection, SqlitePool, Type,
};

use super::mysql_pool::{MySqlConnPool, MySqlTx};
pub use super::mysql_pool::{Outage, OUTAGE_WAIT};

/// Runs one exchange (`all`, `opt` or `exec`) on a pooled MariaDB connection and records
/// whether it left the connection in step (see [`super::mysql_pool::Pooled::settle`]).
macro_rules! settled {
    ($pooled:expr, $method:ident, $q:expr) => {{
        let pooled: &mut super::mysql_pool::Pooled = $pooled;
        let r = Conn::MySql(pooled.conn()).$method($q).await;
        pooled.settle(&r);
        r
    }};
}

/// Runs a read (`all` or `opt`) on a pooled MariaDB connection. When the connection turns out
/// to be lost (an idle one the server closed during a quiet spell, a node or proxy killed, a node
/// refusing statements while it is not in the cluster), the read runs again on another one: at
/// once the first time, then while the [`Outage`] lasts (a read can always run again).
macro_rules! read_retried {
    ($pool:expr, $method:ident, $q:expr) => {{
        let pool: &MySqlConnPool = $pool;
        let mut outage = Outage::default();
        loop {
            let r = match pool.acquire().await {
                Ok(mut pooled) => settled!(&mut pooled, $method, $q),
                Err(e) => Err(e),
            };
            match r {
                Err(e) if e.is_connection_lost() && outage.wait(&e, "a read").await => {}
                r => break r,
            }
        }
    }};
}

/// Whether a failed transaction runs again (see [`transaction!`]): a deadlock or a busy database
/// up to six runs in all, a connection lost before the COMMIT while the [`Outage`] lasts.
#[derive(Debug, Default)]
pub struct RunAgain {
    runs: u32,
    outage: Outage,
}

impl RunAgain {
    /// After the transaction failed with `e` (during its COMMIT when `committing`): true, after a
    /// pause, when it may and should run again.
    pub async fn after(&mut self, e: &super::error::StoreError, committing: bool) -> bool {
        self.runs += 1;
        if e.is_retryable() {
            if self.runs >= 6 {
                return false;
            }
            tokio::time::sleep(Duration::from_millis(5 * u64::from(self.runs))).await;
            return true;
        }
        match e {
            super::error::StoreError::Unavailable(lost) if e.may_run_again(committing) => {
                self.outage.wait(lost, "a transaction").await
            }
            _ => false,
        }
    }
}

use super::error::DbError;
use super::settings::{Backend, DatabaseSettings};

/// Where the two backends' SQL differs, in one place.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Dialect {
    /// SQLite: one writer at a time, so no row locks; FTS5 for search.
    Sqlite,
    /// MariaDB: InnoDB row locks; Pustaka's own word index for search.
    MariaDb,
}

impl Dialect {
    /// ` FOR UPDATE` where the backend has row locks (SQLite's single writer already excludes others).
    pub fn for_update(self) -> &'static str {
        match self {
            Dialect::Sqlite => "",
            Dialect::MariaDb => " FOR UPDATE",
        }
    }

    /// A shared row lock: rows read may not change until the transaction ends.
    pub fn share_lock(self) -> &'static str {
        match self {
            Dialect::Sqlite => "",
            Dialect::MariaDb => " LOCK IN SHARE MODE",
        }
    }

    /// Appended to `barcode = ?` so barcodes match whatever their case, as their unique index
    /// does: SQLite's `NOCASE` index (migration 20261203030001); MariaDB's column collation
    /// (`utf8mb4_unicode_ci`) already ignores case.
    pub fn nocase(self) -> &'static str {
        match self {
            Dialect::Sqlite => " COLLATE NOCASE",
            Dialect::MariaDb => "",
        }
    }

    /// The condition that finds a copy's open loan by the one-open-loan-per-copy unique index,
    /// so that a locking read locks that one loan: on MariaDB `(copy_id, open_flag)` (migration
    /// 20261204040002; `copy_id = ? AND returned_at IS NULL` there used the index on
    /// `(returned_at, due_at)` and locked every open loan); on SQLite the partial index.
    pub fn open_loan_of_copy(self) -> &'static str {
        match self {
            Dialect::Sqlite => "copy_id = ? AND returned_at IS NULL",
            Dialect::MariaDb => "copy_id = ? AND open_flag = 1",
        }
    }

    /// Written after the table of an `UPDATE … WHERE id = ? AND …`: the primary key, always
    /// (MariaDB otherwise may pick another index on the extra condition and lock its range).
    pub fn by_primary_key(self) -> &'static str {
        match self {
            Dialect::Sqlite => "",
            Dialect::MariaDb => " FORCE INDEX (PRIMARY)",
        }
    }

    /// The DDC main class of the classification in `column` as its first digit (0 for 000 … 9
    /// for 900), NULL when it does not start with an ASCII digit: what `copies.ddc_class` and
    /// `loans.ddc_class` keep for the reports (migration 20261205000001_report_columns).
    pub fn ddc_class_of(self, column: &str) -> String {
        match self {
            Dialect::Sqlite => format!("CASE WHEN unicode({column}) BETWEEN 48 AND 57 THEN unicode({column}) - 48 END"),
            Dialect::MariaDb => format!("IF(ASCII({column}) BETWEEN 48 AND 57, ASCII({column}) - 48, NULL)"),
        }
    }

    /// Integer division truncating towards zero (`/` is decimal division on MariaDB).
    pub fn int_div(self) -> &'static str {
        match self {
            Dialect::Sqlite => "/",
            Dialect::MariaDb => "DIV",
        }
    }

    /// The type to `CAST(... AS ?)` for a 64-bit integer that both backends decode as `i64`
    /// (MariaDB's `SUM()` is DECIMAL).
    pub fn integer(self) -> &'static str {
        match self {
            Dialect::Sqlite => "INTEGER",
            Dialect::MariaDb => "SIGNED",
        }
    }
}

impl From<Backend> for Dialect {
    fn from(b: Backend) -> Self {
        match b {
            Backend::Sqlite => Dialect::Sqlite,
            Backend::MariaDb => Dialect::MariaDb,
        }
    }
}

/// A value bound to a `?` placeholder.
#[derive(Debug, Clone)]
pub enum Arg {
    /// An integer (ids, counts, rupiah) or NULL.
    Int(Option<i64>),
    /// Text or NULL.
    Text(Option<String>),
    /// A boolean.
    Bool(bool),
    /// An instant or NULL.
    Time(Option<DateTime<Utc>>),
    /// A calendar date or NULL.
    Date(Option<NaiveDate>),
}

macro_rules! arg_from {
    ($($t:ty => |$v:ident| $e:expr;)*) => {$(
        impl From<$t> for Arg {
            fn from($v: $t) -> Self { $e }
        }
    )*};
}

arg_from! {
    i64 => |v| Arg::Int(Some(v));
    Option<i64> => |v| Arg::Int(v);
    i32 => |v| Arg::Int(Some(v.into()));
    Option<i32> => |v| Arg::Int(v.map(Into::into));
    &str => |v| Arg::Text(Some(v.to_owned()));
    String => |v| Arg::Text(Some(v));
    &String => |v| Arg::Text(Some(v.clone()));
    Option<String> => |v| Arg::Text(v);
    Option<&str> => |v| Arg::Text(v.map(str::to_owned));
    bool => |v| Arg::Bool(v);
    DateTime<Utc> => |v| Arg::Time(Some(v));
    Option<DateTime<Utc>> => |v| Arg::Time(v);
    NaiveDate => |v| Arg::Date(Some(v));
    Option<NaiveDate> => |v| Arg::Date(v);
}

/// One SQL statement and its arguments.
#[derive(Debug, Clone)]
pub struct Query {
    sql: String,
    args: Vec<Arg>,
}

/// Starts a query.
pub fn sql(text: impl Into<String>) -> Query {
    Query { sql: text.into(), args: Vec::new() }
}

impl Query {
    /// Binds the next `?`.
    pub fn bind(mut self, value: impl Into<Arg>) -> Self {
        self.args.push(value.into());
        self
    }

    /// Appends SQL text (for optional filters).
    pub fn push(mut self, text: &str) -> Self {
        self.sql.push_str(text);
        self
    }

    /// Puts SQL text in front (a filter built first, then given its SELECT or COUNT).
    pub fn prefix(mut self, head: &str) -> Self {
        self.sql.insert_str(0, head);
        self
    }

    /// A WHERE clause to be prefixed later: empty, or ` WHERE first`.
    pub fn where_clause(first: Option<&str>) -> Self {
        sql(first.map(|c| format!(" WHERE {c}")).unwrap_or_default())
    }

    /// Adds a condition to a clause from [`Query::where_clause`].
    pub fn and(self, cond: &str) -> Self {
        let joiner = if self.sql.is_empty() { " WHERE " } else { " AND " };
        self.push(joiner).push(cond)
    }
}

/// Binds `args` onto a native sqlx query, in order.
fn bind_all<'q, DB: Database>(
    mut q: sqlx::query::Query<'q, DB, <DB as Database>::Arguments<'q>>,
    args: &[Arg],
) -> sqlx::query::Query<'q, DB, <DB as Database>::Arguments<'q>>
where
    Option<i64>: Encode<'q, DB> + Type<DB>,
    Option<String>: Encode<'q, DB> + Type<DB>,
    bool: Encode<'q, DB> + Type<DB>,
    Option<DateTime<Utc>>: Encode<'q, DB> + Type<DB>,
    Option<NaiveDate>: Encode<'q, DB> + Type<DB>,
{
    for a in args {
        q = match a {
            Arg::Int(v) => q.bind(*v),
            Arg::Text(v) => q.bind(v.clone()),
            Arg::Bool(v) => q.bind(*v),
            Arg::Time(v) => q.bind(*v),
            Arg::Date(v) => q.bind(*v),
        };
    }
    q
}

/// A result row from either backend.
pub enum Row {
    /// From SQLite.
    Sqlite(SqliteRow),
    /// From MariaDB.
    MySql(MySqlRow),
}

/// A Rust type both backends decode natively.
pub trait Column: for<'r> Decode<'r, Sqlite> + Type<Sqlite> + for<'r> Decode<'r, MySql> + Type<MySql> {}
impl<T> Column for T where T: for<'r> Decode<'r, Sqlite> + Type<Sqlite> + for<'r> Decode<'r, MySql> + Type<MySql> {}

/// A record both backends read from a row by its column names (`#[derive(sqlx::FromRow)]`).
pub trait Record: for<'r> sqlx::FromRow<'r, SqliteRow> + for<'r> sqlx::FromRow<'r, MySqlRow> {}
impl<T> Record for T where T: for<'r> sqlx::FromRow<'r, SqliteRow> + for<'r> sqlx::FromRow<'r, MySqlRow> {}

impl Row {
    /// Reads the whole row as a record.
    pub fn decode<T: Record>(&self) -> Result<T, DbError> {
        Ok(match self {
            Row::Sqlite(r) => T::from_row(r)?,
            Row::MySql(r) => T::from_row(r)?,
        })
    }

    /// Reads column `name`.
    pub fn get<T: Column>(&self, name: &str) -> Result<T, DbError> {
        use sqlx::Row as _;
        Ok(match self {
            Row::Sqlite(r) => r.try_get(name)?,
            Row::MySql(r) => r.try_get(name)?,
        })
    }
}

/// Rows written and the id of the last row inserted.
#[derive(Debug, Clone, Copy)]
pub struct Done {
    /// Rows inserted, updated or deleted.
    pub rows: u64,
    /// `AUTO_INCREMENT` / rowid of the last insert.
    pub last_id: i64,
}

/// A borrowed connection of either backend.
pub enum Conn<'c> {
    /// SQLite.
    Sqlite(&'c mut SqliteConnection),
    /// MariaDB.
    MySql(&'c mut MySqlConnection),
}

impl Conn<'_> {
    /// All rows.
    pub async fn all(&mut self, q: &Query) -> Result<Vec<Row>, DbError> {
        Ok(match self {
            Conn::Sqlite(c) => {
                bind_all(sqlx::query(&q.sql), &q.args).fetch_all(&mut **c).await?.into_iter().map(Row::Sqlite).collect()
            }
            Conn::MySql(c) => {
                bind_all(sqlx::query(&q.sql), &q.args).fetch_all(&mut **c).await?.into_iter().map(Row::MySql).collect()
            }
        })
    }

    /// At most one row.
    pub async fn opt(&mut self, q: &Query) -> Result<Option<Row>, DbError> {
        Ok(match self {
            Conn::Sqlite(c) => bind_all(sqlx::query(&q.sql), &q.args).fetch_optional(&mut **c).await?.map(Row::Sqlite),
            Conn::MySql(c) => bind_all(sqlx::query(&q.sql), &q.args).fetch_optional(&mut **c).await?.map(Row::MySql),
        })
    }

    /// Runs a statement that returns no rows.
    pub async fn exec(&mut self, q: &Query) -> Result<Done, DbError> {
        Ok(match self {
            Conn::Sqlite(c) => {
                let r = bind_all(sqlx::query(&q.sql), &q.args).execute(&mut **c).await?;
                Done { rows: r.rows_affected(), last_id: r.last_insert_rowid() }
            }
            Conn::MySql(c) => {
                let r = bind_all(sqlx::query(&q.sql), &q.args).execute(&mut **c).await?;
                Done { rows: r.rows_affected(), last_id: r.last_insert_id() as i64 }
            }
        })
    }
}

/// The pools. SQLite gets one writer connection (writes are serialised in the pool, so they never
/// fail with `SQLITE_BUSY`) and several readers; MariaDB one pool.
#[derive(Clone, Debug)]
enum Pools {
    Sqlite { read: SqlitePool, write: SqlitePool, waiting: std::sync::Arc<SqliteWaiting> },
    MySql(MySqlConnPool),
}

/// Requests waiting for an SQLite connection (sqlx's pool does not count them), for the metrics.
#[derive(Debug, Default)]
struct SqliteWaiting {
    read: std::sync::atomic::AtomicUsize,
    write: std::sync::atomic::AtomicUsize,
}

/// Counts one request as waiting while it is alive.
struct Waiting<'a>(&'a std::sync::atomic::AtomicUsize);

impl<'a> Waiting<'a> {
    fn on(count: &'a std::sync::atomic::AtomicUsize) -> Self {
        count.fetch_add(1, std::sync::atomic::Ordering::Relaxed);
        Self(count)
    }
}

impl Drop for Waiting<'_> {
    fn drop(&mut self) {
        self.0.fetch_sub(1, std::sync::atomic::Ordering::Relaxed);
    }
}

/// One pool's figures for the metrics.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct PoolGauges {
    /// `sqlite_read`, `sqlite_write` or `mariadb`.
    pub pool: &'static str,
    /// Connections it may open.
    pub max: usize,
    /// Connections open, idle or in use.
    pub open: usize,
    /// Open connections not in use.
    pub idle: usize,
    /// Requests waiting for a connection.
    pub waiting: usize,
}

/// A handle on the database; cheap to clone.
#[derive(Clone, Debug)]
pub struct Db {
    pools: Pools,
}

/// An open transaction; dropped without [`Tx::commit`] it rolls back.
pub enum Tx {
    /// On SQLite.
    Sqlite(sqlx::Transaction<'static, Sqlite>),
    /// On MariaDB.
    MySql(MySqlTx),
}

impl Tx {
    /// Which backend this is.
    pub fn backend(&self) -> Backend {
        match self {
            Tx::Sqlite(_) => Backend::Sqlite,
            Tx::MySql(_) => Backend::MariaDb,
        }
    }

    /// The SQL dialect of this backend.
    pub fn dialect(&self) -> Dialect {
        self.backend().into()
    }

    /// ` FOR UPDATE` where the backend has row locks (see [`Dialect::for_update`]); nothing in a
    /// read-only transaction ([`Db::begin_read`]), whose reads take no locks.
    pub fn for_update(&self) -> &'static str {
        match self {
            Tx::MySql(t) if t.read_only => "",
            _ => self.dialect().for_update(),
        }
    }

    /// All rows.
    pub async fn all(&mut self, q: Query) -> Result<Vec<Row>, DbError> {
        match self {
            Tx::Sqlite(t) => Conn::Sqlite(t).all(&q).await,
            Tx::MySql(t) => settled!(t.pooled(), all, &q),
        }
    }

    /// At most one row.
    pub async fn opt(&mut self, q: Query) -> Result<Option<Row>, DbError> {
        match self {
            Tx::Sqlite(t) => Conn::Sqlite(t).opt(&q).await,
            Tx::MySql(t) => settled!(t.pooled(), opt, &q),
        }
    }

    /// A statement with no rows.
    pub async fn exec(&mut self, q: Query) -> Result<Done, DbError> {
        match self {
            Tx::Sqlite(t) => Conn::Sqlite(t).exec(&q).await,
            Tx::MySql(t) => settled!(t.pooled(), exec, &q),
        }
    }

    /// Makes the transaction's writes permanent.
    pub async fn commit(self) -> Result<(), DbError> {
        match self {
            Tx::Sqlite(t) => t.commit().await?,
            Tx::MySql(t) => t.commit().await?,
        }
        Ok(())
    }

    /// Writes the transaction's commit mark (MariaDB, not read-only; nothing elsewhere): its own
    /// random id in `commit_marks`, first thing after BEGIN, so that no lock the transaction takes
    /// later is held for it. See [`Tx::commit_marked`].
    pub async fn mark(&mut self) -> Result<(), DbError> {
        let Tx::MySql(t) = self else { return Ok(()) };
        if t.read_only || t.mark.is_some() {
            return Ok(());
        }
        let mark: i64 = rand::random();
        match settled!(t.pooled(), exec, &sql("INSERT INTO commit_marks (id, at) VALUES (?, NOW())").bind(mark)) {
            Ok(_) => {
                t.mark = Some(mark);
                Ok(())
            }
            // A database whose migrations have not run yet (the `migrate` command's own work)
            Err(e) if e.mariadb_number() == Some(1146) => Ok(()),
            Err(e) => Err(e),
        }
    }

    /// Makes the transaction's writes permanent, as [`Tx::commit`], and on MariaDB knows whether
    /// they were even when the connection is lost while the COMMIT is under way (a Galera writer or
    /// a database proxy killed at that moment), where otherwise nobody could say: the transaction
    /// wrote its own random id into `commit_marks` ([`Tx::mark`]), and after such a loss the id is
    /// looked for on a new connection ([`Db::committed`]). Found: committed, `Ok`. Not found: not
    /// committed, an error that says so (it may run again). No answer, or no mark: unknown.
    pub async fn commit_marked(self, db: &Db) -> Result<(), CommitFailed> {
        let unknown = |error| CommitFailed { error, maybe_committed: true };
        let (t, mark) = match self {
            Tx::MySql(t) if t.mark.is_some() => {
                let mark = t.mark.unwrap_or_default();
                (t, mark)
            }
            other => return other.commit().await.map_err(unknown),
        };
        match t.commit().await {
            Err(error) if error.is_connection_lost() => match db.committed(mark).await {
                Ok(true) => {
                    tracing::warn!(error = %error, "connection lost during a COMMIT, which had committed");
                    Ok(())
                }
                Ok(false) => Err(CommitFailed { error, maybe_committed: false }),
                Err(e) => {
                    tracing::warn!(error = %e, "connection lost during a COMMIT; whether it committed cannot be read");
                    Err(unknown(error))
                }
            },
            r => r.map_err(unknown),
        }
    }
}

/// How [`Tx::commit_marked`] failed: the error, and whether the transaction may have committed
/// (it did not when the failure came before the COMMIT, or when its mark was looked for and not
/// found).
#[derive(Debug)]
pub struct CommitFailed {
    /// What failed.
    pub error: DbError,
    /// False only when it is known that nothing was committed.
    pub maybe_committed: bool,
}

impl Db {
    /// Whether the transaction that wrote commit mark `mark` ([`Tx::commit_marked`]) committed, read
    /// once the database answers again (waiting out an [`Outage`]). A locking read: if that
    /// transaction is still under way on the server (its COMMIT arrived as its client went away),
    /// the read waits for its end. With `wsrep_sync_wait` on a Galera node: the node first applies
    /// every write set the cluster delivered before the read, so a COMMIT that the killed writer
    /// had replicated is seen (and one it had not, never will be: the cluster has moved on).
    pub async fn committed(&self, mark: i64) -> Result<bool, DbError> {
        let locking = "SELECT id FROM commit_marks WHERE id = ? LOCK IN SHARE MODE";
        let found = match self.opt(sql(format!("SET STATEMENT wsrep_sync_wait = 1 FOR {locking}")).bind(mark)).await {
            // 1193: a MariaDB built without Galera has no such variable
            Err(e) if e.mariadb_number() == Some(1193) => self.opt(sql(locking).bind(mark)).await,
            r => r,
        }?;
        Ok(found.is_some())
    }

    /// Deletes commit marks older than ten minutes ([`Tx::commit_marked`]); how many.
    pub async fn prune_commit_marks(&self) -> Result<u64, DbError> {
        match &self.pools {
            Pools::Sqlite { .. } => Ok(0),
            Pools::MySql(_) => {
                let mut tx = self.begin().await?;
                let done = tx.exec(sql("DELETE FROM commit_marks WHERE at < NOW() - INTERVAL 10 MINUTE")).await?;
                tx.commit().await?;
                Ok(done.rows)
            }
        }
    }

    /// Connects to the database the settings name (creating an SQLite file if needed).
    pub async fn connect(settings: &DatabaseSettings) -> Result<Self, DbError> {
        let url = settings.url.expose_secret();
        let pools = match settings.backend {
            Backend::Sqlite => {
                let opts = SqliteConnectOptions::from_str(url)?
                    .create_if_missing(true)
                    .journal_mode(SqliteJournalMode::Wal)
                    .synchronous(SqliteSynchronous::Normal)
                    .foreign_keys(true)
                    .busy_timeout(Duration::from_secs(10));
                let write = SqlitePoolOptions::new()
                    .max_connections(1)
                    .acquire_timeout(Duration::from_secs(30))
                    .connect_with(opts.clone())
                    .await?;
                let read = SqlitePoolOptions::new()
                    .max_connections(settings.max_connections.clamp(1, 8))
                    .acquire_timeout(Duration::from_secs(10))
                    .connect_with(opts.read_only(true))
                    .await?;
                Pools::Sqlite { read, write, waiting: Default::default() }
            }
            Backend::MariaDb => {
                let opts = MySqlConnectOptions::from_str(url)?.charset("utf8mb4");
                // A request waits this long for a free connection (and as long again to open
                // one) before answering 503: long enough for a burst, short enough that a
                // database outage is not a hang.
                Pools::MySql(MySqlConnPool::new(opts, settings.max_connections, Duration::from_secs(3))?)
            }
        };
        Ok(Self { pools })
    }

    /// Which backend this is.
    pub fn backend(&self) -> Backend {
        match self.pools {
            Pools::Sqlite { .. } => Backend::Sqlite,
            Pools::MySql(_) => Backend::MariaDb,
        }
    }

    /// The SQL dialect of this backend.
    pub fn dialect(&self) -> Dialect {
        self.backend().into()
    }

    /// Runs the embedded migrations of this backend.
    pub async fn migrate(&self) -> Result<(), DbError> {
        match &self.pools {
            Pools::Sqlite { write, .. } => sqlx::migrate!("../../migrations/sqlite").run(write).await?,
            Pools::MySql(pool) => {
                // sqlx locks with GET_LOCK(name, -1), which MariaDB answers with NULL at once
                // instead of waiting, so replicas starting together could both migrate. Take
                // our own lock with a real timeout, on the connection that migrates.
                let mut pooled = pool.acquire().await?;
                let conn = pooled.conn();
                let locked: Option<i64> =
                    sqlx::query_scalar("SELECT GET_LOCK('pustaka_migrate', 300)").fetch_one(&mut *conn).await?;
                if locked != Some(1) {
                    return Err(DbError::Sqlx(sqlx::Error::Protocol(
                        "timed out waiting for the migration lock".into(),
                    )));
                }
                let mut migrator = sqlx::migrate!("../../migrations/mariadb");
                migrator.set_locking(false);
                // run_direct: `run` with a borrowed connection is not Send (sqlx's "Acquire is not general enough").
                let result = migrator.run_direct(&mut *conn).await;
                sqlx::query("SELECT RELEASE_LOCK('pustaka_migrate')").execute(&mut *conn).await?;
                pooled.settle(&Ok::<(), DbError>(()));
                result?;
            }
        }
        Ok(())
    }

    /// The embedded migrations not yet applied to this database, and whether it has records
    /// (books, members or accounts): what decides a backup before an upgrade. A new database has
    /// every migration pending and no records.
    pub async fn pending_migrations(&self) -> Result<(Vec<i64>, bool), DbError> {
        let migrator = match self.backend() {
            Backend::Sqlite => sqlx::migrate!("../../migrations/sqlite"),
            Backend::MariaDb => sqlx::migrate!("../../migrations/mariadb"),
        };
        let exists = match self.backend() {
            Backend::Sqlite => {
                sql("SELECT COUNT(*) AS n FROM sqlite_master WHERE type = 'table' AND name = '_sqlx_migrations'")
            }
            Backend::MariaDb => sql("SELECT COUNT(*) AS n FROM information_schema.TABLES \
                 WHERE TABLE_SCHEMA = DATABASE() AND TABLE_NAME = '_sqlx_migrations'"),
        };
        let has_table = self.opt(exists).await?.map(|r| r.get::<i64>("n")).transpose()?.unwrap_or(0) > 0;
        let applied: Vec<i64> = if has_table {
            let rows = self.all(sql("SELECT version FROM _sqlx_migrations WHERE success = 1")).await?;
            rows.iter().map(|r| r.get::<i64>("version")).collect::<Result<_, _>>()?
        } else {
            Vec::new()
        };
        let pending = migrator.iter().map(|m| m.version).filter(|v| !applied.contains(v)).collect();
        let has_records = !applied.is_empty()
            && self
                .opt(sql("SELECT (SELECT COUNT(*) FROM books) + (SELECT COUNT(*) FROM members) + (SELECT COUNT(*) FROM users) AS n"))
                .await?
                .map(|r| r.get::<i64>("n"))
                .transpose()?
                .unwrap_or(0)
                > 0;
        Ok((pending, has_records))
    }

    /// Starts a transaction (on SQLite, on the single writer connection).
    ///
    /// On SQLite it is `BEGIN IMMEDIATE`: the write lock is taken at the start, where the busy
    /// timeout waits for it. A deferred transaction that reads first and then writes cannot
    /// wait: when another process (a second replica, `pustaka import`) has committed since its
    /// read, SQLite answers "database is locked" at once.
    pub async fn begin(&self) -> Result<Tx, DbError> {
        Ok(match &self.pools {
            Pools::Sqlite { write, waiting, .. } => {
                let _waiting = Waiting::on(&waiting.write);
                Tx::Sqlite(write.begin_with("BEGIN IMMEDIATE").await?)
            }
            Pools::MySql(pool) => Tx::MySql(MySqlTx::begin(pool, false).await?),
        })
    }

    /// Starts a read-only transaction: several reads from one snapshot, with no locks and no
    /// writer waited for (on SQLite a deferred transaction on a read connection; on MariaDB
    /// `START TRANSACTION READ ONLY`, where [`Tx::for_update`] is empty). Writes in it fail.
    pub async fn begin_read(&self) -> Result<Tx, DbError> {
        Ok(match &self.pools {
            Pools::Sqlite { read, waiting, .. } => {
                let _waiting = Waiting::on(&waiting.read);
                Tx::Sqlite(read.begin().await?)
            }
            Pools::MySql(pool) => Tx::MySql(MySqlTx::begin(pool, true).await?),
        })
    }

    /// All rows of a read.
    pub async fn all(&self, q: Query) -> Result<Vec<Row>, DbError> {
        match &self.pools {
            Pools::Sqlite { read, waiting, .. } => {
                let mut conn = {
                    let _waiting = Waiting::on(&waiting.read);
                    read.acquire().await?
                };
                Conn::Sqlite(&mut conn).all(&q).await
            }
            Pools::MySql(pool) => read_retried!(pool, all, &q),
        }
    }

    /// At most one row of a read.
    pub async fn opt(&self, q: Query) -> Result<Option<Row>, DbError> {
        match &self.pools {
            Pools::Sqlite { read, waiting, .. } => {
                let mut conn = {
                    let _waiting = Waiting::on(&waiting.read);
                    read.acquire().await?
                };
                Conn::Sqlite(&mut conn).opt(&q).await
            }
            Pools::MySql(pool) => read_retried!(pool, opt, &q),
        }
    }

    /// The MariaDB pool's size limit, open, idle and waiting counts (`None` on SQLite). For tests.
    #[doc(hidden)]
    pub fn pool_status(&self) -> Option<super::mysql_pool::PoolStatus> {
        match &self.pools {
            Pools::Sqlite { .. } => None,
            Pools::MySql(pool) => Some(pool.status()),
        }
    }

    /// Each pool's size limit, open and idle connections, and requests waiting (for the metrics).
    pub fn pool_gauges(&self) -> Vec<PoolGauges> {
        use std::sync::atomic::Ordering::Relaxed;
        let sqlite = |pool: &'static str, p: &SqlitePool, waiting: &std::sync::atomic::AtomicUsize| PoolGauges {
            pool,
            max: p.options().get_max_connections() as usize,
            open: p.size() as usize,
            idle: p.num_idle(),
            waiting: waiting.load(Relaxed),
        };
        match &self.pools {
            Pools::Sqlite { read, write, waiting } => {
                vec![sqlite("sqlite_read", read, &waiting.read), sqlite("sqlite_write", write, &waiting.write)]
            }
            Pools::MySql(pool) => {
                let s = pool.status();
                vec![PoolGauges {
                    pool: "mariadb",
                    max: s.max_size,
                    open: s.size,
                    idle: s.available,
                    waiting: s.waiting,
                }]
            }
        }
    }

    /// Answers when the database does (for `/readyz`).
    pub async fn ping(&self) -> Result<(), DbError> {
        self.opt(sql("SELECT 1 AS one")).await.map(|_| ())
    }

    /// Closes every pooled connection (at shutdown).
    pub async fn close(&self) {
        match &self.pools {
            Pools::Sqlite { read, write, .. } => {
                read.close().await;
                write.close().await;
            }
            Pools::MySql(pool) => pool.close().await,
        }
    }
}

/// Runs `$body` (an expression using the transaction `$tx`, evaluating to `Result<T, E>`) in a
/// transaction, committing on `Ok`; a deadlock, a busy database or a connection lost before the
/// COMMIT runs it again ([`RunAgain`]: a few times after a deadlock, while the [`Outage`] lasts
/// after a lost connection; what may run again: [`super::error::StoreError::may_run_again`]).
/// `E` must be `From<DbError>` and convert into [`super::error::StoreError`], which decides by type
/// whether a failure may run again. `transaction!(rollback_if COND, db, |tx| body)` does the same
/// work and, when `COND` is true, rolls it back instead of committing (an import's dry run).
///
/// A macro, not a method taking an async closure: the handlers' futures must be `Send`, and a
/// bound saying so on an async closure's future cannot be written on stable Rust yet.
///
/// **The body may run more than once.** After a deadlock (MariaDB), a busy database (SQLite) or
/// a connection lost midway (MariaDB restarted, a Galera writer killed: the server rolled it back)
/// the body runs again from the start, on a new transaction.
/// So inside a body:
/// - read and write only through `$tx`: the database's effects are undone with it;
/// - do not change anything outside the database (no counters, caches, files, mail, channels,
///   and no `Vec` from outside the body pushed to): do that after the macro returns `Ok`;
/// - values the body builds (ids, a generated barcode, a timestamp from the store's clock) are
///   built again on a rerun, which is right: the first attempt's were rolled back;
/// - `?` leaves the body, not the function: the error rolls the transaction back, and reaches
///   the caller only if it is not one that is retried.
#[macro_export]
macro_rules! transaction {
    ($db:expr, |$tx:ident| $body:expr) => {
        $crate::transaction!(rollback_if false, $db, |$tx| $body)
    };
    (rollback_if $rollback:expr, $db:expr, |$tx:ident| $body:expr) => {{
        let mut run_again = $crate::db::RunAgain::default();
        loop {
            let mut $tx = $db.begin().await?;
            let mut committing = false;
            // the commit mark first (MariaDB), then the body; a failed mark is the body's failure
            let ran = match $tx.mark().await {
                Ok(()) => $body,
                Err(e) => Err(e.into()),
            };
            let outcome = match ran {
                Ok(v) if $rollback => {
                    drop($tx); // dropped uncommitted: rolled back
                    Ok(v)
                }
                Ok(v) => match $tx.commit_marked(&$db).await {
                    Ok(()) => Ok(v),
                    Err(failed) => {
                        committing = failed.maybe_committed;
                        Err(failed.error.into())
                    }
                },
                Err(e) => Err(e),
            };
            match outcome {
                Err(e) if run_again.after(&e, committing).await => {}
                other => break other,
            }
        }
    }};
}
