use tenantry_domain::DomainError;

/// What storage can fail with: a domain rule the change would break (safe to show the caller),
/// or an internal fault (logged, never shown).
#[derive(Debug, thiserror::Error)]
pub enum StoreError {
    #[error(transparent)]
    Domain(#[from] DomainError),
    #[error("database error: {0}")]
    Database(diesel::result::Error),
    /// The database cannot take the work right now (SQLite's lock still busy after its timeout,
    /// a PostgreSQL lock timeout or serialization failure): worth retrying.
    #[error("the database is busy: {0}")]
    Busy(String),
    #[error("no database connection available: {0}")]
    Pool(String),
    #[error("cannot open the database: {0}")]
    Connect(String),
    #[error("migrations failed: {0}")]
    Migration(String),
    #[error("stored data is invalid: {0}")]
    Corrupt(String),
}

impl From<diesel::result::Error> for StoreError {
    fn from(error: diesel::result::Error) -> Self {
        use diesel::result::{DatabaseErrorKind, Error};
        match &error {
            Error::DatabaseError(DatabaseErrorKind::SerializationFailure, info) => {
                StoreError::Busy(info.message().to_owned())
            }
            // PostgreSQL's deadlock detector picks one of the transactions to abort (two bulk
            // imports that meet on two names in opposite orders): retrying it succeeds.
            Error::DatabaseError(_, info)
                if info.message().contains("database is locked")
                    || info.message().contains("lock timeout")
                    || info.message().contains("deadlock detected") =>
            {
                StoreError::Busy(info.message().to_owned())
            }
            // PostgreSQL refuses NUL in text outright ("invalid byte sequence for encoding
            // \"UTF8\": 0x00"): the request's input, not the server, is at fault. Inputs are
            // checked before they get here; this keeps one that slipped through a 422.
            Error::DatabaseError(_, info)
                if info
                    .message()
                    .contains("invalid byte sequence for encoding") =>
            {
                StoreError::Domain(tenantry_domain::DomainError::invalid(
                    "text",
                    "must not contain NUL characters",
                ))
            }
            _ => StoreError::Database(error),
        }
    }
}

impl From<diesel::r2d2::PoolError> for StoreError {
    fn from(error: diesel::r2d2::PoolError) -> Self {
        StoreError::Pool(error.to_string())
    }
}

pub(crate) type StoreResult<T> = Result<T, StoreError>;
