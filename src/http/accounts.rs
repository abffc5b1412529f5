//! `/api/v1/auth`, `/api/v1/users`, `/api/v1/roles`, `/api/v1/audit` and `/api/v1/stats`.

use axum::{
    extract::State,
    http::{header, HeaderMap, HeaderValue, StatusCode},
    response::{IntoResponse, Response},
};
use chrono::{DateTime, Utc};
use secrecy::{ExposeSecret, SecretString};
use serde::{Deserialize, Serialize};
use utoipa::{IntoParams, ToSchema};
use utoipa_axum::{router::OpenApiRouter, routes};

use super::{
    error::Problem,
    extract::{came_over_https, page_request, Auth, ClientAddr, Json, Path, Query, SESSION_COOKIE},
    AppState,
};
use crate::{
    domain::{
        status::{roles, Permission, Permissions},
        Password, Username, ValidationError,
    },
    http::error::{ApiError, Fields, Result},
    model::{AuditEntry, Items, Page, RoleInfo, Stats, User},
};

pub fn router() -> OpenApiRouter<AppState> {
    OpenApiRouter::new()
        .routes(routes!(login))
        .routes(routes!(logout))
        .routes(routes!(me))
        .routes(routes!(change_password))
        .routes(routes!(list_users, create_user))
        .routes(routes!(delete_user))
        .routes(routes!(set_user_role))
        .routes(routes!(list_roles))
        .routes(routes!(put_role, delete_role))
        .routes(routes!(audit))
        .routes(routes!(stats))
}

/// Credentials.
#[derive(Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct LoginInput {
    #[schema(example = "admin")]
    username: String,
    #[schema(value_type = String, format = Password)]
    password: SecretString,
}

/// A new session.
#[derive(Serialize, ToSchema)]
pub struct LoginOutput {
    /// Send as `Authorization: Bearer <token>`; the page uses the HttpOnly cookie instead.
    token: String,
    expires_at: DateTime<Utc>,
    user: User,
}

fn session_cookie(value: String, max_age_hours: i64, https: bool) -> HeaderValue {
    // `Secure` when the request came over HTTPS (the stack's balancer says so): the browser then
    // never sends the cookie over plain HTTP. Not on plain HTTP, where a `Secure` cookie would not
    // be kept at all. SameSite=Strict keeps other sites from sending it, HttpOnly keeps scripts
    // from reading it; same-site pages are stopped by the extractors (`sent_by_our_page`).
    let secure = if https { "; Secure" } else { "" };
    let cookie = format!(
        "{SESSION_COOKIE}={value}; HttpOnly; SameSite=Strict; Path=/; Max-Age={}{secure}",
        max_age_hours * 3600
    );
    HeaderValue::from_str(&cookie).expect("a hex token makes a valid header")
}

/// Log in with a username and password.
#[utoipa::path(post, path = "/auth/login", tag = "accounts", request_body = LoginInput,
    responses((status = 200, body = LoginOutput, headers(("set-cookie" = String, description = "the session cookie"))),
        (status = 401, description = "wrong username or password", body = Problem),
        (status = 429, description = "too many failed logins for this account from this address; see Retry-After", body = Problem),
        (status = 422, body = Problem),
        (status = 503, description = "`busy`: too many passwords are being checked at once, see Retry-After; \
            `unavailable`: the database is not available", body = Problem)))]
async fn login(
    State(s): State<AppState>,
    ClientAddr(addr): ClientAddr,
    headers: HeaderMap,
    Json(l): Json<LoginInput>,
) -> Result<Response> {
    if l.username.len() > 64 || l.password.expose_secret().len() > 256 {
        return Err(ApiError::Unauthenticated {
            code: "invalid_credentials",
            detail: "the username or password is wrong",
        });
    }
    let session = s.store.login(&l.username, &l.password, &addr).await?;
    let token = session.token.expose_secret().to_owned();
    let cookie = session_cookie(token.clone(), s.store.session_hours, came_over_https(&headers, s.trust_forwarded_for));
    let body = LoginOutput { token, expires_at: session.expires_at, user: session.user };
    let mut res = Json(body).into_response();
    res.headers_mut().insert(header::SET_COOKIE, cookie);
    res.headers_mut().insert(header::CACHE_CONTROL, HeaderValue::from_static("no-store"));
    Ok(res)
}

/// Log out: ends this session and clears the cookie.
#[utoipa::path(post, path = "/auth/logout", tag = "accounts",
    responses((status = 204), (status = 401, body = Problem)),
    security(("bearer" = []), ("cookie" = [])))]
async fn logout(State(s): State<AppState>, request: HeaderMap, Auth(who): Auth) -> Result<(StatusCode, HeaderMap)> {
    s.store.logout(who.id).await?;
    let mut headers = HeaderMap::new();
    let https = came_over_https(&request, s.trust_forwarded_for);
    headers.insert(header::SET_COOKIE, session_cookie(String::new(), 0, https));
    Ok((StatusCode::NO_CONTENT, headers))
}

