//! Members, their categories (loan rules) and the library's closed days.

use chrono::{DateTime, NaiveDate, Utc};

use super::{
    db::{sql, Query, Row, Tx},
    error::{Result, StoreError},
    like_escape, Actor, PageRequest, Reader, Store,
};
use crate::{
    domain::{
        calendar::Calendar,
        circulation::{may_delete, may_delete_category, LoanPolicy, Record},
        loan_rules::{effective_rule, overdue_standing_by_rule, CollectionKind, EffectiveRule, LoanRule},
        ValidationError,
    },
    domain::{
        CardNumber, Email, Grade, MemberNumber, MemberRef, NumberKind, Password, PersonName, Phone, ShortText, Username,
    },
    model::{Category, ClosedDay, Member, OtherNumber, Page},
};

/// A validated new member.
#[derive(Debug)]
pub struct NewMember {
    pub name: PersonName,
    pub category: String,
    pub grade: Option<Grade>,
    pub email: Option<Email>,
    pub phone: Option<Phone>,
    pub expires_on: Option<NaiveDate>,
    /// A login for the member, when both are given.
    pub login: Option<(Username, Password)>,
}

/// A validated change to a member: `None` keeps a field, `Some(None)` clears an optional one.
#[derive(Debug, Default)]
pub struct MemberPatch {
    pub name: Option<PersonName>,
    pub category: Option<String>,
    pub grade: Option<Option<Grade>>,
    pub email: Option<Option<Email>>,
    pub phone: Option<Option<Phone>>,
    pub expires_on: Option<Option<NaiveDate>>,
    /// Checked by [`crate::domain::check_birth_date`].
    pub birth_date: Option<Option<NaiveDate>>,
    pub blocked: Option<bool>,
    pub blocked_reason: Option<Option<ShortText>>,
}

pub(super) const MEMBER_COLUMNS: &str =
    "m.id, m.card_number, m.name, m.email, m.phone, m.category, m.grade, m.expires_on, m.blocked, \
     m.blocked_reason, m.source_id, m.birth_date, m.created_at, \
     (SELECT u.username FROM users u WHERE u.member_id = m.id) AS username, \
     (SELECT COUNT(*) FROM loans l WHERE l.member_id = m.id AND l.returned_at IS NULL) AS active_loans, \
     (SELECT COUNT(*) FROM fines f WHERE f.member_id = m.id AND f.status = 'unpaid') AS unpaid_count, \
     (SELECT MIN(l.due_at) FROM loans l WHERE l.member_id = m.id AND l.returned_at IS NULL) AS first_due";

pub(super) fn member(r: &Row) -> Result<Member> {
    Ok(r.decode()?)
}

/// A row read with [`MEMBER_COLUMNS`]: the member, and what tells whether their fines and
/// overdue loans need reading (see [`Store::with_standing`]).
#[derive(sqlx::FromRow)]
struct MemberRow {
    #[sqlx(flatten)]
    member: Member,
    /// Their unpaid fines.
    unpaid_count: i64,
    /// The earliest due time of a loan still out.
    first_due: Option<DateTime<Utc>>,
}

/// What [`Store::borrower_to_lend_in`] reads besides the borrower.
#[derive(sqlx::FromRow)]
struct LendingRow {
    copy_rule_json: Option<String>,
    term_end: Option<NaiveDate>,
    closed_days: Option<String>,
    closed_count: i64,
}

/// What a checkout reads with its borrower ([`Store::borrower_to_lend_in`]).
pub(super) struct Lending {
    /// The copy's collection type.
    pub kind: Option<CollectionKind>,
    /// The matrix row for the member's category and that type.
    pub rule: Option<LoanRule>,
    /// The last day of the term containing the day of the checkout, if one does.
    pub term_end: Option<NaiveDate>,
    /// The calendar from the day of the checkout on.
    pub calendar: Calendar,
}

/// A member's row read with [`MEMBER_COLUMNS`] and [`CATEGORY_OF_MEMBER`].
#[derive(sqlx::FromRow)]
struct BorrowerRow {
    #[sqlx(flatten)]
    member: MemberRow,
    /// Their category as JSON (none if it is gone).
    category_json: Option<String>,
}

/// A `categories` row: a code, a name and the loan rules (also read as one JSON object, see
/// [`CATEGORY_OF_MEMBER`]).
#[derive(sqlx::FromRow, serde::Deserialize)]
struct CategoryRow {
    code: String,
    name: String,
    max_loans: i64,
    loan_days: i64,
    max_renewals: i64,
    fine_per_day: i64,
    max_fine_per_loan: i64,
    fine_limit: i64,
    hold_pickup_days: i64,
    overdue_grace_days: i64,
    lost_charge: i64,
    damage_charge: i64,
}

