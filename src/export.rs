//! Moving out (issue #13): the catalogue, copies, members and loans as tables, read from the
//! store in pages by id (keyset pages, so the millionth row costs what the first does) and written
//! as they are read: CSV and XLSX ([`crate::xlsx`]) both stream in constant memory whatever the
//! library's size, XLSX up to the [`XLSX_MAX_ROWS`] rows an Excel sheet holds.
//!
//! The books and copies tables use the column names `pustaka import books` reads, so an export
//! imported into an empty library gives the same catalogue (books first, then copies; a book's
//! `source id` is kept, or becomes `pustaka:ID`).

use std::future::Future;

use crate::{
    domain::cell::Cell,
    marc::{CopyFields, Field, Record},
    model::Book,
    store::{
        db::{sql, Row},
        error::{Result, StoreError},
        Store,
    },
};

/// Rows read per page.
pub const PAGE: i64 = 1000;
/// The most rows an XLSX export holds: as many as an Excel sheet does (CSV has no limit).
pub const XLSX_MAX_ROWS: i64 = crate::xlsx::MAX_ROWS as i64;

/// What to export.
#[derive(Debug, Clone, Copy, PartialEq, Eq, serde::Deserialize, utoipa::ToSchema, clap::ValueEnum)]
#[serde(rename_all = "lowercase")]
pub enum Export {
    Books,
    Copies,
    Members,
    Loans,
}

impl Export {
    /// Parses the path segment of `/export/{what}`.
    pub fn parse(s: &str) -> Option<Self> {
        match s {
            "books" => Some(Self::Books),
            "copies" => Some(Self::Copies),
            "members" => Some(Self::Members),
            "loans" => Some(Self::Loans),
            _ => None,
        }
    }

