//! Loans, returns, renewals, holds and fines: the desk.

use chrono::{DateTime, NaiveDate, Utc};

use super::{
    db::{sql, Query, Row, Tx},
    error::{Result, StoreError},
    members::{Lending, MemberKey},
    Actor, PageRequest, Store,
};
use crate::{
    domain::{
        circulation::{
            copy_goes_to, damage_charge, is_overdue, lost_charge, may_end_hold, may_lend, may_place_hold,
            may_settle_fine, payment_amount, renewal, total_money, CopyAtDesk, CopyGoesTo, HoldContext, LoanPolicy,
            LoanTerms, MemberStanding, Refusal,
        },
        loan_rules::{effective_rule, may_checkout, Checkout},
        time, Barcode, MemberRef, ShortText,
    },
    model::{Copy, CopyStatus, Fine, FineStatus, Hold, HoldStatus, Loan, Member, Page, Payment},
};

/// What a return did.
#[derive(Debug, serde::Serialize, utoipa::ToSchema)]
pub struct ReturnOutcome {
    /// The loan, now closed.
    pub loan: Loan,
    /// The overdue fine charged, if the copy came back late.
    pub fine: Option<Fine>,
    /// The hold the copy now waits for on the hold shelf: put it aside for that member.
    pub hold: Option<Hold>,
    /// The charge for a copy returned damaged, when the return said so and the rules charge one.
    pub damage_fine: Option<Fine>,
}

/// What declaring a lent copy lost did.
#[derive(Debug, serde::Serialize, utoipa::ToSchema)]
pub struct LostOutcome {
    /// The loan, now closed.
    pub loan: Loan,
    /// The overdue fine up to today, if the copy was late.
    pub fine: Option<Fine>,
    /// The charge for the lost copy (its price, else the category's lost charge), if any.
    pub lost_fine: Option<Fine>,
}

/// Which loans to list.
#[derive(Debug, Clone, Copy, PartialEq, Eq, serde::Deserialize, utoipa::ToSchema)]
#[serde(rename_all = "snake_case")]
pub enum LoanFilter {
    /// Not yet returned.
    Active,
    /// Not returned and past due.
    Overdue,
    /// Returned.
    Returned,
    /// Every loan.
    All,
}

const LOAN_SELECT: &str = "SELECT l.id, l.copy_id, c.barcode, c.book_id, b.title, l.member_id, m.card_number, \
     m.name AS member_name, l.loaned_at, l.due_at, l.returned_at, l.renewals \
     FROM loans l JOIN copies c ON c.id = l.copy_id JOIN books b ON b.id = c.book_id JOIN members m ON m.id = l.member_id";

fn loan(r: &Row, at: DateTime<Utc>) -> Result<Loan> {
    let mut loan: Loan = r.decode()?;
    loan.overdue = is_overdue(loan.returned_at.is_some(), loan.due_at, at);
    Ok(loan)
}

const HOLD_SELECT: &str = "SELECT h.id, h.book_id, b.title, h.member_id, m.card_number, m.name AS member_name, h.status, \
     h.pickup_by, h.created_at, c.barcode AS copy_barcode, \
     (SELECT COUNT(*) FROM holds w WHERE w.book_id = h.book_id AND w.status = 'waiting' AND w.id <= h.id) AS position \
     FROM holds h JOIN books b ON b.id = h.book_id JOIN members m ON m.id = h.member_id LEFT JOIN copies c ON c.id = h.copy_id";

fn hold(r: &Row) -> Result<Hold> {
    let mut hold: Hold = r.decode()?;
    // The queue position means something only while waiting; the copy only while it waits on the shelf.
    if hold.status != HoldStatus::Waiting {
        hold.position = None;
    }
    if hold.status != HoldStatus::Ready {
        hold.copy_barcode = None;
    }
    Ok(hold)
}

const FINE_SELECT: &str =
    "SELECT f.id, f.member_id, m.card_number, m.name AS member_name, f.loan_id, b.title, f.amount, \
     f.reason, f.status, f.paid, f.note, f.created_at, f.resolved_at \
     FROM fines f JOIN members m ON m.id = f.member_id LEFT JOIN loans l ON l.id = f.loan_id \
     LEFT JOIN copies c ON c.id = l.copy_id LEFT JOIN books b ON b.id = c.book_id";

fn fine(r: &Row) -> Result<Fine> {
    let mut f: Fine = r.decode()?;
    f.outstanding = if f.status == FineStatus::Unpaid { (f.amount - f.paid).max(0) } else { 0 };
    Ok(f)
}

const PAYMENT_SELECT: &str = "SELECT p.id, p.fine_id, p.amount, p.paid_at, p.received_by, f.member_id, m.card_number, \
     m.name AS member_name, f.reason, b.title, f.amount AS fine_amount \
     FROM fine_payments p JOIN fines f ON f.id = p.fine_id JOIN members m ON m.id = f.member_id \
     LEFT JOIN loans l ON l.id = f.loan_id LEFT JOIN copies c ON c.id = l.copy_id LEFT JOIN books b ON b.id = c.book_id";

/// The ready hold a copy on the hold shelf waits for.
#[derive(sqlx::FromRow)]
struct ReadyHold {
    id: i64,
    member_id: i64,
}

/// What renewing a loan or declaring its copy lost checks, read locked.
const LOAN_STATE: &str = "renewals, due_at, returned_at";

