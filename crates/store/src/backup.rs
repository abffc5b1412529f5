//! The Pustaka backup's content: every table read in one snapshot, as lines of JSON with
//! backend-neutral values, and the restore of such lines into either backend in one transaction.
//!
//! The store speaks lines ([`LineSink`], [`LineSource`]); the file around them (gzip, budgets on
//! an uploaded file, the folder of daily backups) is the server's (`src/backup.rs`). The format is
//! documented in `docs/backup-format.md`:
//!
//! 1. a header line: `{"format":"pustaka-backup","version":1,"schema_version":…,"created_at":…,
//!    "backend":…,"tables":[{"name":…,"rows":…,"columns":[[name,kind],…]},…]}`;
//! 2. per table, in the header's order: its rows, one JSON array a line (the columns in the
//!    header's order), then `{"table":name,"rows":n,"checksum":hex}`.
//!
//! A value is `null`, an integer, a string, a boolean, a time (`"2026-12-07T02:46:24Z"`, UTC) or a
//! date (`"2026-12-07"`) as the column's kind says. A table's checksum does not depend on the
//! order of its rows (the backends sort text keys differently): the sum, modulo 2^128, of the
//! first 16 bytes of each row line's SHA-256.

use std::collections::BTreeMap;

use chrono::{DateTime, NaiveDate, SecondsFormat, Utc};
use serde::{Deserialize, Serialize};
use sha2::{Digest, Sha256};

use crate::{
    db::{sql, Arg, Dialect, Row, Tx},
    domain::ValidationError,
    error::{Result, StoreError},
    Store,
};

/// The format's name in the header.
pub const FORMAT: &str = "pustaka-backup";
/// The format's version; a reader refuses another.
pub const VERSION: u32 = 1;

/// A table the backup holds: its name, its key (the order its rows are read in) and the columns
/// whose kind the SQLite schema does not say (declared `TEXT` or `INTEGER` there).
#[derive(Debug)]
pub struct Table {
    /// The table's name.
    pub name: &'static str,
    /// `ORDER BY` of its primary key.
    pub key: &'static str,
    /// Columns holding instants (UTC).
    pub times: &'static [&'static str],
    /// Columns holding calendar dates.
    pub dates: &'static [&'static str],
    /// Columns holding booleans.
    pub bools: &'static [&'static str],
}

macro_rules! table {
    ($name:literal, $key:literal) => {
        table!($name, $key, [], [], [])
    };
    ($name:literal, $key:literal, [$($t:literal),*]) => {
        table!($name, $key, [$($t),*], [], [])
    };
    ($name:literal, $key:literal, [$($t:literal),*], [$($d:literal),*], [$($b:literal),*]) => {
        Table { name: $name, key: $key, times: &[$($t),*], dates: &[$($d),*], bools: &[$($b),*] }
    };
}

