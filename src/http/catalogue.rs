//! `/api/v1/books` and `/api/v1/copies`: the catalogue. Reading is public; changing it is for staff.

use axum::{extract::State, http::StatusCode};
use chrono::Datelike;
use serde::{Deserialize, Serialize};
use utoipa::{IntoParams, ToSchema};
use utoipa_axum::{router::OpenApiRouter, routes};

use super::{
    collections::type_code,
    extract::{page_request, present, Auth, Json, Path, Query},
    AppState,
};
use crate::{
    domain::{
        callnumber::{check_call_number, check_ddc},
        circulation::check_price,
        Authors, Barcode, Identifiers, Isbn, LanguageCode, Notes, ShortText, Subjects, Title, ValidationError, Year,
    },
    http::error::{Fields, Result},
    model::{Book, Copy, CopyStatus, Items, Page},
    store::{
        catalogue::{BookExtra, BookPatch, CopyPatch, NewBook},
        search::{OpacFilters, OpacPage, OpacSort, PopularBook},
    },
};

pub fn router() -> OpenApiRouter<AppState> {
    OpenApiRouter::new()
        .routes(routes!(list_books, create_book))
        .routes(routes!(search_catalogue))
        .routes(routes!(most_borrowed))
        .routes(routes!(get_book, update_book, delete_book))
        .routes(routes!(fill_call_numbers))
        .routes(routes!(list_copies, add_copy))
        .routes(routes!(get_copy, update_copy, delete_copy))
}

/// Search and paging.
#[derive(Debug, Deserialize, IntoParams)]
#[into_params(parameter_in = Query)]
pub struct BookQuery {
    /// Words from the title, authors or subjects, or an ISBN.
    q: Option<String>,
    /// Page number, from 1.
    page: Option<i64>,
    /// Books per page, 1 to 100.
    per_page: Option<i64>,
}

/// Search the catalogue.
#[utoipa::path(get, path = "/books", tag = "catalogue", params(BookQuery),
    responses((status = 200, body = Page<Book>), (status = 422, body = super::error::Problem)))]
async fn list_books(State(s): State<AppState>, Query(q): Query<BookQuery>) -> Result<Json<Page<Book>>> {
    let page = page_request(q.page, q.per_page)?;
    Ok(Json(s.store.search_books(q.q.as_deref(), page).await?))
}

/// The public catalogue's search: words, filters, a sort and paging.
#[derive(Debug, Deserialize, IntoParams)]
#[into_params(parameter_in = Query)]
pub struct CatalogueQuery {
    /// Words from the title, authors or subjects, or an ISBN; left out: the newest books.
    q: Option<String>,
    /// Only books of this collection type (a code, `GET /collection-types`).
    collection_type: Option<String>,
    /// Only books of this DDC main class: its hundreds digit, `0` (000–099) to `9` (900–999).
    ddc: Option<i64>,
    /// Only books published this year.
    year: Option<i64>,
    /// Only books in this language (ISO 639 code, e.g. `id`).
    language: Option<String>,
    /// `true`: only books with a copy on the shelf now.
    available: Option<bool>,
    /// `relevance` (default), `newest`, `title` or `year`.
    sort: Option<String>,
    /// Page number, from 1.
    page: Option<i64>,
    /// Books per page, 1 to 100.
    per_page: Option<i64>,
}

/// Search the catalogue with facets (the public catalogue's search). Filters, facets and sorts
/// apply to a search's first 1000 matches (the best, or the newest when more match; without
/// words, the newest 1000 books): `total_capped` says when the matches were cut. Each facet counts
/// the results narrowed by the other filters.
#[utoipa::path(get, path = "/books/search", tag = "catalogue", params(CatalogueQuery),
    responses((status = 200, body = OpacPage), (status = 422, body = super::error::Problem)))]
