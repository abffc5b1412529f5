//! Copy cataloguing (staff): `/api/v1/copy-cataloguing` looks an ISBN up in this catalogue and in
//! the other catalogues set by the admin (`/api/v1/catalogue-sources`); covers
//! (`/api/v1/covers/{isbn}`, `/api/v1/books/{id}/cover`).

use axum::{
    body::Bytes,
    extract::State,
    http::{header, HeaderMap, HeaderValue, StatusCode},
    response::{IntoResponse, Response},
};
use serde::{Deserialize, Serialize};
use utoipa::{IntoParams, ToSchema};
use utoipa_axum::{router::OpenApiRouter, routes};

use super::{
    error::{ApiError, Fields, Problem, Result},
    extract::{Auth, Json, Path, Query},
    print::{check_image, LOGO_CSP},
    AppState,
};
use crate::{
    copycat::{SourceAnswer, Wanted},
    domain::{Isbn, ShortText, ValidationError},
    model::Book,
    store::{
        copycat::{CatalogueSource, SourceInput, SourceKind, SourceUrl, TIMEOUT_MS},
        print::Image,
        PageRequest,
    },
};

pub fn router() -> OpenApiRouter<AppState> {
    let routes = OpenApiRouter::new()
        .routes(routes!(lookup))
        .routes(routes!(list_sources, add_source))
        .routes(routes!(update_source, delete_source))
        .routes(routes!(isbn_cover))
        .routes(routes!(get_book_cover, put_book_cover, delete_book_cover));
    super::limits::body_limit(routes, super::print::MAX_IMAGE + 4096)
}

/// What to look up.
#[derive(Debug, Deserialize, IntoParams)]
#[into_params(parameter_in = Query)]
pub struct LookupQuery {
    /// An ISBN-13 or ISBN-10, with or without hyphens (as a scanner reads the barcode).
    #[param(example = "9789799731234")]
    isbn: Option<String>,
    /// Instead of an ISBN: words of the title or the author, 2 to 200 characters (answers of a
    /// search by words are not kept).
    #[param(example = "laskar pelangi")]
    q: Option<String>,
    /// `true`: ask every source again instead of giving what it answered before.
    #[serde(default)]
    refresh: bool,
}

/// What every source answered for an ISBN.
#[derive(Debug, Serialize, ToSchema)]
pub struct LookupAnswer {
    /// The ISBN-13 looked up (`null` for a search by words).
    #[schema(example = "9789799731234")]
    pub isbn: Option<String>,
    /// The words looked up (`null` for an ISBN).
    pub q: Option<String>,
    /// Books of this library with this ISBN already.
    pub local: Vec<Book>,
    /// Each enabled source, in the admin page's order.
    pub sources: Vec<SourceAnswer>,
    /// Where the cover kept for this ISBN is, when one is (`/api/v1/covers/{isbn}`); a cover
    /// found just now is fetched in the background and is there a moment later.
    pub cover: Option<String>,
}

/// Look an ISBN (or words of a title or author, `q`) up in this catalogue and in the other
/// catalogues (staff). Sources are asked at once, each within its own time limit; what a source
/// answered before for an ISBN is given again without asking it (`cached`), so a lookup repeated
/// works with every source down. A source that fails or is slow never holds up the others: its
/// `status` says so.
#[utoipa::path(get, path = "/copy-cataloguing", tag = "catalogue", params(LookupQuery),
    responses((status = 200, body = LookupAnswer), (status = 403, body = Problem), (status = 422, description = "`isbn`: not an ISBN", body = Problem)),
    security(("bearer" = []), ("cookie" = [])))]
