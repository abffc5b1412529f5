//! Applying an import: the records the server's import reads from a file (defined here, so the store needs
//! nothing from the server), written in batches of
//! transactions, each batch with one audit-log line of its counts. A batch is written whole or
//! not at all, so an interrupted import leaves whole batches behind, and running it again
//! finds what they wrote (books by source id or ISBN, copies by barcode, members by card
//! number or source id) and changes nothing there. A dry run does every batch's work and rolls
//! it back.

use std::collections::{HashMap, HashSet};

use crate::domain::notices::Language;
use chrono::NaiveDate;
use serde::Serialize;
use utoipa::ToSchema;

use super::{
    catalogue::{book, NewBook},
    db::{sql, Tx},
    error::{Result, StoreError},
    members::{member, MEMBER_COLUMNS},
    Actor, Store,
};
use crate::{
    domain::{
        Barcode, CardNumber, Email, Grade, MemberNumber, NumberKind, PersonName, Phone, ShortText, ValidationError,
    },
    model::{Book, Category, Member},
};

/// Records written per transaction (members, and a SLiMS import's loans, visits and fines).
pub const BATCH: usize = 200;

/// Books written per transaction: a batch of books is a few statements whatever its size
/// ([`Store::import_books`]), so the commit (a flush of the log on MariaDB) is what a larger
/// batch saves; a thousand is about a quarter of a second of writing.
pub const BOOK_BATCH: usize = 1_000;

/// A member already registered, found by card number, another number, source id, or name and
/// date of birth.
#[derive(sqlx::FromRow)]
struct KnownMember {
    id: i64,
    grade: Option<String>,
    birth_date: Option<NaiveDate>,
}

/// What one batch did; merged into the report once the batch is committed (or rolled back in a
/// dry run), so that a batch run again after a deadlock is not counted twice.
#[derive(Default)]
pub(super) struct Batch {
    books_created: u64,
    books_existing: u64,
    copies_created: u64,
    copies_existing: u64,
    members_created: u64,
    members_existing: u64,
    members_regraded: u64,
    members_corrected: u64,
    numbers_created: u64,
    collection_types_created: u64,
    copies_typed: u64,
    copies_not_for_loan: u64,
    pub(super) loans_created: u64,
    pub(super) loans_existing: u64,
    pub(super) past_loans_created: u64,
    pub(super) past_loans_existing: u64,
    pub(super) visits_created: u64,
    pub(super) visits_existing: u64,
    pub(super) fines_created: u64,
    pub(super) fines_existing: u64,
    pub(super) errors: Vec<RowError>,
    books: Vec<Book>,
    members: Vec<crate::model::Member>,
    new_cards: Vec<(String, String)>,
}

impl Batch {
    pub(super) fn merge_into(self, r: &mut Report) {
        r.books_created += self.books_created;
        r.books_existing += self.books_existing;
        r.copies_created += self.copies_created;
        r.copies_existing += self.copies_existing;
        r.members_created += self.members_created;
        r.members_existing += self.members_existing;
        r.members_regraded += self.members_regraded;
        r.members_corrected += self.members_corrected;
        r.numbers_created += self.numbers_created;
        r.collection_types_created += self.collection_types_created;
        r.copies_typed += self.copies_typed;
        r.copies_not_for_loan += self.copies_not_for_loan;
        r.loans_created += self.loans_created;
        r.loans_existing += self.loans_existing;
        r.past_loans_created += self.past_loans_created;
        r.past_loans_existing += self.past_loans_existing;
        r.visits_created += self.visits_created;
        r.visits_existing += self.visits_existing;
        r.fines_created += self.fines_created;
        r.fines_existing += self.fines_existing;
        r.errors.extend(self.errors);
        let room = PREVIEW.saturating_sub(r.preview_books.len());
        r.preview_books.extend(self.books.into_iter().take(room));
        let room = PREVIEW.saturating_sub(r.preview_members.len());
        r.preview_members.extend(self.members.into_iter().take(room));
        r.new_cards.extend(self.new_cards);
    }

    pub(super) fn summary(&self) -> String {
        let mut s = format!(
            "books {} created, {} existing; copies {} created, {} existing; members {} created, {} existing; {} rows not imported",
            self.books_created,
            self.books_existing,
            self.copies_created,
            self.copies_existing,
            self.members_created,
            self.members_existing,
            self.errors.len()
        );
        if self.members_regraded > 0 {
            s.push_str(&format!("; {} members moved to another class", self.members_regraded));
        }
        if self.members_corrected > 0 {
            s.push_str(&format!("; {} members' dates of birth corrected", self.members_corrected));
        }
        if self.numbers_created > 0 {
            s.push_str(&format!("; {} other member numbers kept", self.numbers_created));
        }
        if self.loans_created + self.loans_existing + self.fines_created + self.fines_existing > 0 {
            s.push_str(&format!(
                "; loans {} created, {} existing; fines {} created, {} existing",
                self.loans_created, self.loans_existing, self.fines_created, self.fines_existing
            ));
        }
        if self.past_loans_created + self.past_loans_existing > 0 {
            s.push_str(&format!(
                "; past loans {} created, {} existing",
                self.past_loans_created, self.past_loans_existing
            ));
        }
        if self.visits_created + self.visits_existing > 0 {
            s.push_str(&format!("; visits {} created, {} existing", self.visits_created, self.visits_existing));
        }
        s
    }
}

/// Runs `work` over `items` in batches: committed each, or rolled back each in a dry run.
/// `progress` hears (records done, records in all) after every batch.
macro_rules! in_batches {
    ($self:ident, $items:expr, $report:expr, $progress:expr, $action:expr, |$tx:ident, $chunk:ident, $batch:ident| $work:expr) => {{
        let total = $items.len();
        let mut done = 0;
        for $chunk in $items.chunks(BATCH) {
            // A dry run does the same work in a transaction rolled back at the end.
            let dry_run = $report.dry_run;
            let batch = crate::transaction!(rollback_if dry_run, $self.db, |$tx| async {
                let mut $batch = Batch::default();
                $work;
                if !dry_run {
                    let summary = $batch.summary();
                    $self.audit(&mut $tx, &$action.0, &format!("{}.batch", $action.1), "import", 0, summary).await?;
                }
                Ok::<_, StoreError>($batch)
            }
            .await)?;
            batch.merge_into($report);
            $self.books_changed(); // the catalogue's total is counted again
            done += $chunk.len();
            $progress(done, total);
        }
    }};
}

pub(super) use in_batches;

impl Store {
    /// Writes the audit-log line of a whole import run (not for a dry run).
    pub async fn audit_import(&self, actor: &Actor, action: &str, report: &Report) -> Result<()> {
        if report.dry_run {
            return Ok(());
        }
        let detail = format!(
            "rows {}; books {} created, {} existing; copies {} created, {} existing; members {} created, {} existing; {} rows not imported",
            report.rows,
            report.books_created,
            report.books_existing,
            report.copies_created,
            report.copies_existing,
            report.members_created,
            report.members_existing,
            report.errors.len()
        );
        let detail = if report.members_regraded > 0 {
            format!("{detail}; {} members moved to another class", report.members_regraded)
        } else {
            detail
        };
        let detail = if action == "import.slims" {
            format!(
                "{detail}; loans {} created, {} existing; past loans {} created, {} existing; visits {} created, {} existing; fines {} created, {} existing; {} rows with a repair",
                report.loans_created,
                report.loans_existing,
                report.past_loans_created,
                report.past_loans_existing,
                report.visits_created,
                report.visits_existing,
                report.fines_created,
                report.fines_existing,
                report.warnings.len()
            )
        } else {
            detail
        };
        crate::transaction!(self.db, |tx| self.audit(&mut tx, actor, action, "import", 0, detail.clone()).await)
    }

