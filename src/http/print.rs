//! `/api/v1/print`, `/api/v1/library`, `/api/v1/barcode-pattern`, `/api/v1/call-numbers`: the
//! library's identity, automatic barcodes, call number suggestions, and the PDFs printed from
//! them (labels, member cards). A replica makes at most
//! [`super::limits::PRINTS_PER_REPLICA`] PDFs at once; past it, 503 `print_busy` with `Retry-After`.

use axum::{
    body::Bytes,
    extract::State,
    http::{header, HeaderMap, HeaderValue, StatusCode},
    response::{IntoResponse, Response},
};
use chrono::NaiveDate;
use serde::{Deserialize, Serialize};
use utoipa::{IntoParams, ToSchema};
use utoipa_axum::{router::OpenApiRouter, routes};

use super::{
    error::Problem,
    extract::{Auth, Json, Path, Query},
    AppState,
};
use crate::{
    domain::{
        callnumber::{check_ddc, suggest, BarcodePattern},
        notices::Language,
        Barcode, ShortText, ValidationError,
    },
    http::error::{ApiError, FieldError, Fields, Result},
    print::{
        self,
        pdf::Picture,
        sheet::{Grid, PRESETS},
        tr, LabelKind, Letterhead,
    },
    store::print::{BarcodeSettings, Image, ImportRun, LibraryIdentity},
};

/// Most labels or cards in one PDF.
pub const MAX_ITEMS: usize = 1000;
/// Largest logo or member photo accepted.
pub const MAX_IMAGE: usize = 256 * 1024;
/// Largest body of a print request (a thousand barcodes; past [`MAX_ITEMS`] the answer is a 422
/// naming the list rather than a bare 413).
const PRINT_BODY_LIMIT: usize = 1024 * 1024;

pub fn router() -> OpenApiRouter<AppState> {
    let routes = OpenApiRouter::new()
        .routes(routes!(get_library, put_library))
        .routes(routes!(get_logo, put_logo, delete_logo))
        .routes(routes!(get_barcode_pattern, put_barcode_pattern))
        .routes(routes!(suggest_call_number))
        .routes(routes!(print_labels))
        .routes(routes!(print_cards))
        .routes(routes!(list_sheets))
        .routes(routes!(list_imports))
        .routes(routes!(get_photo, put_photo, delete_photo))
        .routes(routes!(print_receipt))
        .routes(routes!(print_loan_slip));
    super::limits::body_limit(routes, PRINT_BODY_LIMIT)
}

/// A PDF answer.
pub(super) fn pdf(bytes: Vec<u8>, name: &str) -> Response {
    let mut res = bytes.into_response();
    let h = res.headers_mut();
    h.insert(header::CONTENT_TYPE, HeaderValue::from_static("application/pdf"));
    if let Ok(v) = HeaderValue::from_str(&format!("inline; filename=\"{name}\"")) {
        h.insert(header::CONTENT_DISPOSITION, v);
    }
    res
}

/// The language of what is printed.
#[derive(Debug, Deserialize, IntoParams)]
#[into_params(parameter_in = Query)]
pub struct PrintQuery {
    /// `id` (Bahasa Indonesia, default) or `en`: the printed words and dates.
    #[param(value_type = Option<String>)]
    lang: Option<Language>,
}

/// The library's name, address and whether it has a logo (public: the page header shows them).
#[utoipa::path(get, path = "/library", tag = "print", responses((status = 200, body = LibraryIdentity)))]
async fn get_library(State(s): State<AppState>) -> Result<Json<LibraryIdentity>> {
    Ok(Json(s.store.library().await?))
}

/// The library's name and address.
#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct LibraryInput {
    /// Also signs the notices.
    #[schema(example = "Perpustakaan SMA Negeri 1 Yogyakarta")]
    name: String,
    /// Up to 300 characters; may span lines.
    #[serde(default)]
    address: String,
}

/// Set the library's name and address (admin). The name is the one the notices sign with.
#[utoipa::path(put, path = "/library", tag = "print", request_body = LibraryInput,
    responses((status = 200, body = LibraryIdentity), (status = 403, body = Problem), (status = 422, body = Problem)),
    security(("bearer" = []), ("cookie" = [])))]