/// A loan's row read with [`LOAN_STATE`].
#[derive(sqlx::FromRow)]
struct LoanState {
    renewals: i64,
    due_at: DateTime<Utc>,
    returned_at: Option<DateTime<Utc>>,
}

/// The open loan of a copy being returned, and its member's card and name.
#[derive(sqlx::FromRow)]
struct OpenLoan {
    id: i64,
    member_id: i64,
    loaned_at: DateTime<Utc>,
    due_at: DateTime<Utc>,
    renewals: i64,
    card_number: String,
    member_name: String,
}

/// The first hold waiting for a book, and its member's category.
#[derive(sqlx::FromRow)]
struct NextInLine {
    id: i64,
    category: String,
}

/// A hold's row as ending it reads it (`status` as stored, for the audit line).
#[derive(sqlx::FromRow)]
struct HoldState {
    copy_id: Option<i64>,
    status: String,
}

fn standing(m: &Member) -> MemberStanding {
    MemberStanding {
        blocked: m.blocked,
        blocked_reason: m.blocked_reason.clone(),
        expires_on: m.expires_on,
        active_loans: m.active_loans,
        unpaid_fines: m.unpaid_fines,
        accruing_fines: m.accruing_fines,
        overdue_since: m.overdue_since,
    }
}

impl Store {
    async fn loan_in(&self, tx: &mut Tx, id: i64) -> Result<Loan> {
        let row = tx.opt(sql(format!("{LOAN_SELECT} WHERE l.id = ?")).bind(id)).await?;
        row.as_ref().map(|r| loan(r, self.now())).transpose()?.ok_or(StoreError::NotFound("loan"))
    }

    async fn hold_in(&self, tx: &mut Tx, id: i64) -> Result<Hold> {
        let row = tx.opt(sql(format!("{HOLD_SELECT} WHERE h.id = ?")).bind(id)).await?;
        row.as_ref().map(hold).transpose()?.ok_or(StoreError::NotFound("hold"))
    }

    async fn fine_in(&self, tx: &mut Tx, id: i64) -> Result<Fine> {
        let row = tx.opt(sql(format!("{FINE_SELECT} WHERE f.id = ?")).bind(id)).await?;
        row.as_ref().map(fine).transpose()?.ok_or(StoreError::NotFound("fine"))
    }

    /// Lends the copy with `barcode` to the member with `card` (their Pustaka card or another
    /// number of theirs).
    pub async fn checkout(&self, actor: &Actor, barcode: &Barcode, card: &MemberRef) -> Result<Loan> {
        self.checkout_at(actor, barcode, card, None).await
    }

    /// [`Store::checkout`] as of `scanned` (the time a desk that was offline scanned it, checked
    /// by `domain::time::scanned_time`), else now.
    pub async fn checkout_at(
        &self,
        actor: &Actor,
        barcode: &Barcode,
        card: &MemberRef,
        scanned: Option<DateTime<Utc>>,
    ) -> Result<Loan> {
        crate::transaction!(self.db, |tx| {
            async {
                let at = scanned.unwrap_or_else(|| self.now());
                // Lock order everywhere: copy, then member, then loans and holds.
                let copy = self.copy_by_barcode_in(&mut tx, barcode).await?;
                self.lend_in(&mut tx, actor, copy, MemberKey::Card(card), at).await
            }
            .await
        })
    }

