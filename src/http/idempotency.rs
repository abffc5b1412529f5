//! `Idempotency-Key` on every write of the API: one layer around the API's routes.
//!
//! A `POST`, `PUT`, `PATCH` or `DELETE` under `/api/` may carry `Idempotency-Key: <key>` (1 to 255
//! visible ASCII characters, `!` to `~`). The first request with a key does the work and its answer
//! is kept; the same key again, from the same account, with the same method, path, query and
//! body, answers the kept answer with `Idempotency-Replayed: true` and does nothing, on any
//! replica and after a restart. The rules:
//!
//! - **Scope**: keys are the account's own (`user:<id>` of the session or token). Two accounts may
//!   use the same key. A request without a valid login is not remembered (its key is checked
//!   for form, then the request runs as if it had none): nobody's answer can reach another
//!   caller. Nor are the `/api/v1/auth/...` routes (login, logout, password change: answers
//!   that carry tokens and bodies that carry passwords are never stored).
//! - **Reserve, then fill**: the key is reserved in a row of its own, committed before the work
//!   starts; the answer is written into it after. The work runs in a task of its own, so a client
//!   that hangs up does not stop it half-way between the two.
//! - **At once**: a second request with a key whose first request is still at work waits for
//!   its answer up to [`WAIT`] (polling the row, so it works across replicas), then gets 409
//!   `idempotency_in_progress` with `Retry-After: 1`.
//! - **Another request, same key**: 422 `validation` with the field `Idempotency-Key` (code
//!   `key_reused`). A malformed key: 422 with the field `Idempotency-Key` (code `invalid_key`).
//! - **Not kept**: answers 5xx, 408 and 429 (the retry may succeed): the reservation is let go
//!   and the next request with the key does the work.
//! - **Large answers**: an answer whose body is not UTF-8 text (a PDF) or larger than
//!   [`KEPT_BODY_MAX`] keeps its status only; a repeat answers that status with an empty body and
//!   `Idempotency-Body: not-kept`, without doing the work again.
//! - **Expiry**: a key is remembered for [`KEY_LIFETIME`] (24 hours) after its first request;
//!   expired keys are forgotten by the minute's chores (`app::serve`) and count as new.
//! - **The work committed but the answer not stored** (the database went away between the two, the
//!   replica died): the reservation stays unfilled; requests with the key get 409
//!   `idempotency_in_progress` until it is [`ABANDONED_AFTER`] (2 minutes) old, then the next one
//!   takes it over and runs the request again against what is stored then (a second checkout of
//!   the copy is refused as `copy_not_available`, a second return as `not_on_loan`): the one window
//!   where a key does not promise exactly once, and where the circulation rules still refuse most
//!   doubles.

use std::time::Duration;

use axum::{
    body::{Body, Bytes},
    extract::{FromRequestParts, Request, State},
    http::{header, HeaderName, HeaderValue, Method, StatusCode},
    middleware::Next,
    response::{IntoResponse, Response},
};
use sha2::{Digest, Sha256};

use super::{
    error::{problem, too_large, ApiError, FieldError},
    extract::Auth,
    AppState,
};
use crate::store::idempotency::{KeptAnswer, Reservation};
pub use crate::store::idempotency::{ABANDONED_AFTER, KEY_LIFETIME};

/// The request header.
pub const KEY: HeaderName = HeaderName::from_static("idempotency-key");
/// On an answer given again: `true`.
pub const REPLAYED: HeaderName = HeaderName::from_static("idempotency-replayed");
/// On an answer given again without its body: `not-kept`.
pub const BODY: HeaderName = HeaderName::from_static("idempotency-body");
/// The name the problem's `errors` give the header.
pub const FIELD: &str = "Idempotency-Key";

/// The longest key.
pub const KEY_MAX: usize = 255;
/// The largest answer body kept for a repeat.
pub const KEPT_BODY_MAX: usize = 256 * 1024;
/// The largest request body read to hash with a key (the largest route's limit is 20 MiB).
const REQUEST_MAX: usize = 32 * 1024 * 1024;
/// How long a request waits for the answer of the same request at work elsewhere.
pub const WAIT: Duration = Duration::from_secs(5);
/// How often it looks.
const POLL: Duration = Duration::from_millis(50);

