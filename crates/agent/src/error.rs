//! What a command can fail with, and the exit code each class of failure gets, so that scripts
//! can tell "not there" from "refused" from "not logged in" without reading messages.

use std::fmt;

use serde_json::Value;

/// Exit codes by class (documented in `--help`).
pub const EXIT_OTHER: u8 = 1;
pub const EXIT_USAGE: u8 = 2;
pub const EXIT_NOT_FOUND: u8 = 3;
pub const EXIT_CONFLICT: u8 = 4;
pub const EXIT_AUTH: u8 = 5;

#[derive(Debug)]
pub enum AgentError {
    /// The command line is wrong in a way clap cannot see (a missing login, say).
    Usage(String),
    /// The server answered with an error body (RFC 9457 with a stable `code`).
    Api {
        status: u16,
        code: String,
        message: String,
        /// `field: message` for each field at fault (`line 7: parent` in an uploaded file).
        fields: Vec<(String, String)>,
    },
    /// The server could not be reached, or answered something that is not the API.
    Transport(String),
    /// A local file (the profiles) could not be read or written.
    Local(String),
    /// No login to send (exit 5, like a refused one): what to do about it.
    NotLoggedIn(String),
}

impl AgentError {
    pub fn exit_code(&self) -> u8 {
        match self {
            AgentError::Usage(_) => EXIT_USAGE,
            AgentError::Api { status, .. } => match status {
                404 => EXIT_NOT_FOUND,
                409 | 412 | 413 | 415 | 422 => EXIT_CONFLICT,
                401 | 403 | 423 => EXIT_AUTH,
                _ => EXIT_OTHER,
            },
            AgentError::Transport(_) | AgentError::Local(_) => EXIT_OTHER,
            AgentError::NotLoggedIn(_) => EXIT_AUTH,
        }
    }

    /// A 401 to a saved login means the session is over (expired, revoked, or ended by a
    /// password change): say how to get a new one rather than only what the server said.
    pub fn with_login_hint(self, profile: &str) -> AgentError {
        match self {
            AgentError::Api { status: 401, .. } => AgentError::NotLoggedIn(format!(
                "the login of profile {profile:?} is no longer valid (it expired, or was revoked or \
                 ended): run `tenantry login` again"
            )),
            other => other,
        }
    }

    /// An error body as the API sends it; anything else keeps the status and the text.
    pub fn from_body(status: u16, body: &str) -> AgentError {
        let parsed: Option<Value> = serde_json::from_str(body).ok();
        let text = |v: &Value, key: &str| v.get(key).and_then(Value::as_str).map(str::to_owned);
        match parsed {
            Some(v) if v.get("code").is_some() => AgentError::Api {
                status,
                code: text(&v, "code").unwrap_or_default(),
                message: text(&v, "detail")
                    .or_else(|| text(&v, "title"))
                    .unwrap_or_default(),
                fields: v
                    .get("errors")
                    .and_then(Value::as_array)
                    .map(|errors| {
                        errors
                            .iter()
                            .map(|e| {
                                let field = text(e, "field").unwrap_or_default();
                                let field = match e.get("line").and_then(Value::as_u64) {
                                    Some(line) => format!("line {line}: {field}"),
                                    None => field,
                                };
                                (field, text(e, "message").unwrap_or_default())
                            })
                            .collect()
                    })
                    .unwrap_or_default(),
            },
            _ => AgentError::Api {
                status,
                code: "unexpected_answer".to_owned(),
                message: body.chars().take(300).collect(),
                fields: Vec::new(),
            },
        }
    }
}

impl fmt::Display for AgentError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            AgentError::Usage(message) => write!(f, "error: {message}"),
            AgentError::Api {
                status,
                code,
                message,
                fields,
            } => {
                write!(f, "error: {code} ({status}): {message}")?;
                for (field, problem) in fields {
                    write!(f, "\n  {field}: {problem}")?;
                }
                Ok(())
            }
            AgentError::Transport(message) => {
                write!(f, "error: cannot reach the server: {message}")
            }
            AgentError::Local(message) | AgentError::NotLoggedIn(message) => {
                write!(f, "error: {message}")
            }
        }
    }
}

impl std::error::Error for AgentError {}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn api_errors_keep_code_message_and_fields_and_map_to_exit_codes() {
        let body = r#"{"type":"about:blank","title":"Validation failed","status":422,
            "detail":"the request is invalid","code":"validation_failed",
            "errors":[{"field":"name","message":"must not be empty"}]}"#;
        let error = AgentError::from_body(422, body);
        assert_eq!(error.exit_code(), EXIT_CONFLICT);
        assert_eq!(
            error.to_string(),
            "error: validation_failed (422): the request is invalid\n  name: must not be empty"
        );
        assert_eq!(
            AgentError::from_body(404, "{\"code\":\"not_found\"}").exit_code(),
            EXIT_NOT_FOUND
        );
        assert_eq!(
            AgentError::from_body(401, "{\"code\":\"unauthenticated\"}").exit_code(),
            EXIT_AUTH
        );
        assert_eq!(
            AgentError::from_body(502, "Bad gateway").exit_code(),
            EXIT_OTHER
        );
    }
}