    /// Lends `copy` (read locked) to the member `to` at `at`, by every rule of a checkout: the
    /// desk's checkout and each loan of a class set (`class_sets.rs`) go through here.
    pub(super) async fn lend_in(
        &self,
        tx: &mut Tx,
        actor: &Actor,
        copy: Copy,
        to: MemberKey<'_>,
        at: DateTime<Utc>,
    ) -> Result<Loan> {
        {
            {
                let today = self.today(at);
                // The member (locked), and the copy's rule, the term and the calendar, in one statement.
                let (member, policy, lending) = self.borrower_to_lend_in(tx, to, copy.id, today).await?;
                let Lending { kind, rule: row, term_end, calendar } = lending;
                // Lent from the hold shelf, the copy fills the ready hold it waits for.
                let ready_hold = if copy.status == CopyStatus::OnHoldShelf {
                    let lock = tx.for_update();
                    let row = tx
                        .opt(
                            sql(format!(
                                "SELECT id, member_id FROM holds WHERE copy_id = ? AND status = 'ready'{lock}"
                            ))
                            .bind(copy.id),
                        )
                        .await?;
                    row.map(|r| r.decode::<ReadyHold>()).transpose()?
                } else {
                    None
                };
                let desk = CopyAtDesk {
                    barcode: &copy.barcode,
                    status: copy.status,
                    held_for: ready_hold.as_ref().map(|h| h.member_id),
                };
                may_lend(&desk, member.id)?;
                // The rule of the member's category for the copy's collection type (issue #30).
                let loans_of_type = match (&kind, row.and_then(|r| r.max_loans)) {
                    (Some(k), Some(_)) => self.loans_of_type_in(tx, member.id, &k.code).await?,
                    _ => 0,
                };
                let check = Checkout {
                    barcode: &copy.barcode,
                    kind: kind.as_ref(),
                    row: row.as_ref(),
                    loans_of_type,
                    term_end,
                };
                let rule = may_checkout(&policy, &standing(&member), check, today)?;

                let due = rule.due_date(&calendar, today, term_end)?;
                let due_at = time::end_of_day(due, self.tz());
                let id = tx
                .exec(
                    // With what the reports group it by, as things are now (the copy's row is
                    // already locked: reading it here takes no new lock).
                    sql("INSERT INTO loans (copy_id, member_id, loaned_at, due_at, renewals, book_id, member_category, ddc_class) \
                         SELECT id, ?, ?, ?, 0, book_id, ?, ddc_class FROM copies WHERE id = ?")
                        .bind(member.id)
                        .bind(at)
                        .bind(due_at)
                        .bind(&member.category)
                        .bind(copy.id),
                )
                .await
                .map_err(|e| {
                    // The one-open-loan-per-copy index: someone else lent it a moment ago.
                    if e.is_unique_violation() {
                        Refusal::CopyOnLoan { barcode: copy.barcode.clone() }.into()
                    } else {
                        StoreError::from(e)
                    }
                })?
                .last_id;
                self.set_copy_status(tx, &copy, CopyStatus::OnLoan).await?;
                if let Some(hold) = ready_hold {
                    tx.exec(
                        sql("UPDATE holds SET status = 'fulfilled', resolved_at = ? WHERE id = ?")
                            .bind(at)
                            .bind(hold.id),
                    )
                    .await?;
                }
                self.audit(
                    tx,
                    actor,
                    "loan.create",
                    "loan",
                    id,
                    format!("{} to {} due {due}", copy.barcode, member.card_number),
                )
                .await?;
                // What was just written, not read back (times are whole seconds on both backends).
                Ok(Loan {
                    id,
                    copy_id: copy.id,
                    barcode: copy.barcode,
                    book_id: copy.book_id,
                    title: copy.title,
                    member_id: member.id,
                    card_number: member.card_number,
                    member_name: member.name,
                    loaned_at: at,
                    due_at,
                    returned_at: None,
                    renewals: 0,
                    overdue: is_overdue(false, due_at, at),
                    renewable: None,
                    renew_refusal: None,
                })
            }
        }
    }

    /// Changes a copy's status, checking nobody changed it meanwhile.
    async fn set_copy_status(&self, tx: &mut Tx, copy: &Copy, to: CopyStatus) -> Result<()> {
        let done = tx
            .exec(
                sql("UPDATE copies SET status = ?, updated_at = ? WHERE id = ? AND status = ?")
                    .bind(to.as_str())
                    .bind(self.now())
                    .bind(copy.id)
                    .bind(copy.status.as_str()),
            )
            .await?;
        if done.rows != 1 {
            return Err(Refusal::CopyChanged { barcode: copy.barcode.clone() }.into());
        }
        Ok(())
    }

    /// Renews a loan for another loan period from its due date, if the rules allow.
    pub async fn renew(&self, actor: &Actor, loan_id: i64) -> Result<Loan> {
        self.renew_at(actor, loan_id, None).await
    }

    /// [`Store::renew`] as of `scanned` (see [`Store::checkout_at`]), else now.
    pub async fn renew_at(&self, actor: &Actor, loan_id: i64, scanned: Option<DateTime<Utc>>) -> Result<Loan> {
        crate::transaction!(self.db, |tx| {
            async {
                let at = scanned.unwrap_or_else(|| self.now());
                let today = self.today(at);
                let current = actor.hide_missing(self.loan_in(&mut tx, loan_id).await)?;
                actor.ensure_for(current.member_id)?;
                let copy = self.copy_in(&mut tx, current.copy_id).await?;
                let (member, policy) = self.borrower_in(&mut tx, MemberKey::Id(current.member_id)).await?;
                let lock = tx.for_update();
                let state: LoanState = tx
                    .opt(sql(format!("SELECT {LOAN_STATE} FROM loans WHERE id = ?{lock}")).bind(loan_id))
                    .await?
                    .ok_or(StoreError::NotFound("loan"))?
                    .decode()?;
                let terms = LoanTerms {
                    returned: state.returned_at.is_some(),
                    renewals: state.renewals,
                    due: self.today(state.due_at),
                };
                let others_waiting = tx
                    .opt(
                        sql("SELECT id FROM holds WHERE book_id = ? AND status = 'waiting' AND member_id <> ? LIMIT 1")
                            .bind(copy.book_id)
                            .bind(member.id),
                    )
                    .await?
                    .is_some();
                let calendar = self.calendar(&mut tx, today).await?;
                // Renewed by the rule for the copy's collection type.
                let (kind, row) = self.copy_rule_in(&mut tx, copy.id, &member.category).await?;
                let rule = effective_rule(&policy, kind.as_ref(), row.as_ref());
                let mut new_due = renewal(&rule.policy, &calendar, &standing(&member), terms, today, others_waiting)?;
                if rule.due_end_of_term {
                    // A loan for the term is renewed to the end of the term containing today.
                    let term_end = self.term_end_in(&mut tx, today).await?;
                    new_due = rule.due_date(&calendar, today, term_end)?.max(terms.due);
                }
                tx.exec(
                    sql(format!(
                        "UPDATE loans{} SET due_at = ?, renewals = renewals + 1 WHERE id = ? AND returned_at IS NULL",
                        tx.dialect().by_primary_key()
                    ))
                    .bind(time::end_of_day(new_due, self.tz()))
                    .bind(loan_id),
                )
                .await?;
                self.audit(&mut tx, actor, "loan.renew", "loan", loan_id, format!("{} due {new_due}", copy.barcode))
                    .await?;
                self.loan_in(&mut tx, loan_id).await
            }
            .await
        })
    }

