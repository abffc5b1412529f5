//! The desk's local copy (#33): what a desk keeps in the browser to judge a scan while the
//! network or the server is down, read in one request. Members with every number they are known
//! by, their category and block; the loans out; every copy with its collection type and status;
//! the holds waiting or on the shelf; and the rules that decide a loan (categories' total limits,
//! collection types, the loan-rule matrix). Only what a judgement needs: no e-mail, phone, address
//! or fine history leaves the server this way.
//!
//! The bulky parts (members, numbers, loans, copies, holds) are read in one snapshot (one read
//! transaction), so a loan is never listed for a member the same copy does not also show; the
//! rules are read beside it, as the desk reads them.

use chrono::{DateTime, NaiveDate, Utc};
use serde::Serialize;
use utoipa::ToSchema;

use crate::{
    catalogue::EFFECTIVE_TYPE,
    collections::{CollectionType, LoanRuleRow},
    db::{sql, Row},
    error::Result,
    Store,
};

/// A member as the desk judges a scan of their card.
#[derive(Debug, Serialize, ToSchema, sqlx::FromRow)]
pub struct DeskMember {
    pub id: i64,
    pub card_number: String,
    pub name: String,
    /// The loan-rule category's code.
    pub category: String,
    pub grade: Option<String>,
    pub expires_on: Option<NaiveDate>,
    pub blocked: bool,
    /// Other numbers the card scan may carry (a SLiMS id, NIS, NISN, an old card).
    #[sqlx(skip)]
    pub other_numbers: Vec<String>,
}

/// A loan out.
#[derive(Debug, Serialize, ToSchema, sqlx::FromRow)]
pub struct DeskLoan {
    pub id: i64,
    pub barcode: String,
    pub book_id: i64,
    pub title: String,
    pub member_id: i64,
    pub due_at: DateTime<Utc>,
    pub renewals: i64,
    /// The copy's collection type (its own, else its book's).
    pub collection_type: Option<String>,
}

/// A copy: what a scan of its barcode needs to know.
#[derive(Debug, Serialize, ToSchema, sqlx::FromRow)]
pub struct DeskCopy {
    pub barcode: String,
    pub book_id: i64,
    /// `available`, `on_loan`, `on_hold_shelf`, `lost` (withdrawn copies are left out).
    pub status: String,
    /// Its collection type (its own, else its book's).
    pub collection_type: Option<String>,
}

/// A hold waiting for a book, or ready on the hold shelf with a copy.
#[derive(Debug, Serialize, ToSchema, sqlx::FromRow)]
pub struct DeskHold {
    pub book_id: i64,
    pub member_id: i64,
    /// `waiting` or `ready`.
    pub status: String,
    /// The copy kept for the member (a ready hold).
    pub barcode: Option<String>,
}

/// A category's limits as the desk checks them offline.
#[derive(Debug, Serialize, ToSchema)]
pub struct DeskCategory {
    pub code: String,
    pub name: String,
    /// Most loans out at once.
    pub max_loans: i64,
}

/// Everything the desk keeps to judge scans offline (see the module's notes).
#[derive(Debug, Serialize, ToSchema)]
pub struct DeskSnapshot {
    /// When it was read (the server's clock).
    pub taken_at: DateTime<Utc>,
    pub categories: Vec<DeskCategory>,
    pub collection_types: Vec<CollectionType>,
    /// The loan-rule matrix's rows (a pair without one lends by the category).
    pub loan_rules: Vec<LoanRuleRow>,
    pub members: Vec<DeskMember>,
    pub loans: Vec<DeskLoan>,
    pub copies: Vec<DeskCopy>,
    pub holds: Vec<DeskHold>,
}

#[derive(sqlx::FromRow)]
struct NumberRow {
    member_id: i64,
    number: String,
}

fn decode_all<T: crate::db::Record>(rows: &[Row]) -> Result<Vec<T>> {
    Ok(rows.iter().map(Row::decode::<T>).collect::<Result<Vec<_>, _>>()?)
}

impl Store {
    /// The desk's local copy (see the module's notes).
    pub async fn desk_snapshot(&self) -> Result<DeskSnapshot> {
        let categories = self
            .categories()
            .await?
            .into_iter()
            .map(|c| DeskCategory { code: c.code, name: c.name, max_loans: c.rules.max_loans })
            .collect();
        let collection_types = self.collection_types().await?;
        let loan_rules = self.loan_rules().await?;
        let taken_at = self.now();

        let mut tx = self.db.begin_read().await?;
        let mut members: Vec<DeskMember> = decode_all(
            &tx.all(sql("SELECT id, card_number, name, category, grade, expires_on, blocked FROM members ORDER BY id"))
                .await?,
        )?;
        let numbers: Vec<NumberRow> =
            decode_all(&tx.all(sql("SELECT member_id, number FROM member_numbers ORDER BY member_id, id")).await?)?;
        let loans = decode_all(
            &tx.all(sql(format!(
                "SELECT l.id, c.barcode, b.id AS book_id, b.title, l.member_id, l.due_at, l.renewals, \
                 {EFFECTIVE_TYPE} AS collection_type \
                 FROM loans l JOIN copies c ON c.id = l.copy_id JOIN books b ON b.id = c.book_id \
                 WHERE l.returned_at IS NULL ORDER BY l.id"
            )))
            .await?,
        )?;
        let copies = decode_all(
            &tx.all(sql(format!(
                "SELECT c.barcode, c.book_id, c.status, {EFFECTIVE_TYPE} AS collection_type \
                 FROM copies c JOIN books b ON b.id = c.book_id WHERE c.status <> 'withdrawn' ORDER BY c.id"
            )))
            .await?,
        )?;
        let holds = decode_all(
            &tx.all(sql("SELECT h.book_id, h.member_id, h.status, c.barcode \
                 FROM holds h LEFT JOIN copies c ON c.id = h.copy_id \
                 WHERE h.status IN ('waiting', 'ready') ORDER BY h.id"))
                .await?,
        )?;
        tx.commit().await?;

        // Both lists are ordered by member id: one pass puts each number with its member.
        let mut numbers = numbers.into_iter().peekable();
        for m in &mut members {
            while numbers.peek().is_some_and(|n| n.member_id < m.id) {
                numbers.next();
            }
            while let Some(n) = numbers.next_if(|n| n.member_id == m.id) {
                m.other_numbers.push(n.number);
            }
        }
        Ok(DeskSnapshot { taken_at, categories, collection_types, loan_rules, members, loans, copies, holds })
    }
}
