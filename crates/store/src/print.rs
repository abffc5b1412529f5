//! What printing needs from the records: the library's identity (one name for the notices, the
//! page header and everything printed), the pattern of automatic barcodes and its counter, and the
//! copies, members, loans and payments to print.

use chrono::{DateTime, NaiveDate, Utc};
use serde::Serialize;
use utoipa::ToSchema;

use super::{
    db::{sql, Row, Tx},
    error::{Result, StoreError},
    Actor, Store,
};
use crate::domain::{callnumber::BarcodePattern, Barcode, ValidationError};

/// The library as it names itself on the page and on paper.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, ToSchema, sqlx::FromRow)]
pub struct LibraryIdentity {
    #[schema(example = "Perpustakaan SMA Negeri 1 Yogyakarta")]
    pub name: String,
    /// Street, town; may span lines.
    #[schema(example = "Jl. HOS Cokroaminoto 10, Yogyakarta")]
    pub address: String,
    /// The logo's type, when there is one: `image/png` (a PNG or JPEG uploaded, stored as a PNG of
    /// its pixels) or `image/svg+xml`.
    pub logo_type: Option<String>,
    pub updated_at: DateTime<Utc>,
}

/// An import run that added copies.
#[derive(Debug, Clone, Serialize, ToSchema, sqlx::FromRow)]
pub struct ImportRun {
    /// What `POST /print/labels` takes as `import_id`.
    pub id: i64,
    /// Who ran it.
    pub actor: String,
    pub started_at: DateTime<Utc>,
    /// Copies it added (still in the catalogue).
    pub copies: i64,
}

/// An uploaded image: its type and bytes.
#[derive(Debug, Clone)]
pub struct Image {
    pub content_type: String,
    pub bytes: Vec<u8>,
}

/// The pattern of automatic barcodes and the number the next one gets.
#[derive(Debug, Clone, Serialize, ToSchema)]
pub struct BarcodeSettings {
    /// Letters before the number, e.g. `B`.
    #[schema(example = "B")]
    pub prefix: String,
    /// The number's width, zero-padded.
    #[schema(example = 6)]
    pub digits: i64,
    /// The number the next automatic barcode gets (a number already taken is skipped).
    pub next_number: i64,
    /// What the next barcode looks like.
    #[schema(example = "B000001")]
    pub example: String,
}

/// A copy as its labels show it.
#[derive(Debug, Clone, sqlx::FromRow)]
pub struct LabelCopy {
    pub barcode: String,
    pub title: String,
    pub call_number: Option<String>,
    pub location: Option<String>,
}

/// A member as their card shows them.
#[derive(Debug, Clone, sqlx::FromRow)]
pub struct CardMember {
    pub id: i64,
    pub card_number: String,
    pub name: String,
    pub category_name: String,
    pub expires_on: Option<NaiveDate>,
}

const BARCODE_PATTERN: &str = "SELECT prefix, digits, next_number FROM barcode_pattern WHERE id = 1";

/// The `barcode_pattern` row ([`BARCODE_PATTERN`]).
#[derive(sqlx::FromRow)]
struct BarcodePatternRow {
    prefix: String,
    digits: i64,
    next_number: i64,
}

impl BarcodePatternRow {
    /// The pattern, its width within 1 to 12 digits.
    fn pattern(&self) -> BarcodePattern {
        BarcodePattern { prefix: self.prefix.clone(), digits: self.digits.clamp(1, 12) as u32 }
    }
}

/// An image as stored: its type and its bytes in hex (the library's logo, a member's photo).
#[derive(sqlx::FromRow)]
struct StoredImage {
    content_type: Option<String>,
    hex_bytes: Option<String>,
}

fn hex_image(stored: StoredImage) -> Result<Option<Image>> {
    match (stored.content_type, stored.hex_bytes) {
        (Some(content_type), Some(h)) => {
            let bytes = hex::decode(h).map_err(|e| StoreError::Internal(anyhow::anyhow!("stored image: {e}")))?;
            Ok(Some(Image { content_type, bytes }))
        }
        _ => Ok(None),
    }
}

impl Store {
    /// The library's identity.
    pub async fn library(&self) -> Result<LibraryIdentity> {
        let row = self
            .db
            .opt(sql("SELECT name, address, logo_type, updated_at FROM library_identity WHERE id = 1"))
            .await?
            .ok_or_else(|| StoreError::Internal(anyhow::anyhow!("library_identity has no row")))?;
        Ok(row.decode()?)
    }

    /// The library's name (what the notices sign with).
    pub(super) async fn library_name_in(&self, tx: &mut Tx) -> Result<String> {
        let row = tx.opt(sql("SELECT name FROM library_identity WHERE id = 1")).await?;
        Ok(row.map(|r| r.decode::<(String,)>()).transpose()?.map(|(name,)| name).unwrap_or_default())
    }

    /// Sets the name in the caller's transaction (the notice settings carry it too).
    pub(super) async fn set_library_name_in(&self, tx: &mut Tx, name: &str) -> Result<()> {
        tx.exec(sql("UPDATE library_identity SET name = ?, updated_at = ? WHERE id = 1").bind(name).bind(self.now()))
            .await?;
        Ok(())
    }

