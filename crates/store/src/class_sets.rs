//! Textbook class sets (buku paket per kelas), issue #30: one copy of a title (or of each of a
//! set of titles) lent to every student of a class in one transaction, all or nothing.
//!
//! Every loan goes through [`Store::lend_in`], the desk's checkout: the same locks (copy, then
//! member), the same domain rule (`may_lend`, then `may_checkout` with the matrix row of the
//! copy's collection type for the student's category) and the same due date (the end of the term
//! when the matrix says so). A class set is therefore never a way around a block or a limit, and
//! the one-open-loan-per-copy index keeps a copy from being lent twice when a desk races it.

use chrono::{DateTime, Utc};
use serde::Serialize;
use utoipa::ToSchema;

use super::{
    db::{sql, Row, Tx},
    error::{Result, StoreError},
    members::MemberKey,
    Actor, Store,
};
use crate::{
    domain::{circulation::Refusal, Barcode, Grade, ValidationError},
    model::{Copy, Loan},
};

/// How the copies of a class set are chosen.
#[derive(Debug, Clone)]
pub enum CopyChoice {
    /// The copies scanned, in any order: matched to the students of the class in class-list order,
    /// title by title (the first scanned copy of a title to the first student, ...).
    Scanned(Vec<Barcode>),
    /// Pustaka picks available copies of each title, by barcode.
    Assign,
}

/// A student of a class, in class-list order (by name, then card number).
#[derive(Debug, Clone, Serialize, ToSchema, sqlx::FromRow)]
pub struct Student {
    pub member_id: i64,
    pub card_number: String,
    pub name: String,
}

/// One line of a class's list for a title: the student, and the copy they have or had.
#[derive(Debug, Clone, Serialize, ToSchema)]
pub struct ClassSetLine {
    /// The place on the class list, from 1.
    pub number: usize,
    pub member_id: i64,
    pub card_number: String,
    pub name: String,
    pub book_id: i64,
    pub title: String,
    /// The loan of a copy of the title: the open one, else the latest returned one; none if the
    /// student never had one.
    pub loan_id: Option<i64>,
    pub barcode: Option<String>,
    pub loaned_at: Option<DateTime<Utc>>,
    pub due_at: Option<DateTime<Utc>>,
    pub returned_at: Option<DateTime<Utc>>,
    /// `out` (has it now), `returned`, or `none` (never had one).
    pub state: &'static str,
}

/// A class's list for some titles, with its counts.
#[derive(Debug, Clone, Serialize, ToSchema)]
pub struct ClassSetList {
    pub grade: String,
    pub students: usize,
    /// Lines with a copy still out.
    pub out: usize,
    /// Lines whose copy came back.
    pub returned: usize,
    /// Lines of students who never had a copy of the title.
    pub none: usize,
    pub lines: Vec<ClassSetLine>,
}

/// A title of a class set, as read.
#[derive(sqlx::FromRow)]
struct Title {
    id: i64,
    title: String,
}

/// A loan of a title by a student of a class, as the list reads it.
#[derive(sqlx::FromRow)]
struct ClassLoan {
    id: i64,
    member_id: i64,
    book_id: i64,
    barcode: String,
    loaned_at: DateTime<Utc>,
    due_at: DateTime<Utc>,
    returned_at: Option<DateTime<Utc>>,
}

/// Upper bounds on one request.
pub const MAX_TITLES: usize = 20;
pub const MAX_STUDENTS: usize = 60;

fn fault(field: String, e: StoreError) -> (String, StoreError) {
    (field, e)
}

fn invalid(code: &'static str, message: String) -> StoreError {
    StoreError::invalid("", ValidationError::new(code, message))
}

impl Store {
    /// The students of `grade` (whatever its case), in class-list order.
    async fn students_in(&self, tx: &mut Tx, grade: &Grade) -> Result<Vec<Student>> {
        let rows = tx
            .all(
                sql("SELECT id AS member_id, card_number, name FROM members WHERE LOWER(grade) = LOWER(?) \
                     ORDER BY name, card_number")
                .bind(grade.as_str()),
            )
            .await?;
        Ok(rows.iter().map(Row::decode::<Student>).collect::<Result<Vec<_>, _>>()?)
    }

