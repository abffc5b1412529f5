//! Books, copies and catalogue search.

use chrono::{DateTime, Utc};

use super::{
    db::sql,
    error::{Result, StoreError},
    json_list, Actor, Store,
};
use crate::{
    db::{Dialect, Query, Row, Tx},
    domain::{
        callnumber::suggestion,
        circulation::{check_price, may_change_copy_status, may_delete, may_delete_copy, settable_by_hand, Record},
        Authors, Barcode, Identifiers, Isbn, LanguageCode, Notes, ShortText, Subjects, Title, ValidationError, Year,
    },
    model::{Book, Copy, CopyStatus},
};

/// The SQL expression of a copy's effective collection type (`c` the copy, `b` its book): the
/// copy's own, else its book's. Here, with the copies, so that members and reports can name it
/// without depending on the collections module (which depends on members).
pub(super) const EFFECTIVE_TYPE: &str = "COALESCE(c.collection_type, b.collection_type)";

/// A validated new book.
#[derive(Debug)]
pub struct NewBook {
    pub isbn: Option<Isbn>,
    pub title: Title,
    pub authors: Authors,
    pub subjects: Subjects,
    pub publisher: Option<ShortText>,
    pub year: Option<Year>,
    pub language: Option<LanguageCode>,
    pub extra: BookExtra,
}

impl NewBook {
    /// Gives a book without a call number the one suggested from its DDC class, main author and
    /// title ([`suggestion`]); a book without a class, or with another kind of class, keeps none.
    pub fn with_suggested_call_number(mut self) -> Self {
        if self.extra.call_number.is_none() {
            let class = self.extra.classification.as_ref().map(|c| c.as_str());
            self.extra.call_number = suggestion(class, self.authors.as_ref(), self.title.as_str())
                .and_then(|c| ShortText::parse_field("Call number", &c).ok());
        }
        self
    }
}

/// The descriptive fields a book may have beyond the core ones (what imports bring).
#[derive(Debug, Default, Clone, PartialEq)]
pub struct BookExtra {
    pub edition: Option<ShortText>,
    pub call_number: Option<ShortText>,
    pub classification: Option<ShortText>,
    pub collation: Option<ShortText>,
    pub series: Option<ShortText>,
    pub notes: Option<Notes>,
    pub identifiers: Identifiers,
    pub source_id: Option<ShortText>,
    /// The code of the book's collection type (one of `collection_types`).
    pub collection_type: Option<String>,
}

/// A validated change to a book: `None` keeps a field, `Some(None)` clears an optional one.
#[derive(Debug, Default)]
pub struct BookPatch {
    pub isbn: Option<Option<Isbn>>,
    pub title: Option<Title>,
    pub authors: Option<Authors>,
    pub subjects: Option<Subjects>,
    pub publisher: Option<Option<ShortText>>,
    pub year: Option<Option<Year>>,
    pub language: Option<Option<LanguageCode>>,
    pub edition: Option<Option<ShortText>>,
    pub call_number: Option<Option<ShortText>>,
    pub classification: Option<Option<ShortText>>,
    pub collation: Option<Option<ShortText>>,
    pub series: Option<Option<ShortText>>,
    pub notes: Option<Option<Notes>>,
    pub identifiers: Option<Identifiers>,
    pub source_id: Option<Option<ShortText>>,
    /// The code of a collection type; `Some(None)` clears it.
    pub collection_type: Option<Option<String>>,
}

/// A validated change to a copy.
#[derive(Debug, Default)]
pub struct CopyPatch {
    pub location: Option<Option<ShortText>>,
    /// Only `available`, `lost` or `withdrawn` may be set by hand.
    pub status: Option<CopyStatus>,
    /// The price in rupiah (checked by [`check_price`]); `Some(None)` clears it.
    pub price: Option<Option<i64>>,
    /// The copy's own collection type (a code), overriding its book's; `Some(None)` clears it.
    pub collection_type: Option<Option<String>>,
}