/// Every table a backup holds, parents before the tables whose foreign keys name them (a restore
/// deletes in the reverse order and inserts in this one). **A migration that adds a table adds
/// it here or to [`NOT_BACKED_UP`]**: a contract test fails on a table in neither.
pub const TABLES: &[Table] = &[
    table!("categories", "code"),
    table!("collection_types", "code", [], [], ["loanable"]),
    table!("loan_rules", "category, collection_type", [], [], ["lendable", "due_end_of_term"]),
    table!("terms", "id", [], ["starts_on", "ends_on"], []),
    table!("imports", "id", ["started_at", "updated_at", "finished_at"], [], ["dry_run"]),
    table!("books", "id", ["created_at", "updated_at"]),
    table!("copies", "id", ["created_at", "updated_at"]),
    table!(
        "members",
        "id",
        ["created_at", "updated_at"],
        ["expires_on", "birth_date"],
        ["blocked", "keep_history", "in_popular"]
    ),
    table!("member_numbers", "id", ["created_at"]),
    table!("member_photos", "member_id", ["updated_at"]),
    table!("in_library_uses", "id", ["used_at"]),
    table!("roles", "code", ["updated_at"], [], ["builtin"]),
    table!("users", "id", ["created_at"]),
    table!("loans", "id", ["loaned_at", "due_at", "returned_at"]),
    table!("fines", "id", ["created_at", "resolved_at"]),
    table!("fine_payments", "id", ["paid_at"]),
    table!("holds", "id", ["created_at", "resolved_at"], ["pickup_by"], []),
    table!("visits", "id", ["visited_at", "created_at"]),
    table!("stocktakes", "id", ["started_at", "finished_at"]),
    table!("stocktake_copies", "stocktake_id, copy_id", ["seen_at", "lost_at"], [], ["expected"]),
    table!("stocktake_unknown", "stocktake_id, barcode", ["seen_at"]),
    table!("notices", "id", ["next_attempt_at", "created_at", "sent_at"]),
    table!("notice_settings", "id", ["updated_at"]),
    table!("notice_category_days", "category"),
    table!("notice_templates", "kind, language", ["updated_at"]),
    table!("closed_days", "day", [], ["day"], []),
    table!("library_identity", "id", ["updated_at"]),
    table!("barcode_pattern", "id"),
    table!("audit_log", "id", ["at"]),
    table!("catalogue_sources", "id", ["created_at"], [], ["enabled"]),
    table!("copycat_answers", "id", ["fetched_at"]),
    table!("isbn_covers", "isbn", ["fetched_at"]),
    table!("book_covers", "book_id", ["updated_at"]),
    table!("first_start", "id", ["updated_at"]),
    table!("library_settings", "name", ["updated_at"]),
    table!("reading_targets", "term_id", ["updated_at"]),
    table!("teacher_classes", "user_id, grade"),
    table!("reading_list", "member_id, book_id", ["added_at"]),
];

/// Tables of the schema a backup leaves out, and why: what is rebuilt from the tables above, and
/// what belongs to the running service rather than to the library's records.
pub const NOT_BACKED_UP: &[(&str, &str)] = &[
    ("_sqlx_migrations", "the schema's own version, checked rather than copied"),
    ("sessions", "logins: after a restore everyone logs in again"),
    ("login_failures", "login throttling, short-lived"),
    ("login_addresses", "login throttling, short-lived"),
    ("leases", "which replica runs a scheduled job now"),
    ("commit_marks", "which recent transactions committed, asked only after a connection lost during a COMMIT"),
    ("idempotency_keys", "the answers of recent writes kept for a client's retry (24 h), not the library's records"),
    ("book_words", "MariaDB's search index, rebuilt after a restore"),
    ("search_words", "MariaDB's search index, rebuilt after a restore"),
    ("search_reindex", "MariaDB's search index progress, reset by a restore"),
    ("books_fts", "SQLite's search index, kept by triggers"),
    ("books_fts_data", "SQLite's search index"),
    ("books_fts_idx", "SQLite's search index"),
    ("books_fts_docsize", "SQLite's search index"),
    ("books_fts_config", "SQLite's search index"),
    ("books_fts_words", "SQLite's search index's word list (stores nothing of its own)"),
    ("sqlite_sequence", "SQLite's id counters, reset by a restore"),
    (
        "library_secrets",
        "secrets in clear (the SMTP password): a backup file carries none, so set them again after a restore",
    ),
];

/// What a column holds, backend-neutral.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum Kind {
    /// A 64-bit integer.
    Int,
    /// Text.
    Text,
    /// A boolean.
    Bool,
    /// An instant, UTC.
    Time,
    /// A calendar date.
    Date,
}

/// One table in a backup's header.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, utoipa::ToSchema)]
pub struct TableContents {
    /// The table's name.
    pub name: String,
    /// Its rows.
    pub rows: u64,
    /// Its columns, `[name, kind]`, in the order of each row's values.
    #[schema(value_type = Vec<Vec<String>>)]
    pub columns: Vec<(String, Kind)>,
}

