//! The HTTP edge: the whole route table, the OpenAPI document built from it, and the layers every
//! request passes through.

pub mod accounts;
mod api_docs;
pub mod authz;
pub mod backup;
pub mod catalogue;
pub mod circulation;
pub mod class_sets;
pub mod collections;
pub mod copycat;
pub mod desk;
pub mod error;
pub mod export;
pub mod extract;
pub mod first_start;
pub mod idempotency;
pub mod imports;
pub mod limits;
pub mod members;
pub mod notices;
pub mod print;
pub mod reading;
pub mod reports;
pub mod settings;
pub mod stocktake;
pub mod table;
pub mod visits;

use std::{path::Path, time::Duration};

use axum::{
    extract::{DefaultBodyLimit, Request, State},
    http::{header, HeaderName, HeaderValue, StatusCode},
    middleware::{self, Next},
    response::{IntoResponse, Response},
    routing::get,
    Router,
};
use tower_http::{
    catch_panic::CatchPanicLayer,
    request_id::{MakeRequestUuid, PropagateRequestIdLayer, SetRequestIdLayer},
    services::{ServeDir, ServeFile},
    set_header::SetResponseHeaderLayer,
    timeout::TimeoutLayer,
    trace::TraceLayer,
};
use utoipa::{
    openapi::security::{ApiKey, ApiKeyValue, HttpAuthScheme, HttpBuilder, SecurityScheme},
    Modify, OpenApi,
};
use utoipa_axum::router::OpenApiRouter;

use crate::store::Store;

/// What every handler can reach.
#[derive(Clone)]
pub struct AppState {
    /// The library's records.
    pub store: Store,
    /// Whether `X-Forwarded-For` comes from a balancer we trust (for login throttling).
    pub trust_forwarded_for: bool,
    /// Set at shutdown: `/readyz` answers 503 so the balancer stops sending requests here.
    pub draining: std::sync::Arc<std::sync::atomic::AtomicBool>,
    /// The SMTP server the environment pins (`PUSTAKA_SMTP_URL`); none: the one set in the page.
    pub smtp_pinned: Option<crate::notices::SmtpSettings>,
    /// How many imports and PDFs this replica takes at once.
    pub work: limits::Work,
    /// The outgoing side of copy cataloguing.
    pub lookup: crate::copycat::Lookup,
    /// The folder of the daily backups (listed and restored from in the page); none: no folder.
    pub backup_dir: Option<std::path::PathBuf>,
}

/// The header carrying the request id, set by the balancer or by us.
pub const REQUEST_ID: HeaderName = HeaderName::from_static("x-request-id");
/// The header naming the replica that answered.
pub const SERVED_BY: HeaderName = HeaderName::from_static("x-served-by");

/// Largest request body of a route without a limit of its own (`limits::body_limit`): JSON.
const BODY_LIMIT: usize = 64 * 1024;

#[derive(OpenApi)]
#[openapi(
    info(title = "Pustaka", description = "Library management: catalogue, members, loans, holds and fines."),
    modifiers(&Security),
    tags(
        (name = "catalogue", description = "Books and copies; reading is public"),
        (name = "members", description = "Members and their loan-rule categories"),
        (name = "collections", description = "Collection types and the loan-rule matrix (member category x collection type)"),
        (name = "circulation", description = "Loans, returns, renewals, holds and fines"),
        (name = "calendar", description = "Days the library is closed"),
        (name = "accounts", description = "Login, accounts, audit log"),
        (name = "notices", description = "Reminders and overdue notices by email; WhatsApp links"),
        (name = "settings", description = "Settings a librarian changes in the page: time zone, default language, SMTP server; environment variables pin them"),
        (name = "reports", description = "Statistics over a date range as JSON, CSV or XLSX"),
        (name = "health", description = "Liveness and readiness"),
        (name = "about", description = "The licences of the software this program contains"),
        (name = "visits", description = "The visitor log (buku tamu): the entrance kiosk and visitor statistics"),
        (name = "stocktake", description = "Stock takes (inventarisasi): scanning the shelves, the report, missing copies"),
        (name = "print", description = "The library's identity, automatic barcodes, call numbers; labels and member cards as PDFs"),
        (name = "export", description = "The catalogue, copies, members and loans as CSV or XLSX (staff)"),
        (name = "backup", description = "A backup of every record, downloaded, checked and restored (admin)"),
        (name = "import", description = "Spreadsheets and MARC files into the catalogue and the members (admin)"),
        (name = "reading", description = "The reading programme (Gerakan Literasi Sekolah): targets, per student and per class, the most active readers; a teacher sees their own classes"),
    )
)]
struct ApiDoc;