pub(super) const BOOK_COLUMNS: &str = "b.id, b.isbn, b.title, b.authors, b.subjects, b.publisher, b.year, b.language, \
     b.edition, b.call_number, b.classification, b.collation, b.series, b.notes, b.identifiers, b.source_id, b.collection_type, \
     b.created_at, b.updated_at, \
     (SELECT COUNT(CASE WHEN c.status <> 'withdrawn' THEN 1 END) * 4294967296 \
             + COUNT(CASE WHEN c.status = 'available' THEN 1 END) \
      FROM copies c WHERE c.book_id = b.id) AS copy_counts";

/// `copy_counts` of [`BOOK_COLUMNS`] as (copies not withdrawn, copies available). Both counts come
/// from one pass over the book's entries in the `(book_id, status)` index, packed in one integer
/// (the first times 2^32 plus the second) because a subquery in a select list returns one value:
/// two correlated subqueries, one per count, made MariaDB read that index range twice, which
/// bounded a point read of a book (#36: the book's statement alone, 16 threads, 6,468 → 9,336 q/s).
fn unpack_copy_counts(packed: i64) -> (i64, i64) {
    (packed >> 32, packed & 0xffff_ffff)
}

/// The columns a new book is inserted with, in the order [`bind_new_book`] binds them.
pub(super) const NEW_BOOK_COLUMNS: &str = "isbn, title, authors, subjects, publisher, year, language, \
     edition, call_number, classification, collation, series, notes, identifiers, source_id, created_at, updated_at, collection_type";

/// One row's placeholders for [`NEW_BOOK_COLUMNS`].
pub(super) const NEW_BOOK_VALUES: &str = "?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?";

/// Binds a new book's [`NEW_BOOK_COLUMNS`] (created and updated `at`, of collection type
/// `collection_type`) to the next placeholders of `q`.
pub(super) fn bind_new_book(q: Query, b: &NewBook, at: DateTime<Utc>, collection_type: Option<&str>) -> Query {
    q.bind(b.isbn.as_ref().map(|i| i.as_str().to_owned()))
        .bind(b.title.as_str())
        .bind(to_json(b.authors.as_ref()))
        .bind(to_json(b.subjects.as_ref()))
        .bind(b.publisher.as_ref().map(|p| p.as_str()))
        .bind(b.year.map(|y| y.value()))
        .bind(b.language.as_ref().map(|l| l.as_str()))
        .bind(b.extra.edition.as_ref().map(|v| v.as_str()))
        .bind(b.extra.call_number.as_ref().map(|v| v.as_str()))
        .bind(b.extra.classification.as_ref().map(|v| v.as_str()))
        .bind(b.extra.collation.as_ref().map(|v| v.as_str()))
        .bind(b.extra.series.as_ref().map(|v| v.as_str()))
        .bind(b.extra.notes.as_ref().map(|v| v.as_str()))
        .bind(to_json(b.extra.identifiers.as_ref()))
        .bind(b.extra.source_id.as_ref().map(|v| v.as_str()))
        .bind(at)
        .bind(at)
        .bind(collection_type.map(str::to_owned))
}

/// The names of [`BOOK_COLUMNS`]' columns, in order (a test checks the two agree).
const BOOK_COLUMN_NAMES: [&str; 20] = [
    "id",
    "isbn",
    "title",
    "authors",
    "subjects",
    "publisher",
    "year",
    "language",
    "edition",
    "call_number",
    "classification",
    "collation",
    "series",
    "notes",
    "identifiers",
    "source_id",
    "collection_type",
    "created_at",
    "updated_at",
    "copy_counts",
];

/// SQLite: a query of [`BOOK_COLUMNS`] wrapped to answer its rows as one JSON array of objects
/// (see [`Store::books_of`]).
fn books_as_one_row(select: Query) -> Query {
    static HEAD: std::sync::LazyLock<String> = std::sync::LazyLock::new(|| {
        let pairs = BOOK_COLUMN_NAMES.iter().map(|n| format!("'{n}', {n}")).collect::<Vec<_>>().join(", ");
        format!("SELECT json_group_array(json_object({pairs})) AS page FROM (")
    });
    select.prefix(&HEAD).push(")")
}

