//! The reading programme (Gerakan Literasi Sekolah, #34): a target of books per student for a
//! term, what each student read in a term (loans made in the term, those of them returned by its
//! end, and reads in the library), per class a summary, and the classes a teacher's account may
//! see.
//!
//! A book counts as read when a loan made in the term came back by the term's end, or when the
//! member read a copy in the library in the term: `read = returned + in_library`. The target is
//! met when `read >= target`.

use chrono::{DateTime, NaiveDate, TimeDelta, Utc};
use serde::Serialize;
use utoipa::ToSchema;

use crate::{
    collections::Term,
    db::{sql, Row},
    domain::{time, Grade},
    error::{Result, StoreError},
    Actor, Store,
};

/// A term's target: books each student should read in it.
#[derive(Debug, Clone, Serialize, ToSchema)]
pub struct ReadingTarget {
    pub term_id: i64,
    #[schema(example = "Semester Ganjil 2026/2027")]
    pub term_name: String,
    pub starts_on: NaiveDate,
    pub ends_on: NaiveDate,
    /// Books per student; none while no target is set.
    pub books: Option<i64>,
}

/// What one student read in a term.
#[derive(Debug, Clone, Serialize, ToSchema)]
pub struct StudentReading {
    pub member_id: i64,
    pub card_number: String,
    pub name: String,
    /// The member's class (kelas/rombel).
    pub grade: Option<String>,
    /// Loans made in the term.
    pub borrowed: i64,
    /// Of those, returned by the term's end.
    pub returned: i64,
    /// Reads in the library in the term.
    pub in_library: i64,
    /// `returned + in_library`.
    pub read: i64,
    /// `read >= target`; none while the term has no target.
    pub reached: Option<bool>,
}

/// A class's summary for a term.
#[derive(Debug, Clone, Serialize, ToSchema)]
pub struct ClassSummary {
    #[schema(example = "7A")]
    pub grade: String,
    /// Members in the class.
    pub students: i64,
    /// Books read by the class (sum of `read`).
    pub read: i64,
    /// Books read per student, to one decimal.
    pub average: f64,
    /// Students who reached the target; none while the term has no target.
    pub reached: Option<i64>,
}

/// Whose reading to read.
#[derive(Debug, Clone)]
pub enum Readers {
    /// Every member with a class.
    All,
    /// The members of these classes (whatever their case).
    Classes(Vec<String>),
    /// One member.
    Member(i64),
}

/// The most books a target may ask.
pub const MAX_TARGET: i64 = 1000;

impl Store {
    /// A term by id (`NotFound("term")`).
    pub async fn term(&self, id: i64) -> Result<Term> {
        let row = self.db.opt(sql("SELECT id, name, starts_on, ends_on FROM terms WHERE id = ?").bind(id)).await?;
        Ok(row.ok_or(StoreError::NotFound("term"))?.decode()?)
    }

    /// The term containing `day`, if one does.
    pub async fn term_on(&self, day: NaiveDate) -> Result<Option<Term>> {
        let row = self
            .db
            .opt(
                sql("SELECT id, name, starts_on, ends_on FROM terms WHERE starts_on <= ? AND ends_on >= ? \
                     ORDER BY starts_on LIMIT 1")
                .bind(day)
                .bind(day),
            )
            .await?;
        Ok(row.map(|r| r.decode()).transpose()?)
    }

    /// Every term with its target.
    pub async fn reading_targets(&self) -> Result<Vec<ReadingTarget>> {
        let rows = self
            .db
            .all(sql("SELECT t.id, t.name, t.starts_on, t.ends_on, r.books FROM terms t \
                 LEFT JOIN reading_targets r ON r.term_id = t.id ORDER BY t.starts_on, t.id"))
            .await?;
        rows.iter()
            .map(|r| {
                let (term_id, term_name, starts_on, ends_on, books): (i64, String, NaiveDate, NaiveDate, Option<i64>) =
                    r.decode()?;
                Ok(ReadingTarget { term_id, term_name, starts_on, ends_on, books })
            })
            .collect()
    }

