//! What the store answers when a read or a change cannot be done.
//!
//! The store speaks of records and rules, never of HTTP: `src/http/error.rs` alone turns these
//! into statuses and problem codes. Whether a transaction may run again is decided here, by type.

use crate::domain::{circulation::Refusal, ValidationError};

/// Errors from the database layer.
#[derive(Debug, thiserror::Error)]
pub enum DbError {
    /// The query or connection failed.
    #[error(transparent)]
    Sqlx(#[from] sqlx::Error),
    /// A migration failed.
    #[error(transparent)]
    Migrate(#[from] sqlx::migrate::MigrateError),
}

/// What kind of failure a [`DbError`] is, as far as the store must tell them apart.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum DbErrorKind {
    /// A unique index refused the write.
    UniqueViolation,
    /// A foreign key refused the write.
    ForeignKeyViolation,
    /// Worth running the whole transaction again: a deadlock, a lock wait timeout, a busy file.
    Transient,
    /// The database could not be reached at all (as opposed to refusing one query).
    Unavailable,
    /// Anything else.
    Other,
}

impl DbError {
    /// Classifies the failure.
    pub fn kind(&self) -> DbErrorKind {
        match self {
            DbError::Sqlx(sqlx::Error::Database(e)) => {
                // MariaDB's error number (its `code()` is the SQLSTATE, shared by many errors);
                // SQLite's extended result code.
                let mysql = e.try_downcast_ref::<sqlx::mysql::MySqlDatabaseError>().map(|my| u32::from(my.number()));
                let number = mysql.or_else(|| e.code().and_then(|c| c.parse::<u32>().ok()));
                let mysql = mysql.is_some();
                if e.is_unique_violation() {
                    DbErrorKind::UniqueViolation
                } else if e.is_foreign_key_violation() {
                    DbErrorKind::ForeignKeyViolation
                } else if matches!((mysql, number), (true, Some(1213 | 1205)) | (false, Some(5 | 6 | 517 | 261 | 262)))
                {
                    // MariaDB: 1213 deadlock, 1205 lock wait timeout. SQLite: busy and locked, with
                    // their extended codes (517 busy snapshot, 261 busy recovery, 262 locked shared cache).
                    DbErrorKind::Transient
                } else if self.is_connection_lost() {
                    DbErrorKind::Unavailable
                } else {
                    DbErrorKind::Other
                }
            }
            DbError::Sqlx(sqlx::Error::PoolTimedOut | sqlx::Error::PoolClosed) => DbErrorKind::Unavailable,
            _ if self.is_connection_lost() => DbErrorKind::Unavailable,
            _ => DbErrorKind::Other,
        }
    }

    /// Whether the connection itself is gone or of no use (rather than the server refusing one
    /// statement): an I/O or TLS error, or one of MariaDB's errors in
    /// [`mariadb_connection_unusable`]. The pool closes such a connection; the store reports the
    /// database unavailable.
    pub fn is_connection_lost(&self) -> bool {
        match self {
            DbError::Sqlx(sqlx::Error::Io(_) | sqlx::Error::Tls(_)) => true,
            DbError::Sqlx(sqlx::Error::Database(_)) => self.mariadb_number().is_some_and(mariadb_connection_unusable),
            _ => false,
        }
    }

    /// MariaDB's error number, when MariaDB refused a statement.
    pub fn mariadb_number(&self) -> Option<u16> {
        match self {
            DbError::Sqlx(sqlx::Error::Database(e)) => {
                e.try_downcast_ref::<sqlx::mysql::MySqlDatabaseError>().map(sqlx::mysql::MySqlDatabaseError::number)
            }
            _ => None,
        }
    }

    /// A unique index refused the write.
    pub fn is_unique_violation(&self) -> bool {
        self.kind() == DbErrorKind::UniqueViolation
    }

