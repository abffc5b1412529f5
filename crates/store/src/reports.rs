//! The head librarian's reports: loans per month and per day, by member category and by DDC
//! class, the most borrowed titles, active members, acquisitions, the collection by class and
//! status, overdue loans with contacts, fines charged, paid and waived, and visits.
//!
//! Every figure is counted by the database from the same tables the desk writes (no counter
//! kept on the side that could drift): the tests count the same rows by hand. A loan keeps,
//! from the moment it is made, its book, the borrower's category and the book's DDC main class
//! then (migration 20261205000001_report_columns): the loans reports group by those, read from
//! one covering index on the loan date, so "loans by category" counts each loan under the
//! category its borrower had when borrowing, which is what a semester's report means. Dates are the
//! library's wall-calendar dates: a report `from`..=`to` covers the instants from the start of
//! `from` to the end of `to` in the library's time zone, and rows are grouped by the local date
//! of each instant (the zone's offset at `from`; Indonesia's zones have no daylight saving).

use chrono::{DateTime, Datelike, Months, NaiveDate, Offset, TimeDelta, TimeZone, Utc};

use super::{
    db::{sql, Dialect, Query, Record, Row},
    error::{Result, StoreError},
    Store,
};
use crate::{
    domain::{time, ValidationError},
    model::Cell,
};

/// The reports there are, by the name in `/reports/{name}`.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ReportKind {
    /// Loans made in each month of the range.
    LoansPerMonth,
    /// Loans made on each day of the range (at most 366 days).
    LoansPerDay,
    /// Loans made in the range by the borrower's member category.
    LoansByCategory,
    /// Loans made in the range by the book's DDC class (000–900).
    LoansByClass,
    /// The 20 titles lent most often in the range.
    TopTitles,
    /// Members who borrowed at least once in the range, by category.
    ActiveMembers,
    /// Titles and copies added in each month of the range.
    Acquisitions,
    /// Copies by DDC class and status, as they are now.
    Collection,
    /// Loans overdue now, with the member's contacts.
    Overdue,
    /// Fines charged, paid and waived in each month of the range.
    Fines,
    /// Visits recorded by the visitor log in each month of the range, members and guests.
    Visitors,
    /// Titles and copies (not withdrawn) by collection type, as they are now.
    CollectionByType,
    /// In-library uses ("baca di tempat") recorded in the range, by day and collection type.
    InLibraryUses,
}

impl ReportKind {
    /// Every report, in the order the page lists them.
    pub const ALL: [ReportKind; 13] = [
        ReportKind::LoansPerMonth,
        ReportKind::LoansPerDay,
        ReportKind::LoansByCategory,
        ReportKind::LoansByClass,
        ReportKind::TopTitles,
        ReportKind::ActiveMembers,
        ReportKind::Acquisitions,
        ReportKind::Collection,
        ReportKind::Overdue,
        ReportKind::Fines,
        ReportKind::Visitors,
        ReportKind::CollectionByType,
        ReportKind::InLibraryUses,
    ];

    /// The name in the URL and in the downloaded file's name.
    pub fn name(self) -> &'static str {
        match self {
            ReportKind::LoansPerMonth => "loans-per-month",
            ReportKind::LoansPerDay => "loans-per-day",
            ReportKind::LoansByCategory => "loans-by-category",
            ReportKind::LoansByClass => "loans-by-class",
            ReportKind::TopTitles => "top-titles",
            ReportKind::ActiveMembers => "active-members",
            ReportKind::Acquisitions => "acquisitions",
            ReportKind::Collection => "collection",
            ReportKind::Overdue => "overdue",
            ReportKind::Fines => "fines",
            ReportKind::Visitors => "visitors",
            ReportKind::CollectionByType => "collection-by-type",
            ReportKind::InLibraryUses => "in-library-uses",
        }
    }

    /// The report called `name`.
    pub fn parse(name: &str) -> Option<ReportKind> {
        Self::ALL.into_iter().find(|k| k.name() == name)
    }

    /// The columns' keys (JSON keys; the page and the downloads translate them).
    pub fn columns(self) -> &'static [&'static str] {
        match self {
            ReportKind::LoansPerMonth => &["month", "loans"],
            ReportKind::LoansPerDay => &["date", "loans"],
            ReportKind::LoansByCategory => &["category", "category_name", "loans", "borrowers"],
            ReportKind::LoansByClass => &["class", "loans"],
            ReportKind::TopTitles => &["rank", "book_id", "title", "call_number", "loans"],
            ReportKind::ActiveMembers => &["category", "category_name", "active_members", "members"],
            ReportKind::Acquisitions => &["month", "titles", "copies"],
            ReportKind::Collection => &["class", "available", "on_loan", "on_hold_shelf", "lost", "withdrawn", "total"],
            ReportKind::Overdue => {
                &["due_date", "days_late", "member_name", "card_number", "phone", "email", "barcode", "title"]
            }
            ReportKind::Fines => &["month", "charged", "paid", "waived"],
            ReportKind::Visitors => &["month", "visits", "member_visits", "guest_visits"],
            ReportKind::CollectionByType => &["collection_type", "collection_type_name", "all_titles", "all_copies"],
            ReportKind::InLibraryUses => &["date", "collection_type", "collection_type_name", "uses"],
        }
    }

    /// False for the reports that show how things stand now, whatever the range.
    pub fn uses_range(self) -> bool {
        !matches!(self, ReportKind::Collection | ReportKind::Overdue | ReportKind::CollectionByType)
    }
}