async fn put_library(
    State(s): State<AppState>,
    Auth(who): Auth,
    Json(input): Json<LibraryInput>,
) -> Result<Json<LibraryIdentity>> {
    let mut f = Fields::new();
    let name = f.check("name", ShortText::parse_name("Name", &input.name));
    let address = input.address.trim().to_owned();
    if address.chars().count() > 300 {
        f.add("address", "too_long", "Address must be at most 300 characters long.");
    } else if address.chars().any(|c| c.is_control() && c != '\n' && c != '\r') {
        f.add("address", "invalid_format", "Address may not contain control characters.");
    }
    f.finish()?;
    Ok(Json(s.store.set_library(&who.actor(), name.expect("checked").as_str(), &address).await?))
}

/// The policy the logo is served with.
pub const LOGO_CSP: &str = "default-src 'none'; sandbox";

/// The logo as uploaded, normalised (public).
#[utoipa::path(get, path = "/library/logo", tag = "print",
    responses((status = 200, description = "the logo: a PNG, or an SVG (image/svg+xml)", content_type = "image/png"), (status = 404, body = Problem)))]
async fn get_logo(State(s): State<AppState>) -> Result<Response> {
    let logo = s.store.library_logo().await?.ok_or(ApiError::NotFound("logo"))?;
    let mut res = logo.bytes.into_response();
    let ct = HeaderValue::from_str(&logo.content_type).unwrap_or(HeaderValue::from_static("application/octet-stream"));
    res.headers_mut().insert(header::CONTENT_TYPE, ct);
    // An SVG opened on its own may not run scripts nor load anything: its own policy, which the
    // page's headers layer leaves in place.
    res.headers_mut().insert(header::CONTENT_SECURITY_POLICY, HeaderValue::from_static(LOGO_CSP));
    Ok(res)
}

/// Checks an uploaded image: its type by its bytes (never by the header alone), its size, and
/// that it reads. `svg` says whether an SVG is accepted.
pub fn check_image(field: &str, headers: &HeaderMap, body: &[u8], svg: bool) -> Result<Image> {
    let fail = |code: &'static str, msg: String| ApiError::field(field, ValidationError::new(code, msg));
    if body.is_empty() {
        return Err(fail("required", "send the image as the request body".into()));
    }
    if body.len() > MAX_IMAGE {
        return Err(fail(
            "too_large",
            format!("the image is {} KiB; at most {} KiB", body.len() / 1024, MAX_IMAGE / 1024),
        ));
    }
    let declared = headers
        .get(header::CONTENT_TYPE)
        .and_then(|v| v.to_str().ok())
        .unwrap_or("")
        .split(';')
        .next()
        .unwrap_or("")
        .trim()
        .to_ascii_lowercase();
    let wanted = if svg { "a PNG, JPEG or SVG" } else { "a PNG or JPEG" };
    // A PNG or a JPEG is normalised once, here: decoded within the budget (a declared size past 4
    // million pixels is refused before anything is allocated) and written again as a plain PNG,
    // pixels only. A JPEG is stored as a PNG too: no EXIF (where a phone writes where the photo
    // was taken), comment or thumbnail, nothing after its end.
    if body.starts_with(b"\x89PNG\r\n\x1a\n") {
        let plain = crate::print::pdf::plain_png(body).map_err(|e| fail("invalid_image", e))?;
        return Ok(Image { content_type: "image/png".into(), bytes: plain });
    }
    if body.starts_with(&[0xFF, 0xD8]) {
        let plain = crate::print::pdf::plain_jpeg(body).map_err(|e| fail("invalid_image", e))?;
        return Ok(Image { content_type: "image/png".into(), bytes: plain });
    }
    if svg && (declared == "image/svg+xml" || declared.is_empty()) {
        let text = std::str::from_utf8(body).map_err(|_| fail("invalid_image", format!("this is not {wanted}")))?;
        let head = text.trim_start_matches('\u{feff}').trim_start();
        let lower = text.to_ascii_lowercase();
        if (head.starts_with("<svg") || head.starts_with("<?xml")) && lower.contains("<svg") && lower.contains("</svg>")
        {
            // Normalised once, here: no DTD or entity, no script, handler or outside link is stored,
            // and what is stored is what was drawn to check it.
            let clean = crate::print::svg::sanitize(body).map_err(|e| match e {
                crate::print::svg::SvgError::TooBig(budget) => {
                    ApiError::Validation(vec![FieldError::budget(field, &budget, budget.english.clone())])
                }
                crate::print::svg::SvgError::Refused(why) => fail("invalid_image", why),
            })?;
            Picture::svg(&clean).map_err(|e| fail("invalid_image", e))?;
            return Ok(Image { content_type: "image/svg+xml".into(), bytes: clean });
        }
    }
    Err(fail("invalid_image", format!("this is not {wanted} image")))
}

