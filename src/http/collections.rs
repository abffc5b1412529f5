//! `/api/v1/collection-types` and `/api/v1/loan-rules`: collection types and the loan-rule
//! matrix (member category × collection type), issue #30. Staff read them; admins change them.

use axum::{extract::State, http::StatusCode};
use serde::Deserialize;
use utoipa::ToSchema;
use utoipa_axum::{router::OpenApiRouter, routes};

use super::{
    error::Problem,
    extract::{Admin, Json, Path, Staff},
    AppState,
};
use crate::{
    domain::{loan_rules::LoanRule, ShortText, ValidationError},
    http::error::{Fields, Result},
    model::Items,
    store::collections::{CollectionType, LoanRuleRow},
};

pub fn router() -> OpenApiRouter<AppState> {
    OpenApiRouter::new()
        .routes(routes!(list_collection_types))
        .routes(routes!(put_collection_type, delete_collection_type))
        .routes(routes!(list_loan_rules))
        .routes(routes!(put_loan_rule, delete_loan_rule))
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
async fn list_collection_types(State(s): State<AppState>, _: Staff) -> Result<Json<Items<CollectionType>>> {
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
    Admin(who): Admin,
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
    Admin(who): Admin,
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
async fn list_loan_rules(State(s): State<AppState>, _: Staff) -> Result<Json<Items<LoanRuleRow>>> {
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
    Admin(who): Admin,
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
    Admin(who): Admin,
    Path((category, collection_type)): Path<(String, String)>,
) -> Result<StatusCode> {
    s.store.delete_loan_rule(&who.actor(), category.trim(), collection_type.trim()).await?;
    Ok(StatusCode::NO_CONTENT)
}