struct Security;

impl Modify for Security {
    fn modify(&self, doc: &mut utoipa::openapi::OpenApi) {
        let c = doc.components.get_or_insert_with(Default::default);
        c.add_security_scheme(
            "bearer",
            SecurityScheme::Http(HttpBuilder::new().scheme(HttpAuthScheme::Bearer).build()),
        );
        c.add_security_scheme(
            "cookie",
            SecurityScheme::ApiKey(ApiKey::Cookie(ApiKeyValue::with_description(
                extract::SESSION_COOKIE,
                "The page's HttpOnly session cookie. A request that changes anything (not GET or HEAD) with \
                 it must come from Pustaka's own page: `Sec-Fetch-Site: same-origin`, the header \
                 `X-Pustaka-Page`, or an `Origin` equal to Pustaka's own; else 403 `cross_site_request`. \
                 Programs use the bearer token.",
            ))),
        );
    }
}

/// Documents what every operation can answer besides its own responses: errors are
/// `application/problem+json`; any route may answer 400 (malformed request), 422 (invalid
/// fields or query), 500 and 503 (database down); routes behind a login 401 and 403; routes
/// with a body 413.
struct ProblemResponses;

impl Modify for ProblemResponses {
    fn modify(&self, doc: &mut utoipa::openapi::OpenApi) {
        use utoipa::openapi::RefOr;
        let problem = |description: &str| problem_response(description);
        let too_large = format!("The body is larger than {}", error::size_text(BODY_LIMIT));
        for item in doc.paths.paths.values_mut() {
            let ops = [
                (&mut item.get, false),
                (&mut item.put, true),
                (&mut item.post, true),
                (&mut item.delete, true),
                (&mut item.patch, true),
            ];
            for (op, changes) in ops {
                let Some(op) = op else { continue };
                let responses = &mut op.responses.responses;
                for (status, response) in responses.iter_mut() {
                    if let (true, RefOr::T(r)) = (status.starts_with('4') || status.starts_with('5'), response) {
                        if let Some(content) = r.content.shift_remove("application/json") {
                            r.content.insert("application/problem+json".into(), content);
                        }
                    }
                }
                let mut standard = vec![
                    ("400", "The request is malformed (JSON, path or query)"),
                    ("422", "Some fields or query parameters are invalid; `errors` names them"),
                    ("500", "A fault on the server; quote `request_id`"),
                    ("503", "The database is not available; retry shortly"),
                ];
                if op.security.as_ref().is_some_and(|s| !s.is_empty()) {
                    standard.push(("401", "Not logged in, or the session ended"));
                    standard.push(if changes {
                        (
                            "403",
                            "This account's role may not do this (`forbidden`), or the session cookie came \
                             with a request that Pustaka's page did not send (`cross_site_request`)",
                        )
                    } else {
                        ("403", "This account's role may not do this")
                    });
                }
                if changes && op.security.as_ref().is_some_and(|s| !s.is_empty()) {
                    op.parameters.get_or_insert_with(Vec::new).push(idempotency_key_parameter());
                    standard.push((
                        "409",
                        "Refused (see `code`); `idempotency_in_progress`: a request with this `Idempotency-Key` \
                         is still at work, see Retry-After",
                    ));
                }
                if op.request_body.is_some() {
                    // Routes with a limit of their own have said so already (`limits::body_limit`).
                    standard.push(("413", too_large.as_str()));
                }
                for (status, description) in standard {
                    responses.entry(status.into()).or_insert_with(|| problem(description));
                }
            }
        }
    }
}