/// The dates a report covers, both included.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct ReportRange {
    /// The first day.
    pub from: NaiveDate,
    /// The last day.
    pub to: NaiveDate,
}

/// The longest range a report covers: ten years (a library's whole history at once is an
/// export, not a report).
pub const MAX_RANGE_DAYS: i64 = 3_660;
/// The longest range of the per-day report.
pub const MAX_DAILY_DAYS: i64 = 366;

impl ReportRange {
    /// Checks `from` ≤ `to` and the range's length for `kind`; the error names the field `to`.
    pub fn new(from: NaiveDate, to: NaiveDate, kind: ReportKind) -> std::result::Result<Self, ValidationError> {
        let days = (to - from).num_days() + 1;
        if days < 1 {
            return Err(ValidationError::new("range_reversed", "`to` is before `from`"));
        }
        let max = if kind == ReportKind::LoansPerDay { MAX_DAILY_DAYS } else { MAX_RANGE_DAYS };
        if days > max {
            return Err(ValidationError::new("range_too_long", format!("a range of at most {max} days")));
        }
        Ok(Self { from, to })
    }
}

/// A report's rows, one cell per column of [`ReportKind::columns`].
#[derive(Debug, Clone, PartialEq)]
pub struct ReportData {
    /// Which report.
    pub kind: ReportKind,
    /// The range asked for.
    pub range: ReportRange,
    /// The rows.
    pub rows: Vec<Vec<Cell>>,
}

/// DDC's ten main classes, then books with no (numeric) class.
const CLASSES: [&str; 11] = ["000", "100", "200", "300", "400", "500", "600", "700", "800", "900", "other"];

/// The row of [`CLASSES`] for a `ddc_class` column (the first digit, NULL for no class).
fn class_row(digit: Option<i64>) -> usize {
    match digit {
        Some(d @ 0..=9) => d as usize,
        _ => CLASSES.len() - 1,
    }
}

/// An amount summed in SQL as two parts that cannot overflow (see `unpaid_total_query`):
/// `hi` (multiples of 10^9) and `lo` (the rest), read as a [`SplitSum`].
fn split_sum(dialect: Dialect, expr: &str) -> String {
    let (int, div) = (dialect.integer(), dialect.int_div());
    format!(
        "CAST(COALESCE(SUM(({expr}) {div} 1000000000), 0) AS {int}) AS hi, \
         CAST(COALESCE(SUM(({expr}) % 1000000000), 0) AS {int}) AS lo"
    )
}

/// The two parts of a [`split_sum`].
#[derive(sqlx::FromRow, Default, Clone, Copy)]
struct SplitSum {
    hi: i64,
    lo: i64,
}

impl SplitSum {
    /// The parts joined, saturating.
    fn total(self) -> i64 {
        self.hi.saturating_mul(1_000_000_000).saturating_add(self.lo)
    }
}

/// The first day of `date`'s month.
fn month_start(date: NaiveDate) -> NaiveDate {
    date.with_day(1).unwrap_or(date)
}

/// `YYYY-MM` of every month that meets the range, in order.
fn months(range: ReportRange) -> Vec<String> {
    let mut out = Vec::new();
    let mut m = month_start(range.from);
    while m <= range.to {
        out.push(m.format("%Y-%m").to_string());
        m = m.checked_add_months(Months::new(1)).unwrap_or(NaiveDate::MAX);
    }
    out
}

/// A row of a grouped count: its group's key (`grp`: a period, a category code; NULL read as
/// "") and the figures `T`.
#[derive(sqlx::FromRow)]
struct Grouped<T> {
    grp: Option<String>,
    #[sqlx(flatten)]
    figures: T,
}

