//! Stock takes (inventarisasi / stock opname): the copies expected on the shelves are listed when
//! a stock take starts, librarians scan the shelves (many at once, over several days), and the
//! report says what was seen, what was not, what was seen although lent, which barcodes are
//! unknown and what stands in the wrong place.
//!
//! Each copy counts once: the first scan sets `seen_at` with a conditional update (`... AND
//! seen_at IS NULL`), so of two librarians scanning the same copy at the same moment exactly one
//! records it; the other is told it was seen already.

use chrono::{DateTime, Utc};
use serde::Serialize;
use utoipa::ToSchema;

use super::{
    db::{sql, Query, Row, Tx},
    error::{Result, StoreError},
    json_list, Actor, Store,
};
use crate::{
    domain::{circulation::Refusal, Barcode, ShortText, ValidationError},
    model::{Copy, CopyStatus, Hold},
};

/// The most locations or classes one stock take may name.
pub const MAX_SCOPE: usize = 50;

/// A DDC class or the start of one (`5`, `59`, `599.9`), to take stock of the books so classed.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ClassPrefix(String);

impl ClassPrefix {
    /// Checks a class: 1 to 3 digits, then optionally a dot and more digits.
    pub fn parse(input: &str) -> Result<Self, ValidationError> {
        let v = input.trim();
        let (main, rest) = v.split_once('.').map_or((v, None), |(a, b)| (a, Some(b)));
        let digits = |s: &str| s.bytes().all(|b| b.is_ascii_digit());
        let ok = (1..=3).contains(&main.len())
            && digits(main)
            && rest.is_none_or(|r| !r.is_empty() && r.len() <= 12 && digits(r) && main.len() == 3);
        if ok {
            Ok(Self(v.to_owned()))
        } else {
            Err(ValidationError::new("invalid_class", "a class is a DDC number or its start, e.g. 5, 59 or 599.9"))
        }
    }

    /// The class as given.
    pub fn as_str(&self) -> &str {
        &self.0
    }
}

/// A stock take to start.
#[derive(Debug, Clone)]
pub struct NewStocktake {
    /// What the librarians call it, e.g. `Stock opname 2026`.
    pub name: ShortText,
    /// Only copies at these locations (none: every location).
    pub locations: Vec<ShortText>,
    /// Only books in these classes (none: every class).
    pub classes: Vec<ClassPrefix>,
}

/// The counts of a stock take, as they are now.
#[derive(Debug, Clone, Default, Serialize, ToSchema, sqlx::FromRow)]
pub struct StocktakeCounts {
    /// Copies listed when it started (in the scope, not withdrawn, not lost).
    pub expected: i64,
    /// Copies scanned (each once), expected or not.
    pub seen: i64,
    /// Expected copies not scanned yet that are not lent out: missing so far.
    pub not_seen: i64,
    /// Expected copies not scanned that are lent out (not expected on the shelf).
    pub on_loan_not_seen: i64,
    /// Expected copies not scanned, not lent out now, but lent or taken back at the desk since
    /// the stock take began (e.g. returned after their shelf was scanned): not missing, so neither
    /// in `not_seen` nor ever marked lost by it.
    pub at_desk_not_seen: i64,
    /// Copies scanned that the records say are lent.
    pub seen_on_loan: i64,
    /// Barcodes scanned that no copy has.
    pub unknown: i64,
    /// Copies scanned at another location than their own.
    pub wrong_location: i64,
    /// Copies scanned that were not listed at the start (outside the scope, lost, added since).
    pub unexpected: i64,
    /// Copies this stock take marked lost.
    pub marked_lost: i64,
}

/// A stock take.
#[derive(Debug, Clone, Serialize, ToSchema)]
pub struct Stocktake {
    pub id: i64,
    pub name: String,
    /// Only copies at these locations (empty: all).
    pub locations: Vec<String>,
    /// Only books in these classes (empty: all).
    pub classes: Vec<String>,
    /// `open` (scans are taken) or `finished`.
    #[schema(example = "open")]
    pub status: String,
    pub started_by: String,
    pub started_at: DateTime<Utc>,
    pub finished_by: Option<String>,
    pub finished_at: Option<DateTime<Utc>>,
    pub counts: StocktakeCounts,
}

