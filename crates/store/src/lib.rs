//! The library's records and rules over the database: every read and every change Pustaka makes.
//!
//! Each change runs in one transaction with its audit-log entry, so a change is either stored
//! whole, with its audit line, or not at all.
//!
//! The crate `pustaka-store` (crates/store), over the domain only: it cannot name the server
//! (HTTP, the app, notices' mail, metrics) nor the file formats. The server re-exports it as
//! `pustaka::store` (and its [`model`] and [`passwords`] as `pustaka::model`, `pustaka::passwords`).

/// The library's rules (the `pustaka-domain` crate).
pub use pustaka_domain as domain;

pub mod model;
pub mod passwords;

pub mod accounts;
pub mod backup;
pub mod catalogue;
pub mod circulation;
pub mod class_sets;
pub mod clock;
pub mod collections;
pub mod copycat;
pub mod db;
pub mod desk;
pub mod error;
pub mod history;
pub mod idempotency;
pub mod import;
pub mod import_jobs;
pub mod library_settings;
pub mod members;
pub mod mysql_pool;
pub mod notices;
pub mod print;
pub mod reading;
pub mod reports;
pub mod search;
pub mod settings;
pub mod slims;
pub mod stocktake;
pub mod visits;

use std::sync::Arc;

use chrono::{DateTime, NaiveDate, Utc, Weekday};
use chrono_tz::Tz;

use crate::{
    domain::{
        calendar::Calendar,
        status::{roles, Permission, Permissions},
        time,
    },
    model::{AuditEntry, Page, Stats},
};
use clock::{SharedClock, SystemClock};
use db::{sql, Db, Row, Tx};
use error::{Result, StoreError};

/// Who is making a request, as far as the store cares.
#[derive(Debug, Clone)]
pub struct Actor {
    /// The account's id (0 for the service itself).
    pub user_id: i64,
    /// The account's username, written to the audit log.
    pub username: String,
    /// The code of the account's role.
    pub role: String,
    /// What the account's role may do, as read with the session.
    pub permissions: Permissions,
    /// The member record behind a member account.
    pub member_id: Option<i64>,
}

impl Actor {
    /// The service acting on its own (first admin, demo data, expiring holds).
    pub fn system() -> Self {
        Self {
            user_id: 0,
            username: "system".into(),
            role: roles::ADMIN.into(),
            permissions: Permissions::all(),
            member_id: None,
        }
    }

    /// Whether the account acts for any member: its role holds the desk permission.
    pub fn is_desk(&self) -> bool {
        self.permissions.has(Permission::Desk)
    }

    /// An account with the desk permission may act for anyone; a member only for themselves.
    pub fn may_act_for(&self, member_id: i64) -> bool {
        self.is_desk() || self.member_id == Some(member_id)
    }

    /// `Forbidden` unless [`Actor::may_act_for`].
    pub fn ensure_for(&self, member_id: i64) -> Result<()> {
        if self.may_act_for(member_id) {
            Ok(())
        } else {
            Err(StoreError::Forbidden)
        }
    }

    /// What a missing member record (`what`: a member, loan, hold) is to this actor: staff learn
    /// it does not exist; a member gets the same `Forbidden` as for another member's record, so a
    /// member cannot probe which ids and card numbers exist.
    pub fn missing(&self, what: &'static str) -> StoreError {
        if self.is_desk() {
            StoreError::NotFound(what)
        } else {
            StoreError::Forbidden
        }
    }

    /// Passes a lookup's result on, answering a missing record as [`Actor::missing`] does.
    pub fn hide_missing<T>(&self, found: Result<T>) -> Result<T> {
        found.map_err(|e| match e {
            StoreError::NotFound(what) => self.missing(what),
            e => e,
        })
    }
}

/// Which page of a list to read.
#[derive(Debug, Clone, Copy)]
pub struct PageRequest {
    /// From 1.
    pub page: i64,
    /// 1 to 100.
    pub per_page: i64,
}

impl PageRequest {
    /// Rows to skip.
    pub fn offset(self) -> i64 {
        (self.page - 1) * self.per_page
    }

    /// Wraps rows read for this page.
    pub fn wrap<T>(self, items: Vec<T>, total: i64) -> Page<T> {
        Page { items, page: self.page, per_page: self.per_page, total, total_capped: false }
    }
}

impl Default for PageRequest {
    fn default() -> Self {
        Self { page: 1, per_page: 20 }
    }
}