    /// Sets the name and address.
    pub async fn set_library(&self, actor: &Actor, name: &str, address: &str) -> Result<LibraryIdentity> {
        crate::transaction!(self.db, |tx| async {
            tx.exec(
                sql("UPDATE library_identity SET name = ?, address = ?, updated_at = ? WHERE id = 1")
                    .bind(name)
                    .bind(address)
                    .bind(self.now()),
            )
            .await?;
            self.audit(&mut tx, actor, "library.update", "library", 1, name).await
        }
        .await)?;
        self.library().await
    }

    /// The logo, when there is one.
    pub async fn library_logo(&self) -> Result<Option<Image>> {
        let row = self
            .db
            .opt(sql("SELECT logo_type AS content_type, logo AS hex_bytes FROM library_identity WHERE id = 1"))
            .await?;
        match row {
            Some(r) => hex_image(r.decode()?),
            None => Ok(None),
        }
    }

    /// Replaces (or with `None` removes) the logo, already checked.
    pub async fn set_library_logo(&self, actor: &Actor, logo: Option<&Image>) -> Result<LibraryIdentity> {
        crate::transaction!(self.db, |tx| async {
            tx.exec(
                sql("UPDATE library_identity SET logo_type = ?, logo = ?, updated_at = ? WHERE id = 1")
                    .bind(logo.map(|l| l.content_type.clone()))
                    .bind(logo.map(|l| hex::encode(&l.bytes)))
                    .bind(self.now()),
            )
            .await?;
            let detail = logo.map_or_else(|| "removed".to_owned(), |l| format!("{} bytes", l.bytes.len()));
            self.audit(&mut tx, actor, "library.logo", "library", 1, detail).await
        }
        .await)?;
        self.library().await
    }

    /// The pattern of automatic barcodes.
    pub async fn barcode_settings(&self) -> Result<BarcodeSettings> {
        let row: BarcodePatternRow = self
            .db
            .opt(sql(BARCODE_PATTERN))
            .await?
            .ok_or_else(|| StoreError::Internal(anyhow::anyhow!("barcode_pattern has no row")))?
            .decode()?;
        let example = row.pattern().barcode(row.next_number);
        Ok(BarcodeSettings { prefix: row.prefix, digits: row.digits, next_number: row.next_number, example })
    }

    /// Sets the pattern, and the next number when given.
    pub async fn set_barcode_settings(
        &self,
        actor: &Actor,
        pattern: &BarcodePattern,
        next_number: Option<i64>,
    ) -> Result<BarcodeSettings> {
        crate::transaction!(self.db, |tx| async {
            let mut q = sql("UPDATE barcode_pattern SET prefix = ?, digits = ?")
                .bind(pattern.prefix.as_str())
                .bind(i64::from(pattern.digits));
            if let Some(n) = next_number {
                q = q.push(", next_number = ?").bind(n);
            }
            tx.exec(q.push(" WHERE id = 1")).await?;
            self.audit(&mut tx, actor, "barcode.pattern", "barcode_pattern", 1, pattern.barcode(0)).await
        }
        .await)?;
        self.barcode_settings().await
    }

    /// The next automatic barcode, in the caller's transaction: the counter row is updated first,
    /// which locks it until the transaction ends, so two transactions (of any replicas) never get
    /// the same number; a number whose barcode a copy already has (typed by hand) is skipped.
    pub(super) async fn next_barcode(&self, tx: &mut Tx) -> Result<Barcode> {
        let nocase = tx.dialect().nocase();
        for _ in 0..1000 {
            tx.exec(sql("UPDATE barcode_pattern SET next_number = next_number + 1 WHERE id = 1")).await?;
            let row: BarcodePatternRow = tx
                .opt(sql(BARCODE_PATTERN))
                .await?
                .ok_or_else(|| StoreError::Internal(anyhow::anyhow!("barcode_pattern has no row")))?
                .decode()?;
            // The number taken is the one before the counter's new value.
            let text = row.pattern().barcode(row.next_number - 1);
            let barcode = Barcode::parse(&text).map_err(|e| StoreError::invalid("barcode", e))?;
            let taken =
                tx.opt(sql(format!("SELECT id FROM copies WHERE barcode = ?{nocase}")).bind(barcode.as_str())).await?;
            if taken.is_none() {
                return Ok(barcode);
            }
        }
        Err(StoreError::invalid(
            "barcode",
            ValidationError::new(
                "barcodes_exhausted",
                "the next 1000 automatic barcodes are all taken: change the pattern",
            ),
        ))
    }