/// The loan of a copy that was seen on the shelf although the records say it is lent.
#[derive(Debug, Clone, Serialize, ToSchema, sqlx::FromRow)]
pub struct ScanLoan {
    pub loan_id: i64,
    pub member_name: String,
    pub card_number: String,
    pub due_at: DateTime<Utc>,
}

/// What one scan did.
#[derive(Debug, Clone, Serialize, ToSchema)]
pub struct ScanOutcome {
    /// `seen` (counted now), `already_seen` (counted before, by this or another scanner),
    /// `unexpected` (counted now, but it was not in the list: outside the scope, lost or added
    /// since) or `unknown` (no copy has this barcode).
    #[schema(example = "seen")]
    pub result: String,
    /// The barcode as scanned (as stored, when a copy has it).
    pub barcode: String,
    /// The copy, unless the barcode is unknown.
    pub copy: Option<Copy>,
    /// The records say the copy is lent: its loan.
    pub loan: Option<ScanLoan>,
    /// Scanned at another location than the copy's own.
    pub wrong_location: bool,
    /// The copy was marked lost and has turned up: it is back in circulation (on the hold shelf
    /// when a member waits for its book, see `hold`).
    pub found: bool,
    /// The hold a found copy now waits for: put it on the hold shelf.
    pub hold: Option<Hold>,
}

/// What marking the missing copies lost did.
#[derive(Debug, Clone, Serialize, ToSchema)]
pub struct LostMarked {
    /// Copies marked lost now.
    pub marked: i64,
    /// Their barcodes.
    pub barcodes: Vec<String>,
}

/// The lists of a stock take's report.
#[derive(Debug, Clone, Copy, PartialEq, Eq, serde::Deserialize, ToSchema)]
#[serde(rename_all = "snake_case")]
pub enum ReportList {
    /// Every copy scanned.
    Seen,
    /// Expected copies not scanned and not lent: missing.
    NotSeen,
    /// Copies scanned that the records say are lent, with the loan.
    OnLoan,
    /// Barcodes no copy has.
    Unknown,
    /// Copies scanned at another location than their own.
    WrongLocation,
}

impl ReportList {
    /// For file names.
    pub fn as_str(self) -> &'static str {
        match self {
            Self::Seen => "seen",
            Self::NotSeen => "not_seen",
            Self::OnLoan => "on_loan",
            Self::Unknown => "unknown",
            Self::WrongLocation => "wrong_location",
        }
    }
}

/// One line of a report list (the columns that list has are filled).
#[derive(Debug, Clone, Serialize, ToSchema, sqlx::FromRow)]
pub struct ReportLine {
    pub barcode: String,
    pub title: Option<String>,
    pub call_number: Option<String>,
    /// The copy's own location.
    pub location: Option<String>,
    /// Where it was scanned.
    pub seen_location: Option<String>,
    pub seen_at: Option<DateTime<Utc>>,
    pub seen_by: Option<String>,
    /// The copy's status now.
    pub status: Option<String>,
    /// Listed when the stock take started.
    pub expected: Option<bool>,
    /// When this stock take marked it lost.
    pub lost_at: Option<DateTime<Utc>>,
    pub member_name: Option<String>,
    pub card_number: Option<String>,
    pub due_at: Option<DateTime<Utc>>,
    /// Times an unknown barcode was scanned.
    pub scans: Option<i64>,
}

/// Whether a copy scanned at `seen` stands somewhere else than its own location (both known;
/// compared without case and surrounding spaces).
pub fn misplaced(own: Option<&str>, seen: Option<&str>) -> bool {
    match (own, seen) {
        (Some(own), Some(seen)) => !own.trim().eq_ignore_ascii_case(seen.trim()),
        _ => false,
    }
}