/// The library's records, rules and calendar settings.
#[derive(Clone, Debug)]
pub struct Store {
    /// The database.
    pub db: Db,
    /// The library's time zone ([`Store::tz`]): shared by the clones, re-read from the settings.
    library_tz: Arc<library_settings::LibraryTz>,
    /// Weekdays the library is always closed.
    pub closed_weekdays: Vec<Weekday>,
    /// How long a login lasts.
    pub session_hours: i64,
    /// Where "now" comes from.
    clock: SharedClock,
    /// Hashes and checks passwords at the configured cost.
    pub passwords: crate::passwords::Hasher,
    /// This server's count of the books, for the catalogue's front page.
    book_count: Arc<search::BookCount>,
}

/// Turns a JSON array column's text into a list.
fn json_list(text: &str, col: &str) -> Result<Vec<String>> {
    serde_json::from_str(text).map_err(|e| StoreError::Internal(anyhow::anyhow!("column {col}: {e}")))
}

/// Escapes `%`, `_` and `!` for a `LIKE ... ESCAPE '!'` pattern (`!`, because a backslash is
/// an escape character in MariaDB string literals but not in SQLite's).
fn like_escape(s: &str) -> String {
    s.chars()
        .flat_map(|c| match c {
            '%' | '_' | '!' => vec!['!', c],
            c => vec![c],
        })
        .collect()
}

/// A page of the audit log with what each line is about, looked up by its entity and id.
const AUDIT_PAGE: &str = "SELECT a.id, a.at, a.actor, a.action, a.entity, a.entity_id, a.detail, \
     COALESCE(lb.title, hb.title, fb.title, cb.title, bb.title) AS book_title, \
     COALESCE(lc.barcode, fc.barcode, cc.barcode) AS barcode, \
     COALESCE(lm.name, hm.name, fm.name, mm.name) AS member_name, \
     COALESCE(lm.card_number, hm.card_number, fm.card_number, mm.card_number) AS card_number, \
     f.amount AS amount \
     FROM (SELECT id, at, actor, action, entity, entity_id, detail FROM audit_log ORDER BY id DESC LIMIT ? OFFSET ?) a \
     LEFT JOIN loans l ON a.entity = 'loan' AND l.id = a.entity_id \
     LEFT JOIN copies lc ON lc.id = l.copy_id \
     LEFT JOIN books lb ON lb.id = lc.book_id \
     LEFT JOIN members lm ON lm.id = l.member_id \
     LEFT JOIN holds h ON a.entity = 'hold' AND h.id = a.entity_id \
     LEFT JOIN books hb ON hb.id = h.book_id \
     LEFT JOIN members hm ON hm.id = h.member_id \
     LEFT JOIN fines f ON a.entity = 'fine' AND f.id = a.entity_id \
     LEFT JOIN loans fl ON fl.id = f.loan_id \
     LEFT JOIN copies fc ON fc.id = fl.copy_id \
     LEFT JOIN books fb ON fb.id = fc.book_id \
     LEFT JOIN members fm ON fm.id = f.member_id \
     LEFT JOIN copies cc ON a.entity = 'copy' AND cc.id = a.entity_id \
     LEFT JOIN books cb ON cb.id = cc.book_id \
     LEFT JOIN books bb ON a.entity = 'book' AND bb.id = a.entity_id \
     LEFT JOIN members mm ON a.entity = 'member' AND mm.id = a.entity_id \
     ORDER BY a.id DESC";

/// The row of a `SELECT COUNT(*) AS n` (see [`Store::count`]).
#[derive(sqlx::FromRow)]
struct Count {
    n: Option<i64>,
}

/// Where a read runs: on the pool (each read on a connection of its own, no locks), or in the
/// caller's transaction (its snapshot, and the locks it holds). For the reads the two share.
enum Reader<'a> {
    /// On the pool.
    Pool(&'a Db),
    /// In a transaction.
    Tx(&'a mut Tx),
}

impl Reader<'_> {
    /// The SQL dialect of the backend.
    fn dialect(&self) -> db::Dialect {
        match self {
            Reader::Pool(db) => db.dialect(),
            Reader::Tx(tx) => tx.dialect(),
        }
    }

    /// All rows.
    async fn all(&mut self, q: db::Query) -> Result<Vec<Row>> {
        Ok(match self {
            Reader::Pool(db) => db.all(q).await?,
            Reader::Tx(tx) => tx.all(q).await?,
        })
    }

    /// At most one row.
    async fn opt(&mut self, q: db::Query) -> Result<Option<Row>> {
        Ok(match self {
            Reader::Pool(db) => db.opt(q).await?,
            Reader::Tx(tx) => tx.opt(q).await?,
        })
    }
}