/// Whether `key` is a valid key: 1 to [`KEY_MAX`] visible ASCII characters.
pub fn valid_key(key: &[u8]) -> bool {
    !key.is_empty() && key.len() <= KEY_MAX && key.iter().all(|b| (0x21..=0x7e).contains(b))
}

fn key_problem(code: &str, message: &str) -> Response {
    ApiError::Validation(vec![FieldError {
        field: FIELD.into(),
        code: code.into(),
        message: message.into(),
        limit: None,
    }])
    .into_response()
}

/// The layer's function (`axum::middleware::from_fn_with_state`).
pub async fn layer(State(s): State<AppState>, req: Request, next: Next) -> Response {
    let writes = matches!(*req.method(), Method::POST | Method::PUT | Method::PATCH | Method::DELETE);
    let path = req.uri().path();
    if !writes || !path.starts_with("/api/") {
        return next.run(req).await;
    }
    let Some(raw) = req.headers().get(KEY) else {
        return next.run(req).await;
    };
    if !valid_key(raw.as_bytes()) {
        return key_problem("invalid_key", "an Idempotency-Key is 1 to 255 visible ASCII characters");
    }
    if path.starts_with("/api/v1/auth/") {
        return next.run(req).await;
    }
    let key = String::from_utf8_lossy(raw.as_bytes()).into_owned();
    let (mut parts, body) = req.into_parts();
    // Resolving the login here puts it into the request's extensions: the handler reuses it.
    let scope = match Auth::from_request_parts(&mut parts, &s).await {
        Ok(Auth(session)) => format!("user:{}", session.user.id),
        // No login (or a refused one): the handler answers as it would without a key.
        Err(_) => return next.run(Request::from_parts(parts, body)).await,
    };
    let bytes = match axum::body::to_bytes(body, REQUEST_MAX).await {
        Ok(b) => b,
        Err(_) => return too_large(REQUEST_MAX),
    };
    let hash = request_hash(&parts.method, parts.uri.path_and_query().map_or("", |p| p.as_str()), &bytes);

    let deadline = tokio::time::Instant::now() + WAIT;
    let id = loop {
        match s.store.reserve_key(&scope, &key, &hash).await {
            Err(e) => return ApiError::from(e).into_response(),
            Ok(Reservation::Reserved { id }) => break id,
            Ok(Reservation::Done(answer)) => return replay(answer),
            Ok(Reservation::Mismatch) => {
                return key_problem(
                    "key_reused",
                    "this Idempotency-Key was used for another request (method, path or body); use a new key",
                )
            }
            Ok(Reservation::InProgress) if tokio::time::Instant::now() >= deadline => {
                let mut res = problem(
                    StatusCode::CONFLICT,
                    "idempotency_in_progress",
                    "a request with this Idempotency-Key is still at work; send it again shortly",
                    vec![],
                );
                res.headers_mut().insert(header::RETRY_AFTER, HeaderValue::from_static("1"));
                return res;
            }
            Ok(Reservation::InProgress) => tokio::time::sleep(POLL).await,
        }
    };

    let req = Request::from_parts(parts, Body::from(bytes));
    let store = s.store.clone();
    // A task of its own: a client hanging up (or the timeout layer giving up) does not stop the
    // work between its commit and the answer being stored.
    let work = tokio::spawn(async move {
        let res = next.run(req).await;
        keep(&store, id, res).await
    });
    match work.await {
        Ok(res) => res,
        Err(e) => {
            // A panic in the handler: its transaction, if any, was rolled back with its connection.
            tracing::error!(error = %e, "a write with an Idempotency-Key failed");
            if let Err(e) = s.store.release_key(id).await {
                tracing::warn!(error = %e, "could not let an idempotency reservation go");
            }
            problem(StatusCode::INTERNAL_SERVER_ERROR, "internal", "something went wrong on our side", vec![])
        }
    }
}

/// SHA-256 of the method, the path and query, and the body.
fn request_hash(method: &Method, path_and_query: &str, body: &Bytes) -> String {
    let mut h = Sha256::new();
    h.update(method.as_str().as_bytes());
    h.update(b"\n");
    h.update(path_and_query.as_bytes());
    h.update(b"\n");
    h.update(body);
    hex::encode(h.finalize())
}

/// Whether an answer of `status` is let go rather than kept: a retry may get another.
fn not_kept(status: StatusCode) -> bool {
    status.is_server_error() || status == StatusCode::REQUEST_TIMEOUT || status == StatusCode::TOO_MANY_REQUESTS
}