/// A count (`n`).
#[derive(sqlx::FromRow, Default, Clone, Copy)]
struct N {
    n: i64,
}

/// Loans (`n`) and the members who made them (`borrowers`).
#[derive(sqlx::FromRow, Default, Clone, Copy)]
struct LoansAndBorrowers {
    n: i64,
    borrowers: i64,
}

/// Visits (`n`), of them by guests (`guests`).
#[derive(sqlx::FromRow, Default, Clone, Copy)]
struct VisitsAndGuests {
    n: i64,
    guests: i64,
}

/// The figures of each group, looked up by the group's key: zeros where the database had no row.
struct Counts<T>(std::collections::HashMap<String, T>);

impl<T: Default + Copy> Counts<T>
where
    Grouped<T>: Record,
{
    fn new(rows: Vec<Row>) -> Result<Self> {
        let mut map = std::collections::HashMap::with_capacity(rows.len());
        for r in rows {
            let g: Grouped<T> = r.decode()?;
            map.insert(g.grp.unwrap_or_default(), g.figures);
        }
        Ok(Self(map))
    }

    fn of(&self, key: &str) -> T {
        self.0.get(key).copied().unwrap_or_default()
    }
}

/// Titles and copies of one group.
#[derive(Debug, Default, Clone, Copy, sqlx::FromRow)]
struct TitlesCopies {
    titles: i64,
    copies: i64,
}

/// In-library uses of one day and collection type.
#[derive(sqlx::FromRow)]
struct UsesRow {
    day: String,
    collection_type: Option<String>,
    name: Option<String>,
    n: i64,
}

/// A count by DDC class (`first`: the class's digit, NULL for none).
#[derive(sqlx::FromRow)]
struct ClassCount {
    first: Option<i64>,
    n: i64,
}

/// Titles and copies held of a DDC class (`first`: the class's digit, NULL for none).
#[derive(sqlx::FromRow)]
struct ClassHeld {
    first: Option<i64>,
    titles: i64,
    copies: i64,
}

/// A count of copies by DDC class and status.
#[derive(sqlx::FromRow)]
struct ClassStatusCount {
    first: Option<i64>,
    status: String,
    n: i64,
}

/// A line of the most borrowed titles.
#[derive(sqlx::FromRow)]
struct TopTitle {
    id: i64,
    title: String,
    call_number: Option<String>,
    n: i64,
}

/// A line of the overdue report.
#[derive(sqlx::FromRow)]
struct OverdueLine {
    due_at: DateTime<Utc>,
    name: String,
    card_number: String,
    phone: Option<String>,
    email: Option<String>,
    barcode: String,
    title: String,
}

impl Store {
    /// The instants `[start, end)` of a range of library dates.
    fn instants(&self, range: ReportRange) -> (DateTime<Utc>, DateTime<Utc>) {
        let second = TimeDelta::seconds(1);
        let start = range.from.pred_opt().map_or(DateTime::<Utc>::MIN_UTC, |d| time::end_of_day(d, self.tz()) + second);
        (start, time::end_of_day(range.to, self.tz()) + second)
    }

    /// SQL for the library date (`%Y-%m-%d`) or month (`%Y-%m`) of the instant in `column`.
    fn local(&self, column: &str, format: &str, range: ReportRange) -> String {
        let at = self.instants(range).0;
        let offset = self.tz().offset_from_utc_datetime(&at.naive_utc()).fix().local_minus_utc();
        match self.db.dialect() {
            Dialect::Sqlite => format!("strftime('{format}', {column}, '{offset:+} seconds')"),
            Dialect::MariaDb => format!("DATE_FORMAT({column} + INTERVAL {offset} SECOND, '{format}')"),
        }
    }

    /// One report over `range`.
    pub async fn report(&self, kind: ReportKind, range: ReportRange) -> Result<ReportData> {
        let rows = match kind {
            ReportKind::LoansPerMonth => self.loans_per_period(range, "%Y-%m", months(range)).await?,
            ReportKind::LoansPerDay => {
                let days = range.from.iter_days().take_while(|d| *d <= range.to);
                self.loans_per_period(range, "%Y-%m-%d", days.map(|d| d.to_string()).collect()).await?
            }
            ReportKind::LoansByCategory => self.loans_by_category(range).await?,
            ReportKind::LoansByClass => self.loans_by_class(range).await?,
            ReportKind::TopTitles => self.top_titles(range).await?,
            ReportKind::ActiveMembers => self.active_members(range).await?,
            ReportKind::Acquisitions => self.acquisitions(range).await?,
            ReportKind::Collection => self.collection().await?,
            ReportKind::Overdue => self.overdue_report().await?,
            ReportKind::Fines => self.fines_report(range).await?,
            ReportKind::Visitors => self.visitors_report(range).await?,
            ReportKind::CollectionByType => self.collection_by_type().await?,
            ReportKind::InLibraryUses => self.in_library_uses_report(range).await?,
        };
        Ok(ReportData { kind, range, rows })
    }

