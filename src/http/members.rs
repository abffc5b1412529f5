//! `/api/v1/members`, `/api/v1/categories` and `/api/v1/closed-days`.

use axum::{extract::State, http::StatusCode};
use chrono::NaiveDate;
use serde::{Deserialize, Serialize};
use utoipa::{IntoParams, ToSchema};
use utoipa_axum::{router::OpenApiRouter, routes};

use super::{
    catalogue::clearable,
    error::Problem,
    extract::{page_request, present, Auth, Json, Path, Query},
    AppState,
};
use crate::{
    domain::{
        check_birth_date, circulation::LoanPolicy, Email, Grade, MemberNumber, NumberKind, Password, PersonName, Phone,
        ShortText, Username,
    },
    http::error::{ApiError, Fields, Result},
    model::{Category, ClosedDay, Fine, Hold, Items, Loan, Member, Page},
    store::{
        circulation::LoanFilter,
        members::{MemberPatch, NewMember},
    },
};

pub fn router() -> OpenApiRouter<AppState> {
    OpenApiRouter::new()
        .routes(routes!(list_members, create_member))
        .routes(routes!(get_member, update_member, delete_member))
        .routes(routes!(set_member_password))
        .routes(routes!(add_member_number))
        .routes(routes!(remove_member_number))
        .routes(routes!(member_loans))
        .routes(routes!(member_history))
        .routes(routes!(set_member_privacy))
        .routes(routes!(member_holds))
        .routes(routes!(member_fines))
        .routes(routes!(list_categories))
        .routes(routes!(put_category, delete_category))
        .routes(routes!(list_closed_days, add_closed_day))
        .routes(routes!(delete_closed_day))
}

/// Search and paging.
#[derive(Debug, Deserialize, IntoParams)]
#[into_params(parameter_in = Query)]
pub struct MemberQuery {
    /// Part of a name, or a whole card number, other number (SLiMS id, NIS, NISN, old card) or
    /// email.
    q: Option<String>,
    /// Only members of this class (kelas), whatever its case and spaces and with or without a
    /// leading `Kelas`: `7A` finds `Kelas 7A` and `7 a`.
    grade: Option<String>,
    page: Option<i64>,
    per_page: Option<i64>,
}

/// List members.
#[utoipa::path(get, path = "/members", tag = "members", params(MemberQuery),
    responses((status = 200, body = Page<Member>), (status = 401, body = Problem), (status = 403, body = Problem)),
    security(("bearer" = []), ("cookie" = [])))]
async fn list_members(State(s): State<AppState>, _: Auth, Query(q): Query<MemberQuery>) -> Result<Json<Page<Member>>> {
    let page = page_request(q.page, q.per_page)?;
    let grade = match q.grade.as_deref().filter(|g| !g.trim().is_empty()) {
        Some(g) => Some(Grade::parse(g).map_err(|e| ApiError::field("grade", e))?),
        None => None,
    };
    Ok(Json(s.store.members(q.q.as_deref(), grade.as_ref(), page).await?))
}

/// A new member.
#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct MemberInput {
    #[schema(example = "Budi Santoso")]
    name: String,
    /// A category code from `/api/v1/categories`.
    #[schema(example = "student")]
    category: String,
    /// A school student's class (kelas), e.g. `7A` or `XII IPA 2`: at most 20 characters;
    /// blank or absent for none.
    #[schema(example = "VIII-B")]
    grade: Option<String>,
    email: Option<String>,
    phone: Option<String>,
    /// Last day of membership.
    expires_on: Option<NaiveDate>,
    /// With `password`: a login for the member.
    username: Option<String>,
    password: Option<String>,
}

/// Register a member; the card number is generated.
#[utoipa::path(post, path = "/members", tag = "members", request_body = MemberInput,
    responses((status = 201, body = Member), (status = 409, body = Problem), (status = 422, body = Problem)),
    security(("bearer" = []), ("cookie" = [])))]
