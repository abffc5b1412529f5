//! Search on MariaDB, over Pustaka's own word index: `book_words` (word, book, weight) and
//! `search_words` (every indexed word once, for prefixes). InnoDB's FULLTEXT computes every match
//! before it returns one, which took over a second for a common word in a million books.

use std::collections::BTreeMap;

use super::{placeholders, PREFIX_WORDS, RANKED};
use crate::{
    db::{sql, Dialect, Query, Row, Tx},
    domain::search,
    error::{Result, StoreError},
    json_list,
    model::{Book, Page},
    PageRequest, Store,
};

/// What the search index is made of.
#[derive(sqlx::FromRow)]
struct WordsRow {
    id: i64,
    title: String,
    authors: String,
    subjects: String,
}

/// A book's relevance to a search: the weights of the searched words in it.
#[derive(sqlx::FromRow)]
struct Scored {
    id: i64,
    score: i64,
}

/// Replaces a book's words in the index.
pub(super) async fn index_words(tx: &mut Tx, b: &Book) -> Result<()> {
    tx.exec(sql("DELETE FROM book_words WHERE book_id = ?").bind(b.id)).await?;
    index_new_book_words(tx, b).await
}

/// Indexes the words of a book just inserted in this transaction. No `DELETE` first: for the
/// newest id it would find nothing and gap-lock the end of `book_words_book`, where every other
/// book being catalogued at the same moment inserts next (two such transactions deadlocked).
pub(super) async fn index_new_book_words(tx: &mut Tx, b: &Book) -> Result<()> {
    insert_words(tx, &[(b.id, search::book_words(&b.title, &b.authors, &b.subjects))]).await
}

/// [`index_new_book_words`] for several books, their words written together.
pub(super) async fn index_new_books_words(tx: &mut Tx, books: &[Book]) -> Result<()> {
    let words: Vec<_> = books.iter().map(|b| (b.id, search::book_words(&b.title, &b.authors, &b.subjects))).collect();
    insert_words(tx, &words).await
}

impl Store {
    /// The indexed words that begin with `prefix`, first in alphabetical order (MariaDB).
    async fn prefix_words(&self, prefix: &str) -> Result<Vec<String>> {
        // Terms are letters and digits only: nothing to escape in LIKE.
        let q = sql("SELECT word FROM search_words WHERE word LIKE ? ORDER BY word LIMIT ?")
            .bind(format!("{prefix}%"))
            .bind(PREFIX_WORDS);
        self.db.all(q).await?.iter().map(|r| Ok(r.decode::<(String,)>()?.0)).collect()
    }

    /// The word sets of a search (each term as a whole word, else the words it begins) and up to
    /// [`RANKED`] + 1 ids of books having a word of every set, in no particular order; no ids when
    /// a term matches no word.
    async fn matching(&self, terms: &[String]) -> Result<(Vec<Vec<String>>, Vec<i64>)> {
        let mut sets: Vec<Vec<String>> = terms.iter().map(|t| vec![t.clone()]).collect();
        let ids = self.word_matches(&sets, RANKED + 1, 0, false).await?;
        if !ids.is_empty() {
            return Ok((sets, ids));
        }
        sets.clear();
        for term in terms {
            let words = self.prefix_words(term).await?;
            if words.is_empty() {
                return Ok((sets, Vec::new()));
            }
            sets.push(words);
        }
        let ids = self.word_matches(&sets, RANKED + 1, 0, false).await?;
        Ok((sets, ids))
    }

    /// `ids` by relevance: the weights of the searched words in each book, highest first (then
    /// by id).
    async fn by_relevance(&self, ids: &[i64], sets: &[Vec<String>]) -> Result<Vec<i64>> {
        let words: Vec<&String> = sets.iter().flatten().collect();
        let mut q = sql(format!(
            "SELECT book_id AS id, CAST(SUM(weight) AS SIGNED) AS score FROM book_words WHERE book_id IN ({}) AND word IN ({}) \
             GROUP BY book_id",
            placeholders(ids.len()),
            placeholders(words.len())
        ));
        for id in ids {
            q = q.bind(*id);
        }
        for w in words {
            q = q.bind(w);
        }
        let mut scored = self
            .db
            .all(q)
            .await?
            .iter()
            .map(|r| {
                let s: Scored = r.decode()?;
                Ok((s.score, s.id))
            })
            .collect::<Result<Vec<_>>>()?;
        scored.sort_by(|a, b| b.0.cmp(&a.0).then(a.1.cmp(&b.1)));
        Ok(scored.into_iter().map(|(_, id)| id).collect())
    }

