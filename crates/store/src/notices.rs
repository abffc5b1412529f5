//! Notices to members: their settings and templates, finding the notices that are due, the lease
//! that lets one replica send at a time, and the record of each notice before and after sending.
//!
//! A notice is a row before it is a mail: the scheduler records it `pending` under a unique key
//! (kind, loan or hold, stage), marks it `sending` with its own name just before handing it to the
//! SMTP server, and `sent` (or back to `pending` with a later attempt time, or `failed`) after.

use std::collections::BTreeMap;

use chrono::{DateTime, Duration, NaiveDate, Utc};
use serde::{Deserialize, Serialize};
use utoipa::ToSchema;

use super::{
    db::{sql, Done, Query, Row},
    error::{Result, StoreError},
    Actor, PageRequest, Store,
};
use crate::{
    domain::{
        notices::{
            check_template, format_date, loan_notice_due, render, retry_delay, Language, NoticeKind, MAX_ATTEMPTS,
            MAX_BODY, MAX_SUBJECT,
        },
        ValidationError,
    },
    model::Page,
};

/// The lease the notice scheduler holds while it sends.
pub const NOTICES_LEASE: &str = "notices";

/// How the library sends its notices.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, ToSchema)]
pub struct NoticeSettings {
    /// The `From:` address; no notice is sent until it is set.
    pub sender: Option<String>,
    /// Signs the notices (`{{library}}`): the library's name, the same as `PUT /library` sets.
    pub library_name: String,
    /// The language notices are written in (members have no language of their own yet).
    pub language: Language,
    /// The due-soon reminder goes this many days before the due day (0: none).
    pub due_soon_days: i64,
    /// Categories with their own due-soon days, by category code.
    pub category_due_soon_days: BTreeMap<String, i64>,
    /// Overdue notices go this many days late, each once.
    pub overdue_days: Vec<i64>,
}

impl NoticeSettings {
    /// The due-soon days for a member of `category`.
    pub fn due_soon_days_for(&self, category: &str) -> i64 {
        self.category_due_soon_days.get(category).copied().unwrap_or(self.due_soon_days)
    }
}

/// A notice template, the admin's or the built-in one.
#[derive(Debug, Clone, Serialize, ToSchema)]
pub struct NoticeTemplate {
    pub kind: NoticeKind,
    pub language: Language,
    pub subject: String,
    pub body: String,
    /// Whether the admin changed it (false: the built-in wording).
    pub custom: bool,
    /// The placeholders it may use, as `{{name}}`.
    pub placeholders: Vec<String>,
}

/// One notice and what became of it.
#[derive(Debug, Clone, Serialize, ToSchema, sqlx::FromRow)]
pub struct Notice {
    pub id: i64,
    /// `due_soon`, `overdue` or `hold_ready`.
    pub kind: String,
    /// The loan (due_soon, overdue) or hold (hold_ready).
    pub ref_id: i64,
    /// The due day as YYYYMMDD (due_soon), the days late (overdue), 0 (hold_ready).
    pub stage: i64,
    pub member_id: i64,
    pub member_name: String,
    pub card_number: String,
    /// Where it goes; none: skipped.
    pub email: Option<String>,
    pub language: String,
    pub subject: String,
    pub body: String,
    /// `pending`, `sending`, `sent`, `failed` (given up after repeated failures) or `skipped`.
    pub status: String,
    /// Delivery attempts so far.
    pub attempts: i64,
    /// When it is tried next (pending).
    pub next_attempt_at: DateTime<Utc>,
    /// Why the last attempt failed, or why it was skipped.
    pub last_error: Option<String>,
    pub created_at: DateTime<Utc>,
    pub sent_at: Option<DateTime<Utc>>,
}

/// The state of the notices: counts by status and who holds the sending lease.
#[derive(Debug, Clone, Serialize, ToSchema)]
pub struct NoticeCounts {
    pub pending: i64,
    pub sending: i64,
    pub sent: i64,
    pub failed: i64,
    pub skipped: i64,
    /// The scheduler sending now (a replica's name), while its lease lasts.
    pub lease_holder: Option<String>,
    pub lease_expires_at: Option<DateTime<Utc>>,
}