/// The optional `Idempotency-Key` header of every write behind a login (see [`idempotency`]).
fn idempotency_key_parameter() -> utoipa::openapi::path::Parameter {
    use utoipa::openapi::{
        path::{ParameterBuilder, ParameterIn},
        schema::{ObjectBuilder, Type},
        Required,
    };
    ParameterBuilder::new()
        .name("Idempotency-Key")
        .parameter_in(ParameterIn::Header)
        .required(Required::False)
        .description(Some(
            "1 to 255 visible ASCII characters, the caller's own. The same key again (same account, method, path \
             and body) within 24 hours answers the first answer with `Idempotency-Replayed: true` and does \
             nothing; with another request it is 422 naming `Idempotency-Key`. Answers 5xx, 408 and 429 are \
             not kept; an answer that is not text or larger than 256 KiB keeps its status only \
             (`Idempotency-Body: not-kept`).",
        ))
        .schema(Some(ObjectBuilder::new().schema_type(Type::String).min_length(Some(1)).max_length(Some(255))))
        .build()
}

/// An OpenAPI response of `description` whose body is a problem.
fn problem_response(description: &str) -> utoipa::openapi::RefOr<utoipa::openapi::Response> {
    use utoipa::openapi::{ContentBuilder, Ref, RefOr, ResponseBuilder};
    RefOr::T(
        ResponseBuilder::new()
            .description(description)
            .content(
                "application/problem+json",
                ContentBuilder::new().schema(Some(Ref::from_schema_name("Problem"))).build(),
            )
            .build(),
    )
}

/// The API's routes and their OpenAPI document.
pub fn api() -> (Router<AppState>, utoipa::openapi::OpenApi) {
    let v1 = OpenApiRouter::new()
        .merge(catalogue::router())
        .merge(copycat::router())
        .merge(members::router())
        .merge(collections::router())
        .merge(circulation::router())
        .merge(class_sets::router())
        .merge(desk::router())
        .merge(accounts::router())
        .merge(first_start::router())
        .merge(notices::router())
        .merge(settings::router())
        .merge(reports::router())
        .merge(visits::router())
        .merge(stocktake::router())
        .merge(print::router())
        .merge(export::router())
        .merge(backup::router())
        .merge(imports::router())
        .merge(reading::router());
    let (router, mut doc) = OpenApiRouter::with_openapi(ApiDoc::openapi())
        .routes(utoipa_axum::routes!(healthz))
        .routes(utoipa_axum::routes!(readyz))
        .routes(utoipa_axum::routes!(licenses))
        .nest("/api/v1", v1)
        .split_for_parts();
    // After the routes are in: the derive's modifiers ran on a document with no paths yet.
    ProblemResponses.modify(&mut doc);
    (router, doc)
}

/// Routes outside the OpenAPI document: the catch-alls of unknown API paths, and `/metrics`
/// (refused here: metrics have a port of their own).
const API_ROOT: &str = "/api";
const API_REST: &str = "/api/{*rest}";
const METRICS: &str = "/metrics";

/// Every route template of [`router`] (as axum's `MatchedPath` gives them), for the metrics:
/// the document's paths, the API docs' own ([`api_docs::PATHS`]) and the routes above.
fn route_templates(doc: &utoipa::openapi::OpenApi) -> impl Iterator<Item = String> + '_ {
    let others = api_docs::PATHS.into_iter().chain([API_ROOT, API_REST, METRICS]).map(str::to_owned);
    doc.paths.paths.keys().cloned().chain(others)
}