/// The member's category as one JSON object, a column of a member's row (`m`): read in the
/// member's statement, one round trip fewer at the desk, and not locked by its `FOR UPDATE`
/// (a nested subquery's rows are not locked), so desks lending to members of one category never
/// wait for each other on the category's row. `json_object` is the same function on both backends.
const CATEGORY_OF_MEMBER: &str = "(SELECT json_object('code', k.code, 'name', k.name, 'max_loans', k.max_loans, \
     'loan_days', k.loan_days, 'max_renewals', k.max_renewals, 'fine_per_day', k.fine_per_day, \
     'max_fine_per_loan', k.max_fine_per_loan, 'fine_limit', k.fine_limit, 'hold_pickup_days', k.hold_pickup_days, \
     'overdue_grace_days', k.overdue_grace_days, 'lost_charge', k.lost_charge, 'damage_charge', k.damage_charge) \
     FROM categories k WHERE k.code = m.category) AS category_json";

fn category(r: &Row) -> Result<Category> {
    Ok(category_of(r.decode()?))
}

/// The category of a member's row, from its JSON read with [`CATEGORY_OF_MEMBER`].
fn category_of_member(json: Option<String>) -> Result<Category> {
    let json = json.ok_or(StoreError::NotFound("category"))?;
    let c = serde_json::from_str(&json).map_err(|e| anyhow::anyhow!("the category of a member reads wrong: {e}"))?;
    Ok(category_of(c))
}

fn category_of(c: CategoryRow) -> Category {
    Category {
        code: c.code,
        name: c.name,
        // Rules stored before money had a ceiling are read within it.
        rules: LoanPolicy {
            max_loans: c.max_loans,
            loan_days: c.loan_days,
            max_renewals: c.max_renewals,
            fine_per_day: c.fine_per_day,
            max_fine_per_loan: c.max_fine_per_loan,
            fine_limit: c.fine_limit,
            hold_pickup_days: c.hold_pickup_days,
            overdue_grace_days: c.overdue_grace_days,
            lost_charge: c.lost_charge,
            damage_charge: c.damage_charge,
        }
        .clamp_money(),
    }
}

/// A member's class compared as [`grade_key`] writes it, in SQL both backends read alike: case
/// and spaces left out, then a leading `kelas`.
const GRADE_KEY: &str = "(CASE WHEN LOWER(REPLACE(m.grade, ' ', '')) LIKE 'kelas%' \
     THEN SUBSTR(LOWER(REPLACE(m.grade, ' ', '')), 6) ELSE LOWER(REPLACE(m.grade, ' ', '')) END) = ?";

/// A class as the member filter compares it: lower case, no spaces, without a leading `kelas`
/// (schools write `Kelas 7A`, `7A`, `7 a` for the same class).
fn grade_key(grade: &str) -> String {
    let key: String = grade.chars().filter(|c| *c != ' ').flat_map(char::to_lowercase).collect();
    key.strip_prefix("kelas").map(str::to_owned).unwrap_or(key)
}

impl Store {
    /// The member of a row read with [`MEMBER_COLUMNS`], with what they owe (only for members
    /// who owe something) and the fines accruing on their overdue loans (only for members with a
    /// loan out past its due time), read with `on`: on the pool for a list or a page, in the
    /// transaction that locked the member for a change at the desk. `policy`: the member's
    /// category's rules when already read (else read here, when needed).
    async fn with_standing(&self, on: &mut Reader<'_>, row: MemberRow, policy: Option<LoanPolicy>) -> Result<Member> {
        let MemberRow { member: mut m, unpaid_count, first_due } = row;
        // The total only for a member who owes something (one statement fewer at most desks).
        if unpaid_count > 0 {
            let q = super::unpaid_total_query(on.dialect(), Some(m.id));
            m.unpaid_fines = super::unpaid_total_of(on.opt(q).await?)?;
        }
        let at = self.now();
        if first_due.is_some_and(|d| d < at) {
            let today = self.today(at);
            // Each late loan with the matrix row for its copy's collection type (its fine per day
            // and grace days), if any.
            let rows = on
                .all(
                    sql(format!(
                        "SELECT l.due_at, r.lendable, r.fine_per_day, r.fine_grace_days \
                         FROM loans l JOIN copies c ON c.id = l.copy_id JOIN books b ON b.id = c.book_id \
                         LEFT JOIN loan_rules r ON r.category = ? AND r.collection_type = {} \
                         WHERE l.member_id = ? AND l.returned_at IS NULL AND l.due_at < ?",
                        super::catalogue::EFFECTIVE_TYPE
                    ))
                    .bind(&m.category)
                    .bind(m.id)
                    .bind(at),
                )
                .await?;
            let policy = match policy {
                Some(p) => p,
                None => self.category_on(on, &m.category).await?.rules,
            };
            let loans = rows
                .iter()
                .map(|r| {
                    let (due_at, lendable, fine_per_day, grace): (
                        DateTime<Utc>,
                        Option<bool>,
                        Option<i64>,
                        Option<i64>,
                    ) = r.decode()?;
                    Ok((self.today(due_at), late_rule(&policy, lendable, fine_per_day, grace)))
                })
                .collect::<Result<Vec<_>>>()?;
            let calendar = self.calendar_on(on, loans.iter().map(|(d, _)| *d).min().unwrap_or(today)).await?;
            (m.overdue_since, m.accruing_fines) = overdue_standing_by_rule(&calendar, loans, today);
        }
        Ok(m)
    }

