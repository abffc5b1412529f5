//! `/api/v1/first-start`: where the admin's guided first start stands (issue #32). A new
//! install whose admin password was generated starts at `password`; the page leads the admin
//! through a new password, the library's identity, categories and loan rules, and moving in,
//! each skippable, and resumes where they left off.

use axum::extract::State;
use serde::{Deserialize, Serialize};
use utoipa::ToSchema;
use utoipa_axum::{router::OpenApiRouter, routes};

use super::{
    error::Problem,
    extract::{Auth, Json},
    AppState,
};
use crate::{http::error::Result, store::accounts::FirstStep};

pub fn router() -> OpenApiRouter<AppState> {
    OpenApiRouter::new().routes(routes!(get_first_start, set_first_start))
}

/// Where the first start stands.
#[derive(Serialize, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct FirstStart {
    /// `password` (the generated admin password must be changed: `POST /auth/password` moves on),
    /// `identity`, `rules`, `move_in`, or `done` (finished or skipped).
    step: FirstStep,
}

/// Where the first start stands (settings).
#[utoipa::path(get, path = "/first-start", tag = "accounts",
    responses((status = 200, body = FirstStart), (status = 401, body = Problem), (status = 403, body = Problem)),
    security(("bearer" = []), ("cookie" = [])))]
async fn get_first_start(State(s): State<AppState>, _: Auth) -> Result<Json<FirstStart>> {
    Ok(Json(FirstStart { step: s.store.first_start().await? }))
}

/// Move the first start on, back, or skip it (`done`) (settings). It leaves `password` only when
/// the admin changes the generated password.
#[utoipa::path(put, path = "/first-start", tag = "accounts", request_body = FirstStart,
    responses((status = 200, body = FirstStart), (status = 401, body = Problem), (status = 403, body = Problem),
        (status = 422, description = "`password_first`: change the generated password first", body = Problem)),
    security(("bearer" = []), ("cookie" = [])))]
async fn set_first_start(
    State(s): State<AppState>,
    Auth(who): Auth,
    Json(f): Json<FirstStart>,
) -> Result<Json<FirstStart>> {
    Ok(Json(FirstStart { step: s.store.set_first_start_step(&who.actor(), f.step).await? }))
}