    /// The download's name.
    pub fn name(self) -> &'static str {
        match self {
            Self::Books => "books",
            Self::Copies => "copies",
            Self::Members => "members",
            Self::Loans => "loans",
        }
    }

    /// The header row.
    pub fn columns(self) -> &'static [&'static str] {
        match self {
            Self::Books => &[
                "source id",
                "isbn",
                "title",
                "authors",
                "subjects",
                "publisher",
                "year",
                "language",
                "edition",
                "call number",
                "classification",
                "collation",
                "series",
                "notes",
                "identifiers",
                "collection type",
            ],
            Self::Copies => &[
                "barcode",
                "location",
                "status",
                "price",
                "source id",
                "isbn",
                "title",
                "authors",
                "call number",
                "collection type",
            ],
            Self::Members => {
                &["card number", "name", "email", "phone", "category", "grade", "expires on", "blocked", "source id"]
            }
            Self::Loans => {
                &["barcode", "title", "card number", "name", "loaned at", "due on", "returned at", "renewals"]
            }
        }
    }

    fn query(self) -> &'static str {
        match self {
            Self::Books => {
                "SELECT b.id, b.source_id, b.isbn, b.title, b.authors, b.subjects, b.publisher, b.year, b.language, \
                 b.edition, b.call_number, b.classification, b.collation, b.series, b.notes, b.identifiers, b.collection_type \
                 FROM books b WHERE b.id > ? ORDER BY b.id LIMIT ?"
            }
            Self::Copies => {
                "SELECT c.id, c.barcode, c.location, c.status, c.price, b.id AS book_id, b.source_id, b.isbn, b.title, \
                 b.authors, b.call_number, COALESCE(c.collection_type, b.collection_type) AS collection_type \
                 FROM copies c JOIN books b ON b.id = c.book_id WHERE c.id > ? ORDER BY c.id LIMIT ?"
            }
            Self::Members => {
                "SELECT m.id, m.card_number, m.name, m.email, m.phone, m.category, m.grade, m.expires_on, m.blocked, m.source_id \
                 FROM members m WHERE m.id > ? ORDER BY m.id LIMIT ?"
            }
            Self::Loans => {
                "SELECT l.id, c.barcode, b.title, m.card_number, m.name, l.loaned_at, l.due_at, l.returned_at, l.renewals \
                 FROM loans l JOIN copies c ON c.id = l.copy_id JOIN books b ON b.id = c.book_id \
                 JOIN members m ON m.id = l.member_id WHERE l.id > ? ORDER BY l.id LIMIT ?"
            }
        }
    }

    /// One page of rows after the row with id `after`; the last id read, `None` at the end.
    pub async fn page(self, store: &Store, after: i64) -> Result<(Vec<Vec<Cell>>, Option<i64>)> {
        let rows = store.db.all(sql(self.query()).bind(after).bind(PAGE)).await?;
        let mut out = Vec::with_capacity(rows.len());
        let mut last = None;
        for r in &rows {
            last = Some(r.get::<i64>("id")?);
            out.push(self.row(r, store)?);
        }
        Ok((out, if rows.len() < PAGE as usize { None } else { last }))
    }

    fn row(self, r: &Row, store: &Store) -> Result<Vec<Cell>> {
        let text = |c: &str| -> Result<Cell> { Ok(r.get::<Option<String>>(c)?.into()) };
        let list = |c: &str| -> Result<Cell> {
            let items: Vec<String> = serde_json::from_str(&r.get::<String>(c)?)
                .map_err(|e| StoreError::Internal(anyhow::anyhow!("column {c}: {e}")))?;
            Ok(if items.is_empty() { Cell::Empty } else { Cell::Text(items.join("; ")) })
        };
        let source = || -> Result<Cell> {
            Ok(match r.get::<Option<String>>("source_id")? {
                Some(s) => Cell::Text(s),
                None => Cell::Text(format!(
                    "pustaka:{}",
                    r.get::<i64>(if self == Self::Copies { "book_id" } else { "id" })?
                )),
            })
        };
        let day = |c: &str| -> Result<Cell> {
            Ok(r.get::<Option<chrono::DateTime<chrono::Utc>>>(c)?.map(|t| store.today(t)).into())
        };
        Ok(match self {
            Self::Books => vec![
                source()?,
                text("isbn")?,
                text("title")?,
                list("authors")?,
                list("subjects")?,
                text("publisher")?,
                r.get::<Option<i64>>("year")?.into(),
                text("language")?,
                text("edition")?,
                text("call_number")?,
                text("classification")?,
                text("collation")?,
                text("series")?,
                text("notes")?,
                list("identifiers")?,
                text("collection_type")?,
            ],
            Self::Copies => vec![
                text("barcode")?,
                text("location")?,
                text("status")?,
                r.get::<Option<i64>>("price")?.into(),
                source()?,
                text("isbn")?,
                text("title")?,
                list("authors")?,
                text("call_number")?,
                text("collection_type")?,
            ],
            Self::Members => vec![
                text("card_number")?,
                text("name")?,
                text("email")?,
                text("phone")?,
                text("category")?,
                text("grade")?,
                r.get::<Option<chrono::NaiveDate>>("expires_on")?.into(),
                Cell::Text(if r.get::<bool>("blocked")? { "yes" } else { "no" }.to_owned()),
                text("source_id")?,
            ],
            Self::Loans => vec![
                text("barcode")?,
                text("title")?,
                text("card_number")?,
                text("name")?,
                day("loaned_at")?,
                day("due_at")?,
                day("returned_at")?,
                r.get::<i64>("renewals")?.into(),
            ],
        })
    }

    /// How many rows the export has (checked before an XLSX export starts).
    pub async fn count(self, store: &Store) -> Result<i64> {
        let table = match self {
            Self::Books => "books",
            Self::Copies => "copies",
            Self::Members => "members",
            Self::Loans => "loans",
        };
        let row = store.db.opt(sql(format!("SELECT COUNT(*) AS n FROM {table}"))).await?;
        Ok(row.map(|r| r.get::<i64>("n")).transpose()?.unwrap_or(0))
    }
}

/// What an export reads a page at a time, in id order: a table's rows ([`Export`]), or the books as
/// MARC records ([`Marc`]).
pub trait Paged: Copy {
    /// What one page holds.
    type Item;
    /// One page after the row with id `after`; the last id read, `None` at the end.
    fn fetch(self, store: &Store, after: i64) -> impl Future<Output = Result<(Vec<Self::Item>, Option<i64>)>> + Send;
}

impl Paged for Export {
    type Item = Vec<Cell>;
    fn fetch(self, store: &Store, after: i64) -> impl Future<Output = Result<(Vec<Vec<Cell>>, Option<i64>)>> + Send {
        self.page(store, after)
    }
}

/// The books as MARC records, with their copies in 952.
#[derive(Debug, Clone, Copy)]
pub struct Marc;

impl Paged for Marc {
    type Item = Record;
    fn fetch(self, store: &Store, after: i64) -> impl Future<Output = Result<(Vec<Record>, Option<i64>)>> + Send {
        marc_page(store, after)
    }
}

/// Reads a [`Paged`] a page at a time: the one loop of every export (the command's CSV, XLSX and
/// MARC files, and the download).
pub struct Pages<'s, P> {
    store: &'s Store,
    what: P,
    /// Where the next page starts; `None` once the last page was read.
    after: Option<i64>,
}