    /// Members matching `q` (name, card number, another number of theirs or email) and in class
    /// `grade` (whatever its case and spaces, with or without a leading `Kelas`: `7A` finds
    /// `Kelas 7A` and `kelas 7a` finds `7 A`), by name.
    pub async fn members(&self, q: Option<&str>, grade: Option<&Grade>, page: PageRequest) -> Result<Page<Member>> {
        let mut conditions = Vec::new();
        let mut args = Vec::new();
        if let Some(q) = q.map(str::trim).filter(|q| !q.is_empty()) {
            conditions.push(
                "(m.name LIKE ? ESCAPE '!' OR m.card_number = ? OR m.email = ? \
                 OR m.id IN (SELECT n.member_id FROM member_numbers n WHERE n.number = ?))",
            );
            args.extend([format!("%{}%", like_escape(q)), q.to_uppercase(), q.to_lowercase(), q.to_uppercase()]);
        }
        if let Some(g) = grade {
            conditions.push(GRADE_KEY);
            args.push(grade_key(g.as_str()));
        }
        let filter = if conditions.is_empty() { String::new() } else { format!(" WHERE {}", conditions.join(" AND ")) };
        let mut select =
            sql(format!("SELECT {MEMBER_COLUMNS} FROM members m{filter} ORDER BY m.name, m.id LIMIT ? OFFSET ?"));
        let mut count = sql(format!("SELECT COUNT(*) AS n FROM members m{filter}"));
        for a in args {
            select = select.bind(&a);
            count = count.bind(a);
        }
        let rows = self.db.all(select.bind(page.per_page).bind(page.offset())).await?;
        let mut items = Vec::with_capacity(rows.len());
        for r in &rows {
            items.push(self.with_standing(&mut Reader::Pool(&self.db), r.decode()?, None).await?);
        }
        self.with_numbers(&mut Reader::Pool(&self.db), &mut items).await?;
        Ok(page.wrap(items, self.count(count).await?))
    }

    /// One member.
    pub async fn member(&self, id: i64) -> Result<Member> {
        let row = self.db.opt(sql(format!("SELECT {MEMBER_COLUMNS} FROM members m WHERE m.id = ?")).bind(id)).await?;
        let row = row.ok_or(StoreError::NotFound("member"))?;
        let mut m = [self.with_standing(&mut Reader::Pool(&self.db), row.decode()?, None).await?];
        self.with_numbers(&mut Reader::Pool(&self.db), &mut m).await?;
        let [m] = m;
        Ok(m)
    }

    /// Fills in the other numbers of `members`, in one statement.
    async fn with_numbers(&self, on: &mut Reader<'_>, members: &mut [Member]) -> Result<()> {
        if members.is_empty() {
            return Ok(());
        }
        let marks = vec!["?"; members.len()].join(", ");
        let mut q = sql(format!(
            "SELECT member_id, kind, number FROM member_numbers WHERE member_id IN ({marks}) ORDER BY kind, number"
        ));
        for m in members.iter() {
            q = q.bind(m.id);
        }
        for r in on.all(q).await? {
            let (member_id, kind, number): (i64, String, String) = r.decode()?;
            let kind = NumberKind::parse(&kind).map_err(|e| StoreError::Internal(anyhow::anyhow!(e.message)))?;
            if let Some(m) = members.iter_mut().find(|m| m.id == member_id) {
                m.other_numbers.push(OtherNumber { kind, number });
            }
        }
        Ok(())
    }