/// Which notices to list.
#[derive(Debug, Clone, Default)]
pub struct NoticeFilter {
    pub status: Option<String>,
    pub member_id: Option<i64>,
}

/// Statuses a notice may have.
pub const STATUSES: [&str; 5] = ["pending", "sending", "sent", "failed", "skipped"];

const NOTICE_SELECT: &str = "SELECT n.id, n.kind, n.ref_id, n.stage, n.member_id, m.name AS member_name, \
     m.card_number, n.email, n.language, n.subject, n.body, n.status, n.attempts, n.next_attempt_at, \
     n.last_error, n.created_at, n.sent_at FROM notices n JOIN members m ON m.id = n.member_id";

/// The `notice_settings` row with the library's name; the overdue days are a JSON array in text.
#[derive(sqlx::FromRow)]
struct NoticeSettingsRow {
    sender: Option<String>,
    library_name: String,
    language: String,
    due_soon_days: i64,
    overdue_days: String,
}

/// A `notice_category_days` row: a category's own due-soon days.
#[derive(sqlx::FromRow)]
struct CategoryDueSoon {
    category: String,
    due_soon_days: i64,
}

/// An admin's wording of a template (`notice_templates`).
#[derive(sqlx::FromRow)]
struct TemplateText {
    subject: String,
    body: String,
}

/// Who a notice goes to and about which copy: the values every notice has.
#[derive(sqlx::FromRow)]
struct NoticeAbout {
    name: String,
    card_number: String,
    title: String,
    /// None for a ready hold whose copy is gone.
    barcode: Option<String>,
}

/// An open loan due soon or late, for the due-soon and overdue notices.
#[derive(sqlx::FromRow)]
struct LoanToNotify {
    id: i64,
    due_at: DateTime<Utc>,
    member_id: i64,
    email: Option<String>,
    category: String,
    #[sqlx(flatten)]
    about: NoticeAbout,
}

/// A hold whose copy waits on the hold shelf, for the hold-ready notice.
#[derive(sqlx::FromRow)]
struct HoldToNotify {
    id: i64,
    pickup_by: Option<NaiveDate>,
    member_id: i64,
    email: Option<String>,
    #[sqlx(flatten)]
    about: NoticeAbout,
}

/// Open loans with what their notices say; `WHERE` follows.
const LOANS_TO_NOTIFY: &str = "SELECT l.id, l.due_at, l.member_id, m.name, m.card_number, m.email, m.category, \
     c.barcode, b.title FROM loans l JOIN members m ON m.id = l.member_id JOIN copies c ON c.id = l.copy_id \
     JOIN books b ON b.id = c.book_id";

/// Holds with what their notices say; `WHERE` follows.
const HOLDS_TO_NOTIFY: &str = "SELECT h.id, h.pickup_by, h.member_id, m.name, m.card_number, m.email, c.barcode, \
     b.title FROM holds h JOIN members m ON m.id = h.member_id JOIN books b ON b.id = h.book_id \
     LEFT JOIN copies c ON c.id = h.copy_id";

impl LoanToNotify {
    /// The values of its due-soon or overdue notice, as of `today`.
    fn values(self, settings: &NoticeSettings, today: NaiveDate, due: NaiveDate) -> Vec<(&'static str, String)> {
        let mut values = person_values(self.about, &settings.library_name);
        values.push(("due_date", format_date(due, settings.language)));
        values.push(("days_left", (due - today).num_days().max(0).to_string()));
        values.push(("days_late", (today - due).num_days().max(0).to_string()));
        values
    }
}

impl HoldToNotify {
    /// The values of its hold-ready notice.
    fn values(self, settings: &NoticeSettings) -> Vec<(&'static str, String)> {
        let mut values = person_values(self.about, &settings.library_name);
        values.push(("pickup_by", self.pickup_by.map(|d| format_date(d, settings.language)).unwrap_or_default()));
        values
    }
}

/// The number of notices with one status.
#[derive(sqlx::FromRow)]
struct StatusCount {
    status: String,
    n: i64,
}

