//! Every error leaves as `application/problem+json` (RFC 9457), with a stable `code` the page
//! translates and, for 422, the fields at fault.

use axum::{
    extract::rejection::{JsonRejection, PathRejection, QueryRejection},
    http::{header, HeaderValue, StatusCode},
    response::{IntoResponse, Response},
};
use serde::Serialize;
use utoipa::ToSchema;

use crate::{
    domain::{circulation::Refusal, ValidationError},
    store::error::StoreError,
};

/// One offending field of a request.
#[derive(Debug, Clone, serde::Serialize, utoipa::ToSchema)]
pub struct FieldError {
    /// The field's name in the request body (dotted for nested fields).
    pub field: String,
    /// Stable machine code, e.g. `invalid_isbn`, `required`.
    pub code: String,
    /// An English sentence for people.
    pub message: String,
    /// A file past a reader's budget (the code is one of `pustaka_formats::budget::CODES`): how far
    /// the budget goes, a count or bytes, for the page to word the refusal in its own language.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub limit: Option<u64>,
}

impl FieldError {
    /// A field error from a domain validation failure.
    pub fn new(field: &str, e: ValidationError) -> Self {
        Self { field: field.to_owned(), code: e.code.to_owned(), message: e.message, limit: None }
    }

    /// An uploaded file (in `field`) refused for going past a reader's `budget`; `message` says so
    /// in English.
    pub fn budget(field: &str, budget: &crate::budget::Budget, message: impl Into<String>) -> Self {
        Self {
            field: field.to_owned(),
            code: budget.code.to_owned(),
            message: message.into(),
            limit: Some(budget.limit),
        }
    }
}