/// A `books` row with its copy counts; the author and subject lists are JSON arrays in text.
/// Read from a row, or from an object of the array [`books_as_one_row`] answers.
#[derive(sqlx::FromRow, serde::Deserialize)]
struct BookRow {
    id: i64,
    isbn: Option<String>,
    title: String,
    authors: String,
    subjects: String,
    publisher: Option<String>,
    year: Option<i64>,
    language: Option<String>,
    edition: Option<String>,
    call_number: Option<String>,
    classification: Option<String>,
    collation: Option<String>,
    series: Option<String>,
    notes: Option<String>,
    identifiers: String,
    source_id: Option<String>,
    collection_type: Option<String>,
    copy_counts: i64,
    created_at: DateTime<Utc>,
    updated_at: DateTime<Utc>,
}

pub(super) fn book(r: &Row) -> Result<Book> {
    book_of(r.decode()?)
}

fn book_of(b: BookRow) -> Result<Book> {
    let (copies_total, copies_available) = unpack_copy_counts(b.copy_counts);
    Ok(Book {
        id: b.id,
        isbn: b.isbn,
        title: b.title,
        authors: json_list(&b.authors, "authors")?,
        subjects: json_list(&b.subjects, "subjects")?,
        publisher: b.publisher,
        year: b.year,
        language: b.language,
        edition: b.edition,
        call_number: b.call_number,
        classification: b.classification,
        collation: b.collation,
        series: b.series,
        notes: b.notes,
        identifiers: json_list(&b.identifiers, "identifiers")?,
        source_id: b.source_id,
        collection_type: b.collection_type,
        copies_total,
        copies_available,
        created_at: b.created_at,
        updated_at: b.updated_at,
    })
}

pub(super) const COPY_COLUMNS: &str =
    "c.id, c.book_id, c.barcode, c.location, c.status, c.price, c.created_at, b.title, \
     COALESCE(c.collection_type, b.collection_type) AS collection_type, c.collection_type AS collection_type_override";

/// [`COPY_COLUMNS`] for a locking read of `copies c` alone: the book's title and collection type
/// read by subqueries, which a locking read does not lock. A join would: MariaDB locks every
/// row a `FOR UPDATE` reads from each joined table (there is no `FOR UPDATE OF`), so every desk
/// lending or taking back a copy of one title (a class set at 32 desks) waited for the others on
/// that title's `books` row.
pub(super) const LOCKED_COPY_COLUMNS: &str =
    "c.id, c.book_id, c.barcode, c.location, c.status, c.price, c.created_at, \
     (SELECT b.title FROM books b WHERE b.id = c.book_id) AS title, \
     COALESCE(c.collection_type, (SELECT b.collection_type FROM books b WHERE b.id = c.book_id)) AS collection_type, \
     c.collection_type AS collection_type_override";

/// Reads a copy row (with its book's title).
pub(super) fn copy(r: &Row) -> Result<Copy> {
    Ok(r.decode()?)
}

/// A unique-key clash on a book's ISBN (a clash on its source id is found before writing, by
/// [`source_taken`]; one that races past it is named as both).
pub(super) fn duplicate_book(e: super::error::DbError, has_source: bool) -> StoreError {
    if has_source {
        StoreError::duplicate(e, "isbn", "a book with this ISBN or this source id is already catalogued")
    } else {
        StoreError::duplicate(e, "isbn", "a book with this ISBN is already catalogued")
    }
}

/// `Duplicate` on `source_id` when another book than `except` has this source id.
async fn source_taken(tx: &mut Tx, source: Option<&ShortText>, except: i64) -> Result<()> {
    let Some(source) = source else { return Ok(()) };
    let found =
        tx.opt(sql("SELECT id FROM books WHERE source_id = ? AND id <> ?").bind(source.as_str()).bind(except)).await?;
    match found {
        Some(_) => {
            Err(StoreError::Duplicate { field: "source_id", detail: "another book already has this source id".into() })
        }
        None => Ok(()),
    }
}

pub(super) fn to_json(list: &[String]) -> String {
    serde_json::to_string(list).expect("a list of strings always serialises")
}