/// A `leases` row: who holds it, until when.
#[derive(sqlx::FromRow)]
struct LeaseRow {
    holder: Option<String>,
    expires_at: DateTime<Utc>,
}

/// An open loan past its due time, with the member's contacts.
#[derive(sqlx::FromRow)]
struct OverdueLoan {
    id: i64,
    due_at: DateTime<Utc>,
    member_id: i64,
    name: String,
    card_number: String,
    email: Option<String>,
    phone: Option<String>,
    barcode: String,
    title: String,
}

/// A notice to record: who, what, and its text.
struct Planned {
    kind: NoticeKind,
    ref_id: i64,
    stage: i64,
    member_id: i64,
    email: Option<String>,
    values: Vec<(&'static str, String)>,
}

impl Store {
    /// Runs one statement in its own transaction (run again on a deadlock or busy file).
    async fn write(&self, q: Query) -> Result<Done> {
        crate::transaction!(self.db, |tx| { async { Ok::<_, StoreError>(tx.exec(q.clone()).await?) }.await })
    }

    /// The notice settings.
    pub async fn notice_settings(&self) -> Result<NoticeSettings> {
        let row: NoticeSettingsRow = self
            .db
            .opt(sql("SELECT n.sender, i.name AS library_name, n.language, n.due_soon_days, n.overdue_days \
                 FROM notice_settings n JOIN library_identity i ON i.id = 1 WHERE n.id = 1"))
            .await?
            .ok_or_else(|| StoreError::Internal(anyhow::anyhow!("notice_settings has no row")))?
            .decode()?;
        let overdue_days: Vec<i64> = serde_json::from_str(&row.overdue_days)
            .map_err(|e| StoreError::Internal(anyhow::anyhow!("notice_settings.overdue_days: {e}")))?;
        let mut category_due_soon_days = BTreeMap::new();
        for r in self.db.all(sql("SELECT category, due_soon_days FROM notice_category_days")).await? {
            let CategoryDueSoon { category, due_soon_days } = r.decode()?;
            category_due_soon_days.insert(category, due_soon_days);
        }
        Ok(NoticeSettings {
            sender: row.sender,
            library_name: row.library_name,
            language: Language::parse(&row.language).map_err(|e| StoreError::Internal(anyhow::anyhow!(e.message)))?,
            due_soon_days: row.due_soon_days,
            category_due_soon_days,
            overdue_days,
        })
    }

    /// Replaces the notice settings (already checked at the edge; categories are checked here).
    pub async fn set_notice_settings(&self, actor: &Actor, s: &NoticeSettings) -> Result<NoticeSettings> {
        crate::transaction!(self.db, |tx| {
            async {
                for code in s.category_due_soon_days.keys() {
                    if tx.opt(sql("SELECT code FROM categories WHERE code = ?").bind(code.as_str())).await?.is_none() {
                        return Err(StoreError::invalid(
                            "category_due_soon_days",
                            ValidationError::new("unknown_category", format!("no category {code:?}")),
                        ));
                    }
                }
                tx.exec(
                    sql("UPDATE notice_settings SET sender = ?, language = ?, due_soon_days = ?, \
                         overdue_days = ?, updated_at = ? WHERE id = 1")
                    .bind(s.sender.clone())
                    .bind(s.language.as_str())
                    .bind(s.due_soon_days)
                    .bind(serde_json::to_string(&s.overdue_days).expect("numbers serialise"))
                    .bind(self.now()),
                )
                .await?;
                // One name for the library: the notices sign with the identity's (`store::print`).
                if self.library_name_in(&mut tx).await? != s.library_name {
                    self.set_library_name_in(&mut tx, &s.library_name).await?;
                }
                tx.exec(sql("DELETE FROM notice_category_days")).await?;
                for (code, days) in &s.category_due_soon_days {
                    tx.exec(
                        sql("INSERT INTO notice_category_days (category, due_soon_days) VALUES (?, ?)")
                            .bind(code.as_str())
                            .bind(*days),
                    )
                    .await?;
                }
                self.audit(&mut tx, actor, "notices.settings", "notice_settings", 1, "").await
            }
            .await
        })?;
        self.notice_settings().await
    }

