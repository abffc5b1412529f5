//! Collection types and the loan-rule matrix (member category × collection type), issue #30.

use chrono::{DateTime, NaiveDate, Utc};
use serde::{Deserialize, Serialize};
use utoipa::ToSchema;

use super::{
    db::{sql, Row, Tx},
    error::{Result, StoreError},
    members::MemberKey,
    Actor, Reader, Store,
};
use crate::domain::{
    circulation::Refusal,
    loan_rules::{CollectionKind, LoanRule},
    Barcode, MemberRef, ShortText, ValidationError,
};

/// A term (semester) of the school year: loans due "at the end of the term" fall due on its last day.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, ToSchema, sqlx::FromRow)]
pub struct Term {
    pub id: i64,
    #[schema(example = "Semester Ganjil 2026/2027")]
    pub name: String,
    /// The first day.
    pub starts_on: NaiveDate,
    /// The last day.
    pub ends_on: NaiveDate,
}

/// A copy read in the library ("baca di tempat"), recorded at the desk.
#[derive(Debug, Clone, Serialize, ToSchema)]
pub struct InLibraryUse {
    pub id: i64,
    pub copy_id: i64,
    pub barcode: String,
    pub title: String,
    /// The copy's collection type (a code) when it was used.
    pub collection_type: Option<String>,
    /// The member who read it, when the desk said.
    pub member_id: Option<i64>,
    pub used_at: DateTime<Utc>,
}

/// A collection type (Fiksi, Referensi, Buku Paket, ...), on a book and, overriding it, on a copy.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, ToSchema, sqlx::FromRow)]
pub struct CollectionType {
    /// Stable code, e.g. `referensi`.
    #[schema(example = "referensi")]
    pub code: String,
    #[schema(example = "Referensi")]
    pub name: String,
    /// `false`: read in the library only, never lent (whatever the loan rules say).
    pub loanable: bool,
}

/// One row of the loan-rule matrix, with the pair it is for.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, ToSchema)]
pub struct LoanRuleRow {
    /// The member category's code.
    #[schema(example = "student")]
    pub category: String,
    /// The collection type's code.
    #[schema(example = "paket")]
    pub collection_type: String,
    /// What the row changes; the rest is the category's.
    #[serde(flatten)]
    pub rule: LoanRule,
}

#[derive(sqlx::FromRow)]
struct RuleRow {
    category: String,
    collection_type: String,
    lendable: bool,
    loan_days: Option<i64>,
    max_loans: Option<i64>,
    max_renewals: Option<i64>,
    fine_per_day: Option<i64>,
    fine_grace_days: i64,
    due_end_of_term: bool,
}

impl RuleRow {
    fn rule(&self) -> LoanRule {
        LoanRule {
            lendable: self.lendable,
            loan_days: self.loan_days,
            max_loans: self.max_loans,
            max_renewals: self.max_renewals,
            fine_per_day: self.fine_per_day,
            fine_grace_days: self.fine_grace_days,
            due_end_of_term: self.due_end_of_term,
        }
    }
}

const RULE_COLUMNS: &str = "r.category, r.collection_type, r.lendable, r.loan_days, r.max_loans, r.max_renewals, \
     r.fine_per_day, r.fine_grace_days, r.due_end_of_term";

/// The collection-type part of a copy's rule: its type and the matrix row for a category (read
/// as a row by [`Store::copy_rule_in`], as JSON by [`Store::COPY_RULE_OF_MEMBER`]).
#[derive(sqlx::FromRow, serde::Deserialize)]
pub(super) struct CopyRuleRow {
    code: Option<String>,
    name: Option<String>,
    #[serde(deserialize_with = "flag")]
    loanable: Option<bool>,
    #[sqlx(flatten)]
    #[serde(flatten)]
    rule: OptRuleRow,
}

#[derive(sqlx::FromRow, serde::Deserialize)]
struct OptRuleRow {
    #[serde(deserialize_with = "flag")]
    lendable: Option<bool>,
    loan_days: Option<i64>,
    max_loans: Option<i64>,
    max_renewals: Option<i64>,
    fine_per_day: Option<i64>,
    fine_grace_days: Option<i64>,
    #[serde(deserialize_with = "flag")]
    due_end_of_term: Option<bool>,
}