    /// Lends one copy of each of `books` to every student of `grade`, all or nothing: either every
    /// loan is made (and returned, title by title in class-list order), or nothing is lent and
    /// [`StoreError::Faults`] lists every student and copy at fault.
    pub async fn lend_class_set(
        &self,
        actor: &Actor,
        grade: &Grade,
        books: &[i64],
        choice: &CopyChoice,
        scanned: Option<DateTime<Utc>>,
    ) -> Result<Vec<Loan>> {
        crate::transaction!(self.db, |tx| {
            async {
                let at = scanned.unwrap_or_else(|| self.now());
                let students = self.students_in(&mut tx, grade).await?;
                if students.is_empty() {
                    return Err(StoreError::invalid(
                        "grade",
                        ValidationError::new("empty_class", format!("no member is in class {grade}")),
                    ));
                }
                if students.len() > MAX_STUDENTS {
                    return Err(StoreError::invalid(
                        "grade",
                        ValidationError::new(
                            "too_many",
                            format!("class {grade} has {} members; a class set lends to {MAX_STUDENTS} at most", students.len()),
                        ),
                    ));
                }
                let mut faults = Vec::new();
                let mut titles = Vec::new();
                for (i, id) in books.iter().enumerate() {
                    let row = tx.opt(sql("SELECT id, title FROM books WHERE id = ?").bind(*id)).await?;
                    match row {
                        Some(r) => titles.push(r.decode::<Title>()?),
                        None => faults.push(fault(format!("book_ids[{i}]"), StoreError::NotFound("book"))),
                    }
                }
                // The copies of each title, in the order they go to the students. Locked as read:
                // copies first, then members (the desk's lock order).
                let mut copies: Vec<Vec<(Option<usize>, Copy)>> = titles.iter().map(|_| Vec::new()).collect();
                match choice {
                    CopyChoice::Scanned(barcodes) => {
                        let mut seen = std::collections::HashSet::new();
                        for (j, barcode) in barcodes.iter().enumerate() {
                            let field = format!("barcodes[{j}]");
                            if !seen.insert(barcode.as_str().to_lowercase()) {
                                faults.push(fault(field, invalid("duplicate", format!("{barcode} is scanned twice"))));
                                continue;
                            }
                            match self.copy_by_barcode_in(&mut tx, barcode).await {
                                Ok(copy) => match titles.iter().position(|t| t.id == copy.book_id) {
                                    Some(t) => copies[t].push((Some(j), copy)),
                                    None => faults.push(fault(
                                        field,
                                        invalid(
                                            "wrong_title",
                                            format!("{barcode} is a copy of \"{}\", not of the titles of this set", copy.title),
                                        ),
                                    )),
                                },
                                Err(StoreError::NotFound(w)) => faults.push(fault(field, StoreError::NotFound(w))),
                                Err(e) => return Err(e),
                            }
                        }
                    }
                    CopyChoice::Assign => {
                        let lock = tx.for_update();
                        for (t, title) in titles.iter().enumerate() {
                            // The available copies, locked; one read under the lock sees what
                            // every other desk has committed.
                            let rows = tx
                                .all(
                                    sql(format!(
                                        "SELECT id FROM copies WHERE book_id = ? AND status = 'available' ORDER BY barcode{lock}"
                                    ))
                                    .bind(title.id),
                                )
                                .await?;
                            for r in rows.iter().take(students.len()) {
                                let (id,) = r.decode::<(i64,)>()?;
                                let copy = self.copy_in(&mut tx, id).await?;
                                copies[t].push((None, copy));
                            }
                        }
                    }
                }
                for (t, title) in titles.iter().enumerate() {
                    let (have, need) = (copies[t].len(), students.len());
                    if have < need {
                        let field = match choice {
                            CopyChoice::Assign => format!("book_ids[{}]", books.iter().position(|b| *b == title.id).unwrap_or(t)),
                            CopyChoice::Scanned(_) => "barcodes".to_owned(),
                        };
                        let missing: Vec<&str> = students[have..].iter().map(|s| s.name.as_str()).collect();
                        faults.push(fault(
                            field,
                            invalid(
                                "not_enough_copies",
                                format!(
                                    "\"{}\": {have} copies for {need} students; none for {}",
                                    title.title,
                                    missing.join(", ")
                                ),
                            ),
                        ));
                    } else if have > need {
                        for (j, copy) in &copies[t][need..] {
                            let field = j.map_or_else(|| "barcodes".to_owned(), |j| format!("barcodes[{j}]"));
                            faults.push(fault(
                                field,
                                invalid(
                                    "too_many_copies",
                                    format!("{}: \"{}\" has one copy for each of the {need} students already", copy.barcode, title.title),
                                ),
                            ));
                        }
                    }
                }
                // Every loan by the desk's rule, collecting the refusals instead of stopping at
                // the first, so that the answer names every student at fault.
                let mut loans = Vec::with_capacity(titles.len() * students.len());
                for (t, title) in titles.iter().enumerate() {
                    // A student who has a copy of the title already gets no second one.
                    let having = tx
                        .all(
                            sql("SELECT l.member_id FROM loans l JOIN copies c ON c.id = l.copy_id \
                                 WHERE c.book_id = ? AND l.returned_at IS NULL")
                            .bind(title.id),
                        )
                        .await?
                        .iter()
                        .map(|r| r.decode::<(i64,)>().map(|(m,)| m))
                        .collect::<Result<std::collections::HashSet<i64>, _>>()?;
                    for (i, (student, (j, copy))) in students.iter().zip(copies[t].iter().cloned()).enumerate() {
                        let field = format!("students[{i}]");
                        if having.contains(&student.member_id) {
                            faults.push(fault(
                                field,
                                invalid(
                                    "already_has_title",
                                    format!("{} ({}) has a copy of \"{}\" already", student.name, student.card_number, title.title),
                                ),
                            ));
                            continue;
                        }
                        match self.lend_in(&mut tx, actor, copy, MemberKey::Id(student.member_id), at).await {
                            Ok(loan) => loans.push(loan),
                            Err(StoreError::Refused(r)) => {
                                // A refusal about the copy names the copy; about the member, the student.
                                let field = match (&r, j) {
                                    (
                                        Refusal::CopyOnLoan { .. }
                                        | Refusal::CopyUnavailable { .. }
                                        | Refusal::CopyInCirculation { .. }
                                        | Refusal::CopyChanged { .. }
                                        | Refusal::CopyHeldForOther { .. }
                                        | Refusal::NotForLoan { .. },
                                        Some(j),
                                    ) => format!("barcodes[{j}]"),
                                    _ => field,
                                };
                                faults.push(fault(field, StoreError::Refused(r)));
                            }
                            Err(e) => return Err(e),
                        }
                    }
                }
                if faults.is_empty() {
                    Ok(loans)
                } else {
                    // Nothing is kept: the transaction rolls back.
                    Err(StoreError::Faults(faults))
                }
            }
            .await
        })
    }