impl Store {
    /// One book.
    pub async fn book(&self, id: i64) -> Result<Book> {
        let row = self.db.opt(sql(format!("SELECT {BOOK_COLUMNS} FROM books b WHERE b.id = ?")).bind(id)).await?;
        row.as_ref().map(book).transpose()?.ok_or(StoreError::NotFound("book"))
    }

    pub(super) async fn book_in(&self, tx: &mut Tx, id: i64) -> Result<Book> {
        let row = tx.opt(sql(format!("SELECT {BOOK_COLUMNS} FROM books b WHERE b.id = ?")).bind(id)).await?;
        row.as_ref().map(book).transpose()?.ok_or(StoreError::NotFound("book"))
    }

    /// Inserts a book in the caller's transaction (its search words are the caller's job).
    pub(super) async fn insert_book(&self, tx: &mut Tx, b: &NewBook) -> Result<i64> {
        source_taken(tx, b.extra.source_id.as_ref(), 0).await?;
        if let Some(t) = &b.extra.collection_type {
            self.known_type(tx, "collection_type", t).await?;
        }
        let at = self.now();
        let q = sql(format!("INSERT INTO books ({NEW_BOOK_COLUMNS}) VALUES ({})", NEW_BOOK_VALUES));
        let id = tx
            .exec(bind_new_book(q, b, at, b.extra.collection_type.as_deref()))
            .await
            .map_err(|e| duplicate_book(e, b.extra.source_id.is_some()))?
            .last_id;
        Ok(id)
    }

    /// Catalogues a book.
    pub async fn create_book(&self, actor: &Actor, b: &NewBook) -> Result<Book> {
        let book = crate::transaction!(self.db, |tx| {
            async {
                let id = self.insert_book(&mut tx, b).await?;
                self.audit(&mut tx, actor, "book.create", "book", id, b.title.as_str()).await?;
                let book = self.book_in(&mut tx, id).await?;
                self.index_new_book_words(&mut tx, &book).await?;
                Ok(book)
            }
            .await
        });
        self.books_changed();
        book
    }

    /// Changes a book's fields.
    pub async fn update_book(&self, actor: &Actor, id: i64, p: &BookPatch) -> Result<Book> {
        crate::transaction!(self.db, |tx| async {
            if let Some(source) = &p.source_id {
                source_taken(&mut tx, source.as_ref(), id).await?;
            }
            let mut q = sql("UPDATE books SET updated_at = ?").bind(self.now());
            let mut changed = Vec::new();
            if let Some(isbn) = &p.isbn {
                q = q.push(", isbn = ?").bind(isbn.as_ref().map(|i| i.as_str()));
                changed.push("isbn");
            }
            if let Some(t) = &p.title {
                q = q.push(", title = ?").bind(t.as_str());
                changed.push("title");
            }
            if let Some(a) = &p.authors {
                q = q.push(", authors = ?").bind(to_json(a.as_ref()));
                changed.push("authors");
            }
            if let Some(s) = &p.subjects {
                q = q.push(", subjects = ?").bind(to_json(s.as_ref()));
                changed.push("subjects");
            }
            if let Some(v) = &p.publisher {
                q = q.push(", publisher = ?").bind(v.as_ref().map(|v| v.as_str()));
                changed.push("publisher");
            }
            if let Some(v) = &p.year {
                q = q.push(", year = ?").bind(v.map(|y| y.value()));
                changed.push("year");
            }
            if let Some(v) = &p.language {
                q = q.push(", language = ?").bind(v.as_ref().map(|v| v.as_str()));
                changed.push("language");
            }
            for (col, v) in [
                ("edition", &p.edition),
                ("call_number", &p.call_number),
                ("classification", &p.classification),
                ("collation", &p.collation),
                ("series", &p.series),
                ("source_id", &p.source_id),
            ] {
                if let Some(v) = v {
                    q = q.push(&format!(", {col} = ?")).bind(v.as_ref().map(|v| v.as_str().to_owned()));
                    changed.push(col);
                }
            }
            if let Some(v) = &p.notes {
                q = q.push(", notes = ?").bind(v.as_ref().map(|v| v.as_str()));
                changed.push("notes");
            }
            if let Some(v) = &p.identifiers {
                q = q.push(", identifiers = ?").bind(to_json(v.as_ref()));
                changed.push("identifiers");
            }
            if let Some(v) = &p.collection_type {
                if let Some(code) = v {
                    self.known_type(&mut tx, "collection_type", code).await?;
                }
                q = q.push(", collection_type = ?").bind(v.clone());
                changed.push("collection_type");
            }
            let done = tx
                .exec(q.push(" WHERE id = ?").bind(id))
                .await
                .map_err(|e| duplicate_book(e, matches!(p.source_id, Some(Some(_)))))?;
            if done.rows == 0 {
                return Err(StoreError::NotFound("book"));
            }
            if p.classification.is_some() {
                // The reports' class of each copy follows the book's (loans keep theirs).
                let class = tx.dialect().ddc_class_of("?");
                let q = sql(format!("UPDATE copies SET ddc_class = {class} WHERE book_id = ?"));
                let classification = p.classification.as_ref().and_then(|c| c.as_ref()).map(|c| c.as_str());
                tx.exec(q.bind(classification).bind(classification).bind(id)).await?;
            }
            let mut book = self.book_in(&mut tx, id).await?;
            if let (None, Some(call)) =
                (&book.call_number, suggestion(book.classification.as_deref(), &book.authors, &book.title))
            {
                // Saved without a call number (the form's "leave empty to have it suggested").
                tx.exec(sql("UPDATE books SET call_number = ? WHERE id = ?").bind(&call).bind(id)).await?;
                changed.push("call_number (suggested)");
                book.call_number = Some(call);
            }
            self.audit(&mut tx, actor, "book.update", "book", id, changed.join(", ")).await?;
            self.index_words(&mut tx, &book).await?;
            Ok(book)
        }
        .await)
    }