    /// Takes back the copy with `barcode`: closes its loan, charges any overdue fine, and passes the
    /// copy to the first member waiting for the book.
    pub async fn checkin(&self, actor: &Actor, barcode: &Barcode, damaged: bool) -> Result<ReturnOutcome> {
        self.checkin_at(actor, barcode, damaged, None).await
    }

    /// [`Store::checkin`] as of `scanned` (see [`Store::checkout_at`]), else now. A return scanned
    /// before its loan began (the loan was made at another desk meanwhile) is taken at the loan's
    /// start.
    pub async fn checkin_at(
        &self,
        actor: &Actor,
        barcode: &Barcode,
        damaged: bool,
        scanned: Option<DateTime<Utc>>,
    ) -> Result<ReturnOutcome> {
        crate::transaction!(self.db, |tx| {
            async {
                let at = scanned.unwrap_or_else(|| self.now());
                // The copy and its open loan, both locked; the loan's member is read with the
                // loan (not locked: only a fine charged locks them, below).
                let (copy, open) = self.copy_returned_in(&mut tx, barcode).await?;
                let open = open.ok_or_else(|| Refusal::NotOnLoan { barcode: copy.barcode.clone() })?;
                let at = at.max(open.loaned_at);
                let today = self.today(at);
                let (loan_id, member_id, due_at) = (open.id, open.member_id, open.due_at);
                let (fine, damage_fine, card_number, member_name) = if damaged || today > self.today(due_at) {
                    // Late or damaged: the member's row locked, their rules and the calendar read.
                    let (member, policy, fine) =
                        self.end_loan(&mut tx, actor, loan_id, copy.id, member_id, self.today(due_at), at).await?;
                    let damage_fine = if damaged {
                        self.charge(&mut tx, actor, member_id, loan_id, "damaged", damage_charge(&policy, copy.price))
                            .await?
                    } else {
                        None
                    };
                    (fine, damage_fine, member.card_number, member.name)
                } else {
                    // Back by its due day: no fine whatever the rules and calendar say
                    // (`EffectiveRule::fine` of a return not after the due day is 0).
                    self.close_loan(&mut tx, loan_id, at).await?;
                    (None, None, open.card_number, open.member_name)
                };
                let hold = self.pass_copy_on(&mut tx, &copy, today).await?;
                let detail = if damaged { format!("{} damaged", copy.barcode) } else { copy.barcode.clone() };
                self.audit(&mut tx, actor, "loan.return", "loan", loan_id, detail).await?;
                // The loan as it now is, from what was read and written (not read back).
                let loan = Loan {
                    id: loan_id,
                    copy_id: copy.id,
                    barcode: copy.barcode,
                    book_id: copy.book_id,
                    title: copy.title,
                    member_id,
                    card_number,
                    member_name,
                    loaned_at: open.loaned_at,
                    due_at,
                    returned_at: Some(at),
                    renewals: open.renewals,
                    overdue: false,
                    renewable: None,
                    renew_refusal: None,
                };
                Ok(ReturnOutcome { loan, fine, hold, damage_fine })
            }
            .await
        })
    }

    /// Ends a loan still out at `at` and charges its overdue fine (the part of a return that
    /// [`Store::checkin`] and [`Store::declare_lost`] share). Returns the member (as before the
    /// fine), their category's rules, for any further charge, and the overdue fine.
    #[allow(clippy::too_many_arguments)]
    async fn end_loan(
        &self,
        tx: &mut Tx,
        actor: &Actor,
        loan_id: i64,
        copy_id: i64,
        member_id: i64,
        due: NaiveDate,
        at: DateTime<Utc>,
    ) -> Result<(Member, LoanPolicy, Option<Fine>)> {
        self.close_loan(tx, loan_id, at).await?;
        let (member, policy) = self.borrower_in(tx, MemberKey::Id(member_id)).await?;
        let calendar = self.calendar(tx, due).await?;
        // Fined by the rule for the copy's collection type (its fine per day and grace days).
        let (kind, row) = self.copy_rule_in(tx, copy_id, &member.category).await?;
        let owed = effective_rule(&policy, kind.as_ref(), row.as_ref()).fine(&calendar, due, self.today(at));
        let fine = self.charge(tx, actor, member_id, loan_id, "overdue", owed).await?;
        Ok((member, policy, fine))
    }

    /// Marks a loan still out returned at `at`.
    async fn close_loan(&self, tx: &mut Tx, loan_id: i64, at: DateTime<Utc>) -> Result<()> {
        let done = tx
            .exec(
                sql(format!(
                    "UPDATE loans{} SET returned_at = ? WHERE id = ? AND returned_at IS NULL",
                    tx.dialect().by_primary_key()
                ))
                .bind(at)
                .bind(loan_id),
            )
            .await?;
        if done.rows != 1 {
            return Err(Refusal::AlreadyReturned.into());
        }
        Ok(())
    }