    /// The six templates (three kinds, two languages), the admin's where saved.
    pub async fn notice_templates(&self) -> Result<Vec<NoticeTemplate>> {
        let mut out = Vec::new();
        for kind in NoticeKind::ALL {
            for language in Language::ALL {
                out.push(self.notice_template(kind, language).await?);
            }
        }
        Ok(out)
    }

    /// One template.
    pub async fn notice_template(&self, kind: NoticeKind, language: Language) -> Result<NoticeTemplate> {
        let row = self
            .db
            .opt(
                sql("SELECT subject, body FROM notice_templates WHERE kind = ? AND language = ?")
                    .bind(kind.as_str())
                    .bind(language.as_str()),
            )
            .await?;
        let (subject, body, custom) = match row {
            Some(r) => {
                let TemplateText { subject, body } = r.decode()?;
                (subject, body, true)
            }
            None => {
                let (s, b) = kind.default_template(language);
                (s.to_owned(), b.to_owned(), false)
            }
        };
        let placeholders = kind.placeholders().iter().map(|p| format!("{{{{{p}}}}}")).collect();
        Ok(NoticeTemplate { kind, language, subject, body, custom, placeholders })
    }

    /// Saves the admin's wording for one template.
    pub async fn set_notice_template(
        &self,
        actor: &Actor,
        kind: NoticeKind,
        language: Language,
        subject: &str,
        body: &str,
    ) -> Result<NoticeTemplate> {
        check_template(kind, "Subject", subject, MAX_SUBJECT).map_err(|e| StoreError::invalid("subject", e))?;
        check_template(kind, "Body", body, MAX_BODY).map_err(|e| StoreError::invalid("body", e))?;
        crate::transaction!(self.db, |tx| {
            async {
                tx.exec(
                    sql("DELETE FROM notice_templates WHERE kind = ? AND language = ?")
                        .bind(kind.as_str())
                        .bind(language.as_str()),
                )
                .await?;
                tx.exec(
                    sql("INSERT INTO notice_templates (kind, language, subject, body, updated_at) VALUES (?, ?, ?, ?, ?)")
                        .bind(kind.as_str())
                        .bind(language.as_str())
                        .bind(subject)
                        .bind(body)
                        .bind(self.now()),
                )
                .await?;
                let what = format!("{} {}", kind.as_str(), language.as_str());
                self.audit(&mut tx, actor, "notices.template", "notice_template", 0, what).await
            }
            .await
        })?;
        self.notice_template(kind, language).await
    }

    /// Goes back to the built-in wording for one template.
    pub async fn reset_notice_template(
        &self,
        actor: &Actor,
        kind: NoticeKind,
        language: Language,
    ) -> Result<NoticeTemplate> {
        crate::transaction!(self.db, |tx| {
            async {
                tx.exec(
                    sql("DELETE FROM notice_templates WHERE kind = ? AND language = ?")
                        .bind(kind.as_str())
                        .bind(language.as_str()),
                )
                .await?;
                let what = format!("{} {} reset", kind.as_str(), language.as_str());
                self.audit(&mut tx, actor, "notices.template", "notice_template", 0, what).await
            }
            .await
        })?;
        self.notice_template(kind, language).await
    }

    /// A template filled with example values: the saved one, or `subject`/`body` as given (to
    /// preview before saving). Returns the subject and body.
    pub async fn preview_notice(
        &self,
        kind: NoticeKind,
        language: Language,
        subject: Option<&str>,
        body: Option<&str>,
    ) -> Result<(String, String)> {
        let saved = self.notice_template(kind, language).await?;
        let subject = subject.unwrap_or(&saved.subject);
        let body = body.unwrap_or(&saved.body);
        check_template(kind, "Subject", subject, MAX_SUBJECT).map_err(|e| StoreError::invalid("subject", e))?;
        check_template(kind, "Body", body, MAX_BODY).map_err(|e| StoreError::invalid("body", e))?;
        let settings = self.notice_settings().await?;
        let today = self.today(self.now());
        let values = example_values(kind, language, today, &settings.library_name);
        Ok((render(subject, &values), render(body, &values)))
    }