    /// A member read in `tx` with their other numbers: what a change answers.
    async fn member_with_numbers_in(&self, tx: &mut Tx, id: i64) -> Result<Member> {
        let mut m = [self.member_in(tx, MemberKey::Id(id)).await?];
        self.with_numbers(&mut Reader::Tx(tx), &mut m).await?;
        let [m] = m;
        Ok(m)
    }

    /// Gives member `member_id` another number of kind `kind`, unless they have it already. A
    /// number another member has is `Invalid` for `field` (the sheet's or the request's name
    /// for it), naming that member's card.
    pub(super) async fn add_number_in(
        &self,
        tx: &mut Tx,
        member_id: i64,
        kind: NumberKind,
        number: &MemberNumber,
        field: &'static str,
    ) -> Result<bool> {
        let owner = tx
            .opt(
                sql("SELECT n.member_id, m.card_number FROM member_numbers n JOIN members m ON m.id = n.member_id \
                     WHERE n.number = ?")
                .bind(number.as_str()),
            )
            .await?;
        if let Some(owner) = owner {
            let (owner, card): (i64, String) = owner.decode()?;
            if owner == member_id {
                return Ok(false);
            }
            return Err(number_taken(field, number, &card));
        }
        tx.exec(
            sql("INSERT INTO member_numbers (member_id, kind, number, created_at) VALUES (?, ?, ?, ?)")
                .bind(member_id)
                .bind(kind.as_str())
                .bind(number.as_str())
                .bind(self.now()),
        )
        .await
        .map_err(|e| if e.is_unique_violation() { number_taken(field, number, "?") } else { e.into() })?;
        Ok(true)
    }

    /// Gives a member another number (a SLiMS id, NIS, NISN, an old card) that the desk, the
    /// kiosk and the search take like their card.
    pub async fn add_member_number(
        &self,
        actor: &Actor,
        id: i64,
        kind: NumberKind,
        number: &MemberNumber,
    ) -> Result<Member> {
        crate::transaction!(self.db, |tx| async {
            self.member_in(&mut tx, MemberKey::Id(id)).await?;
            if self.add_number_in(&mut tx, id, kind, number, "number").await? {
                let detail = format!("{} {}", kind.as_str(), number);
                self.audit(&mut tx, actor, "member.number.add", "member", id, detail).await?;
            }
            self.member_with_numbers_in(&mut tx, id).await
        }
        .await)
    }

    /// Takes another number from a member.
    pub async fn remove_member_number(&self, actor: &Actor, id: i64, number: &MemberNumber) -> Result<Member> {
        crate::transaction!(self.db, |tx| async {
            self.member_in(&mut tx, MemberKey::Id(id)).await?;
            let done = tx
                .exec(
                    sql("DELETE FROM member_numbers WHERE member_id = ? AND number = ?").bind(id).bind(number.as_str()),
                )
                .await?;
            if done.rows == 0 {
                return Err(StoreError::NotFound("member number"));
            }
            self.audit(&mut tx, actor, "member.number.remove", "member", id, number.as_str().to_owned()).await?;
            self.member_with_numbers_in(&mut tx, id).await
        }
        .await)
    }

    /// Locks and reads a member, with their unpaid fines.
    pub(super) async fn member_in(&self, tx: &mut Tx, by: MemberKey<'_>) -> Result<Member> {
        Ok(self.borrower_in(tx, by).await?.0)
    }

    /// Locks and reads a member, with their unpaid fines, and their category's loan rules (in the
    /// same statement, without locking the category).
    pub(super) async fn borrower_in(&self, tx: &mut Tx, by: MemberKey<'_>) -> Result<(Member, LoanPolicy)> {
        let lock = tx.for_update();
        let select = format!("SELECT {MEMBER_COLUMNS}, {CATEGORY_OF_MEMBER} FROM members m");
        let q = match by {
            MemberKey::Id(id) => sql(format!("{select} WHERE m.id = ?{lock}")).bind(id),
            MemberKey::Card(MemberRef::Card(card)) => {
                sql(format!("{select} WHERE m.card_number = ?{lock}")).bind(card.as_str())
            }
            MemberKey::Card(MemberRef::Other(number)) => sql(format!(
                "{select} WHERE m.id = (SELECT n.member_id FROM member_numbers n WHERE n.number = ?){lock}"
            ))
            .bind(number.as_str()),
        };
        let row: BorrowerRow = tx.opt(q).await?.ok_or(StoreError::NotFound("member"))?.decode()?;
        let policy = category_of_member(row.category_json)?.rules;
        let m = self.with_standing(&mut Reader::Tx(tx), row.member, Some(policy)).await?;
        Ok((m, policy))
    }