    /// Locks and reads the copy with `barcode`, then its open loan, if any (with the name and
    /// card of the loan's member, not locked): a return's first reads. Two statements, each lock
    /// taken as before: a replay of the two read in one join (the loan's locking read joined to
    /// the copy's) deadlocked independent desks on MariaDB.
    async fn copy_returned_in(&self, tx: &mut Tx, barcode: &Barcode) -> Result<(Copy, Option<OpenLoan>)> {
        let copy = self.copy_by_barcode_in(tx, barcode).await?;
        let (lock, open_loan) = (tx.for_update(), tx.dialect().open_loan_of_copy());
        let row = tx
            .opt(
                sql(format!(
                    "SELECT id, member_id, loaned_at, due_at, renewals, \
                     (SELECT m.card_number FROM members m WHERE m.id = loans.member_id) AS card_number, \
                     (SELECT m.name FROM members m WHERE m.id = loans.member_id) AS member_name \
                     FROM loans WHERE {open_loan}{lock}"
                ))
                .bind(copy.id),
            )
            .await?;
        let open = row.map(|r| r.decode::<OpenLoan>()).transpose()?;
        Ok((copy, open))
    }

    /// Charges a member `amount` rupiah for a loan (nothing when it is 0), with its audit line.
    async fn charge(
        &self,
        tx: &mut Tx,
        actor: &Actor,
        member_id: i64,
        loan_id: i64,
        reason: &str,
        amount: i64,
    ) -> Result<Option<Fine>> {
        if amount <= 0 {
            return Ok(None);
        }
        let id = tx
            .exec(
                sql("INSERT INTO fines (member_id, loan_id, amount, reason, status, paid, created_at) VALUES (?, ?, ?, ?, 'unpaid', 0, ?)")
                    .bind(member_id)
                    .bind(loan_id)
                    .bind(amount)
                    .bind(reason)
                    .bind(self.now()),
            )
            .await?
            .last_id;
        self.audit(tx, actor, "fine.create", "fine", id, format!("{amount} {reason} for loan {loan_id}")).await?;
        Ok(Some(self.fine_in(tx, id).await?))
    }

    /// Declares the copy of a loan still out lost: the loan ends, the copy is marked lost, and the
    /// member is charged the overdue fine so far and the lost copy (its price, else the category's
    /// lost charge).
    pub async fn declare_lost(&self, actor: &Actor, loan_id: i64) -> Result<LostOutcome> {
        crate::transaction!(self.db, |tx| {
            async {
                let at = self.now();
                let current = self.loan_in(&mut tx, loan_id).await?;
                let copy = self.copy_in(&mut tx, current.copy_id).await?;
                let lock = tx.for_update();
                let state: LoanState = tx
                    .opt(sql(format!("SELECT {LOAN_STATE} FROM loans WHERE id = ?{lock}")).bind(loan_id))
                    .await?
                    .ok_or(StoreError::NotFound("loan"))?
                    .decode()?;
                if state.returned_at.is_some() {
                    return Err(Refusal::AlreadyReturned.into());
                }
                let due = self.today(state.due_at);
                let (_, policy, fine) =
                    self.end_loan(&mut tx, actor, loan_id, copy.id, current.member_id, due, at).await?;
                self.set_copy_status(&mut tx, &copy, CopyStatus::Lost).await?;
                let lost_fine = self
                    .charge(&mut tx, actor, current.member_id, loan_id, "lost", lost_charge(&policy, copy.price))
                    .await?;
                self.audit(&mut tx, actor, "loan.lost", "loan", loan_id, copy.barcode.clone()).await?;
                Ok(LostOutcome { loan: self.loan_in(&mut tx, loan_id).await?, fine, lost_fine })
            }
            .await
        })
    }

    /// Whether each of a member's `loans` could be renewed now, by the same rules as [`Store::renew`]
    /// (a returned loan gets `AlreadyReturned`).
    pub async fn renewal_checks(&self, member_id: i64, loans: &[Loan]) -> Result<Vec<Result<(), Refusal>>> {
        if loans.is_empty() {
            return Ok(Vec::new());
        }
        // A read: one snapshot, no locks (it used to lock the member's row as a renewal does).
        let mut tx = self.db.begin_read().await?;
        let at = self.now();
        let today = self.today(at);
        let (member, policy) = self.borrower_in(&mut tx, MemberKey::Id(member_id)).await?;
        let calendar = self.calendar(&mut tx, today).await?;
        let standing = standing(&member);
        let mut checks = Vec::with_capacity(loans.len());
        for l in loans {
            let others_waiting = tx
                .opt(
                    sql("SELECT id FROM holds WHERE book_id = ? AND status = 'waiting' AND member_id <> ? LIMIT 1")
                        .bind(l.book_id)
                        .bind(member_id),
                )
                .await?
                .is_some();
            let terms =
                LoanTerms { returned: l.returned_at.is_some(), renewals: l.renewals, due: self.today(l.due_at) };
            let (kind, row) = self.copy_rule_in(&mut tx, l.copy_id, &member.category).await?;
            let policy = effective_rule(&policy, kind.as_ref(), row.as_ref()).policy;
            checks.push(renewal(&policy, &calendar, &standing, terms, today, others_waiting).map(|_| ()));
        }
        tx.commit().await?; // ends the snapshot; nothing was written
        Ok(checks)
    }