/// A copy (`c`) of a stock take (`sc`) lent or taken back at the desk since the stock take began:
/// it exists, wherever it was when its shelf was scanned.
const AT_THE_DESK: &str = "EXISTS (SELECT 1 FROM loans dl JOIN stocktakes st ON st.id = sc.stocktake_id \
     WHERE dl.copy_id = c.id AND (dl.loaned_at >= st.started_at OR dl.returned_at >= st.started_at))";

/// `LOWER(TRIM(x))` compared, the SQL of [`misplaced`].
const MISPLACED: &str = "(sc.seen_location IS NOT NULL AND c.location IS NOT NULL \
     AND LOWER(TRIM(sc.seen_location)) <> LOWER(TRIM(c.location)))";

const STOCKTAKE_COLUMNS: &str =
    "id, name, locations, classes, status, started_by, started_at, finished_by, finished_at";

/// A `stocktakes` row ([`STOCKTAKE_COLUMNS`]); its scope lists are JSON arrays in text.
#[derive(sqlx::FromRow)]
struct StocktakeRow {
    id: i64,
    name: String,
    locations: String,
    classes: String,
    status: String,
    started_by: String,
    started_at: DateTime<Utc>,
    finished_by: Option<String>,
    finished_at: Option<DateTime<Utc>>,
}

impl StocktakeRow {
    fn with_counts(self, counts: StocktakeCounts) -> Result<Stocktake> {
        Ok(Stocktake {
            id: self.id,
            name: self.name,
            locations: json_list(&self.locations, "locations")?,
            classes: json_list(&self.classes, "classes")?,
            status: self.status,
            started_by: self.started_by,
            started_at: self.started_at,
            finished_by: self.finished_by,
            finished_at: self.finished_at,
            counts,
        })
    }
}

/// An expected copy not seen, to mark lost.
#[derive(sqlx::FromRow)]
struct MissingCopy {
    id: i64,
    barcode: String,
}

impl Store {
    /// The counts of a stock take, now.
    async fn stocktake_counts(&self, id: i64) -> Result<StocktakeCounts> {
        let int = self.db.dialect().integer();
        let sum = |cond: &str| format!("CAST(COALESCE(SUM(CASE WHEN {cond} THEN 1 ELSE 0 END), 0) AS {int})");
        let q = format!(
            "SELECT {} AS expected, {} AS seen, {} AS not_seen, {} AS on_loan_not_seen, {} AS at_desk_not_seen, \
             {} AS seen_on_loan, {} AS wrong_location, {} AS unexpected, {} AS marked_lost, \
             (SELECT COUNT(*) FROM stocktake_unknown u WHERE u.stocktake_id = ?) AS unknown \
             FROM stocktake_copies sc JOIN copies c ON c.id = sc.copy_id WHERE sc.stocktake_id = ?",
            sum("sc.expected = 1"),
            sum("sc.seen_at IS NOT NULL"),
            sum(&format!("sc.expected = 1 AND sc.seen_at IS NULL AND c.status <> 'on_loan' AND NOT {AT_THE_DESK}")),
            sum("sc.expected = 1 AND sc.seen_at IS NULL AND c.status = 'on_loan'"),
            sum(&format!("sc.expected = 1 AND sc.seen_at IS NULL AND c.status <> 'on_loan' AND {AT_THE_DESK}")),
            sum("sc.seen_at IS NOT NULL AND c.status = 'on_loan'"),
            sum(&format!("sc.seen_at IS NOT NULL AND {MISPLACED}")),
            sum("sc.expected = 0"),
            sum("sc.lost_at IS NOT NULL"),
        );
        let Some(r) = self.db.opt(sql(q).bind(id).bind(id)).await? else { return Ok(StocktakeCounts::default()) };
        Ok(r.decode()?)
    }

    /// One stock take with its counts.
    pub async fn stocktake(&self, id: i64) -> Result<Stocktake> {
        let row: StocktakeRow = self
            .db
            .opt(sql(format!("SELECT {STOCKTAKE_COLUMNS} FROM stocktakes WHERE id = ?")).bind(id))
            .await?
            .ok_or(StoreError::NotFound("stocktake"))?
            .decode()?;
        let counts = self.stocktake_counts(id).await?;
        row.with_counts(counts)
    }

