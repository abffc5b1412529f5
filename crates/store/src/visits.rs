//! The visitor log (buku tamu): visits recorded at the entrance kiosk, and the visits of a period
//! for the reports.
//!
//! Every visit carries an id the kiosk made for it (`client_id`), unique in the table: a kiosk
//! that lost its network keeps visits in the browser and sends them again later, and a visit sent
//! twice (the first answer was lost) is stored once.

use chrono::{DateTime, Duration, NaiveDate, Utc};
use serde::Serialize;
use utoipa::ToSchema;

use super::{
    db::sql,
    error::{Result, StoreError},
    Actor, Store,
};
use crate::domain::{names, time, ShortText, ValidationError};

/// How far back a visit queued by an offline kiosk may be dated.
pub const MAX_VISIT_AGE_DAYS: i64 = 7;

/// A kiosk's id for one visit: 8 to 64 letters, digits, `-` or `_` (a UUID, typically).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ClientId(String);

impl ClientId {
    /// Checks a client id.
    pub fn parse(input: &str) -> Result<Self, ValidationError> {
        let v = input.trim();
        if v.is_empty() {
            return Err(ValidationError::required("client_id"));
        }
        if !(8..=64).contains(&v.len()) || !v.bytes().all(|b| b.is_ascii_alphanumeric() || b == b'-' || b == b'_') {
            return Err(ValidationError::new(
                "invalid_client_id",
                "a visit's client_id is 8 to 64 letters, digits, '-' or '_' (a UUID)",
            ));
        }
        // Lower case: unique whatever the backend's collation (MariaDB's ignores case, SQLite's not).
        Ok(Self(v.to_ascii_lowercase()))
    }

    /// The id, in lower case.
    pub fn as_str(&self) -> &str {
        &self.0
    }
}

/// Who came in.
#[derive(Debug, Clone)]
pub enum Visitor {
    /// A member, by the card they scanned.
    Member(crate::domain::MemberRef),
    /// A guest, as they wrote themselves in.
    Guest {
        /// Their name.
        name: ShortText,
        /// School, office or other institution.
        institution: Option<ShortText>,
        /// Why they came.
        purpose: Option<ShortText>,
    },
}

/// A visit to record.
#[derive(Debug, Clone)]
pub struct NewVisit {
    /// The kiosk's id for it.
    pub client_id: ClientId,
    /// When the card was scanned (a kiosk that was offline sends it later); `None`: now.
    pub at: Option<DateTime<Utc>>,
    /// Who.
    pub visitor: Visitor,
}

/// A recorded visit, as the kiosk is told: nothing about a member but the name to greet.
#[derive(Debug, Clone, Serialize, ToSchema)]
pub struct VisitReceipt {
    pub id: i64,
    /// The kiosk's id for the visit.
    pub client_id: String,
    /// `member` or `guest`.
    #[schema(example = "member")]
    pub kind: String,
    /// The name to greet: a member's first name, a guest's name as written.
    #[schema(example = "Budi")]
    pub greeting: String,
    pub visited_at: DateTime<Utc>,
}

/// One visit as the reports list it.
#[derive(Debug, Clone, Serialize, ToSchema, sqlx::FromRow)]
pub struct Visit {
    pub id: i64,
    pub visited_at: DateTime<Utc>,
    /// The member's category at the time, or `guest`.
    pub category: String,
    /// The member's class (kelas) at the time, if they had one; none for a guest.
    pub grade: Option<String>,
    pub member_id: Option<i64>,
    pub card_number: Option<String>,
    /// The member's or the guest's name.
    pub name: Option<String>,
    pub institution: Option<String>,
    pub purpose: Option<String>,
    /// The account that recorded it (the kiosk's).
    pub recorded_by: String,
}

/// A stored visit with its member's name, for the kiosk's receipt.
#[derive(sqlx::FromRow)]
struct ReceiptRow {
    id: i64,
    client_id: String,
    visited_at: DateTime<Utc>,
    member_id: Option<i64>,
    guest_name: Option<String>,
    /// The member's name.
    name: Option<String>,
}

/// The member who came in, with what a visit keeps of them: their category and class now.
#[derive(sqlx::FromRow)]
struct VisitingMember {
    id: i64,
    category: String,
    grade: Option<String>,
}