    /// Gives every book without a call number whose class is a DDC class the suggested one
    /// ([`suggestion`]), a few hundred books a transaction, each with an audit line; returns how
    /// many were filled. A book given a call number meanwhile keeps it.
    pub async fn fill_call_numbers(&self, actor: &Actor) -> Result<u64> {
        const BATCH: i64 = 500;
        let (mut after, mut filled) = (0_i64, 0_u64);
        loop {
            let rows = self
                .db
                .all(
                    sql("SELECT id, title, authors, classification FROM books \
                         WHERE id > ? AND call_number IS NULL AND classification IS NOT NULL ORDER BY id LIMIT ?")
                    .bind(after)
                    .bind(BATCH),
                )
                .await?;
            let Some(last) = rows.last() else { return Ok(filled) };
            after = last.decode::<(i64, String, String, String)>()?.0;
            let mut todo = Vec::new();
            for r in &rows {
                let (id, title, authors, class) = r.decode::<(i64, String, String, String)>()?;
                let authors: Vec<String> = json_list(&authors, "authors")?;
                if let Some(call) = suggestion(Some(&class), &authors, &title) {
                    todo.push((id, call));
                }
            }
            if todo.is_empty() {
                continue;
            }
            let n = crate::transaction!(self.db, |tx| async {
                let mut n = 0_u64;
                for (id, call) in &todo {
                    let q =
                        sql("UPDATE books SET call_number = ?, updated_at = ? WHERE id = ? AND call_number IS NULL");
                    n += tx.exec(q.bind(call).bind(self.now()).bind(*id)).await?.rows;
                }
                let detail = format!("{n} call numbers suggested, books {} to {}", todo[0].0, after);
                self.audit(&mut tx, actor, "book.call_numbers", "book", 0, detail).await?;
                Ok(n)
            }
            .await)?;
            filled += n;
        }
    }