    /// Imports books and their copies; see the module's notes.
    pub async fn import_books(
        &self,
        actor: &Actor,
        books: &[BookIn],
        report: &mut Report,
        mut progress: impl FnMut(usize, usize),
    ) -> Result<()> {
        if !report.dry_run && report.import_id.is_none() {
            let at = self.now();
            let done = crate::transaction!(self.db, |tx| tx
                .exec(sql("INSERT INTO imports (actor, started_at) VALUES (?, ?)").bind(&actor.username).bind(at))
                .await
                .map_err(StoreError::from))?;
            report.import_id = Some(done.last_id);
        }
        let run = report.import_id;
        let (total, mut done) = (books.len(), 0);
        for chunk in books.chunks(BOOK_BATCH) {
            let batch = match self.import_books_batch(actor, chunk, run, report.dry_run, true).await {
                // A book or copy written meanwhile by someone else with the same ISBN, source id or
                // barcode (the bulk statements fail whole): the batch again, row by row.
                Err(StoreError::Duplicate { .. }) => {
                    self.import_books_batch(actor, chunk, run, report.dry_run, false).await
                }
                other => other,
            }?;
            batch.merge_into(report);
            self.books_changed(); // the catalogue's total is counted again
            done += chunk.len();
            progress(done, total);
        }
        Ok(())
    }

    /// One batch of books in one transaction (rolled back in a dry run), with its audit line:
    /// written in bulk when `bulk` and [`Store::import_books_bulk`] can, row by row otherwise.
    async fn import_books_batch(
        &self,
        actor: &Actor,
        chunk: &[BookIn],
        run: Option<i64>,
        dry_run: bool,
        bulk: bool,
    ) -> Result<Batch> {
        crate::transaction!(rollback_if dry_run, self.db, |tx| async {
            let mut batch = Batch::default();
            if !bulk || !self.import_books_bulk(&mut tx, chunk, run, &mut batch).await? {
                batch = Batch::default();
                for b in chunk {
                    self.import_book(&mut tx, b, run, &mut batch).await?;
                }
            }
            if !dry_run {
                let summary = batch.summary();
                self.audit(&mut tx, actor, "import.books.batch", "import", 0, summary).await?;
            }
            Ok::<_, StoreError>(batch)
        }
        .await)
    }

    /// Writes a batch of books the way [`Store::import_book`] writes each, in a few statements for
    /// the whole batch: books found by source id or ISBN with one read each, barcodes with one,
    /// the new books in one `INSERT … RETURNING id`, their copies in one `INSERT`, their search
    /// words together. `false`, having written nothing, when the batch is one the row-by-row path
    /// must write to give the same result: two books of the batch with one ISBN, source id or
    /// barcode (the second would find the first), a key the database matches to another spelling
    /// of it (MariaDB's collation), or generated barcodes beside given ones that look alike.
    async fn import_books_bulk(
        &self,
        tx: &mut Tx,
        chunk: &[BookIn],
        run: Option<i64>,
        batch: &mut Batch,
    ) -> Result<bool> {
        // Keys twice in the batch (case-folded: MariaDB's collation compares without case).
        let (mut sources, mut isbns, mut barcodes) = (HashSet::new(), HashSet::new(), HashSet::new());
        let generating = chunk.iter().any(|b| b.at_least > 0);
        for b in chunk {
            if let Some(s) = &b.book.extra.source_id {
                if !sources.insert(s.as_str().to_lowercase()) {
                    return Ok(false);
                }
            }
            if let Some(i) = &b.book.isbn {
                if !isbns.insert(i.as_str().to_owned()) {
                    return Ok(false);
                }
            }
            for c in &b.copies {
                let code = c.barcode.as_str().to_lowercase();
                if (generating && looks_generated(&code)) || !barcodes.insert(code) {
                    return Ok(false);
                }
            }
        }
        // What is there already, each key found as it was given or the batch goes row by row.
        let keys: Vec<&str> =
            chunk.iter().filter_map(|b| b.book.extra.source_id.as_ref()).map(|s| s.as_str()).collect();
        let by_source =
            known_keys(tx, "SELECT source_id, id, collection_type FROM books WHERE source_id IN", &keys).await?;
        let keys: Vec<&str> = chunk.iter().filter_map(|b| b.book.isbn.as_ref()).map(|i| i.as_str()).collect();
        let by_isbn = known_keys(tx, "SELECT isbn, id, collection_type FROM books WHERE isbn IN", &keys).await?;
        let keys: Vec<&str> = chunk.iter().flat_map(|b| &b.copies).map(|c| c.barcode.as_str()).collect();
        let on_book =
            known_keys(tx, "SELECT barcode, book_id, collection_type FROM copies WHERE barcode IN", &keys).await?;
        let (Some(by_source), Some(by_isbn), Some(on_book)) = (by_source, by_isbn, on_book) else {
            return Ok(false);
        };
        let found: Vec<Option<&(i64, Option<String>)>> = chunk
            .iter()
            .map(|b| {
                let source = b.book.extra.source_id.as_ref().and_then(|s| by_source.get(s.as_str()));
                source.or_else(|| b.book.isbn.as_ref().and_then(|i| by_isbn.get(i.as_str())))
            })
            .collect();
        let mut checked = HashSet::new();
        for (b, f) in chunk.iter().zip(&found) {
            if let (None, Some(t)) = (f, &b.book.extra.collection_type) {
                if checked.insert(t) {
                    self.known_type(tx, "collection_type", t).await?;
                }
            }
        }
        // From here on it writes. Collection types by name, in the row-by-row path's order.
        let mut types: HashMap<&str, String> = HashMap::new();
        let mut book_types = Vec::with_capacity(chunk.len());
        let mut copy_types = Vec::with_capacity(chunk.len());
        for b in chunk {
            let book_type = match &b.collection_type {
                Some(t) => Some(self.type_cached(tx, &mut types, t, true, batch).await?),
                None => None,
            };
            book_types.push(book_type);
            let mut own = Vec::with_capacity(b.copies.len());
            for c in &b.copies {
                own.push(match (&c.collection_type, on_book.contains_key(c.barcode.as_str())) {
                    (Some(t), false) => Some(self.type_cached(tx, &mut types, t, !c.not_for_loan, batch).await?),
                    _ => None,
                });
            }
            copy_types.push(own);
        }
        // The new books, their ids in the order of their rows (ids grow in the order rows are inserted).
        let new: Vec<usize> = (0..chunk.len()).filter(|&i| found[i].is_none()).collect();
        let mut ids: Vec<Option<i64>> = found.iter().map(|f| f.map(|(id, _)| *id)).collect();
        let at = self.now();
        for part in new.chunks(INSERT_ROWS) {
            let rows = vec![format!("({})", super::catalogue::NEW_BOOK_VALUES); part.len()].join(", ");
            let mut q =
                sql(format!("INSERT INTO books ({}) VALUES {rows} RETURNING id", super::catalogue::NEW_BOOK_COLUMNS));
            for &i in part {
                let b = &chunk[i].book;
                let stored = book_types[i].as_deref().or(b.extra.collection_type.as_deref());
                q = super::catalogue::bind_new_book(q, b, at, stored);
            }
            let made = tx.all(q).await.map_err(|e| super::catalogue::duplicate_book(e, true))?;
            let mut made = made.iter().map(|r| Ok(r.decode::<(i64,)>()?.0)).collect::<Result<Vec<i64>>>()?;
            if made.len() != part.len() {
                return Err(StoreError::Internal(anyhow::anyhow!(
                    "{} books inserted, {} ids returned",
                    part.len(),
                    made.len()
                )));
            }
            made.sort_unstable();
            for (&i, id) in part.iter().zip(made) {
                ids[i] = Some(id);
            }
        }
        let ids: Vec<i64> = ids.into_iter().map(|id| id.ok_or(StoreError::NotFound("book"))).collect::<Result<_>>()?;
        // The copies: on this book already, on another one (the row's error), or new.
        let class = tx.dialect().ddc_class_of("classification");
        let mut copies = Vec::new();
        for (i, b) in chunk.iter().enumerate() {
            let of_book = match found[i] {
                Some((_, t)) => t.clone(),
                None => book_types[i].clone().or_else(|| b.book.extra.collection_type.clone()),
            };
            for (c, own) in b.copies.iter().zip(&copy_types[i]) {
                match on_book.get(c.barcode.as_str()) {
                    Some((book, _)) if *book == ids[i] => batch.copies_existing += 1,
                    Some((book, _)) => batch.errors.push(RowError::at(
                        c.line,
                        c.record.as_ref(),
                        "barcode",
                        format!("barcode {} is already on another book (id {book})", c.barcode),
                    )),
                    None => {
                        batch.copies_created += 1;
                        if own.is_some() || of_book.is_some() {
                            batch.copies_typed += 1;
                        }
                        if c.not_for_loan {
                            batch.copies_not_for_loan += 1;
                        }
                        // Its own type where it is not the book's (a "No Loan" item: Referensi).
                        let own = own.as_ref().filter(|t| Some(*t) != of_book.as_ref());
                        copies.push((ids[i], c, own));
                    }
                }
            }
        }
        for part in copies.chunks(INSERT_ROWS) {
            let row = format!("(?, ?, ?, ?, ?, ?, ?, (SELECT {class} FROM books WHERE id = ?), ?, ?)");
            let mut q = sql(format!(
                "INSERT INTO copies (book_id, barcode, location, status, price, created_at, updated_at, ddc_class, import_id, collection_type) VALUES {}",
                vec![row; part.len()].join(", ")
            ));
            for (id, c, own) in part {
                q = q
                    .bind(*id)
                    .bind(c.barcode.as_str())
                    .bind(c.location.as_ref().map(|l| l.as_str()))
                    .bind(c.status.unwrap_or("available"))
                    .bind(c.price)
                    .bind(at)
                    .bind(at)
                    .bind(*id)
                    .bind(run)
                    .bind(own.cloned());
            }
            tx.exec(q)
                .await
                .map_err(|e| StoreError::duplicate(e, "barcode", "another copy already has this barcode"))?;
        }
        for (b, id) in chunk.iter().zip(&ids) {
            self.generate_copies(tx, *id, b, run, batch).await?;
        }
        // The new books as stored: the search index's words and the report's preview.
        let created: Vec<i64> = new.iter().map(|&i| ids[i]).collect();
        let mut stored = Vec::with_capacity(created.len());
        for part in created.chunks(INSERT_ROWS) {
            let q = sql(format!(
                "SELECT {} FROM books b WHERE b.id IN ({})",
                super::catalogue::BOOK_COLUMNS,
                vec!["?"; part.len()].join(", ")
            ));
            let rows = tx.all(part.iter().fold(q, |q, id| q.bind(*id))).await?;
            stored.extend(rows.iter().map(book).collect::<Result<Vec<_>>>()?);
        }
        if stored.len() != created.len() {
            return Err(StoreError::NotFound("book"));
        }
        stored.sort_by_key(|b| b.id);
        self.index_new_books_words(tx, &stored).await?;
        batch.books_created += created.len() as u64;
        batch.books_existing += (chunk.len() - created.len()) as u64;
        let room = PREVIEW.saturating_sub(batch.books.len());
        batch.books.extend(stored.into_iter().take(room));
        Ok(true)
    }

