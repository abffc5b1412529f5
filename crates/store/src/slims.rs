//! The parts of a SLiMS import that spreadsheets do not have: loans (open and past), the visitor
//! log and unpaid fines, written in batches like the rest of an import ([`super::import`]).

use super::{
    db::{sql, Tx},
    error::{Result, StoreError},
    import::{in_batches, Batch, Report, RowError, BATCH},
    Actor, Store,
};
use chrono::{NaiveDate, NaiveDateTime};

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
        let past = l.returned_on.is_some();
        // Brought over before (and maybe returned in Pustaka since): left as it is.
        if tx.opt(sql("SELECT id FROM loans WHERE source_id = ?").bind(&l.source_id)).await?.is_some() {
            if past {
                batch.past_loans_existing += 1;
            } else {
                batch.loans_existing += 1;
            }
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
                if past {
                    batch.past_loans_created += 1;
                } else {
                    batch.loans_created += 1;
                }
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
        if let Some(returned_on) = l.returned_on {
            return self.import_past_loan(tx, l, copy, member, returned_on, batch).await;
        }
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

    /// A returned loan of SLiMS's history: stored with its dates (lent, due, returned, each at
    /// the end of its day in the library's time zone, lent one second after the day before's
    /// end); the copy's status is not touched.
    async fn import_past_loan(
        &self,
        tx: &mut Tx,
        l: &LoanIn,
        copy: i64,
        member: i64,
        returned_on: NaiveDate,
        batch: &mut Batch,
    ) -> Result<()> {
        let loaned_at =
            time::end_of_day(l.loaned_on.pred_opt().unwrap_or(l.loaned_on), self.tz()) + chrono::Duration::seconds(1);
        let due_at = time::end_of_day(l.due_on, self.tz());
        let returned_at = time::end_of_day(returned_on, self.tz());
        tx.exec(
            sql("INSERT INTO loans (copy_id, member_id, loaned_at, due_at, returned_at, renewals, source_id, book_id, member_category, ddc_class) \
                 SELECT c.id, m.id, ?, ?, ?, ?, ?, c.book_id, m.category, c.ddc_class FROM copies c, members m WHERE c.id = ? AND m.id = ?")
                .bind(loaned_at)
                .bind(due_at)
                .bind(returned_at)
                .bind(l.renewals)
                .bind(&l.source_id)
                .bind(copy)
                .bind(member),
        )
        .await?;
        batch.past_loans_created += 1;
        Ok(())
    }

    /// Brings the visitor log over: each visit once (known by its `client_id`, `slims:visit:ID`),
    /// at its time in the library's time zone; a member imported is that member (their category
    /// and class as now), anyone else a guest with the name and institution SLiMS wrote.
    pub async fn import_visits(
        &self,
        actor: &Actor,
        visits: &[VisitIn],
        report: &mut Report,
        mut progress: impl FnMut(usize, usize),
    ) -> Result<()> {
        in_batches!(self, visits, report, progress, (actor.clone(), "import.visits"), |tx, chunk, batch| {
            for v in chunk {
                self.import_visit(&mut tx, v, &mut batch).await?;
            }
        });
        Ok(())
    }

    async fn import_visit(&self, tx: &mut Tx, v: &VisitIn, batch: &mut Batch) -> Result<()> {
        if tx.opt(sql("SELECT id FROM visits WHERE client_id = ?").bind(&v.client_id)).await?.is_some() {
            batch.visits_existing += 1;
            return Ok(());
        }
        let at = time::local_to_utc(v.visited_at, self.tz());
        let member = match &v.member {
            Some(source) => {
                tx.opt(sql("SELECT id, category, grade FROM members WHERE source_id = ?").bind(source)).await?
            }
            None => None,
        };
        let (member_id, category, grade, guest) = match member {
            Some(m) => {
                let (id, category, grade): (i64, String, Option<String>) = m.decode()?;
                (Some(id), category, grade, None)
            }
            None => (None, "guest".to_owned(), None, Some(v.name.clone())),
        };
        tx.exec(
            sql("INSERT INTO visits (client_id, visited_at, member_id, category, guest_name, institution, purpose, recorded_by, created_at, grade) \
                 VALUES (?, ?, ?, ?, ?, ?, NULL, 'import', ?, ?)")
                .bind(&v.client_id)
                .bind(at)
                .bind(member_id)
                .bind(category)
                .bind(guest)
                .bind(v.institution.clone())
                .bind(self.now())
                .bind(grade),
        )
        .await?;
        batch.visits_created += 1;
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
                batch.fines_created += f.charges.len() as u64;
            } else {
                batch.errors.push(err(&f.record, "member_id", format!("member {} is not in Pustaka", f.member)));
            }
            return Ok(());
        };
        let (member,): (i64,) = member.decode()?;
        // An earlier Pustaka brought the member's balance over as one fine: that stays, and the
        // ledger is not brought again beside it.
        let balance = tx
            .opt(
                sql("SELECT id FROM fines WHERE member_id = ? AND loan_id IS NULL AND note LIKE ?")
                    .bind(member)
                    .bind(format!("{}%", f.balance_note)),
            )
            .await?;
        if balance.is_some() {
            batch.fines_existing += f.charges.len() as u64;
            return Ok(());
        }
        for c in &f.charges {
            let found = tx
                .opt(
                    sql("SELECT id FROM fines WHERE member_id = ? AND loan_id IS NULL AND (note = ? OR note LIKE ?)")
                        .bind(member)
                        .bind(&c.key)
                        .bind(format!("{}: %", c.key)),
                )
                .await?;
            if found.is_some() {
                batch.fines_existing += 1;
                continue;
            }
            let paid: i64 = c.payments.iter().map(|(_, a)| a).sum();
            let settled = paid >= c.amount;
            let resolved_at = c.payments.last().filter(|_| settled).map(|(on, _)| time::end_of_day(*on, self.tz()));
            let done = tx
                .exec(
                    sql("INSERT INTO fines (member_id, loan_id, amount, reason, status, paid, note, created_at, resolved_at) \
                         VALUES (?, NULL, ?, 'overdue', ?, ?, ?, ?, ?)")
                    .bind(member)
                    .bind(c.amount)
                    .bind(if settled { "paid" } else { "unpaid" })
                    .bind(paid)
                    .bind(&c.note)
                    .bind(time::end_of_day(c.on, self.tz()))
                    .bind(resolved_at),
                )
                .await
                .map_err(StoreError::from)?;
            let fine = done.last_id;
            for (on, amount) in &c.payments {
                tx.exec(
                    sql("INSERT INTO fine_payments (fine_id, amount, paid_at, received_by) VALUES (?, ?, ?, 'import')")
                        .bind(fine)
                        .bind(*amount)
                        .bind(time::end_of_day(*on, self.tz())),
                )
                .await?;
            }
            batch.fines_created += 1;
        }
        Ok(())
    }
}