impl Store {
    /// A store over `db` with the library's calendar settings, hashing passwords at Argon2id's
    /// default cost.
    pub fn new(db: Db, tz: Tz, closed_weekdays: Vec<Weekday>, session_hours: i64) -> Self {
        Self {
            db,
            library_tz: Arc::new(library_settings::LibraryTz::new(tz, false)),
            closed_weekdays,
            session_hours,
            clock: Arc::new(SystemClock),
            passwords: Default::default(),
            book_count: Default::default(),
        }
    }

    /// The same store with its time zone pinned (set by the environment): a stored one is ignored.
    pub fn with_tz_pinned(self) -> Self {
        let tz = self.library_tz.get();
        Self { library_tz: Arc::new(library_settings::LibraryTz::new(tz, true)), ..self }
    }

    /// The same store reading time from `clock`.
    pub fn with_clock(self, clock: SharedClock) -> Self {
        Self { clock, ..self }
    }

    /// Now, to the second, by the store's clock.
    pub fn now(&self) -> DateTime<Utc> {
        self.clock.now()
    }

    /// The same store, hashing new passwords with `passwords`.
    pub fn with_passwords(self, passwords: crate::passwords::Hasher) -> Self {
        Self { passwords, ..self }
    }

    /// Today in the library.
    pub fn today(&self, at: DateTime<Utc>) -> NaiveDate {
        time::library_date(at, self.tz())
    }

    /// The calendar for dates from `from` on: weekly closed days and the closed days stored.
    async fn calendar(&self, tx: &mut Tx, from: NaiveDate) -> Result<Calendar> {
        self.calendar_on(&mut Reader::Tx(tx), from).await
    }

    /// [`Store::calendar`], read on the pool or in a transaction.
    async fn calendar_on(&self, on: &mut Reader<'_>, from: NaiveDate) -> Result<Calendar> {
        let rows = on.all(sql("SELECT day FROM closed_days WHERE day >= ? ORDER BY day").bind(from)).await?;
        let days = rows.iter().map(|r| Ok(r.decode::<(NaiveDate,)>()?.0)).collect::<Result<Vec<_>>>()?;
        Ok(Calendar::new(self.closed_weekdays.iter().copied(), days))
    }

    /// Writes one audit-log line in the caller's transaction.
    async fn audit(
        &self,
        tx: &mut Tx,
        actor: &Actor,
        action: &str,
        entity: &str,
        entity_id: i64,
        detail: impl Into<String>,
    ) -> Result<()> {
        tx.exec(
            sql("INSERT INTO audit_log (at, actor, action, entity, entity_id, detail) VALUES (?, ?, ?, ?, ?, ?)")
                .bind(self.now())
                .bind(&actor.username)
                .bind(action)
                .bind(entity)
                .bind(entity_id)
                .bind(detail.into()),
        )
        .await?;
        Ok(())
    }

    /// The audit log, newest first, each line with the book, copy and member it is about.
    pub async fn audit_log(&self, page: PageRequest) -> Result<Page<AuditEntry>> {
        let rows = self.db.all(sql(AUDIT_PAGE).bind(page.per_page).bind(page.offset())).await?;
        let items = rows.iter().map(Row::decode::<AuditEntry>).collect::<Result<Vec<_>, _>>()?;
        let total = self.count(sql("SELECT COUNT(*) AS n FROM audit_log")).await?;
        Ok(page.wrap(items, total))
    }

    /// Runs a `SELECT COUNT(*) AS n` (or any single integer `n`).
    async fn count(&self, q: db::Query) -> Result<i64> {
        match self.db.opt(q).await? {
            Some(row) => Ok(row.decode::<Count>()?.n.unwrap_or(0)),
            None => Ok(0),
        }
    }

    /// Totals for the desk's dashboard.
    pub async fn stats(&self) -> Result<Stats> {
        let now = self.now();
        Ok(Stats {
            books: self.count(sql("SELECT COUNT(*) AS n FROM books")).await?,
            copies: self.count(sql("SELECT COUNT(*) AS n FROM copies WHERE status <> 'withdrawn'")).await?,
            members: self.count(sql("SELECT COUNT(*) AS n FROM members")).await?,
            active_loans: self.count(sql("SELECT COUNT(*) AS n FROM loans WHERE returned_at IS NULL")).await?,
            overdue_loans: self
                .count(sql("SELECT COUNT(*) AS n FROM loans WHERE returned_at IS NULL AND due_at < ?").bind(now))
                .await?,
            unpaid_fines: self.unpaid_total(None).await?,
        })
    }

