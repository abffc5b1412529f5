//! The public catalogue's search with facets, filters and sorts, and its front page's lists.
//!
//! Bounded like the plain search: the matches of a search are its first [`RANKED`] (ranked by
//! relevance, or newest first for a search that matches more), and without a search the newest
//! [`RANKED`] books. Filters, facets and sorts work on those candidates only: one read of their
//! few facet columns (`books` by primary key, each with one probe of `copies_book_status` for
//! "available now"), then counted and sorted here, so the same code runs on both backends and
//! no request reads more than [`RANKED`] books whatever the catalogue's size. When the
//! candidates were cut, `total_capped` says so, as the plain search does.

use std::collections::BTreeMap;

use chrono::{DateTime, Duration, Utc};
use serde::Serialize;
use utoipa::ToSchema;

use super::{placeholders, search_terms, RANKED};
use crate::{
    db::{sql, Dialect},
    domain::{isbn::looks_like_isbn, Isbn},
    error::Result,
    model::{Book, Page},
    PageRequest, Store,
};

/// How the catalogue's results are ordered.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, serde::Deserialize, ToSchema)]
#[serde(rename_all = "snake_case")]
pub enum OpacSort {
    /// The best matches first (without a search: the newest).
    #[default]
    Relevance,
    /// Newest in the catalogue first.
    Newest,
    /// By title, A to Z.
    Title,
    /// By year of publication, latest first (books without a year last).
    Year,
}

/// What a catalogue search is narrowed to; `None` is no filter.
#[derive(Debug, Clone, Default)]
pub struct OpacFilters {
    /// A collection type's code.
    pub collection_type: Option<String>,
    /// A DDC main class, its hundreds: `0` to `9` (`8` is 800–899).
    pub ddc: Option<u8>,
    pub year: Option<i64>,
    pub language: Option<String>,
    /// Only books with a copy on the shelf now.
    pub available: bool,
}

/// One value of a facet and how many of the results have it.
#[derive(Debug, Clone, Serialize, ToSchema, PartialEq, Eq)]
pub struct FacetValue {
    /// The value as a filter takes it (a code, a DDC hundreds digit, a year).
    #[schema(example = "fiksi")]
    pub value: String,
    /// The value's name, for a collection type (e.g. `Fiksi`).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub label: Option<String>,
    pub count: i64,
}

/// The counts of the results by each facet. Each facet is counted over the results narrowed by
/// the other filters (not its own), so every value shown leads somewhere.
#[derive(Debug, Clone, Default, Serialize, ToSchema)]
pub struct Facets {
    pub collection_type: Vec<FacetValue>,
    /// DDC main classes: `0` (000–099) to `9` (900–999).
    pub ddc: Vec<FacetValue>,
    /// The 15 latest years among the results.
    pub year: Vec<FacetValue>,
    pub language: Vec<FacetValue>,
    /// Results with a copy on the shelf now.
    pub available: i64,
}

/// A page of the catalogue's results with its facets.
#[derive(Debug, Serialize, ToSchema)]
pub struct OpacPage {
    #[serde(flatten)]
    pub page: Page<Book>,
    pub facets: Facets,
}

/// A book lent often lately.
#[derive(Debug, Serialize, ToSchema)]
pub struct PopularBook {
    pub book: Book,
    /// Loans of it in the period.
    pub loans: i64,
}

/// The facet columns of a candidate.
#[derive(sqlx::FromRow)]
struct Candidate {
    id: i64,
    title: String,
    year: Option<i64>,
    language: Option<String>,
    collection_type: Option<String>,
    classification: Option<String>,
    created_at: DateTime<Utc>,
    available: i64,
}

impl Candidate {
    fn ddc(&self) -> Option<u8> {
        let c = self.classification.as_deref()?.chars().next()?;
        c.to_digit(10).map(|d| d as u8)
    }
}

/// Which filter to leave out when counting a facet.
#[derive(Clone, Copy, PartialEq, Eq)]
enum Skip {
    None,
    Type,
    Ddc,
    Year,
    Language,
    Available,
}

impl OpacFilters {
    fn keeps(&self, c: &Candidate, skip: Skip) -> bool {
        (skip == Skip::Type || self.collection_type.is_none() || c.collection_type == self.collection_type)
            && (skip == Skip::Ddc || self.ddc.is_none() || c.ddc() == self.ddc)
            && (skip == Skip::Year || self.year.is_none() || c.year == self.year)
            && (skip == Skip::Language || self.language.is_none() || c.language == self.language)
            && (skip == Skip::Available || !self.available || c.available > 0)
    }
}