/// Upload the logo (admin): the body is the PNG, JPEG or SVG file itself, at most 256 KiB. It
/// shows in the page header and is printed on member cards, barcode labels, receipts and loan
/// slips (an SVG drawn into pixels first; its text must be paths). A PNG or JPEG is stored and
/// served as a plain PNG of its pixels (at most 4 million), an SVG without DTD, scripts or handlers.
#[utoipa::path(put, path = "/library/logo", tag = "print",
    request_body(content = Vec<u8>, content_type = "image/png", description = "a PNG, JPEG or SVG (image/svg+xml), at most 256 KiB"),
    responses((status = 200, body = LibraryIdentity), (status = 403, body = Problem), (status = 422, description = "`logo`: not an image, or too large", body = Problem)),
    security(("bearer" = []), ("cookie" = [])))]
async fn put_logo(
    State(s): State<AppState>,
    Auth(who): Auth,
    headers: HeaderMap,
    body: Bytes,
) -> Result<Json<LibraryIdentity>> {
    let image = check_image("logo", &headers, &body, true)?;
    Ok(Json(s.store.set_library_logo(&who.actor(), Some(&image)).await?))
}

/// Remove the logo (admin).
#[utoipa::path(delete, path = "/library/logo", tag = "print",
    responses((status = 200, body = LibraryIdentity), (status = 403, body = Problem)),
    security(("bearer" = []), ("cookie" = [])))]
async fn delete_logo(State(s): State<AppState>, Auth(who): Auth) -> Result<Json<LibraryIdentity>> {
    Ok(Json(s.store.set_library_logo(&who.actor(), None).await?))
}

/// How automatic barcodes look (staff).
#[utoipa::path(get, path = "/barcode-pattern", tag = "print",
    responses((status = 200, body = BarcodeSettings), (status = 403, body = Problem)),
    security(("bearer" = []), ("cookie" = [])))]
async fn get_barcode_pattern(State(s): State<AppState>, _: Auth) -> Result<Json<BarcodeSettings>> {
    Ok(Json(s.store.barcode_settings().await?))
}

/// A new pattern for automatic barcodes.
#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct BarcodePatternInput {
    /// 0–16 letters, digits, `-`, `.` or `_`.
    #[schema(example = "B")]
    prefix: String,
    /// The number's width, 1–12 (zero-padded).
    #[schema(example = 6)]
    digits: i64,
    /// Where numbering goes on (1 or more); leave out to keep counting.
    next_number: Option<i64>,
}

/// Set the pattern of automatic barcodes (admin): a copy added without a barcode gets
/// `prefix` + the next number zero-padded to `digits`, skipping numbers already taken.
#[utoipa::path(put, path = "/barcode-pattern", tag = "print", request_body = BarcodePatternInput,
    responses((status = 200, body = BarcodeSettings), (status = 403, body = Problem), (status = 422, body = Problem)),
    security(("bearer" = []), ("cookie" = [])))]
async fn put_barcode_pattern(
    State(s): State<AppState>,
    Auth(who): Auth,
    Json(input): Json<BarcodePatternInput>,
) -> Result<Json<BarcodeSettings>> {
    let pattern = BarcodePattern::new(&input.prefix, input.digits).map_err(|(field, e)| ApiError::field(field, e))?;
    if let Some(n) = input.next_number {
        if !(1..=999_999_999_999).contains(&n) {
            return Err(ApiError::field(
                "next_number",
                ValidationError::new("out_of_range", "next_number must be from 1 to 999999999999"),
            ));
        }
    }
    Ok(Json(s.store.set_barcode_settings(&who.actor(), &pattern, input.next_number).await?))
}

/// What a call number is made from.
#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct SuggestInput {
    /// The DDC class, e.g. `005.13` (or `2X4.1`).
    #[schema(example = "899.221")]
    classification: String,
    #[serde(default)]
    #[schema(example = json!(["Andrea Hirata"]))]
    authors: Vec<String>,
    #[schema(example = "Sang Pemimpi")]
    title: String,
}