    /// Full-text search on MariaDB, over Pustaka's own word index (`book_words`).
    pub(super) async fn full_text_mariadb(&self, terms: &[String], page: PageRequest) -> Result<Page<Book>> {
        let (sets, ids) = self.matching(terms).await?;
        let hits = ids.len() as i64;
        let capped = hits > RANKED;
        if hits == 0 || page.offset() >= hits.min(RANKED) {
            return Ok(Page { total_capped: capped, ..page.wrap(Vec::new(), hits.min(RANKED)) });
        }
        let shown = if capped {
            self.word_matches(&sets, page.per_page, page.offset(), true).await?
        } else {
            // Relevance: the weights of the searched words in each matching book.
            let ranked = self.by_relevance(&ids, &sets).await?;
            ranked.into_iter().skip(page.offset() as usize).take(page.per_page as usize).collect()
        };
        let items = self.books_by_ids(&shown).await?;
        Ok(Page { total_capped: capped, ..page.wrap(items, hits.min(RANKED)) })
    }

    /// Up to [`RANKED`] + 1 ids of books matching every term (whole words, else prefixes), in
    /// the plain search's order: by relevance, or newest first when more than [`RANKED`] match.
    pub(super) async fn full_text_mariadb_ids(&self, terms: &[String]) -> Result<Vec<i64>> {
        let (sets, ids) = self.matching(terms).await?;
        if ids.is_empty() {
            return Ok(ids);
        }
        if ids.len() as i64 > RANKED {
            return self.word_matches(&sets, RANKED + 1, 0, true).await;
        }
        self.by_relevance(&ids, &sets).await
    }

    /// Books having a word of every set: at most `limit` ids after `offset`, in no particular
    /// order, or newest first.
    async fn word_matches(&self, sets: &[Vec<String>], limit: i64, offset: i64, newest: bool) -> Result<Vec<i64>> {
        // The rarest set leads (read along the primary key); each book it yields is probed for
        // the words of the other sets.
        let mut sets: Vec<&Vec<String>> = sets.iter().collect();
        if sets.len() > 1 {
            let mut counted = Vec::with_capacity(sets.len());
            for set in sets {
                let q = sql(format!(
                    "SELECT COUNT(*) AS n FROM (SELECT 1 FROM book_words WHERE word IN ({}) LIMIT ?) m",
                    placeholders(set.len())
                ));
                let q = set.iter().fold(q, |q, w| q.bind(w)).bind(RANKED + 1);
                counted.push((self.count(q).await?, set.len(), set));
            }
            counted.sort_by_key(|(n, len, _)| (*n, *len));
            sets = counted.into_iter().map(|(_, _, set)| set).collect();
        }
        let (lead, rest) = sets.split_first().expect("a search has a word");
        let mut probes = String::new();
        for set in rest {
            probes.push_str(&format!(
                " AND EXISTS (SELECT 1 FROM book_words p WHERE p.book_id = w.book_id AND p.word IN ({}))",
                placeholders(set.len())
            ));
        }
        let bind_rest = |mut q: Query| {
            for w in rest.iter().copied().flatten() {
                q = q.bind(w);
            }
            q
        };
        let q = if newest {
            // One branch per leading word, each read backwards along the primary key and
            // stopping at offset + limit: no sort of every match.
            let branch = format!(
                "(SELECT w.book_id AS id FROM book_words w WHERE w.word = ?{probes} ORDER BY w.book_id DESC LIMIT ?)"
            );
            let mut q = sql(format!(
                "SELECT DISTINCT id FROM ({}) u ORDER BY id DESC LIMIT ? OFFSET ?",
                vec![branch; lead.len()].join(" UNION ALL ")
            ));
            for w in lead.iter() {
                q = bind_rest(q.bind(w)).bind(offset + limit);
            }
            q
        } else {
            let distinct = if lead.len() > 1 { "DISTINCT " } else { "" };
            let q = sql(format!(
                "SELECT {distinct}w.book_id AS id FROM book_words w WHERE w.word IN ({}){probes} LIMIT ? OFFSET ?",
                placeholders(lead.len())
            ));
            bind_rest(lead.iter().fold(q, |q, w| q.bind(w)))
        };
        let rows = self.db.all(q.bind(limit).bind(offset)).await?;
        rows.iter().map(|r| Ok(r.decode::<(i64,)>()?.0)).collect()
    }

