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
    /// The database cannot do the work at all right now (a full disk, a read-only file, a lost
    /// connection): nothing was written, and the same request may succeed later.
    #[error("the database is unavailable: {0}")]
    Unavailable(String),
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
            Error::DatabaseError(_, info) if is_busy(info.message()) => {
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
            Error::DatabaseError(kind, info) if is_fault(kind, info.message()) => {
                faults::record(info.message());
                StoreError::Unavailable(info.message().to_owned())
            }
            _ => StoreError::Database(error),
        }
    }
}

/// Whether a database error is the environment's fault rather than the request's or ours: the
/// disk is full or read-only, or the connection to PostgreSQL was lost.
/// Whether trying the transaction again can succeed: the database was busy, not wrong.
///
/// By result code, as far as diesel passes one on. PostgreSQL's 40001 (serialization failure)
/// arrives as a kind; its 40P01 (the deadlock detector aborted one of two transactions, such as
/// two bulk imports meeting on two names in opposite orders) and 55P03 (`lock_timeout`) arrive
/// only as text, in the C locale every connection asks for (`SET lc_messages`; see `db.rs`).
/// SQLite's messages are the fixed strings of its result codes, never translated:
/// `SQLITE_BUSY` is always "database is locked".
pub(crate) fn is_busy(message: &str) -> bool {
    const BUSY: [&str; 3] = [
        // SQLITE_BUSY
        "database is locked",
        // 55P03 lock_not_available: "canceling statement due to lock timeout"
        "due to lock timeout",
        // 40P01 deadlock_detected
        "deadlock detected",
    ];
    BUSY.iter().any(|busy| message.contains(busy))
}

fn is_fault(kind: &diesel::result::DatabaseErrorKind, message: &str) -> bool {
    use diesel::result::DatabaseErrorKind;
    const FAULTS: [&str; 11] = [
        // SQLite (SQLITE_FULL, SQLITE_READONLY*, SQLITE_IOERR*, SQLITE_CANTOPEN)
        "database or disk is full",
        "attempt to write a readonly database",
        "disk I/O error",
        "unable to open database file",
        // PostgreSQL
        "No space left on device",
        "could not extend file",
        "could not write",
        "terminating connection",
        "server closed the connection",
        "connection to server",
        "the database system is shutting down",
    ];
    matches!(
        kind,
        DatabaseErrorKind::ClosedConnection | DatabaseErrorKind::UnableToSendCommand
    ) || FAULTS.iter().any(|fault| message.contains(fault))
}

/// The last fault a query met, until a write commits again: what `/readyz` checks, so that a
/// server whose disk filled up stops being sent traffic at once.
pub(crate) mod faults {
    use std::sync::Mutex;
    use std::sync::atomic::{AtomicBool, Ordering};

    static LAST: Mutex<Option<String>> = Mutex::new(None);
    /// Whether `LAST` holds one: every commit reads this, only a fault takes the lock.
    static ANY: AtomicBool = AtomicBool::new(false);

    pub(crate) fn record(message: &str) {
        if let Ok(mut last) = LAST.lock() {
            *last = Some(message.to_owned());
            ANY.store(true, Ordering::Release);
        }
    }

    pub(crate) fn clear() {
        if ANY.load(Ordering::Acquire)
            && let Ok(mut last) = LAST.lock()
        {
            *last = None;
            ANY.store(false, Ordering::Release);
        }
    }

    pub(crate) fn last() -> Option<String> {
        LAST.lock().ok().and_then(|last| last.clone())
    }
}

impl From<diesel::r2d2::PoolError> for StoreError {
    fn from(error: diesel::r2d2::PoolError) -> Self {
        StoreError::Pool(error.to_string())
    }
}

pub(crate) type StoreResult<T> = Result<T, StoreError>;

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn busy_is_the_result_codes_not_the_words_around_them() {
        for busy in [
            "database is locked",
            "canceling statement due to lock timeout",
            "deadlock detected",
        ] {
            assert!(is_busy(busy), "{busy}");
        }
        // A message that merely mentions locks is a real error.
        for other in [
            "database table is locked",
            "relation \"lock timeout\" does not exist",
        ] {
            assert!(!is_busy(other), "{other}");
        }
    }
}