    /// `SELECT … WHERE <column> in range` with the range's two instants bound.
    fn in_range(&self, text: String, range: ReportRange) -> Query {
        let (start, end) = self.instants(range);
        sql(text).bind(start).bind(end)
    }

    async fn loans_per_period(&self, range: ReportRange, format: &str, keys: Vec<String>) -> Result<Vec<Vec<Cell>>> {
        let period = self.local("loaned_at", format, range);
        let q = format!(
            "SELECT {period} AS grp, COUNT(*) AS n FROM loans WHERE loaned_at >= ? AND loaned_at < ? GROUP BY {period}"
        );
        let counts = Counts::<N>::new(self.db.all(self.in_range(q, range)).await?)?;
        Ok(keys
            .into_iter()
            .map(|k| {
                let n = counts.of(&k).n;
                vec![Cell::Text(k), Cell::Int(n)]
            })
            .collect())
    }

    async fn loans_by_category(&self, range: ReportRange) -> Result<Vec<Vec<Cell>>> {
        let q = "SELECT member_category AS grp, COUNT(*) AS n, COUNT(DISTINCT member_id) AS borrowers \
                 FROM loans WHERE loaned_at >= ? AND loaned_at < ? GROUP BY member_category";
        let counts = Counts::<LoansAndBorrowers>::new(self.db.all(self.in_range(q.into(), range)).await?)?;
        Ok(self
            .category_names()
            .await?
            .into_iter()
            .map(|(code, name)| {
                let LoansAndBorrowers { n, borrowers } = counts.of(&code);
                vec![Cell::Text(code), Cell::Text(name), Cell::Int(n), Cell::Int(borrowers)]
            })
            .collect())
    }

    async fn loans_by_class(&self, range: ReportRange) -> Result<Vec<Vec<Cell>>> {
        let q = "SELECT ddc_class AS first, COUNT(*) AS n \
                 FROM loans WHERE loaned_at >= ? AND loaned_at < ? GROUP BY ddc_class";
        let rows = self.db.all(self.in_range(q.into(), range)).await?;
        let mut by_class = [0_i64; CLASSES.len()];
        for r in &rows {
            let c: ClassCount = r.decode()?;
            by_class[class_row(c.first)] += c.n;
        }
        Ok(CLASSES.iter().zip(by_class).map(|(c, n)| vec![Cell::from(*c), Cell::Int(n)]).collect())
    }

    async fn top_titles(&self, range: ReportRange) -> Result<Vec<Vec<Cell>>> {
        // The twenty counted from the index first, then their twenty titles looked up.
        let q = "SELECT b.id AS id, b.title AS title, b.call_number AS call_number, t.n AS n \
                 FROM (SELECT book_id, COUNT(*) AS n FROM loans WHERE loaned_at >= ? AND loaned_at < ? \
                       GROUP BY book_id ORDER BY n DESC, book_id LIMIT 20) t \
                 JOIN books b ON b.id = t.book_id ORDER BY t.n DESC, t.book_id";
        let rows = self.db.all(self.in_range(q.into(), range)).await?;
        rows.iter()
            .zip(1_i64..)
            .map(|(r, rank)| {
                let t: TopTitle = r.decode()?;
                Ok(vec![Cell::Int(rank), Cell::Int(t.id), Cell::Text(t.title), t.call_number.into(), Cell::Int(t.n)])
            })
            .collect()
    }

    async fn active_members(&self, range: ReportRange) -> Result<Vec<Vec<Cell>>> {
        // By the member's category now, beside the category's members now: each active member
        // counted once (the borrowers of "loans by category" go by the category at each loan).
        let active = "SELECT m.category AS grp, COUNT(*) AS n \
                      FROM (SELECT DISTINCT member_id FROM loans WHERE loaned_at >= ? AND loaned_at < ?) a \
                      JOIN members m ON m.id = a.member_id GROUP BY m.category";
        let active = Counts::<N>::new(self.db.all(self.in_range(active.into(), range)).await?)?;
        let all = sql("SELECT category AS grp, COUNT(*) AS n FROM members GROUP BY category");
        let all = Counts::<N>::new(self.db.all(all).await?)?;
        Ok(self
            .category_names()
            .await?
            .into_iter()
            .map(|(code, name)| {
                let (a, n) = (active.of(&code).n, all.of(&code).n);
                vec![Cell::Text(code), Cell::Text(name), Cell::Int(a), Cell::Int(n)]
            })
            .collect())
    }

