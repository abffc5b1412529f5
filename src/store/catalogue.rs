//! Books, copies and catalogue search.

use std::collections::BTreeMap;

use super::{
    db::sql,
    error::{Result, StoreError},
    json_list, Actor, PageRequest, Store,
};
use crate::{
    config::Backend,
    domain::{
        circulation::{may_change_copy_status, may_delete, may_delete_copy, settable_by_hand, Record},
        isbn::looks_like_isbn,
        search, Authors, Barcode, Isbn, LanguageCode, ShortText, Subjects, Title, ValidationError, Year,
    },
    model::{Book, Copy, CopyStatus, Page},
    store::db::{Query, Row, Tx},
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
            .ok_or_else(|| StoreError::Internal(anyhow::anyhow!("unknown copy status {status:?}")))?,
        title: r.get("title")?,
        created_at: r.get("created_at")?,
    })
}

/// Words of a search: letters and digits only, at most 8.
fn search_terms(q: &str) -> Vec<String> {
    search::words(q).take(8).collect()
}

/// Search results ranked by relevance at most; more matches are listed newest first.
pub const RANKED: i64 = 1000;

/// The whole catalogue, listed without a search, is counted up to this many books.
pub const LISTED: i64 = 10_000;

/// A word being typed matches at most this many whole words (the first in alphabetical order).
const PREFIX_WORDS: i64 = 50;

fn to_json(list: &[String]) -> String {
    serde_json::to_string(list).expect("a list of strings always serialises")
}

/// `?, ?, ?` for `n` values.
fn placeholders(n: usize) -> String {
    vec!["?"; n].join(", ")
}

impl Store {
    /// Searches the catalogue (title, authors, subjects; an ISBN matches exactly); without a query,
    /// the newest books first.
    pub async fn search_books(&self, q: Option<&str>, page: PageRequest) -> Result<Page<Book>> {
        let q = q.map(str::trim).filter(|q| !q.is_empty());
        // The count stops at `cap`: InnoDB counts a table by reading it (70 ms for a million books,
        // on every page), so the whole catalogue is counted up to LISTED.
        let (select, count, cap) = match q {
            None => (
                sql(format!(
                    "SELECT {BOOK_COLUMNS} FROM books b ORDER BY b.created_at DESC, b.id DESC LIMIT ? OFFSET ?"
                )),
                sql("SELECT COUNT(*) AS n FROM (SELECT 1 FROM books LIMIT ?) m").bind(LISTED + 1),
                LISTED,
            ),
            Some(q) if looks_like_isbn(q) && Isbn::parse(q).is_ok() => {
                let isbn = Isbn::parse(q).map(|i| i.as_str().to_owned()).unwrap_or_default();
                (
                    sql(format!("SELECT {BOOK_COLUMNS} FROM books b WHERE b.isbn = ? LIMIT ? OFFSET ?")).bind(&isbn),
                    sql("SELECT COUNT(*) AS n FROM books WHERE isbn = ?").bind(isbn),
                    i64::MAX,
                )
            }
            Some(q) => {
                let terms = search_terms(q);
                if terms.is_empty() {
                    return Ok(page.wrap(Vec::new(), 0));
                }
                return match self.db.backend() {
                    Backend::Sqlite => self.full_text_sqlite(&terms, page).await,
                    Backend::MariaDb => self.full_text_mariadb(&terms, page).await,
                };
            }
        };
        let rows = self.db.all(select.bind(page.per_page).bind(page.offset())).await?;
        let items = rows.iter().map(book).collect::<Result<Vec<_>>>()?;
        let total = self.count(count).await?;
        Ok(Page { total_capped: total > cap, ..page.wrap(items, total.min(cap)) })
    }

    // Both backends search the same way. Every word must match: whole words first, and when
    // that finds nothing, as prefixes (a word still being typed; on MariaDB each prefix stands
    // for the first PREFIX_WORDS indexed words it begins). Matches are counted up to RANKED + 1:
    // up to RANKED are ranked by relevance; a search so common that it matches more is listed
    // newest first and its count stops at RANKED (`total_capped`), so neither ranking nor
    // counting ever walks a third of the catalogue.