async fn search_catalogue(State(s): State<AppState>, Query(q): Query<CatalogueQuery>) -> Result<Json<OpacPage>> {
    let page = page_request(q.page, q.per_page)?;
    let mut f = Fields::new();
    let collection_type =
        f.opt("collection_type", q.collection_type.filter(|c| !c.trim().is_empty()), |c| type_code(&c));
    let ddc = f.opt("ddc", q.ddc, |d| {
        u8::try_from(d).ok().filter(|d| *d <= 9).ok_or_else(|| ValidationError::out_of_range("ddc", 0, 9))
    });
    let year = f.opt("year", q.year, |y| {
        Some(y).filter(|y| (0..=9999).contains(y)).ok_or_else(|| ValidationError::out_of_range("year", 0, 9999))
    });
    let language = f.opt("language", q.language.filter(|l| !l.trim().is_empty()), |l| {
        LanguageCode::parse(&l).map(|l| l.as_str().to_owned())
    });
    let sort = f
        .opt("sort", q.sort.filter(|v| !v.trim().is_empty()), |v| match v.trim() {
            "relevance" => Ok(OpacSort::Relevance),
            "newest" => Ok(OpacSort::Newest),
            "title" => Ok(OpacSort::Title),
            "year" => Ok(OpacSort::Year),
            _ => Err(ValidationError::invalid_format("sort", "relevance, newest, title or year")),
        })
        .unwrap_or_default();
    f.finish()?;
    let filters = OpacFilters { collection_type, ddc, year, language, available: q.available.unwrap_or(false) };
    Ok(Json(s.store.opac_search(q.q.as_deref(), &filters, sort, page).await?))
}

/// The period and length of the "most borrowed" list.
#[derive(Debug, Deserialize, IntoParams)]
#[into_params(parameter_in = Query)]
pub struct PopularQuery {
    /// The last this many days, 1 to 366 (default 30: this month).
    days: Option<i64>,
    /// At most this many books, 1 to 50 (default 10).
    limit: Option<i64>,
}

/// The books lent most in the last days (the catalogue's "most borrowed this month"), most first.
#[utoipa::path(get, path = "/books/popular", tag = "catalogue", params(PopularQuery),
    responses((status = 200, body = Items<PopularBook>), (status = 422, body = super::error::Problem)))]
async fn most_borrowed(State(s): State<AppState>, Query(q): Query<PopularQuery>) -> Result<Json<Items<PopularBook>>> {
    let mut f = Fields::new();
    let days = f.opt("days", q.days, |d| {
        Some(d).filter(|d| (1..=366).contains(d)).ok_or_else(|| ValidationError::out_of_range("days", 1, 366))
    });
    let limit = f.opt("limit", q.limit, |l| {
        Some(l).filter(|l| (1..=50).contains(l)).ok_or_else(|| ValidationError::out_of_range("limit", 1, 50))
    });
    f.finish()?;
    Ok(Json(Items { items: s.store.most_borrowed(days.unwrap_or(30), limit.unwrap_or(10)).await? }))
}

/// A new book.
#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct BookInput {
    /// ISBN-13 or ISBN-10 (stored as ISBN-13); leave out for books without one.
    #[schema(example = "979-97312-3-2")]
    isbn: Option<String>,
    #[schema(example = "Cantik Itu Luka")]
    title: String,
    /// At least one.
    #[schema(example = json!(["Eka Kurniawan"]))]
    authors: Vec<String>,
    #[serde(default)]
    subjects: Vec<String>,
    publisher: Option<String>,
    year: Option<i32>,
    /// ISO 639 code, e.g. `id`.
    language: Option<String>,
    /// Edition statement, e.g. `Cet. 3`.
    edition: Option<String>,
    /// The spine label's call number, e.g. `899.221 KUR c`: up to four parts, the class (when it
    /// begins with a digit) a DDC class. Left out or empty with a `classification` that is a DDC
    /// class: suggested from it, the main author's surname and the title (`POST /call-numbers/suggest`).
    call_number: Option<String>,
    /// The DDC class, e.g. `899.221` (`2X0`–`2X9` for the Indonesian adaptation's Islam classes).
    classification: Option<String>,
    /// Physical description, e.g. `xii, 505 hlm. ; 21 cm`.
    collation: Option<String>,
    series: Option<String>,
    /// Free notes, up to 2000 characters; may span lines.
    notes: Option<String>,
    /// Other identifiers kept as given (ISSN, an ISBN that fails its checksum, a local number).
    #[serde(default)]
    identifiers: Vec<String>,
    /// Where the record came from, e.g. `slims:42`; unique.
    source_id: Option<String>,
    /// The code of the book's collection type (`GET /collection-types`), e.g. `fiksi`.
    #[schema(example = "fiksi")]
    collection_type: Option<String>,
}