    async fn acquisitions(&self, range: ReportRange) -> Result<Vec<Vec<Cell>>> {
        let per_month = |table: &str| {
            let month = self.local("created_at", "%Y-%m", range);
            format!(
                "SELECT {month} AS grp, COUNT(*) AS n FROM {table} \
                 WHERE created_at >= ? AND created_at < ? GROUP BY {month}"
            )
        };
        let titles = Counts::<N>::new(self.db.all(self.in_range(per_month("books"), range)).await?)?;
        let copies = Counts::<N>::new(self.db.all(self.in_range(per_month("copies"), range)).await?)?;
        Ok(months(range)
            .into_iter()
            .map(|m| {
                let (t, c) = (titles.of(&m).n, copies.of(&m).n);
                vec![Cell::Text(m), Cell::Int(t), Cell::Int(c)]
            })
            .collect())
    }

    async fn collection(&self) -> Result<Vec<Vec<Cell>>> {
        let q = sql("SELECT ddc_class AS first, status, COUNT(*) AS n FROM copies GROUP BY ddc_class, status");
        const STATUSES: [&str; 5] = ["available", "on_loan", "on_hold_shelf", "lost", "withdrawn"];
        let mut table = [[0_i64; STATUSES.len()]; CLASSES.len()];
        for r in &self.db.all(q).await? {
            let ClassStatusCount { first, status, n } = r.decode()?;
            let s = STATUSES
                .iter()
                .position(|x| *x == status)
                .ok_or_else(|| StoreError::Internal(anyhow::anyhow!("a copy has the unknown status {status:?}")))?;
            table[class_row(first)][s] += n;
        }
        Ok(CLASSES
            .iter()
            .zip(table)
            .map(|(class, counts)| {
                let mut row = vec![Cell::from(*class)];
                row.extend(counts.iter().map(|n| Cell::Int(*n)));
                row.push(Cell::Int(counts.iter().sum()));
                row
            })
            .collect())
    }

    /// Every collection type (and a last row `-` for copies without one): the titles with a copy
    /// of the type (a title whose copies differ counts under each of their types) and the copies,
    /// withdrawn ones left out.
    async fn collection_by_type(&self) -> Result<Vec<Vec<Cell>>> {
        let q = sql(format!(
            "SELECT {} AS grp, COUNT(DISTINCT c.book_id) AS titles, COUNT(*) AS copies \
             FROM copies c JOIN books b ON b.id = c.book_id WHERE c.status <> 'withdrawn' GROUP BY {}",
            super::catalogue::EFFECTIVE_TYPE,
            super::catalogue::EFFECTIVE_TYPE
        ));
        let counts = Counts::<TitlesCopies>::new(self.db.all(q).await?)?;
        let mut rows: Vec<Vec<Cell>> = self
            .collection_types()
            .await?
            .into_iter()
            .map(|t| {
                let TitlesCopies { titles, copies } = counts.of(&t.code);
                vec![Cell::Text(t.code), Cell::Text(t.name), Cell::Int(titles), Cell::Int(copies)]
            })
            .collect();
        // NULL groups read as "" (no type).
        let TitlesCopies { titles, copies } = counts.of("");
        rows.push(vec![Cell::from("-"), Cell::from("-"), Cell::Int(titles), Cell::Int(copies)]);
        Ok(rows)
    }

    /// The in-library uses of the range by day and collection type (days and types with none left out).
    async fn in_library_uses_report(&self, range: ReportRange) -> Result<Vec<Vec<Cell>>> {
        let day = self.local("u.used_at", "%Y-%m-%d", range);
        let q = format!(
            "SELECT {day} AS day, u.collection_type AS collection_type, t.name AS name, COUNT(*) AS n \
             FROM in_library_uses u LEFT JOIN collection_types t ON t.code = u.collection_type \
             WHERE u.used_at >= ? AND u.used_at < ? GROUP BY {day}, u.collection_type, t.name \
             ORDER BY day, u.collection_type"
        );
        let rows = self.db.all(self.in_range(q, range)).await?;
        rows.iter()
            .map(|r| {
                let u: UsesRow = r.decode()?;
                Ok(vec![
                    Cell::Text(u.day),
                    Cell::Text(u.collection_type.unwrap_or_else(|| "-".into())),
                    Cell::Text(u.name.unwrap_or_else(|| "-".into())),
                    Cell::Int(u.n),
                ])
            })
            .collect()
    }