/// Everything that can go wrong while serving a request.
#[derive(Debug, thiserror::Error)]
pub enum ApiError {
    /// The request itself is malformed (bad JSON, bad query string).
    #[error("{0}")]
    BadRequest(String),
    /// The body is larger than the service accepts.
    #[error("the request body is too large")]
    TooLarge,
    /// The body parsed but some fields are wrong.
    #[error("the request has invalid fields")]
    Validation(Vec<FieldError>),
    /// No (valid) login.
    #[error("{detail}")]
    Unauthenticated {
        /// `unauthenticated` or `invalid_credentials`.
        code: &'static str,
        /// What happened.
        detail: &'static str,
    },
    /// Too many failed logins lately; try again after `retry_after` seconds.
    #[error("too many failed logins; try again in {retry_after} s")]
    TooManyRequests {
        /// Seconds until the next attempt may succeed.
        retry_after: i64,
    },
    /// Logged in, but not allowed.
    #[error("your account may not do this")]
    Forbidden,
    /// A state-changing request with the session cookie that our own page did not send
    /// (cross-site request forgery); see [`crate::http::extract::sent_by_our_page`].
    #[error("a request from another page was refused")]
    CrossSite,
    /// The thing asked for does not exist.
    #[error("{0} not found")]
    NotFound(&'static str),
    /// The request clashes with what is stored (a duplicate, or a circulation rule).
    #[error("{detail}")]
    Conflict {
        /// Stable machine code, e.g. `copy_not_available`.
        code: &'static str,
        /// An English sentence for people.
        detail: String,
        /// The name of the collection type a refusal is about (`not_for_loan`, `type_limit`), for
        /// the page's own words ("Referensi: baca di tempat").
        collection_type: Option<String>,
    },
    /// This replica is doing as much of some work as it takes at once (passwords being checked,
    /// imports, PDFs); try again after `retry_after` seconds. 503 with `Retry-After`.
    #[error("{detail}; try again in {retry_after} s")]
    Busy {
        /// `busy` (passwords), `import_busy` or `print_busy`.
        code: &'static str,
        /// What is busy, for people.
        detail: &'static str,
        /// Seconds to wait.
        retry_after: i64,
    },
    /// The database is unreachable.
    #[error("the database is not available")]
    Unavailable(#[source] crate::store::error::DbError),
    /// Anything else: a bug or an unexpected database failure.
    #[error(transparent)]
    Internal(#[from] anyhow::Error),
}

/// Shorthand for service results.
pub type Result<T, E = ApiError> = std::result::Result<T, E>;

impl ApiError {
    /// Too many password checks at once (the hashing queue is full).
    pub fn busy_hashing(retry_after: i64) -> Self {
        Self::Busy { code: "busy", detail: "too many logins at once", retry_after }
    }

    /// A conflict with a code and a sentence.
    pub fn conflict(code: &'static str, detail: impl Into<String>) -> Self {
        Self::Conflict { code, detail: detail.into(), collection_type: None }
    }

    /// One invalid field.
    pub fn field(field: &str, e: ValidationError) -> Self {
        Self::Validation(vec![FieldError::new(field, e)])
    }
}

/// Collects field errors while a request is parsed into domain types, so every bad field is reported at once.
#[derive(Default)]
pub struct Fields(Vec<FieldError>);

impl Fields {
    /// Starts with no errors.
    pub fn new() -> Self {
        Self::default()
    }

    /// Parses one field, remembering the error; `None` when it failed.
    pub fn check<T>(&mut self, field: &str, r: std::result::Result<T, ValidationError>) -> Option<T> {
        match r {
            Ok(v) => Some(v),
            Err(e) => {
                self.0.push(FieldError::new(field, e));
                None
            }
        }
    }

    /// Parses an optional field.
    pub fn opt<S, T>(
        &mut self,
        field: &str,
        v: Option<S>,
        parse: impl FnOnce(S) -> std::result::Result<T, ValidationError>,
    ) -> Option<T> {
        v.and_then(|s| self.check(field, parse(s)))
    }

    /// Adds an error that is not a parse failure.
    pub fn add(&mut self, field: &str, code: &str, message: impl Into<String>) {
        self.0.push(FieldError { field: field.into(), code: code.into(), message: message.into(), limit: None });
    }

    /// `Err(Validation)` when any field failed.
    pub fn finish(self) -> Result<()> {
        if self.0.is_empty() {
            Ok(())
        } else {
            Err(ApiError::Validation(self.0))
        }
    }
}

/// The problem code of each refusal: stable, and translated by the page.
pub fn refusal_code(r: &Refusal) -> &'static str {
    match r {
        Refusal::Blocked { .. } => "member_blocked",
        Refusal::Expired { .. } => "member_expired",
        Refusal::LoanLimit { .. } => "loan_limit",
        Refusal::FinesOwed { .. } => "fines_owed",
        Refusal::RenewLimit { .. } => "renew_limit",
        Refusal::Overdue { .. } => "loan_overdue",
        Refusal::OverdueLoans { .. } => "overdue_loans",
        Refusal::HeldForOthers => "held_for_others",
        Refusal::CopyOnLoan { .. }
        | Refusal::CopyUnavailable { .. }
        | Refusal::CopyInCirculation { .. }
        | Refusal::CopyChanged { .. } => "copy_not_available",
        Refusal::CopyHeldForOther { .. } => "copy_on_hold_for_other",
        Refusal::NotOnLoan { .. } => "not_on_loan",
        Refusal::AlreadyReturned => "already_returned",
        Refusal::HoldExists => "hold_exists",
        Refusal::AlreadyBorrowed => "already_borrowed",
        Refusal::CopyOnShelf => "copy_available",
        Refusal::HoldClosed { .. } => "hold_closed",
        Refusal::FineSettled { .. } => "fine_resolved",
        Refusal::HasHistory(_) => "has_loans",
        Refusal::CategoryInUse => "category_in_use",
        Refusal::LastAdmin => "last_admin",
        Refusal::StocktakeFinished => "stocktake_finished",
        Refusal::StocktakeOpen => "stocktake_open",
        Refusal::NotForLoan { .. } => "not_for_loan",
        Refusal::TypeLimit { .. } => "type_limit",
        Refusal::TypeInUse => "collection_type_in_use",
        Refusal::NoCurrentTerm => "no_current_term",
    }
}

/// Every problem `code` the API can answer, for the page's translations (a test in `tests/contract/i18n.rs`
/// fails when `web/js/i18n.js` lacks one in either language). The unit tests below check that each
/// `ApiError` variant and each `Refusal` answers a code from this list.
pub const PROBLEM_CODES: &[&str] = &[
    // ApiError
    "bad_request",
    "too_large",
    "validation",
    "unauthenticated",
    "invalid_credentials",
    "too_many_attempts",
    "forbidden",
    "cross_site_request",
    "not_found",
    "conflict",
    "busy",
    "import_busy",
    "print_busy",
    "unavailable",
    "internal",
    // Refusal, through `refusal_code`
    "member_blocked",
    "member_expired",
    "loan_limit",
    "fines_owed",
    "renew_limit",
    "loan_overdue",
    "held_for_others",
    "copy_not_available",
    "copy_on_hold_for_other",
    "not_on_loan",
    "already_returned",
    "hold_exists",
    "already_borrowed",
    "copy_available",
    "hold_closed",
    "fine_resolved",
    "has_loans",
    "category_in_use",
    "last_admin",
    "overdue_loans",
    // Errors axum and tower make on their own, and readiness (`problem_for_bare_errors`, `readyz`)
    "method_not_allowed",
    "timeout",
    "unsupported_media_type",
    "error",
    "draining",
    // Stock takes (Refusal, through `refusal_code`)
    "stocktake_finished",
    "stocktake_open",
    // Collection types and loan rules (Refusal, through `refusal_code`)
    "not_for_loan",
    "type_limit",
    "collection_type_in_use",
    "no_current_term",
    // Imports (`http/imports.rs`)
    "import_running",
    // Idempotency keys (`http/idempotency.rs`)
    "idempotency_in_progress",
];

/// One of several faults (a class set refused whole) as the field it names: a refusal keeps its
/// problem code (`member_blocked`, `copy_not_available`, ...).
fn fault((field, e): (String, StoreError)) -> FieldError {
    let (code, message) = match e {
        StoreError::Refused(r) => (refusal_code(&r).to_owned(), r.to_string()),
        StoreError::Invalid { error, .. } => (error.code.to_owned(), error.message),
        StoreError::NotFound(what) => ("not_found".to_owned(), format!("no such {what}")),
        e => ("conflict".to_owned(), e.to_string()),
    };
    FieldError { field, code, message, limit: None }
}

impl From<StoreError> for ApiError {
    fn from(e: StoreError) -> Self {
        match e {
            StoreError::NotFound(what) => ApiError::NotFound(what),
            StoreError::Refused(r) => {
                let collection_type = match &r {
                    Refusal::NotForLoan { collection_type, .. } | Refusal::TypeLimit { collection_type, .. } => {
                        Some(collection_type.clone())
                    }
                    _ => None,
                };
                ApiError::Conflict { code: refusal_code(&r), detail: r.to_string(), collection_type }
            }
            StoreError::Invalid { field, error } => ApiError::field(field, error),
            StoreError::Duplicate { field: "", detail } => ApiError::conflict("conflict", detail),
            StoreError::Duplicate { field, detail } => ApiError::conflict("conflict", format!("{detail} ({field})")),
            StoreError::Faults(faults) => ApiError::Validation(faults.into_iter().map(fault).collect()),
            StoreError::Forbidden => ApiError::Forbidden,
            StoreError::BadCredentials => {
                ApiError::Unauthenticated { code: "invalid_credentials", detail: "the username or password is wrong" }
            }
            StoreError::Throttled { retry_after } => ApiError::TooManyRequests { retry_after },
            StoreError::Busy { retry_after } => ApiError::busy_hashing(retry_after),
            StoreError::Unavailable(e) => ApiError::Unavailable(e),
            StoreError::Db(e) => ApiError::Internal(e.into()),
            StoreError::Internal(e) => ApiError::Internal(e),
        }
    }
}

/// The body of every error response.
#[derive(Debug, Serialize, ToSchema)]
pub struct Problem {
    /// `about:blank`, or `/problems/<code>` for Pustaka's own problems.
    #[serde(rename = "type")]
    pub kind: String,
    /// A short summary of the status.
    pub title: String,
    /// The HTTP status.
    pub status: u16,
    /// What went wrong, for people.
    pub detail: String,
    /// Stable machine code, e.g. `copy_not_available`.
    pub code: String,
    /// The fields at fault (422 only).
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub errors: Vec<FieldError>,
    /// The request id to quote when reporting a server error.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub request_id: Option<String>,
    /// The name of the collection type a refusal is about (`not_for_loan`, `type_limit`), e.g.
    /// `Referensi`, for the page's own words ("Referensi: baca di tempat").
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub collection_type: Option<String>,
}

/// Builds a problem response.
pub fn problem(status: StatusCode, code: &str, detail: impl Into<String>, errors: Vec<FieldError>) -> Response {
    problem_with(status, code, detail, errors, None)
}

/// [`problem`] about a collection type.
fn problem_with(
    status: StatusCode,
    code: &str,
    detail: impl Into<String>,
    errors: Vec<FieldError>,
    collection_type: Option<String>,
) -> Response {
    let body = Problem {
        kind: if code == "internal" { "about:blank".into() } else { format!("/problems/{code}") },
        title: status.canonical_reason().unwrap_or("Error").to_owned(),
        status: status.as_u16(),
        detail: detail.into(),
        code: code.to_owned(),
        errors,
        request_id: None,
        collection_type,
    };
    let mut res = (status, axum::Json(body)).into_response();
    res.headers_mut().insert(header::CONTENT_TYPE, HeaderValue::from_static("application/problem+json"));
    res
}

impl IntoResponse for ApiError {
    fn into_response(self) -> Response {
        match self {
            ApiError::BadRequest(detail) => problem(StatusCode::BAD_REQUEST, "bad_request", detail, vec![]),
            ApiError::TooLarge => too_large(super::BODY_LIMIT),
            ApiError::Validation(errors) => {
                let detail =
                    errors.iter().map(|e| format!("{}: {}", e.field, e.message)).collect::<Vec<_>>().join("; ");
                problem(StatusCode::UNPROCESSABLE_ENTITY, "validation", detail, errors)
            }
            ApiError::Unauthenticated { code, detail } => {
                let mut res = problem(StatusCode::UNAUTHORIZED, code, detail, vec![]);
                res.headers_mut().insert(header::WWW_AUTHENTICATE, HeaderValue::from_static("Bearer"));
                res
            }
            ApiError::TooManyRequests { retry_after } => {
                let res = problem(
                    StatusCode::TOO_MANY_REQUESTS,
                    "too_many_attempts",
                    format!("too many failed logins; try again in {retry_after} seconds"),
                    vec![],
                );
                with_retry_after(res, HeaderValue::from(retry_after))
            }
            ApiError::Forbidden => problem(StatusCode::FORBIDDEN, "forbidden", "your account may not do this", vec![]),
            ApiError::CrossSite => problem(
                StatusCode::FORBIDDEN,
                "cross_site_request",
                "this request came with the session cookie but not from Pustaka's own page; \
                 programs send the token as Authorization: Bearer",
                vec![],
            ),
            ApiError::NotFound(what) => {
                problem(StatusCode::NOT_FOUND, "not_found", format!("{what} not found"), vec![])
            }
            ApiError::Conflict { code, detail, collection_type } => {
                problem_with(StatusCode::CONFLICT, code, detail, vec![], collection_type)
            }
            ApiError::Busy { code, detail, retry_after } => {
                let res = problem(
                    StatusCode::SERVICE_UNAVAILABLE,
                    code,
                    format!("{detail}; try again in {retry_after} seconds"),
                    vec![],
                );
                with_retry_after(res, HeaderValue::from(retry_after))
            }
            ApiError::Unavailable(e) => {
                tracing::warn!(error = %e, "database unavailable");
                let res = problem(
                    StatusCode::SERVICE_UNAVAILABLE,
                    "unavailable",
                    "the database is not available; try again shortly",
                    vec![],
                );
                with_retry_after(res, HeaderValue::from_static("2"))
            }
            ApiError::Internal(e) => {
                // The whole cause chain goes to the log (with the request id from the span); the
                // client gets the id only. The request-id layer fills `request_id` in.
                tracing::error!(error = ?e, "internal error");
                problem(
                    StatusCode::INTERNAL_SERVER_ERROR,
                    "internal",
                    "something went wrong on our side; quote the request id when reporting it",
                    vec![],
                )
            }
        }
    }
}

/// A body limit in words: `64 KiB`, `1 MiB`, `20 MiB`.
pub fn size_text(bytes: usize) -> String {
    match bytes {
        b if b >= 1 << 20 && b % (1 << 20) == 0 => format!("{} MiB", b >> 20),
        b if b >= 1 << 10 && b % (1 << 10) == 0 => format!("{} KiB", b >> 10),
        b => format!("{b} bytes"),
    }
}

/// The 413 of a body larger than `limit`. [`ApiError::TooLarge`] names the limit of routes
/// without one of their own (`http::BODY_LIMIT`); a group of routes with its own answers its 413s
/// with that (`limits::body_limit`).
pub fn too_large(limit: usize) -> Response {
    problem(
        StatusCode::PAYLOAD_TOO_LARGE,
        "too_large",
        format!("the request body is larger than {}", size_text(limit)),
        vec![],
    )
}

/// `res` with `Retry-After: seconds`.
fn with_retry_after(mut res: Response, seconds: HeaderValue) -> Response {
    res.headers_mut().insert(header::RETRY_AFTER, seconds);
    res
}

/// The field a serde message names: `title: invalid type ...` or ``missing field `title` ``.
fn field_of(msg: &str) -> (String, String) {
    if let Some(rest) = msg.split("missing field `").nth(1) {
        let field = rest.split('`').next().unwrap_or_default();
        return (field.to_owned(), format!("{field} is required"));
    }
    if let Some(rest) = msg.split("unknown field `").nth(1) {
        let field = rest.split('`').next().unwrap_or_default();
        return (field.to_owned(), format!("there is no field {field}"));
    }
    match msg.split_once(": ") {
        Some((path, rest)) if !path.contains(' ') && path != "." => {
            (path.to_owned(), rest.split(" at line ").next().unwrap_or(rest).to_owned())
        }
        _ => (String::new(), msg.split(" at line ").next().unwrap_or(msg).to_owned()),
    }
}

impl From<JsonRejection> for ApiError {
    fn from(r: JsonRejection) -> Self {
        match r {
            JsonRejection::JsonDataError(e) => {
                let text = e.body_text();
                let msg = text.split("target type: ").nth(1).unwrap_or(&text);
                let (field, message) = field_of(msg);
                let code = if message.ends_with("is required") { "required" } else { "invalid_type" };
                ApiError::Validation(vec![FieldError { field, code: code.into(), message, limit: None }])
            }
            JsonRejection::JsonSyntaxError(e) => {
                ApiError::BadRequest(format!("the body is not valid JSON: {}", e.body_text()))
            }
            JsonRejection::MissingJsonContentType(_) => {
                ApiError::BadRequest("send the body as JSON with Content-Type: application/json".into())
            }
            other if other.status() == StatusCode::PAYLOAD_TOO_LARGE => ApiError::TooLarge,
            other => ApiError::BadRequest(other.body_text()),
        }
    }
}

impl From<QueryRejection> for ApiError {
    fn from(r: QueryRejection) -> Self {
        let text = r.body_text();
        let msg = text.split("query string: ").nth(1).unwrap_or(&text);
        let (field, message) = field_of(msg);
        ApiError::Validation(vec![FieldError { field, code: "invalid_query".into(), message, limit: None }])
    }
}

impl From<PathRejection> for ApiError {
    fn from(r: PathRejection) -> Self {
        ApiError::BadRequest(format!("bad path parameter: {}", r.body_text()))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn limits_are_named_in_their_unit() {
        assert_eq!(size_text(super::super::BODY_LIMIT), "64 KiB");
        assert_eq!(size_text(1024 * 1024), "1 MiB");
        assert_eq!(size_text(20 * 1024 * 1024), "20 MiB");
        assert_eq!(size_text(256 * 1024), "256 KiB");
        assert_eq!(size_text(1000), "1000 bytes");
    }

    #[test]
    fn store_errors_keep_their_codes() {
        use crate::domain::{circulation::Record, status::CopyStatus};
        let code = |e: StoreError| match ApiError::from(e) {
            ApiError::Conflict { code, .. } => code,
            other => panic!("{other:?}"),
        };
        assert_eq!(code(Refusal::CopyOnLoan { barcode: "B".into() }.into()), "copy_not_available");
        assert_eq!(code(Refusal::CopyHeldForOther { barcode: "B".into() }.into()), "copy_on_hold_for_other");
        assert_eq!(
            code(Refusal::CopyInCirculation { barcode: "B".into(), status: CopyStatus::OnLoan }.into()),
            "copy_not_available"
        );
        assert_eq!(code(Refusal::HasHistory(Record::Member).into()), "has_loans");
        assert_eq!(code(Refusal::LoanLimit { max: 1 }.into()), "loan_limit");
        assert_eq!(code(StoreError::Duplicate { field: "isbn", detail: "taken".into() }), "conflict");
        assert!(matches!(
            ApiError::from(StoreError::BadCredentials),
            ApiError::Unauthenticated { code: "invalid_credentials", .. }
        ));
        assert!(matches!(ApiError::from(StoreError::from(sqlx::Error::PoolTimedOut)), ApiError::Unavailable(_)));
        let busy = ApiError::from(StoreError::from(crate::passwords::HashError::Busy)).into_response();
        assert_eq!(busy.status(), StatusCode::SERVICE_UNAVAILABLE);
        assert_eq!(busy.headers()[header::RETRY_AFTER], "1");
        let invalid = ApiError::from(StoreError::invalid("category", ValidationError::new("unknown_category", "no")));
        assert!(
            matches!(invalid, ApiError::Validation(ref f) if f[0].field == "category" && f[0].code == "unknown_category")
        );
    }

    /// One sample of each `ApiError` variant (the match in `api_variant` is exhaustive: a new
    /// variant does not compile until it has a number, and the test fails until it has a sample).
    fn api_error_samples() -> Vec<ApiError> {
        vec![
            ApiError::BadRequest("x".into()),
            ApiError::TooLarge,
            ApiError::Validation(vec![]),
            ApiError::Unauthenticated { code: "unauthenticated", detail: "x" },
            ApiError::from(StoreError::BadCredentials),
            ApiError::TooManyRequests { retry_after: 60 },
            ApiError::Forbidden,
            ApiError::CrossSite,
            ApiError::NotFound("x"),
            ApiError::conflict("conflict", "x"),
            ApiError::busy_hashing(1),
            ApiError::Busy { code: "import_busy", detail: "x", retry_after: 10 },
            ApiError::Busy { code: "print_busy", detail: "x", retry_after: 2 },
            ApiError::from(StoreError::from(sqlx::Error::PoolTimedOut)),
            ApiError::Internal(anyhow::anyhow!("x")),
        ]
    }

    fn api_variant(e: &ApiError) -> usize {
        match e {
            ApiError::BadRequest(_) => 0,
            ApiError::TooLarge => 1,
            ApiError::Validation(_) => 2,
            ApiError::Unauthenticated { .. } => 3,
            ApiError::TooManyRequests { .. } => 4,
            ApiError::Forbidden => 5,
            ApiError::NotFound(_) => 6,
            ApiError::Conflict { .. } => 7,
            ApiError::Busy { .. } => 8,
            ApiError::Unavailable(_) => 9,
            ApiError::Internal(_) => 10,
            ApiError::CrossSite => 11,
        }
    }

    fn code_of(res: Response) -> String {
        let (_, body) = res.into_parts();
        let bytes = block_on(axum::body::to_bytes(body, 64 * 1024)).expect("body");
        let v: serde_json::Value = serde_json::from_slice(&bytes).expect("problem json");
        v["code"].as_str().expect("code").to_owned()
    }

    /// Polls a future that never waits (a response body already in memory) to its end.
    fn block_on<F: std::future::Future>(f: F) -> F::Output {
        tokio::runtime::Builder::new_current_thread().build().expect("runtime").block_on(f)
    }

    #[test]
    fn every_code_the_api_answers_is_in_the_list() {
        // Every kind of refusal (the domain's test checks that the samples cover them all)
        for r in Refusal::samples() {
            let code = refusal_code(&r);
            assert!(PROBLEM_CODES.contains(&code), "refusal code {code:?} is missing from PROBLEM_CODES");
            assert_eq!(code_of(ApiError::from(StoreError::from(r)).into_response()), code);
        }
        let errors = api_error_samples();
        let covered: std::collections::BTreeSet<usize> = errors.iter().map(api_variant).collect();
        assert_eq!(covered, (0..12).collect(), "an ApiError variant has no sample");
        for e in errors {
            let code = code_of(e.into_response());
            assert!(PROBLEM_CODES.contains(&code.as_str()), "code {code:?} is missing from PROBLEM_CODES");
        }
        let mut sorted = PROBLEM_CODES.to_vec();
        sorted.sort_unstable();
        sorted.dedup();
        assert_eq!(sorted.len(), PROBLEM_CODES.len(), "PROBLEM_CODES lists a code twice");
    }

    #[test]
    fn serde_messages_name_their_field() {
        assert_eq!(field_of("missing field `title` at line 1 column 2").0, "title");
        assert_eq!(field_of("year: invalid type: string \"x\", expected i32 at line 1 column 9").0, "year");
        assert_eq!(field_of("unknown field `titel`, expected one of ...").0, "titel");
        assert_eq!(field_of("expected value at line 1 column 1").0, "");
    }
}
