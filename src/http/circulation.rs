//! `/api/v1/loans`, `/api/v1/returns`, `/api/v1/holds` and `/api/v1/fines`: the desk.

use axum::{body::Bytes, extract::State, http::StatusCode};
use chrono::{DateTime, Utc};
use serde::Deserialize;
use utoipa::{IntoParams, ToSchema};
use utoipa_axum::{router::OpenApiRouter, routes};

use super::{
    error::Problem,
    extract::{page_request, Auth, Json, Path, Query},
    AppState,
};
use crate::{
    domain::{time::scanned_time, Barcode, MemberRef, ShortText},
    http::error::{ApiError, Fields, Result},
    model::{Fine, FineStatus, Hold, HoldStatus, Items, Loan, Page, Payment},
    store::{
        circulation::{LoanFilter, LostOutcome, ReturnOutcome},
        members::MemberKey,
    },
};

pub fn router() -> OpenApiRouter<AppState> {
    OpenApiRouter::new()
        .routes(routes!(list_loans, checkout))
        .routes(routes!(get_loan))
        .routes(routes!(renew))
        .routes(routes!(declare_lost))
        .routes(routes!(checkin))
        .routes(routes!(list_holds, place_hold))
        .routes(routes!(cancel_hold))
        .routes(routes!(list_fines))
        .routes(routes!(pay_fine))
        .routes(routes!(fine_payments))
        .routes(routes!(get_payment))
        .routes(routes!(waive_fine))
}

/// A checkout at the desk: scan the member's card, then the book.
#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct CheckoutInput {
    #[schema(example = "B000123")]
    barcode: String,
    /// The member's Pustaka card, or another number of theirs (a SLiMS member id, NIS, NISN,
    /// an old card).
    #[schema(example = "P00000018")]
    card_number: String,
    /// When the desk scanned it, if it was offline then (RFC 3339): the loan's time. At most 72
    /// hours old and not more than 5 minutes ahead of the server's clock, else 422.
    #[serde(default)]
    scanned_at: Option<DateTime<Utc>>,
}

/// A scan's time checked against the store's clock (`domain::time::scanned_time`).
fn scanned(s: &AppState, at: Option<DateTime<Utc>>) -> Result<Option<DateTime<Utc>>> {
    at.map(|at| scanned_time(at, s.store.now()).map_err(|e| ApiError::field("scanned_at", e))).transpose()
}

/// Lend a copy to a member.
#[utoipa::path(post, path = "/loans", tag = "circulation", request_body = CheckoutInput,
    responses((status = 201, body = Loan), (status = 404, description = "no such copy or member", body = Problem),
        (status = 409, description = "refused: the copy is not available, or the member may not borrow (see `code`)", body = Problem),
        (status = 422, body = Problem)),
    security(("bearer" = []), ("cookie" = [])))]
async fn checkout(
    State(s): State<AppState>,
    Auth(who): Auth,
    Json(c): Json<CheckoutInput>,
) -> Result<(StatusCode, Json<Loan>)> {
    let mut f = Fields::new();
    let barcode = f.check("barcode", Barcode::parse(&c.barcode));
    let card = f.check("card_number", MemberRef::parse(&c.card_number));
    let at = c.scanned_at.map(|at| f.check("scanned_at", scanned_time(at, s.store.now())));
    f.finish()?;
    let (barcode, card) = (barcode.expect("checked"), card.expect("checked"));
    let loan = s.store.checkout_at(&who.actor(), &barcode, &card, at.flatten()).await?;
    Ok((StatusCode::CREATED, Json(loan)))
}

/// Which loans.
#[derive(Debug, Deserialize, IntoParams)]
#[into_params(parameter_in = Query)]
pub struct LoanQuery {
    /// `active` (default), `overdue`, `returned` or `all`.
    #[param(inline)]
    status: Option<LoanFilter>,
    member_id: Option<i64>,
    /// The copy's barcode (to find the loan of a copy scanned at the desk).
    barcode: Option<String>,
    page: Option<i64>,
    per_page: Option<i64>,
}

/// List loans.
#[utoipa::path(get, path = "/loans", tag = "circulation", params(LoanQuery),
    responses((status = 200, body = Page<Loan>), (status = 401, body = Problem), (status = 403, body = Problem), (status = 422, body = Problem)),
    security(("bearer" = []), ("cookie" = [])))]
