//! Catalogue search. Both backends search the same way: every word must match, whole words
//! first and, when that finds nothing, as prefixes (a word still being typed). Matches are counted
//! up to RANKED + 1: up to RANKED are ranked by relevance; a search so common that it matches more
//! is listed newest first and its count stops at RANKED (`total_capped`), so neither ranking nor
//! counting ever walks a third of the catalogue. SQLite uses its FTS5 index ([`sqlite`]); MariaDB
//! Pustaka's own word index, kept in each book's transaction ([`mariadb`]).

mod count;
mod mariadb;
mod opac;
mod sqlite;

pub use opac::{FacetValue, Facets, OpacFilters, OpacPage, OpacSort, PopularBook};

pub(crate) use count::BookCount;

use super::{
    catalogue::BOOK_COLUMNS,
    db::{sql, Dialect, Tx},
    error::Result,
    PageRequest, Store,
};
use crate::{
    domain::{isbn::looks_like_isbn, search, Isbn},
    model::{Book, Page},
};

/// Words of a search: letters and digits only, at most 8.
pub(super) fn search_terms(q: &str) -> Vec<String> {
    search::words(q).take(8).collect()
}

/// Search results ranked by relevance at most; more matches are listed newest first.
pub const RANKED: i64 = 1000;

/// A word being typed matches at most this many whole words (the first in alphabetical order).
pub(super) const PREFIX_WORDS: i64 = 50;

/// `?, ?, ?` for `n` values.
pub(super) fn placeholders(n: usize) -> String {
    vec!["?"; n].join(", ")
}

impl Store {
    /// Searches the catalogue (title, authors, subjects; an ISBN matches exactly); without a query,
    /// the newest books first.
    pub async fn search_books(&self, q: Option<&str>, page: PageRequest) -> Result<Page<Book>> {
        let q = q.map(str::trim).filter(|q| !q.is_empty());
        let (select, count) = match q {
            // The whole catalogue, newest first (the index `books_created`, read backwards). Its
            // total is not counted here: InnoDB counts a table by reading it (70 ms for a million
            // books), so each server counts it every few seconds and after its own changes
            // ([`BookCount`]).
            None => (
                sql(format!(
                    "SELECT {BOOK_COLUMNS} FROM books b ORDER BY b.created_at DESC, b.id DESC LIMIT ? OFFSET ?"
                )),
                None,
            ),
            Some(q) if looks_like_isbn(q) && Isbn::parse(q).is_ok() => {
                let isbn = Isbn::parse(q).map(|i| i.as_str().to_owned()).unwrap_or_default();
                (
                    sql(format!("SELECT {BOOK_COLUMNS} FROM books b WHERE b.isbn = ? LIMIT ? OFFSET ?")).bind(&isbn),
                    Some(sql("SELECT COUNT(*) AS n FROM books WHERE isbn = ?").bind(isbn)),
                )
            }
            Some(q) => {
                let terms = search_terms(q);
                if terms.is_empty() {
                    return Ok(page.wrap(Vec::new(), 0));
                }
                return match self.db.dialect() {
                    Dialect::Sqlite => self.full_text_sqlite(&terms, page).await,
                    Dialect::MariaDb => self.full_text_mariadb(&terms, page).await,
                };
            }
        };
        let items = self.books_of(select.bind(page.per_page).bind(page.offset())).await?;
        let total = match count {
            Some(count) => self.count(count).await?,
            None => self.books_total().await?,
        };
        Ok(page.wrap(items, total))
    }

    /// Books by id, in the order of `ids`.
    pub(super) async fn books_by_ids(&self, ids: &[i64]) -> Result<Vec<Book>> {
        if ids.is_empty() {
            return Ok(Vec::new());
        }
        let mut q = sql(format!("SELECT {BOOK_COLUMNS} FROM books b WHERE b.id IN ({})", placeholders(ids.len())));
        for id in ids {
            q = q.bind(*id);
        }
        let mut books = self.books_of(q).await?;
        books.sort_by_key(|b| ids.iter().position(|id| *id == b.id));
        Ok(books)
    }

    /// Puts a book's words in the search index, in the book's transaction (SQLite's FTS5
    /// triggers do this there).
    pub(crate) async fn index_words(&self, tx: &mut Tx, b: &Book) -> Result<()> {
        match tx.dialect() {
            Dialect::Sqlite => Ok(()),
            Dialect::MariaDb => mariadb::index_words(tx, b).await,
        }
    }

    /// Puts the words of a book inserted in this transaction in the search index (see
    /// [`Store::index_words`]; nothing to replace, so nothing locked that other new books need).
    pub(crate) async fn index_new_book_words(&self, tx: &mut Tx, b: &Book) -> Result<()> {
        match tx.dialect() {
            Dialect::Sqlite => Ok(()),
            Dialect::MariaDb => mariadb::index_new_book_words(tx, b).await,
        }
    }

    /// [`Store::index_new_book_words`] for several books inserted in this transaction, in a few
    /// statements for all of them (an import's batch).
    pub(crate) async fn index_new_books_words(&self, tx: &mut Tx, books: &[Book]) -> Result<()> {
        match tx.dialect() {
            Dialect::Sqlite => Ok(()),
            Dialect::MariaDb => mariadb::index_new_books_words(tx, books).await,
        }
    }

    /// Indexes the books that `pustaka reindex` or a migration left to index (MariaDB; SQLite's
    /// index is never behind). Returns how many books were indexed.
    pub async fn index_pending_words(&self) -> Result<u64> {
        match self.db.dialect() {
            Dialect::Sqlite => Ok(0),
            Dialect::MariaDb => self.index_pending_words_mariadb().await,
        }
    }

    /// Rebuilds the search index from the books table (after books were loaded with SQL).
    pub async fn reindex(&self) -> Result<u64> {
        self.books_changed(); // books loaded with SQL are counted again too
        match self.db.dialect() {
            Dialect::Sqlite => {
                let mut tx = self.db.begin().await?;
                tx.exec(sql("INSERT INTO books_fts (books_fts) VALUES ('rebuild')")).await?;
                tx.commit().await?;
                self.count(sql("SELECT COUNT(*) AS n FROM books")).await.map(|n| n as u64)
            }
            Dialect::MariaDb => {
                let mut tx = self.db.begin().await?;
                tx.exec(sql("DELETE FROM search_reindex")).await?;
                tx.exec(sql("INSERT INTO search_reindex (after_book_id) VALUES (0)")).await?;
                tx.commit().await?;
                self.index_pending_words().await
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::search_terms;

    #[test]
    fn search_terms_keep_only_words() {
        assert_eq!(search_terms("Harimau! \"harimau\" OR *"), vec!["harimau", "harimau", "or"]);
        assert!(search_terms("\"*()-+~<>").is_empty());
        assert_eq!(search_terms("Bumi Manusia").len(), 2);
    }
}