/// The whole application: API, docs, page, and the layers around them; each request is counted
/// in `metrics` by its route template.
pub fn router(state: AppState, web_dir: &Path, instance: &str, metrics: &crate::metrics::Metrics) -> Router {
    let (api, doc) = api();
    let counted = metrics.http(route_templates(&doc));
    // The page's files gzipped for a browser that takes it: a phone on a slow connection opens
    // the catalogue with a third of the bytes (i18n.js alone is 110 KB, 25 KB gzipped).
    let page = tower::Layer::layer(
        &tower_http::compression::CompressionLayer::new().gzip(true),
        ServeDir::new(web_dir)
            .append_index_html_on_directories(true)
            .fallback(ServeFile::new(web_dir.join("index.html"))),
    );
    let served_by = HeaderValue::from_str(instance).unwrap_or_else(|_| HeaderValue::from_static("pustaka"));

    // Every write of the API may carry an `Idempotency-Key` (see `idempotency`).
    let api = api.layer(middleware::from_fn_with_state(state.clone(), idempotency::layer));
    // Who may call which route: one table, checked before the handler and the replay of an
    // idempotent answer (see `authz`).
    let api = api.route_layer(middleware::from_fn_with_state(state.clone(), authz::layer));
    Router::new()
        .merge(api)
        .merge(api_docs::router(&doc))
        .route(METRICS, axum::routing::any(metrics_elsewhere))
        .route(API_ROOT, get(api_not_found))
        .route(
            API_REST,
            get(api_not_found).post(api_not_found).put(api_not_found).patch(api_not_found).delete(api_not_found),
        )
        .fallback_service(page)
        .with_state(state)
        .layer(middleware::from_fn(security_headers))
        .layer(DefaultBodyLimit::max(BODY_LIMIT))
        .layer(middleware::from_fn(problem_for_bare_errors))
        .layer(TimeoutLayer::with_status_code(StatusCode::REQUEST_TIMEOUT, Duration::from_secs(30)))
        .layer(CatchPanicLayer::custom(|_| {
            error::problem(StatusCode::INTERNAL_SERVER_ERROR, "internal", "something went wrong on our side", vec![])
        }))
        .layer(middleware::from_fn(no_store_unless_public))
        .layer(SetResponseHeaderLayer::overriding(SERVED_BY, served_by))
        .layer(PropagateRequestIdLayer::new(REQUEST_ID))
        .layer(TraceLayer::new_for_http().make_span_with(|req: &Request| {
            let id = req.headers().get(REQUEST_ID).and_then(|v| v.to_str().ok()).unwrap_or("-");
            tracing::info_span!("request", method = %req.method(), uri = %req.uri().path(), request_id = %id)
        }))
        .layer(SetRequestIdLayer::new(REQUEST_ID, MakeRequestUuid))
        // Outermost, so the time counted is the whole answer's; a layer of the router, so it runs
        // after routing and sees the route template.
        .layer(crate::metrics::HttpMetricsLayer(counted))
}

/// `/metrics` is not served on the API's port (it would tell anybody on the network how the
/// service is doing): it has its own listener, `PUSTAKA_METRICS_LISTEN`, on the internal network.
async fn metrics_elsewhere() -> Response {
    error::problem(StatusCode::NOT_FOUND, "not_found", "metrics are not served on this port", vec![])
}

/// Unknown `/api/...` paths answer with a problem, not the page.
async fn api_not_found() -> Response {
    error::problem(StatusCode::NOT_FOUND, "not_found", "no such API route", vec![])
}

/// Headers that keep the page from being framed, sniffed or fed foreign scripts.
async fn security_headers(req: Request, next: Next) -> Response {
    let is_docs = req.uri().path().starts_with("/api/docs");
    let mut res = next.run(req).await;
    let h = res.headers_mut();
    h.insert(header::X_CONTENT_TYPE_OPTIONS, HeaderValue::from_static("nosniff"));
    h.insert(header::X_FRAME_OPTIONS, HeaderValue::from_static("DENY"));
    h.insert(header::REFERRER_POLICY, HeaderValue::from_static("same-origin"));
    // Swagger UI sets inline styles on its elements; it has no inline script (src/http/api_docs.rs).
    let csp = if is_docs {
        "default-src 'self'; script-src 'self'; style-src 'self' 'unsafe-inline'; img-src 'self' data:; connect-src 'self'; frame-ancestors 'none'; base-uri 'none'"
    } else {
        "default-src 'self'; script-src 'self'; style-src 'self'; img-src 'self' data:; connect-src 'self'; frame-ancestors 'none'; base-uri 'none'; form-action 'self'"
    };
    // A response with a policy of its own (the logo's, stricter) keeps it.
    if !h.contains_key(header::CONTENT_SECURITY_POLICY) {
        h.insert(header::CONTENT_SECURITY_POLICY, HeaderValue::from_static(csp));
    }
    res
}

