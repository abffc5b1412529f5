//! Search on SQLite's FTS5 index (`books_fts`, kept by triggers).

use super::RANKED;
use crate::{
    catalogue::{book, BOOK_COLUMNS},
    db::sql,
    error::Result,
    model::{Book, Page},
    PageRequest, Store,
};

impl Store {
    /// Full-text search on SQLite's FTS5 index.
    pub(super) async fn full_text_sqlite(&self, terms: &[String], page: PageRequest) -> Result<Page<Book>> {
        let quote = |w: &String| format!("\"{w}\"");
        let mut expr = terms.iter().map(quote).collect::<Vec<_>>().join(" ");
        let count = |expr: String| {
            sql("SELECT COUNT(*) AS n FROM (SELECT rowid FROM books_fts WHERE books_fts MATCH ? LIMIT ?) m")
                .bind(expr)
                .bind(RANKED + 1)
        };
        let mut hits = self.count(count(expr.clone())).await?;
        if hits == 0 {
            expr = terms.iter().map(|w| format!("{}*", quote(w))).collect::<Vec<_>>().join(" ");
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
        let rows = self.db.all(select.bind(&expr).bind(page.per_page).bind(page.offset())).await?;
        let items = rows.iter().map(book).collect::<Result<Vec<_>>>()?;
        Ok(Page { total_capped: capped, ..page.wrap(items, hits.min(RANKED)) })
    }
}
