//! A member's own reading history (#34): past loans and in-library reads, newest first, and the
//! member's privacy choices. With `keep_history` off the history is hidden (not shown to the
//! member, nor by this route to staff); the loan rows are kept, as circulation, fines and the
//! reports need them. With `in_popular` off the member's loans are not counted in the public
//! "most borrowed".

use chrono::{DateTime, Utc};
use serde::Serialize;
use utoipa::ToSchema;

use crate::{db::sql, error::Result, Actor, Store};

/// The most entries a history shows.
pub const HISTORY_LIMIT: i64 = 200;

/// A member's privacy choices.
#[derive(Debug, Clone, Copy, Serialize, ToSchema, sqlx::FromRow)]
pub struct ReadingPrivacy {
    /// Show the member their past loans and in-library reads.
    pub keep_history: bool,
    /// Count the member's loans in the public "most borrowed".
    pub in_popular: bool,
}

/// One book read: a loan (returned or not) or a read in the library.
#[derive(Debug, Serialize, ToSchema, sqlx::FromRow)]
pub struct HistoryEntry {
    /// `loan` or `in_library`.
    #[schema(example = "loan")]
    pub kind: String,
    pub book_id: i64,
    pub title: String,
    /// When it was lent, or read in the library.
    pub at: DateTime<Utc>,
    /// When a loan came back; none for a loan still out or a read in the library.
    pub returned_at: Option<DateTime<Utc>>,
}

/// A member's history with their choices.
#[derive(Debug, Serialize, ToSchema)]
pub struct ReadingHistory {
    #[serde(flatten)]
    pub privacy: ReadingPrivacy,
    /// Newest first, at most 200; empty while `keep_history` is off.
    pub items: Vec<HistoryEntry>,
}

impl Store {
    /// A member's privacy choices (`NotFound` for no such member).
    pub async fn reading_privacy(&self, member_id: i64) -> Result<ReadingPrivacy> {
        let row = self
            .db
            .opt(sql("SELECT keep_history, in_popular FROM members WHERE id = ?").bind(member_id))
            .await?
            .ok_or(crate::error::StoreError::NotFound("member"))?;
        Ok(row.decode()?)
    }

    /// A member's reading history (see the module's notes).
    pub async fn reading_history(&self, member_id: i64) -> Result<ReadingHistory> {
        let privacy = self.reading_privacy(member_id).await?;
        if !privacy.keep_history {
            return Ok(ReadingHistory { privacy, items: Vec::new() });
        }
        let loans = sql("SELECT 'loan' AS kind, b.id AS book_id, b.title, l.loaned_at AS at, l.returned_at \
             FROM loans l JOIN copies c ON c.id = l.copy_id JOIN books b ON b.id = c.book_id \
             WHERE l.member_id = ? ORDER BY l.loaned_at DESC LIMIT ?")
        .bind(member_id)
        .bind(HISTORY_LIMIT);
        let reads = sql("SELECT 'in_library' AS kind, b.id AS book_id, b.title, u.used_at AS at, NULL AS returned_at \
             FROM in_library_uses u JOIN copies c ON c.id = u.copy_id JOIN books b ON b.id = c.book_id \
             WHERE u.member_id = ? ORDER BY u.used_at DESC LIMIT ?")
        .bind(member_id)
        .bind(HISTORY_LIMIT);
        let mut items = Vec::new();
        for q in [loans, reads] {
            for r in self.db.all(q).await? {
                items.push(r.decode::<HistoryEntry>()?);
            }
        }
        items.sort_by_key(|e| std::cmp::Reverse(e.at));
        items.truncate(HISTORY_LIMIT as usize);
        Ok(ReadingHistory { privacy, items })
    }

    /// Sets a member's privacy choices.
    pub async fn set_reading_privacy(
        &self,
        actor: &Actor,
        member_id: i64,
        p: ReadingPrivacy,
    ) -> Result<ReadingPrivacy> {
        crate::transaction!(self.db, |tx| async {
            tx.exec(
                sql("UPDATE members SET keep_history = ?, in_popular = ? WHERE id = ?")
                    .bind(p.keep_history)
                    .bind(p.in_popular)
                    .bind(member_id),
            )
            .await?;
            let detail = format!("keep_history {}; in_popular {}", p.keep_history, p.in_popular);
            self.audit(&mut tx, actor, "member.privacy", "member", member_id, detail).await
        }
        .await)?;
        self.reading_privacy(member_id).await
    }
}