/// A call number typed by hand (see [`check_call_number`]).
fn parse_call_number(v: &str) -> Result<ShortText, crate::domain::ValidationError> {
    ShortText::parse_field("Call number", &check_call_number(v)?)
}

/// A classification: a DDC class (see [`check_ddc`]).
fn parse_classification(v: &str) -> Result<ShortText, crate::domain::ValidationError> {
    ShortText::parse_field("Classification", &check_ddc(v)?)
}

/// Parses the optional descriptive fields of a book.
#[allow(clippy::too_many_arguments)]
fn parse_extra(
    f: &mut Fields,
    edition: Option<String>,
    call_number: Option<String>,
    classification: Option<String>,
    collation: Option<String>,
    series: Option<String>,
    notes: Option<String>,
    identifiers: Vec<String>,
    source_id: Option<String>,
) -> BookExtra {
    BookExtra {
        edition: f.opt("edition", edition, |v| ShortText::parse_field("Edition", &v)),
        call_number: f.opt("call_number", call_number, |v| parse_call_number(&v)),
        classification: f.opt("classification", classification, |v| parse_classification(&v)),
        collation: f.opt("collation", collation, |v| ShortText::parse_field("Collation", &v)),
        series: f.opt("series", series, |v| ShortText::parse_field("Series", &v)),
        notes: f.opt("notes", notes, |v| Notes::parse(&v)),
        identifiers: f.check("identifiers", Identifiers::parse(identifiers)).unwrap_or_default(),
        source_id: f.opt("source_id", source_id, |v| ShortText::parse_field("Source id", &v)),
        collection_type: None,
    }
}

impl BookInput {
    /// `this_year`: from the store's clock (a year may be at most next year).
    fn parse(self, this_year: i32) -> Result<NewBook> {
        let mut f = Fields::new();
        let isbn = f.opt("isbn", self.isbn.filter(|i| !i.trim().is_empty()), |i| Isbn::parse(&i));
        let title = f.check("title", Title::parse(&self.title));
        let authors = f.check("authors", Authors::parse(self.authors));
        let subjects = f.check("subjects", Subjects::parse(self.subjects));
        let publisher = f.opt("publisher", self.publisher, |p| ShortText::parse(&p));
        let year = f.opt("year", self.year, |y| Year::parse(y, this_year));
        let language = f.opt("language", self.language, |l| LanguageCode::parse(&l));
        let extra = parse_extra(
            &mut f,
            self.edition,
            self.call_number.filter(|c| !c.trim().is_empty()),
            self.classification,
            self.collation,
            self.series,
            self.notes,
            self.identifiers,
            self.source_id,
        );
        let collection_type =
            f.opt("collection_type", self.collection_type.filter(|c| !c.trim().is_empty()), |c| type_code(&c));
        f.finish()?;
        let (title, authors) = (title.expect("checked"), authors.expect("checked"));
        let extra = BookExtra { collection_type, ..extra };
        // No call number given: suggested from the class, the main author and the title.
        Ok(NewBook { isbn, title, authors, subjects: subjects.expect("checked"), publisher, year, language, extra }
            .with_suggested_call_number())
    }
}

/// Catalogue a book.
#[utoipa::path(post, path = "/books", tag = "catalogue", request_body = BookInput,
    responses((status = 201, body = Book), (status = 409, description = "duplicate ISBN", body = super::error::Problem),
        (status = 422, body = super::error::Problem)),
    security(("bearer" = []), ("cookie" = [])))]
async fn create_book(
    State(s): State<AppState>,
    Auth(who): Auth,
    Json(b): Json<BookInput>,
) -> Result<(StatusCode, Json<Book>)> {
    let book = s.store.create_book(&who.actor(), &b.parse(s.store.now().year())?).await?;
    Ok((StatusCode::CREATED, Json(book)))
}

/// One book.
#[utoipa::path(get, path = "/books/{id}", tag = "catalogue", params(("id" = i64, Path)),
    responses((status = 200, body = Book), (status = 404, body = super::error::Problem)))]