    /// [`Store::type_by_name`], asked once per name in a batch.
    async fn type_cached<'a>(
        &self,
        tx: &mut Tx,
        types: &mut HashMap<&'a str, String>,
        name: &'a str,
        loanable: bool,
        batch: &mut Batch,
    ) -> Result<String> {
        if let Some(code) = types.get(name) {
            return Ok(code.clone());
        }
        let code = self.type_by_name(tx, name, loanable, batch).await?;
        types.insert(name, code.clone());
        Ok(code)
    }

    async fn import_book(&self, tx: &mut Tx, b: &BookIn, run: Option<i64>, batch: &mut Batch) -> Result<()> {
        let mut found = None;
        if let Some(s) = &b.book.extra.source_id {
            found = tx.opt(sql("SELECT id FROM books WHERE source_id = ?").bind(s.as_str())).await?;
        }
        if found.is_none() {
            if let Some(i) = &b.book.isbn {
                found = tx.opt(sql("SELECT id FROM books WHERE isbn = ?").bind(i.as_str())).await?;
            }
        }
        let book_type = match &b.collection_type {
            Some(t) => Some(self.type_by_name(tx, t, true, batch).await?),
            None => None,
        };
        let (id, created) = match found {
            Some(row) => (row.decode::<(i64,)>()?.0, false),
            None => match self.insert_book(tx, &b.book).await {
                Ok(id) => {
                    if let Some(t) = &book_type {
                        tx.exec(sql("UPDATE books SET collection_type = ? WHERE id = ?").bind(t).bind(id)).await?;
                    }
                    (id, true)
                }
                Err(StoreError::Duplicate { field, detail }) => {
                    batch.errors.push(RowError::at(b.line, b.record.as_ref(), field, detail));
                    return Ok(());
                }
                Err(e) => return Err(e),
            },
        };
        for c in &b.copies {
            let on = tx.opt(sql("SELECT book_id FROM copies WHERE barcode = ?").bind(c.barcode.as_str())).await?;
            match on.map(|r| r.decode::<(i64,)>()).transpose()? {
                Some((book,)) if book == id => batch.copies_existing += 1,
                Some((book,)) => batch.errors.push(RowError::at(
                    c.line,
                    c.record.as_ref(),
                    "barcode",
                    format!("barcode {} is already on another book (id {book})", c.barcode),
                )),
                None => {
                    let location = c.location.as_ref().map(|l| l.as_str());
                    self.insert_copy(tx, id, &c.barcode, location, c.status.unwrap_or("available"), c.price, run)
                        .await?;
                    batch.copies_created += 1;
                    // Its own type where it is not the book's (a "No Loan" item: Referensi).
                    let own = match &c.collection_type {
                        Some(t) => Some(self.type_by_name(tx, t, !c.not_for_loan, batch).await?),
                        None => None,
                    };
                    let stored: Option<(Option<String>,)> = tx
                        .opt(sql("SELECT collection_type FROM books WHERE id = ?").bind(id))
                        .await?
                        .map(|r| r.decode())
                        .transpose()?;
                    let of_book = stored.and_then(|(t,)| t);
                    if let Some(t) = own.as_ref().filter(|t| Some(*t) != of_book.as_ref()) {
                        tx.exec(
                            sql("UPDATE copies SET collection_type = ? WHERE barcode = ?")
                                .bind(t)
                                .bind(c.barcode.as_str()),
                        )
                        .await?;
                    }
                    if own.is_some() || of_book.is_some() {
                        batch.copies_typed += 1;
                    }
                    if c.not_for_loan {
                        batch.copies_not_for_loan += 1;
                    }
                }
            }
        }
        self.generate_copies(tx, id, b, run, batch).await?;
        if created {
            batch.books_created += 1;
            let row = tx
                .opt(sql(format!("SELECT {} FROM books b WHERE b.id = ?", super::catalogue::BOOK_COLUMNS)).bind(id))
                .await?;
            let stored = row.as_ref().map(book).transpose()?.ok_or(StoreError::NotFound("book"))?;
            self.index_new_book_words(tx, &stored).await?;
            if batch.books.len() < PREVIEW {
                batch.books.push(stored);
            }
        } else {
            batch.books_existing += 1;
        }
        Ok(())
    }

    /// The copies without barcodes a row's copies column asks for, with generated barcodes: the
    /// book `id` has at least `b.at_least` copies afterwards.
    async fn generate_copies(
        &self,
        tx: &mut Tx,
        id: i64,
        b: &BookIn,
        run: Option<i64>,
        batch: &mut Batch,
    ) -> Result<()> {
        if b.at_least > 0 {
            let row = tx.opt(sql("SELECT COUNT(*) AS n FROM copies WHERE book_id = ?").bind(id)).await?;
            let have = row.map(|r| r.decode::<(i64,)>()).transpose()?.map_or(0, |(n,)| n);
            let (mut made, mut next) = (have, have + 1);
            let last = have + 10 * i64::from(MAX_COPIES_PER_ROW);
            while made < i64::from(b.at_least) && next <= last {
                // Generated barcodes: the book's id and a running number, e.g. I000042-003.
                let code = format!("I{id:06}-{next:03}");
                next += 1;
                let barcode =
                    Barcode::parse(&code).map_err(|e| StoreError::Internal(anyhow::anyhow!("{code}: {e}")))?;
                let taken = tx.opt(sql("SELECT id FROM copies WHERE barcode = ?").bind(barcode.as_str())).await?;
                if taken.is_none() {
                    self.insert_copy(tx, id, &barcode, b.location.as_ref().map(|l| l.as_str()), "available", None, run)
                        .await?;
                    batch.copies_created += 1;
                    made += 1;
                }
            }
        }
        Ok(())
    }

    /// The code of the collection type called `name` (by name, any case, or by code), created
    /// when there is none (its code made of the name: `Buku Paket` → `buku-paket`; lent when
    /// `loanable`, read in the library only otherwise).
    async fn type_by_name(&self, tx: &mut Tx, name: &str, loanable: bool, batch: &mut Batch) -> Result<String> {
        let code = type_code_of(name);
        let found = tx
            .opt(
                sql("SELECT code FROM collection_types WHERE LOWER(name) = LOWER(?) OR code = ? ORDER BY code LIMIT 1")
                    .bind(name)
                    .bind(&code),
            )
            .await?;
        if let Some(r) = found {
            return Ok(r.decode::<(String,)>()?.0);
        }
        tx.exec(
            sql("INSERT INTO collection_types (code, name, loanable) VALUES (?, ?, ?)")
                .bind(&code)
                .bind(name)
                .bind(loanable),
        )
        .await?;
        batch.collection_types_created += 1;
        Ok(code)
    }

    /// Adds a copy; `run` is the import run that adds it.
    #[allow(clippy::too_many_arguments)]
    async fn insert_copy(
        &self,
        tx: &mut Tx,
        book_id: i64,
        barcode: &Barcode,
        location: Option<&str>,
        status: &str,
        price: Option<i64>,
        run: Option<i64>,
    ) -> Result<()> {
        let at = self.now();
        let class = tx.dialect().ddc_class_of("classification");
        tx.exec(
            sql(format!(
                "INSERT INTO copies (book_id, barcode, location, status, price, created_at, updated_at, ddc_class, import_id) \
                 SELECT id, ?, ?, ?, ?, ?, ?, {class}, ? FROM books WHERE id = ?"
            ))
            .bind(barcode.as_str())
            .bind(location)
            .bind(status)
            .bind(price)
            .bind(at)
            .bind(at)
            .bind(run)
            .bind(book_id),
        )
        .await
        .map_err(|e| StoreError::duplicate(e, "barcode", "another copy already has this barcode"))?;
        Ok(())
    }

    /// Imports members; categories are mapped with `map` (lower-cased sheet name → code), then
    /// by code or name, else `default`.
    pub async fn import_members(
        &self,
        actor: &Actor,
        members: &[MemberIn],
        map: &HashMap<String, String>,
        default: Option<&str>,
        report: &mut Report,
        progress: impl FnMut(usize, usize),
    ) -> Result<()> {
        self.import_members_creating(actor, members, map, default, &[], report, progress).await
    }

    /// [`Store::import_members`] with categories made for the import (a SLiMS member type that
    /// no map names): each is created, with an audit line, in the first batch's transaction
    /// unless its code is there already (so a dry run, rolled back, creates none), and members
    /// whose category names one of them by name are put in it.
    #[allow(clippy::too_many_arguments)]
    pub async fn import_members_creating(
        &self,
        actor: &Actor,
        members: &[MemberIn],
        map: &HashMap<String, String>,
        default: Option<&str>,
        creating: &[Category],
        report: &mut Report,
        mut progress: impl FnMut(usize, usize),
    ) -> Result<()> {
        let mut categories = self.check_member_options(map, default).await?;
        categories.extend(creating.iter().map(|c| (c.code.clone(), c.name.clone())));
        in_batches!(self, members, report, progress, (actor.clone(), "import.members"), |tx, chunk, batch| {
            for c in creating {
                if tx.opt(sql("SELECT code FROM categories WHERE code = ?").bind(&c.code)).await?.is_none() {
                    self.insert_category(&mut tx, c).await?;
                    self.audit(&mut tx, actor, "category.create", "category", 0, c.code.clone()).await?;
                }
            }
            for m in chunk {
                match resolve_category(m.category.as_deref(), map, &categories, default) {
                    Ok(code) => self.import_member(&mut tx, m, &code, &mut batch).await?,
                    Err(reason) => batch.errors.push(RowError::at(m.line, m.record.as_ref(), "category", reason)),
                }
            }
        });
        Ok(())
    }

    /// The member a row of members is, if registered: by the card, else by another number
    /// (NIS, NISN, a SLiMS id, an old card), else by source id, else by name and date of birth
    /// (one member only). `Err` with the row's error when its numbers belong to two members.
    async fn known_member(&self, tx: &mut Tx, m: &MemberIn) -> Result<Result<Option<KnownMember>, RowError>> {
        const COLUMNS: &str = "SELECT id, grade, birth_date FROM members";
        let mut found: Option<KnownMember> = match &m.card {
            Some(card) => tx
                .opt(sql(format!("{COLUMNS} WHERE card_number = ?")).bind(card.as_str()))
                .await?
                .map(|r| r.decode())
                .transpose()?,
            None => None,
        };
        let mut owners = Vec::new();
        for n in &m.numbers {
            let owner =
                tx.opt(sql("SELECT member_id FROM member_numbers WHERE number = ?").bind(n.number.as_str())).await?;
            if let Some(owner) = owner {
                owners.push((n, owner.decode::<(i64,)>()?.0));
            }
        }
        if found.is_none() {
            if let Some((_, id)) = owners.first() {
                found =
                    tx.opt(sql(format!("{COLUMNS} WHERE id = ?")).bind(*id)).await?.map(|r| r.decode()).transpose()?;
            }
        }
        if found.is_none() {
            if let Some(source) = &m.source_id {
                found = tx
                    .opt(sql(format!("{COLUMNS} WHERE source_id = ?")).bind(source))
                    .await?
                    .map(|r| r.decode())
                    .transpose()?;
            }
        }
        if found.is_none() {
            if let Some(born) = m.birth_date {
                let rows = tx
                    .all(
                        sql(format!("{COLUMNS} WHERE LOWER(name) = ? AND birth_date = ? LIMIT 2"))
                            .bind(m.name.as_str().to_lowercase())
                            .bind(born),
                    )
                    .await?;
                if rows.len() == 1 {
                    found = Some(rows[0].decode()?);
                }
            }
        }
        if let Some(f) = &found {
            if let Some((n, _)) = owners.iter().find(|(_, owner)| *owner != f.id) {
                return Ok(Err(RowError::at(
                    m.line,
                    m.record.as_ref(),
                    n.field,
                    format!("{} is already a number of another member", n.number),
                )));
            }
        }
        Ok(Ok(found))
    }

    /// The library's categories as (code, name), once the category map (`categories`) and the
    /// default category (`default_category`) are known to name only categories there are: an
    /// `Invalid` naming the field and the categories there are otherwise, checked before an
    /// import starts (the page's import answers 422 at once).
    pub async fn check_member_options(
        &self,
        map: &HashMap<String, String>,
        default: Option<&str>,
    ) -> Result<Vec<(String, String)>> {
        let categories = self.category_names().await?;
        let there_are = || categories.iter().map(|(c, _)| c.as_str()).collect::<Vec<_>>().join(", ");
        if let Some(d) = default {
            if !categories.iter().any(|(c, _)| c == d) {
                return Err(StoreError::invalid(
                    "default_category",
                    ValidationError::new(
                        "unknown_category",
                        format!("there is no category {d:?}; the categories are {}", there_are()),
                    ),
                ));
            }
        }
        let mut wrong: Vec<_> = map.iter().filter(|(_, code)| !categories.iter().any(|(c, _)| c == *code)).collect();
        wrong.sort();
        if let Some((old, code)) = wrong.first() {
            return Err(StoreError::invalid(
                "categories",
                ValidationError::new(
                    "unknown_category",
                    format!(
                        "{old:?} is mapped to {code:?}, which is not a category; the categories are {}",
                        there_are()
                    ),
                ),
            ));
        }
        Ok(categories)
    }

    async fn import_member(&self, tx: &mut Tx, m: &MemberIn, category: &str, batch: &mut Batch) -> Result<()> {
        let found = match self.known_member(tx, m).await? {
            Ok(found) => found,
            Err(e) => {
                batch.errors.push(e);
                return Ok(());
            }
        };
        if let Some(found) = found {
            batch.members_existing += 1;
            // What a sheet changes about a member already registered: their class, so that next
            // year's class lists move everyone up; their date of birth, when a corrected list
            // has it; and the numbers they are known by, added.
            if let Some(grade) = &m.grade {
                if found.grade.as_deref() != Some(grade.as_str()) {
                    tx.exec(
                        sql("UPDATE members SET grade = ?, updated_at = ? WHERE id = ?")
                            .bind(grade.as_str())
                            .bind(self.now())
                            .bind(found.id),
                    )
                    .await?;
                    batch.members_regraded += 1;
                }
            }
            if let Some(born) = m.birth_date.filter(|b| found.birth_date != Some(*b)) {
                tx.exec(
                    sql("UPDATE members SET birth_date = ?, updated_at = ? WHERE id = ?")
                        .bind(born)
                        .bind(self.now())
                        .bind(found.id),
                )
                .await?;
                batch.members_corrected += 1;
            }
            self.add_numbers(tx, found.id, m, batch).await?;
            return Ok(());
        }
        let at = self.now();
        let mut id = None;
        for attempt in 0..5 {
            let card = match &m.card {
                Some(c) if attempt == 0 => c.clone(),
                Some(_) => break,
                None => CardNumber::generate(&mut card_rng(m, attempt)),
            };
            let r = tx
                .exec(
                    sql("INSERT INTO members (card_number, name, email, phone, category, grade, expires_on, blocked, source_id, created_at, updated_at, birth_date) \
                         VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)")
                        .bind(card.as_str())
                        .bind(m.name.as_str())
                        .bind(m.email.as_ref().map(|e| e.as_str()))
                        .bind(m.phone.as_ref().map(|p| p.as_str()))
                        .bind(category)
                        .bind(m.grade.as_ref().map(|g| g.as_str()))
                        .bind(m.expires_on)
                        .bind(false)
                        .bind(m.source_id.as_deref())
                        .bind(at)
                        .bind(at)
                        .bind(m.birth_date),
                )
                .await;
            match r {
                Ok(done) => {
                    id = Some(done.last_id);
                    if m.card.is_none() {
                        if let Some(n) = &m.number {
                            batch.new_cards.push((n.clone(), card.as_str().to_owned()));
                        }
                    }
                    break;
                }
                Err(e) => match StoreError::duplicate(e, "card_number", "") {
                    StoreError::Duplicate { .. } => continue,
                    e => return Err(e),
                },
            }
        }
        let Some(id) = id else {
            batch.errors.push(RowError::at(
                m.line,
                m.record.as_ref(),
                "card_number",
                "no free card number could be issued; run the import again",
            ));
            return Ok(());
        };
        batch.members_created += 1;
        self.add_numbers(tx, id, m, batch).await?;
        if batch.members.len() < PREVIEW {
            let row = tx.opt(sql(format!("SELECT {MEMBER_COLUMNS} FROM members m WHERE m.id = ?")).bind(id)).await?;
            if let Some(row) = row {
                batch.members.push(member(&row)?);
            }
        }
        Ok(())
    }
}

