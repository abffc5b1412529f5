//! Idempotency keys: a write sent with a key is reserved here (in a row of its own, committed
//! before the work starts) and then filled with the answer, so the same key again, on any replica
//! and after a restart, finds the answer instead of doing the work twice. The HTTP rules around it
//! (what is a key, which answers are kept, how long a second request waits) are the server's
//! (`src/http/idempotency.rs`); the store keeps the rows and decides, under a row lock, who may do
//! the work.

use chrono::{DateTime, Duration, Utc};

use crate::{
    db::{sql, Row},
    error::{Result, StoreError},
    Store,
};

/// How long a key is remembered after its first request: a client retrying later than this does
/// the work again.
pub const KEY_LIFETIME: Duration = Duration::hours(24);

/// A reservation whose request has not filled it for this long is taken to be abandoned (its
/// replica died, or the database went away between the work and the answer being stored) and may
/// be taken over by the next request with the key: longer than any write runs (the API's request
/// timeout is 30 s).
pub const ABANDONED_AFTER: Duration = Duration::seconds(120);

/// A kept answer.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct KeptAnswer {
    /// The HTTP status.
    pub status: u16,
    /// Its `Content-Type`.
    pub content_type: Option<String>,
    /// Its `Location`.
    pub location: Option<String>,
    /// The body, when it was kept (text up to the server's bound).
    pub body: Option<String>,
}

/// What a request with a key may do.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Reservation {
    /// The key is this request's (row `id`): do the work, then [`Store::fill_key`] or
    /// [`Store::release_key`].
    Reserved {
        /// The reservation's row.
        id: i64,
    },
    /// The same request was answered before: this is the answer.
    Done(KeptAnswer),
    /// The same request is at work right now (on this replica or another).
    InProgress,
    /// The key was used, and is still remembered, for another request (method, path or body).
    Mismatch,
}

/// A key's row as it is read.
#[derive(Debug)]
struct KeyRow {
    id: i64,
    request_hash: String,
    status: Option<i64>,
    content_type: Option<String>,
    location: Option<String>,
    body: Option<String>,
    body_kept: bool,
    reserved_at: DateTime<Utc>,
    expires_at: DateTime<Utc>,
}

impl KeyRow {
    fn read(r: &Row) -> Result<Self> {
        Ok(Self {
            id: r.get("id")?,
            request_hash: r.get("request_hash")?,
            status: r.get("status")?,
            content_type: r.get("content_type")?,
            location: r.get("location")?,
            body: r.get("body")?,
            body_kept: r.get("body_kept")?,
            reserved_at: r.get("reserved_at")?,
            expires_at: r.get("expires_at")?,
        })
    }
}

impl Store {
    /// Reserves `key` of `scope` for a request whose method, path and body hash to `hash`, or
    /// says why not. Expired keys count as unused; an abandoned reservation
    /// ([`ABANDONED_AFTER`]) is taken over.
    pub async fn reserve_key(&self, scope: &str, key: &str, hash: &str) -> Result<Reservation> {
        let outcome = crate::transaction!(self.db, |tx| {
            async {
                let now = self.now();
                let lock = tx.for_update();
                let row = tx
                    .opt(
                        sql(format!(
                            "SELECT id, request_hash, status, content_type, location, body, body_kept, reserved_at, expires_at \
                             FROM idempotency_keys WHERE scope = ? AND idem_key = ?{lock}"
                        ))
                        .bind(scope)
                        .bind(key),
                    )
                    .await?
                    .as_ref()
                    .map(KeyRow::read)
                    .transpose()?;
                match row {
                    Some(r) if r.expires_at > now => {
                        if r.request_hash != hash {
                            return Ok(Reservation::Mismatch);
                        }
                        if let Some(status) = r.status {
                            return Ok(Reservation::Done(KeptAnswer {
                                status: u16::try_from(status).unwrap_or(500),
                                content_type: r.content_type,
                                location: r.location,
                                body: if r.body_kept { r.body } else { None },
                            }));
                        }
                        if r.reserved_at > now - ABANDONED_AFTER {
                            return Ok(Reservation::InProgress);
                        }
                        tx.exec(
                            sql("UPDATE idempotency_keys SET reserved_at = ? WHERE id = ? AND status IS NULL")
                                .bind(now)
                                .bind(r.id),
                        )
                        .await?;
                        tracing::warn!(scope, key, "an abandoned idempotency reservation is taken over");
                        return Ok(Reservation::Reserved { id: r.id });
                    }
                    Some(r) => {
                        tx.exec(sql("DELETE FROM idempotency_keys WHERE id = ?").bind(r.id)).await?;
                    }
                    None => {}
                }
                let id = tx
                    .exec(
                        sql("INSERT INTO idempotency_keys (scope, idem_key, request_hash, body_kept, reserved_at, expires_at) \
                             VALUES (?, ?, ?, ?, ?, ?)")
                        .bind(scope)
                        .bind(key)
                        .bind(hash)
                        .bind(false)
                        .bind(now)
                        .bind(now + KEY_LIFETIME),
                    )
                    .await?
                    .last_id;
                Ok::<_, StoreError>(Reservation::Reserved { id })
            }
            .await
        });
        match outcome {
            // Another request inserted the key between our read and our insert: it is at work.
            Err(StoreError::Duplicate { .. }) => Ok(Reservation::InProgress),
            other => other,
        }
    }

    /// Stores the answer of reservation `id`. `body` is `None` when the answer is not kept (too
    /// large, or not text): a repeat then gets the status alone.
    pub async fn fill_key(&self, id: i64, answer: &KeptAnswer) -> Result<()> {
        crate::transaction!(self.db, |tx| {
            async {
                tx.exec(
                    sql("UPDATE idempotency_keys SET status = ?, content_type = ?, location = ?, body = ?, body_kept = ? \
                         WHERE id = ? AND status IS NULL")
                    .bind(i64::from(answer.status))
                    .bind(answer.content_type.clone())
                    .bind(answer.location.clone())
                    .bind(answer.body.clone())
                    .bind(answer.body.is_some())
                    .bind(id),
                )
                .await?;
                Ok::<_, StoreError>(())
            }
            .await
        })
    }

    /// Lets reservation `id` go without an answer (the request failed in a way a retry may mend):
    /// the next request with the key does the work.
    pub async fn release_key(&self, id: i64) -> Result<()> {
        crate::transaction!(self.db, |tx| {
            async {
                tx.exec(sql("DELETE FROM idempotency_keys WHERE id = ? AND status IS NULL").bind(id)).await?;
                Ok::<_, StoreError>(())
            }
            .await
        })
    }

    /// Forgets expired keys; returns how many. Any replica may run it (the minute's chores).
    pub async fn prune_keys(&self) -> Result<u64> {
        let now = self.now();
        crate::transaction!(self.db, |tx| {
            async {
                let done = tx.exec(sql("DELETE FROM idempotency_keys WHERE expires_at < ?").bind(now)).await?;
                Ok::<_, StoreError>(done.rows)
            }
            .await
        })
    }
}