/// A boolean column as JSON writes it: `true`/`false`, or 1/0 (MariaDB's and SQLite's
/// `json_object` of a boolean column), or null.
fn flag<'de, D: serde::Deserializer<'de>>(d: D) -> std::result::Result<Option<bool>, D::Error> {
    Ok(match Option::<serde_json::Value>::deserialize(d)? {
        Some(serde_json::Value::Bool(b)) => Some(b),
        Some(serde_json::Value::Number(n)) => Some(n.as_i64() != Some(0)),
        Some(other) => return Err(serde::de::Error::custom(format!("not a boolean: {other}"))),
        None => None,
    })
}

impl Store {
    /// A copy's collection type and the matrix row for the category of the member `m` of the
    /// outer statement, as JSON (a scalar subquery: with a member read locked, nothing of it is
    /// locked); binds the copy's id. Read with [`Store::copy_rule_of_json`]. (On `Store`, so that
    /// the members' checkout read can use it without the modules using each other.)
    pub(super) const COPY_RULE_OF_MEMBER: &'static str = "(SELECT json_object('code', t.code, 'name', t.name, \
     'loanable', t.loanable, 'lendable', r.lendable, 'loan_days', r.loan_days, 'max_loans', r.max_loans, \
     'max_renewals', r.max_renewals, 'fine_per_day', r.fine_per_day, 'fine_grace_days', r.fine_grace_days, \
     'due_end_of_term', r.due_end_of_term) \
     FROM copies c JOIN books b ON b.id = c.book_id \
     LEFT JOIN collection_types t ON t.code = COALESCE(c.collection_type, b.collection_type) \
     LEFT JOIN loan_rules r ON r.collection_type = t.code AND r.category = m.category \
     WHERE c.id = ?)";

    /// The copy's rule read with [`Store::COPY_RULE_OF_MEMBER`] (none: no such copy).
    pub(super) fn copy_rule_of_json(json: Option<String>) -> Result<(Option<CollectionKind>, Option<LoanRule>)> {
        let json = json.ok_or(StoreError::NotFound("copy"))?;
        let row: CopyRuleRow =
            serde_json::from_str(&json).map_err(|e| anyhow::anyhow!("the rule of a copy reads wrong: {e}"))?;
        Ok(copy_rule_of(row))
    }
}

/// A copy's type and matrix row from what was read of them.
fn copy_rule_of(row: CopyRuleRow) -> (Option<CollectionKind>, Option<LoanRule>) {
    let kind = match (row.code, row.name) {
        (Some(code), Some(name)) => Some(CollectionKind { code, name, loanable: row.loanable.unwrap_or(true) }),
        _ => None,
    };
    let r = row.rule;
    let rule = r.lendable.map(|lendable| LoanRule {
        lendable,
        loan_days: r.loan_days,
        max_loans: r.max_loans,
        max_renewals: r.max_renewals,
        fine_per_day: r.fine_per_day,
        fine_grace_days: r.fine_grace_days.unwrap_or(0),
        due_end_of_term: r.due_end_of_term.unwrap_or(false),
    });
    (kind, rule)
}

pub(super) use crate::catalogue::EFFECTIVE_TYPE;

/// `Invalid` on `field` for a collection type there is not.
pub(super) fn unknown_type(field: &'static str, code: &str) -> StoreError {
    StoreError::invalid(
        field,
        ValidationError::new("unknown_collection_type", format!("there is no collection type {code:?}")),
    )
}

impl Store {
    /// Every collection type, by code.
    pub async fn collection_types(&self) -> Result<Vec<CollectionType>> {
        let rows = self.db.all(sql("SELECT code, name, loanable FROM collection_types ORDER BY code")).await?;
        Ok(rows.iter().map(Row::decode::<CollectionType>).collect::<Result<Vec<_>, _>>()?)
    }