/// The logged-in account and what its role may do.
#[derive(Serialize, ToSchema)]
pub struct Me {
    #[serde(flatten)]
    user: User,
    /// The permissions of the account's role, as of this request.
    permissions: Vec<Permission>,
}

/// Who is logged in, and what their role may do.
#[utoipa::path(get, path = "/auth/me", tag = "accounts",
    responses((status = 200, body = Me), (status = 401, body = Problem)),
    security(("bearer" = []), ("cookie" = [])))]
async fn me(Auth(who): Auth) -> Json<Me> {
    Json(Me { permissions: who.permissions.list(), user: who.user })
}

/// A password change.
#[derive(Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct PasswordInput {
    #[schema(value_type = String, format = Password)]
    current_password: SecretString,
    #[schema(value_type = String, format = Password)]
    new_password: String,
}

/// Change your password; your other sessions end.
#[utoipa::path(post, path = "/auth/password", tag = "accounts", request_body = PasswordInput,
    responses((status = 204), (status = 401, body = Problem), (status = 422, body = Problem),
        (status = 429, description = "too many wrong passwords (logins and password changes) for this account from this address; see Retry-After", body = Problem),
        (status = 503, description = "`busy`: too many passwords are being checked at once, see Retry-After; \
            `unavailable`: the database is not available", body = Problem)),
    security(("bearer" = []), ("cookie" = [])))]
async fn change_password(
    State(s): State<AppState>,
    ClientAddr(addr): ClientAddr,
    Auth(who): Auth,
    Json(p): Json<PasswordInput>,
) -> Result<StatusCode> {
    let new = Password::parse(&p.new_password).map_err(|e| ApiError::field("new_password", e))?;
    s.store.change_password(&who, &p.current_password, &new, &addr).await?;
    Ok(StatusCode::NO_CONTENT)
}

/// Every account (admin).
#[utoipa::path(get, path = "/users", tag = "accounts",
    responses((status = 200, body = Items<User>), (status = 401, body = Problem), (status = 403, body = Problem)),
    security(("bearer" = []), ("cookie" = [])))]
async fn list_users(State(s): State<AppState>, _: Auth) -> Result<Json<Items<User>>> {
    Ok(Json(Items { items: s.store.users().await? }))
}

/// A new account.
#[derive(Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct UserInput {
    #[schema(example = "siti")]
    username: String,
    #[schema(value_type = String, format = Password)]
    password: String,
    /// A role's code (`GET /roles`): `admin`, `librarian`, `desk_helper`, `cataloguer`,
    /// `reports_only`, `kiosk`, `member`, or one an admin made.
    #[schema(example = "librarian")]
    role: String,
    /// Required for a `member` account, refused for staff.
    member_id: Option<i64>,
}

/// Create an account (admin).
#[utoipa::path(post, path = "/users", tag = "accounts", request_body = UserInput,
    responses((status = 201, body = User), (status = 403, body = Problem), (status = 404, description = "no member has this `member_id`", body = Problem),
        (status = 409, body = Problem), (status = 422, body = Problem)),
    security(("bearer" = []), ("cookie" = [])))]
async fn create_user(
    State(s): State<AppState>,
    Auth(who): Auth,
    Json(u): Json<UserInput>,
) -> Result<(StatusCode, Json<User>)> {
    let mut f = Fields::new();
    let username = f.check("username", Username::parse(&u.username));
    let password = f.check("password", Password::parse(&u.password));
    match (u.role == roles::MEMBER, u.member_id) {
        (true, None) => f.add("member_id", "required", "a member account names its member"),
        (false, Some(_)) => f.add("member_id", "not_allowed", "staff and kiosk accounts are not member records"),
        _ => {}
    }
    f.finish()?;
    let user = s
        .store
        .create_user(&who.actor(), &username.expect("checked"), &password.expect("checked"), &u.role, u.member_id)
        .await?;
    Ok((StatusCode::CREATED, Json(user)))
}

/// Delete an account (admin); the last admin stays.
#[utoipa::path(delete, path = "/users/{id}", tag = "accounts", params(("id" = i64, Path)),
    responses((status = 204), (status = 403, body = Problem), (status = 404, body = Problem), (status = 409, body = Problem)),
    security(("bearer" = []), ("cookie" = [])))]
async fn delete_user(State(s): State<AppState>, Auth(who): Auth, Path(id): Path<i64>) -> Result<StatusCode> {
    s.store.delete_user(&who.actor(), id).await?;
    Ok(StatusCode::NO_CONTENT)
}

/// Another role for an account.
#[derive(Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct RoleChoice {
    /// A role's code.
    #[schema(example = "desk_helper")]
    role: String,
}