    async fn overdue_report(&self) -> Result<Vec<Vec<Cell>>> {
        let now = self.now();
        let today = self.today(now);
        let q = sql("SELECT l.due_at AS due_at, m.name AS name, m.card_number AS card_number, m.phone AS phone, \
                     m.email AS email, c.barcode AS barcode, b.title AS title \
                     FROM loans l JOIN members m ON m.id = l.member_id JOIN copies c ON c.id = l.copy_id \
                     JOIN books b ON b.id = c.book_id WHERE l.returned_at IS NULL AND l.due_at < ? \
                     ORDER BY l.due_at, l.id")
        .bind(now);
        self.db
            .all(q)
            .await?
            .iter()
            .map(|r| {
                let l: OverdueLine = r.decode()?;
                let due = self.today(l.due_at);
                Ok(vec![
                    Cell::Date(due),
                    Cell::Int((today - due).num_days().max(0)),
                    Cell::Text(l.name),
                    Cell::Text(l.card_number),
                    l.phone.into(),
                    l.email.into(),
                    Cell::Text(l.barcode),
                    Cell::Text(l.title),
                ])
            })
            .collect()
    }

    async fn fines_report(&self, range: ReportRange) -> Result<Vec<Vec<Cell>>> {
        let d = self.db.dialect();
        let created = self.local("created_at", "%Y-%m", range);
        let charged = format!(
            "SELECT {created} AS grp, {} FROM fines WHERE created_at >= ? AND created_at < ? GROUP BY {created}",
            split_sum(d, "amount")
        );
        let paid_month = self.local("paid_at", "%Y-%m", range);
        let paid = format!(
            "SELECT {paid_month} AS grp, {} FROM fine_payments WHERE paid_at >= ? AND paid_at < ? GROUP BY {paid_month}",
            split_sum(d, "amount")
        );
        // A waived fine is waived for what was left unpaid.
        let resolved = self.local("resolved_at", "%Y-%m", range);
        let waived = format!(
            "SELECT {resolved} AS grp, {} FROM fines WHERE status = 'waived' AND resolved_at >= ? AND resolved_at < ? \
             GROUP BY {resolved}",
            split_sum(d, "amount - paid")
        );
        let charged = Counts::<SplitSum>::new(self.db.all(self.in_range(charged, range)).await?)?;
        let paid = Counts::<SplitSum>::new(self.db.all(self.in_range(paid, range)).await?)?;
        let waived = Counts::<SplitSum>::new(self.db.all(self.in_range(waived, range)).await?)?;
        Ok(months(range)
            .into_iter()
            .map(|m| {
                let row = [charged.of(&m).total(), paid.of(&m).total(), waived.of(&m).total()];
                let mut cells = vec![Cell::Text(m)];
                cells.extend(row.map(Cell::Int));
                cells
            })
            .collect())
    }
}

impl Store {
    async fn visitors_report(&self, range: ReportRange) -> Result<Vec<Vec<Cell>>> {
        let month = self.local("visited_at", "%Y-%m", range);
        // SUM() is DECIMAL on MariaDB: cast back to an integer both backends decode as i64.
        let int = self.db.dialect().integer();
        let q = format!(
            "SELECT {month} AS grp, COUNT(*) AS n, \
             CAST(COALESCE(SUM(CASE WHEN category = 'guest' THEN 1 ELSE 0 END), 0) AS {int}) AS guests \
             FROM visits WHERE visited_at >= ? AND visited_at < ? GROUP BY {month}"
        );
        let counts = Counts::<VisitsAndGuests>::new(self.db.all(self.in_range(q, range)).await?)?;
        Ok(months(range)
            .into_iter()
            .map(|m| {
                let VisitsAndGuests { n, guests } = counts.of(&m);
                vec![Cell::Text(m), Cell::Int(n), Cell::Int(n - guests), Cell::Int(guests)]
            })
            .collect())
    }
}

/// One line of the accreditation summary: a collection type or a DDC main class, with the titles
/// and copies held now (withdrawn copies left out) and the loans and in-library uses of the range.
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize, utoipa::ToSchema)]
pub struct AccreditationLine {
    /// The type's code (`-` for copies without a type), or the class (`000`…`900`, `other`).
    #[schema(example = "fiksi")]
    pub key: String,
    /// The type's name, or the class again.
    #[schema(example = "Fiksi")]
    pub name: String,
    /// Titles with a copy of this type or class (a title whose copies differ counts under each).
    pub titles: i64,
    pub copies: i64,
    /// Loans made in the range, by the copy's type or the book's class.
    pub loans: i64,
    /// In-library uses recorded in the range.
    pub uses: i64,
}