async fn create_member(
    State(s): State<AppState>,
    Auth(who): Auth,
    Json(m): Json<MemberInput>,
) -> Result<(StatusCode, Json<Member>)> {
    let mut f = Fields::new();
    let name = f.check("name", PersonName::parse(&m.name));
    let grade = f.opt("grade", m.grade.filter(|g| !g.trim().is_empty()), |g| Grade::parse(&g));
    let email = f.opt("email", m.email.filter(|e| !e.trim().is_empty()), |e| Email::parse(&e));
    let phone = f.opt("phone", m.phone.filter(|p| !p.trim().is_empty()), |p| Phone::parse(&p));
    let username = f.opt("username", m.username, |u| Username::parse(&u));
    let password = f.opt("password", m.password, |p| Password::parse(&p));
    let login = match (username, password) {
        (Some(u), Some(p)) => Some((u, p)),
        (None, None) => None,
        (Some(_), None) => {
            f.add("password", "required", "a member login needs a password");
            None
        }
        (None, Some(_)) => {
            f.add("username", "required", "a member login needs a username");
            None
        }
    };
    f.finish()?;
    let new = NewMember {
        name: name.expect("checked"),
        category: m.category.trim().to_owned(),
        grade,
        email,
        phone,
        expires_on: m.expires_on,
        login,
    };
    Ok((StatusCode::CREATED, Json(s.store.create_member(&who.actor(), &new).await?)))
}

/// Another number of a member's.
#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct NumberInput {
    /// `slims`, `nis`, `nisn` or `old_card`.
    #[schema(example = "nisn")]
    kind: String,
    /// 1 to 40 letters, digits and `. - / _ :`; stored upper-cased. No other member may have it.
    #[schema(example = "0051234567")]
    number: String,
}

/// Give a member another number (a SLiMS member id, NIS, NISN, an old card): the desk, the
/// kiosk and the member search take it like their card. A number another member has is 422
/// (`number`); one the member has already changes nothing.
#[utoipa::path(post, path = "/members/{id}/numbers", tag = "members", params(("id" = i64, Path)),
    request_body = NumberInput,
    responses((status = 201, body = Member), (status = 404, body = Problem), (status = 422, body = Problem)),
    security(("bearer" = []), ("cookie" = [])))]
async fn add_member_number(
    State(s): State<AppState>,
    Auth(who): Auth,
    Path(id): Path<i64>,
    Json(n): Json<NumberInput>,
) -> Result<(StatusCode, Json<Member>)> {
    let mut f = Fields::new();
    let kind = f.check("kind", NumberKind::parse(&n.kind));
    let number = f.check("number", MemberNumber::parse(&n.number));
    f.finish()?;
    let m = s.store.add_member_number(&who.actor(), id, kind.expect("checked"), &number.expect("checked")).await?;
    Ok((StatusCode::CREATED, Json(m)))
}

/// Take another number from a member.
#[utoipa::path(delete, path = "/members/{id}/numbers/{number}", tag = "members",
    params(("id" = i64, Path), ("number" = String, Path)),
    responses((status = 200, body = Member), (status = 404, body = Problem), (status = 422, body = Problem)),
    security(("bearer" = []), ("cookie" = [])))]
async fn remove_member_number(
    State(s): State<AppState>,
    Auth(who): Auth,
    Path((id, number)): Path<(i64, String)>,
) -> Result<Json<Member>> {
    let number = MemberNumber::parse(&number).map_err(|e| ApiError::field("number", e))?;
    Ok(Json(s.store.remove_member_number(&who.actor(), id, &number).await?))
}

/// One member (staff, or the member themself).
#[utoipa::path(get, path = "/members/{id}", tag = "members", params(("id" = i64, Path)),
    responses((status = 200, body = Member), (status = 403, description = "not yours; to a member also a record that does not exist", body = Problem),
        (status = 404, description = "no such record (told to staff only)", body = Problem)),
    security(("bearer" = []), ("cookie" = [])))]
