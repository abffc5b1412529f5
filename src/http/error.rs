//! Every error leaves as `application/problem+json` (RFC 9457), with a stable `code` the page
//! translates and, for 422, the fields at fault.

use axum::{
    extract::rejection::{JsonRejection, PathRejection, QueryRejection},
    http::{header, HeaderValue, StatusCode},
    response::{IntoResponse, Response},
};
use serde::Serialize;
use utoipa::ToSchema;

use crate::error::{Error, FieldError};

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
}

/// Builds a problem response.
pub fn problem(status: StatusCode, code: &str, detail: impl Into<String>, errors: Vec<FieldError>) -> Response {
    let body = Problem {
        kind: if code == "internal" { "about:blank".into() } else { format!("/problems/{code}") },
        title: status.canonical_reason().unwrap_or("Error").to_owned(),
        status: status.as_u16(),
        detail: detail.into(),
        code: code.to_owned(),
        errors,
        request_id: None,
    };
    let mut res = (status, axum::Json(body)).into_response();
    res.headers_mut().insert(header::CONTENT_TYPE, HeaderValue::from_static("application/problem+json"));
    res
}

impl IntoResponse for Error {
    fn into_response(self) -> Response {
        match self {
            Error::BadRequest(detail) => problem(StatusCode::BAD_REQUEST, "bad_request", detail, vec![]),
            Error::TooLarge => {
                problem(StatusCode::PAYLOAD_TOO_LARGE, "too_large", "the request body is larger than 64 KiB", vec![])
            }
            Error::Validation(errors) => {
                let detail =
                    errors.iter().map(|e| format!("{}: {}", e.field, e.message)).collect::<Vec<_>>().join("; ");
                problem(StatusCode::UNPROCESSABLE_ENTITY, "validation", detail, errors)
            }
            Error::Unauthenticated { code, detail } => {
                let mut res = problem(StatusCode::UNAUTHORIZED, code, detail, vec![]);
                res.headers_mut().insert(header::WWW_AUTHENTICATE, HeaderValue::from_static("Bearer"));
                res
            }
            Error::TooManyRequests { retry_after } => {
                let mut res = problem(
                    StatusCode::TOO_MANY_REQUESTS,
                    "too_many_attempts",
                    format!("too many failed logins; try again in {retry_after} seconds"),
                    vec![],
                );
                res.headers_mut().insert(header::RETRY_AFTER, HeaderValue::from(retry_after));
                res
            }
            Error::Forbidden => problem(StatusCode::FORBIDDEN, "forbidden", "your account may not do this", vec![]),
            Error::NotFound(what) => problem(StatusCode::NOT_FOUND, "not_found", format!("{what} not found"), vec![]),
            Error::Conflict { code, detail } => problem(StatusCode::CONFLICT, code, detail, vec![]),
            Error::Unavailable(e) => {
                tracing::warn!(error = %e, "database unavailable");
                let mut res = problem(
                    StatusCode::SERVICE_UNAVAILABLE,
                    "unavailable",
                    "the database is not available; try again shortly",
                    vec![],
                );
                res.headers_mut().insert(header::RETRY_AFTER, HeaderValue::from_static("2"));
                res
            }
            Error::Internal(e) => {
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

impl From<JsonRejection> for Error {
    fn from(r: JsonRejection) -> Self {
        match r {
            JsonRejection::JsonDataError(e) => {
                let text = e.body_text();
                let msg = text.split("target type: ").nth(1).unwrap_or(&text);
                let (field, message) = field_of(msg);
                let code = if message.ends_with("is required") { "required" } else { "invalid_type" };
                Error::Validation(vec![FieldError { field, code: code.into(), message }])
            }
            JsonRejection::JsonSyntaxError(e) => {
                Error::BadRequest(format!("the body is not valid JSON: {}", e.body_text()))
            }
            JsonRejection::MissingJsonContentType(_) => {
                Error::BadRequest("send the body as JSON with Content-Type: application/json".into())
            }
            other if other.status() == StatusCode::PAYLOAD_TOO_LARGE => Error::TooLarge,
            other => Error::BadRequest(other.body_text()),
        }
    }
}

impl From<QueryRejection> for Error {
    fn from(r: QueryRejection) -> Self {
        let text = r.body_text();
        let msg = text.split("query string: ").nth(1).unwrap_or(&text);
        let (field, message) = field_of(msg);
        Error::Validation(vec![FieldError { field, code: "invalid_query".into(), message }])
    }
}

impl From<PathRejection> for Error {
    fn from(r: PathRejection) -> Self {
        Error::BadRequest(format!("bad path parameter: {}", r.body_text()))
    }
}

#[cfg(test)]
mod tests {
    use super::field_of;

    #[test]
    fn serde_messages_name_their_field() {
        assert_eq!(field_of("missing field `title` at line 1 column 2").0, "title");
        assert_eq!(field_of("year: invalid type: string \"x\", expected i32 at line 1 column 9").0, "year");
        assert_eq!(field_of("unknown field `titel`, expected one of ...").0, "titel");
        assert_eq!(field_of("expected value at line 1 column 1").0, "");
    }
}