    /// Full-text search on SQLite's FTS5 index.
    async fn full_text_sqlite(&self, terms: &[String], page: PageRequest) -> Result<Page<Book>> {
        let quote = |w: &String| format!("\"{w}\"");
        let mut expr = terms.iter().map(quote).collect::<Vec<_>>().join(" ");
        let count = |expr: String| {
            sql("SELECT COUNT(*) AS n FROM (SELECT rowid FROM books_fts WHERE books_fts MATCH ? LIMIT ?) m")
                .bind(expr)
                .bind(RANKED + 1)
        };
        let mut hits = self.count(count(expr.clone())).await?;
        if hits == 0 {
            expr = terms.iter().map(|w| format!("{}*", quote(w))).collect::<Vec<_>>().join(" ");
            hits = self.count(count(expr.clone())).await?;
        }
        let capped = hits > RANKED;
        if hits == 0 || page.offset() >= hits.min(RANKED) {
            return Ok(Page { total_capped: capped, ..page.wrap(Vec::new(), hits.min(RANKED)) });
        }
        let order = if capped { "f.rowid DESC" } else { "f.rank, b.id" };
        let select = sql(format!(
            "SELECT {BOOK_COLUMNS} FROM books_fts f JOIN books b ON b.id = f.rowid \
             WHERE books_fts MATCH ? ORDER BY {order} LIMIT ? OFFSET ?"
        ));
        let rows = self.db.all(select.bind(&expr).bind(page.per_page).bind(page.offset())).await?;
        let items = rows.iter().map(book).collect::<Result<Vec<_>>>()?;
        Ok(Page { total_capped: capped, ..page.wrap(items, hits.min(RANKED)) })
    }

    /// The indexed words that begin with `prefix`, first in alphabetical order (MariaDB).
    async fn prefix_words(&self, prefix: &str) -> Result<Vec<String>> {
        // Terms are letters and digits only: nothing to escape in LIKE.
        let q = sql("SELECT word FROM search_words WHERE word LIKE ? ORDER BY word LIMIT ?")
            .bind(format!("{prefix}%"))
            .bind(PREFIX_WORDS);
        self.db.all(q).await?.iter().map(|r| Ok(r.get("word")?)).collect()
    }

    /// Full-text search on MariaDB, over Pustaka's own word index (`book_words`).
    async fn full_text_mariadb(&self, terms: &[String], page: PageRequest) -> Result<Page<Book>> {
        let mut sets: Vec<Vec<String>> = terms.iter().map(|t| vec![t.clone()]).collect();
        let mut ids = self.word_matches(&sets, RANKED + 1, 0, false).await?;
        if ids.is_empty() {
            sets.clear();
            for term in terms {
                let words = self.prefix_words(term).await?;
                if words.is_empty() {
                    return Ok(page.wrap(Vec::new(), 0));
                }
                sets.push(words);
            }
            ids = self.word_matches(&sets, RANKED + 1, 0, false).await?;
        }
        let hits = ids.len() as i64;
        let capped = hits > RANKED;
        if hits == 0 || page.offset() >= hits.min(RANKED) {
            return Ok(Page { total_capped: capped, ..page.wrap(Vec::new(), hits.min(RANKED)) });
        }
        let shown = if capped {
            self.word_matches(&sets, page.per_page, page.offset(), true).await?
        } else {
            // Relevance: the weights of the searched words in each matching book.
            let words: Vec<&String> = sets.iter().flatten().collect();
            let mut q = sql(format!(
                "SELECT book_id AS id, CAST(SUM(weight) AS SIGNED) AS score FROM book_words WHERE book_id IN ({}) AND word IN ({}) \
                 GROUP BY book_id",
                placeholders(ids.len()),
                placeholders(words.len())
            ));
            for id in &ids {
                q = q.bind(*id);
            }
            for w in words {
                q = q.bind(w);
            }
            let mut scored = self
                .db
                .all(q)
                .await?
                .iter()
                .map(|r| Ok((r.get::<i64>("score")?, r.get::<i64>("id")?)))
                .collect::<Result<Vec<_>>>()?;
            scored.sort_by(|a, b| b.0.cmp(&a.0).then(a.1.cmp(&b.1)));
            scored.into_iter().skip(page.offset() as usize).take(page.per_page as usize).map(|(_, id)| id).collect()
        };
        let items = self.books_by_ids(&shown).await?;
        Ok(Page { total_capped: capped, ..page.wrap(items, hits.min(RANKED)) })
    }

