//! Books, copies and catalogue search.

use super::{db::sql, json_list, now, Actor, PageRequest, Store};
use crate::{
    config::Backend,
    domain::{isbn::looks_like_isbn, Authors, Barcode, Isbn, LanguageCode, ShortText, Subjects, Title, Year},
    error::{Error, Result},
    model::{Book, Copy, CopyStatus, Page},
    store::db::{Row, Tx},
};

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
}

/// A validated change to a copy.
#[derive(Debug, Default)]
pub struct CopyPatch {
    pub location: Option<Option<ShortText>>,
    /// Only `available`, `lost` or `withdrawn` may be set by hand.
    pub status: Option<CopyStatus>,
}

const BOOK_COLUMNS: &str = "b.id, b.isbn, b.title, b.authors, b.subjects, b.publisher, b.year, b.language, \
     b.created_at, b.updated_at, \
     (SELECT COUNT(*) FROM copies c WHERE c.book_id = b.id AND c.status <> 'withdrawn') AS copies_total, \
     (SELECT COUNT(*) FROM copies c WHERE c.book_id = b.id AND c.status = 'available') AS copies_available";

fn book(r: &Row) -> Result<Book> {
    Ok(Book {
        id: r.get("id")?,
        isbn: r.get("isbn")?,
        title: r.get("title")?,
        authors: json_list(r, "authors")?,
        subjects: json_list(r, "subjects")?,
        publisher: r.get("publisher")?,
        year: r.get("year")?,
        language: r.get("language")?,
        copies_total: r.get("copies_total")?,
        copies_available: r.get("copies_available")?,
        created_at: r.get("created_at")?,
        updated_at: r.get("updated_at")?,
    })
}

const COPY_COLUMNS: &str = "c.id, c.book_id, c.barcode, c.location, c.status, c.created_at, b.title";

/// Reads a copy row (with its book's title).
pub(super) fn copy(r: &Row) -> Result<Copy> {
    let status: String = r.get("status")?;
    Ok(Copy {
        id: r.get("id")?,
        book_id: r.get("book_id")?,
        barcode: r.get("barcode")?,
        location: r.get("location")?,
        status: CopyStatus::parse(&status)
            .ok_or_else(|| Error::Internal(anyhow::anyhow!("unknown copy status {status:?}")))?,
        title: r.get("title")?,
        created_at: r.get("created_at")?,
    })
}

/// Words of a search, for the full-text index: letters and digits only, at most 8.
fn search_terms(q: &str) -> Vec<String> {
    q.split(|c: char| !c.is_alphanumeric()).filter(|w| !w.is_empty()).take(8).map(str::to_lowercase).collect()
}

/// Search results ranked by relevance at most; more matches are listed newest first.
pub const RANKED: i64 = 1000;

/// InnoDB's default full-text stopwords (`INFORMATION_SCHEMA.INNODB_FT_DEFAULT_STOPWORD`).
const INNODB_STOPWORDS: &[&str] = &[
    "a", "about", "an", "are", "as", "at", "be", "by", "com", "de", "en", "for", "from", "how", "i", "in", "is", "it",
    "la", "of", "on", "or", "that", "the", "this", "to", "was", "what", "when", "where", "who", "will", "with", "und",
    "www",
];

/// MariaDB's full-text condition over the indexed columns (one `?`: the expression).
const MATCHES: &str = "MATCH (b.title, b.authors, b.subjects) AGAINST (? IN BOOLEAN MODE)";

fn to_json(list: &[String]) -> String {
    serde_json::to_string(list).expect("a list of strings always serialises")
}

impl Store {
    /// Searches the catalogue (title, authors, subjects; an ISBN matches exactly); without a query,
    /// the newest books first.
    pub async fn search_books(&self, q: Option<&str>, page: PageRequest) -> Result<Page<Book>> {
        let q = q.map(str::trim).filter(|q| !q.is_empty());
        let (select, count) = match q {
            None => (
                sql(format!(
                    "SELECT {BOOK_COLUMNS} FROM books b ORDER BY b.created_at DESC, b.id DESC LIMIT ? OFFSET ?"
                )),
                sql("SELECT COUNT(*) AS n FROM books"),
            ),
            Some(q) if looks_like_isbn(q) && Isbn::parse(q).is_ok() => {
                let isbn = Isbn::parse(q).map(|i| i.as_str().to_owned()).unwrap_or_default();
                (
                    sql(format!("SELECT {BOOK_COLUMNS} FROM books b WHERE b.isbn = ? LIMIT ? OFFSET ?")).bind(&isbn),
                    sql("SELECT COUNT(*) AS n FROM books WHERE isbn = ?").bind(isbn),
                )
            }
            Some(q) => {
                let terms = search_terms(q);
                if terms.is_empty() {
                    return Ok(page.wrap(Vec::new(), 0));
                }
                return self.full_text(&terms, page).await;
            }
        };
        let rows = self.db.all(select.bind(page.per_page).bind(page.offset())).await?;
        let items = rows.iter().map(book).collect::<Result<Vec<_>>>()?;
        let total = self.count(count).await?;
        Ok(page.wrap(items, total))
    }

