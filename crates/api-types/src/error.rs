use serde::{Deserialize, Serialize};
use utoipa::ToSchema;

/// Every error code the API answers with. Codes are stable: clients branch on them, so a code is
/// never renamed or reused for another meaning.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, Serialize, Deserialize, ToSchema)]
#[serde(rename_all = "snake_case")]
pub enum ErrorCode {
    /// 400: the body is not JSON, or the URL or headers are malformed.
    MalformedRequest,
    /// 401: no valid credentials.
    Unauthenticated,
    /// 403: the caller may not do this.
    Forbidden,
    /// 403: the module is not available at the target group's level.
    ModuleUnavailable,
    /// 404: no such resource (or not in the caller's subtree: the two look the same).
    NotFound,
    /// 405: the path exists, but not with this method; `Allow` lists the methods it has.
    MethodNotAllowed,
    /// 409: a group with that name exists already (names are unique, case-insensitively).
    NameTaken,
    /// 409: the group has a user with that username already (compared case-insensitively).
    UsernameTaken,
    /// 409: the group still has child groups or devices.
    GroupNotEmpty,
    /// 409: a child's level would not be strictly lower than its parent's.
    LevelViolation,
    /// 409: the change conflicts with the current state in another way.
    Conflict,
    /// 412: `If-Match` names a version that is no longer current.
    PreconditionFailed,
    /// 423: too many failed logins; every login fails until the lock ends.
    Locked,
    /// 429: too many attempts from this source address; `Retry-After` says when to try again.
    TooManyRequests,
    /// 409: the profile or policy is still used by devices (`devices` says how many).
    InUse,
    /// 409: the profile or policy is not available to the group (only its own and its
    /// ancestors' are).
    NotAvailable,
    /// 409: a plugin refused the change (its reason is the `detail`); nothing was written.
    PluginRefused,
    /// 404: the path belongs to a plugin this installation does not run.
    PluginNotEnabled,
    /// 500: a plugin failed (an error or a panic, caught and logged); nothing was written.
    PluginFailed,
    /// 413: the body is too large.
    PayloadTooLarge,
    /// 415: the body is not `application/json`.
    UnsupportedMediaType,
    /// 422: the parent named in the body does not exist, or cannot be the parent.
    InvalidParent,
    /// 422: the body is JSON but its fields are wrong (see `errors`).
    ValidationFailed,
    /// 500: something failed on our side; the details are in the server's log.
    Internal,
    /// 503: a dependency (the database) is not available right now.
    Unavailable,
}

