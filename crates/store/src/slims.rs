//! The parts of a SLiMS import that spreadsheets do not have: open loans and unpaid fines,
//! written in batches like the rest of an import ([`super::import`]).

use super::{
    db::{sql, Tx},
    error::{Result, StoreError},
    import::{in_batches, Batch, Report, RowError, BATCH},
    Actor, Store,
};
use chrono::NaiveDate;

use crate::domain::{time, Barcode};

/// A category's code and name.
#[derive(sqlx::FromRow)]
struct CategoryName {
    code: String,
    name: String,
}

fn err(record: &str, field: &str, reason: impl Into<String>) -> RowError {
    RowError { line: 0, record: Some(record.to_owned()), field: field.to_owned(), reason: reason.into() }
}

impl Store {
    /// Up to `limit` books with ids above `after`, in id order (exports read the catalogue so).
    pub async fn books_after(&self, after: i64, limit: i64) -> Result<Vec<crate::model::Book>> {
        let rows = self
            .db
            .all(
                sql(format!(
                    "SELECT {} FROM books b WHERE b.id > ? ORDER BY b.id LIMIT ?",
                    super::catalogue::BOOK_COLUMNS
                ))
                .bind(after)
                .bind(limit),
            )
            .await?;
        rows.iter().map(super::catalogue::book).collect()
    }

    /// The library's categories as (code, name).
    pub async fn category_names(&self) -> Result<Vec<(String, String)>> {
        let rows = self.db.all(sql("SELECT code, name FROM categories ORDER BY code")).await?;
        rows.iter()
            .map(|r| {
                let c: CategoryName = r.decode()?;
                Ok((c.code, c.name))
            })
            .collect()
    }

    /// Brings open loans over: the copy goes `on_loan`. A copy already on loan to the same member
    /// is that loan (a second run); to another member, the loan is refused with its reason.
    pub async fn import_loans(
        &self,
        actor: &Actor,
        loans: &[LoanIn],
        report: &mut Report,
        mut progress: impl FnMut(usize, usize),
    ) -> Result<()> {
        let dry_run = report.dry_run;
        in_batches!(self, loans, report, progress, (actor.clone(), "import.loans"), |tx, chunk, batch| {
            for l in chunk {
                self.import_loan(&mut tx, l, dry_run, &mut batch).await?;
            }
        });
        Ok(())
    }

    async fn import_loan(&self, tx: &mut Tx, l: &LoanIn, dry_run: bool, batch: &mut Batch) -> Result<()> {
        // Brought over before (and maybe returned in Pustaka since): left as it is.
        if tx.opt(sql("SELECT id FROM loans WHERE source_id = ?").bind(&l.source_id)).await?.is_some() {
            batch.loans_existing += 1;
            return Ok(());
        }
        let nocase = tx.dialect().nocase();
        let copy =
            tx.opt(sql(format!("SELECT id FROM copies WHERE barcode = ?{nocase}")).bind(l.barcode.as_str())).await?;
        let member = tx.opt(sql("SELECT id FROM members WHERE source_id = ?").bind(&l.member)).await?;
        let (copy, member) = match (copy, member) {
            (Some(c), Some(m)) => (c.decode::<(i64,)>()?.0, m.decode::<(i64,)>()?.0),
            // A dry run rolled the copies and members back; the plan made sure they come over.
            _ if dry_run => {
                batch.loans_created += 1;
                return Ok(());
            }
            (None, _) => {
                batch.errors.push(err(&l.record, "item_code", format!("copy {} is not in Pustaka", l.barcode)));
                return Ok(());
            }
            (_, None) => {
                batch.errors.push(err(&l.record, "member_id", format!("member {} is not in Pustaka", l.member)));
                return Ok(());
            }
        };
        let open =
            tx.opt(sql("SELECT member_id FROM loans WHERE copy_id = ? AND returned_at IS NULL").bind(copy)).await?;
        if let Some(open) = open {
            if open.decode::<(i64,)>()?.0 == member {
                batch.loans_existing += 1;
            } else {
                batch.errors.push(err(
                    &l.record,
                    "item_code",
                    format!("copy {} is already on loan to another member in Pustaka", l.barcode),
                ));
            }
            return Ok(());
        }
        let loaned_at =
            time::end_of_day(l.loaned_on.pred_opt().unwrap_or(l.loaned_on), self.tz()) + chrono::Duration::seconds(1);
        let due_at = time::end_of_day(l.due_on, self.tz());
        tx.exec(
            sql("INSERT INTO loans (copy_id, member_id, loaned_at, due_at, renewals, source_id, book_id, member_category, ddc_class) \
                 SELECT c.id, m.id, ?, ?, ?, ?, c.book_id, m.category, c.ddc_class FROM copies c, members m WHERE c.id = ? AND m.id = ?")
                .bind(loaned_at)
                .bind(due_at)
                .bind(l.renewals)
                .bind(&l.source_id)
                .bind(copy)
                .bind(member),
        )
        .await?;
        tx.exec(sql("UPDATE copies SET status = 'on_loan', updated_at = ? WHERE id = ?").bind(self.now()).bind(copy))
            .await?;
        batch.loans_created += 1;
        Ok(())
    }

    /// Brings each member's unpaid SLiMS balance over as one unpaid fine, known by its note.
    pub async fn import_fines(
        &self,
        actor: &Actor,
        fines: &[FineIn],
        report: &mut Report,
        mut progress: impl FnMut(usize, usize),
    ) -> Result<()> {
        let dry_run = report.dry_run;
        in_batches!(self, fines, report, progress, (actor.clone(), "import.fines"), |tx, chunk, batch| {
            for f in chunk {
                self.import_fine(&mut tx, f, dry_run, &mut batch).await?;
            }
        });
        Ok(())
    }

    async fn import_fine(&self, tx: &mut Tx, f: &FineIn, dry_run: bool, batch: &mut Batch) -> Result<()> {
        let Some(member) = tx.opt(sql("SELECT id FROM members WHERE source_id = ?").bind(&f.member)).await? else {
            if dry_run {
                batch.fines_created += 1;
            } else {
                batch.errors.push(err(&f.record, "member_id", format!("member {} is not in Pustaka", f.member)));
            }
            return Ok(());
        };
        let (member,): (i64,) = member.decode()?;
        let found = tx
            .opt(
                sql("SELECT id FROM fines WHERE member_id = ? AND loan_id IS NULL AND note = ?")
                    .bind(member)
                    .bind(&f.note),
            )
            .await?;
        if found.is_some() {
            batch.fines_existing += 1;
            return Ok(());
        }
        tx.exec(
            sql("INSERT INTO fines (member_id, loan_id, amount, reason, status, paid, note, created_at) \
                 VALUES (?, NULL, ?, 'overdue', 'unpaid', 0, ?, ?)")
            .bind(member)
            .bind(f.amount)
            .bind(&f.note)
            .bind(self.now()),
        )
        .await
        .map_err(StoreError::from)?;
        batch.fines_created += 1;
        Ok(())
    }
}

/// An open loan to bring over.
#[derive(Debug, Clone)]
pub struct LoanIn {
    pub record: String,
    /// `slims:LOAN_ID`.
    pub source_id: String,
    pub barcode: Barcode,
    /// The member's `slims:` source id.
    pub member: String,
    pub loaned_on: NaiveDate,
    pub due_on: NaiveDate,
    pub renewals: i64,
}

/// A member's unpaid balance to bring over.
#[derive(Debug, Clone)]
pub struct FineIn {
    pub record: String,
    pub member: String,
    pub amount: i64,
    pub note: String,
}