async fn get_member(State(s): State<AppState>, Auth(who): Auth, Path(id): Path<i64>) -> Result<Json<Member>> {
    // Permission before existence, here and below: a member asking for any id but their own gets
    // 403, whether that member exists or not.
    who.actor().ensure_for(id)?;
    Ok(Json(s.store.member(id).await?))
}

/// Changes to a member: send only the fields to change; `null` clears an optional one.
#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct MemberPatchInput {
    #[serde(default, deserialize_with = "present")]
    name: Option<String>,
    #[serde(default, deserialize_with = "present")]
    category: Option<String>,
    /// The class (kelas); `null` or blank: none.
    #[serde(default, deserialize_with = "present")]
    #[schema(value_type = Option<String>)]
    grade: Option<Option<String>>,
    #[serde(default, deserialize_with = "present")]
    #[schema(value_type = Option<String>)]
    email: Option<Option<String>>,
    #[serde(default, deserialize_with = "present")]
    #[schema(value_type = Option<String>)]
    phone: Option<Option<String>>,
    #[serde(default, deserialize_with = "present")]
    #[schema(value_type = Option<NaiveDate>)]
    expires_on: Option<Option<NaiveDate>>,
    /// Date of birth (`YYYY-MM-DD`, from 1900 to today); `null` clears it. With the name, it
    /// finds the member again when a later student list has neither card nor number.
    #[serde(default, deserialize_with = "present")]
    #[schema(value_type = Option<NaiveDate>)]
    birth_date: Option<Option<NaiveDate>>,
    /// Blocks or unblocks borrowing (unblocking clears the reason).
    #[serde(default, deserialize_with = "present")]
    blocked: Option<bool>,
    #[serde(default, deserialize_with = "present")]
    #[schema(value_type = Option<String>)]
    blocked_reason: Option<Option<String>>,
}

/// Change a member, or block them.
#[utoipa::path(patch, path = "/members/{id}", tag = "members", params(("id" = i64, Path)), request_body = MemberPatchInput,
    responses((status = 200, body = Member), (status = 404, body = Problem), (status = 422, body = Problem)),
    security(("bearer" = []), ("cookie" = [])))]
async fn update_member(
    State(s): State<AppState>,
    Auth(who): Auth,
    Path(id): Path<i64>,
    Json(p): Json<MemberPatchInput>,
) -> Result<Json<Member>> {
    let mut f = Fields::new();
    let patch = MemberPatch {
        name: f.opt("name", p.name, |n| PersonName::parse(&n)),
        category: p.category.map(|c| c.trim().to_owned()),
        grade: clearable(&mut f, "grade", p.grade.map(|g| g.filter(|g| !g.trim().is_empty())), |g| Grade::parse(&g)),
        email: clearable(&mut f, "email", p.email, |e| Email::parse(&e)),
        phone: clearable(&mut f, "phone", p.phone, |v| Phone::parse(&v)),
        expires_on: p.expires_on,
        birth_date: clearable(&mut f, "birth_date", p.birth_date, |d| {
            check_birth_date(d, s.store.today(s.store.now()))
        }),
        blocked: p.blocked,
        blocked_reason: clearable(&mut f, "blocked_reason", p.blocked_reason, |v| ShortText::parse(&v)),
    };
    f.finish()?;
    Ok(Json(s.store.update_member(&who.actor(), id, &patch).await?))
}

/// A new password for a member's login.
#[derive(Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct MemberPasswordInput {
    #[schema(value_type = String, format = Password)]
    password: String,
}

/// Set a new password for a member who forgot theirs (staff with the members permission). The
/// member's sessions end; tell them the new password, they can change it after logging in.
#[utoipa::path(put, path = "/members/{id}/password", tag = "members", params(("id" = i64, Path)),
    request_body = MemberPasswordInput,
    responses((status = 204), (status = 403, body = Problem),
        (status = 404, description = "no such member, or the member has no login", body = Problem),
        (status = 422, body = Problem)),
    security(("bearer" = []), ("cookie" = [])))]