/// A backup's header: what the file holds.
#[derive(Debug, Clone, Serialize, Deserialize, utoipa::ToSchema)]
pub struct Contents {
    /// Always [`FORMAT`].
    pub format: String,
    /// The format's version ([`VERSION`]).
    pub version: u32,
    /// The newest migration of the database it was read from.
    pub schema_version: i64,
    /// When it was read.
    pub created_at: DateTime<Utc>,
    /// `sqlite` or `mariadb`: where it was read from.
    pub backend: String,
    /// Its tables, in [`TABLES`]' order.
    pub tables: Vec<TableContents>,
}

/// The line closing a table's rows.
#[derive(Debug, Serialize, Deserialize)]
struct TableEnd {
    table: String,
    rows: u64,
    checksum: String,
}

/// Where [`Store::write_backup`] writes its lines (without line ends).
pub trait LineSink {
    /// Writes one line.
    fn line(&mut self, line: &str) -> std::io::Result<()>;
}

/// Where [`Store::restore_backup`] reads lines from (without line ends); `None` at the end.
/// Budgets (line length, total size) are the source's: it answers an I/O error past them.
pub trait LineSource {
    /// The next line.
    fn next_line(&mut self) -> std::io::Result<Option<String>>;
}

/// An order-independent checksum of a table's row lines.
#[derive(Debug, Default, Clone, Copy, PartialEq, Eq)]
pub struct Checksum(u128);

impl Checksum {
    /// Adds one row's line.
    pub fn add(&mut self, line: &str) {
        let digest = Sha256::digest(line.as_bytes());
        let mut first = [0u8; 16];
        first.copy_from_slice(&digest[..16]);
        self.0 = self.0.wrapping_add(u128::from_be_bytes(first));
    }

    /// As hex.
    pub fn hex(self) -> String {
        format!("{:032x}", self.0)
    }
}

/// The refusal of a file that is not a whole, matching Pustaka backup.
fn refused(code: &'static str, message: impl Into<String>) -> StoreError {
    StoreError::invalid("file", ValidationError::new(code, message))
}

/// A line the source could not give (cut, too long, not gzip): the file's fault.
fn unreadable(e: std::io::Error) -> StoreError {
    refused("backup_unreadable", format!("The backup file cannot be read: {e}."))
}

fn sink_failed(e: std::io::Error) -> StoreError {
    StoreError::Internal(anyhow::anyhow!("writing the backup: {e}"))
}

/// A column's value read from a row as JSON, by its kind.
fn value_of(row: &Row, name: &str, kind: Kind) -> Result<serde_json::Value> {
    use serde_json::Value as J;
    Ok(match kind {
        Kind::Int => row.get::<Option<i64>>(name)?.map_or(J::Null, J::from),
        Kind::Text => row.get::<Option<String>>(name)?.map_or(J::Null, J::from),
        Kind::Bool => row.get::<Option<bool>>(name)?.map_or(J::Null, J::from),
        Kind::Time => row
            .get::<Option<DateTime<Utc>>>(name)?
            .map_or(J::Null, |t| J::from(t.to_rfc3339_opts(SecondsFormat::AutoSi, true))),
        Kind::Date => {
            row.get::<Option<NaiveDate>>(name)?.map_or(J::Null, |d| J::from(d.format("%Y-%m-%d").to_string()))
        }
    })
}