    /// Every stock take, newest first, with its counts.
    pub async fn stocktakes(&self) -> Result<Vec<Stocktake>> {
        let rows = self.db.all(sql(format!("SELECT {STOCKTAKE_COLUMNS} FROM stocktakes ORDER BY id DESC"))).await?;
        let mut out = Vec::with_capacity(rows.len());
        for r in &rows {
            let row: StocktakeRow = r.decode()?;
            let counts = self.stocktake_counts(row.id).await?;
            out.push(row.with_counts(counts)?);
        }
        Ok(out)
    }

    /// Starts a stock take: lists the copies in its scope (not withdrawn, not lost) as expected.
    pub async fn start_stocktake(&self, actor: &Actor, n: &NewStocktake) -> Result<Stocktake> {
        let locations: Vec<String> = n.locations.iter().map(|l| l.as_str().to_owned()).collect();
        let classes: Vec<String> = n.classes.iter().map(|c| c.as_str().to_owned()).collect();
        let id = crate::transaction!(self.db, |tx| {
            async {
                let at = self.now();
                let id = tx
                    .exec(
                        sql("INSERT INTO stocktakes (name, locations, classes, status, started_by, started_at) \
                             VALUES (?, ?, ?, 'open', ?, ?)")
                        .bind(n.name.as_str())
                        .bind(super::catalogue::to_json(&locations))
                        .bind(super::catalogue::to_json(&classes))
                        .bind(&actor.username)
                        .bind(at),
                    )
                    .await?
                    .last_id;
                let mut q = sql("INSERT INTO stocktake_copies (stocktake_id, copy_id, expected) \
                     SELECT ?, c.id, 1 FROM copies c JOIN books b ON b.id = c.book_id \
                     WHERE c.status NOT IN ('withdrawn', 'lost')")
                .bind(id);
                if !locations.is_empty() {
                    let marks = vec!["?"; locations.len()].join(", ");
                    q = q.push(&format!(" AND LOWER(TRIM(c.location)) IN ({marks})"));
                    for l in &locations {
                        q = q.bind(l.trim().to_lowercase());
                    }
                }
                if !classes.is_empty() {
                    let likes = vec!["COALESCE(b.classification, b.call_number) LIKE ?"; classes.len()].join(" OR ");
                    q = q.push(&format!(" AND ({likes})"));
                    for c in &classes {
                        // Digits and one dot only (ClassPrefix): nothing to escape.
                        q = q.bind(format!("{c}%"));
                    }
                }
                let listed = tx.exec(q).await?.rows;
                self.audit(&mut tx, actor, "stocktake.start", "stocktake", id, format!("{} ({listed} copies)", n.name))
                    .await?;
                Ok::<_, StoreError>(id)
            }
            .await
        })?;
        self.stocktake(id).await
    }

    /// Refuses unless the stock take exists and is open; holds a shared lock on it until the
    /// transaction ends, so that finishing waits for scans under way.
    async fn open_stocktake_in(&self, tx: &mut Tx, id: i64) -> Result<()> {
        let lock = tx.dialect().share_lock();
        if stocktake_status_in(tx, id, lock).await? != "open" {
            return Err(Refusal::StocktakeFinished.into());
        }
        Ok(())
    }