    /// [`Store::borrower_in`] for a checkout of copy `copy_id` on `day`, with what the checkout
    /// reads besides, in the same statement (none of it locked: rules, terms and closed days
    /// change by an admin's hand): the copy's collection type and the matrix row for the member's
    /// category, the end of the term containing `day`, and the closed days from `day` on.
    pub(super) async fn borrower_to_lend_in(
        &self,
        tx: &mut Tx,
        by: MemberKey<'_>,
        copy_id: i64,
        day: NaiveDate,
    ) -> Result<(Member, LoanPolicy, Lending)> {
        let lock = tx.for_update();
        // The closed days as one string, and how many there are: a list cut short (MariaDB's
        // group_concat_max_len) is read again on its own.
        let copy_rule = Self::COPY_RULE_OF_MEMBER;
        let select = format!(
            "SELECT {MEMBER_COLUMNS}, {CATEGORY_OF_MEMBER}, {copy_rule} AS copy_rule_json, \
             (SELECT ends_on FROM terms WHERE starts_on <= ? AND ends_on >= ? ORDER BY ends_on LIMIT 1) AS term_end, \
             (SELECT CAST(group_concat(day) AS CHAR) FROM closed_days WHERE day >= ?) AS closed_days, \
             (SELECT COUNT(*) FROM closed_days WHERE day >= ?) AS closed_count \
             FROM members m"
        );
        let q = match by {
            MemberKey::Id(_) => sql(format!("{select} WHERE m.id = ?{lock}")),
            MemberKey::Card(MemberRef::Card(_)) => sql(format!("{select} WHERE m.card_number = ?{lock}")),
            MemberKey::Card(MemberRef::Other(_)) => sql(format!(
                "{select} WHERE m.id = (SELECT n.member_id FROM member_numbers n WHERE n.number = ?){lock}"
            )),
        };
        let q = q.bind(copy_id).bind(day).bind(day).bind(day).bind(day);
        let q = match by {
            MemberKey::Id(id) => q.bind(id),
            MemberKey::Card(MemberRef::Card(card)) => q.bind(card.as_str()),
            MemberKey::Card(MemberRef::Other(number)) => q.bind(number.as_str()),
        };
        let row = tx.opt(q).await?.ok_or(StoreError::NotFound("member"))?;
        let lending: LendingRow = row.decode()?;
        let row: BorrowerRow = row.decode()?;
        let policy = category_of_member(row.category_json)?.rules;
        let (kind, rule) = Self::copy_rule_of_json(lending.copy_rule_json)?;
        let days = lending
            .closed_days
            .as_deref()
            .unwrap_or("")
            .split(',')
            .filter(|d| !d.is_empty())
            .map(|d| NaiveDate::parse_from_str(d.trim(), "%Y-%m-%d"))
            .collect::<std::result::Result<Vec<_>, _>>();
        let calendar = match days {
            Ok(days) if i64::try_from(days.len()).ok() == Some(lending.closed_count) => {
                Calendar::new(self.closed_weekdays.iter().copied(), days)
            }
            _ => self.calendar(tx, day).await?,
        };
        let m = self.with_standing(&mut Reader::Tx(tx), row.member, Some(policy)).await?;
        Ok((m, policy, Lending { kind, rule, term_end: lending.term_end, calendar }))
    }