    /// Books having a word of every set: at most `limit` ids after `offset`, in no particular
    /// order, or newest first.
    async fn word_matches(&self, sets: &[Vec<String>], limit: i64, offset: i64, newest: bool) -> Result<Vec<i64>> {
        // The rarest set leads (read along the primary key); each book it yields is probed for
        // the words of the other sets.
        let mut sets: Vec<&Vec<String>> = sets.iter().collect();
        if sets.len() > 1 {
            let mut counted = Vec::with_capacity(sets.len());
            for set in sets {
                let q = sql(format!(
                    "SELECT COUNT(*) AS n FROM (SELECT 1 FROM book_words WHERE word IN ({}) LIMIT ?) m",
                    placeholders(set.len())
                ));
                let q = set.iter().fold(q, |q, w| q.bind(w)).bind(RANKED + 1);
                counted.push((self.count(q).await?, set.len(), set));
            }
            counted.sort_by_key(|(n, len, _)| (*n, *len));
            sets = counted.into_iter().map(|(_, _, set)| set).collect();
        }
        let (lead, rest) = sets.split_first().expect("a search has a word");
        let mut probes = String::new();
        for set in rest {
            probes.push_str(&format!(
                " AND EXISTS (SELECT 1 FROM book_words p WHERE p.book_id = w.book_id AND p.word IN ({}))",
                placeholders(set.len())
            ));
        }
        let bind_rest = |mut q: Query| {
            for w in rest.iter().copied().flatten() {
                q = q.bind(w);
            }
            q
        };
        let q = if newest {
            // One branch per leading word, each read backwards along the primary key and
            // stopping at offset + limit: no sort of every match.
            let branch = format!(
                "(SELECT w.book_id AS id FROM book_words w WHERE w.word = ?{probes} ORDER BY w.book_id DESC LIMIT ?)"
            );
            let mut q = sql(format!(
                "SELECT DISTINCT id FROM ({}) u ORDER BY id DESC LIMIT ? OFFSET ?",
                vec![branch; lead.len()].join(" UNION ALL ")
            ));
            for w in lead.iter() {
                q = bind_rest(q.bind(w)).bind(offset + limit);
            }
            q
        } else {
            let distinct = if lead.len() > 1 { "DISTINCT " } else { "" };
            let q = sql(format!(
                "SELECT {distinct}w.book_id AS id FROM book_words w WHERE w.word IN ({}){probes} LIMIT ? OFFSET ?",
                placeholders(lead.len())
            ));
            bind_rest(lead.iter().fold(q, |q, w| q.bind(w)))
        };
        let rows = self.db.all(q.bind(limit).bind(offset)).await?;
        rows.iter().map(|r| Ok(r.get("id")?)).collect()
    }

    /// Books by id, in the order of `ids`.
    async fn books_by_ids(&self, ids: &[i64]) -> Result<Vec<Book>> {
        if ids.is_empty() {
            return Ok(Vec::new());
        }
        let mut q = sql(format!("SELECT {BOOK_COLUMNS} FROM books b WHERE b.id IN ({})", placeholders(ids.len())));
        for id in ids {
            q = q.bind(*id);
        }
        let mut books = self.db.all(q).await?.iter().map(book).collect::<Result<Vec<_>>>()?;
        books.sort_by_key(|b| ids.iter().position(|id| *id == b.id));
        Ok(books)
    }