/// A loan to bring over: open, or returned (the library's loan history).
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
    /// The day it came back, for a loan of the history; none for an open loan.
    pub returned_on: Option<NaiveDate>,
}

/// A member's fines ledger to bring over: each charge with what was paid into it.
#[derive(Debug, Clone)]
pub struct FineIn {
    pub record: String,
    pub member: String,
    /// How an earlier Pustaka noted the member's balance brought over as one fine (its start).
    pub balance_note: String,
    pub charges: Vec<ChargeIn>,
}

/// One charge of SLiMS's fines ledger, with the payments put into it (oldest charges first).
#[derive(Debug, Clone)]
pub struct ChargeIn {
    /// `SLiMS fines ID`: how the fine is known again (its note starts with it).
    pub key: String,
    pub note: String,
    pub on: NaiveDate,
    pub amount: i64,
    /// (day, amount) paid into it.
    pub payments: Vec<(NaiveDate, i64)>,
}

impl ChargeIn {
    /// What is still owed of it.
    pub fn open(&self) -> i64 {
        (self.amount - self.payments.iter().map(|(_, a)| a).sum::<i64>()).max(0)
    }
}

/// A visit of the visitor log to bring over.
#[derive(Debug, Clone)]
pub struct VisitIn {
    pub record: String,
    /// `slims:visit:VISITOR_ID`.
    pub client_id: String,
    /// The member's `slims:` source id, when the visitor was a member who came over.
    pub member: Option<String>,
    /// The name SLiMS wrote (a guest's, when not a member).
    pub name: String,
    pub institution: Option<String>,
    /// The check-in time on the library's clock.
    pub visited_at: NaiveDateTime,
}