    /// Records every notice that is due now and not yet recorded; returns how many it recorded.
    /// Members without an email address get a `skipped` notice saying so.
    pub async fn plan_notices(&self, settings: &NoticeSettings) -> Result<usize> {
        let now = self.now();
        let today = self.today(now);
        let longest =
            settings.category_due_soon_days.values().copied().chain([settings.due_soon_days]).max().unwrap_or(0);
        let mut planned = Vec::new();
        // Open loans due within the longest reminder window, or already late.
        let rows = self
            .db
            .all(
                sql(format!("{LOANS_TO_NOTIFY} WHERE l.returned_at IS NULL AND l.due_at < ? ORDER BY l.id"))
                    .bind(now + Duration::days(longest + 2)),
            )
            .await?;
        for r in &rows {
            let loan: LoanToNotify = r.decode()?;
            let due = self.today(loan.due_at);
            let Some((kind, stage)) =
                loan_notice_due(today, due, settings.due_soon_days_for(&loan.category), &settings.overdue_days)
            else {
                continue;
            };
            let (ref_id, member_id, email) = (loan.id, loan.member_id, loan.email.clone());
            let values = loan.values(settings, today, due);
            planned.push(Planned { kind, ref_id, stage, member_id, email, values });
        }
        // Holds whose copy waits on the hold shelf, not yet told.
        let rows = self
            .db
            .all(sql(format!(
                "{HOLDS_TO_NOTIFY} WHERE h.status = 'ready' AND NOT EXISTS \
                 (SELECT 1 FROM notices n WHERE n.kind = 'hold_ready' AND n.ref_id = h.id AND n.stage = 0) ORDER BY h.id"
            )))
            .await?;
        for r in &rows {
            let hold: HoldToNotify = r.decode()?;
            let (ref_id, member_id, email) = (hold.id, hold.member_id, hold.email.clone());
            let values = hold.values(settings);
            planned.push(Planned { kind: NoticeKind::HoldReady, ref_id, stage: 0, member_id, email, values });
        }
        let mut recorded = 0;
        for p in planned {
            let template = self.notice_template(p.kind, settings.language).await?;
            let email = p.email.filter(|e| !e.trim().is_empty());
            let (status, reason) = match &email {
                Some(_) => ("pending", None),
                None => ("skipped", Some("the member has no email address")),
            };
            let insert = self
                .write(
                    sql("INSERT INTO notices (kind, ref_id, stage, member_id, email, language, subject, body, status, \
                         attempts, next_attempt_at, last_error, created_at) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, 0, ?, ?, ?)")
                    .bind(p.kind.as_str())
                    .bind(p.ref_id)
                    .bind(p.stage)
                    .bind(p.member_id)
                    .bind(email)
                    .bind(settings.language.as_str())
                    .bind(render(&template.subject, &p.values))
                    .bind(render(&template.body, &p.values))
                    .bind(status)
                    .bind(now)
                    .bind(reason)
                    .bind(now),
                )
                .await;
            match insert {
                Ok(_) => recorded += 1,
                // Recorded already (an earlier run, or another replica).
                Err(StoreError::Duplicate { .. }) => {}
                Err(e) => return Err(e),
            }
        }
        Ok(recorded)
    }

    /// Takes the lease `name` for `holder` until `ttl` from now, or renews it: true when
    /// `holder` has it now. Taken only when free, expired, or already `holder`'s, in one
    /// statement, so two replicas cannot both have it.
    pub async fn take_lease(&self, name: &str, holder: &str, ttl: Duration) -> Result<bool> {
        let now = self.now();
        let done = self
            .write(
                sql("UPDATE leases SET holder = ?, expires_at = ?, generation = generation + 1 \
                     WHERE name = ? AND (holder IS NULL OR holder = ? OR expires_at < ?)")
                .bind(holder)
                .bind(now + ttl)
                .bind(name)
                .bind(holder)
                .bind(now),
            )
            .await?;
        Ok(done.rows == 1)
    }

    /// Lets the lease go, if `holder` has it.
    pub async fn release_lease(&self, name: &str, holder: &str) -> Result<()> {
        self.write(
            sql("UPDATE leases SET holder = NULL, generation = generation + 1 WHERE name = ? AND holder = ?")
                .bind(name)
                .bind(holder),
        )
        .await?;
        Ok(())
    }