    /// The target of one term.
    pub async fn reading_target(&self, term_id: i64) -> Result<ReadingTarget> {
        self.reading_targets().await?.into_iter().find(|t| t.term_id == term_id).ok_or(StoreError::NotFound("term"))
    }

    /// Sets a term's target (`books` from 1 to [`MAX_TARGET`], checked by the caller).
    pub async fn set_reading_target(&self, actor: &Actor, term_id: i64, books: i64) -> Result<ReadingTarget> {
        let now = self.now();
        crate::transaction!(self.db, |tx| async {
            tx.opt(sql("SELECT id FROM terms WHERE id = ?").bind(term_id))
                .await?
                .ok_or(StoreError::NotFound("term"))?;
            tx.exec(sql("DELETE FROM reading_targets WHERE term_id = ?").bind(term_id)).await?;
            tx.exec(
                sql("INSERT INTO reading_targets (term_id, books, updated_at) VALUES (?, ?, ?)")
                    .bind(term_id)
                    .bind(books)
                    .bind(now),
            )
            .await?;
            self.audit(&mut tx, actor, "reading.target", "term", term_id, format!("{books} books")).await
        }
        .await)?;
        self.reading_target(term_id).await
    }

    /// The classes an account may see in the reading programme, sorted.
    pub async fn teacher_classes(&self, user_id: i64) -> Result<Vec<String>> {
        let rows = self
            .db
            .all(sql("SELECT grade FROM teacher_classes WHERE user_id = ? ORDER BY grade").bind(user_id))
            .await?;
        rows.iter().map(|r| Ok(r.decode::<(String,)>()?.0)).collect()
    }

    /// Replaces the classes an account may see (`NotFound("user")` for no such account).
    pub async fn set_teacher_classes(&self, actor: &Actor, user_id: i64, classes: &[Grade]) -> Result<Vec<String>> {
        let mut names: Vec<String> = classes.iter().map(|g| g.as_str().to_owned()).collect();
        names.sort_by_key(|n| n.to_lowercase());
        names.dedup_by_key(|n| n.to_lowercase());
        crate::transaction!(self.db, |tx| async {
            tx.opt(sql("SELECT id FROM users WHERE id = ?").bind(user_id))
                .await?
                .ok_or(StoreError::NotFound("user"))?;
            tx.exec(sql("DELETE FROM teacher_classes WHERE user_id = ?").bind(user_id)).await?;
            for n in &names {
                tx.exec(
                    sql("INSERT INTO teacher_classes (user_id, grade) VALUES (?, ?)").bind(user_id).bind(n.as_str()),
                )
                .await?;
            }
            self.audit(&mut tx, actor, "user.classes", "user", user_id, names.join(", ")).await
        }
        .await)?;
        self.teacher_classes(user_id).await
    }

    /// The instants `[start, end)` of a term's days in the library's time zone.
    fn term_instants(&self, term: &Term) -> (DateTime<Utc>, DateTime<Utc>) {
        let second = TimeDelta::seconds(1);
        let start =
            term.starts_on.pred_opt().map_or(DateTime::<Utc>::MIN_UTC, |d| time::end_of_day(d, self.tz()) + second);
        (start, time::end_of_day(term.ends_on, self.tz()) + second)
    }

