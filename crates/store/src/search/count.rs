//! The number of books in the catalogue, for the total of the list without a search (the OPAC's
//! front page, its most requested page). InnoDB counts a table by reading an index of it: 70 ms
//! for a million books, which on every request made that page 10–20 times slower than one book.
//! So each server counts it at most every [`EVERY`] (longer when counting is slow, so that
//! counting takes at most 2% of one database connection), in a background task while requests
//! answer with the last count: no request waits for an old count to be redone. After a change to
//! the books made through this server, the next request waits for a count that began after it,
//! and requests waiting together share one count. Books added or removed through another server
//! are in the total within that time. The count is exact when made: no cap, no estimate.

use std::{
    sync::{
        atomic::{AtomicBool, AtomicU64, Ordering},
        Mutex,
    },
    time::{Duration, Instant},
};

use super::super::{db::sql, error::Result, Store};

/// How long a count is used before the next request counts again, at least.
pub const EVERY: Duration = Duration::from_secs(5);

/// A counted total is used for 50 times as long as counting took, when that is longer than [`EVERY`].
const SLOW: u32 = 50;

/// One server's count of the books (see the module's notes).
#[derive(Debug, Default)]
pub(crate) struct BookCount {
    /// Changes to the books made through this server, bumped after each is committed.
    changes: AtomicU64,
    /// The last count.
    last: Mutex<Option<Counted>>,
    /// Held while counting, so that requests arriving together count once.
    counting: tokio::sync::Mutex<()>,
    /// A background count has been started and has not ended.
    refreshing: AtomicBool,
}

#[derive(Debug, Clone, Copy)]
struct Counted {
    books: i64,
    /// [`BookCount::changes`] read before counting began.
    changes: u64,
    at: Instant,
    took: Duration,
}

impl Counted {
    fn fresh(&self) -> bool {
        self.at.elapsed() < EVERY.max(self.took * SLOW)
    }
}

impl BookCount {
    fn last(&self) -> Option<Counted> {
        *self.last.lock().unwrap_or_else(|e| e.into_inner())
    }
}

impl Store {
    /// The books in the catalogue (see the module's notes).
    pub(crate) async fn books_total(&self) -> Result<i64> {
        let state = &self.book_count;
        let changes = state.changes.load(Ordering::Acquire);
        if let Some(last) = state.last().filter(|c| c.changes == changes) {
            if last.fresh() {
                return Ok(last.books);
            }
            // Only old: counted again in the background; this request answers with the last count.
            if !state.refreshing.swap(true, Ordering::AcqRel) {
                let store = self.clone();
                tokio::spawn(async move {
                    let state = &store.book_count;
                    {
                        let _counting = state.counting.lock().await;
                        let changes = state.changes.load(Ordering::Acquire);
                        if !state.last().is_some_and(|c| c.changes == changes && c.fresh()) {
                            if let Err(e) = store.count_books(changes).await {
                                tracing::warn!(error = %e, "counting the books failed; the last count stays");
                            }
                        }
                    }
                    state.refreshing.store(false, Ordering::Release);
                });
            }
            return Ok(last.books);
        }
        // Never counted, or changed here since: wait for a count that began after the change this
        // request saw (one made for a request that waited before it will do).
        let _counting = state.counting.lock().await;
        match state.last().filter(|c| c.changes >= changes) {
            Some(last) if last.fresh() => Ok(last.books),
            _ => self.count_books(state.changes.load(Ordering::Acquire)).await,
        }
    }

    /// Counts the books (the caller holds `counting`); `changes` was read before.
    async fn count_books(&self, changes: u64) -> Result<i64> {
        let at = Instant::now();
        let books = self.count(sql("SELECT COUNT(*) AS n FROM books")).await?;
        let counted = Counted { books, changes, at, took: at.elapsed() };
        *self.book_count.last.lock().unwrap_or_else(|e| e.into_inner()) = Some(counted);
        Ok(books)
    }

    /// Books were added or removed through this server (call it after the commit): its next
    /// total of the catalogue is counted again.
    pub(crate) fn books_changed(&self) {
        self.book_count.changes.fetch_add(1, Ordering::AcqRel);
    }
}