impl ErrorCode {
    pub const fn as_str(self) -> &'static str {
        match self {
            ErrorCode::MalformedRequest => "malformed_request",
            ErrorCode::Unauthenticated => "unauthenticated",
            ErrorCode::Forbidden => "forbidden",
            ErrorCode::ModuleUnavailable => "module_unavailable",
            ErrorCode::NotFound => "not_found",
            ErrorCode::MethodNotAllowed => "method_not_allowed",
            ErrorCode::NameTaken => "name_taken",
            ErrorCode::UsernameTaken => "username_taken",
            ErrorCode::Locked => "locked",
            ErrorCode::TooManyRequests => "too_many_requests",
            ErrorCode::PluginRefused => "plugin_refused",
            ErrorCode::InUse => "in_use",
            ErrorCode::NotAvailable => "not_available",
            ErrorCode::PluginNotEnabled => "plugin_not_enabled",
            ErrorCode::PluginFailed => "plugin_failed",
            ErrorCode::GroupNotEmpty => "group_not_empty",
            ErrorCode::LevelViolation => "level_violation",
            ErrorCode::Conflict => "conflict",
            ErrorCode::PreconditionFailed => "precondition_failed",
            ErrorCode::PayloadTooLarge => "payload_too_large",
            ErrorCode::UnsupportedMediaType => "unsupported_media_type",
            ErrorCode::InvalidParent => "invalid_parent",
            ErrorCode::ValidationFailed => "validation_failed",
            ErrorCode::Internal => "internal",
            ErrorCode::Unavailable => "unavailable",
        }
    }

    /// The HTTP status that goes with the code: one table, so the two never disagree.
    pub const fn status(self) -> u16 {
        match self {
            ErrorCode::MalformedRequest => 400,
            ErrorCode::Unauthenticated => 401,
            ErrorCode::Forbidden | ErrorCode::ModuleUnavailable => 403,
            ErrorCode::NotFound | ErrorCode::PluginNotEnabled => 404,
            ErrorCode::MethodNotAllowed => 405,
            ErrorCode::NameTaken
            | ErrorCode::UsernameTaken
            | ErrorCode::PluginRefused
            | ErrorCode::InUse
            | ErrorCode::NotAvailable
            | ErrorCode::GroupNotEmpty
            | ErrorCode::LevelViolation
            | ErrorCode::Conflict => 409,
            ErrorCode::PreconditionFailed => 412,
            ErrorCode::PayloadTooLarge => 413,
            ErrorCode::Locked => 423,
            ErrorCode::TooManyRequests => 429,
            ErrorCode::UnsupportedMediaType => 415,
            ErrorCode::InvalidParent | ErrorCode::ValidationFailed => 422,
            ErrorCode::Internal | ErrorCode::PluginFailed => 500,
            ErrorCode::Unavailable => 503,
        }
    }

    /// A short, fixed summary (RFC 9457 `title`).
    pub const fn title(self) -> &'static str {
        match self {
            ErrorCode::MalformedRequest => "Malformed request",
            ErrorCode::Unauthenticated => "Authentication required",
            ErrorCode::Forbidden => "Forbidden",
            ErrorCode::ModuleUnavailable => "Module unavailable at this level",
            ErrorCode::NotFound => "Not found",
            ErrorCode::MethodNotAllowed => "Method not allowed",
            ErrorCode::NameTaken => "Name already taken",
            ErrorCode::UsernameTaken => "Username already taken",
            ErrorCode::Locked => "Account locked",
            ErrorCode::TooManyRequests => "Too many requests",
            ErrorCode::PluginRefused => "Refused by a plugin",
            ErrorCode::InUse => "Still in use",
            ErrorCode::NotAvailable => "Not available to this group",
            ErrorCode::PluginNotEnabled => "Plugin not enabled",
            ErrorCode::PluginFailed => "Plugin failed",
            ErrorCode::GroupNotEmpty => "Group not empty",
            ErrorCode::LevelViolation => "Level rule violated",
            ErrorCode::Conflict => "Conflict",
            ErrorCode::PreconditionFailed => "Precondition failed",
            ErrorCode::PayloadTooLarge => "Payload too large",
            ErrorCode::UnsupportedMediaType => "Unsupported media type",
            ErrorCode::InvalidParent => "Invalid parent",
            ErrorCode::ValidationFailed => "Validation failed",
            ErrorCode::Internal => "Internal error",
            ErrorCode::Unavailable => "Service unavailable",
        }
    }
}

/// One input field at fault.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize, ToSchema)]
pub struct FieldErrorBody {
    pub field: String,
    pub message: String,
    /// For an uploaded file (a group import): the line the problem is on; the header is line 1.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub line: Option<u64>,
}

/// The one error body of the API: RFC 9457 problem details (`application/problem+json`) with a
/// stable `code`, and extension members where a code has more to say.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize, ToSchema)]
pub struct ErrorBody {
    /// `urn:tenantry:error:<code>`.
    #[serde(rename = "type")]
    pub kind: String,
    pub title: String,
    pub status: u16,
    pub code: ErrorCode,
    /// What went wrong, for people.
    pub detail: String,
    /// The input fields at fault (validation errors); empty otherwise.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub errors: Vec<FieldErrorBody>,
    /// With `group_not_empty`: how many child groups are in the way.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub children: Option<i64>,
    /// With `group_not_empty`: how many devices are in the way.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub devices: Option<i64>,
}

impl ErrorBody {
    pub fn new(code: ErrorCode, detail: impl Into<String>) -> ErrorBody {
        ErrorBody {
            kind: format!("urn:tenantry:error:{}", code.as_str()),
            title: code.title().to_owned(),
            status: code.status(),
            code,
            detail: detail.into(),
            errors: Vec::new(),
            children: None,
            devices: None,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn codes_serialize_as_their_names() {
        for code in [
            ErrorCode::NotFound,
            ErrorCode::GroupNotEmpty,
            ErrorCode::MalformedRequest,
        ] {
            assert_eq!(
                serde_json::to_value(code).unwrap(),
                serde_json::Value::from(code.as_str())
            );
        }
    }

    #[test]
    fn the_body_is_problem_details() {
        let body =
            serde_json::to_value(ErrorBody::new(ErrorCode::NotFound, "group not found")).unwrap();
        assert_eq!(
            body,
            serde_json::json!({
                "type": "urn:tenantry:error:not_found",
                "title": "Not found",
                "status": 404,
                "code": "not_found",
                "detail": "group not found",
            })
        );
    }
}
