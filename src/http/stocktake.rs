//! `/api/v1/stocktakes`: stock takes (inventarisasi / stock opname), staff only.

use axum::{extract::State, http::StatusCode, response::Response};
use serde::Deserialize;
use utoipa::{IntoParams, ToSchema};
use utoipa_axum::{router::OpenApiRouter, routes};

use super::{
    error::{ApiError, Fields, Problem, Result},
    extract::{Auth, Json, Path, Query},
    table::{Table, TableFormat},
    AppState,
};
use crate::{
    domain::{cell::Cell, Barcode, ShortText, ValidationError},
    model::Items,
    store::stocktake::{ClassPrefix, LostMarked, NewStocktake, ReportList, ScanOutcome, Stocktake, MAX_SCOPE},
};

pub fn router() -> OpenApiRouter<AppState> {
    OpenApiRouter::new()
        .routes(routes!(list_stocktakes, start_stocktake))
        .routes(routes!(get_stocktake))
        .routes(routes!(scan))
        .routes(routes!(finish))
        .routes(routes!(mark_lost))
        .routes(routes!(report))
}

/// A stock take to start: the whole collection, or only some locations and/or classes.
#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct StocktakeInput {
    #[schema(example = "Stock opname Desember 2026")]
    name: String,
    /// Only copies at these locations (leave out or empty: every location).
    #[serde(default)]
    #[schema(example = json!(["Rak A1", "Rak A2"]))]
    locations: Vec<String>,
    /// Only books whose DDC class starts so (leave out or empty: every class).
    #[serde(default)]
    #[schema(example = json!(["5", "899.2"]))]
    classes: Vec<String>,
}

/// Every stock take, newest first, with its counts.
#[utoipa::path(get, path = "/stocktakes", tag = "stocktake",
    responses((status = 200, body = Items<Stocktake>)),
    security(("bearer" = []), ("cookie" = [])))]
async fn list_stocktakes(State(s): State<AppState>, _: Auth) -> Result<Json<Items<Stocktake>>> {
    Ok(Json(Items { items: s.store.stocktakes().await? }))
}

/// Start a stock take: the copies in its scope (not withdrawn or lost) are listed as expected
/// on the shelves. Several may be open at once (e.g. one per room).
#[utoipa::path(post, path = "/stocktakes", tag = "stocktake", request_body = StocktakeInput,
    responses((status = 201, body = Stocktake), (status = 422, body = Problem)),
    security(("bearer" = []), ("cookie" = [])))]
async fn start_stocktake(
    State(s): State<AppState>,
    Auth(who): Auth,
    Json(i): Json<StocktakeInput>,
) -> Result<(StatusCode, Json<Stocktake>)> {
    let mut f = Fields::new();
    let name = f.check("name", ShortText::parse_name("Name", &i.name));
    if i.locations.len() > MAX_SCOPE {
        f.add("locations", "too_many", format!("at most {MAX_SCOPE} locations"));
    }
    if i.classes.len() > MAX_SCOPE {
        f.add("classes", "too_many", format!("at most {MAX_SCOPE} classes"));
    }
    let locations: Vec<_> = i
        .locations
        .iter()
        .enumerate()
        .filter_map(|(n, l)| f.check(&format!("locations[{n}]"), ShortText::parse(l)))
        .collect();
    let classes: Vec<_> = i
        .classes
        .iter()
        .enumerate()
        .filter_map(|(n, c)| f.check(&format!("classes[{n}]"), ClassPrefix::parse(c)))
        .collect();
    f.finish()?;
    let new = NewStocktake { name: name.expect("checked"), locations, classes };
    Ok((StatusCode::CREATED, Json(s.store.start_stocktake(&who.actor(), &new).await?)))
}

/// One stock take with its counts, as they are now.
#[utoipa::path(get, path = "/stocktakes/{id}", tag = "stocktake", params(("id" = i64, Path)),
    responses((status = 200, body = Stocktake), (status = 404, body = Problem)),
    security(("bearer" = []), ("cookie" = [])))]
async fn get_stocktake(State(s): State<AppState>, _: Auth, Path(id): Path<i64>) -> Result<Json<Stocktake>> {
    Ok(Json(s.store.stocktake(id).await?))
}