async fn get_book(State(s): State<AppState>, Path(id): Path<i64>) -> Result<Json<Book>> {
    Ok(Json(s.store.book(id).await?))
}

/// Changes to a book: send only the fields to change; `null` clears an optional one. A book
/// left without a call number (`null` or empty, or never given one) whose classification is a
/// DDC class gets the suggested one, as a new book does.
#[derive(Debug, Default, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct BookPatchInput {
    #[serde(default, deserialize_with = "present")]
    #[schema(value_type = Option<String>)]
    isbn: Option<Option<String>>,
    #[serde(default, deserialize_with = "present")]
    title: Option<String>,
    #[serde(default, deserialize_with = "present")]
    authors: Option<Vec<String>>,
    #[serde(default, deserialize_with = "present")]
    subjects: Option<Vec<String>>,
    #[serde(default, deserialize_with = "present")]
    #[schema(value_type = Option<String>)]
    publisher: Option<Option<String>>,
    #[serde(default, deserialize_with = "present")]
    #[schema(value_type = Option<i32>)]
    year: Option<Option<i32>>,
    #[serde(default, deserialize_with = "present")]
    #[schema(value_type = Option<String>)]
    language: Option<Option<String>>,
    #[serde(default, deserialize_with = "present")]
    #[schema(value_type = Option<String>)]
    edition: Option<Option<String>>,
    #[serde(default, deserialize_with = "present")]
    #[schema(value_type = Option<String>)]
    call_number: Option<Option<String>>,
    #[serde(default, deserialize_with = "present")]
    #[schema(value_type = Option<String>)]
    classification: Option<Option<String>>,
    #[serde(default, deserialize_with = "present")]
    #[schema(value_type = Option<String>)]
    collation: Option<Option<String>>,
    #[serde(default, deserialize_with = "present")]
    #[schema(value_type = Option<String>)]
    series: Option<Option<String>>,
    #[serde(default, deserialize_with = "present")]
    #[schema(value_type = Option<String>)]
    notes: Option<Option<String>>,
    /// Replaces the whole list.
    #[serde(default, deserialize_with = "present")]
    identifiers: Option<Vec<String>>,
    #[serde(default, deserialize_with = "present")]
    #[schema(value_type = Option<String>)]
    source_id: Option<Option<String>>,
    /// A collection type's code; `null` or empty clears it.
    #[serde(default, deserialize_with = "present")]
    #[schema(value_type = Option<String>)]
    collection_type: Option<Option<String>>,
}

/// Parses an optional field of a patch: absent stays absent, `null` clears.
pub(super) fn clearable<S, T>(
    f: &mut Fields,
    field: &str,
    v: Option<Option<S>>,
    parse: impl FnOnce(S) -> Result<T, crate::domain::ValidationError>,
) -> Option<Option<T>> {
    match v {
        None => None,
        Some(None) => Some(None),
        Some(Some(s)) => f.check(field, parse(s)).map(Some),
    }
}

/// Change a book.
#[utoipa::path(patch, path = "/books/{id}", tag = "catalogue", params(("id" = i64, Path)), request_body = BookPatchInput,
    responses((status = 200, body = Book), (status = 404, body = super::error::Problem), (status = 409, body = super::error::Problem),
        (status = 422, body = super::error::Problem)),
    security(("bearer" = []), ("cookie" = [])))]