/// Stores the answer of reservation `id` (or lets the reservation go) and passes the answer on.
async fn keep(store: &crate::store::Store, id: i64, res: Response) -> Response {
    if not_kept(res.status()) {
        if let Err(e) = store.release_key(id).await {
            tracing::warn!(error = %e, "could not let an idempotency reservation go");
        }
        return res;
    }
    let (parts, body) = res.into_parts();
    // Answers of writes are made whole in memory by their handlers; read whole here.
    let bytes = match axum::body::to_bytes(body, usize::MAX).await {
        Ok(b) => b,
        Err(e) => {
            tracing::warn!(error = %e, "the answer of a write could not be read");
            if let Err(e) = store.release_key(id).await {
                tracing::warn!(error = %e, "could not let an idempotency reservation go");
            }
            return problem(StatusCode::INTERNAL_SERVER_ERROR, "internal", "something went wrong on our side", vec![]);
        }
    };
    let text = |name: header::HeaderName| parts.headers.get(name).and_then(|v| v.to_str().ok()).map(str::to_owned);
    let body = (bytes.len() <= KEPT_BODY_MAX).then(|| std::str::from_utf8(&bytes).ok().map(str::to_owned)).flatten();
    let answer = KeptAnswer {
        status: parts.status.as_u16(),
        content_type: text(header::CONTENT_TYPE),
        location: text(header::LOCATION),
        body,
    };
    if let Err(e) = store.fill_key(id, &answer).await {
        // The work is done: the answer goes to the client all the same. The reservation stays
        // unfilled until it is abandoned (see the module's notes).
        tracing::warn!(error = %e, "the answer of a write with an Idempotency-Key could not be stored");
    }
    Response::from_parts(parts, Body::from(bytes))
}

/// A kept answer, given again.
fn replay(answer: KeptAnswer) -> Response {
    let status = StatusCode::from_u16(answer.status).unwrap_or(StatusCode::OK);
    let kept = answer.body.is_some();
    let mut res = (status, answer.body.unwrap_or_default()).into_response();
    let h = res.headers_mut();
    h.remove(header::CONTENT_TYPE);
    if kept {
        if let Some(v) = answer.content_type.and_then(|v| HeaderValue::from_str(&v).ok()) {
            h.insert(header::CONTENT_TYPE, v);
        }
    } else {
        h.insert(BODY, HeaderValue::from_static("not-kept"));
    }
    if let Some(v) = answer.location.and_then(|v| HeaderValue::from_str(&v).ok()) {
        h.insert(header::LOCATION, v);
    }
    h.insert(REPLAYED, HeaderValue::from_static("true"));
    res
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn keys_are_visible_ascii_up_to_255() {
        assert!(valid_key(b"a"));
        assert!(valid_key(b"desk-1:2026-12-11T08:00:00Z#17"));
        assert!(valid_key(&[b'x'; 255]));
        assert!(!valid_key(&[b'x'; 256]));
        assert!(!valid_key(b""));
        assert!(!valid_key(b"with space"));
        assert!(!valid_key(b"tab\there"));
        assert!(!valid_key("kunci-é".as_bytes()));
    }

    #[test]
    fn the_hash_covers_method_path_and_body() {
        let body = Bytes::from_static(b"{\"barcode\":\"B1\"}");
        let a = request_hash(&Method::POST, "/api/v1/loans", &body);
        assert_eq!(a, request_hash(&Method::POST, "/api/v1/loans", &body));
        assert_ne!(a, request_hash(&Method::PUT, "/api/v1/loans", &body));
        assert_ne!(a, request_hash(&Method::POST, "/api/v1/returns", &body));
        assert_ne!(a, request_hash(&Method::POST, "/api/v1/loans", &Bytes::from_static(b"{}")));
    }

    #[test]
    fn failures_a_retry_may_mend_are_not_kept() {
        assert!(not_kept(StatusCode::SERVICE_UNAVAILABLE));
        assert!(not_kept(StatusCode::INTERNAL_SERVER_ERROR));
        assert!(not_kept(StatusCode::TOO_MANY_REQUESTS));
        assert!(!not_kept(StatusCode::CONFLICT));
        assert!(!not_kept(StatusCode::UNPROCESSABLE_ENTITY));
        assert!(!not_kept(StatusCode::CREATED));
    }
}