    /// The copies to label, in the order asked; `NotFound`-like `Invalid` naming the first unknown
    /// barcode (its index in the list).
    pub async fn label_copies(&self, barcodes: &[Barcode]) -> Result<std::result::Result<Vec<LabelCopy>, usize>> {
        let nocase = self.db.dialect().nocase();
        let mut out = Vec::with_capacity(barcodes.len());
        for chunk in barcodes.chunks(200) {
            let marks = vec!["?"; chunk.len()].join(", ");
            let mut q = sql(format!(
                "SELECT c.barcode, b.title, b.call_number, c.location FROM copies c JOIN books b ON b.id = c.book_id \
                 WHERE c.barcode{nocase} IN ({marks})"
            ));
            for b in chunk {
                q = q.bind(b.as_str());
            }
            let rows = self.db.all(q).await?;
            let found: Vec<LabelCopy> = rows.iter().map(|r| r.decode()).collect::<Result<_, _>>()?;
            for b in chunk {
                match found.iter().find(|c| c.barcode.eq_ignore_ascii_case(b.as_str())) {
                    Some(c) => out.push(c.clone()),
                    None => return Ok(Err(barcodes.iter().position(|x| x == b).unwrap_or(0))),
                }
            }
        }
        Ok(Ok(out))
    }

    /// The barcodes of the copies added on `day` (the library's day), oldest first.
    pub async fn barcodes_added_on(&self, day: NaiveDate) -> Result<Vec<String>> {
        let after = crate::domain::time::end_of_day(day.pred_opt().unwrap_or(day), self.tz());
        let until = crate::domain::time::end_of_day(day, self.tz());
        let rows = self
            .db
            .all(
                sql("SELECT barcode FROM copies WHERE created_at > ? AND created_at <= ? ORDER BY id")
                    .bind(after)
                    .bind(until),
            )
            .await?;
        rows.iter().map(|r| Ok(r.decode::<(String,)>()?.0)).collect()
    }

    /// The barcodes of the copies import run `id` added, oldest first; `None` when there was no
    /// such run.
    pub async fn barcodes_of_import(&self, id: i64) -> Result<Option<Vec<String>>> {
        if self.db.opt(sql("SELECT id FROM imports WHERE id = ? AND dry_run = 0").bind(id)).await?.is_none() {
            return Ok(None);
        }
        let rows = self.db.all(sql("SELECT barcode FROM copies WHERE import_id = ? ORDER BY id").bind(id)).await?;
        Ok(Some(rows.iter().map(|r| r.decode::<(String,)>().map(|(b,)| b)).collect::<std::result::Result<_, _>>()?))
    }

    /// The latest import runs that added copies (at most `limit`), newest first.
    pub async fn imports_with_copies(&self, limit: i64) -> Result<Vec<ImportRun>> {
        let rows = self
            .db
            .all(
                sql("SELECT i.id, i.actor, i.started_at, COUNT(c.id) AS copies FROM imports i \
                     JOIN copies c ON c.import_id = i.id GROUP BY i.id, i.actor, i.started_at ORDER BY i.id DESC LIMIT ?")
                .bind(limit),
            )
            .await?;
        Ok(rows.iter().map(Row::decode::<ImportRun>).collect::<std::result::Result<_, _>>()?)
    }

    /// The members whose cards to print, in the order asked; `Err(index)` for the first unknown card.
    pub async fn card_members(&self, cards: &[String]) -> Result<std::result::Result<Vec<CardMember>, usize>> {
        let mut out = Vec::with_capacity(cards.len());
        for (i, card) in cards.iter().enumerate() {
            let row = self
                .db
                .opt(
                    sql("SELECT m.id, m.card_number, m.name, c.name AS category_name, m.expires_on \
                         FROM members m JOIN categories c ON c.code = m.category WHERE m.card_number = ?")
                    .bind(card.as_str()),
                )
                .await?;
            match row {
                Some(r) => out.push(r.decode()?),
                None => return Ok(Err(i)),
            }
        }
        Ok(Ok(out))
    }

    /// A member's photo, when they have one.
    pub async fn member_photo(&self, member_id: i64) -> Result<Option<Image>> {
        let row = self
            .db
            .opt(sql("SELECT content_type, photo AS hex_bytes FROM member_photos WHERE member_id = ?").bind(member_id))
            .await?;
        match row {
            Some(r) => hex_image(r.decode()?),
            None => Ok(None),
        }
    }

    /// Replaces (or with `None` removes) a member's photo, already checked.
    pub async fn set_member_photo(&self, actor: &Actor, member_id: i64, photo: Option<&Image>) -> Result<()> {
        crate::transaction!(self.db, |tx| async {
            if tx.opt(sql("SELECT id FROM members WHERE id = ?").bind(member_id)).await?.is_none() {
                return Err(StoreError::NotFound("member"));
            }
            tx.exec(sql("DELETE FROM member_photos WHERE member_id = ?").bind(member_id)).await?;
            if let Some(p) = photo {
                tx.exec(
                    sql("INSERT INTO member_photos (member_id, content_type, photo, updated_at) VALUES (?, ?, ?, ?)")
                        .bind(member_id)
                        .bind(p.content_type.as_str())
                        .bind(hex::encode(&p.bytes))
                        .bind(self.now()),
                )
                .await?;
            }
            let detail = photo.map_or_else(|| "removed".to_owned(), |p| format!("{} bytes", p.bytes.len()));
            self.audit(&mut tx, actor, "member.photo", "member", member_id, detail).await
        }
        .await)
    }
}
