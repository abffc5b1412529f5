//! Copy cataloguing: the other catalogues a new book is looked up in, what they answered, and
//! covers.
//!
//! The store keeps a source's answer for an ISBN as the server wrote it (its records as JSON:
//! the store does not read other catalogues' formats), so that the same ISBN is answered at once
//! and still when the source is down. Covers are kept as plain PNGs, hex-encoded like the logo:
//! one per ISBN (found in a source) and one per book (uploaded), the book's own first.

use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};
use utoipa::ToSchema;

use super::{
    db::sql,
    error::{Result, StoreError},
    print::Image,
    Actor, Store,
};
use crate::domain::{ShortText, ValidationError};

/// What protocol a source speaks.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, ToSchema)]
#[serde(rename_all = "lowercase")]
pub enum SourceKind {
    /// An SRU server (searchRetrieve; MARCXML or Dublin Core records).
    Sru,
    /// Another library's SLiMS OPAC (SLiMS's own P2P: its XML search results, MODS).
    Slims,
    /// Open Library's books API.
    Openlibrary,
}

impl SourceKind {
    /// As stored.
    pub fn as_str(self) -> &'static str {
        match self {
            Self::Sru => "sru",
            Self::Slims => "slims",
            Self::Openlibrary => "openlibrary",
        }
    }

    fn parse(s: &str) -> Option<Self> {
        match s {
            "sru" => Some(Self::Sru),
            "slims" => Some(Self::Slims),
            "openlibrary" => Some(Self::Openlibrary),
            _ => None,
        }
    }
}

/// A source as stored.
#[derive(sqlx::FromRow)]
struct SourceRow {
    id: i64,
    name: String,
    kind: String,
    url: String,
    enabled: bool,
    position: i32,
    timeout_ms: i32,
}

/// A catalogue a new book is looked up in.
#[derive(Debug, Clone, Serialize, ToSchema)]
pub struct CatalogueSource {
    pub id: i64,
    #[schema(example = "Perpusnas SRU")]
    pub name: String,
    pub kind: SourceKind,
    /// The base address: an SRU server's endpoint, a SLiMS OPAC's address, Open Library's.
    #[schema(example = "https://opac.example.sch.id/")]
    pub url: String,
    pub enabled: bool,
    /// Order in the page, lowest first.
    pub position: i32,
    /// How long a lookup waits for this source, in milliseconds.
    pub timeout_ms: i32,
}

impl TryFrom<SourceRow> for CatalogueSource {
    type Error = StoreError;
    fn try_from(r: SourceRow) -> Result<Self> {
        let kind = SourceKind::parse(&r.kind)
            .ok_or_else(|| StoreError::Internal(anyhow::anyhow!("catalogue source {} has kind {:?}", r.id, r.kind)))?;
        Ok(Self {
            id: r.id,
            name: r.name,
            kind,
            url: r.url,
            enabled: r.enabled,
            position: r.position,
            timeout_ms: r.timeout_ms,
        })
    }
}

/// A source to add or to change, already checked.
#[derive(Debug, Clone)]
pub struct SourceInput {
    pub name: ShortText,
    pub kind: SourceKind,
    pub url: SourceUrl,
    pub enabled: bool,
    pub position: i32,
    pub timeout_ms: i32,
}

/// A source's address: `http` or `https`, with a host, without a user or password, at most 500
/// characters; kept with a trailing `/` for SLiMS and Open Library (addresses are made under it).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SourceUrl(String);

impl SourceUrl {
    /// Checks an address.
    pub fn parse(input: &str, kind: SourceKind) -> Result<Self, ValidationError> {
        let bad = |m: &str| ValidationError::new("invalid_url", m);
        let v = input.trim();
        if v.is_empty() {
            return Err(ValidationError::required("url"));
        }
        if v.len() > 500 {
            return Err(bad("the address is longer than 500 characters"));
        }
        let url =
            url::Url::parse(v).map_err(|_| bad("not an address: write it whole, e.g. https://opac.example.sch.id/"))?;
        if !matches!(url.scheme(), "http" | "https") || url.host_str().is_none_or(str::is_empty) {
            return Err(bad("the address must start with http:// or https:// and name a host"));
        }
        if !url.username().is_empty() || url.password().is_some() {
            return Err(bad("the address may not carry a user name or password"));
        }
        if url.fragment().is_some() {
            return Err(bad("the address may not carry a #fragment"));
        }
        let mut s = url.to_string();
        if kind != SourceKind::Sru && url.query().is_none() && !s.ends_with('/') {
            s.push('/');
        }
        Ok(Self(s))
    }

    pub fn as_str(&self) -> &str {
        &self.0
    }
}

/// The longest a source waits, and the shortest, in milliseconds.
pub const TIMEOUT_MS: std::ops::RangeInclusive<i32> = 200..=20_000;

/// A source's answer kept for an ISBN.
#[derive(Debug, Clone)]
pub struct KeptAnswer {
    /// The records as the server wrote them (a JSON list).
    pub records: String,
    pub fetched_at: DateTime<Utc>,
}