impl<'s, P: Paged> Pages<'s, P> {
    pub fn new(store: &'s Store, what: P) -> Self {
        Self { store, what, after: Some(0) }
    }

    /// The next page, or `None` once the last one was read.
    pub async fn next(&mut self) -> Result<Option<Vec<P::Item>>> {
        let Some(after) = self.after else { return Ok(None) };
        let (items, last) = self.what.fetch(self.store, after).await?;
        self.after = last;
        Ok(Some(items))
    }
}

/// One page of books as MARC records (with their copies in 952), after the book with id `after`;
/// the last id read, `None` at the end.
pub async fn marc_page(store: &Store, after: i64) -> Result<(Vec<Record>, Option<i64>)> {
    let books = store.books_after(after, PAGE).await?;
    let (Some(first), Some(last)) = (books.first().map(|b| b.id), books.last().map(|b| b.id)) else {
        return Ok((Vec::new(), None));
    };
    let copies = store
        .db
        .all(
            sql("SELECT c.book_id, c.barcode, c.location, c.price, COALESCE(c.collection_type, b.collection_type) AS collection_type \
                 FROM copies c JOIN books b ON b.id = c.book_id WHERE c.book_id >= ? AND c.book_id <= ? ORDER BY c.book_id, c.id")
                .bind(first)
                .bind(last),
        )
        .await?;
    let mut by_book: std::collections::HashMap<i64, Vec<CopyFields>> = Default::default();
    for c in &copies {
        by_book.entry(c.get("book_id")?).or_default().push(CopyFields {
            barcode: c.get("barcode")?,
            location: c.get("location")?,
            price: c.get("price")?,
            collection_type: c.get("collection_type")?,
        });
    }
    let out = books.iter().map(|b| marc_of(b, by_book.get(&b.id).map_or(&[][..], Vec::as_slice))).collect();
    Ok((out, if books.len() < PAGE as usize { None } else { Some(last) }))
}

/// A book (and its copies: barcode, location, price, collection type) as a MARC record; the book's
/// own collection type in 942 $c, each copy's (its own, else the book's) in 952 $y, as Koha keeps
/// item types.
fn marc_of(b: &Book, copies: &[CopyFields]) -> Record {
    let mut r = Record::book();
    let source = b.source_id.clone().unwrap_or_else(|| format!("pustaka:{}", b.id));
    r.fields.push(Field::Control("001".into(), source));
    let one = |v: &Option<String>, code: char| v.iter().map(|v| (code, v.clone())).collect::<Vec<_>>();
    r.data("020", [' ', ' '], one(&b.isbn, 'a'));
    for id in &b.identifiers {
        r.data("024", ['8', ' '], vec![('a', id.clone())]);
    }
    r.data("041", [' ', ' '], one(&b.language, 'a'));
    r.data("082", ['0', '4'], one(&b.classification, 'a'));
    r.data("090", [' ', ' '], one(&b.call_number, 'a'));
    if let Some((first, rest)) = b.authors.split_first() {
        r.data("100", ['1', ' '], vec![('a', first.clone())]);
        for a in rest {
            r.data("700", ['1', ' '], vec![('a', a.clone())]);
        }
    }
    r.data("245", ['1', '0'], vec![('a', b.title.clone())]);
    r.data("250", [' ', ' '], one(&b.edition, 'a'));
    let mut imprint = one(&b.publisher, 'b');
    imprint.extend(b.year.map(|y| ('c', y.to_string())));
    r.data("260", [' ', ' '], imprint);
    r.data("300", [' ', ' '], one(&b.collation, 'a'));
    r.data("490", ['0', ' '], one(&b.series, 'a'));
    for line in b.notes.iter().flat_map(|n| n.lines()).filter(|l| !l.trim().is_empty()) {
        r.data("500", [' ', ' '], vec![('a', line.to_owned())]);
    }
    for s in &b.subjects {
        r.data("650", [' ', '4'], vec![('a', s.clone())]);
    }
    r.data("942", [' ', ' '], one(&b.collection_type, 'c'));
    for c in copies {
        let mut subs = vec![('p', c.barcode.clone())];
        subs.extend(c.location.iter().map(|l| ('c', l.clone())));
        subs.extend(c.price.map(|p| ('g', p.to_string())));
        subs.extend(c.collection_type.iter().map(|t| ('y', t.clone())));
        r.data("952", [' ', ' '], subs);
    }
    r
}