/// Where a new member's card number comes from: a generator seeded by who the member is (the
/// sheet's source id or number, else their name, date of birth and line) and the attempt, not a
/// random one. A dry run is the real run rolled back, so it issues exactly the cards the real run
/// will issue when nothing else happened in between (a card taken meanwhile moves that member to
/// the next attempt's number in both). A card number is printed on the card and scanned, not a
/// secret; nothing is reserved by a dry run, so nothing needs giving back.
fn card_rng(m: &MemberIn, attempt: u32) -> rand::rngs::StdRng {
    use rand::SeedableRng;
    use sha2::{Digest, Sha256};
    let mut h = Sha256::new();
    h.update(b"pustaka new card\0");
    match m.source_id.as_deref().or(m.number.as_deref()) {
        Some(id) => h.update(id.as_bytes()),
        None => {
            h.update(m.name.as_str().as_bytes());
            h.update(format!("\0{:?}\0{}", m.birth_date, m.line).as_bytes());
        }
    }
    h.update(attempt.to_le_bytes());
    rand::rngs::StdRng::from_seed(h.finalize().into())
}

impl Store {
    /// Gives member `id` the row's other numbers they do not have yet (none of them is another
    /// member's: [`Store::known_member`] saw to that).
    async fn add_numbers(&self, tx: &mut Tx, id: i64, m: &MemberIn, batch: &mut Batch) -> Result<()> {
        for n in &m.numbers {
            if self.add_number_in(tx, id, n.kind, &n.number, n.field).await? {
                batch.numbers_created += 1;
            }
        }
        Ok(())
    }
}