fn facet<K: Ord + ToString>(counts: BTreeMap<K, i64>) -> Vec<FacetValue> {
    let mut v: Vec<FacetValue> =
        counts.into_iter().map(|(k, n)| FacetValue { value: k.to_string(), label: None, count: n }).collect();
    v.sort_by(|a, b| b.count.cmp(&a.count).then(a.value.cmp(&b.value)));
    v
}

impl Store {
    /// The catalogue's search with filters, a sort and facets (see the module's notes).
    pub async fn opac_search(
        &self,
        q: Option<&str>,
        filters: &OpacFilters,
        sort: OpacSort,
        page: PageRequest,
    ) -> Result<OpacPage> {
        let (ids, capped) = self.candidate_ids(q.map(str::trim).filter(|q| !q.is_empty())).await?;
        let mut candidates = Vec::with_capacity(ids.len());
        for chunk in ids.chunks(500) {
            let q = sql(format!(
                "SELECT b.id, b.title, b.year, b.language, b.collection_type, b.classification, b.created_at, \
                 (SELECT COUNT(*) FROM copies c WHERE c.book_id = b.id AND c.status = 'available') AS available \
                 FROM books b WHERE b.id IN ({})",
                placeholders(chunk.len())
            ));
            let rows = self.db.all(chunk.iter().fold(q, |q, id| q.bind(*id))).await?;
            for r in &rows {
                candidates.push(r.decode::<Candidate>()?);
            }
        }
        // Back in the candidates' order (relevance).
        let rank: std::collections::HashMap<i64, usize> = ids.iter().enumerate().map(|(i, id)| (*id, i)).collect();
        candidates.sort_by_key(|c| rank.get(&c.id).copied().unwrap_or(usize::MAX));

        let mut facets = Facets::default();
        let (mut types, mut ddc, mut years, mut langs) =
            (BTreeMap::new(), BTreeMap::new(), BTreeMap::new(), BTreeMap::new());
        for c in &candidates {
            if let (Some(t), true) = (&c.collection_type, filters.keeps(c, Skip::Type)) {
                *types.entry(t.clone()).or_insert(0) += 1;
            }
            if let (Some(d), true) = (c.ddc(), filters.keeps(c, Skip::Ddc)) {
                *ddc.entry(d).or_insert(0) += 1;
            }
            if let (Some(y), true) = (c.year, filters.keeps(c, Skip::Year)) {
                *years.entry(y).or_insert(0) += 1;
            }
            if let (Some(l), true) = (&c.language, filters.keeps(c, Skip::Language)) {
                *langs.entry(l.clone()).or_insert(0) += 1;
            }
            if c.available > 0 && filters.keeps(c, Skip::Available) {
                facets.available += 1;
            }
        }
        facets.collection_type = facet(types);
        if !facets.collection_type.is_empty() {
            let names = self.db.all(sql("SELECT code, name FROM collection_types")).await?;
            let names: std::collections::HashMap<String, String> =
                names.iter().map(|r| r.decode::<(String, String)>()).collect::<std::result::Result<_, _>>()?;
            for v in &mut facets.collection_type {
                v.label = names.get(&v.value).cloned();
            }
        }
        facets.ddc = facet(ddc);
        facets.ddc.sort_by(|a, b| a.value.cmp(&b.value));
        facets.year = facet(years);
        facets.year.sort_by(|a, b| b.value.cmp(&a.value));
        facets.year.truncate(15);
        facets.language = facet(langs);

        let mut shown: Vec<&Candidate> = candidates.iter().filter(|c| filters.keeps(c, Skip::None)).collect();
        match sort {
            OpacSort::Relevance => {}
            OpacSort::Newest => shown.sort_by(|a, b| b.created_at.cmp(&a.created_at).then(b.id.cmp(&a.id))),
            OpacSort::Title => shown.sort_by_cached_key(|c| (c.title.to_lowercase(), c.id)),
            OpacSort::Year => shown.sort_by(|a, b| match (a.year, b.year) {
                (Some(x), Some(y)) => y.cmp(&x).then(a.id.cmp(&b.id)),
                (Some(_), None) => std::cmp::Ordering::Less,
                (None, Some(_)) => std::cmp::Ordering::Greater,
                (None, None) => a.id.cmp(&b.id),
            }),
        }
        let total = shown.len() as i64;
        let page_ids: Vec<i64> =
            shown.iter().skip(page.offset().max(0) as usize).take(page.per_page as usize).map(|c| c.id).collect();
        let items = self.books_by_ids(&page_ids).await?;
        Ok(OpacPage { page: Page { total_capped: capped, ..page.wrap(items, total) }, facets })
    }