/// A scan on the shelves.
#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct ScanInput {
    #[schema(example = "B000123")]
    barcode: String,
    /// Where the librarian is scanning (the shelf), to find copies standing in the wrong place.
    #[schema(example = "Rak A1")]
    location: Option<String>,
}

/// Scan a copy on the shelves: it is counted once, whoever scans it and however often. Says
/// whether it was counted now, seen before, not expected, or unknown; whether the records say
/// it is lent (with the loan) or elsewhere; and a copy marked lost that turns up goes back into
/// circulation (to the hold shelf when a member waits for its book).
#[utoipa::path(post, path = "/stocktakes/{id}/scans", tag = "stocktake", params(("id" = i64, Path)), request_body = ScanInput,
    responses((status = 200, body = ScanOutcome), (status = 404, body = Problem),
        (status = 409, description = "the stock take is finished (`stocktake_finished`)", body = Problem),
        (status = 422, body = Problem)),
    security(("bearer" = []), ("cookie" = [])))]
async fn scan(
    State(s): State<AppState>,
    Auth(who): Auth,
    Path(id): Path<i64>,
    Json(i): Json<ScanInput>,
) -> Result<Json<ScanOutcome>> {
    let mut f = Fields::new();
    let barcode = f.check("barcode", Barcode::parse(&i.barcode));
    let location = f.opt("location", i.location.filter(|l| !l.trim().is_empty()), |l| ShortText::parse(&l));
    f.finish()?;
    Ok(Json(s.store.stocktake_scan(&who.actor(), id, &barcode.expect("checked"), location.as_ref()).await?))
}

/// Finish a stock take: no more scans; its report is final.
#[utoipa::path(post, path = "/stocktakes/{id}/finish", tag = "stocktake", params(("id" = i64, Path)),
    responses((status = 200, body = Stocktake), (status = 404, body = Problem),
        (status = 409, description = "finished already (`stocktake_finished`)", body = Problem)),
    security(("bearer" = []), ("cookie" = [])))]
async fn finish(State(s): State<AppState>, Auth(who): Auth, Path(id): Path<i64>) -> Result<Json<Stocktake>> {
    Ok(Json(s.store.finish_stocktake(&who.actor(), id).await?))
}

/// Which missing copies to mark lost.
#[derive(Debug, Default, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct LostInput {
    /// Only these (barcodes from the `not_seen` list); leave out for every missing copy.
    barcodes: Option<Vec<String>>,
}

/// Mark lost the copies a finished stock take did not see that the records have on the shelf
/// (`available`), each with an audit line. A copy that turns up later comes back by a scan in a
/// stock take or by setting it `available`; either passes it to a waiting hold first.
#[utoipa::path(post, path = "/stocktakes/{id}/lost", tag = "stocktake", params(("id" = i64, Path)), request_body = LostInput,
    responses((status = 200, body = LostMarked), (status = 404, body = Problem),
        (status = 409, description = "the stock take is still open (`stocktake_open`)", body = Problem),
        (status = 422, body = Problem)),
    security(("bearer" = []), ("cookie" = [])))]
async fn mark_lost(
    State(s): State<AppState>,
    Auth(who): Auth,
    Path(id): Path<i64>,
    Json(i): Json<LostInput>,
) -> Result<Json<LostMarked>> {
    let mut f = Fields::new();
    let only = i.barcodes.map(|list| {
        if list.len() > 10_000 {
            f.add("barcodes", "too_many", "at most 10000 barcodes");
        }
        list.iter()
            .enumerate()
            .filter_map(|(n, b)| f.check(&format!("barcodes[{n}]"), Barcode::parse(b)))
            .collect::<Vec<_>>()
    });
    f.finish()?;
    Ok(Json(s.store.mark_missing_lost(&who.actor(), id, only.as_deref()).await?))
}

/// A list of the report and a format.
#[derive(Debug, Deserialize, IntoParams)]
#[into_params(parameter_in = Query)]
pub struct ReportQuery {
    /// `not_seen` (default), `seen`, `on_loan`, `unknown` or `wrong_location`.
    #[param(value_type = Option<ReportList>, inline)]
    list: Option<String>,
    /// `json` (default), `csv` or `xlsx`.
    #[param(inline)]
    format: Option<TableFormat>,
}

