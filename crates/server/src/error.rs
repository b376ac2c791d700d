//! The one place where errors become HTTP responses.

use actix_web::http::{StatusCode, header};
use actix_web::{HttpResponse, ResponseError};
use tenantry_api_types::{ErrorBody, ErrorCode, FieldErrorBody};
use tenantry_domain::DomainError;
use tenantry_storage::StoreError;

/// An error on its way to the client: the code and safe message it will see, and the seconds
/// its `Retry-After` names, if any. Internal causes are logged where the error is made and never
/// copied in here.
#[derive(Debug)]
pub struct ApiError(Box<ErrorBody>, Option<u64>);

impl ApiError {
    pub fn new(code: ErrorCode, detail: impl Into<String>) -> ApiError {
        ApiError(Box::new(ErrorBody::new(code, detail)), None)
    }

    /// Says in `Retry-After` how many seconds to wait before trying again (at least one).
    pub fn retry_after(mut self, wait: std::time::Duration) -> ApiError {
        let seconds = wait.as_secs() + u64::from(wait.subsec_nanos() > 0);
        self.1 = Some(seconds.max(1));
        self
    }

    pub fn invalid_field(field: impl Into<String>, message: impl Into<String>) -> ApiError {
        let mut body = ErrorBody::new(ErrorCode::ValidationFailed, "the input is invalid");
        body.errors.push(FieldErrorBody {
            field: field.into(),
            message: message.into(),
            line: None,
        });
        ApiError(Box::new(body), None)
    }

    pub fn not_found(what: &str) -> ApiError {
        ApiError::new(ErrorCode::NotFound, format!("{what} not found"))
    }

    /// For faults the client can do nothing about: logs the cause, says little.
    pub fn internal(cause: impl std::fmt::Display) -> ApiError {
        log::error!("internal error: {cause}");
        ApiError::new(
            ErrorCode::Internal,
            "an internal error occurred; it has been logged",
        )
    }

    /// The seconds `Retry-After` will name, if it names any.
    pub fn retry_after_seconds(&self) -> Option<u64> {
        self.1
    }

    pub fn code(&self) -> ErrorCode {
        self.0.code
    }

    /// The body the client would see (the console shows it as a page or beside a form).
    pub fn body(&self) -> &ErrorBody {
        &self.0
    }
}

impl std::fmt::Display for ApiError {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "{}: {}", self.0.code.as_str(), self.0.detail)
    }
}

impl ResponseError for ApiError {
    fn status_code(&self) -> StatusCode {
        StatusCode::from_u16(self.0.code.status()).unwrap_or(StatusCode::INTERNAL_SERVER_ERROR)
    }

    fn error_response(&self) -> HttpResponse {
        let mut response = HttpResponse::build(self.status_code());
        response.insert_header((header::CONTENT_TYPE, "application/problem+json"));
        if self.0.code == ErrorCode::Unauthenticated {
            response.insert_header((header::WWW_AUTHENTICATE, "Bearer"));
        }
        // A 503 may always be retried (nothing was written); soon, unless told otherwise.
        let retry = match (self.1, self.0.code) {
            (Some(seconds), _) => Some(seconds),
            (None, ErrorCode::Unavailable) => Some(1),
            (None, _) => None,
        };
        if let Some(seconds) = retry {
            response.insert_header((header::RETRY_AFTER, seconds.to_string()));
        }
        response.body(serde_json::to_string(&*self.0).unwrap_or_default())
    }
}

impl From<DomainError> for ApiError {
    fn from(error: DomainError) -> ApiError {
        let detail = error.to_string();
        match error {
            DomainError::Validation(fields) => {
                let mut body = ErrorBody::new(ErrorCode::ValidationFailed, detail);
                body.errors = fields
                    .into_iter()
                    .map(|f| FieldErrorBody {
                        field: f.field,
                        message: f.message,
                        line: f.line,
                    })
                    .collect();
                ApiError(Box::new(body), None)
            }
            DomainError::NotFound { .. } => ApiError::new(ErrorCode::NotFound, detail),
            DomainError::LevelViolation { .. } => ApiError::new(ErrorCode::LevelViolation, detail),
            DomainError::InvalidParent { .. } => ApiError::new(ErrorCode::InvalidParent, detail),
            DomainError::NameTaken { .. } => ApiError::new(ErrorCode::NameTaken, detail),
            DomainError::UsernameTaken { .. } => ApiError::new(ErrorCode::UsernameTaken, detail),
            DomainError::Locked { .. } => ApiError::new(ErrorCode::Locked, detail),
            DomainError::GroupNotEmpty { children, devices } => {
                let mut body = ErrorBody::new(ErrorCode::GroupNotEmpty, detail);
                body.children = Some(children);
                body.devices = Some(devices);
                ApiError(Box::new(body), None)
            }
            DomainError::ModuleUnavailable { .. } => {
                ApiError::new(ErrorCode::ModuleUnavailable, detail)
            }
            DomainError::PreconditionFailed => ApiError::new(ErrorCode::PreconditionFailed, detail),
            DomainError::Forbidden { .. } => ApiError::new(ErrorCode::Forbidden, detail),
            DomainError::Conflict { .. } => ApiError::new(ErrorCode::Conflict, detail),
            DomainError::NotAvailable { .. } => ApiError::new(ErrorCode::NotAvailable, detail),
            DomainError::InUse { devices, .. } => {
                let mut body = ErrorBody::new(ErrorCode::InUse, detail);
                body.devices = Some(devices);
                ApiError(Box::new(body), None)
            }
            DomainError::Plugin {
                plugin,
                code,
                message,
                field,
            } => plugin_error(&plugin, &code, message, field),
        }
    }
}