/// A suggested call number.
#[derive(Debug, Serialize, ToSchema)]
pub struct Suggestion {
    #[schema(example = "899.221 HIR p")]
    call_number: String,
}

/// Suggest a call number (staff): DDC class, the first three letters of the main author's
/// surname in capitals, the title's first letter (articles skipped) in lower case.
#[utoipa::path(post, path = "/call-numbers/suggest", tag = "print", request_body = SuggestInput,
    responses((status = 200, body = Suggestion), (status = 422, description = "`classification` is not a DDC class", body = Problem)),
    security(("bearer" = []), ("cookie" = [])))]
async fn suggest_call_number(_: Auth, Json(input): Json<SuggestInput>) -> Result<Json<Suggestion>> {
    let mut f = Fields::new();
    let class = f.check("classification", check_ddc(&input.classification));
    if input.title.trim().is_empty() {
        f.add("title", "required", "Title is required.");
    }
    f.finish()?;
    Ok(Json(Suggestion { call_number: suggest(&class.expect("checked"), &input.authors, &input.title) }))
}

/// A named label sheet.
#[derive(Debug, Serialize, ToSchema)]
pub struct SheetInfo {
    name: &'static str,
    description: &'static str,
    grid: Grid,
    per_sheet: usize,
}

/// The named label sheets (staff).
#[utoipa::path(get, path = "/print/sheets", tag = "print",
    responses((status = 200, body = Vec<SheetInfo>), (status = 403, body = Problem)),
    security(("bearer" = []), ("cookie" = [])))]
async fn list_sheets(_: Auth) -> Json<Vec<SheetInfo>> {
    Json(
        PRESETS
            .iter()
            .map(|p| SheetInfo {
                name: p.name,
                description: p.description,
                grid: p.grid,
                per_sheet: p.grid.per_sheet(),
            })
            .collect(),
    )
}

/// The latest 20 import runs that added copies, newest first (staff): what `import_id` prints.
#[utoipa::path(get, path = "/print/imports", tag = "print",
    responses((status = 200, body = Vec<ImportRun>), (status = 403, body = Problem)),
    security(("bearer" = []), ("cookie" = [])))]
async fn list_imports(State(s): State<AppState>, _: Auth) -> Result<Json<Vec<ImportRun>>> {
    Ok(Json(s.store.imports_with_copies(20).await?))
}

fn default_kind() -> LabelKind {
    LabelKind::Both
}

/// Which labels to print, on what.
#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct LabelsInput {
    /// The copies, by barcode, in print order (1–1000). Leave out with `added_on`.
    #[serde(default)]
    #[schema(example = json!(["B000001", "B000002"]))]
    barcodes: Vec<String>,
    /// Instead of `barcodes`: every copy added on this day (the library's calendar), oldest first.
    added_on: Option<NaiveDate>,
    /// Instead of `barcodes`: every copy an import run added (its `import_id`, see `GET /print/imports`), oldest first.
    import_id: Option<i64>,
    /// With `added_on` or `import_id` naming more than 1000 copies: which thousand to print
    /// (1 is the first 1000, 2 the next, …), one PDF per part.
    #[schema(minimum = 1)]
    part: Option<usize>,
    /// `barcode`, `spine` or `both` (default).
    #[serde(default = "default_kind")]
    kind: LabelKind,
    /// A named sheet (see `GET /print/sheets`), default `a4-3x8`; ignored when `grid` is given.
    #[schema(example = "103")]
    sheet: Option<String>,
    /// A sheet of one's own: an A4 grid in millimetres.
    grid: Option<Grid>,
    /// The place of the first label on the first sheet, from 1 (the places before it are used).
    #[schema(example = 1, minimum = 1)]
    start: Option<i64>,
}

/// Barcode and spine labels as an A4 PDF (staff).
#[utoipa::path(post, path = "/print/labels", tag = "print", request_body = LabelsInput, params(PrintQuery),
    responses((status = 200, description = "the labels", content_type = "application/pdf", body = Vec<u8>),
        (status = 422, description = "an unknown barcode, too many, a bad sheet or start; `errors` names the field", body = Problem)),
    security(("bearer" = []), ("cookie" = [])))]