    /// Records one scan of a stock take.
    pub async fn stocktake_scan(
        &self,
        actor: &Actor,
        id: i64,
        barcode: &Barcode,
        location: Option<&ShortText>,
    ) -> Result<ScanOutcome> {
        let seen_location = location.map(|l| l.as_str());
        crate::transaction!(self.db, |tx| {
            async {
                self.open_stocktake_in(&mut tx, id).await?;
                let at = self.now();
                let nocase = tx.dialect().nocase();
                let row = tx
                    .opt(
                        sql(format!(
                            "SELECT {} FROM copies c JOIN books b ON b.id = c.book_id WHERE c.barcode = ?{nocase}", super::catalogue::COPY_COLUMNS
                        ))
                        .bind(barcode.as_str()),
                    )
                    .await?;
                let Some(row) = row else {
                    self.unknown_barcode(&mut tx, actor, id, barcode, seen_location, at).await?;
                    return Ok(ScanOutcome {
                        result: "unknown".into(),
                        barcode: barcode.as_str().to_owned(),
                        copy: None,
                        loan: None,
                        wrong_location: false,
                        found: false,
                        hold: None,
                    });
                };
                let mut copy: Copy = row.decode()?;
                let first = tx
                    .exec(
                        sql("UPDATE stocktake_copies SET seen_at = ?, seen_by = ?, seen_location = ? \
                             WHERE stocktake_id = ? AND copy_id = ? AND seen_at IS NULL")
                        .bind(at)
                        .bind(&actor.username)
                        .bind(seen_location)
                        .bind(id)
                        .bind(copy.id),
                    )
                    .await?
                    .rows
                    == 1;
                let result = if first {
                    "seen"
                } else {
                    let listed = tx
                        .opt(
                            sql("SELECT expected FROM stocktake_copies WHERE stocktake_id = ? AND copy_id = ?")
                                .bind(id)
                                .bind(copy.id),
                        )
                        .await?
                        .is_some();
                    if listed {
                        "already_seen"
                    } else {
                        let inserted = tx
                            .exec(
                                sql("INSERT INTO stocktake_copies (stocktake_id, copy_id, expected, seen_at, seen_by, seen_location) \
                                     VALUES (?, ?, 0, ?, ?, ?)")
                                .bind(id)
                                .bind(copy.id)
                                .bind(at)
                                .bind(&actor.username)
                                .bind(seen_location),
                            )
                            .await;
                        match inserted {
                            Ok(_) => "unexpected",
                            // Another scanner recorded it a moment ago.
                            Err(e) if e.is_unique_violation() => "already_seen",
                            Err(e) => return Err(e.into()),
                        }
                    }
                };
                let counted = result != "already_seen";
                // A copy marked lost has turned up: back into circulation, to a waiting hold first.
                let (mut found, mut hold) = (false, None);
                if counted && copy.status == CopyStatus::Lost {
                    let locked = self.copy_in(&mut tx, copy.id).await?;
                    if locked.status == CopyStatus::Lost {
                        hold = self.pass_copy_on(&mut tx, &locked, self.today(at)).await?;
                        found = true;
                        self.audit(&mut tx, actor, "copy.found", "copy", copy.id, format!("stock take {id}: lost -> found"))
                            .await?;
                        copy = self.copy_in(&mut tx, copy.id).await?;
                    }
                }
                let loan = if copy.status == CopyStatus::OnLoan {
                    let r = tx
                        .opt(
                            sql("SELECT l.id AS loan_id, m.name AS member_name, m.card_number, l.due_at \
                                 FROM loans l JOIN members m ON m.id = l.member_id \
                                 WHERE l.copy_id = ? AND l.returned_at IS NULL")
                            .bind(copy.id),
                        )
                        .await?;
                    r.as_ref().map(Row::decode::<ScanLoan>).transpose()?
                } else {
                    None
                };
                Ok(ScanOutcome {
                    result: result.into(),
                    barcode: copy.barcode.clone(),
                    wrong_location: misplaced(copy.location.as_deref(), seen_location),
                    copy: Some(copy),
                    loan,
                    found,
                    hold,
                })
            }
            .await
        })
    }

    /// Counts a barcode that no copy has.
    async fn unknown_barcode(
        &self,
        tx: &mut Tx,
        actor: &Actor,
        id: i64,
        barcode: &Barcode,
        seen_location: Option<&str>,
        at: DateTime<Utc>,
    ) -> Result<()> {
        let nocase = tx.dialect().nocase();
        let bump = sql(format!(
            "UPDATE stocktake_unknown SET scans = scans + 1 WHERE stocktake_id = ? AND barcode = ?{nocase}"
        ))
        .bind(id)
        .bind(barcode.as_str());
        if tx.exec(bump.clone()).await?.rows == 1 {
            return Ok(());
        }
        let inserted = tx
            .exec(
                sql("INSERT INTO stocktake_unknown (stocktake_id, barcode, scans, seen_at, seen_by, seen_location) \
                     VALUES (?, ?, 1, ?, ?, ?)")
                .bind(id)
                .bind(barcode.as_str())
                .bind(at)
                .bind(&actor.username)
                .bind(seen_location),
            )
            .await;
        match inserted {
            Ok(_) => Ok(()),
            Err(e) if e.is_unique_violation() => {
                tx.exec(bump).await?;
                Ok(())
            }
            Err(e) => Err(e.into()),
        }
    }

