//! `POST /api/v1/import/{what}`: the page's import (admin): the file's bytes as the body, a dry run
//! first (`dry_run=true`: the report of what would be stored, written nothing), then the real run.
//! The same imports as `pustaka import books|members|marc`.

use axum::{body::Bytes, extract::DefaultBodyLimit, extract::State};
use serde::Deserialize;
use utoipa::IntoParams;
use utoipa_axum::{router::OpenApiRouter, routes};

use super::{
    error::{ApiError, Problem, Result},
    extract::{Admin, Json, Path, Query},
    AppState,
};
use crate::{
    domain::ValidationError,
    import::{self, ImportError, MemberOptions, Report},
};

/// The largest file the page may send.
pub const MAX_FILE: usize = 20 * 1024 * 1024;

pub fn router() -> OpenApiRouter<AppState> {
    OpenApiRouter::new().routes(routes!(import_file)).layer(DefaultBodyLimit::max(MAX_FILE))
}

/// How to run the import.
#[derive(Debug, Deserialize, IntoParams)]
#[into_params(parameter_in = Query)]
pub struct ImportQuery {
    /// Check everything and report what would be stored; write nothing.
    dry_run: Option<bool>,
    /// Members: `OLD=CODE` pairs separated by `,` mapping the sheet's categories.
    categories: Option<String>,
    /// Members: the category of rows that name none.
    default_category: Option<String>,
}

/// Import books (`books`, CSV or XLSX), members (`members`) or a MARC file (`marc`, ISO 2709 or
/// MARCXML); the body is the file.
#[utoipa::path(post, path = "/import/{what}", tag = "import",
    params(("what" = String, Path, description = "`books`, `members` or `marc`"), ImportQuery),
    request_body(content = Vec<u8>, content_type = "application/octet-stream", description = "the file"),
    responses((status = 200, body = Report), (status = 401, body = Problem), (status = 403, body = Problem),
        (status = 404, body = Problem), (status = 413, body = Problem),
        (status = 422, description = "the file cannot be read at all", body = Problem)),
    security(("bearer" = []), ("cookie" = [])))]
async fn import_file(
    State(s): State<AppState>,
    Admin(who): Admin,
    Path(what): Path<String>,
    Query(q): Query<ImportQuery>,
    body: Bytes,
) -> Result<Json<Report>> {
    let actor = who.actor();
    let dry_run = q.dry_run.unwrap_or(false);
    let done = match what.as_str() {
        "books" => import::books(&s.store, &actor, &body, dry_run, |_, _| {}).await,
        "marc" => import::marc(&s.store, &actor, &body, dry_run, |_, _| {}).await,
        "members" => {
            let pairs: Vec<String> = q
                .categories
                .unwrap_or_default()
                .split(',')
                .map(str::to_owned)
                .filter(|p| !p.trim().is_empty())
                .collect();
            let categories = import::category_map(&pairs)
                .map_err(|e| ApiError::field("categories", ValidationError::new("invalid_format", e)))?;
            let options =
                MemberOptions { categories, default_category: q.default_category.filter(|d| !d.trim().is_empty()) };
            import::members(&s.store, &actor, &body, &options, dry_run, |_, _| {}).await
        }
        _ => return Err(ApiError::NotFound("import")),
    };
    match done {
        Ok(report) => Ok(Json(report)),
        Err(ImportError::Store(e)) => Err(e.into()),
        Err(e) => Err(ApiError::field("file", ValidationError::new("unreadable_file", e.to_string()))),
    }
}