/// Whether a request reads the public catalogue: the same answer for everybody, logged in or not,
/// with nobody's personal data in it (the API routes whose OpenAPI operation has no `security`, a
/// unit test checks). Everything else under `/api/v1` answers for an account.
fn is_public_read(method: &axum::http::Method, path: &str) -> bool {
    use axum::http::Method;
    (method == Method::GET || method == Method::HEAD)
        && (path == "/api/v1/books"
            || path.starts_with("/api/v1/books/")
            || path.starts_with("/api/v1/copies/")
            || path.starts_with("/api/v1/covers/")
            || path == "/api/v1/closed-days"
            || path == "/api/v1/terms"
            || path == "/api/v1/library"
            || path == "/api/v1/library/logo"
            || path == "/api/v1/settings/page")
}

/// `Cache-Control: no-store` on every `/api/v1` response but the public catalogue reads: members,
/// their loans and fines, accounts and the audit log must not stay in the browser of a shared desk
/// computer (nor in any cache between). Decided by route rather than by "the request carried a
/// session": a refusal or an error on a personal route is not worth keeping either, and a catalogue
/// page read by a logged-in librarian is as public as anybody's.
async fn no_store_unless_public(req: Request, next: Next) -> Response {
    let personal = req.uri().path().starts_with("/api/v1/") && !is_public_read(req.method(), req.uri().path());
    let mut res = next.run(req).await;
    if personal {
        res.headers_mut().insert(header::CACHE_CONTROL, HeaderValue::from_static("no-store"));
    }
    res
}

/// Turns the few plain-text errors axum and tower make on their own (405, 413, 408, an unknown
/// method) into problem+json like everything else, and writes the request id into every 5xx so
/// the person who saw it can quote it.
async fn problem_for_bare_errors(req: Request, next: Next) -> Response {
    let request_id = req.headers().get(REQUEST_ID).and_then(|v| v.to_str().ok()).map(str::to_owned);
    let res = next.run(req).await;
    let status = res.status();
    let is_problem =
        res.headers().get(header::CONTENT_TYPE).is_some_and(|v| v.as_bytes().starts_with(b"application/problem+json"));
    if !status.is_client_error() && !status.is_server_error() {
        return res;
    }
    if is_problem {
        return if status.is_server_error() { with_request_id(res, request_id).await } else { res };
    }
    let (code, detail) = match status {
        // A route with a limit of its own has named it already (`limits::body_limit`).
        StatusCode::PAYLOAD_TOO_LARGE => return error::too_large(BODY_LIMIT),
        StatusCode::METHOD_NOT_ALLOWED => ("method_not_allowed", "this route does not take that method"),
        StatusCode::REQUEST_TIMEOUT => ("timeout", "the request took too long"),
        StatusCode::UNSUPPORTED_MEDIA_TYPE => {
            ("unsupported_media_type", "send JSON with Content-Type: application/json")
        }
        StatusCode::NOT_FOUND => return res,
        _ => ("error", "the request failed"),
    };
    let mut out = error::problem(status, code, detail, vec![]);
    if let Some(allow) = res.headers().get(header::ALLOW) {
        out.headers_mut().insert(header::ALLOW, allow.clone());
    }
    if status.is_server_error() {
        out = with_request_id(out, request_id).await;
    }
    out
}