async fn list_loans(State(s): State<AppState>, _: Auth, Query(q): Query<LoanQuery>) -> Result<Json<Page<Loan>>> {
    let page = page_request(q.page, q.per_page)?;
    let barcode = q.barcode.map(|b| Barcode::parse(&b).map_err(|e| ApiError::field("barcode", e))).transpose()?;
    let status = q.status.unwrap_or(LoanFilter::Active);
    Ok(Json(s.store.loans(status, q.member_id, barcode.as_ref(), page).await?))
}

/// One loan (staff, or the member who has it).
#[utoipa::path(get, path = "/loans/{id}", tag = "circulation", params(("id" = i64, Path)),
    responses((status = 200, body = Loan), (status = 403, description = "not yours; to a member also a record that does not exist", body = Problem),
        (status = 404, description = "no such record (told to staff only)", body = Problem)),
    security(("bearer" = []), ("cookie" = [])))]
async fn get_loan(State(s): State<AppState>, Auth(who): Auth, Path(id): Path<i64>) -> Result<Json<Loan>> {
    Ok(Json(s.store.loan(&who.actor(), id).await?))
}

/// A renewal: no body, or the time the desk scanned it when it was offline.
#[derive(Debug, Default, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct RenewInput {
    /// As in a checkout: the renewal's time, within the same bounds.
    #[serde(default)]
    scanned_at: Option<DateTime<Utc>>,
}

/// Renew a loan for another loan period from its due date (staff, or the member who has it).
#[utoipa::path(post, path = "/loans/{id}/renew", tag = "circulation", params(("id" = i64, Path)),
    request_body(content = Option<RenewInput>, description = "optional: the time of an offline scan"),
    responses((status = 200, body = Loan), (status = 403, description = "not yours; to a member also a record that does not exist", body = Problem),
        (status = 404, description = "no such record (told to staff only)", body = Problem),
        (status = 409, description = "refused (see `code`)", body = Problem)),
    security(("bearer" = []), ("cookie" = [])))]
async fn renew(State(s): State<AppState>, Auth(who): Auth, Path(id): Path<i64>, body: Bytes) -> Result<Json<Loan>> {
    let input: RenewInput = if body.iter().all(u8::is_ascii_whitespace) {
        RenewInput::default()
    } else {
        serde_json::from_slice(&body).map_err(|e| ApiError::BadRequest(format!("the body is not a renewal: {e}")))?
    };
    let at = scanned(&s, input.scanned_at)?;
    Ok(Json(s.store.renew_at(&who.actor(), id, at).await?))
}

/// A copy handed back at the desk.
#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct ReturnInput {
    #[schema(example = "B000123")]
    barcode: String,
    /// The copy came back damaged: the member is charged the category's damage charge (never
    /// more than the copy's price).
    #[serde(default)]
    damaged: bool,
    /// As in a checkout: the return's time, within the same bounds (a return scanned before its
    /// loan began is taken at the loan's start).
    #[serde(default)]
    scanned_at: Option<DateTime<Utc>>,
}

/// Declare the copy of a loan still out lost: the loan ends, the copy is marked `lost`, and the
/// member is charged the overdue fine so far and the copy (its price, else the category's lost
/// charge). A copy found again is marked `available` with `PATCH /copies/{barcode}`.
#[utoipa::path(post, path = "/loans/{id}/lost", tag = "circulation", params(("id" = i64, Path)),
    responses((status = 200, body = LostOutcome), (status = 404, body = Problem),
        (status = 409, description = "the loan was returned already", body = Problem)),
    security(("bearer" = []), ("cookie" = [])))]
async fn declare_lost(State(s): State<AppState>, Auth(who): Auth, Path(id): Path<i64>) -> Result<Json<LostOutcome>> {
    Ok(Json(s.store.declare_lost(&who.actor(), id).await?))
}

/// Take a copy back: closes its loan, charges any overdue fine (and the damage charge when it came
/// back damaged), and says if it goes to the hold shelf.
#[utoipa::path(post, path = "/returns", tag = "circulation", request_body = ReturnInput,
    responses((status = 200, body = ReturnOutcome), (status = 404, body = Problem),
        (status = 409, description = "the copy is not on loan", body = Problem), (status = 422, body = Problem)),
    security(("bearer" = []), ("cookie" = [])))]