/// Visits of one row of the statistics per class.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct GradeCount {
    /// The class as most of its visits spell it (`7a` and `7A` are one class); `None` on the
    /// rows of members without a class and of guests.
    pub grade: Option<String>,
    /// `grade`, `no_grade` (members without a class at the time) or `guest`.
    pub kind: &'static str,
    pub visits: i64,
    /// Different members among them (`None` for guests, who are not told apart). A visit of a
    /// member deleted since counts as a visitor of its own.
    pub visitors: Option<i64>,
}

/// Counts visits per class the member had at the time, classes in school order (`7A` before
/// `10A`, `VIII` before `IX`), then one row of members without a class and one of guests (both
/// always there, 0 when none).
pub fn count_by_grade(visits: &[Visit]) -> Vec<GradeCount> {
    use std::collections::{BTreeMap, BTreeSet, HashMap};
    // key → (spelling → visits, members, visits)
    type Group = (BTreeMap<String, i64>, BTreeSet<i64>, i64);
    let mut grades: HashMap<String, Group> = HashMap::new();
    let (mut none, mut none_members, mut guests) = (0i64, BTreeSet::new(), 0i64);
    for v in visits {
        // Who: the member, or this visit alone when its member was deleted since.
        let member = v.member_id.unwrap_or(-v.id);
        match (&v.grade, v.category.as_str()) {
            (_, "guest") => guests += 1,
            (Some(g), _) => {
                let e = grades.entry(g.to_lowercase()).or_default();
                *e.0.entry(g.clone()).or_default() += 1;
                e.1.insert(member);
                e.2 += 1;
            }
            (None, _) => {
                none += 1;
                none_members.insert(member);
            }
        }
    }
    let mut rows: Vec<GradeCount> = grades
        .into_values()
        .map(|(spellings, members, visits)| {
            // The most used spelling; on a tie the first in order.
            let name = spellings.iter().max_by(|a, b| a.1.cmp(b.1).then(b.0.cmp(a.0))).map(|(s, _)| s.clone());
            GradeCount { grade: name, kind: "grade", visits, visitors: Some(members.len() as i64) }
        })
        .collect();
    rows.sort_by_cached_key(|r| grade_order(r.grade.as_deref().unwrap_or_default()));
    rows.push(GradeCount { grade: None, kind: "no_grade", visits: none, visitors: Some(none_members.len() as i64) });
    rows.push(GradeCount { grade: None, kind: "guest", visits: guests, visitors: None });
    rows
}

/// How classes sort the way a school lists them: by the level the class starts with (digits, or
/// a Roman numeral I to XII), then by the rest with its numbers as numbers; a class without a
/// level after all those with one.
fn grade_order(grade: &str) -> (u32, Vec<(String, u32)>) {
    let g = grade.to_uppercase();
    let split = g.find(|c: char| !c.is_ascii_alphanumeric()).unwrap_or(g.len());
    let (head, rest) = g.split_at(split);
    let digits = head.len() - head.trim_start_matches(|c: char| c.is_ascii_digit()).len();
    let (level, rest) = if digits > 0 {
        (head[..digits].parse().unwrap_or(u32::MAX), format!("{}{rest}", &head[digits..]))
    } else if let Some(n) = roman(head) {
        (n, rest.to_owned())
    } else {
        // "KELAS 7A", "Guru": no level in front.
        (u32::MAX, g.clone())
    };
    // The rest in pieces of letters and numbers: "IPA 10" after "IPA 2".
    let mut parts = Vec::new();
    let mut text = String::new();
    let mut num: Option<u32> = None;
    for c in rest.chars() {
        match (c.to_digit(10), num) {
            (Some(d), Some(n)) => num = Some(n.saturating_mul(10).saturating_add(d)),
            (Some(d), None) => num = Some(d),
            (None, Some(n)) => {
                parts.push((std::mem::take(&mut text), n));
                num = None;
                text.push(c);
            }
            (None, None) => text.push(c),
        }
    }
    parts.push((text, num.unwrap_or(0)));
    (level, parts)
}