/// One list of a stock take's report, live while it is open: copies not seen (missing), seen,
/// seen although lent (with the loan), unknown barcodes, or seen at another location. Download
/// as CSV or XLSX with `format`.
#[utoipa::path(get, path = "/stocktakes/{id}/report", tag = "stocktake", params(("id" = i64, Path), ReportQuery),
    responses((status = 200, description = "an array of rows (JSON), or a CSV or XLSX file", content((Vec<serde_json::Value> = "application/json"), (String = "text/csv"), (Vec<u8> = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"))),
        (status = 404, body = Problem), (status = 422, body = Problem)),
    security(("bearer" = []), ("cookie" = [])))]
async fn report(
    State(s): State<AppState>,
    _: Auth,
    Path(id): Path<i64>,
    Query(q): Query<ReportQuery>,
) -> Result<Response> {
    let list = match q.list.as_deref().map(str::trim) {
        None | Some("" | "not_seen") => ReportList::NotSeen,
        Some("seen") => ReportList::Seen,
        Some("on_loan") => ReportList::OnLoan,
        Some("unknown") => ReportList::Unknown,
        Some("wrong_location") => ReportList::WrongLocation,
        Some(_) => {
            return Err(ApiError::field(
                "list",
                ValidationError::new("invalid_value", "list is not_seen, seen, on_loan, unknown or wrong_location"),
            ))
        }
    };
    let lines = s.store.stocktake_report(id, list).await?;
    let tz = s.store.tz();
    let when = |at: Option<chrono::DateTime<chrono::Utc>>| -> Cell {
        at.map(|t| t.with_timezone(&tz).format("%Y-%m-%d %H:%M").to_string()).into()
    };
    let name = format!("stock-opname-{id}-{}", list.as_str());
    let table = match list {
        ReportList::Seen => {
            let mut t = Table::new(
                name,
                &[
                    "barcode",
                    "title",
                    "call_number",
                    "location",
                    "seen_location",
                    "seen_at",
                    "seen_by",
                    "status",
                    "expected",
                ],
            );
            for l in lines {
                let expected = if l.expected.unwrap_or(true) { "yes" } else { "no" };
                t.push(vec![
                    l.barcode.into(),
                    l.title.into(),
                    l.call_number.into(),
                    l.location.into(),
                    l.seen_location.into(),
                    when(l.seen_at),
                    l.seen_by.into(),
                    l.status.into(),
                    expected.into(),
                ]);
            }
            t
        }
        ReportList::NotSeen => {
            let mut t = Table::new(name, &["barcode", "title", "call_number", "location", "status", "marked_lost_at"]);
            for l in lines {
                t.push(vec![
                    l.barcode.into(),
                    l.title.into(),
                    l.call_number.into(),
                    l.location.into(),
                    l.status.into(),
                    when(l.lost_at),
                ]);
            }
            t
        }
        ReportList::OnLoan => {
            let mut t = Table::new(
                name,
                &["barcode", "title", "call_number", "member_name", "card_number", "due_date", "seen_at", "seen_by"],
            );
            for l in lines {
                t.push(vec![
                    l.barcode.into(),
                    l.title.into(),
                    l.call_number.into(),
                    l.member_name.into(),
                    l.card_number.into(),
                    l.due_at.map(|d| s.store.today(d)).into(),
                    when(l.seen_at),
                    l.seen_by.into(),
                ]);
            }
            t
        }
        ReportList::Unknown => {
            let mut t = Table::new(name, &["barcode", "scans", "seen_location", "seen_at", "seen_by"]);
            for l in lines {
                t.push(vec![
                    l.barcode.into(),
                    l.scans.into(),
                    l.seen_location.into(),
                    when(l.seen_at),
                    l.seen_by.into(),
                ]);
            }
            t
        }
        ReportList::WrongLocation => {
            let mut t = Table::new(
                name,
                &["barcode", "title", "call_number", "location", "seen_location", "seen_at", "seen_by"],
            );
            for l in lines {
                t.push(vec![
                    l.barcode.into(),
                    l.title.into(),
                    l.call_number.into(),
                    l.location.into(),
                    l.seen_location.into(),
                    when(l.seen_at),
                    l.seen_by.into(),
                ]);
            }
            t
        }
    };
    table.respond(q.format.unwrap_or_default())
}
