//! Extractors whose rejections are problem+json, and the login extractors.

use axum::{
    extract::{FromRequest, FromRequestParts},
    http::{header, request::Parts},
    response::{IntoResponse, Response},
};
use axum_extra::extract::CookieJar;
use serde::{Deserialize, Deserializer, Serialize};

use super::AppState;
use crate::{
    http::error::{ApiError, FieldError, Result},
    model::Role,
    store::{accounts::Session, PageRequest},
};

/// The name of the session cookie the page uses.
pub const SESSION_COOKIE: &str = "pustaka_session";

/// JSON in and out; a bad body is a 400 or 422 problem, never axum's plain text.
#[derive(Debug, FromRequest)]
#[from_request(via(axum::Json), rejection(ApiError))]
pub struct Json<T>(pub T);

impl<T: Serialize> IntoResponse for Json<T> {
    fn into_response(self) -> Response {
        axum::Json(self.0).into_response()
    }
}

/// A query string; a bad one is a 422 problem naming the parameter.
#[derive(Debug, FromRequestParts)]
#[from_request(via(axum::extract::Query), rejection(ApiError))]
pub struct Query<T>(pub T);

/// Path parameters; a bad one is a 400 problem.
#[derive(Debug, FromRequestParts)]
#[from_request(via(axum::extract::Path), rejection(ApiError))]
pub struct Path<T>(pub T);

/// For `PATCH` bodies: a present field (even `null`) is `Some`, an absent one `None`.
pub fn present<'de, T: Deserialize<'de>, D: Deserializer<'de>>(d: D) -> Result<Option<T>, D::Error> {
    T::deserialize(d).map(Some)
}

/// Checks `page` and `per_page` query parameters.
pub fn page_request(page: Option<i64>, per_page: Option<i64>) -> Result<PageRequest> {
    let page = page.unwrap_or(1);
    let per_page = per_page.unwrap_or(20);
    let mut errors = Vec::new();
    if !(1..=1_000_000).contains(&page) {
        errors.push(FieldError {
            field: "page".into(),
            code: "out_of_range".into(),
            message: "page counts from 1".into(),
        });
    }
    if !(1..=100).contains(&per_page) {
        errors.push(FieldError {
            field: "per_page".into(),
            code: "out_of_range".into(),
            message: "per_page must be from 1 to 100".into(),
        });
    }
    if errors.is_empty() {
        Ok(PageRequest { page, per_page })
    } else {
        Err(ApiError::Validation(errors))
    }
}

/// The token from `Authorization: Bearer …` or else the session cookie.
fn token(parts: &Parts) -> Option<String> {
    let bearer = parts
        .headers
        .get(header::AUTHORIZATION)
        .and_then(|v| v.to_str().ok())
        .and_then(|v| v.strip_prefix("Bearer ").or_else(|| v.strip_prefix("bearer ")))
        .map(|t| t.trim().to_owned());
    bearer.or_else(|| CookieJar::from_headers(&parts.headers).get(SESSION_COOKIE).map(|c| c.value().to_owned()))
}

/// The client's address: the peer, or with `PUSTAKA_TRUST_FORWARDED_FOR` (behind the
/// balancer) the last address the balancer appended to `X-Forwarded-For`.
#[derive(Debug, Clone)]
pub struct ClientAddr(pub String);

impl FromRequestParts<AppState> for ClientAddr {
    type Rejection = ApiError;

    async fn from_request_parts(parts: &mut Parts, state: &AppState) -> Result<Self> {
        if state.trust_forwarded_for {
            let forwarded = parts
                .headers
                .get_all("x-forwarded-for")
                .iter()
                .filter_map(|v| v.to_str().ok())
                .flat_map(|v| v.split(','))
                .map(str::trim)
                .rfind(|a| a.parse::<std::net::IpAddr>().is_ok());
            if let Some(a) = forwarded {
                return Ok(ClientAddr(a.to_owned()));
            }
        }
        let peer = parts
            .extensions
            .get::<axum::extract::ConnectInfo<std::net::SocketAddr>>()
            .map(|c| c.0.ip().to_string())
            .unwrap_or_else(|| "unknown".into());
        Ok(ClientAddr(peer))
    }
}

/// A logged-in account of any role.
#[derive(Debug, Clone)]
pub struct Auth(pub Session);

impl FromRequestParts<AppState> for Auth {
    type Rejection = ApiError;

    async fn from_request_parts(parts: &mut Parts, state: &AppState) -> Result<Self> {
        if let Some(Auth(s)) = parts.extensions.get::<Auth>() {
            return Ok(Auth(s.clone()));
        }
        let token =
            token(parts).ok_or(ApiError::Unauthenticated { code: "unauthenticated", detail: "log in first" })?;
        let session = state.store.session(&token).await?.ok_or(ApiError::Unauthenticated {
            code: "unauthenticated",
            detail: "the session has expired; log in again",
        })?;
        parts.extensions.insert(Auth(session.clone()));
        Ok(Auth(session))
    }
}

/// A logged-in account, or nobody (public routes that show more to members).
#[derive(Debug, Clone)]
pub struct MaybeAuth(pub Option<Session>);

impl FromRequestParts<AppState> for MaybeAuth {
    type Rejection = ApiError;

    async fn from_request_parts(parts: &mut Parts, state: &AppState) -> Result<Self> {
        match Auth::from_request_parts(parts, state).await {
            Ok(Auth(s)) => Ok(MaybeAuth(Some(s))),
            Err(ApiError::Unauthenticated { .. }) => Ok(MaybeAuth(None)),
            Err(e) => Err(e),
        }
    }
}

/// An admin or librarian.
#[derive(Debug, Clone)]
pub struct Staff(pub Session);

impl FromRequestParts<AppState> for Staff {
    type Rejection = ApiError;

    async fn from_request_parts(parts: &mut Parts, state: &AppState) -> Result<Self> {
        let Auth(s) = Auth::from_request_parts(parts, state).await?;
        if s.user.role.is_staff() {
            Ok(Staff(s))
        } else {
            Err(ApiError::Forbidden)
        }
    }
}

/// An admin.
#[derive(Debug, Clone)]
pub struct Admin(pub Session);

impl FromRequestParts<AppState> for Admin {
    type Rejection = ApiError;

    async fn from_request_parts(parts: &mut Parts, state: &AppState) -> Result<Self> {
        let Auth(s) = Auth::from_request_parts(parts, state).await?;
        if s.user.role == Role::Admin {
            Ok(Admin(s))
        } else {
            Err(ApiError::Forbidden)
        }
    }
}