/// Members of a category: registered now, and those who borrowed in the range.
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize, utoipa::ToSchema)]
pub struct AccreditationMembers {
    #[schema(example = "siswa")]
    pub category: String,
    #[schema(example = "Siswa")]
    pub category_name: String,
    pub members: i64,
    pub borrowers: i64,
}

/// The counts the national school-library accreditation form asks for (issue #30): the
/// collection by type and by DDC main class (titles and copies, now), the loans and in-library
/// uses of a range by the same splits, and the members. Totals count each title once.
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize, utoipa::ToSchema)]
pub struct Accreditation {
    pub from: NaiveDate,
    pub to: NaiveDate,
    /// The usual types in the form's order (Fiksi, Nonfiksi, Referensi, Buku Paket, Terbitan
    /// Berkala, Audio-Visual), then the library's own by code, then `-` (no type).
    pub by_type: Vec<AccreditationLine>,
    /// `000` … `900`, then `other` (no numeric class).
    pub by_class: Vec<AccreditationLine>,
    pub members: Vec<AccreditationMembers>,
    /// Distinct titles with a copy held.
    pub titles: i64,
    pub copies: i64,
    pub loans: i64,
    pub uses: i64,
    /// All members now, and the members who borrowed in the range.
    pub member_total: i64,
    pub borrower_total: i64,
}

/// The seeded types, in the order the accreditation form lists them.
const FORM_TYPES: [&str; 6] = ["fiksi", "nonfiksi", "referensi", "paket", "berkala", "av"];

