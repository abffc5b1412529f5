//! Who may call which route (issue #32): the one table every API request is checked against,
//! by one layer ([`layer`]) in front of every handler. A route names the permission it needs
//! (or is public, or any account's, or the caller's own record's); a route missing from the table
//! is refused to everyone, and the authorization matrix test (tests/contract/authz.rs) calls
//! every route of the OpenAPI document as callers holding each permission alone.

use axum::{
    extract::{FromRequestParts, MatchedPath, Request, State},
    http::Method,
    middleware::Next,
    response::{IntoResponse, Response},
};

use super::{error::ApiError, extract::Auth, AppState};
use crate::domain::status::{roles, Permission};

/// What a route asks of its caller.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Access {
    /// Anyone, logged in or not.
    Public,
    /// Any logged-in account (its own login: `/auth/*`).
    Account,
    /// A member account (the handler keeps it to the member's own records), or an account whose
    /// role holds the permission (any member's records).
    Own(Permission),
    /// An account whose role holds the permission.
    Need(Permission),
}

/// The access of a route: its method and its template as in the OpenAPI document (`HEAD` as
/// `GET`). `None`: not in the table, refused to everyone.
pub fn access(method: &Method, path: &str) -> Option<Access> {
    use Access::*;
    use Permission::*;
    let m = if method == Method::HEAD { "GET" } else { method.as_str() };
    let Some(p) = path.strip_prefix("/api/v1") else {
        return match (m, path) {
            ("GET", "/healthz" | "/readyz" | "/licenses") => Some(Public),
            _ => None,
        };
    };
    Some(match (m, p) {
        ("POST", "/auth/login") => Public,
        ("POST", "/auth/logout" | "/auth/password") | ("GET", "/auth/me") => Account,
        // The public catalogue, the calendar, the library's identity, terms, covers.
        ("GET", "/books" | "/books/{id}" | "/books/{id}/copies" | "/copies/{barcode}" | "/closed-days")
        | ("GET", "/library" | "/library/logo" | "/terms" | "/covers/{isbn}" | "/books/{id}/cover")
        | ("GET", "/books/search" | "/books/popular" | "/settings/page") => Public,
        // A member's own records; the desk's for anyone.
        ("GET", "/members/{id}" | "/members/{id}/loans" | "/members/{id}/holds" | "/members/{id}/fines")
        | ("GET", "/loans/{id}" | "/fines/{id}/payments" | "/payments/{id}" | "/print/receipts/{id}")
        | ("GET", "/notices" | "/members/{id}/history")
        | ("PUT", "/members/{id}/privacy")
        | ("POST", "/loans/{id}/renew" | "/holds")
        | ("DELETE", "/holds/{id}") => Own(Desk),
        // The desk.
        ("GET", "/loans" | "/holds" | "/notices/overdue-contacts" | "/loan-rules")
        | ("POST", "/loans" | "/returns" | "/loans/{id}/lost" | "/in-library-uses" | "/print/loan-slip")
        | ("GET", "/class-sets" | "/class-sets/print" | "/desk/snapshot")
        | ("POST", "/class-sets" | "/class-sets/return")
        | ("POST", "/closed-days")
        | ("DELETE", "/closed-days/{date}") => Need(Desk),
        ("GET", "/fines") | ("POST", "/fines/{id}/pay" | "/fines/{id}/waive") => Need(Fines),
        // The member register.
        ("GET", "/members" | "/categories" | "/members/{id}/photo")
        | ("POST", "/members" | "/members/{id}/numbers")
        | ("PATCH" | "DELETE", "/members/{id}")
        | ("PUT" | "DELETE", "/members/{id}/photo")
        | ("PUT", "/members/{id}/password")
        | ("DELETE", "/members/{id}/numbers/{number}") => Need(Members),
        // The catalogue and stock takes.
        ("POST", "/books" | "/books/{id}/copies" | "/call-numbers/suggest")
        | ("PATCH" | "DELETE", "/books/{id}" | "/copies/{barcode}")
        | ("PUT" | "DELETE", "/books/{id}/cover")
        | ("GET", "/copy-cataloguing" | "/catalogue-sources" | "/barcode-pattern" | "/collection-types")
        | ("GET", "/stocktakes" | "/stocktakes/{id}" | "/stocktakes/{id}/report")
        | ("POST", "/stocktakes" | "/stocktakes/{id}/scans" | "/stocktakes/{id}/finish" | "/stocktakes/{id}/lost") => {
            Need(Catalogue)
        }
        ("GET", "/print/sheets" | "/print/imports") | ("POST", "/print/labels" | "/print/cards") => Need(Print),
        (
            "GET",
            "/reports" | "/reports/{name}" | "/reports/summary" | "/reports/accreditation" | "/stats" | "/audit",
        )
        | ("GET", "/visits" | "/visits/stats") => Need(Reports),
        ("POST", "/visits") => Need(Kiosk),
        // The reading programme (#34): a teacher (`reading` alone) sees their own classes,
        // `reports` every class; a member their own figures.
        ("GET", "/reading/targets" | "/reading/students" | "/reading/classes" | "/reading/top") => Need(Reading),
        ("PUT", "/reading/targets/{id}") => Need(Reports),
        ("GET", "/members/{id}/reading") => Own(Reports),
        // A member's reading list: their own; the desk's for anyone.
        ("GET" | "POST", "/members/{id}/reading-list") | ("DELETE", "/members/{id}/reading-list/{book_id}") => {
            Own(Desk)
        }
        ("GET" | "PUT", "/users/{id}/classes") => Need(Users),
        ("GET", "/export/{what}") => Need(Exports),
        ("POST", "/import/{what}" | "/import/{what}/columns") | ("GET", "/import/jobs" | "/import/jobs/{id}") => {
            Need(Imports)
        }
        // The library's settings.
        ("PUT" | "DELETE", "/categories/{code}" | "/collection-types/{code}")
        | ("PUT" | "DELETE", "/loan-rules/{category}/{collection_type}")
        | ("PUT", "/library" | "/library/logo" | "/barcode-pattern")
        | ("DELETE", "/library/logo")
        | ("POST", "/terms" | "/catalogue-sources" | "/books/call-numbers")
        | ("DELETE", "/terms/{id}")
        | ("PUT" | "DELETE", "/catalogue-sources/{id}")
        | ("GET" | "PUT", "/notices/settings")
        | ("GET", "/notices/templates")
        | ("PUT" | "DELETE", "/notices/templates/{kind}/{language}")
        | ("POST", "/notices/preview")
        | ("GET" | "PUT", "/first-start")
        | ("GET" | "PUT", "/settings")
        | ("POST", "/settings/test-mail") => Need(Settings),
        ("GET", "/backup" | "/backups") | ("POST", "/backup/check" | "/backup/restore" | "/backups/{name}/restore") => {
            Need(Backups)
        }
        ("GET" | "POST", "/users")
        | ("GET", "/roles")
        | ("DELETE", "/users/{id}")
        | ("PUT", "/users/{id}/role")
        | ("PUT" | "DELETE", "/roles/{code}") => Need(Users),
        _ => return None,
    })
}