    /// Indexes the books that `pustaka reindex` or the migration left to index (MariaDB), a
    /// batch per transaction; replicas starting together take turns on the bookmark row.
    /// Returns how many books were indexed.
    pub(super) async fn index_pending_words_mariadb(&self) -> Result<u64> {
        let mut done = 0;
        loop {
            let batch = crate::transaction!(self.db, |tx| {
                async {
                    let Some(mark) = tx.opt(sql("SELECT after_book_id FROM search_reindex FOR UPDATE")).await? else {
                        return Ok(0);
                    };
                    let (after,): (i64,) = mark.decode()?;
                    // A shared lock, so a rename committed meanwhile is read, or waits for this batch.
                    let rows = tx
                        .all(
                            sql(format!(
                                "SELECT id, title, authors, subjects FROM books WHERE id > ? ORDER BY id LIMIT 500{}",
                                Dialect::MariaDb.share_lock()
                            ))
                            .bind(after),
                        )
                        .await?
                        .iter()
                        .map(Row::decode::<WordsRow>)
                        .collect::<std::result::Result<Vec<_>, _>>()?;
                    let Some(last) = rows.last().map(|w| w.id) else {
                        tx.exec(sql("DELETE FROM search_reindex")).await?;
                        return Ok(0);
                    };
                    let mut books = Vec::with_capacity(rows.len());
                    for w in &rows {
                        let (authors, subjects) =
                            (json_list(&w.authors, "authors")?, json_list(&w.subjects, "subjects")?);
                        books.push((w.id, search::book_words(&w.title, &authors, &subjects)));
                    }
                    insert_words(&mut tx, &books).await?;
                    tx.exec(sql("UPDATE search_reindex SET after_book_id = ?").bind(last)).await?;
                    Ok::<_, StoreError>(rows.len() as u64)
                }
                .await
            })?;
            if batch == 0 {
                return Ok(done);
            }
            done += batch;
        }
    }
}

/// Inserts books' words into `book_words` and `search_words`, a thousand rows per statement.
async fn insert_words(tx: &mut Tx, books: &[(i64, BTreeMap<String, i64>)]) -> Result<()> {
    let rows: Vec<(i64, &String, i64)> =
        books.iter().flat_map(|(id, words)| words.iter().map(move |(w, weight)| (*id, w, *weight))).collect();
    for chunk in rows.chunks(1000) {
        let mut q = sql("INSERT INTO book_words (word, book_id, weight) VALUES ");
        for (i, (id, word, weight)) in chunk.iter().enumerate() {
            q = q.push(if i == 0 { "(?, ?, ?)" } else { ", (?, ?, ?)" }).bind(word.as_str()).bind(*id).bind(*weight);
        }
        // Words equal under the column's collation ("Ärzte", "arzte") share one row.
        tx.exec(q.push(" ON DUPLICATE KEY UPDATE weight = VALUES(weight)")).await?;
    }
    // Only the words not yet listed, found by a plain (non-locking) read: an upsert of a word
    // already there would lock its row until commit, so every book with a common word would
    // wait for the one before it.
    let words: std::collections::BTreeSet<&String> = rows.iter().map(|(_, w, _)| *w).collect();
    let words: Vec<&String> = words.into_iter().collect();
    for chunk in words.chunks(1000) {
        let q = sql(format!("SELECT word FROM search_words WHERE word IN ({})", vec!["?"; chunk.len()].join(", ")));
        let known = tx.all(chunk.iter().fold(q, |q, w| q.bind(w.as_str()))).await?;
        let known =
            known.iter().map(|r| Ok(r.decode::<(String,)>()?.0)).collect::<Result<std::collections::HashSet<_>>>()?;
        // `known` holds the column's spelling; words equal under its collation ("Ärzte",
        // "arzte") are caught by INSERT IGNORE below.
        let new: Vec<&&String> = chunk.iter().filter(|w| !known.contains(w.as_str())).collect();
        if new.is_empty() {
            continue;
        }
        let q = sql(format!("INSERT IGNORE INTO search_words (word) VALUES {}", vec!["(?)"; new.len()].join(", ")));
        tx.exec(new.iter().fold(q, |q, w| q.bind(w.as_str()))).await?;
    }
    Ok(())
}