    /// Puts a book's words in the MariaDB word index (SQLite's FTS5 triggers do this there).
    async fn index_words(&self, tx: &mut Tx, b: &Book) -> Result<()> {
        if self.db.backend() != Backend::MariaDb {
            return Ok(());
        }
        tx.exec(sql("DELETE FROM book_words WHERE book_id = ?").bind(b.id)).await?;
        insert_words(tx, &[(b.id, search::book_words(&b.title, &b.authors, &b.subjects))]).await
    }

    /// Indexes the books that `pustaka reindex` or the migration left to index (MariaDB), a
    /// batch per transaction; replicas starting together take turns on the bookmark row.
    /// Returns how many books were indexed.
    pub async fn index_pending_words(&self) -> Result<u64> {
        if self.db.backend() != Backend::MariaDb {
            return Ok(0);
        }
        let mut done = 0;
        loop {
            let batch = crate::transaction!(self.db, |tx| {
                async {
                    let Some(mark) = tx.opt(sql("SELECT after_book_id FROM search_reindex FOR UPDATE")).await? else {
                        return Ok(0);
                    };
                    let after: i64 = mark.get("after_book_id")?;
                    // A shared lock, so a rename committed meanwhile is read, or waits for this batch.
                    let rows = tx
                        .all(
                            sql("SELECT id, title, authors, subjects FROM books WHERE id > ? ORDER BY id LIMIT 500 \
                                 LOCK IN SHARE MODE")
                            .bind(after),
                        )
                        .await?;
                    let Some(last) = rows.last() else {
                        tx.exec(sql("DELETE FROM search_reindex")).await?;
                        return Ok(0);
                    };
                    let last: i64 = last.get("id")?;
                    let mut books = Vec::with_capacity(rows.len());
                    for r in &rows {
                        let (title, authors, subjects): (String, _, _) =
                            (r.get("title")?, json_list(r, "authors")?, json_list(r, "subjects")?);
                        books.push((r.get("id")?, search::book_words(&title, &authors, &subjects)));
                    }
                    insert_words(&mut tx, &books).await?;
                    tx.exec(sql("UPDATE search_reindex SET after_book_id = ?").bind(last)).await?;
                    Ok::<_, StoreError>(rows.len() as u64)
                }
                .await
            })?;
            if batch == 0 {
                return Ok(done);
            }
            done += batch;
        }
    }

    /// Rebuilds the search index from the books table (after books were loaded with SQL).
    pub async fn reindex(&self) -> Result<u64> {
        match self.db.backend() {
            Backend::Sqlite => {
                let mut tx = self.db.begin().await?;
                tx.exec(sql("INSERT INTO books_fts (books_fts) VALUES ('rebuild')")).await?;
                tx.commit().await?;
                self.count(sql("SELECT COUNT(*) AS n FROM books")).await.map(|n| n as u64)
            }
            Backend::MariaDb => {
                let mut tx = self.db.begin().await?;
                tx.exec(sql("DELETE FROM search_reindex")).await?;
                tx.exec(sql("INSERT INTO search_reindex VALUES (0)")).await?;
                tx.commit().await?;
                self.index_pending_words().await
            }
        }
    }

    /// One book.
    pub async fn book(&self, id: i64) -> Result<Book> {
        let row = self.db.opt(sql(format!("SELECT {BOOK_COLUMNS} FROM books b WHERE b.id = ?")).bind(id)).await?;
        row.as_ref().map(book).transpose()?.ok_or(StoreError::NotFound("book"))
    }

    async fn book_in(&self, tx: &mut Tx, id: i64) -> Result<Book> {
        let row = tx.opt(sql(format!("SELECT {BOOK_COLUMNS} FROM books b WHERE b.id = ?")).bind(id)).await?;
        row.as_ref().map(book).transpose()?.ok_or(StoreError::NotFound("book"))
    }