    /// A copy came free: it goes to the hold shelf for the first member waiting for its book, or
    /// back on the shelf. Returns the hold it now waits for. Every path by which a copy becomes
    /// available goes through here: a return, a new copy, a lost or withdrawn copy marked
    /// available again, a ready hold cancelled or expired.
    pub(super) async fn pass_copy_on(&self, tx: &mut Tx, copy: &Copy, today: NaiveDate) -> Result<Option<Hold>> {
        let lock = tx.for_update();
        let next = tx
            .opt(
                sql(format!(
                    "SELECT h.id, m.category FROM holds h JOIN members m ON m.id = h.member_id \
                     WHERE h.book_id = ? AND h.status = 'waiting' ORDER BY h.id LIMIT 1{lock}"
                ))
                .bind(copy.book_id),
            )
            .await?
            .map(|r| r.decode::<NextInLine>())
            .transpose()?;
        let next = match copy_goes_to(next) {
            CopyGoesTo::Shelf => {
                self.set_copy_status(tx, copy, CopyStatus::Available).await?;
                return Ok(None);
            }
            CopyGoesTo::HoldShelf(next) => next,
        };
        let NextInLine { id: hold_id, category } = next;
        let policy = self.category_in(tx, &category).await?.rules;
        let calendar = self.calendar(tx, today).await?;
        let pickup_by = policy.hold_pickup_deadline(&calendar, today);
        tx.exec(
            sql("UPDATE holds SET status = 'ready', copy_id = ?, pickup_by = ? WHERE id = ?")
                .bind(copy.id)
                .bind(pickup_by)
                .bind(hold_id),
        )
        .await?;
        self.set_copy_status(tx, copy, CopyStatus::OnHoldShelf).await?;
        Ok(Some(self.hold_in(tx, hold_id).await?))
    }

    /// Loans, newest first.
    pub async fn loans(
        &self,
        filter: LoanFilter,
        member_id: Option<i64>,
        barcode: Option<&Barcode>,
        page: PageRequest,
    ) -> Result<Page<Loan>> {
        let at = self.now();
        let mut q = Query::where_clause(match filter {
            LoanFilter::Active => Some("l.returned_at IS NULL"),
            LoanFilter::Overdue => Some("l.returned_at IS NULL AND l.due_at < ?"),
            LoanFilter::Returned => Some("l.returned_at IS NOT NULL"),
            LoanFilter::All => None,
        });
        if filter == LoanFilter::Overdue {
            q = q.bind(at);
        }
        if let Some(id) = member_id {
            q = q.and("l.member_id = ?").bind(id);
        }
        if let Some(b) = barcode {
            q = q.and(&format!("c.barcode = ?{}", self.db.dialect().nocase())).bind(b.as_str());
        }
        let rows = self
            .db
            .all(
                q.clone()
                    .prefix(LOAN_SELECT)
                    .push(" ORDER BY l.id DESC LIMIT ? OFFSET ?")
                    .bind(page.per_page)
                    .bind(page.offset()),
            )
            .await?;
        let items = rows.iter().map(|r| loan(r, at)).collect::<Result<Vec<_>>>()?;
        let total = self.count(q.prefix("SELECT COUNT(*) AS n FROM loans l JOIN copies c ON c.id = l.copy_id")).await?;
        Ok(page.wrap(items, total))
    }

    /// One loan, for staff or the member who has it.
    pub async fn loan(&self, actor: &Actor, id: i64) -> Result<Loan> {
        let row = self.db.opt(sql(format!("{LOAN_SELECT} WHERE l.id = ?")).bind(id)).await?;
        let loan = row.as_ref().map(|r| loan(r, self.now())).transpose()?.ok_or_else(|| actor.missing("loan"))?;
        actor.ensure_for(loan.member_id)?;
        Ok(loan)
    }

    /// Puts a member in the queue for a book.
    pub async fn place_hold(&self, actor: &Actor, book_id: i64, member: MemberKey<'_>) -> Result<Hold> {
        crate::transaction!(self.db, |tx| {
            async {
            let at = self.now();
            let lock = tx.for_update();
            let (title,): (String,) = tx
                .opt(sql(format!("SELECT title FROM books WHERE id = ?{lock}")).bind(book_id))
                .await?
                .ok_or(StoreError::NotFound("book"))?
                .decode()?;
            let (member, policy) = actor.hide_missing(self.borrower_in(&mut tx, member).await)?;
            actor.ensure_for(member.id)?;
            let has_open_hold = tx
                .opt(sql("SELECT id FROM holds WHERE book_id = ? AND member_id = ? AND status IN ('waiting', 'ready')").bind(book_id).bind(member.id))
                .await?
                .is_some();
            let has_copy_on_loan = tx
                .opt(
                    sql("SELECT l.id FROM loans l JOIN copies c ON c.id = l.copy_id WHERE c.book_id = ? AND l.member_id = ? AND l.returned_at IS NULL")
                        .bind(book_id)
                        .bind(member.id),
                )
                .await?
                .is_some();
            let copy_on_shelf = tx
                .opt(sql("SELECT id FROM copies WHERE book_id = ? AND status = 'available' LIMIT 1").bind(book_id))
                .await?
                .is_some();
            let ctx = HoldContext { has_open_hold, has_copy_on_loan, copy_on_shelf };
            may_place_hold(&policy, &standing(&member), self.today(at), ctx)?;
            let id = tx
                .exec(
                    sql("INSERT INTO holds (book_id, member_id, status, created_at) VALUES (?, ?, 'waiting', ?)")
                        .bind(book_id)
                        .bind(member.id)
                        .bind(at),
                )
                .await?
                .last_id;
            self.audit(&mut tx, actor, "hold.create", "hold", id, format!("{title} for {}", member.card_number)).await?;
            self.hold_in(&mut tx, id).await
        }
        .await
        })
    }