    /// Removes a book and its copies, unless a copy was ever lent (then withdraw the copies instead).
    pub async fn delete_book(&self, actor: &Actor, id: i64) -> Result<()> {
        crate::transaction!(self.db, |tx| {
            async {
                let book = self.book_in(&mut tx, id).await?;
                let lent = tx
                    .opt(
                        sql("SELECT l.id FROM loans l JOIN copies c ON c.id = l.copy_id WHERE c.book_id = ? LIMIT 1")
                            .bind(id),
                    )
                    .await?;
                may_delete(Record::Book, lent.is_some())?;
                let barcodes = tx
                    .all(sql("SELECT barcode FROM copies WHERE book_id = ? ORDER BY barcode").bind(id))
                    .await?
                    .iter()
                    .map(|r| Ok(r.decode::<(String,)>()?.0))
                    .collect::<Result<Vec<_>>>()?;
                // What the book was, for the audit log: the record itself is gone.
                let detail = deleted_detail(&[
                    ("title", Some(book.title.clone())),
                    ("authors", Some(book.authors.join("; ")).filter(|a| !a.is_empty())),
                    ("isbn", book.isbn.clone()),
                    ("publisher", book.publisher.clone()),
                    ("year", book.year.map(|y| y.to_string())),
                    ("call number", book.call_number.clone()),
                    ("copies", Some(barcodes.join(", ")).filter(|b| !b.is_empty())),
                ]);
                tx.exec(sql("DELETE FROM holds WHERE book_id = ?").bind(id)).await?;
                tx.exec(sql("DELETE FROM copies WHERE book_id = ?").bind(id)).await?;
                tx.exec(sql("DELETE FROM books WHERE id = ?").bind(id)).await?;
                self.audit(&mut tx, actor, "book.delete", "book", id, detail).await
            }
            .await
        })?;
        self.books_changed();
        Ok(())
    }

    /// A book's copies.
    pub async fn copies_of(&self, book_id: i64) -> Result<Vec<Copy>> {
        self.book(book_id).await?;
        let rows = self
            .db
            .all(sql(format!("SELECT {COPY_COLUMNS} FROM copies c JOIN books b ON b.id = c.book_id WHERE c.book_id = ? ORDER BY c.id")).bind(book_id))
            .await?;
        rows.iter().map(copy).collect()
    }

    /// One copy, by barcode.
    pub async fn copy_by_barcode(&self, barcode: &Barcode) -> Result<Copy> {
        let nocase = self.db.dialect().nocase();
        let row = self
            .db
            .opt(
                sql(format!(
                    "SELECT {COPY_COLUMNS} FROM copies c JOIN books b ON b.id = c.book_id WHERE c.barcode = ?{nocase}"
                ))
                .bind(barcode.as_str()),
            )
            .await?;
        row.as_ref().map(copy).transpose()?.ok_or(StoreError::NotFound("copy"))
    }

    /// The books `select` reads (a query of [`BOOK_COLUMNS`]), in its order: a page of the
    /// catalogue, of search results, of books by id.
    ///
    /// On SQLite the rows come back as one, a JSON array built by SQLite itself. sqlx hands each
    /// row of a result from its connection's thread to the task that asked, and on this kind of
    /// machine that is a thread wake-up per row (`perf stat` of a replica serving the front page
    /// of twenty books: 27 context switches a request, against 6 for one book by id; about 35 µs
    /// of CPU per row): one row is one wake-up. A page whose array does not read back as books
    /// (a date in a form only sqlx's own decoding reads) is read again row by row.
    pub(super) async fn books_of(&self, select: Query) -> Result<Vec<Book>> {
        if self.db.dialect() == Dialect::Sqlite {
            let row = self.db.opt(books_as_one_row(select.clone())).await?;
            let page: Option<String> = row.map(|r| r.get("page")).transpose()?;
            match serde_json::from_str::<Vec<BookRow>>(page.as_deref().unwrap_or("[]")) {
                Ok(rows) => return rows.into_iter().map(book_of).collect(),
                Err(e) => tracing::debug!(error = %e, "a page of books read again row by row"),
            }
        }
        self.db.all(select).await?.iter().map(book).collect()
    }

    /// Locks and reads a copy by id (not its book: see [`LOCKED_COPY_COLUMNS`]).
    pub(super) async fn copy_in(&self, tx: &mut Tx, id: i64) -> Result<Copy> {
        let lock = tx.for_update();
        let row =
            tx.opt(sql(format!("SELECT {LOCKED_COPY_COLUMNS} FROM copies c WHERE c.id = ?{lock}")).bind(id)).await?;
        row.as_ref().map(copy).transpose()?.ok_or(StoreError::NotFound("copy"))
    }