    /// Registers a member with a fresh card number (and a member login, if asked).
    pub async fn create_member(&self, actor: &Actor, m: &NewMember) -> Result<Member> {
        let hash = match &m.login {
            Some((_, pw)) => Some(self.hash_password(pw).await?),
            None => None,
        };
        crate::transaction!(self.db, |tx| {
            async {
            self.known_category(&mut tx, &m.category).await?;
            let at = self.now();
            let mut id = 0;
            // A fresh random card number; on the rare clash, draw again.
            for _ in 0..5 {
                let card = CardNumber::generate(&mut rand::thread_rng());
                let r = tx
                    .exec(
                        sql("INSERT INTO members (card_number, name, email, phone, category, grade, expires_on, blocked, created_at, updated_at) \
                             VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?)")
                            .bind(card.as_str())
                            .bind(m.name.as_str())
                            .bind(m.email.as_ref().map(|e| e.as_str()))
                            .bind(m.phone.as_ref().map(|p| p.as_str()))
                            .bind(&m.category)
                            .bind(m.grade.as_ref().map(|g| g.as_str()))
                            .bind(m.expires_on)
                            .bind(false)
                            .bind(at)
                            .bind(at),
                    )
                    .await;
                match r {
                    Ok(done) => {
                        id = done.last_id;
                        break;
                    }
                    Err(e) if e.is_unique_violation() => continue,
                    Err(e) => return Err(e.into()),
                }
            }
            if id == 0 {
                return Err(StoreError::Internal(anyhow::anyhow!("could not draw a free card number")));
            }
            if let (Some((username, _)), Some(hash)) = (&m.login, &hash) {
                tx.exec(
                    sql("INSERT INTO users (username, password_hash, role, member_id, created_at) VALUES (?, ?, ?, ?, ?)")
                        .bind(username.as_str())
                        .bind(hash.as_str())
                        .bind(crate::domain::status::roles::MEMBER)
                        .bind(id)
                        .bind(at),
                )
                .await
                .map_err(|e| StoreError::duplicate(e, "username", "this username is taken"))?;
            }
            self.audit(&mut tx, actor, "member.create", "member", id, m.name.as_str()).await?;
            self.member_with_numbers_in(&mut tx, id).await
        }
        .await
        })
    }

    /// Changes a member's details or blocks them.
    pub async fn update_member(&self, actor: &Actor, id: i64, p: &MemberPatch) -> Result<Member> {
        crate::transaction!(self.db, |tx| async {
            self.member_in(&mut tx, MemberKey::Id(id)).await?;
            let mut q = sql("UPDATE members SET updated_at = ?").bind(self.now());
            let mut changed = Vec::new();
            if let Some(v) = &p.name {
                q = q.push(", name = ?").bind(v.as_str());
                changed.push("name");
            }
            if let Some(v) = &p.category {
                self.known_category(&mut tx, v).await?;
                q = q.push(", category = ?").bind(v);
                changed.push("category");
            }
            if let Some(v) = &p.grade {
                q = q.push(", grade = ?").bind(v.as_ref().map(|v| v.as_str()));
                changed.push("grade");
            }
            if let Some(v) = &p.email {
                q = q.push(", email = ?").bind(v.as_ref().map(|v| v.as_str()));
                changed.push("email");
            }
            if let Some(v) = &p.phone {
                q = q.push(", phone = ?").bind(v.as_ref().map(|v| v.as_str()));
                changed.push("phone");
            }
            if let Some(v) = &p.birth_date {
                q = q.push(", birth_date = ?").bind(*v);
                changed.push("birth_date");
            }
            if let Some(v) = &p.expires_on {
                q = q.push(", expires_on = ?").bind(*v);
                changed.push("expires_on");
            }
            if let Some(v) = p.blocked {
                q = q.push(", blocked = ?").bind(v);
                changed.push(if v { "blocked" } else { "unblocked" });
                if !v && p.blocked_reason.is_none() {
                    q = q.push(", blocked_reason = NULL");
                }
            }
            if let Some(v) = &p.blocked_reason {
                q = q.push(", blocked_reason = ?").bind(v.as_ref().map(|v| v.as_str()));
                changed.push("blocked_reason");
            }
            tx.exec(q.push(" WHERE id = ?").bind(id)).await?;
            self.audit(&mut tx, actor, "member.update", "member", id, changed.join(", ")).await?;
            self.member_with_numbers_in(&mut tx, id).await
        }
        .await)
    }

    /// Removes a member who never borrowed and owes nothing (block them otherwise).
    pub async fn delete_member(&self, actor: &Actor, id: i64) -> Result<()> {
        crate::transaction!(self.db, |tx| {
            async {
            let m = self.member_in(&mut tx, MemberKey::Id(id)).await?;
            let history = tx
                .opt(sql("SELECT id FROM loans WHERE member_id = ? UNION ALL SELECT id FROM fines WHERE member_id = ? LIMIT 1").bind(id).bind(id))
                .await?;
            may_delete(Record::Member, history.is_some())?;
            // A ready hold keeps a copy on the hold shelf: pass that copy on before the hold goes.
            let ready = tx
                .all(sql("SELECT id FROM holds WHERE member_id = ? AND status = 'ready'").bind(id))
                .await?;
            for r in &ready {
                let (hold,): (i64,) = r.decode()?;
                self.end_hold_in(&mut tx, actor, hold, crate::model::HoldStatus::Cancelled).await?;
            }
            let detail = crate::catalogue::deleted_detail(&[
                ("name", Some(m.name.clone())),
                ("card", Some(m.card_number.clone())),
                ("category", Some(m.category.clone())),
                ("class", m.grade.clone()),
                ("email", m.email.clone()),
                ("phone", m.phone.clone()),
                ("expires", m.expires_on.map(|d| d.to_string())),
            ]);
            tx.exec(sql("DELETE FROM sessions WHERE user_id IN (SELECT id FROM users WHERE member_id = ?)").bind(id)).await?;
            tx.exec(sql("DELETE FROM users WHERE member_id = ?").bind(id)).await?;
            tx.exec(sql("DELETE FROM holds WHERE member_id = ?").bind(id)).await?;
            tx.exec(sql("DELETE FROM member_numbers WHERE member_id = ?").bind(id)).await?;
            tx.exec(sql("DELETE FROM members WHERE id = ?").bind(id)).await?;
            self.audit(&mut tx, actor, "member.delete", "member", id, detail).await
        }
        .await
        })
    }

