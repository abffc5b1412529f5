//! Extractors whose rejections are problem+json, and the login extractors.

use axum::{
    extract::{FromRequest, FromRequestParts},
    http::{header, request::Parts, HeaderMap},
    response::{IntoResponse, Response},
};
use axum_extra::extract::CookieJar;
use serde::{Deserialize, Deserializer, Serialize};

use super::AppState;
use crate::{
    http::error::{ApiError, FieldError, Result},
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
            limit: None,
        });
    }
    if !(1..=100).contains(&per_page) {
        errors.push(FieldError {
            field: "per_page".into(),
            code: "out_of_range".into(),
            message: "per_page must be from 1 to 100".into(),
            limit: None,
        });
    }
    if errors.is_empty() {
        Ok(PageRequest { page, per_page })
    } else {
        Err(ApiError::Validation(errors))
    }
}

/// The header the page (`web/js/api.js`) sends with every request. A page of another origin
/// cannot send it: a custom header makes the browser ask first (a CORS preflight), and Pustaka
/// answers no CORS.
pub const PAGE_HEADER: &str = "x-pustaka-page";

/// How a request proves who sent it.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Credential {
    /// `Authorization: Bearer …`: only a program that holds the token can send it.
    Bearer,
    /// The session cookie: the browser adds it by itself, whichever page makes the request.
    Cookie,
}

/// The token from `Authorization: Bearer …` or else the session cookie.
fn token(parts: &Parts) -> Option<(String, Credential)> {
    let bearer = parts
        .headers
        .get(header::AUTHORIZATION)
        .and_then(|v| v.to_str().ok())
        .and_then(|v| v.strip_prefix("Bearer ").or_else(|| v.strip_prefix("bearer ")))
        .map(|t| (t.trim().to_owned(), Credential::Bearer));
    bearer.or_else(|| {
        CookieJar::from_headers(&parts.headers).get(SESSION_COOKIE).map(|c| (c.value().to_owned(), Credential::Cookie))
    })
}

/// Whether the request reached us over HTTPS: only a balancer we trust (`PUSTAKA_TRUST_FORWARDED_FOR`)
/// can say so, with `X-Forwarded-Proto: https`; Pustaka itself serves plain HTTP.
pub fn came_over_https(headers: &HeaderMap, trust_forwarded: bool) -> bool {
    trust_forwarded
        && headers
            .get("x-forwarded-proto")
            .and_then(|v| v.to_str().ok())
            .and_then(|v| v.rsplit(',').next())
            .is_some_and(|p| p.trim().eq_ignore_ascii_case("https"))
}

/// `scheme://host[:port]` in lower case, without the scheme's default port.
fn normal_origin(scheme: &str, authority: &str) -> String {
    let scheme = scheme.to_ascii_lowercase();
    let authority = authority.to_ascii_lowercase();
    let default_port = if scheme == "https" { ":443" } else { ":80" };
    let authority = authority.strip_suffix(default_port).unwrap_or(&authority);
    format!("{scheme}://{authority}")
}