impl Report {
    /// The report for a person at a terminal, in `lang` (Bahasa Indonesia by default in the
    /// command line). The rows' reasons are translated before (`import::words::localise`); the
    /// mappings and SLiMS's record names (`biblio 4`, `member M0001`) stay as they are.
    pub fn to_text(&self, lang: Language) -> String {
        use std::fmt::Write;
        let id = lang == Language::Id;
        let w = |indonesian: &'static str, english: &'static str| if id { indonesian } else { english };
        let place = |e: &RowError| match &e.record {
            Some(r) => r.clone(),
            None => format!("{} {}", w("baris", "line"), e.line),
        };
        let mut out = String::new();
        let would = if self.dry_run {
            w("UJI COBA, tidak ada yang ditulis. Akan menjadi: ", "DRY RUN, nothing was written. Would be: ")
        } else {
            ""
        };
        let _ = writeln!(out, "{would}{} {}", self.rows, w("baris dibaca", "rows read"));
        if self.header_line > 1 {
            let _ = match lang {
                Language::Id => {
                    writeln!(out, "judul kolom ditemukan di baris {} (baris di atasnya dilewati)", self.header_line)
                }
                Language::En => {
                    writeln!(out, "header found on line {} (the lines above it left out)", self.header_line)
                }
            };
        }
        if self.rows_skipped > 0 {
            let _ = match lang {
                Language::Id => writeln!(
                    out,
                    "{} baris di bawah judul kolom bukan data (jumlah, catatan): dilewati",
                    self.rows_skipped
                ),
                Language::En => {
                    writeln!(
                        out,
                        "{} rows below the header are not records (totals, notes): left out",
                        self.rows_skipped
                    )
                }
            };
        }
        let books = self.books_created + self.books_existing > 0;
        for (what, created, existing) in [
            (w("buku", "books"), self.books_created, self.books_existing),
            (w("eksemplar", "copies"), self.copies_created, self.copies_existing),
            (w("anggota", "members"), self.members_created, self.members_existing),
            (w("pinjaman berjalan", "open loans"), self.loans_created, self.loans_existing),
            (
                w("pinjaman lalu (sudah kembali)", "past loans (returned)"),
                self.past_loans_created,
                self.past_loans_existing,
            ),
            (w("kunjungan (buku tamu)", "visits (visitor log)"), self.visits_created, self.visits_existing),
            (w("denda belum dibayar", "unpaid fines"), self.fines_created, self.fines_existing),
        ] {
            // Books come with their copies: a books import without any says so.
            if created + existing > 0 || (what == w("eksemplar", "copies") && books) {
                let _ = match lang {
                    Language::Id => writeln!(out, "{what}: {created} baru, {existing} sudah ada (tidak diubah)"),
                    Language::En => writeln!(out, "{what}: {created} new, {existing} already there (unchanged)"),
                };
            }
        }
        if self.members_regraded > 0 {
            let _ = writeln!(
                out,
                "{}: {}",
                w("anggota yang pindah ke kelas yang tertulis di berkas", "members moved to the class the file names"),
                self.members_regraded
            );
        }
        if self.members_corrected > 0 {
            let _ = writeln!(
                out,
                "{}: {}",
                w("anggota yang tanggal lahirnya diperbaiki berkas", "members whose date of birth the file corrected"),
                self.members_corrected
            );
        }
        if self.copies_typed > 0 || self.collection_types_created > 0 {
            let _ = match lang {
                Language::Id => writeln!(
                    out,
                    "eksemplar dengan jenis koleksi: {} ({} hanya dibaca di tempat); jenis koleksi dibuat: {}",
                    self.copies_typed, self.copies_not_for_loan, self.collection_types_created
                ),
                Language::En => writeln!(
                    out,
                    "copies with a collection type: {} ({} read in the library only); collection types created: {}",
                    self.copies_typed, self.copies_not_for_loan, self.collection_types_created
                ),
            };
        }
        if self.numbers_created > 0 {
            let _ = writeln!(
                out,
                "{}: {}",
                w(
                    "nomor lain anggota disimpan (NIS, NISN, kartu lama)",
                    "other member numbers kept (NIS, NISN, old cards)"
                ),
                self.numbers_created
            );
        }
        if !self.ignored_columns.is_empty() {
            let _ = writeln!(out, "{}: {}", w("kolom dilewati", "columns left out"), self.ignored_columns.join(", "));
        }
        for b in &self.preview_books {
            let _ = writeln!(
                out,
                "  {}: {} / {} / ISBN {} / {} / {} {}",
                w("buku", "book"),
                b.title,
                b.authors.join("; "),
                b.isbn.as_deref().unwrap_or("-"),
                b.year.map_or("-".to_owned(), |y| y.to_string()),
                w("nomor panggil", "call number"),
                b.call_number.as_deref().unwrap_or("-")
            );
        }
        for m in &self.preview_members {
            let _ = writeln!(
                out,
                "  {}: {} / {} {} / {} / {} {} / {} {}",
                w("anggota", "member"),
                m.name,
                w("kartu", "card"),
                m.card_number,
                m.category,
                w("kelas", "class"),
                m.grade.as_deref().unwrap_or("-"),
                w("dari", "from"),
                m.source_id.as_deref().unwrap_or("-")
            );
        }
        for (old, card) in &self.new_cards {
            let _ = writeln!(out, "  {}: {old} -> {card}", w("kartu baru", "new card"));
        }
        if !self.reconciliation.is_empty() {
            let _ = writeln!(
                out,
                "{}",
                w(
                    "rekonsiliasi, SLiMS = Pustaka + tidak diimpor + digabung:",
                    "reconciliation, SLiMS = Pustaka + not imported + merged:"
                )
            );
            for r in &self.reconciliation {
                let verdict = match (r.balanced, lang) {
                    (true, _) => w("sama", "equal").to_owned(),
                    (false, Language::Id) => {
                        format!("SELISIH {} tanpa penjelasan", r.source - r.pustaka - r.refused - r.merged)
                    }
                    (false, Language::En) => {
                        format!("DIFFERENCE of {} not explained", r.source - r.pustaka - r.refused - r.merged)
                    }
                };
                let what = match (r.what.as_str(), lang) {
                    (_, Language::En) => r.what.as_str(),
                    ("records", _) => "bibliografi",
                    ("items", _) => "eksemplar",
                    ("members", _) => "anggota",
                    ("open loans", _) => "pinjaman berjalan",
                    ("past loans", _) => "pinjaman lalu",
                    ("visits", _) => "kunjungan",
                    ("unpaid fines (Rp)", _) => "denda belum dibayar (Rp)",
                    (other, _) => other,
                };
                let _ =
                    writeln!(out, "  {what}: {} = {} + {} + {}: {verdict}", r.source, r.pustaka, r.refused, r.merged);
            }
        }
        for m in &self.mappings {
            let _ = writeln!(out, "  {}: {m}", w("pemetaan", "mapping"));
        }
        if !self.warnings.is_empty() {
            let _ = writeln!(
                out,
                "{} {}",
                self.warnings.len(),
                w("baris diimpor dengan perbaikan", "rows imported with a repair")
            );
        }
        for e in &self.warnings {
            let _ = writeln!(out, "  {}: {}: {}", place(e), e.field, e.reason);
        }
        let _ = writeln!(out, "{} {}", self.errors.len(), w("baris tidak diimpor", "rows not imported"));
        for e in &self.errors {
            let _ = writeln!(out, "  {}: {}: {}", place(e), e.field, e.reason);
        }
        out
    }
}