    /// Cancels a hold (staff, or the member whose hold it is); a copy waiting for it is passed on.
    pub async fn cancel_hold(&self, actor: &Actor, id: i64) -> Result<()> {
        crate::transaction!(self.db, |tx| async {
            let h = actor.hide_missing(self.hold_in(&mut tx, id).await)?;
            actor.ensure_for(h.member_id)?;
            may_end_hold(h.status)?;
            self.end_hold_in(&mut tx, actor, id, HoldStatus::Cancelled).await
        }
        .await)
    }

    /// Ends an open hold as cancelled or expired, passing on a copy it kept.
    pub(super) async fn end_hold_in(&self, tx: &mut Tx, actor: &Actor, id: i64, to: HoldStatus) -> Result<()> {
        let at = self.now();
        let lock = tx.for_update();
        let HoldState { copy_id, status } = tx
            .opt(sql(format!("SELECT copy_id, status FROM holds WHERE id = ?{lock}")).bind(id))
            .await?
            .ok_or(StoreError::NotFound("hold"))?
            .decode()?;
        tx.exec(sql("UPDATE holds SET status = ?, resolved_at = ? WHERE id = ?").bind(to.as_str()).bind(at).bind(id))
            .await?;
        if let (Some("ready"), Some(copy_id)) = (Some(status.as_str()), copy_id) {
            let copy = self.copy_in(tx, copy_id).await?;
            if copy.status == CopyStatus::OnHoldShelf {
                self.pass_copy_on(tx, &copy, self.today(at)).await?;
            }
        }
        let action = if to == HoldStatus::Expired { "hold.expire" } else { "hold.cancel" };
        self.audit(tx, actor, action, "hold", id, status).await
    }

    /// Ends ready holds whose pickup day has passed; their copies go to the next in line. Returns how many.
    pub async fn expire_holds(&self) -> Result<usize> {
        let today = self.today(self.now());
        let rows =
            self.db.all(sql("SELECT id FROM holds WHERE status = 'ready' AND pickup_by < ?").bind(today)).await?;
        let mut n = 0;
        for r in &rows {
            let (id,): (i64,) = r.decode()?;
            let ended = crate::transaction!(self.db, |tx| {
                async {
                    // Someone may have picked it up or cancelled it since the list was read.
                    let still = tx
                        .opt(
                            sql("SELECT id FROM holds WHERE id = ? AND status = 'ready' AND pickup_by < ?")
                                .bind(id)
                                .bind(today),
                        )
                        .await?
                        .is_some();
                    if still {
                        self.end_hold_in(&mut tx, &Actor::system(), id, HoldStatus::Expired).await?;
                    }
                    Ok::<_, StoreError>(still)
                }
                .await
            })?;
            n += usize::from(ended);
        }
        Ok(n)
    }

    /// Holds, oldest first.
    pub async fn holds(
        &self,
        status: Option<HoldStatus>,
        member_id: Option<i64>,
        page: PageRequest,
    ) -> Result<Page<Hold>> {
        let mut q = Query::where_clause(None);
        match status {
            Some(s) => q = q.and("h.status = ?").bind(s.as_str()),
            None => q = q.and("h.status IN ('waiting', 'ready')"),
        }
        if let Some(id) = member_id {
            q = q.and("h.member_id = ?").bind(id);
        }
        let rows = self
            .db
            .all(
                q.clone()
                    .prefix(HOLD_SELECT)
                    .push(" ORDER BY h.id LIMIT ? OFFSET ?")
                    .bind(page.per_page)
                    .bind(page.offset()),
            )
            .await?;
        let items = rows.iter().map(hold).collect::<Result<Vec<_>>>()?;
        let total = self.count(q.prefix("SELECT COUNT(*) AS n FROM holds h")).await?;
        Ok(page.wrap(items, total))
    }

    /// Fines, newest first.
    pub async fn fines(
        &self,
        status: Option<FineStatus>,
        member_id: Option<i64>,
        page: PageRequest,
    ) -> Result<Page<Fine>> {
        let mut q = Query::where_clause(None);
        if let Some(s) = status {
            q = q.and("f.status = ?").bind(s.as_str());
        }
        if let Some(id) = member_id {
            q = q.and("f.member_id = ?").bind(id);
        }
        let rows = self
            .db
            .all(
                q.clone()
                    .prefix(FINE_SELECT)
                    .push(" ORDER BY f.id DESC LIMIT ? OFFSET ?")
                    .bind(page.per_page)
                    .bind(page.offset()),
            )
            .await?;
        let items = rows.iter().map(fine).collect::<Result<Vec<_>>>()?;
        let total = self.count(q.prefix("SELECT COUNT(*) AS n FROM fines f")).await?;
        Ok(page.wrap(items, total))
    }