    /// What each of `who` read in `term`, by class then name; `target` decides `reached`.
    pub async fn term_reading(&self, term: &Term, target: Option<i64>, who: &Readers) -> Result<Vec<StudentReading>> {
        let (start, end) = self.term_instants(term);
        let filter = match who {
            Readers::All => "m.grade IS NOT NULL".to_owned(),
            Readers::Classes(c) if c.is_empty() => return Ok(Vec::new()),
            Readers::Classes(c) => format!("LOWER(m.grade) IN ({})", vec!["LOWER(?)"; c.len()].join(", ")),
            Readers::Member(_) => "m.id = ?".to_owned(),
        };
        let text = format!(
            "SELECT m.id, m.card_number, m.name, m.grade, \
             (SELECT COUNT(*) FROM loans l WHERE l.member_id = m.id AND l.loaned_at >= ? AND l.loaned_at < ?) AS borrowed, \
             (SELECT COUNT(*) FROM loans l WHERE l.member_id = m.id AND l.loaned_at >= ? AND l.loaned_at < ? \
                AND l.returned_at IS NOT NULL AND l.returned_at < ?) AS returned, \
             (SELECT COUNT(*) FROM in_library_uses u WHERE u.member_id = m.id AND u.used_at >= ? AND u.used_at < ?) AS in_library \
             FROM members m WHERE {filter} ORDER BY LOWER(m.grade), m.name, m.id"
        );
        let mut q = sql(text).bind(start).bind(end).bind(start).bind(end).bind(end).bind(start).bind(end);
        match who {
            Readers::All => {}
            Readers::Classes(c) => {
                for g in c {
                    q = q.bind(g.clone());
                }
            }
            Readers::Member(id) => q = q.bind(*id),
        }
        let rows = self.db.all(q).await?;
        rows.iter()
            .map(|r: &Row| {
                let (member_id, card_number, name, grade, borrowed, returned, in_library): (
                    i64,
                    String,
                    String,
                    Option<String>,
                    i64,
                    i64,
                    i64,
                ) = r.decode()?;
                let read = returned + in_library;
                Ok(StudentReading {
                    member_id,
                    card_number,
                    name,
                    grade,
                    borrowed,
                    returned,
                    in_library,
                    read,
                    reached: target.map(|t| read >= t),
                })
            })
            .collect()
    }
}

/// A book on a member's reading list.
#[derive(Debug, Clone, Serialize, ToSchema, sqlx::FromRow)]
pub struct ReadingListEntry {
    pub book_id: i64,
    pub title: String,
    pub added_at: DateTime<Utc>,
    /// Copies on the shelf now.
    pub copies_available: i64,
}

/// The most books a reading list holds.
pub const READING_LIST_MAX: i64 = 200;

impl Store {
    /// A member's reading list, newest first (`NotFound("member")`).
    pub async fn reading_list(&self, member_id: i64) -> Result<Vec<ReadingListEntry>> {
        self.db
            .opt(sql("SELECT id FROM members WHERE id = ?").bind(member_id))
            .await?
            .ok_or(StoreError::NotFound("member"))?;
        let rows = self
            .db
            .all(
                sql("SELECT r.book_id, b.title, r.added_at, \
                     (SELECT COUNT(*) FROM copies c WHERE c.book_id = b.id AND c.status = 'available') AS copies_available \
                     FROM reading_list r JOIN books b ON b.id = r.book_id WHERE r.member_id = ? \
                     ORDER BY r.added_at DESC, r.book_id DESC")
                .bind(member_id),
            )
            .await?;
        Ok(rows.iter().map(Row::decode::<ReadingListEntry>).collect::<Result<Vec<_>, _>>()?)
    }

    /// Puts a book on a member's reading list (already there: nothing changes). At most
    /// [`READING_LIST_MAX`] books.
    pub async fn add_to_reading_list(&self, member_id: i64, book_id: i64) -> Result<Vec<ReadingListEntry>> {
        let now = self.now();
        crate::transaction!(self.db, |tx| async {
            tx.opt(sql("SELECT id FROM members WHERE id = ?").bind(member_id))
                .await?
                .ok_or(StoreError::NotFound("member"))?;
            tx.opt(sql("SELECT id FROM books WHERE id = ?").bind(book_id))
                .await?
                .ok_or(StoreError::NotFound("book"))?;
            let there = tx
                .opt(
                    sql("SELECT book_id FROM reading_list WHERE member_id = ? AND book_id = ?")
                        .bind(member_id)
                        .bind(book_id),
                )
                .await?;
            if there.is_some() {
                return Ok(());
            }
            let (n,): (i64,) = tx
                .opt(sql("SELECT COUNT(*) FROM reading_list WHERE member_id = ?").bind(member_id))
                .await?
                .ok_or(StoreError::NotFound("member"))?
                .decode()?;
            if n >= READING_LIST_MAX {
                return Err(StoreError::invalid(
                    "book_id",
                    crate::domain::ValidationError::new(
                        "list_full",
                        format!("a reading list holds at most {READING_LIST_MAX} books"),
                    ),
                ));
            }
            tx.exec(
                sql("INSERT INTO reading_list (member_id, book_id, added_at) VALUES (?, ?, ?)")
                    .bind(member_id)
                    .bind(book_id)
                    .bind(now),
            )
            .await?;
            Ok(())
        }
        .await)?;
        self.reading_list(member_id).await
    }