/// A JSON value of a row line as the argument for its column; `None` when it does not fit the kind.
fn arg_of(value: &serde_json::Value, kind: Kind) -> Option<Arg> {
    use serde_json::Value as J;
    Some(match (kind, value) {
        (Kind::Int, J::Null) => Arg::Int(None),
        (Kind::Text, J::Null) => Arg::Text(None),
        (Kind::Bool, J::Null) => Arg::Int(None),
        (Kind::Time, J::Null) => Arg::Time(None),
        (Kind::Date, J::Null) => Arg::Date(None),
        (Kind::Int, J::Number(n)) => Arg::Int(Some(n.as_i64()?)),
        (Kind::Text, J::String(s)) => Arg::Text(Some(s.clone())),
        (Kind::Bool, J::Bool(b)) => Arg::Bool(*b),
        (Kind::Time, J::String(s)) => Arg::Time(Some(DateTime::parse_from_rfc3339(s).ok()?.with_timezone(&Utc))),
        (Kind::Date, J::String(s)) => Arg::Date(Some(NaiveDate::parse_from_str(s, "%Y-%m-%d").ok()?)),
        _ => return None,
    })
}

/// The base kind of a column from its declared type (SQLite's declared type, MariaDB's DATA_TYPE).
fn declared_kind(dialect: Dialect, declared: &str) -> Kind {
    let t = declared.to_ascii_lowercase();
    match dialect {
        Dialect::Sqlite if t.contains("int") => Kind::Int,
        Dialect::Sqlite => Kind::Text,
        Dialect::MariaDb => match t.as_str() {
            "tinyint" | "smallint" | "mediumint" | "int" | "bigint" => Kind::Int,
            "datetime" | "timestamp" => Kind::Time,
            "date" => Kind::Date,
            _ => Kind::Text,
        },
    }
}

/// Every base table of the connected schema.
pub(crate) async fn schema_tables(tx: &mut Tx) -> Result<Vec<String>> {
    let q = match tx.dialect() {
        Dialect::Sqlite => sql("SELECT name AS name FROM sqlite_master WHERE type = 'table' ORDER BY name"),
        Dialect::MariaDb => sql("SELECT CAST(TABLE_NAME AS CHAR) AS name FROM information_schema.TABLES \
             WHERE TABLE_SCHEMA = DATABASE() AND TABLE_TYPE = 'BASE TABLE' ORDER BY TABLE_NAME"),
    };
    tx.all(q).await?.iter().map(|r| Ok(r.get::<String>("name")?)).collect()
}

/// A table's columns as the schema declares them: `(name, declared kind, mariadb tinyint(1))`,
/// without generated columns, sorted by name.
async fn schema_columns(tx: &mut Tx, table: &Table) -> Result<Vec<(String, Kind)>> {
    let dialect = tx.dialect();
    let q = match dialect {
        Dialect::Sqlite => sql("SELECT name AS name, type AS type FROM pragma_table_info(?)").bind(table.name),
        Dialect::MariaDb => sql("SELECT CAST(COLUMN_NAME AS CHAR) AS name, \
             CAST(IF(COLUMN_TYPE = 'tinyint(1)', 'boolean', DATA_TYPE) AS CHAR) AS type \
             FROM information_schema.COLUMNS WHERE TABLE_SCHEMA = DATABASE() AND TABLE_NAME = ? \
             AND EXTRA NOT LIKE '%GENERATED%'")
        .bind(table.name),
    };
    let mut cols = Vec::new();
    for r in tx.all(q).await? {
        let name: String = r.get("name")?;
        let declared: String = r.get("type")?;
        let kind = if table.times.contains(&name.as_str()) {
            Kind::Time
        } else if table.dates.contains(&name.as_str()) {
            Kind::Date
        } else if table.bools.contains(&name.as_str()) || declared == "boolean" {
            Kind::Bool
        } else {
            declared_kind(dialect, &declared)
        };
        cols.push((name, kind));
    }
    cols.sort_by(|a, b| a.0.cmp(&b.0));
    Ok(cols)
}

/// The newest migration applied.
async fn schema_version(tx: &mut Tx) -> Result<i64> {
    let row = tx.opt(sql("SELECT MAX(version) AS v FROM _sqlx_migrations WHERE success = 1")).await?;
    Ok(row.map(|r| r.get::<Option<i64>>("v")).transpose()?.flatten().unwrap_or(0))
}