/// Checks every API request against [`access`] before its handler runs. The session read here
/// is the one the handler's [`Auth`] gets (kept in the request's extensions).
pub async fn layer(State(state): State<AppState>, req: Request, next: Next) -> Response {
    let Some(path) = req.extensions().get::<MatchedPath>().map(|m| m.as_str().to_owned()) else {
        return next.run(req).await;
    };
    let Some(level) = access(req.method(), &path) else {
        // A path the table knows with other methods: this method is not routed (every routed
        // method is in the table, tests/contract/authz.rs makes sure), so axum answers 405.
        let methods = [Method::GET, Method::POST, Method::PUT, Method::PATCH, Method::DELETE];
        let allow: Vec<&str> = methods.iter().filter(|m| access(m, &path).is_some()).map(|m| m.as_str()).collect();
        if !allow.is_empty() {
            let mut res = axum::http::StatusCode::METHOD_NOT_ALLOWED.into_response();
            if let Ok(v) = axum::http::HeaderValue::from_str(&allow.join(",")) {
                res.headers_mut().insert(axum::http::header::ALLOW, v);
            }
            return res;
        }
        tracing::error!(method = %req.method(), path, "a route missing from the access table is refused");
        return ApiError::Forbidden.into_response();
    };
    if level == Access::Public {
        return next.run(req).await;
    }
    let (mut parts, body) = req.into_parts();
    let who = match Auth::from_request_parts(&mut parts, &state).await {
        Ok(Auth(s)) => s,
        Err(e) => return e.into_response(),
    };
    let allowed = match level {
        Access::Public | Access::Account => true,
        Access::Own(p) => who.user.role == roles::MEMBER || who.permissions.has(p),
        Access::Need(p) => who.permissions.has(p),
    };
    if !allowed {
        return ApiError::Forbidden.into_response();
    }
    next.run(Request::from_parts(parts, body)).await
}