/// A plugin's error as the API answers it: the codes a plugin may use pass through; anything
/// else is the plugin's failure, logged with what it said.
fn plugin_error(plugin: &str, code: &str, message: String, field: Option<String>) -> ApiError {
    let passed = [
        ErrorCode::PluginRefused,
        ErrorCode::ValidationFailed,
        ErrorCode::NotFound,
        ErrorCode::Conflict,
        ErrorCode::PayloadTooLarge,
        ErrorCode::UnsupportedMediaType,
        ErrorCode::PreconditionFailed,
    ]
    .into_iter()
    .find(|known| known.as_str() == code);
    match passed {
        Some(ErrorCode::ValidationFailed) => {
            let mut body = ErrorBody::new(ErrorCode::ValidationFailed, message.clone());
            body.errors = vec![FieldErrorBody {
                field: field.unwrap_or_else(|| "body".to_owned()),
                message,
                line: None,
            }];
            ApiError(Box::new(body), None)
        }
        Some(code) => ApiError::new(code, message),
        None => {
            log::error!("plugin {plugin} failed: {code}: {message}");
            ApiError::new(
                ErrorCode::PluginFailed,
                format!("the {plugin} plugin failed; the details are in the server's log"),
            )
        }
    }
}

impl From<StoreError> for ApiError {
    fn from(error: StoreError) -> ApiError {
        match error {
            StoreError::Domain(domain) => domain.into(),
            StoreError::Busy(cause) => {
                log::warn!("database busy: {cause}");
                ApiError::new(
                    ErrorCode::Unavailable,
                    "the database is busy; retry shortly",
                )
            }
            StoreError::Unavailable(cause) => {
                log::error!("database unavailable: {cause}");
                ApiError::new(
                    ErrorCode::Unavailable,
                    "the database cannot take this request right now; nothing was written; retry later",
                )
            }
            StoreError::Pool(cause) => {
                log::warn!("database pool exhausted or unreachable: {cause}");
                ApiError::new(
                    ErrorCode::Unavailable,
                    "the database is busy or unreachable; retry shortly",
                )
            }
            other => ApiError::internal(other),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use actix_web::body::MessageBody;

    fn body_of(error: ApiError) -> (u16, serde_json::Value) {
        let response = error.error_response();
        let status = response.status().as_u16();
        let bytes = response.into_body().try_into_bytes().unwrap();
        (status, serde_json::from_slice(&bytes).unwrap())
    }

    #[test]
    fn domain_errors_map_to_their_codes_and_statuses() {
        let cases: Vec<(DomainError, u16, &str)> = vec![
            (
                DomainError::invalid("name", "must not be empty"),
                422,
                "validation_failed",
            ),
            (DomainError::NotFound { what: "group" }, 404, "not_found"),
            (DomainError::level_violation("x"), 409, "level_violation"),
            (DomainError::invalid_parent("x"), 422, "invalid_parent"),
            (
                DomainError::NameTaken { name: "A".into() },
                409,
                "name_taken",
            ),
            (
                DomainError::GroupNotEmpty {
                    children: 2,
                    devices: 1,
                },
                409,
                "group_not_empty",
            ),
            (DomainError::PreconditionFailed, 412, "precondition_failed"),
            (
                DomainError::Forbidden {
                    message: "no".into(),
                },
                403,
                "forbidden",
            ),
        ];
        for (error, status, code) in cases {
            let (got_status, body) = body_of(error.into());
            assert_eq!(got_status, status, "{code}");
            assert_eq!(body["code"], code);
            assert_eq!(body["status"], status);
        }
    }

    #[test]
    fn not_empty_carries_the_counts_and_validation_the_fields() {
        let (_, body) = body_of(
            DomainError::GroupNotEmpty {
                children: 2,
                devices: 1,
            }
            .into(),
        );
        assert_eq!(
            (body["children"].as_i64(), body["devices"].as_i64()),
            (Some(2), Some(1))
        );
        let (_, body) = body_of(DomainError::invalid("name", "must not be empty").into());
        assert_eq!(body["errors"][0]["field"], "name");
    }

    #[test]
    fn internal_causes_never_reach_the_client() {
        let (status, body) = body_of(StoreError::Corrupt("secret table detail".into()).into());
        assert_eq!(status, 500);
        assert!(!body.to_string().contains("secret"));
    }
}