    /// Full-text search. Every word must match: whole words first, and when that finds nothing,
    /// as prefixes (for a word still being typed). Up to [`RANKED`] matches are ranked by
    /// relevance; a word so common that it matches more is listed newest first instead and its
    /// count stops at `RANKED` (`total_capped`), so neither ranking nor counting ever walks a
    /// third of the catalogue.
    async fn full_text(&self, terms: &[String], page: PageRequest) -> Result<Page<Book>> {
        let mut expr = self.match_expr(terms, false);
        let mut hits = self.count_matches(&expr).await?;
        if hits == 0 {
            expr = self.match_expr(terms, true);
            hits = self.count_matches(&expr).await?;
        }
        let capped = hits > RANKED;
        if hits == 0 || page.offset() >= hits.min(RANKED) {
            return Ok(Page { total_capped: capped, ..page.wrap(Vec::new(), hits.min(RANKED)) });
        }
        let select = match (self.db.backend(), capped) {
            (Backend::Sqlite, false) => sql(format!(
                "SELECT {BOOK_COLUMNS} FROM books_fts f JOIN books b ON b.id = f.rowid \
                 WHERE books_fts MATCH ? ORDER BY f.rank, b.id LIMIT ? OFFSET ?"
            ))
            .bind(&expr),
            (Backend::Sqlite, true) => sql(format!(
                "SELECT {BOOK_COLUMNS} FROM books_fts f JOIN books b ON b.id = f.rowid \
                 WHERE books_fts MATCH ? ORDER BY f.rowid DESC LIMIT ? OFFSET ?"
            ))
            .bind(&expr),
            (Backend::MariaDb, false) => sql(format!(
                "SELECT {BOOK_COLUMNS} FROM books b WHERE {MATCHES} ORDER BY {MATCHES} DESC, b.id LIMIT ? OFFSET ?"
            ))
            .bind(&expr)
            .bind(&expr),
            (Backend::MariaDb, true) => {
                sql(format!("SELECT {BOOK_COLUMNS} FROM books b WHERE {MATCHES} ORDER BY b.id DESC LIMIT ? OFFSET ?"))
                    .bind(&expr)
            }
        };
        let rows = self.db.all(select.bind(page.per_page).bind(page.offset())).await?;
        let items = rows.iter().map(book).collect::<Result<Vec<_>>>()?;
        Ok(Page { total_capped: capped, ..page.wrap(items, hits.min(RANKED)) })
    }

    /// The backend's full-text expression requiring every term, whole or as a prefix.
    fn match_expr(&self, terms: &[String], prefix: bool) -> String {
        let star = if prefix { "*" } else { "" };
        match self.db.backend() {
            Backend::Sqlite => terms.iter().map(|t| format!("\"{t}\"{star}")).collect::<Vec<_>>().join(" "),
            // InnoDB indexes no stopwords and no words under three characters: requiring one
            // (`+of`) would match nothing, so those may match but need not.
            Backend::MariaDb => terms
                .iter()
                .map(|t| {
                    let must = if t.chars().count() < 3 || INNODB_STOPWORDS.contains(&t.as_str()) { "" } else { "+" };
                    format!("{must}{t}{star}")
                })
                .collect::<Vec<_>>()
                .join(" "),
        }
    }

    /// Matches of a full-text expression, counted up to `RANKED + 1`.
    async fn count_matches(&self, expr: &str) -> Result<i64> {
        let q = match self.db.backend() {
            Backend::Sqlite => {
                sql("SELECT COUNT(*) AS n FROM (SELECT rowid FROM books_fts WHERE books_fts MATCH ? LIMIT ?) m")
            }
            Backend::MariaDb => {
                sql(format!("SELECT COUNT(*) AS n FROM (SELECT b.id FROM books b WHERE {MATCHES} LIMIT ?) m"))
            }
        };
        self.count(q.bind(expr).bind(RANKED + 1)).await
    }