    /// The database could not be reached at all.
    pub fn is_unavailable(&self) -> bool {
        self.kind() == DbErrorKind::Unavailable
    }
}

/// MariaDB's error numbers that leave a connection of no further use: 1053 shutdown in progress,
/// 1927 connection killed, 2006 server gone away, 2013 lost connection, 4031 disconnected for
/// inactivity, and 1047, which a Galera node answers to every statement while it is not part of
/// the cluster's primary component or not yet synced ("WSREP has not yet prepared node for
/// application use"; also while `wsrep_reject_queries` is set), and 1180, an error during COMMIT,
/// which is what a Galera node answers when it drops out of the primary component while it
/// commits ("Not connected to Primary Component": the transaction was not replicated and is
/// rolled back). The connection to such a node is closed rather than reused, so that the next one
/// goes through the balancer to a node that serves (deploy/galera). A transaction that lost its
/// connection before its COMMIT runs again whole on a new one ([`StoreError::may_run_again`]);
/// otherwise the request answers 503, like any outage (measured: four 500s while a partitioned
/// node rejoined, before 1180 was here).
///
/// A transaction that Galera aborts (a certification failure, or one brute-force aborted by a
/// replicated write) gets 1213, a deadlock, and runs again like any deadlock
/// ([`DbErrorKind::Transient`]): Galera has rolled it back whole.
pub fn mariadb_connection_unusable(number: u16) -> bool {
    matches!(number, 1047 | 1053 | 1180 | 1927 | 2006 | 2013 | 4031)
}

/// Why the store could not do what was asked.
#[derive(Debug, thiserror::Error)]
pub enum StoreError {
    /// The record asked for does not exist (`"book"`, `"loan"`, ...).
    #[error("{0} not found")]
    NotFound(&'static str),
    /// A rule of the library refuses the change.
    #[error(transparent)]
    Refused(Refusal),
    /// A value is well-formed but not acceptable here (an unknown category, a wrong password).
    #[error("{field}: {error}")]
    Invalid {
        /// The input the value came from.
        field: &'static str,
        /// What is wrong with it.
        error: ValidationError,
    },
    /// Another record already has this value where it must be unique.
    #[error("{detail} ({field})")]
    Duplicate {
        /// The input whose value is taken, when known.
        field: &'static str,
        /// What is duplicated, for people.
        detail: String,
    },
    /// Several things at fault at once, each with the input it came from (`students[3]`,
    /// `barcodes[0]`): a class set refused whole.
    #[error("{} problems", .0.len())]
    Faults(Vec<(String, StoreError)>),
    /// The actor may not do this.
    #[error("this account may not do this")]
    Forbidden,
    /// The username or password is wrong.
    #[error("the username or password is wrong")]
    BadCredentials,
    /// Too many failed logins lately.
    #[error("too many failed logins; try again in {retry_after} s")]
    Throttled {
        /// Seconds until a login may succeed again.
        retry_after: i64,
    },
    /// Too many passwords are being checked at once (a burst of logins): try again shortly.
    #[error("too many passwords are being checked at once; try again in {retry_after} s")]
    Busy {
        /// Seconds to wait before trying again.
        retry_after: i64,
    },
    /// The database cannot be reached.
    #[error("the database is not available")]
    Unavailable(#[source] DbError),
    /// The database refused a statement in a way the store did not expect.
    #[error(transparent)]
    Db(DbError),
    /// A stored value the code cannot read (a bug or a hand-edited row).
    #[error(transparent)]
    Internal(#[from] anyhow::Error),
}

/// Shorthand for store results.
pub type Result<T, E = StoreError> = std::result::Result<T, E>;

impl StoreError {
    /// One invalid input.
    pub fn invalid(field: &'static str, error: ValidationError) -> Self {
        Self::Invalid { field, error }
    }

    /// Whether the transaction that failed with this error may simply run again (a deadlock, a
    /// lock wait timeout, a busy file).
    pub fn is_retryable(&self) -> bool {
        matches!(self, Self::Db(e) if e.kind() == DbErrorKind::Transient)
    }

    /// Whether a transaction that failed with this error may run again whole, on a fresh
    /// connection: when [`Self::is_retryable`], or when its connection was lost before its COMMIT
    /// was sent (`committing` false). The server rolls back what a lost connection had not
    /// committed, so nothing of the first run stays; a connection lost during the COMMIT leaves
    /// unknown whether it committed, so that one is not run again.
    pub fn may_run_again(&self, committing: bool) -> bool {
        self.is_retryable() || (!committing && matches!(self, Self::Unavailable(e) if e.is_connection_lost()))
    }

    /// Maps a unique-index refusal to [`StoreError::Duplicate`] naming `field`; any other error as usual.
    pub fn duplicate(e: DbError, field: &'static str, detail: &str) -> Self {
        if e.kind() == DbErrorKind::UniqueViolation {
            Self::Duplicate { field, detail: detail.to_owned() }
        } else {
            e.into()
        }
    }
}

impl From<DbError> for StoreError {
    fn from(e: DbError) -> Self {
        match e.kind() {
            DbErrorKind::Unavailable => Self::Unavailable(e),
            DbErrorKind::UniqueViolation => {
                Self::Duplicate { field: "", detail: "a record with this value already exists".into() }
            }
            _ => Self::Db(e),
        }
    }
}

impl From<sqlx::Error> for StoreError {
    fn from(e: sqlx::Error) -> Self {
        DbError::from(e).into()
    }
}

impl From<crate::passwords::HashError> for StoreError {
    fn from(e: crate::passwords::HashError) -> Self {
        match e {
            // A hash takes tens of milliseconds: the queue empties within a second.
            crate::passwords::HashError::Busy => Self::Busy { retry_after: 1 },
            crate::passwords::HashError::Failed(e) => Self::Internal(e),
        }
    }
}

impl From<Refusal> for StoreError {
    fn from(r: Refusal) -> Self {
        Self::Refused(r)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn db_error(code: &str) -> DbError {
        #[derive(Debug)]
        struct Fake(String);
        impl std::fmt::Display for Fake {
            fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
                write!(f, "fake database error {}", self.0)
            }
        }
        impl std::error::Error for Fake {}
        impl sqlx::error::DatabaseError for Fake {
            fn message(&self) -> &str {
                "fake"
            }
            fn code(&self) -> Option<std::borrow::Cow<'_, str>> {
                Some(self.0.as_str().into())
            }
            fn as_error(&self) -> &(dyn std::error::Error + Send + Sync + 'static) {
                self
            }
            fn as_error_mut(&mut self) -> &mut (dyn std::error::Error + Send + Sync + 'static) {
                self
            }
            fn into_error(self: Box<Self>) -> Box<dyn std::error::Error + Send + Sync + 'static> {
                self
            }
            fn kind(&self) -> sqlx::error::ErrorKind {
                if self.0 == "1062" {
                    sqlx::error::ErrorKind::UniqueViolation
                } else {
                    sqlx::error::ErrorKind::Other
                }
            }
        }
        DbError::Sqlx(sqlx::Error::Database(Box::new(Fake(code.into()))))
    }

    // The fake is not a MariaDB error, so its code reads as SQLite's result code. (MariaDB's
    // error numbers cannot be built outside sqlx; tests/contract/pool.rs meets real ones.)
    #[test]
    fn only_transient_database_errors_are_retried() {
        assert!(StoreError::from(db_error("5")).is_retryable()); // SQLite busy
        assert!(StoreError::from(db_error("517")).is_retryable()); // busy snapshot
        assert!(StoreError::from(db_error("6")).is_retryable()); // locked
        assert!(!StoreError::from(db_error("1")).is_retryable()); // SQL error
        assert!(!StoreError::from(db_error("1213")).is_retryable()); // not a MariaDB error here
        assert!(!StoreError::NotFound("book").is_retryable());
        assert!(!StoreError::Forbidden.is_retryable());
    }

    #[test]
    fn a_galera_node_not_ready_is_an_outage_whose_connection_is_closed() {
        use super::mariadb_connection_unusable;
        // 1047: the node is not in the primary component or not synced; the lost connections of
        // a fail-over (2013 mid-query, 2006 on the next use) and a node shutting down (1053).
        // 1180: a commit on a node that left the primary component meanwhile.
        for number in [1047, 1053, 1180, 1927, 2006, 2013, 4031] {
            assert!(mariadb_connection_unusable(number), "{number}");
        }
        // A certification failure is a deadlock (1213): run again, not an outage. Duplicates,
        // lock wait timeouts and SQL errors leave the connection usable.
        for number in [1213, 1205, 1062, 1064, 1146] {
            assert!(!mariadb_connection_unusable(number), "{number}");
        }
    }

    #[test]
    fn an_outage_is_never_a_validation_error() {
        assert!(matches!(StoreError::from(sqlx::Error::PoolTimedOut), StoreError::Unavailable(_)));
        let io = std::io::Error::new(std::io::ErrorKind::ConnectionReset, "reset");
        assert!(matches!(StoreError::from(sqlx::Error::Io(io)), StoreError::Unavailable(_)));
        assert!(matches!(StoreError::from(db_error("1")), StoreError::Db(_)));
    }

    #[test]
    fn unique_violations_name_their_field() {
        let e = StoreError::duplicate(db_error("1062"), "isbn", "a book with this ISBN is already catalogued");
        assert!(matches!(e, StoreError::Duplicate { field: "isbn", .. }));
        assert!(matches!(StoreError::duplicate(db_error("1"), "isbn", "x"), StoreError::Db(_)));
    }
}