    async fn collection_type_on(&self, on: &mut Reader<'_>, code: &str) -> Result<Option<CollectionType>> {
        let row = on.opt(sql("SELECT code, name, loanable FROM collection_types WHERE code = ?").bind(code)).await?;
        Ok(row.map(|r| r.decode::<CollectionType>()).transpose()?)
    }

    /// `Invalid` on `field` unless a collection type `code` exists (checked in the caller's transaction).
    pub(super) async fn known_type(&self, tx: &mut Tx, field: &'static str, code: &str) -> Result<()> {
        match self.collection_type_on(&mut Reader::Tx(tx), code).await? {
            Some(_) => Ok(()),
            None => Err(unknown_type(field, code)),
        }
    }

    /// Creates or replaces a collection type.
    pub async fn put_collection_type(&self, actor: &Actor, t: &CollectionType) -> Result<CollectionType> {
        crate::transaction!(self.db, |tx| {
            async {
                let exists = self.collection_type_on(&mut Reader::Tx(&mut tx), &t.code).await?.is_some();
                let q = if exists {
                    "UPDATE collection_types SET name = ?, loanable = ? WHERE code = ?"
                } else {
                    "INSERT INTO collection_types (name, loanable, code) VALUES (?, ?, ?)"
                };
                tx.exec(sql(q).bind(&t.name).bind(t.loanable).bind(&t.code)).await?;
                let action = if exists { "collection_type.update" } else { "collection_type.create" };
                self.audit(&mut tx, actor, action, "collection_type", 0, t.code.clone()).await?;
                Ok(t.clone())
            }
            .await
        })
    }

    /// Removes a collection type no book or copy has (its matrix rows go with it).
    pub async fn delete_collection_type(&self, actor: &Actor, code: &str) -> Result<()> {
        crate::transaction!(self.db, |tx| async {
            self.collection_type_on(&mut Reader::Tx(&mut tx), code)
                .await?
                .ok_or(StoreError::NotFound("collection type"))?;
            let used = tx
                .opt(
                    sql("SELECT 1 AS used FROM books WHERE collection_type = ? \
                         UNION ALL SELECT 1 AS used FROM copies WHERE collection_type = ? LIMIT 1")
                    .bind(code)
                    .bind(code),
                )
                .await?
                .is_some();
            if used {
                return Err(Refusal::TypeInUse.into());
            }
            tx.exec(sql("DELETE FROM loan_rules WHERE collection_type = ?").bind(code)).await?;
            tx.exec(sql("DELETE FROM collection_types WHERE code = ?").bind(code)).await?;
            self.audit(&mut tx, actor, "collection_type.delete", "collection_type", 0, code).await
        }
        .await)
    }

    /// The whole loan-rule matrix (its rows; a pair without one lends by the category).
    pub async fn loan_rules(&self) -> Result<Vec<LoanRuleRow>> {
        let rows = self
            .db
            .all(sql(format!("SELECT {RULE_COLUMNS} FROM loan_rules r ORDER BY r.category, r.collection_type")))
            .await?;
        rows.iter()
            .map(|r| {
                let row: RuleRow = r.decode()?;
                Ok(LoanRuleRow { rule: row.rule(), category: row.category, collection_type: row.collection_type })
            })
            .collect()
    }