async fn print_labels(
    State(s): State<AppState>,
    _: Auth,
    Query(q): Query<PrintQuery>,
    Json(input): Json<LabelsInput>,
) -> Result<Response> {
    // A slot of this replica's for making PDFs, held until this one is made (see `super::limits`).
    let _slot = s.work.print_slot()?;
    let mut f = Fields::new();
    let grid = match (&input.grid, input.sheet.as_deref()) {
        (Some(g), _) => match g.check() {
            Ok(()) => Some(*g),
            Err((field, e)) => {
                f.add(&format!("grid.{field}"), e.code, e.message);
                None
            }
        },
        (None, name) => {
            let name = name.unwrap_or("a4-3x8");
            let g = Grid::preset(name);
            if g.is_none() {
                let names: Vec<&str> = PRESETS.iter().map(|p| p.name).collect();
                f.add("sheet", "unknown_sheet", format!("no sheet {name:?}; the sheets are {}", names.join(", ")));
            }
            g
        }
    };
    let start = input.start.unwrap_or(1);
    if let Some(g) = &grid {
        if start < 1 || start > g.per_sheet() as i64 {
            f.add(
                "start",
                "out_of_range",
                format!("start must be from 1 to {} (the labels on one sheet)", g.per_sheet()),
            );
        }
    }
    if input.barcodes.len() > MAX_ITEMS {
        f.add(
            "barcodes",
            "too_many",
            format!("at most {MAX_ITEMS} labels at once; {} were asked", input.barcodes.len()),
        );
    }
    let mut barcodes = Vec::new();
    if input.barcodes.len() <= MAX_ITEMS {
        for (i, b) in input.barcodes.iter().enumerate() {
            match Barcode::parse(b) {
                Ok(b) => barcodes.push(b),
                Err(e) => f.add(&format!("barcodes[{i}]"), e.code, e.message),
            }
        }
    }
    let ways = usize::from(!input.barcodes.is_empty())
        + usize::from(input.added_on.is_some())
        + usize::from(input.import_id.is_some());
    if ways == 0 {
        f.add("barcodes", "required", "name the copies (barcodes), a day (added_on) or an import (import_id)");
    } else if ways > 1 {
        f.add("barcodes", "one_source", "give one of barcodes, added_on and import_id");
    }
    if input.part == Some(0) {
        f.add("part", "out_of_range", "parts are counted from 1");
    } else if input.part.is_some() && !input.barcodes.is_empty() {
        f.add("part", "one_source", "a part is of the copies of a day (added_on) or of an import (import_id)");
    }
    f.finish()?;
    let stored = |list: Vec<String>| -> Result<Vec<Barcode>> {
        list.iter()
            .map(|b| Barcode::parse(b).map_err(|e| ApiError::Internal(anyhow::anyhow!("stored barcode {b:?}: {e}"))))
            .collect()
    };
    let chosen = match (input.added_on, input.import_id) {
        (Some(day), _) => Some(("added_on", stored(s.store.barcodes_added_on(day).await?)?, format!("on {day}"))),
        (_, Some(id)) => match s.store.barcodes_of_import(id).await? {
            Some(list) => Some(("import_id", stored(list)?, format!("by import {id}"))),
            None => {
                return Err(ApiError::field(
                    "import_id",
                    ValidationError::new("unknown_import", format!("there is no import {id}")),
                ))
            }
        },
        _ => None,
    };
    if let Some((field, list, when)) = chosen {
        if list.is_empty() {
            return Err(ApiError::field(
                field,
                ValidationError::new("nothing_to_print", format!("no copy was added {when}")),
            ));
        }
        let parts = list.len().div_ceil(MAX_ITEMS);
        let list = match input.part {
            None if parts > 1 => {
                return Err(ApiError::field(
                    field,
                    ValidationError::new(
                        "too_many",
                        format!(
                            "{} copies were added {when}: at most {MAX_ITEMS} labels at once; print them in {parts} parts (part 1 to {parts})",
                            list.len()
                        ),
                    ),
                ))
            }
            None => list,
            Some(p) if p > parts => {
                return Err(ApiError::field(
                    "part",
                    ValidationError::new(
                        "out_of_range",
                        format!("{} copies were added {when}: {parts} parts of {MAX_ITEMS} at most", list.len()),
                    ),
                ))
            }
            Some(p) => list.into_iter().skip((p - 1) * MAX_ITEMS).take(MAX_ITEMS).collect(),
        };
        barcodes = list;
    }
    let copies = match s.store.label_copies(&barcodes).await? {
        Ok(c) => c,
        Err(i) => {
            return Err(ApiError::field(
                &format!("barcodes[{i}]"),
                ValidationError::new("unknown_barcode", format!("no copy has the barcode {}", barcodes[i].as_str())),
            ))
        }
    };
    let letterhead = letterhead(&s, q.lang).await?;
    let copies: Vec<print::LabelCopy> = copies
        .into_iter()
        .map(|c| print::LabelCopy { barcode: c.barcode, title: c.title, call_number: c.call_number })
        .collect();
    let grid = grid.expect("checked");
    let bytes = tokio::task::spawn_blocking(move || {
        print::labels(&letterhead, &copies, input.kind, &grid, (start - 1) as usize)
    })
    .await
    .map_err(|e| ApiError::Internal(e.into()))?;
    Ok(pdf(bytes, tr(q.lang.unwrap_or_default(), "label.pdf", "labels.pdf")))
}