    /// Notices to send now, oldest first: pending ones whose time has come, and any left
    /// `sending` by another scheduler (which lost the lease, so stopped or died mid-send).
    pub async fn due_notices(&self, holder: &str, limit: i64) -> Result<Vec<Notice>> {
        let rows = self
            .db
            .all(
                sql(format!(
                    "{NOTICE_SELECT} WHERE (n.status = 'pending' AND n.next_attempt_at <= ?) \
                     OR (n.status = 'sending' AND n.claimed_by <> ?) ORDER BY n.id LIMIT ?"
                ))
                .bind(self.now())
                .bind(holder)
                .bind(limit),
            )
            .await?;
        Ok(rows.iter().map(Row::decode::<Notice>).collect::<Result<Vec<_>, _>>()?)
    }

    /// Marks a notice `sending` by `holder`, recorded before the mail goes, and writes it as it
    /// is sent: from the template, library name and language of now, not of when it was recorded
    /// (a library that sets its name and wording after turning notices on sends those), and the
    /// member's address of now when they have one. The record keeps what was sent. None when
    /// someone else has it or it is done; a notice no longer needed (the book came back, the hold
    /// ended) is `skipped` instead, and None returned.
    pub async fn claim_notice(&self, notice: &Notice, holder: &str) -> Result<Option<Notice>> {
        let now = self.now();
        let claimed = self
            .write(
                sql("UPDATE notices SET status = 'sending', claimed_by = ?, attempts = attempts + 1 \
                     WHERE id = ? AND (status = 'pending' OR (status = 'sending' AND claimed_by <> ?))")
                .bind(holder)
                .bind(notice.id)
                .bind(holder),
            )
            .await?;
        if claimed.rows != 1 {
            return Ok(None);
        }
        let settings = self.notice_settings().await?;
        let Some((kind, values, email)) = self.notice_values_now(notice, &settings).await? else {
            self.write(
                sql("UPDATE notices SET status = 'skipped', attempts = attempts - 1, last_error = ?, sent_at = NULL, \
                         next_attempt_at = ? WHERE id = ? AND claimed_by = ?")
                .bind("no longer needed: the book was returned or the hold ended before it was sent")
                .bind(now)
                .bind(notice.id)
                .bind(holder),
            )
            .await?;
            return Ok(None);
        };
        let template = self.notice_template(kind, settings.language).await?;
        self.write(
            sql("UPDATE notices SET language = ?, subject = ?, body = ?, email = COALESCE(?, email) \
                 WHERE id = ? AND claimed_by = ?")
            .bind(settings.language.as_str())
            .bind(render(&template.subject, &values))
            .bind(render(&template.body, &values))
            .bind(email.filter(|e| !e.trim().is_empty()))
            .bind(notice.id)
            .bind(holder),
        )
        .await?;
        let row = self.db.opt(sql(format!("{NOTICE_SELECT} WHERE n.id = ?")).bind(notice.id)).await?;
        Ok(row.map(|r| r.decode::<Notice>()).transpose()?)
    }