async fn update_book(
    State(s): State<AppState>,
    Auth(who): Auth,
    Path(id): Path<i64>,
    Json(p): Json<BookPatchInput>,
) -> Result<Json<Book>> {
    let mut f = Fields::new();
    let patch = BookPatch {
        isbn: clearable(&mut f, "isbn", p.isbn, |i| Isbn::parse(&i)),
        title: f.opt("title", p.title, |t| Title::parse(&t)),
        authors: f.opt("authors", p.authors, Authors::parse),
        subjects: f.opt("subjects", p.subjects, Subjects::parse),
        publisher: clearable(&mut f, "publisher", p.publisher, |v| ShortText::parse(&v)),
        year: clearable(&mut f, "year", p.year, |y| Year::parse(y, s.store.now().year())),
        language: clearable(&mut f, "language", p.language, |v| LanguageCode::parse(&v)),
        edition: clearable(&mut f, "edition", p.edition, |v| ShortText::parse_field("Edition", &v)),
        // Empty is cleared: the store then suggests one from the class.
        call_number: clearable(&mut f, "call_number", p.call_number.map(|c| c.filter(|c| !c.trim().is_empty())), |v| {
            parse_call_number(&v)
        }),
        classification: clearable(&mut f, "classification", p.classification, |v| parse_classification(&v)),
        collation: clearable(&mut f, "collation", p.collation, |v| ShortText::parse_field("Collation", &v)),
        series: clearable(&mut f, "series", p.series, |v| ShortText::parse_field("Series", &v)),
        notes: clearable(&mut f, "notes", p.notes, |v| Notes::parse(&v)),
        identifiers: f.opt("identifiers", p.identifiers, Identifiers::parse),
        source_id: clearable(&mut f, "source_id", p.source_id, |v| ShortText::parse_field("Source id", &v)),
        collection_type: clearable(
            &mut f,
            "collection_type",
            p.collection_type.map(|c| c.filter(|c| !c.trim().is_empty())),
            |v| type_code(&v),
        ),
    };
    f.finish()?;
    Ok(Json(s.store.update_book(&who.actor(), id, &patch).await?))
}

/// How many books were given a call number.
#[derive(Debug, Serialize, ToSchema)]
pub struct CallNumbersFilled {
    #[schema(example = 1882)]
    filled: u64,
}

/// Give every book still without a call number the suggested one (admin): the rule of a new
/// book (DDC class, the main author's surname's first three letters, the title's first letter),
/// for books whose classification is a DDC class; others are left as they are.
#[utoipa::path(post, path = "/books/call-numbers", tag = "catalogue",
    responses((status = 200, body = CallNumbersFilled), (status = 403, body = super::error::Problem)),
    security(("bearer" = []), ("cookie" = [])))]
async fn fill_call_numbers(State(s): State<AppState>, Auth(who): Auth) -> Result<Json<CallNumbersFilled>> {
    Ok(Json(CallNumbersFilled { filled: s.store.fill_call_numbers(&who.actor()).await? }))
}

/// Delete a book that was never lent (with its copies).
#[utoipa::path(delete, path = "/books/{id}", tag = "catalogue", params(("id" = i64, Path)),
    responses((status = 204), (status = 404, body = super::error::Problem), (status = 409, body = super::error::Problem)),
    security(("bearer" = []), ("cookie" = [])))]
async fn delete_book(State(s): State<AppState>, Auth(who): Auth, Path(id): Path<i64>) -> Result<StatusCode> {
    s.store.delete_book(&who.actor(), id).await?;
    Ok(StatusCode::NO_CONTENT)
}

/// A book's copies.
#[utoipa::path(get, path = "/books/{id}/copies", tag = "catalogue", params(("id" = i64, Path)),
    responses((status = 200, body = Items<Copy>), (status = 404, body = super::error::Problem)))]
async fn list_copies(State(s): State<AppState>, Path(id): Path<i64>) -> Result<Json<Items<Copy>>> {
    Ok(Json(Items { items: s.store.copies_of(id).await? }))
}

/// A new copy.
#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct CopyInput {
    /// The label's code, as the scanner reads it; leave out (or empty) for the next automatic
    /// barcode (`GET /barcode-pattern`).
    #[schema(example = "B000123")]
    barcode: Option<String>,
    /// Shelf location.
    #[schema(example = "Rak A3")]
    location: Option<String>,
    /// What the copy cost, in rupiah (0–10.000.000): a lost copy is charged at its price.
    #[schema(example = 85000, minimum = 0, maximum = 10_000_000)]
    price: Option<i64>,
}

/// Add a copy of a book. While members wait for the book, the new copy goes to the hold shelf for
/// the first of them (status `on_hold_shelf`), not to the open shelves.
#[utoipa::path(post, path = "/books/{id}/copies", tag = "catalogue", params(("id" = i64, Path)), request_body = CopyInput,
    responses((status = 201, body = Copy), (status = 404, body = super::error::Problem),
        (status = 409, description = "duplicate barcode", body = super::error::Problem), (status = 422, body = super::error::Problem)),
    security(("bearer" = []), ("cookie" = [])))]