async fn set_member_password(
    State(s): State<AppState>,
    Auth(who): Auth,
    Path(id): Path<i64>,
    Json(p): Json<MemberPasswordInput>,
) -> Result<StatusCode> {
    let password = Password::parse(&p.password).map_err(|e| ApiError::field("password", e))?;
    let user = s.store.member_user(id).await?.ok_or(crate::store::error::StoreError::NotFound("member login"))?;
    s.store.set_password(&who.actor(), user.id, &password).await?;
    Ok(StatusCode::NO_CONTENT)
}

/// Delete a member who never borrowed.
#[utoipa::path(delete, path = "/members/{id}", tag = "members", params(("id" = i64, Path)),
    responses((status = 204), (status = 404, body = Problem), (status = 409, body = Problem)),
    security(("bearer" = []), ("cookie" = [])))]
async fn delete_member(State(s): State<AppState>, Auth(who): Auth, Path(id): Path<i64>) -> Result<StatusCode> {
    s.store.delete_member(&who.actor(), id).await?;
    Ok(StatusCode::NO_CONTENT)
}

/// Which of a member's loans.
#[derive(Debug, Deserialize, IntoParams)]
#[into_params(parameter_in = Query)]
pub struct MemberLoansQuery {
    /// `active` (default), `overdue`, `returned` or `all`.
    #[param(inline)]
    status: Option<LoanFilter>,
    page: Option<i64>,
    per_page: Option<i64>,
}

/// A member's loans (staff, or the member themself).
#[utoipa::path(get, path = "/members/{id}/loans", tag = "members", params(("id" = i64, Path), MemberLoansQuery),
    responses((status = 200, body = Page<Loan>), (status = 403, description = "not yours; to a member also a record that does not exist", body = Problem),
        (status = 404, description = "no such record (told to staff only)", body = Problem)),
    security(("bearer" = []), ("cookie" = [])))]
async fn member_loans(
    State(s): State<AppState>,
    Auth(who): Auth,
    Path(id): Path<i64>,
    Query(q): Query<MemberLoansQuery>,
) -> Result<Json<Page<Loan>>> {
    who.actor().ensure_for(id)?;
    let page = page_request(q.page, q.per_page)?;
    s.store.member(id).await?;
    let mut loans = s.store.loans(q.status.unwrap_or(LoanFilter::Active), Some(id), None, page).await?;
    // Say of each loan still out whether a renewal would go through, and if not why, so the
    // member's page offers only what will work.
    let open: Vec<usize> = (0..loans.items.len()).filter(|&i| loans.items[i].returned_at.is_none()).collect();
    let out: Vec<Loan> = open.iter().map(|&i| loans.items[i].clone()).collect();
    let checks = s.store.renewal_checks(id, &out).await?;
    for (i, check) in open.into_iter().zip(checks) {
        loans.items[i].renewable = Some(check.is_ok());
        loans.items[i].renew_refusal = check.err().map(|r| super::error::refusal_code(&r).to_owned());
    }
    Ok(Json(loans))
}

/// A member's open holds (staff, or the member themself).
#[utoipa::path(get, path = "/members/{id}/holds", tag = "members", params(("id" = i64, Path)),
    responses((status = 200, body = Page<Hold>), (status = 403, description = "not yours; to a member also a record that does not exist", body = Problem),
        (status = 404, description = "no such record (told to staff only)", body = Problem)),
    security(("bearer" = []), ("cookie" = [])))]
async fn member_holds(State(s): State<AppState>, Auth(who): Auth, Path(id): Path<i64>) -> Result<Json<Page<Hold>>> {
    who.actor().ensure_for(id)?;
    s.store.member(id).await?;
    Ok(Json(s.store.holds(None, Some(id), crate::store::PageRequest { page: 1, per_page: 100 }).await?))
}