    /// One book.
    pub async fn book(&self, id: i64) -> Result<Book> {
        let row = self.db.opt(sql(format!("SELECT {BOOK_COLUMNS} FROM books b WHERE b.id = ?")).bind(id)).await?;
        row.as_ref().map(book).transpose()?.ok_or(Error::NotFound("book"))
    }

    async fn book_in(&self, tx: &mut Tx, id: i64) -> Result<Book> {
        let row = tx.opt(sql(format!("SELECT {BOOK_COLUMNS} FROM books b WHERE b.id = ?")).bind(id)).await?;
        row.as_ref().map(book).transpose()?.ok_or(Error::NotFound("book"))
    }

    /// Catalogues a book.
    pub async fn create_book(&self, actor: &Actor, b: &NewBook) -> Result<Book> {
        let isbn = b.isbn.as_ref().map(|i| i.as_str().to_owned());
        crate::transaction!(self.db, |tx| {
            async {
            let at = now();
            let id = tx
                .exec(
                    sql("INSERT INTO books (isbn, title, authors, subjects, publisher, year, language, created_at, updated_at) \
                         VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?)")
                        .bind(isbn.clone())
                        .bind(b.title.as_str())
                        .bind(to_json(b.authors.as_ref()))
                        .bind(to_json(b.subjects.as_ref()))
                        .bind(b.publisher.as_ref().map(|p| p.as_str()))
                        .bind(b.year.map(|y| y.value()))
                        .bind(b.language.as_ref().map(|l| l.as_str()))
                        .bind(at)
                        .bind(at),
                )
                .await
                .map_err(|e| duplicate(e, "isbn", "a book with this ISBN is already catalogued"))?
                .last_id;
            self.audit(&mut tx, actor, "book.create", "book", id, b.title.as_str()).await?;
            self.book_in(&mut tx, id).await
        }
        .await
        })
    }

