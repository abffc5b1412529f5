//! Applying an import: the records [`crate::import`] read from a file, written in batches of
//! transactions, each batch with one audit-log line of its counts. A batch is written whole or
//! not at all, so an interrupted import leaves whole batches behind, and running it again
//! finds what they wrote (books by source id or ISBN, copies by barcode, members by card
//! number or source id) and changes nothing there. A dry run does every batch's work and rolls
//! it back.

use std::collections::HashMap;

use super::{
    catalogue::book,
    db::{sql, Tx},
    error::{Result, StoreError},
    members::{member, MEMBER_COLUMNS},
    Actor, Store,
};
use crate::{
    domain::{Barcode, CardNumber},
    import::{resolve_category, BookIn, MemberIn, Report, RowError, PREVIEW},
    model::Book,
};

/// Books (or members) written per transaction.
pub const BATCH: usize = 200;

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
    pub(super) loans_created: u64,
    pub(super) loans_existing: u64,
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
        r.loans_created += self.loans_created;
        r.loans_existing += self.loans_existing;
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
        if self.loans_created + self.loans_existing + self.fines_created + self.fines_existing > 0 {
            s.push_str(&format!(
                "; loans {} created, {} existing; fines {} created, {} existing",
                self.loans_created, self.loans_existing, self.fines_created, self.fines_existing
            ));
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
            let batch = if $report.dry_run {
                let mut $tx = $self.db.begin().await?;
                let mut $batch = Batch::default();
                $work;
                drop($tx);
                $batch
            } else {
                crate::transaction!($self.db, |$tx| async {
                    let mut $batch = Batch::default();
                    $work;
                    let summary = $batch.summary();
                    $self.audit(&mut $tx, &$action.0, &format!("{}.batch", $action.1), "import", 0, summary).await?;
                    Ok::<_, StoreError>($batch)
                }
                .await)?
            };
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
                "{detail}; loans {} created, {} existing; fines {} created, {} existing; {} rows with a repair",
                report.loans_created,
                report.loans_existing,
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
        in_batches!(self, books, report, progress, (actor.clone(), "import.books"), |tx, chunk, batch| {
            for b in chunk {
                self.import_book(&mut tx, b, run, &mut batch).await?;
            }
        });
        Ok(())
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
        let (id, created) = match found {
            Some(row) => (row.get::<i64>("id")?, false),
            None => match self.insert_book(tx, &b.book).await {
                Ok(id) => (id, true),
                Err(StoreError::Duplicate { field, detail }) => {
                    batch.errors.push(RowError::at(b.line, b.record.as_ref(), field, detail));
                    return Ok(());
                }
                Err(e) => return Err(e),
            },
        };
        for c in &b.copies {
            let on = tx.opt(sql("SELECT book_id FROM copies WHERE barcode = ?").bind(c.barcode.as_str())).await?;
            match on {
                Some(row) if row.get::<i64>("book_id")? == id => batch.copies_existing += 1,
                Some(row) => batch.errors.push(RowError::at(
                    c.line,
                    c.record.as_ref(),
                    "barcode",
                    format!("barcode {} is already on another book (id {})", c.barcode, row.get::<i64>("book_id")?),
                )),
                None => {
                    let location = c.location.as_ref().map(|l| l.as_str());
                    self.insert_copy(tx, id, &c.barcode, location, c.status.unwrap_or("available"), c.price, run)
                        .await?;
                    batch.copies_created += 1;
                }
            }
        }
        if b.at_least > 0 {
            let row = tx.opt(sql("SELECT COUNT(*) AS n FROM copies WHERE book_id = ?").bind(id)).await?;
            let have = row.map(|r| r.get::<i64>("n")).transpose()?.unwrap_or(0);
            let (mut made, mut next) = (have, have + 1);
            let last = have + 10 * i64::from(crate::import::MAX_COPIES_PER_ROW);
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
        mut progress: impl FnMut(usize, usize),
    ) -> Result<()> {
        let rows = self.db.all(sql("SELECT code, name FROM categories ORDER BY code")).await?;
        let categories = rows
            .iter()
            .map(|r| Ok((r.get::<String>("code")?, r.get::<String>("name")?)))
            .collect::<Result<Vec<_>>>()?;
        if let Some(d) = default {
            if !categories.iter().any(|(c, _)| c == d) {
                return Err(StoreError::invalid(
                    "default_category",
                    crate::domain::ValidationError::new("unknown_category", format!("there is no category {d:?}")),
                ));
            }
        }
        if let Some((old, code)) = map.iter().find(|(_, code)| !categories.iter().any(|(c, _)| c == *code)) {
            return Err(StoreError::invalid(
                "category",
                crate::domain::ValidationError::new(
                    "unknown_category",
                    format!("{old:?} is mapped to {code:?}, which is not a category"),
                ),
            ));
        }
        in_batches!(self, members, report, progress, (actor.clone(), "import.members"), |tx, chunk, batch| {
            for m in chunk {
                match resolve_category(m.category.as_deref(), map, &categories, default) {
                    Ok(code) => self.import_member(&mut tx, m, &code, &mut batch).await?,
                    Err(reason) => batch.errors.push(RowError::at(m.line, m.record.as_ref(), "category", reason)),
                }
            }
        });
        Ok(())
    }

    async fn import_member(&self, tx: &mut Tx, m: &MemberIn, category: &str, batch: &mut Batch) -> Result<()> {
        let found = match (&m.card, &m.source_id) {
            (Some(card), _) => {
                tx.opt(sql("SELECT id, grade FROM members WHERE card_number = ?").bind(card.as_str())).await?
            }
            (None, Some(source)) => {
                tx.opt(sql("SELECT id, grade FROM members WHERE source_id = ?").bind(source)).await?
            }
            (None, None) => None,
        };
        if let Some(row) = found {
            batch.members_existing += 1;
            // The one thing a sheet changes about a member already registered: their class, so
            // that next year's class lists move everyone up.
            if let Some(grade) = &m.grade {
                if row.get::<Option<String>>("grade")?.as_deref() != Some(grade.as_str()) {
                    tx.exec(
                        sql("UPDATE members SET grade = ?, updated_at = ? WHERE id = ?")
                            .bind(grade.as_str())
                            .bind(self.now())
                            .bind(row.get::<i64>("id")?),
                    )
                    .await?;
                    batch.members_regraded += 1;
                }
            }
            return Ok(());
        }
        let at = self.now();
        let mut id = None;
        for attempt in 0..5 {
            let card = match &m.card {
                Some(c) if attempt == 0 => c.clone(),
                Some(_) => break,
                None => CardNumber::generate(&mut rand::thread_rng()),
            };
            let r = tx
                .exec(
                    sql("INSERT INTO members (card_number, name, email, phone, category, grade, expires_on, blocked, source_id, created_at, updated_at) \
                         VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)")
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
                        .bind(at),
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
        if batch.members.len() < PREVIEW {
            let row = tx.opt(sql(format!("SELECT {MEMBER_COLUMNS} FROM members m WHERE m.id = ?")).bind(id)).await?;
            if let Some(row) = row {
                batch.members.push(member(&row)?);
            }
        }
        Ok(())
    }
}