async fn lookup(State(s): State<AppState>, _: Auth, Query(q): Query<LookupQuery>) -> Result<Json<LookupAnswer>> {
    let wanted = match (q.isbn.as_deref().map(str::trim).filter(|v| !v.is_empty()), q.q.as_deref().map(str::trim)) {
        (Some(isbn), None) => Wanted::Isbn(Isbn::parse(isbn).map_err(|e| ApiError::field("isbn", e))?),
        (None, Some(words)) => {
            let n = words.chars().count();
            if !(2..=200).contains(&n) {
                return Err(ApiError::field(
                    "q",
                    ValidationError::new("out_of_range", "search words are 2 to 200 characters"),
                ));
            }
            Wanted::Words(words.split_whitespace().collect::<Vec<_>>().join(" "))
        }
        (Some(_), Some(_)) => {
            return Err(ApiError::field("q", ValidationError::new("invalid", "give an ISBN or words (q), not both")))
        }
        (None, None) => return Err(ApiError::field("isbn", ValidationError::required("isbn"))),
    };
    let local_query = match &wanted {
        Wanted::Isbn(i) => i.as_str().to_owned(),
        Wanted::Words(w) => w.clone(),
    };
    let (local, sources) = tokio::join!(
        s.store.search_books(Some(&local_query), PageRequest { page: 1, per_page: 5 }),
        s.lookup.lookup(&s.store, &wanted, q.refresh)
    );
    let (isbn, words, cover) = match &wanted {
        Wanted::Isbn(i) => {
            let cover = s.store.has_isbn_cover(i.as_str()).await?.then(|| format!("/api/v1/covers/{}", i.as_str()));
            (Some(i.as_str().to_owned()), None, cover)
        }
        Wanted::Words(w) => (None, Some(w.clone()), None),
    };
    Ok(Json(LookupAnswer { isbn, q: words, local: local?.items, sources: sources?, cover }))
}

/// A catalogue source to add or change.
#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct SourceBody {
    #[schema(example = "SLiMS SMA Negeri 1")]
    name: String,
    kind: SourceKind,
    /// `sru`: the server's endpoint (SRU 1.2 parameters are added; an address with `{isbn}` in it
    /// is used as written). `slims`: the OPAC's address. `openlibrary`: `https://openlibrary.org/`.
    #[schema(example = "https://opac.example.sch.id/")]
    url: String,
    #[serde(default = "yes")]
    enabled: bool,
    /// Order in the page, lowest first (default 0).
    #[serde(default)]
    position: i32,
    /// How long a lookup waits for this source: 200 to 20000 ms (default 3000).
    #[serde(default = "three_seconds")]
    timeout_ms: i32,
}

fn yes() -> bool {
    true
}

fn three_seconds() -> i32 {
    3000
}

fn parse_source(b: SourceBody) -> Result<SourceInput> {
    let mut f = Fields::new();
    let name = f.check("name", ShortText::parse_field("Name", &b.name));
    let url = f.check("url", SourceUrl::parse(&b.url, b.kind));
    if !TIMEOUT_MS.contains(&b.timeout_ms) {
        f.add(
            "timeout_ms",
            "out_of_range",
            format!("timeout_ms must be from {} to {}", TIMEOUT_MS.start(), TIMEOUT_MS.end()),
        );
    }
    if !(-1000..=1000).contains(&b.position) {
        f.add("position", "out_of_range", "position must be from -1000 to 1000");
    }
    f.finish()?;
    Ok(SourceInput {
        name: name.expect("checked"),
        kind: b.kind,
        url: url.expect("checked"),
        enabled: b.enabled,
        position: b.position,
        timeout_ms: b.timeout_ms,
    })
}

/// The catalogues a new book is looked up in (staff).
#[utoipa::path(get, path = "/catalogue-sources", tag = "catalogue",
    responses((status = 200, body = Vec<CatalogueSource>), (status = 403, body = Problem)),
    security(("bearer" = []), ("cookie" = [])))]
async fn list_sources(State(s): State<AppState>, _: Auth) -> Result<Json<Vec<CatalogueSource>>> {
    Ok(Json(s.store.catalogue_sources().await?))
}

/// Add a catalogue to look new books up in (admin).
#[utoipa::path(post, path = "/catalogue-sources", tag = "catalogue", request_body = SourceBody,
    responses((status = 201, body = CatalogueSource), (status = 403, body = Problem), (status = 409, description = "`name` taken", body = Problem), (status = 422, body = Problem)),
    security(("bearer" = []), ("cookie" = [])))]
async fn add_source(
    State(s): State<AppState>,
    Auth(who): Auth,
    Json(body): Json<SourceBody>,
) -> Result<(StatusCode, Json<CatalogueSource>)> {
    let input = parse_source(body)?;
    Ok((StatusCode::CREATED, Json(s.store.add_catalogue_source(&who.actor(), &input).await?)))
}

/// Change a catalogue source (admin). Another address or kind forgets what it answered.
#[utoipa::path(put, path = "/catalogue-sources/{id}", tag = "catalogue", request_body = SourceBody,
    params(("id" = i64, Path)),
    responses((status = 200, body = CatalogueSource), (status = 403, body = Problem), (status = 404, body = Problem), (status = 409, body = Problem), (status = 422, body = Problem)),
    security(("bearer" = []), ("cookie" = [])))]