    /// Catalogues a book.
    pub async fn create_book(&self, actor: &Actor, b: &NewBook) -> Result<Book> {
        let isbn = b.isbn.as_ref().map(|i| i.as_str().to_owned());
        crate::transaction!(self.db, |tx| {
            async {
            let at = self.now();
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
                .map_err(|e| StoreError::duplicate(e, "isbn", "a book with this ISBN is already catalogued"))?
                .last_id;
            self.audit(&mut tx, actor, "book.create", "book", id, b.title.as_str()).await?;
            let book = self.book_in(&mut tx, id).await?;
            self.index_words(&mut tx, &book).await?;
            Ok(book)
        }
        .await
        })
    }

    /// Changes a book's fields.
    pub async fn update_book(&self, actor: &Actor, id: i64, p: &BookPatch) -> Result<Book> {
        crate::transaction!(self.db, |tx| async {
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
            let done = tx
                .exec(q.push(" WHERE id = ?").bind(id))
                .await
                .map_err(|e| StoreError::duplicate(e, "isbn", "a book with this ISBN is already catalogued"))?;
            if done.rows == 0 {
                return Err(StoreError::NotFound("book"));
            }
            self.audit(&mut tx, actor, "book.update", "book", id, changed.join(", ")).await?;
            let book = self.book_in(&mut tx, id).await?;
            self.index_words(&mut tx, &book).await?;
            Ok(book)
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
                may_delete(Record::Book, lent.is_some())?;
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
        row.as_ref().map(copy).transpose()?.ok_or(StoreError::NotFound("copy"))
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
        row.as_ref().map(copy).transpose()?.ok_or(StoreError::NotFound("copy"))
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
        row.as_ref().map(copy).transpose()?.ok_or(StoreError::NotFound("copy"))
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
            let at = self.now();
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
                .map_err(|e| StoreError::duplicate(e, "barcode", "another copy already has this barcode"))?
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
                let mut q = sql("UPDATE copies SET updated_at = ?").bind(self.now());
                if let Some(loc) = &p.location {
                    q = q.push(", location = ?").bind(loc.as_ref().map(|l| l.as_str()));
                }
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
            let ever_lent = tx.opt(sql("SELECT id FROM loans WHERE copy_id = ? LIMIT 1").bind(id)).await?.is_some();
            may_delete_copy(&c.barcode, c.status, ever_lent)?;
            tx.exec(sql("DELETE FROM copies WHERE id = ?").bind(id)).await?;
            self.audit(&mut tx, actor, "copy.delete", "copy", id, c.barcode).await
        }
        .await)
    }
}

/// Inserts books' words into `book_words` and `search_words`, a thousand rows per statement.
async fn insert_words(tx: &mut Tx, books: &[(i64, BTreeMap<String, i64>)]) -> Result<()> {
    let rows: Vec<(i64, &String, i64)> =
        books.iter().flat_map(|(id, words)| words.iter().map(move |(w, weight)| (*id, w, *weight))).collect();
    for chunk in rows.chunks(1000) {
        let mut q = sql("INSERT INTO book_words (word, book_id, weight) VALUES ");
        for (i, (id, word, weight)) in chunk.iter().enumerate() {
            q = q.push(if i == 0 { "(?, ?, ?)" } else { ", (?, ?, ?)" }).bind(word.as_str()).bind(*id).bind(*weight);
        }
        // Words equal under the column's collation ("Ärzte", "arzte") share one row.
        tx.exec(q.push(" ON DUPLICATE KEY UPDATE weight = VALUES(weight)")).await?;
    }
    let words: std::collections::BTreeSet<&String> = rows.iter().map(|(_, w, _)| *w).collect();
    let words: Vec<&String> = words.into_iter().collect();
    for chunk in words.chunks(1000) {
        let q = sql(format!("INSERT INTO search_words (word) VALUES {}", vec!["(?)"; chunk.len()].join(", ")));
        let q = chunk.iter().fold(q, |q, w| q.bind(w.as_str()));
        tx.exec(q.push(" ON DUPLICATE KEY UPDATE word = word")).await?;
    }
    Ok(())
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
