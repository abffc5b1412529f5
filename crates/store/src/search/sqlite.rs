//! Search on SQLite's FTS5 index (`books_fts`, kept by triggers).

use super::{PREFIX_WORDS, RANKED};
use crate::{
    catalogue::BOOK_COLUMNS,
    db::sql,
    error::Result,
    model::{Book, Page},
    PageRequest, Store,
};

impl Store {
    /// The FTS5 expression of a search whose terms are words being typed: each term as the whole
    /// words of the index it begins (at most [`PREFIX_WORDS`], the first in alphabetical order, as
    /// on MariaDB), e.g. `("sejarah" OR "sejarawan")`. FTS5 reads each word's list lazily, so
    /// counting up to RANKED + 1 matches or listing the newest reads about that many. Its own
    /// prefix query (`"sejar"*`), used only when a term begins no word as written (a letter with a
    /// diacritic, which the index keeps without it), merges every list of every word it begins
    /// before it returns a row: all 333,333 books of `sejarah` in a 1M-book catalogue.
    pub(super) async fn prefix_expression(&self, terms: &[String]) -> Result<String> {
        let mut groups = Vec::with_capacity(terms.len());
        for t in terms {
            let words = self.words_beginning(t).await?;
            if words.is_empty() {
                return Ok(terms.iter().map(|w| format!("\"{w}\"*")).collect::<Vec<_>>().join(" "));
            }
            groups.push(format!("({})", words.iter().map(|w| format!("\"{w}\"")).collect::<Vec<_>>().join(" OR ")));
        }
        Ok(groups.join(" AND "))
    }

    /// The words of the search index that begin with `prefix`, in order, at most [`PREFIX_WORDS`]:
    /// one seek of `books_fts_words` per word (`term >= ?` starts at a word's first use; the
    /// next word is the first at or after the word followed by U+0001).
    async fn words_beginning(&self, prefix: &str) -> Result<Vec<String>> {
        let mut words = Vec::new();
        let mut from = prefix.to_owned();
        while (words.len() as i64) < PREFIX_WORDS {
            let next = sql("SELECT term FROM books_fts_words WHERE term >= ? LIMIT 1").bind(&from);
            let Some(row) = self.db.opt(next).await? else { break };
            let (word,): (String,) = row.decode()?;
            if !word.starts_with(prefix) {
                break;
            }
            from = format!("{word}\u{1}");
            words.push(word);
        }
        Ok(words)
    }

    /// Full-text search on SQLite's FTS5 index.
    pub(super) async fn full_text_sqlite(&self, terms: &[String], page: PageRequest) -> Result<Page<Book>> {
        let mut expr = terms.iter().map(|w| format!("\"{w}\"")).collect::<Vec<_>>().join(" ");
        let count = |expr: String| {
            sql("SELECT COUNT(*) AS n FROM (SELECT rowid FROM books_fts WHERE books_fts MATCH ? LIMIT ?) m")
                .bind(expr)
                .bind(RANKED + 1)
        };
        let mut hits = self.count(count(expr.clone())).await?;
        if hits == 0 {
            expr = self.prefix_expression(terms).await?;
            hits = self.count(count(expr.clone())).await?;
        }
        let capped = hits > RANKED;
        if hits == 0 || page.offset() >= hits.min(RANKED) {
            return Ok(Page { total_capped: capped, ..page.wrap(Vec::new(), hits.min(RANKED)) });
        }
        let order = if capped { "f.rowid DESC" } else { "f.rank, b.id" };
        let select = sql(format!(
            "SELECT {BOOK_COLUMNS} FROM books_fts f JOIN books b ON b.id = f.rowid \
             WHERE books_fts MATCH ? ORDER BY {order} LIMIT ? OFFSET ?"
        ));
        let items = self.books_of(select.bind(&expr).bind(page.per_page).bind(page.offset())).await?;
        Ok(Page { total_capped: capped, ..page.wrap(items, hits.min(RANKED)) })
    }
}