async fn checkin(
    State(s): State<AppState>,
    Auth(who): Auth,
    Json(r): Json<ReturnInput>,
) -> Result<Json<ReturnOutcome>> {
    let mut f = Fields::new();
    let barcode = f.check("barcode", Barcode::parse(&r.barcode));
    let at = r.scanned_at.map(|at| f.check("scanned_at", scanned_time(at, s.store.now())));
    f.finish()?;
    Ok(Json(s.store.checkin_at(&who.actor(), &barcode.expect("checked"), r.damaged, at.flatten()).await?))
}

/// A hold on a book.
#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct HoldInput {
    book_id: i64,
    /// Whose hold: staff must give it; a member places holds for themself and may leave it out.
    card_number: Option<String>,
}

/// Queue for a book that has no copy on the shelf.
#[utoipa::path(post, path = "/holds", tag = "circulation", request_body = HoldInput,
    responses((status = 201, body = Hold), (status = 403, description = "another member's card; to a member also a card that does not exist", body = Problem),
        (status = 404, description = "no such book; to staff also no such card", body = Problem),
        (status = 409, description = "refused (see `code`)", body = Problem), (status = 422, body = Problem)),
    security(("bearer" = []), ("cookie" = [])))]
async fn place_hold(
    State(s): State<AppState>,
    Auth(who): Auth,
    Json(h): Json<HoldInput>,
) -> Result<(StatusCode, Json<Hold>)> {
    let actor = who.actor();
    let card = h
        .card_number
        .filter(|c| !c.trim().is_empty())
        .map(|c| MemberRef::parse(&c).map_err(|e| ApiError::field("card_number", e)))
        .transpose()?;
    let member = match (&card, actor.member_id) {
        (Some(card), _) => MemberKey::Card(card),
        (None, Some(id)) => MemberKey::Id(id),
        (None, None) => {
            return Err(ApiError::Validation(vec![super::error::FieldError {
                field: "card_number".into(),
                code: "required".into(),
                message: "say whose hold this is".into(),
                limit: None,
            }]))
        }
    };
    Ok((StatusCode::CREATED, Json(s.store.place_hold(&actor, h.book_id, member).await?)))
}

/// Which holds.
#[derive(Debug, Deserialize, IntoParams)]
#[into_params(parameter_in = Query)]
pub struct HoldQuery {
    /// Leave out for the open ones (waiting and ready).
    #[param(inline)]
    status: Option<HoldStatus>,
    page: Option<i64>,
    per_page: Option<i64>,
}

/// List holds.
#[utoipa::path(get, path = "/holds", tag = "circulation", params(HoldQuery),
    responses((status = 200, body = Page<Hold>), (status = 401, body = Problem), (status = 403, body = Problem)),
    security(("bearer" = []), ("cookie" = [])))]
async fn list_holds(State(s): State<AppState>, _: Auth, Query(q): Query<HoldQuery>) -> Result<Json<Page<Hold>>> {
    let page = page_request(q.page, q.per_page)?;
    Ok(Json(s.store.holds(q.status, None, page).await?))
}

/// Cancel a hold (staff, or the member whose hold it is).
#[utoipa::path(delete, path = "/holds/{id}", tag = "circulation", params(("id" = i64, Path)),
    responses((status = 204), (status = 403, description = "not yours; to a member also a record that does not exist", body = Problem),
        (status = 404, description = "no such record (told to staff only)", body = Problem), (status = 409, body = Problem)),
    security(("bearer" = []), ("cookie" = [])))]
async fn cancel_hold(State(s): State<AppState>, Auth(who): Auth, Path(id): Path<i64>) -> Result<StatusCode> {
    s.store.cancel_hold(&who.actor(), id).await?;
    Ok(StatusCode::NO_CONTENT)
}

/// Which fines.
#[derive(Debug, Deserialize, IntoParams)]
#[into_params(parameter_in = Query)]
pub struct FineQuery {
    /// Leave out for all.
    #[param(inline)]
    status: Option<FineStatus>,
    member_id: Option<i64>,
    page: Option<i64>,
    per_page: Option<i64>,
}