    /// Sets the matrix row of a category and a collection type (both must exist).
    pub async fn put_loan_rule(&self, actor: &Actor, row: &LoanRuleRow) -> Result<LoanRuleRow> {
        crate::transaction!(self.db, |tx| {
            async {
                let category = tx.opt(sql("SELECT code FROM categories WHERE code = ?").bind(&row.category)).await?;
                if category.is_none() {
                    return Err(StoreError::NotFound("category"));
                }
                if self.collection_type_on(&mut Reader::Tx(&mut tx), &row.collection_type).await?.is_none() {
                    return Err(StoreError::NotFound("collection type"));
                }
                tx.exec(
                    sql("DELETE FROM loan_rules WHERE category = ? AND collection_type = ?")
                        .bind(&row.category)
                        .bind(&row.collection_type),
                )
                .await?;
                let r = &row.rule;
                tx.exec(
                    sql("INSERT INTO loan_rules (category, collection_type, lendable, loan_days, max_loans, \
                         max_renewals, fine_per_day, fine_grace_days, due_end_of_term) \
                         VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?)")
                    .bind(&row.category)
                    .bind(&row.collection_type)
                    .bind(r.lendable)
                    .bind(r.loan_days)
                    .bind(r.max_loans)
                    .bind(r.max_renewals)
                    .bind(r.fine_per_day)
                    .bind(r.fine_grace_days)
                    .bind(r.due_end_of_term),
                )
                .await?;
                let detail = format!("{} x {}", row.category, row.collection_type);
                self.audit(&mut tx, actor, "loan_rule.put", "loan_rule", 0, detail).await?;
                Ok(row.clone())
            }
            .await
        })
    }

    /// Removes a matrix row: the pair lends by the category again.
    pub async fn delete_loan_rule(&self, actor: &Actor, category: &str, collection_type: &str) -> Result<()> {
        crate::transaction!(self.db, |tx| async {
            let done = tx
                .exec(
                    sql("DELETE FROM loan_rules WHERE category = ? AND collection_type = ?")
                        .bind(category)
                        .bind(collection_type),
                )
                .await?;
            if done.rows == 0 {
                return Err(StoreError::NotFound("loan rule"));
            }
            let detail = format!("{category} x {collection_type}");
            self.audit(&mut tx, actor, "loan_rule.delete", "loan_rule", 0, detail).await
        }
        .await)
    }

    /// A copy's collection type (its own, else its book's) and the matrix row for `category` and
    /// that type, in the caller's transaction (nothing locked: rules change by an admin's hand).
    pub(super) async fn copy_rule_in(
        &self,
        tx: &mut Tx,
        copy_id: i64,
        category: &str,
    ) -> Result<(Option<CollectionKind>, Option<LoanRule>)> {
        let row: CopyRuleRow = tx
            .opt(
                sql(format!(
                    "SELECT t.code, t.name, t.loanable, r.lendable, r.loan_days, r.max_loans, r.max_renewals, \
                     r.fine_per_day, r.fine_grace_days, r.due_end_of_term \
                     FROM copies c JOIN books b ON b.id = c.book_id \
                     LEFT JOIN collection_types t ON t.code = {EFFECTIVE_TYPE} \
                     LEFT JOIN loan_rules r ON r.collection_type = t.code AND r.category = ? \
                     WHERE c.id = ?"
                ))
                .bind(category)
                .bind(copy_id),
            )
            .await?
            .ok_or(StoreError::NotFound("copy"))?
            .decode()?;
        Ok(copy_rule_of(row))
    }

    /// How many loans member `member_id` has out of copies whose collection type is `code`.
    pub(super) async fn loans_of_type_in(&self, tx: &mut Tx, member_id: i64, code: &str) -> Result<i64> {
        let row = tx
            .opt(
                sql(format!(
                    "SELECT COUNT(*) AS n FROM loans l JOIN copies c ON c.id = l.copy_id JOIN books b ON b.id = c.book_id \
                     WHERE l.member_id = ? AND l.returned_at IS NULL AND {EFFECTIVE_TYPE} = ?"
                ))
                .bind(member_id)
                .bind(code),
            )
            .await?
            .ok_or(StoreError::NotFound("member"))?;
        Ok(row.decode::<(i64,)>()?.0)
    }

    /// The terms, by their first day.
    pub async fn terms(&self) -> Result<Vec<Term>> {
        let rows = self.db.all(sql("SELECT id, name, starts_on, ends_on FROM terms ORDER BY starts_on, id")).await?;
        Ok(rows.iter().map(Row::decode::<Term>).collect::<Result<Vec<_>, _>>()?)
    }