/// Rows per multi-row `INSERT` (and ids per `IN` list) of an import's bulk path.
const INSERT_ROWS: usize = 500;

/// Whether a barcode (lower-cased) could be one [`Store::generate_copies`] makes: `i`, digits, `-`, digits.
fn looks_generated(code: &str) -> bool {
    let Some((book, n)) = code.strip_prefix('i').and_then(|r| r.split_once('-')) else { return false };
    !book.is_empty()
        && !n.is_empty()
        && book.bytes().all(|c| c.is_ascii_digit())
        && n.bytes().all(|c| c.is_ascii_digit())
}

/// The rows of `select` (`SELECT key, id, text FROM … WHERE key IN`) for `keys`, by key; `None`
/// when the database matched a key to a row spelling it otherwise (MariaDB's collation).
async fn known_keys(
    tx: &mut Tx,
    select: &str,
    keys: &[&str],
) -> Result<Option<HashMap<String, (i64, Option<String>)>>> {
    let mut found = HashMap::new();
    for part in keys.chunks(INSERT_ROWS) {
        let q = sql(format!("{select} ({})", vec!["?"; part.len()].join(", ")));
        let asked: HashSet<&str> = part.iter().copied().collect();
        for r in tx.all(part.iter().fold(q, |q, k| q.bind(*k))).await? {
            let (key, id, text): (String, i64, Option<String>) = r.decode()?;
            if !asked.contains(key.as_str()) {
                return Ok(None);
            }
            found.insert(key, (id, text));
        }
    }
    Ok(Some(found))
}

