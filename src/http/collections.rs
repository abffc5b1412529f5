//! `/api/v1/collection-types` and `/api/v1/loan-rules`: collection types and the loan-rule
//! matrix (member category × collection type), issue #30. Staff read them; admins change them.

use axum::{extract::State, http::StatusCode};
use chrono::NaiveDate;
use serde::Deserialize;
use utoipa::ToSchema;
use utoipa_axum::{router::OpenApiRouter, routes};

use super::{
    error::Problem,
    extract::{Auth, Json, Path},
    AppState,
};
use crate::{
    domain::{loan_rules::LoanRule, Barcode, MemberRef, ShortText, ValidationError},
    http::error::{Fields, Result},
    model::Items,
    store::collections::{CollectionType, InLibraryUse, LoanRuleRow, Term},
};

pub fn router() -> OpenApiRouter<AppState> {
    OpenApiRouter::new()
        .routes(routes!(list_collection_types))
        .routes(routes!(put_collection_type, delete_collection_type))
        .routes(routes!(list_loan_rules))
        .routes(routes!(put_loan_rule, delete_loan_rule))
        .routes(routes!(list_terms, add_term))
        .routes(routes!(delete_term))
        .routes(routes!(record_in_library_use))
}

/// A code of a category or collection type: 1 to 32 letters, digits, `-` or `_`, lower-cased.
fn code(v: &str) -> std::result::Result<String, ValidationError> {
    let code = v.trim().to_lowercase();
    if code.is_empty() || code.len() > 32 || !code.chars().all(|c| c.is_ascii_alphanumeric() || c == '_' || c == '-') {
        return Err(ValidationError::new("invalid_format", "a code is 1 to 32 letters, digits, '-' or '_'"));
    }
    Ok(code)
}

/// A collection type's code as a book or copy names it (whether it exists is the store's check).
pub(super) fn type_code(v: &str) -> std::result::Result<String, ValidationError> {
    code(v)
}

/// The collection types (Fiksi, Nonfiksi, Referensi, Buku Paket, Terbitan Berkala, Audio-Visual, ...).
#[utoipa::path(get, path = "/collection-types", tag = "collections",
    responses((status = 200, body = Items<CollectionType>), (status = 401, body = Problem)),
    security(("bearer" = []), ("cookie" = [])))]
async fn list_collection_types(State(s): State<AppState>, _: Auth) -> Result<Json<Items<CollectionType>>> {
    Ok(Json(Items { items: s.store.collection_types().await? }))
}

/// A collection type (the code comes from the path).
#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct CollectionTypeInput {
    #[schema(example = "Buku Paket")]
    name: String,
    /// `false`: read in the library only ("baca di tempat"), never lent. Default `true`.
    #[serde(default = "yes")]
    loanable: bool,
}

fn yes() -> bool {
    true
}

/// Create or replace a collection type (admin).
#[utoipa::path(put, path = "/collection-types/{code}", tag = "collections", params(("code" = String, Path)),
    request_body = CollectionTypeInput,
    responses((status = 200, body = CollectionType), (status = 403, body = Problem), (status = 422, body = Problem)),
    security(("bearer" = []), ("cookie" = [])))]
async fn put_collection_type(
    State(s): State<AppState>,
    Auth(who): Auth,
    Path(c): Path<String>,
    Json(t): Json<CollectionTypeInput>,
) -> Result<Json<CollectionType>> {
    let mut f = Fields::new();
    let code = f.check("code", code(&c));
    let name = f.check("name", ShortText::parse(&t.name));
    f.finish()?;
    let t = CollectionType {
        code: code.expect("checked"),
        name: name.expect("checked").into_inner(),
        loanable: t.loanable,
    };
    Ok(Json(s.store.put_collection_type(&who.actor(), &t).await?))
}

/// Delete a collection type no book or copy has (admin); its loan rules go with it.
#[utoipa::path(delete, path = "/collection-types/{code}", tag = "collections", params(("code" = String, Path)),
    responses((status = 204), (status = 403, body = Problem), (status = 404, body = Problem), (status = 409, body = Problem)),
    security(("bearer" = []), ("cookie" = [])))]
async fn delete_collection_type(
    State(s): State<AppState>,
    Auth(who): Auth,
    Path(code): Path<String>,
) -> Result<StatusCode> {
    s.store.delete_collection_type(&who.actor(), code.trim()).await?;
    Ok(StatusCode::NO_CONTENT)
}

/// The loan-rule matrix: its rows. A category and collection type without a row lend by the
/// category's own rules (its default row).
#[utoipa::path(get, path = "/loan-rules", tag = "collections",
    responses((status = 200, body = Items<LoanRuleRow>), (status = 401, body = Problem)),
    security(("bearer" = []), ("cookie" = [])))]
async fn list_loan_rules(State(s): State<AppState>, _: Auth) -> Result<Json<Items<LoanRuleRow>>> {
    Ok(Json(Items { items: s.store.loan_rules().await? }))
}