async fn add_copy(
    State(s): State<AppState>,
    Auth(who): Auth,
    Path(id): Path<i64>,
    Json(c): Json<CopyInput>,
) -> Result<(StatusCode, Json<Copy>)> {
    let mut f = Fields::new();
    let barcode = f.opt("barcode", c.barcode.filter(|b| !b.trim().is_empty()), |b| Barcode::parse(&b));
    let location = f.opt("location", c.location, |l| ShortText::parse(&l));
    let price = f.opt("price", c.price, check_price);
    f.finish()?;
    let copy = s.store.add_copy(&who.actor(), id, barcode.as_ref(), location.as_ref(), price).await?;
    Ok((StatusCode::CREATED, Json(copy)))
}

/// One copy, by barcode.
#[utoipa::path(get, path = "/copies/{barcode}", tag = "catalogue", params(("barcode" = String, Path)),
    responses((status = 200, body = Copy), (status = 404, body = super::error::Problem), (status = 422, body = super::error::Problem)))]
async fn get_copy(State(s): State<AppState>, Path(barcode): Path<String>) -> Result<Json<Copy>> {
    Ok(Json(copy_at(&s, &barcode).await?))
}

/// The copy a path's barcode names.
async fn copy_at(s: &AppState, barcode: &str) -> Result<Copy> {
    let barcode = Barcode::parse(barcode).map_err(|e| super::error::ApiError::field("barcode", e))?;
    Ok(s.store.copy_by_barcode(&barcode).await?)
}

/// Changes to a copy.
#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct CopyPatchInput {
    #[serde(default, deserialize_with = "present")]
    #[schema(value_type = Option<String>)]
    location: Option<Option<String>>,
    /// `available`, `lost` or `withdrawn`.
    #[serde(default, deserialize_with = "present")]
    status: Option<CopyStatus>,
    /// The price in rupiah (0–10.000.000); `null` clears it.
    #[serde(default, deserialize_with = "present")]
    #[schema(value_type = Option<i64>, minimum = 0, maximum = 10_000_000)]
    price: Option<Option<i64>>,
    /// The copy's own collection type (a code), overriding its book's; `null` or empty: the book's.
    #[serde(default, deserialize_with = "present")]
    #[schema(value_type = Option<String>)]
    collection_type: Option<Option<String>>,
}

/// Move a copy, set its price, or mark it lost, withdrawn or available again. A copy marked
/// available again goes to the hold shelf for the first member waiting for its book.
#[utoipa::path(patch, path = "/copies/{barcode}", tag = "catalogue", params(("barcode" = String, Path)), request_body = CopyPatchInput,
    responses((status = 200, body = Copy), (status = 404, body = super::error::Problem), (status = 409, body = super::error::Problem),
        (status = 422, body = super::error::Problem)),
    security(("bearer" = []), ("cookie" = [])))]
async fn update_copy(
    State(s): State<AppState>,
    Auth(who): Auth,
    Path(barcode): Path<String>,
    Json(p): Json<CopyPatchInput>,
) -> Result<Json<Copy>> {
    let mut f = Fields::new();
    let location = clearable(&mut f, "location", p.location, |l| ShortText::parse(&l));
    let price = clearable(&mut f, "price", p.price, check_price);
    let collection_type =
        clearable(&mut f, "collection_type", p.collection_type.map(|c| c.filter(|c| !c.trim().is_empty())), |v| {
            type_code(&v)
        });
    f.finish()?;
    let copy = copy_at(&s, &barcode).await?;
    let patch = CopyPatch { location, status: p.status, price, collection_type };
    Ok(Json(s.store.update_copy(&who.actor(), copy.id, &patch).await?))
}

/// Delete a copy that was never lent.
#[utoipa::path(delete, path = "/copies/{barcode}", tag = "catalogue", params(("barcode" = String, Path)),
    responses((status = 204), (status = 404, body = super::error::Problem), (status = 409, body = super::error::Problem)),
    security(("bearer" = []), ("cookie" = [])))]
async fn delete_copy(State(s): State<AppState>, Auth(who): Auth, Path(barcode): Path<String>) -> Result<StatusCode> {
    let copy = copy_at(&s, &barcode).await?;
    s.store.delete_copy(&who.actor(), copy.id).await?;
    Ok(StatusCode::NO_CONTENT)
}