/// I to XII as a number.
fn roman(s: &str) -> Option<u32> {
    const LEVELS: [&str; 12] = ["I", "II", "III", "IV", "V", "VI", "VII", "VIII", "IX", "X", "XI", "XII"];
    LEVELS.iter().position(|l| *l == s).map(|i| i as u32 + 1)
}

/// The first instant of `date` at the library.
pub fn start_of_day(date: NaiveDate, tz: chrono_tz::Tz) -> DateTime<Utc> {
    time::end_of_day(date - Duration::days(1), tz) + Duration::seconds(1)
}

impl Store {
    async fn visit_receipt(&self, client_id: &ClientId) -> Result<Option<VisitReceipt>> {
        let row = self
            .db
            .opt(
                sql("SELECT v.id, v.client_id, v.visited_at, v.member_id, v.guest_name, m.name \
                     FROM visits v LEFT JOIN members m ON m.id = v.member_id WHERE v.client_id = ?")
                .bind(client_id.as_str()),
            )
            .await?;
        let Some(r) = row else { return Ok(None) };
        let r: ReceiptRow = r.decode()?;
        Ok(Some(VisitReceipt {
            id: r.id,
            client_id: r.client_id,
            kind: if r.guest_name.is_some() { "guest" } else { "member" }.into(),
            greeting: match (r.member_id, r.name, r.guest_name) {
                (_, _, Some(g)) => g,
                (_, Some(n), None) => names::call_name(&n),
                _ => String::new(),
            },
            visited_at: r.visited_at,
        }))
    }

    /// Records a visit once: a visit whose `client_id` is stored already is answered as it was
    /// stored (`false`: nothing new was written). A card that belongs to nobody is `NotFound`.
    pub async fn record_visit(&self, actor: &Actor, v: &NewVisit) -> Result<(VisitReceipt, bool)> {
        if let Some(r) = self.visit_receipt(&v.client_id).await? {
            return Ok((r, false));
        }
        let now = self.now();
        let at = match v.at {
            None => now,
            Some(at) if at > now + Duration::minutes(5) => {
                return Err(StoreError::invalid(
                    "at",
                    ValidationError::new("out_of_range", "a visit cannot be dated in the future"),
                ))
            }
            Some(at) if at < now - Duration::days(MAX_VISIT_AGE_DAYS) => {
                return Err(StoreError::invalid(
                    "at",
                    ValidationError::new("out_of_range", "a visit can be dated at most 7 days back"),
                ))
            }
            Some(at) => at,
        };
        let inserted = crate::transaction!(self.db, |tx| {
            async {
                // The member's category and class as they are now, kept with the visit: a student
                // who moves up a class next year still counts under this year's class this year.
                let (member_id, category, grade, guest) = match &v.visitor {
                    Visitor::Member(card) => {
                        let by = match card {
                            crate::domain::MemberRef::Card(_) => "card_number = ?",
                            crate::domain::MemberRef::Other(_) => {
                                "id = (SELECT n.member_id FROM member_numbers n WHERE n.number = ?)"
                            }
                        };
                        let m: VisitingMember = tx
                            .opt(sql(format!("SELECT id, category, grade FROM members WHERE {by}")).bind(card.as_str()))
                            .await?
                            .ok_or(StoreError::NotFound("member"))?
                            .decode()?;
                        (Some(m.id), m.category, m.grade, None)
                    }
                    Visitor::Guest { name, institution, purpose } => {
                        (None, "guest".to_owned(), None, Some((name, institution, purpose)))
                    }
                };
                tx.exec(
                    sql("INSERT INTO visits (client_id, visited_at, member_id, category, grade, guest_name, institution, \
                         purpose, recorded_by, created_at) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?)")
                    .bind(v.client_id.as_str())
                    .bind(at)
                    .bind(member_id)
                    .bind(category)
                    .bind(grade)
                    .bind(guest.map(|g| g.0.as_str()))
                    .bind(guest.and_then(|g| g.1.as_ref()).map(|s| s.as_str()))
                    .bind(guest.and_then(|g| g.2.as_ref()).map(|s| s.as_str()))
                    .bind(&actor.username)
                    .bind(now),
                )
                .await?;
                Ok::<_, StoreError>(())
            }
            .await
        });
        let created = match inserted {
            Ok(()) => true,
            // The same visit sent again while the first was being stored.
            Err(StoreError::Duplicate { .. }) => false,
            Err(e) => return Err(e),
        };
        let receipt = self.visit_receipt(&v.client_id).await?.ok_or_else(|| {
            StoreError::Internal(anyhow::anyhow!("visit {} not found after storing it", v.client_id.0))
        })?;
        Ok((receipt, created))
    }