/// Whether a state-changing request that carries the session cookie was sent by our own page,
/// so that another page cannot use the browser's cookie (cross-site request forgery). SameSite
/// keeps other sites' requests from carrying the cookie, but not same-site pages: another port
/// of the same host, a sibling subdomain. Accepted:
/// - `Sec-Fetch-Site: same-origin` (the browser says so; `same-site` and `cross-site` are refused
///   whatever else the request carries);
/// - the page's header [`PAGE_HEADER`] (no other origin can send it without a CORS preflight);
/// - with no `Sec-Fetch-Site` (older browsers) or `none`: an `Origin` equal to our own origin,
///   the scheme as seen by the client and the host asked for (`Host`, or `authority` in HTTP/2).
///
/// Anything else is refused, a request with neither header included: cookie clients are
/// browsers, and programs use a bearer token.
pub fn sent_by_our_page(headers: &HeaderMap, authority: Option<&str>, trust_forwarded: bool) -> bool {
    let text = |name: &str| headers.get(name).and_then(|v| v.to_str().ok()).map(str::trim);
    match text("sec-fetch-site").map(str::to_ascii_lowercase).as_deref() {
        Some("same-origin") => return true,
        None | Some("none") => {}
        Some(_) => return false,
    }
    if headers.contains_key(PAGE_HEADER) {
        return true;
    }
    // HTTP/2 names the host in the request's authority rather than in `Host`.
    let (Some(origin), Some(host)) = (text("origin"), text("host").or(authority)) else {
        return false;
    };
    let Some((scheme, origin_host)) = origin.split_once("://") else {
        return false; // `null`, or nonsense
    };
    let ours = if came_over_https(headers, trust_forwarded) { "https" } else { "http" };
    !origin_host.is_empty() && normal_origin(scheme, origin_host) == normal_origin(ours, host)
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
        let (token, credential) =
            token(parts).ok_or(ApiError::Unauthenticated { code: "unauthenticated", detail: "log in first" })?;
        if credential == Credential::Cookie
            && !parts.method.is_safe()
            && !sent_by_our_page(&parts.headers, parts.uri.authority().map(|a| a.as_str()), state.trust_forwarded_for)
        {
            return Err(ApiError::CrossSite);
        }
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

#[cfg(test)]
mod tests {
    use super::*;

    fn headers(pairs: &[(&'static str, &'static str)]) -> HeaderMap {
        let mut h = HeaderMap::new();
        for (k, v) in pairs {
            h.append(*k, header::HeaderValue::from_static(v));
        }
        h
    }

    #[test]
    fn the_browsers_word_decides_first() {
        let ours = headers(&[("sec-fetch-site", "same-origin")]);
        assert!(sent_by_our_page(&ours, None, false));
        for site in ["same-site", "cross-site", "SAME-SITE", "anything"] {
            let mut h = headers(&[("x-pustaka-page", "1"), ("origin", "http://lib"), ("host", "lib")]);
            h.insert("sec-fetch-site", header::HeaderValue::from_static(site));
            assert!(!sent_by_our_page(&h, None, false), "{site}");
        }
    }

    #[test]
    fn without_fetch_metadata_the_origin_must_be_ours() {
        let check = |origin: &'static str, host: &'static str, https: bool| {
            let mut h = headers(&[("origin", origin), ("host", host)]);
            if https {
                h.insert("x-forwarded-proto", header::HeaderValue::from_static("https"));
            }
            sent_by_our_page(&h, None, true)
        };
        assert!(check("http://lib:8080", "lib:8080", false));
        assert!(check("http://LIB", "lib:80", false));
        assert!(check("https://lib", "lib:443", true));
        assert!(check("https://lib:8443", "lib:8443", true));
        assert!(check("http://[::1]:8080", "[::1]:8080", false));
        assert!(!check("http://lib:8443", "lib:8443", true), "the scheme is part of the origin");
        assert!(!check("https://lib:8080", "lib:8080", false));
        assert!(!check("http://lib:9999", "lib:8080", false));
        assert!(!check("http://lib.evil", "lib", false));
        assert!(!check("null", "lib", false));
        assert!(!check("http://", "", false));
        // HTTP/2: the host is the request's authority.
        let h2 = headers(&[("origin", "http://lib:8080")]);
        assert!(sent_by_our_page(&h2, Some("lib:8080"), false));
        assert!(!sent_by_our_page(&h2, None, false));
        // Neither header: not our page.
        assert!(!sent_by_our_page(&headers(&[("host", "lib")]), None, false));
    }

    #[test]
    fn only_a_trusted_balancer_says_https() {
        let h = headers(&[("x-forwarded-proto", "https")]);
        assert!(came_over_https(&h, true));
        assert!(!came_over_https(&h, false));
        assert!(!came_over_https(&headers(&[("x-forwarded-proto", "http")]), true));
        assert!(!came_over_https(&HeaderMap::new(), true));
    }
}