    /// The ids a search matches, best first, at most [`RANKED`]; true when more match.
    async fn candidate_ids(&self, q: Option<&str>) -> Result<(Vec<i64>, bool)> {
        let ids = |rows: Vec<crate::db::Row>| -> Result<Vec<i64>> {
            rows.iter().map(|r| Ok(r.decode::<(i64,)>()?.0)).collect()
        };
        let mut found = match q {
            None => ids(self
                .db
                .all(sql("SELECT id FROM books ORDER BY created_at DESC, id DESC LIMIT ?").bind(RANKED + 1))
                .await?)?,
            Some(q) if looks_like_isbn(q) && Isbn::parse(q).is_ok() => {
                let isbn = Isbn::parse(q).map(|i| i.as_str().to_owned()).unwrap_or_default();
                ids(self.db.all(sql("SELECT id FROM books WHERE isbn = ?").bind(isbn)).await?)?
            }
            Some(q) => {
                let terms = search_terms(q);
                if terms.is_empty() {
                    return Ok((Vec::new(), false));
                }
                match self.db.dialect() {
                    Dialect::Sqlite => self.matching_ids_sqlite(&terms).await?,
                    Dialect::MariaDb => self.matching_ids_mariadb(&terms).await?,
                }
            }
        };
        let capped = found.len() as i64 > RANKED;
        found.truncate(RANKED as usize);
        Ok((found, capped))
    }

    /// Up to [`RANKED`] + 1 ids matching every term (whole words, else prefixes), best first
    /// (SQLite's FTS5 rank; newest first when more than [`RANKED`] match).
    async fn matching_ids_sqlite(&self, terms: &[String]) -> Result<Vec<i64>> {
        let whole = terms.iter().map(|w| format!("\"{w}\"")).collect::<Vec<_>>().join(" ");
        for prefix in [false, true] {
            let expr = if prefix { self.prefix_expression(terms).await? } else { whole.clone() };
            let newest = sql("SELECT rowid AS id FROM books_fts WHERE books_fts MATCH ? ORDER BY rowid DESC LIMIT ?")
                .bind(&expr)
                .bind(RANKED + 1);
            let rows = self.db.all(newest).await?;
            if rows.is_empty() {
                continue;
            }
            if rows.len() as i64 > RANKED {
                return rows.iter().map(|r| Ok(r.decode::<(i64,)>()?.0)).collect();
            }
            let ranked =
                sql("SELECT rowid AS id FROM books_fts WHERE books_fts MATCH ? ORDER BY rank, rowid").bind(&expr);
            return self.db.all(ranked).await?.iter().map(|r| Ok(r.decode::<(i64,)>()?.0)).collect();
        }
        Ok(Vec::new())
    }
}

impl Store {
    /// Up to [`RANKED`] + 1 ids matching every term on MariaDB's word index, best first.
    async fn matching_ids_mariadb(&self, terms: &[String]) -> Result<Vec<i64>> {
        self.full_text_mariadb_ids(terms).await
    }

    /// The books lent most in the last `days` days, most first (at most `limit`), for the
    /// catalogue's front page. Loans of members who asked to be left out are not counted. Loans of members who asked to be left out are not counted.
    pub async fn most_borrowed(&self, days: i64, limit: i64) -> Result<Vec<PopularBook>> {
        let since = self.now() - Duration::days(days);
        // Members who asked to be left out (`in_popular` off) are not counted.
        let q = sql("SELECT l.book_id AS id, COUNT(*) AS n FROM loans l JOIN members m ON m.id = l.member_id \
             WHERE l.loaned_at >= ? AND l.book_id IS NOT NULL AND m.in_popular <> 0 \
             GROUP BY l.book_id ORDER BY n DESC, l.book_id LIMIT ?")
        .bind(since)
        .bind(limit);
        let counted: Vec<(i64, i64)> =
            self.db.all(q).await?.iter().map(|r| r.decode::<(i64, i64)>()).collect::<std::result::Result<_, _>>()?;
        let ids: Vec<i64> = counted.iter().map(|(id, _)| *id).collect();
        let books = self.books_by_ids(&ids).await?;
        Ok(books
            .into_iter()
            .map(|book| {
                let loans = counted.iter().find(|(id, _)| *id == book.id).map_or(0, |(_, n)| *n);
                PopularBook { book, loans }
            })
            .collect())
    }
}