    /// What NOTICE would say now (its kind, its values with SETTINGS, the member's address), or
    /// None when it is no longer needed: its loan returned, its hold no longer waiting.
    async fn notice_values_now(
        &self,
        notice: &Notice,
        settings: &NoticeSettings,
    ) -> Result<Option<(NoticeKind, Vec<(&'static str, String)>, Option<String>)>> {
        let kind = NoticeKind::parse(&notice.kind).map_err(|e| StoreError::Internal(anyhow::anyhow!(e.message)))?;
        if kind == NoticeKind::HoldReady {
            let q = sql(format!("{HOLDS_TO_NOTIFY} WHERE h.id = ? AND h.status = 'ready'")).bind(notice.ref_id);
            let Some(row) = self.db.opt(q).await? else { return Ok(None) };
            let hold: HoldToNotify = row.decode()?;
            let email = hold.email.clone();
            return Ok(Some((kind, hold.values(settings), email)));
        }
        let q = sql(format!("{LOANS_TO_NOTIFY} WHERE l.id = ? AND l.returned_at IS NULL")).bind(notice.ref_id);
        let Some(row) = self.db.opt(q).await? else { return Ok(None) };
        let loan: LoanToNotify = row.decode()?;
        let (email, due) = (loan.email.clone(), self.today(loan.due_at));
        Ok(Some((kind, loan.values(settings, self.today(self.now()), due), email)))
    }

    /// Records that the SMTP server accepted the notice.
    pub async fn notice_sent(&self, id: i64, holder: &str) -> Result<()> {
        self.write(
            sql("UPDATE notices SET status = 'sent', sent_at = ?, last_error = NULL WHERE id = ? AND claimed_by = ? \
                     AND status = 'sending'")
            .bind(self.now())
            .bind(id)
            .bind(holder),
        )
        .await?;
        Ok(())
    }

    /// Records a failed attempt: tried again after a back-off, or given up (`failed`) after
    /// [`MAX_ATTEMPTS`], or at once when `permanent` (the server refused the address).
    pub async fn notice_failed(&self, id: i64, holder: &str, error: &str, permanent: bool) -> Result<()> {
        let Some(row) = self
            .db
            .opt(
                sql("SELECT attempts FROM notices WHERE id = ? AND claimed_by = ? AND status = 'sending'")
                    .bind(id)
                    .bind(holder),
            )
            .await?
        else {
            return Ok(());
        };
        let (attempts,) = row.decode::<(i64,)>()?;
        let status = if permanent || attempts >= MAX_ATTEMPTS { "failed" } else { "pending" };
        let error: String = error.chars().take(1000).collect();
        self.write(
            sql("UPDATE notices SET status = ?, last_error = ?, next_attempt_at = ? WHERE id = ? AND claimed_by = ? \
                     AND status = 'sending'")
            .bind(status)
            .bind(error)
            .bind(self.now() + retry_delay(attempts))
            .bind(id)
            .bind(holder),
        )
        .await?;
        Ok(())
    }

    /// Notices, newest first.
    pub async fn notices(&self, filter: &NoticeFilter, page: PageRequest) -> Result<Page<Notice>> {
        let mut q = Query::where_clause(None);
        if let Some(s) = &filter.status {
            q = q.and("n.status = ?").bind(s.as_str());
        }
        if let Some(id) = filter.member_id {
            q = q.and("n.member_id = ?").bind(id);
        }
        let rows = self
            .db
            .all(
                q.clone()
                    .prefix(NOTICE_SELECT)
                    .push(" ORDER BY n.id DESC LIMIT ? OFFSET ?")
                    .bind(page.per_page)
                    .bind(page.offset()),
            )
            .await?;
        let items = rows.iter().map(Row::decode::<Notice>).collect::<Result<Vec<_>, _>>()?;
        let total = self.count(q.prefix("SELECT COUNT(*) AS n FROM notices n")).await?;
        Ok(page.wrap(items, total))
    }

    /// Counts by status and the lease.
    pub async fn notice_counts(&self) -> Result<NoticeCounts> {
        let mut by = BTreeMap::new();
        for r in self.db.all(sql("SELECT status, COUNT(*) AS n FROM notices GROUP BY status")).await? {
            let StatusCount { status, n } = r.decode()?;
            by.insert(status, n);
        }
        let lease =
            self.db.opt(sql("SELECT holder, expires_at FROM leases WHERE name = ?").bind(NOTICES_LEASE)).await?;
        let (mut holder, mut expires) = (None, None);
        if let Some(r) = lease {
            let lease: LeaseRow = r.decode()?;
            if lease.expires_at >= self.now() {
                holder = lease.holder;
                expires = holder.as_ref().map(|_| lease.expires_at);
            }
        }
        let n = |s: &str| by.get(s).copied().unwrap_or(0);
        Ok(NoticeCounts {
            pending: n("pending"),
            sending: n("sending"),
            sent: n("sent"),
            failed: n("failed"),
            skipped: n("skipped"),
            lease_holder: holder,
            lease_expires_at: expires,
        })
    }
}

/// The values about the member and the copy that every notice has.
fn person_values(about: NoticeAbout, library: &str) -> Vec<(&'static str, String)> {
    vec![
        ("name", about.name),
        ("card_number", about.card_number),
        ("title", about.title),
        ("barcode", about.barcode.unwrap_or_default()),
        ("library", library.to_owned()),
    ]
}

/// Example values for a preview.
fn example_values(
    kind: NoticeKind,
    language: Language,
    today: NaiveDate,
    library: &str,
) -> Vec<(&'static str, String)> {
    let mut v = vec![
        ("name", "Budi Santoso".to_owned()),
        ("card_number", "M000123".to_owned()),
        ("title", "Laskar Pelangi".to_owned()),
        ("barcode", "B0000042".to_owned()),
        ("library", library.to_owned()),
    ];
    match kind {
        NoticeKind::DueSoon => {
            v.push(("due_date", format_date(today + Duration::days(2), language)));
            v.push(("days_left", "2".into()));
        }
        NoticeKind::Overdue => {
            v.push(("due_date", format_date(today - Duration::days(7), language)));
            v.push(("days_late", "7".into()));
        }
        NoticeKind::HoldReady => v.push(("pickup_by", format_date(today + Duration::days(3), language))),
    }
    v
}

/// An overdue loan with the member's contacts and a ready WhatsApp link.
#[derive(Debug, Clone, Serialize, ToSchema)]
pub struct OverdueContact {
    pub loan_id: i64,
    pub title: String,
    pub barcode: String,
    pub member_id: i64,
    pub member_name: String,
    pub card_number: String,
    pub email: Option<String>,
    pub phone: Option<String>,
    pub due_at: DateTime<Utc>,
    /// Library days since the due day.
    pub days_late: i64,
    /// `https://wa.me/62…?text=…`, when the member has a usable phone number.
    pub whatsapp_url: Option<String>,
}

impl Store {
    /// Open loans past their due time, most overdue first, with contacts and WhatsApp links
    /// (the message in the notices' language).
    pub async fn overdue_contacts(&self, page: PageRequest) -> Result<Page<OverdueContact>> {
        let now = self.now();
        let today = self.today(now);
        let settings = self.notice_settings().await?;
        let rows = self
            .db
            .all(
                sql("SELECT l.id, l.due_at, l.member_id, m.name, m.card_number, m.email, m.phone, c.barcode, b.title \
                     FROM loans l JOIN members m ON m.id = l.member_id JOIN copies c ON c.id = l.copy_id \
                     JOIN books b ON b.id = c.book_id WHERE l.returned_at IS NULL AND l.due_at < ? \
                     ORDER BY l.due_at, l.id LIMIT ? OFFSET ?")
                .bind(now)
                .bind(page.per_page)
                .bind(page.offset()),
            )
            .await?;
        let mut items = Vec::with_capacity(rows.len());
        for r in &rows {
            let OverdueLoan { id, due_at, member_id, name, card_number, email, phone, barcode, title } = r.decode()?;
            let due = self.today(due_at);
            let days_late = (today - due).num_days().max(0);
            let message = match settings.language {
                Language::Id => format!(
                    "Yth. {name}, buku \"{title}\" seharusnya dikembalikan pada {} (terlambat {days_late} hari). Mohon segera dikembalikan. Terima kasih, {}",
                    format_date(due, Language::Id),
                    settings.library_name
                ),
                Language::En => format!(
                    "Dear {name}, the book \"{title}\" was due on {} ({days_late} days late). Please return it soon. Thank you, {}",
                    format_date(due, Language::En),
                    settings.library_name
                ),
            };
            items.push(OverdueContact {
                loan_id: id,
                barcode,
                member_id,
                card_number,
                email,
                whatsapp_url: phone.as_deref().and_then(|p| crate::domain::notices::whatsapp_link(p, &message)),
                phone,
                due_at,
                days_late,
                member_name: name,
                title,
            });
        }
        let total = self
            .count(sql("SELECT COUNT(*) AS n FROM loans WHERE returned_at IS NULL AND due_at < ?").bind(now))
            .await?;
        Ok(page.wrap(items, total))
    }
}