    /// All categories.
    pub async fn categories(&self) -> Result<Vec<Category>> {
        let rows = self.db.all(sql("SELECT * FROM categories ORDER BY code")).await?;
        rows.iter().map(category).collect()
    }

    pub(super) async fn category_in(&self, tx: &mut Tx, code: &str) -> Result<Category> {
        self.category_on(&mut Reader::Tx(tx), code).await
    }

    /// [`Store::category_in`], read on the pool or in a transaction.
    async fn category_on(&self, on: &mut Reader<'_>, code: &str) -> Result<Category> {
        let row = on.opt(sql("SELECT * FROM categories WHERE code = ?").bind(code)).await?;
        row.as_ref().map(category).transpose()?.ok_or(StoreError::NotFound("category"))
    }

    /// Whether a category with this code exists.
    async fn category_exists(&self, tx: &mut Tx, code: &str) -> Result<bool> {
        Ok(tx.opt(sql("SELECT code FROM categories WHERE code = ?").bind(code)).await?.is_some())
    }

    /// `Invalid` (the member's category field) unless the category exists; a database failure stays one.
    async fn known_category(&self, tx: &mut Tx, code: &str) -> Result<()> {
        if self.category_exists(tx, code).await? {
            Ok(())
        } else {
            Err(unknown_category(code))
        }
    }

    /// Creates or replaces a category's loan rules.
    pub async fn put_category(&self, actor: &Actor, c: &Category) -> Result<Category> {
        crate::transaction!(self.db, |tx| {
            async {
                let exists = self.category_exists(&mut tx, &c.code).await?;
                if exists {
                    tx.exec(category_columns(
                        sql("UPDATE categories SET name = ?, max_loans = ?, loan_days = ?, max_renewals = ?, \
                         fine_per_day = ?, max_fine_per_loan = ?, fine_limit = ?, hold_pickup_days = ?, \
                         overdue_grace_days = ?, lost_charge = ?, damage_charge = ? WHERE code = ?"),
                        c,
                    ))
                    .await?;
                } else {
                    self.insert_category(&mut tx, c).await?;
                }
                let action = if exists { "category.update" } else { "category.create" };
                self.audit(&mut tx, actor, action, "category", 0, c.code.clone()).await?;
                self.category_in(&mut tx, &c.code).await
            }
            .await
        })
    }

    /// Inserts a new category in the caller's transaction.
    pub(super) async fn insert_category(&self, tx: &mut Tx, c: &Category) -> Result<()> {
        tx.exec(category_columns(
            sql("INSERT INTO categories (name, max_loans, loan_days, max_renewals, fine_per_day, max_fine_per_loan, \
                 fine_limit, hold_pickup_days, overdue_grace_days, lost_charge, damage_charge, code) \
                 VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)"),
            c,
        ))
        .await?;
        Ok(())
    }

    /// Removes a category no member is in.
    pub async fn delete_category(&self, actor: &Actor, code: &str) -> Result<()> {
        crate::transaction!(self.db, |tx| async {
            self.category_in(&mut tx, code).await?;
            let in_use = tx.opt(sql("SELECT id FROM members WHERE category = ? LIMIT 1").bind(code)).await?.is_some();
            may_delete_category(in_use)?;
            tx.exec(sql("DELETE FROM categories WHERE code = ?").bind(code)).await?;
            self.audit(&mut tx, actor, "category.delete", "category", 0, code).await
        }
        .await)
    }