    /// Locks and reads a copy by barcode (not its book: see [`LOCKED_COPY_COLUMNS`]).
    pub(super) async fn copy_by_barcode_in(&self, tx: &mut Tx, barcode: &Barcode) -> Result<Copy> {
        let (lock, nocase) = (tx.for_update(), tx.dialect().nocase());
        let row = tx
            .opt(
                sql(format!("SELECT {LOCKED_COPY_COLUMNS} FROM copies c WHERE c.barcode = ?{nocase}{lock}"))
                    .bind(barcode.as_str()),
            )
            .await?;
        row.as_ref().map(copy).transpose()?.ok_or(StoreError::NotFound("copy"))
    }

    /// Adds a copy of a book, with the next automatic barcode when it has none (see
    /// [`Store::next_barcode`]). When members are waiting for the book, the new copy goes to the
    /// hold shelf for the first of them instead of the open shelves.
    pub async fn add_copy(
        &self,
        actor: &Actor,
        book_id: i64,
        barcode: Option<&Barcode>,
        location: Option<&ShortText>,
        price: Option<i64>,
    ) -> Result<Copy> {
        let price = price.map(check_price).transpose().map_err(|e| StoreError::invalid("price", e))?;
        crate::transaction!(self.db, |tx| {
            async {
            self.book_in(&mut tx, book_id).await?;
            let barcode = match barcode {
                Some(b) => b.clone(),
                None => self.next_barcode(&mut tx).await?,
            };
            let at = self.now();
            let class = tx.dialect().ddc_class_of("classification");
            let id = tx
                .exec(
                    sql(format!("INSERT INTO copies (book_id, barcode, location, status, price, created_at, updated_at, ddc_class) \
                                 SELECT id, ?, ?, 'available', ?, ?, ?, {class} FROM books WHERE id = ?"))
                        .bind(barcode.as_str())
                        .bind(location.map(|l| l.as_str()))
                        .bind(price)
                        .bind(at)
                        .bind(at)
                        .bind(book_id),
                )
                .await
                .map_err(|e| StoreError::duplicate(e, "barcode", "another copy already has this barcode"))?
                .last_id;
            self.audit(&mut tx, actor, "copy.create", "copy", id, barcode.as_str()).await?;
            let copy = self.copy_in(&mut tx, id).await?;
            self.pass_copy_on(&mut tx, &copy, self.today(at)).await?;
            self.copy_in(&mut tx, id).await
        }
        .await
        })
    }

    /// Moves a copy, sets its price, or marks it available, lost or withdrawn (not while lent or on
    /// the hold shelf). A copy marked available again goes to the first member waiting for its book.
    pub async fn update_copy(&self, actor: &Actor, id: i64, p: &CopyPatch) -> Result<Copy> {
        let price = match p.price {
            Some(Some(v)) => Some(Some(check_price(v).map_err(|e| StoreError::invalid("price", e))?)),
            other => other,
        };
        crate::transaction!(self.db, |tx| {
            async {
                let current = self.copy_in(&mut tx, id).await?;
                let mut q = sql("UPDATE copies SET updated_at = ?").bind(self.now());
                if let Some(loc) = &p.location {
                    q = q.push(", location = ?").bind(loc.as_ref().map(|l| l.as_str()));
                }
                if let Some(v) = price {
                    q = q.push(", price = ?").bind(v);
                }
                if let Some(v) = &p.collection_type {
                    if let Some(code) = v {
                        self.known_type(&mut tx, "collection_type", code).await?;
                    }
                    q = q.push(", collection_type = ?").bind(v.clone());
                }
                // Back from lost or withdrawn: the copy is passed on below, to a hold or the shelf.
                let comes_back = p.status == Some(CopyStatus::Available) && current.status != CopyStatus::Available;
                if let Some(status) = p.status {
                    if !settable_by_hand(status) {
                        return Err(StoreError::invalid(
                        "status",
                        ValidationError::new(
                            "invalid_value",
                            "a copy's status can be set to available, lost or withdrawn; loans and holds set the rest",
                        ),
                    ));
                    }
                    may_change_copy_status(&current.barcode, current.status)?;
                    if !comes_back {
                        q = q.push(", status = ?").bind(status.as_str());
                    }
                }
                tx.exec(q.push(" WHERE id = ?").bind(id)).await?;
                if comes_back {
                    self.pass_copy_on(&mut tx, &current, self.today(self.now())).await?;
                }
                let detail = match (p.status, price, &p.collection_type) {
                    (Some(s), _, _) => format!("{} -> {s}", current.status),
                    (None, Some(_), _) => "price".to_owned(),
                    (None, None, Some(t)) => format!("collection type {}", t.as_deref().unwrap_or("-")),
                    (None, None, None) => "location".to_owned(),
                };
                self.audit(&mut tx, actor, "copy.update", "copy", id, detail).await?;
                self.copy_in(&mut tx, id).await
            }
            .await
        })
    }

