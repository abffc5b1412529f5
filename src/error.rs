//! The one error type of the service. The HTTP edge turns it into problem+json (`http::error`).

use crate::{domain::ValidationError, store::db::DbError};

/// One offending field of a request.
#[derive(Debug, Clone, serde::Serialize, utoipa::ToSchema)]
pub struct FieldError {
    /// The field's name in the request body (dotted for nested fields).
    pub field: String,
    /// Stable machine code, e.g. `invalid_isbn`, `required`.
    pub code: String,
    /// An English sentence for people.
    pub message: String,
}

impl FieldError {
    /// A field error from a domain validation failure.
    pub fn new(field: &str, e: ValidationError) -> Self {
        Self { field: field.to_owned(), code: e.code.to_owned(), message: e.message }
    }
}

/// Everything that can go wrong while serving a request.
#[derive(Debug, thiserror::Error)]
pub enum Error {
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
    },
    /// The database is unreachable.
    #[error("the database is not available")]
    Unavailable(#[source] DbError),
    /// Anything else: a bug or an unexpected database failure.
    #[error(transparent)]
    Internal(#[from] anyhow::Error),
}

/// Shorthand for service results.
pub type Result<T, E = Error> = std::result::Result<T, E>;

impl Error {
    /// A conflict with a code and a sentence.
    pub fn conflict(code: &'static str, detail: impl Into<String>) -> Self {
        Self::Conflict { code, detail: detail.into() }
    }

    /// One invalid field.
    pub fn field(field: &str, e: ValidationError) -> Self {
        Self::Validation(vec![FieldError::new(field, e)])
    }

    /// Whether a transaction that failed with this error may simply run again.
    pub fn is_retryable(&self) -> bool {
        match self {
            Error::Internal(e) => e.downcast_ref::<DbError>().is_some_and(DbError::is_retryable),
            _ => false,
        }
    }
}

impl From<DbError> for Error {
    fn from(e: DbError) -> Self {
        if e.is_unavailable() {
            Error::Unavailable(e)
        } else if e.is_unique_violation() {
            Error::conflict("conflict", "a record with this value already exists")
        } else {
            Error::Internal(e.into())
        }
    }
}

impl From<sqlx::Error> for Error {
    fn from(e: sqlx::Error) -> Self {
        DbError::from(e).into()
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
        self.0.push(FieldError { field: field.into(), code: code.into(), message: message.into() });
    }

    /// `Err(Validation)` when any field failed.
    pub fn finish(self) -> Result<()> {
        if self.0.is_empty() {
            Ok(())
        } else {
            Err(Error::Validation(self.0))
        }
    }
}