/// The most copies one row's copies column may ask for.
pub const MAX_COPIES_PER_ROW: u32 = 500;

/// One line of a SLiMS import's reconciliation: what SLiMS holds against what Pustaka has of it.
/// Balanced when `source` = `pustaka` + `refused` + `merged`: every difference is a row listed
/// among those not imported (with its reason) or a record joined with another.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, ToSchema)]
pub struct Reconciled {
    /// `records`, `items`, `members`, `open loans`, `past loans`, `visits`, `unpaid fines (Rp)`.
    pub what: String,
    /// In SLiMS.
    pub source: i64,
    /// In Pustaka: brought over by this run, or there already from an earlier one.
    pub pustaka: i64,
    /// Listed among the rows not imported.
    pub refused: i64,
    /// Joined with another (two SLiMS records with one ISBN are one book).
    pub merged: i64,
    pub balanced: bool,
}

impl Reconciled {
    pub fn new(what: &str, source: i64, pustaka: i64, refused: i64, merged: i64) -> Self {
        let balanced = source == pustaka + refused + merged;
        Self { what: what.to_owned(), source, pustaka, refused, merged, balanced }
    }
}

/// Why one row (or one field of it) was not imported.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, ToSchema)]
pub struct RowError {
    /// The line (CSV) or row (XLSX) number in the file, the header being 1; 0 for a record of a
    /// database (see `record`).
    pub line: usize,
    /// The record of a database import at fault, e.g. `biblio 42`, `item 7`, `member M0001`.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub record: Option<String>,
    /// The field at fault (Pustaka's name for it, e.g. `isbn`, `barcode`).
    pub field: String,
    /// Why, in English.
    pub reason: String,
}

impl RowError {
    pub fn new(line: usize, field: &str, reason: impl Into<String>) -> Self {
        Self { line, record: None, field: field.to_owned(), reason: reason.into() }
    }

    /// Where the row is: `line 12`, or its record (`biblio 42`).
    pub fn place(&self) -> String {
        self.record.clone().unwrap_or_else(|| format!("line {}", self.line))
    }

    /// An error about a field of a row (`line`) or of a database record (`record`).
    pub fn at(line: usize, record: Option<&String>, field: &str, reason: impl Into<String>) -> Self {
        Self { line, record: record.cloned(), field: field.to_owned(), reason: reason.into() }
    }

    pub fn from_validation(line: usize, field: &str, e: ValidationError) -> Self {
        Self::new(line, field, e.message)
    }
}

/// What an import did (or, in a dry run, would do).
#[derive(Debug, Default, Serialize, ToSchema)]
pub struct Report {
    pub dry_run: bool,
    /// The line (CSV) or row (XLSX) of the header found: the first row with two known column
    /// names, below any title rows (0 for a database import).
    pub header_line: usize,
    /// Records read (the header, title rows above it and the rows in `rows_skipped` not counted).
    pub rows: usize,
    /// Rows below the header that are not records: totals rows (`JUMLAH`, `Total`), notes and
    /// signatures below the list.
    pub rows_skipped: usize,
    pub books_created: u64,
    /// Books already in the catalogue (by source id or ISBN): kept as they are.
    pub books_existing: u64,
    pub copies_created: u64,
    /// Barcodes already on that book.
    pub copies_existing: u64,
    pub members_created: u64,
    /// Members already registered (by card number or source id): kept as they are, but for
    /// their class (see `members_regraded`).
    pub members_existing: u64,
    /// Members already registered whose class (kelas) the sheet changed: the yearly move up a
    /// class is a re-import of the class lists. A blank class in the sheet changes nothing.
    pub members_regraded: u64,
    /// Members already registered whose date of birth the sheet corrected.
    pub members_corrected: u64,
    /// Other numbers (NIS, NISN, a SLiMS member id, an old card) given to members, new or
    /// already registered: the desk, the kiosk and the search take them like the card.
    pub numbers_created: u64,
    /// Collection types the import created (a SLiMS collection type or GMD, a sheet's `Jenis
    /// Koleksi`, that was not there by name).
    pub collection_types_created: u64,
    /// New copies with a collection type (their book's or their own).
    pub copies_typed: u64,
    /// New copies read in the library only (SLiMS "No Loan": their own type `Referensi`).
    pub copies_not_for_loan: u64,
    /// Open loans brought over (SLiMS).
    pub loans_created: u64,
    /// Open loans already there (the copy already on loan to that member).
    pub loans_existing: u64,
    /// Returned loans brought over (SLiMS's loan history, with their dates): reports of past
    /// months and a member's history start from them.
    pub past_loans_created: u64,
    /// Returned loans already brought over by an earlier run.
    pub past_loans_existing: u64,
    /// Visits of the visitor log brought over (SLiMS's `visitor_count`): the visits report of
    /// past months starts from them.
    pub visits_created: u64,
    /// Visits already brought over by an earlier run.
    pub visits_existing: u64,
    /// A SLiMS import's reconciliation, SLiMS against Pustaka (empty for a sheet).
    pub reconciliation: Vec<Reconciled>,
    /// Unpaid balances brought over as fines (SLiMS).
    pub fines_created: u64,
    /// Balances already brought over by an earlier run.
    pub fines_existing: u64,
    /// What the import mapped and how (SLiMS member types to categories, item statuses).
    pub mappings: Vec<String>,
    /// Rows imported with a repair worth knowing about (a value left out, a record merged).
    pub warnings: Vec<RowError>,
    /// Columns the import does not know, left out.
    pub ignored_columns: Vec<String>,
    /// Every row, or field of a row, that was not imported, and why.
    pub errors: Vec<RowError>,
    /// The first books as stored (or as they would be stored).
    pub preview_books: Vec<Book>,
    /// The first members as stored (or as they would be stored).
    pub preview_members: Vec<Member>,
    /// Members whose number in the sheet was not a Pustaka card number: old number → new card.
    pub new_cards: Vec<(String, String)>,
    /// This run's number (not in a dry run): the copies it added carry it, and
    /// `POST /print/labels` with `{"import_id": …}` prints their labels.
    pub import_id: Option<i64>,
    /// Errors left out of `errors` (a job's stored report keeps the first [`REPORT_KEEPS`]).
    #[serde(skip_serializing_if = "is_zero")]
    pub errors_omitted: usize,
    /// Warnings left out of `warnings`, likewise.
    #[serde(skip_serializing_if = "is_zero")]
    pub warnings_omitted: usize,
}