    /// Closed days from `from` to `to` (inclusive), in date order.
    pub async fn closed_days(&self, from: Option<NaiveDate>, to: Option<NaiveDate>) -> Result<Vec<ClosedDay>> {
        // Bounds both backends store (MariaDB's DATE runs from year 1000 to 9999).
        let from = from.unwrap_or(NaiveDate::from_ymd_opt(1000, 1, 1).expect("a valid date"));
        let to = to.unwrap_or(NaiveDate::from_ymd_opt(9999, 12, 31).expect("a valid date"));
        let rows = self
            .db
            .all(
                sql("SELECT day, reason FROM closed_days WHERE day >= ? AND day <= ? ORDER BY day").bind(from).bind(to),
            )
            .await?;
        Ok(rows.iter().map(Row::decode::<ClosedDay>).collect::<Result<Vec<_>, _>>()?)
    }

    /// Marks a day closed. Loans already due that day keep their date; new ones avoid it.
    pub async fn add_closed_day(&self, actor: &Actor, day: NaiveDate, reason: &ShortText) -> Result<ClosedDay> {
        crate::transaction!(self.db, |tx| async {
            tx.exec(sql("INSERT INTO closed_days (day, reason) VALUES (?, ?)").bind(day).bind(reason.as_str()))
                .await
                .map_err(|e| StoreError::duplicate(e, "date", "this day is already closed"))?;
            self.audit(&mut tx, actor, "closed_day.create", "closed_day", 0, day.to_string()).await?;
            Ok(ClosedDay { date: day, reason: reason.as_str().to_owned() })
        }
        .await)
    }

    /// Opens a closed day again.
    pub async fn delete_closed_day(&self, actor: &Actor, day: NaiveDate) -> Result<()> {
        crate::transaction!(self.db, |tx| async {
            if tx.exec(sql("DELETE FROM closed_days WHERE day = ?").bind(day)).await?.rows == 0 {
                return Err(StoreError::NotFound("closed day"));
            }
            self.audit(&mut tx, actor, "closed_day.delete", "closed_day", 0, day.to_string()).await
        }
        .await)
    }
}

/// How to find a member.
#[derive(Debug, Clone, Copy)]
pub enum MemberKey<'a> {
    /// By id.
    Id(i64),
    /// By the card scanned at the desk: the Pustaka card, or another number of the member's.
    Card(&'a MemberRef),
}

fn number_taken(field: &'static str, number: &MemberNumber, card: &str) -> StoreError {
    StoreError::invalid(
        field,
        ValidationError::new("number_taken", format!("{number} is already a number of another member (card {card})")),
    )
}

/// The rule of a late loan as far as its fine goes: the category's, with the fine per day and
/// grace days of the matrix row for its copy's type when there is one (`lendable` read as the
/// row's presence).
fn late_rule(policy: &LoanPolicy, row: Option<bool>, fine_per_day: Option<i64>, grace: Option<i64>) -> EffectiveRule {
    let row = row.map(|lendable| LoanRule {
        lendable,
        loan_days: None,
        max_loans: None,
        max_renewals: None,
        fine_per_day,
        fine_grace_days: grace.unwrap_or(0),
        due_end_of_term: false,
    });
    // A typed copy (a row exists only for one): the kind is what lets the row apply.
    let kind = CollectionKind { code: String::new(), name: String::new(), loanable: true };
    effective_rule(policy, row.as_ref().map(|_| &kind), row.as_ref())
}

fn unknown_category(code: &str) -> StoreError {
    StoreError::invalid(
        "category",
        ValidationError::new("unknown_category", format!("there is no member category {code:?}")),
    )
}

/// Binds a category's columns to Q in the order its INSERT and UPDATE name them: name, the
/// rules, then the code.
fn category_columns(q: Query, c: &Category) -> Query {
    q.bind(&c.name)
        .bind(c.rules.max_loans)
        .bind(c.rules.loan_days)
        .bind(c.rules.max_renewals)
        .bind(c.rules.fine_per_day)
        .bind(c.rules.max_fine_per_loan)
        .bind(c.rules.fine_limit)
        .bind(c.rules.hold_pickup_days)
        .bind(c.rules.overdue_grace_days)
        .bind(c.rules.lost_charge)
        .bind(c.rules.damage_charge)
        .bind(&c.code)
}

#[cfg(test)]
mod grade_key_tests {
    use super::grade_key;

    #[test]
    fn a_class_is_compared_without_kelas_case_and_spaces() {
        for g in ["7A", "7a", "Kelas 7A", "kelas 7a", "KELAS7A", " 7 A", "Kelas  7 A"] {
            assert_eq!(grade_key(g), "7a", "{g}");
        }
        assert_eq!(grade_key("XII IPA 2"), "xiiipa2");
        assert_eq!(grade_key("VIII-B"), "viii-b");
    }
}