/// Rows read per query.
const PAGE: i64 = 1000;
/// Rows inserted per statement.
const BATCH: usize = 100;

/// Reads a table's rows page by page, calling `each` with every row's line.
async fn read_rows(
    tx: &mut Tx,
    table: &Table,
    columns: &[(String, Kind)],
    mut each: impl FnMut(&str) -> Result<()>,
) -> Result<(u64, Checksum)> {
    let list = columns.iter().map(|(c, _)| format!("`{c}`")).collect::<Vec<_>>().join(", ");
    let list = if tx.dialect() == Dialect::Sqlite { list.replace('`', "\"") } else { list };
    let (mut rows, mut sum, mut offset) = (0u64, Checksum::default(), 0i64);
    // Tables keyed by an integer id are read a page after the last id (each page one range of
    // the primary key); the few others, small, by offset.
    let by_id = table.key == "id";
    let mut after = i64::MIN;
    loop {
        let q = if by_id {
            sql(format!("SELECT {list} FROM {} WHERE id > ? ORDER BY id LIMIT ?", table.name)).bind(after).bind(PAGE)
        } else {
            sql(format!("SELECT {list} FROM {} ORDER BY {} LIMIT ? OFFSET ?", table.name, table.key))
                .bind(PAGE)
                .bind(offset)
        };
        let page = tx.all(q).await?;
        for row in &page {
            let values = columns.iter().map(|(c, k)| value_of(row, c, *k)).collect::<Result<Vec<_>>>()?;
            let line = serde_json::Value::Array(values).to_string();
            sum.add(&line);
            rows += 1;
            each(&line)?;
        }
        if (page.len() as i64) < PAGE {
            return Ok((rows, sum));
        }
        if by_id {
            after = page.last().map(|r| r.get::<i64>("id")).transpose()?.unwrap_or(after);
        }
        offset += PAGE;
    }
}

/// What the backup holds in the connected schema: each table of [`TABLES`] with its columns;
/// a table a pending migration will create (a backup before an upgrade) is left out.
async fn layout(tx: &mut Tx) -> Result<Vec<(&'static Table, Vec<(String, Kind)>)>> {
    let mut out = Vec::new();
    for t in TABLES {
        let columns = schema_columns(tx, t).await?;
        if !columns.is_empty() {
            out.push((t, columns));
        }
    }
    Ok(out)
}

impl Store {
    /// Writes a backup of every table in [`TABLES`], read in one read-only transaction (one
    /// snapshot: SQLite's WAL read, MariaDB's REPEATABLE READ), to `sink`, a page of rows at a
    /// time. Answers what it wrote.
    pub async fn write_backup(&self, sink: &mut (impl LineSink + Send)) -> Result<Contents> {
        let mut tx = self.db.begin_read().await?;
        if tx.dialect() == Dialect::MariaDb {
            let iso = tx.opt(sql("SELECT CAST(@@tx_isolation AS CHAR) AS i")).await?;
            let iso: String = iso.map(|r| r.get("i")).transpose()?.unwrap_or_default();
            if !matches!(iso.as_str(), "REPEATABLE-READ" | "SERIALIZABLE") {
                return Err(StoreError::Internal(anyhow::anyhow!(
                    "a backup needs one snapshot, but the transaction isolation is {iso}"
                )));
            }
        }
        let layout = layout(&mut tx).await?;
        let mut tables = Vec::new();
        for (t, columns) in &layout {
            let n = tx.opt(sql(format!("SELECT COUNT(*) AS n FROM {}", t.name))).await?;
            let rows = n.map(|r| r.get::<i64>("n")).transpose()?.unwrap_or(0);
            tables.push(TableContents { name: t.name.into(), rows: rows as u64, columns: columns.clone() });
        }
        let contents = Contents {
            format: FORMAT.into(),
            version: VERSION,
            schema_version: schema_version(&mut tx).await?,
            created_at: self.now(),
            backend: match self.db.dialect() {
                Dialect::Sqlite => "sqlite".into(),
                Dialect::MariaDb => "mariadb".into(),
            },
            tables,
        };
        let header = serde_json::to_string(&contents).map_err(|e| StoreError::Internal(e.into()))?;
        sink.line(&header).map_err(sink_failed)?;
        for (t, columns) in &layout {
            let (rows, sum) = read_rows(&mut tx, t, columns, |line| sink.line(line).map_err(sink_failed)).await?;
            let end = TableEnd { table: t.name.into(), rows, checksum: sum.hex() };
            sink.line(&serde_json::to_string(&end).map_err(|e| StoreError::Internal(e.into()))?)
                .map_err(sink_failed)?;
        }
        drop(tx);
        Ok(contents)
    }