    /// Finishes an open stock take: no more scans; its report is final.
    pub async fn finish_stocktake(&self, actor: &Actor, id: i64) -> Result<Stocktake> {
        crate::transaction!(self.db, |tx| {
            async {
                let lock = tx.for_update();
                if stocktake_status_in(&mut tx, id, lock).await? != "open" {
                    return Err(Refusal::StocktakeFinished.into());
                }
                tx.exec(
                    sql("UPDATE stocktakes SET status = 'finished', finished_by = ?, finished_at = ? WHERE id = ?")
                        .bind(&actor.username)
                        .bind(self.now())
                        .bind(id),
                )
                .await?;
                self.audit(&mut tx, actor, "stocktake.finish", "stocktake", id, "finished").await
            }
            .await
        })?;
        self.stocktake(id).await
    }

    /// Marks lost the copies a finished stock take expected and did not see that are still on
    /// the shelf by the records (`available`) and were not lent or taken back at the desk since it
    /// began: all of them, or those of `only` (copy barcodes).
    /// Each gets an audit line; a copy that turns up later is put back by a scan in a stock
    /// take or by setting it `available`, which passes it to a waiting hold first.
    pub async fn mark_missing_lost(&self, actor: &Actor, id: i64, only: Option<&[Barcode]>) -> Result<LostMarked> {
        crate::transaction!(self.db, |tx| {
            async {
                let lock = tx.for_update();
                if stocktake_status_in(&mut tx, id, lock).await? != "finished" {
                    return Err(Refusal::StocktakeOpen.into());
                }
                let mut q = sql(format!(
                    "SELECT c.id, c.barcode FROM stocktake_copies sc JOIN copies c ON c.id = sc.copy_id \
                     WHERE sc.stocktake_id = ? AND sc.expected = 1 AND sc.seen_at IS NULL AND sc.lost_at IS NULL \
                     AND c.status = 'available' AND NOT {AT_THE_DESK} ORDER BY c.barcode{lock}"
                ))
                .bind(id);
                if let Some(only) = only {
                    if only.is_empty() {
                        return Ok(LostMarked { marked: 0, barcodes: Vec::new() });
                    }
                    q = sql(format!(
                        "SELECT c.id, c.barcode FROM stocktake_copies sc JOIN copies c ON c.id = sc.copy_id \
                         WHERE sc.stocktake_id = ? AND sc.expected = 1 AND sc.seen_at IS NULL AND sc.lost_at IS NULL \
                         AND c.status = 'available' AND NOT {AT_THE_DESK} AND ({}) ORDER BY c.barcode{lock}",
                        vec![format!("c.barcode = ?{}", tx.dialect().nocase()); only.len()].join(" OR ")
                    ))
                    .bind(id);
                    for b in only {
                        q = q.bind(b.as_str());
                    }
                }
                let rows = tx.all(q).await?;
                let at = self.now();
                let mut barcodes = Vec::with_capacity(rows.len());
                for r in &rows {
                    let MissingCopy { id: copy_id, barcode } = r.decode()?;
                    let done = tx
                        .exec(
                            sql("UPDATE copies SET status = 'lost', updated_at = ? WHERE id = ? AND status = 'available'")
                                .bind(at)
                                .bind(copy_id),
                        )
                        .await?;
                    if done.rows != 1 {
                        continue;
                    }
                    tx.exec(
                        sql("UPDATE stocktake_copies SET lost_at = ? WHERE stocktake_id = ? AND copy_id = ?")
                            .bind(at)
                            .bind(id)
                            .bind(copy_id),
                    )
                    .await?;
                    self.audit(&mut tx, actor, "copy.update", "copy", copy_id, format!("available -> lost (stock take {id})"))
                        .await?;
                    barcodes.push(barcode);
                }
                Ok(LostMarked { marked: barcodes.len() as i64, barcodes })
            }
            .await
        })
    }