impl Store {
    /// The accreditation summary over `range` (see [`Accreditation`]).
    pub async fn accreditation(&self, range: ReportRange) -> Result<Accreditation> {
        let ty = super::catalogue::EFFECTIVE_TYPE;
        let held = |group: &str| {
            sql(format!(
                "SELECT {group} AS grp, COUNT(DISTINCT c.book_id) AS titles, COUNT(*) AS copies \
                 FROM copies c JOIN books b ON b.id = c.book_id WHERE c.status <> 'withdrawn' GROUP BY {group}"
            ))
        };
        let held_by_type = Counts::<TitlesCopies>::new(self.db.all(held(ty)).await?)?;
        let loans_by_type = format!(
            "SELECT {ty} AS grp, COUNT(*) AS n FROM loans l JOIN copies c ON c.id = l.copy_id \
             JOIN books b ON b.id = c.book_id WHERE l.loaned_at >= ? AND l.loaned_at < ? GROUP BY {ty}"
        );
        let loans_by_type = Counts::<N>::new(self.db.all(self.in_range(loans_by_type, range)).await?)?;
        let uses_by_type = "SELECT collection_type AS grp, COUNT(*) AS n FROM in_library_uses \
                            WHERE used_at >= ? AND used_at < ? GROUP BY collection_type";
        let uses_by_type = Counts::<N>::new(self.db.all(self.in_range(uses_by_type.into(), range)).await?)?;

        let mut types = self.collection_types().await?;
        types.sort_by_key(|t| {
            (FORM_TYPES.iter().position(|f| *f == t.code).unwrap_or(FORM_TYPES.len()), t.code.clone())
        });
        let line = |key: String, name: String, group: &str| {
            let TitlesCopies { titles, copies } = held_by_type.of(group);
            AccreditationLine {
                key,
                name,
                titles,
                copies,
                loans: loans_by_type.of(group).n,
                uses: uses_by_type.of(group).n,
            }
        };
        let mut by_type: Vec<AccreditationLine> =
            types.into_iter().map(|t| line(t.code.clone(), t.name, &t.code)).collect();
        by_type.push(line("-".into(), "-".into(), ""));

        // By class: the copy's class (the book's, kept on the copy), the loan's class then.
        let mut held_by_class = [TitlesCopies::default(); CLASSES.len()];
        let q = "SELECT c.ddc_class AS first, COUNT(DISTINCT c.book_id) AS titles, COUNT(*) AS copies \
                 FROM copies c WHERE c.status <> 'withdrawn' GROUP BY c.ddc_class";
        for r in &self.db.all(sql(q)).await? {
            let g: ClassHeld = r.decode()?;
            let t = &mut held_by_class[class_row(g.first)];
            t.titles += g.titles;
            t.copies += g.copies;
        }
        let mut loans_by_class = [0_i64; CLASSES.len()];
        let q = "SELECT ddc_class AS first, COUNT(*) AS n FROM loans WHERE loaned_at >= ? AND loaned_at < ? GROUP BY ddc_class";
        for r in &self.db.all(self.in_range(q.into(), range)).await? {
            let c: ClassCount = r.decode()?;
            loans_by_class[class_row(c.first)] += c.n;
        }
        let mut uses_by_class = [0_i64; CLASSES.len()];
        let q = "SELECT c.ddc_class AS first, COUNT(*) AS n FROM in_library_uses u JOIN copies c ON c.id = u.copy_id \
                 WHERE u.used_at >= ? AND u.used_at < ? GROUP BY c.ddc_class";
        for r in &self.db.all(self.in_range(q.into(), range)).await? {
            let c: ClassCount = r.decode()?;
            uses_by_class[class_row(c.first)] += c.n;
        }
        let by_class = CLASSES
            .iter()
            .enumerate()
            .map(|(i, c)| AccreditationLine {
                key: (*c).to_owned(),
                name: (*c).to_owned(),
                titles: held_by_class[i].titles,
                copies: held_by_class[i].copies,
                loans: loans_by_class[i],
                uses: uses_by_class[i],
            })
            .collect();

        let members: Vec<AccreditationMembers> = self
            .active_members(range)
            .await?
            .into_iter()
            .map(|row| {
                let text = |i: usize| match row.get(i) {
                    Some(Cell::Text(t)) => t.clone(),
                    _ => String::new(),
                };
                let int = |i: usize| match row.get(i) {
                    Some(Cell::Int(n)) => *n,
                    _ => 0,
                };
                AccreditationMembers { category: text(0), category_name: text(1), borrowers: int(2), members: int(3) }
            })
            .collect();
        let count = |q: Query| async move {
            let n: Option<N> = self.db.opt(q).await?.map(|r| r.decode()).transpose()?;
            Ok::<i64, StoreError>(n.unwrap_or_default().n)
        };
        let titles = count(sql("SELECT COUNT(DISTINCT book_id) AS n FROM copies WHERE status <> 'withdrawn'")).await?;
        let copies = count(sql("SELECT COUNT(*) AS n FROM copies WHERE status <> 'withdrawn'")).await?;
        let loans = count(
            self.in_range("SELECT COUNT(*) AS n FROM loans WHERE loaned_at >= ? AND loaned_at < ?".into(), range),
        )
        .await?;
        let uses = count(
            self.in_range("SELECT COUNT(*) AS n FROM in_library_uses WHERE used_at >= ? AND used_at < ?".into(), range),
        )
        .await?;
        let borrower_total = count(self.in_range(
            "SELECT COUNT(DISTINCT member_id) AS n FROM loans WHERE loaned_at >= ? AND loaned_at < ?".into(),
            range,
        ))
        .await?;
        let member_total = count(sql("SELECT COUNT(*) AS n FROM members")).await?;
        Ok(Accreditation {
            from: range.from,
            to: range.to,
            by_type,
            by_class,
            members,
            titles,
            copies,
            loans,
            uses,
            member_total,
            borrower_total,
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn names_round_trip() {
        for k in ReportKind::ALL {
            assert_eq!(ReportKind::parse(k.name()), Some(k));
        }
        assert_eq!(ReportKind::parse("nope"), None);
    }

    #[test]
    fn main_classes() {
        assert_eq!(CLASSES[class_row(Some(5))], "500");
        assert_eq!(CLASSES[class_row(Some(0))], "000");
        assert_eq!(CLASSES[class_row(Some(10))], "other");
        assert_eq!(CLASSES[class_row(Some(-1))], "other");
        assert_eq!(CLASSES[class_row(None)], "other");
    }

    #[test]
    fn months_cover_partial_months() {
        let d = |s: &str| s.parse::<NaiveDate>().unwrap();
        let r = ReportRange::new(d("2026-01-31"), d("2026-03-01"), ReportKind::LoansPerMonth).unwrap();
        assert_eq!(months(r), ["2026-01", "2026-02", "2026-03"]);
    }

    #[test]
    fn ranges_are_checked() {
        let d = |s: &str| s.parse::<NaiveDate>().unwrap();
        assert_eq!(
            ReportRange::new(d("2026-02-01"), d("2026-01-01"), ReportKind::Fines).unwrap_err().code,
            "range_reversed"
        );
        assert_eq!(
            ReportRange::new(d("2025-01-01"), d("2026-06-30"), ReportKind::LoansPerDay).unwrap_err().code,
            "range_too_long"
        );
        assert!(ReportRange::new(d("2025-01-01"), d("2026-06-30"), ReportKind::LoansPerMonth).is_ok());
    }
}