    /// Adds a term; it may not overlap another (a day belongs to one term at most).
    pub async fn add_term(
        &self,
        actor: &Actor,
        name: &ShortText,
        starts_on: NaiveDate,
        ends_on: NaiveDate,
    ) -> Result<Term> {
        if ends_on < starts_on {
            return Err(StoreError::invalid(
                "ends_on",
                ValidationError::new("range_reversed", "the term ends before it starts"),
            ));
        }
        crate::transaction!(self.db, |tx| {
            async {
                let clash = tx
                    .opt(
                        sql("SELECT name FROM terms WHERE starts_on <= ? AND ends_on >= ? LIMIT 1")
                            .bind(ends_on)
                            .bind(starts_on),
                    )
                    .await?;
                if let Some(r) = clash {
                    let (other,): (String,) = r.decode()?;
                    return Err(StoreError::invalid(
                        "starts_on",
                        ValidationError::new("term_overlaps", format!("the term overlaps the term {other:?}")),
                    ));
                }
                let id = tx
                    .exec(
                        sql("INSERT INTO terms (name, starts_on, ends_on) VALUES (?, ?, ?)")
                            .bind(name.as_str())
                            .bind(starts_on)
                            .bind(ends_on),
                    )
                    .await?
                    .last_id;
                let detail = format!("{} {starts_on}..{ends_on}", name.as_str());
                self.audit(&mut tx, actor, "term.create", "term", id, detail).await?;
                Ok(Term { id, name: name.as_str().to_owned(), starts_on, ends_on })
            }
            .await
        })
    }

    /// Removes a term (loans already due at its end keep their date).
    pub async fn delete_term(&self, actor: &Actor, id: i64) -> Result<()> {
        crate::transaction!(self.db, |tx| async {
            let row = tx.opt(sql("SELECT name, starts_on, ends_on FROM terms WHERE id = ?").bind(id)).await?;
            let (name, starts_on, ends_on): (String, NaiveDate, NaiveDate) =
                row.ok_or(StoreError::NotFound("term"))?.decode()?;
            tx.exec(sql("DELETE FROM terms WHERE id = ?").bind(id)).await?;
            self.audit(&mut tx, actor, "term.delete", "term", id, format!("{name} ({starts_on} to {ends_on})")).await
        }
        .await)
    }

    /// The last day of the term containing `day`, if one does.
    pub(super) async fn term_end_in(&self, tx: &mut Tx, day: NaiveDate) -> Result<Option<NaiveDate>> {
        let row = tx
            .opt(
                sql("SELECT ends_on FROM terms WHERE starts_on <= ? AND ends_on >= ? ORDER BY ends_on LIMIT 1")
                    .bind(day)
                    .bind(day),
            )
            .await?;
        Ok(row.map(|r| r.decode::<(NaiveDate,)>()).transpose()?.map(|(d,)| d))
    }

    /// Records that the copy with `barcode` was read in the library (by the member `member`, when
    /// the desk says): never a loan, the copy's status untouched, whatever it is.
    pub async fn record_in_library_use(
        &self,
        actor: &Actor,
        barcode: &Barcode,
        member: Option<&MemberRef>,
    ) -> Result<InLibraryUse> {
        crate::transaction!(self.db, |tx| {
            async {
                let at = self.now();
                let copy = self.copy_by_barcode_in(&mut tx, barcode).await?;
                let member_id = match member {
                    Some(card) => Some(self.borrower_in(&mut tx, MemberKey::Card(card)).await?.0.id),
                    None => None,
                };
                let id = tx
                    .exec(
                        sql("INSERT INTO in_library_uses (copy_id, member_id, collection_type, used_at, recorded_by) \
                             VALUES (?, ?, ?, ?, ?)")
                        .bind(copy.id)
                        .bind(member_id)
                        .bind(copy.collection_type.clone())
                        .bind(at)
                        .bind(&actor.username),
                    )
                    .await?
                    .last_id;
                self.audit(&mut tx, actor, "copy.in_library_use", "copy", copy.id, copy.barcode.clone()).await?;
                Ok(InLibraryUse {
                    id,
                    copy_id: copy.id,
                    barcode: copy.barcode,
                    title: copy.title,
                    collection_type: copy.collection_type,
                    member_id,
                    used_at: at,
                })
            }
            .await
        })
    }
}