    /// One list of a stock take's report.
    pub async fn stocktake_report(&self, id: i64, list: ReportList) -> Result<Vec<ReportLine>> {
        self.db
            .opt(sql("SELECT id FROM stocktakes WHERE id = ?").bind(id))
            .await?
            .ok_or(StoreError::NotFound("stocktake"))?;
        let copy_line =
            "SELECT c.barcode, b.title, b.call_number, c.location, sc.seen_location, sc.seen_at, sc.seen_by, \
             c.status, sc.expected, sc.lost_at, m.name AS member_name, m.card_number, l.due_at, NULL AS scans \
             FROM stocktake_copies sc JOIN copies c ON c.id = sc.copy_id JOIN books b ON b.id = c.book_id \
             LEFT JOIN loans l ON l.copy_id = c.id AND l.returned_at IS NULL LEFT JOIN members m ON m.id = l.member_id \
             WHERE sc.stocktake_id = ?";
        let q: Query = match list {
            ReportList::Seen => sql(format!("{copy_line} AND sc.seen_at IS NOT NULL ORDER BY sc.seen_at, c.barcode")),
            ReportList::NotSeen => sql(format!(
                "{copy_line} AND sc.expected = 1 AND sc.seen_at IS NULL AND c.status <> 'on_loan' \
                 AND NOT {AT_THE_DESK} ORDER BY b.call_number, c.barcode"
            )),
            ReportList::OnLoan => sql(format!(
                "{copy_line} AND sc.seen_at IS NOT NULL AND c.status = 'on_loan' ORDER BY c.barcode"
            )),
            ReportList::WrongLocation => sql(format!(
                "{copy_line} AND sc.seen_at IS NOT NULL AND {MISPLACED} ORDER BY c.location, c.barcode"
            )),
            ReportList::Unknown => sql(
                "SELECT u.barcode, NULL AS title, NULL AS call_number, NULL AS location, u.seen_location, u.seen_at, \
                 u.seen_by, NULL AS status, NULL AS expected, NULL AS lost_at, NULL AS member_name, NULL AS card_number, \
                 NULL AS due_at, u.scans FROM stocktake_unknown u WHERE u.stocktake_id = ? ORDER BY u.seen_at, u.barcode",
            ),
        };
        let rows = self.db.all(q.bind(id)).await?;
        rows.iter().map(|r| Ok(r.decode::<ReportLine>()?)).collect()
    }
}

/// A stock take's status, read with `lock` (a shared or an exclusive row lock, or none);
/// `NotFound` when there is no such stock take.
async fn stocktake_status_in(tx: &mut Tx, id: i64, lock: &str) -> Result<String> {
    let row = tx
        .opt(sql(format!("SELECT status FROM stocktakes WHERE id = ?{lock}")).bind(id))
        .await?
        .ok_or(StoreError::NotFound("stocktake"))?;
    let (status,) = row.decode::<(String,)>()?;
    Ok(status)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn classes_are_ddc_numbers_or_their_start() {
        for ok in ["5", "59", "599", "599.9", "899.221", " 300 "] {
            assert!(ClassPrefix::parse(ok).is_ok(), "{ok}");
        }
        for bad in ["", "5x", "5.1", "1234", "599.", "599.9a", "%", "59_"] {
            assert!(ClassPrefix::parse(bad).is_err(), "{bad}");
        }
    }

    #[test]
    fn a_copy_is_misplaced_only_when_both_places_are_known_and_differ() {
        assert!(misplaced(Some("Rak A1"), Some("Rak B2")));
        assert!(!misplaced(Some("Rak A1"), Some(" rak a1 ")));
        assert!(!misplaced(None, Some("Rak B2")));
        assert!(!misplaced(Some("Rak A1"), None));
    }
}