    /// Each table's rows and checksum as a backup written now would have them (for tests and
    /// the check after a restore).
    pub async fn backup_checksums(&self) -> Result<BTreeMap<String, (u64, String)>> {
        let mut tx = self.db.begin_read().await?;
        let mut out = BTreeMap::new();
        for (t, columns) in layout(&mut tx).await? {
            let (rows, sum) = read_rows(&mut tx, t, &columns, |_| Ok(())).await?;
            out.insert(t.name.to_owned(), (rows, sum.hex()));
        }
        Ok(out)
    }

    /// The schema's tables that [`TABLES`] and [`NOT_BACKED_UP`] do not name (a test keeps
    /// this empty).
    pub async fn tables_unknown_to_backup(&self) -> Result<Vec<String>> {
        let mut tx = self.db.begin_read().await?;
        let all = schema_tables(&mut tx).await?;
        Ok(all
            .into_iter()
            .filter(|n| !TABLES.iter().any(|t| t.name == n) && !NOT_BACKED_UP.iter().any(|(s, _)| s == n))
            .collect())
    }

    /// The columns of the schema whose kind the backup reads differently from what MariaDB
    /// declares (a test keeps this empty: [`TABLES`]' kinds are right). Empty on SQLite.
    pub async fn backup_kind_mismatches(&self) -> Result<Vec<String>> {
        let mut tx = self.db.begin_read().await?;
        if tx.dialect() != Dialect::MariaDb {
            return Ok(Vec::new());
        }
        let mut out = Vec::new();
        for (t, cols) in layout(&mut tx).await? {
            let q = sql("SELECT CAST(COLUMN_NAME AS CHAR) AS name, \
                 CAST(IF(COLUMN_TYPE = 'tinyint(1)', 'boolean', DATA_TYPE) AS CHAR) AS type \
                 FROM information_schema.COLUMNS WHERE TABLE_SCHEMA = DATABASE() AND TABLE_NAME = ?")
            .bind(t.name);
            for r in tx.all(q).await? {
                let (name, declared): (String, String) = (r.get("name")?, r.get("type")?);
                let kind = if declared == "boolean" { Kind::Bool } else { declared_kind(Dialect::MariaDb, &declared) };
                if let Some((_, k)) = cols.iter().find(|(c, _)| *c == name) {
                    if *k != kind {
                        out.push(format!("{}.{name}: read as {k:?}, declared {declared}", t.name));
                    }
                }
            }
        }
        Ok(out)
    }

    /// Reads a backup's header and checks every table's rows against its count and checksum,
    /// without touching the database: what the page shows before it asks to confirm a restore.
    pub fn check_backup(source: &mut impl LineSource) -> Result<Contents> {
        let contents = read_header(source)?;
        for t in &contents.tables {
            let mut sum = Checksum::default();
            let mut rows = 0u64;
            while rows < t.rows {
                let line = next(source)?;
                parse_row(&line, t)?;
                sum.add(&line);
                rows += 1;
            }
            table_end(source, t, sum)?;
        }
        expect_end(source)?;
        Ok(contents)
    }