/// List fines.
#[utoipa::path(get, path = "/fines", tag = "circulation", params(FineQuery),
    responses((status = 200, body = Page<Fine>), (status = 401, body = Problem), (status = 403, body = Problem)),
    security(("bearer" = []), ("cookie" = [])))]
async fn list_fines(State(s): State<AppState>, _: Auth, Query(q): Query<FineQuery>) -> Result<Json<Page<Fine>>> {
    let page = page_request(q.page, q.per_page)?;
    Ok(Json(s.store.fines(q.status, q.member_id, page).await?))
}

/// A payment towards a fine.
#[derive(Debug, Default, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct PayInput {
    /// Rupiah paid now, from 1 to what is still owed; leave out (or send no body) to pay it all.
    #[schema(example = 2000, minimum = 1)]
    amount: Option<i64>,
}

/// Record a payment towards a fine: all that is owed, or part of it (the rest stays unpaid). The
/// answer carries the payment (`payment`) for its receipt.
#[utoipa::path(post, path = "/fines/{id}/pay", tag = "circulation", params(("id" = i64, Path)), request_body = Option<PayInput>,
    responses((status = 200, body = Fine), (status = 400, description = "the body is not JSON", body = Problem), (status = 404, body = Problem),
        (status = 409, description = "already settled", body = Problem),
        (status = 422, description = "`amount` below Rp 1 or above what is owed (`overpayment`)", body = Problem)),
    security(("bearer" = []), ("cookie" = [])))]
async fn pay_fine(
    State(s): State<AppState>,
    Auth(who): Auth,
    Path(id): Path<i64>,
    body: axum::body::Bytes,
) -> Result<Json<Fine>> {
    let input: PayInput = if body.iter().all(u8::is_ascii_whitespace) {
        PayInput::default()
    } else {
        axum::Json::<PayInput>::from_bytes(&body).map_err(ApiError::from)?.0
    };
    Ok(Json(s.store.pay_fine(&who.actor(), id, input.amount).await?))
}

/// The payments towards a fine, oldest first (staff, or the member who owes it).
#[utoipa::path(get, path = "/fines/{id}/payments", tag = "circulation", params(("id" = i64, Path)),
    responses((status = 200, body = Items<Payment>), (status = 403, description = "not yours; to a member also a record that does not exist", body = Problem),
        (status = 404, description = "no such record (told to staff only)", body = Problem)),
    security(("bearer" = []), ("cookie" = [])))]
async fn fine_payments(
    State(s): State<AppState>,
    Auth(who): Auth,
    Path(id): Path<i64>,
) -> Result<Json<Items<Payment>>> {
    Ok(Json(Items { items: s.store.payments_of(&who.actor(), id).await? }))
}

/// One payment, for its receipt (staff, or the member who paid).
#[utoipa::path(get, path = "/payments/{id}", tag = "circulation", params(("id" = i64, Path)),
    responses((status = 200, body = Payment), (status = 403, description = "not yours; to a member also a record that does not exist", body = Problem),
        (status = 404, description = "no such record (told to staff only)", body = Problem)),
    security(("bearer" = []), ("cookie" = [])))]
async fn get_payment(State(s): State<AppState>, Auth(who): Auth, Path(id): Path<i64>) -> Result<Json<Payment>> {
    Ok(Json(s.store.payment(&who.actor(), id).await?))
}

/// Why a fine is waived.
#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct WaiveInput {
    #[schema(example = "Sakit, ada surat dokter")]
    reason: String,
}

/// Waive a fine, with a reason.
#[utoipa::path(post, path = "/fines/{id}/waive", tag = "circulation", params(("id" = i64, Path)), request_body = WaiveInput,
    responses((status = 200, body = Fine), (status = 404, body = Problem), (status = 409, description = "already settled", body = Problem),
        (status = 422, body = Problem)),
    security(("bearer" = []), ("cookie" = [])))]
async fn waive_fine(
    State(s): State<AppState>,
    Auth(who): Auth,
    Path(id): Path<i64>,
    Json(w): Json<WaiveInput>,
) -> Result<Json<Fine>> {
    let reason = ShortText::parse(&w.reason).map_err(|e| ApiError::field("reason", e))?;
    Ok(Json(s.store.settle_fine(&who.actor(), id, FineStatus::Waived, Some(&reason)).await?))
}