    /// InnoDB's deadlock count since the server started (`None` on SQLite): what the contention
    /// tests and the bench compare before and after a workload.
    #[doc(hidden)]
    pub async fn innodb_deadlocks(&self) -> Result<Option<i64>> {
        if self.db.dialect() != db::Dialect::MariaDb {
            return Ok(None);
        }
        let q = sql(
            "SELECT VARIABLE_VALUE AS v FROM information_schema.GLOBAL_STATUS WHERE VARIABLE_NAME = 'INNODB_DEADLOCKS'",
        );
        let Some(row) = self.db.opt(q).await? else { return Ok(None) };
        let (v,): (String,) = row.decode()?;
        Ok(v.trim().parse().ok())
    }

    /// Rupiah owed in unpaid fines, by one member or by all.
    async fn unpaid_total(&self, member_id: Option<i64>) -> Result<i64> {
        unpaid_total_of(self.db.opt(unpaid_total_query(self.db.dialect(), member_id)).await?)
    }
}

/// The unit [`unpaid_total_query`] splits amounts at.
const SPLIT: i64 = 1_000_000_000;

/// Totals unpaid fines (of one member, or of all) in two sums that cannot overflow, whatever the
/// stored amounts: each amount's multiples of [`SPLIT`] (at most 9.3×10^9 per row) and its
/// remainder (under 10^9 per row). SQLite's `SUM` fails on overflow (one stored fine near i64::MAX
/// is enough) and MariaDB's is DECIMAL; these two stay exact in an i64 for over a billion fines.
/// [`unpaid_total_of`] joins them, saturating.
fn unpaid_total_query(dialect: db::Dialect, member_id: Option<i64>) -> db::Query {
    let (int, div) = (dialect.integer(), dialect.int_div());
    // SUM() is DECIMAL on MariaDB: cast it back to an integer each backend decodes as i64.
    let mut q = sql(format!(
        "SELECT CAST(COALESCE(SUM((amount - paid) {div} {SPLIT}), 0) AS {int}) AS high, \
         CAST(COALESCE(SUM((amount - paid) % {SPLIT}), 0) AS {int}) AS low FROM fines WHERE status = 'unpaid'"
    ));
    if let Some(id) = member_id {
        q = q.push(" AND member_id = ?").bind(id);
    }
    q
}

/// The row of [`unpaid_total_query`].
#[derive(sqlx::FromRow)]
struct SplitTotal {
    high: i64,
    low: i64,
}

/// The total from [`unpaid_total_query`]'s row, saturating at `i64::MAX`.
fn unpaid_total_of(row: Option<Row>) -> Result<i64> {
    let Some(row) = row else { return Ok(0) };
    let SplitTotal { high, low } = row.decode()?;
    Ok(joined_total(high, low))
}

/// `high × SPLIT + low`, saturating instead of overflowing.
fn joined_total(high: i64, low: i64) -> i64 {
    crate::domain::circulation::total_money([high.saturating_mul(SPLIT), low])
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn members_are_not_told_what_does_not_exist() {
        let member = Actor {
            user_id: 5,
            username: "budi".into(),
            role: roles::MEMBER.into(),
            permissions: Permissions::NONE,
            member_id: Some(3),
        };
        let librarian = Actor {
            role: roles::LIBRARIAN.into(),
            permissions: Permissions::of(&[Permission::Desk]),
            member_id: None,
            ..member.clone()
        };
        assert!(matches!(member.missing("loan"), StoreError::Forbidden));
        assert!(matches!(librarian.missing("loan"), StoreError::NotFound("loan")));
        assert!(matches!(member.hide_missing::<()>(Err(StoreError::NotFound("hold"))), Err(StoreError::Forbidden)));
        assert!(matches!(member.hide_missing::<()>(Err(StoreError::BadCredentials)), Err(StoreError::BadCredentials)));
        assert!(matches!(member.hide_missing(Ok(1)), Ok(1)));
        assert!(member.ensure_for(3).is_ok() && member.ensure_for(4).is_err() && librarian.ensure_for(4).is_ok());
    }

    #[test]
    fn split_totals_join_exactly_or_saturate() {
        let split = |a: i64| (a / SPLIT, a % SPLIT);
        for amounts in [vec![], vec![500, 12_345_678_901], vec![i64::MAX], vec![i64::MAX, i64::MAX, 7]] {
            let (high, low) = amounts.iter().map(|&a| split(a)).fold((0i64, 0i64), |(h, l), (a, b)| (h + a, l + b));
            let exact: i128 = amounts.iter().map(|&a| i128::from(a)).sum();
            assert_eq!(i128::from(joined_total(high, low)), exact.min(i128::from(i64::MAX)), "{amounts:?}");
        }
    }
}