/// Whose cards to print.
#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct CardsInput {
    /// Card numbers, in print order (1–1000).
    #[schema(example = json!(["P00000018"]))]
    card_numbers: Vec<String>,
}

/// The letterhead: the identity, the logo as a picture (a PNG read, an SVG drawn) and the language.
pub(super) async fn letterhead(s: &AppState, lang: Option<Language>) -> Result<Letterhead> {
    let identity = s.store.library().await?;
    let logo = match s.store.library_logo().await? {
        Some(l) if l.content_type == "image/png" => Picture::png(&l.bytes).ok(),
        Some(l) if l.content_type == "image/svg+xml" => {
            tokio::task::spawn_blocking(move || Picture::svg(&l.bytes).ok())
                .await
                .map_err(|e| ApiError::Internal(e.into()))?
        }
        _ => None,
    };
    Ok(Letterhead { name: identity.name, address: identity.address, logo, lang: lang.unwrap_or_default() })
}

/// Member cards as an A4 PDF, ten ID-1 cards (85.6 × 54 mm) a sheet with cut marks (staff).
#[utoipa::path(post, path = "/print/cards", tag = "print", request_body = CardsInput, params(PrintQuery),
    responses((status = 200, description = "the cards", content_type = "application/pdf", body = Vec<u8>),
        (status = 422, description = "an unknown card number, or too many", body = Problem)),
    security(("bearer" = []), ("cookie" = [])))]
async fn print_cards(
    State(s): State<AppState>,
    _: Auth,
    Query(q): Query<PrintQuery>,
    Json(input): Json<CardsInput>,
) -> Result<Response> {
    let _slot = s.work.print_slot()?;
    if input.card_numbers.is_empty() {
        return Err(ApiError::field("card_numbers", ValidationError::required("card_numbers")));
    }
    if input.card_numbers.len() > MAX_ITEMS {
        return Err(ApiError::field(
            "card_numbers",
            ValidationError::new(
                "too_many",
                format!("at most {MAX_ITEMS} cards at once; {} were asked", input.card_numbers.len()),
            ),
        ));
    }
    let cards: Vec<String> = input.card_numbers.iter().map(|c| c.trim().to_uppercase()).collect();
    let members = match s.store.card_members(&cards).await? {
        Ok(m) => m,
        Err(i) => {
            return Err(ApiError::field(
                &format!("card_numbers[{i}]"),
                ValidationError::new(
                    "unknown_card",
                    format!("no member has the card number {}", input.card_numbers[i]),
                ),
            ))
        }
    };
    let mut printed = Vec::with_capacity(members.len());
    for m in members {
        let photo = match s.store.member_photo(m.id).await? {
            Some(p) if p.content_type == "image/png" => Picture::png(&p.bytes).ok(),
            Some(p) if p.content_type == "image/jpeg" => Picture::jpeg(&p.bytes).ok(),
            _ => None,
        };
        printed.push(print::CardMember {
            card_number: m.card_number,
            name: m.name,
            category: m.category_name,
            valid_until: m.expires_on,
            photo,
        });
    }
    let head = letterhead(&s, q.lang).await?;
    let bytes = tokio::task::spawn_blocking(move || print::cards(&head, &printed))
        .await
        .map_err(|e| ApiError::Internal(e.into()))?;
    Ok(pdf(bytes, tr(head_lang(q.lang), "kartu-anggota.pdf", "member-cards.pdf")))
}