async fn update_source(
    State(s): State<AppState>,
    Auth(who): Auth,
    Path(id): Path<i64>,
    Json(body): Json<SourceBody>,
) -> Result<Json<CatalogueSource>> {
    let input = parse_source(body)?;
    Ok(Json(s.store.update_catalogue_source(&who.actor(), id, &input).await?))
}

/// Remove a catalogue source and what it answered (admin).
#[utoipa::path(delete, path = "/catalogue-sources/{id}", tag = "catalogue", params(("id" = i64, Path)),
    responses((status = 204), (status = 403, body = Problem), (status = 404, body = Problem)),
    security(("bearer" = []), ("cookie" = [])))]
async fn delete_source(State(s): State<AppState>, Auth(who): Auth, Path(id): Path<i64>) -> Result<StatusCode> {
    s.store.delete_catalogue_source(&who.actor(), id).await?;
    Ok(StatusCode::NO_CONTENT)
}

fn png(image: Image) -> Response {
    let mut res = image.bytes.into_response();
    let h = res.headers_mut();
    h.insert(header::CONTENT_TYPE, HeaderValue::from_static("image/png"));
    h.insert(header::CONTENT_SECURITY_POLICY, HeaderValue::from_static(LOGO_CSP));
    h.insert(header::CACHE_CONTROL, HeaderValue::from_static("public, max-age=300"));
    res
}

/// The cover found for an ISBN (public: the catalogue shows it), a plain PNG.
#[utoipa::path(get, path = "/covers/{isbn}", tag = "catalogue", params(("isbn" = String, Path)),
    responses((status = 200, description = "the cover", content_type = "image/png"), (status = 404, body = Problem), (status = 422, body = Problem)))]
async fn isbn_cover(State(s): State<AppState>, Path(isbn): Path<String>) -> Result<Response> {
    let isbn = Isbn::parse(&isbn).map_err(|e| ApiError::field("isbn", e))?;
    Ok(png(s.store.isbn_cover(isbn.as_str()).await?.ok_or(ApiError::NotFound("cover"))?))
}

/// A book's cover (public): its own, else the one found for its ISBN; a plain PNG.
#[utoipa::path(get, path = "/books/{id}/cover", tag = "catalogue", params(("id" = i64, Path)),
    responses((status = 200, description = "the cover", content_type = "image/png"), (status = 404, body = Problem)))]
async fn get_book_cover(State(s): State<AppState>, Path(id): Path<i64>) -> Result<Response> {
    Ok(png(s.store.book_cover(id).await?.ok_or(ApiError::NotFound("cover"))?))
}

/// Upload a book's own cover (staff): the body is the PNG or JPEG itself, at most 256 KiB,
/// stored as a plain PNG of its pixels.
#[utoipa::path(put, path = "/books/{id}/cover", tag = "catalogue", params(("id" = i64, Path)),
    request_body(content = Vec<u8>, content_type = "image/png", description = "a PNG or JPEG, at most 256 KiB"),
    responses((status = 204), (status = 403, body = Problem), (status = 404, body = Problem), (status = 422, description = "`cover`: not an image, or too large", body = Problem)),
    security(("bearer" = []), ("cookie" = [])))]
async fn put_book_cover(
    State(s): State<AppState>,
    Auth(who): Auth,
    Path(id): Path<i64>,
    headers: HeaderMap,
    body: Bytes,
) -> Result<StatusCode> {
    let image = check_image("cover", &headers, &body, false)?;
    s.store.set_book_cover(&who.actor(), id, Some(&image.bytes)).await?;
    Ok(StatusCode::NO_CONTENT)
}

/// Remove a book's own cover (staff); the one found for its ISBN shows again, if any.
#[utoipa::path(delete, path = "/books/{id}/cover", tag = "catalogue", params(("id" = i64, Path)),
    responses((status = 204), (status = 403, body = Problem), (status = 404, body = Problem)),
    security(("bearer" = []), ("cookie" = [])))]
async fn delete_book_cover(State(s): State<AppState>, Auth(who): Auth, Path(id): Path<i64>) -> Result<StatusCode> {
    s.store.set_book_cover(&who.actor(), id, None).await?;
    Ok(StatusCode::NO_CONTENT)
}
