//! Control characters in a query string (`?os=a%00`) are refused before any handler runs.
//!
//! No stored text can hold one (every name refuses them), so a filter holding one matches
//! nothing and is a client's mistake; and PostgreSQL cannot even compare text with NUL (it
//! answers an encoding error), so left alone it would reach the database as a 500 on one
//! backend and an empty page on the other. The same answer on both: 422 naming the parameter.

use actix_web::body::{EitherBody, MessageBody};
use actix_web::dev::{ServiceRequest, ServiceResponse};
use actix_web::middleware::Next;
use percent_encoding::percent_decode_str;

use crate::error::ApiError;

/// Middleware: answers 422 `validation_failed` for a query parameter holding a control character.
pub async fn refuse_control_characters(
    req: ServiceRequest,
    next: Next<impl MessageBody>,
) -> Result<ServiceResponse<EitherBody<impl MessageBody>>, actix_web::Error> {
    if let Some(name) = parameter_with_control_character(req.query_string()) {
        let error = ApiError::invalid_field(name, "must not contain control characters");
        return Ok(req.error_response(error).map_into_right_body());
    }
    next.call(req)
        .await
        .map(ServiceResponse::map_into_left_body)
}

/// The name of the first parameter whose name or value holds a control character once decoded.
fn parameter_with_control_character(query: &str) -> Option<String> {
    query.split('&').find_map(|pair| {
        let (name, value) = pair.split_once('=').unwrap_or((pair, ""));
        let decode = |part: &str| percent_decode_str(part).decode_utf8_lossy().into_owned();
        let (name, value) = (decode(name), decode(value));
        (name.chars().chain(value.chars()).any(char::is_control))
            .then(|| name.chars().filter(|c| !c.is_control()).collect::<String>())
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn encoded_control_characters_are_found_where_they_are() {
        assert_eq!(
            parameter_with_control_character("limit=5&os=a%00"),
            Some("os".to_owned())
        );
        assert_eq!(
            parameter_with_control_character("q=a%0Ab"),
            Some("q".to_owned())
        );
        assert_eq!(
            parameter_with_control_character("n%00ame=x"),
            Some("name".to_owned())
        );
        assert_eq!(
            parameter_with_control_character("q=Acme%20%26%20Co&sort=-name"),
            None
        );
        assert_eq!(parameter_with_control_character(""), None);
    }
}