/// A member's photo as stored (staff): a PNG of the pixels uploaded.
#[utoipa::path(get, path = "/members/{id}/photo", tag = "print", params(("id" = i64, Path)),
    responses((status = 200, description = "the photo, a PNG (a photo uploaded before JPEGs were normalised may still be the JPEG sent, image/jpeg)", content_type = "image/png"), (status = 404, body = Problem)),
    security(("bearer" = []), ("cookie" = [])))]
async fn get_photo(State(s): State<AppState>, _: Auth, Path(id): Path<i64>) -> Result<Response> {
    let photo = s.store.member_photo(id).await?.ok_or(ApiError::NotFound("photo"))?;
    let mut res = photo.bytes.into_response();
    let ct = HeaderValue::from_str(&photo.content_type).unwrap_or(HeaderValue::from_static("application/octet-stream"));
    res.headers_mut().insert(header::CONTENT_TYPE, ct);
    Ok(res)
}

/// Upload a member's photo for their card (staff): the body is the PNG or JPEG file itself, at
/// most 256 KiB. It is stored and served as a plain PNG of its pixels (at most 4 million).
#[utoipa::path(put, path = "/members/{id}/photo", tag = "print", params(("id" = i64, Path)),
    request_body(content = Vec<u8>, content_type = "image/jpeg", description = "a JPEG or PNG, at most 256 KiB; stored as a PNG"),
    responses((status = 204), (status = 404, body = Problem), (status = 422, description = "`photo`: not an image, or too large", body = Problem)),
    security(("bearer" = []), ("cookie" = [])))]
async fn put_photo(
    State(s): State<AppState>,
    Auth(who): Auth,
    Path(id): Path<i64>,
    headers: HeaderMap,
    body: Bytes,
) -> Result<StatusCode> {
    let image = check_image("photo", &headers, &body, false)?;
    s.store.set_member_photo(&who.actor(), id, Some(&image)).await?;
    Ok(StatusCode::NO_CONTENT)
}

/// Remove a member's photo (staff).
#[utoipa::path(delete, path = "/members/{id}/photo", tag = "print", params(("id" = i64, Path)),
    responses((status = 204), (status = 404, body = Problem)),
    security(("bearer" = []), ("cookie" = [])))]
async fn delete_photo(State(s): State<AppState>, Auth(who): Auth, Path(id): Path<i64>) -> Result<StatusCode> {
    s.store.set_member_photo(&who.actor(), id, None).await?;
    Ok(StatusCode::NO_CONTENT)
}

fn head_lang(lang: Option<Language>) -> Language {
    lang.unwrap_or_default()
}

/// The day an instant falls on at the library, written in `lang` (`27 Des 2026`, `27 Dec 2026`).
fn day(s: &AppState, at: chrono::DateTime<chrono::Utc>, lang: Language) -> String {
    crate::domain::notices::format_date(s.store.today(at), lang)
}

/// A fine payment's receipt as a small PDF, 80 mm wide (staff, or the member who paid).
#[utoipa::path(get, path = "/print/receipts/{id}", tag = "print", params(("id" = i64, Path, description = "the payment"), PrintQuery),
    responses((status = 200, description = "the receipt", content_type = "application/pdf", body = Vec<u8>),
        (status = 403, body = Problem), (status = 404, body = Problem)),
    security(("bearer" = []), ("cookie" = [])))]