    /// Replaces every table of [`TABLES`] with a backup's rows, in one transaction: the backup's
    /// schema version must be this database's (migrate it first), every row is checked as it is
    /// read and every table's count and checksum after it is written; on any failure nothing
    /// changes. Ids are kept; SQLite's id counters restart after the highest id (InnoDB's
    /// follow by themselves); MariaDB's search index is rebuilt after.
    pub async fn restore_backup(&self, source: &mut (impl LineSource + Send)) -> Result<Contents> {
        let contents = read_header(source)?;
        // Not `transaction!`: the source is read once, so a failed attempt cannot run again.
        let mut tx = self.db.begin().await?;
        self.restore_in(&mut tx, source, &contents).await?;
        tx.commit().await?;
        self.reindex().await?;
        Ok(contents)
    }

    async fn restore_in(&self, tx: &mut Tx, source: &mut (impl LineSource + Send), contents: &Contents) -> Result<()> {
        let ours = schema_version(tx).await?;
        if contents.schema_version != ours {
            return Err(refused(
                "backup_schema_mismatch",
                format!(
                    "The backup is of schema version {}, this database is at {ours}: restore it with the Pustaka version that wrote it, or one of the same schema.",
                    contents.schema_version
                ),
            ));
        }
        let layout = layout(tx).await?;
        if layout.len() != contents.tables.len()
            || layout.iter().zip(&contents.tables).any(|((t, cols), c)| t.name != c.name || *cols != c.columns)
        {
            return Err(refused(
                "backup_schema_mismatch",
                "The backup's tables or columns differ from this database's.",
            ));
        }
        let dialect = tx.dialect();
        let quote = |c: &str| if dialect == Dialect::Sqlite { format!("\"{c}\"") } else { format!("`{c}`") };
        if dialect == Dialect::MariaDb {
            // The search index, rebuilt after the commit (`Store::reindex`).
            tx.exec(sql("DELETE FROM book_words")).await?;
            tx.exec(sql("DELETE FROM search_words")).await?;
        }
        for (t, _) in layout.iter().rev() {
            tx.exec(sql(format!("DELETE FROM {}", t.name))).await?;
        }
        if dialect == Dialect::Sqlite {
            // Inserting ids puts each table's counter back at its highest id.
            tx.exec(sql("DELETE FROM sqlite_sequence")).await?;
        }
        for ((t, cols), c) in layout.iter().zip(&contents.tables) {
            let names = cols.iter().map(|(n, _)| quote(n)).collect::<Vec<_>>().join(", ");
            let one = format!("({})", vec!["?"; cols.len()].join(", "));
            let mut sum = Checksum::default();
            let mut batch: Vec<Vec<Arg>> = Vec::new();
            let mut rows = 0u64;
            while rows < c.rows {
                let line = next(source)?;
                batch.push(parse_row(&line, c)?);
                sum.add(&line);
                rows += 1;
                if batch.len() == BATCH || rows == c.rows {
                    let mut q = sql(format!(
                        "INSERT INTO {} ({names}) VALUES {}",
                        t.name,
                        vec![one.as_str(); batch.len()].join(", ")
                    ));
                    for arg in batch.drain(..).flatten() {
                        q = q.bind(arg);
                    }
                    tx.exec(q).await?;
                }
            }
            table_end(source, c, sum)?;
            let (back, back_sum) = read_rows(tx, t, cols, |_| Ok(())).await?;
            if back != c.rows || back_sum != sum {
                return Err(StoreError::Internal(anyhow::anyhow!(
                    "table {} reads back as {back} rows, checksum {}, after restoring {} rows, checksum {}",
                    t.name,
                    back_sum.hex(),
                    c.rows,
                    sum.hex()
                )));
            }
        }
        expect_end(source)?;
        Ok(())
    }
}