fn is_zero(n: &usize) -> bool {
    *n == 0
}

impl Report {
    /// The report with at most `keep` errors and `keep` warnings (the first ones, by line), the
    /// rest counted in `errors_omitted` and `warnings_omitted`: what an import job stores, so that
    /// a sheet of a million bad rows is not a report of a million errors that every poll of the
    /// job reads again.
    pub fn capped(mut self, keep: usize) -> Self {
        if self.errors.len() > keep {
            self.errors_omitted += self.errors.len() - keep;
            self.errors.truncate(keep);
            self.errors.shrink_to_fit();
        }
        if self.warnings.len() > keep {
            self.warnings_omitted += self.warnings.len() - keep;
            self.warnings.truncate(keep);
            self.warnings.shrink_to_fit();
        }
        self
    }
}

/// How many errors (and warnings) an import job's stored report keeps.
pub const REPORT_KEEPS: usize = 1_000;

/// How many records a report's previews keep.
pub const PREVIEW: usize = 5;

/// One copy a sheet names.
#[derive(Debug, Clone)]
pub struct CopyIn {
    pub line: usize,
    /// The database record it came from (e.g. `item 7`).
    pub record: Option<String>,
    pub barcode: Barcode,
    pub location: Option<ShortText>,
    /// `available` when not given.
    pub status: Option<&'static str>,
    /// Rupiah.
    pub price: Option<i64>,
    /// Its collection type by name (SLiMS's collection type or GMD, a sheet's `Jenis Koleksi`):
    /// the copy's own where it differs from its book's.
    pub collection_type: Option<String>,
    /// Read in the library only (SLiMS "No Loan"): its `collection_type` is then `Referensi`.
    pub not_for_loan: bool,
}

/// A collection type's code made of its name: lower-case letters and digits, `-` between words,
/// at most 32 characters (`Buku Paket` → `buku-paket`); `jenis` for a name without any.
pub fn type_code_of(name: &str) -> String {
    let mut code = String::new();
    for c in name.trim().chars().flat_map(char::to_lowercase) {
        if c.is_ascii_alphanumeric() {
            code.push(c);
        } else if !code.is_empty() && !code.ends_with('-') {
            code.push('-');
        }
    }
    let code: String = code.trim_end_matches('-').chars().take(32).collect();
    let code = code.trim_end_matches('-').to_owned();
    if code.is_empty() {
        "jenis".to_owned()
    } else {
        code
    }
}

/// One book of a sheet, with the copies its rows name.
#[derive(Debug)]
pub struct BookIn {
    /// The line of the book's first row.
    pub line: usize,
    /// The database record it came from (e.g. `biblio 42`).
    pub record: Option<String>,
    pub book: NewBook,
    /// Copies by barcode.
    pub copies: Vec<CopyIn>,
    /// Copies without barcodes a copies column asks for: the book has at least this many
    /// copies afterwards (counting those it had), new ones get generated barcodes.
    pub at_least: u32,
    /// The location for generated copies.
    pub location: Option<ShortText>,
    /// The book's collection type by name (made when there is none by that name or code).
    pub collection_type: Option<String>,
}

/// One member of a sheet.
#[derive(Debug)]
pub struct MemberIn {
    pub line: usize,
    /// The database record it came from (e.g. `member M0001`).
    pub record: Option<String>,
    /// The sheet's number, when it is a valid Pustaka card number.
    pub card: Option<CardNumber>,
    /// How the member is known otherwise (`sheet:NUMBER`, or a digest when there is no number).
    pub source_id: Option<String>,
    /// The sheet's own number, as written.
    pub number: Option<String>,
    pub name: PersonName,
    /// The category as the sheet writes it; the store maps it to a category code.
    pub category: Option<String>,
    /// The class (kelas), when the sheet has one: a member already registered gets it too
    /// (students move up a class every year).
    pub grade: Option<Grade>,
    /// Date of birth: kept, and with the name how a member without numbers is found again.
    pub birth_date: Option<NaiveDate>,
    /// Other numbers the member is known by (NIS, NISN, a SLiMS id, an old card).
    pub numbers: Vec<NumberIn>,
    pub email: Option<Email>,
    pub phone: Option<Phone>,
    pub expires_on: Option<NaiveDate>,
}

/// Another number of a member's, from a sheet or SLiMS.
#[derive(Debug, Clone)]
pub struct NumberIn {
    pub kind: NumberKind,
    pub number: MemberNumber,
    /// The field it came from, named in the row's error when another member has it.
    pub field: &'static str,
}

/// Which category code a sheet's category names, given the map from `--category`, the codes
/// and the names of the library's categories (a name like `Siswa / Mahasiswa` answers to each
/// part); `default` when the sheet names none.
pub fn resolve_category(
    given: Option<&str>,
    map: &HashMap<String, String>,
    categories: &[(String, String)],
    default: Option<&str>,
) -> Result<String, String> {
    let Some(given) = given else {
        return default
            .map(str::to_owned)
            .ok_or_else(|| "the row has no category; give one, or a default with --default-category".to_owned());
    };
    let g = given.trim().to_lowercase();
    if let Some(code) = map.get(&g) {
        return Ok(code.clone());
    }
    for (code, name) in categories {
        let parts: HashSet<String> = name.split('/').map(|p| p.trim().to_lowercase()).collect();
        if code.to_lowercase() == g || name.to_lowercase() == g || parts.contains(&g) {
            return Ok(code.clone());
        }
    }
    Err(format!(
        "unknown category {given:?}; map it to a category's code (a sheet: --category \"{given}=CODE\"; \
         SLiMS: a line `{given} = CODE` in the --category-map file)"
    ))
}