    /// Changes a book's fields.
    pub async fn update_book(&self, actor: &Actor, id: i64, p: &BookPatch) -> Result<Book> {
        crate::transaction!(self.db, |tx| async {
            let mut q = sql("UPDATE books SET updated_at = ?").bind(now());
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
            let done = tx
                .exec(q.push(" WHERE id = ?").bind(id))
                .await
                .map_err(|e| duplicate(e, "isbn", "a book with this ISBN is already catalogued"))?;
            if done.rows == 0 {
                return Err(Error::NotFound("book"));
            }
            self.audit(&mut tx, actor, "book.update", "book", id, changed.join(", ")).await?;
            self.book_in(&mut tx, id).await
        }
        .await)
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
                if lent.is_some() {
                    return Err(Error::conflict(
                        "has_loans",
                        "this book's copies have loan history; withdraw the copies instead of deleting the book",
                    ));
                }
                tx.exec(sql("DELETE FROM holds WHERE book_id = ?").bind(id)).await?;
                tx.exec(sql("DELETE FROM copies WHERE book_id = ?").bind(id)).await?;
                tx.exec(sql("DELETE FROM books WHERE id = ?").bind(id)).await?;
                self.audit(&mut tx, actor, "book.delete", "book", id, book.title).await
            }
            .await
        })
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
        let row = self
            .db
            .opt(
                sql(format!(
                    "SELECT {COPY_COLUMNS} FROM copies c JOIN books b ON b.id = c.book_id WHERE c.barcode = ?"
                ))
                .bind(barcode.as_str()),
            )
            .await?;
        row.as_ref().map(copy).transpose()?.ok_or(Error::NotFound("copy"))
    }

    pub(super) async fn copy_in(&self, tx: &mut Tx, id: i64) -> Result<Copy> {
        let lock = tx.for_update();
        let row = tx
            .opt(
                sql(format!(
                    "SELECT {COPY_COLUMNS} FROM copies c JOIN books b ON b.id = c.book_id WHERE c.id = ?{lock}"
                ))
                .bind(id),
            )
            .await?;
        row.as_ref().map(copy).transpose()?.ok_or(Error::NotFound("copy"))
    }

    /// Locks and reads a copy by barcode.
    pub(super) async fn copy_by_barcode_in(&self, tx: &mut Tx, barcode: &Barcode) -> Result<Copy> {
        let lock = tx.for_update();
        let row = tx
            .opt(
                sql(format!(
                    "SELECT {COPY_COLUMNS} FROM copies c JOIN books b ON b.id = c.book_id WHERE c.barcode = ?{lock}"
                ))
                .bind(barcode.as_str()),
            )
            .await?;
        row.as_ref().map(copy).transpose()?.ok_or(Error::NotFound("copy"))
    }

    /// Adds a copy of a book.
    pub async fn add_copy(
        &self,
        actor: &Actor,
        book_id: i64,
        barcode: &Barcode,
        location: Option<&ShortText>,
    ) -> Result<Copy> {
        crate::transaction!(self.db, |tx| {
            async {
            self.book_in(&mut tx, book_id).await?;
            let at = now();
            let id = tx
                .exec(
                    sql("INSERT INTO copies (book_id, barcode, location, status, created_at, updated_at) VALUES (?, ?, ?, 'available', ?, ?)")
                        .bind(book_id)
                        .bind(barcode.as_str())
                        .bind(location.map(|l| l.as_str()))
                        .bind(at)
                        .bind(at),
                )
                .await
                .map_err(|e| duplicate(e, "barcode", "another copy already has this barcode"))?
                .last_id;
            self.audit(&mut tx, actor, "copy.create", "copy", id, barcode.as_str()).await?;
            self.copy_in(&mut tx, id).await
        }
        .await
        })
    }

    /// Moves a copy or marks it available, lost or withdrawn (not while lent or on the hold shelf).
    pub async fn update_copy(&self, actor: &Actor, id: i64, p: &CopyPatch) -> Result<Copy> {
        crate::transaction!(self.db, |tx| {
            async {
            let current = self.copy_in(&mut tx, id).await?;
            let mut q = sql("UPDATE copies SET updated_at = ?").bind(now());
            if let Some(loc) = &p.location {
                q = q.push(", location = ?").bind(loc.as_ref().map(|l| l.as_str()));
            }
            if let Some(status) = p.status {
                if !matches!(status, CopyStatus::Available | CopyStatus::Lost | CopyStatus::Withdrawn) {
                    return Err(Error::Validation(vec![crate::error::FieldError {
                        field: "status".into(),
                        code: "invalid_value".into(),
                        message: "a copy's status can be set to available, lost or withdrawn; loans and holds set the rest".into(),
                    }]));
                }
                if matches!(current.status, CopyStatus::OnLoan | CopyStatus::OnHoldShelf) {
                    return Err(Error::conflict(
                        "copy_not_available",
                        format!("copy {} is {}; return it or cancel the hold first", current.barcode, current.status),
                    ));
                }
                q = q.push(", status = ?").bind(status.as_str());
            }
            tx.exec(q.push(" WHERE id = ?").bind(id)).await?;
            let detail = match p.status {
                Some(s) => format!("{} -> {s}", current.status),
                None => "location".to_owned(),
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
            if tx.opt(sql("SELECT id FROM loans WHERE copy_id = ? LIMIT 1").bind(id)).await?.is_some() {
                return Err(Error::conflict("has_loans", "this copy has loan history; mark it withdrawn instead"));
            }
            if c.status == CopyStatus::OnHoldShelf {
                return Err(Error::conflict("copy_not_available", "this copy is on the hold shelf for a member"));
            }
            tx.exec(sql("DELETE FROM copies WHERE id = ?").bind(id)).await?;
            self.audit(&mut tx, actor, "copy.delete", "copy", id, c.barcode).await
        }
        .await)
    }
}

/// Turns a unique-index refusal into a 409 naming the field; other errors pass through.
pub(super) fn duplicate(e: super::db::DbError, field: &'static str, detail: &str) -> Error {
    if e.is_unique_violation() {
        Error::conflict("conflict", format!("{detail} ({field})"))
    } else {
        e.into()
    }
}

#[cfg(test)]
mod tests {
    use super::search_terms;

    #[test]
    fn search_terms_keep_only_words() {
        assert_eq!(search_terms("Harimau! \"harimau\" OR *"), vec!["harimau", "harimau", "or"]);
        assert!(search_terms("\"*()-+~<>").is_empty());
        assert_eq!(search_terms("Bumi Manusia").len(), 2);
    }
}