/// A member's fines, paid and unpaid (staff, or the member themself).
#[utoipa::path(get, path = "/members/{id}/fines", tag = "members", params(("id" = i64, Path)),
    responses((status = 200, body = Page<Fine>), (status = 403, description = "not yours; to a member also a record that does not exist", body = Problem),
        (status = 404, description = "no such record (told to staff only)", body = Problem)),
    security(("bearer" = []), ("cookie" = [])))]
async fn member_fines(State(s): State<AppState>, Auth(who): Auth, Path(id): Path<i64>) -> Result<Json<Page<Fine>>> {
    who.actor().ensure_for(id)?;
    s.store.member(id).await?;
    Ok(Json(s.store.fines(None, Some(id), crate::store::PageRequest { page: 1, per_page: 100 }).await?))
}

/// The member categories and their loan rules.
#[utoipa::path(get, path = "/categories", tag = "members",
    responses((status = 200, body = Items<Category>), (status = 401, body = Problem)),
    security(("bearer" = []), ("cookie" = [])))]
async fn list_categories(State(s): State<AppState>, _: Auth) -> Result<Json<Items<Category>>> {
    Ok(Json(Items { items: s.store.categories().await? }))
}

/// A category's loan rules (the code comes from the path).
#[derive(Debug, Deserialize, ToSchema)]
pub struct CategoryInput {
    #[schema(example = "Siswa / Mahasiswa")]
    name: String,
    /// The loan rules, as flat fields.
    #[serde(flatten)]
    rules: LoanPolicy,
}

/// Create or replace a category's loan rules (admin).
#[utoipa::path(put, path = "/categories/{code}", tag = "members", params(("code" = String, Path)), request_body = CategoryInput,
    responses((status = 200, body = Category), (status = 403, body = Problem), (status = 422, body = Problem)),
    security(("bearer" = []), ("cookie" = [])))]
async fn put_category(
    State(s): State<AppState>,
    Auth(who): Auth,
    Path(code): Path<String>,
    Json(c): Json<CategoryInput>,
) -> Result<Json<Category>> {
    let mut f = Fields::new();
    let code = code.trim().to_lowercase();
    if code.is_empty() || code.len() > 32 || !code.chars().all(|c| c.is_ascii_alphanumeric() || c == '_' || c == '-') {
        f.add("code", "invalid_format", "a category code is 1 to 32 letters, digits, '-' or '_'");
    }
    let name = f.check("name", ShortText::parse(&c.name));
    let rules = f.check("rules", c.rules.validate());
    f.finish()?;
    let category = Category { code, name: name.expect("checked").into_inner(), rules: rules.expect("checked") };
    Ok(Json(s.store.put_category(&who.actor(), &category).await?))
}

/// Delete a category no member is in (admin).
#[utoipa::path(delete, path = "/categories/{code}", tag = "members", params(("code" = String, Path)),
    responses((status = 204), (status = 404, body = Problem), (status = 409, body = Problem)),
    security(("bearer" = []), ("cookie" = [])))]
async fn delete_category(State(s): State<AppState>, Auth(who): Auth, Path(code): Path<String>) -> Result<StatusCode> {
    s.store.delete_category(&who.actor(), code.trim()).await?;
    Ok(StatusCode::NO_CONTENT)
}

/// A date range.
#[derive(Debug, Deserialize, IntoParams)]
#[into_params(parameter_in = Query)]
pub struct DateRange {
    from: Option<NaiveDate>,
    to: Option<NaiveDate>,
}

/// The library's closed days.
#[derive(Debug, Serialize, ToSchema)]
pub struct ClosedDays {
    /// Single closed days (holidays).
    items: Vec<ClosedDay>,
    /// Weekdays the library is always closed, e.g. `sun`.
    closed_weekdays: Vec<String>,
}

/// Days the library is closed: no loan falls due on them and no fine is charged for them.
#[utoipa::path(get, path = "/closed-days", tag = "calendar", params(DateRange), responses((status = 200, body = ClosedDays)))]
async fn list_closed_days(State(s): State<AppState>, Query(r): Query<DateRange>) -> Result<Json<ClosedDays>> {
    Ok(Json(ClosedDays {
        items: s.store.closed_days(r.from, r.to).await?,
        closed_weekdays: s.store.closed_weekdays.iter().map(|d| d.to_string().to_lowercase()).collect(),
    }))
}