    /// The visits from `from` to `to` (library days, both included), oldest first.
    pub async fn visits_between(&self, from: NaiveDate, to: NaiveDate) -> Result<Vec<Visit>> {
        let rows = self
            .db
            .all(
                sql("SELECT v.id, v.visited_at, v.category, v.grade, v.member_id, m.card_number, \
                     COALESCE(v.guest_name, m.name) AS name, v.institution, v.purpose, v.recorded_by \
                     FROM visits v LEFT JOIN members m ON m.id = v.member_id \
                     WHERE v.visited_at >= ? AND v.visited_at < ? ORDER BY v.visited_at, v.id")
                .bind(start_of_day(from, self.tz()))
                .bind(start_of_day(to + Duration::days(1), self.tz())),
            )
            .await?;
        Ok(rows.iter().map(|r| r.decode::<Visit>()).collect::<Result<Vec<_>, _>>()?)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn client_ids_are_uuid_like() {
        assert!(ClientId::parse("0f8fad5b-d9cb-469f-a165-70867728950e").is_ok());
        assert!(ClientId::parse("short").is_err());
        assert!(ClientId::parse("has space in it").is_err());
        assert!(ClientId::parse(&"x".repeat(65)).is_err());
    }

    fn visit(grade: Option<&str>, member: Option<i64>, category: &str) -> Visit {
        Visit {
            id: 0,
            visited_at: Utc::now(),
            category: category.into(),
            grade: grade.map(Into::into),
            member_id: member,
            card_number: None,
            name: None,
            institution: None,
            purpose: None,
            recorded_by: "kiosk".into(),
        }
    }

    #[test]
    fn classes_are_counted_in_school_order() {
        let visits = [
            visit(Some("10A"), Some(1), "student"),
            visit(Some("7a"), Some(2), "student"),
            visit(Some("7A"), Some(3), "student"),
            visit(Some("7A"), Some(3), "student"),
            visit(Some("IX"), Some(4), "student"),
            visit(Some("VIII-B"), Some(5), "student"),
            visit(Some("XII IPA 10"), Some(6), "student"),
            visit(Some("XII IPA 2"), Some(7), "student"),
            visit(Some("Kelas Khusus"), Some(8), "student"),
            visit(None, Some(9), "staff"),
            visit(None, Some(9), "staff"),
            visit(None, None, "guest"),
        ];
        let rows = count_by_grade(&visits);
        let names: Vec<(Option<&str>, &str, i64, Option<i64>)> =
            rows.iter().map(|r| (r.grade.as_deref(), r.kind, r.visits, r.visitors)).collect();
        assert_eq!(
            names,
            [
                (Some("7A"), "grade", 3, Some(2)),
                (Some("VIII-B"), "grade", 1, Some(1)),
                (Some("IX"), "grade", 1, Some(1)),
                (Some("10A"), "grade", 1, Some(1)),
                (Some("XII IPA 2"), "grade", 1, Some(1)),
                (Some("XII IPA 10"), "grade", 1, Some(1)),
                (Some("Kelas Khusus"), "grade", 1, Some(1)),
                (None, "no_grade", 2, Some(1)),
                (None, "guest", 1, None),
            ]
        );
        // Nothing: the two closing rows, at 0.
        let empty = count_by_grade(&[]);
        assert_eq!(empty.len(), 2);
        assert!(empty.iter().all(|r| r.visits == 0));
    }

    #[test]
    fn a_day_starts_at_local_midnight() {
        let d = NaiveDate::from_ymd_opt(2026, 12, 2).unwrap();
        let start = start_of_day(d, chrono_tz::Asia::Jakarta);
        assert_eq!(start.to_rfc3339(), "2026-12-01T17:00:00+00:00");
    }
}
