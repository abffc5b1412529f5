//! `/api/v1/desk/snapshot`: the desk's local copy in one request (#33), what it keeps in the
//! browser to judge scans while offline (see `store::desk`). Gzipped for a desk that takes it:
//! the members and copies of a school repeat the same keys thousands of times.

use axum::extract::State;
use utoipa_axum::{router::OpenApiRouter, routes};

use super::{
    extract::{Auth, Json},
    AppState,
};
use crate::{http::error::Result, store::desk::DeskSnapshot};

pub fn router() -> OpenApiRouter<AppState> {
    OpenApiRouter::new()
        .routes(routes!(desk_snapshot))
        .layer(tower_http::compression::CompressionLayer::new().gzip(true))
}

/// The desk's local copy: members (with every number they are known by), the loans out, every
/// copy with its collection type and status, the holds waiting or on the shelf, and the rules
/// that decide a loan. What the desk's page keeps in the browser to judge scans offline.
#[utoipa::path(get, path = "/desk/snapshot", tag = "circulation",
    responses((status = 200, body = DeskSnapshot)),
    security(("bearer" = []), ("cookie" = [])))]
async fn desk_snapshot(State(s): State<AppState>, Auth(_who): Auth) -> Result<Json<DeskSnapshot>> {
    Ok(Json(s.store.desk_snapshot().await?))
}