    /// Removes a copy that was never lent.
    pub async fn delete_copy(&self, actor: &Actor, id: i64) -> Result<()> {
        crate::transaction!(self.db, |tx| async {
            let c = self.copy_in(&mut tx, id).await?;
            let ever_lent = tx.opt(sql("SELECT id FROM loans WHERE copy_id = ? LIMIT 1").bind(id)).await?.is_some();
            may_delete_copy(&c.barcode, c.status, ever_lent)?;
            tx.exec(sql("DELETE FROM copies WHERE id = ?").bind(id)).await?;
            let detail = deleted_detail(&[
                ("barcode", Some(c.barcode.clone())),
                ("title", Some(c.title.clone())),
                ("book", Some(c.book_id.to_string())),
                ("location", c.location.clone()),
                ("status", Some(c.status.to_string())),
                ("price", c.price.map(|p| p.to_string())),
            ]);
            self.audit(&mut tx, actor, "copy.delete", "copy", id, detail).await
        }
        .await)
    }
}

/// The main fields of a deleted record as one audit-log line: `field: value | …`, empty ones
/// left out, so the log still says what the record was.
pub(crate) fn deleted_detail(fields: &[(&str, Option<String>)]) -> String {
    fields
        .iter()
        .filter_map(|(k, v)| v.as_deref().filter(|v| !v.trim().is_empty()).map(|v| format!("{k}: {v}")))
        .collect::<Vec<_>>()
        .join(" | ")
}

#[cfg(test)]
mod tests {
    use proptest::prelude::*;

    /// [`super::BOOK_COLUMN_NAMES`] are the names of [`super::BOOK_COLUMNS`]' columns, in order
    /// (SQLite's pages of books name each column by them).
    #[test]
    fn book_column_names_follow_the_columns() {
        let (mut names, mut depth, mut item) = (Vec::new(), 0, String::new());
        for ch in super::BOOK_COLUMNS.chars().chain([',']) {
            match ch {
                '(' => depth += 1,
                ')' => depth -= 1,
                ',' if depth == 0 => {
                    let item = std::mem::take(&mut item);
                    let name = match item.rsplit_once(" AS ") {
                        Some((_, alias)) => alias.trim().to_owned(),
                        None => item.trim().trim_start_matches("b.").to_owned(),
                    };
                    names.push(name);
                    continue;
                }
                _ => {}
            }
            item.push(ch);
        }
        assert_eq!(names, super::BOOK_COLUMN_NAMES);
    }

    proptest! {
        /// The two counts come back as they were packed, for any count below 2^31 (beyond, the packed
        /// integer would overflow: no book has two thousand million copies).
        #[test]
        fn copy_counts_unpack_as_packed(total in 0i64..=i32::MAX as i64, available_share in 0.0f64..=1.0) {
            let available = (total as f64 * available_share) as i64;
            let packed = total * 4_294_967_296 + available;
            prop_assert_eq!(super::unpack_copy_counts(packed), (total, available));
        }
    }
}