fn next(source: &mut impl LineSource) -> Result<String> {
    source
        .next_line()
        .map_err(unreadable)?
        .ok_or_else(|| refused("backup_truncated", "The backup file ends too early: it is cut short."))
}

fn read_header(source: &mut impl LineSource) -> Result<Contents> {
    let first = source
        .next_line()
        .map_err(unreadable)?
        .ok_or_else(|| refused("not_a_backup", "The file is empty: it is not a Pustaka backup."))?;
    let probe: serde_json::Value =
        serde_json::from_str(&first).map_err(|_| refused("not_a_backup", "The file is not a Pustaka backup."))?;
    if probe.get("format").and_then(|f| f.as_str()) != Some(FORMAT) {
        return Err(refused("not_a_backup", "The file is not a Pustaka backup."));
    }
    if probe.get("version").and_then(|v| v.as_u64()) != Some(u64::from(VERSION)) {
        return Err(refused(
            "backup_version",
            format!("The backup is of format version {}, this Pustaka reads version {VERSION}.", probe["version"]),
        ));
    }
    serde_json::from_value(probe)
        .map_err(|e| refused("backup_damaged", format!("The backup's header is damaged: {e}.")))
}

fn parse_row(line: &str, t: &TableContents) -> Result<Vec<Arg>> {
    let damaged = || refused("backup_damaged", format!("A row of table {} in the backup is damaged.", t.name));
    let serde_json::Value::Array(values) = serde_json::from_str(line).map_err(|_| damaged())? else {
        return Err(damaged());
    };
    if values.len() != t.columns.len() {
        return Err(damaged());
    }
    values.iter().zip(&t.columns).map(|(v, (_, k))| arg_of(v, *k).ok_or_else(damaged)).collect()
}

fn table_end(source: &mut impl LineSource, t: &TableContents, sum: Checksum) -> Result<()> {
    let line = next(source)?;
    let end: TableEnd = serde_json::from_str(&line).map_err(|_| {
        refused("backup_damaged", format!("Table {} in the backup has more rows than its header says.", t.name))
    })?;
    if end.table != t.name || end.rows != t.rows || end.checksum != sum.hex() {
        return Err(refused(
            "backup_damaged",
            format!("Table {} in the backup does not match its checksum: the file is damaged.", t.name),
        ));
    }
    Ok(())
}

fn expect_end(source: &mut impl LineSource) -> Result<()> {
    match source.next_line().map_err(unreadable)? {
        None => Ok(()),
        Some(_) => Err(refused("backup_damaged", "The backup file goes on after its last table.")),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_checksum_ignores_row_order() {
        let (mut a, mut b) = (Checksum::default(), Checksum::default());
        for l in ["[1,\"a\"]", "[2,\"b\"]", "[3,null]"] {
            a.add(l);
        }
        for l in ["[3,null]", "[1,\"a\"]", "[2,\"b\"]"] {
            b.add(l);
        }
        assert_eq!(a, b);
        b.add("[4,true]");
        assert_ne!(a, b);
    }

    #[test]
    fn values_round_trip_through_their_kind() {
        for (kind, json) in [
            (Kind::Int, serde_json::json!(-5)),
            (Kind::Text, serde_json::json!("x")),
            (Kind::Bool, serde_json::json!(true)),
            (Kind::Time, serde_json::json!("2026-12-07T02:46:24Z")),
            (Kind::Date, serde_json::json!("2026-12-07")),
        ] {
            assert!(arg_of(&json, kind).is_some(), "{kind:?} {json}");
            assert!(arg_of(&serde_json::json!([1]), kind).is_none());
        }
        assert!(arg_of(&serde_json::json!("2026-13-07"), Kind::Date).is_none());
        assert!(arg_of(&serde_json::json!("x"), Kind::Int).is_none());
    }
}