/// Give a staff account another role (users); member accounts keep the member role, the last
/// admin stays an admin. The account's sessions get the new role's permissions at once.
#[utoipa::path(put, path = "/users/{id}/role", tag = "accounts", params(("id" = i64, Path)), request_body = RoleChoice,
    responses((status = 200, body = User), (status = 403, body = Problem), (status = 404, body = Problem),
        (status = 409, body = Problem), (status = 422, body = Problem)),
    security(("bearer" = []), ("cookie" = [])))]
async fn set_user_role(
    State(s): State<AppState>,
    Auth(who): Auth,
    Path(id): Path<i64>,
    Json(c): Json<RoleChoice>,
) -> Result<Json<User>> {
    Ok(Json(s.store.set_user_role(&who.actor(), id, &c.role).await?))
}

/// Every role with its permissions and how many accounts hold it (users).
#[utoipa::path(get, path = "/roles", tag = "accounts",
    responses((status = 200, body = Items<RoleInfo>), (status = 401, body = Problem), (status = 403, body = Problem)),
    security(("bearer" = []), ("cookie" = [])))]
async fn list_roles(State(s): State<AppState>, _: Auth) -> Result<Json<Items<RoleInfo>>> {
    Ok(Json(Items { items: s.store.roles().await? }))
}

/// A role's name and permissions.
#[derive(Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct RoleInput {
    #[schema(example = "Petugas sore")]
    name: String,
    /// Permission names: desk, catalogue, members, fines, imports, exports, print, reports,
    /// settings, backups, users, kiosk.
    #[schema(example = json!(["desk", "fines"]))]
    permissions: Vec<String>,
}

/// A role's code: 1 to 32 lower-case letters, digits and `_`.
fn role_code(code: &str) -> std::result::Result<(), ValidationError> {
    if (1..=32).contains(&code.len()) && code.bytes().all(|b| b.is_ascii_lowercase() || b.is_ascii_digit() || b == b'_')
    {
        Ok(())
    } else {
        Err(ValidationError::new("invalid_code", "a role's code is 1 to 32 lower-case letters, digits and _"))
    }
}

/// Add a role or change one's name and permissions (users). `admin`, `member` and `kiosk` are
/// fixed. Accounts holding the role get the new permissions at their next request.
#[utoipa::path(put, path = "/roles/{code}", tag = "accounts", params(("code" = String, Path)), request_body = RoleInput,
    responses((status = 200, body = RoleInfo), (status = 403, body = Problem), (status = 422, body = Problem)),
    security(("bearer" = []), ("cookie" = [])))]
async fn put_role(
    State(s): State<AppState>,
    Auth(who): Auth,
    Path(code): Path<String>,
    Json(r): Json<RoleInput>,
) -> Result<Json<RoleInfo>> {
    let mut f = Fields::new();
    f.check("code", role_code(&code));
    let name = r.name.trim();
    if name.is_empty() || name.chars().count() > 80 {
        f.add("name", "invalid_name", "a role's name is 1 to 80 characters");
    }
    let permissions =
        Permissions::parse(&r.permissions.join(" ")).map_err(|e| ValidationError::new("unknown_permission", e));
    let permissions = f.check("permissions", permissions);
    f.finish()?;
    Ok(Json(s.store.put_role(&who.actor(), &code, name, permissions.expect("checked")).await?))
}

/// Remove a role an admin made (users); not a seeded one, nor one an account holds.
#[utoipa::path(delete, path = "/roles/{code}", tag = "accounts", params(("code" = String, Path)),
    responses((status = 204), (status = 403, body = Problem), (status = 404, body = Problem), (status = 422, body = Problem)),
    security(("bearer" = []), ("cookie" = [])))]
async fn delete_role(State(s): State<AppState>, Auth(who): Auth, Path(code): Path<String>) -> Result<StatusCode> {
    s.store.delete_role(&who.actor(), &code).await?;
    Ok(StatusCode::NO_CONTENT)
}

/// Paging.
#[derive(Debug, Deserialize, IntoParams)]
#[into_params(parameter_in = Query)]
pub struct PageQuery {
    page: Option<i64>,
    per_page: Option<i64>,
}

/// The audit log, newest first (staff).
#[utoipa::path(get, path = "/audit", tag = "accounts", params(PageQuery),
    responses((status = 200, body = Page<AuditEntry>), (status = 401, body = Problem), (status = 403, body = Problem)),
    security(("bearer" = []), ("cookie" = [])))]
async fn audit(State(s): State<AppState>, _: Auth, Query(q): Query<PageQuery>) -> Result<Json<Page<AuditEntry>>> {
    Ok(Json(s.store.audit_log(page_request(q.page, q.per_page)?).await?))
}

/// Totals for the desk (staff).
#[utoipa::path(get, path = "/stats", tag = "accounts",
    responses((status = 200, body = Stats), (status = 401, body = Problem), (status = 403, body = Problem)),
    security(("bearer" = []), ("cookie" = [])))]
async fn stats(State(s): State<AppState>, _: Auth) -> Result<Json<Stats>> {
    Ok(Json(s.store.stats().await?))
}