/// Adds `request_id` to a problem body.
async fn with_request_id(res: Response, request_id: Option<String>) -> Response {
    let (parts, body) = res.into_parts();
    let Ok(bytes) = axum::body::to_bytes(body, 64 * 1024).await else {
        return Response::from_parts(parts, axum::body::Body::empty());
    };
    let body = match serde_json::from_slice::<serde_json::Value>(&bytes) {
        Ok(mut v) => {
            v["request_id"] = request_id.into();
            serde_json::to_vec(&v).unwrap_or(bytes.to_vec())
        }
        Err(_) => bytes.to_vec(),
    };
    let mut res = Response::from_parts(parts, axum::body::Body::from(body));
    res.headers_mut().remove(header::CONTENT_LENGTH);
    res
}

/// Liveness: the process answers.
#[utoipa::path(get, path = "/healthz", tag = "health", responses((status = 200, description = "alive")))]
async fn healthz() -> impl IntoResponse {
    axum::Json(serde_json::json!({ "status": "ok" }))
}

/// Readiness: the database answers. The balancer sends traffic only to ready replicas.
#[utoipa::path(get, path = "/readyz", tag = "health",
    responses((status = 200, description = "ready"), (status = 503, description = "the database does not answer", body = error::Problem)))]
async fn readyz(State(s): State<AppState>) -> Response {
    if s.draining.load(std::sync::atomic::Ordering::Relaxed) {
        return error::problem(StatusCode::SERVICE_UNAVAILABLE, "draining", "this replica is shutting down", vec![]);
    }
    match tokio::time::timeout(Duration::from_secs(2), s.store.db.ping()).await {
        Ok(Ok(())) => axum::Json(serde_json::json!({ "status": "ready" })).into_response(),
        Ok(Err(e)) => {
            tracing::warn!(error = %e, "not ready");
            error::problem(StatusCode::SERVICE_UNAVAILABLE, "unavailable", "the database does not answer", vec![])
        }
        Err(_) => {
            error::problem(StatusCode::SERVICE_UNAVAILABLE, "unavailable", "the database is too slow to answer", vec![])
        }
    }
}

/// Pustaka's licence and the notices of the third-party code compiled into this program, written
/// by `licenses/generate` (CI checks it is current) and embedded, so it needs no file at run time.
pub const LICENSES: &str = include_str!("../../licenses/THIRD-PARTY-NOTICES.txt");

/// Licences: Pustaka's own and those of every crate and bundled part in this program.
#[utoipa::path(get, path = "/licenses", tag = "about",
    responses((status = 200, description = "the notices, as plain text", body = String, content_type = "text/plain; charset=utf-8")))]
async fn licenses() -> impl IntoResponse {
    ([(header::CONTENT_TYPE, "text/plain; charset=utf-8"), (header::CACHE_CONTROL, "public, max-age=3600")], LICENSES)
}

#[cfg(test)]
mod tests {
    use axum::http::Method;

    use super::*;

    /// The cache rule and the OpenAPI document agree: an operation is cacheable exactly when it
    /// is a read without `security`.
    #[test]
    fn only_public_reads_may_be_cached() {
        let (_, doc) = api();
        let mut public = 0;
        for (path, item) in &doc.paths.paths {
            if !path.starts_with("/api/v1/") {
                continue;
            }
            let concrete = path.replace("{id}", "7").replace("{barcode}", "B-1").replace("{code}", "x");
            let concrete = concrete.replace("{date}", "2030-01-02");
            let ops = [
                (Method::GET, &item.get),
                (Method::POST, &item.post),
                (Method::PUT, &item.put),
                (Method::PATCH, &item.patch),
                (Method::DELETE, &item.delete),
            ];
            for (method, op) in ops {
                let Some(op) = op else { continue };
                let open = op.security.as_ref().is_none_or(|s| s.is_empty());
                let reads = method == Method::GET && open;
                assert_eq!(is_public_read(&method, &concrete), reads, "{method} {path}");
                public += usize::from(reads);
            }
        }
        assert!(public >= 4, "{public} public reads");
        assert!(!is_public_read(&Method::GET, "/api/v1/members/1"));
        assert!(!is_public_read(&Method::POST, "/api/v1/books"));
    }
}