async fn print_receipt(
    State(s): State<AppState>,
    Auth(who): Auth,
    Path(id): Path<i64>,
    Query(q): Query<PrintQuery>,
) -> Result<Response> {
    use print::SlipLine::*;
    let _slot = s.work.print_slot()?;
    let p = s.store.payment(&who.actor(), id).await?;
    let rp = crate::domain::format_rupiah;
    let l = head_lang(q.lang);
    let t = |id: &'static str, en: &'static str| tr(l, id, en).to_owned();
    let mut lines = vec![
        Heading(t("KUITANSI PEMBAYARAN DENDA", "FINE PAYMENT RECEIPT")),
        Pair(t("Nomor", "Number"), format!("P-{:06}", p.id)),
        Pair(t("Tanggal", "Date"), day(&s, p.paid_at, l)),
        Pair(t("Anggota", "Member"), p.member_name.clone()),
        Pair(t("Nomor kartu", "Card number"), p.card_number.clone()),
        Pair(
            t("Denda", "Fine"),
            match p.reason.as_str() {
                "overdue" => t("terlambat", "overdue"),
                "lost" => t("buku hilang", "lost book"),
                "damaged" => t("buku rusak", "damaged book"),
                other => other.to_owned(),
            },
        ),
    ];
    if let Some(t) = &p.title {
        lines.push(Text(t.clone()));
    }
    lines.extend([
        Rule,
        Pair(t("Jumlah denda", "Fine amount"), rp(p.fine_amount)),
        Pair(t("Dibayar", "Paid"), rp(p.amount)),
        Pair(t("Sisa denda", "Still owed"), rp(p.outstanding_after)),
        Rule,
        Pair(t("Diterima oleh", "Received by"), p.received_by.clone()),
    ]);
    let head = letterhead(&s, q.lang).await?;
    Ok(pdf(print::slip(&head, &lines), &format!("{}-P{:06}.pdf", tr(l, "kuitansi", "receipt"), p.id)))
}

/// Which loans a slip lists.
#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct LoanSlipInput {
    /// Loans of one member (1–50), e.g. those just lent at the desk.
    #[schema(example = json!([12, 13]))]
    loan_ids: Vec<i64>,
}

/// A loan slip with the due dates, as a small PDF 80 mm wide (staff).
#[utoipa::path(post, path = "/print/loan-slip", tag = "print", request_body = LoanSlipInput, params(PrintQuery),
    responses((status = 200, description = "the slip", content_type = "application/pdf", body = Vec<u8>),
        (status = 422, description = "no loans, too many, an unknown one, or loans of several members", body = Problem)),
    security(("bearer" = []), ("cookie" = [])))]
async fn print_loan_slip(
    State(s): State<AppState>,
    Auth(who): Auth,
    Query(q): Query<PrintQuery>,
    Json(input): Json<LoanSlipInput>,
) -> Result<Response> {
    use print::SlipLine::*;
    let _slot = s.work.print_slot()?;
    let l = head_lang(q.lang);
    let t = |id: &'static str, en: &'static str| tr(l, id, en).to_owned();
    if input.loan_ids.is_empty() || input.loan_ids.len() > 50 {
        return Err(ApiError::field("loan_ids", ValidationError::new("out_of_range", "list 1 to 50 loans")));
    }
    let mut loans = Vec::with_capacity(input.loan_ids.len());
    for (i, id) in input.loan_ids.iter().enumerate() {
        match s.store.loan(&who.actor(), *id).await {
            Ok(l) => loans.push(l),
            Err(crate::store::error::StoreError::NotFound(_)) => {
                return Err(ApiError::field(
                    &format!("loan_ids[{i}]"),
                    ValidationError::new("unknown_loan", format!("no loan {id}")),
                ))
            }
            Err(e) => return Err(e.into()),
        }
    }
    if loans.iter().any(|l| l.member_id != loans[0].member_id) {
        return Err(ApiError::field(
            "loan_ids",
            ValidationError::new("several_members", "a slip lists the loans of one member"),
        ));
    }
    let mut lines = vec![
        Heading(t("BUKTI PEMINJAMAN", "LOAN SLIP")),
        Pair(t("Anggota", "Member"), loans[0].member_name.clone()),
        Pair(t("Nomor kartu", "Card number"), loans[0].card_number.clone()),
        Pair(t("Tanggal pinjam", "Lent on"), day(&s, loans[0].loaned_at, l)),
        Rule,
    ];
    for loan in &loans {
        lines.push(Text(loan.title.clone()));
        lines.push(Pair(loan.barcode.clone(), format!("{} {}", t("kembali", "due"), day(&s, loan.due_at, l))));
    }
    lines.extend([
        Rule,
        Text(t("Harap dikembalikan paling lambat", "Please return by the date")),
        Text(t("tanggal tersebut. Terima kasih.", "shown. Thank you.")),
    ]);
    let head = letterhead(&s, q.lang).await?;
    Ok(pdf(print::slip(&head, &lines), tr(l, "bukti-pinjam.pdf", "loan-slip.pdf")))
}
