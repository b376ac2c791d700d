use serde::Serialize;

use crate::Level;

/// One field of the input that is at fault, and why.
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
pub struct FieldError {
    pub field: String,
    pub message: String,
    /// The line of an uploaded file the field is on (bulk imports); `None` for a JSON body.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub line: Option<u64>,
}

impl FieldError {
    pub fn new(field: impl Into<String>, message: impl Into<String>) -> Self {
        FieldError {
            field: field.into(),
            message: message.into(),
            line: None,
        }
    }

    pub fn at_line(self, line: u64) -> Self {
        FieldError {
            line: Some(line),
            ..self
        }
    }
}

/// Collects every field at fault while a request is parsed, so that one answer names them all.
#[derive(Debug, Default)]
pub struct Problems(Vec<FieldError>);

impl Problems {
    /// The value, or `None` with its problems noted. A rule other than validation that fails
    /// is noted against `body`.
    pub fn take<T>(&mut self, result: Result<T, DomainError>) -> Option<T> {
        match result {
            Ok(value) => Some(value),
            Err(DomainError::Validation(fields)) => {
                self.0.extend(fields);
                None
            }
            Err(other) => {
                self.0.push(FieldError::new("body", other.to_string()));
                None
            }
        }
    }

    pub fn push(&mut self, error: FieldError) {
        self.0.push(error);
    }

    pub fn is_empty(&self) -> bool {
        self.0.is_empty()
    }

    /// Moves every problem noted so far into `other`, marked with `line`.
    pub fn move_to_line(&mut self, line: u64, other: &mut Problems) {
        other
            .0
            .extend(self.0.drain(..).map(|error| error.at_line(line)));
    }

    /// `value()` when nothing was noted; otherwise every problem at once.
    pub fn finish<T>(self, value: impl FnOnce() -> Option<T>) -> Result<T, DomainError> {
        if !self.0.is_empty() {
            return Err(DomainError::Validation(self.0));
        }
        value().ok_or_else(|| DomainError::invalid("body", "is invalid"))
    }
}

/// A rule of the domain that a request would break. Each variant maps to one stable error
/// code at the HTTP layer; the messages here are safe to show to the caller.
#[derive(Clone, Debug, PartialEq, Eq, thiserror::Error)]
pub enum DomainError {
    #[error("the input is invalid")]
    Validation(Vec<FieldError>),
    /// Also what a caller gets for anything outside its own subtree: the two are indistinguishable.
    #[error("{what} not found")]
    NotFound { what: &'static str },
    #[error("{message}")]
    LevelViolation { message: String },
    #[error("{message}")]
    InvalidParent { message: String },
    #[error("a group named {name:?} already exists")]
    NameTaken { name: String },
    #[error("a user named {username:?} already exists in this group")]
    UsernameTaken { username: String },
    #[error("the group still has {children} child group(s) and {devices} device(s)")]
    GroupNotEmpty { children: i64, devices: i64 },
    #[error("the {module} module is not available at the {} level", level.label())]
    ModuleUnavailable {
        /// The module's title, as people read it.
        module: String,
        level: Level,
    },
    /// Too many failed logins: every login fails, the right password included, until `until`.
    #[error("the account is locked after too many failed logins; try again later")]
    Locked {
        until: chrono::DateTime<chrono::Utc>,
    },
    #[error("the resource was changed by someone else; fetch it again and retry")]
    PreconditionFailed,
    #[error("{message}")]
    Forbidden { message: String },
    /// A plugin said no, or failed, or answered an error of its own: `code` is the API code it
    /// becomes (`plugin_refused`, `plugin_failed`, or one of a route's codes). Whatever the
    /// transaction wrote is rolled back.
    #[error("{message}")]
    Plugin {
        plugin: String,
        code: String,
        message: String,
        field: Option<String>,
    },
    /// A profile or policy that the device's group cannot use (not its own nor an ancestor's).
    #[error("{message}")]
    NotAvailable { message: String },
    /// A profile or policy still used by devices cannot be removed.
    #[error("the {what} is still used by {devices} device(s)")]
    InUse { what: &'static str, devices: i64 },
    /// The change does not fit the resource as it is (e.g. a token for a user who logs in).
    #[error("{message}")]
    Conflict { message: String },
}

impl DomainError {
    pub fn invalid(field: impl Into<String>, message: impl Into<String>) -> Self {
        DomainError::Validation(vec![FieldError::new(field, message)])
    }

    pub fn level_violation(message: impl Into<String>) -> Self {
        DomainError::LevelViolation {
            message: message.into(),
        }
    }

    pub fn invalid_parent(message: impl Into<String>) -> Self {
        DomainError::InvalidParent {
            message: message.into(),
        }
    }
}