const SOURCE_COLUMNS: &str = "id, name, kind, url, enabled, position, timeout_ms";

#[derive(sqlx::FromRow)]
struct StoredCover {
    content_type: String,
    image: String,
}

fn cover(row: StoredCover) -> Result<Image> {
    let bytes = hex::decode(row.image).map_err(|e| StoreError::Internal(anyhow::anyhow!("stored cover: {e}")))?;
    Ok(Image { content_type: row.content_type, bytes })
}

impl Store {
    /// Every source, in the page's order.
    pub async fn catalogue_sources(&self) -> Result<Vec<CatalogueSource>> {
        let rows =
            self.db.all(sql(format!("SELECT {SOURCE_COLUMNS} FROM catalogue_sources ORDER BY position, id"))).await?;
        rows.iter().map(|r| r.decode::<SourceRow>()?.try_into()).collect()
    }

    /// One source.
    pub async fn catalogue_source(&self, id: i64) -> Result<CatalogueSource> {
        let row = self
            .db
            .opt(sql(format!("SELECT {SOURCE_COLUMNS} FROM catalogue_sources WHERE id = ?")).bind(id))
            .await?
            .ok_or(StoreError::NotFound("catalogue source"))?;
        row.decode::<SourceRow>()?.try_into()
    }

    /// Adds a source.
    pub async fn add_catalogue_source(&self, actor: &Actor, s: &SourceInput) -> Result<CatalogueSource> {
        let id = crate::transaction!(self.db, |tx| async {
            let done = tx
                .exec(
                    sql("INSERT INTO catalogue_sources (name, kind, url, enabled, position, timeout_ms, created_at) \
                         VALUES (?, ?, ?, ?, ?, ?, ?)")
                    .bind(s.name.as_str())
                    .bind(s.kind.as_str())
                    .bind(s.url.as_str())
                    .bind(s.enabled)
                    .bind(s.position)
                    .bind(s.timeout_ms)
                    .bind(self.now()),
                )
                .await
                .map_err(|e| StoreError::duplicate(e, "name", "another source has this name"))?;
            let id = done.last_id;
            self.audit(
                &mut tx,
                actor,
                "catalogue_source.add",
                "catalogue_source",
                id,
                format!("{} {}", s.kind.as_str(), s.url.as_str()),
            )
            .await?;
            Ok(id)
        }
        .await)?;
        self.catalogue_source(id).await
    }

    /// Changes a source.
    pub async fn update_catalogue_source(&self, actor: &Actor, id: i64, s: &SourceInput) -> Result<CatalogueSource> {
        crate::transaction!(self.db, |tx| {
            async {
            let done = tx
                .exec(
                    sql("UPDATE catalogue_sources SET name = ?, kind = ?, url = ?, enabled = ?, position = ?, timeout_ms = ? \
                         WHERE id = ?")
                    .bind(s.name.as_str())
                    .bind(s.kind.as_str())
                    .bind(s.url.as_str())
                    .bind(s.enabled)
                    .bind(s.position)
                    .bind(s.timeout_ms)
                    .bind(id),
                )
                .await
                .map_err(|e| StoreError::duplicate(e, "name", "another source has this name"))?;
            if done.rows == 0
                && tx.opt(sql("SELECT id FROM catalogue_sources WHERE id = ?").bind(id)).await?.is_none()
            {
                return Err(StoreError::NotFound("catalogue source"));
            }
            // Another address or protocol: what the old one answered is not this source's.
            tx.exec(
                sql("DELETE FROM copycat_answers WHERE source_id = ? AND NOT EXISTS \
                     (SELECT 1 FROM catalogue_sources s WHERE s.id = ? AND s.url = ? AND s.kind = ?)")
                .bind(id)
                .bind(id)
                .bind(s.url.as_str())
                .bind(s.kind.as_str()),
            )
            .await?;
            self.audit(&mut tx, actor, "catalogue_source.update", "catalogue_source", id, format!("{} {}", s.kind.as_str(), s.url.as_str()))
                .await
        }
        .await
        })?;
        self.catalogue_source(id).await
    }

    /// Removes a source and what it answered.
    pub async fn delete_catalogue_source(&self, actor: &Actor, id: i64) -> Result<()> {
        crate::transaction!(self.db, |tx| async {
            let row = tx.opt(sql("SELECT name, kind, url FROM catalogue_sources WHERE id = ?").bind(id)).await?;
            let (name, kind, url): (String, String, String) =
                row.ok_or(StoreError::NotFound("catalogue source"))?.decode()?;
            tx.exec(sql("DELETE FROM copycat_answers WHERE source_id = ?").bind(id)).await?;
            tx.exec(sql("DELETE FROM catalogue_sources WHERE id = ?").bind(id)).await?;
            self.audit(
                &mut tx,
                actor,
                "catalogue_source.delete",
                "catalogue_source",
                id,
                format!("{name} ({kind} {url})"),
            )
            .await
        }
        .await)
    }