/// A closed day.
#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct ClosedDayInput {
    date: NaiveDate,
    #[schema(example = "Hari Raya Idulfitri")]
    reason: String,
}

/// Close the library on a day.
#[utoipa::path(post, path = "/closed-days", tag = "calendar", request_body = ClosedDayInput,
    responses((status = 201, body = ClosedDay), (status = 409, body = Problem), (status = 422, body = Problem)),
    security(("bearer" = []), ("cookie" = [])))]
async fn add_closed_day(
    State(s): State<AppState>,
    Auth(who): Auth,
    Json(d): Json<ClosedDayInput>,
) -> Result<(StatusCode, Json<ClosedDay>)> {
    let reason = ShortText::parse(&d.reason).map_err(|e| ApiError::field("reason", e))?;
    Ok((StatusCode::CREATED, Json(s.store.add_closed_day(&who.actor(), d.date, &reason).await?)))
}

/// Open a closed day again.
#[utoipa::path(delete, path = "/closed-days/{date}", tag = "calendar", params(("date" = NaiveDate, Path)),
    responses((status = 204), (status = 404, body = Problem)),
    security(("bearer" = []), ("cookie" = [])))]
async fn delete_closed_day(
    State(s): State<AppState>,
    Auth(who): Auth,
    Path(date): Path<NaiveDate>,
) -> Result<StatusCode> {
    s.store.delete_closed_day(&who.actor(), date).await?;
    Ok(StatusCode::NO_CONTENT)
}

/// A member's own reading history (staff, or the member themself): past loans and reads in the
/// library, newest first (at most 200), with their privacy choices. Empty while the member keeps
/// no history (`keep_history` off): the loans are kept for circulation, fines and reports, but
/// not shown here.
#[utoipa::path(get, path = "/members/{id}/history", tag = "members", params(("id" = i64, Path)),
    responses((status = 200, body = crate::store::history::ReadingHistory), (status = 403, body = Problem), (status = 404, body = Problem)),
    security(("bearer" = []), ("cookie" = [])))]
async fn member_history(
    State(s): State<AppState>,
    Auth(who): Auth,
    Path(id): Path<i64>,
) -> Result<Json<crate::store::history::ReadingHistory>> {
    who.actor().ensure_for(id)?;
    Ok(Json(s.store.reading_history(id).await?))
}

/// A member's privacy choices; a choice left out stays as it is.
#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct PrivacyInput {
    /// Show the member their past loans and reads in the library.
    keep_history: Option<bool>,
    /// Count the member's loans in the public "most borrowed".
    in_popular: Option<bool>,
}

/// Set a member's privacy choices (staff, or the member themself). Turning the history off hides
/// it (the loans are kept for circulation, fines and reports); turning it on shows it again.
#[utoipa::path(put, path = "/members/{id}/privacy", tag = "members", params(("id" = i64, Path)), request_body = PrivacyInput,
    responses((status = 200, body = crate::store::history::ReadingPrivacy), (status = 403, body = Problem), (status = 404, body = Problem),
        (status = 422, body = Problem)),
    security(("bearer" = []), ("cookie" = [])))]
async fn set_member_privacy(
    State(s): State<AppState>,
    Auth(who): Auth,
    Path(id): Path<i64>,
    Json(p): Json<PrivacyInput>,
) -> Result<Json<crate::store::history::ReadingPrivacy>> {
    who.actor().ensure_for(id)?;
    let now = s.store.reading_privacy(id).await?;
    let privacy = crate::store::history::ReadingPrivacy {
        keep_history: p.keep_history.unwrap_or(now.keep_history),
        in_popular: p.in_popular.unwrap_or(now.in_popular),
    };
    Ok(Json(s.store.set_reading_privacy(&who.actor(), id, privacy).await?))
}