    /// Who in `grade` has (or had) a copy of each of `books`: a line per student and title, in
    /// class-list order, title by title.
    pub async fn class_set_list(&self, grade: &Grade, books: &[i64]) -> Result<ClassSetList> {
        let mut tx = self.db.begin_read().await?;
        let students = self.students_in(&mut tx, grade).await?;
        let mut lines = Vec::new();
        for book in books {
            let title = tx
                .opt(sql("SELECT id, title FROM books WHERE id = ?").bind(*book))
                .await?
                .ok_or(StoreError::NotFound("book"))?
                .decode::<Title>()?;
            let rows = tx
                .all(
                    sql("SELECT l.id, l.member_id, c.book_id, c.barcode, l.loaned_at, l.due_at, l.returned_at \
                         FROM loans l JOIN copies c ON c.id = l.copy_id JOIN members m ON m.id = l.member_id \
                         WHERE c.book_id = ? AND LOWER(m.grade) = LOWER(?) ORDER BY l.loaned_at, l.id")
                    .bind(title.id)
                    .bind(grade.as_str()),
                )
                .await?;
            let loans = rows.iter().map(Row::decode::<ClassLoan>).collect::<Result<Vec<_>, _>>()?;
            for (i, s) in students.iter().enumerate() {
                let mine = loans.iter().filter(|l| l.member_id == s.member_id);
                // The open loan, else the latest one.
                let loan = mine.clone().find(|l| l.returned_at.is_none()).or_else(|| mine.clone().next_back());
                let state = match loan {
                    Some(l) if l.returned_at.is_none() => "out",
                    Some(_) => "returned",
                    None => "none",
                };
                lines.push(ClassSetLine {
                    number: i + 1,
                    member_id: s.member_id,
                    card_number: s.card_number.clone(),
                    name: s.name.clone(),
                    book_id: title.id,
                    title: title.title.clone(),
                    loan_id: loan.map(|l| l.id),
                    barcode: loan.map(|l| l.barcode.clone()),
                    loaned_at: loan.map(|l| l.loaned_at),
                    due_at: loan.map(|l| l.due_at),
                    returned_at: loan.and_then(|l| l.returned_at),
                    state,
                });
            }
            debug_assert!(loans.iter().all(|l| l.book_id == title.id));
        }
        let count = |s: &str| lines.iter().filter(|l| l.state == s).count();
        Ok(ClassSetList {
            grade: grade.to_string(),
            students: students.len(),
            out: count("out"),
            returned: count("returned"),
            none: count("none"),
            lines,
        })
    }

    /// The titles members of `grade` have or had on loan, by title (for the desk to choose from).
    pub async fn class_titles(&self, grade: &Grade) -> Result<Vec<i64>> {
        let rows = self
            .db
            .all(
                sql("SELECT DISTINCT c.book_id FROM loans l JOIN copies c ON c.id = l.copy_id \
                     JOIN members m ON m.id = l.member_id WHERE LOWER(m.grade) = LOWER(?) AND l.returned_at IS NULL \
                     ORDER BY c.book_id")
                .bind(grade.as_str()),
            )
            .await?;
        Ok(rows.iter().map(|r| r.decode::<(i64,)>().map(|(b,)| b)).collect::<Result<Vec<_>, _>>()?)
    }
}