    /// What a source answered for an ISBN-13, when it was asked before.
    pub async fn kept_answer(&self, source_id: i64, isbn: &str) -> Result<Option<KeptAnswer>> {
        let row = self
            .db
            .opt(
                sql("SELECT records, fetched_at FROM copycat_answers WHERE source_id = ? AND isbn = ?")
                    .bind(source_id)
                    .bind(isbn),
            )
            .await?;
        Ok(match row {
            Some(r) => {
                let (records, fetched_at) = r.decode::<(String, DateTime<Utc>)>()?;
                Some(KeptAnswer { records, fetched_at })
            }
            None => None,
        })
    }

    /// Keeps (or replaces) what a source answered for an ISBN-13. Two replicas keeping the same
    /// answer at once: one of them wins, the other's is the same.
    pub async fn keep_answer(&self, source_id: i64, isbn: &str, records: &str) -> Result<()> {
        let now = self.now();
        let outcome = crate::transaction!(self.db, |tx| async {
            tx.exec(sql("DELETE FROM copycat_answers WHERE source_id = ? AND isbn = ?").bind(source_id).bind(isbn))
                .await?;
            tx.exec(
                sql("INSERT INTO copycat_answers (source_id, isbn, records, fetched_at) VALUES (?, ?, ?, ?)")
                    .bind(source_id)
                    .bind(isbn)
                    .bind(records)
                    .bind(now),
            )
            .await?;
            Ok(())
        }
        .await);
        match outcome {
            Err(StoreError::Duplicate { .. }) => Ok(()),
            // The source was removed meanwhile: nothing to keep.
            Err(StoreError::Db(e)) if e.kind() == crate::error::DbErrorKind::ForeignKeyViolation => Ok(()),
            other => other,
        }
    }

    /// The cover found for an ISBN-13.
    pub async fn isbn_cover(&self, isbn: &str) -> Result<Option<Image>> {
        let row = self.db.opt(sql("SELECT content_type, image FROM isbn_covers WHERE isbn = ?").bind(isbn)).await?;
        row.map(|r| cover(r.decode()?)).transpose()
    }

    /// Whether a cover is kept for an ISBN-13.
    pub async fn has_isbn_cover(&self, isbn: &str) -> Result<bool> {
        Ok(self.db.opt(sql("SELECT isbn FROM isbn_covers WHERE isbn = ?").bind(isbn)).await?.is_some())
    }

    /// Keeps a cover found for an ISBN-13 (a plain PNG, already checked), unless one is kept.
    pub async fn keep_isbn_cover(&self, isbn: &str, png: &[u8], source_url: &str) -> Result<()> {
        let outcome = crate::transaction!(self.db, |tx| {
            async {
            tx.exec(
                sql("INSERT INTO isbn_covers (isbn, content_type, image, source_url, fetched_at) VALUES (?, 'image/png', ?, ?, ?)")
                    .bind(isbn)
                    .bind(hex::encode(png))
                    .bind(source_url.chars().take(1000).collect::<String>())
                    .bind(self.now()),
            )
            .await?;
            Ok(())
        }
        .await
        });
        match outcome {
            Err(StoreError::Duplicate { .. }) => Ok(()),
            other => other,
        }
    }

    /// A book's cover: its own, else the one found for its ISBN.
    pub async fn book_cover(&self, book_id: i64) -> Result<Option<Image>> {
        let own =
            self.db.opt(sql("SELECT content_type, image FROM book_covers WHERE book_id = ?").bind(book_id)).await?;
        if let Some(r) = own {
            return Ok(Some(cover(r.decode()?)?));
        }
        let isbn = self
            .db
            .opt(sql("SELECT isbn FROM books WHERE id = ?").bind(book_id))
            .await?
            .ok_or(StoreError::NotFound("book"))?
            .decode::<(Option<String>,)>()?
            .0;
        match isbn {
            Some(isbn) => self.isbn_cover(&isbn).await,
            None => Ok(None),
        }
    }

    /// Replaces (or with `None` removes) a book's own cover, a plain PNG already checked.
    pub async fn set_book_cover(&self, actor: &Actor, book_id: i64, png: Option<&[u8]>) -> Result<()> {
        crate::transaction!(self.db, |tx| {
            async {
            if tx.opt(sql("SELECT id FROM books WHERE id = ?").bind(book_id)).await?.is_none() {
                return Err(StoreError::NotFound("book"));
            }
            tx.exec(sql("DELETE FROM book_covers WHERE book_id = ?").bind(book_id)).await?;
            if let Some(png) = png {
                tx.exec(
                    sql("INSERT INTO book_covers (book_id, content_type, image, updated_at) VALUES (?, 'image/png', ?, ?)")
                        .bind(book_id)
                        .bind(hex::encode(png))
                        .bind(self.now()),
                )
                .await?;
            }
            let detail = png.map_or_else(|| "removed".to_owned(), |p| format!("{} bytes", p.len()));
            self.audit(&mut tx, actor, "book.cover", "book", book_id, detail).await
        }
        .await
        })
    }
}