/// Set how members of a category borrow copies of a collection type (admin). Left-out fields
/// (or `null`) take the category's own rule.
#[utoipa::path(put, path = "/loan-rules/{category}/{collection_type}", tag = "collections",
    params(("category" = String, Path), ("collection_type" = String, Path)), request_body = LoanRule,
    responses((status = 200, body = LoanRuleRow), (status = 403, body = Problem), (status = 404, body = Problem),
        (status = 422, body = Problem)),
    security(("bearer" = []), ("cookie" = [])))]
async fn put_loan_rule(
    State(s): State<AppState>,
    Auth(who): Auth,
    Path((category, collection_type)): Path<(String, String)>,
    Json(rule): Json<LoanRule>,
) -> Result<Json<LoanRuleRow>> {
    let mut f = Fields::new();
    let category = f.check("category", code(&category));
    let collection_type = f.check("collection_type", code(&collection_type));
    let rule = f.check("rule", rule.validate());
    f.finish()?;
    let row = LoanRuleRow {
        category: category.expect("checked"),
        collection_type: collection_type.expect("checked"),
        rule: rule.expect("checked"),
    };
    Ok(Json(s.store.put_loan_rule(&who.actor(), &row).await?))
}

/// Remove a row of the matrix (admin): the pair lends by the category's own rules again.
#[utoipa::path(delete, path = "/loan-rules/{category}/{collection_type}", tag = "collections",
    params(("category" = String, Path), ("collection_type" = String, Path)),
    responses((status = 204), (status = 403, body = Problem), (status = 404, body = Problem)),
    security(("bearer" = []), ("cookie" = [])))]
async fn delete_loan_rule(
    State(s): State<AppState>,
    Auth(who): Auth,
    Path((category, collection_type)): Path<(String, String)>,
) -> Result<StatusCode> {
    s.store.delete_loan_rule(&who.actor(), category.trim(), collection_type.trim()).await?;
    Ok(StatusCode::NO_CONTENT)
}

/// The terms (semesters) of the calendar.
#[utoipa::path(get, path = "/terms", tag = "calendar", responses((status = 200, body = Items<Term>)))]
async fn list_terms(State(s): State<AppState>) -> Result<Json<Items<Term>>> {
    Ok(Json(Items { items: s.store.terms().await? }))
}

/// A new term.
#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct TermInput {
    #[schema(example = "Semester Ganjil 2026/2027")]
    name: String,
    #[schema(example = "2026-07-13")]
    starts_on: NaiveDate,
    #[schema(example = "2026-12-19")]
    ends_on: NaiveDate,
}

/// Add a term (admin). Terms do not overlap; a loan rule due "at the end of the term" falls due
/// on the last day of the term containing the day of the loan (or the next open day).
#[utoipa::path(post, path = "/terms", tag = "calendar", request_body = TermInput,
    responses((status = 201, body = Term), (status = 403, body = Problem),
        (status = 422, description = "a bad name, a term ending before it starts, or overlapping another", body = Problem)),
    security(("bearer" = []), ("cookie" = [])))]
async fn add_term(
    State(s): State<AppState>,
    Auth(who): Auth,
    Json(t): Json<TermInput>,
) -> Result<(StatusCode, Json<Term>)> {
    let mut f = Fields::new();
    let name = f.check("name", ShortText::parse(&t.name));
    f.finish()?;
    let term = s.store.add_term(&who.actor(), &name.expect("checked"), t.starts_on, t.ends_on).await?;
    Ok((StatusCode::CREATED, Json(term)))
}

/// Remove a term (admin); loans already due at its end keep their date.
#[utoipa::path(delete, path = "/terms/{id}", tag = "calendar", params(("id" = i64, Path)),
    responses((status = 204), (status = 403, body = Problem), (status = 404, body = Problem)),
    security(("bearer" = []), ("cookie" = [])))]
async fn delete_term(State(s): State<AppState>, Auth(who): Auth, Path(id): Path<i64>) -> Result<StatusCode> {
    s.store.delete_term(&who.actor(), id).await?;
    Ok(StatusCode::NO_CONTENT)
}

/// A copy read in the library.
#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct InLibraryUseInput {
    #[schema(example = "B000123")]
    barcode: String,
    /// The reader's card (or another number of theirs), when known.
    #[schema(example = "P00000018")]
    card_number: Option<String>,
}

/// Record an in-library use ("baca di tempat") of a copy: counted in the reports, never a loan,
/// and the copy's status is left as it is.
#[utoipa::path(post, path = "/in-library-uses", tag = "circulation", request_body = InLibraryUseInput,
    responses((status = 201, body = InLibraryUse), (status = 404, description = "no such copy or member", body = Problem),
        (status = 422, body = Problem)),
    security(("bearer" = []), ("cookie" = [])))]
async fn record_in_library_use(
    State(s): State<AppState>,
    Auth(who): Auth,
    Json(u): Json<InLibraryUseInput>,
) -> Result<(StatusCode, Json<InLibraryUse>)> {
    let mut f = Fields::new();
    let barcode = f.check("barcode", Barcode::parse(&u.barcode));
    let card = f.opt("card_number", u.card_number.filter(|c| !c.trim().is_empty()), |c| MemberRef::parse(&c));
    f.finish()?;
    let used = s.store.record_in_library_use(&who.actor(), &barcode.expect("checked"), card.as_ref()).await?;
    Ok((StatusCode::CREATED, Json(used)))
}