    /// Takes a book off a member's reading list (`NotFound("book")` when it is not on it).
    pub async fn remove_from_reading_list(&self, member_id: i64, book_id: i64) -> Result<()> {
        crate::transaction!(self.db, |tx| async {
            let done = tx
                .exec(sql("DELETE FROM reading_list WHERE member_id = ? AND book_id = ?").bind(member_id).bind(book_id))
                .await?;
            if done.rows == 0 {
                return Err(StoreError::NotFound("book"));
            }
            Ok(())
        }
        .await)
    }
}

/// Per class a summary of `students` (as [`Store::term_reading`] gives them, by class).
pub fn class_summaries(students: &[StudentReading], target: Option<i64>) -> Vec<ClassSummary> {
    let mut out: Vec<ClassSummary> = Vec::new();
    for s in students {
        let grade = s.grade.clone().unwrap_or_default();
        let same = out.last().is_some_and(|c| c.grade.to_lowercase() == grade.to_lowercase());
        if !same {
            out.push(ClassSummary { grade, students: 0, read: 0, average: 0.0, reached: target.map(|_| 0) });
        }
        let c = out.last_mut().expect("pushed");
        c.students += 1;
        c.read += s.read;
        if s.reached == Some(true) {
            c.reached = c.reached.map(|n| n + 1);
        }
    }
    for c in &mut out {
        c.average = ((c.read * 10) as f64 / c.students as f64).round() / 10.0;
    }
    out
}

/// The most active readers: those who read at least one book, most first (then by name), at most
/// `limit`.
pub fn top_readers(students: &[StudentReading], limit: usize) -> Vec<StudentReading> {
    let mut v: Vec<StudentReading> = students.iter().filter(|s| s.read > 0).cloned().collect();
    v.sort_by(|a, b| b.read.cmp(&a.read).then_with(|| a.name.cmp(&b.name)).then(a.member_id.cmp(&b.member_id)));
    v.truncate(limit);
    v
}

#[cfg(test)]
mod tests {
    use super::*;

    fn s(id: i64, grade: &str, read: i64, target: Option<i64>) -> StudentReading {
        StudentReading {
            member_id: id,
            card_number: format!("C{id}"),
            name: format!("Siswa {id}"),
            grade: Some(grade.into()),
            borrowed: read,
            returned: read,
            in_library: 0,
            read,
            reached: target.map(|t| read >= t),
        }
    }

    #[test]
    fn classes_are_summed_with_their_average_and_who_reached_the_target() {
        let v = [s(1, "7A", 3, Some(2)), s(2, "7a", 0, Some(2)), s(3, "7A", 2, Some(2)), s(4, "7B", 1, Some(2))];
        let c = class_summaries(&v, Some(2));
        assert_eq!(c.len(), 2);
        assert_eq!((c[0].students, c[0].read, c[0].average, c[0].reached), (3, 5, 1.7, Some(2)));
        assert_eq!((c[1].students, c[1].read, c[1].average, c[1].reached), (1, 1, 1.0, Some(0)));
        assert_eq!(class_summaries(&v, None)[0].reached, None);
    }

    #[test]
    fn top_readers_leave_out_who_read_nothing() {
        let v = [s(1, "7A", 3, None), s(2, "7A", 0, None), s(3, "7B", 5, None)];
        let t = top_readers(&v, 10);
        assert_eq!(t.iter().map(|x| x.member_id).collect::<Vec<_>>(), vec![3, 1]);
        assert_eq!(top_readers(&v, 1).len(), 1);
    }
}