    /// Records a payment of `amount` rupiah (`None`: all that is owed) towards a fine; the fine is
    /// paid once its payments reach its amount. Returns the fine with the payment just made.
    pub async fn pay_fine(&self, actor: &Actor, id: i64, amount: Option<i64>) -> Result<Fine> {
        crate::transaction!(self.db, |tx| {
            async {
                let lock = tx.for_update();
                tx.opt(sql(format!("SELECT id FROM fines WHERE id = ?{lock}")).bind(id))
                    .await?
                    .ok_or(StoreError::NotFound("fine"))?;
                let f = self.fine_in(&mut tx, id).await?;
                may_settle_fine(f.status)?;
                let pay = payment_amount(f.outstanding, amount).map_err(|e| StoreError::invalid("amount", e))?;
                let at = self.now();
                let settles = pay == f.outstanding;
                let done = tx
                    .exec(
                        sql("UPDATE fines SET paid = paid + ?, status = ?, resolved_at = ? WHERE id = ? AND status = 'unpaid' AND paid = ?")
                            .bind(pay)
                            .bind(if settles { FineStatus::Paid } else { FineStatus::Unpaid }.as_str())
                            .bind(settles.then_some(at))
                            .bind(id)
                            .bind(f.paid),
                    )
                    .await?;
                if done.rows != 1 {
                    return Err(Refusal::FineSettled { status: f.status }.into());
                }
                let payment_id = tx
                    .exec(
                        sql("INSERT INTO fine_payments (fine_id, amount, paid_at, received_by) VALUES (?, ?, ?, ?)")
                            .bind(id)
                            .bind(pay)
                            .bind(at)
                            .bind(&actor.username),
                    )
                    .await?
                    .last_id;
                let action = if settles { "fine.pay" } else { "fine.pay_part" };
                self.audit(&mut tx, actor, action, "fine", id, format!("{pay} of {}", f.amount)).await?;
                let mut fine = self.fine_in(&mut tx, id).await?;
                fine.payment = Some(self.payment_in(&mut tx, payment_id).await?);
                Ok(fine)
            }
            .await
        })
    }

    async fn payment_in(&self, tx: &mut Tx, id: i64) -> Result<Payment> {
        let row = tx.opt(sql(format!("{PAYMENT_SELECT} WHERE p.id = ?")).bind(id)).await?;
        let mut p: Payment = row.ok_or(StoreError::NotFound("payment"))?.decode()?;
        let upto = tx
            .all(sql("SELECT amount FROM fine_payments WHERE fine_id = ? AND id <= ?").bind(p.fine_id).bind(id))
            .await?;
        p.outstanding_after = outstanding_after(p.fine_amount, &upto)?;
        Ok(p)
    }

    /// One payment, for its receipt (staff, or the member who paid).
    pub async fn payment(&self, actor: &Actor, id: i64) -> Result<Payment> {
        let row = self.db.opt(sql(format!("{PAYMENT_SELECT} WHERE p.id = ?")).bind(id)).await?;
        let mut p: Payment = row.ok_or_else(|| actor.missing("payment"))?.decode()?;
        actor.ensure_for(p.member_id)?;
        let upto = self
            .db
            .all(sql("SELECT amount FROM fine_payments WHERE fine_id = ? AND id <= ?").bind(p.fine_id).bind(id))
            .await?;
        p.outstanding_after = outstanding_after(p.fine_amount, &upto)?;
        Ok(p)
    }

    /// The payments towards a fine, oldest first (staff, or the member who owes it).
    pub async fn payments_of(&self, actor: &Actor, fine_id: i64) -> Result<Vec<Payment>> {
        let f = self.db.opt(sql("SELECT member_id FROM fines WHERE id = ?").bind(fine_id)).await?;
        let (member_id,): (i64,) = f.ok_or_else(|| actor.missing("fine"))?.decode()?;
        actor.ensure_for(member_id)?;
        let rows =
            self.db.all(sql(format!("{PAYMENT_SELECT} WHERE p.fine_id = ? ORDER BY p.id")).bind(fine_id)).await?;
        let mut paid = 0;
        rows.iter()
            .map(|r| {
                let mut p: Payment = r.decode()?;
                paid = total_money([paid, p.amount]);
                p.outstanding_after = (p.fine_amount - paid).max(0);
                Ok(p)
            })
            .collect()
    }

    /// Waives what is left of a fine, with a reason. A fine is settled once.
    pub async fn settle_fine(&self, actor: &Actor, id: i64, to: FineStatus, note: Option<&ShortText>) -> Result<Fine> {
        crate::transaction!(self.db, |tx| {
            async {
                let f = self.fine_in(&mut tx, id).await?;
                may_settle_fine(f.status)?;
                let done = tx
                    .exec(
                        sql(
                            "UPDATE fines SET status = ?, note = ?, resolved_at = ? WHERE id = ? AND status = 'unpaid'",
                        )
                        .bind(to.as_str())
                        .bind(note.map(|n| n.as_str()))
                        .bind(self.now())
                        .bind(id),
                    )
                    .await?;
                if done.rows != 1 {
                    return Err(Refusal::FineSettled { status: f.status }.into());
                }
                let action = if to == FineStatus::Paid { "fine.pay" } else { "fine.waive" };
                self.audit(&mut tx, actor, action, "fine", id, f.amount.to_string()).await?;
                self.fine_in(&mut tx, id).await
            }
            .await
        })
    }
}

/// What is left of a fine of `amount` after the payments in `upto` (rows with an `amount`).
fn outstanding_after(amount: i64, upto: &[Row]) -> Result<i64> {
    let paid = total_money(upto.iter().map(|r| Ok(r.decode::<(i64,)>()?.0)).collect::<Result<Vec<_>>>()?);
    Ok((amount - paid).max(0))
}
